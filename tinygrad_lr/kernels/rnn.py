"""Fused backward passes of one LSTM or GRU time step through its gates.

The matrix products (x @ W_ih^T for all steps at once, h @ W_hh^T per step) stay on BLAS.
What is left of a step's backward is a dozen elementwise products on (batch, hidden)
arrays, which numpy runs as a dozen passes with a temporary each; each kernel here reads
its inputs once and writes its outputs once, from values the forward kept (the activated
gates and tanh(c)), so it does no transcendental function at all. Gate order is PyTorch's:
LSTM (i, f, g, o), GRU (r, z, n).

The forward steps stay numpy (nn/rnn.py): they are mostly exp/tanh, which numpy runs with
SIMD while a Numba loop calls scalar libm - a fused forward kernel measured 2-6x slower than
the numpy expression. `benchmarks/bench_lstm.py` measures both choices.
"""
import numba


# ---------------------------------------------------------------- LSTM
@numba.njit(cache=True)
def lstm_step_backward(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates, grad_c_prev):
    """Backward of one LSTM step, act = (i, f, g, o) activated, c = f c_prev + i g,
    h = o tanh(c).

    The gradient reaching h is grad_h (from the next step, or h_n) + grad_out (from this
    step's output); grad_c reaches c (from the next step, or c_n). Writes d_gates (B, 4H),
    the gradient of the pre-activations, and grad_c_prev = (total gradient of c) * f.
    """
    batch, hidden = c_prev.shape
    for b in range(batch):
        for j in range(hidden):
            i, f = act[b, j], act[b, hidden + j]
            g, o = act[b, 2 * hidden + j], act[b, 3 * hidden + j]
            t = tanh_c[b, j]
            gh = grad_h[b, j] + grad_out[b, j]
            gc = grad_c[b, j] + gh * o * (1 - t * t)
            d_gates[b, j] = gc * g * i * (1 - i)
            d_gates[b, hidden + j] = gc * c_prev[b, j] * f * (1 - f)
            d_gates[b, 2 * hidden + j] = gc * i * (1 - g * g)
            d_gates[b, 3 * hidden + j] = gh * t * o * (1 - o)
            grad_c_prev[b, j] = gc * f


# ---------------------------------------------------------------- GRU
@numba.njit(cache=True)
def gru_step_backward(act, h_gates, h_prev, grad_h, d_x_gates, d_h_gates, grad_h_prev):
    """Backward of one GRU step through its gates.

    Writes d_x_gates and d_h_gates (B, 3H), the gradients of x_gates and h_gates (they
    differ only in the n block, where h_n is scaled by r), and grad_h_prev = grad_h * z,
    the part of h_prev's gradient that does not go through W_hh.
    """
    batch, hidden = h_prev.shape
    for b in range(batch):
        for j in range(hidden):
            r, z, n = act[b, j], act[b, hidden + j], act[b, 2 * hidden + j]
            gh = grad_h[b, j]
            d_n = gh * (1 - z) * (1 - n * n)
            d_z = gh * (h_prev[b, j] - n) * z * (1 - z)
            d_r = d_n * h_gates[b, 2 * hidden + j] * r * (1 - r)
            d_x_gates[b, j] = d_h_gates[b, j] = d_r
            d_x_gates[b, hidden + j] = d_h_gates[b, hidden + j] = d_z
            d_x_gates[b, 2 * hidden + j] = d_n
            d_h_gates[b, 2 * hidden + j] = d_n * r
            grad_h_prev[b, j] = gh * z

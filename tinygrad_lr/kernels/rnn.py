"""Fused LSTM and GRU time steps: every gate nonlinearity of one step in one pass.

The matrix products (x @ W_ih^T for all steps at once, h @ W_hh^T per step) stay on BLAS;
what is left per step is a dozen elementwise operations on (batch, hidden) arrays, which
numpy would run as a dozen passes with a temporary each. Each kernel below reads its inputs
once and writes its outputs once. Gate order is PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).
`benchmarks/bench_lstm.py` measures them against the same step written with Tensor ops.
"""
import math

import numba


@numba.njit(cache=True)
def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


# ---------------------------------------------------------------- LSTM
@numba.njit(cache=True)
def lstm_step_forward(x_gates, h_gates, c_prev, act, c, h):
    """One LSTM step from its pre-activations (x_gates + h_gates, both (B, 4H)).

    act <- (i, f, g, o) after their nonlinearities, kept for backward;
    c <- f * c_prev + i * g;  h <- o * tanh(c).
    """
    batch, hidden = c_prev.shape
    for b in range(batch):
        for j in range(hidden):
            i = _sigmoid(x_gates[b, j] + h_gates[b, j])
            f = _sigmoid(x_gates[b, hidden + j] + h_gates[b, hidden + j])
            g = math.tanh(x_gates[b, 2 * hidden + j] + h_gates[b, 2 * hidden + j])
            o = _sigmoid(x_gates[b, 3 * hidden + j] + h_gates[b, 3 * hidden + j])
            act[b, j], act[b, hidden + j], act[b, 2 * hidden + j], act[b, 3 * hidden + j] = (
                i, f, g, o)
            c_new = f * c_prev[b, j] + i * g
            c[b, j] = c_new
            h[b, j] = o * math.tanh(c_new)


@numba.njit(cache=True)
def lstm_step_backward(act, c, c_prev, grad_h, grad_c, d_gates, grad_c_prev):
    """Backward of one LSTM step through its gates.

    grad_h, grad_c: gradients reaching h and c of this step (from the output, the next step
    and h_n / c_n). Writes d_gates (B, 4H), the gradient of the pre-activations, and
    grad_c_prev = grad_c_total * f.
    """
    batch, hidden = c.shape
    for b in range(batch):
        for j in range(hidden):
            i, f = act[b, j], act[b, hidden + j]
            g, o = act[b, 2 * hidden + j], act[b, 3 * hidden + j]
            tanh_c = math.tanh(c[b, j])
            gh = grad_h[b, j]
            gc = grad_c[b, j] + gh * o * (1.0 - tanh_c * tanh_c)
            d_gates[b, j] = gc * g * i * (1.0 - i)
            d_gates[b, hidden + j] = gc * c_prev[b, j] * f * (1.0 - f)
            d_gates[b, 2 * hidden + j] = gc * i * (1.0 - g * g)
            d_gates[b, 3 * hidden + j] = gh * tanh_c * o * (1.0 - o)
            grad_c_prev[b, j] = gc * f


# ---------------------------------------------------------------- GRU
@numba.njit(cache=True)
def gru_step_forward(x_gates, h_gates, h_prev, act, h):
    """One GRU step. x_gates = x W_ih^T + b_ih, h_gates = h_prev W_hh^T + b_hh (B, 3H).

    r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r * h_n),
    h = (1 - z) * n + z * h_prev.  act <- (r, z, n) for backward.
    """
    batch, hidden = h_prev.shape
    for b in range(batch):
        for j in range(hidden):
            r = _sigmoid(x_gates[b, j] + h_gates[b, j])
            z = _sigmoid(x_gates[b, hidden + j] + h_gates[b, hidden + j])
            n = math.tanh(x_gates[b, 2 * hidden + j] + r * h_gates[b, 2 * hidden + j])
            act[b, j], act[b, hidden + j], act[b, 2 * hidden + j] = r, z, n
            h[b, j] = (1.0 - z) * n + z * h_prev[b, j]


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
            d_n = gh * (1.0 - z) * (1.0 - n * n)
            d_z = gh * (h_prev[b, j] - n) * z * (1.0 - z)
            d_r = d_n * h_gates[b, 2 * hidden + j] * r * (1.0 - r)
            d_x_gates[b, j] = d_h_gates[b, j] = d_r
            d_x_gates[b, hidden + j] = d_h_gates[b, hidden + j] = d_z
            d_x_gates[b, 2 * hidden + j] = d_n
            d_h_gates[b, 2 * hidden + j] = d_n * r
            grad_h_prev[b, j] = gh * z

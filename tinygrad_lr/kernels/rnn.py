"""Fused elementwise parts of one LSTM or GRU time step, forward and backward.

The matrix products (x @ W_ih^T for all steps at once, h @ W_hh^T per step) stay on BLAS,
and so do the transcendental functions: numpy runs tanh with SIMD where a Numba loop calls
scalar libm, so a forward kernel that did its own exp/tanh measured several times slower
than numpy (benchmarks/README.md).
What is left between them is a handful of elementwise products on (batch, hidden) arrays,
which numpy runs as one pass and one temporary each; each kernel here reads its inputs once
and writes its outputs once. Gate order is PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).

Two rules keep these loops vectorized in float32 (`benchmarks/bench_lstm.py`):
- no integer or float literals in the arithmetic: Numba types `1 - x` for a float32 x as
  float64, so the loop converts every element back and forth (the LSTM step backward runs
  much faster without them); `x - x * x` stands for x (1 - x), and a constant that is needed
  comes in as an argument of the arrays' dtype;
- the inner loop runs over 1-D row views, one per gate (again much faster).

Each kernel has its numpy expression beside it (`*_reference`, same arguments, same
outputs written in place), run instead when `reference_kernels_enabled()`.
"""
import numpy as np

from . import runs_reference
from .threading_policy import jit


# ---------------------------------------------------------------- LSTM
@jit
def _lstm_cell_forward(act, c_prev, c, half):
    """The middle of an LSTM step's forward, after act = tanh(pre-activations) where the
    i, f and o columns of the pre-activations were halved: those blocks become
    sigmoid(x) = 0.5 + 0.5 tanh(x / 2) in place, and c = f c_prev + i g."""
    batch, hidden = c.shape
    for b in range(batch):
        row, cp, cb = act[b], c_prev[b], c[b]
        i, f = row[:hidden], row[hidden:2 * hidden]
        g, o = row[2 * hidden:3 * hidden], row[3 * hidden:]
        for j in range(hidden):
            i[j] = i[j] * half + half
            f[j] = f[j] * half + half
            o[j] = o[j] * half + half
            cb[j] = f[j] * cp[j] + i[j] * g[j]


@jit
def _lstm_step_backward(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates, grad_c_prev):
    """Backward of one LSTM step, act = (i, f, g, o) activated, c = f c_prev + i g,
    h = o tanh(c).

    The gradient reaching h is grad_h (from the next step, or h_n) + grad_out (from this
    step's output); grad_c reaches c (from the next step, or c_n). Writes d_gates (B, 4H),
    the gradient of the pre-activations, and grad_c_prev = (total gradient of c) * f.
    """
    batch, hidden = c_prev.shape
    for b in range(batch):
        row, d = act[b], d_gates[b]
        i, f = row[:hidden], row[hidden:2 * hidden]
        g, o = row[2 * hidden:3 * hidden], row[3 * hidden:]
        d_i, d_f = d[:hidden], d[hidden:2 * hidden]
        d_g, d_o = d[2 * hidden:3 * hidden], d[3 * hidden:]
        t, cp, gh_next, gh_out = tanh_c[b], c_prev[b], grad_h[b], grad_out[b]
        gc_next, gc_prev = grad_c[b], grad_c_prev[b]
        for j in range(hidden):
            gh = gh_next[j] + gh_out[j]
            gc = gc_next[j] + gh * (o[j] - o[j] * t[j] * t[j])        # o (1 - tanh^2 c)
            d_i[j] = gc * g[j] * (i[j] - i[j] * i[j])                  # sigmoid' = s (1 - s)
            d_f[j] = gc * cp[j] * (f[j] - f[j] * f[j])
            d_g[j] = gc * (i[j] - i[j] * g[j] * g[j])                  # i (1 - g^2)
            d_o[j] = gh * t[j] * (o[j] - o[j] * o[j])
            gc_prev[j] = gc * f[j]


# ---------------------------------------------------------------- GRU
@jit
def _gru_gates_forward(act, pre, h_gates, half):
    """The middle of a GRU step's forward, after act[:, :2H] = tanh of the halved r and z
    pre-activations: r and z become sigmoids in place, and act[:, 2H:] receives the n
    pre-activation x_n + r * (h W_hn^T + b_hn) (PyTorch's form: r scales the h part)."""
    batch, three_hidden = act.shape
    hidden = three_hidden // 3
    for b in range(batch):
        row, x_n, h_n = act[b], pre[b, 2 * hidden:], h_gates[b, 2 * hidden:]
        r, z, n = row[:hidden], row[hidden:2 * hidden], row[2 * hidden:]
        for j in range(hidden):
            r[j] = r[j] * half + half
            z[j] = z[j] * half + half
            n[j] = x_n[j] + r[j] * h_n[j]


@jit
def _gru_output(act, h_prev, h):
    """h = (1 - z) n + z h_prev, written as n + z (h_prev - n)."""
    batch, hidden = h.shape
    for b in range(batch):
        row, hp, out = act[b], h_prev[b], h[b]
        z, n = row[hidden:2 * hidden], row[2 * hidden:]
        for j in range(hidden):
            out[j] = n[j] + z[j] * (hp[j] - n[j])


@jit
def _gru_step_backward(act, h_gates, h_prev, grad_h, d_x_gates, d_h_gates, grad_h_prev):
    """Backward of one GRU step through its gates.

    Writes d_x_gates and d_h_gates (B, 3H), the gradients of x_gates and h_gates (they
    differ only in the n block, where h_n is scaled by r), and grad_h_prev = grad_h * z,
    the part of h_prev's gradient that does not go through W_hh.
    """
    batch, hidden = h_prev.shape
    for b in range(batch):
        row, hg_n = act[b], h_gates[b, 2 * hidden:]
        r, z, n = row[:hidden], row[hidden:2 * hidden], row[2 * hidden:]
        dx, dh = d_x_gates[b], d_h_gates[b]
        hp, g_h, g_prev = h_prev[b], grad_h[b], grad_h_prev[b]
        for j in range(hidden):
            gh = g_h[j]
            gh_n = gh - gh * z[j]                                      # gh (1 - z)
            d_n = gh_n - gh_n * n[j] * n[j]                            # ... (1 - n^2)
            d_z = gh * (hp[j] - n[j]) * (z[j] - z[j] * z[j])
            d_r = d_n * hg_n[j] * (r[j] - r[j] * r[j])
            dx[j] = dh[j] = d_r
            dx[hidden + j] = dh[hidden + j] = d_z
            dx[2 * hidden + j] = d_n
            dh[2 * hidden + j] = d_n * r[j]
            g_prev[j] = gh * z[j]


# ---------------------------------------------------------------- references
def _blocks(a, k):
    """The k equal column blocks of a (B, k*H) array, as views."""
    return np.split(a, k, axis=1)


def lstm_cell_forward_reference(act, c_prev, c, half):
    """i, f, o = 0.5 + 0.5 * act (sigmoid from the tanh of the halved pre-activation),
    written back into act; c = f * c_prev + i * g."""
    i, f, g, o = _blocks(act, 4)
    for gate in (i, f, o):
        gate[...] = half * gate + half
    c[...] = f * c_prev + i * g


def lstm_step_backward_reference(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates,
                                 grad_c_prev):
    """With h = o tanh(c) and c = f c_prev + i g: the gradient of c is
    gc = grad_c + (grad_h + grad_out) * o * (1 - tanh(c)^2), and through the gates
    d_i = gc g i (1 - i), d_f = gc c_prev f (1 - f), d_g = gc i (1 - g^2),
    d_o = (grad_h + grad_out) tanh(c) o (1 - o); grad_c_prev = gc f."""
    i, f, g, o = _blocks(act, 4)
    d_i, d_f, d_g, d_o = _blocks(d_gates, 4)
    gh = grad_h + grad_out
    gc = grad_c + gh * o * (1 - tanh_c ** 2)
    d_i[...] = gc * g * i * (1 - i)
    d_f[...] = gc * c_prev * f * (1 - f)
    d_g[...] = gc * i * (1 - g ** 2)
    d_o[...] = gh * tanh_c * o * (1 - o)
    grad_c_prev[...] = gc * f


def gru_gates_forward_reference(act, pre, h_gates, half):
    """r, z = 0.5 + 0.5 * act (sigmoids), written back into act; the n block of act
    receives x_n + r * h_n, with x_n, h_n the n blocks of pre and h_gates."""
    r, z, n = _blocks(act, 3)
    r[...] = half * r + half
    z[...] = half * z + half
    n[...] = _blocks(pre, 3)[2] + r * _blocks(h_gates, 3)[2]


def gru_output_reference(act, h_prev, h):
    """h = (1 - z) n + z h_prev."""
    _, z, n = _blocks(act, 3)
    h[...] = (1 - z) * n + z * h_prev


def gru_step_backward_reference(act, h_gates, h_prev, grad_h, d_x_gates, d_h_gates,
                                grad_h_prev):
    """With h = (1 - z) n + z h_prev and n = tanh(x_n + r h_n):
    d_n = grad_h (1 - z) (1 - n^2), d_z = grad_h (h_prev - n) z (1 - z),
    d_r = d_n h_n r (1 - r); the h-side n block is d_n * r; grad_h_prev = grad_h z."""
    r, z, n = _blocks(act, 3)
    h_n = _blocks(h_gates, 3)[2]
    d_n = grad_h * (1 - z) * (1 - n ** 2)
    d_z = grad_h * (h_prev - n) * z * (1 - z)
    d_r = d_n * h_n * r * (1 - r)
    d_x_gates[...] = np.concatenate([d_r, d_z, d_n], axis=1)
    d_h_gates[...] = np.concatenate([d_r, d_z, d_n * r], axis=1)
    grad_h_prev[...] = grad_h * z


# ---------------------------------------------------------------- entry points
def lstm_cell_forward(act, c_prev, c, half):
    if runs_reference(act):
        return lstm_cell_forward_reference(act, c_prev, c, half)
    _lstm_cell_forward(act, c_prev, c, half)


def lstm_step_backward(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates, grad_c_prev):
    if runs_reference(act, grad_h):
        return lstm_step_backward_reference(act, tanh_c, c_prev, grad_h, grad_out, grad_c,
                                            d_gates, grad_c_prev)
    _lstm_step_backward(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates, grad_c_prev)


def gru_gates_forward(act, pre, h_gates, half):
    if runs_reference(act):
        return gru_gates_forward_reference(act, pre, h_gates, half)
    _gru_gates_forward(act, pre, h_gates, half)


def gru_output(act, h_prev, h):
    if runs_reference(act):
        return gru_output_reference(act, h_prev, h)
    _gru_output(act, h_prev, h)


def gru_step_backward(act, h_gates, h_prev, grad_h, d_x_gates, d_h_gates, grad_h_prev):
    if runs_reference(act, grad_h):
        return gru_step_backward_reference(act, h_gates, h_prev, grad_h, d_x_gates,
                                           d_h_gates, grad_h_prev)
    _gru_step_backward(act, h_gates, h_prev, grad_h, d_x_gates, d_h_gates, grad_h_prev)

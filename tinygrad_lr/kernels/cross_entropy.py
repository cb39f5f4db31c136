"""Fused cross-entropy over class indices: numpy's exp, then one Numba pass per row.

Everything is computed in shift-invariant form. With m_i the maximum of row i, z = x - m_i
the shifted logits and log_s_i = log sum_j exp(z_j) (PyTorch's definition; w the class
weights, eps the label smoothing, C classes), the loss of row i is

    (1 - eps) * w[t_i] * (log_s_i - z[t_i]) + eps / C * sum_j w[j] * (log_s_i - z[j])

and its gradient, with p = softmax(x[i]) = exp(z - log_s_i), is p * coef_i - pull_i where
    coef_i = (1 - eps) w[t_i] + eps / C * sum(w)
    pull_ij = eps / C * w[j] + (1 - eps) w[t_i] [j == t_i]
(each gradient row sums to zero). A common offset of the logits cancels in z = x - m before
anything is rounded; forming lse = m + log_s first and then x - lse would lose log_s once m
is large (near 1e8 in float32 the gradient came out [0, 1, 1]). So the forward pass keeps
m and log_s apart, as the `row_stats` pair that backward takes back.
Rows whose target equals `ignore_index` get 0 loss, 0 weight and 0 gradient.

The composite numpy version makes about eight passes and five temporaries over the
logits. Here numpy does only what it is best at - exp over the whole (N, C) block, with
SIMD, where Numba would call scalar libm per element - and one Numba pass per row does
the rest: the row maximum, the sum and log, picking the target, the weights and the label
smoothing; in backward, p * coef - pull written over p in place. benchmarks/bench_losses.py
times both against the references below (`cross_entropy_forward_reference`,
`cross_entropy_backward_reference`), which run instead when `reference_kernels_enabled()`.
"""
import numpy as np

from . import runs_reference
from .threading_policy import jit


# ------------------------------------------------------------------ kernels
@jit
def _first_bad_target(target, n_classes, ignore_index):
    for i in range(target.shape[0]):
        t = target[i]
        if t != ignore_index and (t < 0 or t >= n_classes):
            return i
    return -1


LANES = 16  # running maxima per row in _row_max


@jit
def _row_max(x, mx):
    """Row maxima. One running maximum is a chain of dependent compares, one element at a
    time; LANES independent ones (element j goes to lane j % LANES) become SIMD compares,
    several times faster on long rows. (A NaN may or may not end up as a row's maximum:
    the row's loss and gradient are NaN either way, through exp.)"""
    n, c = x.shape
    lanes = np.empty(LANES, dtype=x.dtype)
    whole = c - c % LANES  # the elements the lanes take; the rest go one by one
    for i in range(n):
        row = x[i]
        m = row[0]
        if whole:
            for lane in range(LANES):
                lanes[lane] = row[lane]
            for j0 in range(LANES, whole, LANES):
                block = row[j0:j0 + LANES]
                for lane in range(LANES):
                    v = block[lane]
                    lanes[lane] = v if v > lanes[lane] else lanes[lane]
            m = lanes[0]
            for lane in range(1, LANES):
                if lanes[lane] > m:
                    m = lanes[lane]
        for j in range(max(whole, 1), c):
            if row[j] > m:
                m = row[j]
        mx[i] = m


@jit
def _shift_rows(x, mx, offset, z):
    """z = (x - mx[i]) - offset[i], row by row, in two roundings: numpy's broadcast of a
    (N, 1) column over a short row costs several times this loop."""
    n, c = x.shape
    for i in range(n):
        m, o = mx[i], offset[i]
        x_row, z_row = x[i], z[i]
        for j in range(c):
            z_row[j] = (x_row[j] - m) - o


@jit(fastmath={"reassoc", "contract"})
def _losses_from_exp(x, e, mx, target, weight, ignore_index, smoothing, losses, row_weight,
                     log_sums):
    """Per row, from e = exp(x - max): log sum(e), the (weighted, smoothed) loss and the
    target's weight. The shifted logit z_j = x_j - max is formed before anything else."""
    n, c = x.shape
    for i in range(n):
        s = 0.0
        e_row = e[i]
        for j in range(c):
            s += e_row[j]
        log_s = np.log(s)
        log_sums[i] = log_s  # kept for backward: p = exp((x - max) - log_s)
        t = target[i]
        if t == ignore_index:
            losses[i] = 0.0
            row_weight[i] = 0.0
            continue
        m = mx[i]
        loss = (1.0 - smoothing) * weight[t] * (log_s - (x[i, t] - m))
        if smoothing > 0.0:
            spread = 0.0
            for j in range(c):
                spread += weight[j] * (log_s - (x[i, j] - m))
            loss += smoothing / c * spread
        losses[i] = loss
        row_weight[i] = weight[t]


@jit
def _grad_from_softmax(p, target, weight, ignore_index, smoothing, g_rows, scalars):
    """p = softmax rows, overwritten with g_i * (p * coef_i - pull_i). `scalars` (3 values
    in p's dtype) carries each row's coefficients, so the loop over C stays in that dtype."""
    n, c = p.shape
    spread = smoothing / c
    total_weight = weight.sum()
    for i in range(n):
        t = target[i]
        row = p[i]
        if t == ignore_index:
            row[:] = 0.0
            continue
        w_t = (1.0 - smoothing) * weight[t]
        scalars[0] = g_rows[i] * (w_t + spread * total_weight)
        scalars[1] = g_rows[i] * spread
        scalars[2] = g_rows[i] * w_t
        coef, pull, pull_target = scalars[0], scalars[1], scalars[2]
        for j in range(c):
            row[j] = row[j] * coef - pull * weight[j]
        row[t] -= pull_target


def softmax_coef_and_pull(target, weight, ignore_index, smoothing, dtype):
    """(coef (N, 1), pull (N, C)) of the gradient p * coef - pull, as arrays."""
    n, c = target.shape[0], weight.shape[0]
    kept = target != ignore_index
    safe = np.where(kept, target, 0)
    w_t = np.where(kept, (1 - smoothing) * weight[safe], 0)
    coef = (w_t + smoothing / c * weight.sum() * kept)[:, None]
    pull = smoothing / c * weight * kept[:, None]
    pull[np.arange(n), safe] += w_t
    return coef.astype(dtype), pull.astype(dtype)


# ------------------------------------------------------------------ references
def cross_entropy_forward_reference(x, target, weight, ignore_index, smoothing):
    """The module docstring's loss in numpy, row by row vectorised. Same returns as
    `cross_entropy_forward`."""
    bad = (target != ignore_index) & ((target < 0) | (target >= x.shape[1]))
    if bad.any():
        return None, None, None, int(bad.argmax())
    m = x.max(axis=1)
    z = x - m[:, None]                                  # shifted logits
    log_s = np.log(np.exp(z).sum(axis=1))
    nll = log_s[:, None] - z                            # -log softmax, every class
    kept = target != ignore_index
    safe = np.where(kept, target, 0)
    rows = np.arange(x.shape[0])
    losses = (1 - smoothing) * weight[safe] * nll[rows, safe] \
        + smoothing / x.shape[1] * (weight * nll).sum(axis=1)
    losses = np.where(kept, losses, 0).astype(x.dtype)
    row_weight = np.where(kept, weight[safe], 0).astype(x.dtype)
    return losses, row_weight, (m, log_s.astype(x.dtype)), -1


def cross_entropy_backward_reference(x, row_stats, target, weight, ignore_index, smoothing,
                                     g_rows):
    """g_i * (softmax(x_i) * coef_i - pull_i), with softmax(x_i) = exp((x_i - m_i) - log_s_i)."""
    m, log_s = row_stats
    p = np.exp((x - m[:, None]) - log_s[:, None])
    coef, pull = softmax_coef_and_pull(target, weight, ignore_index, smoothing, x.dtype)
    return (g_rows[:, None] * (p * coef - pull)).astype(x.dtype)


# ------------------------------------------------------------------ entry points
def cross_entropy_forward(x, target, weight, ignore_index, smoothing):
    """Per-row losses, target weights and row statistics of (N, C) logits and N int64
    targets.

    Returns (losses, row_weight, row_stats, bad_row): row_stats = (max, log_s), each row's
    maximum and log-sum-exp of the shifted row, for `cross_entropy_backward`; bad_row is
    the first row whose target is out of range (neither a class in [0, C) nor
    ignore_index) - then nothing else is computed - or -1 when every target is valid.
    """
    if runs_reference(x, weight):
        return cross_entropy_forward_reference(x, target, weight, ignore_index, smoothing)
    bad_row = _first_bad_target(target, x.shape[1], ignore_index)
    if bad_row >= 0:
        return None, None, None, bad_row
    x = np.ascontiguousarray(x)
    n = x.shape[0]
    mx, log_s, losses, row_weight = (np.empty(n, dtype=x.dtype) for _ in range(4))
    _row_max(x, mx)
    e = np.empty_like(x)
    _shift_rows(x, mx, np.zeros(n, dtype=x.dtype), e)  # x - max (minus 0: exact)
    np.exp(e, out=e)
    _losses_from_exp(x, e, mx, target, weight, ignore_index, smoothing, losses, row_weight,
                     log_s)
    return losses, row_weight, (mx, log_s), -1


def cross_entropy_backward(x, row_stats, target, weight, ignore_index, smoothing, g_rows):
    """Gradient of sum_i g_rows[i] * loss_i with respect to the (N, C) logits."""
    if runs_reference(x, weight, g_rows):
        return cross_entropy_backward_reference(x, row_stats, target, weight, ignore_index,
                                                smoothing, g_rows)
    mx, log_s = row_stats
    grad = np.empty_like(x)
    # two steps: (x - max) first, so a large max cancels exactly, then - log_s
    _shift_rows(np.ascontiguousarray(x), mx, log_s, grad)
    np.exp(grad, out=grad)  # softmax rows
    _grad_from_softmax(grad, target, weight, ignore_index, smoothing, g_rows,
                       np.empty(3, dtype=grad.dtype))
    return grad

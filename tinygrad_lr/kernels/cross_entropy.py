"""Fused cross-entropy over class indices: a few Numba passes over the rows.

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
logits. Here the forward pass is three loops over the rows, with no temporary: the row
maxima, the sums of exp(x - max) and their logs (kernels/vector_math.py's exp, which LLVM
vectorizes with the rest of the loop), then each row's loss from its target, the weights
and the label smoothing. Backward is one loop: p = exp((x - max) - log_s) and
p * coef - pull. Many short rows (few classes, `SHORT_ROW`) take exp(x - max) from numpy's
exp over the whole block instead. benchmarks/bench_losses.py times both against the
references below (`cross_entropy_forward_reference`, `cross_entropy_backward_reference`),
which run instead when `reference_kernels_enabled()`.
"""
import numpy as np

from . import runs_reference
from .threading_policy import jit
from .vector_math import column_max, exp, row_max


# ------------------------------------------------------------------ kernels
@jit
def _first_bad_target(target, n_classes, ignore_index):
    for i in range(target.shape[0]):
        t = target[i]
        if t != ignore_index and (t < 0 or t >= n_classes):
            return i
    return -1


@jit
def _row_max(x, mx):
    """Row maxima (vector_math.row_max of each row)."""
    for i in range(x.shape[0]):
        mx[i] = row_max(x[i])


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


# Rows shorter than SHORT_ROW, in a block of at least SHORT_BLOCK elements: the loops over
# a row are too short for SIMD, and an exp inside them would run one element at a time.
# There the kernels take e = exp(x - max) made beforehand by numpy's exp over the whole
# block (`_exp_of_shifted`), SIMD across the rows (benchmarks/bench_kernels.py).
SHORT_ROW = 32
SHORT_BLOCK = 2048


def _short_rows(x):
    return x.shape[-1] < SHORT_ROW and x.size >= SHORT_BLOCK


def _exp_of_shifted(x, mx, offset):
    """exp((x - mx[i]) - offset[i]) of each row, as a new array."""
    e = np.empty_like(x)
    _shift_rows(x, mx, offset, e)
    return np.exp(e, out=e)


@jit(fastmath={"reassoc", "contract"})
def _exp_sums(x, mx, sums):
    """Per row: sum(exp(x - max)), in float64. (Their logs are taken by numpy afterwards,
    with SIMD across the rows: one log per short row in the loop cost as much as the rest.)"""
    for i in range(x.shape[0]):
        row, m = x[i], mx[i]
        s = 0.0
        for j in range(row.shape[0]):
            s += exp(row[j] - m)
        sums[i] = s


@jit(fastmath={"reassoc", "contract"})
def _row_sums(e, sums):
    """`_exp_sums` from e = exp(x - max) made beforehand (short rows, SHORT_ROW)."""
    for i in range(e.shape[0]):
        e_row = e[i]
        s = 0.0
        for j in range(e_row.shape[0]):
            s += e_row[j]
        sums[i] = s


@jit(fastmath={"reassoc", "contract"})
def _losses_from_stats(x, mx, log_sums, target, weight, ignore_index, smoothing, losses,
                       row_weight):
    """Per prediction, from its max and log_s: the (weighted, smoothed) loss and the target's
    weight. x is (N, C, L), classes along axis 1 (rows are (N, C, 1)); mx, log_sums,
    target, losses and row_weight are (N, L). The shifted logit x - max is formed before
    anything else."""
    n, c, length = x.shape
    for b in range(n):
        for j in range(length):
            t = target[b, j]
            if t == ignore_index:
                losses[b, j] = 0.0
                row_weight[b, j] = 0.0
                continue
            m, log_s = mx[b, j], log_sums[b, j]
            loss = (1.0 - smoothing) * weight[t] * (log_s - (x[b, t, j] - m))
            if smoothing > 0.0:
                spread = 0.0
                for k in range(c):
                    spread += weight[k] * (log_s - (x[b, k, j] - m))
                loss += smoothing / c * spread
            losses[b, j] = loss
            row_weight[b, j] = weight[t]


@jit
def _row_coefficients(i, target, weight, smoothing, g_rows, total_weight, scalars):
    """Row i's coef, pull and the target's extra pull (times g_i) into scalars[:3], in the
    logits' dtype, so that the loop over the row stays in that dtype."""
    w_t = (1.0 - smoothing) * weight[target[i]]
    spread = smoothing / weight.shape[0]
    scalars[0] = g_rows[i] * (w_t + spread * total_weight)
    scalars[1] = g_rows[i] * spread
    scalars[2] = g_rows[i] * w_t


@jit(fastmath={"reassoc", "contract"})
def _grad_rows(x, mx, log_s, target, weight, ignore_index, smoothing, g_rows, grad,
               scalars):
    """grad = g_i * (p * coef_i - pull_i) with p = exp((x - max) - log_s), the softmax
    rows: (x - max) first, so that a large max cancels exactly, then - log_s. `scalars`
    holds 5 values in x's dtype (`_row_coefficients`', then max and log_s)."""
    total_weight = weight.sum()
    for i in range(x.shape[0]):
        t = target[i]
        row, out = x[i], grad[i]
        if t == ignore_index:
            out[:] = 0.0
            continue
        _row_coefficients(i, target, weight, smoothing, g_rows, total_weight, scalars)
        scalars[3], scalars[4] = mx[i], log_s[i]
        coef, pull, m, ls = scalars[0], scalars[1], scalars[3], scalars[4]
        for j in range(row.shape[0]):
            out[j] = exp((row[j] - m) - ls) * coef - pull * weight[j]
        out[t] -= scalars[2]


@jit
def _grad_from_softmax(p, target, weight, ignore_index, smoothing, g_rows, scalars):
    """`_grad_rows` on p = the softmax rows made beforehand (short rows), in place."""
    total_weight = weight.sum()
    for i in range(p.shape[0]):
        t = target[i]
        row = p[i]
        if t == ignore_index:
            row[:] = 0.0
            continue
        _row_coefficients(i, target, weight, smoothing, g_rows, total_weight, scalars)
        coef, pull = scalars[0], scalars[1]
        for j in range(row.shape[0]):
            row[j] = row[j] * coef - pull * weight[j]
        row[t] -= scalars[2]


# ------------------------------------------------------------------ classes along axis 1
# Logits (N, C, L) of images or sequences (N, C, H, W flattened to positions): the loops run
# along the positions, contiguous, with the classes outside, so that they vectorize even for
# a few classes, and no copy moves the classes last.
@jit(fastmath={"reassoc", "contract"})
def _column_stats(x, mx, sums):
    """Per (sample, position) of x (N, C, L): the maximum over the classes, and the sum of
    exp(x - max) in float64 (sums)."""
    n, c, length = x.shape
    for b in range(n):
        xb, m, s = x[b], mx[b], sums[b]
        column_max(xb, m)
        for j in range(length):
            s[j] = 0.0
        for k in range(c):
            row = xb[k]
            for j in range(length):
                s[j] += exp(row[j] - m[j])


@jit(fastmath={"reassoc", "contract"})
def _column_grad(x, mx, log_s, target, weight, ignore_index, smoothing, g, grad, coef, pull,
                 pull_target, scalars):
    """`_grad_rows` for x (N, C, L): grad = g * (p * coef - pull), p = exp((x - max) - log_s),
    per position. target and g are flat (N*L); coef, pull, pull_target are (L,) scratch in
    x's dtype, scalars as for `_row_coefficients`."""
    n, c, length = x.shape
    total_weight = weight.sum()
    for b in range(n):
        for j in range(length):
            i = b * length + j
            if target[i] == ignore_index:
                coef[j] = pull[j] = pull_target[j] = 0.0
            else:
                _row_coefficients(i, target, weight, smoothing, g, total_weight, scalars)
                coef[j], pull[j], pull_target[j] = scalars[0], scalars[1], scalars[2]
        m, ls = mx[b], log_s[b]
        for k in range(c):
            row, out = x[b, k], grad[b, k]
            w_k = weight[k]
            for j in range(length):
                out[j] = exp((row[j] - m[j]) - ls[j]) * coef[j] - pull[j] * w_k
        for j in range(length):
            t = target[b * length + j]
            if t == ignore_index:  # no gradient at all, even where p is NaN
                for k in range(c):
                    grad[b, k, j] = 0.0
            else:
                grad[b, t, j] -= pull_target[j]


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
def _rows_of(x):
    """(N, C, L) logits -> (N*L, C), one row of class scores per prediction."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def cross_entropy_forward_reference(x, target, weight, ignore_index, smoothing):
    """The module docstring's loss in numpy, row by row vectorised. Same returns as
    `cross_entropy_forward` (for (N, C, L) logits, of the rows of `_rows_of`)."""
    if x.ndim == 3:
        losses, row_weight, stats, bad_row = cross_entropy_forward_reference(
            _rows_of(x), target.reshape(-1), weight, ignore_index, smoothing)
        if bad_row >= 0:
            return None, None, None, bad_row
        m, log_s = stats
        return tuple(a.reshape(target.shape) for a in (losses, row_weight)) + (
            (m.reshape(target.shape), log_s.reshape(target.shape)), -1)
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
    if x.ndim == 3:
        n, c, length = x.shape
        grad = cross_entropy_backward_reference(
            _rows_of(x), tuple(a.reshape(-1) for a in row_stats), target.reshape(-1), weight,
            ignore_index, smoothing, g_rows.reshape(-1))
        return np.moveaxis(grad.reshape(n, length, c), -1, 1)
    m, log_s = row_stats
    p = np.exp((x - m[:, None]) - log_s[:, None])
    coef, pull = softmax_coef_and_pull(target, weight, ignore_index, smoothing, x.dtype)
    return (g_rows[:, None] * (p * coef - pull)).astype(x.dtype)


# ------------------------------------------------------------------ entry points
def cross_entropy_forward(x, target, weight, ignore_index, smoothing):
    """Per-prediction losses, target weights and statistics of (N, C) logits and N int64
    targets, or of (N, C, L) logits (classes along axis 1) and (N, L) targets.

    Returns (losses, row_weight, row_stats, bad_row), the first three of the targets' shape:
    row_stats = (max, log_s), each prediction's maximum and log-sum-exp of the shifted
    logits, for `cross_entropy_backward`; bad_row is the first (flat) prediction whose
    target is out of range (neither a class in [0, C) nor ignore_index) - then nothing else
    is computed - or -1 when every target is valid.
    """
    if runs_reference(x, weight):
        return cross_entropy_forward_reference(x, target, weight, ignore_index, smoothing)
    bad_row = _first_bad_target(target.reshape(-1), x.shape[1], ignore_index)
    if bad_row >= 0:
        return None, None, None, bad_row
    x = np.ascontiguousarray(x)
    shape = target.shape
    mx, losses, row_weight = (np.empty(shape, dtype=x.dtype) for _ in range(3))
    sums = np.empty(shape)  # float64
    if x.ndim == 3:
        _column_stats(x, mx, sums)
    else:
        _row_max(x, mx)
        if _short_rows(x):
            _row_sums(_exp_of_shifted(x, mx, np.zeros(shape, dtype=x.dtype)), sums)
        else:
            _exp_sums(x, mx, sums)
    log_s = np.log(sums).astype(x.dtype)
    n, c = x.shape[:2]
    columns = (n, x.shape[2] if x.ndim == 3 else 1)  # rows are (N, C, 1): one loss kernel
    _losses_from_stats(x.reshape(n, c, columns[1]), mx.reshape(columns), log_s.reshape(columns),
                       target.reshape(columns), weight, ignore_index, smoothing,
                       losses.reshape(columns), row_weight.reshape(columns))
    return losses, row_weight, (mx, log_s), -1


def cross_entropy_backward(x, row_stats, target, weight, ignore_index, smoothing, g_rows):
    """Gradient of sum_i g_rows[i] * loss_i with respect to the (N, C) or (N, C, L) logits
    (g_rows of the targets' shape)."""
    if runs_reference(x, weight, g_rows):
        return cross_entropy_backward_reference(x, row_stats, target, weight, ignore_index,
                                                smoothing, g_rows)
    mx, log_s = row_stats
    x = np.ascontiguousarray(x)
    if x.ndim == 3:
        grad = np.empty_like(x)
        _column_grad(x, mx, log_s, target.reshape(-1), weight, ignore_index, smoothing,
                     np.ascontiguousarray(g_rows).reshape(-1), grad,
                     *(np.empty(x.shape[2], dtype=x.dtype) for _ in range(3)),
                     np.empty(3, dtype=x.dtype))
        return grad
    scalars = np.empty(5, dtype=x.dtype)
    if _short_rows(x):
        grad = _exp_of_shifted(x, mx, log_s)  # the softmax rows
        _grad_from_softmax(grad, target, weight, ignore_index, smoothing, g_rows, scalars)
    else:
        grad = np.empty_like(x)
        _grad_rows(x, mx, log_s, target, weight, ignore_index, smoothing, g_rows, grad,
                   scalars)
    return grad

"""Fused, numerically stable softmax / log-softmax rows.

Both are computed in shift-invariant form: with m the row maximum,

    log_softmax(x)_j = (x_j - m) - log(sum_k exp(x_k - m))
    softmax(x)_j     = exp(x_j - m) / sum_k exp(x_k - m)

so a common offset of the logits (1e4, 1e30) changes nothing: it cancels in x - m before
anything is rounded. (Writing x - (m + log sum) instead loses the log-sum term once m is
large.) numpy needs five passes and three temporaries for this (max, subtract, exp, sum,
divide). Along the last axis one Numba call does each row in cache instead
(`_softmax_rows`): its maximum, then exp(x - m) stored and summed (in float64) in one
loop, then the normalisation. Its exp is kernels/vector_math.py's, which LLVM vectorizes
like the rest of the loop (the C library's exp, one element per call, would be many times
slower than numpy's SIMD exp on long rows). Many short rows (a few classes per pixel)
take exp(x - m) from numpy's exp over the whole block instead, and the logs of their sums
from numpy's log over all rows at once, as cross-entropy's do. Along any other axis (the
channels of an (N, C, H, W) segmentation map) the array is viewed as (before, along,
after) and a column kernel runs its loops along the contiguous last part, the classes
outside (`_softmax_columns`,
`_backward_columns`): moving the axis last would copy the input and give short rows
(benchmarks/bench_kernels.py). `softmax_reference` / `log_softmax_reference` are the numpy
expressions, run instead when `reference_kernels_enabled()`.
"""
import math

import numpy as np

from . import reference_kernels_enabled
from .cross_entropy import _exp_of_shifted, _row_max, _row_sums, _shift_rows, _short_rows
from .threading_policy import jit
from .vector_math import column_max, exp, row_max


@jit(fastmath={"reassoc", "contract"})
def _normalize_row(row, s, log, scalar):
    """In place: row - log(s) (log) or row / s, in the row's dtype (`scalar` carries it)."""
    if log:
        scalar[0] = np.log(s)
        ls = scalar[0]
        for j in range(row.shape[0]):
            row[j] = row[j] - ls
    else:
        scalar[0] = 1.0 / s
        inv = scalar[0]
        for j in range(row.shape[0]):
            row[j] = row[j] * inv


@jit(fastmath={"reassoc", "contract"})
def _softmax_rows(x, log, zero, out, scalar):
    """Each row of x: m = its maximum (a non-finite one counts as `zero`, so that a row of
    -inf gives NaN as in the reference, not inf - inf), then exp(x - m) stored (softmax)
    or x - m stored and exp(x - m) summed (log_softmax), the sum in float64, then
    `_normalize_row`. `scalar` is one element of x's dtype."""
    n, c = x.shape
    for i in range(n):
        row, o = x[i], out[i]
        m = row_max(row)
        if not np.isfinite(m):
            m = zero
        s = 0.0
        if log:
            for j in range(c):
                z = row[j] - m
                o[j] = z
                s += exp(z)
        else:
            for j in range(c):
                e = exp(row[j] - m)
                o[j] = e
                s += e
        _normalize_row(o, s, log, scalar)


@jit(fastmath={"reassoc", "contract"})
def _softmax_backward_rows(g, out, grad, scalar):
    """Per row: grad = out * (g - sum(g * out)), in one pass over the row after its sum
    (the sum in float64, carried into the row's dtype by `scalar` as above)."""
    n, c = g.shape
    for i in range(n):
        g_row, out_row, grad_row = g[i], out[i], grad[i]
        s = 0.0
        for j in range(c):
            s += g_row[j] * out_row[j]
        scalar[0] = s
        dot = scalar[0]
        for j in range(c):
            grad_row[j] = out_row[j] * (g_row[j] - dot)


def softmax_backward_reference(g, out, dim):
    """The gradient of softmax from g and its output: out * (g - sum(g * out)) along dim."""
    return out * (g - (g * out).sum(axis=dim, keepdims=True))


@jit(fastmath={"reassoc", "contract"})
def _log_softmax_backward_rows(g, out, grad, scalar):
    """Per row: grad = g - exp(out) * sum(g) (exp(out) is the softmax), one pass after the
    row's sum (in float64, carried into the row's dtype by `scalar`)."""
    n, c = g.shape
    for i in range(n):
        g_row, out_row, grad_row = g[i], out[i], grad[i]
        s = 0.0
        for j in range(c):
            s += g_row[j]
        scalar[0] = s
        total = scalar[0]
        for j in range(c):
            grad_row[j] = g_row[j] - exp(out_row[j]) * total


def log_softmax_backward_reference(g, out, dim):
    """The gradient of log_softmax from g and its output: g - softmax * sum(g) along dim,
    softmax = exp(out)."""
    return g - np.exp(out) * g.sum(axis=dim, keepdims=True)


# softmax_backward's kernel from this many elements on; below, the numpy expression
KERNEL_MIN = 8192


def _gradient(g, out, dim, log):
    """softmax's (or log_softmax's) gradient from g and the output: a row kernel along the
    last axis (softmax's from KERNEL_MIN elements on, below which numpy's three calls are
    faster; log_softmax's at every size timed, short rows too), a column kernel along any
    other, the reference for what the kernels do not take."""
    reference = log_softmax_backward_reference if log else softmax_backward_reference
    if reference_kernels_enabled() or g.shape != out.shape or g.dtype != out.dtype or \
            out.dtype not in (np.float32, np.float64) or not out.ndim or not out.size:
        return reference(g, out, dim)
    if dim % out.ndim != out.ndim - 1:
        return _backward_along(g, out, dim, log)
    if not log and out.size < KERNEL_MIN:
        return reference(g, out, dim)
    c = out.shape[-1]
    rows_g = np.ascontiguousarray(g).reshape(-1, c)
    grad = np.empty(rows_g.shape, dtype=out.dtype)
    kernel = _log_softmax_backward_rows if log else _softmax_backward_rows
    kernel(rows_g, np.ascontiguousarray(out).reshape(-1, c), grad, np.empty(1, dtype=out.dtype))
    return grad.reshape(out.shape)


def softmax_backward(g, out, dim):
    return _gradient(g, out, dim, False)


def log_softmax_backward(g, out, dim):
    return _gradient(g, out, dim, True)


# ---------------------------------------------------------------- along an inner axis
# Softmax over axis 1 of (N, C, L) - the channels of an (N, C, H, W) map, any axis but the
# last of a contiguous array viewed so - with the loops along the contiguous L and the
# classes outside, so that they vectorize and nothing is moved or copied.
@jit(fastmath={"reassoc", "contract"})
def _softmax_columns(x, log, zero, out, m, sums):
    """The first part of softmax / log_softmax over axis 1 of x (N, C, L), as
    `_softmax_rows` per position: out = exp(x - m) (softmax) or x - m (log_softmax), and
    sums (N, L, float64) = the sums of exp(x - m); m is (L,) scratch in x's dtype. The
    caller divides by the sums or subtracts their logs (numpy: its log runs with SIMD over
    all positions at once, one log per position in this loop cost as much as the rest)."""
    n, c, length = x.shape
    for b in range(n):
        xb, ob, s = x[b], out[b], sums[b]
        column_max(xb, m)
        for j in range(length):
            s[j] = 0.0
            if not np.isfinite(m[j]):
                m[j] = zero
        for k in range(c):
            row, o = xb[k], ob[k]
            for j in range(length):
                z = row[j] - m[j]
                e = exp(z)
                s[j] += e
                o[j] = z if log else e


@jit(fastmath={"reassoc", "contract"})
def _backward_columns(g, out, log, grad, acc, total):
    """The gradients over axis 1 of (N, C, L): softmax's out * (g - sum(g * out)), or
    log_softmax's g - exp(out) * sum(g); acc (L,) float64 and total (L,) in g's dtype
    are scratch."""
    n, c, length = g.shape
    for b in range(n):
        gb, ob, rb = g[b], out[b], grad[b]
        for j in range(length):
            acc[j] = 0.0
        for k in range(c):
            g_row, o_row = gb[k], ob[k]
            for j in range(length):
                acc[j] += g_row[j] if log else g_row[j] * o_row[j]
        for j in range(length):
            total[j] = acc[j]
        for k in range(c):
            g_row, o_row, r_row = gb[k], ob[k], rb[k]
            for j in range(length):
                r_row[j] = g_row[j] - exp(o_row[j]) * total[j] if log else \
                    o_row[j] * (g_row[j] - total[j])


def _as_columns(a, dim):
    """a contiguous, viewed as (before dim, along dim, after dim)."""
    d = dim % a.ndim
    return np.ascontiguousarray(a).reshape(math.prod(a.shape[:d]), a.shape[d],
                                           math.prod(a.shape[d + 1:]))


def _columns(x, dim, log):
    cols = _as_columns(x, dim)
    out = np.empty_like(cols)
    n, _, length = cols.shape
    sums = np.empty((n, length))
    _softmax_columns(cols, log, x.dtype.type(0), out, np.empty(length, dtype=x.dtype), sums)
    if log:
        out -= np.log(sums).astype(x.dtype)[:, None, :]
    else:
        out *= (1 / sums).astype(x.dtype)[:, None, :]
    return out.reshape(x.shape)


def _backward_along(g, out, dim, log):
    """The column kernel for a gradient along a dim that is not the last."""
    cols_g = _as_columns(g, dim)
    grad = np.empty_like(cols_g)
    length = cols_g.shape[2]
    _backward_columns(cols_g, _as_columns(out, dim), log, grad, np.empty(length),
                      np.empty(length, dtype=g.dtype))
    return grad.reshape(g.shape)


def _shifted(x, dim):
    """x - max along dim (a max of +-inf counts as 0, as in the kernel)."""
    m = x.max(axis=dim, keepdims=True)
    return x - np.where(np.isfinite(m), m, 0)


def softmax_reference(x, dim):
    """exp(x - m) / sum(exp(x - m)) along dim, m the maximum."""
    if x.ndim == 0:
        return np.ones_like(x)
    if not x.size:
        return np.empty_like(x)
    e = np.exp(_shifted(x, dim))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax_reference(x, dim):
    """(x - m) - log(sum(exp(x - m))) along dim, m the maximum."""
    if x.ndim == 0:
        return np.zeros_like(x)
    if not x.size:
        return np.empty_like(x)
    z = _shifted(x, dim)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def _rows(x, log):
    """The kernel path, along the last axis."""
    rows = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
    if not _short_rows(rows):
        out = np.empty_like(rows)
        _softmax_rows(rows, log, x.dtype.type(0), out, np.empty(1, dtype=x.dtype))
        return out.reshape(x.shape)
    # many short rows (cross_entropy.SHORT_ROW): cross-entropy's steps - numpy's exp over the
    # whole block, the row sums, numpy's log of all of them at once - then x - max - log_s
    mx = np.empty(rows.shape[0], dtype=rows.dtype)
    _row_max(rows, mx)
    mx[~np.isfinite(mx)] = 0  # as in the kernel: a row of -inf gives NaN, not inf - inf
    e = _exp_of_shifted(rows, mx, np.zeros_like(mx))
    sums = np.empty(rows.shape[0])  # float64
    _row_sums(e, sums)
    if log:
        out = np.empty_like(rows)
        _shift_rows(rows, mx, np.log(sums).astype(x.dtype), out)
    else:
        out = np.multiply(e, (1 / sums).astype(x.dtype)[:, None], out=e)
    return out.reshape(x.shape)


def _dispatch(x, dim, log, reference):
    """The row kernel along the last axis, the column kernel along any other (float32 and
    float64); numpy everywhere when the references are switched on."""
    if reference_kernels_enabled() or not x.ndim or not x.size or \
            x.dtype not in (np.float32, np.float64):
        return reference(x, dim)
    return _rows(x, log) if dim % x.ndim == x.ndim - 1 else _columns(x, dim, log)


def softmax(x, dim):
    return _dispatch(x, dim, False, softmax_reference)


def log_softmax(x, dim):
    return _dispatch(x, dim, True, log_softmax_reference)

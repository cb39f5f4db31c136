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
take exp(x - m) from numpy's exp over the whole block instead (`_normalize_rows`), as
cross-entropy's do. Along any other axis (the channels of an (N, C, H, W) segmentation
map) the numpy expression itself is faster: its reductions run over the contiguous inner
axes with SIMD, where moving the axis last would copy the input and give short rows
(benchmarks/bench_kernels.py). `softmax_reference` / `log_softmax_reference` are the numpy
expressions, run instead when `reference_kernels_enabled()`.
"""
import numpy as np

from . import reference_kernels_enabled
from .cross_entropy import _exp_of_shifted, _row_max, _short_rows
from .threading_policy import jit
from .vector_math import exp, row_max


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
def _normalize_rows(x, mx, e, log, out, scalar):
    """`_softmax_rows` with the maxima mx and e = exp(x - mx) made beforehand (short rows,
    cross_entropy.SHORT_ROW)."""
    n, c = x.shape
    for i in range(n):
        row, e_row, o = x[i], e[i], out[i]
        m = mx[i]
        s = 0.0
        for j in range(c):
            s += e_row[j]
            o[j] = (row[j] - m) if log else e_row[j]
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


def softmax_backward(g, out, dim):
    """softmax_backward_reference's formula; one kernel pass per row along the last axis."""
    if reference_kernels_enabled() or not _kernel_pays(out, dim) or g.shape != out.shape or \
            g.dtype != out.dtype or out.dtype not in (np.float32, np.float64):
        return softmax_backward_reference(g, out, dim)
    c = out.shape[-1]
    rows_g = np.ascontiguousarray(g).reshape(-1, c)
    grad = np.empty(rows_g.shape, dtype=out.dtype)
    _softmax_backward_rows(rows_g, np.ascontiguousarray(out).reshape(-1, c), grad,
                           np.empty(1, dtype=out.dtype))
    return grad.reshape(out.shape)


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


def log_softmax_backward(g, out, dim):
    """log_softmax_backward_reference's formula; one kernel pass per row along the last axis
    (faster than numpy's four passes at every size timed, short rows too)."""
    if reference_kernels_enabled() or not out.ndim or dim % out.ndim != out.ndim - 1 or \
            g.shape != out.shape or g.dtype != out.dtype or \
            out.dtype not in (np.float32, np.float64) or not out.size:
        return log_softmax_backward_reference(g, out, dim)
    c = out.shape[-1]
    rows_g = np.ascontiguousarray(g).reshape(-1, c)
    grad = np.empty(rows_g.shape, dtype=out.dtype)
    _log_softmax_backward_rows(rows_g, np.ascontiguousarray(out).reshape(-1, c), grad,
                               np.empty(1, dtype=out.dtype))
    return grad.reshape(out.shape)


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
    out, scalar = np.empty_like(rows), np.empty(1, dtype=x.dtype)
    if _short_rows(rows):  # exp over the whole block first (cross_entropy.SHORT_ROW)
        mx = np.empty(rows.shape[0], dtype=rows.dtype)
        _row_max(rows, mx)
        mx[~np.isfinite(mx)] = 0  # as in the kernel: a row of -inf gives NaN, not inf - inf
        _normalize_rows(rows, mx, _exp_of_shifted(rows, mx, np.zeros_like(mx)), log, out,
                        scalar)
    else:
        _softmax_rows(rows, log, x.dtype.type(0), out, scalar)
    return out.reshape(x.shape)


# softmax_backward's kernel from this many elements on; below, the numpy expression
KERNEL_MIN = 8192


def _kernel_pays(x, dim):
    return x.size >= KERNEL_MIN and dim % x.ndim == x.ndim - 1


def _dispatch(x, dim, log, reference):
    """The row kernel along the last axis (float32 and float64), numpy along the others and
    everywhere when the references are switched on."""
    if reference_kernels_enabled() or not x.ndim or not x.size or \
            dim % x.ndim != x.ndim - 1 or x.dtype not in (np.float32, np.float64):
        return reference(x, dim)
    return _rows(x, log)


def softmax(x, dim):
    return _dispatch(x, dim, False, softmax_reference)


def log_softmax(x, dim):
    return _dispatch(x, dim, True, log_softmax_reference)

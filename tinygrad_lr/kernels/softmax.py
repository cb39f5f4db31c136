"""Fused, numerically stable softmax / log-softmax rows.

Both are computed in shift-invariant form: with m the row maximum,

    log_softmax(x)_j = (x_j - m) - log(sum_k exp(x_k - m))
    softmax(x)_j     = exp(x_j - m) / sum_k exp(x_k - m)

so a common offset of the logits (1e4, 1e30) changes nothing: it cancels in x - m before
anything is rounded. (Writing x - (m + log sum) instead loses the log-sum term once m is
large.) numpy needs five passes and three temporaries for this (max, subtract, exp, sum,
divide). Here numpy does what it is best at - the subtraction and exp over the whole block,
with SIMD, where a Numba loop would call scalar libm exp per element (many times slower
than numpy on long rows; benchmarks/README.md), and the row maxima - and one Numba pass
per row, in cache, does the float64 sum and the normalisation. Rows are the last axis.
Along any other axis (the channels of an (N, C, H, W) segmentation map) the numpy
expression itself is faster: its reductions run over the contiguous inner axes with SIMD,
where moving the axis last would copy the input and give short rows
(benchmarks/bench_kernels.py). Small inputs (a teaching classifier's logits) take one
Numba call for everything instead (`_small_rows`). `softmax_reference` /
`log_softmax_reference` are the numpy expressions, run instead when
`reference_kernels_enabled()`.
"""
import numpy as np

from . import reference_kernels_enabled
from .cross_entropy import _row_max, _shift_rows
from .threading_policy import jit

KERNEL_MIN = 8192  # elements; smaller inputs run the numpy expression (see above)


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
def _normalize_rows(z, e, log, scalar):
    """From z = x - max and e = exp(z), per row with s = sum(e) (a float64 sum): in place,
    z becomes z - log(s) (log) or e becomes e / s. `scalar` (one element of z's dtype)
    carries log(s) or 1/s, so the loop over the row stays in that dtype."""
    n, c = z.shape
    for i in range(n):
        e_row = e[i]
        s = 0.0
        for j in range(c):
            s += e_row[j]
        _normalize_row(z[i] if log else e_row, s, log, scalar)


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


def _rows(x, dim, log):
    """The kernel path, along the last axis (dim)."""
    moved = np.moveaxis(x, dim, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])
    # the row maxima and x - max with cross-entropy's row kernels: numpy's max and
    # broadcast subtraction over short rows (attention's 50) cost twice as much
    mx = np.empty(rows.shape[0], dtype=rows.dtype)
    _row_max(rows, mx)
    if not np.isfinite(mx).all():  # a row of -inf (or with +inf): no inf - inf = NaN
        mx[~np.isfinite(mx)] = 0
    z = np.empty_like(rows)
    _shift_rows(rows, mx, np.zeros_like(mx), z)  # (x - max) - 0: exact
    e = np.exp(z) if log else np.exp(z, out=z)  # softmax needs no z after this
    _normalize_rows(z, e, log, np.empty(1, dtype=z.dtype))
    return np.moveaxis((z if log else e).reshape(moved.shape), -1, dim)


@jit(fastmath={"reassoc", "contract"})
def _small_rows(x, log, zero, out, scalar):
    """The whole of each row in one call, libm's exp in the loop: for small inputs
    (SMALL_LOOP_MAX), where numpy's eight calls cost more than their arithmetic. The same
    steps as the reference (a non-finite maximum counts as `zero`), the sum in float64, the
    normalisation _normalize_rows' own."""
    n, c = x.shape
    for i in range(n):
        row, o = x[i], out[i]
        m = row[0]
        for j in range(1, c):
            if row[j] > m:
                m = row[j]
        if not np.isfinite(m):
            m = zero
        s = 0.0
        for j in range(c):
            z = row[j] - m
            e = np.exp(z)
            s += e
            o[j] = z if log else e
        _normalize_row(o, s, log, scalar)


# Up to this many elements (along the last axis) the one call above is 2-4x faster than
# numpy's expression (a classifier's (64, 10) logits: 17 -> 4-7 us); from ~4096 on numpy's
# SIMD exp wins (benchmarks/bench_kernels.py). Its values are within a few ulp of it.
SMALL_LOOP_MAX = 2048


def _kernel_pays(x, dim):
    return x.size >= KERNEL_MIN and dim % x.ndim == x.ndim - 1


def _small_loop_pays(x, dim):
    return x.ndim and 0 < x.size <= SMALL_LOOP_MAX and dim % x.ndim == x.ndim - 1 and \
        x.dtype in (np.float32, np.float64)


def _small(x, log):
    rows = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
    out = np.empty_like(rows)
    _small_rows(rows, log, x.dtype.type(0), out, np.empty(1, dtype=x.dtype))
    return out.reshape(x.shape)


def _dispatch(x, dim, log, reference):
    """The row kernels for large inputs, the one loop for small ones, numpy between (and
    everywhere when the references are switched on)."""
    if not reference_kernels_enabled():
        if _kernel_pays(x, dim):
            return _rows(x, dim, log)
        if _small_loop_pays(x, dim):
            return _small(x, log)
    return reference(x, dim)


def softmax(x, dim):
    return _dispatch(x, dim, False, softmax_reference)


def log_softmax(x, dim):
    return _dispatch(x, dim, True, log_softmax_reference)

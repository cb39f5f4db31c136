"""Fused, numerically stable softmax / log-softmax rows.

numpy needs five passes and three temporaries (max, subtract, exp, sum, divide); the
kernel does one row at a time in cache. It is serial on purpose: the rows of a training
batch are short, and a parallel region's spinning threads slow the next BLAS matmul.
Rows are the last axis;
other axes are moved there first.
"""
import numba
import numpy as np


@numba.njit(cache=True)
def _softmax_rows(x, out, log):
    n, m = x.shape
    for i in range(n):
        mx = -np.inf
        for j in range(m):
            if x[i, j] > mx:
                mx = x[i, j]
        if not np.isfinite(mx):
            mx = 0.0  # an all -inf row: keep -inf/0 rather than NaN from inf - inf
        s = 0.0
        for j in range(m):
            s += np.exp(x[i, j] - mx)
        if log:
            ls = np.log(s)
            for j in range(m):
                out[i, j] = (x[i, j] - mx) - ls  # not x - (mx + ls): that cancels near 0
        else:
            inv = 1.0 / s
            for j in range(m):
                out[i, j] = np.exp(x[i, j] - mx) * inv


def _rows(x, dim, log):
    if x.ndim == 0:
        return np.zeros_like(x) if log else np.ones_like(x)
    moved = np.moveaxis(x, dim, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1]) if moved.size else None
    if rows is None:
        return np.empty_like(x)
    out = np.empty_like(rows)
    _softmax_rows(rows, out, log)
    return np.moveaxis(out.reshape(moved.shape), -1, dim)


def softmax(x, dim):
    return _rows(x, dim, False)


def log_softmax(x, dim):
    return _rows(x, dim, True)

"""Cumulative sums along an axis, which numpy's generic accumulate loop runs element by
element (several nanoseconds each, tens along a leading axis; benchmarks/bench_kernels.py).

The array is viewed as (outer, n, inner) with the summed axis in the middle: each step adds
the previous partial sums, a whole contiguous `inner` block at a time, so the loop
vectorizes whenever inner > 1. Along the last axis (inner == 1) one running sum is a chain
of dependent additions, so the rows are transposed first and summed side by side as a
leading axis. The additions happen in numpy's order (out[j] = out[j - 1] + x[j]), so the
values are numpy's exactly. `cumsum_reference` is np.cumsum.
"""
import math

import numpy as np

from . import reference_kernels_enabled
from .threading_policy import jit


@jit
def _cumsum_blocks(x, out):
    outer, n, inner = x.shape
    for o in range(outer):
        prev, row = out[o, 0], x[o, 0]
        for k in range(inner):
            prev[k] = row[k]
        for j in range(1, n):
            cur, row = out[o, j], x[o, j]
            for k in range(inner):
                cur[k] = prev[k] + row[k]
            prev = cur


def cumsum_reference(x: np.ndarray, axis: int) -> np.ndarray:
    return np.cumsum(x, axis=axis)


def cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    """The running sums of x along axis (x of at least one dim), dtype kept for floats."""
    if reference_kernels_enabled() or x.dtype not in (np.float32, np.float64) or not x.size:
        return cumsum_reference(x, axis)
    axis %= x.ndim
    outer, n, inner = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1:])
    if inner == 1 and outer > 1:  # the last axis: the rows side by side, then back
        rows = np.ascontiguousarray(x.reshape(outer, n).T).reshape(1, n, outer)
        out = np.empty_like(rows)
        _cumsum_blocks(rows, out)
        return np.ascontiguousarray(out.reshape(n, outer).T).reshape(x.shape)
    blocks = np.ascontiguousarray(x).reshape(outer, n, inner)
    out = np.empty_like(blocks)
    _cumsum_blocks(blocks, out)
    return out.reshape(x.shape)

"""Sums of float arrays over some of their axes, in one vectorized pass.

numpy's `np.sum(x, axis=...)` over part of an array runs its generic reduction loop, which
is 3-6x slower than one pass that adds whole rows with SIMD: a sum over the last axis
adds one row at a time through numpy's pairwise steps, and a sum over a leading axis
(every bias gradient, `g.sum(0)`) adds element by element (benchmarks/bench_kernels.py).

The summed axes of a contiguous array, when they are one run of neighbouring axes, view
it as (outer, n, inner) with the run merged into n. Then
- inner == 1 (the run is at the end: `x.sum(-1)`, `x.mean((2, 3))`): each row of n values
  is added in blocks of BLOCK, in the array's dtype (the loop vectorizes: LLVM keeps
  several partial sums side by side), and the block sums are added in float64;
- inner > 1 (`g.sum(0)`, the middle axis of three): the n rows of each outer block are
  added elementwise, a whole contiguous row of `inner` values at a time, again BLOCK rows
  in the array's dtype and the partial sums in float64.
So no sum carries more than BLOCK terms in float32 (numpy's column sums carry all n), and
the results agree with numpy's to float rounding, not bit for bit. Axes that are not one
run (`x.sum((0, 2))`) are summed one run at a time, the outermost first.
`sum_axes_reference` is np.sum. `squared_difference_sum` is the MSE loss's sum of squared
differences in the same blocks, without numpy's two temporaries.
"""
import math

import numpy as np

from . import reference_kernels_enabled
from .threading_policy import jit

# Terms per float32 (or float64) partial sum before it is added into the float64 total.
BLOCK = 1024
# Columns summed side by side by _sum_middle (4 KB of float32 partial sums: in L1).
TILE = 1024
# Below this many elements numpy's call is as fast as the kernel's dispatch.
SUM_MIN = 1024


@jit(fastmath={"reassoc"})
def _sum_rows(x, zero, out):
    """out[i] = sum of row x[i]; `zero` is a 0 of x's dtype (the blocks' accumulator)."""
    m, n = x.shape
    for i in range(m):
        total = 0.0
        for start in range(0, n, BLOCK):
            # a block as its own view, indexed from 0: with `range(start, stop)` Numba's
            # negative-index check on every k kept LLVM from vectorizing (12x slower)
            block = x[i, start:start + BLOCK]
            s = zero
            for k in range(block.shape[0]):
                s += block[k]
            total += s
        out[i] = total


@jit(fastmath={"reassoc"})
def _sum_middle(x, block, total, out):
    """out[o] = sum over j of x[o, j] (rows of `inner` values), TILE columns at a time so
    that the partial sums stay in L1; `block` (x's dtype) and `total` (float64) are
    scratch rows of TILE values."""
    outer, n, inner = x.shape
    for o in range(outer):
        for t0 in range(0, inner, TILE):
            width = min(TILE, inner - t0)
            total[:] = 0.0
            for start in range(0, n, BLOCK):
                block[:] = 0.0
                for j in range(start, min(n, start + BLOCK)):
                    row = x[o, j, t0:t0 + width]
                    for k in range(width):
                        block[k] += row[k]
                for k in range(width):
                    total[k] += block[k]
            dest = out[o, t0:t0 + width]
            for k in range(width):
                dest[k] = total[k]


@jit(fastmath={"reassoc"})
def _squared_difference_sum(x, y, zero):
    """sum of (x - y)^2 over two flat arrays, in BLOCK-term partial sums of x's dtype."""
    n = x.shape[0]
    total = 0.0
    for start in range(0, n, BLOCK):
        a, b = x[start:start + BLOCK], y[start:start + BLOCK]  # views from 0, as above
        s = zero
        for k in range(a.shape[0]):
            d = a[k] - b[k]
            s += d * d
        total += s
    return total


def squared_difference_sum_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    diff = x - y
    return np.sum(diff * diff)


def squared_difference_sum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum((x - y)^2) as a 0-d array of x's dtype (the MSE loss's sum): one pass, no
    temporaries, for x and y of one shape and float dtype; numpy otherwise."""
    if (reference_kernels_enabled() or x.shape != y.shape or x.dtype != y.dtype
            or x.dtype not in (np.float32, np.float64) or x.size < SUM_MIN):
        return np.asarray(squared_difference_sum_reference(x, y), dtype=np.result_type(x, y))
    total = _squared_difference_sum(np.ascontiguousarray(x).reshape(-1),
                                    np.ascontiguousarray(y).reshape(-1), x.dtype.type(0))
    return np.asarray(total, dtype=x.dtype)


def sum_axes_reference(x: np.ndarray, axes: tuple[int, ...], keepdims: bool = False):
    return x.sum(axis=axes, keepdims=keepdims)  # np.sum adds a Python wrapper: a small sum x2


def _runs(axes):
    """Sorted axes -> runs of neighbours, [(first, stop), ...], outermost run first."""
    runs: list[list[int]] = []
    for a in axes:
        if runs and runs[-1][1] == a:
            runs[-1][1] = a + 1
        else:
            runs.append([a, a + 1])
    return [(first, stop) for first, stop in runs]


def _sum_run(x, first, stop):
    """x summed over its axes first..stop-1 (those axes dropped); x is contiguous."""
    shape = x.shape
    outer, n, inner = math.prod(shape[:first]), math.prod(shape[first:stop]), \
        math.prod(shape[stop:])
    kept = shape[:first] + shape[stop:]
    if inner == 1:
        out = np.empty(outer, dtype=x.dtype)
        _sum_rows(x.reshape(outer, n), x.dtype.type(0), out)
    else:
        out = np.empty((outer, inner), dtype=x.dtype)
        width = min(TILE, inner)
        _sum_middle(x.reshape(outer, n, inner), np.empty(width, dtype=x.dtype),
                    np.empty(width, dtype=np.float64), out)
    return out.reshape(kept)


def sum_axes(x: np.ndarray, axes: tuple[int, ...], keepdims: bool = False) -> np.ndarray:
    """np.sum(x, axis=axes, keepdims=keepdims) for sorted non-negative `axes`: the kernels
    for a float32/float64 array of at least SUM_MIN elements, numpy otherwise."""
    if (reference_kernels_enabled() or x.dtype not in (np.float32, np.float64)
            or x.size < SUM_MIN or not axes):
        return sum_axes_reference(x, axes, keepdims)
    out, removed = np.ascontiguousarray(x), 0
    for first, stop in _runs(axes):
        # outermost first: (0, 2, 3) of (N, C, H, W) adds whole samples (long rows) before
        # the short rows of H*W; the runs after it move down by the axes it removed
        out = _sum_run(out, first - removed, stop - removed)
        removed += stop - first
    if keepdims:
        out = out.reshape(tuple(1 if d in axes else s for d, s in enumerate(x.shape)))
    return out

"""Orders along an axis: the stable sort order (PyTorch's rules for NaN and ties), and the
k largest or smallest elements without sorting everything (topk).

PyTorch treats NaN as larger than every number: last in an ascending order, first in a
descending one. Equal elements keep their index order (a stable sort), so the k largest of
a row with ties are the ones that come first.

`topk_indices` scans each row once and keeps its k best elements in order in a small
buffer: a new element goes in only if it beats the worst kept one, so most elements cost a
single comparison. The stable sort of the whole row (`sort_order`, then its first k) does
n log n work and numpy's stable argsort is slow on floats: the scan is many times faster
for the small k of a top-5 accuracy or a beam (benchmarks/bench_kernels.py). Beyond
TOPK_SCAN_MAX a sort is cheaper than shifting the buffer. `topk_indices_reference` is the
sort's first k.
"""
import numpy as np

from . import reference_kernels_enabled
from .threading_policy import jit

# Above this k the buffer's insertions (up to k moves each) cost more than a sort.
TOPK_SCAN_MAX = 64


def sort_order(x: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """The indices that sort x along axis (stable: ties keep their index order), int64.

    Descending sorts a key that reverses the order: ~x for integers and bools (exact, no
    overflow), -x for floats; NaN, last in numpy's ascending order, must come first in a
    descending one, so a row with NaN sorts on (not NaN, -x)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64)
    if x.dtype.kind in "biu":
        return np.argsort(~x, axis=axis, kind="stable").astype(np.int64)
    nan = np.isnan(x)
    if nan.any():
        return np.lexsort((-x, ~nan), axis=axis).astype(np.int64)
    return np.argsort(-x, axis=axis, kind="stable").astype(np.int64)


def median_index_reference(x: np.ndarray, axis: int) -> np.ndarray:
    """The index of the lower median along axis (kept as a size-1 axis): the middle element,
    (n - 1) // 2, of the stable ascending order (NaN last)."""
    return np.take(sort_order(x, axis), [(x.shape[axis] - 1) // 2], axis=axis)


# From this many elements along the axis a selection beats the stable sort (2-4x at 64 to
# 1000 elements; benchmarks/bench_kernels.py); below, its eight numpy calls cost more.
MEDIAN_SELECT_MIN = 32


def median_index(x: np.ndarray, axis: int) -> np.ndarray:
    """median_index_reference without sorting everything: np.partition finds the median
    value m (numpy's order too puts NaN last), and the stable order's middle element is the
    (middle - #elements below m)-th occurrence of m in index order."""
    n = x.shape[axis]
    if reference_kernels_enabled() or n < MEDIAN_SELECT_MIN or x.dtype.kind not in "fiu":
        return median_index_reference(x, axis)
    middle = (n - 1) // 2
    m = np.take(np.partition(x, middle, axis=axis), [middle], axis=axis)
    below = (x < m).sum(axis=axis, keepdims=True)
    equal = x == m
    if x.dtype.kind == "f" and np.isnan(m).any():  # rows at least half NaN: m is NaN, and
        nan, nan_m = np.isnan(x), np.isnan(m)      # the middle is among the NaN
        below = np.where(nan_m, (~nan).sum(axis=axis, keepdims=True), below)
        equal |= nan & nan_m
    occurrence = np.cumsum(equal, axis=axis)  # 1, 2, ... along the equal elements
    return np.argmax(equal & (occurrence == middle - below + 1), axis=axis,
                     keepdims=True).astype(np.int64)


@jit
def _before(a, b, largest):
    """a comes strictly before b in the order (NaN counts as the largest value)."""
    if largest:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@jit
def _topk_rows(x, k, largest, values, indices):
    m, n = x.shape
    for r in range(m):
        row, kept, kept_at = x[r], values[r], indices[r]
        count = 0
        for i in range(n):
            v = row[i]
            if count < k:
                pos = count
                count += 1
            elif _before(v, kept[k - 1], largest):
                pos = k - 1  # v takes the worst kept element's place ...
            else:
                continue
            while pos > 0 and _before(v, kept[pos - 1], largest):  # ... and moves up
                kept[pos], kept_at[pos] = kept[pos - 1], kept_at[pos - 1]
                pos -= 1
            kept[pos], kept_at[pos] = v, i


def topk_indices_reference(x: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    """The first k of the stable order along axis (descending for the largest)."""
    order = sort_order(x, axis, descending=largest)
    return np.take(order, np.arange(k), axis=axis)


_KERNEL_DTYPES = (np.float32, np.float64, np.int32, np.int64)


def topk_indices(x: np.ndarray, k: int, axis: int, largest: bool = True) -> np.ndarray:
    """Indices (int64) of the k largest (or smallest) elements along axis, best first, ties
    in index order, NaN the largest value: the same as topk_indices_reference."""
    if reference_kernels_enabled() or not 0 < k <= TOPK_SCAN_MAX or \
            x.dtype not in _KERNEL_DTYPES or x.ndim == 0:
        return topk_indices_reference(x, k, axis, largest)  # (k == 0: nothing to scan)
    rows = np.ascontiguousarray(np.moveaxis(x, axis, -1))
    lead = rows.shape[:-1]
    rows = rows.reshape(-1, rows.shape[-1])
    values = np.empty((rows.shape[0], k), dtype=x.dtype)
    indices = np.empty((rows.shape[0], k), dtype=np.int64)
    _topk_rows(rows, k, largest, values, indices)
    return np.moveaxis(indices.reshape(lead + (k,)), -1, axis)

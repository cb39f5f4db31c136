"""Datasets: anything with `len()` and `dataset[i]`, and ways to split one."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import random as _random
from ..random import Generator
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """Base class: subclass it and define `__len__` and `__getitem__(i)` (one sample)."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension: `ds[i] == (X[i], y[i])`.

    A DataLoader over a TensorDataset takes whole batches by indexing each tensor with an
    array of row numbers (one numpy call per tensor, no Python loop over samples).
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is a scalar; every tensor "
                                 "needs a first dimension (the samples)")
        lengths = [t.shape[0] for t in tensors]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same length (first "
                             f"dimension), got lengths {lengths}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor._make(t._data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _arrays(self):
        """(arrays, row numbers) for the DataLoader's batch fast path."""
        return [t._data for t in self.tensors], None


class Subset(Dataset):
    """The samples of `dataset` at positions `indices`."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[self.indices[np.asarray(index)]]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def _arrays(self):
        inner = getattr(self.dataset, "_arrays", None)
        if inner is None:
            return None
        arrays, rows = inner()
        return arrays, (self.indices if rows is None else rows[self.indices])


def _split_lengths(lengths, n):
    lengths = list(lengths)
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must not be negative, got {lengths}")
    if all(isinstance(x, (float, np.floating)) and 0 <= x <= 1 for x in lengths) and \
            math.isclose(sum(lengths), 1.0, abs_tol=1e-9):
        # fractions: floor each part, then hand out the remainder one by one (as PyTorch)
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if any(not float(x).is_integer() for x in lengths):
        raise ValueError(f"random_split: lengths must be whole numbers that add up to the "
                         f"dataset's length ({n}) or fractions that add up to 1, got {lengths}")
    counts = [int(x) for x in lengths]
    if sum(counts) != n:
        raise ValueError(f"random_split: lengths {counts} add up to {sum(counts)}, but the "
                         f"dataset has {n} samples")
    return counts


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None, *, seed: int | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    `lengths` are sample counts adding up to len(dataset), or fractions adding up to 1
    (e.g. `[0.8, 0.2]`). `seed` (or a tl.Generator, PyTorch's way) makes the split
    repeatable; without either the split draws from the global generator (`tl.manual_seed`).
    """
    n = len(dataset)
    counts = _split_lengths(lengths, n)
    if seed is not None and generator is not None:
        raise ValueError("random_split: give seed or generator, not both")
    rng = np.random.default_rng(seed) if seed is not None else \
        _random.numpy_generator(generator)
    order = rng.permutation(n)
    parts, start = [], 0
    for c in counts:
        parts.append(Subset(dataset, order[start:start + c]))
        start += c
    return parts

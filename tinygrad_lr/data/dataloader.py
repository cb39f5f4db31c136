"""DataLoader: iterate over a dataset in (optionally shuffled) mini-batches."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .. import random as _random
from ..random import Generator
from ..tensor import Tensor
from .dataset import Dataset

__all__ = ["DataLoader", "default_collate", "CollateError", "UnbatchableSample"]

_HINT = ("every sample of a batch must have the same structure and shapes (pad or crop "
         "them, use batch_size=1, or pass a collate_fn)")


class CollateError(ValueError):
    """Samples that cannot be stacked into one batch. `sample` is the position in the
    batch of the offending sample (compared with the batch's first sample, position 0)."""

    def __init__(self, sample, field, problem, message=None) -> None:
        self.sample, self.field, self.problem = sample, field, problem
        super().__init__(message or "default_collate: " + self.describe(f"sample {sample}",
                                                                         "sample 0"))

    def describe(self, this, first):
        where = f", field {self.field}" if self.field else ""
        return f"cannot batch {this} with {first}{where}: {self.problem}; {_HINT}"


class UnbatchableSample(CollateError, TypeError):
    """A sample (or field) of a type that cannot go into a batch at all."""

    def describe(self, this, first):
        where = f", field {self.field}" if self.field else ""
        return (f"cannot batch {this}{where}: {self.problem}; a batch can hold tensors, numpy "
                "arrays of numbers, numbers, strings, and tuples/lists/dicts of them (pass a "
                "collate_fn for anything else)")


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into one batch: tensors, arrays and numbers are stacked
    along a new first dimension, tuples/lists and dicts are collated field by field,
    strings are kept as a list (as PyTorch's default_collate does)."""
    if not samples:
        raise ValueError("default_collate: got an empty list of samples")
    return _collate(samples, "")


def _kind(x):
    if isinstance(x, (tuple, list)):
        return "sequence"
    if isinstance(x, dict):
        return "dict"
    if isinstance(x, (str, bytes)):
        return "string"
    if isinstance(x, (Tensor, np.ndarray, np.generic, int, float, bool)):
        return "array"
    return None


def _collate(samples, field):
    first = samples[0]
    kind = _kind(first)
    for i, s in enumerate(samples):
        k = _kind(s)
        if k is None:
            raise UnbatchableSample(i, field, f"it is a {type(s).__name__}")
        if k != kind:
            raise CollateError(i, field, f"a {type(s).__name__} where the first sample has "
                                         f"a {type(first).__name__}")
    if kind == "sequence":
        for i, s in enumerate(samples):
            if len(s) != len(first):
                raise CollateError(i, field, f"{len(s)} fields where the first sample has "
                                             f"{len(first)}")
        return type(first)(_collate([s[j] for s in samples], f"{field}[{j}]")
                           for j in range(len(first)))
    if kind == "dict":
        for i, s in enumerate(samples):
            if set(s) != set(first):
                raise CollateError(i, field, f"keys {sorted(map(str, s))} where the first "
                                             f"sample has {sorted(map(str, first))}")
        return {k: _collate([s[k] for s in samples], f"{field}[{k!r}]") for k in first}
    if kind == "string":
        return list(samples)
    arrays = [s._data if isinstance(s, Tensor) else np.asarray(s) for s in samples]
    for i, a in enumerate(arrays):
        if a.dtype.kind not in "biuf":
            raise UnbatchableSample(i, field, f"it is an array of dtype {a.dtype}")
        if a.shape != arrays[0].shape:
            raise CollateError(i, field, f"shape {a.shape} where the first sample has "
                                         f"{arrays[0].shape}")
    batch = np.stack(arrays)
    return Tensor._make(batch) if isinstance(first, Tensor) else Tensor(batch)


class DataLoader:
    """Mini-batches of `dataset`.

    - `len(loader)` is the number of batches: ceil(N / batch_size), or floor with
      `drop_last=True` (the last, smaller batch is dropped).
    - `shuffle=True` draws a new order every pass. The order comes from `generator` (a
      `tl.random.Generator`, as in PyTorch), or from a generator seeded with `seed`, or
      else from the default generator, so `tl.manual_seed(n)` makes it repeatable.
    - `state_dict()` / `load_state_dict()` save and restore where the loader is: between
      passes, the shuffle state (its own generator's; a loader on the default generator
      relies on `tl.get_rng_state`); inside a pass, also that pass's order and how many
      batches were taken, so that the next `iter(loader)` continues the pass where it
      stopped. This is what resumable training needs.
    - A TensorDataset (or a Subset of one) is batched by indexing its tensors with an
      array of row numbers: one numpy call per tensor and batch.
    - PyTorch's `num_workers`, `pin_memory` and `persistent_workers` are accepted so that
      PyTorch code runs unchanged; batches are always loaded in the main process (there
      are no worker processes) and there is no device memory to pin.
    """

    def __init__(self, dataset: Dataset | Sequence[Any], batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None,
                 generator: Generator | None = None, *, num_workers: int = 0,
                 pin_memory: bool = False, persistent_workers: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: the dataset must have __len__ and __getitem__ "
                            f"(a Dataset or TensorDataset), got {type(dataset).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function, got "
                            f"{type(collate_fn).__name__}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        if generator is not None and not isinstance(generator, _random.Generator):
            raise TypeError(f"DataLoader: generator must be a tinygrad_lr.random.Generator, "
                            f"got {type(generator).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an integer >= 0, got "
                             f"{num_workers!r}")
        self.num_workers, self.pin_memory = int(num_workers), bool(pin_memory)
        self.persistent_workers = bool(persistent_workers)
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.collate_fn = collate_fn or default_collate
        self.generator = generator if seed is None else _random.Generator().manual_seed(seed)
        # the running pass: {"order": indices, "done": batches taken}
        self._pass: dict[str, Any] | None = None
        # a pass restored by load_state_dict, taken by the next iter()
        self._resume: dict[str, Any] | None = None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator.numpy_generator if self.generator is not None \
            else _random.generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        if self._resume is not None:
            self._pass, self._resume = self._resume, None
        else:
            self._pass = {"order": self._order(), "done": 0}
        current = self._pass
        order = current["order"]
        fast = getattr(self.dataset, "_arrays", None)
        fast = fast() if fast is not None else None
        for b in range(current["done"], len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            if fast is not None:
                arrays, rows = fast
                if rows is not None:
                    idx = rows[idx]
                batch = tuple(Tensor._make(a[idx]) for a in arrays)
            else:
                batch = self._collate(b, idx)
            current["done"] = b + 1
            yield batch
        if self._pass is current:
            self._pass = None

    def _collate(self, b, idx):
        samples = [self.dataset[int(i)] for i in idx]
        try:
            return self.collate_fn(samples)
        except CollateError as e:
            if self.collate_fn is not default_collate:
                raise
            message = f"DataLoader: batch {b}: " + e.describe(f"dataset[{idx[e.sample]}]",
                                                               f"dataset[{idx[0]}]")
            raise type(e)(e.sample, e.field, e.problem, message) from None

    # ------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict[str, Any]:
        """Where the loader is: its generator's state (None when it draws from the default
        generator) and, inside a pass, the pass's order and the batches already taken."""
        inside = self._pass if self._pass is not None else self._resume
        return {"generator": self.generator.get_state() if self.generator is not None
                else None,
                "order": None if inside is None else inside["order"].copy(),
                "batches_done": 0 if inside is None else int(inside["done"])}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from `state_dict()`: the next iter() continues from there."""
        missing = {"generator", "order", "batches_done"} - set(state_dict)
        if missing:
            raise KeyError(f"DataLoader.load_state_dict: the state has no {sorted(missing)} "
                           "(it was not made by DataLoader.state_dict())")
        saved_generator, order = state_dict["generator"], state_dict["order"]
        if (saved_generator is None) != (self.generator is None):
            raise ValueError("DataLoader.load_state_dict: the state was saved by a loader "
                             + ("on the default generator, this one has its own (seed or "
                                "generator)" if saved_generator is None else
                                "with its own generator, this one uses the default one"))
        if order is not None:
            order = np.asarray(order._data if isinstance(order, Tensor) else order)
            if order.shape != (len(self.dataset),) or order.dtype.kind not in "iu":
                raise ValueError(f"DataLoader.load_state_dict: the saved pass orders "
                                 f"{order.shape} samples, the dataset has "
                                 f"{len(self.dataset)}")
            done = int(state_dict["batches_done"])
            if not 0 <= done <= len(self):
                raise ValueError(f"DataLoader.load_state_dict: {done} batches done, but a "
                                 f"pass has {len(self)}")
        if saved_generator is not None and self.generator is not None:  # both, checked above
            self.generator.set_state(saved_generator)
        self._pass = None
        self._resume = None if order is None else {"order": order.astype(np.int64),
                                                   "done": int(state_dict["batches_done"])}

    def __repr__(self) -> str:
        return (f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")

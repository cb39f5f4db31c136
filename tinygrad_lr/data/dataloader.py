"""DataLoader: iterate over a dataset in (optionally shuffled) mini-batches."""
import numpy as np

from .. import random as _random
from ..tensor import Tensor


def default_collate(samples):
    """Stack a list of samples into one batch: tensors/arrays/numbers are stacked along a
    new first dimension, tuples and dicts are collated field by field."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, Tensor):
        return Tensor._make(np.stack([s._data for s in samples]))
    return Tensor(np.stack([np.asarray(s) for s in samples]))


class DataLoader:
    """Mini-batches of `dataset`.

    - `len(loader)` is the number of batches: ceil(N / batch_size), or floor with
      `drop_last=True` (the last, smaller batch is dropped).
    - `shuffle=True` draws a new order every epoch. With `seed` the sequence of orders is
      repeatable for this loader; without it the orders come from the global generator,
      so `tl.manual_seed(n)` makes them repeatable. `generator=` (a tl.Generator, as
      PyTorch's) draws the orders from that generator instead.
    - A TensorDataset (or a Subset of one) is batched by indexing its tensors with an
      array of row numbers: one numpy call per tensor and batch.
    - PyTorch's `num_workers`, `pin_memory` and `persistent_workers` are accepted so that
      PyTorch code runs unchanged; batches are always loaded in the main process (there
      are no worker processes) and there is no device memory to pin.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 collate_fn=None, *, generator=None, num_workers=0, pin_memory=False,
                 persistent_workers=False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
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
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        self._rng = _random.numpy_generator(generator) if generator is not None else \
            np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self._rng if self._rng is not None else _random.generator()
        return rng.permutation(n)

    def __iter__(self):
        order = self._order()
        fast = getattr(self.dataset, "_arrays", None)
        fast = fast() if fast is not None else None
        for b in range(len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            if fast is not None:
                arrays, rows = fast
                if rows is not None:
                    idx = rows[idx]
                yield tuple(Tensor._make(a[idx]) for a in arrays)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])

    def __repr__(self):
        return (f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")

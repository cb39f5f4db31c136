"""Random numbers: one default generator, so `tl.manual_seed(n)` makes every random thing
repeatable (factories, nn.init, Dropout, DataLoader(shuffle=True), random_split).

As in PyTorch the default generator is one per process and shared by all threads. Draws
are safe from several threads at once: numpy's Generator holds its bit generator's lock
during every draw, and this module takes the same lock to read or replace the state, so
no two draws ever see the same state and a state is never read half-updated.

- `get_rng_state()` / `set_rng_state(state)` save and restore the default generator (the
  state is a uint8 Tensor, as PyTorch's, that `tl.save` can store): resumable training.
- `Generator` is a separate stream with PyTorch's methods (`manual_seed`, `get_state`,
  `set_state`, `initial_seed`), e.g. for `DataLoader(generator=g)`.
- `isolated_rng(seed)` gives the calling thread its own generator for a block, so that
  runs in threads of one process (a sweep on a thread pool) are each repeatable.
"""
from __future__ import annotations

import contextlib
import json
import operator
import threading
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from . import tensor as _tensor  # the module: tensor.py's random fills (uniform_, ...) use this one
from .devices import check_device

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["Generator", "default_generator", "generator", "get_rng_state", "initial_seed",
           "isolated_rng", "manual_seed", "numpy_generator", "seed", "set_rng_state"]


class Generator:
    """A stream of random numbers (PyTorch's `torch.Generator`, backed by numpy's PCG64).

    Without `manual_seed` it starts from fresh operating-system entropy.
    """

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device, "Generator(): device")
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from `seed`; returns the generator. As in PyTorch the seed is
        an integer in [-2**63, 2**64 - 1]; a negative one means 2**64 + seed."""
        self._initial_seed = _check_seed(seed)
        self._rng = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Restart from a fresh non-deterministic seed; returns that seed."""
        self._initial_seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        self._rng = np.random.default_rng(self._initial_seed)
        return self._initial_seed

    def initial_seed(self) -> int:
        """The seed the stream was last started from."""
        return self._initial_seed

    def get_state(self) -> Tensor:
        """The exact position in the stream, as a uint8 Tensor (for `set_state`, `tl.save`)."""
        bit_generator = self._rng.bit_generator
        with bit_generator.lock:
            state = bit_generator.state
        raw = json.dumps({"initial_seed": self._initial_seed, "bit_generator": state})
        return _tensor.Tensor(np.frombuffer(raw.encode("ascii"), dtype=np.uint8),
                              dtype=np.uint8)

    def set_state(self, new_state: Tensor) -> Generator:
        """Go back to a position saved by `get_state`; returns the generator."""
        saved = _decode_state(new_state)
        bit_generator = getattr(np.random, saved["bit_generator"]["bit_generator"])()
        try:
            bit_generator.state = saved["bit_generator"]
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"set_state: the state does not fit a "
                             f"{type(bit_generator).__name__} generator: {e}") from None
        self._rng = np.random.Generator(bit_generator)
        self._initial_seed = saved["initial_seed"]
        return self

    @property
    def numpy_generator(self) -> np.random.Generator:
        """The numpy Generator that draws the numbers (draw from this, never np.random)."""
        return self._rng

    def __repr__(self) -> str:
        return f"tinygrad_lr.Generator(initial_seed={self._initial_seed})"


def _check_seed(seed):
    if isinstance(seed, (float, np.floating)) and float(seed).is_integer():
        seed = int(seed)
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"manual_seed: seed must be an integer, got {type(seed).__name__} "
                        f"{seed!r}") from None
    if not -2 ** 63 <= value < 2 ** 64:
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64 - 1], got {value}")
    return value if value >= 0 else value + 2 ** 64  # two's complement, as torch


def _decode_state(state):
    array = state._data if isinstance(state, _tensor.Tensor) else state
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "iu" or array.ndim != 1:
        raise TypeError("set_rng_state: expected the uint8 Tensor that get_rng_state() "
                        f"returned, got {type(state).__name__}"
                        + (f" of dtype {array.dtype} and shape {array.shape}"
                           if isinstance(array, np.ndarray) else ""))
    if array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError("set_rng_state: this is not a state saved by get_rng_state() "
                         "(values outside 0..255)")
    try:
        saved = json.loads(array.astype(np.uint8).tobytes().decode("ascii"))
        name = saved["bit_generator"]["bit_generator"]
        int(saved["initial_seed"])  # must be present
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ValueError("set_rng_state: this is not a state saved by get_rng_state()") \
            from None
    if name not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        raise ValueError(f"set_rng_state: unknown bit generator {name!r} in the state")
    return saved


default_generator = Generator()


class _ThreadOverride(threading.local):
    generator: Generator | None = None  # set inside isolated_rng() for that thread only


_override = _ThreadOverride()


def _current():
    return _override.generator if _override.generator is not None else default_generator


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (inside `isolated_rng`, the thread's own); returns it."""
    return _current().manual_seed(seed)


def seed() -> int:
    """Seed the default generator non-deterministically; returns the seed."""
    return _current().seed()


def initial_seed() -> int:
    return _current().initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 Tensor (PyTorch's torch.get_rng_state)."""
    return _current().get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator to a state from `get_rng_state()`."""
    _current().set_state(new_state)


@contextlib.contextmanager
def isolated_rng(seed: int | None = None) -> Iterator[Generator]:
    """Inside the block, random draws *of this thread* come from a generator of their own,
    started from `seed` (None: the default generator's current state); other threads and
    the default generator are untouched. Yields that Generator."""
    own = Generator()
    if seed is None:
        own.set_state(default_generator.get_state())
    else:
        own.manual_seed(seed)
    previous, _override.generator = _override.generator, own
    try:
        yield own
    finally:
        _override.generator = previous


def generator() -> np.random.Generator:
    """The numpy Generator to draw from now (the default one, or this thread's own)."""
    return _current().numpy_generator


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The numpy Generator that a `generator=` argument means: the current default one for
    None (see `generator()`), else the given tl.Generator's."""
    if generator is None:
        return _current().numpy_generator
    if isinstance(generator, Generator):
        return generator.numpy_generator
    raise TypeError(f"generator must be a tl.Generator or None, got "
                    f"{type(generator).__name__}")

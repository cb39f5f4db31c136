"""One global random generator, so `tl.manual_seed(n)` makes every random thing repeatable:
factories, nn.init, Dropout and DataLoader(shuffle=True)."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    """The current global numpy Generator (draw from this, never from np.random)."""
    return _generator


class Generator:
    """A random generator of one's own, as torch.Generator: `g = tl.Generator().manual_seed(0)`
    then `tl.randn(3, generator=g)` draws from g and leaves the global generator alone."""

    def __init__(self, device="cpu"):
        from .devices import check_device

        check_device(device, "Generator(): device")
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh entropy; returns the new seed."""
        self.manual_seed(np.random.SeedSequence().entropy % 2**63)
        return self._seed

    def initial_seed(self):
        return self._seed

    @property
    def device(self):
        from .devices import CPU

        return CPU


def numpy_generator(generator=None):
    """The numpy Generator a `generator=` argument means: the global one for None."""
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator._rng
    raise TypeError(f"generator must be a tl.Generator or None, got "
                    f"{type(generator).__name__}")

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

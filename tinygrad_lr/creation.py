"""Tensor factories: tl.zeros, tl.randn, ... (PyTorch names and defaults: float32)."""
import numpy as np

from . import random as _random
from .tensor import Tensor, _shape_arg

_F32 = np.float32


def _new(data, requires_grad, dtype=None):
    if dtype is not None:
        data = data.astype(np.dtype(dtype), copy=False)
    return Tensor(data, requires_grad=requires_grad)


def _size(size):
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise ValueError(f"negative dimension in size {shape}")
    return shape


def zeros(*size, dtype=None, requires_grad=False):
    return _new(np.zeros(_size(size), dtype=dtype or _F32), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _new(np.ones(_size(size), dtype=dtype or _F32), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return _new(np.empty(_size(size), dtype=dtype or _F32), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = _F32 if isinstance(fill_value, float) else \
            (np.bool_ if isinstance(fill_value, bool) else np.int64)
    return _new(np.full(_size((size,) if isinstance(size, int) else (tuple(size),)),
                        fill_value, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _new(np.eye(n, m, dtype=dtype or _F32), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    is_float = any(isinstance(v, float) for v in (start, end, step))
    data = np.arange(start, end, step, dtype=dtype or (_F32 if is_float else np.int64))
    return _new(data, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _new(np.linspace(start, end, steps, dtype=dtype or _F32), requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    return _new(_random.generator().random(_size(size), dtype=np.float64).astype(dtype or _F32),
                requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    return _new(_random.generator().standard_normal(_size(size)).astype(dtype or _F32),
                requires_grad)


def randint(low, high=None, size=(1,), dtype=None):
    if isinstance(high, (tuple, list)):  # randint(high, size), as torch allows
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return Tensor(_random.generator().integers(low, high, size=_size((size,) if isinstance(size, int) else (tuple(size),))).astype(dtype or np.int64))


def randperm(n):
    return Tensor(_random.generator().permutation(n).astype(np.int64))


def _like(fn, t, dtype, requires_grad):
    return fn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _like(zeros, t, dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _like(ones, t, dtype, requires_grad)


def empty_like(t, dtype=None, requires_grad=False):
    return _like(empty, t, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    return _like(rand, t, dtype, requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    return _like(randn, t, dtype, requires_grad)


def from_numpy(array):
    """Wrap a numpy array without copying (its dtype is kept exactly)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    return Tensor._make(array)

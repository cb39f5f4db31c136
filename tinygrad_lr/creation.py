"""Tensor factories with PyTorch's signatures: `tl.zeros(2, 3, dtype=tl.float64)`, ...

Every factory takes PyTorch's keywords `dtype=`, `device=` (only the CPU) and
`requires_grad=`; random ones also `generator=` (a tl.Generator; the global generator,
seeded by tl.manual_seed, when None). Float factories make the default dtype
(`tl.get_default_dtype()`, float32 unless changed). Sizes and counts are checked first:
a negative or non-integer size, a range whose step points away from its end, a negative
number of steps raise an error naming the factory and the argument, where numpy would
return an empty array or fail with its own message.
"""
from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Sequence

import numpy as np
from numpy.typing import DTypeLike

from . import dtypes as _dtypes
from .devices import check_device
from .random import Generator, numpy_generator
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "scalar_tensor", "zeros", "ones", "empty", "full",
           "eye", "arange", "linspace", "logspace", "rand", "randn", "randint", "randperm",
           "normal", "bernoulli", "multinomial", "zeros_like", "ones_like", "empty_like",
           "full_like", "rand_like", "randn_like", "randint_like", "FloatTensor", "DoubleTensor",
           "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
           "BoolTensor"]


# ------------------------------------------------------------ argument checks
def _count(fn, what, value):
    """A non-negative integer (an int, a numpy integer or a one-element integer tensor)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}(): {what} must be an integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{fn}(): {what} must be an integer, got {type(value).__name__} "
                        f"{value!r}") from None
    if n < 0:
        raise ValueError(f"{fn}(): {what} must be non-negative, got {n}")
    return n


def _sizes(fn, size, size_kw=None, required=True):
    """The shape from `*size`: ints, or one tuple/list of ints (`zeros(2, 3)`,
    `zeros((2, 3))`), or the keyword form `zeros(size=(2, 3))` (`size_kw`). As in PyTorch
    the size is `required` (a 0-d tensor is zeros(()))."""
    if size_kw is not None:
        if size:
            raise TypeError(f"{fn}(): size given both positionally and as size=")
        size = (size_kw,)
    elif not size and required:
        raise TypeError(f"{fn}(): missing the size argument (for a 0-d tensor: {fn}(()))")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = []
    for s in size:
        if isinstance(s, (bool, np.bool_, tuple, list)):
            raise TypeError(f"{fn}(): size must be a tuple of ints, got {size!r}")
        try:
            n = operator.index(s)
        except TypeError:
            raise TypeError(f"{fn}(): size must be a tuple of ints, got {size!r} "
                            f"({type(s).__name__} {s!r} is not an integer)") from None
        if n < 0:
            raise ValueError(f"{fn}(): sizes must be non-negative, got {tuple(size)}")
        shape.append(n)
    return tuple(shape)


def _size_kw(fn, kwargs):
    """`size=` given as a keyword (`zeros(size=(2, 3))`); any other keyword is a mistake."""
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"{fn}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    return size


def _number(fn, what, value):
    """A real number (a Python or numpy number, or a one-element tensor)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"{fn}(): {what} must be a number or a one-element tensor, got "
                             f"a tensor of shape {value.shape}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}(): {what} must be a real number, got {type(value).__name__} "
                        f"{value!r}")
    return value


def _dtype(fn, dtype, default=None):
    dt = _dtypes.resolve_dtype(dtype, f"{fn}(): dtype")
    return default if dt is None else dt


def _float_dtype(fn, dtype):
    dt = _dtype(fn, dtype, _dtypes.get_default_dtype())
    if dt.kind != "f":
        raise TypeError(f"{fn}(): draws floating-point values; dtype {dt} is not a "
                        "floating-point dtype")
    return dt


def _finish(fn, array, device, requires_grad):
    """Wrap a freshly made array (no copy) after checking the device."""
    check_device(device, f"{fn}(): device")
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)  # refuses integer dtypes with a clear message
    return t


def _like_input(fn, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): input must be a Tensor, got {type(input).__name__}")
    return input


# ------------------------------------------------------------ constant fills
def zeros(*size: int | Sequence[int], dtype: DTypeLike | None = None, device: Any = None,
          requires_grad: bool = False, **size_kw: Any) -> Tensor:
    return _finish("zeros", np.zeros(_sizes("zeros", size, _size_kw("zeros", size_kw)),
                                     _dtype("zeros", dtype, _dtypes.get_default_dtype())),
                   device, requires_grad)


def ones(*size: int | Sequence[int], dtype: DTypeLike | None = None, device: Any = None,
         requires_grad: bool = False, **size_kw: Any) -> Tensor:
    return _finish("ones", np.ones(_sizes("ones", size, _size_kw("ones", size_kw)),
                                   _dtype("ones", dtype, _dtypes.get_default_dtype())),
                   device, requires_grad)


def empty(*size: int | Sequence[int], dtype: DTypeLike | None = None, device: Any = None,
          requires_grad: bool = False, **size_kw: Any) -> Tensor:
    """Uninitialised values, as in PyTorch: fill them before reading them."""
    return _finish("empty", np.empty(_sizes("empty", size, _size_kw("empty", size_kw)),
                                     _dtype("empty", dtype, _dtypes.get_default_dtype())),
                   device, requires_grad)


def _fill_dtype(value):
    """PyTorch's dtype for a fill value: bool, int64, or the default float dtype."""
    if isinstance(value, (bool, np.bool_)):
        return _dtypes.bool_
    if isinstance(value, numbers.Integral):
        return _dtypes.int64
    return _dtypes.get_default_dtype()


def full(size: int | Sequence[int], fill_value: float, *, dtype: DTypeLike | None = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape `size` (a tuple or list) filled with `fill_value`; its dtype is
    bool, int64 or the default float dtype by the value's type, unless given."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): size must be a tuple of ints, got {type(size).__name__} "
                        f"{size!r}")
    if isinstance(fill_value, Tensor) and fill_value.numel() == 1:
        dtype = fill_value.dtype if dtype is None else dtype
    value = _number("full", "fill_value", fill_value)
    dt = _dtype("full", dtype, _fill_dtype(value))
    _check_fits("full", dt, (value,))
    return _finish("full", np.full(_sizes("full", size, required=False), value, dtype=dt), device,
                   requires_grad)


def eye(n: int, m: int | None = None, *, dtype: DTypeLike | None = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m (n x n if m is None) identity matrix."""
    rows = _count("eye", "n", n)
    cols = rows if m is None else _count("eye", "m", m)
    return _finish("eye", np.eye(rows, cols, dtype=_dtype("eye", dtype,
                                                          _dtypes.get_default_dtype())),
                   device, requires_grad)


def scalar_tensor(s: float, *, dtype: DTypeLike | None = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding `s`, of the default float dtype unless `dtype` is given."""
    value = _number("scalar_tensor", "s", s)
    dt = _dtype("scalar_tensor", dtype, _dtypes.get_default_dtype())
    _check_fits("scalar_tensor", dt, (value,))
    return _finish("scalar_tensor", np.array(value, dtype=dt), device, requires_grad)


# ------------------------------------------------------------ ranges
def arange(start: float = 0, end: float | None = None, step: float = 1, *,
           dtype: DTypeLike | None = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """`arange(end)`, `arange(start, end)`, `arange(start, end, step)`: the values
    start, start + step, ... up to but excluding end. int64 when every bound is an integer,
    else the default float dtype. As in PyTorch, an integer dtype truncates the bounds to
    integers first, and the values are computed as start + i * step in float64 (no
    accumulated rounding)."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", what, v)
                        for what, v in (("start", start), ("end", end), ("step", step)))
    is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dt = _dtype("arange", dtype, _dtypes.int64 if is_int else _dtypes.get_default_dtype())
    if dt.kind == "b":
        raise TypeError("arange(): dtype bool is not supported (it has no ranges)")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ValueError(f"arange(): unsupported range {start} -> {end} (step {step}); "
                         "every bound must be finite")
    if dt.kind in "iu":
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ValueError("arange(): step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ValueError(f"arange(): upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step}): the step points away "
                         "from the end")
    if dt.kind in "iu":
        n = -(-(end - start) // step)
        data = start + step * np.arange(n, dtype=np.int64)
    else:
        n = math.ceil((end - start) / step)
        data = start + step * np.arange(n, dtype=np.float64)
    return _finish("arange", data.astype(dt, copy=False), device, requires_grad)


def _check_fits(fn, dt, values):
    """Integer dtypes: each value must be finite and in the dtype's range."""
    if dt.kind in "iu":
        info = np.iinfo(dt)
        for v in values:
            if not (math.isfinite(v) and info.min <= v <= info.max):
                raise ValueError(f"{fn}(): {v} cannot be converted to {dt} without overflow")


def linspace(start: float, end: float, steps: int, *, dtype: DTypeLike | None = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (default float dtype).
    Computed in float64, then rounded once to the dtype."""
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    n = _count("linspace", "steps (the number of values)", steps)
    dt = _dtype("linspace", dtype, _dtypes.get_default_dtype())
    _check_fits("linspace", dt, (start, end))
    if dt.kind in "iu":  # PyTorch truncates the ends to the integer dtype first
        start, end = int(start), int(end)
    return _finish("linspace", _evenly_spaced(start, end, n).astype(dt, copy=False), device,
                   requires_grad)


def _evenly_spaced(start, end, n):
    """PyTorch's linspace in float64: the first half counts up from start, the second half
    down from end, so both ends are exact (and integer dtypes truncate as PyTorch's do)."""
    if n == 1:
        return np.array([start], dtype=np.float64)
    i = np.arange(n, dtype=np.float64)
    step = (end - start) / (n - 1) if n > 1 else 0.0
    return np.where(i < n // 2, start + step * i, end - step * (n - 1 - i))


def logspace(start: float, end: float, steps: int, base: float = 10.0, *,
             dtype: DTypeLike | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    start, end = _number("logspace", "start", start), _number("logspace", "end", end)
    n = _count("logspace", "steps (the number of values)", steps)
    base = _number("logspace", "base", base)
    dt = _dtype("logspace", dtype, _dtypes.get_default_dtype())
    data = np.power(float(base), _evenly_spaced(start, end, n))
    return _finish("logspace", data.astype(dt, copy=False), device, requires_grad)


# ------------------------------------------------------------ random
def rand(*size: int | Sequence[int], generator: Generator | None = None,
         dtype: DTypeLike | None = None, device: Any = None, requires_grad: bool = False,
         **size_kw: Any) -> Tensor:
    """Uniform values in [0, 1)."""
    shape = _sizes("rand", size, _size_kw("rand", size_kw))
    dt = _float_dtype("rand", dtype)
    data = numpy_generator(generator).random(shape, dtype=np.float64).astype(dt)
    return _finish("rand", data, device, requires_grad)


def randn(*size: int | Sequence[int], generator: Generator | None = None,
          dtype: DTypeLike | None = None, device: Any = None, requires_grad: bool = False,
          **size_kw: Any) -> Tensor:
    """Standard normal values (mean 0, variance 1)."""
    shape = _sizes("randn", size, _size_kw("randn", size_kw))
    dt = _float_dtype("randn", dtype)
    data = numpy_generator(generator).standard_normal(shape).astype(dt)
    return _finish("randn", data, device, requires_grad)


def _int_bound(fn, what, value):
    if isinstance(value, Tensor):
        value = _number(fn, what, value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}(): {what} must be an integer, got {type(value).__name__} "
                        f"{value!r}")
    return int(value)


def _randint_array(fn, low, high, shape, dt, generator):
    low, high = _int_bound(fn, "low", low), _int_bound(fn, "high", high)
    if high <= low:
        raise ValueError(f"{fn}(): high ({high}) must be greater than low ({low})")
    if dt.kind == "b" and (low < 0 or high > 2):
        raise ValueError(f"{fn}(): bool values are 0 or 1; got the range [{low}, {high})")
    if dt.kind in "iu":
        _check_fits(fn, dt, (low, high - 1))
    return numpy_generator(generator).integers(low, high, size=shape).astype(dt)


def randint(low: int = 0, high: int | None = None, size: int | Sequence[int] | None = None, *,
            generator: Generator | None = None, dtype: DTypeLike | None = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high): `randint(high, size)` or `randint(low, high, size)`;
    int64 unless `dtype` is given."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None and size is not None:  # randint(high, size=...)
        low, high = 0, low
    if high is None or size is None:
        raise TypeError("randint(): give randint(high, size) or randint(low, high, size); "
                        "size (a tuple) is required")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): size must be a tuple of ints, got "
                        f"{type(size).__name__} {size!r}")
    dt = _dtype("randint", dtype, _dtypes.int64)
    data = _randint_array("randint", low, high, _sizes("randint", size), dt, generator)
    return _finish("randint", data, device, requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: DTypeLike | None = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless `dtype` is given)."""
    count = _count("randperm", "n", n)
    dt = _dtype("randperm", dtype, _dtypes.int64)
    if dt.kind in "iu":
        _check_fits("randperm", dt, (max(count - 1, 0),))
    data = numpy_generator(generator).permutation(count).astype(dt)
    return _finish("randperm", data, device, requires_grad)


def normal(mean: float | Tensor = 0.0, std: float | Tensor = 1.0,
           size: int | Sequence[int] | None = None, *, generator: Generator | None = None,
           dtype: DTypeLike | None = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples: `normal(mean, std, size)` with numbers, or `normal(mean, std)` where
    either is a tensor (one sample per element of their broadcast shape)."""
    rng = numpy_generator(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal(): size is only for number mean and std; with a tensor "
                            "the shape comes from mean and std")
        m = mean._data if isinstance(mean, Tensor) else _number("normal", "mean", mean)
        s = std._data if isinstance(std, Tensor) else _number("normal", "std", std)
        floats = [a.dtype for a in (m, s) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
        dt = _dtype("normal", dtype, floats[0] if floats else _dtypes.get_default_dtype())
        try:
            shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        except ValueError:
            raise ValueError(f"normal(): mean of shape {np.shape(m)} and std of shape "
                             f"{np.shape(s)} cannot be broadcast together") from None
    else:
        m, s = _number("normal", "mean", mean), _number("normal", "std", std)
        if size is None:
            raise TypeError("normal(): with number mean and std, give size (a tuple)")
        shape, dt = _sizes("normal", (size,)), _float_dtype("normal", dtype)
    if np.any(np.asarray(s) < 0):
        raise ValueError("normal(): std must be >= 0 (every element of it)")
    data = (m + s * rng.standard_normal(shape)).astype(dt)
    return _finish("normal", data, device, requires_grad)


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """0/1 samples, 1 with probability `input` (elementwise) or `p` for every element."""
    input = _like_input("bernoulli", input)
    if input.dtype.kind != "f":
        raise TypeError(f"bernoulli(): needs floating-point probabilities, got {input.dtype}")
    probs = input._data if p is None else np.full(input.shape, _number("bernoulli", "p", p))
    if probs.size and not (np.all(probs >= 0) and np.all(probs <= 1)):
        raise ValueError("bernoulli(): probabilities must be in [0, 1]")
    draws = numpy_generator(generator).random(input.shape)
    return Tensor._make((draws < probs).astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Indices drawn from each row of non-negative weights (a 1-D or 2-D tensor); without
    replacement a row cannot give more samples than it has nonzero weights."""
    input = _like_input("multinomial", input)
    if input.dtype.kind != "f":
        raise TypeError(f"multinomial(): needs floating-point weights, got {input.dtype}")
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial(): weights must be 1-D or 2-D, got shape {input.shape}")
    k = _count("multinomial", "num_samples", num_samples)
    if k == 0:
        raise ValueError("multinomial(): num_samples must be positive, got 0")
    rows = input._data.reshape(-1, input.shape[-1]).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise ValueError("multinomial(): weights contain inf, nan or a negative value")
    sums = rows.sum(axis=1)
    if np.any(sums <= 0):
        raise ValueError("multinomial(): a row's weights sum to 0 (no distribution)")
    if not replacement and np.any((rows > 0).sum(axis=1) < k):
        raise ValueError(f"multinomial(): cannot draw {k} samples without replacement from a "
                         "row with fewer nonzero weights")
    rng = numpy_generator(generator)
    out = np.stack([rng.choice(rows.shape[1], size=k, replace=bool(replacement), p=r / t)
                    for r, t in zip(rows, sums)])
    return Tensor._make(out.reshape(input.shape[:-1] + (k,)).astype(np.int64))


# ------------------------------------------------------------ *_like
def _like(fn, input, dtype):
    input = _like_input(fn, input)
    return input.shape, _dtype(fn, dtype, input.dtype)


def zeros_like(input: Tensor, *, dtype: DTypeLike | None = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    shape, dt = _like("zeros_like", input, dtype)
    return _finish("zeros_like", np.zeros(shape, dt), device, requires_grad)


def ones_like(input: Tensor, *, dtype: DTypeLike | None = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    shape, dt = _like("ones_like", input, dtype)
    return _finish("ones_like", np.ones(shape, dt), device, requires_grad)


def empty_like(input: Tensor, *, dtype: DTypeLike | None = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    shape, dt = _like("empty_like", input, dtype)
    return _finish("empty_like", np.empty(shape, dt), device, requires_grad)


def full_like(input: Tensor, fill_value: float, *, dtype: DTypeLike | None = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """The input's shape filled with `fill_value`, in the input's dtype unless given
    (1.7 in an int64 tensor is 1, as in PyTorch)."""
    shape, dt = _like("full_like", input, dtype)
    value = _number("full_like", "fill_value", fill_value)
    _check_fits("full_like", dt, (value,))
    return _finish("full_like", np.full(shape, value, dtype=dt), device, requires_grad)


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype: DTypeLike | None = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like("rand_like", input, dtype)
    return rand(shape, generator=generator, dtype=dt, device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype: DTypeLike | None = None,
               device: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like("randn_like", input, dtype)
    return randn(shape, generator=generator, dtype=dt, device=device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 generator: Generator | None = None, dtype: DTypeLike | None = None,
                 device: Any = None, requires_grad: bool = False) -> Tensor:
    """`randint_like(input, high)` or `randint_like(input, low, high)`: integers in
    [low, high) in the input's shape and dtype."""
    if high is None:
        low, high = 0, low
    shape, dt = _like("randint_like", input, dtype)
    data = _randint_array("randint_like", low, high, shape, dt, generator)
    return _finish("randint_like", data, device, requires_grad)


# ------------------------------------------------------------ from data
def tensor(data: Any, *, dtype: DTypeLike | None = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (a number, nested lists, an array or a
    tensor); dtypes as `Tensor(data)`, or `dtype`."""
    dt = _dtypes.resolve_dtype(dtype, "tensor(): dtype")
    check_device(device, "tensor(): device")
    if isinstance(data, np.ndarray):
        data = data.copy()  # Tensor(array) shares the array; torch.tensor copies
    return Tensor(data, requires_grad=requires_grad, dtype=dt)


def as_tensor(data: Any, dtype: DTypeLike | None = None, device: Any = None) -> Tensor:
    """`data` as a tensor, sharing memory where it can: a tensor of the asked dtype is
    returned itself (history included), a numpy array of a storable dtype is wrapped
    without a copy (as from_numpy); anything else is converted as tl.tensor does."""
    dt = _dtypes.resolve_dtype(dtype, "as_tensor(): dtype")
    check_device(device, "as_tensor(): device")
    if isinstance(data, Tensor):
        return data if dt is None or dt == data.dtype else data.astype(dt)
    if isinstance(data, np.ndarray) and (dt is None or dt == data.dtype) and \
            data.dtype in _dtypes.SUPPORTED:
        return from_numpy(data)
    return Tensor(data, dtype=dt)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """Wrap a numpy array without copying: the tensor and the array share memory, and the
    dtype is kept exactly (it must be one tinygrad_lr stores)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy(): expected a numpy array, got {type(ndarray).__name__}")
    if ndarray.dtype not in _dtypes.SUPPORTED:
        if ndarray.dtype.byteorder not in "=|" and \
                ndarray.dtype.newbyteorder("=") in _dtypes.SUPPORTED:
            raise ValueError(f"from_numpy(): the array's byte order ({ndarray.dtype}) is not "
                             "the machine's; convert it with arr.astype(arr.dtype.newbyteorder"
                             "('='))")
        _dtypes.resolve_dtype(ndarray.dtype, "from_numpy(): the array's dtype")
    return Tensor._make(ndarray)


# ------------------------------------------------------------ legacy tensor types
class _LegacyTensorType(type):
    """tl.FloatTensor, tl.LongTensor, ...: PyTorch's old per-dtype constructors.
    `FloatTensor(2, 3)` is an uninitialised 2x3 tensor, `FloatTensor([1, 2])` one from data;
    `isinstance(t, tl.FloatTensor)` checks the dtype; `t.type(tl.LongTensor)` converts."""

    _legacy_dtype: np.dtype  # each class's own, set by _legacy_type

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        check_device(device, f"{cls.__name__}(): device")
        if not args:
            return empty(0, dtype=cls._legacy_dtype)
        if len(args) == 1 and not isinstance(args[0], (numbers.Integral, Tensor)):
            return Tensor(args[0], dtype=cls._legacy_dtype)  # FloatTensor(data)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls._legacy_dtype:
                raise TypeError(f"{cls.__name__}(tensor): the tensor is {args[0].dtype}, not "
                                f"{cls._legacy_dtype}; convert with .type({cls.__name__})")
            return args[0].detach()
        return empty(_sizes(cls.__name__, args, required=False), dtype=cls._legacy_dtype)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls._legacy_dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_type(dt):
    name = _dtypes.TYPE_NAMES[dt]
    return _LegacyTensorType(name, (), {"_legacy_dtype": dt, "__doc__": f"{dt} tensors "
                                        "(PyTorch's legacy constructor)"})


FloatTensor, DoubleTensor, HalfTensor = (_legacy_type(_dtypes.float32),
                                         _legacy_type(_dtypes.float64),
                                         _legacy_type(_dtypes.float16))
LongTensor, IntTensor, ShortTensor, CharTensor = (_legacy_type(_dtypes.int64),
                                                  _legacy_type(_dtypes.int32),
                                                  _legacy_type(_dtypes.int16),
                                                  _legacy_type(_dtypes.int8))
ByteTensor, BoolTensor = _legacy_type(_dtypes.uint8), _legacy_type(_dtypes.bool_)

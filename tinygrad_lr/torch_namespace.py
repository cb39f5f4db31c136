"""PyTorch's top-level spellings that live outside tensor.py, gathered in one place:
devices, dtypes, factories, generators and process-wide switches.

`tinygrad_lr/__init__.py` re-exports `__all__` from here, so `tl.device`, `tl.float`,
`tl.long`, `tl.as_tensor`, `tl.Generator`, `tl.set_default_dtype`, ... are there with
PyTorch's meaning (`tl.float` is float32 and `tl.int` int32, as in PyTorch, not Python's
float and int).
"""
import builtins
import math
import operator

import numba

from .backends import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .compat import MissingAPIError, MissingModuleError, as_torch
from .creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .devices import DeviceError, device, get_default_device, set_default_device
from .dtypes import (
    ALIASES,
    bool_,
    can_cast,
    double,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    is_complex,
    is_floating_point,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from .random import Generator
from .tensor import Tensor


class Size(tuple):
    """torch.Size: a tuple of sizes (a tensor's `.shape` is a plain tuple, equal to it)."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (operator.index(s) for s in sizes))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"


def get_num_threads() -> int:
    """The threads a parallel Numba kernel may use (torch.get_num_threads). Most kernels
    run on the calling thread (kernels/threading_policy.py); BLAS keeps its own threads."""
    return numba.get_num_threads()


def set_num_threads(n: int) -> None:
    """Limit the parallel Numba kernels to n threads (at most the cores Numba started
    with), as torch.set_num_threads; BLAS's threads follow OPENBLAS_NUM_THREADS instead."""
    # builtins.: this module's `int` and `bool` are PyTorch's dtypes (see the end)
    if isinstance(n, builtins.bool) or not isinstance(n, builtins.int) or n < 1:
        raise ValueError(f"set_num_threads(): expects a positive integer, got {n!r}")
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


def is_tensor(obj) -> bool:
    """True if obj is a tinygrad_lr Tensor (a Parameter included)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of a tensor."""
    return input.numel()


__all__ = [  # noqa: RUF022  grouped by kind, not sorted
    # devices
    "device", "DeviceError", "get_default_device", "set_default_device",
    # dtypes (plus "float", "int", "bool" below)
    "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "bool_", "half", "double", "short", "long", "get_default_dtype", "set_default_dtype",
    "finfo", "iinfo", "promote_types", "can_cast", "is_floating_point", "is_complex",
    # factories
    "tensor", "as_tensor", "from_numpy", "scalar_tensor", "zeros", "ones", "empty", "full",
    "eye", "arange", "linspace", "logspace", "rand", "randn", "randint", "randperm",
    "normal", "bernoulli", "multinomial", "zeros_like", "ones_like", "empty_like",
    "full_like", "rand_like", "randn_like", "randint_like",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor",
    # random generators, switches, the shim
    "Generator", "set_float32_matmul_precision", "get_float32_matmul_precision",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "as_torch", "MissingAPIError",
    "MissingModuleError", "is_tensor", "numel", "Size", "get_num_threads", "set_num_threads",
    "float", "int", "bool",
]
# last, so nothing above sees the builtins shadowed: tl.float is float32, tl.int int32
globals().update(ALIASES)

"""The user-facing Tensor: a numpy array plus what autograd needs to know about it.

Every method forwards to an op in `ops/` (or composes ops); nothing here computes a
gradient itself. dtype rules follow PyTorch: Python floats have the default dtype (float32),
Python ints are int64, numpy arrays keep their dtype (float16 and int32 too), binary ops
promote as PyTorch does (`_binary`), matrix products refuse mixed dtypes, and no op silently
changes dtype.
"""
from __future__ import annotations

import math
import operator
from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, Union

import numpy as np

from . import random as _random  # the module, as random.py imports this one (Generator states)
from .compat import missing_attribute
from .devices import CPU, check_device, device_error, parse_to
from .dtypes import get_default_dtype, resolve_dtype, type_name
from .graph.engine import accumulate_into_grad, run_backward
from .graph.function import CopySlices, entry, refresh_view, rename, view_positions
from .graph.grad_mode import STATE
from .graph.tensor_base import TensorBase, as_gradient, check_grad_dtype
from .kernels import reference_kernels_enabled
from .kernels.selection import median_index, sort_order, topk_indices
from .ops import elementwise as E
from .ops import linalg as L
from .ops import movement as M
from .ops import reduce as R
from .ops._util import check_index, normalize_dim, normalize_dims

__all__ = [
    "Tensor", "Dims", "Scalar", "TensorLike", "Sorted", "TopK", "Median", "Cummax", "Cummin",
    "set_printoptions", "get_printoptions", "equal", "isclose", "allclose", "where", "maximum",
    "minimum", "matmul", "write_out", "mm", "bmm", "mv", "addmm", "dot", "outer", "einsum",
    "cat", "hstack", "vstack", "broadcast_shapes", "broadcast_tensors", "meshgrid", "tensordot",
    "result_type", "stack",
]

# the annotations' vocabulary: dims as int, several ints, or None (all); a Python number; what
# an op accepts as an operand (made a tensor first)
Dims: TypeAlias = Union[int, Sequence[int], None]
Scalar: TypeAlias = Union[int, float, bool]
TensorLike: TypeAlias = Union["Tensor", int, float, bool, np.ndarray, np.generic, Sequence[Any]]
# Tensor's methods int(), float() and bool() shadow the builtins inside the class body, so its
# annotations name them through these (as torch's stubs do with torch.types._int)
_int = int
_float = float
_bool = bool

_STORED_INTEGERS = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
                    np.dtype(np.int64), np.dtype(np.uint8))


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        data = data._data.copy()  # a new tensor, not an alias with its own version counter
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        try:
            arr = np.array(data)
        except ValueError:
            raise ValueError("Tensor: nested lists of different lengths; every row must have "
                             "the same length") from None
        if arr.dtype.kind == "f":
            arr = arr.astype(get_default_dtype())  # Python floats -> float32, like torch
    if arr.dtype.kind in "iu" and arr.dtype not in _STORED_INTEGERS:
        arr = arr.astype(np.int64)  # uint16/32/64, which tinygrad_lr does not store
    elif arr.dtype.kind == "f" and arr.dtype not in (np.float16, np.float32, np.float64):
        arr = arr.astype(get_default_dtype())  # long double
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: cannot make a tensor from data of dtype {arr.dtype}")
    return arr


class _Absent:
    """A PyTorch Tensor attribute that tinygrad_lr lacks for a reason (compat.HINTS):
    reading it raises MissingAPIError with the reason. Any other missing name gets Python's
    own AttributeError and its "Did you mean" suggestion. (A `__getattr__` on Tensor would
    catch every missing name, but it slows every attribute read of every tensor: CPython
    does not specialize attribute access on a class that defines one.)"""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        raise missing_attribute("Tensor", self.name)


class Tensor(TensorBase):
    """A numpy array with autograd: `Tensor(data, requires_grad=False, dtype=None)`.

    The autograd state (`grad`, `grad_fn`, `requires_grad`, hooks, the version counter)
    lives in `graph.tensor_base.TensorBase`; the methods here forward to ops.
    """

    __slots__ = ()
    __array_priority__ = 1000  # numpy scalar * Tensor -> Tensor.__rmul__
    to_sparse = _Absent()
    pin_memory = _Absent()

    def __init__(self, data: Any, requires_grad: _bool = False, dtype: Any = None) -> None:
        if type(requires_grad) is int and requires_grad not in (0, 1):
            raise TypeError(f"Tensor({data}, {requires_grad}, ...): PyTorch's legacy "
                            "constructor from sizes is not supported; use tl.empty(*sizes) or "
                            "tl.zeros(*sizes) (and tl.tensor(data) for values)")
        self._data = _to_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version = [0]
        self._hooks = None
        self._base = None
        self._requires_grad = False
        if requires_grad:
            check_grad_dtype(self._data.dtype)
            self._requires_grad = True

    def size(self, dim: _int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def numel(self) -> _int:
        return self._data.size

    nelement = numel

    def ndimension(self) -> _int:
        return self._data.ndim

    @property
    def itemsize(self) -> _int:
        return self._data.itemsize

    @property
    def nbytes(self) -> _int:
        return self._data.nbytes

    @property
    def real(self) -> Tensor:  # every tinygrad_lr tensor is real: its real part is itself
        return self

    def element_size(self) -> _int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    def is_floating_point(self) -> _bool:
        return self._data.dtype.kind == "f"

    def stride(self, dim: _int | None = None) -> Any:
        """Steps in elements (not numpy's bytes) from one index to the next, per dim."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[normalize_dim(dim, self.ndim, "stride")]

    def is_contiguous(self) -> _bool:
        return self._data.flags.c_contiguous

    # ------------------------------------------------------------ device
    # tinygrad_lr runs on the CPU: every tensor is there, and asking for another device
    # raises one error (devices.py)
    @property
    def device(self) -> Any:
        return CPU

    is_cuda = False
    is_cpu = True

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device: Any = None, non_blocking: _bool = False) -> Tensor:
        raise device_error("cuda" if device is None else device, "Tensor.cuda()")

    def dim(self) -> _int:
        return self._data.ndim

    def __len__(self) -> _int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ------------------------------------------------------------ conversion
    def __array__(self, dtype: Any = None, copy: _bool | None = None) -> np.ndarray:
        if copy:  # np.array(t) asks for a copy; np.asarray(t) shares
            return np.array(self._data, dtype=dtype)
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def item(self) -> Scalar:
        if self._data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to a "
                             f"Python scalar, this one has shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __float__(self) -> _float:
        return float(self.item())

    def __int__(self) -> _int:
        return int(self.item())

    def __index__(self) -> _int:
        if self._data.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __bool__(self) -> _bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is "
                             "ambiguous; use .any() or .all()")
        return bool(self._data.item())

    def clone(self) -> Tensor:
        return M.Contiguous.apply(self) if not self._data.flags.c_contiguous else \
            M.Clone.apply(self)

    def astype(self, dtype: Any) -> Tensor:
        dtype = np.dtype(dtype)
        return self if dtype == self._data.dtype else E.Cast.apply(self, dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    def half(self) -> Tensor:
        return self.astype(np.float16)

    def short(self) -> Tensor:
        return self.astype(np.int16)

    def char(self) -> Tensor:
        return self.astype(np.int8)

    def byte(self) -> Tensor:
        return self.astype(np.uint8)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's `.to(dtype)`, `.to(device)`, `.to(device, dtype)`, `.to(other)`; the
        device must be the CPU. Returns self when nothing changes (unless copy=True)."""
        dtype, _, copy = parse_to(args, kwargs, "Tensor.to()")
        if dtype is None or dtype == self._data.dtype:
            return self.clone() if copy else self
        return E.Cast.apply(self, dtype)

    def type(self, dtype: Any = None, non_blocking: _bool = False) -> Any:
        """type() -> the legacy type name ('torch.FloatTensor'); type(d) -> converted to d
        (a dtype, tl.FloatTensor or its name)."""
        if dtype is None:
            return type_name(self._data.dtype)
        return self.astype(resolve_dtype(dtype, "Tensor.type(): dtype"))

    def type_as(self, other: Tensor) -> Tensor:
        return self.astype(other.dtype)

    # ------------------------------------------------------------ new tensors like this one
    # same dtype (unless given) and device, no history
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: _bool = False) -> Tensor:
        dt = self._new_dtype("new_tensor", dtype, device)
        return Tensor._make(_to_array(data, dt)).requires_grad_(requires_grad)

    def new_zeros(self, *size: _int | Sequence[_int], dtype: Any = None, device: Any = None,
                  requires_grad: _bool = False) -> Tensor:
        dt = self._new_dtype("new_zeros", dtype, device)
        return Tensor._make(np.zeros(_shape_arg(size), dt)).requires_grad_(requires_grad)

    def new_ones(self, *size: _int | Sequence[_int], dtype: Any = None, device: Any = None,
                 requires_grad: _bool = False) -> Tensor:
        dt = self._new_dtype("new_ones", dtype, device)
        return Tensor._make(np.ones(_shape_arg(size), dt)).requires_grad_(requires_grad)

    def new_empty(self, *size: _int | Sequence[_int], dtype: Any = None, device: Any = None,
                  requires_grad: _bool = False) -> Tensor:
        dt = self._new_dtype("new_empty", dtype, device)
        return Tensor._make(np.empty(_shape_arg(size), dt)).requires_grad_(requires_grad)

    def new_full(self, size: Sequence[_int], fill_value: Scalar, dtype: Any = None,
                 device: Any = None, requires_grad: _bool = False) -> Tensor:
        dt = self._new_dtype("new_full", dtype, device)
        return Tensor._make(np.full(_shape_arg((size,)), fill_value, dt)).requires_grad_(
            requires_grad)

    def new(self, *args: Any) -> Tensor:
        """The legacy `t.new(data)` / `t.new(*sizes)` / `t.new()`: a tensor of t's dtype
        holding data, uninitialised of those sizes, or empty."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, tuple)):
            return self.new_tensor(args[0])
        return self.new_empty(*args) if args else self.new_empty(0)

    def _new_dtype(self, name, dtype, device):
        check_device(device, f"Tensor.{name}(): device")
        return resolve_dtype(dtype, f"Tensor.{name}(): dtype") or self._data.dtype

    # ------------------------------------------------------------ autograd
    def backward(self, gradient: TensorLike | None = None, retain_graph: _bool | None = None,
                 create_graph: _bool = False,
                 inputs: Tensor | Sequence[Tensor] | None = None) -> None:
        """Add d self / d leaf to `.grad` of every leaf this tensor was computed from
        (only of `inputs`, when given). Non-scalar tensors need `gradient`."""
        if not self._requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn. Create "
                "the inputs with requires_grad=True, and do not compute the loss inside "
                "no_grad()."
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): the tensor has shape {self.shape}, not a scalar; pass "
                    "gradient= of the same shape (e.g. tl.ones_like(t)) or reduce it first "
                    "(e.g. t.sum().backward())"
                )
            gradient = Tensor._make(np.ones_like(self._data))
        else:
            gradient = as_gradient(gradient, self, "backward(): gradient")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is None:
            run_backward([self], [gradient], retain_graph, create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = run_backward([self], [gradient], retain_graph, create_graph, inputs,
                             allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                accumulate_into_grad(t, g, create_graph)

    # ------------------------------------------------------------ printing
    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", **_PRINT)
        extra = ""
        if self._data.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self._data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name()}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __format__(self, spec: str) -> str:
        """f"{t}": a 0-d tensor formats as its number (f"{loss:.3f}"), as in PyTorch."""
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)

    __hash__ = object.__hash__

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other: TensorLike) -> Tensor:
        return _binary(E.Add, self, other)

    def __radd__(self, other: TensorLike) -> Tensor:
        return _binary(E.Add, other, self)

    def __sub__(self, other: TensorLike) -> Tensor:
        if _is_bool(self) or _is_bool(other):
            raise TypeError(_BOOL_SUB)
        return _binary(E.Sub, self, other)

    def __rsub__(self, other: TensorLike) -> Tensor:
        if _is_bool(self) or _is_bool(other):
            raise TypeError(_BOOL_SUB)
        return _binary(E.Sub, other, self)

    def __mul__(self, other: TensorLike) -> Tensor:
        return _binary(E.Mul, self, other)

    def __rmul__(self, other: TensorLike) -> Tensor:
        return _binary(E.Mul, other, self)

    def __truediv__(self, other: TensorLike) -> Tensor:
        return _binary(E.Div, self, other, true_div=True)

    def __rtruediv__(self, other: TensorLike) -> Tensor:
        return _binary(E.Div, other, self, true_div=True)

    def __pow__(self, other: TensorLike) -> Tensor:
        return _binary(E.Pow, *_integer_power(self, other))

    def __rpow__(self, other: TensorLike) -> Tensor:
        return _binary(E.Pow, *_integer_power(other, self))

    def __floordiv__(self, other: TensorLike) -> Tensor:
        return _integer_division(E.FloorDivide, "floor_divide", self, other)

    def __rfloordiv__(self, other: TensorLike) -> Tensor:
        return _integer_division(E.FloorDivide, "floor_divide", other, self)

    def __mod__(self, other: TensorLike) -> Tensor:
        return _integer_division(E.Remainder, "remainder", self, other)

    def __rmod__(self, other: TensorLike) -> Tensor:
        return _integer_division(E.Remainder, "remainder", other, self)

    def __matmul__(self, other: TensorLike) -> Tensor:
        return _matmul(self, other)

    def __rmatmul__(self, other: TensorLike) -> Tensor:
        return _matmul(other, self)

    def __neg__(self) -> Tensor:
        if self._data.dtype.kind == "b":
            raise TypeError("negation, the `-` operator, on a bool tensor is not supported; "
                            "use ~ or logical_not() to invert a mask")
        return E.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return E.Abs.apply(self)

    # comparisons: no gradient, boolean result
    def __eq__(self, other: TensorLike) -> Tensor:  # type: ignore[override]  # a bool tensor
        return _compare(np.equal, self, other, "eq")

    def __ne__(self, other: TensorLike) -> Tensor:  # type: ignore[override]  # a bool tensor
        return _compare(np.not_equal, self, other, "ne")

    def __lt__(self, other: TensorLike) -> Tensor:
        return _compare(np.less, self, other, "lt")

    def __le__(self, other: TensorLike) -> Tensor:
        return _compare(np.less_equal, self, other, "le")

    def __gt__(self, other: TensorLike) -> Tensor:
        return _compare(np.greater, self, other, "gt")

    def __ge__(self, other: TensorLike) -> Tensor:
        return _compare(np.greater_equal, self, other, "ge")

    # &, |, ^, ~: logical on bool tensors, bitwise on integers (as in PyTorch)
    def __and__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_and, "&", self, other)

    def __rand__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_and, "&", self, other)

    def __or__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_or, "|", self, other)

    def __ror__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_or, "|", self, other)

    def __xor__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_xor, "^", self, other)

    def __rxor__(self, other: TensorLike) -> Tensor:
        return _bitwise(np.bitwise_xor, "^", self, other)

    def __invert__(self) -> Tensor:
        if self.dtype.kind not in "biu":
            raise TypeError(f"~ (bitwise not) is defined for bool and integer tensors, got "
                            f"{self.dtype}")
        return Tensor._make(np.invert(self._data))

    bitwise_and, bitwise_or, bitwise_xor, bitwise_not = __and__, __or__, __xor__, __invert__

    def add(self, other: Tensor | Scalar, alpha: Scalar = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Tensor | Scalar, alpha: Scalar = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: TensorLike) -> Tensor:
        return self * other

    def div(self, other: TensorLike, rounding_mode: str | None = None) -> Tensor:
        """self / other; rounding_mode "trunc" rounds the quotient towards zero, "floor"
        down (both give integers for integer tensors, as in PyTorch)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return _integer_division(E.FloorDivide, "div", self, other, zero_grad=True)
        if rounding_mode == "trunc":
            return _trunc_divide(self, other)
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")

    true_divide = __truediv__
    multiply, subtract, divide = mul, sub, div

    def floor_divide(self, other: TensorLike) -> Tensor:
        return self // other

    def remainder(self, other: TensorLike) -> Tensor:
        return self % other

    def fmod(self, other: TensorLike) -> Tensor:
        return _integer_division(E.Fmod, "fmod", self, other)

    def maximum(self, other: TensorLike) -> Tensor:
        return maximum(self, _tensor_argument("maximum", other))

    def minimum(self, other: TensorLike) -> Tensor:
        return minimum(self, _tensor_argument("minimum", other))

    def where(self, condition: TensorLike, other: TensorLike) -> Tensor:
        """self where condition holds, other elsewhere (torch's Tensor.where)."""
        return where(condition, self, other)

    def eq(self, other: TensorLike) -> Tensor:
        return self == other

    def ne(self, other: TensorLike) -> Tensor:
        return self != other

    def lt(self, other: TensorLike) -> Tensor:
        return self < other

    def le(self, other: TensorLike) -> Tensor:
        return self <= other

    def gt(self, other: TensorLike) -> Tensor:
        return self > other

    def ge(self, other: TensorLike) -> Tensor:
        return self >= other

    # PyTorch's other names of the comparisons
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other: TensorLike) -> _bool:
        """True if both have the same shape and values (torch.equal; dtypes may differ)."""
        return equal(self, other)

    def allclose(self, other: TensorLike, rtol: _float = 1e-05, atol: _float = 1e-08,
                 equal_nan: _bool = False) -> _bool:
        return allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other: TensorLike, rtol: _float = 1e-05, atol: _float = 1e-08,
                equal_nan: _bool = False) -> Tensor:
        return isclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other: TensorLike) -> Tensor:
        return _compare(np.logical_and, self, _tensor_argument("logical_and", other),
                        "logical_and")

    def logical_or(self, other: TensorLike) -> Tensor:
        return _compare(np.logical_or, self, _tensor_argument("logical_or", other),
                        "logical_or")

    def logical_xor(self, other: TensorLike) -> Tensor:
        return _compare(np.logical_xor, self, _tensor_argument("logical_xor", other),
                        "logical_xor")

    def logical_not(self) -> Tensor:
        return Tensor._make(np.logical_not(self._data))

    def isnan(self) -> Tensor:
        return Tensor._make(np.isnan(self._data))

    def isinf(self) -> Tensor:
        return Tensor._make(np.isinf(self._data))

    def isfinite(self) -> Tensor:
        return Tensor._make(np.isfinite(self._data))

    def isposinf(self) -> Tensor:
        return Tensor._make(np.isposinf(self._data))

    def isneginf(self) -> Tensor:
        return Tensor._make(np.isneginf(self._data))

    def any(self, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        return Tensor._make(np.any(self._data, axis=_axes(dim, self, "any"), keepdims=keepdim))

    def all(self, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        return Tensor._make(np.all(self._data, axis=_axes(dim, self, "all"), keepdims=keepdim))

    # ------------------------------------------------------------ in place
    # As in PyTorch: under no_grad, or when no gradient is involved, numpy writes straight
    # into the array. Otherwise the op is recorded like its out-of-place twin and its result
    # written back, so `c = a + b; c += c + 1` differentiates correctly; writing through a
    # view also rewrites the history of the tensor it views (graph/function.py). A leaf that
    # requires grad cannot change in place while grad mode is on (optimizers step under
    # no_grad). Every write bumps the version counter shared by views, .detach() and .data,
    # so a node that saved the old values raises at backward instead of using new ones.
    def _inplace(self, name, np_fn, other, op):
        """self <- op(self, other) in place; np_fn is the numpy ufunc of the plain path."""
        if self._records_inplace(other):
            return self._record_inplace(name, lambda old: op(old, other))
        self._check_writable(name)
        try:
            np_fn(self._data, other._data if isinstance(other, Tensor) else other,
                  out=self._data, casting="same_kind")
        except ValueError:
            raise ValueError(f"in-place {name}: operand of shape {np.shape(other)} cannot be "
                             f"broadcast to the tensor's shape {self.shape}") from None
        except TypeError:
            raise TypeError(f"in-place {name}: result type {_dtype_of(other, self)} can't be "
                            f"cast to the tensor's dtype {self.dtype}") from None
        self._version[0] += 1
        return self

    def _records_inplace(self, *operands):
        if not STATE.grad_enabled:
            return False
        if self._requires_grad or (self._base is not None and self._base._requires_grad):
            return True
        return any(isinstance(o, Tensor) and o._requires_grad for o in operands)

    def _check_writable(self, name):
        if type(self._data) is not np.ndarray:  # numpy gives 0-d results as scalars
            self._data = np.array(self._data)
        elif not self._data.flags.writeable:
            raise RuntimeError(
                f"in-place {name} on a read-only view (expand/broadcast_to make one: several "
                "elements share one memory location); call .contiguous() or .clone() first")

    def _record_inplace(self, name, compute):
        """Write compute(self) into self, recording it in the graph (see above)."""
        base = self._base
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                f"in-place {name} on a leaf tensor that requires grad: autograd needs its "
                "old value. Write it out of place (`w = w - lr * g`), or change it under "
                "`with tl.no_grad():` as an optimizer step does.")
        if base is not None and base._requires_grad and (base.grad_fn is None
                                                         or not self._requires_grad):
            what = ("a view of a leaf tensor that requires grad" if base.grad_fn is None else
                    "a view made under no_grad of a tensor that requires grad")
            raise RuntimeError(f"in-place {name} on {what}: its gradient would be wrong. "
                               "Write it out of place, or into a .clone().")
        self._check_writable(name)
        if base is not None and base.grad_fn is not self._base_node:
            refresh_view(self)
        old = self._make(self._data, self._requires_grad, self.grad_fn, self._output_nr)
        old._version = self._version
        new = compute(old)
        if new.grad_fn is not None:  # it may have saved the old values: they are about to go
            new.grad_fn.keep_own_copy(old)
        if new.shape != self.shape:
            raise ValueError(f"in-place {name}: the result has shape {new.shape}, which "
                             f"cannot be written into the tensor's shape {self.shape}")
        if new.dtype != self.dtype:
            if not np.can_cast(new.dtype, self.dtype, "same_kind"):
                raise TypeError(f"in-place {name}: result type {new.dtype} can't be cast to "
                                f"the tensor's dtype {self.dtype}")
            new = new.astype(self.dtype)
        if base is None:
            if new._data is not self._data:  # (an op that wrote into self's array: done)
                np.copyto(self._data, new._data)
            if new._requires_grad:
                self.grad_fn, self._output_nr = new.grad_fn, new._output_nr
                self._requires_grad = True
        else:  # the base takes the new values at the view's positions, then the view follows
            positions = view_positions(self._data, base._data)
            old_base = base._make(base._data, base._requires_grad, base.grad_fn,
                                  base._output_nr)
            written = CopySlices.apply(old_base, new, positions)
            np.copyto(base._data, written._data)
            if written._requires_grad:
                base.grad_fn, base._output_nr, base._requires_grad = written.grad_fn, 0, True
                refresh_view(self)
        self._version[0] += 1
        return self

    def __iadd__(self, other: TensorLike) -> Tensor:
        return self._inplace("+=", np.add, other, Tensor.__add__)

    def __isub__(self, other: TensorLike) -> Tensor:
        return self._inplace("-=", np.subtract, other, Tensor.__sub__)

    def __imul__(self, other: TensorLike) -> Tensor:
        return self._inplace("*=", np.multiply, other, Tensor.__mul__)

    def __itruediv__(self, other: TensorLike) -> Tensor:
        return self._inplace("/=", np.true_divide, other, Tensor.__truediv__)

    def add_(self, other: Tensor | Scalar, alpha: Scalar = 1) -> Tensor:
        return self._inplace("add_", np.add, other if alpha == 1 else other * alpha,
                             Tensor.__add__)

    def sub_(self, other: Tensor | Scalar, alpha: Scalar = 1) -> Tensor:
        return self._inplace("sub_", np.subtract, other if alpha == 1 else other * alpha,
                             Tensor.__sub__)

    def mul_(self, other: TensorLike) -> Tensor:
        return self._inplace("mul_", np.multiply, other, Tensor.__mul__)

    def div_(self, other: TensorLike) -> Tensor:
        return self._inplace("div_", np.true_divide, other, Tensor.__truediv__)

    def copy_(self, src: TensorLike) -> Tensor:
        if not isinstance(src, Tensor):
            src = Tensor(np.asarray(src))
        if _broadcast_or_none(src.shape, self.shape) != self.shape:
            raise ValueError(f"copy_: source of shape {src.shape} does not broadcast to "
                             f"{self.shape}")
        if self._records_inplace(src):
            return self._record_inplace("copy_", lambda old: _overwrite(old, src))
        self._check_writable("copy_")
        np.copyto(self._data, np.broadcast_to(src._data, self.shape), casting="unsafe")
        self._version[0] += 1
        return self

    def fill_(self, value: Scalar | Tensor) -> Tensor:
        if isinstance(value, Tensor) or self._records_inplace():
            return self.copy_(value if isinstance(value, Tensor) else
                              Tensor(np.asarray(value, dtype=self.dtype)))
        self._check_writable("fill_")
        self._data[...] = value
        self._version[0] += 1
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def _inplace_op(self, name, compute, *operands):
        """self <- compute(self) in place: the in-place twin of an out-of-place method,
        recorded in the graph as that method when a gradient is involved (see above)."""
        if self._records_inplace(*operands):
            return self._record_inplace(name, compute)
        self._check_writable(name)
        new = compute(self)
        if new.shape != self.shape:
            raise ValueError(f"in-place {name}: the result has shape {new.shape}, which "
                             f"cannot be written into the tensor's shape {self.shape}")
        if not np.can_cast(new.dtype, self.dtype, "same_kind"):
            raise TypeError(f"in-place {name}: result type {new.dtype} can't be cast to the "
                            f"tensor's dtype {self.dtype}")
        np.copyto(self._data, new._data, casting="same_kind")
        self._version[0] += 1
        return self

    def __ifloordiv__(self, other: TensorLike) -> Tensor:
        return self._inplace_op("//=", lambda t: t // other, other)

    def __imod__(self, other: TensorLike) -> Tensor:
        return self._inplace_op("%=", lambda t: t % other, other)

    def __ipow__(self, other: TensorLike) -> Tensor:
        return self._inplace_op("**=", lambda t: t ** other, other)

    def floor_divide_(self, other: TensorLike) -> Tensor:
        return self._inplace_op("floor_divide_", lambda t: t // other, other)

    def remainder_(self, other: TensorLike) -> Tensor:
        return self._inplace_op("remainder_", lambda t: t % other, other)

    def fmod_(self, other: TensorLike) -> Tensor:
        return self._inplace_op("fmod_", lambda t: t.fmod(other), other)

    def pow_(self, exponent: TensorLike) -> Tensor:
        return self._inplace_op("pow_", lambda t: t ** exponent, exponent)

    def clamp_(self, min: Scalar | Tensor | None = None,
               max: Scalar | Tensor | None = None) -> Tensor:
        return self._inplace_op("clamp_", lambda t: t.clamp(min, max), min, max)

    clip_ = clamp_

    def clamp_min_(self, min: Scalar | Tensor) -> Tensor:
        return self.clamp_(min=min)

    def clamp_max_(self, max: Scalar | Tensor) -> Tensor:
        return self.clamp_(max=max)

    def masked_fill_(self, mask: TensorLike, value: Scalar | Tensor) -> Tensor:
        return self._inplace_op("masked_fill_", lambda t: t.masked_fill(mask, value), value)

    def addcmul_(self, tensor1: Tensor | Scalar, tensor2: Tensor | Scalar,
                 value: Scalar = 1) -> Tensor:
        return self._inplace_op("addcmul_", lambda t: t.addcmul(tensor1, tensor2, value),
                                tensor1, tensor2)

    def addcdiv_(self, tensor1: Tensor | Scalar, tensor2: Tensor | Scalar,
                 value: Scalar = 1) -> Tensor:
        return self._inplace_op("addcdiv_", lambda t: t.addcdiv(tensor1, tensor2, value),
                                tensor1, tensor2)

    def lerp_(self, end: TensorLike, weight: TensorLike) -> Tensor:
        return self._inplace_op("lerp_", lambda t: t.lerp(end, weight), end, weight)

    def nan_to_num_(self, nan: _float = 0.0, posinf: _float | None = None,
                    neginf: _float | None = None) -> Tensor:
        return self._inplace_op("nan_to_num_", lambda t: t.nan_to_num(nan, posinf, neginf))

    def round_(self, decimals: _int = 0) -> Tensor:
        return self._inplace_op("round_", lambda t: t.round(decimals))

    # the in-place twins of the functions of one variable
    def abs_(self) -> Tensor: return self._inplace_op("abs_", Tensor.abs)
    def neg_(self) -> Tensor: return self._inplace_op("neg_", Tensor.neg)
    def exp_(self) -> Tensor: return self._inplace_op("exp_", Tensor.exp)
    def log_(self) -> Tensor: return self._inplace_op("log_", Tensor.log)
    def log1p_(self) -> Tensor: return self._inplace_op("log1p_", Tensor.log1p)
    def expm1_(self) -> Tensor: return self._inplace_op("expm1_", Tensor.expm1)
    def sqrt_(self) -> Tensor: return self._inplace_op("sqrt_", Tensor.sqrt)
    def rsqrt_(self) -> Tensor: return self._inplace_op("rsqrt_", Tensor.rsqrt)
    def sin_(self) -> Tensor: return self._inplace_op("sin_", Tensor.sin)
    def cos_(self) -> Tensor: return self._inplace_op("cos_", Tensor.cos)
    def tan_(self) -> Tensor: return self._inplace_op("tan_", Tensor.tan)
    def tanh_(self) -> Tensor: return self._inplace_op("tanh_", Tensor.tanh)
    def sigmoid_(self) -> Tensor: return self._inplace_op("sigmoid_", Tensor.sigmoid)
    def relu_(self) -> Tensor: return self._inplace_op("relu_", Tensor.relu)
    def sign_(self) -> Tensor: return self._inplace_op("sign_", Tensor.sign)
    def erf_(self) -> Tensor: return self._inplace_op("erf_", Tensor.erf)
    def reciprocal_(self) -> Tensor: return self._inplace_op("reciprocal_", Tensor.reciprocal)
    def square_(self) -> Tensor: return self._inplace_op("square_", Tensor.square)
    def floor_(self) -> Tensor: return self._inplace_op("floor_", Tensor.floor)
    def ceil_(self) -> Tensor: return self._inplace_op("ceil_", Tensor.ceil)
    def trunc_(self) -> Tensor: return self._inplace_op("trunc_", Tensor.trunc)
    def frac_(self) -> Tensor: return self._inplace_op("frac_", Tensor.frac)
    def log2_(self) -> Tensor: return self._inplace_op("log2_", Tensor.log2)
    def log10_(self) -> Tensor: return self._inplace_op("log10_", Tensor.log10)
    def exp2_(self) -> Tensor: return self._inplace_op("exp2_", Tensor.exp2)
    def asin_(self) -> Tensor: return self._inplace_op("asin_", Tensor.asin)
    def acos_(self) -> Tensor: return self._inplace_op("acos_", Tensor.acos)
    def atan_(self) -> Tensor: return self._inplace_op("atan_", Tensor.atan)
    def sinh_(self) -> Tensor: return self._inplace_op("sinh_", Tensor.sinh)
    def cosh_(self) -> Tensor: return self._inplace_op("cosh_", Tensor.cosh)
    def atanh_(self) -> Tensor: return self._inplace_op("atanh_", Tensor.atanh)

    # random fills (nn.init uses them under no_grad), from the generator tl.manual_seed seeds
    def uniform_(self, a: _float = 0.0, b: _float = 1.0, *,
                 generator: _random.Generator | None = None) -> Tensor:
        draws = _random.numpy_generator(generator).random(self.shape, dtype=np.float64)
        values = draws * (b - a) + a
        return self._fill_with("uniform_", values)

    def normal_(self, mean: _float = 0.0, std: _float = 1.0, *,
                generator: _random.Generator | None = None) -> Tensor:
        values = _random.numpy_generator(generator).standard_normal(self.shape) * std + mean
        return self._fill_with("normal_", values)

    def bernoulli(self, *, generator: _random.Generator | None = None) -> Tensor:
        """0 or 1 for each element, 1 with the element's value as probability."""
        if not ((self._data >= 0) & (self._data <= 1)).all():
            raise ValueError("bernoulli: every probability must be in [0, 1]")
        draws = _random.numpy_generator(generator).random(self.shape) < self._data
        return Tensor._make(draws.astype(self.dtype))

    def bernoulli_(self, p: TensorLike = 0.5, *,
                   generator: _random.Generator | None = None) -> Tensor:
        values = _random.numpy_generator(generator).random(self.shape) < _array_or_number(p)
        return self._fill_with("bernoulli_", values)

    def exponential_(self, lambd: _float = 1.0, *,
                     generator: _random.Generator | None = None) -> Tensor:
        values = _random.numpy_generator(generator).exponential(1.0 / lambd, self.shape)
        return self._fill_with("exponential_", values)

    def random_(self, from_: _int = 0, to: _int | None = None, *,
                generator: _random.Generator | None = None) -> Tensor:
        """Integers uniform in [from_, to); without `to`, [0, from_) if given, else
        [0, 2**24) for float32 (every integer a float32 holds exactly)."""
        low, high = (0, from_) if to is None and from_ else (from_, to)
        if high is None:
            high = 2 ** (np.finfo(self.dtype).nmant + 1) if self.is_floating_point() else \
                np.iinfo(self.dtype).max
        values = _random.numpy_generator(generator).integers(low, high, self.shape)
        return self._fill_with("random_", values)

    def _fill_with(self, name, values):
        src = Tensor._make(np.asarray(values).astype(self.dtype))
        return self._inplace_op(name, lambda old: _overwrite(old, src))

    def __setitem__(self, idx: Any, value: TensorLike) -> None:
        idx = check_index(_convert_index(idx), self.shape)
        if self._records_inplace(value):
            if not isinstance(value, Tensor):
                value = Tensor(np.asarray(value, dtype=self.dtype))
            # a tensor that is no view takes the values in its own array (IndexPut in_place)
            in_place = self._base is None
            return self._record_inplace("item assignment",
                                        lambda old: M.IndexPut.apply(old, idx,
                                                                     value.astype(self.dtype),
                                                                     in_place))
        self._check_writable("item assignment")
        self._data[idx] = value._data if isinstance(value, Tensor) else value
        self._version[0] += 1

    # ------------------------------------------------------------ elementwise
    # functions with float results take int/bool tensors to float32 (torch); _floatify
    # returns float tensors as they are
    def exp(self) -> Tensor: return E.Exp.apply(_floatify(self))
    def log(self) -> Tensor: return E.Log.apply(_floatify(self))
    def log1p(self) -> Tensor: return E.Log1p.apply(_floatify(self))
    def expm1(self) -> Tensor: return E.Expm1.apply(_floatify(self))
    def sqrt(self) -> Tensor: return E.Sqrt.apply(_floatify(self))
    def rsqrt(self) -> Tensor: return E.Rsqrt.apply(_floatify(self))
    def sin(self) -> Tensor: return E.Sin.apply(_floatify(self))
    def cos(self) -> Tensor: return E.Cos.apply(_floatify(self))
    def tan(self) -> Tensor: return E.Tan.apply(_floatify(self))
    def tanh(self) -> Tensor: return E.Tanh.apply(_floatify(self))
    def sigmoid(self) -> Tensor: return E.Sigmoid.apply(_floatify(self))
    def relu(self) -> Tensor: return E.Relu.apply(_no_bool("relu", self))
    def abs(self) -> Tensor: return E.Abs.apply(self)
    def sign(self) -> Tensor: return self.clone() if self.dtype == np.bool_ else E.Sign.apply(self)
    def erf(self) -> Tensor: return E.Erf.apply(_floatify(self))
    def reciprocal(self) -> Tensor: return E.Reciprocal.apply(_floatify(self))
    def neg(self) -> Tensor: return -self  # __neg__ refuses bool tensors
    def log2(self) -> Tensor: return E.Log2.apply(_floatify(self))
    def log10(self) -> Tensor: return E.Log10.apply(_floatify(self))
    def exp2(self) -> Tensor: return E.Exp2.apply(_floatify(self))
    def asin(self) -> Tensor: return E.Asin.apply(_floatify(self))
    def acos(self) -> Tensor: return E.Acos.apply(_floatify(self))
    def atan(self) -> Tensor: return E.Atan.apply(_floatify(self))
    def sinh(self) -> Tensor: return E.Sinh.apply(_floatify(self))
    def cosh(self) -> Tensor: return E.Cosh.apply(_floatify(self))
    def asinh(self) -> Tensor: return E.Asinh.apply(_floatify(self))
    def acosh(self) -> Tensor: return E.Acosh.apply(_floatify(self))
    def atanh(self) -> Tensor: return E.Atanh.apply(_floatify(self))
    def signbit(self) -> Tensor: return Tensor._make(np.signbit(self._data))

    absolute, negative, sgn = abs, neg, sign
    arcsin, arccos, arctan = asin, acos, atan

    def positive(self) -> Tensor:
        return self

    def atan2(self, other: TensorLike) -> Tensor:
        a, b = _t(self), _t(_tensor_argument("atan2", other))
        dt = _pair_dtype(a, b)
        dt = dt if dt.kind == "f" else get_default_dtype()
        return E.Atan2.apply(*(_broadcast_pair(a.astype(dt), b.astype(dt), "atan2")))

    arctan2 = atan2

    def hypot(self, other: Tensor | Scalar) -> Tensor:
        """sqrt(self² + other²)."""
        other = _tensor_argument("hypot", other)
        return (self * self + other * other).sqrt()

    def logaddexp(self, other: TensorLike) -> Tensor:
        """log(exp(self) + exp(other)), without overflow: max + log1p(exp(-|self - other|))."""
        return maximum(self, other) + (-(self - other).abs()).exp().log1p()

    def deg2rad(self) -> Tensor:
        return _floatify(self) * (math.pi / 180)

    def rad2deg(self) -> Tensor:
        return _floatify(self) * (180 / math.pi)

    # rounding: integer tensors are already whole numbers and come back as they are
    def floor(self) -> Tensor: return self if _is_integral(self) else E.Floor.apply(self)
    def ceil(self) -> Tensor: return self if _is_integral(self) else E.Ceil.apply(self)
    def trunc(self) -> Tensor: return self if _is_integral(self) else E.Trunc.apply(self)
    fix = trunc
    def frac(self) -> Tensor: return E.Frac.apply(_float_only(self, "frac"))

    def round(self, decimals: _int = 0) -> Tensor:
        return self if _is_integral(self) and decimals >= 0 else \
            E.Round.apply(self, operator.index(decimals))

    def nan_to_num(self, nan: _float = 0.0, posinf: _float | None = None,
                   neginf: _float | None = None) -> Tensor:
        """nan -> `nan`, +inf -> `posinf`, -inf -> `neginf` (by default the dtype's largest
        and smallest finite values)."""
        if _is_integral(self):
            return self.clone()
        return E.NanToNum.apply(self, nan, posinf, neginf)

    def addcmul(self, tensor1: Tensor | Scalar, tensor2: Tensor | Scalar,
                value: Scalar = 1) -> Tensor:
        """self + value * tensor1 * tensor2."""
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1: Tensor | Scalar, tensor2: Tensor | Scalar,
                value: Scalar = 1) -> Tensor:
        """self + value * tensor1 / tensor2."""
        return self + value * tensor1 / tensor2

    def lerp(self, end: TensorLike, weight: TensorLike) -> Tensor:
        """self + weight * (end - self): the point `weight` of the way towards end."""
        return self + weight * (end - self)

    def square(self) -> Tensor:
        x = self.astype(np.int64) if self.dtype == np.bool_ else self  # bool -> int64 (torch)
        return rename(x * x, "PowBackward0", [entry(x)])  # PyTorch: pow(x, 2)

    def pow(self, exponent: TensorLike) -> Tensor:
        return self ** exponent

    def leaky_relu(self, negative_slope: _float = 0.01) -> Tensor:
        return E.LeakyRelu.apply(_floatify(self), negative_slope)

    def elu(self, alpha: _float = 1.0) -> Tensor:
        return E.Elu.apply(_floatify(self), alpha)

    def gelu(self, approximate: str = "none") -> Tensor:
        if approximate == "tanh":
            inner = (self + 0.044715 * self * self * self) * float(np.sqrt(2 / np.pi))
            return 0.5 * self * (1 + inner.tanh())
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return E.Gelu.apply(_floatify(self))

    def softplus(self, beta: _float = 1.0, threshold: _float = 20.0) -> Tensor:
        return E.Softplus.apply(_floatify(self), beta, threshold)

    def clamp(self, min: Scalar | Tensor | None = None,
              max: Scalar | Tensor | None = None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, min)
            if max is not None:
                out = minimum(out, max)
            return out
        if isinstance(min, float) or isinstance(max, float):
            return E.Clamp.apply(_floatify(self), min, max)  # int tensor, float bound: float32
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min: Scalar | Tensor) -> Tensor:
        return self.clamp(min=min)

    def clamp_max(self, max: Scalar | Tensor) -> Tensor:
        return self.clamp(max=max)

    def masked_fill(self, mask: TensorLike, value: Scalar | Tensor) -> Tensor:
        mask = mask if isinstance(mask, Tensor) else Tensor(mask)
        if mask.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be a boolean tensor, got {mask.dtype}")
        if mask.shape != self.shape and _broadcast_or_none(mask.shape, self.shape) != self.shape:
            raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to "
                             f"the tensor's shape {self.shape}")
        if not isinstance(value, Tensor) and self.dtype.kind != "f":
            # the result keeps the tensor's dtype (torch): an int tensor takes int(value)
            if not np.isfinite(value):
                raise ValueError(f"masked_fill: value {value} cannot be converted to "
                                 f"{self.dtype}")
            value = np.asarray(value).astype(self.dtype).item()
        return where(mask, value, self)

    # ------------------------------------------------------------ reductions
    def sum(self, dim: Dims = None, keepdim: _bool = False, dtype: Any = None, *,
            axis: Dims = None) -> Tensor:
        dim = _dim_or_axis(dim, axis)
        x = self.astype(dtype) if dtype is not None else self
        if x._data.dtype.kind == "b":
            x = x.long()
        return R.Sum.apply(x, normalize_dims(dim, x.ndim, "sum"), keepdim)

    def nansum(self, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        """The sum with NaNs counted as zero; they get no gradient (as in PyTorch)."""
        dims = normalize_dims(dim, self.ndim, "nansum")
        if self._data.dtype.kind != "f":
            return self.sum(dims, keepdim)  # no NaN to skip
        return R.Nansum.apply(self, dims, keepdim)

    def nanmean(self, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        """The mean of the values that are not NaN (NaN where there are none), as PyTorch's."""
        if self._data.dtype.kind != "f":
            raise TypeError(f"nanmean: needs a floating-point tensor, got {self.dtype}")
        dims = normalize_dims(dim, self.ndim, "nanmean")
        counted = (~self.isnan()).sum(dims, keepdim)
        return self.nansum(dims, keepdim) / counted.astype(self.dtype)

    def mean(self, dim: Dims = None, keepdim: _bool = False, *, axis: Dims = None) -> Tensor:
        dim = _dim_or_axis(dim, axis)
        if self._data.dtype.kind != "f":
            raise TypeError(f"mean: needs a floating-point tensor, got {self.dtype}; "
                            "use .float() first")
        dims = normalize_dims(dim, self.ndim, "mean")
        if not reference_kernels_enabled():
            return R.Mean.apply(self, dims, keepdim)
        n = math.prod(self.shape[d] for d in dims)  # the plain version: sum, times 1/n
        return R.Sum.apply(self, dims, keepdim) * (1.0 / n if n else float("nan"))

    def var(self, dim: Dims = None, unbiased: _bool = True, keepdim: _bool = False,
            correction: _float | None = None, *, axis: Dims = None) -> Tensor:
        return self._spread(R.Var, "var", _dim_or_axis(dim, axis), unbiased, keepdim,
                            correction)

    def std(self, dim: Dims = None, unbiased: _bool = True, keepdim: _bool = False,
            correction: _float | None = None, *, axis: Dims = None) -> Tensor:
        return self._spread(R.Std, "std", _dim_or_axis(dim, axis), unbiased, keepdim,
                            correction)

    def _spread(self, op, name, dim, unbiased, keepdim, correction):
        if self.dtype.kind != "f":
            raise TypeError(f"{name}: needs a floating-point tensor, got {self.dtype}; "
                            "use .float() first")
        dims = normalize_dims(dim, self.ndim, name)
        ddof = (1 if unbiased else 0) if correction is None else correction
        return op.apply(self, dims, ddof, keepdim)

    def prod(self, dim: Dims = None, keepdim: _bool = False, *, axis: Dims = None) -> Tensor:
        dim = _dim_or_axis(dim, axis)
        return R.Prod.apply(self, normalize_dims(dim, self.ndim, "prod"), keepdim)

    def amax(self, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        return R.Amax.apply(self, normalize_dims(dim, self.ndim, "amax"), keepdim)

    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """(min, max) along dim, or of the whole tensor: amin and amax in one call."""
        return MinMax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def amin(self, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        return R.Amin.apply(self, normalize_dims(dim, self.ndim, "amin"), keepdim)

    def max(self, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """max() -> the largest value; max(dim) -> (values, indices), as in PyTorch."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return rename(R.Pick.apply(self, None, False, "max"), "MaxBackward1")
        return self._extreme_along(dim, keepdim, np.argmax, "max")

    def min(self, dim: _int | None = None, keepdim: _bool = False) -> Any:
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            return rename(R.Pick.apply(self, None, False, "min"), "MinBackward1")
        return self._extreme_along(dim, keepdim, np.argmin, "min")

    def _extreme_along(self, dim, keepdim, argfn, op):
        d = normalize_dim(dim, self.ndim, op)
        if self.ndim and self.shape[d] == 0:
            raise ValueError(f"{op}: cannot reduce over an empty dimension {d}")
        idx = np.expand_dims(argfn(self._data, axis=d), d) if self.ndim else np.zeros((), np.int64)
        if not self.ndim:
            return _EXTREMES[op](self, Tensor._make(idx))
        values = M.Gather.apply(self, d, idx)
        if not keepdim:
            values = values.squeeze(d)
            idx = idx.squeeze(d)
        rename(values, op.capitalize() + "Backward0", [entry(self)])  # PyTorch: one node
        return _EXTREMES[op](values, Tensor._make(idx.astype(np.int64)))

    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        return _arg_extreme(_no_bool("argmax", self), dim, keepdim, np.argmax)

    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        return _arg_extreme(_no_bool("argmin", self), dim, keepdim, np.argmin)

    def norm(self, p: _float | str = 2, dim: Dims = None, keepdim: _bool = False) -> Tensor:
        if p == "fro":
            p = 2
        p = float(p)
        if not p > 0:
            raise ValueError(f"norm: p must be positive (or inf), got {p}")
        return R.Norm.apply(_floatify(self), p, normalize_dims(dim, self.ndim, "norm"), keepdim)

    def logsumexp(self, dim: _int, keepdim: _bool = False) -> Tensor:
        return R.LogSumExp.apply(_floatify(self), normalize_dims(dim, self.ndim, "logsumexp"),
                                 keepdim)

    def softmax(self, dim: _int) -> Tensor:
        if self.ndim == 0:  # as one element of a vector: 1, or NaN for NaN and inf (torch)
            return self.reshape(1).softmax(dim).reshape(())
        return R.Softmax.apply(_floatify(self), normalize_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: _int) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1).log_softmax(dim).reshape(())
        return R.LogSoftmax.apply(_floatify(self), normalize_dim(dim, self.ndim, "log_softmax"))

    def cumsum(self, dim: _int) -> Tensor:
        x = self if self.dtype.kind == "f" else self.astype(np.int64)  # ints sum in int64
        return R.Cumsum.apply(x, normalize_dim(dim, self.ndim, "cumsum"))

    def cumprod(self, dim: _int) -> Tensor:
        x = self.long() if _is_integral(self) else self  # int and bool multiply in int64
        return R.Cumprod.apply(x, normalize_dim(dim, self.ndim, "cumprod"))

    def std_mean(self, dim: Dims = None, unbiased: _bool = True, keepdim: _bool = False,
                 correction: _float | None = None) -> tuple[Tensor, Tensor]:
        """(std, mean) over dim, in one call (torch.std_mean)."""
        return (self.std(dim, unbiased, keepdim, correction), self.mean(dim, keepdim))

    def var_mean(self, dim: Dims = None, unbiased: _bool = True, keepdim: _bool = False,
                 correction: _float | None = None) -> tuple[Tensor, Tensor]:
        """(var, mean) over dim, in one call (torch.var_mean)."""
        return (self.var(dim, unbiased, keepdim, correction), self.mean(dim, keepdim))

    # ------------------------------------------------------------ sorting
    def sort(self, dim: _int = -1, descending: _bool = False,
             stable: _bool = False) -> ValuesIndices:
        """(values, indices) sorted along dim; ties keep their order (a stable sort)."""
        indices = self.argsort(dim, descending)
        if self.ndim == 0:
            return Sorted(self, indices)
        return Sorted(M.Sort.apply(self, normalize_dim(dim, self.ndim, "sort"), indices._data),
                      indices)

    def argsort(self, dim: _int = -1, descending: _bool = False, stable: _bool = False) -> Tensor:
        """The indices that sort the tensor along dim (the order of ties is kept)."""
        d = normalize_dim(dim, self.ndim, "argsort")
        if self.ndim == 0:
            return Tensor._make(np.zeros((), np.int64))
        return Tensor._make(sort_order(self._data, d, descending))

    def topk(self, k: _int, dim: _int = -1, largest: _bool = True,
             sorted: _bool = True) -> ValuesIndices:
        """The k largest (or smallest) values along dim and their indices."""
        d = normalize_dim(dim, self.ndim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise IndexError(f"topk: k ({k}) is out of range for dim {d} of size {n}")
        if self.ndim == 0:
            return TopK(self, self.argsort())
        idx = topk_indices(self._data, k, d, largest)
        return TopK(M.Topk.apply(self, d, idx), Tensor._make(idx))

    def msort(self) -> Tensor:
        return self.sort(0).values

    # ------------------------------------------------------------ shape
    def reshape(self, *shape: _int | Sequence[_int]) -> Tensor:
        shape = _shape_arg(shape)
        if shape == self._data.shape:
            return self
        try:
            target = _resolve_shape(shape, self._data.size)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({self._data.size} elements) into {shape}") from None
        if target == self.shape:
            return self
        return M.Reshape.apply(self, target)

    view = reshape

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        if self.ndim == 0:
            for d in (start_dim, end_dim):  # a 0-d tensor has dims -1 and 0 here (torch)
                normalize_dim(d, 1, "flatten")
            return self.reshape(1)
        s = normalize_dim(start_dim, self.ndim, "flatten")
        e = normalize_dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = -1 if self._data.size else int(np.prod(self.shape[s:e + 1]))
        return self.reshape(self.shape[:s] + (merged,) + self.shape[e + 1:])

    def unflatten(self, dim: _int, sizes: Sequence[_int]) -> Tensor:
        """Dim `dim` split into `sizes` (one of them may be -1): the inverse of flatten."""
        d = normalize_dim(dim, self.ndim, "unflatten")
        given = _shape_arg((sizes,))
        if not given:
            raise ValueError("unflatten: sizes must be non-empty")
        try:
            split = _resolve_shape(given, self.shape[d])
        except ValueError:
            raise ValueError(f"unflatten: sizes {given} don't multiply up to the size of dim "
                             f"{d} ({self.shape[d]}) of a tensor of shape {self.shape}") from None
        return self.reshape(self.shape[:d] + split + self.shape[d + 1:])

    def squeeze(self, dim: Dims = None) -> Tensor:
        if dim is None:
            return _named(self.reshape(tuple(n for n in self.shape if n != 1)), self,
                          "SqueezeBackward0")
        dims = normalize_dims(dim, self.ndim, "squeeze")
        return _named(self.reshape(tuple(n for i, n in enumerate(self.shape)
                                         if not (i in dims and n == 1))), self,
                      "SqueezeBackward2" if isinstance(dim, (tuple, list)) else "SqueezeBackward1")

    def unsqueeze(self, dim: _int) -> Tensor:
        d = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return _named(self.reshape(self.shape[:d] + (1,) + self.shape[d:]), self,
                      "UnsqueezeBackward0")

    def permute(self, *dims: _int | Sequence[_int]) -> Tensor:
        if not dims:  # torch: permute() needs dims (a 0-d tensor's are ())
            raise TypeError("permute: missing the dims argument (for a 0-d tensor: permute(()))")
        dims = _shape_arg(dims)
        if sorted(normalize_dims(dims, self.ndim, "permute")) != list(range(self.ndim)) or \
                len(dims) != self.ndim:
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims "
                             f"of a tensor of shape {self.shape}")
        dims = tuple(d % self.ndim for d in dims)
        if dims == tuple(range(self.ndim)):
            return self
        return M.Permute.apply(self, dims)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        a = normalize_dim(dim0, self.ndim, "transpose")
        b = normalize_dim(dim1, self.ndim, "transpose")
        dims = list(range(self.ndim))
        dims[a], dims[b] = dims[b], dims[a]
        return _named(self.permute(tuple(dims)), self, "TransposeBackward0")

    @property
    def T(self) -> Tensor:
        if self._data.ndim == 2:  # the common case, straight to the op
            return M.Permute.apply(self, (1, 0))
        return self.permute(tuple(range(self.ndim - 1, -1, -1))) if self.ndim > 1 else self

    @property
    def mT(self) -> Tensor:
        return self.transpose(-1, -2)

    # the conjugate transposes of real tensors are the transposes
    H = T
    mH = mT

    def expand(self, *shape: _int | Sequence[_int]) -> Tensor:
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: target {shape} has fewer dims than the tensor "
                             f"{self.shape}")
        target = tuple(self.shape[i - lead] if (n == -1 and i >= lead) else n
                       for i, n in enumerate(shape))
        try:
            np.broadcast_shapes(self.shape, target)
            if np.broadcast_shapes(self.shape, target) != target:
                raise ValueError
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {shape}") from None
        if target == self.shape:
            return self
        return M.Expand.apply(self, target)

    def broadcast_to(self, shape: Sequence[_int]) -> Tensor:
        return self.expand(shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *sizes: _int | Sequence[_int]) -> Tensor:
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: give at least {self.ndim} repeat counts for a tensor "
                             f"of shape {self.shape}, got {sizes}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        inter = [v for n in x.shape for v in (1, n)]
        expanded = [v for r, n in zip(sizes, x.shape) for v in (r, n)]
        return _named(x.reshape(inter).expand(expanded).reshape(
            tuple(r * n for r, n in zip(sizes, x.shape))), self, "RepeatBackward0",
            [entry(self)])

    def contiguous(self) -> Tensor:
        return self if self._data.flags.c_contiguous else M.Contiguous.apply(self)

    def t(self) -> Tensor:
        """The transpose of a matrix (a tensor of at most 2 dims comes back as it is)."""
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor with <= 2 dimensions, but this one has "
                             f"shape {self.shape}; use transpose(dim0, dim1) or .mT")
        return M.T.apply(self, (1, 0)) if self.ndim == 2 else self

    # shape changes in place: the same memory seen with another shape
    def unsqueeze_(self, dim: _int) -> Tensor:
        return self._reshape_inplace("unsqueeze_", self.unsqueeze(dim))

    def squeeze_(self, dim: Dims = None) -> Tensor:
        return self._reshape_inplace("squeeze_", self.squeeze(dim))

    def t_(self) -> Tensor:
        return self._reshape_inplace("t_", self.t())

    def transpose_(self, dim0: _int, dim1: _int) -> Tensor:
        return self._reshape_inplace("transpose_", self.transpose(dim0, dim1))

    def _reshape_inplace(self, name, new):
        if self._records_inplace():
            raise RuntimeError(f"{name} on a tensor that requires grad is not supported; use "
                               f"the out-of-place {name[:-1]}() (it returns a view)")
        self._data = new._data
        return self

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def roll(self, shifts: _int | Sequence[_int],
             dims: _int | Sequence[_int] | None = None) -> Tensor:
        """Shift elements along dims, wrapping around; dims None rolls the flattened
        tensor."""
        shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        if dims is None:
            if len(shifts) != 1:
                raise ValueError(f"roll: without dims, give one shift, got {shifts}")
            return M.Roll.apply(self, shifts, None)
        dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same "
                             "length")
        dims = tuple(normalize_dim(d, self.ndim, "roll") for d in dims)
        return M.Roll.apply(self, tuple(int(s) for s in shifts), dims)

    def tril(self, diagonal: _int = 0) -> Tensor:
        """The lower triangle of the last two dims: on and below `diagonal` (0 the main
        one, >0 above it, <0 below), zeros elsewhere."""
        return M.Tril.apply(self._matrices("tril"), operator.index(diagonal))

    def triu(self, diagonal: _int = 0) -> Tensor:
        """The upper triangle of the last two dims: on and above `diagonal`."""
        return M.Triu.apply(self._matrices("triu"), operator.index(diagonal))

    def _matrices(self, name):
        if self.ndim < 2:
            raise ValueError(f"{name}: input tensor must have at least 2 dimensions, got "
                             f"shape {self.shape}")
        return self

    def diag(self, diagonal: _int = 0) -> Tensor:
        """1-D input: a square matrix with it on diagonal `diagonal`; 2-D input: that
        diagonal of it, as a 1-D tensor."""
        k = operator.index(diagonal)
        if self.ndim == 1:
            n = self.shape[0] + abs(k)
            rows = np.arange(self.shape[0]) + max(-k, 0)
            return M.IndexAdd.apply(self, (n, n), (rows, rows + k))
        if self.ndim == 2:
            return self.diagonal(k)
        raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {self.shape}")

    def diagonal(self, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
        """The diagonal `offset` of the matrices in dims dim1, dim2, as the last dim."""
        a = normalize_dim(dim1, self.ndim, "diagonal")
        b = normalize_dim(dim2, self.ndim, "diagonal")
        if a == b:
            raise ValueError(f"diagonal: dim1 and dim2 cannot be the same dim ({a})")
        x = self.movedim((a, b), (-2, -1))
        k = operator.index(offset)
        n = max(0, min(x.shape[-2] + min(k, 0), x.shape[-1] - max(k, 0)))
        rows = np.arange(n) + max(-k, 0)
        return x[(Ellipsis, rows, rows + k)]

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix."""
        if self.ndim != 2:
            raise ValueError(f"trace: expects a matrix (2-D), got shape {self.shape}")
        return self.diagonal().sum()

    def movedim(self, source: _int | Sequence[_int], destination: _int | Sequence[_int]) -> Tensor:
        src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
        dst = (destination,) if isinstance(destination, (int, np.integer)) else \
            tuple(destination)
        if len(src) != len(dst):
            raise ValueError(f"movedim: source {src} and destination {dst} must have the "
                             "same length")
        src = tuple(normalize_dim(d, self.ndim, "movedim") for d in src)
        dst = tuple(normalize_dim(d, self.ndim, "movedim") for d in dst)
        rest = iter(d for d in range(self.ndim) if d not in src)
        where_from = dict(zip(dst, src))
        return self.permute(tuple(where_from[i] if i in where_from else next(rest)
                                  for i in range(self.ndim)))

    moveaxis = movedim

    def swapaxes(self, axis0: _int, axis1: _int) -> Tensor:
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def ravel(self) -> Tensor:
        """The elements as one dim: a view of a contiguous tensor, else of a copy (PyTorch's
        contiguous().view(-1))."""
        return self.contiguous().view(-1)

    def index_select(self, dim: _int, index: TensorLike) -> Tensor:
        d = normalize_dim(dim, self.ndim, "index_select")
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise ValueError(f"index_select: index must be 0-D or 1-D, got shape {idx.shape}")
        _check_range(idx, self.shape[d], "index_select", d)
        return self[(slice(None),) * d + (idx.reshape(-1),)]

    def select(self, dim: _int, index: _int) -> Tensor:
        """The slice at `index` along `dim`, that dim removed: t.select(1, i) is t[:, i]."""
        d = normalize_dim(dim, self.ndim, "select")
        if self.ndim == 0:
            raise IndexError("select: cannot select from a 0-d tensor")
        n, i = self.shape[d], operator.index(index)
        if not -n <= i < n:
            raise IndexError(f"select: index {i} is out of range for dim {d} of size {n} "
                             f"(tensor of shape {self.shape})")
        return self[(slice(None),) * d + (i,)]

    def narrow(self, dim: _int, start: _int, length: _int) -> Tensor:
        d = normalize_dim(dim, self.ndim, "narrow")
        start = operator.index(start)
        if start < 0:
            start += self.shape[d]
        if not 0 <= start <= start + length <= self.shape[d]:
            raise IndexError(f"narrow: start {start} + length {length} exceeds dim {d} of "
                             f"size {self.shape[d]}")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        d = normalize_dim(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def masked_select(self, mask: TensorLike) -> Tensor:
        mask = mask if isinstance(mask, Tensor) else Tensor(mask)
        if mask.dtype != np.bool_:
            raise TypeError(f"masked_select: mask must be a boolean tensor, got {mask.dtype}")
        shape = _broadcast_or_none(mask.shape, self.shape)
        if shape is None:
            raise ValueError(f"masked_select: mask of shape {mask.shape} does not broadcast "
                             f"with the tensor's shape {self.shape}")
        return self.expand(shape)[np.broadcast_to(mask._data, shape)]

    def nonzero(self, as_tuple: _bool = False) -> Any:
        """The indices of the non-zero elements: a (n, ndim) int64 tensor, or with
        as_tuple=True one 1-D tensor per dim."""
        if as_tuple:
            found = np.nonzero(np.atleast_1d(self._data))
            return tuple(Tensor._make(i.astype(np.int64)) for i in found)
        return Tensor._make(np.argwhere(self._data).astype(np.int64))

    def count_nonzero(self, dim: Dims = None) -> Tensor:
        axes = _axes(dim, self, "count_nonzero")
        return Tensor._make(np.asarray(np.count_nonzero(self._data, axis=axes),
                                       dtype=np.int64))

    def flip(self, dims: _int | Sequence[_int]) -> Tensor:
        return M.Flip.apply(self, normalize_dims(dims, self.ndim, "flip"))

    def split(self, split_size_or_sections: _int | Sequence[_int],
              dim: _int = 0) -> tuple[Tensor, ...]:
        if self.ndim == 0:
            raise ValueError("split: expects at least a 1-dimensional tensor, got a 0-d one")
        d = normalize_dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0:
                raise ValueError("split: split_size must be positive")
            step = split_size_or_sections
            sizes = [min(step, n - s) for s in range(0, n, step)] or [0]  # empty: one piece
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dim {d} "
                                 f"has size {n}")
        out, start = [], 0
        for s in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def tensor_split(self, indices_or_sections: _int | Sequence[_int],
                     dim: _int = 0) -> tuple[Tensor, ...]:
        """n parts as equal as can be (the first n % size ones one longer), or the pieces
        between the given indices (which may lie past the end: those pieces are empty)."""
        if self.ndim == 0:
            raise ValueError("tensor_split: expects at least a 1-dimensional tensor, got a "
                             "0-d one")
        d = normalize_dim(dim, self.ndim, "tensor_split")
        n = self.shape[d]
        if isinstance(indices_or_sections, (int, np.integer)):
            parts = int(indices_or_sections)
            if parts <= 0:
                raise ValueError(f"tensor_split: the number of sections must be positive, "
                                 f"got {parts}")
            size, longer = divmod(n, parts)
            bounds = [k * size + min(k, longer) for k in range(parts + 1)]
        else:
            cuts = [operator.index(i) for i in indices_or_sections]
            bounds = [0, *(min(max(i + n if i < 0 else i, 0), n) for i in cuts), n]
        return tuple(self[(slice(None),) * d + (slice(a, max(a, b)),)]
                     for a, b in zip(bounds, bounds[1:]))

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        if self.ndim == 0:
            raise ValueError("chunk: expects at least a 1-dimensional tensor, got a 0-d one")
        d = normalize_dim(dim, self.ndim, "chunk")
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        if self.shape[d] == 0:  # as PyTorch: `chunks` empty pieces
            return tuple(self[(slice(None),) * d + (slice(0, 0),)] for _ in range(chunks))
        size = -(-self.shape[d] // chunks)
        return self.split(max(size, 1), d)

    def __getitem__(self, idx: Any) -> Tensor:
        shape = self._data.shape
        if idx.__class__ is int and shape and -shape[0] <= idx < shape[0]:
            return M.Index.apply(self, idx)  # t[i] in range, the common case: nothing to check
        if idx.__class__ is slice and shape and idx.step is None:
            return M.Index.apply(self, idx)  # t[a:b]: a slice fits any length (it clips)
        if idx.__class__ is tuple and _plain_basic_index(idx, shape):
            return M.Index.apply(self, idx)  # t[:, :H], t[i, j]: nothing to convert or check
        return M.Index.apply(self, check_index(_convert_index(idx), shape))

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def pad(self, pads: Sequence[_int], value: _float = 0.0) -> Tensor:
        pads = tuple(pads)
        if len(pads) % 2 or len(pads) // 2 > self.ndim:
            raise ValueError(f"pad: needs an even number of values, at most 2 per dim "
                             f"({2 * self.ndim} for shape {self.shape}), got {pads}")
        if not pads:  # nothing to pad (a 0-d tensor can have nothing else)
            return self.clone()
        widths = [(0, 0)] * self.ndim
        for i in range(len(pads) // 2):  # like torch: pairs start at the last dim
            widths[self.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
        return M.Pad.apply(self, tuple(widths), value)

    def gather(self, dim: _int, index: TensorLike) -> Tensor:
        d = normalize_dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if self.ndim == 0 and idx.ndim == 0:  # as a 1-element vector (torch)
            return self.reshape(1).gather(0, idx.reshape(1)).reshape(())
        if idx.ndim != self.ndim:
            raise ValueError(f"gather: index must have as many dims as the input "
                             f"({self.ndim}), got shape {idx.shape}")
        if any(i > n for k, (i, n) in enumerate(zip(idx.shape, self.shape)) if k != d):
            raise ValueError(f"gather: index of shape {idx.shape} is larger than the input "
                             f"{self.shape} outside dim {d}")
        _check_range(idx, self.shape[d], "gather", d)
        return M.Gather.apply(self, d, idx)

    def take_along_dim(self, indices: TensorLike, dim: _int | None = None) -> Tensor:
        """The values at `indices` along `dim` (gather, with the other dims broadcast, as
        PyTorch's); without dim, of the flattened tensor."""
        idx = indices if isinstance(indices, Tensor) else Tensor(np.asarray(indices))
        if dim is None:
            return self.reshape(-1).gather(0, idx.reshape(-1))
        d = normalize_dim(dim, self.ndim, "take_along_dim")
        if idx.ndim != self.ndim:
            raise ValueError(f"take_along_dim: input and indices need the same number of dims, "
                             f"got shapes {self.shape} and {idx.shape}")
        others_x, others_i = list(self.shape), list(idx.shape)
        others_x[d] = others_i[d] = 1
        common = _broadcast_or_none(tuple(others_x), tuple(others_i))
        if common is None:
            raise ValueError(f"take_along_dim: shapes {self.shape} and {idx.shape} cannot be "
                             f"broadcast outside dim {d}")
        x_shape, i_shape = list(common), list(common)
        x_shape[d], i_shape[d] = self.shape[d], idx.shape[d]
        return self.expand(tuple(x_shape)).gather(d, idx.expand(tuple(i_shape)))

    def scatter_add(self, dim: _int, index: TensorLike, src: TensorLike) -> Tensor:
        d = normalize_dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        src = src if isinstance(src, Tensor) else Tensor(src, dtype=self.dtype)
        if idx.ndim != self.ndim or src.ndim != self.ndim or any(
                i > s for i, s in zip(idx.shape, src.shape)):
            raise ValueError(f"scatter_add: index {idx.shape} must have the input's rank "
                             f"and fit inside src {src.shape}")
        _check_range(idx, self.shape[d], "scatter_add", d)
        return M.ScatterAdd.apply(self, d, idx, src)

    def scatter(self, dim: _int, index: TensorLike, src: TensorLike | None = None,
                value: Scalar | None = None) -> Tensor:
        """A copy with src's values (or the number `value`) written at index along dim:
        out[i][index[i][j]] = src[i][j] for dim 1. `t.zeros(n, C).scatter(1, y[:, None], 1.0)`
        is a one-hot encoding."""
        if (src is None) == (value is None):
            raise TypeError("scatter: give one of src (a tensor or a number) and value")
        d = normalize_dim(dim, self.ndim, "scatter")
        idx = _index_array(index, "scatter")
        fill = src if src is not None else value
        if isinstance(fill, Tensor):
            if fill.ndim != self.ndim or any(i > n for i, n in zip(idx.shape, fill.shape)):
                raise ValueError(f"scatter: index {idx.shape} must have the input's rank and "
                                 f"fit inside src {fill.shape}")
            if fill.dtype != self.dtype:
                raise RuntimeError(f"scatter(): expected self.dtype to be equal to src.dtype "
                                   f"({self.dtype} != {fill.dtype})")
        if idx.ndim != self.ndim or any(
                i > n for k, (i, n) in enumerate(zip(idx.shape, self.shape)) if k != d):
            raise ValueError(f"scatter: index of shape {idx.shape} does not fit the input "
                             f"{self.shape} outside dim {d}")
        _check_range(idx, self.shape[d], "scatter", d)
        return M.Scatter.apply(self, d, idx, fill)

    def scatter_(self, dim: _int, index: TensorLike, src: TensorLike | None = None,
                 value: Scalar | None = None) -> Tensor:
        return self._inplace_op("scatter_", lambda t: t.scatter(dim, index, src, value), src)

    def scatter_add_(self, dim: _int, index: TensorLike, src: TensorLike) -> Tensor:
        return self._inplace_op("scatter_add_", lambda t: t.scatter_add(dim, index, src), src)

    def index_add(self, dim: _int, index: TensorLike, source: TensorLike,
                  alpha: Scalar = 1) -> Tensor:
        """A copy with source's slices added at index along dim (repeats add up)."""
        d = normalize_dim(dim, self.ndim, "index_add")
        idx = _index_array(index, "index_add").reshape(-1)
        _check_range(idx, self.shape[d], "index_add", d)
        source = _t(source)
        expected = self.shape[:d] + (len(idx),) + self.shape[d + 1:]
        if source.shape != expected:
            raise ValueError(f"index_add: source must have shape {expected}, got "
                             f"{source.shape}")
        source = source if alpha == 1 else source * alpha
        return self + M.IndexAdd.apply(source.astype(self.dtype), self.shape,
                                       (slice(None),) * d + (idx,))

    def index_add_(self, dim: _int, index: TensorLike, source: TensorLike,
                   alpha: Scalar = 1) -> Tensor:
        return self._inplace_op("index_add_", lambda t: t.index_add(dim, index, source, alpha),
                                source)

    def index_fill(self, dim: _int, index: TensorLike, value: Scalar | Tensor) -> Tensor:
        d = normalize_dim(dim, self.ndim, "index_fill")
        idx = _index_array(index, "index_fill").reshape(-1)
        _check_range(idx, self.shape[d], "index_fill", d)
        mask = np.zeros(self.shape, dtype=bool)
        mask[(slice(None),) * d + (idx,)] = True
        return self.masked_fill(Tensor._make(mask), value)

    def index_fill_(self, dim: _int, index: TensorLike, value: Scalar | Tensor) -> Tensor:
        return self._inplace_op("index_fill_", lambda t: t.index_fill(dim, index, value), value)

    def repeat_interleave(self, repeats: _int | Tensor, dim: _int | None = None) -> Tensor:
        """Each element (or slice along dim) repeated `repeats` times in place:
        [1, 2] -> [1, 1, 2, 2]; without dim the tensor is flattened first."""
        x, d = (self.reshape(-1), 0) if dim is None else \
            (self, normalize_dim(dim, self.ndim, "repeat_interleave"))
        counts = repeats._data if isinstance(repeats, Tensor) else repeats
        try:
            idx = np.repeat(np.arange(x.shape[d]), counts)
        except ValueError:
            raise ValueError(f"repeat_interleave: repeats {np.shape(counts)} must be one "
                             f"number or one per element of dim {d} (size {x.shape[d]})") \
                from None
        return x[(slice(None),) * d + (idx,)]

    def tile(self, *dims: _int | Sequence[_int]) -> Tensor:
        dims = _shape_arg(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def diff(self, n: _int = 1, dim: _int = -1, prepend: Tensor | None = None,
             append: Tensor | None = None) -> Tensor:
        """Differences of neighbours along dim, n times: x[1:] - x[:-1]."""
        d = normalize_dim(dim, self.ndim, "diff")
        x = cat([t for t in (prepend, self, append) if t is not None], d) \
            if prepend is not None or append is not None else self
        for _ in range(n):
            m = x.shape[d]
            x = x.narrow(d, 1, m - 1) - x.narrow(d, 0, m - 1) if x.dtype != np.bool_ else \
                x.narrow(d, 1, m - 1) ^ x.narrow(d, 0, m - 1)
        return x

    def flipud(self) -> Tensor:
        return self.flip(0)

    def fliplr(self) -> Tensor:
        if self.ndim < 2:
            raise ValueError(f"fliplr: input must have at least 2 dims, got {self.shape}")
        return self.flip(1)

    def rot90(self, k: _int = 1, dims: Sequence[_int] = (0, 1)) -> Tensor:
        """Rotated by 90 degrees k times, from the first of dims towards the second."""
        a, b = (normalize_dim(d, self.ndim, "rot90") for d in dims)
        if a == b:
            raise ValueError(f"rot90: dims must be two different dims, got {dims}")
        k %= 4
        if k == 1:
            return self.flip(b).transpose(a, b)
        if k == 2:
            return self.flip((a, b))
        if k == 3:
            return self.flip(a).transpose(a, b)
        return self

    def unfold(self, dimension: _int, size: _int, step: _int) -> Tensor:
        """Every window of `size` elements along dimension, `step` apart, as a new last dim."""
        d = normalize_dim(dimension, self.ndim, "unfold")
        n = self.shape[d] if self.ndim else 1
        if size > n or step <= 0:
            raise ValueError(f"unfold: size {size} must be at most the dim's size {n}, and "
                             f"step ({step}) positive")
        starts = np.arange(0, n - size + 1, step)
        windows = self[(slice(None),) * d + (starts[:, None] + np.arange(size),)]
        return windows.movedim(d + 1, -1)

    def median(self, dim: _int | None = None, keepdim: _bool = False) -> Any:
        """The lower median (of the flattened tensor, or (values, indices) along dim). As in
        PyTorch a NaN makes it NaN, at the index of the first NaN (nanmedian skips them)."""
        if dim is None:
            if self.numel() == 0:
                return Tensor._make(np.array(np.nan, self.dtype))
            return rename(R.Pick.apply(self, None, False, "median"), "MedianBackward0")
        if self.ndim == 0:  # dim 0 (or -1) of a 0-d tensor is the tensor itself, as in PyTorch
            normalize_dim(dim, 1, "median")
            return Median(self.clone(), Tensor._make(np.zeros((), np.int64)))
        d = normalize_dim(dim, self.ndim, "median")
        if self.shape[d] == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size "
                             f"(the tensor has shape {self.shape})")
        idx = _first_nan(self._data, d, median_index(self._data, d))
        values = M.Median.apply(self, d, idx, keepdim)
        return Median(values, Tensor._make(idx if keepdim else idx.squeeze(d)))

    def cummax(self, dim: _int) -> ValuesIndices:
        return self._cumulative_extreme(dim, np.maximum, M.Cummax, Cummax)

    def cummin(self, dim: _int) -> ValuesIndices:
        return self._cumulative_extreme(dim, np.minimum, M.Cummin, Cummin)

    def _cumulative_extreme(self, dim, ufunc, op, result):
        d = normalize_dim(dim, self.ndim, ufunc.__name__)
        if self.ndim == 0:
            return result(self, Tensor._make(np.zeros((), np.int64)))
        running = ufunc.accumulate(self._data, axis=d)
        # the index of the last element that equals the running extreme so far
        positions = np.arange(self.shape[d]).reshape([-1 if k == d else 1
                                                      for k in range(self.ndim)])
        hit = np.where(self._data == running, positions, 0)
        idx = np.maximum.accumulate(hit, axis=d)
        return result(op.apply(self, d, idx), Tensor._make(idx.astype(np.int64)))

    # ------------------------------------------------------------ memory
    def data_ptr(self) -> _int:
        """The address of the first element: equal for tensors that share memory there."""
        return self._data.ctypes.data

    def storage_offset(self) -> _int:
        """How many elements after the start of its memory block this tensor starts."""
        root = self._data
        while isinstance(root.base, np.ndarray):
            root = root.base
        return (self._data.ctypes.data - root.ctypes.data) // self._data.itemsize

    # ------------------------------------------------------------ linear algebra
    def matmul(self, other: TensorLike) -> Tensor:
        return matmul(self, other)

    def dot(self, other: TensorLike) -> Tensor:
        return dot(self, other)

    def outer(self, other: TensorLike) -> Tensor:
        return outer(self, other)

    def mm(self, mat2: TensorLike) -> Tensor:
        return mm(self, mat2)

    def bmm(self, mat2: TensorLike) -> Tensor:
        return bmm(self, mat2)

    def mv(self, vec: TensorLike) -> Tensor:
        return mv(self, vec)

    def addmm(self, mat1: TensorLike, mat2: TensorLike, *, beta: Scalar = 1,
              alpha: Scalar = 1) -> Tensor:
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: TensorLike, vec: TensorLike, *, beta: Scalar = 1,
              alpha: Scalar = 1) -> Tensor:
        product = mv(mat, vec)
        return (self if beta == 1 else self * beta) + (product if alpha == 1 else
                                                       product * alpha)

    def baddbmm(self, batch1: TensorLike, batch2: TensorLike, *, beta: Scalar = 1,
                alpha: Scalar = 1) -> Tensor:
        product = bmm(batch1, batch2)
        return (self if beta == 1 else self * beta) + (product if alpha == 1 else
                                                       product * alpha)

    def dist(self, other: TensorLike, p: _float = 2) -> Tensor:
        """The p-norm of self - other."""
        return (self - other).norm(p)


# what max(dim) / min(dim), sort, topk, ... return: a tuple that also has torch's .values
# and .indices

def _return_type(name):
    """A (values, indices) namedtuple that prints as PyTorch's torch.return_types.<name>."""
    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    base = namedtuple(name, ["values", "indices"])
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


Sorted = _return_type("sort")
TopK = _return_type("topk")
Median = _return_type("median")
Cummax = _return_type("cummax")
Cummin = _return_type("cummin")


class MinMax(namedtuple("aminmax", ["min", "max"])):
    """aminmax's (min, max), printed as PyTorch's torch.return_types.aminmax."""
    __slots__ = ()

    def __repr__(self):
        return f"torch.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"
_EXTREMES = {"max": _return_type("max"), "min": _return_type("min")}

if TYPE_CHECKING:  # how mypy sees these namedtuples (built at runtime, so opaque to it)
    class ValuesIndices(NamedTuple):
        values: Tensor
        indices: Tensor


# ================================================================ printing
_PRINT_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 8, "threshold": 1000, "edgeitems": 3, "max_line_width": 75},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "max_line_width": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "max_line_width": 80}}
# how Tensor.__repr__ prints: array2string's options set by set_printoptions (numpy's own
# print options for the rest)
_PRINT: dict = {}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print, as torch.set_printoptions: digits after the point, the size from
    which the middle is elided, the items kept at each edge, the line width; a profile
    ("default", "short", "full") first sets all of them. sci_mode True prints every float
    in scientific notation, False never, None (the default) as numpy chooses."""
    if profile is not None:
        if profile not in _PRINT_PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of "
                             f"{sorted(_PRINT_PROFILES)}, got {profile!r}")
        _PRINT.clear()
        _PRINT.update(_PRINT_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("max_line_width", linewidth)):
        if value is not None:
            _PRINT[key] = value
    if sci_mode is not None:
        _PRINT.pop("suppress_small", None)
        _PRINT.pop("formatter", None)
        if sci_mode:
            digits = _PRINT.get("precision", np.get_printoptions()["precision"])
            _PRINT["formatter"] = {"float_kind": lambda x: f"{x:.{digits}e}"}
        else:
            _PRINT["suppress_small"] = True


def get_printoptions() -> dict[str, Any]:
    """The current print options (precision, threshold, edgeitems, linewidth, sci_mode)."""
    current = {**np.get_printoptions(), **_PRINT}
    return {"precision": current["precision"], "threshold": current["threshold"],
            "edgeitems": current["edgeitems"], "linewidth": current.get("max_line_width",
                                                                        current["linewidth"]),
            "sci_mode": True if "formatter" in _PRINT else
            False if _PRINT.get("suppress_small") else None}


# ================================================================ helpers
def _shape_arg(shape: Any) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple([operator.index(s) for s in shape])  # a list: no generator frame
    except TypeError:
        raise TypeError(f"sizes must be integers, got {shape}") from None


def _resolve_shape(shape, size):
    """`shape` with its one -1 filled in for `size` elements; ValueError if it cannot be."""
    holes = shape.count(-1)
    if holes > 1 or (shape and min(shape) < -1):
        raise ValueError
    known = math.prod(shape) * (-1 if holes else 1)  # the -1 multiplies the product by -1
    if holes:
        if known == 0 or size % known:
            raise ValueError
        shape = tuple([size // known if s == -1 else s for s in shape])
    elif known != size:
        raise ValueError
    return shape


def _dim_or_axis(dim, axis):
    """numpy's spelling `axis=`, which PyTorch's reductions accept too."""
    if axis is not None:
        if dim is not None:
            raise TypeError("give dim or axis, not both")
        return axis
    return dim


def _axes(dim, t, name="reduce"):
    return None if dim is None else normalize_dims(dim, t.ndim, name)


def _arg_extreme(t, dim, keepdim, fn):
    if t._data.size == 0:
        raise ValueError("argmax/argmin: the tensor is empty")
    if dim is None:
        return Tensor._make(np.asarray(fn(t._data), dtype=np.int64))
    d = normalize_dim(dim, t.ndim, fn.__name__)
    return Tensor._make(fn(t._data, axis=d, keepdims=keepdim).astype(np.int64))


def _index_array(index, op):
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def _check_range(idx, n, op, d):
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: index {int(idx.max() if idx.max() >= n else idx.min())} is "
                         f"out of range for dim {d} of size {n}")


def _plain_basic_index(idx, shape):
    """True for a tuple of step-less slices and in-range ints, at most one per dim: numpy
    takes it as it is, as PyTorch would (the checks of check_index cannot fail)."""
    if len(idx) > len(shape):
        return False
    for part, n in zip(idx, shape):
        if part.__class__ is slice:
            if part.step is not None:
                return False
        elif part.__class__ is not int or not -n <= part < n:
            return False
    return True


def _convert_index(idx):
    """Tensor indices -> numpy arrays; keep ints, slices, None, Ellipsis as they are."""
    if isinstance(idx, tuple):
        return tuple(_convert_index_part(i) for i in idx)
    return _convert_index_part(idx)


def _convert_index_part(i):
    if isinstance(i, Tensor):
        return i._data
    if isinstance(i, (list, range)):  # a sequence of indices, as in PyTorch: t[range(n), y]
        return np.asarray(i) if len(i) else np.zeros(0, np.int64)  # [] is an empty int index
    return i


def _broadcast_pair(a, b, name):
    if a.shape != b.shape and _broadcast_or_none(a.shape, b.shape) is None:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together")
    return a, b


def _array_or_number(x):
    return x._data if isinstance(x, Tensor) else x


def _float_only(t, name):
    if t.dtype.kind != "f":
        raise TypeError(f"{name}: needs a floating-point tensor, got {t.dtype}")
    return t


def _named(out, input, name, next_functions=None):
    """`out` (made from `input` by reshapes, permutes, ...) shown as PyTorch's node for the
    method: its name, and its next_functions if given."""
    return rename(out, name, next_functions) if out is not input else out


def _floatify(t):
    return t if t.dtype.kind == "f" else t.astype(get_default_dtype())


def _result_dtype(a, b):
    """PyTorch's promotion between two tensors: floats win over ints, else numpy's rule."""
    if a == b:
        return a
    ka, kb = a.kind == "f", b.kind == "f"
    if ka and not kb:
        return a
    if kb and not ka:
        return b
    return np.promote_types(a, b)


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _pair_dtype(a, b):
    """dtype of tensor-op-tensor. As in PyTorch, a 0-d tensor beside one with dims acts like
    a scalar: it does not widen the result within its kind (float32 + 0-d float64 -> float32)."""
    da, db = a._data.dtype, b._data.dtype
    if da != db and (a._data.ndim == 0) != (b._data.ndim == 0):
        zero_d, other = (da, db) if a._data.ndim == 0 else (db, da)
        if _KIND_RANK[zero_d.kind] <= _KIND_RANK[other.kind]:
            return other
    return _result_dtype(da, db)


def _scalar_dtype(t, s):
    """dtype of tensor-op-scalar: the tensor's, unless a float scalar meets an int tensor."""
    if isinstance(s, (bool, np.bool_)):
        return t
    if isinstance(s, (float, np.floating)) and t.kind != "f":
        return get_default_dtype()
    if isinstance(s, (int, np.integer)) and t.kind == "b":
        return np.dtype(np.int64)
    return t


def _first_nan(a, dim, idx):
    """idx (positions along dim, kept as a size-1 dim), with each lane of `a` that holds a
    NaN pointing at its first NaN instead: how PyTorch's median propagates NaN."""
    if a.dtype.kind != "f":
        return idx
    nans = np.isnan(a)
    has_nan = nans.any(axis=dim, keepdims=True)
    if not has_nan.any():
        return idx
    return np.where(has_nan, np.argmax(nans, axis=dim, keepdims=True), idx)


# a Python int or float leaves a float tensor's dtype as it is (bool, an int subclass, is
# not in it: True is a bool scalar to PyTorch)
_PY_NUMBERS = (int, float)


def _binary(op, a, b, true_div=False):
    """Apply a two-input op with PyTorch's dtype rules and broadcasting errors."""
    if isinstance(b, Tensor) and isinstance(a, Tensor):
        da, db = a._data, b._data
        if da.dtype is db.dtype and da.shape == db.shape and (not true_div or
                                                               da.dtype.kind == "f"):
            return op.apply_pair(a, b)  # one dtype, one shape: nothing to promote or broadcast
        dt = _pair_dtype(a, b)
        if true_div and dt.kind != "f":
            dt = get_default_dtype()
        if a._data.dtype != dt:
            a = a.astype(dt)
        if b._data.dtype != dt:
            b = b.astype(dt)
        if a._data.shape != b._data.shape:
            _check_broadcast(op, a._data.shape, b._data.shape)
        return op.apply_pair(a, b)
    if b.__class__ in _PY_NUMBERS and isinstance(a, Tensor) and a._data.dtype.kind == "f":
        return op.apply_with_number(a, b)  # float tensor op Python number: nothing to check
    if a.__class__ in _PY_NUMBERS and isinstance(b, Tensor) and b._data.dtype.kind == "f":
        return op.apply_with_number(a, b)  # ... and Python number op float tensor (`1 - p`)
    tensor_first = isinstance(a, Tensor)
    t, s = (a, b) if tensor_first else (b, a)
    if isinstance(s, np.ndarray) and s.ndim:
        s = Tensor(s)
        return _binary(op, t, s, true_div) if tensor_first else _binary(op, s, t, true_div)
    if isinstance(s, np.ndarray):
        s = s[()]
    if not isinstance(s, (int, float, bool, np.generic)):
        return NotImplemented
    dt = _scalar_dtype(t._data.dtype, s)
    if true_div and dt.kind != "f":
        dt = get_default_dtype()
    if t._data.dtype != dt:
        t = t.astype(dt)
    if isinstance(s, np.generic):
        s = s.item()
    return op.apply(t, s) if tensor_first else op.apply(s, t)


def _is_integral(x):
    if isinstance(x, Tensor):
        return x._data.dtype.kind in "biu"
    return isinstance(x, (int, np.integer, np.bool_))


def _integer_division(op, name, a, b, zero_grad=False):
    """a // b, a % b, fmod(a, b) with the dtypes of every binary op; an integer divisor of
    zero raises, as in PyTorch (numpy would give 0 and a warning)."""
    if _is_integral(a) and _is_integral(b) and np.any(np.asarray(getattr(b, "_data", b)) == 0):
        raise RuntimeError(f"{name}: ZeroDivisionError (an integer divided by zero)")
    if zero_grad:  # div(rounding_mode="floor"): PyTorch sends a zero gradient
        return _binary(E.DivFloor, a, b)
    return _binary(op, a, b)


def _trunc_divide(a, b):
    """a / b rounded towards zero (div(rounding_mode="trunc"))."""
    if not (_is_integral(a) and _is_integral(b)):
        return (a / b).trunc()
    q = _integer_division(E.FloorDivide, "div", a, b)
    r = _integer_division(E.Remainder, "div", a, b)
    return where((r != 0) & (q < 0), q + 1, q)  # floor went one past zero's side


# PyTorch's names of the scalar types, as its dtype errors print them
_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                 "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                 "bool": "Bool"}
_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
            "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
            "uint8": "unsigned char", "bool": "bool"}


def _scalar_name(dt):
    return _SCALAR_NAMES[str(dt)]


def equal(a: TensorLike, b: TensorLike) -> bool:
    """True if a and b have the same shape and the same values (dtypes may differ)."""
    a, b = _t(a), _t(b)
    return a.shape == b.shape and bool(np.array_equal(a._data, b._data))


def isclose(a: TensorLike, b: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol * |b| elementwise; a and b must have one dtype (PyTorch)."""
    a, b = _t(a), _t(b)
    if a.dtype != b.dtype:
        raise RuntimeError(f"isclose: {_scalar_name(a.dtype)} did not match "
                           f"{_scalar_name(b.dtype)}")
    _check_broadcast(type("isclose", (), {}), a.shape, b.shape)
    return Tensor._make(np.isclose(a._data, b._data, rtol, atol, equal_nan))


def allclose(a: TensorLike, b: TensorLike, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if every element is close (isclose), a Python bool."""
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())


def _overwrite(old, src):
    """`src` everywhere, as an op of `old` (so copy_/fill_ on a tensor in the graph send it
    no gradient, and `src` gets its own)."""
    every = Tensor._make(np.ones(old.shape, dtype=bool))
    return E.Where.apply(every, src.astype(old.dtype).expand(old.shape), old)


def _dtype_of(other, t):
    return other.dtype if isinstance(other, Tensor) else np.result_type(t._data, other)


def _broadcast_or_none(sa, sb):
    try:
        return np.broadcast_shapes(sa, sb)
    except ValueError:
        return None


def _check_broadcast(op, sa, sb):
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(f"{op.__name__.lower()}: shapes {sa} and {sb} cannot be broadcast "
                         "together") from None


_BOOL_SUB = ("subtraction, the `-` operator, with a bool tensor is not supported; use ~ or "
             "logical_not() to invert a mask, or convert with .int() first")


def _bitwise(np_fn, symbol, a, b):
    """a & b, a | b, a ^ b on bool and integer tensors, with the dtype of a binary op."""
    b_dtype = b.dtype if isinstance(b, Tensor) else np.result_type(b)
    if a.dtype.kind not in "biu" or b_dtype.kind not in "biu":
        raise TypeError(f"{symbol} (bitwise) is defined for bool and integer tensors, got "
                        f"{a.dtype} and {b_dtype}")
    if isinstance(b, Tensor):
        dt = _pair_dtype(a, b)
        if a.shape != b.shape:
            _check_broadcast(type("bitwise", (), {}), a.shape, b.shape)
        return Tensor._make(np_fn(a._data.astype(dt, copy=False), b._data.astype(dt, copy=False)))
    dt = _scalar_dtype(a.dtype, b)
    return Tensor._make(np_fn(a._data.astype(dt, copy=False), b).astype(dt, copy=False))


def _is_bool(x):
    """A bool tensor, array or number."""
    if isinstance(x, Tensor):
        return x._data.dtype.kind == "b"
    if isinstance(x, np.ndarray):
        return x.dtype.kind == "b"
    return isinstance(x, (bool, np.bool_))


def _no_bool(name, t):
    """`t`, unless it is a bool tensor: PyTorch refuses relu/argmax of masks."""
    if _is_bool(t):
        raise TypeError(f"{name}: not supported for bool tensors")
    return t


def _integer_power(base, exponent):
    """(base, exponent), unless an integer base meets a negative integer exponent, which has
    no integer result (PyTorch and numpy refuse it)."""
    if isinstance(base, Tensor) and base._data.dtype.kind == "f":
        return base, exponent  # a float base takes any power
    kinds = [x.dtype.kind if isinstance(x, Tensor) else np.asarray(x).dtype.kind
             for x in (base, exponent)]
    if kinds[0] in "biu" and kinds[1] in "iu":
        e = exponent._data if isinstance(exponent, Tensor) else np.asarray(exponent)
        if e.size and e.min() < 0:
            raise ValueError(f"pow: integers to negative integer powers are not allowed "
                             f"(exponent {int(e.min())}); use a float base, e.g. x.float()")
    return base, exponent


def _compare(np_fn, a, b, name="compare"):
    if isinstance(b, Tensor):
        if a.shape != b.shape:
            _check_broadcast(type(name, (), {}), a.shape, b.shape)
        b = b._data
    elif not isinstance(b, (int, float, bool, np.generic, np.ndarray)):
        return NotImplemented
    return Tensor._make(np_fn(a._data, b))


# ================================================================ functions
def where(cond: TensorLike, a: TensorLike | None = None, b: TensorLike | None = None) -> Any:
    """Elements of a where cond holds, of b elsewhere; where(cond) alone is
    cond.nonzero(as_tuple=True)."""
    cond = cond if isinstance(cond, Tensor) else Tensor(cond)
    if a is None and b is None:
        return cond.nonzero(as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: give both a and b, or neither")
    if cond.dtype != np.bool_:  # as PyTorch: no silent truthiness of numbers
        raise TypeError(f"where: the condition must be a bool tensor, got {cond.dtype} (for "
                        "numbers write cond != 0)")
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dt = _pair_dtype(a, b)
        a, b = a.astype(dt), b.astype(dt)
    elif isinstance(a, Tensor):
        a = a.astype(_scalar_dtype(a.dtype, b))
    elif isinstance(b, Tensor):
        b = b.astype(_scalar_dtype(b.dtype, a))
    else:
        a = Tensor(a)
    shapes = [np.shape(getattr(v, "_data", v)) for v in (cond, a, b)]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"where: shapes {shapes[0]} (cond), {shapes[1]} and {shapes[2]} "
                         "cannot be broadcast together") from None
    return E.Where.apply(cond, a, b)


def _tensor_argument(name, other):
    """`other`, if it is a tensor: PyTorch's Tensor.maximum(2) and friends refuse numbers."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return other


def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    return _binary(E.Maximum, _t(a), b)


def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    return _binary(E.Minimum, _t(a), b)


def _t(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def matmul(a: TensorLike, b: TensorLike, *, out: Tensor | None = None) -> Tensor:
    """a @ b: matrix products of 1-D to N-D tensors, batch dims broadcast; out= as PyTorch."""
    return _matmul(a, b) if out is None else write_out(_matmul(a, b), out, "matmul")


def _matmul(a, b):
    a, b = _t(a), _t(b)
    da, db = a._data, b._data
    if da.ndim == 2 and db.ndim == 2 and da.shape[1] == db.shape[0] and da.dtype == db.dtype:
        return L.Matmul.apply(a, b, None, False)  # the common case: no promotion, no reshapes
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dim, got shapes "
                         f"{a.shape} and {b.shape} (use * for scalars)")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({ka} != {kb})")
    if a.ndim > 2 or b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
        except ValueError:
            raise ValueError(f"matmul: batch dims of {a.shape} and {b.shape} cannot be "
                             "broadcast together") from None
    _check_same_dtype(a, b)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    out = L.Matmul.apply(a2, b2, None, False)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    if a.ndim + b.ndim <= 3:  # shown as PyTorch's dot, mv, and mm of a vector
        if b.ndim == 1:
            rename(out, "DotBackward0" if a.ndim == 1 else "MvBackward0", [entry(a), entry(b)])
        else:
            rename(out, "SqueezeBackward4")
    return out


def write_out(result: Tensor, out: Tensor, name: str) -> Tensor:
    """PyTorch's `out=` argument: the result copied into `out`, which is returned. As in
    PyTorch it cannot be part of a graph, and its dtype must hold the result's."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): out must be a Tensor, got {type(out).__name__}")
    if STATE.grad_enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad")
    if out.shape != result.shape:
        raise ValueError(f"{name}(): out has shape {out.shape}, the result {result.shape}")
    if not np.can_cast(result.dtype, out.dtype, "same_kind"):
        raise TypeError(f"{name}(): result type {result.dtype} can't be cast to out's dtype "
                        f"{out.dtype}")
    return out.copy_(result)


def _check_same_dtype(a, b, op="matmul"):
    """Matrix products do not promote, as in PyTorch: a mixed pair raises its error."""
    da, db = a.dtype, b.dtype
    if da == db:
        return
    if op == "mm" or (op == "matmul" and a.ndim == 2 and b.ndim == 2):
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: "
                           f"{_C_NAMES[str(da)]} != {_C_NAMES[str(db)]}")
    if a.ndim == 1 and b.ndim == 1:
        raise RuntimeError(f"{op}: dot : expected both vectors to have same dtype, but found "
                           f"{_scalar_name(da)} and {_scalar_name(db)}")
    raise RuntimeError(f"{op}: expected scalar type {_scalar_name(da)} but found "
                       f"{_scalar_name(db)} (tensors of shapes {a.shape} and {b.shape}; "
                       "convert one with .to(other.dtype))")


def mm(input: TensorLike, mat2: TensorLike) -> Tensor:
    """The product of two matrices (no broadcasting, unlike matmul)."""
    a, b = _t(input), _t(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: both arguments must be matrices (2-D), got shapes {a.shape} "
                         f"and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"mm: mat1 and mat2 shapes cannot be multiplied "
                         f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    _check_same_dtype(a, b, "mm")
    return L.Matmul.apply(a, b, None, False)


def bmm(input: TensorLike, mat2: TensorLike) -> Tensor:
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p), no broadcasting."""
    a, b = _t(input), _t(mat2)
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm: both arguments must be 3-D (batch, rows, cols), got shapes "
                         f"{a.shape} and {b.shape}")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(f"bmm: shapes {a.shape} and {b.shape} do not fit: expected mat2 "
                         f"to start with [{a.shape[0]}, {a.shape[2]}]")
    _check_same_dtype(a, b, "bmm")
    return L.Matmul.apply(a, b, None, False)


def mv(input: TensorLike, vec: TensorLike) -> Tensor:
    """Matrix times vector: (n, m) @ (m,) -> (n,)."""
    a, v = _t(input), _t(vec)
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise ValueError(f"mv: expected a matrix and a vector that fit, got shapes "
                         f"{a.shape} and {v.shape}")
    _check_same_dtype(a, v, "mv")
    return matmul(a, v)


def addmm(input: TensorLike, mat1: TensorLike, mat2: TensorLike, *, beta: Scalar = 1,
          alpha: Scalar = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    bias, product = _t(input), mm(mat1, mat2)
    if _broadcast_or_none(bias.shape, product.shape) != product.shape:
        raise ValueError(f"addmm: input of shape {bias.shape} does not broadcast to the "
                         f"product's shape {product.shape}")
    if bias.dtype != product.dtype:
        raise RuntimeError(f"addmm: expected input of dtype {product.dtype}, got "
                           f"{bias.dtype}")
    if beta == 1 and alpha == 1 and bias.shape == product.shape[1:]:
        return L.Matmul.apply(_t(mat1), _t(mat2), bias, False)  # one node, as nn.Linear's
    return (bias if beta == 1 else bias * beta) + (product if alpha == 1 else product * alpha)


def dot(a: TensorLike, b: TensorLike) -> Tensor:
    a, b = _t(a), _t(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: needs two 1-D tensors, got {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"dot: the two tensors have {a.shape[0]} and {b.shape[0]} elements")
    return matmul(a, b)


def outer(a: TensorLike, b: TensorLike) -> Tensor:
    a, b = _t(a), _t(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: needs two 1-D tensors, got {a.shape} and {b.shape}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def einsum(spec: str, *operands: Any) -> Tensor:
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [_t(o) for o in operands]  # type: ignore[assignment]  # *args made a list
    spec = spec.replace(" ", "")
    if "->" not in spec:  # implicit output: letters seen once, sorted (numpy's rule)
        ins = spec
        letters = [c for c in ins if c.isalpha()]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        spec = ins + "->" + ("..." if "..." in ins else "") + out
    spec = _expand_ellipsis(spec, operands)
    subs = spec.split("->")[0].split(",")
    if len(subs) != len(operands):
        raise ValueError(f"einsum: '{spec}' names {len(subs)} operands, got {len(operands)}")
    sizes: dict[str, int] = {}
    for sub, o in zip(subs, operands):
        if len(sub) != o.ndim:
            raise ValueError(f"einsum: subscripts '{sub}' have {len(sub)} letters but the "
                             f"operand has shape {o.shape}")
        for c, n in zip(sub, o.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise ValueError(f"einsum: index '{c}' has size {sizes[c]} in one operand "
                                 f"and {n} in another")
    dt = operands[0].dtype
    for o in operands[1:]:
        dt = _result_dtype(dt, o.dtype)
    return L.Einsum.apply(spec, *[o.astype(dt) for o in operands])


def _expand_ellipsis(spec, operands):
    if "..." not in spec:
        return spec
    ins, out = spec.split("->")
    subs = ins.split(",")
    used = set(c for c in spec if c.isalpha())
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    n_ell = max(o.ndim - (len(s) - 3) for s, o in zip(subs, operands) if "..." in s)
    ell = "".join(free[:n_ell])
    new = [s.replace("...", ell[n_ell - (o.ndim - (len(s) - 3)):]) if "..." in s else s
           for s, o in zip(subs, operands)]
    return ",".join(new) + "->" + out.replace("...", ell)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                             "concatenated; use stack")
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, which does not match "
                             f"tensor 0's shape {ref.shape} outside dim {d}")
    dt = ref.dtype
    for t in tensors[1:]:
        dt = _result_dtype(dt, t.dtype)
    return M.Cat.apply(d, *[t.astype(dt) for t in tensors])


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Side by side: along dim 1 (dim 0 for 1-D tensors)."""
    tensors = [_t(t).reshape(-1) if _t(t).ndim == 0 else _t(t) for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """One above the other: 1-D tensors become rows, then cat along dim 0."""
    return cat([_t(t).reshape(1, -1) if _t(t).ndim < 2 else _t(t) for t in tensors], 0)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape these shapes broadcast to (ValueError if they do not)."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s)  # type: ignore[assignment]
              for s in shapes]  # *args made a list
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {shapes} cannot be broadcast together") \
            from None


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """Every tensor expanded to the shape they broadcast to together."""
    tensors = [_t(t) for t in tensors]  # type: ignore[assignment]  # *args made a list
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: indexing "ij" (matrix, PyTorch's default) or "xy"
    (Cartesian: the first two dims swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [_t(t) for t in tensors]  # type: ignore[assignment]  # *args made a list
    if any(t.ndim > 1 for t in tensors):
        raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, got shapes "
                         f"{[t.shape for t in tensors]}")
    swap = indexing == "xy" and len(tensors) > 1
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]  # type: ignore[index]  # made a list above
    sizes = tuple(t.numel() for t in tensors)
    grids = [t.reshape(tuple(-1 if k == i else 1 for k in range(len(sizes)))).expand(sizes)
             for i, t in enumerate(tensors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def tensordot(a: TensorLike, b: TensorLike,
              dims: int | Sequence[int | Sequence[int]] = 2) -> Tensor:
    """Sum of products over dims: the last `dims` of a with the first of b, or the lists
    ([dims of a], [dims of b])."""
    a, b = _t(a), _t(b)
    if isinstance(dims, (int, np.integer)):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
    da = [normalize_dim(d, a.ndim, "tensordot") for d in da]
    db = [normalize_dim(d, b.ndim, "tensordot") for d in db]
    if [a.shape[d] for d in da] != [b.shape[d] for d in db]:
        raise ValueError(f"tensordot: contracted dims of {a.shape} ({da}) and {b.shape} "
                         f"({db}) differ in size")
    keep_a = [d for d in range(a.ndim) if d not in da]
    keep_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    left = a.permute(keep_a + da).reshape(math.prod(a.shape[d] for d in keep_a), k)
    right = b.permute(db + keep_b).reshape(k, math.prod(b.shape[d] for d in keep_b))
    return _matmul(left, right).reshape(tuple(a.shape[d] for d in keep_a) +
                                        tuple(b.shape[d] for d in keep_b))


def result_type(tensor1: TensorLike, tensor2: TensorLike) -> np.dtype:
    """The dtype of an arithmetic op between the two (tensors or numbers), by PyTorch's
    promotion rules."""
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor):
        return _pair_dtype(tensor1, tensor2)
    if isinstance(tensor1, Tensor) or isinstance(tensor2, Tensor):
        t, s = (tensor1, tensor2) if isinstance(tensor1, Tensor) else (tensor2, tensor1)
        return _scalar_dtype(t.dtype, s)  # type: ignore[union-attr]  # t is the Tensor
    return _pair_dtype(Tensor(tensor1), Tensor(tensor2))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has "
                             f"{tensors[0].shape}; all must be equal")
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = _result_dtype(dt, t.dtype)
    return M.Stack.apply(d, *[t.astype(dt) for t in tensors])

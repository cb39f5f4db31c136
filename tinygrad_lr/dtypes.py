"""dtypes with PyTorch's names: `tl.float32`, `tl.float`, `tl.long`, ...

A tensor's `.dtype` is a numpy dtype, and so is each name here: `tl.float32` *is*
`np.dtype("float32")`, so `t.dtype == tl.float32`, `t.dtype is tl.float32` and
`np.zeros(3, tl.float32)` all work. The aliases are PyTorch's, which differ from Python's:
`tl.float` is float32 and `tl.int` is int32 (while `dtype=float` means float64, as in
PyTorch and numpy).

tinygrad_lr stores the nine dtypes of `SUPPORTED`; asking for any other (complex, bfloat16,
uint16, ...) raises one TypeError that names it. `resolve_dtype` is the one place that turns
what a user wrote (`tl.float64`, `np.float32`, `float`, `"float32"`, `torch.DoubleTensor`) into
a numpy dtype or that error.

The default dtype (`get_default_dtype`/`set_default_dtype`) is the dtype of Python floats
turned into tensors, of float factories (`zeros`, `rand`, ...) and of new layers' weights.
"""
import builtins

import numpy as np

from ._errors import MissingAPIError

__all__ = ["dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "bool_", "half", "double", "short", "long", "ALIASES", "get_default_dtype",
           "set_default_dtype", "finfo", "iinfo", "promote_types", "can_cast", "is_floating_point",
           "is_complex", "resolve_dtype"]

dtype = np.dtype  # `isinstance(t.dtype, tl.dtype)` holds, as `torch.dtype` does

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)  # exported as `tl.bool`; `bool` here would hide the builtin

half, double, short, long = float16, float64, int16, int64
# `tl.float`, `tl.int`, `tl.bool` shadow builtins, so the package sets them from here:
ALIASES = {"float": float32, "int": int32, "bool": bool_}

SUPPORTED = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_SUPPORTED_TEXT = "float16, float32, float64, int8, int16, int32, int64, uint8 and bool"

# PyTorch dtypes tinygrad_lr cannot store, by the names PyTorch gives them
UNSUPPORTED = {
    "complex32": "complex", "complex64": "complex", "complex128": "complex",
    "cfloat": "complex", "cdouble": "complex", "chalf": "complex",
    "bfloat16": "bfloat16 (numpy has no bfloat16; use float16 or float32)",
    "uint16": "unsigned 16-bit", "uint32": "unsigned 32-bit", "uint64": "unsigned 64-bit",
    "quint8": "quantized", "qint8": "quantized", "qint32": "quantized", "quint4x2": "quantized",
    "quint2x4": "quantized", "float8_e4m3fn": "8-bit float", "float8_e5m2": "8-bit float",
    "float8_e4m3fnuz": "8-bit float", "float8_e5m2fnuz": "8-bit float",
    "bits8": "raw bits", "bits16": "raw bits",
}

# legacy tensor-type names, as `Tensor.type()` returns them and `Tensor.type(name)` takes them
TYPE_NAMES = {float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor",
              int64: "LongTensor", int32: "IntTensor", int16: "ShortTensor",
              int8: "CharTensor", uint8: "ByteTensor", bool_: "BoolTensor"}
_BY_TYPE_NAME = {name: dt for dt, name in TYPE_NAMES.items()}


def unsupported_dtype_error(name: str, where: str = "tinygrad_lr") -> TypeError:
    """The error for a dtype PyTorch has and tinygrad_lr cannot store."""
    kind = UNSUPPORTED.get(name, "this")
    return TypeError(f"{where}: tinygrad_lr cannot store {name} tensors ({kind} dtypes are "
                     f"not supported); it stores {_SUPPORTED_TEXT}")


def resolve_dtype(spec, where: str = "dtype"):
    """The numpy dtype that `spec` names, or None for None.

    Accepts what PyTorch code passes (`tl.float32`, `float`, `int`, `bool`), numpy dtypes and
    types, their names as strings, and the legacy tensor types (`tl.FloatTensor`,
    `"torch.FloatTensor"`). Anything tinygrad_lr cannot store raises a TypeError naming
    `where` (the function and argument, e.g. "zeros(): dtype").
    """
    if spec is None:
        return None
    if isinstance(spec, np.dtype) and spec in SUPPORTED:  # the common case first
        return spec
    legacy = getattr(spec, "_legacy_dtype", None)  # tl.FloatTensor and friends
    if legacy is not None:
        return legacy
    if isinstance(spec, str):  # numpy's names ("float32"), or a legacy type name
        name = spec.removeprefix("torch.").removeprefix("tinygrad_lr.")
        if name in _BY_TYPE_NAME:
            return _BY_TYPE_NAME[name]
        if name in UNSUPPORTED:
            raise unsupported_dtype_error(name, where)
    elif not isinstance(spec, type) and hasattr(spec, "dtype") or \
            isinstance(spec, (builtins.int, builtins.float)):
        raise TypeError(f"{where} must be a dtype such as tl.float32, got "
                        f"{type(spec).__name__} {spec!r}")
    try:
        dt = np.dtype(spec)
    except TypeError:
        raise TypeError(f"{where} must be a dtype such as tl.float32 or tl.int64, got "
                        f"{spec!r}") from None
    if dt in SUPPORTED:
        return dt
    name = {"c": "complex" + str(dt.itemsize * 8), "u": "uint" + str(dt.itemsize * 8)}.get(
        dt.kind, str(dt))
    if name in UNSUPPORTED:
        raise unsupported_dtype_error(name, where)
    raise TypeError(f"{where}: tinygrad_lr cannot store {dt} tensors; it stores "
                    f"{_SUPPORTED_TEXT}")


def type_name(dt) -> str:
    """PyTorch's legacy name of a dtype's tensor type: float32 -> 'torch.FloatTensor'
    (what `Tensor.type()` returns; PyTorch code compares it with these strings)."""
    return "torch." + TYPE_NAMES[np.dtype(dt)]


def is_floating_point(t) -> builtins.bool:
    """True if the tensor's dtype is a floating-point one (torch.is_floating_point)."""
    return np.dtype(t.dtype).kind == "f"


def is_complex(t) -> builtins.bool:
    """Always False: tinygrad_lr has no complex tensors (torch.is_complex)."""
    return np.dtype(t.dtype).kind == "c"


# ------------------------------------------------------------ the default dtype
_default = float32


def get_default_dtype():
    """The dtype of Python floats made into tensors, of float factories and new layers."""
    return _default


def set_default_dtype(d) -> None:
    """Set the default floating-point dtype (float16, float32 or float64), as
    torch.set_default_dtype. It is process-wide, as in PyTorch; integer tensors keep int64."""
    global _default
    dt = resolve_dtype(d, "set_default_dtype()")
    if dt is None or dt.kind != "f":
        raise TypeError(f"set_default_dtype(): only floating-point types are supported as "
                        f"the default type, got {d!r}")
    _default = dt


def finfo(type=None):
    """Machine limits of a floating dtype (eps, max, min, tiny, resolution, bits), the
    default dtype's when none is given, as torch.finfo."""
    dt = get_default_dtype() if type is None else resolve_dtype(type, "finfo()")
    if dt.kind != "f":
        raise TypeError(f"finfo() requires a floating point dtype, got {dt}; use iinfo() "
                        "for integer dtypes")
    return np.finfo(dt)


def iinfo(type):
    """Machine limits of an integer dtype (min, max, bits), as torch.iinfo."""
    dt = resolve_dtype(type, "iinfo()")
    if dt.kind not in "iu":
        raise TypeError(f"iinfo() requires an integer dtype, got {dt}; use finfo() for "
                        "floating-point dtypes")
    return np.iinfo(dt)


def promote_types(type1, type2):
    """The dtype both convert to in an operation, by PyTorch's category rule: bool < integer
    < floating; within a category the wider wins (torch.promote_types)."""
    a, b = resolve_dtype(type1, "promote_types()"), resolve_dtype(type2, "promote_types()")
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    if rank[a.kind] != rank[b.kind]:
        return a if rank[a.kind] > rank[b.kind] else b
    return np.promote_types(a, b)


def can_cast(from_, to) -> builtins.bool:
    """Whether PyTorch's casting rules allow an in-place op to store a `from_` result in a
    `to` tensor: never down a category (float -> int, int -> bool), always within or up."""
    a, b = resolve_dtype(from_, "can_cast()"), resolve_dtype(to, "can_cast()")
    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    return rank[a.kind] <= rank[b.kind]


def __getattr__(name):
    if name in UNSUPPORTED:
        raise MissingAPIError(str(unsupported_dtype_error(name, f"tinygrad_lr.{name}")))
    if name in ALIASES:
        return ALIASES[name]
    raise AttributeError(f"module 'tinygrad_lr.dtypes' has no attribute {name!r}")

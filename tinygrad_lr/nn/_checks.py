"""Argument checks shared by the layers' constructors: a bad size or probability fails at
construction, naming the layer and the argument, not later as a numpy error."""
import numbers

from ..devices import check_device
from ..dtypes import get_default_dtype, resolve_dtype
from ..tensor import Tensor


def check_size(layer, what, value, minimum=0):
    """`value` as an int, if it is an integral number >= minimum (a bool is not a size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{layer}: {what} must be {kind}, got {value!r}")
    return int(value)


def check_input(layer, x, what="input"):
    """A layer's forward takes Tensors only (as PyTorch's), not lists or numpy arrays."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: {what} must be a Tensor, got {type(x).__name__}")
    return x


def check_number(layer, what, value, low=None, high=None, low_open=False):
    """`value` unchanged, if it is a real number, not NaN, >= low (> low if low_open) and <= high.
    Used for hyper-parameters PyTorch leaves unchecked but which give inf or NaN outputs
    (a negative eps, a BatchNorm momentum outside [0, 1])."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {what} must be a number, got {type(value).__name__} "
                        f"{value!r}")
    bad_low = low is not None and (value <= low if low_open else value < low)
    if value != value or bad_low or (high is not None and value > high):
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"<= {high}"
        raise ValueError(f"{layer}: {what} must be {' and '.join(filter(None, (lo, hi)))}, "
                         f"got {value!r}")
    return value


def check_dropout(layer, what, p):
    """`p` as a float in [0, 1). p = 1 would drop every element and leave nothing to learn
    from (PyTorch accepts it and returns zeros; this library refuses it)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"{layer}: {what} must be a probability in [0, 1), got {p!r}")
    return float(p)


def factory_dtype(layer, device, dtype):
    """The dtype of a new layer's parameters from PyTorch's `device=`/`dtype=` constructor
    keywords: `dtype`, else the default dtype (tl.set_default_dtype). Only the CPU is a
    device."""
    check_device(device, f"{layer}: device")
    dt = resolve_dtype(dtype, f"{layer}: dtype")
    if dt is None:
        return get_default_dtype()
    if dt.kind != "f":
        raise TypeError(f"{layer}: parameters need a floating-point dtype, got {dt}")
    return dt

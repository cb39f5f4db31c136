"""Argument checks shared by the layers' constructors: a bad size or probability fails at
construction, naming the layer and the argument, not later as a numpy error."""
import numbers

from ..devices import check_device
from ..dtypes import get_default_dtype, resolve_dtype


def check_size(layer, what, value, minimum=0):
    """`value` as an int, if it is an integral number >= minimum (a bool is not a size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{layer}: {what} must be {kind}, got {value!r}")
    return int(value)


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

"""Devices with PyTorch's API: `tl.device("cpu")`, `device=` arguments, `.to(device)`.

tinygrad_lr computes with numpy on the CPU, so "cpu" (or "cpu:0", "cpu:1": PyTorch drops the
index of a CPU tensor's device too) is the one device there is. PyTorch code usually picks
its device with a probe such as `"cuda" if torch.cuda.is_available() else "cpu"`, and those
probes answer "no accelerator" here (see `cuda.py`, `accelerator.py`, `backends/`), so such
code runs unchanged. Asking for any other device raises `DeviceError`, one error that says
tinygrad_lr runs on the CPU and names what was asked for.
"""
import numbers

from .dtypes import resolve_dtype

__all__ = ["device", "DeviceError", "CPU", "get_default_device", "set_default_device"]

# the device types PyTorch's parser knows (for telling a typo from a real accelerator)
PYTORCH_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep",
                        "hip", "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta",
                        "hpu", "mtia", "privateuseone")


class DeviceError(RuntimeError):
    """A device other than the CPU was asked for."""


def device_error(what, where: str = "") -> DeviceError:
    """The one error for every non-CPU device. `what` is what the user gave; `where` names
    the call ("Tensor.to()", "zeros(): device")."""
    at = f"{where}: " if where else ""
    text = str(what)
    kind = text.split(":")[0]
    if isinstance(what, bool) or not isinstance(what, (str, numbers.Integral)):
        return DeviceError(f"{at}expected a device such as 'cpu' or tl.device('cpu'), got "
                           f"{type(what).__name__} {what!r}")
    if isinstance(what, numbers.Integral):
        asked = f"device {what} (an accelerator index)"
    elif kind in PYTORCH_DEVICE_TYPES:
        asked = f"device {text!r}"
    else:
        known = ", ".join(PYTORCH_DEVICE_TYPES)
        return DeviceError(f"{at}unknown device {text!r}: PyTorch's device types are {known}; "
                           "tinygrad_lr runs on the CPU only, so use 'cpu'")
    return DeviceError(f"{at}tinygrad_lr runs on the CPU only; {asked} is not available. Use "
                       "'cpu', or choose the device with "
                       "`'cuda' if torch.cuda.is_available() else 'cpu'` (False here)")


def no_accelerator(where: str, what: str = "accelerator") -> DeviceError:
    """The error of a call that needs a GPU (tl.cuda.synchronize(), ...)."""
    probe = "tl.cuda" if what == "CUDA" else "tl.accelerator"
    return DeviceError(f"{where}: tinygrad_lr runs on the CPU only; there is no {what} "
                       f"({probe}.is_available() is False)")


class device:
    """A device, as torch.device: `device("cpu")`, `device("cpu", 0)`, `device("cpu:0")`,
    `device(other_device)`. `.type` is "cpu", `.index` the index given or None."""

    __slots__ = ("index", "type")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): give an index only with a device type string")
            type, index = type.type, type.index
        elif not isinstance(type, str):
            raise device_error(type, "device()")
        text = type
        if ":" in text and index is None:
            text, _, idx = text.partition(":")
            if not idx.isdigit():
                raise DeviceError(f"device(): invalid device string {type!r}")
            index = int(idx)
        if text != "cpu":
            raise device_error(type if index is None or ":" in type else f"{type}:{index}",
                               "device()")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, numbers.Integral):
                raise TypeError(f"device(): index must be an integer, got {index!r}")
            if index < 0:
                raise DeviceError(f"device(): device index must not be negative, got {index}")
            index = int(index)
        object.__setattr__(self, "type", "cpu")
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("a device is immutable")

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return device, (self.type, self.index)


CPU = device("cpu")  # every tensor's `.device`


def check_device(spec, where: str = "device"):
    """The device a `device=` argument names: CPU for None, "cpu", "cpu:N" or a cpu device;
    DeviceError (naming `where`) for anything else. Tensors live on `CPU` whatever index was
    given, as PyTorch's CPU tensors do."""
    if spec is None or spec is CPU:
        return CPU
    if isinstance(spec, device):
        return CPU
    if isinstance(spec, str):
        try:
            device(spec)  # raises for anything but the CPU
        except DeviceError as e:
            raise DeviceError(f"{where}: " + str(e).removeprefix("device(): ")) from None
        return CPU
    raise device_error(spec, where)


def _is_device_like(arg) -> bool:
    return isinstance(arg, (str, device)) or (isinstance(arg, numbers.Integral)
                                              and not isinstance(arg, bool))


def parse_to(args, kwargs, where: str = "to()"):
    """(dtype or None, non_blocking, copy) from the arguments of PyTorch's `.to()`:
    `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(tensor)`, with keywords `device=`,
    `dtype=`, `non_blocking=`, `copy=`. The device is checked (only the CPU) and dropped;
    `to(tensor)` gives that tensor's dtype. Shared by Tensor.to and Module.to."""
    kwargs = dict(kwargs)
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    non_blocking = bool(kwargs.pop("non_blocking", False))
    copy = bool(kwargs.pop("copy", False))
    if kwargs.pop("memory_format", None) is not None:
        raise TypeError(f"{where}: memory_format is not supported (tinygrad_lr stores every "
                        "tensor in one layout, numpy's)")
    if kwargs:
        raise TypeError(f"{where} got unexpected keyword argument(s) {sorted(kwargs)}")
    args = list(args)
    if args and _is_device_like(args[0]):
        if dev is not None:
            raise TypeError(f"{where}: device given twice")
        dev = args.pop(0)
    elif args and hasattr(args[0], "_data") and hasattr(args[0], "dtype"):  # to(other)
        if dtype is not None:
            raise TypeError(f"{where}: give either a tensor or dtype=, not both")
        dtype = args.pop(0).dtype
    if args and not isinstance(args[0], bool):
        if dtype is not None:
            raise TypeError(f"{where}: dtype given twice")
        dtype = args.pop(0)
    if args:  # positional non_blocking, copy
        non_blocking = bool(args.pop(0))
    if args:
        copy = bool(args.pop(0))
    if args:
        raise TypeError(f"{where}: too many arguments")
    check_device(dev, where)
    return resolve_dtype(dtype, f"{where}: dtype"), non_blocking, copy


# torch.get_default_device / set_default_device: the CPU is the only choice
def get_default_device() -> device:
    """The device new tensors go to: always the CPU."""
    return CPU


def set_default_device(spec) -> None:
    """Accepts only the CPU (or None), so code that sets it explicitly keeps working."""
    check_device(spec, "set_default_device()")

"""`tl.accelerator`: PyTorch's device-neutral accelerator probe, answering "none".

PyTorch's tutorials choose their device with
`tl.accelerator.current_accelerator().type if tl.accelerator.is_available() else "cpu"`; here
`is_available()` is False and `current_accelerator()` None, as in a CPU-only PyTorch. Calls
that need an accelerator raise DeviceError, as PyTorch's do.
"""
from .compat import missing_attribute
from .devices import no_accelerator


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator."""


def device_count() -> int:
    return 0


def empty_cache() -> None:
    """No-op: there is no accelerator memory cache."""


def _needs_accelerator(name):
    def call(*args, **kwargs):
        raise no_accelerator(f"tl.accelerator.{name}()")

    call.__name__ = name
    call.__doc__ = "Raises DeviceError: there is no accelerator, tinygrad_lr runs on the CPU."
    return call


for _name in ("current_device_index", "current_device_idx", "set_device_index",
              "set_device_idx", "synchronize", "current_stream", "set_stream", "device_index"):
    globals()[_name] = _needs_accelerator(_name)
del _name


def __getattr__(name):
    raise missing_attribute("torch.accelerator", name, globals())

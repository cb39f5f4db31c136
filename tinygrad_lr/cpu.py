"""`tl.cpu`: PyTorch's CPU device module. The CPU is always there, and it is the only
device (device-neutral code calls these the way it calls tl.cuda's)."""
from .compat import missing_attribute
from .devices import check_device


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def is_initialized() -> bool:
    return True


def synchronize(device=None) -> None:
    """No-op: CPU work is finished when the call that did it returns."""
    check_device(device, "tl.cpu.synchronize()")


def set_device(device) -> None:
    """Accepts only the CPU."""
    check_device(device, "tl.cpu.set_device()")


def __getattr__(name):
    raise missing_attribute("torch.cpu", name, globals())

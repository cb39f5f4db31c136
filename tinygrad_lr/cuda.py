"""`tl.cuda`: the answers a CPU-only PyTorch gives, so scripts that probe for CUDA run.

`is_available()` is False and `device_count()` 0, so `"cuda" if tl.cuda.is_available() else
"cpu"` picks the CPU. Seeding and cache calls that such scripts make unconditionally are
no-ops, memory counters are 0 (as in PyTorch without CUDA). Calls that need a GPU
(`current_device`, `synchronize`, `get_device_name`, ...) raise DeviceError.
"""
from .compat import missing_attribute
from .devices import no_accelerator


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def manual_seed(seed: int) -> None:
    """No-op (there is no CUDA generator); seed the CPU with tl.manual_seed."""


def manual_seed_all(seed: int) -> None:
    """No-op, as manual_seed."""


def seed() -> None:
    """No-op, as manual_seed."""


def seed_all() -> None:
    """No-op, as manual_seed."""


def empty_cache() -> None:
    """No-op: there is no CUDA memory cache."""


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def reset_peak_memory_stats(device=None) -> None:
    """No-op: there are no CUDA memory statistics."""


def _needs_gpu(name):
    def call(*args, **kwargs):
        raise no_accelerator(f"tl.cuda.{name}()", "CUDA")

    call.__name__ = name
    call.__doc__ = "Raises DeviceError: it needs a CUDA device, and tinygrad_lr runs on the CPU."
    return call


for _name in ("current_device", "set_device", "synchronize", "get_device_name",
              "get_device_properties", "get_device_capability", "init", "get_rng_state",
              "set_rng_state", "get_rng_state_all", "set_rng_state_all", "device", "stream",
              "current_stream"):
    globals()[_name] = _needs_gpu(_name)
del _name


def __getattr__(name):
    raise missing_attribute("torch.cuda", name, globals())

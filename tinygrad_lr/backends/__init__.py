"""`tl.backends`: the backend switches PyTorch scripts set or probe.

There is one backend, numpy (BLAS for GEMMs) plus Numba kernels on the CPU, so these flags
change nothing; they exist so that `torch.backends.cudnn.benchmark = True` or
`torch.backends.mps.is_available()` in a script runs and answers as a CPU-only PyTorch does.
The process-wide knobs PyTorch keeps at top level (`set_float32_matmul_precision`,
`use_deterministic_algorithms`) live here too: tinygrad_lr always computes float32 matmuls in
float32 and is deterministic, so they only record what was asked.
"""
from __future__ import annotations

import warnings
from typing import Any

from ..compat import missing_attribute
from . import cuda, cudnn, mps

__all__ = [
    "are_deterministic_algorithms_enabled",
    "cuda",
    "cudnn",
    "get_float32_matmul_precision",
    "is_deterministic_algorithms_warn_only_enabled",
    "mps",
    "set_float32_matmul_precision",
    "use_deterministic_algorithms",
]

_MATMUL_PRECISIONS = ("highest", "high", "medium")
_state: dict[str, Any] = {"matmul_precision": "highest", "deterministic": False,
                          "warn_only": False}


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: float32 matmuls always run in full float32 precision here."""
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', "
                      "'high' or 'medium'; the call has no effect", stacklevel=2)
        return
    _state["matmul_precision"] = precision


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: every op here gives the same result on every run."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): mode must be a bool, got "
                        f"{type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def __getattr__(name):
    raise missing_attribute("torch.backends", name, globals())

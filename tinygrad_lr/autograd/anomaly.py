"""detect_anomaly: stop at the first op whose forward or backward produces NaN/Inf."""
from __future__ import annotations

from typing import Literal

from ..graph.grad_mode import STATE

__all__ = ["detect_anomaly"]


class detect_anomaly:
    """Context manager: every op checks its output (forward) and its gradients (backward)
    for NaN/Inf and raises FloatingPointError naming the op. Slow; for debugging."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check = check_nan

    def __enter__(self) -> detect_anomaly:
        self.prev = STATE.anomaly
        STATE.anomaly = self.check
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        STATE.anomaly = self.prev
        return False

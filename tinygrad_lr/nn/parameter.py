"""Parameter: a leaf Tensor that requires grad and that a Module registers by assignment."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, output_nr=0):
        # what an op (or detach, .data) makes from a parameter is a plain Tensor, as in
        # PyTorch: a result that stayed a Parameter would print as one and would register
        # itself as a parameter when assigned to a module attribute
        return Tensor._make(data, requires_grad, grad_fn, output_nr)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

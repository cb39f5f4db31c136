"""Dropout, function form: F.dropout (also what nn.Dropout and the RNN layers call)."""
from __future__ import annotations

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from ._checks import check_dropout

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted
    dropout: the expected value is unchanged, so eval mode is the identity). The mask is
    drawn from the global generator, so `tl.manual_seed` makes it repeatable."""
    p = check_dropout("dropout", "p", p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f" and training and p != 0.0:
        # the 1/(1-p) scale would be truncated to an integer (PyTorch refuses too)
        raise TypeError(f"dropout: needs a floating-point input, got {input.dtype}; use "
                        ".float() first")
    if not training or p == 0.0:
        return input
    uniform_dtype = np.float32 if input.dtype == np.float32 else np.float64
    keep = _random.generator().random(input.shape, dtype=uniform_dtype) >= p
    mask = keep.astype(input.dtype) * input.dtype.type(1.0 / (1.0 - p))
    return input * Tensor._make(mask)

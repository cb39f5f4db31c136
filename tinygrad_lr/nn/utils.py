"""nn.utils: gradient clipping and flattening parameters into one vector (PyTorch's names).

Clipping rescales `.grad` in place after backward() and before optimizer.step(); it is how
exploding gradients (RNNs, too-large learning rates) are kept in check.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ..tensor import Tensor, cat

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _param_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their total norm (the norm of the vector of all
    gradient entries) is at most max_norm. Returns the total norm before clipping."""
    grads = [p.grad._data for p in _param_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    if norm_type == math.inf:
        total = max(np.abs(g).max() if g.size else 0.0 for g in grads)
    else:  # the norm of the per-tensor norms is the norm of everything
        norms = [np.linalg.norm(g.reshape(-1), ord=norm_type) for g in grads]
        total = np.linalg.norm(np.array(norms), ord=norm_type)
    total = np.asarray(total, dtype=grads[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {float(total)}, so they cannot be clipped; set "
                           "error_if_nonfinite=False to scale by it anyway")
    clip_coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    for g in grads:
        g *= g.dtype.type(clip_coef)
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _param_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    params = _param_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D tensor `vec` into the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    params = _param_list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec has shape {vec.shape}, but the "
                         f"parameters have {total} elements in all")
    offset = 0
    for p in params:
        p._data[...] = vec._data[offset:offset + p.numel()].reshape(p.shape)
        offset += p.numel()


def zero_grad_(parameters: Tensor | Iterable[Tensor], set_to_none: bool = True) -> None:
    """Forget the gradients: set them to None (cheapest) or fill them with zeros.
    Module.zero_grad and Optimizer.zero_grad both call this."""
    for p in parameters:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad._data[...] = 0

"""BatchNorm1d, BatchNorm2d and LayerNorm with PyTorch's parameters, buffers and modes.

BatchNorm in training mode normalises with the batch's statistics and updates the
running ones; in eval mode it uses the running statistics (a fixed affine map).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.typing import DTypeLike

from ..tensor import Tensor
from . import functional_layers as F
from . import init
from ._checks import check_input, check_number, check_size, factory_dtype
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    _input_ndims: tuple[int, ...] = ()  # ranks this layer accepts
    _expected = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: DTypeLike | None = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = check_size(type(self).__name__, "num_features", num_features, 1)
        dtype = factory_dtype(type(self).__name__, device, dtype)
        # PyTorch accepts these, but a negative eps gives inf or NaN and a momentum outside
        # [0, 1] makes the running statistics diverge
        self.eps = check_number(type(self).__name__, "eps", eps, 0)
        if momentum is not None:  # None: a cumulative moving average
            check_number(type(self).__name__, "momentum", momentum, 0, 1)
        self.momentum = momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(self.num_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        check_input(name, x)
        if x.ndim not in self._input_ndims:
            raise ValueError(f"{name}: expected {self._expected} input, got shape "
                             f"{tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected {self.num_features} "
                             f"channels in dim 1, got {x.shape[1]} (input shape "
                             f"{tuple(x.shape)})")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data[...] += 1
            self.num_batches_tracked._version[0] += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked._data)
        # batch statistics in training mode, and whenever there are no running ones
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L): statistics per channel C."""

    _input_ndims = (2, 3)
    _expected = "2D (N, C) or 3D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W): statistics per channel C."""

    _input_ndims = (4,)
    _expected = "4D (N, C, H, W)"


class LayerNorm(Module):
    """Normalise over the trailing normalized_shape dims of each sample."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(check_size("LayerNorm", "normalized_shape", n, 1)
                                      for n in normalized_shape)
        self.eps = check_number("LayerNorm", "eps", eps, 0)
        self.elementwise_affine = elementwise_affine
        dtype = factory_dtype("LayerNorm", device, dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        check_input("LayerNorm", x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(f"{self!r}: expected input whose last {k} dimension(s) are "
                             f"{self.normalized_shape}, got shape {tuple(x.shape)}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")

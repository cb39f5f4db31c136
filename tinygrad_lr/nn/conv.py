"""Convolution and pooling layers, with PyTorch's arguments, parameter names, shapes and
default initialisation."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..tensor import Tensor
from . import functional_conv as F
from . import init
from ._checks import check_size, factory_dtype
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d"]


def _tuple(value, nd, what, layer, minimum):
    values = (value,) * nd if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != nd or any(int(v) != v or v < minimum for v in values):
        raise ValueError(f"{layer}: {what} must be an int >= {minimum} or a tuple of {nd} "
                         f"such ints, got {value!r}")
    return tuple(int(v) for v in values)


class _ConvNd(Module):
    """Shared constructor of Conv1d/Conv2d/ConvTranspose2d: checks, parameters, init."""

    nd = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...], padding: int | tuple[int, ...] | str,
                 dilation: int | tuple[int, ...], groups: int, bias: bool,
                 output_padding: int | tuple[int, ...] = 0, device: Any = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        layer, nd = type(self).__name__, self.nd
        in_channels = check_size(layer, "in_channels", in_channels, 1)
        out_channels = check_size(layer, "out_channels", out_channels, 1)
        groups = check_size(layer, "groups", groups, 1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{layer}: groups ({groups}) must divide in_channels "
                             f"({in_channels}) and out_channels ({out_channels})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, nd, "kernel_size", layer, 1)
        self.stride = _tuple(stride, nd, "stride", layer, 1)
        self.dilation = _tuple(dilation, nd, "dilation", layer, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self.transposed:
                raise ValueError(f"{layer}: padding must be an int, a tuple"
                                 f"{'' if self.transposed else ', same or valid'}; got "
                                 f"{padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{layer}: padding='same' needs stride 1, got {self.stride}")
            self.padding = padding
        else:
            self.padding = _tuple(padding, nd, "padding", layer, 0)
        if self.transposed:
            self.output_padding = _tuple(output_padding, nd, "output_padding", layer, 0)
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        dtype = factory_dtype(layer, device, dtype)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self.nd:
            s += f", padding={self.padding}"
        if self.transposed and self.output_padding != (0,) * self.nd:
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """Input (N, C_in, L) -> (N, C_out, L_out); weight (C_out, C_in // groups, k)."""

    nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                 dilation: int | tuple[int, ...] = 1, groups: int = 1, bias: bool = True,
                 device: Any = None, dtype: DTypeLike | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return F._conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                       self.groups, 1, "Conv1d")


class Conv2d(_ConvNd):
    """Input (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight (C_out, C_in // groups, kh, kw)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                 dilation: int | tuple[int, ...] = 1, groups: int = 1, bias: bool = True,
                 device: Any = None, dtype: DTypeLike | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return F._conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                       self.groups, 2, "Conv2d")


class ConvTranspose2d(_ConvNd):
    """The adjoint of Conv2d (a learned upsampling); weight (C_in, C_out // groups, kh, kw).

    H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1.
    """

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                 output_padding: int | tuple[int, ...] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | tuple[int, ...] = 1, device: Any = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, output_padding, device, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return F._conv_transpose(x, self.weight, self.bias, self.stride, self.padding,
                                 self.output_padding, self.groups, self.dilation,
                                 "ConvTranspose2d")


class _MaxPoolNd(Module):
    nd = 2

    def __init__(self, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, dilation: int | tuple[int, ...] = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        F._no_indices(return_indices, type(self).__name__)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x: Tensor) -> Any:
        return F._max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                           self.ceil_mode, self.nd, type(self).__name__)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Maximum over windows of (N, C, L); the gradient goes to each window's (first) maximum."""

    nd = 1


class MaxPool2d(_MaxPoolNd):
    """Maximum over windows of (N, C, H, W); the gradient goes to each window's (first) maximum."""


class AvgPool2d(Module):
    def __init__(self, kernel_size: int | tuple[int, ...],
                 stride: int | tuple[int, ...] | None = None,
                 padding: int | tuple[int, ...] = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F._avg_pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                           self.count_include_pad, self.divisor_override, "AvgPool2d")

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, "
                f"padding={self.padding}")


class AdaptiveAvgPool2d(Module):
    """Averages (N, C, H, W) down to (N, C, *output_size) whatever H and W are."""

    def __init__(self, output_size: int | tuple[int | None, ...]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F._adaptive_avg_pool(x, self.output_size, "AdaptiveAvgPool2d")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"

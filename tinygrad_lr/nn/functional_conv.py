"""Convolution and pooling, function form (PyTorch's signatures).

These check the arguments and shapes - errors name the layer, the expected and the actual
shape - turn sizes into (height, width) pairs and call the ops in ops/conv.py. The 1-D
versions run the 2-D ops on a unit height.
"""
from __future__ import annotations

from numbers import Integral
from typing import Any

from ..kernels import reference_kernels_enabled
from ..kernels.pool import pool_out_size
from ..ops import conv as ops
from ..tensor import Tensor
from . import reference as R

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d"]


def _pair(value, nd, what, name, minimum):
    """An int or a tuple of nd ints -> a (height, width) pair (height 1 for 1-D)."""
    values = (value,) * nd if isinstance(value, Integral) else tuple(value)
    if len(values) != nd or not all(isinstance(v, Integral) for v in values):
        raise ValueError(f"{name}: {what} must be an int or a tuple of {nd} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: {what} must be >= {minimum}, got {value!r}")
    values = tuple(int(v) for v in values)
    return values if nd == 2 else (minimum,) + values  # 1-D: a unit height (no padding)


def _with_batch(op, x, nd, name, *args):
    """op(x, *args) on a batched input (N, C, ...). As in PyTorch, one unbatched sample
    (C, ...) is also accepted, and then the result is unbatched too."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim == nd + 1:
        return op(x.unsqueeze(0), *args).squeeze(0)
    if x.ndim != nd + 2:
        layout = "(C, H, W)" if nd == 2 else "(C, L)"
        raise ValueError(f"{name}: expected a {nd + 1}-D unbatched input {layout} or a "
                         f"{nd + 2}-D batched input (N, {layout[1:]}, got a {x.ndim}-D input "
                         f"of shape {tuple(x.shape)}")
    return op(x, *args)


def _check_dtypes(x, weight, bias, name):
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{name}: input is {x.dtype} but {what} is {t.dtype}; convert one "
                            "(e.g. model.double() or x.float())")


def _check_window(x, kernel, padding, dilation, nd, name):
    spatial = tuple(x.shape[2:]) if nd == 2 else (1,) + tuple(x.shape[2:])
    padded = tuple(s + 2 * p for s, p in zip(spatial, padding))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(s > p for s, p in zip(span, padded)):
        show = (lambda t: t) if nd == 2 else (lambda t: t[1:])
        raise ValueError(f"{name}: kernel size {show(span)} (after dilation) is larger than "
                         f"the padded input size {show(padded)} (input shape "
                         f"{tuple(x.shape)}, padding {show(padding)})")


def _same_padding(x, kernel, stride, dilation, nd, name):
    """padding='same': stride must be 1; an odd total padding puts the extra on the end side."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{name}: padding='same' needs stride 1, got stride {stride[-nd:]}")
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    extra = [t % 2 for t in totals]
    if any(extra):  # pad the end of each odd dimension by one, then pad symmetrically
        pads = (0, extra[1]) + ((0, extra[0]) if nd == 2 else ())
        x = x.pad(pads)
    return x, tuple(t // 2 for t in totals)


def _conv(x, weight, bias, stride, padding, dilation, groups, nd, name):
    return _with_batch(_conv_batched, x, nd, name, weight, bias, stride, padding, dilation,
                       groups, nd, name)


def _conv_batched(x, weight, bias, stride, padding, dilation, groups, nd, name):
    given = (x, weight, bias, stride, padding, dilation, groups)
    if weight.ndim != nd + 2:
        raise ValueError(f"{name}: weight must be {nd + 2}-D (out_channels, in_channels/groups, "
                         f"kernel...), got shape {tuple(weight.shape)}")
    out_channels, in_per_group = weight.shape[:2]
    if groups < 1 or out_channels % groups:
        raise ValueError(f"{name}: groups ({groups}) must be >= 1 and divide out_channels "
                         f"({out_channels})")
    if x.shape[1] != in_per_group * groups:
        raise ValueError(f"{name}: expected input with {in_per_group * groups} channels "
                         f"(weight {tuple(weight.shape)}, groups {groups}), got input of shape "
                         f"{tuple(x.shape)} with {x.shape[1]} channels")
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{name}: bias must have shape ({out_channels},), got "
                         f"{tuple(bias.shape)}")
    _check_dtypes(x, weight, bias, name)
    kernel = (1,) * (2 - nd) + tuple(weight.shape[2:])
    stride = _pair(stride, nd, "stride", name, 1)
    dilation = _pair(dilation, nd, "dilation", name, 1)
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        x, padding = _same_padding(x, kernel, stride, dilation, nd, name)
    else:
        padding = _pair(padding, nd, "padding", name, 0)
    _check_window(x, kernel, padding, dilation, nd, name)
    if reference_kernels_enabled():  # the plain version: nn/reference.py
        return (R.conv2d if nd == 2 else R.conv1d)(*given)
    return ops.Conv2d.apply(x, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
           dilation: int | tuple[int, ...] = 1, groups: int = 1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
           dilation: int | tuple[int, ...] = 1, groups: int = 1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, name):
    return _with_batch(_conv_transpose_batched, x, 2, name, weight, bias, stride, padding,
                       output_padding, groups, dilation, name)


def _conv_transpose_batched(x, weight, bias, stride, padding, output_padding, groups, dilation,
                            name):
    given = (x, weight, bias, stride, padding, output_padding, groups, dilation)
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must be 4-D (in_channels, out_channels/groups, kh, "
                         f"kw), got shape {tuple(weight.shape)}")
    if groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"{name}: groups ({groups}) must be >= 1 and divide in_channels "
                         f"({weight.shape[0]})")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"{name}: expected input with {weight.shape[0]} channels (weight "
                         f"{tuple(weight.shape)}), got input of shape {tuple(x.shape)} with "
                         f"{x.shape[1]} channels")
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(f"{name}: bias must have shape ({out_channels},), got "
                         f"{tuple(bias.shape)}")
    _check_dtypes(x, weight, bias, name)
    stride = _pair(stride, 2, "stride", name, 1)
    padding = _pair(padding, 2, "padding", name, 0)
    output_padding = _pair(output_padding, 2, "output_padding", name, 0)
    dilation = _pair(dilation, 2, "dilation", name, 1)
    if any(op >= s for op, s in zip(output_padding, stride)):
        raise ValueError(f"{name}: output_padding {output_padding} must be smaller than the "
                         f"stride {stride}")
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
                   zip(x.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding))
    if any(n < 1 for n in out_hw):
        raise ValueError(f"{name}: the output size {out_hw} would be empty for input shape "
                         f"{tuple(x.shape)} (padding {padding} is too large)")
    out_shape = (x.shape[0], out_channels) + out_hw
    if reference_kernels_enabled():
        return R.conv_transpose2d(*given)
    return ops.ConvTranspose2d.apply(x, weight, bias, stride, padding, dilation, groups,
                                     out_shape)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: int | tuple[int, ...] = 1, padding: int | tuple[int, ...] | str = 0,
                     output_padding: int | tuple[int, ...] = 0, groups: int = 1,
                     dilation: int | tuple[int, ...] = 1) -> Tensor:
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, "conv_transpose2d")


def _pool_args(x, kernel_size, stride, padding, dilation, nd, name):
    kernel = _pair(kernel_size, nd, "kernel_size", name, 1)
    stride = kernel if stride is None or stride == () else _pair(stride, nd, "stride", name, 1)
    padding = _pair(padding, nd, "padding", name, 0)
    dilation = _pair(dilation, nd, "dilation", name, 1)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: padding {padding[2 - nd:]} must be at most half the kernel "
                         f"size {kernel[2 - nd:]}")
    _check_window(x, kernel, padding, dilation, nd, name)
    return kernel, stride, padding, dilation


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name):
    return _with_batch(_max_pool_batched, x, nd, name, kernel_size, stride, padding, dilation,
                       ceil_mode, nd, name)


def _max_pool_batched(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name):
    given = (x, kernel_size, stride, padding, dilation, ceil_mode)
    kernel, stride, padding, dilation = _pool_args(x, kernel_size, stride, padding, dilation,
                                                   nd, name)
    spatial = (1,) * (2 - nd) + tuple(x.shape[2:])
    out_hw = tuple(pool_out_size(*a, ceil_mode) for a in zip(spatial, kernel, stride, padding,
                                                             dilation))
    if reference_kernels_enabled():
        return (R.max_pool2d if nd == 2 else R.max_pool1d)(*given)
    return ops.MaxPool2d.apply(x, kernel, stride, padding, dilation, out_hw)


def _no_indices(return_indices, name):
    if return_indices:
        raise NotImplementedError(f"{name}: return_indices=True is not supported")


def max_pool1d(input: Tensor, kernel_size: int | tuple[int, ...],
               stride: int | tuple[int, ...] | None = None,
               padding: int | tuple[int, ...] = 0, dilation: int | tuple[int, ...] = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    _no_indices(return_indices, "max_pool1d")
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d")


def max_pool2d(input: Tensor, kernel_size: int | tuple[int, ...],
               stride: int | tuple[int, ...] | None = None,
               padding: int | tuple[int, ...] = 0, dilation: int | tuple[int, ...] = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    _no_indices(return_indices, "max_pool2d")
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d")


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
              name):
    return _with_batch(_avg_pool_batched, x, 2, name, kernel_size, stride, padding, ceil_mode,
                       count_include_pad, divisor_override, name)


def _avg_pool_batched(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                      divisor_override, name):
    given = (x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    kernel, stride, padding, _ = _pool_args(x, kernel_size, stride, padding, 1, 2, name)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{name}: divisor_override must be positive, got {divisor_override}")
    out_hw = tuple(pool_out_size(n, k, s, p, 1, ceil_mode) for n, k, s, p in
                   zip(x.shape[2:], kernel, stride, padding))
    if reference_kernels_enabled():
        return R.avg_pool2d(*given)
    return ops.AvgPool2d.apply(x, kernel, stride, padding, out_hw, bool(count_include_pad),
                               divisor_override)


def avg_pool2d(input: Tensor, kernel_size: int | tuple[int, ...],
               stride: int | tuple[int, ...] | None = None,
               padding: int | tuple[int, ...] = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


def _adaptive_avg_pool(x, output_size, name):
    return _with_batch(_adaptive_avg_pool_batched, x, 2, name, output_size, name)


def _adaptive_avg_pool_batched(x, output_size, name):
    sizes = (output_size,) * 2 if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{name}: output_size must be an int or a pair, got {output_size!r}")
    out_hw = tuple(n if s is None else s for s, n in zip(sizes, x.shape[2:]))
    if any(s < 1 for s in out_hw):
        raise ValueError(f"{name}: output_size must be positive, got {output_size!r}")
    if reference_kernels_enabled():
        return R.adaptive_avg_pool2d(x, output_size)
    return ops.AdaptiveAvgPool2d.apply(x, out_hw)


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, ...]) -> Tensor:
    return _adaptive_avg_pool(input, output_size, "adaptive_avg_pool2d")


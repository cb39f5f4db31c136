"""Batch and layer normalisation as one node each: forward and backward in Numba kernels
(kernels/norm.py). Their backward is computed on arrays, so it is differentiable once
(batch norm with fixed statistics, an affine map, is differentiable again). The plain
version of each, written with Tensor ops, is in nn/reference.py.
"""
import math

import numpy as np

from ..graph.function import Function
from ..kernels.norm import (
    batch_norm_backward,
    batch_stats,
    layer_norm_backward_rows,
    layer_norm_rows,
    scale_shift,
)
from ._util import gradients, on_arrays


def batch_statistics(x):
    """x (N, C, *spatial) -> (x as a contiguous (N, C, L) array, per-channel mean, biased
    variance): what BatchNorm normalises with, and what the running statistics track."""
    x3 = _as_ncl(x._data)
    mean, var = batch_stats(x3)
    return x3, mean, var


class BatchNorm(Function):
    """Batch normalisation of x viewed as (N, C, L) with the batch's own statistics
    (mean and biased variance per channel over N and L, computed by the caller).

    forward: xhat = (x - mean) / sqrt(var + eps), y = xhat * w + b.
    backward (one kernel pass per channel):
        dw = sum(g * xhat), db = sum(g),
        dx = w / std * (g - mean(g) - xhat * mean(g * xhat)).
    """

    array_forward = True
    differentiable_backward = False
    node_name = "NativeBatchNormBackward0"
    graph_inputs = (0, 1, 2)  # x, weight, bias (None without affine), as PyTorch shows them

    @staticmethod
    def forward(ctx, x, weight, bias, x3, mean, var, eps):
        invstd = 1.0 / np.sqrt(var + eps)
        w, b = _affine(weight, bias, x3.shape[1], x3.dtype)
        ctx.x3, ctx.w, ctx.mean, ctx.invstd = x3, w, mean, invstd
        ctx.save_for_backward(x)
        return scale_shift(x3, mean, invstd, w, b).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors  # checks x was not modified in place
        gx, gw, gb = batch_norm_backward(_as_ncl(g._data), ctx.x3, ctx.mean, ctx.invstd, ctx.w)
        _, need_w, need_b = ctx.needs_input_grad[:3]
        dt = x.dtype
        return (g._make(gx.reshape(x.shape)),
                g._make(gw.astype(dt)) if need_w else None,
                g._make(gb.astype(dt)) if need_b else None,
                None, None, None, None)


class BatchNormEval(Function):
    """Batch normalisation with fixed (running) statistics: y = (x - mean) * invstd * w + b
    per channel, an affine map of x, as ONE node (PyTorch's) computed by the scale-shift
    kernel. Its gradients: dx = g * invstd * w, dw = sum(g * xhat), db = sum(g) over all
    but the channel dim; written once with operators numpy and Tensor share, so under
    create_graph=True they are recorded and differentiable again."""

    array_forward = True
    node_name = "NativeBatchNormBackward0"
    graph_inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd):
        c = x.shape[1]
        w, b = _affine(weight, bias, c, x.dtype)
        ctx.mean, ctx.invstd = mean, invstd
        ctx.save_for_backward(x, weight)
        return scale_shift(_as_ncl(x._data), mean, invstd, w, b).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        axes = (0,) + tuple(range(2, x.ndim))
        dt = x.dtype
        invstd = ctx.invstd.astype(dt).reshape(shape)
        g_, x_, w_ = on_arrays(g, x, weight)
        gx = gw = gb = None
        if need_x:
            gx = g_ * invstd if w_ is None else g_ * invstd * w_.reshape(shape)
        if need_w:
            gw = (g_ * ((x_ - ctx.mean.astype(dt).reshape(shape)) * invstd)).sum(axes)
        if need_b:
            gb = g_.sum(axes)
        return gradients(g, gx, gw, gb) + (None, None)


def _as_ncl(a):
    """(N, C, *spatial) -> a contiguous (N, C, L) view."""
    a = np.ascontiguousarray(a)
    # math.prod, not -1: an empty batch has no length to infer
    return a.reshape(a.shape[0], a.shape[1], math.prod(a.shape[2:]))


def _affine(weight, bias, n, dtype):
    w = weight._data if weight is not None else np.ones(n, dtype=dtype)
    b = bias._data if bias is not None else np.zeros(n, dtype=dtype)
    return w, b


class LayerNorm(Function):
    """Normalise each row of x viewed as (M, D) over its D trailing elements.

    backward per row: dx = (g*w - mean(g*w) - xhat * mean(g*w * xhat)) / std;
    dw = sum over rows of g * xhat, db = sum over rows of g (all in one kernel pass).
    """

    array_forward = True
    differentiable_backward = False
    node_name = "NativeLayerNormBackward0"
    graph_inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps):
        d = math.prod(normalized_shape)
        rows = np.ascontiguousarray(x._data).reshape(-1, d)
        w, b = _affine(weight, bias, d, rows.dtype)
        out, mean, invstd = layer_norm_rows(rows, w.reshape(-1), b.reshape(-1), eps)
        ctx.rows, ctx.mean, ctx.invstd, ctx.w = rows, mean, invstd, w.reshape(-1)
        ctx.normalized_shape = normalized_shape
        ctx.save_for_backward(x)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors  # checks x was not modified in place
        g_rows = np.ascontiguousarray(g._data).reshape(ctx.rows.shape)
        gx, gw, gb = layer_norm_backward_rows(g_rows, ctx.rows, ctx.mean, ctx.invstd, ctx.w)
        _, need_w, need_b = ctx.needs_input_grad[:3]
        shape = ctx.normalized_shape
        return (g._make(gx.reshape(x.shape)),
                g._make(gw.reshape(shape)) if need_w else None,
                g._make(gb.reshape(shape)) if need_b else None, None, None)

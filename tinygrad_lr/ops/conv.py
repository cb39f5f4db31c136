"""Convolution and pooling ops: forward and backward on arrays, through kernels/conv.py and
kernels/pool.py. The plain version of each, written with Tensor ops, is in
nn/reference.py (the same formulas a learner reads; `tl.use_reference_kernels()` runs it).

Their backward passes call kernels on arrays, so they are differentiable once
(`differentiable_backward = False`: asking for a second derivative through them raises a
clear error instead of a silently wrong one).

The 1-D ops are the 2-D ops on a unit height: a 3-D input (N, C, L) is viewed as
(N, C, 1, L) on the way in and the gradient is viewed back on the way out. Arguments
(stride, padding, ...) arrive as (height, width) pairs, already checked by
nn/functional_conv.py.
"""

import numpy as np

from ..graph.function import Function, shown_node
from ..kernels.conv import (
    batch_chunks,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    depthwise_backward_input,
    depthwise_backward_weight,
    depthwise_forward,
    im2col,
    is_depthwise,
    is_one_by_one,
    is_pointwise,
    one_by_one_backward_input,
    one_by_one_backward_weight,
    one_by_one_forward,
    out_size,
    to_columns,
)
from ..kernels.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
)
from ..kernels.reduce import sum_axes
from ._util import as_tensors


def _as_2d(a):
    return a if a.ndim == 4 else a[:, :, None, :]


def _shape_2d(shape):
    return shape if len(shape) == 4 else shape[:2] + (1,) + shape[2:]


def _bias_grad(g):
    """The bias gradient: g (N, C, ...) summed over all axes but C (kernels/reduce.py adds
    whole samples first, then each channel's positions)."""
    return sum_axes(g, (0,) + tuple(range(2, g.ndim)))


class _KernelOp(Function):
    array_forward = True
    differentiable_backward = False


class Conv2d(_KernelOp):
    """im2col + GEMM (kernels/conv.py), chunk by chunk over a large batch; a depthwise
    convolution runs direct loops, a 1x1 one a product per sample."""

    node_name = "ConvolutionBackward0"  # PyTorch's one node for every convolution
    graph_inputs = (0, 1, 2)            # x, weight, bias (None when there is none)

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        xa, wa = _as_2d(x._data), _as_2d(w._data)
        ctx.depthwise = is_depthwise(xa.shape[1], wa.shape, groups)
        ctx.one_by_one = not ctx.depthwise and is_one_by_one(wa.shape[2:], padding, groups)
        ctx.chunks = None
        if ctx.depthwise:
            out = depthwise_forward(xa, wa, stride, padding, dilation)
            saved = x
        elif ctx.one_by_one:
            out = one_by_one_forward(xa, wa, stride)
            saved = x
        else:
            kernel = wa.shape[2:]
            ho, wo = (out_size(xa.shape[2 + d], kernel[d], stride[d], padding[d], dilation[d])
                      for d in range(2))
            column_bytes = xa.shape[1] * kernel[0] * kernel[1] * ho * wo * xa.itemsize
            ctx.chunks = batch_chunks(xa.shape[0], column_bytes)
            if len(ctx.chunks) > 1:  # a large batch: convolved chunk by chunk (CHUNK_BYTES)
                out = np.empty((xa.shape[0], wa.shape[0], ho, wo), dtype=xa.dtype)
                for start, stop in ctx.chunks:
                    out[start:stop] = conv2d_forward(xa[start:stop], wa, stride, padding,
                                                     dilation, groups)[0]
                saved = x
            else:
                out, cols = conv2d_forward(xa, wa, stride, padding, dilation, groups)
                # cols (the unfolded input) is reused by the weight grad; a grouped 1x1
                # kernel's cols are x itself, transposed: keep x instead (as PyTorch does, so
                # its version counter flags an in-place edit) and transpose it in backward
                saved = x if is_pointwise(kernel, stride, padding) else cols
        if b is not None:
            out += b._data.reshape(-1, 1, 1)
        ctx.args = (x.shape, w.shape, stride, padding, dilation, groups)
        ctx.save_for_backward(w, saved)
        return out if x.ndim == 4 else out[:, :, 0, :]

    @staticmethod
    def backward(ctx, g):
        x_shape, w_shape, stride, padding, dilation, groups = ctx.args
        w, saved = ctx.saved_tensors
        g_out, g = g, _as_2d(g._data)
        wa = _as_2d(w._data)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = gw = gb = None
        if ctx.depthwise:
            if need_x:
                gx = depthwise_backward_input(g, wa, _shape_2d(x_shape), stride, padding,
                                              dilation)
            if need_w:
                gw = depthwise_backward_weight(g, _as_2d(saved._data), wa.shape, stride,
                                               padding, dilation)
        elif ctx.one_by_one:
            if need_x:
                gx = one_by_one_backward_input(g, wa, _shape_2d(x_shape), stride)
            if need_w:
                gw = one_by_one_backward_weight(g, _as_2d(saved._data), wa.shape, stride)
        elif need_x or need_w:
            x_shape_2d = _shape_2d(x_shape)
            gx_parts, gw_parts = [], []  # one per chunk of the batch (usually one)
            for start, stop in ctx.chunks:
                g_part, g_cols = g[start:stop], None
                if need_x:
                    g_cols = to_columns(g_part)  # shared with the weight gradient
                    gx_parts.append(conv2d_backward_input(
                        g_cols, wa, (stop - start,) + x_shape_2d[1:], g.shape[2:], stride,
                        padding, dilation, groups))
                if need_w:
                    cols = saved if isinstance(saved, np.ndarray) else \
                        im2col(_as_2d(saved._data)[start:stop], wa.shape[2:], stride, padding,
                               dilation)
                    gw_parts.append(conv2d_backward_weight(g_part, cols, _shape_2d(w_shape),
                                                           groups, g_cols))
            if gx_parts:
                gx = gx_parts[0] if len(gx_parts) == 1 else np.concatenate(gx_parts)
            if gw_parts:
                gw = gw_parts[0] if len(gw_parts) == 1 else np.add.reduce(gw_parts)
        gx = None if gx is None else gx.reshape(x_shape)
        gw = None if gw is None else gw.reshape(w_shape)
        if need_b:
            gb = _bias_grad(g)
        return as_tensors(g_out, gx, gw, gb) + (None,) * 4


class ConvTranspose2d(_KernelOp):
    node_name = "ConvolutionBackward0"
    graph_inputs = (0, 1, 2)

    """The adjoint of Conv2d: its forward is conv2d's input gradient and vice versa.

    weight has shape (C_in, C_out // groups, kh, kw), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups, out_shape):
        out = conv2d_backward_input(to_columns(x._data), w._data, out_shape, x.shape[2:],
                                    stride, padding, dilation, groups)
        if b is not None:
            out += b._data.reshape(-1, 1, 1)
        ctx.args = (stride, padding, dilation, groups)
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        stride, padding, dilation, groups = ctx.args
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        # a plain convolution of the output gradient gives the input gradient, and its
        # unfolded columns pair with x (in the role of conv2d's output gradient) for the weight
        gx, g_cols = conv2d_forward(g._data, w._data, stride, padding, dilation, groups)
        gw = conv2d_backward_weight(x._data, g_cols, w.shape, groups) if need_w else None
        gb = _bias_grad(g._data) if need_b else None
        return as_tensors(g, gx if need_x else None, gw, gb) + (None,) * 5


class MaxPool2d(_KernelOp):
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw):
        if x.ndim == 3:  # max_pool1d: PyTorch pools x.unsqueeze(-2) and squeezes it back
            ctx.node_name = "SqueezeBackward1"
        out, argmax = max_pool2d_forward(_as_2d(x._data), kernel, stride, padding, dilation,
                                         out_hw)
        ctx.x_shape = x.shape
        ctx.save_for_backward(argmax)
        return out if x.ndim == 4 else out[:, :, 0, :]

    @staticmethod
    def backward(ctx, g):
        x_shape, (argmax,) = ctx.x_shape, ctx.saved_tensors
        gx = max_pool2d_backward(_as_2d(g._data), argmax, _shape_2d(x_shape))
        return g._make(gx.reshape(x_shape)), None, None, None, None, None

    @staticmethod
    def torch_next(node, entries):
        if node.node_name == "SqueezeBackward1":
            unsqueeze = shown_node("UnsqueezeBackward0", *entries)
            return [(shown_node("MaxPool2DWithIndicesBackward0", (unsqueeze, 0)), 0)]
        return entries


class AvgPool2d(_KernelOp):
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_hw, count_include_pad, divisor):
        ctx.args = (x.shape, kernel, stride, padding, count_include_pad, divisor)
        return avg_pool2d_forward(x._data, kernel, stride, padding, out_hw, count_include_pad,
                                  divisor)

    @staticmethod
    def backward(ctx, g):
        return (g._make(avg_pool2d_backward(g._data, *ctx.args)),) + (None,) * 6


def adaptive_bins(size, out):
    """PyTorch's adaptive windows: output i averages the input over
    [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def adaptive_matrix(bins, size, dtype):
    """(len(bins), size): row i averages the input positions of window i, bins[i]."""
    m = np.zeros((len(bins), size), dtype=dtype)
    for i, (lo, hi) in enumerate(bins):
        m[i, lo:hi] = 1 / (hi - lo)
    return m


class AdaptiveAvgPool2d(_KernelOp):
    """Average over PyTorch's adaptive windows. A window's mean is its row mean of column
    means (a rectangle's count is rows x columns), so the pool is two products with the
    averaging matrices of `adaptive_matrix`: out = A_h @ x @ A_w^T over the last two axes,
    and its gradient A_h^T @ g @ A_w. Each is one matrix product over the whole batch, where
    slicing each output cell's window took a numpy call per cell. The product would spread
    a NaN or inf through the zeros of the matrices (0 * inf is NaN), so an input or gradient
    that is not finite takes the windows one by one (`_window_means`). The global average
    (output 1x1, a network's last pool) is a plain mean."""

    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        xa = x._data
        ctx.x_shape, ctx.matrices = xa.shape, None
        if tuple(out_hw) == (1, 1):  # PyTorch computes this one as a mean over (H, W)
            ctx.node_name = "MeanBackward1"
            return xa.mean(axis=(2, 3), keepdims=True)
        ctx.bins = (adaptive_bins(xa.shape[2], out_hw[0]), adaptive_bins(xa.shape[3], out_hw[1]))
        a_h, a_w = (adaptive_matrix(b, n, xa.dtype) for b, n in zip(ctx.bins, xa.shape[2:]))
        ctx.matrices = (a_h, a_w)
        if not np.isfinite(xa).all():
            return _window_means(xa, *ctx.bins)
        by_columns = xa @ a_w.T                                   # (N, C, H, out_w)
        return np.ascontiguousarray(np.swapaxes(np.tensordot(by_columns, a_h, ([2], [1])), 2, 3))

    @staticmethod
    def backward(ctx, g):
        if ctx.matrices is None:  # the mean: each input gets 1/(H*W) of its channel's g
            n, c, h, w = ctx.x_shape
            share = g._data / (h * w)
            return g._make(np.ascontiguousarray(np.broadcast_to(share, ctx.x_shape))), None
        a_h, a_w = ctx.matrices
        if not np.isfinite(g._data).all():
            return g._make(_window_shares(g._data, ctx.x_shape, *ctx.bins)), None
        by_columns = g._data @ a_w                                 # (N, C, out_h, W)
        gx = np.swapaxes(np.tensordot(by_columns, a_h, ([2], [0])), 2, 3)  # (N, C, H, W)
        return g._make(np.ascontiguousarray(gx)), None


def _window_means(xa, rows, cols):
    """AdaptiveAvgPool2d's forward one window at a time (a NaN or inf stays in its windows)."""
    out = np.empty(xa.shape[:2] + (len(rows), len(cols)), dtype=xa.dtype)
    for i, (h0, h1) in enumerate(rows):
        for j, (w0, w1) in enumerate(cols):
            out[:, :, i, j] = xa[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _window_shares(ga, x_shape, rows, cols):
    """Its backward one window at a time: each window's inputs get g / (window size)."""
    gx = np.zeros(x_shape, dtype=ga.dtype)
    for i, (h0, h1) in enumerate(rows):
        for j, (w0, w1) in enumerate(cols):
            share = ga[:, :, i, j] / ((h1 - h0) * (w1 - w0))
            gx[:, :, h0:h1, w0:w1] += share[:, :, None, None]
    return gx

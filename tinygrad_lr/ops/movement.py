"""Shape and indexing ops: they move elements, never change them.

The backward of each is its inverse movement: reshape back, permute back, sum a
broadcast away, scatter an index back (accumulating repeated indices).
"""
import numpy as np

from ..graph.function import Function
from ..graph.grad_mode import is_grad_enabled
from ..kernels.embedding import embedding_backward
from ._util import unbroadcast


class _Op(Function):
    array_forward = True


class _ViewOp(_Op):
    """An op whose output may share memory with its input (a view): the two share one
    version counter, so an in-place change through either is seen by the nodes that saved
    the other, and the view knows its base tensor."""

    returns_view = True


class Reshape(_ViewOp):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a._data.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Permute(_ViewOp):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._data.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.permute(tuple(np.argsort(ctx.dims))), None


class Expand(_ViewOp):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return np.broadcast_to(a._data, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.in_shape), None


class Flip(_Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.flip(a._data, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


class Clone(_Op):
    @staticmethod
    def forward(ctx, a):
        return a._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Contiguous(_Op):
    @staticmethod
    def forward(ctx, a):
        return np.ascontiguousarray(a._data)

    @staticmethod
    def backward(ctx, g):
        return g


class Index(_ViewOp):
    """t[idx] for a numpy-style index (already converted to arrays and slices)."""

    @staticmethod
    def forward(ctx, a, idx):
        ctx.in_shape, ctx.idx = a.shape, idx
        return a._data[idx]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(g, ctx.in_shape, ctx.idx), None


class IndexAdd(_Op):
    """zeros(shape) with g added at idx (repeated indices accumulate): Index's backward."""

    @staticmethod
    def forward(ctx, g, shape, idx):
        ctx.idx = idx
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(idx):
            out[idx] = g._data  # no repeats possible: plain assignment is much faster
        else:
            np.add.at(out, idx, g._data)
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.idx] if isinstance(ctx.idx, tuple) else Index.apply(gg, ctx.idx), None, None


class IndexPut(_Op):
    """t[idx] = value as an op: t with value written at idx. The gradient of t is zero at
    idx (those values were overwritten), the gradient of value is the gradient at idx."""

    @staticmethod
    def forward(ctx, a, idx, value):
        ctx.idx, ctx.value_shape = idx, value.shape
        out = a._data.copy()
        out[idx] = value._data
        return out

    @staticmethod
    def backward(ctx, g):
        need_a, _, need_value = ctx.needs_input_grad
        g_a = g_value = None
        if need_a:
            kept = np.ones(g.shape, dtype=g.dtype)
            kept[ctx.idx] = 0
            g_a = g * g._make(kept)
        if need_value:
            g_value = unbroadcast(Index.apply(g, ctx.idx), ctx.value_shape)
        return g_a, None, g_value


def _is_basic(idx):
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


class Cat(_Op):
    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        ctx.sizes = [t.shape[dim] for t in tensors]
        return np.concatenate([t._data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            if need:
                idx = (slice(None),) * ctx.dim + (slice(start, start + size),)
                grads.append(Index.apply(g, idx))
            else:
                grads.append(None)
            start += size
        return tuple(grads)


class Pad(_Op):
    """Constant padding; `widths` is numpy's per-axis ((before, after), ...)."""

    @staticmethod
    def forward(ctx, a, widths, value):
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            # negative padding crops, as in PyTorch
            crop = tuple(slice(max(-lo, 0), n - max(-hi, 0))
                         for (lo, hi), n in zip(widths, a.shape))
            data = a._data[crop]
            widths = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
        else:
            crop, data = None, a._data
        ctx.in_shape, ctx.crop, ctx.widths = a.shape, crop, widths
        return np.pad(data, widths, constant_values=value)

    @staticmethod
    def backward(ctx, g):
        idx = tuple(slice(lo, n - hi) for (lo, hi), n in zip(ctx.widths, g.shape))
        inner = Index.apply(g, idx)
        if ctx.crop is not None:
            inner = IndexAdd.apply(inner, ctx.in_shape, ctx.crop)
        return inner, None, None


class Gather(_Op):
    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = a.shape, dim, index
        return a._data[_coordinates(index, dim)]

    @staticmethod
    def backward(ctx, g):
        zeros = g._make(np.zeros(ctx.in_shape, dtype=g.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, g), None, None


class ScatterAdd(_Op):
    """out = a with src added at index along dim (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        out = a._data.copy()
        np.add.at(out, _coordinates(index, dim), src._data[tuple(slice(0, n) for n in index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[3]:
            src_shape = ctx.src_shape
            gs = Gather.apply(g, ctx.dim, ctx.index)
            if gs.shape != src_shape:  # src larger than index: the rest got no gradient
                gs = Pad.apply(gs, tuple((0, s - n) for s, n in zip(src_shape, gs.shape)), 0.0)
        return ga, None, None, gs


def _coordinates(index, dim):
    """gather/scatter index of full rank -> one coordinate array per axis. Unlike
    np.take_along_axis, index may be smaller than the input along the other axes (torch)."""
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = index
    return tuple(coords)


class Embedding(Function):
    """Rows of weight picked by integer indices. backward adds each output row's gradient
    into the row it came from (repeated indices accumulate); padding_idx gets none."""

    array_forward = True

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.indices, ctx.padding_idx, ctx.shape = indices, padding_idx, weight.shape
        return weight._data[indices]

    @staticmethod
    def backward(ctx, g):
        if ctx.padding_idx is not None:
            keep = (ctx.indices != ctx.padding_idx)[..., None]
            g = g * g._make(keep.astype(g.dtype))
        if is_grad_enabled():  # create_graph: a differentiable scatter
            return IndexAdd.apply(g, ctx.shape, ctx.indices), None, None
        return g._make(embedding_backward(g._data, ctx.indices, ctx.shape[0])), None, None

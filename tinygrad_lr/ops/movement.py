"""Shape and indexing ops: they move elements, never change them.

The backward of each is its inverse movement: reshape back, permute back, sum a
broadcast away, scatter an index back (accumulating repeated indices).
"""
import numpy as np

from ..graph.function import Function, Scattered, shown_node
from ..graph.grad_mode import is_grad_enabled
from ..kernels.embedding import embedding_backward
from ._util import batch_index, batch_shape, gradients, on_arrays, unbroadcast


class _Op(Function):
    array_forward = True


class _ViewOp(_Op):
    """An op whose output may share memory with its input (a view): the two share one
    version counter, so an in-place change through either is seen by the nodes that saved
    the other, and the view knows its base tensor."""

    returns_view = True


class Reshape(_ViewOp):
    node_name = "ViewBackward0"
    batched_backward_ok = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        out = a._data.reshape(shape)
        if not a._data.flags.c_contiguous and not np.may_share_memory(out, a._data):
            ctx.node_name = "UnsafeViewBackward0"  # PyTorch: a copy, then a view of it
        return out

    @staticmethod
    def torch_next(node, entries):
        if node.node_name == "UnsafeViewBackward0":
            return [(shown_node("CloneBackward0", entries[0]), 0)]
        return entries

    @staticmethod
    def backward(ctx, g):
        shape = batch_shape(g) + ctx.in_shape
        (g_,) = on_arrays(g)
        if isinstance(g_, np.ndarray):  # no create_graph: numpy's reshape, not a recorded op
            return gradients(g, g_.reshape(shape), None)
        return g.reshape(shape), None


class Permute(_ViewOp):
    batched_backward_ok = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._data.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        nb = len(batch_shape(g))
        inverse = [0] * len(ctx.dims)  # the permutation that undoes dims (np.argsort's)
        for i, d in enumerate(ctx.dims):
            inverse[d] = nb + i
        dims = (*range(nb), *inverse)
        (g_,) = on_arrays(g)
        if isinstance(g_, np.ndarray):  # no create_graph: numpy's view, not a recorded op
            return gradients(g, g_.transpose(dims), None)
        return g.permute(dims), None


class T(Permute):
    """t(): the transpose of a matrix, a permute that PyTorch names TBackward0."""


class Expand(_ViewOp):
    batched_backward_ok = True

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
    batched_backward_ok = True

    @staticmethod
    def forward(ctx, a):
        return a._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Contiguous(_Op):
    node_name = "CloneBackward0"  # PyTorch's contiguous() is a clone
    batched_backward_ok = True

    @staticmethod
    def forward(ctx, a):
        return np.ascontiguousarray(a._data)

    @staticmethod
    def backward(ctx, g):
        return g


class Index(_ViewOp):
    """t[idx] for a numpy-style index (already converted to arrays and slices)."""

    batched_backward_ok = True  # for basic indices: with index arrays, numpy may move dims

    @staticmethod
    def forward(ctx, a, idx):
        ctx.in_shape, ctx.idx = a.shape, idx
        steps = _basic_steps(idx)
        if steps:
            ctx.node_name, ctx.steps = steps[-1], steps[:-1]
        ctx.unbatchable = not steps  # (steps are [] exactly for an index with arrays)
        return a._data[idx]

    @staticmethod
    def torch_next(node, entries):
        for name in getattr(node, "steps", ()):  # t[1, 2:]: SliceBackward0 of SelectBackward0
            entries = [(shown_node(name, *entries), 0)]
        return entries

    @staticmethod
    def backward(ctx, g):
        if ctx.unbatchable:
            return IndexAdd.apply(g, ctx.in_shape, ctx.idx), None
        return IndexAdd.apply(g, batch_shape(g) + ctx.in_shape, batch_index(ctx.idx)), None

    @staticmethod
    def scattered_backward(ctx, g):
        """backward's gradient as its positions and values, for the engine to add in place
        (see Scattered); None for index arrays, which may repeat a position."""
        if not ctx.unbatchable:
            return Scattered(batch_shape(g) + ctx.in_shape, batch_index(ctx.idx), g), None
        if _is_mask(ctx.idx):  # a mask picks each position at most once
            return Scattered(ctx.in_shape, ctx.idx, g), None
        rows = _row_indices(ctx.idx)  # t[ints]: whole rows, which may repeat
        if rows is not None and g._data.dtype in (np.float32, np.float64):
            return Scattered(ctx.in_shape, rows % ctx.in_shape[0], g, rows=True), None
        return None


class IndexAdd(_Op):
    """zeros(shape) with g added at idx (repeated indices accumulate): Index's backward."""

    batched_backward_ok = True  # for basic indices, as Index

    @staticmethod
    def forward(ctx, g, shape, idx):
        ctx.idx = idx
        ctx.unbatchable = not _is_basic(idx)  # index arrays take no batch dims
        if not ctx.unbatchable or _is_mask(idx):
            out = np.zeros(shape, dtype=g.dtype)
            out[idx] = g._data  # no repeats possible: plain assignment is much faster
            return out
        rows = _row_indices(idx)
        if rows is not None and g._data.dtype in (np.float32, np.float64):
            # t[rows]: whole rows gathered, so their gradients add up row by row, which is
            # embedding's backward (one kernel pass; np.add.at goes element by element)
            return embedding_backward(g._data, rows % shape[0], shape[0])
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, idx, g._data)
        return out

    @staticmethod
    def backward(ctx, gg):
        if not ctx.unbatchable:
            return Index.apply(gg, batch_index(ctx.idx)), None, None
        return gg[ctx.idx] if isinstance(ctx.idx, tuple) else Index.apply(gg, ctx.idx), None, None


class IndexPut(_Op):
    """t[idx] = value as an op: t with value written at idx. The gradient of t is zero at
    idx (those values were overwritten), the gradient of value is the gradient at idx.

    in_place=True writes into t's own array (Tensor.__setitem__, which writes the result
    into t anyway): a loop of `out[t] = h` then costs a slice per step, not a copy of out."""

    @staticmethod
    def forward(ctx, a, idx, value, in_place=False):
        ctx.idx, ctx.value_shape = idx, value.shape
        out = a._data if in_place else a._data.copy()
        out[idx] = value._data
        return out

    @staticmethod
    def backward(ctx, g):
        need_a, _, need_value, _ = ctx.needs_input_grad
        g_a = g_value = None
        if need_a:
            if is_grad_enabled():  # create_graph: a recorded product with the mask
                kept = np.ones(g.shape, dtype=g.dtype)
                kept[ctx.idx] = 0
                g_a = g * g._make(kept)
            else:  # one pass: g with the overwritten positions zeroed
                kept_g = np.array(g._data, copy=True)
                kept_g[ctx.idx] = 0
                g_a = g._make(kept_g)
        if need_value:
            g_value = unbroadcast(Index.apply(g, ctx.idx), ctx.value_shape)
        return g_a, None, g_value, None


def _basic_steps(idx):
    """The node names PyTorch's t[idx] makes for an index of ints, slices, None and ...,
    one per part that does something, in order: t[1] is SelectBackward0, t[1:3]
    SliceBackward0, t[None] UnsqueezeBackward0, t[..., :] AliasBackward0. [] for an index
    with arrays (IndexBackward0, the class's name)."""
    if idx.__class__ is int:  # t[i], the common case
        return ["SelectBackward0"]
    if idx.__class__ is slice:  # t[a:b] (t[:] too: alone it is a slice, as in PyTorch)
        return ["SliceBackward0"]
    if not isinstance(idx, tuple):  # (t[:, :] selects nothing)
        idx = (idx,)
    steps = []
    for p in idx:  # one pass: this runs for every t[:, :H] of a loop
        if p.__class__ is slice:
            if p != _WHOLE:
                steps.append("SliceBackward0")
        elif isinstance(p, (int, np.integer)):
            steps.append("SelectBackward0")
        elif p is None:
            steps.append("UnsqueezeBackward0")
        elif p is not Ellipsis:
            return []  # an array
    return steps or ["AliasBackward0"]


_WHOLE = slice(None)


def _is_basic(idx):
    if idx.__class__ is int or idx.__class__ is slice:
        return True
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def _is_mask(idx):
    """One boolean array: it selects each element at most once."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    return len(parts) == 1 and isinstance(parts[0], np.ndarray) and parts[0].dtype == np.bool_


def _row_indices(idx):
    """The integer array of an index that only picks rows (t[ints], t[ints, ...]), else None."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    if parts and parts[-1] is Ellipsis:
        parts = parts[:-1]
    if len(parts) == 1 and isinstance(parts[0], np.ndarray) and parts[0].dtype.kind in "iu":
        return parts[0]
    return None


class Cat(_Op):
    batched_backward_ok = True

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
                grads.append(Index.apply(g, batch_index(idx)))
            else:
                grads.append(None)
            start += size
        return tuple(grads)


class Stack(_Op):
    """The tensors stacked along a new dim: one node (PyTorch's StackBackward0); each gets
    its slice of g back."""

    node_name = "StackBackward0"
    batched_backward_ok = True

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        return np.stack([t._data for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads = [None]
        for i, need in enumerate(ctx.needs_input_grad[1:]):
            idx = (slice(None),) * ctx.dim + (i,)
            grads.append(Index.apply(g, batch_index(idx)) if need else None)
        return tuple(grads)


class Pad(_Op):
    """Constant padding; `widths` is numpy's per-axis ((before, after), ...)."""

    node_name = "ConstantPadNdBackward0"

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
    distinct_indices = False  # True: no index repeats along dim (a sort's, topk's, median's)

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = a.shape, dim, index
        return a._data[_coordinates(index, dim)]

    @classmethod
    def backward(cls, ctx, g):
        (g_,) = on_arrays(g)
        if not isinstance(g_, np.ndarray):  # create_graph: a differentiable scatter-add
            zeros = g._make(np.zeros(ctx.in_shape, dtype=g.dtype))
            return ScatterAdd.apply(zeros, ctx.dim, ctx.index, g), None, None
        grad = np.zeros(ctx.in_shape, dtype=g_.dtype)
        if cls.distinct_indices:  # each position gets at most one value: an assignment
            grad[_coordinates(ctx.index, ctx.dim)] = g_
        else:  # repeated indices add up
            np.add.at(grad, _coordinates(ctx.index, ctx.dim), g_)
        return gradients(g, grad) + (None, None)


# The values of sort, topk, median(dim), cummax and cummin are the input's elements at the
# indices found: a gather, in a node named as PyTorch names it. (cummax's and cummin's
# indices repeat: the running extreme's position, for as long as it lasts.)
class Sort(Gather):
    distinct_indices = True


class Topk(Gather):
    distinct_indices = True


class Median(Gather):
    """The median element along dim (its index found by the caller), dim kept or dropped."""

    distinct_indices = True

    @staticmethod
    def forward(ctx, a, dim, index, keepdim):
        ctx.node_name = "MedianBackward1"  # PyTorch's name for median along a dim
        ctx.keepdim = keepdim
        out = Gather.forward(ctx, a, dim, index)
        return out if keepdim else out.squeeze(dim)

    @classmethod
    def backward(cls, ctx, g):
        return super().backward(ctx, g if ctx.keepdim else g.unsqueeze(ctx.dim))[0], None, \
            None, None


class Cummax(Gather):
    pass


class Cummin(Gather):
    pass


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


class Scatter(_Op):
    """out = a with src (a tensor, or one number) written at index along dim. The gradient
    of a is zero where it was overwritten; src's is the gradient gathered at index."""

    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim, ctx.index = dim, index
        ctx.src_shape = src.shape if hasattr(src, "_data") else None
        out = a._data.copy()
        values = src._data[tuple(slice(0, n) for n in index.shape)] if ctx.src_shape else src
        out[_coordinates(index, dim)] = values
        return out

    @staticmethod
    def backward(ctx, g):
        ga = Scatter.apply(g, ctx.dim, ctx.index, 0.0) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.src_shape is not None and ctx.needs_input_grad[3]:
            gs = Gather.apply(g, ctx.dim, ctx.index)
            if gs.shape != ctx.src_shape:
                gs = Pad.apply(gs, tuple((0, s - n) for s, n in zip(ctx.src_shape, gs.shape)),
                               0.0)
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

    @staticmethod
    def scattered_backward(ctx, g):
        """backward's rows as positions and values, for the engine to add in place (an
        embedding called once per time step; see Scattered)."""
        if ctx.padding_idx is not None:
            keep = (ctx.indices != ctx.padding_idx)[..., None]
            g = g._make(g._data * keep.astype(g.dtype))
        return Scattered(ctx.shape, ctx.indices, g, rows=True), None, None


class Roll(_Op):
    """Elements shifted along dims, wrapping around (dims None: over the flattened tensor,
    then the shape restored). Backward rolls the gradient back."""

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(a._data, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


class Tril(_Op):
    """The lower triangle of the last two dims (on and below diagonal `k`), zeros above.
    The gradient is the same triangle of the upstream gradient."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.tril(a._data, k)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.k), None


class Triu(_Op):
    """The upper triangle of the last two dims (on and above diagonal `k`), zeros below."""

    @staticmethod
    def forward(ctx, a, k):
        ctx.k = k
        return np.triu(a._data, k)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.k), None

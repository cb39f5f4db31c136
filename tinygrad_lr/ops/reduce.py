"""Reductions over one or more dims, and the softmax family (reduce-then-broadcast ops).

`dims` is always a normalised tuple (see `_util.normalize_dims`); the backward pass
reshapes the incoming gradient to the keepdim shape and broadcasts it back.
"""
import math

import numpy as np

from ..graph.function import Function
from ..graph.grad_mode import is_grad_enabled
from ..kernels.cumulative import cumsum
from ..kernels.reduce import sum_axes
from ..kernels.softmax import log_softmax, log_softmax_backward, softmax, softmax_backward
from ._util import batch_shape, gradients, keepdim_shape, on_arrays
from .elementwise import where


class _Op(Function):
    array_forward = True
    batched_backward_ok = True  # gradients go back through _expand_grad (Softmax: below)


def _overload(ctx, a, dims, keepdim, name):
    """PyTorch's `x.sum()` is SumBackward0, `x.sum(dim)` SumBackward1 (also mean, prod)."""
    if keepdim or len(dims) != a.ndim:
        ctx.node_name = name + "Backward1"


def _expand_back(t, in_shape, dims, keepdim, batch=()):
    """Broadcast a reduced value back to the input's shape (after `batch` dims)."""
    if not keepdim:
        t = t.reshape(batch + keepdim_shape(in_shape, dims))
    return t.expand(batch + in_shape)


def _expand_grad(g, in_shape, dims, keepdim, scale=None):
    """Broadcast a reduced gradient (times `scale`, if given) back to the input's shape,
    keeping its batch dims. Without create_graph this is numpy's broadcast_to on the array
    (a view, no copy), not the two recorded Tensor ops reshape and expand."""
    batch = batch_shape(g)
    if not is_grad_enabled():
        ga = g._data if scale is None else g._data * g._data.dtype.type(scale)
        if not keepdim:
            ga = ga.reshape(batch + keepdim_shape(in_shape, dims))
        return g._make(np.broadcast_to(ga, batch + tuple(in_shape)))
    return _expand_back(g if scale is None else g * scale, in_shape, dims, keepdim, batch)


class Sum(_Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        _overload(ctx, a, dims, keepdim, "Sum")
        return sum_axes(a._data, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None


class Nansum(_Op):
    """The sum over dims with NaN counted as 0. Each input element gets g times "not NaN",
    PyTorch's formula: 0 at a NaN, and NaN from an infinite g (a nanmean over no values)."""

    node_name = "NansumBackward0"  # PyTorch's one name, with a dim or without

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        return np.nansum(a._data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        counted = a._make(~np.isnan(a._data))  # a mask: not part of the graph
        return _expand_grad(g, a.shape, ctx.dims, ctx.keepdim) * counted, None, None


class Mean(_Op):
    """The mean over dims; each input element gets 1/n of the gradient."""

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        _overload(ctx, a, dims, keepdim, "Mean")
        n = math.prod(a.shape[d] for d in dims)
        ctx.scale = 1.0 / n if n else float("nan")  # the mean of nothing is NaN, as in torch
        return sum_axes(a._data, dims, keepdim) * a.dtype.type(ctx.scale)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g, ctx.in_shape, ctx.dims, ctx.keepdim, ctx.scale), None, None


class Prod(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        _overload(ctx, a, dims, keepdim, "Prod")
        return np.prod(a._data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        g = _expand_grad(g, a.shape, ctx.dims, ctx.keepdim)
        if not (a._data == 0).any():
            out = _expand_back(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
            return g * out / a, None, None
        # With zeros, out / a is 0/0: use the product of all *other* elements instead.
        if is_grad_enabled():  # create_graph: it must be a graph itself
            return g * _product_of_others(a, ctx.dims), None, None
        # computed as exclusive cumulative products from both sides (no division)
        x = np.moveaxis(a._data, ctx.dims, tuple(range(-len(ctx.dims), 0)))
        flat = x.reshape(x.shape[:x.ndim - len(ctx.dims)] + (-1,))
        ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
        others = np.moveaxis((left * right).reshape(x.shape),
                             tuple(range(-len(ctx.dims), 0)), ctx.dims)
        return g * a._make(np.ascontiguousarray(others)), None, None


def _product_of_others(a, dims):
    """For every element of `a`, the product of the other elements of its reduction group,
    with Tensor ops (so it can be differentiated again): each group of n elements becomes an
    n x n matrix whose row k has the k-th element replaced by 1, then rows are multiplied."""
    rest = tuple(d for d in range(a.ndim) if d not in dims)
    moved = a.permute(rest + dims)
    n = int(np.prod([a.shape[d] for d in dims]))
    rows = moved.reshape(moved.shape[:len(rest)] + (1, n))
    rows = rows.expand(moved.shape[:len(rest)] + (n, n))
    others = where(a._make(np.eye(n, dtype=bool)), 1.0, rows).prod(-1)
    return others.reshape(moved.shape).permute(tuple(np.argsort(rest + dims)))


class Amax(_Op):
    """max over dims; the gradient is shared equally between tied maxima (PyTorch amax)."""

    keep_output = True
    np_fn = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, a, dims, keepdim):
        if a._data.size == 0:
            raise ValueError(f"{cls.__name__.lower()}: cannot reduce an empty tensor")
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        return cls.np_fn(a._data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        out = _expand_back(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
        mask = (a._data == out._data)
        count = mask.sum(axis=ctx.dims, keepdims=True)
        with np.errstate(invalid="ignore"):  # a NaN maximum matches nothing: NaN, as PyTorch
            share = a._make((mask / count).astype(a.dtype))
        return _expand_grad(g, a.shape, ctx.dims, ctx.keepdim) * share, None, None


class Amin(Amax):
    np_fn = staticmethod(np.min)


def _lower_median(x):
    """The lower of the two middle values of all of x; NaN if x holds a NaN (PyTorch)."""
    flat = x.reshape(-1)
    if flat.dtype.kind == "f" and np.isnan(flat).any():
        return np.array(np.nan, flat.dtype)
    k = (flat.size - 1) // 2
    return np.partition(flat, k)[k]


class Pick(_Op):
    """max(), min() or median() of a whole tensor: one of its values. The gradient is shared
    equally between the elements equal to it - between its NaNs when it is NaN - as in
    PyTorch (amax's gradient at a NaN is NaN instead: Amax above)."""

    keep_output = True
    PICKS = {"max": np.ndarray.max, "min": np.ndarray.min, "median": _lower_median}

    @classmethod
    def forward(cls, ctx, a, dims, keepdim, which):
        # dims (None: all) and keepdim are fixed; there for the reductions' common layout
        if a._data.size == 0:
            raise ValueError(f"{which}(): cannot reduce an empty tensor (give a dim)")
        ctx.save_for_backward(a)
        return cls.PICKS[which](a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        x, value = a._data, ctx.saved_output._data
        picked = np.isnan(x) if x.dtype.kind == "f" and np.isnan(value) else x == value
        share = a._make((picked / picked.sum()).astype(a.dtype))
        return _expand_grad(g, a.shape, tuple(range(a.ndim)), False) * share, None, None, None


class Norm(_Op):
    """p-norm over dims (p > 0 or inf). The gradient at the zero vector is 0, as in PyTorch."""

    keep_output = True
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        x = np.abs(a._data)
        if p == np.inf:
            return np.max(x, axis=dims, keepdims=keepdim)
        if p == 2:
            return np.sqrt(sum_axes(x * x, dims, keepdim))
        if p == 1:
            return sum_axes(x, dims, keepdim)
        return np.sum(x ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        p = ctx.p
        if p == 2 and not is_grad_enabled() and not batch_shape(g):
            # on the arrays: g / norm is computed on the reduced shape, then one pass over x
            kept = keepdim_shape(a.shape, ctx.dims)
            g_, out = g._data.reshape(kept), ctx.saved_output._data.reshape(kept)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(out == 0, 0, g_ / out).astype(a.dtype, copy=False)
            return g._make(a._data * scale), None, None, None
        g = _expand_grad(g, a.shape, ctx.dims, ctx.keepdim)
        out = _expand_back(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
        if p == 1:
            return g * a.sign(), None, None, None
        if p == np.inf:
            mask = (a.abs()._data == out._data)
            count = mask.sum(axis=ctx.dims, keepdims=True)
            share = a._make((mask / count).astype(a.dtype))
            return g * a.sign() * share, None, None, None
        safe_out = where(out == 0, 1.0, out)
        if p == 2:
            grad = a / safe_out
        else:
            zero = a == 0  # PyTorch's subgradient there is 0, also for p < 1
            grad = where(zero, 0.0, a.sign() * where(zero, 1.0, a.abs()) ** (p - 1)) \
                / safe_out ** (p - 1)
        return where(out == 0, 0.0, g * grad), None, None, None


class Var(_Op):
    """The variance over dims, sum((x - mean)^2) / (n - correction). float32 is summed in
    float64, as PyTorch does on the CPU, so values near 1e-30 or 1e30 neither underflow nor
    overflow when squared.  d var / dx = 2 (x - mean) / (n - correction)."""

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.denominator = max(math.prod(a.shape[d] for d in dims) - correction, 0)
        return _variance(a._data, dims, ctx.denominator, keepdim).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        # n <= correction: 2 / 0 = inf, so the gradient is NaN or inf, as in PyTorch
        two_over = 2.0 / ctx.denominator if ctx.denominator else math.inf
        g_, x = on_arrays(g, a)
        if isinstance(g_, np.ndarray):  # no create_graph: the scale on the reduced shape
            scale = _reduced(g, g_, a.shape, ctx.dims, ctx.keepdim) * g_.dtype.type(two_over)
            with np.errstate(invalid="ignore"):  # 0 * inf
                return gradients(g, _centered(x, ctx.dims) * scale) + (None, None, None)
        g = _expand_grad(g, a.shape, ctx.dims, ctx.keepdim)
        centered = a - a.mean(ctx.dims, keepdim=True)
        return g * centered * two_over, None, None, None


class Std(_Op):
    """The standard deviation, sqrt(var) (computed as Var is).  d std / dx =
    (x - mean) / ((n - correction) std), and 0 where std is 0 (a constant input), as in
    PyTorch - not 1 / (2 * 0) times 0, which is NaN."""

    keep_output = True

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.denominator = max(math.prod(a.shape[d] for d in dims) - correction, 0)
        return np.sqrt(_variance(a._data, dims, ctx.denominator, keepdim)).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        g_, x, out = on_arrays(g, a, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: the scale on the reduced shape
            g_r = _reduced(g, g_, a.shape, ctx.dims, ctx.keepdim)
            std = out.reshape(keepdim_shape(a.shape, ctx.dims))
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 std: masked just below
                scale = g_r / (std * out.dtype.type(ctx.denominator))
            scale = np.where(std == 0, out.dtype.type(0), scale)
            return gradients(g, _centered(x, ctx.dims) * scale) + (None, None, None)
        std = _expand_back(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
        g = _expand_grad(g, a.shape, ctx.dims, ctx.keepdim)
        zero = std == 0
        centered = a - a.mean(ctx.dims, keepdim=True)
        grad = g * centered / (where(zero, 1.0, std) * float(ctx.denominator))
        return where(zero, 0.0, grad), None, None, None


def _reduced(g, g_array, in_shape, dims, keepdim):
    """A reduction's gradient (the array of tensor g) with its reduced dims kept as 1s,
    after any batch dims."""
    if keepdim:
        return g_array
    return g_array.reshape(batch_shape(g) + keepdim_shape(in_shape, dims))


def _centered(x, dims):
    """x minus its mean over dims, on arrays."""
    n = x.dtype.type(math.prod(x.shape[d] for d in dims))
    with np.errstate(invalid="ignore", divide="ignore"):  # the mean of nothing is NaN (torch)
        return x - sum_axes(x, dims, True) / n


def _variance(x, dims, denominator, keepdim):
    centered = _centered(x.astype(np.float64) if x.dtype == np.float32 else x, dims)
    with np.errstate(invalid="ignore", divide="ignore"):  # n <= correction: inf/NaN, as torch
        return sum_axes(centered * centered, dims, keepdim) / denominator


class LogSumExp(_Op):
    keep_output = True
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        x = a._data
        m = np.max(x, axis=dims, keepdims=True, initial=-np.inf)  # empty -> -inf, as torch
        m = np.where(np.isfinite(m), m, 0)  # all -inf rows stay -inf instead of NaN
        with np.errstate(divide="ignore"):  # log(0) = -inf is the answer for all -inf rows
            out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        return out if keepdim else np.squeeze(out, axis=dims)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        out = _expand_back(ctx.saved_output, a.shape, ctx.dims, ctx.keepdim)
        return _expand_grad(g, a.shape, ctx.dims, ctx.keepdim) * (a - out).exp(), None, None


def _nan_rows(out, dim):
    """A row holding +inf gives NaN only where inf - inf was taken; PyTorch makes the whole
    row NaN (the row has no finite normaliser). One cheap check when nothing is NaN."""
    if np.isnan(out).any():
        out = np.where(np.isnan(out).any(axis=dim, keepdims=True), out.dtype.type(np.nan), out)
    return out


class Softmax(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        ctx.unbatchable = a.ndim == 0  # dim 0 of a 0-d input would be the batch dim
        return _nan_rows(softmax(a._data, dim), dim)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim + len(batch_shape(g))
        g_, out = on_arrays(g, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: the formula on the arrays
            return gradients(g, softmax_backward(g_, out, d)) + (None,)
        return out * (g - (g * out).sum(dim=d, keepdim=True)), None


class LogSoftmax(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        ctx.unbatchable = a.ndim == 0  # dim 0 of a 0-d input would be the batch dim
        return _nan_rows(log_softmax(a._data, dim), dim)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim + len(batch_shape(g))
        g_, out = on_arrays(g, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: the formula on the arrays
            return gradients(g, log_softmax_backward(g_, out, d)) + (None,)
        return g - out.exp() * g.sum(dim=d, keepdim=True), None


class Cumsum(_Op):
    batched_backward_ok = False  # its backward flips g along an unbatched dim

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return cumsum(a._data, dim) if a.ndim else a._data.copy()  # numpy makes 0-d 1-d

    @staticmethod
    def backward(ctx, g):
        # each input element feeds every later output: a reversed cumulative sum
        d = ctx.dim
        g_ = on_arrays(g)[0]
        if isinstance(g_, np.ndarray) and g_.ndim:  # no create_graph: on the arrays
            return gradients(g, np.flip(cumsum(np.flip(g_, d), d), d)) + (None,)
        return g.flip(d).cumsum(d).flip(d), None


class Cumprod(_Op):
    """out_i = x_0 * x_1 * ... * x_i along `dim`.

    backward: dL/dx_k = sum_{i >= k} g_i * out_i / x_k - a reversed cumulative sum divided
    by x_k, when no x is zero. A zero makes that 0/0, so slices with a zero take the
    definition itself: dL/dx_k = sum_{i >= k} g_i * (product of x_j, j <= i, j != k), the
    cumulative product of x with x_k replaced by 1, one row per k (n^2 values per slice).
    """

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        ctx.save_for_backward(a)
        return np.cumprod(a._data, axis=dim) if a.ndim else a._data.copy()

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        d = ctx.dim
        if a.ndim == 0:
            return g, None
        if not (a._data == 0).any():
            out = Cumprod.apply(a, d)
            return (g * out).flip(d).cumsum(d).flip(d) / a, None
        x, gl = a.transpose(d, -1), g.transpose(d, -1)  # the product's dim last: (..., n)
        n = x.shape[-1]
        eye = np.eye(n, dtype=bool)
        # rows[..., k, j] = x_j, with 1 at j == k
        rows = where(a._make(eye), 1.0, x.unsqueeze(-2).expand(x.shape[:-1] + (n, n)))
        products = Cumprod.apply(rows, rows.ndim - 1)  # [..., k, i]: prod_{j <= i, j != k}
        upper = a._make(np.triu(np.ones((n, n), dtype=a.dtype)))  # keeps i >= k
        grad = (products * upper * gl.unsqueeze(-2)).sum(dim=-1)
        return grad.transpose(d, -1), None

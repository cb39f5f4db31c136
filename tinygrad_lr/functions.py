"""The function forms of the Tensor methods, as in the torch namespace: `tl.exp(t)` is
`t.exp()`, `tl.sum(t, dim)` is `t.sum(dim)`. Numbers, lists and arrays are made tensors first.

(This module's `sum`, `max`, `min`, `abs`, `pow`, `round`, `all` and `any` shadow Python's
built-ins on purpose, as torch's do; the library itself never imports them by name.)
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .dtypes import get_default_dtype
from .tensor import (
    Dims,
    Scalar,
    Tensor,
    TensorLike,
    allclose,
    broadcast_shapes,
    broadcast_tensors,
    equal,
    hstack,
    isclose,
    meshgrid,
    result_type,
    tensordot,
    vstack,
    write_out,
)

if TYPE_CHECKING:
    from .tensor import ValuesIndices

__all__ = [
    "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid",
    "relu", "leaky_relu", "elu", "gelu", "softplus", "sign", "abs", "clamp", "pow", "reciprocal",
    "square", "erf", "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "var", "std", "norm", "logsumexp", "softmax", "log_softmax", "cumsum", "reshape", "flatten",
    "squeeze", "unsqueeze", "transpose", "permute", "expand", "broadcast_to", "repeat", "split",
    "chunk", "pad", "gather", "scatter_add", "masked_fill", "flip", "clip",
    "mm", "bmm", "mv", "addmm", "t", "add", "sub", "mul", "div", "true_divide", "floor_divide",
    "remainder", "fmod", "neg", "floor", "ceil", "round", "trunc", "frac", "nan_to_num",
    "clamp_min", "clamp_max", "addcmul", "addcdiv", "lerp", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite",
    "isposinf", "isneginf", "all", "any", "count_nonzero", "cumprod", "std_mean", "var_mean",
    "sort", "argsort", "msort", "topk", "trace", "roll", "tril", "triu", "diag", "diagonal",
    "movedim", "index_select", "narrow", "unbind", "masked_select", "nonzero", "argwhere",
    "allclose", "isclose", "equal", "log2", "log10", "exp2", "asin", "acos", "atan", "sinh",
    "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "atan2", "arctan2", "hypot",
    "logaddexp", "deg2rad", "rad2deg", "signbit", "absolute", "negative", "sgn", "positive",
    "scatter", "index_add", "index_fill", "repeat_interleave", "tile", "diff", "flipud",
    "fliplr", "rot90", "median", "cummax", "cummin", "addmv", "baddbmm", "dist", "hstack", "vstack",
    "broadcast_shapes", "broadcast_tensors", "meshgrid", "tensordot", "result_type",
    "tril_indices", "triu_indices", "searchsorted", "bucketize", "bincount", "histc", "unique",
    "select", "ravel", "swapaxes", "swapdims", "moveaxis", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "fix", "nansum", "nanmean", "unflatten", "take_along_dim",
    "aminmax", "tensor_split",
]


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _out(result, out, name):
    return result if out is None else write_out(result, out, name)



def exp(input: TensorLike) -> Tensor:
    return _t(input).exp()


def log(input: TensorLike) -> Tensor:
    return _t(input).log()


def log1p(input: TensorLike) -> Tensor:
    return _t(input).log1p()


def expm1(input: TensorLike) -> Tensor:
    return _t(input).expm1()


def sqrt(input: TensorLike) -> Tensor:
    return _t(input).sqrt()


def rsqrt(input: TensorLike) -> Tensor:
    return _t(input).rsqrt()


def sin(input: TensorLike) -> Tensor:
    return _t(input).sin()


def cos(input: TensorLike) -> Tensor:
    return _t(input).cos()


def tan(input: TensorLike) -> Tensor:
    return _t(input).tan()


def tanh(input: TensorLike) -> Tensor:
    return _t(input).tanh()


def sigmoid(input: TensorLike) -> Tensor:
    return _t(input).sigmoid()


def relu(input: TensorLike) -> Tensor:
    return _t(input).relu()


def leaky_relu(input: TensorLike, negative_slope: float = 0.01) -> Tensor:
    return _t(input).leaky_relu(negative_slope)


def elu(input: TensorLike, alpha: float = 1.0) -> Tensor:
    return _t(input).elu(alpha)


def gelu(input: TensorLike, approximate: str = "none") -> Tensor:
    return _t(input).gelu(approximate)


def softplus(input: TensorLike, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _t(input).softplus(beta, threshold)


def sign(input: TensorLike) -> Tensor:
    return _t(input).sign()


def abs(input: TensorLike) -> Tensor:
    return _t(input).abs()


def clamp(input: TensorLike, min: Scalar | Tensor | None = None,
          max: Scalar | Tensor | None = None) -> Tensor:
    return _t(input).clamp(min, max)


def pow(input: TensorLike, exponent: TensorLike) -> Tensor:
    return _t(input).pow(exponent)


def reciprocal(input: TensorLike) -> Tensor:
    return _t(input).reciprocal()


def square(input: TensorLike) -> Tensor:
    return _t(input).square()


def erf(input: TensorLike) -> Tensor:
    return _t(input).erf()


def sum(input: TensorLike, dim: Dims = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    return _t(input).sum(dim, keepdim, dtype)


def mean(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).mean(dim, keepdim)


def prod(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).prod(dim, keepdim)


def max(input: TensorLike, dim: int | None = None, keepdim: bool = False) -> Any:
    return _t(input).max(dim, keepdim)


def min(input: TensorLike, dim: int | None = None, keepdim: bool = False) -> Any:
    return _t(input).min(dim, keepdim)


def amax(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).amax(dim, keepdim)


def amin(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).amin(dim, keepdim)


def argmax(input: TensorLike, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(input).argmax(dim, keepdim)


def argmin(input: TensorLike, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _t(input).argmin(dim, keepdim)


def var(input: TensorLike, dim: Dims = None, unbiased: bool = True, keepdim: bool = False,
        correction: float | None = None) -> Tensor:
    return _t(input).var(dim, unbiased, keepdim, correction)


def std(input: TensorLike, dim: Dims = None, unbiased: bool = True, keepdim: bool = False,
        correction: float | None = None) -> Tensor:
    return _t(input).std(dim, unbiased, keepdim, correction)


def norm(input: TensorLike, p: float | str = 2, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).norm(p, dim, keepdim)


def logsumexp(input: TensorLike, dim: int, keepdim: bool = False) -> Tensor:
    return _t(input).logsumexp(dim, keepdim)


def softmax(input: TensorLike, dim: int) -> Tensor:
    return _t(input).softmax(dim)


def log_softmax(input: TensorLike, dim: int) -> Tensor:
    return _t(input).log_softmax(dim)


def cumsum(input: TensorLike, dim: int) -> Tensor:
    return _t(input).cumsum(dim)


def reshape(input: TensorLike, *shape: int | Sequence[int]) -> Tensor:
    return _t(input).reshape(*shape)


def flatten(input: TensorLike, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _t(input).flatten(start_dim, end_dim)


def squeeze(input: TensorLike, dim: Dims = None) -> Tensor:
    return _t(input).squeeze(dim)


def unsqueeze(input: TensorLike, dim: int) -> Tensor:
    return _t(input).unsqueeze(dim)


def transpose(input: TensorLike, dim0: int, dim1: int) -> Tensor:
    return _t(input).transpose(dim0, dim1)


def permute(input: TensorLike, *dims: int | Sequence[int]) -> Tensor:
    return _t(input).permute(*dims)


def expand(input: TensorLike, *shape: int | Sequence[int]) -> Tensor:
    return _t(input).expand(*shape)


def broadcast_to(input: TensorLike, shape: Sequence[int]) -> Tensor:
    return _t(input).broadcast_to(shape)


def repeat(input: TensorLike, *sizes: int | Sequence[int]) -> Tensor:
    return _t(input).repeat(*sizes)


def split(input: TensorLike, split_size_or_sections: int | Sequence[int],
          dim: int = 0) -> tuple[Tensor, ...]:
    return _t(input).split(split_size_or_sections, dim)


def chunk(input: TensorLike, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return _t(input).chunk(chunks, dim)


def pad(input: TensorLike, pads: Sequence[int], value: float = 0.0) -> Tensor:
    return _t(input).pad(pads, value)


def gather(input: TensorLike, dim: int, index: TensorLike) -> Tensor:
    return _t(input).gather(dim, index)


def scatter_add(input: TensorLike, dim: int, index: TensorLike, src: TensorLike) -> Tensor:
    return _t(input).scatter_add(dim, index, src)


def masked_fill(input: TensorLike, mask: TensorLike, value: Scalar | Tensor) -> Tensor:
    return _t(input).masked_fill(mask, value)


def flip(input: TensorLike, dims: int | Sequence[int]) -> Tensor:
    return _t(input).flip(dims)


clip = clamp


# ------------------------------------------------------------ matrix products
def mm(input: TensorLike, mat2: TensorLike, *, out: Tensor | None = None) -> Tensor:
    return _out(_t(input).mm(mat2), out, "mm")


def bmm(input: TensorLike, mat2: TensorLike, *, out: Tensor | None = None) -> Tensor:
    return _out(_t(input).bmm(mat2), out, "bmm")


def mv(input: TensorLike, vec: TensorLike, *, out: Tensor | None = None) -> Tensor:
    return _out(_t(input).mv(vec), out, "mv")


def addmm(input: TensorLike, mat1: TensorLike, mat2: TensorLike, *, beta: Scalar = 1,
          alpha: Scalar = 1) -> Tensor:
    return _t(input).addmm(mat1, mat2, beta=beta, alpha=alpha)


def t(input: TensorLike) -> Tensor:
    return _t(input).t()


# ------------------------------------------------------------ arithmetic and rounding
def add(input: TensorLike, other: Tensor | Scalar, *, alpha: Scalar = 1,
        out: Tensor | None = None) -> Tensor:
    return _out(_t(input).add(other, alpha=alpha), out, "add")


def sub(input: TensorLike, other: Tensor | Scalar, *, alpha: Scalar = 1,
        out: Tensor | None = None) -> Tensor:
    return _out(_t(input).sub(other, alpha=alpha), out, "sub")


def mul(input: TensorLike, other: TensorLike, *, out: Tensor | None = None) -> Tensor:
    return _out(_t(input).mul(other), out, "mul")


def div(input: TensorLike, other: TensorLike, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    return _out(_t(input).div(other, rounding_mode=rounding_mode), out, "div")


def true_divide(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) / other


def floor_divide(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) // other


def remainder(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) % other


def fmod(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input).fmod(other)


def neg(input: TensorLike) -> Tensor:
    return _t(input).neg()


def floor(input: TensorLike) -> Tensor:
    return _t(input).floor()


def ceil(input: TensorLike) -> Tensor:
    return _t(input).ceil()


def round(input: TensorLike, *, decimals: int = 0) -> Tensor:
    return _t(input).round(decimals)


def trunc(input: TensorLike) -> Tensor:
    return _t(input).trunc()


def frac(input: TensorLike) -> Tensor:
    return _t(input).frac()


def nan_to_num(input: TensorLike, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    return _t(input).nan_to_num(nan, posinf, neginf)


def clamp_min(input: TensorLike, min: Scalar | Tensor) -> Tensor:
    return _t(input).clamp_min(min)


def clamp_max(input: TensorLike, max: Scalar | Tensor) -> Tensor:
    return _t(input).clamp_max(max)


def addcmul(input: TensorLike, tensor1: Tensor | Scalar, tensor2: Tensor | Scalar, *,
            value: Scalar = 1) -> Tensor:
    return _t(input).addcmul(tensor1, tensor2, value)


def addcdiv(input: TensorLike, tensor1: Tensor | Scalar, tensor2: Tensor | Scalar, *,
            value: Scalar = 1) -> Tensor:
    return _t(input).addcdiv(tensor1, tensor2, value)


def lerp(input: TensorLike, end: TensorLike, weight: TensorLike) -> Tensor:
    return _t(input).lerp(end, weight)


# ------------------------------------------------------------ comparisons and tests
def eq(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) == other


def ne(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) != other


def lt(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) < other


def le(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) <= other


def gt(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) > other


def ge(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input) >= other


def logical_and(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input).logical_and(other)


def logical_or(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input).logical_or(other)


def logical_xor(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input).logical_xor(other)


def logical_not(input: TensorLike) -> Tensor:
    return _t(input).logical_not()


def isnan(input: TensorLike) -> Tensor:
    return _t(input).isnan()


def isinf(input: TensorLike) -> Tensor:
    return _t(input).isinf()


def isfinite(input: TensorLike) -> Tensor:
    return _t(input).isfinite()


def isposinf(input: TensorLike) -> Tensor:
    return _t(input).isposinf()


def isneginf(input: TensorLike) -> Tensor:
    return _t(input).isneginf()


def all(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).all(dim, keepdim)


def any(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).any(dim, keepdim)


def count_nonzero(input: TensorLike, dim: Dims = None) -> Tensor:
    return _t(input).count_nonzero(dim)


# ------------------------------------------------------------ reductions and sorting
def cumprod(input: TensorLike, dim: int) -> Tensor:
    return _t(input).cumprod(dim)


def std_mean(input: TensorLike, dim: Dims = None, unbiased: bool = True, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    return _t(input).std_mean(dim, unbiased, keepdim, correction)


def var_mean(input: TensorLike, dim: Dims = None, unbiased: bool = True, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    return _t(input).var_mean(dim, unbiased, keepdim, correction)


def sort(input: TensorLike, dim: int = -1, descending: bool = False,
         stable: bool = False) -> ValuesIndices:
    return _t(input).sort(dim, descending, stable)


def argsort(input: TensorLike, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    return _t(input).argsort(dim, descending, stable)


def msort(input: TensorLike) -> Tensor:
    return _t(input).msort()


def topk(input: TensorLike, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> ValuesIndices:
    return _t(input).topk(k, dim, largest, sorted)


def trace(input: TensorLike) -> Tensor:
    return _t(input).trace()


# ------------------------------------------------------------ shape and selection
def roll(input: TensorLike, shifts: int | Sequence[int],
         dims: int | Sequence[int] | None = None) -> Tensor:
    return _t(input).roll(shifts, dims)


def tril(input: TensorLike, diagonal: int = 0) -> Tensor:
    return _t(input).tril(diagonal)


def triu(input: TensorLike, diagonal: int = 0) -> Tensor:
    return _t(input).triu(diagonal)


def diag(input: TensorLike, diagonal: int = 0) -> Tensor:
    return _t(input).diag(diagonal)


def diagonal(input: TensorLike, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _t(input).diagonal(offset, dim1, dim2)


def movedim(input: TensorLike, source: int | Sequence[int],
            destination: int | Sequence[int]) -> Tensor:
    return _t(input).movedim(source, destination)


def index_select(input: TensorLike, dim: int, index: TensorLike) -> Tensor:
    return _t(input).index_select(dim, index)


def narrow(input: TensorLike, dim: int, start: int, length: int) -> Tensor:
    return _t(input).narrow(dim, start, length)


def select(input: TensorLike, dim: int, index: int) -> Tensor:
    return _t(input).select(dim, index)


def unflatten(input: TensorLike, dim: int, sizes: Sequence[int]) -> Tensor:
    return _t(input).unflatten(dim, sizes)


def take_along_dim(input: TensorLike, indices: TensorLike, dim: int | None = None) -> Tensor:
    return _t(input).take_along_dim(indices, dim)


def aminmax(input: TensorLike, *, dim: int | None = None, keepdim: bool = False) -> Any:
    return _t(input).aminmax(dim=dim, keepdim=keepdim)


def tensor_split(input: TensorLike, indices_or_sections: int | Sequence[int],
                 dim: int = 0) -> tuple[Tensor, ...]:
    return _t(input).tensor_split(indices_or_sections, dim)


def ravel(input: TensorLike) -> Tensor:
    return _t(input).ravel()


def swapaxes(input: TensorLike, axis0: int, axis1: int) -> Tensor:
    return _t(input).swapaxes(axis0, axis1)


swapdims = swapaxes


def moveaxis(input: TensorLike, source: int | Sequence[int],
             destination: int | Sequence[int]) -> Tensor:
    return _t(input).movedim(source, destination)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne  # PyTorch's aliases
fix = trunc


def nansum(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).nansum(dim, keepdim)


def nanmean(input: TensorLike, dim: Dims = None, keepdim: bool = False) -> Tensor:
    return _t(input).nanmean(dim, keepdim)


def unbind(input: TensorLike, dim: int = 0) -> tuple[Tensor, ...]:
    return _t(input).unbind(dim)


def masked_select(input: TensorLike, mask: TensorLike) -> Tensor:
    return _t(input).masked_select(mask)


def nonzero(input: TensorLike, *, as_tuple: bool = False) -> Any:
    return _t(input).nonzero(as_tuple)


def argwhere(input: TensorLike) -> Tensor:
    return _t(input).nonzero()


# ------------------------------------------------------------ more functions of x
def log2(input: TensorLike) -> Tensor:
    return _t(input).log2()


def log10(input: TensorLike) -> Tensor:
    return _t(input).log10()


def exp2(input: TensorLike) -> Tensor:
    return _t(input).exp2()


def asin(input: TensorLike) -> Tensor:
    return _t(input).asin()


def acos(input: TensorLike) -> Tensor:
    return _t(input).acos()


def atan(input: TensorLike) -> Tensor:
    return _t(input).atan()


def sinh(input: TensorLike) -> Tensor:
    return _t(input).sinh()


def cosh(input: TensorLike) -> Tensor:
    return _t(input).cosh()


def asinh(input: TensorLike) -> Tensor:
    return _t(input).asinh()


def acosh(input: TensorLike) -> Tensor:
    return _t(input).acosh()


def atanh(input: TensorLike) -> Tensor:
    return _t(input).atanh()


arcsin, arccos, arctan = asin, acos, atan


def atan2(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input).atan2(other)


arctan2 = atan2


def hypot(input: TensorLike, other: Tensor | Scalar) -> Tensor:
    return _t(input).hypot(other)


def logaddexp(input: TensorLike, other: TensorLike) -> Tensor:
    return _t(input).logaddexp(other)


def deg2rad(input: TensorLike) -> Tensor:
    return _t(input).deg2rad()


def rad2deg(input: TensorLike) -> Tensor:
    return _t(input).rad2deg()


def signbit(input: TensorLike) -> Tensor:
    return _t(input).signbit()


absolute, negative, sgn = abs, neg, sign


def positive(input: TensorLike) -> Tensor:
    return _t(input)


# ------------------------------------------------------------ selection and layout
def scatter(input: TensorLike, dim: int, index: TensorLike, src: TensorLike | None = None, *,
            value: Scalar | None = None) -> Tensor:
    return _t(input).scatter(dim, index, src, value)


def index_add(input: TensorLike, dim: int, index: TensorLike, source: TensorLike, *,
              alpha: Scalar = 1) -> Tensor:
    return _t(input).index_add(dim, index, source, alpha)


def index_fill(input: TensorLike, dim: int, index: TensorLike, value: Scalar | Tensor) -> Tensor:
    return _t(input).index_fill(dim, index, value)


def repeat_interleave(input: TensorLike, repeats: int | Tensor, dim: int | None = None) -> Tensor:
    return _t(input).repeat_interleave(repeats, dim)


def tile(input: TensorLike, dims: Sequence[int]) -> Tensor:
    return _t(input).tile(dims)


def diff(input: TensorLike, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    return _t(input).diff(n, dim, prepend, append)


def flipud(input: TensorLike) -> Tensor:
    return _t(input).flipud()


def fliplr(input: TensorLike) -> Tensor:
    return _t(input).fliplr()


def rot90(input: TensorLike, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    return _t(input).rot90(k, dims)


def median(input: TensorLike, dim: int | None = None, keepdim: bool = False) -> Any:
    return _t(input).median(dim, keepdim)


def cummax(input: TensorLike, dim: int) -> ValuesIndices:
    return _t(input).cummax(dim)


def cummin(input: TensorLike, dim: int) -> ValuesIndices:
    return _t(input).cummin(dim)


def addmv(input: TensorLike, mat: TensorLike, vec: TensorLike, *, beta: Scalar = 1,
          alpha: Scalar = 1) -> Tensor:
    return _t(input).addmv(mat, vec, beta=beta, alpha=alpha)


def baddbmm(input: TensorLike, batch1: TensorLike, batch2: TensorLike, *, beta: Scalar = 1,
            alpha: Scalar = 1) -> Tensor:
    return _t(input).baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def dist(input: TensorLike, other: TensorLike, p: float = 2) -> Tensor:
    return _t(input).dist(other, p)


# ------------------------------------------------------------ counting and searching
# integer results, no gradient: numpy computes them directly
def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None) -> Tensor:
    """The (2, n) row and column indices of the lower triangle of a row x col matrix."""
    return Tensor._make(np.stack(np.tril_indices(row, offset, col)).astype(dtype or np.int64))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None) -> Tensor:
    """The (2, n) row and column indices of the upper triangle of a row x col matrix."""
    return Tensor._make(np.stack(np.triu_indices(row, offset, col)).astype(dtype or np.int64))


def searchsorted(sorted_sequence: TensorLike, input: TensorLike, *, right: bool = False,
                 side: Literal["left", "right"] | None = None) -> Tensor:
    """Where each value would go in the sorted last dim to keep it sorted (int64)."""
    seq, values = _t(sorted_sequence)._data, _t(input)._data
    side = side or ("right" if right else "left")
    if seq.ndim == 1:
        return Tensor._make(np.searchsorted(seq, values, side=side).astype(np.int64))
    if seq.shape[:-1] != values.shape[:-1]:
        raise ValueError(f"searchsorted: sorted_sequence {seq.shape} and input "
                         f"{values.shape} must agree in every dim but the last")
    rows = [np.searchsorted(s, v, side=side) for s, v in
            zip(seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1]))]
    return Tensor._make(np.stack(rows).reshape(values.shape).astype(np.int64))


def bucketize(input: TensorLike, boundaries: TensorLike, *, right: bool = False) -> Tensor:
    """The bucket of each value between the 1-D sorted boundaries (int64)."""
    bounds = _t(boundaries)
    if bounds.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {bounds.shape}")
    return searchsorted(bounds, input, right=right)


def bincount(input: TensorLike, weights: TensorLike | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-D non-negative integer tensor (summing
    `weights` instead of counting, when given)."""
    x = _t(input)
    if x.ndim != 1 or x.dtype.kind not in "iub" or (x.numel() and x._data.min() < 0):
        raise ValueError(f"bincount: input must be a 1-D tensor of non-negative integers, "
                         f"got {x.dtype} of shape {x.shape}")
    w = None if weights is None else _t(weights)._data
    counts = np.bincount(x._data, w, minlength)
    dt = np.int64 if w is None else (w.dtype if w.dtype.kind == "f" else np.float64)
    return Tensor._make(counts.astype(dt))


def histc(input: TensorLike, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of `bins` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored."""
    x = _t(input)
    lo, hi = (float(min), float(max)) if (min, max) != (0, 0) else \
        ((float(x._data.min()), float(x._data.max())) if x.numel() else (0.0, 0.0))
    if lo == hi:  # PyTorch widens an empty range by 1 either side
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(x._data, bins=bins, range=(lo, hi))
    return Tensor._make(counts.astype(x.dtype if x.dtype.kind == "f" else get_default_dtype()))


def unique(input: TensorLike, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values, sorted; optionally where each input element went
    (return_inverse) and how often each value occurs (return_counts)."""
    x = _t(input)
    found = np.unique(x._data, return_inverse=True, return_counts=True, axis=dim)
    values, inverse, counts = found
    out = [Tensor._make(values)]
    if return_inverse:
        shape = x.shape if dim is None else (x.shape[dim],)
        out.append(Tensor._make(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)

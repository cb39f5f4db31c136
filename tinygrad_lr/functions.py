"""The function forms of the Tensor methods, as in the torch namespace: `tl.exp(t)` is
`t.exp()`, `tl.sum(t, dim)` is `t.sum(dim)`. Numbers, lists and arrays are made tensors first.

(This module's `sum`, `max`, `min`, `abs`, `pow`, `round`, `all` and `any` shadow Python's
built-ins on purpose, as torch's do; the library itself never imports them by name.)
"""
import numpy as np

from .dtypes import get_default_dtype
from .tensor import (
    Tensor,
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
]


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _out(result, out, name):
    return result if out is None else write_out(result, out, name)



def exp(input):
    return _t(input).exp()


def log(input):
    return _t(input).log()


def log1p(input):
    return _t(input).log1p()


def expm1(input):
    return _t(input).expm1()


def sqrt(input):
    return _t(input).sqrt()


def rsqrt(input):
    return _t(input).rsqrt()


def sin(input):
    return _t(input).sin()


def cos(input):
    return _t(input).cos()


def tan(input):
    return _t(input).tan()


def tanh(input):
    return _t(input).tanh()


def sigmoid(input):
    return _t(input).sigmoid()


def relu(input):
    return _t(input).relu()


def leaky_relu(input, negative_slope=0.01):
    return _t(input).leaky_relu(negative_slope)


def elu(input, alpha=1.0):
    return _t(input).elu(alpha)


def gelu(input, approximate="none"):
    return _t(input).gelu(approximate)


def softplus(input, beta=1.0, threshold=20.0):
    return _t(input).softplus(beta, threshold)


def sign(input):
    return _t(input).sign()


def abs(input):
    return _t(input).abs()


def clamp(input, min=None, max=None):
    return _t(input).clamp(min, max)


def pow(input, exponent):
    return _t(input).pow(exponent)


def reciprocal(input):
    return _t(input).reciprocal()


def square(input):
    return _t(input).square()


def erf(input):
    return _t(input).erf()


def sum(input, dim=None, keepdim=False, dtype=None):
    return _t(input).sum(dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False):
    return _t(input).mean(dim, keepdim)


def prod(input, dim=None, keepdim=False):
    return _t(input).prod(dim, keepdim)


def max(input, dim=None, keepdim=False):
    return _t(input).max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return _t(input).min(dim, keepdim)


def amax(input, dim=None, keepdim=False):
    return _t(input).amax(dim, keepdim)


def amin(input, dim=None, keepdim=False):
    return _t(input).amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return _t(input).argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return _t(input).argmin(dim, keepdim)


def var(input, dim=None, unbiased=True, keepdim=False, correction=None):
    return _t(input).var(dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=True, keepdim=False, correction=None):
    return _t(input).std(dim, unbiased, keepdim, correction)


def norm(input, p=2, dim=None, keepdim=False):
    return _t(input).norm(p, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return _t(input).logsumexp(dim, keepdim)


def softmax(input, dim):
    return _t(input).softmax(dim)


def log_softmax(input, dim):
    return _t(input).log_softmax(dim)


def cumsum(input, dim):
    return _t(input).cumsum(dim)


def reshape(input, *shape):
    return _t(input).reshape(*shape)


def flatten(input, start_dim=0, end_dim=-1):
    return _t(input).flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return _t(input).squeeze(dim)


def unsqueeze(input, dim):
    return _t(input).unsqueeze(dim)


def transpose(input, dim0, dim1):
    return _t(input).transpose(dim0, dim1)


def permute(input, *dims):
    return _t(input).permute(*dims)


def expand(input, *shape):
    return _t(input).expand(*shape)


def broadcast_to(input, shape):
    return _t(input).broadcast_to(shape)


def repeat(input, *sizes):
    return _t(input).repeat(*sizes)


def split(input, split_size_or_sections, dim=0):
    return _t(input).split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return _t(input).chunk(chunks, dim)


def pad(input, pads, value=0.0):
    return _t(input).pad(pads, value)


def gather(input, dim, index):
    return _t(input).gather(dim, index)


def scatter_add(input, dim, index, src):
    return _t(input).scatter_add(dim, index, src)


def masked_fill(input, mask, value):
    return _t(input).masked_fill(mask, value)


def flip(input, dims):
    return _t(input).flip(dims)


clip = clamp


# ------------------------------------------------------------ matrix products
def mm(input, mat2, *, out=None):
    return _out(_t(input).mm(mat2), out, "mm")


def bmm(input, mat2, *, out=None):
    return _out(_t(input).bmm(mat2), out, "bmm")


def mv(input, vec, *, out=None):
    return _out(_t(input).mv(vec), out, "mv")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _t(input).addmm(mat1, mat2, beta=beta, alpha=alpha)


def t(input):
    return _t(input).t()


# ------------------------------------------------------------ arithmetic and rounding
def add(input, other, *, alpha=1, out=None):
    return _out(_t(input).add(other, alpha=alpha), out, "add")


def sub(input, other, *, alpha=1, out=None):
    return _out(_t(input).sub(other, alpha=alpha), out, "sub")


def mul(input, other, *, out=None):
    return _out(_t(input).mul(other), out, "mul")


def div(input, other, *, rounding_mode=None, out=None):
    return _out(_t(input).div(other, rounding_mode=rounding_mode), out, "div")


def true_divide(input, other):
    return _t(input) / other


def floor_divide(input, other):
    return _t(input) // other


def remainder(input, other):
    return _t(input) % other


def fmod(input, other):
    return _t(input).fmod(other)


def neg(input):
    return _t(input).neg()


def floor(input):
    return _t(input).floor()


def ceil(input):
    return _t(input).ceil()


def round(input, *, decimals=0):
    return _t(input).round(decimals)


def trunc(input):
    return _t(input).trunc()


def frac(input):
    return _t(input).frac()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return _t(input).nan_to_num(nan, posinf, neginf)


def clamp_min(input, min):
    return _t(input).clamp_min(min)


def clamp_max(input, max):
    return _t(input).clamp_max(max)


def addcmul(input, tensor1, tensor2, *, value=1):
    return _t(input).addcmul(tensor1, tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    return _t(input).addcdiv(tensor1, tensor2, value)


def lerp(input, end, weight):
    return _t(input).lerp(end, weight)


# ------------------------------------------------------------ comparisons and tests
def eq(input, other):
    return _t(input) == other


def ne(input, other):
    return _t(input) != other


def lt(input, other):
    return _t(input) < other


def le(input, other):
    return _t(input) <= other


def gt(input, other):
    return _t(input) > other


def ge(input, other):
    return _t(input) >= other


def logical_and(input, other):
    return _t(input).logical_and(other)


def logical_or(input, other):
    return _t(input).logical_or(other)


def logical_xor(input, other):
    return _t(input).logical_xor(other)


def logical_not(input):
    return _t(input).logical_not()


def isnan(input):
    return _t(input).isnan()


def isinf(input):
    return _t(input).isinf()


def isfinite(input):
    return _t(input).isfinite()


def isposinf(input):
    return _t(input).isposinf()


def isneginf(input):
    return _t(input).isneginf()


def all(input, dim=None, keepdim=False):
    return _t(input).all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return _t(input).any(dim, keepdim)


def count_nonzero(input, dim=None):
    return _t(input).count_nonzero(dim)


# ------------------------------------------------------------ reductions and sorting
def cumprod(input, dim):
    return _t(input).cumprod(dim)


def std_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    return _t(input).std_mean(dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    return _t(input).var_mean(dim, unbiased, keepdim, correction)


def sort(input, dim=-1, descending=False, stable=False):
    return _t(input).sort(dim, descending, stable)


def argsort(input, dim=-1, descending=False, stable=False):
    return _t(input).argsort(dim, descending, stable)


def msort(input):
    return _t(input).msort()


def topk(input, k, dim=-1, largest=True, sorted=True):
    return _t(input).topk(k, dim, largest, sorted)


def trace(input):
    return _t(input).trace()


# ------------------------------------------------------------ shape and selection
def roll(input, shifts, dims=None):
    return _t(input).roll(shifts, dims)


def tril(input, diagonal=0):
    return _t(input).tril(diagonal)


def triu(input, diagonal=0):
    return _t(input).triu(diagonal)


def diag(input, diagonal=0):
    return _t(input).diag(diagonal)


def diagonal(input, offset=0, dim1=0, dim2=1):
    return _t(input).diagonal(offset, dim1, dim2)


def movedim(input, source, destination):
    return _t(input).movedim(source, destination)


def index_select(input, dim, index):
    return _t(input).index_select(dim, index)


def narrow(input, dim, start, length):
    return _t(input).narrow(dim, start, length)


def unbind(input, dim=0):
    return _t(input).unbind(dim)


def masked_select(input, mask):
    return _t(input).masked_select(mask)


def nonzero(input, *, as_tuple=False):
    return _t(input).nonzero(as_tuple)


def argwhere(input):
    return _t(input).nonzero()


# ------------------------------------------------------------ more functions of x
def log2(input):
    return _t(input).log2()


def log10(input):
    return _t(input).log10()


def exp2(input):
    return _t(input).exp2()


def asin(input):
    return _t(input).asin()


def acos(input):
    return _t(input).acos()


def atan(input):
    return _t(input).atan()


def sinh(input):
    return _t(input).sinh()


def cosh(input):
    return _t(input).cosh()


def asinh(input):
    return _t(input).asinh()


def acosh(input):
    return _t(input).acosh()


def atanh(input):
    return _t(input).atanh()


arcsin, arccos, arctan = asin, acos, atan


def atan2(input, other):
    return _t(input).atan2(other)


arctan2 = atan2


def hypot(input, other):
    return _t(input).hypot(other)


def logaddexp(input, other):
    return _t(input).logaddexp(other)


def deg2rad(input):
    return _t(input).deg2rad()


def rad2deg(input):
    return _t(input).rad2deg()


def signbit(input):
    return _t(input).signbit()


absolute, negative, sgn = abs, neg, sign


def positive(input):
    return _t(input)


# ------------------------------------------------------------ selection and layout
def scatter(input, dim, index, src=None, *, value=None):
    return _t(input).scatter(dim, index, src, value)


def index_add(input, dim, index, source, *, alpha=1):
    return _t(input).index_add(dim, index, source, alpha)


def index_fill(input, dim, index, value):
    return _t(input).index_fill(dim, index, value)


def repeat_interleave(input, repeats, dim=None):
    return _t(input).repeat_interleave(repeats, dim)


def tile(input, dims):
    return _t(input).tile(dims)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    return _t(input).diff(n, dim, prepend, append)


def flipud(input):
    return _t(input).flipud()


def fliplr(input):
    return _t(input).fliplr()


def rot90(input, k=1, dims=(0, 1)):
    return _t(input).rot90(k, dims)


def median(input, dim=None, keepdim=False):
    return _t(input).median(dim, keepdim)


def cummax(input, dim):
    return _t(input).cummax(dim)


def cummin(input, dim):
    return _t(input).cummin(dim)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _t(input).addmv(mat, vec, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _t(input).baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def dist(input, other, p=2):
    return _t(input).dist(other, p)


# ------------------------------------------------------------ counting and searching
# integer results, no gradient: numpy computes them directly
def tril_indices(row, col, offset=0, *, dtype=None):
    """The (2, n) row and column indices of the lower triangle of a row x col matrix."""
    return Tensor._make(np.stack(np.tril_indices(row, offset, col)).astype(dtype or np.int64))


def triu_indices(row, col, offset=0, *, dtype=None):
    """The (2, n) row and column indices of the upper triangle of a row x col matrix."""
    return Tensor._make(np.stack(np.triu_indices(row, offset, col)).astype(dtype or np.int64))


def searchsorted(sorted_sequence, input, *, right=False, side=None):
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


def bucketize(input, boundaries, *, right=False):
    """The bucket of each value between the 1-D sorted boundaries (int64)."""
    bounds = _t(boundaries)
    if bounds.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {bounds.shape}")
    return searchsorted(bounds, input, right=right)


def bincount(input, weights=None, minlength=0):
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


def histc(input, bins=100, min=0, max=0):
    """A histogram of `bins` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored."""
    x = _t(input)
    lo, hi = (float(min), float(max)) if (min, max) != (0, 0) else \
        ((float(x._data.min()), float(x._data.max())) if x.numel() else (0.0, 0.0))
    if lo == hi:  # PyTorch widens an empty range by 1 either side
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(x._data, bins=bins, range=(lo, hi))
    return Tensor._make(counts.astype(x.dtype if x.dtype.kind == "f" else get_default_dtype()))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
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

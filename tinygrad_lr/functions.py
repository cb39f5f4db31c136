"""The function forms of the Tensor methods, as in the torch namespace: `tl.exp(t)` is
`t.exp()`, `tl.sum(t, dim)` is `t.sum(dim)`. Numbers, lists and arrays are made tensors first.

(This module's `sum`, `max`, `min`, `abs`, `pow`, `round`, `all` and `any` shadow Python's
built-ins on purpose, as torch's do; the library itself never imports them by name.)
"""
from .tensor import Tensor, allclose, equal, isclose, write_out

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
    "movedim", "index_select", "narrow", "unbind", "masked_select", "nonzero",
    "allclose", "isclose", "equal",
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

"""The function forms of the Tensor methods, as in the torch namespace: `tl.exp(t)` is
`t.exp()`, `tl.sum(t, dim)` is `t.sum(dim)`. Numbers, lists and arrays are made tensors first.

(This module's `sum`, `max`, `min`, `abs` and `pow` shadow Python's built-ins on purpose, as
torch's do; the library itself never imports them by name.)
"""
from .tensor import Tensor

__all__ = [
    "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid",
    "relu", "leaky_relu", "elu", "gelu", "softplus", "sign", "abs", "clamp", "pow", "reciprocal",
    "square", "erf", "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "var", "std", "norm", "logsumexp", "softmax", "log_softmax", "cumsum", "reshape", "flatten",
    "squeeze", "unsqueeze", "transpose", "permute", "expand", "broadcast_to", "repeat", "split",
    "chunk", "pad", "gather", "scatter_add", "masked_fill", "flip", "clip",
]


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)



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

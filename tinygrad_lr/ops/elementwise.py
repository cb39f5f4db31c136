"""Elementwise ops: arithmetic and the usual functions of one variable.

Each class is one op: forward on numpy arrays, backward as Tensor expressions next to it.
Gradients of broadcast inputs are summed back with `unbroadcast`.
"""
import math

import numpy as np

from ..graph.function import Function
from ..graph.tensor_base import TensorBase
from ..kernels.special import erf
from ._util import arr, unbroadcast


class _Op(Function):
    array_forward = True


def _shape(x):
    return () if isinstance(x, (int, float)) else x.shape


# ---------------------------------------------------------------- arithmetic
class Add(_Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return np.add(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(g, sb) if nb else None)


class Sub(_Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return np.subtract(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(-g, sb) if nb else None)


class Mul(_Op):
    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, float):  # tensor * constant: only the constant is needed later
            ctx.scalar = b
            return np.multiply(a._data, b)
        ctx.save_for_backward(a, b)
        return np.multiply(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        if hasattr(ctx, "scalar"):
            return g * ctx.scalar, None
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g * b, a.shape) if na else None,
                unbroadcast(g * a, b.shape) if nb else None)


class Div(_Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.true_divide(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g / b, a.shape) if na else None
        gb = unbroadcast(-g * a / (b * b), b.shape) if nb else None
        return ga, gb


class Pow(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.power(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            if isinstance(b, TensorBase):
                ga = unbroadcast(g * b * a ** (b - 1), a.shape)
            elif b == 0:
                ga = g * 0.0
            else:
                ga = g * b * a ** (b - 1) if b != 2 else g * 2 * a
        if nb:
            # d(a^b)/db = a^b log a; at a == 0 the limit (b > 0) is 0, as in PyTorch
            if isinstance(a, TensorBase):
                safe_log = where(a == 0, 1.0, a).log()
            else:
                safe_log = math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
            gb = unbroadcast(g * ctx.saved_output * safe_log, b.shape)
        return ga, gb


class Neg(_Op):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a._data)

    @staticmethod
    def backward(ctx, g):
        return -g


class Cast(_Op):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a._data.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src), None


# ---------------------------------------------------------------- one variable
class Exp(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.exp(a._data)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_output


class Log(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log1p(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log1p(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (a + 1)


class Expm1(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.expm1(a._data)

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.saved_output + 1)


class Sqrt(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.sqrt(a._data)

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.saved_output)


class Rsqrt(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return 1 / np.sqrt(a._data)

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_output
        return -0.5 * g * out * out * out


class Reciprocal(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.reciprocal(a._data)

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_output
        return -g * out * out


class Sin(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sin(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.cos()


class Cos(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cos(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * a.sin()


class Tan(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.tan(a._data)

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_output
        return g * (1 + out * out)


class Tanh(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.tanh(a._data)  # saturates to +-1, never overflows

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_output
        return g * (1 - out * out)


class Sigmoid(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: e^-|x| never overflows, and the
        # tail keeps its relative precision (sigmoid(-40) = 4.2e-18, not 0 as 1 - tiny gives).
        # The numerator max(e, x >= 0) is 1 or e^x without a (slow, branchy) np.where.
        x = a._data
        e = np.exp(-np.abs(x))
        return np.maximum(e, x >= 0) / (1 + e)

    @staticmethod
    def backward(ctx, g):
        out = ctx.saved_output
        return g * out * (1 - out)


class Relu(_Op):
    keep_output = True  # the output tells where the input was positive (as PyTorch keeps)

    @staticmethod
    def forward(ctx, a):
        return np.maximum(a._data, 0)

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.saved_output > 0)


class LeakyRelu(_Op):
    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        x = a._data
        return np.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(a > 0, g, g * ctx.slope), None


class Elu(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, alpha):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        x = a._data
        # expm1 only of the non-positive part: exp(1000) is never formed
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(a > 0, g, g * (ctx.saved_output + ctx.alpha)), None


class Softplus(_Op):
    @staticmethod
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        x = a._data
        bx = beta * x
        # log(1 + e^z) = max(z, 0) + log1p(e^-|z|); above `threshold` it is z itself (PyTorch)
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return where(a * ctx.beta > ctx.threshold, g, g * (a * ctx.beta).sigmoid()), None, None


class Erf(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * (-(a * a)).exp()


class Abs(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.sign()


class Sign(_Op):
    @staticmethod
    def forward(ctx, a):
        return np.where(a._data != a._data, 0, np.sign(a._data))  # sign(NaN) = 0 (PyTorch)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0  # zero almost everywhere, as in PyTorch


class Clamp(_Op):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a._data, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        x = a._data
        inside = np.ones(x.shape, dtype=bool)  # PyTorch: gradient flows where lo <= x <= hi
        if ctx.lo is not None:
            inside &= x >= ctx.lo
        if ctx.hi is not None:
            inside &= x <= ctx.hi
        return g * a._make(inside), None, None


# ---------------------------------------------------------------- two variables, masks
class Maximum(_Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # ties share the gradient equally, as in PyTorch
        wa = (a > b) + 0.5 * (a == b)
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g * wa, a.shape) if na else None,
                unbroadcast(g * (1 - wa), b.shape) if nb else None)


class Minimum(_Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a < b) + 0.5 * (a == b)
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g * wa, a.shape) if na else None,
                unbroadcast(g * (1 - wa), b.shape) if nb else None)


class Where(_Op):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        ctx.shapes = (_shape(a), _shape(b))
        return np.where(cond._data, arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        _, na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (None,
                unbroadcast(where(ctx.cond, g, 0.0), sa) if na else None,
                unbroadcast(where(ctx.cond, 0.0, g), sb) if nb else None)


def where(cond, a, b):
    """where(cond, a, b) inside backward formulas: cond a boolean tensor, a and b tensors
    of one dtype or Python numbers (the public tl.where checks and promotes first)."""
    return Where.apply(cond, a, b)

"""Elementwise ops: arithmetic and the usual functions of one variable.

Each class is one op: forward on numpy arrays, backward as Tensor expressions next to it.
Gradients of broadcast inputs are summed back with `unbroadcast`.
"""
import math

import numpy as np

from ..graph.function import Function, shown_node
from ..graph.tensor_base import TensorBase
from ..kernels.activations import (
    elu,
    elu_backward,
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    select,
    sigmoid,
    sigmoid_backward,
    softplus,
    softplus_backward,
    tanh_backward,
)
from ..kernels.special import erf, gelu, gelu_backward
from ._util import arr, gradients, on_arrays, operands, unbroadcast


class _Op(Function):
    array_forward = True
    batched_backward_ok = True  # every backward here broadcasts g against saved values


def _shape(x):
    return () if isinstance(x, (int, float)) else x.shape


def _tensor_first(node, entries):
    """`1 + x` and `2 * x` show x first, as PyTorch's reflected operators do."""
    return entries[::-1] if node.number_first else entries


class _Arithmetic(_Op):
    numbers_are_inputs = True  # PyTorch wraps the number of `x + 1` as an input: (None, 0)
    torch_next = staticmethod(_tensor_first)


# ---------------------------------------------------------------- arithmetic
class Add(_Arithmetic):
    @staticmethod
    def forward(ctx, a, b):
        x, y, ctx.shapes = operands(a, b)
        if a.__class__ in (int, float):
            ctx.number_first = True
        return np.add(x, y)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(g, sb) if nb else None)


class Sub(_Arithmetic):
    @staticmethod
    def forward(ctx, a, b):
        x, y, ctx.shapes = operands(a, b)
        if a.__class__ in (int, float):  # `1 - x` is PyTorch's rsub(x, 1): x its only input
            ctx.number_first = True
            ctx.node_name = "RsubBackward1"
        return np.subtract(x, y)

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(-g, sb) if nb else None)

    @staticmethod
    def torch_next(node, entries):
        return entries[1:] if node.number_first else entries


class Mul(_Arithmetic):
    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, float):  # tensor * constant: only the constant is needed later
            ctx.scalar = b
            return np.multiply(a._data, b)
        ctx.scalar = None
        x, y, ctx.shapes = operands(a, b)
        if a.__class__ in (int, float):
            ctx.number_first = True
        need_a, need_b = ctx.needs_input_grad or (False, False)  # (nothing when unrecorded)
        # as in PyTorch, each factor is kept only for the other one's gradient: changing a
        # factor in place later is no error when its partner needs no gradient
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return np.multiply(x, y)

    @staticmethod
    def backward(ctx, g):
        if ctx.scalar is not None:
            (g_,) = on_arrays(g)
            return gradients(g, g_ * ctx.scalar, None)
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        g_, a, b = on_arrays(g, a, b)
        return gradients(g, unbroadcast(g_ * b, sa) if na else None,
                         unbroadcast(g_ * a, sb) if nb else None)


class Div(_Arithmetic):
    @staticmethod
    def forward(ctx, a, b):
        x, y, ctx.shapes = operands(a, b)
        _, need_b = ctx.needs_input_grad or (False, False)  # (nothing when unrecorded)
        # as in PyTorch, the numerator is kept only for the denominator's gradient
        ctx.save_for_backward(a if need_b else None, b)
        ctx.number_first = a.__class__ in (int, float)
        if ctx.number_first:  # PyTorch computes `2 / x` as reciprocal(x) * 2
            ctx.node_name = "MulBackward0"
        return np.true_divide(x, y)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        sa, sb = ctx.shapes
        g_, a, b = on_arrays(g, a, b)
        ga = unbroadcast(g_ / b, sa) if na else None
        gb = unbroadcast(-g_ * a / (b * b), sb) if nb else None
        return gradients(g, ga, gb)

    @staticmethod
    def torch_next(node, entries):
        if node.number_first:
            return [(shown_node("ReciprocalBackward0", entries[1]), 0), (None, 0)]
        return entries


# PyTorch's own forms for these scalar exponents (ATen's pow_tensor_scalar), so that the
# values at -0.0, at infinities and on underflow are PyTorch's: (-0.0) ** 0.5 is -0.0 and
# (1e20) ** -2 is 0 in float32, where the C library's pow says +0.0 and 1e-40
_TORCH_POWERS = {2: np.square, 3: lambda x: x * x * x, 0.5: np.sqrt,
                 -0.5: lambda x: np.reciprocal(np.sqrt(x)), -1: np.reciprocal,
                 -2: lambda x: np.reciprocal(x * x)}


def power(x, e):
    """x ** e for the Pow op. A float array to a scalar power: PyTorch's forms above, and any
    other whole-number power as |x| ** e with the sign put back (a negative base to an
    integer power is +-|x| ** e). numpy sends every negative base to the C library's pow,
    tens of times slower than its SIMD loop for positive ones, which `(y - t) ** 4` in a
    custom loss (and the `a ** 3` of its backward) hits on half the elements
    (benchmarks/README.md); the values are those numpy gives for |x|, within one unit in
    the last place of the C library's, with the same signs, zeros, infinities and NaNs."""
    if isinstance(e, np.ndarray) and e.ndim == 0:
        e = e[()]
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f") or isinstance(e, np.ndarray):
        return np.power(x, e)
    if not isinstance(e, (int, float, np.integer, np.floating)) or isinstance(e, bool):
        return np.power(x, e)  # a bool or complex exponent: numpy's rules
    special = _TORCH_POWERS.get(e)
    if special is not None:
        return special(x)
    if not (math.isfinite(e) and float(e).is_integer()):
        return np.power(x, e)
    magnitude = np.power(np.abs(x), e)
    # an odd power keeps the base's sign (also of -0.0 and -inf); an even one is >= 0
    return np.copysign(magnitude, x, out=magnitude) if int(e) % 2 else magnitude


class Pow(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if isinstance(a, TensorBase):  # PyTorch's overloads: tensor ** number is Backward0
            if isinstance(b, TensorBase):
                ctx.node_name = "PowBackward1"
        else:
            ctx.node_name = "PowBackward2"
        return power(arr(a), arr(b))

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
    node_name = "ToCopyBackward0"

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
        g_, out = on_arrays(g, ctx.saved_output)
        return gradients(g, g_ * out)


class Log(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a._data)

    @staticmethod
    def backward(ctx, g):
        g_, a = on_arrays(g, *ctx.saved_tensors)
        return gradients(g, g_ / a)


class Log1p(_Op):
    node_name = "Log1PBackward0"

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
        g_, out = on_arrays(g, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: one kernel pass on the arrays
            return gradients(g, tanh_backward(g_, out))
        return gradients(g, g_ * (1 - out * out))


class Sigmoid(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return sigmoid(a._data)

    @staticmethod
    def backward(ctx, g):
        g_, out = on_arrays(g, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: one kernel pass on the arrays
            return gradients(g, sigmoid_backward(g_, out))
        return gradients(g, g_ * out * (1 - out))


class Relu(_Op):
    keep_output = True  # the output tells where the input was positive (as PyTorch keeps)

    @staticmethod
    def forward(ctx, a):
        return relu(a._data)

    @staticmethod
    def backward(ctx, g):
        g_, out = on_arrays(g, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: one kernel pass on the arrays
            return gradients(g, relu_backward(g_, out))
        return gradients(g, g_ * (out <= 0).logical_not())  # NaN outputs pass g, as in PyTorch


class LeakyRelu(_Op):
    @staticmethod
    def forward(ctx, a, slope):
        ctx.save_for_backward(a)
        ctx.slope = slope
        return leaky_relu(a._data, slope)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        g_, x = on_arrays(g, a)
        if isinstance(g_, np.ndarray):  # no create_graph: one kernel pass on the arrays
            return gradients(g, leaky_relu_backward(g_, x, ctx.slope)) + (None,)
        return where(a > 0, g, g * ctx.slope), None


class Elu(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a, alpha):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        return elu(a._data, alpha)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        g_, x, out = on_arrays(g, a, ctx.saved_output)
        if isinstance(g_, np.ndarray):  # no create_graph: one kernel pass on the arrays
            return gradients(g, elu_backward(g_, x, out, ctx.alpha)) + (None,)
        return where(a > 0, g, g * (ctx.saved_output + ctx.alpha)), None


class Softplus(_Op):
    @staticmethod
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        return softplus(a._data, beta, threshold)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        g_, x = on_arrays(g, a)
        if isinstance(g_, np.ndarray):  # no create_graph: one kernel pass on the arrays
            return gradients(g, softplus_backward(g_, x, ctx.beta, ctx.threshold)) + (None, None)
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


class Gelu(_Op):
    """x * Phi(x) (the exact GELU, Phi the normal CDF) as one node, as in PyTorch; its
    derivative Phi(x) + x * phi(x) in one kernel pass, or with Tensor ops under
    create_graph (so it is differentiable again)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return gelu(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        g_, x = on_arrays(g, a)
        if isinstance(g_, np.ndarray):
            return gradients(g, gelu_backward(g_, x))
        cdf = 0.5 * (1 + (a * (1 / math.sqrt(2))).erf())
        return g * (cdf + a * (-0.5 * a * a).exp() * (1 / math.sqrt(2 * math.pi)))


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
    node_name = "ClampBackward1"  # clamp(min, max) with numbers, whichever is given

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
    numbers_are_inputs = True

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        x, y, ctx.shapes = operands(a, b)
        return select(cond._data, x, y)

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


# ---------------------------------------------------------------- division with rounding
class FloorDivide(_Op):
    """a // b, the quotient rounded down. PyTorch defines no derivative for it, so backward
    raises (an integer result has no gradient at all and records nothing)."""

    @staticmethod
    def forward(ctx, a, b):
        return np.floor_divide(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for floor_divide is not implemented (as in "
                           "PyTorch); compute it under no_grad() or from detached tensors")


class Remainder(_Op):
    """a % b with the sign of b (Python's %, torch.remainder): a = b * floor(a / b) + r, so
    dr/da = 1 and dr/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        _save_operands(ctx, a, b)
        ctx.node_name = "RemainderBackward1" if isinstance(b, TensorBase) else \
            "RemainderBackward0"
        return np.remainder(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        return _rounded_quotient_grads(ctx, g, np.floor)


class Fmod(_Op):
    """C's fmod: a % b with the sign of a (torch.fmod): a = b * trunc(a / b) + r, so
    dr/da = 1 and dr/db = -trunc(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        _save_operands(ctx, a, b)
        ctx.node_name = "FmodBackward1" if isinstance(b, TensorBase) else "FmodBackward0"
        return np.fmod(arr(a), arr(b))

    @staticmethod
    def backward(ctx, g):
        return _rounded_quotient_grads(ctx, g, np.trunc)


def _save_operands(ctx, a, b):
    """Save the tensor operands (versioned) and keep the Python numbers as they are."""
    ctx.save_for_backward(*(x for x in (a, b) if isinstance(x, TensorBase)))
    ctx.numbers = tuple(None if isinstance(x, TensorBase) else x for x in (a, b))


def _rounded_quotient_grads(ctx, g, rounding):
    saved = iter(ctx.saved_tensors)
    a, b = (next(saved) if x is None else x for x in ctx.numbers)
    na, nb = ctx.needs_input_grad
    if nb and ctx.numbers[0] is not None:
        raise RuntimeError("the derivative for remainder of a number by a tensor is not "
                           "implemented (as in PyTorch)")
    ga = unbroadcast(g, _shape(a)) if na else None
    gb = None
    if nb:  # the rounded quotient is piecewise constant: a constant of the graph
        quotient = g._make(rounding(np.true_divide(arr(a), arr(b))).astype(g.dtype))
        gb = unbroadcast(-g * quotient, b.shape)
    return ga, gb


# ---------------------------------------------------------------- rounding: zero gradient
class _PiecewiseConstant(_Op):
    """Its gradient is zero wherever it exists, and PyTorch sends zero everywhere."""

    @staticmethod
    def backward(ctx, g):
        return g * 0.0


class Floor(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, a):
        return np.floor(a._data)


class Ceil(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, a):
        return np.ceil(a._data)


class Trunc(_PiecewiseConstant):
    @staticmethod
    def forward(ctx, a):
        return np.trunc(a._data)


class Round(_Op):
    """Round half to even, as PyTorch and numpy do (round(2.5) = 2); `decimals` places."""

    @staticmethod
    def forward(ctx, a, decimals):
        ctx.node_name = "RoundBackward0" if decimals == 0 else "RoundBackward1"
        return np.round(a._data, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0, None


class Frac(_Op):
    """x - trunc(x): the gradient passes through unchanged."""

    @staticmethod
    def forward(ctx, a):
        return a._data - np.trunc(a._data)

    @staticmethod
    def backward(ctx, g):
        return g


class NanToNum(_Op):
    """nan, +inf and -inf replaced by finite numbers (by default 0 and the dtype's largest
    and smallest). Only the values kept get a gradient: the replaced ones are constants."""

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.finite = np.isfinite(a._data)
        return np.nan_to_num(a._data, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return where(g._make(ctx.finite), g, 0.0), None, None, None


class DivFloor(FloorDivide):
    """div(a, b, rounding_mode="floor"): the values of a // b, but, as in PyTorch, a zero
    gradient instead of floor_divide's error."""

    @staticmethod
    def forward(ctx, a, b):
        x, y, ctx.shapes = operands(a, b)
        return np.floor_divide(x, y)

    @staticmethod
    def backward(ctx, g):
        zero = g * 0.0
        return tuple(unbroadcast(zero, s) if need else None
                     for s, need in zip(ctx.shapes, ctx.needs_input_grad))


# ---------------------------------------------------------------- more functions of x
class Log2(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log2(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (a * math.log(2))


class Log10(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log10(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (a * math.log(10))


class Exp2(_Op):
    keep_output = True

    @staticmethod
    def forward(ctx, a):
        return np.exp2(a._data)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_output * math.log(2)


class Asin(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsin(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * (1 - a * a).rsqrt()


class Acos(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccos(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * (1 - a * a).rsqrt()


class Atan(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctan(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (1 + a * a)


class Sinh(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.sinh(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.cosh()


class Cosh(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.cosh(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.sinh()


class Asinh(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsinh(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * (a * a + 1).rsqrt()


class Acosh(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccosh(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * (a * a - 1).rsqrt()


class Atanh(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctanh(a._data)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (1 - a * a)


class Atan2(_Op):
    """atan2(a, b): the angle of the point (b, a). d/da = b / (a² + b²), d/db = -a / (a² + b²)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        r2 = a * a + b * b
        return (unbroadcast(g * b / r2, a.shape) if na else None,
                unbroadcast(-g * a / r2, b.shape) if nb else None)

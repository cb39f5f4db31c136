"""ReLU's, leaky ReLU's, sigmoid's, tanh's, ELU's and softplus's forward and gradient, and
the select behind `where`: passes that numpy spells slowly.

ReLU's forward keeps x where x is not negative and writes 0 elsewhere: PyTorch's
`x < 0 ? 0 : x`, so a NaN stays NaN and -0.0 stays -0.0. numpy's `np.maximum(x, 0)`
gives the same values except the sign of zero, and its NaN-aware maximum loop with a
Python-number operand takes several times as long as the one pass below
(benchmarks/bench_kernels.py). `relu_reference` is that rule in numpy.

ReLU's gradient passes g except where the output is <= 0 (PyTorch's threshold_backward: a
NaN output passes its gradient on). numpy writes that as `g * ~(out <= 0)`: a boolean
temporary, then a float-times-bool product through numpy's casting loop, about twice the
time of the one pass below (benchmarks/bench_kernels.py). It runs on every ReLU of a
network's backward pass, on the largest activations (LeNet's first layer: 64 x 6 x 28 x 28
per batch of 64). `relu_backward_reference` is the numpy expression, run instead when
`reference_kernels_enabled()`.

Sigmoid and tanh: numpy writes sigmoid's stable form in seven passes with temporaries and
the gradients g * out * (1 - out), g * (1 - out^2) in three; here each is one pass
(benchmarks/bench_kernels.py). Sigmoid's pass computes its exponential with
kernels/vector_math.py's exp, which LLVM vectorizes with the rest of the loop; its values
are within a few ulp of numpy's (4 at most), the gradients' are numpy's exactly (the same
operations in the same order in the array's dtype).
"""
from typing import Any

import numpy as np

from . import reference_kernels_enabled
from .threading_policy import jit
from .vector_math import exp, log1p_unit


@jit
def _relu_flat(x, out):
    for i in range(x.shape[0]):
        out[i] = 0.0 if x[i] < 0 else x[i]  # `x < 0` is False for NaN and -0.0: kept


def relu_reference(x):
    """0 where x < 0, else x (NaN and -0.0 kept, as in PyTorch)."""
    return np.where(x < 0, x.dtype.type(0), x)


_KERNEL_DTYPES = (np.float32, np.float64)  # Numba has no float16


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) elementwise, as PyTorch's relu (a new array)."""
    operands = _kernel_operands(x)
    if operands is None:
        return relu_reference(x)
    (x,) = operands
    out = np.empty_like(x)
    _relu_flat(x.reshape(-1), out.reshape(-1))
    return out


@jit
def _relu_backward_flat(g, out, grad):
    for i in range(g.shape[0]):
        # `out <= 0` is False for NaN: a NaN output passes its gradient, as in PyTorch
        grad[i] = 0.0 if out[i] <= 0 else g[i]


def relu_backward_reference(g, out):
    """0 where the ReLU output is <= 0, else g (NaN outputs pass g)."""
    return g * ~(out <= 0)


def relu_backward(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient of relu from its output gradient g and its output (same shape)."""
    operands = _kernel_operands(g, out)
    if operands is None:
        return relu_backward_reference(g, out)
    g, out = operands
    grad = np.empty_like(g)
    _relu_backward_flat(g.reshape(-1), out.reshape(-1), grad.reshape(-1))
    return grad


# ---------------------------------------------------------------- leaky ReLU
# PyTorch's `x > 0 ? x : x * slope` and its gradient `x > 0 ? g : g * slope`. numpy's
# np.where with a mask that changes sign at random takes several times as long as the one
# pass below (its select loop branches per element; benchmarks/bench_kernels.py). The
# slope comes in x's dtype, so the loop stays in that dtype.
@jit
def _leaky_relu_flat(x, slope, out):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@jit
def _leaky_relu_backward_flat(g, x, slope, grad):
    for i in range(g.shape[0]):
        grad[i] = g[i] if x[i] > 0 else g[i] * slope


def leaky_relu_reference(x, slope):
    """x where x > 0, else x * slope (a NaN stays NaN)."""
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_backward_reference(g, x, slope):
    """g where x > 0, else g * slope."""
    return np.where(x > 0, g, g * g.dtype.type(slope))


# Below this many elements np.where itself is faster: the checks and the dispatch of the
# select kernel cost ~2 us, more than np.where on a small array (benchmarks/README.md).
SELECT_MIN = 8192


@jit
def _select_flat(cond, a, b, out):
    for i in range(cond.shape[0]):
        out[i] = a[i] if cond[i] else b[i]


def select_reference(cond, a, b):
    """a where cond, else b (numpy's where)."""
    return np.where(cond, a, b)


def select(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    """np.where(cond, a, b): the Where op's forward, behind every `where` in the backward
    formulas. With a boolean cond and a, b of cond's shape (or numbers) and one float dtype
    it is one select pass; np.where branches per element on a mask that changes at random."""
    if reference_kernels_enabled() or not isinstance(cond, np.ndarray) or \
            cond.size < SELECT_MIN or cond.dtype != np.bool_:
        return select_reference(cond, a, b)
    dtype = np.result_type(a, b)
    if dtype not in _KERNEL_DTYPES:
        return select_reference(cond, a, b)
    dense_a, dense_b = _dense(a, cond.shape, dtype), _dense(b, cond.shape, dtype)
    if dense_a is None or dense_b is None:
        return select_reference(cond, a, b)  # broadcasting: numpy's rules
    out = np.empty(cond.shape, dtype)
    _select_flat(np.ascontiguousarray(cond).reshape(-1), dense_a.reshape(-1),
                 dense_b.reshape(-1), out.reshape(-1))
    return out


def _dense(v, shape, dtype):
    """v as a C-contiguous array of `shape` and `dtype` (a number filled in), or None when
    it has another shape or dtype."""
    if np.ndim(v) == 0:
        return np.full(shape, v, dtype)
    if v.shape != shape or v.dtype != dtype:
        return None
    return np.ascontiguousarray(v)


def _kernel_operands(*arrays):
    """The arrays as the flat kernels take them: C-contiguous, copied where one is a view in
    another layout (a slice `gates[:, :H]`, the broadcast gradient of a `.sum()`: one copy
    costs less than the reference's several passes over the view). None when the reference
    runs instead: references switched on, shapes or dtypes that differ (a batched walk's
    extra dims), or a dtype Numba has no kernel for (float16)."""
    first = arrays[0]
    if reference_kernels_enabled() or first.dtype not in _KERNEL_DTYPES:
        return None
    operands = []
    for a in arrays:  # one loop, no comprehension: this runs on every activation call
        if a.shape != first.shape or a.dtype != first.dtype:
            return None
        # (not np.ascontiguousarray, which makes a 0-d array 1-d)
        operands.append(a if a.flags.c_contiguous else a.copy())
    return operands


def leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    """PyTorch's leaky_relu on an array (a new array)."""
    operands = _kernel_operands(x)
    if operands is None:
        return leaky_relu_reference(x, slope)
    (x,) = operands
    out = np.empty_like(x)
    _leaky_relu_flat(x.reshape(-1), x.dtype.type(slope), out.reshape(-1))
    return out


def leaky_relu_backward(g: np.ndarray, x: np.ndarray, slope: float) -> np.ndarray:
    """The gradient of leaky_relu from its output gradient g and its input x."""
    operands = _kernel_operands(g, x)
    if operands is None:
        return leaky_relu_backward_reference(g, x, slope)
    g, x = operands
    grad = np.empty_like(g)
    _leaky_relu_backward_flat(g.reshape(-1), x.reshape(-1), g.dtype.type(slope),
                              grad.reshape(-1))
    return grad


# ---------------------------------------------------------------- sigmoid and tanh
def sigmoid_reference(x):
    """1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0, on an array: e^-|x| never overflows,
    and the tail keeps its relative precision (sigmoid(-40) = 4.2e-18, not 0 as 1 - tiny
    gives). The numerator max(e, x >= 0) is 1 or e^x without a (slow, branchy) np.where."""
    e = np.exp(-np.abs(x))
    return np.maximum(e, x >= 0) / (1 + e)


@jit
def _sigmoid_flat(x, one, out):
    """The reference's formula in one loop, e = exp(-|x|) from vector_math; `one` is 1 in
    x's dtype, so the loop stays in that dtype."""
    for i in range(x.shape[0]):
        v = x[i]
        e = exp(-abs(v))
        out[i] = (one if v >= 0 else e) / (one + e)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function of an array (a new array), in sigmoid_reference's form."""
    operands = _kernel_operands(x)
    if operands is None:
        return sigmoid_reference(x)
    (x,) = operands
    out = np.empty_like(x)  # (a 0-d x stays an array)
    _sigmoid_flat(x.reshape(-1), x.dtype.type(1), out.reshape(-1))
    return out


@jit
def _sigmoid_backward_flat(g, out, one, grad):
    for i in range(g.shape[0]):
        grad[i] = g[i] * out[i] * (one - out[i])


@jit
def _tanh_backward_flat(g, out, one, grad):
    for i in range(g.shape[0]):
        grad[i] = g[i] * (one - out[i] * out[i])


def sigmoid_backward_reference(g, out):
    """g * sigmoid'(x), from the output: g * out * (1 - out)."""
    return g * out * (1 - out)


def tanh_backward_reference(g, out):
    """g * tanh'(x), from the output: g * (1 - out^2)."""
    return g * (1 - out * out)


def _from_output(kernel, reference, g, out):
    operands = _kernel_operands(g, out)
    if operands is None:
        return reference(g, out)
    g, out = operands
    grad = np.empty_like(g)
    kernel(g.reshape(-1), out.reshape(-1), out.dtype.type(1), grad.reshape(-1))
    return grad


def sigmoid_backward(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient of sigmoid from its output gradient g and its output."""
    return _from_output(_sigmoid_backward_flat, sigmoid_backward_reference, g, out)


def tanh_backward(g: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The gradient of tanh from its output gradient g and its output."""
    return _from_output(_tanh_backward_flat, tanh_backward_reference, g, out)


# ---------------------------------------------------------------- ELU and softplus
# ELU: numpy computes expm1 (SIMD); one pass then picks and combines, where the numpy
# formula took three more passes and temporaries, with the same operations in the same
# order in the array's dtype as the reference (the parameters come in that dtype).
# Softplus forward: float32 in one pass with vector_math's exp and log(1 + e), within a few
# ulp of the reference (numpy's five passes); float64 like ELU, numpy's SIMD exp and log1p
# then one pass (vector_math's 17-term float64 log measured 25% slower than that). Its
# gradient takes the sigmoid kernel's values.
@jit
def _elu_from_expm1(x, e, alpha, out):
    for i in range(x.shape[0]):
        out[i] = x[i] if x[i] > 0 else alpha * e[i]


@jit
def _elu_backward_flat(g, x, out, alpha, grad):
    for i in range(g.shape[0]):
        grad[i] = g[i] if x[i] > 0 else g[i] * (out[i] + alpha)


def elu_reference(x, alpha):
    """x where x > 0, else alpha (e^x - 1): expm1 only of the non-positive part, so exp(1000)
    is never formed."""
    return np.where(x > 0, x, (alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False))


def elu_backward_reference(g, x, out, alpha):
    """g where x > 0, else g (out + alpha) (= g alpha e^x, from the output)."""
    return np.where(x > 0, g, g * (out + out.dtype.type(alpha)))


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    """PyTorch's elu on an array (a new array)."""
    operands = _kernel_operands(x)
    if operands is None:
        return elu_reference(x, alpha)
    (x,) = operands
    e = np.minimum(x, 0, out=np.empty_like(x))  # out=: a 0-d x stays an array
    np.expm1(e, out=e)
    out = np.empty_like(x)
    _elu_from_expm1(x.reshape(-1), e.reshape(-1), x.dtype.type(alpha), out.reshape(-1))
    return out


def elu_backward(g: np.ndarray, x: np.ndarray, out: np.ndarray, alpha: float) -> np.ndarray:
    """The gradient of elu from its output gradient g, its input x and its output."""
    operands = _kernel_operands(g, x, out)
    if operands is None:
        return elu_backward_reference(g, x, out, alpha)
    g, x, out = operands
    grad = np.empty_like(g)
    _elu_backward_flat(g.reshape(-1), x.reshape(-1), out.reshape(-1), x.dtype.type(alpha),
                       grad.reshape(-1))
    return grad


@jit
def _softplus_from_log1p(x, bx, soft, beta, threshold, out):
    """soft = log1p(e^-|bx|) from numpy: out = x above the threshold, else
    (max(bx, 0) + soft) / beta."""
    for i in range(x.shape[0]):
        b = bx[i]
        # max(b, 0) + soft, with 0 + soft written as soft (exact): a NaN b has a NaN soft
        out[i] = x[i] if b > threshold else ((b + soft[i]) if b > 0 else soft[i]) / beta


@jit
def _softplus_flat(x, beta, threshold, out):
    """out = x above the threshold, else (max(bx, 0) + log(1 + e^-|bx|)) / beta, bx = beta x,
    the log and exp from vector_math."""
    for i in range(x.shape[0]):
        b = x[i] * beta
        soft = log1p_unit(exp(-abs(b)))
        out[i] = x[i] if b > threshold else ((b + soft) if b > 0 else soft) / beta


@jit
def _softplus_backward_flat(g, bx, s, threshold, grad):
    for i in range(g.shape[0]):
        grad[i] = g[i] if bx[i] > threshold else g[i] * s[i]


def softplus_reference(x, beta, threshold):
    """log(1 + e^(beta x)) / beta = (max(z, 0) + log1p(e^-|z|)) / beta with z = beta x (no
    overflow); x itself where z > threshold (PyTorch)."""
    bx = x * x.dtype.type(beta)
    soft = ((np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / x.dtype.type(beta)).astype(
        x.dtype, copy=False)
    return np.where(bx > x.dtype.type(threshold), x, soft)


def softplus_backward_reference(g, x, beta, threshold):
    """g where beta x > threshold, else g sigmoid(beta x)."""
    bx = x * x.dtype.type(beta)
    return np.where(bx > x.dtype.type(threshold), g, g * sigmoid_reference(bx))


def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """PyTorch's softplus on an array (a new array)."""
    operands = _kernel_operands(x)
    if operands is None:
        return softplus_reference(x, beta, threshold)
    (x,) = operands
    b, out = x.dtype.type(beta), np.empty_like(x)  # (a 0-d x stays an array)
    if x.dtype == np.float32:
        _softplus_flat(x.reshape(-1), b, x.dtype.type(threshold), out.reshape(-1))
        return out
    bx = np.multiply(x, b, out=np.empty_like(x))
    soft = np.abs(bx, out=np.empty_like(x))
    np.negative(soft, out=soft)
    np.exp(soft, out=soft)
    np.log1p(soft, out=soft)
    _softplus_from_log1p(x.reshape(-1), bx.reshape(-1), soft.reshape(-1), b,
                         x.dtype.type(threshold), out.reshape(-1))
    return out


def softplus_backward(g: np.ndarray, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """The gradient of softplus from its output gradient g and its input x."""
    operands = _kernel_operands(g, x)
    if operands is None:
        return softplus_backward_reference(g, x, beta, threshold)
    g, x = operands
    bx = np.multiply(x, x.dtype.type(beta), out=np.empty_like(x))
    s = sigmoid(bx)
    grad = np.empty_like(g)
    _softplus_backward_flat(g.reshape(-1), bx.reshape(-1), s.reshape(-1),
                            x.dtype.type(threshold), grad.reshape(-1))
    return grad

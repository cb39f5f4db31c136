"""Special functions numpy lacks (numpy has no erf; scipy is not a dependency).

erf of float64 is the C library's (Python's math.erf), element by element. For float32,
that scalar call is most of GELU's cost, so float32 takes Eigen's rational approximation
instead (`generic_fast_erf_float`, as TensorFlow and XLA use): erf(x) = x P(x^2) / Q(x^2)
on x clamped to [-4, 4], beyond which erf rounds to +-1 in float32. It has no branch and
no library call, so the loop vectorizes. Evaluated in float64 and rounded once, it is
within 2 units in the last place of the exact value on float32 inputs (tests and
benchmarks/bench_kernels.py); `erf_reference` is math.erf element by element.

GELU (exact form) is x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 the normal CDF, and its
derivative Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi). As one pass each (the
erf above inlined, in float64, rounded once) instead of the five ops and passes of its
composite; the backward's exponential is numpy's (SIMD), computed before the pass.
`gelu_reference` and `gelu_backward_reference` are the formulas in numpy with erf_reference.
"""
import math

import numpy as np

from . import runs_reference
from .threading_policy import jit

# The rational approximation's coefficients: numerator (odd, x^13 first), denominator
# (even, x^8 first).
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
          -1.60960333262415e-02)
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
          -7.37332916720468e-03, -1.42647390514189e-02)


@jit
def _erf_flat(x, out):
    for i in range(x.size):
        out[i] = math.erf(x[i])


@jit(fastmath={"contract"})
def _erf_rational(v):
    """Eigen's rational erf of a float64 (float32 accuracy)."""
    p0, p1, p2, p3, p4, p5, p6 = _ERF_P
    q0, q1, q2, q3, q4 = _ERF_Q
    v = min(max(v, -4.0), 4.0)  # NaN passes through min and max
    v2 = v * v
    p = (((((p0 * v2 + p1) * v2 + p2) * v2 + p3) * v2 + p4) * v2 + p5) * v2 + p6
    q = (((q0 * v2 + q1) * v2 + q2) * v2 + q3) * v2 + q4
    return v * p / q


@jit(fastmath={"contract"})
def _erf_float32_flat(x, out):
    for i in range(x.size):
        out[i] = _erf_rational(np.float64(x[i]))


def erf_reference(x):
    """erf(v) = 2/sqrt(pi) * integral from 0 to v of exp(-t^2) dt, element by element with
    Python's math.erf (what numpy would do: np.vectorize(math.erf))."""
    x = np.asarray(x)
    return np.array([math.erf(v) for v in x.reshape(-1)], dtype=x.dtype).reshape(x.shape)


def erf(x):
    """Elementwise error function of a float array, same dtype out."""
    if runs_reference(x):
        return erf_reference(x)
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    kernel = _erf_float32_flat if x.dtype == np.float32 else _erf_flat
    kernel(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out


# ---------------------------------------------------------------- GELU
_SQRT_HALF = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


@jit(fastmath={"contract"})
def _erf32(v):
    """The float32 erf, rounded to float32 as erf() returns it: beyond |v| ~ 3.9 it is
    exactly +-1, so Phi(x) is exactly 0 far left (x * 0 = -0.0, -inf * 0 = NaN, as in
    PyTorch) instead of the approximation's 1e-8 times a large x."""
    return np.float64(np.float32(_erf_rational(v)))


@jit(fastmath={"contract"})
def _gelu_flat(x, rational, out):
    """out = x * Phi(x); `rational`: the float32 erf (else math.erf)."""
    for i in range(x.size):
        v = np.float64(x[i])
        e = _erf32(v * _SQRT_HALF) if rational else math.erf(v * _SQRT_HALF)
        out[i] = 0.5 * v * (1.0 + e)


@jit(fastmath={"contract"})
def _gelu_backward_flat(g, x, pdf_exp, rational, out):
    """out = g * (Phi(x) + x * phi(x)), with pdf_exp = exp(-x^2 / 2) from numpy."""
    for i in range(x.size):
        v = np.float64(x[i])
        e = _erf32(v * _SQRT_HALF) if rational else math.erf(v * _SQRT_HALF)
        out[i] = g[i] * (0.5 * (1.0 + e) + v * np.float64(pdf_exp[i]) * _INV_SQRT_2PI)


def gelu_reference(x):
    """x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):  # -inf * 0 = NaN is the answer at -inf (PyTorch's)
        return (0.5 * x * (1 + erf_reference(x * x.dtype.type(_SQRT_HALF)))).astype(x.dtype)


def gelu_backward_reference(g, x):
    """g * (Phi(x) + x * phi(x)): the CDF plus x times the normal density."""
    cdf = 0.5 * (1 + erf_reference(x * x.dtype.type(_SQRT_HALF)))
    with np.errstate(invalid="ignore"):  # inf * exp(-inf) = NaN at +-inf, as in PyTorch
        return (g * (cdf + x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI)).astype(x.dtype)


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU (exact form) of a float32/float64 array, same dtype out."""
    if runs_reference(x):
        return gelu_reference(x)
    out = np.empty(x.shape, dtype=x.dtype)
    _gelu_flat(np.ascontiguousarray(x).reshape(-1), x.dtype == np.float32, out.reshape(-1))
    return out


def gelu_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The gradient of gelu from its output gradient g (x's shape and dtype) and input x."""
    if runs_reference(g, x) or g.shape != x.shape or g.dtype != x.dtype:
        return gelu_backward_reference(g, x)
    flat_x = np.ascontiguousarray(x).reshape(-1)
    pdf_exp = np.square(flat_x)
    pdf_exp *= x.dtype.type(-0.5)
    np.exp(pdf_exp, out=pdf_exp)
    out = np.empty(x.shape, dtype=x.dtype)
    _gelu_backward_flat(np.ascontiguousarray(g).reshape(-1), flat_x, pdf_exp,
                        x.dtype == np.float32, out.reshape(-1))
    return out

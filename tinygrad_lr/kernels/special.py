"""Special functions numpy lacks (numpy has no erf; scipy is not a dependency).

erf of float64 is the C library's (Python's math.erf), element by element. For float32,
that scalar call is most of GELU's cost, so float32 takes Eigen's rational approximation
instead (`generic_fast_erf_float`, as TensorFlow and XLA use): erf(x) = x P(x^2) / Q(x^2)
on x clamped to [-4, 4], beyond which erf rounds to +-1 in float32. It has no branch and
no library call, so the loop vectorizes. Evaluated in float64 and rounded once, it is
within 2 units in the last place of the exact value on float32 inputs (tests and
benchmarks/bench_kernels.py); `erf_reference` is math.erf element by element.
"""
import math

import numpy as np

from . import reference_kernels_enabled
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
def _erf_float32_flat(x, out):
    p0, p1, p2, p3, p4, p5, p6 = _ERF_P
    q0, q1, q2, q3, q4 = _ERF_Q
    for i in range(x.size):
        v = min(max(np.float64(x[i]), -4.0), 4.0)  # NaN passes through min and max
        v2 = v * v
        p = (((((p0 * v2 + p1) * v2 + p2) * v2 + p3) * v2 + p4) * v2 + p5) * v2 + p6
        q = (((q0 * v2 + q1) * v2 + q2) * v2 + q3) * v2 + q4
        out[i] = v * p / q


def erf_reference(x):
    """erf(v) = 2/sqrt(pi) * integral from 0 to v of exp(-t^2) dt, element by element with
    Python's math.erf (what numpy would do: np.vectorize(math.erf))."""
    x = np.asarray(x)
    return np.array([math.erf(v) for v in x.reshape(-1)], dtype=x.dtype).reshape(x.shape)


def erf(x):
    """Elementwise error function of a float array, same dtype out."""
    if reference_kernels_enabled():
        return erf_reference(x)
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    kernel = _erf_float32_flat if x.dtype == np.float32 else _erf_flat
    kernel(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out

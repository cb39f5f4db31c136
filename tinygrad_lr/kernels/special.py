"""Special functions numpy lacks (numpy has no erf; scipy is not a dependency)."""
import math

import numpy as np

from . import reference_kernels_enabled
from .threading_policy import jit


@jit
def _erf_flat(x, out):
    for i in range(x.size):
        out[i] = math.erf(x[i])


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
    _erf_flat(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out

"""Special functions numpy lacks (numpy has no erf; scipy is not a dependency)."""
import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _erf_flat(x, out):
    for i in range(x.size):
        out[i] = math.erf(x[i])


def erf(x):
    """Elementwise error function of a float array, same dtype out."""
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    _erf_flat(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out

"""The kernels that tensor ops call (softmax rows, erf) against plain numpy references.

Tests named `nojit` also run in CI with NUMBA_DISABLE_JIT=1, which checks the kernels'
pure-Python meaning (the same source, not compiled).
"""
import math

import numpy as np
import pytest

from tinygrad_lr.kernels.softmax import log_softmax, softmax
from tinygrad_lr.kernels.special import erf


def _ref_log_softmax(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_nojit(dim, dtype):
    x = np.random.default_rng(0).standard_normal((5, 7)).astype(dtype) * 10
    np.testing.assert_allclose(log_softmax(x, dim), _ref_log_softmax(x, dim),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    np.testing.assert_allclose(softmax(x, dim), np.exp(_ref_log_softmax(x, dim)),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)
    assert softmax(x, dim).dtype == dtype


def test_softmax_extreme_values_nojit():
    x = np.array([[1000.0, -1000.0, 0.0], [-np.inf, 0.0, -np.inf]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        p = softmax(x, 1)
        lp = log_softmax(x, 1)
    np.testing.assert_allclose(p, [[1, 0, 0], [0, 1, 0]], atol=1e-300)
    assert lp[0, 0] == 0 and lp[0, 1] == -2000.0 and lp[1, 1] == 0


def test_softmax_3d_and_empty_nojit():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    np.testing.assert_allclose(softmax(x, 1).sum(1), np.ones((2, 4)))
    assert softmax(np.zeros((0, 3)), 1).shape == (0, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_nojit(dtype):
    x = np.linspace(-5, 5, 41).astype(dtype).reshape(41, 1)
    expected = np.array([[math.erf(v)] for v in x[:, 0]])
    out = erf(x)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)

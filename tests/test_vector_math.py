"""kernels/vector_math.py: the exp and log(1 + e) that kernels inline, and the row maximum,
against numpy and against values computed in higher precision.

`exp` must be within 1 ulp of the exact value in float32 and 3 ulp in float64 (measured:
1.0 and 2.4) over the whole range where the result is a normal number, come out right in
the subnormal range and at the overflow to inf, and give numpy's values at the special
inputs. The `_nojit` tests also run in CI with NUMBA_DISABLE_JIT=1, where the functions
are plain Python on numpy scalars.
"""
import numba
import numpy as np
import pytest

from tinygrad_lr.kernels import vector_math as V


def loop_of(fn):
    """A compiled loop out[i] = fn(x[i]): how the kernels call vector_math's functions."""
    @numba.njit
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = fn(x[i])
    return loop


exp_loop = loop_of(V.exp)


@numba.njit(fastmath={"reassoc", "contract"})
def exp_loop_reassociating(x, out):
    # what the softmax and cross-entropy kernels are compiled with
    total = 0.0
    for i in range(x.shape[0]):
        e = V.exp(x[i])
        out[i] = e
        total += e
    return total


def vector_exp(x, loop=exp_loop):
    out = np.empty_like(x)
    loop(x, out)
    return out


RANGES = {np.float32: (-110.0, 95.0), np.float64: (-750.0, 715.0)}  # a little past both ends
MAX_ULP = {np.float32: 1.0, np.float64: 3.0}


def sample(dtype, n, seed=0):
    low, high = RANGES[dtype]
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(low, high, n), rng.uniform(-1, 1, n // 4),
                        np.linspace(low, high, n // 4)])
    return x.astype(dtype)


def exact(x):
    """exp in long double (x86: 64-bit significand, 11 bits more than float64)."""
    return np.exp(x.astype(np.longdouble))


def ulp_error(got, x):
    """|got - exp(x)| in units of the last place of exp(x) rounded to got's dtype, over the
    inputs whose exp is a normal number of that dtype."""
    dtype = got.dtype.type
    want = exact(x)
    with np.errstate(over="ignore"):
        rounded = want.astype(dtype)
    normal = np.isfinite(rounded) & (rounded >= np.finfo(dtype).tiny)
    spacing = np.spacing(rounded[normal]).astype(np.longdouble)
    return np.abs(got[normal].astype(np.longdouble) - want[normal]) / spacing


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("loop", [exp_loop, exp_loop_reassociating])
def test_exp_is_within_its_ulp_bound_over_the_normal_range(dtype, loop):
    x = sample(dtype, 400_000)
    err = ulp_error(vector_exp(x, loop), x)
    assert err.size > 300_000
    assert err.max() <= MAX_ULP[dtype], err.max()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_of_subnormal_and_overflowing_results(dtype):
    """Below the normal range the result is a subnormal within the ulp bound's number of
    steps of the smallest subnormal from the exact value, then 0; past the largest float,
    inf - where the exactly rounded exp is."""
    info = np.finfo(dtype)
    low, high = RANGES[dtype]
    x = np.linspace(low, np.log(info.tiny), 20_001).astype(dtype)
    x = x[exact(x) < info.tiny]
    got = vector_exp(x)
    steps = np.abs(got.astype(np.longdouble) - exact(x)) / np.longdouble(info.smallest_subnormal)
    assert steps.max() <= MAX_ULP[dtype]
    assert got[0] == 0 and got[-1] > 0 and x.size > 10_000
    top = np.linspace(np.log(info.max) - 1, high, 20_001).astype(dtype)
    with np.errstate(over="ignore"):
        rounded = exact(top).astype(dtype)
        got = vector_exp(top)
    np.testing.assert_array_equal(np.isinf(got), np.isinf(rounded))
    assert np.isinf(got[-1]) and np.isfinite(got[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_special_values_are_numpys_nojit(dtype):
    x = np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, 1e-30, -1e-30, 1000.0, -1000.0],
                 dtype=dtype)
    got = vector_exp(x)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, V.exp_reference(x))
    assert got.dtype == x.dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exp_as_plain_python_equals_the_compiled_kernel_nojit(dtype):
    """With Numba switched off (or through py_func) the same formulas run on numpy scalars:
    the same values as the compiled loop (NaN where NaN)."""
    x = np.concatenate([sample(dtype, 2000, seed=3), [np.nan, np.inf, -np.inf]]).astype(dtype)
    scalar = V.exp32 if dtype == np.float32 else V.exp64
    python = getattr(scalar, "py_func", scalar)  # (with Numba off, scalar is the function)
    with np.errstate(over="ignore"):  # numpy scalars warn where the compiled code is silent
        values = np.array([python(v) for v in x], dtype=dtype)
    np.testing.assert_array_equal(values, vector_exp(x))
    assert ulp_error(values, x).max() <= MAX_ULP[dtype]


@numba.njit
def row_max_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = V.row_max(x[i])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_is_the_maximum_at_every_row_length_nojit(dtype):
    """Lengths 1 to 40: below, at and past the eight lanes and their tail; the maximum in
    each position, rows of -inf, a +inf."""
    rng = np.random.default_rng(4)
    for c in range(1, 41):
        x = rng.standard_normal((c + 3, c)).astype(dtype)
        for i in range(c):
            x[i, i] = 10.0  # the maximum at every position once
        x[c] = -np.inf
        x[c + 1, c // 2] = np.inf
        out = np.empty(x.shape[0], dtype=dtype)
        row_max_loop(x, out)
        np.testing.assert_array_equal(out, x.max(axis=1))


log1p_unit_loop = loop_of(V.log1p_unit)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log1p_unit_is_within_3_ulp_on_its_range_nojit(dtype):
    """log(1 + e) for 0 <= e <= 1: uniform e, tiny e (where 1 + e would lose it: the
    result is e itself to the last bits), the ends 0 and 1, and NaN."""
    rng = np.random.default_rng(8)
    e = np.concatenate([rng.random(20_000), 10.0 ** rng.uniform(-30, 0, 20_000),
                        [0.0, 1.0, np.finfo(dtype).tiny]]).astype(dtype)
    got = np.empty_like(e)
    log1p_unit_loop(e, got)
    want = np.log1p(e.astype(np.longdouble))
    rounded = want.astype(dtype)
    ulp = np.abs(got.astype(np.longdouble) - want) / np.spacing(np.maximum(rounded, np.finfo(
        dtype).tiny)).astype(np.longdouble)
    assert ulp.max() <= 3, ulp.max()  # (2.5 measured)
    assert got[-3] == 0 and got.dtype == e.dtype
    nan = np.empty(1, dtype)
    log1p_unit_loop(np.array([np.nan], dtype), nan)
    assert np.isnan(nan[0])


@numba.njit
def column_max_loop(x, out):
    V.column_max(x, out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_max_is_the_maximum_over_axis_0_nojit(dtype):
    rng = np.random.default_rng(9)
    for c, length in ((1, 5), (3, 40), (7, 1)):
        x = rng.standard_normal((c, length)).astype(dtype)
        x[-1, 0], x[0, -1] = np.inf, -np.inf
        out = np.empty(length, dtype=dtype)
        column_max_loop(x, out)
        np.testing.assert_array_equal(out, x.max(axis=0))

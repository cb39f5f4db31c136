"""exp (and log(1 + e) on [0, 1]) written as plain arithmetic, so that LLVM vectorizes the
kernel loops that call them.

Why: inside a Numba loop, `np.exp(v)` of one element is a call to the C library's scalar
exp, one element at a time. numpy's np.exp over a whole array runs with SIMD, but as a pass
of its own, so a softmax built on it makes one pass for x - max, one for exp and one for the
sum. With `exp` below, one vectorized loop of a kernel computes exp(x - max), stores it and
sums it.

How (Cody and Waite's range reduction, as in Cephes and most vector math libraries):

    x = k ln2 + r,   k = round(x / ln2),   |r| <= ln2 / 2
    exp(x) = 2**k * exp(r)

exp(r) is a polynomial in r: Cephes' minimax coefficients for float32, the Taylor series up
to r**12 for float64. ln2 is split into a high part with few bits, so that k * LN2_HI is
exact, and a low part: r keeps its precision. 2**k is built from its bits (the exponent
field k + bias) in two halves, 2**(k // 2) * 2**(k - k // 2), so that results down to the
smallest subnormal and up to the overflow to inf come out right. The input is clamped first
(below the lower limit exp is 0, above the upper one the product overflows to inf); NaN is
passed through.

Accuracy (tests/test_vector_math.py, against long double): float32 within 1 ulp, float64
within 3 ulp of the exact value (0.99 and 2.4 measured over 25 million random inputs;
numpy's own float32 exp is within 2.5 ulp), subnormal results as close in steps of the
smallest subnormal.
The values are not numpy's bit for bit, so a kernel built on `exp` agrees with its numpy
reference to a few ulp. `exp_reference` is np.exp. Numba copies these functions into the
kernels that call them (inline="always"), so they take the kernel's fastmath flags; the
reductions' "reassoc" leaves their accuracy as it is (the tests measure it inside such a
kernel too). Under NUMBA_DISABLE_JIT they run on numpy scalars.

Numba keys a kernel's disk cache by the kernel's own source file: after editing this file,
delete the `__pycache__/*.nbi` and `*.nbc` files of kernels/, or kernels that inline these
functions keep their old machine code.

Beside exp: `log1p_unit`, log(1 + e) for 0 <= e <= 1 (softplus's log(1 + exp(-|z|)), by the
atanh series below, within 3 ulp), and `row_max`, the maximum of a row in eight lanes.
"""
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic, overload


# ---------------------------------------------------------------- bit casts
@intrinsic
def _float32_bits(typingctx, i):
    """The float32 whose bits are the int32 i (LLVM's bitcast)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@intrinsic
def _float64_bits(typingctx, i):
    """The float64 whose bits are the int64 i."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


def power_of_two_32(k):
    """2**k as a float32 for an integer -126 <= k <= 127: exponent field k + 127."""
    return np.int32((int(k) + 127) << 23).view(np.float32)


def power_of_two_64(k):
    """2**k as a float64 for an integer -1022 <= k <= 1023: exponent field k + 1023."""
    return np.int64((int(k) + 1023) << 52).view(np.float64)


@overload(power_of_two_32)
def _power_of_two_32_jit(k):
    return lambda k: _float32_bits(np.int32((k + 127) << 23))


@overload(power_of_two_64)
def _power_of_two_64_jit(k):
    return lambda k: _float64_bits(np.int64((k + 1023) << 52))


# ---------------------------------------------------------------- exp
F32 = np.float32
LOG2E_32, LN2_HI_32, LN2_LO_32 = F32(1.4426950408889634), F32(0.693359375), F32(-2.12194440e-4)
# exp(x) is 0 in float32 below -104 (half the smallest subnormal is exp(-103.97)) and inf
# above 88.73; the clamps keep k within what the two halves of 2**k can hold
LOW_32, HIGH_32 = F32(-104.0), F32(89.0)
# (coefficients in arrays, which Numba freezes as constants: a loop over a long tuple runs
# element by element, 20x slower)
P32 = np.array([1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
                1.6666665459e-1, 5.0000001201e-1], dtype=np.float32)

LOG2E_64, LN2_HI_64, LN2_LO_64 = 1.4426950408889634, 6.93145751953125e-1, 1.42860682030941723212e-6
LOW_64, HIGH_64 = -746.0, 710.0  # exp is 0 below -745.2 and inf above 709.8 in float64
# 1/12!, 1/11!, ..., 1/2!: the Taylor series of exp(r) - 1 - r, in Horner's order
P64 = np.array([1 / 479001600, 1 / 39916800, 1 / 3628800, 1 / 362880, 1 / 40320, 1 / 5040,
                1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2])


@numba.njit(cache=True, inline="always")
def exp32(x):
    """exp of a float32 (the module docstring's method)."""
    y = x if x >= LOW_32 else LOW_32  # (NaN takes LOW_32 too: k stays an integer)
    y = HIGH_32 if y > HIGH_32 else y
    k = np.rint(y * LOG2E_32)
    r = (y - k * LN2_HI_32) - k * LN2_LO_32
    p = P32[0]
    for i in range(1, P32.shape[0]):
        p = p * r + P32[i]
    e = (p * r) * r + r + F32(1.0)
    k_int = np.int32(k)
    half = k_int >> 1
    e = e * power_of_two_32(half) * power_of_two_32(k_int - half)
    return x if x != x else e  # NaN in, NaN out


@numba.njit(cache=True, inline="always")
def exp64(x):
    """exp of a float64 (the module docstring's method)."""
    y = x if x >= LOW_64 else LOW_64
    y = HIGH_64 if y > HIGH_64 else y
    k = np.rint(y * LOG2E_64)
    r = (y - k * LN2_HI_64) - k * LN2_LO_64
    p = P64[0]
    for i in range(1, P64.shape[0]):
        p = p * r + P64[i]
    e = (p * r) * r + r + 1.0
    k_int = np.int64(k)
    half = k_int >> 1
    e = e * power_of_two_64(half) * power_of_two_64(k_int - half)
    return x if x != x else e


def _by_dtype(name, f32, f64, doc):
    """A scalar function that runs f32 on a float32 and f64 on a float64: a plain Python
    function (which NUMBA_DISABLE_JIT runs) with a Numba overload that picks by type."""
    def function(x):
        return f32(x) if isinstance(x, np.float32) else f64(x)

    @overload(function)
    def _compiled(x):
        return (lambda x: f32(x)) if x == types.float32 else (lambda x: f64(x))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


exp = _by_dtype("exp", exp32, exp64,
                "exp of a float32 or float64 scalar, vectorizable inside a kernel loop.")


def exp_reference(x):
    return np.exp(x)


# ---------------------------------------------------------------- maximum of a row
@numba.njit(cache=True, inline="always")
def row_max(row):
    """The largest element of a 1-d array (at least one element). One running maximum is a
    chain of dependent compares; eight independent ones (element j goes to the j % 8-th)
    become SIMD compares, several times faster on long rows. (A NaN may or may not end up
    as the maximum; the callers' results are NaN either way.)"""
    c = row.shape[0]
    whole = c - c % 8
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = row[0]
    for j in range(0, whole, 8):
        v = row[j]
        m0 = v if v > m0 else m0
        v = row[j + 1]
        m1 = v if v > m1 else m1
        v = row[j + 2]
        m2 = v if v > m2 else m2
        v = row[j + 3]
        m3 = v if v > m3 else m3
        v = row[j + 4]
        m4 = v if v > m4 else m4
        v = row[j + 5]
        m5 = v if v > m5 else m5
        v = row[j + 6]
        m6 = v if v > m6 else m6
        v = row[j + 7]
        m7 = v if v > m7 else m7
    m = max(max(max(m0, m1), max(m2, m3)), max(max(m4, m5), max(m6, m7)))
    for j in range(whole, c):
        if row[j] > m:
            m = row[j]
    return m


# ---------------------------------------------------------------- log(1 + e) on [0, 1]
# With s = e / (2 + e), log(1 + e) = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...); on the
# range softplus needs, 0 <= e = exp(-|z|) <= 1, s <= 1/3 and the series has converged to
# the dtype's precision after 8 terms (float32) or 17 (float64). Tiny e loses nothing
# (log(1 + e) ~ e, where 1 + e would have rounded e away).
ATANH_32 = np.array([1 / (2 * k + 1) for k in range(7, -1, -1)], dtype=np.float32)  # Horner
ATANH_64 = np.array([1 / (2 * k + 1) for k in range(16, -1, -1)])


@numba.njit(cache=True, inline="always")
def log1p_unit32(e):
    """log(1 + e) of a float32 0 <= e <= 1 (NaN in, NaN out)."""
    s = e / (F32(2.0) + e)
    s2 = s * s
    p = ATANH_32[0]
    for i in range(1, ATANH_32.shape[0]):
        p = p * s2 + ATANH_32[i]
    return F32(2.0) * s * p


@numba.njit(cache=True, inline="always")
def log1p_unit64(e):
    """log(1 + e) of a float64 0 <= e <= 1 (NaN in, NaN out)."""
    s = e / (2.0 + e)
    s2 = s * s
    p = ATANH_64[0]
    for i in range(1, ATANH_64.shape[0]):
        p = p * s2 + ATANH_64[i]
    return 2.0 * s * p


log1p_unit = _by_dtype("log1p_unit", log1p_unit32, log1p_unit64,
                       "log(1 + e) for 0 <= e <= 1, float32 or float64, vectorizable inside "
                       "a kernel loop.")


@numba.njit(cache=True, inline="always")
def column_max(block, m):
    """m[j] = the largest block[k, j] over k, for a (C, L) block: the loops run along the
    contiguous j, so that they vectorize (NaN as in row_max)."""
    first = block[0]
    for j in range(first.shape[0]):
        m[j] = first[j]
    for k in range(1, block.shape[0]):
        row = block[k]
        for j in range(row.shape[0]):
            v = row[j]
            m[j] = v if v > m[j] else m[j]

"""Every Numba kernel against the plain numpy reference beside it, and the switch that makes
the entry points run the references.

Each case builds random inputs (float32 and float64, odd sizes, non-contiguous where the
entry point accepts them) and returns two callables: the public entry point and the
reference, each returning the arrays it produces (in-place kernels work on copies).
`test_*_nojit` also run in CI with NUMBA_DISABLE_JIT=1, where the kernels are their
plain-Python source.
"""

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr.kernels import activations as A
from tinygrad_lr.kernels import conv as C
from tinygrad_lr.kernels import cross_entropy as CE
from tinygrad_lr.kernels import cumulative as CU
from tinygrad_lr.kernels import embedding as E
from tinygrad_lr.kernels import norm as N
from tinygrad_lr.kernels import optim as O
from tinygrad_lr.kernels import pool as P
from tinygrad_lr.kernels import reduce as RD
from tinygrad_lr.kernels import rnn as R
from tinygrad_lr.kernels import selection as SE
from tinygrad_lr.kernels import softmax as S
from tinygrad_lr.kernels import special as SP

DTYPES = [np.float32, np.float64]
CASES = {}  # name -> (module, names of the Numba kernels the entry point calls, builder)


def case(name, module, kernels):
    def register(builder):
        CASES[name] = (module, kernels, builder)
        return builder
    return register


def randn(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def non_contiguous(a):
    """The same values in a transposed-twice, strided layout."""
    padded = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    padded[..., ::2] = a
    view = padded[..., ::2]
    assert not view.flags.c_contiguous
    return view


def copies(*arrays):
    return [a.copy() for a in arrays]


# ------------------------------------------------------------------ conv
CONV_ARGS = [((3, 2), (2, 1), (1, 0), (1, 2)), ((3, 3), (1, 1), (1, 1), (1, 1)),
             ((1, 2), (1, 3), (0, 1), (1, 1))]


# strided, kernels larger than the stride: im2col through the stride phases
PHASE_ARGS = [((3, 3), (2, 2), (1, 1)), ((3, 4), (3, 2), (2, 1)), ((5, 3), (2, 3), (0, 2))]


@case("im2col", C, ["_im2col", "_im2col_phases", "_im2col_flat"])
def _(rng, dtype, k=0):
    kernel, stride, padding, dilation = CONV_ARGS[k]
    x = non_contiguous(randn(rng, (2, 3, 7, 6), dtype))
    phased = PHASE_ARGS[k] + ((1, 1),)
    assert C._use_phases(phased[0], phased[1], phased[3])
    return (lambda: (C.im2col(x, kernel, stride, padding, dilation), C.im2col(x, *phased)),
            lambda: (C.im2col_reference(x, kernel, stride, padding, dilation),
                     C.im2col_reference(x, *phased)))


@case("col2im", C, ["_col2im", "_col2im_flat"])
def _(rng, dtype, k=0):
    kernel, stride, padding, dilation = CONV_ARGS[k]
    x_shape = (2, 3, 7, 6)
    ho = C.out_size(7, kernel[0], stride[0], padding[0], dilation[0])
    wo = C.out_size(6, kernel[1], stride[1], padding[1], dilation[1])
    cols = randn(rng, (3 * kernel[0] * kernel[1], 2 * ho * wo), dtype)
    args = (x_shape, kernel, (ho, wo), stride, padding, dilation)
    return lambda: (C.col2im(cols, *args),), lambda: (C.col2im_reference(cols, *args),)


# kernel, stride, padding, dilation, m: stride 1; a row stride and a column dilation; a
# column stride with a 5-wide kernel (a pass of three offsets and two of one)
DEPTHWISE_ARGS = [((3, 3), (1, 1), (1, 1), (1, 1), 1), ((3, 2), (2, 1), (1, 0), (1, 2), 2),
                  ((2, 5), (1, 2), (1, 3), (1, 1), 3)]


def _depthwise(rng, dtype, k):
    kernel, stride, padding, dilation, mult = DEPTHWISE_ARGS[k]
    x = randn(rng, (2, 3, 7, 6), dtype)
    w = randn(rng, (3 * mult, 1) + kernel, dtype)
    out_hw = tuple(C.out_size(s, kk, st, p, d) for s, kk, st, p, d in
                   zip((7, 6), kernel, stride, padding, dilation))
    g = randn(rng, (2, 3 * mult) + out_hw, dtype)
    return x, w, g, (stride, padding, dilation)


@case("depthwise_forward", C, ["_flat_correlate"])
def _(rng, dtype, k=0):
    x, w, _, args = _depthwise(rng, dtype, k)
    x = non_contiguous(x)
    return (lambda: (C.depthwise_forward(x, w, *args),),
            lambda: (C.depthwise_forward_reference(x, w, *args),))


@case("depthwise_backward_input", C, ["_flat_scatter"])
def _(rng, dtype, k=0):
    x, w, g, args = _depthwise(rng, dtype, k)
    return (lambda: (C.depthwise_backward_input(g, w, x.shape, *args),),
            lambda: (C.depthwise_backward_input_reference(g, w, x.shape, *args),))


@case("depthwise_backward_weight", C, ["_flat_weight_grad"])
def _(rng, dtype, k=0):
    x, w, g, args = _depthwise(rng, dtype, k)
    return (lambda: (C.depthwise_backward_weight(g, x, w.shape, *args),),
            lambda: (C.depthwise_backward_weight_reference(g, x, w.shape, *args),))


@case("topk_indices", SE, ["_topk_rows"])
def _(rng, dtype, k=0):
    shape, axis, kk, largest = [((6, 40), 1, 5, True), ((30, 4, 3), 0, 7, False),
                                ((3, 50), -1, 50, True)][k]
    # ties, NaN and infinities: the scan must keep the stable order's first k
    pool = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, 1.0, -2.0, 3.5], dtype=dtype)
    x = non_contiguous(rng.choice(pool, size=shape))
    return (lambda: (SE.topk_indices(x, kk, axis, largest),),
            lambda: (SE.topk_indices_reference(x, kk, axis, largest),))


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dtype", DTYPES + [np.int64])
def test_topk_scan_of_long_rows_keeps_the_stable_order_nojit(dtype, largest):
    """Long rows, where most elements are passed over after one comparison: a NaN, an
    infinity or a tie late in a row must still be found, in its place."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((9, 1000)) * 100).astype(dtype)
    if dtype != np.int64:
        x[1, 700], x[2, 999], x[3, 513] = np.nan, np.inf, -np.inf
        x[4, ::97] = np.nan
    x[5, 900:] = x[5].max() if largest else x[5].min()  # ties with the best, at the end
    x[6] = 7  # one value throughout: the first k indices
    for k in (1, 5, 64):
        np.testing.assert_array_equal(SE.topk_indices(x, k, 1, largest),
                                      SE.topk_indices_reference(x, k, 1, largest))


@pytest.mark.parametrize("dtype", DTYPES + [np.int64])
def test_median_selection_is_the_stable_sorts_middle_nojit(dtype):
    """median_index (a partition, then the right one among equal values) against the
    stable sort's middle element: random rows, many ties, NaN, infinities, each axis, odd
    and even lengths around MEDIAN_SELECT_MIN."""
    rng = np.random.default_rng(6)
    for shape, axis in [((7, 101), 1), ((64, 5, 3), 0), ((3, 4, 40), -1), ((2, 31), 1),
                        ((2, 32), 1), ((1, 1000), 1)]:
        for x in (rng.standard_normal(shape) * 10, rng.integers(0, 3, shape)):
            x = x.astype(dtype)
            if dtype != np.int64:
                flat = x.reshape(-1)
                flat[::17], flat[1::23], flat[2::29] = np.nan, np.inf, -np.inf
                np.moveaxis(x, axis, -1)[0, ..., ::2] = np.nan  # a lane at least half NaN
            np.testing.assert_array_equal(SE.median_index(x, axis),
                                          SE.median_index_reference(x, axis))


@case("cumsum", CU, ["_cumsum_blocks"])
def _(rng, dtype, k=0):
    shape, axis = [((4, 6, 5), 1), ((30, 7), -1), ((9, 3), 0)][k]  # middle, last, leading
    x = non_contiguous(randn(rng, shape, dtype))
    return lambda: (CU.cumsum(x, axis),), lambda: (CU.cumsum_reference(x, axis),)


@case("sum_axes", RD, ["_sum_rows", "_sum_middle"])
def _(rng, dtype, k=0):
    # rows longer than a BLOCK; a middle axis longer than a BLOCK; two runs of axes, the
    # first with more than a TILE of columns
    shape, axes = [((3, 2500), (1,)), ((2, 1030, 3), (1,)), ((4, 3, 5, 1030), (0, 2))][k]
    x = non_contiguous(randn(rng, shape, dtype))
    x[0, 1] = np.inf  # non-finite values are added, not skipped
    return (lambda: (RD.sum_axes(x, axes), RD.sum_axes(x, axes, keepdims=True)),
            lambda: (RD.sum_axes_reference(x, axes), RD.sum_axes_reference(x, axes, True)))


@case("squared_difference_sum", RD, ["_squared_difference_sum"])
def _(rng, dtype, k=0):
    shape = [(3, 1100), (2500,), (7, 9, 5)][k]  # more than a BLOCK; a block and a half; small
    x, y = non_contiguous(randn(rng, shape, dtype)), randn(rng, shape, dtype)
    return (lambda: (RD.squared_difference_sum(x, y),),
            lambda: (RD.squared_difference_sum_reference(x, y),))


@case("embedding_backward", E, ["_add_rows"])
def _(rng, dtype, k=0):
    shape, width = [((5, 7), (3,)), ((40,), (2, 3)), ((2, 3, 4), (1,))][k]
    indices = rng.integers(0, 6, shape)  # repeats: their rows must accumulate
    g = non_contiguous(randn(rng, shape + width, dtype))
    return (lambda: (E.embedding_backward(g, indices, 6),),
            lambda: (E.embedding_backward_reference(g, indices, 6),))


@case("max_pool2d_forward", P, ["_max_pool_forward"])
def _(rng, dtype, k=0):
    kernel, stride, padding, dilation = [((2, 2), (2, 2), (0, 0), (1, 1)),
                                         ((3, 2), (2, 1), (1, 1), (2, 1)),
                                         ((3, 3), (1, 2), (1, 0), (1, 1))][k]
    x = randn(rng, (2, 3, 9, 7), dtype)
    x[0, 0, 1, 1], x[1, 2, :2, :2] = np.nan, 1.0  # NaN wins; ties keep the first
    x = non_contiguous(x)
    out_hw = tuple(P.pool_out_size(s, kk, st, p, d, True) for s, kk, st, p, d in
                   zip((9, 7), kernel, stride, padding, dilation))
    args = (kernel, stride, padding, dilation, out_hw)
    return (lambda: P.max_pool2d_forward(x, *args),
            lambda: P.max_pool2d_forward_reference(x, *args))


@case("max_pool2d_forward 2x2", P, ["_max_pool_2x2"])
def _(rng, dtype, k=0):
    shape = [(2, 3, 8, 6), (2, 3, 9, 7), (1, 2, 2, 4)][k]  # odd sizes drop the last row/column
    x = randn(rng, shape, dtype)
    x[0, 0, 0, 1], x[0, 0, 1, 0] = np.nan, np.nan  # the last NaN of a window wins
    x[0, 1, :2, :2] = 1.0  # a tie keeps the first
    x = non_contiguous(x)
    args = ((2, 2), (2, 2), (0, 0), (1, 1), (shape[2] // 2, shape[3] // 2))
    return (lambda: P.max_pool2d_forward(x, *args),
            lambda: P.max_pool2d_forward_reference(x, *args))


@case("max_pool2d_backward", P, ["_max_pool_backward"])
def _(rng, dtype, k=0):
    x = randn(rng, (2, 3, 9, 7), dtype)
    kernel = [(2, 2), (3, 3), (3, 2)][k]  # stride (1, 2), padding 1: windows overlap
    out_hw = tuple(P.pool_out_size(s, kk, st, 1, 1, False) for s, kk, st in
                   zip((9, 7), kernel, (1, 2)))
    _, argmax = P.max_pool2d_forward_reference(x, kernel, (1, 2), (1, 1), (1, 1), out_hw)
    g = non_contiguous(randn(rng, argmax.shape, dtype))
    return (lambda: (P.max_pool2d_backward(g, argmax, x.shape),),
            lambda: (P.max_pool2d_backward_reference(g, argmax, x.shape),))


AVG_ARGS = [((2, 2), (2, 2), (0, 0), True, None), ((3, 3), (2, 1), (1, 1), False, None),
            ((3, 2), (2, 2), (1, 1), True, 5)]


def _avg_out(kernel, stride, padding):
    return tuple(P.pool_out_size(s, kk, st, p, 1, True) for s, kk, st, p in
                 zip((9, 7), kernel, stride, padding))


@case("avg_pool2d_forward", P, ["_avg_pool_forward"])
def _(rng, dtype, k=0):
    kernel, stride, padding, include_pad, divisor = AVG_ARGS[k]
    x = non_contiguous(randn(rng, (2, 3, 9, 7), dtype))
    args = (kernel, stride, padding, _avg_out(kernel, stride, padding), include_pad, divisor)
    return (lambda: (P.avg_pool2d_forward(x, *args),),
            lambda: (P.avg_pool2d_forward_reference(x, *args),))


@case("avg_pool2d_backward", P, ["_avg_pool_backward"])
def _(rng, dtype, k=0):
    kernel, stride, padding, include_pad, divisor = AVG_ARGS[k]
    g = non_contiguous(randn(rng, (2, 3) + _avg_out(kernel, stride, padding), dtype))
    args = ((2, 3, 9, 7), kernel, stride, padding, include_pad, divisor)
    return (lambda: (P.avg_pool2d_backward(g, *args),),
            lambda: (P.avg_pool2d_backward_reference(g, *args),))


@case("avg_pool2d_2x2", P, ["_avg_pool_2x2", "_avg_pool_2x2_backward"])
def _(rng, dtype, k=0):
    """The 2x2 stride-2 kernels, on an odd-sized input (its last row and column are in no
    window), with divisor 4 and a divisor_override."""
    divisor = [None, 3, None][k]
    x = non_contiguous(randn(rng, (2, 3, 9, 7), dtype))
    g = non_contiguous(randn(rng, (2, 3, 4, 3), dtype))
    forward = ((2, 2), (2, 2), (0, 0), (4, 3), True, divisor)
    backward = ((2, 3, 9, 7), (2, 2), (2, 2), (0, 0), True, divisor)
    return (lambda: (P.avg_pool2d_forward(x, *forward), P.avg_pool2d_backward(g, *backward)),
            lambda: (P.avg_pool2d_forward_reference(x, *forward),
                     P.avg_pool2d_backward_reference(g, *backward)))


# ------------------------------------------------------------------ activations
@case("relu", A, ["_relu_flat"])
def _(rng, dtype, k=0):
    shape = [(4, 3, 5, 7), (1,), ()][k]
    x = randn(rng, shape, dtype)
    if x.ndim:
        x.reshape(-1)[::4] = np.nan  # NaN stays NaN
        x.reshape(-1)[1::6] = -0.0
        x.reshape(-1)[2::7] = -np.inf
    return lambda: (A.relu(x),), lambda: (A.relu_reference(x),)


@case("leaky_relu", A, ["_leaky_relu_flat"])
def _(rng, dtype, k=0):
    shape, slope = [((4, 3, 5, 7), 0.01), ((9,), -0.5), ((), 2.0)][k]
    x = randn(rng, shape, dtype)
    if x.ndim:
        x.reshape(-1)[::4] = np.nan
        x.reshape(-1)[1::6] = -0.0
        x.reshape(-1)[2::7] = -np.inf
    return lambda: (A.leaky_relu(x, slope),), lambda: (A.leaky_relu_reference(x, slope),)


@case("leaky_relu_backward", A, ["_leaky_relu_backward_flat"])
def _(rng, dtype, k=0):
    shape, slope = [((4, 3, 5, 7), 0.01), ((9,), -0.5), ((), 2.0)][k]
    g, x = randn(rng, shape, dtype), randn(rng, shape, dtype)
    if x.ndim:
        x.reshape(-1)[::3] = 0.0  # x == 0 takes the slope, as in PyTorch
        x.reshape(-1)[1::5] = np.nan
    return (lambda: (A.leaky_relu_backward(g, x, slope),),
            lambda: (A.leaky_relu_backward_reference(g, x, slope),))


@case("select", A, ["_select_flat"])
def _(rng, dtype, k=0):
    shape = [(4, 3, 5, 7), (9,), (2, 6)][k]
    cond = rng.random(shape) > 0.5
    a, b = randn(rng, shape, dtype), randn(rng, shape, dtype)
    a.reshape(-1)[::5] = np.nan
    b = [b, 0.0, non_contiguous(b)][k]  # an array, a number, a strided view
    return lambda: (A.select(cond, a, b),), lambda: (A.select_reference(cond, a, b),)


@case("relu_backward", A, ["_relu_backward_flat"])
def _(rng, dtype, k=0):
    shape = [(4, 3, 5, 7), (1,), ()][k]
    g = randn(rng, shape, dtype)
    out = np.maximum(randn(rng, shape, dtype), 0)
    if out.ndim:
        out.reshape(-1)[::3] = 0.0  # exact zeros pass no gradient
        out.reshape(-1)[1::5] = np.nan  # NaN outputs pass their gradient (PyTorch)
    return lambda: (A.relu_backward(g, out),), lambda: (A.relu_backward_reference(g, out),)


def _special_values(x):
    """NaN, +-inf, +-0.0 and the far tails among x's values (x has at least one dim)."""
    flat = x.reshape(-1)
    flat[::5], flat[1::7], flat[2::9], flat[3::11] = np.nan, np.inf, -np.inf, -0.0
    flat[4::13], flat[5::17] = -90.0, 90.0
    return x


@case("sigmoid", A, ["_sigmoid_flat"])
def _(rng, dtype, k=0):
    shape = [(4, 3, 5, 7), (6, 5, 40), (40,)][k]
    x = _special_values(randn(rng, shape, dtype) * 8)
    x = non_contiguous(x) if k == 2 else x  # a strided view, copied for the kernel
    return lambda: (A.sigmoid(x),), lambda: (A.sigmoid_reference(x),)


@case("sigmoid_backward", A, ["_sigmoid_backward_flat"])
def _(rng, dtype, k=0):
    shape = [(4, 3, 5, 7), (), (40,)][k]
    g, out = randn(rng, shape, dtype), A.sigmoid_reference(randn(rng, shape, dtype) * 8)
    out.reshape(-1)[::6] = np.nan
    return (lambda: (A.sigmoid_backward(g, out),),
            lambda: (A.sigmoid_backward_reference(g, out),))


@case("tanh_backward", A, ["_tanh_backward_flat"])
def _(rng, dtype, k=0):
    shape = [(4, 3, 5, 7), (1,), (40,)][k]
    g, out = randn(rng, shape, dtype), np.tanh(randn(rng, shape, dtype) * 3)
    out.reshape(-1)[::6] = np.nan
    g = np.broadcast_to(g[:1], shape) if k == 2 else g  # a broadcast g (of a .sum())
    return (lambda: (A.tanh_backward(g, out),), lambda: (A.tanh_backward_reference(g, out),))


ELU_SOFTPLUS_ARGS = [(1.0, 1.0, 20.0), (0.3, 2.0, 5.0), (1.7, 0.5, 20.0)]  # alpha, beta, thr


@case("elu", A, ["_elu_from_expm1", "_elu_backward_flat"])
def _(rng, dtype, k=0):
    alpha = ELU_SOFTPLUS_ARGS[k][0]
    shape = [(4, 3, 5, 7), (), (40,)][k]
    x = _special_values(randn(rng, shape, dtype) * 8) if shape else randn(rng, shape, dtype)
    g, out = randn(rng, shape, dtype), A.elu_reference(x, alpha)
    return (lambda: (A.elu(x, alpha), A.elu_backward(g, x, out, alpha)),
            lambda: (A.elu_reference(x, alpha), A.elu_backward_reference(g, x, out, alpha)))


@case("softplus", A, ["_softplus_flat", "_softplus_from_log1p", "_softplus_backward_flat"])
def _(rng, dtype, k=0):
    _, beta, threshold = ELU_SOFTPLUS_ARGS[k]
    shape = [(4, 3, 5, 7), (), (40,)][k]
    x = _special_values(randn(rng, shape, dtype) * 8) if shape else randn(rng, shape, dtype)
    g = randn(rng, shape, dtype)
    g = np.broadcast_to(g[:1], shape) if k == 2 else g  # a broadcast g (of a .sum())
    return (lambda: (A.softplus(x, beta, threshold),
                     A.softplus_backward(g, x, beta, threshold)),
            lambda: (A.softplus_reference(x, beta, threshold),
                     A.softplus_backward_reference(g, x, beta, threshold)))



def _strided_activation_calls(x, g, out):
    """Every activation entry point on strided views (a column slice, as gates[:, :H] is):
    the kernels take a C-contiguous copy, so their values must equal the references'."""
    return [
        (lambda: A.relu(x), lambda: A.relu_reference(x)),
        (lambda: A.relu_backward(g, out), lambda: A.relu_backward_reference(g, out)),
        (lambda: A.leaky_relu(x, 0.1), lambda: A.leaky_relu_reference(x, 0.1)),
        (lambda: A.leaky_relu_backward(g, x, 0.1),
         lambda: A.leaky_relu_backward_reference(g, x, 0.1)),
        (lambda: A.sigmoid(x), lambda: A.sigmoid_reference(x)),
        (lambda: A.sigmoid_backward(g, out), lambda: A.sigmoid_backward_reference(g, out)),
        (lambda: A.tanh_backward(g, out), lambda: A.tanh_backward_reference(g, out)),
        (lambda: A.elu(x, 1.3), lambda: A.elu_reference(x, 1.3)),
        (lambda: A.elu_backward(g, x, out, 1.3),
         lambda: A.elu_backward_reference(g, x, out, 1.3)),
        (lambda: A.softplus(x, 2.0, 5.0), lambda: A.softplus_reference(x, 2.0, 5.0)),
        (lambda: A.softplus_backward(g, x, 2.0, 5.0),
         lambda: A.softplus_backward_reference(g, x, 2.0, 5.0)),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_activation_kernels_on_strided_views_nojit(dtype):
    rng = np.random.default_rng(11)
    x = _special_values(randn(rng, (6, 32), dtype) * 8)[:, 8:24]  # a column slice
    g = non_contiguous(randn(rng, (6, 16), dtype))
    out = np.tanh(randn(rng, (16, 6), dtype)).T  # a transposed view
    assert not (x.flags.c_contiguous or g.flags.c_contiguous or out.flags.c_contiguous)
    for entry, reference in _strided_activation_calls(x, g, out):
        got = entry()
        assert got.shape == x.shape and got.dtype == x.dtype
        np.testing.assert_allclose(got, reference(), equal_nan=True, **_tolerance(dtype))


@pytest.mark.parametrize("shape", [(), (1,), (40,), (8, 64), (3, 1000)])
def test_sigmoid_is_within_a_few_ulp_of_numpy(shape):
    """The exponential is kernels/vector_math.py's, in the loop: the values are numpy's
    within a few ulp (measured at most 3.3 in float64, 2.3 in float32 against the exact
    values), with its NaN, infinities and far tails."""
    rng = np.random.default_rng(1)
    for dtype in DTYPES:
        x = randn(rng, shape, dtype) * 8
        if x.ndim:
            x = _special_values(x)
        got, expected = A.sigmoid(x), A.sigmoid_reference(x)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_max_ulp(got, expected, maxulp=4)


def test_gradient_and_elementwise_kernels_give_numpys_values_exactly():
    """Same operations in the same order in the array's dtype: bit for bit, not just close
    (assert_array_equal: NaN where NaN): sigmoid's and tanh's gradients, ELU; softplus
    within a few ulp (vector_math's exp and log, the sigmoid kernel's values)."""
    rng = np.random.default_rng(0)
    for dtype in DTYPES:
        x = _special_values(randn(rng, (3, 1000), dtype) * 8)
        g, out = randn(rng, (3, 1000), dtype), A.sigmoid_reference(x)
        np.testing.assert_array_equal(A.sigmoid_backward(g, out),
                                      A.sigmoid_backward_reference(g, out))
        np.testing.assert_array_equal(A.tanh_backward(g, out), A.tanh_backward_reference(g, out))
        for alpha, beta, threshold in ELU_SOFTPLUS_ARGS:  # and ELU's and softplus's
            e = A.elu_reference(x, alpha)
            np.testing.assert_array_equal(A.elu(x, alpha), e)
            np.testing.assert_array_equal(A.elu_backward(g, x, e, alpha),
                                          A.elu_backward_reference(g, x, e, alpha))
            # (vector_math's exp and log, and the sigmoid kernel's values: a few ulp off)
            np.testing.assert_allclose(A.softplus(x, beta, threshold),
                                       A.softplus_reference(x, beta, threshold),
                                       rtol=4 * np.finfo(dtype).eps, atol=0, equal_nan=True)
            np.testing.assert_allclose(A.softplus_backward(g, x, beta, threshold),
                                       A.softplus_backward_reference(g, x, beta, threshold),
                                       rtol=4 * np.finfo(dtype).eps, atol=0, equal_nan=True)


# ------------------------------------------------------------------ softmax, cross-entropy
@case("softmax", S, ["_softmax_rows", "_normalize_row", "_row_max"])
def _(rng, dtype, k=0):
    x = randn(rng, (5, 3, 7), dtype) * 10
    x[1, 2, :] = [-np.inf, 1000.0, -1000.0, -np.inf, 0, 0, 1][:7]  # extremes in one row
    x = non_contiguous(x)
    dim = [-1, 2, -1][k]  # the kernel's axis (other axes run the numpy expression)
    return lambda: (S.softmax(x, dim),), lambda: (S.softmax_reference(x, dim),)


@case("softmax_along_an_inner_dim", S, ["_softmax_columns"])
def _(rng, dtype, k=0):
    shape, dim = [((5, 3, 7), 1), ((4, 6, 2, 5), 0), ((2, 10, 4, 4), 1)][k]
    x = randn(rng, shape, dtype) * 10 + [0, 1e4, 0][k]
    for lane, value in ((0, -np.inf), (1, np.inf)):  # a lane of -inf; an inf in a lane
        at = [lane] * x.ndim
        at[dim] = slice(None) if value < 0 else 0
        x[tuple(at)] = value
    x[(slice(None),) * dim + (1,)] = np.nan  # NaN across the positions of one class
    return (lambda: (S.softmax(x, dim), S.log_softmax(x, dim)),
            lambda: (S.softmax_reference(x, dim), S.log_softmax_reference(x, dim)))


@case("softmax_backward_along_an_inner_dim", S, ["_backward_columns"])
def _(rng, dtype, k=0):
    shape, dim = [((5, 3, 7), 1), ((4, 6, 2, 5), 0), ((2, 10, 4, 4), 1)][k]
    z = randn(rng, shape, dtype) * 5
    out, log_out = S.softmax_reference(z, dim), S.log_softmax_reference(z, dim)
    g = non_contiguous(randn(rng, shape, dtype))
    return (lambda: (S.softmax_backward(g, out, dim), S.log_softmax_backward(g, log_out, dim)),
            lambda: (S.softmax_backward_reference(g, out, dim),
                     S.log_softmax_backward_reference(g, log_out, dim)))


@case("softmax_backward", S, ["_softmax_backward_rows"])
def _(rng, dtype, k=0):
    shape = [(5, 3, 7), (40, 9), (2, 1, 11)][k]
    out = S.softmax_reference(randn(rng, shape, dtype) * 5, -1)
    g = non_contiguous(randn(rng, shape, dtype))
    return (lambda: (S.softmax_backward(g, out, -1),),
            lambda: (S.softmax_backward_reference(g, out, -1),))


@case("log_softmax_backward", S, ["_log_softmax_backward_rows"])
def _(rng, dtype, k=0):
    shape = [(5, 3, 7), (40, 9), (2, 1, 11)][k]
    out = S.log_softmax_reference(randn(rng, shape, dtype) * 5, -1)
    g = non_contiguous(randn(rng, shape, dtype))
    return (lambda: (S.log_softmax_backward(g, out, -1),),
            lambda: (S.log_softmax_backward_reference(g, out, -1),))


@case("log_softmax", S, ["_softmax_rows", "_normalize_row", "_row_max"])
def _(rng, dtype, k=0):
    x = non_contiguous(randn(rng, (5, 3, 7), dtype) * 10 + [0, 1e4, 1e30][k])
    dim = [-1, 2, -1][k]  # the kernel's axis (other axes run the numpy expression)
    return lambda: (S.log_softmax(x, dim),), lambda: (S.log_softmax_reference(x, dim),)


@pytest.mark.parametrize("shape", [(1, 1), (16, 4), (5, 3, 7), (64, 32), (3, 1000)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_rows_agree_with_the_reference(shape, dtype):
    """softmax and log_softmax along the last axis (one kernel call, kernels/vector_math.py's
    exp): the reference's values within the kernels' tolerance, its NaN and infinities
    where the reference has them (rows of -inf, +inf, NaN, a large offset), short rows and
    rows longer than row_max's eight lanes."""
    rng = np.random.default_rng(2)
    x = randn(rng, shape, dtype) * 10
    rows = x.reshape(-1, shape[-1])
    if rows.shape[0] >= 4 and shape[-1] >= 2:
        rows[0], rows[1, 0], rows[2, -1], rows[3] = -np.inf, np.inf, np.nan, rows[3] + 1e4
    x = non_contiguous(x) if shape[-1] > 1 else x  # copied to rows first: the same values
    for fn, reference in ((S.softmax, S.softmax_reference),
                          (S.log_softmax, S.log_softmax_reference)):
        got = fn(x, -1)
        with np.errstate(all="ignore"):
            expected = reference(x, -1)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, equal_nan=True, **_tolerance(dtype))


CE_ARGS = [(-100, 0.0), (2, 0.0), (1, 0.3)]  # (ignore_index, label_smoothing)


def _ce_inputs(rng, dtype, k):
    ignore_index, smoothing = CE_ARGS[k]
    classes = [5, 37, 16][k]  # fewer than, more than and exactly row_max's eight lanes x 2
    x = randn(rng, (9, classes), dtype) * 3 + [0, 1e6, -1e8][k]
    target = rng.integers(0, classes, 9)
    weight = (rng.random(classes) + 0.5).astype(dtype)
    return non_contiguous(x), target, weight, ignore_index, smoothing


@case("cross_entropy_forward", CE, ["_first_bad_target", "_row_max", "_shift_rows",
                                    "_exp_sums", "_row_sums", "_losses_from_stats"])
def _(rng, dtype, k=0):
    args = _ce_inputs(rng, dtype, k)
    def flat(result):  # losses, row weights, then the two row statistics
        losses, row_weight, (m, log_s), _ = result
        return losses, row_weight, m, log_s
    return (lambda: flat(CE.cross_entropy_forward(*args)),
            lambda: flat(CE.cross_entropy_forward_reference(*args)))


@case("cross_entropy_backward", CE, ["_shift_rows", "_grad_rows", "_grad_from_softmax",
                                     "_row_coefficients"])
def _(rng, dtype, k=0):
    x, target, weight, ignore_index, smoothing = _ce_inputs(rng, dtype, k)
    stats = CE.cross_entropy_forward_reference(x, target, weight, ignore_index, smoothing)[2]
    g_rows = randn(rng, 9, dtype)
    args = (np.ascontiguousarray(x), stats, target, weight, ignore_index, smoothing, g_rows)
    return (lambda: (CE.cross_entropy_backward(*args),),
            lambda: (CE.cross_entropy_backward_reference(*args),))


def _ce_column_inputs(rng, dtype, k):
    """(N, C, L) logits, classes along axis 1 (a segmentation map's, flattened), with an
    ignored target, a large offset and, in one variant, label smoothing and NaN logits."""
    ignore_index, smoothing = CE_ARGS[k]
    n, classes, length = [(3, 5, 37), (2, 16, 9), (4, 3, 50)][k]
    x = randn(rng, (n, classes, length), dtype) * 3 + [0, 1e6, -1e8][k]
    target = rng.integers(0, classes, (n, length))
    target[0, 1] = ignore_index if ignore_index >= 0 else -100
    if k == 2:
        x[1, :, 4] = np.nan
    weight = (rng.random(classes) + 0.5).astype(dtype)
    return x, target, weight, ignore_index, smoothing


@case("cross_entropy_forward_columns", CE, ["_first_bad_target", "_column_stats",
                                            "_losses_from_stats"])
def _(rng, dtype, k=0):
    args = _ce_column_inputs(rng, dtype, k)
    def flat(result):
        losses, row_weight, (m, log_s), _ = result
        return losses, row_weight, m, log_s
    return (lambda: flat(CE.cross_entropy_forward(*args)),
            lambda: flat(CE.cross_entropy_forward_reference(*args)))


@case("cross_entropy_backward_columns", CE, ["_column_grad"])
def _(rng, dtype, k=0):
    x, target, weight, ignore_index, smoothing = _ce_column_inputs(rng, dtype, k)
    stats = CE.cross_entropy_forward_reference(x, target, weight, ignore_index, smoothing)[2]
    g = randn(rng, target.shape, dtype)
    args = (x, stats, target, weight, ignore_index, smoothing, g)
    return (lambda: (CE.cross_entropy_backward(*args),),
            lambda: (CE.cross_entropy_backward_reference(*args),))


# ------------------------------------------------------------------ norms
def _bn_inputs(rng, dtype, k):
    shape = [(5, 3, 7), (6, 4, 1), (2, 3, 11)][k]
    x, g = randn(rng, shape, dtype), randn(rng, shape, dtype)
    w, b = randn(rng, shape[1], dtype), randn(rng, shape[1], dtype)
    mean, var = N.batch_stats_reference(x)
    return x, g, w, b, mean, 1.0 / np.sqrt(var + 1e-5)


@case("batch_stats", N, ["_batch_stats"])
def _(rng, dtype, k=0):
    x = _bn_inputs(rng, dtype, k)[0]
    return lambda: N.batch_stats(x), lambda: N.batch_stats_reference(x)


@case("scale_shift", N, ["_scale_shift"])
def _(rng, dtype, k=0):
    x, _, w, b, mean, invstd = _bn_inputs(rng, dtype, k)
    return (lambda: (N.scale_shift(x, mean, invstd, w, b),),
            lambda: (N.scale_shift_reference(x, mean, invstd, w, b),))


@case("batch_norm_backward", N, ["_batch_norm_backward"])
def _(rng, dtype, k=0):
    x, g, w, _, mean, invstd = _bn_inputs(rng, dtype, k)
    return (lambda: N.batch_norm_backward(g, x, mean, invstd, w),
            lambda: N.batch_norm_backward_reference(g, x, mean, invstd, w))


def _ln_inputs(rng, dtype, k):
    m, d = [(7, 5), (1, 13), (4, 3)][k]
    return (randn(rng, (m, d), dtype), randn(rng, (m, d), dtype), randn(rng, d, dtype),
            randn(rng, d, dtype))


@case("layer_norm_rows", N, ["_layer_norm_rows"])
def _(rng, dtype, k=0):
    x, _, w, b = _ln_inputs(rng, dtype, k)
    return (lambda: N.layer_norm_rows(x, w, b, 1e-5),
            lambda: N.layer_norm_rows_reference(x, w, b, 1e-5))


@case("layer_norm_backward_rows", N, ["_layer_norm_backward_rows"])
def _(rng, dtype, k=0):
    x, g, w, b = _ln_inputs(rng, dtype, k)
    _, mean, invstd = N.layer_norm_rows_reference(x, w, b, 1e-5)
    return (lambda: N.layer_norm_backward_rows(g, x, mean, invstd, w),
            lambda: N.layer_norm_backward_rows_reference(g, x, mean, invstd, w))


# ------------------------------------------------------------------ RNN cells
def _rnn_sizes(k):
    return [(3, 5), (1, 7), (4, 1)][k]  # (batch, hidden)


@case("lstm_cell_forward", R, ["_lstm_cell_forward"])
def _(rng, dtype, k=0):
    b, h = _rnn_sizes(k)
    act, c_prev = np.tanh(randn(rng, (b, 4 * h), dtype)), randn(rng, (b, h), dtype)
    half = dtype(0.5)

    def run(fn):
        a, c = act.copy(), np.empty_like(c_prev)
        fn(a, c_prev, c, half)
        return a, c
    return lambda: run(R.lstm_cell_forward), lambda: run(R.lstm_cell_forward_reference)


@case("lstm_step_backward", R, ["_lstm_step_backward"])
def _(rng, dtype, k=0):
    b, h = _rnn_sizes(k)
    act = rng.random((b, 4 * h)).astype(dtype)
    rest = [randn(rng, (b, h), dtype) for _ in range(5)]  # tanh_c, c_prev, grad_h/out/c

    def run(fn):
        d_gates, grad_c_prev = np.empty_like(act), np.empty_like(rest[0])
        fn(act, *rest, d_gates, grad_c_prev)
        return d_gates, grad_c_prev
    return lambda: run(R.lstm_step_backward), lambda: run(R.lstm_step_backward_reference)


@case("gru_gates_forward", R, ["_gru_gates_forward"])
def _(rng, dtype, k=0):
    b, h = _rnn_sizes(k)
    act = np.tanh(randn(rng, (b, 3 * h), dtype))
    pre, h_gates = randn(rng, (b, 3 * h), dtype), randn(rng, (b, 3 * h), dtype)

    def run(fn):
        a = act.copy()
        fn(a, pre, h_gates, dtype(0.5))
        return (a,)
    return lambda: run(R.gru_gates_forward), lambda: run(R.gru_gates_forward_reference)


@case("gru_output", R, ["_gru_output"])
def _(rng, dtype, k=0):
    b, h = _rnn_sizes(k)
    act, h_prev = rng.random((b, 3 * h)).astype(dtype), randn(rng, (b, h), dtype)

    def run(fn):
        out = np.empty_like(h_prev)
        fn(act, h_prev, out)
        return (out,)
    return lambda: run(R.gru_output), lambda: run(R.gru_output_reference)


@case("gru_step_backward", R, ["_gru_step_backward"])
def _(rng, dtype, k=0):
    b, h = _rnn_sizes(k)
    act, h_gates = rng.random((b, 3 * h)).astype(dtype), randn(rng, (b, 3 * h), dtype)
    h_prev, grad_h = randn(rng, (b, h), dtype), randn(rng, (b, h), dtype)

    def run(fn):
        d_x, d_h, g_prev = np.empty_like(act), np.empty_like(act), np.empty_like(h_prev)
        fn(act, h_gates, h_prev, grad_h, d_x, d_h, g_prev)
        return d_x, d_h, g_prev
    return lambda: run(R.gru_step_backward), lambda: run(R.gru_step_backward_reference)


@case("erf", SP, ["_erf_flat", "_erf_float32_flat"])
def _(rng, dtype, k=0):
    x = randn(rng, (3, 5), dtype) * [1, 3, 0.01][k]
    x.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, -0.0, 3.95, -1e-30]  # the clamp's edges
    x = non_contiguous(x)
    return lambda: (SP.erf(x),), lambda: (SP.erf_reference(x),)


@case("gelu", SP, ["_gelu_flat"])
def _(rng, dtype, k=0):
    x = randn(rng, (3, 7), dtype) * [1, 4, 0.01][k]
    x.reshape(-1)[:6] = [np.nan, -np.inf, -0.0, 5.6, -5.6, -1e8]  # NaN stays; Phi = 0 far left
    return lambda: (SP.gelu(non_contiguous(x)),), lambda: (SP.gelu_reference(x),)


@case("gelu_backward", SP, ["_gelu_backward_flat"])
def _(rng, dtype, k=0):
    shape = [(3, 7), (3, 7), ()][k]
    x, g = randn(rng, shape, dtype) * [1, 4, 0.01][k], randn(rng, shape, dtype)
    if shape:
        x.reshape(-1)[:5] = [np.nan, -0.0, 5.6, -5.6, -1e8]
    return lambda: (SP.gelu_backward(g, x),), lambda: (SP.gelu_backward_reference(g, x),)


# ------------------------------------------------------------------ optimizer updates
OPTIM_SCALARS = {  # the scalars after the arrays, as the optimizers pass them
    "sgd": [(0.1, 0.9, 0.7, 0.01, True, False, False), (0.1, 0.9, 1.0, 0.0, False, True, True),
            (0.1, 0.0, 1.0, 0.0, False, False, False)],
    "adagrad": [(0.1, 0.01, 1e-8, True), (0.1, 0.0, 1e-10, False), (0.5, 0.1, 1e-3, False)],
    "adadelta": [(1.0, 0.9, 0.1, 1e-6, 0.01, False), (0.5, 0.5, 0.5, 1e-3, 0.0, True),
                 (1.0, 0.99, 0.01, 1e-6, 0.0, False)],
    "rmsprop": [(0.01, 0.9, 0.1, 1e-8, 0.01, 0.5, True, True),
                (0.01, 0.99, 0.01, 1e-8, 0.0, 0.0, False, False),
                (0.1, 0.9, 0.1, 1e-6, 0.0, 0.9, False, True)],
    "adam": [(0.1, 0.1, 0.999, 0.001, 1e-8, 0.3, 0.0, 0.99, True, True),
             (0.01, 0.1, 0.999, 0.001, 1e-8, 0.5, 0.01, 1.0, False, False),
             (0.01, 0.2, 0.9, 0.1, 1e-3, 0.9, 0.0, 1.0, True, False)],
    "adamax": [(0.1, 0.1, 0.999, 1e-8, 0.01, False), (0.1, 0.1, 0.9, 1e-3, 0.0, True),
               (0.01, 0.5, 0.5, 1e-8, 0.0, False)],
    "nadam": [(-0.1, -0.2, 0.1, 0.999, 0.001, 0.02, 1e-8, 0.01, 1.0, False),
              (-0.01, -0.02, 0.1, 0.9, 0.1, 0.5, 1e-8, 0.0, 0.99, True),
              (-0.1, -0.2, 0.2, 0.999, 0.001, 0.002, 1e-3, 0.0, 1.0, False)],
}
OPTIM_ARRAYS = dict(sgd=3, adagrad=3, adadelta=4, rmsprop=5, adam=5, adamax=4, nadam=4)


def _optim_case(name):
    @case(f"optim.{name}", O, [])
    def _(rng, dtype, k=0):
        # param, grad, then state; positive, and RMSprop's running mean of the gradient
        # small enough that the centered variance stays positive
        arrays = [(1 + np.abs(rng.standard_normal(11))).astype(dtype)
                  for _ in range(OPTIM_ARRAYS[name])]
        if name == "rmsprop":
            arrays[3] *= 0.1
        entry = getattr(O, name)

        def run(fn):
            state = copies(*arrays)
            fn(*state, *OPTIM_SCALARS[name][k])
            return state
        return lambda: run(entry), lambda: run(entry.reference)


for _name in OPTIM_SCALARS:
    _optim_case(_name)


# ------------------------------------------------------------------ the tests
def _tolerance(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def _assert_all_close(got, expected, dtype):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape
        if a.dtype.kind == "f":
            assert b.dtype == a.dtype or b.dtype == np.float64
        np.testing.assert_allclose(a, b, equal_nan=True, **_tolerance(dtype))


@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CASES))
# with Numba off the kernels' scalar arithmetic is numpy scalars', which warn at -inf * 0
# (NaN, the intended value); the compiled kernels do not
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_kernel_equals_reference_nojit(name, dtype, variant, monkeypatch):
    monkeypatch.setattr(S, "KERNEL_MIN", 0)  # the softmax kernel also for these small inputs
    monkeypatch.setattr(A, "SELECT_MIN", 0)  # and the select kernels
    monkeypatch.setattr(RD, "SUM_MIN", 0)  # and the sums
    _, _, build = CASES[name]
    entry, reference = build(np.random.default_rng(variant), dtype, variant)
    _assert_all_close(entry(), reference(), dtype)


@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cross_entropy_forward",
                                  "cross_entropy_backward"])
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_short_rows_path_equals_reference_nojit(name, dtype, variant, monkeypatch):
    """The same cases with every row taking the short-row path (numpy's exp over the whole
    block first, cross_entropy.SHORT_ROW), which only many short rows take otherwise."""
    monkeypatch.setattr(CE, "SHORT_ROW", 1 << 30)
    monkeypatch.setattr(CE, "SHORT_BLOCK", 0)
    _, _, build = CASES[name]
    entry, reference = build(np.random.default_rng(variant), dtype, variant)
    _assert_all_close(entry(), reference(), dtype)


def _forbid(monkeypatch, module, kernels, name):
    def refuse(*args, **kwargs):
        raise AssertionError("a kernel ran although reference kernels are enabled")
    if name.startswith("optim."):
        entry = getattr(O, name.split(".")[1])
        monkeypatch.setattr(entry, "serial", refuse)
        monkeypatch.setattr(entry, "parallel", refuse)
    for kernel in kernels:
        monkeypatch.setattr(module, kernel, refuse)


@pytest.mark.parametrize("name", sorted(CASES))
def test_switch_runs_the_reference(name, monkeypatch):
    """With use_reference_kernels the entry point calls no kernel and returns exactly what
    the reference returns."""
    module, kernels, build = CASES[name]
    monkeypatch.setattr(S, "KERNEL_MIN", 0)
    monkeypatch.setattr(A, "SELECT_MIN", 0)
    monkeypatch.setattr(RD, "SUM_MIN", 0)
    entry, reference = build(np.random.default_rng(0), np.float32)
    with tl.use_reference_kernels():
        _forbid(monkeypatch, module, kernels, name)
        got = entry()
    for a, b in zip(got, reference()):
        np.testing.assert_array_equal(a, b)


def test_every_kernel_has_a_case():
    """A new Numba kernel in kernels/ must be added here (and get a reference)."""
    covered = {(module.__name__, k) for module, kernels, _ in CASES.values() for k in kernels}
    helpers = {("tinygrad_lr.kernels.pool", "_wins"), ("tinygrad_lr.kernels.selection", "_before"),
               ("tinygrad_lr.kernels.special", "_erf_rational"),
               ("tinygrad_lr.kernels.special", "_erf32"),
               ("tinygrad_lr.kernels.conv", "_rows_read"), ("tinygrad_lr.kernels.conv", "_span"),
               ("tinygrad_lr.kernels.conv", "_zero_wrapped")}
    for module in (A, C, CE, CU, E, N, P, R, RD, S, SE, SP):
        for attr, value in vars(module).items():
            is_kernel = hasattr(value, "py_func") and callable(value) and \
                getattr(value, "__module__", "") == module.__name__
            if is_kernel and (module.__name__, attr) not in helpers:
                assert (module.__name__, attr) in covered, f"{module.__name__}.{attr}"
    optim_entries = {a for a, v in vars(O).items() if hasattr(v, "reference")}
    assert optim_entries == set(OPTIM_SCALARS)


# ------------------------------------------------------------------ depthwise: geometries
def test_depthwise_equals_its_references_at_random_geometries_nojit():
    """The flat-row loops against the references at 60 random geometries: strides 1-3,
    dilations 1-2, paddings 0-3 (some larger than the kernel), kernels 1-5 wide, 1-2 output
    channels per input channel (the row-phase and column-stride bookkeeping is where such
    loops go wrong)."""
    rng = np.random.default_rng(7)
    done = 0
    while done < 60:
        n, c, m = rng.integers(1, 3), rng.integers(1, 4), rng.integers(1, 3)
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (tuple(int(v) for v in rng.integers(lo, hi, 2))
                                                  for lo, hi in ((1, 6), (1, 4), (0, 4), (1, 3)))
        h, wd = (int(v) for v in rng.integers(1, 13, 2))
        if h + 2 * ph < dh * (kh - 1) + 1 or wd + 2 * pw < dw * (kw - 1) + 1:
            continue  # no output position
        done += 1
        x, w = rng.standard_normal((n, c, h, wd)), rng.standard_normal((c * m, 1, kh, kw))
        args = ((sh, sw), (ph, pw), (dh, dw))
        out = C.depthwise_forward(x, w, *args)
        np.testing.assert_allclose(out, C.depthwise_forward_reference(x, w, *args), rtol=1e-12,
                                   atol=1e-12)
        g = rng.standard_normal(out.shape)
        np.testing.assert_allclose(C.depthwise_backward_input(g, w, x.shape, *args),
                                   C.depthwise_backward_input_reference(g, w, x.shape, *args),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(C.depthwise_backward_weight(g, x, w.shape, *args),
                                   C.depthwise_backward_weight_reference(g, x, w.shape, *args),
                                   rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ conv: flat spans
def test_flat_spans_equal_the_references_at_random_geometries_nojit():
    """im2col's and col2im's flat spans (`_flat_rows`: stride 1, output rows as wide as the
    input's) against the references, exactly, at 60 random geometries: kernels 1-7 tall and
    1, 3, 5, 7 wide, dilations 1-3, any row padding (some larger than the kernel), maps
    from 1 to 13 wide (some narrower than the padding), NaN in the columns that read padding
    (col2im must drop them, not add them into a neighbouring row)."""
    rng = np.random.default_rng(11)
    done = 0
    while done < 60:
        n, c = (int(v) for v in rng.integers(1, 4, 2))
        kh, kw = int(rng.integers(1, 8)), int(rng.choice([1, 3, 5, 7]))
        dh, dw = (int(v) for v in rng.integers(1, 4, 2))
        ph, pw = int(rng.integers(0, 5)), dw * (kw - 1) // 2
        h, w = (int(v) for v in rng.integers(1, 14, 2))
        ho = C.out_size(h, kh, 1, ph, dh)
        if ho < 1 or w % C.ROW_VECTOR == 0:
            continue
        done += 1
        args = ((kh, kw), (1, 1), (ph, pw), (dh, dw))
        assert C._flat_rows(args[1], C.out_size(w, kw, 1, pw, dw), w)
        x = rng.standard_normal((n, c, h, w))
        cols = C.im2col(x, *args)
        np.testing.assert_array_equal(cols, C.im2col_reference(x, *args))
        dcols = rng.standard_normal(cols.shape)
        dcols[C.im2col(np.ones_like(x), *args) == 0] = np.nan  # the entries that read padding
        back = ((n, c, h, w), (kh, kw), (ho, w), (1, 1), (ph, pw), (dh, dw))
        expected = C.col2im_reference(dcols, *back)
        assert np.isfinite(expected).all()
        np.testing.assert_array_equal(C.col2im(dcols, *back), expected)
        kept = dcols.copy()
        np.testing.assert_array_equal(C.col2im(dcols, *back), expected)
        np.testing.assert_array_equal(dcols, kept, "col2im without scratch=True changed cols")
        np.testing.assert_array_equal(C.col2im(dcols, *back, scratch=True), expected)


# ------------------------------------------------------------------ conv: 1x1 kernels
@pytest.mark.parametrize("stride", [(1, 1), (2, 2), (2, 3), (3, 1)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_one_by_one_products_equal_the_formula_and_the_columns(stride, dtype):
    """A 1x1 convolution's product per sample (`one_by_one_*`) against the convolution's
    formula (forward) and against the im2col path (both gradients), on an odd (3, 4, 7, 5)
    input and an empty batch."""
    rng = np.random.default_rng(3)
    for n in (3, 0):
        x, w = randn(rng, (n, 4, 7, 5), dtype), randn(rng, (6, 4, 1, 1), dtype)
        geometry = (stride, (0, 0), (1, 1))
        out = C.one_by_one_forward(x, w, stride)
        np.testing.assert_allclose(out, C.conv2d_reference(x, w, *geometry, 1),
                                   **_tolerance(dtype))
        g = randn(rng, out.shape, dtype)
        g_cols = C.to_columns(g)
        np.testing.assert_allclose(
            C.one_by_one_backward_input(g, w, x.shape, stride),
            C.conv2d_backward_input(g_cols, w, x.shape, out.shape[2:], *geometry, 1),
            **_tolerance(dtype))
        np.testing.assert_allclose(
            C.one_by_one_backward_weight(g, x, w.shape, stride),
            C.conv2d_backward_weight(g, C.im2col(x, (1, 1), *geometry), w.shape, 1, g_cols),
            **_tolerance(dtype))
    assert C.is_one_by_one((1, 1), (0, 0), 1)
    assert not C.is_one_by_one((1, 1), (1, 0), 1) and not C.is_one_by_one((1, 1), (0, 0), 2)


# ------------------------------------------------------------------ conv: the formula
@pytest.mark.parametrize("chunked_input_grad", [False, True])  # chunks of 2, 2, 1 samples
@pytest.mark.parametrize("thin_weight_max", [10**9, -1])  # per-sample (groups 1) / one product
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", range(len(CONV_ARGS)))
def test_conv2d_equals_its_formula_nojit(k, dtype, groups, thin_weight_max, chunked_input_grad,
                                         monkeypatch):
    """conv2d_forward (im2col + GEMM, both forms of the forward product) against the sum
    written out, and its two backward passes (the input gradient in one product and in
    chunks of samples) against the adjoint identities <conv(x, w), g> = <x, dx> = <w, dw>."""
    monkeypatch.setattr(C, "THIN_WEIGHT_MAX", thin_weight_max)
    monkeypatch.setattr(C, "PER_SAMPLE_MIN_LENGTH", 0)
    kernel, stride, padding, dilation = CONV_ARGS[k]
    rng = np.random.default_rng(k)
    x = non_contiguous(randn(rng, (5, 6, 7, 6), dtype))
    w = randn(rng, (9, 6 // groups) + kernel, dtype)
    out, cols = C.conv2d_forward(x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(out, C.conv2d_reference(x, w, stride, padding, dilation, groups),
                               **_tolerance(dtype))
    g = randn(rng, out.shape, dtype)
    g_cols = C.to_columns(g)
    sample_bytes = 6 * kernel[0] * kernel[1] * out.shape[2] * out.shape[3] * x.itemsize
    monkeypatch.setattr(C, "INPUT_GRAD_CHUNK_ABOVE", 0 if chunked_input_grad else 10**12)
    monkeypatch.setattr(C, "INPUT_GRAD_CHUNK_BYTES", 2 * sample_bytes)
    assert C.input_grad_chunk(sample_bytes, 5) == (2 if chunked_input_grad else 5)
    dx = C.conv2d_backward_input(g_cols, w, x.shape, out.shape[2:], stride, padding, dilation,
                                 groups)
    dw = C.conv2d_backward_weight(g, cols, w.shape, groups, g_cols)
    inner = float((out.astype(np.float64) * g).sum())
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    assert np.isclose(inner, float((x.astype(np.float64) * dx).sum()), rtol=rtol)
    assert np.isclose(inner, float((w.astype(np.float64) * dw).sum()), rtol=rtol)
    # without g_cols (a first layer, whose input needs no gradient), from a strided g
    np.testing.assert_allclose(C.conv2d_backward_weight(non_contiguous(g), cols, w.shape,
                                                        groups), dw, **_tolerance(dtype))


# ------------------------------------------------------------------ optimizers end to end
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_optimizer_step_equals_reference(name, kwargs, dtype):
    """Three steps of an optimizer with its kernels and with the references agree."""
    rng = np.random.default_rng(0)
    start = [randn(rng, shape, dtype) for shape in ((4, 3), (3,), (1,))]
    grads = [[randn(rng, a.shape, dtype) for a in start] for _ in range(3)]

    def train(reference):
        params = [tl.tensor(a.copy(), requires_grad=True) for a in start]
        opt = getattr(tl.optim, name)(params, **kwargs)
        with tl.use_reference_kernels(reference):
            for step_grads in grads:
                for p, g in zip(params, step_grads):
                    p.grad = tl.tensor(g)
                opt.step()
        return [p.numpy() for p in params]

    for a, b in zip(train(False), train(True)):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **_tolerance(dtype))

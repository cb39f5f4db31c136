"""The Tensor and torch-namespace surface PyTorch programs use (issue 10): matrix products,
rounding division, sorting, triangles and diagonals, cumprod, in-place twins, devices,
dtype conversions and PyTorch's type promotion.

Each differentiable op is one `check(...)` line against torch (forward, backward on
broadcasting shapes, gradcheck and gradgradcheck in float64); the rest compare with torch
directly or assert PyTorch's errors.
"""
import itertools

import numpy as np
import pytest
import torch
from oracle import check

import tinygrad_lr as tl
from tinygrad_lr.devices import DeviceError


# ================================================================ differentiable ops
@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.t(), [(3, 4)]),
    (lambda x: x.t(), [(5,)]),
    (lambda a, b: a.mm(b), [(2, 3), (3, 4)]),
    (lambda a, b: torch_or_tl(a).bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    (lambda a, v: a.mv(v), [(3, 4), (4,)]),
    (lambda c, a, b: torch_or_tl(c).addmm(c, a, b), [(4,), (2, 3), (3, 4)]),
    (lambda c, a, b: torch_or_tl(c).addmm(c, a, b), [(2, 1), (2, 3), (3, 4)]),
    (lambda c, a, b: torch_or_tl(c).addmm(c, a, b, beta=0.5, alpha=-2.0), [(2, 4), (2, 3), (3, 4)]),
    (lambda c, a, b: c.addmm(a, b), [(4,), (2, 3), (3, 4)]),
])
def test_matrix_products(fn, shapes):
    check(fn, shapes)


def torch_or_tl(x):
    """The namespace of x's library, so one lambda runs on both."""
    return torch if isinstance(x, torch.Tensor) else tl


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: a % b, [(3, 4), (4,)]),
    (lambda a, b: torch_or_tl(a).remainder(a, b), [(3, 1), (1, 4)]),
    (lambda a: a % 0.7, [(3, 4)]),
    (lambda a, b: a.fmod(b), [(3, 4), (3, 4)]),
    (lambda a: torch_or_tl(a).fmod(a, -0.6), [(5,)]),
    (lambda a, b: a.div(b, rounding_mode="floor"), [(3, 4), (4,)]),
    (lambda a, b: a.div(b, rounding_mode="trunc"), [(3, 4), (4,)]),
])
def test_remainders_and_rounded_division(fn, shapes):
    # remainders jump where a / b is a whole number: inputs are away from those points
    check(fn, shapes, low=0.3, high=2.0)


def test_number_remainder_tensor_has_no_derivative_as_in_pytorch():
    check(lambda a: 1.5 % a, [(3, 4)], low=0.3, backward=False, grad_check=False,
          gradgrad_check=False)
    a = tl.tensor([0.7, 1.1], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for remainder"):
        (1.5 % a).sum().backward()


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "frac", "round"])
def test_rounding(name):
    check(lambda x: getattr(x, name)(), [(3, 4)], low=-3, high=3)


def test_round_to_decimals_and_integer_inputs():
    check(lambda x: x.round(decimals=2), [(3, 4)])
    for name in ("floor", "ceil", "trunc", "round"):
        out = getattr(tl.tensor([1, -2, 3]), name)()
        assert out.dtype == np.int64 and out.tolist() == [1, -2, 3]


def test_floor_divide_values_and_no_derivative():
    a, b = [-7.0, 7.0, 5.5, -0.5], [2.0, -2.0, 0.5, 3.0]
    check(lambda x, y: x // y, [], lambda x, y: torch.floor_divide(x, y), arrays=[a, b],
          backward=False, grad_check=False, gradgrad_check=False)
    assert (tl.tensor([7, -7, 5]) // 2).tolist() == (torch.tensor([7, -7, 5]) // 2).tolist()
    assert tl.floor_divide(tl.tensor([7, -7]), tl.tensor([-2, 2])).tolist() == [-4, -4]
    x = tl.tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for floor_divide is not implemented"):
        (x // 2.0).sum().backward()


@pytest.mark.parametrize("op", ["//", "%", "fmod", "trunc"])
def test_integer_division_by_zero_raises(op):
    a, b = tl.tensor([1, 2]), tl.tensor([1, 0])
    call = {"//": lambda: a // b, "%": lambda: a % 0, "fmod": lambda: a.fmod(b),
            "trunc": lambda: a.div(b, rounding_mode="trunc")}[op]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call()
    with np.errstate(divide="ignore"):  # floats: inf, as PyTorch (numpy warns as for 1 / 0)
        assert (tl.tensor([1.0]) // 0).tolist() == [float("inf")]


def test_integer_rounded_division_matches_torch():
    a, b = [7, -7, 6, -6, 1, -1], [2, 2, -4, 4, -3, 3]
    for mode in ("trunc", "floor"):
        ours = tl.tensor(a).div(tl.tensor(b), rounding_mode=mode)
        theirs = torch.tensor(a).div(torch.tensor(b), rounding_mode=mode)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    for x, y in itertools.product([7, -7], [3, -3]):
        assert (tl.tensor([x]) % y).item() == (torch.tensor([x]) % y).item()
        assert tl.tensor([x]).fmod(y).item() == torch.tensor([x]).fmod(y).item()
    with pytest.raises(ValueError, match="rounding_mode"):
        tl.tensor([1.0]).div(2, rounding_mode="round")


def test_nan_to_num():
    arrays = [[1.0, np.nan, np.inf, -np.inf, -2.0]]
    for kw in ({}, {"nan": 0.5, "posinf": 9.0, "neginf": -9.0}):
        check(lambda x, kw=kw: x.nan_to_num(**kw), [], lambda x, kw=kw: x.nan_to_num(**kw),
              arrays=arrays, grad_check=False, gradgrad_check=False)
    check(lambda x: x.nan_to_num(), [(3, 4)])


@pytest.mark.parametrize("fn", [
    lambda x: x.sort(),
    lambda x: x.sort(dim=0, descending=True),
    lambda x: torch_or_tl(x).sort(x, 1),
    lambda x: x.topk(2),
    lambda x: x.topk(3, dim=0, largest=False),
    lambda x: torch_or_tl(x).topk(x, 1, 1).values,
    lambda x: x.msort(),
])
def test_sorting(fn):
    check(fn, [(4, 5)])


def test_argsort():
    check(lambda x: x.argsort(dim=0), [(4, 5)], backward=False, grad_check=False,
          gradgrad_check=False)


def test_sort_keeps_tied_order_and_prints_as_pytorch():
    s = tl.tensor([2.0, 1.0, 2.0, 1.0])
    values, indices = s.sort()
    assert values.tolist() == [1, 1, 2, 2] and indices.tolist() == [1, 3, 0, 2]
    assert s.argsort(descending=True).tolist() == [0, 2, 1, 3]
    assert s.sort(descending=True).indices.tolist() == [0, 2, 1, 3]
    assert tl.tensor([3, 1, 2]).sort().values.dtype == np.int64
    assert repr(s.topk(1)).startswith("torch.return_types.topk(\nvalues=tensor([2.")
    with pytest.raises(IndexError, match="topk: k"):
        s.topk(5)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int8", "uint8",
                                   "bool"])
def test_sort_and_topk_order_nan_inf_and_integer_extremes_as_pytorch(dtype):
    """NaN is the largest value (first in a descending order, as in PyTorch; -x alone put
    it last), ties keep their index order, and the integer extremes sort without overflow.
    topk (the scan kernel for small k, a sort beyond) gives PyTorch's values; its indices
    are the first of tied elements, which PyTorch leaves unspecified."""
    rng = np.random.default_rng(0)
    if dtype.startswith("float"):
        pool = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, 1.0, -2.5, 7.0], dtype=dtype)
    elif dtype == "bool":
        pool = np.array([True, False])
    else:
        info = np.iinfo(dtype)
        pool = np.array([info.min, info.max, 0, 1, 1, info.max - 1], dtype=dtype)
    x = rng.choice(pool, size=(5, 90))
    for dim in (0, 1):
        for descending in (False, True):
            ours = tl.tensor(x).sort(dim, descending=descending)
            theirs = torch.tensor(x).sort(dim=dim, descending=descending, stable=True)
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            np.testing.assert_array_equal(tl.tensor(x).argsort(dim, descending).numpy(),
                                          theirs.indices.numpy())
        if dtype == "bool" or dtype == "float16":
            continue  # PyTorch has no topk for bool; float16 goes the sort way anyway
        for k in (1, 5, x.shape[dim]):
            for largest in (True, False):
                ours_k = tl.tensor(x).topk(k, dim, largest)
                theirs_k = torch.tensor(x).topk(k, dim, largest)
                np.testing.assert_array_equal(ours_k.values.numpy(), theirs_k.values.numpy())
                first = tl.tensor(x).sort(dim, descending=largest).indices.numpy()
                np.testing.assert_array_equal(ours_k.indices.numpy(),
                                              np.take(first, np.arange(k), axis=dim))


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.roll(1), [(3, 4)]),
    (lambda x: x.roll(-2, 1), [(3, 4)]),
    (lambda x: torch_or_tl(x).roll(x, (1, 2), (0, -1)), [(3, 4, 2)]),
    (lambda x: x.tril(), [(4, 4)]),
    (lambda x: x.tril(-1), [(2, 3, 5)]),
    (lambda x: torch_or_tl(x).triu(x, 1), [(3, 5)]),
    (lambda x: x.triu(diagonal=-2), [(2, 4, 3)]),
    (lambda x: x.diag(), [(4,)]),
    (lambda x: x.diag(2), [(3,)]),
    (lambda x: x.diag(-1), [(3,)]),
    (lambda x: x.diag(), [(3, 5)]),
    (lambda x: x.diag(1), [(4, 3)]),
    (lambda x: torch_or_tl(x).diag(x, -2), [(4, 3)]),
    (lambda x: x.diagonal(1, 0, 2), [(3, 2, 4)]),
    (lambda x: x.trace(), [(3, 4)]),
    (lambda x: x.movedim(0, -1), [(2, 3, 4)]),
    (lambda x: x.index_select(1, torch_or_tl(x).tensor([2, 0, 2])), [(3, 4)]),
    (lambda x: x.narrow(1, 1, 2), [(3, 4)]),
    (lambda x: x.unbind(1), [(3, 2)]),
    (lambda x: x.masked_select(torch_or_tl(x).tensor([True, False, True])), [(2, 3)]),
])
def test_movement(fn, shapes):
    check(fn, shapes)


@pytest.mark.parametrize("arrays", [
    None,  # random values, no zeros
    [[[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 0.0], [0.0, 3.0, -2.0, 1.5]]],
])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_with_and_without_zeros(arrays, dim):
    check(lambda x: x.cumprod(dim), [(3, 4)], lambda x: x.cumprod(dim), arrays=arrays)


def test_cumprod_of_integers_and_scalars():
    assert tl.tensor([1, 2, 3]).cumprod(0).tolist() == [1, 2, 6]
    assert tl.tensor([True, True, False]).cumprod(0).dtype == np.int64
    check(lambda x: x.cumprod(0), [()])


@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"dim": 1, "keepdim": True},
                                {"dim": (0, 1), "unbiased": False}, {"correction": 0}])
@pytest.mark.parametrize("name", ["std_mean", "var_mean"])
def test_std_mean_and_var_mean(name, kw):
    check(lambda x: getattr(torch_or_tl(x), name)(x, **kw), [(3, 4)])


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, a, b: x.addcmul(a, b, value=0.5), [(3, 4), (4,), (3, 1)]),
    (lambda x, a, b: torch_or_tl(x).addcdiv(x, a, b, value=-2), [(3, 4), (3, 4), (4,)]),
    (lambda x, y: x.lerp(y, 0.3), [(3, 4), (4,)]),
    (lambda x, y, w: torch_or_tl(x).lerp(x, y, w), [(3, 4), (3, 4), (4,)]),
    (lambda x: x.clamp_min(0.2), [(3, 4)]),
    (lambda x: torch_or_tl(x).clamp_max(x, 0.2), [(3, 4)]),
    (lambda x: x.maximum(x * 0.5), [(3, 4)]),
    (lambda x, c: x.where(c > 0, c), [(3, 4), (4,)]),
])
def test_arithmetic_forms(fn, shapes):
    check(fn, shapes)


# ================================================================ in place
UNARY_TWINS = ["abs_", "neg_", "exp_", "sin_", "cos_", "tanh_", "sigmoid_",
               "relu_", "erf_", "square_", "floor_", "ceil_", "trunc_", "frac_", "round_",
               "sign_", "expm1_"]
POSITIVE_TWINS = ["log_", "log1p_", "sqrt_", "rsqrt_", "reciprocal_"]


@pytest.mark.parametrize("name", UNARY_TWINS + POSITIVE_TWINS)
def test_unary_inplace_twins_differentiate_as_pytorch(name):
    # in place on a non-leaf: recorded in the graph, gradients as PyTorch's
    check(lambda x: getattr(x * 1.0, name)(), [(3, 4)], positive=name in POSITIVE_TWINS)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: (x * 1.0).clamp_(-0.5, 0.5), [(3, 4)]),
    (lambda x: (x * 1.0).clamp_(min=0.1), [(3, 4)]),
    (lambda x: (x * 1.0).pow_(2), [(3, 4)]),
    (lambda x, y: (x * 1.0).pow_(y), [(3, 4), (4,)]),
    (lambda x, y: (x * 1.0).remainder_(y), [(3, 4), (4,)]),
    (lambda x: (x * 1.0).fmod_(0.7), [(3, 4)]),
    (lambda x, a, b: (x * 1.0).addcmul_(a, b, value=2), [(3, 4), (4,), (3, 4)]),
    (lambda x, a: (x * 1.0).addcdiv_(a, a, value=2), [(3, 4), (4,)]),
    (lambda x, y: (x * 1.0).lerp_(y, 0.25), [(3, 4), (3, 4)]),
    (lambda x: (x * 1.0).masked_fill_(x > 0, 0.5), [(3, 4)]),
])
def test_inplace_twins_with_arguments(fn, shapes):
    check(fn, shapes, low=0.3)


def test_inplace_twins_without_grad_write_into_the_array():
    for name in UNARY_TWINS:
        x = tl.tensor([-1.5, 0.25, 2.0])
        t = torch.tensor([-1.5, 0.25, 2.0])
        data, version = x.numpy(), x._version[0]
        assert getattr(x, name)() is x and x.numpy() is data and x._version[0] == version + 1
        np.testing.assert_allclose(x.numpy(), getattr(t, name)().numpy(), rtol=1e-6, err_msg=name)
    c = tl.zeros(3)
    c.fill_(2.0)
    c.add_(1.0).mul_(2.0).sub_(1.0).div_(2.0).clamp_(max=2.2).pow_(2)
    np.testing.assert_allclose(c.numpy(), [2.2 ** 2] * 3, rtol=1e-6)
    e = tl.tensor([7, -7])
    e //= 2
    e %= 3
    assert e.tolist() == [0, 2]


def test_inplace_twins_keep_the_dtype_as_pytorch():
    with pytest.raises(TypeError, match="can't be cast to the tensor's dtype int64"):
        tl.tensor([1, 2]).exp_()
    with pytest.raises(TypeError, match="can't be cast"):
        tl.tensor([1, 2]).sigmoid_()
    x = tl.tensor([1, -2])
    x.abs_()
    assert x.dtype == np.int64 and x.tolist() == [1, 2]


def test_inplace_on_a_leaf_that_requires_grad_raises():
    w = tl.ones(3, requires_grad=True)
    for call in (lambda: w.relu_(), lambda: w.uniform_(), lambda: w.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            call()
    with tl.no_grad():
        w.uniform_(-1, 1)
        w.relu_()
    assert w.requires_grad and w.is_leaf and (w.numpy() >= 0).all()


def test_random_fills_follow_the_seed():
    tl.manual_seed(0)
    a = tl.empty(1000).uniform_(-2, 3)
    tl.manual_seed(0)
    b = tl.empty(1000).uniform_(-2, 3)
    assert (a.numpy() == b.numpy()).all() and a.min() >= -2 and a.max() < 3
    n = tl.empty(20000, dtype=tl.float64).normal_(1.0, 2.0)
    assert n.dtype == np.float64
    assert abs(n.mean().item() - 1.0) < 0.1 and abs(n.std().item() - 2.0) < 0.1
    coin = tl.zeros(20000).bernoulli_(0.25)
    assert set(np.unique(coin.numpy())) <= {0.0, 1.0} and abs(coin.mean().item() - 0.25) < 0.02
    assert tl.zeros(20000).exponential_(2.0).mean().item() == pytest.approx(0.5, rel=0.05)
    ints = tl.zeros(1000, dtype=tl.int64).random_(3, 7)
    assert set(np.unique(ints.numpy())) == {3, 4, 5, 6}
    g = tl.Generator().manual_seed(5)
    h = tl.Generator().manual_seed(5)
    assert (tl.empty(5).normal_(generator=g).numpy() ==
            tl.empty(5).normal_(generator=h).numpy()).all()


# ================================================================ devices and dtypes
def test_device_of_tensors_and_to():
    x = tl.ones(2, 3)
    assert x.device == tl.device("cpu") and str(x.device) == "cpu"
    assert x.is_cpu and not x.is_cuda
    assert x.cpu() is x and x.to("cpu") is x and x.to(tl.device("cpu")) is x
    assert x.to("cpu", copy=True) is not x
    assert x.to("cpu", tl.float64).dtype == np.float64
    assert x.to(device="cpu", dtype=tl.float16).dtype == np.float16
    assert x.to(tl.ones(1, dtype=tl.int32)).dtype == np.int32
    assert x.to(tl.float64).dtype == np.float64 and x.to(np.float32) is x
    for bad in ("cuda", "cuda:0", "mps", 0):
        with pytest.raises(DeviceError, match="CPU only"):
            x.to(bad)
    with pytest.raises(DeviceError, match=r"Tensor.cuda\(\).*CPU only"):
        x.cuda()
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        x.to("gpu")


def test_to_keeps_the_graph():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    (x.to(tl.float64) * 3).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


def test_type_and_dtype_shorthands():
    x = tl.tensor([1.5, -2.0])
    assert x.type() == "torch.FloatTensor" and x.double().type() == "torch.DoubleTensor"
    assert x.type(tl.float64).dtype == np.float64
    assert x.type("torch.IntTensor").tolist() == [1, -2]
    assert x.type(tl.LongTensor).dtype == np.int64
    for method, dt in [("half", np.float16), ("float", np.float32), ("double", np.float64),
                       ("int", np.int32), ("long", np.int64), ("short", np.int16),
                       ("char", np.int8), ("byte", np.uint8), ("bool", np.bool_)]:
        assert getattr(x, method)().dtype == dt == getattr(torch.ones(1), method)().numpy().dtype
    assert x.type_as(tl.ones(1, dtype=tl.int64)).dtype == np.int64
    with pytest.raises(TypeError, match="cannot store complex64"):
        x.type("torch.complex64")
    assert x.element_size() == 4 and x.half().element_size() == 2 and x.nelement() == 2


def test_new_tensors_take_dtype_and_device_from_self():
    x = tl.ones(2, dtype=tl.float64)
    for made, shape in [(x.new_zeros(2, 3), (2, 3)), (x.new_ones((3,)), (3,)),
                        (x.new_full((2,), 5.0), (2,)), (x.new_empty(4), (4,)),
                        (x.new_tensor([1, 2]), (2,))]:
        assert made.dtype == np.float64 and made.shape == shape and not made.requires_grad
    assert x.new_full((2,), 5.0).tolist() == [5.0, 5.0]
    assert x.new_zeros(2, dtype=tl.int32).dtype == np.int32
    assert x.new_ones(2, requires_grad=True).requires_grad
    with pytest.raises(DeviceError):
        x.new_zeros(2, device="cuda")
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        x.new_zeros(2, dtype=tl.int64, requires_grad=True)


def test_float16_stays_float16():
    h = tl.tensor(np.array([1.0, 2.0], np.float16))
    assert h.dtype == np.float16
    for out in (h * 2, h + h, h.sum(), h * 2.5, h.exp(), h + tl.tensor(1.0, dtype=tl.float64)):
        assert out.dtype == np.float16


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
       "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
       "maximum": lambda a, b: torch_or_tl(a).maximum(a, b), "where": None}


def _pair(lib, da, db, zero_d_b):
    a = lib.ones(3, dtype=getattr(lib, da if da != "bool" else "bool"))
    b = lib.ones(() if zero_d_b else 3, dtype=getattr(lib, db if db != "bool" else "bool"))
    return a, b


@pytest.mark.parametrize("zero_d_b", [False, True])
@pytest.mark.parametrize("op", ["+", "*", "/", "//", "%", "maximum"])
def test_binary_promotion_is_pytorch_s(op, zero_d_b):
    mismatches = []
    for da, db in itertools.product(DTYPES, DTYPES):
        ta, tb = _pair(torch, da, db, zero_d_b)
        try:
            expected = str(OPS[op](ta, tb).dtype).removeprefix("torch.")
        except (RuntimeError, NotImplementedError):  # bool // bool: not in PyTorch either
            continue
        got = OPS[op](*_pair(tl, da, db, zero_d_b)).dtype.name
        if got != expected:
            mismatches.append(f"{da} {op} {db}: {got}, torch {expected}")
    assert not mismatches, mismatches


@pytest.mark.parametrize("zero_d_b", [False, True])
@pytest.mark.parametrize("op", ["-", "&", "|", "^"])
def test_bool_subtraction_and_bitwise_ops_are_pytorch_s(op, zero_d_b):
    fn = {"-": lambda a, b: a - b, "&": lambda a, b: a & b, "|": lambda a, b: a | b,
          "^": lambda a, b: a ^ b}[op]
    for da, db in itertools.product(DTYPES, DTYPES):
        try:
            expected = str(fn(*_pair(torch, da, db, zero_d_b)).dtype).removeprefix("torch.")
        except RuntimeError:  # PyTorch refuses: so must we
            with pytest.raises(TypeError):
                fn(*_pair(tl, da, db, zero_d_b))
            continue
        assert fn(*_pair(tl, da, db, zero_d_b)).dtype.name == expected, (da, op, db)
    assert (tl.tensor([5, 3]) & 1).tolist() == [1, 1] and (~tl.tensor([5])).tolist() == [-6]
    assert (tl.tensor([True, False]) | tl.tensor([False, False])).tolist() == [True, False]
    with pytest.raises(TypeError, match="on a bool tensor is not supported"):
        -tl.tensor([True])
    with pytest.raises(TypeError, match="bitwise not"):
        ~tl.ones(2)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("op", ["+", "*", "/", "//", "%"])
def test_scalar_promotion_is_pytorch_s(op, scalar):
    for dt in DTYPES:
        try:
            expected = OPS[op](torch.ones(3, dtype=getattr(torch, dt)), scalar).dtype
        except (RuntimeError, NotImplementedError):  # bool // True: not in PyTorch either
            continue
        got = OPS[op](tl.ones(3, dtype=getattr(tl, dt)), scalar).dtype
        assert got.name == str(expected).removeprefix("torch."), f"{dt} {op} {scalar!r}"


def test_int_tensor_and_python_float_give_the_default_dtype():
    tl.set_default_dtype(tl.float64)
    try:
        assert (tl.tensor([1, 2]) * 2.5).dtype == np.float64
        assert (tl.tensor([1, 2]) / 2).dtype == np.float64
        assert tl.tensor([1, 2]).exp().dtype == np.float64
    finally:
        tl.set_default_dtype(tl.float32)
    assert (tl.tensor([1, 2]) * 2.5).dtype == np.float32


@pytest.mark.parametrize("da,db,shapes", [
    ("float32", "float64", [(2, 3), (3, 2)]),
    ("int64", "float32", [(2, 3), (3, 2)]),
    ("float16", "float32", [(2, 3), (3, 2)]),
    ("int32", "int64", [(2, 3), (3, 2)]),
    ("float32", "float64", [(3,), (3,)]),
])
def test_mixed_dtype_matmul_raises_pytorch_s_error(da, db, shapes):
    ta, tb = (torch.ones(s, dtype=getattr(torch, d)) for s, d in zip(shapes, (da, db)))
    with pytest.raises(RuntimeError) as theirs:
        ta @ tb
    a, b = (tl.ones(s, dtype=getattr(tl, d)) for s, d in zip(shapes, (da, db)))
    for call in (lambda: a @ b, lambda: tl.matmul(a, b)) + \
            ((lambda: a.mm(b), lambda: tl.mm(a, b)) if len(shapes[0]) == 2 else ()):
        with pytest.raises(RuntimeError) as ours:
            call()
        assert str(theirs.value) in str(ours.value)  # PyTorch's words, after the op's name


def test_batched_and_vector_mixed_dtype_products_raise_naming_both():
    a, b = tl.ones(2, 3, 4), tl.ones(2, 4, 5, dtype=tl.float64)
    for call in (lambda: a @ b, lambda: a.bmm(b), lambda: tl.ones(2, 3).mv(tl.ones(3).double())):
        with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
            call()
    assert (tl.ones(2, 3, dtype=tl.int64) @ tl.ones(3, dtype=tl.int64)).dtype == np.int64


@pytest.mark.parametrize("call,match", [
    (lambda: tl.ones(2, 3).mm(tl.ones(2, 3)), r"cannot be multiplied \(2x3 and 2x3\)"),
    (lambda: tl.ones(3).mm(tl.ones(3, 2)), "mm: both arguments must be matrices"),
    (lambda: tl.ones(2, 3).bmm(tl.ones(2, 3)), "bmm: both arguments must be 3-D"),
    (lambda: tl.bmm(tl.ones(1, 2, 3), tl.ones(2, 3, 2)), "bmm: shapes"),
    (lambda: tl.ones(2, 3).mv(tl.ones(2)), "mv: expected a matrix and a vector"),
    (lambda: tl.addmm(tl.ones(3), tl.ones(2, 3), tl.ones(3, 4)), "addmm: input of shape"),
    (lambda: tl.ones(2, 3, 4).t(), r"t\(\): expects a tensor with <= 2 dimensions"),
    (lambda: tl.ones(3).tril(), "tril: input tensor must have at least 2 dimensions"),
    (lambda: tl.ones(2, 2, 2).diag(), "diag: expects a 1-D or 2-D tensor"),
    (lambda: tl.ones(3).trace(), r"trace: expects a matrix"),
    (lambda: tl.ones(3).roll((1, 2), 0), "roll: shifts"),
    (lambda: tl.ones(3).narrow(0, 2, 2), "narrow: start 2 \\+ length 2"),
    (lambda: tl.ones(3).index_select(0, tl.tensor([3])), "index_select: index 3 is out of range"),
    (lambda: tl.ones(3).masked_select(tl.ones(3)), "masked_select: mask must be a boolean"),
])
def test_bad_arguments_name_the_function(call, match):
    with pytest.raises((ValueError, IndexError, TypeError), match=match):
        call()


# ================================================================ tests and comparisons
def test_isnan_isinf_isfinite_and_comparisons():
    w = [1.0, float("nan"), float("inf"), -float("inf")]
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf"):
        ours, theirs = getattr(tl, name)(tl.tensor(w)), getattr(torch, name)(torch.tensor(w))
        assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist(), name
    a, b = tl.tensor([1, 2, 3]), tl.tensor([3, 2, 1])
    for name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
                 "logical_xor"):
        ours = getattr(a, name)(b).tolist()
        assert ours == getattr(torch.tensor([1, 2, 3]), name)(torch.tensor([3, 2, 1])).tolist()
        assert getattr(tl, name)(a, b).tolist() == ours
    assert tl.tensor([0, 2]).logical_not().tolist() == [True, False]
    assert tl.count_nonzero(tl.tensor([[0, 1], [2, 3]]), dim=0).tolist() == [1, 2]
    assert tl.tensor([[0, 1], [2, 0]]).nonzero().tolist() == [[0, 1], [1, 0]]
    assert [t.tolist() for t in tl.nonzero(tl.tensor([0, 3, 4]), as_tuple=True)] == [[1, 2]]


def test_allclose_equal_isclose():
    m = tl.arange(9.0).reshape(3, 3)
    assert tl.allclose(m, m + 1e-9) is True and not tl.allclose(m, m + 1e-3)
    assert m.allclose(m.clone()) and tl.equal(m, m.clone()) and not tl.equal(m, m[:2])
    assert tl.equal(tl.ones(2), tl.ones(2, dtype=tl.float64))  # as PyTorch: values only
    nan = tl.tensor([float("nan")])
    assert not tl.allclose(nan, nan) and tl.allclose(nan, nan, equal_nan=True)
    assert tl.isclose(tl.tensor([1.0, 2.0]), tl.tensor([1.0, 2.1])).tolist() == [True, False]
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        tl.allclose(tl.ones(2), tl.ones(2, dtype=tl.float64))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        tl.allclose(tl.ones(2), tl.ones(3))


# ================================================================ namespace
def test_out_argument():
    a, b = tl.ones(2, 3), tl.ones(3, 2)
    out = tl.empty(2, 2)
    assert tl.matmul(a, b, out=out) is out and out.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert tl.mul(a, 2.0, out=tl.empty(2, 3)).tolist() == [[2.0] * 3] * 2
    with pytest.raises(ValueError, match="out has shape"):
        tl.mm(a, b, out=tl.empty(3))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tl.add(tl.ones(2, requires_grad=True), 1.0, out=tl.empty(2))
    with pytest.raises(TypeError, match="can't be cast to out's dtype"):
        tl.div(tl.ones(2), 3, out=tl.empty(2, dtype=tl.int64))


def test_inference_mode():
    x = tl.ones(2, requires_grad=True)
    with tl.inference_mode():
        assert not (x * 2).requires_grad and tl.is_inference_mode_enabled()
    assert (x * 2).requires_grad and not tl.is_inference_mode_enabled()
    with tl.inference_mode(False):
        assert (x * 2).requires_grad

    @tl.inference_mode()
    def predict(t):
        return t * 2

    assert not predict(x).requires_grad and tl.is_grad_enabled()


def test_set_printoptions():
    x = tl.tensor([1.123456, 2.0])
    try:
        tl.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.12, 2.  ])"
        assert tl.get_printoptions()["precision"] == 2
        tl.set_printoptions(threshold=5, edgeitems=1)
        assert "..." in repr(tl.arange(10.0))
        tl.set_printoptions(sci_mode=True)
        assert "e+00" in repr(x)
    finally:
        tl.set_printoptions(profile="default")
    assert repr(x) == "tensor([1.123456, 2.      ])"
    with pytest.raises(ValueError, match="profile"):
        tl.set_printoptions(profile="long")


def test_format_of_a_zero_dim_tensor_is_its_number():
    assert f"{tl.tensor(7)}" == "7" and f"{tl.tensor(0.5):.3f}" == "0.500"
    assert f"{tl.tensor([1, 2])}" == str(tl.tensor([1, 2]))


def test_function_forms_exist_for_the_methods():
    for name in ("mm", "bmm", "mv", "addmm", "t", "topk", "sort", "argsort", "roll", "tril",
                 "triu", "diag", "trace", "isnan", "isinf", "isfinite", "nan_to_num",
                 "allclose", "equal", "cumprod", "std_mean", "var_mean", "floor_divide",
                 "remainder", "fmod", "inference_mode", "set_printoptions", "all", "any"):
        assert callable(getattr(tl, name)), name
    assert tl.all(tl.tensor([True, True])).item() and not tl.any(tl.tensor([0, 0])).item()


# ================================================================ more of the surface
@pytest.mark.parametrize("name,kw", [
    ("log2", {"positive": True}), ("log10", {"positive": True}), ("exp2", {}),
    ("asin", {"low": -0.9, "high": 0.9}), ("acos", {"low": -0.9, "high": 0.9}),
    ("atan", {}), ("sinh", {}), ("cosh", {}), ("asinh", {}),
    ("acosh", {"low": 1.2, "high": 3.0}), ("atanh", {"low": -0.9, "high": 0.9}),
    ("deg2rad", {}), ("rad2deg", {}), ("absolute", {}), ("negative", {}),
    ("arctan", {}), ("positive", {}),
])
def test_more_functions_of_one_variable(name, kw):
    check(lambda x: getattr(x, name)(), [(3, 4)], **kw)
    check(lambda x: getattr(torch_or_tl(x), name)(x), [(4,)], **kw)


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: a.atan2(b), [(3, 4), (4,)]),
    (lambda a, b: torch_or_tl(a).atan2(a, b), [(3, 1), (1, 4)]),
    (lambda a, b: a.hypot(b), [(3, 4), (4,)]),
    (lambda a, b: torch_or_tl(a).logaddexp(a, b), [(3, 4), (3, 1)]),
    (lambda a, b: a.dist(b), [(3, 4), (4,)]),
    (lambda a, b: a.dist(b, p=1), [(3, 4), (3, 4)]),
    (lambda c, m, v: c.addmv(m, v, beta=0.5, alpha=2), [(3,), (3, 4), (4,)]),
    (lambda c, a, b: torch_or_tl(c).baddbmm(c, a, b), [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    (lambda a, b: torch_or_tl(a).tensordot(a, b, dims=([1, 0], [0, 2])), [(3, 4, 2), (4, 5, 3)]),
    (lambda a, b: torch_or_tl(a).tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    (lambda a, b: torch_or_tl(a).hstack([a, b]), [(3, 2), (3, 4)]),
    (lambda a, b: torch_or_tl(a).vstack([a, b]), [(4,), (2, 4)]),
    (lambda a, b: torch_or_tl(a).broadcast_tensors(a, b), [(3, 1), (4,)]),
    (lambda a, b: torch_or_tl(a).meshgrid(a, b, indexing="ij"), [(3,), (4,)]),
    (lambda a, b: torch_or_tl(a).meshgrid(a, b, indexing="xy"), [(3,), (4,)]),
])
def test_more_functions_of_two_tensors(fn, shapes):
    check(fn, shapes)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.scatter(1, torch_or_tl(x).tensor([[2, 0], [1, 3], [0, 0]])[:, :1], 7.0),
     [(3, 4)]),
    (lambda x, s: x.scatter(0, torch_or_tl(x).tensor([[2, 0, 1, 0]]), s), [(3, 4), (1, 4)]),
    (lambda x, s: (x * 1.0).scatter_(1, torch_or_tl(x).tensor([[0], [2], [3]]), s),
     [(3, 4), (3, 1)]),
    (lambda x, s: x.index_add(0, torch_or_tl(x).tensor([0, 2, 0]), s), [(3, 4), (3, 4)]),
    (lambda x, s: (x * 1.0).index_add_(1, torch_or_tl(x).tensor([1, 1]), s, alpha=2),
     [(3, 4), (3, 2)]),
    (lambda x: x.index_fill(1, torch_or_tl(x).tensor([0, 3]), -1.0), [(3, 4)]),
    (lambda x: x.repeat_interleave(2), [(2, 3)]),
    (lambda x: x.repeat_interleave(torch_or_tl(x).tensor([1, 0, 2]), dim=0), [(3, 2)]),
    (lambda x: x.tile((2, 1, 3)), [(2, 3)]),
    (lambda x: x.diff(), [(3, 5)]),
    (lambda x: torch_or_tl(x).diff(x, n=2, dim=0), [(5, 2)]),
    (lambda x, p: x.diff(dim=1, prepend=p), [(3, 4), (3, 1)]),
    (lambda x: x.flipud(), [(3, 4)]),
    (lambda x: x.fliplr(), [(3, 4)]),
    (lambda x: x.rot90(), [(3, 4)]),
    (lambda x: x.rot90(2, (1, 2)), [(2, 3, 4)]),
    (lambda x: torch_or_tl(x).rot90(x, -1, (0, 1)), [(3, 4)]),
    (lambda x: x.unfold(1, 2, 1), [(3, 5)]),
    (lambda x: x.unfold(0, 3, 2), [(7, 2)]),
    (lambda x: x.median(), [(3, 4)]),
    (lambda x: x.median(dim=1), [(3, 4)]),
    (lambda x: torch_or_tl(x).median(x, 0, keepdim=True), [(4, 3)]),
    (lambda x: x.cummax(1), [(3, 4)]),
    (lambda x: torch_or_tl(x).cummin(x, 0), [(3, 4)]),
])
def test_selection_and_layout(fn, shapes):
    check(fn, shapes)


def test_scatter_from_a_larger_src_takes_its_corner():
    src = tl.arange(8.0).reshape(2, 4)
    out = tl.zeros(3, 4).scatter(0, tl.tensor([[2, 0, 1, 0]]), src)
    assert out.tolist() == torch.zeros(3, 4).scatter(
        0, torch.tensor([[2, 0, 1, 0]]), torch.arange(8.0).reshape(2, 4)).tolist()
    assert tl.sgn(tl.tensor([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]


def test_cummax_ties_take_the_last_index_and_one_hot_by_scatter():
    for ours, theirs in [(tl.tensor([1.0, 3.0, 3.0, 2.0]).cummax(0),
                          torch.tensor([1.0, 3.0, 3.0, 2.0]).cummax(0)),
                         (tl.tensor([2, 1, 1, 5]).cummin(0), torch.tensor([2, 1, 1, 5]).cummin(0))]:
        assert ours.values.tolist() == theirs.values.tolist()
        assert ours.indices.tolist() == theirs.indices.tolist()
    y = tl.tensor([2, 0, 1])
    assert tl.zeros(3, 3).scatter_(1, y.unsqueeze(1), 1.0).tolist() == np.eye(3)[[2, 0, 1]].tolist()
    assert tl.tensor([4.0, 1.0, 3.0, 2.0]).median().item() == 2.0  # the lower of the middle two
    with pytest.raises(RuntimeError, match="expected self.dtype to be equal to src.dtype"):
        tl.zeros(2, 2).scatter(0, tl.tensor([[0, 1]]), tl.ones(1, 2, dtype=tl.float64))
    with pytest.raises(TypeError, match="give one of src"):
        tl.zeros(2).scatter(0, tl.tensor([0]))


@pytest.mark.parametrize("op", ["max", "min", "median"])
@pytest.mark.parametrize("values", [[1.0, 2.0, 2.0, 3.0, 3.0, 1.0], [1.0, float("nan"), 3.0,
                                                                      float("nan")], [5.0]])
def test_a_whole_tensor_pick_shares_its_gradient_as_torch(op, values):
    """max() / min() / median() of a whole tensor: the gradient is shared equally between
    the elements equal to the result, between the NaNs when it is NaN (median gave all of it
    to one of its ties, max/min NaN everywhere)."""
    ours = tl.tensor(np.array(values, np.float32), requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    got, want = getattr(ours, op)(), getattr(theirs, op)()
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    np.testing.assert_array_equal(got.numpy(), want.detach().numpy())
    got.backward()
    want.backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_median_propagates_nan_as_torch(dim):
    """A NaN makes the median NaN, its index the first NaN's, and the gradient goes there
    (it used to be the median of the other values: a silent wrong answer)."""
    nan = float("nan")
    rows = np.array([[nan, 1.0, nan, 2.0], [1.0, 2.0, nan, nan], [3.0, nan, 1.0, 2.0],
                     [4.0, 1.0, 3.0, 2.0]], np.float32)
    ours, theirs = tl.tensor(rows, requires_grad=True), torch.tensor(rows, requires_grad=True)
    got, want = (ours.median(), theirs.median()) if dim is None else \
        (ours.median(dim), theirs.median(dim))
    if dim is None:
        assert np.isnan(got.item()) and np.isnan(want.item())
        got.backward()
        want.backward()
    else:
        np.testing.assert_array_equal(got.values.numpy(), want.values.detach().numpy())
        assert got.indices.tolist() == want.indices.tolist()
        got.values.sum().backward()
        want.values.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pads", [(1, 2), (2, 1, 1, 0)])
def test_functional_pad(mode, pads):
    check(lambda x: torch_or_tl(x).nn.functional.pad(x, pads, mode=mode), [(2, 3, 4)])


def test_cosine_similarity_and_pairwise_distance():
    check(lambda a, b: torch_or_tl(a).nn.functional.cosine_similarity(a, b), [(3, 4), (3, 4)])
    check(lambda a, b: torch_or_tl(a).nn.functional.cosine_similarity(a, b, dim=-1),
          [(2, 3, 4), (4,)])
    check(lambda a, b: torch_or_tl(a).nn.functional.pairwise_distance(a, b), [(3, 4), (3, 4)])
    with pytest.raises(ValueError, match="reflect padding"):
        tl.nn.functional.pad(tl.ones(1, 2), (2, 0), mode="reflect")


def test_counting_and_searching_match_torch():
    seq, vals = [1, 3, 5, 7], [0, 3, 4, 8]
    for right in (False, True):
        assert tl.searchsorted(tl.tensor(seq), tl.tensor(vals), right=right).tolist() == \
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).tolist()
        assert tl.bucketize(tl.tensor(vals), tl.tensor(seq), right=right).tolist() == \
            torch.bucketize(torch.tensor(vals), torch.tensor(seq), right=right).tolist()
    rows = [[1, 2, 3], [2, 4, 6]]
    assert tl.searchsorted(tl.tensor(rows), tl.tensor([[2], [5]])).tolist() == \
        torch.searchsorted(torch.tensor(rows), torch.tensor([[2], [5]])).tolist()
    x = [3, 1, 3, 2, 0, 3]
    assert tl.bincount(tl.tensor(x)).tolist() == torch.bincount(torch.tensor(x)).tolist()
    w = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    ours = tl.bincount(tl.tensor(x), tl.tensor(w), minlength=6)
    theirs = torch.bincount(torch.tensor(x), torch.tensor(w), minlength=6)
    assert ours.tolist() == theirs.tolist() and ours.dtype.name == str(theirs.dtype)[6:]
    h = [1.0, 2.0, 1.0, 2.5, 0.2]
    for kw in ({"bins": 4, "min": 0, "max": 3}, {"bins": 3}):
        assert tl.histc(tl.tensor(h), **kw).tolist() == torch.histc(torch.tensor(h), **kw).tolist()
    ours = tl.unique(tl.tensor(x), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True)
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
    for fn in ("tril_indices", "triu_indices"):
        for args in ((3, 3), (3, 4, 1), (4, 3, -1)):
            assert getattr(tl, fn)(*args).tolist() == getattr(torch, fn)(*args).tolist()
    with pytest.raises(ValueError, match="non-negative integers"):
        tl.bincount(tl.tensor([-1, 2]))


def test_size_result_type_broadcast_shapes():
    assert tl.Size([2, 3]) == (2, 3) == tl.ones(2, 3).shape and tl.Size([2, 3]).numel() == 6
    assert repr(tl.Size([4])) == "torch.Size([4])"
    assert tl.broadcast_shapes((3, 1), (4,), ()) == (3, 4)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        tl.broadcast_shapes((2,), (3,))
    cases = [(tl.ones(2), 1.0), (tl.tensor([1]), 1.0), (tl.tensor([1]), tl.ones(1)),
             (tl.ones(2, dtype=tl.float16), tl.tensor(1.0, dtype=tl.float64)), (1, 2.5)]
    for a, b in cases:
        ta = torch.from_numpy(a.numpy()) if isinstance(a, tl.Tensor) else a
        tb = torch.from_numpy(b.numpy()) if isinstance(b, tl.Tensor) else b
        assert tl.result_type(a, b).name == str(torch.result_type(ta, tb))[6:], (a, b)


def test_memory_addresses():
    x = tl.arange(6.0).reshape(2, 3)
    assert x.data_ptr() == x.view(-1).data_ptr() == x[0].data_ptr()
    assert x[1].storage_offset() == 3 and x.storage_offset() == 0
    assert x.clone().data_ptr() != x.data_ptr()
    assert x.stride() == (3, 1) and x.t().stride() == (1, 3) and x.t().stride(0) == 1
    assert x.is_contiguous() and not x.t().is_contiguous()


def test_pytorch_spellings_of_old_and_numpy_style_code():
    x = tl.arange(6.0).reshape(2, 3)
    assert x.sum(axis=0).tolist() == [3.0, 5.0, 7.0] and x.mean(axis=1).tolist() == [1.0, 4.0]
    assert x.std(axis=0).shape == (3,) and x.prod(axis=1).tolist() == [0.0, 60.0]
    with pytest.raises(TypeError, match="dim or axis"):
        x.sum(0, axis=0)
    assert x.ndimension() == 2 and x.itemsize == 4 and x.nbytes == 24 and x.real is x
    assert x.H.tolist() == x.T.tolist() and x.mH.shape == (3, 2)
    assert [t.tolist() for t in tl.where(x > 3)] == [[1, 1], [1, 2]]
    assert tl.argwhere(x > 3).tolist() == [[1, 1], [1, 2]]
    v = tl.autograd.Variable(x, requires_grad=True)
    assert v.requires_grad and v.is_leaf and v.data_ptr() == x.data_ptr()
    assert not tl.autograd.Variable(x).requires_grad
    with pytest.raises(TypeError, match="legacy constructor from sizes"):
        tl.Tensor(2, 3)
    coin = tl.full((4000,), 0.3).bernoulli()
    assert abs(coin.mean().item() - 0.3) < 0.05


def test_no_grad_and_inference_mode_as_bare_decorators():
    @tl.no_grad
    def a():
        return tl.is_grad_enabled()

    @tl.inference_mode
    def b():
        return tl.is_grad_enabled()

    assert a() is False and b() is False and tl.is_grad_enabled()


def test_functional_relu_in_place():
    x = tl.tensor([-1.0, 2.0])
    assert tl.nn.functional.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    check(lambda t: torch_or_tl(t).nn.functional.relu(t * 1.0, inplace=True), [(3, 4)])
    check(lambda t: torch_or_tl(t).nn.functional.leaky_relu(t * 1.0, 0.2, inplace=True),
          [(3, 4)])


def test_num_threads():
    n = tl.get_num_threads()
    tl.set_num_threads(1)
    try:
        assert tl.get_num_threads() == 1
    finally:
        tl.set_num_threads(n)
    with pytest.raises(ValueError, match="positive integer"):
        tl.set_num_threads(0)


def test_shape_changes_in_place():
    x = tl.arange(6.0).reshape(2, 3)
    data = x.numpy()
    assert x.unsqueeze_(0) is x and x.shape == (1, 2, 3)
    assert x.squeeze_().shape == (2, 3) and x.t_().shape == (3, 2)
    assert x.transpose_(0, 1).shape == (2, 3) and np.shares_memory(x.numpy(), data)
    x[0, 0] = 10.0
    assert data[0, 0] == 10.0
    with pytest.raises(RuntimeError, match="use the out-of-place unsqueeze"):
        tl.ones(2, requires_grad=True).unsqueeze_(0)


@pytest.mark.parametrize("fn", [
    lambda x: x.sort().values, lambda x: x.topk(2).values, lambda x: x.median(1).values,
    lambda x: x.cummax(1).values, lambda x: x.cummin(0).values, lambda x: x.cumprod(1),
    lambda x: x.tril(), lambda x: x.triu(1), lambda x: x.t(), lambda x: x.roll(1, 0),
    lambda x: x % 2, lambda x: x % x, lambda x: x.fmod(2), lambda x: x.fmod(x),
    lambda x: x.floor(), lambda x: x.ceil(), lambda x: x.trunc(), lambda x: x.frac(),
    lambda x: x.round(), lambda x: x.round(decimals=1), lambda x: x.nan_to_num(),
    lambda x: x.log2(), lambda x: x.exp2(), lambda x: x.asin(), lambda x: x.atan2(x),
    lambda x: x.cosh(), lambda x: x.mm(x.t()),
])
def test_new_nodes_are_named_as_pytorch_names_them(fn):
    ours = fn(tl.tensor(np.full((3, 4), 0.5), requires_grad=True)).grad_fn.name()
    assert ours == fn(torch.full((3, 4), 0.5, dtype=torch.float64, requires_grad=True)).grad_fn.name()


def test_legacy_new():
    x = tl.ones(2, dtype=tl.float64)
    assert x.new([1, 2]).dtype == np.float64 and x.new([1, 2]).tolist() == [1.0, 2.0]
    assert x.new(2, 3).shape == (2, 3) and x.new((4,)).shape == (4,) and x.new().shape == (0,)
    assert x.new(2).dtype == torch.ones(1, dtype=torch.float64).new(2).numpy().dtype


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_gradient_of_integer_and_mask_indexing_as_pytorch(dtype):
    """t[rows] with repeated and negative rows adds the row gradients up (embedding's
    kernel), a boolean mask assigns them, mixed indices go through np.add.at."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((7, 3, 2)).astype(dtype)
    mask = x0 > 0
    indices = [
        lambda lib: np.array([0, 3, 3, -1, 6, 3]),
        lambda lib: np.array([[1, 1], [2, -7]], dtype=np.int32),
        lambda lib: (np.array([0, 2, 0]), Ellipsis),
        lambda lib: np.array([True, False, True, True, False, False, True]),
        lambda lib: mask if lib is tl else torch.tensor(mask),
        lambda lib: (slice(None), np.array([0, 0, 2])),
        lambda lib: (np.array([1, 1]), np.array([0, 2])),
    ]
    for index in indices:
        grads = []
        for lib in (tl, torch):
            x = lib.tensor(x0, requires_grad=True)
            y = x[index(lib)]
            w = np.arange(int(np.prod(tuple(y.shape)))).reshape(tuple(y.shape)).astype(dtype)
            (y * lib.tensor(w)).sum().backward()
            grads.append(x.grad.numpy().astype(np.float64))
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-3 if dtype == "float16" else 1e-6)

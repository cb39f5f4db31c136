"""Tensor factories against PyTorch: values, dtypes, keywords, and the errors for bad sizes."""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr import creation as C
from tinygrad_lr import dtypes
from tinygrad_lr.devices import DeviceError

pytestmark = pytest.mark.usefixtures("torch_float32_default")


def _torch_dtype(dt):
    return getattr(torch, np.dtype(dt).name)


def same(ours, theirs, exact=True):
    """Values, shape and dtype equal (float values to one float32 ulp when not exact)."""
    theirs = theirs.numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, \
        (ours.shape, ours.dtype, theirs.shape, theirs.dtype)
    if exact or ours.dtype.kind != "f":
        np.testing.assert_array_equal(ours.numpy(), theirs)
    else:
        scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=0,
                                   atol=2 * np.finfo(ours.dtype).eps * scale)


# ================================================================ deterministic factories
@pytest.mark.parametrize("call", [
    "zeros(2, 3)", "zeros((2, 3))", "zeros([4])", "zeros(())", "zeros(0, 2)", "ones(3)",
    "zeros(2, dtype={f64})", "ones(2, 2, dtype={i32})", "ones(1, dtype={b})", "zeros(size=(2, 1))",
    "full((2,), 1.5)", "full((2,), 7)", "full((2,), True)", "full([2, 2], 1.7, dtype={i64})",
    "full((2,), 3, dtype={f16})", "eye(3)", "eye(2, 4)", "eye(0)", "eye(3, dtype={b})",
    "eye(2, dtype={i64})", "arange(5)", "arange(2, 9, 3)", "arange(10, 0, -3)", "arange(0)",
    "arange(5, 5)", "arange(1.5, 4, dtype={i64})", "arange(-0.5, 2, dtype={i64})",
    "arange(-1, 5, dtype={u8})", "arange(0, 300, 100, dtype={i8})", "arange(np.int64(3))",
    "linspace(0, 10, 5, dtype={i64})", "linspace(0, 10, 7, dtype={i64})", "linspace(-3, 3, 0)",
    "linspace(0, 1, 1)", "logspace(0, 2, 3, dtype={i64})", "scalar_tensor(3)",
    "scalar_tensor(3, dtype={i64})", "randperm(0)", "arange(end=4)", "arange(start=1, end=4)",
])
def test_factory_matches_torch_exactly(call):
    mapping = {"f64": "tl_dt('float64')", "i32": "tl_dt('int32')", "b": "tl_dt('bool')",
               "i64": "tl_dt('int64')", "f16": "tl_dt('float16')", "u8": "tl_dt('uint8')",
               "i8": "tl_dt('int8')"}
    ours = eval("C." + call.format(**mapping), {"C": C, "np": np, "tl_dt": np.dtype})
    theirs = eval("torch." + call.format(**{k: f"torch.{np.dtype(v[7:-2]).name}"
                                            for k, v in mapping.items()}),
                  {"torch": torch, "np": np})
    same(ours, theirs)


@pytest.mark.parametrize("start,end,step", [(0, 1, 0.1), (-3.7, 5.2, 0.3), (2.5, -1.0, -0.25),
                                            (0, 1e-3, 1e-4), (1, 100, 7.5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_arange_and_linspace_agree_with_torch(start, end, step, dtype):
    same(C.arange(start, end, step, dtype=np.dtype(dtype)),
         torch.arange(start, end, step, dtype=_torch_dtype(dtype)), exact=False)
    for n in (1, 2, 7, 50):
        same(C.linspace(start, end, n, dtype=np.dtype(dtype)),
             torch.linspace(start, end, n, dtype=_torch_dtype(dtype)), exact=False)
        same(C.logspace(start / 10, end / 10, n, base=2, dtype=np.dtype(dtype)),
             torch.logspace(start / 10, end / 10, n, base=2, dtype=_torch_dtype(dtype)),
             exact=False)


def test_zero_d_tensors_are_numbers_in_factories():
    same(C.arange(tl.tensor(3)), torch.arange(torch.tensor(3)))
    same(C.zeros(tl.tensor(2)), torch.zeros(torch.tensor(2)))
    same(C.full((2,), tl.tensor(1.5)), torch.full((2,), torch.tensor(1.5)))
    same(C.linspace(tl.tensor(0.0), tl.tensor(1.0), 3), torch.linspace(torch.tensor(0.0),
                                                                       torch.tensor(1.0), 3))


# ================================================================ bad sizes: PyTorch raises too
@pytest.mark.parametrize("call,error,match", [
    ("arange(0, 10, -1)", ValueError, r"arange\(\): upper bound and lower bound inconsistent"),
    ("arange(10, 0, 1)", ValueError, r"arange\(\): .*inconsistent with step sign"),
    ("arange(-5)", ValueError, r"arange\(\): .*inconsistent"),
    ("arange(0, 10, 0)", ValueError, r"arange\(\): step must be nonzero"),
    ("arange(0, 5, 0.5, dtype=np.dtype('int64'))", ValueError, "step must be nonzero"),
    ("arange(0, float('inf'))", ValueError, r"arange\(\): unsupported range"),
    ("arange('a')", TypeError, r"arange\(\): end must be a real number, got str"),
    ("arange(3, dtype=np.dtype(bool))", TypeError, "dtype bool is not supported"),
    ("randperm(-1)", ValueError, r"randperm\(\): n must be non-negative, got -1"),
    ("randperm(3.0)", TypeError, r"randperm\(\): n must be an integer, got float"),
    ("linspace(0, 1, -1)", ValueError, r"linspace\(\): steps .* must be non-negative, got -1"),
    ("linspace(0, 1, 2.5)", TypeError, r"linspace\(\): steps .* must be an integer"),
    ("linspace(-1, 300, 4, dtype=np.dtype('uint8'))", ValueError, "without overflow"),
    ("logspace(0, 2, -1)", ValueError, r"logspace\(\): steps"),
    ("eye(-1)", ValueError, r"eye\(\): n must be non-negative, got -1"),
    ("eye(2, -1)", ValueError, r"eye\(\): m must be non-negative"),
    ("eye(2.5)", TypeError, r"eye\(\): n must be an integer"),
    ("zeros(-1)", ValueError, r"zeros\(\): sizes must be non-negative, got \(-1,\)"),
    ("zeros(2, -3)", ValueError, r"zeros\(\): sizes must be non-negative, got \(2, -3\)"),
    ("zeros(2.5)", TypeError, r"zeros\(\): size must be a tuple of ints"),
    ("zeros((2, 3.0))", TypeError, r"zeros\(\): size must be a tuple of ints"),
    ("zeros(True)", TypeError, r"zeros\(\): size must be a tuple of ints"),
    ("zeros(2, (3,))", TypeError, r"zeros\(\): size must be a tuple of ints"),
    ("zeros('a')", TypeError, r"zeros\(\): size must be a tuple of ints"),
    ("ones(2, size=(2,))", TypeError, r"ones\(\): size given both"),
    ("empty(-2)", ValueError, r"empty\(\): sizes must be non-negative"),
    ("rand(-1)", ValueError, r"rand\(\): sizes must be non-negative"),
    ("randn(2, -1)", ValueError, r"randn\(\): sizes must be non-negative"),
    ("rand(2.0)", TypeError, r"rand\(\): size must be a tuple"),
    ("full(2, 1.0)", TypeError, r"full\(\): size must be a tuple of ints, got int"),
    ("full((-2,), 1.0)", ValueError, r"full\(\): sizes must be non-negative"),
    ("full((2,), 'a')", TypeError, r"full\(\): fill_value must be a real number"),
    ("full((2,), float('nan'), dtype=np.dtype('int64'))", ValueError, "without overflow"),
    ("randint(5)", TypeError, r"randint\(\): give randint\(high, size\)"),
    ("randint(5, 2, (3,))", ValueError, r"randint\(\): high \(2\) must be greater than low"),
    ("randint(5, 5, (2,))", ValueError, r"high \(5\) must be greater than low \(5\)"),
    ("randint(0, 5, (-1,))", ValueError, r"randint\(\): sizes must be non-negative"),
    ("randint(0.5, 5, (3,))", TypeError, r"randint\(\): low must be an integer"),
    ("randint(0, 5, 3)", TypeError, r"randint\(\): size must be a tuple"),
    ("randint(0, 300, (2,), dtype=np.dtype('uint8'))", ValueError, "without overflow"),
    ("randint(3, (2,), dtype=np.dtype(bool))", ValueError, "bool values are 0 or 1"),
    ("rand(2, dtype=np.dtype('int64'))", TypeError, r"rand\(\): draws floating-point"),
    ("zeros(2, requires_grad=True, dtype=np.dtype('int64'))", TypeError,
     "only floating-point tensors can require grad"),
    ("zeros_like([1, 2])", TypeError, r"zeros_like\(\): input must be a Tensor, got list"),
    ("rand_like(C.zeros(2, dtype=np.dtype('int64')))", TypeError, r"rand\(\): draws floating"),
    ("normal(0, -1.0, (2,))", ValueError, r"normal\(\): std must be >= 0"),
    ("normal(0, 1)", TypeError, r"normal\(\): with number mean and std, give size"),
    ("normal(C.zeros(2), C.tensor([1.0, -1.0]))", ValueError, "std must be >= 0"),
    ("bernoulli(C.tensor([2.0]))", ValueError, r"bernoulli\(\): probabilities must be in"),
    ("bernoulli(C.tensor([1, 0]))", TypeError, "floating-point probabilities"),
    ("multinomial(C.tensor([-1.0, 1.0]), 1)", ValueError, "negative value"),
    ("multinomial(C.tensor([0.0, 0.0]), 1)", ValueError, "sum to 0"),
    ("multinomial(C.ones(2, 2, 2), 1)", ValueError, "1-D or 2-D"),
    ("multinomial(C.ones(3), 0)", ValueError, "num_samples must be positive"),
    ("multinomial(C.tensor([1, 2]), 1)", TypeError, "floating-point weights"),
    ("from_numpy([1, 2])", TypeError, r"from_numpy\(\): expected a numpy array, got list"),
    ("from_numpy(np.zeros(2, object))", TypeError, "cannot store object"),
    ("from_numpy(np.zeros(2, '>f4'))", ValueError, "byte order"),
    ("zeros(2, device='cuda')", DeviceError, r"zeros\(\): device: tinygrad_lr runs on the CPU"),
    ("tensor([1.0], device='mps')", DeviceError, "CPU only"),
    ("FloatTensor(-1)", ValueError, r"FloatTensor\(\): sizes must be non-negative"),
    ("FloatTensor(2, 3.5)", TypeError, "size must be a tuple of ints"),
    ("FloatTensor(C.tensor([1, 2]))", TypeError, "the tensor is int64"),
])
def test_bad_factory_arguments_are_named_where_pytorch_also_raises(call, error, match):
    with pytest.raises(error, match=match):
        eval("C." + call, {"C": C, "np": np})
    torch_call = (call.replace("np.dtype('", "torch.").replace("np.dtype(bool)", "torch.bool")
                  .replace("')", "").replace("C.", "torch."))
    with pytest.raises(Exception):  # noqa: B017  PyTorch refuses the same call
        eval("torch." + torch_call, {"torch": torch, "np": np})


@pytest.mark.parametrize("call,error,match", [
    ("full((2,), 1 + 2j)", TypeError, r"full\(\): fill_value must be a real number"),
    ("from_numpy(np.zeros(2, np.complex64))", TypeError, "cannot store complex64"),
    ("from_numpy(np.zeros(2, np.uint16))", TypeError, "cannot store uint16"),
    # PyTorch's documentation forbids this, but it returns the zero-weight category
    ("multinomial(C.tensor([0.0, 1.0]), 2)", ValueError, "without replacement"),
])
def test_refused_where_pytorch_has_more_dtypes_or_ignores_its_own_rule(call, error, match):
    with pytest.raises(error, match=match):
        eval("C." + call, {"C": C, "np": np})


# ================================================================ random factories
def test_random_factories_shapes_dtypes_and_ranges():
    tl.manual_seed(0)
    r = C.rand(1000, dtype=np.dtype("float64"))
    assert r.dtype == np.float64 and 0 <= r.numpy().min() and r.numpy().max() < 1
    assert C.randn(2, 3, requires_grad=True).requires_grad
    assert C.randn(size=(4,)).shape == (4,)
    i = C.randint(3, 6, (200,)).numpy()
    assert i.dtype == np.int64 and set(i) == {3, 4, 5}
    assert C.randint(5, size=(2,)).shape == (2,)
    assert C.randint(0, 5, (3,), dtype=np.dtype("float32")).dtype == np.float32
    p = C.randperm(10).numpy()
    assert sorted(p) == list(range(10)) and p.dtype == np.int64
    assert C.randperm(4, dtype=np.dtype("float32")).dtype == np.float32
    like = C.randint_like(C.zeros(3, 2), 3, 5)
    assert like.shape == (3, 2) and like.dtype == np.float32
    assert set(like.numpy().ravel()) <= {3.0, 4.0}
    n = C.normal(C.zeros(2, 1), C.ones(3))
    assert n.shape == (2, 3) and n.dtype == np.float32
    assert C.normal(2.0, 0.0, (3,)).tolist() == [2.0, 2.0, 2.0]
    assert C.normal(0.0, 1.0, size=(2,), dtype=np.dtype("float64")).dtype == np.float64
    assert C.bernoulli(C.tensor([0.0, 1.0])).tolist() == [0.0, 1.0]
    assert C.bernoulli(C.zeros(5), p=1.0).tolist() == [1.0] * 5
    m = C.multinomial(C.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), 1)
    assert m.tolist() == [[1], [0]] and m.dtype == np.int64
    assert sorted(C.multinomial(C.tensor([0.2, 0.3, 0.5]), 3).tolist()) == [0, 1, 2]
    assert C.multinomial(C.tensor([0.0, 1.0]), 4, replacement=True).tolist() == [1] * 4


def test_a_generator_gives_its_own_repeatable_stream():
    g1, g2 = tl.random.Generator().manual_seed(7), tl.random.Generator().manual_seed(7)
    assert g1.initial_seed() == 7
    a = C.randn(5, generator=g1).numpy()
    tl.manual_seed(1)
    C.rand(3)  # the global stream does not disturb g2
    np.testing.assert_array_equal(C.randn(5, generator=g2).numpy(), a)
    assert C.randperm(6, generator=g1).shape == (6,)
    with pytest.raises(TypeError, match="generator must be a tl.Generator"):
        C.rand(2, generator=3)
    with pytest.raises(DeviceError):
        tl.random.Generator(device="cuda")
    tl.manual_seed(3)
    x = C.rand(4).numpy()
    tl.manual_seed(3)
    np.testing.assert_array_equal(C.rand(4).numpy(), x)


# ================================================================ from data
def test_as_tensor_shares_memory_as_torch():
    a = np.arange(3.0)
    t = C.as_tensor(a)
    assert t.dtype == np.float64 and np.shares_memory(t.numpy(), a)
    assert not np.shares_memory(C.as_tensor(a, dtype=np.dtype("float32")).numpy(), a)
    assert C.as_tensor(np.zeros(2, np.int32)).dtype == np.int32  # kept, as torch
    x = C.zeros(2, requires_grad=True)
    assert C.as_tensor(x) is x and C.as_tensor(x, dtype=np.dtype("float32")) is x
    y = C.as_tensor(x, dtype=np.dtype("float64"))
    assert y.dtype == np.float64 and y.requires_grad
    assert C.as_tensor([1, 2]).dtype == np.int64 and C.as_tensor([1.0, 2]).dtype == np.float32
    assert C.as_tensor(3, device="cpu").dtype == np.int64


def test_from_numpy_shares_and_keeps_the_dtype():
    for dt in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
               "bool"):
        a = np.zeros(3, dtype=dt)
        t = C.from_numpy(a)
        assert t.dtype == a.dtype == torch.from_numpy(a).numpy().dtype
        a[0] = 1
        assert t.numpy()[0] == 1
    assert C.from_numpy(np.array(2.0)).shape == ()


def test_tensor_factory_takes_pytorchs_keywords():
    t = C.tensor([[1, 2], [3, 4]], dtype=np.dtype("float32"), device="cpu", requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad
    assert C.tensor([1.5], dtype=np.dtype("int64")).tolist() == [1]
    assert C.tensor(3, dtype=np.dtype("float16")).dtype == np.float16
    with pytest.raises(TypeError, match=r"tensor\(\): dtype: tinygrad_lr cannot store complex"):
        C.tensor([1.0], dtype="complex64")


def test_like_factories_follow_the_input_as_torch():
    x = C.zeros(2, 3, dtype=np.dtype("float64"), requires_grad=True)
    for fn in (C.zeros_like, C.ones_like, C.empty_like, C.rand_like, C.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == np.float64 and not y.requires_grad
        assert fn(x, dtype=np.dtype("float32"), requires_grad=True).requires_grad
    same(C.full_like(C.zeros(2, dtype=np.dtype("int64")), 1.7),
         torch.full_like(torch.zeros(2, dtype=torch.int64), 1.7))
    same(C.ones_like(C.zeros(2), dtype=np.dtype("int64")),
         torch.ones_like(torch.zeros(2), dtype=torch.int64))


def test_legacy_tensor_types_as_torch():
    same(C.FloatTensor([1, 2]), torch.FloatTensor([1, 2]))
    same(C.LongTensor([1.7]), torch.LongTensor([1.7]))
    same(C.FloatTensor((1, 2)), torch.FloatTensor((1, 2)))
    same(C.ByteTensor([1]), torch.ByteTensor([1]))
    assert C.FloatTensor(2, 3).shape == (2, 3) and C.FloatTensor().shape == (0,)
    assert C.DoubleTensor(3).dtype == np.float64
    assert isinstance(C.zeros(2), C.FloatTensor) and not isinstance(C.zeros(2), C.LongTensor)
    assert dtypes.resolve_dtype(C.LongTensor) == np.int64
    assert repr(C.FloatTensor) == repr(torch.FloatTensor)

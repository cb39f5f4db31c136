"""Tensor construction, dtype rules, factories, attributes, conversions and user errors."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Function, Tensor


# ---------------------------------------------------------------- construction and dtypes
@pytest.mark.parametrize("data,dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2], [3, 4]], np.int64), (3, np.int64),
    (True, np.bool_), ([True, False], np.bool_), (np.array([1.0, 2.0]), np.float64),
    (np.array([1.0], np.float32), np.float32), (np.array([1, 2], np.int32), np.int32),
    (np.float64(2.0), np.float64), (np.array([1.0], np.float16), np.float16),
])
def test_construction_dtype(data, dtype):
    t = Tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_explicit_dtype_and_tensor_alias():
    assert Tensor([1, 2], dtype="float64").dtype == np.float64
    assert tl.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert tl.tensor([1, 2]).tolist() == [1, 2]


def test_float64_array_is_not_copied_but_lists_are():
    a = np.array([1.0, 2.0])
    t = Tensor(a)
    assert t.numpy() is a and t.numpy() is a
    assert tl.from_numpy(a).numpy() is a
    assert not np.shares_memory(tl.tensor(a).numpy(), a)  # torch.tensor copies too


def test_tensor_of_a_tensor_is_a_copy_without_history():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = Tensor(x * 2.0)
    assert not y.requires_grad and y.grad_fn is None
    z = Tensor(x)
    z += 1.0
    assert x.tolist() == [1.0, 2.0]


def test_unsupported_data_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot make a tensor from data of dtype"):
        Tensor(["a", "b"])


@pytest.mark.parametrize("make,dtype", [
    (lambda: Tensor([1, 2]) + 0.5, np.float32),
    (lambda: 0.5 * Tensor([1, 2]), np.float32),
    (lambda: Tensor([1, 2]) + 1, np.int64),
    (lambda: Tensor([1, 2]) / 2, np.float32),
    (lambda: Tensor([1, 2]) / Tensor([2, 2]), np.float32),
    (lambda: Tensor([1.0]) + Tensor(np.array([1.0])), np.float64),
    (lambda: Tensor(np.array([1.0])) * Tensor([1.0]), np.float64),
    (lambda: Tensor([1, 2]) + Tensor([1.0, 2.0]), np.float32),
    # a 0-d tensor beside a tensor with dims acts like a scalar (PyTorch)
    (lambda: Tensor([1.0, 2.0]) * Tensor(np.float64(2.0)), np.float32),
    (lambda: Tensor(np.float64(2.0)) - Tensor([1.0, 2.0]), np.float32),
    (lambda: Tensor(np.array([1, 2], np.int64)) + Tensor(np.float64(2.0)), np.float64),
    (lambda: Tensor(np.float64(2.0)) + Tensor(np.float32(2.0)), np.float64),
    (lambda: tl.maximum(Tensor([1.0]), Tensor(np.float64(0.0))), np.float32),
    (lambda: Tensor([1.0]) * 2.0, np.float32),
    (lambda: Tensor([1.0]) * np.float64(2.0), np.float32),
    (lambda: Tensor(np.array([1.0])) * 2, np.float64),
    (lambda: Tensor(np.array([1.0])) @ Tensor(np.array([[1.0]])), np.float64),
    (lambda: tl.cat([Tensor([1.0]), Tensor(np.array([2.0]))]), np.float64),
    (lambda: Tensor([True, False]).sum(), np.int64),
    (lambda: Tensor([1, 2]).sum(), np.int64),
    (lambda: Tensor([1, 2]).erf(), np.float32),
    (lambda: Tensor([1, 2]).exp(), np.float32),
    (lambda: Tensor([1, 2]).sqrt(), np.float32),
    (lambda: Tensor([1, 2]).sigmoid(), np.float32),
    (lambda: Tensor([True, False]).tanh(), np.float32),
    (lambda: Tensor([1, 2]).softplus(), np.float32),
    (lambda: Tensor([1, 2]).clamp(0.5, 1.5), np.float32),
    (lambda: Tensor([1, 2]).clamp(0, 1), np.int64),
    (lambda: Tensor([1, 2]).logsumexp(0), np.float32),
    (lambda: Tensor([1, 2]).norm(), np.float32),
    (lambda: Tensor([1, 2]).prod(), np.int64),
    (lambda: Tensor([True, False]).cumsum(0), np.int64),
    (lambda: Tensor([1, -2]).abs(), np.int64),
    (lambda: Tensor([1, -2]).relu(), np.int64),
    (lambda: Tensor([1, 2]).softmax(0), np.float32),
    (lambda: tl.where(Tensor([True, False]), Tensor([1.0]), 0.0), np.float32),
    (lambda: tl.where(Tensor([True, False]), Tensor(np.array([1.0])), Tensor([0.0])), np.float64),
])
def test_promotion_rules(make, dtype):
    assert make().dtype == dtype


# every op keeps float32 in, float32 out, and a float32 gradient
F32_OPS = [
    lambda x: x + 1, lambda x: 2 - x, lambda x: x * 3, lambda x: x / 2, lambda x: x ** 2,
    lambda x: 2 ** x, lambda x: -x, lambda x: abs(x), lambda x: x.exp(), lambda x: x.abs().log(),
    lambda x: x.abs().log1p(), lambda x: x.expm1(), lambda x: x.abs().sqrt(),
    lambda x: (x.abs() + 1).rsqrt(), lambda x: x.sin(), lambda x: x.cos(), lambda x: x.tan(),
    lambda x: x.tanh(), lambda x: x.sigmoid(), lambda x: x.relu(), lambda x: x.leaky_relu(0.1),
    lambda x: x.elu(), lambda x: x.gelu(), lambda x: x.gelu(approximate="tanh"),
    lambda x: x.softplus(), lambda x: x.sign(), lambda x: x.clamp(-0.1, 0.1),
    lambda x: (x + 3).reciprocal(), lambda x: x.square(), lambda x: tl.maximum(x, 0.0),
    lambda x: tl.minimum(x, x * 2), lambda x: tl.where(x > 0, x, 0.0), lambda x: x.erf(),
    lambda x: x.sum(), lambda x: x.mean(0), lambda x: x.prod(1), lambda x: x.max(1)[0],
    lambda x: x.amin(), lambda x: x.var(1), lambda x: x.std(), lambda x: x.norm(),
    lambda x: x.norm(3, 1), lambda x: x.logsumexp(1), lambda x: x.softmax(1),
    lambda x: x.log_softmax(0), lambda x: x.cumsum(1), lambda x: x.reshape(-1),
    lambda x: x.T, lambda x: x.unsqueeze(0).expand(2, 3, 4), lambda x: x.repeat(2, 1),
    lambda x: x[x > 0], lambda x: x[[0, 0]], lambda x: x.pad((1, 1)), lambda x: x.flip(0),
    lambda x: x.gather(1, tl.tensor([[0], [1], [2]])), lambda x: x.masked_fill(x > 0, 1.0),
    lambda x: x.scatter_add(0, tl.tensor([[0, 1, 0, 1]]), tl.ones(1, 4)),
    lambda x: x @ x.T, lambda x: x[0].dot(x[1]), lambda x: x[0].outer(x[1]),
    lambda x: tl.einsum("ij,kj->ik", x, x), lambda x: tl.cat([x, x], 1), lambda x: tl.stack([x, x]),
    lambda x: x.split(2, 1)[1], lambda x: x.double().float(),
]


@pytest.mark.parametrize("op", F32_OPS)
def test_no_op_changes_float32(op):
    x = tl.tensor(np.random.default_rng(0).uniform(-1, 1, (3, 4)).astype(np.float32),
                  requires_grad=True)
    out = op(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


# ---------------------------------------------------------------- factories
@pytest.mark.parametrize("make,shape,dtype", [
    (lambda: tl.zeros(2, 3), (2, 3), np.float32), (lambda: tl.ones((2, 3)), (2, 3), np.float32),
    (lambda: tl.full((2,), 1.5), (2,), np.float32), (lambda: tl.full((2,), 7), (2,), np.int64),
    (lambda: tl.empty(4), (4,), np.float32), (lambda: tl.arange(5), (5,), np.int64),
    (lambda: tl.arange(0, 1, 0.25), (4,), np.float32), (lambda: tl.linspace(0, 1, 5), (5,), np.float32),
    (lambda: tl.eye(3), (3, 3), np.float32), (lambda: tl.rand(2, 2), (2, 2), np.float32),
    (lambda: tl.randn(3), (3,), np.float32), (lambda: tl.randint(0, 5, (4,)), (4,), np.int64),
    (lambda: tl.zeros(2, dtype="float64"), (2,), np.float64),
    (lambda: tl.zeros_like(tl.zeros(2, 3, dtype="float64")), (2, 3), np.float64),
    (lambda: tl.ones_like(tl.ones(2)), (2,), np.float32),
    (lambda: tl.rand_like(tl.ones(2, 1)), (2, 1), np.float32),
    (lambda: tl.randn_like(tl.ones(1, dtype="float64")), (1,), np.float64),
])
def test_factories(make, shape, dtype):
    t = make()
    assert t.shape == shape and t.dtype == dtype and not t.requires_grad


def test_factory_values():
    assert tl.arange(1, 7, 2).tolist() == [1, 3, 5]
    np.testing.assert_allclose(tl.linspace(0, 1, 3).numpy(), [0, 0.5, 1])
    np.testing.assert_array_equal(tl.eye(2).numpy(), np.eye(2))
    assert tl.full((2,), 3.0).tolist() == [3.0, 3.0]
    r = tl.rand(1000).numpy()
    assert 0 <= r.min() and r.max() < 1
    i = tl.randint(3, 6, (200,)).numpy()
    assert i.min() >= 3 and i.max() < 6
    j = tl.randint(4, (3, 50))  # torch's randint(high, size)
    assert j.shape == (3, 50) and j.numpy().min() >= 0 and j.numpy().max() < 4
    assert tl.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_random_factories_reproducible():
    def draw():
        return [tl.rand(3).numpy(), tl.randn(2, 2).numpy(), tl.randint(0, 100, (5,)).numpy(),
                tl.randn_like(tl.zeros(2)).numpy()]
    tl.manual_seed(123)
    a = draw()
    tl.manual_seed(123)
    b = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(draw()[1], b[1])


# ---------------------------------------------------------------- attributes and conversion
def test_attributes():
    x = tl.tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    assert x.is_leaf and x.grad_fn is None and x.grad is None and x.requires_grad
    assert not y.is_leaf and y.grad_fn is not None and "Mul" in y.grad_fn.name()
    assert y.shape == (2, 3) and isinstance(y.shape, tuple) and y.ndim == 2
    assert y.dtype == np.float64 and y.size() == (2, 3) and y.size(1) == 3 and y.numel() == 6
    assert y.T.shape == (3, 2) and len(y) == 2
    assert "grad_fn=<MulBackward0>" in repr(y) and "requires_grad=True" in repr(x)


def test_conversions():
    x = tl.tensor([[1.5, 2.5]])
    assert x.numpy() is x.numpy()
    assert np.asarray(x) is x.numpy() and np.asarray(x, dtype=np.float64).dtype == np.float64
    copied = np.array(x)
    assert not np.shares_memory(copied, x.numpy()) and copied.tolist() == x.tolist()
    assert x.tolist() == [[1.5, 2.5]]
    assert x[0, 1].item() == 2.5 and isinstance(x[0, 1].item(), float)
    assert float(x[0, 0]) == 1.5 and int(tl.tensor(3)) == 3
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.long().tolist() == [[1, 2]] and x.long().dtype == np.int64
    assert x.astype(np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="only one-element tensors"):
        x.item()


def test_detach_and_clone():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.numpy())
    c = x.clone()
    assert c.requires_grad and not np.shares_memory(c.numpy(), x.numpy())
    (c * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_casting_is_differentiable():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("op,expected", [
    (lambda a, b: a == b, [False, True, False]), (lambda a, b: a != b, [True, False, True]),
    (lambda a, b: a < b, [True, False, False]), (lambda a, b: a <= b, [True, True, False]),
    (lambda a, b: a > b, [False, False, True]), (lambda a, b: a >= b, [False, True, True]),
    (lambda a, b: a > 1.5, [False, True, True]), (lambda a, b: 2.0 > a, [True, False, False]),
])
def test_comparisons_return_bool_without_grad(op, expected):
    a = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tl.tensor([2.0, 2.0, 2.0], requires_grad=True)
    out = op(a, b)
    assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
    assert out.tolist() == expected


# ---------------------------------------------------------------- errors
def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not align \(4 != 5\)"):
        tl.ones(3, 4) @ tl.ones(5, 2)
    with pytest.raises(ValueError, match=r"batch dims of \(2, 3, 4\) and \(3, 4, 2\)"):
        tl.ones(2, 3, 4) @ tl.ones(3, 4, 2)
    with pytest.raises(ValueError, match="at least 1 dim"):
        tl.tensor(2.0) @ tl.ones(2)
    with pytest.raises(ValueError, match=r"dot: needs two 1-D tensors, got \(2, 2\) and \(2,\)"):
        tl.ones(2, 2).dot(tl.ones(2))


def test_broadcasting_error_names_both_shapes():
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a - b):
        with pytest.raises(ValueError, match=r"shapes \(3, 4\) and \(2, 4\) cannot be broadcast"):
            op(tl.ones(3, 4), tl.ones(2, 4))
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\) cannot be broadcast"):
        _ = tl.ones(3) < tl.ones(4)
    with pytest.raises(ValueError, match="where: shapes"):
        tl.where(tl.ones(3) > 0, tl.ones(2), 0.0)


def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, -1\)"):
        tl.ones(2, 3).reshape(4, -1)
    with pytest.raises(ValueError, match=r"into \(7,\)"):
        tl.ones(2, 3).view(7)
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 3\) to \(4, 3\)"):
        tl.ones(2, 3).expand(4, 3)


def test_cat_and_stack_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 4\).*tensor 0's shape \(2, 3\) outside dim 0"):
        tl.cat([tl.ones(2, 3), tl.ones(2, 4)])
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(3,\), tensor 0 has \(2,\)"):
        tl.stack([tl.ones(2), tl.ones(3)])


def test_mean_var_std_of_integers_are_clear_errors():
    with pytest.raises(TypeError, match="mean: needs a floating-point tensor, got int64"):
        tl.tensor([1, 2]).mean()
    for op in (lambda t: t.var(), lambda t: t.std(1)):
        with pytest.raises(TypeError, match="(var|std): needs a floating-point tensor, got bool"):
            op(tl.tensor([[True, False]]))


def test_dim_and_index_errors():
    with pytest.raises(IndexError, match="sum: dim 2 is out of range for a tensor with 2"):
        tl.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="gather: index 5 is out of range for dim 1 of size 3"):
        tl.ones(2, 3).gather(1, tl.tensor([[0], [5]]))
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        tl.ones(2, 3).gather(1, tl.tensor([[0.0]]))
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation|names the same axis"):
        tl.ones(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match="split: sections"):
        tl.ones(5).split([2, 2])


def test_backward_on_non_scalar_needs_gradient():
    y = tl.ones(2, 3, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\), not a scalar; pass gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), but the tensor has shape \(2, 3\)"):
        y.backward(tl.ones(3))
    y.backward(tl.ones(2, 3))  # with a gradient it works


def test_backward_through_freed_graph():
    x = tl.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tl.ones(2).sum().backward()
    x = tl.ones(2, requires_grad=True)
    with tl.no_grad():
        y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


@pytest.mark.parametrize("make", [lambda: tl.tensor([1, 2], requires_grad=True),
                                  lambda: tl.tensor([True], requires_grad=True),
                                  lambda: tl.tensor([1, 2]).requires_grad_(),
                                  lambda: tl.zeros(2, dtype="int64", requires_grad=True)])
def test_int_and_bool_tensors_cannot_require_grad(make):
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        make()


def test_requires_grad_off_on_non_leaf_is_an_error():
    y = tl.ones(2, requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="only be turned off on leaf tensors"):
        y.requires_grad_(False)


class KernelSquare(Function):
    """An op whose backward is not differentiable (as if computed by a kernel)."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 2.0


def test_unsupported_double_backward_names_the_op():
    x = tl.tensor(np.array([1.0, 3.0]), requires_grad=True)
    (g,) = tl.autograd.grad(KernelSquare.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [2.0, 6.0])  # the first derivative is fine
    with pytest.raises(RuntimeError, match="double backward through KernelSquare is not supported"):
        g.sum().backward()
    assert tl.autograd.gradcheck(KernelSquare.apply, [x])
    with pytest.raises(RuntimeError, match="KernelSquare"):
        tl.autograd.gradgradcheck(KernelSquare.apply, [x])


def test_custom_function_gradient_of_wrong_shape_is_a_clear_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return tl.ones(3, dtype="float64")

    x = tl.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"BadBackward returned a gradient of shape \(3,\) for argument 0, whose shape is \(2,\)"):
        Bad.apply(x).backward()


def test_inplace_errors():
    x = tl.ones(2, 3)
    with pytest.raises(ValueError, match=r"in-place \+=: operand of shape \(4,\) cannot be broadcast to the tensor's shape \(2, 3\)"):
        x += np.ones(4)
    with pytest.raises(TypeError, match="in-place"):
        i = tl.tensor([1, 2])
        i += 0.5
    c = tl.ones(3, requires_grad=True) * 1.0
    with pytest.raises(ValueError, match=r"in-place \+=: the result has shape \(2, 3\), which "
                                         r"cannot be written into the tensor's shape \(3,\)"):
        c += tl.ones(2, 3)


def test_inplace_with_an_operand_that_requires_grad_is_recorded():
    w = tl.ones(2)
    v = tl.tensor([2.0, 3.0], requires_grad=True)
    w += v * v  # as in PyTorch, w joins the graph
    assert w.requires_grad and w.grad_fn.name() == "AddBackward0"
    w.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [4.0, 6.0])


@pytest.mark.parametrize("make", [lambda x: x.sum(), lambda x: x[0], lambda x: x.mean() * 3.0,
                                  lambda x: x.sum().exp()])
def test_inplace_on_a_zero_dim_result(make):
    y = make(tl.tensor([1.0, 2.0]))  # numpy hands these back as scalars, not arrays
    expected = y.item() * 2 + 1
    y *= 2.0
    y += 1.0
    assert y.item() == pytest.approx(expected) and y.shape == ()
    y.zero_()
    assert y.item() == 0.0


def test_inplace_on_an_expanded_view_is_a_clear_error():
    y = tl.ones(1, 2).expand(3, 2)
    for op in (lambda: y.__iadd__(1.0), lambda: y.__setitem__(0, 2.0), lambda: y.zero_()):
        with pytest.raises(RuntimeError, match="in-place .* read-only view .*contiguous"):
            op()
    z = y.contiguous()
    z += 1.0
    assert z.tolist() == [[2.0, 2.0]] * 3


def test_masked_fill_errors():
    x = tl.ones(2, 3)
    with pytest.raises(ValueError, match=r"masked_fill: mask of shape \(4, 2, 3\) does not broadcast to the tensor's shape \(2, 3\)"):
        x.masked_fill(tl.ones(4, 2, 3) > 0, 0.0)
    with pytest.raises(ValueError, match=r"mask of shape \(2,\)"):
        x.masked_fill(tl.tensor([True, False]), 0.0)
    with pytest.raises(TypeError, match="mask must be a boolean tensor, got int64"):
        x.masked_fill(tl.tensor([1, 0, 1]), 0.0)
    assert x.masked_fill(tl.tensor([True, False, True]), 5.0).tolist() == [[5.0, 1.0, 5.0]] * 2


@pytest.mark.parametrize("fn,error,match", [
    (lambda: tl.ones(0).amax(), ValueError, "amax: cannot reduce an empty tensor"),
    (lambda: tl.ones(2, 0).amin(1), ValueError, "amin: cannot reduce an empty tensor"),
    (lambda: tl.ones(4).chunk(0), ValueError, "chunk: chunks must be positive, got 0"),
    (lambda: tl.ones(4).reshape(2.5, 2), TypeError, "sizes must be integers"),
    (lambda: tl.zeros(2.0), TypeError, r"zeros\(\): size must be a tuple of ints"),
    (lambda: tl.tensor([[1, 2], [3]]), ValueError, "nested lists of different lengths"),
    (lambda: tl.ones(0, 3).max(0), ValueError, "max: cannot reduce over an empty dimension 0"),
    (lambda: tl.ones(0).argmax(), ValueError, "argmax/argmin: the tensor is empty"),
])
def test_more_user_errors(fn, error, match):
    with pytest.raises(error, match=match):
        fn()


def test_truth_value_and_len_errors():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tl.ones(2))
    with pytest.raises(TypeError, match="0-d"):
        len(tl.tensor(1.0))


@pytest.mark.parametrize("name,args", [
    ("exp", ()), ("log", ()), ("log1p", ()), ("expm1", ()), ("sqrt", ()), ("rsqrt", ()),
    ("sin", ()), ("cos", ()), ("tan", ()), ("tanh", ()), ("sigmoid", ()), ("relu", ()),
    ("leaky_relu", (0.2,)), ("elu", ()), ("gelu", ()), ("softplus", ()), ("sign", ()),
    ("abs", ()), ("clamp", (0.6, 0.9)), ("pow", (3,)), ("reciprocal", ()), ("square", ()),
    ("erf", ()), ("sum", (1,)), ("mean", ()), ("prod", (0,)), ("amax", (1,)), ("amin", ()),
    ("argmax", (1,)), ("argmin", ()), ("var", (1,)), ("std", ()), ("norm", ()),
    ("logsumexp", (1,)), ("softmax", (1,)), ("log_softmax", (0,)), ("cumsum", (1,)),
    ("reshape", (4, 3)), ("flatten", ()), ("squeeze", ()), ("unsqueeze", (0,)),
    ("transpose", (0, 1)), ("permute", (1, 0)), ("expand", ((2, 3, 4),)), ("repeat", (1, 2)),
    ("flip", (0,)), ("pad", ((1, 1),)), ("masked_fill", (tl.ones(3, 4) > 0, 0.0)),
])
def test_functional_forms_equal_the_methods(name, args):
    x = tl.tensor(np.random.default_rng(0).uniform(0.5, 1.0, (3, 4)))
    np.testing.assert_array_equal(getattr(tl, name)(x, *args).numpy(),
                                  getattr(x, name)(*args).numpy())


def test_two_argument_functions():
    a, b = tl.tensor([1.0, 5.0]), tl.tensor([3.0, 2.0])
    assert tl.maximum(a, b).tolist() == [3.0, 5.0] and tl.minimum(a, b).tolist() == [1.0, 2.0]
    assert tl.where(a > b, a, b).tolist() == [3.0, 5.0]
    assert tl.matmul(a, b).item() == 13.0 and tl.dot(a, b).item() == 13.0
    assert tl.outer(a, b).shape == (2, 2)


def test_a_range_indexes_like_a_list_as_in_pytorch():
    x = tl.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    y = tl.tensor([0, 2, 1, 1])
    picked = x[range(4), y]  # the nn_tutorial's negative log-likelihood
    np.testing.assert_array_equal(picked.numpy(), [0.0, 5.0, 7.0, 10.0])
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().argmax(1), [0, 2, 1, 1])


def test_tuple_indices_of_slices_and_ints_match_numpy_and_check_their_bounds():
    """t[:, :H], t[i, j], t[-1, 1:]: numpy's values and PyTorch's node names; an int out of
    range, too many indices or a bool part still get the checks."""
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tl.tensor(a, requires_grad=True)
    for idx in [(slice(None), slice(None, 2)), (1, 2), (-1, slice(1, None)), (0, -3, 3),
                (slice(5, 9),), (1, slice(None), slice(2, 3))]:
        out = t[idx]
        np.testing.assert_array_equal(out.numpy(), a[idx])
    assert type(t[:, :2].grad_fn).__name__ == "SliceBackward0"
    assert type(t[1, 2].grad_fn).__name__ == "SelectBackward0"
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 3"):
        t[0, 3]
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 2"):
        t[-3, 0]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0, 0]
    np.testing.assert_array_equal(t[True, 0].numpy(), a[True, 0])

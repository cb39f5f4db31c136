"""Every Tensor op against PyTorch in float64: forward, backward, gradcheck, gradgradcheck.

One line per op: `check(fn, shapes)` from tests/oracle.py does all four. Every op here
supports double backward; grad_check/gradgrad_check=False appear only where finite
differences do not apply (ties, the zero vector, argmax's integer output) or to keep the
property tests fast. The property tests draw shapes, broadcastable pairs and non-contiguous
inputs (transposed, stepped, flipped, broadcast; or made with Tensor views) from
tests/strategies.py.
"""
import warnings

import numpy as np
import pytest
import strategies as S
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracle import check

import tinygrad_lr as tl

IDX = np.array([[0, 2, 1, 2], [1, 1, 0, 0], [2, 0, 2, 1]])  # for gather / scatter_add
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])


def both(ours, theirs):
    """(our spelling, torch's spelling) of one op, for parametrize lists."""
    return ours, theirs


# ---------------------------------------------------------------- arithmetic
@pytest.mark.parametrize("fn,shapes,kw", [
    (lambda x, y: x + y, [(3, 1), (1, 4)], {}),
    (lambda x, y: x - y, [(2, 3, 4), (4,)], {}),
    (lambda x, y: x * y, [(3, 1), (1, 4)], {}),
    (lambda x, y: x / y, [(3, 4), (3, 1)], {"positive": True}),
    (lambda x, y: x ** y, [(3, 4), (4,)], {"positive": True}),
    (lambda x, y: x @ y, [(3, 4), (4, 2)], {}),
    (lambda x: x + 2.5, [(3, 4)], {}),
    (lambda x: 2.5 + x, [(3, 4)], {}),
    (lambda x: x - 1.5, [(3, 4)], {}),
    (lambda x: 1.5 - x, [(3, 4)], {}),
    (lambda x: x * 3, [(3, 4)], {}),
    (lambda x: 3 * x, [(3, 4)], {}),
    (lambda x: x / 4.0, [(3, 4)], {}),
    (lambda x: 4.0 / x, [(3, 4)], {"positive": True}),
    (lambda x: x ** 2, [(3, 4)], {}),
    (lambda x: x ** 3, [(3, 4)], {}),
    (lambda x: x ** 0.5, [(3, 4)], {"positive": True}),
    (lambda x: x ** -1.5, [(3, 4)], {"positive": True}),
    (lambda x: x ** 0, [(3, 4)], {}),
    (lambda x: 2.0 ** x, [(3, 4)], {}),
    (lambda x: np.float64(2.0) * x, [(3, 4)], {}),
    (lambda x: -x, [(3, 4)], {}),
    (lambda x: abs(x), [(3, 4)], {}),
    (lambda x: x.abs(), [(3, 4)], {}),
    (lambda x: x.pow(3), [(3, 4)], {}),
    (lambda x, y: x.pow(y), [(3, 1), (4,)], {"positive": True}),
    (lambda x: x.reciprocal(), [(3, 4)], {"positive": True}),
    (lambda x: x.square(), [(3, 4)], {}),
    (lambda x: x * x, [(3, 4)], {}),
])
def test_arithmetic(fn, shapes, kw):
    check(fn, shapes, **kw)


# ---------------------------------------------------------------- one variable
@pytest.mark.parametrize("name", ["exp", "sin", "cos", "tanh", "sigmoid", "erf", "expm1", "sign"])
def test_unary(name):
    check(lambda x: getattr(x, name)(), [(3, 4)])


@pytest.mark.parametrize("name", ["log", "log1p", "sqrt", "rsqrt"])
def test_unary_positive(name):
    check(lambda x: getattr(x, name)(), [(3, 4)], positive=True)


def test_tan():
    check(lambda x: x.tan(), [(3, 4)], low=-1.2, high=1.2)


def test_relu():
    check(lambda x: x.relu(), [(3, 4)])


@pytest.mark.parametrize("ours,theirs", [
    both(lambda x: x.leaky_relu(), TF.leaky_relu),
    both(lambda x: x.leaky_relu(0.2), lambda x: TF.leaky_relu(x, 0.2)),
    both(lambda x: x.elu(), TF.elu),
    both(lambda x: x.elu(0.7), lambda x: TF.elu(x, 0.7)),
    both(lambda x: x.gelu(), TF.gelu),
    both(lambda x: x.gelu(approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    both(lambda x: x.softplus(), TF.softplus),
    both(lambda x: x.softplus(beta=2.0, threshold=1.0), lambda x: TF.softplus(x, 2.0, 1.0)),
    both(lambda x: tl.exp(x) + tl.relu(x), lambda x: torch.exp(x) + torch.relu(x)),
])
def test_activations(ours, theirs):
    check(ours, [(3, 4)], theirs, low=-3, high=3)


@pytest.mark.parametrize("fn", [
    lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(min=-0.3), lambda x: x.clamp(max=0.2),
    lambda x: x.clip(-1.0, 1.0),
])
def test_clamp(fn):
    check(fn, [(4, 5)])


@pytest.mark.parametrize("ours,theirs,shapes", [
    (tl.maximum, torch.maximum, [(3, 1), (1, 4)]),
    (tl.minimum, torch.minimum, [(3, 4), (4,)]),
    (lambda x, y: x.max(y), lambda x, y: x.max(y), [(3, 4), (3, 4)]),
    (lambda x, y: tl.where(x > 0, x, y), lambda x, y: torch.where(x > 0, x, y), [(3, 1), (1, 4)]),
    (lambda x: tl.where(x > 0, x, 0.5), lambda x: torch.where(x > 0, x, 0.5), [(3, 4)]),
    (lambda x: tl.where(x > 0, 0.5, x), lambda x: torch.where(x > 0, 0.5, x), [(3, 4)]),
])
def test_binary_functions(ours, theirs, shapes):
    check(ours, shapes, theirs)


def test_maximum_ties_share_the_gradient():
    check(tl.maximum, [], torch.maximum, arrays=[[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]],
          grad_check=False, gradgrad_check=False)


# ---------------------------------------------------------------- reductions
@pytest.mark.parametrize("fn", [
    lambda x: x.sum(), lambda x: x.sum(1), lambda x: x.sum((0, 2), keepdim=True),
    lambda x: x.sum(-1, keepdim=True),
    lambda x: x.mean(), lambda x: x.mean(0), lambda x: x.mean((1, 2), keepdim=True),
    lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(2, keepdim=True),
    lambda x: x.amax(), lambda x: x.amax((0, 2)), lambda x: x.amin(1, keepdim=True),
    lambda x: x.max(), lambda x: x.min(), lambda x: x.max(1), lambda x: x.min(-1, keepdim=True),
    lambda x: x.var(), lambda x: x.var(1), lambda x: x.var((0, 2), keepdim=True),
    lambda x: x.var(1, unbiased=False), lambda x: x.std(), lambda x: x.std(2, keepdim=True),
    lambda x: x.logsumexp(1), lambda x: x.logsumexp((0, 2), keepdim=True),
    lambda x: x.softmax(1), lambda x: x.softmax(-1), lambda x: x.log_softmax(0),
    lambda x: x.log_softmax(-1), lambda x: x.cumsum(1), lambda x: x.cumsum(-1),
])
def test_reductions(fn):
    check(fn, [(2, 3, 4)])

@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("op", ["var", "std"])
def test_variance_of_one_element_has_a_nan_gradient(op, create_graph):
    """n <= correction: PyTorch's gradient is NaN; ours raised ZeroDivisionError for var."""
    x, xt = tl.tensor([1.5], requires_grad=True), torch.tensor([1.5], requires_grad=True)
    (g,) = tl.autograd.grad(getattr(x, op)(), x, create_graph=create_graph)
    (gt,) = torch.autograd.grad(getattr(xt, op)(), xt)
    assert np.isnan(g.numpy()).all() and torch.isnan(gt).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("fn, shapes", [
    (lambda x: x.sum((2, 3)), [(3, 4, 30, 40)]),           # a global average pool's sum
    (lambda x: x.mean(-1, keepdim=True), [(5, 2100)]),     # rows longer than a kernel block
    (lambda x: x.sum(0), [(1100, 3)]),                     # a bias gradient's leading axis
    (lambda x: x.mean((0, 2)), [(7, 3, 1100)]),            # two runs of axes
    (lambda x: x.sum(), [(40, 50)]), (lambda x: x.norm(dim=1), [(30, 70)]),
    (lambda x, b: x + b, [(30, 70), (70,)]),               # b's gradient: unbroadcast's sum
])
def test_sums_at_kernel_sizes(fn, shapes, dtype):
    """Sizes that run kernels/reduce.py instead of np.sum, against torch (values, grads)."""
    check(fn, shapes, dtype=dtype, grad_check=False, gradgrad_check=False)



@pytest.mark.parametrize("fn", [
    lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.mean(), lambda x: x.prod(), lambda x: x.max(0),
    lambda x: x.cumsum(0), lambda x: x.softmax(0), lambda x: x.logsumexp(0), lambda x: x.norm(),
    lambda x: x.unsqueeze(0), lambda x: x.flatten(), lambda x: x.expand(3, 2), lambda x: x.repeat(2),
])
def test_zero_dim_tensors(fn):
    check(fn, [()])


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.sum(0), [(0, 3)]), (lambda x: x.prod(0), [(0, 3)]), (lambda x: x.mean(), [(0,)]),
    (lambda x: x.logsumexp(0), [(0, 3)]), (lambda x: x.softmax(1), [(0, 3)]),
    (lambda x: x.cumsum(0), [(0, 3)]), (lambda x: x.norm(), [(0, 3)]), (lambda x: x[[]], [(2, 3)]),
    (lambda x: x[2:], [(2, 3)]), (lambda x: x.repeat(0, 1), [(2, 3)]),
    (lambda x: x.expand(0, 3), [(1, 3)]), (lambda x, y: x @ y, [(2, 0), (0, 3)]),
])
def test_empty_tensors(fn, shapes):
    check(fn, shapes, grad_check=False, gradgrad_check=False)


@pytest.mark.parametrize("p", [1, 2, 3, float("inf")])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 1), True)])
def test_norm(p, dim, keepdim):
    check(lambda x: x.norm(p, dim, keepdim), [(3, 4)],
          lambda x: x.norm(p, dim, keepdim))


def test_norm_of_zero_vector_has_zero_gradient():
    check(lambda x: (x * 0).norm(), [(3,)], lambda x: (x * 0).norm(), grad_check=False,
          gradgrad_check=False)


@pytest.mark.parametrize("fn", [lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0),
                                lambda x: x.prod(1, keepdim=True)])
def test_prod_with_zeros(fn):
    # one zero in a row, two zeros in a row, none: out / x would be 0/0
    check(fn, arrays=[[[1.5, 0.0, 2.0], [0.0, 3.0, 0.0], [-1.0, 0.5, 2.0]]])


def test_prod_over_several_dims_with_zeros():
    x = np.arange(12.0).reshape(2, 2, 3) - 5.0  # a zero at [0, 1, 2]
    check(lambda t: t.prod((0, 2)), [], lambda t: t.permute(1, 0, 2).reshape(2, -1).prod(1),
          arrays=[x])


def test_prod_with_zeros_third_derivative():
    x = tl.tensor(np.array([1.5, 0.0, 2.0, 0.5]), requires_grad=True)
    xt = torch.tensor(x.numpy(), requires_grad=True)
    g, gt = x.prod(), xt.prod()
    for _ in range(3):
        (g,) = tl.autograd.grad(g.sum() if g.ndim else g, x, create_graph=True)
        (gt,) = torch.autograd.grad(gt.sum() if gt.ndim else gt, xt, create_graph=True)
        np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (0, True), (-1, False)])
def test_argmax_argmin(name, dim, keepdim):
    check(lambda x: getattr(x, name)(dim, keepdim) if dim is not None else getattr(x, name)(),
          [(3, 4)], backward=False, grad_check=False, gradgrad_check=False)


def test_max_dim_returns_values_and_indices():
    x = tl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert x.max(1).values.tolist() == [5.0, 7.0] and x.min(0).indices.tolist() == [0, 1, 0]


@pytest.mark.parametrize("ours,theirs,shapes", [
    (lambda x: x.exp() * x.sigmoid(), lambda x: x.exp() * x.sigmoid(), [(3, 4)]),
    (lambda x: x.tanh() + x.erf() + x.sin() * x.cos(),
         lambda x: x.tanh() + x.erf() + x.sin() * x.cos(), [(3, 4)]),
    (lambda x: x.gelu() + x.gelu(approximate="tanh"),
         lambda x: TF.gelu(x) + TF.gelu(x, approximate="tanh"), [(3, 4)]),
    (lambda x: x.softplus() + x.elu() + x.leaky_relu(0.1),
         lambda x: TF.softplus(x) + TF.elu(x) + TF.leaky_relu(x, 0.1), [(3, 4)]),
    (lambda x: x.softmax(1), lambda x: x.softmax(1), [(3, 4)]),
    (lambda x: x.log_softmax(0), lambda x: x.log_softmax(0), [(3, 4)]),
    (lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [(3, 4)]),
    (lambda x: (x.var(1), x.std(0), x.norm(), x.norm(3, 1)),
         lambda x: (x.var(1), x.std(0), x.norm(), x.norm(3, 1)), [(3, 4)]),
    (lambda x, y: (x @ y).abs().sqrt(), lambda x, y: (x @ y).abs().sqrt(), [(2, 3, 4), (4, 5)]),
    (lambda x, y: x / y + x ** 2, lambda x, y: x / y + x ** 2, [(3, 4), (4,)]),
    (lambda x: x.cumsum(1).prod(0), lambda x: x.cumsum(1).prod(0), [(3, 4)]),
])
def test_float32_against_torch_float32(ours, theirs, shapes):
    check(ours, shapes, theirs, dtype="float32", positive=True)


# ---------------------------------------------------------------- numerical care
BIG = [[1000.0, -1000.0, 0.0, 999.0], [-1000.0, -1000.0, -999.0, 1.0]]


@pytest.mark.parametrize("ours,theirs", [
    both(lambda x: x.softmax(1), lambda x: x.softmax(1)),
    both(lambda x: x.log_softmax(1), lambda x: x.log_softmax(1)),
    both(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1)),
    both(lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    both(lambda x: x.softplus(), TF.softplus),
    both(lambda x: x.tanh(), lambda x: x.tanh()),
    both(lambda x: x.elu(), TF.elu),
])
def test_stable_at_plus_minus_1000(ours, theirs):
    # overflow, 0/0 and log(0) raise; underflow (exp(-2000) == 0) is the right answer
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        check(ours, [], theirs, arrays=[BIG], gradgrad_check=False)
        x = tl.tensor(BIG, dtype="float32", requires_grad=True)  # and in float32
        out = ours(x)
        out.backward(tl.ones_like(out))
        assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "erf", "expm1", "softplus", "elu"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relative_precision_in_the_tails(name, dtype):
    # atol would hide a tail that collapses to 0 (sigmoid(-40) is 4e-18): compare relatively
    x = np.concatenate([np.linspace(-40, 40, 801), np.logspace(-30, 1, 100), -np.logspace(-30, 1, 100)])
    x = x.astype(dtype)
    ours = getattr(tl.tensor(x), name)().numpy()
    theirs = getattr(TF, name)(torch.tensor(x)).numpy() if name in ("softplus", "elu") else \
        getattr(torch.tensor(x), name)().numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-13 if dtype == "float64" else 2e-6, atol=0)


@pytest.mark.parametrize("dtype,x", [("float64", [60.0, 30.0]), ("float32", [60.0, 50.0])])
def test_log_softmax_of_the_dominant_entry_keeps_its_precision(dtype, x):
    # x_max - (x_max + log(s)) cancels to a few ulps of x_max; (x_max - x_max) - log(s) does not
    out = tl.tensor(np.array([x], dtype=dtype)).log_softmax(1).numpy()[0, 0]
    np.testing.assert_allclose(out, -np.log1p(np.exp(x[1] - x[0])), rtol=1e-2)  # was 25% off


# ---------------------------------------------------------------- shape ops
@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(4, 6), lambda x: x.reshape(-1), lambda x: x.reshape((2, -1, 3)),
    lambda x: x.view(6, 4), lambda x: x.flatten(), lambda x: x.flatten(1),
    lambda x: x.flatten(0, 1), lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(-1),
    lambda x: x.unsqueeze(1).squeeze(1), lambda x: x.transpose(0, 2), lambda x: x.transpose(-1, 1),
    lambda x: x.permute(2, 0, 1), lambda x: x.permute((1, 2, 0)), lambda x: x.mT, lambda x: x[0].T,
    lambda x: x.permute(2, 0, 1).contiguous(), lambda x: x.repeat(2, 1, 2),
    lambda x: x.repeat(2, 1, 1, 1), lambda x: x.flip((0, 2)), lambda x: x.flip((1,)),
    lambda x: x.split(2, dim=2), lambda x: x.split([1, 2], dim=1), lambda x: x.chunk(2, dim=-1),
    lambda x: x.chunk(3, dim=1),
])
def test_shape_ops(fn):
    check(fn, [(2, 3, 4)])


@pytest.mark.parametrize("fn", [
    lambda x: x.squeeze(), lambda x: x.squeeze(0), lambda x: x.squeeze(-1),
    lambda x: x.expand(2, 3, 4), lambda x: x.expand(5, -1, 3, -1),
    lambda x: x.broadcast_to((2, 3, 4)),
])
def test_size_one_dims(fn):
    check(fn, [(1, 3, 1)])


@pytest.mark.parametrize("ours,theirs,shapes", [
    (lambda x, y: tl.cat([x, y]), lambda x, y: torch.cat([x, y]), [(2, 3), (4, 3)]),
    (lambda x, y: tl.cat([x, y], dim=1), lambda x, y: torch.cat([x, y], dim=1), [(2, 3), (2, 1)]),
    (lambda x, y: tl.cat((x, y, x), -1), lambda x, y: torch.cat((x, y, x), -1), [(2, 3), (2, 2)]),
    (lambda x, y: tl.stack([x, y]), lambda x, y: torch.stack([x, y]), [(2, 3), (2, 3)]),
    (lambda x, y: tl.stack([x, y], 2), lambda x, y: torch.stack([x, y], 2), [(2, 3), (2, 3)]),
    (lambda x, y: tl.stack([x, y], -1), lambda x, y: torch.stack([x, y], -1), [(2, 3), (2, 3)]),
])
def test_cat_stack(ours, theirs, shapes):
    check(ours, shapes, theirs)


@pytest.mark.parametrize("fn", [
    lambda x: x[1], lambda x: x[-1, 2], lambda x: x[:, 1:3], lambda x: x[::2, 1::2],
    lambda x: x[None], lambda x: x[:, None, 2], lambda x: x[..., 1], lambda x: x[1, ...],
    lambda x: x[x > 0], lambda x: x[[0, 2, 0]], lambda x: x[[0, 0, 0]],
    lambda x: x[:, [1, 1, 3, 1]], lambda x: x[[0, 2, 2], [1, 1, 1]], lambda x: x[1:, [0, 0]],
    lambda x: x[x[:, 0] > 0],
])
def test_indexing(fn):
    check(fn, [(3, 4)])


def test_indexing_with_numpy_and_tensor_arrays():
    rows = np.array([2, 0, 2, 2])
    check(lambda x: x[tl.tensor(rows)], [(3, 4)], lambda x: x[torch.tensor(rows)])
    check(lambda x: x[rows], [(3, 4)], lambda x: x[torch.tensor(rows)])
    check(lambda x: x[tl.tensor(MASK)], [(3, 4)], lambda x: x[torch.tensor(MASK)])


def test_repeated_indices_accumulate():
    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


@pytest.mark.parametrize("pads", [(1, 2), (1, 0, 2, 1), (0, 0, 0, 0, 1, 1), (-1, 1), (1, -2, 0, 1)])
def test_pad(pads):
    check(lambda x: x.pad(pads), [(2, 3, 4)], lambda x: TF.pad(x, pads))


def test_pad_value():
    check(lambda x: x.pad((1, 1), value=2.5), [(2, 3)], lambda x: TF.pad(x, (1, 1), value=2.5))


@pytest.mark.parametrize("dim,index", [(1, IDX), (0, IDX[:2]), (1, IDX[:, :2]), (-1, IDX), (0, IDX[:2, :3])])
def test_gather(dim, index):
    check(lambda x: x.gather(dim, tl.tensor(index)), [(3, 4)],
          lambda x: x.gather(dim, torch.tensor(index)))


@pytest.mark.parametrize("dim,index,src_shape", [(0, IDX, (3, 4)), (1, IDX, (3, 4)),
                                                 (1, IDX[:2, :3], (3, 4)), (0, IDX[:1], (2, 4))])
def test_scatter_add(dim, index, src_shape):
    # src may be larger than index (only its leading part is used); torch 2.13's backward
    # rejects that case, so torch gets the used part of src explicitly
    used = tuple(slice(0, n) for n in index.shape)
    check(lambda x, s: x.scatter_add(dim, tl.tensor(index), s), [(3, 4), src_shape],
          lambda x, s: x.scatter_add(dim, torch.tensor(index), s[used]))


@pytest.mark.parametrize("ours,theirs", [
    both(lambda x: x.masked_fill(tl.tensor(MASK), 0.5), lambda x: x.masked_fill(torch.tensor(MASK), 0.5)),
    both(lambda x: x.masked_fill(x > 0, -1.0), lambda x: x.masked_fill(x > 0, -1.0)),
    both(lambda x: x.masked_fill(tl.tensor(MASK[0]), 0.0), lambda x: x.masked_fill(torch.tensor(MASK[0]), 0.0)),
])
def test_masked_fill(ours, theirs):
    check(ours, [(3, 4)], theirs)


# ---------------------------------------------------------------- linear algebra
@pytest.mark.parametrize("shapes", [
    [(4,), (4,)], [(4,), (4, 3)], [(3, 4), (4,)], [(3, 4), (4, 2)], [(2, 3, 4), (4, 2)],
    [(2, 2, 3, 4), (4, 2)],  # leading dims folded into one 2-D GEMM, forward and backward
    [(3, 4), (2, 4, 5)], [(2, 1, 3, 4), (3, 4, 2)], [(4,), (2, 4, 3)], [(2, 3, 4), (4,)],
])
def test_matmul(shapes):
    check(lambda x, y: x @ y, shapes)
    check(lambda x, y: x.matmul(y), shapes)


@pytest.mark.parametrize("sa,sb", [((2, 3, 0), (0, 4)), ((0, 3, 4), (4, 2)), ((2, 3, 4), (4, 0))])
def test_batched_matmul_with_zero_sized_dims_matches_torch(sa, sb):
    """The leading dims are folded into one GEMM; with K == 0 or no rows it still works."""
    check(lambda x, y: x @ y, [sa, sb], grad_check=False, gradgrad_check=False)


def test_dot_outer():
    check(lambda x, y: x.dot(y), [(4,), (4,)])
    check(lambda x, y: tl.dot(x, y), [(4,), (4,)], torch.dot)
    check(lambda x, y: x.outer(y), [(3,), (4,)])
    check(lambda x, y: tl.outer(x, y), [(3,), (4,)], torch.outer)


@pytest.mark.parametrize("spec,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (4,)]), ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]), ("...ij,jk->...ik", [(2, 2, 3), (3, 4)]),
    ("bi,bj->bij", [(2, 3), (2, 4)]), ("ij,j->i", [(3, 4), (4,)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij,j->i", [(2, 2, 3), (3,)]),
    ("ij,jj->i", [(2, 3), (3, 3)]), ("ij,ij->ij", [(3, 1), (3, 4)]), ("bij,bjk->bik", [(1, 2, 3), (2, 3, 4)]),
])
def test_einsum(spec, shapes):
    check(lambda *xs: tl.einsum(spec, *xs), shapes, lambda *xs: torch.einsum(spec, *xs))


def test_einsum_errors():
    with pytest.raises(ValueError, match="einsum: subscripts 'ij' have 2 letters but the operand has shape \\(3,\\)"):
        tl.einsum("ij,j->i", tl.ones(3), tl.ones(3))
    with pytest.raises(ValueError, match="einsum: index 'j' has size 3 in one operand and 4"):
        tl.einsum("ij,jk->ik", tl.ones(2, 3), tl.ones(4, 2))


# ---------------------------------------------------------------- property tests
# shapes and layouts come from tests/strategies.py; gradcheck is left to the cases above
SETTINGS = settings(max_examples=25, deadline=None)
FEW = settings(max_examples=15, deadline=None)  # the non-contiguous sweeps
BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "pow": lambda x, y: x ** y,
          "maximum": lambda x, y: x.maximum(y) if isinstance(x, torch.Tensor) else tl.maximum(x, y)}
UNARY = {  # op: ours (torch spells it the same) or (ours, torch's)
    "exp": lambda x: x.exp(), "log": lambda x: x.log(), "sqrt": lambda x: x.sqrt(),
    "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(), "sin": lambda x: x.sin(),
    "abs": lambda x: x.abs(), "relu": lambda x: x.relu(), "square": lambda x: x.square(),
    "reciprocal": lambda x: x.reciprocal(), "erf": lambda x: x.erf(),
    "expm1": lambda x: x.expm1(), "clamp": lambda x: x.clamp(0.7, 1.5),
    "pow_scalar": lambda x: x ** 1.5, "gelu": (lambda x: x.gelu(), TF.gelu),
    "softplus": (lambda x: x.softplus(), TF.softplus),
}
REDUCE = ["sum", "mean", "amax", "amin", "logsumexp", "var", "std", "prod", "norm"]


def _pair(op):
    return op if isinstance(op, tuple) else (op, None)


def _torch_prod(shape, dims, keepdim):
    """torch's prod takes one dim: flatten the reduced dims into one."""
    rest = [d for d in range(len(shape)) if d not in dims]
    kept = tuple(1 if d in dims else n for d, n in enumerate(shape))

    def prod(x):
        flat = x.permute(rest + list(dims)).reshape([shape[d] for d in rest] + [-1]).prod(-1)
        return flat.reshape(kept) if keepdim else flat
    return prod


def _reduction(op, shape, dims, keepdim):
    """(ours, torch's) for reducing `op` over dims."""
    if op == "norm":
        return lambda x: x.norm(2, dims, keepdim), None
    if op == "prod":
        return lambda x: x.prod(dims, keepdim), _torch_prod(shape, dims, keepdim)
    return lambda x: getattr(x, op)(dims, keepdim=keepdim), None


def _no_single_element_variance(op, shape, dims):
    # the unbiased variance of a single element is 0/0 (NaN, in torch too)
    assume(op not in ("var", "std") or np.prod([shape[d] for d in dims]) > 1)


@SETTINGS
@given(shapes=S.broadcastable_shapes(2), op=st.sampled_from(sorted(BINARY)),
       seed=st.integers(0, 1000))
def test_broadcasting_binary_ops(shapes, op, seed):
    # the oracle asserts gradient shape == input shape and values == torch
    check(BINARY[op], shapes, positive=True, seed=seed, grad_check=False,
          gradgrad_check=False)


@SETTINGS
@given(sdk=S.shape_and_dims(), op=st.sampled_from(REDUCE), seed=st.integers(0, 1000))
def test_reductions_over_random_dims(sdk, op, seed):
    shape, dims, keepdim = sdk
    _no_single_element_variance(op, shape, dims)
    ours, theirs = _reduction(op, shape, dims, keepdim)
    check(ours, [shape], theirs, seed=seed, grad_check=False, gradgrad_check=False)


@SETTINGS
@given(shape=S.shapes(min_dims=1), data=st.data())
def test_shape_round_trips(shape, data):
    x = tl.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    perm = data.draw(st.permutations(range(len(shape))))
    back = tuple(np.argsort(perm))
    a, b = data.draw(st.integers(0, len(shape) - 1)), data.draw(st.integers(0, len(shape) - 1))
    for y in (x.permute(perm).permute(back), x.transpose(a, b).transpose(a, b),
              x.reshape(-1).reshape(shape), x.flatten().view(shape), x.unsqueeze(0).squeeze(0)):
        assert y.shape == x.shape
        np.testing.assert_array_equal(y.numpy(), x.numpy())
    check(lambda t: t.permute(perm), [shape], grad_check=False, gradgrad_check=False)
    check(lambda t: t.transpose(a, b).reshape(-1), [shape], grad_check=False, gradgrad_check=False)


# ------------------------------------------------ the same ops on non-contiguous inputs
# a transposed, stepped, flipped or broadcast (read-only) array as the leaf's storage
@FEW
@given(data=st.data(), shape=S.shapes(min_dims=1, max_dims=3), op=st.sampled_from(sorted(UNARY)))
def test_elementwise_on_noncontiguous_inputs(data, shape, op):
    ours, theirs = _pair(UNARY[op])
    x = data.draw(S.arrays(shape, S.NONCONTIGUOUS, positive=True), label="x")
    check(ours, [], theirs, arrays=[x], grad_check=False, gradgrad_check=False)


@FEW
@given(data=st.data(), shapes=S.broadcastable_shapes(2), op=st.sampled_from(sorted(BINARY)))
def test_binary_ops_on_noncontiguous_inputs(data, shapes, op):
    xs = [data.draw(S.arrays(s, S.NONCONTIGUOUS, positive=True), label=f"input {i}")
          for i, s in enumerate(shapes)]
    check(BINARY[op], [], arrays=xs, grad_check=False, gradgrad_check=False)


@FEW
@given(data=st.data(), sdk=S.shape_and_dims(), op=st.sampled_from(REDUCE))
def test_reductions_on_noncontiguous_inputs(data, sdk, op):
    shape, dims, keepdim = sdk
    _no_single_element_variance(op, shape, dims)
    ours, theirs = _reduction(op, shape, dims, keepdim)
    x = data.draw(S.arrays(shape, S.NONCONTIGUOUS), label="x")
    if op in ("var", "std"):
        # a group of equal values has std 0 (gradient 0, as torch's formula says) but its
        # rounding in float64 may not: the two libraries then round differently
        spread = np.ptp(np.asarray(x, dtype=np.float64), axis=dims) if x.size else np.ones(1)
        assume(np.all(spread > 1e-6))
    check(ours, [], theirs, arrays=[x], grad_check=False, gradgrad_check=False)


@FEW
@given(data=st.data(), sd=S.shape_and_dim(),
       op=st.sampled_from(["softmax", "log_softmax", "cumsum", "max", "argmax"]))
def test_dim_ops_on_noncontiguous_inputs(data, sd, op):
    shape, dim = sd
    x = data.draw(S.arrays(shape, layouts=("transposed", "strided", "flipped")), label="x")
    check(lambda t: getattr(t, op)(dim), [], arrays=[x], backward=op != "argmax",
          grad_check=False, gradgrad_check=False)


@FEW
@given(data=st.data(), shapes=S.matmul_shapes())
def test_matmul_on_noncontiguous_inputs(data, shapes):
    xs = [data.draw(S.arrays(s, S.NONCONTIGUOUS), label=f"input {i}") for i, s in enumerate(shapes)]
    check(lambda a, b: a @ b, [], arrays=xs, grad_check=False, gradgrad_check=False)


@FEW
@given(data=st.data(), shape=S.shapes(min_dims=1, max_dims=3),
       op=st.sampled_from(["exp", "sum", "softmax", "matmul", "mul_broadcast"]))
def test_ops_on_tensor_views(data, shape, op):
    # the view is made with Tensor ops, so its backward is checked as well
    view = data.draw(S.tensor_views(shape), label="view")
    fn = {"exp": lambda v: v.exp(), "sum": lambda v: v.sum(0), "softmax": lambda v: v.softmax(-1),
          "matmul": lambda v: v @ v.transpose(-1, -2) if v.ndim > 1 else v @ v,
          "mul_broadcast": lambda v: v * v[..., :1]}[op]
    check(lambda t: fn(view(t)), [view.base_shape], grad_check=False, gradgrad_check=False)

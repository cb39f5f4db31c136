"""jacobian/hessian through one batched backward walk: equal to one walk per row, and to
torch.autograd.functional; ops without batched_backward_ok fall back to the loop."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TAF

import tinygrad_lr as tl
from tinygrad_lr.autograd import Function, functional, hessian, hvp, jacobian, vhp
from tinygrad_lr.graph.engine import can_batch

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 3))
W1, B1 = rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(4) * 0.1
W2, B2 = rng.standard_normal((2, 4)) * 0.5, rng.standard_normal(2) * 0.1
Y = rng.standard_normal((5, 2))


def mlp(lib, F, w1, b1, w2, b2):
    """A 3-4-2 tanh MLP's MSE on fixed data (F.linear: the fused x @ W^T + b node)."""
    h = F.linear(lib.tensor(X), w1, b1).tanh()
    return ((F.linear(h, w2, b2) - lib.tensor(Y)) ** 2).mean()


def mlp_outputs(lib, w1, b1):
    """Matmul with a transposed view, a broadcast bias, a slice and a softmax."""
    h = (lib.tensor(X) @ w1.T + b1).sigmoid()
    return h[1:4].softmax(-1) * h[:3, :1] + h.log_softmax(1)[:3]


def broadcasting(lib, a, b):
    """Broadcasting, division, powers, where/maximum, sums and means over dims."""
    c = a / (b * b + 1.0) - a.reshape(1, 2).exp() * b
    d = lib.where(c > 0, c, 0.1 * c) + lib.maximum(a.expand(3, 2), b.sum(0, keepdim=True))
    e = (d.unsqueeze(0) * a.reshape(2, 1, 1)).mean((0, 2), keepdim=True)
    return (d ** 3).mean(1) + c.sum((0, 1)) * e.reshape(3) + b.permute(1, 0).sum(0)


def torch_F():
    return torch.nn.functional


def both(fn, *arrays):
    """The same function on (ours, torch) with float64 inputs."""
    ours = fn(tl, *[tl.tensor(a) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a) for a in arrays])
    return ours, theirs


@pytest.fixture
def looped(monkeypatch):
    """Force one backward walk per row, as before batching."""
    monkeypatch.setattr(functional, "can_batch", lambda roots: False)


@pytest.fixture
def walks(monkeypatch):
    """Record what can_batch decided for each jacobian output."""
    seen = []

    def spy(roots):
        seen.append(can_batch(roots))
        return seen[-1]
    monkeypatch.setattr(functional, "can_batch", spy)
    return seen


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in _flat(r)]
    return [result.detach().numpy() if hasattr(result, "detach") else result.numpy()]


def assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    ours, theirs = _flat(ours), _flat(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def vectors_and_reductions(lib, w, v, m):
    """1-D matmuls, stack/cat, transposes and the reductions with their own backward."""
    rows = lib.stack([w[0] * v, w[1] + v, (w[2] * v).exp()]).sum(0) * lib.cat([v, v])[2:6]
    stats = m.var(1).sum() + m.std(2).sum() + m.norm() + m.amax(0).sum() + m[0].prod(1).sum()
    return (w @ v).tanh().sum() * rows + w.T.unsqueeze(0).squeeze(0).flatten()[:4] * stats \
        + m.logsumexp(2).sum() + v.abs().sqrt() + v.clamp(-0.5, 0.5) + v.relu() * v


CASES = {
    "mlp loss, 4 weights": (lambda lib, *p: mlp(lib, tl.nn.functional if lib is tl else
                                                torch_F(), *p), (W1, B1, W2, B2)),
    "matmul, slices, softmax": (mlp_outputs, (W1, B1)),
    "broadcasting ops": (broadcasting, (rng.standard_normal(2), rng.standard_normal((3, 2)))),
    "vectors and reductions": (vectors_and_reductions, (rng.standard_normal((3, 4)),
                                                        rng.standard_normal(4),
                                                        rng.standard_normal((2, 3, 4)))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_jacobian_batched_equals_torch(name, walks):
    fn, arrays = CASES[name]
    ours = jacobian(lambda *p: fn(tl, *p), tuple(tl.tensor(a) for a in arrays))
    theirs = TAF.jacobian(lambda *p: fn(torch, *p), tuple(torch.tensor(a) for a in arrays))
    assert_same(ours, theirs)
    assert walks and all(walks)  # every output went back in one batched walk


@pytest.mark.parametrize("name", list(CASES))
def test_hessian_batched_equals_torch(name, walks):
    fn, arrays = CASES[name]

    def scalar(lib):
        return lambda *p: fn(lib, *p).sum()
    ours = hessian(scalar(tl), tuple(tl.tensor(a) for a in arrays))
    theirs = TAF.hessian(scalar(torch), tuple(torch.tensor(a) for a in arrays))
    assert_same(ours, theirs, rtol=1e-9)
    assert len(walks) == len(arrays) and all(walks)  # one batched walk per input's gradient


@pytest.mark.parametrize("name", list(CASES))
def test_batched_equals_one_walk_per_row(name, monkeypatch):
    fn, arrays = CASES[name]
    inputs = tuple(tl.tensor(a) for a in arrays)
    batched_j = jacobian(lambda *p: fn(tl, *p), inputs)
    batched_h = hessian(lambda *p: fn(tl, *p).sum(), inputs)
    monkeypatch.setattr(functional, "can_batch", lambda roots: False)
    assert_same(batched_j, jacobian(lambda *p: fn(tl, *p), inputs), rtol=1e-13, atol=1e-15)
    assert_same(batched_h, hessian(lambda *p: fn(tl, *p).sum(), inputs), rtol=1e-13,
                atol=1e-15)


def test_several_outputs_and_an_unused_input(walks):
    def ours(a, b, c):
        return (a * b).sin(), (a.reshape(2, 1) * a).sum(0)

    a, b, c = rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal(3)
    J = jacobian(ours, (tl.tensor(a), tl.tensor(b), tl.tensor(c)))
    Jt = TAF.jacobian(ours, (torch.tensor(a), torch.tensor(b), torch.tensor(c)))
    assert_same(J, Jt)
    assert np.all(J[1][2].numpy() == 0) and J[1][2].shape == (2, 3)
    assert walks == [True, True]
    with pytest.raises(RuntimeError, match="output 0 .* independent of input 2"):
        jacobian(ours, (tl.tensor(a), tl.tensor(b), tl.tensor(c)), strict=True)


class Cube(Function):
    """A user Function: no batched_backward_ok, so jacobian walks once per row."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * g * x * x


@pytest.mark.parametrize("op", ["user Function", "cumsum", "index array", "hook"])
def test_ops_without_batched_backward_fall_back_to_the_loop(op, walks):
    def ours(a):
        if op == "user Function":
            return Cube.apply(a).exp()
        if op == "cumsum":
            return a.cumsum(0).sin()
        if op == "index array":
            return a[tl.tensor([2, 0, 2])].exp()
        y = a.sin()
        y.register_hook(lambda g: g * 2.0)
        return y * a

    def theirs(a):
        if op == "user Function":
            return (a ** 3).exp()
        if op == "cumsum":
            return a.cumsum(0).sin()
        if op == "index array":
            return a[torch.tensor([2, 0, 2])].exp()
        y = a.sin()
        y.register_hook(lambda g: g * 2.0)
        return y * a

    a = rng.standard_normal(3)
    assert_same(jacobian(ours, tl.tensor(a)), TAF.jacobian(theirs, torch.tensor(a)))
    assert walks == [False]


def test_create_graph_batched_jacobian_is_differentiable(walks):
    a = rng.standard_normal(3)
    x, xt = tl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    J = jacobian(lambda v: v.sin() * (v * v).sum(), x, create_graph=True)
    Jt = TAF.jacobian(lambda v: v.sin() * (v * v).sum(), xt, create_graph=True)
    assert J.requires_grad and walks == [True]
    assert_same(J, Jt)
    (J * J).sum().backward()
    (Jt * Jt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_hessian_create_graph_is_differentiable():
    a = rng.standard_normal(3)
    x, xt = tl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    H = hessian(lambda v: (v.tanh() * v).sum() ** 2, x, create_graph=True)
    Ht = TAF.hessian(lambda v: (v.tanh() * v).sum() ** 2, xt, create_graph=True)
    assert_same(H, Ht)
    H.sum().backward()
    Ht.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_vhp_and_hvp_match_torch():
    fn, arrays = CASES["mlp loss, 4 weights"]
    inputs = tuple(tl.tensor(a) for a in arrays)
    vs = tuple(rng.standard_normal(a.shape) for a in arrays)
    for ours_fn, theirs_fn in ((vhp, TAF.vhp), (hvp, TAF.hvp)):
        out, ours = ours_fn(lambda *p: fn(tl, *p), inputs, tuple(tl.tensor(v) for v in vs))
        out_t, theirs = theirs_fn(lambda *p: fn(torch, *p),
                                  tuple(torch.tensor(a) for a in arrays),
                                  tuple(torch.tensor(v) for v in vs))
        np.testing.assert_allclose(out.numpy(), out_t.numpy())
        assert_same(ours, theirs)


def test_strategy_and_vectorize_arguments():
    x = tl.tensor(rng.standard_normal(3))
    J = jacobian(lambda v: v.exp(), x, vectorize=True)
    np.testing.assert_allclose(J.numpy(), np.diag(np.exp(x.numpy())))
    with pytest.raises(NotImplementedError, match="forward-mode"):
        jacobian(lambda v: v.exp(), x, strategy="forward-mode")
    with pytest.raises(ValueError, match="reverse-mode"):
        hessian(lambda v: v.exp().sum(), x, outer_jacobian_strategy="sideways")


def test_jacobian_is_writable_and_independent_of_the_graph():
    x = tl.tensor(rng.standard_normal(3))
    J = jacobian(lambda v: v.sum().reshape(1) * 1.0, x)  # gradient of a sum: a broadcast view
    J[0, 0] = 5.0
    assert J.numpy()[0, 0] == 5.0 and not J.requires_grad


class KernelSquare(Function):
    """A built-in-like op whose backward is differentiable once only."""

    array_forward = True
    differentiable_backward = False
    batched_backward_ok = True  # its first backward takes a batch; its stand-in does not

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x._data * x._data

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 2.0


def test_hessian_through_a_once_differentiable_op_still_raises(walks):
    x = tl.tensor(rng.standard_normal(3))
    J = jacobian(lambda v: KernelSquare.apply(v).exp(), x)
    np.testing.assert_allclose(J.numpy(), np.diag(2 * x.numpy() * np.exp(x.numpy() ** 2)))
    assert walks == [True]
    with pytest.raises(RuntimeError, match="double backward through KernelSquare"):
        hessian(lambda v: KernelSquare.apply(v).sum(), x)
    assert walks[-1] is False  # the stand-in node sends the walk back to the loop

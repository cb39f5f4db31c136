"""Backward formulas that run on arrays when nothing is recorded (ops/_util.on_arrays).

The same line of a backward runs on tensors under create_graph=True and on numpy arrays
otherwise; both must give the same gradients, of the same dtypes, and equal PyTorch's."""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr.ops._util import gradients, on_arrays

rng = np.random.default_rng(3)


def F(lib):
    return torch.nn.functional if lib is torch else tl.nn.functional


def _cases():
    """(name, fn(lib, *tensors), input shapes): ops whose backward uses on_arrays, with
    broadcasting operands, Python numbers and 0-d gradients."""
    return [
        ("mul broadcast", lambda lib, a, b: (a * b).sum(), [(3, 4), (4,)]),
        ("mul by int and float", lambda lib, a: (a * 3 * 0.5).sum(), [(2, 3)]),
        ("div broadcast", lambda lib, a, b: (a / (b * b + 1.0)).sum(), [(3, 1), (1, 4)]),
        ("exp log", lambda lib, a: (a.exp() + (a * a + 1.0).log()).sum(), [(5,)]),
        ("tanh sigmoid relu", lambda lib, a: (a.tanh() * a.sigmoid() + a.relu()).sum(),
         [(4, 3)]),
        ("linear", lambda lib, x, w, b: F(lib).linear(x, w, b).tanh().sum(),
         [(6, 3), (2, 3), (2,)]),
        ("linear on 3-d input", lambda lib, x, w: (x @ w.T).sum(), [(2, 5, 3), (4, 3)]),
        ("matmul 2-d", lambda lib, a, b: (a @ b).sigmoid().sum(), [(3, 4), (4, 2)]),
        ("mse", lambda lib, a, b: F(lib).mse_loss(a, b), [(4, 2), (4, 2)]),
        ("mse sum", lambda lib, a, b: F(lib).mse_loss(a, b, reduction="sum"), [(3,), (3,)]),
        ("huber", lambda lib, a, b: F(lib).huber_loss(a * 2.0, b, delta=0.7), [(5, 3), (5, 3)]),
        ("smooth_l1 sum", lambda lib, a, b: F(lib).smooth_l1_loss(a, b, reduction="sum",
                                                                  beta=0.5), [(6,), (6,)]),
        ("bce", lambda lib, a, b: F(lib).binary_cross_entropy(a.sigmoid(), b.sigmoid()),
         [(4, 3), (4, 3)]),
        ("bce weighted sum", lambda lib, a, b: F(lib).binary_cross_entropy(
            a.sigmoid(), b.sigmoid(), weight=lib.tensor([0.5, 2.0, 1.0], dtype=a.dtype),
            reduction="sum"), [(2, 3), (2, 3)]),
        ("bce with logits", lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(
            a * 3.0, b.sigmoid()), [(4, 3), (4, 3)]),
        ("bce with logits pos_weight", lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(
            a * 3.0, b.sigmoid(), pos_weight=lib.tensor([0.5, 3.0], dtype=a.dtype),
            weight=lib.tensor([[2.0], [1.0], [0.5]], dtype=a.dtype)), [(3, 2), (3, 2)]),
    ]


@pytest.mark.parametrize("name,fn,shapes", _cases(), ids=[c[0] for c in _cases()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arrays_and_tensors_agree(name, fn, shapes, dtype):
    values = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [tl.tensor(v, requires_grad=True) for v in values]
    plain = tl.autograd.grad(fn(tl, *ours), ours)                        # on arrays
    recorded = tl.autograd.grad(fn(tl, *ours), ours, create_graph=True)  # on tensors
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    expected = torch.autograd.grad(fn(torch, *theirs), theirs)
    for p, r, e, v in zip(plain, recorded, expected, values):
        assert p.dtype == r.dtype == v.dtype
        assert not p.requires_grad
        np.testing.assert_array_equal(p.numpy(), r.detach().numpy())
        np.testing.assert_allclose(p.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)


def test_on_arrays_follows_grad_mode():
    t = tl.ones(2, requires_grad=True)
    assert on_arrays(t, 2.0)[0] is t
    with tl.no_grad():
        arrays = on_arrays(t, 2.0)
    assert arrays[0] is t.numpy() and arrays[1] == 2.0
    wrapped = gradients(t, np.float32(1.5), None, t)
    assert isinstance(wrapped[0], tl.Tensor) and wrapped[0].shape == ()
    assert wrapped[1] is None and wrapped[2] is t

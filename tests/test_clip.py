"""nn.utils clipping and parameter vectors against torch.nn.utils."""
import math

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr.nn import utils

torch = pytest.importorskip("torch")


def make_params(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    arrays = [rng.standard_normal(s) for s in shapes]
    grads = [scale * rng.standard_normal(s) for s in shapes]
    ours = []
    for a, g in zip(arrays, grads):
        p = tl.Tensor(a.copy(), requires_grad=True)
        p.grad = tl.Tensor(g.copy())
        ours.append(p)
    ref = []
    for a, g in zip(arrays, grads):
        p = torch.tensor(a.copy(), requires_grad=True)
        p.grad = torch.tensor(g.copy())
        ref.append(p)
    return ours, ref


@pytest.mark.parametrize("norm_type", [1, 2, 3, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, ref = make_params(scale=2.0)
    norm_type = float(norm_type)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type=norm_type)
    assert isinstance(total, tl.Tensor) and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), ref_total.item(), rtol=1e-12)
    for p, q in zip(ours, ref):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
    clipped = np.concatenate([p.grad.numpy().ravel() for p in ours])
    assert np.linalg.norm(clipped, ord=norm_type) <= max_norm + 1e-9


def test_clip_grad_norm_single_tensor_float32_and_missing_grads():
    p = tl.Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    p.grad = tl.Tensor(np.full(4, 3.0, dtype=np.float32))
    q = tl.Tensor(np.ones(2, dtype=np.float32), requires_grad=True)  # no grad: skipped
    total = utils.clip_grad_norm_([p, q], 1.0)
    assert total.dtype == np.float32 and total.item() == pytest.approx(6.0)
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad.numpy(), 0.5, rtol=1e-5)
    assert utils.clip_grad_norm_(q, 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    ours, _ = make_params()
    ours[1].grad.data[2] = np.nan
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert np.isnan(utils.clip_grad_norm_(ours, 1.0).item())


def test_clip_grad_value_matches_torch():
    ours, ref = make_params(scale=2.0)
    assert utils.clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(ref, 0.7)
    for p, q in zip(ours, ref):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    assert max(np.abs(p.grad.numpy()).max() for p in ours) == pytest.approx(0.7)


def test_parameters_to_vector_and_back():
    ours, ref = make_params()
    vec = utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(vec.numpy(),
                                  torch.nn.utils.parameters_to_vector(ref).detach().numpy())
    # differentiable: d(sum(vec * k))/d(vec) = k flows back into each parameter's .grad
    # (added to the gradients make_params put there)
    weights = np.arange(vec.shape[0], dtype=np.float64)
    (vec * tl.Tensor(weights)).sum().backward()
    before = np.concatenate([q.grad.numpy().ravel() for q in ref])
    np.testing.assert_allclose(np.concatenate([p.grad.numpy().ravel() for p in ours]),
                               before + weights, rtol=1e-15)
    new = tl.Tensor(np.arange(vec.shape[0], dtype=np.float64))
    utils.vector_to_parameters(new, ours)
    torch.nn.utils.vector_to_parameters(torch.arange(vec.shape[0], dtype=torch.float64), ref)
    for p, q in zip(ours, ref):
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())


def test_vector_to_parameters_errors():
    ours, _ = make_params()
    with pytest.raises(TypeError, match="expected vec to be a Tensor"):
        utils.vector_to_parameters(np.zeros(24), ours)
    with pytest.raises(ValueError, match=r"vec has shape \(5,\), but the parameters have 24"):
        utils.vector_to_parameters(tl.Tensor(np.zeros(5)), ours)

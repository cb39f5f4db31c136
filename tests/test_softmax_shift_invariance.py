"""Softmax, log-softmax and cross-entropy are shift invariant: logits with a large common
offset (up to 1e30) or at tiny / huge scales give PyTorch's values and gradients, in float32
and float64, through the public API; every cross-entropy gradient row sums to zero.

Both libraries get the same (already rounded) input array, so the comparison is of the
computation, not of how an offset rounds the logits.
"""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F

OFFSETS = [0.0, 1e4, 1e6, 1e8, 1e16, 1e30]
SCALES = [1e-30, 1e-6, 1e3, 1e30]
DTYPES = {np.float32: torch.float32, np.float64: torch.float64}
N, C = 6, 5


def logits(dtype, offset=0.0, scale=1.0, shape=(N, C)):
    x = np.random.default_rng(0).standard_normal(shape) * 3
    return (x * scale + offset).astype(dtype)


def close(ours, theirs, dtype, what):
    """Equal to float tolerance, relative to the size of the values compared."""
    ours, theirs = np.asarray(ours, dtype=np.float64), theirs.detach().double().numpy()
    eps = np.finfo(dtype).eps
    size = max(1.0, np.abs(theirs).max())
    np.testing.assert_allclose(ours, theirs, rtol=16 * eps, atol=16 * eps * size,
                               err_msg=what)


def run_both(fn_ours, fn_torch, x, upstream=None):
    """Value and input gradient of fn on our side and on PyTorch's."""
    a = tl.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    out_a, out_b = fn_ours(a), fn_torch(b)
    if upstream is None:
        out_a.sum().backward()
        out_b.sum().backward()
    else:
        (out_a * tl.tensor(upstream)).sum().backward()
        (out_b * torch.tensor(upstream)).sum().backward()
    return out_a, out_b, a.grad, b.grad


def cross_entropy_cases(dtype):
    rng = np.random.default_rng(1)
    target = rng.integers(0, C, N)
    weight = (rng.random(C) + 0.5).astype(dtype)
    probs = rng.random((N, C))
    probs = (probs / probs.sum(1, keepdims=True)).astype(dtype)
    ignored = target.copy()
    ignored[1] = 3
    yield "indices", dict(target=target), {}
    yield "indices + weight", dict(target=target, weight=weight), {}
    yield "indices + ignore_index", dict(target=ignored, ignore_index=3), {}
    yield "indices + label_smoothing + weight", dict(target=target, weight=weight,
                                                      label_smoothing=0.2), {}
    yield "indices, reduction=none", dict(target=target, reduction="none"), {}
    yield "probabilities", dict(target=probs), {}
    yield "probabilities + weight + label_smoothing", dict(target=probs, weight=weight,
                                                           label_smoothing=0.1), {}


def _call_cross_entropy(lib, kwargs):
    def fn(x):
        args = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v)
                for k, v in kwargs.items()}
        return lib.nn.functional.cross_entropy(x, **args)
    return fn


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("offset, scale", [(o, 1.0) for o in OFFSETS] +
                         [(0.0, s) for s in SCALES])
def test_cross_entropy_at_any_offset_and_scale(dtype, offset, scale):
    x = logits(dtype, offset, scale)
    for name, kwargs, _ in cross_entropy_cases(dtype):
        out_a, out_b, grad_a, grad_b = run_both(_call_cross_entropy(tl, kwargs),
                                                _call_cross_entropy(torch, kwargs), x)
        what = f"{name} at offset {offset}, scale {scale}"
        assert out_a.dtype == dtype and grad_a.dtype == dtype, what
        close(out_a.numpy(), out_b, dtype, what + ": loss")
        close(grad_a.numpy(), grad_b, dtype, what + ": gradient")
        rows = grad_a.numpy().astype(np.float64).sum(axis=1)
        assert np.abs(rows).max() <= 32 * np.finfo(dtype).eps, what + ": row sums"


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_cross_entropy_offset_does_not_change_the_result(dtype):
    """Exactly representable offsets (multiples of a power of two covering the logits'
    spacing) must give the same loss and gradient as no offset."""
    x = np.round(logits(np.float64) * 4) / 4  # quarter steps: exact after + 2**k
    target = tl.tensor(np.arange(N) % C)
    base = tl.tensor(x.astype(dtype), requires_grad=True)
    F.cross_entropy(base, target).backward()
    for k in (10, 16, 20):
        shifted = tl.tensor((x + 2.0 ** k).astype(dtype), requires_grad=True)
        loss = F.cross_entropy(shifted, target)
        loss.backward()
        eps = np.finfo(dtype).eps
        np.testing.assert_allclose(loss.item(), F.cross_entropy(tl.tensor(x.astype(dtype)),
                                                                target).item(), rtol=16 * eps)
        np.testing.assert_allclose(shifted.grad.numpy(), base.grad.numpy(), atol=16 * eps)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("offset, scale", [(o, 1.0) for o in OFFSETS] +
                         [(0.0, s) for s in SCALES])
@pytest.mark.parametrize("dim, shape", [(1, (4, 5, 3)), (0, (4, 5, 3)), (-1, (4, 5, 3)),
                                        (1, (64, 200))])  # small, and past KERNEL_MIN
@pytest.mark.parametrize("log", [False, True])
def test_softmax_and_log_softmax_at_any_offset_and_scale(dtype, offset, scale, dim, shape, log):
    x = logits(dtype, offset, scale, shape=shape)
    upstream = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    name = "log_softmax" if log else "softmax"
    out_a, out_b, grad_a, grad_b = run_both(
        lambda t: getattr(F, name)(t, dim=dim),
        lambda t: getattr(torch.nn.functional, name)(t, dim=dim), x, upstream)
    what = f"{name}(dim={dim}) at offset {offset}, scale {scale}"
    assert out_a.dtype == dtype and grad_a.dtype == dtype, what
    close(out_a.numpy(), out_b, dtype, what)
    close(grad_a.numpy(), grad_b, dtype, what + ": gradient")


def test_the_issue_example_gradient_at_1e8_float32():
    """Issue 16's case: float32 logits near 1e8 gave the gradient [0, 1, 1]."""
    x = tl.tensor(np.array([[1e8, 1e8, 1e8]], dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(x, tl.tensor([0]))
    loss.backward()
    np.testing.assert_allclose(loss.item(), np.log(3), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[-2 / 3, 1 / 3, 1 / 3]], atol=1e-7)

"""Half precision (float16) through every layer that runs a Numba kernel.

Numba has no float16 type, so each kernel's entry point runs its numpy reference for
float16 arrays (`kernels.runs_reference`): a `model.half()` trains, slowly, instead of
failing inside Numba. Checked here against PyTorch computing the same float16 values in
float32 (its CPU half kernels accumulate in float too), with float16's tolerance, and that
every output and gradient stays float16.
"""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn

RTOL = ATOL = 2e-2  # float16 has 11 significant bits; sums over a few hundred terms


pytestmark = pytest.mark.usefixtures("torch_float32_default")


LAYERS = {  # name: (builder(nn) -> module, input shape)
    "conv2d": (lambda m: m.Conv2d(3, 4, 3, padding=1), (2, 3, 8, 8)),
    "conv2d one input channel (the depthwise loops)": (lambda m: m.Conv2d(1, 4, 3), (2, 1, 8, 8)),
    "conv2d depthwise stride 2": (lambda m: m.Conv2d(4, 8, 3, stride=2, groups=4), (2, 4, 9, 9)),
    "conv_transpose2d": (lambda m: m.ConvTranspose2d(3, 2, 3, stride=2), (2, 3, 5, 5)),
    "conv1d": (lambda m: m.Conv1d(3, 4, 3), (2, 3, 10)),
    "max_pool2d": (lambda m: m.MaxPool2d(2), (2, 3, 8, 8)),
    "max_pool2d 3x3 stride 2": (lambda m: m.MaxPool2d(3, 2, 1), (2, 3, 8, 8)),
    "avg_pool2d": (lambda m: m.AvgPool2d(2), (2, 3, 8, 8)),
    "batch_norm2d": (lambda m: m.BatchNorm2d(3), (4, 3, 5, 5)),
    "batch_norm1d": (lambda m: m.BatchNorm1d(6), (8, 6)),
    "layer_norm": (lambda m: m.LayerNorm(6), (4, 6)),
    "relu": (lambda m: m.ReLU(), (4, 6)),
    "gelu": (lambda m: m.GELU(), (4, 6)),
    "lstm": (lambda m: m.LSTM(6, 5), (3, 2, 6)),
    "gru": (lambda m: m.GRU(6, 5), (3, 2, 6)),
}


def _pair(build):
    torch.manual_seed(0)
    theirs = build(torch.nn)
    tl.manual_seed(0)
    ours = build(nn)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours.half(), theirs.float()


def _first(y):
    return y[0] if isinstance(y, tuple) else y


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_in_half_precision_matches_torch(name):
    build, shape = LAYERS[name]
    ours, theirs = _pair(build)
    # float16 values, and PyTorch's float32 copy of the same values (and weights)
    x16 = np.random.default_rng(0).standard_normal(shape).astype(np.float16)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(p.half().float())
    x_ours = tl.tensor(x16, requires_grad=True)
    x_theirs = torch.tensor(x16.astype(np.float32), requires_grad=True)
    y_ours, y_theirs = _first(ours(x_ours)), _first(theirs(x_theirs))
    assert y_ours.dtype == np.float16
    np.testing.assert_allclose(y_ours.numpy().astype(np.float32), y_theirs.detach().numpy(),
                               rtol=RTOL, atol=ATOL)
    g = np.random.default_rng(1).standard_normal(y_theirs.shape).astype(np.float16)
    y_ours.backward(tl.tensor(g))
    y_theirs.backward(torch.tensor(g.astype(np.float32)))
    assert x_ours.grad.dtype == np.float16
    np.testing.assert_allclose(x_ours.grad.numpy().astype(np.float32), x_theirs.grad.numpy(),
                               rtol=RTOL, atol=ATOL)
    for (n, p_ours), (_, p_theirs) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p_ours.grad.dtype == np.float16, n
        np.testing.assert_allclose(p_ours.grad.numpy().astype(np.float32), p_theirs.grad.numpy(),
                                   rtol=RTOL, atol=ATOL, err_msg=n)


def test_embedding_and_cross_entropy_in_half_precision_match_torch():
    ours, theirs = _pair(lambda m: m.Embedding(10, 4))
    idx = np.array([[1, 2, 3], [4, 1, 9]])
    with torch.no_grad():
        theirs.weight.copy_(theirs.weight.half().float())
    y_ours, y_theirs = ours(tl.tensor(idx)), theirs(torch.tensor(idx))
    target = np.array([0, 1, 3, 2, 1, 0])
    loss_ours = F.cross_entropy(y_ours.reshape(6, 4), tl.tensor(target))
    loss_theirs = torch.nn.functional.cross_entropy(y_theirs.reshape(6, 4), torch.tensor(target))
    assert loss_ours.dtype == np.float16
    np.testing.assert_allclose(float(loss_ours), loss_theirs.item(), rtol=RTOL)
    loss_ours.backward()
    loss_theirs.backward()
    assert ours.weight.grad.dtype == np.float16
    np.testing.assert_allclose(ours.weight.grad.numpy().astype(np.float32),
                               theirs.weight.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                          ("Adam", dict(lr=0.01)), ("AdamW", dict(lr=0.01)),
                                          ("RMSprop", dict(lr=0.01)), ("Adagrad", dict(lr=0.1))])
def test_optimizer_steps_a_half_precision_parameter_as_torch(name, kwargs):
    start = np.random.default_rng(0).standard_normal(50).astype(np.float16)
    grads = np.random.default_rng(1).standard_normal((3, 50)).astype(np.float16)
    ours = tl.tensor(start.copy(), requires_grad=True)
    theirs = torch.tensor(start.astype(np.float32), requires_grad=True)
    opt_ours = getattr(tl.optim, name)([ours], **kwargs)
    opt_theirs = getattr(torch.optim, name)([theirs], **kwargs)
    for g in grads:
        ours.grad, theirs.grad = tl.tensor(g.copy()), torch.tensor(g.astype(np.float32))
        opt_ours.step()
        opt_theirs.step()
    assert ours.dtype == np.float16
    np.testing.assert_allclose(ours.numpy().astype(np.float32), theirs.detach().numpy(),
                               rtol=RTOL, atol=ATOL)


def test_a_half_precision_cnn_trains():
    """A small CNN made .half() takes SGD steps and its loss goes down."""
    tl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)).half()
    rng = np.random.default_rng(0)
    x = tl.tensor(rng.standard_normal((12, 1, 8, 8)).astype(np.float16))
    y = tl.tensor(rng.integers(0, 3, 12))
    opt = tl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert all(p.dtype == np.float16 for p in model.parameters())
    assert np.isfinite(losses).all() and losses[-1] < 0.7 * losses[0]

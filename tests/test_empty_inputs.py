"""Empty tensors - a batch of zero samples - through layers and losses, against PyTorch.

A data pipeline's last, empty batch or a filtered-out selection reaches a model as an
empty tensor. PyTorch returns empty outputs (and NaN for the mean of no elements); so must
we, or raise its clear error where it raises one - never numpy's error from deep inside.
"""
import warnings

import numpy as np
import pytest
import torch

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn

LAYERS = {  # name: (builder(nn), input shape with an empty batch)
    "conv2d": (lambda m: m.Conv2d(3, 4, 3, padding=1), (0, 3, 8, 8)),
    "conv2d one input channel": (lambda m: m.Conv2d(1, 4, 3), (0, 1, 8, 8)),
    "conv2d depthwise stride 2": (lambda m: m.Conv2d(4, 4, 3, stride=2, groups=4), (0, 4, 9, 9)),
    "conv2d grouped": (lambda m: m.Conv2d(4, 4, 3, groups=2), (0, 4, 9, 9)),
    "conv_transpose2d": (lambda m: m.ConvTranspose2d(3, 2, 3, stride=2), (0, 3, 5, 5)),
    "conv1d": (lambda m: m.Conv1d(3, 4, 3), (0, 3, 10)),
    "max_pool2d": (lambda m: m.MaxPool2d(3, 2, 1), (0, 3, 8, 8)),
    "avg_pool2d": (lambda m: m.AvgPool2d(2), (0, 3, 8, 8)),
    "adaptive_avg_pool2d": (lambda m: m.AdaptiveAvgPool2d(1), (0, 3, 8, 8)),
    "batch_norm2d training": (lambda m: m.BatchNorm2d(3), (0, 3, 5, 5)),
    "batch_norm2d eval": (lambda m: m.BatchNorm2d(3).eval(), (0, 3, 5, 5)),
    "batch_norm1d training": (lambda m: m.BatchNorm1d(3), (0, 3)),
    "layer_norm": (lambda m: m.LayerNorm(6), (0, 6)),
    "linear": (lambda m: m.Linear(6, 3), (0, 6)),
    "gelu": (lambda m: m.GELU(), (0, 6)),
    "log_softmax": (lambda m: m.LogSoftmax(1), (0, 6)),
    "lstm, empty batch": (lambda m: m.LSTM(6, 5), (3, 0, 6)),
    "gru, empty batch": (lambda m: m.GRU(6, 5), (3, 0, 6)),
}


def _first(y):
    return y[0] if isinstance(y, tuple) else y


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_an_empty_batch_gives_what_torch_gives(name):
    build, shape = LAYERS[name]
    ours, theirs = build(nn), build(torch.nn)
    x_ours, x_theirs = tl.zeros(*shape, requires_grad=True), torch.zeros(shape, requires_grad=True)
    y_ours, y_theirs = _first(ours(x_ours)), _first(theirs(x_theirs))
    assert tuple(y_ours.shape) == tuple(y_theirs.shape)
    y_ours.sum().backward()
    y_theirs.sum().backward()
    assert x_ours.grad.shape == x_ours.shape
    for (n, p_ours), (_, p_theirs) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_array_equal(p_ours.grad.numpy(), p_theirs.grad.numpy(), err_msg=n)
    for (n, b_ours), (_, b_theirs) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_array_equal(b_ours.numpy(), b_theirs.numpy(), err_msg=n)


LOSSES = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits", "soft_margin_loss"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSSES)
def test_a_loss_over_no_elements_is_what_torch_says(name, reduction):
    """The mean of nothing is NaN, the sum 0, 'none' an empty tensor; the backward runs."""
    x_ours, x_theirs = tl.zeros(0, 5, requires_grad=True), torch.zeros(0, 5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "mean of empty slice"
        loss_ours = getattr(F, name)(x_ours, tl.zeros(0, 5), reduction=reduction)
        loss_theirs = getattr(torch.nn.functional, name)(x_theirs, torch.zeros(0, 5),
                                                         reduction=reduction)
        np.testing.assert_array_equal(loss_ours.numpy(), loss_theirs.detach().numpy())
        loss_ours.sum().backward()
    assert x_ours.grad.shape == (0, 5)


def test_cross_entropy_over_an_empty_batch_is_nan_as_in_torch():
    loss = F.cross_entropy(tl.zeros(0, 5, requires_grad=True), tl.tensor(np.zeros(0, np.int64)))
    theirs = torch.nn.functional.cross_entropy(torch.zeros(0, 5), torch.zeros(0, dtype=torch.long))
    assert np.isnan(float(loss)) and torch.isnan(theirs)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_a_recurrent_layer_refuses_a_sequence_of_no_steps_as_torch(cls):
    with pytest.raises(RuntimeError, match="sequence length"):
        getattr(torch.nn, cls)(6, 5)(torch.zeros(0, 2, 6))
    with pytest.raises(ValueError, match=f"{cls}: expected a sequence length larger than 0"):
        getattr(nn, cls)(6, 5)(tl.zeros(0, 2, 6))

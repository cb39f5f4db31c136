"""The oracle and the strategies themselves: the one-line examples of tests/oracle.py run,
each check fails on a wrong value, gradient, parameter gradient or buffer, and the layouts
the strategies promise reach the library."""
import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check, check_loss, check_module, copy_like, pair, with_reduction

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn


def test_the_docstring_examples_run():
    check(lambda x, y: x * y, [(3, 1), (1, 4)])
    check_module(*pair("Conv2d", 2, 3, 3, stride=2), (2, 2, 9, 8))
    check_loss(F.huber_loss, [(6,), (6,)], delta=0.7)


def test_check_fails_on_a_wrong_value_or_gradient():
    with pytest.raises(AssertionError, match="forward output 0"):
        check(lambda x: x * 2, [(3,)], lambda x: x * (2 + 1e-9))
    # the same value, a gradient off by 1e-6
    with pytest.raises(AssertionError, match="gradient 0"):
        check(lambda x: x * 2, [(3,)], lambda x: x * 2 + (x - x.detach()) * 1e-6)


class _SlightlyOffLinear(torch.nn.Linear):
    """torch's Linear whose bias gradient is 1e-7 too large; the output is unchanged."""

    def forward(self, x):
        return super().forward(x) + (self.bias - self.bias.detach()) * 1e-7


def test_check_module_fails_on_a_parameter_gradient_a_buffer_or_a_name():
    with pytest.raises(AssertionError, match="gradient of parameter bias"):
        check_module(nn.Linear(3, 2), _SlightlyOffLinear(3, 2), (4, 3))
    with pytest.raises(AssertionError, match="buffer running_mean"):
        check_module(nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3, momentum=0.11), (4, 3))
    with pytest.raises(AssertionError, match="state_dict differs"):
        check_module(nn.Linear(3, 2), torch.nn.Linear(3, 2, bias=False), (4, 3))


def test_check_loss_fails_on_a_wrong_target_gradient_and_finds_torchs_loss():
    def off(x, y):  # mse with a target gradient 1e-6 off
        return (x - y) ** 2 + (y - y.detach()) * 1e-6
    with pytest.raises(AssertionError, match="gradient of input 1"):
        check_loss(F.mse_loss, [(3,), (3,)], with_reduction(off))
    check_loss(nn.MSELoss, [(3,), (3,)])  # torch.nn.MSELoss, by name
    with pytest.raises(ValueError, match="torch has no hinge_loss"):
        check_loss(F.hinge_loss, [(3,), np.ones(3)])


def test_copy_like_keeps_strides_and_read_only():
    base = np.arange(24.0).reshape(2, 3, 4)
    for view in (base.transpose(2, 0, 1), base[:, ::2, 1::2], base[::-1, :, ::-2],
                 np.broadcast_to(base[:, :1], (2, 3, 4))):
        copy = copy_like(view, np.float32)
        assert copy.dtype == np.float32 and not np.shares_memory(copy, base)
        assert [s // 4 for s in copy.strides] == [s // 8 for s in view.strides]
        assert copy.flags.writeable == view.flags.writeable
        np.testing.assert_array_equal(copy, view)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), shape=S.shapes(min_dims=2, max_dims=3, min_side=2))
def test_noncontiguous_arrays_reach_a_tensor_as_views(data, shape):
    a = data.draw(S.arrays(shape, S.NONCONTIGUOUS))
    assert a.shape == shape and np.isfinite(a).all()
    assert not tl.Tensor(copy_like(a)).numpy().flags.c_contiguous


@settings(max_examples=30, deadline=None)
@given(data=st.data(), shape=S.shapes(min_dims=1, max_dims=3))
def test_tensor_views_have_the_shape_asked_for(data, shape):
    view = data.draw(S.tensor_views(shape))
    base = np.random.default_rng(0).standard_normal(view.base_shape)
    ours, theirs = view(tl.Tensor(base)), view(torch.tensor(base))
    assert ours.shape == tuple(theirs.shape) == shape
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@settings(max_examples=30, deadline=None)
@given(shapes=S.matmul_shapes())
def test_matmul_shapes_multiply(shapes):
    a, b = shapes  # numpy raises if they do not align
    assert (np.ones(a) @ np.ones(b)).shape == tuple((torch.ones(a) @ torch.ones(b)).shape)

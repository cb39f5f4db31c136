"""Convolution and pooling layers against torch.nn in float64 (weights copied through the
state dict): forward, input gradient, weight and bias gradients, by tests/oracle.py's
check_module; non-contiguous inputs (a channels-last image seen as NCHW); gradcheck on tiny
sizes; the errors.

Tests whose name contains `nojit` are small enough to also run with NUMBA_DISABLE_JIT=1
(`NUMBA_DISABLE_JIT=1 pytest tests/test_conv.py -k nojit`), which checks the kernels'
pure-Python meaning.
"""
import math

import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_module, check_state_dict

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradcheck

# ------------------------------------------------------------------ convolution
CONV2D_CASES = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(2, 1), padding=(0, 2)),
    dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, padding=2),
    dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, padding=1),
    dict(in_channels=4, out_channels=4, kernel_size=3, groups=4, stride=2, bias=False),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 2), padding="same", dilation=(1, 2)),
    dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"),  # asymmetric padding
    dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid", stride=3),
    # the depthwise loops (groups == in_channels) and the 1x1 kernel's unfolding-free path
    dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, padding=1),
    dict(in_channels=2, out_channels=6, kernel_size=(3, 2), groups=2, stride=(2, 1),
         padding=(1, 0), dilation=(1, 2)),
    dict(in_channels=3, out_channels=5, kernel_size=1),
    dict(in_channels=4, out_channels=2, kernel_size=1, groups=2, bias=False),
    # a 1x1 kernel with a stride (a ResNet's downsampling skip): a product per sample too
    dict(in_channels=3, out_channels=5, kernel_size=1, stride=2),
    dict(in_channels=3, out_channels=4, kernel_size=1, stride=(2, 3), dilation=2, bias=False),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own copy
@pytest.mark.parametrize("kwargs", CONV2D_CASES)
def test_conv2d_matches_torch(kwargs):
    torch.manual_seed(0)
    check_module(nn.Conv2d(**kwargs), torch.nn.Conv2d(**kwargs), (2, kwargs["in_channels"], 9, 8))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("chunk_bytes", [1, 700])  # one sample per chunk / a few samples
@pytest.mark.parametrize("kwargs", [c for c in CONV2D_CASES if c.get("groups", 1) == 1
                                    or c["in_channels"] != c["groups"]])  # not depthwise
def test_conv2d_in_batch_chunks_matches_torch(kwargs, chunk_bytes, monkeypatch):
    """A batch whose columns exceed CHUNK_BYTES is convolved chunk by chunk (the backward
    unfolding each chunk again): the same numbers as PyTorch, for 7 samples in uneven
    chunks."""
    from tinygrad_lr.kernels import conv as C

    monkeypatch.setattr(C, "CHUNK_BYTES", chunk_bytes)
    torch.manual_seed(0)
    check_module(nn.Conv2d(**kwargs), torch.nn.Conv2d(**kwargs), (7, kwargs["in_channels"], 9, 8))


def test_batch_chunks_cover_the_batch(monkeypatch):
    from tinygrad_lr.kernels import conv as C

    monkeypatch.setattr(C, "CHUNK_BYTES", 250)
    assert C.batch_chunks(5, 100) == [(0, 2), (2, 4), (4, 5)]
    assert C.batch_chunks(5, 1000) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert C.batch_chunks(3, 10) == [(0, 3)] and C.batch_chunks(0, 100) == [(0, 0)]


@pytest.mark.parametrize("kwargs", [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=2, out_channels=4, kernel_size=5, stride=2, padding=2, dilation=1),
    dict(in_channels=4, out_channels=2, kernel_size=2, dilation=3, groups=2, bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=4, padding="same"),
    dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, padding=1),
    dict(in_channels=3, out_channels=4, kernel_size=1),
    dict(in_channels=3, out_channels=4, kernel_size=1, stride=2),
])
def test_conv1d_matches_torch(kwargs):
    torch.manual_seed(1)
    check_module(nn.Conv1d(**kwargs), torch.nn.Conv1d(**kwargs), (3, kwargs["in_channels"], 13))


@pytest.mark.parametrize("kwargs", [
    dict(in_channels=3, out_channels=2, kernel_size=3),
    dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=(2, 3), stride=(2, 3), groups=2,
         output_padding=(1, 2)),
    dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, padding=1, bias=False),
])
def test_conv_transpose2d_matches_torch(kwargs):
    torch.manual_seed(2)
    check_module(nn.ConvTranspose2d(**kwargs), torch.nn.ConvTranspose2d(**kwargs),
                 (2, kwargs["in_channels"], 5, 4))


@pytest.mark.parametrize("kernel_size, groups, chunk_bytes", [(1, 1, None), (3, 3, None),
                                                              (3, 1, 1)])
def test_conv_saving_its_input_sees_an_in_place_change(kernel_size, groups, chunk_bytes,
                                                       monkeypatch):
    """A 1x1 convolution (its columns are the input itself), a depthwise one and one over a
    batch in chunks keep the input for backward: changing it in place afterwards is an
    error, as in PyTorch."""
    if chunk_bytes is not None:
        from tinygrad_lr.kernels import conv as C

        monkeypatch.setattr(C, "CHUNK_BYTES", chunk_bytes)
    conv = nn.Conv2d(3, 3, kernel_size, groups=groups)
    x = tl.randn(2, 3, 4, 4, requires_grad=True)
    y = x * 1
    out = conv(y)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified in place"):
        out.sum().backward()


def test_conv2d_parameters_named_and_initialised_like_torch():
    tl.manual_seed(0)
    ours, theirs = nn.Conv2d(6, 8, (3, 5), groups=2), torch.nn.Conv2d(6, 8, (3, 5), groups=2)
    check_state_dict(ours, theirs)
    assert ours.weight.dtype == np.float32
    bound = 1 / math.sqrt(3 * 3 * 5)  # fan_in = in_channels/groups * kernel area
    for p in (ours.weight, ours.bias):
        assert np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.8 * bound  # drawn over the whole range
    tl.manual_seed(0)
    again = nn.Conv2d(6, 8, (3, 5), groups=2)
    np.testing.assert_array_equal(again.weight.numpy(), ours.weight.numpy())
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 3, 3)
    assert np.abs(t.bias.numpy()).max() <= 1 / math.sqrt(3 * 9)


def test_conv_repr_like_torch():
    assert repr(nn.Conv2d(1, 8, 3, padding=1)) == repr(torch.nn.Conv2d(1, 8, 3, padding=1))
    assert repr(nn.Conv1d(2, 4, 3, stride=2, bias=False)) == \
        repr(torch.nn.Conv1d(2, 4, 3, stride=2, bias=False))


# ------------------------------------------------------------------ pooling
POOL_CASES = [
    (nn.MaxPool2d, torch.nn.MaxPool2d, dict(kernel_size=2)),
    (nn.MaxPool2d, torch.nn.MaxPool2d, dict(kernel_size=3, stride=2, padding=1)),  # overlapping
    (nn.MaxPool2d, torch.nn.MaxPool2d, dict(kernel_size=(2, 3), stride=(3, 1))),  # stride > k
    (nn.MaxPool2d, torch.nn.MaxPool2d, dict(kernel_size=3, stride=2, ceil_mode=True)),
    (nn.MaxPool2d, torch.nn.MaxPool2d, dict(kernel_size=2, dilation=2, padding=1)),
    (nn.AvgPool2d, torch.nn.AvgPool2d, dict(kernel_size=2)),
    (nn.AvgPool2d, torch.nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1)),
    (nn.AvgPool2d, torch.nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1,
                                            count_include_pad=False, ceil_mode=True)),
    (nn.AvgPool2d, torch.nn.AvgPool2d, dict(kernel_size=(2, 3), stride=1, divisor_override=5)),
    (nn.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d, dict(output_size=1)),
    (nn.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d, dict(output_size=(3, 5))),  # overlaps
    (nn.AdaptiveAvgPool2d, torch.nn.AdaptiveAvgPool2d, dict(output_size=(None, 2))),
]


@pytest.mark.parametrize("ours,theirs,kwargs", POOL_CASES)
def test_pool2d_matches_torch(ours, theirs, kwargs):
    check_module(ours(**kwargs), theirs(**kwargs), (2, 3, 7, 8))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=2, stride=3, dilation=2, ceil_mode=True)])
def test_max_pool1d_matches_torch(kwargs):
    check_module(nn.MaxPool1d(**kwargs), torch.nn.MaxPool1d(**kwargs), (2, 3, 11))


def test_max_pool_ties_send_gradient_to_first_maximum_nojit():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 2.0  # a tie inside the first window
    # overlapping windows share the tied maxima: gradients accumulate there
    yo = check_module(nn.MaxPool2d(3, stride=1), torch.nn.MaxPool2d(3, stride=1), x)
    assert yo.shape == (1, 1, 2, 2)
    check_module(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), np.ones((2, 2, 4, 6)))


def test_max_pool_nan_propagates_like_torch():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0] = np.nan
    out = F.max_pool2d(tl.Tensor(x), 2).numpy()
    expected = torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(out, expected)
    check_module(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x)  # and the gradient goes to the NaN


# ------------------------------------------------------------------ a whole network
def test_small_cnn_matches_torch_end_to_end():
    def build(m):
        return m.Sequential(m.Conv2d(1, 4, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                            m.Conv2d(4, 6, 3, stride=2), m.ReLU(), m.AdaptiveAvgPool2d(2),
                            m.Flatten(), m.Linear(24, 3))
    torch.manual_seed(3)
    check_module(build(nn), build(torch.nn), (4, 1, 12, 12))


def test_float32_stays_float32():
    conv, pool = nn.Conv2d(2, 3, 3), nn.MaxPool2d(2)
    x = tl.randn(2, 2, 6, 6, requires_grad=True)
    y = pool(conv(x))
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and conv.weight.grad.dtype == np.float32


@pytest.mark.parametrize("ours,theirs", [
    (nn.Conv2d(2, 3, 3, padding=1, groups=1), torch.nn.Conv2d(2, 3, 3, padding=1)),
    (nn.ConvTranspose2d(2, 3, 3, stride=2), torch.nn.ConvTranspose2d(2, 3, 3, stride=2)),
    (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
    (nn.AvgPool2d(3, stride=2, padding=1), torch.nn.AvgPool2d(3, stride=2, padding=1)),
], ids=["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"])
def test_float32_matches_torch_float32(ours, theirs):
    check_module(ours, theirs, (2, 2, 6, 6), dtype="float32")


# ------------------------------------------------------------------ non-contiguous inputs
LAYERS_2D = {
    "conv2d": lambda: (nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1)),
    "conv2d_groups_stride": lambda: (nn.Conv2d(4, 2, 3, stride=2, groups=2),
                                     torch.nn.Conv2d(4, 2, 3, stride=2, groups=2)),
    "conv_transpose2d": lambda: (nn.ConvTranspose2d(3, 2, 2, stride=2),
                                 torch.nn.ConvTranspose2d(3, 2, 2, stride=2)),
    "max_pool2d": lambda: (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
    "avg_pool2d": lambda: (nn.AvgPool2d(2, stride=1), torch.nn.AvgPool2d(2, stride=1)),
    "adaptive_avg_pool2d": lambda: (nn.AdaptiveAvgPool2d((2, 3)),
                                    torch.nn.AdaptiveAvgPool2d((2, 3))),
}


@settings(max_examples=12, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(LAYERS_2D)), batch=st.integers(1, 2),
       height=st.integers(4, 6), width=st.integers(4, 6))
def test_2d_layers_on_noncontiguous_inputs(data, name, batch, height, width):
    channels = 4 if name == "conv2d_groups_stride" else 3
    x = data.draw(S.arrays((batch, channels, height, width), S.NONCONTIGUOUS), label="x")
    check_module(*LAYERS_2D[name](), x)


def test_channels_last_image_into_conv2d():
    # an NHWC array seen as NCHW: the most common non-contiguous input of a CNN
    nhwc = np.random.default_rng(8).standard_normal((2, 6, 5, 3))
    check_module(nn.Conv2d(3, 4, 3, stride=2, padding=1), torch.nn.Conv2d(3, 4, 3, stride=2,
                                                                          padding=1),
                 nhwc.transpose(0, 3, 1, 2))
    check_module(nn.Conv1d(3, 2, 2), torch.nn.Conv1d(3, 2, 2), nhwc[:, 0].transpose(0, 2, 1))


# ------------------------------------------------------------------ gradcheck
def _t(rng, *shape):
    return tl.Tensor(rng.standard_normal(shape), requires_grad=True)


def test_gradcheck_conv2d_and_transpose():
    rng = np.random.default_rng(4)
    x, w, b = _t(rng, 1, 2, 5, 4), _t(rng, 4, 1, 2, 3), _t(rng, 4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
                     (x, w, b))
    wt = _t(rng, 2, 3, 3, 2)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1),
                     (x, wt))


def test_gradcheck_conv1d_and_pools():
    rng = np.random.default_rng(5)
    x, w = _t(rng, 2, 2, 7), _t(rng, 3, 2, 3)
    assert gradcheck(lambda x, w: F.conv1d(x, w, dilation=2, padding=1), (x, w))
    assert gradcheck(lambda x: F.max_pool1d(x, 3, 2, padding=1), (x,))
    x2 = _t(rng, 1, 2, 5, 6)
    assert gradcheck(lambda x: F.max_pool2d(x, 2, 1), (x2,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True,
                                            count_include_pad=False), (x2,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 4)), (x2,))


def test_double_backward_through_conv_raises_clear_error():
    x = tl.randn(1, 1, 4, 4, requires_grad=True).double()
    w = tl.randn(1, 1, 3, 3, requires_grad=True).double()
    (gx,) = tl.autograd.grad((F.conv2d(x, w) ** 2).sum(), (x,), create_graph=True)
    with pytest.raises(RuntimeError, match="double backward through Conv2d"):
        gx.sum().backward()


# ------------------------------------------------------------------ errors
def test_conv_errors_name_layer_and_shapes():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d: expected a 3-D unbatched input \(C, H, W\) "
                                         r"or a 4-D batched input \(N, C, H, W\), got a "
                                         r"2-D input of shape \(8, 8\)"):
        conv(tl.randn(8, 8))
    with pytest.raises(ValueError, match=r"Conv2d: expected input with 3 channels .* got input "
                                         r"of shape \(1, 2, 8, 8\) with 2 channels"):
        conv(tl.randn(1, 2, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d: kernel size \(3, 3\) .* larger than the "
                                         r"padded input size \(2, 8\)"):
        conv(tl.randn(1, 3, 2, 8))
    with pytest.raises(ValueError, match=r"Conv2d: groups \(2\) must divide in_channels \(3\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: kernel_size must be an int >= 1"):
        nn.Conv2d(3, 4, -1)
    with pytest.raises(ValueError, match="Conv2d: out_channels must be a positive int"):
        nn.Conv2d(3, 0, 3)
    with pytest.raises(ValueError, match="Conv1d: padding must be an int >= 0"):
        nn.Conv1d(3, 4, 3, padding=-1)
    with pytest.raises(ValueError, match="Conv2d: stride must be an int >= 1"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"Conv1d: expected a 2-D unbatched input \(C, L\) or "
                                         r"a 3-D batched input \(N, C, L\)"):
        nn.Conv1d(2, 2, 3)(tl.randn(1, 2, 4, 4))
    with pytest.raises(TypeError, match="Conv2d: input is float64 but weight is float32"):
        conv(tl.randn(1, 3, 8, 8).double())
    with pytest.raises(ValueError, match="conv2d: bias must have shape"):
        F.conv2d(tl.randn(1, 1, 4, 4), tl.randn(2, 1, 3, 3), tl.randn(3))


def test_transpose_and_pool_errors():
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_padding \(1, 1\) must be "
                                         r"smaller than the stride \(1, 1\)"):
        nn.ConvTranspose2d(2, 2, 3, output_padding=1)(tl.randn(1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"ConvTranspose2d: expected input with 2 channels"):
        nn.ConvTranspose2d(2, 2, 3)(tl.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"MaxPool2d: expected a 3-D unbatched .* 4-D batched"):
        nn.MaxPool2d(2)(tl.randn(4, 4))
    with pytest.raises(ValueError, match=r"MaxPool2d: kernel size \(5, 5\) .* larger than the "
                                         r"padded input size \(4, 4\)"):
        nn.MaxPool2d(5)(tl.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match="MaxPool2d: padding .* at most half the kernel size"):
        nn.MaxPool2d(2, padding=2)(tl.randn(1, 1, 8, 8))
    with pytest.raises(NotImplementedError, match="MaxPool1d: return_indices=True"):
        nn.MaxPool1d(2, return_indices=True)
    with pytest.raises(NotImplementedError, match="max_pool2d: return_indices=True"):
        F.max_pool2d(tl.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match="AvgPool2d: stride must be >= 1"):
        nn.AvgPool2d(2, stride=0)(tl.randn(1, 1, 8, 8))
    with pytest.raises(ValueError, match="AdaptiveAvgPool2d: output_size must be positive"):
        nn.AdaptiveAvgPool2d(0)(tl.randn(1, 1, 8, 8))


# ------------------------------------------------------------------ kernels without JIT
class TestKernelsNojit:
    """Tiny cases that also run as plain Python under NUMBA_DISABLE_JIT=1."""

    def test_conv2d_nojit(self):
        torch.manual_seed(5)
        kwargs = dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1,
                      dilation=1, groups=2)
        check_module(nn.Conv2d(**kwargs), torch.nn.Conv2d(**kwargs), (2, 2, 5, 4))

    def test_conv1d_dilated_nojit(self):
        torch.manual_seed(6)
        check_module(nn.Conv1d(2, 3, 2, dilation=2, padding=1),
                     torch.nn.Conv1d(2, 3, 2, dilation=2, padding=1), (2, 2, 6))

    def test_conv_transpose2d_nojit(self):
        torch.manual_seed(7)
        kwargs = dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, output_padding=1)
        check_module(nn.ConvTranspose2d(**kwargs), torch.nn.ConvTranspose2d(**kwargs), (1, 2, 3, 3))

    @pytest.mark.parametrize("ours,theirs,kwargs", [POOL_CASES[i] for i in (1, 3, 7, 8)])
    def test_pool2d_nojit(self, ours, theirs, kwargs):
        check_module(ours(**kwargs), theirs(**kwargs), (1, 2, 5, 6))


@pytest.mark.parametrize("name,args,shape", [
    ("Conv2d", (2, 3, 3), (2, 5, 6)),
    ("Conv1d", (2, 3, 3), (2, 7)),
    ("ConvTranspose2d", (2, 3, 3), (2, 4, 4)),
    ("MaxPool2d", (2,), (3, 4, 6)),
    ("MaxPool1d", (2,), (3, 6)),
    ("AvgPool2d", (2,), (3, 4, 6)),
    ("AdaptiveAvgPool2d", (2,), (3, 5, 6)),
])
def test_unbatched_input_as_pytorch(name, args, shape):
    """One sample without its batch dimension: PyTorch accepts it and returns an unbatched
    result; so do we (values and gradients as PyTorch's)."""
    out = check_module(lambda: getattr(nn, name)(*args), lambda: getattr(torch.nn, name)(*args),
                       shape)
    assert out.ndim == len(shape)

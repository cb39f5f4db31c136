"""Layers, nn.functional layer functions, nn.init and Module features against PyTorch.

Every layer is compared in float64 with torch.nn by tests/oracle.py's check_module: weights
go through state_dict -> numpy -> load_state_dict (torch's into ours, or ours into torch
where a test set ours by hand), then forward output, input gradient, every parameter
gradient (for a random upstream gradient) and every buffer must agree. Small sizes are
gradchecked; a property test feeds non-contiguous inputs.
"""
import math
from functools import partial

import numpy as np
import pytest
import strategies as S
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check, check_module, check_state_dict, copy_like, copy_state

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradcheck, gradgradcheck
from tinygrad_lr.nn import init

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


# ================================================================ Linear, Bilinear, ...
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(5,), (2, 3), ()])
def test_linear_matches_torch(bias, batch):
    check_module(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), (*batch, 4))


def test_linear_loads_torch_weights():
    check_module(nn.Linear(6, 2), torch.nn.Linear(6, 2), (3, 6), weights="torch")
    check_module(nn.Linear(6, 2), torch.nn.Linear(6, 2), (3, 6), weights="ours")  # and back


def test_linear_gradcheck_and_gradgradcheck():
    x = tl.Tensor(randn(3, 4), requires_grad=True)
    w = tl.Tensor(randn(2, 4), requires_grad=True)
    b = tl.Tensor(randn(2), requires_grad=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (tl.Tensor(randn(2, 3, 4), requires_grad=True), w))


def test_linear_errors():
    layer = nn.Linear(3, 4)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=4, bias=True\)"
                                         r".*3 features.*\(2, 5\)"):
        layer(tl.randn(2, 5))
    with pytest.raises(TypeError, match="float64.*float32"):
        layer(tl.Tensor(randn(2, 3)))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\).*expected 3"):
        F.linear(tl.randn(2, 5), tl.randn(4, 3))


def test_linear_default_init_follows_torch_scheme():
    tl.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound): std bound/sqrt(3), and both ends are reached
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(w).max() > 0.99 * bound and abs(w.mean()) < 0.01 * bound
    assert layer.weight.requires_grad and layer.bias.requires_grad


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    ours, theirs = nn.Bilinear(3, 4, 2, bias=bias), torch.nn.Bilinear(3, 4, 2, bias=bias)
    check_module(ours, theirs, (5, 3), (5, 4))
    check_module(ours, theirs, (2, 5, 3), (2, 5, 4))


def test_bilinear_gradcheck_init_and_errors():
    layer = nn.Bilinear(2, 3, 2).double()
    x1 = tl.Tensor(randn(3, 2), requires_grad=True)
    x2 = tl.Tensor(randn(3, 3), requires_grad=True)
    assert gradcheck(lambda a, b, w: F.bilinear(a, b, w, layer.bias), (x1, x2, layer.weight))
    big = nn.Bilinear(50, 20, 30)
    assert np.abs(big.weight.numpy()).max() <= 1 / math.sqrt(50)
    with pytest.raises(ValueError, match=r"Bilinear\(in1_features=2.*\(3, 5\)"):
        layer(x1, tl.Tensor(randn(3, 5)))


def test_identity_and_flatten():
    x = randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=1)(tl.Tensor(x)).numpy() is not None
    np.testing.assert_array_equal(nn.Identity()(tl.Tensor(x)).numpy(), x)
    for args in [(), (0,), (1, 2), (2, -1), (-3, -2)]:
        check_module(nn.Flatten(*args), torch.nn.Flatten(*args), x)
        np.testing.assert_array_equal(F.flatten(tl.Tensor(x), *args).numpy(),
                                      torch.flatten(torch.tensor(x), *args).numpy())
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())


# ================================================================ activations
ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.ELU(), torch.nn.ELU()),
    (nn.ELU(0.5), torch.nn.ELU(0.5)),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.Softplus(2.0, 1.0), torch.nn.Softplus(2.0, 1.0)),
    (nn.Softmax(1), torch.nn.Softmax(1)),
    (nn.Softmax(-1), torch.nn.Softmax(-1)),
    (nn.Softmax(0), torch.nn.Softmax(0)),
    (nn.LogSoftmax(1), torch.nn.LogSoftmax(1)),
    (nn.LogSoftmax(0), torch.nn.LogSoftmax(0)),
]


@pytest.mark.parametrize("ours,theirs", ACTIVATIONS, ids=[repr(a) for a, _ in ACTIVATIONS])
def test_activation_modules_match_torch(ours, theirs):
    check_module(ours, theirs, randn(4, 5) * 3)
    check_module(ours, theirs, (2, 3, 4))
    assert repr(ours) == repr(theirs)
    assert list(ours.parameters()) == []


@pytest.mark.parametrize("ours,theirs", ACTIVATIONS[::2], ids=[repr(a) for a, _ in ACTIVATIONS[::2]])
def test_activation_gradcheck(ours, theirs):
    x = tl.Tensor(randn(3, 4) + 0.05, requires_grad=True)  # away from kinks
    assert gradcheck(ours, (x,))


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")  # torch warns about it
@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_softmax_implicit_dim_like_torch(ndim):
    check_module(nn.Softmax(), torch.nn.Softmax(), (3,) * ndim)
    check_module(nn.LogSoftmax(), torch.nn.LogSoftmax(), (3,) * ndim)


@pytest.mark.parametrize("ours,theirs", [
    (F.relu, TF.relu), (F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh),
    (lambda t: F.leaky_relu(t, 0.3), lambda t: TF.leaky_relu(t, 0.3)),
    (lambda t: F.elu(t, 2.0), lambda t: TF.elu(t, 2.0)),
    (lambda t: F.gelu(t, approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh")),
    (lambda t: F.softplus(t, 3.0, 2.0), lambda t: TF.softplus(t, 3.0, 2.0)),
    (lambda t: F.softmax(t, 0), lambda t: torch.softmax(t, 0)),
    (lambda t: F.log_softmax(t, 1), lambda t: torch.log_softmax(t, 1)),
], ids=["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu_tanh", "softplus", "softmax",
        "log_softmax"])
def test_functional_activations_match_torch(ours, theirs):
    check(ours, [], theirs, arrays=[randn(3, 4) * 2])


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


# ================================================================ Dropout
def test_dropout_statistics_and_scaling():
    tl.manual_seed(1)
    p = 0.3
    x = tl.ones(200, 500)
    out = nn.Dropout(p)(x).numpy()
    zeroed = (out == 0).mean()
    assert abs(zeroed - p) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p), rtol=1e-6)  # inverted dropout
    assert abs(out.mean() - 1.0) < 0.02  # expectation preserved
    assert out.dtype == np.float32


def test_dropout_eval_identity_and_edge_probabilities():
    layer = nn.Dropout(0.5).eval()
    x = tl.randn(4, 5)
    assert layer(x) is x
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    assert F.dropout(x, 0.5, training=False) is x
    # p = 1 would drop everything: refused, as the project's issue 3 asks (PyTorch returns zeros)
    for bad in (-0.1, 1.0, 1.5, "0.5", True):
        with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\), got"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\)"):
            F.dropout(x, bad)
    with pytest.raises(ValueError, match=r"LSTM: dropout must be a probability in \[0, 1\), got 1"):
        nn.LSTM(4, 6, num_layers=2, dropout=1)


@pytest.mark.parametrize("make,message", [
    (lambda: nn.Linear(-1, 3), r"Linear: in_features must be an integer >= 0, got -1"),
    (lambda: nn.Linear(3, 2.5), r"Linear: out_features must be an integer >= 0, got 2.5"),
    (lambda: nn.Bilinear(2, -1, 3), r"Bilinear: in2_features must be a positive integer, got -1"),
    (lambda: nn.Embedding(-1, 3), r"Embedding: num_embeddings must be an integer >= 0, got -1"),
    (lambda: nn.Embedding(3, -2), r"Embedding: embedding_dim must be an integer >= 0, got -2"),
    (lambda: nn.BatchNorm1d(-1), r"BatchNorm1d: num_features must be a positive integer, got -1"),
    (lambda: nn.BatchNorm2d(0), r"BatchNorm2d: num_features must be a positive integer, got 0"),
    (lambda: nn.LayerNorm((4, -1)), r"LayerNorm: normalized_shape must be a positive integer, "
                                    r"got -1"),
    (lambda: nn.RNN(-1, 3), r"RNN: input_size must be a positive integer, got -1"),
    (lambda: nn.GRU(3, 0), r"GRU: hidden_size must be a positive integer, got 0"),
    (lambda: nn.LSTMCell(0, 3), r"LSTMCell: input_size must be a positive integer, got 0"),
    (lambda: nn.Conv2d(-1, 3, 3), r"Conv2d: in_channels must be a positive integer, got -1"),
    (lambda: nn.Conv1d(1, 3, 3, groups=True), r"Conv1d: groups must be a positive integer"),
])
def test_bad_sizes_fail_at_construction_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_zero_sized_linear_and_embedding_are_allowed_as_in_pytorch():
    assert nn.Linear(0, 3)(tl.zeros(2, 0)).shape == (2, 3)
    assert nn.Embedding(0, 4).weight.shape == (0, 4)
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))


def test_dropout_reproducible_with_manual_seed_and_gradient_is_the_mask():
    x = tl.Tensor(randn(6, 7), requires_grad=True)
    tl.manual_seed(123)
    a = F.dropout(x, 0.4)
    tl.manual_seed(123)
    b = F.dropout(x, 0.4)
    c = F.dropout(x, 0.4)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(b.numpy(), c.numpy())
    a.sum().backward()
    kept = a.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.6)


# ================================================================ Embedding
def test_embedding_matches_torch_with_repeated_indices():
    idx = np.array([[1, 2, 1], [4, 1, 0]])
    ours, theirs = nn.Embedding(5, 3), torch.nn.Embedding(5, 3)
    check_module(ours, theirs, idx)
    # row 1 appears three times: its gradient is the sum of the three output gradients
    g = ours.weight.grad.numpy()
    assert np.abs(g[1]).sum() > 0 and np.all(g[3] == 0)


def test_embedding_padding_idx():
    idx = np.array([0, 2, 0, 3])
    ours, theirs = nn.Embedding(4, 2, padding_idx=0), torch.nn.Embedding(4, 2, padding_idx=0)
    assert np.all(ours.weight.numpy()[0] == 0)
    check_module(ours, theirs, idx)
    assert np.all(ours.weight.grad.numpy()[0] == 0)
    neg = nn.Embedding(4, 2, padding_idx=-1)
    assert neg.padding_idx == 3 and repr(neg) == repr(torch.nn.Embedding(4, 2, padding_idx=-1))
    assert repr(ours) == repr(theirs)


def test_embedding_init_gradcheck_and_errors():
    tl.manual_seed(0)
    w = nn.Embedding(300, 100).weight.numpy()
    assert abs(w.std() - 1) < 0.01 and abs(w.mean()) < 0.01  # N(0, 1), as in torch
    weight = tl.Tensor(randn(4, 3), requires_grad=True)
    assert gradcheck(lambda w: F.embedding(tl.tensor([[0, 3], [3, 3]]), w), (weight,))
    layer = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"index 4 is out of range .* 4 rows"):
        layer(tl.tensor([0, 4]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        layer(tl.tensor([-1]))
    with pytest.raises(TypeError, match="indices must be an integer tensor"):
        layer(tl.tensor([0.0]))
    with pytest.raises(ValueError, match="padding_idx 7"):
        nn.Embedding(4, 2, padding_idx=7)


def test_one_hot_and_normalize_match_torch():
    idx = np.array([[0, 2], [1, 4]])
    np.testing.assert_array_equal(F.one_hot(tl.tensor(idx)).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(idx)).numpy())
    out = F.one_hot(tl.tensor(idx), 7)
    assert out.shape == (2, 2, 7) and out.dtype == np.int64
    with pytest.raises(ValueError, match="class index 4 is out of range for num_classes=3"):
        F.one_hot(tl.tensor(idx), 3)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(tl.tensor([0.5]))
    x = randn(3, 4)
    x[1] = 0  # a zero row: eps keeps it finite, as in torch
    for p, dim in [(2.0, 1), (1.0, 0), (3.0, -1)]:  # no finite differences at the zero row
        check(partial(F.normalize, p=p, dim=dim), [], partial(TF.normalize, p=p, dim=dim),
              arrays=[x], grad_check=False, gradgrad_check=False)
    assert gradcheck(lambda t: F.normalize(t, 2.0, 1), (tl.Tensor(randn(3, 4), requires_grad=True),))


# ================================================================ BatchNorm
BN_CONFIGS = [dict(), dict(affine=False), dict(bias=False), dict(momentum=None), dict(momentum=0.5, eps=1e-3),
              dict(track_running_stats=False)]


@pytest.mark.parametrize("kwargs", BN_CONFIGS, ids=str)
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 2, 3))])
def test_batchnorm_train_steps_then_eval_match_torch(cls, shape, kwargs):
    ours, theirs = getattr(nn, cls)(3, **kwargs), getattr(torch.nn, cls)(3, **kwargs)
    assert repr(ours) == repr(theirs)
    for p in ours.parameters():  # non-trivial affine parameters, copied into torch's
        p.data[...] = randn(3)
    for _ in range(3):  # running statistics after several steps (buffers compared)
        check_module(ours, theirs, randn(*shape) * 2 + 1, weights="ours")
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == 3
    check_module(ours.eval(), theirs.eval(), shape, weights="ours")
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == 3  # eval does not count


def test_batchnorm_default_buffers_and_dtypes():
    bn = nn.BatchNorm2d(4)
    sd = bn.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(sd["weight"].numpy(), np.ones(4))
    np.testing.assert_array_equal(sd["running_var"].numpy(), np.ones(4))
    assert sd["num_batches_tracked"].dtype == np.int64 and sd["num_batches_tracked"].shape == ()
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64


def test_batchnorm_gradcheck_train_and_eval():
    for shape in [(4, 3), (3, 2, 4), (2, 2, 2, 3)]:
        x = tl.Tensor(randn(*shape), requires_grad=True)
        w = tl.Tensor(randn(shape[1]), requires_grad=True)
        b = tl.Tensor(randn(shape[1]), requires_grad=True)
        assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
        rm, rv = tl.Tensor(randn(shape[1])), tl.Tensor(np.abs(randn(shape[1])) + 0.5)
        assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    x = tl.Tensor(randn(4, 3), requires_grad=True)
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (x,))


def test_batchnorm_double_backward_raises_clearly():
    x = tl.Tensor(randn(4, 3), requires_grad=True)
    y = F.batch_norm(x, None, None, training=True)
    (g,) = tl.autograd.grad((y * y * y).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="double backward through BatchNorm"):
        g.sum().backward()


def test_batchnorm_errors():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected 3 channels in dim 1, got 4"):
        bn(tl.randn(5, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D \(N, C\) or 3D"):
        bn(tl.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D"):
        nn.BatchNorm2d(3)(tl.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tl.randn(1, 3))
    with pytest.raises(ValueError, match="running_mean has shape"):
        F.batch_norm(tl.randn(2, 3), tl.zeros(4), tl.ones(3))


def test_batchnorm_float32_matches_torch():
    x = randn(8, 4, 3, 3).astype(np.float32)
    out = check_module(nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4), x, dtype="float32",
                       rtol=1e-6, atol=1e-6)  # running_var among the buffers
    assert out.dtype == np.float32


# ================================================================ LayerNorm
@pytest.mark.parametrize("normalized_shape,shape", [(5, (3, 5)), ((4, 5), (2, 4, 5)),
                                                    (5, (2, 3, 5)), ([5], (5,))])
@pytest.mark.parametrize("kwargs", [dict(), dict(elementwise_affine=False), dict(eps=1e-2),
                                    dict(bias=False)], ids=str)
def test_layernorm_matches_torch(normalized_shape, shape, kwargs):
    ours = nn.LayerNorm(normalized_shape, **kwargs)
    theirs = torch.nn.LayerNorm(normalized_shape, **kwargs)
    assert repr(ours) == repr(theirs)
    for p in ours.parameters():  # non-trivial affine parameters, copied into torch's
        p.data[...] = randn(*p.shape)
    check_module(ours, theirs, randn(*shape) * 3 + 2, weights="ours")


def test_layernorm_gradcheck_and_errors():
    x = tl.Tensor(randn(3, 2, 4), requires_grad=True)
    w = tl.Tensor(randn(2, 4), requires_grad=True)
    b = tl.Tensor(randn(2, 4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, 4), (x,))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*last 1 dimension\(s\) are \(4,\)"):
        nn.LayerNorm(4)(tl.randn(4, 3))
    with pytest.raises(ValueError, match="weight has shape"):
        F.layer_norm(tl.randn(2, 4), 4, tl.ones(3))


# ================================================================ nn.init
def test_calculate_gain_and_fans_match_torch():
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    for shape in [(3, 4), (8, 3, 5), (6, 2, 3, 3)]:
        assert init._calculate_fan_in_and_fan_out(tl.zeros(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tl.zeros(5))


@pytest.mark.parametrize("fn,kwargs,kind,scale", [
    (init.xavier_uniform_, dict(gain=2.0), "uniform", 2.0 * math.sqrt(6 / (200 + 300))),
    (init.xavier_normal_, dict(), "normal", math.sqrt(2 / (200 + 300))),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), "uniform", 1 / math.sqrt(300)),
    (init.kaiming_uniform_, dict(nonlinearity="relu", mode="fan_out"), "uniform",
     math.sqrt(2) * math.sqrt(3 / 200)),
    (init.kaiming_normal_, dict(nonlinearity="relu"), "normal", math.sqrt(2 / 300)),
    (init.kaiming_normal_, dict(mode="fan_out", nonlinearity="tanh"), "normal", 5 / 3 / math.sqrt(200)),
    (init.uniform_, dict(a=-2.0, b=3.0), "uniform", None),
    (init.normal_, dict(mean=1.0, std=0.5), "normal", 0.5),
])
def test_init_distributions(fn, kwargs, kind, scale):
    tl.manual_seed(0)
    t = fn(tl.zeros(200, 300), **kwargs)
    x = t.numpy()
    assert x.dtype == np.float32
    if fn is init.uniform_:
        assert x.min() >= -2 and x.max() <= 3 and abs(x.mean() - 0.5) < 0.05
    elif kind == "uniform":  # scale is the bound
        assert np.abs(x).max() <= scale * (1 + 1e-6) and np.abs(x).max() > 0.99 * scale
        assert abs(x.std() - scale / math.sqrt(3)) < 0.02 * scale
    else:  # scale is the std
        assert abs(x.std() - scale) < 0.02 * scale
    tl.manual_seed(0)
    np.testing.assert_array_equal(fn(tl.zeros(200, 300), **kwargs).numpy(), x)  # repeatable


def test_init_constant_orthogonal_and_in_place():
    p = nn.Linear(3, 4).weight
    version = p._version[0]
    assert init.constant_(p, 0.25) is p and np.all(p.numpy() == 0.25)
    assert p._version[0] > version
    assert np.all(init.zeros_(p).numpy() == 0) and np.all(init.ones_(p).numpy() == 1)
    for shape in [(5, 3), (3, 5), (4, 2, 3)]:
        q = init.orthogonal_(tl.zeros(*shape, dtype="float64"), gain=2.0).numpy()
        q = q.reshape(shape[0], -1)
        small = q @ q.T if shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(small, 4 * np.eye(min(q.shape)), atol=1e-10)
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(tl.zeros(3, 3), mode="fan_avg")


# ================================================================ Module features
def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(4, 2))


def _torch_model():
    t = torch.nn
    return t.Sequential(t.Linear(3, 4), t.BatchNorm1d(4), t.ReLU(), t.Dropout(0.2), t.Linear(4, 2))


def test_model_repr_names_and_state_dict_match_torch():
    ours, theirs = _model(), _torch_model()
    assert repr(ours) == repr(theirs)
    check_state_dict(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(list(ours.children())) == 5 and len(list(ours.modules())) == 6
    copy_state(ours, theirs)  # round trip ours -> torch -> ours
    fresh = _model()
    copy_state(theirs, fresh)
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[k].numpy(), v.numpy())
    # the round-tripped weights give torch's output and gradients (eval: no dropout)
    check_module(fresh.eval(), theirs.eval(), randn(6, 3).astype(np.float32), dtype="float32",
                 rtol=1e-7, atol=1e-6)


def test_load_state_dict_errors_name_the_keys():
    model = _model()
    sd = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del sd["0.bias"]
    sd["extra.weight"] = np.zeros(2)
    sd["4.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError, match=r"4\.weight: checkpoint \(3, 3\), model \(2, 4\)") as e:
        model.load_state_dict(sd)
    assert "missing keys: 0.bias" in str(e.value) and "unexpected keys: extra.weight" in str(e.value)
    sd["4.weight"] = np.ones((2, 4))
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(model[4].weight.numpy(), np.ones((2, 4)))


def test_train_eval_zero_grad_and_dtype():
    model = _model()
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert model[1].training
    model(tl.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.double()
    assert all(t.dtype == np.float64 for k, t in model.state_dict().items()
               if "num_batches" not in k)
    assert model(tl.Tensor(randn(5, 3))).dtype == np.float64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    with pytest.raises(TypeError, match="only floating dtypes"):
        model.to(np.int64)


# ================================================================ kernels (also run with NUMBA_DISABLE_JIT=1)
def test_norm_kernels_match_numpy_nojit():
    from tinygrad_lr.kernels import norm as K

    for shape in [(4, 3, 5), (5, 3, 1)]:  # L = 1 takes the (N, C) path
        _check_batch_norm_kernels(K, randn(*shape), randn(*shape))
    _check_layer_norm_kernels(K)


def _check_batch_norm_kernels(K, x, g):
    w, b = randn(3), randn(3)
    mean, var = K.batch_stats(x)
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2)), atol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=(0, 2)), rtol=1e-12)
    invstd = 1 / np.sqrt(var + 1e-5)
    xhat = (x - mean[:, None]) * invstd[:, None]
    out = K.scale_shift(x, mean, invstd, w, b)
    np.testing.assert_allclose(out, xhat * w[:, None] + b[:, None], atol=1e-12)
    gx, gw, gb = K.batch_norm_backward(g, x, mean, invstd, w)
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2)), atol=1e-12)
    np.testing.assert_allclose(gw, (g * xhat).sum(axis=(0, 2)), atol=1e-12)
    expected = (w * invstd)[:, None] * (g - g.mean(axis=(0, 2))[:, None]
                                        - xhat * (g * xhat).mean(axis=(0, 2))[:, None])
    np.testing.assert_allclose(gx, expected, atol=1e-12)


def _check_layer_norm_kernels(K):
    rows = randn(6, 7).astype(np.float32)
    w7, b7 = randn(7).astype(np.float32), randn(7).astype(np.float32)
    out, mean, invstd = K.layer_norm_rows(rows, w7, b7, 1e-5)
    ref = (rows - rows.mean(1, keepdims=True)) / np.sqrt(rows.var(1, keepdims=True) + 1e-5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(mean, rows.mean(1), atol=1e-6)
    np.testing.assert_allclose(out, ref * w7 + b7, atol=1e-5)
    g = randn(6, 7).astype(np.float32)
    gw = g * w7
    expected = invstd[:, None] * (gw - gw.mean(1, keepdims=True)
                                  - ref * (gw * ref).mean(1, keepdims=True))
    gx, grad_w, grad_b = K.layer_norm_backward_rows(g, rows, mean, invstd, w7)
    np.testing.assert_allclose(gx, expected, atol=1e-5)
    np.testing.assert_allclose(grad_w, (g * ref).sum(0), atol=1e-5)
    np.testing.assert_allclose(grad_b, g.sum(0), atol=1e-5)


def test_layernorm_float32_and_non_contiguous_input_match_torch():
    x = randn(6, 5, 4).astype(np.float32).transpose(0, 2, 1)  # (6, 4, 5), not contiguous
    ours = nn.LayerNorm(5)
    out = check_module(ours, torch.nn.LayerNorm(5), x, dtype="float32", rtol=1e-6, atol=5e-6)
    assert out.dtype == np.float32 and ours.weight.grad.dtype == np.float32


def test_dropout_gradcheck_with_a_fixed_mask_and_seeded_layer_init():
    def fixed_mask_dropout(x):
        tl.manual_seed(7)  # the same mask on every call that gradcheck makes
        return F.dropout(x, 0.3)

    x = tl.Tensor(randn(4, 5), requires_grad=True)
    assert gradcheck(fixed_mask_dropout, (x,)) and gradgradcheck(fixed_mask_dropout, (x,))
    tl.manual_seed(3)
    a = nn.Sequential(nn.Linear(4, 3), nn.Bilinear(3, 3, 2), nn.Embedding(5, 2))
    tl.manual_seed(3)
    b = nn.Sequential(nn.Linear(4, 3), nn.Bilinear(3, 3, 2), nn.Embedding(5, 2))
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)


def test_module_assignment_rules_and_buffers_like_torch():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign a Tensor to parameter 'weight'"):
        layer.weight = tl.zeros(3, 2)
    layer.bias = None  # stays registered as None, like torch
    theirs = torch.nn.Linear(2, 3)
    theirs.bias = None
    assert repr(layer) == repr(theirs) and list(layer.state_dict()) == ["weight"]
    layer.weight = nn.Parameter(tl.ones(3, 2))
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    m = nn.Module()
    m.register_buffer("kept", tl.zeros(2))
    m.register_buffer("scratch", tl.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    m.kept = tl.ones(2)  # re-assigning a buffer keeps it a buffer
    np.testing.assert_array_equal(m.state_dict()["kept"].numpy(), np.ones(2))


def test_named_parameters_children_and_shared_parameters():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    theirs_shared = torch.nn.Linear(2, 2)
    theirs = torch.nn.Sequential(theirs_shared, torch.nn.Tanh(), theirs_shared)
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert list(model.state_dict()) == list(theirs.state_dict())  # shared: listed under both
    assert [n for n, _ in model.named_children()] == ["0", "1", "2"]
    assert [n for n, _ in model[0].named_parameters(prefix="enc")] == ["enc.weight", "enc.bias"]
    assert list(model.named_parameters(recurse=False)) == []


def test_norm_double_backward_with_constant_upstream_raises_instead_of_zero():
    # the first gradient depends on x through the kernel backward only: a second
    # differentiation must raise rather than silently miss that dependence
    x = tl.Tensor(randn(4, 3), requires_grad=True)
    w = tl.Tensor(randn(4, 3))
    for fn in (lambda x: F.layer_norm(x, 3), lambda x: F.batch_norm(x, None, None, training=True)):
        (g,) = tl.autograd.grad((fn(x) * w).sum(), x, create_graph=True)
        with pytest.raises(RuntimeError, match="double backward through (LayerNorm|BatchNorm)"):
            (g * g).sum().backward()


def test_dtype_mismatch_errors_and_embedding_from_pretrained():
    with pytest.raises(TypeError, match="batch_norm: input is float64 but running_mean is float32"):
        nn.BatchNorm1d(3)(tl.Tensor(randn(4, 3)))
    with pytest.raises(TypeError, match="layer_norm: input is float64 but weight is float32"):
        nn.LayerNorm(3)(tl.Tensor(randn(4, 3)))
    table = randn(5, 2)
    emb = nn.Embedding.from_pretrained(tl.Tensor(table))
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table))
    assert not emb.weight.requires_grad and repr(emb) == repr(theirs)
    np.testing.assert_array_equal(emb(tl.tensor([4, 0])).numpy(), table[[4, 0]])
    check_module(emb, theirs, np.array([4, 0, 4]))  # frozen: no gradient on either side
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_repr_of_a_custom_module_with_extra_repr_and_children_matches_torch():
    def build(base, lin):
        class Block(base):
            def __init__(self):
                super().__init__()
                self.fc = lin(2, 3)
                self.scale = 2.0

            def extra_repr(self):
                return f"scale={self.scale}"

        return Block()

    assert repr(build(nn.Module, nn.Linear)) == repr(build(torch.nn.Module, torch.nn.Linear))
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())


def test_composite_layers_are_twice_differentiable():
    x1 = tl.Tensor(randn(3, 2), requires_grad=True)
    x2 = tl.Tensor(randn(3, 3), requires_grad=True)
    w = tl.Tensor(randn(2, 2, 3), requires_grad=True)
    assert gradgradcheck(lambda a, b, w: F.bilinear(a, b, w), (x1, x2, w))
    table = tl.Tensor(randn(4, 2), requires_grad=True)
    assert gradgradcheck(lambda t: F.embedding(tl.tensor([1, 1, 3]), t, padding_idx=3) ** 2,
                         (table,))
    rm, rv = tl.Tensor(randn(2)), tl.Tensor(np.abs(randn(2)) + 0.5)
    assert gradgradcheck(lambda a: F.batch_norm(a, rm, rv, training=False) ** 2, (x1,))
    assert gradgradcheck(lambda a: F.normalize(a) * a, (x1,))


# ================================================================ non-contiguous inputs
LAYERS = {  # name: (ours and torch's layer, input shape)
    "linear": (lambda: (nn.Linear(4, 3), torch.nn.Linear(4, 3)), (2, 3, 4)),
    "layer_norm": (lambda: (nn.LayerNorm(4), torch.nn.LayerNorm(4)), (3, 2, 4)),
    "layer_norm_2d": (lambda: (nn.LayerNorm((2, 4)), torch.nn.LayerNorm((2, 4))), (3, 2, 4)),
    "batch_norm1d": (lambda: (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)), (4, 3)),
    "batch_norm1d_3d": (lambda: (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)), (4, 3, 2)),
    "batch_norm2d": (lambda: (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)), (2, 3, 2, 3)),
    "batch_norm2d_eval": (lambda: (nn.BatchNorm2d(3).eval(), torch.nn.BatchNorm2d(3).eval()),
                          (2, 3, 2, 3)),
    "softmax": (lambda: (nn.Softmax(1), torch.nn.Softmax(1)), (3, 4, 2)),
    "log_softmax": (lambda: (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1)), (3, 4)),
    "gelu": (lambda: (nn.GELU(), torch.nn.GELU()), (3, 4)),
    "elu": (lambda: (nn.ELU(), torch.nn.ELU()), (3, 4)),
    "flatten": (lambda: (nn.Flatten(), torch.nn.Flatten()), (2, 3, 4)),
}


@settings(max_examples=20, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(LAYERS)))
def test_layers_on_noncontiguous_inputs(data, name):
    make, shape = LAYERS[name]
    check_module(*make(), data.draw(S.arrays(shape, S.NONCONTIGUOUS), label="x"))


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_bilinear_and_embedding_on_noncontiguous_inputs(data):
    x1 = data.draw(S.arrays((3, 2, 3), S.NONCONTIGUOUS), label="x1")
    x2 = data.draw(S.arrays((3, 2, 4), S.NONCONTIGUOUS), label="x2")
    check_module(nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2), x1, x2)
    # integer indices 0..4 in a transposed, stepped or flipped array
    spread = data.draw(S.arrays((3, 4), ("transposed", "strided", "flipped")), label="idx")
    spread[...] = np.floor((spread + 2) * 1.2)  # in place: the view keeps its strides
    idx = copy_like(spread, np.int64)
    assert not idx.flags.c_contiguous
    check_module(nn.Embedding(5, 2), torch.nn.Embedding(5, 2), idx)

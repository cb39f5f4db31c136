"""The plain references (nn/reference.py) against the fused ops they describe.

For every function, on seeded random inputs: the reference and the fused public op
(`nn.functional`, or an nn module holding the same weights) give the same outputs in
float64 and float32, the same gradient of a random weighted sum of the outputs for every
input and parameter, and the reference passes gradcheck on small shapes. A case is one
line of CASES: its inputs are numpy arrays (floats become leaves that require grad, integers
class indices; `Const` marks a float constant such as a class weight).
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradcheck
from tinygrad_lr.nn import reference as R

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


def uniform(lo, hi, *shape):
    return RNG.uniform(lo, hi, shape)


def classes(n, *shape):
    return RNG.integers(0, n, size=shape)


class Const:
    """A float input that is a constant (no gradient), e.g. a class weight."""

    def __init__(self, array):
        self.array = array


def _tensors(inputs, dtype=np.float64):
    """Fresh tensors: float arrays as leaves that require grad, the rest as constants."""
    out = []
    for a in inputs:
        if isinstance(a, Const):
            out.append(tl.Tensor(a.array.astype(dtype)))
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            out.append(tl.Tensor(a.astype(dtype), requires_grad=True))
        else:
            out.append(tl.Tensor(a))
    return out


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _flat(r)]
    return [result]


def assert_same(ref_out, fused_out, ref_leaves, fused_leaves, tol=1e-10, seed=1):
    """Same outputs; then, for a random weighted sum of the outputs, the same gradient of
    every leaf (None on one side only counts as zero)."""
    ref_out, fused_out = _flat(ref_out), _flat(fused_out)
    assert len(ref_out) == len(fused_out)
    for k, (r, f) in enumerate(zip(ref_out, fused_out)):
        assert r.shape == f.shape, f"output {k}: shape {r.shape}, fused {f.shape}"
        assert r.dtype == f.dtype, f"output {k}: dtype {r.dtype}, fused {f.dtype}"
        np.testing.assert_allclose(r.numpy(), f.numpy(), rtol=tol, atol=tol,
                                   err_msg=f"output {k}")
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(r.shape).astype(r.dtype) for r in ref_out]
    for outs in (ref_out, fused_out):
        sum(((o * tl.Tensor(w)).sum() for o, w in zip(outs, weights)
             if o.requires_grad)).backward()
    checked = 0
    for i, (r, f) in enumerate(zip(ref_leaves, fused_leaves)):
        if not f.requires_grad:
            continue
        gr = np.zeros(r.shape) if r.grad is None else r.grad.numpy()
        gf = np.zeros(f.shape) if f.grad is None else f.grad.numpy()
        np.testing.assert_allclose(gr, gf, rtol=tol, atol=tol, err_msg=f"gradient of input {i}")
        checked += 1
    assert checked, "no input needs a gradient"


class Case:
    """reference(*inputs, **kwargs) against fused(*inputs, **kwargs); small inputs (default:
    the same) for gradcheck."""

    def __init__(self, name, reference, fused, inputs, small=None, **kwargs):
        self.name, self.reference, self.fused = name, reference, fused
        self.inputs, self.small, self.kwargs = inputs, small or inputs, kwargs

    def __repr__(self):
        return self.name


def case(name, fn, inputs, small=None, **kwargs):
    """A case whose fused twin has the same name in nn.functional."""
    return Case(name, getattr(R, fn), getattr(F, fn), inputs, small, **kwargs)


X4 = randn(2, 4, 7, 6)  # (N, C, H, W): odd and even sizes, so ceil_mode windows overhang
X3 = randn(2, 4, 9)
SMALL4, SMALL3 = randn(1, 2, 4, 3), randn(1, 2, 5)
W_CLASS = uniform(0.5, 2.0, 5)


def _lse(x, dim, keepdim=False):
    return tl.logsumexp(x, dim, keepdim)


CASES = [
    # linear
    case("linear", "linear", [randn(3, 4), randn(5, 4), randn(5)]),
    case("linear_3d_no_bias", "linear", [randn(2, 3, 4), randn(5, 4)]),
    case("linear_vector_weight", "linear", [randn(3, 4), randn(4)]),
    # convolution
    case("conv2d", "conv2d", [X4, randn(6, 4, 3, 2), randn(6)], [SMALL4, randn(2, 2, 2, 2)]),
    case("conv2d_stride_padding", "conv2d", [X4, randn(6, 4, 3, 3), randn(6)],
         [SMALL4, randn(1, 2, 3, 3), randn(1)], stride=2, padding=1),
    case("conv2d_groups_dilation", "conv2d", [X4, randn(6, 2, 3, 2), randn(6)],
         [randn(1, 4, 5, 4), randn(2, 2, 2, 2), randn(2)], stride=(2, 1), padding=(1, 2),
         dilation=(2, 1), groups=2),
    case("conv2d_depthwise_no_bias", "conv2d", [X4, randn(8, 1, 2, 2)],
         [randn(1, 4, 3, 3), randn(4, 1, 2, 2)], groups=4),
    case("conv2d_same_odd_total", "conv2d", [X4, randn(3, 4, 3, 2), randn(3)],
         [SMALL4, randn(1, 2, 3, 2)], padding="same"),
    case("conv2d_same_dilated", "conv2d", [X4, randn(3, 4, 3, 3)], [SMALL4, randn(1, 2, 2, 2)],
         padding="same", dilation=(2, 1)),
    case("conv2d_valid", "conv2d", [X4, randn(3, 4, 2, 2)], [SMALL4, randn(1, 2, 2, 2)],
         padding="valid"),
    case("conv1d", "conv1d", [X3, randn(6, 4, 3), randn(6)], [SMALL3, randn(2, 2, 2)]),
    case("conv1d_stride_padding_groups", "conv1d", [X3, randn(6, 2, 3), randn(6)],
         [SMALL3, randn(2, 1, 2), randn(2)], stride=2, padding=1, dilation=2, groups=2),
    case("conv1d_same", "conv1d", [X3, randn(3, 4, 4)], [SMALL3, randn(1, 2, 2)],
         padding="same", dilation=(1,)),
    case("conv_transpose2d", "conv_transpose2d", [X4, randn(4, 3, 3, 2), randn(3)],
         [SMALL4, randn(2, 1, 2, 2)]),
    case("conv_transpose2d_stride_output_padding", "conv_transpose2d",
         [X4, randn(4, 3, 3, 3), randn(3)], [SMALL4, randn(2, 1, 3, 2), randn(1)],
         stride=2, padding=1, output_padding=1),
    case("conv_transpose2d_groups_dilation", "conv_transpose2d",
         [X4, randn(4, 3, 3, 2), randn(6)], [randn(1, 2, 3, 2), randn(2, 1, 2, 2), randn(2)],
         stride=(2, 3), padding=(0, 1), output_padding=(1, 0), groups=2, dilation=(1, 2)),
    case("conv_transpose2d_padding_crops", "conv_transpose2d", [X4, randn(4, 2, 3, 3)],
         [randn(1, 2, 5, 4), randn(2, 1, 3, 3)], padding=(3, 2)),
    # pooling
    case("max_pool2d", "max_pool2d", [X4], [SMALL4], kernel_size=2),
    case("max_pool2d_stride_padding_ceil", "max_pool2d", [X4], [SMALL4], kernel_size=3,
         stride=2, padding=1, ceil_mode=True),
    case("max_pool2d_dilation_ceil", "max_pool2d", [X4], [randn(1, 2, 5, 4)],
         kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1), ceil_mode=True),
    case("max_pool2d_ties", "max_pool2d", [classes(3, 2, 3, 6, 6).astype(float)],
         [SMALL4], kernel_size=3, stride=1, padding=1),
    case("max_pool1d", "max_pool1d", [X3], [SMALL3], kernel_size=3, stride=2, padding=1,
         ceil_mode=True),
    case("max_pool1d_dilation", "max_pool1d", [X3], [SMALL3], kernel_size=2, dilation=2),
    case("avg_pool2d", "avg_pool2d", [X4], [SMALL4], kernel_size=2),
    case("avg_pool2d_padding_ceil", "avg_pool2d", [X4], [SMALL4], kernel_size=3, stride=2,
         padding=1, ceil_mode=True),
    case("avg_pool2d_exclude_pad", "avg_pool2d", [X4], [SMALL4], kernel_size=3, stride=2,
         padding=1, ceil_mode=True, count_include_pad=False),
    case("avg_pool2d_divisor_override", "avg_pool2d", [X4], [SMALL4], kernel_size=(2, 3),
         stride=(2, 1), padding=(1, 1), divisor_override=5),
    case("adaptive_avg_pool2d_1", "adaptive_avg_pool2d", [X4], [SMALL4], output_size=1),
    case("adaptive_avg_pool2d_overlap", "adaptive_avg_pool2d", [X4], [SMALL4],
         output_size=(4, 5)),
    case("adaptive_avg_pool2d_none", "adaptive_avg_pool2d", [X4], [SMALL4],
         output_size=(3, None)),
    # normalisation (batch_norm's running statistics: test_batch_norm_running_statistics)
    case("batch_norm_eval", "batch_norm", [X4, Const(randn(4)), Const(uniform(0.5, 2, 4)),
                                           randn(4), randn(4)],
         [SMALL4, Const(randn(2)), Const(uniform(0.5, 2, 2)), randn(2), randn(2)],
         training=False),
    case("batch_norm_train_4d", "batch_norm", [X4, None, None, randn(4), randn(4)],
         [SMALL4, None, None, randn(2), randn(2)], training=True),
    case("batch_norm_train_2d_no_affine", "batch_norm", [randn(6, 3), None, None],
         training=True),
    case("layer_norm", "layer_norm", [randn(3, 5), (5,), randn(5), randn(5)]),
    case("layer_norm_two_dims_no_affine", "layer_norm", [randn(2, 3, 4, 5), (4, 5)],
         [randn(2, 2, 3), (2, 3)], eps=1e-3),
    # softmax and friends; logits of +-1000 must stay finite
    case("softmax", "softmax", [randn(3, 5)], dim=1),
    case("softmax_dim0_large", "softmax", [1000 * randn(4, 3)], [randn(4, 3)], dim=0),
    case("log_softmax", "log_softmax", [randn(2, 3, 4)], dim=-1),
    case("log_softmax_large", "log_softmax", [1000 * randn(3, 4)], [randn(3, 4)], dim=1),
    Case("logsumexp", R.logsumexp, _lse, [randn(3, 4)], dim=1),
    Case("logsumexp_dims_keepdim", R.logsumexp, _lse, [1000 * randn(2, 3, 4)],
         [randn(2, 3, 2)], dim=(0, 2), keepdim=True),
]

REDUCTIONS = ["mean", "sum", "none"]
for red in REDUCTIONS:
    CASES += [
        case(f"cross_entropy_{red}", "cross_entropy", [randn(6, 5), classes(5, 6)],
             reduction=red),
        case(f"cross_entropy_weight_ignore_{red}", "cross_entropy",
             [randn(6, 5), np.array([0, 4, -100, 2, 2, -100]), Const(W_CLASS)],
             reduction=red),
        case(f"cross_entropy_smoothing_weight_ignore_{red}", "cross_entropy",
             [randn(6, 5), np.array([1, 3, 7, 0, 7, 4]), Const(W_CLASS)], ignore_index=7,
             label_smoothing=0.2, reduction=red),
        case(f"cross_entropy_spatial_smoothing_{red}", "cross_entropy",
             [randn(2, 5, 3, 2), classes(5, 2, 3, 2)], label_smoothing=0.1, reduction=red),
        case(f"cross_entropy_probabilities_{red}", "cross_entropy",
             [randn(4, 5), np.exp(randn(4, 5)) / 3, Const(W_CLASS)], label_smoothing=0.3,
             reduction=red),
        case(f"nll_loss_weight_ignore_{red}", "nll_loss",
             [randn(6, 5), np.array([0, 4, 1, 2, 2, 1]), Const(W_CLASS)], ignore_index=1,
             reduction=red),
        case(f"nll_loss_spatial_{red}", "nll_loss", [randn(2, 5, 3), classes(5, 2, 3)],
             reduction=red),
        case(f"mse_loss_{red}", "mse_loss", [randn(3, 4), randn(3, 4)], reduction=red),
        case(f"huber_loss_{red}", "huber_loss", [2 * randn(3, 4), randn(3, 4)], delta=0.7,
             reduction=red),
        case(f"smooth_l1_loss_{red}", "smooth_l1_loss", [2 * randn(3, 4), randn(3, 4)],
             beta=1.5, reduction=red),
        case(f"smooth_l1_loss_beta0_{red}", "smooth_l1_loss", [randn(3, 4), randn(3, 4)],
             beta=0.0, reduction=red),
        case(f"binary_cross_entropy_{red}", "binary_cross_entropy",
             [uniform(0.05, 0.95, 3, 4), uniform(0, 1, 3, 4), Const(uniform(0.5, 2, 4))],
             reduction=red),
        case(f"bce_with_logits_{red}", "binary_cross_entropy_with_logits",
             [np.r_[0.0, 1000.0, -1000.0, 3 * randn(9)].reshape(3, 4), uniform(0, 1, 3, 4)],
             [randn(3, 4), uniform(0, 1, 3, 4)], reduction=red),
        case(f"bce_with_logits_weights_{red}", "binary_cross_entropy_with_logits",
             [3 * randn(3, 4), uniform(0, 1, 3, 4), Const(uniform(0.5, 2, 3, 1))],
             reduction=red, pos_weight=Const(uniform(0.5, 3, 4))),
    ]
CASES += [
    case("cross_entropy_unbatched", "cross_entropy", [randn(5), np.array(3)]),
    case("cross_entropy_unbatched_probabilities", "cross_entropy", [randn(5), uniform(0, 1, 5)]),
    case("embedding", "embedding", [np.array([[0, 2, 2], [4, 1, 0]]), randn(5, 3)]),
    case("gelu", "gelu", [3 * randn(4, 5)]),
    case("embedding_padding_idx", "embedding", [np.array([[0, 2, 2], [4, 1, 0]]), randn(5, 3)],
         padding_idx=2),
    case("embedding_negative_padding_idx", "embedding", [np.array([4, 1, 4, 3]), randn(5, 3)],
         padding_idx=-1),
]


def _call(fn, tensors, kwargs):
    """fn(*tensors, **kwargs); Const inputs given as keywords (pos_weight) become tensors."""
    kwargs = {k: tl.Tensor(v.array) if isinstance(v, Const) else v for k, v in kwargs.items()}
    return fn(*tensors, **kwargs)


def _inputs(arrays, dtype=np.float64):
    """Tensors for the array inputs; other values (None, shapes) are passed as they are."""
    tensors = _tensors([a for a in arrays if isinstance(a, (np.ndarray, Const))], dtype)
    it = iter(tensors)
    return [next(it) if isinstance(a, (np.ndarray, Const)) else a for a in arrays], tensors


@pytest.mark.parametrize("c", CASES, ids=repr)
def test_reference_matches_fused_float64(c):
    ref_args, ref_leaves = _inputs(c.inputs)
    fused_args, fused_leaves = _inputs(c.inputs)
    assert_same(_call(c.reference, ref_args, c.kwargs), _call(c.fused, fused_args, c.kwargs),
                ref_leaves, fused_leaves)


@pytest.mark.parametrize("c", CASES, ids=repr)
def test_reference_matches_fused_float32_forward(c):
    with tl.no_grad():
        ref = _flat(_call(c.reference, _inputs(c.inputs, np.float32)[0], c.kwargs))
        fused = _flat(_call(c.fused, _inputs(c.inputs, np.float32)[0], c.kwargs))
    for r, f in zip(ref, fused):
        assert r.dtype == f.dtype == np.float32
        scale = max(1.0, float(np.abs(f.numpy()).max()))
        np.testing.assert_allclose(r.numpy(), f.numpy(), rtol=1e-4, atol=1e-5 * scale)


def _torch_inputs(arrays):
    out = []
    for a in arrays:
        if isinstance(a, Const):
            out.append(torch.tensor(a.array))
        elif isinstance(a, np.ndarray):
            out.append(torch.tensor(a, requires_grad=a.dtype.kind == "f"))
        else:
            out.append(a)
    return out


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's copy
@pytest.mark.parametrize("c", CASES, ids=repr)
def test_reference_matches_pytorch(c):
    """The same check against torch.nn.functional directly: a reference that agreed with a
    wrong fused op would fail here."""
    name = c.reference.__name__
    torch_fn = torch.logsumexp if name == "logsumexp" else getattr(TF, name)
    ref_args, ref_leaves = _inputs(c.inputs)
    theirs = _torch_inputs(c.inputs)
    kwargs = {k: torch.tensor(v.array) if isinstance(v, Const) else v
              for k, v in c.kwargs.items()}
    ref_out, torch_out = _call(c.reference, ref_args, c.kwargs), torch_fn(*theirs, **kwargs)
    np.testing.assert_allclose(ref_out.numpy(), torch_out.detach().numpy(), rtol=1e-10,
                               atol=1e-10)
    g = randn(*ref_out.shape)
    (ref_out * tl.Tensor(g)).sum().backward()
    (torch_out * torch.tensor(g)).sum().backward()
    torch_leaves = [t for t in theirs if isinstance(t, torch.Tensor) and t.requires_grad]
    ref_leaves = [t for t in ref_leaves if t.requires_grad]
    assert len(ref_leaves) == len(torch_leaves)
    for r, t in zip(ref_leaves, torch_leaves):
        np.testing.assert_allclose(r.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)


# The padding row's gradient is zero by definition, not the derivative: gradcheck cannot
# pass there; test_reference_matches_fused_float64 checks that both ops give it none.
GRADCHECK_CASES = [c for c in CASES if "padding_idx" not in c.kwargs]


@pytest.mark.parametrize("c", GRADCHECK_CASES, ids=repr)
def test_reference_gradcheck(c):
    args, _ = _inputs(c.small)
    positions = [i for i, a in enumerate(args) if isinstance(a, tl.Tensor) and a.requires_grad]

    def fn(*xs):
        full = list(args)
        for i, x in zip(positions, xs):
            full[i] = x
        return tuple(_flat(_call(c.reference, full, c.kwargs)))

    assert gradcheck(fn, [args[i] for i in positions])


def test_batch_norm_running_statistics_move_as_the_fused_ones():
    """training=True: the same output, and the running mean and (unbiased) variance move in
    place the same way; eval afterwards uses them."""
    x = randn(5, 3, 4)
    mean0, var0 = randn(3), uniform(0.5, 2, 3)
    buffers = {}
    for name, fn in (("ref", R.batch_norm), ("fused", F.batch_norm)):
        mean, var = tl.Tensor(mean0.copy()), tl.Tensor(var0.copy())
        out = fn(tl.Tensor(x), mean, var, training=True, momentum=0.3)
        buffers[name] = (out, mean, var, fn(tl.Tensor(x), mean, var, training=False))
    for r, f in zip(buffers["ref"], buffers["fused"]):
        np.testing.assert_allclose(r.numpy(), f.numpy(), rtol=1e-12, atol=1e-12)
    unbiased = x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(buffers["ref"][2].numpy(), 0.7 * var0 + 0.3 * unbiased)


def test_max_pool_ties_and_nan_follow_pytorch():
    """A tie sends the whole gradient to the first maximum in scan order, and NaN wins: the
    reference, the fused kernel and PyTorch agree (amax would share a tie instead)."""
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, np.nan, 1.0], [0.0, 0.0, 0.0, 0.0]]]])
    g = randn(1, 1, 2, 3)
    grads = []
    for fn in (R.max_pool2d, F.max_pool2d):
        t = tl.Tensor(x.copy(), requires_grad=True)
        out = fn(t, 2, stride=1)
        (out * tl.Tensor(g)).sum().backward()
        grads.append((out.numpy(), t.grad.numpy()))
    tt = torch.tensor(x, requires_grad=True)
    tout = TF.max_pool2d(tt, 2, stride=1)
    (tout * torch.tensor(g)).sum().backward()
    for out, grad in grads:
        np.testing.assert_array_equal(out, tout.detach().numpy())
        np.testing.assert_array_equal(grad, tt.grad.numpy())


def test_binary_cross_entropy_saturated_inputs_stay_finite():
    """x = 0 or 1 exactly (a float32 sigmoid saturates): the loss is clamped at 100 per
    element as in PyTorch, and the reference's gradient is finite (it differs from PyTorch's
    convention (x - y) / max(x (1 - x), 1e-12) only at those points, as documented)."""
    x = tl.Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    y = tl.Tensor(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = R.binary_cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100, 100, 0, 0], atol=1e-12)
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_logsumexp_infinite_rows():
    x = np.array([[-math.inf, -math.inf], [1.0, math.inf], [0.0, 1.0]])
    with np.errstate(divide="ignore"):  # log(0) for the all -inf row, as the answer
        ours = R.logsumexp(tl.Tensor(x), 1).numpy()
    np.testing.assert_array_equal(ours, torch.logsumexp(torch.tensor(x), 1).numpy())


# ------------------------------------------------------------------ recurrent cells and layers
INPUT, HIDDEN = 3, 4
RNN_KINDS = {  # module, its extra arguments, reference sequence, reference cell
    "rnn_tanh": (nn.RNN, nn.RNNCell, {}, R.rnn, R.rnn_tanh_cell),
    "rnn_relu": (nn.RNN, nn.RNNCell, {"nonlinearity": "relu"}, R.rnn, R.rnn_relu_cell),
    "lstm": (nn.LSTM, nn.LSTMCell, {}, R.lstm, R.lstm_cell),
    "gru": (nn.GRU, nn.GRUCell, {}, R.gru, R.gru_cell),
}
RNN_CONFIGS = {
    "default": {},
    "initial_state": {"state": True},
    "two_layers_bidirectional": {"num_layers": 2, "bidirectional": True, "state": True},
    "batch_first_no_bias": {"batch_first": True, "bias": False, "state": True},
    "three_layers_no_bias_bidirectional": {"num_layers": 3, "bias": False,
                                           "bidirectional": True},
    "unbatched": {"unbatched": True, "num_layers": 2, "state": True},
    "dropout_training": {"num_layers": 2, "dropout": 0.5},
}


def _run_both(kind, config, seq=4, batch=2, input_size=INPUT, hidden=HIDDEN):
    """The nn layer and the reference on the same input, states and weights: (reference
    outputs, fused outputs, reference leaves, fused leaves)."""
    config = dict(config)
    state, unbatched = config.pop("state", False), config.pop("unbatched", False)
    layer_cls, _, extra, reference, _ = RNN_KINDS[kind]
    tl.manual_seed(0)
    layer = layer_cls(input_size, hidden, **extra, **config).double()
    directions = 2 if layer.bidirectional else 1
    shape = (seq, batch, input_size)
    if unbatched:
        shape = (seq, input_size)
    elif layer.batch_first:
        shape = (batch, seq, input_size)
    arrays = [randn(*shape)]
    n_states = 2 if kind == "lstm" else 1
    if state:
        state_shape = (layer.num_layers * directions,) + ((hidden,) if unbatched else (batch, hidden))
        arrays += [randn(*state_shape) for _ in range(n_states)]
    params = list(layer.parameters())
    fused_in = _tensors(arrays)
    ref_in = _tensors(arrays + [p.numpy() for p in params])
    states = ref_in[1:len(arrays)]
    ref_hx = None if not state else (tuple(states) if kind == "lstm" else states[0])
    fused_hx = None if not state else (tuple(fused_in[1:]) if kind == "lstm" else fused_in[1])
    tl.manual_seed(1)  # the same dropout masks
    fused_out = layer(fused_in[0], fused_hx)
    tl.manual_seed(1)
    ref_out = reference(ref_in[0], ref_hx, ref_in[len(arrays):], has_biases=layer.bias,
                        num_layers=layer.num_layers, dropout=layer.dropout, train=layer.training,
                        bidirectional=layer.bidirectional, batch_first=layer.batch_first,
                        **extra)
    return ref_out, fused_out, ref_in, fused_in + params


@pytest.mark.parametrize("config", RNN_CONFIGS, ids=str)
@pytest.mark.parametrize("kind", RNN_KINDS)
def test_recurrent_layer_matches_fused(kind, config):
    ref_out, fused_out, ref_in, fused_in = _run_both(kind, RNN_CONFIGS[config])
    assert_same(ref_out, fused_out, ref_in, fused_in)


@pytest.mark.parametrize("kind", RNN_KINDS)
def test_recurrent_layer_float32_forward(kind):
    layer_cls, _, extra, reference, _ = RNN_KINDS[kind]
    layer = layer_cls(INPUT, HIDDEN, num_layers=2, bidirectional=True, **extra)
    x = tl.Tensor(randn(5, 2, INPUT).astype(np.float32))
    with tl.no_grad():
        fused = _flat(layer(x))
        ref = _flat(reference(x, None, list(layer.parameters()), num_layers=2,
                              bidirectional=True, **extra))
    for r, f in zip(ref, fused):
        assert r.dtype == f.dtype == np.float32
        np.testing.assert_allclose(r.numpy(), f.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_recurrent_layer_gradcheck(kind):
    """Both directions, on tiny sizes (layers are plain composition: stacking is covered by
    the comparison with the fused layers above)."""
    layer_cls, _, extra, reference, _ = RNN_KINDS[kind]
    layer = layer_cls(2, 2, bidirectional=True, **extra).double()
    n_states = 2 if kind == "lstm" else 1
    inputs = _tensors([randn(3, 1, 2)] + [randn(2, 1, 2) for _ in range(n_states)]
                      + [p.numpy() for p in layer.parameters()])

    def fn(x, *rest):
        hx = tuple(rest[:2]) if kind == "lstm" else rest[0]
        return reference(x, hx, rest[n_states:], bidirectional=True, **extra)

    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind", RNN_KINDS)
def test_recurrent_cell_matches_fused(kind, unbatched, bias):
    _, cell_cls, extra, _, reference = RNN_KINDS[kind]
    cell = cell_cls(INPUT, HIDDEN, bias=bias, **extra).double()
    lead = () if unbatched else (3,)
    n_states = 2 if kind == "lstm" else 1
    arrays = [randn(*lead, INPUT)] + [randn(*lead, HIDDEN) for _ in range(n_states)]
    params = list(cell.parameters())
    fused_in = _tensors(arrays)
    ref_in = _tensors(arrays + [p.numpy() for p in params])
    hx = tuple(ref_in[1:3]) if kind == "lstm" else ref_in[1]
    weights = ref_in[1 + n_states:]
    ref_out = reference(ref_in[0], hx, *weights)
    fused_out = cell(fused_in[0], tuple(fused_in[1:]) if kind == "lstm" else fused_in[1])
    assert_same(ref_out, fused_out, ref_in, fused_in + params)
    if not unbatched:
        assert gradcheck(lambda x, *rest: reference(x, tuple(rest[:2]) if kind == "lstm"
                                                    else rest[0], *rest[n_states:]), ref_in)

"""RNN, LSTM, GRU and their cells against torch.nn in float64, weights copied through the
state dict with numpy alone: outputs, final states, the gradients of the input, of the
initial states and of every parameter (tests/oracle.py's check_module); gradcheck on tiny
sizes; non-contiguous inputs; the errors.

Tests whose name contains `nojit` are small enough to also run with NUMBA_DISABLE_JIT=1
(`NUMBA_DISABLE_JIT=1 pytest tests/test_rnn.py -k nojit`), which checks the kernels'
pure-Python meaning.
"""
import math

import numpy as np
import pytest
import strategies as S
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_module, check_state_dict, copy_state

import tinygrad_lr as tl
from tinygrad_lr import nn

SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 6

LAYERS = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}
CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}
CONFIGS = {
    "default": {},
    "two_layers": {"num_layers": 2},
    "batch_first": {"batch_first": True},
    "bidirectional": {"bidirectional": True},
    "no_bias": {"bias": False},
    "deep_bidirectional_batch_first_no_bias": {"num_layers": 3, "bidirectional": True,
                                               "batch_first": True, "bias": False},
}


def _pair(table, kind, **kwargs):
    """Our module and torch's, float64, with torch's weights copied into ours via numpy."""
    ours_cls, torch_cls, extra = table[kind]
    torch.manual_seed(0)
    theirs = torch_cls(INPUT, HIDDEN, **extra, **kwargs).double()
    ours = ours_cls(INPUT, HIDDEN, **extra, **kwargs).double()
    copy_state(theirs, ours)
    return ours, theirs


def _hx(kind, states):
    """The initial-state argument: (h0, c0) for an LSTM, h0 otherwise."""
    return tuple(states) if kind == "lstm" else states[0]


def _states(kind, num, batch_shape, rng):
    shape = (num,) + batch_shape + (HIDDEN,)
    return [rng.standard_normal(shape) for _ in range(2 if kind == "lstm" else 1)]


# ------------------------------------------------------------------ layers
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_matches_torch(kind, config):
    kwargs = CONFIGS[config]
    ours, theirs = _pair(LAYERS, kind, **kwargs)
    shape = (BATCH, SEQ, INPUT) if kwargs.get("batch_first") else (SEQ, BATCH, INPUT)
    x = np.random.default_rng(0).standard_normal(shape)
    check_module(ours, theirs, x, seed=1)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_with_initial_states_matches_torch(kind):
    ours, theirs = _pair(LAYERS, kind, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((SEQ, BATCH, INPUT))
    check_module(ours, theirs, x, _hx(kind, _states(kind, 4, (BATCH,), rng)), seed=1)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_unbatched_input_matches_torch(kind):
    ours, theirs = _pair(LAYERS, kind, num_layers=2, batch_first=True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((SEQ, INPUT))  # (seq, feature), whatever batch_first says
    check_module(ours, theirs, x, _hx(kind, _states(kind, 2, (), rng)), seed=1)


def test_lstm_length_one_sequence_and_batch_one():
    ours, theirs = _pair(LAYERS, "lstm", bidirectional=True)
    x = np.random.default_rng(4).standard_normal((1, 1, INPUT))
    check_module(ours, theirs, x, seed=1)


def test_float32_matches_torch():
    ours, theirs = _pair(LAYERS, "lstm", num_layers=2, batch_first=True)
    x = np.random.default_rng(5).standard_normal((BATCH, SEQ, INPUT)).astype(np.float32)
    out, (h_n, c_n) = check_module(ours, theirs, x, dtype="float32", rtol=1e-5, atol=1e-6)
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32


def test_dropout_between_layers():
    ours, theirs = _pair(LAYERS, "gru", num_layers=3, dropout=0.5)
    x = tl.Tensor(np.random.default_rng(6).standard_normal((SEQ, BATCH, INPUT)))
    check_module(ours.eval(), theirs.eval(), x.numpy())  # no dropout: exactly torch's
    ours.train()
    tl.manual_seed(0)
    first = ours(x)[0].numpy()
    tl.manual_seed(0)
    again = ours(x)[0].numpy()
    np.testing.assert_array_equal(first, again)  # the masks come from the global generator
    assert not np.allclose(first, ours.eval()(x)[0].numpy())


@settings(max_examples=12, deadline=None)
@given(data=st.data(), kind=st.sampled_from(sorted(LAYERS)), batch_first=st.booleans(),
       with_state=st.booleans())
def test_layer_on_noncontiguous_inputs(data, kind, batch_first, with_state):
    # e.g. a (seq, batch, feature) array handed to a batch_first layer as x.transpose(1, 0, 2)
    ours, theirs = _pair(LAYERS, kind, batch_first=batch_first, bidirectional=True)
    shape = (BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT)
    x = data.draw(S.arrays(shape, S.NONCONTIGUOUS), label="x")
    states = [data.draw(S.arrays((2, BATCH, HIDDEN), S.NONCONTIGUOUS), label="state")
              for _ in range(2 if kind == "lstm" else 1)]
    check_module(ours, theirs, x, *([_hx(kind, states)] if with_state else []))


@settings(max_examples=8, deadline=None)
@given(data=st.data(), kind=st.sampled_from(sorted(CELLS)))
def test_cell_on_noncontiguous_inputs(data, kind):
    ours, theirs = _pair(CELLS, kind)
    x = data.draw(S.arrays((BATCH, INPUT), S.NONCONTIGUOUS), label="x")
    states = [data.draw(S.arrays((BATCH, HIDDEN), S.NONCONTIGUOUS), label="state")
              for _ in range(2 if kind == "lstm" else 1)]
    check_module(ours, theirs, x, _hx(kind, states))


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout=0.3 .* num_layers=1"):
        nn.LSTM(INPUT, HIDDEN, dropout=0.3)


# ------------------------------------------------------------------ cells
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch(kind, bias):
    ours, theirs = _pair(CELLS, kind, bias=bias)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((BATCH, INPUT))
    states = [rng.standard_normal((BATCH, HIDDEN)) for _ in range(2 if kind == "lstm" else 1)]
    check_module(ours, theirs, x, _hx(kind, states), seed=7)


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_without_state_and_unbatched(kind):
    ours, theirs = _pair(CELLS, kind)
    x = np.random.default_rng(8).standard_normal(INPUT)
    for inp in (x, x[None]):  # unbatched (input_size,) and a batch of one
        check_module(ours, theirs, inp)


def test_cells_unrolled_equal_the_layer():
    layer = nn.LSTM(INPUT, HIDDEN).double()
    cell = nn.LSTMCell(INPUT, HIDDEN).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # drop "_l0"
    x = tl.Tensor(np.random.default_rng(9).standard_normal((SEQ, BATCH, INPUT)))
    out, (h_n, c_n) = layer(x)
    h = c = None
    for t in range(SEQ):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.numpy(), out.numpy()[t], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), c_n.numpy()[0], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize("kind", list(LAYERS))
def test_state_dict_names_shapes_and_order_are_torchs(kind):
    ours_cls, torch_cls, extra = LAYERS[kind]
    kwargs = dict(num_layers=2, bidirectional=True, **extra)
    check_state_dict(ours_cls(3, 5, **kwargs), torch_cls(3, 5, **kwargs))
    check_state_dict(CELLS[kind][0](3, 5, **extra), CELLS[kind][1](3, 5, **extra))


def test_default_init_is_uniform_within_one_over_sqrt_hidden():
    tl.manual_seed(0)
    layer = nn.GRU(8, 25, num_layers=2)
    bound = 1 / math.sqrt(25)
    values = np.concatenate([p.numpy().reshape(-1) for p in layer.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound  # spread over the whole interval
    assert abs(values.mean()) < 0.01 and abs(values.std() - bound / math.sqrt(3)) < 0.01
    tl.manual_seed(0)
    again = nn.GRU(8, 25, num_layers=2)
    for p, q in zip(layer.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("kind", list(LAYERS))
def test_repr_is_torchs(kind):
    ours_cls, torch_cls, extra = LAYERS[kind]
    for kwargs in ({}, dict(num_layers=2, bias=False, batch_first=True, dropout=0.25,
                            bidirectional=True)):
        assert repr(ours_cls(3, 5, **extra, **kwargs)) == repr(torch_cls(3, 5, **extra, **kwargs))
    cell_ours, cell_theirs = CELLS[kind][0], CELLS[kind][1]
    assert (repr(cell_ours(3, 5, bias=False, **extra))
            == repr(cell_theirs(3, 5, bias=False, **extra)))


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(),
                    reason="PyTorch names its float32 LSTM node after oneDNN")
@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_output_grad_fn_names_are_torchs(kind, dtype):
    # the sequence-models tutorial prints an LSTM's output with its grad_fn
    ours_cls, torch_cls, extra = LAYERS[kind]
    x = np.ones((4, 2, 3), dtype=dtype)
    ours = ours_cls(3, 5, **extra).to(getattr(tl, dtype))(tl.Tensor(x))
    theirs = torch_cls(3, 5, **extra).to(getattr(torch, dtype))(torch.from_numpy(x))
    assert ours[0].grad_fn.name() == theirs[0].grad_fn.name()
    states = zip(ours[1], theirs[1]) if kind == "lstm" else [(ours[1], theirs[1])]
    for a, b in states:
        assert a.grad_fn.name() == b.grad_fn.name()


# ------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("kind", list(LAYERS))
def test_gradcheck_layer(kind):
    # input, initial states and every parameter; the values against torch's on the way
    torch.manual_seed(0)
    ours_cls, torch_cls, extra = LAYERS[kind]
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 2, 2))
    states = [rng.standard_normal((4, 2, 3)) for _ in range(2 if kind == "lstm" else 1)]
    check_module(ours_cls(2, 3, num_layers=2, bidirectional=True, **extra),
                 torch_cls(2, 3, num_layers=2, bidirectional=True, **extra),
                 x, _hx(kind, states), grad_check=True)


@pytest.mark.parametrize("kind", list(CELLS))
def test_gradcheck_cell(kind):
    torch.manual_seed(0)
    ours_cls, torch_cls, extra = CELLS[kind]
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2))
    states = [rng.standard_normal((2, 3)) for _ in range(2 if kind == "lstm" else 1)]
    check_module(ours_cls(2, 3, **extra), torch_cls(2, 3, **extra), x, _hx(kind, states),
                 grad_check=True)


def test_double_backward_raises_a_clear_error():
    layer = nn.LSTM(2, 3).double()
    x = tl.Tensor(np.ones((2, 1, 2)), requires_grad=True)
    (g,) = tl.autograd.grad(layer(x)[0].sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match="double backward through LSTMRecurrence"):
        g.sum().backward()


# ------------------------------------------------------------------ errors
def test_wrong_input_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"LSTM: expected a 3-D input \(batch, seq, feature\).*"
                                         r"got shape \(2, 3, 4, 4\)"):
        nn.LSTM(4, 6, batch_first=True)(tl.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"GRU: expected a 3-D input .* got shape \(4,\)"):
        nn.GRU(4, 6)(tl.zeros(4))


def test_wrong_input_size_names_expected_and_actual():
    with pytest.raises(ValueError, match=r"RNN: expected input_size=4 .* got shape \(5, 3, 7\)"):
        nn.RNN(4, 6)(tl.zeros(5, 3, 7))


def test_wrong_initial_state_shape():
    with pytest.raises(ValueError, match=r"GRU: expected h0 of shape \(4, 3, 6\), got \(2, 3, 6\)"):
        nn.GRU(4, 6, num_layers=2, bidirectional=True)(tl.zeros(5, 3, 4), tl.zeros(2, 3, 6))
    lstm = nn.LSTM(4, 6)
    with pytest.raises(ValueError,
                       match=r"LSTM: expected c0 of shape \(1, 3, 6\), got \(1, 3, 5\)"):
        lstm(tl.zeros(5, 3, 4), (tl.zeros(1, 3, 6), tl.zeros(1, 3, 5)))
    with pytest.raises(TypeError, match=r"LSTM: the initial state must be a tuple \(h, c\)"):
        lstm(tl.zeros(5, 3, 4), tl.zeros(1, 3, 6))
    with pytest.raises(ValueError, match=r"RNN: expected h0 of shape \(1, 6\), got \(1, 1, 6\)"):
        nn.RNN(4, 6)(tl.zeros(5, 4), tl.zeros(1, 1, 6))  # unbatched input, batched state


def test_cell_errors():
    with pytest.raises(ValueError, match=r"LSTMCell: expected input of shape \(batch, 4\) or "
                                         r"\(4,\), got \(3, 5\)"):
        nn.LSTMCell(4, 6)(tl.zeros(3, 5))
    with pytest.raises(ValueError, match=r"GRUCell: expected hx of shape \(3, 6\), got \(3, 7\)"):
        nn.GRUCell(4, 6)(tl.zeros(3, 4), tl.zeros(3, 7))


def test_dtype_and_argument_errors():
    with pytest.raises(TypeError, match="LSTM: input is float64 but the weights are float32"):
        nn.LSTM(4, 6)(tl.zeros(5, 3, 4, dtype=np.float64))
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNN(4, 6, nonlinearity="gelu")
    with pytest.raises(ValueError, match="GRU: hidden_size must be a positive integer, got 0"):
        nn.GRU(4, 0)
    with pytest.raises(ValueError, match=r"LSTM: dropout must be a probability in \[0, 1\), got 1.5"):
        nn.LSTM(4, 6, num_layers=2, dropout=1.5)


# ------------------------------------------------------------------ kernels, tiny (nojit)
def _check_lstm_step_backward(rng, batch, hidden, dtype, rtol):
    """The kernel against the LSTM step's backward written out in numpy."""
    from tinygrad_lr.kernels.rnn import lstm_step_backward

    act = rng.random((batch, 4 * hidden)).astype(dtype)
    tanh_c, c_prev, grad_h, grad_out, grad_c = (rng.standard_normal((batch, hidden)).astype(dtype)
                                                for _ in range(5))
    d_gates, grad_c_prev = np.empty_like(act), np.empty_like(c_prev)
    lstm_step_backward(act, tanh_c, c_prev, grad_h, grad_out, grad_c, d_gates, grad_c_prev)
    i, f, g, o = (act[:, k * hidden:(k + 1) * hidden] for k in range(4))
    gh = grad_h + grad_out
    gc = grad_c + gh * o * (1 - tanh_c ** 2)
    expected = np.concatenate([gc * g * i * (1 - i), gc * c_prev * f * (1 - f),
                               gc * i * (1 - g ** 2), gh * tanh_c * o * (1 - o)], axis=1)
    np.testing.assert_allclose(d_gates, expected, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grad_c_prev, gc * f, rtol=rtol, atol=rtol)
    assert d_gates.dtype == grad_c_prev.dtype == dtype


def test_lstm_step_backward_kernel_nojit():
    _check_lstm_step_backward(np.random.default_rng(12), 2, 3, np.float64, 1e-12)


def test_lstm_cell_forward_kernel_nojit():
    """act holds tanh of the pre-activations, with i, f, o halved: the kernel turns those
    blocks into sigmoids of the unhalved values and writes c = f c_prev + i g."""
    from tinygrad_lr.kernels.rnn import lstm_cell_forward

    rng = np.random.default_rng(15)
    H = 3
    gates = rng.standard_normal((2, 4 * H))
    c_prev, c = rng.standard_normal((2, H)), np.empty((2, H))
    scale = np.r_[np.full(2 * H, 0.5), np.ones(H), np.full(H, 0.5)]
    act = np.tanh(gates * scale)
    lstm_cell_forward(act, c_prev, c, 0.5)
    sigmoid = 1 / (1 + np.exp(-gates))
    i, f, g, o = (act[:, k * H:(k + 1) * H] for k in range(4))
    np.testing.assert_allclose(i, sigmoid[:, :H], rtol=1e-12)
    np.testing.assert_allclose(f, sigmoid[:, H:2 * H], rtol=1e-12)
    np.testing.assert_allclose(g, np.tanh(gates[:, 2 * H:3 * H]), rtol=1e-12)
    np.testing.assert_allclose(o, sigmoid[:, 3 * H:], rtol=1e-12)
    np.testing.assert_allclose(c, f * c_prev + i * g, rtol=1e-12)


def test_gru_forward_kernels_nojit():
    """act[:, :2H] holds tanh of the halved r, z pre-activations; the kernels make r, z
    sigmoids, n's pre-activation x_n + r h_n, and then h = (1 - z) n + z h_prev."""
    from tinygrad_lr.kernels.rnn import gru_gates_forward, gru_output

    rng = np.random.default_rng(17)
    H = 3
    x_rz, pre, h_gates = (rng.standard_normal((2, 3 * H)) for _ in range(3))
    h_prev, h = rng.standard_normal((2, H)), np.empty((2, H))
    act = np.empty((2, 3 * H))
    act[:, :2 * H] = np.tanh(x_rz[:, :2 * H] / 2)
    gru_gates_forward(act, pre, h_gates, 0.5)
    sigmoid = 1 / (1 + np.exp(-x_rz[:, :2 * H]))
    np.testing.assert_allclose(act[:, :2 * H], sigmoid, rtol=1e-12)
    r, z = sigmoid[:, :H], sigmoid[:, H:]
    np.testing.assert_allclose(act[:, 2 * H:], pre[:, 2 * H:] + r * h_gates[:, 2 * H:], rtol=1e-12)
    act[:, 2 * H:] = n = np.tanh(act[:, 2 * H:])
    gru_output(act, h_prev, h)
    np.testing.assert_allclose(h, (1 - z) * n + z * h_prev, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gate_kernels_compiled_keep_dtype_and_match_numpy(dtype):
    """The compiled kernels (float32 loops written without literals) against numpy."""
    from tinygrad_lr.kernels.rnn import gru_step_backward

    rng = np.random.default_rng(16)
    B, H = 5, 7
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    _check_lstm_step_backward(rng, B, H, dtype, rtol)

    act3, h_gates = rng.random((B, 3 * H)).astype(dtype), rng.standard_normal((B, 3 * H)).astype(dtype)
    h_prev, grad_h = rng.standard_normal((B, H)).astype(dtype), rng.standard_normal((B, H)).astype(dtype)
    d_x, d_h, grad_prev = np.empty_like(act3), np.empty_like(act3), np.empty_like(h_prev)
    gru_step_backward(act3, h_gates, h_prev, grad_h, d_x, d_h, grad_prev)
    r, z, n = (act3[:, k * H:(k + 1) * H] for k in range(3))
    d_n = grad_h * (1 - z) * (1 - n ** 2)
    d_z = grad_h * (h_prev - n) * z * (1 - z)
    d_r = d_n * h_gates[:, 2 * H:] * r * (1 - r)
    np.testing.assert_allclose(d_x, np.concatenate([d_r, d_z, d_n], 1), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(d_h, np.concatenate([d_r, d_z, d_n * r], 1), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(grad_prev, grad_h * z, rtol=rtol, atol=rtol)
    assert d_x.dtype == d_h.dtype == dtype


def test_lstm_and_gru_tiny_match_torch_nojit():
    for kind in ("lstm", "gru"):
        ours, theirs = _pair(LAYERS, kind, bidirectional=True)
        rng = np.random.default_rng(13)
        x = rng.standard_normal((2, 2, INPUT))
        check_module(ours, theirs, x, _hx(kind, _states(kind, 2, (2,), rng)), seed=1)


# ------------------------------------------------------------------ training
def test_lstm_learns_the_sign_of_a_sequence_sum():
    """A small end-to-end check with Linear, cross-entropy and Adam: the loss must fall."""
    tl.manual_seed(0)
    rng = np.random.default_rng(14)
    x = rng.standard_normal((32, 8, 1)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.int64)
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 2)
    opt = tl.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        _, (h_n, _) = lstm(tl.Tensor(x))
        loss = nn.functional.cross_entropy(head(h_n[-1]), tl.Tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]

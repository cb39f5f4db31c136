"""RNN, LSTM, GRU and their cells against torch.nn in float64, weights copied through the
state dict with numpy alone: outputs, final states, the gradients of the input, of the
initial states and of every parameter; gradcheck on tiny sizes; the errors.

Tests whose name contains `nojit` are small enough to also run with NUMBA_DISABLE_JIT=1
(`NUMBA_DISABLE_JIT=1 pytest tests/test_rnn.py -k nojit`), which checks the kernels'
pure-Python meaning.
"""
import math

import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradcheck

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
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _both(a, requires_grad=True):
    return tl.Tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _as_list(states):
    return list(states) if isinstance(states, tuple) else [states]


def _check_against_torch(ours, theirs, x, initial=None, seed=1, tol=1e-10):
    """Run both on x (and the initial states), backprop random upstream gradients from the
    output and every final state, compare values and all gradients."""
    rng = np.random.default_rng(seed)
    xo, xt = _both(x)
    init_o = init_t = None
    if initial is not None:
        pairs = [_both(s) for s in initial]
        init_o, init_t = [p[0] for p in pairs], [p[1] for p in pairs]
        if len(pairs) == 1:
            init_o, init_t = init_o[0], init_t[0]
        else:
            init_o, init_t = tuple(init_o), tuple(init_t)
    out_o, last_o = ours(xo, init_o)
    out_t, last_t = theirs(xt, init_t)
    results_o = [out_o] + _as_list(last_o)
    results_t = [out_t] + _as_list(last_t)
    loss_o, loss_t = 0, 0
    for ro, rt in zip(results_o, results_t):
        assert ro.shape == tuple(rt.shape)
        np.testing.assert_allclose(ro.numpy(), rt.detach().numpy(), rtol=tol, atol=tol)
        g = rng.standard_normal(ro.shape)
        loss_o = loss_o + (ro * tl.Tensor(g)).sum()
        loss_t = loss_t + (rt * torch.tensor(g)).sum()
    loss_o.backward()
    loss_t.backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    if initial is not None:
        for so, st in zip(_as_list(init_o), _as_list(init_t)):
            np.testing.assert_allclose(so.grad.numpy(), st.grad.numpy(), rtol=tol, atol=tol)
    named_theirs = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named_theirs[name].grad.numpy(), rtol=tol,
                                   atol=tol, err_msg=name)


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
    _check_against_torch(ours, theirs, x)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_with_initial_states_matches_torch(kind):
    ours, theirs = _pair(LAYERS, kind, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((SEQ, BATCH, INPUT))
    _check_against_torch(ours, theirs, x, _states(kind, 4, (BATCH,), rng))


@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_unbatched_input_matches_torch(kind):
    ours, theirs = _pair(LAYERS, kind, num_layers=2, batch_first=True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((SEQ, INPUT))  # (seq, feature), whatever batch_first says
    _check_against_torch(ours, theirs, x, _states(kind, 2, (), rng))


def test_lstm_length_one_sequence_and_batch_one():
    ours, theirs = _pair(LAYERS, "lstm", bidirectional=True)
    x = np.random.default_rng(4).standard_normal((1, 1, INPUT))
    _check_against_torch(ours, theirs, x)


def test_float32_forward_matches_torch():
    ours, theirs = _pair(LAYERS, "lstm", num_layers=2, batch_first=True)
    ours.float()
    theirs.float()
    x = np.random.default_rng(5).standard_normal((BATCH, SEQ, INPUT)).astype(np.float32)
    out, (h_n, c_n) = ours(tl.Tensor(x))
    out_t, (h_t, c_t) = theirs(torch.tensor(x))
    assert out.dtype == h_n.dtype == c_n.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c_n.numpy(), c_t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_between_layers():
    ours, theirs = _pair(LAYERS, "gru", num_layers=3, dropout=0.5)
    x = tl.Tensor(np.random.default_rng(6).standard_normal((SEQ, BATCH, INPUT)))
    ours.eval()
    theirs.eval()  # eval mode: no dropout, exactly torch's output
    np.testing.assert_allclose(ours(x)[0].numpy(), theirs(torch.tensor(x.numpy()))[0].detach().numpy(),
                               rtol=1e-10, atol=1e-10)
    ours.train()
    tl.manual_seed(0)
    first = ours(x)[0].numpy()
    tl.manual_seed(0)
    again = ours(x)[0].numpy()
    np.testing.assert_array_equal(first, again)  # the masks come from the global generator
    assert not np.allclose(first, ours.eval()(x)[0].numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout=0.3 .* num_layers=1"):
        nn.LSTM(INPUT, HIDDEN, dropout=0.3)


# ------------------------------------------------------------------ cells
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch(kind, bias):
    ours, theirs = _pair(CELLS, kind, bias=bias)
    rng = np.random.default_rng(7)
    xo, xt = _both(rng.standard_normal((BATCH, INPUT)))
    states = [_both(rng.standard_normal((BATCH, HIDDEN)))
              for _ in range(2 if kind == "lstm" else 1)]
    if kind == "lstm":
        outs_o = ours(xo, (states[0][0], states[1][0]))
        outs_t = theirs(xt, (states[0][1], states[1][1]))
    else:
        outs_o, outs_t = (ours(xo, states[0][0]),), (theirs(xt, states[0][1]),)
    loss_o, loss_t = 0, 0
    for ro, rt in zip(outs_o, outs_t):
        np.testing.assert_allclose(ro.numpy(), rt.detach().numpy(), rtol=1e-10, atol=1e-10)
        g = rng.standard_normal(ro.shape)
        loss_o = loss_o + (ro * tl.Tensor(g)).sum()
        loss_t = loss_t + (rt * torch.tensor(g)).sum()
    loss_o.backward()
    loss_t.backward()
    for (so, st) in [(xo, xt)] + states:
        np.testing.assert_allclose(so.grad.numpy(), st.grad.numpy(), rtol=1e-10, atol=1e-10)
    named_theirs = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named_theirs[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-10, err_msg=name)


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_without_state_and_unbatched(kind):
    ours, theirs = _pair(CELLS, kind)
    x = np.random.default_rng(8).standard_normal(INPUT)
    for inp in (x, x[None]):  # unbatched (input_size,) and a batch of one
        out_o = _as_list(ours(tl.Tensor(inp)))
        out_t = _as_list(theirs(torch.tensor(inp)))
        for ro, rt in zip(out_o, out_t):
            assert ro.shape == tuple(rt.shape)
            np.testing.assert_allclose(ro.numpy(), rt.detach().numpy(), rtol=1e-10, atol=1e-10)


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
    ours, theirs = ours_cls(3, 5, **kwargs), torch_cls(3, 5, **kwargs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    cell_ours, cell_theirs = CELLS[kind][0](3, 5, **extra), CELLS[kind][1](3, 5, **extra)
    assert [(k, tuple(v.shape)) for k, v in cell_ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in cell_theirs.state_dict().items()]


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


# ------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("kind", list(LAYERS))
def test_gradcheck_layer(kind):
    tl.manual_seed(0)
    ours_cls, _, extra = LAYERS[kind]
    layer = ours_cls(2, 3, num_layers=2, bidirectional=True, **extra).double()
    rng = np.random.default_rng(10)
    x = tl.Tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    states = [tl.Tensor(s, requires_grad=True) for s in
              [rng.standard_normal((4, 2, 3)) for _ in range(2 if kind == "lstm" else 1)]]

    def fn(x, *states_and_params):
        hx = states_and_params[0] if kind != "lstm" else tuple(states_and_params[:2])
        out, last = layer(x, hx)
        return (out, *_as_list(last))
    assert gradcheck(fn, [x, *states, *layer.parameters()])


@pytest.mark.parametrize("kind", list(CELLS))
def test_gradcheck_cell(kind):
    tl.manual_seed(0)
    ours_cls, _, extra = CELLS[kind]
    cell = ours_cls(2, 3, **extra).double()
    rng = np.random.default_rng(11)
    x = tl.Tensor(rng.standard_normal((2, 2)), requires_grad=True)
    states = [tl.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
              for _ in range(2 if kind == "lstm" else 1)]

    def fn(x, *states_and_params):
        hx = states_and_params[0] if kind != "lstm" else tuple(states_and_params[:2])
        return cell(x, hx)
    assert gradcheck(fn, [x, *states, *cell.parameters()])


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
        _check_against_torch(ours, theirs, x, _states(kind, 2, (2,), rng))


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

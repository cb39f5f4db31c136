"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, as in PyTorch.

How a layer runs (one direction of one layer):
1. the input projection of every time step at once, x @ W_ih^T + b_ih, is one matmul
   (F.linear on BLAS) - the big win over a matmul per step;
2. the recurrence is one op (ops/rnn.py: RNNRecurrence, LSTMRecurrence, GRURecurrence),
   time-stepping on BLAS and Numba kernels, with backpropagation through time as its
   backward (differentiable once). A cell is the same recurrence over one time step.

Parameter names, shapes, gate order (LSTM: i, f, g, o; GRU: r, z, n) and the default
initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) are PyTorch's, so a state_dict
moves between the two with numpy alone.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..kernels import reference_kernels_enabled
from ..ops.rnn import GRURecurrence, LSTMRecurrence, RNNRecurrence
from ..tensor import Tensor, cat, stack
from . import functional_layers as F
from . import init
from . import reference as R
from ._checks import check_dropout, check_size
from .functional_dropout import dropout
from .module import Module
from .parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# ================================================================ checks shared by all
def _check_tensor(name, what, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: {what} must be a Tensor, got {type(x).__name__}")


def _check_state(name, what, state, expected, dtype):
    _check_tensor(name, what, state)
    if tuple(state.shape) != expected:
        raise ValueError(f"{name}: expected {what} of shape {expected}, got "
                         f"{tuple(state.shape)}")
    if state.dtype != dtype:
        raise TypeError(f"{name}: {what} is {state.dtype} but the input is {dtype}")


def _check_dtype(name, x, weight):
    if x.dtype != weight.dtype:
        raise TypeError(f"{name}: input is {x.dtype} but the weights are {weight.dtype}; "
                        "convert one (e.g. model.double() or x.float())")


def _zeros(shape, dtype):
    return Tensor._make(np.zeros(shape, dtype=dtype))


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ================================================================ layers
class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, the input and
    state checks, batch_first, dropout between layers, bidirectional concatenation."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        input_size = check_size(name, "input_size", input_size, 1)
        hidden_size = check_size(name, "hidden_size", hidden_size, 1)
        num_layers = check_size(name, "num_layers", num_layers, 1)
        dropout = check_dropout(name, "dropout", dropout)
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} is applied between layers, so it does "
                          "nothing with num_layers=1", UserWarning, stacklevel=3)
        self.mode = mode
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = dropout, bidirectional
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        for layer in range(num_layers):
            layer_input = self.input_size if layer == 0 else hidden_size * num_directions
            for suffix in ("", "_reverse")[:num_directions]:
                shapes: dict[str, tuple[int, ...]] = {
                    f"weight_ih_l{layer}{suffix}": (gate_size, layer_input),
                    f"weight_hh_l{layer}{suffix}": (gate_size, hidden_size)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                for pname, shape in shapes.items():
                    setattr(self, pname, Parameter(np.empty(shape, dtype=np.float32)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _layer_params(self, layer, direction):
        suffix = "_reverse" if direction else ""
        get = self._parameters.get
        return (get(f"weight_ih_l{layer}{suffix}"), get(f"weight_hh_l{layer}{suffix}"),
                get(f"bias_ih_l{layer}{suffix}"), get(f"bias_hh_l{layer}{suffix}"))

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        """(output, h_n); hx and h_n are (h, c) pairs for an LSTM."""
        name = type(self).__name__
        _check_tensor(name, "input", input)
        if input.ndim not in (2, 3):
            layout = "(batch, seq, feature)" if self.batch_first else "(seq, batch, feature)"
            raise ValueError(f"{name}: expected a 3-D input {layout} or a 2-D unbatched input "
                             f"(seq, feature), got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input_size={self.input_size} features in the "
                             f"last dimension of the input, got shape {tuple(input.shape)}")
        _check_dtype(name, input, self.weight_ih_l0)
        batched = input.ndim == 3
        if not batched:
            x = input.unsqueeze(1)
        else:
            # time-major and contiguous, so each input projection below is one BLAS call
            x = input.transpose(0, 1).contiguous() if self.batch_first else input
        if x.shape[0] == 0:  # as PyTorch: no time steps, no final state to return
            raise ValueError(f"{name}: expected a sequence length larger than 0, got input of "
                             f"shape {tuple(input.shape)}")
        num_directions = 2 if self.bidirectional else 1
        batch = x.shape[1]
        state_shape = (self.num_layers * num_directions, batch, self.hidden_size)
        states = self._initial_states(hx, state_shape, batched, input.dtype)
        if reference_kernels_enabled():  # the textbook cell at every step: nn/reference.py
            out, *last = self._reference(input, hx)
            return out, self._pack_states(last)

        # h_n (and c_n) of every layer and direction
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w_ih, w_hh, b_ih, b_hh = self._layer_params(layer, direction)
                x_gates = F.linear(x, w_ih, b_ih)
                out, *last = self._recurrence(x_gates, w_hh, b_hh, [s[k] for s in states],
                                              direction == 1)
                outputs.append(out)
                for store, s in zip(finals, last):
                    store.append(s)
            x = outputs[0] if num_directions == 1 else cat(outputs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)

        output = x.transpose(0, 1) if batched and self.batch_first else x
        last_states = [stack(f, 0) for f in finals]
        if not batched:
            output = output.squeeze(1)
            last_states = [s.squeeze(1) for s in last_states]
        return output, self._pack_states(last_states)

    def _initial_states(self, hx, shape, batched, dtype):
        """The initial states as a list of (layers * directions, B, H) tensors."""
        name = type(self).__name__
        given = self._unpack_states(hx)
        if given is None:
            return [_zeros(shape, dtype) for _ in range(self._num_states)]
        expected = shape if batched else (shape[0], shape[2])
        what = ("h0", "c0")
        for state, w in zip(given, what):
            _check_state(name, w, state, expected, dtype)
        return list(given) if batched else [s.unsqueeze(1) for s in given]

    # the parts RNN, LSTM and GRU do differently
    _num_states = 1

    def _unpack_states(self: Module, hx):  # Module: the cells borrow it
        return None if hx is None else (hx,)

    def _pack_states(self: Module, states):
        return states[0]

    def _recurrence(self, x_gates, w_hh, b_hh, states, reverse):
        raise NotImplementedError

    def _reference(self, input, hx):
        args = (input, hx, list(self.parameters()), self.bias, self.num_layers, self.dropout,
                self.training, self.bidirectional, self.batch_first)
        if self.mode == "LSTM":
            return R.lstm(*args)
        if self.mode == "GRU":
            return R.gru(*args)
        return R.rnn(*args, nonlinearity=self.nonlinearity)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"  # as torch: nonlinearity not shown
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def _rnn_mode(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
    forward(input, h0=None) -> (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False) -> None:
        super().__init__(_rnn_mode("RNN", nonlinearity), input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity

    def _recurrence(self, x_gates, w_hh, b_hh, states, reverse):
        return RNNRecurrence.apply(x_gates, w_hh, b_hh, states[0], reverse, self.nonlinearity)


class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o) stacked in that order in W_ih, W_hh.
    forward(input, (h0, c0)=None) -> (output, (h_n, c_n))."""

    _num_states = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional)

    def _unpack_states(self, hx):
        if hx is None:
            return None
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{type(self).__name__}: the initial state must be a tuple "
                            f"(h, c), got {type(hx).__name__}")
        return tuple(hx)

    def _pack_states(self, states):
        return tuple(states)

    def _recurrence(self, x_gates, w_hh, b_hh, states, reverse):
        return LSTMRecurrence.apply(x_gates, w_hh, b_hh, states[0], states[1], reverse)


class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n) stacked in that order in W_ih, W_hh, with
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)) as in PyTorch.
    forward(input, h0=None) -> (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional)

    def _recurrence(self, x_gates, w_hh, b_hh, states, reverse):
        return GRURecurrence.apply(x_gates, w_hh, b_hh, states[0], reverse)


# ================================================================ cells
class RNNCellBase(Module):
    """One time step: weight_ih (gates * H, input_size), weight_hh (gates * H, H), biases.
    Input (B, input_size) or unbatched (input_size,); states (B, H) or (H,)."""

    _num_states = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_gates: int) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size, 1)
        self.hidden_size = check_size(name, "hidden_size", hidden_size, 1)
        self.bias = bias
        self.weight_ih = Parameter(np.empty((num_gates * hidden_size, self.input_size),
                                            dtype=np.float32))
        self.weight_hh = Parameter(np.empty((num_gates * hidden_size, hidden_size),
                                            dtype=np.float32))
        if bias:
            self.bias_ih = Parameter(np.empty(num_gates * hidden_size, dtype=np.float32))
            self.bias_hh = Parameter(np.empty(num_gates * hidden_size, dtype=np.float32))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def forward(self, input: Tensor, hx: Any = None) -> Any:
        """h', or (h', c') for an LSTMCell (hx is then (h, c))."""
        name = type(self).__name__
        _check_tensor(name, "input", input)
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input.shape)}")
        _check_dtype(name, input, self.weight_ih)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.shape[0], self.hidden_size)
        given = self._unpack_states(hx)
        if given is None:
            states = [_zeros(shape, x.dtype) for _ in range(self._num_states)]
        else:
            expected = shape if batched else (self.hidden_size,)
            for state, what in zip(given, ("hx", "cx")):
                _check_state(name, what, state, expected, x.dtype)
            states = list(given) if batched else [s.unsqueeze(0) for s in given]
        weights = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if reference_kernels_enabled():  # the textbook cell: nn/reference.py
            new = self._reference_cell(x, states, weights)
        else:  # a sequence of length one through the layers' recurrence
            x_gates = F.linear(x, self.weight_ih, self.bias_ih).unsqueeze(0)
            _, *new = self._recurrence(x_gates, self.weight_hh, self.bias_hh, states, False)
        if not batched:
            new = [s.squeeze(0) for s in new]
        return self._pack_states(new)

    _unpack_states = RNNBase._unpack_states
    _pack_states = RNNBase._pack_states

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        _rnn_mode("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1)
        self.nonlinearity = nonlinearity

    _recurrence = RNN._recurrence

    def _reference_cell(self, x, states, weights):
        cell = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        return [cell(x, states[0], *weights)]


class LSTMCell(RNNCellBase):
    """One LSTM step. forward(input, (hx, cx)=None) -> (h', c')."""

    _num_states = 2

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, 4)

    _unpack_states = LSTM._unpack_states
    _pack_states = LSTM._pack_states
    _recurrence = LSTM._recurrence

    def _reference_cell(self, x, states, weights):
        return list(R.lstm_cell(x, tuple(states), *weights))


class GRUCell(RNNCellBase):
    """One GRU step. forward(input, hx=None) -> h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, 3)

    _recurrence = GRU._recurrence

    def _reference_cell(self, x, states, weights):
        return [R.gru_cell(x, states[0], *weights)]

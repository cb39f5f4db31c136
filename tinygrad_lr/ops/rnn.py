"""The recurrences of RNN, LSTM and GRU, one node per layer and direction.

forward loops over time doing h @ W_hh^T on BLAS and the gate nonlinearities with numpy
(SIMD tanh; the LSTM's four gates in one call, its cell update in a Numba kernel); backward
is backpropagation through time, the same loop in reverse with the gate part of each step
in one fused Numba kernel (kernels/rnn.py), and ends with one matmul for dW_hh over all
steps. The backward is computed on arrays, so it is differentiable once
(differentiable_backward = False). The plain version - the textbook cell formulas with
Tensor ops, one step at a time - is in nn/reference.py.
"""
import numpy as np

from ..graph.function import Function
from ..kernels.activations import relu_backward
from ..kernels.reduce import sum_axes
from ..kernels.rnn import (
    gru_gates_forward,
    gru_output,
    gru_step_backward,
    lstm_cell_forward,
    lstm_step_backward,
)


def _time_steps(length, reverse):
    return range(length - 1, -1, -1) if reverse else range(length)


def _previous(states, first, reverse):
    """The state each step started from: (first, s_0, ..., s_T-2), or mirrored in reverse."""
    if reverse:
        return np.concatenate([states[1:], first[None]])
    return np.concatenate([first[None], states[:-1]])


def _array(t):
    return None if t is None else np.ascontiguousarray(t._data)


def _transposed(w_hh):
    """W_hh^T as a contiguous copy, made once per sequence: h @ W^T with a transposed view
    is slower per step than with the copy (benchmarks/README.md, earlier measurements)."""
    return np.ascontiguousarray(w_hh._data.T)


def _weight_grads(ctx, make, d_h_gates, h_prev_all):
    """dW_hh = sum over steps of d_gates^T h_prev (one matmul), db_hh = sum of d_gates."""
    need_w, need_b = ctx.needs_input_grad[1:3]
    flat = d_h_gates.reshape(-1, d_h_gates.shape[-1])
    grad_w = make(flat.T @ h_prev_all.reshape(-1, h_prev_all.shape[-1])) if need_w else None
    grad_b = make(sum_axes(flat, (0,))) if need_b else None
    return grad_w, grad_b


class RNNRecurrence(Function):
    """h_t = act(x_gates[t] + h_{t-1} @ W_hh^T + b_hh), act = tanh or relu.

    One activation per step is a single numpy pass already, so there is no kernel here.
    Returns (all h_t of shape (T, B, H), h_n).
    """

    differentiable_backward = False
    node_name = "StackBackward0"  # PyTorch's CPU RNN stacks its per-step outputs

    @staticmethod
    def forward(ctx, x_gates, w_hh, b_hh, h0, reverse, nonlinearity):
        pre = x_gates._data if b_hh is None else x_gates._data + b_hh._data
        w_t, h = _transposed(w_hh), _array(h0)
        out = np.empty(pre.shape, dtype=pre.dtype)
        for t in _time_steps(len(pre), reverse):
            a = h @ w_t
            a += pre[t]
            if nonlinearity == "tanh":
                np.tanh(a, out=out[t])
            else:
                np.maximum(a, 0, out=out[t])
            h = out[t]
        ctx.save_for_backward(w_hh)
        ctx.out, ctx.h0, ctx.reverse, ctx.nonlinearity = out, _array(h0), reverse, nonlinearity
        return out, h.copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h_n):
        (w_hh,) = ctx.saved_tensors
        w, out, g_out = w_hh._data, ctx.out, grad_out._data
        d_pre = np.empty_like(out)
        grad_h = grad_h_n._data
        for t in _time_steps(len(out), not ctx.reverse):
            g = grad_h + g_out[t]
            if ctx.nonlinearity == "tanh":
                d_pre[t] = g * (1 - out[t] * out[t])
            else:
                d_pre[t] = relu_backward(g, out[t])
            grad_h = d_pre[t] @ w
        previous = _previous(out, ctx.h0, ctx.reverse)
        grad_w, grad_b = _weight_grads(ctx, grad_out._make, d_pre, previous)
        return grad_out._make(d_pre), grad_w, grad_b, grad_out._make(grad_h), None, None


class LSTMRecurrence(Function):
    """The LSTM over a sequence: gates = x_gates[t] + h_{t-1} @ W_hh^T + b_hh, split
    (i, f, g, o) -> c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
    Returns (all h_t of shape (T, B, H), h_n, c_n)."""

    differentiable_backward = False

    @staticmethod
    def forward(ctx, x_gates, w_hh, b_hh, h0, c0, reverse):
        # PyTorch's CPU LSTM runs float32 through oneDNN (MKL-DNN), other dtypes step by step
        ctx.node_name = ("MkldnnRnnLayerBackward0" if x_gates.dtype == np.float32
                         else "StackBackward0")
        length, batch, four_hidden = x_gates.shape
        hidden = four_hidden // 4
        # sigmoid(x) = 0.5 + 0.5 tanh(x / 2): with the i, f, o columns of the pre-activations
        # halved up front (exact: a power of two), one tanh per step covers all four gates.
        # b_hh is added once for all steps, not once per step.
        scale = np.full(four_hidden, 0.5, dtype=x_gates.dtype)
        scale[2 * hidden:3 * hidden] = 1
        if b_hh is None:
            pre = x_gates._data * scale
        else:
            pre = x_gates._data + b_hh._data
            pre *= scale
        w_t = _transposed(w_hh)
        w_t *= scale
        h, c = _array(h0), _array(c0)
        half = pre.dtype.type(0.5)
        act = np.empty_like(pre)
        out = np.empty((length, batch, hidden), dtype=pre.dtype)
        cells, tanh_cells = np.empty_like(out), np.empty_like(out)
        for t in _time_steps(length, reverse):
            a = act[t]
            np.matmul(h, w_t, out=a)
            a += pre[t]
            np.tanh(a, out=a)
            lstm_cell_forward(a, c, cells[t], half)  # a -> (i, f, g, o); c_t = f c + i g
            c = cells[t]
            np.multiply(a[:, 3 * hidden:], np.tanh(c, out=tanh_cells[t]), out=out[t])
            h = out[t]
        ctx.save_for_backward(w_hh)
        ctx.act, ctx.out, ctx.cells, ctx.tanh_cells = act, out, cells, tanh_cells
        ctx.h0, ctx.c0, ctx.reverse = _array(h0), _array(c0), reverse
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h_n, grad_c_n):
        (w_hh,) = ctx.saved_tensors
        w, act, g_out = w_hh._data, ctx.act, grad_out._data
        c_prev_all = _previous(ctx.cells, ctx.c0, ctx.reverse)
        d_gates = np.empty_like(act)
        grad_h = grad_h_n._data
        grad_c = np.array(grad_c_n._data, copy=True)
        grad_c_prev = np.empty_like(grad_c)
        for t in _time_steps(len(act), not ctx.reverse):
            lstm_step_backward(act[t], ctx.tanh_cells[t], c_prev_all[t], grad_h, g_out[t],
                               grad_c, d_gates[t], grad_c_prev)
            grad_h = d_gates[t] @ w
            grad_c, grad_c_prev = grad_c_prev, grad_c
        previous = _previous(ctx.out, ctx.h0, ctx.reverse)
        grad_w, grad_b = _weight_grads(ctx, grad_out._make, d_gates, previous)
        return (grad_out._make(d_gates), grad_w, grad_b, grad_out._make(grad_h),
                grad_out._make(grad_c), None)


class GRURecurrence(Function):
    """The GRU over a sequence, with PyTorch's n = tanh(x_n + r * (h W_hn^T + b_hn)):
    b_hh stays inside the per-step h_gates because r scales its n block.
    Returns (all h_t of shape (T, B, H), h_n)."""

    differentiable_backward = False
    node_name = "StackBackward0"  # PyTorch's CPU GRU stacks its per-step outputs

    @staticmethod
    def forward(ctx, x_gates, w_hh, b_hh, h0, reverse):
        length, batch, three_hidden = x_gates.shape
        hidden = three_hidden // 3
        # r and z are sigmoids, 0.5 + 0.5 tanh(x / 2): their columns are halved up front
        # (exact: a power of two), so one tanh call covers both. Backward reads only the n
        # block of h_gates, which is not scaled.
        scale = np.ones(three_hidden, dtype=x_gates.dtype)
        scale[:2 * hidden] = 0.5
        pre = x_gates._data * scale
        w_t = _transposed(w_hh)
        w_t *= scale
        b = None if b_hh is None else b_hh._data * scale
        h, half = _array(h0), pre.dtype.type(0.5)
        act = np.empty_like(pre)
        h_gates = np.empty_like(pre)
        out = np.empty((length, batch, hidden), dtype=pre.dtype)
        for t in _time_steps(length, reverse):
            hg, a = h_gates[t], act[t]
            np.matmul(h, w_t, out=hg)
            if b is not None:
                hg += b
            r_z, n = a[:, :2 * hidden], a[:, 2 * hidden:]
            np.add(pre[t, :, :2 * hidden], hg[:, :2 * hidden], out=r_z)
            np.tanh(r_z, out=r_z)
            gru_gates_forward(a, pre[t], hg, half)  # r, z -> sigmoids; n <- its pre-activation
            np.tanh(n, out=n)
            gru_output(a, h, out[t])  # h_t = (1 - z) n + z h
            h = out[t]
        ctx.save_for_backward(w_hh)
        ctx.act, ctx.h_gates, ctx.out = act, h_gates, out
        ctx.h0, ctx.reverse = _array(h0), reverse
        return out, h.copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h_n):
        (w_hh,) = ctx.saved_tensors
        w, act, g_out = w_hh._data, ctx.act, grad_out._data
        h_prev_all = _previous(ctx.out, ctx.h0, ctx.reverse)
        d_x_gates = np.empty_like(act)
        d_h_gates = np.empty_like(act)
        grad_h = grad_h_n._data
        grad_h_direct = np.empty_like(grad_h)
        for t in _time_steps(len(act), not ctx.reverse):
            gru_step_backward(act[t], ctx.h_gates[t], h_prev_all[t], grad_h + g_out[t],
                              d_x_gates[t], d_h_gates[t], grad_h_direct)
            grad_h = grad_h_direct + d_h_gates[t] @ w
        grad_w, grad_b = _weight_grads(ctx, grad_out._make, d_h_gates, h_prev_all)
        return grad_out._make(d_x_gates), grad_w, grad_b, grad_out._make(grad_h), None

"""Loss functions that are one graph node each, with forward on arrays and backward next
to it, written with Tensor ops where it can be (so still twice differentiable): the
commonest losses, which would otherwise be chains of four to ten small ops. The checks and
the composite losses are in nn/loss_functions.py; the plain composite version of each fused
loss is in nn/reference.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph.function import Function, shown_node
from ..graph.grad_mode import is_grad_enabled
from ..kernels import cross_entropy as K
from ..kernels.activations import sigmoid
from ..kernels.activations import softplus as softplus_kernel
from ..kernels.reduce import squared_difference_sum, sum_axes
from ._util import gradients, on_arrays
from .elementwise import Maximum


def check_class_range(name: str, target: np.ndarray, n_classes: int,
                      ignore_index: int | None) -> None:
    valid = (target >= 0) & (target < n_classes)
    if ignore_index is not None:
        valid |= target == ignore_index
    if not valid.all():
        bad = target[~valid].flat[0]
        also = f", or ignore_index={ignore_index}" if ignore_index is not None else ""
        raise IndexError(f"{name}: target contains class index {bad}, but the input has "
                         f"{n_classes} classes (valid: 0..{n_classes - 1}{also})")


def reduce_array(loss: np.ndarray, reduction: str, dtype: Any) -> np.ndarray:
    """_reduce on a numpy array, for the forward of a fused loss; the result keeps `dtype`
    (numpy's mean of float32 is a float32 scalar, but a 0-d array is what forward returns)."""
    if reduction == "none":
        return loss
    return _total(sum_axes(loss, tuple(range(loss.ndim))), loss.size, reduction, dtype)


def _mean_factor(size: int) -> float:
    """d mean / d element, 1 / size (an empty input has no gradient to scale: 1)."""
    return 1.0 / size if size else 1.0


def _total(total, size: int, reduction: str, dtype: Any) -> np.ndarray:
    """A loss's sum over `size` elements, divided by the count for 'mean', as a 0-d array."""
    if reduction == "mean":  # what numpy's mean does, without its Python-level overhead
        total = total / size if size else np.nan  # the mean of nothing: NaN
    return np.asarray(total, dtype=dtype)


class SquaredError(Function):
    """(input - target)^2, reduced, as one graph node: the commonest regression loss
    costs one node instead of four (sub, mul, sum, divide). The backward
    2 (input - target) / n is written with Tensor ops, so it is differentiable again."""

    array_forward = True
    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        x, y = input._data, target._data
        if reduction != "none" and x.shape == y.shape:  # one pass, no temporaries
            total = squared_difference_sum(x, y)
            return _total(total, x.size, reduction, total.dtype)
        diff = x - y
        squared = diff * diff
        return reduce_array(squared, reduction, squared.dtype)

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        scale = 2.0 * _mean_factor(input._data.size) if ctx.reduction == "mean" else 2.0
        g_, input, target = on_arrays(g, input, target)
        grad = (g_ * scale) * (input - target)
        need_input, need_target = ctx.needs_input_grad[:2]
        return gradients(g, grad if need_input else None, -grad if need_target else None, None)


class HuberError(Function):
    """scale * Huber_delta(input - target), reduced, as one graph node (the composite
    abs / where / mul / sub graph was 10 nodes, each a pass over the data). Its derivative
    is scale * clamp(r, -delta, delta): forward keeps the clamped residual for a plain
    backward, and under create_graph it is recomputed with Tensor ops, so it is
    differentiable again (second derivative scale inside |r| < delta, 0 outside)."""

    array_forward = True
    node_name = "HuberLossBackward0"  # smooth_l1_loss renames it SmoothL1LossBackward0

    @staticmethod
    def forward(ctx, input, target, reduction, delta, scale):
        ctx.save_for_backward(input, target)
        ctx.reduction, ctx.delta, ctx.scale = reduction, delta, scale
        r = input._data - target._data
        clamped = np.minimum(np.maximum(r, -delta), delta)  # np.clip, minus its overhead
        ctx.clamped = clamped
        # 0.5 r^2 inside, delta (|r| - 0.5 delta) outside, in one expression:
        # with c = clamp(r), both are c (r - 0.5 c)
        loss = clamped * (r - 0.5 * clamped)
        if scale != 1.0:
            loss *= scale
        return reduce_array(loss, reduction, loss.dtype)

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        scale = ctx.scale * _mean_factor(input._data.size) if ctx.reduction == "mean" \
            else ctx.scale
        if is_grad_enabled():  # create_graph: recorded, so differentiable again
            clamped = (input - target).clamp(-ctx.delta, ctx.delta)
        else:
            clamped = ctx.clamped
        (g_,) = on_arrays(g)
        grad = (g_ * scale) * clamped
        need_input, need_target = ctx.needs_input_grad[:2]
        return gradients(g, grad if need_input else None, -grad if need_target else None,
                         None, None, None)


class BinaryCrossEntropy(Function):
    """BCE of probabilities with PyTorch's clamped logs and gradient, weighted (`weight`
    an array that broadcasts to the input, or None) and reduced, as one node.

    The composite -(y log x + (1 - y) log(1 - x)) would give 0/0 = NaN gradients where a
    float32 sigmoid has saturated to exactly 0 or 1; PyTorch's gradient
    (x - y) / max(x (1 - x), 1e-12) stays finite, and so does this one.
    """

    array_forward = True

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        ctx.save_for_backward(input, target)
        ctx.weight, ctx.reduction = weight, reduction
        x, y = input._data, target._data
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 just below
            ctx.logs = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        log_x, log_1mx = ctx.logs
        loss = (y - 1) * log_1mx - y * log_x
        if weight is not None:
            loss = loss * weight
        return reduce_array(loss, reduction, x.dtype)

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        g_, x, y = on_arrays(g, input, target)
        if ctx.reduction == "mean":
            g_ = g_ * _mean_factor(input._data.size)
        if ctx.weight is not None:
            g_ = g_ * ctx.weight
        grad_input = grad_target = None
        recorded = is_grad_enabled()  # create_graph: Tensor ops, differentiable again
        if ctx.needs_input_grad[0]:
            denominator = Maximum.apply((1 - x) * x, 1e-12) if recorded else \
                np.maximum((1 - x) * x, 1e-12)
            grad_input = g_ * (x - y) / denominator
        if ctx.needs_input_grad[1]:
            log_x, log_1mx = ((x.log().clamp(min=-100), (-x).log1p().clamp(min=-100))
                              if recorded else ctx.logs)
            grad_target = g_ * (log_1mx - log_x)
        return gradients(g, grad_input, grad_target, None, None)


class BinaryCrossEntropyWithLogits(Function):
    """The loss above as one graph node (the composite took seven). With s = sigmoid(-x),
    d/dx = (1 - y) - lw s and d/dy = -x + (pos_weight - 1) softplus(-x), lw the log weight.
    Forward computes softplus(-x) and s and keeps them for a plain backward; under
    create_graph both are recomputed with Tensor ops, so the gradient is differentiable
    again."""

    array_forward = True

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        ctx.save_for_backward(input, target)
        x, y = input._data, target._data
        # softplus(-x) = max(-x, 0) + log(1 + e^-|x|) with e = e^-|x| <= 1: it never
        # overflows. Both are the kernels' (-x).softplus and (-x).sigmoid: the values the
        # recorded backward computes
        minus_x = np.negative(x)
        softplus = softplus_kernel(minus_x, 1.0, float("inf"))
        ctx.arrays = softplus, sigmoid(minus_x)
        ctx.constants = (weight, pos_weight, reduction)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        loss = (1 - y) * x + log_weight * softplus
        if weight is not None:
            loss = loss * weight
        loss = loss.astype(x.dtype, copy=False)
        return reduce_array(loss, reduction, x.dtype)

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        weight, pos_weight, reduction = ctx.constants
        g_, x, y = on_arrays(g, input, target)
        if reduction == "mean":
            g_ = g_ * _mean_factor(input._data.size)
        if weight is not None:
            g_ = g_ * weight
        recorded = is_grad_enabled()  # create_graph: Tensor ops, differentiable again
        grad_input = grad_target = None
        if ctx.needs_input_grad[0]:
            s = (-x).sigmoid() if recorded else ctx.arrays[1]
            log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
            grad_input = g_ * ((1 - y) - log_weight * s)
        if ctx.needs_input_grad[1]:
            softplus_term = 0
            if pos_weight is not None:
                softplus = (-x).softplus(1.0, float("inf")) if recorded else ctx.arrays[0]
                softplus_term = (pos_weight - 1) * softplus
            grad_target = g_ * (softplus_term - x)
        return gradients(g, grad_input, grad_target, None, None, None)


class ZeroOne(Function):
    """Counts wrong predictions; its backward raises (the 0-1 loss has no useful gradient)."""

    array_forward = True

    @staticmethod
    def forward(ctx, input, wrong, reduction):
        wrong = wrong.astype(input.dtype)
        return reduce_array(wrong, reduction, input.dtype)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            "zero_one_loss is not differentiable: its gradient is 0 almost everywhere and "
            "undefined at the decision boundary, so gradient descent cannot use it. Train with "
            "a surrogate - hinge_loss or a log loss (cross_entropy, "
            "binary_cross_entropy_with_logits) - and report zero_one_loss as a metric.")


class NllLoss(Function):
    """nll_loss of (M, C) log-probabilities as ONE graph node: row i's loss is
    -w[t_i] * x[i, t_i] (w[t_i] = 0 where t_i is ignore_index), then the reduction ('mean'
    divides by the summed w[t_i]). The gradient is -w[t_i] g_i at (i, t_i) and 0 elsewhere;
    it does not depend on x, so under create_graph=True it is the same picture built with a
    Tensor op on g (a product with a constant array).

    `picked_at` are the t_i (0 where ignored) and `row_weight` the w[t_i], both arrays."""

    array_forward = True
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, picked_at, row_weight, reduction):
        xa = x._data
        losses = -xa[np.arange(len(picked_at)), picked_at] * row_weight
        ctx.args = (xa.shape, picked_at, row_weight, reduction)
        if reduction == "none":
            return losses
        if reduction == "sum":
            return np.asarray(losses.sum(), dtype=xa.dtype)
        ctx.total_weight = row_weight.sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: 0 / 0 = NaN
            return np.asarray(losses.sum() / ctx.total_weight, dtype=xa.dtype)

    @staticmethod
    def backward(ctx, g):
        shape, picked_at, row_weight, reduction = ctx.args
        if reduction == "mean":  # every target ignored (total weight 0): no gradient, as
            scale = 1 / ctx.total_weight if ctx.total_weight else 0.0  # in PyTorch
            row_weight = row_weight * row_weight.dtype.type(scale)
        pattern = np.zeros(shape, dtype=row_weight.dtype)  # -w[t_i] at (i, t_i)
        pattern[np.arange(shape[0]), picked_at] = -row_weight
        g_rows = g.reshape(-1, 1) if reduction == "none" else g
        if is_grad_enabled():
            return g_rows * g._make(pattern), None, None, None
        return g._make(np.multiply(pattern, g_rows._data, out=pattern)), None, None, None


class CrossEntropyIndices(Function):
    """Cross-entropy of (M, C) logits against M class indices, or of (N, C, L) logits
    (classes along axis 1) against (N, L) indices, as ONE graph node.

    forward: kernels/cross_entropy.py - log-softmax, pick, weight in one pass - then reduce.
    backward: with p = softmax(x) and eps the label smoothing, row i's gradient is
        (1 - eps) w[t] (p - onehot(t)) + eps / C (sum(w) p - w)  =  p * coef_i - pull_i.
    A plain backward computes it with the fused kernel; under create_graph=True (Hessians,
    gradgradcheck) the same formula is written with Tensor ops, so it is differentiable again.
    """

    array_forward = True
    node_name = "NllLossBackward0"  # shown as PyTorch's nll_loss(log_softmax(x))

    @staticmethod
    def torch_next(node, entries):
        return [(shown_node("LogSoftmaxBackward0", entries[0]), 0)]

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, smoothing, reduction):
        losses, row_weight, lse, bad_row = K.cross_entropy_forward(logits._data, target, weight,
                                                                 ignore_index, smoothing)
        if bad_row >= 0:
            check_class_range("cross_entropy", target, logits.shape[1], ignore_index)
        ctx.save_for_backward(logits)
        ctx.args = (lse, target, weight, ignore_index, smoothing, reduction)
        if reduction == "none":
            return losses
        if reduction == "sum":
            return np.asarray(losses.sum(), dtype=losses.dtype)
        ctx.total_weight = row_weight.sum()
        if ctx.total_weight:
            return np.asarray(losses.sum() / ctx.total_weight, dtype=losses.dtype)
        # every target ignored (or weighted 0): 0 / 0 = NaN, as PyTorch
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(losses.sum() / ctx.total_weight, dtype=losses.dtype)

    @staticmethod
    def backward(ctx, g):
        (logits,) = ctx.saved_tensors
        lse, target, weight, ignore_index, eps, reduction = ctx.args
        scale = 1.0
        if reduction == "mean":  # every target ignored: a total weight of 0, scale inf
            scale = 1 / ctx.total_weight if ctx.total_weight else np.inf
        if is_grad_enabled():  # create_graph=True: keep every step on the tape
            rows = logits if logits.ndim == 2 else \
                logits.permute(0, 2, 1).reshape(-1, logits.shape[1])  # (N*L, C)
            coef, pull = K.softmax_coef_and_pull(target.reshape(-1), weight, ignore_index, eps,
                                                 logits.dtype)
            g = g.reshape(-1, 1) if reduction == "none" else g * float(scale)
            grad = g * (rows.softmax(1) * coef - pull)
            if logits.ndim == 3:
                grad = grad.reshape(logits.shape[0], -1, logits.shape[1]).permute(0, 2, 1)
            return grad, None, None, None, None, None
        if reduction == "none":
            g_rows = g._data
        else:
            g_rows = np.full(target.shape, g._data * scale, dtype=logits.dtype)
        grad = K.cross_entropy_backward(logits._data, lse, target, weight, ignore_index, eps,
                                        g_rows)
        return g._make(grad), None, None, None, None, None

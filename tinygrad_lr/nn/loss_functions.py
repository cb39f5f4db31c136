"""Loss functions (`nn.functional` form) and the regularisers l1_penalty / l2_penalty.

Every loss takes `reduction='mean' | 'sum' | 'none'` and, where PyTorch has the loss, follows
`torch.nn.functional` exactly (same formula, same clamping, same normalisation). Most are
written with Tensor ops, so their gradients - and second derivatives (create_graph=True) -
come from the ops they are built from. The hottest ones are one graph node each, with the
backward next to the forward and written with Tensor ops (so still twice differentiable):
`SquaredError` (mse_loss), `BinaryCrossEntropy`, `BinaryCrossEntropyWithLogits` and
`CrossEntropyIndices` (cross-entropy over class indices, with a fused kernel).

Losses that take logits use stable forms: softplus(-x) = log(1 + e^-x) is computed as
max(-x, 0) + log1p(e^-|x|) and log-softmax subtracts the row maximum, so logits of +-1000
give finite losses and gradients.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..graph.function import entry, rename, shown_node
from ..kernels import reference_kernels_enabled
from ..ops.losses import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropyIndices,
    HuberError,
    NllLoss,
    SquaredError,
    ZeroOne,
    check_class_range,
)
from ..tensor import Tensor, maximum, minimum, where
from . import reference as R

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
    "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss", "soft_margin_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "gaussian_nll_loss", "poisson_nll_loss",
    "hinge_loss", "perceptron_loss", "focal_loss", "sigmoid_focal_loss", "contrastive_loss",
    "log_cosh_loss", "quantile_loss", "welsch_loss", "zero_one_loss",
    "l1_penalty", "l2_penalty",
]

_REDUCTIONS = ("mean", "sum", "none")


# ================================================================ helpers
def _check_reduction(name, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        choices = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{name}: reduction must be one of {choices}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """A Tensor from x; floating values take the dtype of `like` (the prediction)."""
    t = x if isinstance(x, Tensor) else Tensor(x)
    if like is not None and t.dtype.kind in "fb" and t.dtype != like.dtype:
        t = t.astype(like.dtype)
    return t


def _check_same_shape(name, input, target, what="target"):
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input of shape {input.shape} and {what} of shape {target.shape} must "
            f"have the same shape (mismatched shapes broadcast silently into a wrong loss; "
            f"reshape one of them, e.g. input.squeeze(-1) or {what}.reshape({input.shape}))")


def _regression_pair(name, input, target, reduction, **dtype_rule):
    """(input, target) of one shape and of the loss's result dtype (see _dtypes)."""
    _check_reduction(name, reduction)
    input, target = _dtypes(name, input, target, **dtype_rule)
    _check_same_shape(name, input, target)
    return input, target


def _dtypes(name, input, target, ints=True, bools=True, floats="promote"):
    """PyTorch's dtype rule for a loss's target; (input, target) in the result's dtype.

    ints / bools: whether PyTorch takes an integer / boolean target (its value is then
    converted to the input's dtype). floats, for a floating target of another dtype:
    'promote' (the wider one), 'input' or 'target' (that one's dtype), 'same' (PyTorch
    raises). The input's gradient keeps its dtype (the conversion is a Cast in the graph).
    A target that is not a Tensor (a list, an array) is taken in the input's dtype.
    """
    if not isinstance(target, Tensor):
        return input, _tensor(target, input).astype(input.dtype)
    kind = target.dtype.kind
    if (kind == "b" and not bools) or (kind in "iu" and not ints) or \
            (kind == "f" and floats == "same" and target.dtype != input.dtype):
        wanted = "the same dtype as the input" if floats == "same" and kind == "f" and \
            input.dtype.kind == "f" else "floating point"
        raise TypeError(f"{name}: target of dtype {target.dtype} with input of dtype "
                        f"{input.dtype}: the target must be {wanted} (as in PyTorch); "
                        f"convert it, e.g. target.to(input.dtype)")
    if kind != "f" or floats == "input":
        result = input.dtype
    elif floats == "target":
        result = target.dtype
    else:
        result = np.promote_types(input.dtype, target.dtype)
    if result.kind != "f":  # an integer loss would be truncated: PyTorch refuses it too
        raise TypeError(f"{name}: input of dtype {input.dtype} and target of dtype "
                        f"{target.dtype}: a loss needs floating-point values; convert the "
                        "input, e.g. input.float()")
    return input.astype(result), target.astype(result)


def _check_labels(name, target, allowed, arg="target"):
    values = np.unique(target._data)
    bad = values[~np.isin(values, allowed)]
    if bad.size:
        raise ValueError(f"{name}: {arg} must contain only labels {list(allowed)}, "
                         f"got {bad[:5].tolist()}")


def _softplus(x):
    """log(1 + e^x), stable for any x (no threshold approximation); gradient sigmoid(x)."""
    return x.softplus(1.0, math.inf)


def _class_weight(name, weight, n_classes, like, arg="weight"):
    """weight (C,) as an array of the input's dtype, or None."""
    if weight is None:
        return None
    w = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=like.dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{name}: {arg} must have one entry per class, shape ({n_classes},), "
                         f"got {w.shape}")
    return w


def _classes_last(input):
    """(N, C, d1, ...) -> (N*d1*..., C): one row of class scores per prediction."""
    if input.ndim == 2:
        return input
    return input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1])


# ================================================================ regression
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: (input - target)^2."""
    input, target = _regression_pair("mse_loss", input, target, reduction)
    if reference_kernels_enabled():  # the plain version: nn/reference.py
        return R.mse_loss(input, target, reduction)
    return SquaredError.apply(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error: |input - target|."""
    input, target = _regression_pair("l1_loss", input, target, reduction, bools=False)
    return _reduce((input - target).abs(), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """0.5 r^2 where |r| < delta, delta (|r| - 0.5 delta) elsewhere (r = input - target)."""
    input, target = _regression_pair("huber_loss", input, target, reduction, ints=False,
                                     bools=False, floats="same")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    if reference_kernels_enabled():
        return R.huber_loss(input, target, reduction, delta)
    return HuberError.apply(input, target, reduction, float(delta), 1.0)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 r^2 / beta where |r| < beta, |r| - 0.5 beta elsewhere; beta = 0 is l1_loss.

    Huber(delta) = delta * SmoothL1(beta=delta): the same curve scaled.
    """
    input, target = _regression_pair("smooth_l1_loss", input, target, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    if beta == 0:
        return _reduce((input - target).abs(), reduction)
    if reference_kernels_enabled():
        return R.smooth_l1_loss(input, target, reduction, beta)
    return rename(HuberError.apply(input, target, reduction, float(beta), 1.0 / beta),
                  "SmoothL1LossBackward0")


def log_cosh_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """log(cosh(r)), r = input - target: ~r^2/2 near 0, ~|r| - log 2 far away; gradient tanh(r).

    Computed as |r| + log1p(exp(-2|r|)) - log 2, which never forms cosh(1000) = inf.
    (Not in PyTorch; see e.g. Chen et al., "Log hyperbolic cosine loss", 2019.)
    """
    input, target = _regression_pair("log_cosh_loss", input, target, reduction)
    a = (input - target).abs()
    return _reduce(a + (-2 * a).exp().log1p() - math.log(2.0), reduction)


def quantile_loss(input: Tensor, target: Tensor, q: float = 0.5, reduction: str = "mean") -> Tensor:
    """Pinball loss of quantile q: max(q r, (q - 1) r) with r = target - input.

    Minimising it makes `input` estimate the q-th quantile of target (q = 0.5: the median,
    half the L1 loss). (Not in PyTorch; Koenker & Bassett, "Regression Quantiles", 1978.)
    """
    input, target = _regression_pair("quantile_loss", input, target, reduction)
    if not 0 < q < 1:
        raise ValueError(f"quantile_loss: q must be in (0, 1), got {q}")
    r = target - input
    return _reduce(maximum(q * r, (q - 1) * r), reduction)


def welsch_loss(input: Tensor, target: Tensor, sigma: float = 1.0,
                reduction: str = "mean") -> Tensor:
    """Welsch (a.k.a. "Gaussian kernel" / correntropy) loss: 1 - exp(-r^2 / (2 sigma^2)).

    Bounded by 1, so outliers stop pulling: a robust regression loss (Dennis & Welsch,
    1978). Some texts present a "Gaussian loss" exp(-(y - f)^2 / (2 sigma^2)); that is a
    similarity, largest (1) at zero error, and cannot be minimised - 1 minus it, this loss,
    is the minimisable form. For the Gaussian likelihood with a learned variance use
    gaussian_nll_loss. (Not in PyTorch.)
    """
    input, target = _regression_pair("welsch_loss", input, target, reduction)
    if sigma <= 0:
        raise ValueError(f"welsch_loss: sigma must be positive, got {sigma}")
    r = input - target
    return _reduce(1 - (r * r * (-0.5 / sigma ** 2)).exp(), reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target under N(input, var):
    0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) if full).

    var has the input's shape, or one dim less / a last dim of 1 (one variance per sample).
    As in PyTorch, the clamp at eps does not stop var's gradient.
    """
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    input, target = _dtypes(name, input, target, bools=False)
    var = _tensor(var, input)
    _check_same_shape(name, input, target)
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:
            var = var.unsqueeze(-1)
        elif not (var.shape[:-1] == input.shape[:-1] and var.shape[-1:] == (1,)):
            raise ValueError(f"{name}: var of shape {var.shape} must have the input's shape "
                             f"{input.shape}, or that shape with the last dim 1 or dropped")
    if (var._data < 0).any():
        raise ValueError(f"{name}: var must be non-negative, got a minimum of "
                         f"{var._data.min():g}")
    # clamp the value but let the gradient through unchanged (PyTorch clamps under no_grad)
    var = var + Tensor(np.maximum(var._data, eps) - var._data)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target ~ Poisson(rate):
    exp(input) - target * input if log_input (input is the log-rate), else
    input - target * log(input + eps). full adds Stirling's term
    target log target - target + 0.5 log(2 pi target) where target > 1.
    """
    name = "poisson_nll_loss"
    _check_reduction(name, reduction)
    input, target = _dtypes(name, input, target)
    _check_same_shape(name, input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        t = target._data
        safe = np.where(t > 1, t, 1.0)
        stirling = np.where(t > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0)
        loss = loss + Tensor(stirling.astype(input.dtype))
    return _reduce(loss, reduction)


# ================================================================ binary classification
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-weight * (target log(input) + (1 - target) log(1 - input)), input probabilities.

    Each log is clamped at -100 as in PyTorch, so input = 0 or 1 gives a finite loss. From
    raw scores use binary_cross_entropy_with_logits: it is stable and cheaper.
    """
    name = "binary_cross_entropy"
    input, target = _regression_pair(name, input, target, reduction, ints=False, bools=False,
                                     floats="same")
    for arg, t in (("input", input), ("target", target)):
        low, high = (t._data.min(), t._data.max()) if t._data.size else (0, 1)
        if not (low >= 0 and high <= 1):  # NaN fails both tests, as in PyTorch's check
            hint = (" (for raw scores use binary_cross_entropy_with_logits)"
                    if arg == "input" else "")
            found = "NaN" if np.isnan(low) or np.isnan(high) else \
                f"values from {low:g} to {high:g}"
            raise ValueError(f"{name}: {arg} must contain probabilities in [0, 1], got "
                             f"{found}{hint}")
    if reference_kernels_enabled():
        return R.binary_cross_entropy(input, target, weight, reduction)
    if weight is not None:
        weight = np.asarray(  # type: ignore[assignment]  # its array from here on
            weight._data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
        if not _broadcasts_to(weight.shape, input.shape):
            raise ValueError(f"{name}: weight of shape {weight.shape} does not broadcast to "
                             f"the input's shape {input.shape}")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE of sigmoid(input), computed from the logits without forming sigmoid:

        (1 - target) * x + (1 + (pos_weight - 1) * target) * softplus(-x)

    which equals -[pos_weight * target * log sigmoid(x) + (1 - target) log(1 - sigmoid(x))].
    pos_weight (one per class, last dim) > 1 raises recall, < 1 precision. weight and
    pos_weight are constants (no gradient).
    """
    name = "binary_cross_entropy_with_logits"
    input, target = _regression_pair(name, input, target, reduction, ints=False, bools=False,
                                     floats="target")
    constants = []
    for arg, value in (("weight", weight), ("pos_weight", pos_weight)):
        if value is not None:
            value = np.asarray(  # type: ignore[assignment]  # its array from here on
                value._data if isinstance(value, Tensor) else value, dtype=input.dtype)
            if not _broadcasts_to(value.shape, input.shape):
                raise ValueError(f"{name}: {arg} of shape {value.shape} does not broadcast to "
                                 f"the input's shape {input.shape}")
        constants.append(value)
    if reference_kernels_enabled():
        return R.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)
    return BinaryCrossEntropyWithLogits.apply(input, target, *constants, reduction)


def _broadcasts_to(shape, target_shape):
    try:
        return np.broadcast_shapes(shape, target_shape) == target_shape
    except ValueError:
        return False


def soft_margin_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), labels in {-1, +1}: logistic loss on margins."""
    input, target = _regression_pair("soft_margin_loss", input, target, reduction,
                                     bools=False, floats="input")
    return rename(_reduce(_softplus(-target * input), reduction), "SoftMarginLossBackward0",
                  [entry(input)])


def hinge_loss(input: Tensor, target: Tensor, squared: bool = False,
               reduction: str = "mean") -> Tensor:
    """Binary SVM hinge max(0, 1 - y f) (squared: its square), labels y in {-1, +1}.

    Not in PyTorch (its HingeEmbeddingLoss is a different, distance-based loss); this is
    the loss of the soft-margin SVM (Cortes & Vapnik, 1995); squared is the L2-SVM.
    """
    input, target = _regression_pair("hinge_loss", input, target, reduction)
    _check_labels("hinge_loss", target, (-1, 1))
    h = (1 - target * input).relu()
    return _reduce(h * h if squared else h, reduction)


def perceptron_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """max(0, -y f), labels y in {-1, +1}: the perceptron criterion (Rosenblatt, 1958).

    Zero for every correctly classified point, however close to the boundary. Not in PyTorch.
    """
    input, target = _regression_pair("perceptron_loss", input, target, reduction)
    _check_labels("perceptron_loss", target, (-1, 1))
    return _reduce((-target * input).relu(), reduction)


def sigmoid_focal_loss(input: Tensor, target: Tensor, alpha: float = 0.25, gamma: float = 2.0,
                       reduction: str = "mean") -> Tensor:
    """Binary focal loss from logits (Lin et al., "Focal Loss for Dense Object Detection",
    2017), the definition of torchvision.ops.sigmoid_focal_loss:

        p_t = p y + (1 - p)(1 - y),  p = sigmoid(input)
        loss = alpha_t (1 - p_t)^gamma BCE_with_logits(input, y)
        alpha_t = alpha y + (1 - alpha)(1 - y)

    alpha < 0 disables the alpha weighting; gamma = 0 and alpha < 0 give plain BCE.
    """
    input, target = _regression_pair("sigmoid_focal_loss", input, target, reduction)
    p = input.sigmoid()
    ce = binary_cross_entropy_with_logits(input, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - p_t) ** float(gamma)
    if alpha >= 0:
        loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return _reduce(loss, reduction)


def focal_loss(input: Tensor, target: Tensor, alpha: float = 0.25, gamma: float = 2.0,
               reduction: str = "mean") -> Tensor:
    """Focal loss from logits, binary or multi-class (Lin et al., 2017).

    - target with the input's shape (0/1 floats): binary, sigmoid_focal_loss.
    - input (N, C) and integer class indices target (N,): the softmax form
      -alpha_t (1 - p_t)^gamma log p_t, p_t the softmax probability of the true class;
      alpha is a float (the same for every class) or one weight per class.
    gamma = 0 with alpha = 1 is cross-entropy.
    """
    name = "focal_loss"
    _check_reduction(name, reduction)
    target = _tensor(target)
    if target.dtype.kind not in "iu":
        return sigmoid_focal_loss(input, target, alpha, gamma, reduction)
    if input.ndim != 2 or target.shape != input.shape[:1]:
        raise ValueError(f"{name}: class-index targets need input (N, C) and target (N,), "
                         f"got input {input.shape} and target {target.shape}")
    check_class_range(name, target._data, input.shape[1], None)
    log_p_t = input.log_softmax(1).gather(1, target._data[:, None])[:, 0]
    if isinstance(alpha, (int, float)):
        alpha_t = float(alpha)
    else:
        alpha_t = Tensor(_class_weight(name, alpha, input.shape[1], input, "alpha")[target._data])
    loss = -alpha_t * (1 - log_p_t.exp()) ** float(gamma) * log_p_t
    return _reduce(loss, reduction)


def zero_one_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """The 0-1 loss: 1 for every wrong prediction, 0 for a right one (mean: the error rate).

    input (N, C) class scores with class indices (N,) (prediction: argmax), or scores of
    the target's shape with labels in {-1, +1} or {0, 1} (prediction: score > 0).
    It is not differentiable - its gradient is 0 almost everywhere - so backward raises;
    train with hinge_loss or a log loss (cross_entropy, binary_cross_entropy_with_logits)
    and report zero_one_loss as a metric.
    """
    name = "zero_one_loss"
    _check_reduction(name, reduction)
    target = _tensor(target)
    if input.ndim == target.ndim + 1 and input.shape[:-1] == target.shape:
        wrong = input._data.argmax(-1) != target._data
    elif input.shape == target.shape:
        labels = np.unique(target._data)
        if not (np.isin(labels, (-1, 1)).all() or np.isin(labels, (0, 1)).all()):
            raise ValueError(f"{name}: binary target must contain labels in {{-1, 1}} or "
                             f"{{0, 1}}, got {labels[:5].tolist()}")
        wrong = (input._data > 0) != (target._data == 1)
    else:
        raise ValueError(f"{name}: input {input.shape} must be class scores (N, C) for "
                         f"target (N,) or have the target's shape {target.shape}")
    return ZeroOne.apply(input, wrong, reduction)


# ================================================================ multi-class
def _class_target(target, input):
    """target as a Tensor. One given as a list or an array is taken as class indices
    (int64) if it holds integers, else as probabilities in the input's dtype."""
    if isinstance(target, Tensor):
        return target
    target = np.asarray(target)
    return Tensor(target.astype(np.int64 if target.dtype.kind in "iub" else input.dtype))


def _index_target(name, input, target, dtypes=(np.int64, np.uint8)):
    """Check an (N, C, d1...) input against an (N, d1...) target of class indices, of one of
    `dtypes` (PyTorch's: int64 or uint8; multi_margin_loss int64 only)."""
    if target.dtype not in dtypes:
        if target.dtype.kind == "f" and target.shape == input.shape:
            raise TypeError(f"{name}: target of dtype {target.dtype} with input of dtype "
                            f"{input.dtype}: class probabilities are taken only by "
                            "cross_entropy; nll_loss needs class indices (int64)")
        names = " or ".join(str(np.dtype(d)) for d in dtypes)
        raise TypeError(f"{name}: target of dtype {target.dtype} with input of dtype "
                        f"{input.dtype}: class indices must be {names}, as in PyTorch; use "
                        "target.long()")
    expected = input.shape[:1] + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {input.shape} (N, C, ...) needs a target of "
                         f"class indices of shape {expected}, got {target.shape}")
    return target._data.astype(np.int64, copy=False).reshape(-1)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits: log_softmax over dim 1, then the negative log-likelihood.

    input (N, C) or (N, C, d1, ...) (or (C,) for one sample); target either class indices
    (N,) / (N, d1, ...) (integers) or class probabilities of the input's shape (floats).
    weight (C,) rescales classes; with indices, 'mean' divides by the summed weight of the
    non-ignored targets. label_smoothing eps mixes the target with the uniform distribution:
    (1 - eps) target + eps / C.
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    if isinstance(input, Tensor) and input.dtype.kind != "f":
        raise TypeError(f"{name}: the logits (input) must be floating point, got "
                        f"{input.dtype}; use input.float()")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = _class_target(target, input)
    if input.ndim == 1:  # one unbatched sample
        if target.ndim == 0:
            target = target.reshape(1)
        else:
            target = target.reshape(1, -1)
        out = cross_entropy(input.reshape(1, -1), target, weight, ignore_index,
                            reduction, label_smoothing).reshape(())
        return out if label_smoothing else _as_nll_of_log_softmax(out, input)
    if input.ndim < 2:
        raise ValueError(f"{name}: input must be (C,), (N, C) or (N, C, d1, ...), got "
                         f"{input.shape}")
    n_classes = input.shape[1]
    w = _class_weight(name, weight, n_classes, input)
    if target.dtype.kind == "f" and target.shape != input.shape[:1] + input.shape[2:]:
        return _cross_entropy_probabilities(  # type: ignore[call-arg]  # _dtypes gives a pair
            *_dtypes(name, input, target), w, reduction, label_smoothing)
    if target.shape == input.shape and input.ndim > 1:
        raise TypeError(f"{name}: target of dtype {target.dtype} with input of dtype "
                        f"{input.dtype}: a target of the input's shape holds class "
                        "probabilities and must be floating point (as in PyTorch); for "
                        f"class indices give shape {input.shape[:1] + input.shape[2:]}")
    t = _index_target(name, input, target)
    if reference_kernels_enabled():  # log_softmax -> pick the target's entry -> average
        check_class_range(name, t, n_classes, ignore_index)
        return R.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
    if input.ndim > 2:  # (N, C, d1, ...) as (N, C, L): the kernels read the classes in place
        positions = math.prod(input.shape[2:])
        input_ = input.reshape(input.shape[0], n_classes, positions)
        t = t.reshape(input.shape[0], positions)
    else:
        input_ = input
    if w is None:
        w = np.ones(n_classes, dtype=input.dtype)
    loss = CrossEntropyIndices.apply(input_, t, w, int(ignore_index), float(label_smoothing),
                                     reduction)
    if reduction == "none" and input.ndim > 2:
        loss = loss.reshape(target.shape)
    return _as_nll_of_log_softmax(loss, input) if input.ndim == 4 else loss


def _as_nll_of_log_softmax(loss, input):
    """Show the loss as PyTorch's graph has it: nll_loss(log_softmax(input)), without our
    reshapes (PyTorch's images (N, C, H, W) take NllLoss2dBackward0)."""
    nll = "NllLoss2DBackward0" if input.ndim == 4 else "NllLossBackward0"
    return rename(loss, nll, [(shown_node("LogSoftmaxBackward0", entry(input)), 0)])


def _cross_entropy_probabilities(input, target, w, reduction, label_smoothing):
    if target.shape != input.shape:
        raise ValueError(f"cross_entropy: input of shape {input.shape} needs class indices of "
                         f"shape {input.shape[:1] + input.shape[2:]} (integers) or class "
                         f"probabilities of shape {input.shape} (floats), got {target.shape}")
    n_classes = input.shape[1]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    logp = R.log_softmax(input, 1) if reference_kernels_enabled() else input.log_softmax(1)
    if w is not None:
        logp = logp * Tensor(w.reshape((n_classes,) + (1,) * (input.ndim - 2)))
    # in PyTorch's order, so that the graph shows PyTorch's steps
    if reduction == "none":
        return -(logp * target).sum(1)
    total = -(logp * target).sum()
    if reduction == "sum":
        return total
    # 'mean' is over samples, weights or not (as PyTorch), a division by a number
    return rename(total / (input._data.size // n_classes), "DivBackward1", [entry(total)])


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: -weight[t] * input[n, t].

    input (N, C) or (N, C, d1, ...) log-probabilities (e.g. log_softmax output), target
    class indices (N,) / (N, d1, ...). 'mean' divides by the summed weight of the targets
    that are not ignore_index.
    """
    name = "nll_loss"
    _check_reduction(name, reduction)
    target = _class_target(target, input)
    if input.ndim == 1 and target.ndim == 0:  # one unbatched sample
        return rename(nll_loss(input.reshape(1, -1), target.reshape(1), weight, ignore_index,
                               reduction).reshape(()), "NllLossBackward0", [entry(input)])
    if input.ndim < 2:
        raise ValueError(f"{name}: input must be (N, C) or (N, C, d1, ...), got {input.shape}")
    n_classes = input.shape[1]
    t = _index_target(name, input, target)
    check_class_range(name, t, n_classes, ignore_index)
    w = _class_weight(name, weight, n_classes, input)
    if reference_kernels_enabled():
        return R.nll_loss(input, target, weight, ignore_index, reduction)
    kept = t != ignore_index
    safe_t = np.where(kept, t, 0)
    w_t = ((np.ones(t.shape, input.dtype) if w is None else w[safe_t]) * kept).astype(
        input.dtype, copy=False)
    loss = NllLoss.apply(_classes_last(input), safe_t, w_t, reduction)
    if reduction == "none":
        loss = loss.reshape(target.shape)
    # PyTorch's nll_loss is one node (NllLoss2dBackward0 for (N, C, d1, ...) input)
    return rename(loss, "NllLossBackward0" if input.ndim == 2 else "NllLoss2DBackward0",
                  [entry(input)])


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge (Weston-Watkins / Crammer-Singer style, PyTorch's definition):
    sum over j != y of max(0, margin - x[y] + x[j])^p / C, times weight[y]; p is 1 or 2.
    """
    name = "multi_margin_loss"
    _check_reduction(name, reduction)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p}")
    target = _class_target(target, input)
    if input.ndim == 1:
        out = multi_margin_loss(input.reshape(1, -1), target.reshape(1), p, margin, weight,
                                reduction)
        return out.reshape(()) if reduction == "none" else out
    t = _index_target(name, input, target, (np.int64,))
    if input.ndim != 2:
        raise ValueError(f"{name}: input must be (N, C) or (C,), got {input.shape}")
    n, c = input.shape
    check_class_range(name, t, c, None)
    x_y = input.gather(1, t[:, None])
    h = (margin - x_y + input).relu()
    if p == 2:
        h = h * h
    not_target = np.ones((n, c), dtype=input.dtype)
    not_target[np.arange(n), t] = 0
    w = _class_weight(name, weight, c, input)
    if w is not None:
        not_target *= w[t][:, None]
    return rename(_reduce((h * Tensor(not_target)).sum(1) / c, reduction),
                  "MultiMarginLossBackward0", [entry(input)])


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(target || exp(input)), input log-probabilities:
    target * (log target - input) (0 where target = 0), or with log_target
    exp(target) * (target - input). 'batchmean' (sum / batch size) is the true KL per
    sample; 'mean' averages over every element, as PyTorch does.
    """
    name = "kl_div"
    _check_reduction(name, reduction, _REDUCTIONS + ("batchmean",))
    input, target = _dtypes(name, input, target, ints=False, bools=False)
    _check_same_shape(name, input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target._data > 0
        safe = where(positive, target, 1.0)
        loss = where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


# ================================================================ pairs and embeddings
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x usually a distance)."""
    input, target = _regression_pair("hinge_embedding_loss", input, target, reduction,
                                     floats="input")
    loss = where(target._data != 1, (margin - input).relu(), 0.0) + \
        where(target._data != -1, input, 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): y = 1 wants x1 ranked above x2, y = -1 below."""
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    _, target = _dtypes(name, input1, target, bools=False)
    _check_same_shape(name, input1, input2, "input2")
    _check_same_shape(name, input1, target)
    return _reduce((-target * (input1 - input2) + margin).relu(), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.

    The cosine is over the last dim, with 1e-12 added to each squared norm (PyTorch).
    """
    name = "cosine_embedding_loss"
    _check_reduction(name, reduction)
    target = _tensor(target)
    _check_same_shape(name, input1, input2, "input2")
    if target.shape != input1.shape[:-1]:
        raise ValueError(f"{name}: target must have shape {input1.shape[:-1]} (one label per "
                         f"pair), got {target.shape}")
    dot = (input1 * input2).sum(-1)
    norms = ((input1 * input1).sum(-1) + 1e-12) * ((input2 * input2).sum(-1) + 1e-12)
    cos = dot / norms.sqrt()
    loss = where(target._data == 1, 1 - cos, 0.0) + \
        where(target._data == -1, (cos - margin).relu(), 0.0)
    return _reduce(loss, reduction)


def _pairwise_distance(a, b, p, eps):
    return (a - b + eps).norm(p, dim=-1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0), d(x, y) = ||x - y + eps||_p over the last dim.

    swap uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al., 2016).
    """
    name = "triplet_margin_loss"
    _check_reduction(name, reduction)
    _check_same_shape(name, anchor, positive, "positive")
    _check_same_shape(name, anchor, negative, "negative")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).relu(), reduction)


def contrastive_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 1.0,
                     reduction: str = "mean") -> Tensor:
    """Pairwise contrastive loss (Hadsell, Chopra & LeCun, "Dimensionality Reduction by
    Learning an Invariant Mapping", 2006), y = 1 for a similar pair, 0 for a dissimilar one:

        0.5 * (y d^2 + (1 - y) max(0, margin - d)^2),  d = ||x1 - x2||_2 over the last dim

    Similar pairs are pulled together, dissimilar ones pushed at least `margin` apart.
    Not in PyTorch.
    """
    name = "contrastive_loss"
    _check_reduction(name, reduction)
    target = _tensor(target, input1)
    _check_same_shape(name, input1, input2, "input2")
    if target.shape != input1.shape[:-1]:
        raise ValueError(f"{name}: target must have shape {input1.shape[:-1]} (one label per "
                         f"pair), got {target.shape}")
    _check_labels(name, target, (0, 1))
    diff = input1 - input2
    d_squared = (diff * diff).sum(-1)
    push = (margin - diff.norm(2, dim=-1)).relu()
    return _reduce(0.5 * (target * d_squared + (1 - target) * push * push), reduction)


# ================================================================ regularisers
def _params(params: Any, name: str) -> list[Tensor]:
    params = [params] if isinstance(params, Tensor) else list(params)
    if not params:
        raise ValueError(f"{name}: got no parameters")
    return params


def l1_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """sum |w| over every parameter (lasso): add lam * l1_penalty(model.parameters()) to the
    loss to push weights to exactly 0. Optimizers have no L1 option; this is the way."""
    params = _params(params, "l1_penalty")
    total = params[0].abs().sum()
    for p in params[1:]:
        total = total + p.abs().sum()
    return total


def l2_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """sum w^2 over every parameter (ridge), without a factor 1/2.

    Its gradient is 2 w, so for plain SGD `loss + lam / 2 * l2_penalty(params)` is the same
    as `SGD(..., weight_decay=lam)` (which adds lam * w to each gradient). With Adam the two
    differ (the penalty's gradient is rescaled by Adam's statistics); AdamW decouples weight
    decay from the gradient altogether.
    """
    params = _params(params, "l2_penalty")
    total = (params[0] * params[0]).sum()
    for p in params[1:]:
        total = total + (p * p).sum()
    return total

"""Loss modules: each a thin Module that stores its options and calls the function of the
same name in nn/loss_functions.py (read the definition there). Class weights are buffers,
as in PyTorch, so `.double()` converts them and they appear in `state_dict()`.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import loss_functions as F
from .module import Module

__all__ = [
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "HingeEmbeddingLoss", "MarginRankingLoss",
    "MultiMarginLoss", "SoftMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "GaussianNLLLoss", "PoissonNLLLoss", "HingeLoss", "PerceptronLoss", "FocalLoss",
    "ContrastiveLoss", "LogCoshLoss", "QuantileLoss", "WelschLoss", "ZeroOneLoss",
]


class _Loss(Module):
    """Base: validates `reduction` at construction, so a typo fails before training starts."""

    _allowed: tuple[str, ...] = F._REDUCTIONS

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(type(self).__name__, reduction, self._allowed)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def _options(self, **options):
        """extra_repr text of the options that differ from their defaults, then reduction."""
        parts = [f"{k}={v!r}" for k, v in options.items()]
        base = _Loss.extra_repr(self)
        return ", ".join(parts + ([base] if base else []))


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _as_buffer(weight))


def _as_buffer(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=np.float32))


# ---------------------------------------------------------------- regression
class MSELoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return self._options(delta=self.delta)


class SmoothL1Loss(_Loss):
    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return self._options(beta=self.beta)


class LogCoshLoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.log_cosh_loss(input, target, reduction=self.reduction)


class QuantileLoss(_Loss):
    def __init__(self, q: float = 0.5, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if not 0 < q < 1:
            raise ValueError(f"QuantileLoss: q must be in (0, 1), got {q}")
        self.q = q

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.quantile_loss(input, target, q=self.q, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(q=self.q)


class WelschLoss(_Loss):
    def __init__(self, sigma: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if sigma <= 0:
            raise ValueError(f"WelschLoss: sigma must be positive, got {sigma}")
        self.sigma = sigma

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.welsch_loss(input, target, sigma=self.sigma, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(sigma=self.sigma)


class GaussianNLLLoss(_Loss):
    def __init__(self, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(full=self.full, eps=self.eps)


class PoissonNLLLoss(_Loss):
    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(log_input=self.log_input, full=self.full, eps=self.eps)


# ---------------------------------------------------------------- binary classification
class BCELoss(_WeightedLoss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _as_buffer(pos_weight))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class SoftMarginLoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class HingeLoss(_Loss):
    def __init__(self, squared: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.squared = squared

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_loss(input, target, squared=self.squared, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(squared=self.squared)


class PerceptronLoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.perceptron_loss(input, target, reduction=self.reduction)


class FocalLoss(_Loss):
    """Binary (target of the input's shape) or multi-class (class indices) focal loss."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.alpha, self.gamma = alpha, gamma

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.focal_loss(input, target, alpha=self.alpha, gamma=self.gamma,
                            reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(alpha=self.alpha, gamma=self.gamma)


class ZeroOneLoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.zero_one_loss(input, target, reduction=self.reduction)


# ---------------------------------------------------------------- multi-class
class CrossEntropyLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        options: dict[str, float] = {}
        if self.ignore_index != -100:
            options["ignore_index"] = self.ignore_index
        if self.label_smoothing:
            options["label_smoothing"] = self.label_smoothing
        return self._options(**options)


class NLLLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(**({"ignore_index": self.ignore_index}
                                if self.ignore_index != -100 else {}))


class MultiMarginLoss(_WeightedLoss):
    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p}")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(p=self.p, margin=self.margin)


class KLDivLoss(_Loss):
    _allowed = F._REDUCTIONS + ("batchmean",)

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return self._options(**({"log_target": True} if self.log_target else {}))


# ---------------------------------------------------------------- pairs and embeddings
class HingeEmbeddingLoss(_Loss):
    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(margin=self.margin)


class MarginRankingLoss(_Loss):
    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(margin=self.margin)


class CosineEmbeddingLoss(_Loss):
    def __init__(self, margin: float = 0.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(margin=self.margin)


class TripletMarginLoss(_Loss):
    def __init__(self, margin: float = 1.0, p: float = 2, eps: float = 1e-6, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(margin=self.margin, p=self.p, swap=self.swap)


class ContrastiveLoss(_Loss):
    """loss(x1, x2, y), y = 1 for a similar pair, 0 for a dissimilar one."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.contrastive_loss(input1, input2, target, margin=self.margin,
                                  reduction=self.reduction)

    def extra_repr(self) -> str:
        return self._options(margin=self.margin)

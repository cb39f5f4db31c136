"""Adam and AdamW: momentum plus a per-coordinate RMS scale, both bias-corrected."""
from __future__ import annotations

import math

from ..kernels import optim as K
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["Adam", "AdamW"]


def check_betas(name: str, betas: tuple[float, float]) -> None:
    for i, beta in enumerate(betas):
        check_hyperparameter(name, f"beta parameter at index {i}", beta, 0 <= beta < 1,
                             "a value in [0, 1)")


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). amsgrad uses the running max of v.
    weight_decay adds wd*p to g (L2 regularisation); AdamW decays p directly instead."""

    decoupled_weight_decay = False

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _check_group(self, group):
        name = type(self).__name__
        super()._check_group(group)
        check_betas(name, group["betas"])
        for key in ("eps", "weight_decay"):
            check_hyperparameter(name, key, group[key], group[key] >= 0, ">= 0")

    def _update(self, group):
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        decay_factor, wd = (1.0 - lr * wd, 0.0) if self.decoupled_weight_decay else (1.0, wd)
        for p, param, grad, state in self._params_with_grad(group):
            exp_avg = self._buffer(state, "exp_avg", p)
            exp_avg_sq = self._buffer(state, "exp_avg_sq", p)
            max_exp_avg_sq = self._buffer(state, "max_exp_avg_sq", p) if group["amsgrad"] \
                else grad[:0]
            state["step"] = step = state.get("step", 0) + 1
            step_size = lr / (1 - beta1 ** step)
            bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
            K.adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size, 1.0 - beta1,
                   beta2, 1.0 - beta2, group["eps"], bias_correction2_sqrt, wd, decay_factor,
                   group["amsgrad"], group["maximize"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p *= 1 - lr*wd, then Adam."""

    decoupled_weight_decay = True

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

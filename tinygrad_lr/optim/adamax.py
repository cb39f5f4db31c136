"""Adamax: Adam with the infinity norm in place of the RMS."""
from __future__ import annotations

from ..kernels import optim as K
from .adam import check_betas
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """m = b1*m + (1-b1)*g; u = max(b2*u, |g| + eps); p -= lr/(1-b1^t) * m/u."""

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        check_betas("Adamax", group["betas"])
        for key in ("eps", "weight_decay"):
            check_hyperparameter("Adamax", key, group[key], group[key] >= 0, ">= 0")

    def _update(self, group):
        beta1, beta2 = group["betas"]
        for p, param, grad, state in self._params_with_grad(group):
            exp_avg = self._buffer(state, "exp_avg", p)
            exp_inf = self._buffer(state, "exp_inf", p)
            state["step"] = step = state.get("step", 0) + 1
            clr = group["lr"] / (1 - beta1 ** step)
            K.adamax(param, grad, exp_avg, exp_inf, clr, 1.0 - beta1, beta2, group["eps"],
                     group["weight_decay"], group["maximize"])

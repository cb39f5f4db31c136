"""Adadelta: steps sized by the ratio of recent update and gradient magnitudes."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """sq = rho*sq + (1-rho)*g^2; delta = sqrt(acc + eps) / sqrt(sq + eps) * g;
    acc = rho*acc + (1-rho)*delta^2; p -= lr * delta."""

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        check_hyperparameter("Adadelta", "rho", group["rho"], 0 <= group["rho"] <= 1,
                             "a value in [0, 1]")
        for name in ("eps", "weight_decay"):
            check_hyperparameter("Adadelta", name, group[name], group[name] >= 0, ">= 0")

    def _update(self, group):
        for p, param, grad, state in self._params_with_grad(group):
            square_avg = self._buffer(state, "square_avg", p)
            acc_delta = self._buffer(state, "acc_delta", p)
            state["step"] = state.get("step", 0) + 1
            K.adadelta(param, grad, square_avg, acc_delta, group["lr"], group["rho"],
                       1.0 - group["rho"], group["eps"], group["weight_decay"],
                       group["maximize"])

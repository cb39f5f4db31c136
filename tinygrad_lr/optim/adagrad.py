"""Adagrad: per-coordinate step sizes that shrink with the sum of squared gradients."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """sum += g^2; p -= lr / (1 + (t-1)*lr_decay) * g / (sqrt(sum) + eps)."""

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        for name in ("lr_decay", "weight_decay", "eps", "initial_accumulator_value"):
            check_hyperparameter("Adagrad", name, group[name], group[name] >= 0, ">= 0")

    def _update(self, group):
        for p, param, grad, state in self._params_with_grad(group):
            state_sum = self._buffer(state, "sum", p, group["initial_accumulator_value"])
            state["step"] = state.get("step", 0) + 1
            clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            K.adagrad(param, grad, state_sum, clr, group["weight_decay"], group["eps"],
                      group["maximize"])

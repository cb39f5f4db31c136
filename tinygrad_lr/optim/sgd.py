"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["SGD"]


class SGD(Optimizer):
    """p -= lr * g, where g may include weight decay (g + wd*p) and momentum
    (buf = momentum*buf + (1-dampening)*g; Nesterov looks ahead: g + momentum*buf)."""

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        check_hyperparameter("SGD", "momentum", group["momentum"], group["momentum"] >= 0,
                             ">= 0")
        check_hyperparameter("SGD", "weight_decay", group["weight_decay"],
                             group["weight_decay"] >= 0, ">= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening "
                             f"(nesterov=True, got momentum={group['momentum']}, "
                             f"dampening={group['dampening']})")

    def _update(self, group):
        momentum = group["momentum"]
        for p, param, grad, state in self._params_with_grad(group):
            first_step = momentum != 0 and "momentum_buffer" not in state
            # without momentum there is no buffer: an empty array of the right dtype stands in
            buf = self._buffer(state, "momentum_buffer", p) if momentum != 0 else grad[:0]
            K.sgd(param, grad, buf, group["lr"], momentum, 1.0 - group["dampening"],
                  group["weight_decay"], group["nesterov"], group["maximize"], first_step)

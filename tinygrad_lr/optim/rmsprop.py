"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from ..kernels import optim as K
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """sq = alpha*sq + (1-alpha)*g^2; p -= lr * g / (sqrt(sq) + eps). centered subtracts the
    squared running mean of g (a variance estimate); momentum accumulates the scaled steps."""

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        for name in ("eps", "weight_decay", "momentum"):
            check_hyperparameter("RMSprop", name, group[name], group[name] >= 0, ">= 0")
        # PyTorch accepts alpha > 1, but then (1 - alpha) < 0 can make the average of g^2
        # negative and its square root NaN
        check_hyperparameter("RMSprop", "alpha", group["alpha"], 0 <= group["alpha"] <= 1,
                             "a value in [0, 1]")

    def _update(self, group):
        for p, param, grad, state in self._params_with_grad(group):
            square_avg = self._buffer(state, "square_avg", p)
            buf = self._buffer(state, "momentum_buffer", p) if group["momentum"] > 0 \
                else grad[:0]
            grad_avg = self._buffer(state, "grad_avg", p) if group["centered"] else grad[:0]
            state["step"] = state.get("step", 0) + 1
            K.rmsprop(param, grad, square_avg, grad_avg, buf, group["lr"], group["alpha"],
                      1.0 - group["alpha"], group["eps"], group["weight_decay"],
                      group["momentum"], group["centered"], group["maximize"])

"""NAdam: Adam with Nesterov momentum (Dozat), with PyTorch's momentum-decay schedule."""
from __future__ import annotations

from ..kernels import optim as K
from .adam import check_betas
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """mu_t = b1 * (1 - 0.5 * 0.96^(t*momentum_decay)); the step mixes the current gradient
    (weight (1-mu_t)/(1-prod mu)) and the momentum (weight mu_{t+1}/(1-prod mu up to t+1)),
    both divided by sqrt(v / (1-b2^t)) + eps."""

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_group(self, group):
        super()._check_group(group)
        check_betas("NAdam", group["betas"])
        for key in ("eps", "weight_decay", "momentum_decay"):
            check_hyperparameter("NAdam", key, group[key], group[key] >= 0, ">= 0")

    def _update(self, group):
        beta1, beta2 = group["betas"]
        lr, wd, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        decay_factor, wd = (1.0 - lr * wd, 0.0) if group["decoupled_weight_decay"] \
            else (1.0, wd)
        for p, param, grad, state in self._params_with_grad(group):
            exp_avg = self._buffer(state, "exp_avg", p)
            exp_avg_sq = self._buffer(state, "exp_avg_sq", p)
            state["step"] = step = state.get("step", 0) + 1
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            state["mu_product"] = mu_product = state.get("mu_product", 1.0) * mu
            grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
            avg_coef = (-lr * mu_next) / (1.0 - mu_product * mu_next)
            K.nadam(param, grad, exp_avg, exp_avg_sq, grad_coef, avg_coef, 1.0 - beta1, beta2,
                    1.0 - beta2, 1 - beta2 ** step, group["eps"], wd, decay_factor,
                    group["maximize"])

"""Newton's method with the exact Hessian, for small problems and for teaching.

One step solves (H + damping*I) d = g for all parameters at once (flattened into one
vector) and moves p -= lr * d, so a quadratic loss is minimised in a single step with lr=1.
The Hessian comes from autograd itself: the gradient is computed with create_graph=True and
differentiated once more, one row per parameter element - n backward passes, n^2 memory,
hence the size limit.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import enable_grad, no_grad
from ..autograd.functional import grad as autograd_grad
from ..tensor import Tensor, cat
from .optimizer import Optimizer, ParamsT, check_hyperparameter

__all__ = ["Newton"]


class Newton(Optimizer):
    """Newton(params, lr=1.0, damping=0.0); step(closure) needs a closure that computes
    and returns the loss (it must not call loss.backward(): Newton differentiates the loss
    twice itself)."""

    max_parameters = 5000

    def __init__(self, params: ParamsT, lr: float = 1.0, damping: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, damping=damping))
        n = sum(p.numel() for p in self._all_params())
        if n > self.max_parameters:
            raise ValueError(f"Newton: {n} parameters is too many for the exact Hessian "
                             f"(limit {self.max_parameters}: it has n^2 entries and takes n "
                             "backward passes); use LBFGS or Adam instead")

    def _check_group(self, group):
        super()._check_group(group)
        check_hyperparameter("Newton", "damping", group["damping"], group["damping"] >= 0,
                             ">= 0")

    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        if closure is None:
            raise RuntimeError("Newton.step() needs a closure that recomputes and returns the "
                               "loss, e.g. optimizer.step(lambda: loss_fn(model(x), y))")
        params = self._all_params()
        with enable_grad():
            loss = closure()
            if not isinstance(loss, Tensor) or loss.numel() != 1:
                raise RuntimeError("Newton: the closure must return the loss as a "
                                   "one-element Tensor")
            try:
                grads = autograd_grad(loss.reshape(()), params, create_graph=True,
                                      allow_unused=True)
            except RuntimeError as err:
                raise RuntimeError("Newton: could not differentiate the closure's loss; the "
                                   "closure must return the loss without calling "
                                   f"loss.backward() ({err})") from err
            flat_grad = cat([(g if g is not None else Tensor(np.zeros_like(p._data)))
                             .reshape(-1) for g, p in zip(grads, params)])
            hessian = np.zeros((flat_grad.numel(), flat_grad.numel()))
            for k in range(flat_grad.numel()):
                if not flat_grad.requires_grad:  # the gradient is constant: H = 0
                    break
                row = autograd_grad(flat_grad[k], params, retain_graph=True, allow_unused=True)
                hessian[k] = np.concatenate([np.zeros(p.numel()) if r is None
                                             else r._data.reshape(-1) for r, p in zip(row, params)])
        damping = np.concatenate([np.full(p.numel(), group["damping"])
                                  for group in self.param_groups for p in group["params"]])
        try:
            direction = np.linalg.solve(hessian + np.diag(damping), flat_grad._data)
        except np.linalg.LinAlgError:
            raise RuntimeError("Newton: the Hessian (plus damping) is singular; use "
                               "damping > 0") from None
        with no_grad():
            offset = 0
            for group in self.param_groups:
                for p in group["params"]:
                    d = direction[offset:offset + p.numel()].reshape(p.shape)
                    p._data -= (group["lr"] * d).astype(p.dtype)
                    offset += p.numel()
        return loss

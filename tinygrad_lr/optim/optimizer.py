"""Optimizer: the base class every update rule builds on (PyTorch's interface).

An optimizer holds `param_groups` (a list of dicts: the tensors under 'params' plus the
hyperparameters, editable between steps, which is how schedulers change 'lr') and `state`
(a dict per parameter: moment estimates, step counts). Subclasses write `_update(group)`;
the base class does the bookkeeping: argument checks, closures, zero_grad, state_dict.
"""
from __future__ import annotations

import copy
import inspect
from typing import Any, Callable, Iterable, Union

import numpy as np

from ..autograd import enable_grad, no_grad
from ..nn.utils import zero_grad_
from ..tensor import Tensor

__all__ = ["Optimizer", "check_hyperparameter"]

# PyTorch's wording for each argument in its "Invalid ...: value" messages
_TORCH_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_hyperparameter(optimizer: str, name: str, value: Any, ok: bool, expected: str) -> None:
    """Raise a ValueError naming the optimizer and argument, in PyTorch's words ("Invalid
    epsilon value: -1"), when `ok` is False."""
    if not ok:
        label = _TORCH_LABELS.get(name, name if name.startswith("beta") else f"{name} value")
        raise ValueError(f"{optimizer}: Invalid {label}: {value!r} (expected {expected})")


def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating))


def _as_number(optimizer, name, value):
    """A numeric hyperparameter as a plain number: a real number (a one-element Tensor is
    taken as its value, as PyTorch allows a tensor lr); never NaN, which would silently
    turn every parameter into NaN at the first step."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not _is_real(value):
        raise TypeError(f"{optimizer}: {name} must be a number, got {type(value).__name__} "
                        f"{value!r}")
    if np.isnan(value):
        label = _TORCH_LABELS.get(name, f"{name} value")
        raise ValueError(f"{optimizer}: Invalid {label}: nan (expected a number)")
    return value


def _signature_defaults(cls):
    """The constructor's own defaults (lr=1e-3, betas=(0.9, 0.999), ...): what each
    hyperparameter's type must be, whatever the user passed."""
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def _normalize_group(optimizer, group, defaults, template):
    """Check the type of every numeric or tuple hyperparameter against its default."""
    for key, default in defaults.items():
        default = template.get(key, default)
        value = group[key]
        if _is_real(default) and not isinstance(default, bool):
            group[key] = _as_number(optimizer, key, value)
        elif isinstance(default, tuple):  # e.g. betas = (beta1, beta2)
            if not isinstance(value, (tuple, list)) or len(value) != len(default):
                raise ValueError(f"{optimizer}: {key} must be a tuple of {len(default)} "
                                 f"numbers like {default}, got {value!r}")
            group[key] = tuple(_as_number(optimizer, f"{key}[{i}]", v)
                               for i, v in enumerate(value))


# what an optimizer takes: tensors, or dicts of them with per-group options (param groups)
ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]


class Optimizer:
    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params should be an iterable of Tensors or dicts, got "
                            "a single Tensor; wrap it in a list: [tensor]")
        self.defaults = dict(defaults)
        self.state: dict[Tensor, Any] = {}  # per parameter: a dict of its buffers
        self.param_groups: list[dict[str, Any]] = []
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a dict with 'params' (and optionally its own hyperparameters) to optimize."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict, got "
                            f"{type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise KeyError(f"{name}: a param group needs the key 'params' (the tensors to "
                           f"optimize), got keys {sorted(group)}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got "
                                f"{type(p).__name__}")
            if p.grad_fn is not None:  # not a leaf
                raise ValueError(f"{name}: optimizer can only optimize leaf tensors; this one "
                                 f"was made by {p.grad_fn.name()} (use a tensor created with "
                                 "requires_grad=True, or .detach().requires_grad_())")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter appears twice in one param group")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one param group")
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        _normalize_group(name, group, self.defaults, _signature_defaults(type(self)))
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Validate a group's hyperparameters (subclasses extend this)."""
        check_hyperparameter(type(self).__name__, "lr", group["lr"],
                             group["lr"] >= 0, ">= 0")

    # ------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (cheapest) or fill them with zeros."""
        zero_grad_((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient. `closure` (optional)
        re-evaluates the model and returns the loss; it runs with grad enabled."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update(group)
        return loss

    def _update(self, group):
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _params_with_grad(self, group):
        """(param, flat param array, flat grad array, state) for each param that has a grad."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if not p._data.flags.c_contiguous:
                # e.g. made from a transposed array: the kernels update a flat view, so
                # give the parameter its own contiguous array, once
                p._data = np.ascontiguousarray(p._data)
            p._version[0] += 1  # an update in place: graphs that saved p must notice
            if p.grad.shape != p.shape:  # the kernels trust sizes: check them here
                raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has "
                                 f"a gradient of shape {p.grad.shape}")
            grad = np.ascontiguousarray(p.grad._data, dtype=p._data.dtype).reshape(-1)
            yield p, p._data.reshape(-1), grad, self.state.setdefault(p, {})

    @staticmethod
    def _buffer(state, key, param, fill=0.0):
        """The state array `key` (shaped like the parameter, created on first use),
        flattened for the kernels."""
        if key not in state:
            state[key] = np.full(param.shape, fill, dtype=param.dtype)
        elif state[key].size != param.numel():
            raise ValueError(f"optimizer state {key!r} has shape {state[key].shape}, but its "
                             f"parameter has shape {param.shape} (was the state dict saved "
                             "for another model?)")
        return state[key].reshape(-1)

    # ------------------------------------------------------------ saving and resuming
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's format: {'state': {index: {...}}, 'param_groups': [{..., 'params':
        [indices]}]}. Arrays are copied, so later steps do not change a saved dict."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: Tensor(v.copy()) if isinstance(v, np.ndarray) else copy.deepcopy(v)
                        for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by state_dict(), matching parameters by
        position; a resumed run continues exactly as the uninterrupted one would."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has "
                             f"{len(saved_groups)} param groups, this optimizer has "
                             f"{len(self.param_groups)}")
        by_index = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"{name}.load_state_dict: param group {i} has "
                                 f"{len(group['params'])} parameters, the saved one has "
                                 f"{len(saved['params'])}")
            by_index.update({int(k): p for k, p in zip(saved["params"], group["params"])})
        self.state = {}
        for key, saved_state in state_dict["state"].items():
            p = by_index[int(key)]
            self.state[p] = {k: _as_state_value(k, v, p) for k, v in saved_state.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


# state entries that are plain numbers even when a saved file turned them into arrays
_SCALAR_STATE = ("step", "mu_product", "func_evals", "n_iter")


def _as_state_value(key, value, param):
    """A saved state entry back in working form: arrays in the parameter's dtype (copied,
    so the saved dict stays untouched), numbers as numbers."""
    if isinstance(value, Tensor):
        value = value._data
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if key in _SCALAR_STATE and value.size == 1:
        return value.item()
    return np.array(value, dtype=param.dtype)

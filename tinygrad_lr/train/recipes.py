"""Ready-made experiments by name - models, datasets, optimizers, schedulers, losses - for
the command line (`python -m tinygrad_lr train ...`), the demo and `sweep(config, ...)`.

`run_config(config)` trains one configuration and returns its History; it is a plain
module-level function of a dict, so a process pool or a Dask cluster can run it.
"""
import math

import numpy as np

from .. import nn, optim
from .. import random as _random
from ..data import DataLoader, TensorDataset, datasets, random_split
from ..nn.loss_functions import l1_penalty
from ..optim import lr_scheduler as S
from .fit import fit

__all__ = ["MODELS", "DATASETS", "SCHEDULERS", "SCHEDULE_PARAMS", "OPTIMIZER_OPTIONS",
           "CLASSIFICATION_LOSSES", "REGRESSION_LOSSES", "LOSSES", "DEFAULTS", "optimizers",
           "load_data", "SequenceRegressor", "build_model", "L1Penalized", "build_loss",
           "build_optimizer", "schedule_params", "build_scheduler", "make_experiment", "run_config",
           "best_val_metric"]

MODELS = ("mlp", "cnn", "rnn", "linear")
DATASETS = ("digits", "moons", "spirals", "sine", "linear", "house-prices")
SCHEDULERS = ("none", "step", "exponential", "linear", "inverse-time", "cosine", "onecycle",
              "cyclic", "plateau")
# the parameters each schedule reads (epochs are counted in epochs: every schedule but
# onecycle and cyclic steps once per epoch), with their defaults
SCHEDULE_PARAMS = {
    "step": {"step_size": None, "gamma": 0.1},  # step_size None: a third of the epochs
    "exponential": {"gamma": 0.9},
    "linear": {"end_factor": 0.01},
    "inverse-time": {"decay": 0.5},
    "cosine": {"eta_min": 0.0},
    "plateau": {"gamma": 0.5, "patience": 2},
}
# which optimizers take which of the CLI's optimizer options
OPTIMIZER_OPTIONS = {"momentum": ("sgd", "rmsprop"), "nesterov": ("sgd",)}
CLASSIFICATION_LOSSES = {"cross_entropy": "CrossEntropyLoss", "multi_margin": "MultiMarginLoss",
                         "focal": "FocalLoss"}
REGRESSION_LOSSES = {"mse": "MSELoss", "l1": "L1Loss", "huber": "HuberLoss",
                     "smooth_l1": "SmoothL1Loss", "logcosh": "LogCoshLoss"}
LOSSES = tuple(CLASSIFICATION_LOSSES) + tuple(REGRESSION_LOSSES)

DEFAULTS = {"model": "mlp", "dataset": "digits", "optimizer": "adam", "lr": 1e-3,
            "batch_size": 32, "epochs": 10, "scheduler": "none", "loss": None, "seed": 0,
            "hidden": 64, "val_fraction": 0.2, "momentum": 0.0, "nesterov": False,
            "weight_decay": 0.0, "l1": 0.0, "standardize": False}


def optimizers():
    """{lowercase name: class} of the optimizers in tinygrad_lr.optim that `fit` can drive
    (LBFGS and Newton need a closure per step, so they are left out)."""
    return {name.lower(): cls for name, cls in vars(optim).items()
            if isinstance(cls, type) and issubclass(cls, optim.Optimizer)
            and cls is not optim.Optimizer and name not in ("LBFGS", "Newton")}


def _choice(kind, value, allowed):
    if value not in allowed:
        raise ValueError(f"unknown {kind} {value!r}; choose one of: {', '.join(allowed)}")
    return value


# ------------------------------------------------------------------ data
def _dataset_size(name):
    return {"digits": 1797, "moons": 600, "spirals": 900, "sine": 600, "linear": 100,
            "house-prices": 200}[name]


def load_data(name, model="mlp", seed=0, val_fraction=0.2, n_samples=None, standardize=False):
    """(train Dataset, val Dataset, info) for a named dataset, shaped for `model`.

    info: task ("classification"/"regression"), in_features, out_features, n_train, and
    for sequences seq_len. `standardize` rescales the features of "linear" and
    "house-prices" to mean 0 and std 1 (the cure for badly scaled features).
    """
    _choice("dataset", name, DATASETS)
    _choice("model", model, MODELS)
    if n_samples is not None:
        if int(n_samples) != n_samples or n_samples < 10:
            raise ValueError(f"n_samples must be an integer >= 10 (a train and a validation "
                             f"split), got {n_samples}")
        if name == "digits" and n_samples > _dataset_size("digits"):
            raise ValueError(f"n_samples {n_samples}: the digits have only 1797 images")
    if standardize and name not in ("linear", "house-prices"):
        raise ValueError(f"standardize applies to the regression tables 'linear' and "
                         f"'house-prices', not to {name!r}")
    flat_only = {"moons": "a set of 2-D points", "spirals": "a set of 2-D points",
                 "linear": "a table of features", "house-prices": "a table of features"}
    if name in flat_only and model in ("cnn", "rnn"):
        raise ValueError(f"dataset {name!r} is {flat_only[name]}: use --model mlp or linear "
                         "(cnn needs images: digits; rnn needs sequences: sine or digits)")
    if name == "digits":
        X, y = datasets.load_digits()
        if n_samples:
            X, y = X[:n_samples], y[:n_samples]
        info = {"task": "classification", "in_features": 64, "out_features": 10}
        if model == "cnn":
            X = X.reshape(-1, 1, 8, 8)
        elif model == "rnn":  # the image row by row: 8 steps of 8 pixels
            X = X.reshape(-1, 8, 8)
            info["in_features"] = 8
    elif name in ("moons", "spirals"):
        n = n_samples or _dataset_size(name)
        X, y = datasets.moons(n, noise=0.2, seed=seed) if name == "moons" else \
            datasets.spirals(n, seed=seed)
        info = {"task": "classification", "in_features": 2, "out_features": int(y._data.max()) + 1}
    elif name in ("linear", "house-prices"):
        n = n_samples or _dataset_size(name)
        if name == "linear":
            X, y = datasets.linear_regression(n, seed=seed)
            if standardize:
                X = (X - X.mean(0)) / X.std(0)
        else:
            X, y = datasets.house_prices(n, standardize=standardize, seed=seed)
        info = {"task": "regression", "in_features": X.shape[1], "out_features": 1}
    else:  # sine
        if model == "cnn":
            raise ValueError("dataset 'sine' is a sequence task: use --model rnn, mlp or "
                             "linear")
        X, y = datasets.sine_sequences(n_samples or _dataset_size(name), seq_len=20, seed=seed)
        info = {"task": "regression", "in_features": 1, "out_features": 1}
        if model in ("mlp", "linear"):
            X = X.reshape(len(X), -1)
            info["in_features"] = 20
    ds = TensorDataset(X, y)
    train, val = random_split(ds, [1 - val_fraction, val_fraction], seed=seed)
    info["n_train"] = len(train)
    return train, val, info


# ------------------------------------------------------------------ models
class SequenceRegressor(nn.Module):
    """A recurrent layer (GRU by default) read out by a Linear layer at the last step."""

    def __init__(self, in_features, hidden, out_features, cell="GRU"):
        super().__init__()
        self.rnn = getattr(nn, cell)(in_features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out_features)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def build_model(name, info, hidden=64):
    _choice("model", name, MODELS)
    if int(hidden) != hidden or hidden < 1:
        raise ValueError(f"hidden must be an integer >= 1 (units per hidden layer), got "
                         f"{hidden}")
    n_in, n_out = info["in_features"], info["out_features"]
    if name == "linear":  # linear regression, or multinomial logistic regression
        return nn.Linear(n_in, n_out)
    if name == "mlp":
        return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                             nn.ReLU(), nn.Linear(hidden, n_out))
    if name == "cnn":  # for 1x8x8 images
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 2 * 2, n_out))
    return SequenceRegressor(n_in, hidden, n_out)


class L1Penalized(nn.Module):
    """loss(pred, target) + l1 * sum |w| over the model's weight matrices (biases are not
    penalised, as in the lasso), added in training mode only: the validation loss stays the
    plain data loss."""

    def __init__(self, loss, model, l1):
        super().__init__()
        self.loss, self.l1 = loss, float(l1)
        self._model = [model]  # a list: not registered as a submodule of the loss
        self._weights = [p for p in model.parameters() if p.ndim >= 2]

    def forward(self, pred, target):
        loss = self.loss(pred, target)
        if self._model[0].training and self._weights:
            loss = loss + self.l1 * l1_penalty(self._weights)
        return loss

    def extra_repr(self):
        return f"l1={self.l1:g}"


def build_loss(name, task):
    table = CLASSIFICATION_LOSSES if task == "classification" else REGRESSION_LOSSES
    if name is None:
        name = "cross_entropy" if task == "classification" else "mse"
    if name not in table:
        raise ValueError(f"unknown loss {name!r} for a {task} task; choose one of: "
                         f"{', '.join(table)}")
    return getattr(nn, table[name])()


def _check(name, value, ok, need):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or not ok(value):
        raise ValueError(f"{name} must be {need}, got {value}")


def build_optimizer(name, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    """The optimizer `name` with the options it takes; an option it does not take (momentum
    for Adam, whose betas play that role) is an error, not silently dropped."""
    table = optimizers()
    _choice("optimizer", name, tuple(sorted(table)))
    _check("lr", lr, lambda v: v > 0, "a number > 0")
    _check("momentum", momentum, lambda v: 0 <= v < 1, "in [0, 1)")
    _check("weight_decay", weight_decay, lambda v: v >= 0, ">= 0")
    options = {"weight_decay": weight_decay} if weight_decay else {}
    for option, value in (("momentum", momentum), ("nesterov", nesterov)):
        if value:
            if name not in OPTIMIZER_OPTIONS[option]:
                hint = " (its betas play that role)" if name.startswith("adam") or \
                    name == "nadam" else ""
                raise ValueError(f"optimizer {name!r} has no {option} option{hint}; "
                                 f"{option} works with: {', '.join(OPTIMIZER_OPTIONS[option])}")
            options[option] = value
    if nesterov and not momentum:
        raise ValueError("nesterov needs a momentum > 0 (e.g. --momentum 0.9)")
    return table[name](params, lr=lr, **options)


def schedule_params(name, given):
    """The parameters the schedule `name` uses: its defaults updated by `given` (a dict
    whose None values mean "not given"); a given parameter it does not use is an error."""
    _choice("scheduler", name, SCHEDULERS)
    used = dict(SCHEDULE_PARAMS.get(name, {}))
    for key, value in given.items():
        if value is None:
            continue
        if key not in used:
            users = [s for s, ps in SCHEDULE_PARAMS.items() if key in ps]
            raise ValueError(f"{key} is not used by scheduler {name!r}; it is a parameter "
                             f"of: {', '.join(users)}")
        used[key] = value
    return used


def build_scheduler(name, optimizer, epochs, steps_per_epoch, **params):
    """The named schedule; every one steps once per epoch except onecycle and cyclic
    (per iteration). `params` override SCHEDULE_PARAMS (step_size, gamma, end_factor,
    decay, eta_min, patience)."""
    params = schedule_params(name, params)
    if name == "none":
        return None
    lr = optimizer.param_groups[0]["lr"]
    if name == "step":
        step_size = params["step_size"] or max(epochs // 3, 1)
        _check("step_size", step_size, lambda v: v >= 1 and int(v) == v, "an integer >= 1")
        _check("gamma", params["gamma"], lambda v: v > 0, "> 0")
        return S.StepLR(optimizer, step_size=int(step_size), gamma=params["gamma"])
    if name == "exponential":
        _check("gamma", params["gamma"], lambda v: v > 0, "> 0")
        return S.ExponentialLR(optimizer, gamma=params["gamma"])
    if name == "linear":  # from lr down to end_factor * lr over the epochs
        _check("end_factor", params["end_factor"], lambda v: 0 <= v <= 1, "in [0, 1]")
        return S.LinearLR(optimizer, start_factor=1.0, end_factor=params["end_factor"],
                          total_iters=max(epochs - 1, 1))
    if name == "inverse-time":
        _check("decay", params["decay"], lambda v: v >= 0, ">= 0")
        return S.InverseTimeLR(optimizer, decay=params["decay"])
    if name == "cosine":
        _check("eta_min", params["eta_min"], lambda v: 0 <= v < lr, f"in [0, lr={lr:g})")
        return S.CosineAnnealingLR(optimizer, T_max=max(epochs, 1), eta_min=params["eta_min"])
    if name == "onecycle":
        return S.OneCycleLR(optimizer, max_lr=lr, total_steps=max(epochs * steps_per_epoch, 2))
    if name == "cyclic":
        return S.CyclicLR(optimizer, base_lr=lr / 10, max_lr=lr,
                          step_size_up=max(steps_per_epoch // 2, 1))
    _check("gamma", params["gamma"], lambda v: 0 < v < 1, "in (0, 1) for plateau")
    _check("patience", params["patience"], lambda v: v >= 0 and int(v) == v,
           "an integer >= 0")
    return S.ReduceLROnPlateau(optimizer, factor=params["gamma"],
                               patience=int(params["patience"]))


def make_experiment(config):
    """Everything `fit` needs for a config dict (missing keys take DEFAULTS; schedule
    parameters such as gamma or decay are read when the schedule uses them)."""
    cfg = {**DEFAULTS, **config}
    for key in ("batch_size", "epochs"):
        _check(key, cfg[key], lambda v: v >= 1 and int(v) == v, "an integer >= 1")
    _check("l1", cfg["l1"], lambda v: v >= 0, ">= 0")
    _random.manual_seed(cfg["seed"])  # weights and batch order are repeatable
    train, val, info = load_data(cfg["dataset"], cfg["model"], seed=cfg["seed"],
                                 val_fraction=cfg["val_fraction"],
                                 n_samples=cfg.get("n_samples"),
                                 standardize=cfg["standardize"])
    model = build_model(cfg["model"], info, cfg["hidden"])
    loss_fn = build_loss(cfg["loss"], info["task"])
    if cfg["l1"]:
        loss_fn = L1Penalized(loss_fn, model, cfg["l1"])
    optimizer = build_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"],
                                momentum=cfg["momentum"], nesterov=cfg["nesterov"],
                                weight_decay=cfg["weight_decay"])
    train_loader = DataLoader(train, batch_size=int(cfg["batch_size"]), shuffle=True,
                              seed=cfg["seed"])
    val_loader = DataLoader(val, batch_size=256)
    given = {k: cfg.get(k) for k in ("step_size", "gamma", "end_factor", "decay", "eta_min",
                                     "patience")}
    scheduler = build_scheduler(cfg["scheduler"], optimizer, int(cfg["epochs"]),
                                len(train_loader), **given)
    metrics = ("accuracy",) if info["task"] == "classification" else ("r2",)
    return {"cfg": cfg, "info": info, "model": model, "loss_fn": loss_fn,
            "optimizer": optimizer, "train_loader": train_loader, "val_loader": val_loader,
            "scheduler": scheduler, "metrics": metrics}


def run_config(config, progress=False):
    """Train one configuration; returns its History (the model is not returned, so the
    result pickles small when it comes back from another process)."""
    ex = make_experiment(config)
    return fit(ex["model"], ex["loss_fn"], ex["optimizer"], ex["train_loader"],
               ex["cfg"]["epochs"], scheduler=ex["scheduler"], val_loader=ex["val_loader"],
               metrics=ex["metrics"], progress=progress)


def best_val_metric(history):
    """The best val_accuracy or val_r2 of a History (NaN when none was computed)."""
    for key in ("val_accuracy", "val_r2"):
        values = [v for v in history.epoch_values(key) if not math.isnan(v)]
        if values:
            return max(values)
    return float(np.nan)

"""Ready-made experiments by name - models, datasets, optimizers, schedulers, losses - for
the command line (`python -m tinygrad_lr train ...`), the demo and `sweep(config, ...)`.

`run_config(config)` trains one configuration and returns its History; it is a plain
module-level function of a dict, so a process pool or a Dask cluster can run it.
"""
import numpy as np

from .. import nn
from .. import random as _random
from ..data import DataLoader, TensorDataset, datasets, random_split

MODELS = ("mlp", "cnn", "rnn")
DATASETS = ("digits", "moons", "spirals", "sine")
SCHEDULERS = ("none", "step", "exponential", "cosine", "onecycle", "cyclic", "plateau")
CLASSIFICATION_LOSSES = {"cross_entropy": "CrossEntropyLoss", "multi_margin": "MultiMarginLoss",
                         "focal": "FocalLoss"}
REGRESSION_LOSSES = {"mse": "MSELoss", "l1": "L1Loss", "huber": "HuberLoss",
                     "smooth_l1": "SmoothL1Loss", "logcosh": "LogCoshLoss"}
LOSSES = tuple(CLASSIFICATION_LOSSES) + tuple(REGRESSION_LOSSES)

DEFAULTS = {"model": "mlp", "dataset": "digits", "optimizer": "adam", "lr": 1e-3,
            "batch_size": 32, "epochs": 10, "scheduler": "none", "loss": None, "seed": 0,
            "hidden": 64, "val_fraction": 0.2}


def optimizers():
    """{lowercase name: class} of the optimizers in tinygrad_lr.optim that `fit` can drive
    (LBFGS and Newton need a closure per step, so they are left out)."""
    from .. import optim

    return {name.lower(): cls for name, cls in vars(optim).items()
            if isinstance(cls, type) and issubclass(cls, optim.Optimizer)
            and cls is not optim.Optimizer and name not in ("LBFGS", "Newton")}


def _choice(kind, value, allowed):
    if value not in allowed:
        raise ValueError(f"unknown {kind} {value!r}; choose one of: {', '.join(allowed)}")
    return value


# ------------------------------------------------------------------ data
def load_data(name, model="mlp", seed=0, val_fraction=0.2, n_samples=None):
    """(train Dataset, val Dataset, info) for a named dataset, shaped for `model`.

    info: task ("classification"/"regression"), in_features, out_features, and for
    sequences seq_len.
    """
    _choice("dataset", name, DATASETS)
    _choice("model", model, MODELS)
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
        if model != "mlp":
            raise ValueError(f"dataset {name!r} is a set of 2-D points: use --model mlp "
                             "(cnn needs images: digits; rnn needs sequences: sine or digits)")
        n = n_samples or (600 if name == "moons" else 900)
        X, y = datasets.moons(n, noise=0.2, seed=seed) if name == "moons" else \
            datasets.spirals(n, seed=seed)
        info = {"task": "classification", "in_features": 2, "out_features": int(y._data.max()) + 1}
    else:  # sine
        if model == "cnn":
            raise ValueError("dataset 'sine' is a sequence task: use --model rnn or mlp")
        X, y = datasets.sine_sequences(n_samples or 600, seq_len=20, seed=seed)
        info = {"task": "regression", "in_features": 1, "out_features": 1}
        if model == "mlp":
            X = X.reshape(len(X), -1)
            info["in_features"] = 20
    ds = TensorDataset(X, y)
    train, val = random_split(ds, [1 - val_fraction, val_fraction], seed=seed)
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
    n_in, n_out = info["in_features"], info["out_features"]
    if name == "mlp":
        return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                             nn.ReLU(), nn.Linear(hidden, n_out))
    if name == "cnn":  # for 1x8x8 images
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 2 * 2, n_out))
    return SequenceRegressor(n_in, hidden, n_out)


def build_loss(name, task):
    table = CLASSIFICATION_LOSSES if task == "classification" else REGRESSION_LOSSES
    if name is None:
        name = "cross_entropy" if task == "classification" else "mse"
    if name not in table:
        raise ValueError(f"unknown loss {name!r} for a {task} task; choose one of: "
                         f"{', '.join(table)}")
    return getattr(nn, table[name])()


def build_optimizer(name, params, lr):
    table = optimizers()
    _choice("optimizer", name, tuple(sorted(table)))
    return table[name](params, lr=lr)


def build_scheduler(name, optimizer, epochs, steps_per_epoch):
    _choice("scheduler", name, SCHEDULERS)
    if name == "none":
        return None
    from ..optim import lr_scheduler as S

    lr = optimizer.param_groups[0]["lr"]
    if name == "step":
        return S.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.1)
    if name == "exponential":
        return S.ExponentialLR(optimizer, gamma=0.9)
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    if name == "onecycle":
        return S.OneCycleLR(optimizer, max_lr=lr, total_steps=max(epochs * steps_per_epoch, 2))
    if name == "cyclic":
        return S.CyclicLR(optimizer, base_lr=lr / 10, max_lr=lr,
                          step_size_up=max(steps_per_epoch // 2, 1))
    return S.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)


def make_experiment(config):
    """Everything `fit` needs for a config dict (missing keys take DEFAULTS)."""
    cfg = {**DEFAULTS, **config}
    _random.manual_seed(cfg["seed"])  # weights and batch order are repeatable
    train, val, info = load_data(cfg["dataset"], cfg["model"], seed=cfg["seed"],
                                 val_fraction=cfg["val_fraction"],
                                 n_samples=cfg.get("n_samples"))
    model = build_model(cfg["model"], info, cfg["hidden"])
    loss_fn = build_loss(cfg["loss"], info["task"])
    optimizer = build_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"])
    train_loader = DataLoader(train, batch_size=cfg["batch_size"], shuffle=True,
                              seed=cfg["seed"])
    val_loader = DataLoader(val, batch_size=256)
    scheduler = build_scheduler(cfg["scheduler"], optimizer, cfg["epochs"], len(train_loader))
    metrics = ("accuracy",) if info["task"] == "classification" else ("r2",)
    return dict(cfg=cfg, info=info, model=model, loss_fn=loss_fn, optimizer=optimizer,
                train_loader=train_loader, val_loader=val_loader, scheduler=scheduler,
                metrics=metrics)


def run_config(config, progress=False):
    """Train one configuration; returns its History (the model is not returned, so the
    result pickles small when it comes back from another process)."""
    from .fit import fit

    ex = make_experiment(config)
    return fit(ex["model"], ex["loss_fn"], ex["optimizer"], ex["train_loader"],
               ex["cfg"]["epochs"], scheduler=ex["scheduler"], val_loader=ex["val_loader"],
               metrics=ex["metrics"], progress=progress)


def best_val_metric(history):
    """The best val_accuracy or val_r2 of a History (NaN when none was computed)."""
    for key in ("val_accuracy", "val_r2"):
        values = [v for v in history.epoch_values(key) if v == v]
        if values:
            return max(values)
    return float(np.nan)

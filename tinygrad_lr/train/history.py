"""History: everything a training run recorded, per iteration and per epoch."""
from __future__ import annotations

import csv
import json
import math
import os
from typing import Any

import numpy as np

from ..viz.plots import plot_history

__all__ = ["History"]

_ITERATION_KEYS = ("epoch", "loss", "lr", "grad_norm", "grad_norm_clipped")


class History:
    """What `fit` recorded.

    - `iterations`: dict of equal-length lists, one entry per optimizer step:
      `epoch`, `loss` (the mini-batch loss), `lr` (the learning rate used for that step),
      `grad_norm` (global L2 norm of all parameter gradients after backward) and
      `grad_norm_clipped` (the same norm as the optimizer step saw it: after `fit`'s
      clipping and the callbacks' `on_after_backward`; equal to grad_norm without either).
    - `param_grad_norms`: with `fit(..., record_param_grad_norms=True)`, one list per
      parameter, keyed by its name in `model.named_parameters()` (e.g. "0.weight"): the
      L2 norm of that parameter's gradient at every step (before clipping; NaN at a step
      where it had no gradient). Same length as `loss`. `layer_grad_norms()` combines them
      per layer (module).
    - `epochs`: list of dicts, one per finished epoch: `epoch`, `train_loss` (mean of the
      batch losses), `val_loss` and metrics (e.g. `val_accuracy`) when computed, `time_s`.
    - `stop_reason`: None, or why training stopped early (NaN loss, EarlyStopping, ...).
    """

    def __init__(self) -> None:
        self.iterations: dict[str, list[Any]] = {k: [] for k in _ITERATION_KEYS}
        self.param_grad_norms: dict[str, list[float]] = {}
        self.epochs: list[dict[str, Any]] = []
        self.stop_reason = None
        self.diverged = False

    # ------------------------------------------------------------ recording
    def log_iteration(self, epoch, loss, lr: float, grad_norm, grad_norm_clipped=None,
                      param_grad_norms=None):
        it = self.iterations
        it["epoch"].append(epoch)
        it["loss"].append(loss)
        it["lr"].append(lr)
        it["grad_norm"].append(grad_norm)
        it["grad_norm_clipped"].append(grad_norm if grad_norm_clipped is None
                                       else grad_norm_clipped)
        if param_grad_norms is not None:
            steps = len(it["loss"]) - 1
            for name, value in param_grad_norms.items():
                # a parameter first seen now has no values for the steps before
                self.param_grad_norms.setdefault(name, [math.nan] * steps).append(value)

    def log_epoch(self, row: dict[str, Any]) -> None:
        self.epochs.append(dict(row))

    # ------------------------------------------------------------ reading
    @property
    def loss(self) -> list[float]:
        """Per-iteration training losses."""
        return self.iterations["loss"]

    @property
    def lr(self) -> list[float]:
        return self.iterations["lr"]

    @property
    def grad_norm(self) -> list[float]:
        return self.iterations["grad_norm"]

    @property
    def grad_norm_clipped(self) -> list[float]:
        return self.iterations["grad_norm_clipped"]

    def layer_grad_norms(self) -> dict[str, list[float]]:
        """{layer name: per-iteration L2 norm of the gradients of that layer's own
        parameters} from `param_grad_norms`, e.g. "0.weight" and "0.bias" -> "0"."""
        layers: dict[str, list[np.ndarray]] = {}
        for name, values in self.param_grad_norms.items():
            layer = name.rpartition(".")[0] or name
            layers.setdefault(layer, []).append(np.asarray(values, dtype=np.float64))
        return {layer: np.sqrt(np.nansum(np.square(v), axis=0)).tolist()
                for layer, v in layers.items()}

    def epoch_values(self, key: str) -> list[float]:
        """One value per epoch, e.g. `history.epoch_values("val_loss")`."""
        return [row.get(key, math.nan) for row in self.epochs]

    @property
    def final_loss(self) -> float:
        """Training loss of the last epoch (NaN if no epoch finished)."""
        return self.epochs[-1]["train_loss"] if self.epochs else math.nan

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in (self.epochs[-1] if self.epochs else {}
                                                      ).items() if k != "epoch")
        stop = f", stopped: {self.stop_reason}" if self.stop_reason else ""
        return (f"History({len(self.epochs)} epochs, {len(self.loss)} iterations"
                f"{'; last: ' + last if last else ''}{stop})")

    # ------------------------------------------------------------ saving
    @staticmethod
    def iterations_path(path: str | os.PathLike):
        """Where `to_csv(path)` writes the per-iteration table: "run.csv" ->
        "run.iterations.csv"."""
        root, ext = os.path.splitext(os.fspath(path))
        return root + ".iterations" + (ext or ".csv")

    def to_csv(self, path: str | os.PathLike, per: str = "both"):
        """Write the history as CSV and return `path`.

        per="both" (default): one row per epoch to `path` and one row per iteration to
        `History.iterations_path(path)` ("run.csv" -> "run.iterations.csv"), so a run
        that diverged before finishing an epoch keeps its losses.
        per="epoch" or per="iteration": only that table, to `path`.
        """
        if per not in ("both", "epoch", "iteration"):
            raise ValueError(f"to_csv: per must be 'both', 'epoch' or 'iteration', got "
                             f"{per!r}")
        if per in ("both", "epoch"):
            keys = []
            for row in self.epochs:
                keys += [k for k in row if k not in keys]
            _write_csv(path, keys or ["epoch"], self.epochs)
        if per in ("both", "iteration"):
            columns = {**self.iterations,
                       **{f"grad_norm/{k}": v for k, v in self.param_grad_norms.items()}}
            rows = [dict(iteration=i + 1, **{k: v[i] for k, v in columns.items()})
                    for i in range(len(self.loss))]
            _write_csv(path if per == "iteration" else self.iterations_path(path),
                       ["iteration", *columns], rows)
        return path

    def to_dict(self) -> dict[str, Any]:
        return {"iterations": self.iterations, "param_grad_norms": self.param_grad_norms,
                "epochs": self.epochs, "stop_reason": self.stop_reason,
                "diverged": self.diverged}

    def to_json(self, path: str | os.PathLike) -> str | os.PathLike:
        """Write everything (NaN/inf are written as JSON NaN/Infinity, as Python reads them)."""
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)
        return path

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        h = cls()
        for k in _ITERATION_KEYS:
            h.iterations[k] = [_number(v) for v in d["iterations"].get(k, [])]
        if not d["iterations"].get("grad_norm_clipped"):  # written before it existed
            h.iterations["grad_norm_clipped"] = list(h.iterations["grad_norm"])
        h.param_grad_norms = {k: [float(x) for x in v]
                              for k, v in d.get("param_grad_norms", {}).items()}
        h.epochs = [dict(row) for row in d["epochs"]]
        h.stop_reason, h.diverged = d.get("stop_reason"), bool(d.get("diverged", False))
        return h

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> History:
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def state_dict(self) -> dict[str, Any]:
        """The history for `tl.save` (columns as arrays: compact, and cheap to load)."""
        return {"iterations": {k: np.asarray(v, dtype=np.int64 if k == "epoch" else np.float64)
                               for k, v in self.iterations.items()},
                "param_grad_norms": {k: np.asarray(v, dtype=np.float64)
                                     for k, v in self.param_grad_norms.items()},
                "epochs": self.epochs, "stop_reason": self.stop_reason,
                "diverged": self.diverged}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        loaded = History.from_dict({**state_dict, "iterations": {
            k: np.asarray(getattr(v, "_data", v)).tolist()
            for k, v in state_dict["iterations"].items()}, "param_grad_norms": {
            k: np.asarray(getattr(v, "_data", v)).tolist()
            for k, v in state_dict.get("param_grad_norms", {}).items()}})
        self.__dict__.update(loaded.__dict__)

    def plot(self, path: str | os.PathLike | None = None, log_loss: bool = False) -> Any:
        """Loss per iteration (and per epoch, train and val), the lr and the gradient norm;
        returns the matplotlib Figure (saved as PNG when `path` is given)."""
        return plot_history(self, path=path, log_loss=log_loss)


def _number(v):
    return int(v) if isinstance(v, (int, np.integer)) else float(v)


def _write_csv(path, keys, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)

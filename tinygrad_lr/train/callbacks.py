"""Callbacks: code that `fit` calls at fixed points of the loop.

Each hook gets the running `TrainState` (model, optimizer, history, epoch, iteration, the
last loss, the epoch's `logs`); set `state.stop_training = True` (and `state.stop_reason`)
to end training after the current step or epoch.

A callback with state of its own (a best value, a counter) returns it from `state_dict()`
and takes it back in `load_state_dict()`: a `TrainingCheckpoint` saves it with the rest of
the training state, so that a resumed run carries on as if it had never stopped.
"""
from __future__ import annotations

import copy
import math
import os
import re
from typing import Any

from ..serialization import load_metadata, save

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "TrainingCheckpoint",
           "LambdaCallback"]


class Callback:
    # `state` is fit's TrainState (train/fit.py, which imports this module)
    def on_train_begin(self, state: Any) -> None: pass
    def on_epoch_begin(self, state: Any) -> None: pass
    # gradients are in p.grad; clip or inspect here
    def on_after_backward(self, state: Any) -> None: pass
    def on_batch_end(self, state: Any) -> None: pass  # after every optimizer step
    def on_epoch_end(self, state: Any) -> None: pass  # state.logs holds the epoch's numbers
    def on_train_end(self, state: Any) -> None: pass

    def state_dict(self) -> dict[str, Any]:
        """The callback's own state (what a resumed run needs); {} if it has none."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Take back a state from `state_dict()` (after on_train_begin of a resumed fit)."""


def _mode(monitor, mode):
    if mode == "auto":
        return "min" if "loss" in monitor else "max"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _monitored(state, monitor, who):
    if monitor not in state.logs:
        raise KeyError(f"{who}: monitored value {monitor!r} is not computed; available: "
                       f"{sorted(state.logs)} (val_* values need a val_loader)")
    return state.logs[monitor]


class _Best:
    """Tracks the best value of a monitored number (min or max)."""

    def __init__(self, mode: str, min_delta: float = 0.0) -> None:
        self.mode, self.min_delta = mode, abs(min_delta)
        self.value = math.inf if mode == "min" else -math.inf

    @property
    def known(self):
        return not math.isinf(self.value)

    def improves(self, v):
        if self.mode == "min":
            return v < self.value - self.min_delta
        return v > self.value + self.min_delta


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    With `restore_best_weights=True` the model gets back the weights of its best epoch.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        self.monitor, self.patience = monitor, int(patience)
        self.mode = _mode(monitor, mode)
        self.min_delta, self.restore_best_weights = min_delta, restore_best_weights

    def on_train_begin(self, state: Any) -> None:
        self.best = _Best(self.mode, self.min_delta)
        self.best_epoch, self.wait, self.best_state = None, 0, None

    def on_epoch_end(self, state: Any) -> None:
        v = _monitored(state, self.monitor, "EarlyStopping")
        if self.best.improves(v):
            self.best.value, self.best_epoch, self.wait = v, state.epoch, 0
            if self.restore_best_weights:
                self.best_state = copy.deepcopy(state.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop_training = True
            state.stop_reason = (f"EarlyStopping: {self.monitor} did not improve for "
                                 f"{self.patience} epochs (best {self.best.value:.4g} at "
                                 f"epoch {self.best_epoch})")

    def on_train_end(self, state: Any) -> None:
        if self.restore_best_weights and self.best_state is not None:
            state.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best.value, "best_epoch": self.best_epoch, "wait": self.wait,
                "best_state": self.best_state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best.value, self.best_epoch = state_dict["best"], state_dict["best_epoch"]
        self.wait, self.best_state = state_dict["wait"], state_dict["best_state"]


def _placeholders(path):
    return re.findall(r"{(\w+)", path)


class ModelCheckpoint(Callback):
    """Save the model's state_dict with `tl.save` (atomic: a crash never leaves a
    half-written file in place of a good one) at the end of an epoch.

    `path` may contain `{epoch}` and any logged value, e.g. "ckpt-{epoch}-{val_loss:.3f}.npz".
    With `save_best_only=True` (default) it writes only when `monitor` improves on the best
    value seen so far, which this callback keeps across `fit` calls, saves in a
    TrainingCheckpoint, and writes into the file's metadata (`{"monitor", "value",
    "epoch"}`, see `tl.serialization.load_metadata`): a new ModelCheckpoint on a fixed path
    first reads the value of the model already there, so no run ever replaces a better model
    with a worse one.
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss",
                 save_best_only: bool = True, mode: str = "auto") -> None:
        self.path, self.monitor, self.save_best_only = os.fspath(path), monitor, save_best_only
        self.mode = _mode(monitor, mode)
        self.best = _Best(self.mode)
        self.saved: list[str] = []

    def on_epoch_end(self, state: Any) -> None:
        v = _monitored(state, self.monitor, "ModelCheckpoint") if self.save_best_only \
            else state.logs.get(self.monitor, math.nan)
        if self.save_best_only:
            if not self.best.known:
                self._read_best_on_disk()
            if not self.best.improves(v):
                return
            self.best.value = v
        path = self.path.format(**state.logs)
        save(state.model.state_dict(), path, metadata={
            "monitor": self.monitor, "value": v, "epoch": state.epoch})
        self.saved.append(path)

    def _read_best_on_disk(self):
        """A fixed path that already holds a model: start from its recorded value."""
        if _placeholders(self.path) or not os.path.exists(self.path):
            return
        try:
            meta = load_metadata(self.path)
        except ValueError:
            return  # not a checkpoint of ours: nothing to compare with
        value = meta.get("value")
        if meta.get("monitor") == self.monitor and isinstance(value, (int, float)) \
                and not math.isnan(value):
            self.best.value = value

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best.value, "saved": list(self.saved)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best.value, self.saved = state_dict["best"], list(state_dict["saved"])


class TrainingCheckpoint(Callback):
    """Save the full training state, so that an interrupted run (a crash, a kill, a
    preempted machine) can be resumed exactly: `fit(..., resume_from=path)`, or
    `fit(..., resume_from="last")` which finds this callback's newest file (and starts
    from scratch when there is none).

    The state (`TrainState.state_dict()`) holds the model, optimizer and scheduler state
    dicts, the epoch and iteration, the History so far, every callback's own state (e.g.
    EarlyStopping's best value), the DataLoaders' shuffle state and the default random
    generator's state. A resumed run ends with the same weights, bit for bit, as one that
    was never interrupted.

    - `every_n_epochs` (default 1): save at the end of every n-th epoch.
    - `every_n_steps`: also save after every n-th optimizer step (mid-epoch; the loader
      then continues the interrupted pass).
    - `path` is one file, replaced atomically at each save; with `{epoch}` and/or
      `{iteration}` in it, each save keeps its own file ("state-{epoch}.npz").
    Put it last in `callbacks`, so that it records the other callbacks' decisions (e.g.
    EarlyStopping's stop) of the same epoch.
    """

    def __init__(self, path: str | os.PathLike, every_n_epochs: int = 1,
                 every_n_steps: int | None = None) -> None:
        self.path = os.fspath(path)
        unknown = set(_placeholders(self.path)) - {"epoch", "iteration"}
        if unknown:
            raise ValueError(f"TrainingCheckpoint: path may contain {{epoch}} and "
                             f"{{iteration}}, got {sorted(unknown)} in {self.path!r}")
        for name, value in (("every_n_epochs", every_n_epochs), ("every_n_steps",
                                                                 every_n_steps)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise ValueError(f"TrainingCheckpoint: {name} must be a positive integer or "
                                 f"None, got {value!r}")
        self.every_n_epochs, self.every_n_steps = every_n_epochs, every_n_steps
        self.saved: list[str] = []

    def on_batch_end(self, state: Any) -> None:
        if self.every_n_steps and state.iteration % self.every_n_steps == 0:
            self.save(state)

    def on_epoch_end(self, state: Any) -> None:
        if self.every_n_epochs and state.epoch % self.every_n_epochs == 0:
            self.save(state)

    def save(self, state: Any) -> str:
        """Save the training state now; returns the file's path."""
        path = self.path.format(epoch=state.epoch, iteration=state.iteration)
        save(state.state_dict(), path, metadata={
            "kind": "training_state", "epoch": state.epoch, "iteration": state.iteration})
        self.saved.append(path)
        return path

    def last_path(self) -> str | None:
        """The newest training state this callback's path names on disk (the highest
        iteration), or None."""
        if not _placeholders(self.path):
            return self.path if os.path.exists(self.path) else None
        directory = os.path.dirname(self.path) or "."
        pattern = re.compile(re.sub(r"\\{\w+(?::[^}]*)?\\}", r".+?",
                                    re.escape(os.path.basename(self.path))) + "$")
        best, best_iteration = None, -1
        for name in os.listdir(directory) if os.path.isdir(directory) else ():
            if not pattern.match(name):
                continue
            path = os.path.join(directory, name)
            try:
                meta = load_metadata(path)
            except (ValueError, OSError):
                continue
            if meta.get("kind") == "training_state" and meta["iteration"] > best_iteration:
                best, best_iteration = path, meta["iteration"]
        return best

    def state_dict(self) -> dict[str, Any]:
        return {"saved": list(self.saved)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.saved = list(state_dict["saved"])


class LambdaCallback(Callback):
    """Wrap plain functions as a callback, e.g. a per-iteration hook:
    `LambdaCallback(on_batch_end=lambda s: print(s.iteration, s.loss))`."""

    def __init__(self, on_train_begin=None, on_epoch_begin=None, on_after_backward=None,
                 on_batch_end=None, on_epoch_end=None, on_train_end=None) -> None:
        for name, fn in (("on_train_begin", on_train_begin), ("on_epoch_begin", on_epoch_begin),
                         ("on_after_backward", on_after_backward),
                         ("on_batch_end", on_batch_end), ("on_epoch_end", on_epoch_end),
                         ("on_train_end", on_train_end)):
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {name} must be a function, got "
                                    f"{type(fn).__name__}")
                setattr(self, name, fn)

"""Callbacks: code that `fit` calls at fixed points of the loop.

Each hook gets the running `TrainState` (model, optimizer, history, epoch, iteration, the
last loss, the epoch's `logs`); set `state.stop_training = True` (and `state.stop_reason`)
to end training after the current step or epoch.
"""
import copy
import math
import os

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback"]


class Callback:
    def on_train_begin(self, state): pass
    def on_epoch_begin(self, state): pass
    def on_batch_end(self, state): pass     # after every optimizer step
    def on_epoch_end(self, state): pass     # state.logs holds the epoch's numbers
    def on_train_end(self, state): pass


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

    def __init__(self, mode, min_delta=0.0):
        self.mode, self.min_delta = mode, abs(min_delta)
        self.value = math.inf if mode == "min" else -math.inf

    def improves(self, v):
        if self.mode == "min":
            return v < self.value - self.min_delta
        return v > self.value + self.min_delta


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    With `restore_best_weights=True` the model gets back the weights of its best epoch.
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        self.monitor, self.patience = monitor, int(patience)
        self.mode = _mode(monitor, mode)
        self.min_delta, self.restore_best_weights = min_delta, restore_best_weights

    def on_train_begin(self, state):
        self.best = _Best(self.mode, self.min_delta)
        self.best_epoch, self.wait, self.best_state = None, 0, None

    def on_epoch_end(self, state):
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

    def on_train_end(self, state):
        if self.restore_best_weights and self.best_state is not None:
            state.model.load_state_dict(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model's state_dict with `tl.save` (atomic: a crash never leaves a
    half-written file in place of a good one) at the end of an epoch.

    `path` may contain `{epoch}` and any logged value, e.g. "ckpt-{epoch}-{val_loss:.3f}.npz".
    With `save_best_only=True` (default) it writes only when `monitor` improves.
    """

    def __init__(self, path, monitor="val_loss", save_best_only=True, mode="auto"):
        self.path, self.monitor, self.save_best_only = os.fspath(path), monitor, save_best_only
        self.mode = _mode(monitor, mode)
        self.saved = []

    def on_train_begin(self, state):
        self.best = _Best(self.mode)

    def on_epoch_end(self, state):
        from ..serialization import save

        if self.save_best_only:
            v = _monitored(state, self.monitor, "ModelCheckpoint")
            if not self.best.improves(v):
                return
            self.best.value = v
        path = self.path.format(**state.logs)
        save(state.model.state_dict(), path)
        self.saved.append(path)


class LambdaCallback(Callback):
    """Wrap plain functions as a callback, e.g. a per-iteration hook:
    `LambdaCallback(on_batch_end=lambda s: print(s.iteration, s.loss))`."""

    def __init__(self, on_train_begin=None, on_epoch_begin=None, on_batch_end=None,
                 on_epoch_end=None, on_train_end=None):
        for name, fn in (("on_train_begin", on_train_begin), ("on_epoch_begin", on_epoch_begin),
                         ("on_batch_end", on_batch_end), ("on_epoch_end", on_epoch_end),
                         ("on_train_end", on_train_end)):
            if fn is not None:
                setattr(self, name, fn)

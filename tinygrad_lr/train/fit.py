"""fit(): the training loop, written out once so that every run records the same things."""
from __future__ import annotations

import math
import os
import sys
import time
import warnings
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import random as _random
from ..autograd import no_grad
from ..data.dataloader import DataLoader
from ..nn.module import Module
from ..nn.utils import clip_grad_norm_, clip_grad_value_
from ..optim.optimizer import Optimizer
from ..serialization import load
from ..tensor import Tensor
from . import metrics as M
from .callbacks import Callback, TrainingCheckpoint
from .history import History

__all__ = ["fit", "evaluate", "TrainState", "global_grad_norm"]

# schedulers that move the lr within an epoch; the others step once per epoch
PER_ITERATION_SCHEDULERS = ("OneCycleLR", "CyclicLR")

_NAMED_METRICS = {
    "accuracy": M.accuracy,
    "precision": lambda p, t: M.precision(p, t, average="macro"),
    "recall": lambda p, t: M.recall(p, t, average="macro"),
    "f1": lambda p, t: M.f1_score(p, t, average="macro"),
    "f1_score": lambda p, t: M.f1_score(p, t, average="macro"),
    "r2": M.r2_score,
    "r2_score": M.r2_score,
}


_STATE_FORMAT = "tinygrad_lr.training_state"


class TrainState:
    """The loop's state, handed to callbacks. `state_dict()` is everything a resumed run
    needs (what TrainingCheckpoint saves; `fit(..., resume_from=...)` takes it back)."""

    def __init__(self, model: Module, optimizer: Optimizer, history: History, epochs: int,
                 steps_per_epoch: int, scheduler: Any = None,
                 train_loader: DataLoader | Sequence[Any] | None = None,
                 val_loader: DataLoader | Sequence[Any] | None = None,
                 callbacks: Sequence[Callback] = ()) -> None:
        self.model, self.optimizer, self.history = model, optimizer, history
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.scheduler, self.train_loader, self.val_loader = scheduler, train_loader, val_loader
        self.callbacks = list(callbacks)
        self.epoch = 0          # 1-based number of the running epoch
        self.iteration = 0      # optimizer steps done so far
        self.loss = math.nan    # the last mini-batch loss
        self.grad_norm = math.nan  # global gradient norm of the last step, before clipping
        self.logs: dict[str, Any] = {}  # the last finished epoch's numbers
        self.stop_training = False
        self.stop_reason = None
        self.epochs_done = 0    # finished epochs
        # inside an epoch: its batches and running sums so far
        self.progress: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        """The whole training state, for `tl.save` (see TrainingCheckpoint)."""
        progress = None
        if self.progress is not None and self.progress["batches"] > 0:
            progress = dict(self.progress)
            progress["preds"], progress["targets"] = list(progress["preds"]), \
                list(progress["targets"])
        return {
            "format": _STATE_FORMAT, "version": 1,
            "epoch": self.epoch, "epochs_done": self.epochs_done, "iteration": self.iteration,
            "progress": progress, "logs": dict(self.logs),
            "stop_training": self.stop_training, "stop_reason": self.stop_reason,
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "train_loader": _loader_state(self.train_loader),
            "val_loader": _loader_state(self.val_loader),
            "callbacks": {key: cb.state_dict() for key, cb in _callback_keys(self.callbacks)},
            "history": self.history.state_dict(),
            "rng_state": _random.get_rng_state(),
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Put a saved training state back: model, optimizer, scheduler, loaders, counters
        and history (callbacks and the random generator: see `fit`)."""
        if not isinstance(saved, dict) or saved.get("format") != _STATE_FORMAT:
            hint = (" (it looks like a model state_dict: load it with "
                    "model.load_state_dict(tl.load(path)))"
                    if isinstance(saved, dict) and "format" not in saved else "")
            raise ValueError("fit: resume_from must be a training state saved by "
                             f"TrainingCheckpoint (or TrainState.state_dict()){hint}")
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        if (saved["scheduler"] is None) != (self.scheduler is None):
            raise ValueError("fit: the saved training state was made " + (
                "without a scheduler, but one is given" if saved["scheduler"] is None else
                "with a scheduler; pass the same kind of scheduler to resume"))
        if self.scheduler is not None:
            self.scheduler.load_state_dict(saved["scheduler"])
        for name in ("train_loader", "val_loader"):
            loader, loader_state = getattr(self, name), saved[name]
            if loader_state is not None and hasattr(loader, "load_state_dict"):
                loader.load_state_dict(loader_state)
            elif name == "train_loader" and saved["progress"] is not None:
                raise ValueError("fit: the training state was saved inside an epoch, but "
                                 "the train_loader has no load_state_dict to continue it")
        self.history.load_state_dict(saved["history"])
        self.epoch, self.epochs_done = saved["epoch"], saved["epochs_done"]
        self.iteration, self.logs = saved["iteration"], dict(saved["logs"])
        self.stop_training, self.stop_reason = saved["stop_training"], saved["stop_reason"]
        progress = saved["progress"]
        self.progress = None if progress is None else {
            **progress, "preds": [_array(p) for p in progress["preds"]],
            "targets": [_array(t) for t in progress["targets"]]}


def _array(x):
    return x._data if hasattr(x, "_data") else np.asarray(x)


def _loader_state(loader):
    return loader.state_dict() if hasattr(loader, "state_dict") else None


def _callback_keys(callbacks):
    """(key, callback) with keys "EarlyStopping#0", ...: how saved states find their
    callbacks again, even if the list changed."""
    seen = {}
    for cb in callbacks:
        name = type(cb).__name__
        seen[name] = seen.get(name, -1) + 1
        yield f"{name}#{seen[name]}", cb


def global_grad_norm(parameters: Iterable[Tensor]) -> float:
    """L2 norm of all gradients taken together (what clip_grad_norm_ clips)."""
    total = 0.0
    for p in parameters:
        if p.grad is not None:
            g = p.grad._data.ravel()
            total += float(np.dot(g, g))
    return math.sqrt(total)


def _resolve_metrics(metrics):
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m not in _NAMED_METRICS:
                raise ValueError(f"fit: unknown metric {m!r}; known: {sorted(_NAMED_METRICS)} "
                                 "(or pass a function metric(pred, target) -> float)")
            out.append((m, _NAMED_METRICS[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", "metric"), m))
        else:
            raise TypeError(f"fit: a metric must be a name or a function, got {m!r}")
    return out


def _split_batch(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("fit: each batch must be a tuple (inputs..., target), as a "
                         "DataLoader over TensorDataset(X, y) yields")
    return batch[:-1], batch[-1]


def evaluate(model: Module, loss_fn: Callable[..., Tensor], loader: DataLoader | Sequence[Any],
             metrics: Sequence[Any] = ()) -> dict[str, float]:
    """Mean loss over `loader` (weighted by batch size) and the metrics on all its
    predictions, computed in eval mode without gradients. Returns a dict."""
    metrics = _resolve_metrics(metrics)
    was_training = model.training
    model.eval()
    total, count, preds, targets = 0.0, 0, [], []
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split_batch(batch)
                out = model(*inputs)
                n = len(target)
                total += float(loss_fn(out, target).item()) * n
                count += n
                if metrics:
                    preds.append(out._data)
                    targets.append(target._data)
    finally:
        model.train(was_training)
    result = {"loss": total / max(count, 1)}
    if metrics:
        p, t = np.concatenate(preds), np.concatenate(targets)
        for name, fn in metrics:
            result[name] = _score(name, fn, p, t)
    return result


def _score(name, fn, pred, target):
    """A metric's value; NaN (with a warning) when the predictions are NaN."""
    try:
        return float(fn(pred, target))
    except M.NonFinitePredictionError as e:
        warnings.warn(f"fit: metric {name} is NaN: {e}", RuntimeWarning, stacklevel=4)
        return math.nan


class _Progress:
    """tqdm when it is installed, else one plain line rewritten in place."""

    def __init__(self, total, enabled) -> None:
        self.enabled, self.bar = enabled, None
        self.total, self.done, self._last = total, 0, 0.0
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, unit="it", leave=False, dynamic_ncols=True)

    def update(self, epoch, epochs: int, loss):
        if not self.enabled:
            return
        self.done += 1
        if self.bar is not None:
            self.bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)
            self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            self.bar.update(1)
            return
        now = time.perf_counter()
        if now - self._last > 0.2 or self.done == self.total:
            self._last = now
            sys.stderr.write(f"\repoch {epoch}/{epochs}  step {self.done}/{self.total}  "
                             f"loss {loss:.4g}   ")
            sys.stderr.flush()

    def write(self, line):
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(line)
        else:
            sys.stderr.write("\r" + line + " " * 10 + "\n")
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _is_plateau(scheduler):
    return any(c.__name__ == "ReduceLROnPlateau" for c in type(scheduler).__mro__)


def _per_iteration(scheduler):
    return any(c.__name__ in PER_ITERATION_SCHEDULERS for c in type(scheduler).__mro__)


def _check_clip(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not value > 0 or not math.isfinite(value):
        raise ValueError(f"fit: {name} must be a positive number (or None), got {value!r}")
    return float(value)


def _check_scheduler(scheduler, optimizer):
    if scheduler is None:
        return
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler must be an lr scheduler with a step() method, got "
                        f"{type(scheduler).__name__}")
    driven = getattr(scheduler, "optimizer", optimizer)
    if driven is not optimizer:
        raise ValueError(f"fit: the scheduler ({type(scheduler).__name__}) was built on "
                         f"another optimizer ({type(driven).__name__} at {id(driven):#x}) than "
                         f"the one given to fit ({type(optimizer).__name__} at "
                         f"{id(optimizer):#x}), so it would change the wrong learning rate; "
                         f"build it on this optimizer: {type(scheduler).__name__}(optimizer, "
                         "...)")


def _resolve_resume(resume_from, callbacks):
    """A saved state (dict) to resume from, or None."""
    if resume_from is None:
        return None
    if isinstance(resume_from, dict):
        return resume_from
    if isinstance(resume_from, str) and resume_from == "last":
        checkpoints = [cb for cb in callbacks if isinstance(cb, TrainingCheckpoint)]
        if not checkpoints:
            raise ValueError('fit: resume_from="last" needs a TrainingCheckpoint in callbacks '
                             "(it finds that callback's newest file)")
        paths = [p for p in (cb.last_path() for cb in checkpoints) if p is not None]
        if not paths:
            return None  # nothing saved yet: a fresh start
        resume_from = max(paths, key=os.path.getmtime)
    return load(resume_from)


def _param_names(model, params):
    names = {id(p): name for name, p in model.named_parameters()} \
        if hasattr(model, "named_parameters") else {}
    return [names.get(id(p), f"param{i}") for i, p in enumerate(params)]


def fit(model: Module, loss_fn: Callable[..., Tensor], optimizer: Optimizer,
        train_loader: DataLoader | Sequence[Any], epochs: int, scheduler: Any = None,
        val_loader: DataLoader | Sequence[Any] | None = None,
        metrics: Sequence[str | Callable[..., float]] = (),
        callbacks: Sequence[Callback] = (), progress: bool = True,
        clip_grad_norm: float | None = None, clip_grad_value: float | None = None,
        record_param_grad_norms: bool = False, resume_from: Any = None) -> History:
    """Train `model` until epoch `epochs` over `train_loader`; return a History.

    Every step: zero_grad, forward, loss, backward, record the global gradient norm, the
    callbacks' `on_after_backward` (where a user clips, inspects or logs gradients), then
    `fit`'s own clipping (`clip_grad_value`: every entry into [-v, v], then
    `clip_grad_norm`: the global L2 norm to at most the value, as nn.utils.clip_grad_value_
    and clip_grad_norm_ do), record the norm again (History's grad_norm_clipped), then
    optimizer.step(). `record_param_grad_norms=True` also records every parameter's
    gradient norm per step (History.param_grad_norms).

    Schedulers step once per epoch, except OneCycleLR and CyclicLR (every step) and
    ReduceLROnPlateau (per epoch, given the val loss, or the train loss without a
    val_loader); a scheduler built on another optimizer is refused. `metrics` (names such
    as "accuracy", "f1", "r2" or functions `metric(pred, target)`) are computed each epoch
    on the val_loader, else on the epoch's training predictions. A loss that becomes NaN or
    inf stops training with a warning naming the iteration and the lr; the history up to
    that point is returned.

    `resume_from`: a training state saved by a `TrainingCheckpoint` (its path, the loaded
    dict, or "last": that callback's newest file, starting fresh if there is none).
    Training then continues after the saved epoch (or inside it) up to epoch `epochs`,
    with the model, optimizer, scheduler, loaders' shuffle state, random generator,
    callbacks' state and History as they were: the final weights are bit-identical to an
    uninterrupted run's, and epoch numbers go on (ckpt-{epoch} files are not overwritten).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    _resolve_metrics(metrics)  # fail before training on an unknown metric
    _check_scheduler(scheduler, optimizer)
    clip_norm = _check_clip("clip_grad_norm", clip_grad_norm)
    clip_value = _check_clip("clip_grad_value", clip_grad_value)
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback objects, got "
                            f"{type(cb).__name__} (subclass tinygrad_lr.train.Callback, or "
                            "wrap functions in LambdaCallback)")
    saved = _resolve_resume(resume_from, callbacks)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    history = History()
    state = TrainState(model, optimizer, history, epochs, len(train_loader), scheduler,
                       train_loader, val_loader, callbacks)
    if saved is not None:
        state.load_state_dict(saved)
    step = _Step(params, clip_norm, clip_value, callbacks,
                 _param_names(model, params) if record_param_grad_norms else None)
    bar = _Progress(max(epochs - state.epochs_done, 0) * len(train_loader), progress)
    for cb in callbacks:
        cb.on_train_begin(state)
    if saved is not None:
        keyed = dict(_callback_keys(callbacks))
        for key, cb_state in saved["callbacks"].items():
            if key in keyed:
                keyed[key].load_state_dict(cb_state)
        _random.set_rng_state(saved["rng_state"])  # last: nothing above may draw from it
    try:
        first = state.epochs_done + 1
        for epoch in range(first, epochs + 1):
            if state.stop_training:  # a resumed run that had already stopped
                break
            state.epoch = epoch
            for cb in callbacks:
                cb.on_epoch_begin(state)
            _train_one_epoch(state, loss_fn, train_loader, scheduler, metrics, step,
                             bar, val_loader, callbacks)
            if state.stop_training and history.diverged:
                break
            logs = state.logs
            bar.write(f"epoch {epoch}/{epochs}  " + "  ".join(
                f"{k} {v:.4g}" for k, v in logs.items() if k not in ("epoch", "time_s")))
            if scheduler is not None and not _per_iteration(scheduler):
                if _is_plateau(scheduler):
                    scheduler.step(logs.get("val_loss", logs["train_loss"]))
                else:
                    scheduler.step()
            for cb in callbacks:
                cb.on_epoch_end(state)
            if state.stop_training:
                break
    finally:
        bar.close()
    history.stop_reason = state.stop_reason
    for cb in callbacks:
        cb.on_train_end(state)
    return history


class _Step:
    """What happens between backward and optimizer.step(): norms, hooks, clipping."""

    def __init__(self, params, clip_norm, clip_value: float, callbacks: Sequence[Callback],
                 param_names) -> None:
        self.params, self.clip_norm, self.clip_value = params, clip_norm, clip_value
        self.callbacks, self.param_names = callbacks, param_names
        # the second norm is only needed when something may have changed the gradients
        self.hooked = any(type(cb).on_after_backward is not Callback.on_after_backward
                          or "on_after_backward" in vars(cb) for cb in callbacks)

    def after_backward(self, state):
        """Returns (norm before, norm after, per-parameter norms or None)."""
        before = global_grad_norm(self.params)
        per_param = None
        if self.param_names is not None:
            per_param = {name: (math.sqrt(float(np.vdot(p.grad._data, p.grad._data)))
                                if p.grad is not None else math.nan)
                         for name, p in zip(self.param_names, self.params)}
        state.grad_norm = before
        for cb in self.callbacks:
            cb.on_after_backward(state)
        if self.clip_value is not None:
            clip_grad_value_(self.params, self.clip_value)
        if self.clip_norm is not None:
            clip_grad_norm_(self.params, self.clip_norm)
        changed = self.hooked or self.clip_value is not None or self.clip_norm is not None
        after = global_grad_norm(self.params) if changed else before
        return before, after, per_param


def _train_one_epoch(state, loss_fn, loader, scheduler, metrics, step, bar, val_loader,
                     callbacks):
    model, optimizer, history = state.model, state.optimizer, state.history
    metric_fns = _resolve_metrics(metrics)
    model.train()
    start = time.perf_counter()
    if state.progress is None:  # a fresh epoch (a resumed one keeps its sums)
        state.progress = {"batches": 0, "total": 0.0, "count": 0, "preds": [], "targets": []}
    sums = state.progress
    for batch in loader:
        inputs, target = _split_batch(batch)
        lr = optimizer.param_groups[0]["lr"]
        optimizer.zero_grad()
        out = model(*inputs)
        loss = loss_fn(out, target)
        loss_value = float(loss.item())
        if not math.isfinite(loss_value):
            state.stop_training = history.diverged = True
            state.stop_reason = (f"loss became {loss_value} at iteration {state.iteration + 1} "
                                 f"(epoch {state.epoch}, lr={lr:g}); training stopped. The "
                                 "learning rate is probably too high.")
            warnings.warn("fit: " + state.stop_reason, RuntimeWarning, stacklevel=3)
            return
        loss.backward()
        grad_norm, clipped_norm, per_param = step.after_backward(state)
        optimizer.step()
        if scheduler is not None and _per_iteration(scheduler):
            scheduler.step()
        state.iteration += 1
        state.loss = loss_value
        history.log_iteration(state.epoch, loss_value, float(lr), grad_norm, clipped_norm,
                              per_param)
        n = len(target)
        sums["batches"] += 1
        sums["total"] += loss_value * n
        sums["count"] += n
        if metric_fns and val_loader is None:
            sums["preds"].append(out._data)
            sums["targets"].append(target._data)
        bar.update(state.epoch, state.epochs, loss_value)
        for cb in callbacks:
            cb.on_batch_end(state)
        if state.stop_training:
            break
    state.progress = None
    logs = {"epoch": state.epoch, "train_loss": sums["total"] / max(sums["count"], 1)}
    if val_loader is not None:
        ev = evaluate(model, loss_fn, val_loader, metrics)
        logs["val_loss"] = ev["loss"]
        for name, _ in metric_fns:
            logs["val_" + name] = ev[name]
    elif metric_fns and sums["preds"]:
        p, t = np.concatenate(sums["preds"]), np.concatenate(sums["targets"])
        for name, fn in metric_fns:
            logs["train_" + name] = _score(name, fn, p, t)
    logs["time_s"] = time.perf_counter() - start
    state.logs = logs
    state.epochs_done = state.epoch
    history.log_epoch(logs)

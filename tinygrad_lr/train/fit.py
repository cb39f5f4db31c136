"""fit(): the training loop, written out once so that every run records the same things."""
import math
import sys
import time
import warnings

import numpy as np

from ..autograd import no_grad
from . import metrics as M
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


class TrainState:
    """The loop's state, handed to callbacks."""

    def __init__(self, model, optimizer, history, epochs, steps_per_epoch):
        self.model, self.optimizer, self.history = model, optimizer, history
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.epoch = 0          # 1-based number of the running epoch
        self.iteration = 0      # optimizer steps done so far
        self.loss = math.nan    # the last mini-batch loss
        self.logs = {}          # the last finished epoch's numbers
        self.stop_training = False
        self.stop_reason = None


def global_grad_norm(parameters):
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


def evaluate(model, loss_fn, loader, metrics=()):
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
            result[name] = float(fn(p, t))
    return result


class _Progress:
    """tqdm when it is installed, else one plain line rewritten in place."""

    def __init__(self, total, enabled):
        self.enabled, self.bar = enabled, None
        self.total, self.done, self._last = total, 0, 0.0
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, unit="it", leave=False, dynamic_ncols=True)

    def update(self, epoch, epochs, loss):
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


def fit(model, loss_fn, optimizer, train_loader, epochs, scheduler=None, val_loader=None,
        metrics=(), callbacks=(), progress=True):
    """Train `model` for `epochs` passes over `train_loader`; return a History.

    Every step: zero_grad, forward, loss, backward, record the global gradient norm and the
    lr, optimizer.step(). Schedulers step once per epoch, except OneCycleLR and CyclicLR
    (every step) and ReduceLROnPlateau (per epoch, given the val loss, or the train loss
    without a val_loader). `metrics` (names such as "accuracy", "f1", "r2" or functions
    `metric(pred, target)`) are computed each epoch on the val_loader, else on the epoch's
    training predictions. A loss that becomes NaN or inf stops training with a warning
    naming the iteration and the lr; the history up to that point is returned.
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    _resolve_metrics(metrics)  # fail before training on an unknown metric
    params = [p for g in optimizer.param_groups for p in g["params"]]
    history = History()
    state = TrainState(model, optimizer, history, epochs, len(train_loader))
    bar = _Progress(epochs * len(train_loader), progress)
    callbacks = list(callbacks)
    for cb in callbacks:
        cb.on_train_begin(state)
    try:
        for epoch in range(1, epochs + 1):
            state.epoch = epoch
            for cb in callbacks:
                cb.on_epoch_begin(state)
            _train_one_epoch(state, loss_fn, train_loader, scheduler, metrics, params,
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


def _train_one_epoch(state, loss_fn, loader, scheduler, metrics, params, bar, val_loader,
                     callbacks):
    model, optimizer, history = state.model, state.optimizer, state.history
    metric_fns = _resolve_metrics(metrics)
    model.train()
    start = time.perf_counter()
    total, count, preds, targets = 0.0, 0, [], []
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
        grad_norm = global_grad_norm(params)
        optimizer.step()
        if scheduler is not None and _per_iteration(scheduler):
            scheduler.step()
        state.iteration += 1
        state.loss = loss_value
        history.log_iteration(state.epoch, loss_value, float(lr), grad_norm)
        n = len(target)
        total += loss_value * n
        count += n
        if metric_fns and val_loader is None:
            preds.append(out._data)
            targets.append(target._data)
        bar.update(state.epoch, state.epochs, loss_value)
        for cb in callbacks:
            cb.on_batch_end(state)
        if state.stop_training:
            break
    logs = {"epoch": state.epoch, "train_loss": total / max(count, 1)}
    if val_loader is not None:
        ev = evaluate(model, loss_fn, val_loader, metrics)
        logs["val_loss"] = ev["loss"]
        for name, _ in metric_fns:
            logs["val_" + name] = ev[name]
    elif metric_fns and preds:
        p, t = np.concatenate(preds), np.concatenate(targets)
        for name, fn in metric_fns:
            logs["train_" + name] = float(fn(p, t))
    logs["time_s"] = time.perf_counter() - start
    state.logs = logs
    history.log_epoch(logs)

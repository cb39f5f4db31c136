"""The learning-rate range test (Smith 2015, "Cyclical Learning Rates for Training Neural
Networks"): train for one pass while the lr grows exponentially, watch where the loss
falls fastest and where it blows up."""
import copy
import math

import numpy as np

from .fit import _split_batch

__all__ = ["lr_find", "LRFinderResult"]


class LRFinderResult:
    """`lrs`, `losses` (smoothed), `raw_losses`; `min_loss_lr` (the lr of the lowest
    smoothed loss), `suggested_lr` = min_loss_lr / 10 (a safe distance below the point
    where the loss turns up) and `steepest_lr` (where the smoothed loss falls fastest;
    often too close to the edge with momentum)."""

    def __init__(self, lrs, losses, raw_losses, min_loss_lr, steepest_lr, diverged):
        self.lrs, self.losses, self.raw_losses = lrs, losses, raw_losses
        self.min_loss_lr, self.steepest_lr, self.diverged = min_loss_lr, steepest_lr, diverged
        self.suggested_lr = min_loss_lr / 10

    def __repr__(self):
        return (f"LRFinderResult({len(self.lrs)} steps, lr {self.lrs[0]:.2g}..{self.lrs[-1]:.2g}, "
                f"suggested_lr={self.suggested_lr:.3g}, min_loss_lr={self.min_loss_lr:.3g}, "
                f"steepest_lr={self.steepest_lr:.3g}"
                f"{', stopped on divergence' if self.diverged else ''})")

    def plot(self, path=None):
        from ..viz.plots import plot_lr_find

        return plot_lr_find(self, path=path)


def _batches(loader, n):
    """n batches, going round the loader again if it is shorter."""
    done = 0
    while done < n:
        empty = True
        for batch in loader:
            empty = False
            yield batch
            done += 1
            if done == n:
                return
        if empty:
            raise ValueError("lr_find: the train_loader yields no batches")


def lr_find(model, loss_fn, optimizer, train_loader, start_lr=1e-7, end_lr=10.0,
            num_iter=100, smoothing=0.98, diverge_factor=4.0):
    """Run the range test and return an LRFinderResult; the model's weights and the
    optimizer's state and lr are restored afterwards, so training can start from scratch.

    The lr goes from `start_lr` to `end_lr` geometrically over `num_iter` steps (default
    100, going round `train_loader` again if it is shorter: fewer steps make the smoothed
    curve lag behind the lr and the suggestion too high). The loss is smoothed with an
    exponential moving average (factor `smoothing`, bias-corrected); the test stops early
    once the smoothed loss exceeds `diverge_factor` times the best one seen.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    num_iter = num_iter or 100
    if num_iter < 2:
        raise ValueError(f"lr_find: num_iter must be >= 2, got {num_iter}")
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    ratio = (end_lr / start_lr) ** (1.0 / (num_iter - 1))
    lrs, losses, raw = [], [], []
    avg, best, diverged = 0.0, math.inf, False
    try:
        model.train()
        for i, batch in enumerate(_batches(train_loader, num_iter)):
            lr = start_lr * ratio ** i
            for group in optimizer.param_groups:
                group["lr"] = lr
            inputs, target = _split_batch(batch)
            optimizer.zero_grad()
            loss = loss_fn(model(*inputs), target)
            value = float(loss.item())
            if not math.isfinite(value):
                diverged = True
                break
            avg = smoothing * avg + (1 - smoothing) * value
            smooth = avg / (1 - smoothing ** (i + 1))
            lrs.append(lr)
            losses.append(smooth)
            raw.append(value)
            best = min(best, smooth)
            if smooth > diverge_factor * best:
                diverged = True
                break
            loss.backward()
            optimizer.step()
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        model.train(was_training)
    if len(lrs) < 2:
        raise RuntimeError("lr_find: the loss diverged at once; lower start_lr")
    lrs_a, losses_a = np.array(lrs), np.array(losses)
    best = int(np.argmin(losses_a))
    return LRFinderResult(lrs, losses, raw, float(lrs_a[best]), _steepest(lrs_a, losses_a),
                          diverged)


def _steepest(lrs, losses):
    """The lr of the steepest fall of the smoothed loss against log(lr), looked for before
    the minimum (after it the loss is already climbing)."""
    stop = int(np.argmin(losses)) + 1
    if stop < 3:
        return float(lrs[0])
    slope = np.gradient(losses[:stop], np.log10(lrs[:stop]))
    return float(lrs[int(np.argmin(slope))])

"""The learning-rate range test (Smith 2015, "Cyclical Learning Rates for Training Neural
Networks"): train for one pass while the lr grows exponentially, watch where the loss
falls fastest and where it blows up."""
from __future__ import annotations

import copy
import math
import os
from typing import Any, Callable, Sequence

import numpy as np

from ..data.dataloader import DataLoader
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from ..viz.plots import plot_lr_find
from .fit import _split_batch

__all__ = ["lr_find", "LRFinderResult"]


class LRFinderResult:
    """What the range test saw and what it suggests.

    - `lrs`, `raw_losses` (the mini-batch loss at each step) and `losses` (the same,
      smoothed by a debiased exponential moving average with factor `smoothing`, as fastai
      does: the running average divided by 1 - smoothing^(step+1), so the first points are
      not pulled towards 0). An average of past steps lags behind: once warmed up it is
      centred `lag_steps` = smoothing / (1 - smoothing) steps back, a factor
      `lr_ratio ** lag_steps` in lr. The steepest fall and the valley are found on the
      smoothed curve and read at the lr their point is centred on, so they are not shifted
      to the right.
    - The suggestions look only at `lrs[skip_start:len(lrs) - skip_end]`: the first points
      (the loss barely moves and the average has seen too little) and the last ones (where
      the loss blew up) are left out.
    - `suggested_lr` = `steepest_lr`: where the smoothed loss falls fastest (Smith's rule:
      training makes the most progress per step there), looked for before the minimum.
    - `min_loss_lr`: the lr of the lowest smoothed loss, already near the edge;
      `minimum_lr` = min_loss_lr / 10, the "lowest loss / 10" rule.
    - `valley_lr`: fastai's "valley" rule, half-way down the longest stretch over which
      the smoothed loss keeps falling (more cautious).
    """

    def __init__(self, lrs, losses, raw_losses, diverged, smoothing: float, skip_start: int,
                 skip_end: int) -> None:
        self.lrs, self.losses, self.raw_losses = lrs, losses, raw_losses
        self.diverged, self.smoothing = diverged, smoothing
        self.skip_start, self.skip_end = skip_start, skip_end
        self.lr_ratio = lrs[1] / lrs[0]
        self.lag_steps = smoothing / (1.0 - smoothing)
        stop = len(lrs) - skip_end
        loss_w = np.array(losses[skip_start:stop])
        # on a slope, the smoothed point at step i describes the raw losses around step
        # i - lag(i): the slope-based suggestions are read there
        def at(k):
            return float(lrs[_centre(skip_start + k, smoothing)])

        # the minimum is not moved: at a V-shaped bottom the average turns up as soon as the
        # raw loss climbs back above it, much sooner than its lag on a steady slope
        self.min_loss_lr = float(lrs[skip_start + int(np.argmin(loss_w))])
        self.minimum_lr = self.min_loss_lr / 10
        self.steepest_lr = at(_steepest(loss_w))
        self.valley_lr = at(_valley(loss_w))
        self.suggested_lr = self.steepest_lr

    @property
    def considered(self) -> tuple[float, float]:
        """(first, last) lr the suggestions were chosen between."""
        return self.lrs[self.skip_start], self.lrs[len(self.lrs) - self.skip_end - 1]

    def __repr__(self) -> str:
        return (f"LRFinderResult({len(self.lrs)} steps, lr {self.lrs[0]:.3g}..{self.lrs[-1]:.3g}, "
                f"suggested_lr={self.suggested_lr:.3g} (steepest fall), "
                f"min_loss_lr={self.min_loss_lr:.3g}, steepest_lr={self.steepest_lr:.3g}"
                f"{', stopped on divergence' if self.diverged else ''})")

    def plot(self, path: str | os.PathLike | None = None) -> Any:
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


def lr_find(model: Module, loss_fn: Callable[..., Tensor], optimizer: Optimizer,
            train_loader: DataLoader | Sequence[Any], start_lr: float = 1e-7, end_lr: float = 10.0,
            num_iter: int = 100, smoothing: float = 0.9, diverge_factor: float = 4.0,
            skip_start: int | None = None, skip_end: int = 5) -> LRFinderResult:
    """Run the range test and return an LRFinderResult; the model's weights and the
    optimizer's state and lr are restored afterwards, so training can start from scratch.

    The lr goes from `start_lr` to `end_lr` geometrically over `num_iter` steps (default
    100, going round `train_loader` again if it is shorter). The loss is smoothed with a
    debiased exponential moving average (factor `smoothing` in [0, 1): 0 = no smoothing;
    0.9 averages about the last 10 steps - fastai's 0.98 averages 50, which on a 100-step
    sweep lags so far behind that its minimum sits where the raw loss is already climbing).
    The test stops early once the smoothed loss exceeds `diverge_factor` times the best one
    seen. The suggestions ignore the first `skip_start` points (default num_iter // 10) and
    the last `skip_end`, as fastai does.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    if num_iter is None or int(num_iter) != num_iter or num_iter < 10:
        raise ValueError(f"lr_find: num_iter must be an integer >= 10, got {num_iter}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_find: smoothing must be in [0, 1), got {smoothing}")
    if diverge_factor <= 1:
        raise ValueError(f"lr_find: diverge_factor must be > 1, got {diverge_factor}")
    num_iter = int(num_iter)
    skip_start = num_iter // 10 if skip_start is None else int(skip_start)
    if skip_start < 0 or skip_end < 0:
        raise ValueError(f"lr_find: skip_start and skip_end must be >= 0, got {skip_start}, "
                         f"{skip_end}")
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
            smooth = avg / (1 - smoothing ** (i + 1))  # debiased: avg starts at 0
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
    # keep at least 3 points to choose from, whatever was skipped
    if len(lrs) < 3:
        raise RuntimeError(f"lr_find: the loss diverged after {len(lrs)} steps (at lr "
                           f"{start_lr * ratio ** len(lrs):.3g}); lower start_lr")
    skip_end = min(skip_end, max(len(lrs) - 3, 0))
    skip_start = min(skip_start, len(lrs) - skip_end - 3)
    return LRFinderResult(lrs, losses, raw, diverged, smoothing, skip_start, skip_end)


def _steepest(losses):
    """Index of the steepest fall of the loss per step (per factor of lr: the steps are
    geometric), looked for up to the minimum (after it the loss is already climbing)."""
    stop = int(np.argmin(losses)) + 1
    if stop < 3:
        return 0
    return int(np.argmin(np.gradient(losses[:stop])))


def _centre(i, smoothing):
    """The step the debiased moving average at step i is centred on: its weights are
    proportional to smoothing^(i - k) for k = 0..i, so it lags by their mean distance."""
    if smoothing == 0:
        return i
    w = smoothing ** np.arange(i + 1)
    return i - int(round(float(np.dot(np.arange(i + 1), w) / w.sum())))


def _valley(losses):
    """Index of fastai's "valley" point: the longest subsequence of steps over which the
    loss keeps falling (longest decreasing subsequence, O(n^2) on ~100 points), and the
    point half-way along it (its first step + 1/3 + 1/6 of its span)."""
    n = len(losses)
    length = np.ones(n, dtype=int)   # length of the longest fall ending at step i
    first = np.arange(n)             # the step where that fall starts
    for i in range(1, n):
        earlier = np.nonzero(losses[:i] > losses[i])[0]
        if len(earlier):
            j = earlier[np.argmax(length[earlier])]
            length[i], first[i] = length[j] + 1, first[j]
    end = int(np.argmax(length))
    start = int(first[end])
    sections = (end - start) / 3
    return start + int(sections) + int(sections / 2)

"""Plots of training runs (matplotlib, an optional extra: `pip install tinygrad-lr[plot]`).

Each function returns the matplotlib Figure and, given `path`, saves it as a PNG.
matplotlib is imported inside the functions, so the package works without it.
"""
import numpy as np

from .. import optim
from ..autograd import no_grad
from ..nn import Parameter
from ..tensor import Tensor

__all__ = ["plot_history", "plot_loss_curves", "plot_lr_find", "plot_grad_norms",
           "loss_landscape", "plot_loss_landscape", "optimizer_paths", "plot_optimizer_paths",
           "lr_schedule", "plot_lr_schedule", "loss_axis", "plot_sweep",
           "parameter_grad_norms", "plot_layer_grad_norms", "plot_loss_function",
           "plot_decision_boundary", "until_outside", "X_AXES"]

X_AXES = ("iteration", "epoch", "samples", "time")


def _plt():
    try:
        import matplotlib.pyplot as plt  # picks the Agg backend by itself without a screen
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install tinygrad-lr[plot] "
                          "(or pip install matplotlib)") from None
    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig


def _smooth(values, window):
    values = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(values) < window:
        return values
    kernel = np.ones(window) / window
    head = np.cumsum(values[:window - 1]) / np.arange(1, window)  # no dip at the start
    return np.concatenate([head, np.convolve(values, kernel, mode="valid")])


def _epoch_of_iterations(epochs):
    """Fractional epoch at the end of each iteration, from the epoch number of each one:
    the k-th of n iterations of epoch e ends at e - 1 + k / n."""
    epochs = np.asarray(epochs, dtype=np.int64)
    out = np.empty(len(epochs))
    for e in np.unique(epochs):
        idx = np.nonzero(epochs == e)[0]
        out[idx] = e - 1 + np.arange(1, len(idx) + 1) / len(idx)
    return out


def _batches_of_epochs(n_iter, n_train, batch_size):
    """(epoch, samples seen) after each of n_iter iterations of ceil(n_train / batch_size)
    batches per epoch, the last batch of an epoch holding the remainder."""
    per_epoch = -(-n_train // batch_size)
    k = np.arange(n_iter)
    within = k % per_epoch                        # batch index inside its epoch
    sizes = np.where(within == per_epoch - 1, n_train - (per_epoch - 1) * batch_size,
                     batch_size)
    return k // per_epoch + (within + 1) / per_epoch, np.cumsum(sizes)


def loss_axis(run, x="iteration", batch_size=None, n_train=None):
    """(x values, losses, x-axis label) of a run's per-iteration losses against `x`:

    - "iteration": optimizer steps 1, 2, ...
    - "epoch": passes over the data (fractional within an epoch); from the History's epoch
      numbers, or from `n_train` and `batch_size` (iterations per epoch = ceil(N / batch)).
    - "samples": training examples seen, the fair axis to compare batch sizes on; needs
      `batch_size` (and `n_train` to count each epoch's short last batch exactly), or a
      History that recorded per-iteration `batch_size`.
    - "time": wall-clock seconds; from per-iteration `time_s` when the History has it, else
      each epoch's time_s spread evenly over its iterations.
    `run` is a History or a sequence of losses.
    """
    if x not in X_AXES:
        raise ValueError(f"loss_axis: x must be one of {', '.join(X_AXES)}, got {x!r}")
    iterations = getattr(run, "iterations", None)
    losses = np.asarray(run.loss if iterations is not None else run, dtype=np.float64)
    n = len(losses)
    if x == "iteration":
        return np.arange(1, n + 1), losses, "iteration (optimizer step)"
    if n_train is not None and batch_size is not None and x in ("epoch", "samples"):
        epoch, seen = _batches_of_epochs(n, int(n_train), int(batch_size))
        return (epoch, losses, "epoch") if x == "epoch" else (seen, losses, "samples seen")
    if x == "epoch":
        if iterations is None:
            raise ValueError("loss_axis: x='epoch' for a list of losses needs n_train and "
                             "batch_size (or pass the History)")
        return _epoch_of_iterations(iterations["epoch"]), losses, "epoch"
    if x == "samples":
        if iterations is not None and "batch_size" in iterations:
            return np.cumsum(iterations["batch_size"]), losses, "samples seen"
        if batch_size is None:
            raise ValueError("loss_axis: x='samples' needs batch_size (and n_train for the "
                             "short last batch of each epoch)")
        return np.arange(1, n + 1) * int(batch_size), losses, "samples seen"
    if iterations is None:
        raise ValueError("loss_axis: x='time' needs a History (it records the time)")
    if "time_s" in iterations:
        return np.cumsum(iterations["time_s"]), losses, "wall time (s)"
    per_iter = np.zeros(n)
    epochs = np.asarray(iterations["epoch"], dtype=np.int64)
    for row in run.epochs:
        idx = np.nonzero(epochs == row["epoch"])[0]
        if len(idx):
            per_iter[idx] = row.get("time_s", 0.0) / len(idx)
    return np.cumsum(per_iter), losses, "wall time (s, per epoch spread over its steps)"


def _per_run(value, label):
    return value.get(label) if isinstance(value, dict) else value


def plot_loss_curves(runs, path=None, log=False, smooth=1, title="Training loss",
                     xlabel=None, x="iteration", batch_size=None, n_train=None, ylim=None,
                     reference=None, ax=None):
    """Several runs' loss curves on one figure.

    runs: {label: History or list of per-iteration losses}. `x` is "iteration", "epoch",
    "samples" or "time" (see `loss_axis`; `batch_size` may be one int or {label: int}).
    `smooth` > 1 draws a moving average over that many iterations; `log=True` uses a log
    scale for the loss; `ylim` = (low, high) clips the view (a diverging run then leaves
    the top of the plot, marked with an arrow); `reference` = (value, label) draws a
    horizontal line (e.g. the exact minimum). `ax` draws into an existing axes.
    """
    plt = _plt()
    fig, ax = (plt.subplots(figsize=(7, 4.2)) if ax is None else (ax.figure, ax))
    label_x = "iteration"
    for label, run in runs.items():
        xs, losses, label_x = loss_axis(run, x, _per_run(batch_size, label),
                                        _per_run(n_train, label))
        line, = ax.plot(xs, _smooth(losses, smooth), label=str(label))
        finite = losses[np.isfinite(losses)]
        top = ylim[1] if ylim is not None else np.inf
        diverged = len(losses) > 0 and not np.isfinite(losses[-1])
        above = np.nonzero(~np.isfinite(losses) | (losses > top))[0]
        if diverged or len(above):
            # an arrow where the curve leaves the view (or ends in NaN / inf)
            at = above[0] if len(above) else len(losses) - 1
            y_at = min(top, finite.max()) if finite.size else 1.0
            text = "diverged" if diverged else "off the scale"
            if finite.size:
                text += f" (max {finite.max():.3g})"
            ax.annotate(f"{label}: {text}", (xs[at], y_at), xytext=(10, -16),
                        textcoords="offset points", fontsize=8, color=line.get_color(),
                        ha="left", arrowprops={"arrowstyle": "->",
                                               "color": line.get_color()})
    if reference is not None:
        value, text = reference
        ax.axhline(value, color="black", ls="--", lw=1, label=text)
    if log:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel or label_x)
    ax.set_ylabel("loss" + (" (log scale)" if log else ""))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if runs:
        ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_history(history, path=None, log_loss=False, x="iteration", batch_size=None,
                 n_train=None):
    """One run: loss per iteration with per-epoch train/val loss, the lr (left out when it
    never changed) and the global gradient norm, against `x` (see `loss_axis`)."""
    plt = _plt()
    lr = np.asarray(history.lr, dtype=np.float64)
    show_lr = len(lr) > 1 and not np.allclose(lr, lr[0], rtol=1e-12, atol=0)
    fig, axes = plt.subplots(1, 3 if show_lr else 2, figsize=(13 if show_lr else 9, 3.8))
    xs, losses, xlabel = loss_axis(history, x, batch_size, n_train)
    ax = axes[0]
    ax.plot(xs, losses, alpha=0.35, label="batch loss")
    if history.epochs:
        last_of_epoch = np.cumsum(np.bincount(np.asarray(history.iterations["epoch"],
                                                         int))[1:]) - 1
        ends = xs[last_of_epoch[:len(history.epochs)]]
        ax.plot(ends, history.epoch_values("train_loss")[:len(ends)], "o-",
                label="train loss (epoch mean)")
        if "val_loss" in history.epochs[0]:
            ax.plot(ends, history.epoch_values("val_loss")[:len(ends)], "s-",
                    label="val loss (epoch end)")
    if log_loss:
        ax.set_yscale("log")
    title = "Loss" if show_lr else f"Loss (lr fixed at {lr[0]:.3g})" if len(lr) else "Loss"
    ax.set(xlabel=xlabel, ylabel="loss", title=title)
    ax.legend(fontsize=8)
    if show_lr:
        axes[1].plot(xs, lr)
        axes[1].set(xlabel=xlabel, ylabel="learning rate", title="Learning rate")
    axes[-1].plot(xs, history.grad_norm)
    axes[-1].set(xlabel=xlabel, ylabel="||grad|| (log scale)", title="Global gradient norm")
    axes[-1].set_yscale("log")
    for a in axes:
        a.grid(alpha=0.3)
    return _finish(fig, path)


def plot_grad_norms(runs, path=None):
    """Gradient-norm history of one History or of {label: History}, log scale."""
    plt = _plt()
    runs = runs if isinstance(runs, dict) else {"run": runs}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, h in runs.items():
        norms = h.grad_norm if hasattr(h, "grad_norm") else h
        ax.plot(np.arange(1, len(norms) + 1), norms, label=str(label))
    ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel="global gradient norm", title="Gradient norm")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_lr_find(result, path=None):
    """The range test: raw and smoothed loss against the lr (log scale), the points the
    suggestions ignore shaded, and the suggestions marked where they are read.

    The smoothed curve is a moving average of past steps, so it lags the raw loss. The
    steepest fall and the valley are read at the lr their smoothed point is centred on
    (the title says by how much that shifts them)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    lrs, raw, smooth = (np.asarray(v, dtype=np.float64) for v in
                        (result.lrs, result.raw_losses, result.losses))
    ax.plot(lrs, raw, color="tab:blue", alpha=0.35, lw=1, label="mini-batch loss (raw)")
    ax.plot(lrs, smooth, color="tab:orange", lw=2,
            label=f"smoothed: debiased moving average (factor {result.smoothing:g})")
    lo_edge, hi_edge = result.considered
    ax.axvspan(lrs[0], lo_edge, color="gray", alpha=0.12, lw=0)
    ax.axvspan(hi_edge, lrs[-1], color="gray", alpha=0.12, lw=0,
               label="ignored by the suggestions")
    for lr, color, ls, text in (
            (result.suggested_lr, "tab:red", "--", "suggested: steepest fall"),
            (result.valley_lr, "tab:purple", "-.", "valley rule (fastai)"),
            (result.min_loss_lr, "tab:gray", ":", "lowest loss")):
        ax.axvline(lr, color=color, ls=ls, label=f"{text} at {lr:.3g}")
    ax.set_xscale("log")
    # the y-range follows the useful part: from the lowest point to a bit above the start
    window = slice(result.skip_start, len(lrs) - result.skip_end)
    lo = min(smooth[window].min(), np.percentile(raw[window], 5))
    hi = max(smooth[0], smooth[window].max() if not result.diverged else smooth[0])
    pad = 0.1 * (hi - lo) + 1e-12
    ax.set_ylim(lo - pad, hi + 3 * pad)
    lag = result.lr_ratio ** result.lag_steps
    ax.set(xlabel="learning rate (log scale)", ylabel="training loss",
           title=f"Learning-rate range test, {len(lrs)} steps. The average lags "
                 f"~{result.lag_steps:.3g} steps (x{lag:.3g} in lr) on a slope:\nsteepest "
                 "fall and valley are read where their smoothed points are centred")
    ax.title.set_fontsize(10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7.5, loc="best", framealpha=0.9)
    return _finish(fig, path)


# ------------------------------------------------------------------ loss landscape
def _random_direction(params, rng):
    """A random direction with each filter scaled to its weights' norm (Li et al. 2018,
    "Visualizing the Loss Landscape of Neural Nets"): rows of a weight (one output unit
    / filter) get the row's norm; biases and other 1-D parameters are left out (zero)."""
    direction = []
    for p in params:
        w = p._data
        if w.ndim <= 1:
            direction.append(np.zeros_like(w))
            continue
        d = rng.standard_normal(w.shape).astype(w.dtype)
        axes = tuple(range(1, w.ndim))
        d_norm = np.sqrt((d * d).sum(axis=axes, keepdims=True))
        w_norm = np.sqrt((w * w).sum(axis=axes, keepdims=True))
        direction.append(d * w_norm / (d_norm + 1e-10))
    return direction


def loss_landscape(model, loss_fn, inputs, target, dims=1, span=1.0, steps=21, seed=0):
    """The loss around the model's current weights along `dims` (1 or 2) random
    filter-normalised directions: L(w + a d1 [+ b d2]) for a, b in [-span, span].

    Returns (alphas, losses) with losses of shape (steps,) or (steps, steps) (rows: d2).
    The weights are restored afterwards.
    """
    if dims not in (1, 2):
        raise ValueError(f"loss_landscape: dims must be 1 or 2, got {dims}")
    params = list(model.parameters())
    rng = np.random.default_rng(seed)
    dirs = [_random_direction(params, rng) for _ in range(dims)]
    origin = [p._data.copy() for p in params]
    alphas = np.linspace(-span, span, steps)
    grid = np.empty((steps,) * dims)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for index in np.ndindex(*grid.shape):
                coords = [alphas[i] for i in index[::-1]]  # (a, b): a along columns
                for p, w0, *ds in zip(params, origin, *dirs):
                    p._data[...] = w0 + sum(c * d for c, d in zip(coords, ds))
                grid[index] = float(loss_fn(model(inputs), target).item())
    finally:
        for p, w0 in zip(params, origin):
            p._data[...] = w0
        model.train(was_training)
    return alphas, grid


def plot_loss_landscape(model, loss_fn, inputs, target, dims=1, span=1.0, steps=21, seed=0,
                        path=None):
    """Plot `loss_landscape`: a curve (dims=1) or a contour map (dims=2); the trained
    weights sit at 0."""
    alphas, grid = loss_landscape(model, loss_fn, inputs, target, dims, span, steps, seed)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if dims == 1:
        ax.plot(alphas, grid)
        ax.axvline(0, color="gray", ls=":")
        ax.set(xlabel="step along a random filter-normalised direction", ylabel="loss")
    else:
        cs = ax.contourf(alphas, alphas, grid, levels=30, cmap="viridis")
        ax.contour(alphas, alphas, grid, levels=15, colors="white", linewidths=0.4)
        fig.colorbar(cs, ax=ax, label="loss")
        ax.plot([0], [0], "r*", ms=10)
        ax.set(xlabel="direction 1", ylabel="direction 2")
    ax.set_title("Loss landscape around the trained weights")
    return _finish(fig, path)


# ------------------------------------------------------------------ optimizers on a 2-D function
def _needs_loss_only(optimizer):
    """Newton differentiates the closure's loss twice itself: its closure must not call
    backward. Every other optimizer's closure computes the gradient."""
    return type(optimizer).__name__ == "Newton"


def optimizer_paths(fn, optimizers, start, steps=50, diverge_at=1e6):
    """Run each optimizer from `start` on f(x, y) = fn(x, y) (scalar Tensors in, a scalar
    Tensor out) and return {label: (points (k, 2), losses (k,))}, the start included.

    optimizers: {label: factory(params) -> Optimizer}, e.g.
    `{"Adam": lambda p: optim.Adam(p, lr=0.1), "Newton": lambda p: optim.Newton(p)}`.
    Every optimizer works: each step is `opt.step(closure)`, the closure computing the
    loss (and its gradient, except for Newton, which differentiates it twice itself).
    A path stops early once a coordinate or the loss leaves `diverge_at`.
    """
    paths = {}
    for label, make in optimizers.items():
        p = Tensor(np.array(start, dtype=np.float64).reshape(2), requires_grad=True)
        opt = make([p])
        loss_only = _needs_loss_only(opt)

        def closure(p=p, opt=opt, loss_only=loss_only):
            if loss_only:
                return fn(p[0], p[1])
            opt.zero_grad()
            loss = fn(p[0], p[1])
            loss.backward()
            return loss

        points, losses = [p.numpy().copy()], [float(fn(p[0], p[1]).item())]
        for _ in range(steps):
            opt.step(closure)
            value = float(fn(p[0], p[1]).item())
            points.append(p.numpy().copy())
            losses.append(value)
            if not (np.all(np.abs(points[-1]) < diverge_at) and abs(value) < diverge_at):
                break
        paths[label] = (np.array(points), np.array(losses))
    return paths


def until_outside(points, low, high):
    """The points of a path up to and including the first one outside the box [low, high]:
    a diverging path is drawn until it leaves the view, not as a wall of lines across it."""
    points = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    outside = np.nonzero(np.any((points < low) | (points > high), axis=1))[0]
    return points[:outside[0] + 1] if len(outside) else points


def plot_optimizer_paths(fn, optimizers, start, steps=50, xlim=(-2, 2), ylim=(-1, 3),
                         minimum=None, levels=30, log_levels=True, title=None, path=None,
                         ax=None, xlabel="x", ylabel="y", paths=None):
    """The paths of several optimizers from `start` drawn on the contour map of the 2-D
    function fn(x, y) (see `optimizer_paths`); `minimum` = (x, y) marks the optimum.
    Contour levels are spaced logarithmically (`log_levels`) so a narrow valley shows; a
    path that leaves the view is drawn up to where it leaves. `paths`: the result of an
    earlier `optimizer_paths` call to draw instead of running the optimizers again."""
    plt = _plt()
    if paths is None:
        paths = optimizer_paths(fn, optimizers, start, steps)
    fig, ax = (plt.subplots(figsize=(7, 5.2)) if ax is None else (ax.figure, ax))
    gx, gy = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    with no_grad():
        z = np.asarray(fn(Tensor(gx), Tensor(gy)).numpy(), dtype=np.float64)
    if log_levels:
        lo = max(z.min(), 0) + 1e-3 * (z.max() - z.min())
        lv = np.geomspace(lo, z.max(), levels) if z.min() >= 0 else levels
    else:
        lv = levels
    ax.contour(gx, gy, z, levels=lv, cmap="viridis", linewidths=0.6, alpha=0.8)
    for label, (pts, losses) in paths.items():
        shown = until_outside(pts, (xlim[0], ylim[0]), (xlim[1], ylim[1]))
        left = len(shown) < len(pts) or not np.all((pts[-1] >= [xlim[0], ylim[0]]) &
                                                    (pts[-1] <= [xlim[1], ylim[1]]))
        ax.plot(shown[:, 0], shown[:, 1], "o-", ms=2.5, lw=1.2,
                label=f"{label}: f = {losses[-1]:.3g} after {len(pts) - 1} steps"
                + (" (left the plot)" if left else ""))
    ax.plot(*np.asarray(start, dtype=float), "ks", ms=6, label="start")
    if minimum is not None:
        ax.plot(*minimum, "r*", ms=13, label="minimum")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or f"Optimizer paths ({steps} steps)")
    ax.legend(fontsize=7.5, loc="best", framealpha=0.9)
    return _finish(fig, path)


# ------------------------------------------------------------------ learning-rate schedules
def lr_schedule(make_scheduler, steps, lr=0.1, plateau_metric=1.0):
    """The learning rate a schedule gives at each of `steps` scheduler steps (its value
    before each step, starting with the initial lr), on a throw-away optimizer with base
    lr `lr`. `make_scheduler(optimizer)` builds the scheduler; ReduceLROnPlateau is fed a
    constant `plateau_metric`, i.e. a loss that never improves."""
    opt = optim.SGD([Parameter(Tensor(np.zeros(1)))], lr=lr)
    sched = make_scheduler(opt)
    plateau = type(sched).__name__ == "ReduceLROnPlateau"
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        sched.step(plateau_metric) if plateau else sched.step()
    return out


def plot_lr_schedule(schedules, steps=100, lr=0.1, log=False, xlabel="step", path=None,
                     ax=None, title="Learning-rate schedules"):
    """Each schedule's lr over `steps`: schedules is {label: make_scheduler(optimizer)}
    (or one factory); see `lr_schedule`."""
    plt = _plt()
    if callable(schedules):
        schedules = {"schedule": schedules}
    fig, ax = (plt.subplots(figsize=(7, 4.2)) if ax is None else (ax.figure, ax))
    for label, make in schedules.items():
        ax.plot(np.arange(steps), lr_schedule(make, steps, lr), label=str(label))
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel="learning rate" + (" (log scale)" if log else ""),
           title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig, path)


# ------------------------------------------------------------------ sweeps
def plot_sweep(results, color_by=None, style_by=None, x="iteration", n_train=None,
               log=False, smooth=1, ylim=None, title="Sweep: training loss", path=None):
    """Every run of a SweepResults (or a list of its rows) on one figure: one grid key by
    colour (`color_by`, default the first key), another by line style (`style_by`,
    default the second), against "iteration", "epoch" or "samples" seen (the rows'
    `batch_size`, and `n_train` = the training-set size for exact epochs, or rows that
    carry `curve_epoch`, the epoch number of each iteration; see `loss_axis`)."""
    plt = _plt()
    rows = list(results)
    keys = list(getattr(results, "keys", [k for k in rows[0] if k not in (
        "final_loss", "best_val_metric", "time_s", "diverged", "curve", "error")]) if rows
        else [])
    color_by = color_by or (keys[0] if keys else None)
    style_by = style_by or next((k for k in keys if k != color_by), None)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", ":", "-."]

    def values(k):  # the distinct values of grid key k, in the sweep's order
        return list(dict.fromkeys(r.get(k) for r in rows)) if k else [None]

    color_of = {v: colors[i % len(colors)] for i, v in enumerate(values(color_by))}
    style_of = {v: styles[i % len(styles)] for i, v in enumerate(values(style_by))}
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    xlabel = x
    for r in rows:
        if x == "epoch" and n_train is None and "curve_epoch" in r:
            # the epoch of every iteration, when the sweep recorded it
            losses = np.asarray(r.get("curve", []), dtype=np.float64)
            xs, xlabel = _epoch_of_iterations(r["curve_epoch"]), "epoch"
        else:
            xs, losses, xlabel = loss_axis(r.get("curve", []), x,
                                           r.get("batch_size") if x != "iteration" else None,
                                           n_train)
        parts = [f"{k}={r.get(k):g}" if isinstance(r.get(k), float) else f"{k}={r.get(k)}"
                 for k in (color_by, style_by) if k]
        parts += [f"{k}={r[k]}" for k in keys if k not in (color_by, style_by)]
        ax.plot(xs, _smooth(losses, smooth), color=color_of[r.get(color_by)],
                ls=style_of[r.get(style_by)], label=", ".join(parts)
                + (" (diverged)" if r.get("diverged") else ""))
    if log:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    enc = ", ".join(f"{what}: {k}" for what, k in (("colour", color_by), ("line style",
                                                                         style_by)) if k)
    ax.set(xlabel=xlabel, ylabel="training loss" + (" (log scale)" if log else ""),
           title=title + (f" ({enc})" if enc else ""))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(rows) > 6 else 1)
    return _finish(fig, path)


# ------------------------------------------------------------------ per-layer gradient norms
def parameter_grad_norms(model):
    """{parameter name: L2 norm of its .grad} of a model after backward (0 when it has no
    gradient): one snapshot of where the gradient is large or vanishing."""
    out = {}
    for name, p in model.named_parameters():
        g = p.grad
        out[name] = 0.0 if g is None else float(np.linalg.norm(
            np.asarray(g.numpy(), dtype=np.float64)))
    return out


def _per_parameter_series(source):
    """{name: per-iteration norms} from a dict, or from a History that recorded them
    (`param_grad_norms` attribute, or iterations keys "grad_norm/<name>")."""
    if isinstance(source, dict):
        return source
    found = dict(getattr(source, "param_grad_norms", None) or {})
    if not found:
        its = getattr(source, "iterations", {})
        found = {k.split("/", 1)[1]: v for k, v in its.items() if k.startswith("grad_norm/")}
    if not found:
        raise ValueError("plot_layer_grad_norms: this History has no per-parameter gradient "
                         "norms; train with fit(..., record_param_grad_norms=True) or pass "
                         "{name: [norm per iteration]} (e.g. collected with "
                         "parameter_grad_norms(model) in a callback)")
    return found


def plot_layer_grad_norms(norms, path=None, title="Gradient norm per parameter", ax=None,
                          xlabel="iteration", weights_only=False):
    """Per-parameter gradient norms (log scale).

    norms: {name: float} (one snapshot, e.g. `parameter_grad_norms(model)`: a bar per
    parameter, first layer on the left - the depth profile that shows vanishing or
    exploding gradients), or {name: [norm per iteration]} / a History that recorded them:
    one line per parameter over training. `weights_only` leaves out biases (names ending
    in "bias")."""
    plt = _plt()
    series = _per_parameter_series(norms)
    if weights_only:
        series = {k: v for k, v in series.items() if not k.endswith("bias")}
    fig, ax = (plt.subplots(figsize=(7.5, 4.2)) if ax is None else (ax.figure, ax))
    snapshot = all(np.ndim(v) == 0 for v in series.values())
    if snapshot:
        names, vals = list(series), np.array([float(v) for v in series.values()])
        ax.bar(np.arange(len(names)), np.where(vals > 0, vals, np.nan), color="tab:blue")
        ax.set_xticks(np.arange(len(names)), names, rotation=45, ha="right", fontsize=8)
        ax.set(xlabel="parameter (input side on the left)")
        for i, v in enumerate(vals):
            ax.annotate(f"{v:.3g}", (i, v if v > 0 else 1), ha="center", va="bottom",
                        fontsize=7)
    else:
        cmap = plt.get_cmap("viridis")
        for i, (name, vals) in enumerate(series.items()):
            vals = np.asarray(vals, dtype=np.float64)
            ax.plot(np.arange(1, len(vals) + 1), vals, label=name,
                    color=cmap(i / max(len(series) - 1, 1)))
        ax.set(xlabel=xlabel)
        ax.legend(fontsize=7, ncol=2 if len(series) > 6 else 1)
    ax.set_yscale("log")
    ax.set(ylabel="||grad|| (log scale)", title=title)
    ax.grid(alpha=0.3, which="both")
    return _finish(fig, path)


# ------------------------------------------------------------------ a loss and its derivative
def _elementwise_loss(loss, x, target_value):
    """Per-element values of `loss` at the inputs x: a one-argument function of x, or a
    loss Module (e.g. nn.HuberLoss()) called with target `target_value` and reduction
    'none'."""
    if hasattr(loss, "reduction"):
        target = Tensor(np.full(x.shape, target_value, dtype=np.float64))
        saved, loss.reduction = loss.reduction, "none"
        try:
            return loss(x, target)
        finally:
            loss.reduction = saved
    return loss(x)


def plot_loss_function(losses, kind="residual", span=(-3.0, 3.0), points=601, path=None,
                       title=None):
    """Each loss (left) and its derivative by autograd (right) against the residual
    r = prediction - target (kind="residual", loss Modules get target 0) or against the
    margin m = y * f(x) (kind="margin", loss Modules get label y = +1, so input = m).

    losses: {label: loss Module or function of one Tensor returning per-element losses}.
    A loss without a gradient (the 0-1 loss) gets a derivative of 0 (its value almost
    everywhere), labelled so.
    """
    if kind not in ("residual", "margin"):
        raise ValueError(f"plot_loss_function: kind must be 'residual' or 'margin', got "
                         f"{kind!r}")
    plt = _plt()
    grid = np.linspace(*span, points)
    fig, (ax, dax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, loss in losses.items():
        x = Tensor(grid.copy(), requires_grad=True)
        values = _elementwise_loss(loss, x, 0.0 if kind == "residual" else 1.0)
        try:
            values.sum().backward()
            deriv, note = x.grad.numpy(), ""
        except RuntimeError:
            deriv, note = np.zeros_like(grid), " (no gradient: 0 almost everywhere)"
        line, = ax.plot(grid, values.numpy(), label=str(label))
        dax.plot(grid, deriv, color=line.get_color(), label=f"{label}{note}")
    name = "residual r = prediction - target" if kind == "residual" else \
        "margin m = y f(x) (> 0: right side of the boundary)"
    ax.set(xlabel=name, ylabel="loss", title=title or f"Losses against the {kind}")
    dax.set(xlabel=name, ylabel=f"d loss / d {'r' if kind == 'residual' else 'm'}",
            title="Their derivatives (what gradient descent feels)")
    for a in (ax, dax):
        a.axvline(0, color="gray", lw=0.6)
        a.axhline(0, color="gray", lw=0.6)
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    return _finish(fig, path)


# ------------------------------------------------------------------ classifiers on 2-D data
def plot_decision_boundary(model, X, y, resolution=200, padding=0.5, path=None, ax=None,
                           title="Decision boundary"):
    """The classes a model predicts over the plane (shaded) with the data points on top.

    X: (n, 2) points, y: (n,) labels. The model maps (m, 2) inputs to class scores (m, C)
    (prediction: argmax) or to one score per point ((m,) or (m, 1); prediction: score >
    0, i.e. a logit). It is evaluated in eval mode without gradients."""
    Xa = np.asarray(X.numpy() if hasattr(X, "numpy") else X, dtype=np.float64)
    ya = np.asarray(y.numpy() if hasattr(y, "numpy") else y).reshape(-1)
    if Xa.ndim != 2 or Xa.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {Xa.shape}")
    if len(ya) != len(Xa):
        raise ValueError(f"plot_decision_boundary: X has {len(Xa)} points but y has "
                         f"{len(ya)} labels")
    plt = _plt()
    lo, hi = Xa.min(0) - padding, Xa.max(0) + padding
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    dtype = next((p.dtype for p in model.parameters()), np.float32) \
        if hasattr(model, "parameters") else np.float32
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():  # the grid and the data points in one call
            scores = np.asarray(model(Tensor(np.concatenate([grid, Xa]).astype(dtype)))
                                .numpy(), dtype=np.float64)
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    if scores.ndim == 2 and scores.shape[1] > 1:
        pred = scores.argmax(1)
    else:
        pred = (scores.reshape(-1) > 0).astype(int)
    pred, pred_data = pred[:len(grid)], pred[len(grid):]
    fig, ax = (plt.subplots(figsize=(6, 5)) if ax is None else (ax.figure, ax))
    cmap = plt.get_cmap("tab10")
    ax.contourf(gx, gy, pred.reshape(gx.shape), levels=np.arange(11) - 0.5, cmap=cmap,
                vmin=-0.5, vmax=9.5, alpha=0.25)
    for c in np.unique(ya):
        mask = ya == c
        ax.scatter(Xa[mask, 0], Xa[mask, 1], s=12, color=cmap(int(c) % 10),
                   edgecolors="k", linewidths=0.3, label=f"class {int(c)}")
    right = float(np.mean(pred_data == ya))
    ax.set(xlabel="x1", ylabel="x2", title=f"{title} (training accuracy {100 * right:.3g}%)")
    ax.legend(fontsize=8, loc="best")
    return _finish(fig, path)

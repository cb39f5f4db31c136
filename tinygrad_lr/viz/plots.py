"""Plots of training runs (matplotlib, an optional extra: `pip install tinygrad-lr[plot]`).

Each function returns the matplotlib Figure and, given `path`, saves it as a PNG.
matplotlib is imported inside the functions, so the package works without it.
"""
import numpy as np

__all__ = ["plot_history", "plot_loss_curves", "plot_lr_find", "plot_grad_norms",
           "loss_landscape", "plot_loss_landscape"]


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


def plot_loss_curves(runs, path=None, log=False, smooth=1, title="Training loss",
                     xlabel="iteration"):
    """Several runs' loss curves on one figure.

    runs: {label: History or list of per-iteration losses}. `smooth` > 1 draws a moving
    average over that many iterations; `log=True` uses a log scale for the loss.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, run in runs.items():
        losses = run.loss if hasattr(run, "loss") else run
        losses = np.asarray(losses, dtype=np.float64)
        ax.plot(np.arange(1, len(losses) + 1), _smooth(losses, smooth), label=str(label))
        if len(losses) and not np.isfinite(losses[-1]):
            ax.annotate("diverged", (len(losses), np.nanmax(losses[np.isfinite(losses)])))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if runs:
        ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_history(history, path=None, log_loss=False):
    """One run: loss per iteration with per-epoch train/val loss, lr, gradient norm."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    it = np.arange(1, len(history.loss) + 1)
    ax = axes[0]
    ax.plot(it, history.loss, alpha=0.35, label="batch loss")
    if history.epochs:
        ends = np.cumsum(np.bincount(np.asarray(history.iterations["epoch"], int))[1:])
        ends = ends[:len(history.epochs)]
        ax.plot(ends, history.epoch_values("train_loss"), "o-", label="train loss (epoch)")
        if "val_loss" in history.epochs[0]:
            ax.plot(ends, history.epoch_values("val_loss"), "s-", label="val loss (epoch)")
    if log_loss:
        ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel="loss", title="Loss")
    ax.legend(fontsize=8)
    axes[1].plot(it, history.lr)
    axes[1].set(xlabel="iteration", ylabel="learning rate", title="Learning rate")
    axes[2].plot(it, history.grad_norm)
    axes[2].set(xlabel="iteration", ylabel="||grad||", title="Global gradient norm")
    axes[2].set_yscale("log")
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

    The smoothed curve is a moving average of past steps, so it lags the raw loss: its
    minimum sits to the right of the raw loss's. Each suggestion is read at the lr its
    smoothed point is centred on (the title says by how much that shifts it)."""
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
                 f"~{result.lag_steps:.3g} steps (x{lag:.3g} in lr):\nthe lines mark "
                 "where the smoothed curve's points are centred")
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
    from ..autograd.grad_mode import no_grad

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

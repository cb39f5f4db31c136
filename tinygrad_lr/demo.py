"""`python -m tinygrad_lr demo`: what the learning rate does, in a few seconds.

(a) Fit y = 4 + 3x + noise by plain gradient descent - tensors, backward, and a manual
    update `w -= lr * w.grad` - at learning rates that are too small, good, oscillating
    and diverging, next to the exact answer of the normal equation. The figure shows the
    data with the fitted lines, the loss curves against the exact minimum, the paths of
    (w, b) on the contour map of the loss, and w step by step.
(b) Train an MLP on the built-in 8x8 digits at three learning rates and compare the
    final loss, test accuracy and time; the figure marks chance level and the epochs.
"""
import math
import os
import time

import numpy as np

import tinygrad_lr as tl

from . import nn, optim
from .data import DataLoader, TensorDataset, datasets, random_split
from .train import fit, linear_regression_normal_equation
from .viz.plots import _finish, _plt, plot_loss_curves, until_outside

GD_LRS = (("too small", 0.01), ("good", 0.2), ("oscillating", 0.4), ("diverging", 0.45))
MLP_LRS = (0.005, 0.1, 1.5)
DIVERGED_LOSS = 1e12  # gradient descent is stopped once the loss passes this


def gradient_descent(X, y, lr, steps, tol_loss):
    """Full-batch gradient descent on the mean squared error of y ~ X w + b, from w = b = 0.

    Returns (losses, w, b, steps needed to get below tol_loss or None, the path of
    (w, b) as an array of shape (steps + 1, 2))."""
    w = tl.zeros((X.shape[1], 1), requires_grad=True)
    b = tl.zeros(1, requires_grad=True)
    losses, reached, path = [], None, [(0.0, 0.0)]
    for step in range(1, steps + 1):
        loss = ((X @ w + b - y) ** 2).mean()
        value = loss.item()
        losses.append(value)
        if not math.isfinite(value) or value > DIVERGED_LOSS:
            break  # diverged: the next steps only make it bigger
        if reached is None and value <= tol_loss:
            reached = step
        loss.backward()
        with tl.no_grad():  # the update itself is not part of the graph
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
        path.append((w.item(), b.item()))
    return losses, w, b, reached, np.array(path)


def describe_path(path, losses):
    """How (w, b) moved: 'monotone' (every step goes on in the direction of the last),
    'oscillating' (steps keep reversing - a zig-zag across the valley - and shrink) or
    'diverging' (the zig-zag grows). A turn is a step whose direction is more than 90
    degrees from the previous one's."""
    steps = np.diff(path[:61], axis=0)
    turns = int(np.sum(np.einsum("ij,ij->i", steps[1:], steps[:-1]) < 0))
    if losses[-1] > losses[0] or not math.isfinite(losses[-1]):
        size = np.linalg.norm(steps, axis=1)
        return f"diverging: zig-zag grows x{size[-1] / size[0]:.3g} in {len(size)} steps"
    if turns <= 2:  # one overshoot of a coupled (w, b) pair is not yet an oscillation
        return "monotone" + (f" ({turns} overshoot{'s' * (turns > 1)})" if turns else "")
    return f"oscillating, damped ({turns} turns in {len(steps)} steps)"


def _table(header, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines = [line.rstrip() for line in lines]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def part_a(steps=300, echo=print):
    """Gradient descent at the four rates of GD_LRS; returns what the figure needs."""
    X, y = datasets.linear_regression(100, seed=0)
    w_exact, b_exact = linear_regression_normal_equation(X, y)
    best = ((X @ w_exact.reshape(1, 1) + b_exact - y) ** 2).mean().item()
    tol = best * 1.01
    echo("(a) Gradient descent on y = 4 + 3x + noise (100 points, full batch, MSE, "
         "from w = b = 0)")
    echo(f"    normal equation (exact): w = {w_exact.item():.4g}, b = {b_exact.item():.4g}, "
         f"loss = {best:.4g}; 'steps to 1%' = first step with loss within 1% of it\n")
    rows, runs = [], {}
    for label, lr in GD_LRS:
        losses, w, b, reached, path = gradient_descent(X, y, lr, steps, tol)
        final = losses[-1]
        diverged = not math.isfinite(final) or final > losses[0]
        rows.append([f"{lr:g} ({label})", f"{final:.4g}", reached or f"> {steps}",
                     describe_path(path, losses),
                     "-" if diverged else f"w={w.item():.3f} b={b.item():.3f}"])
        runs[lr] = {"label": label, "losses": losses, "path": path, "diverged": diverged}
    rows.append(["normal equation", f"{best:.4g}", "0 (closed form)", "-",
                 f"w={w_exact.item():.3f} b={b_exact.item():.3f}"])
    echo(_table(["learning rate", "final loss", "steps to 1%", "how (w, b) moves",
                 "fitted"], rows))
    return {"X": X.numpy(), "y": y.numpy(), "w": w_exact.item(), "b": b_exact.item(),
            "best": best, "runs": runs}


def _warm_up(dataset):
    """One training step of a throwaway MLP: Numba's kernels load (or compile) on first
    use, and that time should not be charged to the first learning rate of the table."""
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    x, y = next(iter(DataLoader(dataset, batch_size=32)))
    nn.CrossEntropyLoss()(model(x), y).backward()
    opt.step()


def part_b(epochs=12, n_samples=None, seed=0, echo=print):
    """The MLP on the digits at the rates of MLP_LRS; returns {label: History}."""
    X, y = datasets.load_digits()
    if n_samples:
        X, y = X[:n_samples], y[:n_samples]
    train, test = random_split(TensorDataset(X, y), [0.8, 0.2], seed=seed)
    echo(f"\n(b) MLP 64-64-10 on the built-in digits ({len(train)} train / {len(test)} test "
         f"images), SGD with momentum 0.9, batch 32 ({math.ceil(len(train) / 32)} iterations "
         f"per epoch), {epochs} epochs; chance = 10% accuracy, loss ln 10 = 2.303")
    _warm_up(train)
    rows, histories = [], {}
    for lr in MLP_LRS:
        tl.manual_seed(seed)  # same initial weights and batch order for every lr
        model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        loader = DataLoader(train, batch_size=32, shuffle=True, seed=seed)
        start = time.perf_counter()
        history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs, progress=False,
                      val_loader=DataLoader(test, batch_size=512), metrics=["accuracy"])
        elapsed = time.perf_counter() - start
        acc = history.epochs[-1]["val_accuracy"] if history.epochs and not \
            history.diverged else float("nan")
        histories[f"lr={lr:g}"] = history
        rows.append([f"{lr:g}", "diverged" if history.diverged else
                     f"{history.final_loss:.3g}",
                     "-" if math.isnan(acc) else f"{100 * acc:.3g}%", f"{elapsed:.2g}s"])
    echo(_table(["learning rate", "final train loss", "test accuracy", "time"], rows))
    return histories


# ------------------------------------------------------------------ figures
def plot_gradient_descent(gd, path=None):
    """Four panels: the data with each fitted line, the loss curves (a readable scale,
    the diverging run clipped, the exact minimum as a reference), the (w, b) paths on the
    loss's contour map, and w step by step (monotone, zig-zag, growing zig-zag)."""
    plt = _plt()
    X, y, runs = gd["X"][:, 0], gd["y"][:, 0], gd["runs"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    colors = {lr: f"C{i}" for i, lr in enumerate(runs)}

    ax = axes[0, 0]
    ax.scatter(X, y, s=10, color="gray", alpha=0.6, label="data")
    xs = np.array([0.0, 2.0])
    for lr, run in runs.items():
        if not run["diverged"]:
            w, b = run["path"][-1]
            ax.plot(xs, w * xs + b, color=colors[lr],
                    label=f"lr={lr:g} ({run['label']}): y = {b:.3g} + {w:.3g}x")
    ax.plot(xs, gd["w"] * xs + gd["b"], "k--", lw=1,
            label=f"normal equation: y = {gd['b']:.3g} + {gd['w']:.3g}x")
    ax.set(xlabel="x", ylabel="y", title="Data and the fitted lines (diverged run left out)")
    ax.legend(fontsize=7.5)

    ax = axes[0, 1]
    curves = {f"lr={lr:g} ({run['label']})": run["losses"] for lr, run in runs.items()}
    start = max(run["losses"][0] for run in runs.values())
    plot_loss_curves(curves, log=True, ylim=(gd["best"] * 0.7, start * 3), ax=ax,
                     reference=(gd["best"], f"normal equation: {gd['best']:.3g}"),
                     title="Loss (log scale; the diverging run leaves the top)")
    for line, lr in zip(ax.lines, runs):
        line.set_color(colors[lr])

    ax = axes[1, 0]
    gw, gb = np.meshgrid(np.linspace(-0.5, 6.5, 160), np.linspace(-1.0, 7.5, 160))
    pred = gw[..., None] * X + gb[..., None]  # (160, 160, n): every (w, b) at once
    mse = ((pred - y) ** 2).mean(-1)
    ax.contour(gw, gb, mse, levels=np.geomspace(gd["best"] * 1.02, mse.max(), 25),
               cmap="viridis", linewidths=0.6)
    for lr, run in reversed(runs.items()):  # the diverging path underneath the others
        p = until_outside(run["path"][:60], (-0.5, -1.0), (6.5, 7.5))
        ax.plot(p[:, 0], p[:, 1], "o-", ms=2.5, lw=0.9, color=colors[lr],
                label=f"lr={lr:g} ({run['label']})" + (": leaves the plot" if
                                                        run["diverged"] else ""))
    ax.plot(gd["w"], gd["b"], "r*", ms=12, label="exact minimum")
    ax.set_xlim(-0.5, 6.5)
    ax.set_ylim(-1.0, 7.5)
    ax.set(xlabel="w (slope)", ylabel="b (intercept)",
           title="Paths of (w, b) on the MSE contour (first 60 steps)")
    ax.legend(fontsize=7.5, loc="upper right")

    ax = axes[1, 1]
    for lr, run in runs.items():
        w = until_outside(run["path"][:61, 0], -2, 9)[:, 0]
        ax.plot(np.arange(len(w)), w, ".-", ms=3, lw=0.9, color=colors[lr],
                label=f"lr={lr:g} ({run['label']})" + (": leaves the plot" if
                                                        run["diverged"] else ""))
    ax.axhline(gd["w"], color="k", ls="--", lw=1, label=f"exact w = {gd['w']:.3g}")
    ax.set_ylim(-2, 9)
    ax.set(xlabel="step", ylabel="w",
           title="w step by step: creeping, settling, zig-zag, growing zig-zag")
    ax.legend(fontsize=7.5, loc="upper right")
    for a in axes.flat:
        a.grid(alpha=0.3)
    fig.suptitle("Gradient descent on y = 4 + 3x + noise at four learning rates")
    return _finish(fig, path)


def plot_digits(histories, path=None):
    """Training loss against epochs (epoch boundaries and chance level marked) and the
    test accuracy per epoch (chance: 10%)."""
    plt = _plt()
    fig, (ax, acc_ax) = plt.subplots(1, 2, figsize=(12, 4.3))
    chance_loss = math.log(10)
    top = chance_loss * 1.6
    plot_loss_curves(histories, x="epoch", smooth=10, ylim=(0, top), ax=ax,
                     reference=(chance_loss, f"chance: ln 10 = {chance_loss:.3g}"),
                     title="Training loss (moving average of 10 batches)")
    epochs = max(len(h.epochs) for h in histories.values())
    for e in range(1, epochs):
        ax.axvline(e, color="gray", lw=0.5, ls=":")
    for label, h in histories.items():
        acc = [100 * v for v in h.epoch_values("val_accuracy")]
        acc_ax.plot(np.arange(1, len(acc) + 1), acc, "o-", ms=3, label=label)
    acc_ax.axhline(10, color="black", ls="--", lw=1, label="chance: 10%")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", ylim=(0, 102),
               title="Test accuracy after each epoch")
    acc_ax.grid(alpha=0.3)
    acc_ax.legend(fontsize=8)
    fig.suptitle("MLP on the 8x8 digits at three learning rates (SGD, momentum 0.9)")
    return _finish(fig, path)


def main(out="demo_out", quick=False, plot=True, echo=print):
    """Run both parts; returns the path of the digits figure (None without matplotlib or
    with plot=False)."""
    start = time.perf_counter()
    gd = part_a(steps=100 if quick else 300, echo=echo)
    histories = part_b(epochs=2 if quick else 12, n_samples=400 if quick else None, echo=echo)
    path = None
    if plot:
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            echo(f"\n(no figures: {e}; pip install tinygrad-lr[plot])")
            plot = False
    if plot:
        os.makedirs(out, exist_ok=True)
        gd_path = os.path.join(out, "gradient_descent.png")
        path = os.path.join(out, "loss_curves.png")
        plt.close(plot_gradient_descent(gd, gd_path))
        plt.close(plot_digits(histories, path))
        echo(f"\nfigures written to {gd_path} and {path}")
    echo(f"demo finished in {time.perf_counter() - start:.2g}s")
    return path

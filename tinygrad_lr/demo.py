"""`python -m tinygrad_lr demo`: what the learning rate does, in under a minute.

(a) Fit y = 4 + 3x + noise by plain gradient descent - tensors, backward, and a manual
    update `w -= lr * w.grad` - at learning rates that are too small, good, oscillating
    and diverging, next to the exact answer of the normal equation.
(b) Train an MLP on the built-in 8x8 digits at three learning rates and compare the
    final loss, test accuracy and time (and, with matplotlib, plot the loss curves).
"""
import math
import os
import time

import numpy as np

import tinygrad_lr as tl

from . import nn, optim
from .data import DataLoader, TensorDataset, datasets, random_split
from .train import accuracy, fit, linear_regression_normal_equation

GD_LRS = (("too small", 0.01), ("good", 0.2), ("oscillating", 0.4), ("diverging", 0.45))
MLP_LRS = (0.005, 0.1, 1.5)


def gradient_descent(X, y, lr, steps, tol_loss):
    """Full-batch gradient descent on the mean squared error of y ~ X w + b.

    Returns (losses, w, b, steps needed to get below tol_loss or None, the path of w)."""
    w = tl.zeros((X.shape[1], 1), requires_grad=True)
    b = tl.zeros(1, requires_grad=True)
    losses, reached, path = [], None, [0.0]
    for step in range(1, steps + 1):
        loss = ((X @ w + b - y) ** 2).mean()
        value = loss.item()
        losses.append(value)
        if not math.isfinite(value) or value > 1e12:
            break  # diverged: the next steps only make it bigger
        if reached is None and value <= tol_loss:
            reached = step
        loss.backward()
        with tl.no_grad():  # the update itself is not part of the graph
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
        path.append(w._data.item())
    return losses, w, b, reached, path


def _describe_path(path):
    """How w moved: steadily, or zig-zagging across the optimum (sign flips of its steps)."""
    steps = np.diff(np.asarray(path[:60]))
    flips = int(np.sum(np.sign(steps[1:]) * np.sign(steps[:-1]) < 0))
    return "steady" if flips == 0 else f"zig-zag ({flips} turns)"


def _table(header, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def part_a(steps=300, echo=print):
    X, y = datasets.linear_regression(100, seed=0)
    w_exact, b_exact = linear_regression_normal_equation(X, y)
    best = ((X @ w_exact.reshape(1, 1) + b_exact - y) ** 2).mean().item()
    tol = best * 1.01
    echo("(a) Gradient descent on y = 4 + 3x + noise (100 points, full batch, MSE)")
    echo(f"    normal equation (exact): w = {w_exact.item():.4f}, b = {b_exact.item():.4f}, "
         f"loss = {best:.4f}; 'steps' = first step with loss within 1% of it\n")
    rows, results = [], {}
    for label, lr in GD_LRS:
        losses, w, b, reached, path = gradient_descent(X, y, lr, steps, tol)
        final = losses[-1]
        diverged = not math.isfinite(final) or final > losses[0]
        rows.append([f"{lr:g} ({label})", f"{final:.4g}", reached or f"> {steps}",
                     "yes" if diverged else "no", _describe_path(path),
                     "-" if diverged else f"w={w.item():.3f} b={b.item():.3f}"])
        results[lr] = losses
    rows.append(["normal equation", f"{best:.4g}", "0 (closed form)", "no", "-",
                 f"w={w_exact.item():.3f} b={b_exact.item():.3f}"])
    echo(_table(["learning rate", "final loss", "steps to 1%", "diverged", "w moves",
                 "fitted"], rows))
    return results


def part_b(epochs=12, n_samples=None, seed=0, echo=print):
    X, y = datasets.load_digits()
    if n_samples:
        X, y = X[:n_samples], y[:n_samples]
    train, test = random_split(TensorDataset(X, y), [0.8, 0.2], seed=seed)
    X_test, y_test = test[np.arange(len(test))]
    echo(f"\n(b) MLP 64-64-10 on the built-in digits ({len(train)} train / {len(test)} test "
         f"images), SGD with momentum 0.9, batch 32, {epochs} epochs")
    rows, histories = [], {}
    for lr in MLP_LRS:
        tl.manual_seed(seed)  # same initial weights and batch order for every lr
        model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        loader = DataLoader(train, batch_size=32, shuffle=True, seed=seed)
        start = time.perf_counter()
        history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs, progress=False)
        elapsed = time.perf_counter() - start
        model.eval()
        with tl.no_grad():
            acc = accuracy(model(X_test), y_test) if not history.diverged else float("nan")
        histories[f"lr={lr:g}"] = history
        rows.append([f"{lr:g}", f"{history.final_loss:.4f}" if not history.diverged else
                     "diverged", f"{100 * acc:.1f}%" if acc == acc else "-",
                     f"{elapsed:.1f}s"])
    echo(_table(["learning rate", "final train loss", "test accuracy", "time"], rows))
    return histories


def main(out="demo_out", quick=False, plot=True, echo=print):
    """Run both parts; returns the path of the loss-curve PNG (or None without matplotlib)."""
    start = time.perf_counter()
    gd = part_a(steps=100 if quick else 300, echo=echo)
    histories = part_b(epochs=2 if quick else 12, n_samples=400 if quick else None, echo=echo)
    path = None
    if plot:
        try:
            from .viz.plots import plot_loss_curves
        except ImportError:
            plot = False
    if plot:
        try:
            os.makedirs(out, exist_ok=True)
            path = os.path.join(out, "loss_curves.png")
            fig = plot_loss_curves(histories, path=path, smooth=10, title="MLP on digits: "
                                   "training loss at three learning rates")
            gd_path = os.path.join(out, "gradient_descent.png")
            fig2 = plot_loss_curves({f"lr={lr:g}": v for lr, v in gd.items()}, path=gd_path,
                                    log=True, xlabel="step", title="Gradient descent on "
                                    "y = 4 + 3x + noise")
            import matplotlib.pyplot as plt

            plt.close(fig)
            plt.close(fig2)
            echo(f"\nloss curves written to {path} and {gd_path}")
        except ImportError as e:
            echo(f"\n(no plots: {e})")
            path = None
    echo(f"demo finished in {time.perf_counter() - start:.1f}s")
    return path

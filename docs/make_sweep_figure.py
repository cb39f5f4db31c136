"""Regenerates docs/sweep_learning_rates.png, the sweep picture in the README:
four learning rates of SGD on the built-in digits, run through `sweep` (process pool)."""
import os

from tinygrad_lr.train import sweep

if __name__ == "__main__":  # the process pool needs the guard
    grid = {"lr": [0.001, 0.03, 0.3, 3.0]}
    results = sweep({"model": "mlp", "dataset": "digits", "optimizer": "sgd", "epochs": 5,
                     "batch_size": 64}, grid)
    print(results.table())
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep_learning_rates.png")
    fig = results.plot(log=True)
    fig.axes[0].set_title("SGD on digits, 5 epochs: too small, slow, good, too large")
    fig.savefig(out, dpi=100, bbox_inches="tight")
    print("wrote", out)

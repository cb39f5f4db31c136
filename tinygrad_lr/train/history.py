"""History: everything a training run recorded, per iteration and per epoch."""
import csv
import json
import math


class History:
    """What `fit` recorded.

    - `iterations`: dict of equal-length lists, one entry per optimizer step:
      `epoch`, `loss` (the mini-batch loss), `lr` (the learning rate used for that step)
      and `grad_norm` (global L2 norm of all parameter gradients before the step).
    - `epochs`: list of dicts, one per finished epoch: `epoch`, `train_loss` (mean of the
      batch losses), `val_loss` and metrics (e.g. `val_accuracy`) when computed, `time_s`.
    - `stop_reason`: None, or why training stopped early (NaN loss, EarlyStopping, ...).
    """

    def __init__(self):
        self.iterations = {"epoch": [], "loss": [], "lr": [], "grad_norm": []}
        self.epochs = []
        self.stop_reason = None
        self.diverged = False

    # ------------------------------------------------------------ recording
    def log_iteration(self, epoch, loss, lr, grad_norm):
        it = self.iterations
        it["epoch"].append(epoch)
        it["loss"].append(loss)
        it["lr"].append(lr)
        it["grad_norm"].append(grad_norm)

    def log_epoch(self, row):
        self.epochs.append(dict(row))

    # ------------------------------------------------------------ reading
    @property
    def loss(self):
        """Per-iteration training losses."""
        return self.iterations["loss"]

    @property
    def lr(self):
        return self.iterations["lr"]

    @property
    def grad_norm(self):
        return self.iterations["grad_norm"]

    def epoch_values(self, key):
        """One value per epoch, e.g. `history.epoch_values("val_loss")`."""
        return [row.get(key, math.nan) for row in self.epochs]

    @property
    def final_loss(self):
        """Training loss of the last epoch (NaN if no epoch finished)."""
        return self.epochs[-1]["train_loss"] if self.epochs else math.nan

    def __len__(self):
        return len(self.epochs)

    def __repr__(self):
        last = ", ".join(f"{k}={v:.4g}" for k, v in (self.epochs[-1] if self.epochs else {}
                                                      ).items() if k != "epoch")
        stop = f", stopped: {self.stop_reason}" if self.stop_reason else ""
        return (f"History({len(self.epochs)} epochs, {len(self.loss)} iterations"
                f"{'; last: ' + last if last else ''}{stop})")

    # ------------------------------------------------------------ saving
    def to_csv(self, path, per="epoch"):
        """Write one row per epoch (`per="epoch"`) or per iteration (`per="iteration"`)."""
        if per == "epoch":
            keys = []
            for row in self.epochs:
                keys += [k for k in row if k not in keys]
            rows = self.epochs
        elif per == "iteration":
            keys = ["iteration"] + list(self.iterations)
            rows = [dict(iteration=i, **{k: v[i] for k, v in self.iterations.items()})
                    for i in range(len(self.loss))]
        else:
            raise ValueError(f"to_csv: per must be 'epoch' or 'iteration', got {per!r}")
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys or ["epoch"])
            writer.writeheader()
            writer.writerows(rows)
        return path

    def to_dict(self):
        return {"iterations": self.iterations, "epochs": self.epochs,
                "stop_reason": self.stop_reason, "diverged": self.diverged}

    def to_json(self, path):
        """Write everything (NaN/inf are written as JSON NaN/Infinity, as Python reads them)."""
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)
        return path

    @classmethod
    def from_json(cls, path):
        with open(path) as f:
            d = json.load(f)
        h = cls()
        h.iterations, h.epochs = d["iterations"], d["epochs"]
        h.stop_reason, h.diverged = d.get("stop_reason"), d.get("diverged", False)
        return h

    def plot(self, path=None, log_loss=False):
        """Loss per iteration (and per epoch, train and val), the lr and the gradient norm;
        returns the matplotlib Figure (saved as PNG when `path` is given)."""
        from ..viz.plots import plot_history

        return plot_history(self, path=path, log_loss=log_loss)

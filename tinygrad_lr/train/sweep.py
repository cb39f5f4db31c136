"""sweep(): train once per point of a grid (learning rates, batch sizes, optimizers,
schedulers, losses) and compare the runs in one table.

Runs go through any `concurrent.futures.Executor`: by default a local process pool with
2 workers. To spread them over many machines with Dask:

    from dask.distributed import Client
    client = Client("scheduler-address:8786")      # or Client() for a local cluster
    results = sweep(config, grid, executor=client.get_executor())

(`pip install "dask[distributed]"`; a Ray or any other Executor works the same way).
Every run seeds the global generator first (`seed` in the grid or the sweep's `seed`),
so the numbers are the same whichever executor runs them. Executors that run tasks in
threads of one process must use a single thread: the global generator and grad mode are
per process.
"""
import csv
import itertools
import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from .. import random as _random
from .history import History

__all__ = ["sweep", "SweepResults", "GRID_KEYS"]

GRID_KEYS = ("lr", "batch_size", "optimizer", "scheduler", "loss", "epochs", "seed")


def _run_one(target, params, seed):
    """One run (module level, so it pickles to a worker process)."""
    from .recipes import best_val_metric, run_config

    _random.manual_seed(params.get("seed", seed))
    start = time.perf_counter()
    if isinstance(target, dict):
        out = run_config({**target, "seed": seed, **params})
    else:
        out = target(**params)
    elapsed = time.perf_counter() - start
    if isinstance(out, History):
        return {**params, "final_loss": out.final_loss, "best_val_metric": best_val_metric(out),
                "time_s": elapsed, "diverged": out.diverged, "curve": list(out.loss)}
    if not isinstance(out, dict):
        raise TypeError(f"sweep: train_fn must return a History or a dict, got "
                        f"{type(out).__name__}")
    curve = list(out.get("curve", []))
    final = out.get("final_loss", curve[-1] if curve else math.nan)
    return {**params, "final_loss": final, "best_val_metric": out.get("best_val_metric", math.nan),
            "time_s": elapsed, "diverged": bool(out.get("diverged", not math.isfinite(final))),
            "curve": curve}


class SweepResults:
    """The sweep's rows (one dict per run: the grid values, final_loss, best_val_metric,
    time_s, diverged, curve = per-iteration losses)."""

    COLUMNS = ("final_loss", "best_val_metric", "time_s", "diverged")

    def __init__(self, rows, keys):
        self.rows, self.keys = rows, list(keys)

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def best(self, by="best_val_metric"):
        """The run with the highest best_val_metric (by="final_loss": the lowest loss)."""
        ok = [r for r in self.rows if not r["diverged"] and r[by] == r[by]]
        if not ok:
            return None
        return min(ok, key=lambda r: r[by]) if "loss" in by else max(ok, key=lambda r: r[by])

    def table(self):
        head = self.keys + list(self.COLUMNS)
        cells = [[_fmt(r[k]) for k in head] for r in self.rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)

    __str__ = table

    def __repr__(self):
        return f"SweepResults({len(self.rows)} runs over {self.keys})\n" + self.table()

    def to_csv(self, path):
        head = self.keys + list(self.COLUMNS)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(head)
            w.writerows([[r[k] for k in head] for r in self.rows])
        return path

    def plot(self, path=None, log=False):
        """The loss curves of every run on one figure."""
        from ..viz.plots import plot_loss_curves

        curves = {", ".join(f"{k}={_fmt(r[k])}" for k in self.keys): r["curve"]
                  for r in self.rows}
        return plot_loss_curves(curves, path=path, log=log)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def sweep(train_fn, grid, executor=None, seed=0):
    """Run `train_fn` at every combination of the `grid` values; return SweepResults.

    train_fn: a function called as `train_fn(**point)` (e.g. `train_fn(lr=0.1,
      batch_size=32)`) returning a History (or a dict with final_loss, best_val_metric,
      curve, diverged); or a config dict for `recipes.run_config` such as
      `{"model": "mlp", "dataset": "moons", "epochs": 5}` whose keys the grid overrides.
      With a process pool the function must be importable (defined at module level),
      and a script that calls sweep must do so under `if __name__ == "__main__":`
      (the workers import the script; notebooks need no guard).
    grid: {key: [values]} with keys from GRID_KEYS.
    executor: any concurrent.futures.Executor; None = a local ProcessPoolExecutor with 2
      workers (see the module docstring for Dask).
    """
    unknown = [k for k in grid if k not in GRID_KEYS]
    if unknown:
        raise ValueError(f"sweep: unknown grid key(s) {unknown}; allowed keys: "
                         f"{', '.join(GRID_KEYS)}")
    for k, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"sweep: grid[{k!r}] must be a list of values, got {values!r}")
    keys = list(grid)
    points = [dict(zip(keys, combo)) for combo in itertools.product(*grid.values())]
    own = executor is None
    if own:
        # fresh worker processes, not forks: forking a process whose Numba kernels have
        # started OpenMP threads is unsafe (and is refused by GNU OpenMP)
        method = "spawn" if sys.platform == "win32" else "forkserver"
        executor = ProcessPoolExecutor(max_workers=2,
                                       mp_context=multiprocessing.get_context(method))
    try:
        futures = [executor.submit(_run_one, train_fn, p, seed) for p in points]
        rows = [f.result() for f in futures]
    finally:
        if own:
            executor.shutdown()
    return SweepResults(rows, keys)

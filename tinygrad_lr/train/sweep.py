"""sweep(): train once per point of a grid (learning rates, batch sizes, optimizers,
schedulers, losses) and compare the runs in one table.

Runs go through any `concurrent.futures.Executor`: by default a local process pool with
2 workers. To spread them over many machines with Dask:

    from dask.distributed import Client
    client = Client("scheduler-address:8786")      # or Client() for a local cluster
    results = sweep(config, grid, executor=client.get_executor())

(`pip install "dask[distributed]"`; a Ray or any other Executor works the same way).
Every run draws from a random generator of its own, seeded with `seed` from the grid or
the sweep's `seed` (`tl.random.isolated_rng`), and grad mode is per thread, so the numbers
are the same whichever executor runs them: a process pool, a thread pool, `"serial"` (in
the calling thread), or Dask workers with several threads each.

A run that raises, or whose loss diverges, does not stop the sweep: its row records the
error (`"error"`: the exception, or the History's stop reason) with NaN results, and the
other runs' results are returned as usual.
"""
from __future__ import annotations

import csv
import itertools
import math
import multiprocessing
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence

from .. import random as _random
from ..viz.plots import plot_sweep
from .history import History
from .recipes import best_val_metric, run_config

__all__ = ["sweep", "SweepResults", "GRID_KEYS"]

GRID_KEYS = ("lr", "batch_size", "optimizer", "scheduler", "loss", "epochs", "seed")


def _failed(params, error, elapsed=math.nan):
    """The row of a run that produced no result."""
    return {**params, "final_loss": math.nan, "best_val_metric": math.nan, "time_s": elapsed,
            "diverged": False, "error": error, "curve": []}


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"


def _run_one(target, params, seed):
    """One run (module level, so it pickles to a worker process); never raises for an
    error of the run itself: the row records it."""
    start = time.perf_counter()
    try:
        with _random.isolated_rng(params.get("seed", seed)):
            out = _call(target, params, seed)
    except Exception as e:  # noqa: BLE001 - any failure of one configuration is recorded
        return _failed(params, _describe(e), time.perf_counter() - start)
    return {**out, "time_s": time.perf_counter() - start}


def _call(target, params, seed):
    if isinstance(target, dict):
        out = run_config({**target, "seed": seed, **params})
    else:
        out = target(**params)
    if isinstance(out, History):
        return {**params, "final_loss": out.final_loss, "best_val_metric": best_val_metric(out),
                "diverged": out.diverged, "error": out.stop_reason if out.diverged else None,
                "curve": list(out.loss), "curve_epoch": list(out.iterations["epoch"])}
    if not isinstance(out, dict):
        raise TypeError(f"sweep: train_fn must return a History or a dict, got "
                        f"{type(out).__name__}")
    curve = list(out.get("curve", []))
    final = out.get("final_loss", curve[-1] if curve else math.nan)
    diverged = bool(out.get("diverged", not math.isfinite(final)))
    return {**params, "final_loss": final,
            "best_val_metric": out.get("best_val_metric", math.nan), "diverged": diverged,
            "error": out.get("error", "diverged" if diverged else None), "curve": curve}


class SweepResults:
    """The sweep's rows (one dict per run: the grid values, final_loss, best_val_metric,
    time_s, diverged, error = None or why the run failed or diverged, curve =
    per-iteration losses)."""

    COLUMNS = ("final_loss", "best_val_metric", "time_s", "diverged", "error")

    def __init__(self, rows: list[dict[str, Any]], keys: Sequence[str]) -> None:
        self.rows, self.keys = rows, list(keys)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def best(self, by: str = "best_val_metric") -> dict[str, Any] | None:
        """The run with the highest best_val_metric (by="final_loss": the lowest loss)."""
        ok = [r for r in self.rows if not r["diverged"] and not r.get("error")
              and not math.isnan(r[by])]
        if not ok:
            return None
        return min(ok, key=lambda r: r[by]) if "loss" in by else max(ok, key=lambda r: r[by])

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The rows of the runs that failed or diverged."""
        return [r for r in self.rows if r.get("error")]

    def table(self) -> str:
        head = self.keys + list(self.COLUMNS)
        cells = [[_fmt(r.get(k)) for k in head] for r in self.rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)

    __str__ = table

    def __repr__(self) -> str:
        return f"SweepResults({len(self.rows)} runs over {self.keys})\n" + self.table()

    def to_csv(self, path: str | os.PathLike):
        head = self.keys + list(self.COLUMNS)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(head)
            w.writerows([[r.get(k) for k in head] for r in self.rows])
        return path

    def plot(self, path: str | os.PathLike | None = None, log: bool = False,
             color_by: str | None = None, style_by: str | None = None, x: str = "iteration",
             n_train=None) -> Any:
        """The loss curves of every run on one figure: one grid key by colour, another by
        line style, against "iteration", "epoch" or "samples" (see viz.plot_sweep)."""
        return plot_sweep(self, color_by=color_by, style_by=style_by, x=x, n_train=n_train,
                          log=log, path=path)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    if v is None:
        return "-"
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def sweep(train_fn: Callable[..., Any] | dict[str, Any], grid: dict[str, Sequence[Any]],
          executor: Any = None, seed: int = 0) -> SweepResults:
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
      workers; "serial" = one run after the other in this thread (see the module docstring
      for Dask).
    A run that raises or diverges is recorded with its error (see `SweepResults.errors`);
    so is a task the executor itself loses (a worker process that died, a function that
    cannot be pickled).
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
    if isinstance(executor, str):
        if executor != "serial":
            raise ValueError(f"sweep: executor must be an Executor, None or 'serial', got "
                             f"{executor!r}")
        return SweepResults([_run_one(train_fn, p, seed) for p in points], keys)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"sweep: executor must be a concurrent.futures.Executor (with "
                        f"submit), got {type(executor).__name__}")
    own = executor is None
    if own or isinstance(executor, ProcessPoolExecutor):
        _check_picklable(train_fn)
    if own:
        # fresh worker processes, not forks: forking a process whose Numba kernels have
        # started OpenMP threads is unsafe (and is refused by GNU OpenMP)
        method = "spawn" if sys.platform == "win32" else "forkserver"
        executor = ProcessPoolExecutor(max_workers=2,
                                       mp_context=multiprocessing.get_context(method))
    try:
        futures = [executor.submit(_run_one, train_fn, p, seed) for p in points]
        rows = [_result(f, p) for f, p in zip(futures, points)]
    finally:
        if own:
            executor.shutdown()
    return SweepResults(rows, keys)


def _check_picklable(train_fn):
    try:
        pickle.dumps(train_fn)
    except Exception as e:  # noqa: BLE001 - pickle raises several kinds
        raise TypeError(f"sweep: a process pool must pickle train_fn to send it to its "
                        f"workers, and {getattr(train_fn, '__name__', train_fn)!r} cannot be "
                        f"({_describe(e)}); define it at module level, or pass "
                        "executor='serial' or a thread pool") from None


def _result(future, params):
    """The run's row; a failure of the executor itself becomes that run's error."""
    try:
        return future.result()
    except Exception as e:  # noqa: BLE001 - e.g. BrokenProcessPool, PicklingError
        return _failed(params, f"the executor failed to run it: {_describe(e)}")

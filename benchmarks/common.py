"""Shared timing helpers: ours vs PyTorch (or a kernel vs its numpy reference) in the same
process, as ratios.

Every benchmark: same shapes, float32 unless it says otherwise, torch.set_num_threads(2)
(this machine's cores; BENCH_THREADS to change), warm-up runs excluded (Numba compilation,
BLAS warm-up). `compare` interleaves the candidates: several rounds, each timing every
candidate in turn (with a pause between, so one library's spinning worker threads do not
steal the cores from the next), and reports the median over rounds of each round's median.
On a shared machine the two sides of a ratio then see the same load.
"""
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def torch_or_none():
    """PyTorch, set to the same thread count, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    return torch


def median_ms(fn, repeats=50, warmup=5, min_time=0.0):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def idle(seconds=0.2):
    """Let the last library's worker threads stop spinning (OpenMP and OpenBLAS keep them
    busy-waiting for a while after parallel work) before timing the next one."""
    time.sleep(seconds)


def compare(*fns, rounds=None, repeats=20, warmup=3, min_time=0.05, pause=True):
    """Median ms of each callable (None stays None), interleaved over `rounds` rounds.
    `pause=False` skips the idle pause between candidates (for single-threaded code)."""
    rounds = ROUNDS if rounds is None else rounds
    for fn in fns:
        if fn is not None:
            for _ in range(warmup):
                fn()
    per_round = [[] for _ in fns]
    for _ in range(rounds):
        for times, fn in zip(per_round, fns):
            if fn is not None:
                times.append(median_ms(fn, repeats, warmup=1, min_time=min_time))
                if pause:
                    idle()
    return tuple(statistics.median(t) if t else None for t in per_round)


def row(name, ours_ms, torch_ms, target=None, unit="ms"):
    ratio = ours_ms / torch_ms if torch_ms else None
    return {"workload": name, "ours": ours_ms, "torch": torch_ms, "ratio": ratio,
            "target": target, "unit": unit}


def print_table(rows, title, columns=("ours", "torch")):
    """Print rows as a table. `columns` names what the two numbers are: ("ours", "torch")
    for library against library, ("kernel", "numpy") for a kernel against the numpy
    expression it replaces, ("fused", "composite"), and so on; ratio = first / second."""
    first, second = columns
    print(f"\n{title}")
    print(f"{'workload':60s} {first:>10s} {second:>10s} {'ratio':>7s} {'target':>7s}")
    for r in rows:
        t = f"{r['torch']:10.3f}" if r["torch"] is not None else f"{'-':>10s}"
        ratio = f"{r['ratio']:7.2f}" if r["ratio"] is not None else f"{'-':>7s}"
        target = f"<={r['target']:g}" if r.get("target") else ""
        print(f"{r['workload'][:60]:60s} {r['ours']:10.3f} {t} {ratio} {target:>7s}  {r['unit']}")


def write_json(rows, name, columns=("ours", "torch")):
    """Write rows to benchmarks/results/<name>.json (ignored by git) and return the path.
    In the file the two numbers keep the keys "ours" and "torch"; `columns` records what
    they are for this table."""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.json")
    with open(path, "w") as f:
        json.dump({"threads": THREADS, "columns": list(columns), "rows": rows}, f, indent=2)
    return path


BUSY_LOOP = """
import os, sys
try:
    os.sched_setaffinity(0, {int(sys.argv[1])})  # stay on one core
except (AttributeError, OSError):
    pass
while True:
    pass
"""


@contextlib.contextmanager
def one_core_busy():
    """A second process that keeps one core (the last one) busy while the block runs: the
    situation of a laptop with a browser or a second training run going on."""
    core = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    proc = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(core)])
    try:
        time.sleep(0.2)  # let it start spinning
        yield proc
    finally:
        proc.kill()
        proc.wait()

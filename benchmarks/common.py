"""Shared timing helpers: median milliseconds of ours vs PyTorch in the same process.

Every benchmark: same shapes, float32, torch.set_num_threads(2) (this machine's cores),
warm-up runs excluded (Numba compilation, BLAS warm-up), median of repeats.
"""
import json
import os
import statistics
import time

THREADS = int(os.environ.get("BENCH_THREADS", "2"))


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


def row(name, ours_ms, torch_ms, target=None, unit="ms"):
    ratio = ours_ms / torch_ms if torch_ms else None
    return {"workload": name, "ours": ours_ms, "torch": torch_ms, "ratio": ratio,
            "target": target, "unit": unit}


def print_table(rows, title):
    print(f"\n{title}")
    print(f"{'workload':58s} {'ours':>10s} {'torch':>10s} {'ratio':>7s} {'target':>7s}")
    for r in rows:
        t = f"{r['torch']:10.3f}" if r["torch"] is not None else f"{'-':>10s}"
        ratio = f"{r['ratio']:7.2f}" if r["ratio"] is not None else f"{'-':>7s}"
        target = f"<={r['target']:.1f}" if r.get("target") else ""
        print(f"{r['workload'][:58]:58s} {r['ours']:10.3f} {t} {ratio} {target:>7s}  {r['unit']}")


def write_json(rows, name):
    """Write rows to benchmarks/results/<name>.json (ignored by git) and return the path."""
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.json")
    with open(path, "w") as f:
        json.dump({"threads": THREADS, "rows": rows}, f, indent=2)
    return path

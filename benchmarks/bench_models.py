"""Whole training steps, ours vs PyTorch in the same run: two MLPs and a small CNN, plus the
cold start of a fresh process (empty and warm Numba and bytecode caches).

A step is zero_grad, forward, loss (cross-entropy), backward, SGD step - float32, the same
shapes and the same initial weights for both (PyTorch's, copied through the state dict),
torch.set_num_threads(2), warm-up excluded, median of interleaved rounds.

Earlier profiles of these steps (where the time goes) are in benchmarks/README.md.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKLOADS = [  # name, model builder, input shape, target ratio
    ("MLP 64-128-10, batch 64, SGD step", lambda m: W.mlp(m, (64, 128, 10)), (64, 64), 1.0),
    ("MLP 784-256-128-10, batch 128, SGD step", lambda m: W.mlp(m, (784, 256, 128, 10)),
     (128, 784), 1.0),
    ("CNN conv8-pool-conv16-pool-linear, batch 32 1x28x28", W.small_cnn, (32, 1, 28, 28),
     1.0),
]


COLD_START = """
import time, numpy as np
import tinygrad_lr as tl
from tinygrad_lr import nn
import workloads
model = workloads.small_cnn(nn)
x = tl.tensor(np.random.default_rng(0).standard_normal((32, 1, 28, 28)).astype(np.float32))
y = tl.tensor(np.random.default_rng(0).integers(0, 10, 32))
workloads.training_step(tl, model, x, y)()
"""


def cold_start_seconds(cache_dir, bytecode_dir=None):
    """Wall time of a new interpreter that imports tinygrad_lr and runs one CNN step, with
    Numba's cache in `cache_dir` and, given `bytecode_dir`, Python's bytecode cache there
    (else none: the environment may set PYTHONDONTWRITEBYTECODE, as CI machines do)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir,
               PYTHONPATH=os.pathsep.join([ROOT, os.path.dirname(os.path.abspath(__file__))]))
    if bytecode_dir is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode_dir
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD_START], env=env, check=True)
    return time.perf_counter() - start


def main():
    torch = torch_or_none()
    rows = []
    for name, build, x_shape, target in WORKLOADS:
        x, y = W.classification_data(x_shape)
        ours_ms, theirs_ms = compare(*W.step_pair(build, x, y, torch))
        rows.append(row(name, ours_ms, theirs_ms, target=target))
    # A user's second run: Numba's cache and Python's bytecode cache both warm (an installed
    # package has its bytecode compiled at install). Without the bytecode cache every
    # module is compiled again at import; that row is shown too.
    with tempfile.TemporaryDirectory() as cache_dir, tempfile.TemporaryDirectory() as pyc:
        rows.append(row("cold start to first CNN step, empty Numba and bytecode caches",
                        cold_start_seconds(cache_dir, pyc), None, unit="s"))
        rows.append(row("cold start to first CNN step, warm Numba cache, no bytecode cache",
                        min(cold_start_seconds(cache_dir) for _ in range(3)), None, unit="s"))
        rows.append(row("cold start to first CNN step, warm Numba and bytecode caches",
                        min(cold_start_seconds(cache_dir, pyc) for _ in range(3)), None,
                        target=1.0, unit="s"))
    print_table(rows, "Training steps (median ms; ratio = ours / PyTorch) and cold start (s)")
    print("json:", write_json(rows, "models"))
    return rows


if __name__ == "__main__":
    main()

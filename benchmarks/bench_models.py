"""Whole training steps, ours vs PyTorch in the same run: two MLPs and a small CNN, plus the
cold start of a fresh process (empty and warm Numba cache).

A step is zero_grad, forward, loss (cross-entropy), backward, SGD step - float32, the same
shapes and the same initial weights for both (PyTorch's, copied through the state dict),
torch.set_num_threads(2), warm-up excluded, median of repeats.

Where the time goes in the MLP 784-256-128-10 step (2026-11-28, medians of 400 steps timed
inside whole steps): ours 1.50 ms (forward 0.58, backward 0.71, SGD 0.16) against PyTorch's
1.29 (0.52, 0.54, 0.17). Replacing every GEMM by a copy of its result leaves ours at 0.66 ms,
less than PyTorch's time outside its GEMMs, so the gap is the GEMMs: numpy's OpenBLAS 0.3.31
(SkylakeX kernels on this AVX-512 Xeon) against PyTorch's MKL. The same eight products
measured in place: 742 us, of which 274 for x @ W1^T and 250 for dW1 = g^T x; alone with
PyTorch, 200 and 180 us. OpenBLAS is faster for some operand layouts ((x^T g)^T: 188 us), but
those give an F-ordered weight gradient, and making it C-ordered costs more than it saves.

Cold start with a warm Numba cache (2026-11-28, 0.83-0.98 s wall): interpreter ~0.2 s,
numpy 0.07, numba 0.18, tinygrad_lr 0.08, model 0.02, then the first step 0.41 s - nearly
all of it Numba setting up its CPU target on the first jitted call, which imports
numba.np.arraymath, which imports scipy.linalg when SciPy is installed (it is in the dev
environment, through scikit-learn): 0.16 s of the 0.41. Without SciPy the first step
takes 0.25 s. Loading the nine cached kernels themselves takes 0.05 s.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_ms, print_table, row, torch_or_none, write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mlp(m, sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [m.Linear(a, b), m.ReLU()]
    return m.Sequential(*layers[:-1])


def cnn(m):
    return m.Sequential(m.Conv2d(1, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(8, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                        m.Flatten(), m.Linear(16 * 7 * 7, 10))


WORKLOADS = [  # name, model builder, input shape, target ratio
    ("MLP 64-128-10, batch 64, SGD step", lambda m: mlp(m, (64, 128, 10)), (64, 64), 1.0),
    ("MLP 784-256-128-10, batch 128, SGD step", lambda m: mlp(m, (784, 256, 128, 10)),
     (128, 784), 1.0),
    ("CNN conv8-pool-conv16-pool-linear, batch 32 1x28x28", cnn, (32, 1, 28, 28), 1.5),
]


def make_step(lib, model, x, y):
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def time_workload(build, x_shape, torch):
    import numpy as np

    import tinygrad_lr as tl

    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    y = rng.integers(0, 10, x_shape[0])
    ours = build(tl.nn)
    theirs_ms = None
    if torch is not None:
        theirs = build(torch.nn)
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        step = make_step(torch, theirs, torch.from_numpy(x), torch.from_numpy(y))
        theirs_ms = median_ms(step, repeats=100, warmup=10)
        time.sleep(0.3)  # let torch's OpenMP workers stop spinning before we run
    step = make_step(tl, ours, tl.tensor(x), tl.tensor(y))
    ours_ms = median_ms(step, repeats=100, warmup=10)
    time.sleep(0.3)  # and ours (Numba's) before the next workload's torch run
    return ours_ms, theirs_ms


COLD_START = """
import time, numpy as np
import tinygrad_lr as tl
from tinygrad_lr import nn
import bench_models
model = bench_models.cnn(nn)
x = tl.tensor(np.random.default_rng(0).standard_normal((32, 1, 28, 28)).astype(np.float32))
y = tl.tensor(np.random.default_rng(0).integers(0, 10, 32))
bench_models.make_step(tl, model, x, y)()
"""


def cold_start_seconds(cache_dir):
    """Wall time of a new interpreter that imports tinygrad_lr and runs one CNN step."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir,
               PYTHONPATH=os.pathsep.join([ROOT, os.path.dirname(os.path.abspath(__file__))]))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", COLD_START], env=env, check=True)
    return time.perf_counter() - start


def main():
    torch = torch_or_none()
    rows = []
    for name, build, x_shape, target in WORKLOADS:
        ours_ms, theirs_ms = time_workload(build, x_shape, torch)
        rows.append(row(name, ours_ms, theirs_ms, target=target))
    with tempfile.TemporaryDirectory() as cache_dir:
        rows.append(row("cold start to first CNN step, empty Numba cache",
                        cold_start_seconds(cache_dir), None, unit="s"))
        rows.append(row("cold start to first CNN step, warm Numba cache",
                        min(cold_start_seconds(cache_dir) for _ in range(3)), None,
                        target=1.0, unit="s"))
    print_table(rows, "Training steps (median ms; ratio = ours / PyTorch) and cold start (s)")
    print("json:", write_json(rows, "models"))
    return rows


if __name__ == "__main__":
    main()

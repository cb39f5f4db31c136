"""Run real PyTorch programs (tutorials, examples) unchanged under one backend; print JSON.

    python run_external.py torch|tinygrad_lr DIR [program.py ...]

DIR holds the programs, as their authors wrote them (pytorch/tutorials, pytorch/examples;
they are not part of this repository: see test_external_programs.py). Only their data is
replaced: `torchvision` is torchvision_standin.py (random images of the real datasets'
shapes, a few dozen of them), and the files a program would download or generate first are
written, small, into its working directory (DATA_FILES). Each program runs in a fresh
temporary directory, with `sys.argv = [program]` and matplotlib drawing to no screen; an
exception is recorded with the program line that raised it and the next program runs.
"""
import contextlib
import gzip
import io
import json
import os
import pickle
import runpy
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from run_programs import failing_call  # noqa: E402  one frame finder for both runners


def _mnist_pickle(torch):
    """nn_tutorial.py's data/mnist/mnist.pkl.gz: ((x, y) train, (x, y) valid, test), x in
    [0, 1] float32 rows of 784 pixels, y int64 classes (256 + 128 samples, not 50000)."""
    rng = np.random.default_rng(7)
    split = [(rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n))
             for n in (256, 128, 16)]
    os.makedirs(os.path.join("data", "mnist"))
    with gzip.open(os.path.join("data", "mnist", "mnist.pkl.gz"), "wb") as f:
        pickle.dump(tuple(split), f)


def _sine_waves(torch):
    """time_sequence_prediction's traindata.pt, made as generate_sine_wave.py makes it but
    with 6 waves of 100 steps (not 100 of 1000)."""
    rng = np.random.RandomState(2)
    T, L, N = 20, 100, 6
    x = np.empty((N, L), "int64")
    x[:] = np.array(range(L)) + rng.randint(-4 * T, 4 * T, N).reshape(N, 1)
    with open("traindata.pt", "wb") as f:
        torch.save(np.sin(x / 1.0 / T).astype("float64"), f)


# program -> writes the data file it expects to find
DATA_FILES = {"nn_tutorial.py": _mnist_pickle,
              "examples_time_sequence_train.py": _sine_waves}


def run(backend, directory, names):
    if backend == "tinygrad_lr":
        from tinygrad_lr import as_torch

        as_torch()
    import matplotlib

    matplotlib.use("Agg")
    import torch

    sys.path.insert(0, HERE)
    import torchvision_standin

    torchvision_standin.install()
    warnings.simplefilter("ignore")
    directory = os.path.abspath(directory)
    sys.path.insert(0, directory)
    results = {}
    start = os.getcwd()
    for name in names:
        out, error, start_time = io.StringIO(), None, time.perf_counter()
        np.random.seed(0)
        with tempfile.TemporaryDirectory() as work:
            os.chdir(work)
            sys.argv = [name]
            try:
                if name in DATA_FILES:
                    DATA_FILES[name](torch)
                with contextlib.redirect_stdout(out):
                    runpy.run_path(os.path.join(directory, name), run_name="__main__")
            except BaseException as e:  # noqa: BLE001  record and go on to the next program
                error = {"type": type(e).__name__, "message": str(e)[:2000],
                         "call": failing_call(e, directory)}
            finally:
                os.chdir(start)
                torch.set_default_dtype(torch.float32)
                torch.set_grad_enabled(True)
        results[name] = {"stdout": out.getvalue(), "error": error,
                         "seconds": round(time.perf_counter() - start_time, 1)}
    return results


if __name__ == "__main__":
    backend, directory, *names = sys.argv[1:]
    names = names or sorted(n for n in os.listdir(directory) if n.endswith(".py"))
    json.dump(run(backend, directory, names), sys.stdout)

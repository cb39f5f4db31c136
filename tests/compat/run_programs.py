"""Run the compatibility programs under one backend and print their outputs as JSON.

    python run_programs.py torch|tinygrad_lr [program.py ...]

With `tinygrad_lr`, `tinygrad_lr.as_torch()` runs first, so each program's `import torch`
imports tinygrad_lr. Every program runs in a fresh namespace with its stdout captured; an
exception is recorded with the program line that raised it (the first failing PyTorch
call) and the next program still runs. Process-wide state a program may change (the
default dtype, grad mode) is restored between programs.
"""
import contextlib
import io
import json
import os
import runpy
import sys
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")


def failing_call(exc, directory=PROGRAMS):
    """'file:line: source' of the deepest frame inside a program of `directory`."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(directory)]
    if not frames:
        return None
    f = frames[-1]
    return f"{os.path.basename(f.filename)}:{f.lineno}: {f.line}"


def main(argv):
    backend, names = argv[0], argv[1:]
    if backend == "tinygrad_lr":
        from tinygrad_lr import as_torch

        as_torch()
    import numpy as np
    import torch

    sys.path.insert(0, PROGRAMS)
    warnings.simplefilter("ignore")
    names = names or sorted(n for n in os.listdir(PROGRAMS)
                            if n.endswith(".py") and n != "helpers.py")
    results = {}
    for name in names:
        out = io.StringIO()
        error = None
        np.random.seed(0)
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(os.path.join(PROGRAMS, name), run_name="__main__")
        except BaseException as e:  # noqa: BLE001  record and go on to the next program
            error = {"type": type(e).__name__, "message": str(e)[:2000],
                     "call": failing_call(e)}
        finally:
            torch.set_default_dtype(torch.float32)
            torch.set_grad_enabled(True)
        results[name] = {"stdout": out.getvalue(), "error": error}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])

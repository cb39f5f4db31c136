"""Optimizer step cost: one step on a single 1,000,000-element float32 parameter (its
gradient already computed), ours vs PyTorch in the same run.

PyTorch is measured twice: its default (foreach) implementation and fused=True (one kernel
per step, the fastest it has on CPU). Ours is one fused Numba kernel per parameter
(kernels/optim.py). Target: our Adam no slower than PyTorch's fused Adam.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

N = 1_000_000
REPEATS = 50


# a small MLP's parameters (64 -> 128 -> 10): per-step overhead, not bandwidth
MLP_SHAPES = [(128, 64), (128,), (10, 128), (10,)]


def ours_step(name, kwargs, shapes=((N,),)):
    import numpy as np

    import tinygrad_lr as tl
    from tinygrad_lr import optim

    rng = np.random.default_rng(0)
    params = []
    for shape in shapes:
        p = tl.Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        p.grad = tl.Tensor(rng.standard_normal(shape).astype(np.float32))
        params.append(p)
    return getattr(optim, name)(params, **kwargs).step


def numpy_adam():
    """The best numpy can do: Adam as a chain of in-place ufuncs (the code a kernel replaces)."""
    import numpy as np

    rng = np.random.default_rng(0)
    p, g = rng.standard_normal(N).astype(np.float32), rng.standard_normal(N).astype(np.float32)
    m, v, denom = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)
    lr, b1, b2, eps, step = 1e-3, 0.9, 0.999, 1e-8, [0]

    def adam_step():
        step[0] += 1
        np.multiply(m, b1, out=m)
        np.add(m, (1 - b1) * g, out=m)
        np.multiply(v, b2, out=v)
        np.add(v, (1 - b2) * g * g, out=v)
        np.sqrt(v, out=denom)
        np.divide(denom, np.sqrt(1 - b2 ** step[0]), out=denom)
        np.add(denom, eps, out=denom)
        np.subtract(p, (lr / (1 - b1 ** step[0])) * m / denom, out=p)

    return adam_step


def torch_step(torch, name, kwargs, shapes=((N,),)):
    params = []
    for shape in shapes:
        p = torch.randn(shape, requires_grad=True)
        p.grad = torch.randn(shape)
        params.append(p)
    return getattr(torch.optim, name)(params, **kwargs).step


def main():
    torch = torch_or_none()
    rows = []
    for label, name, kwargs in [("Adam", "Adam", dict(lr=1e-3)),
                                ("AdamW", "AdamW", dict(lr=1e-3)),
                                ("SGD momentum=0.9", "SGD", dict(lr=1e-2, momentum=0.9))]:
        theirs = (torch_step(torch, name, kwargs),
                  torch_step(torch, name, dict(kwargs, fused=True))) if torch else (None, None)
        ours, default, fused = compare(ours_step(name, kwargs), *theirs, repeats=REPEATS)
        rows.append(row(f"{label} step, 1M float32 vs torch default (foreach)", ours, default))
        rows.append(row(f"{label} step, 1M float32 vs torch fused=True", ours, fused,
                        target=1.0))
        if name == "Adam":
            numpy_ms, = compare(numpy_adam(), repeats=REPEATS)
            numpy_row = row("Adam step as numpy in-place ufuncs (in the 'ours' column) vs "
                            "torch fused", numpy_ms, fused)
    for label, name, kwargs in [("Adam", "Adam", dict(lr=1e-3)),
                                ("SGD momentum=0.9", "SGD", dict(lr=1e-2, momentum=0.9))]:
        theirs = torch_step(torch, name, kwargs, MLP_SHAPES) if torch else None
        ours, default = compare(ours_step(name, kwargs, MLP_SHAPES), theirs, repeats=REPEATS)
        rows.append(row(f"{label} step, MLP 64-128-10 (4 params) vs torch default", ours,
                        default, target=1.0))
    rows.append(numpy_row)
    print_table(rows, "Optimizer step (lower is better; ratio = ours / PyTorch)")
    print("json:", write_json(rows, "optim"))
    return rows


if __name__ == "__main__":
    main()

"""Per-op overhead: a chain of 200 small ops (alternating add and mul on a one-element
tensor), forward and backward, ours vs PyTorch in the same run.

This measures what a teaching-sized graph costs: Python dispatch, graph recording and the
backward walk, not arithmetic. Reported in microseconds per op (forward + backward).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import median_ms, print_table, row, torch_or_none, write_json  # noqa: E402

N_OPS = 200


def chain(lib, make):
    x = make()
    y = x
    for _ in range(N_OPS // 2):
        y = y + 0.5
        y = y * 0.999
    y.sum().backward()
    return x.grad


def main():
    import numpy as np

    import tinygrad_lr as tl

    ours = median_ms(lambda: chain(tl, lambda: tl.tensor(np.array([1.5], np.float32),
                                                          requires_grad=True)),
                     repeats=200, warmup=20) * 1e3 / N_OPS
    torch = torch_or_none()
    theirs = None
    if torch is not None:
        theirs = median_ms(lambda: chain(torch, lambda: torch.tensor([1.5], requires_grad=True)),
                           repeats=200, warmup=20) * 1e3 / N_OPS
    rows = [row(f"chain of {N_OPS} add/mul ops, forward + backward (per op)", ours, theirs,
                target=1.0, unit="us/op")]
    print_table(rows, "Per-op overhead (lower is better; ratio = ours / PyTorch)")
    print("json:", write_json(rows, "overhead"))
    return rows


if __name__ == "__main__":
    main()

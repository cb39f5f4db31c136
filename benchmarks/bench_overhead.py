"""Per-op overhead: a chain of 200 small ops (alternating add and mul on a one-element
tensor), forward and backward, ours vs PyTorch in the same run.

This measures what a teaching-sized graph costs: Python dispatch, graph recording and the
backward walk, not arithmetic. Reported in microseconds per op (forward + backward), twice:
with tensor operands (`y + a` for a one-element tensor a: the headline, since that is what
a graph of tensors is) and with Python-number operands (`y + 0.5`).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

N_OPS = 200


def chain(lib, tensor_operands):
    """A closure running the chain once on `lib` (tinygrad_lr or torch), float32."""
    def tensor(value, requires_grad=False):
        return lib.tensor(np.array([value], np.float32), requires_grad=requires_grad)

    a, b = (tensor(0.5), tensor(0.999)) if tensor_operands else (0.5, 0.999)

    def run():
        x = tensor(1.5, requires_grad=True)
        y = x
        for _ in range(N_OPS // 2):
            y = y + a
            y = y * b
        y.sum().backward()
    return run


def main():
    import tinygrad_lr as tl

    torch = torch_or_none()
    rows = []
    for tensor_operands, label in ((True, "tensor operands (headline)"),
                                   (False, "Python-number operands")):
        ours, theirs = compare(chain(tl, tensor_operands),
                               chain(torch, tensor_operands) if torch else None, repeats=50)
        per_op = 1e3 / N_OPS
        rows.append(row(f"chain of {N_OPS} add/mul, fwd+bwd, {label}", ours * per_op,
                        theirs * per_op if theirs else None, target=1.0, unit="us/op"))
    print_table(rows, "Per-op overhead (lower is better; ratio = ours / PyTorch)")
    print("json:", write_json(rows, "overhead"))
    return rows


if __name__ == "__main__":
    main()

"""The BatchNorm2d and LayerNorm layers (forward + backward), ours vs PyTorch. Their fused
kernels (kernels/norm.py) are timed against their numpy references in bench_kernels.py.

Run: python benchmarks/bench_norm_layers.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402


def layer_rows(torch):
    import tinygrad_lr as tl
    from tinygrad_lr import nn

    rows = []
    rng = np.random.default_rng(0)
    cases = [("BatchNorm2d(32) fwd+bwd (64,32,16,16)", nn.BatchNorm2d(32),
              torch.nn.BatchNorm2d(32), (64, 32, 16, 16)),
             ("LayerNorm(256) fwd+bwd (512,256)", nn.LayerNorm(256),
              torch.nn.LayerNorm(256), (512, 256))]
    for name, ours, theirs, shape in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        xo = tl.Tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)

        def step_ours():
            ours(xo).sum().backward()

        def step_torch():
            theirs(xt).sum().backward()

        rows.append(row(name, *compare(step_ours, step_torch), target=1.0))
    return rows


def main():
    torch = torch_or_none()
    rows = layer_rows(torch) if torch is not None else []
    print_table(rows, "norm layers fwd+bwd (median ms; ratio = ours / PyTorch)")
    write_json(rows, "norm_layers")
    return rows


if __name__ == "__main__":
    main()

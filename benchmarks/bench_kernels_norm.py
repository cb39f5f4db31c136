"""Fused norm kernels (kernels/norm.py) vs the numpy expressions they replace, and the
whole BatchNorm2d / LayerNorm layers (forward + backward) vs PyTorch.

Run: python benchmarks/bench_kernels_norm.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import median_ms, print_table, row, torch_or_none, write_json  # noqa: E402

EPS = 1e-5


# ------------------------------------------------ the numpy expressions the kernels replace
def numpy_batch_norm_forward(x, w, b):
    mean = x.mean(axis=(0, 2), keepdims=True)
    xc = x - mean
    invstd = 1.0 / np.sqrt((xc * xc).mean(axis=(0, 2), keepdims=True) + EPS)
    xhat = xc * invstd
    return xhat * w[:, None] + b[:, None]


def numpy_batch_norm_backward(g, x, mean, invstd, w):
    xhat = (x - mean[:, None]) * invstd[:, None]
    gb = g.sum(axis=(0, 2))
    gw = (g * xhat).sum(axis=(0, 2))
    count = x.shape[0] * x.shape[2]
    gx = (w * invstd)[:, None] * (g - (gb / count)[:, None] - xhat * (gw / count)[:, None])
    return gx, gw, gb


def numpy_layer_norm_forward(x, w, b):
    mean = x.mean(axis=1, keepdims=True)
    xc = x - mean
    invstd = 1.0 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + EPS)
    return xc * invstd * w + b, mean, invstd


def numpy_layer_norm_backward(g, x, mean, invstd, w):
    xhat = (x - mean) * invstd
    gw = g * w
    grad_x = invstd * (gw - gw.mean(axis=1, keepdims=True)
                       - xhat * (gw * xhat).mean(axis=1, keepdims=True))
    return grad_x, (g * xhat).sum(axis=0), g.sum(axis=0)


def kernel_rows():
    from tinygrad_lr.kernels import norm as K

    rng = np.random.default_rng(0)
    rows = []
    for n, c, length in [(64, 32, 256), (128, 64, 64), (256, 128, 1)]:
        x = rng.standard_normal((n, c, length)).astype(np.float32)
        g = rng.standard_normal(x.shape).astype(np.float32)
        w = rng.standard_normal(c).astype(np.float32)
        b = rng.standard_normal(c).astype(np.float32)

        def fused_forward():
            mean, var = K.batch_stats(x)
            return K.scale_shift(x, mean, 1.0 / np.sqrt(var + EPS), w, b)

        mean, var = K.batch_stats(x)
        invstd = 1.0 / np.sqrt(var + EPS)
        rows.append(row(f"batch_norm fwd kernel vs numpy ({n},{c},{length})",
                        median_ms(fused_forward), median_ms(lambda: numpy_batch_norm_forward(x, w, b))))
        rows.append(row(f"batch_norm bwd kernel vs numpy ({n},{c},{length})",
                        median_ms(lambda: K.batch_norm_backward(g, x, mean, invstd, w)),
                        median_ms(lambda: numpy_batch_norm_backward(g, x, mean, invstd, w))))
    for m, d in [(4096, 64), (512, 512)]:
        x = rng.standard_normal((m, d)).astype(np.float32)
        g = rng.standard_normal(x.shape).astype(np.float32)
        w = rng.standard_normal(d).astype(np.float32)
        b = rng.standard_normal(d).astype(np.float32)
        _, mean, invstd = K.layer_norm_rows(x, w, b, EPS)
        rows.append(row(f"layer_norm fwd kernel vs numpy ({m},{d})",
                        median_ms(lambda: K.layer_norm_rows(x, w, b, EPS)),
                        median_ms(lambda: numpy_layer_norm_forward(x, w, b))))
        mean_c, inv_c = mean.astype(np.float32)[:, None], invstd.astype(np.float32)[:, None]
        rows.append(row(f"layer_norm bwd kernel vs numpy ({m},{d})",
                        median_ms(lambda: K.layer_norm_backward_rows(g, x, mean, invstd, w)),
                        median_ms(lambda: numpy_layer_norm_backward(g, x, mean_c, inv_c, w))))
    return rows


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

        rows.append(row(name, median_ms(step_ours), median_ms(step_torch)))
    return rows


def main():
    # "torch" column of the kernel rows is the numpy expression (ratio < 1: the kernel wins)
    rows = kernel_rows()
    print_table(rows, "norm kernels: fused Numba (ours) vs numpy expression (torch column)")
    torch = torch_or_none()
    layer = layer_rows(torch) if torch is not None else []
    if layer:
        print_table(layer, "norm layers: tinygrad_lr vs PyTorch")
    write_json(rows + layer, "kernels_norm")
    return rows + layer


if __name__ == "__main__":
    main()

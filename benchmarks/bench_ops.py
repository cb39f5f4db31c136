"""Op by op, forward + backward, ours vs PyTorch: the ops users reach for beyond the
networks of the other tables (activations, losses, indexing, sorting, reductions, pooling,
shape ops), each on a moderate shape. A loss here is `(op(x) * w).sum()` for a fixed random
w, so the gradient that reaches the op is a dense array, as inside a network.

The table is a net for cliffs: an op many times slower than PyTorch is usually a numpy call
that goes element by element (np.where on a random mask, np.add.at, pow of negative bases,
a stable argsort), not arithmetic. Rows above CLIFF are listed at the end.

Run: python benchmarks/bench_ops.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

CLIFF = 3.0
RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def ints(high, shape):
    return RNG.integers(0, high, shape)


def F(lib):
    return lib.nn.functional


# name -> (arrays, fn(lib, *tensors)); float arrays require grad, integer ones are indices
CASES = {
    "x ** 3 (256,256)": ([randn(256, 256)], lambda L, x: x ** 3),
    "x ** 0.5 of |x| (256,256)": ([np.abs(randn(256, 256))], lambda L, x: x ** 0.5),
    "topk k=5 (256,1000)": ([randn(256, 1000)], lambda L, x: x.topk(5, 1)[0]),
    "sort (256,256)": ([randn(256, 256)], lambda L, x: x.sort(1)[0]),
    "cumsum dim 1 (256,256)": ([randn(256, 256)], lambda L, x: x.cumsum(1)),
    "leaky_relu (64,1024)": ([randn(64, 1024)], lambda L, x: F(L).leaky_relu(x, 0.1)),
    "elu (64,1024)": ([randn(64, 1024)], lambda L, x: F(L).elu(x)),
    "gelu (64,1024)": ([randn(64, 1024)], lambda L, x: F(L).gelu(x)),
    "softplus (64,1024)": ([randn(64, 1024)], lambda L, x: F(L).softplus(x)),
    "sigmoid (64,1024)": ([randn(64, 1024)], lambda L, x: L.sigmoid(x)),
    "tanh (64,1024)": ([randn(64, 1024)], lambda L, x: L.tanh(x)),
    "softmax dim -1 (8,4,50,50) (attention)": ([randn(8, 4, 50, 50)],
                                               lambda L, x: F(L).softmax(x, -1)),
    "softmax dim 1 (32,10,16,16) (channels)": ([randn(32, 10, 16, 16)],
                                               lambda L, x: F(L).softmax(x, 1)),
    "log_softmax dim -1 (256,1000)": ([randn(256, 1000)], lambda L, x: F(L).log_softmax(x, -1)),
    "nll_loss(log_softmax) (128,10)": ([randn(128, 10), ints(10, 128)],
                                       lambda L, x, t: F(L).nll_loss(F(L).log_softmax(x, 1), t)),
    "cross_entropy (N,C,H,W) (8,5,32,32)": ([randn(8, 5, 32, 32), ints(5, (8, 32, 32))],
                                            lambda L, x, t: F(L).cross_entropy(x, t)),
    "mse_loss (1024,1024)": ([randn(1024, 1024), randn(1024, 1024)],
                             lambda L, x, y: F(L).mse_loss(x, y.detach())),
    "where(x > 0, x, y) (256,256)": ([randn(256, 256), randn(256, 256)],
                                     lambda L, x, y: L.where(x > 0, x, y)),
    "masked_fill (256,256)": ([randn(256, 256)], lambda L, x: x.masked_fill(x > 0, 0.0)),
    "x[int array] (1000,64)[500]": ([randn(1000, 64), ints(1000, 500)], lambda L, x, i: x[i]),
    "gather dim 1 (256,100)": ([randn(256, 100), ints(100, (256, 5))],
                               lambda L, x, i: x.gather(1, i)),
    "stack 8 x (64,64)": ([randn(64, 64) for _ in range(8)], lambda L, *xs: L.stack(xs)),
    "cat dim 1 3 x (32,16,16,16)": ([randn(32, 16, 16, 16) for _ in range(3)],
                                    lambda L, *xs: L.cat(xs, 1)),
    "norm (512,256)": ([randn(512, 256)], lambda L, x: x.norm()),
    "std dim 1 (64,1024)": ([randn(64, 1024)], lambda L, x: x.std(1)),
    "sum dims (2,3) (32,64,16,16)": ([randn(32, 64, 16, 16)], lambda L, x: x.sum((2, 3))),
    "amax dim 1 (256,256)": ([randn(256, 256)], lambda L, x: x.amax(1)),
    "adaptive_avg_pool2d to 3x3 (32,64,7,7)": ([randn(32, 64, 7, 7)],
                                               lambda L, x: F(L).adaptive_avg_pool2d(x, 3)),
    "avg_pool2d 3x3 s1 p1 (32,16,32,32)": ([randn(32, 16, 32, 32)],
                                           lambda L, x: F(L).avg_pool2d(x, 3, 1, 1)),
    "max_pool2d 3x3 s2 p1 (32,64,56,56)": ([randn(32, 64, 56, 56)],
                                           lambda L, x: F(L).max_pool2d(x, 3, 2, 1)),
    "batch_norm eval (32,32,16,16)": ([randn(32, 32, 16, 16), np.abs(randn(32)) + 0.5],
                                      lambda L, x, v: F(L).batch_norm(
                                          x, v.detach() * 0, v.detach(), training=False)),
    "conv1d k5 (32,16,256) -> 32": ([randn(32, 16, 256), randn(32, 16, 5)],
                                    lambda L, x, w: F(L).conv1d(x, w, padding=2)),
    "conv2d groups=4 (32,32,16,16)": ([randn(32, 32, 16, 16), randn(32, 8, 3, 3)],
                                      lambda L, x, w: F(L).conv2d(x, w, padding=1, groups=4)),
    "conv2d stride 2 (32,16,32,32) -> 32": ([randn(32, 16, 32, 32), randn(32, 16, 3, 3)],
                                            lambda L, x, w: F(L).conv2d(x, w, stride=2,
                                                                        padding=1)),
    "conv_transpose2d stride 2 (32,64,8,8) -> 32 (DCGAN, decoders)": (
        [randn(32, 64, 8, 8), randn(64, 32, 4, 4)],
        lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2, padding=1)),
    "binary_cross_entropy(sigmoid) sum (128,784) (the VAE example)": (
        [randn(128, 784), np.random.default_rng(0).random((128, 784)).astype(np.float32)],
        lambda L, x, y: F(L).binary_cross_entropy(x.sigmoid(), y.detach(), reduction="sum")),
    "dropout p=0.5 training (64,32,26,26)": (
        [randn(64, 32, 26, 26)], lambda L, x: F(L).dropout(x, 0.5, training=True)),
    "permute + reshape (32,64,16,16)": ([randn(32, 64, 16, 16)],
                                        lambda L, x: x.permute(0, 2, 3, 1).reshape(32, -1)),
    "bmm (32,16,64) @ (32,64,16)": ([randn(32, 16, 64), randn(32, 64, 16)],
                                    lambda L, a, b: L.bmm(a, b)),
    "einsum bhqd,bhkd->bhqk (8,4,50,16)": ([randn(8, 4, 50, 16), randn(8, 4, 50, 16)],
                                           lambda L, q, k: L.einsum("bhqd,bhkd->bhqk", q, k)),
    "median dim 1 (64,101)": ([randn(64, 101)], lambda L, x: x.median(1)[0]),
    "scatter_add dim 1 (64,100)": ([randn(64, 100), ints(100, (64, 50)), randn(64, 50)],
                                   lambda L, x, i, src: x.scatter_add(1, i, src)),
}


def _step(lib, arrays, fn):
    """A closure: fn on fresh leaves made once, then (out * w).sum().backward()."""
    tensors = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(lib, *tensors)
    w = lib.tensor(randn(*tuple(out.shape)) if out.ndim else np.float32(1.0))

    def step():
        (fn(lib, *tensors) * w).sum().backward()
    return step


def op_rows(torch):
    import tinygrad_lr as tl

    rows = []
    for name, (arrays, fn) in CASES.items():
        ours, theirs = _step(tl, arrays, fn), _step(torch, arrays, fn)
        rows.append(row(f"{name} fwd+bwd", *compare(ours, theirs, repeats=10, min_time=0.01)))
    return rows


def main():
    torch = torch_or_none()
    rows = op_rows(torch) if torch is not None else []
    print_table(rows, "Ops fwd+bwd (median ms; ratio = ours / PyTorch)")
    cliffs = [r for r in rows if r["ratio"] and r["ratio"] > CLIFF]
    print(f"cliffs (ratio > {CLIFF:g}): " +
          (", ".join(f"{r['workload']} {r['ratio']:.1f}" for r in cliffs) or "none"))
    write_json(rows, "ops")
    return rows


if __name__ == "__main__":
    main()

"""Cross-entropy over class indices, the hottest loss in training.

1. the fused passes (kernels/cross_entropy.py) vs the numpy expressions they replace
   (log-softmax, pick, weight; softmax - onehot): the "torch" column holds numpy's time;
2. the whole loss, forward + backward, as training runs it: ours (one graph node) vs
   PyTorch, and the composite graph -log_softmax(x).gather(t).mean() (four nodes) vs ours;
3. the other common training losses (forward + backward) vs PyTorch.

Measured on this machine (2 cores shared with other jobs, float32, ms, 2026-11-22):
    fwd+bwd ours vs torch        (64, 10) 0.033 vs 0.033   (128, 10) 0.038 vs 0.042
    composite graph vs fused     (64, 10) 0.139 vs 0.036   (128, 10) 0.144 vs 0.039
    mse_loss fwd+bwd ours vs torch   (128, 10) 0.023 vs 0.025   (one node; the composite
                                     sub/mul/mean graph took 0.071)
    bce_with_logits fwd+bwd ours vs torch (128, 10) 0.071 vs 0.032 (one node; composite 0.148)
2026-11-28: the kernels became numpy exp + one Numba pass per row (they had done their own
scalar exp, and rows over 64 classes had fallen back to numpy); (256, 100) fwd+bwd went
from 0.236 to 0.133 ms against torch's 0.101. Huber became one node: (128, 10) 0.200 ->
0.066 ms against torch's 0.057.
Under load single medians jump (a torch median of 50 ms is a stalled thread, not torch).

Run: python benchmarks/bench_losses.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import median_ms, print_table, row, torch_or_none, write_json  # noqa: E402

SHAPES = [(64, 10), (128, 10), (128, 64), (256, 100)]


def numpy_forward(x, target, weight):
    """The composite numpy forward the kernel replaces (no ignore_index, no smoothing)."""
    mx = x.max(axis=1, keepdims=True)
    lse = mx + np.log(np.exp(x - mx).sum(axis=1, keepdims=True))
    log_p = x - lse
    row_weight = weight[target]
    return -row_weight * log_p[np.arange(len(x)), target], row_weight, lse[:, 0]


def numpy_backward(x, lse, target, weight, g):
    from tinygrad_lr.kernels import cross_entropy as K

    coef, pull = K.softmax_coef_and_pull(target, weight, -100, 0.0, x.dtype)
    return g[:, None] * (np.exp(x - lse[:, None]) * coef - pull)


def kernel_rows():
    """The package's cross-entropy passes (numpy exp + one Numba pass per row) against the
    numpy expressions they replace, on one thread."""
    from tinygrad_lr.kernels import cross_entropy as K

    rng = np.random.default_rng(0)
    rows = []
    for n, c in SHAPES:
        x = rng.standard_normal((n, c)).astype(np.float32)
        t = rng.integers(0, c, n)
        w = np.ones(c, dtype=np.float32)
        g = np.full(n, 1 / n, dtype=np.float32)
        losses, _, lse, _ = K.cross_entropy_forward(x, t, w, -100, 0.0)
        assert np.allclose(losses, numpy_forward(x, t, w)[0], atol=1e-5)
        assert np.allclose(K.cross_entropy_backward(x, lse, t, w, -100, 0.0, g),
                           numpy_backward(x, lse, t, w, g), atol=1e-6)
        rows.append(row(f"cross_entropy fwd kernel vs numpy ({n},{c})",
                        median_ms(lambda: K.cross_entropy_forward(x, t, w, -100, 0.0),
                                  repeats=300),
                        median_ms(lambda: numpy_forward(x, t, w), repeats=300)))
        rows.append(row(f"cross_entropy bwd kernel vs numpy ({n},{c})",
                        median_ms(lambda: K.cross_entropy_backward(x, lse, t, w, -100, 0.0, g),
                                  repeats=300),
                        median_ms(lambda: numpy_backward(x, lse, t, w, g), repeats=300)))
    return rows


def loss_rows(torch):
    import tinygrad_lr as tl
    import tinygrad_lr.nn.functional as F

    rng = np.random.default_rng(0)
    rows = []
    for n, c in SHAPES:
        x = rng.standard_normal((n, c)).astype(np.float32)
        t = rng.integers(0, c, n)
        ours_x, ours_t = tl.Tensor(x, requires_grad=True), tl.Tensor(t)

        def ours():
            F.cross_entropy(ours_x, ours_t).backward()

        def composite():
            (-ours_x.log_softmax(1).gather(1, t[:, None])).mean().backward()

        ours_ms = median_ms(ours, repeats=300)
        torch_ms = None
        if torch is not None:
            tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)
            torch_ms = median_ms(lambda: torch.nn.functional.cross_entropy(tx, tt).backward(),
                                 repeats=300)
        rows.append(row(f"cross_entropy fwd+bwd ({n},{c}) vs torch", ours_ms, torch_ms))
        rows.append(row(f"cross_entropy composite graph vs fused ({n},{c})",
                        median_ms(composite, repeats=300), ours_ms))

    n, d = 128, 10
    pred, y = rng.standard_normal((n, d)).astype(np.float32), rng.standard_normal((n, d))
    prob_y = rng.uniform(0, 1, (n, d)).astype(np.float32)
    for name, ours_fn, torch_name, target in [
            ("mse_loss", F.mse_loss, "mse_loss", y.astype(np.float32)),
            ("huber_loss", F.huber_loss, "huber_loss", y.astype(np.float32)),
            ("bce_with_logits", F.binary_cross_entropy_with_logits,
             "binary_cross_entropy_with_logits", prob_y)]:
        ours_x, ours_t = tl.Tensor(pred, requires_grad=True), tl.Tensor(target)
        ours_ms = median_ms(lambda: ours_fn(ours_x, ours_t).backward(), repeats=200)
        torch_ms = None
        if torch is not None:
            tx, tt = torch.tensor(pred, requires_grad=True), torch.tensor(target)
            fn = getattr(torch.nn.functional, torch_name)
            torch_ms = median_ms(lambda: fn(tx, tt).backward(), repeats=200)
        rows.append(row(f"{name} fwd+bwd ({n},{d}) vs torch", ours_ms, torch_ms))
    return rows


def main():
    torch = torch_or_none()
    rows = kernel_rows() + loss_rows(torch)
    print_table(rows, "losses (ms; for 'kernel vs numpy' rows the torch column is numpy)")
    write_json(rows, "losses")
    return rows


if __name__ == "__main__":
    main()

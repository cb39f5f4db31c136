"""Training losses, forward + backward as training runs them, ours vs PyTorch; and the fused
cross-entropy (one graph node) against the composite graph -log_softmax(x).gather(t).mean()
(four nodes). The cross-entropy kernels themselves are timed against their numpy references
in bench_kernels.py.

Run: python benchmarks/bench_losses.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

SHAPES = [(64, 10), (128, 10), (128, 64), (256, 100)]


def cross_entropy_rows(torch):
    """(rows vs torch, rows fused vs composite) for cross-entropy over class indices."""
    import tinygrad_lr as tl
    import tinygrad_lr.nn.functional as F

    rng = np.random.default_rng(0)
    vs_torch, vs_composite = [], []
    for n, c in SHAPES:
        x = rng.standard_normal((n, c)).astype(np.float32)
        t = rng.integers(0, c, n)
        ours_x, ours_t = tl.Tensor(x, requires_grad=True), tl.Tensor(t)

        def ours():
            F.cross_entropy(ours_x, ours_t).backward()

        def composite():
            (-ours_x.log_softmax(1).gather(1, tl.tensor(t[:, None]))).mean().backward()

        theirs = None
        if torch is not None:
            tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)

            def theirs():
                torch.nn.functional.cross_entropy(tx, tt).backward()
        ours_ms, torch_ms, composite_ms = compare(ours, theirs, composite, repeats=100,
                                                  min_time=0.02)
        vs_torch.append(row(f"cross_entropy fwd+bwd ({n},{c})", ours_ms, torch_ms, target=1.0))
        vs_composite.append(row(f"cross_entropy ({n},{c}): one fused node vs composite graph",
                                ours_ms, composite_ms))
    return vs_torch, vs_composite


def other_loss_rows(torch):
    import tinygrad_lr as tl
    import tinygrad_lr.nn.functional as F

    rng = np.random.default_rng(0)
    n, d = 128, 10
    pred, y = rng.standard_normal((n, d)).astype(np.float32), rng.standard_normal((n, d))
    prob_y = rng.uniform(0, 1, (n, d)).astype(np.float32)
    rows = []
    for name, target in [("mse_loss", y.astype(np.float32)),
                         ("huber_loss", y.astype(np.float32)),
                         ("binary_cross_entropy_with_logits", prob_y)]:
        ours_x, ours_t = tl.Tensor(pred, requires_grad=True), tl.Tensor(target)
        ours_fn = getattr(F, name)

        def ours(fn=ours_fn, x=ours_x, t=ours_t):
            fn(x, t).backward()

        theirs = None
        if torch is not None:
            tx, tt = torch.tensor(pred, requires_grad=True), torch.tensor(target)

            def theirs(fn=torch.nn.functional.__dict__[name], x=tx, t=tt):
                fn(x, t).backward()
        rows.append(row(f"{name} fwd+bwd ({n},{d})",
                        *compare(ours, theirs, repeats=100, min_time=0.02), target=1.0))
    return rows


def main():
    torch = torch_or_none()
    vs_torch, vs_composite = cross_entropy_rows(torch)
    vs_torch += other_loss_rows(torch)
    print_table(vs_torch, "Losses fwd+bwd (median ms; ratio = ours / PyTorch)")
    print_table(vs_composite, "Cross-entropy: the fused op vs the composite graph (median ms)",
                columns=("fused", "composite"))
    write_json(vs_torch, "losses")
    write_json(vs_composite, "losses_fused_vs_composite", columns=("fused", "composite"))
    return vs_torch + vs_composite


if __name__ == "__main__":
    main()

"""Fused cross-entropy over class indices: log-softmax, pick the target, weight - one pass.

The composite numpy version (max, subtract, exp, sum, log, take, multiply) makes about
eight passes and five temporaries over the logits; this kernel reads each row once, in
cache. The loss of row i is (PyTorch's definition, label smoothing eps, C classes)

    (1 - eps) * w[t_i] * (lse_i - x[i, t_i]) + eps / C * sum_j w[j] * (lse_i - x[i, j])

with lse_i = log(sum_j exp(x[i, j])) computed from the row maximum, so logits of +-1000
never overflow. Rows whose target equals `ignore_index` contribute 0 loss and 0 weight.
"""
import numba
import numpy as np


@numba.njit(cache=True)
def _cross_entropy_rows(x, target, weight, ignore_index, smoothing, losses, row_weight):
    n, c = x.shape
    for i in range(n):
        t = target[i]
        if t == ignore_index:
            losses[i] = 0.0
            row_weight[i] = 0.0
            continue
        if t < 0 or t >= c:
            return i  # the caller raises a readable error naming this row
        mx = x[i, 0]
        for j in range(1, c):
            if x[i, j] > mx:
                mx = x[i, j]
        s = 0.0
        for j in range(c):
            s += np.exp(x[i, j] - mx)
        lse = np.log(s) + mx
        loss = (1.0 - smoothing) * weight[t] * (lse - x[i, t])
        if smoothing > 0.0:
            spread = 0.0
            for j in range(c):
                spread += weight[j] * (lse - x[i, j])
            loss += smoothing / c * spread
        losses[i] = loss
        row_weight[i] = weight[t]
    return -1


def cross_entropy_rows(x, target, weight, ignore_index, smoothing):
    """Per-row losses and per-row target weights of (N, C) logits and N int64 targets.

    Returns (losses, row_weight, bad_row): bad_row is the first row whose target is out of
    range (neither a class in [0, C) nor ignore_index), or -1 when every target is valid.
    """
    x = np.ascontiguousarray(x)
    losses = np.empty(x.shape[0], dtype=x.dtype)
    row_weight = np.empty(x.shape[0], dtype=x.dtype)
    bad_row = _cross_entropy_rows(x, target, weight, ignore_index, smoothing, losses, row_weight)
    return losses, row_weight, bad_row

"""Fused batch-norm and layer-norm passes.

numpy needs a temporary per step (mean, x - mean, square, mean, divide, scale, shift);
these kernels read the input once for the statistics and once to write the output, with
float64 accumulators. Batch norm works on an (N, C, L) view in memory order with
per-channel accumulators; layer norm works on (M, D) rows. They are serial, as every
kernel is: a parallel form measured far slower whenever other processes competed for the
CPU (threads wait for each other at the barrier), while the serial kernels still beat
numpy several times over (kernels/threading_policy.py). fastmath is limited to
reassociation and fused multiply-add, which lets the sums use SIMD; NaN and Inf keep their
IEEE meaning. Each entry point has its numpy expression beside it (`*_reference`), run
instead when `reference_kernels_enabled()`; `benchmarks/bench_kernels.py` times the
kernels against them.
"""
import numpy as np

from . import runs_reference
from .threading_policy import jit


# ---------------------------------------------------------------- batch norm, (N, C, L)
# Loops run in memory order (n, then c, then l) with per-channel accumulators. For (N, C)
# inputs (L = 1) the channel loop is innermost, so it is contiguous and vectorises.
@jit(fastmath={"reassoc", "contract"})
def _batch_stats(x, mean, var):
    """Per-channel mean and biased variance, two passes for accuracy."""
    n, c, length = x.shape
    mean[:] = 0.0
    var[:] = 0.0
    if length == 1:
        for i in range(n):
            for j in range(c):
                mean[j] += x[i, j, 0]
        mean /= n
        for i in range(n):
            for j in range(c):
                d = x[i, j, 0] - mean[j]
                var[j] += d * d
        var /= n
        return
    for i in range(n):
        for j in range(c):
            s = 0.0
            for k in range(length):
                s += x[i, j, k]
            mean[j] += s
    mean /= n * length
    for i in range(n):
        for j in range(c):
            m = mean[j]
            ss = 0.0
            for k in range(length):
                d = x[i, j, k] - m
                ss += d * d
            var[j] += ss
    var /= n * length


@jit(fastmath={"reassoc", "contract"})
def _scale_shift(x, scale, shift, out):
    """out = x * scale + shift, per channel."""
    n, c, length = x.shape
    if length == 1:
        for i in range(n):
            for j in range(c):
                out[i, j, 0] = x[i, j, 0] * scale[j] + shift[j]
        return
    for i in range(n):
        for j in range(c):
            a = scale[j]
            b = shift[j]
            for k in range(length):
                out[i, j, k] = x[i, j, k] * a + b


@jit(fastmath={"reassoc", "contract"})
def _batch_norm_backward(g, x, mean, invstd, weight, grad_x, grad_weight, grad_bias):
    """Gradients of y = xhat * w + b with xhat computed from the batch's own statistics:
    dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat)), per channel."""
    n, c, length = x.shape
    count = n * length
    grad_weight[:] = 0.0
    grad_bias[:] = 0.0
    if length == 1:
        for i in range(n):
            for j in range(c):
                grad_bias[j] += g[i, j, 0]
                grad_weight[j] += g[i, j, 0] * (x[i, j, 0] - mean[j])
        grad_weight *= invstd
        scale = weight * invstd
        mg = grad_bias / count
        mgx = grad_weight / count
        for i in range(n):
            for j in range(c):
                xhat = (x[i, j, 0] - mean[j]) * invstd[j]
                grad_x[i, j, 0] = scale[j] * (g[i, j, 0] - mg[j] - xhat * mgx[j])
        return
    for i in range(n):
        for j in range(c):
            sg = 0.0
            sgx = 0.0
            m = mean[j]
            for k in range(length):
                sg += g[i, j, k]
                sgx += g[i, j, k] * (x[i, j, k] - m)
            grad_bias[j] += sg
            grad_weight[j] += sgx
    grad_weight *= invstd  # sum(g * (x - mean)) * invstd = sum(g * xhat)
    for i in range(n):
        for j in range(c):
            scale = weight[j] * invstd[j]
            mg = grad_bias[j] / count
            mgx = grad_weight[j] / count
            m = mean[j]
            inv = invstd[j]
            for k in range(length):
                xhat = (x[i, j, k] - m) * inv
                grad_x[i, j, k] = scale * (g[i, j, k] - mg - xhat * mgx)


def batch_stats_reference(x):
    """mean = average of x over N and L; var = average of (x - mean)^2 (biased), float64."""
    mean = x.mean(axis=(0, 2), dtype=np.float64)
    var = ((x - mean[:, None]) ** 2).mean(axis=(0, 2), dtype=np.float64)
    return mean, var


def scale_shift_reference(x, mean, invstd, weight, bias):
    """y = (x - mean) * invstd * weight + bias, per channel c of x[:, c, :]."""
    # (C,) -> (C, 1): each channel's number broadcasts over L
    y = (x - mean[:, None]) * invstd[:, None] * weight[:, None] + bias[:, None]
    return y.astype(x.dtype)


def batch_norm_backward_reference(g, x, mean, invstd, weight):
    """With xhat = (x - mean) * invstd and sums over N and L per channel:
    dweight = sum(g * xhat), dbias = sum(g),
    dx = weight * invstd * (g - mean(g) - xhat * mean(g * xhat))."""
    xhat = (x - mean[:, None]) * invstd[:, None]
    grad_bias = g.sum(axis=(0, 2), dtype=np.float64)
    grad_weight = (g * xhat).sum(axis=(0, 2), dtype=np.float64)
    count = x.shape[0] * x.shape[2]
    grad_x = (weight * invstd)[:, None] * (g - (grad_bias / count)[:, None]
                                           - xhat * (grad_weight / count)[:, None])
    return grad_x.astype(x.dtype), grad_weight, grad_bias


def batch_stats(x):
    """(mean, biased variance) per channel of an (N, C, L) array, in float64."""
    if runs_reference(x):
        return batch_stats_reference(x)
    c = x.shape[1]
    mean = np.empty(c, dtype=np.float64)
    var = np.empty(c, dtype=np.float64)
    _batch_stats(x, mean, var)
    return mean, var


def scale_shift(x, mean, invstd, weight, bias):
    """(x - mean) * invstd * weight + bias per channel of an (N, C, L) array."""
    if runs_reference(x):
        return scale_shift_reference(x, mean, invstd, weight, bias)
    scale = invstd * weight
    out = np.empty_like(x)
    _scale_shift(x, scale, bias - mean * scale, out)
    return out


def batch_norm_backward(g, x, mean, invstd, weight):
    """(grad_x, grad_weight, grad_bias) of batch_norm_backward_reference's formula; the
    parameter gradients in float64."""
    if runs_reference(g, x):
        return batch_norm_backward_reference(g, x, mean, invstd, weight)
    grad_x = np.empty_like(x)
    c = x.shape[1]
    grad_weight = np.empty(c, dtype=np.float64)
    grad_bias = np.empty(c, dtype=np.float64)
    _batch_norm_backward(g, x, mean, invstd, weight, grad_x, grad_weight, grad_bias)
    return grad_x, grad_weight, grad_bias


# ---------------------------------------------------------------- layer norm, (M, D)
# The row statistics are float64; the per-element loops run in the input's dtype, with the
# statistics passed through `scalars`, a 2-element array of that dtype. A float64 scalar in
# a float32 loop makes Numba convert every element to float64 and back (the loops over
# 1-D row views in the input's dtype run markedly faster; benchmarks/README.md).
@jit(fastmath={"reassoc", "contract"})
def _layer_norm_rows(x, weight, bias, eps, out, mean, invstd, scalars):
    m, d = x.shape
    for i in range(m):
        row, out_row = x[i], out[i]
        s = 0.0
        for k in range(d):
            s += row[k]
        mu = s / d
        ss = 0.0
        for k in range(d):
            diff = row[k] - mu
            ss += diff * diff
        inv = 1.0 / np.sqrt(ss / d + eps)
        mean[i] = mu
        invstd[i] = inv
        scalars[0], scalars[1] = mu, inv
        mu_x, inv_x = scalars[0], scalars[1]  # in x's dtype
        for k in range(d):
            out_row[k] = (row[k] - mu_x) * inv_x * weight[k] + bias[k]


@jit(fastmath={"reassoc", "contract"})
def _layer_norm_backward_rows(g, x, mean, invstd, weight, grad_x, grad_weight, grad_bias,
                              scalars, xhat):
    """Per row: dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat)) with gw = g * weight;
    dweight and dbias are sums over the rows of g * xhat and g, accumulated in x's dtype as
    PyTorch does (float64 accumulators cost a conversion per element, which slowed the
    kernel; benchmarks/README.md). `xhat` is a scratch row."""
    m, d = g.shape
    for i in range(m):
        g_row, x_row, gx_row = g[i], x[i], grad_x[i]
        scalars[0], scalars[1] = mean[i], invstd[i]
        mu, inv = scalars[0], scalars[1]  # in x's dtype
        s = 0.0
        sx = 0.0
        for k in range(d):
            xh = (x_row[k] - mu) * inv
            xhat[k] = xh
            gw = g_row[k] * weight[k]
            s += gw
            sx += gw * xh
            grad_weight[k] += g_row[k] * xh
            grad_bias[k] += g_row[k]
        scalars[0], scalars[1] = s / d, sx / d
        mean_gw, mean_gw_xhat = scalars[0], scalars[1]
        for k in range(d):
            gx_row[k] = inv * (g_row[k] * weight[k] - mean_gw - xhat[k] * mean_gw_xhat)


def layer_norm_rows_reference(x, weight, bias, eps):
    """Per row: mean, invstd = 1 / sqrt(mean((x - mean)^2) + eps) (float64), and
    y = (x - mean) * invstd * weight + bias."""
    mean = x.mean(axis=1, dtype=np.float64)
    invstd = 1.0 / np.sqrt(((x - mean[:, None]) ** 2).mean(axis=1, dtype=np.float64) + eps)
    out = (x - mean[:, None]) * invstd[:, None] * weight + bias
    return out.astype(x.dtype), mean, invstd


def layer_norm_backward_rows_reference(g, x, mean, invstd, weight):
    """Per row, with xhat = (x - mean) * invstd and gw = g * weight:
    dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat));
    dweight = sum over rows of g * xhat, dbias = sum over rows of g (in x's dtype)."""
    xhat = (x - mean[:, None]) * invstd[:, None]
    gw = g * weight
    grad_x = invstd[:, None] * (gw - gw.mean(axis=1, keepdims=True)
                                - xhat * (gw * xhat).mean(axis=1, keepdims=True))
    return (grad_x.astype(x.dtype), (g * xhat).sum(axis=0).astype(x.dtype),
            g.sum(axis=0).astype(x.dtype))


def layer_norm_rows(x, weight, bias, eps):
    """Normalised rows times weight plus bias, and each row's mean and 1/std."""
    if runs_reference(x):
        return layer_norm_rows_reference(x, weight, bias, eps)
    out = np.empty_like(x)
    mean = np.empty(x.shape[0], dtype=np.float64)
    invstd = np.empty(x.shape[0], dtype=np.float64)
    _layer_norm_rows(x, weight, bias, eps, out, mean, invstd, np.empty(2, dtype=x.dtype))
    return out, mean, invstd


def layer_norm_backward_rows(g, x, mean, invstd, weight):
    """(grad_x, grad_weight, grad_bias), all in x's dtype."""
    if runs_reference(g, x):
        return layer_norm_backward_rows_reference(g, x, mean, invstd, weight)
    grad_x = np.empty_like(g)
    grad_weight = np.zeros(g.shape[1], dtype=x.dtype)
    grad_bias = np.zeros(g.shape[1], dtype=x.dtype)
    _layer_norm_backward_rows(g, x, mean, invstd, weight, grad_x, grad_weight, grad_bias,
                              np.empty(2, dtype=x.dtype), np.empty(x.shape[1], dtype=x.dtype))
    return grad_x, grad_weight, grad_bias

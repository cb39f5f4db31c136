"""Fused batch-norm and layer-norm passes.

numpy needs a temporary per step (mean, x - mean, square, mean, divide, scale, shift);
these kernels read the input once for the statistics and once to write the output, with
float64 accumulators. Batch norm works on an (N, C, L) view and runs channels in parallel;
layer norm works on (M, D) rows and runs rows in parallel.
`benchmarks/bench_kernels_norm.py` measures them against the numpy expressions.
"""
import numba
import numpy as np


# ---------------------------------------------------------------- batch norm, (N, C, L)
@numba.njit(cache=True, parallel=True)
def _batch_stats(x, mean, var):
    """Per-channel mean and biased variance, two-pass for accuracy."""
    n, c, length = x.shape
    count = n * length
    for j in numba.prange(c):
        s = 0.0
        for i in range(n):
            for k in range(length):
                s += x[i, j, k]
        m = s / count
        ss = 0.0
        for i in range(n):
            for k in range(length):
                d = x[i, j, k] - m
                ss += d * d
        mean[j] = m
        var[j] = ss / count


@numba.njit(cache=True, parallel=True)
def _scale_shift(x, mean, invstd, weight, bias, out):
    """out = (x - mean) * invstd * weight + bias, per channel."""
    n, c, length = x.shape
    for j in numba.prange(c):
        scale = invstd[j] * weight[j]
        shift = bias[j] - mean[j] * scale
        for i in range(n):
            for k in range(length):
                out[i, j, k] = x[i, j, k] * scale + shift


@numba.njit(cache=True, parallel=True)
def _batch_norm_backward(g, x, mean, invstd, weight, grad_x, grad_weight, grad_bias):
    """Gradients of y = xhat * w + b with xhat computed from the batch's own statistics:
    dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat)), per channel."""
    n, c, length = x.shape
    count = n * length
    for j in numba.prange(c):
        sg = 0.0
        sgx = 0.0
        for i in range(n):
            for k in range(length):
                sg += g[i, j, k]
                sgx += g[i, j, k] * (x[i, j, k] - mean[j])
        sgx *= invstd[j]  # sum(g * xhat)
        grad_weight[j] = sgx
        grad_bias[j] = sg
        mg = sg / count
        mgx = sgx / count
        scale = weight[j] * invstd[j]
        for i in range(n):
            for k in range(length):
                xhat = (x[i, j, k] - mean[j]) * invstd[j]
                grad_x[i, j, k] = scale * (g[i, j, k] - mg - xhat * mgx)


def batch_stats(x):
    """(mean, biased variance) per channel of an (N, C, L) array, in float64."""
    c = x.shape[1]
    mean = np.empty(c, dtype=np.float64)
    var = np.empty(c, dtype=np.float64)
    _batch_stats(x, mean, var)
    return mean, var


def scale_shift(x, mean, invstd, weight, bias):
    out = np.empty_like(x)
    _scale_shift(x, mean, invstd, weight, bias, out)
    return out


def batch_norm_backward(g, x, mean, invstd, weight):
    grad_x = np.empty_like(x)
    c = x.shape[1]
    grad_weight = np.empty(c, dtype=np.float64)
    grad_bias = np.empty(c, dtype=np.float64)
    _batch_norm_backward(g, x, mean, invstd, weight, grad_x, grad_weight, grad_bias)
    return grad_x, grad_weight, grad_bias


# ---------------------------------------------------------------- layer norm, (M, D)
@numba.njit(cache=True, parallel=True)
def _layer_norm_rows(x, weight, bias, eps, out, xhat, invstd):
    m, d = x.shape
    for i in numba.prange(m):
        s = 0.0
        for k in range(d):
            s += x[i, k]
        mu = s / d
        ss = 0.0
        for k in range(d):
            diff = x[i, k] - mu
            ss += diff * diff
        inv = 1.0 / np.sqrt(ss / d + eps)
        invstd[i] = inv
        for k in range(d):
            h = (x[i, k] - mu) * inv
            xhat[i, k] = h
            out[i, k] = h * weight[k] + bias[k]


@numba.njit(cache=True, parallel=True)
def _layer_norm_backward_rows(g, xhat, invstd, weight, grad_x):
    """dx = invstd * (gw - mean(gw) - xhat * mean(gw * xhat)) per row, gw = g * weight."""
    m, d = g.shape
    for i in numba.prange(m):
        s = 0.0
        sx = 0.0
        for k in range(d):
            gw = g[i, k] * weight[k]
            s += gw
            sx += gw * xhat[i, k]
        s /= d
        sx /= d
        for k in range(d):
            grad_x[i, k] = invstd[i] * (g[i, k] * weight[k] - s - xhat[i, k] * sx)


def layer_norm_rows(x, weight, bias, eps):
    """Normalised rows times weight plus bias; also xhat and 1/std for the backward."""
    out = np.empty_like(x)
    xhat = np.empty_like(x)
    invstd = np.empty(x.shape[0], dtype=np.float64)
    _layer_norm_rows(x, weight, bias, eps, out, xhat, invstd)
    return out, xhat, invstd


def layer_norm_backward_rows(g, xhat, invstd, weight):
    grad_x = np.empty_like(g)
    _layer_norm_backward_rows(g, xhat, invstd, weight, grad_x)
    return grad_x

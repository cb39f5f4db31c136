"""2-D max and average pooling on (N, C, H, W) arrays, one (sample, channel) plane per
`prange` iteration.

Max pooling stores, per output, the flat index (ih * W + iw) of the winning input - the
same `indices` PyTorch returns - so backward is a scatter-add of the output gradient
to those positions. Ties go to the first maximum in scan order and NaN wins, as in PyTorch.
Average pooling follows PyTorch's divisor rules (count_include_pad, ceil_mode windows
clipped to the padded input).

`prange` (here and in kernels/conv.py) halves the kernels' time on an idle 2-core machine
(max pool 8x28x28, batch 32: 0.30 ms vs 0.60 ms serial); when other processes hold the
cores the two cost about the same per training step, so the parallel form stays.
Whole CNN training step (benchmarks/bench_models.py shapes, 2026-11-28, idle machine):
3.5-3.7 ms with prange on Numba's OpenMP layer, 4.0-4.3 ms with NUMBA_NUM_THREADS=1,
4.7 ms with OMP_WAIT_POLICY=PASSIVE, 5.9-6.6 ms on the workqueue layer. (The 6 ms steps
seen before were page faults, not threads: see tinygrad_lr/_malloc.py.)
"""
import numba
import numpy as np


def pool_out_size(size, kernel, stride, padding, dilation, ceil_mode):
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    # with ceil_mode the last window must start inside the input or its left padding
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


@numba.njit(cache=True, parallel=True)
def _max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax):
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for nc in numba.prange(n * c):
        b, ch = nc // c, nc % c
        for oh in range(ho):
            hstart = oh * sh - ph
            for ow in range(wo):
                wstart = ow * sw - pw
                best = -np.inf
                best_idx = -1
                for i in range(kh):
                    ih = hstart + i * dh
                    if ih < 0 or ih >= h:
                        continue
                    for j in range(kw):
                        iw = wstart + j * dw
                        if iw < 0 or iw >= w:
                            continue
                        v = x[b, ch, ih, iw]
                        if best_idx < 0 or v > best or np.isnan(v):
                            best = v
                            best_idx = ih * w + iw
                out[b, ch, oh, ow] = best
                argmax[b, ch, oh, ow] = best_idx


@numba.njit(cache=True, parallel=True)
def _max_pool_backward(g, argmax, dx):
    n, c, ho, wo = g.shape
    w = dx.shape[3]
    for nc in numba.prange(n * c):  # scatter within one plane: no two threads collide
        b, ch = nc // c, nc % c
        for oh in range(ho):
            for ow in range(wo):
                idx = argmax[b, ch, oh, ow]
                dx[b, ch, idx // w, idx % w] += g[b, ch, oh, ow]


@numba.njit(cache=True)
def _avg_window(oh, ow, h, w, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    """Input rows [hs, he) and columns [ws, we) of one output, and its divisor."""
    h0, w0 = oh * sh - ph, ow * sw - pw
    h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)  # clipped to the padded input
    hs, he, ws, we = max(h0, 0), min(h1, h), max(w0, 0), min(w1, w)
    if divisor_override > 0:
        div = divisor_override
    elif count_include_pad:
        div = (h1 - h0) * (w1 - w0)
    else:
        div = (he - hs) * (we - ws)
    return hs, he, ws, we, div


@numba.njit(cache=True, parallel=True)
def _avg_pool_forward(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, out):
    n, c, h, w = x.shape
    for nc in numba.prange(n * c):
        b, ch = nc // c, nc % c
        for oh in range(out.shape[2]):
            for ow in range(out.shape[3]):
                hs, he, ws, we, div = _avg_window(oh, ow, h, w, kh, kw, sh, sw, ph, pw,
                                                  count_include_pad, divisor_override)
                s = 0.0
                for ih in range(hs, he):
                    for iw in range(ws, we):
                        s += x[b, ch, ih, iw]
                out[b, ch, oh, ow] = s / div


@numba.njit(cache=True, parallel=True)
def _avg_pool_backward(g, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, dx):
    n, c, h, w = dx.shape
    for nc in numba.prange(n * c):
        b, ch = nc // c, nc % c
        for oh in range(g.shape[2]):
            for ow in range(g.shape[3]):
                hs, he, ws, we, div = _avg_window(oh, ow, h, w, kh, kw, sh, sw, ph, pw,
                                                  count_include_pad, divisor_override)
                share = g[b, ch, oh, ow] / div
                for ih in range(hs, he):
                    for iw in range(ws, we):
                        dx[b, ch, ih, iw] += share


def max_pool2d_forward(x, kernel, stride, padding, dilation, out_hw):
    """Returns (out, argmax) with argmax the flat input index of each output's maximum."""
    n, c = x.shape[:2]
    out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    argmax = np.empty((n, c) + tuple(out_hw), dtype=np.int64)
    _max_pool_forward(np.ascontiguousarray(x), kernel[0], kernel[1], stride[0], stride[1],
                      padding[0], padding[1], dilation[0], dilation[1], out, argmax)
    return out, argmax


def max_pool2d_backward(g, argmax, x_shape):
    dx = np.zeros(x_shape, dtype=g.dtype)
    _max_pool_backward(np.ascontiguousarray(g), argmax, dx)
    return dx


def avg_pool2d_forward(x, kernel, stride, padding, out_hw, count_include_pad, divisor):
    n, c = x.shape[:2]
    out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    _avg_pool_forward(np.ascontiguousarray(x), kernel[0], kernel[1], stride[0], stride[1],
                      padding[0], padding[1], count_include_pad, divisor or 0, out)
    return out


def avg_pool2d_backward(g, x_shape, kernel, stride, padding, count_include_pad, divisor):
    dx = np.zeros(x_shape, dtype=g.dtype)
    _avg_pool_backward(np.ascontiguousarray(g), kernel[0], kernel[1], stride[0], stride[1],
                       padding[0], padding[1], count_include_pad, divisor or 0, dx)
    return dx

"""2-D convolution as im2col + one batched GEMM (numpy.matmul, i.e. BLAS).

Layouts (PyTorch's): input x (N, C, H, W), weight w (O, C // groups, kh, kw), output
(N, O, Ho, Wo). `im2col` unfolds every receptive field into a column:

    cols[n, c, i, j, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw]

so that, viewed as (N, groups, C//groups*kh*kw, Ho*Wo), the convolution of group g is one
matrix product w[g] @ cols[n, g]. The two backward passes are products with the same
matrices transposed; the input gradient folds its columns back with `col2im` (the adjoint
of im2col: overlapping windows add up).

Why im2col and not direct loops: benchmarks/bench_kernels.py times both on the small
CNN shapes (1->8 and 8->16 channels, 28x28, batch 32); im2col + BLAS is faster for the
forward pass and for both gradients there, see its table. Why one small product per sample
(a batched matmul) rather than one big GEMM over the whole batch: it needs no transposed
copies, and small products stay on one BLAS thread, which on a 2-core machine shared with
Numba's threads avoids the multi-millisecond stalls of two thread pools spinning against
each other. Padding is never materialised: im2col writes zeros where a window hangs over
the border, col2im skips those positions.
"""
import numba
import numpy as np


def out_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@numba.njit(cache=True, parallel=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols):
    n, c, h, w = x.shape
    for nc in numba.prange(n * c):  # each (sample, channel) plane is independent
        b, ch = nc // c, nc % c
        for i in range(kh):
            for j in range(kw):
                for oh in range(ho):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= h:
                        for ow in range(wo):
                            cols[b, ch, i, j, oh, ow] = 0.0
                        continue
                    for ow in range(wo):
                        iw = ow * sw - pw + j * dw
                        cols[b, ch, i, j, oh, ow] = x[b, ch, ih, iw] if 0 <= iw < w else 0.0


@numba.njit(cache=True, parallel=True)
def _col2im(cols, sh, sw, ph, pw, dh, dw, dx):
    n, c, kh, kw, ho, wo = cols.shape
    h, w = dx.shape[2], dx.shape[3]
    for nc in numba.prange(n * c):  # each plane of dx is written by one thread only
        b, ch = nc // c, nc % c
        for i in range(kh):
            for j in range(kw):
                for oh in range(ho):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= h:
                        continue
                    for ow in range(wo):
                        iw = ow * sw - pw + j * dw
                        if 0 <= iw < w:
                            dx[b, ch, ih, iw] += cols[b, ch, i, j, oh, ow]


def im2col(x, kernel, stride, padding, dilation):
    """x (N, C, H, W) -> cols (N, C*kh*kw, Ho*Wo)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)
    _im2col(np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)
    return cols.reshape(n, c * kh * kw, ho * wo)


def col2im(cols, x_shape, kernel, out_hw, stride, padding, dilation):
    """The adjoint of im2col: cols (N, C*kh*kw, Ho*Wo) -> dx (N, C, H, W), overlaps summed."""
    n, c, h, w = x_shape
    (kh, kw), (ho, wo) = kernel, out_hw
    dx = np.zeros(x_shape, dtype=cols.dtype)
    _col2im(np.ascontiguousarray(cols).reshape(n, c, kh, kw, ho, wo),
            stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], dx)
    return dx


def conv2d_forward(x, w, stride, padding, dilation, groups):
    """Returns (out, cols); keep cols for the weight gradient (it saves a second im2col)."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    cols = im2col(x, (kh, kw), stride, padding, dilation)
    ho = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    wo = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    k, length = cg * kh * kw, ho * wo
    out = np.matmul(w.reshape(groups, o // groups, k), cols.reshape(n, groups, k, length))
    return out.reshape(n, o, ho, wo), cols


def conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups):
    """Gradient of conv2d wrt its input x (also the forward pass of conv_transpose2d)."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    k = cg * kh * kw
    wt = w.reshape(groups, o // groups, k).transpose(0, 2, 1)
    dcols = np.matmul(wt, g.reshape(n, groups, o // groups, ho * wo))
    return col2im(dcols.reshape(n, groups * k, ho * wo), x_shape, (kh, kw), (ho, wo),
                  stride, padding, dilation)


def conv2d_backward_weight(g, cols, w_shape, groups):
    """Gradient of conv2d wrt its weight, from the output gradient and the forward's cols."""
    n, o, ho, wo = g.shape
    k = cols.shape[1] // groups
    gg = g.reshape(n, groups, o // groups, ho * wo)
    cc = cols.reshape(n, groups, k, ho * wo)
    # one product per (sample, group), then the sum over the batch
    return np.matmul(gg, cc.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w_shape)

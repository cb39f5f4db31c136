"""2-D max and average pooling on (N, C, H, W) arrays.

Max pooling stores, per output, the flat index (ih * W + iw) of the winning input - the
same `indices` PyTorch returns - so backward is a scatter-add of the output gradient to
those positions. Ties go to the first maximum in scan order and NaN wins, as in PyTorch.
Average pooling follows PyTorch's divisor rules (count_include_pad, ceil_mode windows
clipped to the padded input).

The general kernels take each window in two passes, over rows and then columns (a window's
maximum is the maximum of its rows' maxima, its sum the sum of its rows' sums), each pass
a loop over a whole output row that LLVM vectorizes; max pooling's backward walks one
(sample, channel) plane at a time as a flat row of H*W values. The 2x2, stride-2 window
without padding (the pooling of nearly every small CNN) has its own kernels, `_max_pool_2x2` and
`_avg_pool_2x2`: with the window unrolled (and, for max, the running maximum updated by
selects rather than branches), LLVM vectorizes their loops over output columns, where the
general loop's short inner loops over the window cost several times more per output
(benchmarks/bench_kernels.py). For max pooling that vectorization also needs the indices
to be int32 (as wide as a float32 lane): with int64 indices the same loop stays scalar and
runs about as slowly as the general one. So `argmax` is int32 whenever a plane's flat index
fits in it (planes under 2**31 values).
Every entry point has a numpy reference beside it (`*_reference`), which runs instead when
`reference_kernels_enabled()`.
"""
import numpy as np

from . import runs_reference
from .threading_policy import jit


def pool_out_size(size, kernel, stride, padding, dilation, ceil_mode):
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    # with ceil_mode the last window must start inside the input or its left padding
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


# ------------------------------------------------------------------ max pooling
@jit
def _wins(v, best):
    """PyTorch's rule for the running maximum: a larger value wins, and so does NaN. The
    bitwise | (not `or`, which branches) keeps the 2x2 loop free of branches."""
    return (v > best) | (v != v)


@jit
def _max_pool_2x2(x, out, argmax):
    """2x2 windows, stride 2, all inside the input: indexed (n, c, h, w), because the loop
    over flat plane rows does not vectorize."""
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for b in range(n):
        for ch in range(c):
            for oh in range(ho):
                ih = 2 * oh
                for ow in range(wo):
                    iw = 2 * ow
                    best, offset = x[b, ch, ih, iw], 0
                    v = x[b, ch, ih, iw + 1]
                    best, offset = (v, 1) if _wins(v, best) else (best, offset)
                    v = x[b, ch, ih + 1, iw]
                    best, offset = (v, w) if _wins(v, best) else (best, offset)
                    v = x[b, ch, ih + 1, iw + 1]
                    best, offset = (v, w + 1) if _wins(v, best) else (best, offset)
                    out[b, ch, oh, ow] = best
                    argmax[b, ch, oh, ow] = ih * w + iw + offset


@jit
def _max_pool_forward(x, kh, kw, sh, sw, ph, pw, dh, dw, out, argmax, row_max, row_arg):
    """Any window, in two passes per plane (a window's maximum is the maximum over its rows
    of each row's maximum): row_max[ih, ow] / row_arg[ih, ow] are input row ih's maximum
    over output ow's window columns and its column; then each output takes the first of
    its rows' maxima. Both passes keep PyTorch's running rule (scan order, NaN wins), so
    the result and index are those of one scan over the window. Unit-stride loops run as
    one pass per window offset over the whole output row (LLVM vectorizes them with selects);
    a strided row keeps the scalar loop per output, whose gathers vectorize worse."""
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for b in range(n):
        for ch in range(c):
            for ih in range(h):
                if sw == 1:
                    for ow in range(wo):
                        row_arg[ih, ow] = -1  # -1: nothing seen yet
                        row_max[ih, ow] = x[b, ch, ih, 0]
                    for j in range(kw):
                        for ow in range(wo):
                            iw = ow - pw + j * dw
                            if 0 <= iw < w:
                                v = x[b, ch, ih, iw]
                                take = (row_arg[ih, ow] < 0) | _wins(v, row_max[ih, ow])
                                row_max[ih, ow] = v if take else row_max[ih, ow]
                                row_arg[ih, ow] = iw if take else row_arg[ih, ow]
                else:
                    for ow in range(wo):
                        best, best_k = x[b, ch, ih, 0], -1
                        for j in range(kw):
                            iw = ow * sw - pw + j * dw
                            if 0 <= iw < w:
                                v = x[b, ch, ih, iw]
                                if best_k < 0 or _wins(v, best):
                                    best, best_k = v, iw
                        row_max[ih, ow], row_arg[ih, ow] = best, best_k
            for oh in range(ho):
                for ow in range(wo):
                    argmax[b, ch, oh, ow] = -1
                    out[b, ch, oh, ow] = row_max[0, ow]
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= h:
                        continue
                    for ow in range(wo):
                        v = row_max[ih, ow]
                        take = (argmax[b, ch, oh, ow] < 0) | _wins(v, out[b, ch, oh, ow])
                        out[b, ch, oh, ow] = v if take else out[b, ch, oh, ow]
                        argmax[b, ch, oh, ow] = ih * w + row_arg[ih, ow] if take else \
                            argmax[b, ch, oh, ow]


@jit
def _max_pool_backward(g, argmax, dx):
    n, c, ho, wo = g.shape
    h, w = dx.shape[2], dx.shape[3]
    g_planes, arg_planes = g.reshape(n * c, ho * wo), argmax.reshape(n * c, ho * wo)
    dx_planes = dx.reshape(n * c, h * w)
    for p in range(n * c):
        gp, ap, dp = g_planes[p], arg_planes[p], dx_planes[p]
        for k in range(ho * wo):
            dp[ap[k]] += gp[k]


def _window_positions(out_size, stride, padding, offset, size):
    """Input positions o*stride - padding + offset for o in range(out_size), and which of
    them fall inside [0, size)."""
    pos = np.arange(out_size) * stride - padding + offset
    return pos, (pos >= 0) & (pos < size)


def max_pool2d_forward_reference(x, kernel, stride, padding, dilation, out_hw):
    """out[n, c, oh, ow] = the maximum of x over the window of output (oh, ow), and argmax
    its flat position ih * W + iw; windows are scanned offset by offset, keeping the first
    maximum (a strictly larger value replaces it, and so does NaN)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    out = np.zeros((n, c, ho, wo), dtype=x.dtype)
    argmax = np.full((n, c, ho, wo), -1, dtype=_index_dtype(h, w))
    for i in range(kh):
        rows, row_ok = _window_positions(ho, sh, ph, i * dh, h)
        for j in range(kw):
            cols, col_ok = _window_positions(wo, sw, pw, j * dw, w)
            v = x[:, :, rows.clip(0, h - 1)][:, :, :, cols.clip(0, w - 1)]
            inside = row_ok[:, None] & col_ok[None, :]
            better = inside & ((argmax < 0) | (v > out) | np.isnan(v))
            out = np.where(better, v, out)
            argmax = np.where(better, rows[:, None] * w + cols[None, :], argmax)
    return out, argmax


def max_pool2d_backward_reference(g, argmax, x_shape):
    """dx[n, c] at position argmax[n, c, oh, ow] receives g[n, c, oh, ow] (summed where
    windows overlap)."""
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w), dtype=g.dtype)
    np.add.at(dx, (np.arange(n * c)[:, None], argmax.reshape(n * c, -1)), g.reshape(n * c, -1))
    return dx.reshape(x_shape)


def _index_dtype(h, w):
    """int32 flat indices (they let the 2x2 kernel vectorize) unless a plane is too big."""
    return np.int32 if h * w < 2**31 else np.int64


def _is_2x2(x_shape, kernel, stride, padding, dilation, out_hw):
    """2x2 windows, stride 2, no padding or dilation, every window inside the input."""
    return (tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and tuple(padding) == (0, 0)
            and tuple(dilation) == (1, 1) and 2 * out_hw[0] <= x_shape[2]
            and 2 * out_hw[1] <= x_shape[3])


def max_pool2d_forward(x, kernel, stride, padding, dilation, out_hw):
    """Returns (out, argmax) with argmax the flat input index of each output's maximum."""
    if runs_reference(x):
        return max_pool2d_forward_reference(x, kernel, stride, padding, dilation, out_hw)
    n, c, h, w = x.shape
    out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    argmax = np.empty((n, c) + tuple(out_hw), dtype=_index_dtype(h, w))
    x = np.ascontiguousarray(x)
    if _is_2x2(x.shape, kernel, stride, padding, dilation, out_hw):
        _max_pool_2x2(x, out, argmax)
    else:
        rows = (h, out_hw[1])  # the row pass's scratch: maxima and their columns
        _max_pool_forward(x, kernel[0], kernel[1], stride[0], stride[1], padding[0],
                          padding[1], dilation[0], dilation[1], out, argmax,
                          np.empty(rows, dtype=x.dtype), np.empty(rows, dtype=argmax.dtype))
    return out, argmax


def max_pool2d_backward(g, argmax, x_shape):
    if runs_reference(g):
        return max_pool2d_backward_reference(g, argmax, x_shape)
    dx = np.zeros(x_shape, dtype=g.dtype)
    _max_pool_backward(np.ascontiguousarray(g), np.ascontiguousarray(argmax), dx)
    return dx


# ------------------------------------------------------------------ average pooling
@jit
def _avg_pool_2x2(x, div, out):
    """2x2 windows, stride 2, all inside the input (as _max_pool_2x2), over the (n * c)
    planes: the four values summed in x's dtype (as PyTorch's CPU kernel does) and divided
    by `div`."""
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    planes, out_planes = x.reshape(n * c, h, w), out.reshape(n * c, ho, wo)
    for p in range(n * c):
        xp, op = planes[p], out_planes[p]
        for oh in range(ho):
            top, bottom = xp[2 * oh], xp[2 * oh + 1]
            for ow in range(wo):
                op[oh, ow] = (top[2 * ow] + top[2 * ow + 1]
                              + bottom[2 * ow] + bottom[2 * ow + 1]) / div


@jit
def _avg_pool_2x2_backward(g, div, dx):
    """The adjoint: each output's g / div to its four inputs (windows do not overlap; the
    last row or column of an odd-sized input keeps the zero it starts with)."""
    n, c, ho, wo = g.shape
    h, w = dx.shape[2], dx.shape[3]
    g_planes, dx_planes = g.reshape(n * c, ho, wo), dx.reshape(n * c, h, w)
    for p in range(n * c):
        gp, dp = g_planes[p], dx_planes[p]
        for oh in range(ho):
            top, bottom = dp[2 * oh], dp[2 * oh + 1]
            for ow in range(wo):
                share = gp[oh, ow] / div
                top[2 * ow] = share
                top[2 * ow + 1] = share
                bottom[2 * ow] = share
                bottom[2 * ow + 1] = share


@jit
def _avg_pool_forward(x, kh, kw, sh, sw, ph, pw, div, out, row_sum):
    """Any window, in two passes per plane as _max_pool_forward: row_sum[ih, ow] is input
    row ih summed over output ow's window columns (inside the input), then each output
    adds its window rows' sums and divides by div[oh, ow] (PyTorch's divisor rules, from
    `_avg_divisors`). Sums in x's dtype, as PyTorch's CPU kernel."""
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for b in range(n):
        for ch in range(c):
            for ih in range(h):
                for ow in range(wo):
                    row_sum[ih, ow] = 0.0
                for j in range(kw):
                    for ow in range(wo):
                        iw = ow * sw - pw + j
                        if 0 <= iw < w:
                            row_sum[ih, ow] += x[b, ch, ih, iw]
            for oh in range(ho):
                for ow in range(wo):
                    out[b, ch, oh, ow] = 0.0
                for i in range(kh):
                    ih = oh * sh - ph + i
                    if 0 <= ih < h:
                        for ow in range(wo):
                            out[b, ch, oh, ow] += row_sum[ih, ow]
                for ow in range(wo):
                    out[b, ch, oh, ow] /= div[oh, ow]


@jit
def _avg_pool_backward(share, kh, kw, sh, sw, ph, pw, dx, row_share):
    """The adjoint of _avg_pool_forward, its passes in reverse, from each output's share
    g / divisor: each input row's sum of the shares of the outputs whose windows cover it
    (row_share[ih, ow]), then each of those added to the window columns of its output."""
    n, c, h, w = dx.shape
    ho, wo = share.shape[2], share.shape[3]
    for b in range(n):
        for ch in range(c):
            for ih in range(h):
                for ow in range(wo):
                    row_share[ih, ow] = 0.0
            for oh in range(ho):
                for i in range(kh):
                    ih = oh * sh - ph + i
                    if 0 <= ih < h:
                        for ow in range(wo):
                            row_share[ih, ow] += share[b, ch, oh, ow]
            for ih in range(h):
                for j in range(kw):
                    for ow in range(wo):
                        iw = ow * sw - pw + j
                        if 0 <= iw < w:
                            dx[b, ch, ih, iw] += row_share[ih, ow]


def _avg_divisors(x_hw, out_hw, kernel, stride, padding, count_include_pad, divisor):
    """(Ho, Wo) divisors: divisor_override, or the window's size in the padded input
    (count_include_pad), or the number of its elements inside the input."""
    if divisor:
        return np.full(out_hw, divisor)
    sizes = []
    for size, out, k, s, p in zip(x_hw, out_hw, kernel, stride, padding):
        start = np.arange(out) * s - p
        stop = np.minimum(start + k, size + p)  # clipped to the padded input
        inside = np.minimum(stop, size) - np.maximum(start, 0)
        sizes.append(stop - start if count_include_pad else inside)
    return sizes[0][:, None] * sizes[1][None, :]


def avg_pool2d_forward_reference(x, kernel, stride, padding, out_hw, count_include_pad,
                                 divisor):
    """out[n, c, oh, ow] = (sum of x over the window inside the input) / divisor."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = kernel, stride, padding, out_hw
    total = np.zeros((n, c, ho, wo), dtype=np.float64)
    for i in range(kh):
        rows, row_ok = _window_positions(ho, sh, ph, i, h)
        for j in range(kw):
            cols, col_ok = _window_positions(wo, sw, pw, j, w)
            v = x[:, :, rows.clip(0, h - 1)][:, :, :, cols.clip(0, w - 1)]
            total += np.where(row_ok[:, None] & col_ok[None, :], v, 0)
    div = _avg_divisors((h, w), out_hw, kernel, stride, padding, count_include_pad, divisor)
    return (total / div).astype(x.dtype)


def avg_pool2d_backward_reference(g, x_shape, kernel, stride, padding, count_include_pad,
                                  divisor):
    """Each input position of an output's window receives g[n, c, oh, ow] / divisor."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = kernel, stride, padding, g.shape[2:]
    share = g / _avg_divisors((h, w), (ho, wo), kernel, stride, padding, count_include_pad,
                              divisor)
    dx = np.zeros(x_shape, dtype=g.dtype)
    for i in range(kh):
        rows, row_ok = _window_positions(ho, sh, ph, i, h)
        for j in range(kw):
            cols, col_ok = _window_positions(wo, sw, pw, j, w)
            # for one window offset no two outputs share an input position, so += is exact
            dx[np.ix_(range(n), range(c), rows[row_ok], cols[col_ok])] += \
                share[np.ix_(range(n), range(c), row_ok.nonzero()[0], col_ok.nonzero()[0])]
    return dx


def avg_pool2d_forward(x, kernel, stride, padding, out_hw, count_include_pad, divisor):
    if runs_reference(x):
        return avg_pool2d_forward_reference(x, kernel, stride, padding, out_hw,
                                            count_include_pad, divisor)
    n, c = x.shape[:2]
    out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    if _is_2x2(x.shape, kernel, stride, padding, (1, 1), out_hw):  # divisor: 4 or given
        _avg_pool_2x2(np.ascontiguousarray(x), x.dtype.type(divisor or 4), out)
        return out
    div = _avg_divisors(x.shape[2:], out_hw, kernel, stride, padding, count_include_pad,
                        divisor).astype(x.dtype)
    _avg_pool_forward(np.ascontiguousarray(x), kernel[0], kernel[1], stride[0], stride[1],
                      padding[0], padding[1], div, out,
                      np.empty((x.shape[2], out_hw[1]), dtype=x.dtype))
    return out


def avg_pool2d_backward(g, x_shape, kernel, stride, padding, count_include_pad, divisor):
    if runs_reference(g):
        return avg_pool2d_backward_reference(g, x_shape, kernel, stride, padding,
                                             count_include_pad, divisor)
    dx = np.zeros(x_shape, dtype=g.dtype)
    if _is_2x2(x_shape, kernel, stride, padding, (1, 1), g.shape[2:]):
        _avg_pool_2x2_backward(np.ascontiguousarray(g), g.dtype.type(divisor or 4), dx)
        return dx
    div = _avg_divisors(x_shape[2:], g.shape[2:], kernel, stride, padding, count_include_pad,
                        divisor).astype(g.dtype)
    share = np.ascontiguousarray(g / div)  # divided once per output, not once per window row
    _avg_pool_backward(share, kernel[0], kernel[1], stride[0], stride[1], padding[0],
                       padding[1], dx, np.empty((x_shape[2], g.shape[3]), dtype=g.dtype))
    return dx

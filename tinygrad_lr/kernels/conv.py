"""2-D convolution as im2col + matrix products (numpy.matmul, i.e. BLAS).

Layouts: input x (N, C, H, W), weight w (O, C // groups, kh, kw), output (N, O, Ho, Wo),
as in PyTorch. `im2col` unfolds every receptive field into a column, with the batch along
the columns ("batch in columns"):

    cols[c, i, j, n, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw]

viewed as a (C*kh*kw, N*Ho*Wo) matrix whose rows of group g are the block
g*K:(g+1)*K, K = C//groups*kh*kw. The output gradient is brought to the same form,
(O, N*Ho*Wo), by `to_columns`. Then each pass is one product per group over the whole batch:

    forward       out   = w[g] @ cols[g]        (O/g, N*L), L = Ho*Wo
    input grad    dcols = w[g]^T @ g_cols[g]    then col2im folds the columns back
    weight grad   dw[g] = g_cols[g] @ cols[g]^T

Why this layout: LeNet-sized convolutions have small per-sample products ((16, 150) @
(150, 100) for LeNet's second layer), and a batched matmul of N such products spends most
of its time in per-call overhead, while one product with N*L columns runs at BLAS speed.
The batch axis costs two small copies instead: `to_columns` of the output gradient (shared
by the two backward products; the per-sample weight gradient of a thin weight reads the
gradient as it is) and, in the forward pass, the (O, N, L) -> (N, O, L) transpose of the
result. A thin weight (`per_sample_products`: LeNet's first layer) runs
its forward and weight-gradient products per sample instead, on strided views of the same
cols: OpenBLAS is slower on one thin product with a very long side.
benchmarks/bench_kernels.py times the candidates. A batch whose columns would be very large
(`CHUNK_BYTES`) goes through all of this in chunks of samples (`batch_chunks`, used by
ops/conv.py), and the input gradient of a large batch of small maps is made and folded
back in cache-sized chunks of samples (`input_grad_chunk`).

Padding is not materialised: im2col writes zeros where a window hangs over the border,
col2im (the adjoint of im2col: overlapping windows add up) skips those positions. (A
strided im2col with kernels larger than the stride reads a padded copy split into stride
phases instead, `_im2col_phases`, so that its rows are unit-stride copies.) The two
kernels are serial (kernels/threading_policy.py); `im2col_reference` and
`col2im_reference` are the same maps in numpy slicing, and `conv2d_reference` is the
convolution's formula itself.

A 1x1 kernel without padding needs no unfolding: with groups 1 it runs as one product per
sample on the input as it lies (`one_by_one_*`, ops/conv.py); a grouped one (stride 1) takes
the input itself, transposed by `to_columns`, as its columns, and col2im is the inverse
transpose. A stride-1 convolution whose output rows are as wide as the input's unfolds and
folds back whole flattened planes at a time (`_im2col_flat`, `_col2im_flat`).
A depthwise convolution (groups == in_channels, one input channel per group) would turn
into one 1-row matrix product per channel, so it runs as direct loops instead
(`depthwise_*`, each with its `_reference` in numpy slicing): its arithmetic is small
(kh*kw multiply-adds per output) and the loops never write the kh*kw-times larger columns.
They run over flattened padded rows (`_flat_correlate`, `_flat_scatter`, `_flat_weight_grad`);
a single-channel input with few output channels takes them too (`is_depthwise`).
"""
import math

import numpy as np

from . import runs_reference
from .threading_policy import jit


def out_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


# Thin products run per sample. A group's weight matrix of at most THIN_WEIGHT_MAX values
# (LeNet's first layer: 6 x 25) makes the forward and weight-gradient products thin, with
# one long side of N*Ho*Wo; OpenBLAS runs such a product 1.5-3x slower than N per-sample
# products of Ho*Wo each (benchmarks/README.md has the table). Wider weights keep one
# product over the batch, and so do maps of fewer than PER_SAMPLE_MIN_LENGTH positions,
# whose per-sample products would be mostly per-call overhead, and so do grouped
# convolutions: per sample they are N * groups small products, per-call overhead again
# (one product per group was 1.0-4x faster at every grouped shape timed, benchmarks/README.md).
THIN_WEIGHT_MAX = 1024
PER_SAMPLE_MIN_LENGTH = 64


# A batch whose columns would take more than CHUNK_BYTES is convolved in chunks of samples,
# each chunk's columns at most that size (at least one sample), and the backward pass
# unfolds each chunk again instead of keeping the whole batch's columns. The columns are
# kh*kw times the input: a 64-channel 3x3 layer on 32x32 images at batch 64 would keep
# 150 MB of them, and arrays that large come as fresh pages from the OS on every step
# (glibc's 32 MB mmap limit, tinygrad_lr/_malloc.py), 2-3x slower to write than reused
# ones. Below the limit one chunk is faster: unfolding twice costs more than it saves
# (benchmarks/README.md has both).
CHUNK_BYTES = 24 << 20


def batch_chunks(n, bytes_per_sample):
    """[(start, stop), ...] over a batch of n: one chunk while the whole batch's columns
    fit in CHUNK_BYTES, else chunks of as many samples as fit (at least one)."""
    per_chunk = max(1, CHUNK_BYTES // max(1, bytes_per_sample))
    return [(start, min(n, start + per_chunk)) for start in range(0, max(n, 1), per_chunk)]


def per_sample_products(k, o_group, length, groups):
    """True when a (o_group, k) weight times columns runs faster as one product per sample."""
    return groups == 1 and k * o_group <= THIN_WEIGHT_MAX and length >= PER_SAMPLE_MIN_LENGTH


@jit
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols):
    n, c, h, w = x.shape
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                # with stride 1 an output row reads input columns ow + shift; `inside`:
                # all of them lie in the input (no padding on this row), so the row is a
                # plain copy with no test per element (benchmarks/README.md has the numbers)
                shift = j * dw - pw
                inside = sw == 1 and shift >= 0 and wo - 1 + shift < w
                for b in range(n):
                    for oh in range(ho):
                        ih = oh * sh - ph + i * dh
                        if ih < 0 or ih >= h:
                            for ow in range(wo):
                                cols[ch, i, j, b, oh, ow] = 0.0
                        elif inside and shift >= 0:  # (shift >= 0 again: LLVM sees it here)
                            for ow in range(wo):
                                cols[ch, i, j, b, oh, ow] = x[b, ch, ih, ow + shift]
                        else:
                            for ow in range(wo):
                                iw = ow * sw - pw + j * dw
                                # the explicit 0 <= iw test (not a clipped range) lets LLVM
                                # vectorize: it proves the index needs no wraparound
                                cols[ch, i, j, b, oh, ow] = x[b, ch, ih, iw] if 0 <= iw < w \
                                    else 0.0


@jit
def _col2im(cols, sh, sw, ph, pw, dh, dw, dx):
    c, kh, kw, n, ho, wo = cols.shape
    h, w = dx.shape[2], dx.shape[3]
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                shift = j * dw - pw  # as in _im2col
                inside = sw == 1 and shift >= 0 and wo - 1 + shift < w
                for b in range(n):
                    for oh in range(ho):
                        ih = oh * sh - ph + i * dh
                        if ih < 0 or ih >= h:
                            continue
                        if inside and shift >= 0:
                            for ow in range(wo):
                                dx[b, ch, ih, ow + shift] += cols[ch, i, j, b, oh, ow]
                        else:
                            for ow in range(wo):
                                iw = ow * sw - pw + j * dw
                                if 0 <= iw < w:
                                    dx[b, ch, ih, iw] += cols[ch, i, j, b, oh, ow]


# A stride-1 convolution whose output rows are as wide as the input's ('same' padding along
# the width, 2 * pw == dw * (kw - 1): 3x3 with padding 1, 5x5 with padding 2) reads, for
# one kernel offset (i, j), the input shifted by a constant in the flattened (H*W) plane:
#     cols[c, i, j, n].flat[p] = x[n, c].flat[p + (i*dh - ph)*W + (j*dw - pw)]
# for every output position p whose row reads an input row, except the |j*dw - pw| columns
# at the end of each row that wrapped into the next (or previous) row: those read padding.
# So each (channel, offset, sample) block is one long copy, then a few zeros per row,
# instead of one short row copy per output row (rows of 7-14 floats spend most of a row
# copy in loop overhead and the vector loop's scalar tail; benchmarks/README.md). col2im,
# its adjoint, first zeroes those entries in its scratch columns and then adds the block as
# one span.
@jit
def _im2col_flat(x, kh, kw, ph, pw, dh, dw, cols):
    n, c, h, w = x.shape
    ho = cols.shape[4]
    flat_x = x.reshape(n, c, h * w)
    flat_cols = cols.reshape(c, kh, kw, n, ho * w)
    for ch in range(c):
        for i in range(kh):
            lo, hi, top = _rows_read(i, ph, dh, h, ho)
            for j in range(kw):
                first, last, offset, shift = _span(lo, hi, top, j, pw, dw, h, w)
                for b in range(n):
                    dst = flat_cols[ch, i, j, b]
                    for p in range(first):  # rows above the input (and a clipped start)
                        dst[p] = 0.0
                    src, span = flat_x[b, ch, first + offset:last + offset], dst[first:last]
                    for p in range(last - first):  # (slices: no index wraparound to test)
                        span[p] = src[p]
                    for p in range(last, ho * w):  # rows below it
                        dst[p] = 0.0
                    _zero_wrapped(dst, lo, hi, w, shift)


@jit
def _col2im_flat(cols, ph, pw, dh, dw, dx):
    c, kh, kw, n, ho, _ = cols.shape
    h, w = dx.shape[2], dx.shape[3]
    flat_cols = cols.reshape(c, kh, kw, n, ho * w)
    flat_dx = dx.reshape(n, c, h * w)
    for ch in range(c):
        for i in range(kh):
            lo, hi, top = _rows_read(i, ph, dh, h, ho)
            for j in range(kw):
                first, last, offset, shift = _span(lo, hi, top, j, pw, dw, h, w)
                for b in range(n):
                    src = flat_cols[ch, i, j, b]
                    _zero_wrapped(src, lo, hi, w, shift)  # (scratch: they read padding)
                    span, dst = src[first:last], flat_dx[b, ch, first + offset:last + offset]
                    for p in range(last - first):
                        dst[p] += span[p]


@jit
def _rows_read(i, ph, dh, h, ho):
    """The output rows lo..hi-1 whose row i of the window lies in the input, and `top`:
    output row r reads input row r - top."""
    top = ph - i * dh
    lo = min(max(top, 0), ho)
    return lo, max(min(h + top, ho), lo), top


@jit
def _span(lo, hi, top, j, pw, dw, h, w):
    """The flat output positions first..last-1 of rows lo..hi-1 that read inside the flat
    input (position p reads p + offset), and the column shift of kernel column j."""
    shift = j * dw - pw
    offset = shift - top * w
    first = min(max(lo * w, -offset), hi * w)
    return first, max(min(hi * w, h * w - offset), first), offset, shift


@jit
def _zero_wrapped(flat_block, lo, hi, w, shift):
    """Zero the |shift| columns of rows lo..hi-1 that wrapped into a neighbouring row."""
    if shift == 0:
        return
    start, stop = (0, min(-shift, w)) if shift < 0 else (max(w - shift, 0), w)
    for r in range(lo, hi):
        row = flat_block[r * w + start:r * w + stop]
        for q in range(stop - start):
            row[q] = 0.0


def _flat_rows(stride, out_w, w):
    """True when im2col and col2im take the flat spans: a stride-1 convolution whose output
    rows are as wide as the input's, and rows that are not a whole number of ROW_VECTOR
    elements: rows of 8, 16, 32 floats copy in whole vectors, and the row loops are as fast
    or faster there; rows of 7, 10, 12, 14, 28 run a scalar tail on every row, where the
    spans are faster (benchmarks/README.md has the table)."""
    return tuple(stride) == (1, 1) and out_w == w and w % ROW_VECTOR != 0


ROW_VECTOR = 8  # float32s in an AVX2 register, the row loops' vector width


# A strided convolution's im2col rows are strided gathers, one element at a time. Split into
# its stride phases first, the padded input holds sh * sw planes, phase (p, q) =
# x_padded[:, :, p::sh, q::sw], and kernel offset (i, j) reads phase (i % sh, j % sw) at
# offset (i // sh, j // sw) with unit stride:
#     cols[c, i, j, n, oh, ow] = phase[i % sh, j % sw][n, c, oh + i // sh, ow + j // sw]
# so every row is a plain copy again. The split costs a pass over the input, which pays
# when the columns are larger than the input (kh * kw > sh * sw: 3x3 to 5x5 kernels at
# stride 2, 18-45% faster; not a 1x1 stride-2 shortcut; benchmarks/README.md). col2im keeps
# its strided adds: through phases, the transposing copy back cost more than it saved.
@jit
def _im2col_phases(phases, kh, kw, ho, wo, cols):
    sh, sw, n, c = phases.shape[:4]
    for ch in range(c):
        for i in range(kh):
            p, a = i % sh, i // sh
            for j in range(kw):
                q, d = j % sw, j // sw
                for b in range(n):
                    plane = phases[p, q, b, ch]
                    for oh in range(ho):
                        src, dst = plane[oh + a, d:d + wo], cols[ch, i, j, b, oh]
                        for ow in range(wo):
                            dst[ow] = src[ow]


def _use_phases(kernel, stride, dilation):
    (kh, kw), (sh, sw) = kernel, stride
    return tuple(dilation) == (1, 1) and (sh, sw) != (1, 1) and kh * kw > sh * sw


def _to_phases(x, stride, padding):
    """(sh, sw, N, C, Hq, Wq): the phases of x padded (and rounded up to whole strides)."""
    (n, c, h, w), (sh, sw), (ph, pw) = x.shape, stride, padding
    hq, wq = -(-(h + 2 * ph) // sh), -(-(w + 2 * pw) // sw)
    xp = np.zeros((n, c, hq * sh, wq * sw), dtype=x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    return np.ascontiguousarray(xp.reshape(n, c, hq, sh, wq, sw).transpose(3, 5, 0, 1, 2, 4))


def _padded_window(xp, i, j, ho, wo, stride, dilation):
    """The (N, C, Ho, Wo) view of the padded input that kernel offset (i, j) sees."""
    (sh, sw), (dh, dw) = stride, dilation
    return xp[:, :, i * dh:i * dh + (ho - 1) * sh + 1:sh, j * dw:j * dw + (wo - 1) * sw + 1:sw]


def to_columns(a):
    """(N, C, ...) -> (C, N * ...): the batch moved into the columns (a copy)."""
    n, c = a.shape[:2]
    length = math.prod(a.shape[2:])  # not -1 in reshape: an empty batch has no length to infer
    return np.ascontiguousarray(a.reshape(n, c, length).transpose(1, 0, 2)).reshape(c, n * length)


def from_columns(a, shape):
    """The inverse of to_columns: (C, N * ...) -> an array of `shape` (N, C, ...)."""
    n, c = shape[:2]
    return np.ascontiguousarray(a.reshape(c, n, math.prod(shape[2:])).transpose(1, 0, 2)
                                ).reshape(shape)


def im2col_reference(x, kernel, stride, padding, dilation):
    """cols[c, i, j, n, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw], by slicing."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    ho = out_size(h, kh, stride[0], ph, dilation[0])
    wo = out_size(w, kw, stride[1], pw, dilation[1])
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = _padded_window(xp, i, j, ho, wo, stride, dilation).transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * ho * wo)


def col2im_reference(cols, x_shape, kernel, out_hw, stride, padding, dilation):
    """The adjoint of im2col: each column entry is added back to the input position it was
    copied from (positions in the padding are dropped)."""
    n, c, h, w = x_shape
    (kh, kw), (ho, wo), (ph, pw) = kernel, out_hw, padding
    cols = cols.reshape(c, kh, kw, n, ho, wo)
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            # one offset's window never touches a position twice, so += is exact
            _padded_window(dxp, i, j, ho, wo, stride, dilation)[...] += \
                cols[:, i, j].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dxp[:, :, ph:ph + h, pw:pw + w])


def is_pointwise(kernel, stride, padding):
    """A 1x1 kernel, stride 1, no padding: the columns are the input itself."""
    return tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and tuple(padding) == (0, 0)


# A 1x1 convolution (no padding, groups 1; a stride s reads every s-th row and column) is
# one matrix product per sample: out[n] = W @ x[n], with x[n] as (C, Ho*Wo). numpy's batched
# matmul reads x and writes out in their own (N, C, H*W) layouts; the batch-in-columns layout
# would move the batch into the columns and back, two transposing copies per pass, and
# those took longer than the products (benchmarks/README.md has the numbers).
def is_one_by_one(kernel, padding, groups):
    """A 1x1 kernel, no padding, groups 1 (any stride): `one_by_one_*` computes it."""
    return tuple(kernel) == (1, 1) and tuple(padding) == (0, 0) and groups == 1


def _per_sample(x, stride):
    """x (N, C, H, W) at the stride's rows and columns, as (N, C, Ho*Wo) (a copy if strided)."""
    if tuple(stride) != (1, 1):
        x = np.ascontiguousarray(x[:, :, ::stride[0], ::stride[1]])
    return x.reshape(x.shape[0], x.shape[1], x.shape[2] * x.shape[3]), x.shape[2:]


def one_by_one_forward(x, w, stride):
    """out[n] = W @ x[n]: x (N, C, H, W), w (O, C, 1, 1) -> (N, O, Ho, Wo)."""
    xs, out_hw = _per_sample(x, stride)
    return np.matmul(w.reshape(w.shape[:2]), xs).reshape((x.shape[0], w.shape[0]) + out_hw)


def one_by_one_backward_input(g, w, x_shape, stride):
    """dx[n] = W^T @ g[n], at the positions the stride read (zero elsewhere)."""
    n, o = g.shape[:2]
    dx_read = np.matmul(w.reshape(w.shape[:2]).T, g.reshape(n, o, math.prod(g.shape[2:]))
                        ).reshape((n, x_shape[1]) + g.shape[2:])
    if tuple(stride) == (1, 1):
        return dx_read
    dx = np.zeros(x_shape, dtype=dx_read.dtype)
    dx[:, :, ::stride[0], ::stride[1]] = dx_read
    return dx


def one_by_one_backward_weight(g, x, w_shape, stride):
    """dW = sum over n of g[n] @ x[n]^T."""
    xs, _ = _per_sample(x, stride)
    n, o = g.shape[:2]
    return np.matmul(g.reshape(n, o, xs.shape[2]), xs.transpose(0, 2, 1)).sum(axis=0).reshape(
        w_shape)


# A single-channel input (an MNIST-style first layer) is a depthwise convolution too: groups
# == in_channels == 1, every output channel reads the one input channel. With few output
# channels the depthwise loops beat im2col + products in a training step, as they never
# write the kh*kw-times larger columns: LeNet-5's 1 -> 6 5x5 layer made the whole step 1-17%
# faster at batch 64 and 9-12% at batch 256, a 1 -> 8 3x3 layer within 5% either way; with
# 16 output channels (1 -> 16 5x5) the step was 17-31% slower (benchmarks/README.md). So up to
# SINGLE_CHANNEL_LOOPS_MAX output channels a single-channel input takes the loops.
SINGLE_CHANNEL_LOOPS_MAX = 8


def is_depthwise(in_channels, w_shape, groups):
    """One input channel per group (out_channels may be a multiple of in_channels), and so
    run by the depthwise loops; a single-channel input counts with at most
    SINGLE_CHANNEL_LOOPS_MAX output channels."""
    if groups == 1:
        return in_channels == 1 and w_shape[0] <= SINGLE_CHANNEL_LOOPS_MAX
    return groups == in_channels and w_shape[1] == 1


def im2col(x, kernel, stride, padding, dilation):
    """x (N, C, H, W) -> cols (C*kh*kw, N*Ho*Wo), the batch in the columns."""
    if is_pointwise(kernel, stride, padding):
        return to_columns(x)
    if runs_reference(x):
        return im2col_reference(x, kernel, stride, padding, dilation)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    if _use_phases(kernel, stride, dilation):
        _im2col_phases(_to_phases(x, stride, padding), kh, kw, ho, wo, cols)
    elif _flat_rows(stride, wo, w):
        _im2col_flat(np.ascontiguousarray(x), kh, kw, ph, pw, dh, dw, cols)
    else:
        _im2col(np.ascontiguousarray(x), kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)
    return cols.reshape(c * kh * kw, n * ho * wo)


def col2im(cols, x_shape, kernel, out_hw, stride, padding, dilation, out=None,
           scratch=False):
    """The adjoint of im2col: cols (C*kh*kw, N*Ho*Wo) -> dx (N, C, H, W), overlaps summed;
    written into `out` (a contiguous array of x_shape) when given. scratch=True: the caller
    no longer needs cols, and its entries that read padding may be zeroed (`_col2im_flat`)."""
    if is_pointwise(kernel, stride, padding) or runs_reference(cols):
        dx = from_columns(cols, x_shape) if is_pointwise(kernel, stride, padding) else \
            col2im_reference(cols, x_shape, kernel, out_hw, stride, padding, dilation)
        if out is None:
            return dx
        out[...] = dx
        return out
    n, c = x_shape[:2]
    (kh, kw), (ho, wo) = kernel, out_hw
    cols = np.ascontiguousarray(cols).reshape(c, kh, kw, n, ho, wo)
    if out is None:
        out = np.zeros(x_shape, dtype=cols.dtype)
    else:
        out[...] = 0
    if _flat_rows(stride, wo, x_shape[3]):
        _col2im_flat(cols if scratch else cols.copy(), padding[0], padding[1], dilation[0],
                     dilation[1], out)
    else:
        _col2im(cols, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1],
                out)
    return out


def conv2d_forward(x, w, stride, padding, dilation, groups):
    """Returns (out, cols); keep cols for the weight gradient (it saves a second im2col)."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    cols = im2col(x, (kh, kw), stride, padding, dilation)
    ho = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    wo = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    k, length = cg * kh * kw, ho * wo
    wg = w.reshape(groups, o // groups, k)
    if per_sample_products(k, o // groups, length, groups):
        # each sample's product writes its own output, on the (N, groups, K, L) view of cols
        per_sample = cols.reshape(groups, k, n, length).transpose(2, 0, 1, 3)
        return np.matmul(wg, per_sample).reshape(n, o, ho, wo), cols
    out = np.matmul(wg, cols.reshape(groups, k, n * length))
    return from_columns(out, (n, o, ho, wo)), cols


def conv2d_backward_input(g_cols, w, x_shape, out_hw, stride, padding, dilation, groups):
    """Gradient of conv2d wrt its input x (also the forward pass of conv_transpose2d), from
    the output gradient in columns, g_cols = to_columns(g) of shape (O, N*Ho*Wo).

    The columns of the gradient, W^T @ g_cols, come from a product whose inner dimension is
    only the output channels, and col2im reads them once. For a large batch of small maps
    they are made and folded back a few samples at a time (`input_grad_chunk`), so that
    they stay in cache between the two instead of going through memory.
    """
    o, cg, kh, kw = w.shape
    k = cg * kh * kw
    wt = w.reshape(groups, o // groups, k).transpose(0, 2, 1)
    g_groups = g_cols.reshape(groups, o // groups, g_cols.shape[1])
    n, length = x_shape[0], out_hw[0] * out_hw[1]
    per_chunk = input_grad_chunk(groups * k * length * g_cols.itemsize, n)
    if per_chunk == n or is_pointwise((kh, kw), stride, padding):
        dcols = np.matmul(wt, g_groups)
        return col2im(dcols.reshape(groups * k, -1), x_shape, (kh, kw), out_hw, stride,
                      padding, dilation, scratch=True)
    dx = np.empty(x_shape, dtype=g_cols.dtype)
    for start in range(0, n, per_chunk):
        stop = min(n, start + per_chunk)
        dcols = np.matmul(wt, g_groups[:, :, start * length:stop * length])
        col2im(dcols.reshape(groups * k, -1), (stop - start,) + tuple(x_shape[1:]), (kh, kw),
               out_hw, stride, padding, dilation, out=dx[start:stop], scratch=True)
    return dx


# The input gradient of a large batch in chunks of samples. While the whole batch's columns
# fit in the last-level cache (up to INPUT_GRAD_CHUNK_ABOVE; LeNet's conv2 up to batch
# ~200), one product over the batch on both BLAS threads is fastest. Beyond, a product and
# col2im per chunk of INPUT_GRAD_CHUNK_BYTES (a quarter of a core's L2 here) keep the
# columns in cache instead of a round trip through memory (LeNet's conv2 at batch 256).
# Chunks need at least two samples each: one sample of a
# larger map (590 KB for 16 channels 3x3 on 32x32) per product was slower. The table is in
# benchmarks/README.md.
INPUT_GRAD_CHUNK_ABOVE = 12 << 20
INPUT_GRAD_CHUNK_BYTES = 256 << 10


def input_grad_chunk(bytes_per_sample, n):
    """Samples per chunk of the input gradient: n (one product) unless the batch's columns
    exceed INPUT_GRAD_CHUNK_ABOVE and at least two samples fit in INPUT_GRAD_CHUNK_BYTES."""
    if bytes_per_sample * n <= INPUT_GRAD_CHUNK_ABOVE:
        return n
    per_chunk = INPUT_GRAD_CHUNK_BYTES // max(1, bytes_per_sample)
    return per_chunk if 2 <= per_chunk < n else n


def conv2d_backward_weight(g, cols, w_shape, groups, g_cols=None):
    """Gradient of conv2d wrt its weight, from the output gradient g (N, O, Ho, Wo) and the
    forward's cols; `g_cols` = to_columns(g), when the input gradient has made it already.

    The per-sample products read g as it is; only the one product over the batch needs it
    in columns (made here if not given)."""
    n, o = g.shape[:2]
    length = math.prod(g.shape[2:])
    k = cols.shape[0] // groups
    if per_sample_products(k, o // groups, length, groups):
        # (N, groups, K, L) @ (N, groups, L, O/g), summed over the samples
        cc = cols.reshape(groups, k, n, length).transpose(2, 0, 1, 3)
        gg = g.reshape(n, groups, o // groups, length).transpose(0, 1, 3, 2)
        dw_t = np.matmul(cc, gg).sum(axis=0)
    else:
        g_cols = to_columns(g) if g_cols is None else g_cols
        # cols @ g^T (then a transpose of the small result): faster in OpenBLAS than
        # g @ cols^T at most shapes timed
        dw_t = np.matmul(cols.reshape(groups, k, n * length),
                         g_cols.reshape(groups, o // groups, n * length).transpose(0, 2, 1))
    return dw_t.transpose(0, 2, 1).reshape(w_shape)


def conv2d_reference(x, w, stride, padding, dilation, groups):
    """The convolution's formula, one kernel offset at a time (what im2col + GEMM computes):

        out[n, o, oh, ow] = sum over c, i, j of
                            w[o, c, i, j] * x_padded[n, g*C/groups + c, oh*sh + i*dh, ow*sw + j*dw]

    where g = o // (O/groups) is the group of output channel o.
    """
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (ph, pw), og = padding, o // groups
    ho = out_size(h, kh, stride[0], ph, dilation[0])
    wo = out_size(wd, kw, stride[1], pw, dilation[1])
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((n, o, ho, wo), dtype=np.result_type(x, w))
    for i in range(kh):
        for j in range(kw):
            window = _padded_window(xp, i, j, ho, wo, stride, dilation)
            for g in range(groups):
                out[:, g * og:(g + 1) * og] += np.einsum(
                    "oc,nchw->nohw", w[g * og:(g + 1) * og, :, i, j],
                    window[:, g * cg:(g + 1) * cg])
    return out


# ------------------------------------------------------------------ depthwise convolution
# Output channel oc reads input channel oc // m, where m = out_channels // in_channels.
#
# The loops run over flattened rows. With stride 1, output row oh, column ow reads padded
# input position (oh + i*dh) * Wp + (ow + j*dw), i.e. flat position q + offset(i, j) for
# q = oh * Wp + ow: computed for every q in [0, Ho * Wp) - the columns past Wo are thrown
# away afterwards - each kernel offset is one long unit-stride loop over q (kh * kw loops of
# Ho * Wp per channel instead of kh * kw * Ho loops of Wo), and three offsets of a kernel
# row share one pass (fewer loads and stores of the accumulator). A row stride sh deals the
# padded rows into sh row phases first (`_row_phases`: phase p holds rows p, p + sh, ...), so
# that kernel row i reads phase (i*dh) % sh from row (i*dh) // sh on, again one long loop;
# a column stride sw keeps every sw-th of the stride-1 columns. The input gradient runs the
# same loops backwards, scattering g * w into the row phases (`_flat_scatter`), the weight
# gradient as dot products over the same windows (`_flat_weight_grad`); g enters both
# spread onto the Ho x Wp grid (`_spread`), zero where the forward threw columns away.
# They replaced per-row loops (kh * kw * Ho loops of Wo per channel), which were 1.2-3x
# slower at every layer timed (benchmarks/README.md has the tables).
def _row_phases(x, sh, padding, tail):
    """(N, C, sh, Hq * Wp + tail): x zero-padded, its padded rows dealt into sh row phases
    (phase p holds rows p, p + sh, p + 2*sh, ...), each flattened, with `tail` zeros at the
    end so that the last window of a loop stays inside the array."""
    n, c, h, w = x.shape
    ph, pw = padding
    hq, wp = -(-(h + 2 * ph) // sh), w + 2 * pw
    rows = np.zeros((n, c, sh, hq * wp + tail), dtype=x.dtype)
    grid = rows[:, :, :, :hq * wp].reshape(n, c, sh, hq, wp)
    for p, first, start, count in _phase_rows(h, sh, ph):
        grid[:, :, p, first:first + count, pw:pw + w] = x[:, :, start::sh]
    return rows


def _phase_rows(h, sh, ph):
    """For each row phase p: (p, its first row that lies in x, that row of x, how many)."""
    for p in range(sh):
        first = -(-(ph - p) // sh) if ph > p else 0
        start = first * sh + p - ph
        yield p, first, start, len(range(start, h, sh))


def _spread(g, wp, sw):
    """g (N, O, Ho, Wo) on the (N, O, Ho * Wp) grid of the flat loops: g[..., ow] at column
    ow * sw, zero elsewhere."""
    n, o, ho, wo = g.shape
    g_full = np.zeros((n, o, ho, wp), dtype=g.dtype)
    g_full[:, :, :, :(wo - 1) * sw + 1:sw] = g
    return g_full.reshape(n, o, ho * wp)


@jit(fastmath={"reassoc", "contract"})
def _flat_correlate(rows, w, wp, sh, dh, dw, m, out_full):
    """out_full[b, oc, q] += sum over i, j of w[oc, 0, i, j] *
    rows[b, oc // m, (i*dh) % sh, (i*dh) // sh * wp + j*dw + q]."""
    n = rows.shape[0]
    o, _, kh, kw = w.shape
    length = out_full.shape[2]
    for b in range(n):
        for oc in range(o):
            acc = out_full[b, oc]
            for i in range(kh):
                row = rows[b, oc // m, (i * dh) % sh]
                base = (i * dh) // sh * wp
                j = 0
                while j + 3 <= kw:  # three offsets per pass over acc
                    w0, w1, w2 = w[oc, 0, i, j], w[oc, 0, i, j + 1], w[oc, 0, i, j + 2]
                    s0 = base + j * dw
                    # slices, not s0 + q: a loop index LLVM knows is >= 0 vectorizes
                    a0 = row[s0:s0 + length]
                    a1 = row[s0 + dw:s0 + dw + length]
                    a2 = row[s0 + 2 * dw:s0 + 2 * dw + length]
                    for q in range(length):
                        acc[q] += w0 * a0[q] + w1 * a1[q] + w2 * a2[q]
                    j += 3
                while j < kw:
                    w0 = w[oc, 0, i, j]
                    s0 = base + j * dw
                    a0 = row[s0:s0 + length]
                    for q in range(length):
                        acc[q] += w0 * a0[q]
                    j += 1


@jit(fastmath={"reassoc", "contract"})
def _flat_scatter(g_full, w, wp, sh, dh, dw, m, drows):
    """The adjoint of _flat_correlate: drows[b, oc // m, (i*dh) % sh, (i*dh) // sh * wp +
    j*dw + q] += w[oc, 0, i, j] * g_full[b, oc, q]. (One offset per pass: the windows of
    neighbouring offsets overlap, and each pass writes its own.)"""
    n, o, length = g_full.shape
    kh, kw = w.shape[2], w.shape[3]
    for b in range(n):
        for oc in range(o):
            gr = g_full[b, oc]
            for i in range(kh):
                row = drows[b, oc // m, (i * dh) % sh]
                base = (i * dh) // sh * wp
                for j in range(kw):
                    w0 = w[oc, 0, i, j]
                    s0 = base + j * dw
                    d0 = row[s0:s0 + length]
                    for q in range(length):
                        d0[q] += w0 * gr[q]


@jit(fastmath={"reassoc", "contract"})
def _flat_weight_grad(g_full, rows, wp, sh, dh, dw, m, gw):
    """gw[oc, 0, i, j] += sum over b, q of g_full[b, oc, q] *
    rows[b, oc // m, (i*dh) % sh, (i*dh) // sh * wp + j*dw + q]."""
    n, o, length = g_full.shape
    kh, kw = gw.shape[2], gw.shape[3]
    for b in range(n):
        for oc in range(o):
            gr = g_full[b, oc]
            for i in range(kh):
                row = rows[b, oc // m, (i * dh) % sh]
                base = (i * dh) // sh * wp
                j = 0
                while j + 3 <= kw:
                    s0 = base + j * dw
                    a0 = row[s0:s0 + length]
                    a1 = row[s0 + dw:s0 + dw + length]
                    a2 = row[s0 + 2 * dw:s0 + 2 * dw + length]
                    # the sums start from gw's values: they keep its dtype (a float32 sum
                    # carried in float64 would not vectorize as well)
                    t0, t1, t2 = gw[oc, 0, i, j], gw[oc, 0, i, j + 1], gw[oc, 0, i, j + 2]
                    for q in range(length):
                        t0 += gr[q] * a0[q]
                        t1 += gr[q] * a1[q]
                        t2 += gr[q] * a2[q]
                    gw[oc, 0, i, j], gw[oc, 0, i, j + 1], gw[oc, 0, i, j + 2] = t0, t1, t2
                    j += 3
                while j < kw:
                    s0 = base + j * dw
                    a0 = row[s0:s0 + length]
                    t0 = gw[oc, 0, i, j]
                    for q in range(length):
                        t0 += gr[q] * a0[q]
                    gw[oc, 0, i, j] = t0
                    j += 1


def _depthwise_out_hw(x_shape, w_shape, stride, padding, dilation):
    return tuple(out_size(s, k, st, p, d) for s, k, st, p, d in
                 zip(x_shape[2:], w_shape[2:], stride, padding, dilation))


def _channel_of_output(x, o):
    """x (N, C, ...) -> (N, O, ...): input channel oc // (O // C) for each output channel."""
    return np.repeat(x, o // x.shape[1], axis=1)


def depthwise_forward_reference(x, w, stride, padding, dilation):
    """out[n, oc] = sum over i, j of w[oc, 0, i, j] * window(i, j) of input channel oc // m."""
    ho, wo = _depthwise_out_hw(x.shape, w.shape, stride, padding, dilation)
    (ph, pw), (kh, kw) = padding, w.shape[2:]
    xp = _channel_of_output(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))), w.shape[0])
    out = np.zeros((x.shape[0], w.shape[0], ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out += w[None, :, 0, i, j, None, None] * _padded_window(xp, i, j, ho, wo, stride,
                                                                    dilation)
    return out


def depthwise_backward_input_reference(g, w, x_shape, stride, padding, dilation):
    """Each output gradient, times its weight, added back where its window read the input;
    the m output channels of one input channel summed."""
    n, c, h, wd = x_shape
    (ph, pw), (kh, kw), (ho, wo) = padding, w.shape[2:], g.shape[2:]
    dxp = np.zeros((n, w.shape[0], h + 2 * ph, wd + 2 * pw), dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            _padded_window(dxp, i, j, ho, wo, stride, dilation)[...] += \
                w[None, :, 0, i, j, None, None] * g
    dxp = dxp.reshape(n, c, -1, h + 2 * ph, wd + 2 * pw).sum(axis=2)
    return np.ascontiguousarray(dxp[:, :, ph:ph + h, pw:pw + wd])


def depthwise_backward_weight_reference(g, x, w_shape, stride, padding, dilation):
    """gw[oc, 0, i, j] = sum over n, oh, ow of g[n, oc] * window(i, j) of channel oc // m."""
    (ph, pw), (kh, kw), (ho, wo) = padding, w_shape[2:], g.shape[2:]
    xp = _channel_of_output(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))), w_shape[0])
    gw = np.zeros(w_shape, dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            window = _padded_window(xp, i, j, ho, wo, stride, dilation)
            gw[:, 0, i, j] = (g * window).sum(axis=(0, 2, 3))
    return gw


def _flat_geometry(x_shape, w_shape, stride, padding, dilation):
    """(Ho, Wo, Wp, tail) of the flat loops."""
    ho, wo = _depthwise_out_hw(x_shape, w_shape, stride, padding, dilation)
    return ho, wo, x_shape[3] + 2 * padding[1], (w_shape[3] - 1) * dilation[1] + 1


def depthwise_forward(x, w, stride, padding, dilation):
    """Depthwise conv2d (groups == in_channels): x (N, C, H, W), w (O, 1, kh, kw)."""
    if runs_reference(x, w):
        return depthwise_forward_reference(x, w, stride, padding, dilation)
    ho, wo, wp, tail = _flat_geometry(x.shape, w.shape, stride, padding, dilation)
    n, o = x.shape[0], w.shape[0]
    out_full = np.zeros((n, o, ho * wp), dtype=np.result_type(x, w))
    _flat_correlate(_row_phases(x, stride[0], padding, tail), np.ascontiguousarray(w), wp,
                    stride[0], *dilation, o // x.shape[1], out_full)
    return np.ascontiguousarray(
        out_full.reshape(n, o, ho, wp)[:, :, :, :(wo - 1) * stride[1] + 1:stride[1]])


def depthwise_backward_input(g, w, x_shape, stride, padding, dilation):
    if runs_reference(g, w):
        return depthwise_backward_input_reference(g, w, x_shape, stride, padding, dilation)
    _, _, wp, tail = _flat_geometry(x_shape, w.shape, stride, padding, dilation)
    n, c, h, wd = x_shape
    (sh, sw), (ph, pw) = stride, padding
    hq = -(-(h + 2 * ph) // sh)
    drows = np.zeros((n, c, sh, hq * wp + tail), dtype=g.dtype)
    _flat_scatter(_spread(g, wp, sw), np.ascontiguousarray(w), wp, sh, *dilation,
                  w.shape[0] // c, drows)
    grid = drows[:, :, :, :hq * wp].reshape(n, c, sh, hq, wp)
    dx = np.empty(x_shape, dtype=g.dtype)
    for p, first, start, count in _phase_rows(h, sh, ph):  # the rows of x, back from phases
        dx[:, :, start::sh] = grid[:, :, p, first:first + count, pw:pw + wd]
    return dx


def depthwise_backward_weight(g, x, w_shape, stride, padding, dilation):
    if runs_reference(g, x):
        return depthwise_backward_weight_reference(g, x, w_shape, stride, padding, dilation)
    _, _, wp, tail = _flat_geometry(x.shape, w_shape, stride, padding, dilation)
    gw = np.zeros(w_shape, dtype=g.dtype)
    _flat_weight_grad(_spread(g, wp, stride[1]), _row_phases(x, stride[0], padding, tail), wp,
                      stride[0], *dilation, w_shape[0] // x.shape[1], gw)
    return gw

"""Every Numba kernel against the numpy expression it replaces (its `*_reference`, beside it
in tinygrad_lr/kernels/), on the shapes of the training steps the other benchmarks time:
a kernel exists only because it wins this comparison. Columns: kernel / numpy (ratio < 1:
the kernel is faster).

A second table keeps the design choice of kernels/conv.py honest: im2col + BLAS against
direct Numba loops for the three convolution passes, with PyTorch's own kernels beside them
(columns: ours / torch).
"""
import os
import sys

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare, print_table, row, torch_or_none, write_json  # noqa: E402

RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------ kernel vs reference
def conv_cases():
    from tinygrad_lr.kernels import conv as K

    for label, shape, k, pad in (("LeNet conv1 (64,1,28,28) k5 p2", (64, 1, 28, 28), 5, 2),
                                 ("LeNet conv2 (64,6,14,14) k5", (64, 6, 14, 14), 5, 0),
                                 ("small CNN conv2 (32,8,14,14) k3 p1", (32, 8, 14, 14), 3, 1),
                                 ("conv-BN conv2 (32,32,16,16) k3 p1", (32, 32, 16, 16), 3, 1)):
        x = randn(*shape)
        args = ((k, k), (1, 1), (pad, pad), (1, 1))
        cols = K.im2col(x, *args)
        out_hw = (K.out_size(shape[2], k, 1, pad, 1), K.out_size(shape[3], k, 1, pad, 1))
        back = (shape, (k, k), out_hw, (1, 1), (pad, pad), (1, 1))
        yield (f"im2col {label}", lambda x=x, a=args: K.im2col(x, *a),
               lambda x=x, a=args: K.im2col_reference(x, *a))
        # scratch=True, as conv2d_backward_input calls it (its product's columns are scratch)
        yield (f"col2im {label}", lambda c=cols, b=back: K.col2im(c, *b, scratch=True),
               lambda c=cols, b=back: K.col2im_reference(c, *b))
    # stride 2: through the stride phases against the strided rows of _im2col
    for shape, k in (((32, 16, 32, 32), 3), ((32, 32, 16, 16), 4)):
        x, (n, c, h, w) = randn(*shape), shape
        ho, wo = K.out_size(h, k, 2, 1, 1), K.out_size(w, k, 2, 1, 1)

        def strided(x=x, k=k, ho=ho, wo=wo, c=c, n=n):
            cols = np.empty((c, k, k, n, ho, wo), dtype=x.dtype)
            K._im2col(x, k, k, 2, 2, 1, 1, 1, 1, ho, wo, cols)
            return cols
        yield (f"im2col {shape} k{k} stride 2 p1: phases vs strided rows",
               lambda x=x, k=k: K.im2col(x, (k, k), (2, 2), (1, 1), (1, 1)), strided)


def depthwise_cases():
    from tinygrad_lr.kernels import conv as K

    for shape, stride in (((32, 32, 32, 32), 1), ((32, 64, 32, 32), 2)):
        x, w = randn(*shape), randn(shape[1], 1, 3, 3)
        args = ((stride, stride), (1, 1), (1, 1))
        g = randn(*K.depthwise_forward(x, w, *args).shape)
        label = f"{shape} k3 s{stride}"
        yield (f"depthwise conv fwd {label}",
               lambda x=x, w=w, a=args: K.depthwise_forward(x, w, *a),
               lambda x=x, w=w, a=args: K.depthwise_forward_reference(x, w, *a))
        yield (f"depthwise conv bwd input {label}",
               lambda g=g, w=w, s=shape, a=args: K.depthwise_backward_input(g, w, s, *a),
               lambda g=g, w=w, s=shape, a=args: K.depthwise_backward_input_reference(g, w, s, *a))
        yield (f"depthwise conv bwd weight {label}",
               lambda g=g, x=x, w=w, a=args: K.depthwise_backward_weight(g, x, w.shape, *a),
               lambda g=g, x=x, w=w, a=args:
                   K.depthwise_backward_weight_reference(g, x, w.shape, *a))


def embedding_cases():
    from tinygrad_lr.kernels import embedding as E

    indices = np.random.default_rng(0).integers(0, 1000, (35, 20))
    g = randn(35, 20, 64)
    yield ("embedding backward 700 rows of 64 into 1000",
           lambda: E.embedding_backward(g, indices, 1000),
           lambda: E.embedding_backward_reference(g, indices, 1000))


def selection_cases():
    from tinygrad_lr.kernels import selection as SE

    x = randn(256, 1000)  # a top-k accuracy over 1000 classes
    for k in (5, 64):
        yield (f"topk indices k={k} of (256,1000) vs a stable sort",
               lambda k=k: SE.topk_indices(x, k, 1),
               lambda k=k: SE.topk_indices_reference(x, k, 1, True))


def median_cases():
    from tinygrad_lr.kernels import selection as SE

    for shape in ((64, 101), (256, 1000)):
        x = randn(*shape)
        yield (f"median index along dim 1 {shape} (selection vs stable sort)",
               lambda x=x: SE.median_index(x, 1), lambda x=x: SE.median_index_reference(x, 1))


def cumulative_cases():
    from tinygrad_lr.kernels import cumulative as CU

    x = randn(256, 256)
    for axis in (0, 1):
        yield (f"cumsum (256,256) along dim {axis} vs np.cumsum",
               lambda a=axis: CU.cumsum(x, a), lambda a=axis: CU.cumsum_reference(x, a))


def reduce_cases():
    from tinygrad_lr.kernels import reduce as RD

    # a global average pool, rows of a loss, every bias gradient (a leading axis), narrow
    # columns, and a conv bias gradient (two runs of axes)
    for shape, axes in (((32, 64, 16, 16), (2, 3)), ((2048, 256), (1,)), ((2048, 256), (0,)),
                        ((32768, 16), (0,)), ((256, 6, 28, 28), (0, 2, 3))):
        x = randn(*shape)
        yield (f"sum_axes {shape} over {axes} vs np.sum",
               lambda x=x, a=axes: RD.sum_axes(x, a),
               lambda x=x, a=axes: RD.sum_axes_reference(x, a))
    x, y = randn(1024, 1024), randn(1024, 1024)
    yield ("squared_difference_sum (1024,1024) (MSE) vs np.sum((x - y)**2)",
           lambda: RD.squared_difference_sum(x, y),
           lambda: RD.squared_difference_sum_reference(x, y))


def pool_cases():
    from tinygrad_lr.kernels import pool as P

    for shape in ((64, 6, 28, 28), (32, 32, 32, 32)):
        x = randn(*shape)
        args = ((2, 2), (2, 2), (0, 0), (1, 1), (shape[2] // 2, shape[3] // 2))
        out, argmax = P.max_pool2d_forward(x, *args)
        g = randn(*out.shape)
        yield (f"max pool 2x2 fwd {shape}", lambda x=x, a=args: P.max_pool2d_forward(x, *a),
               lambda x=x, a=args: P.max_pool2d_forward_reference(x, *a))
        yield (f"max pool 2x2 bwd {shape}",
               lambda g=g, i=argmax, s=shape: P.max_pool2d_backward(g, i, s),
               lambda g=g, i=argmax, s=shape: P.max_pool2d_backward_reference(g, i, s))
    x = randn(64, 6, 28, 28)
    args = ((3, 3), (2, 2), (1, 1), (1, 1), (14, 14))  # overlapping windows with padding
    yield ("max pool 3x3 s2 p1 fwd (64,6,28,28)", lambda: P.max_pool2d_forward(x, *args),
           lambda: P.max_pool2d_forward_reference(x, *args))
    args = ((2, 2), (2, 2), (0, 0), (14, 14), True, None)
    g = randn(64, 6, 14, 14)
    yield ("avg pool 2x2 fwd (64,6,28,28)", lambda: P.avg_pool2d_forward(x, *args),
           lambda: P.avg_pool2d_forward_reference(x, *args))
    back = ((64, 6, 28, 28),) + args[:3] + args[4:]
    yield ("avg pool 2x2 bwd (64,6,28,28)", lambda: P.avg_pool2d_backward(g, *back),
           lambda: P.avg_pool2d_backward_reference(g, *back))


def activation_cases():
    from tinygrad_lr.kernels import activations as A

    for shape in ((64, 6, 28, 28), (32, 32, 32, 32), (64, 120)):
        g, out = randn(*shape), np.maximum(randn(*shape), 0)
        label = ",".join(map(str, shape))
        # the forward against np.maximum(x, 0), the numpy expression it replaced (its
        # reference, np.where, also keeps -0.0 and is slower still)
        yield (f"relu forward vs np.maximum ({label})", lambda g=g: A.relu(g),
               lambda g=g: np.maximum(g, 0))
        yield (f"relu backward ({label})", lambda g=g, out=out: A.relu_backward(g, out),
               lambda g=g, out=out: A.relu_backward_reference(g, out))
        yield (f"where(cond, a, b) vs np.where ({label})",
               lambda g=g, out=out: A.select(g > 0, g, out),
               lambda g=g, out=out: A.select_reference(g > 0, g, out))
        yield (f"elu forward ({label})", lambda g=g: A.elu(g, 1.0),
               lambda g=g: A.elu_reference(g, 1.0))
        yield (f"elu backward ({label})", lambda g=g, out=out: A.elu_backward(g, g, out, 1.0),
               lambda g=g, out=out: A.elu_backward_reference(g, g, out, 1.0))
        yield (f"softplus forward ({label})", lambda g=g: A.softplus(g, 1.0, 20.0),
               lambda g=g: A.softplus_reference(g, 1.0, 20.0))
        yield (f"softplus backward ({label})", lambda g=g, out=out:
                   A.softplus_backward(out, g, 1.0, 20.0),
               lambda g=g, out=out: A.softplus_backward_reference(out, g, 1.0, 20.0))
        yield (f"leaky_relu forward ({label})", lambda g=g: A.leaky_relu(g, 0.01),
               lambda g=g: A.leaky_relu_reference(g, 0.01))
        yield (f"leaky_relu backward ({label})", lambda g=g, x=out - 0.5:
               A.leaky_relu_backward(g, x, 0.01),
               lambda g=g, x=out - 0.5: A.leaky_relu_backward_reference(g, x, 0.01))
        yield (f"sigmoid forward ({label})", lambda g=g: A.sigmoid(g),
               lambda g=g: A.sigmoid_reference(g))
        yield (f"sigmoid backward ({label})", lambda g=g, out=out: A.sigmoid_backward(g, out),
               lambda g=g, out=out: A.sigmoid_backward_reference(g, out))
        yield (f"tanh backward ({label})", lambda g=g, out=out: A.tanh_backward(g, out),
               lambda g=g, out=out: A.tanh_backward_reference(g, out))
    # a teaching network's sigmoid, where numpy's calls cost more than their arithmetic
    for shape in ((16, 4), (8, 64)):
        x = randn(*shape)
        yield (f"sigmoid forward, small {shape}", lambda x=x: A.sigmoid(x),
               lambda x=x: A.sigmoid_reference(x))
    # a column slice (an LSTM's gates[:, :H]): the kernels copy it, the references read it
    for full in ((32, 256), (256, 1024)):
        view = randn(*full)[:, :full[1] // 4]
        label = f"a column slice {view.shape} of {full}"
        yield (f"sigmoid forward, {label}", lambda v=view: A.sigmoid(v),
               lambda v=view: A.sigmoid_reference(v))
        yield (f"leaky_relu forward, {label}", lambda v=view: A.leaky_relu(v, 0.01),
               lambda v=view: A.leaky_relu_reference(v, 0.01))


def vector_math_cases():
    import numba

    from tinygrad_lr.kernels import vector_math as V

    @numba.njit(cache=True)
    def exp_loop(x, out):  # the loop every kernel that calls V.exp vectorizes
        for i in range(x.shape[0]):
            out[i] = V.exp(x[i])

    for dtype in (np.float32, np.float64):
        x = (randn(1 << 20) * 10).astype(dtype)
        out = np.empty_like(x)
        yield (f"exp in a kernel loop vs np.exp (1M {np.dtype(dtype).name})",
               lambda x=x, out=out: exp_loop(x, out), lambda x=x, out=out: np.exp(x, out=out))


def softmax_cases():
    from tinygrad_lr.kernels import cross_entropy as CE
    from tinygrad_lr.kernels import softmax as S

    # along the last axis every size takes the row kernel; many short rows (8192, 5) take
    # numpy's exp over the whole block first (cross_entropy.SHORT_ROW)
    for n, c in ((16, 4), (64, 10), (32, 64), (64, 128), (256, 1000), (8192, 5)):
        x = randn(n, c)
        yield (f"softmax ({n},{c})", lambda x=x: S.softmax(x, 1),
               lambda x=x: S.softmax_reference(x, 1))
        yield (f"log_softmax ({n},{c})", lambda x=x: S.log_softmax(x, 1),
               lambda x=x: S.log_softmax_reference(x, 1))
    x = randn(8, 4, 50, 50)
    yield ("softmax (8,4,50,50) (attention)", lambda: S.softmax(x, -1),
           lambda: S.softmax_reference(x, -1))
    out, g = S.softmax(x, -1), randn(8, 4, 50, 50)
    yield ("softmax backward (8,4,50,50) (attention)", lambda: S.softmax_backward(g, out, -1),
           lambda: S.softmax_backward_reference(g, out, -1))
    for shape in ((64, 10), (256, 1000), (8192, 5)):
        out, g = S.log_softmax(randn(*shape), -1), randn(*shape)
        yield (f"log_softmax backward {shape}",
               lambda g=g, out=out: S.log_softmax_backward(g, out, -1),
               lambda g=g, out=out: S.log_softmax_backward_reference(g, out, -1))
    # along the channels of a segmentation map: the column kernels (dim 1 of (N, C, H*W))
    x, g = randn(32, 10, 16, 16), randn(32, 10, 16, 16)
    out, log_out = S.softmax(x, 1), S.log_softmax(x, 1)
    yield ("softmax along dim 1 of (32,10,16,16)", lambda: S.softmax(x, 1),
           lambda: S.softmax_reference(x, 1))
    yield ("log_softmax along dim 1 of (32,10,16,16)", lambda: S.log_softmax(x, 1),
           lambda: S.log_softmax_reference(x, 1))
    yield ("softmax backward along dim 1 of (32,10,16,16)",
           lambda: S.softmax_backward(g, out, 1), lambda: S.softmax_backward_reference(g, out, 1))
    yield ("log_softmax backward along dim 1 of (32,10,16,16)",
           lambda: S.log_softmax_backward(g, log_out, 1),
           lambda: S.log_softmax_backward_reference(g, log_out, 1))
    for n, c in ((128, 10), (256, 100), (256, 1000), (8192, 5)):
        x, t, w = randn(n, c), RNG.integers(0, c, n), np.ones(c, np.float32)
        stats = CE.cross_entropy_forward(x, t, w, -100, 0.0)[2]
        g = np.full(n, 1 / n, np.float32)
        yield (f"cross_entropy fwd ({n},{c})",
               lambda x=x, t=t, w=w: CE.cross_entropy_forward(x, t, w, -100, 0.0),
               lambda x=x, t=t, w=w: CE.cross_entropy_forward_reference(x, t, w, -100, 0.0))
        yield (f"cross_entropy bwd ({n},{c})",
               lambda x=x, t=t, w=w, s=stats, g=g:
               CE.cross_entropy_backward(x, s, t, w, -100, 0.0, g),
               lambda x=x, t=t, w=w, s=stats, g=g:
               CE.cross_entropy_backward_reference(x, s, t, w, -100, 0.0, g))


def cross_entropy_column_cases():
    from tinygrad_lr.kernels import cross_entropy as CE

    # (N, C, H, W) logits of a segmentation map, flattened to (N, C, L): classes along axis 1
    for n, c, length in ((8, 5, 1024), (4, 21, 4096)):
        x, t = randn(n, c, length), RNG.integers(0, c, (n, length))
        w, g = np.ones(c, np.float32), np.full((n, length), 1 / (n * length), np.float32)
        stats = CE.cross_entropy_forward(x, t, w, -100, 0.0)[2]
        yield (f"cross_entropy fwd ({n},{c},{length}) classes along axis 1",
               lambda x=x, t=t, w=w: CE.cross_entropy_forward(x, t, w, -100, 0.0),
               lambda x=x, t=t, w=w: CE.cross_entropy_forward_reference(x, t, w, -100, 0.0))
        yield (f"cross_entropy bwd ({n},{c},{length}) classes along axis 1",
               lambda x=x, t=t, w=w, s=stats, g=g:
               CE.cross_entropy_backward(x, s, t, w, -100, 0.0, g),
               lambda x=x, t=t, w=w, s=stats, g=g:
               CE.cross_entropy_backward_reference(x, s, t, w, -100, 0.0, g))


def norm_cases():
    from tinygrad_lr.kernels import norm as N

    for shape in ((32, 32, 1024), (32, 64, 256), (128, 64, 1)):
        x, g = randn(*shape), randn(*shape)
        w, b = randn(shape[1]), randn(shape[1])
        mean, var = N.batch_stats(x)
        inv = 1.0 / np.sqrt(var + 1e-5)
        yield (f"batch_stats {shape}", lambda x=x: N.batch_stats(x),
               lambda x=x: N.batch_stats_reference(x))
        yield (f"batch norm scale_shift {shape}",
               lambda x=x, m=mean, i=inv, w=w, b=b: N.scale_shift(x, m, i, w, b),
               lambda x=x, m=mean, i=inv, w=w, b=b: N.scale_shift_reference(x, m, i, w, b))
        yield (f"batch_norm_backward {shape}",
               lambda g=g, x=x, m=mean, i=inv, w=w: N.batch_norm_backward(g, x, m, i, w),
               lambda g=g, x=x, m=mean, i=inv, w=w: N.batch_norm_backward_reference(g, x, m,
                                                                                    i, w))
    x, g, w, b = randn(512, 256), randn(512, 256), randn(256), randn(256)
    _, mean, inv = N.layer_norm_rows(x, w, b, 1e-5)
    yield ("layer_norm_rows (512,256)", lambda: N.layer_norm_rows(x, w, b, 1e-5),
           lambda: N.layer_norm_rows_reference(x, w, b, 1e-5))
    yield ("layer_norm_backward_rows (512,256)",
           lambda: N.layer_norm_backward_rows(g, x, mean, inv, w),
           lambda: N.layer_norm_backward_rows_reference(g, x, mean, inv, w))


def rnn_cases():
    from tinygrad_lr.kernels import rnn as R

    b, h, half = 32, 64, np.float32(0.5)
    act4, act3 = np.tanh(randn(b, 4 * h)), np.tanh(randn(b, 3 * h))
    small = [randn(b, h) for _ in range(5)]
    wide = [randn(b, 3 * h) for _ in range(2)]
    out4, out3, out3b, out_h, out_h2 = (np.empty_like(act4), np.empty_like(act3),
                                        np.empty_like(act3), np.empty_like(small[0]),
                                        np.empty_like(small[0]))
    cases = {
        "lstm_cell_forward": (R.lstm_cell_forward, R.lstm_cell_forward_reference,
                              (act4, small[0], out_h, half)),
        "lstm_step_backward": (R.lstm_step_backward, R.lstm_step_backward_reference,
                               (act4, *small, out4, out_h2)),
        "gru_gates_forward": (R.gru_gates_forward, R.gru_gates_forward_reference,
                              (act3, wide[0], wide[1], half)),
        "gru_output": (R.gru_output, R.gru_output_reference, (act3, small[0], out_h)),
        "gru_step_backward": (R.gru_step_backward, R.gru_step_backward_reference,
                              (act3, wide[1], small[0], small[1], out3, out3b, out_h2)),
    }
    for name, (kernel, reference, args) in cases.items():
        # the forward kernels overwrite act: time them on a fresh copy each call, both sides
        fresh = name.endswith("forward")
        yield (f"{name} (B=32, H=64)",
               lambda k=kernel, a=args, f=fresh: k(a[0].copy() if f else a[0], *a[1:]),
               lambda r=reference, a=args, f=fresh: r(a[0].copy() if f else a[0], *a[1:]))


def special_cases():
    from tinygrad_lr.kernels import special as SP

    x = randn(128, 256)
    yield ("erf (128,256)", lambda: SP.erf(x), lambda: SP.erf_reference(x))
    g = randn(128, 256)
    # against the composite GELU it replaced: five numpy passes around the same erf kernel
    yield ("gelu forward (128,256) vs the composite",
           lambda: SP.gelu(x), lambda: 0.5 * x * (1 + SP.erf(x * np.float32(0.7071067811865476))))
    yield ("gelu backward (128,256) vs the composite's numpy passes",
           lambda: SP.gelu_backward(g, x),
           lambda: g * (0.5 * (1 + SP.erf(x * np.float32(0.7071067811865476)))
                        + x * np.exp(-0.5 * x * x) * np.float32(0.3989422804014327)))


def optim_cases():
    from tinygrad_lr.kernels import optim as O

    scalars = dict(sgd=(0.01, 0.9, 1.0, 0.0, False, False, False),
                   adagrad=(0.01, 0.0, 1e-10, False),
                   adadelta=(1.0, 0.9, 0.1, 1e-6, 0.0, False),
                   rmsprop=(0.01, 0.99, 0.01, 1e-8, 0.0, 0.0, False, False),
                   adam=(0.001, 0.1, 0.999, 0.001, 1e-8, 0.03, 0.0, 1.0, False, False),
                   adamax=(0.002, 0.1, 0.999, 1e-8, 0.0, False),
                   nadam=(-0.002, -0.002, 0.1, 0.999, 0.001, 0.001, 1e-8, 0.0, 1.0, False))
    n_arrays = dict(sgd=3, adagrad=3, adadelta=4, rmsprop=5, adam=5, adamax=4, nadam=4)
    for size, label in ((48_000, "48k (LeNet fc1)"), (1_000_000, "1M")):
        for name, args in scalars.items():
            arrays = [np.abs(randn(size)) + 1 for _ in range(n_arrays[name])]
            entry = getattr(O, name)
            yield (f"optim.{name} update {label}", lambda e=entry, a=arrays, s=args: e(*a, *s),
                   lambda e=entry, a=arrays, s=args: e.reference(*a, *s))


def kernel_rows():
    rows = []
    for cases in (conv_cases, depthwise_cases, embedding_cases, pool_cases, selection_cases,
                  median_cases, cumulative_cases, reduce_cases, activation_cases, vector_math_cases,
                  softmax_cases, cross_entropy_column_cases, norm_cases, rnn_cases,
                  special_cases, optim_cases):
        for label, kernel, reference in cases():
            kernel_ms, numpy_ms = compare(kernel, reference, repeats=20, min_time=0.01,
                                          pause=False)
            rows.append(row(label, kernel_ms, numpy_ms, target=1.0))
    return rows


# ------------------------------------------------------------------ conv: the candidates
@numba.njit(cache=True)
def direct_forward(x, w, pad, out):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = out.shape[2], out.shape[3]
    for b in range(n):
        for oc in range(o):
            out[b, oc] = 0.0
            for ch in range(c):
                for i in range(kh):
                    for j in range(kw):
                        wv = w[oc, ch, i, j]
                        for oh in range(ho):
                            ih = oh - pad + i
                            if 0 <= ih < h:
                                for ow in range(max(0, pad - j), min(wo, wd + pad - j)):
                                    out[b, oc, oh, ow] += wv * x[b, ch, ih, ow - pad + j]


@numba.njit(cache=True)
def direct_grad_input(g, w, pad, dx):
    n, c, h, wd = dx.shape
    o, _, kh, kw = w.shape
    ho, wo = g.shape[2], g.shape[3]
    for b in range(n):
        for ch in range(c):
            dx[b, ch] = 0.0
            for oc in range(o):
                for i in range(kh):
                    for j in range(kw):
                        wv = w[oc, ch, i, j]
                        for oh in range(ho):
                            ih = oh - pad + i
                            if 0 <= ih < h:
                                for ow in range(max(0, pad - j), min(wo, wd + pad - j)):
                                    dx[b, ch, ih, ow - pad + j] += wv * g[b, oc, oh, ow]


@numba.njit(cache=True)
def direct_grad_weight(g, x, pad, dw):
    n, c, h, wd = x.shape
    o, _, kh, kw = dw.shape
    ho, wo = g.shape[2], g.shape[3]
    for oc in range(o):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    s = 0.0
                    for b in range(n):
                        for oh in range(ho):
                            ih = oh - pad + i
                            if 0 <= ih < h:
                                for ow in range(max(0, pad - j), min(wo, wd + pad - j)):
                                    s += g[b, oc, oh, ow] * x[b, ch, ih, ow - pad + j]
                    dw[oc, ch, i, j] = s


def conv_candidate_rows(torch):
    from tinygrad_lr.kernels import conv as K

    rows = []
    for batch, cin, cout, hw in ((64, 1, 6, 28), (32, 32, 64, 16)):
        x, w, g = randn(batch, cin, hw, hw), randn(cout, cin, 3, 3), randn(batch, cout, hw, hw)
        args = ((1, 1), (1, 1), (1, 1), 1)
        out, dx, dw = np.empty_like(g), np.empty_like(x), np.empty_like(w)
        _, cols = K.conv2d_forward(x, w, *args)
        g_cols = K.to_columns(g)
        direct_forward(x, w, 1, out)  # the candidates must agree before their speed counts
        np.testing.assert_allclose(out, K.conv2d_forward(x, w, *args)[0], rtol=1e-4, atol=1e-3)
        cases = {"forward": (lambda: K.conv2d_forward(x, w, *args),
                             lambda: direct_forward(x, w, 1, out)),
                 "grad input": (lambda: K.conv2d_backward_input(K.to_columns(g), w, x.shape,
                                                                (hw, hw), *args),
                                lambda: direct_grad_input(g, w, 1, dx)),
                 # the layer keeps cols from its forward pass and shares g_cols with the
                 # input gradient, so the product alone is timed
                 "grad weight": (lambda: K.conv2d_backward_weight(g, cols, w.shape, 1,
                                                                   g_cols),
                                 lambda: direct_grad_weight(g, x, 1, dw))}
        theirs = dict.fromkeys(cases)
        if torch is not None:
            xt, wt, gt = (torch.from_numpy(a) for a in (x, w, g))
            theirs = {"forward": lambda: torch.nn.functional.conv2d(xt, wt, padding=1),
                      "grad input": lambda: torch.nn.grad.conv2d_input(xt.shape, wt, gt,
                                                                       padding=1),
                      "grad weight": lambda: torch.nn.grad.conv2d_weight(xt, wt.shape, gt,
                                                                         padding=1)}
        for name, (im2col_fn, direct_fn) in cases.items():
            im2col_ms, direct_ms, torch_ms = compare(im2col_fn, direct_fn, theirs[name],
                                                     repeats=10)
            label = f"conv {cin}->{cout} {hw}x{hw} b{batch} 3x3 {name}"
            rows.append(row(label + ": im2col+BLAS", im2col_ms, torch_ms))
            rows.append(row(label + ": direct loops", direct_ms, torch_ms))
    return rows


def thin_product_rows():
    """The two forms of conv2d's forward and weight-gradient products, per sample and one
    over the batch, at LeNet's two layers (conv1's 6x25 weight is thin, conv2's 16x150 is
    not) and a 3->32 layer; kernels/conv.py picks per sample for thin weights."""
    from tinygrad_lr.kernels import conv as K

    rows = []
    for batch, cin, cout, hw, k in ((64, 1, 6, 28, 5), (64, 6, 16, 10, 5), (32, 3, 32, 32, 3)):
        x, w = randn(batch, cin, hw + k - 1, hw + k - 1), randn(cout, cin, k, k)
        g = randn(batch, cout, hw, hw)
        g_cols = K.to_columns(g)
        args = ((1, 1), (0, 0), (1, 1), 1)
        _, cols = K.conv2d_forward(x, w, *args)
        default = K.THIN_WEIGHT_MAX

        def forced(thin_max, fn):
            def run():
                K.THIN_WEIGHT_MAX = thin_max
                try:
                    return fn()
                finally:
                    K.THIN_WEIGHT_MAX = default
            return run
        timed = {form: (forced(thin_max, lambda: K.conv2d_forward(x, w, *args)),
                        forced(thin_max, lambda: K.conv2d_backward_weight(g, cols, w.shape, 1,
                                                                          g_cols)))
                 for form, thin_max in (("per sample", 10**9), ("one product", -1))}
        label = f"conv {cin}->{cout} k{k} {hw}x{hw} b{batch} (weight {cout}x{cin * k * k})"
        for i, name in enumerate(("forward", "grad weight")):
            rows.append(row(f"{label} {name}", *compare(timed["per sample"][i],
                                                        timed["one product"][i], repeats=10)))
    return rows


def one_by_one_rows():
    """A 1x1 convolution's three passes (forward, input and weight gradient) as one product
    per sample (`one_by_one_*`, what Conv2d runs) against the batch-in-columns path (input
    and gradient moved into columns and back), at the pointwise layers of a
    depthwise-separable net and a ResNet-style strided skip."""
    from tinygrad_lr.kernels import conv as K

    rows = []
    for batch, cin, cout, hw, s in ((32, 32, 64, 32, 1), (32, 64, 128, 16, 1), (32, 16, 32, 32, 2)):
        x, w = randn(batch, cin, hw, hw), randn(cout, cin, 1, 1)
        stride, geometry = (s, s), ((s, s), (0, 0), (1, 1))
        g = randn(*K.one_by_one_forward(x, w, stride).shape)

        def per_sample():
            K.one_by_one_forward(x, w, stride)
            K.one_by_one_backward_input(g, w, x.shape, stride)
            K.one_by_one_backward_weight(g, x, w.shape, stride)

        def columns():
            K.conv2d_forward(x, w, *geometry, 1)
            g_cols = K.to_columns(g)
            K.conv2d_backward_input(g_cols, w, x.shape, g.shape[2:], *geometry, 1)
            K.conv2d_backward_weight(g, K.im2col(x, (1, 1), *geometry), w.shape, 1, g_cols)
        rows.append(row(f"conv 1x1 {cin}->{cout} {hw}x{hw} stride {s} b{batch}, three passes",
                        *compare(per_sample, columns, repeats=10)))
    return rows


def main():
    rows = kernel_rows()
    print_table(rows, "Kernels vs the numpy expressions they replace (float32, median ms; "
                      "ratio = kernel / numpy)", columns=("kernel", "numpy"))
    write_json(rows, "kernels", columns=("kernel", "numpy"))
    candidates = conv_candidate_rows(torch_or_none())
    print_table(candidates, "Convolution: im2col + BLAS (the package) vs direct Numba loops, "
                            "beside PyTorch (median ms)")
    write_json(candidates, "kernels_conv_candidates")
    thin = thin_product_rows()
    print_table(thin, "Convolution products per sample vs one over the batch (median ms; "
                      "ratio = per sample / one product)", columns=("per sample", "one"))
    write_json(thin, "kernels_conv_thin_products", columns=("per sample", "one"))
    pointwise = one_by_one_rows()
    print_table(pointwise, "1x1 convolutions: a product per sample vs the batch in columns "
                           "(median ms; ratio = per sample / columns)",
                columns=("per sample", "columns"))
    write_json(pointwise, "kernels_conv_one_by_one", columns=("per sample", "columns"))
    return rows + candidates + thin + pointwise


if __name__ == "__main__":
    main()

"""Matrix products. GEMM stays on BLAS through numpy.matmul (the CPU's physical limit)."""
import math

import numpy as np

from ..graph.function import Function, shown_node
from ..kernels.reduce import sum_axes
from ._util import batch_shape, gradients, on_arrays, unbroadcast
from .movement import IndexAdd


def matmul_arrays(a, b):
    """np.matmul(a, b), with the leading dims of `a` folded into rows when `b` is a matrix:
    numpy runs (T, B, K) @ (K, N) as T small products, or, when `b` is a transposed view,
    in its own loops instead of BLAS - slower than one (T*B, K) @ (K, N) GEMM
    (benchmarks/bench_lstm.py; the ratio is in benchmarks/README.md)."""
    if a.ndim > 2 and b.ndim == 2:
        rows = math.prod(a.shape[:-1])  # not -1: a reshape cannot infer it when K == 0
        return np.matmul(a.reshape(rows, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
    return np.matmul(a, b)


class Matmul(Function):
    """a @ b, batched and broadcasting, for inputs with ndim >= 2 (Tensor.matmul turns 1-D
    operands into matrices first) - and F.linear's x @ W^T + bias in the same node: with
    transpose_b=True, b is a weight W of shape (out, in) as nn.Linear stores it.

    backward (for out = a @ B, B = b or b^T):  da = g @ B^T,  dB = a^T @ g,  dbias = sum of g
    over the broadcast dims; each is summed back over broadcast batch dims.
    """

    array_forward = True
    batched_backward_ok = True

    @staticmethod
    def forward(ctx, a, b, bias, transpose_b):
        ctx.save_for_backward(a, b)
        ctx.transpose_b = transpose_b
        if b.ndim == 2:  # (batched a) @ b stays MatmulBackward0 (PyTorch: BmmBackward0 ...)
            ctx.node_name = "MmBackward0" if bias is None else "AddmmBackward0"
            if a.ndim != 2:  # PyTorch: (..., in) is viewed as rows, multiplied, viewed back
                ctx.node_name = ("ViewBackward0" if transpose_b and bias is not None
                                 else "UnsafeViewBackward0")
                ctx.inner_name = "MmBackward0" if bias is None else "AddmmBackward0"
        out = matmul_arrays(a._data, b._data.T if transpose_b else b._data)
        if bias is not None:
            out += bias._data
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b, need_bias = ctx.needs_input_grad[:3]
        if batch_shape(g):
            return _batched_backward(g, a, b, ctx.transpose_b, need_a, need_b, need_bias)
        like, ga, gb, gbias = g, None, None, None
        g, a, b = on_arrays(g, a, b)  # arrays when nothing is recorded (no create_graph)
        if ctx.transpose_b:  # b is W (out, in): out = a @ W^T, so da = g @ W, dW = g^T a
            if need_a:
                ga = _mm(g, b)
            if need_b:
                gb = _rows(g).T @ _rows(a)
        else:
            if need_a:
                ga = unbroadcast(_mm(g, _mT(b)), a.shape)
            if need_b and a.ndim > 2 and b.ndim == 2:  # one GEMM over all rows, not one per batch
                gb = _rows(a).T @ _rows(g)
            elif need_b:
                gb = unbroadcast(_mm(_mT(a), g), b.shape)
        if need_bias:
            rows = _rows(g)
            gbias = sum_axes(rows, (0,)) if isinstance(rows, np.ndarray) else rows.sum(0)
        return gradients(like, ga, gb, gbias, None)

    @staticmethod
    def torch_next(node, entries):
        """As PyTorch's linear shows it: addmm(bias, input, weight.t()), with
        TBackward0 of the weight; a non-matrix input as a view of rows."""
        a, b = entries[:2]
        inner = getattr(node, "inner_name", None)
        if node.transpose_b:
            b = (shown_node("TBackward0", b), 0)
        if inner is not None:
            a = (shown_node("ViewBackward0", a), 0)
        entries = [a, b] if len(entries) == 2 else [entries[2], a, b]
        return [(shown_node(inner, *entries), 0)] if inner is not None else entries


def _batched_backward(g, a, b, transpose_b, need_a, need_b, need_bias):
    """Matmul's backward for a gradient with batch dims in front (see ops/_util.batch_shape):
    the formulas above through matmul's broadcasting, summed back with unbroadcast."""
    ga = gb = gbias = None
    b_t = b if transpose_b else b.transpose(-1, -2)  # out = a @ B; this is B^T
    if need_a:
        ga = unbroadcast(g @ b_t, a.shape)  # da = g B^T
    if need_b:
        g_b = a.transpose(-1, -2) @ g  # dB = a^T g; a Linear weight W is B^T
        gb = unbroadcast(g_b.transpose(-1, -2) if transpose_b else g_b, b.shape)
    if need_bias:
        gbias = unbroadcast(g, g.shape[-1:])
    return ga, gb, gbias, None


def _mm(x, y):
    """x @ y: on arrays as the forward computes it (matmul_arrays), on tensors recorded."""
    return matmul_arrays(x, y) if isinstance(x, np.ndarray) else x @ y


def _mT(t):
    """The transpose of the last two dims, of an array or a tensor."""
    return np.swapaxes(t, -1, -2) if isinstance(t, np.ndarray) else t.transpose(-1, -2)


def _rows(t):
    """(..., n) -> (rows, n): the leading dims of a batch of vectors are all "batch"."""
    return t if t.ndim == 2 else t.reshape(math.prod(t.shape[:-1]), t.shape[-1])


class Einsum(Function):
    """einsum over explicit subscripts ("ij,jk->ik", "ii->i"). The gradient of an operand is
    the einsum of the upstream gradient with the other operands, onto that operand's letters."""

    array_forward = True

    @staticmethod
    def forward(ctx, spec, *operands):
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        arrays = [o._data for o in operands]
        return np.asarray(np.einsum(spec, *arrays, optimize=_einsum_optimize(spec, arrays)))

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        ins, out = ctx.spec.split("->")
        subs = ins.split(",")
        grads = [None]
        for i, (sub, need) in enumerate(zip(subs, ctx.needs_input_grad[1:])):
            if not need:
                grads.append(None)
                continue
            shape = ops[i].shape
            letters = "".join(dict.fromkeys(sub))  # a repeated letter ("ii": a diagonal) once
            size = {c: n for c, n in zip(sub, shape)}
            others = [s for j, s in enumerate(subs) if j != i]
            available = set(out).union(*others)
            kept = "".join(c for c in letters if c in available)
            gi = Einsum.apply(",".join([out] + others) + "->" + kept,
                              g, *[o for j, o in enumerate(ops) if j != i])
            if kept != letters:  # letters only in this operand were summed: broadcast back
                gi = gi.reshape(tuple(size[c] if c in kept else 1 for c in letters))
                gi = gi.expand(tuple(size[c] for c in letters))
            if letters != sub:  # put the values back on the diagonal, zeros elsewhere
                gi = IndexAdd.apply(gi, shape, _diagonal_index(sub, letters, size))
            grads.append(unbroadcast(gi, shape))  # size-1 dims broadcast in forward
        return tuple(grads)


# numpy's einsum with optimize=True hands a contraction to BLAS (tensordot, batched
# matmul): many times faster than its own loop for attention-sized operands
# ("bhqd,bhkd->bhqk" 0.64 -> 0.07 ms at (8,4,50,16)), but finding the path costs ~15 us,
# more than a small contraction itself (benchmarks/README.md). Beyond this many
# multiply-adds of the plain loop (the product of every letter's size), or with more
# than two operands, the path is found.
EINSUM_OPTIMIZE_ABOVE = 1 << 15


def _einsum_optimize(spec, arrays):
    if len(arrays) > 2:
        return True
    sizes = {}
    for sub, a in zip(spec.split("->")[0].split(","), arrays):
        sizes.update(zip(sub, a.shape))
    return math.prod(sizes.values()) > EINSUM_OPTIMIZE_ABOVE


def _diagonal_index(sub, letters, size):
    """Index arrays selecting, for subscripts like "iij", the elements where equal letters
    have equal indices, laid out over the distinct letters ("ij")."""
    axes = {c: k for k, c in enumerate(letters)}

    def along(c):
        return np.arange(size[c]).reshape([-1 if k == axes[c] else 1 for k in range(len(letters))])

    return tuple(along(c) for c in sub)

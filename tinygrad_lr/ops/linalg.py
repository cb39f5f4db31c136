"""Matrix products. GEMM stays on BLAS through numpy.matmul (the CPU's physical limit)."""
import math

import numpy as np

from ..autograd.function import Function
from ._util import unbroadcast
from .movement import IndexAdd


def matmul_arrays(a, b):
    """np.matmul(a, b), with the leading dims of `a` folded into rows when `b` is a matrix:
    numpy runs (T, B, K) @ (K, N) as T small products, or, when `b` is a transposed view,
    in its own loops instead of BLAS - 2-4x slower than one (T*B, K) @ (K, N) GEMM
    (benchmarks/bench_lstm.py)."""
    if a.ndim > 2 and b.ndim == 2:
        rows = math.prod(a.shape[:-1])  # not -1: a reshape cannot infer it when K == 0
        return np.matmul(a.reshape(rows, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
    return np.matmul(a, b)


class Matmul(Function):
    """Batched, broadcasting a @ b for inputs with ndim >= 2 (Tensor.matmul handles 1-D)."""

    array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return matmul_arrays(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g @ b.transpose(-1, -2), a.shape) if na else None
        if nb and a.ndim > 2 and b.ndim == 2:  # one GEMM over all rows, not a product per batch
            rows = math.prod(a.shape[:-1])
            gb = a.reshape(rows, a.shape[-1]).transpose(-1, -2) @ g.reshape(rows, g.shape[-1])
        else:
            gb = unbroadcast(a.transpose(-1, -2) @ g, b.shape) if nb else None
        return ga, gb


class Einsum(Function):
    """einsum over explicit subscripts ("ij,jk->ik", "ii->i"). The gradient of an operand is
    the einsum of the upstream gradient with the other operands, onto that operand's letters."""

    array_forward = True

    @staticmethod
    def forward(ctx, spec, *operands):
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        return np.asarray(np.einsum(spec, *[o._data for o in operands], optimize=len(operands) > 2))

    @staticmethod
    def backward(ctx, g):
        from ..tensor import einsum

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
            gi = einsum(",".join([out] + others) + "->" + kept,
                        g, *[o for j, o in enumerate(ops) if j != i])
            if kept != letters:  # letters only in this operand were summed: broadcast back
                gi = gi.reshape(tuple(size[c] if c in kept else 1 for c in letters))
                gi = gi.expand(tuple(size[c] for c in letters))
            if letters != sub:  # put the values back on the diagonal, zeros elsewhere
                gi = IndexAdd.apply(gi, shape, _diagonal_index(sub, letters, size))
            grads.append(unbroadcast(gi, shape))  # size-1 dims broadcast in forward
        return tuple(grads)


def _diagonal_index(sub, letters, size):
    """Index arrays selecting, for subscripts like "iij", the elements where equal letters
    have equal indices, laid out over the distinct letters ("ij")."""
    axes = {c: k for k, c in enumerate(letters)}
    return tuple(np.arange(size[c]).reshape([-1 if k == axes[c] else 1 for k in range(len(letters))])
                 for c in sub)

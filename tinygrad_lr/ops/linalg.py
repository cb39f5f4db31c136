"""Matrix products. GEMM stays on BLAS through numpy.matmul (the CPU's physical limit)."""
import numpy as np

from ..autograd.function import Function
from ._util import unbroadcast


class Matmul(Function):
    """Batched, broadcasting a @ b for inputs with ndim >= 2 (Tensor.matmul handles 1-D)."""

    array_forward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a.data, b.data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g @ b.transpose(-1, -2), a.shape) if na else None
        gb = unbroadcast(a.transpose(-1, -2) @ g, b.shape) if nb else None
        return ga, gb


class Einsum(Function):
    """einsum over explicit subscripts ("ij,jk->ik"); letters repeated inside one operand
    (diagonals) are not supported for gradients."""

    array_forward = True

    @staticmethod
    def forward(ctx, spec, *operands):
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        return np.asarray(np.einsum(spec, *[o.data for o in operands], optimize=len(operands) > 2))

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
            if len(set(sub)) != len(sub):
                raise NotImplementedError(
                    f"einsum: gradient for operand {i} with a repeated index ('{sub}') "
                    "is not supported")
            others = [s for j, s in enumerate(subs) if j != i]
            available = set(out).union(*others)
            kept = "".join(c for c in sub if c in available)
            gi = einsum(",".join([out] + others) + "->" + kept,
                        g, *[o for j, o in enumerate(ops) if j != i])
            if kept != sub:  # letters only in this operand were summed: broadcast back
                shape = ops[i].shape
                gi = gi.reshape(tuple(shape[k] if c in kept else 1 for k, c in enumerate(sub)))
                gi = gi.expand(shape)
            grads.append(gi)
        return tuple(grads)

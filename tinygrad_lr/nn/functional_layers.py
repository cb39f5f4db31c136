"""Function form of the layers: linear, activations, dropout, normalisation, embedding.

Most are a line of Tensor operations. Three are one fused `Function` each, with forward
and backward side by side, because a chain of small ops would be slow: `linear` (one
GEMM plus bias in, two GEMMs out), `batch_norm` and `layer_norm` (Numba kernels in
`kernels/norm.py`; their backward is computed by a kernel, so it is differentiable once).
"""
import numpy as np

from .. import random as _random
from ..autograd.function import Function
from ..ops.linalg import matmul_arrays
from ._checks import check_dropout
from ..tensor import Tensor, einsum

__all__ = ["linear", "bilinear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh",
           "softplus", "softmax", "log_softmax", "dropout", "batch_norm", "layer_norm",
           "embedding", "one_hot", "normalize", "flatten"]


def _tensor(x, name, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _same_dtype(input, fn, **params):
    for name, t in params.items():
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"{fn}: input is {input.dtype} but {name} is {t.dtype}; convert "
                            "one (e.g. model.double() or x.float())")


# ---------------------------------------------------------------- linear
class Linear(Function):
    """y = x @ W.T + b for x of shape (..., in_features)."""

    array_forward = True

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = matmul_arrays(x._data, weight._data.T)
        if bias is not None:
            out += bias._data
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])  # leading dims are all "batch"
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        grad_x = g @ weight if need_x else None
        grad_w = g2.T @ x2 if need_w else None
        grad_b = g2.sum(0) if need_b else None
        return grad_x, grad_w, grad_b


def linear(input, weight, bias=None):
    """y = input @ weight.T + bias (PyTorch's F.linear)."""
    _tensor(input, "input", "linear")
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input of shape {input.shape} does not match weight of "
                         f"shape {tuple(weight.shape)}: expected {weight.shape[-1]} features "
                         "in the last dimension")
    _same_dtype(input, "linear", weight=weight, bias=bias)
    if weight.ndim == 1:  # a vector of weights: y = input @ w (+ b), like torch
        out = input @ weight
        return out if bias is None else out + bias
    return Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = input1 @ weight[k] @ input2 + bias[k]; weight of shape (out, in1, in2)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise ValueError(f"bilinear: input1 {input1.shape} and input2 {input2.shape} must "
                         "have the same batch dimensions")
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise ValueError(f"bilinear: inputs with {input1.shape[-1]} and {input2.shape[-1]} "
                         f"features do not match weight of shape {tuple(weight.shape)} "
                         f"(expected {weight.shape[1]} and {weight.shape[2]})")
    batch = input1.shape[:-1]
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out = einsum("ni,kij,nj->nk", x1, weight, x2)
    if bias is not None:
        out = out + bias
    return out.reshape(batch + (weight.shape[0],))


# ---------------------------------------------------------------- activations
def relu(input):
    return input.relu()


def leaky_relu(input, negative_slope=0.01):
    return input.leaky_relu(negative_slope)


def elu(input, alpha=1.0):
    return input.elu(alpha)


def gelu(input, approximate="none"):
    return input.gelu(approximate)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softplus(input, beta=1.0, threshold=20.0):
    return input.softplus(beta, threshold)


def softmax(input, dim):
    return input.softmax(dim)


def log_softmax(input, dim):
    return input.log_softmax(dim)


# ---------------------------------------------------------------- dropout
def dropout(input, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted
    dropout: the expected value is unchanged, so eval mode is the identity). The mask is
    drawn from the global generator, so `tl.manual_seed` makes it repeatable."""
    p = check_dropout("dropout", "p", p)
    if not training or p == 0.0:
        return input
    uniform_dtype = np.float32 if input.dtype == np.float32 else np.float64
    keep = _random.generator().random(input.shape, dtype=uniform_dtype) >= p
    mask = keep.astype(input.dtype) * input.dtype.type(1.0 / (1.0 - p))
    return input * Tensor._make(mask)


# ---------------------------------------------------------------- normalisation
class BatchNorm(Function):
    """Batch normalisation of x viewed as (N, C, L) with the batch's own statistics
    (mean and biased variance per channel over N and L, computed by the caller).

    forward: xhat = (x - mean) / sqrt(var + eps), y = xhat * w + b.
    backward (one kernel pass per channel):
        dw = sum(g * xhat), db = sum(g),
        dx = w / std * (g - mean(g) - xhat * mean(g * xhat)).
    """

    array_forward = True
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, x3, mean, var, eps):
        from ..kernels.norm import scale_shift

        invstd = 1.0 / np.sqrt(var + eps)
        w, b = _affine(weight, bias, x3.shape[1], x3.dtype)
        ctx.x3, ctx.w, ctx.mean, ctx.invstd = x3, w, mean, invstd
        ctx.save_for_backward(x)
        return scale_shift(x3, mean, invstd, w, b).reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        from ..kernels.norm import batch_norm_backward

        (x,) = ctx.saved_tensors  # checks x was not modified in place
        gx, gw, gb = batch_norm_backward(_as_ncl(g._data), ctx.x3, ctx.mean, ctx.invstd, ctx.w)
        _, need_w, need_b = ctx.needs_input_grad[:3]
        dt = x.dtype
        return (Tensor._make(gx.reshape(x.shape)),
                Tensor._make(gw.astype(dt)) if need_w else None,
                Tensor._make(gb.astype(dt)) if need_b else None,
                None, None, None, None)


def _as_ncl(a):
    """(N, C, *spatial) -> a contiguous (N, C, L) view."""
    a = np.ascontiguousarray(a)
    return a.reshape(a.shape[0], a.shape[1], -1)


def _affine(weight, bias, n, dtype):
    w = weight._data if weight is not None else np.ones(n, dtype=dtype)
    b = bias._data if bias is not None else np.zeros(n, dtype=dtype)
    return w, b


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """PyTorch's F.batch_norm on (N, C) or (N, C, *spatial).

    training=True normalises with the batch's statistics and, when running_mean/var are
    given, updates them in place: new = (1 - momentum) * old + momentum * batch, where the
    variance is the unbiased one. training=False normalises with the running statistics.
    """
    _tensor(input, "input", "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, ...), got "
                         f"{input.shape}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"batch_norm: {name} has shape {t.shape} but the input has "
                             f"{c} channels (shape {input.shape})")
    _same_dtype(input, "batch_norm", running_mean=running_mean, running_var=running_var,
                weight=weight, bias=bias)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: training=False needs running_mean and running_var")
        # a fixed per-channel affine map: composite ops, differentiable any number of times
        shape = (1, c) + (1,) * (input.ndim - 2)
        invstd = 1.0 / np.sqrt(running_var._data.astype(np.float64) + eps)
        scale = Tensor._make(invstd.astype(input.dtype).reshape(shape))
        out = (input - Tensor._make(running_mean._data.reshape(shape))) * scale
        if weight is not None:
            out = out * weight.reshape(shape)
        if bias is not None:
            out = out + bias.reshape(shape)
        return out
    count = input.numel() // c
    if count <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {input.shape}")
    from ..kernels.norm import batch_stats

    x3 = _as_ncl(input._data)
    mean, var = batch_stats(x3)
    out = BatchNorm.apply(input, weight, bias, x3, mean, var, eps)
    # running statistics use the unbiased variance, as in PyTorch
    for buffer, batch_value in ((running_mean, mean), (running_var, var * count / (count - 1))):
        if buffer is not None:
            buffer._data[...] = (1 - momentum) * buffer._data + momentum * batch_value
            buffer._version[0] += 1
    return out


class LayerNorm(Function):
    """Normalise each row of x viewed as (M, D) over its D trailing elements.

    backward per row: dx = (g*w - mean(g*w) - xhat * mean(g*w * xhat)) / std;
    dw = sum over rows of g * xhat, db = sum over rows of g (all in one kernel pass).
    """

    array_forward = True
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps):
        from ..kernels.norm import layer_norm_rows

        d = int(np.prod(normalized_shape))
        rows = np.ascontiguousarray(x._data).reshape(-1, d)
        w, b = _affine(weight, bias, d, rows.dtype)
        out, mean, invstd = layer_norm_rows(rows, w.reshape(-1), b.reshape(-1), eps)
        ctx.rows, ctx.mean, ctx.invstd, ctx.w = rows, mean, invstd, w.reshape(-1)
        ctx.normalized_shape = normalized_shape
        ctx.save_for_backward(x)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        from ..kernels.norm import layer_norm_backward_rows

        (x,) = ctx.saved_tensors  # checks x was not modified in place
        g_rows = np.ascontiguousarray(g._data).reshape(ctx.rows.shape)
        gx, gw, gb = layer_norm_backward_rows(g_rows, ctx.rows, ctx.mean, ctx.invstd, ctx.w)
        _, need_w, need_b = ctx.needs_input_grad[:3]
        shape, dt = ctx.normalized_shape, x.dtype
        return (Tensor._make(gx.reshape(x.shape)),
                Tensor._make(gw.astype(dt).reshape(shape)) if need_w else None,
                Tensor._make(gb.astype(dt).reshape(shape)) if need_b else None, None, None)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing `normalized_shape` dims (PyTorch's F.layer_norm)."""
    _tensor(input, "input", "layer_norm")
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.shape[input.ndim - k:] != normalized_shape or input.ndim < k:
        raise ValueError(f"layer_norm: input of shape {input.shape} does not end with "
                         f"normalized_shape {normalized_shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != normalized_shape:
            raise ValueError(f"layer_norm: {name} has shape {t.shape}, expected "
                             f"{normalized_shape}")
    _same_dtype(input, "layer_norm", weight=weight, bias=bias)
    return LayerNorm.apply(input, weight, bias, normalized_shape, eps)


# ---------------------------------------------------------------- embedding and friends
class Embedding(Function):
    """Rows of weight picked by integer indices. backward adds each output row's gradient
    into the row it came from (repeated indices accumulate); padding_idx gets none."""

    array_forward = True

    @staticmethod
    def forward(ctx, weight, indices, padding_idx):
        ctx.indices, ctx.padding_idx, ctx.shape = indices, padding_idx, weight.shape
        return weight._data[indices]

    @staticmethod
    def backward(ctx, g):
        from ..ops.movement import IndexAdd

        if ctx.padding_idx is not None:
            keep = (ctx.indices != ctx.padding_idx)[..., None]
            g = g * Tensor._make(keep.astype(g.dtype))
        return IndexAdd.apply(g, ctx.shape, ctx.indices), None, None


def embedding(input, weight, padding_idx=None):
    """weight[input] for an integer tensor of indices (PyTorch's F.embedding)."""
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise IndexError(f"embedding: index {bad} is out of range for an embedding with "
                         f"{n} rows (valid: 0..{n - 1})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    return Embedding.apply(weight, idx.astype(np.int64, copy=False), padding_idx)


def one_hot(tensor, num_classes=-1):
    """(..., ) int64 class indices -> (..., num_classes) int64 with a single 1 per row."""
    idx = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer tensor of class indices, got {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be non-negative, got {int(idx.min())}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: class index {int(idx.max())} is out of range for "
                         f"num_classes={num_classes}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._make(out)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p along dim, eps) (PyTorch's F.normalize)."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


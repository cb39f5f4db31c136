"""Function form of the layers: linear, activations, dropout, normalisation, embedding.

Most are a line of Tensor operations. Four call one fused op each (in ops/), because a
chain of small ops would be slow: `linear` (ops/linalg.py: one GEMM plus bias in, two GEMMs
out), `batch_norm` and `layer_norm` (ops/norm.py: Numba kernels, so differentiable once)
and `embedding` (ops/movement.py). Their plain Tensor-op versions are in nn/reference.py.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..graph.function import entry, rename
from ..kernels import reference_kernels_enabled
from ..ops._util import normalize_dim
from ..ops.linalg import Matmul
from ..ops.movement import Embedding
from ..ops.norm import BatchNorm, BatchNormEval, LayerNorm, batch_statistics
from ..tensor import Tensor, einsum, where
from . import reference as R

__all__ = ["linear", "bilinear", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh",
           "softplus", "silu", "mish", "hardtanh", "relu6", "logsigmoid", "softsign",
           "softmax", "log_softmax", "batch_norm", "layer_norm",
           "embedding", "one_hot", "normalize", "flatten", "pad", "cosine_similarity",
           "pairwise_distance"]


def _tensor(x, name, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _floating(x, fn):
    """A normalisation of integers would be truncated to integers: refuse, as PyTorch."""
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: needs a floating-point input, got {x.dtype}; use .float() "
                        "first")
    return x


def _same_dtype(input, fn, **params):
    for name, t in params.items():
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"{fn}: input is {input.dtype} but {name} is {t.dtype}; convert "
                            "one (e.g. model.double() or x.float())")


# ---------------------------------------------------------------- linear


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias (PyTorch's F.linear)."""
    _tensor(input, "input", "linear")
    x, w = input._data, weight._data
    if x.ndim == 0 or x.shape[-1] != w.shape[-1]:
        raise ValueError(f"linear: input of shape {input.shape} does not match weight of "
                         f"shape {tuple(weight.shape)}: expected {weight.shape[-1]} features "
                         "in the last dimension")
    if w.dtype is not x.dtype or (bias is not None and bias._data.dtype is not x.dtype):
        _same_dtype(input, "linear", weight=weight, bias=bias)
    if w.ndim == 1:  # a vector of weights: y = input @ w (+ b), like torch
        out = input @ weight
        return out if bias is None else out + bias
    if reference_kernels_enabled():  # the plain version: nn/reference.py
        return R.linear(input, weight, bias)
    return Matmul.apply(input, weight, bias, True)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
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
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    _tensor(input, "input", "relu")
    return input.relu_() if inplace else input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    _tensor(input, "input", "leaky_relu")
    if inplace:
        return input._inplace_op("leaky_relu_", lambda t: t.leaky_relu(negative_slope))
    return input.leaky_relu(negative_slope)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    _tensor(input, "input", "elu")
    return input.elu(alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    _tensor(input, "input", "gelu")
    if reference_kernels_enabled() and approximate == "none":
        return rename(R.gelu(input), "GeluBackward0", [entry(input)])  # PyTorch: 1 node
    return rename(input.gelu(approximate), "GeluBackward0", [entry(input)])


def sigmoid(input: Tensor) -> Tensor:
    _tensor(input, "input", "sigmoid")
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    _tensor(input, "input", "tanh")
    return input.tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    _tensor(input, "input", "softplus")
    return input.softplus(beta, threshold)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _tensor(input, "input", "silu")
    return rename(input * input.sigmoid(), "SiluBackward0", [entry(input)])


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _tensor(input, "input", "mish")
    return rename(input * input.softplus().tanh(), "MishBackward0", [entry(input)])


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]. Its gradient passes only strictly inside the range,
    as PyTorch's (clamp's passes at the ends too)."""
    _tensor(input, "input", "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val "
                         f"({max_val})")
    inside = (input > min_val) & (input < max_val)
    out = where(inside, input, input.detach().clamp(min_val, max_val))
    return rename(out, "HardtanhBackward0", [entry(input)])


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), as in PyTorch."""
    _tensor(input, "input", "relu6")
    return hardtanh(input, 0.0, 6.0)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x): no overflow for large |x|."""
    _tensor(input, "input", "logsigmoid")
    return rename(-(-input).softplus(), "LogSigmoidBackward0", [entry(input)])


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (PyTorch computes it as these two ops too)."""
    _tensor(input, "input", "softsign")
    return input / (input.abs() + 1)


def softmax(input: Tensor, dim: int) -> Tensor:
    _tensor(input, "input", "softmax")
    if reference_kernels_enabled():
        return R.softmax(input, normalize_dim(dim, input.ndim, "softmax"))
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    _tensor(input, "input", "log_softmax")
    if reference_kernels_enabled():
        return R.log_softmax(input, normalize_dim(dim, input.ndim, "log_softmax"))
    return input.log_softmax(dim)


# ---------------------------------------------------------------- normalisation


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """PyTorch's F.batch_norm on (N, C) or (N, C, *spatial).

    training=True normalises with the batch's statistics and, when running_mean/var are
    given, updates them in place: new = (1 - momentum) * old + momentum * batch, where the
    variance is the unbiased one. training=False normalises with the running statistics.
    """
    _floating(_tensor(input, "input", "batch_norm"), "batch_norm")
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
        # a fixed per-channel affine map: one node, differentiable any number of times
        invstd = 1.0 / np.sqrt(running_var._data.astype(np.float64) + eps)
        mean = running_mean._data.astype(np.float64)
        if reference_kernels_enabled():
            return R.batch_norm(input, running_mean, running_var, weight, bias, False, momentum,
                                eps)
        return BatchNormEval.apply(input, weight, bias, mean, invstd)
    count = input.numel() // c
    if count == 0:  # an empty batch: an empty output, the running statistics as they were
        return BatchNormEval.apply(input, weight, bias, np.zeros(c), np.ones(c))
    if count == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {input.shape}")
    if reference_kernels_enabled():
        return R.batch_norm(input, running_mean, running_var, weight, bias, True, momentum, eps)
    x3, mean, var = batch_statistics(input)
    out = BatchNorm.apply(input, weight, bias, x3, mean, var, eps)
    # running statistics use the unbiased variance, as in PyTorch
    for buffer, batch_value in ((running_mean, mean), (running_var, var * count / (count - 1))):
        if buffer is not None:
            buffer._data[...] = (1 - momentum) * buffer._data + momentum * batch_value
            buffer._version[0] += 1
    return out


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims (PyTorch's F.layer_norm)."""
    _floating(_tensor(input, "input", "layer_norm"), "layer_norm")
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
    if reference_kernels_enabled():
        return R.layer_norm(input, normalized_shape, weight, bias, eps)
    return LayerNorm.apply(input, weight, bias, normalized_shape, eps)


# ---------------------------------------------------------------- embedding and friends


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
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
    if reference_kernels_enabled():
        return R.embedding(Tensor._make(idx), weight, padding_idx)
    return Embedding.apply(weight, idx.astype(np.int64, copy=False), padding_idx)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
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


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps) (PyTorch's F.normalize)."""
    _tensor(input, "input", "normalize")
    norm = rename(input.norm(p, dim, keepdim=True).clamp(min=eps), "ClampMinBackward0")
    return input / norm.expand_as(input)  # the steps PyTorch's graph shows


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    _tensor(input, "input", "flatten")
    return input.flatten(start_dim, end_dim)



def pad(input, pad, mode="constant", value=None):
    """Pad the last dims: `pad` is (left, right) for the last dim, then (top, bottom) for
    the one before, ... (PyTorch's order). mode "constant" fills with `value` (0); "reflect"
    mirrors without repeating the edge, "replicate" repeats the edge, "circular" wraps."""
    input = _tensor(input, "input", "pad")
    if mode == "constant":
        return input.pad(pad, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim or any(p < 0 for p in pad):
        raise ValueError(f"pad: mode {mode!r} needs non-negative (before, after) pairs for at "
                         f"most {input.ndim} dims, got {pad}")
    out = input
    for i in range(len(pad) // 2):  # the positions each output element reads, per dim
        d, (lo, hi) = input.ndim - 1 - i, pad[2 * i: 2 * i + 2]
        n = out.shape[d]
        pos = np.arange(-lo, n + hi)
        if mode == "reflect":
            if lo >= n or hi >= n:
                raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than "
                                 f"the dim's size {n}")
            pos = np.abs(pos)
            pos = np.where(pos >= n, 2 * (n - 1) - pos, pos)
        elif mode == "replicate":
            pos = np.clip(pos, 0, n - 1)
        else:
            if lo > n or hi > n:
                raise ValueError(f"pad: circular padding ({lo}, {hi}) must be at most the "
                                 f"dim's size {n}")
            pos = pos % n
        out = out[(slice(None),) * d + (pos,)]
    return out


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between x1 and x2 along dim (broadcast): each is divided by
    its norm (at least eps), then the products summed."""
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim, row by row."""
    return (x1 - x2 + eps).norm(p, -1, keepdim)

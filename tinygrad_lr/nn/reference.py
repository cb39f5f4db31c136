"""The plain reference of every fused op: the textbook formula, in public Tensor operations.

Each fused op of `nn.functional` (conv, pooling, softmax and cross-entropy, the norms, the
losses with a hand-written backward, the RNN cells and sequences) is one graph node whose
backward is a derivation done by hand, often a Numba kernel. Its twin here is the formula
a textbook writes, in Tensor operations only (+, *, @, exp, log, sum, amax, reshape, pad,
indexing, gather, where, stack, ...), so autograd differentiates it: the gradient comes from
the chain rule over small, visible steps. They are what a learner reads and steps through
(`tl.use_reference_kernels(True)` makes `nn.functional` run them), and what the tests check
the fast ops against: the same values and the same gradients.

Each function has the signature and meaning of its fused twin (PyTorch's F.*). They do not
check their arguments: `nn.functional` checks them (with errors in the user's terms) before
it calls either version.

Where a formula has a kink, the reference's gradient is the one its ops give; where that
differs from the fused op (and PyTorch) the docstring says so.
"""
import math
from collections.abc import Sequence
from numbers import Integral

from ..autograd import no_grad
from ..creation import ones, zeros
from ..tensor import Tensor, cat, einsum, maximum, stack, where
from .functional_dropout import dropout as apply_dropout

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "conv_transpose2d", "cross_entropy",
    "embedding", "gru", "gru_cell", "huber_loss", "layer_norm", "linear", "log_softmax",
    "logsumexp", "lstm", "lstm_cell", "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "rnn",
    "rnn_relu_cell", "rnn_tanh_cell", "smooth_l1_loss", "softmax",
]

Size = int | Sequence[int]


def _pair(value: Size) -> tuple[int, int]:
    """An int or a pair of ints -> a (height, width) pair."""
    return (int(value),) * 2 if isinstance(value, Integral) else tuple(int(v) for v in value)


def _unit_height(value: Size, height: int) -> tuple[int, int]:
    """A 1-D size (an int or a 1-tuple) -> (height, size): 1-D ops are 2-D ops on a unit height."""
    return (height, int(value) if isinstance(value, Integral) else int(value[0]))


# ================================================================ linear
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b: every output feature is a weighted sum of the input features."""
    out = input @ weight.T
    return out if bias is None else out + bias


# ================================================================ windows: conv and pooling
def _windows(x: Tensor, kernel, stride, dilation, out_hw) -> Tensor:
    """What the kernel sees at every output position, as (N, C, kh*kw, Ho, Wo) ("unfold").

    Slice k = (i, j) holds x[n, c, oh*sh + i*dh, ow*sw + j*dw] for all outputs (oh, ow):
    the input under kernel tap (i, j). Sliding a window over x is stacking kh*kw strided
    slices of it. x is already padded, so every window lies inside it.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    taps = [x[:, :, i * dh:i * dh + (ho - 1) * sh + 1:sh, j * dw:j * dw + (wo - 1) * sw + 1:sw]
            for i in range(kh) for j in range(kw)]
    return stack(taps, 2)


def _conv_padding(padding, kernel, dilation):
    """PyTorch's padding argument -> pad()'s (left, right, top, bottom).

    'valid' is no padding; 'same' pads d*(k-1) in total per dim, the odd one at the end.
    """
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        th, tw = (d * (k - 1) for k, d in zip(kernel, dilation))
        return (tw // 2, tw - tw // 2, th // 2, th - th // 2)
    ph, pw = _pair(padding)
    return (pw, pw, ph, ph)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Size = 1,
           padding: Size | str = 0, dilation: Size = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as unfold then matmul:

        out[n, o, y, x] = b[o]
                          + sum_{c, i, j} w[o, c, i, j] * xp[n, g C_g + c, y s + i d, x s + j d]

    xp the zero-padded input, C_g = C_in / groups the channels of output o's group g.
    """
    stride, dilation = _pair(stride), _pair(dilation)
    kernel = tuple(weight.shape[2:])
    x = input.pad(_conv_padding(padding, kernel, dilation))
    n = x.shape[0]
    out_hw = tuple((size - d * (k - 1) - 1) // s + 1
                   for size, k, s, d in zip(x.shape[2:], kernel, stride, dilation))
    c_out, c_group = weight.shape[:2]
    taps = kernel[0] * kernel[1]
    cols = _windows(x, kernel, stride, dilation, out_hw)  # (N, C_in, taps, Ho, Wo)
    cols = cols.reshape(n, groups, c_group, taps, *out_hw)
    w = weight.reshape(groups, c_out // groups, c_group, taps)
    out = einsum("ngckhw,gock->ngohw", cols, w).reshape(n, c_out, *out_hw)
    return out if bias is None else out + bias.reshape(1, c_out, 1, 1)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Size = 1,
           padding: Size | str = 0, dilation: Size = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation over (N, C, L): conv2d on a unit height."""
    if not isinstance(padding, str):
        padding = _unit_height(padding, 0)
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, _unit_height(stride, 1),
                 padding, _unit_height(dilation, 1), groups)
    return out.squeeze(2)


def _insert_zeros(x: Tensor, stride) -> Tensor:
    """(N, C, H, W) -> (N, C, (H-1) sh + 1, (W-1) sw + 1) with sh-1 (sw-1) zeros between
    neighbouring rows (columns): each element goes to s times its index."""
    n, c, h, w = x.shape
    sh, sw = stride
    spread = x.reshape(n, c, h, 1, w, 1).pad((0, sw - 1, 0, 0, 0, sh - 1))
    spread = spread.reshape(n, c, h * sh, w * sw)
    return spread[:, :, :(h - 1) * sh + 1, :(w - 1) * sw + 1]


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Size = 1, padding: Size = 0, output_padding: Size = 0,
                     groups: int = 1, dilation: Size = 1) -> Tensor:
    """The adjoint of conv2d (the map its input gradient is), weight (C_in, C_out/groups, kh, kw):

    1. put s-1 zeros between neighbouring input elements (the stride, undone);
    2. pad each side by d (k-1) - p (a negative amount crops), plus output_padding at the end;
    3. a plain convolution (stride 1, dilation d) with the kernel flipped in space and its
       in/out channels swapped within each group.

    Output size: (H - 1) s - 2 p + d (k - 1) + output_padding + 1.
    """
    stride, padding = _pair(stride), _pair(padding)
    output_padding, dilation = _pair(output_padding), _pair(dilation)
    c_in, c_group_out, kh, kw = weight.shape
    ph, pw = (d * (k - 1) - p for k, d, p in zip((kh, kw), dilation, padding))
    x = _insert_zeros(input, stride)
    x = x.pad((pw, pw + output_padding[1], ph, ph + output_padding[0]))
    w = weight.reshape(groups, c_in // groups, c_group_out, kh, kw).transpose(1, 2)
    w = w.reshape(groups * c_group_out, c_in // groups, kh, kw).flip((2, 3))
    return conv2d(x, w, bias, 1, 0, dilation, groups)


def _pool_out_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooled length: floor (or ceil) of (size + 2p - d(k-1) - 1) / s, plus 1; with
    ceil_mode the last window must start inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode):
    """The output size, and pad()'s widths: padding on each side, plus on the end side what
    ceil_mode's last, overhanging window needs."""
    out_hw, pads = [], []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        out = _pool_out_size(size, k, s, p, d, ceil_mode)
        overhang = max(0, (out - 1) * s + d * (k - 1) + 1 - (size + 2 * p))
        out_hw.append(out)
        pads = [p, p + overhang] + pads  # pad() lists the last dim first
    return tuple(out_hw), tuple(pads)


def _pool_args(kernel_size, stride, padding, dilation):
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == () else _pair(stride)
    return kernel, stride, _pair(padding), _pair(dilation)


def max_pool2d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """out[n, c, y, x] = max over the window's taps of xp[n, c, y s + i d, x s + j d],
    xp the input padded with -inf (padding never wins).

    The gradient goes to one input per window: the first maximum in scan order (row by
    row), and NaN wins - `max(dim)` picks that tap, as PyTorch and the fused kernel do.
    (Unlike `amax`, which shares a tie equally.) One corner differs: in a window whose
    real values are all -inf, a -inf padding cell that comes first wins and its gradient
    is dropped; the fused kernel gives it to the input.
    """
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    out_hw, pads = _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode)
    windows = _windows(input.pad(pads, -math.inf), kernel, stride, dilation, out_hw)
    return windows.max(2).values


def max_pool1d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    """Max pooling over (N, C, L): max_pool2d on a unit height."""
    stride = None if stride is None or stride == () else _unit_height(stride, 1)
    out = max_pool2d(input.unsqueeze(2), _unit_height(kernel_size, 1), stride,
                     _unit_height(padding, 0), _unit_height(dilation, 1), ceil_mode,
                     return_indices)
    return out.squeeze(2)


def avg_pool2d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """out[n, c, y, x] = (sum of the window's cells of the zero-padded input) / divisor.

    The divisor is divisor_override if given, otherwise how many of the window's cells
    count: the cells of the padded input (count_include_pad) or of the input alone; never
    the part of a ceil_mode window that hangs past the padding. It is counted the same way
    as the sum: windows over a mask of ones.
    """
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, 1)
    out_hw, pads = _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode)
    total = _windows(input.pad(pads), kernel, stride, dilation, out_hw).sum(2)
    if divisor_override is not None:
        return total / divisor_override
    (ph, pw), (h, w) = padding, input.shape[2:]
    if count_include_pad:  # ones over the padded input, zeros over the overhang
        counted = ones(1, 1, h + 2 * ph, w + 2 * pw, dtype=input.dtype)
        counted = counted.pad((0, pads[1] - pw, 0, pads[3] - ph))
    else:  # ones over the input, zeros over padding and overhang
        counted = ones(1, 1, h, w, dtype=input.dtype).pad(pads)
    divisor = _windows(counted, kernel, stride, dilation, out_hw).sum(2)
    return total / divisor


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Output cell (i, j) is the mean of input rows [floor(i H / Ho), ceil((i+1) H / Ho)) and
    columns [floor(j W / Wo), ceil((j+1) W / Wo)) (PyTorch's bins): together they cover the
    input; neighbouring windows share a row or column when Ho does not divide H."""
    sizes = (output_size,) * 2 if isinstance(output_size, Integral) or output_size is None \
        else tuple(output_size)
    h, w = input.shape[2:]
    ho, wo = (n if s is None else s for s, n in zip(sizes, (h, w)))
    rows = [(i * h // ho, -(-(i + 1) * h // ho)) for i in range(ho)]
    cols = [(j * w // wo, -(-(j + 1) * w // wo)) for j in range(wo)]
    cells = [stack([input[:, :, r0:r1, c0:c1].mean((2, 3)) for c0, c1 in cols], -1)
             for r0, r1 in rows]
    return stack(cells, -2)


# ================================================================ normalisation
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Per channel c (dim 1) of (N, C) or (N, C, *spatial):

        y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c

    training: mean and (biased) variance of this batch, over every dim but the channel, and
    running_mean/running_var (when given) move towards them in place:
    new = (1 - momentum) * old + momentum * batch, with the unbiased variance (n / (n - 1)).
    Otherwise the running statistics, as constants.
    """
    c = input.shape[1]
    dims = (0,) + tuple(range(2, input.ndim))  # all but the channel
    shape = (1, c) + (1,) * (input.ndim - 2)  # a per-channel value, broadcast over the rest
    if training:
        mean = input.mean(dims, keepdim=True)
        var = ((input - mean) ** 2).mean(dims, keepdim=True)
        n = input.numel() // c
        with no_grad():
            if running_mean is not None:
                running_mean.copy_((1 - momentum) * running_mean + momentum * mean.reshape(c))
            if running_var is not None:
                unbiased = var.reshape(c) * (n / (n - 1))
                running_var.copy_((1 - momentum) * running_var + momentum * unbiased)
    else:
        mean = running_mean.detach().reshape(shape)
        var = running_var.detach().reshape(shape)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def layer_norm(input: Tensor, normalized_shape: Size, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Over the trailing dims given by normalized_shape, for each sample on its own:

        y = (x - mean) / sqrt(var + eps) * weight + bias    (var biased)
    """
    k = 1 if isinstance(normalized_shape, Integral) else len(normalized_shape)
    dims = tuple(range(input.ndim - k, input.ndim))
    mean = input.mean(dims, keepdim=True)
    var = ((input - mean) ** 2).mean(dims, keepdim=True)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# ================================================================ softmax and friends
# Each subtracts the maximum m first: exp(x - m) cannot overflow, and m cancels out of the
# result exactly, so it is held constant (detached): its gradient would be zero anyway.
def softmax(input: Tensor, dim: int) -> Tensor:
    """softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m), m = max_j x_j."""
    e = (input - input.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def gelu(input: Tensor) -> Tensor:
    """GELU(x) = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 the normal CDF."""
    return 0.5 * input * (1 + (input * (1 / math.sqrt(2))).erf())


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log softmax(x)_i = (x_i - m) - log sum_j exp(x_j - m), m = max_j x_j."""
    shifted = input - input.amax(dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim, keepdim=True).log()


def logsumexp(input: Tensor, dim: int | Sequence[int], keepdim: bool = False) -> Tensor:
    """log sum_j exp(x_j) = m + log sum_j exp(x_j - m), m = max_j x_j.

    Where m is infinite (every x_j = -inf, or one is +inf) the shift is 0, so the answer is
    -inf (or +inf), not NaN.
    """
    m = input.amax(dim, keepdim=True).detach()
    m = where(m.abs() == math.inf, 0.0, m)
    out = (input - m).exp().sum(dim, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dim)


# ================================================================ losses
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _like(value, input: Tensor) -> Tensor:
    """A target or a constant as a Tensor; floating values take the input's dtype."""
    t = value if isinstance(value, Tensor) else Tensor(value)
    return t.astype(input.dtype) if t.dtype.kind in "fb" else t


def _constant(value, input: Tensor) -> Tensor | None:
    """A class weight or pos_weight: a constant of the input's dtype (no gradient)."""
    return None if value is None else _like(value, input).detach()


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N d1 ..., C): one row of class scores per prediction."""
    return x if x.ndim == 2 else x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])


def _target_weights(target: Tensor, weight, ignore_index: int, input: Tensor):
    """Flat class indices (ignored ones replaced by class 0) and the weight w[t] of each
    prediction's true class, 0 where the target is ignore_index."""
    t = target.reshape(-1)
    kept = t != ignore_index
    t = where(kept, t, 0)
    w = ones(input.shape[1], dtype=input.dtype) if weight is None else _constant(weight, input)
    return t, where(kept, w[t], 0.0)


def nll_loss(input: Tensor, target: Tensor, weight=None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """The negative log-likelihood of the true class, input log-probabilities (N, C, ...):

        loss_n = -w[t_n] * input[n, t_n]          (0 where t_n == ignore_index)
        'mean': sum_n loss_n / sum_n w[t_n]       (a weighted average)
    """
    target = _like(target, input)
    if input.ndim == 1:  # one unbatched sample
        out = nll_loss(input.unsqueeze(0), target.reshape(1), weight, ignore_index, reduction)
        return out.reshape(())
    t, w_t = _target_weights(target, weight, ignore_index, input)
    picked = _classes_last(input).gather(1, t.unsqueeze(1)).squeeze(1)  # input[n, t_n]
    loss = -w_t * picked
    if reduction == "none":
        return loss.reshape(target.shape)
    return loss.sum() if reduction == "sum" else loss.sum() / w_t.sum()


def cross_entropy(input: Tensor, target: Tensor, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits x (N, C, ...), the classic derivation written out:

        p = softmax(x)                       the predicted distribution over the classes
        log p = log_softmax(x)               (log of the softmax, in its stable form)
        loss_n = -w[t_n] log p[n, t_n]       the NLL of the true class: nll_loss(log p, t)

    target may instead hold class probabilities q (the input's shape): loss_n =
    -sum_c w_c q[n, c] log p[n, c], 'mean' over the N d1 ... predictions. label_smoothing
    eps mixes the target with the uniform distribution, (1 - eps) q + eps / C; with class
    indices that is (1 - eps) nll + eps * (the loss against the uniform target).
    """
    target = _like(target, input)
    if input.ndim == 1:  # one unbatched sample
        target = target.reshape(1) if target.ndim == 0 else target.unsqueeze(0)
        return cross_entropy(input.unsqueeze(0), target, weight, ignore_index, reduction,
                             label_smoothing).reshape(())
    c = input.shape[1]
    log_p = log_softmax(input, 1)
    class_dim = (c,) + (1,) * (input.ndim - 2)  # class weights broadcast over d1, ...
    w = ones(class_dim, dtype=input.dtype) if weight is None \
        else _constant(weight, input).reshape(class_dim)
    if target.dtype.kind == "f":  # class probabilities
        q = target if label_smoothing == 0 else (1 - label_smoothing) * target + label_smoothing / c
        return _reduce(-(w * q * log_p).sum(1), reduction)
    loss = nll_loss(log_p, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return loss
    uniform = -(w * log_p).sum(1) / c  # cross-entropy against the uniform distribution
    _, w_t = _target_weights(target, weight, ignore_index, input)
    uniform = where(target != ignore_index, uniform, 0.0)
    if reduction == "sum":
        uniform = uniform.sum()
    elif reduction == "mean":  # the same denominator as the NLL: sum of w[t_n]
        uniform = uniform.sum() / w_t.sum()
    return (1 - label_smoothing) * loss + label_smoothing * uniform


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input - target)^2."""
    return _reduce((input - _like(target, input)) ** 2, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """With r = input - target: 0.5 r^2 where |r| < delta, else delta (|r| - 0.5 delta):
    quadratic near zero, linear (robust to outliers) far away, continuous slope at |r| = delta."""
    r = input - _like(target, input)
    return _reduce(where(r.abs() < delta, 0.5 * r ** 2, delta * (r.abs() - 0.5 * delta)),
                   reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """With r = input - target: 0.5 r^2 / beta where |r| < beta, else |r| - 0.5 beta
    (Huber with delta = beta, divided by beta); beta = 0 is the L1 loss |r|."""
    r = input - _like(target, input)
    if beta == 0:
        return _reduce(r.abs(), reduction)
    return _reduce(where(r.abs() < beta, 0.5 * r ** 2 / beta, r.abs() - 0.5 * beta), reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight=None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x, each log clamped at -100
    (as PyTorch), so x = 0 or 1 gives a finite loss.

    The clamp is applied to the log's argument (max(x, e^-100) has the log max(log x, -100)),
    so a saturated x = 0 or 1 never reaches log(0): its gradient stays finite. Exactly there
    the fused op (and PyTorch) use (x - y) / max(x (1 - x), 1e-12), a different finite value.
    """
    target = _like(target, input)
    tiny = math.exp(-100)
    log_x = input.clamp(min=tiny).log()
    log_1mx = (1 - input).clamp(min=tiny).log()
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * _constant(weight, input)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """BCE of sigmoid(x), from the logits x:

        loss = -[pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
             = (1 - y) x + (1 + (pw - 1) y) softplus(-x)          (pw = pos_weight, default 1)

    using log sigmoid(x) = -softplus(-x) and log(1 - sigmoid(x)) = -x - softplus(-x). The
    stable softplus(-x) = log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|) never exponentiates a
    positive number; with pw = 1 the loss is max(x, 0) - x y + log(1 + e^-|x|).
    weight and pos_weight are constants.
    """
    target = _like(target, input)
    # maximum() shares a tie's gradient (at x = 0: -1/2), which is softplus'(0) exactly
    softplus_neg = maximum(-input, 0.0) + (-input.abs()).exp().log1p()
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        log_weight = 1 + (_constant(pos_weight, input) - 1) * target
        loss = (1 - target) * input + log_weight * softplus_neg
    if weight is not None:
        loss = loss * _constant(weight, input)
    return _reduce(loss, reduction)


# ================================================================ embedding
def embedding(input, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """weight[input]: row i of the table for every index i. The gradient of a row is the sum
    of the gradients of its lookups; the padding_idx row's lookups are constants (no gradient)."""
    rows = weight[input]
    if padding_idx is None:
        return rows
    if padding_idx < 0:
        padding_idx += weight.shape[0]
    index = input if isinstance(input, Tensor) else Tensor(input)
    return where((index == padding_idx).unsqueeze(-1), rows.detach(), rows)


# ================================================================ recurrent cells
# Weights are PyTorch's: w_ih (gates * H, input), w_hh (gates * H, H), gates stacked in
# PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n). Input (B, input) or unbatched (input,).
def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return (linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return (linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None
              ) -> tuple[Tensor, Tensor]:
    """One LSTM step from the state (h, c):

        i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh)      four blocks of H
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)                 forget some, write some
        h' = sigmoid(o) * tanh(c')                                 read some out
    """
    h, c = hx
    i, f, g, o = (linear(input, w_ih, b_ih) + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step (PyTorch's form: the reset gate scales h W_hn^T + b_hn):

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)             reset gate
        z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)             update gate
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))          candidate state
        h' = (1 - z) * n + z * h
    """
    x_r, x_z, x_n = linear(input, w_ih, b_ih).chunk(3, -1)
    h_r, h_z, h_n = linear(hx, w_hh, b_hh).chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * hx


# ================================================================ recurrent sequences
def _over_time(step, xs: Tensor, state, weights, reverse: bool):
    """One direction of one layer: the cell at every time step, each starting from the
    state the previous step left (backwards in time when reverse). Returns every h_t, in
    time order, as (T, B, H), and the final state."""
    hs = [None] * len(xs)
    for t in (range(len(xs) - 1, -1, -1) if reverse else range(len(xs))):
        state = step(xs[t], state, *weights)
        hs[t] = state[0]
    return stack(hs, 0), state


def _layers(step, input, states, params, has_biases, num_layers, dropout, train,
            bidirectional, batch_first):
    """Layers of recurrences: layer l + 1 reads layer l's outputs (both directions side by
    side, dropout between layers when training). params are flat, in PyTorch's order:
    w_ih, w_hh(, b_ih, b_hh) of layer 0, of layer 0 reversed, of layer 1, ...
    states: the initial states as (num_layers * directions, B, H) tensors, or None."""
    directions = 2 if bidirectional else 1
    per_cell = 4 if has_biases else 2
    unbatched = input.ndim == 2
    if unbatched:  # a batch of one
        x, states = input.unsqueeze(1), [s if s is None else s.unsqueeze(1) for s in states]
    else:  # time-major: x[t] is step t
        x = input.transpose(0, 1) if batch_first else input
    shape = (num_layers * directions, x.shape[1], params[1].shape[1])  # (L*D, B, H)
    states = [zeros(shape, dtype=x.dtype) if s is None else s for s in states]
    finals = []  # the final state of every layer and direction, in that order
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            weights = tuple(params[k * per_cell:(k + 1) * per_cell])
            if not has_biases:
                weights += (None, None)
            out, last = _over_time(step, x, tuple(s[k] for s in states), weights,
                                   direction == 1)
            outputs.append(out)
            finals.append(last)
        x = cat(outputs, 2)
        if dropout > 0 and train and layer < num_layers - 1:
            x = apply_dropout(x, dropout, True)
    last = [stack([f[i] for f in finals], 0) for i in range(len(states))]  # h_n (, c_n)
    if unbatched:
        return x.squeeze(1), [s.squeeze(1) for s in last]
    return (x.transpose(0, 1) if batch_first else x), last


def rnn(input: Tensor, hx: Tensor | None, params: Sequence[Tensor], has_biases: bool = True,
        num_layers: int = 1, dropout: float = 0.0, train: bool = False,
        bidirectional: bool = False, batch_first: bool = False,
        nonlinearity: str = "tanh") -> tuple[Tensor, Tensor]:
    """Elman RNN over (T, B, input) (batch_first: (B, T, input); or unbatched (T, input)):
    rnn_tanh_cell (or rnn_relu_cell) at every step, for every layer and direction.
    hx (layers * directions, B, H) or None (zeros); params as nn.RNN(...).parameters().
    Returns (output: every h_t of the last layer, directions side by side; h_n)."""
    cell = rnn_tanh_cell if nonlinearity == "tanh" else rnn_relu_cell

    def step(x, state, *weights):
        return (cell(x, state[0], *weights),)

    output, (h_n,) = _layers(step, input, [hx], params, has_biases, num_layers, dropout,
                             train, bidirectional, batch_first)
    return output, h_n


def lstm(input: Tensor, hx: tuple[Tensor, Tensor] | None, params: Sequence[Tensor],
         has_biases: bool = True, num_layers: int = 1, dropout: float = 0.0,
         train: bool = False, bidirectional: bool = False,
         batch_first: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """LSTM over a sequence: lstm_cell at every step, for every layer and direction.
    hx = (h0, c0) or None (zeros). Returns (output, h_n, c_n); see rnn for the layout."""
    output, (h_n, c_n) = _layers(lstm_cell, input, list(hx or (None, None)), params,
                                 has_biases, num_layers, dropout, train, bidirectional,
                                 batch_first)
    return output, h_n, c_n


def gru(input: Tensor, hx: Tensor | None, params: Sequence[Tensor], has_biases: bool = True,
        num_layers: int = 1, dropout: float = 0.0, train: bool = False,
        bidirectional: bool = False, batch_first: bool = False) -> tuple[Tensor, Tensor]:
    """GRU over a sequence: gru_cell at every step, for every layer and direction.
    Returns (output, h_n); see rnn for the layout."""

    def step(x, state, *weights):
        return (gru_cell(x, state[0], *weights),)

    output, (h_n,) = _layers(step, input, [hx], params, has_biases, num_layers, dropout,
                             train, bidirectional, batch_first)
    return output, h_n

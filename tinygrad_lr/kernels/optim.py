"""In-place optimizer updates: one pass over each parameter, no temporaries.

numpy would spell an Adam step as ~10 expressions, each allocating and re-reading a full
temporary; these kernels read param, grad and state once and write them back once.
Every kernel follows the element order of torch.optim's update formulas (same lerp, same
eps placement), so results match PyTorch step for step; each docstring gives the formula
exactly as the loop computes it, and the numpy reference beside each kernel
(`<name>_reference`, same arguments) is that formula as whole-array expressions. The
public functions (`sgd`, `adam`, ...) run the reference when `reference_kernels_enabled()`.

Arrays are 1-D (flattened views), float32 or float64. Scalars (bias corrections, step
sizes, 1 - beta) are computed once per step by the caller and cast to the parameter's
dtype: a literal such as `1.0 - beta` inside the loop would promote float32 arithmetic to
float64 and stop LLVM from vectorizing it. Large parameters use a parallel twin of each
kernel (kernels/threading_policy.py says when and why).
"""
import numpy as np
from numba import prange

from . import runs_reference
from .threading_policy import PARALLEL_MIN, core_free, jit_with_parallel_twin


def _update(reference):
    """Decorator: compile the kernel it decorates (serial and parallel twins) and return
    the entry point, which runs `reference` instead when reference kernels are enabled."""
    def wrap(fn):
        serial, parallel = jit_with_parallel_twin(fn)

        def run(param, *args):
            scalar = param.dtype.type
            # numbers (not flags, not arrays) in the parameter's dtype: one compiled signature
            # (`type(a) in` is exact: a bool flag is not an int here)
            args = [scalar(a) if type(a) in (int, float) else a for a in args]
            if runs_reference(param):
                reference(param, *args)
            elif param.size >= PARALLEL_MIN and core_free():  # kernels/threading_policy.py
                run.parallel(param, *args)
            else:
                run.serial(param, *args)

        run.serial, run.parallel = serial, parallel
        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        run.py_func = fn  # the kernel's plain-Python meaning, for tests and for reading
        run.reference = reference
        return run
    return wrap


def _direction(param, grad, weight_decay, maximize):
    """d = -g (maximize) or g, plus weight_decay * p (L2 regularisation)."""
    d = -grad if maximize else grad
    return d + weight_decay * param if weight_decay != 0 else d


# ------------------------------------------------------------------ SGD
def sgd_reference(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov,
                  maximize, first_step):
    d = _direction(param, grad, weight_decay, maximize)
    if momentum != 0:
        buf[...] = d if first_step else buf * momentum + one_minus_dampening * d
        d = d + momentum * buf if nesterov else buf
    param[...] = param - lr * d


@_update(sgd_reference)
def sgd(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov, maximize,
        first_step):
    """d = g + wd*p (-g with maximize); with momentum:
    buf = d (first step) or momentum*buf + (1-dampening)*d, d = d + momentum*buf (nesterov)
    or buf; p = p - lr*d."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        if momentum != 0:
            b = d if first_step else buf[i] * momentum + one_minus_dampening * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        param[i] = param[i] - lr * d


# ------------------------------------------------------------------ Adagrad
def adagrad_reference(param, grad, state_sum, clr, weight_decay, eps, maximize):
    d = _direction(param, grad, weight_decay, maximize)
    state_sum += d * d
    param[...] = param - clr * (d / (np.sqrt(state_sum) + eps))


@_update(adagrad_reference)
def adagrad(param, grad, state_sum, clr, weight_decay, eps, maximize):
    """d = g + wd*p; sum = sum + d^2; p = p - clr * d / (sqrt(sum) + eps)."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        s = state_sum[i] + d * d
        state_sum[i] = s
        param[i] = param[i] - clr * (d / (np.sqrt(s) + eps))


# ------------------------------------------------------------------ Adadelta
def adadelta_reference(param, grad, square_avg, acc_delta, lr, rho, one_minus_rho, eps,
                       weight_decay, maximize):
    d = _direction(param, grad, weight_decay, maximize)
    square_avg[...] = square_avg * rho + one_minus_rho * d * d
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * d
    acc_delta[...] = acc_delta * rho + one_minus_rho * delta * delta
    param[...] = param - lr * delta


@_update(adadelta_reference)
def adadelta(param, grad, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay,
             maximize):
    """Zeiler's Adadelta: d = g + wd*p; sq = rho*sq + (1-rho)*d^2;
    delta = sqrt(acc + eps) / sqrt(sq + eps) * d; acc = rho*acc + (1-rho)*delta^2;
    p = p - lr*delta."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        sq = square_avg[i] * rho + one_minus_rho * d * d
        square_avg[i] = sq
        delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(sq + eps) * d
        acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
        param[i] = param[i] - lr * delta


# ------------------------------------------------------------------ RMSprop
def rmsprop_reference(param, grad, square_avg, grad_avg, buf, lr, alpha, one_minus_alpha, eps,
                      weight_decay, momentum, centered, maximize):
    d = _direction(param, grad, weight_decay, maximize)
    square_avg[...] = square_avg * alpha + one_minus_alpha * d * d
    if centered:
        grad_avg[...] = grad_avg + one_minus_alpha * (d - grad_avg)
        denom = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        denom = np.sqrt(square_avg) + eps
    if momentum > 0:
        buf[...] = buf * momentum + d / denom
        param[...] = param - lr * buf
    else:
        param[...] = param - lr * (d / denom)


@_update(rmsprop_reference)
def rmsprop(param, grad, square_avg, grad_avg, buf, lr, alpha, one_minus_alpha, eps,
            weight_decay, momentum, centered, maximize):
    """d = g + wd*p; sq = alpha*sq + (1-alpha)*d^2; centered: ga = ga + (1-alpha)*(d - ga),
    denom = sqrt(sq - ga^2) + eps, else denom = sqrt(sq) + eps; with momentum
    buf = momentum*buf + d/denom, p = p - lr*buf; without, p = p - lr * d/denom."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        sq = square_avg[i] * alpha + one_minus_alpha * d * d
        square_avg[i] = sq
        if centered:
            ga = grad_avg[i] + one_minus_alpha * (d - grad_avg[i])
            grad_avg[i] = ga
            denom = np.sqrt(sq - ga * ga) + eps
        else:
            denom = np.sqrt(sq) + eps
        if momentum > 0:
            b = buf[i] * momentum + d / denom
            buf[i] = b
            param[i] = param[i] - lr * b
        else:
            param[i] = param[i] - lr * (d / denom)


# ------------------------------------------------------------------ Adam, AdamW
def adam_reference(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size,
                   one_minus_beta1, beta2, one_minus_beta2, eps, bias_correction2_sqrt,
                   weight_decay, decay_factor, amsgrad, maximize):
    p = param * decay_factor
    d = _direction(p, grad, weight_decay, maximize)
    exp_avg[...] = exp_avg + one_minus_beta1 * (d - exp_avg)
    exp_avg_sq[...] = exp_avg_sq * beta2 + one_minus_beta2 * d * d
    v = exp_avg_sq
    if amsgrad:
        max_exp_avg_sq[...] = np.maximum(max_exp_avg_sq, exp_avg_sq)
        v = max_exp_avg_sq
    denom = np.sqrt(v) / bias_correction2_sqrt + eps
    param[...] = p - step_size * (exp_avg / denom)


@_update(adam_reference)
def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size, one_minus_beta1, beta2,
         one_minus_beta2, eps, bias_correction2_sqrt, weight_decay, decay_factor, amsgrad,
         maximize):
    """Adam (AdamW when decay_factor = 1 - lr*wd and weight_decay = 0), step t:
        p = p * decay_factor;  d = g + weight_decay * p
        m = m + (1 - b1) * (d - m)          (= b1*m + (1-b1)*d, written as torch's lerp)
        v = b2 * v + (1 - b2) * d^2;  with amsgrad v_max = max(v_max, v) is used as v
        p = p - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
    with step_size = lr / (1 - b1^t) and bias_correction2_sqrt = sqrt(1 - b2^t)."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        p = param[i] * decay_factor
        if weight_decay != 0:
            d = d + weight_decay * p
        m = exp_avg[i] + one_minus_beta1 * (d - exp_avg[i])
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * d * d
        exp_avg_sq[i] = v
        if amsgrad:
            v = max(max_exp_avg_sq[i], v)
            max_exp_avg_sq[i] = v
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p - step_size * (m / denom)


# ------------------------------------------------------------------ Adamax
def adamax_reference(param, grad, exp_avg, exp_inf, clr, one_minus_beta1, beta2, eps,
                     weight_decay, maximize):
    d = _direction(param, grad, weight_decay, maximize)
    exp_avg[...] = exp_avg + one_minus_beta1 * (d - exp_avg)
    exp_inf[...] = np.maximum(exp_inf * beta2, np.abs(d) + eps)
    param[...] = param - clr * (exp_avg / exp_inf)


@_update(adamax_reference)
def adamax(param, grad, exp_avg, exp_inf, clr, one_minus_beta1, beta2, eps, weight_decay,
           maximize):
    """Adam with the infinity norm: d = g + wd*p; m = m + (1-b1)*(d - m);
    u = max(b2*u, |d| + eps); p = p - clr * m/u, clr = lr / (1 - b1^t)."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        m = exp_avg[i] + one_minus_beta1 * (d - exp_avg[i])
        exp_avg[i] = m
        u = max(exp_inf[i] * beta2, abs(d) + eps)
        exp_inf[i] = u
        param[i] = param[i] - clr * (m / u)


# ------------------------------------------------------------------ NAdam
def nadam_reference(param, grad, exp_avg, exp_avg_sq, grad_coef, avg_coef, one_minus_beta1,
                    beta2, one_minus_beta2, bias_correction2, eps, weight_decay, decay_factor,
                    maximize):
    p = param * decay_factor
    d = _direction(p, grad, weight_decay, maximize)
    exp_avg[...] = exp_avg + one_minus_beta1 * (d - exp_avg)
    exp_avg_sq[...] = exp_avg_sq * beta2 + one_minus_beta2 * d * d
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    param[...] = p + grad_coef * (d / denom) + avg_coef * (exp_avg / denom)


@_update(nadam_reference)
def nadam(param, grad, exp_avg, exp_avg_sq, grad_coef, avg_coef, one_minus_beta1, beta2,
          one_minus_beta2, bias_correction2, eps, weight_decay, decay_factor, maximize):
    """Adam with Nesterov momentum: p = p * decay_factor; d = g + wd*p;
    m = m + (1-b1)*(d - m); v = b2*v + (1-b2)*d^2; denom = sqrt(v / (1 - b2^t)) + eps;
    p = p + grad_coef * d/denom + avg_coef * m/denom (the coefficients carry the mu
    schedule, computed by the caller)."""
    for i in prange(param.size):
        d = -grad[i] if maximize else grad[i]
        p = param[i] * decay_factor
        if weight_decay != 0:
            d = d + weight_decay * p
        m = exp_avg[i] + one_minus_beta1 * (d - exp_avg[i])
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * d * d
        exp_avg_sq[i] = v
        denom = np.sqrt(v / bias_correction2) + eps
        p = p + grad_coef * (d / denom)
        param[i] = p + avg_coef * (m / denom)

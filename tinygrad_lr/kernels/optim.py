"""In-place optimizer updates: one pass over each parameter, no temporaries.

numpy would spell an Adam step as ~10 expressions, each allocating and re-reading a full
temporary; these kernels read param, grad and state once and write them back once.
Every kernel follows the element order of torch.optim's update formulas (same lerp, same
eps placement), so results match PyTorch step for step. Arrays are 1-D (flattened views),
float32 or float64. Scalars (bias corrections, step sizes, 1 - beta) are computed once per
step by the caller and cast to the parameter's dtype: a literal such as `1.0 - beta` inside
the loop would promote float32 arithmetic to float64 and stop LLVM from vectorizing it.
Loops run in parallel only for large parameters. In isolation the parallel kernel wins
from ~1000 elements on, but in a training step its OpenMP threads keep spinning after the
update and fight numpy's BLAS threads in the next matmul on a 2-core machine (an MLP step
went from 0.24 ms to 12 ms). From 2**18 elements the update itself is long enough to pay.
"""
import types

import numba
import numpy as np

# Below this many elements a serial loop is faster than waking the thread pool, once the
# BLAS threads of the surrounding training step are counted (see the module docstring).
PARALLEL_MIN = 1 << 18


def _kernel(fn):
    """Compile `fn` twice: serial for small arrays, parallel (prange) for large ones."""
    serial = numba.njit(cache=True)(fn)
    # a renamed copy, so that the on-disk caches of the two compilations do not collide
    twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_parallel")
    twin.__qualname__ = fn.__qualname__ + "_parallel"
    parallel = numba.njit(cache=True, parallel=True)(twin)

    def run(param, *args):
        scalar = param.dtype.type
        # numbers (not flags, not arrays) in the parameter's dtype: one compiled signature
        args = [scalar(a) if isinstance(a, (int, float)) and not isinstance(a, bool) else a
                for a in args]
        (parallel if param.size >= PARALLEL_MIN else serial)(param, *args)

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    run.py_func = fn  # the plain-Python meaning, for tests and for reading
    return run


@_kernel
def sgd(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov, maximize,
        first_step):
    """d = g + wd*p; buf = d (first step) or momentum*buf + (1-dampening)*d;
    p -= lr * (d + momentum*buf if nesterov else buf)."""
    for i in numba.prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        if momentum != 0:
            b = d if first_step else buf[i] * momentum + one_minus_dampening * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        param[i] = param[i] - lr * d


@_kernel
def adagrad(param, grad, state_sum, clr, weight_decay, eps, maximize):
    """sum += g^2; p -= clr * g / (sqrt(sum) + eps)."""
    for i in numba.prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        s = state_sum[i] + d * d
        state_sum[i] = s
        param[i] = param[i] - clr * (d / (np.sqrt(s) + eps))


@_kernel
def adadelta(param, grad, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay,
             maximize):
    """Zeiler's Adadelta: the step is scaled by RMS(past steps) / RMS(gradients)."""
    for i in numba.prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        sq = square_avg[i] * rho + one_minus_rho * d * d
        square_avg[i] = sq
        delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(sq + eps) * d
        acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta
        param[i] = param[i] - lr * delta


@_kernel
def rmsprop(param, grad, square_avg, grad_avg, buf, lr, alpha, one_minus_alpha, eps,
            weight_decay, momentum, centered, maximize):
    """sq = alpha*sq + (1-alpha)*g^2; denom = sqrt(sq - mean_g^2 if centered else sq) + eps."""
    for i in numba.prange(param.size):
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


@_kernel
def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size, one_minus_beta1, beta2,
         one_minus_beta2, eps, bias_correction2_sqrt, weight_decay, decay_factor, amsgrad,
         maximize):
    """Adam, and AdamW when decay_factor = 1 - lr*wd shrinks p before the step (then the
    caller passes weight_decay = 0, so the gradient itself is not decayed)."""
    for i in numba.prange(param.size):
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


@_kernel
def adamax(param, grad, exp_avg, exp_inf, clr, one_minus_beta1, beta2, eps, weight_decay,
           maximize):
    """Adam with the infinity norm: u = max(beta2*u, |g| + eps); p -= clr * m / u."""
    for i in numba.prange(param.size):
        d = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            d = d + weight_decay * param[i]
        m = exp_avg[i] + one_minus_beta1 * (d - exp_avg[i])
        exp_avg[i] = m
        u = max(exp_inf[i] * beta2, abs(d) + eps)
        exp_inf[i] = u
        param[i] = param[i] - clr * (m / u)


@_kernel
def nadam(param, grad, exp_avg, exp_avg_sq, grad_coef, avg_coef, one_minus_beta1, beta2,
          one_minus_beta2, bias_correction2, eps, weight_decay, decay_factor, maximize):
    """Adam with Nesterov momentum: p += grad_coef*g/denom + avg_coef*m/denom (the
    coefficients carry the mu schedule, computed by the caller); decay_factor as in adam."""
    for i in numba.prange(param.size):
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

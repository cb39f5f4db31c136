"""tinygrad_lr: a small, readable and fast autograd framework for understanding training."""
from . import _malloc, autograd
from .autograd import (Function, detect_anomaly, enable_grad, gradcheck, gradgradcheck,
                       is_grad_enabled, no_grad, set_grad_enabled)
from .creation import (arange, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       randperm, zeros, zeros_like)
from .kernels import reference_kernels_enabled, use_reference_kernels
from .random import manual_seed
from .tensor import Tensor, cat, dot, einsum, matmul, maximum, minimum, outer, stack, tensor, where

float32 = "float32"
float64 = "float64"
int64 = "int64"
bool_ = "bool"

__version__ = "0.1.0"

_malloc.tune()  # training steps reuse their memory instead of page-faulting it back in


def _method(name):
    def fn(t, *args, **kwargs):
        return getattr(t if isinstance(t, Tensor) else Tensor(t), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"tl.{name}(t, ...) is t.{name}(...)"
    return fn


# functional forms of the Tensor methods: tl.exp(t), tl.sum(t, dim), ...
for _name in ("exp log log1p expm1 sqrt rsqrt sin cos tan tanh sigmoid relu leaky_relu elu "
              "gelu softplus sign abs clamp clip pow reciprocal square erf sum mean prod max "
              "min amax amin argmax argmin var std norm logsumexp softmax log_softmax cumsum "
              "reshape flatten squeeze unsqueeze transpose permute expand broadcast_to repeat "
              "split chunk pad gather scatter_add masked_fill flip").split():
    globals()[_name] = _method(_name)
del _name


def __getattr__(name):
    # subpackages load on first use: `import tinygrad_lr` stays light and compiles nothing
    import importlib

    if name in ("nn", "optim", "data", "train", "viz", "kernels", "ops"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        from . import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'tinygrad_lr' has no attribute {name!r}")

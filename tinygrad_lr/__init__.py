"""tinygrad_lr: a small, readable and fast autograd framework for understanding training.

The layers, each importing only those before it (see ARCHITECTURE.md): kernels (Numba on
arrays) -> graph (grad mode, nodes, the backward walk) -> ops (one Function per op) ->
tensor -> autograd, nn, optim, data -> train, viz, cli. The names here follow the torch
namespace: `import tinygrad_lr as torch` reads like PyTorch code (see `as_torch()`).
"""
from . import (  # noqa: I001
    _malloc,
    accelerator,
    autograd,
    backends,
    compat,
    cpu,
    cuda,
    data,
    devices,
    dtypes,
    kernels,
    nn,
    ops,
    optim,
    train,
    utils,
    viz,
)
from .autograd import Function, detect_anomaly, gradcheck, gradgradcheck
from .functions import *  # noqa: F403  tl.exp(t), tl.sum(t, dim), ...: functions.__all__
from .graph.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .kernels import reference_kernels_enabled, use_reference_kernels
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .serialization import load, save
from .tensor import (
    Tensor,
    cat,
    dot,
    einsum,
    get_printoptions,
    matmul,
    maximum,
    minimum,
    outer,
    set_printoptions,
    stack,
    where,
)
from .torch_namespace import *  # noqa: F403  devices, dtypes (tl.float32, tl.long), factories

__version__ = "0.1.0"

_malloc.tune()  # training steps reuse their memory instead of page-faulting it back in


def __getattr__(name):
    """PyTorch names that tinygrad_lr does not have fail saying so, in PyTorch's terms."""
    raise compat.missing_attribute("torch", name, globals())

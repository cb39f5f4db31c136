"""tinygrad_lr: a small, readable and fast autograd framework for understanding training.

The layers, each importing only the ones above it in this list (see ARCHITECTURE.md):
kernels (Numba on arrays) <- graph (grad mode, nodes, the backward walk) <- ops (one
Function per op) <- tensor <- autograd, nn, optim, data <- train, viz, cli.
"""
from . import _malloc
from .functions import *  # noqa: F403  tl.exp(t), tl.sum(t, dim), ...: functions.__all__
from .graph.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .kernels import reference_kernels_enabled, use_reference_kernels
from .tensor import Tensor, cat, dot, einsum, matmul, maximum, minimum, outer, stack, tensor, where
from .creation import (arange, empty, empty_like, eye, from_numpy, full, full_like,  # noqa: I001
                       linspace, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                       randperm, zeros, zeros_like)
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                     seed, set_rng_state)
from . import autograd, data, kernels, nn, ops, optim, train, viz  # noqa: I001
from .autograd import Function, detect_anomaly, gradcheck, gradgradcheck
from .serialization import load, save

float32 = "float32"
float64 = "float64"
int64 = "int64"
bool_ = "bool"

__version__ = "0.1.0"

_malloc.tune()  # training steps reuse their memory instead of page-faulting it back in

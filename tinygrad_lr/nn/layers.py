"""Layers without convolution or recurrence: Linear, Bilinear, Identity, Flatten, Dropout,
Embedding and the activation modules. Parameter names, shapes and default initialisation
are PyTorch's, so a state_dict moves between the two with numpy alone."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ..tensor import Tensor
from . import functional_layers as F
from . import init
from ._checks import check_dropout, check_input, check_number, check_size, factory_dtype
from .functional_dropout import dropout
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "Bilinear", "Identity", "Flatten", "Dropout", "Embedding", "ReLU",
           "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softplus", "SiLU", "Mish",
           "Hardtanh", "ReLU6", "LogSigmoid", "Softsign", "Softmax", "LogSoftmax"]


def _empty(dtype, *shape):
    return Parameter(np.empty(shape, dtype=dtype))


class Linear(Module):
    """y = x @ weight.T + bias, weight of shape (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        self.in_features = check_size("Linear", "in_features", in_features)
        self.out_features = check_size("Linear", "out_features", out_features)
        dtype = factory_dtype("Linear", device, dtype)
        self.weight = _empty(dtype, self.out_features, self.in_features)
        if bias:
            self.bias = _empty(dtype, self.out_features)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        check_input("Linear", x)
        if x._data.ndim == 0 or x._data.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input with {self.in_features} features in "
                             f"its last dimension, got shape {tuple(x.shape)}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1 @ weight[k] @ x2 + bias[k], weight of shape (out, in1, in2)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        # PyTorch refuses 0 here (its init divides by in1_features)
        self.in1_features = check_size("Bilinear", "in1_features", in1_features, 1)
        self.in2_features = check_size("Bilinear", "in2_features", in2_features, 1)
        self.out_features = check_size("Bilinear", "out_features", out_features, 1)
        dtype = factory_dtype("Bilinear", device, dtype)
        self.weight = _empty(dtype, self.out_features, self.in1_features, self.in2_features)
        if bias:
            self.bias = _empty(dtype, self.out_features)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        check_input("Bilinear", x1, "input1")
        check_input("Bilinear", x2, "input2")
        if x1.shape[-1:] != (self.in1_features,) or x2.shape[-1:] != (self.in2_features,):
            raise ValueError(f"{self!r}: expected inputs with {self.in1_features} and "
                             f"{self.in2_features} features, got shapes {tuple(x1.shape)} "
                             f"and {tuple(x2.shape)}")
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments (like PyTorch)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return check_input("Flatten", x).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout in training mode, the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = check_dropout("Dropout", "p", p)
        self.inplace = inplace  # accepted for PyTorch compatibility; always out of place

    def forward(self, x: Tensor) -> Tensor:
        return dropout(check_input("Dropout", x), self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Embedding(Module):
    """A lookup table: integer indices -> rows of weight (num_embeddings, embedding_dim),
    initialised N(0, 1) with the padding_idx row zero (it also never gets a gradient)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 device: Any = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        self.num_embeddings = check_size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"num_embeddings ({self.num_embeddings})")
            padding_idx = padding_idx % self.num_embeddings
        self.padding_idx = padding_idx
        self.weight = _empty(factory_dtype("Embedding", device, dtype), self.num_embeddings,
                             self.embedding_dim)
        self.reset_parameters()

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding whose weight is a copy of the 2-D `embeddings`; frozen by default."""
        rows, dim = embeddings.shape
        layer = cls(rows, dim, padding_idx=padding_idx)
        layer.weight = Parameter(np.array(getattr(embeddings, "_data", embeddings)),
                                 requires_grad=not freeze)
        return layer

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, indices: Tensor) -> Tensor:
        check_input("Embedding", indices, "indices")
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


# ---------------------------------------------------------------- activations
class ReLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace  # accepted for PyTorch compatibility; always out of place

    def forward(self, x: Tensor) -> Tensor:
        return check_input("ReLU", x).relu()

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = check_number("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return check_input("LeakyReLU", x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = check_number("ELU", "alpha", alpha), inplace

    def forward(self, x: Tensor) -> Tensor:
        return check_input("ELU", x).elu(self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return check_input("GELU", x).gelu(self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return check_input("Sigmoid", x).sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return check_input("Tanh", x).tanh()


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace  # accepted for PyTorch compatibility; always out of place

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(check_input("SiLU", x))

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Mish(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.mish(check_input("Mish", x))

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        self.min_val = check_number("Hardtanh", "min_val", min_val)
        self.max_val = check_number("Hardtanh", "max_val", max_val)
        if self.min_val >= self.max_val:  # PyTorch's module asserts a non-empty range
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(check_input(type(self).__name__, x), self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LogSigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(check_input("LogSigmoid", x))


class Softsign(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.softsign(check_input("Softsign", x))


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_number("Softplus", "beta", beta)
        self.threshold = check_number("Softplus", "threshold", threshold)

    def forward(self, x: Tensor) -> Tensor:
        return check_input("Softplus", x).softplus(self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


def _implicit_softmax_dim(ndim):
    # PyTorch's legacy rule for Softmax(dim=None)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        check_input("Softmax", x)
        return x.softmax(_implicit_softmax_dim(x.ndim) if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        check_input("LogSoftmax", x)
        return x.log_softmax(_implicit_softmax_dim(x.ndim) if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

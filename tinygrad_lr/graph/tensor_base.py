"""What autograd needs to know about a tensor: its array, its gradient, where it came from.

`TensorBase` holds the state; `tensor.Tensor` (one layer up) adds the arithmetic, every
method of which forwards to an op in `ops/`. The split keeps the imports going one way:
the graph code below `ops/` creates tensors of the caller's class (`type(t)._make`) without
ever importing `tensor.py`. (`Tensor.backward`, which runs the engine, is in tensor.py.)

Storage and versions: a tensor's values are the numpy array `_data`. Tensors that share
memory - a view and its base, `.detach()`, `.data` - share one version counter `_version`
(a one-element list), and every in-place write bumps it. A node that saved a tensor for
backward remembers the version it saw, so a later in-place change makes that backward raise
instead of computing with the new values.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

if TYPE_CHECKING:  # annotations only: function.py imports this module
    from .function import Node

__all__ = ["TensorBase", "HookHandle"]

_T = TypeVar("_T", bound="TensorBase")


class TensorBase:
    __slots__ = ("_data", "grad", "_requires_grad", "grad_fn", "_output_nr", "_version",
                 "_hooks", "_base", "_base_node", "__weakref__")
    _data: np.ndarray
    grad: Any                   # a Tensor (tensor.py, one layer up) or None
    _requires_grad: bool
    grad_fn: Node | None
    _output_nr: int
    _version: list[int]         # shared by the tensors that share memory
    _hooks: list[Callable] | None
    _base: TensorBase | None
    _base_node: Node | None

    @classmethod
    def _make(cls: type[_T], data: np.ndarray, requires_grad: bool = False,
              grad_fn: Node | None = None, output_nr: int = 0) -> _T:
        """Wrap an array without any checks (the hot path of every op)."""
        t = object.__new__(cls)
        t._data = data
        t.grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._version = [0]
        t._hooks = None
        t._base = None  # for a view: the tensor that owns the memory (see Function.apply)
        return t

    # ------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self: _T, requires_grad: bool = True) -> _T:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad can only be turned off on leaf tensors; this one was made "
                f"by {self.grad_fn.name()}. Use .detach() to get a tensor without history."
            )
        if requires_grad:
            check_grad_dtype(self._data.dtype)
        self._requires_grad = bool(requires_grad) or self.grad_fn is not None
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def numpy(self) -> np.ndarray:
        """The numpy array holding this tensor's values (shared, not copied)."""
        return self._data

    def detach(self: _T) -> _T:
        """The same values without history: shares storage and the version counter."""
        t = self._make(self._data)
        t._version = self._version
        return t

    @property
    def data(self: _T) -> _T:
        """The values as a tensor without history that shares storage and the version
        counter with this one (PyTorch's `.data`): `p.data -= lr * p.grad` updates p."""
        return self.detach()

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value._data if isinstance(value, TensorBase) else np.asarray(value)
        self._version[0] += 1

    # ------------------------------------------------------------ hooks
    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves keep it anyway)."""
        if self.grad_fn is None:
            return
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        if self.grad_fn.retained is None:
            self.grad_fn.retained = {}
        self.grad_fn.retained[self._output_nr] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        r: Any = self.grad_fn.retained if self.grad_fn is not None else None
        return bool(r) and self._output_nr in r

    def register_hook(self, hook: Callable) -> HookHandle:
        """Call hook(grad) when this tensor's gradient is computed; it may return a
        replacement of the same shape and dtype. Returns a handle whose .remove()
        unregisters the hook."""
        if not self._requires_grad:
            raise RuntimeError("register_hook() on a tensor that does not require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = {}
            hooks = self.grad_fn.hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return HookHandle(hooks, hook)


class HookHandle:
    """What register_hook returns: `.remove()` unregisters the hook."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def check_grad_dtype(dtype) -> None:
    if np.dtype(dtype).kind != "f":
        raise TypeError(
            f"only floating-point tensors can require grad, this one is {np.dtype(dtype)}; "
            "convert it first with .float() or .double()"
        )


def as_gradient(g, like, what):
    """A seed gradient given by the user, checked against the tensor it belongs to."""
    g = g if isinstance(g, TensorBase) else like._make(np.asarray(g, dtype=like.dtype))
    if g.shape != like.shape:
        raise ValueError(f"{what} has shape {g.shape}, but the tensor has shape {like.shape}")
    if g.dtype != like.dtype:
        g = like._make(g._data.astype(like.dtype))
    return g

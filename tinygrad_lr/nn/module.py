"""Module: the base class of every layer, with PyTorch's registration rules.

Assigning a Parameter to an attribute registers it, assigning a Module registers a child,
`register_buffer` registers a non-trainable tensor (running statistics). Names in
`state_dict()` are the dotted attribute paths, exactly as in PyTorch. `to()`, `float()`,
`double()`, `half()` and `type()` convert parameters and buffers in place (the Parameter
objects stay the same, so an optimizer built before keeps working).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, NoReturn, TypeVar

import numpy as np
from numpy.typing import DTypeLike

from ..compat import missing_attribute
from ..devices import CPU, device_error, parse_to
from ..dtypes import resolve_dtype
from ..tensor import Tensor
from .parameter import Parameter
from .utils import zero_grad_

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]

# PyTorch's nn.Module methods that tinygrad_lr's Module lacks: asking for one says so
_TORCH_ONLY = frozenset((
    "bfloat16", "compile", "ipu", "xpu", "mtia", "to_empty", "share_memory",
    "register_backward_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "get_extra_state", "set_extra_state", "set_submodule"))


def _check_name(kind, name):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if not name:
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')


class _RemovableHandle:
    """Returned by register_forward_hook & co: `.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks) -> None:
        self.hooks, self.id = hooks, _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_M = TypeVar("_M", bound="Module")


class Module:
    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["training"] = True

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                kind = "parameters" if isinstance(value, Parameter) else "module"
                raise AttributeError(
                    f"{type(self).__name__}: cannot assign {kind} before Module.__init__() "
                    "call; call super().__init__() first in __init__")
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if name in params and not isinstance(value, (Parameter, type(None))):
            raise TypeError(
                f"{type(self).__name__}: cannot assign a {type(value).__name__} to parameter "
                f"'{name}' (a Parameter or None is expected); to change its values in place "
                f"use `with tl.no_grad(): module.{name}.copy_(value)`")
        if name in params and value is None:
            params[name] = None  # stays registered, as in PyTorch
            return
        if name in buffers and not isinstance(value, (Parameter, Module)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign a "
                                f"{type(value).__name__} to buffer '{name}' (a Tensor or None "
                                "is expected)")
            buffers[name] = value  # re-assigning a buffer keeps it a buffer
            return
        for store in (params, buffers, modules):
            store.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            modules[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        if name == "device":  # tinygrad_lr's modules live on the CPU (user attributes win)
            return CPU
        if name in _TORCH_ONLY:
            raise missing_attribute("nn.Module", name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_new_name(self, kind, name, store):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        _check_name(kind, name)
        if name not in store and (name in self.__dict__ or hasattr(type(self), name) or
                                  any(name in s for s in (self._parameters, self._buffers,
                                                          self._modules))):
            raise KeyError(f"attribute '{name}' already exists")

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not a parameter (e.g. running_mean): moved by `to()`,
        saved in state_dict() unless persistent=False."""
        self._check_new_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (a Tensor or None is required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (a Parameter, or None for an absent one such as bias=False)."""
        self._check_new_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (a tl.nn.Parameter or None is required)")
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` (or None) as the child `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: {type(module).__name__} is not a Module "
                            f"subclass (child {name!r})")
        self._check_new_name("module", name, self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at the dotted path `target` ("" is this module)."""
        mod = self
        if target:
            for item in target.split("."):
                if item not in mod._modules or mod._modules[item] is None:
                    raise AttributeError(f"{type(mod).__name__} has no submodule `{item}` "
                                         f"(looking up {target!r})")
                mod = mod._modules[item]
        return mod

    def _get_tensor(self, target, store, kind):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in getattr(mod, store):
            raise AttributeError(f"{type(mod).__name__} has no {kind} `{name}` (looking up "
                                 f"{target!r})")
        return getattr(mod, store)[name]

    def get_parameter(self, target: str) -> Parameter:
        return self._get_tensor(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._get_tensor(target, "_buffers", "buffer")

    # ------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in tuple(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_pre_hook(self, hook: Callable) -> _RemovableHandle:
        """Call `hook(module, args)` before each forward; a non-None result replaces the
        positional arguments (a tuple, or one value). Returns a handle with .remove()."""
        handle = _RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> _RemovableHandle:
        """Call `hook(module, args, output)` after each forward; a non-None result replaces
        the output. Returns a handle with .remove()."""
        handle = _RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant; a module reachable
        under several names is listed once unless remove_duplicate=False (as in PyTorch)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix, recurse, remove_duplicate):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, t in getattr(m, store).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter); a parameter shared by several layers comes once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------ modes and grads
    def train(self: _M, mode: bool = True) -> _M:
        if not isinstance(mode, bool):
            raise ValueError(  # noqa: TRY004  PyTorch raises ValueError here
                f"train(): training mode is expected to be boolean, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self: _M) -> _M:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad_(self.parameters(), set_to_none)

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self: _M, fn: Callable[[Module], object]) -> _M:
        """Call fn(m) on every submodule (children first), then on this module; e.g. a
        custom weight initialisation. Returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ dtype and device
    def _cast(self, dtype, floating_only):
        """Convert parameters and buffers (and their grads) in place: the Parameter objects
        stay the same, so optimizers and references keep working."""
        tensors = {id(t): t for m in self.modules() for store in (m._parameters, m._buffers)
                   for t in store.values() if t is not None}.values()
        todo = [t for t in tensors if t.dtype != dtype and (t.dtype.kind == "f" or
                                                           not floating_only)]
        if dtype.kind != "f" and any(t.requires_grad for t in todo):
            raise TypeError(f"cannot convert parameters that require grad to {dtype}: only "
                            "floating-point tensors can require grad")
        for t in todo:
            t._data = t._data.astype(dtype)
            if t.grad is not None:
                t.grad._data = t.grad._data.astype(dtype)
        return self

    def to(self: _M, *args: Any, **kwargs: Any) -> _M:
        """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(tensor)` (its dtype), with
        `non_blocking=` accepted and ignored. Floating parameters and buffers take a floating
        dtype; integer buffers (e.g. num_batches_tracked) keep theirs. Only the CPU is a
        device."""
        if "copy" in kwargs:
            raise TypeError("Module.to() does not accept a copy argument")
        dtype, _, _ = parse_to(args, kwargs, "Module.to()")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are supported (as in PyTorch), "
                            f"got {dtype}")
        return self._cast(dtype, floating_only=True)

    def cpu(self: _M) -> _M:
        return self

    def cuda(self, device: Any = None) -> NoReturn:
        raise device_error("cuda" if device is None else device, "Module.cuda()")

    def type(self: _M, dst_type: DTypeLike) -> _M:
        """Convert every parameter and buffer, integer buffers included, to `dst_type`."""
        return self._cast(resolve_dtype(dst_type, "Module.type(): dst_type"),
                          floating_only=False)

    def double(self: _M) -> _M:
        return self.to(resolve_dtype("float64"))

    def float(self: _M) -> _M:
        return self.to(resolve_dtype("float32"))

    def half(self: _M) -> _M:
        return self.to(resolve_dtype("float16"))

    # ------------------------------------------------------------ state
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Any]:
        """Parameters and persistent buffers by dotted name, as tensors detached from the
        graph that share storage with the model's (keep_vars=True: the Parameters)."""
        sd = OrderedDict() if destination is None else destination
        # module by module, as PyTorch orders it; a shared module appears under each name
        for mod_prefix, m in self.named_modules(remove_duplicate=False):
            head = prefix + (mod_prefix + "." if mod_prefix else "")
            for name, p in m._parameters.items():
                if p is not None:
                    sd[head + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent_buffers:
                    sd[head + name] = b if keep_vars else b.detach()
        return sd

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> _IncompatibleKeys:
        """Copy values in place. Errors name missing, unexpected and mis-shaped keys."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for k, t in own.items():
            if k in state_dict:
                value = np.asarray(state_dict[k]._data if isinstance(state_dict[k], Tensor)
                                   else state_dict[k])
                if value.shape != t.shape:
                    mismatched.append(f"{k}: checkpoint {value.shape}, model {t.shape}")
        problems = []
        if mismatched:
            problems.append("size mismatch for " + "; ".join(mismatched))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               + ". ".join(problems))
        for k, t in own.items():
            if k in state_dict:
                value = state_dict[k]
                value = value._data if isinstance(value, Tensor) else np.asarray(value)
                t._data[...] = value.astype(t.dtype, copy=False)
                t._version[0] += 1
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The layer's own settings for repr (e.g. "in_features=2, out_features=3");
        override it in a custom module, as in PyTorch."""
        return ""

    def _child_lines(self):
        return [f"({name}): " + repr(m).replace("\n", "\n  ")
                for name, m in self._modules.items()]

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        lines = extra_lines + self._child_lines()
        head = type(self).__name__ + "("
        if not lines:
            return head + ")"
        if len(extra_lines) == 1 and len(lines) == 1:  # PyTorch: one line for a leaf module
            return head + extra + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class _IncompatibleKeys(NamedTuple):
    """What load_state_dict returns, as PyTorch's: a (missing_keys, unexpected_keys) named
    tuple that prints `<All keys matched successfully>` when both are empty."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")

    def __str__(self) -> str:
        return repr(self)


def _index(container, i):
    n = len(container)
    if not -n <= i < n:
        raise IndexError(f"{type(container).__name__}: index {i} is out of range for "
                         f"{n} modules")
    return i % n


class Sequential(Module):
    """Modules applied in order: `Sequential(a, b, c)(x) == c(b(a(x)))`; also from an
    OrderedDict of named modules."""

    def __init__(self, *modules: Any) -> None:  # modules, or one dict of them
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return mods[_index(self, i)]

    def __setitem__(self, i, m):
        if not isinstance(m, Module):
            raise TypeError(f"{type(self).__name__}: {type(m).__name__} is not a Module "
                            "subclass")
        self._modules[list(self._modules)[_index(self, i)]] = m

    def __delitem__(self, i):
        keys = list(self._modules)
        for key in (keys[i] if isinstance(i, slice) else [keys[_index(self, i)]]):
            del self._modules[key]
        self._renumber()

    def _renumber(self):
        if all(k.isdigit() for k in self._modules):
            mods = list(self._modules.values())
            self._modules.clear()
            for j, m in enumerate(mods):
                self._modules[str(j)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise TypeError(f"can only add a Sequential to a Sequential, got "
                            f"{type(other).__name__}")
        return Sequential(*self, *other)

    def append(self, m: Module) -> Sequential:
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, mods: Iterable[Module]) -> Sequential:
        for m in mods:
            self.append(m)
        return self

    def insert(self, index: int, m: Module) -> Sequential:
        if not isinstance(m, Module):
            raise TypeError(f"{type(self).__name__}: {type(m).__name__} is not a Module "
                            "subclass")
        mods = list(self._modules.values())
        mods.insert(index, m)
        self._modules.clear()
        for j, mod in enumerate(mods):
            self._modules[str(j)] = mod
        return self

    def pop(self, index: int = -1) -> Module:
        m = self[index]
        del self[index]
        return m


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ... (so their parameters are
    the container's)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, m: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, mods: Iterable[Module]) -> ModuleList:
        for m in mods:
            self.append(m)
        return self

    def insert(self, index, m):
        Sequential.insert(self, index, m)

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[_index(self, i)]

    def __setitem__(self, i, m):
        Sequential.__setitem__(self, i, m)

    def __delitem__(self, i):
        Sequential.__delitem__(self, i)

    _renumber = Sequential._renumber

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, mods):
        return self.extend(mods)

    def pop(self, index: int = -1) -> Module:
        m = self[index]
        del self[index]
        return m

    def __repr__(self) -> str:
        """As PyTorch: a run of identical modules is printed once, "(0-2): 3 x Linear(...)"."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return "ModuleList()"
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}")
                 .replace("\n", "\n  ") for a, b, r in runs]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """Modules by name, registered as children under those names (order kept)."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        self.update(modules or {})

    def __getitem__(self, k: str) -> Module:
        return self._modules[k]

    def __setitem__(self, k, m):
        self.add_module(k, m)

    def __delitem__(self, k):
        del self._modules[k]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, k):
        return k in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self.add_module(k, m)

    def pop(self, k):
        return self._modules.pop(k)

    def clear(self):
        self._modules.clear()


class ParameterList(Module):
    """A list of Parameters, registered as "0", "1", ... (a plain tensor is made a
    Parameter, as in PyTorch)."""

    def __init__(self, values: Iterable[Any] = ()) -> None:
        super().__init__()
        for v in values:
            self.append(v)

    def append(self, value: Any) -> ParameterList:
        self.register_parameter(str(len(self._parameters)), _as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, i):
        return list(self._parameters.values())[_index(self, i)]

    def __setitem__(self, i: int, value: Any) -> None:
        self._parameters[str(_index(self, i))] = _as_parameter(value)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size "
                         f"{'x'.join(map(str, p.shape))}]" for k, p in self._parameters.items())


class ParameterDict(Module):
    """Parameters by name (a plain tensor is made a Parameter, as in PyTorch)."""

    def __init__(self, parameters: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.update(parameters or {})

    def __getitem__(self, k: str) -> Parameter:
        return self._parameters[k]

    def __setitem__(self, k: str, value: Any) -> None:
        if k in self._parameters:
            self._parameters[k] = _as_parameter(value)
        else:
            self.register_parameter(k, _as_parameter(value))

    def __delitem__(self, k):
        del self._parameters[k]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, k):
        return k in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters):
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for k, v in items:
            self[k] = v

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size "
                         f"{'x'.join(map(str, p.shape))}]" for k, p in self._parameters.items())


def _as_parameter(value):
    if isinstance(value, Parameter) or value is None:
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"expected a Parameter or Tensor, got {type(value).__name__}")

"""Gradients as functions: grad, jacobian, hessian, vjp, jvp, hvp, vhp (PyTorch's names).

All are built on the one engine (`run_backward`); jvp uses the double-vjp trick
(the vjp is linear in v, so differentiating it once more gives J @ u).

A Jacobian is one vector-Jacobian product per output element. Rather than one backward walk
per product, `_vjp_rows` sends the whole stack of seed vectors (the rows of the identity)
back in one walk, with a leading batch dim on every gradient - when every op on the way
says its backward allows that (`Function.batched_backward_ok`); otherwise it walks once per
row. The results are the same either way. A Hessian is the Jacobian of the gradient: one
backward with create_graph=True, then one batched walk back through that gradient's graph.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..graph.engine import can_batch, run_backward
from ..graph.grad_mode import enable_grad
from ..graph.tensor_base import as_gradient
from ..tensor import Tensor, stack

__all__ = ["grad", "jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]

Tensors = Tensor | Sequence[Tensor]


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def grad(outputs: Tensors, inputs: Tensors, grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple (nothing is
    accumulated into `.grad`)."""
    outputs, inputs = _tuple(outputs), _tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    grad_outputs = _tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"autograd.grad: {len(outputs)} outputs but {len(grad_outputs)} "
                         "grad_outputs")
    seeds, roots = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"autograd.grad: output {i} does not require grad (it does "
                               "not depend on any input that requires grad)")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(f"autograd.grad: output {i} has shape {out.shape}; pass "
                                   "grad_outputs for non-scalar outputs")
            g = Tensor._make(np.ones_like(out._data))
        roots.append(out)
        seeds.append(as_gradient(g, out, f"autograd.grad: grad_outputs[{i}]"))
    if retain_graph is None:
        retain_graph = create_graph
    grads = run_backward(roots, seeds, retain_graph, create_graph, inputs, allow_unused)
    # a gradient may be a read-only broadcast view (the backward of sum): hand out arrays
    # the caller can update in place, as .grad is
    return tuple(Tensor._make(g._data.copy()) if g is not None and not g.requires_grad and
                 not g._data.flags.writeable else g for g in grads)


def _prepare(inputs, create_graph=False):
    """The inputs as tensors that require grad: fresh leaves, except that with create_graph
    an input that requires grad enters as itself, so the result stays differentiable with
    respect to it (as in PyTorch)."""
    single = not isinstance(inputs, (tuple, list))
    xs = []
    for x in _tuple(inputs):
        if create_graph and isinstance(x, Tensor) and x.requires_grad:
            xs.append(x)
        else:
            data = np.asarray(x._data if isinstance(x, Tensor) else x)
            xs.append(Tensor._make(data).requires_grad_())
    return single, tuple(xs)


def _zeros_if_none(gs, xs):
    return tuple(Tensor._make(np.zeros_like(x._data)) if g is None else g for g, x in zip(gs, xs))


def _check_strategy(where, strategy, name="strategy"):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'{where}: expected {name} to be either "forward-mode" or '
                         f'"reverse-mode", got {strategy!r}')
    if strategy == "forward-mode":
        raise NotImplementedError(f'{where}: {name}="forward-mode" is not supported: '
                                  'tinygrad_lr differentiates in reverse mode only; use '
                                  f'{name}="reverse-mode"')


def _vjp_rows(out, xs, seeds, create_graph=False):
    """v^T d out / d x for every seed vector v in `seeds` (a tensor of shape
    (n, *out.shape)): one tensor of shape (n, *x.shape) per input x, None for an input
    that `out` does not depend on. One backward walk with the whole stack when the graph
    allows it (`can_batch`), else one walk per row.
    """
    if can_batch([out]):
        return run_backward([out], [seeds], retain_graph=True, create_graph=create_graph,
                            inputs=xs, allow_unused=True, batch_dims=1)
    rows = [run_backward([out], [seeds[k]], retain_graph=True, create_graph=create_graph,
                         inputs=xs, allow_unused=True) for k in range(seeds.shape[0])]
    per_input = []
    for j in range(len(xs)):
        column = [r[j] for r in rows]
        if all(g is None for g in column):
            per_input.append(None)
        else:
            per_input.append(stack(_zeros_if_none(column, (xs[j],) * len(column))))
    return tuple(per_input)


def jacobian(func: Callable[..., Any], inputs: Tensors, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs. For one input and one output: a tensor of shape
    out.shape + in.shape; otherwise tuples (nested for several outputs), like PyTorch.

    Each output's rows come from one batched backward walk when every op allows it (see the
    module docstring), whatever `vectorize` says: the result is the same. strict=True raises
    when an output does not depend on an input."""
    _check_strategy("jacobian", strategy)
    single_in, xs = _prepare(inputs, create_graph)
    with enable_grad():
        out = func(*xs)
    single_out = isinstance(out, Tensor)
    outs = (out,) if single_out else tuple(out)
    result = []
    for i, o in enumerate(outs):
        m = o._data.size
        if o.requires_grad and m:
            eye = np.eye(m, dtype=o.dtype).reshape((m,) + o.shape)
            rows = _vjp_rows(o, xs, Tensor._make(eye), create_graph)
        else:
            rows = (None,) * len(xs)
        per_input = []
        for j, (x, r) in enumerate(zip(xs, rows)):
            if r is None:
                if strict:
                    raise RuntimeError(f"jacobian: output {i} of the user-provided function "
                                       f"is independent of input {j}. This is not allowed "
                                       "in strict mode.")
                jac = Tensor._make(np.zeros(o.shape + x.shape, dtype=x.dtype))
            else:
                jac = r.reshape(o.shape + x.shape)
                if not create_graph and not jac._data.flags.writeable:
                    jac = Tensor._make(jac._data.copy())  # a broadcast view: hand out an array
            per_input.append(jac if create_graph else jac.detach())
        result.append(per_input[0] if single_in else tuple(per_input))
    return result[0] if single_out else tuple(result)


def hessian(func: Callable[..., Tensor], inputs: Tensors, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """Second derivatives of a scalar function: shape in.shape + in.shape for one input.
    One backward for the gradient (create_graph=True), then the Jacobian of that gradient
    (batched walks through the gradient's graph, see `jacobian`)."""
    _check_strategy("hessian", outer_jacobian_strategy, "outer_jacobian_strategy")
    single_in, xs = _prepare(inputs, create_graph)

    def gradient(*args):
        out = func(*args)
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise RuntimeError("hessian: the function must return a single-element tensor")
        gs = grad(out.reshape(()), args, create_graph=True, allow_unused=True)
        if strict and any(g is None for g in gs):
            raise RuntimeError("hessian: the output of the user-provided function is "
                               "independent of an input. This is not allowed in strict mode.")
        gs = _zeros_if_none(gs, args)
        return gs[0] if single_in else gs

    return jacobian(gradient, xs[0] if single_in else xs, create_graph=create_graph,
                    strict=strict, vectorize=vectorize)


def _detach_outputs(out):
    return out.detach() if not isinstance(out, (tuple, list)) else tuple(o.detach() for o in out)


def _check_strict(where, gs, strict):
    if strict and any(g is None for g in gs):
        i = next(k for k, g in enumerate(gs) if g is None)
        raise RuntimeError(f"{where}: the output of the user-provided function is independent "
                           f"of input {i}. This is not allowed in strict mode.")


def vjp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None,
        create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J). func may return one tensor or a tuple (then v is a tuple)."""
    single_in, xs = _prepare(inputs, create_graph)
    with enable_grad():
        out = func(*xs)
    gs = grad(out, xs, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    _check_strict("vjp", gs, strict)
    gs = _zeros_if_none(gs, xs)
    if not create_graph:
        gs = tuple(g.detach() for g in gs)
    return _detach_outputs(out), (gs[0] if single_in else gs)


def jvp(func: Callable[..., Any], inputs: Tensors, v: Tensors | None = None,
        create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v), by differentiating the (linear in u) vjp u -> u^T J once more."""
    single_in, xs = _prepare(inputs, create_graph)
    vs = _tuple(v) if v is not None else tuple(Tensor._make(np.ones_like(x._data)) for x in xs)
    with enable_grad():
        out = func(*xs)
        outs = _tuple(out)
        us = tuple(Tensor._make(np.zeros_like(o._data)).requires_grad_() for o in outs)
        gs = grad(outs, xs, grad_outputs=us, create_graph=True, allow_unused=True)
        _check_strict("jvp", gs, strict)
        terms = [(g * vv).sum() for g, vv in zip(gs, vs) if g is not None]
        total = sum(terms[1:], terms[0]) if terms else None
        if total is None or not total.requires_grad:  # J does not depend on u: constant
            jvs: tuple[Tensor | None, ...] = (None,) * len(us)
        else:
            jvs = grad(total, us, create_graph=create_graph, allow_unused=True)
    filled = _zeros_if_none(jvs, us)
    if not create_graph:
        filled = tuple(j.detach() for j in filled)
    return _detach_outputs(out), (filled if isinstance(out, (tuple, list)) else filled[0])


def vhp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a scalar function, without forming H: the gradient of
    (gradient . v), two backward walks."""
    single_in, xs = _prepare(inputs, create_graph)
    vs = _tuple(v)
    with enable_grad():
        out = func(*xs)
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        _check_strict("vhp", gs, strict)
        gs = _zeros_if_none(gs, xs)
        total = sum(((g * vv).sum() for g, vv in zip(gs[1:], vs[1:])), (gs[0] * vs[0]).sum())
        hv = grad(total, xs, create_graph=create_graph, allow_unused=True) \
            if total.requires_grad else (None,) * len(xs)
    hv = _zeros_if_none(hv, xs)
    if not create_graph:
        hv = tuple(h.detach() for h in hv)
    return out.detach(), (hv[0] if single_in else hv)


def hvp(func: Callable[..., Tensor], inputs: Tensors, v: Tensors, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), H v) for a scalar function, without forming H. For twice continuously
    differentiable functions H is symmetric, so H v = (v^T H)^T: the same two walks as vhp
    (PyTorch's hvp takes a third walk for the double-vjp trick and returns the same values)."""
    return vhp(func, inputs, v, create_graph, strict)

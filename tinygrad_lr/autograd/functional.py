"""Gradients as functions: grad, jacobian, hessian, vjp, jvp, hvp (PyTorch's names).

All are built on the one engine (`run_backward`); jvp uses the double-vjp trick
(the vjp is linear in v, so differentiating it once more gives J @ u).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..graph.engine import run_backward
from ..graph.grad_mode import enable_grad
from ..graph.tensor_base import as_gradient
from ..tensor import Tensor, stack

__all__ = ["grad", "jacobian", "hessian", "vjp", "jvp", "hvp"]


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
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


def _prepare(inputs):
    single = not isinstance(inputs, (tuple, list))
    xs = tuple(Tensor._make(np.asarray(x._data if isinstance(x, Tensor) else x))
               .detach().requires_grad_() for x in _tuple(inputs))
    return single, xs


def _zeros_if_none(gs, xs):
    return tuple(Tensor._make(np.zeros_like(x._data)) if g is None else g for g, x in zip(gs, xs))


def jacobian(func: Callable[..., Any], inputs: Tensor | Sequence[Tensor],
             create_graph: bool = False) -> Any:
    """d func(inputs) / d inputs. For one input and one output: a tensor of shape
    out.shape + in.shape; otherwise tuples (nested for several outputs), like PyTorch."""
    single_in, xs = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
    single_out = isinstance(out, Tensor)
    outs = (out,) if single_out else tuple(out)
    result = []
    for o in outs:
        rows = []
        flat = o.reshape(-1)
        for k in range(flat.shape[0]):
            if not o.requires_grad:
                gs: tuple[Tensor | None, ...] = (None,) * len(xs)
            else:
                gs = grad(flat[k], xs, retain_graph=True, create_graph=create_graph,
                          allow_unused=True)
            rows.append(_zeros_if_none(gs, xs))
        per_input = []
        for j, x in enumerate(xs):
            if rows:
                jac = stack([r[j] for r in rows]).reshape(o.shape + x.shape)
            else:
                jac = Tensor._make(np.zeros(o.shape + x.shape, dtype=x.dtype))
            per_input.append(jac if create_graph else jac.detach())
        result.append(per_input[0] if single_in else tuple(per_input))
    return result[0] if single_out else tuple(result)


def hessian(func: Callable[..., Tensor], inputs: Tensor | Sequence[Tensor],
            create_graph: bool = False) -> Any:
    """Second derivatives of a scalar function: shape in.shape + in.shape for one input."""
    single_in, xs = _prepare(inputs)

    def gradient(*args):
        out = func(*args)
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise RuntimeError("hessian: the function must return a single-element tensor")
        gs = grad(out.reshape(()), args, create_graph=True, allow_unused=True)
        gs = _zeros_if_none(gs, args)
        return gs[0] if single_in else gs

    return jacobian(gradient, xs[0] if single_in else xs, create_graph=create_graph)


def _detach_outputs(out):
    return out.detach() if not isinstance(out, (tuple, list)) else tuple(o.detach() for o in out)


def vjp(func: Callable[..., Any], inputs: Tensor | Sequence[Tensor],
        v: Tensor | Sequence[Tensor] | None = None, create_graph: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J). func may return one tensor or a tuple (then v is a tuple)."""
    single_in, xs = _prepare(inputs)
    with enable_grad():
        out = func(*xs)
    gs = grad(out, xs, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    gs = _zeros_if_none(gs, xs)
    if not create_graph:
        gs = tuple(g.detach() for g in gs)
    return _detach_outputs(out), (gs[0] if single_in else gs)


def jvp(func: Callable[..., Any], inputs: Tensor | Sequence[Tensor],
        v: Tensor | Sequence[Tensor] | None = None, create_graph: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v), by differentiating the (linear in u) vjp u -> u^T J once more."""
    single_in, xs = _prepare(inputs)
    vs = _tuple(v) if v is not None else tuple(Tensor._make(np.ones_like(x._data)) for x in xs)
    with enable_grad():
        out = func(*xs)
        outs = _tuple(out)
        us = tuple(Tensor._make(np.zeros_like(o._data)).requires_grad_() for o in outs)
        gs = grad(outs, xs, grad_outputs=us, create_graph=True, allow_unused=True)
        terms = [(g * vv).sum() for g, vv in zip(gs, vs) if g is not None]
        total = sum(terms[1:], terms[0]) if terms else None
        if total is None or not total.requires_grad:  # J does not depend on u: constant
            jvs: tuple[Any, ...] = (None,) * len(us)
        else:
            jvs = grad(total, us, create_graph=create_graph, allow_unused=True)
    jvs = _zeros_if_none(jvs, us)
    if not create_graph:
        jvs = tuple(j.detach() for j in jvs)
    return _detach_outputs(out), (jvs if isinstance(out, (tuple, list)) else jvs[0])


def hvp(func: Callable[..., Tensor], inputs: Tensor | Sequence[Tensor],
        v: Tensor | Sequence[Tensor], create_graph: bool = False) -> tuple[Tensor, Any]:
    """(func(inputs), H v) for a scalar function, without forming H."""
    single_in, xs = _prepare(inputs)
    vs = _tuple(v)
    with enable_grad():
        out = func(*xs)
        gs = _zeros_if_none(grad(out, xs, create_graph=True, allow_unused=True), xs)
        total = sum(((g * vv).sum() for g, vv in zip(gs[1:], vs[1:])), (gs[0] * vs[0]).sum())
        hv = grad(total, xs, create_graph=create_graph, allow_unused=True) \
            if total.requires_grad else (None,) * len(xs)
    hv = _zeros_if_none(hv, xs)
    if not create_graph:
        hv = tuple(h.detach() for h in hv)
    return out.detach(), (hv[0] if single_in else hv)

"""The two core features viz reads, behind one function each.

- `backward_steps(tensors, grad_tensors)`: the engine's walk, one step per node, in the
  order the engine runs it (each step has `.node`, `.grads_in`, `.grads_out`); writes no
  `.grad`. The engine's own generator is used when the core has it.
- `const_inputs(node)`: `(arg_index, value)` for every forward argument of a node that is
  not on the gradient path (numbers, tensors that need no grad, shapes, dims).

TEMPORARY: until the core records `node.const_inputs` and provides
`tinygrad_lr.graph.engine.backward_steps`, this module replays the walk itself and, on
import, wraps the recorder of graph edges so that new nodes keep their constant arguments.
Once the core has both, this file shrinks to the two imports.
"""
import numpy as np


class _Step:
    __slots__ = ("grads_in", "grads_out", "node")

    def __init__(self, node, grads_in, grads_out):
        self.node, self.grads_in, self.grads_out = node, grads_in, grads_out


def _replayed_steps(tensors, grad_tensors):
    """The engine's reverse topological walk, yielding instead of accumulating."""
    from ..autograd.engine import _call_backward, _topo_dependencies
    from ..autograd.function import Node
    from ..autograd.grad_mode import no_grad

    node_grads, roots = {}, []
    for t, g in zip(tensors, grad_tensors):
        if t.grad_fn is None:
            continue
        buf = node_grads.setdefault(t.grad_fn, [None] * t.grad_fn.n_outputs)
        buf[t._output_nr] = g if buf[t._output_nr] is None else buf[t._output_nr] + g
        if t.grad_fn not in roots:
            roots.append(t.grad_fn)
    deps = _topo_dependencies(roots)
    ready = [n for n in roots if deps.get(n, 0) == 0]
    while ready:
        node = ready.pop()
        grads = node_grads.pop(node, [None] * node.n_outputs)
        with no_grad():
            out = (_call_backward(node, list(grads), False) if any(g is not None for g in grads)
                   else (None,) * len(node.edges))
        yield _Step(node, list(grads), list(out))
        for edge, g in zip(node.edges, out):
            if edge is None or not isinstance(edge[0], Node):
                continue
            target, nr = edge
            if g is not None:
                buf = node_grads.setdefault(target, [None] * target.n_outputs)
                buf[nr] = g if buf[nr] is None else buf[nr] + g
            deps[target] -= 1
            if deps[target] == 0:
                ready.append(target)


def backward_steps(tensors, grad_tensors):
    """One engine step per node (see the module doc)."""
    try:
        from ..graph.engine import backward_steps as engine_steps
    except ImportError:
        return _replayed_steps(tensors, grad_tensors)
    return engine_steps(tensors, grad_tensors)


def const_inputs(node) -> tuple:
    """(arg_index, value) for the node's forward arguments that need no gradient."""
    return getattr(node, "const_inputs", ())


def _record_const_inputs():
    """Make new nodes keep their constant arguments, unless the core already does."""
    from ..autograd import function
    from ..tensor import Tensor

    probe = (Tensor(np.ones(1), requires_grad=True) * 2.0).grad_fn
    if hasattr(probe, "const_inputs") or getattr(function, "_viz_records_constants", False):
        return
    link = function._link

    def link_and_keep_constants(ctx, args):
        link(ctx, args)
        ctx.const_inputs = tuple((i, a) for i, a in enumerate(args) if ctx.edges[i] is None)

    function._link = link_and_keep_constants
    function._viz_records_constants = True


_record_const_inputs()

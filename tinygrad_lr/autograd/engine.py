"""The backward engine: one reverse topological walk over the recorded nodes.

Iterative (no recursion), so a 20,000-op chain is fine. A node runs only after every
consumer of its output has contributed, so each gradient is complete when it is used.
"""
import numpy as np

from .function import Node, _check_finite, once_differentiable
from .grad_mode import STATE, set_grad_enabled


def _topo_dependencies(root_nodes):
    """For every node reachable from the roots: how many edges point into it."""
    deps = {}
    stack = list(root_nodes)
    seen = set(root_nodes)
    while stack:
        node = stack.pop()
        for edge in node.edges:
            if edge is None:
                continue
            target = edge[0]
            if isinstance(target, Node):
                deps[target] = deps.get(target, 0) + 1
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
    return deps


def _accumulate(store, key, g):
    old = store.get(key)
    store[key] = g if old is None else old + g


def run_backward(tensors, grad_tensors, retain_graph=False, create_graph=False,
                 inputs=None, allow_unused=False):
    """Backpropagate from `tensors` with seed gradients `grad_tensors`.

    inputs=None: accumulate into `.grad` of the leaves (Tensor.backward).
    inputs=[...]: return the gradients of exactly those tensors (autograd.grad).
    """
    node_grads = {}   # node -> list of gradient per output
    leaf_grads = {}   # id(leaf) -> gradient
    leaves = {}       # id(leaf) -> leaf
    fresh = set()     # ids of leaves whose gradient array nothing else refers to
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if t.grad_fn is None:
            leaves[id(t)] = t
            _accumulate(leaf_grads, id(t), g)
        else:
            buf = node_grads.setdefault(t.grad_fn, [None] * t.grad_fn.n_outputs)
            buf[t._output_nr] = g if buf[t._output_nr] is None else buf[t._output_nr] + g
            if t.grad_fn not in roots:
                roots.append(t.grad_fn)

    # where autograd.grad wants to read gradients of non-leaf inputs
    wanted = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            if t.grad_fn is not None:
                wanted.setdefault((t.grad_fn, t._output_nr), []).append(i)
    captured = [None] * (len(inputs) if inputs is not None else 0)

    deps = _topo_dependencies(roots)
    ready = [n for n in roots if deps.get(n, 0) == 0]
    with set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grads = node_grads.pop(node, None)
            if node.freed:
                raise RuntimeError(
                    f"{node.name()}: trying to backward through the graph a second time. "
                    "Its saved values were freed by the first backward(); pass "
                    "retain_graph=True to the first backward() if you need to go through "
                    "the graph again."
                )
            if grads is not None and (node.hooks or node.retained or wanted):
                grads = _run_hooks_and_retain(node, grads, wanted, captured)
            results = None
            if grads is not None and (grads[0] is not None if len(grads) == 1 else
                                      any(g is not None for g in grads)):
                results = _call_backward(node, grads, create_graph) if not STATE.anomaly \
                    else _call_backward_checked(node, grads, create_graph)
            if not retain_graph:
                node.release()
            edges = node.edges
            for edge, g in zip(edges, results or (None,) * len(edges)):
                if edge is None:
                    continue
                target = edge[0]
                if target.__class__ is Node:
                    if g is not None:
                        buf = node_grads.get(target)
                        if buf is None:
                            node_grads[target] = buf = [None] * target.n_outputs
                        old = buf[edge[1]]
                        buf[edge[1]] = g if old is None else old + g
                    left = deps[target] - 1
                    deps[target] = left
                    if left == 0:
                        ready.append(target)
                elif g is not None:
                    key = id(target)
                    leaves[key] = target
                    # a sum of two gradients is a new array; a single one may be shared
                    if key in leaf_grads or _is_fresh(g, node, grads, results):
                        fresh.add(key)
                    else:
                        fresh.discard(key)
                    _accumulate(leaf_grads, key, g)

        if inputs is not None:
            for i, t in enumerate(inputs):
                if t.grad_fn is None:
                    captured[i] = leaf_grads.get(id(t))
                    if captured[i] is not None and t._hooks:
                        captured[i] = _apply_hooks(t._hooks, captured[i])
            for i, g in enumerate(captured):
                if g is None and not allow_unused:
                    raise RuntimeError(
                        f"autograd.grad: input {i} (shape {inputs[i].shape}) was not used "
                        "to compute the outputs; pass allow_unused=True to get None for it."
                    )
            return tuple(captured)

        for key, g in leaf_grads.items():
            leaf = leaves[key]
            if leaf._hooks:  # a hook may keep the gradient it is shown: not ours to take
                g = _apply_hooks(leaf._hooks, g)
                fresh.discard(key)
            _accumulate_into_leaf(leaf, g, create_graph, key in fresh)
    return None


def _is_fresh(g, node, grads, results):
    """True if `g`, which `node`'s backward returned, is a new array that nothing else holds.

    Built-in ops (input_meta is None) return new arrays, whole views of them (a reshape),
    or what they were given (Add passes its upstream gradient on, to both inputs). So a
    gradient is new if it is, or views all of, an array that is not (the owner of) one of
    the node's upstream gradients and is returned once. A user Function's backward may
    return anything, even an array it keeps, so its gradients are never taken as new.
    """
    a = g._data
    owner = a if a.base is None else a.base
    if (node.input_meta is not None or not isinstance(owner, np.ndarray)
            or owner.base is not None or a.nbytes != owner.nbytes
            or not owner.flags.writeable):
        return False

    def shares(t):
        return t is not None and (t._data is owner or t._data.base is owner)

    return not any(shares(u) for u in grads) and sum(map(shares, results)) == 1


def _apply_hooks(hooks, g):
    for hook in hooks:
        out = hook(g)
        if out is not None:
            g = out
    return g


def _run_hooks_and_retain(node, grads, wanted, captured):
    if node.hooks:
        for nr, hooks in node.hooks.items():
            if grads[nr] is not None:
                grads[nr] = _apply_hooks(hooks, grads[nr])
    if node.retained:
        for nr, ref in node.retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                # a copy (as for leaves): the gradient may be a read-only broadcast view
                g = grads[nr] if STATE.grad_enabled else type(t)._make(np.array(grads[nr]._data))
                t.grad = g if t.grad is None else t.grad + g
    if wanted:
        for nr in range(node.n_outputs):
            for i in wanted.get((node, nr), ()):
                captured[i] = grads[nr]
    return grads


def _call_backward(node, grads, create_graph):
    fn = node.fn
    if fn.array_forward and fn.differentiable_backward and len(grads) == 1:
        # built-in op: its backward returns correct shapes and dtypes by construction
        results = fn.backward(node, grads[0])
        return results if isinstance(results, tuple) else (results,)
    from ..tensor import Tensor

    if any(g is None for g in grads):  # a multi-output op whose other outputs got no grad
        grads = [Tensor._make(np.zeros(node.output_shapes[i], node.output_dtypes[i]))
                 if g is None else g for i, g in enumerate(grads)]
    results = node.fn.backward(node, *grads)
    if not isinstance(results, tuple):
        results = (results,)
    if len(results) != len(node.edges):
        raise RuntimeError(
            f"{node.name()} returned {len(results)} gradients, but its forward took "
            f"{len(node.edges)} arguments (return None for arguments without a gradient)"
        )
    fixed = []
    if create_graph and not node.fn.differentiable_backward:
        # the gradient depends on the upstream grads and on the op's inputs: hang the
        # stand-in node off both, so any second backward through it raises
        depends_on = (*grads, *_input_stand_ins(node))
    for i, (g, edge) in enumerate(zip(results, node.edges)):
        if edge is None or g is None:
            fixed.append(None)
            continue
        if not isinstance(g, Tensor):
            g = Tensor(g)
        if node.input_meta is None:  # built-in op: trusted shapes and dtypes
            fixed.append(once_differentiable.apply(g, node.fn.__name__, *depends_on)
                         if create_graph and not node.fn.differentiable_backward else g)
            continue
        shape, dtype = node.input_meta[i]
        if g.shape != shape:
            raise RuntimeError(
                f"{node.name()} returned a gradient of shape {g.shape} for argument {i}, "
                f"whose shape is {shape}"
            )
        if g.dtype != dtype:
            g = g.astype(dtype)
        if create_graph and not node.fn.differentiable_backward:
            g = once_differentiable.apply(g, node.fn.__name__, *depends_on)
        fixed.append(g)
    return fixed


def _call_backward_checked(node, grads, create_graph):
    """detect_anomaly: blame a NaN/Inf gradient on this node, not on an op inside its
    backward (Sqrt's backward divides: the culprit is SqrtBackward, not Div)."""
    STATE.anomaly = False
    try:
        results = _call_backward(node, grads, create_graph)
    finally:
        STATE.anomaly = True
    _check_finite(node.name(), [g._data for g in results if g is not None])
    return results


def _input_stand_ins(node):
    """Tensors standing for a node's differentiable inputs: leaves as themselves, others as
    handles on the node that made them (their data is never read)."""
    from ..tensor import Tensor

    return [target if nr == -1 else Tensor._make(_NO_DATA, True, target, nr)
            for target, nr in (e for e in node.edges if e is not None)]


_NO_DATA = np.empty(0)


def _accumulate_into_leaf(leaf, g, create_graph, fresh=False):
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        # .grad must own its array: later backwards add into it in place, clip_grad_norm_
        # scales it. A new array is taken as it is (like PyTorch's AccumulateGrad, which
        # steals a gradient no one else uses); one that may be shared - handed to several
        # leaves, or passed through from upstream - is copied.
        leaf.grad = type(leaf)._make(g._data if fresh else np.array(g._data, copy=True))
    elif leaf.grad._requires_grad:
        leaf.grad = leaf.grad.detach() + g.detach()
    else:
        np.add(leaf.grad._data, g._data, out=leaf.grad._data)

"""The backward engine: the chain rule applied to the recorded graph, one node at a time.

`walk` is the part to read first. It orders the nodes (newest first: a node runs only after
every consumer of its output has sent its gradient, so each gradient is complete when it is
used), seeds the output gradient, calls each node's backward and sends every result along
its edge: into the next node's buffer, or into a leaf's total (`add_into`: in place into a
sum the walk made, and a slice's gradient only at its positions). Iterative, not
recursive, so a 20,000-op chain is fine.

`run_backward` is what `Tensor.backward` and `autograd.grad` call: the walk, plus what users
attach to it - hooks, retain_grad, the capture of non-leaf gradients for `autograd.grad`,
anomaly checks - and the accumulation into `.grad`. Each of those is a small named helper.
"""
from __future__ import annotations

from collections import namedtuple
from heapq import heapify, heappop, heappush

import numpy as np

from .function import Scattered, check_finite, freed_message, once_differentiable
from .grad_mode import STATE, set_grad_enabled
from .tensor_base import TensorBase

Step = namedtuple("Step", ["node", "grads_in", "grads_out"])
Step.__doc__ = """One engine step: the node, the gradient arriving at each of its outputs,
and the gradient it sends along each edge (None where nothing goes)."""


def walk(roots, seeds, retain_graph=False, create_graph=False, capture=None, record=None,
         hooks=True, batch_dims=0):
    """Backpropagate `seeds` (d loss / d root) from `roots` through the graph; returns
    {id(leaf): [leaf, gradient, is_new_array]} for every leaf reached. `record` (a list) gets
    one `Step` per node in run order. Writes no `.grad` (hooks=False: no hooks or retain_grad
    either). batch_dims=1: each seed is a stack of seed vectors (see `can_batch`)."""
    grads, leaf_grads = seed(roots, seeds)    # node -> [gradient per output]
    # the nodes that have a gradient and have not run, newest first: a node is made after
    # its inputs, so every consumer of a node's output runs before the node itself (the
    # order PyTorch's engine takes from its sequence numbers too)
    ready = [(-node.sequence_nr, node) for node in grads]
    heapify(ready)
    anomaly = STATE.anomaly  # (a thread-local: read once)
    # ids of the gradient totals in `grads` that this walk made (sums): nothing else holds
    # them, so later gradients are added into them in place (add_into). None when the sums
    # are recorded (create_graph) or the steps are (record holds every gradient).
    owned = set() if not create_graph and record is None else None
    with set_grad_enabled(create_graph), batched(batch_dims):  # create_graph: recorded too
        while ready:
            node = heappop(ready)[1]
            if node.freed:
                raise RuntimeError(freed_message(node))
            grads_in = grads.pop(node)  # (a node is in `ready` once it has a buffer)
            if owned:  # its totals leave the buffers: not ours now
                for g in grads_in:
                    owned.discard(id(g))
            if hooks and (node.hooks or node.retained or capture):
                grads_in = before_backward(node, grads_in, capture)
            fn = node.fn
            if fn.trusted_backward and not anomaly and len(grads_in) == 1 and \
                    grads_in[0] is not None:
                # a built-in op with its one gradient: shapes and dtypes need no checks
                if fn.scattered_backward is not None and owned is not None:  # (or None)
                    grads_out = fn.scattered_backward(node, grads_in[0]) or \
                        fn.backward(node, grads_in[0])
                else:
                    grads_out = fn.backward(node, grads_in[0])
                if grads_out.__class__ is not tuple:
                    grads_out = (grads_out,)
            else:
                grads_out = call_backward(node, grads_in, create_graph)
            if record is not None:
                record.append(Step(node, grads_in, grads_out))
            if not retain_graph:
                node.release()
            for edge, g in zip(node.edges, grads_out):
                if edge is None or g is None:
                    continue
                target, output_nr = edge
                if output_nr == -1:           # a leaf: its gradients are summed
                    add_leaf_gradient(leaf_grads, target, g, node, grads_in, grads_out,
                                      owned is not None)
                    continue
                buffer = grads.get(target)    # a node: one buffer slot per output
                if buffer is None:            # its first gradient: it will run
                    buffer = grads[target] = [None] * target.n_outputs
                    heappush(ready, (-target.sequence_nr, target))
                old = buffer[output_nr]
                if old is None and g.__class__ is not Scattered:
                    buffer[output_nr] = g
                else:                         # a sum (or a slice's gradient): ours to add into
                    total = add_into(old, g, owned is not None and id(old) in owned)
                    buffer[output_nr] = total
                    if owned is not None:
                        owned.add(id(total))
    return leaf_grads


def run_backward(tensors, grad_tensors, retain_graph=False, create_graph=False,
                 inputs=None, allow_unused=False, batch_dims=0):
    """inputs=None: accumulate into `.grad` of the leaves (Tensor.backward).
    inputs=[...]: return the gradients of exactly those tensors (autograd.grad)."""
    capture = Capture(inputs) if inputs is not None else None
    leaf_grads = walk(tensors, grad_tensors, retain_graph, create_graph, capture,
                      batch_dims=batch_dims)
    if capture is not None:
        return capture.result(leaf_grads, allow_unused)
    for leaf, g, new_array in leaf_grads.values():
        if leaf._hooks:  # a hook may keep the gradient it is shown: not ours to take
            g, new_array = run_hooks(leaf._hooks, g), False
        accumulate_into_grad(leaf, g, create_graph, new_array)
    return None


def backward_steps(roots, seeds):
    """The engine's steps for `roots`, in the order it runs them, without running hooks,
    writing any `.grad` or freeing the graph: what viz draws and traces."""
    steps = []
    walk(roots, seeds, retain_graph=True, record=steps, hooks=False)
    return steps


# ---------------------------------------------------------------- the walk's helpers
class batched:
    """Within: the gradients of the walk carry `batch_dims` leading batch dims."""

    def __init__(self, batch_dims):
        self.batch_dims = batch_dims

    def __enter__(self):
        self.prev, STATE.batch_dims = STATE.batch_dims, self.batch_dims

    def __exit__(self, *exc):
        STATE.batch_dims = self.prev


def can_batch(roots):
    """True if a stack of seed vectors can go back from `roots` in one walk: every node on
    the way has an op whose backward keeps leading batch dims (`batched_backward_ok`), and
    no hook or retain_grad would be shown a batched gradient. Otherwise the caller walks
    once per seed vector (the results are equal)."""
    stack = [t.grad_fn for t in roots if t.grad_fn is not None]
    seen = set(stack)
    if any(t.grad_fn is None and t._hooks for t in roots):
        return False
    while stack:
        node = stack.pop()
        if (not node.fn.batched_backward_ok or node.unbatchable or node.hooks
                or node.retained):
            return False
        for edge in node.edges:
            if edge is None:
                continue
            target, output_nr = edge
            if output_nr == -1:
                if target._hooks:
                    return False
            elif target not in seen:
                seen.add(target)
                stack.append(target)
    return True


def seed(roots, seeds):
    """The starting buffers: each root's seed gradient at its node (or its leaf total)."""
    grads, leaf_grads = {}, {}
    for t, g in zip(roots, seeds):
        if t.grad_fn is None:
            entry = leaf_grads.setdefault(id(t), [t, None, False])
            entry[1] = g if entry[1] is None else entry[1] + g
        else:
            buffer = grads.setdefault(t.grad_fn, [None] * t.grad_fn.n_outputs)
            old = buffer[t._output_nr]
            buffer[t._output_nr] = g if old is None else old + g
    return grads, leaf_grads


def call_backward(node, grads_in, create_graph):
    """The node's gradients for its inputs: its Function's backward, with the checks that
    user Functions need and the stand-ins that make a once-differentiable op safe. (The
    walk calls a trusted built-in op's backward itself, without these.)"""
    fn = node.fn
    if STATE.anomaly:
        return _call_backward_checked(node, grads_in, create_graph)
    if _all_none(grads_in):  # (hooks may have returned None)
        return (None,) * len(node.edges)
    if any(g is None for g in grads_in):  # a multi-output op whose other outputs got none
        make = next(g for g in grads_in if g is not None)._make
        grads_in = [make(np.zeros(*node.output_meta[i])) if g is None else g
                    for i, g in enumerate(grads_in)]
    results = fn.backward(node, *grads_in)
    if not isinstance(results, tuple):
        results = (results,)
    if len(results) != len(node.edges):
        raise RuntimeError(
            f"{node.name()} returned {len(results)} gradients, but its forward took "
            f"{len(node.edges)} arguments (return None for arguments without a gradient)")
    if node.input_meta is not None:
        results = [_checked_gradient(node, i, g) for i, g in enumerate(results)]
    if create_graph and not fn.differentiable_backward:
        # the gradient depends on the upstream grads and on the op's inputs: hang the
        # stand-in node off both, so any second backward through it raises
        depends_on = (*grads_in, *_input_stand_ins(node, grads_in))
        results = [None if g is None else once_differentiable.apply(g, fn.__name__, *depends_on)
                   for g in results]
    return tuple(None if edge is None else g for g, edge in zip(results, node.edges))


def _all_none(grads):
    for g in grads:
        if g is not None:
            return False
    return True


def _checked_gradient(node, i, g):
    """A user Function's gradient for argument i: a tensor of the argument's shape, cast to
    its dtype (as PyTorch does)."""
    if g is None or node.edges[i] is None:
        return None
    if not isinstance(g, TensorBase):
        raise TypeError(f"{node.name()} returned a {type(g).__name__} as the gradient of "
                        f"argument {i}; backward must return a Tensor or None per argument")
    shape, dtype = node.input_meta[i]
    if g.shape != shape:
        raise RuntimeError(f"{node.name()} returned a gradient of shape {g.shape} for "
                           f"argument {i}, whose shape is {shape}")
    return g if g.dtype == dtype else g.astype(dtype)


def _call_backward_checked(node, grads_in, create_graph):
    """detect_anomaly: blame a NaN/Inf gradient on this node, not on an op inside its
    backward (Sqrt's backward divides: the culprit is SqrtBackward0, not Div)."""
    STATE.anomaly = False
    try:
        results = call_backward(node, grads_in, create_graph)
    finally:
        STATE.anomaly = True
    check_finite(node.name(), [g._data for g in results if g is not None])
    return results


_NO_DATA = np.empty(0)


def _input_stand_ins(node, like):
    """Tensors standing for a node's differentiable inputs: leaves as themselves, others as
    handles on the node that made them (their data is never read)."""
    make = next(g for g in like if g is not None)._make
    return [target if nr == -1 else make(_NO_DATA, True, target, nr)
            for target, nr in (e for e in node.edges if e is not None)]


def add_into(total, g, writable):
    """The gradient total at one place after `g` arrives there: total + g (total None: g
    is a Scattered one, the first to arrive).

    Under create_graph a recorded add (the sum is then part of the graph). Otherwise numpy's
    sum, written into total's array in place when `writable` (the walk made that array and
    nothing else holds it), else into a new array; a Scattered g adds its values at its
    positions only, so a loop over x[t] costs one full-size array, not one per step."""
    if STATE.grad_enabled:
        return total + g
    scattered = g.__class__ is Scattered
    if total is None:
        return g.dense()
    data = total._data
    if scattered:
        if not writable:
            data = data.copy()
        g.add_to(data)
        return total if writable else total._make(data)
    if writable and g._data.shape == data.shape and g._data.dtype == data.dtype:
        np.add(data, g._data, out=data)
        return total
    data = data + g._data
    return total._make(data if data.__class__ is np.ndarray else np.asarray(data))  # (0-d)


def add_leaf_gradient(leaf_grads, leaf, g, node, grads_in, grads_out, in_place=False):
    """Sum a gradient into a leaf's total, remembering whether the total is a new array
    that nothing else holds (then `.grad` can take it without a copy, and with `in_place`,
    which the walk allows when nothing is recorded, later gradients add into it)."""
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        if g.__class__ is Scattered:
            leaf_grads[id(leaf)] = [leaf, g.dense(), True]
        else:
            leaf_grads[id(leaf)] = [leaf, g, _is_new_array(g, node, grads_in, grads_out)]
    else:  # a sum is a new array
        entry[1], entry[2] = add_into(entry[1], g, in_place and entry[2]), True


def _is_new_array(g, node, grads_in, grads_out):
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

    return not any(shares(u) for u in grads_in) and sum(map(shares, grads_out)) == 1


# ---------------------------------------------------------------- what users attach
def run_hooks(hooks, g):
    """Pass a gradient through a tensor's hooks; each may return a replacement of the
    same shape and dtype (or None to keep it)."""
    for hook in hooks:
        out = hook(g)
        if out is None:
            continue
        name = getattr(hook, "__name__", type(hook).__name__)
        if not isinstance(out, TensorBase):
            raise TypeError(f"hook '{name}' returned a {type(out).__name__}; a hook must "
                            f"return None or a tensor of the gradient's shape {g.shape} and "
                            f"dtype {g.dtype}")
        if out.shape != g.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of the gradient: it "
                               f"returned shape {out.shape}, but the gradient (and the "
                               f"tensor) have shape {g.shape}")
        if out.dtype != g.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of the gradient: it "
                               f"returned {out.dtype}, but the gradient is {g.dtype}")
        g = out
    return g


def before_backward(node, grads_in, capture):
    """Hooks and retain_grad on the node's outputs, and autograd.grad's capture."""
    grads_in = list(grads_in)
    if node.hooks:
        for nr, hooks in node.hooks.items():
            if grads_in[nr] is not None:
                grads_in[nr] = run_hooks(hooks, grads_in[nr])
    if node.retained:
        for nr, ref in node.retained.items():
            t = ref()
            if t is not None and grads_in[nr] is not None:
                # a copy (as for leaves): the gradient may be a read-only broadcast view
                g = grads_in[nr] if STATE.grad_enabled else \
                    grads_in[nr]._make(np.array(grads_in[nr]._data))
                t.grad = g if t.grad is None else t.grad + g
    if capture:
        capture.take(node, grads_in)
    return grads_in


class Capture:
    """What autograd.grad asked for: the gradients of `inputs`, read where they pass by
    (a non-leaf's at its node, a leaf's from its total at the end)."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.grads = [None] * len(inputs)
        self.where = {}
        for i, t in enumerate(inputs):
            if t.grad_fn is not None:
                self.where.setdefault((t.grad_fn, t._output_nr), []).append(i)

    def __bool__(self):
        return bool(self.where)

    def take(self, node, grads_in):
        for nr in range(node.n_outputs):
            for i in self.where.get((node, nr), ()):
                self.grads[i] = grads_in[nr]

    def result(self, leaf_grads, allow_unused):
        for i, t in enumerate(self.inputs):
            if t.grad_fn is None and id(t) in leaf_grads:
                g = leaf_grads[id(t)][1]
                self.grads[i] = run_hooks(t._hooks, g) if t._hooks else g
        for i, g in enumerate(self.grads):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: input {i} (shape {self.inputs[i].shape}) was not used "
                    "to compute the outputs; pass allow_unused=True to get None for it.")
        return tuple(self.grads)


def accumulate_into_grad(leaf, g, create_graph=False, new_array=False):
    """leaf.grad += g, with .grad owning its array (later backwards add into it in place,
    clip_grad_norm_ scales it). A new array is taken as it is (like PyTorch's
    AccumulateGrad, which steals a gradient no one else uses); one that may be shared is
    copied. The gradient always gets the leaf's dtype and shape."""
    if g.shape != leaf.shape:
        raise RuntimeError(f"internal error: a gradient of shape {g.shape} reached a tensor "
                           f"of shape {leaf.shape}")
    if g.dtype != leaf.dtype:
        g, new_array = g._make(g._data.astype(leaf.dtype)), True
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        leaf.grad = leaf._make(g._data if new_array else np.array(g._data, copy=True))
    elif leaf.grad._requires_grad:
        leaf.grad = leaf.grad.detach() + g.detach()
    else:
        np.add(leaf.grad._data, g._data, out=leaf.grad._data)


__all__ = ["Step", "walk", "run_backward", "backward_steps", "accumulate_into_grad"]

"""Graph nodes and `Function`: the one place where an op's forward meets its backward.

Every differentiable op is a subclass of `Function` with two static methods:

    forward(ctx, *args)          -> numpy array (built-in ops) or Tensor (user ops)
    backward(ctx, *grad_outputs) -> one gradient per forward argument: a Tensor of that
                                    argument's shape and dtype, or None (not a tensor, or
                                    no gradient needed: see ctx.needs_input_grad)

That is the whole contract, for built-in ops and user Functions alike. `backward` receives
Tensors and is written with Tensor operations wherever it can be, so the engine can run
it with grad mode on (`create_graph=True`) and get gradients that are themselves
differentiable; an op whose backward runs a kernel on arrays says so with
`differentiable_backward = False` and wraps its arrays with `grad._make(array)`.

`Function.apply(*args)` runs forward and, when grad mode is on and some input requires
grad, records a `Node` - the `ctx` both methods receive - that links the output to the
inputs.

In-place writes through views, as PyTorch records them: a view (`t[0]`, `t.reshape(...)`,
`t.T`, ...) shares its base's memory, so writing into it changes the base too and the
base's history must change with it. The base gets a `CopySlices` node (its old value
everywhere, the new values at the view's positions) and the view becomes `AsStrided` of the
new base; a view made before its base changed is brought up to date the same way the next
time an op uses it. Positions are flat indices into the base, read off the arrays' memory
layout, so every kind of numpy view works alike.
"""
from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from ..kernels.embedding import add_rows_into
from .grad_mode import STATE, set_grad_enabled
from .tensor_base import TensorBase

__all__ = ["Function", "Node", "once_differentiable", "AccumulateGrad", "Scattered"]

_FREED = object()  # marks saved tensors that a backward pass has released
_SEQUENCE = itertools.count()  # Node.sequence_nr


class Node:
    """One recorded op. It is the `ctx` of its Function and the tensor's `.grad_fn`.

    edges[i] says where the gradient of argument i goes: `None` (not a tensor, or needs no
    grad), `(node, output_nr)` for a tensor made by another op, or `(tensor, -1)` for a
    leaf whose `.grad` collects it. const_inputs lists the other arguments as
    `(index, value)`: numbers and tensors that need no gradient (for drawing the graph).
    """

    # defaults live on the class: a node only stores what differs (keeps op overhead low)
    needs_input_grad: tuple[bool, ...] = ()
    edges: Sequence[Any] = ()
    const_inputs: Sequence[tuple[int, Any]] = ()
    input_meta: Any = None    # (shape, dtype) per argument, checked for user Functions only
    n_outputs = 1
    _saved: Any = ()
    _saved_versions: Sequence[int | None] = ()
    out_data: Any = None      # the forward output, kept only by ops that need it ...
    out_version: Any = None   # ... the version counter of the tensor that holds it ...
    out_make: Any = None      # ... and that tensor's constructor
    hooks: dict[int, list[Callable]] | None = None  # {output_nr: [fn]} from register_hook
    retained: Any = None      # {output_nr: weakref to tensor} from Tensor.retain_grad
    node_name: str | None = None  # set by an op whose PyTorch name depends on its arguments
    hidden_args: Sequence[int] = ()  # the arguments next_functions does not show (apply)
    shown_next: tuple | None = None  # next_functions given outright (shown_node, rename)
    unbatchable = False       # set by an op whose backward takes no batch for these arguments
    number_first = False      # set by `2 * x`, `1 - x`: the number came first (next_functions)
    freed = False

    def __init__(self, fn: type[Function]) -> None:
        self.fn = fn
        # the order of creation: a node's inputs were all made before it, so running nodes
        # from the newest down runs each one after every consumer of its output (engine.walk)
        self.sequence_nr = next(_SEQUENCE)

    def _sequence_nr(self) -> int:
        """PyTorch's name for the order of creation (`grad_fn._sequence_nr()`)."""
        return self.sequence_nr

    def name(self) -> str:
        """PyTorch's name for this kind of node, e.g. 'MulBackward0': the node's class name
        (one Node subclass per name, see `node_type`)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """Where this node sends gradients, as PyTorch shows it: one `(node, output_nr)` per
        tensor input of PyTorch's op, in PyTorch's order; `(AccumulateGrad, 0)` for a leaf
        that requires grad, `(None, 0)` for an input that needs no gradient (a tensor, or a
        Python number of `+ - * /`). Non-tensor arguments (dims, flags) are not inputs."""
        if self.shown_next is not None:
            return self.shown_next
        args: Sequence[int] | None = self.fn.graph_inputs
        if args is None:
            args = [i for i in range(len(self.edges)) if i not in self.hidden_args]
        entries = [self.next_entry(i) for i in args]
        if self.fn.torch_next is not None:
            entries = self.fn.torch_next(self, entries)
        return tuple(entries)

    def next_entry(self, i: int) -> tuple[Any, int]:
        """next_functions' entry for forward argument i."""
        edge = self.edges[i] if i < len(self.edges) else None
        if edge is None:
            return (None, 0)
        if edge[1] == -1:
            return (accumulate_grad(edge[0]), 0)
        return edge

    # --- what forward keeps for backward --------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors
        versions = []
        for t in tensors:
            versions.append(t._version[0] if isinstance(t, TensorBase) else None)
        self._saved_versions = versions

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is _FREED:
            raise RuntimeError(freed_message(self))
        for t, v in zip(self._saved, self._saved_versions):
            if v is not None and t._version[0] != v:
                i = next(k for k, s in enumerate(self._saved) if s is t)
                raise RuntimeError(modified_message(self, f"saved tensor {i}", t._data,
                                                    v, t._version[0]))
        return self._saved

    @property
    def saved_output(self) -> Any:
        """The forward output as a Tensor attached to this node (so create_graph sees it)."""
        if self.out_data is None:
            if self._saved is _FREED:
                raise RuntimeError(freed_message(self))
            raise RuntimeError(f"{self.name()} did not keep its output (set keep_output)")
        if self.out_version[0] != 0:
            raise RuntimeError(modified_message(self, "output 0", self.out_data, 0,
                                                self.out_version[0]))
        return self.out_make(self.out_data, True, self, 0)

    def keep_own_copy(self, tensor: TensorBase) -> None:
        """Replace a saved `tensor` by a copy of its current values: used when an in-place
        op is about to overwrite an input that this node saved (`c.mul_(d)` saves old c)."""
        saved, versions = [], []
        for t, v in zip(self._saved, self._saved_versions):
            if t is tensor:  # the copy keeps the history, for a second derivative
                t, v = tensor._make(tensor._data.copy(), tensor._requires_grad,
                                    tensor.grad_fn, tensor._output_nr), 0
            saved.append(t)
            versions.append(v)
        self._saved, self._saved_versions = tuple(saved), versions

    def release(self) -> None:
        self._saved = _FREED
        self.out_data = None
        self.const_inputs = ()
        self.freed = True


class Scattered:
    """A gradient that is zero except at `index` of an array of `shape`, where it is the
    array of tensor `values`: what `Function.scattered_backward` returns. With rows=True,
    index is an integer array of rows that may repeat (an embedding lookup, t[ints]) and
    values holds one row per index; repeated rows add up.

    A loop over `x[t]` (or `x.unbind()`, `gates[:, :H]`, an embedding per time step, ...)
    sends one gradient per step to x; as whole arrays (zeros with the slice filled in, then
    summed) that costs a full-size array per step, quadratic in the sequence length. The
    engine instead adds each one in place into x's gradient total (`engine.add_into`); only
    the first becomes a full array.
    """

    __slots__ = ("shape", "index", "values", "rows")

    def __init__(self, shape: tuple[int, ...], index: Any, values: TensorBase,
                 rows: bool = False) -> None:
        self.shape, self.index, self.values, self.rows = shape, index, values, rows

    def add_to(self, array: np.ndarray) -> None:
        """array += this gradient, in place."""
        if self.rows:
            add_rows_into(array, self.index, self.values._data)
        else:
            array[self.index] += self.values._data

    def dense(self) -> TensorBase:
        """The whole gradient as a new tensor (of the values' class)."""
        out = np.zeros(self.shape, dtype=self.values._data.dtype)
        if self.rows:
            add_rows_into(out, self.index, self.values._data)
        else:
            out[self.index] = self.values._data
        return self.values._make(out)


class _Unrecorded(Node):
    """The ctx of a built-in op that records no node (no input requires grad, or grad mode
    is off): what forward saves would be dropped at once, so it is not kept."""

    def __init__(self, fn: type[Function]) -> None:
        self.fn = fn  # (no sequence number: the engine never runs it)

    def save_for_backward(self, *tensors):
        pass


class AccumulateGrad:
    """PyTorch's node for a leaf in `next_functions`: it adds the gradient to `.grad`."""

    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # what PyTorch's name() says (its C++ name)

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"

    def __eq__(self, other):
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self):
        return id(self.variable)


# id(leaf) -> its AccumulateGrad, while someone holds it
_ACCUMULATORS: weakref.WeakValueDictionary[int, AccumulateGrad] = weakref.WeakValueDictionary()


def accumulate_grad(leaf: Any) -> AccumulateGrad:
    """The leaf's AccumulateGrad: the same object for as long as someone holds it, as in
    PyTorch (it holds the leaf, so the id cannot be reused meanwhile)."""
    node = _ACCUMULATORS.get(id(leaf))
    if node is None:
        node = _ACCUMULATORS[id(leaf)] = AccumulateGrad(leaf)
    return node


_NODE_TYPES: dict[str, type[Node]] = {}


def node_type(name: str) -> type[Node]:
    """The Node subclass called `name` ('MulBackward0'), made once and cached, so that
    `type(t.grad_fn).__name__` is PyTorch's node name, as PyTorch's node classes are."""
    cls = _NODE_TYPES.get(name)
    if cls is None:
        cls = _NODE_TYPES[name] = type(name, (Node,), {"__module__": __name__})
    return cls


def shown_node(name: str, *next_functions: tuple[Any, int], fn: Any = None) -> Node:
    """A node that exists only in `next_functions`: it shows, as PyTorch would, a step that
    our op fuses into itself (Linear's `TBackward0` of the weight, cross-entropy's
    `LogSoftmaxBackward0`). The engine never runs it."""
    node = node_type(name)(fn)
    node.shown_next = tuple(next_functions)
    return node


def entry(tensor: Any) -> tuple[Any, int]:
    """The `next_functions` entry of an op that takes `tensor` as an input."""
    if not getattr(tensor, "_requires_grad", False):
        return (None, 0)
    if tensor.grad_fn is None:
        return (accumulate_grad(tensor), 0)
    return (tensor.grad_fn, tensor._output_nr)


def rename(tensor: Any, name: str, next_functions: Sequence | None = None) -> Any:
    """Show `tensor`'s node under PyTorch's `name` (and with `next_functions`, if given): for
    a result built from ops whose own names differ from the one PyTorch's fused op has."""
    node = tensor.grad_fn
    if node is not None:
        node.__class__ = node_type(name)
        if next_functions is not None:
            node.shown_next = tuple(next_functions)
    return tensor


def freed_message(node) -> str:
    return (f"{node.name()}: trying to backward through the graph a second time. The values "
            "saved for backward were freed by the first backward(); pass retain_graph=True "
            "to the first call if you need to go through it again.")


def modified_message(node, what, array, expected, found) -> str:
    return (f"{node.name()}: one of the values needed for its gradient was modified in place "
            f"after the op: {what} (a {array.dtype} tensor of shape {array.shape}) is at "
            f"version {found}; expected version {expected}. Its gradient would be wrong. "
            "Use an out-of-place operation (e.g. `a = a * 2` instead of `a *= 2`), or "
            ".clone() the tensor before changing it.")


class Function:
    """Base class of every op. Subclass it to write a custom op with its own gradient.

    Built-in ops set `array_forward = True`: their forward gets Tensors but computes on
    their `._data` arrays and returns an array. A user Function (the default) computes with
    Tensor ops inside forward; those run with grad mode off, as in PyTorch.
    """

    array_forward = False
    keep_output = False             # store the forward output for backward (exp, tanh, ...)
    returns_view = False            # output may share memory with input 0 (reshape, t[i])
    differentiable_backward = True  # False: backward runs a kernel, differentiable once
    node_name: str | None = None    # PyTorch's node name when it is not <class>Backward0
    # next_functions as PyTorch shows it: the arguments that are PyTorch's tensor inputs, in
    # its order (None: the float tensors, and the numbers of `+ - * /`, see apply), ...
    graph_inputs: tuple[int, ...] | None = None
    numbers_are_inputs = False      # `x + 1`: PyTorch shows the 1 as an input (None, 0)
    torch_next: Callable | None = None  # ... and torch_next(node, entries) -> entries
    node_type: type[Node]           # the Node subclass of its PyTorch name (set below)
    trusted_backward = False        # set below for each subclass
    # True: backward is correct when every gradient has leading batch dims (engine.walk's
    # batch_dims; the ops' shape helpers in ops/_util.py keep them), so jacobian/hessian can
    # push all their seed vectors through in one walk
    batched_backward_ok = False
    # Optional, for an op whose input gradient is zero outside the positions its output was
    # read from (t[i], t[a:b]): scattered_backward(ctx, g) -> (Scattered, None, ...), or None
    # where it does not apply. The engine uses it when nothing is recorded (see Scattered).
    scattered_backward: Callable | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # PyTorch's names: built-in ops end in Backward0, a user Function's in Backward
        built_in = cls.__module__.startswith("tinygrad_lr.")
        default = cls.__name__ + ("Backward0" if built_in else "Backward")
        cls.node_type = node_type(cls.__dict__.get("node_name") or default)
        # a built-in op's backward that the engine runs without checks (engine.walk)
        cls.trusted_backward = cls.array_forward and cls.differentiable_backward

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        grad_enabled = STATE.grad_enabled  # (a thread-local: read once)
        if not grad_enabled and cls.array_forward:
            return _apply_unrecorded(cls, args, kwargs)
        make: Any = None  # outputs are tensors of the class of the first tensor argument
        requires_grad = False
        # One pass over the arguments records where each one's gradient must go: `edges`
        # (see Node; ctx.needs_input_grad says which are not None), the constant arguments
        # and which of them next_functions leaves out (integer tensors, dims, shapes). No
        # helper calls: this runs for every op. (consts and hidden are made only when there
        # is one: fewer objects per op for Python's garbage collector to track.)
        edges: list[Any] = []
        consts: list[tuple[int, Any]] | None = None
        hidden: list[int] | None = None
        numbers = cls.numbers_are_inputs
        for i, a in enumerate(args):
            if isinstance(a, TensorBase):
                if make is None:
                    make = a._make
                if a._base is not None and a._base.grad_fn is not a._base_node:
                    refresh_view(a)  # its base was changed in place since it was made
                if a._requires_grad and grad_enabled:
                    requires_grad = True
                    node = a.grad_fn
                    edges.append((a, -1) if node is None else (node, a._output_nr))
                    continue
                shown = a._data.dtype.kind == "f"
            else:
                shown = numbers and isinstance(a, (int, float))
            if not shown:
                if hidden is None:
                    hidden = []
                hidden.append(i)
            edges.append(None)
            if consts is None:
                consts = []
            consts.append((i, a))
        if requires_grad or not cls.array_forward:  # a node (a user Function's ctx always)
            ctx = cls.node_type(cls)
            # forward may read it, as in PyTorch, whose ctx says requires_grad in no_grad too
            ctx.needs_input_grad = tuple(map(bool, edges)) if grad_enabled else tuple(
                isinstance(a, TensorBase) and a._requires_grad for a in args)
            if requires_grad:
                ctx.edges = edges
                if consts is not None:
                    ctx.const_inputs = consts
                if hidden is not None:
                    ctx.hidden_args = hidden
        else:
            ctx = _Unrecorded(cls)
        if not cls.array_forward:
            return _apply_user_function(cls, ctx, args, kwargs, requires_grad, make)
        out = cls.forward(ctx, *args, **kwargs) if kwargs else cls.forward(ctx, *args)
        return _output(cls, ctx if requires_grad else None, out, make, args[0])

    @classmethod
    def apply_pair(cls, a: TensorBase, b: TensorBase) -> Any:
        """`apply(a, b)` for a built-in op of two tensors (`x + y`, `x * w`), the most common
        call there is: the same node, edges and output, with apply's loop over the arguments
        written out for two (tests/test_apply_pair.py compares the two on every case)."""
        if not STATE.grad_enabled:
            return _apply_unrecorded(cls, (a, b), None)
        if (a._base is not None and a._base.grad_fn is not a._base_node) or \
                (b._base is not None and b._base.grad_fn is not b._base_node):
            return cls.apply(a, b)  # a view to refresh first: apply does it
        needs_a, needs_b = a._requires_grad, b._requires_grad
        if needs_a or needs_b:
            ctx = cls.node_type(cls)
            ctx.needs_input_grad = (needs_a, needs_b)
            node = a.grad_fn
            edge_a = ((a, -1) if node is None else (node, a._output_nr)) if needs_a else None
            node = b.grad_fn
            edge_b = ((b, -1) if node is None else (node, b._output_nr)) if needs_b else None
            ctx.edges = [edge_a, edge_b]
            if not needs_b:  # the argument that needs no gradient is a constant input
                ctx.const_inputs = [(1, b)]
                if b._data.dtype.kind != "f":
                    ctx.hidden_args = [1]
            elif not needs_a:
                ctx.const_inputs = [(0, a)]
                if a._data.dtype.kind != "f":
                    ctx.hidden_args = [0]
        else:
            ctx = _Unrecorded(cls)
        out = cls.forward(ctx, a, b)
        return _output(cls, ctx if needs_a or needs_b else None, out, a._make, a)

    @classmethod
    def apply_with_number(cls, a: Any, b: Any) -> Any:
        """`apply(a, b)` for a built-in op of a float tensor and a Python number, in either
        order (`x * 0.5`, `1 - p`): the same node, edges and output, written out for this
        pair as `apply_pair` is for two tensors (tests/test_apply_pair.py compares them)."""
        if not STATE.grad_enabled:
            return _apply_unrecorded(cls, (a, b), None)
        number_first = not isinstance(a, TensorBase)
        t = b if number_first else a
        if t._base is not None and t._base.grad_fn is not t._base_node:
            return cls.apply(a, b)  # a view to refresh first: apply does it
        recorded = t._requires_grad
        if recorded:
            ctx = cls.node_type(cls)
            node = t.grad_fn
            edge = (t, -1) if node is None else (node, t._output_nr)
            i = 0 if number_first else 1  # where the number is
            ctx.needs_input_grad = (False, True) if number_first else (True, False)
            ctx.edges = [None, edge] if number_first else [edge, None]
            ctx.const_inputs = [(i, a if number_first else b)]
            if not cls.numbers_are_inputs:
                ctx.hidden_args = [i]
        else:
            ctx = _Unrecorded(cls)
        out = cls.forward(ctx, a, b)
        return _output(cls, ctx if recorded else None, out, t._make, a)


def _apply_unrecorded(cls, args, kwargs):
    """A built-in op with grad mode off (no_grad, or a backward without create_graph): the
    forward and its output, nothing more. (A view whose base was changed in place gets its
    new history when an op next records it: nothing here depends on history.)"""
    for a in args:
        if isinstance(a, TensorBase):  # outputs are tensors of the first tensor's class
            make = a._make
            break
    out = cls.forward(_Unrecorded(cls), *args, **kwargs) if kwargs else \
        cls.forward(_Unrecorded(cls), *args)
    return _output(cls, None, out, make, args[0])


def _output(cls, node, out, make, first_arg):
    """A built-in op's output tensor (of `make`'s class) around the array its forward
    returned, attached to `node` (None: nothing recorded) when it is a float array."""
    if out.__class__ is not np.ndarray:
        out = np.asarray(out)  # numpy hands back 0-d results as scalars
    if STATE.anomaly:
        check_finite(cls.__name__ + " forward", [out])
    if node is not None and out.dtype.kind == "f":
        if node.node_name is not None:  # forward chose the name from its arguments
            node.__class__ = node_type(node.node_name)
        t = make(out, True, node, 0)
        if cls.keep_output:
            node.out_data, node.out_version, node.out_make = out, t._version, make
    else:
        t = make(out)
    if cls.returns_view:
        share_storage(t, first_arg)
    return t


def _apply_user_function(cls, ctx, args, kwargs, requires_grad, make):
    with set_grad_enabled(False):
        result = cls.forward(ctx, *args, **kwargs)
    outputs = result if isinstance(result, tuple) else (result,)
    if STATE.anomaly:
        check_finite(cls.__name__ + " forward",
                     [o._data if isinstance(o, TensorBase) else o for o in outputs])
    wrapped = []
    for nr, o in enumerate(outputs):
        if not isinstance(o, TensorBase):
            if make is None:  # no tensor went in: there is nothing to record
                wrapped.append(o)
                continue
            o = make(np.asarray(o))
        elif any(o is a for a in args):
            o = make(o._data)  # an input returned as is: a new tensor for the new node
        if requires_grad and o._data.dtype.kind == "f":
            # Attach the very object forward made, so a tensor it saved for backward
            # is the output itself and double backward sees it.
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = nr
        wrapped.append(o)
    if requires_grad:
        if ctx.node_name is not None:
            ctx.__class__ = node_type(ctx.node_name)
        ctx.input_meta = [(a._data.shape, a._data.dtype) if isinstance(a, TensorBase) else None
                          for a in args]
        ctx.n_outputs = len(wrapped)
        ctx.output_meta = [(o._data.shape, o._data.dtype) for o in wrapped]
    return tuple(wrapped) if isinstance(result, tuple) else wrapped[0]


def share_storage(view, base):
    """A view shares its base's memory, so it shares the version counter, and it remembers
    the tensor that owns the memory and that tensor's node (for in-place writes)."""
    if np.may_share_memory(view._data, base._data):
        root = base._base if base._base is not None else base
        view._version, view._base, view._base_node = base._version, root, root.grad_fn


def refresh_view(view):
    """Give a view whose base was changed in place the base's new history."""
    base = view._base
    if base._requires_grad:
        fresh = AsStrided.apply(base, view_positions(view._data, base._data))
        view.grad_fn, view._output_nr, view._requires_grad = fresh.grad_fn, 0, True
    view._base_node = base.grad_fn


def check_finite(where, arrays):
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc" and not np.isfinite(a).all():
            bad = "NaN" if np.isnan(a).any() else "Inf"
            raise FloatingPointError(
                f"detect_anomaly: {where} produced {bad} in output {i} (shape {a.shape})"
            )


class once_differentiable(Function):
    """Stand-in node for the gradient of an op whose backward cannot be differentiated.

    The engine attaches it (create_graph=True) to the outputs of such an op's backward, so
    that a second differentiation through it raises a clear error instead of returning a
    silently wrong zero.
    """

    array_forward = True

    @staticmethod
    def forward(ctx, g, op_name, *grad_outputs):
        # grad_outputs are inputs only so that the result is attached to the graph (and a
        # second backward reaches backward() below) whenever they require grad
        ctx.op_name = op_name
        return g._data

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError(
            f"double backward through {ctx.op_name} is not supported: its backward is "
            "computed by a kernel that is differentiable only once. Use create_graph=False "
            "(or a composite of differentiable ops) for this part of the graph."
        )


# ---------------------------------------------------------------- in-place writes through views
def view_positions(view: np.ndarray, base: np.ndarray) -> np.ndarray:
    """For every element of `view` (a numpy view of `base`'s memory), its flat C-order
    index in `base`."""
    if any(s < 0 for s in base.strides + view.strides):
        raise RuntimeError("in-place write through a view with negative strides (a flip) of "
                           "a tensor in the graph; write into a .clone() instead")
    item = base.itemsize
    # a buffer laid out like base's memory, holding each element's logical index
    span = sum((n - 1) * s for n, s in zip(base.shape, base.strides)) // item + 1
    logical = np.empty(max(span, 1), dtype=np.int64)
    as_base = np.lib.stride_tricks.as_strided(
        logical, base.shape, tuple(s // item * logical.itemsize for s in base.strides))
    as_base[...] = np.arange(base.size).reshape(base.shape)
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    return np.lib.stride_tricks.as_strided(
        logical[offset:], view.shape,
        tuple(s // item * logical.itemsize for s in view.strides)).copy()


class AsStrided(Function):
    """The elements of `base` at `positions` (flat indices), in the positions' shape."""

    array_forward = True
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, positions):
        ctx.base_shape = base.shape
        ctx.positions = positions
        return base._data.reshape(-1)[positions]

    @staticmethod
    def backward(ctx, g):
        zeros = g._make(np.zeros(ctx.base_shape, dtype=g.dtype))
        return CopySlices.apply(zeros, g, ctx.positions), None


class CopySlices(Function):
    """`base` with `values` written at `positions`: d/d base is the gradient with the
    written positions zeroed, d/d values is the gradient at those positions."""

    array_forward = True
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, values, positions):
        ctx.positions = positions
        out = np.array(base._data)
        out.reshape(-1)[positions.reshape(-1)] = np.broadcast_to(values._data, positions.shape
                                                                ).reshape(-1)
        return out

    @staticmethod
    def backward(ctx, g):
        need_base, need_values = ctx.needs_input_grad[:2]
        g_base = g_values = None
        if need_base:
            kept = np.ones(g.shape, dtype=g.dtype)
            kept.reshape(-1)[ctx.positions.reshape(-1)] = 0
            g_base = g * g._make(kept)
        if need_values:
            g_values = AsStrided.apply(g, ctx.positions)
        return g_base, g_values, None

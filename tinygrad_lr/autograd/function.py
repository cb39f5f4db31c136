"""Graph nodes and `Function`: the one place where an op's forward meets its backward.

Every differentiable op is a subclass of `Function` with two static methods:

    forward(ctx, *args)          -> numpy array (built-in ops) or Tensor (user ops)
    backward(ctx, *grad_outputs) -> one gradient (Tensor or None) per forward argument

`Function.apply(*args)` runs forward and, when grad mode is on and some input requires
grad, records a `Node` - the `ctx` both methods receive - that links the output to the
inputs. `backward` is written with Tensor operations, so the engine can run it with grad
mode on (`create_graph=True`) and get gradients that are themselves differentiable.
"""
import numpy as np

from .grad_mode import STATE, set_grad_enabled

_FREED = object()
Tensor = None  # set by tensor.py once the class exists (tensor.py imports this module)  # marks saved tensors that a backward pass has released


class Node:
    """One recorded op. It is the `ctx` of its Function and the tensor's `.grad_fn`.

    edges[i] says where the gradient of argument i goes: `None` (not a tensor, or needs no
    grad), `(node, output_nr)` for a tensor made by another op, or `(tensor, -1)` for a
    leaf whose `.grad` collects it.
    """

    # defaults live on the class: a node only stores what differs (keeps op overhead low)
    needs_input_grad = ()
    edges = ()
    input_meta = None         # (shape, dtype) per argument, checked for user Functions only
    n_outputs = 1
    _saved = ()
    _saved_versions = ()
    out_data = None           # the forward output, kept only by ops that need it
    hooks = None              # {output_nr: [fn]} from Tensor.register_hook on non-leaves
    retained = None           # {output_nr: weakref to tensor} from Tensor.retain_grad
    freed = False

    def __init__(self, fn):
        self.fn = fn

    def __repr__(self):
        return f"<{self.name()}>"

    def name(self):
        return self.fn.__name__ + "Backward"

    # --- what forward keeps for backward --------------------------------------
    def save_for_backward(self, *tensors):
        self._saved = tensors
        versions = []
        for t in tensors:
            versions.append(t._version[0] if isinstance(t, Tensor) else None)
        self._saved_versions = versions

    @property
    def saved_tensors(self):
        if self._saved is _FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time. "
                "The values saved for backward were freed by the first backward(); "
                "pass retain_graph=True to the first call if you need to go through it again."
            )
        for t, v in zip(self._saved, self._saved_versions):
            if v is not None and t._version[0] != v:
                raise RuntimeError(
                    f"{self.name()}: a tensor of shape {t.shape} that this op saved for "
                    f"backward was modified in place afterwards (version {v} -> "
                    f"{t._version[0]}), so its gradient would be wrong. Use an "
                    "out-of-place operation (e.g. `a = a + b` instead of `a += b`)."
                )
        return self._saved

    @property
    def saved_output(self):
        """The forward output as a Tensor attached to this node (for create_graph)."""
        if self.out_data is None:
            self.saved_tensors  # raises the "second backward" error if freed
            raise RuntimeError(f"{self.name()} did not keep its output (set keep_output)")
        return Tensor._make(self.out_data, True, self, 0)

    def release(self):
        self._saved = _FREED
        self.out_data = None
        self.freed = True


class Function:
    """Base class of every op. Subclass it to write a custom op with its own gradient.

    Built-in ops set `array_forward = True`: their forward gets Tensors but computes on
    `.data` arrays and returns an array. A user Function (the default) computes with Tensor
    ops inside forward; those run with grad mode off, as in PyTorch.
    """

    array_forward = False
    keep_output = False          # store the forward output for backward (exp, tanh, ...)
    differentiable_backward = True  # False: backward is not itself differentiable

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        requires_grad = False
        if STATE.grad_enabled:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    requires_grad = True
                    break
        ctx = Node(cls)
        if cls.array_forward:
            out = cls.forward(ctx, *args, **kwargs)
            outputs = None
        else:
            with set_grad_enabled(False):
                result = cls.forward(ctx, *args, **kwargs)
            outputs = result if isinstance(result, tuple) else (result,)
        if STATE.anomaly:
            _check_finite(cls.__name__ + " forward", [out] if outputs is None else
                          [o._data if isinstance(o, Tensor) else o for o in outputs])

        if outputs is None:  # the fast path of every built-in op: one array out
            if out.__class__ is not np.ndarray:
                out = np.asarray(out)  # numpy hands back 0-d results as scalars
            if requires_grad and out.dtype.kind == "f":
                _link(ctx, args)
                if cls.keep_output:
                    ctx.out_data = out
                return Tensor._make(out, True, ctx, 0)
            return Tensor._make(out, False, None, 0)

        wrapped = []
        for nr, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                o = Tensor._make(np.asarray(o), False, None, 0)
            elif any(o is a for a in args):
                o = Tensor._make(o._data, False, None, 0)  # an input returned as is
            if requires_grad and o.dtype.kind == "f":
                # Attach the very object forward made, so a tensor it saved for backward
                # is the output itself and double backward sees it.
                o._requires_grad = True
                o.grad_fn = ctx
                o._output_nr = nr
            wrapped.append(o)
        if requires_grad:
            _link(ctx, args)
            ctx.n_outputs = len(wrapped)
            ctx.output_shapes = [o._data.shape for o in wrapped]
            ctx.output_dtypes = [o._data.dtype for o in wrapped]
        return tuple(wrapped) if isinstance(result, tuple) else wrapped[0]


def _link(ctx, args):
    """Record, for every argument, where its gradient must go."""
    edges, needs = [], []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            edges.append((a.grad_fn, a._output_nr) if a.grad_fn is not None else (a, -1))
            needs.append(True)
        else:
            edges.append(None)
            needs.append(False)
    ctx.edges = edges
    ctx.needs_input_grad = tuple(needs)
    if not ctx.fn.array_forward:  # user Functions: remember shapes to validate their grads
        ctx.input_meta = [(a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None
                          for a in args]


def _check_finite(where, arrays):
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
    op_name = "?"

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

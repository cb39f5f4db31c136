"""What a drawing or a trace shows of a graph: its values and its op nodes.

A value is a leaf that requires grad, a constant (a number, or a tensor that needs no
gradient such as the data X or the target y) or the output of an op. Each has a name -
the user's (from `names=` or a model's `named_parameters()`), else a short formula of how
it was computed (`x1*w1`) or `t3` - and its forward value. Forward values are recomputed
from the leaves and constants with each op's own forward, so a graph needs nothing kept
from its forward pass beyond what backward needs.
"""
from __future__ import annotations

import inspect
import re
import warnings
from typing import Any

import numpy as np

from .._format import fmt_array, fmt_number
from ..autograd import Node, no_grad
from ..graph.engine import backward_steps
from ..tensor import Tensor
from .formulas import ADD, ATOM, is_library_op, rule_for

__all__ = ["GraphView", "OpView", "Value", "name_table", "setting_text", "fill",
           "SETTINGS", "FREED"]

# arguments that configure an op rather than feed it: shown on the op node, not as inputs
SETTINGS = frozenset({
    "dim", "dims", "axis", "keepdim", "shape", "dtype", "groups", "stride", "padding",
    "dilation", "kernel", "out_hw", "out_shape", "eps", "reduction", "ignore_index",
    "smoothing", "reverse", "nonlinearity", "padding_idx", "count_include_pad", "divisor",
    "p", "idx", "widths", "spec", "normalized_shape"})

FREED = ("{fn}: the graph of this tensor was freed by backward(), which keeps nothing it "
         "no longer needs. Draw or trace it before calling loss.backward(), or call "
         "loss.backward(retain_graph=True).")

MAX_AUTO_NAME = 16  # longer formulas are named t1, t2, ...


class Value:
    """One value of the graph. kind: 'leaf' (requires grad), 'const' or 'op'."""

    __slots__ = (
        "consumers",
        "data",
        "is_root",
        "kind",
        "name",
        "named",
        "nr",
        "op",
        "prec",
        "tensor",
    )

    def __init__(self, kind, tensor=None, op=None, nr=0):
        self.kind, self.tensor, self.op, self.nr = kind, tensor, op, nr
        self.name, self.named, self.prec = None, False, ATOM
        self.data = None if tensor is None else tensor._data
        self.consumers = []   # (OpView, argument index)
        self.is_root = False

    def __repr__(self):
        return f"<Value {self.name} {self.kind}>"


class OpView:
    """One op node: its Function, its arguments (a Value per drawn input, settings apart)."""

    __slots__ = (
        "custom",
        "error",
        "fn",
        "index",
        "inputs",
        "node",
        "outputs",
        "param_names",
        "raw",
        "rule",
        "settings",
    )

    def __init__(self, node, index):
        self.node, self.fn, self.index = node, node.fn, index
        self.rule = rule_for(node)
        self.custom = not is_library_op(node.fn)
        self.inputs = {}        # argument index -> Value
        self.settings = []      # (argument name, object)
        self.raw = []           # per argument: ("value", Value) or ("object", obj)
        self.outputs = []
        self.param_names = _param_names(node.fn, len(node.edges))
        self.error = None       # why the forward value could not be recomputed

    @property
    def symbol(self):
        return self.rule.symbol if self.rule else self.fn.__name__

    def on_grad_path(self, i):
        return self.node.edges[i] is not None


def _param_names(fn, n):
    """The names of a Function's forward arguments (after ctx), for labels and settings."""
    try:
        params = list(inspect.signature(fn.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    if params and params[0].name == "ctx":
        params = params[1:]
    names = []
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            names += [f"{p.name}[{k}]" for k in range(n - len(names))]
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    return (names + [f"arg{k}" for k in range(len(names), n)])[:n]


# ------------------------------------------------------------------ names
def name_table(names=None, model=None):
    """{key: name} from a mapping name -> tensor (e.g. `locals()`: entries that are not
    tensors, or whose name starts with '_', are skipped) and a model's parameters."""
    items = []
    if names is not None:
        if hasattr(names, "named_parameters"):
            items += list(names.named_parameters())
        elif hasattr(names, "items"):
            items += [(n, t) for n, t in names.items()
                      if isinstance(t, Tensor) and not str(n).startswith("_")]
        else:
            raise TypeError("names: expected a mapping {name: tensor} (e.g. "
                            f"{{'x': x, 'w': w}} or locals()) or a Module, got "
                            f"{type(names).__name__}")
    if model is not None:
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"model: expected a Module, got {type(model).__name__}")
        items += list(model.named_parameters())
    table = {}
    for name, t in items:
        for key in ([(t.grad_fn, t._output_nr)] if t.grad_fn is not None else
                    [("t", id(t)), ("a", id(t._data))]):
            table.setdefault(key, str(name))
    return table


# ------------------------------------------------------------------ the view
class GraphView:
    """The values and ops of the graph that computed `root`, in forward order."""

    # filled in by trace.py's replay of the backward walk
    grads: dict[Value, Any]
    parts: dict[Value, list[Any]]

    def __init__(self, root, names=None, model=None, fn_name="draw_graph"):
        if root.grad_fn is None:
            raise ValueError(f"{fn_name}: this tensor was not computed from tensors that "
                             "require grad, so it has no graph to show")
        self.root_tensor = root
        self.fn_name = fn_name
        self._names = name_table(names, model)
        self.values = {}        # key -> Value, in the order they are met
        self.ops = []           # OpView in forward order (inputs before their consumers)
        self.op_of = {}         # Node -> OpView
        for node in self._forward_order(root.grad_fn):
            self._add_op(node)
        self.root = self.values[(root.grad_fn, root._output_nr)]
        self.root.is_root = True
        self._name_values()
        if not self.root.named:
            self.root.name, self.root.prec = "L", ATOM
        self._compute_values()

    def _forward_order(self, top):
        """Nodes with every input's node before its consumers (iterative post-order)."""
        order, seen, stack = [], {top}, [(top, iter(top.edges))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is not None and isinstance(edge[0], Node) and edge[0] not in seen:
                    seen.add(edge[0])
                    stack.append((edge[0], iter(edge[0].edges)))
                    break
            else:
                stack.pop()
                if getattr(node, "freed", False):
                    raise RuntimeError(FREED.format(fn=self.fn_name))
                order.append(node)
        return order

    def _value(self, key, make):
        v = self.values.get(key)
        if v is None:
            v = self.values[key] = make()
        return v

    def _add_op(self, node):
        op = OpView(node, len(self.ops))
        self.ops.append(op)
        self.op_of[node] = op
        consts = dict(node.const_inputs)
        for i, edge in enumerate(node.edges):
            if edge is not None:
                target, nr = edge
                if isinstance(target, Node):
                    v = self.values[(target, nr)]
                else:
                    v = self._value(("t", id(target)), lambda t=target: Value("leaf", t))
            else:
                obj = consts.get(i)
                if not self._is_operand(op, i, obj):
                    if obj is not None and obj is not False:
                        op.settings.append((op.param_names[i], obj))
                    op.raw.append(("object", obj))
                    continue
                if isinstance(obj, Tensor):
                    v = self._value(("t", id(obj)), lambda t=obj: Value("const", t))
                elif isinstance(obj, np.ndarray) and obj.ndim:
                    v = self._value(("a", id(obj)), lambda a=obj: _const_array(a))
                else:
                    v = self._value(("n", op.index, i), lambda a=obj: _const_array(a))
            v.consumers.append((op, i))
            op.inputs[i] = v
            op.raw.append(("value", v))
        for nr in range(node.n_outputs):
            op.outputs.append(self._value((node, nr), lambda nr=nr: Value("op", op=op, nr=nr)))

    @staticmethod
    def _is_operand(op, i, obj):
        if obj is None or isinstance(obj, (bool, np.bool_)):
            return False
        if op.rule is not None and op.rule.operands is not None:
            return i in op.rule.operands
        if op.param_names[i] in SETTINGS:
            return False
        return isinstance(obj, (Tensor, np.ndarray, int, float, np.number))

    # ------------------------------------------------------------ names
    def _name_values(self):
        count = {"leaf": 0, "const": 0, "op": 0}
        for key, v in self.values.items():
            name = self._names.get(key)
            if name is None and v.kind == "const" and isinstance(v.data, np.ndarray):
                name = self._names.get(("a", id(v.data)))
                if name is None and v.data.base is not None:
                    name = self._names.get(("a", id(v.data.base)))
            if name is not None:
                v.name, v.named = name, True
            elif v.kind == "const" and np.size(v.data) == 1:
                v.name = fmt_number(np.asarray(v.data).reshape(())[()])
                v.prec = ATOM if not v.name.startswith("-") else ADD
            elif v.kind in ("leaf", "const"):
                count[v.kind] += 1
                v.name = f"{v.kind}{count[v.kind]}"
        for op in self.ops:  # in forward order: an op's inputs are named before it
            text, prec = self.expression(op)
            for v in op.outputs:
                if v.name is not None:
                    continue
                if len(op.outputs) > 1:
                    text, prec = f"{op.fn.__name__}(...)[{v.nr}]", ATOM
                if len(text) <= MAX_AUTO_NAME and op.error is None:
                    v.name, v.prec = text, prec
                else:
                    count["op"] += 1
                    v.name = f"t{count['op']}"

    def arg_texts(self, op):
        """(text, precedence) of every forward argument: input names, settings' values."""
        texts = []
        for kind, item in op.raw:
            if kind == "value":
                texts.append((item.name, item.prec))
            else:
                texts.append((setting_text(item), ATOM))
        return texts

    def expression(self, op):
        """How the op's output reads as a formula of its inputs: ('x1*w1', precedence)."""
        texts = self.arg_texts(op)
        rule = op.rule
        if rule is None:
            shown = [texts[i][0] for i in sorted(op.inputs)]
            return f"{op.fn.__name__}({', '.join(shown)})", ATOM
        if callable(rule.expr):
            return rule.expr([t for t, _ in texts]), rule.prec
        return fill(rule.expr, texts, rule.needs), rule.prec

    # ------------------------------------------------------------ forward values
    def _compute_values(self):
        with no_grad(), np.errstate(all="ignore"):
            for op in self.ops:
                args = []
                for kind, item in op.raw:
                    if kind == "object":
                        args.append(item)
                    elif item.data is None:
                        break
                    else:
                        args.append(item.tensor if item.tensor is not None
                                    else Tensor._make(item.data))
                else:
                    try:
                        out = op.fn.forward(Node(op.fn), *args)
                    except Exception as e:  # noqa: BLE001 - a forward that cannot run again: say why
                        op.error = f"{type(e).__name__}: {e}"
                        continue
                    outs = out if isinstance(out, tuple) else (out,)
                    for v, o in zip(op.outputs, outs):
                        v.data = np.asarray(getattr(o, "_data", o))
        truth = self.root_tensor._data
        if self.root.data is not None and not np.allclose(self.root.data, truth, rtol=1e-5,
                                                           atol=1e-7, equal_nan=True):
            warnings.warn(f"{self.fn_name}: the forward values recomputed from the leaves give "
                          f"{fmt_array(self.root.data)}, but the output is {fmt_array(truth)}: "
                          "a tensor of the graph was modified after the forward pass (e.g. by "
                          "optimizer.step()). The values shown are those of the current "
                          "leaves.", stacklevel=4)
        self.root.data = truth

    # ------------------------------------------------------------ gradients
    def backward_steps(self, gradient=None):
        """(OpView, engine step) per node in the order the engine runs them."""
        root = self.root_tensor
        seed = (Tensor._make(np.ones_like(root._data)) if gradient is None else
                gradient if isinstance(gradient, Tensor) else Tensor(gradient))
        if seed.shape != root.shape:
            raise ValueError(f"{self.fn_name}: gradient of shape {seed.shape} does not match "
                             f"the output's shape {root.shape}")
        self.seed = seed
        for step in backward_steps([root], [seed]):
            yield self.op_of[step.node], step


def _const_array(a):
    v = Value("const")
    v.data = np.asarray(a._data if isinstance(a, Tensor) else a)
    return v


def setting_text(obj):
    """An op setting in a few characters: dims (1,), slices :2, dtype float32."""
    if isinstance(obj, slice):
        parts = ["" if x is None else str(x) for x in (obj.start, obj.stop, obj.step)]
        return ":".join(parts[:2] if obj.step is None else parts)
    if isinstance(obj, tuple):
        inner = ", ".join(setting_text(x) for x in obj)
        return f"({inner},)" if len(obj) == 1 else f"({inner})"
    if isinstance(obj, np.ndarray):
        return fmt_array(obj)
    if isinstance(obj, (float, np.floating)):
        return fmt_number(obj)
    if isinstance(obj, (np.dtype, type)):
        return np.dtype(obj).name
    if hasattr(obj, "_data"):
        return fmt_array(obj._data)
    return str(obj)


_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")


def fill(template, items, needs=None, out=None):
    """Put texts into a formula: `items[i]` = (text, precedence) for `{i}`, `out` for
    `{out}`. A text gets parentheses when its precedence is below what its place needs:
    `needs[i]` for op formulas; in derivative formulas, anything not atomic unless the
    placeholder already sits alone in (...) or is the whole formula."""

    def put(m):
        key = m.group(1)
        text, prec = out if key == "out" else items[int(key)]
        if needs is not None:
            need = needs[int(key)] if key != "out" and int(key) < len(needs) else 0
        else:
            before, after = template[:m.start()].rstrip(), template[m.end():].lstrip()
            alone = (before == after == "") or (before[-1:] in ("(", ",")
                                                 and after[:1] in (")", ","))
            need = 0 if alone else ATOM
        return f"({text})" if prec < need else text

    return _PLACEHOLDER.sub(put, template)

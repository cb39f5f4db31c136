"""The chain rule written out, one engine step at a time.

At every node the engine takes the gradient of the loss with respect to the node's output
(the *upstream* gradient g) and sends on, to each input, local derivative x g. The
trace shows those three numbers, with the local derivative as a formula and as a value
(`d tanh(n)/dn = 1 - tanh(n)^2 = 1 - 0.7071^2 = 0.5`), and writes out the sum wherever a
value feeds several ops. Nothing is written to any `.grad`.
"""
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .._format import fmt_array
from .formulas import ATOM, _expand_back
from .view import GraphView, Value, fill, setting_text

__all__ = ["BackwardStep", "BackwardTrace", "Contribution", "step_backward", "trace_backward"]


@dataclass
class Contribution:
    """What one step sends to one input: dL/d(input) = local derivative x upstream."""
    to: object                  # the Value it goes to (`.name`, `.kind`, `.data`)
    arg: int                    # which forward argument of the op
    gradient: np.ndarray | None   # the op's backward result (None: no gradient)
    local_formula: str | None = None   # "d tanh(n)/dn = 1 - tanh(n)^2 = 1 - 0.7071^2"
    local_value: np.ndarray | None = None
    upstream: np.ndarray | None = None  # g as multiplied (broadcast to the local's shape)
    summed: bool = False        # the product was summed over broadcast dimensions
    rule: str | None = None  # non-elementwise ops: the rule in words
    custom: bool = False        # the user's own Function.backward computed it


class BackwardStep:
    """One node of the backward pass, as the engine runs it.

    index: 1, 2, ... in engine order; op: the op (`.node` is the graph node); outputs: the
    values it produced; upstream: dL/d(output) per output; upstream_parts: per output the
    contributions it is the sum of, as (step index or 'seed', op symbol, gradient);
    contributions: one per input; accumulated: {value name: gradient so far} after this
    step, for every value that has received a gradient.
    """

    def __init__(self, view, index, op, upstream, upstream_parts, contributions, accumulated,
                 loss_name):
        self.view, self.index, self.op = view, index, op
        self.node = op.node
        self.outputs = op.outputs
        self.upstream = upstream
        self.upstream_parts = upstream_parts
        self.contributions: list[Contribution] = contributions
        self.accumulated = accumulated
        self._loss = loss_name

    def _d(self, v):
        return f"d{self._loss}/{_d(v.name)}"

    def header(self):
        """'o = tanh(n)    [tanh]': what the node computed, and its op."""
        op = self.op
        expr, _ = self.view.expression(op)
        out_names = ", ".join(v.name for v in op.outputs)
        head = out_names if expr == out_names else f"{out_names} = {expr}"
        kind = "custom Function " if op.custom else ""
        settings = ", ".join(f"{k}={_setting(v)}" for k, v in op.settings)
        return f"{head}    [{kind}{op.symbol}{', ' + settings if settings else ''}]"

    def forward_text(self):
        """'n = 0.8814  ->  o = 0.7071': the forward values in and out."""
        op = self.op
        shown = [v for _, v in sorted(op.inputs.items()) if not _is_literal(v)]
        fwd = ", ".join(f"{v.name} = {fmt_array(v.data)}" for v in shown)
        outs = ", ".join(f"{v.name} = {fmt_array(v.data)}" for v in op.outputs)
        return f"{fwd + '  ->  ' if fwd else ''}{outs}"

    def upstream_texts(self):
        """'do/dn = 0.5' per output, with the sum written out if several ops fed it."""
        return [f"{self._d(v)} = {_sum_text(parts, g)}"
                for v, g, parts in zip(self.op.outputs, self.upstream, self.upstream_parts)]

    def lines(self):
        """The step as text lines (a header, forward values, upstream, one block per input)."""
        lines = [f"step {self.index}  {self.header()}", f"    forward   {self.forward_text()}"]
        lines += [f"    upstream  g = {t}" for t in self.upstream_texts()]
        uses = [c.to for c in self.contributions]
        for c in self.contributions:
            arg = f" (argument {c.arg + 1})" if uses.count(c.to) > 1 else ""
            lines += [f"    to {c.to.name}{arg}{_where(c.to)}"] + [
                "        " + t for t in self._contribution_lines(c)]
        return lines

    def _contribution_lines(self, c):
        d = self._d(c.to)
        if c.gradient is None:
            return [f"{d}: nothing (no gradient reaches this op's output)"]
        if c.local_formula is not None:
            small = np.size(c.local_value) <= 6 and np.size(c.upstream) <= 6
            product = (f"{fmt_array(c.local_value)} × {fmt_array(c.upstream)}" if small
                       else "element by element")
            tail = ", summed over the broadcast dimensions" if c.summed else ""
            value = fmt_array(c.local_value)
            formula = c.local_formula
            if not formula.endswith(f" = {value}"):
                formula += f" = {value}"
            return [f"local  {formula}",
                    f"{d} = local × g = {product}{tail} = {fmt_array(c.gradient)}"]
        if c.custom:
            return [f"custom rule: {self.op.fn.__name__}.backward (your code) gives",
                    f"{d} = {fmt_array(c.gradient)}"]
        if c.rule:
            return [f"rule   {d} = {c.rule}", f"{d} = {fmt_array(c.gradient)}"]
        return [f"rule of {self.op.fn.__name__}.backward: {d} = {fmt_array(c.gradient)}"]

    def __str__(self):
        return "\n".join(self.lines())

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self):
        return _html_table([self])


def _where(v):
    n = len(v.consumers)
    if v.kind == "leaf":
        return ("  (a leaf: backward() adds this to its .grad)" if n == 1 else
                f"  (a leaf: one of {n} contributions backward() adds to its .grad)")
    return f"  (one of {n} contributions to d/d{v.name}, summed before {v.name}'s op runs)" \
        if n > 1 else ""


def _is_literal(v):
    """A number drawn by its own value (the 2 in x*2): no need to say 2 = 2."""
    return v.kind == "const" and not v.named and np.size(v.data) == 1


def _setting(obj):
    return setting_text(obj)


def _atom(name, prec):
    return name if prec >= ATOM else f"({name})"


_SIMPLE = re.compile(r"[\w.\[\]]+")


def _d(name):
    """'dx' for a plain name, 'd(x*2 + 1)' for a formula."""
    return f"d{name}" if _SIMPLE.fullmatch(name) else f"d({name})"


def _sum_text(parts, total):
    if len(parts) == 1 and parts[0][0] == "seed":
        return f"{fmt_array(total)} (the seed: the output's gradient with respect to itself)"
    if len(parts) <= 1:
        return fmt_array(total)
    terms = " + ".join(f"{fmt_array(g)} (step {k}, {sym})" for k, sym, g in parts)
    return f"{terms} = {fmt_array(total)}"


def _unbroadcast(a, shape):
    """Sum `a` down to `shape`, as the ops' backward does for broadcast inputs."""
    a = np.asarray(a)
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    for d, n in enumerate(shape):
        if n == 1 and a.shape[d] != 1:
            a = a.sum(axis=d, keepdims=True)
    return a


def _derivative_text(view, op, i, local):
    """'d tanh(n)/dn = 1 - tanh(n)^2 = 1 - 0.7071^2' (the numbers only for small values)."""
    expr, _ = view.expression(op)
    v = op.inputs[i]
    if len(expr) > 24:  # a long formula reads better by its output's name
        expr = op.outputs[0].name
    top = f"d {expr}" if _is_call(expr) else _d(expr)
    parts = [f"{top}/{_d(v.name)}"]
    names = view.arg_texts(op)
    out = op.outputs[0]
    symbolic = fill(local.formula, names, out=(out.name, out.prec))
    parts.append(symbolic)
    values = [_value_text(item) for _, item in op.raw]
    if all(t is not None for t in values) and out.data is not None and np.size(out.data) <= 6:
        numbers = fill(local.numbers or local.formula, values, out=_number_item(out.data))
        if numbers != symbolic:
            parts.append(numbers)
    return " = ".join(parts)


def _is_call(expr):
    head, paren, _ = expr.partition("(")
    return bool(paren) and head.isidentifier() and expr.endswith(")")


def _number_item(a):
    text = fmt_array(a)
    return text, (ATOM if not text.startswith("-") else 1)


def _value_text(item):
    """(text, precedence) of an argument's value for a formula, None when too large."""
    if isinstance(item, Value):
        if item.data is None or np.size(item.data) > 6:
            return None
        return _number_item(item.data)
    return setting_text(item), ATOM


def _args(op):
    return [item.data if isinstance(item, Value) else item for _, item in op.raw]


def _contribution(view, op, i, upstream, gradient):
    v = op.inputs[i]
    c = Contribution(to=v, arg=i, gradient=None if gradient is None else
                     np.asarray(gradient._data), custom=op.custom)
    rule = op.rule
    if c.gradient is None or rule is None or op.custom:
        return c
    local = rule.local.get(i)
    args, out, g = _args(op), op.outputs[0].data, upstream[0]
    known = all(item.data is not None for kind, item in op.raw if kind == "value")
    if local is None or g is None or out is None or not known:
        c.rule = fill(rule.rule[i], view.arg_texts(op), out=(op.outputs[0].name, ATOM)) \
            if i in rule.rule else None
        return c
    with np.errstate(all="ignore"):
        value = np.asarray(local.value(args, out), dtype=np.float64)
        g = np.asarray(g, dtype=np.float64)
        if rule.reduction:
            g = np.broadcast_to(_expand_back(g, np.shape(v.data), args[1], args[2]),
                                np.shape(v.data))
        product = value * g
        computed = _unbroadcast(product, np.shape(v.data))
    scale = max(float(np.max(np.abs(c.gradient), initial=0.0)), 1e-30)
    if computed.shape == c.gradient.shape and np.allclose(
            computed, c.gradient, rtol=1e-4, atol=1e-6 * scale, equal_nan=True):
        c.local_formula = _derivative_text(view, op, i, local)
        c.local_value, c.upstream = value, np.broadcast_to(g, value.shape) if value.ndim else g
        c.summed = product.shape != np.shape(v.data)
    return c


def step_backward(loss, names=None, *, model=None, gradient=None) -> Iterator[BackwardStep]:
    """Walk `loss`'s backward pass one engine step at a time (for a notebook: `next(steps)`
    cell by cell). Each BackwardStep has the node, the upstream gradient, what it sends to
    each input, and every gradient accumulated so far; `print(step)` writes it out.

    names: {name: tensor} for any tensors of the graph, leaves or intermediates (e.g.
    `names=locals()`); model: a Module whose parameters are named from
    `named_parameters()`; gradient: the seed (default: ones, as for a scalar loss).
    Must run while the graph exists: before loss.backward(), or after
    loss.backward(retain_graph=True). Nothing is written to `.grad`.
    """
    view = GraphView(loss, names, model, fn_name="step_backward")
    return _steps(view, gradient)


def _steps(view, gradient):
    loss_name = view.root.name if view.root.named else "L"
    parts = {}              # Value -> [(step, symbol, gradient)]
    accumulated = {}        # Value -> gradient so far
    for index, (op, step) in enumerate(view.backward_steps(gradient), 1):
        if index == 1:
            parts[view.root] = [("seed", "", view.seed._data)]
            accumulated[view.root] = view.seed._data
        upstream = [None if g is None else np.asarray(g._data) for g in step.grads_in]
        contributions = []
        for i, g in enumerate(step.grads_out):
            if i not in op.inputs or not op.on_grad_path(i):
                continue
            c = _contribution(view, op, i, upstream, g)
            contributions.append(c)
            if c.gradient is not None:
                parts.setdefault(c.to, []).append((index, op.symbol, c.gradient))
                old = accumulated.get(c.to)
                accumulated[c.to] = c.gradient if old is None else old + c.gradient
        yield BackwardStep(view, index, op, upstream,
                           [parts.get(v, []) for v in op.outputs], contributions,
                           {v.name: g for v, g in accumulated.items()}, loss_name)
    view.parts, view.grads = parts, accumulated


class BackwardTrace:
    """Every step of a backward pass and the leaves' gradients. `print(trace)` gives the
    text; in Jupyter it displays as a table."""

    def __init__(self, view, steps):
        self.view, self.steps = view, steps
        self.loss_name = view.root.name if view.root.named else "L"
        self.leaves = {v.name: (v, view.grads.get(v), view.parts.get(v, []))
                       for v in view.values.values() if v.kind == "leaf"}

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, k):
        return self.steps[k]

    def __iter__(self):
        return iter(self.steps)

    def grad(self, name):
        """The gradient of the value called `name` (a leaf or an intermediate)."""
        for v, g in self.view.grads.items():
            if v.name == name:
                return g
        raise KeyError(f"trace: no value named {name!r}; names: "
                       f"{', '.join(v.name for v in self.view.values.values())}")

    def __str__(self):
        out = [(f"Backward pass of {self.view.root.name}, in the order the engine runs it. "
                "At each node, g is the gradient arriving from"),
               "the output side; each input gets local derivative × g (the chain rule)."]
        for step in self.steps:
            out += [""] + step.lines()
        out += ["", "Leaf gradients (what backward() adds to .grad):"]
        width = max((len(n) for n in self.leaves), default=0)
        for name, (v, g, parts) in self.leaves.items():
            text = "no gradient" if g is None else _sum_text(parts, g)
            out.append(f"    {name:<{width}} = {fmt_array(v.data)}:  "
                       f"d{self.loss_name}/d{name} = {text}")
        return "\n".join(out)

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))

    def _repr_html_(self):
        rows = _html_table(self.steps)
        leaves = "".join(
            f"<tr><td>{_e(n)}</td><td>{_e(fmt_array(v.data))}</td><td>"
            f"{_e('no gradient' if g is None else _sum_text(parts, g))}</td></tr>"
            for n, (v, g, parts) in self.leaves.items())
        return (f"{rows}<p>Leaf gradients (what backward() adds to .grad)</p>"
                f"<table><tr><th>leaf</th><th>value</th><th>d{_e(self.loss_name)}/d leaf"
                f"</th></tr>{leaves}</table>")


def trace_backward(loss, names=None, *, model=None, gradient=None) -> BackwardTrace:
    """The chain rule of `loss`'s backward pass, written out node by node in engine order:
    the upstream gradient, each input's local derivative as a formula and a value, their
    product and where it goes, and the sums where a value feeds several ops. Forward
    values and names appear; small tensors are shown in full, large ones as shape and
    summary. Arguments as for `step_backward`. Nothing is written to `.grad`.

    Ops from a user's own Function show the numbers of its backward, marked as a custom
    rule. Composites such as mean or cross-entropy appear as the nodes that recorded them;
    compute the loss under `with tl.use_reference_kernels():` to see elementary ops.
    """
    view = GraphView(loss, names, model, fn_name="trace_backward")
    return BackwardTrace(view, list(_steps(view, gradient)))


def _e(s):
    return html.escape(str(s))


def _html_table(steps):
    head = ("<table><tr><th>step</th><th>node</th><th>forward</th><th>upstream g</th>"
            "<th>to</th><th>local derivative</th><th>gradient sent</th></tr>")
    rows = []
    for s in steps:
        blocks = s.contributions or [None]
        span = f' rowspan="{len(blocks)}"'
        first = (f"<td{span}>{s.index}</td><td{span}>{_e(s.header())}</td>"
                 f"<td{span}>{_e(s.forward_text())}</td>"
                 f"<td{span}>{'<br/>'.join(_e(t) for t in s.upstream_texts())}</td>")
        for k, c in enumerate(blocks):
            cells = first if k == 0 else ""
            if c is None:
                rows.append(f"<tr>{cells}<td></td><td></td><td></td></tr>")
                continue
            body = s._contribution_lines(c)
            local = body[0] if c.local_formula is not None else (
                "custom rule (your backward)" if c.custom else (c.rule or "rule of the op"))
            rows.append(f"<tr>{cells}<td>{_e(c.to.name)}</td><td>{_e(local)}</td>"
                        f"<td>{_e(body[-1])}</td></tr>")
    return head + "".join(rows) + "</table>"

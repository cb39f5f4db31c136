"""Draw the computation graph, micrograd-style, for scalars and tensors.

    g = draw_graph(o, names=locals())    # displays itself in Jupyter (SVG)
    g.save("neuron.svg"); g.save("neuron.png")

Every value is a box: its name, its forward value (`data`) and, after backward, its
gradient (`grad`). Leaves that require grad are blue, constants and inputs that need no
gradient (numbers, the data X, the target y) grey and dashed, the output green; each op is
an ellipse between its inputs and its output. Rendering uses the graphviz program `dot`
when it is installed and otherwise a built-in layout (viz/layout.py), so a graph displays
and saves anywhere; PNG without `dot` needs matplotlib.
"""
import os
import shutil
import subprocess

import numpy as np

from .._format import fmt_array
from . import layout as L
from .trace import _is_literal, _steps
from .view import GraphView, setting_text

__all__ = ["Graph", "draw_graph", "render_graph"]


class Graph:
    """A drawn graph: `.source` is its Graphviz DOT text, `.svg()` its SVG, `.save(path)`
    writes .svg, .png, .pdf (pdf needs `dot`) or .dot; in Jupyter it displays inline.

    `nodes` lists every node as a layout.Box (`.id`, `.kind`, `.lines`) and `edges` every
    edge, for tests and for tools of your own."""

    def __init__(self, boxes, edges, direction="LR", engine="auto", title=None):
        self.nodes, self.edges = boxes, edges
        self.direction, self.engine, self.title = direction, engine, title

    # ------------------------------------------------------------ text forms
    @property
    def source(self) -> str:
        rankdir = {"LR": "LR", "RL": "RL", "TB": "TB", "BT": "BT"}[self.direction]
        lines = ["digraph tinygrad_lr {", f"  rankdir={rankdir};",
                 '  node [fontname="Courier", fontsize=11];',
                 '  edge [color="#4b5563", arrowsize=0.7];']
        for b in self.nodes:
            fill, stroke, dashed = L.STYLE[b.kind]
            style = ("filled,dashed" if dashed else "filled") if b.kind == "op" else \
                ("rounded,filled,dashed" if dashed else "rounded,filled")
            if b.kind == "root":
                style += ",bold"
            shape = "ellipse" if b.kind == "op" else "box"
            label = "\\n".join(_dot_escape(s) for s in b.lines)
            lines.append(f'  {b.id} [shape={shape}, style="{style}", fillcolor="{fill}", '
                         f'color="{stroke}", label="{label}"];')
        for e in self.edges:
            label = f' [label="{_dot_escape(e.label)}", fontsize=9]' if e.label else ""
            lines.append(f"  {e.src} -> {e.dst}{label};")
        lines.append("}")
        return "\n".join(lines)

    def __str__(self):
        return self.source

    def __repr__(self):
        return f"<Graph: {len(self.nodes)} nodes, {len(self.edges)} edges>"

    # ------------------------------------------------------------ rendering
    def _use_dot(self, engine):
        engine = engine or self.engine
        if engine not in ("auto", "graphviz", "builtin"):
            raise ValueError(f"engine must be 'auto', 'graphviz' or 'builtin', got {engine!r}")
        if engine == "builtin":
            return None
        exe = shutil.which("dot")
        if exe is None and engine == "graphviz":
            raise RuntimeError("engine='graphviz' needs the Graphviz program 'dot' (apt "
                               "install graphviz, brew install graphviz); engine='builtin' "
                               "needs nothing")
        return exe

    def _layout(self):
        size = L.layout(self.nodes, self.edges, self.direction)
        return size

    def svg(self, engine: str | None = None) -> str:
        """The drawing as SVG text: with `dot` when available (engine='auto'), else built in."""
        exe = self._use_dot(engine)
        if exe is not None:
            return subprocess.run([exe, "-Tsvg"], input=self.source.encode(),
                                  capture_output=True, check=True).stdout.decode()
        return L.to_svg(self.nodes, self.edges, self._layout(), self.direction, self.title)

    def _repr_svg_(self):
        return self.svg()

    def save(self, path, engine: str | None = None, dpi: int = 144):
        """Write the graph; the format comes from the extension (.svg, .png, .pdf, .dot)."""
        path = os.fspath(path)
        fmt = os.path.splitext(path)[1].lower().lstrip(".")
        if fmt in ("dot", "gv"):
            text = self.source
        elif fmt == "svg":
            text = self.svg(engine)
        else:
            text = None
        if text is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            return path
        exe = self._use_dot(engine)
        if exe is not None:
            subprocess.run([exe, f"-T{fmt}", "-o", path], input=self.source.encode(),
                           check=True)
            return path
        if fmt != "png":
            raise ValueError(f"save: .{fmt} needs the Graphviz program 'dot'; without it "
                             "use .svg or .png")
        return L.to_png(self.nodes, self.edges, self._layout(), self.direction, path, dpi)


def _dot_escape(s):
    return str(s).replace("\\", "\\\\").replace('"', '\\"')


def draw_graph(tensor, names=None, *, model=None, show_grad: bool | None = None,
               direction: str = "LR", details: bool = False, engine: str = "auto") -> Graph:
    """The graph that computed `tensor`, as a Graph object (displays itself in Jupyter).

    names: {name: tensor} for any tensors of the graph - leaves, intermediates, the data
        X and target y - e.g. `names=locals()` names every variable of a notebook cell.
        Unnamed values are labelled by how they were computed (`x1*w1`) or t1, t2, ...
    model: a Module; its parameters are named from `named_parameters()` (`0.weight`).
    show_grad: draw each value's gradient d tensor / d value (computed by replaying the
        backward pass; nothing is written to `.grad`). Default: once backward has run,
        i.e. when some leaf has a `.grad`.
    direction: 'LR' (left to right, as micrograd), 'BT' (bottom to top), 'TB' or 'RL'.
    details: also show every value's shape and dtype (scalars show neither by default).
    engine: 'auto' (graphviz's `dot` when installed, else the built-in layout),
        'graphviz' or 'builtin'.

    Values of up to 6 elements are shown in full, larger ones as shape, mean and range.
    Must run while the graph exists: before loss.backward(), or after
    loss.backward(retain_graph=True). Under `with tl.use_reference_kernels():` composites
    (mean, Linear, MSE, softmax, cross-entropy) record, and so draw, their elementary ops.
    """
    if direction not in L.DIRECTIONS:
        raise ValueError(f"draw_graph: direction must be one of {L.DIRECTIONS}, got "
                         f"{direction!r}")
    view = GraphView(tensor, names, model, fn_name="draw_graph")
    if show_grad is None:
        show_grad = any(v.tensor.grad is not None for v in view.values.values()
                        if v.kind == "leaf")
    grads = {}
    if show_grad:
        for _ in _steps(view, None):
            pass
        grads = view.grads

    boxes, edges, box_of = [], [], {}
    for k, v in enumerate(view.values.values()):
        kind = "root" if v.is_root else ("value" if v.kind == "op" else v.kind)
        if _is_literal(v):
            lines = [fmt_array(v.data)]
        else:
            lines = [v.name] + (_value_lines("data", v.data) if v.data is not None else [])
        if details and v.data is not None:
            lines.append(f"{tuple(np.shape(v.data))} {np.asarray(v.data).dtype}")
        if show_grad and v.kind != "const":
            lines += _value_lines("grad", grads.get(v, 0.0))
        box = L.Box(f"v{k}", kind, lines, bold_first=v.named)
        boxes.append(box)
        box_of[id(v)] = box
    for op in view.ops:
        settings = _wrap([f"{k}={setting_text(s)}" for k, s in op.settings])
        box = L.Box(f"op{op.index}", "op", [op.symbol] + settings)
        boxes.append(box)
        labelled = len(op.inputs) > 1 and not (op.rule and op.rule.commutative)
        for i, v in sorted(op.inputs.items()):
            edges.append(L.Edge(box_of[id(v)].id, box.id,
                                op.param_names[i] if labelled else None))
        for v in op.outputs:
            edges.append(L.Edge(box.id, box_of[id(v)].id))
    return Graph(boxes, edges, direction, engine, title=f"graph of {view.root.name}")


def _value_lines(prefix, a):
    """'data 0.5'; a small matrix one row per line; a large tensor as shape, then summary."""
    a = np.asarray(a)
    text = fmt_array(a)
    if a.size > 6:
        shape = str(tuple(a.shape))
        rest = text[len(shape):].strip()
        return [f"{prefix} {shape}", rest] if rest else [f"{prefix} {shape}"]
    if a.ndim >= 2 and a.shape[0] > 1:
        rows = [fmt_array(row) for row in a.reshape(a.shape[0], -1)]
        return ([f"{prefix} [{rows[0]},"] + [f"{r}," for r in rows[1:-1]] + [f"{rows[-1]}]"])
    return [f"{prefix} {text}"]


def _wrap(items, width=30):
    """Join settings with ', ' into lines of about `width` characters."""
    lines = []
    for item in items:
        if lines and len(lines[-1]) + len(item) + 2 <= width:
            lines[-1] += ", " + item
        else:
            lines.append(item)
    return lines


def render_graph(graph, path):
    """Write a Graph (or DOT text, which needs the graphviz program `dot`) to `path`; the
    format comes from the extension (.svg, .png, .pdf)."""
    if isinstance(graph, Graph):
        return graph.save(path)
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("render_graph: DOT text needs the Graphviz program 'dot' (apt "
                           "install graphviz); pass the Graph from draw_graph instead, which "
                           "renders without it")
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    subprocess.run([exe, f"-T{fmt}", "-o", os.fspath(path)], input=str(graph).encode(),
                   check=True)
    return path

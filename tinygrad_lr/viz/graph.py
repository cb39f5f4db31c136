"""See the computation graph and the chain rule at work (for teaching).

draw_graph(t)       -> Graphviz DOT text: one box per leaf tensor, one ellipse per op
                       (its name and output shape, and the gradient once backward has run).
trace_backward(l)   -> BackwardTrace: the backward pass replayed one node at a time, each
                       row showing the gradient arriving at an op and what it sends on.

Both replay the backward pass themselves (with the ops' own backward functions) without
touching any `.grad`, so they must run while the graph still exists: before
`loss.backward()`, or after `loss.backward(retain_graph=True)`.
"""
import numpy as np

from ..autograd import no_grad
from ..graph.engine import call_backward as _call_backward
from ..graph.engine import count_consumers as _topo_dependencies
from ..graph.function import Node

__all__ = ["draw_graph", "trace_backward", "BackwardTrace", "render_graph"]


def _leaf_names(names):
    return {id(t): n for n, t in (names or {}).items()}


def _replay(root):
    """Run backward from `root` without side effects. Returns (steps, leaf_grads):
    steps = [(node, grads into its outputs, grads it sends along each edge)] in the order
    the engine runs them; leaf_grads = {id(leaf): (leaf, gradient)}."""
    from ..tensor import Tensor

    if root.grad_fn is None:
        raise ValueError("trace: this tensor was not computed from tensors that require "
                         "grad, so it has no graph")
    seed = Tensor._make(np.ones_like(root._data))
    node_grads = {root.grad_fn: [None] * root.grad_fn.n_outputs}
    node_grads[root.grad_fn][root._output_nr] = seed
    deps = _topo_dependencies([root.grad_fn])
    ready, steps, leaf_grads = [root.grad_fn], [], {}
    with no_grad():
        while ready:
            node = ready.pop()
            if node.freed:
                raise RuntimeError("the graph was freed by backward(); draw or trace it "
                                   "before loss.backward(), or call "
                                   "loss.backward(retain_graph=True)")
            grads = node_grads.pop(node)
            out = _call_backward(node, list(grads), False) if any(
                g is not None for g in grads) else (None,) * len(node.edges)
            steps.append((node, grads, out))
            for edge, g in zip(node.edges, out):
                if edge is None:
                    continue
                target, nr = edge
                if isinstance(target, Node):
                    if g is not None:
                        buf = node_grads.setdefault(target, [None] * target.n_outputs)
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
                    deps[target] -= 1
                    if deps[target] == 0:
                        ready.append(target)
                elif g is not None:
                    old = leaf_grads.get(id(target), (target, None))[1]
                    leaf_grads[id(target)] = (target, g if old is None else old + g)
    return steps, leaf_grads


def _short(t, limit=6):
    """A tensor in a few characters: its values when small, else shape and norm."""
    if t is None:
        return "-"
    a = np.asarray(getattr(t, "_data", t))
    if a.size <= limit:
        return np.array2string(a, precision=4, separator=", ", suppress_small=True).replace(
            "\n", "")
    return f"{a.shape} |{np.sqrt((a.astype(np.float64) ** 2).sum()):.4g}|"


def _shape(t):
    return tuple(t.shape) if t is not None else "?"


def _esc(s):
    return str(s).replace("\\", "\\\\").replace('"', '\\"')


def draw_graph(tensor, names=None, show_grad=None):
    """The graph that computed `tensor`, as Graphviz DOT text.

    names: {name: tensor} labels for leaves (e.g. `dict(model.named_parameters())`).
    show_grad: draw gradients (ops: d tensor / d output; leaves: their `.grad`). Default:
    only once backward has run (some leaf has a `.grad`). Shapes of op outputs come from a
    replay of the backward pass, so they are shown while the graph exists (see module doc).
    Render with `render_graph(dot, "graph.png")` (needs the graphviz program `dot`).
    """
    label_of = _leaf_names(names)
    try:
        steps, leaf_grads = _replay(tensor)
        op_grads = {id(node): grads for node, grads, _ in steps}
    except RuntimeError:
        op_grads, leaf_grads = {}, {}
    # walk the graph: op nodes and leaves
    nodes, leaves, edges = [], {}, []
    stack, seen = ([tensor.grad_fn], {id(tensor.grad_fn)}) if tensor.grad_fn else ([], set())
    while stack:
        node = stack.pop()
        nodes.append(node)
        for i, edge in enumerate(node.edges):
            if edge is None:
                continue
            target = edge[0]
            edges.append((target, node, i))
            if isinstance(target, Node):
                if id(target) not in seen:
                    seen.add(id(target))
                    stack.append(target)
            else:
                leaves[id(target)] = target
    if tensor.grad_fn is None:
        leaves[id(tensor)] = tensor
    if show_grad is None:
        show_grad = any(t.grad is not None for t in leaves.values())

    lines = ["digraph tinygrad_lr {", '  rankdir="BT";', '  node [fontname="Helvetica", '
             'fontsize=10];']
    for k, leaf in enumerate(leaves.values()):
        name = label_of.get(id(leaf), f"leaf {k}" if leaf.requires_grad else "input")
        text = f"{name}\\n{tuple(leaf.shape)} {leaf.dtype}"
        if show_grad and leaf.grad is not None:
            text += f"\\ngrad {_esc(_short(leaf.grad))}"
        color = "lightblue" if leaf.requires_grad else "lightgrey"
        lines.append(f'  t{id(leaf)} [shape=box, style=filled, fillcolor={color}, '
                     f'label="{text}"];')
    for node in nodes:
        grads = op_grads.get(id(node))
        shape = _shape(grads[0]) if grads else (tuple(tensor.shape) if node is tensor.grad_fn
                                                else "?")
        text = f"{node.fn.__name__}\\n{shape}"
        if show_grad and grads and grads[0] is not None:
            text += f"\\ngrad {_esc(_short(grads[0]))}"
        lines.append(f'  n{id(node)} [shape=ellipse, style=filled, fillcolor=lightyellow, '
                     f'label="{text}"];')
    for target, node, i in edges:
        src = f"n{id(target)}" if isinstance(target, Node) else f"t{id(target)}"
        lines.append(f'  {src} -> n{id(node)} [label="{i}", fontsize=8];')
    if tensor.grad_fn is not None:
        lines.append(f'  out [shape=box, style="filled,bold", fillcolor=palegreen, '
                     f'label="output\\n{tuple(tensor.shape)}"];')
        lines.append(f"  n{id(tensor.grad_fn)} -> out;")
    lines.append("}")
    return "\n".join(lines)


def render_graph(dot, path):
    """Render DOT text to an image file with the graphviz program (`apt install graphviz`);
    the format comes from the extension (.png, .svg, .pdf)."""
    import os
    import shutil
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("render_graph needs the Graphviz program 'dot' (apt install "
                           "graphviz, brew install graphviz); the DOT text itself can be "
                           "pasted into any Graphviz viewer")
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    subprocess.run([exe, f"-T{fmt}", "-o", os.fspath(path)], input=dot.encode(), check=True)
    return path


class BackwardTrace:
    """The rows of a replayed backward pass; print it to read the chain rule."""

    def __init__(self, rows, leaves):
        self.rows, self.leaves = rows, leaves

    def __len__(self):
        return len(self.rows)

    def __str__(self):
        out = ["Backward pass, one op at a time (dL/d· = gradient of the output w.r.t. ·):"]
        for r in self.rows:
            out.append(f"{r['step']:>3}. {r['op']:<14} out {str(r['shape']):<10} "
                       f"receives dL/dout = {r['grad_in']}")
            for target, g in r["sends"]:
                out.append(f"      -> {target:<22} gets dL/din = local derivative x "
                           f"dL/dout = {g}")
        out.append("Leaf gradients (what backward() would add to .grad):")
        for name, (shape, g) in self.leaves.items():
            out.append(f"      {name:<14} {str(shape):<10} {g}")
        return "\n".join(out)

    __repr__ = __str__
    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def trace_backward(loss, names=None):
    """Replay `loss`'s backward pass and return a BackwardTrace with one row per op node:
    step, op, output shape, the gradient it receives (dL/d its output) and the gradient it
    sends to each input (the chain rule: local derivative times incoming gradient).
    Leaves can be named with `names={name: tensor}`. Nothing is written to `.grad`."""
    label_of = _leaf_names(names)
    steps, leaf_grads = _replay(loss)
    leaf_label = {}

    def leaf_name(t):
        if id(t) not in leaf_label:
            leaf_label[id(t)] = label_of.get(id(t), f"leaf {len(leaf_label)}")
        return leaf_label[id(t)]

    rows = []
    for k, (node, grads, sent) in enumerate(steps, 1):
        sends = []
        for i, (edge, g) in enumerate(zip(node.edges, sent)):
            if edge is None:
                continue
            target = edge[0]
            where = (f"input {i}: {target.fn.__name__}" if isinstance(target, Node)
                     else f"input {i}: {leaf_name(target)}")
            sends.append((where, _short(g)))
        rows.append({"step": k, "op": node.fn.__name__, "shape": _shape(grads[0]),
                     "grad_in": _short(grads[0]), "sends": sends, "node": node})
    leaves = {leaf_name(t): (tuple(t.shape), _short(g)) for t, g in leaf_grads.values()}
    return BackwardTrace(rows, leaves)

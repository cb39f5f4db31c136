"""Regenerates the chain-rule pictures: micrograd's neuron o = tanh(x1*w1 + x2*w2 + b)
(graph as SVG and PNG, trace as text) and a two-layer MLP's cross-entropy loss drawn
under `tl.use_reference_kernels()`, where composites record their elementary ops.
Uses the built-in layout, so the pictures do not depend on an installed graphviz."""
import os

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr.viz import draw_graph, trace_backward

HERE = os.path.dirname(os.path.abspath(__file__))


def neuron():
    x1, x2 = tl.tensor(2.0, requires_grad=True), tl.tensor(0.0, requires_grad=True)
    w1, w2 = tl.tensor(-3.0, requires_grad=True), tl.tensor(1.0, requires_grad=True)
    b = tl.tensor(6.8813735870195432, requires_grad=True)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    names = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}
    with open(os.path.join(HERE, "neuron_trace.txt"), "w", encoding="utf-8") as f:
        f.write(str(trace_backward(o, names=names)) + "\n")
    o.backward(retain_graph=True)
    graph = draw_graph(o, names=names, engine="builtin")
    graph.save(os.path.join(HERE, "neuron_graph.svg"))
    graph.save(os.path.join(HERE, "neuron_graph.png"))


def mlp():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    X, y = tl.randn(4, 2), tl.tensor([0, 1, 1, 0])
    with tl.use_reference_kernels():
        loss = F.cross_entropy(model(X), y)
    names = {"X": X, "y": y, "loss": loss}
    with open(os.path.join(HERE, "mlp_trace.txt"), "w", encoding="utf-8") as f:
        f.write(str(trace_backward(loss, names=names, model=model)) + "\n")
    graph = draw_graph(loss, names=names, model=model, show_grad=True, engine="builtin")
    graph.save(os.path.join(HERE, "mlp_cross_entropy_graph.svg"))


if __name__ == "__main__":
    neuron()
    mlp()
    print("wrote neuron_graph.svg/.png, neuron_trace.txt, mlp_cross_entropy_graph.svg, "
          "mlp_trace.txt in", HERE)

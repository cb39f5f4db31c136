"""Regenerates the chain-rule pictures: `python docs/make_chain_rule_figures.py`.

- micrograd's neuron o = tanh(x1*w1 + x2*w2 + b): neuron_graph.svg / .png (data and grad
  on every node) and neuron_trace.txt (the backward pass written out);
- a two-layer MLP's cross-entropy loss computed under `tl.use_reference_kernels()`, where
  Linear and cross-entropy record their elementary ops (the softmax -> log -> NLL chain):
  mlp_cross_entropy_graph.svg / .png and mlp_trace.txt. The MLP is 2-2-2 on 3 points, so
  every tensor has at most 6 elements and is shown in full.

Uses the built-in layout, so the pictures do not depend on an installed graphviz; PNGs
need matplotlib (and are stored with 256 colours, as the gallery's).
"""
import os

from make_gallery import save_small

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr.viz import draw_graph, trace_backward

HERE = os.path.dirname(os.path.abspath(__file__))


def _write(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(text + "\n")


def _save_png(graph, name):
    path = os.path.join(HERE, name)
    graph.save(path)
    save_small(path, path)


def neuron():
    def leaf(value):
        return tl.tensor(value, dtype="float64", requires_grad=True)

    x1, x2, w1, w2 = leaf(2.0), leaf(0.0), leaf(-3.0), leaf(1.0)
    b = leaf(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    names = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}
    _write("neuron_trace.txt", str(trace_backward(o, names=names)))
    o.backward(retain_graph=True)
    graph = draw_graph(o, names=names, engine="builtin")
    graph.save(os.path.join(HERE, "neuron_graph.svg"))
    _save_png(graph, "neuron_graph.png")


def mlp():
    tl.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)).double()
    X, y = tl.randn(3, 2, dtype="float64"), tl.tensor([0, 1, 1])
    with tl.use_reference_kernels():
        h = model[1](model[0](X))
        logits = model[2](h)
        loss = F.cross_entropy(logits, y)
    names = {"X": X, "y": y, "h": h, "logits": logits, "loss": loss}
    _write("mlp_trace.txt", str(trace_backward(loss, names=names, model=model)))
    loss.backward(retain_graph=True)
    graph = draw_graph(loss, names=names, model=model, direction="BT", engine="builtin")
    graph.save(os.path.join(HERE, "mlp_cross_entropy_graph.svg"))
    _save_png(graph, "mlp_cross_entropy_graph.png")


if __name__ == "__main__":
    neuron()
    mlp()
    print("wrote neuron_graph.svg/.png, neuron_trace.txt, mlp_cross_entropy_graph.svg/.png, "
          "mlp_trace.txt in", HERE)

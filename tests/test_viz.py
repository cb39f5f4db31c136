"""viz: graphs, the chain-rule trace and the step-through iterator, pinned on micrograd's
neuron example and on tensors."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr._format import fmt_array, fmt_number
from tinygrad_lr.viz import Graph, draw_graph, step_backward, trace_backward
from tinygrad_lr.viz.formulas import RULES


def f64(v, requires_grad=True):
    return tl.tensor(v, dtype="float64", requires_grad=requires_grad)


def neuron():
    """micrograd's first example: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, w1, x2, w2 = f64(2.0), f64(-3.0), f64(0.0), f64(1.0)
    b = f64(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    return {"x1": x1, "w1": w1, "x2": x2, "w2": w2, "b": b, "n": n, "o": o}


def boxes_by_name(graph):
    return {b.lines[0]: b for b in graph.nodes if b.kind != "op"}


# ------------------------------------------------------------------ the neuron, traced
def test_neuron_trace_shows_values_local_derivatives_and_leaf_gradients():
    v = neuron()
    trace = trace_backward(v["o"], names=v)
    first = trace.steps[0]  # the engine starts at tanh
    assert first.op.symbol == "tanh" and first.header().startswith("o = tanh(n)")
    assert first.forward_text() == "n = 0.8814  ->  o = 0.7071"
    (c,) = first.contributions
    assert c.to.name == "n" and float(c.local_value) == pytest.approx(0.5)
    lines = first.lines()
    assert "        local  d tanh(n)/dn = 1 - tanh(n)^2 = 1 - 0.7071^2 = 0.5" in lines
    assert "        do/dn = local × g = 0.5 × 1 = 0.5" in lines

    by_output = {s.outputs[0].name: s for s in trace.steps}
    mul = by_output["x1*w1"]
    assert mul.forward_text() == "x1 = 2, w1 = -3  ->  x1*w1 = -6"
    to = {c.to.name: c for c in mul.contributions}
    assert "d(x1*w1)/dx1 = w1 = -3" in to["x1"].local_formula
    assert float(to["x1"].gradient) == pytest.approx(-1.5)
    assert float(to["w1"].gradient) == pytest.approx(1.0)

    text = str(trace)
    leaves = text.split("Leaf gradients")[1]
    for name, g in [("x1", "-1.5"), ("w1", "1"), ("x2", "0.5"), ("w2", "0"), ("b", "0.5")]:
        assert f"do/d{name} = {g}\n" in leaves + "\n"
    assert v["x1"].grad is None  # the trace writes no .grad
    v["o"].backward()
    grads = [v[k].grad.item() for k in ("x1", "w1", "x2", "w2", "b")]
    np.testing.assert_allclose(grads, [-1.5, 1.0, 0.5, 0.0, 0.5], atol=1e-12)


def test_neuron_graph_shows_name_data_and_grad_on_every_value():
    v = neuron()
    g = draw_graph(v["o"], names=v)
    assert all(len(b.lines) == 2 and b.lines[1].startswith("data") for b in g.nodes
               if b.kind != "op")  # before backward: no gradients
    v["o"].backward(retain_graph=True)
    g = draw_graph(v["o"], names=v)
    boxes = boxes_by_name(g)
    assert boxes["x1"].lines == ["x1", "data 2", "grad -1.5"]
    assert boxes["w2"].lines == ["w2", "data 1", "grad 0"]
    assert boxes["x1*w1"].lines == ["x1*w1", "data -6", "grad 0.5"]
    assert boxes["n"].lines == ["n", "data 0.8814", "grad 0.5"]
    assert boxes["o"].lines == ["o", "data 0.7071", "grad 1"] and boxes["o"].kind == "root"
    assert boxes["x1"].kind == "leaf" and boxes["x1"].bold_first
    assert sorted(b.lines[0] for b in g.nodes if b.kind == "op") == ["*", "*", "+", "+", "tanh"]
    # no 0/1 edge labels on commutative ops, no () or dtype on scalars
    assert all(e.label is None for e in g.edges)
    assert "()" not in g.source and "float64" not in g.source
    assert "float64" in draw_graph(v["o"], names=v, details=True).source


# ------------------------------------------------------------------ constants, names
def test_constants_and_inputs_without_grad_are_nodes_of_their_own():
    x = tl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x * 2 + 1).relu()
    g = draw_graph(y, names={"x": x})
    consts = [b for b in g.nodes if b.kind == "const"]
    assert sorted(b.lines for b in consts) == [["1"], ["2"]]
    ops = {b.id: b.lines[0] for b in g.nodes if b.kind == "op"}
    into = {ops[e.dst]: e.src for e in g.edges if e.dst in ops}
    by_id = {b.id: b for b in g.nodes}
    assert by_id[into["*"]].kind in ("leaf", "const") and by_id[into["+"]].kind in (
        "value", "const")
    assert {by_id[e.src].lines[0] for e in g.edges if e.dst in ops} >= {"2", "1"}


def test_model_parameters_data_and_target_are_named():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    X, y = tl.randn(4, 2), tl.tensor([0, 1, 1, 0])
    loss = F.cross_entropy(model(X), y)
    g = draw_graph(loss, names={"X": X, "y": y}, model=model)
    boxes = boxes_by_name(g)
    assert {"X", "y", "0.weight", "0.bias", "2.weight", "2.bias"} <= set(boxes)
    assert boxes["X"].kind == "const" and boxes["y"].kind == "const"
    assert boxes["y"].lines[1] == "data [0, 1, 1, 0]"
    assert boxes["X"].lines[1:] == ["data (4, 2)", fmt_array(X.numpy())[len("(4, 2) "):]]
    assert boxes["0.weight"].kind == "leaf"


def test_intermediates_can_be_named_and_locals_works():
    a, b = f64(2.0), f64(-3.0)
    c = f64(10.0)
    e = a * b
    d = e + c
    f = f64(-2.0)
    L = d * f
    trace = trace_backward(L, names=locals())  # non-tensors in locals() are skipped
    assert [s.outputs[0].name for s in trace.steps] == ["L", "d", "e"]
    assert "e = a*b" in trace.steps[2].header() and trace.grad("e") == pytest.approx(-2.0)
    assert trace.grad("a") == pytest.approx(6.0)
    with pytest.raises(TypeError, match="names: expected a mapping"):
        draw_graph(L, names=[a, b])


# ------------------------------------------------------------------ tensors, sums, custom ops
def test_contributions_from_several_consumers_are_summed_in_the_trace():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    loss = (a * a + a).sum()
    text = str(trace_backward(loss, names={"a": a}))
    assert "dL/da = [1, 1] (step 2, +) + [1, 2] (step 3, *) + [1, 2] (step 3, *) = [3, 5]" \
        in text
    assert "(argument 1)" in text and "(argument 2)" in text
    loss.backward()
    assert a.grad.tolist() == [3.0, 5.0]


def test_intermediate_sum_is_written_at_the_upstream_line():
    x = f64(3.0)
    h = x * 2.0
    loss = h * h + h
    trace = trace_backward(loss, names={"x": x, "h": h, "loss": loss})
    step = next(s for s in trace.steps if s.outputs[0].name == "h")
    (up,) = step.upstream_texts()
    assert up.startswith("dloss/dh = ") and up.endswith(" = 13")  # 2h + 1 at h = 6
    assert up.count("(step") == 3


def test_broadcast_products_are_summed_back():
    b = tl.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    c = tl.tensor([[1.0], [2.0]], requires_grad=True)
    trace = trace_backward((b * c).sum(), names={"b": b, "c": c})
    mul = trace.steps[1]
    to_b = next(x for x in mul.contributions if x.to.name == "b")
    assert to_b.summed and to_b.gradient.tolist() == [[3.0, 3.0, 3.0]]
    assert "summed over the broadcast dimensions = [[3, 3, 3]]" in str(mul)


def test_large_tensors_are_shown_as_shape_and_summary():
    x = tl.randn(10, 10, requires_grad=True)
    trace = trace_backward(x.tanh().sum(), names={"x": x})
    text = str(trace)
    assert "(10, 10) mean" in text and "element by element" in text
    g = draw_graph(x.tanh().sum(), names={"x": x})
    assert boxes_by_name(g)["x"].lines[1] == "data (10, 10)"


class Cube(tl.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_a_user_function_shows_its_backward_as_a_custom_rule():
    a = tl.tensor([1.0, 2.0], requires_grad=True)
    trace = trace_backward(Cube.apply(a).sum(), names={"a": a})
    step = trace.steps[1]
    assert step.op.custom and "custom Function Cube" in step.header()
    assert "custom rule: Cube.backward (your code) gives" in str(step)
    assert step.contributions[0].gradient.tolist() == [3.0, 12.0]


def test_vanishing_gradients_are_shown_with_significant_digits():
    x = f64(0.5)
    h = x
    for _ in range(8):
        h = (h * 4).sigmoid()
    trace = trace_backward(h, names={"x": x})
    assert str(trace).rstrip().endswith("dL/dx = 9.46e-09")
    h.backward()
    assert fmt_number(x.grad.item()) == "9.46e-09"
    assert fmt_number(1e-300) == "1e-300" and fmt_number(-4.9152e-05) == "-4.92e-05"
    assert fmt_number(0.88137) == "0.8814" and fmt_number(-6.0) == "-6"


# ------------------------------------------------------------------ the formula table
def _cases():
    r = np.random.default_rng(0)
    a = r.standard_normal((2, 3))
    pos = np.abs(a) + 0.5
    return [
        ("Add", lambda x, y: x + y, a, a[:1]), ("Sub", lambda x, y: x - y, a, a[:1]),
        ("Mul", lambda x, y: x * y, a, a[:1]), ("Div", lambda x, y: x / y, a, pos[:1]),
        ("Pow", lambda x, y: x ** y, pos, a[:1]), ("Pow", lambda x: x ** 3.0, a, None),
        ("Pow", lambda x: 2.0 ** x, a, None), ("Neg", lambda x: -x, a, None),
        ("Exp", lambda x: x.exp(), a, None), ("Log", lambda x: x.log(), pos, None),
        ("Log1p", lambda x: x.log1p(), pos, None), ("Expm1", lambda x: x.expm1(), a, None),
        ("Sqrt", lambda x: x.sqrt(), pos, None), ("Rsqrt", lambda x: x.rsqrt(), pos, None),
        ("Reciprocal", lambda x: x.reciprocal(), pos, None),
        ("Sin", lambda x: x.sin(), a, None), ("Cos", lambda x: x.cos(), a, None),
        ("Tan", lambda x: x.tan(), a * 0.5, None), ("Tanh", lambda x: x.tanh(), a, None),
        ("Sigmoid", lambda x: x.sigmoid(), a, None), ("Relu", lambda x: x.relu(), a, None),
        ("LeakyRelu", lambda x: x.leaky_relu(0.1), a, None),
        ("Elu", lambda x: F.elu(x), a, None), ("Softplus", lambda x: F.softplus(x), a, None),
        ("Erf", lambda x: x.erf(), a, None), ("Gelu", lambda x: F.gelu(x), a, None),
        ("Abs", lambda x: x.abs(), a, None),
        ("Sign", lambda x: x.sign(), a, None), ("Clamp", lambda x: x.clamp(-0.5, 0.5), a, None),
        ("Maximum", lambda x, y: tl.maximum(x, y), a, a[::-1]),
        ("Minimum", lambda x, y: tl.minimum(x, y), a, a[::-1]),
        ("Where", lambda x, y: tl.where(x > 0, x, y), a, a[:1]),
        ("Sum", lambda x: x.sum(1), a, None), ("Sum", lambda x: x.sum(0, keepdim=True), a, None),
        ("LogSumExp", lambda x: x.logsumexp(1), a, None), ("Amax", lambda x: x.amax(0), a, None),
        ("Nansum", lambda x: x.nansum(1), np.where(a > 0.8, np.nan, a), None),
        ("Amin", lambda x: x.amin(1, keepdim=True), a, None),
    ]


@pytest.mark.parametrize("op,fn,a,b", _cases(), ids=[c[0] for c in _cases()])
def test_every_local_derivative_in_the_table_agrees_with_the_ops_backward(op, fn, a, b):
    """The trace shows a local derivative only when local x upstream (summed back over
    broadcasting) equals what the op's backward sent; so each must be shown here."""
    x = f64(a)
    args = (x,) if b is None else (x, f64(b))
    w = f64(np.random.default_rng(1).standard_normal(fn(*args).shape))  # a non-trivial g
    trace = trace_backward((fn(*args) * w).sum())
    steps = [s for s in trace.steps if s.op.fn.__name__ == op]
    assert steps, f"no {op} node in the graph"
    for s in steps:
        for c in s.contributions:
            if c.arg in RULES[op].local:
                assert c.local_formula is not None, (op, c.arg, str(s))


def test_ops_without_a_local_formula_show_their_rule_and_numbers():
    x, w = f64(np.ones((2, 3))), f64(np.full((3, 2), 0.5))
    trace = trace_backward((x @ w).softmax(1).sum())
    text = str(trace)
    assert "rule   dL/dx = g @ wᵀ" not in text  # unnamed: the names are leaf1, leaf2
    assert "g @ leaf2ᵀ" in text and "s*(g - sum(g*s))" in text


def test_decomposed_cross_entropy_traces_to_the_fused_gradient():
    """softmax -> log -> NLL written out: every step is drawn and its gradient equals the
    fused cross_entropy's."""
    logits = f64(np.random.default_rng(0).standard_normal((3, 4)))
    target = tl.tensor([1, 0, 3])
    onehot = tl.tensor(np.eye(4)[[1, 0, 3]])
    p = logits.exp() / logits.exp().sum(1, keepdim=True)
    loss = -(onehot * p.log()).sum() / 3.0
    trace = trace_backward(loss, names={"logits": logits, "onehot": onehot})
    ops = {s.op.fn.__name__ for s in trace.steps}
    assert {"Exp", "Sum", "Div", "Log", "Mul", "Neg"} <= ops
    fused = F.cross_entropy(logits, target)
    fused.backward()
    np.testing.assert_allclose(trace.grad("logits"), logits.grad.numpy(), rtol=1e-10)


# ------------------------------------------------------------------ stepping, errors
def test_step_backward_yields_one_engine_step_at_a_time():
    v = neuron()
    steps = step_backward(v["o"], names=v)
    first = next(steps)
    assert first.index == 1 and first.node is v["o"].grad_fn
    assert set(first.accumulated) == {"o", "n"} and first.accumulated["n"] == pytest.approx(0.5)
    rest = list(steps)
    assert [s.index for s in rest] == [2, 3, 4, 5]
    assert rest[-1].accumulated["x1"] == pytest.approx(-1.5)
    assert "x1" not in rest[0].accumulated  # not reached yet after step 2
    assert v["x1"].grad is None


def test_a_freed_graph_gives_the_same_clear_message_everywhere():
    x = f64([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    for fn in (draw_graph, trace_backward, step_backward):
        with pytest.raises(RuntimeError, match=r"freed by backward\(\).*"
                           r"retain_graph=True"):
            fn(loss)
    with pytest.raises(ValueError, match="no graph"):
        draw_graph(x)


def test_html_forms_are_well_formed():
    v = neuron()
    trace = trace_backward(v["o"], names=v)
    root = ET.fromstring(f"<div>{trace._repr_html_()}</div>")
    cells = [td.text for td in root.iter("td")]
    assert "o = tanh(n)    [tanh]" in cells and "d tanh(n)/dn = 1 - tanh(n)^2 = 1 - " \
        "0.7071^2 = 0.5" in " ".join(c or "" for c in cells)
    ET.fromstring(f"<div>{trace.steps[0]._repr_html_()}</div>")


# ------------------------------------------------------------------ rendering
def _no_dot(monkeypatch):
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "dot" else real(name))


@pytest.mark.parametrize("direction", ["LR", "BT", "TB", "RL"])
def test_builtin_svg_is_well_formed_and_has_every_node(monkeypatch, direction):
    _no_dot(monkeypatch)
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3))
    X, y = tl.randn(5, 2), tl.tensor([0, 2, 1, 1, 0])
    loss = F.cross_entropy(model(X), y) + 0.01 * (model[0].weight ** 2).sum()
    g = draw_graph(loss, names={"X": X, "y": y}, model=model, direction=direction,
                   show_grad=True)
    svg = g._repr_svg_()  # no graphviz: the built-in layout
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    groups = {el.get("id"): el for el in root.iter(f"{ns}g")}
    assert set(groups) == {b.id for b in g.nodes}
    for b in g.nodes:
        texts = [t.text for t in groups[b.id].iter(f"{ns}text")]
        assert texts == b.lines
    assert len(list(root.iter(f"{ns}path"))) == len(g.edges)
    boxes = {b.id: b for b in g.nodes}
    root_box = next(b for b in g.nodes if b.kind == "root")
    x_box = boxes_by_name(g)["X"]
    along = {"LR": root_box.x > x_box.x, "RL": root_box.x < x_box.x,
             "TB": root_box.y > x_box.y, "BT": root_box.y < x_box.y}
    assert along[direction]  # the output is at the far end of the flow
    for e in g.edges:  # edges flow one way along the layer axis
        s, d = boxes[e.src], boxes[e.dst]
        assert {"LR": s.x < d.x, "RL": s.x > d.x, "TB": s.y < d.y, "BT": s.y > d.y}[direction]


def test_builtin_layout_boxes_do_not_overlap(monkeypatch):
    _no_dot(monkeypatch)
    x = tl.randn(3, requires_grad=True)
    h = x
    for k in range(12):
        h = (h * (k + 1.0)).tanh() + h
    g = draw_graph(h.sum(), names={"x": x})
    g.svg()
    for i, a in enumerate(g.nodes):
        for b in g.nodes[i + 1:]:
            apart = abs(a.x - b.x) >= (a.w + b.w) / 2 or abs(a.y - b.y) >= (a.h + b.h) / 2
            assert apart, (a.lines, b.lines)


def test_graph_saves_svg_png_and_dot_without_graphviz(tmp_path, monkeypatch):
    _no_dot(monkeypatch)
    v = neuron()
    g = draw_graph(v["o"], names=v)
    assert isinstance(g, Graph) and str(g) == g.source and g.source.startswith("digraph")
    g.save(tmp_path / "n.svg")
    ET.parse(tmp_path / "n.svg")
    g.save(tmp_path / "n.dot")
    assert (tmp_path / "n.dot").read_text() == g.source
    with pytest.raises(RuntimeError, match="needs the Graphviz program 'dot'"):
        g.svg(engine="graphviz")
    with pytest.raises(ValueError, match=r"\.pdf needs the Graphviz program"):
        g.save(tmp_path / "n.pdf")
    pytest.importorskip("matplotlib")
    g.save(tmp_path / "n.png")
    assert (tmp_path / "n.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_direction_is_a_clear_error():
    x = f64(1.0)
    with pytest.raises(ValueError, match="direction must be one of"):
        draw_graph(x * 2, direction="up")


def test_graphviz_renders_the_same_graph_when_installed():
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("the Graphviz program 'dot' is not installed (the built-in layout is "
                    "tested above)")
    v = neuron()
    svg = draw_graph(v["o"], names=v).svg(engine="graphviz")
    assert "0.7071" in svg and "tanh" in svg


def test_linear_and_transpose_read_as_their_formulas():
    layer = nn.Linear(2, 1)
    x = tl.tensor([[1.0, -2.0]], requires_grad=True)
    loss = layer(x).sum()
    loss.backward(retain_graph=True)
    text = str(trace_backward(loss, names={"x": x}, model=layer))
    assert "x @ weightᵀ + bias" in text  # the fused F.linear node, not a bare "x @ weight"
    assert "dL/dx = g @ weight" in text and "dL/dweight = gᵀ @ x" in text
    assert "dL/dbias = g summed over the rows" in text
    w = tl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x @ w.T).sum()
    assert "wᵀ" in str(trace_backward(y, names={"x": x, "w": w}))  # a permute is not "w" again

"""Function.apply_pair (the two-tensor path of `x + y`, `x * w`, ...) and
Function.apply_with_number (`x * 0.5`, `1 - p`) against Function.apply, their readable
reference: the same node, edges, constant inputs, output and gradients in every case the loop
of apply distinguishes."""
import itertools

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr.graph.function import _Unrecorded
from tinygrad_lr.ops import elementwise as E

OPS = [E.Add, E.Sub, E.Mul, E.Div, E.Pow, E.Maximum, E.Minimum, E.Atan2]


def _inputs(kind_a, kind_b, dtype, rng):
    """Two (2, 3) tensors; a kind is 'leaf' (requires grad), 'const', 'node' (made by an
    op), 'view' (a view of a leaf's result) or 'stale view' (its base changed in place)."""
    def make(kind):
        data = rng.uniform(0.5, 2.0, (2, 3)).astype(dtype)
        if kind == "const":
            return tl.tensor(data)
        leaf = tl.tensor(data, requires_grad=True)
        if kind == "leaf":
            return leaf
        node = leaf * 1.5
        if kind == "node":
            return node
        view = node[0:2]
        if kind == "stale view":
            node.mul_(1.0)  # the base's history changes after the view was taken
        return view
    return make(kind_a), make(kind_b)


def _node_summary(t):
    node = t.grad_fn
    if node is None:
        return None
    return (type(node).__name__, node.needs_input_grad,
            [None if e is None else (id(e[0]), e[1]) for e in node.edges],
            [(i, id(v)) for i, v in node.const_inputs], list(node.hidden_args),
            [(type(n).__name__ if n is not None else None, nr) for n, nr in node.next_functions])


def _same_result(op, a, b, fast=None):
    ours, ref = (fast or op.apply_pair)(a, b), op.apply(a, b)
    assert type(ours) is type(ref)
    assert ours.dtype == ref.dtype and ours.requires_grad == ref.requires_grad
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert _node_summary(ours) == _node_summary(ref)
    return ours, ref


KINDS = ["leaf", "const", "node", "view", "stale view"]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("kind_a,kind_b", list(itertools.product(KINDS, KINDS)))
def test_apply_pair_records_what_apply_records(op, kind_a, kind_b):
    rng = np.random.default_rng(0)
    a, b = _inputs(kind_a, kind_b, np.float64, rng)
    ours, ref = _same_result(op, a, b)
    if not ours.requires_grad:
        return
    leaves = [t for t in (a, b) if t.requires_grad]
    grads_ours = tl.autograd.grad(ours.sum(), leaves, retain_graph=True, allow_unused=True)
    grads_ref = tl.autograd.grad(ref.sum(), leaves, retain_graph=True, allow_unused=True)
    for g1, g2 in zip(grads_ours, grads_ref):
        np.testing.assert_array_equal(g1.numpy(), g2.numpy())


@pytest.mark.parametrize("op", [E.Add, E.Mul, E.Maximum], ids=lambda op: op.__name__)
@pytest.mark.parametrize("float_first", [True, False])
def test_apply_pair_hides_an_integer_tensor_as_apply_does(op, float_first):
    x = tl.tensor(np.ones((2, 3)), requires_grad=True)
    i = tl.tensor(np.arange(6).reshape(2, 3))
    ours, _ = _same_result(op, *((x, i) if float_first else (i, x)))
    assert ours.grad_fn.hidden_args == [1 if float_first else 0]
    _same_result(op, i, i)  # neither needs a gradient: no node


def test_apply_pair_of_the_same_tensor_twice():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    ours, _ = _same_result(E.Mul, x, x)
    ours.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_apply_pair_records_nothing_without_grad_mode():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with tl.no_grad():
        ours, _ = _same_result(E.Add, x, x)
    assert ours.grad_fn is None and not ours.requires_grad


def test_apply_pair_checks_for_nan_under_anomaly_detection():
    x = tl.tensor([0.0], requires_grad=True)
    with tl.autograd.detect_anomaly(), np.errstate(invalid="ignore"), \
            pytest.raises(FloatingPointError, match="Div forward produced NaN"):
        E.Div.apply_pair(x, x)


def test_apply_pair_keeps_the_output_for_ops_that_need_it():
    class KeepsOutput(E.Add):
        keep_output = True
    x, y = tl.tensor([1.0], requires_grad=True), tl.tensor([2.0])
    out = KeepsOutput.apply_pair(x, y)
    assert out.grad_fn.out_data is out._data and out.grad_fn.out_version is out._version


def test_the_unrecorded_context_needs_nothing():
    assert _Unrecorded(E.Mul).needs_input_grad == ()


NUMBER_OPS = [E.Add, E.Sub, E.Mul, E.Div, E.Pow, E.Maximum, E.Minimum]


@pytest.mark.parametrize("op", NUMBER_OPS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("number", [0.5, 2, True])
@pytest.mark.parametrize("number_first", [False, True])
def test_apply_with_number_records_what_apply_records(op, kind, number, number_first):
    t, _ = _inputs(kind, "const", np.float64, np.random.default_rng(1))
    a, b = (number, t) if number_first else (t, number)
    ours, ref = _same_result(op, a, b, fast=op.apply_with_number)
    if ours.requires_grad:
        leaf = t if t.grad_fn is None else None
        if leaf is not None:
            g1, = tl.autograd.grad(ours.sum(), [leaf], retain_graph=True)
            g2, = tl.autograd.grad(ref.sum(), [leaf], retain_graph=True)
            np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_apply_with_number_under_no_grad_and_anomaly_detection():
    x = tl.tensor([1.0, 0.0], requires_grad=True)
    with tl.no_grad():
        ours, _ = _same_result(E.Mul, x, 3.0, fast=E.Mul.apply_with_number)
    assert ours.grad_fn is None
    with tl.autograd.detect_anomaly(), np.errstate(divide="ignore"), \
            pytest.raises(FloatingPointError, match="Div forward produced"):
        E.Div.apply_with_number(1.0, x)


def test_the_operators_take_the_written_out_paths(monkeypatch):
    """`x + y` and `x * 0.5` never reach the general apply (which would still give the same
    node: this checks only that the fast paths are the ones used)."""
    from tinygrad_lr.graph.function import Function

    def refuse(cls, *args, **kwargs):
        raise AssertionError(f"{cls.__name__} went through Function.apply")
    x, w = tl.tensor([1.0, 2.0], requires_grad=True), tl.tensor([3.0, 4.0])
    monkeypatch.setattr(Function, "apply", classmethod(refuse))
    for y, name in ((x * 0.5, "MulBackward0"), (1 - x, "RsubBackward1"), (x + 1, "AddBackward0"),
                    (2 / x, "MulBackward0"), (x * w, "MulBackward0"), (x - w, "SubBackward0")):
        assert y.grad_fn.name() == name

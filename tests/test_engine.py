"""The backward engine and the autograd API: the things small engines get wrong."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TAF

import tinygrad_lr as tl
from tinygrad_lr.autograd import (
    Function,
    GradcheckError,
    grad,
    gradcheck,
    gradcheck_report,
    gradgradcheck,
    hessian,
    hvp,
    jacobian,
    jvp,
    vjp,
)


def f64(values, requires_grad=True):
    return tl.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------- graph shapes
def test_node_used_twice_accumulates():
    x = f64([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_diamond_graph_matches_torch():
    def f(x):
        y = x.exp()
        a, b = y * 2.0, y.sin()
        return (a * b + a - b).sum()

    x = f64([0.1, -0.5, 0.7])
    xt = torch.tensor(x.numpy(), requires_grad=True)
    f(x).backward()
    f(xt).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_gradient_of_intermediate_used_by_later_nodes():
    # y feeds z directly and through w: its node must wait for both before running
    x = f64([2.0])
    y = x * 3.0
    w = y * y
    z = (w + y).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 * (2 * 6.0 + 1)])


def test_deep_chain_of_20000_ops():
    x = f64([1.0])
    y = x
    for _ in range(20000):
        y = y * 1.0001
    y.sum().backward()  # an iterative walk: no RecursionError
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 20000], rtol=1e-9)


# ---------------------------------------------------------------- retain_graph
def test_backward_twice_without_retain_graph_is_an_error():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_backward_twice_with_retain_graph_accumulates():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_third_derivative_with_create_graph():
    x = f64([1.5, -2.0])
    y = (x ** 4).sum()
    (g1,) = grad(y, x, create_graph=True)
    (g2,) = grad(g1.sum(), x, create_graph=True)
    (g3,) = grad(g2.sum(), x)
    np.testing.assert_allclose(g1.numpy(), 4 * x.numpy() ** 3)
    np.testing.assert_allclose(g2.numpy(), 12 * x.numpy() ** 2)
    np.testing.assert_allclose(g3.numpy(), 24 * x.numpy())


def test_backward_create_graph_gives_differentiable_grad():
    x = f64([0.3, 0.8])
    (x.sin() * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    xn = x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(xn) - xn * np.sin(xn))


# ---------------------------------------------------------------- hooks, retain_grad
def test_leaf_hook_sees_and_replaces_gradient():
    x = f64([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])


def test_non_leaf_hook_replacement_flows_upstream():
    x = f64([1.0, 2.0])
    y = x * 2.0
    y.register_hook(lambda g: g * 0.5)
    (y * y).sum().backward()
    # dL/dy = 2y, halved by the hook, times dy/dx = 2
    np.testing.assert_allclose(x.grad.numpy(), 2 * y.numpy())


def test_hook_handle_remove():
    x = f64([1.0])
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_retain_grad_on_non_leaf():
    x = f64([1.0, 2.0])
    y = x * 3.0
    y.retain_grad()
    z = y * 2.0
    z.sum().backward()
    assert y.retains_grad
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 2.0])
    assert z.grad is None  # not retained
    y.grad.zero_()  # a gradient of its own, writable even though sum's backward broadcasts
    assert y.grad.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- grad mode
def test_no_grad_enable_grad_set_grad_enabled_as_context_managers():
    x = f64([1.0])
    with tl.no_grad():
        assert not tl.is_grad_enabled()
        assert not (x * 2.0).requires_grad
        with tl.enable_grad():
            assert (x * 2.0).requires_grad
    with tl.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert tl.is_grad_enabled() and (x * 2.0).requires_grad


def test_grad_mode_decorators():
    x = f64([1.0])

    @tl.no_grad()
    def off():
        return x * 2.0

    @tl.enable_grad()
    def on():
        return x * 2.0

    @tl.set_grad_enabled(False)
    def off_too():
        return x * 2.0

    assert tl.is_grad_enabled()  # defining set_grad_enabled as decorator changed nothing
    assert not off().requires_grad and not off_too().requires_grad
    with tl.no_grad():
        assert on().requires_grad
    assert tl.is_grad_enabled()


def test_set_grad_enabled_as_a_call():
    try:
        tl.set_grad_enabled(False)
        assert not tl.is_grad_enabled()
    finally:
        tl.set_grad_enabled(True)
    assert tl.is_grad_enabled()


def test_detach():
    x = f64([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    y = x.detach()
    assert np.shares_memory(y.numpy(), x.numpy())


# ---------------------------------------------------------------- in-place rules
def test_manual_sgd_step_under_no_grad_keeps_the_leaf():
    w = f64([1.0, 2.0])
    (w * w).sum().backward()
    before = id(w)
    with tl.no_grad():
        w -= 0.1 * w.grad
    assert id(w) == before and w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])


def test_inplace_on_leaf_requiring_grad_is_an_error():
    w = f64([1.0, 2.0])
    for op in (lambda: w.__iadd__(1.0), lambda: w.mul_(2.0), lambda: w.zero_()):
        with pytest.raises(RuntimeError, match="in-place .* leaf tensor that requires grad"):
            op()


def test_inplace_on_a_non_leaf_is_recorded_as_in_pytorch():
    x = f64([1.0, -2.0])
    c = x * 2.0
    c += c + 1  # the example: d/dx (2 * 2x + 1) = 4
    assert c.grad_fn.name() == "AddBackward0"
    c.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_modifying_a_saved_tensor_makes_backward_name_the_op():
    x = f64([1.0, 2.0])
    w = f64([3.0, 4.0], requires_grad=False)
    y = (x * w).sum()
    w += 1.0
    with pytest.raises(RuntimeError, match="MulBackward.*modified in place"):
        y.backward()


@pytest.mark.parametrize("op", ["mul", "div", "rdiv"])
@pytest.mark.parametrize("changed", ["tensor", "its partner"])
def test_a_factor_is_saved_only_for_its_partners_gradient_as_in_pytorch(op, changed):
    """x * w keeps w for x's gradient and x only for w's (a / w: w always, a only for w's),
    as PyTorch's autograd does: changing a value that no gradient needs is no error, and
    changing one that is needed raises in both libraries."""
    def run(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 2.0  # a non-leaf, so it may be changed in place
        w = lib.tensor([3.0, 4.0], dtype=lib.float64)
        z = {"mul": lambda: y * w, "div": lambda: y / w, "rdiv": lambda: w / y}[op]()
        (y if changed == "tensor" else w).add_(1.0)
        try:
            z.sum().backward()
        except RuntimeError as e:
            return e
        return x.grad.numpy()
    ours, theirs = run(tl), run(torch)
    if isinstance(theirs, Exception):
        assert isinstance(ours, RuntimeError) and "modified in place" in str(ours)
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_modifying_a_view_of_a_saved_tensor_is_seen():
    x = f64([0.5, 1.0])
    y = x.sin().sum()
    with tl.no_grad():
        x[0] = 2.0  # same storage as the tensor SinBackward saved
    with pytest.raises(RuntimeError, match="SinBackward.*modified in place"):
        y.backward()


def test_nodes_run_newest_first_after_all_their_consumers():
    """The walk takes the node with the highest sequence number (PyTorch's
    `grad_fn._sequence_nr()`, the order of creation) among those that have a gradient: in a
    diamond and a chain with a side branch, every node runs after all its consumers."""
    from tinygrad_lr.graph.engine import backward_steps

    x = f64([1.0, 2.0])
    a = x * 2.0
    b, c = a.exp(), a.sin()       # a diamond: a feeds b and c
    d = b * c + a                 # ... and d reads a again
    e = d.sum()
    order = [step.node for step in backward_steps([e], [tl.ones_like(e)])]
    numbers = [node._sequence_nr() for node in order]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == len(numbers)
    assert order[-1] is a.grad_fn and order[0] is e.grad_fn
    assert a.grad_fn._sequence_nr() < b.grad_fn._sequence_nr() < d.grad_fn._sequence_nr()
    e.backward()
    expected = 2 * (np.exp(2 * x.numpy()) * (np.sin(2 * x.numpy()) + np.cos(2 * x.numpy())) + 1)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


# ---------------------------------------------------------------- custom Function
class HalfSquaredError(Function):
    """A hand-written loss: 0.5 * sum((pred - target)^2) / n."""

    @staticmethod
    def forward(ctx, pred, target):
        ctx.save_for_backward(pred, target)
        diff = pred - target
        return (diff * diff).sum() * (0.5 / pred.numel())

    @staticmethod
    def backward(ctx, g):
        pred, target = ctx.saved_tensors
        d = (pred - target) * (1.0 / pred.numel()) * g
        return (d if ctx.needs_input_grad[0] else None,
                -d if ctx.needs_input_grad[1] else None)


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x * 3.0  # should be 2x


def test_custom_function_matches_torch_and_sets_needs_input_grad():
    rng = np.random.default_rng(0)
    p, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    pred, target = f64(p), f64(t, requires_grad=False)
    loss = HalfSquaredError.apply(pred, target)
    assert loss.grad_fn.needs_input_grad == (True, False)
    loss.backward()
    pt = torch.tensor(p, requires_grad=True)
    (0.5 * ((pt - torch.tensor(t)) ** 2).mean()).backward()
    np.testing.assert_allclose(loss.item(), 0.5 * ((p - t) ** 2).mean())
    np.testing.assert_allclose(pred.grad.numpy(), pt.grad.numpy(), rtol=1e-12)


def _seen_in_forward(lib):
    """ctx.needs_input_grad as a custom Function's forward sees it, with grad mode on and
    off (PyTorch's says which inputs require grad either way), for an input that requires
    grad, one that does not, and a number."""
    seen = []

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            seen.append(tuple(ctx.needs_input_grad))
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    x, y = lib.ones(3, requires_grad=True), lib.ones(3)
    Scale.apply(x, y, 2.0)
    with lib.no_grad():
        Scale.apply(x, y, 2.0)
    return seen


def test_custom_function_sees_needs_input_grad_in_forward_as_torch():
    assert _seen_in_forward(tl) == _seen_in_forward(torch) == [(True, False, False)] * 2


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(1)
    inputs = [f64(rng.standard_normal((3, 2))), f64(rng.standard_normal((3, 2)))]
    assert gradcheck(HalfSquaredError.apply, inputs)
    assert gradgradcheck(HalfSquaredError.apply, inputs)


class SinCos(Function):
    """Two outputs; backward gets one gradient per output (zeros for an unused one)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin(), x.cos()

    @staticmethod
    def backward(ctx, g_sin, g_cos):
        (x,) = ctx.saved_tensors
        return g_sin * x.cos() - g_cos * x.sin()


def test_custom_function_with_two_outputs():
    x = f64([0.3, -1.2])
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn and s.requires_grad
    (s * 2.0).sum().backward()  # only one output used
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(x.numpy()))
    assert gradcheck(lambda t: SinCos.apply(t), [f64([0.3, -1.2])])
    assert gradgradcheck(lambda t: SinCos.apply(t), [f64([0.3, -1.2])])


def test_custom_function_returning_the_wrong_number_of_gradients():
    class TwoInputs(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="TwoInputsBackward returned 1 gradients, but its forward took 2"):
        TwoInputs.apply(f64([1.0]), f64([2.0])).sum().backward()


def test_gradcheck_rejects_a_wrong_gradient_with_a_useful_message():
    x = f64([[1.0, 2.0], [3.0, -1.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, [x])
    msg = str(info.value)
    assert "input 0" in msg and "element (1, 0)" in msg  # |3x - 2x| is largest at x=3
    assert "numerical: 6" in msg and "analytic:  9" in msg and "relative error" in msg


def test_gradcheck_raise_exception_false_returns_false():
    assert gradcheck(WrongSquare.apply, [f64([1.0, 2.0])], raise_exception=False) is False
    assert gradcheck(lambda x: x * x, [f64([1.0, 2.0])], raise_exception=False) is True


def test_gradcheck_warns_on_float32():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not float64"):
        assert gradcheck(lambda t: t * 2.0, [x], eps=1e-2, atol=1e-2, rtol=1e-2)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2.0, [f64([1.0], requires_grad=False)])


def test_gradcheck_leaves_the_inputs_as_they_were():
    data = np.random.default_rng(0).random((2, 3)).T  # not contiguous
    x = tl.Tensor(data, requires_grad=True)  # shares the array
    before = data.copy()
    assert gradcheck(lambda a: a.exp().sum(1), [x])
    assert x.numpy() is data
    np.testing.assert_array_equal(data, before)


def test_gradcheck_ignores_non_tensor_and_integer_arguments():
    x = f64([[1.0, 2.0], [0.5, -1.0]])
    assert gradcheck(lambda a, k: (a * k, a.argmax(1)), [x, 3.0])
    assert gradcheck(lambda a, b: a * b, [x, f64([1.0, 2.0], requires_grad=False)])


def test_gradcheck_report():
    report = gradcheck_report(lambda a, b: a * b.exp(), [f64([1.0, 2.0]), f64([0.5])])
    assert report.passed and bool(report)
    assert [r.index for r in report.inputs] == [0, 1]
    assert report.inputs[1].shape == (1,) and report.inputs[0].max_abs_error < 1e-6
    assert "passed" in str(report)
    bad = gradcheck_report(WrongSquare.apply, [f64([1.0, 2.0])])
    assert not bad.passed and "FAIL" in str(bad)
    assert bad.inputs[0].worst_element[1] == (1,)


# ---------------------------------------------------------------- functional API
def test_grad_allow_unused_and_create_graph():
    x, y = f64([1.0, 2.0]), f64([3.0])
    out = (x * x).sum()
    with pytest.raises(RuntimeError, match="input 1 .* not used.*allow_unused=True"):
        grad(out, (x, y), retain_graph=True)
    gx, gy = grad(out, (x, y), allow_unused=True, create_graph=True)
    assert gy is None and gx.requires_grad and x.grad is None
    (ggx,) = grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), [2.0, 2.0])


def test_grad_results_are_writable():
    x = f64([1.0, 2.0])
    (g,) = grad(x.sum(), x)  # sum's backward broadcasts: a read-only view inside the engine
    with tl.no_grad():
        g -= 1.0
    assert g.tolist() == [0.0, 0.0]


def test_grad_errors():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="shape \\(2,\\); pass grad_outputs"):
        grad(x * 2.0, x)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        grad((x * 2.0).sum(), f64([1.0], requires_grad=False))


def _fn_pair():
    def ours(a, b):
        return (a * b.sin()).tanh() + a * a

    def theirs(a, b):
        return (a * b.sin()).tanh() + a * a
    return ours, theirs


A = np.array([0.3, -0.7, 1.1])
B = np.array([0.5, 0.2, -0.4])


def _torch_inputs():
    return torch.tensor(A), torch.tensor(B)


def test_jacobian_matches_torch():
    ours, theirs = _fn_pair()
    J = jacobian(ours, (tl.tensor(A), tl.tensor(B)))
    Jt = TAF.jacobian(theirs, _torch_inputs())
    for j, jt in zip(J, Jt):
        np.testing.assert_allclose(j.numpy(), jt.numpy(), rtol=1e-10, atol=1e-12)
    single = jacobian(lambda a: a.exp() * a.sum(), tl.tensor(A))
    np.testing.assert_allclose(single.numpy(),
                               TAF.jacobian(lambda a: a.exp() * a.sum(), torch.tensor(A)).numpy())


def test_hessian_matches_torch():
    H = hessian(lambda a, b: ((a * b).sin() * a).sum(), (tl.tensor(A), tl.tensor(B)))
    Ht = TAF.hessian(lambda a, b: ((a * b).sin() * a).sum(), _torch_inputs())
    for row, row_t in zip(H, Ht):
        for h, ht in zip(row, row_t):
            np.testing.assert_allclose(h.numpy(), ht.numpy(), rtol=1e-10, atol=1e-12)
    h1 = hessian(lambda a: (a ** 3).sum() * a.sum(), tl.tensor(A))
    ht1 = TAF.hessian(lambda a: (a ** 3).sum() * a.sum(), torch.tensor(A))
    np.testing.assert_allclose(h1.numpy(), ht1.numpy(), rtol=1e-10)


def test_vjp_jvp_hvp_match_torch():
    ours, theirs = _fn_pair()
    v = np.array([1.0, -2.0, 0.5])
    out, (ga, gb) = vjp(ours, (tl.tensor(A), tl.tensor(B)), tl.tensor(v))
    out_t, (ga_t, gb_t) = TAF.vjp(theirs, _torch_inputs(), torch.tensor(v))
    np.testing.assert_allclose(out.numpy(), out_t.numpy())
    np.testing.assert_allclose(ga.numpy(), ga_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), gb_t.numpy(), rtol=1e-12)

    u = (tl.tensor(v), tl.tensor(B))
    _, jv = jvp(ours, (tl.tensor(A), tl.tensor(B)), u)
    _, jv_t = TAF.jvp(theirs, _torch_inputs(), (torch.tensor(v), torch.tensor(B)))
    np.testing.assert_allclose(jv.numpy(), jv_t.numpy(), rtol=1e-12)

    def scalar(a, b):
        return ((a * b).sin() * a).sum()
    _, (ha, hb) = hvp(scalar, (tl.tensor(A), tl.tensor(B)), u)
    _, (ha_t, hb_t) = TAF.hvp(scalar, _torch_inputs(), (torch.tensor(v), torch.tensor(B)))
    np.testing.assert_allclose(ha.numpy(), ha_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(hb.numpy(), hb_t.numpy(), rtol=1e-12)


def test_vjp_jvp_with_several_outputs_match_torch():
    def two(a):
        return a.sin(), (a * a).sum()

    v = (np.array([1.0, -2.0, 0.5]), np.array(2.0))
    out, g = vjp(two, tl.tensor(A), tuple(tl.tensor(x) for x in v))
    out_t, g_t = TAF.vjp(two, torch.tensor(A), tuple(torch.tensor(x) for x in v))
    np.testing.assert_allclose(g.numpy(), g_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out[1].numpy(), out_t[1].numpy())
    _, jv = jvp(two, tl.tensor(A), tl.tensor(B))
    _, jv_t = TAF.jvp(two, torch.tensor(A), torch.tensor(B))
    for j, jt in zip(jv, jv_t):
        np.testing.assert_allclose(j.numpy(), jt.numpy(), rtol=1e-12)
    _, jv_const = jvp(lambda a: a.sum() * 0.0 + 1.0, tl.tensor(A))
    assert jv_const.item() == 0.0


def test_jacobian_create_graph_is_differentiable():
    x = tl.tensor(A)
    J = jacobian(lambda a: a.sin() * a.sum(), x, create_graph=True)
    assert J.requires_grad
    J_t = TAF.jacobian(lambda a: a.sin() * a.sum(), torch.tensor(A), create_graph=True)
    np.testing.assert_allclose(J.numpy(), J_t.detach().numpy(), rtol=1e-12)


# ---------------------------------------------------------------- detect_anomaly
def test_detect_anomaly_forward_names_the_op():
    x = f64([1.0, -1.0])
    with np.errstate(invalid="ignore"), tl.autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match="Log forward produced NaN"):
            x.log()
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().numpy()[1])  # outside the context: no check


def test_detect_anomaly_backward_names_the_op():
    x = f64([0.0, 4.0])
    with np.errstate(divide="ignore"), tl.autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(FloatingPointError, match="SqrtBackward.*Inf"):
            y.backward()


# ---------------------------------------------------------------- random graphs vs torch
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

UNARY = [lambda v: v.sin(), lambda v: v.tanh(), lambda v: v * 0.5, lambda v: -v,
         lambda v: v.sigmoid(), lambda v: v.sum(0, keepdim=True), lambda v: v * v]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: a * b.tanh() + a]


@st.composite
def programs(draw):
    """A random DAG: each step applies an op to earlier values (so values get reused)."""
    n_leaves = draw(st.integers(1, 3))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        n_values = n_leaves + k
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(UNARY) - 1)),
                          draw(st.integers(0, n_values - 1))))
        else:
            steps.append(("b", draw(st.integers(0, len(BINARY) - 1)),
                          draw(st.integers(0, n_values - 1)), draw(st.integers(0, n_values - 1))))
    return n_leaves, steps, draw(st.integers(0, 1000))


def _run(program, leaves):
    _, steps, _ = program
    values = list(leaves)
    for step in steps:
        if step[0] == "u":
            values.append(UNARY[step[1]](values[step[2]]))
        else:
            values.append(BINARY[step[1]](values[step[2]], values[step[3]]))
    # every value feeds the loss, so dangling branches are covered too
    return sum(((v * (0.1 * (i + 1))).sum() for i, v in enumerate(values[len(leaves):])),
               values[0].sum() * 0.0)


@settings(max_examples=30, deadline=None)
@given(program=programs())
def test_random_graphs_match_torch_first_and_second_order(program):
    n_leaves, _, seed = program
    arrays = [np.random.default_rng(seed + i).uniform(-1, 1, (2, 3)) for i in range(n_leaves)]
    ours = [f64(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss, loss_t = _run(program, ours), _run(program, theirs)
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-12)
    gs = grad(loss, ours, create_graph=True, allow_unused=True)
    gts = torch.autograd.grad(loss_t, theirs, create_graph=True, allow_unused=True)
    for g, gt in zip(gs, gts):
        assert (g is None) == (gt is None)
        if g is not None:
            np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    second = sum((g * g).sum() for g in gs if g is not None)
    second_t = sum((g * g).sum() for g in gts if g is not None)
    if not second_t.requires_grad:  # a graph linear in every leaf: no second derivative
        assert not second.requires_grad
        return
    hs = grad(second, ours, allow_unused=True)
    hts = torch.autograd.grad(second_t, theirs, allow_unused=True)
    for h, ht in zip(hs, hts):
        h = np.zeros((2, 3)) if h is None else h.numpy()
        ht = np.zeros((2, 3)) if ht is None else ht.numpy()
        np.testing.assert_allclose(h, ht, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ who owns .grad
# The engine takes a new gradient array as a leaf's .grad without copying it, and copies
# any that may be shared. Later backwards add into .grad in place (and clip_grad_norm_
# scales it), so a shared one would change something else too.
def _exclusive(*tensors_or_arrays):
    arrays = [t.numpy() if isinstance(t, tl.Tensor) else t for t in tensors_or_arrays]
    return not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])


def test_one_gradient_handed_to_two_leaves_is_copied():
    a, b = tl.randn(3, requires_grad=True), tl.randn(3, requires_grad=True)
    (a + b).backward(tl.ones(3))  # Add passes the same array to both
    assert _exclusive(a.grad, b.grad)
    a.grad.data += 1
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3, np.float32))


def test_the_callers_gradient_is_copied_not_taken():
    x = tl.randn(3, requires_grad=True)
    seed = tl.full((3,), 2.0)
    (x + 0).backward(seed)  # passed through unchanged
    assert _exclusive(x.grad, seed)
    x.backward(seed)  # x itself is the root
    assert _exclusive(x.grad, seed)


def test_views_of_one_upstream_gradient_are_copied():
    a, b = tl.randn(2, 3, requires_grad=True), tl.randn(2, 3, requires_grad=True)
    seed = tl.randn(4, 3)
    tl.cat([a, b]).backward(seed)  # each grad is a slice of seed
    assert _exclusive(a.grad, b.grad, seed)
    y = tl.randn(6, requires_grad=True)
    y.reshape(2, 3).backward(seed[:2])  # a whole view of the seed
    assert _exclusive(y.grad, seed)


def test_a_gradient_a_hook_saw_is_copied():
    x = tl.randn(3, requires_grad=True)
    seen = []
    x.register_hook(seen.append)
    (x * 2).sum().backward()
    assert _exclusive(x.grad, seen[0])
    x.grad.data += 1
    np.testing.assert_array_equal(seen[0].numpy(), np.full(3, 2, np.float32))


def test_an_array_a_custom_function_keeps_is_copied():
    kept = np.full(3, 5.0, dtype=np.float32)

    class Constant(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return tl.Tensor(kept)  # wrong unless g == 1, but it may keep what it returns

    x = tl.randn(3, requires_grad=True)
    Constant.apply(x).backward()
    Constant.apply(x).backward()  # accumulates into x.grad in place
    np.testing.assert_array_equal(kept, np.full(3, 5.0, np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 10.0, np.float32))


def test_new_gradients_are_taken_and_accumulate_correctly():
    layer = tl.nn.Linear(4, 3)
    x = tl.randn(5, 4)
    for _ in range(2):
        layer(x).sum().backward()
    expected = 2 * x.numpy().sum(0)
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.tile(expected, (3, 1)), rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), np.full(3, 10.0), rtol=1e-6)
    assert _exclusive(layer.weight.grad, layer.bias.grad, layer.weight, x)


def test_grad_mode_is_thread_local():
    """A no_grad loop in one thread never switches off graph recording in another (as in
    PyTorch), and a new thread starts with grad mode on."""
    import threading

    stop = threading.Event()
    seen_in_new_thread = []

    def no_grad_loop():
        seen_in_new_thread.append(tl.is_grad_enabled())
        while not stop.is_set():
            with tl.no_grad():
                np.linalg.norm(np.ones(1000))  # releases the GIL inside the block

    worker = threading.Thread(target=no_grad_loop)
    with tl.no_grad():  # this thread's mode is not inherited by the new thread
        worker.start()
    try:
        x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
        for _ in range(2000):
            y = (x * x).sum()
            assert y.requires_grad
    finally:
        stop.set()
        worker.join()
    assert seen_in_new_thread == [True]
    assert tl.is_grad_enabled()


def test_gradients_summed_for_a_0d_tensor_stay_tensors_of_arrays():
    """Two gradients meeting at a 0-d leaf, or at a 0-d node's output, are added on their
    arrays (numpy gives a scalar for 0-d + 0-d): .grad is still a 0-d array, usable in
    place, with PyTorch's value."""
    for lib in (tl, torch):
        x = lib.tensor(2.0, requires_grad=True)
        h = x * 3.0
        (x * x + x + h * h).backward()  # x gets three gradients, h two
        if lib is tl:
            ours = x.grad
            assert type(ours._data) is np.ndarray and ours._data.shape == ()
            ours.add_(1.0)
        else:
            assert ours.item() == x.grad.item() + 1.0 == 2 * 2 + 1 + 18 * 2 + 1

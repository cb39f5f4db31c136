"""Gradients that meet at one place: the engine's totals (graph/engine.py, `add_into`).

Without create_graph the engine adds a gradient into a total it made itself in place, and
a slice's gradient (`x[t]`, `unbind`, `gates[:, :H]`, a mask) only at the slice's
positions (`Scattered`), so a loop over x[t] costs one full-size array instead of one per
step. These tests check the family of graphs where that could go wrong: every gradient,
hook, retained gradient and seed must be what PyTorch gives, and nothing the engine did not
make may change.
"""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr.autograd import grad as tl_grad
from tinygrad_lr.autograd.functional import hessian, jacobian
from tinygrad_lr.viz import trace_backward


def _both(program, *shapes, seed=0):
    """Run `program(lib, *leaves)` on ours and torch with the same float64 leaves; return
    the leaves' .grad of each, after program's own backward."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    grads = []
    for lib in (tl, torch):
        leaves = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        program(lib, *leaves)
        grads.append([np.asarray(t.grad) for t in leaves])
    return grads


def _assert_same(grads):
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_loop_over_rows_of_a_leaf():
    def program(lib, x):
        total = 0
        for t in range(x.shape[0]):
            total = total + (x[t] * (t + 1)).sin().sum()
        total.backward()
    _assert_same(_both(program, (7, 3, 4)))


def test_loop_over_rows_of_an_intermediate_rnn_from_scratch():
    """d2l's RNN from scratch: iterate over a (T, B, D) tensor, one step per time step."""
    def program(lib, x, w_xh, w_hh, b):
        xs = x * 2 + 1  # an intermediate, so its gradient total is a node's buffer
        h = lib.zeros(3, 5, dtype=lib.float64)
        outputs = []
        for x_t in xs:
            h = (x_t @ w_xh + h @ w_hh + b).tanh()
            outputs.append(h)
        lib.stack(outputs).pow(2).mean().backward()
    _assert_same(_both(program, (6, 3, 4), (4, 5), (5, 5), (5,)))


@pytest.mark.parametrize("split", ["unbind", "chunk", "split", "narrow", "gates", "mask",
                                   "steps"])
def test_every_kind_of_slice_meeting_at_one_tensor(split):
    def program(lib, x, w):
        y = x * w  # an intermediate
        if split == "unbind":
            parts = y.unbind(1)
        elif split == "chunk":
            parts = y.chunk(3, dim=1)
        elif split == "split":
            parts = y.split([1, 2, 3], dim=1)
        elif split == "narrow":
            parts = [y.narrow(1, 0, 4), y.narrow(1, 2, 4)]  # overlapping
        elif split == "gates":
            parts = [y[:, :2].sigmoid(), y[:, 2:4].tanh(), y[:, 4:].sigmoid(), y[1:, ::2]]
        elif split == "mask":
            mask = lib.tensor(np.arange(24).reshape(4, 6) % 3 == 0)  # the Scattered kind
            columns = lib.tensor(np.array([True, False, True, True, False, True]))
            parts = [y[:, 1], y[mask], y[:, 3:], y[:, columns], y[lib.tensor([0, 2, 0])]]
        else:
            parts = [y[::2], y[:, 1::3], y[..., 1], y[1:-1, -2]]
        total = 0
        for k, p in enumerate(parts):
            total = total + (p * (k + 1)).exp().sum()
        total.backward()
    _assert_same(_both(program, (4, 6), (4, 6)))


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_an_embedding_called_once_per_time_step(padding_idx):
    """Rows that repeat, within a step and across steps (Scattered rows): every step's
    gradient is added into the weight's total, padding_idx gets none."""
    tokens = np.random.default_rng(8).integers(0, 6, (5, 7))  # (batch, time)
    tokens[0, :3] = 2

    def program(lib, weight, w_out):
        nn = tl.nn if lib is tl else torch.nn
        h = 0
        for t in range(tokens.shape[1]):
            e = nn.functional.embedding(lib.tensor(tokens[:, t]), weight, padding_idx=padding_idx)
            h = (e @ w_out + h * 0.5).tanh()
        h.pow(2).sum().backward()
    _assert_same(_both(program, (6, 4), (4, 4)))


def test_integer_rows_gathered_in_a_loop():
    def program(lib, x):
        y = x * 1.5
        total = 0
        for t in range(4):
            rows = lib.tensor(np.array([t, 0, t, 5 - t]))
            total = total + (y[rows] * (t + 1)).cos().sum() + x[rows, 1:].sum()
        total.backward()
    _assert_same(_both(program, (6, 3)))


def test_the_in_place_totals_equal_the_recorded_ones():
    """The same gradients with create_graph=True, where every sum is a recorded op and
    nothing is added in place (also for negative steps, which PyTorch has not)."""
    rng = np.random.default_rng(6)
    x = tl.tensor(rng.standard_normal((5, 4)), requires_grad=True)

    def loss():
        y = x.exp()
        parts = [y[::-1], y[:, ::-2], y[3], y[1:4, 1:], *y.unbind(1), y[y > 1.0]]
        return sum((p * (k + 1)).sin().sum() for k, p in enumerate(parts))
    (plain,) = tl_grad(loss(), [x])
    (recorded,) = tl_grad(loss(), [x], create_graph=True)
    np.testing.assert_allclose(plain.numpy(), recorded.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_an_upstream_gradient_shared_by_two_slices_is_not_changed():
    """Add sends one gradient object to both of its inputs; both slices add it into x's
    total. The hook keeps that shared gradient: it must still hold its own values."""
    kept = []

    def program(lib, x):
        s = x[0:3] + x[1:4]
        s.register_hook(lambda g: kept.append(g.numpy().copy()) or None)
        u = s * 1.0
        if lib is tl:
            u.register_hook(lambda g: kept.append(g))  # the very tensor, kept as it is
        (u * u).sum().backward()
    grads = _both(program, (4, 2))
    _assert_same(grads)
    copy_at_hook, same_object = kept[0], kept[1]
    np.testing.assert_array_equal(np.asarray(same_object), copy_at_hook)


@pytest.mark.parametrize("leaf", [True, False])
def test_a_gradient_passed_on_twice_is_not_changed(leaf):
    """z = y + y sends z's gradient object to y twice: y's total starts as that very object,
    which z's hook keeps, so the second must not be added into it in place."""
    rng = np.random.default_rng(7)
    x = tl.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    w = tl.tensor(rng.standard_normal((3, 2)))
    y = x if leaf else x * 2
    z = y + y
    kept = []
    z.register_hook(lambda g: kept.append((g, g.numpy().copy())) or None)
    (z * w).sum().backward()
    g, at_hook = kept[0]
    np.testing.assert_array_equal(g.numpy(), at_hook)
    np.testing.assert_allclose(x.grad.numpy(), (2 if leaf else 4) * w.numpy(), rtol=1e-14)


def test_random_graphs_of_slices_and_sums_equal_the_recorded_totals():
    """Random graphs mixing slices, pass-through adds, reuse and fan-in: the plain backward's
    gradients (in-place totals) equal create_graph's (recorded sums), for many seeds."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        x = tl.tensor(rng.standard_normal((4, 6)), requires_grad=True)

        def loss():
            values = [x, x * 1.5]
            for _ in range(12):
                a = values[rng.integers(len(values))]
                kind = rng.integers(5)
                if kind == 0:
                    b = a + values[rng.integers(len(values))]
                elif kind == 1:
                    b = (a[rng.integers(4)] * 2 + a).tanh()
                elif kind == 2:
                    b = a.unbind(1)[rng.integers(6)].exp().reshape(4, 1) * a
                elif kind == 3:
                    b = a[:, 1:].sum(1, keepdim=True) + a
                else:
                    b = a * a[rng.integers(4):].mean()
                values.append(b.tanh() if kind != 0 else b * 0.5)  # stays finite
            return sum(v.sin().sum() for v in values[1:])
        state = rng.bit_generator.state
        (plain,) = tl_grad(loss(), [x])
        rng.bit_generator.state = state  # the same graph again
        (recorded,) = tl_grad(loss(), [x], create_graph=True)
        assert np.isfinite(plain.numpy()).all()
        np.testing.assert_allclose(plain.numpy(), recorded.detach().numpy(), rtol=1e-12,
                                   atol=1e-12, err_msg=f"seed {seed}")


def test_hooks_and_retained_gradients_see_the_complete_total():
    seen = {}

    def program(lib, x):
        y = x.exp()
        y.retain_grad()
        y.register_hook(lambda g: seen.setdefault(lib.__name__, []).append(np.asarray(g).copy()))
        z = y[0] * 3 + y[1:].sum(0) + y[2] * y[0]
        z.sum().backward()
        seen[lib.__name__ + " retained"] = np.asarray(y.grad)
    _assert_same(_both(program, (3, 4)))
    np.testing.assert_allclose(seen["tinygrad_lr"][0], seen["torch"][0], rtol=1e-12)
    np.testing.assert_allclose(seen["tinygrad_lr retained"], seen["torch retained"], rtol=1e-12)


def test_a_leaf_used_many_times_and_its_first_gradient_shared():
    def program(lib, x, w):
        y = x + x            # the same gradient object goes to x twice
        y = y + x * w + (x * x).sum() + x[1]
        y.sum().backward()
    _assert_same(_both(program, (3, 2), (3, 2)))


def _same_grads(program, a):
    """program(lib, grad, x) -> list of gradients, with x a float64 leaf holding `a` and
    grad that library's autograd.grad: ours and torch's must agree."""
    results = []
    for lib, grad in ((tl, tl_grad), (torch, torch.autograd.grad)):
        x = lib.tensor(a, requires_grad=True)
        results.append([np.asarray(g) for g in program(lib, grad, x)])
    _assert_same(results)


def test_seeds_given_by_the_user_are_never_written():
    """y is a root and an input of the other root z: its total starts as the user's seed,
    then z's gradients arrive there. The seed array must keep its values."""
    seeds = []

    def program(lib, grad, x):
        y = x * 2
        z = y[0] * y[1] + y * 3
        seed_y = lib.ones(4, 3, dtype=lib.float64)
        seed_z = lib.ones(4, 3, dtype=lib.float64) * 0.25
        seeds.append((seed_y, seed_z))
        return grad([y, z], [x], [seed_y, seed_z])
    _same_grads(program, np.random.default_rng(1).standard_normal((4, 3)))
    np.testing.assert_array_equal(seeds[0][0].numpy(), 1.0)
    np.testing.assert_array_equal(seeds[0][1].numpy(), 0.25)


def test_grad_of_non_leaf_inputs_with_slices():
    def program(lib, grad, x):
        h = x.tanh()
        return grad(sum((h[t] * h[t - 1]).sum() for t in range(1, 5)), [h, x])
    _same_grads(program, np.random.default_rng(2).standard_normal((5, 3)))


def test_second_derivatives_through_slice_loops_match_torch():
    def program(lib, grad, x):
        y = x.sin()
        out = sum((y[t] ** 3).sum() for t in range(4)) + (y[:, 1] * y[:, 2]).sum()
        (g,) = grad(out, [x], create_graph=True)
        (gg,) = grad((g * g).sum(), [x])
        return [g.detach(), gg]
    _same_grads(program, np.random.default_rng(3).standard_normal((4, 3)))


def test_jacobian_and_hessian_through_slices_match_torch():
    def f_for(lib):
        def f(x):
            return sum((x[i] * x[i + 1]).sin() for i in range(3)) + x[1:].exp().sum()
        return f
    a = np.random.default_rng(4).standard_normal(4)
    for ours_fn, torch_fn in ((jacobian, torch.autograd.functional.jacobian),
                              (hessian, torch.autograd.functional.hessian)):
        ours = ours_fn(f_for(tl), tl.tensor(a))
        theirs = torch_fn(f_for(torch), torch.tensor(a))
        np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_a_traced_backward_shows_each_gradient_as_it_was_sent():
    """trace_backward keeps every gradient it is shown: nothing is added in place there, so
    each step's upstream gradient is still the sum of the parts it lists, and the traced
    totals equal the ones a plain backward accumulates."""
    rng = np.random.default_rng(5)
    x = tl.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = x * 2
    out = (y[0] + y[1] + y[2] * y[0] + y.sum(0)).sum()
    trace = trace_backward(out, {"x": x, "y": y, "out": out})
    summed = 0
    for step in trace:
        for upstream, parts in zip(step.upstream, step.upstream_parts):
            if len(parts) > 1:
                summed += 1
                np.testing.assert_allclose(sum(np.asarray(p[2]) for p in parts), upstream,
                                           rtol=1e-12)
    assert summed >= 1  # y's gradient is the sum of five parts
    out.backward()
    np.testing.assert_allclose(np.asarray(trace.grad("x")), x.grad.numpy(), rtol=1e-12)


def test_outputs_written_into_a_tensor_one_step_at_a_time():
    """out[t] = h in a loop (IndexPut written in place): values and gradients as PyTorch's,
    an overwritten position passes no gradient, and a node that saved out before a write
    raises instead of using the new values."""
    def program(lib, x, w):
        out = lib.zeros(5, 3, 4, dtype=lib.float64)
        h = x
        for t in range(5):
            h = (h @ w).tanh()
            out[t] = h
        out[2] = h * 2  # overwrites step 2: its h gets no gradient from there
        out[:, 1:] = out[:, 1:] * 0.5
        (out * out).sum().backward()
    _assert_same(_both(program, (3, 4), (4, 4)))
    x = tl.tensor(np.ones((2, 3)), requires_grad=True)
    out = tl.zeros(2, 3, dtype=tl.float64)
    out[0] = x[0]
    saved = out * out  # saves out
    out[1] = x[1]
    with pytest.raises(RuntimeError, match="modified in place"):
        saved.sum().backward()


def test_second_derivative_through_item_assignment():
    def program(lib, grad, x):
        out = lib.zeros(3, 2, dtype=lib.float64)
        for t in range(3):
            out[t] = x[t].sin() * x[t]
        (g,) = grad((out ** 3).sum(), [x], create_graph=True)
        return [g.detach(), grad((g * g).sum(), [x])[0]]
    _same_grads(program, np.random.default_rng(9).standard_normal((3, 2)))

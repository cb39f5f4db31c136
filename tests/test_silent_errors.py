"""Differential tests against PyTorch that look for silent errors: a gradient that comes out
wrong without any error.

1. Every op that keeps an input or its output for backward, with every way of writing to
   that tensor in place (directly, through .detach(), through .data, through a view, under
   no_grad): backward either raises or gives PyTorch's gradient. Where PyTorch raises, we
   raise. The op list is the one place to add a new op.
2. Reductions with a zero denominator (std, var, norm of constant or zero inputs) give
   PyTorch's gradients.
3. Hooks must return a tensor of the gradient's shape and dtype; gradients always have
   their tensor's dtype.
4. Grad mode is per thread, also while other threads switch it in GIL-releasing loops.
"""
import threading

import numpy as np
import pytest
import torch

import tinygrad_lr as tl

RNG = np.random.default_rng(0)


def _positive(shape):
    return RNG.uniform(0.5, 1.5, shape)


def _any(shape):
    return RNG.uniform(-1.0, 1.0, shape)


# name -> (function of one tensor for both libraries, input maker). Ops whose backward uses
# their output (exp, tanh, ...) and ops whose backward uses their input (mul, log, ...).
OPS = {
    "exp": (lambda t: t.exp(), _any),
    "expm1": (lambda t: t.expm1(), _any),
    "sqrt": (lambda t: t.sqrt(), _positive),
    "rsqrt": (lambda t: t.rsqrt(), _positive),
    "reciprocal": (lambda t: t.reciprocal(), _positive),
    "tan": (lambda t: t.tan(), _any),
    "tanh": (lambda t: t.tanh(), _any),
    "sigmoid": (lambda t: t.sigmoid(), _any),
    "c**x": (lambda t: 2.0 ** t, _any),
    "prod": (lambda t: t.prod(-1, keepdim=True), _positive),
    "amax": (lambda t: t.amax(-1, keepdim=True), _any),
    "norm": (lambda t: t.norm(dim=-1, keepdim=True), _any),
    "logsumexp": (lambda t: t.logsumexp(-1, keepdim=True), _any),
    "softmax": (lambda t: t.softmax(-1), _any),
    "log_softmax": (lambda t: t.log_softmax(-1), _any),
    "x*x": (lambda t: t * t, _any),
    "x**3": (lambda t: t ** 3, _any),
    "log": (lambda t: t.log(), _positive),
    "log1p": (lambda t: t.log1p(), _positive),
    "sin": (lambda t: t.sin(), _any),
    "cos": (lambda t: t.cos(), _any),
    "relu": (lambda t: t.relu(), _any),
    "abs": (lambda t: t.abs(), _any),
    "clamp": (lambda t: t.clamp(-0.5, 0.5), _any),
    "x/x.sum": (lambda t: t / t.sum(), _positive),
    "matmul": (lambda t: t @ t.T, _any),
    "std": (lambda t: t.std(-1, keepdim=True), _any),
    "var": (lambda t: t.var(-1, keepdim=True), _any),
    "mean": (lambda t: t.mean(-1, keepdim=True), _any),
    "cumsum": (lambda t: t.cumsum(-1), _any),
}


def _write(lib, target, how):
    """Write into `target` in place, the way `how` says."""
    no_grad = lib.no_grad
    if how == "direct":
        target.mul_(0.5)
    elif how == "detach":
        target.detach().mul_(0.5)
    elif how == ".data":
        target.data.mul_(0.5)
    elif how == "view":
        target.reshape(-1)[0:1].mul_(0.5)
    elif how == "setitem":
        target[0] = 0.25
    elif how == "no_grad":
        with no_grad():
            target.mul_(0.5)
    elif how == "no_grad view":
        with no_grad():
            target.reshape(-1)[1:2].mul_(0.5)
    else:
        raise AssertionError(how)


def _run(lib, op, x0, weights, target_kind, how, on_a_clone=False):
    """Gradient of sum(op(a) * weights) w.r.t. x after an in-place write, or the error.
    on_a_clone: write into a clone instead, so the values the graph saved stay as they
    were: the gradient of the computation as it was recorded (PyTorch only)."""
    x = lib.tensor(x0, requires_grad=True)
    a = x * 1.0 if target_kind != "leaf" else x
    y = op(a)
    target = {"output": y, "input": a, "leaf": x}[target_kind]
    if on_a_clone:
        target = target.clone()
        if target_kind == "output":
            y = target
    try:
        _write(lib, target, how)
        (y * lib.tensor(weights)).sum().backward()
    except RuntimeError as e:
        return e
    return x.grad.numpy().copy()


WAYS = ["direct", "detach", ".data", "view", "setitem", "no_grad", "no_grad view"]
CASES = [(op, kind, how) for op in OPS for kind in ("output", "input", "leaf") for how in WAYS]


def outcome(op_name, target_kind, how):
    """'raised', 'equal' (to PyTorch's gradient, or - where PyTorch raises or, with .data,
    silently uses the new values - to the gradient of the computation as recorded) or
    'wrong: ...'."""
    op, make = OPS[op_name]
    rng = np.random.default_rng(abs(hash((op_name, target_kind, how))) % 2**32)
    x0 = make((2, 3))
    weights = rng.uniform(0.5, 1.5, (2, 2) if op_name == "matmul" else (2, 3))
    if op_name in ("prod", "amax", "norm", "logsumexp", "std", "var", "mean"):
        weights = weights[:, :1]
    ours = _run(tl, op, x0, weights, target_kind, how)
    theirs = _run(torch, op, x0, weights, target_kind, how)
    if isinstance(ours, Exception):
        if isinstance(theirs, Exception) or how == ".data":
            return "raised"
        return f"wrong: raised ({ours}) where PyTorch gives a gradient"
    if not isinstance(theirs, Exception) and np.allclose(ours, theirs, rtol=1e-10, atol=1e-12):
        return "equal"
    if isinstance(theirs, Exception) or how == ".data":
        recorded = _run(torch, op, x0, weights, target_kind, how, on_a_clone=True)
        if np.allclose(ours, recorded, rtol=1e-10, atol=1e-12):
            return "equal"
    return f"wrong: {ours} vs PyTorch {theirs}"


@pytest.mark.parametrize("op_name,target_kind,how", CASES)
def test_inplace_write_never_gives_a_silently_wrong_gradient(op_name, target_kind, how):
    result = outcome(op_name, target_kind, how)
    assert not result.startswith("wrong"), result


def test_the_issues_examples_raise():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.detach().mul_(0.5)
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*output 0.*version 1; expected "
                                           r"version 0"):
        y.sum().backward()
    y = x.sigmoid()
    with tl.no_grad():
        y[0:1].fill_(0.0)
    with pytest.raises(RuntimeError, match="SigmoidBackward0"):
        y.sum().backward()


def test_user_function_that_saves_its_output_is_checked():
    class Exp(tl.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = tl.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    y.data.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"ExpBackward\b.*saved tensor 0"):
        y.sum().backward()


# ---------------------------------------------------------------- zero denominators
@pytest.mark.parametrize("fn", [
    lambda t: t.std(), lambda t: t.std(0), lambda t: t.var(), lambda t: t.std(unbiased=False),
    lambda t: t.norm(), lambda t: t.norm(1), lambda t: t.norm(3), lambda t: t.norm(0.5),
    lambda t: t.norm(float("inf")), lambda t: t.norm(dim=0),
])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_constant_inputs_give_pytorchs_gradients(fn, value):
    x0 = np.full((3, 2), value)
    x = tl.tensor(x0, requires_grad=True)
    t = torch.tensor(x0, requires_grad=True)
    fn(x).sum().backward()
    fn(t).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_std_of_a_constant_feature_does_not_poison_training():
    x = tl.ones(4, 3, requires_grad=True)
    ((x - x.mean(0)) / (x.std(0) + 1e-5)).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


# ---------------------------------------------------------------- hooks and dtypes
def test_a_hook_that_changes_the_shape_is_refused():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match=r"hook '<lambda>' has changed the size of the "
                                           r"gradient: it returned shape \(1,\).*\(2,\)"):
        (x * 2).sum().backward()
    y = tl.tensor([1.0, 2.0], requires_grad=True) * 3
    y.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="changed the size"):
        y.sum().backward()


def test_a_hook_must_return_a_tensor_of_the_same_dtype():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: 3)
    with pytest.raises(TypeError, match="hook '<lambda>' returned a int"):
        x.sum().backward()

    def to_double(g):
        return g.double()

    w = tl.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(to_double)
    with pytest.raises(RuntimeError, match="hook 'to_double' has changed the type"):
        w.sum().backward()


def test_a_hook_may_return_a_replacement_or_none():
    x = tl.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: None)
    x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 40.0])


@pytest.mark.parametrize("loss", ["mse", "l1", "smooth_l1", "bce", "bce_logits", "huber"])
def test_gradients_have_the_leafs_dtype(loss):
    F = tl.nn.functional
    p = tl.tensor([0.2, 0.7, 0.4], requires_grad=True)
    target = tl.tensor([0.0, 1.0, 1.0], dtype="float64")
    fns = {"mse": F.mse_loss, "l1": F.l1_loss, "smooth_l1": F.smooth_l1_loss,
           "bce": F.binary_cross_entropy, "bce_logits": F.binary_cross_entropy_with_logits,
           "huber": F.huber_loss}
    try:
        out = fns[loss](p, target)
    except TypeError:
        return  # refusing mixed dtypes (as PyTorch's huber and bce do) is fine
    out.backward()
    assert p.grad.dtype == np.float32


# ---------------------------------------------------------------- threads
def test_grad_mode_of_another_thread_never_changes_this_threads_gradient():
    """The issue's case: one thread loops in no_grad (with GIL-releasing numpy work inside)
    while this one trains; every gradient must be exact."""
    stop = threading.Event()

    def no_grad_loop():
        a = np.ones((200, 200))
        while not stop.is_set():
            with tl.no_grad():
                a @ a  # BLAS releases the GIL inside the block

    others = [threading.Thread(target=no_grad_loop) for _ in range(2)]
    for t in others:
        t.start()
    try:
        w = tl.tensor([1.0, -2.0, 4.0], dtype="float64", requires_grad=True)
        for _ in range(300):
            w.grad = None
            loss = (w * w * 9.0).sum() * 0.5 + (w * 0.0).sum()
            loss.backward()
            np.testing.assert_array_equal(w.grad.numpy(), [9.0, -18.0, 36.0])
    finally:
        stop.set()
        for t in others:
            t.join()


def test_nested_no_grad_in_threads_restores_each_threads_own_state():
    results = []

    def worker(enabled_at_start):
        with tl.set_grad_enabled(enabled_at_start):
            for _ in range(200):
                with tl.no_grad():
                    with tl.enable_grad():
                        assert tl.is_grad_enabled()
                    assert not tl.is_grad_enabled()
            results.append(tl.is_grad_enabled() == enabled_at_start)
        results.append(tl.is_grad_enabled())

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 12
    assert tl.is_grad_enabled()


@pytest.mark.parametrize("use", ["v * 5", "v.sum()", "v.T"])
def test_a_stale_view_used_under_no_grad_keeps_its_history(use):
    """A view whose base was changed in place, then read under no_grad, still sends its
    gradient to the base later (it once lost its history there: the gradient was None)."""
    def run(lib):
        w = lib.ones(4, requires_grad=True)
        base = w * 2
        v = base[1:3]
        base.mul_(3)
        with lib.no_grad():
            eval(use, {"v": v})
        (v * v).sum().backward()
        return w.grad
    np.testing.assert_allclose(run(tl).numpy(), run(torch).numpy())

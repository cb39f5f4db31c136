"""Every optimizer against torch.optim: the same small network, the same initial
parameters, gradients computed by each framework from its own forward pass; after 25 steps
the parameters agree to 1e-7 (float64)."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import optim

torch = pytest.importorskip("torch")

STEPS = 25
rng = np.random.default_rng(0)
X, Y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
INIT = [rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4) * 0.1,
        rng.standard_normal((4, 2)) * 0.5]


@pytest.fixture(autouse=True)
def torch_float64():
    # torch keeps scalar optimizer state (NAdam's mu_product) in the default dtype
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def loss_of(lib, x, y, params):
    w1, b1, w2 = params
    return ((lib.tanh(x @ w1 + b1) @ w2 - y) ** 2).mean()


def ours_params(dtype=np.float64):
    return [tl.Tensor(a.astype(dtype), requires_grad=True) for a in INIT]


def torch_params(dtype=torch.float64):
    return [torch.tensor(a, dtype=dtype, requires_grad=True) for a in INIT]


def train_ours(params, opt, steps=STEPS):
    x, y = tl.Tensor(X.astype(params[0].dtype)), tl.Tensor(Y.astype(params[0].dtype))
    for _ in range(steps):
        opt.zero_grad()
        loss_of(tl, x, y, params).backward()
        opt.step()
    return [p.numpy().copy() for p in params]


def train_torch(params, opt, steps=STEPS):
    x = torch.tensor(X, dtype=params[0].dtype)
    y = torch.tensor(Y, dtype=params[0].dtype)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(torch, x, y, params).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params]


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2,
                     eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, eps=1e-3, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.7, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


@pytest.mark.parametrize("name,kwargs", CASES,
                         ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_matches_torch(name, kwargs):
    params, ref = ours_params(), torch_params()
    ours = train_ours(params, getattr(optim, name)(params, **kwargs))
    theirs = train_torch(ref, getattr(torch.optim, name)(ref, **kwargs))
    for a, b, start in zip(ours, theirs, INIT):
        assert np.abs(a - start).max() > 1e-3  # the parameters really moved
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.05, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, centered=True))])
def test_float32_matches_torch(name, kwargs):
    params, ref = ours_params(np.float32), torch_params(torch.float32)
    ours = train_ours(params, getattr(optim, name)(params, **kwargs))
    theirs = train_torch(ref, getattr(torch.optim, name)(ref, **kwargs))
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-5)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_large_parameter_parallel_kernel(name):
    """Parameters above kernels.optim.PARALLEL_MIN take the parallel kernel."""
    from tinygrad_lr.kernels.optim import PARALLEL_MIN

    g = np.random.default_rng(1).standard_normal(PARALLEL_MIN + 7)
    p, q = tl.Tensor(np.zeros_like(g), requires_grad=True), torch.zeros(g.size,
                                                                         requires_grad=True)
    kwargs = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1)
    opt, ref = getattr(optim, name)([p], **kwargs), getattr(torch.optim, name)([q], **kwargs)
    for k in range(3):
        p.grad, q.grad = tl.Tensor(g * (k + 1)), torch.tensor(g * (k + 1))
        opt.step()
        ref.step()
    np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=0, atol=1e-12)


def test_param_groups_with_different_lrs():
    params, ref = ours_params(), torch_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.01,
                                                 "amsgrad": True}], lr=0.1)
    ropt = torch.optim.Adam([{"params": ref[:2]}, {"params": ref[2:], "lr": 0.01,
                                                    "amsgrad": True}], lr=0.1)
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[0]["amsgrad"] is False
    for a, b in zip(train_ours(params, opt), train_torch(ref, ropt)):
        np.testing.assert_allclose(a, b, atol=1e-7)


def test_lr_edited_at_run_time_and_add_param_group():
    params, ref = ours_params(), torch_params()
    opt = optim.SGD(params[:2], lr=0.1, momentum=0.9)
    ropt = torch.optim.SGD(ref[:2], lr=0.1, momentum=0.9)
    train_ours(params, opt, 5)
    train_torch(ref, ropt, 5)
    opt.add_param_group({"params": [params[2]], "lr": 0.02})
    ropt.add_param_group({"params": [ref[2]], "lr": 0.02})
    for group, rgroup in zip(opt.param_groups, ropt.param_groups):
        group["lr"] *= 0.3
        rgroup["lr"] *= 0.3
    for a, b in zip(train_ours(params, opt, 10), train_torch(ref, ropt, 10)):
        np.testing.assert_allclose(a, b, atol=1e-7)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                         ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
                                         ("Adadelta", dict()),
                                         ("RMSprop", dict(momentum=0.9, centered=True)),
                                         ("Adam", dict(amsgrad=True)), ("AdamW", dict()),
                                         ("Adamax", dict()), ("NAdam", dict())])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_dict_resume_is_bit_for_bit(name, kwargs, dtype):
    params = ours_params(dtype)
    expected = train_ours(params, getattr(optim, name)(params, **kwargs), 20)

    params = ours_params(dtype)
    opt = getattr(optim, name)(params, **kwargs)
    train_ours(params, opt, 10)
    saved, saved_params = opt.state_dict(), [p.numpy().copy() for p in params]
    train_ours(params, opt, 3)  # later steps must not change the saved dict
    assert sorted(saved["state"]) == [0, 1, 2] and saved["param_groups"][0]["params"] == [0, 1, 2]

    fresh = [tl.Tensor(a, requires_grad=True) for a in saved_params]
    resumed = getattr(optim, name)(fresh, lr=123.0)  # the saved lr must win
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for a, b in zip(train_ours(fresh, resumed, 10), expected):
        np.testing.assert_array_equal(a, b)


def test_state_dict_layout_like_torch():
    params, ref = ours_params(), torch_params()
    train_ours(params, optim.Adam(params, lr=0.1), 2)
    opt = optim.Adam(params, lr=0.1)
    train_ours(params, opt, 2)
    ropt = torch.optim.Adam(ref, lr=0.1)
    train_torch(ref, ropt, 2)
    sd, rsd = opt.state_dict(), ropt.state_dict()
    assert set(sd["state"][0]) == set(rsd["state"][0])  # step, exp_avg, exp_avg_sq
    assert sd["state"][0]["exp_avg"].shape == tuple(rsd["state"][0]["exp_avg"].shape)
    assert set(sd["param_groups"][0]) <= set(rsd["param_groups"][0])


def test_params_without_grad_are_skipped_and_zero_grad():
    a, b = tl.Tensor(np.ones(3), requires_grad=True), tl.Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tl.Tensor(np.ones(3))
    opt.step()
    assert np.all(b.numpy() == 1) and b not in opt.state and np.all(a.numpy() < 1)
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad.numpy() == 0) and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_closure_is_called_with_grad_enabled():
    params = ours_params()
    opt = optim.SGD(params, lr=0.1)
    x, y = tl.Tensor(X), tl.Tensor(Y)

    def closure():
        opt.zero_grad()
        loss = loss_of(tl, x, y, params)
        loss.backward()
        return loss

    with tl.no_grad():
        first = opt.step(closure).item()
    assert opt.step(closure).item() < first


# ------------------------------------------------------------------ Newton
def test_newton_solves_a_quadratic_in_one_step():
    r = np.random.default_rng(5)
    A = r.standard_normal((7, 4))
    Q, c = A.T @ A + 0.5 * np.eye(4), r.standard_normal(4)
    w = tl.Tensor(r.standard_normal(4), requires_grad=True)
    b = tl.Tensor(np.array(0.3), requires_grad=True)  # a second parameter, shape ()
    opt = optim.Newton([w, b])
    Qt, ct = tl.Tensor(Q), tl.Tensor(c)
    opt.step(lambda: 0.5 * (w @ (Qt @ w)) - ct @ w + (b - 2.0) ** 2)
    np.testing.assert_allclose(w.numpy(), np.linalg.solve(Q, c), atol=1e-10)
    assert b.numpy() == pytest.approx(2.0)


def test_newton_matches_hand_written_newton_on_logistic_regression():
    r = np.random.default_rng(6)
    Xl = r.standard_normal((40, 3))
    yl = (Xl @ np.array([1.0, -2.0, 0.5]) + r.standard_normal(40) > 0).astype(float)
    w = tl.Tensor(np.zeros(3), requires_grad=True)
    opt = optim.Newton([w], lr=0.8, damping=0.1)
    Xt, yt = tl.Tensor(Xl), tl.Tensor(yl)

    def closure():  # mean binary cross-entropy from logits
        z = Xt @ w
        return (tl.softplus(z) - yt * z).mean()

    w_ref = np.zeros(3)
    for _ in range(4):
        opt.step(closure)
        p = 1 / (1 + np.exp(-Xl @ w_ref))
        g = Xl.T @ (p - yl) / len(yl)
        H = (Xl * (p * (1 - p))[:, None]).T @ Xl / len(yl)
        w_ref = w_ref - 0.8 * np.linalg.solve(H + 0.1 * np.eye(3), g)
        np.testing.assert_allclose(w.numpy(), w_ref, atol=1e-10)


def test_newton_errors():
    w = tl.Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="needs a closure"):
        optim.Newton([w]).step()
    with pytest.raises(ValueError, match="5001 parameters is too many"):
        optim.Newton([tl.Tensor(np.zeros(5001), requires_grad=True)])
    with pytest.raises(RuntimeError, match="singular; use damping > 0"):
        optim.Newton([w]).step(lambda: w.sum())
    with pytest.raises(ValueError, match="Invalid damping value: -1"):
        optim.Newton([w], damping=-1)

    def backward_closure():
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="without calling loss.backward"):
        optim.Newton([w]).step(backward_closure)


# ------------------------------------------------------------------ LBFGS
@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, history_size=3, max_iter=5),
                                    dict(line_search_fn="strong_wolfe"),
                                    dict(line_search_fn="strong_wolfe", history_size=2,
                                         max_iter=4, lr=0.7)])
def test_lbfgs_matches_torch(kwargs):
    params, ref = ours_params(), torch_params()
    opt, ropt = optim.LBFGS(params, **kwargs), torch.optim.LBFGS(ref, **kwargs)
    x, y, tx, ty = tl.Tensor(X), tl.Tensor(Y), torch.tensor(X), torch.tensor(Y)

    def closure():
        opt.zero_grad()
        loss = loss_of(tl, x, y, params)
        loss.backward()
        return loss

    def ref_closure():
        ropt.zero_grad()
        loss = loss_of(torch, tx, ty, ref)
        loss.backward()
        return loss

    for _ in range(3):
        assert opt.step(closure).item() == pytest.approx(ropt.step(ref_closure).item(),
                                                         rel=1e-9)
    for a, b in zip(params, ref):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-7)
    assert opt.state[params[0]]["func_evals"] == ropt.state[ref[0]]["func_evals"]


def test_lbfgs_errors():
    w = tl.Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="needs a closure"):
        optim.LBFGS([w]).step()
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([w], line_search_fn="armijo")
    with pytest.raises(ValueError, match="does not support per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [tl.Tensor(np.ones(1), requires_grad=True)]}])


# ------------------------------------------------------------------ construction errors
def test_construction_errors():
    w = tl.Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(ValueError, match="optimizer can only optimize leaf tensors"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.Adam(w)
    with pytest.raises(TypeError, match="can only optimize Tensors, got ndarray"):
        optim.Adam([np.zeros(3)])
    with pytest.raises(ValueError, match="SGD: Invalid learning rate: -0.1 \\(expected >= 0\\)"):
        optim.SGD([w], lr=-0.1)
    with pytest.raises(ValueError, match=r"Adam: Invalid beta parameter at index 1: 1.0 "
                                         r"\(expected a value in \[0, 1\)\)"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="NAdam: Invalid beta parameter at index 0: -0.1"):
        optim.NAdam([w], betas=(-0.1, 0.9))
    with pytest.raises(ValueError, match="SGD: Invalid momentum value: -0.5"):
        optim.SGD([w], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="AdamW: Invalid weight_decay value: -1"):
        optim.AdamW([w], weight_decay=-1)
    with pytest.raises(ValueError, match="RMSprop: Invalid epsilon value: -1e-08"):
        optim.RMSprop([w], eps=-1e-8)
    with pytest.raises(ValueError, match="SGD: Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than one param group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one param group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.add_param_group({"params": [tl.Tensor(np.ones(1), requires_grad=True)], "lr": -1})


def test_state_dict_survives_tl_save(tmp_path):
    params = ours_params(np.float32)
    opt = optim.Adam(params, lr=0.05, amsgrad=True)
    train_ours(params, opt, 4)
    tl.save(opt.state_dict(), tmp_path / "opt.npz")
    fresh = [tl.Tensor(p.numpy().copy(), requires_grad=True) for p in params]
    resumed = optim.Adam(fresh)
    resumed.load_state_dict(tl.load(tmp_path / "opt.npz"))
    assert resumed.param_groups[0]["amsgrad"] is True
    for a, b in zip(train_ours(fresh, resumed, 3), train_ours(params, opt, 3)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("size", [5, 2000])  # the serial and the parallel compilation
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_agree_with_their_python_meaning(size, dtype, monkeypatch):
    """Each compiled kernel does exactly what its plain-Python source says."""
    from tinygrad_lr.kernels import optim as K

    monkeypatch.setattr(K, "PARALLEL_MIN", 1000)  # so that size 2000 takes the parallel one

    r = np.random.default_rng(2)
    scalars = dict(sgd=(0.1, 0.9, 0.7, 0.01, True, False, False),
                   adagrad=(0.1, 0.01, 1e-8, True),
                   adadelta=(1.0, 0.9, 0.1, 1e-6, 0.01, False),
                   rmsprop=(0.01, 0.9, 0.1, 1e-8, 0.01, 0.5, True, True),
                   adam=(0.1, 0.1, 0.999, 0.001, 1e-8, 0.3, 0.0, 0.99, True, True),
                   adamax=(0.1, 0.1, 0.999, 1e-8, 0.01, False),
                   nadam=(-0.1, -0.2, 0.1, 0.999, 0.001, 0.02, 1e-8, 0.01, 1.0, False))
    n_arrays = dict(sgd=3, adagrad=3, adadelta=4, rmsprop=5, adam=5, adamax=4, nadam=4)
    for name, args in scalars.items():
        # param, grad, then state; all positive, and RMSprop's running mean of the
        # gradient small enough that the centered variance stays positive
        arrays = [(1 + np.abs(r.standard_normal(size))).astype(dtype)
                  for _ in range(n_arrays[name])]
        if name == "rmsprop":
            arrays[3] *= 0.1
        start, copies = arrays[0].copy(), [a.copy() for a in arrays]
        kernel = getattr(K, name)
        kernel(*arrays, *args)
        kernel.py_func(*copies, *[dtype(a) if isinstance(a, float) else a for a in args])
        for a, b in zip(arrays, copies):
            np.testing.assert_allclose(a, b, rtol=1e-6 if dtype == np.float32 else 1e-14,
                                       err_msg=name)
        assert np.abs(arrays[0] - start).min() > 0, name  # every element was updated


def test_non_contiguous_parameter_is_updated():
    base = np.arange(6.0).reshape(2, 3)
    p, q = tl.Tensor(base.T, requires_grad=True), torch.tensor(base.T, requires_grad=True)
    assert not p.numpy().flags.c_contiguous
    opt, ref = optim.Adam([p], lr=0.1), torch.optim.Adam([q], lr=0.1)
    for _ in range(3):
        p.grad, q.grad = tl.Tensor(np.ones((3, 2))), torch.ones(3, 2)
        opt.step()
        ref.step()
    np.testing.assert_allclose(p.numpy(), q.detach().numpy(), atol=1e-12)


def test_shape_mismatches_are_errors_not_memory_corruption():
    w = tl.Tensor(np.zeros(3), requires_grad=True)
    opt = optim.Adam([w])
    w.grad = tl.Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"parameter of shape \(3,\) has a gradient of shape"):
        opt.step()
    w.grad = tl.Tensor(np.ones(3))
    opt.step()
    other = optim.Adam([tl.Tensor(np.zeros(5), requires_grad=True)])
    other.load_state_dict(opt.state_dict())
    other.param_groups[0]["params"][0].grad = tl.Tensor(np.ones(5))
    with pytest.raises(ValueError, match="state 'exp_avg' has shape \\(3,\\), but its "
                                         "parameter has shape \\(5,\\)"):
        other.step()


def test_step_between_forward_and_backward_is_detected():
    # as in torch: a graph that saved a parameter must not silently use the updated value
    w = tl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = tl.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    loss = (w * w).sum()          # saves w at its current version
    opt.step()                    # updates w in place
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


# ------------------------------------------------------------------ bad hyperparameters
NAN = float("nan")
# (optimizer, kwargs): hyperparameters refused at construction, named by optimizer and
# argument. PyTorch refuses each of them too (at construction, or with an error at its
# first step), except those in DEVIATIONS, where it runs on and produces NaN or garbage.
BAD_HYPERPARAMETERS = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(lr="0.1")), ("SGD", dict(lr=None)),
    ("SGD", dict(lr=[0.1])), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, momentum="0.9")), ("SGD", dict(lr=0.1, weight_decay=-1e-4)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(betas=(0.9,))), ("Adam", dict(betas=(0.9, 0.99, 0.9))),
    ("Adam", dict(betas=(1.0, 0.999))), ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(betas=0.9)), ("Adam", dict(betas=("a", 0.9))), ("Adam", dict(eps=-1e-8)),
    ("Adam", dict(eps=NAN)), ("Adam", dict(weight_decay=-1)), ("Adam", dict(lr=-1)),
    ("Adam", dict(betas=(NAN, 0.9))), ("AdamW", dict(weight_decay=-0.01)),
    ("AdamW", dict(betas=(0.9,))), ("AdamW", dict(eps=-1)),
    ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-1)),
    ("Adagrad", dict(eps=-1)), ("Adagrad", dict(weight_decay=-1)), ("Adagrad", dict(lr=-1)),
    ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(weight_decay=-1)),
    ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(lr=-1)),
    ("Adamax", dict(betas=(0.9,))), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(1.2, 0.9))),
    ("Adamax", dict(lr=-1)), ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(betas=(0.9,))),
    ("NAdam", dict(eps=-1)), ("NAdam", dict(lr=-1)), ("LBFGS", dict(lr=-1)),
    ("LBFGS", dict(line_search_fn="wolfe")),
    # PyTorch accepts these and then trains on NaN or a negative average of g^2
    ("SGD", dict(lr=NAN)), ("SGD", dict(lr=0.1, momentum=NAN)), ("RMSprop", dict(alpha=1.5)),
    ("LBFGS", dict(history_size=0)),
]
DEVIATIONS = BAD_HYPERPARAMETERS[-4:]
ACCEPTED = [("SGD", dict(lr=float("inf"))), ("SGD", dict(lr=0.1, dampening=-1)),
            ("SGD", dict(lr=0.0)), ("Adam", dict(eps=0.0)), ("Adam", dict(betas=[0.9, 0.99])),
            ("Adadelta", dict(rho=1.0)), ("Adam", dict(lr=tl.tensor(0.01))),
            ("LBFGS", dict(tolerance_grad=-1))]


def _torch_refuses(name, kwargs):
    kwargs = {k: (v.item() if isinstance(v, tl.Tensor) else v) for k, v in kwargs.items()}
    p = [torch.nn.Parameter(torch.ones(2))]
    try:
        opt = getattr(torch.optim, name)(p, **kwargs)
        p[0].grad = torch.ones(2)
        opt.step((lambda: (p[0] ** 2).sum()) if name == "LBFGS" else None)
    except Exception:  # noqa: BLE001 - any refusal counts
        return True
    return False


@pytest.mark.parametrize("name,kwargs", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_are_refused_at_construction(name, kwargs):
    key = [k for k in kwargs if k != "lr" or len(kwargs) == 1][0]
    with pytest.raises((ValueError, TypeError), match=rf"^{name}: .*"
                       rf"({key}|beta|learning rate|nesterov|line_search_fn)"):
        getattr(optim, name)([tl.ones(2, requires_grad=True)], **kwargs)
    assert _torch_refuses(name, kwargs) == ((name, kwargs) not in DEVIATIONS)


@pytest.mark.parametrize("name,kwargs", ACCEPTED)
def test_hyperparameters_pytorch_accepts_are_accepted(name, kwargs):
    opt = getattr(optim, name)([tl.ones(2, requires_grad=True)], **kwargs)
    assert not _torch_refuses(name, kwargs)
    if "lr" in kwargs and isinstance(kwargs["lr"], tl.Tensor):
        assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_param_group_without_params_is_named():
    with pytest.raises(KeyError, match="SGD: a param group needs the key 'params'"):
        optim.SGD([{"lr": 0.1}])
    with pytest.raises(ValueError, match=r"SGD: Invalid momentum value: -1"):
        optim.SGD([{"params": [tl.ones(2, requires_grad=True)], "momentum": -1}], lr=0.1)

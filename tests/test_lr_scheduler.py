"""Every learning-rate scheduler against torch.optim.lr_scheduler: the lr (and cycled
momentum) sequence over 40 steps must be the same, for two param groups."""
import math

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import optim
from tinygrad_lr.optim import lr_scheduler as ours

torch = pytest.importorskip("torch")
theirs = torch.optim.lr_scheduler

STEPS = 40


def make_optimizers(kind="SGD"):
    """The same two-group optimizer in both frameworks (lrs 0.1 and 0.05)."""
    kwargs = dict(momentum=0.9) if kind == "SGD" else {}
    a, b = tl.Tensor(np.ones(2), requires_grad=True), tl.Tensor(np.ones(3), requires_grad=True)
    mine = getattr(optim, kind)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **kwargs)
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    ref = getattr(torch.optim, kind)([{"params": [ta]}, {"params": [tb], "lr": 0.05}], lr=0.1,
                                     **kwargs)
    return mine, ref


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def run(scheduler, opt, metrics=None, steps=STEPS):
    lrs, moms = [scheduler.get_last_lr()], [momenta(opt)]
    for t in range(steps):
        opt.step()
        scheduler.step(metrics[t]) if metrics is not None else scheduler.step()
        lrs.append(list(scheduler.get_last_lr()))
        moms.append(momenta(opt))
    return np.array(lrs, dtype=float), np.array(moms, dtype=float)


CASES = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda t: 0.95 ** t + 0.01 * (t % 3)),
    "LambdaLR_per_group": lambda m, o: m.LambdaLR(o, [lambda t: 1 / (t + 1), lambda t: 0.9 ** t]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda t: 0.97),
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=15),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=20, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.002),
    "OneCycleLR_cos": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
    "OneCycleLR_linear_3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.8, epochs=4, steps_per_epoch=10, anneal_strategy="linear",
        three_phase=True, pct_start=0.25),
    "CyclicLR_triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                   step_size_up=4, step_size_down=6),
    "CyclicLR_triangular2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1,
                                                    step_size_up=5, mode="triangular2"),
    "CyclicLR_exp_range": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                                  mode="exp_range", gamma=0.95),
    "SequentialLR_warmup_cosine": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)],
        milestones=[5]),
    "SequentialLR_three": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9),
            m.StepLR(o, step_size=4)], milestones=[6, 20]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=4), m.ExponentialLR(o, gamma=0.9)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    mine, ref = make_optimizers()
    lrs, moms = run(CASES[name](ours, mine), mine)
    ref_lrs, ref_moms = run(CASES[name](theirs, ref), ref)
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(moms, ref_moms, rtol=1e-12, atol=1e-15)
    assert [g["lr"] for g in mine.param_groups] == pytest.approx(
        [g["lr"] for g in ref.param_groups], rel=1e-12)


def test_one_cycle_cycles_adam_beta1():
    mine, ref = make_optimizers("Adam")
    lrs, moms = run(ours.OneCycleLR(mine, max_lr=0.3, total_steps=STEPS), mine)
    ref_lrs, ref_moms = run(theirs.OneCycleLR(ref, max_lr=0.3, total_steps=STEPS), ref)
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-12)
    np.testing.assert_allclose(moms, ref_moms, rtol=1e-12)
    assert moms.min() == pytest.approx(0.85) and moms.max() == pytest.approx(0.95)
    assert mine.param_groups[0]["betas"][1] == 0.999


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.1, threshold_mode="abs"),
    dict(patience=1, cooldown=3, min_lr=[0.02, 0.001], factor=0.3),
    dict(mode="max", threshold_mode="rel", threshold=0.01, patience=0, min_lr=0.004),
])
def test_reduce_lr_on_plateau(kwargs):
    rng = np.random.default_rng(3)
    metrics = list(np.concatenate([np.linspace(5, 1, 8), 1 + 0.05 * rng.standard_normal(32)]))
    mine, ref = make_optimizers()
    lrs, _ = run(ours.ReduceLROnPlateau(mine, **kwargs), mine, metrics)
    ref_lrs, _ = run(theirs.ReduceLROnPlateau(ref, **kwargs), ref, metrics)
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-12)
    assert lrs[-1, 0] < lrs[0, 0]  # the plateau did reduce the lr


def test_inverse_time_lr_formula_and_torch_lambda():
    mine, ref = make_optimizers()
    lrs, _ = run(ours.InverseTimeLR(mine, decay=0.3), mine)
    ref_lrs, _ = run(theirs.LambdaLR(ref, lambda t: 1 / (1 + 0.3 * t)), ref)
    t = np.arange(STEPS + 1)[:, None]
    np.testing.assert_allclose(lrs, np.array([0.1, 0.05]) / (1 + 0.3 * t), rtol=1e-14)
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-15)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR_cos",
                                  "CyclicLR_triangular2", "CosineAnnealingWarmRestarts",
                                  "SequentialLR_warmup_cosine"])
def test_state_dict_round_trip(name):
    """Save after 13 steps, load into a fresh scheduler: the rest of the run is identical."""
    mine, _ = make_optimizers()
    scheduler = CASES[name](ours, mine)
    for _ in range(13):
        scheduler.step()
    saved_sched, saved_opt = scheduler.state_dict(), mine.state_dict()
    expected = [run(scheduler, mine, steps=15)[0]]

    fresh, _ = make_optimizers()
    resumed = CASES[name](ours, fresh)
    fresh.load_state_dict(saved_opt)
    resumed.load_state_dict(saved_sched)
    np.testing.assert_array_equal(run(resumed, fresh, steps=15)[0], expected[0])


def test_reduce_lr_on_plateau_state_dict():
    mine, _ = make_optimizers()
    s = ours.ReduceLROnPlateau(mine, patience=1)
    for m in (3.0, 2.0, 2.5, 2.6):
        s.step(m)
    state = s.state_dict()
    assert state["best"] == 2.0 and "optimizer" not in state
    s2 = ours.ReduceLROnPlateau(make_optimizers()[0], patience=1)
    s2.load_state_dict(state)
    assert s2.best == 2.0 and s2.num_bad_epochs == s.num_bad_epochs


def test_errors():
    mine, _ = make_optimizers()
    with pytest.raises(TypeError, match="needs a tinygrad_lr Optimizer"):
        ours.StepLR("not an optimizer", step_size=3)
    with pytest.raises(ValueError, match="factor must be < 1"):
        ours.ReduceLROnPlateau(mine, factor=1.5)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        ours.ReduceLROnPlateau(mine, mode="lowest")
    with pytest.raises(ValueError, match="lr_lambda has 3 values"):
        ours.LambdaLR(mine, [lambda t: 1.0] * 3)
    with pytest.raises(ValueError, match="3 schedulers need 2 milestones"):
        ours.SequentialLR(mine, [ours.ExponentialLR(mine, 0.9)] * 3, milestones=[2])
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum"):
        ours.OneCycleLR(optim.Adagrad([tl.Tensor(np.ones(2), requires_grad=True)]),
                        max_lr=0.1, total_steps=10)
    s = ours.OneCycleLR(mine, max_lr=0.1, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        s.step()
    with pytest.raises(ValueError, match="T_0 must be a positive integer"):
        ours.CosineAnnealingWarmRestarts(mine, T_0=0)


def test_scheduler_changes_what_the_optimizer_does():
    """The scheduled lr is the one the next optimizer step uses."""
    w = tl.Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = ours.StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(3):
        w.grad = tl.Tensor(np.ones(1))
        before = w.numpy().copy()
        opt.step()
        sched.step()
        moves.append(float(before[0] - w.numpy()[0]))
    assert moves == [1.0, 0.5, 0.25]
    assert math.isclose(sched.get_last_lr()[0], 0.125)


# ------------------------------------------------------------------ bad arguments
NAN = float("nan")
# (scheduler, kwargs, argument named in the error). PyTorch refuses each of them too (at
# construction or at a step), except DEVIATIONS: those it accepts and then drives the lr
# negative, to NaN, or never moves it (a milestone like 1.5 is never reached).
BAD_ARGUMENTS = [
    ("StepLR", dict(step_size=0), "step_size"), ("StepLR", dict(step_size="2"), "step_size"),
    ("StepLR", dict(step_size=2, gamma="0.1"), "gamma"),
    ("MultiStepLR", dict(milestones=5), "milestones"),
    ("ExponentialLR", dict(gamma="0.9"), "gamma"), ("LambdaLR", dict(lr_lambda=0.5), "lr_lambda"),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1, lambda e: 1]), "lr_lambda"),
    ("MultiplicativeLR", dict(lr_lambda=0.5), "lr_lambda"),
    ("ConstantLR", dict(factor=1.5), "factor"), ("LinearLR", dict(start_factor=0), "start_factor"),
    ("LinearLR", dict(end_factor=1.5), "end_factor"), ("CosineAnnealingLR", dict(T_max=0), "T_max"),
    ("CosineAnnealingWarmRestarts", dict(T_0=0), "T_0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0), "T_mult"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2.0), "T_0"), ("OneCycleLR", dict(max_lr=0.1), "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), "total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=0, steps_per_epoch=5), "epochs"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1), "steps_per_epoch"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), "anneal_strategy"),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2], total_steps=10), "max_lr"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, div_factor=0), "div_factor"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2.5, steps_per_epoch=4), "epochs"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, mode="tri"), "mode"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=0), "step_size_up"),
    ("CyclicLR", dict(base_lr=[0.01, 0.1], max_lr=0.1), "base_lr"),
    ("ReduceLROnPlateau", dict(factor=1.5), "factor"), ("ReduceLROnPlateau", dict(factor=1.0), "factor"),
    ("ReduceLROnPlateau", dict(mode="up"), "mode"),
    ("ReduceLROnPlateau", dict(threshold_mode="x"), "threshold_mode"),
    ("ReduceLROnPlateau", dict(min_lr=[0, 0]), "min_lr"),
]
DEVIATIONS = [  # accepted by PyTorch, refused here
    ("StepLR", dict(step_size=-1), "step_size"), ("StepLR", dict(step_size=2.5), "step_size"),
    ("StepLR", dict(step_size=2, gamma=-0.5), "gamma"), ("StepLR", dict(step_size=2, gamma=NAN), "gamma"),
    ("MultiStepLR", dict(milestones=[1.5]), "milestone"),
    ("MultiStepLR", dict(milestones=[2], gamma=-1), "gamma"),
    ("ExponentialLR", dict(gamma=-0.9), "gamma"),
    ("ConstantLR", dict(factor=0.5, total_iters=-1), "total_iters"),
    ("ConstantLR", dict(total_iters=2.5), "total_iters"), ("LinearLR", dict(total_iters=-2), "total_iters"),
    ("PolynomialLR", dict(total_iters=-1), "total_iters"), ("PolynomialLR", dict(power=-1), "power"),
    ("CosineAnnealingLR", dict(T_max=-5), "T_max"),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=-1), "eta_min"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min=-1), "eta_min"),
    ("OneCycleLR", dict(max_lr=-0.1, total_steps=10), "max_lr"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=-2), "step_size_up"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, scale_mode="epochs", scale_fn=lambda x: 1.0),
     "scale_mode"),
    ("ReduceLROnPlateau", dict(factor=-0.5), "factor"), ("ReduceLROnPlateau", dict(patience=-1), "patience"),
    ("ReduceLROnPlateau", dict(cooldown=-1), "cooldown"), ("ReduceLROnPlateau", dict(min_lr=-1), "min_lr"),
]
ACCEPTED = [("MultiStepLR", dict(milestones=[3, 1])), ("ExponentialLR", dict(gamma=0.0)),
            ("ExponentialLR", dict(gamma=1.5)), ("LinearLR", dict(total_iters=0)),
            ("PolynomialLR", dict(total_iters=0)), ("CosineAnnealingLR", dict(T_max=2.5)),
            ("ReduceLROnPlateau", dict(threshold=-1))]


def _run(lib_optim, lib_sched, name, kwargs, params):
    opt = lib_optim.SGD(params, lr=0.1, momentum=0.9)
    sched = getattr(lib_sched, name)(opt, **kwargs)
    for _ in range(4):
        opt.step()
        sched.step(1.0) if name == "ReduceLROnPlateau" else sched.step()
    return opt.param_groups[0]["lr"]


def _torch_refuses(name, kwargs):
    try:
        _run(torch.optim, theirs, name, kwargs, [torch.nn.Parameter(torch.ones(2))])
    except Exception:  # noqa: BLE001 - any refusal counts
        return True
    return False


@pytest.mark.parametrize("name,kwargs,argument", BAD_ARGUMENTS + DEVIATIONS)
def test_bad_scheduler_arguments_are_refused_at_construction(name, kwargs, argument):
    opt = optim.SGD([tl.ones(2, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises((ValueError, TypeError), match=rf"^{name}: .*{argument}"):
        getattr(ours, name)(opt, **kwargs)
    assert _torch_refuses(name, kwargs) == ((name, kwargs, argument) not in DEVIATIONS)


@pytest.mark.parametrize("name,kwargs", ACCEPTED)
def test_scheduler_arguments_pytorch_accepts_give_its_lrs(name, kwargs):
    lr = _run(optim, ours, name, kwargs, [tl.ones(2, requires_grad=True)])
    assert lr == pytest.approx(_run(torch.optim, theirs, name, kwargs,
                                    [torch.nn.Parameter(torch.ones(2))]))


def test_sequential_and_chained_refuse_what_is_not_a_scheduler():
    opt = optim.SGD([tl.ones(2, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match=r"SequentialLR: schedulers\[1\] is a float"):
        ours.SequentialLR(opt, [ours.StepLR(opt, 2), 0.5], milestones=[2])
    with pytest.raises(TypeError, match=r"ChainedScheduler: schedulers\[0\] is a str"):
        ours.ChainedScheduler(["StepLR"])

"""Resumable training: a run that is killed (SIGKILL, at arbitrary points, also during a
save) and resumed from its TrainingCheckpoint ends with the same weights, bit for bit, as
one that was never interrupted; ModelCheckpoint never replaces a better model."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader, TensorDataset, datasets
from tinygrad_lr.optim import lr_scheduler
from tinygrad_lr.random import Generator
from tinygrad_lr.serialization import load_metadata
from tinygrad_lr.train import (
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    TrainingCheckpoint,
    fit,
)

SCRIPT = os.path.join(os.path.dirname(__file__), "resumable_training_script.py")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start(directory, *extra):
    return subprocess.Popen([sys.executable, SCRIPT, str(directory), *extra],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": ROOT})


def _run_to_the_end(directory, *extra):
    proc = _start(directory, *extra)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0 and out.rstrip().endswith("done")


def _kill_after(directory, step, *extra):
    """Start the script (it resumes from its newest state) and SIGKILL it as soon as it
    reports optimizer step `step`; returns the first step it reported."""
    proc = _start(directory, *extra)
    first = None
    for line in proc.stdout:
        if line.startswith("step "):
            first = first or int(line.split()[1])
            if int(line.split()[1]) >= step:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    return first


def _arrays(path):
    return {k: v.numpy() for k, v in tl.load(path).items()}


@pytest.mark.parametrize("kills,extra", [((10, 19, 30, 41), ()),
                                         ((12, 30), ("own_generator",))],
                         ids=["default-generator", "loader-generator"])
def test_sigkilled_training_resumes_bit_identically(tmp_path, kills, extra):
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    reference.mkdir(), interrupted.mkdir()
    _run_to_the_end(reference, *extra)
    resumed_at = [_kill_after(interrupted, k, *extra) for k in kills]
    _run_to_the_end(interrupted, *extra)
    # every run after the first resumed from the newest saved state
    assert resumed_at[0] == 1 and all(s > 1 for s in resumed_at[1:]), resumed_at
    ref, got = _arrays(reference / "final.npz"), _arrays(interrupted / "final.npz")
    assert list(ref) == list(got)
    for k in ref:
        assert ref[k].dtype == got[k].dtype and np.array_equal(ref[k], got[k]), k
    h_ref = json.loads((reference / "history.json").read_text())
    h_got = json.loads((interrupted / "history.json").read_text())
    assert h_got["iterations"] == h_ref["iterations"]  # loss, lr, grad norms: every step
    drop_time = [{k: v for k, v in row.items() if k != "time_s"} for row in h_ref["epochs"]]
    assert [{k: v for k, v in row.items() if k != "time_s"} for row in h_got["epochs"]] \
        == drop_time and len(drop_time) == 6
    bests = sorted(n for n in os.listdir(reference) if n.startswith("best-"))
    assert bests == sorted(n for n in os.listdir(interrupted) if n.startswith("best-"))
    for name in bests:  # epoch numbers went on; no file was overwritten by another epoch's
        assert load_metadata(reference / name) == load_metadata(interrupted / name)
    assert not [n for n in os.listdir(interrupted) if n.endswith(".tmp")]


# ------------------------------------------------------------------ in-process resumes
class Crash(Exception):
    pass


def _crash_at(iteration):
    def crash(state):
        if state.iteration == iteration:
            raise Crash(f"simulated crash after step {iteration}")
    return LambdaCallback(on_batch_end=crash)


def _problem(kind):
    """A fresh model/optimizer/scheduler/loader, built the same way every time."""
    tl.manual_seed(0)
    X, y = datasets.moons(200, noise=0.25, seed=3)
    Xv, yv = datasets.moons(50, noise=0.25, seed=4)
    loader_kw = {"seed": 7} if kind == "seed" else \
        {"generator": Generator().manual_seed(11)} if kind == "generator" else {}
    train = DataLoader(TensorDataset(X, y), batch_size=24, shuffle=True, **loader_kw)
    val = DataLoader(TensorDataset(Xv, yv), batch_size=50)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 2))
    if kind == "plateau":
        opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True)
        sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    elif kind == "seed":
        opt = optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5, centered=True)
        sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    else:
        opt = optim.AdamW(model.parameters(), lr=0.02, amsgrad=True)
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    return model, opt, sched, train, val


def _train(kind, path, epochs=5, extra=(), resume=None, every_n_steps=None):
    model, opt, sched, train, val = _problem(kind)
    early = EarlyStopping(patience=2, restore_best_weights=True)
    ckpt = TrainingCheckpoint(path, every_n_steps=every_n_steps)
    history = fit(model, nn.CrossEntropyLoss(), opt, train, epochs, scheduler=sched,
                  val_loader=val, metrics=["accuracy"], progress=False,
                  callbacks=[early, ckpt, *extra], resume_from=resume,
                  record_param_grad_norms=True, clip_grad_value=0.5)
    return model, history, early


def _untimed(history):
    return [{k: v for k, v in row.items() if k != "time_s"} for row in history.epochs]


def _same_run(a, b):
    (model_a, hist_a, early_a), (model_b, hist_b, early_b) = a, b
    for (k, va), (_, vb) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert np.array_equal(va.numpy(), vb.numpy()), k
    assert hist_a.iterations == hist_b.iterations
    assert hist_a.param_grad_norms == hist_b.param_grad_norms
    assert _untimed(hist_a) == _untimed(hist_b)
    assert hist_a.stop_reason == hist_b.stop_reason
    assert (early_a.best.value, early_a.best_epoch) == (early_b.best.value, early_b.best_epoch)


@pytest.mark.parametrize("kind", ["default", "seed", "generator", "plateau"])
@pytest.mark.parametrize("crash_at,every_n_steps", [(12, None), (13, 4), (26, 5)])
def test_crashed_fit_resumes_to_the_same_weights(tmp_path, kind, crash_at, every_n_steps):
    reference = _train(kind, tmp_path / "ref.npz", every_n_steps=every_n_steps)
    path = tmp_path / "state.npz"
    with pytest.raises(Crash):
        _train(kind, path, extra=[_crash_at(crash_at)], every_n_steps=every_n_steps)
    saved_at = load_metadata(path)["iteration"]
    assert 0 < saved_at <= crash_at
    resumed = _train(kind, path, resume=str(path), every_n_steps=every_n_steps)
    _same_run(reference, resumed)


def test_resume_last_starts_fresh_then_resumes_and_continues_epochs(tmp_path):
    pattern = str(tmp_path / "state-{epoch}-{iteration}.npz")
    fresh = _train("default", pattern, epochs=2, resume="last")  # nothing saved: a new run
    assert [r["epoch"] for r in fresh[1].epochs] == [1, 2]
    more = _train("default", pattern, epochs=4, resume="last")  # two more epochs
    assert [r["epoch"] for r in more[1].epochs] == [1, 2, 3, 4]
    assert sorted(os.listdir(tmp_path)) == [f"state-{e}-{e * 9}.npz" for e in (1, 2, 3, 4)]
    straight = _train("default", tmp_path / "straight.npz", epochs=4)
    _same_run(straight, more)
    again = _train("default", pattern, epochs=4, resume="last")  # nothing left to do
    _same_run(straight, again)


def test_resume_refuses_what_is_not_a_training_state(tmp_path):
    model, opt, _, train, _ = _problem("default")
    tl.save(model.state_dict(), tmp_path / "weights.npz")
    with pytest.raises(ValueError, match="looks like a model state_dict"):
        fit(model, nn.CrossEntropyLoss(), opt, train, 1, resume_from=tmp_path / "weights.npz",
            progress=False)
    with pytest.raises(ValueError, match='resume_from="last" needs a TrainingCheckpoint'):
        fit(model, nn.CrossEntropyLoss(), opt, train, 1, resume_from="last", progress=False)
    with pytest.raises(FileNotFoundError):
        fit(model, nn.CrossEntropyLoss(), opt, train, 1, resume_from=tmp_path / "none.npz",
            progress=False)
    _train("default", tmp_path / "s.npz", epochs=1)
    with pytest.raises(ValueError, match="with a scheduler; pass the same kind"):
        fit(model, nn.CrossEntropyLoss(), opt, train, 2, resume_from=tmp_path / "s.npz",
            progress=False)
    with pytest.raises(ValueError, match="path may contain {epoch} and {iteration}"):
        TrainingCheckpoint(tmp_path / "s-{val_loss}.npz")


# ------------------------------------------------------------------ ModelCheckpoint
def _line():
    X, y = datasets.linear_regression(64, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    return loader, DataLoader(TensorDataset(X, y), batch_size=64)


def test_model_checkpoint_never_replaces_a_better_model(tmp_path):
    loader, val = _line()
    path = tmp_path / "best.npz"
    tl.manual_seed(0)
    model = nn.Linear(1, 1)
    ckpt = ModelCheckpoint(path)
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.05), loader, 8,
            val_loader=val, callbacks=[ckpt], progress=False)
    best = min(h.epoch_values("val_loss"))
    good, saves = path.read_bytes(), len(ckpt.saved)
    assert saves >= 2 and set(ckpt.saved) == {str(path)}
    assert load_metadata(path) == {"monitor": "val_loss", "value": best,
                                   "epoch": h.epoch_values("val_loss").index(best) + 1}
    worse = nn.Linear(1, 1)  # a fresh, untrained model: every epoch is worse than best
    for callback in (ckpt, ModelCheckpoint(path)):  # the same callback, and a new one
        h2 = fit(worse, nn.MSELoss(), optim.SGD(worse.parameters(), lr=1e-4), loader, 2,
                 val_loader=val, callbacks=[callback], progress=False)
        assert min(h2.epoch_values("val_loss")) > best
        assert path.read_bytes() == good
    assert ckpt.best.value == best and len(ckpt.saved) == saves


def test_mid_epoch_resume_keeps_the_epochs_training_metrics(tmp_path):
    def run(resume=None, crash=None):
        model, opt, _, train, _ = _problem("default")
        extra = [crash] if crash else []
        return model, fit(model, nn.CrossEntropyLoss(), opt, train, 3, metrics=["accuracy"],
                          callbacks=[TrainingCheckpoint(tmp_path / "s.npz", every_n_steps=3),
                                     *extra], progress=False, resume_from=resume)

    model_a, hist_a = run()
    with pytest.raises(Crash):
        run(crash=_crash_at(16))  # saved after step 15, inside epoch 2 (9 steps per epoch)
    assert load_metadata(tmp_path / "s.npz")["iteration"] == 15
    model_b, hist_b = run(resume=tmp_path / "s.npz")
    assert hist_a.epoch_values("train_accuracy") == hist_b.epoch_values("train_accuracy")
    assert hist_a.epoch_values("train_loss") == hist_b.epoch_values("train_loss")
    for (k, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), k

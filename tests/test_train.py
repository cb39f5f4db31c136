import json
import math
import os

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader, TensorDataset, datasets
from tinygrad_lr.train import (
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    accuracy,
    confusion_matrix,
    f1_score,
    fit,
    linear_regression_normal_equation,
    lr_find,
    precision,
    r2_score,
    recall,
    sweep,
)
from tinygrad_lr.train.recipes import make_experiment

skm = pytest.importorskip("sklearn.metrics")


# ------------------------------------------------------------------ metrics
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_multiclass_metrics_equal_sklearn(average):
    rng = np.random.default_rng(0)
    target = rng.integers(0, 4, 60)
    scores = rng.standard_normal((60, 4))          # per-class scores ...
    labels = scores.argmax(1)                      # ... and the labels they mean
    labels[:3] = 3  # make sure class 3 is predicted
    scores[np.arange(3), 3] = 10.0
    for pred in (labels, tl.tensor(scores)):
        assert precision(pred, target, average) == pytest.approx(
            skm.precision_score(target, labels, average=average, zero_division=0))
        assert recall(pred, target, average) == pytest.approx(
            skm.recall_score(target, labels, average=average, zero_division=0))
        assert f1_score(pred, target, average) == pytest.approx(
            skm.f1_score(target, labels, average=average, zero_division=0))
        assert accuracy(pred, tl.tensor(target)) == pytest.approx(
            skm.accuracy_score(target, labels))


def test_binary_metrics_and_confusion_matrix_equal_sklearn():
    rng = np.random.default_rng(1)
    target = rng.integers(0, 2, 50)
    prob = rng.random(50)                           # probabilities of class 1
    labels = (prob >= 0.5).astype(int)
    for pred in (labels, prob):
        assert precision(pred, target) == pytest.approx(skm.precision_score(target, labels))
        assert recall(pred, target) == pytest.approx(skm.recall_score(target, labels))
        assert f1_score(pred, target) == pytest.approx(skm.f1_score(target, labels))
    assert np.array_equal(confusion_matrix(labels, target),
                          skm.confusion_matrix(target, labels))
    with pytest.raises(ValueError, match="average must be one of"):
        f1_score(labels, target, average="samples")
    with pytest.raises(ValueError, match="needs two classes"):
        f1_score(np.array([0, 1, 2]), np.array([0, 1, 2]))


def test_r2_score_equals_sklearn_with_pred_target_order():
    rng = np.random.default_rng(2)
    target = rng.standard_normal((40, 2))
    pred = target + 0.5 * rng.standard_normal((40, 2))
    assert r2_score(tl.tensor(pred), target) == pytest.approx(skm.r2_score(target, pred))
    assert r2_score(pred[:, 0], target[:, 0]) == pytest.approx(
        skm.r2_score(target[:, 0], pred[:, 0]))


NAN = float("nan")
CLASSIFICATION_METRICS = {"accuracy": accuracy, "precision": precision, "recall": recall,
                          "f1_score": f1_score, "confusion_matrix": confusion_matrix}
# (pred, target, error, message): bad inputs every classification metric must refuse
BAD_CLASSIFICATION = [
    ([], [], ValueError, "pred is empty"),
    ([0, 1, 1], [0, 1], ValueError, "pred gives 3 labels but target has 2"),
    ([0, 1], [0.5, 1.0], ValueError,
     r"target must hold class labels \(whole numbers\), got 0.5 at index 0"),
    ([0, 1], [NAN, 1], ValueError, "target must hold class labels"),
    ([[NAN, 1.0], [0.0, 1.0]], [0, 1], ValueError,
     r"pred contains NaN \(1 of 4 values, the first at index \(0, 0\)\).*diverged"),
    ([NAN, 0.3], [0, 1], ValueError, "pred contains NaN"),
    ([0, 1], [-1, 1], ValueError, "target holds the negative label -1 at index 0"),
    ([-1, 1], [0, 1], ValueError, "pred holds the negative label -1"),
    (np.zeros((2, 2, 2)), [0, 1], ValueError, r"pred must be labels .* got shape \(2, 2, 2\)"),
    ([0, 1], [[1, 0], [0, 1]], ValueError, "for one-hot targets pass target.argmax"),
    ("01", [0, 1], TypeError, "pred must be a Tensor, numpy array or list"),
    (np.array([None, 1], dtype=object), [0, 1], TypeError, "pred must hold numbers"),
    ([[0.1, 0.9], [0.3]], [0, 1], ValueError, "pred is a ragged list"),
    (None, [0, 1], TypeError, "pred must be a Tensor"),
    ([0, 1], tl.tensor([[0.0], [0.5]]), ValueError, "got 0.5 at index 1"),
]


@pytest.mark.parametrize("name", CLASSIFICATION_METRICS)
@pytest.mark.parametrize("pred,target,error,message", BAD_CLASSIFICATION)
def test_classification_metrics_name_every_bad_input(name, pred, target, error, message):
    with pytest.raises(error, match=rf"^{name}: .*{message}"):
        CLASSIFICATION_METRICS[name](pred, target)
    # scikit-learn (arguments the other way round) refuses them too, except negative
    # labels: ours are class indices 0..C-1, as PyTorch's losses and torchmetrics use
    if "negative" not in message:
        with pytest.raises((ValueError, TypeError)):
            sk = {"accuracy": skm.accuracy_score, "confusion_matrix": skm.confusion_matrix,
                  "precision": skm.precision_score, "recall": skm.recall_score,
                  "f1_score": skm.f1_score}[name]
            sk(np.asarray(getattr(target, "_data", target)), np.asarray(pred))


@pytest.mark.parametrize("call,error,message", [
    (lambda: confusion_matrix([0, 1], [0, 1], num_classes=0), ValueError,
     "num_classes must be a positive integer"),
    (lambda: confusion_matrix([0, 1], [0, 1], num_classes="2"), ValueError, "num_classes"),
    (lambda: confusion_matrix([0, 3], [0, 1], num_classes=3), ValueError,
     "label 3 does not fit num_classes=3"),
    (lambda: confusion_matrix([0, 10 ** 9], [0, 1]), ValueError, "more than 10000 classes"),
    (lambda: precision([0, 1], [0, 1], average="samples"), ValueError,
     "precision: average must be one of"),
    (lambda: recall([0, 1], [0, 1], pos_label="1"), TypeError,
     "recall: pos_label must be an integer"),
    (lambda: f1_score([0, 1, 2], [0, 1, 2]), ValueError, "f1_score: average='binary' needs"),
])
def test_metric_arguments_are_checked(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("pred,target,message", [
    (np.zeros(6), np.zeros((2, 3)), r"pred has shape \(6,\) but target has shape \(2, 3\)"),
    (np.zeros((2, 3)), np.zeros((3, 2)), "must match"),
    (np.zeros(3), np.zeros(4), r"pred has shape \(3,\) but target has shape \(4,\)"),
    ([1.0], [2.0], "needs at least two samples"),
    ([1.0, NAN], [1.0, 2.0], "pred contains nan at index"),
    ([1.0, 2.0], [1.0, float("inf")], "target contains inf"),
    (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "must have shape"),
    ([], [], "pred is empty"),
    ("12", [1, 2], "pred must be a Tensor"),
    (1.0, 1.0, r"must have shape \(n,\)"),
])
def test_r2_score_refuses_what_scikit_learn_refuses(pred, target, message):
    with pytest.raises((ValueError, TypeError), match="^r2_score: .*" + message):
        r2_score(pred, target)
    if "two samples" in message:  # scikit-learn warns and returns NaN; torchmetrics raises
        with pytest.warns(UserWarning, match="not well-defined with less than two samples"):
            assert math.isnan(skm.r2_score(np.asarray(target), np.asarray(pred)))
        return
    with pytest.raises((ValueError, TypeError)):
        skm.r2_score(np.asarray(target), np.asarray(pred))


def test_metrics_accept_what_they_should():
    # (n,) vs (n, 1) is the same shape for r2 (as scikit-learn), float targets that are
    # whole numbers are labels, 1-D scores outside [0, 1] are logits (as torchmetrics)
    t = np.array([1.0, 2.0, 4.0])
    assert r2_score(t.reshape(3, 1), t) == 1.0
    assert accuracy([0, 1, 2], np.array([0.0, 1.0, 2.0])) == 1.0
    assert accuracy(np.array([-2.5, 0.3, 4.0]), [0, 1, 1]) == 1.0
    assert accuracy(np.array([0.2, 0.7, 0.5]), [0, 1, 1]) == 1.0
    assert accuracy(np.array([[0.1, 0.9], [-np.inf, 0.0]]), [1, 1]) == 1.0
    assert confusion_matrix(np.eye(3)[[0, 1]], [0, 1]).shape == (3, 3)  # scores know 3 classes


def test_fit_records_nan_metrics_of_nan_predictions():
    X = tl.tensor(np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32))
    y = tl.tensor(np.arange(20) % 2)
    model = nn.Linear(2, 2)

    def weight_decay_only(out, target):  # a finite loss while the predictions are NaN
        return (model.weight ** 2).sum()

    nan_model = nn.Sequential(model, nn.Identity())
    nan_model[1].forward = lambda x: x * float("nan")
    loader = DataLoader(TensorDataset(X, y), batch_size=10)
    with pytest.warns(RuntimeWarning, match="metric accuracy is NaN: accuracy: pred contains "
                                            "NaN"):
        h = fit(nan_model, weight_decay_only, optim.SGD(model.parameters(), lr=0.1), loader, 1,
                metrics=["accuracy"], progress=False)
    assert math.isnan(h.epochs[0]["train_accuracy"])


def test_normal_equation_matches_numpy():
    X, y = datasets.linear_regression(200, seed=3)
    w, b = linear_regression_normal_equation(X, y)
    slope, intercept = np.polyfit(X.numpy()[:, 0].astype(np.float64),
                                  y.numpy()[:, 0].astype(np.float64), 1)
    assert w.shape == (1, 1) and b.shape == (1,)
    assert w.item() == pytest.approx(slope, rel=1e-5)
    assert b.item() == pytest.approx(intercept, rel=1e-5)


# ------------------------------------------------------------------ fit
def _line_problem(n=64, batch=16):
    X, y = datasets.linear_regression(n, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=0)
    return loader, DataLoader(TensorDataset(X, y), batch_size=n)


def test_fit_records_history():
    tl.manual_seed(0)
    loader, val = _line_problem()
    model = nn.Linear(1, 1)
    seen = []
    hook = LambdaCallback(on_batch_end=lambda s: seen.append((s.iteration, s.loss)))
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, 5,
            val_loader=val, metrics=["r2"], callbacks=[hook], progress=False)
    assert len(h.loss) == len(h.lr) == len(h.grad_norm) == 5 * len(loader) == len(seen)
    assert seen[-1] == (20, h.loss[-1])
    assert all(lr == 0.1 for lr in h.lr) and all(g > 0 for g in h.grad_norm)
    assert [row["epoch"] for row in h.epochs] == [1, 2, 3, 4, 5]
    assert h.epochs[-1]["val_loss"] < h.epochs[0]["train_loss"]
    assert 0.5 < h.epochs[-1]["val_r2"] <= 1
    # the recorded norm is the real one: the grads of the last step are still in .grad
    norm = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in model.parameters()))
    assert h.grad_norm[-1] == pytest.approx(norm, rel=1e-6)
    assert h.stop_reason is None and not h.diverged


def test_fit_stops_on_nan_and_keeps_history():
    loader, _ = _line_problem()
    model = nn.Linear(1, 1)
    with pytest.warns(RuntimeWarning, match=r"loss became (nan|inf) at iteration \d+ "
                      r"\(epoch \d+, lr=50\)"):
        h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=50.0), loader, 20,
                progress=False)
    assert h.diverged and "iteration" in h.stop_reason
    assert 0 < len(h.loss) < 20 * len(loader)
    assert all(math.isfinite(v) for v in h.loss)  # the history kept is what was trained


def test_fit_scheduler_stepping():
    loader, val = _line_problem()
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3 * len(loader))
    h = fit(model, nn.MSELoss(), opt, loader, 3, scheduler=sched, progress=False)
    assert len(set(h.lr)) == len(h.lr)  # a new lr every iteration
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(model, nn.MSELoss(), opt, loader, 3, scheduler=sched, progress=False)
    assert sorted(set(h.lr), reverse=True) == pytest.approx([0.1, 0.05, 0.025])
    opt = optim.SGD(model.parameters(), lr=0.0)  # lr 0: the val loss cannot improve

    class Recorder(optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            self.seen = getattr(self, "seen", []) + [metrics]
            super().step(metrics)

    sched = Recorder(opt)
    h = fit(model, nn.MSELoss(), opt, loader, 2, scheduler=sched, val_loader=val,
            progress=False)
    assert sched.seen == pytest.approx(h.epoch_values("val_loss"))


def _digits_mlp(seed=0):
    tl.manual_seed(seed)
    X, y = datasets.load_digits()
    loader = DataLoader(TensorDataset(X[:400], y[:400]), batch_size=50, shuffle=True, seed=1)
    model = nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    return model, optim.SGD(model.parameters(), lr=0.5, momentum=0.9), loader


def _manual_training(clip, epochs=2):
    """The loop a user writes by hand, clipping between backward and step."""
    from tinygrad_lr.nn.utils import clip_grad_norm_, clip_grad_value_

    model, opt, loader = _digits_mlp()
    norms = []
    for _ in range(epochs):
        for X, y in loader:
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(model(X), y)
            loss.backward()
            if "value" in clip:
                clip_grad_value_(model.parameters(), clip["value"])
            norms.append(float(clip_grad_norm_(model.parameters(), clip.get("norm", math.inf))))
            opt.step()
    return model, norms


@pytest.mark.parametrize("clip", [{"norm": 0.5}, {"value": 0.01}, {"value": 0.02, "norm": 0.3}])
def test_clipping_in_fit_equals_manual_clipping(clip):
    manual, manual_norms = _manual_training(clip)
    model, opt, loader = _digits_mlp()
    h = fit(model, nn.CrossEntropyLoss(), opt, loader, 2, progress=False,
            clip_grad_norm=clip.get("norm"), clip_grad_value=clip.get("value"))
    for (k, a), (_, b) in zip(manual.state_dict().items(), model.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), k  # bit for bit
    after = np.array(h.grad_norm_clipped)
    if "norm" in clip:
        assert np.all(after <= clip["norm"] * (1 + 1e-5))
        assert np.any(np.array(h.grad_norm) > clip["norm"])  # the clipping did act
    if "value" in clip and "norm" not in clip:
        # value clipping happens first; the recorded "before" norm is the raw one
        assert np.allclose(after, manual_norms, rtol=1e-5)
        assert np.all(np.array(h.grad_norm) >= after)


def test_after_backward_hook_sees_raw_gradients_and_can_clip_them():
    model, opt, loader = _digits_mlp()
    seen = []

    def halve(state):  # runs between backward and step: inspect, log, or change grads
        raw = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in model.parameters()))
        seen.append((state.iteration, raw, state.grad_norm))
        for p in model.parameters():
            p.grad._data *= 0.5

    h = fit(model, nn.CrossEntropyLoss(), opt, loader, 1, progress=False,
            callbacks=[LambdaCallback(on_after_backward=halve)], record_param_grad_norms=True)
    assert [s[0] for s in seen] == list(range(len(loader)))  # before the step is counted
    assert all(raw == pytest.approx(norm, rel=1e-6) for _, raw, norm in seen)
    assert h.grad_norm_clipped == pytest.approx([0.5 * g for g in h.grad_norm], rel=1e-6)
    names = [n for n, _ in model.named_parameters()]
    assert list(h.param_grad_norms) == names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(len(v) == len(h.loss) for v in h.param_grad_norms.values())
    per_param = np.sqrt(sum(np.square(v) for v in h.param_grad_norms.values()))
    np.testing.assert_allclose(per_param, h.grad_norm, rtol=1e-5)  # they add up to the norm
    layers = h.layer_grad_norms()
    assert list(layers) == ["0", "2"]
    np.testing.assert_allclose(layers["0"], np.hypot(h.param_grad_norms["0.weight"],
                                                     h.param_grad_norms["0.bias"]))


def test_fit_refuses_bad_arguments_before_training():
    model, opt, loader = _digits_mlp()
    other = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    for sched in (optim.lr_scheduler.StepLR(other, step_size=1),
                  optim.lr_scheduler.ReduceLROnPlateau(other)):
        with pytest.raises(ValueError, match=rf"scheduler \({type(sched).__name__}\) was "
                                             r"built on another optimizer \(SGD at"):
            fit(model, nn.CrossEntropyLoss(), opt, loader, 1, scheduler=sched, progress=False)
    with pytest.raises(TypeError, match="scheduler must be an lr scheduler"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, 1, scheduler=0.1, progress=False)
    for name, bad in (("clip_grad_norm", 0), ("clip_grad_norm", -1.0), ("clip_grad_value", "1"),
                      ("clip_grad_value", math.nan), ("clip_grad_norm", math.inf)):
        with pytest.raises(ValueError, match=f"fit: {name} must be a positive number"):
            fit(model, nn.CrossEntropyLoss(), opt, loader, 1, progress=False, **{name: bad})
    for bad in (-1, 2.5, "3"):
        with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
            fit(model, nn.CrossEntropyLoss(), opt, loader, bad, progress=False)
    with pytest.raises(TypeError, match="callbacks must be Callback objects, got builtin.*LambdaCallback"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, 1, callbacks=[print], progress=False)
    with pytest.raises(TypeError, match="on_batch_end must be a function"):
        LambdaCallback(on_batch_end=3)


def test_history_csv_keeps_a_run_that_diverged_in_epoch_1(tmp_path):
    loader, _ = _line_problem(n=256, batch=8)
    model = nn.Linear(1, 1)
    with pytest.warns(RuntimeWarning, match="loss became"):
        h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=80.0), loader, 3,
                progress=False, record_param_grad_norms=True)
    assert h.diverged and not h.epochs and len(h.loss) >= 1
    path = h.to_csv(tmp_path / "run.csv")
    assert path == tmp_path / "run.csv" and (tmp_path / "run.csv").read_text().strip() == "epoch"
    rows = (tmp_path / "run.iterations.csv").read_text().splitlines()
    assert rows[0] == ("iteration,epoch,loss,lr,grad_norm,grad_norm_clipped,"
                       "grad_norm/weight,grad_norm/bias")
    assert len(rows) == 1 + len(h.loss)
    assert [float(r.split(",")[2]) for r in rows[1:]] == pytest.approx(h.loss)
    assert History.iterations_path("out/h") == "out/h.iterations.csv"
    with pytest.raises(ValueError, match="per must be 'both', 'epoch' or 'iteration'"):
        h.to_csv(tmp_path / "x.csv", per="step")


def test_early_stopping_restores_best_weights():
    loader, val = _line_problem()
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    stop = EarlyStopping(patience=2, restore_best_weights=True)

    def blow_up(state):  # after epoch 3, training makes things worse
        if state.epoch == 3:
            for g in opt.param_groups:
                g["lr"] = -0.05
    h = fit(model, nn.MSELoss(), opt, loader, 50, val_loader=val,
            callbacks=[LambdaCallback(on_epoch_end=blow_up), stop], progress=False)
    assert len(h.epochs) < 50 and h.stop_reason.startswith("EarlyStopping")
    best = min(h.epoch_values("val_loss"))
    with tl.no_grad():
        X, y = next(iter(val))
        now = nn.MSELoss()(model(X), y).item()
    assert now == pytest.approx(best, rel=1e-5)


def test_model_checkpoint_is_atomic(tmp_path, monkeypatch):
    loader, val = _line_problem()
    model = nn.Linear(1, 1)
    path = tmp_path / "best.npz"
    ckpt = ModelCheckpoint(path)
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, 3,
        val_loader=val, callbacks=[ckpt], progress=False)
    saved = tl.load(path)
    assert set(saved) == {"weight", "bias"} and len(ckpt.saved) >= 1
    good = path.read_bytes()

    def broken_savez(f, **arrays):  # the disk fills up half way through the write
        f.write(b"partial")
        raise OSError("No space left on device")
    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="No space"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, 1,
            val_loader=val, callbacks=[ModelCheckpoint(path, save_best_only=False)],
            progress=False)
    assert path.read_bytes() == good                 # the old checkpoint is intact
    assert os.listdir(tmp_path) == ["best.npz"]      # and no temporary file is left


def test_history_csv_json_roundtrip(tmp_path):
    loader, val = _line_problem()
    model = nn.Linear(1, 1)
    h = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, 2,
            val_loader=val, progress=False)
    h.to_json(tmp_path / "h.json")
    back = History.from_json(tmp_path / "h.json")
    assert back.loss == h.loss and back.epochs == h.epochs
    h.to_csv(tmp_path / "e.csv", per="epoch")
    h.to_csv(tmp_path / "i.csv", per="iteration")
    lines = (tmp_path / "e.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss,val_loss") and len(lines) == 3
    assert len((tmp_path / "i.csv").read_text().splitlines()) == 1 + len(h.loss)
    json.loads((tmp_path / "h.json").read_text())


def test_plain_progress_line_without_tqdm(monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    loader, _ = _line_problem()
    model = nn.Linear(1, 1)
    fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, 2)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "train_loss" in err


# ------------------------------------------------------------------ lr_find
def test_lr_find_restores_model_and_optimizer():
    tl.manual_seed(0)
    X, y = datasets.moons(256, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    res = lr_find(model, nn.CrossEntropyLoss(), opt, loader, start_lr=1e-5, end_lr=100,
                  num_iter=80)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k].numpy()) for k in before)
    assert opt.param_groups[0]["lr"] == 0.01 and not opt.state_dict()["state"]
    assert res.diverged and len(res.lrs) < 80  # 100 is far too high for Adam
    assert res.suggested_lr == res.steepest_lr <= res.min_loss_lr < 100
    assert res.minimum_lr == pytest.approx(res.min_loss_lr / 10)
    assert res.lrs[res.skip_start] <= res.steepest_lr
    assert np.all(np.diff(res.lrs) > 0)


# ------------------------------------------------------------------ sweep
def sweep_train_fn(lr, batch_size):
    """Module level, so a process pool can import it."""
    X, y = datasets.linear_regression(64, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    model = nn.Linear(1, 1)
    return fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), loader, 2,
               progress=False)


GRID = {"lr": [0.05, 0.2], "batch_size": [16, 32]}


def _numbers(results):
    return [(r["lr"], r["batch_size"], r["final_loss"], tuple(r["curve"])) for r in results]


def _serial():
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1)


def test_sweep_process_pool_equals_serial_and_checks_keys():
    with pytest.raises(ValueError, match="unknown grid key.*'momentum'.*allowed keys: lr"):
        sweep(sweep_train_fn, {"momentum": [0.9]})
    pooled = sweep(sweep_train_fn, GRID)          # default: a process pool, 2 workers
    with _serial() as ex:
        serial = sweep(sweep_train_fn, GRID, executor=ex)
    assert len(pooled) == 4 and _numbers(pooled) == _numbers(serial)
    assert set(pooled[0]) >= {"final_loss", "best_val_metric", "time_s", "diverged", "curve"}
    assert "final_loss" in pooled.table().splitlines()[0]


def test_sweep_on_dask_local_cluster_gives_the_same_numbers():
    distributed = pytest.importorskip(
        "dask.distributed", reason='dask is not installed: pip install "dask[distributed]"')
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = sweep(sweep_train_fn, GRID, executor=client.get_executor())
    serial = sweep(sweep_train_fn, GRID, executor=_serial())  # == the process pool's
    assert _numbers(on_dask) == _numbers(serial)


def flaky_train_fn(lr, batch_size):
    """Raises at one point of the grid and diverges at another (module level: picklable)."""
    if lr == 0.1:
        raise RuntimeError(f"out of memory at lr={lr}")
    X, y = datasets.linear_regression(64, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    model = nn.Sequential(nn.Linear(1, 4), nn.Dropout(0.2), nn.Linear(4, 1))
    return fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), loader, 2,
               progress=False)


FLAKY_GRID = {"lr": [0.02, 0.1, 0.05, 100.0], "batch_size": [16]}


def _executors():
    from concurrent.futures import ThreadPoolExecutor

    yield "serial", "serial"
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield "threads x4", pool
    yield "process pool", None
    distributed = pytest.importorskip("dask.distributed",
                                      reason='pip install "dask[distributed]"')
    with distributed.LocalCluster(n_workers=1, threads_per_worker=4, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield "dask 1 worker x 4 threads", client.get_executor()


def test_sweep_records_failed_and_diverged_runs_on_every_executor():
    import warnings

    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the diverging run's warning
        for name, executor in _executors():
            results[name] = sweep(flaky_train_fn, FLAKY_GRID, executor=executor)
    assert len(results) == 4
    reference = results["serial"]
    for name, res in results.items():
        assert [r["lr"] for r in res] == [0.02, 0.1, 0.05, 100.0], name
        failed, diverged = res[1], res[3]
        assert failed["error"] == "RuntimeError: out of memory at lr=0.1", name
        assert math.isnan(failed["final_loss"]) and failed["curve"] == []
        assert diverged["diverged"] and diverged["error"].startswith("loss became")
        assert [r["lr"] for r in res.errors] == [0.1, 100.0]
        for good in (0, 2):  # the others' numbers, the same on every executor
            assert res[good]["error"] is None and math.isfinite(res[good]["final_loss"])
            assert res[good]["curve"] == reference[good]["curve"], name
        assert res.best(by="final_loss")["lr"] in (0.02, 0.05)
        assert "out of memory" in res.table() and "error" in res.table().splitlines()[0]


def test_sweep_refuses_an_unpicklable_function_for_a_process_pool():
    with pytest.raises(TypeError, match="process pool must pickle train_fn.*executor='serial'"):
        sweep(lambda lr: None, {"lr": [0.1]})
    with pytest.raises(ValueError, match="executor must be an Executor, None or 'serial'"):
        sweep(sweep_train_fn, GRID, executor="threads")
    rows = sweep(lambda lr, batch_size: {"final_loss": lr}, GRID, executor="serial")
    assert [r["final_loss"] for r in rows] == [0.05, 0.05, 0.2, 0.2]


def test_sweep_with_a_config():
    res = sweep({"model": "mlp", "dataset": "moons", "epochs": 2, "n_samples": 200},
                {"lr": [0.01, 0.05]}, executor=_serial())
    assert [r["lr"] for r in res] == [0.01, 0.05]
    assert all(0.5 <= r["best_val_metric"] <= 1 for r in res)


# ------------------------------------------------------------------ quality bars
def _train(**cfg):
    ex = make_experiment(cfg)
    return fit(ex["model"], ex["loss_fn"], ex["optimizer"], ex["train_loader"], cfg["epochs"],
               scheduler=ex["scheduler"], val_loader=ex["val_loader"], metrics=ex["metrics"],
               progress=False)


def test_mlp_reaches_97_percent_on_held_out_digits():
    h = _train(model="mlp", dataset="digits", optimizer="adam", lr=3e-3, epochs=10,
               hidden=128, scheduler="cosine", seed=0)
    assert h.epochs[-1]["val_accuracy"] >= 0.97


@pytest.mark.slow
def test_cnn_reaches_98_percent_on_held_out_digits():
    h = _train(model="cnn", dataset="digits", optimizer="adam", lr=5e-3, epochs=12,
               scheduler="onecycle", seed=0)
    assert h.epochs[-1]["val_accuracy"] >= 0.98


def test_gru_learns_sine_next_step():
    h = _train(model="rnn", dataset="sine", optimizer="adam", lr=1e-2, epochs=4, hidden=32,
               seed=0)
    assert h.epochs[-1]["val_r2"] >= 0.98
    assert h.epochs[-1]["val_loss"] < 0.05 * h.epochs[0]["train_loss"]


# ------------------------------------------------------------------ viz
def test_plots_write_pngs_and_landscape_restores_weights(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_lr.viz import (
        loss_landscape,
        plot_grad_norms,
        plot_loss_curves,
        plot_loss_landscape,
    )

    loader, val = _line_problem()
    model = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))
    runs = {lr: fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), loader, 2,
                    progress=False) for lr in (0.01, 0.05)}
    for name, fig in (("curves", plot_loss_curves(runs, path=tmp_path / "curves.png")),
                      ("norms", plot_grad_norms(runs, path=tmp_path / "norms.png")),
                      ("history", runs[0.05].plot(path=tmp_path / "history.png"))):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG" and fig.axes
    X, y = next(iter(val))
    before = [p.numpy().copy() for p in model.parameters()]
    alphas, grid = loss_landscape(model, nn.MSELoss(), X, y, dims=2, steps=5, span=0.5)
    assert grid.shape == (5, 5) and alphas[2] == 0
    with tl.no_grad():
        assert grid[2, 2] == pytest.approx(nn.MSELoss()(model(X), y).item(), rel=1e-5)
    assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters()))
    plot_loss_landscape(model, nn.MSELoss(), X, y, dims=1, steps=5, path=tmp_path / "l.png")
    assert (tmp_path / "l.png").exists()


def test_plots_without_matplotlib_name_the_extra(monkeypatch):
    import sys

    from tinygrad_lr.viz import plot_loss_curves
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad-lr\[plot\]"):
        plot_loss_curves({"a": [1.0, 0.5]})

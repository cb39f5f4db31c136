import json
import math
import os

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader, TensorDataset, datasets
from tinygrad_lr.train import (EarlyStopping, History, LambdaCallback, ModelCheckpoint,
                               accuracy, confusion_matrix, f1_score, fit, lr_find,
                               linear_regression_normal_equation, precision, r2_score,
                               recall, sweep)
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
            val_loader=val, callbacks=[ModelCheckpoint(path)], progress=False)
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
    h.to_csv(tmp_path / "e.csv")
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
def test_trace_backward_and_draw_graph_match_backward():
    from tinygrad_lr.viz import draw_graph, trace_backward

    x = tl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = tl.tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = ((x * w).sum() - 1.0) ** 2
    trace = trace_backward(loss, names={"x": x, "w": w})
    assert [r["op"] for r in trace.rows] == ["Pow", "Sub", "Sum", "Mul"]
    assert trace.rows[-1]["shape"] == (3,)
    dot = draw_graph(loss, names={"x": x, "w": w})
    assert dot.startswith("digraph") and "Mul\\n(3,)" in dot and "x\\n(3,) float32" in dot
    assert "grad [" not in dot and x.grad is None  # nothing was accumulated
    loss.backward()
    text = str(trace)
    assert "[ 3.5, -7. , 14. ]" in text and x.grad.tolist() == [3.5, -7.0, 14.0]
    assert "grad [ 3.5, -7. , 14. ]" in draw_graph(loss, names={"x": x, "w": w})
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        trace_backward(loss)


def test_plots_write_pngs_and_landscape_restores_weights(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_lr.viz import (loss_landscape, plot_grad_norms, plot_loss_curves,
                                 plot_loss_landscape)

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

"""The teaching plots: each returns a Figure, saves a PNG, and draws what it says."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader, TensorDataset, datasets
from tinygrad_lr.optim import lr_scheduler as S
from tinygrad_lr.train import fit
from tinygrad_lr.viz import plots as P

pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _png(path):
    return path.read_bytes()[:4] == b"\x89PNG"


def quadratic(x, y):
    return 0.5 * x * x + 5.0 * y * y  # minimum 0 at (0, 0); condition number 10


ALL_OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    "Nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.5),
    "Adadelta": lambda p: optim.Adadelta(p, lr=1.0),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.05),
    "Adam": lambda p: optim.Adam(p, lr=0.1),
    "AdamW": lambda p: optim.AdamW(p, lr=0.1),
    "NAdam": lambda p: optim.NAdam(p, lr=0.1),
    "Adamax": lambda p: optim.Adamax(p, lr=0.1),
    "LBFGS": lambda p: optim.LBFGS(p),
    "Newton": lambda p: optim.Newton(p),
}


def test_optimizer_paths_run_every_optimizer_and_newton_solves_a_quadratic_in_one_step(
        tmp_path):
    paths = P.optimizer_paths(quadratic, ALL_OPTIMIZERS, (1.5, 1.0), steps=40)
    assert set(paths) == set(ALL_OPTIMIZERS)
    for label, (points, losses) in paths.items():
        assert points.shape == (41, 2) and losses[0] == pytest.approx(0.5 * 2.25 + 5)
        assert losses[-1] < losses[0], label  # every one of them makes progress
    newton_points, newton_losses = paths["Newton"]
    np.testing.assert_allclose(newton_points[1], [0, 0], atol=1e-12)
    # plain SGD with the same lr on the same start follows the textbook recursion
    sgd = paths["SGD"][0]
    np.testing.assert_allclose(sgd[3], [1.5 * 0.9 ** 3, 1.0 * 0.0 ** 3], atol=1e-12)
    fig = P.plot_optimizer_paths(quadratic, ALL_OPTIMIZERS, (1.5, 1.0), steps=10,
                                 minimum=(0, 0), path=tmp_path / "paths.png")
    assert _png(tmp_path / "paths.png")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("Newton: f = 0 after") for t in labels)


def test_optimizer_paths_stop_when_diverging():
    paths = P.optimizer_paths(quadratic, {"too fast": lambda p: optim.SGD(p, lr=0.5)},
                              (1.0, 1.0), steps=500)
    points, losses = paths["too fast"]
    assert len(points) == 6 and points[-1][1] == -1024.0  # y *= -4 each step
    assert losses[-1] >= 1e6 > losses[-2]


def test_lr_schedule_curves_follow_the_formulas(tmp_path):
    steps = 20
    inv = P.lr_schedule(lambda o: S.InverseTimeLR(o, decay=0.5), steps, lr=1.0)
    np.testing.assert_allclose(inv, [1 / (1 + 0.5 * t) for t in range(steps)])
    step = P.lr_schedule(lambda o: S.StepLR(o, step_size=5, gamma=0.5), steps, lr=0.8)
    assert step[4] == 0.8 and step[5] == pytest.approx(0.4) and step[15] == pytest.approx(0.1)
    plateau = P.lr_schedule(lambda o: S.ReduceLROnPlateau(o, patience=2), steps, lr=1.0)
    assert plateau[0] == 1.0 and min(plateau) < 1.0  # a loss that never improves
    fig = P.plot_lr_schedule({"inverse time": lambda o: S.InverseTimeLR(o, 0.5),
                              "cosine": lambda o: S.CosineAnnealingLR(o, steps)}, steps,
                             path=tmp_path / "s.png")
    assert _png(tmp_path / "s.png") and len(fig.axes[0].lines) == 2


def _history(n=100, batch=16, epochs=3):
    X, y = datasets.moons(n, seed=0)
    tl.manual_seed(0)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.3), loader,
               epochs, progress=False), model, X, y


def test_loss_axis_epochs_and_samples_count_the_short_last_batch():
    h, *_ = _history(n=100, batch=16, epochs=3)  # ceil(100 / 16) = 7 iterations per epoch
    assert len(h.loss) == 21
    xs, _, _ = P.loss_axis(h, "epoch")
    np.testing.assert_allclose(xs[[0, 6, 7, 20]], [1 / 7, 1.0, 1 + 1 / 7, 3.0])
    xs2, _, _ = P.loss_axis(h.loss, "epoch", batch_size=16, n_train=100)
    np.testing.assert_allclose(xs, xs2)
    seen, _, label = P.loss_axis(h.loss, "samples", batch_size=16, n_train=100)
    assert label == "samples seen" and seen[5] == 96 and seen[6] == 100 and seen[-1] == 300
    t, _, _ = P.loss_axis(h, "time")
    assert np.all(np.diff(t) >= 0) and t[-1] == pytest.approx(sum(h.epoch_values("time_s")))
    with pytest.raises(ValueError, match="x must be one of iteration, epoch, samples, time"):
        P.loss_axis(h, "epochs")
    with pytest.raises(ValueError, match="needs batch_size"):
        P.loss_axis(h, "samples")


def test_loss_curves_clip_a_diverging_run_and_draw_the_reference(tmp_path):
    runs = {"good": [1.0, 0.5, 0.3], "diverging": [1.0, 10.0, 1e6, float("inf")]}
    fig = P.plot_loss_curves(runs, ylim=(0, 2), reference=(0.25, "exact minimum"),
                             path=tmp_path / "c.png", x="iteration")
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 2) and _png(tmp_path / "c.png")
    assert any("diverging: diverged (max 1e+06)" in t.get_text() for t in ax.texts)
    assert "exact minimum" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_history_plot_leaves_out_a_constant_lr_and_keeps_a_scheduled_one():
    h, *_ = _history()
    assert len(P.plot_history(h).axes) == 2  # loss and grad norm only
    h.iterations["lr"] = list(np.linspace(0.3, 0.1, len(h.lr)))
    fig = P.plot_history(h, x="epoch")
    assert [a.get_title() for a in fig.axes] == ["Loss", "Learning rate",
                                                 "Global gradient norm"]
    assert fig.axes[0].get_xlabel() == "epoch"


def test_decision_boundary_shades_the_plane_and_reports_accuracy(tmp_path):
    h, model, X, y = _history(n=200, epochs=20)
    fig = P.plot_decision_boundary(model, X, y, resolution=50, path=tmp_path / "d.png")
    assert _png(tmp_path / "d.png") and "training accuracy" in fig.axes[0].get_title()
    with tl.no_grad():
        acc = float((model(X).numpy().argmax(1) == y.numpy()).mean())
    assert f"{100 * acc:.3g}%" in fig.axes[0].get_title()
    # one logit per point works as well (prediction: logit > 0)
    line = nn.Linear(2, 1)
    P.plot_decision_boundary(line, X, y, resolution=20)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\), got \(200, 3\)"):
        P.plot_decision_boundary(model, np.zeros((200, 3)), y)


def test_sweep_plot_encodes_two_keys_by_colour_and_style(tmp_path):
    rows = [{"lr": lr, "batch_size": b, "curve": list(np.linspace(1, 0.1 * i + 0.1, 64 // b)),
             "diverged": False} for i, lr in enumerate((0.01, 0.1)) for b in (8, 32)]
    fig = P.plot_sweep(rows, x="samples", n_train=64, path=tmp_path / "sw.png")
    lines = fig.axes[0].lines
    assert _png(tmp_path / "sw.png") and len(lines) == 4
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    assert lines[0].get_linestyle() != lines[1].get_linestyle() == "--"
    assert lines[0].get_linestyle() == lines[2].get_linestyle()
    assert lines[0].get_xdata()[-1] == lines[1].get_xdata()[-1] == 64  # one epoch each
    assert "colour: lr, line style: batch_size" in fig.axes[0].get_title()
    fig = P.plot_sweep(rows, color_by="batch_size", style_by="lr", x="epoch", n_train=64)
    assert fig.axes[0].get_xlabel() == "epoch"
    assert fig.axes[0].lines[0].get_xdata()[-1] == 1.0
    for r in rows:  # a sweep that records each iteration's epoch needs no n_train
        r["curve_epoch"] = [1] * len(r["curve"])
    fig = P.plot_sweep(rows, x="epoch")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), np.arange(1, 9) / 8)


def test_layer_grad_norms_snapshot_and_series(tmp_path):
    h, model, X, y = _history()
    model.zero_grad()
    nn.CrossEntropyLoss()(model(X), y).backward()
    norms = P.parameter_grad_norms(model)
    assert list(norms) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert norms["0.weight"] == pytest.approx(np.linalg.norm(model[0].weight.grad.numpy()))
    fig = P.plot_layer_grad_norms(norms, weights_only=True, path=tmp_path / "g.png")
    assert _png(tmp_path / "g.png") and len(fig.axes[0].patches) == 2
    fig = P.plot_layer_grad_norms({"0.weight": [1.0, 2.0], "2.weight": [0.1, 0.2]})
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="no per-parameter gradient norms"):
        P.plot_layer_grad_norms(h)


def test_loss_function_plot_draws_the_autograd_derivative(tmp_path):
    fig = P.plot_loss_function({"MSE": nn.MSELoss(), "Huber": nn.HuberLoss(delta=1.0),
                                "cube": lambda r: r ** 3}, span=(-2, 2), points=5,
                               path=tmp_path / "l.png")
    loss_ax, deriv_ax = fig.axes
    r = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), r ** 2)
    np.testing.assert_allclose(deriv_ax.lines[0].get_ydata(), 2 * r)
    np.testing.assert_allclose(deriv_ax.lines[1].get_ydata(), np.clip(r, -1, 1))
    np.testing.assert_allclose(deriv_ax.lines[2].get_ydata(), 3 * r ** 2)
    fig = P.plot_loss_function({"hinge": nn.HingeLoss(), "0-1": nn.ZeroOneLoss()},
                               kind="margin", span=(-2, 2), points=5)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), np.maximum(0, 1 - r))
    assert "no gradient" in fig.axes[1].get_legend().get_texts()[1].get_text()
    with pytest.raises(ValueError, match="kind must be 'residual' or 'margin'"):
        P.plot_loss_function({}, kind="distance")

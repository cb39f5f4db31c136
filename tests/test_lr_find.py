"""The learning-rate range test: its suggestions, smoothing and plot."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn, optim
from tinygrad_lr.data import DataLoader, TensorDataset
from tinygrad_lr.train import lr_find
from tinygrad_lr.train.lr_find import _centre, _valley
from tinygrad_lr.train.recipes import make_experiment


def _sine_rnn_range_test():
    ex = make_experiment({"model": "rnn", "dataset": "sine", "n_samples": 300, "hidden": 32})
    return lr_find(ex["model"], ex["loss_fn"], ex["optimizer"], ex["train_loader"],
                   start_lr=1e-6, end_lr=10, num_iter=80)


def test_suggestion_on_the_sine_rnn_is_not_the_first_sweep_point():
    res = _sine_rnn_range_test()
    first_considered = res.lrs[res.skip_start]
    assert res.skip_start == 8 and res.lrs[0] == pytest.approx(1e-6)
    for lr in (res.suggested_lr, res.steepest_lr, res.valley_lr, res.min_loss_lr):
        assert lr >= first_considered > res.lrs[0]
    # the sine RNN learns between 1e-3 and 1e-1 with Adam; the raw loss is lowest there
    assert 1e-4 < res.suggested_lr < 0.1
    assert res.suggested_lr <= res.min_loss_lr


def test_debiased_smoothing_starts_at_the_first_loss_and_averages():
    X = tl.tensor(np.linspace(-1, 1, 64, dtype=np.float32).reshape(-1, 1))
    loader = DataLoader(TensorDataset(X, 2 * X), batch_size=8, shuffle=True, seed=0)
    model = nn.Linear(1, 1)
    res = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                  start_lr=1e-4, end_lr=1.0, num_iter=30, smoothing=0.9)
    raw = np.array(res.raw_losses)
    assert res.losses[0] == pytest.approx(raw[0])  # no pull towards 0 at the start
    weights = 0.9 ** np.arange(len(raw))[::-1]
    assert res.losses[-1] == pytest.approx(np.dot(weights, raw) / weights.sum(), rel=1e-9)
    unsmoothed = lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                         start_lr=1e-4, end_lr=1.0, num_iter=30, smoothing=0)
    assert unsmoothed.losses == unsmoothed.raw_losses


def test_valley_and_centre_rules():
    # falls from step 1 to step 11 (step 0 is lower), then climbs: the valley is half-way down
    losses = np.array([1.0, 6.0, 4.0, 3.9, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.8, 0.5, 2.0, 9.0])
    assert _valley(losses) == 1 + 3 + 1  # start + int(10 / 3) + int(10 / 6)
    assert _centre(0, 0.9) == 0 and _centre(5, 0) == 5
    assert _centre(200, 0.9) == 200 - 9  # smoothing / (1 - smoothing) steps back


@pytest.mark.parametrize("kwargs,match", [
    ({"num_iter": 0}, "num_iter must be an integer >= 10"),
    ({"num_iter": 5}, "num_iter must be an integer >= 10"),
    ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\)"),
    ({"start_lr": 1.0, "end_lr": 0.1}, "need 0 < start_lr < end_lr"),
    ({"diverge_factor": 0.5}, "diverge_factor must be > 1"),
])
def test_bad_arguments_are_named(kwargs, match):
    model = nn.Linear(1, 1)
    X = tl.ones(8, 1)
    loader = DataLoader(TensorDataset(X, X), batch_size=4)
    with pytest.raises(ValueError, match=match):
        lr_find(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, **kwargs)


def test_plot_explains_raw_smoothed_and_the_ignored_points(tmp_path):
    pytest.importorskip("matplotlib")
    res = _sine_rnn_range_test()
    fig = res.plot(path=tmp_path / "lr.png")
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("raw" in t for t in labels) and any("debiased moving average" in t
                                                   for t in labels)
    assert any("ignored by the suggestions" in t for t in labels)
    assert any(f"{res.suggested_lr:.3g}" in t for t in labels)
    assert "lags" in fig.axes[0].get_title()

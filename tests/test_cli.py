import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("command,flags", [
    ("demo", ["--out", "--quick"]),
    ("train", ["--model", "--dataset", "--optimizer", "--lr", "--batch-size", "--epochs",
               "--scheduler", "--loss", "--seed", "--save-model", "--save-history"]),
    ("lr-find", ["--model", "--dataset", "--start-lr", "--plot"]),
    ("gradcheck", ["module:function", "--shapes"]),
    ("bench", []),
])
def test_every_subcommand_has_help(command, flags, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m tinygrad_lr {command}")
    assert all(f in out for f in flags)


def test_python_dash_m_lists_subcommands():
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-m", "tinygrad_lr", "--help"], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0
    assert all(c in out.stdout for c in ("demo", "train", "lr-find", "gradcheck", "bench"))


@pytest.mark.parametrize("argv,expected", [
    (["train", "--model", "transformer"], r"invalid choice: 'transformer' \(choose from 'mlp', 'cnn', 'rnn'\)"),
    (["train", "--optimizer", "adamm"], r"invalid choice: 'adamm' \(choose from .*'adam'.*'sgd'"),
    (["lr-find", "--dataset", "mnist"], r"invalid choice: 'mnist'"),
])
def test_unknown_choices_list_the_allowed_values(argv, expected, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    assert __import__("re").search(expected, capsys.readouterr().err)


def test_model_that_does_not_fit_the_data_is_a_clear_error(capsys):
    assert cli.main(["train", "--model", "cnn", "--dataset", "moons"]) == 2
    assert "2-D points: use --model mlp" in capsys.readouterr().err


def test_train_saves_model_and_history(tmp_path, capsys):
    model_path, hist_path = tmp_path / "m.npz", tmp_path / "h.csv"
    code = cli.main(["train", "--dataset", "moons", "--n-samples", "200", "--epochs", "2",
                     "--optimizer", "sgd", "--lr", "0.1", "--scheduler", "cosine",
                     "--no-progress", "--save-model", str(model_path),
                     "--save-history", str(hist_path)])
    out = capsys.readouterr().out
    assert code == 0 and "final report" in out and "val_accuracy" in out
    state = tl.load(model_path)
    assert state["0.weight"].shape == (64, 2)
    assert len(hist_path.read_text().splitlines()) == 3  # header + 2 epochs


def test_lr_find_command(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "lr.png"
    code = cli.main(["lr-find", "--dataset", "moons", "--n-samples", "320", "--num-iter",
                     "30", "--plot", str(png)])
    out = capsys.readouterr().out
    assert code == 0 and "suggested lr" in out and png.exists()


@pytest.fixture
def user_losses(tmp_path, monkeypatch):
    (tmp_path / "my_losses.py").write_text(textwrap.dedent('''
        import tinygrad_lr as tl

        def mse(pred, target):
            return ((pred - target) ** 2).mean()

        class BadSquare(tl.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return (x * x).sum()

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * x          # wrong: d/dx x^2 = 2x

        def bad(pred, target):
            return BadSquare.apply(pred - target)

        def not_scalar(pred, target):
            return pred - target
    '''))
    (tmp_path / "broken.py").write_text("import no_such_dependency_here\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("my_losses", "broken"):
        sys.modules.pop(name, None)


def test_gradcheck_passes_a_correct_loss(user_losses, capsys):
    assert cli.main(["gradcheck", "my_losses:mse", "--shapes", "4,3", "4,3"]) == 0
    out = capsys.readouterr().out
    assert "gradcheck passed" in out and "(4, 3)" in out


def test_gradcheck_reports_a_wrong_gradient(user_losses, capsys):
    assert cli.main(["gradcheck", "my_losses.py:bad", "--shapes", "3", "3"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "analytic" in out and "numerical" in out


@pytest.mark.parametrize("spec,message", [
    ("broken:mse", "cannot import 'broken': ModuleNotFoundError"),
    ("nowhere:mse", "cannot import 'nowhere'"),
    ("my_losses:nothing", "has no function 'nothing'"),
    ("my_losses", "expected module:function"),
    ("my_losses:not_scalar", r"must return a scalar Tensor \(a loss\), got a Tensor of shape \(4, 3\)"),
])
def test_gradcheck_errors(user_losses, capsys, spec, message):
    assert cli.main(["gradcheck", spec]) == 2
    assert __import__("re").search(message, capsys.readouterr().err)


def test_bench_outside_a_checkout_says_so(monkeypatch, capsys):
    real_exists = os.path.exists
    monkeypatch.setattr(os.path, "exists",
                        lambda p: False if str(p).endswith("run_all.py") else real_exists(p))
    assert cli.main(["bench"]) == 2
    assert "from a checkout of the repository" in capsys.readouterr().err


def test_demo_runs_quickly(tmp_path, capsys):
    assert cli.main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "normal equation" in out and "test accuracy" in out
    rows = {line.split(" (")[0]: line for line in out.splitlines()
            if line.startswith(("0.01 (", "0.2 (", "0.4 (", "0.45 ("))}
    assert "monotone" in rows["0.01"] and "monotone" in rows["0.2"]
    assert "oscillating, damped" in rows["0.4"]
    assert "diverging: zig-zag grows" in rows["0.45"]
    assert "iterations per epoch" in out and "chance = 10%" in out
    if "figures written" in out:
        assert (tmp_path / "loss_curves.png").exists()
        assert (tmp_path / "gradient_descent.png").exists()


def test_demo_tells_monotone_oscillating_and_diverging_apart():
    from tinygrad_lr.demo import describe_path

    steady = np.cumsum(np.full((10, 2), 0.1), axis=0)
    assert describe_path(steady, [5.0, 1.0]) == "monotone"
    zigzag = np.array([[(-0.5) ** k, 0.0] for k in range(12)])
    assert describe_path(zigzag, [5.0, 1.0]).startswith("oscillating, damped (10 turns")
    growing = np.array([[(-2.0) ** k, 0.0] for k in range(12)])
    assert describe_path(growing, [5.0, 1e9]).startswith("diverging: zig-zag grows x1.02e+03")


def test_demo_without_plots_writes_nothing(tmp_path, capsys):
    out_dir = tmp_path / "figs"
    assert cli.main(["demo", "--quick", "--no-plot", "--out", str(out_dir)]) == 0
    assert not out_dir.exists() and "figures written" not in capsys.readouterr().out

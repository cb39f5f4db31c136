import importlib.util
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
               "--scheduler", "--loss", "--seed", "--save-model", "--save-history",
               "--momentum", "--nesterov", "--weight-decay", "--l1", "--step-size", "--gamma",
               "--decay", "--end-factor", "--eta-min", "--patience", "--plot", "--progress",
               "house-prices", "inverse-time", "iterations per epoch"]),
    ("lr-find", ["--model", "--dataset", "--start-lr", "--plot", "--momentum", "--num-iter"]),
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
    (["train", "--model", "transformer"],
     r"invalid choice: 'transformer' \(choose from 'mlp', 'cnn', 'rnn', 'linear'\)"),
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
    assert "2-D points: use --model mlp or linear" in capsys.readouterr().err


def test_lr_find_shows_only_the_flags_it_uses(capsys):
    with pytest.raises(SystemExit):
        cli.main(["lr-find", "--help"])
    out = capsys.readouterr().out
    for unused in ("--epochs", "--scheduler", "--lr ", "--gamma", "--decay", "--progress"):
        assert unused not in out
    with pytest.raises(SystemExit) as e:
        cli.main(["lr-find", "--epochs", "3"])
    assert e.value.code == 2 and "unrecognized arguments: --epochs 3" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["train", "--save-model", "/missing/dir/m.npz"], "folder /missing/dir does not exist"),
    (["train", "--save-history", "/missing/h.csv"], "folder /missing does not exist"),
    (["train", "--plot", "/missing/h.png"], "folder /missing does not exist"),
    (["train", "--plot", "h.pdf"], "expected a .png file name"),
    (["lr-find", "--plot", "/missing/lr.png"], "folder /missing does not exist"),
    (["train", "--n-samples", "0"], "--n-samples must be an integer >= 10"),
    (["train", "--hidden", "0"], "--hidden must be an integer >= 1, got 0"),
    (["train", "--epochs", "0"], "--epochs must be an integer >= 1, got 0"),
    (["train", "--batch-size", "-4"], "--batch-size must be an integer >= 1, got -4"),
    (["train", "--lr", "0"], "--lr must be > 0, got 0"),
    (["train", "--lr", "nan"], "--lr must be > 0, got nan"),
    (["train", "--momentum", "1.5", "--optimizer", "sgd"], r"--momentum must be in \[0, 1\)"),
    (["train", "--weight-decay", "-1"], "--weight-decay must be >= 0"),
    (["train", "--l1", "inf"], "--l1 must be >= 0, got inf"),
    (["lr-find", "--num-iter", "0"], "--num-iter must be an integer >= 10, got 0"),
    (["lr-find", "--start-lr", "1", "--end-lr", "0.1"], "must be below --end-lr"),
    (["train", "--scheduler", "cosine", "--decay", "0.1"],
     r"--decay is not used by --scheduler cosine \(it takes --eta-min\)"),
    (["train", "--gamma", "0.5"], "--gamma is not used by --scheduler none"),
    (["train", "--optimizer", "adam", "--momentum", "0.9"],
     "'adam' has no momentum option .its betas play that role.; momentum works with: sgd"),
    (["train", "--optimizer", "sgd", "--nesterov"], "nesterov needs a momentum > 0"),
    (["train", "--dataset", "moons", "--standardize"], "standardize applies to"),
    (["train", "--n-samples", "5000"], "the digits have only 1797 images"),
    (["train", "--model", "rnn", "--dataset", "house-prices"], "a table of features"),
    (["train", "--clip-grad-norm", "0"], "--clip-grad-norm must be > 0, got 0"),
    (["train", "--clip-grad-norm", "-1"], "--clip-grad-norm must be > 0, got -1"),
    (["train", "--clip-grad-value", "nan"], "--clip-grad-value must be > 0, got nan"),
    (["train", "--clip-grad-value", "inf"], "--clip-grad-value must be > 0, got inf"),
    (["train", "--seed", "-1"], r"--seed must be an integer in \[0, 2\*\*32\), got -1"),
    (["lr-find", "--seed", "4294967296"], r"--seed must be an integer in \[0, 2\*\*32\)"),
    (["train", "--step-size", "0", "--scheduler", "step"], "--step-size must be an integer >= 1"),
    (["train", "--gamma", "-0.5", "--scheduler", "step"], "--gamma must be > 0"),
    (["train", "--end-factor", "2", "--scheduler", "linear"], r"--end-factor must be in \[0, 1\]"),
    (["train", "--patience", "-1", "--scheduler", "plateau"], "--patience must be an integer >= 0"),
    (["train", "--eta-min", "-1", "--scheduler", "cosine"], "--eta-min must be >= 0"),
    (["train", "--decay", "-1", "--scheduler", "inverse-time"], "--decay must be >= 0"),
    (["lr-find", "--start-lr", "0"], "--start-lr must be > 0, got 0"),
    (["lr-find", "--end-lr", "inf"], "--end-lr must be > 0, got inf"),
    (["train", "--save-model", "."], "is a directory; give a file name"),
])
def test_user_mistakes_are_refused_before_training_without_a_traceback(argv, message, capsys,
                                                                       tmp_path, monkeypatch):
    import re

    monkeypatch.chdir(tmp_path)
    code = cli.main(argv + ["--n-samples", "40"] * ("--n-samples" not in argv))
    captured = capsys.readouterr()
    assert code == 2 and re.search(message, captured.err), captured.err
    assert "Traceback" not in captured.err and "training" not in captured.out
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_failing_save_after_training_is_reported_and_the_report_kept(tmp_path, capsys,
                                                                         monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "_save_model", disk_full)
    code = cli.main(["train", "--dataset", "moons", "--n-samples", "60", "--epochs", "1",
                     "--progress", "none", "--save-model", str(tmp_path / "m.npz")])
    captured = capsys.readouterr()
    assert code == 1 and "final report" in captured.out
    assert "--save-model" in captured.err and "No space left on device" in captured.err
    assert "Traceback" not in captured.err


def test_train_saves_model_history_and_plot(tmp_path, capsys):
    model_path, hist_path, png = tmp_path / "m.npz", tmp_path / "h.csv", tmp_path / "h.png"
    argv = ["train", "--dataset", "moons", "--n-samples", "200", "--epochs", "2",
            "--optimizer", "sgd", "--lr", "0.1", "--scheduler", "cosine", "--no-progress",
            "--save-model", str(model_path), "--save-history", str(hist_path)]
    has_mpl = importlib.util.find_spec("matplotlib") is not None
    code = cli.main(argv + (["--plot", str(png)] if has_mpl else []))
    out = capsys.readouterr().out
    assert code == 0 and "final report" in out and "val_accuracy" in out
    state = tl.load(model_path)
    assert state["0.weight"].shape == (64, 2)
    assert len(hist_path.read_text().splitlines()) == 3  # header + 2 epochs
    if has_mpl:
        assert png.read_bytes()[:4] == b"\x89PNG" and "History figure written" in out


def test_train_reports_iterations_per_epoch_and_prints_epoch_lines_without_a_bar(capsys):
    code = cli.main(["train", "--dataset", "moons", "--n-samples", "100", "--epochs", "3",
                     "--batch-size", "16", "--optimizer", "sgd", "--lr", "0.1",
                     "--progress", "epochs"])
    captured = capsys.readouterr()
    assert code == 0
    # 80 training points in batches of 16: 5 iterations per epoch
    assert "batch 16: 5 iterations per epoch (ceil(80 / 16)), 3 epochs = 15 iterations" \
        in captured.out
    lines = [ln for ln in captured.out.splitlines() if ln.startswith("epoch ")]
    assert [ln.split()[1] for ln in lines] == ["1/3", "2/3", "3/3"]
    assert all("val_loss" in ln and "lr 0.1" in ln for ln in lines)
    assert "iterations           15 (5 per epoch, batch 16)" in captured.out
    assert "samples seen         240" in captured.out
    assert "\r" not in captured.err  # no progress bar
    cli.main(["train", "--dataset", "moons", "--n-samples", "100", "--epochs", "2",
              "--progress", "none"])
    assert "epoch 1/2" not in capsys.readouterr().out


def test_linear_regression_on_house_prices_with_the_lessons_flags(capsys):
    code = cli.main(["train", "--model", "linear", "--dataset", "house-prices",
                     "--standardize", "--optimizer", "sgd", "--lr", "0.05", "--momentum",
                     "0.9", "--nesterov", "--weight-decay", "1e-4", "--l1", "0.01",
                     "--epochs", "30", "--scheduler", "inverse-time", "--decay", "0.1",
                     "--progress", "none"])
    out = capsys.readouterr().out
    assert code == 0 and "training linear (5 parameters) on house-prices" in out
    assert "momentum=0.9 weight_decay=0.0001 nesterov" in out and "l1=0.01" in out
    r2 = float(next(ln.split()[1] for ln in out.splitlines() if "val_r2" in ln))
    assert r2 > 0.9


@pytest.mark.parametrize("scheduler,flags,lrs", [
    ("step", ["--step-size", "2", "--gamma", "0.5"], [0.1, 0.1, 0.05, 0.05]),
    ("exponential", ["--gamma", "0.5"], [0.1, 0.05, 0.025, 0.0125]),
    ("inverse-time", ["--decay", "1"], [0.1, 0.05, 0.1 / 3, 0.025]),
    ("linear", ["--end-factor", "0.1"], [0.1, 0.07, 0.04, 0.01]),
    ("cosine", ["--eta-min", "0.02"], [0.1, 0.08828427, 0.06, 0.03171573]),
])
def test_every_lesson_schedule_with_its_parameters(scheduler, flags, lrs):
    from tinygrad_lr.train.recipes import make_experiment

    args = cli.build_parser().parse_args(["train", "--scheduler", scheduler, "--epochs", "4",
                                          "--optimizer", "sgd", "--lr", "0.1", *flags])
    ex = make_experiment(cli._config(args))
    got = []
    for _ in range(4):
        got.append(ex["optimizer"].param_groups[0]["lr"])
        ex["scheduler"].step()
    np.testing.assert_allclose(got, lrs, rtol=1e-6)


def test_lr_find_command(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "lr.png"
    code = cli.main(["lr-find", "--dataset", "moons", "--n-samples", "320", "--num-iter",
                     "30", "--optimizer", "sgd", "--momentum", "0.9", "--plot", str(png)])
    out = capsys.readouterr().out
    assert code == 0 and "suggested lr (steepest fall)" in out and png.exists()
    assert "the first 3 and last 5 steps are ignored" in out


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
    ("my_losses:not_scalar",
     r"must return a scalar Tensor \(a loss\), got a Tensor of shape \(4, 3\)"),
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


def test_a_diverging_run_is_reported_in_plain_words(capsys):
    code = cli.main(["train", "--dataset", "moons", "--n-samples", "100", "--optimizer", "sgd",
                     "--lr", "1000", "--epochs", "2", "--progress", "none"])
    captured = capsys.readouterr()
    assert code == 1 and "stopped early: loss became nan" in captured.out
    assert "Warning" not in captured.err and "Traceback" not in captured.err


def test_lr_find_that_diverges_at_once_names_the_flag(capsys):
    code = cli.main(["lr-find", "--dataset", "moons", "--n-samples", "100", "--optimizer",
                     "sgd", "--start-lr", "1e4", "--end-lr", "1e6"])
    err = capsys.readouterr().err
    assert code == 2 and "the loss diverged after" in err and "lower --start-lr" in err
    assert "Traceback" not in err


def test_train_clips_the_gradients(tmp_path, capsys):
    """--clip-grad-value then --clip-grad-norm reach fit: every recorded clipped norm is
    at most the bound, and the unclipped ones are larger."""
    hist = tmp_path / "h.json"
    code = cli.main(["train", "--dataset", "moons", "--n-samples", "80", "--epochs", "2",
                     "--optimizer", "sgd", "--lr", "0.1", "--progress", "none",
                     "--clip-grad-value", "0.5", "--clip-grad-norm", "0.01",
                     "--save-history", str(hist)])
    out = capsys.readouterr().out
    assert code == 0
    assert "gradient clipping: every entry into +- 0.5, then global norm at most 0.01" in out
    history = tl.train.History.from_json(hist)
    clipped, raw = history.iterations["grad_norm_clipped"], history.iterations["grad_norm"]
    assert len(clipped) == 4 and max(clipped) <= 0.01 * (1 + 1e-6) < min(raw)


@pytest.mark.parametrize("flags,message", [
    (["--eps", "0"], r"--eps must be > 0 \(the finite-difference step\), got 0"),
    (["--eps", "nan"], "--eps must be > 0"),
    (["--atol", "-1"], "--atol must be >= 0, got -1"),
    (["--rtol", "-0.1"], "--rtol must be >= 0, got -0.1"),
    (["--samples", "0"], "--samples must be an integer >= 1, got 0"),
    (["--points", "0"], "--points must be an integer >= 1, got 0"),
    (["--seed", "-3"], "--seed must be an integer in"),
])
def test_gradcheck_refuses_bad_numbers_before_checking(flags, message, capsys):
    import re

    code = cli.main(["gradcheck", "mse_loss", "--shapes", "3", "3"] + flags)
    captured = capsys.readouterr()
    assert code == 2 and re.search(message, captured.err), captured.err
    assert "Traceback" not in captured.err and "loss =" not in captured.out


def test_demo_refuses_an_output_folder_that_cannot_be_made(tmp_path, capsys):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    assert cli.main(["demo", "--quick", "--out", str(a_file)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert cli.main(["demo", "--quick", "--out", str(a_file / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot make this folder" in err and "Traceback" not in err

"""gradcheck for teaching: per-element reports, CS231n's relative error, named failures
(NaN, kinks, non-determinism), sampling, model mode, and the CLI's input domains."""
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import cli, nn
from tinygrad_lr.autograd import GradcheckError, gradcheck, gradcheck_model, gradcheck_report
from tinygrad_lr.autograd.gradcheck import rel_error_band


def f64(v, requires_grad=True):
    return tl.tensor(v, dtype="float64", requires_grad=requires_grad)


class HalfGradMSE(tl.Function):
    """A custom loss with a wrong backward: the factor 2 of d(r^2)/dr is missing."""

    @staticmethod
    def forward(ctx, pred, target):
        ctx.save_for_backward(pred, target)
        return ((pred - target) ** 2).mean()

    @staticmethod
    def backward(ctx, g):
        pred, target = ctx.saved_tensors
        return g * (pred - target) / pred.numel(), None


# ------------------------------------------------------------------ the report
def test_report_has_every_elements_relative_error_and_a_table_in_words():
    report = gradcheck_report(lambda x, w: (x * w.exp()).sum(),
                              [f64([[1.0, 2.0], [3.0, 4.0]]), f64([0.5, -0.5])])
    assert report.passed
    x = report["x"]
    assert [e.element for e in x.elements] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(0 < e.rel_error < 1e-7 for e in x.elements)  # real numbers, not 0 on a pass
    assert 0 < x.max_rel_error < 1e-7 and "fine (< 1e-7)" in str(x)
    text = str(report)
    assert "d out / d x[1, 0]" in text and "row i, column j" in text
    assert "|a - n| / max(|a|, |n|)" in text
    assert report["w"].label == "w" and report[1] is report["w"]


def test_negligible_elements_are_judged_by_absolute_error_only():
    report = gradcheck_report(lambda a: a * a, [f64([1.0, 2.0])])
    off_diagonal = [e for e in report.inputs[0].elements if e.output != f"out[{e.element[0]}]"]
    assert off_diagonal and all(e.negligible and e.passed for e in off_diagonal)
    assert "(both ~0: abs err only)" in str(report)


def test_rel_error_bands_follow_cs231n():
    assert rel_error_band(3e-9).startswith("fine")
    assert "kinks" in rel_error_band(1e-5)
    assert rel_error_band(1e-3).startswith("suspicious")
    assert rel_error_band(0.5).startswith("wrong")
    assert "1e-7" in rel_error_band.__doc__ and "1e-2" in rel_error_band.__doc__


def test_wrong_gradient_error_names_argument_and_element():
    class WrongCube(tl.Function):
        @staticmethod
        def forward(ctx, pred):
            ctx.save_for_backward(pred)
            return pred ** 3

        @staticmethod
        def backward(ctx, g):
            (pred,) = ctx.saved_tensors
            return g * 2 * pred * pred

    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, [f64([[1.0, 2.0], [3.0, -1.0]])])
    msg = str(info.value)
    assert "input 0 (pred, shape (2, 2))" in msg and "pred[1, 0]" in msg
    assert "(out[1, 0])" in msg and "wrong (> 1e-2)" in msg


# ------------------------------------------------------------------ the three diagnoses
def test_nan_output_is_named_with_its_first_op():
    probs = f64(np.random.default_rng(0).standard_normal(4))  # not probabilities
    report = gradcheck_report(lambda p: -p.log().sum(), [probs])
    assert not report.passed
    (problem,) = report.diagnoses
    assert "your function returns NaN on these inputs" in problem
    assert "log of a negative number" in problem and "Log forward is the first op" in problem
    assert f"problem: {problem}" in str(report)
    with pytest.raises(GradcheckError, match="returns NaN"):
        gradcheck(lambda p: -p.log().sum(), [probs])


def test_input_near_the_edge_of_the_domain_is_named():
    report = gradcheck_report(lambda x: x.sqrt().sum(), [f64([4.0, 1e-7])])
    (problem,) = report.inputs[0].diagnoses
    assert "x[1] = 1e-07 - eps" in problem and "edge of the function's domain" in problem


def test_kink_within_eps_is_named():
    report = gradcheck_report(lambda x: x.relu().sum(), [f64([1e-7, 2.0, -1.0])])
    assert not report.passed
    (problem,) = report.inputs[0].diagnoses
    assert "x[0] = 1e-07 is within eps of a kink" in problem
    assert "0.55 with eps=1e-06 and 0.6 with eps=5e-07" in problem
    assert gradcheck_report(lambda x: x.relu().sum(), [f64([0.5, 2.0, -1.0])]).passed


def test_non_deterministic_outputs_print_as_different_numbers():
    calls = iter([1.0, 1.0002, 1.0004, 1.0006] * 10)

    def slightly_noisy(x):
        return x * next(calls)

    report = gradcheck_report(slightly_noisy, [f64([2.0])])
    (problem,) = [d for d in report.diagnoses if "not deterministic" in d]
    assert "(2 and 2.0004 at output element 0)" in problem


def test_non_deterministic_function_is_named():
    dropout = nn.Dropout(0.5)
    tl.manual_seed(0)  # two masks over 16 distinct values give different sums
    x = f64(np.arange(1.0, 17.0))
    report = gradcheck_report(lambda x: dropout(x).sum(), [x])
    assert not report.passed
    assert any("not deterministic" in d and "model.eval()" in d for d in report.diagnoses)
    assert not any(r.diagnoses for r in report.inputs)  # no bogus kink on top
    dropout.eval()
    assert gradcheck_report(lambda x: dropout(x).sum(), [x]).passed


def test_nondet_tol_allows_tiny_noise():
    rng = np.random.default_rng(0)

    def noisy(x):
        return x * 2 + f64(rng.standard_normal() * 1e-12, requires_grad=False)

    assert not gradcheck(noisy, [f64([1.0])], raise_exception=False, atol=1.0)
    assert gradcheck(noisy, [f64([1.0])], nondet_tol=1e-9, atol=1.0)


# ------------------------------------------------------------------ sampling, names
def test_samples_checks_a_subset_of_elements():
    x = f64(np.random.default_rng(0).standard_normal((20, 10)))
    report = gradcheck_report(lambda t: (t.tanh() ** 2).sum(), [x], samples=7, seed=3)
    r = report.inputs[0]
    assert r.checked == 7 and len(r.elements) == 7 and len({e.element for e in r.elements}) == 7
    assert "7 of 200 elements sampled" in str(r) and report.passed
    with pytest.raises(ValueError, match="samples must be a positive number"):
        gradcheck_report(lambda t: t.sum(), [x], samples=0)


def test_inputs_are_named_from_the_signature_or_explicitly():
    def loss(pred, target):
        return ((pred - target) ** 2).mean()

    report = gradcheck_report(loss, [f64([1.0, 2.0]), f64([0.0, 1.0], requires_grad=False)])
    assert [r.label for r in report.inputs] == ["pred"]
    report = gradcheck_report(lambda *ts: ts[0].sum(), [f64([1.0])], names=["logits"])
    assert report.inputs[0].label == "logits"
    assert gradcheck_report(lambda *ts: ts[0].sum(), [f64([1.0])]).inputs[0].label == "input 0"


# ------------------------------------------------------------------ model mode
def _model():
    tl.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


def test_model_mode_catches_a_wrong_custom_loss_gradient():
    model = _model()
    before = [p.numpy().copy() for p in model.parameters()]
    X, y = tl.randn(16, 3), tl.randn(16, 1)
    bad = gradcheck_model(model, HalfGradMSE.apply, X, y, samples=3)
    assert not bad.passed
    assert [r.label for r in bad.inputs] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(not r.passed and r.max_rel_error == pytest.approx(0.5) for r in bad.inputs)
    assert all(r.checked == min(3, int(np.prod(r.shape))) for r in bad.inputs)
    good = gradcheck_model(model, nn.MSELoss(), X, y, samples=3)
    assert good.passed
    # the model is left as it was: float32, same values, no gradients
    assert all(p.dtype == np.float32 and p.grad is None for p in model.parameters())
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_model_mode_names_dropout_in_training_mode():
    tl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    X, y = tl.randn(8, 3), tl.tensor([0, 1, 1, 0, 1, 0, 0, 1])
    report = gradcheck_model(model, nn.CrossEntropyLoss(), X, y)
    assert any("not deterministic" in d for d in report.diagnoses)
    assert gradcheck_model(model.eval(), nn.CrossEntropyLoss(), X, y).passed


def test_model_mode_errors():
    with pytest.raises(TypeError, match="model must be a Module"):
        gradcheck_model(lambda x: x, nn.MSELoss(), tl.randn(2, 3))
    with pytest.raises(ValueError, match="loss_fn must return a scalar Tensor"):
        gradcheck_model(_model(), lambda out: out, tl.randn(2, 3))


# ------------------------------------------------------------------ the CLI
@pytest.fixture
def user_code(tmp_path, monkeypatch):
    (tmp_path / "teach.py").write_text(textwrap.dedent('''
        import tinygrad_lr as tl
        from tinygrad_lr import nn

        def soft_nll(probs, target):
            return -(target * probs.log()).sum(1).mean()

        class HalfGradMSE(tl.Function):
            @staticmethod
            def forward(ctx, pred, target):
                ctx.save_for_backward(pred, target)
                return ((pred - target) ** 2).mean()

            @staticmethod
            def backward(ctx, g):
                pred, target = ctx.saved_tensors
                return g * (pred - target) / pred.numel(), None

        def bad_mse(pred, target):
            return HalfGradMSE.apply(pred, target)

        def make_model():
            tl.manual_seed(0)
            return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))

        def make_dropout_model():
            return nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    '''))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("teach", None)


def test_cli_checks_cross_entropy_on_class_targets(capsys):
    code = cli.main(["gradcheck", "cross_entropy", "--shapes", "4,3", "4",
                     "--input", "target=classes:3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "target     (4,)       class indices in [0, 3) (not differentiated)" in out
    assert "ok   input (4, 3)" in out and "d out / d input[3, 2]" in out


def test_cli_checks_bce_on_probabilities_and_binary_targets(capsys):
    code = cli.main(["gradcheck", "binary_cross_entropy", "--shapes", "6", "6",
                     "--input", "input=prob", "target=binary"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "probabilities in (0.05, 0.95)" in out and "0/1 targets (not differentiated)" in out


def test_cli_domains_decide_between_nan_and_a_pass(user_code, capsys):
    assert cli.main(["gradcheck", "teach:soft_nll", "--shapes", "4,3", "4,3"]) == 1
    out = capsys.readouterr().out
    assert "returns NaN on these inputs" in out and "probs      (4, 3)     N(0, 1)" in out
    assert cli.main(["gradcheck", "teach:soft_nll", "--shapes", "4,3", "4,3", "--input",
                     "probs=probs", "target=probs", "--no-grad", "target"]) == 0
    out = capsys.readouterr().out
    assert "target     (4, 3)     rows of probabilities summing to 1 (last dim) (not " \
        "differentiated)" in out
    assert cli.main(["gradcheck", "teach:soft_nll", "--shapes", "4,3", "4,3",
                     "--positive", "--no-grad", "1"]) == 0
    assert "positive" in capsys.readouterr().out
    assert cli.main(["gradcheck", "teach:soft_nll", "--shapes", "4,3", "4,3",
                     "--range", "0.2,0.9"]) == 0
    assert "uniform on (0.2, 0.9)" in capsys.readouterr().out


def test_cli_samples_elements(capsys):
    assert cli.main(["gradcheck", "mse_loss", "--shapes", "30,10", "30,10",
                     "--samples", "4"]) == 0
    assert "4 of 300 elements sampled" in capsys.readouterr().out


def test_cli_model_mode_catches_a_wrong_loss_and_names_dropout(user_code, capsys):
    assert cli.main(["gradcheck", "--model", "teach:make_model", "--loss", "teach:bad_mse",
                     "--target", "8,1"]) == 1
    out = capsys.readouterr().out
    assert "FAIL 0.weight (4, 3), 5 of 12 elements sampled" in out and "wrong" in out
    assert cli.main(["gradcheck", "--model", "teach:make_model", "--loss", "mse_loss",
                     "--target", "8,1"]) == 0
    assert "every parameter's gradient agrees" in capsys.readouterr().out
    assert cli.main(["gradcheck", "--model", "teach:make_dropout_model", "--loss",
                     "cross_entropy", "--target", "classes:2"]) == 1
    assert "not deterministic" in capsys.readouterr().out
    assert cli.main(["gradcheck", "--model", "teach:make_dropout_model", "--loss",
                     "cross_entropy", "--target", "classes:2", "--eval"]) == 0


@pytest.mark.parametrize("argv,message", [
    (["gradcheck", "mse_loss", "--input", "inp=prob"],
     "the function has no argument 'inp'; its arguments: input, target"),
    (["gradcheck", "mse_loss", "--input", "input=uniform"], "unknown kind 'uniform'"),
    (["gradcheck", "mse_loss", "--range", "0"], "a range needs two numbers"),
    (["gradcheck", "mse_loss", "--range", "1,0"], "range 1,0 is empty"),
    (["gradcheck", "mse_loss", "--input", "target=classes"], "classes needs the number"),
    (["gradcheck", "mse_loss", "--shapes", "3"], r"takes 2 arguments \(input, target\)"),
    (["gradcheck", "mse_loss", "--no-grad", "input", "target"], "nothing to check"),
    (["gradcheck"], "give the FUNCTION to check"),
    (["gradcheck", "--model", "teach:make_model"], "--model needs --loss"),
    (["gradcheck", "--model", "teach:nothing", "--loss", "mse_loss"], "has no model 'nothing'"),
])
def test_cli_errors_are_one_line(user_code, capsys, argv, message):
    assert cli.main(argv) == 2
    assert __import__("re").search(message, capsys.readouterr().err)

"""The backward exercises: right answers pass, and each usual mistake is named."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import exercises as E


class Sigmoid(E.SigmoidStub):
    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)


class SoftmaxCE(E.SoftmaxCrossEntropyStub):
    @staticmethod
    def backward(ctx, grad):
        p, target = ctx.saved_tensors
        onehot = np.zeros(p.shape)
        onehot[np.arange(p.shape[0]), target.numpy()] = 1
        return grad * (p - tl.tensor(onehot)) / p.shape[0], None


class Hinge(E.HingeStub):
    @staticmethod
    def backward(ctx, grad):
        margin, y = ctx.saved_tensors
        return grad * -y * (margin > 0).double() / margin.numel(), None


class Conv2d(E.Conv2dStub):
    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        X, W, G = x.numpy(), w.numpy(), grad.numpy()
        kh, kw = W.shape[2:]
        h, wd = G.shape[2:]
        gx, gw = np.zeros_like(X), np.zeros_like(W)
        for a in range(kh):
            for b in range(kw):
                gw[:, :, a, b] = np.einsum("nkij,ncij->kc", G, X[:, :, a:a + h, b:b + wd])
                gx[:, :, a:a + h, b:b + wd] += np.einsum("nkij,kc->ncij", G, W[:, :, a, b])
        return tl.tensor(gx), tl.tensor(gw)


@pytest.mark.parametrize("name,solution", [("sigmoid", Sigmoid),
                                           ("softmax_cross_entropy", SoftmaxCE),
                                           ("hinge", Hinge), ("conv2d", Conv2d)])
def test_a_right_backward_passes_every_check(name, solution):
    report = E.check(name, solution)
    assert report.passed, str(report)
    text = str(report)
    assert "all checks passed" in text and "gradcheck" in text and "WRONG" not in text


@pytest.mark.parametrize("name", list(E.EXERCISES))
def test_the_stub_itself_says_backward_is_not_written(name):
    report = E.check(name, E.EXERCISES[name].stub)
    assert not report.passed
    assert "forward: shape" in str(report) and "backward is not written yet" in str(report)


def _variant(base, backward):
    return type("Attempt", (base,), {"backward": staticmethod(backward)})


def test_an_ignored_incoming_gradient_is_named():
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (1 - y)

    report = E.check("sigmoid", _variant(E.SigmoidStub, backward))
    assert "right only when the incoming gradient is 1: multiply by `grad`" in str(report)


def test_a_forgotten_mean_is_named_as_a_constant_factor():
    def backward(ctx, grad):
        p, target = ctx.saved_tensors
        onehot = np.zeros(p.shape)
        onehot[np.arange(p.shape[0]), target.numpy()] = 1
        return grad * (p - tl.tensor(onehot)), None  # no / N

    report = E.check("softmax_cross_entropy", _variant(E.SoftmaxCrossEntropyStub, backward))
    assert "is 5 times the right one: a constant is off (a forgotten 1/N" in str(report)


def test_a_wrong_sign_is_named():
    def backward(ctx, grad):
        margin, y = ctx.saved_tensors
        return grad * y * (margin > 0).double() / margin.numel(), None

    assert "has the wrong sign" in str(E.check("hinge", _variant(E.HingeStub, backward)))


def test_a_wrong_shape_is_named_with_the_cure():
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return (grad * y * (1 - y)).sum(0)

    text = str(E.check("sigmoid", _variant(E.SigmoidStub, backward)))
    assert "shape (4,)" in text and "(3, 4)" in text and "sum over the dimensions" in text


def test_a_wrong_element_is_located():
    def backward(ctx, grad):
        gx, gw = Conv2d.backward(ctx, grad)
        gw = gw.numpy().copy()
        gw[1, 0, 2, 1] += 0.5
        return gx, tl.tensor(gw)

    text = str(E.check("conv2d", _variant(E.Conv2dStub, backward)))
    assert "the gradient of w is wrong: at element (1, 0, 2, 1)" in text
    assert "gradient of x" not in text


def test_a_wrong_forward_and_a_crash_are_reported_not_raised():
    class Doubled(Sigmoid):
        @staticmethod
        def forward(ctx, x):
            return 2 * x.sigmoid()

    assert "forward computes different values" in str(E.check("sigmoid", Doubled))

    class Broken(Sigmoid):
        @staticmethod
        def forward(ctx, x):
            raise KeyError("oops")

    assert "your forward raised KeyError" in str(E.check("sigmoid", Broken))


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(ValueError, match="choose one of: sigmoid, softmax_cross_entropy"):
        E.check("relu", Sigmoid)
    assert "dy/dx = y (1 - y)" in E.describe("sigmoid")

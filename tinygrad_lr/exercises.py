"""Exercises a student can check: write the backward of an op, and let `check` say in plain
words what is right and what is wrong.

Each exercise has a stub `Function` whose forward is written and whose backward raises
NotImplementedError. Subclass it (or copy it), write `backward`, and check it:

    import tinygrad_lr as tl
    from tinygrad_lr import exercises

    class Sigmoid(exercises.SigmoidStub):
        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y * (1 - y)

    print(exercises.check("sigmoid", Sigmoid))

`check` runs your Function on fixed float64 inputs, compares its forward and its gradient
with the library's own op (shapes first, then values, then the usual mistakes: a wrong sign,
a constant factor such as a forgotten 1/N, an ignored incoming gradient), and finally runs
gradcheck (central finite differences). `exercises.EXERCISES` lists the exercises;
`exercises.describe(name)` prints what to derive.
"""
from dataclasses import dataclass, field

import numpy as np

from .autograd import Function, gradcheck_report, no_grad
from .nn import functional as F
from .tensor import Tensor

__all__ = ["EXERCISES", "Conv2dStub", "ExerciseReport", "HingeStub", "SigmoidStub",
           "SoftmaxCrossEntropyStub", "check", "describe"]


# ------------------------------------------------------------------ the stubs
def _not_written(name, hint):
    raise NotImplementedError(f"{name}.backward is not written yet. {hint}")


class SigmoidStub(Function):
    """y = sigmoid(x) = 1 / (1 + exp(-x)), elementwise. Derive dy/dx in terms of y."""

    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + (-x).exp())
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        _not_written("Sigmoid", "Return grad * dy/dx; the forward saved y = sigmoid(x).")


class SoftmaxCrossEntropyStub(Function):
    """loss = mean over the N rows of -log softmax(logits)[target]: logits (N, C), target
    (N,) class indices. Derive d loss / d logits (one gradient per forward argument: the
    target gets None)."""

    @staticmethod
    def forward(ctx, logits, target):
        shifted = logits - logits.max(1, keepdim=True).values  # exp cannot overflow
        log_p = shifted - shifted.exp().sum(1, keepdim=True).log()
        n = logits.shape[0]
        rows = np.arange(n)
        ctx.save_for_backward(log_p.exp(), target)
        return -log_p[rows, target.numpy()].sum() / n

    @staticmethod
    def backward(ctx, grad):
        _not_written("SoftmaxCrossEntropy", "The forward saved the probabilities p (N, C) "
                     "and the target; return (d loss / d logits, None).")


class HingeStub(Function):
    """loss = mean of max(0, 1 - y * s): scores s (N,), labels y in {-1, +1} (N,). Derive
    d loss / d s (the labels get None). At the kink 1 - y s = 0 take the derivative 0."""

    @staticmethod
    def forward(ctx, scores, labels):
        margin = 1 - labels * scores
        ctx.save_for_backward(margin, labels)
        return margin.relu().mean()

    @staticmethod
    def backward(ctx, grad):
        _not_written("Hinge", "The forward saved the margins 1 - y s and the labels y; "
                     "return (d loss / d scores, None).")


class Conv2dStub(Function):
    """out = conv2d(x, w): x (N, C, H, W), w (K, C, kh, kw), stride 1, no padding, no bias;
    out[n, k, i, j] = sum over c, a, b of x[n, c, i + a, j + b] * w[k, c, a, b].
    Derive d loss / d x and d loss / d w given grad = d loss / d out (N, K, H-kh+1, W-kw+1).
    Loops over (a, b) with numpy's einsum are fine; speed is not the point."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return F.conv2d(x, w)

    @staticmethod
    def backward(ctx, grad):
        _not_written("Conv2d", "The forward saved x and w; return (grad_x, grad_w). "
                     "grad_w[k, c, a, b] sums grad[n, k, i, j] * x[n, c, i + a, j + b]; "
                     "each x[n, c, i + a, j + b] receives grad[n, k, i, j] * w[k, c, a, b].")


# ------------------------------------------------------------------ the exercises
@dataclass
class Exercise:
    name: str
    stub: type
    reference: object      # the library's op, same arguments as the stub's forward
    make_inputs: object    # rng -> tuple of forward arguments (differentiable ones first)
    differentiable: tuple  # indices of the arguments that get a gradient
    formula: str


def _sigmoid_inputs(rng):
    return (Tensor(rng.standard_normal((3, 4)) * 2, requires_grad=True),)


def _ce_inputs(rng):
    return (Tensor(rng.standard_normal((5, 4)), requires_grad=True),
            Tensor(rng.integers(0, 4, 5)))


def _hinge_inputs(rng):
    # |s| in (0.2, 0.8) or (1.2, 1.8): away from the kink 1 - y s = 0 (at |s| = 1), where
    # no derivative exists
    s = (rng.uniform(0.2, 0.8, 8) + rng.choice([0.0, 1.0], 8)) * rng.choice([-1.0, 1.0], 8)
    return (Tensor(s, requires_grad=True), Tensor(rng.choice([-1.0, 1.0], 8)))


def _conv_inputs(rng):
    return (Tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True),
            Tensor(rng.standard_normal((3, 2, 3, 2)), requires_grad=True))


EXERCISES = {
    "sigmoid": Exercise("sigmoid", SigmoidStub, lambda x: x.sigmoid(), _sigmoid_inputs, (0,),
                        "y = 1 / (1 + e^-x);  dy/dx = y (1 - y)"),
    "softmax_cross_entropy": Exercise(
        "softmax_cross_entropy", SoftmaxCrossEntropyStub,
        lambda z, t: F.cross_entropy(z, t), _ce_inputs, (0,),
        "L = -(1/N) sum_n log p[n, t_n], p = softmax(z);  dL/dz = (p - onehot(t)) / N"),
    "hinge": Exercise("hinge", HingeStub, lambda s, y: F.hinge_loss(s, y), _hinge_inputs, (0,),
                      "L = (1/N) sum max(0, 1 - y s);  dL/ds = -y / N where 1 - y s > 0, "
                      "else 0"),
    "conv2d": Exercise("conv2d", Conv2dStub, lambda x, w: F.conv2d(x, w), _conv_inputs, (0, 1),
                       "out = x * w (cross-correlation);  dL/dw = x * grad (correlation), "
                       "dL/dx = full convolution of grad with w flipped"),
}


def describe(name: str) -> str:
    """What exercise `name` asks: the op, its formula and the stub to start from."""
    ex = _exercise(name)
    return (f"exercise {ex.name!r}: subclass exercises.{ex.stub.__name__} and write its "
            f"backward.\n  {ex.formula}\n\n{ex.stub.__doc__}")


def _exercise(name):
    if name not in EXERCISES:
        raise ValueError(f"exercises: unknown exercise {name!r}; choose one of: "
                         f"{', '.join(EXERCISES)}")
    return EXERCISES[name]


# ------------------------------------------------------------------ the checker
@dataclass
class ExerciseReport:
    """The verdict: `passed`, and `findings` - one plain sentence per check, marked ok or
    wrong."""
    name: str
    findings: list = field(default_factory=list)  # (ok, sentence)

    @property
    def passed(self) -> bool:
        return bool(self.findings) and all(ok for ok, _ in self.findings)

    def __bool__(self):
        return self.passed

    def _add(self, ok, sentence):
        self.findings.append((ok, sentence))
        return ok

    def __str__(self):
        head = f"exercise {self.name!r}: " + ("all checks passed" if self.passed else
                                               "not right yet")
        return "\n".join([head] + [f"  {'ok   ' if ok else 'WRONG'} {s}"
                                   for ok, s in self.findings])

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def _fresh(inputs):
    """New leaf tensors with the same values (each check starts from clean .grad)."""
    return tuple(Tensor(a.numpy().copy(), requires_grad=a.requires_grad) for a in inputs)


def _diagnose(name, mine, want):
    """A plain sentence for the usual ways a gradient is wrong, or None if it is right."""
    mine, want = np.asarray(mine, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if mine.shape != want.shape:
        extra = ""
        if mine.size != want.size:
            extra = (" - a gradient has the shape of its input: sum over the dimensions "
                     "that were broadcast or reduced")
        return f"the gradient of {name} has shape {mine.shape}, but {name} has shape " \
               f"{want.shape}{extra}"
    if not np.all(np.isfinite(mine)):
        return f"the gradient of {name} contains NaN or inf"
    scale = np.abs(want).max()
    if np.allclose(mine, want, rtol=1e-6, atol=1e-9 * max(scale, 1.0)):
        return None
    if scale == 0:
        return f"the gradient of {name} should be all zeros here"
    if not np.any(mine):
        return f"the gradient of {name} is all zeros, but it should not be"
    if np.allclose(mine, -want, rtol=1e-6, atol=1e-9 * scale):
        return f"the gradient of {name} has the wrong sign"
    ratio = np.dot(mine.ravel(), want.ravel()) / np.dot(want.ravel(), want.ravel())
    if np.allclose(mine, ratio * want, rtol=1e-6, atol=1e-9 * scale):
        return (f"the gradient of {name} is {ratio:.4g} times the right one: a constant is "
                "off (a forgotten 1/N of a mean, a factor 2, ...)")
    if mine.ndim == 2 and mine.shape == mine.T.shape and np.allclose(mine.T, want):
        return f"the gradient of {name} is transposed"
    worst = np.unravel_index(np.argmax(np.abs(mine - want)), want.shape)
    return (f"the gradient of {name} is wrong: at element {tuple(int(i) for i in worst)} "
            f"yours is {mine[worst]:.6g}, the right value is {want[worst]:.6g}")


def check(name: str, function, seed: int = 0) -> ExerciseReport:
    """Check a student's `Function` subclass (or any callable with the stub's arguments
    that builds a graph) for exercise `name`; returns an ExerciseReport (print it)."""
    ex = _exercise(name)
    report = ExerciseReport(ex.name)
    apply = getattr(function, "apply", function)
    rng = np.random.default_rng(seed)
    inputs = ex.make_inputs(rng)
    names = ["x", "w"] if ex.name == "conv2d" else [ex.stub.forward.__code__.co_varnames[1]]

    # 1. the forward
    mine_in = _fresh(inputs)
    try:
        out = apply(*mine_in)
    except Exception as e:  # noqa: BLE001 - the student's code: a failure is a finding
        report._add(False, f"your forward raised {type(e).__name__}: {e}")
        return report
    with no_grad():
        want = ex.reference(*_fresh(inputs))
    if not isinstance(out, Tensor):
        report._add(False, f"your forward returns {type(out).__name__}, not a Tensor")
        return report
    if out.shape != want.shape:
        report._add(False, f"your forward returns shape {out.shape}, the op's output has "
                           f"shape {want.shape}")
        return report
    if not np.allclose(out.numpy(), want.numpy(), rtol=1e-7, atol=1e-10):
        report._add(False, "your forward computes different values from the library's "
                           f"(largest difference {np.abs(out.numpy() - want.numpy()).max():.3g})")
        return report
    report._add(True, f"forward: shape {out.shape} and values agree with the library")

    # 2. the backward against the library's gradient, with an upstream gradient that is
    # not all ones (so ignoring it shows)
    upstream = rng.uniform(0.5, 2.0, out.shape) if out.ndim else np.array(1.7)
    mine_grads = _gradients(apply, inputs, ex.differentiable, upstream, report)
    if mine_grads is None:
        return report
    ref_in = _fresh(inputs)
    ref_out = ex.reference(*ref_in)
    ref_out.backward(Tensor(upstream))
    right = True
    for i, name_i in zip(ex.differentiable, names):
        problem = _diagnose(name_i, mine_grads[i], ref_in[i].grad.numpy())
        if problem is None:
            continue
        right = False
        # is the incoming gradient used? the same check with upstream all ones
        ones = _gradients(apply, inputs, ex.differentiable, np.ones_like(upstream), None)
        ref_ones = _fresh(inputs)
        ex.reference(*ref_ones).backward(Tensor(np.ones_like(upstream)))
        if ones is not None and _diagnose(name_i, ones[i], ref_ones[i].grad.numpy()) is None:
            problem = (f"the gradient of {name_i} is right only when the incoming gradient "
                       "is 1: multiply by `grad`, the gradient of the loss with respect to "
                       "your output (chain rule)")
        report._add(False, problem)
    if not right:
        return report
    report._add(True, "backward: every gradient agrees with the library's (with an "
                      "incoming gradient that is not 1)")

    # 3. finite differences, independently of the library
    gc = gradcheck_report(lambda *xs: apply(*xs, *inputs[len(xs):]),
                          _fresh(inputs)[:max(ex.differentiable) + 1])
    report._add(gc.passed, "gradcheck: central finite differences agree" if gc.passed else
                f"gradcheck failed:\n{gc}")
    return report


def _gradients(apply, inputs, differentiable, upstream, report):
    """Run the student's backward once; returns {index: gradient array} or None (after
    recording why in `report`)."""
    xs = _fresh(inputs)
    out = apply(*xs)
    if out.grad_fn is None:
        if report is not None:
            report._add(False, "your output is not connected to the inputs (no grad_fn): "
                               "did forward compute with numpy arrays only?")
        return None
    try:
        out.backward(Tensor(np.asarray(upstream, dtype=out.dtype)))
    except NotImplementedError as e:
        if report is not None:
            report._add(False, f"backward is not written yet ({e})")
        return None
    except Exception as e:  # noqa: BLE001 - the student's backward, or the engine refusing it
        if report is not None:
            hint = (" - a gradient has the shape of its input: sum over the dimensions that "
                    "were broadcast, keep the others") if "shape" in str(e) else ""
            report._add(False, f"backward raised {type(e).__name__}: {e}{hint}")
        return None
    grads = {}
    for i in differentiable:
        if xs[i].grad is None:
            if report is not None:
                report._add(False, f"backward returned None for argument {i}, which needs "
                                   "a gradient")
            return None
        grads[i] = xs[i].grad.numpy()
    return grads

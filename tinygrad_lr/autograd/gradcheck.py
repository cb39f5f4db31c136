"""gradcheck / gradgradcheck: prove an analytic gradient right with finite differences.

For every input that requires grad and every output element, the analytic Jacobian
(one backward pass per output element) is compared with central differences
    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
computed in float64. An element passes when |analytic - numerical| <= atol + rtol*|numerical|.
"""
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..graph.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .functional import grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic gradient disagrees with finite differences."""


@dataclass
class InputReport:
    index: int
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    worst_element: tuple      # (output element, input element) of the largest violation
    numerical: float
    analytic: float
    passed: bool

    def __str__(self):
        mark = "ok  " if self.passed else "FAIL"
        return (f"{mark} input {self.index} {self.shape}: max abs err {self.max_abs_error:.3e}, "
                f"max rel err {self.max_rel_error:.3e}")


@dataclass
class GradcheckReport:
    inputs: list = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def passed(self):
        return all(r.passed for r in self.inputs)

    def __bool__(self):
        return self.passed

    def __str__(self):
        head = f"gradcheck {'passed' if self.passed else 'FAILED'} " \
               f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"
        return "\n".join([head] + ["  " + str(r) for r in self.inputs])

    _repr_pretty_ = lambda self, p, cycle: p.text(str(self))  # noqa: E731


def _outputs(fn, xs):
    out = fn(*xs)
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: the function must return Tensors, output {i} is "
                            f"{type(o).__name__}")
    return outs


def _prepare_inputs(inputs):
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad; create the inputs with "
                         "requires_grad=True")
    low = [i for i in diff if inputs[i].dtype != np.float64]
    if low:
        warnings.warn(
            f"gradcheck: inputs {low} are not float64; finite differences in float32 are "
            "too coarse to check a gradient. Use .double() inputs.", stacklevel=3)
    return inputs, diff


def gradcheck_report(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Compare analytic and numerical Jacobians; return a GradcheckReport."""
    inputs, diff = _prepare_inputs(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    report = GradcheckReport(eps=eps, atol=atol, rtol=rtol)
    for i in diff:
        x = inputs[i]
        analytic = _analytic_jacobian(outs, inputs, i)
        numerical = _numerical_jacobian(fn, inputs, i, eps)
        report.inputs.append(_compare(i, x.shape, analytic, numerical, atol, rtol))
    return report


def _analytic_jacobian(outs, inputs, i):
    """Rows: output elements (all outputs concatenated); columns: elements of input i."""
    x = inputs[i]
    rows = []
    for o in outs:
        flat = o.reshape(-1)
        for k in range(flat.shape[0]):
            if not o.requires_grad:
                rows.append(np.zeros(x._data.size))
                continue
            (g,) = grad(flat[k], (x,), retain_graph=True, allow_unused=True)
            rows.append(np.zeros(x._data.size) if g is None else
                        np.asarray(g._data, dtype=np.float64).reshape(-1))
    return np.array(rows).reshape(len(rows), x._data.size)


def _numerical_jacobian(fn, inputs, i, eps):
    x = inputs[i]
    original = x._data
    if not original.flags.c_contiguous:  # perturbed in place: needs a flat view
        x._data = np.array(original, order="C")
    flat = x._data.reshape(-1)  # a view: perturbing it perturbs the input
    cols = []
    try:
        with no_grad():
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = np.concatenate([np.asarray(o._data, np.float64).reshape(-1)
                                       for o in _outputs(fn, inputs)])
                flat[j] = orig - eps
                minus = np.concatenate([np.asarray(o._data, np.float64).reshape(-1)
                                        for o in _outputs(fn, inputs)])
                flat[j] = orig
                cols.append((plus - minus) / (2 * eps))
    finally:
        x._data = original  # the caller's tensor keeps its own array
    return np.array(cols).T.reshape(-1, flat.size) if cols else np.zeros((0, 0))


def _compare(i, shape, analytic, numerical, atol, rtol):
    if analytic.size == 0:
        return InputReport(i, shape, 0.0, 0.0, (), 0.0, 0.0, True)
    err = np.abs(analytic - numerical)
    excess = err - (atol + rtol * np.abs(numerical))
    worst = np.unravel_index(np.argmax(excess), err.shape)
    rel = err / np.maximum(np.abs(numerical), 1e-12)
    in_elem = np.unravel_index(worst[1], shape) if shape else ()
    return InputReport(
        index=i, shape=tuple(shape), max_abs_error=float(err.max()),
        max_rel_error=float(np.where(err > atol, rel, 0).max()),
        worst_element=(int(worst[0]), tuple(int(v) for v in in_elem)),
        numerical=float(numerical[worst]), analytic=float(analytic[worst]),
        passed=bool(np.all(excess <= 0) and np.all(np.isfinite(analytic)) or
                    np.array_equal(analytic, numerical, equal_nan=True)),
    )


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if every analytic gradient matches central finite differences.

    On a mismatch: raises GradcheckError naming the input, the worst element, the numerical
    and analytic values and their relative error (or returns False with
    raise_exception=False).
    """
    report = gradcheck_report(fn, inputs, eps, atol, rtol)
    for r in report.inputs:
        if not r.passed:
            if not raise_exception:
                return False
            out_k, elem = r.worst_element
            raise GradcheckError(
                f"gradcheck: Jacobian mismatch for input {r.index} (shape {r.shape}) at "
                f"element {elem}, output element {out_k}:\n"
                f"  numerical: {r.numerical:.10g}\n  analytic:  {r.analytic:.10g}\n"
                f"  abs error {abs(r.numerical - r.analytic):.3e}, relative error "
                f"{abs(r.numerical - r.analytic) / max(abs(r.numerical), 1e-12):.3e} "
                f"(atol={atol:g}, rtol={rtol:g})"
            )
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """gradcheck of the gradient itself: checks second derivatives (create_graph=True)."""
    inputs, diff = _prepare_inputs(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape).astype(o.dtype),
                                    requires_grad=True) for o in outs)
    else:
        grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) \
            else (grad_outputs,)
    n = len(inputs)

    def first_gradient(*args):
        xs, vs = args[:n], args[n:]
        diff_xs = tuple(xs[i] for i in diff)
        with enable_grad():  # also during the finite differences, which run in no_grad
            outs = _outputs(fn, xs)
            gs = grad(outs, diff_xs, grad_outputs=vs, create_graph=True, allow_unused=True)
            return tuple(Tensor._make(np.zeros_like(x._data)) if g is None else g
                         for g, x in zip(gs, diff_xs))

    return gradcheck(first_gradient, inputs + grad_outputs, eps, atol, rtol, raise_exception)

"""gradcheck / gradgradcheck: prove an analytic gradient right with finite differences.

For every input that requires grad and every output element, the analytic Jacobian
(one backward pass per output element) is compared with central differences
    (f(x + eps e_j) - f(x - eps e_j)) / (2 eps)
computed in float64. An element passes when |analytic - numerical| <= atol + rtol*|numerical|
(PyTorch's rule). The report also gives every element's symmetric relative error
    |analytic - numerical| / max(|analytic|, |numerical|)
and reads it with CS231n's rule of thumb (see `rel_error_band`), and when a check fails it
says why, where it can tell: a function that returns NaN, a point within eps of a kink, a
function that is not deterministic.
"""
from __future__ import annotations

import copy
import inspect
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .._format import fmt_distinct, fmt_number
from ..graph.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .anomaly import detect_anomaly
from .functional import grad

__all__ = ["gradcheck", "gradgradcheck", "gradcheck_report", "gradcheck_model", "GradcheckError",
           "GradcheckReport", "InputReport", "ElementCheck"]

TABLE_ROWS = 24  # inputs with at most this many compared elements are shown in full


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic gradient disagrees with finite differences."""


def rel_error_band(rel: float) -> str:
    """CS231n's reading of the symmetric relative error |a - n| / max(|a|, |n|):

    - below 1e-7: fine, the gradient is right;
    - 1e-7 to 1e-4: fine for a function with kinks (relu, abs, max), where finite
      differences straddle the kink; too high for a smooth one (tanh, softmax, exp);
    - 1e-4 to 1e-2: suspicious: usually a wrong gradient, unless a kink explains it;
    - above 1e-2: the gradient is wrong.
    Deeper networks and float32 raise the errors of a right gradient somewhat.
    """
    if rel < 1e-7:
        return "fine (< 1e-7)"
    if rel < 1e-4:
        return "fine only if the function has kinks (1e-7 .. 1e-4)"
    if rel < 1e-2:
        return "suspicious (1e-4 .. 1e-2)"
    return "wrong (> 1e-2)"


@dataclass
class ElementCheck:
    """One compared Jacobian entry: d output[output] / d input[element]."""
    output: str           # "out", "out[2]", "out1[0, 1]"
    element: tuple        # index into the input
    analytic: float
    numerical: float
    abs_error: float
    rel_error: float      # |a - n| / max(|a|, |n|); 0 when both are 0
    negligible: bool      # both |a| and |n| are below atol: judged by abs error only
    passed: bool


@dataclass
class InputReport:
    index: int
    shape: tuple
    max_abs_error: float
    max_rel_error: float      # largest relative error over the elements that are not
                              # negligible (both |a|, |n| below atol)
    worst_element: tuple      # (output element, input element) of the largest violation
    numerical: float
    analytic: float
    passed: bool
    name: str = ""
    worst_output: str = "out"  # the output element of worst_element, as out[1, 0]
    checked: int = 0          # input elements compared (all, or a sample)
    elements: list = field(default_factory=list)    # ElementCheck per compared entry
    diagnoses: list = field(default_factory=list)   # why it failed, in words

    @property
    def label(self):
        return self.name or f"input {self.index}"

    def element_text(self, element):
        return _index_text(self.label, element)

    def __str__(self):
        mark = "ok  " if self.passed else "FAIL"
        total = int(np.prod(self.shape)) if self.shape else 1
        sampled = f", {self.checked} of {total} elements sampled" if self.checked < total \
            else ""
        return (f"{mark} {self.label} {self.shape}{sampled}: max abs err "
                f"{fmt_number(self.max_abs_error)}, max rel err "
                f"{fmt_number(self.max_rel_error)} - {rel_error_band(self.max_rel_error)}")

    def table(self) -> str:
        """Every compared element: analytic, numerical, abs and relative error."""
        head = (f"    {'d output / d input':<28} {'analytic':>11} {'numerical':>11} "
                f"{'abs err':>9} {'rel err':>9}")
        rows = [head]
        for e in self.elements:
            what = f"d {e.output} / d {_index_text(self.label, e.element)}"
            note = "" if e.passed else "  <- FAIL"
            if e.negligible and e.passed:
                note = "  (both ~0: abs err only)"
            rows.append(f"    {what:<28} {fmt_number(e.analytic):>11} "
                        f"{fmt_number(e.numerical):>11} {fmt_number(e.abs_error):>9} "
                        f"{fmt_number(e.rel_error):>9}{note}")
        return "\n".join(rows)


@dataclass
class GradcheckReport:
    inputs: list = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3
    diagnoses: list = field(default_factory=list)   # about the function as a whole

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.inputs) and not self.diagnoses

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> InputReport:
        for r in self.inputs:
            if r.name == name or r.index == name:
                return r
        raise KeyError(f"gradcheck report: no input {name!r}; inputs: "
                       f"{', '.join(r.label for r in self.inputs)}")

    def table(self, name: str | None = None) -> str:
        """The per-element table of one input (by name or index), or of all."""
        inputs = self.inputs if name is None else [self[name]]
        return "\n".join(f"  {r.label}:\n{r.table()}" for r in inputs)

    def __str__(self):
        out = [(f"gradcheck {'passed' if self.passed else 'FAILED'} "
                f"(eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"),
               ("  an element passes when |analytic - numerical| <= atol + rtol*|numerical|; "
                "rel err = |a - n| / max(|a|, |n|)"),
               ("  indices: x[i, j] is row i, column j of x; d out[k] / d x[i, j] is the "
                "derivative of output element k")]
        out += [f"  problem: {d}" for d in self.diagnoses]
        for r in self.inputs:
            out.append("  " + str(r))
            out += [f"      problem: {d}" for d in r.diagnoses]
            if len(r.elements) <= TABLE_ROWS:
                out.append(r.table())
            elif not r.passed:
                worst = sorted(r.elements, key=lambda e: -e.abs_error)[:5]
                shown = InputReport(**{**r.__dict__, "elements": worst})
                out += [(f"    the 5 largest errors of {len(r.elements)} (report.table("
                         f"{r.label!r}) shows all):"), shown.table()]
        return "\n".join(out)

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def _index_text(name, element):
    if not element:
        return name
    return f"{name}[{', '.join(str(i) for i in element)}]"


def _output_names(outs):
    """Names for every element of the concatenated outputs: out, out[2], out1[0, 1]."""
    names = []
    for k, o in enumerate(outs):
        base = "out" if len(outs) == 1 else f"out{k}"
        if o.ndim == 0:
            names.append(base)
        else:
            names += [_index_text(base, idx) for idx in np.ndindex(*o.shape)]
    return names


def argument_names(fn, n):
    """The function's parameter names (`def loss(pred, target)`), else input 0, 1, ..."""
    target = getattr(fn, "__self__", None)
    if isinstance(target, type) and hasattr(target, "forward") and \
            getattr(fn, "__name__", "") == "apply":
        fn = target.forward  # a Function's apply: name the arguments of its forward
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if params and params[0].name == "ctx":
        params = params[1:]
    names = [p.name for p in params[:n]]
    return names + [f"input {k}" for k in range(len(names), n)]


def _outputs(fn, xs):
    out = fn(*xs)
    outs = (out,) if isinstance(out, Tensor) else tuple(out)
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: the function must return Tensors, output {i} is "
                            f"{type(o).__name__}")
    return outs


def _flat(outs):
    return np.concatenate([np.asarray(o._data, np.float64).reshape(-1) for o in outs]) \
        if outs else np.zeros(0)


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


def gradcheck_report(fn: Callable[..., Any], inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
                     atol: float = 1e-5, rtol: float = 1e-3, *, samples: int | None = None,
                     seed: int = 0, names: Sequence[str] | None = None,
                     nondet_tol: float = 0.0) -> GradcheckReport:
    """Compare analytic and numerical Jacobians element by element; return a report that
    prints a table per input (small inputs in full), every element's relative error, and
    the reason of a failure where it can tell (NaN, a kink within eps, a function that
    is not deterministic).

    samples: check only this many randomly chosen elements of each input (large tensors);
    seed picks them. names: a name per input (default: the function's parameter names).
    nondet_tol: how much two evaluations on the same inputs may differ.
    Relative errors are read with CS231n's rule of thumb, see `rel_error_band`.
    """
    inputs, diff = _prepare_inputs(inputs)
    names = list(names) if names is not None else argument_names(fn, len(inputs))
    with np.errstate(all="ignore"):  # NaN and inf are diagnosed below, not warned about
        return _report(fn, inputs, diff, names, eps, atol, rtol, samples, seed, nondet_tol)


def _report(fn, inputs, diff, names, eps, atol, rtol, samples, seed, nondet_tol):
    with enable_grad():
        outs = _outputs(fn, inputs)
    report = GradcheckReport(eps=eps, atol=atol, rtol=rtol)
    base = _flat(outs)
    with no_grad():
        again = _flat(_outputs(fn, inputs))
    if not np.allclose(base, again, rtol=0, atol=nondet_tol, equal_nan=True):
        k = int(np.nanargmax(np.abs(base - again)))
        first, second = fmt_distinct(base[k], again[k])
        report.diagnoses.append(
            f"the function is not deterministic: two calls on the same inputs returned "
            f"different outputs ({first} and {second} at output "
            f"element {k}), so finite differences measure noise. A random op (Dropout in "
            "training mode, added noise) is inside: call model.eval(), or draw the "
            "randomness once outside the function.")
    if not np.isfinite(base).all():
        report.diagnoses.append(_nonfinite_output(fn, inputs, base))
    out_names = _output_names(outs)
    rng = np.random.default_rng(seed)
    checked = {i: _chosen_elements(inputs[i], samples, rng) for i in diff}
    analytic = _analytic_jacobian(outs, inputs, diff, checked)
    for i in diff:
        numerical, bad_side = _numerical_jacobian(fn, inputs, i, eps, checked[i])
        r = _compare(i, inputs[i].shape, analytic[i], numerical, atol, rtol, checked[i],
                     out_names)
        r.name = names[i] if i < len(names) else f"input {i}"
        if not r.passed and not report.diagnoses:  # else the function itself is the cause
            r.diagnoses += _explain(fn, inputs, i, r, eps, atol, rtol, numerical, bad_side,
                                    analytic[i], checked[i])
        report.inputs.append(r)
    return report


def _chosen_elements(x, samples, rng):
    """Flat indices of the elements of x to check: all, or `samples` of them at random."""
    n = x._data.size
    if samples is None or samples >= n:
        return np.arange(n)
    if samples <= 0:
        raise ValueError(f"gradcheck: samples must be a positive number, got {samples}")
    return np.sort(rng.choice(n, size=samples, replace=False))


def _analytic_jacobian(outs, inputs, diff, checked):
    """{input index: rows = output elements, columns = the checked elements}, one
    backward pass per output element for all inputs together."""
    xs = tuple(inputs[i] for i in diff)
    rows = {i: [] for i in diff}
    for o in outs:
        flat = o.reshape(-1)
        for k in range(flat.shape[0]):
            gs = grad(flat[k], xs, retain_graph=True, allow_unused=True) if o.requires_grad \
                else (None,) * len(xs)
            for i, g in zip(diff, gs):
                row = np.zeros(len(checked[i])) if g is None else \
                    np.asarray(g._data, dtype=np.float64).reshape(-1)[checked[i]]
                rows[i].append(row)
    return {i: np.array(rows[i]).reshape(-1, len(checked[i])) for i in diff}


def _numerical_jacobian(fn, inputs, i, eps, columns):
    """Central differences for the given elements of input i. Also returns, per column,
    which side (+1: x + eps, -1: x - eps, 0: neither) gave a non-finite output first."""
    x = inputs[i]
    original = x._data
    if not original.flags.c_contiguous:  # perturbed in place: needs a flat view
        x._data = np.array(original, order="C")
    flat = x._data.reshape(-1)  # a view: perturbing it perturbs the input
    cols, bad = [], []
    try:
        with no_grad(), np.errstate(all="ignore"):
            for j in columns:
                orig = flat[j]
                flat[j] = orig + eps
                plus = _flat(_outputs(fn, inputs))
                flat[j] = orig - eps
                minus = _flat(_outputs(fn, inputs))
                flat[j] = orig
                cols.append((plus - minus) / (2 * eps))
                bad.append(1 if not np.isfinite(plus).all() else
                           -1 if not np.isfinite(minus).all() else 0)
    finally:
        x._data = original  # the caller's tensor keeps its own array
    if not cols:
        return np.zeros((0, 0)), []
    return np.array(cols).T, bad


def _compare(i, shape, analytic, numerical, atol, rtol, columns, out_names):
    shape = tuple(shape)
    if analytic.size == 0:
        return InputReport(i, shape, 0.0, 0.0, (), 0.0, 0.0, True, checked=len(columns))
    with np.errstate(all="ignore"):
        err = np.abs(analytic - numerical)
        scale = np.maximum(np.abs(analytic), np.abs(numerical))
        rel = np.where(scale > 0, err / np.where(scale > 0, scale, 1), 0.0)
        rel = np.where(np.isnan(err), np.inf, rel)
        excess = err - (atol + rtol * np.abs(numerical))
    ok = _passes(analytic, numerical, atol, rtol)
    negligible = scale <= atol
    worst = np.unravel_index(np.argmax(np.where(np.isnan(excess), np.inf, excess)), err.shape)
    elem = tuple(int(v) for v in np.unravel_index(columns[worst[1]], shape)) if shape else ()
    significant = rel[~negligible]
    elements = [
        ElementCheck(out_names[k], tuple(int(v) for v in np.unravel_index(columns[j], shape))
                     if shape else (), float(analytic[k, j]), float(numerical[k, j]),
                     float(err[k, j]), float(rel[k, j]), bool(negligible[k, j]),
                     bool(ok[k, j]))
        for k in range(err.shape[0]) for j in range(err.shape[1])]
    return InputReport(
        index=i, shape=shape, max_abs_error=float(np.nanmax(err, initial=0.0))
        if not np.isnan(err).all() else float("nan"),
        max_rel_error=float(significant.max()) if significant.size else 0.0,
        worst_element=(int(worst[0]), elem),
        numerical=float(numerical[worst]), analytic=float(analytic[worst]),
        passed=bool(ok.all()), checked=len(columns), elements=elements,
        worst_output=out_names[int(worst[0])])


def _passes(analytic, numerical, atol, rtol):
    """PyTorch's rule per element; equal values (also both NaN or both inf) pass too."""
    with np.errstate(all="ignore"):
        ok = (np.abs(analytic - numerical) <= atol + rtol * np.abs(numerical)) & \
            np.isfinite(analytic)
    return ok | (analytic == numerical) | (np.isnan(analytic) & np.isnan(numerical))


# ------------------------------------------------------------------ diagnoses
def _first_bad_op(run):
    """Which op first produces NaN/Inf when `run()` runs under detect_anomaly."""
    try:
        with detect_anomaly(), np.errstate(all="ignore"):
            run()
    except FloatingPointError as e:
        m = re.match(r"detect_anomaly: (.+?) produced (\w+)", str(e))
        return f"{m.group(1)} is the first op to produce {m.group(2)}" if m else str(e)
    except Exception:  # noqa: BLE001 - the diagnosis must not hide the report
        return None
    return None


def _nonfinite_output(fn, inputs, base):
    kind = "NaN" if np.isnan(base).any() else "inf"
    where = ", ".join(str(k) for k in np.flatnonzero(~np.isfinite(base))[:5])
    op = _first_bad_op(lambda: _outputs(fn, inputs))
    return (f"your function returns {kind} on these inputs (output element {where}), so "
            "no derivative can be checked here: log of a negative number or of 0? sqrt of a "
            "negative number? 0/0? Check it on inputs inside its domain"
            f"{' (' + op + ')' if op else ''}.")


def _explain(fn, inputs, i, r, eps, atol, rtol, numerical, bad_side, analytic, columns):
    """Why input i failed, where a cause can be named."""
    x = inputs[i]
    shape = tuple(x.shape)
    flat_x = np.asarray(x._data, dtype=np.float64).reshape(-1)
    reasons = []
    failing = np.flatnonzero(~_passes(analytic, numerical, atol, rtol).all(axis=0)).tolist()

    def at(j):
        idx = tuple(int(v) for v in np.unravel_index(columns[j], shape)) if shape else ()
        return f"{_index_text(r.label, idx)} = {fmt_number(flat_x[columns[j]])}"

    edge = [j for j in failing if bad_side[j]]
    if edge:
        side = "+" if bad_side[edge[0]] > 0 else "-"
        reasons.append(
            f"the function returns NaN or inf at {at(edge[0])} {side} eps"
            f"{' (and at ' + str(len(edge) - 1) + ' more elements)' if len(edge) > 1 else ''}"
            ": the input is within eps of the edge of the function's domain (log or sqrt "
            "near 0?). Check at points farther from the edge.")
    bad_analytic = [j for j in failing if not np.isfinite(analytic[:, j]).all()]
    if bad_analytic:
        op = _first_bad_op(lambda: grad(_outputs(fn, inputs)[0].sum(), inputs[i],
                                        allow_unused=True))
        reasons.append(f"the analytic gradient is NaN or inf at {at(bad_analytic[0])}: the "
                       "backward divides by 0 or takes the log of 0 there"
                       f"{' (' + op + ')' if op else ''}.")
    rest = [j for j in failing if j not in edge and j not in bad_analytic]
    if rest:
        half, _ = _numerical_jacobian(fn, inputs, i, eps / 2, columns[rest])
        moved = np.abs(half - numerical[:, rest]) > atol + rtol * np.abs(numerical[:, rest])
        kinks = [j for j, m in zip(rest, moved.any(axis=0)) if m]
        if kinks:
            k = rest.index(kinks[0])
            row = int(np.argmax(np.abs(half[:, k] - numerical[:, kinks[0]])))
            reasons.append(
                f"{at(kinks[0])} is within eps of a kink (a point where the function is not "
                "differentiable: relu or abs at 0, max or min at a tie): the numerical "
                f"derivative is {fmt_number(numerical[row, kinks[0]])} with eps={eps:g} and "
                f"{fmt_number(half[row, k])} with eps={eps / 2:g}"
                f"{' (' + str(len(kinks) - 1) + ' more such elements)' if len(kinks) > 1 else ''}"
                ". Check at a point away from the kink.")
    return reasons


# ------------------------------------------------------------------ the checks
def gradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, *,
              samples: int | None = None, names: Sequence[str] | None = None,
              nondet_tol: float = 0.0) -> bool:
    """True if every analytic gradient matches central finite differences.

    On a mismatch: raises GradcheckError naming the input, the worst element, the numerical
    and analytic values, their relative error and the likely cause (or returns False with
    raise_exception=False). samples, names, nondet_tol: as for `gradcheck_report`.
    """
    report = gradcheck_report(fn, inputs, eps, atol, rtol, samples=samples, names=names,
                              nondet_tol=nondet_tol)
    if report.passed:
        return True
    if not raise_exception:
        return False
    failed = [r for r in report.inputs if not r.passed]
    if not failed:
        raise GradcheckError("gradcheck: " + " ".join(report.diagnoses))
    r = failed[0]
    out_k, elem = r.worst_element
    rel = abs(r.numerical - r.analytic) / max(abs(r.numerical), abs(r.analytic), 1e-300)
    problems = "".join(f"\n  problem: {d}" for d in report.diagnoses + r.diagnoses)
    raise GradcheckError(
        f"gradcheck: Jacobian mismatch for input {r.index} ({r.label}, shape {r.shape}) at "
        f"element {elem} (that is {_index_text(r.label, elem)}), output element {out_k} "
        f"({r.worst_output}):\n"
        f"  numerical: {r.numerical:.10g}\n  analytic:  {r.analytic:.10g}\n"
        f"  abs error {abs(r.numerical - r.analytic):.3e}, relative error {rel:.3e} "
        f"(|a - n| / max(|a|, |n|): {rel_error_band(rel)}; atol={atol:g}, rtol={rtol:g})"
        f"{problems}")


def gradgradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Tensor],
                  grad_outputs: Tensor | Sequence[Tensor] | None = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """gradcheck of the gradient itself: checks second derivatives (create_graph=True)."""
    inputs, diff = _prepare_inputs(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape).astype(o.dtype),
                                    requires_grad=True) for o in outs)
    else:
        # the arguments are tuples from here on (mypy keeps their declared types)
        grad_outputs = (tuple(grad_outputs)  # type: ignore[assignment]
                        if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,))
    n = len(inputs)

    def first_gradient(*args):
        xs, vs = args[:n], args[n:]
        diff_xs = tuple(xs[i] for i in diff)
        with enable_grad():  # also during the finite differences, which run in no_grad
            outs = _outputs(fn, xs)
            gs = grad(outs, diff_xs, grad_outputs=vs, create_graph=True, allow_unused=True)
            return tuple(Tensor._make(np.zeros_like(x._data)) if g is None else g
                         for g, x in zip(gs, diff_xs))

    names = argument_names(fn, n) + [f"grad_output {k}" for k in range(len(grad_outputs))]
    return gradcheck(first_gradient, inputs + grad_outputs,  # type: ignore[operator]
                     eps, atol, rtol, raise_exception, names=names)


def gradcheck_model(model: Any, loss_fn: Callable[..., Tensor], input: Tensor,
                    target: Tensor | None = None, *, samples: int = 10, points: int = 8,
                    eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                    seed: int = 0) -> GradcheckReport:
    """Check the gradient of every parameter of `model` under `loss_fn(model(input),
    target)` - CS231n's recipe: a few data points (the first `points` rows), a few
    randomly sampled elements of each parameter (`samples`), in float64.

    The model is copied (and the copy converted to float64), so the original is left as
    it is. A wrong custom loss gradient shows as failing parameters; a model in training
    mode with Dropout is reported as not deterministic (call model.eval() first).
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"gradcheck_model: model must be a Module, got "
                        f"{type(model).__name__}")
    copy_ = copy.deepcopy(model).double()
    params = [(n, p) for n, p in copy_.named_parameters() if p.requires_grad]
    if not params:
        raise ValueError("gradcheck_model: the model has no parameters that require grad")

    def rows(t):
        if t is None:
            return None
        t = t if isinstance(t, Tensor) else Tensor(t)
        t = t[:points] if points is not None and t.ndim else t
        return t.double() if t.dtype.kind == "f" else t

    x, y = rows(input), rows(target)

    def loss(*_params):  # the parameters are perturbed in place; the model reads them
        out = loss_fn(copy_(x)) if y is None else loss_fn(copy_(x), y)
        if not isinstance(out, Tensor) or out.numel() != 1:
            got = f"shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"gradcheck_model: loss_fn must return a scalar Tensor, got {got}")
        return out

    return gradcheck_report(loss, [p for _, p in params], eps, atol, rtol, samples=samples,
                            seed=seed, names=[n for n, _ in params])

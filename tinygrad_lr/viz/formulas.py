"""The chain-rule table: for each op, how to write it and its local derivatives.

One entry per op class name. An entry says how the op is drawn (`symbol`), how its forward
reads as a formula (`expr`, with `{0}`, `{1}`... for its arguments), and either
- `local`: for an elementwise op (or a reduction), the local derivative d out / d arg as a
  formula in the argument names, the same formula with numbers put in (`{out}` is the
  op's output), and how to evaluate it from the forward values; the trace then shows
  local derivative x upstream gradient = the gradient sent on, or
- `rule`: for other ops (matmul, softmax, reshapes, fused kernels), the gradient rule in
  words; the trace shows it with the numbers the op's backward produced.
An op without an entry is shown by its class name with the numbers of its backward.
`operands` lists the arguments drawn as inputs; the others (dims, slopes, reductions) are
the op's settings, shown on the op node.
"""
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..kernels.special import erf_reference

__all__ = ["Rule", "RULES", "Local", "rule_for", "is_library_op",
           "ADD", "MUL", "NEG", "POW", "ATOM"]

# precedence of a formula's outermost operation (higher binds tighter)
ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 6


@dataclass(frozen=True)
class Local:
    """d out / d arg of an elementwise op."""
    formula: str                       # in names: "1 - tanh({0})^2"
    numbers: str | None             # with values, if it reads better than `formula`
    value: Callable                    # (args, out) -> the derivative as an array


@dataclass(frozen=True)
class Rule:
    symbol: str
    expr: str | Callable         # "{0} + {1}", or a function of the argument texts
    prec: int = ATOM
    needs: tuple = ()                  # per argument: the precedence it needs without ()
    operands: tuple | None = None   # None: every tensor or number argument
    local: Mapping[int, Local] = field(default_factory=dict)
    rule: Mapping[int, str] = field(default_factory=dict)
    reduction: bool = False            # `local` has the input's shape; g is broadcast back
    commutative: bool = False


def _ones(a, o):
    return np.ones_like(o, dtype=np.float64)


def _unary(symbol, formula, numbers, value, name=None):
    return Rule(symbol, f"{name or symbol}({{0}})", operands=(0,),
                local={0: Local(formula, numbers, value)})


def _expand_back(out, a_shape, dims, keepdim):
    """An output of a reduction over `dims` viewed with the input's number of dims."""
    out = np.asarray(out, dtype=np.float64)
    if dims is None:
        dims = tuple(range(len(a_shape)))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not keepdim:
        for d in sorted(d % len(a_shape) for d in dims):
            out = np.expand_dims(out, d)
    return out


def _max_share(a, o):
    """Amax/Amin: 1 at the extreme element, shared equally between ties."""
    x = np.asarray(a[0], dtype=np.float64)
    m = _expand_back(o, x.shape, a[1], a[2])
    mask = x == m
    dims = a[1] if a[1] is not None else tuple(range(x.ndim))
    return mask / mask.sum(axis=dims, keepdims=True)


def _pick_share(a, o):
    """Pick (max(), min(), median() of a whole tensor): 1 at the picked value, shared
    equally between the elements equal to it (its NaNs when it is NaN)."""
    x = np.asarray(a[0], dtype=np.float64)
    picked = np.isnan(x) if np.isnan(o) else x == o
    return picked / picked.sum()


def _pick_expr(args):
    which = args[3].strip("'\"")  # the argument's text is the quoted name: 'max'
    return f"{which}({args[0]})"  # max(x), median(x)


def _f(x):
    return np.asarray(x, dtype=np.float64)


def _atom(text):
    """`text` ready to take a method or a superscript: `x.T`, but `(a + b).T`."""
    return text if re.fullmatch(r"[\w.\[\]]+", text) else f"({text})"


def _permute_expr(args):
    # a 2-D transpose reads as the textbook's superscript T
    return f"{_atom(args[0])}ᵀ" if args[1] == "(1, 0)" else f"{_atom(args[0])}.permute{args[1]}"


def _addmm_expr(args):
    return f"{args[0]} @ {args[1]} + {args[2]}"


def _linear_expr(args):
    return f"{args[0]} @ {args[1]}ᵀ" + (f" + {args[2]}" if args[2] != "None" else "")


RULES: dict = {
    # ------------------------------------------------------------ arithmetic
    "Add": Rule("+", "{0} + {1}", ADD, (ADD, ADD), commutative=True, local={
        0: Local("1", None, _ones), 1: Local("1", None, _ones)}),
    "Sub": Rule("-", "{0} - {1}", ADD, (ADD, MUL), local={
        0: Local("1", None, _ones), 1: Local("-1", None, lambda a, o: -_ones(a, o))}),
    "Mul": Rule("*", "{0}*{1}", MUL, (MUL, MUL), commutative=True, local={
        0: Local("{1}", None, lambda a, o: _f(a[1]) * _ones(a, o)),
        1: Local("{0}", None, lambda a, o: _f(a[0]) * _ones(a, o))}),
    "Div": Rule("/", "{0}/{1}", MUL, (MUL, POW), local={
        0: Local("1/{1}", None, lambda a, o: 1 / _f(a[1]) * _ones(a, o)),
        1: Local("-{0}/{1}^2", None, lambda a, o: -_f(a[0]) / _f(a[1]) ** 2)}),
    "Pow": Rule("^", "{0}^{1}", POW, (ATOM, POW), local={
        0: Local("{1}*{0}^({1} - 1)", None,
                 lambda a, o: _f(a[1]) * _f(a[0]) ** (_f(a[1]) - 1)),
        1: Local("{0}^{1}*log({0})", "{out}*log({0})",
                 lambda a, o: _f(o) * np.log(np.where(_f(a[0]) == 0, 1.0, _f(a[0]))))}),
    "Neg": Rule("neg", "-{0}", NEG, (POW,),
                local={0: Local("-1", None, lambda a, o: -_ones(a, o))}),
    "Cast": Rule("cast", "{0}", ATOM, operands=(0,), local={0: Local("1", None, _ones)}),
    # ------------------------------------------------------------ functions of one variable
    "Exp": _unary("exp", "exp({0})", "{out}", lambda a, o: _f(o)),
    "Log": _unary("log", "1/{0}", None, lambda a, o: 1 / _f(a[0])),
    "Log1p": _unary("log1p", "1/(1 + {0})", None, lambda a, o: 1 / (1 + _f(a[0]))),
    "Expm1": _unary("expm1", "exp({0})", "{out} + 1", lambda a, o: _f(o) + 1),
    "Sqrt": _unary("sqrt", "1/(2*sqrt({0}))", "1/(2*{out})", lambda a, o: 0.5 / _f(o)),
    "Rsqrt": _unary("rsqrt", "-rsqrt({0})^3/2", "-{out}^3/2", lambda a, o: -0.5 * _f(o) ** 3),
    "Reciprocal": Rule("1/x", "1/{0}", MUL, (POW,), operands=(0,), local={
        0: Local("-1/{0}^2", "-{out}^2", lambda a, o: -_f(o) ** 2)}),
    "Sin": _unary("sin", "cos({0})", None, lambda a, o: np.cos(_f(a[0]))),
    "Cos": _unary("cos", "-sin({0})", None, lambda a, o: -np.sin(_f(a[0]))),
    "Tan": _unary("tan", "1 + tan({0})^2", "1 + {out}^2", lambda a, o: 1 + _f(o) ** 2),
    "Tanh": _unary("tanh", "1 - tanh({0})^2", "1 - {out}^2", lambda a, o: 1 - _f(o) ** 2),
    "Sigmoid": _unary("sigmoid", "sigmoid({0})*(1 - sigmoid({0}))", "{out}*(1 - {out})",
                      lambda a, o: _f(o) * (1 - _f(o))),
    "Relu": _unary("relu", "1 if {0} > 0 else 0", "({0} > 0)",
                   # 0 only where the input is <= 0: a NaN passes, as in the engine
                   lambda a, o: (~(_f(a[0]) <= 0)).astype(np.float64)),
    "LeakyRelu": _unary("leaky_relu", "1 if {0} > 0 else {1}", None,
                        lambda a, o: np.where(_f(a[0]) > 0, 1.0, a[1])),
    "Elu": _unary("elu", "1 if {0} > 0 else elu({0}) + {1}", "1 if {0} > 0 else {out} + {1}",
                  lambda a, o: np.where(_f(a[0]) > 0, 1.0, _f(o) + a[1])),
    "Softplus": _unary("softplus", "sigmoid({1}*{0})", None, lambda a, o: np.where(
        a[1] * _f(a[0]) > a[2], 1.0, 1 / (1 + np.exp(-a[1] * _f(a[0]))))),
    "Erf": _unary("erf", "2/sqrt(pi)*exp(-{0}^2)", None,
                  lambda a, o: 2 / np.sqrt(np.pi) * np.exp(-_f(a[0]) ** 2)),
    "Gelu": _unary("gelu", "Phi({0}) + {0}*phi({0})", None, lambda a, o: (
        0.5 * (1 + erf_reference(_f(a[0]) / np.sqrt(2)))
        + _f(a[0]) * np.exp(-0.5 * _f(a[0]) ** 2) / np.sqrt(2 * np.pi))),
    "Abs": Rule("abs", "|{0}|", operands=(0,), local={
        0: Local("sign({0})", None, lambda a, o: np.sign(_f(a[0])))}),
    "Sign": _unary("sign", "0", None, lambda a, o: 0 * _ones(a, o)),
    "Clamp": _unary("clamp", "1 if {1} <= {0} <= {2} else 0", None, lambda a, o: (
        (_f(a[0]) >= (-np.inf if a[1] is None else a[1]))
        & (_f(a[0]) <= (np.inf if a[2] is None else a[2]))).astype(np.float64)),
    # ------------------------------------------------------------ two variables, masks
    "Maximum": Rule("max", "max({0}, {1})", commutative=True, local={
        0: Local("1 if {0} > {1} else 0 (ties 0.5)", None,
                 lambda a, o: (_f(a[0]) > _f(a[1])) + 0.5 * (_f(a[0]) == _f(a[1]))),
        1: Local("1 if {1} > {0} else 0 (ties 0.5)", None,
                 lambda a, o: (_f(a[1]) > _f(a[0])) + 0.5 * (_f(a[0]) == _f(a[1])))}),
    "Minimum": Rule("min", "min({0}, {1})", commutative=True, local={
        0: Local("1 if {0} < {1} else 0 (ties 0.5)", None,
                 lambda a, o: (_f(a[0]) < _f(a[1])) + 0.5 * (_f(a[0]) == _f(a[1]))),
        1: Local("1 if {1} < {0} else 0 (ties 0.5)", None,
                 lambda a, o: (_f(a[1]) < _f(a[0])) + 0.5 * (_f(a[0]) == _f(a[1])))}),
    "Where": Rule("where", "where({0}, {1}, {2})", local={
        1: Local("1 where {0} else 0", None,
                 lambda a, o: np.asarray(a[0], dtype=bool) * _ones(a, o)),
        2: Local("0 where {0} else 1", None,
                 lambda a, o: ~np.asarray(a[0], dtype=bool) * _ones(a, o))}),
    # ------------------------------------------------------------ reductions
    "Sum": Rule("sum", "sum({0})", operands=(0,), reduction=True, local={
        0: Local("1 for every element", None, lambda a, o: np.ones(np.shape(a[0])))}),
    "Nansum": Rule("nansum", "nansum({0})", operands=(0,), reduction=True, local={
        0: Local("1 where {0} is not NaN, 0 at a NaN", None,
                 lambda a, o: (~np.isnan(a[0])).astype(np.float64))}),
    "LogSumExp": Rule("logsumexp", "logsumexp({0})", operands=(0,), reduction=True, local={
        0: Local("exp({0} - logsumexp({0})) = softmax({0})", "exp({0} - {out})",
                 lambda a, o: np.exp(_f(a[0]) - _expand_back(o, np.shape(a[0]), a[1], a[2])))}),
    "Amax": Rule("max", "max({0})", operands=(0,), reduction=True, local={
        0: Local("1 at the maximum, shared between ties, else 0", None, _max_share)}),
    "Amin": Rule("min", "min({0})", operands=(0,), reduction=True, local={
        0: Local("1 at the minimum, shared between ties, else 0", None, _max_share)}),
    "Pick": Rule("pick", _pick_expr, operands=(0,), reduction=True, local={
        0: Local("1 at the picked element, shared between equal ones, else 0", None,
                 _pick_share)}),
    "Prod": Rule("prod", "prod({0})", operands=(0,), rule={
        0: "each element gets g times the product of the other elements"}),
    "Norm": Rule("norm", "norm({0})", operands=(0,), rule={
        0: "g * x |x|^(p-2) / norm^(p-1) (p=2: g * x / norm)"}),
    "Cumsum": Rule("cumsum", "cumsum({0})", operands=(0,), rule={
        0: "g summed from the end: each element feeds every later output"}),
    "Softmax": Rule("softmax", "softmax({0})", operands=(0,), rule={
        0: "s*(g - sum(g*s)) with s = softmax({0}) (the Jacobian diag(s) - s sᵀ times g)"}),
    "LogSoftmax": Rule("log_softmax", "log_softmax({0})", operands=(0,), rule={
        0: "g - softmax({0})*sum(g)"}),
    # ------------------------------------------------------------ linear algebra
    "Matmul": Rule("@", "{0} @ {1}", MUL, (MUL, POW), rule={
        0: "g @ {1}ᵀ", 1: "{0}ᵀ @ g"}),
    "Addmm": Rule("addmm", _addmm_expr, ADD, operands=(0, 1, 2), rule={
        0: "g @ {1}ᵀ", 1: "{0}ᵀ @ g", 2: "g summed over the rows"}),
    "Einsum": Rule("einsum", "einsum({1}, ...)", rule={}),
    # ------------------------------------------------------------ shape and indexing
    "Reshape": Rule("reshape", "{0}.reshape{1}", ATOM, (ATOM,), operands=(0,),
                    rule={0: "g reshaped back to {0}'s shape"}),
    "Permute": Rule("permute", _permute_expr, operands=(0,), rule={
        0: "g with the dimensions permuted back"}),
    "Expand": Rule("expand", "{0}.expand{1}", ATOM, (ATOM,), operands=(0,), rule={
        0: "g summed over the expanded dimensions"}),
    "Flip": Rule("flip", "flip({0})", operands=(0,), rule={0: "g flipped back"}),
    "Contiguous": Rule("contiguous", "{0}", operands=(0,), rule={0: "g unchanged"}),
    "Index": Rule("index", "{0}[...]", operands=(0,), rule={
        0: "g put back at the indexed places, 0 elsewhere (repeats add up)"}),
    "IndexAdd": Rule("index_add", "index_add({0})", operands=(0,), rule={
        0: "g read at the indexed places"}),
    "Cat": Rule("cat", "cat(...)", rule={}),
    "Pad": Rule("pad", "pad({0})", operands=(0,), rule={0: "g with the padding cut off"}),
    "Gather": Rule("gather", "gather({0}, {2})", operands=(0, 2), rule={
        0: "g added back at the gathered places, 0 elsewhere"}),
    "ScatterAdd": Rule("scatter_add", "scatter_add({0}, {3})", operands=(0, 2, 3), rule={
        0: "g unchanged", 3: "g read at the scattered places"}),
    # ------------------------------------------------------------ layers (one fused node each)
    "Linear": Rule("linear", _linear_expr, ADD, operands=(0, 1, 2), rule={
        0: "g @ {1}", 1: "gᵀ @ {0}", 2: "g summed over the rows"}),
    "Conv2d": Rule("conv2d", "conv2d({0}, {1})", operands=(0, 1, 2), rule={
        0: "full correlation of g with the flipped kernel {1}",
        1: "correlation of the input {0} with g", 2: "g summed over batch and positions"}),
    "ConvTranspose2d": Rule("conv_transpose2d", "conv_transpose2d({0}, {1})",
                            operands=(0, 1, 2), rule={}),
    "MaxPool2d": Rule("max_pool2d", "max_pool2d({0})", operands=(0,), rule={
        0: "g routed to the maximum of each window"}),
    "AvgPool2d": Rule("avg_pool2d", "avg_pool2d({0})", operands=(0,), rule={
        0: "g spread evenly over each window"}),
    "AdaptiveAvgPool2d": Rule("adaptive_avg_pool2d", "adaptive_avg_pool2d({0})",
                              operands=(0,), rule={0: "g spread evenly over each window"}),
    "BatchNorm": Rule("batch_norm", "batch_norm({0})", operands=(0, 1, 2), rule={
        0: "w/std * (g - mean(g) - x̂ mean(g x̂))", 1: "sum(g x̂)", 2: "sum(g)"}),
    "LayerNorm": Rule("layer_norm", "layer_norm({0})", operands=(0, 1, 2), rule={
        0: "w/std * (g - mean(g) - x̂ mean(g x̂)) over each row", 1: "sum(g x̂)",
        2: "sum(g)"}),
    "Embedding": Rule("embedding", "embedding({0}, {1})", operands=(0, 1), rule={
        0: "g added to the rows that were looked up"}),
    # ------------------------------------------------------------ losses (one fused node each)
    "SquaredError": Rule("mse", "mse({0}, {1})", operands=(0, 1), rule={
        0: "2 ({0} - {1}) g / n", 1: "-2 ({0} - {1}) g / n"}),
    "HuberError": Rule("huber", "huber({0}, {1})", operands=(0, 1), rule={
        0: "clip({0} - {1}, -delta, delta) g / n"}),
    "BinaryCrossEntropy": Rule("bce", "bce({0}, {1})", operands=(0, 1), rule={
        0: "({0} - {1}) / ({0} (1 - {0})) g / n"}),
    "BinaryCrossEntropyWithLogits": Rule("bce_logits", "bce_with_logits({0}, {1})",
                                         operands=(0, 1, 2, 3), rule={
        0: "(sigmoid({0}) - {1}) g / n (with weights: see the docstring)"}),
    "CrossEntropyIndices": Rule("cross_entropy", "cross_entropy({0}, {1})", operands=(0, 1),
                                rule={0: "(softmax({0}) - onehot({1})) g / N"}),
}


def rule_for(node) -> Rule | None:
    """The table entry of a graph node's Function (by its class name), or None. One Matmul
    serves `a @ b`, `F.linear` (b transposed, a bias) and addmm (a bias): each has its own
    formula and gradient rules."""
    name = node.fn.__name__
    if name == "Matmul":
        consts = dict(node.const_inputs)
        has_bias = node.edges[2] is not None or consts.get(2) is not None
        name = "Linear" if consts.get(3) else "Addmm" if has_bias else name
    return RULES.get(name)


def is_library_op(fn) -> bool:
    """Ops written in tinygrad_lr, as opposed to a user's own Function."""
    return fn.__module__.startswith("tinygrad_lr.")

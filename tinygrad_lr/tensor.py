"""The user-facing Tensor: a numpy array plus what autograd needs to know about it.

Every method forwards to an op in `ops/` (or composes ops); nothing here computes a
gradient itself. dtype rules follow PyTorch: Python floats are float32, float64 arrays stay
float64, integers are int64, and no op silently changes dtype.
"""
import math
import operator
from collections import namedtuple

import numpy as np

from .compat import missing_attribute
from .graph.engine import accumulate_into_grad, run_backward
from .graph.function import CopySlices, refresh_view, view_positions
from .graph.grad_mode import STATE
from .graph.tensor_base import TensorBase, as_gradient, check_grad_dtype
from .kernels import reference_kernels_enabled
from .ops import elementwise as E
from .ops import linalg as L
from .ops import movement as M
from .ops import reduce as R
from .ops._util import check_index, normalize_dim, normalize_dims

_FLOAT_DEFAULT = np.dtype(np.float32)


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        data = data._data.copy()  # a new tensor, not an alias with its own version counter
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        try:
            arr = np.array(data)
        except ValueError:
            raise ValueError("Tensor: nested lists of different lengths; every row must have "
                             "the same length") from None
        if arr.dtype.kind == "f":
            arr = arr.astype(_FLOAT_DEFAULT)  # Python floats -> float32, like torch
    if arr.dtype.kind in "iu" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f" and arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float32)
    elif arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: cannot make a tensor from data of dtype {arr.dtype}")
    return arr


class Tensor(TensorBase):
    """A numpy array with autograd: `Tensor(data, requires_grad=False, dtype=None)`.

    The autograd state (`grad`, `grad_fn`, `requires_grad`, hooks, the version counter)
    lives in `graph.tensor_base.TensorBase`; the methods here forward to ops.
    """

    __slots__ = ()
    __array_priority__ = 1000  # numpy scalar * Tensor -> Tensor.__rmul__

    def __getattr__(self, name):  # only called for names that do not exist
        raise missing_attribute("Tensor", name, dir(Tensor))

    def __init__(self, data, requires_grad=False, dtype=None):
        self._data = _to_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version = [0]
        self._hooks = None
        self._base = None
        self._requires_grad = False
        if requires_grad:
            check_grad_dtype(self._data.dtype)
            self._requires_grad = True

    def size(self, dim=None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def numel(self):
        return self._data.size

    def dim(self):
        return self._data.ndim

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ------------------------------------------------------------ conversion
    def __array__(self, dtype=None, copy=None):
        if copy:  # np.array(t) asks for a copy; np.asarray(t) shares
            return np.array(self._data, dtype=dtype)
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to a "
                             f"Python scalar, this one has shape {self.shape}")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is "
                             "ambiguous; use .any() or .all()")
        return bool(self._data.item())

    def clone(self):
        return M.Contiguous.apply(self) if not self._data.flags.c_contiguous else \
            M.Clone.apply(self)

    def astype(self, dtype):
        dtype = np.dtype(dtype)
        return self if dtype == self._data.dtype else E.Cast.apply(self, dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    def int(self):
        return self.astype(np.int32)

    def bool(self):
        return self.astype(np.bool_)

    to = astype

    # ------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Add d self / d leaf to `.grad` of every leaf this tensor was computed from
        (only of `inputs`, when given). Non-scalar tensors need `gradient`."""
        if not self._requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn. Create "
                "the inputs with requires_grad=True, and do not compute the loss inside "
                "no_grad()."
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): the tensor has shape {self.shape}, not a scalar; pass "
                    "gradient= of the same shape (e.g. tl.ones_like(t)) or reduce it first "
                    "(e.g. t.sum().backward())"
                )
            gradient = Tensor._make(np.ones_like(self._data))
        else:
            gradient = as_gradient(gradient, self, "backward(): gradient")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is None:
            run_backward([self], [gradient], retain_graph, create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = run_backward([self], [gradient], retain_graph, create_graph, inputs,
                             allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                accumulate_into_grad(t, g, create_graph)

    # ------------------------------------------------------------ printing
    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extra = ""
        if self._data.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self._data.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name()}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _binary(E.Add, self, other)

    def __radd__(self, other):
        return _binary(E.Add, other, self)

    def __sub__(self, other):
        return _binary(E.Sub, _no_bool("sub", self, other), other)

    def __rsub__(self, other):
        return _binary(E.Sub, other, _no_bool("sub", self, other))

    def __mul__(self, other):
        return _binary(E.Mul, self, other)

    def __rmul__(self, other):
        return _binary(E.Mul, other, self)

    def __truediv__(self, other):
        return _binary(E.Div, self, other, true_div=True)

    def __rtruediv__(self, other):
        return _binary(E.Div, other, self, true_div=True)

    def __pow__(self, other):
        return _binary(E.Pow, *_integer_power(self, other))

    def __rpow__(self, other):
        return _binary(E.Pow, *_integer_power(other, self))

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return E.Neg.apply(_no_bool("neg", self))

    def __pos__(self):
        return self

    def __abs__(self):
        return E.Abs.apply(self)

    # comparisons: no gradient, boolean result
    def __eq__(self, other):
        return _compare(np.equal, self, other, "eq")

    def __ne__(self, other):
        return _compare(np.not_equal, self, other, "ne")

    def __lt__(self, other):
        return _compare(np.less, self, other, "lt")

    def __le__(self, other):
        return _compare(np.less_equal, self, other, "le")

    def __gt__(self, other):
        return _compare(np.greater, self, other, "gt")

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other, "ge")

    # as in PyTorch: bitwise on integers, logical on bools, refused on floats
    def __and__(self, other):
        return _compare(np.bitwise_and, self, _integral("bitwise_and (&)", self, other),
                        "bitwise_and (&)")

    def __or__(self, other):
        return _compare(np.bitwise_or, self, _integral("bitwise_or (|)", self, other),
                        "bitwise_or (|)")

    def __xor__(self, other):
        return _compare(np.bitwise_xor, self, _integral("bitwise_xor (^)", self, other),
                        "bitwise_xor (^)")

    def __invert__(self):
        _integral("bitwise_not (~)", self)
        return Tensor._make(~self._data)

    def eq(self, other):
        return self == other

    def any(self, dim=None, keepdim=False):
        return Tensor._make(np.any(self._data, axis=_axes(dim, self, "any"), keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        return Tensor._make(np.all(self._data, axis=_axes(dim, self, "all"), keepdims=keepdim))

    # ------------------------------------------------------------ in place
    # As in PyTorch: under no_grad, or when no gradient is involved, numpy writes straight
    # into the array. Otherwise the op is recorded like its out-of-place twin and its result
    # written back, so `c = a + b; c += c + 1` differentiates correctly; writing through a
    # view also rewrites the history of the tensor it views (graph/function.py). A leaf that
    # requires grad cannot change in place while grad mode is on (optimizers step under
    # no_grad). Every write bumps the version counter shared by views, .detach() and .data,
    # so a node that saved the old values raises at backward instead of using new ones.
    def _inplace(self, name, np_fn, other, op):
        """self <- op(self, other) in place; np_fn is the numpy ufunc of the plain path."""
        if self._records_inplace(other):
            return self._record_inplace(name, lambda old: op(old, other))
        self._check_writable(name)
        try:
            np_fn(self._data, other._data if isinstance(other, Tensor) else other,
                  out=self._data, casting="same_kind")
        except ValueError:
            raise ValueError(f"in-place {name}: operand of shape {np.shape(other)} cannot be "
                             f"broadcast to the tensor's shape {self.shape}") from None
        except TypeError:
            raise TypeError(f"in-place {name}: result type {_dtype_of(other, self)} can't be "
                            f"cast to the tensor's dtype {self.dtype}") from None
        self._version[0] += 1
        return self

    def _records_inplace(self, *operands):
        if not STATE.grad_enabled:
            return False
        if self._requires_grad or (self._base is not None and self._base._requires_grad):
            return True
        return any(isinstance(o, Tensor) and o._requires_grad for o in operands)

    def _check_writable(self, name):
        if type(self._data) is not np.ndarray:  # numpy gives 0-d results as scalars
            self._data = np.array(self._data)
        elif not self._data.flags.writeable:
            raise RuntimeError(
                f"in-place {name} on a read-only view (expand/broadcast_to make one: several "
                "elements share one memory location); call .contiguous() or .clone() first")

    def _record_inplace(self, name, compute):
        """Write compute(self) into self, recording it in the graph (see above)."""
        base = self._base
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                f"in-place {name} on a leaf tensor that requires grad: autograd needs its "
                "old value. Write it out of place (`w = w - lr * g`), or change it under "
                "`with tl.no_grad():` as an optimizer step does.")
        if base is not None and base._requires_grad and (base.grad_fn is None
                                                         or not self._requires_grad):
            what = ("a view of a leaf tensor that requires grad" if base.grad_fn is None else
                    "a view made under no_grad of a tensor that requires grad")
            raise RuntimeError(f"in-place {name} on {what}: its gradient would be wrong. "
                               "Write it out of place, or into a .clone().")
        self._check_writable(name)
        if base is not None and base.grad_fn is not self._base_node:
            refresh_view(self)
        old = self._make(self._data, self._requires_grad, self.grad_fn, self._output_nr)
        old._version = self._version
        new = compute(old)
        if new.grad_fn is not None:  # it may have saved the old values: they are about to go
            new.grad_fn.keep_own_copy(old)
        if new.shape != self.shape:
            raise ValueError(f"in-place {name}: the result has shape {new.shape}, which "
                             f"cannot be written into the tensor's shape {self.shape}")
        if new.dtype != self.dtype:
            if not np.can_cast(new.dtype, self.dtype, "same_kind"):
                raise TypeError(f"in-place {name}: result type {new.dtype} can't be cast to "
                                f"the tensor's dtype {self.dtype}")
            new = new.astype(self.dtype)
        if base is None:
            np.copyto(self._data, new._data)
            if new._requires_grad:
                self.grad_fn, self._output_nr = new.grad_fn, new._output_nr
                self._requires_grad = True
        else:  # the base takes the new values at the view's positions, then the view follows
            positions = view_positions(self._data, base._data)
            old_base = base._make(base._data, base._requires_grad, base.grad_fn,
                                  base._output_nr)
            written = CopySlices.apply(old_base, new, positions)
            np.copyto(base._data, written._data)
            if written._requires_grad:
                base.grad_fn, base._output_nr, base._requires_grad = written.grad_fn, 0, True
                refresh_view(self)
        self._version[0] += 1
        return self

    def __iadd__(self, other):
        return self._inplace("+=", np.add, other, Tensor.__add__)

    def __isub__(self, other):
        return self._inplace("-=", np.subtract, other, Tensor.__sub__)

    def __imul__(self, other):
        return self._inplace("*=", np.multiply, other, Tensor.__mul__)

    def __itruediv__(self, other):
        return self._inplace("/=", np.true_divide, other, Tensor.__truediv__)

    def add_(self, other, alpha=1):
        return self._inplace("add_", np.add, other if alpha == 1 else other * alpha,
                             Tensor.__add__)

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", np.subtract, other if alpha == 1 else other * alpha,
                             Tensor.__sub__)

    def mul_(self, other):
        return self._inplace("mul_", np.multiply, other, Tensor.__mul__)

    def div_(self, other):
        return self._inplace("div_", np.true_divide, other, Tensor.__truediv__)

    def copy_(self, src):
        if not isinstance(src, Tensor):
            src = Tensor(np.asarray(src))
        if _broadcast_or_none(src.shape, self.shape) != self.shape:
            raise ValueError(f"copy_: source of shape {src.shape} does not broadcast to "
                             f"{self.shape}")
        if self._records_inplace(src):
            return self._record_inplace("copy_", lambda old: _overwrite(old, src))
        self._check_writable("copy_")
        np.copyto(self._data, np.broadcast_to(src._data, self.shape), casting="unsafe")
        self._version[0] += 1
        return self

    def fill_(self, value):
        if isinstance(value, Tensor) or self._records_inplace():
            return self.copy_(value if isinstance(value, Tensor) else
                              Tensor(np.asarray(value, dtype=self.dtype)))
        self._check_writable("fill_")
        self._data[...] = value
        self._version[0] += 1
        return self

    def zero_(self):
        return self.fill_(0)

    def __setitem__(self, idx, value):
        idx = check_index(_convert_index(idx), self.shape)
        if self._records_inplace(value):
            if not isinstance(value, Tensor):
                value = Tensor(np.asarray(value, dtype=self.dtype))
            return self._record_inplace("item assignment",
                                        lambda old: M.IndexPut.apply(old, idx,
                                                                     value.astype(self.dtype)))
        self._check_writable("item assignment")
        self._data[idx] = value._data if isinstance(value, Tensor) else value
        self._version[0] += 1

    # ------------------------------------------------------------ elementwise
    # functions with float results take int/bool tensors to float32 (torch); _floatify
    # returns float tensors as they are
    def exp(self): return E.Exp.apply(_floatify(self))
    def log(self): return E.Log.apply(_floatify(self))
    def log1p(self): return E.Log1p.apply(_floatify(self))
    def expm1(self): return E.Expm1.apply(_floatify(self))
    def sqrt(self): return E.Sqrt.apply(_floatify(self))
    def rsqrt(self): return E.Rsqrt.apply(_floatify(self))
    def sin(self): return E.Sin.apply(_floatify(self))
    def cos(self): return E.Cos.apply(_floatify(self))
    def tan(self): return E.Tan.apply(_floatify(self))
    def tanh(self): return E.Tanh.apply(_floatify(self))
    def sigmoid(self): return E.Sigmoid.apply(_floatify(self))
    def relu(self): return E.Relu.apply(_no_bool("relu", self))
    def abs(self): return E.Abs.apply(self)
    def sign(self): return self.clone() if self.dtype == np.bool_ else E.Sign.apply(self)
    def erf(self): return E.Erf.apply(_floatify(self))
    def reciprocal(self): return E.Reciprocal.apply(_floatify(self))
    def neg(self): return -self

    def square(self):
        x = self.astype(np.int64) if self.dtype == np.bool_ else self  # bool -> int64 (torch)
        return x * x

    def pow(self, exponent):
        return self ** exponent

    def leaky_relu(self, negative_slope=0.01):
        return E.LeakyRelu.apply(_floatify(self), negative_slope)

    def elu(self, alpha=1.0):
        return E.Elu.apply(_floatify(self), alpha)

    def gelu(self, approximate="none"):
        if approximate == "tanh":
            inner = (self + 0.044715 * self * self * self) * float(np.sqrt(2 / np.pi))
            return 0.5 * self * (1 + inner.tanh())
        if approximate != "none":
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return 0.5 * self * (1 + (self * float(1 / np.sqrt(2))).erf())

    def softplus(self, beta=1.0, threshold=20.0):
        return E.Softplus.apply(_floatify(self), beta, threshold)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, min)
            if max is not None:
                out = minimum(out, max)
            return out
        if isinstance(min, float) or isinstance(max, float):
            return E.Clamp.apply(_floatify(self), min, max)  # int tensor, float bound: float32
        return E.Clamp.apply(self, min, max)

    clip = clamp

    def masked_fill(self, mask, value):
        mask = mask if isinstance(mask, Tensor) else Tensor(mask)
        if mask.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be a boolean tensor, got {mask.dtype}")
        if mask.shape != self.shape and _broadcast_or_none(mask.shape, self.shape) != self.shape:
            raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to "
                             f"the tensor's shape {self.shape}")
        if not isinstance(value, Tensor) and self.dtype.kind != "f":
            # the result keeps the tensor's dtype (torch): an int tensor takes int(value)
            if not np.isfinite(value):
                raise ValueError(f"masked_fill: value {value} cannot be converted to "
                                 f"{self.dtype}")
            value = np.asarray(value).astype(self.dtype).item()
        return where(mask, value, self)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self.astype(dtype) if dtype is not None else self
        if x.dtype == np.bool_:
            x = x.long()
        return R.Sum.apply(x, normalize_dims(dim, x.ndim, "sum"), keepdim)

    def mean(self, dim=None, keepdim=False):
        if self.dtype.kind != "f":
            raise TypeError(f"mean: needs a floating-point tensor, got {self.dtype}; "
                            "use .float() first")
        dims = normalize_dims(dim, self.ndim, "mean")
        if not reference_kernels_enabled():
            return R.Mean.apply(self, dims, keepdim)
        n = math.prod(self.shape[d] for d in dims)  # the plain version: sum, times 1/n
        return R.Sum.apply(self, dims, keepdim) * (1.0 / n if n else float("nan"))

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return self._spread(R.Var, "var", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None):
        return self._spread(R.Std, "std", dim, unbiased, keepdim, correction)

    def _spread(self, op, name, dim, unbiased, keepdim, correction):
        if self.dtype.kind != "f":
            raise TypeError(f"{name}: needs a floating-point tensor, got {self.dtype}; "
                            "use .float() first")
        dims = normalize_dims(dim, self.ndim, name)
        ddof = (1 if unbiased else 0) if correction is None else correction
        return op.apply(self, dims, ddof, keepdim)

    def prod(self, dim=None, keepdim=False):
        return R.Prod.apply(self, normalize_dims(dim, self.ndim, "prod"), keepdim)

    def amax(self, dim=None, keepdim=False):
        return R.Amax.apply(self, normalize_dims(dim, self.ndim, "amax"), keepdim)

    def amin(self, dim=None, keepdim=False):
        return R.Amin.apply(self, normalize_dims(dim, self.ndim, "amin"), keepdim)

    def max(self, dim=None, keepdim=False):
        """max() -> the largest value; max(dim) -> (values, indices), as in PyTorch."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return self.amax()
        return self._extreme_along(dim, keepdim, np.argmax, "max")

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            return self.amin()
        return self._extreme_along(dim, keepdim, np.argmin, "min")

    def _extreme_along(self, dim, keepdim, argfn, op):
        d = normalize_dim(dim, self.ndim, op)
        if self.ndim and self.shape[d] == 0:
            raise ValueError(f"{op}: cannot reduce over an empty dimension {d}")
        idx = np.expand_dims(argfn(self._data, axis=d), d) if self.ndim else np.zeros((), np.int64)
        if not self.ndim:
            return MinMax(self, Tensor._make(idx))
        values = M.Gather.apply(self, d, idx)
        if not keepdim:
            values = values.squeeze(d)
            idx = idx.squeeze(d)
        return MinMax(values, Tensor._make(idx.astype(np.int64)))

    def argmax(self, dim=None, keepdim=False):
        return _arg_extreme(_no_bool("argmax", self), dim, keepdim, np.argmax)

    def argmin(self, dim=None, keepdim=False):
        return _arg_extreme(_no_bool("argmin", self), dim, keepdim, np.argmin)

    def norm(self, p=2, dim=None, keepdim=False):
        if p == "fro":
            p = 2
        p = float(p)
        if not p > 0:
            raise ValueError(f"norm: p must be positive (or inf), got {p}")
        return R.Norm.apply(_floatify(self), p, normalize_dims(dim, self.ndim, "norm"), keepdim)

    def logsumexp(self, dim, keepdim=False):
        return R.LogSumExp.apply(_floatify(self), normalize_dims(dim, self.ndim, "logsumexp"),
                                 keepdim)

    def softmax(self, dim):
        if self.ndim == 0:  # as one element of a vector: 1, or NaN for NaN and inf (torch)
            return self.reshape(1).softmax(dim).reshape(())
        return R.Softmax.apply(_floatify(self), normalize_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim):
        if self.ndim == 0:
            return self.reshape(1).log_softmax(dim).reshape(())
        return R.LogSoftmax.apply(_floatify(self), normalize_dim(dim, self.ndim, "log_softmax"))

    def cumsum(self, dim):
        x = self if self.dtype.kind == "f" else self.astype(np.int64)  # ints sum in int64
        return R.Cumsum.apply(x, normalize_dim(dim, self.ndim, "cumsum"))

    # ------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self._data.shape:
            return self
        try:
            target = _resolve_shape(shape, self._data.size)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} "
                             f"({self._data.size} elements) into {shape}") from None
        if target == self.shape:
            return self
        return M.Reshape.apply(self, target)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            for d in (start_dim, end_dim):  # a 0-d tensor has dims -1 and 0 here (torch)
                normalize_dim(d, 1, "flatten")
            return self.reshape(1)
        s = normalize_dim(start_dim, self.ndim, "flatten")
        e = normalize_dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = -1 if self._data.size else int(np.prod(self.shape[s:e + 1]))
        return self.reshape(self.shape[:s] + (merged,) + self.shape[e + 1:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = normalize_dims(dim, self.ndim, "squeeze")
        return self.reshape(tuple(n for i, n in enumerate(self.shape)
                                  if not (i in dims and n == 1)))

    def unsqueeze(self, dim):
        d = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims):
        if not dims:  # torch: permute() needs dims (a 0-d tensor's are ())
            raise TypeError("permute: missing the dims argument (for a 0-d tensor: permute(()))")
        dims = _shape_arg(dims)
        if sorted(normalize_dims(dims, self.ndim, "permute")) != list(range(self.ndim)) or \
                len(dims) != self.ndim:
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims "
                             f"of a tensor of shape {self.shape}")
        dims = tuple(d % self.ndim for d in dims)
        if dims == tuple(range(self.ndim)):
            return self
        return M.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        a = normalize_dim(dim0, self.ndim, "transpose")
        b = normalize_dim(dim1, self.ndim, "transpose")
        dims = list(range(self.ndim))
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(tuple(dims))

    @property
    def T(self):
        if self._data.ndim == 2:  # the common case, straight to the op
            return M.Permute.apply(self, (1, 0))
        return self.permute(tuple(range(self.ndim - 1, -1, -1))) if self.ndim > 1 else self

    @property
    def mT(self):
        return self.transpose(-1, -2)

    def expand(self, *shape):
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(f"expand: target {shape} has fewer dims than the tensor "
                             f"{self.shape}")
        target = tuple(self.shape[i - lead] if (n == -1 and i >= lead) else n
                       for i, n in enumerate(shape))
        try:
            np.broadcast_shapes(self.shape, target)
            if np.broadcast_shapes(self.shape, target) != target:
                raise ValueError
        except ValueError:
            raise ValueError(f"expand: cannot expand shape {self.shape} to {shape}") from None
        if target == self.shape:
            return self
        return M.Expand.apply(self, target)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: give at least {self.ndim} repeat counts for a tensor "
                             f"of shape {self.shape}, got {sizes}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        inter = [v for n in x.shape for v in (1, n)]
        expanded = [v for r, n in zip(sizes, x.shape) for v in (r, n)]
        return x.reshape(inter).expand(expanded).reshape(
            tuple(r * n for r, n in zip(sizes, x.shape)))

    def contiguous(self):
        return self if self._data.flags.c_contiguous else M.Contiguous.apply(self)

    def flip(self, dims):
        return M.Flip.apply(self, normalize_dims(dims, self.ndim, "flip"))

    def split(self, split_size_or_sections, dim=0):
        if self.ndim == 0:
            raise ValueError("split: expects at least a 1-dimensional tensor, got a 0-d one")
        d = normalize_dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            if split_size_or_sections <= 0:
                raise ValueError("split: split_size must be positive")
            step = split_size_or_sections
            sizes = [min(step, n - s) for s in range(0, n, step)] or [0]  # empty: one piece
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dim {d} "
                                 f"has size {n}")
        out, start = [], 0
        for s in sizes:
            out.append(self[(slice(None),) * d + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def chunk(self, chunks, dim=0):
        if self.ndim == 0:
            raise ValueError("chunk: expects at least a 1-dimensional tensor, got a 0-d one")
        d = normalize_dim(dim, self.ndim, "chunk")
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        if self.shape[d] == 0:  # as PyTorch: `chunks` empty pieces
            return tuple(self[(slice(None),) * d + (slice(0, 0),)] for _ in range(chunks))
        size = -(-self.shape[d] // chunks)
        return self.split(max(size, 1), d)

    def __getitem__(self, idx):
        return M.Index.apply(self, check_index(_convert_index(idx), self.shape))

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def pad(self, pads, value=0.0):
        pads = tuple(pads)
        if len(pads) % 2 or len(pads) // 2 > self.ndim:
            raise ValueError(f"pad: needs an even number of values, at most 2 per dim "
                             f"({2 * self.ndim} for shape {self.shape}), got {pads}")
        if not pads:  # nothing to pad (a 0-d tensor can have nothing else)
            return self.clone()
        widths = [(0, 0)] * self.ndim
        for i in range(len(pads) // 2):  # like torch: pairs start at the last dim
            widths[self.ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
        return M.Pad.apply(self, tuple(widths), value)

    def gather(self, dim, index):
        d = normalize_dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if self.ndim == 0 and idx.ndim == 0:  # as a 1-element vector (torch)
            return self.reshape(1).gather(0, idx.reshape(1)).reshape(())
        if idx.ndim != self.ndim:
            raise ValueError(f"gather: index must have as many dims as the input "
                             f"({self.ndim}), got shape {idx.shape}")
        if any(i > n for k, (i, n) in enumerate(zip(idx.shape, self.shape)) if k != d):
            raise ValueError(f"gather: index of shape {idx.shape} is larger than the input "
                             f"{self.shape} outside dim {d}")
        _check_range(idx, self.shape[d], "gather", d)
        return M.Gather.apply(self, d, idx)

    def scatter_add(self, dim, index, src):
        d = normalize_dim(dim, self.ndim, "scatter_add")
        idx = _index_array(index, "scatter_add")
        src = src if isinstance(src, Tensor) else Tensor(src, dtype=self.dtype)
        if idx.ndim != self.ndim or src.ndim != self.ndim or any(
                i > s for i, s in zip(idx.shape, src.shape)):
            raise ValueError(f"scatter_add: index {idx.shape} must have the input's rank "
                             f"and fit inside src {src.shape}")
        _check_range(idx, self.shape[d], "scatter_add", d)
        return M.ScatterAdd.apply(self, d, idx, src)

    # ------------------------------------------------------------ linear algebra
    def matmul(self, other):
        return matmul(self, other)

    def dot(self, other):
        return dot(self, other)

    def outer(self, other):
        return outer(self, other)


# what max(dim) / min(dim) return: a tuple that also has torch's .values and .indices
MinMax = namedtuple("MinMax", ["values", "indices"])


# ================================================================ helpers
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"sizes must be integers, got {shape}") from None


def _resolve_shape(shape, size):
    if sum(1 for s in shape if s == -1) > 1 or any(s < -1 for s in shape):
        raise ValueError
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ValueError
    return shape


def _axes(dim, t, name="reduce"):
    return None if dim is None else normalize_dims(dim, t.ndim, name)


def _arg_extreme(t, dim, keepdim, fn):
    if t._data.size == 0:
        raise ValueError("argmax/argmin: the tensor is empty")
    if dim is None:
        return Tensor._make(np.asarray(fn(t._data), dtype=np.int64))
    d = normalize_dim(dim, t.ndim, fn.__name__)
    return Tensor._make(fn(t._data, axis=d, keepdims=keepdim).astype(np.int64))


def _index_array(index, op):
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor, got {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def _check_range(idx, n, op, d):
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: index {int(idx.max() if idx.max() >= n else idx.min())} is "
                         f"out of range for dim {d} of size {n}")


def _convert_index(idx):
    """Tensor indices -> numpy arrays; keep ints, slices, None, Ellipsis as they are."""
    if isinstance(idx, tuple):
        return tuple(_convert_index_part(i) for i in idx)
    return _convert_index_part(idx)


def _convert_index_part(i):
    if isinstance(i, Tensor):
        return i._data
    if isinstance(i, list):
        return np.asarray(i) if i else np.zeros(0, np.int64)  # [] is an empty int index
    return i


def _floatify(t):
    return t if t.dtype.kind == "f" else t.astype(_FLOAT_DEFAULT)


def _result_dtype(a, b):
    """PyTorch's promotion between two tensors: floats win over ints, else numpy's rule."""
    if a == b:
        return a
    ka, kb = a.kind == "f", b.kind == "f"
    if ka and not kb:
        return a
    if kb and not ka:
        return b
    return np.promote_types(a, b)


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _pair_dtype(a, b):
    """dtype of tensor-op-tensor. As in PyTorch, a 0-d tensor beside one with dims acts like
    a scalar: it does not widen the result within its kind (float32 + 0-d float64 -> float32)."""
    da, db = a._data.dtype, b._data.dtype
    if da != db and (a._data.ndim == 0) != (b._data.ndim == 0):
        zero_d, other = (da, db) if a._data.ndim == 0 else (db, da)
        if _KIND_RANK[zero_d.kind] <= _KIND_RANK[other.kind]:
            return other
    return _result_dtype(da, db)


def _scalar_dtype(t, s):
    """dtype of tensor-op-scalar: the tensor's, unless a float scalar meets an int tensor."""
    if isinstance(s, (bool, np.bool_)):
        return t
    if isinstance(s, (float, np.floating)) and t.kind != "f":
        return _FLOAT_DEFAULT
    if isinstance(s, (int, np.integer)) and t.kind == "b":
        return np.dtype(np.int64)
    return t


def _binary(op, a, b, true_div=False):
    """Apply a two-input op with PyTorch's dtype rules and broadcasting errors."""
    if type(b) is float and isinstance(a, Tensor) and a._data.dtype.kind == "f":
        return op.apply(a, b)  # the common case first: float tensor op Python float
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dt = _pair_dtype(a, b)
        if true_div and dt.kind != "f":
            dt = _FLOAT_DEFAULT
        if a._data.dtype != dt:
            a = a.astype(dt)
        if b._data.dtype != dt:
            b = b.astype(dt)
        if a._data.shape != b._data.shape:
            _check_broadcast(op, a._data.shape, b._data.shape)
        return op.apply(a, b)
    tensor_first = isinstance(a, Tensor)
    t, s = (a, b) if tensor_first else (b, a)
    if isinstance(s, np.ndarray) and s.ndim:
        s = Tensor(s)
        return _binary(op, t, s, true_div) if tensor_first else _binary(op, s, t, true_div)
    if isinstance(s, np.ndarray):
        s = s[()]
    if not isinstance(s, (int, float, bool, np.generic)):
        return NotImplemented
    dt = _scalar_dtype(t._data.dtype, s)
    if true_div and dt.kind != "f":
        dt = _FLOAT_DEFAULT
    if t._data.dtype != dt:
        t = t.astype(dt)
    if isinstance(s, np.generic):
        s = s.item()
    return op.apply(t, s) if tensor_first else op.apply(s, t)


def _overwrite(old, src):
    """`src` everywhere, as an op of `old` (so copy_/fill_ on a tensor in the graph send it
    no gradient, and `src` gets its own)."""
    every = Tensor._make(np.ones(old.shape, dtype=bool))
    return E.Where.apply(every, src.astype(old.dtype).expand(old.shape), old)


def _dtype_of(other, t):
    return other.dtype if isinstance(other, Tensor) else np.result_type(t._data, other)


def _broadcast_or_none(sa, sb):
    try:
        return np.broadcast_shapes(sa, sb)
    except ValueError:
        return None


def _check_broadcast(op, sa, sb):
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(f"{op.__name__.lower()}: shapes {sa} and {sb} cannot be broadcast "
                         "together") from None


def _no_bool(name, *operands):
    """The first operand, unless one is a bool tensor: PyTorch refuses `-` on masks (use ~)
    and relu/argmax of them."""
    if any(isinstance(t, (bool, np.bool_)) or isinstance(t, Tensor) and t.dtype == np.bool_
           for t in operands):
        hint = "; to invert a mask use ~ or logical_not()" if name in ("sub", "neg") else ""
        raise TypeError(f"{name}: not supported for bool tensors{hint}")
    return operands[0]


def _integer_power(base, exponent):
    """(base, exponent), unless an integer base meets a negative integer exponent, which has
    no integer result (PyTorch and numpy refuse it)."""
    kinds = [x.dtype.kind if isinstance(x, Tensor) else np.asarray(x).dtype.kind
             for x in (base, exponent)]
    if kinds[0] in "biu" and kinds[1] in "iu":
        e = exponent._data if isinstance(exponent, Tensor) else np.asarray(exponent)
        if e.size and e.min() < 0:
            raise ValueError(f"pow: integers to negative integer powers are not allowed "
                             f"(exponent {int(e.min())}); use a float base, e.g. x.float()")
    return base, exponent


def _integral(name, a, b=None):
    """`b`, if both operands are bool or integer (bitwise ops have no float meaning)."""
    for t in (a, b):
        kind = t.dtype.kind if isinstance(t, Tensor) else np.asarray(t).dtype.kind
        if t is not None and kind not in "biu":
            raise TypeError(f"{name}: needs bool or integer tensors, got "
                            f"{t.dtype if isinstance(t, Tensor) else type(t).__name__}")
    return b


def _compare(np_fn, a, b, name="compare"):
    if isinstance(b, Tensor):
        if a.shape != b.shape:
            _check_broadcast(type(name, (), {}), a.shape, b.shape)
        b = b._data
    elif not isinstance(b, (int, float, bool, np.generic, np.ndarray)):
        return NotImplemented
    return Tensor._make(np_fn(a._data, b))


# ================================================================ functions
def where(cond, a, b):
    cond = cond if isinstance(cond, Tensor) else Tensor(cond)
    if cond.dtype != np.bool_:  # as PyTorch: no silent truthiness of numbers
        raise TypeError(f"where: the condition must be a bool tensor, got {cond.dtype} (for "
                        "numbers write cond != 0)")
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dt = _pair_dtype(a, b)
        a, b = a.astype(dt), b.astype(dt)
    elif isinstance(a, Tensor):
        a = a.astype(_scalar_dtype(a.dtype, b))
    elif isinstance(b, Tensor):
        b = b.astype(_scalar_dtype(b.dtype, a))
    else:
        a = Tensor(a)
    shapes = [np.shape(getattr(v, "_data", v)) for v in (cond, a, b)]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"where: shapes {shapes[0]} (cond), {shapes[1]} and {shapes[2]} "
                         "cannot be broadcast together") from None
    return E.Where.apply(cond, a, b)


def maximum(a, b):
    return _binary(E.Maximum, _t(a), b)


def minimum(a, b):
    return _binary(E.Minimum, _t(a), b)


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def matmul(a, b):
    a, b = _t(a), _t(b)
    da, db = a._data, b._data
    if da.ndim == 2 and db.ndim == 2 and da.shape[1] == db.shape[0] and da.dtype == db.dtype:
        return L.Matmul.apply(a, b, None, False)  # the common case: no promotion, no reshapes
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dim, got shapes "
                         f"{a.shape} and {b.shape} (use * for scalars)")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"({ka} != {kb})")
    if a.ndim > 2 or b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
        except ValueError:
            raise ValueError(f"matmul: batch dims of {a.shape} and {b.shape} cannot be "
                             "broadcast together") from None
    dt = _result_dtype(a.dtype, b.dtype)
    a, b = a.astype(dt), b.astype(dt)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    out = L.Matmul.apply(a2, b2, None, False)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    return out


def dot(a, b):
    a, b = _t(a), _t(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: needs two 1-D tensors, got {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"dot: the two tensors have {a.shape[0]} and {b.shape[0]} elements")
    return matmul(a, b)


def outer(a, b):
    a, b = _t(a), _t(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: needs two 1-D tensors, got {a.shape} and {b.shape}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def einsum(spec, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [_t(o) for o in operands]
    spec = spec.replace(" ", "")
    if "->" not in spec:  # implicit output: letters seen once, sorted (numpy's rule)
        ins = spec
        letters = [c for c in ins if c.isalpha()]
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        spec = ins + "->" + ("..." if "..." in ins else "") + out
    spec = _expand_ellipsis(spec, operands)
    subs = spec.split("->")[0].split(",")
    if len(subs) != len(operands):
        raise ValueError(f"einsum: '{spec}' names {len(subs)} operands, got {len(operands)}")
    sizes = {}
    for sub, o in zip(subs, operands):
        if len(sub) != o.ndim:
            raise ValueError(f"einsum: subscripts '{sub}' have {len(sub)} letters but the "
                             f"operand has shape {o.shape}")
        for c, n in zip(sub, o.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise ValueError(f"einsum: index '{c}' has size {sizes[c]} in one operand "
                                 f"and {n} in another")
    dt = operands[0].dtype
    for o in operands[1:]:
        dt = _result_dtype(dt, o.dtype)
    return L.Einsum.apply(spec, *[o.astype(dt) for o in operands])


def _expand_ellipsis(spec, operands):
    if "..." not in spec:
        return spec
    ins, out = spec.split("->")
    subs = ins.split(",")
    used = set(c for c in spec if c.isalpha())
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    n_ell = max(o.ndim - (len(s) - 3) for s, o in zip(subs, operands) if "..." in s)
    ell = "".join(free[:n_ell])
    new = [s.replace("...", ell[n_ell - (o.ndim - (len(s) - 3)):]) if "..." in s else s
           for s, o in zip(subs, operands)]
    return ",".join(new) + "->" + out.replace("...", ell)


def cat(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat: zero-dimensional tensor (at position {i}) cannot be "
                             "concatenated; use stack")
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, which does not match "
                             f"tensor 0's shape {ref.shape} outside dim {d}")
    dt = ref.dtype
    for t in tensors[1:]:
        dt = _result_dtype(dt, t.dtype)
    return M.Cat.apply(d, *[t.astype(dt) for t in tensors])


def stack(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has "
                             f"{tensors[0].shape}; all must be equal")
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], d)

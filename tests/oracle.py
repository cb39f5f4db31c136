"""The PyTorch oracle: one place that checks an op, a layer or a loss against torch.

A test for a new op, layer or loss is one line:

    check(lambda x, y: x * y, [(3, 1), (1, 4)])                    # an op, shapes broadcast
    check_module(*pair("Conv2d", 2, 3, 3, stride=2), (2, 2, 9, 8))  # a layer and its input
    check_loss(F.huber_loss, [(6,), (6,)], delta=0.7)               # a loss, every reduction

Each runs ours and torch on the same seeded inputs (float64 unless dtype="float32") and
compares every output (shape, dtype, values), then - for a random upstream gradient - the
gradient of every floating input, and for a module every parameter gradient by name and
every buffer by name; then (float64 only) runs our gradcheck on it.

An input is given as a shape (seeded N(0, 1) values), as a numpy array (integer arrays are
class indices or positions and get no gradient), as None, or as a tuple of these (an RNN's
`(h0, c0)`). A numpy array keeps its memory layout on our side: a transposed, stepped,
flipped or broadcast view reaches the library as such a view (torch gets a contiguous
copy), so tests/strategies.py can feed non-contiguous inputs through the same checks.

Tolerances are numpy's `assert_allclose` (|ours - torch| <= atol + rtol * |torch|), by
dtype in TOLERANCE unless a test passes rtol= / atol=.
"""
import warnings

import numpy as np
import torch

import tinygrad_lr as tl
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradcheck, gradgradcheck

TOLERANCE = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-5)}  # (rtol, atol)
REDUCTIONS = ("mean", "sum", "none")
TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}


# ================================================================ inputs
def random_arrays(shapes, seed=0, low=-2.0, high=2.0, positive=False):
    """Seeded float64 inputs; positive=True keeps them in [0.5, 2] (log, sqrt, pow)."""
    rng = np.random.default_rng(seed)
    if positive:
        low, high = 0.5, 2.0
    return [rng.uniform(low, high, size=s) for s in shapes]


def copy_like(a, dtype=None):
    """A copy of array `a` (converted to `dtype`) with `a`'s strides: a transposed, stepped,
    flipped or broadcast view stays that kind of view, so the library sees the layout the
    test asked for. Memory outside the view holds NaN, so reading past it shows up."""
    a = np.asarray(a)
    dtype = np.dtype(dtype or a.dtype)
    if a.flags.c_contiguous or a.size == 0 or any(s % a.itemsize for s in a.strides):
        return np.array(a, dtype=dtype)
    steps = [s // a.itemsize for s in a.strides]
    lowest = sum((n - 1) * s for n, s in zip(a.shape, steps) if s < 0)
    highest = sum((n - 1) * s for n, s in zip(a.shape, steps) if s > 0)
    buffer = np.full(highest - lowest + 1, np.nan if dtype.kind == "f" else 0, dtype=dtype)
    view = np.lib.stride_tricks.as_strided(buffer[-lowest:], a.shape,
                                           [s * dtype.itemsize for s in steps])
    view[...] = a  # a broadcast view writes equal values into its shared elements
    if not a.flags.writeable:
        view.flags.writeable = False
    return view


def _is_shape(spec):
    return isinstance(spec, tuple) and all(isinstance(n, (int, np.integer)) for n in spec)


def _make_inputs(specs, rng, dtype):
    """Shapes become seeded N(0, 1) arrays, float arrays are converted to dtype (keeping
    their layout), integer arrays become int64; tuples and lists keep their structure."""
    def make(spec):
        if _is_shape(spec):
            return rng.standard_normal(spec).astype(dtype)
        if isinstance(spec, np.ndarray):
            return copy_like(spec, dtype if spec.dtype.kind == "f" else np.int64)
        if isinstance(spec, (tuple, list)):
            return type(spec)(make(s) for s in spec)
        return spec
    return [make(s) for s in specs]


def _ours(spec, diff=True):
    """Our tensors for a structure of arrays; floats require grad when diff is True."""
    if isinstance(spec, np.ndarray):
        return tl.Tensor(copy_like(spec), requires_grad=diff and spec.dtype.kind == "f")
    if isinstance(spec, (tuple, list)):
        return type(spec)(_ours(s, diff) for s in spec)
    return spec


def _theirs(spec, diff=True):
    if isinstance(spec, np.ndarray):
        return torch.tensor(np.array(spec, order="C"),
                            requires_grad=diff and spec.dtype.kind == "f")
    if isinstance(spec, (tuple, list)):
        return type(spec)(_theirs(s, diff) for s in spec)
    return spec


def _leaves(obj):
    """The tensors in a (nested) tuple or list, in order."""
    if isinstance(obj, (tl.Tensor, torch.Tensor)):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _leaves(o)]
    return []


# ================================================================ comparing
def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def _assert_close(actual, expected, rtol, atol, what):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def _compare_outputs(outs, touts, rtol, atol, where=""):
    assert len(outs) == len(touts), f"{where}{len(outs)} outputs, torch gives {len(touts)}"
    for k, (o, t) in enumerate(zip(outs, touts)):
        assert isinstance(o, tl.Tensor), f"{where}output {k} is a {type(o).__name__}, not a Tensor"
        assert o.shape == tuple(t.shape), \
            f"{where}output {k}: shape {o.shape}, torch {tuple(t.shape)}"
        assert o.dtype.name == _torch_dtype_name(t), \
            f"{where}output {k}: dtype {o.dtype}, torch {t.dtype}"
        _assert_close(o.numpy(), t.detach().numpy(), rtol, atol, f"{where}forward output {k}")


def _compare_grad(ours_grad, torch_grad, like, rtol, atol, what):
    """ours_grad: our Tensor or None, torch_grad: torch's or None; like: the input's array."""
    assert (ours_grad is None) == (torch_grad is None), \
        f"{what}: ours is {'None' if ours_grad is None else 'a tensor'}, torch's is " \
        f"{'None' if torch_grad is None else 'a tensor'}"
    if ours_grad is None:
        return
    g = ours_grad.numpy()
    assert g.shape == like.shape, f"{what}: shape {g.shape}, the input's {like.shape}"
    assert g.dtype == like.dtype, f"{what}: dtype {g.dtype}, the input's {like.dtype}"
    _assert_close(g, torch_grad.numpy(), rtol, atol, what)


def _tolerance(dtype, rtol, atol):
    default_rtol, default_atol = TOLERANCE[np.dtype(dtype).name]
    return (default_rtol if rtol is None else rtol), (default_atol if atol is None else atol)


def _upstream(rng, pairs, dtype):
    return [rng.standard_normal(tuple(t.shape)).astype(dtype) for _, t in pairs]


# ================================================================ ops
def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def check(fn, shapes=(), torch_fn=None, *, arrays=None, low=-2.0, high=2.0, positive=False,
          seed=0, atol=None, rtol=None, backward=True, grad_check=True, gradgrad_check=True,
          dtype="float64"):
    """Compare an op: fn on tinygrad_lr Tensors against torch_fn (default: fn) on torch.

    shapes: one shape per input (they may broadcast); or give the input `arrays` directly
    (their layout is kept, see copy_like).
    backward: compare input gradients for a random upstream gradient of every float output.
    grad_check / gradgrad_check: also run our gradcheck / gradgradcheck on fn (float64 only).
    dtype="float32": both libraries in float32, with float32 tolerances.
    """
    dtype = np.dtype(dtype).name
    if arrays is None:
        arrays = random_arrays(shapes, seed, low, high, positive)
    arrays = [copy_like(np.asarray(a, dtype=np.float64) if not isinstance(a, np.ndarray) else a,
                        dtype) for a in arrays]
    rtol, atol = _tolerance(dtype, rtol, atol)
    if dtype == "float32":
        grad_check = gradgrad_check = False
    ours = [tl.Tensor(copy_like(a), requires_grad=backward) for a in arrays]
    theirs = [torch.tensor(np.array(a, order="C"), requires_grad=backward) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0 or overflow on the way
        outs = _outputs(fn(*ours))
    touts = _outputs((torch_fn or fn)(*theirs))
    _compare_outputs(outs, touts, rtol, atol)

    if backward:
        rng = np.random.default_rng(seed + 1)
        pairs = [(o, t) for o, t in zip(outs, touts) if t.requires_grad]
        assert pairs, "no output requires grad"
        for o, _ in pairs:
            assert o.requires_grad, "torch's output requires grad, ours does not"
        ups = _upstream(rng, pairs, dtype)
        tgrads = torch.autograd.grad([t for _, t in pairs], theirs,
                                     [torch.tensor(u) for u in ups], allow_unused=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            ograds = tl.autograd.grad([o for o, _ in pairs], ours, [tl.Tensor(u) for u in ups],
                                      allow_unused=True)
        for i, (g, tg, x) in enumerate(zip(ograds, tgrads, arrays)):
            # an input the outputs do not depend on: None from one side, zeros from the other
            g = tl.Tensor(np.zeros_like(x)) if g is None else g
            tg = torch.zeros(x.shape, dtype=TORCH_DTYPE[dtype]) if tg is None else tg
            _compare_grad(g, tg, x, rtol, atol, f"gradient {i}")

    def float_outputs(*xs):
        return tuple(o for o in _outputs(fn(*xs)) if o.dtype.kind == "f")

    contiguous = [np.array(a) for a in arrays]  # finite differences perturb one element
    if grad_check:
        assert gradcheck(float_outputs, [tl.Tensor(a.copy(), requires_grad=True)
                                         for a in contiguous])
    if gradgrad_check:
        assert gradgradcheck(float_outputs, [tl.Tensor(a.copy(), requires_grad=True)
                                             for a in contiguous])


# ================================================================ modules
def pair(name, *args, **kwargs):
    """Our layer and torch's of the same name, built with the same arguments:
    `pair("Conv2d", 2, 3, 3, stride=2)` is (nn.Conv2d(2, 3, 3, stride=2), torch's)."""
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def _build(module_or_factory, base):
    return module_or_factory if isinstance(module_or_factory, base) else module_or_factory()


def check_state_dict(ours, theirs):
    """Our state_dict has torch's names, in torch's order, with torch's shapes."""
    a = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
    b = [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert a == b, f"state_dict differs from torch's:\n  ours:  {a}\n  torch: {b}"


def copy_state(source, target):
    """source.state_dict() -> numpy -> target.load_state_dict (strict), in either direction
    between our module and torch's: weights move with numpy alone, as API.md promises."""
    if isinstance(target, torch.nn.Module):
        target.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                                for k, v in source.state_dict().items()})
    else:
        target.load_state_dict({k: v.detach().numpy() for k, v in source.state_dict().items()})


def _params_and_buffers_match(ours, theirs, rtol, atol):
    ours_params, theirs_params = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(ours_params) == list(theirs_params), \
        f"parameter names {list(ours_params)}, torch's {list(theirs_params)}"
    for name, p in ours_params.items():
        _compare_grad(p.grad, theirs_params[name].grad, p.numpy(), rtol, atol,
                      f"gradient of parameter {name}")
    ours_buffers, theirs_buffers = dict(ours.named_buffers()), dict(theirs.named_buffers())
    assert list(ours_buffers) == list(theirs_buffers), \
        f"buffer names {list(ours_buffers)}, torch's {list(theirs_buffers)}"
    for name, b in ours_buffers.items():
        expected = theirs_buffers[name].numpy()
        assert b.dtype.name == expected.dtype.name, f"buffer {name}: dtype {b.dtype}"
        _assert_close(b.numpy(), expected, rtol, atol, f"buffer {name}")


def check_module(ours, theirs, *inputs, weights="torch", dtype="float64", seed=0, rtol=None,
                 atol=None, backward=True, grad_check=False, gradgrad_check=False):
    """Compare a layer: our module against torch's on the same inputs and weights.

    ours, theirs: the two modules, or a factory (no arguments) for each. Both are converted
    to `dtype`; then weights="torch" copies torch's state dict into ours ("ours": ours into
    torch, e.g. after setting our parameters by hand). The state dicts must have the same
    names, order and shapes. Compared: every output (an RNN's nested (out, (h, c)) too),
    then for a random upstream gradient of every float output (backward=True) the gradient
    of every float input, every parameter gradient by name and every buffer by name (after
    the forward pass: running statistics). grad_check / gradgrad_check: our gradcheck over
    the float inputs and all parameters (float64; last, as it runs the module many times).
    Returns our output.
    """
    dtype = np.dtype(dtype).name
    ours, theirs = _build(ours, nn.Module), _build(theirs, torch.nn.Module)
    ours.to(np.dtype(dtype))
    theirs.to(TORCH_DTYPE[dtype])
    check_state_dict(ours, theirs)
    if weights == "torch":
        copy_state(theirs, ours)
    elif weights == "ours":
        copy_state(ours, theirs)
    else:
        raise ValueError(f"check_module: weights must be 'torch' or 'ours', got {weights!r}")
    rtol, atol = _tolerance(dtype, rtol, atol)
    rng = np.random.default_rng(seed)
    arrays = _make_inputs(inputs, rng, dtype)
    xs, ts = [_ours(a, backward) for a in arrays], [_theirs(a, backward) for a in arrays]
    ours.zero_grad()
    theirs.zero_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0 or overflow on the way
        out = ours(*xs)
    expected = theirs(*ts)
    outs, touts = _leaves(out), _leaves(expected)
    _compare_outputs(outs, touts, rtol, atol, f"{type(ours).__name__}: ")

    pairs = [(o, t) for o, t in zip(outs, touts) if t.requires_grad]
    if backward and pairs:
        for o, _ in pairs:
            assert o.requires_grad, "torch's output requires grad, ours does not"
        ups = _upstream(rng, pairs, dtype)
        torch.autograd.backward([t for _, t in pairs], [torch.tensor(u) for u in ups])
        if len(pairs) == 1:
            pairs[0][0].backward(tl.Tensor(ups[0]))
        else:  # one backward pass through every output, as torch.autograd.backward makes
            sum((o * tl.Tensor(u)).sum() for (o, _), u in zip(pairs, ups)).backward()
        for i, (x, t) in enumerate(zip(_leaves(xs), _leaves(ts))):
            if t.requires_grad:
                _compare_grad(x.grad, t.grad, x.numpy(), rtol, atol, f"gradient of input {i}")
    _params_and_buffers_match(ours, theirs, rtol, atol)

    if grad_check or gradgrad_check:
        assert dtype == "float64", "check_module: gradcheck needs float64"
        floats = [a for a in _leaves_arrays(arrays) if a.dtype.kind == "f"]
        params = [p for p in ours.parameters() if p.requires_grad]

        def float_outputs(*diff):
            it = iter(diff)
            args = _replace_floats(arrays, it)
            return tuple(o for o in _leaves(ours(*args)) if o.dtype.kind == "f")

        diff = [tl.Tensor(np.array(a), requires_grad=True) for a in floats] + params
        if grad_check:
            assert gradcheck(float_outputs, diff)
        if gradgrad_check:
            assert gradgradcheck(float_outputs, diff)
    return out


def _leaves_arrays(obj):
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [a for o in obj for a in _leaves_arrays(o)]
    return []


def _replace_floats(obj, tensors):
    """The input structure with each float array replaced by the next of `tensors` (the
    tensors gradcheck perturbs) and integer arrays wrapped as constants."""
    if isinstance(obj, np.ndarray):
        return next(tensors) if obj.dtype.kind == "f" else tl.Tensor(obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_replace_floats(o, tensors) for o in obj)
    return obj


# ================================================================ losses
def with_reduction(formula):
    """A loss with reduction= from an elementwise formula (what reduction='none' returns):
    the torch side for losses PyTorch lacks, written out in torch ops."""
    def loss(*inputs, reduction="mean", **kwargs):
        value = formula(*inputs, **kwargs)
        return {"mean": value.mean, "sum": value.sum, "none": lambda: value}[reduction]()
    loss.__name__ = getattr(formula, "__name__", "formula")
    return loss


def _torch_loss_for(ours):
    name = ours.__name__
    place = torch.nn if isinstance(ours, type) else torch.nn.functional
    if not hasattr(place, name):
        raise ValueError(f"check_loss: torch has no {name}; pass torch_fn= "
                         "(e.g. with_reduction(formula))")
    return getattr(place, name)


def _loss_kwargs(kwargs, dtype, for_torch):
    """Weights and other array arguments in the test's dtype; torch gets torch tensors."""
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, tl.Tensor):
            v = v.numpy() if for_torch else tl.Tensor(v.numpy().astype(dtype)
                                                      if v.dtype.kind == "f" else v.numpy())
        if isinstance(v, np.ndarray):
            v = v.astype(dtype) if v.dtype.kind == "f" else v
            v = torch.tensor(v) if for_torch else v
        out[k] = v
    return out


def _call_loss(loss, inputs, reduction, kwargs, dtype, torch_side):
    if isinstance(loss, type):  # a module class: build it with the reduction and options
        module = loss(reduction=reduction, **kwargs)
        module.to(TORCH_DTYPE[dtype] if torch_side else np.dtype(dtype))
        return module(*inputs)
    return loss(*inputs, reduction=reduction, **kwargs)


def check_loss(ours, inputs, torch_fn=None, *, reduction=REDUCTIONS, grad=None,
               grad_check=None, gradgrad_check=False, dtype="float64", seed=0, rtol=None,
               atol=None, **kwargs):
    """Compare a loss with torch for each reduction in `reduction` (a name or a list).

    ours: the function form (F.mse_loss) or the module class (nn.MSELoss), called with
    reduction= and **kwargs (the loss's own options: weight, margin, ...; arrays among them
    reach torch as tensors). torch_fn: default torch's function or class of the same name.
    inputs: specs as for check_module; float inputs are differentiable, integer ones are
    class indices. grad: indices of the inputs whose gradient is compared (default: every
    float input). grad_check: indices to gradcheck for every reduction (default: grad in
    float64, none in float32; False for none); gradgrad_check: the same for gradgradcheck
    (default False).
    """
    dtype = np.dtype(dtype).name
    torch_fn = torch_fn or _torch_loss_for(ours)
    reductions = [reduction] if isinstance(reduction, str) else list(reduction)
    rtol, atol = _tolerance(dtype, rtol, atol)
    arrays = _make_inputs(inputs, np.random.default_rng(seed), dtype)
    floats = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    grad = floats if grad is None else list(grad)
    ours_kwargs = _loss_kwargs(kwargs, dtype, for_torch=False)
    torch_kwargs = _loss_kwargs(kwargs, dtype, for_torch=True)
    rng = np.random.default_rng(seed + 1)
    for r in reductions:
        xs = [_ours(a, i in grad) for i, a in enumerate(arrays)]
        ts = [_theirs(a, i in grad) for i, a in enumerate(arrays)]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            out = _call_loss(ours, xs, r, ours_kwargs, dtype, torch_side=False)
        expected = _call_loss(torch_fn, ts, r, torch_kwargs, dtype, torch_side=True)
        _compare_outputs([out], [expected], rtol, atol, f"reduction={r!r}: ")
        if grad:
            (upstream,) = _upstream(rng, [(out, expected)], dtype)
            out.backward(tl.Tensor(upstream))
            expected.backward(torch.tensor(upstream))
            for i in grad:
                _compare_grad(xs[i].grad, ts[i].grad, arrays[i], rtol, atol,
                              f"reduction={r!r}: gradient of input {i}")
    if dtype != "float64" and grad_check is None:  # finite differences need float64
        grad_check = False
    checks = [(gradcheck, _indices(grad_check, grad)),
              (gradgradcheck, _indices(gradgrad_check, grad))]
    _gradchecks(ours, arrays, reductions, [(fn, idx) for fn, idx in checks if idx],
                ours_kwargs, dtype)


def _indices(spec, default):
    """None or True: the default inputs; False: none; else the given indices."""
    if spec is None or spec is True:
        return list(default)
    return [] if spec is False else list(spec)


def _gradchecks(ours, arrays, reductions, checks, kwargs, dtype):
    if not checks:
        return
    assert dtype == "float64", "check_loss: gradcheck needs float64"
    for r in reductions:
        for checker, idx in checks:
            def fn(*diff, r=r, idx=idx):
                xs = [_ours(a, False) for a in arrays]
                for i, d in zip(idx, diff):
                    xs[i] = d
                return _call_loss(ours, xs, r, kwargs, dtype, torch_side=False)

            diff = [tl.Tensor(np.array(arrays[i]), requires_grad=True) for i in idx]
            assert checker(fn, diff), f"{checker.__name__}, reduction={r!r}"

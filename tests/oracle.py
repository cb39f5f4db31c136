"""The PyTorch oracle: one helper that checks an op against torch, forward and backward.

    check(lambda x, y: x * y, [(3, 1), (1, 4)])

runs the same lambda on float64 tinygrad_lr Tensors and on float64 torch tensors made from
the same seeded random arrays, compares every output (value, shape, dtype), then the
gradient of every input for a random upstream gradient, and finally runs our gradcheck and
gradgradcheck on it. When the two libraries spell an op differently, pass `torch_fn`.
"""
import warnings

import numpy as np
import torch

import tinygrad_lr as tl
from tinygrad_lr.autograd import grad, gradcheck, gradgradcheck


def random_arrays(shapes, seed=0, low=-2.0, high=2.0, positive=False):
    """Seeded float64 inputs; positive=True keeps them in [0.5, 2] (log, sqrt, pow)."""
    rng = np.random.default_rng(seed)
    if positive:
        low, high = 0.5, 2.0
    return [rng.uniform(low, high, size=s) for s in shapes]


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def check(fn, shapes=(), torch_fn=None, *, arrays=None, low=-2.0, high=2.0, positive=False,
          seed=0, atol=1e-8, rtol=1e-7, backward=True, grad_check=True, gradgrad_check=True,
          dtype="float64"):
    """Compare fn on tinygrad_lr against torch_fn (default: fn) on torch.

    shapes: one shape per input (they may broadcast); or give the input `arrays` directly.
    backward: compare input gradients for a random upstream gradient of every float output.
    grad_check / gradgrad_check: also run our gradcheck / gradgradcheck on fn (float64 only).
    dtype="float32": both libraries in float32, with float32 tolerances.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays] if arrays is not None else \
        random_arrays(shapes, seed, low, high, positive)
    arrays = [a.astype(dtype) for a in arrays]
    if dtype == "float32":
        atol, rtol, grad_check, gradgrad_check = max(atol, 1e-5), max(rtol, 1e-5), False, False
    ours = [tl.Tensor(a.copy(), requires_grad=backward) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=backward) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no 0/0 or overflow on the way
        outs = _outputs(fn(*ours))
    touts = _outputs((torch_fn or fn)(*theirs))
    assert len(outs) == len(touts), f"{len(outs)} outputs, torch gives {len(touts)}"
    for k, (o, t) in enumerate(zip(outs, touts)):
        assert isinstance(o, tl.Tensor), f"output {k} is a {type(o).__name__}, not a Tensor"
        assert o.shape == tuple(t.shape), f"output {k}: shape {o.shape}, torch {tuple(t.shape)}"
        assert o.dtype.name == _torch_dtype_name(t), \
            f"output {k}: dtype {o.dtype}, torch {t.dtype}"
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"forward output {k}")

    if backward:
        rng = np.random.default_rng(seed + 1)
        pairs = [(o, t) for o, t in zip(outs, touts) if t.requires_grad]
        assert pairs, "no output requires grad"
        for o, t in pairs:
            assert o.requires_grad, "torch's output requires grad, ours does not"
        ups = [rng.standard_normal(t.shape).astype(dtype) for _, t in pairs]
        tgrads = torch.autograd.grad([t for _, t in pairs], theirs,
                                     [torch.tensor(u) for u in ups], allow_unused=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            ograds = grad([o for o, _ in pairs], ours, [tl.Tensor(u) for u in ups],
                          allow_unused=True)
        for i, (g, tg, x) in enumerate(zip(ograds, tgrads, arrays)):
            g = np.zeros_like(x) if g is None else g.numpy()
            tg = np.zeros_like(x) if tg is None else tg.numpy()
            assert g.shape == x.shape, f"gradient {i}: shape {g.shape}, input {x.shape}"
            assert g.dtype == dtype, f"gradient {i}: dtype {g.dtype}"
            np.testing.assert_allclose(g, tg, atol=atol, rtol=rtol, err_msg=f"gradient {i}")

    def float_outputs(*xs):
        return tuple(o for o in _outputs(fn(*xs)) if o.dtype.kind == "f")

    if grad_check:
        assert gradcheck(float_outputs, [tl.Tensor(a.copy(), requires_grad=True) for a in arrays])
    if gradgrad_check:
        assert gradgradcheck(float_outputs,
                             [tl.Tensor(a.copy(), requires_grad=True) for a in arrays])

"""SiLU, Mish, Hardtanh, ReLU6, LogSigmoid, Softsign (functional and modules) against
PyTorch: values, gradients (also at the ends of hardtanh's range, where PyTorch passes none),
node names, gradcheck, module reprs and errors."""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl

F = tl.nn.functional
rng = np.random.default_rng(0)
# the ends of the ranges (-1, 1, 0, 6) on purpose, and large values (logsigmoid's tails)
X = np.concatenate([rng.standard_normal(40) * 4, [-1.0, 1.0, 0.0, 6.0, -60.0, 60.0]])

CASES = [
    ("silu", lambda f, x: f.silu(x), "SiLU", ()),
    ("mish", lambda f, x: f.mish(x), "Mish", ()),
    ("hardtanh", lambda f, x: f.hardtanh(x), "Hardtanh", ()),
    ("hardtanh -2 3", lambda f, x: f.hardtanh(x, -2.0, 3.0), "Hardtanh", (-2.0, 3.0)),
    ("relu6", lambda f, x: f.relu6(x), "ReLU6", ()),
    ("logsigmoid", lambda f, x: f.logsigmoid(x), "LogSigmoid", ()),
    ("softsign", lambda f, x: f.softsign(x), "Softsign", ()),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,fn,module,args", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn, module, args, dtype):
    values = X.astype(dtype)
    ours = tl.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    out, expected = fn(F, ours), fn(torch.nn.functional, theirs)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tol)
    assert out.dtype == ours.dtype
    assert out.grad_fn.name() == expected.grad_fn.name()
    seed = rng.standard_normal(values.shape).astype(dtype)
    out.backward(tl.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tol)
    layer, torch_layer = getattr(tl.nn, module)(*args), getattr(torch.nn, module)(*args)
    np.testing.assert_allclose(layer(tl.tensor(values)).numpy(),
                               torch_layer(torch.tensor(values)).numpy(), **tol)
    assert repr(layer) == repr(torch_layer)


@pytest.mark.parametrize("name,fn,module,args", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, module, args):
    x = tl.tensor(rng.standard_normal((3, 4)) * 2, requires_grad=True)  # away from the ends
    assert tl.autograd.gradcheck(lambda t: fn(F, t), (x,))


def test_errors_name_the_function():
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        F.hardtanh(tl.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match=r"Hardtanh: max_val \(1.0\) must be greater"):
        tl.nn.Hardtanh(1.0, 1.0)
    with pytest.raises(TypeError, match="silu"):
        F.silu(np.ones(2))
    # PyTorch refuses the same: a reversed range in F, an empty one in the module
    with pytest.raises(ValueError):
        torch.nn.functional.hardtanh(torch.ones(2), 2.0, 1.0)
    with pytest.raises(AssertionError):
        torch.nn.Hardtanh(1.0, 1.0)

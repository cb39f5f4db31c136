"""Every op and fused loss at extreme values, against PyTorch: common offsets up to 1e30,
tiny and huge scales, float32 and float64, forward and backward (issue: nothing silently
wrong). Where PyTorch overflows to inf or gives NaN, so must we; elsewhere the values agree
to the dtype's tolerance."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F

BASE = np.array([[0.3, -1.2, 2.0, 0.0], [-0.7, 0.5, 1.5, -2.5]])
SCALES = [1e-30, 1e-8, 1.0, 1e8, 1e30]
OFFSETS = [0.0, 1e4, 1e8, 1e16, 1e30]

# name -> f(lib, functional, x): one tensor in, one tensor out
OPS = {
    "exp": lambda lib, F, x: x.exp(),
    "sigmoid": lambda lib, F, x: x.sigmoid(),
    "tanh": lambda lib, F, x: x.tanh(),
    "softplus": lambda lib, F, x: F.softplus(x),
    "elu": lambda lib, F, x: F.elu(x),
    "gelu": lambda lib, F, x: F.gelu(x),
    "relu": lambda lib, F, x: x.relu(),
    "abs": lambda lib, F, x: x.abs(),
    "square": lambda lib, F, x: x * x,
    "logsumexp": lambda lib, F, x: x.logsumexp(1),
    "softmax": lambda lib, F, x: F.softmax(x, 1),
    "log_softmax": lambda lib, F, x: F.log_softmax(x, 1),
    "norm": lambda lib, F, x: x.norm(dim=1),
    "std": lambda lib, F, x: x.std(1),
    "var": lambda lib, F, x: x.var(1),
    "mean": lambda lib, F, x: x.mean(1),
    "amax": lambda lib, F, x: x.amax(1),
    "cumsum": lambda lib, F, x: x.cumsum(1),
    "cross_entropy": lambda lib, F, x: F.cross_entropy(x, lib.tensor([2, 0])),
    "cross_entropy_smooth": lambda lib, F, x: F.cross_entropy(x, lib.tensor([2, 0]),
                                                              label_smoothing=0.1),
    "cross_entropy_probs": lambda lib, F, x: F.cross_entropy(
        x, lib.tensor(np.full((2, 4), 0.25, dtype=x.numpy().dtype if lib is tl else None)
                      if lib is tl else torch.full((2, 4), 0.25, dtype=x.dtype))),
    "bce_with_logits": lambda lib, F, x: F.binary_cross_entropy_with_logits(
        x, lib.tensor(np.array([[1.0, 0, 1, 0], [0, 1, 1, 0]])).to(x.dtype) if lib is torch
        else x * 0 + tl.tensor(np.array([[1.0, 0, 1, 0], [0, 1, 1, 0]]), dtype=x.dtype)),
    "mse": lambda lib, F, x: F.mse_loss(x, x.detach() * 0.5),
    "huber": lambda lib, F, x: F.huber_loss(x, x.detach() * 0.5),
    "smooth_l1": lambda lib, F, x: F.smooth_l1_loss(x, x.detach() * 0.5),
    # PyTorch's soft_margin_loss forms log(1 + exp(z)) and overflows where the loss is z;
    # its own stable softplus is the reference
    "soft_margin": lambda lib, F, x: (F.soft_margin_loss(x, _margin_target(x)) if lib is tl
                                      else TF.softplus(-_margin_target(x) * x).mean()),
}
# ops whose float result loses digits to cancellation when the offset dwarfs the spread
CANCELLING = {"std", "var"}


def _margin_target(x):
    return (x.detach() >= 0).float().to(x.dtype) * 2 - 1 if isinstance(x, torch.Tensor) else \
        ((x.detach() >= 0).float().astype(x.dtype) * 2 - 1)


def _run(lib, name, x0):
    x = (torch.tensor(x0, requires_grad=True) if lib is torch
         else tl.Tensor(x0.copy(), requires_grad=True))
    out = OPS[name](lib, TF if lib is torch else F, x)
    weights = np.linspace(0.5, 1.5, out.numel()).reshape(out.shape).astype(x0.dtype)
    (out * (torch.tensor(weights) if lib is torch else tl.Tensor(weights))).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


CASES = [(n, s, o, d) for n in OPS for s in SCALES for o in OFFSETS
         for d in ("float32", "float64") if not (s > 1 and o > 0)]


@pytest.mark.parametrize("name,scale,offset,dtype", CASES)
def test_extreme_values_match_pytorch(name, scale, offset, dtype):
    x0 = (BASE * scale + offset).astype(dtype)
    with np.errstate(all="ignore"):
        ours = _run(tl, name, x0)
    theirs = _run(torch, name, x0)
    tol = 1e-5 if dtype == "float32" else 1e-12
    if name in CANCELLING:  # x - mean keeps only eps * offset / spread of its digits
        tol *= max(1.0, offset / scale)
    for what, a, b in zip(("forward", "gradient"), ours, theirs):
        a, b = a.astype(np.float64), b.astype(np.float64)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, np.nanmax(np.abs(
            np.where(np.isfinite(b), b, 0)), initial=0)), equal_nan=True,
            err_msg=f"{name} {what} at scale {scale:g}, offset {offset:g}, {dtype}")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_relu_at_nan_inf_and_signed_zero_matches_pytorch(dtype):
    """relu keeps NaN and -0.0 (PyTorch's `x < 0 ? 0 : x`), on the kernel (contiguous
    float32/float64), a strided view and float16 (the numpy rule)."""
    x0 = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -3.0] * 3, dtype=dtype)
    for view in (lambda a: a, lambda a: a[::2]):
        ours = view(tl.tensor(x0)).relu().numpy()
        theirs = view(torch.tensor(x0)).relu().numpy()
        np.testing.assert_array_equal(ours, theirs)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_at_nan_and_inf_matches_pytorch(dtype, create_graph):
    """PyTorch's threshold_backward zeroes the gradient where the output is <= 0 only, so a
    NaN output passes its gradient on; the kernel (no create_graph) and the Tensor formula
    (create_graph) both do the same."""
    x0 = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -3.0], dtype=dtype)
    weights = np.linspace(0.5, 1.5, x0.size).astype(dtype)
    grads = []
    for lib in (tl, torch):
        x = lib.tensor(x0.copy(), requires_grad=True)
        (gx,) = lib.autograd.grad((x.relu() * lib.tensor(weights)).sum(), x,
                                  create_graph=create_graph)
        grads.append(gx.detach().numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("exponent", [2, 3, 4, 5, -1, -2, -3, 0, 1, 3.0, -4.0, 2.5, -0.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_of_negative_bases_and_special_values_matches_pytorch(dtype, exponent):
    """x ** n with a whole-number n is computed as +-|x| ** n (ops/elementwise.power, the
    fast path for negative bases): PyTorch's values, signs of zero, infinities and NaNs,
    and gradient, for negative and positive bases alike."""
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e-20, -1e-20, 1e20, -1e20]
    values = np.random.default_rng(0).standard_normal(200) * 3
    x0 = np.concatenate([special, values]).astype(dtype)
    outs, grads = [], []
    for lib in (tl, torch):
        x = lib.tensor(x0.copy(), requires_grad=True)
        y = x ** exponent
        (gx,) = lib.autograd.grad(y.sum(), x)
        outs.append(y.detach().numpy())
        grads.append(gx.numpy())
    tol = 1e-6 if dtype == "float32" else 1e-13
    for a, b in ((outs[0], outs[1]), (grads[0], grads[1])):
        np.testing.assert_allclose(a, b, rtol=tol, atol=0, equal_nan=True)
        finite_or_inf = ~np.isnan(b)
        np.testing.assert_array_equal(np.signbit(a[finite_or_inf]), np.signbit(b[finite_or_inf]))


@pytest.mark.parametrize("slope", [0.01, 0.0, -0.3, 1.5])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_leaky_relu_at_nan_inf_and_signed_zero_matches_pytorch(dtype, slope):
    """leaky_relu is PyTorch's `x > 0 ? x : x * slope` and its gradient `x > 0 ? g : g *
    slope`, on the kernel (contiguous float32/float64), a strided view and float16."""
    x0 = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -3.0, 1e-30] * 3, dtype=dtype)
    weights = np.linspace(0.5, 1.5, x0.size).astype(dtype)
    for view in (lambda a: a, lambda a: a[::2]):
        results = []
        for lib in (tl, torch):
            x = lib.tensor(x0.copy(), requires_grad=True)
            y = lib.nn.functional.leaky_relu(view(x), slope)
            (gx,) = lib.autograd.grad((y * view(lib.tensor(weights))).sum(), x)
            results.append((y.detach().numpy(), gx.numpy()))
        for ours, theirs in zip(*results):
            # float16: PyTorch multiplies by the slope in float32, numpy in float16 (an ulp)
            tol = 1e-3 if dtype == "float16" else 0
            np.testing.assert_allclose(ours, theirs, rtol=tol, atol=0, equal_nan=True)
            np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


@pytest.mark.parametrize("output_size", [1, 3, (2, 5), 7])
def test_adaptive_avg_pool_keeps_nan_and_inf_in_their_windows_as_pytorch(output_size):
    """The pool runs as products with averaging matrices, where 0 * inf would spread a NaN
    over every output: a non-finite input (or gradient) takes the windows one by one."""
    x0 = np.random.default_rng(0).standard_normal((2, 3, 7, 7)).astype(np.float32)
    x0[0, 0, 1, 1], x0[1, 2, 5, 6], x0[0, 1, 3, 0] = np.nan, np.inf, -np.inf
    results = []
    for lib in (tl, torch):
        x = lib.tensor(x0.copy(), requires_grad=True)
        y = lib.nn.functional.adaptive_avg_pool2d(x, output_size)
        g = np.ones(tuple(y.shape), np.float32)
        g.reshape(-1)[::5] = np.inf  # a non-finite gradient too
        (gx,) = lib.autograd.grad(y, x, lib.tensor(g))
        results.append((y.detach().numpy(), gx.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_float32_erf_within_two_ulp_of_the_exact_value():
    """float32 erf is Eigen's rational approximation (kernels/special.py): within 2 units
    in the last place of math.erf over [-6, 6], NaN, infinities and -0.0 as math.erf, and
    PyTorch's values within that."""
    x = np.concatenate([np.linspace(-6, 6, 200_001), [np.nan, np.inf, -np.inf, 0.0, -0.0,
                                                      1e-30, -1e-38]]).astype(np.float32)
    ours = tl.tensor(x).erf().numpy()
    exact = np.array([math.erf(float(v)) for v in x])
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(exact))
    keep = ~np.isnan(exact)
    ulps = np.abs(ours[keep] - exact[keep]) / np.spacing(np.abs(exact[keep]).astype(np.float32))
    assert ulps.max() <= 2
    np.testing.assert_array_equal(np.signbit(ours[keep]), np.signbit(exact[keep]))
    np.testing.assert_allclose(ours, torch.erf(torch.tensor(x)).numpy(), rtol=3e-7, atol=0,
                               equal_nan=True)

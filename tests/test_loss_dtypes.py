"""Losses follow PyTorch's dtype rules for their targets (issue 16 item 5): every loss of
nn.functional that PyTorch has, for a float32 or float64 input and an int64, int32, bool,
float32 or float64 target, run in both libraries. Where PyTorch raises, tinygrad_lr raises
a TypeError naming the loss and both dtypes; where PyTorch computes, the loss has PyTorch's
dtype and value, and the input's gradient has the input's dtype.
"""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as TF

torch = pytest.importorskip("torch")

N, C = 4, 3
RNG = np.random.default_rng(0)
INPUT = RNG.uniform(0.1, 0.9, (N, C))  # probabilities, logits and rates alike
TARGETS = {  # target values, converted to each dtype (all valid for every dtype)
    "same": RNG.integers(0, 2, (N, C)), "classes": RNG.integers(0, C, (N,)),
    "probs": RNG.dirichlet(np.ones(C), N), "pairs": RNG.integers(0, 2, (N,)),
}

# name -> (kind of target, f(F, lib, input, target))
LOSSES = {
    "mse_loss": ("same", lambda F, lib, x, t: F.mse_loss(x, t)),
    "l1_loss": ("same", lambda F, lib, x, t: F.l1_loss(x, t)),
    "huber_loss": ("same", lambda F, lib, x, t: F.huber_loss(x, t)),
    "smooth_l1_loss": ("same", lambda F, lib, x, t: F.smooth_l1_loss(x, t)),
    "smooth_l1_loss(sum)": ("same", lambda F, lib, x, t: F.smooth_l1_loss(x, t,
                                                                          reduction="sum")),
    "binary_cross_entropy": ("same", lambda F, lib, x, t: F.binary_cross_entropy(x, t)),
    "binary_cross_entropy_with_logits": (
        "same", lambda F, lib, x, t: F.binary_cross_entropy_with_logits(x, t)),
    "cross_entropy(indices)": ("classes", lambda F, lib, x, t: F.cross_entropy(x, t)),
    "cross_entropy(probabilities)": ("probs", lambda F, lib, x, t: F.cross_entropy(x, t)),
    "nll_loss": ("classes", lambda F, lib, x, t: F.nll_loss(x, t)),
    "kl_div": ("probs", lambda F, lib, x, t: F.kl_div(x, t, reduction="batchmean")),
    "poisson_nll_loss": ("same", lambda F, lib, x, t: F.poisson_nll_loss(x, t)),
    "gaussian_nll_loss": ("same", lambda F, lib, x, t: F.gaussian_nll_loss(
        x, t, lib.ones(N, C, dtype=x.dtype))),
    "hinge_embedding_loss": ("same", lambda F, lib, x, t: F.hinge_embedding_loss(x, t)),
    "soft_margin_loss": ("same", lambda F, lib, x, t: F.soft_margin_loss(x, t)),
    "multi_margin_loss": ("classes", lambda F, lib, x, t: F.multi_margin_loss(x, t)),
    "margin_ranking_loss": ("same", lambda F, lib, x, t: F.margin_ranking_loss(
        x, x.detach() * 0.5, t)),
    "cosine_embedding_loss": ("pairs", lambda F, lib, x, t: F.cosine_embedding_loss(
        x, x.detach() * 0.5 + 0.1, t)),
}
INPUT_DTYPES = ("float32", "float64")
TARGET_DTYPES = ("int64", "int32", "bool", "float32", "float64")
CASES = [(loss, xd, td) for loss in LOSSES for xd in INPUT_DTYPES for td in TARGET_DTYPES]


def run(lib, F, loss, input_dtype, target_dtype):
    """(loss tensor, input tensor after backward) or the exception raised."""
    kind, fn = LOSSES[loss]
    x = lib.tensor(INPUT, dtype=getattr(lib, input_dtype), requires_grad=True)
    t = lib.tensor(TARGETS[kind]).to(getattr(lib, target_dtype))
    try:
        out = fn(F, lib, x, t)
        out.backward()
    except (RuntimeError, TypeError, ValueError) as e:
        return e
    return out, x


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


@pytest.mark.parametrize("loss,input_dtype,target_dtype", CASES)
def test_loss_dtypes_as_pytorch(loss, input_dtype, target_dtype):
    ref = run(torch, torch.nn.functional, loss, input_dtype, target_dtype)
    ours = run(tl, TF, loss, input_dtype, target_dtype)
    if isinstance(ref, Exception):
        assert isinstance(ours, TypeError), f"PyTorch raises ({ref}), tinygrad_lr: {ours!r}"
        message = str(ours)
        assert loss.split("(")[0] in message and input_dtype in message \
            and target_dtype in message, message
        return
    assert not isinstance(ours, Exception), f"PyTorch computes it, tinygrad_lr raises {ours!r}"
    (ref_out, ref_x), (out, x) = ref, ours
    assert dtype_name(out.dtype) == dtype_name(ref_out.dtype)
    assert dtype_name(x.grad.dtype) == input_dtype
    # float32 anywhere (PyTorch may compute a float32 target's terms in float32)
    tol = 1e-5 if "float32" in (dtype_name(ref_out.dtype), input_dtype, target_dtype) else 1e-10
    np.testing.assert_allclose(out.item(), ref_out.item(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), ref_x.grad.numpy(), rtol=tol * 10, atol=tol)


def test_every_case_is_run():
    assert len(CASES) == len(LOSSES) * 2 * 5 == 180


def test_non_tensor_targets_take_the_input_dtype():
    x = tl.tensor(INPUT, dtype=tl.float32, requires_grad=True)
    assert TF.mse_loss(x, INPUT.tolist()).dtype == np.float32  # a list of Python floats
    assert TF.mse_loss(x, INPUT).dtype == np.float32           # a float64 numpy array
    assert TF.cross_entropy(x, [0, 1, 2, 0]).dtype == np.float32
    assert TF.cross_entropy(x, np.array([0, 1, 2, 0], np.int32)).dtype == np.float32


@pytest.mark.parametrize("module,target_dtype,dtype", [
    ("MSELoss", "int64", "float32"), ("SmoothL1Loss", "bool", "float32"),
    ("L1Loss", "float64", "float64"), ("PoissonNLLLoss", "int32", "float32"),
    ("BCELoss", "int64", None), ("HuberLoss", "float64", None), ("KLDivLoss", "int64", None)])
def test_loss_modules_follow_the_same_rules(module, target_dtype, dtype):
    x = tl.tensor(INPUT, dtype=tl.float32, requires_grad=True)
    t = tl.tensor(TARGETS["same"]).to(getattr(tl, target_dtype))
    loss = getattr(tl.nn, module)()
    if dtype is None:
        with pytest.raises(TypeError, match=f"target of dtype {target_dtype} with input of "
                                            "dtype float32"):
            loss(x, t)
        return
    out = loss(x, t)
    out.backward()
    assert out.dtype == np.dtype(dtype) and x.grad.dtype == np.float32

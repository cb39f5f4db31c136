"""Losses against torch (float64, every reduction, value and gradients, gradcheck) by
tests/oracle.py's check_loss: PyTorch's losses against torch.nn.functional and the module
forms against torch.nn, the losses PyTorch lacks against their formulas written out in
torch ops; gradgradcheck, logits of +-1000, non-contiguous inputs, error messages.

A loss is one line of TORCH_CASES: its inputs are numpy arrays (floats become tensors,
integers class indices), `grad` lists the inputs whose gradient is compared and
gradchecked (default: every float input), the rest are the loss's own options.
"""
import math

import numpy as np
import pytest
import strategies as S
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import check_loss, copy_like, with_reduction

import tinygrad_lr as tl
import tinygrad_lr.nn.functional as F
from tinygrad_lr import nn
from tinygrad_lr.autograd import gradgradcheck

RNG = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def randn(*shape):
    return RNG.standard_normal(shape)


def uniform(lo, hi, *shape):
    return RNG.uniform(lo, hi, shape)


def signs(*shape):
    return RNG.choice([-1.0, 1.0], size=shape)


def classes(n, *shape):
    return RNG.integers(0, n, size=shape)


def log_probs(*shape):
    x = randn(*shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def probs(*shape):
    return np.exp(log_probs(*shape))


def case(name, ours, theirs, inputs, reductions=REDUCTIONS, **options):
    """One pytest.param per reduction: (ours, torch's, inputs, reduction, options)."""
    return [pytest.param(ours, theirs, inputs, r, options, id=f"{name}-{r}") for r in reductions]


W3 = np.array([0.5, 2.0, 1.5])
TORCH_CASES = [param for params in [
    case("mse", F.mse_loss, TF.mse_loss, [randn(4, 3), randn(4, 3)], grad=(0, 1)),
    case("l1", F.l1_loss, TF.l1_loss, [randn(4, 3), randn(4, 3)], grad=(0, 1)),
    case("huber", F.huber_loss, TF.huber_loss, [randn(6) * 2, randn(6)], grad=(0, 1), delta=0.7),
    case("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss, [randn(6) * 2, randn(6)],
         grad=(0, 1), beta=0.5),
    case("smooth_l1_beta0", F.smooth_l1_loss, TF.smooth_l1_loss, [randn(5), randn(5)], beta=0.0),
    case("bce", F.binary_cross_entropy, TF.binary_cross_entropy,
         [uniform(0.05, 0.95, 4, 3), uniform(0, 1, 4, 3)], grad=(0, 1)),
    case("bce_weight", F.binary_cross_entropy, TF.binary_cross_entropy,
         [uniform(0.05, 0.95, 4, 3), uniform(0, 1, 4, 3)], weight=tl.Tensor(W3)),
    case("bce_logits", F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
         [randn(4, 3) * 3, uniform(0, 1, 4, 3)], grad=(0, 1)),
    case("bce_logits_pos_weight_weight", F.binary_cross_entropy_with_logits,
         TF.binary_cross_entropy_with_logits, [randn(4, 3) * 3, uniform(0, 1, 4, 3)],
         grad=(0, 1), pos_weight=tl.Tensor(W3), weight=tl.Tensor(W3[::-1].copy())),
    case("cross_entropy", F.cross_entropy, TF.cross_entropy, [randn(5, 4), classes(4, 5)]),
    case("cross_entropy_weight_ignore_smoothing", F.cross_entropy, TF.cross_entropy,
         [randn(6, 3), np.array([0, 2, -100, 1, 2, 0])], weight=W3, ignore_index=-100,
         label_smoothing=0.2),
    case("cross_entropy_ignore_index_1", F.cross_entropy, TF.cross_entropy,
         [randn(5, 3), np.array([0, 1, 1, 2, 0])], ignore_index=1),
    case("cross_entropy_spatial", F.cross_entropy, TF.cross_entropy,
         [randn(2, 3, 2, 2), classes(3, 2, 2, 2)], weight=W3, label_smoothing=0.1),
    case("cross_entropy_sequence_ignore", F.cross_entropy, TF.cross_entropy,  # (N, C, L)
         [randn(2, 3, 5), np.array([[0, 2, -100, 1, 2], [1, 1, 0, -100, 2]])]),
    case("cross_entropy_wide_rows", F.cross_entropy, TF.cross_entropy,  # 70 classes: past row_max's lanes
         [randn(4, 70), np.array([3, -100, 69, 0])], weight=uniform(0.5, 2, 70),
         label_smoothing=0.2),
    case("cross_entropy_unbatched", F.cross_entropy, TF.cross_entropy,
         [randn(4), np.array(2)]),
    case("cross_entropy_probabilities", F.cross_entropy, TF.cross_entropy,
         [randn(4, 3), probs(4, 3)], grad=(0, 1)),
    case("cross_entropy_probabilities_weight_smoothing", F.cross_entropy, TF.cross_entropy,
         [randn(4, 3), probs(4, 3)], grad=(0, 1), weight=W3, label_smoothing=0.3),
    case("cross_entropy_probabilities_spatial", F.cross_entropy, TF.cross_entropy,
         [randn(2, 3, 2), np.moveaxis(probs(2, 2, 3), -1, 1).copy()], grad=(0, 1)),
    case("nll", F.nll_loss, TF.nll_loss, [log_probs(5, 4), classes(4, 5)]),
    case("nll_weight_ignore", F.nll_loss, TF.nll_loss,
         [log_probs(5, 3), np.array([0, 2, 1, 7, 2])], weight=W3, ignore_index=7),
    case("nll_unbatched", F.nll_loss, TF.nll_loss, [log_probs(4), np.array(1)]),
    case("nll_spatial", F.nll_loss, TF.nll_loss,
         [np.moveaxis(log_probs(2, 2, 2, 3), -1, 1).copy(), classes(3, 2, 2, 2)], weight=W3),
    case("kl_div", F.kl_div, TF.kl_div, [log_probs(3, 4), probs(3, 4)], grad=(0, 1),
         reductions=REDUCTIONS + ["batchmean"]),
    case("kl_div_log_target", F.kl_div, TF.kl_div, [log_probs(3, 4), log_probs(3, 4)],
         grad=(0, 1), reductions=REDUCTIONS + ["batchmean"], log_target=True),
    case("hinge_embedding", F.hinge_embedding_loss, TF.hinge_embedding_loss,
         [randn(4, 3), signs(4, 3)], margin=0.8),
    case("margin_ranking", F.margin_ranking_loss, TF.margin_ranking_loss,
         [randn(6), randn(6), signs(6)], grad=(0, 1), margin=0.3),
    case("multi_margin", F.multi_margin_loss, TF.multi_margin_loss,
         [randn(5, 4), classes(4, 5)]),
    case("multi_margin_p2_weight", F.multi_margin_loss, TF.multi_margin_loss,
         [randn(5, 3), classes(3, 5)], p=2, margin=0.7, weight=tl.Tensor(W3)),
    case("soft_margin", F.soft_margin_loss, TF.soft_margin_loss, [randn(4, 3) * 3, signs(4, 3)],
         grad=(0,)),  # torch refuses a target that requires grad here
    case("cosine_embedding", F.cosine_embedding_loss, TF.cosine_embedding_loss,
         [randn(6, 4), randn(6, 4), signs(6)], grad=(0, 1), margin=0.2),
    case("triplet_margin", F.triplet_margin_loss, TF.triplet_margin_loss,
         [randn(5, 4), randn(5, 4), randn(5, 4)], grad=(0, 1, 2), margin=1.5),
    case("triplet_margin_p1_swap", F.triplet_margin_loss, TF.triplet_margin_loss,
         [randn(5, 4), randn(5, 4), randn(5, 4)], grad=(0, 1, 2), p=1, swap=True),
    case("gaussian_nll", F.gaussian_nll_loss, TF.gaussian_nll_loss,
         [randn(4, 3), randn(4, 3), uniform(0.5, 2, 4, 3)], grad=(0, 1, 2)),
    case("gaussian_nll_full_one_var_per_sample", F.gaussian_nll_loss, TF.gaussian_nll_loss,
         [randn(4, 3), randn(4, 3), uniform(0.5, 2, 4)], grad=(0, 1, 2), full=True),
    case("gaussian_nll_var_below_eps", F.gaussian_nll_loss, TF.gaussian_nll_loss,
         [randn(4, 1), randn(4, 1), np.array([[1e-4], [0.5], [2e-4], [2.0]])], grad=(0, 1, 2),
         eps=1e-3, grad_check=(0, 1)),  # var's gradient passes the clamp: not a derivative
    case("poisson_nll", F.poisson_nll_loss, TF.poisson_nll_loss,
         [randn(4, 3), RNG.poisson(2.0, (4, 3)).astype(float)], grad=(0, 1)),
    case("poisson_nll_rate_full", F.poisson_nll_loss, TF.poisson_nll_loss,
         [uniform(0.5, 3, 4, 3), RNG.poisson(2.0, (4, 3)).astype(float)], grad=(0,),
         log_input=False, full=True),
] for param in params]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's kl_div notice
@pytest.mark.parametrize("ours,theirs,inputs,reduction,options", TORCH_CASES)
def test_against_torch(ours, theirs, inputs, reduction, options):
    check_loss(ours, inputs, theirs, reduction=reduction, **options)


# ---------------------------------------------------------------- losses PyTorch lacks
# each one's formula (what reduction='none' gives) written out in torch ops
def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    """torchvision.ops.sigmoid_focal_loss (reduction='none'), as torchvision writes it."""
    p = torch.sigmoid(inputs)
    ce_loss = TF.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


def softmax_focal_loss(x, t, alpha=0.25, gamma=2.0):
    """Lin et al.'s focal loss over a softmax: -alpha_t (1 - p_t)^gamma log p_t."""
    logp_t = x.log_softmax(1).gather(1, t[:, None])[:, 0]
    a = alpha if np.isscalar(alpha) else torch.tensor(alpha, dtype=x.dtype)[t]
    return -a * (1 - logp_t.exp()) ** gamma * logp_t


def focal_loss(x, t, alpha=0.25, gamma=2.0):
    """F.focal_loss: binary from float targets, multi-class from class indices."""
    loss = sigmoid_focal_loss if t.dtype.is_floating_point else softmax_focal_loss
    return loss(x, t, alpha, gamma)


def contrastive_loss(x1, x2, y, margin=1.0):
    d = ((x1 - x2) ** 2).sum(-1).sqrt()
    return 0.5 * (y * d ** 2 + (1 - y) * (margin - d).clamp(min=0) ** 2)


def hinge_loss(f, y, squared=False):
    loss = (1 - y * f).clamp(min=0)
    return loss ** 2 if squared else loss


FORMULA_CASES = [param for params in [
    case("hinge", F.hinge_loss, with_reduction(hinge_loss), [randn(4, 3), signs(4, 3)],
         grad=(0,)),
    case("hinge_squared", F.hinge_loss, with_reduction(hinge_loss), [randn(4, 3), signs(4, 3)],
         grad=(0,), squared=True),
    case("perceptron", F.perceptron_loss, with_reduction(lambda f, y: (-y * f).clamp(min=0)),
         [randn(8), signs(8)], grad=(0,)),
    case("focal_binary", F.focal_loss, with_reduction(focal_loss),
         [randn(4, 3) * 2, RNG.integers(0, 2, (4, 3)).astype(float)], grad=(0,)),
    case("focal_binary_soft_targets_no_alpha", F.sigmoid_focal_loss,
         with_reduction(sigmoid_focal_loss), [randn(6) * 2, uniform(0, 1, 6)], grad=(0, 1),
         alpha=-1, gamma=1.5),
    case("focal_multiclass", F.focal_loss, with_reduction(focal_loss),
         [randn(5, 4) * 2, classes(4, 5)]),
    case("focal_multiclass_class_alpha", F.focal_loss, with_reduction(focal_loss),
         [randn(5, 3), classes(3, 5)], alpha=[0.2, 0.3, 0.5], gamma=3.0),
    case("contrastive", F.contrastive_loss, with_reduction(contrastive_loss),
         [randn(6, 3), randn(6, 3), np.array([1.0, 0, 1, 0, 0, 1])], grad=(0, 1), margin=2.0),
    case("log_cosh", F.log_cosh_loss, with_reduction(lambda x, y: torch.log(torch.cosh(x - y))),
         [randn(4, 3) * 3, randn(4, 3)], grad=(0, 1)),
    case("quantile_0.9", F.quantile_loss,
         with_reduction(lambda f, y, q: torch.where(y - f >= 0, q * (y - f), (q - 1) * (y - f))),
         [randn(8), randn(8)], grad=(0, 1), q=0.9),
    case("welsch", F.welsch_loss,
         with_reduction(lambda f, y, sigma: 1 - torch.exp(-(f - y) ** 2 / (2 * sigma ** 2))),
         [randn(8), randn(8)], grad=(0, 1), sigma=0.7),
] for param in params]


@pytest.mark.parametrize("ours,theirs,inputs,reduction,options", FORMULA_CASES)
def test_against_formula(ours, theirs, inputs, reduction, options):
    check_loss(ours, inputs, theirs, reduction=reduction, **options)


def test_focal_with_gamma_0_alpha_1_is_cross_entropy():
    x, t = randn(5, 4), classes(4, 5)
    np.testing.assert_allclose(F.focal_loss(tl.Tensor(x), tl.Tensor(t), alpha=1.0, gamma=0).numpy(),
                               F.cross_entropy(tl.Tensor(x), tl.Tensor(t)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("loss", [F.huber_loss, F.smooth_l1_loss, F.mse_loss])
def test_regression_losses_keep_float32(loss):
    x = tl.Tensor(randn(4, 3).astype(np.float32), requires_grad=True)
    out = loss(x, tl.Tensor(randn(4, 3).astype(np.float32)))
    out.backward()
    assert out.dtype == x.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes", [[(40, 60), (40, 60)], [(3, 2500), (3, 2500)]])
def test_mse_at_the_sizes_of_its_one_pass_sum(shapes, dtype):
    """kernels/reduce.squared_difference_sum runs from SUM_MIN elements: torch's values."""
    check_loss(F.mse_loss, shapes, dtype=dtype, grad_check=False)


def test_huber_is_scaled_smooth_l1():
    x, y = tl.Tensor(randn(10) * 3), tl.Tensor(randn(10))
    np.testing.assert_allclose(F.huber_loss(x, y, delta=0.5).numpy(),
                               0.5 * F.smooth_l1_loss(x, y, beta=0.5).numpy(), rtol=1e-12)


def test_zero_one_loss_counts_errors_and_refuses_backward():
    scores = tl.Tensor(np.array([[2.0, 1, 0], [0, 1, 3], [1, 0, 0], [0, 5, 1]]), requires_grad=True)
    target = np.array([0, 1, 0, 1])  # row 1 predicts class 2: one mistake of four
    loss = F.zero_one_loss(scores, target)
    assert loss.item() == 0.25
    assert F.zero_one_loss(scores, target, reduction="sum").item() == 1
    np.testing.assert_array_equal(F.zero_one_loss(scores, target, reduction="none").numpy(),
                                  [0, 1, 0, 0])
    margins = tl.Tensor(np.array([0.5, -2.0, 3.0]))
    assert F.zero_one_loss(margins, np.array([1.0, 1, -1])).item() == pytest.approx(2 / 3)
    assert F.zero_one_loss(margins, np.array([1, 0, 1])).item() == 0
    with pytest.raises(RuntimeError, match="not differentiable.*hinge_loss"):
        loss.backward()
    assert repr(nn.ZeroOneLoss()) == "ZeroOneLoss()"


def test_penalties():
    a, b = tl.Tensor(randn(3, 2), requires_grad=True), tl.Tensor(randn(4), requires_grad=True)
    l1 = F.l1_penalty([a, b])
    l2 = F.l2_penalty(iter([a, b]))
    assert l1.item() == pytest.approx(np.abs(a.numpy()).sum() + np.abs(b.numpy()).sum())
    assert l2.item() == pytest.approx((a.numpy() ** 2).sum() + (b.numpy() ** 2).sum())
    l2.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.numpy())  # no factor 1/2
    model = nn.Linear(3, 2)
    assert F.l2_penalty(model.parameters()).item() == pytest.approx(
        sum((p.numpy().astype(np.float64) ** 2).sum() for p in model.parameters()), rel=1e-5)


# ---------------------------------------------------------------- second derivatives
@pytest.mark.parametrize("loss,inputs,kwargs", [
    (F.mse_loss, [randn(3, 2), randn(3, 2)], {}),
    (F.cross_entropy, [randn(3, 4), classes(4, 3)], {}),
    (F.cross_entropy, [randn(4, 3), np.array([0, 2, 1, 1])],
     {"weight": W3, "label_smoothing": 0.2, "ignore_index": 1, "reduction": "sum"}),
    (F.cross_entropy, [randn(3, 3), classes(3, 3)], {"reduction": "none"}),
    # classes along axis 1 of images: the fused node's create_graph path through the rows
    (F.cross_entropy, [randn(2, 3, 2, 2), classes(3, 2, 2, 2)],
     {"weight": W3, "label_smoothing": 0.1}),
    (F.cross_entropy, [randn(2, 3, 4), classes(3, 2, 4)], {"reduction": "none"}),
    (F.binary_cross_entropy_with_logits, [randn(3, 2), uniform(0, 1, 3, 2)], {}),
    (F.focal_loss, [randn(3, 4), classes(4, 3)], {}),
    (F.binary_cross_entropy, [uniform(0.1, 0.9, 3, 2), uniform(0, 1, 3, 2)], {}),
    # residuals of about 0.3 and 3: both sides of the kink, none at it
    (F.huber_loss, [np.array([[0.3, -3.0], [3.1, -0.2]]), np.zeros((2, 2))], {"delta": 1.0}),
    (F.smooth_l1_loss, [np.array([[0.3, -3.0], [3.1, -0.2]]), np.zeros((2, 2))],
     {"beta": 0.5, "reduction": "sum"}),
], ids=["mse", "cross_entropy", "cross_entropy_options", "cross_entropy_none",
        "cross_entropy_spatial", "cross_entropy_sequence_none", "bce_logits", "focal", "bce",
        "huber", "smooth_l1"])
def test_gradgradcheck(loss, inputs, kwargs):
    target = tl.Tensor(inputs[1])
    x = tl.Tensor(inputs[0].copy(), requires_grad=True)
    assert gradgradcheck(lambda x: loss(x, target, **kwargs), [x])


def test_gradgradcheck_bce_logits_input_and_target_with_weights():
    x = tl.Tensor(randn(3, 2), requires_grad=True)
    y = tl.Tensor(uniform(0, 1, 3, 2), requires_grad=True)
    assert gradgradcheck(lambda x, y: F.binary_cross_entropy_with_logits(
        x, y, weight=[0.5, 2.0], pos_weight=[3.0, 0.5], reduction="sum"), [x, y])


def test_cross_entropy_hessian_matches_torch():
    x, t = randn(2, 3), classes(3, 2)
    ours = tl.autograd.hessian(lambda z: F.cross_entropy(z, tl.Tensor(t), label_smoothing=0.1),
                               tl.Tensor(x))
    theirs = torch.autograd.functional.hessian(
        lambda z: TF.cross_entropy(z, torch.tensor(t), label_smoothing=0.1), torch.tensor(x))
    np.testing.assert_allclose(np.asarray(ours.numpy()), theirs.numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- logits of +-1000
BIG = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.0, 0.0, -1000.0]])


BINARY_TARGET = np.array([[1.0, 1, 0], [0, 1, 0], [1, 0, 1]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ours,theirs,target,options", [
    (F.cross_entropy, TF.cross_entropy, np.array([1, 2, 2]), {}),
    (F.cross_entropy, TF.cross_entropy, np.array([1, 2, 0]), {"label_smoothing": 0.1}),
    (F.cross_entropy, TF.cross_entropy, np.array([[0.5, 0.5, 0], [0, 0, 1], [0.2, 0.3, 0.5]]),
     {}),
    (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, BINARY_TARGET, {}),
    (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, BINARY_TARGET,
     {"pos_weight": tl.Tensor([2.0, 1, 3])}),
], ids=["cross_entropy", "cross_entropy_smoothing", "cross_entropy_probabilities",
        "bce_logits", "bce_logits_pos_weight"])
def test_extreme_logits_match_torch(ours, theirs, target, options, dtype):
    # finite and equal to torch's (which is finite here), value and gradient
    tol = 1e-5 if dtype == "float32" else 1e-12
    check_loss(ours, [BIG, target], theirs, reduction="mean", grad=(0,), grad_check=False,
               dtype=dtype, rtol=tol, atol=tol, **options)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_of_saturated_probabilities_matches_torch(dtype):
    # a float32 sigmoid is exactly 1.0 from x = 17 on: log(0) terms must not make NaN
    x = np.array([0.0, 1.0, 0.3, 1.0, 0.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.5])
    # the gradient at x = 0 or 1 divides by torch's clamp eps = 1e-12: rtol 1e-8 in float64
    check_loss(F.binary_cross_entropy, [x, y], grad=(0,), grad_check=False, dtype=dtype,
               rtol=1e-6 if dtype == "float32" else 1e-8, atol=0)


def test_extreme_logits_soft_margin_is_finite():
    # torch.nn.functional.soft_margin_loss overflows to inf here; ours uses softplus
    y = np.array([[1.0, 1, -1], [-1, 1, -1], [1, -1, 1]])
    x = tl.Tensor(BIG, requires_grad=True)
    loss = F.soft_margin_loss(x, y)
    loss.backward()
    expected = TF.softplus(torch.tensor(-y * BIG)).mean().item()
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), -y / (1 + np.exp(np.clip(y * BIG, -700, 700))) / 9,
                               atol=1e-15)


def test_extreme_logits_focal_loss():
    # torchvision's formula stays finite at +-1000; ours gives its value and gradient
    check_loss(F.focal_loss, [BIG, BINARY_TARGET], with_reduction(focal_loss), grad=(0,),
               grad_check=False, rtol=1e-12)
    check_loss(F.focal_loss, [BIG, np.array([1, 2, 2])], with_reduction(focal_loss),
               grad_check=False, rtol=1e-12)
    x = tl.Tensor(BIG, requires_grad=True)
    multi = F.focal_loss(x, np.array([1, 2, 2]), reduction="none")
    assert multi.numpy()[0] == 0.25 * 2000  # p_t = e^-2000: the loss is alpha * 2000, finite
    multi.sum().backward()
    # row 0 is cross-entropy scaled by alpha: alpha * (softmax - onehot) = 0.25 * (1, -1, 0)
    np.testing.assert_allclose(x.grad.numpy()[0], [0.25, -0.25, 0], atol=1e-12)


# ---------------------------------------------------------------- the cross-entropy kernel
def test_cross_entropy_float32_stays_float32_and_matches_composite():
    x32 = randn(64, 10).astype(np.float32)
    t = classes(10, 64)
    x = tl.Tensor(x32, requires_grad=True)
    loss = F.cross_entropy(x, t)
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32
    composite = tl.Tensor(x32, requires_grad=True)
    ref = -composite.log_softmax(1).gather(1, t[:, None]).mean()
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), composite.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x, t = randn(2, 3), np.array([-100, -100])
    assert np.isnan(F.cross_entropy(tl.Tensor(x), t).item())
    assert math.isnan(TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item())
    assert F.cross_entropy(tl.Tensor(x), t, reduction="sum").item() == 0


# ---------------------------------------------------------------- errors
def T(*shape):
    return tl.Tensor(randn(*shape))


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.cross_entropy(T(4, 3), np.array([0, 1, 2, 0, 1])), ValueError,
     r"cross_entropy: input of shape \(4, 3\).*\(4,\).*got \(5,\)"),
    (lambda: F.cross_entropy(T(4, 3), np.array([0, 1, 7, 0])), IndexError,
     r"cross_entropy: target contains class index 7, but the input has 3 classes"),
    (lambda: F.cross_entropy(T(4, 3), np.array([0, 1, -1, 0])), IndexError,
     r"class index -1.*valid: 0\.\.2, or ignore_index=-100"),
    (lambda: F.cross_entropy(T(2, 3), probs(2, 4)), ValueError, r"class probabilities of shape"),
    (lambda: F.cross_entropy(T(2, 3), np.array([0, 1]), weight=[1.0, 2.0]), ValueError,
     r"cross_entropy: weight must have one entry per class, shape \(3,\), got \(2,\)"),
    (lambda: F.cross_entropy(T(2, 3), np.array([0, 1]), label_smoothing=1.5), ValueError,
     "label_smoothing must be in"),
    (lambda: F.nll_loss(T(4, 3), np.array([0, 3, 1, 1])), IndexError, r"nll_loss: .*index 3"),
    (lambda: F.focal_loss(T(2, 3), np.array([0, 1]), alpha=[0.5, 0.5]), ValueError,
     r"focal_loss: alpha must have one entry per class, shape \(3,\), got \(2,\)"),
    (lambda: F.focal_loss(T(4, 3), np.array([0, 3, 1, 1])), IndexError, r"focal_loss: .*index 3"),
    (lambda: F.multi_margin_loss(T(2, 3), np.array([0.0, 1.0])), TypeError,
     r"multi_margin_loss: target of dtype float64 with input of dtype float64: class indices "
     "must be int64"),
    (lambda: F.binary_cross_entropy(tl.Tensor([0.2, 1.3]), tl.Tensor([0.0, 1.0])), ValueError,
     r"binary_cross_entropy: input must contain probabilities in \[0, 1\], got values from "
     r"0.2 to 1.3 \(for raw scores use binary_cross_entropy_with_logits\)"),
    (lambda: F.binary_cross_entropy(tl.Tensor([0.2, 0.3]), tl.Tensor([-1.0, 1.0])), ValueError,
     r"binary_cross_entropy: target must contain probabilities"),
    # NaN is outside [0, 1] too (PyTorch raises), not a silent NaN loss
    (lambda: F.binary_cross_entropy(tl.Tensor([0.2, 0.3]), tl.Tensor([np.nan, 1.0])), ValueError,
     r"binary_cross_entropy: target must contain probabilities in \[0, 1\], got NaN"),
    (lambda: F.binary_cross_entropy(tl.Tensor([np.nan, 0.3]), tl.Tensor([0.0, 1.0])), ValueError,
     r"binary_cross_entropy: input must contain probabilities in \[0, 1\], got NaN"),
    (lambda: F.huber_loss(tl.tensor([1, 2]), tl.tensor([1, 1])), TypeError,
     r"huber_loss: target of dtype int64 with input of dtype int64: the target must be "
     r"floating point"),
    (lambda: F.gaussian_nll_loss(T(3), T(3), tl.Tensor([1.0, -0.5, 2.0])), ValueError,
     r"gaussian_nll_loss: var must be non-negative, got a minimum of -0.5"),
    (lambda: F.gaussian_nll_loss(T(3, 2), T(3, 2), T(2)), ValueError,
     r"gaussian_nll_loss: var of shape \(2,\)"),
    (lambda: F.mse_loss(T(4, 3), T(4, 3), reduction="avg"), ValueError,
     r"mse_loss: reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    (lambda: F.kl_div(T(4, 3), T(4, 3), reduction="average"), ValueError, r"'batchmean'"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError,
     r"CrossEntropyLoss: reduction must be one of"),
    (lambda: F.mse_loss(T(4, 1), T(4)), ValueError,
     r"mse_loss: input of shape \(4, 1\) and target of shape \(4,\) must have the same shape"),
    (lambda: F.hinge_loss(T(3), tl.Tensor([1.0, 0.0, -1.0])), ValueError,
     r"hinge_loss: target must contain only labels \[-1, 1\], got \[0.0\]"),
    (lambda: F.perceptron_loss(T(2), tl.Tensor([1.0, 2.0])), ValueError,
     r"perceptron_loss: target must contain only labels \[-1, 1\], got \[2.0\]"),
    (lambda: F.contrastive_loss(T(2, 3), T(2, 3), tl.Tensor([1.0, -1.0])), ValueError,
     r"contrastive_loss: target must contain only labels \[0, 1\]"),
    (lambda: F.contrastive_loss(T(2, 3), T(2, 3), tl.Tensor([1.0, 0, 1])), ValueError,
     r"contrastive_loss: target must have shape \(2,\)"),
    (lambda: F.quantile_loss(T(2), T(2), q=1.5), ValueError, r"quantile_loss: q must be in"),
    (lambda: F.triplet_margin_loss(T(2, 3), T(2, 3), T(3, 3)), ValueError,
     r"triplet_margin_loss: input of shape \(2, 3\) and negative of shape \(3, 3\)"),
    (lambda: F.zero_one_loss(T(3), tl.Tensor([2.0, 1, 0])), ValueError, "labels in"),
    (lambda: F.l2_penalty([]), ValueError, "l2_penalty: got no parameters"),
    (lambda: F.binary_cross_entropy_with_logits(T(4, 3), T(4, 3), pos_weight=[1.0, 2.0]),
     ValueError, r"binary_cross_entropy_with_logits: pos_weight of shape \(2,\) does not "
                 r"broadcast to the input's shape \(4, 3\)"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- module forms
@pytest.mark.parametrize("module,expected", [
    (nn.MSELoss(), "MSELoss()"),
    (nn.L1Loss(reduction="sum"), "L1Loss(reduction='sum')"),
    (nn.HuberLoss(delta=2.0), "HuberLoss(delta=2.0)"),
    (nn.SmoothL1Loss(beta=0.5, reduction="none"), "SmoothL1Loss(beta=0.5, reduction='none')"),
    (nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1),
     "CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)"),
    (nn.NLLLoss(), "NLLLoss()"),
    (nn.KLDivLoss(reduction="batchmean", log_target=True),
     "KLDivLoss(log_target=True, reduction='batchmean')"),
    (nn.FocalLoss(), "FocalLoss(alpha=0.25, gamma=2.0)"),
    (nn.HingeLoss(squared=True), "HingeLoss(squared=True)"),
    (nn.QuantileLoss(0.9), "QuantileLoss(q=0.9)"),
    (nn.WelschLoss(sigma=2.0), "WelschLoss(sigma=2.0)"),
    (nn.ContrastiveLoss(margin=2.0), "ContrastiveLoss(margin=2.0)"),
    (nn.GaussianNLLLoss(full=True), "GaussianNLLLoss(full=True, eps=1e-06)"),
    (nn.TripletMarginLoss(), "TripletMarginLoss(margin=1.0, p=2, swap=False)"),
])
def test_module_repr(module, expected):
    assert repr(module) == expected


MODULE_CASES = [
    (nn.MSELoss(reduction="sum"), F.mse_loss, [randn(3, 2), randn(3, 2)], {"reduction": "sum"}),
    (nn.L1Loss(), F.l1_loss, [randn(3, 2), randn(3, 2)], {}),
    (nn.HuberLoss(delta=0.5), F.huber_loss, [randn(5), randn(5)], {"delta": 0.5}),
    (nn.SmoothL1Loss(beta=0.5), F.smooth_l1_loss, [randn(5), randn(5)], {"beta": 0.5}),
    (nn.BCELoss(weight=W3), F.binary_cross_entropy, [uniform(0.1, 0.9, 2, 3),
                                                     uniform(0, 1, 2, 3)], {"weight": W3}),
    (nn.BCEWithLogitsLoss(pos_weight=W3), F.binary_cross_entropy_with_logits,
     [randn(2, 3), uniform(0, 1, 2, 3)], {"pos_weight": W3}),
    (nn.CrossEntropyLoss(weight=W3, label_smoothing=0.1), F.cross_entropy,
     [randn(4, 3), classes(3, 4)], {"weight": W3, "label_smoothing": 0.1}),
    (nn.NLLLoss(ignore_index=0), F.nll_loss, [log_probs(4, 3), classes(3, 4)],
     {"ignore_index": 0}),
    (nn.KLDivLoss(reduction="batchmean"), F.kl_div, [log_probs(2, 3), probs(2, 3)],
     {"reduction": "batchmean"}),
    (nn.HingeEmbeddingLoss(margin=0.5), F.hinge_embedding_loss, [randn(4), signs(4)],
     {"margin": 0.5}),
    (nn.MarginRankingLoss(margin=0.1), F.margin_ranking_loss, [randn(4), randn(4), signs(4)],
     {"margin": 0.1}),
    (nn.MultiMarginLoss(p=2), F.multi_margin_loss, [randn(4, 3), classes(3, 4)], {"p": 2}),
    (nn.SoftMarginLoss(), F.soft_margin_loss, [randn(4), signs(4)], {}),
    (nn.CosineEmbeddingLoss(margin=0.1), F.cosine_embedding_loss,
     [randn(3, 2), randn(3, 2), signs(3)], {"margin": 0.1}),
    (nn.TripletMarginLoss(swap=True), F.triplet_margin_loss,
     [randn(3, 2), randn(3, 2), randn(3, 2)], {"swap": True}),
    (nn.GaussianNLLLoss(full=True), F.gaussian_nll_loss,
     [randn(3), randn(3), uniform(0.5, 1, 3)], {"full": True}),
    (nn.PoissonNLLLoss(log_input=False), F.poisson_nll_loss,
     [uniform(0.5, 2, 3), uniform(0, 3, 3)], {"log_input": False}),
    (nn.HingeLoss(squared=True), F.hinge_loss, [randn(4), signs(4)], {"squared": True}),
    (nn.PerceptronLoss(), F.perceptron_loss, [randn(4), signs(4)], {}),
    (nn.FocalLoss(gamma=1.0), F.focal_loss, [randn(4, 3), classes(3, 4)], {"gamma": 1.0}),
    (nn.ContrastiveLoss(margin=0.5), F.contrastive_loss,
     [randn(3, 2), randn(3, 2), np.array([1.0, 0, 1])], {"margin": 0.5}),
    (nn.LogCoshLoss(), F.log_cosh_loss, [randn(4), randn(4)], {}),
    (nn.QuantileLoss(q=0.2), F.quantile_loss, [randn(4), randn(4)], {"q": 0.2}),
    (nn.WelschLoss(sigma=0.5), F.welsch_loss, [randn(4), randn(4)], {"sigma": 0.5}),
    (nn.ZeroOneLoss(), F.zero_one_loss, [randn(4, 3), classes(3, 4)], {}),
]


@pytest.mark.parametrize("module,function,inputs,kwargs", MODULE_CASES,
                         ids=[type(c[0]).__name__ for c in MODULE_CASES])
def test_module_calls_its_function(module, function, inputs, kwargs):
    module.double()
    xs = [tl.Tensor(a) for a in inputs]
    np.testing.assert_allclose(module(*xs).numpy(), function(*xs, **kwargs).numpy(), rtol=1e-12)


def test_every_loss_is_exported():
    for case in MODULE_CASES:
        name = type(case[0]).__name__
        assert name in nn.loss.__all__ and getattr(nn, name) is type(case[0])
    for name in nn.loss_functions.__all__:
        assert callable(getattr(F, name))


def test_weight_is_a_buffer_like_torch():
    ours = nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0])
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0]))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.double().weight.dtype == np.float64


def test_module_trains_a_model():
    tl.manual_seed(0)
    model = nn.Linear(4, 3)
    x = tl.Tensor(RNG.standard_normal((32, 4)).astype(np.float32))
    y = tl.Tensor((x.numpy()[:, 0] > 0).astype(np.int64) + (x.numpy()[:, 1] > 1))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(50):
        loss = loss_fn(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad.numpy()
    assert loss.item() < 0.6 * first


def test_cross_entropy_kernels_match_torch_nojit():
    """Small enough to run with NUMBA_DISABLE_JIT=1 in CI: the kernels' plain-Python meaning,
    with class weights, label smoothing and an ignored row."""
    rng = np.random.default_rng(31)
    x = rng.standard_normal((5, 4)) * 3
    w = rng.uniform(0.5, 2.0, 4)
    check_loss(F.cross_entropy, [x, np.array([0, 3, 1, 2, 3])], weight=tl.Tensor(w),
               ignore_index=2, label_smoothing=0.1)


# ---------------------------------------------------------------- module forms vs torch.nn
TORCH_MODULE_CASES = [pytest.param(type(m), inputs, kwargs, id=type(m).__name__)
                      for m, _, inputs, kwargs in MODULE_CASES if hasattr(torch.nn, type(m).__name__)]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("module,inputs,kwargs", TORCH_MODULE_CASES)
def test_module_matches_torch_module(module, inputs, kwargs):
    # built with each reduction and the same options as torch.nn's class of the same name
    options = {k: v for k, v in kwargs.items() if k != "reduction"}
    reductions = [kwargs["reduction"]] if "reduction" in kwargs else REDUCTIONS
    grad = (0,) if module is nn.SoftMarginLoss else None  # torch refuses a target's gradient
    check_loss(module, inputs, reduction=reductions, grad=grad, grad_check=False, **options)


# ---------------------------------------------------------------- non-contiguous inputs
NONCONTIGUOUS_LOSSES = {  # name: (loss, input shape, target: its shape or a class count)
    "mse_loss": (F.mse_loss, (3, 4), (3, 4)),
    "l1_loss": (F.l1_loss, (3, 4), (3, 4)),
    "huber_loss": (F.huber_loss, (3, 4), (3, 4)),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, (3, 4), (3, 4)),
    "cross_entropy": (F.cross_entropy, (5, 4), 4),
    "cross_entropy_spatial": (F.cross_entropy, (2, 3, 2, 2), 3),
    "cross_entropy_probabilities": (F.cross_entropy, (5, 4), (5, 4)),
    "nll_loss": (F.nll_loss, (5, 4), 4),
    "kl_div": (F.kl_div, (3, 4), (3, 4)),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's kl_div notice
@settings(max_examples=15, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(NONCONTIGUOUS_LOSSES)))
def test_losses_on_noncontiguous_inputs(data, name):
    loss, shape, target = NONCONTIGUOUS_LOSSES[name]
    x = data.draw(S.arrays(shape, S.NONCONTIGUOUS), label="input")
    if isinstance(target, int):  # class indices: any layout but a broadcast
        spread = data.draw(S.arrays((shape[0],) + shape[2:], ("transposed", "strided",
                                                               "flipped")), label="target")
        spread[...] = np.floor((spread + 2) / 4 * target * 0.999)
        y = copy_like(spread, np.int64)  # keeps the layout
    else:
        y = data.draw(S.arrays(target, S.NONCONTIGUOUS, low=0.0, high=1.0), label="target")
        if name == "cross_entropy_probabilities":
            y = y / y.sum(1, keepdims=True)
    check_loss(loss, [x, y], torch_fn=getattr(TF, name.replace("_spatial", "")
                                                .replace("_probabilities", "")),
               grad_check=False)

"""PyTorch's other spellings and small reductions: select, ravel, swapaxes/swapdims,
moveaxis, greater/less/... , fix, nansum, nanmean - values, gradients and node names against
PyTorch, and their errors."""
import numpy as np
import pytest
import torch

import tinygrad_lr as tl

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4, 5))
X_NAN = X.copy()
X_NAN[0, 1, :] = np.nan  # one whole row of NaN (nanmean: NaN there)
X_NAN[2, 0, 3] = np.nan
IDX = rng.integers(0, 5, (3, 4, 2))  # along the last dim, repeats included

CASES = [
    ("select", lambda lib, t: t.select(1, -2)),
    ("select fn", lambda lib, t: lib.select(t, 2, 4)),
    ("ravel", lambda lib, t: t.ravel()),
    ("ravel of a transpose", lambda lib, t: lib.ravel(t.transpose(0, 2))),
    ("swapaxes", lambda lib, t: t.swapaxes(0, 2)),
    ("swapdims fn", lambda lib, t: lib.swapdims(t, -1, 1)),
    ("moveaxis", lambda lib, t: t.moveaxis(0, -1)),
    ("moveaxis fn", lambda lib, t: lib.moveaxis(t, (0, 1), (2, 0))),
    ("fix", lambda lib, t: (t * 3).fix()),
    ("nansum", lambda lib, t: t.nansum()),
    ("nansum dim", lambda lib, t: lib.nansum(t, 1, keepdim=True)),
    ("nanmean", lambda lib, t: t.nanmean()),
    ("nanmean dim", lambda lib, t: lib.nanmean(t, 2)),
    ("unflatten", lambda lib, t: t.unflatten(2, (1, 5, 1))),
    ("unflatten fn -1", lambda lib, t: lib.unflatten(t.reshape(3, 20), 1, (-1, 5))),
    ("take_along_dim", lambda lib, t: t.take_along_dim(lib.tensor(IDX), 2)),
    ("take_along_dim broadcast", lambda lib, t: lib.take_along_dim(t, lib.tensor(IDX[:1]), 2)),
    ("take_along_dim flat", lambda lib, t: t.take_along_dim(lib.tensor([[0, 7], [59, 3]]))),
]


@pytest.mark.parametrize("values", [X, X_NAN], ids=["finite", "with NaN"])
@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_forward_and_backward(name, fn, values):
    ours = tl.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    out, expected = fn(tl, ours), fn(torch, theirs)
    assert out.shape == tuple(expected.shape) and str(out.dtype) == str(expected.dtype)[6:]
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12,
                               equal_nan=True)
    assert out.grad_fn.name() == expected.grad_fn.name()
    seed = rng.standard_normal(tuple(expected.shape))
    out.backward(tl.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12,
                               equal_nan=True)


@pytest.mark.parametrize("name", ["greater", "greater_equal", "less", "less_equal",
                                  "not_equal"])
def test_comparison_aliases_match_torch(name):
    a, b = rng.integers(0, 3, (4, 3)), rng.integers(0, 3, (3,))
    for other in (b, 1):
        ours = getattr(tl.tensor(a), name)(tl.tensor(other) if np.ndim(other) else other)
        fn = getattr(tl, name)(tl.tensor(a), tl.tensor(other) if np.ndim(other) else other)
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(other)
                                      if np.ndim(other) else other)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(fn.numpy(), theirs.numpy())


def test_nansum_of_integers_is_the_sum_and_nanmean_refuses_them():
    t = tl.tensor([[1, 2], [3, 4]])
    assert t.nansum().item() == torch.tensor([[1, 2], [3, 4]]).nansum().item() == 10
    with pytest.raises(TypeError, match="nanmean: needs a floating-point tensor"):
        t.nanmean()
    with pytest.raises(RuntimeError):  # PyTorch refuses it too
        torch.tensor([[1, 2], [3, 4]]).nanmean()


def test_select_errors_name_the_dim_and_size():
    t = tl.ones(2, 3)
    with pytest.raises(IndexError, match="select: index 3 is out of range for dim 1 of size 3"):
        t.select(1, 3)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        t.select(2, 0)
    with pytest.raises(IndexError, match="0-d"):
        tl.tensor(1.0).select(0, 0)
    with pytest.raises(IndexError):  # PyTorch raises for each of them
        torch.ones(2, 3).select(1, 3)


def test_nansum_and_nanmean_pass_gradcheck_and_gradgradcheck():
    x = tl.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for fn in (lambda t: t.nansum(1), lambda t: t.nanmean(), lambda t: tl.nansum(t * t, 0)):
        assert tl.autograd.gradcheck(fn, (x,))
        assert tl.autograd.gradgradcheck(fn, (x,))


def test_unflatten_and_take_along_dim_errors():
    t = tl.ones(2, 6)
    with pytest.raises(ValueError, match=r"unflatten: sizes \(4, 2\) don't multiply up to "
                                         r"the size of dim 1 \(6\)"):
        t.unflatten(1, (4, 2))
    with pytest.raises(ValueError, match="take_along_dim: input and indices need the same"):
        t.take_along_dim(tl.tensor([0, 1]), 1)
    with pytest.raises(ValueError, match="cannot be broadcast outside dim 1"):
        t.take_along_dim(tl.tensor([[0], [1], [0]]), 1)
    with pytest.raises(RuntimeError):  # PyTorch refuses each of them
        torch.ones(2, 6).unflatten(1, (4, 2))
    with pytest.raises(RuntimeError):
        torch.ones(2, 6).take_along_dim(torch.tensor([0, 1]), 1)


@pytest.mark.parametrize("split", [3, 4, 10, 12, [2, 5], [2, 20], [5, 2], [-3, 4], []])
def test_tensor_split_matches_torch(split):
    values = rng.standard_normal((4, 10))
    ours = tl.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    got, expected = ours.tensor_split(split, 1), torch.tensor_split(theirs, split, 1)
    assert len(got) == len(expected)
    seeds = [rng.standard_normal(tuple(e.shape)) for e in expected]
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g.detach().numpy(), e.detach().numpy())
    sum((g * tl.tensor(s)).sum() for g, s in zip(got, seeds)).backward()
    sum((e * torch.tensor(s)).sum() for e, s in zip(expected, seeds)).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
    assert [t.shape for t in tl.tensor_split(tl.tensor(values), split, dim=1)] == \
        [g.shape for g in got]


def test_aminmax_matches_torch():
    values = rng.standard_normal((3, 4))
    for kwargs in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
        ours, theirs = tl.tensor(values).aminmax(**kwargs), torch.tensor(values).aminmax(**kwargs)
        np.testing.assert_array_equal(ours.min.numpy(), theirs.min.numpy())
        np.testing.assert_array_equal(ours.max.numpy(), theirs.max.numpy())
        lo, hi = tl.aminmax(tl.tensor(values), **kwargs)
        np.testing.assert_array_equal(hi.numpy(), theirs.max.numpy())
    assert repr(ours).startswith("torch.return_types.aminmax(\nmin=")


def test_tensor_split_errors():
    with pytest.raises(ValueError, match="tensor_split: the number of sections must be positive"):
        tl.ones(4).tensor_split(0)
    with pytest.raises(ValueError, match="0-d"):
        tl.tensor(1.0).tensor_split(2)
    with pytest.raises(RuntimeError):  # PyTorch refuses both
        torch.ones(4).tensor_split(0)
    with pytest.raises(RuntimeError):
        torch.tensor(1.0).tensor_split(2)

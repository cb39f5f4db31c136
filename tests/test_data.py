import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr.data import DataLoader, Dataset, TensorDataset, random_split
from tinygrad_lr.data import datasets as D


def _ds(n=10):
    X = tl.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = tl.tensor(np.arange(n))
    return TensorDataset(X, y)


def test_tensor_dataset_lengths_must_match():
    with pytest.raises(ValueError, match=r"same length.*\[5, 4\]"):
        TensorDataset(tl.zeros(5, 2), tl.zeros(4))
    ds = _ds(5)
    x, y = ds[3]
    assert len(ds) == 5 and x.tolist() == [6.0, 7.0] and y.item() == 3


@pytest.mark.parametrize("n,bs,drop_last,expected", [(10, 3, False, 4), (10, 3, True, 3),
                                                      (9, 3, False, 3), (9, 3, True, 3),
                                                      (2, 5, True, 0)])
def test_dataloader_counts(n, bs, drop_last, expected):
    dl = DataLoader(_ds(n), batch_size=bs, drop_last=drop_last)
    batches = list(dl)
    assert len(dl) == expected == len(batches)
    seen = np.concatenate([b[1].numpy() for b in batches]) if batches else np.array([])
    assert len(seen) == (n // bs * bs if drop_last else n)
    assert all(len(b[0]) == bs for b in (batches if drop_last else batches[:-1]))


def test_dataloader_rejects_bad_batch_size():
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            DataLoader(_ds(), batch_size=bad)


def test_shuffle_covers_everything_and_is_reproducible():
    def epochs(dl, k=2):
        return [np.concatenate([b[1].numpy() for b in dl]) for _ in range(k)]

    a, b = epochs(DataLoader(_ds(20), 4, shuffle=True, seed=3)), \
        epochs(DataLoader(_ds(20), 4, shuffle=True, seed=3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], a[1])  # a new order each epoch
    assert sorted(a[0].tolist()) == list(range(20))
    tl.manual_seed(7)
    c = epochs(DataLoader(_ds(20), 4, shuffle=True))
    tl.manual_seed(7)
    d = epochs(DataLoader(_ds(20), 4, shuffle=True))
    assert all(np.array_equal(x, y) for x, y in zip(c, d))
    # rows stay paired with their labels
    for xb, yb in DataLoader(_ds(20), 4, shuffle=True, seed=1):
        assert np.array_equal(xb.numpy()[:, 0], 2 * yb.numpy())


def test_generic_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return tl.tensor([float(i)]), i * i

    batches = list(DataLoader(Squares(), batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 1), (3, 1), (1, 1)]
    assert batches[1][1].tolist() == [9, 16, 25]


def _orders(loader, passes=1):
    return [np.concatenate([b[1].numpy() for b in loader]) for _ in range(passes)]


def test_generator_argument_as_in_pytorch():
    from tinygrad_lr.random import Generator

    a = DataLoader(_ds(20), 4, shuffle=True, generator=Generator().manual_seed(5))
    b = DataLoader(_ds(20), 4, shuffle=True, generator=Generator().manual_seed(5))
    assert all(np.array_equal(x, y) for x, y in zip(_orders(a, 3), _orders(b, 3)))
    tl.manual_seed(0)
    before = tl.random.get_rng_state().numpy().copy()
    _orders(a)  # the loader's own generator leaves the default one alone
    assert np.array_equal(tl.random.get_rng_state().numpy(), before)
    with pytest.raises(ValueError, match="seed or generator, not both"):
        DataLoader(_ds(), shuffle=True, seed=1, generator=Generator())
    with pytest.raises(TypeError, match="generator must be a tinygrad_lr.random.Generator"):
        DataLoader(_ds(), shuffle=True, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="must have __len__ and __getitem__"):
        DataLoader([1, 2, 3].__iter__())
    with pytest.raises(TypeError, match="collate_fn must be a function"):
        DataLoader(_ds(), collate_fn="stack")


@pytest.mark.parametrize("kind", ["seed", "generator", "default"])
def test_loader_state_dict_continues_between_and_inside_passes(kind, tmp_path):
    from tinygrad_lr.random import Generator

    def loader():
        extra = {"seed": 3} if kind == "seed" else \
            {"generator": Generator().manual_seed(3)} if kind == "generator" else {}
        return DataLoader(_ds(23), 5, shuffle=True, **extra)

    tl.manual_seed(1)
    a = loader()
    _orders(a, 2)
    between = a.state_dict()
    rng_between = tl.random.get_rng_state()
    it = iter(a)
    taken = [next(it)[1].numpy() for _ in range(2)]
    inside = a.state_dict()
    rng_inside = tl.random.get_rng_state()
    rest = [b[1].numpy() for b in it]
    after = _orders(a, 1)[0]
    assert inside["batches_done"] == 2 and inside["order"].shape == (23,)
    assert between["order"] is None and (between["generator"] is None) == (kind == "default")
    tl.save(inside, tmp_path / "inside.npz")  # what a training checkpoint stores

    b = loader()  # a fresh loader, in a fresh "process" state
    tl.manual_seed(99)
    b.load_state_dict(between)
    tl.random.set_rng_state(rng_between)
    again = [x[1].numpy() for x in b]
    assert np.array_equal(np.concatenate(again), np.concatenate(taken + rest))
    c = loader()
    c.load_state_dict(tl.load(tmp_path / "inside.npz"))
    tl.random.set_rng_state(rng_inside)
    continued = [x[1].numpy() for x in c]
    assert len(continued) == len(rest) and all(np.array_equal(x, y)
                                               for x, y in zip(continued, rest))
    assert np.array_equal(_orders(c, 1)[0], after)


def test_loader_load_state_dict_refuses_a_state_that_does_not_fit():
    a = DataLoader(_ds(10), 3, shuffle=True, seed=0)
    it = iter(a)
    next(it)
    state = a.state_dict()
    with pytest.raises(ValueError, match="orders \\(10,\\) samples, the dataset has 12"):
        DataLoader(_ds(12), 3, shuffle=True, seed=0).load_state_dict(state)
    with pytest.raises(ValueError, match="saved by a loader with its own generator"):
        DataLoader(_ds(10), 3, shuffle=True).load_state_dict(state)
    with pytest.raises(KeyError, match="was not made by DataLoader.state_dict"):
        a.load_state_dict({"order": None})
    with pytest.raises(ValueError, match="12 batches done, but a pass has 4"):
        a.load_state_dict({**state, "batches_done": 12})


class _Samples(Dataset):
    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        return self.samples[i]


@pytest.mark.parametrize("samples,error,message", [
    ([(np.ones(3), 0)] * 5 + [(np.ones(4), 1)], "CollateError",
     (r"batch 1: cannot batch dataset\[5\] with dataset\[4\], field \[0\]: shape \(4,\) "
      r"where the first sample has \(3,\)")),
    ([(np.ones(3), 0)] * 5 + [(np.ones(3),)], "CollateError",
     r"dataset\[5\] with dataset\[4\]: 1 fields where the first sample has 2"),
    ([{"x": 1.0, "y": 2}] * 5 + [{"x": 1.0}], "CollateError",
     r"dataset\[5\] .*keys \['x'\] where the first sample has \['x', 'y'\]"),
    ([(1.0, 0)] * 5 + [((1.0,), 0)], "CollateError",
     r"field \[0\]: a tuple where the first sample has a float"),
    ([(np.ones(2), None)] * 6, "UnbatchableSample",
     r"batch 0: cannot batch dataset\[0\], field \[1\]: it is a NoneType"),
    ([(np.array(["a", "b"]), 1)] * 6, "UnbatchableSample", r"array of dtype <U1"),
])
def test_collation_errors_name_the_samples_and_shapes(samples, error, message):
    loader = DataLoader(_Samples(samples), batch_size=4)
    with pytest.raises((ValueError, TypeError), match=message) as info:
        list(loader)
    assert type(info.value).__name__ == error and "collate_fn" in str(info.value)
    if error == "UnbatchableSample":
        assert isinstance(info.value, TypeError)  # as PyTorch's default_collate


def test_collation_as_pytorch_for_what_it_accepts():
    torch_data = pytest.importorskip("torch.utils.data")
    samples = [{"x": np.full(2, i, dtype=np.float32), "name": f"s{i}", "k": i, "w": 0.5 * i}
               for i in range(4)]
    ours = next(iter(DataLoader(_Samples(samples), batch_size=4)))
    theirs = next(iter(torch_data.DataLoader(samples, batch_size=4)))
    assert ours["name"] == theirs["name"] == ["s0", "s1", "s2", "s3"]
    for key in ("x", "k", "w"):
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        assert str(ours[key].dtype) == str(theirs[key].dtype).replace("torch.", "")
    with pytest.raises(ValueError, match="empty list of samples"):
        tl.data.default_collate([])


def test_random_split():
    ds = _ds(10)
    a, b = random_split(ds, [0.7, 0.3], seed=0)
    assert (len(a), len(b)) == (7, 3)
    ids = sorted(a.indices.tolist() + b.indices.tolist())
    assert ids == list(range(10))
    a2, _ = random_split(ds, [7, 3], seed=0)
    assert np.array_equal(a.indices, a2.indices)
    xb, yb = next(iter(DataLoader(a, batch_size=7)))  # subset fast path keeps pairs
    assert np.array_equal(yb.numpy(), a.indices) and np.array_equal(xb.numpy()[:, 0], 2 * yb.numpy())
    with pytest.raises(ValueError, match="add up to 9, but the dataset has 10"):
        random_split(ds, [5, 4])


@pytest.mark.parametrize("fn,xshape,yshape,ydtype", [
    (D.linear_regression, (100, 1), (100, 1), np.float32),
    (D.house_prices, (200, 4), (200, 1), np.float32),
    (D.moons, (200, 2), (200,), np.int64),
    (D.circles, (200, 2), (200,), np.int64),
    (D.spirals, (300, 2), (300,), np.int64),
    (D.blobs, (200, 2), (200,), np.int64),
    (D.sine_sequences, (200, 20, 1), (200, 1), np.float32),
])
def test_synthetic_datasets(fn, xshape, yshape, ydtype):
    X, y = fn()
    assert X.shape == xshape and X.dtype == np.float32
    assert y.shape == yshape and y.dtype == ydtype
    X2, y2 = fn(seed=0)
    assert np.array_equal(X.numpy(), X2.numpy()) and np.array_equal(y.numpy(), y2.numpy())
    X3, _ = fn(seed=1)
    assert not np.array_equal(X.numpy(), X3.numpy())


def test_linear_regression_is_the_textbook_line():
    X, y = D.linear_regression(5000, seed=0)
    slope, intercept = np.polyfit(X.numpy()[:, 0], y.numpy()[:, 0], 1)
    assert abs(slope - 3) < 0.1 and abs(intercept - 4) < 0.1


def test_sine_sequences_target_is_next_step():
    X, y = D.sine_sequences(50, seq_len=10, seed=0)
    # a sine sampled at unit steps obeys s[t+1] = 2 cos(f) s[t] - s[t-1]; fit 2 cos(f)
    # per sequence by least squares, then predict the step after the last one
    x = X.numpy()[:, :, 0].astype(np.float64)
    two_cos = ((x[:, 2:] + x[:, :-2]) * x[:, 1:-1]).sum(1) / (x[:, 1:-1] ** 2).sum(1)
    assert np.allclose(y.numpy()[:, 0], two_cos * x[:, -1] - x[:, -2], atol=1e-3)


def test_digits_load_offline():
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.numpy().min() == 0.0 and X.numpy().max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    assert np.bincount(y.numpy()).min() >= 170  # about 180 of each digit
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    assert np.array_equal(X.numpy() * 16, ref.data) and np.array_equal(y.numpy(), ref.target)


def test_generator_argument_as_torch():
    ds = TensorDataset(tl.tensor(np.arange(20.0).reshape(10, 2)))
    split = [random_split(ds, [6, 4], tl.random.Generator().manual_seed(5))[1].indices
             for _ in range(2)]
    np.testing.assert_array_equal(*split)
    orders = [[b[0].numpy()[:, 0].tolist() for b in DataLoader(
        ds, batch_size=5, shuffle=True, generator=tl.random.Generator().manual_seed(2))]
        for _ in range(2)]
    assert orders[0] == orders[1] and sorted(sum(orders[0], [])) == list(range(0, 20, 2))
    with pytest.raises(ValueError, match="seed or generator, not both"):
        random_split(ds, [5, 5], tl.random.Generator(), seed=1)
    with pytest.raises(TypeError, match="generator must be a tl.Generator"):
        random_split(ds, [5, 5], 3)
    loader = DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True)
    assert len(list(loader)) == 3
    with pytest.raises(ValueError, match="num_workers must be an integer >= 0"):
        DataLoader(ds, num_workers=-1)

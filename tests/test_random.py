"""The default random generator: get/set state, Generator objects, and use from threads."""
import threading

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn
from tinygrad_lr import random as R


def _draws():
    """A bit of everything that draws from the default generator."""
    layer = nn.Linear(3, 4)
    drop = nn.Dropout(0.5)(tl.ones(50))
    return [tl.rand(3).numpy(), tl.randn(2, 2).numpy(), tl.randint(0, 9, (4,)).numpy(),
            tl.randperm(6).numpy(), layer.weight.numpy().copy(), drop.numpy()]


def test_rng_state_round_trips_through_tl_save(tmp_path):
    tl.manual_seed(3)
    tl.rand(5)
    state = R.get_rng_state()
    assert state.dtype == np.uint8 and state.ndim == 1  # as torch.get_rng_state()
    first = _draws()
    tl.save({"rng": state}, tmp_path / "s.npz")
    tl.manual_seed(1234)
    R.set_rng_state(tl.load(tmp_path / "s.npz")["rng"])
    second = _draws()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert R.initial_seed() == 3


def test_set_rng_state_refuses_what_is_not_a_state():
    with pytest.raises(TypeError, match="expected the uint8 Tensor that get_rng_state"):
        R.set_rng_state(tl.ones(4))
    with pytest.raises(TypeError, match="got list"):
        R.set_rng_state([1, 2])
    with pytest.raises(ValueError, match="not a state saved by get_rng_state"):
        R.set_rng_state(tl.Tensor(np.frombuffer(b"hello", np.uint8), dtype="uint8"))
    with pytest.raises(ValueError, match="outside 0..255"):
        R.set_rng_state(tl.tensor([1, 300]))


def test_generator_follows_torch_generator():
    torch = pytest.importorskip("torch")
    g = R.Generator()
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    for seed in (0, 5, -1, -2 ** 63, 2 ** 64 - 1):  # torch maps negative seeds the same way
        assert R.Generator().manual_seed(seed).initial_seed() == \
            torch.Generator().manual_seed(seed).initial_seed()
    for bad, error in ((2 ** 64, ValueError), (-2 ** 63 - 1, ValueError), ("3", TypeError),
                       (1.5, TypeError), (None, TypeError)):
        with pytest.raises(error, match="manual_seed: seed must be"):
            R.Generator().manual_seed(bad)
        with pytest.raises((RuntimeError, TypeError, ValueError)):  # torch refuses them too
            torch.Generator().manual_seed(bad)
    a, b = R.Generator().manual_seed(1), R.Generator().manual_seed(1)
    x = a.numpy_generator.random(4)
    state = a.get_state()
    y = a.numpy_generator.random(4)
    assert np.array_equal(x, b.numpy_generator.random(4))
    assert np.array_equal(y, b.set_state(state).numpy_generator.random(4))
    with pytest.raises(RuntimeError, match="runs on the CPU only; device 'cuda'"):
        R.Generator("cuda")
    assert "initial_seed=1" in repr(a)


def test_threads_drawing_at_once_share_one_stream_without_losing_draws():
    # 4 threads x 500 draws of 8 numbers from the default generator, all at once: together
    # they get exactly the 2000 blocks a single thread would, none twice, none lost
    tl.manual_seed(0)
    serial = {tuple(tl.rand(8).numpy()) for _ in range(2000)}
    tl.manual_seed(0)
    results, start = [[] for _ in range(4)], threading.Barrier(4)

    def work(out):
        start.wait()
        for _ in range(500):
            out.append(tuple(tl.rand(8).numpy()))

    threads = [threading.Thread(target=work, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    drawn = [d for r in results for d in r]
    assert len(drawn) == 2000 and set(drawn) == serial


def test_state_reads_and_seeds_from_threads_are_consistent():
    errors, states, stop = [], [], threading.Event()

    def draw():
        while not stop.is_set():
            tl.randn(64)

    def snapshot():
        try:
            for i in range(300):
                states.append(R.get_rng_state())
                if i % 50 == 0:
                    tl.manual_seed(i)
        except Exception as e:  # noqa: BLE001 - the test reports any failure
            errors.append(e)

    drawers = [threading.Thread(target=draw) for _ in range(3)]
    for t in drawers:
        t.start()
    snapshot()
    stop.set()
    for t in drawers:
        t.join()
    assert not errors and len(states) == 300
    for state in states[::30]:  # every state read mid-draws is a whole, usable state
        R.set_rng_state(state)
        a = tl.rand(3).numpy()
        R.set_rng_state(state)
        assert np.array_equal(a, tl.rand(3).numpy())


def test_isolated_rng_makes_each_thread_repeatable():
    def run(seed):
        with R.isolated_rng(seed):
            tl.manual_seed(seed)  # seeds the thread's own generator, not the default one
            return np.concatenate([d.ravel() for d in _draws()])

    expected = {s: run(s) for s in (1, 2, 3, 4)}
    tl.manual_seed(42)
    default_expected = [tl.rand(4).numpy() for _ in range(200)]
    tl.manual_seed(42)
    got, default_got, barrier = {}, [], threading.Barrier(5)

    def isolated(seed):
        barrier.wait()
        for _ in range(20):
            got.setdefault(seed, []).append(run(seed))

    def default():
        barrier.wait()
        default_got.extend(tl.rand(4).numpy() for _ in range(200))

    threads = [threading.Thread(target=isolated, args=(s,)) for s in expected]
    threads.append(threading.Thread(target=default))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed, runs in got.items():
        assert all(np.array_equal(r, expected[seed]) for r in runs)
    assert all(np.array_equal(a, b) for a, b in zip(default_got, default_expected))
    with R.isolated_rng() as g:  # no seed: starts where the default generator is
        assert isinstance(g, R.Generator)

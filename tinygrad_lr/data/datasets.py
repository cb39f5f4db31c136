"""Built-in data: small synthetic problems (seeded) and the 8x8 handwritten digits.

Every function returns `(X, y)` Tensors: X float32 of shape (n_samples, features...), y
float32 targets for regression and int64 class labels for classification.
"""
from __future__ import annotations

import os

import numpy as np

from ..tensor import Tensor

__all__ = ["linear_regression", "house_prices", "moons", "circles", "spirals", "blobs",
           "sine_sequences", "load_digits"]


def _xy(X, y):
    y = np.asarray(y)
    y = y.astype(np.int64) if y.dtype.kind in "iub" else y.astype(np.float32)
    return Tensor(np.asarray(X, dtype=np.float32)), Tensor(y)


def linear_regression(n_samples: int = 100, noise: float = 1.0,
                      seed: int = 0) -> tuple[Tensor, Tensor]:
    """The textbook line: x uniform in [0, 2), y = 4 + 3x + N(0, noise^2).

    Returns X (n, 1) and y (n, 1), float32. The best fit is close to w = 3, b = 4.
    """
    rng = np.random.default_rng(seed)
    X = 2 * rng.random((n_samples, 1))
    y = 4 + 3 * X + noise * rng.standard_normal((n_samples, 1))
    return _xy(X, y)


HOUSE_FEATURES = ("area_m2", "bedrooms", "age_years", "distance_km")


def house_prices(n_samples: int = 200, noise: float = 15.0, standardize: bool = False,
                 seed: int = 0) -> tuple[Tensor, Tensor]:
    """A made-up housing market: price (in thousands) from area, bedrooms, age, distance.

    price = 50 + 2.5*area + 10*bedrooms - 0.8*age - 6*distance + N(0, noise^2).
    The raw features have very different scales (area ~ 100, bedrooms ~ 3): plain gradient
    descent on them needs a tiny learning rate - `standardize=True` rescales every column
    to mean 0, std 1, the usual cure. Columns are named in `HOUSE_FEATURES`.
    Returns X (n, 4) and y (n, 1), float32.
    """
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 220, n_samples)
    bedrooms = np.clip(np.round(area / 45 + rng.normal(0, 0.7, n_samples)), 1, 6)
    age = rng.uniform(0, 80, n_samples)
    distance = rng.gamma(2.0, 4.0, n_samples)
    X = np.stack([area, bedrooms, age, distance], axis=1)
    price = 50 + 2.5 * area + 10 * bedrooms - 0.8 * age - 6 * distance
    y = (price + noise * rng.standard_normal(n_samples))[:, None]
    if standardize:
        X = (X - X.mean(0)) / X.std(0)
    return _xy(X, y)


def moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (as scikit-learn's make_moons); y in {0, 1}."""
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n_samples)
    return _xy(X[order], y[order])


def circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5,
            seed: int = 0) -> tuple[Tensor, Tensor]:
    """A small circle (label 1, radius `factor`) inside a large one (label 0, radius 1)."""
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be between 0 and 1, got {factor}")
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n_samples)
    return _xy(X[order], y[order])


def spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
            seed: int = 0) -> tuple[Tensor, Tensor]:
    """`n_classes` arms of a spiral in the plane (CS231n's classic); not linearly separable."""
    rng = np.random.default_rng(seed)
    per = np.full(n_classes, n_samples // n_classes)
    per[:n_samples % n_classes] += 1
    Xs, ys = [], []
    for c, n in enumerate(per):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n) + noise * rng.standard_normal(n)
        Xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(n, c, np.int64))
    X, y = np.concatenate(Xs), np.concatenate(ys)
    order = rng.permutation(n_samples)
    return _xy(X[order], y[order])


def blobs(n_samples: int = 200, centers: int | np.ndarray = 3, n_features: int = 2,
          cluster_std: float = 1.0, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Gaussian clusters around `centers` random points in [-10, 10]^n_features (or the
    given array of centres); y is the cluster index."""
    rng = np.random.default_rng(seed)
    if isinstance(centers, int):
        centers = rng.uniform(-10, 10, (centers, n_features))
    centers = np.asarray(centers, dtype=np.float64)
    y = np.arange(n_samples) % len(centers)
    rng.shuffle(y)
    X = centers[y] + cluster_std * rng.standard_normal((n_samples, centers.shape[1]))
    return _xy(X, y.astype(np.int64))


def sine_sequences(n_samples: int = 200, seq_len: int = 20, noise: float = 0.0,
                   seed: int = 0) -> tuple[Tensor, Tensor]:
    """Next-step prediction on sine waves with random frequency, phase and amplitude.

    X[i] holds seq_len consecutive values a*sin(f*t + p) (shape (n, seq_len, 1), the
    batch_first layout of nn.RNN/LSTM/GRU) and y[i] the value that follows (shape (n, 1)).
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.1, 0.5, (n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1))
    amp = rng.uniform(0.5, 1.0, (n_samples, 1))
    t = np.arange(seq_len + 1)[None, :]
    wave = amp * np.sin(freq * t + phase) + noise * rng.standard_normal((n_samples, seq_len + 1))
    return _xy(wave[:, :seq_len, None], wave[:, seq_len:])


def load_digits() -> tuple[Tensor, Tensor]:
    """The 1,797 8x8 handwritten digits of the UCI repository (CC BY 4.0; see
    DIGITS_LICENSE.txt), shipped with the package, so no network is needed.

    Returns X float32 (1797, 64) with pixels scaled to [0, 1] (rows of the 8x8 image, so
    `X.reshape(-1, 1, 8, 8)` is an image batch) and y int64 (1797,) with digits 0..9.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
    with np.load(path) as f:
        X, y = f["X"], f["y"]
    return Tensor(X.astype(np.float32) / 16.0), Tensor(y.astype(np.int64))

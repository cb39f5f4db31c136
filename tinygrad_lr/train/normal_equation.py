"""The closed-form least-squares fit: the answer gradient descent should converge to."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["linear_regression_normal_equation"]


def linear_regression_normal_equation(X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Solve min_w,b ||X w + b - y||^2 exactly.

    Adds a column of ones for the bias and solves the normal equation
    (A^T A) theta = A^T y with a least-squares solver (stable even when A^T A is nearly
    singular). Returns `(weight, bias)` Tensors of shapes (features, outputs) and
    (outputs,) in X's floating dtype, so that `X @ weight + bias` is the prediction.
    """
    Xa = np.asarray(X._data if isinstance(X, Tensor) else X, dtype=np.float64)
    ya = np.asarray(y._data if isinstance(y, Tensor) else y, dtype=np.float64)
    Xa = Xa.reshape(len(Xa), -1)
    squeeze = ya.ndim == 1
    ya = ya.reshape(len(ya), -1)
    if len(Xa) != len(ya):
        raise ValueError(f"linear_regression_normal_equation: X has {len(Xa)} rows, "
                         f"y has {len(ya)}")
    A = np.hstack([Xa, np.ones((len(Xa), 1))])
    theta, *_ = np.linalg.lstsq(A, ya, rcond=None)
    dtype = X.dtype if isinstance(X, Tensor) and X.dtype.kind == "f" else np.float64
    w, b = theta[:-1], theta[-1]
    if squeeze:
        w, b = w[:, 0], b[0]
    return Tensor(w.astype(dtype)), Tensor(np.asarray(b, dtype=dtype))

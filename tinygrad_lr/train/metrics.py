"""Evaluation metrics with the losses' argument order: `metric(pred, target)`.

Note: scikit-learn's order is the reverse, `metric(y_true, y_pred)`; the values are the same.
Predictions may be class labels (integers) or per-class scores: a (n, C) array of logits or
probabilities is turned into labels with argmax, a 1-D float array of probabilities of the
positive class with `>= 0.5` (of logits with `>= 0` when some value lies outside [0, 1], as
torchmetrics does). Targets are class labels 0..C-1 (whole numbers; a float target such as
0.5 is refused, never truncated). Inputs may be Tensors, numpy arrays or lists; results are
Python floats (confusion_matrix: an int64 numpy array).

Bad input is refused with an error naming the metric: empty inputs, mismatched lengths,
negative labels, and NaN predictions (NonFinitePredictionError: a diverged model's output
has no class; `fit` records NaN for the metric instead of stopping).
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["accuracy", "precision", "recall", "f1_score", "confusion_matrix", "r2_score",
           "precision_recall_f1", "NonFinitePredictionError"]

_AVERAGES = ("binary", "macro", "micro", "weighted")
_MAX_CLASSES = 10_000  # a confusion matrix of 10^8 cells


class NonFinitePredictionError(ValueError):
    """Predictions that contain NaN (a diverged model): metrics refuse to score them,
    rather than argmax them to class 0. `fit` records NaN for the metric instead."""


def _array(x, who, arg):
    if isinstance(x, (str, bytes, dict)) or x is None:
        raise TypeError(f"{who}: {arg} must be a Tensor, numpy array or list of numbers, got "
                        f"{type(x).__name__}")
    try:
        a = np.asarray(x._data if hasattr(x, "_data") else x)
    except ValueError:
        raise ValueError(f"{who}: {arg} is a ragged list (rows of different lengths)") from None
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {arg} must hold numbers, got dtype {a.dtype}")
    if a.size == 0:
        raise ValueError(f"{who}: {arg} is empty (shape {a.shape}); a metric needs at least "
                         "one sample")
    return a


def _first_bad(mask):
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _finite_pred(p, who):
    if p.dtype.kind == "f":
        bad = np.isnan(p)
        if bad.any():
            raise NonFinitePredictionError(
                f"{who}: pred contains NaN ({int(bad.sum())} of {p.size} values, the first at "
                f"index {_first_bad(bad)}): the model has probably diverged; a NaN prediction "
                "has no class")


def _labels(pred, who):
    """Predicted class labels: argmax of (n, C) scores, 0/1 from 1-D probabilities (>= 0.5)
    or logits (>= 0, when any value is outside [0, 1] and not a whole number), else the
    integer labels themselves."""
    p = _array(pred, who, "pred")
    if p.ndim > 2:
        raise ValueError(f"{who}: pred must be labels of shape (n,) or scores of shape (n, C), "
                         f"got shape {p.shape}")
    _finite_pred(p, who)
    if p.ndim == 2 and p.shape[1] > 1:
        return p.argmax(axis=1), p.shape[1]
    p = p.reshape(len(p))
    if p.dtype.kind == "f":
        whole = np.all(p == np.round(p))
        if not whole:
            inside = np.all((p >= 0) & (p <= 1))
            return (p >= (0.5 if inside else 0.0)).astype(np.int64), 2
    labels = p.astype(np.int64)
    if labels.min() < 0:
        raise ValueError(f"{who}: pred holds the negative label {labels.min()} at index "
                         f"{_first_bad(labels < 0)}; class labels are 0, 1, ..., C-1")
    return labels, None


def _target_labels(target, who):
    t = _array(target, who, "target")
    if t.ndim == 2 and t.shape[1] == 1:
        t = t.reshape(-1)
    if t.ndim != 1:
        raise ValueError(f"{who}: target must be class labels of shape (n,), got shape "
                         f"{t.shape}" + ("; for one-hot targets pass target.argmax(1)"
                                         if t.ndim == 2 else ""))
    if t.dtype.kind == "f":
        bad = ~np.isfinite(t) | (t != np.round(t))
        if bad.any():
            i = _first_bad(bad)[0]
            raise ValueError(f"{who}: target must hold class labels (whole numbers), got "
                             f"{t[i].item()!r} at index {i}; for regression use r2_score")
    t = t.astype(np.int64)
    if t.min() < 0:
        raise ValueError(f"{who}: target holds the negative label {t.min()} at index "
                         f"{_first_bad(t < 0)[0]}; class labels are 0, 1, ..., C-1")
    return t


def _pair(pred, target, name):
    (p, n_scores), t = _labels(pred, name), _target_labels(target, name)
    if p.shape != t.shape:
        raise ValueError(f"{name}: pred gives {p.shape[0]} labels but target has "
                         f"{t.shape[0]}")
    if n_scores is not None and t.max() >= n_scores:
        raise ValueError(f"{name}: target holds the label {t.max()} at index "
                         f"{_first_bad(t >= n_scores)[0]}, but pred has scores for {n_scores} "
                         f"classes (labels 0..{n_scores - 1})")
    return p, t, n_scores


def accuracy(pred: Tensor | np.ndarray, target: Tensor | np.ndarray) -> float:
    """Fraction of samples whose predicted class equals the target."""
    p, t, _ = _pair(pred, target, "accuracy")
    return float((p == t).mean())


def confusion_matrix(pred: Tensor | np.ndarray, target: Tensor | np.ndarray,
                     num_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j (rows: truth)."""
    p, t, n_scores = _pair(pred, target, "confusion_matrix")
    largest = int(max(p.max(), t.max()))
    if num_classes is None:
        n = max(largest + 1, n_scores or 0)
    else:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
                or num_classes < 1:
            raise ValueError(f"confusion_matrix: num_classes must be a positive integer, got "
                             f"{num_classes!r}")
        if largest >= num_classes:
            raise ValueError(f"confusion_matrix: label {largest} does not fit num_classes="
                             f"{num_classes} (labels are 0..{num_classes - 1})")
        n = int(num_classes)
    if n > _MAX_CLASSES:
        raise ValueError(f"confusion_matrix: label {largest} means {n} classes, a matrix of "
                         f"{n * n} cells; more than {_MAX_CLASSES} classes are refused (are "
                         "these really class labels?)")
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n).astype(np.int64)


def precision_recall_f1(pred: Tensor | np.ndarray, target: Tensor | np.ndarray,
                        average: str = "binary", pos_label: int = 1, *,
                        _who: str = "precision_recall_f1") -> tuple[float, float, float]:
    """(precision, recall, f1) with scikit-learn's definitions; 0 where undefined (0/0)."""
    if average not in _AVERAGES:
        raise ValueError(f"{_who}: average must be one of {_AVERAGES}, got {average!r}")
    if isinstance(pos_label, bool) or not isinstance(pos_label, (int, np.integer)):
        raise TypeError(f"{_who}: pos_label must be an integer class label, got "
                        f"{pos_label!r}")
    p, t, _ = _pair(pred, target, _who)
    labels = np.union1d(p, t)
    if average == "binary":
        if not set(labels.tolist()) <= {0, 1, pos_label}:
            raise ValueError(f"{_who}: average='binary' needs two classes, found labels "
                             f"{labels.tolist()}; use average='macro', 'micro' or 'weighted'")
        labels = np.array([pos_label])
    tp = np.array([np.sum((p == c) & (t == c)) for c in labels], dtype=np.float64)
    pred_pos = np.array([np.sum(p == c) for c in labels], dtype=np.float64)
    true_pos = np.array([np.sum(t == c) for c in labels], dtype=np.float64)
    if average == "micro":
        tp, pred_pos, true_pos = tp.sum(keepdims=True), pred_pos.sum(keepdims=True), \
            true_pos.sum(keepdims=True)
    prec = np.divide(tp, pred_pos, out=np.zeros_like(tp), where=pred_pos > 0)
    rec = np.divide(tp, true_pos, out=np.zeros_like(tp), where=true_pos > 0)
    denom = prec + rec
    f1 = np.divide(2 * prec * rec, denom, out=np.zeros_like(tp), where=denom > 0)
    if average == "weighted":
        w = true_pos / true_pos.sum()
        return float(prec @ w), float(rec @ w), float(f1 @ w)
    return float(prec.mean()), float(rec.mean()), float(f1.mean())


def precision(pred: Tensor | np.ndarray, target: Tensor | np.ndarray, average: str = "binary",
              pos_label: int = 1) -> float:
    """TP / (TP + FP): of the samples predicted as a class, the fraction that are it."""
    return precision_recall_f1(pred, target, average, pos_label, _who="precision")[0]


def recall(pred: Tensor | np.ndarray, target: Tensor | np.ndarray, average: str = "binary",
           pos_label: int = 1) -> float:
    """TP / (TP + FN): of the samples of a class, the fraction found."""
    return precision_recall_f1(pred, target, average, pos_label, _who="recall")[1]


def f1_score(pred: Tensor | np.ndarray, target: Tensor | np.ndarray, average: str = "binary",
             pos_label: int = 1) -> float:
    """Harmonic mean of precision and recall (per class, then averaged)."""
    return precision_recall_f1(pred, target, average, pos_label, _who="f1_score")[2]


def r2_score(pred: Tensor | np.ndarray, target: Tensor | np.ndarray) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (averaged over output columns).
    As scikit-learn: pred and target must have the same shape ((n,) and (n, 1) count as
    the same), at least two samples, and no NaN or inf."""
    p, t = _array(pred, "r2_score", "pred"), _array(target, "r2_score", "target")
    for arr, arg in ((p, "pred"), (t, "target")):
        if arr.ndim > 2 or arr.ndim == 0:
            raise ValueError(f"r2_score: {arg} must have shape (n,) or (n, outputs), got "
                             f"{arr.shape}")
        bad = ~np.isfinite(arr)
        if bad.any():
            raise (NonFinitePredictionError if arg == "pred" else ValueError)(
                f"r2_score: {arg} contains {arr[bad][0]} at index {_first_bad(bad)}")
    p2, t2 = p.reshape(len(p), -1), t.reshape(len(t), -1)
    if p2.shape != t2.shape:
        raise ValueError(f"r2_score: pred has shape {p.shape} but target has shape {t.shape}; "
                         "they must match (samples and outputs)")
    if len(t2) < 2:
        raise ValueError(f"r2_score: needs at least two samples, got {len(t2)} (R^2 is not "
                         "defined for one)")
    p, t = p2.astype(np.float64), t2.astype(np.float64)
    ss_res = ((t - p) ** 2).sum(0)
    ss_tot = ((t - t.mean(0)) ** 2).sum(0)
    r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                  np.where(ss_res == 0, 1.0, 0.0))
    return float(r2.mean())

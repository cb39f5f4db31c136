"""Evaluation metrics with the losses' argument order: `metric(pred, target)`.

Note: scikit-learn's order is the reverse, `metric(y_true, y_pred)`; the values are the same.
Predictions may be class labels (integers) or per-class scores: a (n, C) array of logits or
probabilities is turned into labels with argmax, a 1-D float array of probabilities of the
positive class with `>= 0.5`. Inputs may be Tensors, numpy arrays or lists; results are
Python floats (confusion_matrix: an int64 numpy array).
"""
import numpy as np

__all__ = ["accuracy", "precision", "recall", "f1_score", "confusion_matrix", "r2_score",
           "precision_recall_f1"]

_AVERAGES = ("binary", "macro", "micro", "weighted")


def _array(x):
    return np.asarray(x._data if hasattr(x, "_data") else x)


def _labels(pred):
    pred = _array(pred)
    if pred.ndim == 2 and pred.shape[1] > 1:
        return pred.argmax(axis=1)
    pred = pred.reshape(len(pred)) if pred.ndim == 2 else pred
    if pred.dtype.kind == "f" and not np.all(pred == np.round(pred)):
        return (pred >= 0.5).astype(np.int64)  # probabilities of the positive class
    return pred.astype(np.int64)


def _pair(pred, target, name):
    p, t = _labels(pred), _array(target).reshape(-1).astype(np.int64)
    if p.shape != t.shape:
        raise ValueError(f"{name}: pred gives {p.shape[0]} labels but target has "
                         f"{t.shape[0]}")
    return p, t


def accuracy(pred, target):
    """Fraction of samples whose predicted class equals the target."""
    p, t = _pair(pred, target, "accuracy")
    return float((p == t).mean())


def confusion_matrix(pred, target, num_classes=None):
    """C[i, j] = number of samples of true class i predicted as class j (rows: truth)."""
    p, t = _pair(pred, target, "confusion_matrix")
    n = num_classes if num_classes is not None else int(max(p.max(initial=0),
                                                            t.max(initial=0))) + 1
    return np.bincount(t * n + p, minlength=n * n).reshape(n, n).astype(np.int64)


def precision_recall_f1(pred, target, average="binary", pos_label=1):
    """(precision, recall, f1) with scikit-learn's definitions; 0 where undefined (0/0)."""
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    p, t = _pair(pred, target, "precision/recall/f1")
    labels = np.union1d(p, t)
    if average == "binary":
        if not set(labels.tolist()) <= {0, 1, pos_label}:
            raise ValueError(f"average='binary' needs two classes, found labels "
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


def precision(pred, target, average="binary", pos_label=1):
    """TP / (TP + FP): of the samples predicted as a class, the fraction that are it."""
    return precision_recall_f1(pred, target, average, pos_label)[0]


def recall(pred, target, average="binary", pos_label=1):
    """TP / (TP + FN): of the samples of a class, the fraction found."""
    return precision_recall_f1(pred, target, average, pos_label)[1]


def f1_score(pred, target, average="binary", pos_label=1):
    """Harmonic mean of precision and recall (per class, then averaged)."""
    return precision_recall_f1(pred, target, average, pos_label)[2]


def r2_score(pred, target):
    """Coefficient of determination 1 - SS_res / SS_tot (averaged over output columns)."""
    p, t = _array(pred).astype(np.float64), _array(target).astype(np.float64)
    if p.size != t.size:
        raise ValueError(f"r2_score: pred has shape {p.shape}, target {t.shape}")
    p, t = p.reshape(len(t), -1), t.reshape(len(t), -1)
    ss_res = ((t - p) ** 2).sum(0)
    ss_tot = ((t - t.mean(0)) ** 2).sum(0)
    r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
                  np.where(ss_res == 0, 1.0, 0.0))
    return float(r2.mean())

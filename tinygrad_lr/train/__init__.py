"""Training: the fit loop, History, callbacks, metrics, lr_find, sweep and the
closed-form reference for linear regression."""
from . import metrics
from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, TrainingCheckpoint
from .fit import TrainState, evaluate, fit, global_grad_norm
from .history import History
from .lr_find import LRFinderResult, lr_find
from .metrics import accuracy, confusion_matrix, f1_score, precision, r2_score, recall
from .normal_equation import linear_regression_normal_equation
from .sweep import GRID_KEYS, SweepResults, sweep

__all__ = ["fit", "evaluate", "History", "TrainState", "global_grad_norm", "Callback",
           "EarlyStopping", "ModelCheckpoint", "TrainingCheckpoint", "LambdaCallback",
           "metrics", "accuracy", "precision", "recall", "f1_score", "confusion_matrix", "r2_score",
           "linear_regression_normal_equation", "lr_find", "LRFinderResult", "sweep",
           "SweepResults", "GRID_KEYS"]

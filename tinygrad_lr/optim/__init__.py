"""Optimizers (PyTorch's names and update rules) and learning-rate schedulers."""
from ..compat import missing_attribute
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .newton import Newton
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "NAdam",
           "Adamax", "Newton", "LBFGS", "lr_scheduler"]


def __getattr__(name):
    """A PyTorch name that tinygrad_lr does not have fails saying so."""
    raise missing_attribute("torch.optim", name, globals())

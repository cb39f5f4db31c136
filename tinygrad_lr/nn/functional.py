"""nn.functional: the function form of every layer and loss.

`import tinygrad_lr.nn.functional as F`, as in PyTorch."""
from ..compat import missing_attribute
from . import functional_conv as _conv
from . import functional_dropout as _dropout
from . import functional_layers as _layers
from . import loss_functions as _losses
from .functional_conv import *  # noqa: F401,F403  conv1d, conv2d, conv_transpose2d, pooling
from .functional_dropout import *  # noqa: F401,F403  dropout
from .functional_layers import *  # noqa: F401,F403  linear, activations, dropout, norms, embedding
from .loss_functions import *  # noqa: F401,F403  every loss, l1_penalty, l2_penalty

__all__ = [*_conv.__all__, *_dropout.__all__, *_layers.__all__, *_losses.__all__]


def __getattr__(name):
    """A PyTorch name that tinygrad_lr does not have fails saying so."""
    raise missing_attribute("torch.nn.functional", name, globals())

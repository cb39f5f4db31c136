"""Neural-network building blocks with PyTorch's names, defaults and state_dict layout."""
from ..compat import missing_attribute
from . import conv as _conv
from . import functional, init, utils
from . import layers as _layers
from . import loss as _loss
from . import normalization as _normalization
from . import rnn as _rnn
from .conv import *  # noqa: F401,F403  Conv1d, Conv2d, ConvTranspose2d, pooling
from .layers import *  # noqa: F401,F403  Linear, Dropout, Embedding, activations, ...
from .loss import *  # noqa: F401,F403  every loss module
from .module import Module, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .normalization import *  # noqa: F401,F403  BatchNorm1d/2d, LayerNorm
from .parameter import Parameter
from .rnn import *  # noqa: F401,F403  RNN, LSTM, GRU and their cells

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "Parameter", "functional", "init", "utils", *_conv.__all__, *_layers.__all__,
           *_loss.__all__, *_normalization.__all__, *_rnn.__all__]


def __getattr__(name):
    """A PyTorch name that tinygrad_lr does not have fails saying so."""
    raise missing_attribute("torch.nn", name, globals())

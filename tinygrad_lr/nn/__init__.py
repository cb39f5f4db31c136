"""Neural-network building blocks with PyTorch's names, defaults and state_dict layout."""
from .module import Module, ModuleDict, ModuleList, Sequential
from .parameter import Parameter

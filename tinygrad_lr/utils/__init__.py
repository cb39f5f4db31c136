"""`tl.utils`: PyTorch's import path for the data tools (`tl.utils.data`)."""
from ..compat import missing_attribute
from . import data

__all__ = ["data"]


def __getattr__(name):
    raise missing_attribute("torch.utils", name, globals())

"""`tl.utils`: PyTorch's import path for the data tools (`tl.utils.data`)."""
from . import data

__all__ = ["data"]


def __getattr__(name):
    from ..compat import missing_attribute

    raise missing_attribute("torch.utils", name, globals())

"""`tl.utils.data`: PyTorch's import path (`from torch.utils.data import DataLoader`) for the
classes of `tinygrad_lr.data`; the same objects, not copies. (A package, so that
`torch.utils.data.dataset` / `.dataloader` resolve under `tl.as_torch()`.)"""
from ...compat import missing_attribute
from ...data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate",
           "random_split"]


def __getattr__(name):
    raise missing_attribute("torch.utils.data", name, globals())

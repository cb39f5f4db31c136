"""Data: Dataset, TensorDataset, DataLoader, random_split and the built-in datasets."""
from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "default_collate",
           "random_split", "datasets"]

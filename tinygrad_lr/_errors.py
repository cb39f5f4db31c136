"""The two errors for PyTorch names tinygrad_lr lacks, below `compat` and `dtypes` (both
raise them; `compat` builds their messages and needs `dtypes`' table of unsupported dtypes)."""

__all__ = ["MissingAPIError", "MissingModuleError"]


class MissingAPIError(AttributeError):
    """PyTorch code used an attribute tinygrad_lr does not have."""


class MissingModuleError(ModuleNotFoundError):
    """PyTorch code imported a submodule (or a PyTorch package) tinygrad_lr does not have."""

"""Running PyTorch code unchanged: `tl.as_torch()` and the "tinygrad_lr has no torch.xyz" error.

This module never imports PyTorch (torch is only the test oracle). A user's script calls
`tinygrad_lr.as_torch()` first; from then on its own torch imports (`torch`, `torch.nn`,
`torch.utils.data`, ...) resolve to tinygrad_lr (the README's "PyTorch code unchanged").

`as_torch()` makes `torch` an alias of tinygrad_lr in `sys.modules` and puts an import hook
first in `sys.meta_path` that resolves every `torch.<sub>` to `tinygrad_lr.<sub>`
(`torch.optim.lr_scheduler`, `torch.autograd.functional`, `torch.utils.data`,
`torch.backends.cudnn`, ...). What tinygrad_lr does not have fails at once with a clear
error instead of a crash further on: importing a missing submodule (`torch.distributed`)
or torchvision/torchaudio/torchtext raises `MissingModuleError` (an ImportError), and a
missing attribute (`torch.compile`, `torch.complex64`, `x.to_sparse()`) raises
`MissingAPIError` (an AttributeError, so `hasattr` and `getattr(obj, name, default)` still
work), built by `missing_attribute`, which every public namespace's `__getattr__` calls.
"""
import difflib
import importlib
import importlib.abc
import importlib.machinery
import sys

from ._errors import MissingAPIError, MissingModuleError
from .dtypes import UNSUPPORTED, unsupported_dtype_error

# Why a well-known PyTorch feature is absent, by name (for attributes and for submodules).
HINTS = {
    "compile": "there is no compiler; call the model directly (its hot ops are Numba "
               "kernels already)",
    "jit": "there is no TorchScript; call the model directly",
    "distributed": "tinygrad_lr trains in one process on the CPU",
    "multiprocessing": "tinygrad_lr trains in one process; DataLoader loads in the main "
                       "process",
    "amp": "there is no mixed precision; train in float32 (or float64)",
    "autocast": "there is no mixed precision; train in float32 (or float64)",
    "fft": "there are no FFTs (numpy.fft works on t.numpy())",
    "sparse": "tensors are dense numpy arrays",
    "to_sparse": "tensors are dense numpy arrays",
    "quantization": "there is no quantization",
    "ao": "there is no quantization",
    "onnx": "there is no ONNX export; save weights with tl.save",
    "export": "there is no graph export; save weights with tl.save",
    "hub": "there is no model hub (no downloads)",
    "fx": "there is no graph capture",
    "vmap": "there is no vmap; use batched tensors (or tl.autograd.functional.jacobian)",
    "func": "there is no torch.func; use tl.autograd.functional (jacobian, hessian, vjp, jvp, "
            "hvp)",
    "profiler": "there is no profiler; time calls with time.perf_counter",
    "Generator": "random numbers come from one global generator: seed it with "
                 "tl.manual_seed",
    "pin_memory": "tinygrad_lr runs on the CPU only: there is nothing to pin memory for",
    "cuda": "tinygrad_lr runs on the CPU only",
    "is_cuda": "tinygrad_lr runs on the CPU only",
}
# Packages built on PyTorch that cannot run on tinygrad_lr.
PACKAGES = {
    "torchvision": "load images with numpy and wrap them in tl.utils.data.TensorDataset "
                   "(tl.data.datasets.load_digits() is a built-in image set); write transforms "
                   "as tensor ops",
    "torchaudio": "load audio with numpy or the standard library's wave module",
    "torchtext": "tokenize with plain Python and index an nn.Embedding",
    "torchdata": "use tl.utils.data (Dataset, DataLoader)",
    "torchmetrics": "use tl.train.metrics (accuracy, precision, recall, f1_score, ...)",
    "lightning": "use tl.train.fit",
    "pytorch_lightning": "use tl.train.fit",
}
# `torch.<sub>` submodules whose tinygrad_lr counterpart has another name
MODULE_ALIASES = {
    "torch.utils.data.dataset": "tinygrad_lr.data.dataset",
    "torch.utils.data.dataloader": "tinygrad_lr.data.dataloader",
}


def _hint(name):
    for part in reversed(name.split(".")):
        if part in HINTS:
            return HINTS[part]
    return None


def missing_attribute(owner: str, name: str, namespace=None) -> AttributeError:
    """The error for `owner.name` that tinygrad_lr lacks, in PyTorch's terms.

    `owner` is the PyTorch spelling of the object: "torch", "torch.nn.functional",
    "Tensor", "nn.Module". `namespace` (a dict or list of the names that do exist) gives
    "did you mean" suggestions. Private and dunder names get Python's plain message: Python
    itself probes those (`__path__`, `_repr_html_`) and expects a quiet AttributeError.
    """
    if name.startswith("_"):
        return AttributeError(f"{owner!r} has no attribute {name!r}")
    if owner == "torch" and name in UNSUPPORTED:
        return MissingAPIError(str(unsupported_dtype_error(name, f"torch.{name}")))
    text = f"tinygrad_lr has no {owner}.{name}"
    hint = _hint(f"{owner}.{name}")
    if hint:
        text += f": {hint}"
    if namespace is not None:
        names = [n for n in namespace if isinstance(n, str) and not n.startswith("_")]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.75)
        if close:
            text += " (did you mean " + " or ".join(f"{owner}.{c}" for c in close) + "?)"
    return MissingAPIError(text)


def missing_module(fullname: str) -> MissingModuleError:
    """The error for importing `fullname` (a `torch.` submodule or a PyTorch package)."""
    top = fullname.split(".")[0]
    if top in PACKAGES:
        text = f"tinygrad_lr has no {top}: it is a PyTorch package; {PACKAGES[top]}"
    else:
        text = f"tinygrad_lr has no module {fullname}"
        hint = _hint(fullname)
        if hint:
            text += f": {hint}"
    return MissingModuleError(text, name=fullname)


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system a module that is already loaded (tinygrad_lr.<sub>)."""

    def __init__(self, module):
        self.module, self.own_spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # the import system stamped the alias's spec on the module: give it back its own
        module.__spec__ = self.own_spec


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: `torch.X.Y` -> `tinygrad_lr.X.Y`, and PyTorch packages
    (torchvision, ...) -> MissingModuleError, so nothing loads the real PyTorch."""

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top in PACKAGES:
            raise missing_module(fullname)
        if top != "torch":
            return None
        target_name = MODULE_ALIASES.get(fullname, "tinygrad_lr" + fullname[len("torch"):])
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as e:
            if e.name and target_name.startswith(e.name):  # the module itself is missing
                raise missing_module(fullname) from None
            raise
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module),
                                              is_package=hasattr(module, "__path__"))


def as_torch():
    """Make `import torch` import tinygrad_lr (and `torch.nn` tinygrad_lr.nn, and so on).

    Call it before anything imports the real PyTorch; calling it again does nothing.
    Returns the tinygrad_lr module. PyTorch code then runs unchanged where tinygrad_lr has
    what it uses, and fails with MissingAPIError / MissingModuleError / DeviceError where
    it does not.
    """
    tinygrad_lr = sys.modules[__package__]  # importing this module imported the package first
    current = sys.modules.get("torch")
    if current is not None and current is not tinygrad_lr:
        raise RuntimeError("as_torch(): the real PyTorch is already imported in this "
                           "process; call tinygrad_lr.as_torch() before anything imports torch")
    if not any(isinstance(f, _TorchAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchAliasFinder())
    sys.modules["torch"] = tinygrad_lr
    return tinygrad_lr

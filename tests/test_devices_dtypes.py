"""Devices, dtypes, the accelerator probes and the `import torch` shim, against PyTorch."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr import accelerator, backends, compat, cpu, cuda, devices, dtypes
from tinygrad_lr.devices import DeviceError

pytestmark = pytest.mark.usefixtures("torch_float32_default")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ================================================================ devices
@pytest.mark.parametrize("args", [("cpu",), ("cpu:0",), ("cpu", 0), ("cpu", 1), ("cpu:3",)])
def test_cpu_device_is_torch_device(args):
    ours, theirs = devices.device(*args), torch.device(*args)
    assert (repr(ours), str(ours), ours.type, ours.index) == \
        (repr(theirs), str(theirs), theirs.type, theirs.index)
    assert devices.device(ours) == ours and hash(devices.device(*args)) == hash(ours)


def test_device_equality_and_immutability_as_torch():
    assert (devices.device("cpu") == devices.device("cpu:0")) == \
        (torch.device("cpu") == torch.device("cpu:0"))
    assert (devices.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    with pytest.raises(AttributeError):
        devices.device("cpu").type = "cuda"


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "mps", "xpu", "meta", ("cuda", 1), 0])
def test_every_accelerator_gives_the_one_cpu_only_error(spec):
    args = spec if isinstance(spec, tuple) else (spec,)
    with pytest.raises(DeviceError, match="tinygrad_lr runs on the CPU only"):
        devices.device(*args)
    with pytest.raises(DeviceError, match="runs on the CPU only"):
        tl.zeros(2, device=spec if not isinstance(spec, tuple) else "cuda:1")


@pytest.mark.parametrize("spec", ["foo", "CPU", "gpu", ""])
def test_an_unknown_device_string_is_named(spec):
    with pytest.raises(DeviceError, match=f"unknown device {spec!r}.*CPU only"):
        devices.device(spec)
    with pytest.raises(RuntimeError):  # PyTorch refuses these too
        torch.device(spec)


def test_bad_device_index_and_strings():
    for bad in ("cpu:x", "cpu:-1"):
        with pytest.raises(DeviceError, match="invalid device string"):
            devices.device(bad)
    with pytest.raises(DeviceError, match="must not be negative"):
        devices.device("cpu", -1)
    with pytest.raises(DeviceError, match="expected a device"):
        devices.device(None)
    with pytest.raises(DeviceError, match=r"zeros\(\): device: expected a device"):
        tl.zeros(2, device=3.5)


def test_parse_to_reads_every_form_of_to():
    f64 = np.dtype(np.float64)
    t = tl.zeros(1, dtype="float64")
    cases = [((), {}, None), ((dtypes.float64,), {}, f64),
             (("cpu",), {}, None), (("cpu", f64), {}, f64), ((), {"device": "cpu"}, None),
             ((), {"dtype": f64}, f64), ((t,), {}, f64), ((f64, True), {}, f64),
             ((devices.device("cpu"),), {"dtype": f64, "non_blocking": True}, f64)]
    for args, kwargs, want in cases:
        assert devices.parse_to(args, kwargs)[0] == want, (args, kwargs)
    with pytest.raises(DeviceError, match="CPU only"):
        devices.parse_to(("cuda",), {})
    with pytest.raises(TypeError, match="must be a dtype"):
        devices.parse_to((1.5,), {})
    with pytest.raises(TypeError, match="unexpected keyword"):
        devices.parse_to((), {"devcie": "cpu"})


# ================================================================ probes
def test_probes_answer_as_a_cpu_only_pytorch():
    pairs = [(cuda.is_available(), torch.cuda.is_available()),
             (cuda.device_count(), torch.cuda.device_count()),
             (cuda.is_initialized(), torch.cuda.is_initialized()),
             (cuda.memory_allocated(), torch.cuda.memory_allocated()),
             (cuda.is_bf16_supported(), torch.cuda.is_bf16_supported()),
             (accelerator.is_available(), torch.accelerator.is_available()),
             (accelerator.current_accelerator(), torch.accelerator.current_accelerator()),
             (accelerator.device_count(), torch.accelerator.device_count()),
             (backends.mps.is_available(), torch.backends.mps.is_available()),
             (backends.mps.is_built(), torch.backends.mps.is_built()),
             (backends.cudnn.is_available(), torch.backends.cudnn.is_available()),
             (backends.cudnn.version(), torch.backends.cudnn.version()),
             (backends.cuda.is_built(), torch.backends.cuda.is_built()),
             (cpu.is_available(), torch.cpu.is_available()),
             (cpu.device_count(), torch.cpu.device_count())]
    for ours, theirs in pairs:
        assert ours == theirs
    for fn in (cuda.manual_seed, cuda.manual_seed_all):
        assert fn(0) is None
    assert cuda.empty_cache() is None and cpu.synchronize() is None


@pytest.mark.parametrize("call", [cuda.current_device, cuda.synchronize,
                                  lambda: cuda.get_device_name(0), lambda: cuda.set_device(0),
                                  accelerator.synchronize, accelerator.current_device_index])
def test_gpu_only_calls_raise_device_error(call):
    with pytest.raises(DeviceError, match="CPU only; there is no"):
        call()


def test_backend_switches_can_be_set_and_read():
    backends.cudnn.benchmark = True
    backends.cuda.matmul.allow_tf32 = True
    backends.set_float32_matmul_precision("high")
    assert backends.get_float32_matmul_precision() == "high"
    with pytest.warns(UserWarning, match="no effect"):
        backends.set_float32_matmul_precision("fastest")
    assert backends.get_float32_matmul_precision() == "high"
    backends.set_float32_matmul_precision("highest")
    backends.use_deterministic_algorithms(True)
    assert backends.are_deterministic_algorithms_enabled()
    backends.use_deterministic_algorithms(False)
    with pytest.raises(TypeError, match="must be a bool"):
        backends.use_deterministic_algorithms("yes")
    backends.cudnn.benchmark = False


# ================================================================ dtypes
TORCH_NAMES = ["float32", "float", "float64", "double", "float16", "half", "int64", "long",
               "int32", "int", "int16", "short", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_dtype_names_mean_what_they_mean_in_torch(name):
    ours = dtypes.ALIASES.get(name) or getattr(dtypes, name if name != "bool" else "bool_")
    theirs = getattr(torch, name)
    assert ours == np.dtype(str(theirs).removeprefix("torch."))
    assert ours.itemsize == theirs.itemsize
    assert getattr(dtypes, name) is ours  # also through the module (float, int, bool too)
    t = tl.zeros(2, dtype=ours)
    assert t.dtype == ours and t.dtype is ours  # numpy dtypes are singletons
    assert dtypes.resolve_dtype(ours) is ours


@pytest.mark.parametrize("spec,want", [(float, "float64"), (int, "int64"), (bool, "bool"),
                                       (np.float32, "float32"), ("float64", "float64"),
                                       ("torch.LongTensor", "int64"), ("DoubleTensor", "float64"),
                                       (np.dtype("int8"), "int8")])
def test_resolve_dtype_accepts_what_users_write(spec, want):
    assert dtypes.resolve_dtype(spec) == np.dtype(want)


@pytest.mark.parametrize("spec,match", [
    ("complex64", "cannot store complex64 tensors"), (np.complex128, "cannot store complex128"),
    ("bfloat16", "cannot store bfloat16"), (np.uint16, "cannot store uint16"),
    ("torch.cfloat", "cannot store cfloat"), (object, "cannot store object"),
    ("flot32", "must be a dtype such as tl.float32"), (3, "must be a dtype"),
    (np.zeros(2), "must be a dtype")])
def test_resolve_dtype_names_what_it_cannot_store(spec, match):
    with pytest.raises(TypeError, match=match):
        dtypes.resolve_dtype(spec, "zeros(): dtype")
    with pytest.raises(TypeError, match=r"zeros\(\): dtype"):
        tl.zeros(2, dtype=spec)


def test_unsupported_dtype_attributes_say_so_and_hasattr_is_false():
    with pytest.raises(compat.MissingAPIError, match="cannot store complex64 tensors"):
        dtypes.complex64  # noqa: B018
    assert not hasattr(dtypes, "bfloat16") and hasattr(torch, "bfloat16")


def test_default_dtype_as_torch():
    assert dtypes.get_default_dtype() == np.float32 == np.dtype(str(torch.get_default_dtype())
                                                                 .removeprefix("torch."))
    try:
        for d in ("float64", "float16"):
            dtypes.set_default_dtype(d)
            assert dtypes.get_default_dtype() == np.dtype(d)
            assert tl.zeros(2).dtype == tl.rand(2).dtype == tl.linspace(0, 1, 3).dtype == d
            assert tl.arange(0.0, 2.0).dtype == d and tl.arange(3).dtype == np.int64
            assert tl.full((1,), 1.5).dtype == d and tl.full((1,), 1).dtype == np.int64
        for bad in ("int64", bool, "bfloat16"):
            with pytest.raises(TypeError, match="set_default_dtype"):
                dtypes.set_default_dtype(bad)
    finally:
        dtypes.set_default_dtype("float32")


def test_finfo_iinfo_promote_types_can_cast_match_torch():
    for name in ("float16", "float32", "float64"):
        ours, theirs = dtypes.finfo(name), torch.finfo(getattr(torch, name))
        assert (ours.eps, ours.max, ours.tiny, ours.bits) == \
            (theirs.eps, theirs.max, theirs.tiny, theirs.bits)
    assert dtypes.finfo().eps == torch.finfo().eps
    for name in ("int8", "int16", "int32", "int64", "uint8"):
        ours, theirs = dtypes.iinfo(name), torch.iinfo(getattr(torch, name))
        assert (ours.min, ours.max, ours.bits) == (theirs.min, theirs.max, theirs.bits)
    with pytest.raises(TypeError, match="iinfo"):
        dtypes.finfo("int32")
    with pytest.raises(TypeError, match="finfo"):
        dtypes.iinfo("float32")
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
             "float64"]
    for a in names:
        for b in names:
            ta, tb = getattr(torch, a), getattr(torch, b)
            assert dtypes.promote_types(a, b) == np.dtype(
                str(torch.promote_types(ta, tb)).removeprefix("torch.")), (a, b)
            assert dtypes.can_cast(a, b) == torch.can_cast(ta, tb), (a, b)


def test_type_name_is_pytorchs_legacy_name():
    for name in ("float32", "float64", "float16", "int64", "int32", "uint8", "bool"):
        assert dtypes.type_name(name) == torch.zeros(1, dtype=getattr(torch, name)).type()


# ================================================================ missing names
def test_missing_attribute_speaks_pytorch():
    err = compat.missing_attribute("torch", "compile")
    assert isinstance(err, AttributeError) and "tinygrad_lr has no torch.compile" in str(err)
    assert "no compiler" in str(err)
    err = compat.missing_attribute("torch", "tanhh", ["tanh", "tan", "exp"])
    assert "did you mean torch.tanh" in str(err)
    err = compat.missing_attribute("torch", "complex64")
    assert "cannot store complex64" in str(err)
    assert "runs on the CPU only" in str(compat.missing_attribute("torch.cuda", "Event"))
    assert type(compat.missing_attribute("torch", "__wrapped__")) is AttributeError
    assert "tinygrad_lr has no Tensor.to_sparse" in str(
        compat.missing_attribute("Tensor", "to_sparse"))


def test_tensor_attributes_pytorch_has_and_tinygrad_lr_lacks():
    t = tl.ones(2)
    with pytest.raises(compat.MissingAPIError, match="no Tensor.to_sparse: tensors are dense"):
        t.to_sparse()
    with pytest.raises(compat.MissingAPIError, match="no Tensor.pin_memory: .*CPU only"):
        t.pin_memory()
    assert not hasattr(t, "to_sparse")
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'tanhh'"):
        t.tanhh()


def test_namespaces_raise_missing_api_error():
    from tinygrad_lr.utils import data

    for module, name in ((cuda, "Event"), (accelerator, "graphs"), (backends, "mkldnn"),
                         (data, "IterableDataset"), (cpu, "Stream")):
        with pytest.raises(compat.MissingAPIError, match=f"tinygrad_lr has no torch.*{name}"):
            getattr(module, name)
        assert not hasattr(module, name)
    assert data.DataLoader is tl.data.DataLoader and data.random_split is tl.data.random_split


# ================================================================ the shim, in a fresh process
SHIM_SCRIPT = r"""
import json, sys
import tinygrad_lr
from tinygrad_lr.compat import as_torch, MissingModuleError
assert as_torch() is tinygrad_lr and as_torch() is tinygrad_lr
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim.lr_scheduler
import torch.autograd.functional
import torch.backends.cudnn as cudnn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.dataset import Dataset
from torch.optim.lr_scheduler import StepLR
out = {"torch": torch.__name__, "nn": nn.__name__, "F": F.__name__,
       "sched": torch.optim.lr_scheduler.__name__, "afun": torch.autograd.functional.__name__,
       "cudnn": cudnn.__name__, "loader": DataLoader is tinygrad_lr.data.DataLoader,
       "dataset": Dataset is tinygrad_lr.data.Dataset, "steplr": StepLR.__module__,
       "spec": tinygrad_lr.nn.__spec__.name, "tensor_class": torch.nn.Parameter.__mro__[1].__module__}
errors = {}
for stmt in ("import torch.distributed", "import torchvision", "from torchvision import datasets",
             "import torch.nn.functional.nothing"):
    try:
        exec(stmt)
    except ImportError as e:
        errors[stmt] = [type(e).__name__, str(e)]
out["errors"] = errors
out["real_torch_loaded"] = any(m.startswith("torch._C") for m in sys.modules)
print(json.dumps(out))
"""


def test_as_torch_resolves_pytorchs_import_paths_to_tinygrad_lr():
    env = dict(os.environ, PYTHONPATH=ROOT)
    res = subprocess.run([sys.executable, "-c", SHIM_SCRIPT], capture_output=True, text=True,
                         env=env, timeout=300, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert out["torch"] == "tinygrad_lr" and out["nn"] == "tinygrad_lr.nn"
    assert out["F"] == "tinygrad_lr.nn.functional"
    assert out["sched"] == "tinygrad_lr.optim.lr_scheduler"
    assert out["afun"] == "tinygrad_lr.autograd.functional"
    assert out["cudnn"] == "tinygrad_lr.backends.cudnn"
    assert out["loader"] and out["dataset"] and out["steplr"] == "tinygrad_lr.optim.lr_scheduler"
    assert out["spec"] == "tinygrad_lr.nn"  # the alias did not overwrite the module's spec
    assert not out["real_torch_loaded"]
    errors = out["errors"]
    assert errors["import torch.distributed"] == [
        "MissingModuleError",
        "tinygrad_lr has no module torch.distributed: tinygrad_lr trains in one process on the CPU"]
    for stmt in ("import torchvision", "from torchvision import datasets"):
        assert errors[stmt][0] == "MissingModuleError"
        assert "tinygrad_lr has no torchvision" in errors[stmt][1]
    assert "torch.nn.functional.nothing" in errors["import torch.nn.functional.nothing"][1]


def test_as_torch_refuses_when_the_real_torch_is_loaded():
    with pytest.raises(RuntimeError, match="real PyTorch is already imported"):
        compat.as_torch()
    assert sys.modules["torch"] is torch


def test_the_package_has_pytorchs_top_level_names():
    from tinygrad_lr import torch_namespace

    for name in torch_namespace.__all__:
        assert getattr(tl, name) is getattr(torch_namespace, name), name
    for name in ("cuda", "cpu", "accelerator", "backends", "utils"):
        assert getattr(tl, name).__name__ == f"tinygrad_lr.{name}"
    with pytest.raises(compat.MissingAPIError, match="tinygrad_lr has no torch.compile"):
        tl.compile  # noqa: B018

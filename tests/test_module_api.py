"""nn.Module's API against torch.nn.Module: to/type/half, buffers, registration errors,
hooks, state_dict, containers and their repr."""
import copy

import numpy as np
import pytest
import torch

import tinygrad_lr as tl
from tinygrad_lr import compat, devices, dtypes, nn
from tinygrad_lr.devices import DeviceError

pytestmark = pytest.mark.usefixtures("torch_float32_default")


def pair(build):
    """The same model built with both libraries."""
    return build(nn), build(torch.nn)


def bn_model(lib):
    return lib.Sequential(lib.Linear(2, 3), lib.BatchNorm1d(3))


def dtypes_of(model):
    return [str(t.dtype).removeprefix("torch.") for _, t in
            list(model.named_parameters()) + list(model.named_buffers())]


@pytest.mark.parametrize("convert", [
    lambda m, lib: m.to(lib.float64 if lib is torch else dtypes.float64),
    lambda m, lib: m.to("cpu", lib.float16 if lib is torch else dtypes.float16),
    lambda m, lib: m.to(device="cpu", dtype=lib.float64 if lib is torch else dtypes.float64),
    lambda m, lib: m.to((torch if lib is torch else tl).zeros(1, dtype=(
        torch.float64 if lib is torch else dtypes.float64))),
    lambda m, lib: m.to((torch.device if lib is torch else devices.device)("cpu")),
    lambda m, lib: m.to("cpu"), lambda m, lib: m.to(),
    lambda m, lib: m.double(), lambda m, lib: m.half(), lambda m, lib: m.double().float(),
    lambda m, lib: m.type(lib.float64 if lib is torch else dtypes.float64),
    lambda m, lib: m.type("torch.DoubleTensor"), lambda m, lib: m.cpu(),
    lambda m, lib: m.to(lib.float64 if lib is torch else dtypes.float64, non_blocking=True),
])
def test_conversions_change_the_same_tensors_as_torch(convert):
    ours, theirs = pair(bn_model)
    weight = ours[0].weight
    assert convert(ours, tl) is ours and convert(theirs, torch) is theirs
    assert dtypes_of(ours) == dtypes_of(theirs)
    assert ours[0].weight is weight  # the Parameter objects stay (optimizers keep working)


def test_conversion_converts_grads_and_refuses_integer_dtypes():
    ours = bn_model(nn)
    ours(tl.ones(4, 2)).sum().backward()
    ours.double()
    assert ours[0].weight.grad.dtype == np.float64
    for bad in (dtypes.int64, tl.zeros(1, dtype="int64")):
        with pytest.raises(TypeError, match="only floating dtypes"):
            ours.to(bad)
        with pytest.raises(TypeError):
            bn_model(torch.nn).to(torch.int64)
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        ours.type(dtypes.int64)
    assert ours[0].weight.dtype == np.float64  # nothing half-converted
    with pytest.raises(TypeError, match="does not accept a copy"):
        ours.to(dtypes.float32, copy=True)
    with pytest.raises(DeviceError, match="CPU only"):
        ours.to("cuda")
    with pytest.raises(DeviceError, match=r"Module.cuda\(\): tinygrad_lr runs on the CPU"):
        ours.cuda()


def test_device_attribute_and_user_attributes_named_device():
    assert nn.Linear(2, 2).device == devices.CPU

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.device = "mine"

    assert M().device == "mine"


def test_buffers_as_torch():
    def build(lib):
        class M(lib.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("b", (tl if lib is nn else torch).zeros(2))
                self.register_buffer("tmp", (tl if lib is nn else torch).ones(1),
                                     persistent=False)
                self.register_buffer("none", None)
                self.bn = lib.BatchNorm1d(2)
        return M()

    ours, theirs = pair(build)
    for call in (lambda m: [n for n, _ in m.named_buffers()],
                 lambda m: [n for n, _ in m.named_buffers(prefix="x")],
                 lambda m: [n for n, _ in m.named_buffers(recurse=False)],
                 lambda m: len(list(m.buffers())), lambda m: list(m.state_dict()),
                 lambda m: list(m.state_dict(prefix="p.")),
                 lambda m: [n for n, _ in m.bn.named_buffers(recurse=False)]):
        assert call(ours) == call(theirs)
    ours.b = tl.ones(3)  # re-assigning keeps it a buffer
    assert "b" in dict(ours.named_buffers()) and ours.b.shape == (3,)
    del ours.tmp
    assert [n for n, _ in ours.named_buffers(recurse=False)] == ["b"]


@pytest.mark.parametrize("call,error,match", [
    (lambda m, t: m.register_buffer("x.y", t.ones(1)), KeyError, "contain"),
    (lambda m, t: m.register_buffer("", t.ones(1)), KeyError, "empty string"),
    (lambda m, t: m.register_buffer(3, t.ones(1)), TypeError, "should be a string"),
    (lambda m, t: m.register_buffer("c", 3), TypeError, "cannot assign 'int' object to buffer"),
    (lambda m, t: m.register_buffer("training", t.ones(1)), KeyError, "already exists"),
    (lambda m, t: m.register_buffer("weight", t.ones(1)), KeyError, "already exists"),
    (lambda m, t: m.register_parameter("p", t.ones(1)), TypeError, "to parameter 'p'"),
    (lambda m, t: m.register_parameter("x.y", None), KeyError, "contain"),
    (lambda m, t: m.add_module("x.y", m), KeyError, "contain"),
    (lambda m, t: m.add_module("weight", m), KeyError, "already exists"),
    (lambda m, t: m.add_module("q", 3), TypeError, "int is not a Module subclass"),
    (lambda m, t: setattr(m, "running", 1) or m.register_buffer("b", t.ones(1)) or
     setattr(m, "b", 5), TypeError, "to buffer 'b'"),
    (lambda m, t: m.train(1), ValueError, "training mode is expected to be boolean"),
    (lambda m, t: m.get_submodule("nope"), AttributeError, "nope"),
    (lambda m, t: m.get_parameter("nope"), AttributeError, "nope"),
])
def test_registration_errors_as_torch(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.Linear(1, 1), tl)
    with pytest.raises(error):
        call(torch.nn.Linear(1, 1), torch)


LIBS = pytest.mark.parametrize("lib,t", [(nn, tl), (torch.nn, torch)], ids=["ours", "torch"])


@LIBS
def test_assigning_before_init_as_torch(lib, t):
    class Plain(lib.Module):
        def __init__(self):
            self.x = 1  # a plain attribute is fine, as in torch

    assert Plain().x == 1

    class Early(lib.Module):
        def __init__(self):
            self.w = lib.Parameter(t.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_get_submodule_parameter_buffer():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.get_submodule("0") is model[0] and model.get_submodule("") is model
    assert model.get_parameter("0.bias") is model[0].bias
    assert model.get_buffer("1.running_mean") is model[1].running_mean


@LIBS
def test_forward_hooks_as_torch(lib, t):
    seen = []
    m = lib.Linear(2, 2)
    h1 = m.register_forward_pre_hook(lambda mod, args: seen.append(("pre", len(args))))
    h2 = m.register_forward_hook(lambda mod, args, out: seen.append(("post", out.shape[0])))
    m(t.zeros(3, 2))
    h1.remove()
    h2.remove()
    m(t.zeros(3, 2))
    assert seen == [("pre", 1), ("post", 3)]
    m.register_forward_pre_hook(lambda mod, args: args[0] * 0)  # one value: wrapped
    m.register_forward_hook(lambda mod, args, out: out + 1)
    out = m(t.ones(1, 2)) - m.bias
    np.testing.assert_allclose(np.asarray(out.detach().numpy()), [[1.0, 1.0]], rtol=1e-6)
    with m.register_forward_hook(lambda *a: None) as handle:
        assert handle.id >= 0


def test_state_dict_is_detached_and_shares_storage():
    model = nn.Linear(2, 2)
    sd = model.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"] += 1  # in place on the detached alias changes the model, as in torch
    assert np.all(model.weight.numpy() == sd["weight"].numpy())
    assert model.state_dict(keep_vars=True)["weight"] is model.weight
    best = copy.deepcopy(model.state_dict())
    with tl.no_grad():
        model.weight.zero_()
    model.load_state_dict(best)
    assert np.all(model.weight.numpy() == best["weight"].numpy())
    dest = {}
    assert model.state_dict(destination=dest) is dest and list(dest) == ["weight", "bias"]


def test_what_is_computed_from_a_parameter_is_a_plain_tensor():
    layer = nn.Embedding(3, 2)
    w = layer.weight
    for t in (layer.state_dict()["weight"], w.data, w.detach(), w * 2, w[0], w.reshape(6),
              layer(tl.tensor([0, 1]))):
        assert type(t) is tl.Tensor  # as in PyTorch
    assert type(copy.deepcopy(w)) is nn.Parameter and type(w) is nn.Parameter


def test_apply_visits_children_first_then_the_module():
    order = []
    nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU())).apply(
        lambda m: order.append(type(m).__name__))
    theirs = []
    torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sequential(torch.nn.ReLU())).apply(
        lambda m: theirs.append(type(m).__name__))
    assert order == theirs


def test_requires_grad_and_parameter_counts():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    assert model[0].requires_grad_(False) is model[0]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 5
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_containers_as_torch():
    def ops(lib):
        s = lib.Sequential(lib.ReLU(), lib.Tanh())
        s.insert(1, lib.Sigmoid())
        s.extend([lib.ReLU()])
        popped = s.pop(0)
        s[0] = lib.Tanh()
        joined = s + lib.Sequential(lib.Identity())
        del joined[1]
        ml = lib.ModuleList([lib.ReLU()])
        ml += [lib.Tanh()]
        ml.insert(0, lib.Sigmoid())
        md = lib.ModuleDict({"b": lib.ReLU(), "a": lib.Tanh()})
        md.update({"c": lib.Sigmoid()})
        return [repr(s), repr(popped), repr(joined), len(s), repr(s[-1]), repr(s[1:]), repr(ml),
                list(md.keys()), repr(md), repr(md.pop("a"))]

    assert ops(nn) == ops(torch.nn)
    for build in (lambda lib: lib.ModuleList([lib.Linear(2, 2) for _ in range(3)]),
                  lambda lib: lib.ModuleList([lib.ReLU(), lib.ReLU(), lib.Tanh(), lib.ReLU()]),
                  lambda lib: lib.ModuleList([lib.Sequential(lib.ReLU(), lib.Tanh())] * 2),
                  lambda lib: lib.ModuleList()):
        assert repr(build(nn)) == repr(build(torch.nn))
    for bad in (lambda lib: lib.Sequential(lib.ReLU(), 3), lambda lib: lib.ModuleList([3]),
                lambda lib: lib.Sequential(lib.ReLU())[5]):
        for lib in (nn, torch.nn):
            with pytest.raises((TypeError, IndexError)):
                bad(lib)


def test_parameter_containers_as_torch():
    pl = nn.ParameterList([nn.Parameter(tl.ones(1)), tl.zeros(2)])
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(1)), torch.zeros(2)])
    assert [n for n, _ in pl.named_parameters()] == [n for n, _ in tpl.named_parameters()]
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    pd = nn.ParameterDict({"a": nn.Parameter(tl.ones(1))})
    pd["b"] = tl.zeros(2)
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["b"], nn.Parameter)
    model = nn.Module()
    model.params = pl
    assert [n for n, _ in model.named_parameters()] == ["params.0", "params.1"]


def test_repr_with_extra_repr_and_children_as_torch():
    def build(lib):
        class Block(lib.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.Linear(2, 3)

            def extra_repr(self):
                return "a=1\nb=2"

        class Leaf(lib.Module):
            def extra_repr(self):
                return "a=1\nb=2"

        class Bare(lib.Module):
            pass

        return [repr(Block()), repr(Leaf()), repr(Bare())]

    assert build(nn) == build(torch.nn)


def test_missing_pytorch_module_methods_say_so():
    with pytest.raises(compat.MissingAPIError, match="tinygrad_lr has no nn.Module.compile"):
        nn.Linear(1, 1).compile()
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        nn.Linear(1, 1).nope  # noqa: B018


LAYERS = [lambda lib, **kw: lib.Linear(2, 3, **kw), lambda lib, **kw: lib.Bilinear(2, 2, 3, **kw),
          lambda lib, **kw: lib.Conv1d(1, 2, 3, **kw), lambda lib, **kw: lib.Conv2d(1, 2, 3, **kw),
          lambda lib, **kw: lib.ConvTranspose2d(1, 2, 3, **kw),
          lambda lib, **kw: lib.BatchNorm1d(3, **kw), lambda lib, **kw: lib.BatchNorm2d(3, **kw),
          lambda lib, **kw: lib.LayerNorm(3, **kw), lambda lib, **kw: lib.Embedding(4, 2, **kw)]


@pytest.mark.parametrize("build", LAYERS)
def test_layers_take_device_and_dtype_and_follow_the_default_dtype(build):
    ours = build(nn, device="cpu", dtype=dtypes.float64)
    theirs = build(torch.nn, device="cpu", dtype=torch.float64)
    assert [str(t.dtype) for t in ours.state_dict().values()] == \
        [str(t.dtype).removeprefix("torch.") for t in theirs.state_dict().values()]
    try:
        dtypes.set_default_dtype("float64")
        torch.set_default_dtype(torch.float64)
        assert [str(t.dtype) for t in build(nn).state_dict().values()] == \
            [str(t.dtype).removeprefix("torch.") for t in build(torch.nn).state_dict().values()]
    finally:
        dtypes.set_default_dtype("float32")
        torch.set_default_dtype(torch.float32)
    with pytest.raises(DeviceError, match="CPU only"):
        build(nn, device="cuda")
    with pytest.raises(TypeError, match="floating-point dtype"):
        build(nn, dtype=dtypes.int64)


def test_load_state_dict_result_is_torchs():
    # the tutorials print it: `print(model.load_state_dict(...))`
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    full = ours.load_state_dict(ours.state_dict())
    assert repr(full) == str(full) == repr(theirs.load_state_dict(theirs.state_dict()))
    partial = ours.load_state_dict({"weight": ours.weight, "extra": ours.bias}, strict=False)
    expected = theirs.load_state_dict({"weight": theirs.weight, "extra": theirs.bias},
                                      strict=False)
    assert repr(partial) == repr(expected)
    assert partial == (["bias"], ["extra"]) and partial.missing_keys == ["bias"]
    missing, unexpected = partial
    assert unexpected == ["extra"]

"""tl.save / tl.load: round trips, refusals of anything that is not our format, and the
atomic-replace guarantee (a failed save leaves the previous file intact)."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn
from tinygrad_lr import serialization


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_state_dict_round_trip_restores_the_model(tmp_path):
    model = _model()
    model(tl.randn(8, 3))  # moves the running statistics away from their defaults
    path = tmp_path / "model.tlz"
    tl.save(model.state_dict(), path)
    loaded = tl.load(path)
    assert list(loaded) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert isinstance(loaded[k], tl.Tensor)
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape
        np.testing.assert_array_equal(loaded[k].numpy(), v.numpy())
    fresh = _model()
    fresh.load_state_dict(loaded)
    fresh.eval(), model.eval()
    x = tl.randn(5, 3)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_nested_structures_and_scalars_round_trip(tmp_path):
    obj = {
        "state": {0: {"step": 3, "exp_avg": tl.Tensor(np.arange(4.0))},
                  1: {"momentum_buffer": None}},
        "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "nesterov": False,
                          "params": [0, 1], "name": "layer 1 \u00e9"}],
        "f64": tl.Tensor(np.ones((2, 2), dtype=np.float64)),
        "ints": tl.tensor([1, 2, 3]),
        "mask": np.array([True, False]),
        "raw": np.zeros((0, 3), dtype=np.float32),
        "scalar": tl.tensor(2.5),
        "special": [float("inf"), float("-inf")],
        "np_scalar": np.float32(1.5),
        "empty": {},
    }
    path = tmp_path / "opt.npz"
    tl.save(obj, path)
    out = tl.load(path)
    assert out["state"][0]["step"] == 3 and out["state"][1]["momentum_buffer"] is None
    np.testing.assert_array_equal(out["state"][0]["exp_avg"].numpy(), np.arange(4.0))
    group = out["param_groups"][0]
    assert group == {"lr": 0.01, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1],
                     "name": "layer 1 \u00e9"}
    assert isinstance(group["betas"], tuple)
    assert out["f64"].dtype == np.float64 and out["ints"].dtype == np.int64
    assert isinstance(out["mask"], np.ndarray) and out["mask"].dtype == np.bool_
    assert out["raw"].shape == (0, 3) and out["raw"].dtype == np.float32
    assert out["scalar"].shape == () and out["scalar"].item() == 2.5
    assert out["special"] == [float("inf"), float("-inf")]
    assert out["np_scalar"] == 1.5 and out["empty"] == {}
    nan = tl.load(_saved(tmp_path, {"x": float("nan")}))["x"]
    assert np.isnan(nan)


def _saved(tmp_path, obj, name="x.npz"):
    path = tmp_path / name
    tl.save(obj, path)
    return path


def test_save_to_and_load_from_file_objects():
    buf = io.BytesIO()
    tl.save({"w": tl.ones(2)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(tl.load(buf)["w"].numpy(), np.ones(2))


def test_save_refuses_unsupported_objects(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save obj\['f'\] of type function"):
        tl.save({"f": lambda: 0}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match=r"type Sequential \(save its .state_dict\(\) instead\)"):
        tl.save(_model(), tmp_path / "a.npz")
    with pytest.raises(TypeError, match="dtype object"):
        tl.save({"o": np.array([{}, 1], dtype=object)}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="dict keys must be strings or integers"):
        tl.save({(1, 2): 1}, tmp_path / "a.npz")
    assert not os.path.exists(tmp_path / "a.npz")


def test_load_refuses_text_pickle_and_random_npz(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a checkpoint")
    with pytest.raises(ValueError, match=r"notes\.txt is not a valid tinygrad_lr checkpoint.*zip"):
        tl.load(text)
    pickled = tmp_path / "evil.pkl"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="pickle"):
        tl.load(pickled)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.ones(3))
    with pytest.raises(ValueError, match=r"foreign\.npz .*no __structure__ member"):
        tl.load(foreign)
    with pytest.raises(FileNotFoundError):
        tl.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError):
        tl.load(tmp_path)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.npz is not a valid .*zip"):
        tl.load(empty)


def test_load_refuses_a_torch_file(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match="PyTorch file"):
        tl.load(path)


def test_load_never_unpickles_object_arrays(tmp_path, monkeypatch):
    # a checkpoint whose member is a pickled object array: np.load must refuse it
    path = tmp_path / "objects.npz"
    structure = {"format": "tinygrad_lr", "version": 1, "root": {"ndarray": "a0"}}
    np.savez(path, a0=np.array([{"x": 1}], dtype=object),
             __structure__=np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8))
    calls = []
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: calls.append(a))
    with pytest.raises(ValueError, match=r"objects\.npz is not a valid tinygrad_lr checkpoint"):
        tl.load(path)
    assert calls == []


def test_load_refuses_truncated_and_corrupt_files(tmp_path):
    good = _saved(tmp_path, _model().state_dict(), "good.npz")
    data = good.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"truncated\.npz is not a valid"):
        tl.load(truncated)
    # flip bytes inside a member's data: the zip CRC check catches it
    corrupt = tmp_path / "corrupt.npz"
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("a0.npy")
    raw = bytearray(data)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 140
    raw[start:start + 8] = b"\xff" * 8
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"corrupt\.npz is not a valid"):
        tl.load(corrupt)


@pytest.mark.parametrize("structure,message", [
    ({"format": "other", "version": 1, "root": None}, "does not name the tinygrad_lr format"),
    ({"format": "tinygrad_lr", "version": 99, "root": None}, "unsupported format version 99"),
    ({"format": "tinygrad_lr", "version": 1, "root": {"tensor": "a7"}}, "'a7' is missing"),
    ({"format": "tinygrad_lr", "version": 1, "root": {"code": "import os"}}, "unexpected structure"),
    ({"format": "tinygrad_lr", "version": 1, "root": None}, r"\['a0'\] are not referenced"),
])
def test_load_refuses_inconsistent_structure(tmp_path, structure, message):
    path = tmp_path / "bad.npz"
    np.savez(path, a0=np.ones(2),
             __structure__=np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match=message):
        tl.load(path)


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tl.save({"w": tl.ones(3)}, path)
    before = path.read_bytes()

    def crash_mid_write(f, **members):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        tl.save({"w": tl.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file was removed
    monkeypatch.undo()
    np.testing.assert_array_equal(tl.load(path)["w"].numpy(), np.ones(3))
    tl.save({"w": tl.zeros(3)}, path)  # a successful save replaces it
    np.testing.assert_array_equal(tl.load(path)["w"].numpy(), np.zeros(3))
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_save_writes_through_a_temporary_file_then_replaces(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.dirname(src), os.path.exists(dst), os.path.getsize(src) > 0))
        real_replace(src, dst)

    monkeypatch.setattr(serialization.os, "replace", spy)
    tl.save({"a": 1}, path)
    assert seen == [(str(tmp_path), False, True)]

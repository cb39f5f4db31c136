"""tl.save / tl.load: round trips, refusals of anything that is not our format, and the
atomic-replace guarantee (a failed save leaves the previous file intact)."""
import io
import json
import os
import pickle
import zipfile
import zlib

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import nn, serialization


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
    with pytest.raises(TypeError, match="dtype object"):
        tl.save({"o": np.array([{}, 1], dtype=object)}, tmp_path / "a.npz")
    with pytest.raises(TypeError, match="dict keys must be strings or integers"):
        tl.save({(1, 2): 1}, tmp_path / "a.npz")
    assert not os.path.exists(tmp_path / "a.npz")


def test_whole_module_loads_only_with_weights_only_false(tmp_path):
    # the saveloadrun tutorial: torch.save(model, path); torch.load(path, weights_only=False)
    model = _model()
    tl.save(model, tmp_path / "model.pth")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        tl.load(tmp_path / "model.pth")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        tl.load(tmp_path / "model.pth", weights_only=True)
    loaded = tl.load(tmp_path / "model.pth", weights_only=False)
    assert type(loaded) is nn.Sequential and loaded is not model
    x = tl.randn(5, 3)
    model.eval()
    loaded.eval()
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    assert repr(loaded) == repr(model)


def test_load_takes_torch_load_arguments(tmp_path):
    tl.save({"w": tl.ones(2)}, tmp_path / "w.pth")
    for where in (None, "cpu", tl.device("cpu"), {"cuda:0": "cpu"}):
        got = tl.load(tmp_path / "w.pth", map_location=where, weights_only=True)
        np.testing.assert_array_equal(got["w"].numpy(), np.ones(2))
    np.testing.assert_array_equal(tl.load(tmp_path / "w.pth", mmap=True)["w"].numpy(),
                                  np.ones(2))
    with pytest.raises(tl.DeviceError, match="CPU only"):
        tl.load(tmp_path / "w.pth", map_location="cuda")
    with pytest.raises(TypeError, match="map_location as a function"):
        tl.load(tmp_path / "w.pth", map_location=lambda storage, loc: storage)


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


# ------------------------------------------------------------------ hostile files
def _npy(array, header_only=False):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _write_zip(path, members):
    """A zip archive from raw members (name, stored bytes, method, crc, size), written by
    hand so that a test can declare sizes and compression that zipfile would not write."""
    import struct

    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in members:
        offset, n = len(out), name.encode()
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc,
                           len(data), size, len(n), 0) + n + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0,
                               crc, len(data), size, len(n), 0, 0, 0, 0, 0, offset) + n
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                       len(central), len(out), 0)
    path.write_bytes(bytes(out + central + eocd))
    return path


def _structure_member(root, version=1, root_json=None):
    text = json.dumps({"format": "tinygrad_lr", "version": version, "root": None})
    if root is not None or root_json is not None:
        text = text.replace('"root": null', '"root": ' + (root_json or json.dumps(root)))
    raw = _npy(np.frombuffer(text.encode(), dtype=np.uint8))
    return ("__structure__.npy", raw, zipfile.ZIP_STORED, zlib.crc32(raw), len(raw))


GIB = 2 ** 30
BOMB_CRC = 0x310F4655  # zlib.crc32 of the member below: the npy header + 2**30 zero bytes


def _bomb_member(name="a0.npy"):
    """A valid deflated member that inflates to a 1 GiB float32 array of zeros (about
    1 MB in the file): deflate blocks of 1 MiB of zeros, repeated."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (GIB // 4,)})
    header = header.getvalue()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(2 ** 20)) + c.flush(zlib.Z_FULL_FLUSH)
    stream = start + block * 1024 + c.flush()
    return (name, stream, zipfile.ZIP_DEFLATED, BOMB_CRC, len(header) + GIB)


def _peak_bytes_of(fn):
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("referenced", [True, False])
def test_zip_bomb_is_refused_before_inflating(tmp_path, referenced):
    members = [_structure_member({"tensor": "a0"} if referenced else {"tensor": "a1"})]
    if not referenced:
        raw = _npy(np.ones(2))
        members.append(("a1.npy", raw, zipfile.ZIP_STORED, zlib.crc32(raw), len(raw)))
    path = _write_zip(tmp_path / "bomb.npz", members + [_bomb_member()])
    assert os.path.getsize(path) < 1.1e6  # a 1 MB file ...
    with zipfile.ZipFile(path) as z:      # ... with a 1 GiB member
        assert z.getinfo("a0.npy").file_size > GIB
    message = "compressed" if referenced else r"\['a0'\] are not referenced"

    def load():
        with pytest.raises(ValueError, match=r"bomb\.npz is not a valid .*" + message):
            tl.load(path)

    peak = _peak_bytes_of(load)
    assert peak < 2 * 2 ** 20, f"tl.load used {peak} bytes on a 1 MB bomb"


def test_member_sizes_are_checked_against_the_structure_and_the_file(tmp_path):
    # version 2: the structure declares (2,) float64, the member holds 10 MB
    big = _npy(np.zeros(1_250_000))
    root = {"tensor": "a0", "dtype": "<f8", "shape": [2]}
    path = _write_zip(tmp_path / "lie.npz", [
        _structure_member(root, version=2),
        ("a0.npy", big, zipfile.ZIP_STORED, zlib.crc32(big), len(big))])
    peak = _peak_bytes_of(lambda: pytest.raises(ValueError, tl.load, path))
    with pytest.raises(ValueError, match=r"has 10000128 bytes, but the structure declares "
                                         r"a float64 array of shape \(2,\)"):
        tl.load(path)
    assert peak < 2 * 2 ** 20
    # a stored member whose directory entry claims 1 GiB in a file of a few hundred bytes
    small = _npy(np.ones(2))
    path = _write_zip(tmp_path / "claims.npz", [
        _structure_member({"tensor": "a0"}),
        ("a0.npy", small, zipfile.ZIP_STORED, zlib.crc32(small), len(small))])
    raw = bytearray(path.read_bytes())
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 20:central + 28] = (GIB).to_bytes(4, "little") * 2  # both sizes
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"claims\.npz .*more than the file's"):
        tl.load(path)


def test_a_member_whose_header_disagrees_with_the_structure_is_refused(tmp_path):
    raw = _npy(np.ones(3, dtype=np.float32))
    root = {"tensor": "a0", "dtype": "<f4", "shape": [1, 3]}
    path = _write_zip(tmp_path / "shape.npz", [
        _structure_member(root, version=2),
        ("a0.npy", raw, zipfile.ZIP_STORED, zlib.crc32(raw), len(raw))])
    with pytest.raises(ValueError, match=r"holds a float32 array of shape \(3,\), the "
                                         r"structure says float32 of shape \(1, 3\)"):
        tl.load(path)


def test_deep_nesting_gives_the_documented_value_error(tmp_path):
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested deeper than 100 levels"):
        tl.save(deep, tmp_path / "deep.npz")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contain itself"):
        tl.save({"a": loop}, tmp_path / "deep.npz")
    assert not os.path.exists(tmp_path / "deep.npz")
    ok = 1.5
    for i in range(serialization.MAX_DEPTH):  # 100 levels, dicts and lists: fine
        ok = {"x": ok} if i % 2 else [ok]
    np.testing.assert_equal(tl.load(_saved(tmp_path, ok)), ok)
    with pytest.raises(ValueError, match="nested deeper than 100 levels"):
        tl.save([ok], tmp_path / "deep.npz")
    deep_json = '{"list": [' * 5000 + "null" + "]}" * 5000  # a hand-made 5000-level file
    path = _write_zip(tmp_path / "deep5000.npz", [_structure_member(None, root_json=deep_json)])
    with pytest.raises(ValueError, match=r"deep5000\.npz .*nested deeper than 100 levels"):
        tl.load(path)


def test_version_1_files_still_load(tmp_path):
    path = tmp_path / "v1.npz"
    structure = {"format": "tinygrad_lr", "version": 1,
                 "root": {"dict": [["w", {"tensor": "a0"}], ["n", 3]]}}
    np.savez(path, a0=np.arange(6.0).reshape(2, 3),
             __structure__=np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8))
    out = tl.load(path)
    assert out["n"] == 3 and out["w"].shape == (2, 3)
    np.testing.assert_array_equal(out["w"].numpy(), np.arange(6.0).reshape(2, 3))


def test_dtypes_survive_a_round_trip(tmp_path):
    obj = {k: tl.Tensor(np.arange(4).astype(k), dtype=k)
           for k in ("float32", "float64", "int64", "int32", "uint8", "bool")}
    out = tl.load(_saved(tmp_path, obj))
    assert {k: str(v.dtype) for k, v in out.items()} == {k: k for k in obj}


def test_metadata_is_read_without_the_arrays(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    tl.save({"w": tl.ones(3)}, path, metadata={"monitor": "val_loss", "best": 0.25,
                                               "bad": float("nan"), "epoch": 3})
    reads = []
    real = serialization._read_member
    monkeypatch.setattr(serialization, "_read_member", lambda a, info, *r: (
        reads.append(info.filename), real(a, info, *r))[1])
    meta = tl.serialization.load_metadata(path)
    assert meta["monitor"] == "val_loss" and meta["best"] == 0.25 and meta["epoch"] == 3
    assert np.isnan(meta["bad"]) and reads == ["__structure__.npy"]
    assert tl.serialization.load_metadata(_saved(tmp_path, {"a": 1})) == {}
    with pytest.raises(TypeError, match=r"metadata\['x'\] must be a number"):
        tl.save({}, path, metadata={"x": [1]})


# ------------------------------------------------------------------ how files are written
@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_files_get_the_umask_permissions(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = _saved(tmp_path, {"a": 1})
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == mode
    os.chmod(path, 0o640)  # replacing an existing file keeps its permissions
    tl.save({"a": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and tl.load(path) == {"a": 2}


def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    link = tmp_path / "latest.npz"
    link.symlink_to(target)          # dangling at first: the save creates the target
    tl.save({"v": 1}, link)
    tl.save({"v": 2}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tl.load(target) == {"v": 2}
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "real"]
    assert os.listdir(tmp_path / "real") == ["model.npz"]


def test_save_errors_name_the_users_path(tmp_path):
    missing = tmp_path / "missing" / "dir" / "m.npz"
    with pytest.raises(FileNotFoundError) as err:
        tl.save({"a": 1}, missing)
    assert str(missing) in str(err.value) and ".tmp" not in str(err.value)
    (tmp_path / "adir").mkdir()
    with pytest.raises(OSError) as err:
        tl.save({"a": 1}, tmp_path / "adir")
    assert str(tmp_path / "adir") in str(err.value) and ".tmp" not in str(err.value)
    assert os.listdir(tmp_path) == ["adir"]


_SLOW_SAVE = """
import sys, time
import numpy as np
import tinygrad_lr as tl
from tinygrad_lr import serialization

def slow_savez(f, **members):
    f.write(b"PK partial data " * 1000)
    f.flush()
    print("writing", flush=True)
    time.sleep(60)

serialization.np.savez = slow_savez
tl.save({"w": tl.ones(3)}, sys.argv[1])
"""


def _start_slow_save(path):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", _SLOW_SAVE, str(path)],
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert proc.stdout.readline().strip() == "writing"
    return proc


def _temporaries(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".tinygrad_lr.tmp"))


def test_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    import signal

    killed = [_start_slow_save(tmp_path / f"k{i}.npz") for i in range(3)]
    for proc in killed:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    orphans = _temporaries(tmp_path)
    assert len(orphans) == 3 and all(n.startswith(".k") for n in orphans)
    running = _start_slow_save(tmp_path / "busy.npz")  # a save still in progress ...
    try:
        (tmp_path / ".other.tmp").write_text("not ours")
        tl.save({"a": 1}, tmp_path / "other.npz")      # ... survives the next save,
        left = _temporaries(tmp_path)
        assert len(left) == 1 and left[0].startswith(".busy.npz.")  # the orphans do not
        assert (tmp_path / ".other.tmp").exists()       # and others' files are left alone
    finally:
        running.kill()
        running.wait()
    tl.save({"a": 2}, tmp_path / "other.npz")
    assert _temporaries(tmp_path) == []


def test_saves_and_loads_from_threads_at_once(tmp_path):
    import threading

    errors = []

    def work(i):
        try:
            for k in range(15):  # two threads per file: replaces race, none half-written
                path = tmp_path / f"f{i % 4}.npz"
                tl.save({"w": tl.ones(500) * k, "i": i}, path)
                out = tl.load(path)
                assert out["w"].shape == (500,) and out["i"] in (i % 4, i % 4 + 4)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(os.listdir(tmp_path)) == [f"f{i}.npz" for i in range(4)]

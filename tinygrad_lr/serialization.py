"""tl.save / tl.load: state dicts in an .npz file that never needs pickle.

The file is a zip archive of .npy members (numpy's npz format): one member per array
(`a0.npy`, `a1.npy`, ...) and one member, `__structure__.npy`, holding JSON bytes that
describe the nested dicts/lists/tuples, numbers, strings, bools and Nones and say which
array member goes where. Loading reads it with `np.load(allow_pickle=False)`, so a file
can never run code; anything that does not fit this layout is refused with a ValueError.

Saving writes a temporary file next to the target, fsyncs it, then `os.replace`s it over
the target in one step: a crash mid-save leaves the previous file untouched.
"""
import io
import json
import math
import os
import tempfile
import zipfile

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_STRUCTURE = "__structure__"
_FORMAT = "tinygrad_lr"
_VERSION = 1


# ---------------------------------------------------------------- save
def save(obj, path):
    """Save nested dicts/lists/tuples of Tensors, numpy arrays, numbers, strings, bools
    and None (e.g. `model.state_dict()` or `optimizer.state_dict()`) to `path`."""
    arrays = {}
    structure = {"format": _FORMAT, "version": _VERSION, "root": _encode(obj, arrays, "obj")}
    members = {f"a{i}": a for i, a in enumerate(arrays.values())}
    members[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode("utf-8"), dtype=np.uint8)
    if hasattr(path, "write"):  # an open binary file
        np.savez(path, **members)
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable (not possible on every OS; best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _encode(obj, arrays, where):
    """obj -> a JSON-able description; arrays are collected into `arrays`."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {"float": repr(value)}  # nan, inf
    if isinstance(obj, (Tensor, np.ndarray)):
        array = obj._data if isinstance(obj, Tensor) else obj
        if array.dtype.kind not in "biuf":
            raise TypeError(f"tl.save: cannot save {where}: arrays of dtype {array.dtype} "
                            "are not supported (numbers and booleans only)")
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {"tensor" if isinstance(obj, Tensor) else "ndarray": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"tl.save: cannot save {where}: dict keys must be strings or "
                                f"integers, got {type(k).__name__} {k!r}")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    hint = " (save its .state_dict() instead)" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"tl.save: cannot save {where} of type {type(obj).__name__}{hint}; "
                    "supported are Tensors, numpy arrays, numbers, strings, bools, None and "
                    "dicts/lists/tuples of them")


# ---------------------------------------------------------------- load
class _Invalid(Exception):
    """Internal: the file does not have the expected layout (message says why)."""


def load(path):
    """Load what `save` wrote. Arrays saved from Tensors come back as Tensors (dtype kept),
    numpy arrays as numpy arrays. A file that is not a tinygrad_lr checkpoint (corrupt,
    truncated, another format) raises ValueError naming the path and the problem."""
    name = getattr(path, "name", None) or ("<file object>" if hasattr(path, "read")
                                           else os.fspath(path))
    if hasattr(path, "read"):
        data = path.read()
    else:  # a missing or unreadable file raises its usual OSError
        with open(os.fspath(path), "rb") as f:
            data = f.read()
    try:
        return _parse(data)
    except _Invalid as e:
        raise ValueError(f"tl.load: {name} is not a valid tinygrad_lr checkpoint: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError,
            json.JSONDecodeError) as e:
        raise ValueError(f"tl.load: {name} is not a valid tinygrad_lr checkpoint (corrupt, "
                         f"truncated or another format): {type(e).__name__}: {e}") from None


def _parse(data):
    if not data.startswith(b"PK"):
        raise _Invalid("not an .npz (zip) archive" +
                       (" - it looks like a pickle file (e.g. an old torch.save)"
                        if data[:1] == b"\x80" else ""))
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        names = set(archive.files)
        if _STRUCTURE not in names:
            members = zipfile.ZipFile(io.BytesIO(data)).namelist()
            torch_like = any(n.endswith("data.pkl") for n in members)
            hint = " (it looks like a PyTorch file)" if torch_like else ""
            raise _Invalid(f"it has no {_STRUCTURE} member{hint}")
        raw = archive[_STRUCTURE]
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise _Invalid(f"{_STRUCTURE} member is not JSON bytes")
        structure = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
            raise _Invalid("the structure does not name the tinygrad_lr format")
        if structure.get("version") != _VERSION:
            raise _Invalid(f"unsupported format version {structure.get('version')!r} "
                           f"(this version reads {_VERSION})")
        arrays = {n: archive[n] for n in names - {_STRUCTURE}}  # reads and CRC-checks all
    used = set()
    obj = _decode(structure.get("root"), arrays, used)
    if used != set(arrays):
        raise _Invalid(f"array members {sorted(set(arrays) - used)} are not referenced")
    return obj


def _decode(node, arrays, used):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list) or not isinstance(node, dict) or len(node) != 1:
        raise _Invalid(f"unexpected structure entry {str(node)[:80]}")
    (kind, value), = node.items()
    if kind in ("tensor", "ndarray"):
        if value not in arrays:
            raise _Invalid(f"array member {value!r} is missing")
        if value in used:
            raise _Invalid(f"array member {value!r} is referenced twice")
        used.add(value)
        array = arrays[value]
        if array.dtype.kind not in "biuf":
            raise _Invalid(f"array member {value!r} has unsupported dtype {array.dtype}")
        return Tensor(array) if kind == "tensor" else array
    if kind == "float" and value in ("nan", "inf", "-inf"):
        return float(value)
    if kind == "dict" and isinstance(value, list):
        out = {}
        for item in value:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))):
                raise _Invalid(f"bad dict entry {str(item)[:80]}")
            out[item[0]] = _decode(item[1], arrays, used)
        return out
    if kind in ("list", "tuple") and isinstance(value, list):
        items = [_decode(v, arrays, used) for v in value]
        return items if kind == "list" else tuple(items)
    raise _Invalid(f"unexpected structure entry {str(node)[:80]}")

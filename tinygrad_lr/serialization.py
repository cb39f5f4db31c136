"""tl.save / tl.load: state dicts in an .npz file that needs no pickle.

The file is a zip archive of uncompressed .npy members (numpy's npz format): one member
per array (`a0.npy`, `a1.npy`, ...) and one member, `__structure__.npy`, holding JSON
bytes that describe the nested dicts/lists/tuples, numbers, strings, bools and Nones and
say which array member goes where, with its dtype and shape. Such a file can never run
code: nothing is unpickled, and anything that does not fit this layout is refused with a
ValueError naming the file.

The one exception is a whole Module, `tl.save(model, path)`, as PyTorch's tutorials save
one: the structure cannot describe arbitrary Python objects, so the model is pickled into
one member (`__pickle__.npy`, its bytes) and the structure says so. Unpickling runs code,
so `tl.load` reads such a file only when asked with `weights_only=False`, as
`torch.load` (PyTorch 2.6 and later) does; by default it refuses with
`pickle.UnpicklingError`. Saving the `state_dict()` instead needs no pickle.

Loading has bounded cost. It reads the zip directory and the structure first (at most
`MAX_STRUCTURE_BYTES`, nested at most `MAX_DEPTH` levels), then checks every member
before reading any array: each must be referenced by the structure exactly once, stored
uncompressed (as `save` writes it), and exactly as large as the structure's dtype and
shape say; together they cannot be larger than the file. So loading a file costs about
its own size in memory, and a zip bomb (a small file that inflates to gigabytes) is
refused before anything is inflated.

Saving writes a temporary file `.<name>.<random>.tinygrad_lr.tmp` next to the target
(through a symlink: next to the link's target), fsyncs it, then `os.replace`s it over the
target in one step: a crash mid-save leaves the previous file untouched. The file gets
the permissions a plain `open()` would give it (the umask's, or the replaced file's).
A writer holds a lock on its temporary file, so temporaries left by a killed save (no
lock held) are recognised and removed by the next save in that directory.
"""
from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import secrets
import stat
import zipfile
from typing import Any, BinaryIO

import numpy as np

from .devices import check_device
from .nn.module import Module
from .tensor import Tensor

__all__ = ["MAX_DEPTH", "MAX_STRUCTURE_BYTES", "load", "load_metadata", "save"]

_STRUCTURE = "__structure__"
_PICKLE = "__pickle__"
_FORMAT = "tinygrad_lr"
_VERSION = 2            # 2: array entries carry dtype and shape; version 1 is still read
MAX_DEPTH = 100         # nesting levels of dicts/lists/tuples that save and load accept
MAX_STRUCTURE_BYTES = 64 * 2 ** 20
_MAX_NPY_HEADER = 65536 + 12  # numpy's own limit for a format 1.0/2.0 header
_TEMP_SUFFIX = ".tinygrad_lr.tmp"
_TEMP_PATTERN = re.compile(r"^\..+\.[0-9a-f]{16}" + re.escape(_TEMP_SUFFIX) + "$")

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which is lock enough
    fcntl = None  # type: ignore[assignment]


# ---------------------------------------------------------------- save
def save(obj: Any, f: str | os.PathLike | BinaryIO,
         metadata: dict[str, Any] | None = None) -> None:
    """Save nested dicts/lists/tuples of Tensors, numpy arrays, numbers, strings, bools
    and None (e.g. `model.state_dict()` or `optimizer.state_dict()`) to `f`, a path or a
    binary file opened for writing. `metadata` (optional): a flat dict of strings to
    numbers/strings/bools/None, kept in the structure and read back cheaply by
    `load_metadata` (ModelCheckpoint records its monitored value there). A whole Module
    (`tl.save(model, path)`) is pickled; loading it needs `tl.load(path, weights_only=False)`.
    """
    arrays: dict[str, Any] = {}  # entry name -> array, for np.savez
    if isinstance(obj, Module):
        root: Any = {"pickle": _PICKLE}
        arrays[_PICKLE] = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
    else:
        root = _encode(obj, arrays, "obj", 0)
    structure = {"format": _FORMAT, "version": _VERSION, "root": root}
    if metadata is not None:
        structure["metadata"] = _check_metadata(metadata)
    members = {(k if k == _PICKLE else f"a{i}"): a for i, (k, a) in enumerate(arrays.items())}
    members[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):  # an open binary file
        np.savez(f, **members)
        return
    path = os.fspath(f)
    target = os.path.realpath(path)  # write through a symlink, to the file it points to
    directory = os.path.dirname(target)
    _remove_stale_temporaries(directory)
    try:
        fd, tmp = _create_temporary(directory, os.path.basename(target))
    except OSError as e:
        raise _naming(e, path) from None
    try:
        try:
            _copy_permissions(target, fd)
            with os.fdopen(fd, "wb") as out:
                np.savez(out, **members)
                out.flush()
                os.fsync(out.fileno())
                os.replace(tmp, target)  # while still locked, so no cleaner takes it
        except OSError as e:
            raise _naming(e, path) from None
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _naming(error, path):
    """The same error, naming the user's path instead of the hidden temporary file."""
    if error.errno is None:
        return error
    return OSError(error.errno, error.strerror, path)  # OSError picks the subclass


def _create_temporary(directory, name):
    """A new, locked temporary file next to the target; (fd, path). Mode 0o666 lets the
    umask decide the permissions, as for any file a program creates."""
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(8)}{_TEMP_SUFFIX}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
        if fcntl is None:
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:  # a cleaner may have removed it before we locked it
            return fd, tmp
        os.close(fd)


def _copy_permissions(target, fd):
    """Replacing a file keeps its permission bits, as writing into it would."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _remove_stale_temporaries(directory):
    """Remove temporaries of interrupted saves: ours by name, and not locked by a writer."""
    try:
        names = [n for n in os.listdir(directory or ".") if _TEMP_PATTERN.match(n)]
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            if fcntl is None:
                os.remove(path)  # fails while a writer has it open
                continue
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                os.remove(path)
        except OSError:  # locked by a running save, or already gone
            pass
        finally:
            os.close(fd)


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


def _check_metadata(metadata):
    if not isinstance(metadata, dict):
        raise TypeError(f"tl.save: metadata must be a dict, got {type(metadata).__name__}")
    out = {}
    for k, v in metadata.items():
        if not isinstance(k, str):
            raise TypeError(f"tl.save: metadata keys must be strings, got {k!r}")
        if isinstance(v, (np.generic,)):
            v = v.item()
        if v is not None and not isinstance(v, (bool, int, float, str)):
            raise TypeError(f"tl.save: metadata[{k!r}] must be a number, string, bool or "
                            f"None, got {type(v).__name__}")
        out[k] = _encode(v, {}, f"metadata[{k!r}]", 0)
    return out


def _short(where):
    return where if len(where) <= 80 else where[:40] + "..." + where[-30:]


def _encode(obj, arrays, where, depth):
    """obj -> a JSON-able description; arrays are collected into `arrays`."""
    if depth > MAX_DEPTH:
        raise ValueError(f"tl.save: cannot save {_short(where)}: nested deeper than "
                         f"{MAX_DEPTH} levels (does a dict or list contain itself?)")
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
        if array.dtype.kind not in "biuf" or array.dtype.fields is not None:
            raise TypeError(f"tl.save: cannot save {_short(where)}: arrays of dtype "
                            f"{array.dtype} are not supported (numbers and booleans only)")
        key = f"a{len(arrays)}"
        arrays[key] = array
        return {"tensor" if isinstance(obj, Tensor) else "ndarray": key,
                "dtype": array.dtype.str, "shape": list(array.shape)}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"tl.save: cannot save {_short(where)}: dict keys must be "
                                f"strings or integers, got {type(k).__name__} {k!r}")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]", depth + 1)])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]", depth + 1)
                       for i, v in enumerate(obj)]}
    hint = " (save its .state_dict() instead)" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"tl.save: cannot save {_short(where)} of type {type(obj).__name__}{hint}; "
                    "supported are Tensors, numpy arrays, numbers, strings, bools, None and "
                    "dicts/lists/tuples of them")


# ---------------------------------------------------------------- load
class _Invalid(Exception):
    """Internal: the file does not have the expected layout (message says why)."""


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None,
         weights_only: bool | None = None,
         mmap: bool | None = None) -> Any:
    """Load what `save` wrote from a path or a binary file. Arrays saved from Tensors come
    back as Tensors (dtype kept), numpy arrays as numpy arrays. A file that is not a
    tinygrad_lr checkpoint (corrupt, truncated, another format, a zip bomb, beyond the
    limits in this module's docstring) raises ValueError naming the file and the problem.

    The arguments are torch.load's: `map_location` may be None, "cpu", a cpu device or a
    dict of saved locations to those (everything is loaded onto the CPU; another device raises
    DeviceError); `weights_only` (default True) refuses a pickled whole Module, which
    `weights_only=False` loads (unpickling runs code: only for files you trust); `mmap` is
    accepted and ignored (arrays are read into memory)."""
    if isinstance(map_location, dict):
        for value in map_location.values():  # saved location -> where to load it
            check_device(value, "tl.load(): map_location")
    elif callable(map_location):
        raise TypeError("tl.load(): map_location as a function is not supported: "
                        "tinygrad_lr has no storages; give 'cpu' (or None)")
    else:
        check_device(map_location, "tl.load(): map_location")
    trusted = weights_only is False
    return _open_and(f, lambda archive, size: _load_archive(archive, size, trusted))


def load_metadata(f: str | os.PathLike | BinaryIO) -> dict[str, Any]:
    """The `metadata` dict given to `save` ({} if none), reading only the structure."""
    return _open_and(f, lambda archive, size: _read_structure(archive).get("metadata", {}))


def _open_and(f, action):
    name = getattr(f, "name", None) or ("<file object>" if hasattr(f, "read")
                                        else os.fspath(f))
    if hasattr(f, "read"):
        return _checked(name, f, action)
    with open(os.fspath(f), "rb") as fp:  # a missing or unreadable file: its usual OSError
        return _checked(name, fp, action)


def _checked(name, fp, action):
    try:
        if not (hasattr(fp, "seekable") and fp.seekable()):
            fp = io.BytesIO(fp.read())  # a stream: zip needs to seek
        start = fp.tell()
        head = fp.read(4)
        size = fp.seek(0, os.SEEK_END) - start
        fp.seek(start)
        if not head.startswith(b"PK"):
            raise _Invalid("not an .npz (zip) archive" +
                           (" - it looks like a pickle file (e.g. an old torch.save)"
                            if head[:1] == b"\x80" else ""))
        with zipfile.ZipFile(fp) as archive:
            return action(archive, size)
    except _Invalid as e:
        raise ValueError(f"tl.load: {name} is not a valid tinygrad_lr checkpoint: {e}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            KeyError, UnicodeDecodeError, NotImplementedError) as e:
        raise ValueError(f"tl.load: {name} is not a valid tinygrad_lr checkpoint (corrupt, "
                         f"truncated or another format): {type(e).__name__}: {e}") from None


def _read_structure(archive):
    infos = archive.infolist()
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _Invalid("it has several members of the same name")
    member = _STRUCTURE + ".npy"
    if member not in names:
        torch_like = any(n.endswith("data.pkl") for n in names)
        raise _Invalid(f"it has no {_STRUCTURE} member"
                       + (" (it looks like a PyTorch file)" if torch_like else ""))
    info = archive.getinfo(member)
    if info.file_size > MAX_STRUCTURE_BYTES + _MAX_NPY_HEADER:
        raise _Invalid(f"its {_STRUCTURE} member declares {info.file_size} bytes, more than "
                       f"the limit of {MAX_STRUCTURE_BYTES}")
    raw = _read_member(archive, info, np.dtype(np.uint8), None)
    if raw.ndim != 1:
        raise _Invalid(f"{_STRUCTURE} member is not JSON bytes")
    raw = raw.tobytes()
    depth = _json_depth(raw)
    if depth > 3 * MAX_DEPTH + 6:  # a dict level takes 3 JSON levels: {"dict": [[k, v]]}
        raise _Invalid(f"the structure is nested deeper than {MAX_DEPTH} levels")
    structure = json.loads(raw.decode("utf-8"))
    if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
        raise _Invalid("the structure does not name the tinygrad_lr format")
    if structure.get("version") not in (1, _VERSION):
        raise _Invalid(f"unsupported format version {structure.get('version')!r} "
                       f"(this version reads 1 and {_VERSION})")
    metadata = structure.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _Invalid("the metadata is not a dict")
    structure["metadata"] = {k: _decode(v, _no_arrays, 0) for k, v in metadata.items()}
    return structure


def _json_depth(raw):
    """How deeply JSON text nests (strings removed first), without parsing it."""
    skeleton = np.frombuffer(re.sub(rb'"(?:[^"\\]|\\.)*"', b"", raw), dtype=np.uint8)
    steps = (np.isin(skeleton, (ord("["), ord("{"))).astype(np.int64)
             - np.isin(skeleton, (ord("]"), ord("}"))))
    return int(np.cumsum(steps).max(initial=0))


def _load_archive(archive, file_size, trusted=False):
    structure = _read_structure(archive)
    if structure.get("root") == {"pickle": _PICKLE}:
        return _unpickle(archive, structure, trusted)
    refs = _collect_refs(structure.get("root"))
    members = {i.filename: i for i in archive.infolist()}
    arrays = set(members) - {_STRUCTURE + ".npy"}
    for key in refs:
        if key + ".npy" not in members:
            raise _Invalid(f"array member {key!r} is missing")
    unreferenced = sorted(n.removesuffix(".npy") for n in arrays
                          if n.removesuffix(".npy") not in refs or not n.endswith(".npy"))
    if unreferenced:
        raise _Invalid(f"array members {unreferenced} are not referenced by the structure")
    total = 0
    for key, declared in refs.items():  # every size is checked before anything is read
        info = members[key + ".npy"]
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Invalid(f"array member {key!r} is compressed ({info.file_size} bytes "
                           f"inflated from {info.compress_size}); tl.save stores members "
                           "uncompressed, so that a file's size bounds what loading costs")
        if declared is not None:
            dtype, shape = declared
            nbytes = dtype.itemsize * math.prod(shape)
            if not nbytes < info.file_size <= nbytes + _MAX_NPY_HEADER:
                raise _Invalid(f"array member {key!r} has {info.file_size} bytes, but the "
                               f"structure declares a {dtype} array of shape {tuple(shape)} "
                               f"({nbytes} bytes of data)")
        total += info.file_size
    if total > file_size:
        raise _Invalid(f"its members declare {total} bytes in all, more than the file's "
                       f"{file_size}")
    loaded = {key: _read_member(archive, members[key + ".npy"], *(declared or (None, None)))
              for key, declared in refs.items()}
    return _decode(structure.get("root"), lambda key, node: loaded[key], 0)


def _unpickle(archive, structure, trusted):
    """The whole Module that `save` pickled, if the caller trusts the file."""
    if not trusted:
        raise pickle.UnpicklingError(
            "tl.load: this file holds a pickled Module (saved by tl.save(model)); "
            "unpickling runs code, so it is loaded only with weights_only=False (as "
            "torch.load). Do that only for a file you trust, or save and load the "
            "model's state_dict() instead")
    names = {i.filename for i in archive.infolist()} - {_STRUCTURE + ".npy"}
    if names != {_PICKLE + ".npy"}:
        raise _Invalid(f"a pickled Module's file has members {sorted(names)}, expected "
                       f"only {_PICKLE}.npy")
    info = archive.getinfo(_PICKLE + ".npy")
    if info.compress_type != zipfile.ZIP_STORED:
        raise _Invalid(f"member {_PICKLE!r} is compressed; tl.save stores it uncompressed")
    raw = _read_member(archive, info, np.dtype(np.uint8), None)
    return pickle.loads(raw.tobytes())


def _collect_refs(root):
    """Check the whole structure and list the array members it references:
    {key: (dtype, shape), or None for format version 1}."""
    refs = {}

    def record(key, node):
        if key in refs:
            raise _Invalid(f"array member {key!r} is referenced twice")
        refs[key] = _declared(node)

    _decode(root, record, 0)
    return refs


def _declared(node):
    if len(node) == 1:
        return None  # format version 1: the member's own header is all there is
    if set(node) - {"tensor", "ndarray"} != {"dtype", "shape"} or len(node) != 3:
        raise _Invalid(f"unexpected structure entry {str(node)[:80]}")
    try:
        dtype = np.dtype(node["dtype"])
    except TypeError:
        raise _Invalid(f"unknown dtype {node['dtype']!r} in the structure") from None
    shape = node["shape"]
    if not (isinstance(shape, list) and len(shape) <= 64
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise _Invalid(f"bad shape {str(shape)[:80]} in the structure")
    _check_dtype(dtype, node[next(iter(node))])
    return dtype, shape


def _check_dtype(dtype, key):
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise _Invalid(f"array member {key!r} has unsupported dtype {dtype}")


def _read_member(archive, info, dtype, shape):
    """One .npy member, read in chunks into its array (never more than its size)."""
    key = info.filename[:-4]
    with archive.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(fp, max_header_size=_MAX_NPY_HEADER)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(fp, max_header_size=_MAX_NPY_HEADER)
        else:
            raise _Invalid(f"array member {key!r} has .npy format version {version}")
        mshape, fortran, mdtype = header
        _check_dtype(mdtype, key)
        if (dtype is not None and mdtype != dtype) or \
                (shape is not None and list(mshape) != list(shape)):
            raise _Invalid(f"array member {key!r} holds a {mdtype} array of shape {mshape}, "
                           f"the structure says {dtype} of shape {tuple(shape)}")
        nbytes = mdtype.itemsize * math.prod(mshape)
        if fp.tell() + nbytes != info.file_size:
            raise _Invalid(f"array member {key!r} has {info.file_size} bytes, its header "
                           f"declares {fp.tell() + nbytes}")
        buffer = np.empty(nbytes, dtype=np.uint8)
        view, filled = memoryview(buffer), 0
        while filled < nbytes:
            chunk = fp.read(min(nbytes - filled, 1 << 22))
            if not chunk:
                raise _Invalid(f"array member {key!r} is truncated")
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
        fp.read(1)  # reach the end, where zipfile checks the CRC
    array = buffer.view(mdtype).reshape(mshape, order="F" if fortran else "C")
    return array if mdtype.isnative else array.astype(mdtype.newbyteorder("="))


def _no_arrays(key, node):
    raise _Invalid("the metadata refers to an array")


def _decode(node, fetch, depth):
    """Structure -> objects; `fetch(key, node)` gives the array of a tensor entry."""
    if depth > 3 * MAX_DEPTH:
        raise _Invalid(f"the structure is nested deeper than {MAX_DEPTH} levels")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or not node:
        raise _Invalid(f"unexpected structure entry {str(node)[:80]}")
    kind = next(iter(node))
    value = node[kind]
    if kind in ("tensor", "ndarray"):
        if not isinstance(value, str):
            raise _Invalid(f"unexpected structure entry {str(node)[:80]}")
        array = fetch(value, node)
        return Tensor._make(array) if kind == "tensor" and array is not None else array
    if len(node) != 1:
        raise _Invalid(f"unexpected structure entry {str(node)[:80]}")
    if kind == "float" and value in ("nan", "inf", "-inf"):
        return float(value)
    if kind == "dict" and isinstance(value, list):
        out = {}
        for item in value:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))):
                raise _Invalid(f"bad dict entry {str(item)[:80]}")
            out[item[0]] = _decode(item[1], fetch, depth + 1)
        return out
    if kind in ("list", "tuple") and isinstance(value, list):
        items = [_decode(v, fetch, depth + 1) for v in value]
        return items if kind == "list" else tuple(items)
    raise _Invalid(f"unexpected structure entry {str(node)[:80]}")

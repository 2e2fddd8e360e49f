"""``ember.save`` / ``ember.load``: checkpoints in the safetensors layout, never pickled.

A checkpoint file is a safetensors file, byte for byte:

* 8 bytes: ``N``, the header length, a little-endian unsigned 64-bit integer;
* ``N`` bytes: a JSON object (UTF-8, padded with spaces to a multiple of 8 bytes) mapping each
  tensor name to ``{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}``, plus
  ``"__metadata__"``, a ``{str: str}`` object;
* the tensors' raw little-endian bytes, back to back, offsets counted from the end of the header.

Ember puts the saved object's structure in ``__metadata__["ember.structure"]``: JSON in which
containers and non-JSON values are tagged (``{"T": "dict", "items": [[key, value], ...]}``
keeps key types and order, so an optimizer state's int keys stay ints) and tensors are
``{"T": "tensor", "name": ...}`` references to header entries. ``__metadata__["ember.crc32"]``
checks the header and the data. A tensor's name is its path in the object (``"fc.weight"``,
``"optimizer.state.0.exp_avg"``), so a saved ``state_dict`` is also a plain safetensors file
any safetensors reader opens; a plain safetensors file without Ember's metadata loads as a
``{name: tensor}`` dict.

Loading parses JSON and copies bytes, nothing else: no pickle, no imports named by the file,
no code runs, whatever the file holds.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import zlib
from collections import OrderedDict

import numpy as np

from ember import _dtype
from ember.backend import device as _device
from ember.backend import get_backend
from ember.tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

FORMAT_VERSION = "1"
_MAX_HEADER = 100_000_000  # the safetensors limit on the header size
_MAX_DEPTH = 512  # nesting levels load accepts (recursion stays far below Python's limit)

_CODES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
    "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64,
}
_CODE_OF = {np.dtype(v): k for k, v in _CODES.items()}
_UNSUPPORTED = {"BF16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3",
                "F6_E3M2", "C64", "C128"}


class CheckpointError(RuntimeError, ValueError):
    """A file ``ember.load`` cannot read: foreign, truncated or corrupted (with the reason)."""


# -- saving ------------------------------------------------------------------------------------

class _Encoder:
    """Turns an object into (tagged JSON structure, list of (name, array))."""

    def __init__(self) -> None:
        self.arrays: list[tuple[str, np.ndarray]] = []
        self._names: set[str] = {"__metadata__"}
        self._by_id: dict[int, tuple[str, object]] = {}  # id -> (name, obj): shared tensors
        self._active: set[int] = set()  # containers being encoded: cycle detection

    def _name(self, path: list) -> str:
        base = ".".join(map(str, path)) or "tensor"
        name, k = base, 1
        while name in self._names:
            k += 1
            name = f"{base}#{k}"
        self._names.add(name)
        return name

    def _array(self, arr: np.ndarray, path: list, where: str) -> str:
        if np.dtype(arr.dtype).newbyteorder("=") not in _CODE_OF:
            raise TypeError(f"ember.save: cannot save an array of dtype {arr.dtype} at {where}; "
                            "supported dtypes: bool, uint8, int8, int16, int32, int64, float16, "
                            "float32, float64")
        name = self._name(path)
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
            arr = arr.copy(order="C")
        le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        self.arrays.append((name, le))
        return name

    def encode(self, obj, path: list):
        where = "obj" + "".join(f"[{p!r}]" for p in path)
        if obj is None or isinstance(obj, bool):
            return obj
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, Tensor):
            return self._tensor(obj, path, where)
        if isinstance(obj, np.ndarray):
            return self._shared(obj, path, where, {"T": "ndarray"})
        if isinstance(obj, np.generic):
            return {"T": "npscalar", "name": self._array(np.asarray(obj), path, where)}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"T": "float", "v": repr(obj)}
        if isinstance(obj, _dtype.dtype):
            return {"T": "dtype", "v": obj.name}
        if isinstance(obj, _device):
            return {"T": "device", "v": str(obj)}
        if isinstance(obj, (bytes, bytearray)):
            return {"T": "bytes", "v": base64.b64encode(bytes(obj)).decode("ascii")}
        from ember.random import Generator

        if isinstance(obj, Generator):
            return {"T": "generator", "seed": obj.initial_seed(), "offset": obj.get_offset()}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self._active:
                raise ValueError(f"ember.save: circular reference at {where}")
            self._active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._active.discard(id(obj))
        hint = ""
        if callable(getattr(obj, "state_dict", None)):
            hint = " (save its state_dict() instead)"
        raise TypeError(
            f"ember.save: cannot save an object of type {type(obj).__module__}."
            f"{type(obj).__qualname__} at {where}{hint}. Checkpoints hold tensors, NumPy arrays "
            "and scalars, None, bool, int, float, str, bytes, dtypes, devices, generators and "
            "lists, tuples and dicts of these; nothing is pickled."
        )

    def _container(self, obj, path: list):
        from ember.tensor import Size

        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                items.append([self._key(k), self.encode(v, path + [k])])
            return {"T": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        tag = "size" if isinstance(obj, Size) else "tuple" if isinstance(obj, tuple) else "list"
        return {"T": tag, "items": [self.encode(v, path + [i]) for i, v in enumerate(obj)]}

    def _key(self, k):
        if isinstance(k, tuple):
            return {"T": "tuple", "items": [self._key(x) for x in k]}
        if k is None or isinstance(k, bool):
            return k
        if isinstance(k, int):
            return int(k)
        if isinstance(k, float):
            return float(k) if math.isfinite(k) else {"T": "float", "v": repr(float(k))}
        if isinstance(k, str):
            return str(k)
        raise TypeError(f"ember.save: cannot save a dict key of type {type(k).__name__} "
                        f"({k!r}); keys must be None, bool, int, float, str or tuples of these")

    def _shared(self, obj, path, where, node):
        """One header entry per object, however often the object appears (tied weights)."""
        seen = self._by_id.get(id(obj))
        if seen is not None and seen[1] is obj:
            return dict(node, name=seen[0])
        arr = obj._data if isinstance(obj, Tensor) else obj
        name = self._array(arr, path, where)
        self._by_id[id(obj)] = (name, obj)
        return dict(node, name=name)

    def _tensor(self, t: Tensor, path, where):
        from ember.nn.parameter import Parameter

        node = {"T": "tensor"}
        if isinstance(t, Parameter):
            node["cls"] = "Parameter"
        if t.requires_grad:
            node["requires_grad"] = True
        return self._shared(t, path, where, node)


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _canonical(header: dict) -> bytes:
    """The bytes the checksum covers for a header (everything but the checksum itself)."""
    meta = {k: v for k, v in header.get("__metadata__", {}).items() if k != "ember.crc32"}
    body = {k: v for k, v in header.items() if k != "__metadata__"}
    body["__metadata__"] = meta
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _serialize(obj) -> tuple[bytes, list[np.ndarray]]:
    """The header bytes (length prefix included) and the arrays to write after it."""
    enc = _Encoder()
    structure = enc.encode(obj, [])
    header: dict = {"__metadata__": {"ember.format_version": FORMAT_VERSION,
                                     "ember.structure": _dumps(structure)}}
    offset = 0
    for name, arr in enc.arrays:
        header[name] = {"dtype": _CODE_OF[arr.dtype.newbyteorder("=")],
                        "shape": [int(s) for s in arr.shape],
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    crc = zlib.crc32(_canonical(header))
    for _, arr in enc.arrays:
        if arr.nbytes:
            crc = zlib.crc32(_bytes_view(arr), crc)
    header["__metadata__"]["ember.crc32"] = f"{crc:08x}"
    text = _dumps(header).encode("ascii")
    text += b" " * (-(8 + len(text)) % 8)  # data starts 8-byte aligned, as safetensors pads
    return len(text).to_bytes(8, "little") + text, [a for _, a in enc.arrays]


def _bytes_view(arr: np.ndarray) -> np.ndarray:
    return arr.reshape(-1).view(np.uint8)


def _write_all(f, head: bytes, arrays: list[np.ndarray]) -> None:
    f.write(head)
    for arr in arrays:
        if arr.nbytes:
            f.write(_bytes_view(arr))


def save(obj, f, pickle_module=None, pickle_protocol=None,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Saves a state dict (or any nesting of tensors and plain values) to a checkpoint file.

    The file uses the safetensors layout (see :mod:`ember.serialization`) and holds no pickle.
    Saving to a path is atomic: the bytes go to a temporary file in the same directory, which
    is flushed, ``fsync``-ed and renamed over ``f`` (then the directory is ``fsync``-ed), so a
    crash or kill mid-save leaves the previous file intact (and, at worst, a stray
    ``.<name>.<pid>.<random>.tmp`` next to it).

    Args:
        obj: tensors (``requires_grad`` and ``Parameter`` are kept), NumPy arrays and scalars,
            ``None``, ``bool``, ``int``, ``float`` (inf and nan included), ``str``, ``bytes``,
            ember dtypes and devices, :class:`ember.Generator` objects, and lists, tuples and
            dicts of these (dict keys may be ``None``/``bool``/``int``/``float``/``str`` or
            tuples; key types and order are kept). A tensor appearing twice is stored once and
            loads as one tensor; distinct tensors that share memory (views) are stored as
            separate copies and load unshared. Subclasses of list, tuple and dict save as the
            base type (``OrderedDict`` and ``ember.Size`` are kept).
        f: a path (``str`` or ``os.PathLike``) or a binary file object open for writing (written
            at its position; no atomicity).
        pickle_module, pickle_protocol, _use_new_zipfile_serialization: accepted so that
            PyTorch calls run; never used (nothing is pickled).

    Raises:
        TypeError: for an object that cannot be stored, naming where it is in ``obj``.

    Example:
        >>> ember.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
        ...             "rng": ember.get_rng_state(), "epoch": 3}, "ckpt.safetensors")
    """
    head, arrays = _serialize(obj)
    if not isinstance(f, (str, bytes, os.PathLike)):
        if isinstance(f, io.TextIOBase):
            raise TypeError("ember.save needs a binary file object (open the file with 'wb')")
        _write_all(f, head, arrays)
        if hasattr(f, "flush"):
            f.flush()
        return
    path = os.path.realpath(os.fspath(f) if not isinstance(f, bytes) else os.fsdecode(f))
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_all(out, head, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    """Makes the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        dfd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# -- loading -----------------------------------------------------------------------------------

_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive, such as a PyTorch torch.save checkpoint (.pt/.pth)"),
    (b"\x80", "a pickle stream, such as a legacy PyTorch checkpoint"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\x89HDF", "an HDF5 file"),
)


def _reject_foreign(prefix: bytes) -> None:
    """Names the format of a file that is not safetensors, if its first bytes tell."""
    for sig, what in _SIGNATURES:
        if prefix.startswith(sig):
            raise CheckpointError(
                f"not an Ember checkpoint: the file is {what}. ember.load reads only the "
                "safetensors format that ember.save writes and never unpickles; convert a "
                "PyTorch checkpoint in PyTorch with "
                "safetensors.torch.save_file(torch.load(path), new_path)"
            )


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise CheckpointError(f"corrupted checkpoint header: duplicate key {k!r}")
        out[k] = v
    return out


def _reject_constant(name):
    raise CheckpointError(f"corrupted checkpoint header: invalid JSON constant {name}")


def _parse_json(text: bytes | str, what: str):
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except CheckpointError:
        raise
    except RecursionError:
        raise CheckpointError(f"corrupted checkpoint: the {what} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"corrupted checkpoint: the {what} is not valid JSON ({e})") from None


class _Reader:
    """Reads exact byte counts from a file object, with a clear error at a premature end."""

    def __init__(self, f) -> None:
        self.f = f
        self.remaining = None
        try:
            pos = f.tell()
            end = f.seek(0, io.SEEK_END)
            f.seek(pos)
            self.remaining = end - pos
        except (AttributeError, OSError, ValueError):
            pass

    def read_into(self, buf: memoryview, what: str) -> None:
        filled, n = 0, len(buf)
        readinto = getattr(self.f, "readinto", None)
        while filled < n:
            if readinto is not None:
                got = readinto(buf[filled:])
            else:
                chunk = self.f.read(n - filled)
                got = len(chunk) if chunk else 0
                buf[filled:filled + got] = chunk
            if not got:
                raise CheckpointError(f"truncated checkpoint: the file ends inside {what} "
                                      f"({filled} of {n} bytes present)")
            filled += got
        if self.remaining is not None:
            self.remaining -= n

    def read(self, n: int, what: str) -> bytes:
        buf = bytearray(n)
        self.read_into(memoryview(buf), what)
        return bytes(buf)


def _read_header(reader: _Reader) -> dict:
    if reader.remaining is not None and reader.remaining < 8:
        raise CheckpointError(f"not an Ember checkpoint: the file has {reader.remaining} bytes, "
                              "fewer than the 8-byte header length of the safetensors format")
    prefix = reader.read(8, "the 8-byte header length")
    n = int.from_bytes(prefix, "little")
    too_long = reader.remaining is not None and n > reader.remaining
    if too_long or not 2 <= n <= _MAX_HEADER:
        _reject_foreign(prefix)
        if too_long:
            raise CheckpointError(f"truncated or corrupted checkpoint: the header length is {n} "
                                  f"bytes but only {reader.remaining} bytes follow it")
        raise CheckpointError(f"not an Ember checkpoint: header length {n} is out of range "
                              f"[2, {_MAX_HEADER}]")
    try:
        raw = reader.read(n, "the JSON header")
    except CheckpointError:
        _reject_foreign(prefix)
        raise
    if not raw.startswith(b"{"):
        _reject_foreign(prefix)
        raise CheckpointError("not an Ember checkpoint: the header does not start with '{' "
                              "(not the safetensors format)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("corrupted checkpoint: the header is not UTF-8") from None
    header = _parse_json(text, "header")
    if not isinstance(header, dict):
        raise CheckpointError("corrupted checkpoint: the header is not a JSON object")
    return header


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _validate(header: dict) -> tuple[dict, list[tuple[str, np.dtype, tuple, int, int]]]:
    """Checks every entry; returns the metadata and the tensors in data order."""
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in meta.items()):
        raise CheckpointError("corrupted checkpoint: __metadata__ must map strings to strings")
    entries = []
    for name, e in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} needs exactly dtype, "
                                  f"shape and data_offsets, got {e!r}"[:300])
        code, shape, offsets = e["dtype"], e["shape"], e["data_offsets"]
        if code not in _CODES:
            why = "Ember has no such dtype" if code in _UNSUPPORTED else "unknown dtype"
            raise CheckpointError(f"cannot load tensor {name!r}: dtype {code!r} is not "
                                  f"supported ({why}; supported: {', '.join(_CODES)})")
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} has an invalid shape "
                                  f"{shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_int, offsets))
                or not 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} has invalid "
                                  f"data_offsets {offsets!r}")
        dt = np.dtype(_CODES[code])
        nbytes = math.prod(shape) * dt.itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} of dtype {code} and "
                                  f"shape {shape} needs {nbytes} bytes but its data_offsets "
                                  f"{offsets} span {offsets[1] - offsets[0]}")
        entries.append((name, dt, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda t: (t[3], t[4]))
    end = 0
    for name, _, _, begin, stop in entries:
        if begin != end:
            raise CheckpointError(f"corrupted checkpoint: data offsets out of range: tensor "
                                  f"{name!r} starts at byte {begin}, expected {end} (the data "
                                  "must be contiguous, without gaps or overlaps)")
        end = stop
    return meta, entries


def _read_tensors(reader: _Reader, entries, crc: int | None) -> tuple[dict, int | None]:
    total = entries[-1][4] if entries else 0
    if reader.remaining is not None:
        available = reader.remaining
        if available < total:
            raise CheckpointError(f"truncated checkpoint: the tensor data needs {total} bytes but "
                                  f"the file has {available} after the header (data offsets "
                                  "out of range)")
    arrays = {}
    for name, dt, shape, begin, stop in entries:
        try:
            arr = np.empty(shape, dtype=dt.newbyteorder("<"))
        except MemoryError:
            raise CheckpointError(f"cannot load tensor {name!r}: shape {list(shape)} does not "
                                  "fit in memory") from None
        if stop > begin:
            view = _bytes_view(arr)
            reader.read_into(memoryview(view), f"the data of tensor {name!r}")
            if crc is not None:
                crc = zlib.crc32(view, crc)
            if dt == np.bool_ and view.max() > 1:
                raise CheckpointError(f"corrupted checkpoint: bool tensor {name!r} holds bytes "
                                      "other than 0 and 1")
        arrays[name] = arr.astype(dt, copy=False)  # native byte order
    return arrays, crc


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self._made: dict[tuple[str, str], object] = {}  # shared references load as one object

    def _array(self, node) -> tuple[str, np.ndarray]:
        name = node.get("name")
        if not isinstance(name, str) or name not in self.arrays:
            raise CheckpointError(f"corrupted checkpoint: the structure refers to a missing "
                                  f"tensor {name!r}")
        return name, self.arrays[name]

    def decode(self, node, depth: int = 0):
        if depth > _MAX_DEPTH:
            raise CheckpointError("corrupted checkpoint: the structure is nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list) or not isinstance(node.get("T"), str):
            raise CheckpointError(f"corrupted checkpoint: unexpected structure node "
                                  f"{_dumps(node)[:80]}")
        tag = node["T"]
        if tag in ("list", "tuple", "size"):
            items = node.get("items")
            if not isinstance(items, list):
                raise CheckpointError(f"corrupted checkpoint: a {tag} node has no item list")
            values = [self.decode(v, depth + 1) for v in items]
            if tag == "list":
                return values
            if tag == "size":
                from ember.tensor import Size

                return Size(values)
            return tuple(values)
        if tag in ("dict", "odict"):
            items = node.get("items")
            if not isinstance(items, list) or not all(isinstance(p, list) and len(p) == 2
                                                      for p in items):
                raise CheckpointError("corrupted checkpoint: a dict node needs [key, value] pairs")
            out = OrderedDict() if tag == "odict" else {}
            for k, v in items:
                key = self.decode(k, depth + 1)
                try:
                    hash(key)
                except TypeError:
                    raise CheckpointError(f"corrupted checkpoint: unhashable dict key "
                                          f"{key!r}"[:200]) from None
                out[key] = self.decode(v, depth + 1)
            return out
        if tag == "tensor":
            return self._tensor(node)
        if tag == "ndarray":
            name, arr = self._array(node)
            return self._made.setdefault(("ndarray", name), arr)
        if tag == "npscalar":
            _, arr = self._array(node)
            if arr.ndim != 0:
                raise CheckpointError("corrupted checkpoint: a NumPy scalar must be 0-d")
            return arr[()]
        if tag == "float" and node.get("v") in ("nan", "inf", "-inf"):
            return float(node["v"])
        if tag == "dtype" and node.get("v") in _dtype._FROM_NAME:
            return _dtype.as_dtype(node["v"])
        if tag == "device" and isinstance(node.get("v"), str):
            return _device(node["v"])
        if tag == "bytes" and isinstance(node.get("v"), str):
            try:
                return base64.b64decode(node["v"], validate=True)
            except ValueError:
                raise CheckpointError("corrupted checkpoint: invalid base64 bytes") from None
        if tag == "generator" and _is_int(node.get("seed")) and _is_int(node.get("offset")):
            from ember.random import Generator

            g = Generator()
            g.manual_seed(node["seed"])
            g.set_offset(node["offset"])
            return g
        raise CheckpointError(f"corrupted checkpoint: unknown structure node "
                              f"{_dumps(node)[:80]}")

    def _tensor(self, node):
        name, arr = self._array(node)
        cls = node.get("cls")
        requires_grad = node.get("requires_grad", False) is True
        key = ("tensor", name)
        if key in self._made:
            return self._made[key]
        if cls == "Parameter":
            from ember.nn.parameter import Parameter

            t = Parameter(Tensor._make(arr), requires_grad=requires_grad)
        elif cls is None:
            t = Tensor._make(arr)
            if requires_grad:
                if arr.dtype.kind != "f":
                    raise CheckpointError(f"corrupted checkpoint: tensor {name!r} of dtype "
                                          f"{arr.dtype} cannot require grad")
                t.requires_grad_(True)
        else:
            raise CheckpointError(f"corrupted checkpoint: unknown tensor class {cls!r}")
        self._made[key] = t
        return t


def load(f, map_location=None, pickle_module=None, *, weights_only: bool = True,
         mmap: bool | None = None, **pickle_load_args):
    """Loads what :func:`save` saved (or any safetensors file) without running any code.

    The file is parsed as data: a JSON header checked entry by entry (dtypes, shapes, offsets
    that tile the data exactly, a CRC-32 over header and data), then raw bytes copied into new
    arrays. Nothing is unpickled and nothing named by the file is imported or called, so an
    untrusted file cannot execute code; ``weights_only`` is accepted for PyTorch compatibility
    and changes nothing. A safetensors file written by another library, without Ember's
    metadata, loads as a ``{name: tensor}`` dict.

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file object, read from its position.
        map_location: where to put the tensors; Ember has only the CPU, so ``None``, ``'cpu'``
            or ``ember.device('cpu')`` (a dict or callable is accepted and has no effect).
        pickle_module: accepted so that PyTorch calls run; never used.
        weights_only: accepted for compatibility; loading never runs code either way.
        mmap: accepted for compatibility; the data are always read into memory.
        **pickle_load_args: accepted so that PyTorch calls run (``encoding=...``); unused.

    Returns:
        The saved object: tensors, plain values and containers as they were saved.

    Raises:
        CheckpointError: (a ``RuntimeError`` and ``ValueError``) for a foreign file (such as a
            PyTorch ``.pt`` zip or pickle), a truncated or corrupted file, offsets out of range,
            or an unsupported dtype; the message names the problem.
        FileNotFoundError: if the path does not exist.

    Example:
        >>> ckpt = ember.load("ckpt.safetensors")
        >>> model.load_state_dict(ckpt["model"])
    """
    if map_location is not None and not callable(map_location) and not isinstance(
            map_location, dict):
        get_backend(map_location)
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "rb") as fh:
            return _load_from(fh, whole_file=True)
    if isinstance(f, io.TextIOBase):
        raise TypeError("ember.load needs a binary file object (open the file with 'rb')")
    return _load_from(f, whole_file=False)


def _load_from(fh, whole_file: bool):
    reader = _Reader(fh)
    header = _read_header(reader)
    meta, entries = _validate(header)
    is_ember = any(k.startswith("ember.") for k in meta)
    missing = [k for k in ("ember.format_version", "ember.structure", "ember.crc32")
               if k not in meta]
    if is_ember and missing:
        raise CheckpointError(f"corrupted checkpoint: Ember metadata without {missing[0]!r}")
    expected_crc = meta.get("ember.crc32")
    crc = zlib.crc32(_canonical(header)) if expected_crc is not None else None
    total = entries[-1][4] if entries else 0
    if whole_file and reader.remaining is not None and reader.remaining > total:
        raise CheckpointError(f"corrupted checkpoint: {reader.remaining - total} unexpected bytes "
                              f"after the tensor data (expected {total} data bytes)")
    arrays, crc = _read_tensors(reader, entries, crc)
    if expected_crc is not None and f"{crc:08x}" != expected_crc:
        raise CheckpointError(f"corrupted checkpoint: CRC-32 mismatch (stored {expected_crc}, "
                              f"computed {crc:08x}); the header or tensor data were altered")
    if "ember.structure" not in meta:
        dec = _Decoder(arrays)
        return {name: dec._tensor({"T": "tensor", "name": name}) for name in header
                if name != "__metadata__"}
    version = meta.get("ember.format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"unsupported Ember checkpoint format version {version!r} "
                              f"(this Ember reads version {FORMAT_VERSION})")
    structure = _parse_json(meta["ember.structure"], "structure metadata")
    return _Decoder(arrays).decode(structure)

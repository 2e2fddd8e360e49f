"""``ember.save`` / ``ember.load``: safetensors checkpoints, and pickles for whole objects.

``ember.save`` writes one of two formats. Whatever is made of tensors, plain values and
containers (state dicts, optimizer states, training checkpoints) becomes a safetensors file,
which loading parses as data. Anything else (a whole Module, an optimizer object, an instance of
any class) becomes a pickle-based Ember file, which only ``weights_only=False`` unpickles freely.

A safetensors checkpoint is written and parsed by the ``safetensors`` library:

* 8 bytes: ``N``, the header length, a little-endian unsigned 64-bit integer;
* ``N`` bytes: a JSON object (UTF-8, padded with spaces to a multiple of 8 bytes) mapping each
  tensor name to ``{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}``, plus
  ``"__metadata__"``, a ``{str: str}`` object;
* the tensors' raw little-endian bytes, back to back, offsets counted from the end of the header.

Ember puts the saved object's structure in ``__metadata__["ember.structure"]``: JSON in which
containers and non-JSON values are tagged (``{"T": "dict", "items": [[key, value], ...]}``
keeps key types and order, so an optimizer state's int keys stay ints) and tensors are
``{"T": "tensor", "name": ...}`` references to header entries. ``__metadata__["ember.crc32"]``
is the CRC-32 of the header (without that entry, as sorted compact JSON) followed by the data
section. A tensor's name is its path in the object (``"fc.weight"``,
``"optimizer.state.0.exp_avg"``), so a saved ``state_dict`` is also a plain safetensors file
any safetensors reader opens; a plain safetensors file without Ember's metadata loads as a
``{name: tensor}`` dict.

Loading it parses JSON and copies bytes, nothing else: no pickle, no imports named by the file,
no code runs, whatever the file holds. Ember checks the header itself first, so that a foreign,
truncated or corrupted file gets a :class:`CheckpointError` saying what is wrong, before the
library reads it.

A pickle-based Ember file is a 24-byte header and a pickle stream (protocol 5 unless
``pickle_protocol`` says otherwise):

* 8 bytes: the magic ``b"EMBERPKL"``;
* 4 bytes: the format version (1), a little-endian unsigned 32-bit integer;
* 4 bytes: the CRC-32 of the pickle stream, little-endian;
* 8 bytes: the length of the pickle stream, a little-endian unsigned 64-bit integer;
* the pickle stream, ending exactly at the end of the file.

A tensor in the stream is ``ember.tensor._rebuild_tensor(cls, raw little-endian bytes, dtype
name, shape, requires_grad, public attributes)`` (see ``Tensor.__reduce_ex__``): no NumPy global.
Length and CRC are checked before anything is unpickled, so a truncated or corrupted file is a
:class:`CheckpointError`. ``ember.load`` also reads plain pickle streams (``pickle.dump``).

With ``weights_only=True`` (the default, as in PyTorch 2.6 and later) a pickle is read by a
restricted unpickler that resolves only allowed globals: Ember's tensor rebuild and tensor
classes (``Tensor``, ``Parameter``, ``Buffer``), ``ember.Size``, ``ember.device``, Ember's
dtypes, ``collections.OrderedDict`` and ``Counter``, ``set``, ``frozenset``, ``bytearray``,
``complex`` and ``_codecs.encode`` (bytes in protocol 2), plus what :func:`add_safe_globals` or
:class:`safe_globals` allow. Any other global is refused with PyTorch's
``pickle.UnpicklingError`` before it is imported, so no code named by the file runs. As in
PyTorch, the unpickler also calls (``REDUCE``), creates (``NEWOBJ``) and updates (``BUILD``,
``APPEND``, ``SETITEM``) only allowed objects, so a hostile file cannot patch an allowed class
or function either; tensors are only made by the rebuild function, which checks every field.
"""

from __future__ import annotations

import _compat_pickle
import base64
import codecs
import errno
import io
import json
import math
import os
import pickle
import re
import socket
import stat
import struct
import time
import warnings
import zlib
from collections import Counter, OrderedDict
from typing import ClassVar

import ml_dtypes
import numpy as np
import safetensors

from ember import _dtype
from ember.backend import device as _device
from ember.backend import get_backend
from ember.nn.parameter import Buffer, Parameter
from ember.random import Generator
from ember.tensor import Size, Tensor, _rebuild_tensor

__all__ = [
    "CheckpointError",
    "add_safe_globals",
    "clear_safe_globals",
    "get_safe_globals",
    "load",
    "safe_globals",
    "save",
]

FORMAT_VERSION = "1"
PICKLE_MAGIC = b"EMBERPKL"
PICKLE_FORMAT_VERSION = 1
_PICKLE_HEAD = struct.Struct("<8sIIQ")  # magic, version, CRC-32 and length of the pickle
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of a legacy torch.save file
_MAX_HEADER = 100_000_000  # the safetensors limit on the header size
_MAX_DEPTH = 512  # nesting levels load accepts (recursion stays far below Python's limit)
_MAX_INDEX = 2 ** 63 - 1  # NumPy's largest size: bounds every dimension and element count

#: safetensors dtype codes and the NumPy dtypes Ember stores them as (``TensorSpec`` takes the
#: NumPy name: ``"float32"``, ``"bfloat16"``).
_CODES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
    "I16": np.dtype(np.int16), "I32": np.dtype(np.int32), "I64": np.dtype(np.int64),
    "F16": np.dtype(np.float16), "BF16": np.dtype(ml_dtypes.bfloat16),
    "F32": np.dtype(np.float32), "F64": np.dtype(np.float64),
}
_CODE_OF = {v: k for k, v in _CODES.items()}
_UNSUPPORTED = {"U16", "U32", "U64", "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2", "F8_E5M2FNUZ",
                "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64", "C128"}
#: device types a checkpoint may name (PyTorch's list); Ember itself runs only on the CPU.
_DEVICE = re.compile(r"(cpu|cuda|ipu|xpu|mkldnn|opengl|opencl|ideep|hip|ve|fpga|maia|xla|lazy|"
                     r"vulkan|mps|meta|hpu|mtia|privateuseone)(?::(0|[1-9][0-9]{0,8}))?")


class CheckpointError(RuntimeError, ValueError):
    """A file ``ember.load`` cannot read: foreign, truncated or corrupted (with the reason).

    It is both a ``RuntimeError`` (what PyTorch raises for a bad checkpoint) and a
    ``ValueError``, so either ``except`` clause catches it.

    Example:
        >>> with open("empty.safetensors", "wb"):
        ...     pass
        >>> try:
        ...     ember.load("empty.safetensors")
        ... except ValueError as e:
        ...     print(e)
        cannot load 'empty.safetensors': not an Ember/safetensors file: the file is empty
    """


# -- saving ------------------------------------------------------------------------------------

class _Unstructured(Exception):
    """The object holds something the safetensors structure cannot express: it is pickled."""


class _Encoder:
    """Turns an object into (tagged JSON structure, list of (name, array)), or raises
    :class:`_Unstructured`."""

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

    def _array(self, arr: np.ndarray, path: list) -> str:
        if np.dtype(arr.dtype).newbyteorder("=") not in _CODE_OF:
            raise _Unstructured
        name = self._name(path)
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
            arr = arr.copy(order="C")
        le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        self.arrays.append((name, le))
        return name

    def encode(self, obj, path: list):
        if obj is None or isinstance(obj, bool):
            return obj
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if isinstance(obj, np.ndarray):
            return self._shared(obj, path, {"T": "ndarray"})
        if isinstance(obj, np.generic):
            return {"T": "npscalar", "name": self._array(np.asarray(obj), path)}
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
        if isinstance(obj, Generator):
            return {"T": "generator", "seed": obj.initial_seed(), "offset": obj.get_offset()}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self._active:  # a cycle
                raise _Unstructured
            self._active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._active.discard(id(obj))
        raise _Unstructured

    def _container(self, obj, path: list):
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                items.append([self._key(k), self.encode(v, [*path, k])])
            return {"T": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        tag = "size" if isinstance(obj, Size) else "tuple" if isinstance(obj, tuple) else "list"
        return {"T": tag, "items": [self.encode(v, [*path, i]) for i, v in enumerate(obj)]}

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
        raise _Unstructured

    def _shared(self, obj, path, node):
        """One header entry per object, however often the object appears (tied weights)."""
        seen = self._by_id.get(id(obj))
        if seen is not None and seen[1] is obj:
            return dict(node, name=seen[0])
        arr = obj._data if isinstance(obj, Tensor) else obj
        name = self._array(arr, path)
        self._by_id[id(obj)] = (name, obj)
        return dict(node, name=name)

    def _tensor(self, t: Tensor, path):
        node = {"T": "tensor"}
        if isinstance(t, Parameter):
            node["cls"] = "Parameter"
        if t.requires_grad:
            node["requires_grad"] = True
        return self._shared(t, path, node)


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _canonical(header: dict) -> bytes:
    """The bytes the checksum covers for a header (everything but the checksum itself)."""
    meta = {k: v for k, v in header.get("__metadata__", {}).items() if k != "ember.crc32"}
    body = {k: v for k, v in header.items() if k != "__metadata__"}
    body["__metadata__"] = meta
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _bytes_view(arr: np.ndarray) -> np.ndarray:
    return arr.reshape(-1).view(np.uint8)


_CRC_KEY = "ember.crc32"
_CRC_SLOT = b'"ember.crc32":"00000000"'  # as the library writes the placeholder into the header


def _prepare(obj, pickle_module, pickle_protocol):
    """What ``save`` writes for ``obj``: the bytes of a pickle-based file (a ``memoryview``) if
    ``obj`` holds something the safetensors structure cannot express, else the library's
    arguments: tensor specs, metadata (CRC still a placeholder), and the arrays the specs point
    into, which must stay alive until the bytes are written."""
    enc = _Encoder()
    try:
        structure = enc.encode(obj, [])
    except _Unstructured:  # a Module, an instance of any class, a cycle...
        return _pickled(obj, pickle_module, pickle_protocol)
    meta = {"ember.format_version": FORMAT_VERSION, "ember.structure": _dumps(structure),
            _CRC_KEY: "00000000"}
    arrays = dict(enc.arrays)
    specs = {name: safetensors.TensorSpec(dtype=arr.dtype.name, shape=list(arr.shape),
                                          data_ptr=arr.ctypes.data, data_len=arr.nbytes)
             for name, arr in arrays.items()}
    return specs, meta, arrays


def _pickled(obj, pickle_module, pickle_protocol) -> memoryview:
    """A pickle-based Ember file holding ``obj`` (the format is in the module docstring)."""
    buf = io.BytesIO()
    buf.write(bytes(_PICKLE_HEAD.size))
    protocol = 5 if pickle_protocol is None else pickle_protocol
    (pickle_module or pickle).Pickler(buf, protocol=protocol).dump(obj)
    with buf.getbuffer() as view:
        n = len(view) - _PICKLE_HEAD.size
        crc = zlib.crc32(view[_PICKLE_HEAD.size:])
    buf.seek(0)
    buf.write(_PICKLE_HEAD.pack(PICKLE_MAGIC, PICKLE_FORMAT_VERSION, crc, n))
    return buf.getbuffer()


def _crc_patch(head: bytes, arrays: dict[str, np.ndarray], size: int) -> tuple[int, bytes]:
    """Where the CRC placeholder is in a file the library wrote, and the CRC to put there.

    ``head`` is the file's first ``8 + N`` bytes and ``size`` its length. The library chooses
    the order of the tensors, so the CRC is computed once their offsets are known.
    """
    n = int.from_bytes(head[:8], "little")
    header = json.loads(head[8:8 + n])
    order = sorted(arrays, key=lambda k: header[k]["data_offsets"])
    if size != 8 + n + sum(a.nbytes for a in arrays.values()):
        raise RuntimeError(f"ember.save: safetensors {safetensors.__version__} laid the data out "
                           "with gaps, which Ember's loader refuses")
    crc = zlib.crc32(_canonical(header))
    for name in order:
        crc = zlib.crc32(_bytes_view(arrays[name]), crc)
    at = head.find(_CRC_SLOT, 8)
    if at < 0 or head.find(_CRC_SLOT, at + 1) >= 0:
        raise RuntimeError("ember.save: cannot find the CRC placeholder in the header the "
                           f"safetensors {safetensors.__version__} library wrote")
    return at + len(_CRC_SLOT) - 9, f"{crc:08x}".encode("ascii")


def _write_stream(f, payload) -> None:
    if isinstance(payload, memoryview):
        f.write(payload)
        return
    specs, meta, arrays = payload
    raw = safetensors.serialize(specs, metadata=meta)
    at, crc = _crc_patch(raw, arrays, len(raw))
    view = memoryview(raw)
    f.write(view[:at])
    f.write(crc)
    f.write(view[at + len(crc):])


def save(obj, f, pickle_module=None, pickle_protocol=None,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Saves an object to a checkpoint file: a safetensors file when it can, else a pickle.

    A state dict, an optimizer state or any nesting of tensors and plain values (listed under
    ``obj``) becomes a safetensors file, which holds no pickle. Any other object (a whole
    Module, an optimizer, an instance of your own class, or a container holding one) is pickled
    into a pickle-based Ember file (see :mod:`ember.serialization`), as ``torch.save`` pickles:
    loading it back needs ``ember.load(f, weights_only=False)`` (trusted files only) or its
    classes allowed with :func:`add_safe_globals`. Tensors in it keep their class, dtype,
    ``requires_grad`` and attributes; a tensor reached twice loads as one tensor, and a view
    is saved as its values.

    Saving to a path is atomic: the checkpoint is written into a temporary directory beside the
    file (named ``.<file name>.ember-save-<host>-<pid>-<random>.tmp``), flushed to disk, then
    renamed over the file, so a crash leaves either the old file or the new one, never a mix.
    An existing file's permission bits are kept. A temporary directory that a killed save left
    behind is removed by the next save to the same path once it is stale: its process is gone
    (same host) or nothing in it has been written for an hour. A path that names a device or a
    FIFO is written through, as ``open(path, "wb")`` would.

    Args:
        obj: tensors (``requires_grad`` and ``Parameter`` are kept), NumPy arrays and scalars,
            ``None``, ``bool``, ``int``, ``float`` (inf and nan included), ``str``, ``bytes``,
            ember dtypes and devices, :class:`ember.Generator` objects, and lists, tuples and
            dicts of these (dict keys may be ``None``/``bool``/``int``/``float``/``str`` or
            tuples; key types and order are kept). A tensor appearing twice is stored once and
            loads as one tensor; distinct tensors that share memory (views) are stored as
            separate copies and load unshared. Subclasses of list, tuple and dict save as the
            base type (``OrderedDict`` and ``ember.Size`` are kept). Anything else is pickled.
        f: a path (``str`` or ``os.PathLike``) or a binary file object open for writing (written
            at its position; no atomicity).
        pickle_module: the module whose ``Pickler`` pickles an object that needs it
            (default :mod:`pickle`).
        pickle_protocol: the pickle protocol for such an object (default 5).
        _use_new_zipfile_serialization: accepted so that PyTorch calls run; unused.

    Raises:
        pickle.PicklingError, AttributeError, TypeError: from :mod:`pickle`, for an object that
            cannot be pickled (a lambda, a local class), before the file is touched.
        RuntimeError: if the path cannot be written (empty, a directory, no parent directory,
            no permission, disk full), as PyTorch raises; the message names the path.

    Example:
        >>> model = ember.nn.Linear(3, 2)
        >>> opt = ember.optim.Adam(model.parameters())
        >>> ember.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
        ...             "rng": ember.get_rng_state(), "epoch": 3}, "ckpt.safetensors")
        >>> ember.save(model, "model.pt")  # pickled: ember.load("model.pt", weights_only=False)
    """
    if not isinstance(f, (str, bytes, os.PathLike)):
        if isinstance(f, io.TextIOBase):
            raise TypeError("ember.save needs a binary file object (open the file with 'wb')")
        _write_stream(f, _prepare(obj, pickle_module, pickle_protocol))
        if hasattr(f, "flush"):
            f.flush()
        return
    user = os.fsdecode(os.fspath(f))
    if not user:
        raise RuntimeError("ember.save: invalid file name: '' (the path is empty)")
    payload = _prepare(obj, pickle_module, pickle_protocol)  # pickling errors come first
    path = os.path.realpath(user)  # a symlink's target is replaced, not the link
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _save_error(user, e) from None
    if user.endswith(("/", os.sep)) or (st is not None and stat.S_ISDIR(st.st_mode)):
        raise RuntimeError(f"ember.save: cannot write '{user}': it is a directory")
    directory, base = os.path.split(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"ember.save: cannot write '{user}': parent directory "
                           f"{directory} does not exist")
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(path, "wb") as out:
                _write_stream(out, payload)
        except OSError as e:
            raise _save_error(user, e) from None
        return
    prefix = _tmp_prefix(base)
    _remove_stale(directory, prefix)
    tmpdir = os.path.join(directory, f"{prefix}{_host_tag()}-{os.getpid()}-"
                                     f"{os.urandom(4).hex()}.tmp")
    try:
        os.mkdir(tmpdir, 0o700)
    except OSError as e:
        raise _save_error(user, e) from None
    try:
        _write_replace(os.path.join(tmpdir, "data"), path, st, payload)
    except BaseException as e:
        _remove_tmpdir(tmpdir)
        if isinstance(e, (OSError, safetensors.SafetensorError)):
            raise _save_error(user, e) from None
        raise
    _remove_tmpdir(tmpdir)
    _fsync_dir(directory)


def _write_replace(data: str, path: str, st: os.stat_result | None, payload) -> None:
    if st is None:  # a new file gets open()'s mode, 0o666 less the umask: let the OS apply it
        os.close(os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        mode = stat.S_IMODE(os.stat(data).st_mode)
    else:
        mode = stat.S_IMODE(st.st_mode)
    if isinstance(payload, memoryview):
        with open(data, "wb") as out:
            out.write(payload)
            _sync(out, data, mode)
    else:
        # The library writes a file of its own beside ``data`` and renames it to ``data``;
        # both stay inside the temporary directory until the final rename.
        specs, meta, arrays = payload
        safetensors.serialize_file(specs, data, metadata=meta)
        with open(data, "r+b") as out:
            head = out.read(8)
            head += out.read(int.from_bytes(head, "little"))
            at, crc = _crc_patch(head, arrays, os.fstat(out.fileno()).st_size)
            out.seek(at)
            out.write(crc)
            _sync(out, data, mode)
    os.replace(data, path)


def _sync(out, data: str, mode: int) -> None:
    """Gives the written temporary file its final permission bits and flushes it to disk."""
    out.flush()
    if hasattr(os, "fchmod"):
        os.fchmod(out.fileno(), mode)
    else:
        os.chmod(data, mode)
    os.fsync(out.fileno())


def _save_error(user: str, e: BaseException) -> RuntimeError:
    """PyTorch's RuntimeError for a file that cannot be written, naming the user's path (never
    the temporary one)."""
    if isinstance(e, OSError) and e.errno:
        reason = f"[Errno {e.errno}] {os.strerror(e.errno)}"
    else:
        found = re.search(r"os error (\d+)", str(e))
        reason = (f"[Errno {found[1]}] {os.strerror(int(found[1]))}" if found
                  else re.sub(r" at path .*", "", str(e)))
    return RuntimeError(f"ember.save: cannot write '{user}': {reason}")


def _tmp_prefix(base: str) -> str:
    """How the names of the temporary directories of saves to a file named ``base`` begin."""
    if len(os.fsencode(base)) > 200:  # keep the whole name within the usual 255-byte limit
        base = f"{zlib.crc32(os.fsencode(base)):08x}"
    return f".{base}.ember-save-"


_TMP_SUFFIX = re.compile(r"([0-9a-f]{8})-([0-9]{1,10})-[0-9a-f]{8}\.tmp")
_STALE_AFTER = 3600.0  # seconds without a write after which another host's save counts as dead


def _host_tag() -> str:
    """Names this host (and PID namespace): a PID in a temporary name is only checked here."""
    ident = socket.gethostname()
    try:
        ident += os.readlink("/proc/self/ns/pid")  # containers on one host reuse PIDs
    except OSError:
        pass
    return f"{zlib.crc32(ident.encode('utf-8', 'replace')):08x}"


def _process_gone(pid: int) -> bool:
    if os.name != "posix" or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # PermissionError: alive, owned by another user
        return False
    return False


def _remove_stale(directory: str, prefix: str) -> None:
    """Removes the temporary directories that killed saves to the same file left behind."""
    try:
        with os.scandir(directory) as it:
            entries = [e for e in it if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        found = _TMP_SUFFIX.fullmatch(entry.name[len(prefix):])
        if found is None or not entry.is_dir(follow_symlinks=False):
            continue
        if found[1] == _host_tag() and _process_gone(int(found[2])):
            _remove_tmpdir(entry.path)
            continue
        try:
            with os.scandir(entry.path) as it:
                newest = max([entry.stat(follow_symlinks=False).st_mtime]
                             + [e.stat(follow_symlinks=False).st_mtime for e in it])
        except OSError:
            continue
        if time.time() - newest > _STALE_AFTER:
            _remove_tmpdir(entry.path)


def _remove_tmpdir(tmpdir: str) -> None:
    """Removes a save's temporary directory: files only, one level (never follows links)."""
    try:
        with os.scandir(tmpdir) as it:
            entries = list(it)
        if any(e.is_dir(follow_symlinks=False) for e in entries):
            return  # not something save made: leave it alone
        for entry in entries:
            os.unlink(entry.path)
        os.rmdir(tmpdir)
    except OSError:
        pass


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

_TORCH_HINT = ("ember.load does not read PyTorch's own checkpoint format (pickled storages). "
               "Convert it in PyTorch, from a source you trust: "
               "safetensors.torch.save_file(torch.load(path, weights_only=True), new_path) for "
               "a state dict of tensors")
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive, such as a PyTorch checkpoint written by torch.save "
                    "(.pt/.pth: a pickle inside a zip)", _TORCH_HINT),
    (b"\x93NUMPY", "a NumPy .npy file", "load it with numpy.load"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ""),
    (b"\xff\xd8\xff", "a JPEG image", ""),
    (b"\x1f\x8b", "a gzip file", "decompress it first"),
    (b"\x89HDF", "an HDF5 file", ""),
)


def _foreign(prefix: bytes) -> str:
    """Names the format of a file that is not safetensors, if its first bytes tell."""
    for sig, what, hint in _SIGNATURES:
        if prefix.startswith(sig):
            return f"not an Ember/safetensors file: it is {what}" + (f". {hint}" if hint else "")
    return ""


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
    """Reads exact byte counts from a binary file object, knowing how many remain if it can."""

    def __init__(self, f) -> None:
        self.f = f
        self.start = self.remaining = None
        try:
            self.start = f.tell()
            end = f.seek(0, io.SEEK_END)
            f.seek(self.start)
            self.remaining = end - self.start
        except (AttributeError, OSError, ValueError):
            self.start = None

    def read_upto(self, n: int) -> bytes:
        """Up to ``n`` bytes: fewer only at the end of the file."""
        parts, got = [], 0
        while got < n:
            chunk = self.f.read(min(n - got, 1 << 24))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        if self.remaining is not None:
            self.remaining -= got
        return b"".join(parts)

    def read(self, n: int, what: str) -> bytes:
        data = self.read_upto(n)
        if len(data) < n:
            raise CheckpointError(f"truncated checkpoint: the file ends inside {what} "
                                  f"({len(data)} of {n} bytes present)")
        return data


def _read_header(reader: _Reader, first: bytes) -> tuple[bytes, dict]:
    """The file's first ``8 + N`` bytes and its header, with the reason if it has none.

    ``first`` is the file's first 9 bytes (fewer if it is shorter), already read: the header
    length and the '{' a JSON header starts with.
    """
    if not first:
        raise CheckpointError("not an Ember/safetensors file: the file is empty")
    if len(first) < 9 or first[8:9] != b"{":
        foreign = _foreign(first)
        if foreign:
            raise CheckpointError(foreign)
        if len(first) < 9:
            raise CheckpointError(f"not an Ember/safetensors file: it has only {len(first)} "
                                  "bytes, too few for the 8-byte header length and the JSON "
                                  "header of the safetensors format")
        raise CheckpointError("not an Ember/safetensors file: a safetensors file starts with "
                              "an 8-byte header length and a JSON header opening with '{'; "
                              f"this file starts with {first!r}")
    n = int.from_bytes(first[:8], "little")
    if n > _MAX_HEADER:
        raise CheckpointError(f"not an Ember/safetensors file, or corrupted: header length {n} "
                              f"exceeds the safetensors limit of {_MAX_HEADER} bytes (the header "
                              "was not read)")
    if n < 2:
        raise CheckpointError(f"corrupted checkpoint: header length {n} is too small for a JSON "
                              "object")
    if reader.remaining is not None and n - 1 > reader.remaining:
        raise CheckpointError(f"truncated or corrupted checkpoint: the header length is {n} "
                              f"bytes but only {reader.remaining + 1} bytes follow it")
    raw = first + reader.read(n - 1, "the JSON header")
    try:
        text = raw[8:].decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError("corrupted checkpoint: the header is not UTF-8") from None
    header = _parse_json(text, "header")
    if not isinstance(header, dict):
        raise CheckpointError("corrupted checkpoint: the header is not a JSON object")
    return raw, header


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
        if not isinstance(code, str) or code not in _CODES:
            known = isinstance(code, str) and code in _UNSUPPORTED
            why = "Ember has no such dtype" if known else "unknown dtype"
            raise CheckpointError(f"cannot load tensor {name!r}: dtype {code!r} is not "
                                  f"supported ({why}; supported: {', '.join(_CODES)})"[:300])
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} has an invalid shape "
                                  f"{shape!r} (a list of non-negative integers expected)"[:300])
        if math.prod(s for s in shape if s) * _CODES[code].itemsize > _MAX_INDEX:
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} has an absurd shape "
                                  f"{shape} (more than {_MAX_INDEX} bytes)"[:300])
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_int, offsets))
                or not 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"corrupted checkpoint: tensor {name!r} has invalid "
                                  f"data_offsets {offsets!r} (two integers 0 <= begin <= end "
                                  "expected)"[:300])
        dt = _CODES[code]
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


def _read_file(reader: _Reader, whole_file: bool, first: bytes) -> tuple[bytes, dict, dict,
                                                                          list]:
    """One checkpoint's bytes, checked: (bytes, header, metadata, entries in data order)."""
    head, header = _read_header(reader, first)
    meta, entries = _validate(header)
    total = entries[-1][4] if entries else 0
    if reader.remaining is not None:
        if reader.remaining < total:
            raise CheckpointError(f"truncated checkpoint: the tensor data needs {total} bytes but "
                                  f"the file has {reader.remaining} after the header (data "
                                  "offsets out of range)")
        if whole_file and reader.remaining > total:
            raise CheckpointError(f"corrupted checkpoint: {reader.remaining - total} unexpected "
                                  f"bytes after the tensor data (expected {total} data bytes)")
    if reader.start is not None:  # read the file in one piece: no copy to join the parts
        reader.f.seek(reader.start)
        reader.remaining += len(head)
        return reader.read(len(head) + total, "the tensor data"), header, meta, entries
    return head + reader.read(total, "the tensor data"), header, meta, entries


def _arrays(raw: bytes, n: int, entries) -> dict[str, np.ndarray]:
    """The tensors of a checked file, as the safetensors library reads them."""
    try:
        tensors = dict(safetensors.deserialize(raw))
    except safetensors.SafetensorError as e:
        raise CheckpointError(f"corrupted checkpoint: the safetensors library refuses it "
                              f"({e})") from None
    arrays = {}
    for name, dt, shape, _, _ in entries:
        t = tensors.get(name)
        if t is None or t["dtype"] != _CODE_OF[dt] or tuple(t["shape"]) != shape:
            raise CheckpointError(f"corrupted checkpoint: the safetensors library reads tensor "
                                  f"{name!r} differently")
        arr = np.frombuffer(t["data"], dtype=dt.newbyteorder("<")).reshape(shape)
        if dt == np.bool_ and arr.view(np.uint8).max(initial=0) > 1:
            raise CheckpointError(f"corrupted checkpoint: bool tensor {name!r} holds bytes "
                                  "other than 0 and 1")
        arrays[name] = arr.astype(dt, copy=False)  # native byte order
    return arrays


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
        """The object a tagged structure node stands for (``depth``: its nesting level)."""
        if depth > _MAX_DEPTH:
            raise CheckpointError("corrupted checkpoint: the structure is nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list) or not isinstance(node.get("T"), str):
            raise CheckpointError(f"corrupted checkpoint: unexpected structure node "
                                  f"{_dumps(node)[:80]}")
        tag = node["T"]
        if tag in ("list", "tuple", "size"):
            return self._sequence(tag, node, depth)
        if tag in ("dict", "odict"):
            return self._mapping(tag, node, depth)
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
        decoder = _VALUE_DECODERS.get(tag)
        value = _UNKNOWN if decoder is None else decoder(node)
        if value is _UNKNOWN:
            raise CheckpointError(f"corrupted checkpoint: unknown structure node "
                                  f"{_dumps(node)[:80]}")
        return value

    def _sequence(self, tag: str, node, depth: int):
        items = node.get("items")
        if not isinstance(items, list):
            raise CheckpointError(f"corrupted checkpoint: a {tag} node has no item list")
        values = [self.decode(v, depth + 1) for v in items]
        if tag == "list":
            return values
        if tag == "size":
            if not all(_is_int(v) and 0 <= v <= _MAX_INDEX for v in values):
                raise CheckpointError("corrupted checkpoint: a size holds a value that is "
                                      "not a dimension")

            return Size(values)
        return tuple(values)

    def _mapping(self, tag: str, node, depth: int):
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

    def _tensor(self, node):
        name, arr = self._array(node)
        cls = node.get("cls")
        requires_grad = node.get("requires_grad", False) is True
        key = ("tensor", name)
        if key in self._made:
            return self._made[key]
        if cls == "Parameter":
            t = Parameter(Tensor._make(arr), requires_grad=requires_grad)
        elif cls is None:
            t = Tensor._make(arr)
            if requires_grad:
                if not _dtype.from_numpy_dtype(arr.dtype).is_floating_point:
                    raise CheckpointError(f"corrupted checkpoint: tensor {name!r} of dtype "
                                          f"{arr.dtype} cannot require grad")
                t.requires_grad_(True)
        else:
            raise CheckpointError(f"corrupted checkpoint: unknown tensor class {cls!r}")
        self._made[key] = t
        return t


_UNKNOWN = object()  # what a value decoder returns for a node it does not recognise


def _float_value(node):
    return float(node["v"]) if node.get("v") in ("nan", "inf", "-inf") else _UNKNOWN


def _dtype_value(node):
    if isinstance(node.get("v"), str) and node["v"] in _dtype._FROM_NAME:
        return _dtype.as_dtype(node["v"])
    return _UNKNOWN


def _device_value(node):
    if not isinstance(node.get("v"), str):
        return _UNKNOWN
    if not _DEVICE.fullmatch(node["v"]):
        raise CheckpointError(f"corrupted checkpoint: unknown device {node['v']!r}"[:200])
    return _device(node["v"])


def _bytes_value(node):
    if not isinstance(node.get("v"), str):
        return _UNKNOWN
    try:
        return base64.b64decode(node["v"], validate=True)
    except ValueError:
        raise CheckpointError("corrupted checkpoint: invalid base64 bytes") from None


def _generator_value(node):
    if not all(_is_int(node.get(k)) and 0 <= node[k] < 2 ** 64 for k in ("seed", "offset")):
        return _UNKNOWN
    g = Generator()
    g.manual_seed(node["seed"])
    g.set_offset(node["offset"])
    return g


#: decoders of the leaf nodes that ``_Encoder.encode`` tags, by tag
_VALUE_DECODERS = {"float": _float_value, "dtype": _dtype_value, "device": _device_value,
                   "bytes": _bytes_value, "generator": _generator_value}


_NOT_REGULAR = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_regular(st: os.stat_result, user: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), user)
    if not stat.S_ISREG(st.st_mode):
        what = next((w for test, w in _NOT_REGULAR if test(st.st_mode)), "not a regular file")
        raise CheckpointError(f"cannot load '{user}': it is {what}, not a regular file; "
                              "ember.load opens only regular files (to read a stream, pass an "
                              "open binary file object)")


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args):
    """Loads what :func:`save` saved, a safetensors file, or a pickle, as ``torch.load`` does.

    A safetensors checkpoint is parsed as data, whatever ``weights_only`` says: Ember checks
    the JSON header entry by entry (dtypes, shapes, offsets that tile the data exactly, a CRC-32
    over header and data), then the ``safetensors`` library reads the tensors' bytes into new
    arrays; nothing is unpickled, imported or called. A safetensors file written by another
    library, without Ember's metadata, loads as a ``{name: tensor}`` dict (``BF16`` tensors load
    as ``ember.bfloat16``).

    A pickle-based Ember file (a whole Module, an optimizer object...) or a plain pickle stream
    is unpickled. With ``weights_only=True`` (the default, as in PyTorch 2.6 and later) only
    tensors, plain containers and scalars, ``ember.Size``, dtypes, devices and the globals
    allowed with :func:`add_safe_globals` or :class:`safe_globals` load; any other global is
    refused with PyTorch's ``pickle.UnpicklingError`` before it is imported, so the file runs
    no code. ``weights_only=False`` unpickles anything, which runs whatever code the file
    names: only for files you trust. A PyTorch checkpoint (``torch.save``'s zip, or its legacy
    pickles) is refused with a :class:`CheckpointError` saying how to convert it.

    A path must name a regular file: a FIFO or a device is refused without being opened for
    reading, so that nothing blocks.

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file object, read from its position.
        map_location: where to put the tensors; Ember has only the CPU, so ``None``, ``'cpu'``
            or ``ember.device('cpu')`` (a dict or callable is accepted and has no effect).
        pickle_module: the module whose ``Unpickler`` reads a pickle with
            ``weights_only=False`` (default :mod:`pickle`); giving it makes ``weights_only``
            default to False, as in PyTorch.
        weights_only: restrict unpickling to weights (see above). Defaults to True, or to False
            when ``pickle_module`` is given.
        mmap: accepted for compatibility; the data are always read into memory.
        **pickle_load_args: passed to ``pickle_module.Unpickler`` with ``weights_only=False``
            (``encoding=...``); PyTorch's warning otherwise.

    Returns:
        The saved object.

    Raises:
        pickle.UnpicklingError: with ``weights_only=True``, for a pickle naming a global that
            is not allowed (PyTorch's message, naming the global and how to allow it).
        CheckpointError: (a ``RuntimeError`` and ``ValueError``) for a foreign file (such as a
            PyTorch ``.pt`` file), an empty, truncated or corrupted file or pickle, offsets out
            of range, an unsupported dtype, or a path that is not a regular file; the message
            names the file and the problem.
        RuntimeError: for ``weights_only=True`` with an explicit ``pickle_module`` (PyTorch's
            error).
        FileNotFoundError: if the path does not exist.
        IsADirectoryError: if the path is a directory.

    Example:
        >>> model = ember.nn.Linear(3, 2)
        >>> ember.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
        >>> ckpt = ember.load("ckpt.safetensors")
        >>> ckpt["epoch"], list(ckpt["model"])
        (3, ['weight', 'bias'])
        >>> model.load_state_dict(ckpt["model"])
        <All keys matched successfully>
        >>> ember.save(model, "model.pt")
        >>> ember.load("model.pt", weights_only=False)  # a whole pickled Module
        Linear(in_features=3, out_features=2, bias=True)
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    if map_location is not None and not callable(map_location) and not isinstance(
            map_location, dict):
        if str(map_location).startswith("cuda"):
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use ember.load with "
                "map_location=ember.device('cpu') to map your storages to the CPU."
            )
        get_backend(map_location)
    unpickle = _Unpickling(weights_only, pickle_module or pickle, pickle_load_args)
    if not isinstance(f, (str, bytes, os.PathLike)):
        if isinstance(f, io.TextIOBase):
            raise TypeError("ember.load needs a binary file object (open the file with 'rb')")
        name = getattr(f, "name", None)
        where = f"'{name}'" if isinstance(name, str) else f"a {type(f).__name__} file object"
        return _load_from(f, where, False, unpickle)
    user = os.fsdecode(os.fspath(f))
    _check_regular(os.stat(user), user)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(user, flags)  # O_NONBLOCK: a FIFO swapped in after the stat cannot block
    with os.fdopen(fd, "rb") as fh:
        _check_regular(os.fstat(fd), user)
        return _load_from(fh, f"'{user}'", True, unpickle)


def _load_from(fh, where: str, whole_file: bool, unpickle: _Unpickling):
    try:
        reader = _Reader(fh)
        first = reader.read_upto(9)
        if first[:8] == PICKLE_MAGIC[:len(first)] and len(first) >= 2:
            return _load_ember_pickle(reader, first, whole_file, unpickle)
        # A pickle opens with PROTO (0x80) and its protocol; so may a safetensors header length,
        # but then the 9th byte opens the JSON header and the length is a plausible one.
        safetensors_like = first[8:9] == b"{" and int.from_bytes(first[:8], "little") <= \
            _MAX_HEADER
        if first[:1] == b"\x80" and first[1:2] in (b"", b"\2", b"\3", b"\4", b"\5") and not \
                safetensors_like:
            return _load_pickle(reader, first, unpickle)
        return _decode_file(reader, whole_file, first)
    except CheckpointError as e:
        raise CheckpointError(f"cannot load {where}: {e}") from None


def _load_ember_pickle(reader: _Reader, first: bytes, whole_file: bool, unpickle: _Unpickling):
    head = first + reader.read(_PICKLE_HEAD.size - len(first), "the 24-byte header")
    magic, version, crc, n = _PICKLE_HEAD.unpack(head)
    if magic != PICKLE_MAGIC:
        raise CheckpointError(f"not an Ember file: it starts with {head[:8]!r}")
    if version != PICKLE_FORMAT_VERSION:
        raise CheckpointError(f"unsupported Ember pickle format version {version} (this Ember "
                              f"reads version {PICKLE_FORMAT_VERSION})")
    if reader.remaining is not None and n > reader.remaining:
        raise CheckpointError(f"truncated checkpoint: the pickle data needs {n} bytes but the "
                              f"file has {reader.remaining} after the header")
    data = reader.read(n, "the pickle data")
    if whole_file and reader.remaining:
        raise CheckpointError(f"corrupted checkpoint: {reader.remaining} unexpected bytes after "
                              f"the pickle data (expected {n} bytes)")
    if zlib.crc32(data) != crc:
        raise CheckpointError(f"corrupted checkpoint: CRC-32 mismatch (stored {crc:08x}, "
                              f"computed {zlib.crc32(data):08x}); the pickle data were altered")
    stream = io.BytesIO(data)
    obj = unpickle(stream, verified=True)
    if stream.tell() != n:
        raise CheckpointError(f"corrupted checkpoint: the pickle ends at byte {stream.tell()} of "
                              f"{n}")
    return obj


def _load_pickle(reader: _Reader, first: bytes, unpickle: _Unpickling):
    """A plain pickle stream (``pickle.dump``): one pickle, read from the file's position."""
    obj = unpickle(_Prefixed(first, reader.f), verified=False)
    if type(obj) is int and obj == _TORCH_LEGACY_MAGIC:
        raise CheckpointError("not an Ember file: it is a legacy PyTorch checkpoint (torch.save "
                              f"with _use_new_zipfile_serialization=False). {_TORCH_HINT}")
    return obj


class _Prefixed:
    """A binary file object reading ``prefix`` (bytes already read from ``f``), then ``f``."""

    def __init__(self, prefix: bytes, f) -> None:
        self.prefix, self.f = prefix, f

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            out, self.prefix = self.prefix + self.f.read(), b""
            return out
        out, self.prefix = self.prefix[:n], self.prefix[n:]
        while len(out) < n:  # a raw stream may return fewer bytes than asked
            chunk = self.f.read(n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def readline(self) -> bytes:
        at = self.prefix.find(b"\n")
        if at >= 0:
            out, self.prefix = self.prefix[:at + 1], self.prefix[at + 1:]
            return out
        out, self.prefix = self.prefix, b""
        return out + self.f.readline()


# -- weights-only unpickling -------------------------------------------------------------------

_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True` (`ember.load` has the same default). Re-running `ember.load` with "
    "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code "
    "execution. Do it only if you got the file from a trusted source."
)
_DOCS_MESSAGE = ("\n\nCheck the documentation of ember.load (help(ember.load)) to learn more "
                 "about types accepted by default with weights_only.")
#: modules whose globals are refused even when allowed (PyTorch's list)
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_user_globals: set = set()


class _Refused(Exception):
    """A global the weights-only unpickler does not allow (turned into PyTorch's error)."""


def _default_globals() -> dict[str, object]:
    """The globals a weights-only load resolves by default, by ``module.name``."""
    allowed = {
        "ember.tensor._rebuild_tensor": _rebuild_tensor, "ember.tensor.Tensor": Tensor,
        "ember.nn.parameter.Parameter": Parameter, "ember.nn.parameter.Buffer": Buffer,
        "ember.tensor.Size": Size, "ember.backend.device": _device,
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "builtins.set": set, "builtins.frozenset": frozenset, "builtins.bytearray": bytearray,
        "builtins.complex": complex, "_codecs.encode": codecs.encode,
    }
    allowed.update({f"ember._dtype.{name}": d for name, d in vars(_dtype).items()
                    if isinstance(d, _dtype.dtype)})
    return allowed


def _allowed_by_user() -> dict[str, object]:
    allowed = {}
    for entry in _user_globals:
        if isinstance(entry, tuple):
            allowed[entry[1]] = entry[0]
        else:
            allowed[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return allowed


def _refuse_protocol_0(self) -> None:
    raise _Refused("Unsupported operand INST or OBJ (protocol 0 and 1 objects)")


def _checked(opcode: bytes, check):
    """The pure-Python unpickler's handler of ``opcode``, run after ``check(unpickler)``."""
    run = pickle._Unpickler.dispatch[opcode[0]]

    def handler(self):
        check(self)
        run(self)

    return handler


class _WeightsUnpickler(pickle._Unpickler):
    """An unpickler that resolves only allowed globals, imports nothing else, and calls,
    instantiates and updates only what is allowed (as PyTorch's weights-only unpickler): a
    hostile file can neither run code nor patch an allowed class or function (``BUILD`` on a
    class would ``setattr`` on it). Python's own opcode handlers do the rest."""

    def __init__(self, file) -> None:
        super().__init__(file)
        self.allowed = {**_default_globals(), **_allowed_by_user()}
        self.allowed_ids = {id(v) for v in self.allowed.values()}
        self.allowed_types = {v for v in self.allowed.values() if isinstance(v, type)}

    def find_class(self, module: str, name: str):
        if (module, name) in _compat_pickle.NAME_MAPPING:  # Python 2 names, as pickle maps them
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise _Refused(f"Trying to load unsupported GLOBAL {full} whose module {module} is "
                           "blocked.")
        if full in self.allowed:
            return self.allowed[full]
        if full.startswith("builtins."):
            full = full[len("builtins."):]
        raise _Refused(
            f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{full}])` or the "
            f"`ember.serialization.safe_globals([{full}])` context manager to allowlist this "
            "global if you trust this class/function.")

    def _reduce(self) -> None:
        func = self.stack[-2]
        if id(func) not in self.allowed_ids:
            raise _Refused(f"Trying to call reduce for unrecognized function {func!r}"[:300])

    def _newobj(self, at: int) -> None:
        cls = self.stack[at]
        if (id(cls) not in self.allowed_ids or not isinstance(cls, type)
                or issubclass(cls, Tensor)):  # tensors are only rebuilt, whole
            raise _Refused("Can only create new object for classes allowlisted via "
                           f"`add_safe_globals` but got {cls!r}"[:300])

    def _build(self) -> None:
        inst = self.stack[-2]
        if type(inst) not in self.allowed_types or (
                isinstance(inst, Tensor) and getattr(type(inst), "__setstate__", None) is None):
            raise _Refused("Can only build types allowlisted via `add_safe_globals` (and tensors "
                           f"that define __setstate__), but got {type(inst)}")

    def _target(self, opcode: str, at: int) -> None:
        target = self.stack[at] if at else self.metastack[-1][-1]
        if type(target) not in (list, dict) and type(target) not in self.allowed_types:
            raise _Refused(f"Can only {opcode} for list, dict or types allowlisted via "
                           f"`add_safe_globals`, but got {type(target)}")

    dispatch: ClassVar[dict] = dict(pickle._Unpickler.dispatch)
    dispatch[pickle.REDUCE[0]] = _checked(pickle.REDUCE, _reduce)
    dispatch[pickle.NEWOBJ[0]] = _checked(pickle.NEWOBJ, lambda self: self._newobj(-2))
    dispatch[pickle.NEWOBJ_EX[0]] = _checked(pickle.NEWOBJ_EX, lambda self: self._newobj(-3))
    dispatch[pickle.BUILD[0]] = _checked(pickle.BUILD, _build)
    dispatch[pickle.APPEND[0]] = _checked(pickle.APPEND, lambda self: self._target("APPEND", -2))
    dispatch[pickle.APPENDS[0]] = _checked(pickle.APPENDS, lambda self: self._target("APPENDS", 0))
    dispatch[pickle.SETITEM[0]] = _checked(pickle.SETITEM,
                                           lambda self: self._target("SETITEM", -3))
    dispatch[pickle.SETITEMS[0]] = _checked(pickle.SETITEMS,
                                            lambda self: self._target("SETITEMS", 0))
    dispatch[pickle.OBJ[0]] = dispatch[pickle.INST[0]] = _refuse_protocol_0


def _refusal(message: str) -> str:
    """PyTorch's text around the weights-only unpickler's ``message``."""
    if message.startswith("Unsupported global"):
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load "
                "with `weights_only=True` please check the recommended steps in the following "
                f"error message.\n\tWeightsUnpickler error: {message}{_DOCS_MESSAGE}")
    text = f"Weights only load failed. {_UNSAFE_MESSAGE}\n"
    if not message.endswith("is blocked."):
        text += ("Please file an issue with the following so that we can make "
                 "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return f"{text}\n\n{message}{_DOCS_MESSAGE}"


#: what a corrupted or truncated pickle raises in the unpickler itself
_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError,
                  OverflowError, struct.error)


class _Unpickling:
    """How ``load`` unpickles: restricted to weights, or freely with the user's module."""

    def __init__(self, weights_only: bool, pickle_module, kwargs: dict) -> None:
        self.weights_only, self.pickle_module, self.kwargs = weights_only, pickle_module, kwargs

    def __call__(self, stream, verified: bool):
        """Unpickles ``stream``; ``verified``: its length and CRC were checked, so an error is
        the objects' (with ``weights_only=False``, the user's code: it propagates)."""
        what = ("corrupted checkpoint: the pickle cannot be rebuilt" if verified else
                "corrupted or truncated pickle data")
        if not self.weights_only:
            try:
                return self.pickle_module.Unpickler(stream, **self.kwargs).load()
            except _PICKLE_ERRORS as e:
                if verified:
                    raise
                raise CheckpointError(f"{what} ({type(e).__name__}: {e})"[:300]) from None
        try:
            return _WeightsUnpickler(stream).load()
        except _Refused as e:
            raise pickle.UnpicklingError(_refusal(str(e))) from None
        except CheckpointError:
            raise
        except Exception as e:  # only allowed callables ran: the data are what is wrong
            raise CheckpointError(f"{what} ({type(e).__name__}: {e})"[:300]) from None


def add_safe_globals(safe_globals: list) -> None:
    """Allows globals in weights-only loads (``ember.load(f)``), for every later load.

    Args:
        safe_globals: classes and functions, matched by ``__module__`` and ``__qualname__``,
            or ``(obj, "module.name")`` pairs naming the global as the pickle names it.

    Example:
        >>> from fractions import Fraction
        >>> ember.save({"ratio": Fraction(1, 3)}, "ratio.pt")  # pickled: Fraction is a class
        >>> ember.serialization.add_safe_globals([Fraction])
        >>> ember.load("ratio.pt")
        {'ratio': Fraction(1, 3)}
        >>> ember.serialization.clear_safe_globals()
    """
    for entry in safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(entry)}")
            if type(entry[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(entry[1])}")
    _user_globals.update(safe_globals)


def get_safe_globals() -> list:
    """The globals :func:`add_safe_globals` allowed (and open :class:`safe_globals` blocks).

    Returns:
        A list of the classes, functions and ``(obj, name)`` pairs.

    Example:
        >>> from fractions import Fraction
        >>> with ember.serialization.safe_globals([Fraction]):
        ...     ember.serialization.get_safe_globals()
        [<class 'fractions.Fraction'>]
    """
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forgets every global :func:`add_safe_globals` allowed.

    Example:
        >>> from fractions import Fraction
        >>> ember.serialization.add_safe_globals([Fraction])
        >>> ember.serialization.clear_safe_globals()
        >>> ember.serialization.get_safe_globals()
        []
    """
    _user_globals.clear()


class safe_globals:
    """A context manager allowing globals in weights-only loads inside its block.

    Args:
        safe_globals: as for :func:`add_safe_globals`.

    Example:
        >>> from fractions import Fraction
        >>> ember.save([Fraction(2, 3)], "ratio.pt")
        >>> with ember.serialization.safe_globals([Fraction]):
        ...     ember.load("ratio.pt")
        [Fraction(2, 3)]
    """

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc) -> None:
        _user_globals.difference_update(self.safe_globals)


def _decode_file(reader: _Reader, whole_file: bool, first: bytes):
    raw, header, meta, entries = _read_file(reader, whole_file, first)
    n = int.from_bytes(raw[:8], "little")
    is_ember = any(k.startswith("ember.") for k in meta)
    missing = [k for k in ("ember.format_version", "ember.structure", _CRC_KEY) if k not in meta]
    if is_ember and missing:
        raise CheckpointError(f"corrupted checkpoint: Ember metadata without {missing[0]!r}")
    expected_crc = meta.get(_CRC_KEY)
    if expected_crc is not None:
        crc = zlib.crc32(memoryview(raw)[8 + n:], zlib.crc32(_canonical(header)))
        if f"{crc:08x}" != expected_crc:
            raise CheckpointError(f"corrupted checkpoint: CRC-32 mismatch (stored "
                                  f"{expected_crc}, computed {crc:08x}); the header or tensor "
                                  "data were altered")
    arrays = _arrays(raw, n, entries)
    del raw
    if "ember.structure" not in meta:
        dec = _Decoder(arrays)
        return {name: dec._tensor({"T": "tensor", "name": name}) for name in header
                if name != "__metadata__"}
    version = meta.get("ember.format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"unsupported Ember checkpoint format version {version!r} "
                              f"(this Ember reads version {FORMAT_VERSION})")
    structure = _parse_json(meta["ember.structure"], "structure metadata")
    try:
        return _Decoder(arrays).decode(structure)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError, OverflowError, RuntimeError) as e:
        raise CheckpointError(f"corrupted checkpoint: the structure metadata cannot be rebuilt "
                              f"({type(e).__name__}: {e})"[:300]) from None

"""ember.load on hostile files (a table: each gets a CheckpointError naming the file and the
problem, never a traceback or a hang) and ember.save's file handling (permission bits, empty
and impossible paths, temporaries left by killed saves, errors naming the user's path)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib

import numpy as np
import pytest

import ember
from ember.serialization import CheckpointError


def st_bytes(header: dict, data: bytes = b"") -> bytes:
    """A safetensors file with this header (signed with Ember's CRC if it has a structure)."""
    meta = header.get("__metadata__")
    if isinstance(meta, dict) and "ember.structure" in meta:
        canonical = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        meta["ember.crc32"] = f"{zlib.crc32(data, zlib.crc32(canonical)):08x}"
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def tensor_entry(dtype="F32", shape=(1,), offsets=(0, 4)):
    return {"a": {"dtype": dtype, "shape": shape, "data_offsets": offsets}}


def structure(node) -> bytes:
    return st_bytes({"__metadata__": {"ember.format_version": "1",
                                      "ember.structure": json.dumps(node)}})


def valid_checkpoint() -> bytes:
    buf = io.BytesIO()
    ember.save({"w": ember.arange(64, dtype=ember.float32), "step": 3}, buf)
    return buf.getvalue()


def torch_pt(legacy: bool) -> bytes:
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

HOSTILE = [
    # foreign files: said to be foreign, not read as a header length of 7526676540175443304
    ("text", lambda: b"hello world\n" * 100, r"not an Ember/safetensors file: a safetensors "
     r"file starts with an 8-byte header length"),
    ("png", lambda: PNG, r"not an Ember/safetensors file: it is a PNG image"),
    ("empty", lambda: b"", r"not an Ember/safetensors file: the file is empty"),
    ("three_bytes", lambda: b"abc", r"only 3 bytes"),
    ("torch_zip", lambda: torch_pt(False),
     r"PyTorch checkpoint.*does not read PyTorch's own.*safetensors\.torch\.save_file"),
    ("torch_legacy_pickle", lambda: torch_pt(True),
     r"legacy PyTorch checkpoint.*does not read PyTorch's own.*safetensors\.torch\.save_file"),
    ("npy", lambda: b"\x93NUMPY\x01\x00v\x00{'descr': '<f4'}", r"NumPy \.npy"),
    # truncation and header sizes
    ("truncated_data", lambda: valid_checkpoint()[:-5], r"truncated checkpoint"),
    ("truncated_header", lambda: valid_checkpoint()[:40], r"header length is \d+ bytes but "
     r"only 32 bytes follow"),
    ("header_above_cap", lambda: struct.pack("<Q", 100_000_001) + b"{" + b" " * 64,
     r"header length 100000001 exceeds the safetensors limit of 100000000 bytes"),
    ("header_too_small", lambda: struct.pack("<Q", 1) + b"{", r"too small"),
    # wrong JSON types in the header
    ("shape_not_list", lambda: st_bytes(tensor_entry(shape="4"), b"\0" * 4), r"invalid shape"),
    ("shape_float", lambda: st_bytes(tensor_entry(shape=[1.0]), b"\0" * 4), r"invalid shape"),
    ("shape_bool", lambda: st_bytes(tensor_entry(shape=[True]), b"\0" * 4), r"invalid shape"),
    ("offsets_strings", lambda: st_bytes(tensor_entry(offsets=["0", "4"]), b"\0" * 4),
     r"invalid data_offsets"),
    ("offsets_three", lambda: st_bytes(tensor_entry(offsets=[0, 2, 4]), b"\0" * 4),
     r"invalid data_offsets"),
    ("dtype_unknown", lambda: st_bytes(tensor_entry(dtype="F12"), b"\0" * 4), r"unknown dtype"),
    ("dtype_list", lambda: st_bytes(tensor_entry(dtype=["F32"]), b"\0" * 4), r"unknown dtype"),
    ("dtype_fp8", lambda: st_bytes(tensor_entry(dtype="F8_E4M3", offsets=[0, 1]), b"\0"),
     r"Ember has no such dtype"),
    ("entry_not_object", lambda: st_bytes({"a": [1, 2]}), r"needs exactly dtype"),
    ("metadata_int", lambda: st_bytes({"__metadata__": {"k": 1}}), r"__metadata__ must map"),
    ("metadata_null_value", lambda: st_bytes({"__metadata__": {"k": None}}),
     r"__metadata__ must map"),
    ("metadata_list", lambda: st_bytes({"__metadata__": ["k"]}), r"__metadata__ must map"),
    ("header_list", lambda: struct.pack("<Q", 8) + b"{}]     ", r"not valid JSON"),
    ("header_not_utf8", lambda: struct.pack("<Q", 8) + b'{"\xff":1}  ', r"not UTF-8"),
    # absurd shapes
    ("shape_huge", lambda: st_bytes(tensor_entry(shape=[2 ** 70], offsets=[0, 0])),
     r"absurd shape"),
    ("shape_product_overflows", lambda: st_bytes(tensor_entry(shape=[2 ** 40, 2 ** 40, 0],
                                                              offsets=[0, 0])), r"absurd shape"),
    ("shape_product_overflows_int64",
     lambda: st_bytes(tensor_entry(shape=[2 ** 32, 2 ** 32], offsets=[0, 0])), r"absurd shape"),
    ("shape_negative", lambda: st_bytes(tensor_entry(shape=[-1]), b"\0" * 4), r"invalid shape"),
    ("shape_mismatch", lambda: st_bytes(tensor_entry(shape=[2]), b"\0" * 4), r"needs 8 bytes"),
    # overlapping, gapped and out-of-range offsets
    ("offsets_overlap", lambda: st_bytes(
        {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
         "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     r"without gaps or overlaps"),
    ("offsets_gap", lambda: st_bytes(tensor_entry(offsets=[4, 8]), b"\0" * 8),
     r"without gaps or overlaps"),
    ("offsets_beyond_file", lambda: st_bytes(tensor_entry(shape=[4], offsets=[0, 16]), b"\0" * 4),
     r"truncated checkpoint: the tensor data needs 16 bytes"),
    ("offsets_huge", lambda: st_bytes(tensor_entry(shape=[2 ** 40], offsets=[0, 2 ** 42])),
     r"truncated"),
    ("trailing_bytes", lambda: valid_checkpoint() + b"\0" * 3, r"3 unexpected bytes"),
    # Ember's structure metadata
    ("device_unknown", lambda: structure({"T": "device", "v": "banana"}),
     r"unknown device 'banana'"),
    ("device_negative_index", lambda: structure({"T": "device", "v": "cpu:-1"}),
     r"unknown device"),
    ("device_not_string", lambda: structure({"T": "device", "v": 3}), r"unknown structure node"),
    ("dtype_node_list", lambda: structure({"T": "dtype", "v": ["float32"]}),
     r"unknown structure node"),
    ("generator_seed_huge", lambda: structure({"T": "generator", "seed": 2 ** 200, "offset": 0}),
     r"unknown structure node"),
    ("generator_offset_negative", lambda: structure({"T": "generator", "seed": 1, "offset": -4}),
     r"unknown structure node"),
    ("size_of_strings", lambda: structure({"T": "size", "items": ["a", 1.5]}),
     r"not a dimension"),
    ("unhashable_key", lambda: structure({"T": "dict", "items": [[{"T": "list", "items": []},
                                                                  1]]}), r"unhashable"),
    ("structure_not_json", lambda: st_bytes({"__metadata__": {"ember.format_version": "1",
                                                              "ember.structure": "{"}}),
     r"structure metadata is not valid JSON"),
    ("crc_mismatch", lambda: valid_checkpoint()[:-1] + b"\x01", r"CRC-32 mismatch"),
]


@pytest.mark.parametrize("make, message", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_file_gets_a_clear_checkpoint_error(tmp_path, make, message):
    path = tmp_path / "hostile file.bin"
    path.write_bytes(make())
    with pytest.raises(CheckpointError, match=message) as info:
        ember.load(path)
    text = str(info.value)
    assert text.startswith(f"cannot load '{path}': ")  # the user's path, as given
    assert "7526676540175443304" not in text and len(text) < 700
    assert info.value.__cause__ is None and info.value.__suppress_context__
    if "unexpected bytes" not in message:  # (a file object may hold more after a checkpoint)
        with pytest.raises(CheckpointError, match=message), open(path, "rb") as f:
            ember.load(f)


class CountingReader(io.RawIOBase):
    """An unseekable stream that records how many bytes were asked for."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.asked = data, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        self.asked += len(b)
        chunk = self.data[self.pos:self.pos + len(b)]
        b[:len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_oversized_header_is_refused_before_reading_it():
    stream = CountingReader(struct.pack("<Q", 100_000_008) + b"{" + b" " * 200)
    with pytest.raises(CheckpointError, match="exceeds the safetensors limit"):
        ember.load(stream)
    assert stream.asked <= 9  # the length and the first byte of the header, nothing more


def test_unseekable_stream_with_huge_offsets_fails_at_its_end():
    stream = CountingReader(st_bytes(tensor_entry(shape=[2 ** 40], offsets=[0, 2 ** 42]),
                                     b"\0" * 100))
    with pytest.raises(CheckpointError, match="truncated"):
        ember.load(stream)
    assert stream.asked < 1 << 26  # read in bounded chunks, nothing allocated for 4 TiB


def load_in_thread(path, timeout=10.0):
    """ember.load(path) in a thread: (finished in time, the exception it raised)."""
    out = {}

    def run():
        try:
            ember.load(path)
        except BaseException as e:
            out["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), out.get("error")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    start = time.monotonic()
    finished, error = load_in_thread(fifo)
    if not finished:  # release the blocked open() so that the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert finished, "ember.load blocked on a FIFO"
    assert time.monotonic() - start < 5
    assert isinstance(error, CheckpointError)
    assert re.search(rf"cannot load '{re.escape(str(fifo))}': it is a FIFO \(named pipe\), not "
                     "a regular file", str(error))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_and_directories_are_refused(tmp_path):
    finished, error = load_in_thread("/dev/zero")  # would stream zeros forever
    assert finished and isinstance(error, CheckpointError)
    assert "'/dev/zero': it is a character device" in str(error)
    torch = pytest.importorskip("torch")
    with pytest.raises(IsADirectoryError) as ours:  # the type torch.load raises
        ember.load(tmp_path)
    with pytest.raises(IsADirectoryError):
        torch.load(tmp_path)
    assert str(tmp_path) in str(ours.value)
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope"))):
        ember.load(tmp_path / "nope")


# -- saving ------------------------------------------------------------------------------------

@pytest.fixture
def umask():
    def set_umask(mask):
        old.append(os.umask(mask))

    old = []
    yield set_umask
    if old:
        os.umask(old[0])


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_the_permission_bits_of_the_file_it_replaces(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "c.safetensors"
    ember.save({"v": 1}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # a new file: 0o666 less the umask
    for mode in (0o640, 0o600, 0o604):
        os.chmod(path, mode)
        ember.save({"v": mode}, path)
        assert stat.S_IMODE(os.stat(path).st_mode) == mode
        assert ember.load(path) == {"v": mode}
    umask(0o077)
    ember.save({"v": 0}, tmp_path / "new")
    assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o600


def test_save_to_impossible_paths_raises_torchs_error_naming_the_path(tmp_path):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        torch.save({}, "")
    with pytest.raises(RuntimeError, match="invalid file name") as ours:
        ember.save({}, "")
    assert type(ours.value) is type(theirs.value)
    for bad in (tmp_path, tmp_path / "missing" / "c.safetensors"):
        with pytest.raises(Exception) as theirs:
            torch.save({}, bad)
        with pytest.raises(RuntimeError) as ours:
            ember.save({}, bad)
        assert type(ours.value) is type(theirs.value)
        assert f"'{bad}'" in str(ours.value) and ".tmp" not in str(ours.value)
    assert sorted(os.listdir(tmp_path)) == []


def test_long_file_names_save(tmp_path):
    path = tmp_path / ("x" * 250)  # the temporary name must still fit in 255 bytes
    ember.save({"v": ember.ones(2)}, path)
    assert ember.load(path)["v"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == [path.name]


DIE_BEFORE_RENAME = textwrap.dedent("""
    import os, signal, sys
    import ember
    for _ in range(int(sys.argv[2])):
        pid = os.fork()
        if pid == 0:  # a save killed just before its rename
            os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)
            ember.save({"w": ember.ones(1000)}, sys.argv[1])
        os.waitpid(pid, 0)
""")


def killed_saves(path, n: int) -> list[str]:
    """Runs ``n`` saves, one after the other, each killed before its rename; returns the
    temporaries left."""
    before = set(os.listdir(path.parent))
    subprocess.run([sys.executable, "-c", DIE_BEFORE_RENAME, str(path), str(n)], check=True)
    return sorted(set(os.listdir(path.parent)) - before)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_temporaries_of_killed_saves_are_cleaned_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ember.save({"step": 1}, path)
    strays = killed_saves(path, 2)
    assert len(strays) == 1  # the second killed save removed the first one's temporary
    stray = strays[0]
    # in the same directory, named after the file, recognizably a save's temporary
    found = re.fullmatch(r"\.ckpt\.safetensors\.ember-save-([0-9a-f]{8})-(\d+)-[0-9a-f]{8}"
                         r"\.tmp", stray)
    assert found and os.listdir(tmp_path / stray) == ["data"]
    assert ember.load(path) == {"step": 1}  # the old checkpoint is intact
    host, pid = found[1], int(found[2])
    # a save in progress (a live process of this host, or a fresh one of another host) and
    # other files are left alone
    alive = stray.replace(f"-{pid}-", f"-{os.getpid()}-")
    foreign = stray.replace(host, f"{(int(host, 16) + 1) % 2 ** 32:08x}")
    shutil.copytree(tmp_path / stray, tmp_path / alive)
    os.rename(tmp_path / stray, tmp_path / foreign)
    others = [".ckpt.safetensors.tmp", ".other.ember-save-00000000-1-00000000.tmp", "notes.txt"]
    for name in others:
        (tmp_path / name).write_text("keep")
    ember.save({"step": 2}, path)
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, alive, foreign, *others])
    # a dead process of this host: removed at once
    os.rename(tmp_path / alive, tmp_path / stray)
    ember.save({"step": 3}, path)
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, foreign, *others])
    # another host's: removed once nothing in it was written for over an hour
    old = time.time() - 2 * 3600
    for p in [tmp_path / foreign, *(tmp_path / foreign).iterdir()]:
        os.utime(p, (old, old))
    ember.save({"step": 4}, path)
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, *others])
    assert ember.load(path) == {"step": 4}


FILE_TOO_LARGE = textwrap.dedent("""
    import resource, signal, sys
    import ember
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
    try:
        obj = {"w": ember.ones(100_000)}
        if sys.argv[2] == "pickled":  # a set: saved in the pickle-based format
            obj["s"] = {1}
        ember.save(obj, sys.argv[1])
    except RuntimeError as e:
        print(type(e).__name__, e, "| cause:", e.__cause__, e.__suppress_context__)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
@pytest.mark.parametrize("kind", ["safetensors", "pickled"])
def test_write_failure_names_the_users_path_and_keeps_the_old_file(tmp_path, kind):
    path = tmp_path / "ckpt.safetensors"
    ember.save({"step": 1}, path)
    out = subprocess.run([sys.executable, "-c", FILE_TOO_LARGE, str(path), kind],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"RuntimeError ember.save: cannot write '{path}': [Errno 27]"), out
    assert "ember-save" not in out and out.endswith("| cause: None True\n"), out
    assert os.listdir(tmp_path) == [path.name]  # no temporary left behind
    assert ember.load(path) == {"step": 1}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_save_to_a_fifo_writes_through_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["raw"] = f.read()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    ember.save({"w": ember.arange(5)}, fifo)
    thread.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # not replaced by a regular file
    assert ember.load(io.BytesIO(got["raw"]))["w"].tolist() == [0, 1, 2, 3, 4]
    assert np.array_equal(ember.load(io.BytesIO(got["raw"]))["w"].numpy(), np.arange(5))

"""ember.save / ember.load: round trips, the safetensors layout (parsed here independently),
atomic writes under SIGKILL, and clear errors for foreign, truncated and corrupted files."""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from collections import OrderedDict

import ml_dtypes
import numpy as np
import pytest
import safetensors

import ember
from ember.serialization import CheckpointError

NUMPY_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
                ml_dtypes.bfloat16, np.float32, np.float64]
CODES = {np.bool_: "BOOL", np.uint8: "U8", np.int8: "I8", np.int16: "I16", np.int32: "I32",
         np.int64: "I64", np.float16: "F16", ml_dtypes.bfloat16: "BF16", np.float32: "F32",
         np.float64: "F64"}


def random_array(dtype, shape, rng):
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    a = np.asarray(rng.standard_normal(shape) * 100).astype(dtype)
    if a.size >= 3:  # special values must survive bit for bit
        a.flat[0], a.flat[1], a.flat[2] = np.nan, -np.inf, -0.0
    return a


def roundtrip(obj):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf), buf.getvalue()


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def parse(raw: bytes):
    """A minimal independent safetensors reader: header dict and {name: array}."""
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    types = {v: k for k, v in CODES.items()}
    arrays = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        dt = np.dtype(types[e["dtype"]]).newbyteorder("<")
        arrays[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(e["shape"])
    return header, arrays, n


# -- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", NUMPY_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (5,), (3, 4, 2)], ids=str)
def test_tensor_roundtrip_all_dtypes_and_shapes(dtype, shape):
    arr = random_array(dtype, shape, np.random.default_rng(0))
    out, _ = roundtrip({"t": ember.from_numpy(arr.copy())})
    assert isinstance(out["t"], ember.Tensor)
    assert same_bits(out["t"].numpy(), arr)
    assert out["t"].dtype == ember.from_numpy(arr).dtype


def test_non_contiguous_and_expanded_tensors():
    base = ember.from_numpy(np.arange(24, dtype=np.float32).reshape(4, 6))
    views = {"t": base.t(), "step": base[::2, 1::3], "exp": ember.ones(3, 1).expand(3, 4)}
    out, _ = roundtrip(views)
    for k, v in views.items():
        assert same_bits(out[k].numpy(), np.ascontiguousarray(v.numpy()))
        assert out[k].is_contiguous()


def test_file_layout_is_safetensors():
    rng = np.random.default_rng(1)
    sd = OrderedDict((f"layer{i}.{n}", random_array(dt, s, rng)) for i, (n, dt, s) in enumerate(
        [("weight", np.float32, (3, 4)), ("mask", np.bool_, (5,)), ("idx", np.int64, (2, 2)),
         ("half", np.float16, (7,)), ("scalar", np.float64, ())]))
    _, raw = roundtrip({k: ember.from_numpy(v) for k, v in sd.items()})
    header, arrays, n = parse(raw)
    assert (8 + n) % 8 == 0 and raw[8:9] == b"{"
    assert set(arrays) == set(sd)  # a flat state dict keeps its keys as tensor names
    for k, v in sd.items():
        assert header[k]["dtype"] == CODES[v.dtype.type] and header[k]["shape"] == list(v.shape)
        assert same_bits(arrays[k].astype(v.dtype), v)
    # the data section is tiled exactly, and the file ends with it
    spans = sorted(e["data_offsets"] for k, e in header.items() if k != "__metadata__")
    assert spans[0][0] == 0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert 8 + n + spans[-1][1] == len(raw)
    assert all(isinstance(v, str) for v in header["__metadata__"].values())


def test_plain_safetensors_file_loads_as_dict(tmp_path):
    """A safetensors file written without Ember (by hand, here) loads as {name: tensor}."""
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([True, False])
    header = {"b": {"dtype": "BOOL", "shape": [2], "data_offsets": [24, 26]},
              "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    text = json.dumps(header).encode()
    path = tmp_path / "plain.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + a.tobytes() + b.tobytes())
    out = ember.load(path)
    assert list(out) == ["b", "a"]
    assert same_bits(out["a"].numpy(), a) and same_bits(out["b"].numpy(), b)


def test_the_safetensors_library_writes_and_reads_the_container(tmp_path, monkeypatch):
    calls = []

    def spy(name):
        real = getattr(safetensors, name)

        def call(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)
        return call

    for name in ("serialize", "serialize_file", "deserialize"):
        monkeypatch.setattr(safetensors, name, spy(name))
    w = ember.randn(3, 4)
    ember.save({"w": w}, tmp_path / "c")
    assert same_bits(ember.load(tmp_path / "c")["w"].numpy(), w.numpy())
    _out, raw = roundtrip({"w": w})
    assert calls == ["serialize_file", "deserialize", "serialize", "deserialize"]
    # and the library's own NumPy reader reads Ember's files
    from safetensors.numpy import load as np_load

    assert same_bits(np_load(raw)["w"], w.numpy())


def bf16_values(torch):
    """bfloat16 test values from torch: normal, huge, subnormal, signed zeros, inf and nan."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, generator=g) * torch.logspace(-30, 30, 40)
    special = torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, 1e-40, -9.2e-41, 3.38e38])
    return torch.cat([x, special]).to(torch.bfloat16)


def test_torch_bfloat16_checkpoint_loads_as_bfloat16():
    torch = pytest.importorskip("torch")
    from safetensors.torch import save as torch_save

    w = bf16_values(torch)
    tensors = {"w": w.reshape(6, 8), "scalar": w[3].clone(), "empty": w[:0].reshape(0, 2)}
    out = ember.load(io.BytesIO(torch_save(tensors)))
    assert set(out) == set(tensors)
    for k, t in tensors.items():
        assert out[k].dtype == ember.bfloat16 and out[k].dtype.is_floating_point
        assert tuple(out[k].shape) == tuple(t.shape)
        ours, theirs = out[k].float().numpy(), t.float().numpy()
        assert ours.dtype == np.float32 and np.array_equal(ours.view(np.uint32),
                                                           theirs.view(np.uint32))


def test_bfloat16_saves_as_bf16_that_torch_reads():
    torch = pytest.importorskip("torch")
    from safetensors.torch import load as torch_load

    bits = bf16_values(torch).view(torch.int16).numpy()
    w = ember.from_numpy(bits.view(ml_dtypes.bfloat16).reshape(8, 6))
    made = ember.tensor([1.0, -2.5, 1e-3]).to(ember.bfloat16)
    out, raw = roundtrip({"w": w, "made": made, "dtype": ember.bfloat16})
    header, _, _ = parse(raw)
    assert header["w"]["dtype"] == header["made"]["dtype"] == "BF16"
    assert out["dtype"] is ember.bfloat16 and out["w"].dtype == ember.bfloat16
    theirs = torch_load(raw)
    assert theirs["w"].dtype == torch.bfloat16 and tuple(theirs["w"].shape) == (8, 6)
    assert np.array_equal(theirs["w"].view(torch.int16).numpy().reshape(-1), bits)
    assert theirs["made"].float().tolist() == torch.tensor([1.0, -2.5, 1e-3]).to(
        torch.bfloat16).float().tolist()


def test_nested_structures_and_plain_values():
    obj = {
        "none": None, "true": True, "false": False, "int": -7, "big": 2 ** 100, "str": "é\u2603",
        "floats": [0.1, -0.0, 1e-310, 1.7976931348623157e308, math.inf, -math.inf],
        "tuple": (1, (2.5, "x"), []), "empty": {}, "bytes": b"\x00\xff",
        "odict": OrderedDict([("z", 1), ("a", 2)]),
        "dtype": ember.float16, "device": ember.device("cpu"), "size": ember.Size([2, 3]),
        "bf16": ember.bfloat16, "cuda_device": ember.device("cuda:1"),
        "np": np.arange(4, dtype=np.int16), "np_scalar": np.float32(1.5),
        "deep": [[[[{"x": [ember.tensor([1, 2])]}]]]],
    }
    out, _ = roundtrip(obj)
    assert out.keys() == obj.keys()
    for k in ("none", "true", "false", "int", "big", "str", "tuple", "empty", "bytes", "dtype",
              "device", "size", "bf16", "cuda_device"):
        assert out[k] == obj[k] and type(out[k]) is type(obj[k]), k
    assert [math.copysign(1, x) for x in out["floats"]] == [math.copysign(1, x)
                                                            for x in obj["floats"]]
    assert out["floats"] == obj["floats"] and math.isnan(roundtrip(math.nan)[0])
    assert isinstance(out["odict"], OrderedDict) and list(out["odict"]) == ["z", "a"]
    assert type(out["tuple"][1]) is tuple and out["tuple"] == (1, (2.5, "x"), [])
    assert isinstance(out["np"], np.ndarray) and same_bits(out["np"], obj["np"])
    assert type(out["np_scalar"]) is np.float32 and out["np_scalar"] == 1.5
    assert out["deep"][0][0][0][0]["x"][0].tolist() == [1, 2]


def test_optimizer_like_state_dict_keeps_int_keys():
    sd = {
        "state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.randn(3, 2)},
                  1: {"step": ember.tensor(3.0), "momentum_buffer": None}},
        "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1],
                          "amsgrad": False, "foreach": None}],
    }
    out, _ = roundtrip(sd)
    assert list(out["state"]) == [0, 1] and all(type(k) is int for k in out["state"])
    assert out["param_groups"] == sd["param_groups"]
    assert same_bits(out["state"][0]["exp_avg"].numpy(), sd["state"][0]["exp_avg"].numpy())
    # key types are kept apart: 1, "1", 1.5, None, tuples
    keys = {1: "int", "1": "str", 1.5: "float", None: "none", (1, "a"): "tuple", -2: "neg"}
    out, _ = roundtrip(keys)
    assert out == keys and [type(k) for k in out] == [type(k) for k in keys]


def test_scheduler_and_generator_state_resume_the_stream():
    g = ember.Generator().manual_seed(1234)
    ember.rand(5, generator=g)
    state = {"gen": g.get_state(), "gen_obj": g, "sched": {"last_epoch": 4, "_last_lr": [0.05]}}
    out, _ = roundtrip(state)
    expected = ember.rand(7, generator=g).numpy()
    g1 = ember.Generator().set_state(out["gen"])
    assert np.array_equal(ember.rand(7, generator=g1).numpy(), expected)
    assert np.array_equal(ember.rand(7, generator=out["gen_obj"]).numpy(), expected)
    assert out["sched"] == state["sched"]


def test_parameters_requires_grad_and_shared_tensors():
    p = ember.nn.Parameter(ember.randn(2, 2))
    t = ember.randn(3).requires_grad_()
    out, raw = roundtrip({"w": p, "tied": p, "t": t, "plain": t.detach()})
    assert isinstance(out["w"], ember.nn.Parameter) and out["w"].requires_grad
    assert out["tied"] is out["w"]  # stored once, loaded as one tensor
    assert out["t"].requires_grad and not isinstance(out["t"], ember.nn.Parameter)
    assert not out["plain"].requires_grad and out["plain"] is not out["t"]
    assert len(parse(raw)[1]) == 3


def test_module_state_dict_roundtrip_into_a_model(tmp_path):
    torch_like = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Linear(3, 2))
    path = tmp_path / "model.safetensors"
    ember.save(torch_like.state_dict(), path)
    fresh = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Linear(3, 2))
    fresh.load_state_dict(ember.load(path))
    for (k, a), (k2, b) in zip(torch_like.state_dict().items(), fresh.state_dict().items(),
                               strict=True):
        assert k == k2 and same_bits(a.numpy(), b.numpy())


def test_paths_and_file_objects(tmp_path):
    path = tmp_path / "a.ckpt"
    ember.save({"x": 1}, str(path))
    ember.save({"x": 2}, path)  # overwrite through a PathLike
    assert ember.load(str(path)) == {"x": 2}
    assert sorted(os.listdir(tmp_path)) == ["a.ckpt"]  # no temporary files left
    buf = io.BytesIO()
    ember.save({"first": ember.ones(2)}, buf)
    ember.save([3, "second"], buf)
    buf.seek(0)
    assert ember.load(buf)["first"].tolist() == [1.0, 1.0]
    assert ember.load(buf) == [3, "second"]  # each load reads exactly one checkpoint
    with open(tmp_path / "t.txt", "w") as text, pytest.raises(TypeError, match="binary"):
        ember.save({}, text)
    assert ember.load(path, map_location="cpu") == ember.load(path, map_location=None)
    assert ember.load(path, "cpu", weights_only=False, encoding="latin1") == {"x": 2}
    with pytest.raises(RuntimeError):
        ember.load(path, map_location="cuda")


def test_symlink_target_is_replaced_not_the_link(tmp_path):
    (tmp_path / "real").write_bytes(b"")
    os.symlink(tmp_path / "real", tmp_path / "link")
    ember.save({"v": 5}, tmp_path / "link")
    assert os.path.islink(tmp_path / "link") and ember.load(tmp_path / "real") == {"v": 5}


@pytest.mark.parametrize("obj", [
    {"a": [1, ember.nn.Identity()]},
    np.zeros(2, dtype=complex),
    {ember.float32: 1},
    {(1, frozenset({2})): 1},
], ids=["module", "complex_array", "dtype_key", "frozenset_key"])
def test_what_the_structure_cannot_express_is_pickled(obj):
    buf = io.BytesIO()
    ember.save(obj, buf)
    assert buf.getvalue()[:8] == b"EMBERPKL"
    buf.seek(0)
    back = ember.load(buf, weights_only=False)
    assert type(back) is type(obj) and pickle.dumps(back) == pickle.dumps(obj)


def test_cycles_are_pickled_and_unpicklable_objects_raise_picklings_errors(tmp_path):
    loop = []
    loop.append(loop)
    buf = io.BytesIO()
    ember.save(loop, buf)
    buf.seek(0)
    back = ember.load(buf)  # a list holding itself: no global, so weights_only=True reads it
    assert back[0] is back
    path = tmp_path / "c"
    with pytest.raises((pickle.PicklingError, AttributeError)):
        ember.save({"f": lambda x: x}, path)
    assert not path.exists() and os.listdir(tmp_path) == []  # failed before touching the disk


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to tell fds apart")
def test_save_protocol_fsync_then_replace_then_fsync_dir(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append(("fsync", os.path.isdir(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(a, b):  # the temporary file sits in a directory beside the target
        calls.append(("replace", os.path.dirname(os.path.dirname(a)) == os.path.dirname(b)))
        real_replace(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    ember.save({"x": ember.ones(3)}, tmp_path / "c")
    assert calls == [("fsync", False), ("replace", True), ("fsync", True)]


KILL_CHILD = textwrap.dedent("""
    import sys
    import ember
    path, n = sys.argv[1], int(sys.argv[2])
    i = 0
    while True:
        ember.save({"step": i, "w": ember.full((n,), float(i)),
                    "b": {"v": ember.full((n // 4,), i, dtype=ember.int64)}}, path)
        print(i, flush=True)
        i += 1
""")


def test_sigkill_mid_write_leaves_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    script = tmp_path / "child.py"
    script.write_text(KILL_CHILD)
    n = 2_000_000  # 8 MB of float32 + 4 MB of int64 per save
    interrupted = 0
    rng = np.random.default_rng(0)
    for _trial in range(2):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(n)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() != ""  # at least one save completed
            # Kill soon after the next save opens its temporary file (or at a random moment if
            # none shows up: a non-atomic save must fail the checks below, not this loop).
            deadline = time.monotonic() + 3
            while (not any(f.endswith(".tmp") for f in os.listdir(tmp_path))
                   and time.monotonic() < deadline):
                pass
            time.sleep(rng.uniform(0, 0.01))
        finally:
            proc.send_signal(signal.SIGKILL)
            rest, _ = proc.communicate()
        done = [int(x) for x in rest.split()]
        last = done[-1] if done else None
        interrupted += any(f.endswith(".tmp") for f in os.listdir(tmp_path))
        out = ember.load(path)
        k = out["step"]
        assert last is None or last <= k <= last + 1
        assert np.array_equal(out["w"].numpy(), np.full(n, float(k), dtype=np.float32))
        assert np.array_equal(out["b"]["v"].numpy(), np.full(n // 4, k, dtype=np.int64))
    assert interrupted >= 1  # the kill really landed inside a write


# -- no pickle, clear errors ----------------------------------------------------------------------

def test_load_never_unpickles(tmp_path, monkeypatch):
    path = tmp_path / "c"
    ember.save({"w": ember.randn(3), "s": {0: (1, "a")}}, path)

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used during ember.load")

    for name in ("load", "loads", "Unpickler", "_load", "_loads", "_Unpickler"):
        if hasattr(pickle, name):
            monkeypatch.setattr(pickle, name, forbidden)
    out = ember.load(path)
    assert out["s"] == {0: (1, "a")}


def test_malicious_pickle_does_not_run(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(pickle.UnpicklingError, match=r"whose module (posix|nt) is blocked"):
        ember.load(path)
    assert not marker.exists()


def test_torch_checkpoint_is_rejected_clearly(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match=r"zip archive.*PyTorch"):
        ember.load(path)
    with pytest.raises(ValueError):  # CheckpointError is both a ValueError and a RuntimeError
        ember.load(path)


def small_checkpoint() -> bytes:
    _, raw = roundtrip({"w": ember.from_numpy(np.arange(6, dtype=np.float32)), "k": {1: [2.5]},
                        "m": ember.tensor([True, False])})
    return raw


def test_every_truncation_is_an_error():
    raw = small_checkpoint()
    for cut in range(len(raw)):
        with pytest.raises(CheckpointError):
            ember.load(io.BytesIO(raw[:cut]))


def test_every_single_byte_corruption_is_an_error():
    raw = small_checkpoint()
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x01
        with pytest.raises(CheckpointError):
            ember.load(io.BytesIO(bytes(bad)))


def test_trailing_bytes_in_a_file_are_an_error(tmp_path):
    path = tmp_path / "c"
    path.write_bytes(small_checkpoint() + b"\x00")
    with pytest.raises(CheckpointError, match="unexpected bytes"):
        ember.load(path)


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_are_an_error(seed):
    raw = np.random.default_rng(seed).integers(0, 256, seed * 7, dtype=np.uint8).tobytes()
    with pytest.raises(CheckpointError):
        ember.load(io.BytesIO(raw))


def craft(header, data=b""):
    meta = header.get("__metadata__", {})
    if "ember.structure" in meta:  # sign it as ember.save does, so the content is what fails
        canonical = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        meta["ember.crc32"] = f"{zlib.crc32(data, zlib.crc32(canonical)):08x}"
    text = json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(text)) + text + data)


@pytest.mark.parametrize("header, data, message", [
    ({"a": {"dtype": "F8_E5M2", "shape": [1], "data_offsets": [0, 1]}}, b"\0", "no such dtype"),
    ({"a": {"dtype": "Q99", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0", "unknown dtype"),
    ({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8, "truncated"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, b"\0" * 12, "needs 8"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "out of range"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}, b"", "data_offsets"),
    ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}, b"", "shape"),
    ({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4, "data_offsets"),
    ({"a": {"dtype": "BOOL", "shape": [1], "data_offsets": [0, 1]}}, b"\x02", "bool"),
    ({"__metadata__": {"x": 1}}, b"", "__metadata__"),
    ({"__metadata__": {"ember.format_version": "1", "ember.structure": '{"T":"tensor",'
                       '"name":"nope"}'}}, b"", "missing tensor"),
    ({"__metadata__": {"ember.format_version": "1", "ember.structure": '{"T":"pickle"}'}}, b"",
     "unknown structure node"),
    ({"__metadata__": {"ember.format_version": "99", "ember.structure": "null"}}, b"", "version"),
    ({"__metadata__": {"ember.format_version": "1", "ember.structure": "[" * 100000}}, b"",
     "nested too deeply"),
])
def test_crafted_bad_headers(header, data, message):
    with pytest.raises(CheckpointError, match=message):
        ember.load(craft(header, data))


def test_header_length_beyond_file(tmp_path):
    path = tmp_path / "c"
    path.write_bytes(struct.pack("<Q", 10 ** 6) + b'{"a":1}')
    with pytest.raises(CheckpointError, match="header length"):
        ember.load(path)
    path.write_bytes(struct.pack("<Q", 1 << 62))
    with pytest.raises(CheckpointError, match="header length"):
        ember.load(path)
    with pytest.raises(CheckpointError, match="header length"):  # unseekable-size stream
        ember.load(io.BytesIO(struct.pack("<Q", 1 << 62) + b"{}"))


def test_duplicate_keys_and_non_object_headers():
    text = b'{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},' \
           b'"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'
    with pytest.raises(CheckpointError, match="duplicate"):
        ember.load(io.BytesIO(struct.pack("<Q", len(text)) + text))
    with pytest.raises(CheckpointError, match=r"'{'"):
        ember.load(io.BytesIO(struct.pack("<Q", 4) + b"[1] "))

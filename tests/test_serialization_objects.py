"""ember.save of whole objects (pickle-based Ember files) and ember.load's weights_only rule,
against torch 2.6+: the default refuses globals it does not know with torch's UnpicklingError,
add_safe_globals / safe_globals allow them, weights_only=False unpickles what the user trusts;
state dicts stay safetensors files; hostile, truncated and corrupted pickles are errors."""

from __future__ import annotations

import io
import os
import pickle
import pickletools
import re
import stat
import struct
import warnings
import zlib
from collections import Counter, OrderedDict

import ml_dtypes
import numpy as np
import pytest
import torch

import ember
from ember.serialization import CheckpointError
from ember.tensor import _rebuild_tensor


class EmberNet(ember.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = ember.nn.Linear(3, 4)
        self.norm = ember.nn.BatchNorm1d(4)
        self.act = ember.nn.ReLU()
        self.scale = 2.5

    def forward(self, x):
        return self.act(self.norm(self.fc(x))) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.norm = torch.nn.BatchNorm1d(4)
        self.act = torch.nn.ReLU()
        self.scale = 2.5

    def forward(self, x):
        return self.act(self.norm(self.fc(x))) * self.scale


class Tagged(ember.Tensor):
    """A user's tensor subclass: pickled as itself, allowed only once the user says so."""


class Evil:
    """Would run a command when unpickled."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class Sneaky:
    """Would call a harmless-looking but unallowed function when unpickled."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(autouse=True)
def no_leftover_safe_globals():
    ember.serialization.clear_safe_globals()
    torch.serialization.clear_safe_globals()
    yield
    ember.serialization.clear_safe_globals()
    torch.serialization.clear_safe_globals()


def trained(lib, net_class):
    """A net one optimizer step in, with its Adam optimizer (so the state is not empty)."""
    lib.manual_seed(0)
    net = net_class()
    opt = lib.optim.Adam(net.parameters(), lr=0.01)
    x = lib.tensor(np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3))
    net(x).sum().backward()
    opt.step()
    opt.zero_grad()
    return net, opt, x


def saved(lib, obj, **kwargs) -> bytes:
    buf = io.BytesIO()
    lib.save(obj, buf, **kwargs)
    return buf.getvalue()


def load(lib, raw: bytes, **kwargs):
    return lib.load(io.BytesIO(raw), **kwargs)


def refusal(lib, raw: bytes) -> str:
    with pytest.raises(pickle.UnpicklingError) as info:
        load(lib, raw)
    assert type(info.value) is pickle.UnpicklingError
    return str(info.value)


def flat(obj, path=()):
    """Every leaf of a nesting of containers, with its path and type; tensors as their bytes."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in flat(v, (*path, k))] + [(path, type(obj))]
    if isinstance(obj, (list, tuple)):
        return [x for i, v in enumerate(obj) for x in flat(v, (*path, i))] + [(path, type(obj))]
    if isinstance(obj, ember.Tensor):
        return [(path, type(obj), str(obj.dtype), obj.requires_grad, obj.shape,
                 obj.detach().numpy().tobytes())]
    return [(path, type(obj), obj)]


def globals_named(raw: bytes) -> set[str]:
    """The globals a pickle names, as ``module.name`` (read by pickletools, nothing imported)."""
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(raw):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            found.add(".".join(strings[-2:]))
        elif op.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
    return found


# -- whole objects, weights_only=False -------------------------------------------------------

def test_whole_model_round_trip_like_torch():
    results = []
    for lib, net_class in ((ember, EmberNet), (torch, TorchNet)):
        net, _, x = trained(lib, net_class)
        net.eval()
        back = load(lib, saved(lib, net), weights_only=False)
        assert type(back) is net_class and back is not net
        out, expected = back(x), net(x)
        assert np.array_equal(out.detach().numpy(), expected.detach().numpy())
        results.append((
            back.training, back.scale,
            [(name, type(p).__name__, p.requires_grad, str(p.dtype).split(".")[1])
             for name, p in back.named_parameters()],
            [(name, type(b).__name__, str(b.dtype).split(".")[1])
             for name, b in back.named_buffers()],
        ))
        for a, b in zip(back.parameters(), net.parameters(), strict=True):
            assert not np.shares_memory(a.detach().numpy(), b.detach().numpy())
    assert results[0] == results[1]


def test_model_optimizer_and_epoch_resume_like_the_original():
    net, opt, x = trained(ember, EmberNet)
    raw = saved(ember, {"model": net, "opt": opt, "epoch": 3})
    assert raw[:8] == b"EMBERPKL"
    back = load(ember, raw, weights_only=False)
    assert back["epoch"] == 3 and type(back["opt"]) is ember.optim.Adam
    group = back["opt"].param_groups[0]["params"]
    assert [id(p) for p in group] == [id(p) for p in back["model"].parameters()]  # still tied
    for model, optimizer in ((net, opt), (back["model"], back["opt"])):
        model(x).pow(2).sum().backward()
        optimizer.step()
    for a, b in zip(back["model"].parameters(), net.parameters(), strict=True):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_file_layout_header_length_and_crc(tmp_path):
    path = tmp_path / "model.pt"
    ember.save(EmberNet(), path)
    raw = path.read_bytes()
    magic, version, crc, n = struct.unpack("<8sIIQ", raw[:24])
    assert (magic, version, n) == (b"EMBERPKL", 1, len(raw) - 24)
    assert crc == zlib.crc32(raw[24:])
    assert type(pickle.loads(raw[24:])) is EmberNet  # the rest is a plain pickle stream
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_tensors_pickle_without_numpy_globals_at_every_protocol(protocol):
    obj = {"w": ember.nn.Parameter(ember.arange(6.0).reshape(2, 3)),
           "i": ember.tensor([[1, -2]], dtype=ember.int16).t(),  # a non-contiguous view
           "b": ember.nn.Buffer(ember.tensor([True, False]), persistent=False),
           "c": Counter("aab"), "s": ember.Size([2, 3]), "d": ember.bfloat16,
           "dev": ember.device("cpu"), "z": 1 + 2j, "set": {1, 2}, "ba": bytearray(b"\0\1"),
           "by": b"\x80raw", "od": OrderedDict(k=1.5)}
    raw = pickle.dumps(obj, protocol=protocol)
    assert not any(g.startswith("numpy") for g in globals_named(raw))
    back = load(ember, raw)  # weights_only=True: all of it is allowed by default
    assert type(back["w"]) is ember.nn.Parameter and back["w"].requires_grad
    assert back["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert back["i"].dtype == ember.int16 and back["i"].tolist() == [[1], [-2]]
    assert back["i"].is_contiguous()
    assert type(back["b"]) is ember.nn.Buffer and back["b"].persistent is False
    assert back["b"].tolist() == [True, False]
    rest = {k: v for k, v in back.items() if k not in ("w", "i", "b")}
    assert rest == {k: v for k, v in obj.items() if k not in ("w", "i", "b")}
    assert type(rest["od"]) is OrderedDict and type(rest["s"]) is ember.Size


def test_views_are_saved_as_their_values():
    base = ember.arange(1000.0)
    view = base[10:13]
    raw = saved(ember, {"view": view, "obj": EmberNet()})
    assert len(raw) < 1000 * 4  # not the base's 4000 bytes
    back = load(ember, raw, weights_only=False)
    assert back["view"].tolist() == [10.0, 11.0, 12.0] and back["view"]._base is None


def test_bfloat16_tensors_inside_objects_keep_their_bits():
    bits = np.array([0x3F80, 0x7F80, 0xFFC1, 0x8000, 0x0001, 0xC2F7], dtype=np.uint16)
    values = bits.view(ml_dtypes.bfloat16)  # 1, inf, a nan payload, -0, a subnormal, -123.5
    net = EmberNet().to(ember.bfloat16)
    obj = {"net": net, "t": ember.from_numpy(values.copy()),
           "c": Counter({"bf16": ember.from_numpy(values.copy())})}
    back = load(ember, saved(ember, obj), weights_only=False)
    for t in (back["t"], back["c"]["bf16"]):
        assert t.dtype == ember.bfloat16 and np.array_equal(t.numpy().view(np.uint16), bits)
    for a, b in zip(back["net"].parameters(), net.parameters(), strict=True):
        assert a.dtype == ember.bfloat16 and np.array_equal(a.detach().numpy().view(np.uint16),
                                                           b.detach().numpy().view(np.uint16))
    raw = saved(ember, {"c": obj["c"], "tags": frozenset({"bf16"})})  # pickled, all allowed
    assert raw[:8] == b"EMBERPKL"
    allowed = load(ember, raw)
    assert type(allowed["c"]) is Counter
    assert np.array_equal(allowed["c"]["bf16"].numpy().view(np.uint16), bits)
    # torch pickles a bf16 tensor in an object with the same dtype and bits
    tt = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16)
    tback = load(torch, saved(torch, {"c": Counter({"bf16": tt})}))
    assert str(tback["c"]["bf16"].dtype) == "torch.bfloat16"
    assert np.array_equal(tback["c"]["bf16"].view(torch.int16).numpy().view(np.uint16), bits)


# -- state dicts stay safetensors ------------------------------------------------------------

def test_state_dicts_are_still_safetensors_files():
    net, opt, _ = trained(ember, EmberNet)
    for obj in (net.state_dict(), opt.state_dict(),
                {"model": net.state_dict(), "opt": opt.state_dict(), "epoch": 3}):
        raw = saved(ember, obj)
        n = int.from_bytes(raw[:8], "little")
        assert raw[8:9] == b"{" and 8 + n < len(raw) and b"EMBERPKL" not in raw[:8]
        back = load(ember, raw, weights_only=True)
        assert flat(back) == flat(obj)


# -- weights_only=True: torch's refusal and its allowlist --------------------------------------

def test_default_refuses_a_model_with_torchs_message():
    message = refusal(ember, saved(ember, EmberNet()))
    expected = refusal(torch, saved(torch, TorchNet()))
    for phrase in ("Weights only load failed.",
                   "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
                   "`torch.load` from `False` to `True`",
                   "do those steps only if you trust the source of the checkpoint",
                   "WeightsUnpickler error: Unsupported global: GLOBAL "):
        assert phrase in message and phrase in expected
    name = f"{EmberNet.__module__}.EmberNet"
    line = re.search(r"WeightsUnpickler error: (.*)", message)[1]
    torch_line = re.search(r"WeightsUnpickler error: (.*)", expected)[1]
    assert line == torch_line.replace(f"{TorchNet.__module__}.TorchNet", name).replace(
        "torch.serialization", "ember.serialization")
    assert "`weights_only` set to `False`" in message and "ember.load" in message


@pytest.mark.parametrize("make, name", [
    (lambda m: Evil(m), r"posix\.system|nt\.system"),
    (lambda m: Sneaky(m), "io.open"),
    (lambda m: {"w": ember.ones(2), "x": [Sneaky(m)]}, "io.open"),
])
def test_malicious_pickles_never_run_under_weights_only(tmp_path, make, name):
    marker = tmp_path / "pwned"
    payload = make(marker)
    for raw in (pickle.dumps(payload), pickle.dumps(payload, protocol=2),
                saved(ember, {"evil": payload, "w": ember.ones(1)})):
        message = refusal(ember, raw)
        assert re.search(name, message)
        assert not marker.exists()
    ember.serialization.add_safe_globals([os.system])  # a blocked module stays blocked
    with pytest.raises(pickle.UnpicklingError, match="is blocked"):
        load(ember, pickle.dumps(Evil(marker)))
    assert not marker.exists()


def test_add_safe_globals_and_safe_globals_allow_a_model():
    net, _, x = trained(ember, EmberNet)
    net.eval()
    raw = saved(ember, net)
    needed = [EmberNet, ember.nn.Linear, ember.nn.BatchNorm1d, ember.nn.ReLU]
    with ember.serialization.safe_globals(needed):
        assert set(ember.serialization.get_safe_globals()) == set(needed)
        back = load(ember, raw)
    assert ember.serialization.get_safe_globals() == []
    assert np.array_equal(back(x).detach().numpy(), net(x).detach().numpy())
    ember.serialization.add_safe_globals(needed[:1])
    assert "ember.nn.modules.linear.Linear" in refusal(ember, raw)  # each class is needed
    ember.serialization.add_safe_globals(needed[1:])
    assert type(load(ember, raw)) is EmberNet
    ember.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []
    assert f"{EmberNet.__module__}.EmberNet" in refusal(ember, raw)


def test_safe_globals_as_named_pairs_and_their_errors_like_torch():
    raw = pickle.dumps({"t": Tagged(ember.ones(2))})
    assert f"{Tagged.__module__}.Tagged" in refusal(ember, raw)
    ember.serialization.add_safe_globals([(Tagged, f"{Tagged.__module__}.Tagged")])
    back = load(ember, raw)["t"]
    assert type(back) is Tagged and back.tolist() == [1.0, 1.0]
    for bad in ([(Tagged, "a", "b")], [(Tagged, 3)]):
        torch.serialization.clear_safe_globals()
        with pytest.raises(Exception) as theirs:
            torch.serialization.add_safe_globals(bad)
            torch.load(io.BytesIO(saved(torch, {"x": TorchNet})))  # torch checks at load
        with pytest.raises(type(theirs.value), match=re.escape(str(theirs.value))):
            ember.serialization.add_safe_globals(bad)


def test_pickle_module_and_pickle_load_args_as_torch():
    raw = saved(ember, {"net": EmberNet()})
    assert type(ember.load(io.BytesIO(raw), pickle_module=pickle)["net"]) is EmberNet
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Can not safely load weights when explicit "
                                               "pickle_module is specified"):
            lib.load(io.BytesIO(raw), pickle_module=pickle, weights_only=True)
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match=r"pickle_load_args only works if "
                                             r"`weights_only=False`"):
            lib.load(io.BytesIO(saved(lib, {"x": 1})), encoding="latin1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load(ember, saved(ember, {"x": 1}), weights_only=False, encoding="latin1") == \
            {"x": 1}


def build_on(target: bytes, attribute: str) -> bytes:
    """A protocol-2 pickle that BUILDs ``target`` (a GLOBAL) with slot state setting
    ``attribute`` to ``builtins.set``: unrestricted, ``setattr(target, attribute, set)``."""
    name = attribute.encode()
    return (b"\x80\x02c" + target + b"\nN}X" + struct.pack("<I", len(name)) + name
            + b"cbuiltins\nset\ns\x86b.")


@pytest.mark.parametrize("raw, message", [
    (build_on(b"ember.tensor\nTensor", "__neg__"), "Can only build"),
    (build_on(b"ember.tensor\n_rebuild_tensor", "__defaults__"), "Can only build"),
    (build_on(b"ember.tensor\nSize", "numel"), "Can only build"),
    (b"\x80\x02cember.tensor\nTensor\n)\x81.", "Can only create new object"),
    (b"\x80\x02cember.tensor\nTensor\nK\x01K\x02s.", "Can only SETITEM"),
    (b"\x80\x02cember.tensor\nSize\nK\x01a.", "Can only APPEND"),
    (b"\x80\x02(iember.tensor\nSize\n.", "Unsupported operand INST"),
], ids=["patch_class", "patch_function", "patch_size", "newobj_tensor", "setitem_class",
        "append_class", "inst"])
def test_allowed_globals_cannot_be_patched_or_misused(raw, message):
    neg, defaults, numel = ember.Tensor.__neg__, _rebuild_tensor.__defaults__, ember.Size.numel
    text = refusal(ember, raw)
    assert message in text and "Please file an issue" in text
    assert text.startswith("Weights only load failed. In PyTorch 2.6")
    assert ember.Tensor.__neg__ is neg and ember.Size.numel is numel
    assert _rebuild_tensor.__defaults__ == defaults
    assert (-ember.ones(1)).tolist() == [-1.0]


def test_torch_refuses_patching_its_tensor_class_the_same_way():
    text = refusal(torch, build_on(b"torch\nTensor", "__neg__"))
    assert "Can only build" in text and "Please file an issue" in text
    assert (-torch.ones(1)).tolist() == [-1.0]


@pytest.mark.parametrize("args, message", [
    ((OrderedDict, bytearray(4), "float32", (1,), False, {}), "not a Tensor class"),
    ((ember.Tensor, bytearray(4), "complex64", (1,), False, {}), "unknown dtype"),
    ((ember.Tensor, bytearray(4), "float32", (2,), False, {}), "from 4 bytes"),
    ((ember.Tensor, bytearray(4), "float32", (-1,), False, {}), "not a tuple of sizes"),
    ((ember.Tensor, bytearray(4), "float32", (True,), False, {}), "not a tuple of sizes"),
    ((ember.Tensor, bytearray(4), "int32", (1,), True, {}), "floating point"),
    ((ember.Tensor, bytearray(b"\x02"), "bool", (1,), False, {}), "other than 0 and 1"),
    ((ember.Tensor, bytearray(4), "float32", (1,), False, {1: 2}), "attributes"),
    ((ember.Tensor, "abcd", "float32", (1,), False, {}), "TypeError"),
])
def test_crafted_tensor_rebuilds_are_checkpoint_errors(args, message):
    class Crafted:
        def __reduce__(self):
            return (_rebuild_tensor, args)

    with pytest.raises(CheckpointError, match=message):
        load(ember, pickle.dumps(Crafted()))
    with pytest.raises((TypeError, ValueError, RuntimeError)):  # the user trusts the file
        load(ember, pickle.dumps(Crafted()), weights_only=False)


# -- truncated, corrupted and foreign pickles -------------------------------------------------

def small_pickled() -> bytes:
    raw = saved(ember, {"w": ember.arange(4.0).to(ember.bfloat16), "k": {"a", "b"}})
    assert raw[:8] == b"EMBERPKL"  # a set: not expressible in the safetensors structure
    return raw


@pytest.mark.parametrize("weights_only", [True, False])
def test_every_truncation_and_byte_flip_of_an_ember_pickle_is_an_error(weights_only):
    raw = small_pickled()
    assert load(ember, raw, weights_only=weights_only)["k"] == {"a", "b"}
    for cut in range(len(raw)):
        with pytest.raises(CheckpointError):
            load(ember, raw[:cut], weights_only=weights_only)
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x10
        with pytest.raises(CheckpointError):
            load(ember, bytes(bad), weights_only=weights_only)


def test_truncated_and_corrupted_files_name_the_path(tmp_path):
    raw = small_pickled()
    path = tmp_path / "ckpt file.pt"
    for bad, message in ((raw[:-3], "truncated checkpoint: the pickle data needs"),
                         (raw[:30], "truncated checkpoint"),
                         (raw + b"\0\0", "2 unexpected bytes"),
                         (raw[:-1] + bytes([raw[-1] ^ 1]), "CRC-32 mismatch"),
                         (raw[:8] + b"\x09" + raw[9:], "format version 9"),
                         (b"EMBER", "truncated")):
        path.write_bytes(bad)
        with pytest.raises(CheckpointError, match=message) as info:
            ember.load(path)
        assert str(info.value).startswith(f"cannot load '{path}': ")
        assert info.value.__cause__ is None


@pytest.mark.parametrize("weights_only", [True, False])
def test_truncated_plain_pickles_are_checkpoint_errors(weights_only):
    raw = pickle.dumps({"w": ember.ones(3), "s": "text", "n": [1, 2.5]}, protocol=4)
    for cut in range(1, len(raw)):
        with pytest.raises(CheckpointError, match="corrupted or truncated pickle"):
            load(ember, raw[:cut], weights_only=weights_only)


def test_corrupted_plain_pickles_never_escape_as_raw_errors():
    raw = pickle.dumps({"w": ember.ones(3), "s": ember.Size([3]), "od": OrderedDict(a=[1])})
    rng = np.random.default_rng(0)
    for _ in range(300):
        bad = bytearray(raw)
        for i in rng.integers(2, len(raw), 3):  # keep the PROTO opcode
            bad[i] = rng.integers(0, 256)
        try:
            load(ember, bytes(bad))
        except (CheckpointError, pickle.UnpicklingError):
            pass


def test_a_stream_of_pickles_reads_one_at_a_time_even_unseekable():
    raw = pickle.dumps({"a": ember.ones(2)}) + saved(ember, EmberNet()) + pickle.dumps([1])

    class Unseekable(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self.data.read(min(len(b), 7))  # short reads, as pipes give
            b[:len(chunk)] = chunk
            return len(chunk)

    for stream in (io.BytesIO(raw), Unseekable(raw)):
        assert ember.load(stream)["a"].tolist() == [1.0, 1.0]
        assert type(ember.load(stream, weights_only=False)) is EmberNet
        assert ember.load(stream) == [1]


def test_torch_checkpoints_are_still_refused(tmp_path):
    for legacy, what in ((False, "zip archive"), (True, "legacy PyTorch checkpoint")):
        buf = io.BytesIO()
        torch.save({"w": torch.zeros(2)}, buf, _use_new_zipfile_serialization=not legacy)
        for weights_only in (True, False):
            with pytest.raises(CheckpointError, match=f"{what}.*safetensors.torch.save_file"):
                load(ember, buf.getvalue(), weights_only=weights_only)


# -- the file handling of save applies to pickled objects too --------------------------------

def test_pickled_saves_are_atomic_keep_permissions_and_clean_stale_temporaries(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    stale = tmp_path / ".model.pt.ember-save-00000000-1-00000000.tmp"
    stale.mkdir()
    (stale / "data").write_bytes(b"partial")
    old = 1_000_000_000
    os.utime(stale / "data", (old, old))
    os.utime(stale, (old, old))
    ember.save({"net": EmberNet()}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]
    assert type(ember.load(path, weights_only=False)["net"]) is EmberNet


def test_save_to_a_directory_or_missing_parent_fails_before_writing(tmp_path):
    with pytest.raises(RuntimeError, match="it is a directory"):
        ember.save(EmberNet(), tmp_path)
    with pytest.raises(RuntimeError, match="parent directory"):
        ember.save(EmberNet(), tmp_path / "missing" / "m.pt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_pickled_save_to_a_fifo_writes_through_it(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["raw"] = f.read()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    ember.save({"s": {1, 2}}, fifo)
    thread.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got["raw"][:8] == b"EMBERPKL"
    assert load(ember, got["raw"]) == {"s": {1, 2}}

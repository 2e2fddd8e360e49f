"""The command line and the training job, end to end in temporary directories."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

import ember
from ember import nn, training
from ember.cli import main
from ember.training import TrainConfig, train


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "train" in result.stdout and "info" in result.stdout


def test_info_reports_versions_threads_and_cache():
    result = run_cli("info")
    assert result.returncode == 0, result.stderr
    assert f"ember   {ember.__version__}" in result.stdout
    assert "numba" in result.stdout and "threads" in result.stdout
    assert "kernel cache" in result.stdout


def only_line(text: str) -> str:
    """The single line of ``text``: a user error is one line, never a traceback."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("args, message", [
    (["--lr", "x"], "argument --lr: expected a positive number, got 'x'"),
    (["--lr", "0"], "argument --lr: expected a positive number, got '0'"),
    (["--lr", "inf"], "argument --lr: expected a positive number, got 'inf'"),
    (["--epochs", "x"], "argument --epochs: expected a positive whole number, got 'x'"),
    (["--epochs", "2.5"], "argument --epochs: expected a positive whole number, got '2.5'"),
    (["--epochs", "0"], "argument --epochs: expected a positive whole number, got '0'"),
    (["--batch-size", "x"], "argument --batch-size: expected a positive whole number, got 'x'"),
    (["--dropout", "x"], "argument --dropout: expected a probability in [0, 1), got 'x'"),
    (["--dropout", "1.5"], "argument --dropout: expected a probability in [0, 1), got '1.5'"),
    (["--dropout", "nan"], "argument --dropout: expected a probability in [0, 1), got 'nan'"),
    (["--seed", "x"], "argument --seed: expected a whole number from 0 to 18446744073709551614,"
                      " got 'x'"),
    (["--seed", str(2**64 - 1)], "argument --seed: expected a whole number from 0 to "
                                 "18446744073709551614, got '18446744073709551615'"),
    (["--model", "rnn"], "argument --model: invalid choice: 'rnn'"),
])
def test_bad_arguments_get_argparse_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m ember train")
    assert f"python -m ember train: error: {message}" in err
    assert "_positive" not in err and "_probability" not in err


# -- the output directory --------------------------------------------------------------------

def train_error(capsys, *args) -> str:
    """Runs ``train`` with ``args``, expecting a user error; returns its one line."""
    code = main(["train", "--no-progress", "--epochs", "1", *map(str, args)])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "checkpoint:" not in captured.out
    return only_line(captured.err)


def test_out_under_a_regular_file(tmp_path, capsys):
    (tmp_path / "somefile").write_text("x")
    line = train_error(capsys, "--out", tmp_path / "somefile" / "sub")
    assert line == (f"error: cannot create the output directory '{tmp_path}/somefile/sub' "
                    f"(--out): '{tmp_path}/somefile' is a file, not a directory")


def test_out_that_is_a_file(tmp_path, capsys):
    (tmp_path / "somefile").write_text("x")
    line = train_error(capsys, "--out", tmp_path / "somefile")
    assert line.startswith(f"error: the output directory '{tmp_path}/somefile' (--out) is an "
                           "existing file")
    assert (tmp_path / "somefile").read_text() == "x"


def test_out_whose_checkpoint_name_is_a_directory(tmp_path, capsys):
    (tmp_path / "checkpoint.safetensors").mkdir()
    line = train_error(capsys, "--out", tmp_path)
    assert line == f"error: cannot write '{tmp_path}/checkpoint.safetensors': it is a directory"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permission bits do not stop root (CI runs as root); the read-only "
                           "/sys case and a path under a file cover the same code there")
def test_out_without_write_permission(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        line = train_error(capsys, "--out", locked)
        line_sub = train_error(capsys, "--out", locked / "sub")
    finally:
        locked.chmod(0o700)
    assert line == f"error: cannot write into the output directory '{locked}' (--out): " \
                   "Permission denied"
    assert line_sub == f"error: cannot create the output directory '{locked}/sub' (--out): " \
                       "Permission denied"


def _sys_is_read_only() -> bool:
    try:
        with tempfile.TemporaryFile(dir="/sys"):
            return False
    except OSError:
        return True


@pytest.mark.skipif(not os.path.isdir("/sys") or not _sys_is_read_only(),
                    reason="needs Linux's /sys, where no one (not even root) can create files")
def test_out_that_cannot_be_written_even_by_root(capsys):
    line = train_error(capsys, "--out", "/sys")
    assert line.startswith("error: cannot write into the output directory '/sys' (--out): ")


def test_write_error_during_training_is_one_line(tmp_path, capsys, monkeypatch):
    def disk_full(obj, f):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(f))

    monkeypatch.setattr(ember, "save", disk_full)
    line = train_error(capsys, "--out", tmp_path)
    assert line == (f"error: {tmp_path}/checkpoint.safetensors: "
                    f"{os.strerror(errno.ENOSPC)}")


# -- --resume ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A straight 3-epoch run and a 2-epoch run of the same settings (to resume)."""
    root = tmp_path_factory.mktemp("runs")
    quiet = {"log": lambda *_: None}
    train(TrainConfig(progress=False, epochs=3, model="mlp", dropout=0.3), root / "a", **quiet)
    train(TrainConfig(progress=False, epochs=2, model="mlp", dropout=0.3), root / "b", **quiet)
    return {"straight": root / "a" / "checkpoint.safetensors",
            "two": root / "b" / "checkpoint.safetensors"}


@pytest.fixture
def two_epochs(runs, tmp_path):
    """A private copy of the 2-epoch checkpoint."""
    path = tmp_path / "two.safetensors"
    shutil.copyfile(runs["two"], path)
    return path


def _torch_pt(path):
    import torch

    torch.save({"weight": torch.ones(2, 2)}, path)


def _state_dict(path):
    ember.save(nn.Linear(4, 2).state_dict(), path)


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p.write_text("epoch 3, lr 0.001\n"),
     "the file is not a checkpoint of python -m ember train: "),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200))),
     "the file is not a checkpoint of python -m ember train: "),
    (lambda p: p.write_bytes(b""), "the file is not a checkpoint of python -m ember train: "),
    (_torch_pt, "the file is not a checkpoint of python -m ember train: "),
    (_state_dict, "the file holds a state_dict (tensors only, e.g. a model's weights), not a "
                  "checkpoint of python -m ember train"),
    (lambda p: ember.save([1, 2], p), "the file holds a list, not a checkpoint"),
    (lambda p: ember.save({"epoch": 2, "model": {}}, p),
     "not a checkpoint of python -m ember train: it has no 'optimizer', 'scheduler', 'rng', "
     "'history', 'config' entries"),
])
def test_bad_resume_file(make, fragment, tmp_path, capsys):
    bad = tmp_path / "bad.file"
    make(bad)
    line = train_error(capsys, "--resume", bad, "--out", tmp_path / "out")
    assert line.startswith(f"error: cannot resume from '{bad}': ")
    assert fragment in line
    assert not (tmp_path / "out").exists()  # refused before creating anything


def test_missing_resume_file(tmp_path, capsys):
    line = train_error(capsys, "--resume", tmp_path / "nope.safetensors", "--out", tmp_path)
    assert line == (f"error: no checkpoint to resume from at '{tmp_path}/nope.safetensors': "
                    "the file does not exist")


def test_resume_from_a_directory(tmp_path, capsys, two_epochs):
    (tmp_path / "run").mkdir()
    line = train_error(capsys, "--resume", tmp_path / "run", "--out", tmp_path / "out")
    assert line == (f"error: --resume '{tmp_path}/run' is a directory; give the "
                    "checkpoint.safetensors file a training run wrote")
    shutil.copyfile(two_epochs, tmp_path / "run" / "checkpoint.safetensors")
    line = train_error(capsys, "--resume", tmp_path / "run", "--out", tmp_path / "out")
    assert line.endswith(f"(did you mean --resume {tmp_path}/run/checkpoint.safetensors?)")


def _edited(source, target, edit):
    state = ember.load(source)
    edit(state)
    ember.save(state, target)
    return target


@pytest.mark.parametrize("edit, fragment", [
    (lambda s: s["config"].update(dropout=1.5), "the checkpoint's config has invalid dropout=1.5"),
    (lambda s: s["config"].update(model="rnn"), "the checkpoint's config has invalid model='rnn'"),
    (lambda s: s["config"].pop("lr"), "the checkpoint's config lacks lr"),
    (lambda s: s["config"].update(momentum=0.9), "the checkpoint's config has unknown settings "
                                                 "momentum"),
    (lambda s: s.update(epoch=-1), "the checkpoint's epoch is -1, not a count of epochs"),
    (lambda s: s.update(epoch=5), "the checkpoint's history does not hold 5 values"),
])
def test_checkpoint_with_bad_contents(edit, fragment, two_epochs, tmp_path, capsys):
    bad = _edited(two_epochs, tmp_path / "bad.safetensors", edit)
    line = train_error(capsys, "--resume", bad, "--epochs", "9", "--out", tmp_path / "out")
    assert line.startswith(f"error: cannot resume from '{bad}': {fragment}")


def test_checkpoint_whose_states_do_not_fit_its_model(two_epochs, tmp_path, capsys):
    # the weights of the MLP under a config that says CNN
    bad = _edited(two_epochs, tmp_path / "bad.safetensors",
                  lambda s: s["config"].update(model="cnn"))
    line = train_error(capsys, "--resume", bad, "--epochs", "3", "--out", tmp_path / "out")
    assert line.startswith(f"error: cannot resume from '{bad}': the checkpoint's states do not "
                           "fit its cnn model: ")
    assert not (tmp_path / "out" / "checkpoint.safetensors").exists()


@pytest.mark.parametrize("epochs", ["1", "2", None])
def test_resume_with_no_epochs_left(epochs, two_epochs, tmp_path, capsys):
    before = two_epochs.read_bytes()
    args = ["--resume", two_epochs, "--out", two_epochs.parent]
    code = main(["train", "--no-progress", *map(str, args),
                 *(["--epochs", epochs] if epochs else [])])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    if epochs:
        assert only_line(captured.err) == (
            f"error: the checkpoint already has 2 epochs and --epochs {epochs} is the total to "
            "reach, not epochs to add; pass --epochs 3 or more to train further")
    else:  # the run that wrote it asked for 2
        assert only_line(captured.err) == (
            "error: the checkpoint already has 2 epochs, all that its run asked for; pass "
            "--epochs 3 or more (the total to reach) to train further")
    assert two_epochs.read_bytes() == before


def test_train_refuses_a_checkpoint_with_no_epochs_left(two_epochs, tmp_path):
    with pytest.raises(ValueError, match="already has 2 epochs; epochs=2 is the total to reach"):
        train(TrainConfig(progress=False, epochs=2), tmp_path, resume=two_epochs)


def test_resume_keeps_the_checkpoints_settings_and_names_the_overridden(runs, two_epochs,
                                                                      tmp_path, capsys):
    out = tmp_path / "resumed"
    code = main(["train", "--no-progress", "--resume", str(two_epochs), "--epochs", "3",
                 "--out", str(out), "--model", "cnn", "--lr", "0.5", "--batch-size", "16",
                 "--dropout", "0.3", "--seed", "7"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    notes = captured.err.strip().splitlines()
    keep = "a resumed run keeps the settings it started with"
    assert notes == [  # --dropout 0.3 is the checkpoint's own value: no note
        f"note: using the checkpoint's --model mlp, not cnn: {keep}",
        f"note: using the checkpoint's --lr 0.001, not 0.5: {keep}",
        f"note: using the checkpoint's --batch-size 64, not 16: {keep}",
        f"note: using the checkpoint's --seed 0, not 7: {keep}",
    ]
    assert f"checkpoint: {out / 'checkpoint.safetensors'}" in captured.out
    # and the run really continued with the checkpoint's settings: bit-identical to a straight run
    resumed, straight = ember.load(out / "checkpoint.safetensors"), ember.load(runs["straight"])
    assert resumed["epoch"] == 3 and resumed["config"]["lr"] == 0.001
    for key, value in straight["model"].items():
        np.testing.assert_array_equal(resumed["model"][key].numpy(), value.numpy(), err_msg=key)
    assert resumed["history"]["loss"] == straight["history"]["loss"]


# -- Ctrl-C ------------------------------------------------------------------------------------

def test_keyboard_interrupt_is_one_line(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", interrupted)
    code = main(["train", "--no-progress", "--out", str(tmp_path)])
    assert code == 130
    assert only_line(capsys.readouterr().err) == "interrupted"


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT, a POSIX signal")
def test_ctrl_c_in_a_real_run_says_how_to_resume(tmp_path):
    ckpt = tmp_path / "checkpoint.safetensors"
    # Python leaves SIGINT ignored in a child whose parent ignores it (a background job)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ember", "train", "--epochs", "200", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while not ckpt.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]  # after the progress bar's own lines
    assert last == ("interrupted; the last finished epoch is saved, continue with "
                    f"--resume {ckpt}")
    assert ember.load(ckpt)["epoch"] >= 1  # and it is a whole checkpoint


# -- end to end ----------------------------------------------------------------------------

@pytest.mark.parametrize("make, args, fragment", [
    (lambda d: (d / "notes.txt").write_text("hello"), ["--resume", "notes.txt"],
     "error: cannot resume from 'notes.txt': the file is not a checkpoint"),
    (lambda d: (d / "f").write_text("x"), ["--out", "f/sub"],
     "error: cannot create the output directory 'f/sub' (--out): 'f' is a file"),
])
def test_user_errors_end_to_end(make, args, fragment, tmp_path):
    make(tmp_path)
    result = run_cli("train", "--no-progress", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert only_line(result.stderr).startswith(fragment)
    assert result.stdout == ""


def test_train_writes_checkpoint_plot_and_learns(tmp_path):
    result = run_cli("train", "--epochs", "3", "--out", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("epoch")]
    assert len(lines) == 3
    assert (tmp_path / "checkpoint.safetensors").stat().st_size > 0
    png = (tmp_path / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    state = ember.load(tmp_path / "checkpoint.safetensors")
    assert state["epoch"] == 3
    # 3 epochs of Adam on the digits already separate the classes well beyond chance (0.1)
    assert state["history"]["test_acc"][-1] > 0.8
    assert str(tmp_path / "checkpoint.safetensors") in result.stdout


def _final_state(out, **kw):
    train(TrainConfig(progress=False, **kw), out, log=lambda *_: None)
    return ember.load(out / "checkpoint.safetensors")


def test_resumed_run_is_bit_identical_to_uninterrupted(runs, two_epochs, tmp_path):
    straight = ember.load(runs["straight"])
    train(TrainConfig(progress=False, epochs=3), tmp_path / "b", resume=two_epochs,
          log=lambda *_: None)
    resumed = ember.load(tmp_path / "b" / "checkpoint.safetensors")
    assert resumed["epoch"] == 3
    for key, value in straight["model"].items():
        np.testing.assert_array_equal(resumed["model"][key].numpy(), value.numpy(), err_msg=key)
    assert resumed["history"]["loss"] == straight["history"]["loss"]
    # and a different seed really gives different weights (the comparison can fail)
    other = _final_state(tmp_path / "c", epochs=1, model="mlp", dropout=0.3, seed=5)
    assert not np.array_equal(other["model"]["1.weight"].numpy(),
                              straight["model"]["1.weight"].numpy())


def test_cnn_model_trains_one_epoch(tmp_path):
    state = _final_state(tmp_path, epochs=1, model="cnn", dropout=0.2)
    assert state["epoch"] == 1
    assert "0.weight" in state["model"]

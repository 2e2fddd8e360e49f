"""The command line and the training job, end to end in temporary directories."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import ember
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


@pytest.mark.parametrize("args, fragment", [
    (["--dropout", "1.5"], "dropout must be in [0, 1)"),
    (["--epochs", "0"], "must be a positive integer"),
    (["--model", "rnn"], "invalid choice"),
    (["--lr", "abc"], "invalid _positive_float value"),
])
def test_bad_arguments_get_argparse_errors(args, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", *args])
    assert exc.value.code == 2
    assert fragment in capsys.readouterr().err


def test_missing_resume_file_is_a_clear_error(tmp_path, capsys):
    code = main(["train", "--resume", str(tmp_path / "nope.safetensors"), "--no-progress",
                 "--out", str(tmp_path)])
    assert code == 2
    assert "no checkpoint to resume from" in capsys.readouterr().err


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


def test_resumed_run_is_bit_identical_to_uninterrupted(tmp_path):
    straight = _final_state(tmp_path / "a", epochs=3, model="mlp", dropout=0.3)
    train(TrainConfig(progress=False, epochs=2, model="mlp", dropout=0.3), tmp_path / "b",
          log=lambda *_: None)
    train(TrainConfig(progress=False, epochs=3), tmp_path / "b",
          resume=tmp_path / "b" / "checkpoint.safetensors", log=lambda *_: None)
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

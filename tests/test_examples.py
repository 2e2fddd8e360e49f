"""Every script in examples/ runs and reaches the accuracy it is meant to show."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def last_accuracy(text: str, pattern: str) -> float:
    values = re.findall(pattern, text)
    assert values, f"no accuracy line matching {pattern!r} in:\n{text}"
    return float(values[-1])


def test_every_example_is_covered():
    covered = {"cnn_digits.py", "seed000_custom_function.py", "seed004_manual_mlp.py",
               "seed004_nn_dropout.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} <= covered


def test_cnn_digits_learns():
    out = run_example("cnn_digits.py", "--epochs", "6")
    # chance is 0.1; six epochs reach about 0.95 on the held-out digits
    assert last_accuracy(out, r"test acc (\d\.\d+)") > 0.9


@pytest.mark.parametrize("name, pattern", [
    ("seed004_manual_mlp.py", r"\[manual\+dropout\] epoch 200 \| loss [\d.]+ \| acc (\d\.\d+)"),
    ("seed004_nn_dropout.py", r"\[nn\.Dropout\]\s+epoch 200 \| loss [\d.]+ \| acc (\d\.\d+)"),
])
def test_seed004_cells_train_like_the_notebook(name, pattern):
    if not (EXAMPLES / name).exists():
        pytest.fail(f"examples/{name} is missing")
    out = run_example(name)
    # the notebook reaches 0.922 at epoch 200 on random labels; the same kind of accuracy
    assert last_accuracy(out, pattern) > 0.85


def test_seed000_example_runs_its_own_checks():
    if not (EXAMPLES / "seed000_custom_function.py").exists():
        pytest.fail("examples/seed000_custom_function.py is missing")
    out = run_example("seed000_custom_function.py")
    assert out.strip(), "the example prints what it checked"

"""The code's habits, checked with the tests: ruff's rules (incl. RUF, C901 <= 15 and the
backend seam's banned imports, see pyproject.toml) on the whole repository, and mypy on the
autograd core and the ops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TYPED = ["src/ember/autograd", "src/ember/ops"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_is_clean():
    pytest.importorskip("ruff", reason="ruff is not installed (it comes with the test extra)")
    result = _run("ruff", "check", "src", "tests", "bench")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_is_clean_on_the_core():
    pytest.importorskip("mypy", reason="mypy is not installed (it comes with the test extra)")
    result = _run("mypy", *TYPED)
    assert result.returncode == 0, result.stdout[-4000:]

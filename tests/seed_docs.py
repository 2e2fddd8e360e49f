"""The user's seed documents (``../shared/seeds``), read so tests run their code as written."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

import pytest


def _find_seeds() -> tuple[Path, bool]:
    """The seed folder and whether it was named explicitly: ``$EMBER_SEEDS_DIR`` if set, else
    the first ``shared/seeds`` beside the repository or above it."""
    if os.environ.get("EMBER_SEEDS_DIR"):
        return Path(os.environ["EMBER_SEEDS_DIR"]), True
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "seeds"
        if candidate.is_dir():
            return candidate, False
    return here.parents[2] / "shared" / "seeds", False


SEEDS, _SEEDS_NAMED = _find_seeds()


def seed_text(prefix: str) -> str:
    """The text of the seed document whose file name starts with ``prefix`` (e.g. '004').

    Skips the calling test (or, called at import, its whole module) when the seed folder is
    absent, as in a clone of the repository alone; a folder named by ``$EMBER_SEEDS_DIR`` must
    exist, and a document missing from a folder that exists is an error.
    """
    if not SEEDS.is_dir() and not _SEEDS_NAMED:
        repo = Path(__file__).resolve().parents[1]
        pytest.skip(f"the user's seed documents are not available: no shared/seeds folder in "
                    f"{repo.parent} or above it; set EMBER_SEEDS_DIR to their folder to run "
                    "these tests", allow_module_level=True)
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not matches:
        raise FileNotFoundError(
            f"seed document {prefix}_*.txt not found in {SEEDS}; the tests run the user's seed "
            "documents from shared/seeds beside the repository (or $EMBER_SEEDS_DIR)"
        )
    return matches[0].read_text()


def markdown_code_blocks(prefix: str) -> list[str]:
    """The fenced ``` python blocks of a seed document, in order."""
    return re.findall(r"^``` ?python\n(.*?)^```", seed_text(prefix), flags=re.S | re.M)


def notebook_cells(prefix: str) -> list[str]:
    """The code cells of a notebook-style seed: from ``In [k]:`` to the cell's first output."""
    text = seed_text(prefix)
    cells = []
    for block in re.split(r"^In \[\d+\]:\n", text, flags=re.M)[1:]:
        code = re.split(r"^\[[^\]\n]+\]\s+epoch", block, maxsplit=1, flags=re.M)[0]
        cells.append(code)
    return cells


@contextlib.contextmanager
def torch_is_ember():
    """Makes ``import torch`` (and torch.nn, .autograd, .optim, .nn.functional) give Ember."""
    import ember
    import ember.autograd
    import ember.nn
    import ember.nn.functional
    import ember.optim

    aliases = {"torch": ember, "torch.nn": ember.nn, "torch.autograd": ember.autograd,
               "torch.optim": ember.optim, "torch.nn.functional": ember.nn.functional}
    saved = {name: sys.modules.get(name) for name in aliases}
    rng_state = ember.get_rng_state()
    sys.modules.update(aliases)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        ember.set_rng_state(rng_state)


def run_seed_code(code: str, namespace: dict | None = None) -> tuple[dict, str]:
    """Executes seed code with ``torch`` resolving to Ember; returns its namespace and output."""
    import ember

    namespace = {"__name__": "__seed__"} if namespace is None else namespace
    out = io.StringIO()
    with torch_is_ember(), contextlib.redirect_stdout(out):
        exec(compile(code, "<seed>", "exec"), namespace)
    assert namespace["torch"] is ember  # it really ran on Ember
    return namespace, out.getvalue()

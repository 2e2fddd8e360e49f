"""Seed 004's two notebook cells run unchanged on Ember, with ``torch`` resolving to ``ember``.

(Seed 000's custom Function is tested in tests/autograd/test_seed000.py and, as a script, by
tests/test_examples.py through examples/seed000_custom_function.py.)

Each cell is read from the user's seed document itself (``shared/seeds/004_*.txt``) and run as
written (``import torch`` included), with ``torch``, ``torch.nn``, ``torch.autograd`` and
``torch.optim`` mapped to Ember's modules for the duration, so the code cannot silently run
on the real torch.
"""

from __future__ import annotations

import re

import ember
from seed_docs import notebook_cells, run_seed_code

SEED_004_CELL_1, SEED_004_CELL_2 = notebook_cells("004")


def _table(out: str, tag: str) -> list[tuple[int, float, float]]:
    pattern = r"\[" + re.escape(tag) + r"\]\s+epoch\s+(\d+) \| loss ([\d.]+) \| acc ([\d.]+)"
    return [(int(e), float(loss), float(acc)) for e, loss, acc in re.findall(pattern, out)]


def test_seed_004_manual_backprop_cell():
    _, out = run_seed_code(SEED_004_CELL_1)
    table = _table(out, "manual+dropout")
    assert [r[0] for r in table] == [50, 100, 150, 200]
    losses = [r[1] for r in table]
    assert losses == sorted(losses, reverse=True)  # training makes progress
    assert table[-1][2] > 0.85  # the notebook: 0.922 at epoch 200


def test_seed_004_nn_dropout_cell():
    ns, out = run_seed_code(SEED_004_CELL_2)
    table = _table(out, "nn.Dropout")
    assert [r[0] for r in table] == [50, 100, 150, 200]
    assert table[-1][2] > 0.85
    eval_acc = float(re.search(r"\[eval\] accuracy \(dropout off\): ([\d.]+)", out).group(1))
    assert eval_acc >= table[-1][2]
    assert isinstance(ns["model"][2], ember.nn.Dropout)

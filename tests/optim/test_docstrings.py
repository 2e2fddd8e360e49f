"""The examples in the docstrings of the optimizers and schedulers run and print what they say,
with Ember and, unchanged, with torch in Ember's place (so the values they show are torch's)."""

from __future__ import annotations

import doctest

import pytest
import torch

import ember
from ember.optim import lr_scheduler

CLASSES = [getattr(ember.optim, name) for name in ember.optim.__all__ if name != "lr_scheduler"]
CLASSES += [getattr(lr_scheduler, name) for name in lr_scheduler.__all__
            if isinstance(getattr(lr_scheduler, name), type) and not name.startswith("_")]


def _example(cls) -> doctest.DocTest:
    tests = doctest.DocTestFinder(recurse=False).find(cls, cls.__name__, globs={})
    assert tests and tests[0].examples, f"{cls.__name__} has no example"
    return tests[0]


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_example_runs_and_prints_what_it_says(cls, lib):
    test = _example(cls)
    names = {name: getattr(lib.optim.lr_scheduler, name) for name in lr_scheduler.__all__
             if hasattr(lib.optim.lr_scheduler, name)}
    test.globs = {**names, "ember": lib}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda text: pytest.fail(text, pytrace=False))
    assert runner.failures == 0

"""The docstrings of ``ember.nn.functional``: every section PyTorch's function documents
(Args, Returns, Shape, Example) is there too, every argument is named, and the examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import pytest
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF

MODULES = ["activation", "attention", "conv", "distance", "interpolate", "linear", "loss",
           "normalization", "pooling", "sparse"]
PUBLIC = [(m, name) for m in MODULES
          for name in importlib.import_module(f"ember.nn.functional.{m}").__all__]
# arguments kept only for PyTorch's signature, which its docstrings mark deprecated or omit
UNDOCUMENTED = {"size_average", "reduce", "_stacklevel", "return_indices"}
SECTION = re.compile(r"^\s*(Args|Arguments|Returns|Shape|Examples?)\s*:", re.MULTILINE)


def _sections(doc: str | None) -> set:
    names = {m.group(1) for m in SECTION.finditer(doc or "")}
    return {{"Arguments": "Args", "Examples": "Example"}.get(n, n) for n in names}


def _function(module: str, name: str):
    return getattr(importlib.import_module(f"ember.nn.functional.{module}"), name)


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[n for _, n in PUBLIC])
def test_sections_cover_torchs(module, name):
    fn = _function(module, name)
    assert fn.__doc__, f"{name} has no docstring"
    missing = _sections(getattr(TF, name, None).__doc__) - _sections(fn.__doc__)
    assert not missing, f"{name}: no {sorted(missing)} section where torch has one"


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[n for _, n in PUBLIC])
def test_documented_arguments_are_all_named(module, name):
    fn = _function(module, name)
    doc = fn.__doc__ or ""
    if "Args" not in _sections(doc):
        pytest.skip("no Args section (nor in torch)")
    args = doc[doc.index("Args:"):]
    missing = [p for p in inspect.signature(fn).parameters
               if p not in UNDOCUMENTED and not re.search(rf"\b{p}\b", args)]
    assert not missing, f"{name}: arguments {missing} are not in its Args section"


def _examples():
    finder = doctest.DocTestFinder(recurse=False)
    for module, name in PUBLIC:
        fn = _function(module, name)
        for test in finder.find(fn, name, globs={**vars(inspect.getmodule(fn)), "ember": ember,
                                                 "F": EF}):
            if test.examples:
                yield test


EXAMPLES = list(_examples())


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_examples_run(test):
    ember.manual_seed(0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=lambda text: pytest.fail(text))
    assert result.failed == 0


def test_help_of_cross_entropy_is_useful():
    doc = EF.cross_entropy.__doc__
    for word in ("Args:", "Shape:", "Example:", "label_smoothing", "ignore_index"):
        assert word in doc

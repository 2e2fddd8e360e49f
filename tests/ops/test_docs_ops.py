"""The docstrings of the public functions of every ``ember.ops`` module and of ``ember.random``:
each has the sections a user needs (Args naming every argument, Returns, Example, and every
section torch's own docstring has), and the examples run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import numpy as np
import pytest
import torch

import ember

MODULES = ["ember.ops.reduction", "ember.ops.indexing", "ember.ops.linalg", "ember.ops.arith",
           "ember.ops.pointwise", "ember.ops.shape", "ember.ops.compare", "ember.ops.creation",
           "ember.ops.softmax", "ember.ops.distance", "ember.random"]


def _public() -> list[tuple[str, str]]:
    """(module, name) of each public function once (aliases such as ``concat`` share their
    function's docstring and are listed under the first name)."""
    seen, out = set(), []
    for module in MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if (not inspect.isfunction(obj) and not inspect.isclass(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append((module, name))
    return out


PUBLIC = _public()
IDS = [f"{m.rsplit('.', 1)[1]}.{n}" for m, n in PUBLIC]
# arguments kept only for torch's signature that its docstrings leave out as well
UNDOCUMENTED = {"_stacklevel"}
SECTION = re.compile(r"^\s*(Args|Arguments|Returns|Shape|Examples?)\s*:", re.MULTILINE)


def _sections(doc: str | None) -> set:
    names = {m.group(1) for m in SECTION.finditer(doc or "")}
    return {{"Arguments": "Args", "Examples": "Example"}.get(n, n) for n in names}


def _object(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def _parameters(obj) -> list[str]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    return [p for p in inspect.signature(target).parameters
            if p not in UNDOCUMENTED and p != "self"]


def test_the_list_covers_the_modules():
    names = {n for _, n in PUBLIC}
    assert {"sum", "gather", "matmul", "add", "exp", "where", "cat", "zeros", "softmax", "cdist",
            "sort", "manual_seed"} <= names
    assert "clip" not in names and "concat" not in names  # aliases of clamp and cat
    assert len(PUBLIC) > 100


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=IDS)
def test_sections_are_there(module, name):
    obj = _object(module, name)
    found = _sections(obj.__doc__)
    wanted = {"Example"} | _sections(getattr(getattr(torch, name, None), "__doc__", None))
    if _parameters(obj):
        wanted.add("Args")
    if inspect.isclass(obj):
        wanted.discard("Returns")
    else:
        wanted.add("Returns")
    missing = wanted - found
    assert not missing, f"{name}: no {sorted(missing)} section"


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=IDS)
def test_every_argument_is_named_in_args(module, name):
    obj = _object(module, name)
    params = _parameters(obj)
    if not params:
        pytest.skip("no arguments")
    doc = obj.__doc__ or ""
    args = doc[doc.index("Args:"):]
    missing = [p for p in params if not re.search(rf"\b{p}\b", args)]
    assert not missing, f"{name}: arguments {missing} are not in its Args section"


def _examples():
    finder = doctest.DocTestFinder(recurse=False)
    for module, name in PUBLIC:
        obj = _object(module, name)
        globs = {**vars(inspect.getmodule(obj)), "ember": ember, "np": np}
        for test in finder.find(obj, name, globs=globs):
            if test.examples:
                yield test


EXAMPLES = list(_examples())


def test_every_function_has_an_example_that_runs():
    assert {t.name for t in EXAMPLES} == {n for _, n in PUBLIC}


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_examples_run(test):
    ember.manual_seed(0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=lambda text: pytest.fail(text))
    assert result.failed == 0

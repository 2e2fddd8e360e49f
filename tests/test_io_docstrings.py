"""The user documentation of ``ember.save``/``load``, ``ember.utils.data``, ``ember.sparse``,
``ember.onnx.export`` and ``nn.Module``: the examples in the docstrings of their public names
run and print what they say they print.

Each example runs as a doctest with ``ember`` and the names of its own module, in a temporary
working directory (some examples write files).
"""

from __future__ import annotations

import doctest
import importlib

import pytest

import ember

MODULES = [importlib.import_module(f"ember.{name}") for name in (
    "serialization", "sparse.coo", "sparse.methods", "utils.data.dataloader", "utils.data.dataset",
    "utils.data.sampler", "nn.modules.module", "onnx.export", "training", "datasets.digits",
    "datasets.synthetic")]
# examples that run a whole training (the CLI's tests run one) or read what it wrote
SKIPPED = {"ember.training.train", "ember.training.load_checkpoint"}


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if (getattr(obj, "__module__", module.__name__) != module.__name__
                    or f"{module.__name__}.{name}" in SKIPPED):
                continue
            for test in finder.find(obj, name, module=module, globs=vars(module)):
                if test.examples:
                    found.append(pytest.param(test, id=f"{module.__name__}.{test.name}"))
    return found


EXAMPLES = _examples()


def test_the_documented_names_have_examples():
    names = {p.id for p in EXAMPLES}
    for expected in ("ember.serialization.save", "ember.serialization.load",
                     "ember.utils.data.dataloader.DataLoader",
                     "ember.utils.data.sampler.BatchSampler",
                     "ember.sparse.coo.sparse_coo_tensor", "ember.nn.modules.module.Module",
                     "ember.onnx.export.export"):
        assert expected in names


@pytest.mark.parametrize("test", EXAMPLES)
def test_example_runs(test, tmp_path, monkeypatch):
    if test.name == "export":
        pytest.importorskip("onnx")
    monkeypatch.chdir(tmp_path)
    ember.manual_seed(0)
    test.globs = {**test.globs, "ember": ember, "nn": ember.nn}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda text: pytest.fail(text, pytrace=False))
    assert runner.failures == 0

"""The user documentation of ``ember.nn``: every public layer, ``Parameter`` and ``Buffer``,
and every public function of ``nn.init``, ``nn.utils`` and ``nn.parallel`` documents its
arguments (and a layer its shapes and learnable attributes), and its example runs and prints
what it says it prints, on Ember and, as the oracle, on PyTorch.

The examples are run as doctests with ``ember`` and ``nn`` (``ember.nn``) as their only names,
so a user can paste them after ``import ember`` and ``from ember import nn``.
"""

from __future__ import annotations

import doctest
import inspect
import re

import numba  # noqa: F401  (see below)
import pytest

import ember
from ember import nn
from ember.nn import init

# Numba's import runs colorama's init() and deinit(), which save and later restore
# sys.stdout. Imported by Ember's background kernel loader while a doctest has replaced
# sys.stdout, it would put back the old stream mid-example and the example would print nothing;
# imported here first, in the main thread, it cannot.

# Files whose classes are documented by other work in progress (the module base class and the
# dropout family); remove a file from this set to hold its classes to the same rules.
EXCLUDED_FILES = {
    "ember.nn.modules.module",  # Module itself: documented with the Module machinery
}

# Containers: their parameters are the entries a user puts in, so they have no Attributes:.
CONTAINERS = {"ModuleDict", "ModuleList", "ParameterDict", "ParameterList"}

SECTION = re.compile(r"^(\w[\w ]*):\s*$")


def _public_modules() -> list[type]:
    found = []
    for name in sorted(set(dir(nn))):
        obj = getattr(nn, name)
        if (not name.startswith("_") and inspect.isclass(obj) and issubclass(obj, nn.Module)
                and obj.__module__ not in EXCLUDED_FILES):
            found.append(obj)
    return found


def _public_functions() -> list:
    """The public functions of ``nn.init``, ``nn.utils`` and ``nn.parallel``."""
    found = [getattr(m, name) for m in (init, nn.utils, nn.parallel) for name in m.__all__
             if not name.startswith("_")]
    return [f for f in found if inspect.isfunction(f)]


def _sections(doc: str) -> dict[str, list[str]]:
    """Google-style sections of a cleaned docstring: title -> the lines under it."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in doc.splitlines():
        match = SECTION.match(line)
        if match and not line.startswith(" "):
            current = match.group(1)
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def _entry_names(lines: list[str]) -> set[str]:
    """The names an ``Args:`` or ``Attributes:`` section describes (``name:``, ``name (t):``,
    ``weight_ih_l[k] (Tensor):``)."""
    names = set()
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    for line in lines:
        if line.strip() and len(line) - len(line.lstrip()) == indent:
            match = re.match(r"\s*\*{0,2}([\w\[\]]+)\s*(\([^)]*\))?:", line)
            if match:
                names.add(match.group(1))
    return names


def _named_params(fn) -> list[str]:
    """The parameters a user names: not ``self``, ``*args``/``**kwargs`` or ``_private``."""
    params = inspect.signature(fn).parameters.values()
    return [p.name for p in params
            if p.name != "self" and not p.name.startswith("_")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


class _AsEmber(doctest.OutputChecker):
    """Compares PyTorch's output with the example's after renaming ``torch.`` to ``ember.``."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return super().check_output(want, got.replace("torch.", "ember."), optionflags)


def _run_examples(obj, name: str, library=ember) -> dict:
    """Runs the ``>>>`` lines of ``obj``'s docstring with ``ember`` and ``nn`` bound to
    ``library`` and its ``nn``; fails on an error or an output other than the one written."""
    globs = {"ember": library, "nn": library.nn}
    tests = doctest.DocTestFinder(recurse=False).find(obj, name, globs=globs)
    examples = [ex for t in tests for ex in t.examples]
    assert examples, f"{name}: the Example section has no >>> lines"
    runner = doctest.DocTestRunner(
        checker=None if library is ember else _AsEmber(),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in tests:
        runner.run(test, clear_globs=False, out=report.append)
    assert runner.failures == 0, f"{name}: its example fails:\n" + "".join(report)
    return tests[0].globs


@pytest.fixture(autouse=True)
def _seeded():
    ember.manual_seed(0)


MODULES = _public_modules()
FUNCTIONS = _public_functions()
TENSOR_CLASSES = [nn.Parameter, nn.Buffer]


def test_the_set_of_layers_is_not_empty():
    names = {cls.__name__ for cls in MODULES}
    assert {"Linear", "Conv2d", "LSTM", "Transformer", "MSELoss", "Sequential"} <= names
    assert len(MODULES) > 100


@pytest.mark.parametrize("cls", MODULES, ids=lambda c: c.__name__)
def test_layer_docstring_sections(cls):
    doc = inspect.getdoc(cls)
    assert doc, f"{cls.__name__} has no docstring"
    sections = _sections(doc)
    summary = [x for x in sections[""] if x.strip()]
    assert len(" ".join(summary)) > 30, f"{cls.__name__}: the summary says too little"
    params = _named_params(cls.__init__)
    if params:
        assert "Args" in sections, f"{cls.__name__} has no Args: section"
        missing = [p for p in params if p not in _entry_names(sections["Args"])]
        assert not missing, f"{cls.__name__}: Args: does not describe {missing}"
    if cls.forward is not nn.Module.forward:
        assert "Shape" in sections, f"{cls.__name__} has no Shape: section"
    assert "Example" in sections, f"{cls.__name__} has no Example: section"


@pytest.mark.parametrize("cls", MODULES, ids=lambda c: c.__name__)
def test_layer_example_runs_and_documents_its_parameters(cls):
    name = cls.__name__
    globs = _run_examples(cls, name)
    built = [v for v in globs.values() if type(v) is cls]
    assert built, f"{name}: the example does not build an nn.{name}"
    # The recurrent layers number their parameters per layer: weight_ih_l0 is weight_ih_l[k].
    own = {re.sub(r"_l\d+", "_l[k]", n)
           for m in built for n, _ in m.named_parameters(recurse=False)}
    if own and name not in CONTAINERS:
        sections = _sections(inspect.getdoc(cls))
        assert "Attributes" in sections, f"{name} has parameters but no Attributes: section"
        missing = own - _entry_names(sections["Attributes"])
        assert not missing, f"{name}: Attributes: does not describe {sorted(missing)}"


@pytest.mark.parametrize("obj", [*MODULES, *FUNCTIONS, *TENSOR_CLASSES],
                         ids=lambda o: o.__name__)
def test_example_prints_what_pytorch_prints(obj):
    """The same example run on PyTorch (``ember`` bound to ``torch``) prints the same text, so
    the outputs written in the docstrings are PyTorch's, not only Ember's."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    _run_examples(obj, obj.__name__, library=torch)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_function_docstring(fn):
    """``nn.init``, ``nn.utils`` and ``nn.parallel`` functions: Args:, Returns: (unless they
    return None), and an example that calls the function."""
    doc = inspect.getdoc(fn)
    assert doc, f"{fn.__name__} has no docstring"
    sections = _sections(doc)
    missing = [p for p in _named_params(fn) if p not in _entry_names(sections.get("Args", []))]
    assert not missing, f"{fn.__name__}: Args: does not describe {missing}"
    returns = inspect.signature(fn).return_annotation
    if returns not in ("None", inspect.Signature.empty):
        assert "Returns" in sections, f"{fn.__name__} has no Returns: section"
    assert "Example" in sections, f"{fn.__name__} has no Example: section"
    assert any(f".{fn.__name__}(" in line for line in sections["Example"]), (
        f"{fn.__name__}: the example does not call it")
    _run_examples(fn, fn.__name__)


@pytest.mark.parametrize("cls", TENSOR_CLASSES, ids=lambda c: c.__name__)
def test_tensor_class_docstring(cls):
    """``nn.Parameter`` and ``nn.Buffer``: Args: and an example that builds one."""
    sections = _sections(inspect.getdoc(cls))
    missing = [p for p in _named_params(cls.__init__)
               if p not in _entry_names(sections.get("Args", []))]
    assert not missing, f"{cls.__name__}: Args: does not describe {missing}"
    assert any(f"nn.{cls.__name__}(" in line for line in sections.get("Example", [])), (
        f"{cls.__name__}: the example does not build one")
    _run_examples(cls, cls.__name__)


def test_checks_can_fail():
    """The helpers reject a docstring that lacks what the tests ask for."""

    class Bare(nn.Module):
        """Does something.

        Args:
            width: how wide.

        Example:
            >>> 1 + 1
            3
        """

        def __init__(self, width: int, depth: int) -> None:
            super().__init__()

    sections = _sections(inspect.getdoc(Bare))
    assert _entry_names(sections["Args"]) == {"width"}
    assert "Shape" not in sections
    with pytest.raises(AssertionError, match="its example fails"):
        _run_examples(Bare, "Bare")

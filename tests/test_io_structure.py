"""Structure of the I/O side (serialization, sparse, data, onnx, Module, the CLI and training):
no module there reaches compiled kernels or raw memory around the backend seam; the kernels
are reached through ``ember.backend.get_backend(device).kernels(family)``."""

import ast
from pathlib import Path

import pytest

import ember

SRC = Path(ember.__file__).parent
FILES = sorted(
    [SRC / "serialization.py", SRC / "nn" / "modules" / "module.py", SRC / "cli.py",
     SRC / "training.py"]
    + [p for d in ("sparse", "utils/data", "onnx", "datasets") for p in (SRC / d).glob("*.py")]
)
FORBIDDEN = ("ember.kernels", "ember.memory")


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module an import statement names, ``from ember import kernels`` as
    ``ember.kernels``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def test_the_checker_sees_both_import_forms():
    tree = ast.parse("import ember.kernels.cache\nfrom ember import memory\n")
    assert {"ember.kernels.cache", "ember.memory"} <= set(imported_modules(tree))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_import_around_the_backend_seam(path):
    names = imported_modules(ast.parse(path.read_text()))
    bad = [n for n in names if any(n == f or n.startswith(f + ".") for f in FORBIDDEN)]
    assert not bad, f"{path.name} imports {bad}; use get_backend().kernels(<family>)"

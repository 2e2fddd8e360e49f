"""``ember.compile`` and ``ember.compiler``: PyTorch's compiler entry points. Ember does not
compile: ``compile`` returns a callable that runs the same eager code with identical results,
so programs written for ``torch.compile`` run unchanged."""

from __future__ import annotations

import functools

from ember.nn.modules.module import Module

__all__ = ["OptimizedModule", "compile", "disable", "is_compiling", "reset"]


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",
            mode=None, options=None, disable: bool = False):
    """Returns ``model`` ready to call, as ``torch.compile`` does, without compiling it.

    Ember does not compile: it runs eager code only, so the result computes exactly what
    ``model`` computes. A module
    comes back wrapped as PyTorch wraps it (an ``OptimizedModule`` whose ``_orig_mod`` is the
    module, so state-dict keys carry PyTorch's ``_orig_mod.`` prefix); a function comes back
    wrapped with ``functools.wraps``. Used as ``@compile`` or ``@compile(mode=...)``.

    Args:
        model: a module or function; None when used as a decorator with arguments.
        fullgraph, dynamic, backend, mode, options, disable: accepted for compatibility;
            they change nothing.

    Returns:
        The wrapped module or function (or a decorator when ``model`` is None).
    """
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                  mode=mode, options=options, disable=disable)
    if isinstance(model, Module):
        return OptimizedModule(model)
    if not callable(model):
        raise RuntimeError("compile() expects a callable (a module or a function)")

    @functools.wraps(model)
    def run(*args, **kwargs):
        return model(*args, **kwargs)

    return run


def is_compiling() -> bool:
    """False: Ember never runs code under a compiler."""
    return False


def disable(fn=None, recursive: bool = True, *, reason=None):
    """Returns ``fn`` unchanged (there is no compiler to keep away from it)."""
    if fn is None:
        return lambda f: f
    return fn


def reset() -> None:
    """Does nothing: Ember keeps no compiled code to clear."""


class OptimizedModule(Module):
    """The module ``compile`` returns: runs ``_orig_mod`` and reads its attributes."""

    def __init__(self, mod: Module) -> None:
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._orig_mod, name)

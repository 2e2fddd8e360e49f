"""``ember.jit``: what eager PyTorch code uses of ``torch.jit``; Ember has no TorchScript.

The decorators and questions that model code uses in eager mode behave as they do in eager
PyTorch (``ignore``, ``unused``, ``export`` return the function; ``is_scripting()`` is False).
``script`` and ``trace`` raise a clear error: Ember cannot compile to TorchScript, and the model
runs as it is without them.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "Final",
    "annotate",
    "export",
    "ignore",
    "is_scripting",
    "is_tracing",
    "script",
    "trace",
    "unused",
]

_NO_TORCHSCRIPT = (
    "Ember has no TorchScript: {name} cannot compile {what}. Call the model or function "
    "directly (remove the {name} call); ember.onnx.export is the way to export a model."
)


def _what(obj) -> str:
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def script(obj, *args, **kwargs):
    """Raises ``RuntimeError``: Ember cannot compile to TorchScript."""
    raise RuntimeError(_NO_TORCHSCRIPT.format(name="torch.jit.script", what=_what(obj)))


def trace(func, *args, **kwargs):
    """Raises ``RuntimeError``: Ember cannot trace to TorchScript."""
    raise RuntimeError(_NO_TORCHSCRIPT.format(name="torch.jit.trace", what=_what(func)))


def ignore(drop=False, **kwargs):
    """Leaves the function as it is (as eager PyTorch does); usable with or without arguments."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    """Leaves the function as it is (as eager PyTorch does)."""
    return fn


def export(fn):
    """Leaves the function as it is (as eager PyTorch does)."""
    return fn


def is_scripting() -> bool:
    """False: code never runs under TorchScript in Ember."""
    return False


def is_tracing() -> bool:
    """False: code never runs under the TorchScript tracer in Ember."""
    return False


def annotate(the_type, the_value):
    """Returns ``the_value`` (a type hint for TorchScript, which eager code ignores)."""
    return the_value

"""The errors of ``ember.onnx``, as ``torch.onnx.errors``.

Both the exporter (:mod:`ember.onnx.export`) and the op translations
(:mod:`ember.onnx.symbolics`) raise them, so they live below both.
"""

from __future__ import annotations

__all__ = ["UnsupportedOperatorError"]


class UnsupportedOperatorError(RuntimeError):
    """An op of the model has no ONNX translation (yet)."""


def _unsupported(call_name: str, detail: str = "") -> UnsupportedOperatorError:
    """The error for the op ``call_name`` that cannot be exported, with why in ``detail``."""
    more = f" ({detail})" if detail else ""
    return UnsupportedOperatorError(f"ember.onnx.export does not support the op {call_name} "
                                    f"yet{more}")

"""Affine maps."""

from __future__ import annotations

from ember.ops.linalg import linear_raw
from ember.tensor import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    Shape:
        input ``(*, in_features)``, weight ``(out_features, in_features)``, bias
        ``(out_features,)``, output ``(*, out_features)``.
    """
    return linear_raw(input, weight, bias)

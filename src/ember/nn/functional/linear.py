"""Affine maps."""

from __future__ import annotations

from ember.ops.linalg import einsum, linear_raw
from ember.tensor import Tensor

__all__ = ["bilinear", "linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    Shape:
        input ``(*, in_features)``, weight ``(out_features, in_features)``, bias
        ``(out_features,)``, output ``(*, out_features)``.
    """
    return linear_raw(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """``y_k = input1 @ weight[k] @ input2 + bias_k``.

    Shape:
        input1 ``(*, in1)``, input2 ``(*, in2)``, weight ``(out, in1, in2)``, bias ``(out,)``,
        output ``(*, out)``.
    """
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias

"""Attention: ``scaled_dot_product_attention``, composed of differentiable ops.

``softmax(q k^T * scale + mask) v``, with dropout on the attention weights, as PyTorch defines
it. A query row whose keys are all masked out gets zero weights (output zero, no NaN in the
gradients), as PyTorch's CPU kernels give.
"""

from __future__ import annotations

import math

import numpy as np

from ember._dtype import SCALAR_TYPE_NAMES
from ember.nn.functional.activation import softmax
from ember.nn.functional.dropout import dropout
from ember.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]


#: How PyTorch's attention errors print dtypes (C++ type names).
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


def _check_inputs(query: Tensor, key: Tensor, value: Tensor, attn_mask, dropout_p: float,
                  is_causal: bool) -> None:
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            "instead.")
    q, k, v = (t._data.dtype for t in (query, key, value))
    if not q == k == v:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_C_NAMES[q.name]} key.dtype: {_C_NAMES[k.name]} and value.dtype: "
            f"{_C_NAMES[v.name]} instead.")
    if q.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {SCALAR_TYPE_NAMES[q.name]}")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(
            f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not "
                               "be set when is_causal=True")
        m = attn_mask._data.dtype
        if m != np.bool_ and m != np.float32 and m != q:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                f"attn_mask.dtype: {_C_NAMES[m.name]} and  query.dtype: {_C_NAMES[q.name]} "
                "instead.")


def _repeat_heads(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Key and value heads repeated to match the query's (grouped-query attention)."""
    heads = query.shape[-3] if query.dim() >= 3 else 1
    kv_heads = key.shape[-3] if key.dim() >= 3 else 1
    if (key.dim() < 3 or value.dim() < 3 or heads % kv_heads
            or value.shape[-3] != kv_heads):
        raise RuntimeError("Number of heads in key and value must divide the number of heads "
                           "in query")
    groups = heads // kv_heads
    if groups == 1:
        return key, value
    return key.repeat_interleave(groups, dim=-3), value.repeat_interleave(groups, dim=-3)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value`` (..., S, Ev).

    Args:
        query, key, value: floating tensors of one dtype; leading dims broadcast.
        attn_mask: broadcastable to (..., L, S): bool (True takes part in attention) or a
            float bias added to the scores (float32 or the query's dtype).
        dropout_p: dropout probability on the attention weights. Applied whenever it is
            positive, as in PyTorch (pass 0.0 outside training).
        is_causal: query ``i`` attends to keys ``0..i`` (a top-left aligned lower triangle);
            exclusive with ``attn_mask``.
        scale: the score scale; ``1 / sqrt(E)`` if None.
        enable_gqa: key/value may have fewer heads (dim -3) than the query, a divisor of it.

    Returns:
        Tensor (..., L, Ev).
    """
    _check_inputs(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    length, source = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = (query @ key.transpose(-2, -1)) * factor
    allowed = None
    if is_causal:
        allowed = Tensor._make(np.tril(np.ones((length, source), dtype=np.bool_)))
    elif attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            allowed = attn_mask
        else:
            scores = scores + attn_mask.to(scores.dtype)
    if allowed is not None:
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
    # A row with every key masked out: zero weights, computed from finite scores so that no
    # NaN reaches the gradients.
    dead = (scores == float("-inf")).all(dim=-1, keepdim=True)
    any_dead = bool(dead.any())
    if any_dead:
        scores = scores.masked_fill(dead, 0.0)
    weights = softmax(scores, dim=-1)
    if any_dead:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value

"""Attention, composed of differentiable ops: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (the computation of ``nn.MultiheadAttention``).

``softmax(q k^T * scale + mask) v``, with dropout on the attention weights, as PyTorch defines
it. In ``scaled_dot_product_attention`` a query row whose keys are all masked out gets zero
weights (output zero, no NaN in the gradients), as PyTorch's CPU kernels give.
"""

from __future__ import annotations

import math

import numpy as np

from ember import _dtype, ops
from ember._dtype import SCALAR_TYPE_NAMES
from ember.nn.functional.activation import softmax
from ember.nn.functional.dropout import dropout
from ember.nn.functional.linear import linear
from ember.tensor import Tensor

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


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
    if not _dtype.is_floating(q):
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


def _canonical_mask(mask, name: str, dtype) -> Tensor | None:
    """A bool mask (True = masked out) as a float bias of ``-inf`` / 0; a float mask as is."""
    if mask is None:
        return None
    kind = mask._data.dtype
    if kind == np.bool_:
        return ops.zeros(mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))
    if not _dtype.is_floating(kind):
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """Multi-head attention of ``query`` (L, N, E) over ``key`` (S, N, Ek) / ``value`` (S, N, Ev).

    PyTorch's ``F.multi_head_attention_forward``: in-projection (packed ``in_proj_weight`` or
    the separate ``q/k/v_proj_weight``), optional learnt key/value biases appended as an extra
    source position, an optional all-zero position, ``num_heads`` heads of scaled dot-product
    attention with dropout on the weights (in training), out-projection. Unbatched inputs
    (L, E) are accepted. Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or
    (N * num_heads, L, S), bool (True = not attended) or float (added to the scores).

    Returns:
        ``(attn_output, attn_weights)``: (L, N, E) and, with ``need_weights``, the weights
        (N, L, S), averaged over heads unless ``average_attn_weights`` is False (then
        (N, num_heads, L, S)); else None.
    """
    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)

    if use_separate_proj_weight:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b_q)
        k = linear(key, k_proj_weight, b_k)
        v = linear(value, v_proj_weight, b_v)
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, key.shape[0]):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, key.shape[0])}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, key.shape[0]):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, key.shape[0])}.")
    if bias_k is not None and bias_v is not None:
        k = ops.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ops.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else ops.pad(attn_mask, (0, 1))
        key_padding_mask = (None if key_padding_mask is None
                            else ops.pad(key_padding_mask, (0, 1)))

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
         if static_k is None else static_k)
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
         if static_v is None else static_v)
    if add_zero_attn:
        k = ops.cat([k, ops.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype)], dim=1)
        v = ops.cat([v, ops.zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype)], dim=1)
        attn_mask = None if attn_mask is None else ops.pad(attn_mask, (0, 1))
        key_padding_mask = (None if key_padding_mask is None
                            else ops.pad(key_padding_mask, (0, 1)))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {key_padding_mask.shape}")
        padding = (key_padding_mask.reshape(bsz, 1, 1, src_len)
                   .expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len))
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0

    if not need_weights:  # as PyTorch: through SDPA, so a query with no key gets zeros
        if attn_mask is not None:
            attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                         else attn_mask.reshape(bsz, num_heads, -1, src_len))
        heads = [t.reshape(bsz, num_heads, -1, head_dim) for t in (q, k, v)]
        out = scaled_dot_product_attention(*heads, attn_mask, dropout_p)
        out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        return (out if batched else out.squeeze(1)), None
    scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights

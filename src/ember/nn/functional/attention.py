"""Attention, composed of differentiable ops: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (the computation of ``nn.MultiheadAttention``).

``softmax(q k^T * scale + mask) v``, with dropout on the attention weights, as PyTorch defines
it. In ``scaled_dot_product_attention`` a query row whose keys are all masked out gets zero
weights (output zero, no NaN in the gradients), as PyTorch's CPU kernels give.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ember import _dtype, ops
from ember._dtype import c_type_name, scalar_type_name
from ember.nn.functional.activation import softmax
from ember.nn.functional.dropout import dropout
from ember.nn.functional.linear import linear
from ember.tensor import Tensor

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


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
            f"{c_type_name(q)} key.dtype: {c_type_name(k)} and value.dtype: "
            f"{c_type_name(v)} instead.")
    if not _dtype.is_floating(q):
        raise RuntimeError(f"expected scalar type Float but found {scalar_type_name(q)}")
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
                f"attn_mask.dtype: {c_type_name(m)} and  query.dtype: {c_type_name(q)} "
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
    """Attention of ``query`` over ``key`` and ``value``: ``softmax(q k^T * scale + mask) v``.

    A query row whose keys are all masked out gets zero weights (output zero, no NaN in the
    gradients), as PyTorch's CPU kernels give.

    Args:
        query: ``(..., L, E)``, floating; leading dims broadcast with the key's and value's.
        key: ``(..., S, E)``, the query's dtype.
        value: ``(..., S, Ev)``, the query's dtype.
        attn_mask: broadcastable to ``(..., L, S)``: bool (True takes part in attention) or a
            float bias added to the scores (float32 or the query's dtype).
        dropout_p: dropout probability on the attention weights. Applied whenever it is
            positive, as in PyTorch (pass 0.0 outside training).
        is_causal: query ``i`` attends to keys ``0..i`` (a top-left aligned lower triangle);
            exclusive with ``attn_mask``.
        scale: the score scale; ``1 / sqrt(E)`` if None.
        enable_gqa: key and value may have fewer heads (dim -3) than the query, a divisor of it.

    Returns:
        The attention output ``(..., L, Ev)``.

    Example:
        >>> q, k, v = ember.randn(2, 4, 6, 8), ember.randn(2, 4, 5, 8), ember.randn(2, 4, 5, 3)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        ember.Size([2, 4, 6, 3])
    """
    _check_inputs(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa:
        key, value = _repeat_heads(query, key, value)
    length, source = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = (query @ key.transpose(-2, -1)) * factor
    if is_causal:
        scores = scores.masked_fill(Tensor._make(_causal_blocked(length, source)), float("-inf"))
    elif attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask.to(scores.dtype)
    # A row with every key masked out: zero weights, computed from finite scores so that no
    # NaN reaches the gradients (found on the arrays: no op dispatch when there is none).
    dead_rows = np.all(scores._data == -np.inf, axis=-1, keepdims=True)
    any_dead = bool(dead_rows.any())
    if any_dead:
        dead = Tensor._make(dead_rows)
        scores = scores.masked_fill(dead, 0.0)
    weights = softmax(scores, dim=-1)
    if any_dead:
        weights = weights.masked_fill(dead, 0.0)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


@functools.lru_cache(maxsize=16)
def _causal_blocked(length: int, source: int) -> np.ndarray:
    """The keys a causal query row may not see: above the top-left aligned diagonal (built
    once per shape; read-only, as it is shared)."""
    blocked = ~np.tril(np.ones((length, source), dtype=np.bool_))
    blocked.flags.writeable = False
    return blocked


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


def _check_embedding(query: Tensor, embed_dim_to_check: int, num_heads: int, is_causal: bool,
                     attn_mask) -> int:
    """PyTorch's checks of the embedding size and the causal hint; returns the head size."""
    embed_dim = query.shape[2]
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
    return head_dim


def _in_projection(query: Tensor, key: Tensor, value: Tensor, weights: tuple, in_proj_bias):
    """``q, k, v``: each input through its ``(weight, bias)``; the bias is split in three."""
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases,
                                                      strict=True))


def _check_attn_mask(attn_mask, tgt_len: int, src_len: int, heads: int) -> Tensor | None:
    """A 2-D ``(L, S)`` or 3-D ``(N * num_heads, L, S)`` mask, as 3-D."""
    if attn_mask is None:
        return None
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                f"{(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if tuple(attn_mask.shape) != (heads, tgt_len, src_len):
        raise RuntimeError(
            f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
            f"{(heads, tgt_len, src_len)}.")
    return attn_mask


def _append_source(k: Tensor, v: Tensor, extra_k: Tensor, extra_v: Tensor, dim: int,
                   masks: tuple) -> tuple:
    """Keys and values with one more source position (``extra_k``, ``extra_v`` along ``dim``),
    and the masks ``(attn_mask, key_padding_mask)`` with a column that lets it be attended."""
    masks = tuple(None if m is None else ops.pad(m, (0, 1)) for m in masks)
    return ops.cat([k, extra_k], dim=dim), ops.cat([v, extra_v], dim=dim), masks


def _with_padding_mask(attn_mask, key_padding_mask, bsz: int, num_heads: int, src_len: int):
    """``attn_mask`` plus ``key_padding_mask`` (N, S) repeated over the heads."""
    if key_padding_mask is None:
        return attn_mask
    if tuple(key_padding_mask.shape) != (bsz, src_len):
        raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                             f"got {key_padding_mask.shape}")
    padding = (key_padding_mask.reshape(bsz, 1, 1, src_len)
               .expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len))
    return padding if attn_mask is None else attn_mask + padding


def _attend_without_weights(q: Tensor, k: Tensor, v: Tensor, attn_mask, dropout_p: float,
                            bsz: int, num_heads: int) -> Tensor:
    """The heads' attention, ``(L * N, E)``, through :func:`scaled_dot_product_attention`, as
    PyTorch when no weights are asked for (so a query with no key gets zeros)."""
    src_len, head_dim = k.shape[1], k.shape[2]
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    heads = [t.reshape(bsz, num_heads, -1, head_dim) for t in (q, k, v)]
    out = scaled_dot_product_attention(*heads, attn_mask, dropout_p)
    return out.permute(2, 0, 1, 3).reshape(-1, num_heads * head_dim)


def _attend_with_weights(q: Tensor, k: Tensor, v: Tensor, attn_mask, dropout_p: float,
                         num_heads: int) -> tuple:
    """The heads' attention, ``(L * N, E)``, and weights ``(N * num_heads, L, S)``."""
    head_dim = q.shape[2]
    scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    out = (weights @ v).transpose(0, 1).reshape(-1, num_heads * head_dim)
    return out, weights


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """Multi-head attention of ``query`` over ``key`` and ``value`` (``nn.MultiheadAttention``).

    In-projection (packed ``in_proj_weight`` or the separate ``q/k/v_proj_weight``), optional
    learnt key/value biases appended as an extra source position, an optional all-zero
    position, ``num_heads`` heads of scaled dot-product attention with dropout on the weights
    (in training), out-projection.

    Args:
        query, key, value: the inputs (see Shape).
        embed_dim_to_check: the expected ``E`` of ``query``.
        num_heads: the number of heads; divides ``E``.
        in_proj_weight: ``(3 E, E)``, the packed query/key/value projections.
        in_proj_bias: ``(3 E,)`` or None.
        bias_k, bias_v: ``(1, 1, E)`` biases appended to the keys and values, or None.
        add_zero_attn: append a position of zeros to the keys and values.
        dropout_p: dropout probability on the attention weights (in training).
        out_proj_weight: ``(E, E)``.
        out_proj_bias: ``(E,)`` or None.
        training: apply dropout.
        key_padding_mask: ``(N, S)``; bool (True = ignore that key) or float (added to the
            scores).
        need_weights: also return the attention weights (else None, computed through
            :func:`scaled_dot_product_attention`).
        attn_mask: ``(L, S)`` or ``(N * num_heads, L, S)``; bool (True = not attended) or float.
        use_separate_proj_weight: project with ``q/k/v_proj_weight`` instead of the packed one.
        q_proj_weight, k_proj_weight, v_proj_weight: ``(E, E)``, ``(E, Ek)``, ``(E, Ev)``.
        static_k, static_v: ``(N * num_heads, S, E / num_heads)`` keys and values used as they
            are, instead of the projected ones.
        average_attn_weights: average the returned weights over the heads.
        is_causal: a hint that ``attn_mask`` is causal (it must still be given).

    Returns:
        ``(attn_output, attn_weights)``; the weights are None without ``need_weights``.

    Shape:
        - query: ``(L, N, E)`` or unbatched ``(L, E)``.
        - key: ``(S, N, Ek)`` or ``(S, Ek)``; value: ``(S, N, Ev)`` or ``(S, Ev)``.
        - attn_output: ``(L, N, E)`` or ``(L, E)``.
        - attn_weights: ``(N, L, S)``, or ``(N, num_heads, L, S)`` unless
          ``average_attn_weights``; without the ``N`` when unbatched.
    """
    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    head_dim = _check_embedding(query, embed_dim_to_check, num_heads, is_causal, attn_mask)
    heads = bsz * num_heads
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
    proj = ((q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight
            else in_proj_weight.chunk(3))
    q, k, v = _in_projection(query, key, value, proj, in_proj_bias)
    attn_mask = _check_attn_mask(attn_mask, tgt_len, key.shape[0], heads)
    if bias_k is not None and bias_v is not None:
        k, v, (attn_mask, key_padding_mask) = _append_source(
            k, v, bias_k.repeat(1, bsz, 1), bias_v.repeat(1, bsz, 1), 0,
            (attn_mask, key_padding_mask))
    q = q.reshape(tgt_len, heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], heads, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], heads, head_dim).transpose(0, 1) if static_v is None else static_v
    if add_zero_attn:
        k, v, (attn_mask, key_padding_mask) = _append_source(
            k, v, ops.zeros((heads, 1, head_dim), dtype=k.dtype),
            ops.zeros((heads, 1, head_dim), dtype=v.dtype), 1, (attn_mask, key_padding_mask))
    src_len = k.shape[1]
    attn_mask = _with_padding_mask(attn_mask, key_padding_mask, bsz, num_heads, src_len)
    if not training:
        dropout_p = 0.0
    weights = None
    if need_weights:
        out, weights = _attend_with_weights(q, k, v, attn_mask, dropout_p, num_heads)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    else:
        out = _attend_without_weights(q, k, v, attn_mask, dropout_p, bsz, num_heads)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if batched:
        return out, weights
    return out.squeeze(1), None if weights is None else weights.squeeze(0)

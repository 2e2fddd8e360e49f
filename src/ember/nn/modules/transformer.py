"""Transformer layers as PyTorch defines them: encoder and decoder layers and stacks, and
``Transformer``. Each is composed of ``MultiheadAttention``, ``Linear``, ``Dropout`` and
``LayerNorm``, with PyTorch's submodule names, so state_dicts load either way.

PyTorch's inference fast path (eval mode, no gradients) may pack a batch with a key padding
mask into a nested tensor and return zeros at the padded positions of ``TransformerEncoder``'s
output; Ember always computes every position (attention ignores the padded keys either way).
"""

from __future__ import annotations

import copy

import numpy as np

from ember import ops
from ember._dtype import get_default_dtype
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.activation import MultiheadAttention
from ember.nn.modules.container import ModuleList
from ember.nn.modules.dropout import Dropout
from ember.nn.modules.linear import Linear
from ember.nn.modules.module import Module
from ember.nn.modules.normalization import LayerNorm
from ember.tensor import Tensor

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]


def _activation(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if isinstance(activation, str):
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    return activation


def _build_layer(layer: Module, blocks: int, d_model: int, nhead: int, dim_feedforward: int,
                 dropout: float, activation, layer_norm_eps: float, batch_first: bool,
                 norm_first: bool, bias: bool, dtype) -> None:
    """Registers a Transformer layer's submodules in PyTorch's order and names: ``blocks`` is 2
    for an encoder layer (self-attention, feed-forward) and 3 for a decoder layer (plus
    attention over the memory), each block with its ``norm<k>`` and ``dropout<k>``."""

    def attention() -> MultiheadAttention:
        return MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                  batch_first=batch_first, dtype=dtype)

    layer.self_attn = attention()
    if blocks == 3:
        layer.multihead_attn = attention()
    layer.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
    layer.dropout = Dropout(dropout)
    layer.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
    layer.norm_first = norm_first
    for k in range(1, blocks + 1):
        setattr(layer, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                             dtype=dtype))
    for k in range(1, blocks + 1):
        setattr(layer, f"dropout{k}", Dropout(dropout))
    layer.activation = _activation(activation)


class TransformerEncoderLayer(Module):
    """One Transformer encoder layer: self-attention, then a two-layer feed-forward network, each
    with dropout, a residual connection and layer normalization, as in "Attention Is All You
    Need". With the default post-norm::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    With ``norm_first=True`` (pre-norm) each block normalises its input instead:
    ``x = x + dropout1(self_attn(norm1(x), ...))`` and likewise for the feed-forward block.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: ``src_mask``
    is an attention mask (boolean ``True`` = not allowed, or float added to the scores),
    ``src_key_padding_mask`` marks padded source positions, and ``is_causal`` is a hint that
    ``src_mask`` is the causal mask.

    Args:
        d_model: the number of features of the input and output ``E``.
        nhead: the number of attention heads; must divide ``d_model``.
        dim_feedforward: the hidden size of the feed-forward network. Default: ``2048``.
        dropout: the dropout probability, on the attention weights and in the three dropout
            layers. Default: ``0.1``.
        activation: the feed-forward activation: ``'relu'``, ``'gelu'`` or a callable.
            Default: ``'relu'``.
        layer_norm_eps: the ``eps`` of the layer normalizations. Default: ``1e-5``.
        batch_first: inputs and output are ``(N, S, E)`` instead of ``(S, N, E)``.
            Default: ``False``.
        norm_first: normalise before each block (pre-norm) instead of after the residual
            addition. Default: ``False``.
        bias: learn biases in the linear layers and the layer normalizations. Default: ``True``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        self_attn (MultiheadAttention): the self-attention.
        linear1 (Linear): the first feed-forward layer, ``d_model -> dim_feedforward``.
        linear2 (Linear): the second feed-forward layer, ``dim_feedforward -> d_model``.
        norm1 (LayerNorm): the normalization of the attention block.
        norm2 (LayerNorm): the normalization of the feed-forward block.
        dropout (Dropout): the dropout inside the feed-forward block.
        dropout1 (Dropout): the dropout on the attention output.
        dropout2 (Dropout): the dropout on the feed-forward output.

    Shape:
        - src: ``(S, E)`` unbatched, ``(S, N, E)``, or ``(N, S, E)`` with ``batch_first``;
          ``S`` is the sequence length.
        - src_mask: ``(S, S)`` or ``(N * nhead, S, S)``.
        - src_key_padding_mask: ``(S,)`` unbatched or ``(N, S)``.
        - Output: the shape of ``src``.

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> src = ember.randn(10, 2, 16)
        >>> layer(src).shape
        ember.Size([10, 2, 16])
        >>> layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=True)
        >>> layer(ember.randn(2, 10, 16)).shape
        ember.Size([2, 10, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        _build_layer(self, 2, d_model, nhead, dim_feedforward, dropout, activation,
                     layer_norm_eps, batch_first, norm_first, bias, dtype)

    def forward(self, src: Tensor, src_mask=None, src_key_padding_mask=None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """One Transformer decoder layer: self-attention over the target, attention over the
    encoder's output (``memory``), then a two-layer feed-forward network; each with dropout, a
    residual connection and layer normalization. With the default post-norm::

        x = norm1(x + dropout1(self_attn(x, x, x)))
        x = norm2(x + dropout2(multihead_attn(x, memory, memory)))
        x = norm3(x + dropout3(linear2(dropout(activation(linear1(x))))))

    With ``norm_first=True`` (pre-norm) each block normalises its input instead.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``; the masks are
    as in :class:`TransformerEncoderLayer`.

    Args:
        d_model: the number of features of the input and output ``E``.
        nhead: the number of attention heads; must divide ``d_model``.
        dim_feedforward: the hidden size of the feed-forward network. Default: ``2048``.
        dropout: the dropout probability, on the attention weights and in the four dropout
            layers. Default: ``0.1``.
        activation: the feed-forward activation: ``'relu'``, ``'gelu'`` or a callable.
            Default: ``'relu'``.
        layer_norm_eps: the ``eps`` of the layer normalizations. Default: ``1e-5``.
        batch_first: inputs and output are ``(N, T, E)`` instead of ``(T, N, E)``.
            Default: ``False``.
        norm_first: normalise before each block (pre-norm) instead of after the residual
            addition. Default: ``False``.
        bias: learn biases in the linear layers and the layer normalizations. Default: ``True``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        self_attn (MultiheadAttention): the self-attention over the target.
        multihead_attn (MultiheadAttention): the attention over the memory.
        linear1 (Linear): the first feed-forward layer, ``d_model -> dim_feedforward``.
        linear2 (Linear): the second feed-forward layer, ``dim_feedforward -> d_model``.
        norm1 (LayerNorm): the normalization of the self-attention block (likewise ``norm2``
            and ``norm3`` for the other two blocks).
        dropout1 (Dropout): the dropout on the self-attention output (likewise ``dropout2``,
            ``dropout3``; ``dropout`` is inside the feed-forward block).

    Shape:
        - tgt: ``(T, E)`` unbatched, ``(T, N, E)``, or ``(N, T, E)`` with ``batch_first``;
          ``T`` is the target length.
        - memory: ``(S, E)``, ``(S, N, E)`` or ``(N, S, E)``; ``S`` is the source length.
        - tgt_mask: ``(T, T)`` or ``(N * nhead, T, T)``; memory_mask: ``(T, S)`` or
          ``(N * nhead, T, S)``.
        - tgt_key_padding_mask: ``(T,)`` or ``(N, T)``; memory_key_padding_mask: ``(S,)`` or
          ``(N, S)``.
        - Output: the shape of ``tgt``.

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> memory, tgt = ember.randn(10, 2, 16), ember.randn(7, 2, 16)
        >>> layer(tgt, memory).shape
        ember.Size([7, 2, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        _build_layer(self, 3, d_model, nhead, dim_feedforward, dropout, activation,
                     layer_norm_eps, batch_first, norm_first, bias, dtype)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                           memory_is_causal))
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class TransformerEncoder(Module):
    """A stack of ``num_layers`` encoder layers: independent deep copies of ``encoder_layer``
    applied in turn, then ``norm`` if given.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` passes the masks to
    every layer (see :class:`TransformerEncoderLayer`).

    Args:
        encoder_layer: a :class:`TransformerEncoderLayer` to copy (it is not itself registered).
        num_layers: the number of copies.
        norm: a module applied to the last layer's output, usually a :class:`LayerNorm`.
            Default: ``None``.
        enable_nested_tensor: accepted for PyTorch compatibility; Ember never packs the batch
            into a nested tensor, so padded positions are computed, not zeroed. Default: ``True``.
        mask_check: accepted for PyTorch compatibility. Default: ``True``.

    Attributes:
        layers (ModuleList): the ``num_layers`` copies.
        norm (Module): the final normalization, or ``None``.

    Shape:
        - src: ``(S, E)``, ``(S, N, E)``, or ``(N, S, E)`` with ``batch_first`` in the layer.
        - mask: ``(S, S)`` or ``(N * nhead, S, S)``; src_key_padding_mask: ``(S,)`` or ``(N, S)``.
        - Output: the shape of ``src``.

    Example:
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=3)
        >>> encoder(ember.randn(10, 2, 16)).shape
        ember.Size([10, 2, 16])
        >>> len(encoder.layers), encoder.layers[0] is layer
        (3, False)
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm=None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask=None, src_key_padding_mask=None,
                is_causal=None) -> Tensor:
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=bool(is_causal),
                           src_key_padding_mask=src_key_padding_mask)
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` decoder layers: independent deep copies of ``decoder_layer``
    applied in turn to the target, each attending to the same ``memory``, then ``norm`` if
    given.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`` passes the
    masks to every layer (see :class:`TransformerDecoderLayer`).

    Args:
        decoder_layer: a :class:`TransformerDecoderLayer` to copy (it is not itself registered).
        num_layers: the number of copies.
        norm: a module applied to the last layer's output, usually a :class:`LayerNorm`.
            Default: ``None``.

    Attributes:
        layers (ModuleList): the ``num_layers`` copies.
        norm (Module): the final normalization, or ``None``.

    Shape:
        - tgt: ``(T, E)``, ``(T, N, E)``, or ``(N, T, E)`` with ``batch_first`` in the layer.
        - memory: ``(S, E)``, ``(S, N, E)`` or ``(N, S, E)``.
        - Masks: as in :class:`TransformerDecoderLayer`.
        - Output: the shape of ``tgt``.

    Example:
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2, norm=nn.LayerNorm(16))
        >>> memory, tgt = ember.randn(10, 2, 16), ember.randn(7, 2, 16)
        >>> decoder(tgt, memory).shape
        ember.Size([7, 2, 16])
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm=None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=None,
                memory_is_causal: bool = False) -> Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal),
                           memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need", built as PyTorch builds it:
    a :class:`TransformerEncoder` of ``num_encoder_layers`` layers and a
    :class:`TransformerDecoder` of ``num_decoder_layers`` layers, each stack ending in a
    :class:`LayerNorm`. The encoder reads ``src``; the decoder reads ``tgt`` and attends to the
    encoder's output. Every parameter with more than one dimension is initialised
    Xavier-uniform.

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)``; for autoregressive
    decoding pass ``tgt_mask=Transformer.generate_square_subsequent_mask(T)``.

    Args:
        d_model: the number of features of the inputs and output ``E``. Default: ``512``.
        nhead: the number of attention heads; must divide ``d_model``. Default: ``8``.
        num_encoder_layers: the depth of the encoder. Default: ``6``.
        num_decoder_layers: the depth of the decoder. Default: ``6``.
        dim_feedforward: the hidden size of each feed-forward network. Default: ``2048``.
        dropout: the dropout probability throughout. Default: ``0.1``.
        activation: the feed-forward activation: ``'relu'``, ``'gelu'`` or a callable.
            Default: ``'relu'``.
        custom_encoder: a module used as the encoder instead of the default stack.
            Default: ``None``.
        custom_decoder: a module used as the decoder instead of the default stack.
            Default: ``None``.
        layer_norm_eps: the ``eps`` of the layer normalizations. Default: ``1e-5``.
        batch_first: inputs and output are ``(N, S, E)`` instead of ``(S, N, E)``.
            Default: ``False``.
        norm_first: pre-norm layers instead of post-norm. Default: ``False``.
        bias: learn biases in the linear layers and the layer normalizations. Default: ``True``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        encoder (Module): the encoder stack (or ``custom_encoder``).
        decoder (Module): the decoder stack (or ``custom_decoder``).

    Shape:
        - src: ``(S, E)`` unbatched, ``(S, N, E)``, or ``(N, S, E)`` with ``batch_first``.
        - tgt: ``(T, E)``, ``(T, N, E)`` or ``(N, T, E)``.
        - src_mask: ``(S, S)`` or ``(N * nhead, S, S)``; tgt_mask: ``(T, T)`` or
          ``(N * nhead, T, T)``; memory_mask: ``(T, S)``.
        - src_key_padding_mask: ``(S,)`` or ``(N, S)``; tgt_key_padding_mask: ``(T,)`` or
          ``(N, T)``; memory_key_padding_mask: ``(S,)`` or ``(N, S)``.
        - Output: ``(T, E)``, ``(T, N, E)`` or ``(N, T, E)``, the shape of ``tgt``.

        ``S`` is the source length, ``T`` the target length and ``N`` the batch size.

    Example:
        >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2,
        ...                        num_decoder_layers=2, dim_feedforward=32)
        >>> src, tgt = ember.randn(10, 3, 16), ember.randn(7, 3, 16)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(7)
        >>> model(src, tgt, tgt_mask=mask).shape
        ember.Size([7, 3, 16])
        >>> nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[0., -inf, -inf],
                [0., 0., -inf],
                [0., 0., 0.]])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        layer_kw = dict(dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                        layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                        norm_first=norm_first, bias=bias, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **layer_kw), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **layer_kw), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal: bool = False) -> Tensor:
        batched = src.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if batched and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """A float mask (sz, sz): ``-inf`` above the diagonal (the future), 0 elsewhere."""
        mask = np.triu(np.full((sz, sz), -np.inf), k=1)
        return ops.tensor(mask, dtype=dtype if dtype is not None else get_default_dtype())

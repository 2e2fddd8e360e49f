"""Dropout layers: each a docstring over one call into ``ember.nn.functional``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.functional.dropout import check_p
from ember.nn.modules.module import Module
from ember.random import Generator
from ember.tensor import Tensor

__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """Shared constructor of the dropout layers: ``p`` validated here, as in PyTorch.

    Args:
        p: probability of an element (or channel) being dropped, in ``[0, 1]``.
        inplace: write the result into the input.
        generator: an :class:`ember.Generator` for the masks (Ember extension; default generator
            otherwise).
        broadcast_dims: dims sharing one keep/drop decision (Ember extension).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 generator: Generator | None = None, broadcast_dims=None) -> None:
        super().__init__()
        check_p(p)
        self.p = p
        self.inplace = inplace
        self.generator = generator
        self.broadcast_dims = broadcast_dims

    def extra_repr(self) -> str:
        extra = f", broadcast_dims={self.broadcast_dims}" if self.broadcast_dims is not None else ""
        return f"p={self.p}, inplace={self.inplace}{extra}"

    def _kw(self) -> dict:
        return {"generator": self.generator, "broadcast_dims": self.broadcast_dims}


class Dropout(_DropoutNd):
    """During training, zeroes each element of the input with probability ``p`` and scales the
    others by ``1 / (1 - p)``, so the expected value of every element is unchanged. The
    identity in ``eval()`` mode. A regularizer against the co-adaptation of units (Srivastava
    et al., 2014). See :func:`ember.nn.functional.dropout`.

    Args:
        p: probability of an element being zeroed. Default: 0.5.
        inplace: write the result into the input. Default: False.
        generator: an :class:`ember.Generator` to draw the masks from (the default
            generator otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Keras'
            ``noise_shape``). Ember extension.

    Shape:
        - Input: ``(*)``, any shape.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = ember.nn.Dropout(p=0.2)
        >>> output = m(ember.randn(20, 16))
        >>> output.shape
        ember.Size([20, 16])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace, **self._kw())


class Dropout1d(_DropoutNd):
    """During training, zeroes whole channels of a ``(N, C, L)`` or ``(C, L)`` input, each with
    probability ``p``, and scales the kept channels by ``1 / (1 - p)``. Adjacent elements of a
    1-D convolution's feature map are strongly correlated, so dropping them one by one hardly
    regularizes; dropping channels does (Tompson et al., 2015). See
    :func:`ember.nn.functional.dropout1d`.

    Args:
        p: probability of a channel being zeroed. Default: 0.5.
        inplace: write the result into the input. Default: False.
        generator: an :class:`ember.Generator` to draw the masks from (the default
            generator otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Keras'
            ``noise_shape``). Ember extension.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``.
        - Output: the shape of the input.

    Example:
        >>> m = ember.nn.Dropout1d(p=0.2)
        >>> output = m(ember.randn(20, 16, 32))
        >>> output.shape
        ember.Size([20, 16, 32])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace, **self._kw())


class Dropout2d(_DropoutNd):
    """During training, zeroes whole channels of a ``(N, C, H, W)`` input, each with
    probability ``p``, and scales the kept channels by ``1 / (1 - p)`` (usually after a
    ``Conv2d``). As in PyTorch, a 3-D input is read as ``(N, C, L)`` with a warning. See
    :func:`ember.nn.functional.dropout2d`.

    Args:
        p: probability of a channel being zeroed. Default: 0.5.
        inplace: write the result into the input. Default: False.
        generator: an :class:`ember.Generator` to draw the masks from (the default
            generator otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Keras'
            ``noise_shape``). Ember extension.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(N, C, L)``.
        - Output: the shape of the input.

    Example:
        >>> m = ember.nn.Dropout2d(p=0.2)
        >>> output = m(ember.randn(20, 16, 32, 32))
        >>> output.shape
        ember.Size([20, 16, 32, 32])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace, **self._kw())


class Dropout3d(_DropoutNd):
    """During training, zeroes whole channels of a ``(N, C, D, H, W)`` or ``(C, D, H, W)``
    input, each with probability ``p``, and scales the kept channels by ``1 / (1 - p)``
    (usually after a ``Conv3d``). See :func:`ember.nn.functional.dropout3d`.

    Args:
        p: probability of a channel being zeroed. Default: 0.5.
        inplace: write the result into the input. Default: False.
        generator: an :class:`ember.Generator` to draw the masks from (the default
            generator otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Keras'
            ``noise_shape``). Ember extension.

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
        - Output: the shape of the input.

    Example:
        >>> m = ember.nn.Dropout3d(p=0.2)
        >>> output = m(ember.randn(4, 16, 4, 8, 8))
        >>> output.shape
        ember.Size([4, 16, 4, 8, 8])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace, **self._kw())


class AlphaDropout(_DropoutNd):
    """Alpha dropout for self-normalizing (SELU) networks: during training, each element is
    dropped with probability ``p`` to SELU's saturation value, then the output is scaled and
    shifted so that an input of zero mean and unit variance keeps them (Klambauer et al.,
    2017). As in PyTorch, ``inplace`` is stored but the computation is out of place. See
    :func:`ember.nn.functional.alpha_dropout`.

    Args:
        p: probability of an element being dropped. Default: 0.5.
        inplace: stored for PyTorch compatibility; the result is a new tensor.
        generator: an :class:`ember.Generator` to draw the masks from (the default
            generator otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Keras'
            ``noise_shape``). Ember extension.

    Shape:
        - Input: ``(*)``, any shape.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = ember.nn.AlphaDropout(p=0.2)
        >>> output = m(ember.randn(20, 16))
        >>> output.shape
        ember.Size([20, 16])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training, **self._kw())


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of a ``(N, C, *)`` input during training: each channel
    is dropped to SELU's saturation value with probability ``p``, then scaled and shifted as in
    :class:`AlphaDropout`. As in PyTorch, ``inplace`` is stored but the computation is out of
    place. See :func:`ember.nn.functional.feature_alpha_dropout`.

    Args:
        p: probability of a channel being dropped. Default: 0.5.
        inplace: stored for PyTorch compatibility; the result is a new tensor.
        generator: an :class:`ember.Generator` to draw the masks from (the default
            generator otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Keras'
            ``noise_shape``). Ember extension.

    Shape:
        - Input: ``(N, C, *)``.
        - Output: the shape of the input.

    Example:
        >>> m = ember.nn.FeatureAlphaDropout(p=0.2)
        >>> output = m(ember.randn(20, 16, 4, 4))
        >>> output.shape
        ember.Size([20, 16, 4, 4])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training, **self._kw())

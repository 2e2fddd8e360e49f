"""Dropout layers: each a docstring over one call into ``ember.nn.functional``."""

from __future__ import annotations

from ember.nn import functional as F
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
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
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
    """Zeroes each element with probability ``p`` in training and scales the rest by 1/(1-p).

    Identity in ``eval()`` mode. See :func:`ember.nn.functional.dropout`.

    Shape:
        input ``(*)``, output ``(*)``.

    Example:
        >>> m = ember.nn.Dropout(p=0.2)
        >>> y = m(ember.randn(20, 16))
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace, **self._kw())


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, L)`` / ``(C, L)`` inputs in training.

    See :func:`ember.nn.functional.dropout1d`.

    Shape:
        input ``(N, C, L)`` or ``(C, L)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace, **self._kw())


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, H, W)`` inputs in training (after ``Conv2d``).

    See :func:`ember.nn.functional.dropout2d` (3-D inputs are read as ``(N, C, L)`` with a
    warning, as in PyTorch).

    Shape:
        input ``(N, C, H, W)`` or ``(N, C, L)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace, **self._kw())


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, D, H, W)`` / ``(C, D, H, W)`` inputs in training.

    See :func:`ember.nn.functional.dropout3d`.

    Shape:
        input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace, **self._kw())


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks: keeps zero mean and unit variance in training.

    As in PyTorch, ``inplace`` is stored but the computation is out of place. See
    :func:`ember.nn.functional.alpha_dropout`.

    Shape:
        input ``(*)``, output ``(*)``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training, **self._kw())


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of ``(N, C, *)`` inputs in training.

    As in PyTorch, ``inplace`` is stored but the computation is out of place. See
    :func:`ember.nn.functional.feature_alpha_dropout`.

    Shape:
        input ``(N, C, *)``, output the same.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training, **self._kw())

"""Distance layers: each is a docstring and one call into ``ember.nn.functional``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine similarity of ``x1`` and ``x2`` along ``dim``:
    ``x1 . x2 / max(||x1||_2 * ||x2||_2, eps)``, a value in ``[-1, 1]``
    (see :func:`ember.nn.functional.cosine_similarity`).

    Args:
        dim: the dimension along which the vectors lie. Default: ``1``.
        eps: the smallest denominator, to avoid dividing by zero. Default: ``1e-8``.

    Shape:
        - Input1: ``(*_1, D, *_2)``, with ``D`` at position ``dim``.
        - Input2: ``(*_1, D, *_2)``, or any shape that broadcasts with input1.
        - Output: ``(*_1, *_2)``, the broadcast shape without ``dim``.

    Example:
        >>> m = nn.CosineSimilarity(dim=1)
        >>> x1 = ember.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> x2 = ember.tensor([[0.0, 1.0], [2.0, 2.0]])
        >>> m(x1, x2)
        tensor([0.0000, 1.0000])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """Distance between the rows of ``x1`` and ``x2``: ``||x1 - x2 + eps||_p`` along the last
    dimension (see :func:`ember.nn.functional.pairwise_distance`).

    Args:
        p: the order of the norm. Default: ``2.0``.
        eps: added to the difference so that the gradient stays finite at zero distance.
            Default: ``1e-6``.
        keepdim: keep the reduced last dimension with size 1. Default: ``False``.

    Shape:
        - Input1: ``(N, D)`` or ``(D,)``, where ``D`` is the vector size.
        - Input2: ``(N, D)`` or ``(D,)``, the same shape as input1 (or broadcastable to it).
        - Output: ``(N,)`` or ``()``; ``(N, 1)`` or ``(1,)`` with ``keepdim=True``.

    Example:
        >>> m = nn.PairwiseDistance(p=2.0, eps=0.0)
        >>> m(ember.tensor([[0.0, 0.0], [1.0, 1.0]]), ember.tensor([[3.0, 4.0], [1.0, 1.0]]))
        tensor([5., 0.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

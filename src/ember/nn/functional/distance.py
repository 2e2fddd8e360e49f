"""cosine_similarity and pairwise_distance, composed of differentiable ops."""

from __future__ import annotations

from ember import ops
from ember.autograd.grad_mode import no_grad
from ember.tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def _norm_at_least(x: Tensor, dim: int, eps: float) -> Tensor:
    """``||x||_2`` along ``dim`` (kept), its value raised to ``eps`` but its gradient the norm's
    (as PyTorch clamps the norms in place without recording it)."""
    n = ops.norm(x, 2, dim=dim, keepdim=True)
    with no_grad():
        lift = n.clamp(min=eps) - n
    return n + lift


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum((x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)))`` along ``dim``.

    ``x1`` and ``x2`` broadcast; each is divided by its own norm first, which keeps the result
    in ``[-1, 1]``.

    Args:
        x1: first input.
        x2: second input, broadcastable with ``x1``.
        dim: the dimension of the vectors.
        eps: the least norm divided by.

    Example:
        >>> F.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    a, b = ops.broadcast_tensors(x1, x2)
    return ((a / _norm_at_least(a, dim, eps)) * (b / _norm_at_least(b, dim, eps))).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dimension (of the broadcast shape).

    Args:
        x1: first input ``(N, D)`` or ``(D,)``.
        x2: second input, broadcastable with ``x1``.
        p: the norm's degree.
        eps: added to the differences, which keeps the norm's gradient finite at 0.
        keepdim: keep the reduced dimension (of size 1).

    Example:
        >>> F.pairwise_distance(ember.tensor([[3.0, 0.0]]), ember.tensor([[0.0, 4.0]]), eps=0.0)
        tensor([5.])
    """
    dim = max(x1.dim(), x2.dim()) - 1
    if dim < 0:
        return ops.norm((x1 - x2 + eps).unsqueeze(0), p, dim=0, keepdim=keepdim)
    return ops.norm(x1 - x2 + eps, p, dim=dim, keepdim=keepdim)

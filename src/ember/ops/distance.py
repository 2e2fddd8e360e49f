"""Differences and distances, composed of differentiable ops: diff, dist, cdist."""

from __future__ import annotations

import numpy as np

from ember import _dtype
from ember._dtype import SCALAR_TYPE_NAMES
from ember.ops._util import canon_dim
from ember.ops.reduction import norm
from ember.ops.shape import cat, narrow
from ember.tensor import Tensor

__all__ = ["cdist", "diff", "dist"]


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``.

    Bool tensors take the XOR of neighbours instead. Each order shortens ``dim`` by one.

    Args:
        input (Tensor): the input, at least 1-D.
        n (int): how many times to take the difference (0 returns the input).
        dim (int): the dimension to difference along.
        prepend (Tensor, optional): values concatenated before ``input`` along ``dim`` first.
        append (Tensor, optional): values concatenated after ``input`` along ``dim`` first.

    Returns:
        Tensor: the differences.

    Example:
        >>> ember.diff(ember.tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
        >>> ember.diff(ember.tensor([1, 4, 9, 16]), n=2)
        tensor([2, 2])
    """
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    dim = canon_dim(dim, input.dim())
    parts = [t for t in (prepend, input, append) if t is not None]
    out = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = out.shape[dim]
        if length == 0:
            break
        later, earlier = narrow(out, dim, 1, length - 1), narrow(out, dim, 0, length - 1)
        out = later.logical_xor(earlier) if out._data.dtype == np.bool_ else later - earlier
    return out


def dist(input: Tensor, other: Tensor, p=2) -> Tensor:
    """The ``p``-norm of ``input - other`` over all elements (after broadcasting).

    Args:
        input (Tensor): the first tensor.
        other (Tensor): the second tensor, broadcastable with ``input``.
        p (float): the order of the norm (``inf`` gives the largest difference).

    Returns:
        Tensor: a 0-d tensor.

    Example:
        >>> ember.dist(ember.tensor([0.0, 0.0]), ember.tensor([3.0, 4.0]))
        tensor(5.)
    """
    return norm(input - other, p)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` and each row of ``x2``.

    Computed from the differences themselves (no matrix-product shortcut for ``p = 2``), so
    the result does not depend on ``compute_mode``.

    Args:
        x1 (Tensor): rows of shape :math:`(B, P, M)` (batch dims optional).
        x2 (Tensor): rows of shape :math:`(B, R, M)`, of ``x1``'s floating dtype.
        p (float): the order of the norm, 0 or more.
        compute_mode (str): ``'use_mm_for_euclid_dist_if_necessary'``,
            ``'use_mm_for_euclid_dist'`` or ``'donot_use_mm_for_euclid_dist'`` (checked, with
            the same result for each).

    Returns:
        Tensor: the distances; ``out[..., i, j]`` is the distance from ``x1[..., i, :]`` to
        ``x2[..., j, :]``.

    Shape:
        - x1: :math:`(*, P, M)`; x2: :math:`(*, R, M)`, batch dims broadcast.
        - output: :math:`(*, P, R)`.

    Example:
        >>> a = ember.tensor([[0.0, 0.0], [1.0, 1.0]])
        >>> ember.cdist(a, ember.tensor([[3.0, 4.0]]))
        tensor([[5.0000],
                [3.6056]])
    """
    if x1.dim() < 2 or x2.dim() < 2:
        bad = x1 if x1.dim() < 2 else x2
        which = "X1" if x1.dim() < 2 else "X2"
        raise RuntimeError(f"cdist only supports at least 2D tensors, {which} got: "
                           f"{bad.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. "
                           f"X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1._data.dtype != x2._data.dtype and _dtype.is_floating(x1._data.dtype) and \
            _dtype.is_floating(x2._data.dtype):
        raise RuntimeError(f"expected scalar type {SCALAR_TYPE_NAMES[x1._data.dtype.name]} but "
                           f"found {SCALAR_TYPE_NAMES[x2._data.dtype.name]}")
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, x in (("X1", x1), ("X2", x2)):
        if not _dtype.is_floating(x._data.dtype):
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{SCALAR_TYPE_NAMES[x._data.dtype.name]}")
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)

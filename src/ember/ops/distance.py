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
    """The ``n``-th forward difference along ``dim`` (``x[i+1] - x[i]``; XOR for bools).

    ``prepend`` / ``append`` are concatenated along ``dim`` first.
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
    """The ``p``-norm of ``input - other`` over all elements (after broadcasting)."""
    return norm(input - other, p)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """``p``-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M).

    Returns (..., P, R), batch dims broadcast. Computed directly from the differences (no
    matrix-product shortcut for p = 2), so the result does not depend on ``compute_mode``.
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

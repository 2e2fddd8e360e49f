"""Shape helpers every layer uses: normalising dims and summing gradients back to a shape.

They work on plain arrays and ints, so the tensor, autograd and ops layers can all import them.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["canon_dim", "canon_dims", "reduce_grad", "sum_to_shape"]


def canon_dim(dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-d tensor (a 0-d tensor has one, 0 or -1).

    Raises:
        IndexError: PyTorch's "Dimension out of range" for a dim outside ``[-ndim, ndim)``.
    """
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def canon_dims(dim, ndim: int) -> tuple | None:
    """Normalises ``dim`` (int, sequence or None) to a sorted tuple of axes, None for all."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(canon_dim(d, ndim) for d in dim))
        for a, b in itertools.pairwise(axes):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    else:
        axes = (canon_dim(dim, ndim),)
    return axes if ndim else None  # a 0-d tensor: its one "dim" is all of it


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sums a gradient of a broadcast result down to the operand's ``shape`` (PyTorch's
    ``sum_to``): over the leading dims broadcasting added and the dims it stretched from 1.

    Raises:
        ValueError: ``shape`` does not broadcast to ``grad``'s shape.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0 or any(n != 1 and grad.shape[lead + i] != n for i, n in enumerate(shape)):
        raise ValueError(f"shape {shape} does not broadcast to the gradient's {grad.shape}")
    axes = (*range(lead),
            *(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1))
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    return out.reshape(shape)


def reduce_grad(grad: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    """An op's gradient for an operand of ``shape`` and ``dtype``: summed down to the shape
    and cast. A gradient with fewer dims than the operand (a value written into a region, as
    in setitem) first gets leading size-1 dims."""
    if grad.ndim < len(shape):
        grad = grad.reshape((1,) * (len(shape) - grad.ndim) + grad.shape)
    grad = sum_to_shape(grad, shape)
    return grad if grad.dtype == dtype else grad.astype(dtype)

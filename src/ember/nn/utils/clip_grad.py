"""Gradient clipping: by total norm and by value."""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable

import numpy as np

from ember import _dtype
from ember.optim.optimizer import _bump_version
from ember.tensor import Tensor

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
]


def _vector_norm(x: np.ndarray, p: float):
    """The p-norm of all elements of ``x`` in its own dtype, as ``linalg.vector_norm``."""
    flat = x.reshape(-1)
    if p == 2.0:
        return np.sqrt(np.dot(flat, flat))
    a = np.abs(flat)
    if p == 1.0:
        return a.sum()
    if p == np.inf:
        return a.max() if a.size else x.dtype.type(0)
    if p == -np.inf:
        return a.min() if a.size else x.dtype.type(np.inf)
    if p == 0.0:
        return x.dtype.type(np.count_nonzero(flat))
    return (a ** p).sum() ** (1.0 / p)


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of the norms of ``tensors``, as if they were concatenated into one vector.

    Args:
        tensors: a tensor or tensors (typically gradients).
        norm_type: the p of the p-norm; ``float("inf")`` for the max norm.
        error_if_nonfinite: raise if the norm is nan or infinite.
        foreach: accepted for compatibility.

    Returns:
        A 0-d tensor.
    """
    arrays = [t._data for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor._make(np.array(0.0, dtype=_dtype.get_default_dtype().numpy))
    dtype = np.result_type(*arrays)
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], dtype=dtype)
    total = np.asarray(_vector_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(total)


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor, foreach: bool | None = None) -> None:
    """Scales the gradients by ``min(max_norm / (total_norm + 1e-6), 1)`` in place."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        np.multiply(g._data, coef, out=g._data, casting="unsafe")
        _bump_version(g)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Rescales the gradients in place so that their total norm is at most ``max_norm``.

    The total norm is taken over all gradients together, as if concatenated; every gradient
    is multiplied by ``min(max_norm / (total_norm + 1e-6), 1)``.

    Args:
        parameters: a tensor or tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed norm.
        norm_type: the p of the p-norm (default 2); ``float("inf")`` for the max norm.
        error_if_nonfinite: raise if the total norm is nan or infinite (default False).
        foreach: accepted for compatibility.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Example:
        >>> loss.backward()
        >>> ember.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamps every gradient element into ``[-clip_value, clip_value]`` in place.

    Args:
        parameters: a tensor or tensors whose ``.grad`` is clipped.
        clip_value: the bound.
        foreach: accepted for compatibility.
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            _bump_version(g)

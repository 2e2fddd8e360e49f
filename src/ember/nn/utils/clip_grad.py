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
    """The norm of a set of tensors taken together, as if they were concatenated into one vector:
    the ``norm_type``-norm of their individual norms.

    Args:
        tensors: a tensor or an iterable of tensors (typically the gradients).
        norm_type: the ``p`` of the p-norm; ``float('inf')`` for the largest absolute value.
            Default: ``2.0``.
        error_if_nonfinite: raise if the norm is ``nan`` or infinite. Default: ``False``.
        foreach: accepted for PyTorch compatibility. Default: ``None``.

    Returns:
        A 0-d tensor (in the tensors' common dtype; the default dtype for no tensors).

    Raises:
        RuntimeError: with ``error_if_nonfinite``, if the norm is not finite.

    Example:
        >>> nn.utils.get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])])
        tensor(5.)
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
    """Scales the gradients of ``parameters`` in place by
    ``min(max_norm / (total_norm + 1e-6), 1)``, given a total norm computed beforehand (for
    example by :func:`get_total_norm`); this is the second half of :func:`clip_grad_norm_`.
    Parameters without a gradient are skipped.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is scaled.
        max_norm: the largest total norm allowed.
        total_norm: the total norm of the gradients.
        foreach: accepted for PyTorch compatibility. Default: ``None``.

    Example:
        >>> p = ember.zeros(2, requires_grad=True)
        >>> p.grad = ember.tensor([3.0, 4.0])
        >>> total = nn.utils.get_total_norm([p.grad])
        >>> nn.utils.clip_grads_with_norm_([p], 1.0, total)
        >>> p.grad
        tensor([0.6000, 0.8000])
    """
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
    """Rescales the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``.

    The total norm is taken over all the gradients together, as if concatenated into one
    vector; every gradient is then multiplied by ``min(max_norm / (total_norm + 1e-6), 1)``, so
    gradients already small enough are left nearly as they are.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest total norm allowed.
        norm_type: the ``p`` of the p-norm; ``float('inf')`` for the largest absolute value.
            Default: ``2.0``.
        error_if_nonfinite: raise if the total norm is ``nan`` or infinite. Default: ``False``.
        foreach: accepted for PyTorch compatibility. Default: ``None``.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Raises:
        RuntimeError: with ``error_if_nonfinite``, if the total norm is not finite.

    Example:
        >>> model = nn.Linear(3, 1)
        >>> model(ember.full((1, 3), 100.0)).sum().backward()
        >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> bool(total > 1.0)
        True
        >>> round(nn.utils.get_total_norm([p.grad for p in model.parameters()]).item(), 4)
        1.0
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
    """The deprecated name of :func:`clip_grad_norm_`; warns with a ``FutureWarning`` and clips
    the same way.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest total norm allowed.
        norm_type: the ``p`` of the p-norm. Default: ``2.0``.
        error_if_nonfinite: raise if the total norm is ``nan`` or infinite. Default: ``False``.
        foreach: accepted for PyTorch compatibility. Default: ``None``.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).

    Example:
        >>> import warnings
        >>> p = ember.zeros(2, requires_grad=True)
        >>> p.grad = ember.tensor([3.0, 4.0])
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     total = nn.utils.clip_grad_norm([p], 1.0)
        >>> total, caught[0].category.__name__
        (tensor(5.), 'FutureWarning')
    """
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamps every element of the gradients of ``parameters`` into ``[-clip_value, clip_value]``,
    in place. Parameters without a gradient are skipped.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        clip_value: the largest absolute value allowed.
        foreach: accepted for PyTorch compatibility. Default: ``None``.

    Example:
        >>> p = ember.zeros(3, requires_grad=True)
        >>> p.grad = ember.tensor([-5.0, 0.5, 2.0])
        >>> nn.utils.clip_grad_value_([p], clip_value=1.0)
        >>> p.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            _bump_version(g)

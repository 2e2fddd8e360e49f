"""Helpers shared by the distributions: broadcasting parameters, probs/logits, lazy properties."""

from __future__ import annotations

import numbers
from functools import update_wrapper

import numpy as np

import ember
from ember.tensor import Size, Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
]


def _fmt(value) -> str:
    """A tensor as an f-string shows it in PyTorch: a 0-d tensor as its number."""
    if isinstance(value, Tensor) and value.dim() == 0:
        return str(value.item())
    return str(value)


def _size(shape) -> Size:
    return shape if isinstance(shape, Size) else Size(tuple(int(s) for s in shape))


def broadcast_all(*values) -> tuple:
    """Broadcasts tensors and numbers to one shape; numbers become tensors of the default dtype.

    Args:
        *values: tensors or Python numbers.

    Returns:
        A tuple of tensors of the broadcast shape (a number takes the dtype of the first
        tensor, or the default dtype when there is none).

    Example:
        >>> loc, scale = broadcast_all(ember.zeros(3), 1.0)
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
            "implementing __torch_function__."
        )
    like = next((v for v in values if isinstance(v, Tensor)), None)
    if like is None:
        dtype = ember.get_default_dtype()
        values = tuple(ember.tensor(float(v), dtype=dtype) for v in values)
    else:
        values = tuple(
            v if isinstance(v, Tensor) else ember.tensor(v, dtype=like.dtype) for v in values
        )
    return tuple(ember.broadcast_tensors(*values))


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sums out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape((*tuple(value.shape[:value.dim() - dim]), -1)).sum(-1)


def _eps(dtype) -> float:
    return float(np.finfo(ember._dtype.to_numpy_dtype(dtype)).eps)


def _tiny(dtype) -> float:
    return float(np.finfo(ember._dtype.to_numpy_dtype(dtype)).tiny)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: the sigmoid when ``is_binary``, else a softmax on the last dim.

    Example:
        >>> logits_to_probs(ember.zeros(2))
        tensor([0.5000, 0.5000])
    """
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamps probabilities into ``[eps, 1 - eps]`` of their dtype.

    Example:
        >>> clamp_probs(ember.tensor([0.0, 1.0]))
    """
    eps = _eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities (``log p - log1p(-p)`` when binary, else ``log p``).

    Example:
        >>> probs_to_logits(ember.tensor([0.5, 0.5]))
    """
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then stored on the instance.

    Distributions use it for the parameter they were not given (``probs`` from ``logits``);
    ``expand`` copies only what has been computed.
    """

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What ``lazy_property`` returns on the class: also a ``property`` (for introspection)."""

    def __init__(self, wrapped) -> None:
        property.__init__(self, wrapped)


class _ProbsOrLogits:
    """The ``probs``/``logits`` pair of Bernoulli, Binomial and Categorical (a mixin).

    Exactly one of the two is given; the other is computed on first use, and ``_param`` is the
    given one. ``_binary`` picks the link between them: the sigmoid (``True``) or the softmax
    over the last dimension (``False``).
    """

    _binary = True
    _param: Tensor

    @staticmethod
    def _check_one_of(probs, logits) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")

    def _expand_params(self, new, shape) -> None:
        """Sets on ``new`` each of probs and logits computed so far, expanded to ``shape``."""
        for name in ("probs", "logits"):
            if name in self.__dict__:
                new._param = getattr(self, name).expand(shape)
                setattr(new, name, new._param)

    def _support_values(self, count: int, dtype, expand: bool) -> Tensor:
        """``0 .. count - 1`` along a new first dimension, for ``enumerate_support``."""
        values = ember.arange(count, dtype=dtype)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1, *tuple(self._batch_shape)))
        return values

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=self._binary)

    @property
    def param_shape(self) -> Size:
        return self._param.size()


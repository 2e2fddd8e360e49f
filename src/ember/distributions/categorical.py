"""The categorical distribution over ``{0, ..., K - 1}``."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

import ember
from ember.distributions import constraints
from ember.distributions.distribution import Distribution
from ember.distributions.utils import _ProbsOrLogits, _size
from ember.random import uniform_array
from ember.tensor import Size

__all__ = ["Categorical"]


def _sample_categorical(probs: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws for each row of ``probs`` (``(B, K)``, unnormalised): shape ``(n, B)``.

    Inverse-CDF sampling: a uniform scaled by the row's total counts the categories whose
    cumulative mass it reaches (a zero-mass category is never chosen).
    """
    cdf = np.cumsum(probs, axis=-1, dtype=np.float64)
    u = uniform_array((n, probs.shape[0]), np.float64) * cdf[:, -1]
    index = (cdf[None, :, :] <= u[..., None]).sum(-1)
    return np.minimum(index, probs.shape[-1] - 1)


class Categorical(_ProbsOrLogits, Distribution):
    """A draw of one of ``K`` categories, with probabilities on the last dimension.

    ``probs`` need not sum to 1 (they are normalised); ``logits`` are unnormalised log
    probabilities. Samples are int64 indices.

    Args:
        probs: event probabilities, shape ``batch_shape + (K,)`` (exclusive with ``logits``).
        logits: event log-probabilities, same shape (exclusive with ``probs``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> m = Categorical(ember.tensor([0.25, 0.25, 0.25, 0.25]))
        >>> m.sample()  # 0, 1, 2 or 3
    """

    _binary = False
    arg_constraints: ClassVar[dict] = {
        "probs": constraints.simplex,
        "logits": constraints.real_vector,
    }
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        self._check_one_of(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.ndimension() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = _size(batch_shape)
        param_shape = (*tuple(batch_shape), self._num_events)
        self._expand_params(new, param_shape)
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return ember.full(tuple(self._extended_shape()), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return ember.full(tuple(self._extended_shape()), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        sample_shape = _size(sample_shape)
        probs = self.probs.detach().numpy().reshape(-1, self._num_events)
        n = int(np.prod(tuple(sample_shape), dtype=np.int64))
        draws = _sample_categorical(probs, n).astype(np.int64)
        return ember.tensor_from_array(draws.reshape(tuple(self._extended_shape(sample_shape))))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = ember.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(ember._dtype.to_numpy_dtype(self.logits.dtype)).min)
        logits = ember.clamp(self.logits, min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        return self._support_values(self._num_events, ember.int64, expand)

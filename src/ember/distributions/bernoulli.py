"""The Bernoulli distribution."""

from __future__ import annotations

import math
import numbers
from typing import ClassVar

import ember
from ember.distributions import constraints
from ember.distributions.distribution import ExponentialFamily
from ember.distributions.utils import _ProbsOrLogits, _size, broadcast_all
from ember.nn.functional import binary_cross_entropy_with_logits
from ember.random import uniform_array
from ember.tensor import Size

__all__ = ["Bernoulli"]


class Bernoulli(_ProbsOrLogits, ExponentialFamily):
    """A 0/1 variable that is 1 with probability ``probs`` (or ``sigmoid(logits)``).

    Args:
        probs: the probability of 1 (exclusive with ``logits``).
        logits: the log-odds of 1 (exclusive with ``probs``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> m = Bernoulli(ember.tensor([0.3]))
        >>> m.sample()  # 1 with probability 0.3
    """

    arg_constraints: ClassVar[dict] = {
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        self._check_one_of(probs, logits)
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = Size() if is_scalar else self._param.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = _size(batch_shape)
        self._expand_params(new, batch_shape)
        super(Bernoulli, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return ember.where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            p = self.probs.expand(shape).detach().numpy()
            u = uniform_array(tuple(shape), p.dtype)
            return ember.tensor_from_array((u < p).astype(p.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        return self._support_values(2, self._param.dtype, expand)

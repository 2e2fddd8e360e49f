"""The binomial distribution."""

from __future__ import annotations

from typing import ClassVar

import ember
from ember.distributions import constraints
from ember.distributions._ops import binomial_sample, lgamma
from ember.distributions.distribution import Distribution
from ember.distributions.utils import _ProbsOrLogits, _size, broadcast_all
from ember.tensor import Tensor

__all__ = ["Binomial"]


def _clamp_by_zero(x: Tensor) -> Tensor:
    # max(x, 0) with gradient 1/2 at 0, as PyTorch's
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(_ProbsOrLogits, Distribution):
    """The number of successes in ``total_count`` independent trials of probability ``probs``.

    Args:
        total_count: number of trials (non-negative integer, float or tensor).
        probs: success probability (exclusive with ``logits``).
        logits: success log-odds (exclusive with ``probs``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> m = Binomial(100, ember.tensor([0, 0.2, 0.8, 1]))
        >>> m.sample()
    """

    arg_constraints: ClassVar[dict] = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        self._check_one_of(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = _size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        self._expand_params(new, batch_shape)
        super(Binomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        n = self.total_count.detach().expand(shape).numpy()
        p = self.probs.detach().expand(shape).numpy()
        return ember.tensor_from_array(binomial_sample(n, p).astype(p.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        normalize_term = (n * _clamp_by_zero(self.logits)
                          + n * ember.log1p(ember.exp(-ember.abs(self.logits)))
                          - lgamma(n + 1))
        return value * self.logits - lgamma(value + 1) - lgamma(n - value + 1) - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        return self._support_values(1 + total_count, self._param.dtype, expand)

"""The Poisson distribution."""

from __future__ import annotations

import numbers
from typing import ClassVar

import ember
from ember.distributions import constraints
from ember.distributions._ops import lgamma, poisson_sample, xlogy
from ember.distributions.distribution import ExponentialFamily
from ember.distributions.utils import _size, broadcast_all
from ember.tensor import Size

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """Counts of events occurring at rate ``rate``: ``P(k) = rate^k e^-rate / k!``.

    Args:
        rate: the rate (non-negative).
        validate_args: see :class:`Distribution`.

    Example:
        >>> m = Poisson(ember.tensor([4.0]))
        >>> m.sample()
    """

    arg_constraints: ClassVar[dict] = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch_shape = Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = _size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Poisson, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rate = self.rate.detach().expand(shape).numpy()
        return ember.tensor_from_array(poisson_sample(rate).astype(rate.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return xlogy(value, rate) - rate - lgamma(value + 1)

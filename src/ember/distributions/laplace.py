"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import ember
from ember.distributions.loc_scale import LocScale
from ember.distributions.utils import _eps

__all__ = ["Laplace"]


class Laplace(LocScale):
    """The Laplace distribution with location ``loc`` and scale ``scale``.

    Args:
        loc: the mean.
        scale: the scale (positive); the variance is ``2 scale^2``.
        validate_args: see :class:`Distribution`.

    Example:
        >>> m = Laplace(ember.tensor([0.0]), ember.tensor([1.0]))
        >>> m.sample()
    """

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return 2**0.5 * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = _eps(self.loc.dtype)
        u = ember.rand(shape, dtype=self.loc.dtype) * 2 - 1  # in [-1, 1)
        u = u.clamp(min=eps - 1)  # log1p(-|u|) stays finite
        return self.loc - self.scale * u.sign() * ember.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -ember.log(2 * self.scale) - ember.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return 0.5 - 0.5 * z.sign() * ember.expm1(-z.abs())

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * ember.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + ember.log(2 * self.scale)


"""The part location-scale distributions share: a real ``loc`` and a positive ``scale``."""

from __future__ import annotations

import numbers
from typing import ClassVar

from ember.distributions import constraints
from ember.distributions.distribution import Distribution
from ember.distributions.utils import _size, broadcast_all
from ember.tensor import Size

__all__ = ["LocScale"]


class LocScale(Distribution):
    """Base of the distributions of ``loc + scale * noise`` (Normal, Laplace): parameters
    broadcast to one batch shape, ``expand``, and the mean and mode at ``loc``."""

    arg_constraints: ClassVar[dict] = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = _size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

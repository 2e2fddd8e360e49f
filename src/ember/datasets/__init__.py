"""Small data sets: the 8x8 handwritten digits (shipped with Ember) and synthetic generators.

Example:
    >>> train, test = ember.datasets.Digits(train=True), ember.datasets.Digits(train=False)
    >>> X, y = ember.datasets.spirals(100, 3, noise=0.2, generator=ember.Generator().manual_seed(0))
"""

from ember.datasets.digits import Digits, digits_split
from ember.datasets.synthetic import blobs, spirals, toy_classification

__all__ = ["Digits", "blobs", "digits_split", "spirals", "toy_classification"]

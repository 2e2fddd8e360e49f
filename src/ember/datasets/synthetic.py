"""Synthetic data sets for examples and tests, drawn from an Ember generator."""

from __future__ import annotations

import numpy as np

from ember import _dtype
from ember import random as _random
from ember.ops.creation import randint, randn
from ember.tensor import Tensor

__all__ = ["blobs", "spirals", "toy_classification"]


def _float_dtype(dtype) -> np.dtype:
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().numpy


def spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, generator=None, *,
            dtype=None) -> tuple[Tensor, Tensor]:
    """Interleaved 2-D spirals, one arm per class (the CS231n toy problem).

    Point ``i`` of class ``j`` has radius ``r = i / (n_per_class - 1)`` and angle
    ``4 * (j + r) + noise * z`` with ``z`` standard normal, and sits at
    ``(r sin(angle), r cos(angle))``. Classes are in blocks: rows ``j * n_per_class`` onwards
    are class ``j``.

    Args:
        n_per_class: points per class.
        classes: number of classes (spiral arms).
        noise: standard deviation of the angle noise, in radians.
        generator: the generator to draw from (default: the default generator).
        dtype: dtype of the points (default: the default float dtype).

    Returns:
        ``(X, y)``: points ``(n_per_class * classes, 2)`` and int64 labels ``(n_per_class *
        classes,)``.

    Example:
        >>> X, y = spirals(100, 3, noise=0.2, generator=ember.Generator().manual_seed(0))
    """
    if n_per_class < 1 or classes < 1:
        raise ValueError(f"spirals needs n_per_class >= 1 and classes >= 1, got "
                         f"n_per_class={n_per_class}, classes={classes}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    r = np.linspace(0.0, 1.0, n_per_class)
    z = _random.normal_array((classes, n_per_class), np.float64, generator=generator)
    angle = 4.0 * (np.arange(classes)[:, None] + r[None, :]) + noise * z
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=-1).reshape(-1, 2)
    y = np.repeat(np.arange(classes, dtype=np.int64), n_per_class)
    return Tensor._make(X.astype(_float_dtype(dtype))), Tensor._make(y)


def blobs(n: int = 300, centers=3, std: float = 1.0, generator=None, *, n_features: int = 2,
          center_box: tuple[float, float] = (-10.0, 10.0), dtype=None) -> tuple[Tensor, Tensor]:
    """Isotropic Gaussian clusters.

    The labels are balanced (``n // K`` or ``n // K + 1`` points per cluster) and in random
    order; point ``i`` is ``centers[y[i]] + std * z`` with ``z`` standard normal.

    Args:
        n: number of points.
        centers: the number of clusters ``K``, whose centres are drawn uniformly in
            ``center_box``, or the centres themselves, shape ``(K, n_features)``.
        std: standard deviation of each cluster.
        generator: the generator to draw from (default: the default generator).
        n_features: dimension of the points when ``centers`` is a number.
        center_box: the range the random centres are drawn from.
        dtype: dtype of the points (default: the default float dtype).

    Returns:
        ``(X, y)``: points ``(n, n_features)`` and int64 labels ``(n,)`` in ``[0, K)``.

    Example:
        >>> X, y = blobs(300, centers=3, std=0.5, generator=ember.Generator().manual_seed(0))
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if std < 0:
        raise ValueError(f"std must be non-negative, got {std}")
    if isinstance(centers, (int, np.integer)):
        if centers < 1:
            raise ValueError(f"centers must be at least 1, got {centers}")
        low, high = center_box
        c = _random.uniform_array((int(centers), n_features), np.float64, low, high, generator)
    else:
        c = np.array(centers._data if isinstance(centers, Tensor) else centers, dtype=np.float64)
        if c.ndim != 2 or c.shape[0] < 1:
            raise ValueError(f"centers must have shape (K, n_features), got {c.shape}")
    k = c.shape[0]
    y = _random.permutation_array(n, generator) % k
    X = c[y] + std * _random.normal_array((n, c.shape[1]), np.float64, generator=generator)
    return Tensor._make(X.astype(_float_dtype(dtype))), Tensor._make(y.astype(np.int64))


def toy_classification(N: int = 128, d: int = 20, K: int = 5,
                       generator=None) -> tuple[Tensor, Tensor]:
    """The random-label toy problem of the dropout notebook: ``X ~ randn(N, d)``, ``y ~ U{0..K-1}``.

    The labels carry no signal, so a model can only memorise them; it is the set the notebook
    trains a 2-layer MLP with dropout on. The draws are exactly
    ``X = ember.randn(N, d, generator=g)`` then ``y = ember.randint(0, K, (N,), generator=g)``,
    so ``ember.manual_seed(0); toy_classification()`` is the notebook's data.

    Args:
        N: number of samples.
        d: input features.
        K: number of classes.
        generator: the generator to draw from (default: the default generator).

    Returns:
        ``(X, y)``: float ``(N, d)`` (the default dtype) and int64 ``(N,)`` in ``[0, K)``.
    """
    X = randn(N, d, generator=generator)
    y = randint(0, K, (N,), generator=generator)
    return X, y

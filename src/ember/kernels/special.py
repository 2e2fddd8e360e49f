"""Special functions NumPy lacks, compiled with Numba (imported on first use)."""

from __future__ import annotations

import math

import numpy as np

from .jit import vectorize


@vectorize(["float32(float32)", "float64(float64)"], cache=True)
def _erf(x):
    return math.erf(x)


def erf(x: np.ndarray) -> np.ndarray:
    """The Gauss error function, elementwise, in the array's dtype."""
    if x.dtype == np.float16:
        return _erf(x.astype(np.float32)).astype(np.float16)
    return _erf(x)

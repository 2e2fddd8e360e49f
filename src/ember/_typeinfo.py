"""``ember.finfo`` / ``ember.iinfo``: the limits of a dtype, as ``torch.finfo`` / ``torch.iinfo``.

They live in their own module because ``ember.float`` and ``ember.int`` (dtype aliases, as
in PyTorch) shadow the builtins inside ``ember/__init__.py``.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from ember import _dtype

__all__ = ["finfo", "iinfo"]


def _short(x: float) -> str:
    return f"{x:g}"


class finfo:
    """Machine limits of a floating-point dtype (the default dtype when none is given).

    Attributes: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``),
    ``resolution`` and ``dtype`` (its name), as in PyTorch.

    Example:
        >>> ember.finfo(ember.float32).eps
        1.1920928955078125e-07
    """

    def __init__(self, type=None) -> None:
        d = _dtype.as_dtype(type if type is not None else _dtype.get_default_dtype())
        if not d.is_floating_point:
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to "
                "handle 'torch.finfo'"
            )
        info = ml_dtypes.finfo(d.numpy) if d.name == "bfloat16" else np.finfo(d.numpy)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))  # PyTorch's definition
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={_short(self.resolution)}, min={_short(self.min)}, "
                f"max={_short(self.max)}, eps={_short(self.eps)}, "
                f"smallest_normal={_short(self.smallest_normal)}, tiny={_short(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype``.

    Example:
        >>> ember.iinfo(ember.uint8).max
        255
    """

    def __init__(self, type) -> None:
        d = _dtype.as_dtype(type)
        if d.numpy.kind not in "iub":
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                "'torch.iinfo'"
            )
        info = np.iinfo(np.uint8 if d.numpy.kind == "b" else d.numpy)
        self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={_short(self.min)}, max={_short(self.max)}, dtype={self.dtype})"

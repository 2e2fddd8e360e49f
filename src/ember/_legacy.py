"""PyTorch's legacy typed constructors (``ember.FloatTensor(2, 3)``, ``ember.LongTensor([1, 2])``).

Each name is a constructor and a type test at once, as in PyTorch:

* ``FloatTensor(*sizes)`` / ``FloatTensor(ember.Size(...))``: an uninitialised tensor of that
  shape; ``FloatTensor()``: an empty one; ``FloatTensor(data)`` (a list, a tuple or a number
  sequence): a tensor of the data, converted to the type (``LongTensor([1.7])`` is ``[1]``);
  ``FloatTensor(tensor)``: the tensor itself, which must already have the type.
* ``isinstance(t, FloatTensor)`` is True for a float32 tensor and False for any other dtype.
"""

from __future__ import annotations

import numbers

import numpy as np

from ember import _dtype
from ember.backend import get_backend
from ember.tensor import Size, Tensor, _to_array

__all__ = [
    "LEGACY_TYPES",
    "BFloat16Tensor",
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
]


class _LegacyType(type):
    """Makes ``isinstance(t, FloatTensor)`` test the tensor's dtype."""

    dtype: _dtype.dtype

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.numpy

    def __repr__(cls) -> str:
        return f"<class 'ember.{cls.__name__}'>"


class _LegacyTensor(metaclass=_LegacyType):
    def __new__(cls, *args, device=None):
        if device is not None and str(device) != "cpu":
            get_backend(device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            t = args[0]
            if t._data.dtype != cls.dtype.numpy:
                raise TypeError(
                    f"expected {cls.dtype.name} tensor (got {t.dtype.name} tensor); convert it "
                    f"with .to(ember.{cls.dtype.name}) first"
                )
            return t
        if all(isinstance(a, numbers.Integral) for a in args) or (
                len(args) == 1 and isinstance(args[0], Size)):
            shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
            if len(args) == 0:
                shape = (0,)
            return Tensor._make(np.empty(tuple(int(s) for s in shape), cls.dtype.numpy))
        if len(args) == 1:
            data = np.asarray(args[0])
            if data.dtype.kind not in "biuf":
                raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
            return Tensor._make(_to_array(args[0], cls.dtype))
        raise TypeError(
            f"{cls.__name__}(): takes sizes as ints, one Size, data or a tensor; got "
            f"({', '.join(type(a).__name__ for a in args)})"
        )


def _legacy(name: str, dtype: _dtype.dtype) -> type:
    cls = _LegacyType(name, (_LegacyTensor,), {"dtype": dtype, "__doc__": (
        f"``ember.{name}``: makes {dtype.name} tensors; ``isinstance(t, {name})`` tests for "
        f"one.")})
    cls.__module__ = "ember"
    return cls


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
BFloat16Tensor = _legacy("BFloat16Tensor", _dtype.bfloat16)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)
CharTensor = _legacy("CharTensor", _dtype.int8)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
IntTensor = _legacy("IntTensor", _dtype.int32)
LongTensor = _legacy("LongTensor", _dtype.int64)
BoolTensor = _legacy("BoolTensor", _dtype.bool_)

#: The legacy types by name, for ``Tensor.type("torch.LongTensor")``.
LEGACY_TYPES = {cls.__name__: cls for cls in (
    FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, ByteTensor, CharTensor, ShortTensor,
    IntTensor, LongTensor, BoolTensor)}

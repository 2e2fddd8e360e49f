"""Ember's dtypes: thin named wrappers over NumPy dtypes with PyTorch's names."""

from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np

from ember._precision import BF16, note_bfloat16

__all__ = [
    "C_TYPE_NAMES",
    "SCALAR_TYPE_NAMES",
    "c_type_name",
    "dtype",
    "from_numpy_dtype",
    "get_default_dtype",
    "scalar_type_name",
    "set_default_dtype",
    "to_numpy_dtype",
]

#: PyTorch's names of the scalar types, by NumPy dtype name, as its error messages print them.
SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                     "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                     "bool": "Bool", "bfloat16": "BFloat16"}

#: The C++ type names PyTorch's kernels print in some errors ("expected scalar type float").
C_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
                "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                "bool": "bool"}


def scalar_type_name(dtype) -> str:
    """PyTorch's scalar-type name ("Float", "Long" ...) of a NumPy dtype or Ember dtype."""
    return SCALAR_TYPE_NAMES[np.dtype(getattr(dtype, "numpy", dtype)).name]


def c_type_name(dtype) -> str:
    """The C++ type name ("float", "long int" ...) torch prints for a NumPy or Ember dtype."""
    return C_TYPE_NAMES[np.dtype(getattr(dtype, "numpy", dtype)).name]


class dtype:
    """A tensor element type, named as PyTorch names it (``ember.float32`` ...)."""

    __slots__ = ("is_complex", "is_floating_point", "is_signed", "itemsize", "name", "numpy")

    def __init__(self, name: str, numpy_dtype: type, kind: str | None = None) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        kind = kind or self.numpy.kind  # ml_dtypes' floats have NumPy kind 'V': they pass "f"
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "fic"
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return "bool_" if self.name == "bool" else self.name  # its name in this module

    def to_real(self) -> dtype:
        """Returns the dtype itself (Ember has no complex dtypes)."""
        return self


float16 = dtype("float16", np.float16)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, kind="f")
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

ALL_DTYPES = (float16, bfloat16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_FROM_NUMPY = {d.numpy: d for d in ALL_DTYPES}
_FROM_NAME = {d.name: d for d in ALL_DTYPES}
_FROM_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

_default_float = float32


def get_default_dtype() -> dtype:
    """Returns the dtype that floating-point tensors are created with (``float32`` at start)."""
    return _default_float


def set_default_dtype(d) -> None:
    """Sets the default floating-point dtype (``float32`` or ``float64``)."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def as_dtype(d) -> dtype:
    """Converts an Ember dtype, NumPy dtype, Python type or dtype name to an Ember dtype."""
    result = _as_dtype(d)
    if result is bfloat16:
        note_bfloat16()
    return result


def _as_dtype(d) -> dtype:
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if isinstance(d, str) and d in _FROM_NAME:
        return _FROM_NAME[d]
    name = getattr(d, "name", None)  # a torch.dtype-like object, e.g. from user code
    if isinstance(name, str) and name in _FROM_NAME and not isinstance(d, np.dtype):
        return _FROM_NAME[name]
    try:
        return _FROM_NUMPY[np.dtype(d)]
    except (TypeError, KeyError):
        raise TypeError(f"unsupported dtype: {d!r}") from None


def from_numpy_dtype(npd: np.dtype) -> dtype:
    """Returns the Ember dtype for a NumPy dtype, raising TypeError for unsupported ones."""
    try:
        result = _FROM_NUMPY[npd]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {npd}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None
    if result is bfloat16:
        note_bfloat16()
    return result


def to_numpy_dtype(d) -> np.dtype:
    """Returns the NumPy dtype for anything :func:`as_dtype` accepts."""
    return as_dtype(d).numpy


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}



def is_floating(npd: np.dtype) -> bool:
    """True for NumPy's floating dtypes and bfloat16."""
    return npd.kind == "f" or npd == BF16


def category(npd: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point (PyTorch's promotion categories)."""
    return 2 if npd == BF16 else _CATEGORY[npd.kind]


def result_type(*dtypes: np.dtype) -> np.dtype:
    """The promoted dtype of dtypes of one category, as PyTorch promotes: bfloat16 with
    float16 gives float32 (neither holds the other), otherwise NumPy's rule."""
    if BF16 in dtypes:
        others = {d for d in dtypes if d != BF16}
        if not others:
            return BF16
        wide = np.result_type(*others)
        if wide.kind != "f":
            return BF16
        return np.dtype(np.float32) if wide == np.float16 else wide
    return np.result_type(*dtypes)

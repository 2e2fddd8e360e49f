"""Helpers shared by the op families: operands, dtype promotion, un-broadcasting, dims."""

from __future__ import annotations

import numbers

import ml_dtypes
import numpy as np

from ember import _dtype, _precision
from ember._fpstate import quiet
from ember._shapes import canon_dim, canon_dims, reduce_grad
from ember.tensor import Tensor, _to_array

__all__ = [
    "apply_binary",
    "as_tensor_arg",
    "broadcast_error",
    "canon_dim",
    "canon_dims",
    "check_kernel",
    "check_scalar_fits",
    "kernel_error",
    "operands",
    "promote",
    "quiet",
    "reduce_grad",
    "require_tensors",
]


def broadcast_error(*values) -> RuntimeError:
    """PyTorch's error for operands whose shapes do not broadcast (or a generic one)."""
    shapes = [np.shape(v._data if isinstance(v, Tensor) else v) for v in values]
    ndim = max(len(s) for s in shapes)
    for i in range(1, ndim + 1):
        for j in range(len(shapes)):
            for k in range(j + 1, len(shapes)):
                sa, sb = shapes[j], shapes[k]
                if i > len(sa) or i > len(sb):
                    continue
                x, y = sa[-i], sb[-i]
                if x != y and x != 1 and y != 1:
                    return RuntimeError(
                        f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                        f"non-singleton dimension {ndim - i}"
                    )
    return RuntimeError(f"shapes {[list(s) for s in shapes]} cannot be broadcast together")


def kernel_error(kernel: str, dtype) -> NotImplementedError:
    """torch's error for a dtype its kernel does not cover, e.g. ``"abs_cpu" not implemented
    for 'Bool'``."""
    name = _dtype.SCALAR_TYPE_NAMES[np.dtype(dtype).name]
    return NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def check_kernel(input: Tensor, kernel: str, kinds: str = "b") -> None:
    """Raises :func:`kernel_error` when ``input``'s dtype kind is one of ``kinds`` (NumPy
    kind letters: ``"b"`` bool, ``"biu"`` bool and integers)."""
    dt = input._data.dtype
    if dt.kind in kinds:
        raise kernel_error(kernel, dt)


# the C++ type names torch's scalar conversion check prints
_CONVERT_NAMES = {"int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
                  "uint8": "uint8_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
                  "float32": "float", "float64": "double"}


def check_scalar_fits(value, dtype) -> None:
    """torch's error for a Python number that a ``dtype`` tensor cannot hold: NaN, inf or an
    out-of-range number for an integer dtype, a finite number beyond a float dtype's range
    (``value cannot be converted to type int64_t without overflow``)."""
    dt = np.dtype(dtype)
    if dt == np.bool_ or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if isinstance(value, numbers.Integral):
            ok = info.min <= int(value) <= info.max
        else:
            ok = float(info.min) <= float(value) <= float(info.max)
    else:
        v = float(value)
        ok = not np.isfinite(v) or abs(v) <= float(ml_dtypes.finfo(dt).max)
    if not ok:
        raise RuntimeError(f"value cannot be converted to type {_CONVERT_NAMES[dt.name]} "
                           "without overflow")


def require_tensors(name: str, input, other) -> None:
    """torch's TypeError for a binary op that takes no Python numbers (``maximum(x, 2.0)``)."""
    for arg, pos, value in (("input", 1, input), ("other", 2, other)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(value).__name__}")


def apply_binary(cls, a, b):
    """``cls.apply(a, b)`` with NumPy's broadcasting ValueError turned into PyTorch's error."""
    try:
        return cls.apply(a, b)
    except ValueError:
        raise broadcast_error(a, b) from None


_PY_SCALAR_RANK = {bool: 0, int: 1, float: 2}  # _kind_rank of the common Python scalars


def _kind_rank(x) -> int:
    if isinstance(x, Tensor):
        return _dtype.category(x._data.dtype)
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, numbers.Integral):
        return 1
    return 2


def promote(*values) -> np.dtype:
    """PyTorch's result dtype for tensors and Python scalars.

    Dimensioned tensors outrank zero-dim tensors, which outrank Python scalars; a lower
    group decides the dtype only when its category (bool < int < float) is higher.
    """
    groups: tuple[list, list, list] = ([], [], [])  # dimensioned, zero-dim, scalars
    for v in values:
        if isinstance(v, Tensor):
            groups[0 if v._data.ndim else 1].append(v._data.dtype)
        else:
            groups[2].append(v)
    best = max(_kind_rank(v) for v in values)
    for i in (0, 1):
        members = [d for d in groups[i] if _dtype.category(d) == best]
        if members:
            return _dtype.result_type(*members) if len(members) > 1 else members[0]
    if best == 2:
        return _dtype.get_default_dtype().numpy
    return np.dtype(np.int64) if best == 1 else np.dtype(np.bool_)


def operands(a, b, floating: bool = False):
    """Returns ``(a, b, dtype)`` ready for a binary op, each tensor cast to the result dtype.

    Python scalars stay scalars (NumPy keeps the array's dtype for them). With ``floating``,
    an integer result dtype becomes the default float (true division).
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        dt = da if da == db else promote(a, b)
    elif ta:
        rank = _PY_SCALAR_RANK.get(type(b))
        if rank is None:
            if isinstance(b, np.generic) or not isinstance(b, numbers.Number):
                return operands(a, _scalar_or_tensor(b), floating)  # NumPy scalars: Python ones
            rank = _kind_rank(b)
        dt = a._data.dtype
        if dt.kind != "f" and rank > _dtype.category(dt):
            dt = promote(a, b)
    elif tb:
        rank = _PY_SCALAR_RANK.get(type(a))
        if rank is None:
            if isinstance(a, np.generic) or not isinstance(a, numbers.Number):
                return operands(_scalar_or_tensor(a), b, floating)  # NumPy scalars: Python ones
            rank = _kind_rank(a)
        dt = b._data.dtype
        if dt.kind != "f" and rank > _dtype.category(dt):
            dt = promote(a, b)
    else:
        raise TypeError("expected at least one tensor operand")
    if floating and not _dtype.is_floating(dt):
        dt = _dtype.get_default_dtype().numpy
    if ta and a._data.dtype != dt:
        a = cast(a, dt)
    if tb and b._data.dtype != dt:
        b = cast(b, dt)
    return a, b, dt


def _scalar_or_tensor(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    return Tensor._make(np.asarray(x))


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """Makes a tensor of a scalar or array argument (keeping tensors as they are)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number) and like is not None:
        dt = like._data.dtype
        if isinstance(x, float) and not _dtype.is_floating(dt):
            dt = _dtype.get_default_dtype().numpy
        return Tensor._make(np.asarray(x, dtype=dt))
    return Tensor._make(_to_array(x))


def cast(t: Tensor, dtype) -> Tensor:
    """Differentiable dtype conversion: ``ember.ops.arith.cast``, which registers itself in
    the precision state when it is defined (arith imports this module, so not the reverse)."""
    return _precision.STATE.cast(t, dtype)


def select_grad(keep: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``grad`` where ``keep``, 0 elsewhere: a selection, so a NaN or inf of ``grad`` where
    ``keep`` is False does not leak (``0 * nan`` would). Computed as a product, three times
    faster than ``np.where``, and redone with ``np.where`` only when the product holds a
    non-finite value (where a leak could be)."""
    out = grad * keep
    if np.isfinite(np.add.reduce(out, axis=None)):
        return out
    return np.where(keep, grad, np.zeros((), grad.dtype))

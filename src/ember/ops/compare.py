"""Comparisons and logical ops (no gradient), NaN/inf tests, allclose, equal."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ember import _dtype
from ember.ops._util import broadcast_error, canon_dim, operands, require_tensors
from ember.ops.indexing import select_along
from ember.ops.reduction import MaxMin
from ember.ops.shape import narrow
from ember.tensor import Tensor

__all__ = [
    "allclose",
    "argsort",
    "bucketize",
    "clamp_min_",
    "eq",
    "equal",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "ne",
    "not_equal",
    "searchsorted",
    "signbit",
    "sort",
    "topk",
    "unique",
]


def _compare(fn, a, b) -> Tensor:
    a, b, _ = operands(a, b)
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    try:
        return Tensor._make(np.asarray(fn(aa, bb)))
    except ValueError:
        raise broadcast_error(a, b) from None


def eq(input, other) -> Tensor:
    """Elementwise ``==``."""
    return _compare(np.equal, input, other)


def ne(input, other) -> Tensor:
    """Elementwise ``!=``."""
    return _compare(np.not_equal, input, other)


def lt(input, other) -> Tensor:
    """Elementwise ``<``."""
    return _compare(np.less, input, other)


def le(input, other) -> Tensor:
    """Elementwise ``<=``."""
    return _compare(np.less_equal, input, other)


def gt(input, other) -> Tensor:
    """Elementwise ``>``."""
    return _compare(np.greater, input, other)


def ge(input, other) -> Tensor:
    """Elementwise ``>=``."""
    return _compare(np.greater_equal, input, other)


greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _logical(name: str, fn, input, other) -> Tensor:
    require_tensors(name, input, other)
    try:
        return Tensor._make(fn(_arr(input), _arr(other)))
    except ValueError:
        raise broadcast_error(input, other) from None


def logical_and(input, other) -> Tensor:
    """Elementwise logical and (non-zero is True)."""
    return _logical("logical_and", np.logical_and, input, other)


def logical_or(input, other) -> Tensor:
    """Elementwise logical or."""
    return _logical("logical_or", np.logical_or, input, other)


def logical_xor(input, other) -> Tensor:
    """Elementwise logical xor."""
    return _logical("logical_xor", np.logical_xor, input, other)


def logical_not(input) -> Tensor:
    """Elementwise logical not."""
    return Tensor._make(np.logical_not(_arr(input)))


def isnan(input: Tensor) -> Tensor:
    """True where the element is NaN."""
    return Tensor._make(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    """True where the element is +inf or -inf."""
    return Tensor._make(np.isinf(input._data))


def isposinf(input: Tensor) -> Tensor:
    """True where the element is +inf."""
    return Tensor._make(np.isposinf(input._data))


def isneginf(input: Tensor) -> Tensor:
    """True where the element is -inf."""
    return Tensor._make(np.isneginf(input._data))


def isfinite(input: Tensor) -> Tensor:
    """True where the element is neither NaN nor infinite."""
    return Tensor._make(np.isfinite(input._data))


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (including -0.0)."""
    return Tensor._make(np.signbit(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (both tensors of one dtype, as torch)."""
    require_tensors("isclose", input, other)
    da, db = input._data.dtype, other._data.dtype
    if da != db:
        raise RuntimeError(f"{_dtype.SCALAR_TYPE_NAMES[da.name]} did not match "
                           f"{_dtype.SCALAR_TYPE_NAMES[db.name]}")
    try:
        return Tensor._make(np.asarray(np.isclose(input._data, other._data, rtol=rtol, atol=atol,
                                                  equal_nan=equal_nan)))
    except ValueError:
        raise broadcast_error(input, other) from None


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True if every element pair is ``isclose``."""
    return bool(np.allclose(_arr(input), _arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    """True if both have the same shape and elements."""
    a, b = _arr(input), _arr(other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sorted values along ``dim`` and the indices they came from (values differentiable)."""
    x = input._data
    if x.ndim == 0:  # dim 0 or -1 of a scalar: itself, at index 0
        canon_dim(dim, 0)
        zero = Tensor._make(np.zeros((), np.int64))
        return MaxMin(select_along(input, 0, zero), zero)
    idx = np.argsort(-x if descending and x.dtype.kind != "b" else x, axis=dim, kind="stable")
    if descending and x.dtype.kind == "b":
        idx = np.flip(idx, axis=dim)
    elif descending and _dtype.is_floating(x.dtype):
        # NaN counts as the largest value: first in a descending sort (NumPy puts it last)
        nan_last = np.isnan(np.take_along_axis(x, idx, axis=dim))
        if nan_last.any():
            idx = np.take_along_axis(idx, np.argsort(~nan_last, axis=dim, kind="stable"),
                                     axis=dim)
    idx_t = Tensor._make(idx.astype(np.int64))
    return MaxMin(select_along(input, dim, idx_t), idx_t)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    if input._data.dtype == np.bool_:
        d = canon_dim(dim, input._data.ndim)  # torch checks dim and k before the dtype
        n = input._data.shape[d] if input._data.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError("selected index k out of range")
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if input._data.ndim == 0:
        if k not in (0, 1):
            raise RuntimeError("selected index k out of range")
        return sort(input, dim)  # torch gives the scalar for k = 0 too
    s = sort(input, dim, descending=largest)
    idx = narrow(s.indices, dim, 0, k)
    return MaxMin(select_along(input, dim, idx.contiguous()), idx)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The sorted unique elements (optionally with inverse indices and counts)."""
    wanted: dict[str, Any] = {"return_inverse": return_inverse, "return_counts": return_counts}
    res = np.unique(input._data, **wanted)
    if not (return_inverse or return_counts):
        return Tensor._make(res)
    out = [Tensor._make(res[0])]
    k = 1
    if return_inverse:
        out.append(Tensor._make(res[k].reshape(input.shape).astype(np.int64)))
        k += 1
    if return_counts:
        out.append(Tensor._make(res[k].astype(np.int64)))
    return tuple(out)


def isin(elements, test_elements) -> Tensor:
    """True where an element of ``elements`` occurs in ``test_elements``."""
    return Tensor._make(np.isin(_arr(elements), _arr(test_elements)))


def clamp_min_(input: Tensor, min) -> Tensor:
    """In-place ``clamp(min=min)``."""
    return input.clamp_(min=min)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    """Where each value of ``input`` would go in the sorted last dim of ``sorted_sequence``.

    The index ``i`` with ``seq[i-1] < v <= seq[i]`` (``seq[i-1] <= v < seq[i]`` with
    ``right=True`` or ``side='right'``). A 1-D sequence serves every value; an N-D one must
    share its first N-1 dims with ``input``, row by row. ``sorter`` gives the order that
    sorts an unsorted sequence. ``input`` may be a number (a 0-d result).
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, axis=-1)
    how: Literal["left", "right"] = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=how)
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                "N-1 dimensions of boundaries tensor and input value tensor must match, but we "
                f"got boundaries tensor {list(seq.shape)} and input value tensor "
                f"{list(values.shape)}")
        rows_seq = seq.reshape(-1, seq.shape[-1])
        rows_val = values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(a, v, side=how)
                        for a, v in zip(rows_seq, rows_val, strict=True)]).reshape(values.shape)
    return Tensor._make(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value among the 1-D sorted ``boundaries`` (``searchsorted`` with the
    arguments swapped)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)

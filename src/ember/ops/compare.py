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
    """Compares element by element: ``input == other``.

    The operands broadcast together and are compared in their promoted dtype.

    Args:
        input (Tensor or number): the left operand.
        other (Tensor or number): the right operand.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.eq(ember.tensor([1, 2, 3]), 2)
        tensor([False,  True, False])
    """
    return _compare(np.equal, input, other)


def ne(input, other) -> Tensor:
    """Compares element by element: ``input != other``.

    The operands broadcast together and are compared in their promoted dtype.

    Args:
        input (Tensor or number): the left operand.
        other (Tensor or number): the right operand.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.ne(ember.tensor([1, 2, 3]), 2)
        tensor([ True, False,  True])
    """
    return _compare(np.not_equal, input, other)


def lt(input, other) -> Tensor:
    """Compares element by element: ``input < other``.

    The operands broadcast together and are compared in their promoted dtype.

    Args:
        input (Tensor or number): the left operand.
        other (Tensor or number): the right operand.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.lt(ember.tensor([1, 2, 3]), 2)
        tensor([ True, False, False])
    """
    return _compare(np.less, input, other)


def le(input, other) -> Tensor:
    """Compares element by element: ``input <= other``.

    The operands broadcast together and are compared in their promoted dtype.

    Args:
        input (Tensor or number): the left operand.
        other (Tensor or number): the right operand.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.le(ember.tensor([1, 2, 3]), 2)
        tensor([ True,  True, False])
    """
    return _compare(np.less_equal, input, other)


def gt(input, other) -> Tensor:
    """Compares element by element: ``input > other``.

    The operands broadcast together and are compared in their promoted dtype.

    Args:
        input (Tensor or number): the left operand.
        other (Tensor or number): the right operand.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.gt(ember.tensor([1, 2, 3]), 2)
        tensor([False, False,  True])
    """
    return _compare(np.greater, input, other)


def ge(input, other) -> Tensor:
    """Compares element by element: ``input >= other``.

    The operands broadcast together and are compared in their promoted dtype.

    Args:
        input (Tensor or number): the left operand.
        other (Tensor or number): the right operand.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.ge(ember.tensor([1, 2, 3]), 2)
        tensor([False,  True,  True])
    """
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
    """Logical and element by element (non-zero counts as True).

    Args:
        input (Tensor): the left operand.
        other (Tensor): the right operand, broadcastable with ``input``.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.logical_and(ember.tensor([0, 1, 2]), ember.tensor([0, 0, 3]))
        tensor([False, False,  True])
    """
    return _logical("logical_and", np.logical_and, input, other)


def logical_or(input, other) -> Tensor:
    """Logical or element by element (non-zero counts as True).

    Args:
        input (Tensor): the left operand.
        other (Tensor): the right operand, broadcastable with ``input``.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.logical_or(ember.tensor([0, 1, 2]), ember.tensor([0, 0, 3]))
        tensor([False,  True,  True])
    """
    return _logical("logical_or", np.logical_or, input, other)


def logical_xor(input, other) -> Tensor:
    """Logical xor (exactly one is True) element by element (non-zero counts as True).

    Args:
        input (Tensor): the left operand.
        other (Tensor): the right operand, broadcastable with ``input``.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.logical_xor(ember.tensor([0, 1, 2]), ember.tensor([0, 0, 3]))
        tensor([False,  True, False])
    """
    return _logical("logical_xor", np.logical_xor, input, other)


def logical_not(input) -> Tensor:
    """Logical not element by element: True where the element is zero.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.logical_not(ember.tensor([0.0, 1.5]))
        tensor([ True, False])
    """
    return Tensor._make(np.logical_not(_arr(input)))


def isnan(input: Tensor) -> Tensor:
    """Tests each element: True where it is NaN.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.isnan(ember.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
        tensor([False, False, False,  True])
    """
    return Tensor._make(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    """Tests each element: True where it is positive or negative infinity.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.isinf(ember.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
        tensor([False,  True,  True, False])
    """
    return Tensor._make(np.isinf(input._data))


def isposinf(input: Tensor) -> Tensor:
    """Tests each element: True where it is positive infinity.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.isposinf(ember.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
        tensor([False,  True, False, False])
    """
    return Tensor._make(np.isposinf(input._data))


def isneginf(input: Tensor) -> Tensor:
    """Tests each element: True where it is negative infinity.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.isneginf(ember.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
        tensor([False, False,  True, False])
    """
    return Tensor._make(np.isneginf(input._data))


def isfinite(input: Tensor) -> Tensor:
    """Tests each element: True where it is neither NaN nor infinite.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.isfinite(ember.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
        tensor([ True, False, False, False])
    """
    return Tensor._make(np.isfinite(input._data))


def signbit(input: Tensor) -> Tensor:
    """Tests each element's sign bit: True for negative numbers, -0.0 included.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a ``bool`` tensor of ``input``'s shape.

    Example:
        >>> ember.signbit(ember.tensor([-1.0, -0.0, 0.0, 2.0]))
        tensor([ True,  True, False, False])
    """
    return Tensor._make(np.signbit(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Tests element by element whether ``|input - other| <= atol + rtol * |other|``.

    Infinities are close only to the same infinity; NaN is close to nothing unless
    ``equal_nan``.

    Args:
        input (Tensor): the first tensor.
        other (Tensor): the second tensor, of ``input``'s dtype, broadcastable with it.
        rtol (float): the relative tolerance.
        atol (float): the absolute tolerance.
        equal_nan (bool): count two NaNs as close.

    Returns:
        Tensor: a ``bool`` tensor of the broadcast shape.

    Example:
        >>> ember.isclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0 + 1e-9, 2.1]))
        tensor([ True, False])
    """
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
    """Whether every element pair is close, as :func:`isclose` decides.

    Args:
        input (Tensor): the first tensor.
        other (Tensor): the second tensor, of ``input``'s dtype, broadcastable with it.
        rtol (float): the relative tolerance.
        atol (float): the absolute tolerance.
        equal_nan (bool): count two NaNs as close.

    Returns:
        bool: True if all pairs are close.

    Example:
        >>> ember.allclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
        True
    """
    return bool(np.allclose(_arr(input), _arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    """Whether two tensors have the same shape and the same elements.

    Args:
        input (Tensor): the first tensor.
        other (Tensor): the second tensor.

    Returns:
        bool: True if shapes and elements are equal.

    Example:
        >>> ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2]))
        True
        >>> ember.equal(ember.tensor([1, 2]), ember.tensor([[1, 2]]))
        False
    """
    a, b = _arr(input), _arr(other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sorts the elements along ``dim`` and says where each came from.

    Ties keep their order (the sort is stable whatever ``stable`` says); NaN sorts as the
    largest value. Gradients flow to the values.

    Args:
        input (Tensor): the input.
        dim (int): the dimension to sort along.
        descending (bool): largest first.
        stable (bool): accepted for torch's signature; the sort is always stable.

    Returns:
        (Tensor, Tensor): a named pair ``(values, indices)``: the sorted values and the
        ``int64`` positions they had along ``dim``.

    Example:
        >>> values, indices = ember.sort(ember.tensor([3, 1, 2]))
        >>> values, indices
        (tensor([1, 2, 3]), tensor([1, 2, 0]))
    """
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
    """The positions that sort ``input`` along ``dim`` (the ``indices`` of :func:`sort`).

    Args:
        input (Tensor): the input.
        dim (int): the dimension to sort along.
        descending (bool): largest first.
        stable (bool): accepted for torch's signature; the sort is always stable.

    Returns:
        Tensor: ``int64`` indices of ``input``'s shape.

    Example:
        >>> ember.argsort(ember.tensor([3, 1, 2]), descending=True)
        tensor([0, 2, 1])
    """
    return sort(input, dim, descending, stable).indices


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest (or smallest) elements along ``dim`` and their positions.

    Args:
        input (Tensor): the input (not bool).
        k (int): how many elements, at most the size of ``dim``.
        dim (int): the dimension to search.
        largest (bool): the largest elements (else the smallest).
        sorted (bool): accepted for torch's signature; the result is always sorted.

    Returns:
        (Tensor, Tensor): a named pair ``(values, indices)``, each with ``k`` entries along
        ``dim``.

    Example:
        >>> values, indices = ember.topk(ember.tensor([1.0, 5.0, 3.0, 4.0]), 2)
        >>> values, indices
        (tensor([5., 4.]), tensor([1, 3]))
    """
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
    """The distinct elements of ``input``, sorted, over the flattened tensor.

    Args:
        input (Tensor): the input.
        sorted (bool): accepted for torch's signature; the result is always sorted.
        return_inverse (bool): also return, for each element of ``input``, the position of its
            value in the result.
        return_counts (bool): also return how often each distinct value occurs.
        dim (optional): accepted for torch's signature; the flattened tensor is used.

    Returns:
        Tensor or tuple: the 1-D distinct values, followed by the inverse indices (shaped like
        ``input``) and the counts when asked for.

    Example:
        >>> ember.unique(ember.tensor([2, 1, 2, 3]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 2, 1]))
    """
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
    """Tests whether each element of ``elements`` occurs in ``test_elements``.

    Args:
        elements (Tensor or number): the values to look up.
        test_elements (Tensor or number): the values to look among.

    Returns:
        Tensor: a ``bool`` tensor of ``elements``' shape.

    Example:
        >>> ember.isin(ember.tensor([1, 2, 3, 4]), ember.tensor([2, 4]))
        tensor([False,  True, False,  True])
    """
    return Tensor._make(np.isin(_arr(elements), _arr(test_elements)))


def clamp_min_(input: Tensor, min) -> Tensor:
    """Raises every element below ``min`` to ``min``, in place.

    Args:
        input (Tensor): the tensor to change.
        min (number or Tensor): the lower bound.

    Returns:
        Tensor: ``input``.

    Example:
        >>> x = ember.tensor([-1.0, 0.5])
        >>> ember.clamp_min_(x, 0.0)
        tensor([0.0000, 0.5000])
    """
    return input.clamp_(min=min)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    """Where each value of ``input`` would go to keep a sorted sequence sorted.

    For a value ``v`` it is the index ``i`` with ``seq[i-1] < v <= seq[i]``, or
    ``seq[i-1] <= v < seq[i]`` with ``right=True`` (``side='right'``). A 1-D sequence serves
    every value; an N-D one must share its first N-1 dims with ``input`` and is searched row by
    row.

    Args:
        sorted_sequence (Tensor): sorted along its last dim (unless ``sorter`` is given).
        input (Tensor or number): the values to place (a number gives a 0-d result).
        out_int32 (bool): return ``int32`` indices instead of ``int64``.
        right (bool): place a value equal to an element after it.
        side (str, optional): ``'left'`` or ``'right'``, the same choice as ``right``.
        sorter (Tensor, optional): indices that sort an unsorted ``sorted_sequence``.

    Returns:
        Tensor: indices of ``input``'s shape.

    Example:
        >>> seq = ember.tensor([1, 3, 5, 7])
        >>> ember.searchsorted(seq, ember.tensor([3, 6]))
        tensor([1, 3])
        >>> ember.searchsorted(seq, ember.tensor([3, 6]), right=True)
        tensor([2, 3])
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
    """The bucket of each value among sorted ``boundaries`` (:func:`searchsorted` with
    the arguments swapped).

    Args:
        input (Tensor or number): the values to place.
        boundaries (Tensor): 1-D, sorted increasingly.
        out_int32 (bool): return ``int32`` indices instead of ``int64``.
        right (bool): a value equal to a boundary goes to the bucket after it.

    Returns:
        Tensor: indices of ``input``'s shape.

    Example:
        >>> ember.bucketize(ember.tensor([0.5, 2.0, 9.0]), ember.tensor([1.0, 2.0, 3.0]))
        tensor([0, 1, 3])
    """
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)

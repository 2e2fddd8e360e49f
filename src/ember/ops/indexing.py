"""Indexing: ``t[...]``, ``t[...] = v``, index_select, gather, scatter, masked_fill."""

from __future__ import annotations

import warnings

import numpy as np

from ember import _dtype
from ember.autograd.function import ArrayFunction
from ember.autograd.grad_mode import _state
from ember.autograd.history import refuse_internal_overlap, shares_locations
from ember.ops._util import broadcast_error, canon_dim, check_scalar_fits, reduce_grad
from ember.ops.shape import Slice
from ember.tensor import Tensor

__all__ = [
    "argwhere",
    "gather",
    "getitem",
    "index_add",
    "index_copy",
    "index_fill",
    "index_select",
    "masked_fill",
    "masked_select",
    "nonzero",
    "scatter",
    "scatter_add",
    "setitem",
    "take",
    "take_along_dim",
]


def _convert_index(index):
    """Turns tensors and lists inside an index into arrays; says whether it is basic."""
    if not isinstance(index, tuple):
        index = (index,)
    out, basic = [], True
    for i in index:
        if isinstance(i, Tensor):
            arr = i._data
            if arr.dtype.kind == "f":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors"
                )
            if arr.ndim == 0 and arr.dtype.kind in "iu":
                out.append(int(arr))
                continue
            out.append(arr)
            basic = False
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asarray(i)
            out.append(arr.astype(np.int64) if arr.size == 0 and arr.dtype.kind == "f" else arr)
            basic = False
        elif isinstance(i, (bool, np.bool_)):
            out.append(bool(i))
            basic = False
        else:
            out.append(i)
    return tuple(out), basic


class _Staged:
    """An advanced index with integers, which torch applies in two steps: the integers first
    (basic indexing, a view), then the rest. NumPy would count the integers as advanced
    indices, which moves the indexed dims to the front (``x[0, :, t]`` would be ``(len(t),
    n)``, not torch's ``(n, len(t))``)."""

    __slots__ = ("basic", "rest")

    def __init__(self, index: tuple) -> None:
        basic: list = []
        rest: list = []
        for i in index:
            if type(i) is int:
                basic.append(i)
            elif i is None:
                basic.append(None)
                rest.append(slice(None))
            elif i is Ellipsis:
                basic.append(i)
                rest.append(i)
            elif isinstance(i, np.ndarray):
                basic.extend([slice(None)] * (i.ndim if i.dtype == np.bool_ else 1))
                rest.append(i)
            else:  # a slice
                basic.append(i)
                rest.append(slice(None))
        self.basic, self.rest = tuple(basic), tuple(rest)

    @staticmethod
    def wrap(index: tuple):
        """``index`` itself, or a :class:`_Staged` when it mixes integers and arrays."""
        if any(type(i) is int for i in index) and any(
                isinstance(i, np.ndarray) for i in index) and not any(
                isinstance(i, bool) for i in index):
            return _Staged(index)
        return index


def _region_of(x: np.ndarray, index):
    """``(array, index)`` such that ``array[index]`` is ``x[index]`` with torch's meaning;
    the array is ``x`` or a view of it, so writes through it reach ``x``."""
    if type(index) is _Staged:
        return x[index.basic], index.rest
    return x, index


class Index(ArrayFunction):
    """Advanced indexing (integer or boolean arrays): a copy; backward scatters with add."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        base, index = _region_of(x, index)
        return base[index]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        np.add.at(*_region_of(out, ctx.index), grad)
        return out, None


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with ints, slices, None, Ellipsis, and int/bool tensors or lists.

    Args:
        input: the input tensor.
        index: what ``input[...]`` takes: ints, slices, None, Ellipsis, int or bool tensors and
            lists.

    Returns:
        A view for basic indexing, a new tensor for advanced indexing.

    Example:
        >>> x = ember.tensor([[1, 2, 3], [4, 5, 6]])
        >>> ember.ops.indexing.getitem(x, (slice(None), 1))
        tensor([2, 5])
    """
    idx, basic = _convert_index(index)
    if basic:
        _check_bounds(input._data.shape, idx)
        if not any(i is Ellipsis for i in idx):
            idx += (Ellipsis,)  # makes x[0, 0] a 0-d view of x, not a NumPy scalar copy
        return Slice.apply(input, idx)
    _check_masks(input._data.shape, idx)
    try:
        return Index.apply(input, _Staged.wrap(idx))
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


class IndexPut(ArrayFunction):
    """``out = x.clone(); out[index] = value``."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index = index
        ctx.vmeta = (value.shape, value.dtype) if isinstance(value, np.ndarray) else None
        out = x.copy()
        _put(out, index, value)
        return out

    @staticmethod
    def backward(ctx, grad):
        gx = np.array(grad)  # a copy, and an array even for a summed 0-d gradient
        _put(gx, ctx.index, 0)
        gv = None
        if ctx.vmeta is not None and ctx.needs_input_grad[1]:
            base, index = _region_of(grad, ctx.index)
            picked = base[index]
            gv = reduce_grad(np.asarray(picked), *ctx.vmeta)
        return gx, gv, None


def setitem(input: Tensor, index, value) -> None:
    """``input[index] = value`` in place (differentiable w.r.t. both, like PyTorch).

    Args:
        input: the tensor written into.
        index: the entries to write, as for :func:`getitem`.
        value: a number or a tensor broadcast to the indexed region.

    Returns:
        None (``input`` is modified in place).

    Example:
        >>> x = ember.zeros(2, 3)
        >>> ember.ops.indexing.setitem(x, (0, slice(1, 3)), 7.)
        >>> x
        tensor([[0., 7., 7.],
                [0., 0., 0.]])
    """
    if not isinstance(value, Tensor):  # torch converts a number before it reads the index
        check_scalar_fits(value, input._data.dtype)
    idx, basic = _convert_index(index)
    v: Tensor | np.ndarray = value if isinstance(value, Tensor) else \
        np.asarray(value, dtype=input._data.dtype)
    recording = _state.enabled and (input._requires_grad or (
        isinstance(v, Tensor) and v._requires_grad))
    if not basic:
        used = sum(i.ndim if isinstance(i, np.ndarray) and i.dtype == np.bool_ else 1
                   for i in idx if i is not None and i is not Ellipsis and not isinstance(i, bool))
        if used > input._data.ndim:  # torch checks this before the value's shape and dtype
            raise IndexError(f"too many indices for tensor of dimension {input._data.ndim}")
        staged = _Staged.wrap(idx)
        _check_value_shape(input._data, staged, v, basic)
        _check_put_dtype(input, idx, v)
        idx = staged
    else:
        _check_value_shape(input._data, idx, v, basic)
    if basic:  # torch copies into the view ``input[index]``: refused if that overlaps itself
        refuse_internal_overlap(input._data[idx])
        if recording and shares_locations(input._data):
            target = input[idx]  # the view torch writes into, which overlaps nothing
            target.copy_(v if isinstance(v, Tensor) else Tensor._make(v))
            return
        if recording and isinstance(v, Tensor) and v._data.ndim == 0 and \
                not _dtype.is_floating(input._data.dtype):
            target = input[idx]  # torch copies a value of the view's shape into it and fills
            if target._data.ndim:  # it with a 0-d one: an integer or bool tensor filled
                target.fill_(v)  # from a value that requires grad then requires grad
            else:
                target.copy_(v)
            return
    if not recording:  # an index put writes through an expanded tensor, as torch's does
        _put(input._data, idx, v._data if isinstance(v, Tensor) else v)
        input._version_counter.value += 1
        return
    if isinstance(v, Tensor) and v._data.dtype != input._data.dtype:
        v = v.to(input.dtype)
    input._inplace_through(lambda s, val: IndexPut.apply(s, val, idx), v)


def _put(x: np.ndarray, index, value) -> None:
    """``x[index] = value`` with torch's meaning of ``index``; a value with more leading
    size-1 dims than the target (which torch accepts) loses them first."""
    base, index = _region_of(x, index)
    if isinstance(value, np.ndarray) and value.ndim:
        target = np.empty(base.shape, dtype=np.bool_)[index].ndim  # no values are copied
        if value.ndim > target:
            value = value.reshape(value.shape[value.ndim - target:])
    base[index] = value


def _check_bounds(x_shape, index) -> None:
    dim = 0
    for i in index:
        if i is None:
            continue
        if i is Ellipsis:
            dim = len(x_shape) - sum(1 for j in index if j is not None and j is not Ellipsis)
            dim = max(dim, 0) + sum(
                1 for j in index[: index.index(Ellipsis)] if j is not None)
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            if dim >= len(x_shape):
                raise IndexError(
                    f"too many indices for tensor of dimension {len(x_shape)}"
                )
            n = x_shape[dim]
            if not -n <= i < n:
                raise IndexError(
                    f"index {i} is out of bounds for dimension {dim} with size {n}"
                )
        dim += 1


def _check_masks(x_shape, index) -> None:
    """Raises PyTorch's IndexError for a boolean mask whose shape does not fit."""
    n_ell = len(x_shape) - sum(
        1 if not isinstance(i, np.ndarray) or i.dtype != np.bool_ else i.ndim
        for i in index if i is not None and i is not Ellipsis and not isinstance(i, bool))
    dim = 0
    for i in index:
        if i is None or isinstance(i, bool):
            continue
        if i is Ellipsis:
            dim += max(n_ell, 0)
            continue
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            for k, n in enumerate(i.shape):
                if dim + k >= len(x_shape) or x_shape[dim + k] != n:
                    raise IndexError(
                        f"The shape of the mask {list(i.shape)} at index {k} does not match the "
                        f"shape of the indexed tensor {list(x_shape)} at index {dim + k}"
                    )
            dim += i.ndim
            continue
        dim += 1


def _check_put_dtype(input: Tensor, idx: tuple, value) -> None:
    """torch's index_put refuses a value tensor of another dtype (a one-element value under a
    single boolean mask, other indices basic, is a masked fill, which casts)."""
    if not isinstance(value, Tensor) or value._data.dtype == input._data.dtype:
        return
    arrays = [i for i in idx if isinstance(i, np.ndarray)]
    if value._data.size == 1 and len(arrays) == 1 and arrays[0].dtype == np.bool_:
        return
    raise RuntimeError(
        "Index put requires the source and destination dtypes match, got "
        f"{_dtype.SCALAR_TYPE_NAMES[input._data.dtype.name]} for the destination and "
        f"{_dtype.SCALAR_TYPE_NAMES[value._data.dtype.name]} for the source.")


def _check_value_shape(x: np.ndarray, idx, value, basic: bool = True) -> None:
    """Raises PyTorch's error when ``value`` does not broadcast to the shape of ``x[idx]``
    (leading size-1 dims of the value aside): a basic index copies into a view (``expand``'s
    error), an advanced one puts (index_put's error)."""
    vshape = value._data.shape if isinstance(value, Tensor) else np.shape(value)
    if not vshape:
        return
    base, index = _region_of(np.empty(x.shape, dtype=np.bool_), idx)
    try:
        target = base[index].shape  # cheap: no values are copied
    except IndexError:
        return  # an index out of range: torch reports it after the dtype, at the put itself
    trimmed = vshape
    while len(trimmed) > len(target) and trimmed[0] == 1:
        trimmed = trimmed[1:]
    if len(trimmed) <= len(target) and all(
            n in (1, m) for n, m in zip(reversed(trimmed), reversed(target), strict=False)):
        return
    if basic and len(trimmed) > len(target):
        kind = _dtype.SCALAR_TYPE_NAMES[np.result_type(
            value._data if isinstance(value, Tensor) else value).name]
        raise RuntimeError(
            f"expand(ember.{kind}Tensor{{{list(vshape)}}}, size={list(target)}): the number of "
            f"sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(vshape)})")
    if basic:
        for k in range(1, min(len(vshape), len(target)) + 1):
            if vshape[-k] not in (1, target[-k]):
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[-k]}) must match the existing "
                    f"size ({vshape[-k]}) at non-singleton dimension {len(target) - k}.  Target "
                    f"sizes: {list(target)}.  Tensor sizes: {list(vshape)}")
    raise RuntimeError(
        f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to indexing "
        f"result of shape {list(target)}"
    )


class IndexSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dtype, ctx.dim = x.shape, x.dtype, dim
        ctx.save_for_backward(index)
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        moved = np.moveaxis(out, ctx.dim, 0)
        np.add.at(moved, index, np.moveaxis(grad, ctx.dim, 0))
        return out, None, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Picks the entries of ``dim`` listed in ``index`` (1-D, or 0-d for one entry).

    Args:
        input: the input tensor.
        dim: the dimension to pick from.
        index: an int64 or int32 tensor of entries (1-D or 0-d).

    Returns:
        A new tensor with ``dim`` of size ``len(index)``.

    Example:
        >>> ember.tensor([[1., 2, 3], [4, 5, 6]]).index_select(1, ember.tensor([2, 0]))
        tensor([[3., 1.],
                [6., 4.]])
    """
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = idx.reshape(-1).astype(np.int64, copy=False)
    if input._data.ndim == 0:
        if idx.size != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        if idx[0] != 0:
            raise IndexError("index out of range in self")
        return IndexSelect.apply(input.reshape(1), 0, idx).reshape(())
    d = canon_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(bad[0])} "
                           f"axis_dim={n}")
    return IndexSelect.apply(input, d, idx)


def _region(index: np.ndarray, dim: int) -> tuple:
    """The slices of an array that ``index`` covers outside ``dim`` (gather and scatter read
    and write only there: the index may be smaller than the tensor in every dim)."""
    return tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))


def _along(index: np.ndarray, dim: int) -> tuple:
    """The advanced index that puts ``index`` in ``dim`` and the identity elsewhere."""
    idx: list[np.ndarray] = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    return tuple(idx)


class Gather(ArrayFunction):
    """``out[i][j] = x[index[i][j]][j]`` (for dim 0). As torch, gather saves its input (an
    in-place change of it makes backward raise); sort and topk, which select with it, save
    only the index (``saves_input=False``)."""

    @staticmethod
    def forward(ctx, x, dim, index, saves_input=True):
        ctx.shape, ctx.dtype, ctx.dim = x.shape, x.dtype, dim
        ctx.save_for_backward(index, x if saves_input else None)
        if index.size == 0:
            return np.empty(index.shape, dtype=x.dtype)
        return np.take_along_axis(x[_region(index, dim)], index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        index, _ = ctx.saved_tensors
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        if index.size:
            np.add.at(out, _along(index, ctx.dim), grad)
        return out, None, None, None


class Scatter(ArrayFunction):
    """``out = x.clone()`` then ``src`` (an array or a number) written (``reduce=None``), added
    or multiplied into ``out`` at ``index`` along ``dim``; src is read only where the index is.
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.dim, ctx.reduce = dim, reduce
        ctx.smeta = (src.shape, src.dtype) if isinstance(src, np.ndarray) else None
        ctx.save_for_backward(index)
        out = x.copy()
        if index.size == 0:
            return out
        idx = _along(index, dim)
        values = src[tuple(slice(0, n) for n in index.shape)] if ctx.smeta else src
        if reduce == "add":
            np.add.at(out, idx, values)
        elif reduce == "multiply":
            np.multiply.at(out, idx, values)
        else:
            out[idx] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        # written entries lose their old value (torch: grad.scatter(dim, index, 0)); every src
        # entry the index reads gets the gradient of its target, duplicates included
        if ctx.reduce == "multiply" or (ctx.reduce == "add" and ctx.smeta is None):
            raise RuntimeError("derivative for aten::scatter is not implemented")
        (index,) = ctx.saved_tensors
        idx = _along(index, ctx.dim) if index.size else None
        gx = grad
        if ctx.reduce is None and idx is not None:
            gx = grad.copy()
            gx[idx] = 0
        gs = None
        if ctx.smeta is not None and ctx.needs_input_grad[3]:
            gs = np.zeros(*ctx.smeta)
            if idx is not None:
                gs[tuple(slice(0, n) for n in index.shape)] = grad[idx]
        return gx, None, None, gs, None


def _type_name(dtype) -> str:
    return _dtype.SCALAR_TYPE_NAMES[dtype.name]


def _index_array(index, what: str) -> np.ndarray:
    """The array of an index argument, checked to be an integer (int32/int64) array."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")
    return idx


def _gather_index(x: np.ndarray, dim: int, index, what: str = "gather", src=None) -> np.ndarray:
    """Checks an index for gather / scatter against ``x`` (and ``src``) as PyTorch does.

    Returns the index as int64, reshaped to ``x``'s rank (0-d and 1-d are interchangeable).
    """
    idx = _index_array(index, what)
    rank = max(x.ndim, 1)
    if max(idx.ndim, 1) != rank:
        name = "input" if what == "gather" else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {name} "
                           "tensor")
    if src is not None and max(src.ndim, 1) < rank and dim >= max(src.ndim, 1):
        n = max(src.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    if src is not None and max(src.ndim, 1) != rank:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    idx = idx.reshape(idx.shape or (1,))
    if idx.size == 0:
        return idx.astype(np.int64, copy=False)
    shape = x.shape or (1,)
    sshape = None if src is None else (src.shape or (1,))
    for d in range(rank):
        if (d != dim and idx.shape[d] > shape[d]) or (sshape is not None and \
                idx.shape[d] > sshape[d]):
            if what == "gather":
                raise RuntimeError(
                    f"Size does not match at dimension {d} expected index {list(idx.shape)} to "
                    f"be no larger than self {list(shape)} apart from dimension {dim}")
            tail = "" if sshape is None else f" and to be no larger size than src {list(sshape)}"
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(shape)} apart from dimension {dim}{tail}")
    n = shape[dim]
    lo, hi = int(idx.min()), int(idx.max())
    if lo < 0 or hi >= n:
        raise RuntimeError(
            f"index {hi if hi >= n else lo} is out of bounds for dimension {dim} with size {n}")
    return idx.astype(np.int64, copy=False)


def _as_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t._data.ndim == 0 else t


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Picks values along ``dim`` at ``index``: ``out[i][j] = input[index[i][j]][j]`` for dim 0.

    The output has the shape of ``index``, which may be smaller than ``input`` in every dim
    but ``dim``.

    Args:
        input: the source tensor.
        dim: the dimension to index along.
        index: int64 (or int32) tensor with as many dims as ``input``.
        sparse_grad: accepted for PyTorch compatibility (the gradient is dense).

    Returns:
        A tensor shaped like ``index``.

    Example:
        >>> ember.tensor([[1., 2, 3], [4, 5, 6]]).gather(1, ember.tensor([[0, 2]]))
        tensor([[1., 3.]])
    """
    return _gather(input, dim, index, True)


def _gather(input: Tensor, dim: int, index, saves_input: bool) -> Tensor:
    d = canon_dim(dim, input._data.ndim)
    idx = _gather_index(input._data, d, index)
    out = Gather.apply(_as_1d(input), d, idx, saves_input)
    return out.reshape(()) if _is_0d(index) else out


def select_along(input: Tensor, dim: int, index) -> Tensor:
    """``gather`` for ops that select with it (sort, topk): saves only the index."""
    return _gather(input, dim, index, False)


def _is_0d(index) -> bool:
    return np.ndim(index._data if isinstance(index, Tensor) else index) == 0


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` with ``indices`` and ``input`` broadcast against each other outside ``dim``
    (the flattened input when ``dim`` is None).

    Args:
        input: the input tensor.
        indices: an int64 tensor with as many dims as ``input``.
        dim: the dimension to pick along (None: the flattened input).

    Returns:
        A tensor of the broadcast shape, with ``indices``' size along ``dim``.

    Example:
        >>> x = ember.tensor([[10., 30., 20.], [60., 40., 50.]])
        >>> ember.take_along_dim(x, ember.argmax(x, 1, keepdim=True), dim=1)
        tensor([[30.],
                [60.]])
    """
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = canon_dim(dim, input._data.ndim)
    if indices._data.ndim != input._data.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input._data.ndim} dimensions for "
                           f"input, and {indices._data.ndim} dimensions for indices")
    si, sx = list(indices.shape), list(input.shape)
    si[d] = sx[d] = 1
    try:
        shape = np.broadcast_shapes(tuple(si), tuple(sx))
    except ValueError:
        raise broadcast_error(Tensor._make(np.empty(sx)), Tensor._make(np.empty(si))) from None
    xs, is_ = list(shape), list(shape)
    xs[d], is_[d] = input.shape[d], indices.shape[d]
    x = input if list(xs) == list(input.shape) else input.expand(*xs)
    i = indices if list(is_) == list(indices.shape) else indices.expand(*is_)
    return gather(x, d, i)


class Take(ArrayFunction):
    """Entries of the flattened input at ``index`` (negative positions count from the end);
    saves the input as torch does, so an in-place edit of it before backward is refused."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.save_for_backward(x, index)
        return x.reshape(-1)[index]

    @staticmethod
    def backward(ctx, grad):
        x, index = ctx.saved_tensors
        out = np.zeros(x.size, dtype=grad.dtype)
        np.add.at(out, index, grad)
        return out.reshape(x.shape), None


def take(input: Tensor, index: Tensor) -> Tensor:
    """Entries of the flattened input at ``index``.

    Args:
        input: the input tensor.
        index: an int64 tensor of positions in the flattened input (negative ones count from the
            end).

    Returns:
        A tensor shaped like ``index``.

    Example:
        >>> ember.take(ember.tensor([[1, 2], [3, 4]]), ember.tensor([0, 3]))
        tensor([1, 4])
    """
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{_type_name(idx.dtype)}")
    n = input._data.size
    if idx.size and n == 0:
        raise IndexError("take(): tried to take from an empty tensor")
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad].flat[0])} on a "
                         f"tensor of {n} elements.")
    return Take.apply(input, index)


def _scatter(input: Tensor, dim: int, index, src, reduce) -> Tensor:
    d = canon_dim(dim, input._data.ndim)
    s = src._data if isinstance(src, Tensor) else None
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    idx = _gather_index(input._data, d, index, "scatter", s)
    if s is not None and s.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if s is None:
        check_scalar_fits(src, input._data.dtype)
        src = np.asarray(src, dtype=input._data.dtype)[()]
    elif s.ndim == 0:
        src = src.reshape(1)
    out = Scatter.apply(_as_1d(input), d, idx, src, reduce)
    return out.reshape(()) if input._data.ndim == 0 else out


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """Writes ``src`` (a tensor or a number) into a copy of ``input`` at ``index`` along ``dim``.

    Args:
        input: the tensor to copy and write into.
        dim: the dimension ``index`` addresses.
        index: int64 tensor with as many dims as ``input``, no larger than ``input`` outside
            ``dim`` and no larger than ``src`` anywhere.
        src: the values (only the region the index covers is read), or a number.
        value: a number, instead of ``src``.
        reduce: ``'add'`` or ``'multiply'`` to combine with the old values (no gradient).

    Returns:
        A new tensor shaped like ``input``.

    Example:
        >>> ember.zeros(2, 3).scatter(1, ember.tensor([[0, 2]]), 5.0)
        tensor([[5., 0., 5.],
                [0., 0., 0.]])
    """
    if src is None:
        src = value
    out = _scatter(input, dim, index, src, reduce)
    if reduce is not None and isinstance(src, Tensor):
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
            "reduction options.", UserWarning, stacklevel=2)
    return out


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Adds ``src`` into a copy of ``input`` at ``index`` along ``dim`` (see :func:`scatter`).

    Args:
        input: the input tensor.
        dim: the dimension ``index`` addresses.
        index: an int64 tensor with as many dims as ``input``.
        src: the values to add (the region the index covers is read).

    Returns:
        A new tensor shaped like ``input``.

    Example:
        >>> src = ember.tensor([1., 2., 3.])
        >>> ember.scatter_add(ember.zeros(3), 0, ember.tensor([0, 2, 0]), src)
        tensor([4., 0., 2.])
    """
    return _scatter(input, dim, index, src, "add")


class IndexAdd(ArrayFunction):
    """``out = x.clone(); out.index_add_(dim, index, source, alpha=alpha)``."""

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        if x.dtype == np.bool_:
            alpha = bool(alpha)  # as torch, in the tensor's dtype: True + True is True
        ctx.dim, ctx.alpha = dim, alpha
        # as torch: source is saved (an in-place edit of it then raises) only when it needs a
        # gradient
        if ctx.needs_input_grad[3]:
            ctx.save_for_backward(index, source)
        else:
            ctx.save_for_backward(index)
        out = x.copy()
        np.add.at(np.moveaxis(out, dim, 0), index,
                  np.moveaxis(source if alpha == 1 else source * alpha, dim, 0))
        return out

    @staticmethod
    def backward(ctx, grad):
        index = ctx.saved_tensors[0]
        gs = None
        if ctx.needs_input_grad[3]:
            gs = np.take(grad, index, axis=ctx.dim)
            if ctx.alpha != 1:
                gs = gs * grad.dtype.type(ctx.alpha)
        return grad, None, None, gs, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """Adds ``alpha`` times the slices of ``source`` into a copy of ``input`` at the entries
    of ``dim`` listed in ``index`` (repeated entries accumulate).

    Args:
        input: the input tensor.
        dim: the dimension ``index`` addresses.
        index: a 1-D int64 or int32 tensor, one entry per slice of ``source``.
        source: the slices to add, of ``input``'s dtype and shape apart from ``dim``.
        alpha: the factor ``source`` is multiplied by.

    Returns:
        A new tensor shaped like ``input``.

    Example:
        >>> ember.zeros(2, 3).index_add(1, ember.tensor([0, 2, 2]), ember.ones(2, 3))
        tensor([[1., 0., 2.],
                [1., 0., 2.]])
    """
    d, idx, x, s = _index_args(input, dim, index, source, "index_add_")
    out = IndexAdd.apply(x, d, idx, s, alpha)
    return out.reshape(()) if input._data.ndim == 0 else out


class IndexCopy(ArrayFunction):
    """``out = x.clone(); out.index_copy_(dim, index, source)``."""

    @staticmethod
    def forward(ctx, x, dim, index, source):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        np.moveaxis(out, dim, 0)[index] = np.moveaxis(source, dim, 0)
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        gx = grad.copy()
        np.moveaxis(gx, ctx.dim, 0)[index] = 0
        gs = np.take(grad, index, axis=ctx.dim) if ctx.needs_input_grad[3] else None
        return gx, None, None, gs


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """Copies the slices of ``source`` into a copy of ``input`` at the entries of ``dim``
    listed in ``index``.

    Args:
        input: the input tensor.
        dim: the dimension ``index`` addresses.
        index: a 1-D int64 tensor, one entry per slice of ``source``.
        source: the slices to copy, of ``input``'s dtype.

    Returns:
        A new tensor shaped like ``input``.

    Example:
        >>> ember.zeros(2, 3).index_copy(1, ember.tensor([0, 2]), ember.ones(2, 2))
        tensor([[1., 0., 1.],
                [1., 0., 1.]])
    """
    d, idx, x, s = _index_args(input, dim, index, source, "index_copy_")
    out = IndexCopy.apply(x, d, idx, s)
    return out.reshape(()) if input._data.ndim == 0 else out


class IndexFill(ArrayFunction):
    """``out = x.clone(); out.index_fill_(dim, index, value)``; a 0-d tensor value gets the
    sum of the gradient over the filled entries."""

    @staticmethod
    def forward(ctx, x, dim, index, value):
        ctx.dim = dim
        ctx.save_for_backward(index)
        out = x.copy()
        np.moveaxis(out, dim, 0)[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        gx = grad.copy()
        np.moveaxis(gx, ctx.dim, 0)[index] = 0
        gv = None
        if ctx.needs_input_grad[3]:
            rows = np.moveaxis(grad, ctx.dim, 0)[np.unique(index)]
            gv = np.asarray(rows.sum(), dtype=grad.dtype)
        return gx, None, None, gv


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) at the entries of ``dim``
    listed in ``index``.

    Args:
        input: the input tensor.
        dim: the dimension ``index`` addresses.
        index: a 1-D (or 0-d) int64 tensor of entries.
        value: a number or a 0-d tensor (its gradient is the sum over the filled entries).

    Returns:
        A new tensor shaped like ``input``.

    Example:
        >>> ember.zeros(2, 3).index_fill(1, ember.tensor([0, 2]), 4.0)
        tensor([[4., 0., 4.],
                [4., 0., 4.]])
    """
    d = canon_dim(dim, input._data.ndim)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    idx = idx.reshape(-1).astype(np.int64, copy=False)
    n = input._data.shape[d] if input._data.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = int(idx.max() if idx.max() >= n else idx.min())
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    idx = np.where(idx < 0, idx + n, idx)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
    else:
        check_scalar_fits(value, input._data.dtype)
        value = np.asarray(value, dtype=input._data.dtype)[()]
    out = IndexFill.apply(_as_1d(input), d, idx, value)
    return out.reshape(()) if input._data.ndim == 0 else out


def _index_vector(index, what: str) -> np.ndarray:
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError(f"{what}(): Index is supposed to be a vector, but got dim: {idx.ndim} "
                         f"with type: {_type_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index but got: "
                           f"{_type_name(idx.dtype)}")
    return idx.reshape(-1).astype(np.int64, copy=False)


def _index_args(input: Tensor, dim, index, source: Tensor, what: str):
    """Checks the arguments of index_add / index_copy as PyTorch does; returns the dim, the
    1-D int64 index and the (at least 1-d) input and source."""
    d = canon_dim(dim, input._data.ndim)
    x, s = input._data, source._data
    if what == "index_copy_":
        idx = _index_copy_checks(x, d, index, s)
    else:
        idx = _index_vector(index, what)
        if s.dtype != x.dtype:
            raise RuntimeError(f"{what}(): self ({_type_name(x.dtype)}) and source "
                               f"({_type_name(s.dtype)}) must have the same scalar type")
        if x.shape[:d] + x.shape[d + 1:] != s.shape[:d] + s.shape[d + 1:] or x.ndim != s.ndim:
            raise RuntimeError("source tensor shape must match self tensor shape, excluding "
                               f"the specified dimension. Got self.shape = {list(x.shape)} "
                               f"source.shape = {list(s.shape)}")
    n_src = s.shape[d] if s.ndim else 1
    if idx.size != n_src:
        if what == "index_copy_":
            raise IndexError(f"{what}(): Number of indices ({idx.size}) should be equal to "
                             f"source.size(dim) ({n_src})")
        raise RuntimeError(f"{what}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {d}")
    _check_index_bounds(idx, x.shape[d] if x.ndim else 1, d, what)
    return d, idx, _as_1d(input), _as_1d(source)


def _index_copy_checks(x: np.ndarray, d: int, index, s: np.ndarray) -> np.ndarray:
    """index_copy's own checks and words (they differ from index_add's)."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if idx.dtype != np.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{_type_name(idx.dtype)}")
    if s.dtype != x.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_type_name(x.dtype)} and (source) {_type_name(s.dtype)}")
    if x.ndim and s.ndim and x.ndim != s.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({s.ndim}), "
                         f"destination dimensionality ({x.ndim})")
    xs = [n for k, n in enumerate(x.shape) if k != d]
    ss = [n for k, n in enumerate(s.shape) if k != d]
    if x.ndim and s.ndim and xs != ss:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, xs))} at dimension {d} and source slice shape: "
            f"{' '.join(map(str, ss))} at dimension 0.")
    return idx.reshape(-1)


def _check_index_bounds(idx: np.ndarray, n: int, dim: int, what: str) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx.max() if idx.max() >= n else idx.min())
        prefix = f"{what}(): " if what == "index_copy_" else ""
        err = IndexError if what == "index_copy_" else RuntimeError
        raise err(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {n}")


class MaskedFill(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        ctx.xmeta = (x.shape, x.dtype)
        ctx.vmeta = (value.shape, value.dtype) if isinstance(value, np.ndarray) else None
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        gx = reduce_grad(np.where(mask, np.zeros((), grad.dtype), grad), *ctx.xmeta)
        gv = None
        if ctx.vmeta is not None and ctx.needs_input_grad[2]:
            gv = np.sum(np.where(mask, grad, 0)).reshape(ctx.vmeta[0]).astype(ctx.vmeta[1])
        return gx, None, gv


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """Returns ``input`` with ``value`` where ``mask`` is True.

    Args:
        input: the input tensor.
        mask: a bool tensor broadcast against ``input``.
        value: a number or a 0-d tensor.

    Returns:
        A new tensor of the broadcast shape.

    Example:
        >>> ember.masked_fill(ember.tensor([1., 2., 3.]), ember.tensor([True, False, True]), 0.)
        tensor([0., 2., 0.])
    """
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}"
        )
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    check_scalar_fits(value.item() if isinstance(value, Tensor) else value, input._data.dtype)
    if isinstance(value, Tensor) and value._requires_grad and _state.enabled and \
            input._data.dtype.kind in "biu":
        raise RuntimeError("Autograd not support dtype: "
                           f"{_dtype.SCALAR_TYPE_NAMES[input._data.dtype.name]}")
    try:
        return MaskedFill.apply(input, Tensor._make(m), value)
    except ValueError:
        raise broadcast_error(Tensor._make(m), input) from None


class MaskedSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask):
        shape = np.broadcast_shapes(x.shape, mask.shape)
        ctx.xmeta = (x.shape, x.dtype)
        ctx.save_for_backward(x, mask)  # as torch: an in-place edit of either is refused
        return np.broadcast_to(x, shape)[np.broadcast_to(mask, shape)]

    @staticmethod
    def backward(ctx, grad):
        x, mask = ctx.saved_tensors
        full = np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))
        out = np.zeros(full.shape, dtype=grad.dtype)
        out[full] = grad
        return reduce_grad(out, *ctx.xmeta), None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """1-D tensor of the entries where ``mask`` (broadcast) is True.

    Args:
        input: the input tensor.
        mask: a bool tensor broadcast against ``input``.

    Returns:
        A 1-D tensor of the selected entries, in row-major order.

    Example:
        >>> ember.masked_select(ember.tensor([[1, 2], [3, 4]]), ember.tensor([True, False]))
        tensor([1, 3])
    """
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    try:
        np.broadcast_shapes(input._data.shape, m.shape)
    except ValueError:
        raise broadcast_error(Tensor._make(m), input) from None
    return MaskedSelect.apply(input, mask if isinstance(mask, Tensor) else Tensor._make(m))


def argwhere(input: Tensor) -> Tensor:
    """Indices of the non-zero elements as an (n, ndim) tensor (``nonzero(input)``).

    Args:
        input: the input tensor.

    Returns:
        An int64 tensor of shape ``(n, input.ndim)``.

    Example:
        >>> ember.argwhere(ember.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    return nonzero(input)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements, as an (n, ndim) tensor or a tuple of 1-D tensors.

    Args:
        input: the input tensor.
        as_tuple: return one 1-D index tensor per dimension instead.

    Returns:
        An int64 tensor of shape ``(n, input.ndim)``, or a tuple of ``input.ndim`` int64 tensors of
        length ``n``.

    Example:
        >>> x = ember.tensor([[0, 1], [2, 0]])
        >>> ember.nonzero(x)
        tensor([[0, 1],
                [1, 0]])
        >>> ember.nonzero(x, as_tuple=True)
        (tensor([0, 1]), tensor([1, 0]))
    """
    data = input._data
    if data.ndim == 0:  # PyTorch: a scalar has n = 0 or 1 rows and no columns
        if as_tuple:
            return (Tensor._make(np.zeros(int(bool(data)), np.int64)),)
        return Tensor._make(np.zeros((int(bool(data)), 0), np.int64))
    idx = np.nonzero(data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    # laid out as torch's: each coordinate contiguous (strides (1, n)), so view() of the result
    # is refused where torch refuses it
    return Tensor._make(np.stack(idx).astype(np.int64).T if idx else np.zeros((0, 0), np.int64))

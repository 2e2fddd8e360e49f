"""Indexing: ``t[...]``, ``t[...] = v``, index_select, gather, scatter, masked_fill."""

from __future__ import annotations

import numpy as np

from ember.autograd.function import ArrayFunction
from ember.autograd.grad_mode import _state
from ember.ops._util import canon_dim
from ember.ops.shape import Slice
from ember.tensor import Tensor

__all__ = [
    "getitem", "setitem", "index_select", "gather", "scatter", "scatter_add", "masked_fill",
    "masked_select", "take_along_dim", "nonzero", "argwhere", "index_add", "take",
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
            out.append(np.asarray(i))
            basic = False
        elif isinstance(i, (bool, np.bool_)):
            out.append(bool(i))
            basic = False
        else:
            out.append(i)
    return tuple(out), basic


class Index(ArrayFunction):
    """Advanced indexing (integer or boolean arrays): a copy; backward scatters with add."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        np.add.at(out, ctx.index, grad)
        return out, None


class IndexPut(ArrayFunction):
    """``out = x.clone(); out[index] = value``."""

    @staticmethod
    def forward(ctx, x, value, index):
        ctx.index = index
        ctx.vmeta = (value.shape, value.dtype) if isinstance(value, np.ndarray) else None
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        gx = grad.copy()
        gx[ctx.index] = 0
        gv = None
        if ctx.vmeta is not None and ctx.needs_input_grad[1]:
            from ember.ops._util import reduce_grad

            picked = grad[ctx.index]
            gv = reduce_grad(np.asarray(picked), *ctx.vmeta)
        return gx, gv, None


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


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with ints, slices, None, Ellipsis, and int/bool tensors or lists."""
    idx, basic = _convert_index(index)
    if basic:
        _check_bounds(input._data.shape, idx)
        if not any(i is Ellipsis for i in idx):
            idx += (Ellipsis,)  # makes x[0, 0] a 0-d view of x, not a NumPy scalar copy
        return Slice.apply(input, idx)
    _check_masks(input._data.shape, idx)
    try:
        return Index.apply(input, idx)
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


def setitem(input: Tensor, index, value) -> None:
    """``input[index] = value`` in place (differentiable w.r.t. both, like PyTorch)."""
    idx, basic = _convert_index(index)
    if isinstance(value, Tensor):
        v = value
    else:
        v = np.asarray(value, dtype=input._data.dtype)
    recording = _state.enabled and (input._requires_grad or (
        isinstance(v, Tensor) and v._requires_grad))
    _check_value_shape(input._data, idx, v)
    if not recording:
        input._data[idx] = v._data if isinstance(v, Tensor) else v
        input._version_counter.value += 1
        return
    if isinstance(v, Tensor) and v._data.dtype != input._data.dtype:
        v = v.to(input.dtype)
    input._inplace(lambda s, val: IndexPut.apply(s, val, idx), v)


def _check_value_shape(x: np.ndarray, idx, value) -> None:
    """Raises PyTorch's error when ``value`` does not broadcast to ``x[idx]``."""
    vshape = value._data.shape if isinstance(value, Tensor) else np.shape(value)
    if not vshape:
        return
    target = np.empty(x.shape, dtype=np.bool_)[idx].shape  # cheap: no values are copied
    try:
        np.broadcast_shapes(vshape, target)
        if len(vshape) <= len(target) or all(n == 1 for n in vshape[:len(vshape) - len(target)]):
            return
    except ValueError:
        pass
    for k in range(1, min(len(vshape), len(target)) + 1):
        if vshape[-k] not in (1, target[-k]):
            raise RuntimeError(
                f"The expanded size of the tensor ({target[-k]}) must match the existing size "
                f"({vshape[-k]}) at non-singleton dimension {len(target) - k}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(vshape)}"
            )
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


class Gather(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dtype, ctx.dim = x.shape, x.dtype, dim
        ctx.save_for_backward(index)
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        _scatter_add_into(out, ctx.dim, index, grad)
        return out, None, None


def _scatter_add_into(out, dim, index, src) -> None:
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    np.add.at(out, tuple(idx), src[tuple(slice(0, n) for n in index.shape)])


class Scatter(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        ctx.dim = dim
        ctx.smeta = (src.shape, src.dtype) if isinstance(src, np.ndarray) else None
        ctx.save_for_backward(index)
        out = x.copy()
        idx = list(np.indices(index.shape, sparse=True))
        idx[dim] = index
        idx = tuple(idx)
        values = src[tuple(slice(0, n) for n in index.shape)] if isinstance(src, np.ndarray) \
            else src
        if reduce == "add":
            np.add.at(out, idx, values)
        elif reduce == "multiply":
            np.multiply.at(out, idx, values)
        else:
            out[idx] = values
        ctx.reduce, ctx.idx = reduce, idx
        return out

    @staticmethod
    def backward(ctx, grad):
        gx = grad.copy()
        if ctx.reduce is None:
            gx[ctx.idx] = 0
        gs = None
        if ctx.smeta is not None and ctx.needs_input_grad[3]:
            gs = np.zeros(*ctx.smeta)
            gs[tuple(slice(0, n) for n in ctx.idx[ctx.dim].shape)] = grad[ctx.idx]
        return gx, None, None, gs, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Picks entries of ``dim`` listed in the 1-D ``index``."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return IndexSelect.apply(input, canon_dim(dim, input._data.ndim), idx.astype(np.int64))


def _gather_index(input: Tensor, dim: int, index) -> np.ndarray:
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int64 for index")
    if idx.ndim != input._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    n = input._data.shape[dim]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise RuntimeError(
            f"index {int(idx.max() if idx.max() >= n else idx.min())} is out of bounds for "
            f"dimension {dim} with size {n}"
        )
    return idx.astype(np.int64, copy=False)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for dim 0 (and so on for other dims)."""
    d = canon_dim(dim, input._data.ndim)
    return Gather.apply(input, d, _gather_index(input, d, index))


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """``gather`` with broadcasting of ``indices`` (flattened input when dim is None)."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)



def take(input: Tensor, index: Tensor) -> Tensor:
    """Entries of the flattened input at ``index``."""
    return getitem(input.reshape(-1), index)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None):
    """Writes ``src`` (a tensor or number) into a copy of ``input`` at ``index`` along ``dim``."""
    if src is None:
        src = value
    d = canon_dim(dim, input._data.ndim)
    return Scatter.apply(input, d, _gather_index(input, d, index), src, reduce)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Adds ``src`` into a copy of ``input`` at ``index`` along ``dim``."""
    d = canon_dim(dim, input._data.ndim)
    return Scatter.apply(input, d, _gather_index(input, d, index), src, "add")


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """Adds slices of ``source`` into a copy of ``input`` at ``index`` along ``dim``."""
    d = canon_dim(dim, input._data.ndim)
    idx = index._data.astype(np.int64)
    shape = [1] * input.ndim
    shape[d] = idx.size
    full = np.broadcast_to(idx.reshape(shape), source.shape)
    return scatter_add(input, d, Tensor._make(np.ascontiguousarray(full)), source * alpha)


class MaskedFill(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        ctx.vmeta = (value.shape, value.dtype) if isinstance(value, np.ndarray) else None
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        gx = np.where(mask, np.zeros((), grad.dtype), grad)
        gv = None
        if ctx.vmeta is not None and ctx.needs_input_grad[2]:
            gv = np.sum(np.where(mask, grad, 0)).reshape(ctx.vmeta[0]).astype(ctx.vmeta[1])
        return gx, None, gv


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """Returns ``input`` with ``value`` where ``mask`` is True."""
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
    return MaskedFill.apply(input, Tensor._make(m), value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """1-D tensor of the entries where ``mask`` (broadcast) is True."""
    from ember.ops.shape import expand

    shape = np.broadcast_shapes(input.shape, mask.shape)
    return getitem(expand(input, shape), expand(mask, shape)._data.copy())


def argwhere(input: Tensor) -> Tensor:
    """Indices of the non-zero elements as an (n, ndim) tensor (``nonzero(input)``)."""
    return nonzero(input)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the non-zero elements, as an (n, ndim) tensor or a tuple of 1-D tensors."""
    data = input._data
    if data.ndim == 0:  # PyTorch: a scalar has n = 0 or 1 rows and no columns
        if as_tuple:
            return (Tensor._make(np.zeros(int(bool(data)), np.int64)),)
        return Tensor._make(np.zeros((int(bool(data)), 0), np.int64))
    idx = np.nonzero(data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=1).astype(np.int64) if idx else
                        np.zeros((0, 0), np.int64))

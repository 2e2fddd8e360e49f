"""Operations on sparse COO tensors: conversions, coalescing, products, reductions, softmax.

Each differentiable op is an :class:`ArrayFunction` on the values array (the index
bookkeeping travels as keyword arguments), so gradients reach the values, the dense operands
and their histories. Products go through ``scipy.sparse`` CSR matrices.
"""

from __future__ import annotations

import numpy as np

from ember._dtype import SCALAR_TYPE_NAMES
from ember._shapes import canon_dim as _canon_dim
from ember.autograd.function import ArrayFunction
from ember.ops._util import broadcast_error
from ember.ops.linalg import mm as dense_mm
from ember.ops.softmax import log_softmax as dense_log_softmax
from ember.ops.softmax import softmax as dense_softmax
from ember.sparse.coo import SparseTensor, _flat_index
from ember.sparse.layouts import sparse_coo
from ember.tensor import Tensor

__all__ = ["coalesce", "log_softmax", "mm", "softmax", "spmm", "sum", "to_dense", "to_sparse"]


# -- coalescing ------------------------------------------------------------------------------
def _coalesce_plan(indices: np.ndarray) -> tuple:
    """How to coalesce: ``(order, starts, unique)``. ``order`` sorts the entries
    lexicographically by index, ``starts`` marks where each run of equal indices begins in
    that order, ``unique`` holds one index column per run."""
    sd, nnz = indices.shape
    if sd == 0:
        order = np.arange(nnz)
        starts = np.zeros(min(nnz, 1), dtype=np.int64)
        return order, starts, indices[:, :len(starts)]
    order = np.lexsort(indices[::-1])
    ordered = indices[:, order]
    new = np.ones(nnz, dtype=bool)
    new[1:] = np.any(ordered[:, 1:] != ordered[:, :-1], axis=0)
    starts = np.flatnonzero(new)
    return order, starts, ordered[:, starts]


class Coalesce(ArrayFunction):
    """Sums the values of equal indices (``order`` sorts them, runs begin at ``starts``)."""

    @staticmethod
    def forward(ctx, values, order, starts):
        ctx.order, ctx.starts, ctx.nnz = order, starts, values.shape[0]
        if starts.size == 0:
            return values[:0].copy()
        return np.add.reduceat(values[order], starts, axis=0)

    @staticmethod
    def backward(ctx, grad):
        # every stored entry receives the gradient of the sum it went into
        run = np.zeros(ctx.nnz, dtype=np.int64)
        run[ctx.starts[1:]] = 1
        out = np.empty((ctx.nnz, *grad.shape[1:]), dtype=grad.dtype)
        out[ctx.order] = grad[np.cumsum(run)]
        return out


def coalesce(input: SparseTensor) -> SparseTensor:
    """``input`` with sorted, unique indices; values of equal indices are summed.

    Args:
        input: a sparse COO tensor.

    Returns:
        A coalesced sparse tensor (``input`` itself if it already is).

    Example:
        >>> s = ember.sparse_coo_tensor([[1, 0, 1]], [1.0, 2.0, 3.0])
        >>> ember.sparse.coalesce(s).values()
        tensor([2., 4.])
    """
    if input._coalesced:
        return input
    input._validate()
    order, starts, unique = _coalesce_plan(input._idx)
    values = Coalesce.apply(input._vals, order=order, starts=starts)
    return SparseTensor._make(unique, values, input._shape, True, True)


# -- dense <-> sparse ------------------------------------------------------------------------
class ToDense(ArrayFunction):
    """Scatters (adding duplicates) the values into zeros of ``shape``."""

    @staticmethod
    def forward(ctx, values, flat, shape):
        ctx.flat, ctx.sparse_dim = flat, len(shape) - values.ndim + 1
        out = np.zeros((int(np.prod(shape[:ctx.sparse_dim])), *values.shape[1:]),
                       dtype=values.dtype)
        np.add.at(out, flat, values)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        lead = int(np.prod(grad.shape[:ctx.sparse_dim]))
        return grad.reshape((lead, *grad.shape[ctx.sparse_dim:]))[ctx.flat]


def to_dense(input: SparseTensor) -> Tensor:
    """The dense equivalent of ``input`` (duplicate entries summed).

    Args:
        input: a sparse COO tensor.

    Returns:
        A dense Tensor of ``input``'s shape and dtype, differentiable w.r.t. the values.
    """
    input._validate()
    flat = _flat_index(input._idx, input._shape)
    return ToDense.apply(input._vals, flat=flat, shape=input._shape)


class ToSparse(ArrayFunction):
    """Gathers the slices at ``flat`` of ``x`` viewed as ``(prod(shape[:sparse_dim]), ...)``."""

    @staticmethod
    def forward(ctx, x, flat, sparse_dim):
        lead = x.reshape((int(np.prod(x.shape[:sparse_dim])), *x.shape[sparse_dim:]))
        ctx.flat, ctx.shape, ctx.lead_shape = flat, x.shape, lead.shape
        return lead[flat]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.lead_shape, dtype=grad.dtype)
        out[ctx.flat] = grad  # the positions are unique
        return out.reshape(ctx.shape)


def to_sparse(input, sparse_dim: int | None = None, *, layout=None, blocksize=None,
              dense_dim=None) -> SparseTensor:
    """A dense tensor in sparse COO layout, as ``Tensor.to_sparse``.

    A position of the first ``sparse_dim`` dims is stored when any element of its slice is
    nonzero; the result is coalesced.

    Args:
        input: a dense Tensor (a sparse one is returned as it is).
        sparse_dim: how many leading dims are sparse (all of them when None).
        layout: None or ``ember.sparse_coo`` (the only sparse layout Ember has).
        blocksize: unsupported (block layouts).
        dense_dim: unsupported with the COO layout, as in PyTorch.

    Returns:
        A coalesced :class:`SparseTensor`, differentiable w.r.t. ``input``.

    Example:
        >>> ember.sparse.to_sparse(ember.tensor([[0.0, 2.0], [3.0, 0.0]])).indices()
        tensor([[0, 1],
                [1, 0]])
    """
    if layout not in (None, sparse_coo) or blocksize is not None or dense_dim is not None:
        raise NotImplementedError("Ember's only sparse layout is ember.sparse_coo")
    if isinstance(input, SparseTensor):
        if sparse_dim is not None and sparse_dim != input.sparse_dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim "
                               "argument !=self.sparse_dim() is not supported")
        return input
    ndim = input.ndim
    sd = ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= sd <= ndim:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{ndim}] range, "
                           f"but {sd} is given")
    if sd == 0 and ndim > 0:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when "
                           "self.dim()>0")
    data = input._data
    shape = tuple(data.shape)
    lead = int(np.prod(shape[:sd]))
    tail = int(np.prod(shape[sd:]))
    flat = np.flatnonzero((data != 0).reshape(lead, tail).any(axis=1))
    if sd:
        indices = np.array(np.unravel_index(flat, shape[:sd]), dtype=np.int64)
    else:
        indices = np.zeros((0, flat.size), dtype=np.int64)
    values = ToSparse.apply(input, flat=flat, sparse_dim=sd)
    return SparseTensor._make(indices, values, shape, True, True)


# -- elementwise -----------------------------------------------------------------------------
class GatherAt(ArrayFunction):
    """``x[index]`` for a tuple of index arrays, repeats allowed: a dense operand read at a
    sparse tensor's entries."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x.shape
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.index, grad)
        return out


def _mul(input: SparseTensor, other, divide: bool = False) -> SparseTensor:
    """``input * other`` (or ``/``) for a scalar or a dense tensor that broadcasts to
    ``input``'s shape; the result keeps ``input``'s pattern."""
    op = (lambda a, b: a / b) if divide else (lambda a, b: a * b)
    if not isinstance(other, Tensor):
        if isinstance(other, SparseTensor):
            raise NotImplementedError("Ember multiplies sparse tensors only by scalars and "
                                      "dense tensors")
        return input._with_values(op(input._vals, other))
    if divide and other.ndim:
        raise RuntimeError("Sparse division requires a scalar or zero-dim dense tensor divisor "
                           f"(got shape {list(other.shape)} for divisor)")
    shape = input._shape
    try:
        full = np.broadcast_shapes(tuple(other.shape), shape)
    except ValueError:
        raise broadcast_error(other, np.broadcast_to(0, shape)) from None
    if full != shape:
        raise NotImplementedError("Ember multiplies a sparse tensor by a dense one only when "
                                  "the dense one broadcasts to the sparse one's shape")
    if other.numel() == 1:
        return input._with_values(op(input._vals, other.reshape(())))
    input._validate()
    aligned = other.reshape((1,) * (len(shape) - other.ndim) + tuple(other.shape))
    zeros = np.zeros(input._nnz(), dtype=np.int64)
    index = tuple(row if aligned.shape[d] != 1 else zeros for d, row in enumerate(input._idx))
    return input._with_values(op(input._vals, GatherAt.apply(aligned, index=index)))


# -- products --------------------------------------------------------------------------------
def _csr(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple):
    """A CSR matrix of the entries (duplicates summed)."""
    import scipy.sparse as sp  # on first use: scipy.sparse takes a quarter second to load

    return sp.csr_matrix((values, (rows, cols)), shape=shape)


_SCIPY_UNSUPPORTED = ("float16", "bfloat16")


class SparseAddmm(ArrayFunction):
    """``A @ D`` (``left``) or ``D @ A`` for a sparse matrix ``A`` given by ``values`` at
    ``(rows, cols)`` and a dense matrix ``D``."""

    @staticmethod
    def forward(ctx, values, dense, rows, cols, shape, left):
        ctx.save_for_backward(values, dense)
        ctx.rows, ctx.cols, ctx.left = rows, cols, left
        work = np.float32 if values.dtype.name in _SCIPY_UNSUPPORTED else values.dtype
        a = _csr(values.astype(work, copy=False), rows, cols, shape)
        ctx.a = a
        d = dense.astype(work, copy=False)
        out = a @ d if left else (a.T @ d.T).T
        return np.ascontiguousarray(out, dtype=values.dtype)

    @staticmethod
    def backward(ctx, grad):
        values, dense = ctx.saved_tensors
        work = ctx.a.dtype
        g = grad.astype(work, copy=False)
        d = dense.astype(work, copy=False)
        gv = gd = None
        if ctx.left:  # out = A D: dD = A^T G, dA[r, c] = G[r, :] . D[c, :]
            if ctx.needs_input_grad[0]:
                gv = np.einsum("kj,kj->k", g[ctx.rows], d[ctx.cols])
            if ctx.needs_input_grad[1]:
                gd = ctx.a.T @ g
        else:  # out = D A: dD = G A^T, dA[r, c] = D[:, r] . G[:, c]
            if ctx.needs_input_grad[0]:
                gv = np.einsum("ik,ik->k", d[:, ctx.rows], g[:, ctx.cols])
            if ctx.needs_input_grad[1]:
                gd = (ctx.a @ g.T).T
        if gv is not None:
            gv = gv.astype(values.dtype, copy=False)
        if gd is not None:
            gd = np.ascontiguousarray(gd, dtype=dense.dtype)
        return gv, gd


def _entries(m, rows: np.ndarray, cols: np.ndarray, dtype) -> np.ndarray:
    """The entries of a scipy sparse matrix at ``(rows, cols)`` (zero where none is stored)."""
    m = m.tocoo()
    keys = m.row.astype(np.int64) * m.shape[1] + m.col
    order = np.argsort(keys, kind="stable")
    keys, data = keys[order], m.data[order]
    out = np.zeros(rows.shape, dtype=dtype)
    if keys.size:
        want = rows * m.shape[1] + cols
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        hit = keys[pos] == want
        out[hit] = data[pos[hit]]
    return out


class SparseSparseMM(ArrayFunction):
    """Values of ``A @ B`` for sparse matrices, at the product's coalesced ``pattern``."""

    @staticmethod
    def forward(ctx, a_values, b_values, a_entries, b_entries, out_entries):
        (ra, ca, sa), (rb, cb, sb), (ro, co) = a_entries, b_entries, out_entries
        ctx.entries = (a_entries, b_entries, out_entries)
        a, b = _csr(a_values, ra, ca, sa), _csr(b_values, rb, cb, sb)
        ctx.a, ctx.b = a, b
        return _entries(a @ b, ro, co, a_values.dtype)

    @staticmethod
    def backward(ctx, grad):
        (ra, ca, sa), (rb, cb, sb), (ro, co) = ctx.entries
        g = _csr(grad, ro, co, (sa[0], sb[1]))
        ga = gb = None
        if ctx.needs_input_grad[0]:  # dA = G B^T, read at A's entries
            ga = _entries(g @ ctx.b.T, ra, ca, grad.dtype)
        if ctx.needs_input_grad[1]:  # dB = A^T G, read at B's entries
            gb = _entries(ctx.a.T @ g, rb, cb, grad.dtype)
        return ga, gb


def _type_name(dtype) -> str:
    return SCALAR_TYPE_NAMES[dtype.name]


def _check_matrix(s: SparseTensor) -> None:
    if s.ndim < 2:
        n = max(s.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         "but got -2)")


def _check_layout(s: SparseTensor) -> None:
    if s.sparse_dim() != 2:
        raise RuntimeError(f"addmm: matrices expected, got {s.sparse_dim()}D tensor")
    if s.dense_dim():
        raise RuntimeError(f"addmm: scalar values expected, got {s.dense_dim()}D values")
    s._validate()


def _check_dense(d: Tensor, dim: int) -> None:
    if d.ndim != 2:
        n = max(d.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")


def _check_dtypes(s: SparseTensor, d) -> None:
    if s.dtype != d.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(s.dtype)} but found "
                           f"{_type_name(d.dtype)}")
    if s.dtype.name == "bool":
        raise NotImplementedError("\"addmm_sparse_dense\" not implemented for 'Bool'")


def mm(mat1, mat2):
    """Matrix product with a sparse operand, as ``torch.sparse.mm``.

    ``sparse @ dense`` and ``dense @ sparse`` give dense tensors, ``sparse @ sparse`` a
    coalesced sparse tensor, ``dense @ dense`` the ordinary product. Gradients reach the
    dense operands and the sparse operands' values.

    Args:
        mat1: an ``(n, m)`` matrix, sparse (2 sparse dims, no dense dims) or dense.
        mat2: an ``(m, p)`` matrix, sparse or dense.

    Returns:
        The ``(n, p)`` product.

    Example:
        >>> a = ember.sparse_coo_tensor([[0, 1], [1, 0]], [2.0, 3.0], (2, 2))
        >>> ember.sparse.mm(a, ember.ones(2, 1))
        tensor([[2.],
                [3.]])
    """
    s1, s2 = isinstance(mat1, SparseTensor), isinstance(mat2, SparseTensor)
    if not s1 and not s2:
        return dense_mm(mat1, mat2)
    if s1 and s2:
        return _sparse_sparse_mm(mat1, mat2)
    if s1:
        _check_matrix(mat1)
        _check_dense(mat2, 1)
        _check_layout(mat1)
        _check_dtypes(mat1, mat2)
        if mat2.shape[0] != mat1.shape[1]:
            raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size "
                               f"{mat1.shape[1]}, got {mat2.shape[0]}")
        sparse, dense = mat1, mat2
    else:
        _check_dense(mat1, -2)
        _check_matrix(mat2)
        _check_layout(mat2)
        _check_dtypes(mat2, mat1)
        if mat1.shape[1] != mat2.shape[0]:
            raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size "
                               f"{mat2.shape[0]}, got {mat1.shape[1]}")
        sparse, dense = mat2, mat1
    rows, cols = sparse._idx
    return SparseAddmm.apply(sparse._vals, dense, rows=rows, cols=cols, shape=sparse._shape,
                          left=s1)


def _sparse_sparse_mm(a: SparseTensor, b: SparseTensor) -> SparseTensor:
    for s in (a, b):
        _check_matrix(s)
        _check_layout(s)
    _check_dtypes(a, b)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    (ra, ca), (rb, cb) = a._idx, b._idx
    # the product's pattern: entries where the structural product is nonzero
    ones = _csr(np.ones(ra.size), ra, ca, a._shape) @ _csr(np.ones(rb.size), rb, cb, b._shape)
    coo = ones.tocoo()
    order = np.lexsort((coo.col, coo.row))
    ro, co = coo.row[order].astype(np.int64), coo.col[order].astype(np.int64)
    values = SparseSparseMM.apply(a._vals, b._vals, a_entries=(ra, ca, a._shape),
                                  b_entries=(rb, cb, b._shape), out_entries=(ro, co))
    return SparseTensor._make(np.stack([ro, co]), values, (a.shape[0], b.shape[1]), True, True)


def spmm(input, mat2):
    """``ember.sparse.mm(input, mat2)`` (PyTorch's older name for the sparse-dense product)."""
    return mm(input, mat2)


# -- reductions ------------------------------------------------------------------------------
def _dims(dim, ndim: int) -> list[int]:
    dims = [dim] if isinstance(dim, int) else list(dim)
    out = []
    for d in dims:
        d = _canon_dim(int(d), ndim)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def sum(input: SparseTensor, dim=None, dtype=None):
    """Sum of a sparse tensor's elements, as ``torch.sparse.sum``.

    Args:
        input: a sparse COO tensor.
        dim: a dim or tuple of dims to reduce; None reduces all of them.
        dtype: the dtype to sum in (the values are converted first).

    Returns:
        A dense Tensor when every sparse dim is reduced (``dim`` None included), else a
        coalesced sparse tensor over the remaining dims.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
        >>> ember.sparse.sum(s, 1).to_dense()
        tensor([3., 9.])
    """
    values = input._vals if dtype is None else input._vals.to(dtype)
    if dim is None:
        return values.sum()
    sd = input.sparse_dim()
    dims = _dims(dim, input.ndim)
    dense_axes = tuple(d - sd + 1 for d in dims if d >= sd)
    if dense_axes:
        values = values.sum(dim=dense_axes)
    kept = [d for d in range(sd) if d not in dims]
    if not kept and sd:
        return values.sum(dim=0)
    shape = tuple(n for d, n in enumerate(input._shape) if d not in dims)
    input._validate()
    reduced = SparseTensor._make(input._idx[kept], values, shape, False, True)
    return coalesce(reduced)


# -- softmax ---------------------------------------------------------------------------------
class SparseSoftmax(ArrayFunction):
    """Softmax (or log-softmax) of the values within each ``group`` of entries."""

    @staticmethod
    def forward(ctx, values, group, n_groups, log):
        ctx.group, ctx.n_groups, ctx.log = group, n_groups, log
        top = np.full((n_groups, *values.shape[1:]), -np.inf, dtype=values.dtype)
        np.maximum.at(top, group, values)
        shifted = values - top[group]
        e = np.exp(shifted)
        total = np.zeros_like(top)
        np.add.at(total, group, e)
        out = shifted - np.log(total)[group] if log else e / total[group]
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        acc = np.zeros((ctx.n_groups, *grad.shape[1:]), dtype=grad.dtype)
        if ctx.log:  # dx = g - softmax * sum_group(g)
            np.add.at(acc, ctx.group, grad)
            return grad - np.exp(out) * acc[ctx.group]
        np.add.at(acc, ctx.group, grad * out)  # dx = y * (g - sum_group(g * y))
        return out * (grad - acc[ctx.group])


def _softmax(input, dim: int, dtype, log: bool) -> SparseTensor:
    if not isinstance(input, SparseTensor):
        name = "_sparse_log_softmax" if log else "_sparse_softmax"
        raise NotImplementedError(f"Could not run 'aten::{name}' with arguments from the 'CPU' "
                                  "backend")
    dim = _canon_dim(int(dim), input.ndim)
    s = coalesce(input if dtype is None else input.to(dtype))
    sd = s.sparse_dim()
    if dim >= sd:  # a dense dim: an ordinary softmax inside each entry
        values = (dense_log_softmax if log else dense_softmax)(s._vals, dim - sd + 1)
        return s._with_values(values)
    others = np.delete(s._idx, dim, axis=0)
    if others.shape[0]:
        _, group = np.unique(others, axis=1, return_inverse=True)
        group = group.reshape(-1)
        n_groups = int(group.max()) + 1 if group.size else 0
    else:
        group = np.zeros(s._nnz(), dtype=np.int64)
        n_groups = min(1, s._nnz())
    values = SparseSoftmax.apply(s._vals, group=group, n_groups=n_groups, log=log)
    return s._with_values(values)


def softmax(input: SparseTensor, dim: int, *, dtype=None) -> SparseTensor:
    """Softmax along ``dim`` over the stored entries only (missing ones count as -inf), as
    ``torch.sparse.softmax``.

    Args:
        input: a sparse COO tensor.
        dim: the dim to normalise along.
        dtype: the dtype to compute in (the values are converted first).

    Returns:
        A coalesced sparse tensor with ``input``'s pattern.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 0], [0, 2]], [1.0, 1.0], (1, 3))
        >>> ember.sparse.softmax(s, 1).values()
        tensor([0.5000, 0.5000])
    """
    return _softmax(input, dim, dtype, log=False)


def log_softmax(input: SparseTensor, dim: int, *, dtype=None) -> SparseTensor:
    """Log of :func:`softmax` over the stored entries, as ``torch.sparse.log_softmax``.

    Args:
        input: a sparse COO tensor.
        dim: the dim to normalise along.
        dtype: the dtype to compute in.

    Returns:
        A coalesced sparse tensor with ``input``'s pattern.
    """
    return _softmax(input, dim, dtype, log=True)


"""SparseTensor's op methods: ``s.coalesce()``, ``s.to_dense()``, ``s * 2``, ``s @ d``, ``s.sum()``.

:mod:`ember.sparse.coo` defines the data side of :class:`~ember.sparse.coo.SparseTensor`; the
ops in :mod:`ember.sparse.functional` build SparseTensors, so the methods that call them are
written here, in :class:`SparseMethods`, and given to the class by :func:`attach` (importing
:mod:`ember.sparse` does it), as :mod:`ember.tensor.methods` does for the dense Tensor.
"""

from __future__ import annotations

import inspect
import numbers

from ember.sparse import functional as _fn
from ember.sparse.coo import SparseTensor
from ember.tensor import Tensor

__all__ = ["SparseMethods", "attach"]


class SparseMethods:
    """The methods of :class:`~ember.sparse.coo.SparseTensor` that run sparse ops."""

    # -- conversions ---------------------------------------------------------------------
    def coalesce(self) -> SparseTensor:
        """Sorted indices, duplicates summed (self when already coalesced).

        Returns:
            A coalesced SparseTensor (differentiable w.r.t. the values).

        Example:
            >>> s = ember.sparse_coo_tensor([[1, 0, 1]], [1.0, 2.0, 3.0], (2,)).coalesce()
            >>> s.indices(), s.values()
            (tensor([[0, 1]]), tensor([2., 4.]))
        """
        if self._coalesced:
            return self
        self._validate()
        return _fn.coalesce(self)

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """The dense equivalent (duplicates summed), differentiable w.r.t. the values.

        Args:
            dtype: must be None (as in PyTorch).
            masked_grad: accepted for PyTorch compatibility.

        Returns:
            A dense Tensor of this shape.

        Example:
            >>> ember.sparse_coo_tensor([[0, 0, 2]], [1.0, 2.0, 5.0], (3,)).to_dense()
            tensor([3., 0., 5.])
        """
        if dtype is not None:
            raise RuntimeError("dtype argument is not supported by sparse_to_dense")
        self._validate()
        return _fn.to_dense(self)

    def to_sparse(self, sparse_dim: int | None = None, **kwargs) -> SparseTensor:
        """Self (a sparse tensor is already sparse)."""
        return _fn.to_sparse(self, sparse_dim, **kwargs)

    # -- arithmetic ----------------------------------------------------------------------
    def mul(self, other) -> SparseTensor:
        """Multiplication by a scalar or by a dense tensor that broadcasts to this shape
        (read at the stored entries, so the pattern is kept).

        Args:
            other: a number or a dense Tensor.

        Returns:
            A SparseTensor with the same indices.

        Example:
            >>> s = ember.sparse_coo_tensor([[0, 2]], [1.0, 2.0], (3,))
            >>> s.mul(ember.tensor([10.0, 20.0, 30.0])).to_dense()
            tensor([10.,  0., 60.])
        """
        return _fn._mul(self, other)

    def __mul__(self, other):
        if not isinstance(other, (numbers.Number, Tensor, SparseTensor)):
            return NotImplemented
        return _fn._mul(self, other)

    __rmul__ = __mul__

    def div(self, other) -> SparseTensor:
        """Division by a scalar or by a dense tensor that broadcasts to this shape.

        Args:
            other: a number or a dense Tensor.

        Returns:
            A SparseTensor with the same indices.

        Example:
            >>> ember.sparse_coo_tensor([[1]], [3.0], (2,)).div(2).to_dense()
            tensor([0.0000, 1.5000])
        """
        return _fn._mul(self, other, divide=True)

    def __truediv__(self, other):
        if not isinstance(other, (numbers.Number, Tensor)):
            return NotImplemented
        return _fn._mul(self, other, divide=True)

    # -- products and reductions ---------------------------------------------------------
    def __matmul__(self, other):
        return _fn.mm(self, other)

    def __rmatmul__(self, other):
        return _fn.mm(other, self)

    def mm(self, mat2):
        """``ember.sparse.mm(self, mat2)``: the matrix product with a dense or sparse matrix.

        Args:
            mat2: a dense Tensor (the result is dense) or a SparseTensor (sparse result).

        Returns:
            The product.

        Example:
            >>> s = ember.sparse_coo_tensor([[0, 1], [1, 0]], [2.0, 3.0], (2, 2))
            >>> s.mm(ember.ones(2, 1))
            tensor([[2.],
                    [3.]])
        """
        return _fn.mm(self, mat2)

    matmul = mm

    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        """``ember.sparse.sum(self, dim)`` (``keepdim`` is not supported for sparse tensors).

        Args:
            dim: the dimension(s) to sum over; None sums everything.
            keepdim: must be False.
            dtype: the dtype of the result.

        Returns:
            A dense 0-d Tensor when summing everything, else a sparse or dense one as
            PyTorch returns.

        Example:
            >>> ember.sparse_coo_tensor([[0, 2]], [1.0, 2.0], (3,)).sum()
            tensor(3.)
        """
        if keepdim:
            raise RuntimeError("sum(): keepdim is not supported for sparse tensors")
        return _fn.sum(self, dim, dtype=dtype)


def attach(cls: type = SparseTensor) -> None:
    """Gives ``cls`` the methods of :class:`SparseMethods`."""
    for name, value in vars(SparseMethods).items():
        if inspect.isfunction(value):
            setattr(cls, name, value)

"""Sparse COO tensors (``ember.sparse``), as ``torch.sparse`` on a CPU.

| file | what |
|---|---|
| layouts.py | ``ember.strided``, ``ember.sparse_coo`` |
| coo.py | :class:`SparseTensor` (its data side), :func:`sparse_coo_tensor`, invariant checks |
| functional.py | to_sparse, coalesce, to_dense, mm / spmm, sum, softmax, log_softmax |
| methods.py | the SparseTensor methods that run those ops (``s.coalesce()``, ``s @ d``, ...) |

Each file imports only those above it; importing the package gives SparseTensor its op
methods (``methods.attach()``), as ``import ember`` does for the dense Tensor.

Example:
    >>> a = ember.sparse_coo_tensor([[0, 1, 1], [1, 0, 2]], [1.0, 2.0, 3.0], (2, 3))
    >>> ember.sparse.mm(a, ember.ones(3, 2))
    tensor([[1., 1.],
            [5., 5.]])
"""

from ember.sparse.layouts import layout, sparse_coo, strided
from ember.sparse.coo import SparseTensor, check_sparse_tensor_invariants, sparse_coo_tensor
from ember.sparse.functional import (
    coalesce,
    log_softmax,
    mm,
    softmax,
    spmm,
    sum,
    to_dense,
    to_sparse,
)
from ember.sparse import methods as _methods

__all__ = [
    "SparseTensor",
    "check_sparse_tensor_invariants",
    "coalesce",
    "layout",
    "log_softmax",
    "mm",
    "softmax",
    "sparse_coo",
    "sparse_coo_tensor",
    "spmm",
    "strided",
    "sum",
    "to_dense",
    "to_sparse",
]

_methods.attach()

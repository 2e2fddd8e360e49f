"""Building the same sparse tensor in torch and Ember, and comparing them."""

from __future__ import annotations

import numpy as np
import torch

import ember


def pair(indices, values, size=None, **kwargs):
    """``(torch_sparse, ember_sparse)`` from the same arrays (torch dtypes in kwargs mapped)."""
    t_kw = dict(kwargs)
    e_kw = dict(kwargs)
    if "dtype" in kwargs:
        t_kw["dtype"] = getattr(torch, kwargs["dtype"])
        e_kw["dtype"] = getattr(ember, kwargs["dtype"])
    sizes = () if size is None else (size,)  # torch takes no size=None
    t = torch.sparse_coo_tensor(torch.tensor(np.asarray(indices)),
                                torch.tensor(np.asarray(values)), *sizes, **t_kw)
    e = ember.sparse_coo_tensor(ember.tensor(np.asarray(indices)),
                                ember.tensor(np.asarray(values)), *sizes, **e_kw)
    return t, e


def ember_repr(t) -> str:
    """torch's repr written with Ember's names."""
    return repr(t).replace("torch.", "ember.")


def assert_same_sparse(e, t, rtol=1e-7, atol=1e-9) -> None:
    """Same shape, nnz, dtype, coalesced flag, stored indices and values."""
    assert e.is_sparse and t.is_sparse
    assert tuple(e.shape) == tuple(t.shape)
    assert e._nnz() == t._nnz()
    assert e.dtype.name == str(t.dtype).removeprefix("torch.")
    assert e.is_coalesced() == t.is_coalesced()
    assert (e.sparse_dim(), e.dense_dim()) == (t.sparse_dim(), t.dense_dim())
    np.testing.assert_array_equal(e._indices().numpy(), t._indices().numpy())
    np.testing.assert_allclose(e._values().numpy(), t._values().numpy(), rtol=rtol, atol=atol)


def random_coo(rng, shape, nnz, dense_shape=(), duplicates=True):
    """Random indices (with repeats when ``duplicates``) and float64 values."""
    if duplicates:
        idx = np.stack([rng.integers(0, n, nnz) for n in shape])
    else:
        flat = rng.choice(int(np.prod(shape)), nnz, replace=False)
        idx = np.array(np.unravel_index(flat, shape))
    return idx.astype(np.int64), rng.standard_normal((nnz, *dense_shape))

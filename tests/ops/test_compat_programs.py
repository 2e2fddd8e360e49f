"""Ops fixed for the published programs of tests/programs, checked against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("a, b", [(1, 0), (1.0, 0), (True, False), (2, 0.5), (True, 3),
                                  (-1, 2.5)])
@pytest.mark.parametrize("default", [torch.float32, torch.float64])
def test_where_with_two_python_scalars(a, b, default):
    """siamese_network: ``torch.where(outputs > 0.5, 1, 0)``."""
    cond = np.array([[True, False, True], [False, False, True]])
    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(default)
        ember.set_default_dtype(getattr(ember, str(default).rpartition(".")[2]))
        expected = torch.where(torch.from_numpy(cond), a, b)
        got = ember.where(ember.from_numpy(cond), a, b)
    finally:
        torch.set_default_dtype(previous)
        ember.set_default_dtype(getattr(ember, str(previous).rpartition(".")[2]))
    assert str(got.dtype).rpartition(".")[2] == str(expected.dtype).rpartition(".")[2]
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_where_with_a_scalar_and_a_tensor_keeps_the_tensor_dtype():
    cond = np.array([True, False])
    x = np.array([1.5, 2.5], np.float32)
    expected = torch.where(torch.from_numpy(cond), torch.from_numpy(x), 0)
    got = ember.where(ember.from_numpy(cond), ember.from_numpy(x), 0)
    assert got.dtype == ember.float32 and expected.dtype == torch.float32
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def _sparse(lib, dtype):
    return lib.sparse_coo_tensor([[0, 1, 2, 2], [1, 0, 2, 0]], lib.ones(4), (3, 3), dtype=dtype)


@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_dense_plus_sparse_is_dense(dtype):
    """gcn / gat: ``adj_mat = torch.eye(V) + adj_mat`` with a sparse int64 adjacency."""
    expected = torch.eye(3) + _sparse(torch, getattr(torch, dtype))
    got = ember.eye(3) + _sparse(ember, getattr(ember, dtype))
    assert not expected.is_sparse and not got.is_sparse
    assert str(got.dtype) == str(expected.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_dense_plus_sparse_gradient_reaches_the_dense_operand():
    for lib in (torch, ember):
        x = lib.arange(9.0, dtype=lib.float64).reshape(3, 3).requires_grad_()
        weights = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
                             dtype=lib.float64)
        ((x + _sparse(lib, lib.float64)) * weights).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), weights.numpy())


def test_add_with_alpha_and_sparse_matches_torch():
    dense = np.arange(9.0).reshape(3, 3)
    expected = torch.add(torch.from_numpy(dense), _sparse(torch, torch.float64), alpha=2)
    got = ember.add(ember.from_numpy(dense), _sparse(ember, ember.float64), alpha=2)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())

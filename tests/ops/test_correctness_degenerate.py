"""Gradients at degenerate points against torch: std/var of constant slices, norms of zero
vectors and of vectors with zeros for every p, and the distances built on norms."""

import warnings

import pytest
import torch
from tests.torch_compare import check_special

import ember

INF = float("inf")
CONST = [[1.0, 1.0, 1.0], [2.0, 3.0, 7.0]]  # a constant row and an ordinary one
ZEROS = [[0.0, 0.0, 0.0], [0.0, 1.0, -2.0]]  # a zero row and a row with one zero


@pytest.mark.parametrize("call", [
    lambda x: x.std(), lambda x: x[0].std(), lambda x: x.std(1), lambda x: x.std(1, keepdim=True),
    lambda x: x.std(1, correction=0), lambda x: x[0].std(correction=0), lambda x: x.var(1),
    lambda x: x.std(dim=(0, 1)),
])
def test_std_var_of_constant_slices(call):
    check_special([CONST], call)


def test_std_mean_var_mean_of_constant_slices():
    check_special([CONST], lambda x: torch.std_mean(x, 1), lambda x: ember.std_mean(x, 1))
    check_special([CONST], lambda x: torch.var_mean(x, 1), lambda x: ember.var_mean(x, 1))
    check_special([CONST[0]], lambda x: torch.std_mean(x), lambda x: ember.std_mean(x))


@pytest.mark.parametrize("correction", [2, 2.5, 3])
def test_std_var_without_degrees_of_freedom(correction):
    # n - correction <= 0: torch warns and returns inf or nan; the gradients per slice follow
    for lib, fns in ((torch, ("var", "std")), (ember, ("var", "std"))):
        for name in fns:
            with pytest.warns(UserWarning, match=rf"{name}\(\): degrees of freedom is <= 0"):
                getattr(lib.tensor([[2.0, 3.0], [4.0, 4.0]]), name)(1, correction=correction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = [[[2.0, 2.0], [1.0, 2.0], [1.0, 4.0]]]
        for name in ("std", "var"):
            def full(x, name=name):
                return getattr(x, name)(correction=correction)

            check_special(data, lambda x, name=name: getattr(x, name)(1, correction=correction),
                          grads=[[1.0, 1.0, -2.0]])
            check_special([[1.0, 2.0]], full, grads=-2.0)
            check_special([[2.0, 2.0]], full)
        check_special([[2.0]], lambda x: x.std())
        check_special([[]], lambda x: x.var())


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, INF, -INF, -0.5, -1, -2, "fro"])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_at_zeros(p, dim):
    check_special([ZEROS], lambda x: x.norm(p, dim))
    check_special([[[1.0, 2.0, -2.0], [3.0, -3.0, 0.5]]], lambda x: x.norm(p, dim),
                  grads=None if dim is None else [[0.5, -2.0]])


def test_norm_of_zero_p_has_no_gradient():
    check_special([[0.0, 1.0, -2.0]], lambda x: x.norm(0))
    check_special([[0.0, 1.0, -2.0]], lambda x: x.norm(0) + x.sum())


@pytest.mark.parametrize("p", [1, 2, 3, INF, 0.5])
def test_distances_of_equal_points(p):
    # the rows of x are compared with themselves: zero distances
    check_special([ZEROS], lambda x: torch.dist(x[0], x[1] * 0, p),
                  lambda x: ember.dist(x[0], x[1] * 0, p))
    check_special([ZEROS], lambda x: torch.cdist(x, x, p), lambda x: ember.cdist(x, x, p))
    check_special([ZEROS], lambda x: torch.nn.functional.pairwise_distance(x, x, p, eps=0.0),
                  lambda x: ember.nn.functional.pairwise_distance(x, x, p, eps=0.0))
    check_special([ZEROS], lambda x: torch.nn.functional.normalize(x, p if p != 0.5 else 2, 1),
                  lambda x: ember.nn.functional.normalize(x, p if p != 0.5 else 2, 1))


def test_cosine_similarity_of_zero_vectors():
    check_special([ZEROS, CONST], lambda a, b: torch.nn.functional.cosine_similarity(a, b),
                  lambda a, b: ember.nn.functional.cosine_similarity(a, b))
    check_special([ZEROS], lambda a: torch.nn.functional.cosine_similarity(a, a, dim=1),
                  lambda a: ember.nn.functional.cosine_similarity(a, a, dim=1))

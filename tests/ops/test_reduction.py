"""sum, mean, prod, var/std, max/min, amax/amin, argmax/argmin, logsumexp, norm, cumsum."""

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, check_error, check_op, fn_pair, gradcheck, method

import ember

DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), []]


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean(name, dim, keepdim):
    if dim is None:
        check_op([(2, 3, 4)], lambda x: getattr(x, name)())
        return
    check_op([(2, 3, 4)], lambda x: getattr(x, name)(dim, keepdim=keepdim))
    check_op([(2, 3, 4)], lambda x: getattr(torch, name)(x, dim=dim, keepdim=keepdim),
             lambda x: getattr(ember, name)(x, dim=dim, keepdim=keepdim), noncontig=True)


def test_sum_mean_edge_cases():
    check_op([()], lambda x: x.sum())
    check_op([()], lambda x: x.mean(0))
    check_op([(0, 3)], lambda x: x.sum(0))
    check_op([(0, 3)], lambda x: x.sum())
    check_op([(0, 3)], lambda x: x.mean(1))
    check_op([(2, 3)], lambda x: x.sum(dtype=torch.float64), lambda x: x.sum(dtype=ember.float64))
    ints = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    check_op([ints], lambda x: x.sum(), grad=False)
    check_op([ints], lambda x: x.sum(1), grad=False)
    check_op([np.array([True, False, True])], lambda x: x.sum(), grad=False)
    check_op([ints], lambda x: x.mean(dtype=torch.float32), lambda x: x.mean(dtype=ember.float32))
    check_error(lambda x: x.mean(), inputs=[ints], words=("mean(): could not infer output dtype",))
    check_error(lambda x: x.sum(2), inputs=[(2, 3)], words=("Dimension out of range",))


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod(dim):
    f = (lambda x: x.prod()) if dim is None else (lambda x: x.prod(dim))
    check_op([(3, 4)], f, low=0.5, high=1.5)
    check_op([(3, 4)], f, low=0.5, high=1.5, noncontig=True)
    zeros = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [1.0, 2.0, -1.0]])
    check_op([zeros], f)
    if dim is not None:
        check_op([(3, 4)], lambda x: x.prod(dim, keepdim=True), low=0.5)


def test_prod_edge_cases():
    check_op([()], lambda x: x.prod())
    check_op([(0,)], lambda x: x.prod())
    check_op([np.array([2, 3, 4])], lambda x: x.prod(), grad=False)
    assert gradcheck(lambda x: x.prod(1), [np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]])])


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("kwargs", [
    {}, {"dim": 0}, {"dim": 1, "keepdim": True}, {"dim": (0, 1)}, {"unbiased": False},
    {"dim": 1, "unbiased": False}, {"dim": 0, "correction": 0}, {"dim": 1, "correction": 2},
    {"correction": 0},
], ids=str)
def test_var_std(name, kwargs):
    check_op([(4, 5)], lambda x: getattr(x, name)(**kwargs))
    check_op([(4, 5)], lambda x: getattr(torch, name)(x, **kwargs),
             lambda x: getattr(ember, name)(x, **kwargs), noncontig=True)


def test_var_std_positional_forms_and_edges():
    check_op([(4, 5)], lambda x: x.var(1, True))
    check_op([(4, 5)], lambda x: x.std(0, False, True))
    check_op([(4, 5)], lambda x: x.var(False))
    check_op([(4, 5)], lambda x: torch.var_mean(x, 1), lambda x: ember.var_mean(x, 1))
    check_op([(4, 5)], lambda x: torch.std_mean(x, 0, keepdim=True),
             lambda x: ember.std_mean(x, 0, keepdim=True))
    # one element with correction 1: torch gives nan (and a warning), no error
    check_op([(1, 3)], lambda x: x.var(0), grad=False)
    assert gradcheck(lambda x: x.var(1), [(3, 4)])
    assert gradcheck(lambda x: x.std(0, correction=0), [(3, 4)])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min(name):
    check_op([(3, 4)], lambda x: getattr(x, name)())
    for dim in (0, 1, -1):
        check_op([(3, 4)], method(name, dim))
        check_op([(3, 4)], *fn_pair(name, dim=dim, keepdim=True), noncontig=True)
    out = getattr(ember.tensor([[1.0, 5.0], [7.0, 2.0]]), name)(1)
    assert out.indices.dtype == ember.int64 and out.values.shape == (2,)
    values, indices = out  # a namedtuple, unpackable like torch's
    assert values is out[0] and indices is out[1]
    # ties: the all-reduce shares the gradient evenly, dim-reduce picks the first index
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check_op([ties], lambda x: getattr(x, name)())
    check_op([ties], lambda x: getattr(x, name)(1))
    check_op([ties], lambda x: getattr(x, name)(0))
    check_op([(3, 4), (4,)], lambda x, y: getattr(torch, name)(x, y),
             lambda x, y: getattr(ember, name)(x, y))
    check_op([()], lambda x: getattr(x, name)(0))
    ints = np.array([[3, 1], [0, 7]])
    check_op([ints], lambda x: getattr(x, name)(1), grad=False)
    check_op([ints], lambda x: getattr(x, name)(), grad=False)


def test_max_min_nan_and_errors():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    check_op([Const(x)], lambda t: t.max(1))
    check_op([Const(x)], lambda t: t.min(1))
    check_op([Const(x)], lambda t: t.max())
    check_op([Const(x)], lambda t: t.argmax(1))
    check_error(lambda t: t.max(), inputs=[(0, 3)], words=("numel() == 0",))
    check_error(lambda t: t.max(0), inputs=[(0, 3)], words=("Expected reduction dim 0",))
    check_error(lambda t: t.max(2), inputs=[(2, 3)], words=("Dimension out of range",))


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin(name):
    for dim in ((), 0, 1, (0, 1), -1):
        check_op([(3, 4)], *fn_pair(name, dim))
    check_op([(3, 4)], lambda x: getattr(x, name)(1, keepdim=True))
    ties = np.array([[1.0, 3.0, 3.0], [3.0, 2.0, 0.0]])
    check_op([ties], lambda x: getattr(x, name)(1))
    check_op([ties], lambda x: getattr(x, name)())
    assert gradcheck(lambda x: getattr(ember, name)(x, 1), [(3, 4)])


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name):
    check_op([(3, 4)], lambda x: getattr(x, name)(), grad=False)
    for dim in (0, 1, -1):
        check_op([(3, 4)], method(name, dim), grad=False)
        check_op([(3, 4)], *fn_pair(name, dim=dim, keepdim=True), grad=False)
    ties = np.array([[1.0, 3.0, 3.0], [0.0, 2.0, 0.0]])
    check_op([ties], lambda x: getattr(x, name)(1), grad=False)
    check_op([ties], lambda x: getattr(x, name)(), grad=False)
    check_op([np.array([[3, 1, 3], [0, 7, 7]])], lambda x: getattr(x, name)(1), grad=False)
    check_op([()], lambda x: getattr(x, name)(), grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)], ids=str)
def test_logsumexp(dim):
    check_op([(3, 4)], lambda x: torch.logsumexp(x, dim), lambda x: ember.logsumexp(x, dim))
    check_op([(3, 4)], lambda x: x.logsumexp(dim, keepdim=True), noncontig=True)
    big = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0]])
    check_op([big], lambda x: x.logsumexp(dim if dim != (0, 1) else 1))
    check_op([Const(np.full((2, 3), -np.inf))], lambda x: x.logsumexp(1))
    assert gradcheck(lambda x: ember.logsumexp(x, dim), [(3, 4)])


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, float("inf"), float("-inf"), 0])
def test_norm(p):
    check_op([(3, 4)], lambda x: x.norm(p))
    if p != "fro":
        check_op([(3, 4)], lambda x: torch.norm(x, p, dim=1),
                 lambda x: ember.norm(x, p, dim=1))
        check_op([(3, 4)], lambda x: x.norm(p, dim=0, keepdim=True), noncontig=True)


def test_norm_edges():
    check_op([(3, 4)], lambda x: x.norm())
    check_op([(3, 4)], lambda x: x.norm(dim=1))
    check_op([(2, 3, 4)], lambda x: x.norm(dim=(1, 2)))
    # gradient of the 2-norm at zero is 0 in torch (not nan)
    check_op([np.zeros((2, 3))], lambda x: x.norm())
    check_op([np.zeros((2, 3))], lambda x: x.norm(dim=1))
    check_op([np.array([[0.0, 1.0], [0.0, 0.0]])], lambda x: x.norm(1, dim=1))
    assert gradcheck(lambda x: ember.norm(x, 3, dim=1), [(3, 4)])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(dim):
    check_op([(3, 4)], lambda x: x.cumsum(dim))
    check_op([(3, 4)], lambda x: torch.cumsum(x, dim=dim), lambda x: ember.cumsum(x, dim=dim),
             noncontig=True)
    check_op([np.array([[1, 2], [3, 4]], dtype=np.int32)], lambda x: x.cumsum(dim), grad=False)
    assert gradcheck(lambda x: ember.cumsum(x, dim), [(3, 4)])


def test_cumsum_cumprod_edges():
    check_op([()], lambda x: x.cumsum(0))
    check_op([(0, 3)], lambda x: x.cumsum(0))
    check_op([(3, 4)], lambda x: x.cumsum(1, dtype=torch.float64),
             lambda x: x.cumsum(1, dtype=ember.float64))
    check_op([(3, 4)], lambda x: x.cumprod(1), low=0.5, high=1.5)
    zeros = np.array([[0.0, 2.0, 3.0, 0.5], [1.5, 0.0, 0.0, 2.0], [1.0, 2.0, -1.0, 0.0]])
    check_op([zeros], lambda x: x.cumprod(1))
    check_op([zeros], lambda x: torch.cumprod(x, 0), lambda x: ember.cumprod(x, 0))
    assert gradcheck(lambda x: x.cumprod(1), [zeros])


def test_all_any_count_nonzero():
    b = np.array([[True, False, True], [True, True, True]])
    for f in (lambda x: x.all(), lambda x: x.any(), lambda x: x.all(1), lambda x: x.any(0),
              lambda x: x.all(1, keepdim=True), lambda x: x.count_nonzero()):
        check_op([b], f, grad=False)
    check_op([b], lambda x: torch.count_nonzero(x, 1), lambda x: ember.count_nonzero(x, 1),
             grad=False)
    check_op([np.array([0.0, 1.5, 0.0])], lambda x: x.all(), grad=False)


@pytest.mark.parametrize("fn", [
    lambda x: x.sum(1), lambda x: x.mean(0), lambda x: x.prod(1), lambda x: x.max(1).values,
    lambda x: x.min(), lambda x: x.norm(), lambda x: x.std(1), lambda x: x.logsumexp(0),
])
def test_gradcheck(fn):
    assert gradcheck(fn, [(3, 4)], low=0.5, high=2.0)

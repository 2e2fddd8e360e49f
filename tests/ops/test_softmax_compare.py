"""softmax / log_softmax, comparisons, logical ops, isnan/isinf/isfinite, allclose, equal."""

import operator

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, check_error, check_op, fn_pair, gradcheck, method

import ember


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax(name, dim):
    check_op([(3, 4, 5)], lambda x: getattr(x, name)(dim))
    check_op([(3, 4, 5)], lambda x: getattr(torch, name)(x, dim),
             lambda x: getattr(ember, name)(x, dim), noncontig=True)
    check_op([(3, 4)], lambda x: getattr(torch, name)(x, dim=dim, dtype=torch.float64),
             lambda x: getattr(ember, name)(x, dim=dim, dtype=ember.float64))
    assert gradcheck(lambda x: getattr(ember, name)(x, dim), [(3, 4)])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_extremes(name):
    big = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [5.0, 5.0, 5.0]])
    check_op([big], lambda x: getattr(x, name)(1))
    check_op([()], lambda x: getattr(x, name)(0))
    check_op([(0, 3)], lambda x: getattr(x, name)(1))
    check_error(lambda x: getattr(x, name)(1), inputs=[np.array([[1, 2, 3]])],
                words=("not implemented for 'Long'",))
    check_op([np.array([[1, 2, 3]])], lambda x: getattr(x, name)(1, dtype=torch.float32),
             lambda x: getattr(x, name)(1, dtype=ember.float32))
    check_op([Const(np.full((2, 3), -np.inf))], lambda x: getattr(x, name)(1))
    check_error(lambda x: getattr(x, name)(2), inputs=[(3, 4)], words=("Dimension out of range",))


COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
           "gt": operator.gt, "ge": operator.ge}


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons(name):
    op = COMPARE[name]
    a = np.array([[1.0, 2.0, np.nan], [0.0, -1.0, 2.0]])
    b = np.array([2.0, 2.0, np.nan])
    check_op([Const(a), Const(b)], op)
    check_op([Const(a), 2.0], op)
    check_op([2, Const(a)], op)
    check_op([Const(a), Const(b)], lambda x, y: getattr(torch, name)(x, y),
             lambda x, y: getattr(ember, name)(x, y))
    check_op([Const(a), np.array([2, 2, 0])], lambda x, y: getattr(x, name)(y))
    check_op([np.array([1, 2, 3]), 2.5], op)
    check_op([np.array([True, False]), np.array([1, 0])], op)
    check_op([(2, 3), (3,)], op)  # outputs are bool: no gradient
    check_error(op, inputs=[(2, 3), (2,)], words=("must match",))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical(name):
    a = np.array([[True, False], [True, True]])
    b = np.array([False, True])
    fn = (lambda x, y: getattr(torch, name)(x, y), lambda x, y: getattr(ember, name)(x, y))
    check_op([a, b], *fn)
    check_op([Const(np.array([0.0, 1.5, -2.0])), np.array([0, 0, 3])], *fn)
    check_op([a], lambda x: torch.logical_not(x), lambda x: ember.logical_not(x))
    check_op([a, b], lambda x, y: x & y)
    check_op([a, b], lambda x, y: x | y)
    check_op([a, b], lambda x, y: x ^ y)
    check_op([a], lambda x: ~x)
    check_op([np.array([5, 3]), np.array([6, 1])], lambda x, y: (x & y, x | y, x ^ y, ~x))


def test_nan_inf_tests_and_closeness():
    x = np.array([0.0, np.nan, np.inf, -np.inf, 1.0, -0.0])
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        check_op([Const(x)], *fn_pair(name))
        check_op([Const(x)], method(name))
    check_op([np.array([1, 2])], lambda t: t.isnan(), grad=False)
    a = np.array([1.0, 2.0, np.nan])
    b = a + np.array([1e-9, 1e-3, 0.0])
    for kwargs in ({}, {"rtol": 1e-2}, {"atol": 1e-2}, {"equal_nan": True}):
        check_op([Const(a), Const(b)], *fn_pair("isclose", **kwargs))
        check_op([Const(a), Const(b)], *fn_pair("allclose", **kwargs))
        check_op([Const(a), Const(b)], method("allclose", **kwargs))
    assert ember.allclose(ember.ones(2, 3), ember.ones(3)) is True
    for pair in ([[1.0, 2.0], [1.0, 2.0]], [[1.0, 2.0], [1.0, 3.0]], [[1.0], [1.0, 1.0]],
                 [[np.nan], [np.nan]]):
        t = torch.equal(torch.tensor(pair[0]), torch.tensor(pair[1]))
        e = ember.equal(ember.tensor(pair[0]), ember.tensor(pair[1]))
        assert type(e) is bool and e == t, pair
    assert ember.tensor([1, 2]).equal(ember.tensor([1.0, 2.0])) == \
        torch.tensor([1, 2]).equal(torch.tensor([1.0, 2.0]))


def test_sort_topk():
    check_op([(3, 5)], lambda x: x.sort(1))
    check_op([(3, 5)], lambda x: x.sort(0, descending=True))
    check_op([(3, 5)], lambda x: torch.topk(x, 2), lambda x: ember.topk(x, 2))
    check_op([(3, 5)], lambda x: x.topk(2, dim=0, largest=False))
    check_op([(3, 5)], lambda x: x.argsort(1, descending=True), grad=False)
    check_op([(3, 5)], lambda x: x.max(1).values.sort().values)

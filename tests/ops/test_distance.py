"""diff, dist and cdist against torch: values, gradients (random cotangent), errors."""

import numpy as np
import pytest
import torch
from tests.torch_compare import check_error, check_op, gradcheck

import ember


@pytest.mark.parametrize("kw", [{}, {"n": 2}, {"n": 0}, {"n": 6}, {"dim": 0}, {"dim": 1, "n": 3}])
def test_diff_matches_torch(kw):
    check_op([(4, 5)], lambda x: torch.diff(x, **kw), lambda x: ember.diff(x, **kw))
    check_op([(4, 5)], lambda x: x.diff(**kw))


def test_diff_prepend_append_bool_and_int():
    check_op([(3, 4), (3, 2), (3, 1)],
             lambda x, a, b: torch.diff(x, prepend=a, append=b),
             lambda x, a, b: ember.diff(x, prepend=a, append=b))
    for data in ([True, False, False, True], [1, 3, 6, 6]):
        got = ember.diff(ember.tensor(data))
        want = torch.diff(torch.tensor(data))
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("fn, inputs, words", [
    (lambda x: torch.diff(x, n=-1), [(3,)], ["order must be non-negative but got -1"]),
])
def test_diff_errors(fn, inputs, words):
    check_error(fn, lambda x: ember.diff(x, n=-1), inputs=inputs, words=words)
    check_error(lambda: torch.diff(torch.tensor(3.0)), lambda: ember.diff(ember.tensor(3.0)),
                words=["diff expects input to be at least one-dimensional"])


@pytest.mark.parametrize("p", [2, 1, 0, 3.5, float("inf")])
def test_dist_matches_torch(p):
    check_op([(3, 4), (4,)], lambda a, b: torch.dist(a, b, p), lambda a, b: ember.dist(a, b, p),
             grad=p != 0)
    check_op([(3, 4), (3, 4)], lambda a, b: a.dist(b, p), grad=p != 0)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, float("inf")])
@pytest.mark.parametrize("shapes", [[(3, 4), (5, 4)], [(2, 3, 4), (2, 5, 4)],
                                    [(2, 1, 3, 4), (3, 5, 4)]])
def test_cdist_matches_torch(p, shapes):
    check_op(shapes, lambda a, b: torch.cdist(a, b, p), lambda a, b: ember.cdist(a, b, p),
             grad=p != 0.0)


def test_cdist_gradcheck_and_zero_distance():
    assert gradcheck(lambda a, b: ember.cdist(a, b), [(3, 4), (5, 4)])
    assert gradcheck(lambda a, b: ember.cdist(a, b, 1.5), [(2, 3, 4), (2, 2, 4)])
    # the distance of a row to itself is 0, and its gradient 0 (not NaN), as in torch
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = torch.tensor(x, requires_grad=True)
    e = ember.tensor(x, requires_grad=True)
    torch.cdist(t, t).sum().backward()
    ember.cdist(e, e).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("torch_fn, ember_fn, words", [
    (lambda: torch.cdist(torch.ones(3), torch.ones(2, 3)),
     lambda: ember.cdist(ember.ones(3), ember.ones(2, 3)), ["at least 2D tensors, X1 got: 1D"]),
    (lambda: torch.cdist(torch.ones(2, 4), torch.ones(2, 3)),
     lambda: ember.cdist(ember.ones(2, 4), ember.ones(2, 3)),
     ["X1 and X2 must have the same number of columns. X1: 4 X2: 3"]),
    (lambda: torch.cdist(torch.ones(2, 3), torch.ones(2, 3), -1),
     lambda: ember.cdist(ember.ones(2, 3), ember.ones(2, 3), -1), ["non-negative p values"]),
    (lambda: torch.cdist(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3)),
     lambda: ember.cdist(ember.ones(2, 3, dtype=ember.long), ember.ones(2, 3)),
     ["cdist only supports floating-point dtypes, X1 got: Long"]),
    (lambda: torch.cdist(torch.ones(2, 3), torch.ones(2, 3, dtype=torch.float64)),
     lambda: ember.cdist(ember.ones(2, 3), ember.ones(2, 3, dtype=ember.float64)),
     ["expected scalar type Float but found Double"]),
    (lambda: torch.cdist(torch.ones(2, 3), torch.ones(2, 3), compute_mode="x"),
     lambda: ember.cdist(ember.ones(2, 3), ember.ones(2, 3), compute_mode="x"),
     ["x is not a valid value for compute_mode"]),
])
def test_cdist_errors(torch_fn, ember_fn, words):
    check_error(torch_fn, ember_fn, words=words)

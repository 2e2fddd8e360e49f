"""Unary math, activations, clamp, maximum/minimum and where, against torch."""

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, check_error, check_op, fn_pair, gradcheck, method

import ember

# name -> (low, high) of the inputs: inside the domain, away from kinks
UNARY = {
    "exp": (-2, 2), "log": (0.1, 3), "log1p": (-0.9, 3), "sqrt": (0.1, 3), "rsqrt": (0.1, 3),
    "abs": (-2, 2), "sin": (-3, 3), "cos": (-3, 3), "tanh": (-3, 3), "sigmoid": (-5, 5),
    "relu": (-2, 2), "expm1": (-2, 2), "exp2": (-2, 2), "log2": (0.1, 3), "log10": (0.1, 3),
    "tan": (-1, 1), "atan": (-3, 3), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "erf": (-2, 2), "square": (-2, 2), "reciprocal": (0.5, 2), "neg": (-2, 2),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    low, high = UNARY[name]
    check_op([(3, 5)], lambda x: getattr(torch, name)(x), lambda x: getattr(ember, name)(x),
             low=low, high=high)
    check_op([(4, 3)], lambda x: getattr(x, name)(), low=low, high=high, noncontig=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary_zero_dim_and_empty(name):
    low, high = UNARY[name]
    check_op([()], lambda x: getattr(x, name)(), low=low, high=high)
    check_op([(0, 3)], lambda x: getattr(x, name)())


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name):
    low, high = UNARY[name]
    assert gradcheck(lambda x: getattr(ember, name)(x), [(2, 3)], low=low, high=high)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "abs", "relu",
                                  "rsqrt", "log1p", "cos", "sign"])
def test_unary_on_integers(name):
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64)
    check_op([x], lambda t: getattr(torch, name)(t), lambda t: getattr(ember, name)(t),
             grad=False)


def test_sign_and_rounding_have_zero_gradient():
    for name in ("sign", "floor", "ceil", "round", "trunc", "sgn"):
        rounded = method(name)
        check_op([(3, 4)], lambda x, r=rounded: r(x) * x, low=-3, high=3)
    check_op([np.array([-1.5, 0.0, 2.0])], lambda x: torch.sign(x), lambda x: ember.sign(x))
    check_op([(3, 4)], lambda x: x.frac(), low=-3, high=3)


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, 50.0, -50.0, 100.0, -100.0])
    for name in ("exp", "tanh", "sigmoid", "relu", "abs", "sign", "log1p", "expm1", "erf"):
        check_op([Const(x)], *fn_pair(name), grad=False)
    # gradient of sigmoid/tanh/abs/relu at extreme and kink values
    x = np.array([0.0, 50.0, -50.0, 100.0, -100.0])
    for name in ("tanh", "sigmoid", "relu", "abs", "exp"):
        check_op([x], *fn_pair(name), dtypes=(np.float64,), rtol=1e-6)


def test_nan_to_num_and_logit():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    check_op([Const(x)], lambda t: torch.nan_to_num(t), lambda t: ember.nan_to_num(t))
    check_op([Const(x)], lambda t: torch.nan_to_num(t, nan=1.0, posinf=2.0, neginf=-2.0),
             lambda t: ember.nan_to_num(t, nan=1.0, posinf=2.0, neginf=-2.0))
    check_op([(3, 4)], lambda t: torch.logit(t), lambda t: ember.logit(t), low=0.05, high=0.95)
    check_op([(3, 4)], lambda t: torch.logit(t, eps=0.2), lambda t: ember.logit(t, eps=0.2),
             low=0.05, high=0.95)


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (0.5, -0.5),
                                    (-1, 1), (0, None)])
def test_clamp_numbers(bounds):
    lo, hi = bounds
    check_op([(4, 5)], lambda x: torch.clamp(x, lo, hi), lambda x: ember.clamp(x, lo, hi))
    check_op([(4, 5)], lambda x: x.clamp(min=lo, max=hi))
    check_op([(4, 5)], lambda x: x.clip(lo, hi))


def test_clamp_tensors():
    check_op([(4, 5), (5,), (4, 1)], lambda x, lo, hi: torch.clamp(x, lo, hi + 1),
             lambda x, lo, hi: ember.clamp(x, lo, hi + 1))
    check_op([(4, 5), (5,)], lambda x, lo: torch.clamp(x, min=lo),
             lambda x, lo: ember.clamp(x, min=lo))
    check_op([(4, 5), (4, 1)], lambda x, hi: torch.clamp(x, max=hi),
             lambda x, hi: ember.clamp(x, max=hi))
    # crossing bounds (min > max): torch sets the result to max everywhere
    check_op([(4, 5), (5,), (4, 1)], lambda x, lo, hi: torch.clamp(x, lo + 1, hi - 1),
             lambda x, lo, hi: ember.clamp(x, lo + 1, hi - 1))
    check_op([(4, 5), Const(np.zeros(5)), Const(0.5)], lambda x, lo, hi: torch.clamp(x, lo, hi),
             lambda x, lo, hi: ember.clamp(x, lo, hi))


def test_clamp_integer_and_errors():
    x = np.array([-3, 0, 2, 7])
    check_op([x], lambda t: torch.clamp(t, -1, 3), lambda t: ember.clamp(t, -1, 3))
    check_op([x], lambda t: torch.clamp(t, -1.5, 3), lambda t: ember.clamp(t, -1.5, 3))
    check_error(lambda t: torch.clamp(t), lambda t: ember.clamp(t), inputs=[(3,)],
                words=("At least one of 'min' or 'max' must not be None",))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum(name):
    check_op([(4, 5), (5,)], lambda a, b: getattr(torch, name)(a, b),
             lambda a, b: getattr(ember, name)(a, b))
    check_op([(4, 5), (4, 5)], lambda a, b: getattr(a, name)(b), noncontig=True)
    ties = np.array([1.0, 2.0, 3.0])
    check_op([ties, ties.copy()], lambda a, b: getattr(torch, name)(a, b),
             lambda a, b: getattr(ember, name)(a, b))
    check_op([(4, 5), (5,)], lambda a, b: getattr(torch, name[:3])(a, b),
             lambda a, b: getattr(ember, name[:3])(a, b))
    assert gradcheck(lambda a, b: getattr(ember, name)(a, b), [(3, 4), (4,)])


def test_maximum_mixed_dtypes_and_errors():
    check_op([(4,), np.array([0, 1, 2, 3])], lambda a, b: torch.maximum(a, b),
             lambda a, b: ember.maximum(a, b))
    check_error(lambda a, b: torch.maximum(a, b), lambda a, b: ember.maximum(a, b),
                inputs=[(2, 3), (4,)], words=("must match",))


def test_where():
    cond = np.array([[True, False, True], [False, False, True]])
    check_op([cond, (2, 3), (2, 3)], lambda c, a, b: torch.where(c, a, b),
             lambda c, a, b: ember.where(c, a, b))
    check_op([cond, (3,), (2, 1)], lambda c, a, b: torch.where(c, a, b),
             lambda c, a, b: ember.where(c, a, b))
    check_op([cond, (2, 3)], lambda c, a: torch.where(c, a, 0.0),
             lambda c, a: ember.where(c, a, 0.0))
    check_op([cond, (2, 3)], lambda c, a: torch.where(c, 1.5, a),
             lambda c, a: ember.where(c, 1.5, a))
    check_op([cond, (2, 3)], lambda c, a: a.where(c, -a))
    check_op([(2, 3)], lambda a: torch.where(a > 0, a, a * 0.1),
             lambda a: ember.where(a > 0, a, a * 0.1))
    check_op([cond], lambda c: torch.where(c), lambda c: ember.where(c))
    check_op([cond, (2, 3), np.array([1, 2, 3])], lambda c, a, b: torch.where(c, a, b),
             lambda c, a, b: ember.where(c, a, b))
    assert gradcheck(lambda a, b: ember.where(ember.tensor([True, False, True]), a, b),
                     [(2, 3), (3,)])
    check_error(lambda c, a, b: torch.where(c, a, b), lambda c, a, b: ember.where(c, a, b),
                inputs=[cond, (2, 4), (2, 3)], words=("must match",))


def test_small_added_ops():
    check_op([(3, 4)], *fn_pair("sinh"))
    check_op([(3, 4)], *fn_pair("cosh"))
    check_op([(3, 4), (4,)], *fn_pair("atan2"))
    check_op([(3, 4)], lambda y: torch.atan2(y, torch.tensor(-0.5, dtype=y.dtype)),
             lambda y: ember.atan2(y, ember.tensor(-0.5, dtype=y.dtype)))
    check_op([(3, 4), (3, 1)], *fn_pair("logaddexp"))
    check_op([Const(np.array([1000.0, -1000.0])), (2,)], *fn_pair("logaddexp"))
    check_op([(3, 4)], *fn_pair("clamp_min", 0.1))
    check_op([(3, 4), (4,)], *fn_pair("clamp_max"))
    assert gradcheck(lambda y, x: ember.atan2(y, x), [(3, 4), (4,)])
    assert gradcheck(lambda a, b: ember.logaddexp(a, b), [(3, 4), (4,)])


def test_clamp_gradcheck():
    assert gradcheck(lambda x: ember.clamp(x, -0.5, 0.7), [(3, 4)])
    assert gradcheck(lambda x, lo, hi: ember.clamp(x, lo, hi + 1), [(3, 4), (4,), (3, 1)])
    # crossing bounds: the result is max everywhere, so max gets every gradient
    assert gradcheck(lambda x, lo, hi: ember.clamp(x, lo + 2, hi - 2), [(3, 4), (4,), (3, 1)])

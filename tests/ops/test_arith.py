"""+ - * / ** neg and their reflected forms, against torch, with broadcasting and scalars."""

import operator

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, check_error, check_op, gradcheck

import ember

BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
}
SHAPE_PAIRS = [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((), (3,)),
    ((5,), ()), ((0, 3), (3,)), ((2, 0), (1, 0)),
]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_broadcasting(name, shapes):
    op = BINARY[name]
    check_op(list(shapes), op, low=0.5, high=2.0)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_method_and_function_forms(name):
    check_op([(3, 4), (4,)], lambda a, b: getattr(a, name)(b))
    check_op([(3, 4), (4,)], lambda a, b: getattr(torch, name)(a, b),
             lambda a, b: getattr(ember, name)(a, b), low=0.5)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("scalar", [2, 0.5, -3, True])
def test_python_scalar_both_sides(name, scalar):
    if scalar is True and name == "sub":
        pytest.skip("torch rejects subtracting a bool (checked in test_errors)")
    op = BINARY[name]
    check_op([(3, 4), scalar], op, low=0.5)
    check_op([scalar, (3, 4)], op, low=0.5)


def test_alpha_forms():
    check_op([(3, 4), (4,)], lambda a, b: torch.add(a, b, alpha=2.5),
             lambda a, b: ember.add(a, b, alpha=2.5))
    check_op([(3, 4), (4,)], lambda a, b: torch.sub(a, b, alpha=-2),
             lambda a, b: ember.sub(a, b, alpha=-2))
    check_op([(3, 4)], lambda a: torch.rsub(a, 2.0), lambda a: ember.rsub(a, 2.0))


def test_noncontiguous_inputs():
    for op in BINARY.values():
        check_op([(3, 4), (3, 4)], op, noncontig=True, low=0.5)
    check_op([(6, 6)], lambda a: a[::2, 1::2] * a[1::2, ::2] + a[:3, :3].t())


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, 0, -1.5, 1])
def test_pow_scalar_exponent(exponent):
    check_op([(3, 4)], lambda a: a ** exponent, low=0.5, high=2.0)


def test_pow_tensor_forms():
    check_op([(3, 4), (4,)], lambda a, b: a ** b, low=0.5, high=2.0)
    check_op([(3, 4)], lambda a: 2 ** a)
    check_op([(3, 4)], lambda a: 2.5 ** a)
    check_op([(3, 4), (3, 4)], lambda a, b: torch.pow(a, b),
             lambda a, b: ember.pow(a, b), low=0.5)
    # a == 0 with exponents 0, 2 and a positive tensor exponent: torch's conventions
    check_op([np.array([0.0, 0.0, 1.0, 2.0]), np.array([0.0, 2.0, 0.0, 1.5])],
             lambda a, b: a ** b)
    check_op([np.array([0.0, 1.0, -2.0])], lambda a: a ** 0)
    check_op([np.array([0.0, 1.0, -2.0])], lambda a: a ** 2)


def test_neg_and_unary_operators():
    check_op([(3, 4)], lambda a: -a)
    check_op([(3, 4)], lambda a: torch.neg(a), lambda a: ember.neg(a))
    check_op([(3, 4)], lambda a: +a * 1)
    check_op([(3, 4)], lambda a: abs(a))


def test_integer_arithmetic():
    a = np.array([[7, -7, 3], [0, 5, -2]], dtype=np.int64)
    b = np.array([2, 3, -4], dtype=np.int64)
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
               operator.mod):
        check_op([a, b], op, grad=False)
        check_op([a, 3], op, grad=False)
        check_op([a, 2.5], op, grad=False)
    check_op([a, 2], lambda x, e: x ** e, grad=False)
    check_op([a.astype(np.int32), b], operator.add, grad=False)


def test_floor_divide_and_remainder_floats():
    check_op([(3, 4), (4,)], lambda a, b: a // b, grad=False, low=-3, high=3)
    check_op([(3, 4), (4,)], lambda a, b: a % b, low=0.5, high=3, grad=False)
    check_op([(3, 4)], lambda a: a % 0.7, low=0.1, high=3)
    check_op([(3, 4)], lambda a: torch.fmod(a, 0.7), lambda a: ember.fmod(a, 0.7), grad=False)
    check_op([(3, 4), (4,)], lambda a, b: torch.div(a, b, rounding_mode="trunc"),
             lambda a, b: ember.div(a, b, rounding_mode="trunc"), grad=False, low=0.5)
    check_op([(3, 4), (4,)], lambda a, b: torch.div(a, b, rounding_mode="floor"),
             lambda a, b: ember.div(a, b, rounding_mode="floor"), grad=False, low=-2)


def test_composites():
    check_op([(3, 4), (3, 4), (4,)], lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
             lambda a, b, c: ember.addcmul(a, b, c, value=0.5))
    check_op([(3, 4), (3, 4), (4,)], lambda a, b, c: torch.addcdiv(a, b, c, value=2),
             lambda a, b, c: ember.addcdiv(a, b, c, value=2), low=0.5)
    check_op([(3, 4), (3, 4)], lambda a, b: torch.lerp(a, b, 0.3),
             lambda a, b: ember.lerp(a, b, 0.3))
    check_op([(3, 4)], lambda a: torch.square(a), lambda a: ember.square(a))
    check_op([(3, 4)], lambda a: torch.reciprocal(a), lambda a: ember.reciprocal(a), low=0.5)


def test_zero_dim_and_empty():
    check_op([(), ()], operator.mul)
    check_op([(), (2, 3)], operator.truediv, low=0.5)
    check_op([(0,), ()], operator.add)


def test_same_tensor_on_both_sides():
    check_op([(3, 4)], lambda a: a * a + a / (a + 3))


def test_errors():
    b = np.array([True, False])
    check_error(lambda x, y: x - y, inputs=[b, b], words=("Subtraction", "bool"))
    check_error(lambda x: -x, inputs=[b], words=("Negation", "bool"))
    check_error(lambda x: x - True, inputs=[(2,)], words=("Subtraction", "bool"))
    check_error(lambda x, y: x + y, inputs=[(2, 3), (4,)], words=("size",))
    check_error(lambda x: x ** -1, inputs=[np.array([1, 2])],
                words=("Integers to negative integer powers are not allowed",))
    check_error(lambda x, y: torch.div(x, y, rounding_mode="round"),
                lambda x, y: ember.div(x, y, rounding_mode="round"), inputs=[(2,), (2,)],
                words=("rounding_mode",))


@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b + 3),
    lambda a, b: (a + 3) ** b, lambda a, b: 2.0 / (a + 3) - b * 0.5,
])
def test_gradcheck(fn):
    assert gradcheck(fn, [(3, 4), (4,)])


def test_rounding_division_and_modulus_gradients():
    # floor/trunc division: zero gradient, still recorded; modulus: d/da = 1,
    # d/db = -floor(a / b) (remainder) or -trunc(a / b) (fmod)
    check_op([(3, 4), (4,)], lambda a, b: a // b, low=0.3, high=3, grad=False)  # torch: no
    check_op([(3, 4), (4,)], lambda a, b: torch.div(a, b, rounding_mode="floor"),
             lambda a, b: ember.div(a, b, rounding_mode="floor"), low=-3, high=3)
    check_op([(3, 4), (4,)], lambda a, b: torch.div(a, b, rounding_mode="trunc"),
             lambda a, b: ember.div(a, b, rounding_mode="trunc"), low=-3, high=3)
    check_op([(3, 4), (4,)], lambda a, b: a % b, low=0.3, high=3)
    check_op([(3, 4)], lambda b: 2.5 % b, low=0.3, high=3, grad=False)
    for lib in (ember, torch):  # a number modulo a tensor has no derivative in torch
        b = lib.tensor([0.7, 1.3], requires_grad=True)
        with pytest.raises(RuntimeError, match="derivative for aten::remainder is not impl"):
            (2.5 % b).sum().backward()
    check_op([(3, 4), (4,)], lambda a, b: torch.fmod(a, b), lambda a, b: ember.fmod(a, b),
             low=-3, high=3)
    check_op([(3, 4)], lambda a: torch.fmod(a, -0.3), lambda a: ember.fmod(a, -0.3))
    assert gradcheck(lambda a, b: a % b, [(3, 4), (4,)], low=0.3, high=3)
    assert gradcheck(lambda a, b: ember.fmod(a, b), [(3, 4), (4,)], low=0.3, high=3)
    ints = np.array([7, -7, 5])
    check_error(lambda a: a // 0, inputs=[ints], words=("ZeroDivisionError",))
    check_error(lambda a: a % 0, inputs=[ints], words=("ZeroDivisionError",))
    check_op([Const(np.array([1.0, -2.0, 0.0]))], lambda a: (a // 0, a % 0))

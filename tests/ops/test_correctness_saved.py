"""What an op saves for backward, against torch: after the op, the input (a non-leaf) or the
output is modified in place, then backward runs. torch raises exactly when a saved tensor was
modified; Ember must raise in the same cases and otherwise give torch's gradient."""

import numpy as np
import pytest
import torch

import ember

OPS = {
    "pow_scalar": lambda L, x: x ** 2, "pow_tensor": lambda L, x: x ** (x * 0 + 2),
    "rpow": lambda L, x: 2.0 ** x, "mul_scalar": lambda L, x: x * 2,
    "div_scalar": lambda L, x: x / 2,
    "rdiv": lambda L, x: 2 / x, "reciprocal": lambda L, x: x.reciprocal(),
    "mul_const": lambda L, x: x * L.tensor([1.0, 2.0, 3.0]),
    "div_const": lambda L, x: x / L.tensor([1.0, 2.0, 3.0]),
    "const_div": lambda L, x: L.tensor([1.0, 2.0, 3.0]) / x,
    "exp": lambda L, x: x.exp(), "tanh": lambda L, x: x.tanh(), "sigmoid": lambda L, x: x.sigmoid(),
    "sqrt": lambda L, x: x.sqrt(), "log": lambda L, x: x.log(), "relu": lambda L, x: x.relu(),
    "softmax": lambda L, x: x.softmax(0), "log_softmax": lambda L, x: x.log_softmax(0),
    "sin": lambda L, x: x.sin(), "cos": lambda L, x: x.cos(), "abs": lambda L, x: x.abs(),
    "matmul_const": lambda L, x: L.ones(2, 3, dtype=L.float64) @ x, "std": lambda L, x: x.std(),
    "var": lambda L, x: x.var(), "norm": lambda L, x: x.norm(), "square": lambda L, x: x.square(),
    "sum": lambda L, x: x.sum(), "neg": lambda L, x: -x, "clone": lambda L, x: x.clone(),
}


def _run(lib, name, modify):
    leaf = lib.tensor([0.5, 1.5, 2.5], dtype=lib.float64, requires_grad=True)
    x = leaf * 1
    y = OPS[name](lib, x)
    if modify == "input":
        x.add_(1)
    else:
        y.mul_(1.5)
    try:
        y.sum().backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc), exc
        return "raise"
    return np.array(leaf.grad.tolist())


@pytest.mark.parametrize("modify", ["input", "output"])
@pytest.mark.parametrize("name", OPS)
def test_inplace_after_op(name, modify):
    t, e = _run(torch, name, modify), _run(ember, name, modify)
    if isinstance(t, str):
        assert isinstance(e, str), f"torch raises, Ember gives {e}"
    else:
        assert not isinstance(e, str), f"Ember raises, torch gives {t}"
        np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-15)


def test_pow_then_add_inplace():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x ** 2
    y += 1
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]

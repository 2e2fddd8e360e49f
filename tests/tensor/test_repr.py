"""repr(tensor) must read exactly like torch's, with ``ember.`` where torch prints ``torch.``."""

import pytest
import torch

import ember

# Expressions evaluated with M = torch and M = ember.
CASES = [
    "M.tensor([1, 2, 3])",
    "M.tensor(3)",
    "M.tensor([-10, 2, 300])",
    "M.tensor([1.0, 2.0, 3.0])",
    "M.tensor([-1.0, 2.0])",
    "M.tensor(3.0)",
    "M.tensor(-0.5)",
    "M.tensor([1.5, 2.25, -3.0])",
    "M.tensor([0.1, 0.2, 0.3333333])",
    "M.tensor([1.123456789])",
    "M.tensor([[1.0, 2.0], [3.0, 4.0]])",
    "M.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])",
    "M.arange(12.).reshape(2, 2, 3) - 5.5",
    "M.tensor([1e-5, 1.0])",
    "M.tensor([1e10, 1.0])",
    "M.tensor([100000000.0, 1.0])",
    "M.tensor([2.0**30, 1.0])",
    "M.tensor([0.0001, 12345.0])",
    "M.tensor([123456.789, 1.0])",
    "M.tensor(1e20)",
    "M.tensor([float('nan'), 1.0, float('inf')])",
    "M.tensor([float('nan'), 1.5, -float('inf')])",
    "M.tensor(float('nan'))",
    "M.tensor([-0.0, 1.0])",
    "M.tensor([True, False])",
    "M.ones(3, dtype=M.bool)",
    "M.tensor([1, 2], dtype=M.int32)",
    "M.tensor([1, 2, 200], dtype=M.uint8)",
    "M.tensor([1.0, 2.0], dtype=M.float64)",
    "M.tensor([1.5, 2.0], dtype=M.float64)",
    "M.tensor([1.5, 2.0], dtype=M.float16)",
    "M.tensor([])",
    "M.zeros(2, 0)",
    "M.zeros(0, dtype=M.int32)",
    "M.tensor([1.0, 2.0], requires_grad=True)",
    "M.tensor([1.0, 2.0], requires_grad=True).mul(2)",
    "M.tensor([1.0, 2.0], requires_grad=True).add(2).sum()",
    "M.tensor([1.0, 2.0], dtype=M.float64, requires_grad=True).exp()",
    "M.tensor([[1e-8, 1.0], [2.0, 3.0]], dtype=M.float64, requires_grad=True)",
    "M.arange(40.) / 7",  # wraps over several lines
    "M.arange(40)",
    "M.arange(2000.)",  # summarized
    "M.arange(2000)",
    "M.arange(3000.).reshape(30, 100)",
    "M.arange(3000).reshape(10, 10, 30)",
]


@pytest.mark.parametrize("expr", CASES)
def test_repr_matches_torch(expr):
    expected = repr(eval(expr, {"M": torch})).replace("torch.", "ember.")
    assert repr(eval(expr, {"M": ember})) == expected
    assert str(eval(expr, {"M": ember})) == expected


def test_repr_with_default_dtype_float64():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for expr in ("M.tensor([1.5, 2.0])", "M.tensor([1.5], dtype=M.float32)"):
            expected = repr(eval(expr, {"M": torch})).replace("torch.", "ember.")
            assert repr(eval(expr, {"M": ember})) == expected
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)

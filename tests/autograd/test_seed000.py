"""Seed 000: a user's custom dropout ``autograd.Function`` and ``nn.Module``, written for
PyTorch, must run unchanged on Ember. The code is read from the user's document
(``shared/seeds/000_*.txt``) and run as written, ``import torch`` resolving to Ember."""

import math

import numpy as np
import pytest

import ember as torch
from seed_docs import markdown_code_blocks, run_seed_code

# the seed's two code blocks, read from the user's document and run as written
SEED_DEFINITIONS, SEED_USAGE = markdown_code_blocks("000")
_seed, _ = run_seed_code(SEED_DEFINITIONS)
DropoutFunction, CustomDropout = _seed["DropoutFunction"], _seed["CustomDropout"]


def test_seed_usage_example_as_written():
    ns, _ = run_seed_code(SEED_USAGE, dict(_seed))  # the seed's own asserts run here
    x, y, mask, prob = ns["x"], ns["y"], ns["mask"], ns["prob"]

    # beyond the seed's own checks: the forward used that same mask, and the values are exact
    np.testing.assert_array_equal(y.detach().numpy(), (x * mask).detach().numpy())
    assert set(np.unique(mask.numpy()).tolist()) <= {0.0, np.float32(1 / prob)}
    assert type(y.grad_fn).__name__ == "DropoutFunctionBackward"


def test_function_part_without_the_module():
    x = torch.ones(4, 5, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(7)
    y = DropoutFunction.apply(x, 0.5, True)
    (y * 3).sum().backward()
    mask = y.detach() / x.detach()
    np.testing.assert_array_equal(x.grad.numpy(), 3 * mask.numpy())
    assert y.dtype is torch.float64 and x.grad.dtype is torch.float64

    # inactive dropout (eval or p = 0): a clone, and the gradient passes through
    for p, training in ((0.0, True), (0.3, False)):
        x = torch.randn(3, requires_grad=True)
        y = DropoutFunction.apply(x, p, training)
        assert torch.equal(y, x) and y is not x
        y.backward(torch.tensor([1.0, 2.0, 3.0]))
        assert x.grad.tolist() == [1.0, 2.0, 3.0]

    with pytest.raises(ValueError, match=r"p must be in the interval \[0, 1\)"):
        DropoutFunction.apply(x, 1.0, True)
    with pytest.raises(ValueError, match=r"p must be in the interval \[0, 1\)"):
        CustomDropout(p=-0.1)


def test_rand_like_is_deterministic_under_manual_seed():
    x = torch.zeros(1000)
    torch.manual_seed(42)
    a = torch.rand_like(x)
    b = torch.rand_like(x)
    torch.manual_seed(42)
    c = torch.rand_like(x)
    assert torch.equal(a, c) and not torch.equal(a, b)
    assert a.dtype is torch.float32 and torch.rand_like(x.double()).dtype is torch.float64


def test_keep_fraction_is_binomial():
    # Each element is kept with probability 1 - p: the count is Binomial(n, 1 - p).
    n, p = 200_000, 0.25
    m = CustomDropout(p=p)
    torch.manual_seed(0)
    y = m(torch.ones(n, requires_grad=True))
    kept = int((y != 0).sum())
    sd = math.sqrt(n * p * (1 - p))
    assert abs(kept - n * (1 - p)) < 5 * sd
    assert m.training and not m.eval().training

"""Seed 000: a user's custom dropout ``autograd.Function`` and ``nn.Module``, written for
PyTorch, must run unchanged on Ember. The code below is the seed's, verbatim, except for the
three import lines (``import ember as torch`` ...)."""

import math

import numpy as np
import pytest

import ember as torch
import ember.nn as nn
from ember.autograd import Function


# ---- the seed's code, as written ----------------------------------------------------------
class DropoutFunction(Function):
    @staticmethod
    def forward(ctx, input, p=0.5, training=True):
        if not 0.0 <= p < 1.0:
            raise ValueError("p must be in the interval [0, 1).")
        ctx.p = p
        ctx.training = bool(training)
        # If not training or p == 0, no mask is needed.
        if (not ctx.training) or p == 0.0:
            # Save nothing for backward
            ctx.save_for_backward()
            return input.clone()
        prob = 1.0 - p
        # Sample mask on the same device/dtype as input and scale by 1/prob (inverted dropout)
        mask = (torch.rand_like(input) < prob).to(input.dtype) / prob
        ctx.save_for_backward(mask)
        return input * mask

    @staticmethod
    def backward(ctx, grad_output):
        # If no tensors were saved, dropout was inactive -> pass gradient through
        if len(ctx.saved_tensors) == 0:
            return grad_output, None, None
        mask, = ctx.saved_tensors
        grad_input = grad_output * mask
        # Return gradient for input; non-tensor args (p, training) get None
        return grad_input, None, None


class CustomDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError("p must be in the interval [0, 1).")
        self.p = p

    def forward(self, x):
        return DropoutFunction.apply(x, self.p, self.training)
# ---- end of the seed's code ---------------------------------------------------------------


def test_seed_usage_example_as_written():
    # CPU example
    m = CustomDropout(p=0.25)
    m.train()
    torch.manual_seed(42)
    x = torch.randn(3, requires_grad=True)
    # make the RNG deterministic for the test
    torch.manual_seed(42)
    y = m(x)            # forward (training)
    y.sum().backward()  # backward

    # Recompute the mask deterministically to verify gradient
    torch.manual_seed(42)
    prob = 1.0 - 0.25
    mask = (torch.rand_like(x) < prob).to(x.dtype) / prob
    assert torch.allclose(x.grad, mask), "Gradient does not match expected masked gradient"

    # In eval mode the module is passthrough
    m.eval()
    x2 = torch.randn(3, requires_grad=True)
    out_eval = m(x2)
    assert torch.allclose(out_eval, x2)

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

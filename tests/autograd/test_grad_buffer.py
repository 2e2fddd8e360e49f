"""A leaf's ``.grad`` takes over the engine's gradient buffer only when nothing else holds it."""

import numpy as np

import ember
from ember.autograd.function import ArrayFunction

kept = []


class KeepsGrad(ArrayFunction):
    """Identity whose backward hands out a fresh array, optionally keeping a reference to it."""

    @staticmethod
    def forward(ctx, x, keep):
        ctx.keep = keep
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        out = grad * 1.0
        if ctx.keep:
            kept.append(out)
        return out, None


def test_fresh_buffer_is_taken_over_without_a_copy():
    x = ember.ones(4, requires_grad=True)
    KeepsGrad.apply(x, False).backward(ember.ones(4))
    kept.clear()
    y = ember.ones(4, requires_grad=True)
    KeepsGrad.apply(y, True).backward(ember.ones(4))
    # someone else holds the array: .grad must be a copy, and stay independent of it
    assert not np.shares_memory(y.grad.numpy(), kept[0])
    kept[0][:] = 7
    assert y.grad.tolist() == [1.0] * 4
    assert x.grad.tolist() == [1.0] * 4


def test_user_gradient_is_never_aliased():
    x = ember.zeros(3, requires_grad=True)
    g = ember.tensor([1.0, 2.0, 3.0])
    x.backward(g)  # the root is the leaf itself: its slot holds g's own array
    assert not np.shares_memory(x.grad.numpy(), g.numpy())
    g.mul_(10)
    assert x.grad.tolist() == [1.0, 2.0, 3.0]
    y = x * 1
    h = ember.tensor([4.0, 5.0, 6.0])
    (y + 0).backward(h)  # Add/Mul hand the same array on; h must not become x.grad
    h.zero_()
    assert x.grad.tolist() == [5.0, 7.0, 9.0]


def test_two_leaves_fed_the_same_array_get_separate_grads():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).backward(ember.ones(3))  # Add returns one array object for both inputs
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    assert a.grad.tolist() == [2.0, 2.0, 2.0]


def test_accumulation_across_backward_calls_matches_torch():
    import torch

    xs = ember.randn(5, requires_grad=True)
    xt = torch.tensor(xs.detach().numpy().copy(), requires_grad=True)
    for x in (xs, xt):
        for k in range(3):
            ((x * (k + 1)).exp().sum()).backward()
    np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), rtol=1e-6)

"""``ember.manual``: seed 002's DropoutLayer and the NumPy layers of seed 004's manual MLP."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from ember.kernels.dropout import reference_keep
from ember.manual import DropoutLayer, Linear, ReLU, SoftmaxCrossEntropy


def test_seed_002_example():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    grad = np.array([0.1, 0.2, 0.3, 0.4])
    layer = DropoutLayer(0.5)
    out = layer.forward(x, training=True)
    kept = out != 0
    assert np.array_equal(out, np.where(kept, x * 2.0, 0.0))
    assert np.array_equal(layer.backward(grad), np.where(kept, grad * 2.0, 0.0))
    assert np.array_equal(layer.forward(x, training=False), x)
    assert np.array_equal(layer.backward(grad), grad)


def test_mask_follows_the_reference_stream_and_p_is_the_drop_probability():
    g = ember.Generator().manual_seed(10)
    layer = DropoutLayer(0.8, generator=g)
    x = np.ones((300, 300), dtype=np.float32)
    out = layer.forward(x)
    keep = reference_keep(10, 0, round(0.2 * 2**32), x.size).reshape(x.shape)
    assert np.array_equal(layer.mask, keep)
    assert np.array_equal(out, np.where(keep, np.float32(1) / np.float32(0.2), np.float32(0)))
    # p drops: about 80% zeros, within 6 binomial standard deviations
    n = x.size
    assert abs((out == 0).sum() - 0.8 * n) <= 6 * math.sqrt(n * 0.8 * 0.2)


def test_expected_value_preserved():
    layer = DropoutLayer(0.3, generator=ember.Generator().manual_seed(0))
    n = 200_000
    out = layer.forward(np.full(n, 2.0))
    # mean has sd 2 * sqrt(p / ((1-p) n))
    assert abs(out.mean() - 2.0) <= 6 * 2 * math.sqrt(0.3 / (0.7 * n))


def test_errors():
    with pytest.raises(ValueError, match="between 0 and 1"):
        DropoutLayer(1.5)
    layer = DropoutLayer(0.5)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(3))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2, 3\)"):
        layer.backward(np.ones(3))
    with pytest.raises(RuntimeError, match="before forward"):
        Linear(2, 3).backward(np.ones((1, 3)))


def test_p_one_and_p_zero():
    x = np.array([1.0, -2.0, np.inf])
    with np.errstate(invalid="ignore"):
        out = DropoutLayer(1.0).forward(x)
    assert np.array_equal(np.signbit(out[:2]), [False, True]) and np.isnan(out[2])
    assert np.array_equal(DropoutLayer(0.0).forward(x), x)


def test_layers_match_torch_autograd():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(np.float64)
    y = rng.integers(0, 3, 16)
    fc1, relu, fc2, ce = Linear(5, 7, std=0.5, rng=rng, dtype=np.float64), ReLU(), \
        Linear(7, 3, std=0.5, rng=rng, dtype=np.float64), SoftmaxCrossEntropy()
    loss = ce.forward(fc2.forward(relu.forward(fc1.forward(X))), y)
    fc1.backward(relu.backward(fc2.backward(ce.backward())))

    W1 = torch.tensor(fc1.W, requires_grad=True)
    W2 = torch.tensor(fc2.W, requires_grad=True)
    b1 = torch.tensor(fc1.b, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(torch.relu(torch.tensor(X) @ W1 + b1) @ W2,
                                           torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    assert np.allclose(fc1.dW, W1.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(fc1.db, b1.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(fc2.dW, W2.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_manual_mlp_with_dropout_learns():
    rng = np.random.default_rng(0)
    N, d, H, K = 128, 20, 64, 5
    X = rng.standard_normal((N, d)).astype(np.float32)
    y = rng.integers(0, K, N)
    fc1, relu, drop, fc2 = Linear(d, H, rng=rng), ReLU(), \
        DropoutLayer(0.5, generator=ember.Generator().manual_seed(0)), Linear(H, K, rng=rng)
    ce = SoftmaxCrossEntropy()
    for _ in range(200):
        ce.forward(fc2.forward(drop.forward(relu.forward(fc1.forward(X)))), y)
        fc1.backward(relu.backward(drop.backward(fc2.backward(ce.backward()))))
        fc1.step(0.5)
        fc2.step(0.5)
    acc = (ce.probs.argmax(1) == y).mean()
    assert acc > 0.85


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_manual_layer_draws_the_masks_of_functional_dropout(dtype):
    # One array core under both: the same seed gives the same masks and values call after call
    # (each call reserves ceil(n / 16) blocks of the stream), and the same gradients.
    p, shape = 0.3, (37, 11)  # 407 elements: the reservation differs from n / 4 blocks
    layer = DropoutLayer(p, generator=ember.Generator().manual_seed(4))
    gen = ember.Generator().manual_seed(4)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal(shape).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        out = layer.forward(x)
        t = ember.tensor(x, requires_grad=True)
        y = ember.nn.functional.dropout(t, p, generator=gen)
        y.backward(ember.tensor(g))
        assert np.array_equal(layer.mask, y.detach().numpy() != 0)
        assert np.array_equal(out, y.detach().numpy())
        assert np.array_equal(layer.backward(g), t.grad.numpy())
    assert layer.generator.get_offset() == gen.get_offset() == 4 * math.ceil(37 * 11 / 16)

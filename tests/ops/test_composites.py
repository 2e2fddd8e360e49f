"""Realistic expressions built from many ops (the way model code uses them), against torch."""

import numpy as np
from tests.torch_compare import check_op, gradcheck


def attention(q, k, v, mask):
    scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    scores = scores.masked_fill(mask, float("-inf"))
    return scores.softmax(-1) @ v


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / (var + 1e-5).sqrt() * w + b


def cross_entropy(logits, target):
    logp = logits - logits.logsumexp(-1, keepdim=True)
    return -logp.gather(1, target[:, None]).mean()


def test_attention():
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    check_op([(2, 4, 8), (2, 4, 8), (2, 4, 8), causal], attention)
    assert gradcheck(attention, [(1, 3, 4), (1, 3, 4), (1, 3, 4),
                                 np.triu(np.ones((3, 3), dtype=bool), 1)])


def test_layer_norm_by_hand():
    check_op([(4, 6), (6,), (6,)], layer_norm)
    assert gradcheck(layer_norm, [(3, 4), (4,), (4,)])


def test_cross_entropy_by_hand():
    target = np.array([0, 2, 1, 2])
    check_op([(4, 3), target], cross_entropy)
    assert gradcheck(cross_entropy, [(4, 3), target])


def test_mlp_step():
    def mlp(x, w1, b1, w2):
        h = (x @ w1.t() + b1).relu()
        return ((h @ w2.t()) ** 2).mean()

    check_op([(5, 4), (6, 4), (6,), (2, 6)], mlp)
    assert gradcheck(mlp, [(3, 4), (5, 4), (5,), (2, 5)])


def test_reused_and_viewed_tensors():
    def fn(x, view=True):
        y = x.view(2, 6) if view else x.reshape(2, 6)
        z = x.t().reshape(2, 6)
        return (y * z).cumsum(1) + y[:, ::3].repeat(1, 3) - x.flatten()[None, :6].expand(2, 6)

    check_op([(4, 3)], fn)
    check_op([(3, 4)], lambda x: fn(x, view=False), noncontig=True)

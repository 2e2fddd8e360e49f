"""scaled_dot_product_attention against torch: values, gradients, masks, causal, GQA, errors,
and dropout on the attention weights (statistically and through a fixed generator)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import Const, check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

Q, K, V = (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)


def sdpa(F, **kw):
    return lambda q, k, v, *mask: F.scaled_dot_product_attention(
        q, k, v, *mask, **kw)


def masks():
    rng = np.random.default_rng(7)
    allowed = rng.random((4, 5)) < 0.6
    allowed[0] = False  # a query row that attends to nothing: zero output, finite gradients
    allowed[1, 0] = True
    bias = rng.standard_normal((2, 1, 4, 5))
    bias[1, 0, 2] = -np.inf  # the same, from a float mask
    return {"bool": allowed, "float": bias}


@pytest.mark.parametrize("kw", [{}, {"scale": 0.3}, {"is_causal": True}],
                         ids=["plain", "scale", "causal"])
def test_matches_torch(kw):
    check_op([Q, K, V], sdpa(TF, **kw), sdpa(EF, **kw))


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_masks_match_torch(kind):
    check_op([Q, K, V, Const(masks()[kind]) if kind == "float" else masks()[kind]],
             sdpa(TF), sdpa(EF))


def test_shapes_broadcast_and_2d_and_causal_with_more_queries_than_keys():
    check_op([(1, 3, 4, 8), (2, 1, 5, 8), (2, 1, 5, 6)], sdpa(TF), sdpa(EF))
    check_op([(4, 8), (5, 8), (5, 6)], sdpa(TF), sdpa(EF))
    check_op([(6, 4), (3, 4), (3, 2)], sdpa(TF, is_causal=True), sdpa(EF, is_causal=True))


def test_grouped_query_attention():
    check_op([(2, 6, 4, 8), K, V], sdpa(TF, enable_gqa=True), sdpa(EF, enable_gqa=True))
    check_error(sdpa(TF, enable_gqa=True), sdpa(EF, enable_gqa=True),
                inputs=[(2, 5, 4, 8), K, V], words=["must divide the number of heads"])


def test_gradcheck():
    assert gradcheck(sdpa(EF), [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    bias = Const(np.random.default_rng(3).standard_normal((3, 5)))
    assert gradcheck(sdpa(EF), [(2, 3, 4), (2, 5, 4), (2, 5, 3), bias])
    assert gradcheck(sdpa(EF, is_causal=True), [(2, 5, 4), (2, 5, 4), (2, 5, 3)])


@pytest.mark.parametrize("inputs, kw, words", [
    ([(4,), (5, 8), (5, 6)], {}, ["at least 2 dimensional"]),
    ([Q, K, (2, 3, 4, 6)], {}, []),  # S differs between key and value
    ([Q, (2, 3, 5, 7), V], {}, []),  # E differs between query and key
    ([Q, K, V], {"dropout_p": 1.5}, ["dropout probability has to be between 0 and 1"]),
    ([Q, K, V, np.ones((4, 5), dtype=bool)], {"is_causal": True},
     ["Explicit attn_mask should not be set when is_causal=True"]),
    ([Q, K, V, np.ones((4, 5), dtype=np.int64)], {},
     ["Expected attn_mask dtype to be bool or float or to match query dtype"]),
])
def test_errors_match_torch(inputs, kw, words):
    check_error(sdpa(TF, **kw), sdpa(EF, **kw), inputs=inputs, words=words)


def test_dtype_errors_match_torch():
    def mixed(F, lib):
        q = lib.zeros(2, 4, 8)
        return lambda: F.scaled_dot_product_attention(
            q, lib.zeros(2, 5, 8, dtype=lib.float64), lib.zeros(2, 5, 6))

    check_error(mixed(TF, torch), mixed(EF, ember),
                words=["Expected query, key, and value to have the same dtype",
                       "key.dtype: double"])

    def masked(F, lib):
        return lambda: F.scaled_dot_product_attention(
            lib.zeros(4, 8), lib.zeros(5, 8), lib.zeros(5, 6),
            attn_mask=lib.zeros(4, 5, dtype=lib.float64))

    check_error(masked(TF, torch), masked(EF, ember),
                words=["attn_mask.dtype: double and  query.dtype: float"])


def test_dropout_on_the_weights():
    # Every output is sum_s w_s v_s over kept weights scaled by 1/(1-p): with all values 1
    # and uniform weights (zero scores), row r's output is (kept count) / (S (1 - p)).
    p, rows, source = 0.25, 4000, 16
    q = ember.zeros(rows, 8)
    k = ember.zeros(source, 8)
    v = ember.ones(source, 1)
    ember.manual_seed(11)
    out = EF.scaled_dot_product_attention(q, k, v, dropout_p=p).numpy()[:, 0]
    kept = out * source * (1 - p)
    np.testing.assert_allclose(kept, np.round(kept), atol=1e-4)  # whole numbers of keys
    mean, sd = (1 - p) * source, math.sqrt(source * p * (1 - p))
    assert abs(kept.mean() - mean) < 5 * sd / math.sqrt(rows)
    assert abs(kept.std() - sd) < 5 * sd * math.sqrt(2 / rows)
    # p = 1 drops every weight, as in torch
    np.testing.assert_array_equal(
        EF.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy(), 0.0)


def test_dropout_is_reproducible_with_the_seed_and_differentiable():
    def run():
        ember.manual_seed(3)
        q = ember.tensor(np.linspace(-1, 1, 24).reshape(4, 6), requires_grad=True)
        out = EF.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
        out.sum().backward()
        return out.detach().numpy(), q.grad.numpy()

    (a, ga), (b, gb) = run(), run()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ga, gb)
    assert np.isfinite(ga).all()

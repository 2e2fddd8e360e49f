"""log_prob, entropy, moments, cdf/icdf, expand and their gradients against torch (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as T
from tests.distributions.helpers import CLOSE, assert_grads, build, pair
from tests.torch_compare import assert_same, to_numpy

import ember
import ember.distributions as D

# name, params (broadcast batch shapes), values for log_prob / cdf (broadcast against the batch)
CASES = [
    ("Normal", {"loc": [[0.3, -1.0, 2.0]], "scale": [[1.2], [0.4]]}, [0.2, -0.4, 3.0]),
    ("Laplace", {"loc": [[0.3, -1.0, 2.0]], "scale": [[1.2], [0.4]]}, [0.2, -0.4, 3.0]),
    ("Uniform", {"low": [[-1.0, 0.0, 0.5]], "high": [[1.2], [2.4]]}, [0.2, 0.1, 1.0]),
    ("Exponential", {"rate": [[0.5, 2.0, 7.0]]}, [[0.2], [3.0]]),
    ("Gamma", {"concentration": [[0.4, 1.0, 3.5]], "rate": [[1.2], [0.4]]}, [0.2, 1.0, 4.0]),
    ("Beta", {"concentration1": [[0.4, 1.0, 3.5]], "concentration0": [[1.2], [0.6]]},
     [0.2, 0.5, 0.9]),
    ("LogNormal", {"loc": [[0.3, -1.0, 2.0]], "scale": [[1.2], [0.4]]}, [0.2, 1.4, 3.0]),
    ("Poisson", {"rate": [[0.5, 3.0, 25.0]]}, [[0.0], [2.0], [30.0]]),
    ("Bernoulli", {"probs": [[0.1, 0.5, 0.93]]}, [[0.0], [1.0]]),
    ("Bernoulli", {"logits": [[-2.0, 0.0, 3.0]]}, [[0.0], [1.0]]),
    ("Binomial", {"total_count": 10, "probs": [[0.1, 0.5, 0.93]]}, [[0.0], [4.0], [10.0]]),
    ("Binomial", {"total_count": 7, "logits": [[-2.0, 0.0, 3.0]]}, [[0.0], [4.0], [7.0]]),
    ("Categorical", {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]}, None),
    ("Categorical", {"logits": [[-1.0, 0.5, 2.0], [0.0, 0.0, 0.0]]}, None),
    ("OneHotCategorical", {"probs": [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]},
     [[[[0.0, 1.0, 0.0]]], [[[0.0, 0.0, 1.0]]]]),
    ("Dirichlet", {"concentration": [[0.5, 1.0, 2.0], [3.0, 0.7, 1.2]]},
     [[[[0.2, 0.3, 0.5]]], [[[0.6, 0.1, 0.3]]]]),
]
IDS = [f"{c[0]}-{next(iter(c[1]))}" for c in CASES]


def _value(name, values):
    if name == "Categorical":
        v = [[[2, 0]], [[1, 1]], [[0, 2]]]
        return ember.tensor(v), torch.tensor(v)
    return pair(values)


@pytest.mark.parametrize("name,params,values", CASES, ids=IDS)
def test_log_prob_and_moments(name, params, values):
    e, t, leaves = build(name, params, requires_grad=True)
    assert e.batch_shape == tuple(t.batch_shape) and e.event_shape == tuple(t.event_shape)
    ev, tv = _value(name, values)
    e_lp, t_lp = e.log_prob(ev), t.log_prob(tv)
    assert_same(e_lp, t_lp, **CLOSE, what="log_prob")
    assert_grads(e_lp, t_lp, leaves, what="log_prob")
    for prop in ("mean", "variance", "stddev", "mode"):
        assert_same(getattr(e, prop), getattr(t, prop), **CLOSE, what=prop)
    if name in ("Poisson",):
        return  # torch has no entropy for it
    e_h, t_h = e.entropy(), t.entropy()
    assert_same(e_h, t_h, **CLOSE, what="entropy")
    assert_grads(e_h, t_h, leaves, what="entropy")


@pytest.mark.parametrize("name,params,values", [c for c in CASES if c[0] in (
    "Normal", "Laplace", "Uniform", "Exponential", "Gamma", "LogNormal")],
    ids=["Normal", "Laplace", "Uniform", "Exponential", "Gamma", "LogNormal"])
def test_cdf_icdf(name, params, values):
    e, t, leaves = build(name, params, requires_grad=True)
    ev, tv = pair(values)
    e_cdf, t_cdf = e.cdf(ev), t.cdf(tv)
    assert_same(e_cdf, t_cdf, **CLOSE, what="cdf")
    if name != "Gamma":  # torch's gammainc has no derivative in the concentration
        assert_grads(e_cdf, t_cdf, leaves, what="cdf")
        q_e, q_t = pair([[0.05, 0.5, 0.93]], requires_grad=True)
        e_q, t_q = e.icdf(q_e), t.icdf(q_t)
        assert_same(e_q, t_q, **CLOSE, what="icdf")
        assert_grads(e_q, t_q, [*leaves, (q_e, q_t)], what="icdf")
        # icdf inverts cdf
        np.testing.assert_allclose(to_numpy(e.cdf(e.icdf(q_e))),
                                   to_numpy(q_e.expand(e.batch_shape)), rtol=1e-9)


@pytest.mark.parametrize("name,params,values", CASES, ids=IDS)
def test_expand(name, params, values):
    e, t, _ = build(name, params)
    shape = (4, *tuple(t.batch_shape))
    ee, te = e.expand(shape), t.expand(shape)
    assert type(ee) is type(e) and ee.batch_shape == shape and ee.event_shape == e.event_shape
    assert ee._validate_args == e._validate_args
    ev, tv = _value(name, values)
    assert_same(ee.log_prob(ev), te.log_prob(tv), **CLOSE, what="expanded log_prob")
    assert_same(ee.mean, te.mean, **CLOSE, what="expanded mean")
    assert ee.sample((2,)).shape == (2, *shape, *tuple(e.event_shape))
    with pytest.raises(RuntimeError):
        e.expand((5, *tuple(shape[:-1]), 7))


def test_scalar_parameters_give_empty_batch():
    for e, t in [(D.Normal(0.0, 1.0), T.Normal(0.0, 1.0)), (D.Gamma(2.0, 3.0), T.Gamma(2.0, 3.0)),
                 (D.Bernoulli(0.3), T.Bernoulli(0.3)), (D.Exponential(2.0), T.Exponential(2.0)),
                 (D.Beta(2.0, 3.0), T.Beta(2.0, 3.0)), (D.Uniform(0.0, 2.0), T.Uniform(0.0, 2.0))]:
        assert e.batch_shape == () == tuple(t.batch_shape)
        assert to_numpy(e.mean).dtype == np.float32
        assert_same(e.entropy(), t.entropy(), rtol=1e-5, atol=1e-6, what=type(e).__name__)


def test_float32_follows_parameters():
    e, t, _ = build("Gamma", {"concentration": [0.5, 2.0], "rate": [1.0, 3.0]}, dtype=np.float32)
    ev, tv = pair([0.3, 1.0], np.float32)
    assert_same(e.log_prob(ev), t.log_prob(tv), rtol=1e-5, atol=1e-6)
    assert e.sample((3,)).dtype == ember.float32


def test_multivariate_normal_parameterisations():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + np.eye(3)
    loc = rng.standard_normal((4, 1, 3))
    x = rng.standard_normal((4, 2, 3))
    for kw, mat in (("covariance_matrix", cov), ("precision_matrix", np.linalg.inv(cov)),
                    ("scale_tril", np.linalg.cholesky(cov))):
        e, t, leaves = build("MultivariateNormal", {"loc": loc, kw: mat}, requires_grad=True)
        assert e.batch_shape == (4, 2) and e.event_shape == (3,)
        ex, tx = pair(x)
        e_lp, t_lp = e.log_prob(ex), t.log_prob(tx)
        assert_same(e_lp, t_lp, rtol=1e-9, atol=1e-12, what=kw)
        # a symmetric perturbation keeps the gradient comparable (only the triangle is read)
        assert_grads(e_lp, t_lp, leaves, rtol=1e-7, atol=1e-9, what=kw)
        assert_same(e.entropy(), t.entropy(), rtol=1e-9, atol=1e-12)
        for prop in ("covariance_matrix", "precision_matrix", "scale_tril", "variance", "mean"):
            assert_same(getattr(e, prop), getattr(t, prop), rtol=1e-9, atol=1e-10, what=prop)
        ee, te = e.expand((5, 4, 2)), t.expand((5, 4, 2))
        assert_same(ee.log_prob(ex), te.log_prob(tx), rtol=1e-9, atol=1e-12)


def test_independent_and_transformed():
    e, t, leaves = build("Normal", {"loc": [[0.1, 0.2], [0.3, -1.0]], "scale": [1.0, 2.0]},
                         requires_grad=True)
    ei, ti = D.Independent(e, 1), T.Independent(t, 1)
    assert ei.batch_shape == (2,) and ei.event_shape == (2,)
    ev, tv = pair([0.5, -0.5])
    assert_same(ei.log_prob(ev), ti.log_prob(tv), **CLOSE)
    assert_grads(ei.entropy(), ti.entropy(), leaves)
    assert repr(ei) == "Independent(Normal(loc: ember.Size([2, 2]), scale: ember.Size([2, 2])), 1)"
    parts_e = [D.AffineTransform(0.5, -2.0), D.ExpTransform(), D.PowerTransform(0.5)]
    parts_t = [T.AffineTransform(0.5, -2.0), T.ExpTransform(), T.PowerTransform(torch.tensor(0.5))]
    te_, tt_ = D.TransformedDistribution(e, parts_e), T.TransformedDistribution(t, parts_t)
    yv_e, yv_t = pair([0.3, 1.7])
    lp_e, lp_t = te_.log_prob(yv_e), tt_.log_prob(yv_t)
    assert_same(lp_e, lp_t, **CLOSE)
    assert_grads(lp_e, lp_t, leaves)
    assert_same(te_.cdf(yv_e), tt_.cdf(yv_t), **CLOSE)  # decreasing chain: 1 - F
    q_e, q_t = pair([0.2, 0.9])
    assert_same(te_.icdf(q_e), tt_.icdf(q_t), **CLOSE)
    assert te_.batch_shape == (2, 2) and te_.expand((3, 2, 2)).batch_shape == (3, 2, 2)
    assert repr(te_) == "TransformedDistribution()"


def test_lazy_probs_logits():
    e, t, leaves = build("Categorical", {"logits": [[1.0, 2.0, -1.0]]}, requires_grad=True)
    assert "probs" not in e.__dict__
    assert_same(e.probs, t.probs, **CLOSE)
    assert "probs" in e.__dict__
    assert_grads(e.probs, t.probs, leaves)
    e, t, _ = build("Bernoulli", {"probs": [0.0, 0.3, 1.0]})
    assert_same(e.logits, t.logits, **CLOSE)  # clamped by the dtype's eps
    assert_same(e.enumerate_support(), t.enumerate_support(), **CLOSE)
    b = D.Binomial(3, ember.tensor([0.2, 0.4]))
    assert_same(b.enumerate_support(),
                T.Binomial(3, torch.tensor([0.2, 0.4])).enumerate_support(), **CLOSE)
    o = D.OneHotCategorical(ember.tensor([[0.2, 0.8]]))
    assert_same(o.enumerate_support(False),
                T.OneHotCategorical(torch.tensor([[0.2, 0.8]])).enumerate_support(False), **CLOSE)

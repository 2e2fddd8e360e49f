"""kl_divergence, constraints, transforms, validation errors and the private ops."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.distributions as T
from tests.distributions.helpers import CLOSE, assert_grads, build, pair, torch_words
from tests.torch_compare import assert_same

import ember
import ember.distributions as D
from ember.distributions import _ops, constraints

KL_CASES = [
    ("Normal", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]},
     {"loc": [[1.0], [0.0]], "scale": [2.0, 0.5]}),
    ("Laplace", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]},
     {"loc": [[1.0], [0.0]], "scale": [2.0, 0.5]}),
    ("Exponential", {"rate": [0.3, 2.0]}, {"rate": [[1.0], [0.1]]}),
    ("Gamma", {"concentration": [0.3, 2.0], "rate": [1.0, 3.0]},
     {"concentration": [[1.0], [4.0]], "rate": [0.5, 2.0]}),
    ("Beta", {"concentration1": [0.3, 2.0], "concentration0": [1.0, 3.0]},
     {"concentration1": [[1.0], [4.0]], "concentration0": [0.5, 2.0]}),
    ("Poisson", {"rate": [0.3, 2.0]}, {"rate": [[1.0], [7.0]]}),
    ("Bernoulli", {"probs": [0.3, 0.0, 1.0]}, {"logits": [1.0, -2.0, 0.5]}),
    ("Bernoulli", {"probs": [0.3, 0.5]}, {"probs": [0.0, 1.0]}),
    ("Binomial", {"total_count": 5, "probs": [0.3, 0.9]},
     {"total_count": 5, "logits": [[1.0], [-2.0]]}),
    ("Categorical", {"probs": [[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]},
     {"logits": [[0.0, 1.0, -1.0], [2.0, 0.0, 0.0]]}),
    ("Categorical", {"probs": [0.2, 0.3, 0.5]}, {"probs": [0.5, 0.5, 0.0]}),
    ("OneHotCategorical", {"probs": [[0.2, 0.3, 0.5]]},
     {"logits": [[0.0, 1.0, -1.0], [2.0, 0, 0]]}),
    ("Dirichlet", {"concentration": [[0.5, 1.0, 2.0]]},
     {"concentration": [[1.0, 1.0, 1.0], [3, 2, 1]]}),
    ("Uniform", {"low": [0.0, 0.2], "high": [1.0, 0.5]},
     {"low": [[-1.0], [0.1]], "high": [2.0, 0.6]}),
    ("LogNormal", {"loc": [0.3, -1.0], "scale": [1.2, 0.4]},
     {"loc": [[1.0], [0.0]], "scale": [2.0, 0.5]}),
]


@pytest.mark.parametrize("name,p,q", KL_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(KL_CASES)])
def test_kl_against_torch(name, p, q):
    pe, pt, lp = build(name, p, requires_grad=True)
    qe, qt, lq = build(name, q, requires_grad=True)
    e, t = D.kl_divergence(pe, qe), T.kl_divergence(pt, qt)
    assert_same(e, t, **CLOSE, what="kl")
    finite = np.isfinite(t.detach().numpy())
    if finite.all():
        assert_grads(e, t, lp + lq, what="kl")


def test_kl_multivariate_normal_and_independent():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + np.eye(3)
    pe, pt, lp = build("MultivariateNormal", {"loc": rng.standard_normal(3),
                                              "scale_tril": np.linalg.cholesky(cov[0])},
                       requires_grad=True)
    qe, qt, lq = build("MultivariateNormal", {"loc": rng.standard_normal((4, 1, 3)),
                                              "covariance_matrix": cov}, requires_grad=True)
    e, t = D.kl_divergence(pe, qe), T.kl_divergence(pt, qt)
    assert_same(e, t, rtol=1e-9, atol=1e-12)
    assert_grads(e, t, lp + lq, rtol=1e-7, atol=1e-9)
    ne, nt, ln = build("Normal", {"loc": [[0.0, 1.0]], "scale": [1.0, 2.0]}, requires_grad=True)
    me, mt, lm = build("Normal", {"loc": [[1.0, 1.0]], "scale": [3.0, 2.0]}, requires_grad=True)
    e = D.kl_divergence(D.Independent(ne, 1), D.Independent(me, 1))
    t = T.kl_divergence(T.Independent(nt, 1), T.Independent(mt, 1))
    assert_same(e, t, **CLOSE)
    assert_grads(e, t, ln + lm)


def test_kl_errors_and_register():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type "
                       "Normal and q type Gamma"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Gamma(1.0, 1.0))
    with pytest.raises(NotImplementedError, match=r"q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(2, ember.tensor(0.5)), D.Binomial(3, ember.tensor(0.5)))
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)

    class MyNormal(D.Normal):
        pass

    # a subclass falls back on its parent's pair until it registers its own
    assert_same(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)), torch.tensor(0.5),
                **CLOSE)

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return ember.tensor(-1.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == -1.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 1.0)).item() == 0.5

    @D.register_kl(D.Normal, MyNormal)
    def _kl2(p, q):
        return ember.tensor(-2.0)

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        D.kl_divergence(MyNormal(0.0, 1.0), MyNormal(1.0, 1.0))
    assert any("Ambiguous kl_divergence(MyNormal, MyNormal)" in str(x.message) for x in w)


CONSTRAINTS = [
    ("real", (), [0.0, np.nan, np.inf]),
    ("positive", (), [1.0, 0.0, -1.0]),
    ("nonnegative", (), [1.0, 0.0, -1.0]),
    ("unit_interval", (), [0.0, 1.0, 1.5]),
    ("boolean", (), [0.0, 1.0, 0.5]),
    ("nonnegative_integer", (), [0.0, 3.0, 2.5, -1.0]),
    ("positive_integer", (), [0.0, 3.0]),
    ("integer_interval", (0, 3), [0.0, 3.0, 4.0, 1.5]),
    ("interval", (0.0, 2.0), [0.0, 2.0, 2.1]),
    ("half_open_interval", (0.0, 2.0), [0.0, 2.0]),
    ("greater_than", (1.0,), [1.0, 1.5]),
    ("greater_than_eq", (1.0,), [1.0, 0.5]),
    ("less_than", (1.0,), [1.0, 0.5]),
    ("simplex", (), [[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]]),
    ("real_vector", (), [[0.0, np.nan], [1.0, 2.0]]),
    ("one_hot", (), [[0.0, 1.0], [1.0, 1.0]]),
    ("lower_cholesky", (), [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 0.1], [2.0, 1.0]],
                            [[-1.0, 0.0], [2.0, 1.0]]]),
    ("lower_triangular", (), [[[1.0, 0.0], [2.0, 1.0]], [[1.0, 0.1], [2.0, 1.0]]]),
    ("positive_definite", (), [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]],
                               [[2.0, 1.0], [0.0, 2.0]]]),
    ("positive_semidefinite", (), [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]),
    ("symmetric", (), [[[1.0, 3.0], [3.0, 1.0]], [[1.0, 2.0], [0.0, 1.0]]]),
    ("square", (), [[[1.0, 3.0], [3.0, 1.0]]]),
]


@pytest.mark.parametrize("name,args,values", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_constraints_against_torch(name, args, values):
    ce, ct = getattr(constraints, name), getattr(T.constraints, name)
    if args:
        ce, ct = ce(*args), ct(*args)
    assert repr(ce) == repr(ct)
    assert ce.event_dim == ct.event_dim and ce.is_discrete == ct.is_discrete
    e, t = pair(values)
    assert_same(ce.check(e), ct.check(t), rtol=0, atol=0)


def test_dependent_and_independent_constraints():
    assert constraints.is_dependent(constraints.dependent)
    with pytest.raises(NotImplementedError, match="cannot be determined statically"):
        constraints.dependent.event_dim  # noqa: B018
    c = constraints.independent(constraints.positive, 2)
    assert repr(c) == repr(T.constraints.independent(T.constraints.positive, 2))
    e, t = pair(np.array([[[1.0, 2.0], [3.0, -1.0]], [[1.0, 2.0], [3.0, 4.0]]]))
    assert_same(c.check(e), T.constraints.independent(T.constraints.positive, 2).check(t),
                rtol=0, atol=0)
    assert D.Uniform.support.event_dim == 0 and constraints.is_dependent(D.Uniform.support)
    assert repr(D.Uniform(0.0, 2.0).support) == repr(T.Uniform(0.0, 2.0).support)


TRANSFORMS = [
    (lambda m: m.ExpTransform(), [-1.0, 0.5, 2.0]),
    (lambda m: m.AffineTransform(1.0, -3.0), [-1.0, 0.5, 2.0]),
    (lambda m: m.SigmoidTransform(), [-3.0, 0.5, 2.0]),
    (lambda m: m.TanhTransform(), [-3.0, 0.5, 2.0]),
    (lambda m: m.PowerTransform(torch.tensor(2.5) if m is T else 2.5), [0.3, 0.5, 2.0]),
    (lambda m: m.ComposeTransform([m.AffineTransform(0.5, 2.0), m.ExpTransform()]),
     [-1.0, 0.5, 2.0]),
    (lambda m: m.ExpTransform().inv, [0.3, 0.5, 2.0]),
]


@pytest.mark.parametrize("make,values", TRANSFORMS, ids=range(len(TRANSFORMS)))
def test_transforms_against_torch(make, values):
    te, tt = make(D), make(T)
    assert repr(te) == repr(tt)
    xe, xt = pair(values, requires_grad=True)
    ye, yt = te(xe), tt(xt)
    assert_same(ye, yt, **CLOSE)
    assert_same(te.inv(ye), tt.inv(yt), **CLOSE)
    je, jt = te.log_abs_det_jacobian(xe, ye), tt.log_abs_det_jacobian(xt, yt)
    assert_same(je, jt, rtol=1e-9, atol=1e-12)
    if jt.requires_grad:
        assert_grads(je, jt, [(xe, xt)], rtol=1e-7, atol=1e-9)
    else:
        assert not je.requires_grad
    assert te.sign == tt.sign if not isinstance(tt.sign, torch.Tensor) else True
    assert te == make(D) and repr(te.domain) == repr(tt.domain)
    assert repr(te.codomain) == repr(tt.codomain)


def test_softmax_transform_and_cache():
    e, t = pair([[1.0, 2.0, 0.5]])
    assert_same(D.SoftmaxTransform()(e), T.SoftmaxTransform()(t), **CLOSE)
    cached = D.ExpTransform(cache_size=1)
    x = ember.tensor([1.0])
    y = cached(x)
    assert cached.inv(y) is x
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        D.ExpTransform(cache_size=2)


def _torch_error(fn):
    try:
        fn()
    except Exception as exc:
        return type(exc), torch_words(str(exc))
    raise AssertionError("torch raised nothing")


@pytest.mark.parametrize("build_both", [
    lambda m, x: m.Normal(x([np.nan, 0.0]), x([1.0, 1.0])),
    lambda m, x: m.Normal(x([0.0, 0.0]), x([1.0, -1.0])),
    lambda m, x: m.Gamma(x([1.0]), x([1.0])).log_prob(x([-1.0])),
    lambda m, x: m.Bernoulli(x([0.3])).log_prob(x([0.5])),
    lambda m, x: m.Categorical(x([0.3, 0.7])).log_prob(x([2.0])),
    lambda m, x: m.Dirichlet(x([1.0, 1.0, 1.0])).log_prob(x([0.5, 0.5])),
    lambda m, x: m.Normal(x([0.0, 0.0, 0.0]), 1.0).log_prob(x([1.0, 2.0])),
    lambda m, x: m.Normal(0.0, 1.0).log_prob(2.0),
    lambda m, x: m.Uniform(1.0, 0.0),
    lambda m, x: m.Categorical(),
    lambda m, x: m.Bernoulli(x([0.3]), x([0.3])),
    lambda m, x: m.MultivariateNormal(x([0.0, 0.0])),
    lambda m, x: m.MultivariateNormal(x(0.0), x([[1.0]])),
    lambda m, x: m.MultivariateNormal(x([0.0, 0.0]), x([1.0, 1.0])),
    lambda m, x: m.MultivariateNormal(x([0.0, 0.0]), x([[1.0, 2.0], [2.0, 1.0]])),
    lambda m, x: m.Independent(m.Normal(x([0.0]), x([1.0])), 2),
    lambda m, x: m.Dirichlet(x(1.0)),
    lambda m, x: m.Binomial(x(2.5), x(0.5)),
])
def test_errors_in_torch_words(build_both):
    t_type, t_msg = _torch_error(lambda: build_both(T, lambda v: torch.tensor(v)))
    with pytest.raises(t_type) as info:
        build_both(D, lambda v: ember.tensor(v))
    e_msg = str(info.value)
    # the parts before the printed values are identical (tensors print each library's way)
    head = t_msg.split("found invalid values")[0]
    assert e_msg.split("found invalid values")[0] == head


def test_validation_switches():
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))  # accepted
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(ember.tensor([0.0]), ember.tensor([-1.0]))
    d = D.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    assert not d._validate_args
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(2)
    with pytest.warns(FutureWarning):
        assert D.Normal(0.0, 1.0).sample_n(3).shape == (3,)
    with pytest.raises(NotImplementedError):
        D.Bernoulli(0.3).rsample()
    assert repr(D.Normal(ember.tensor(0.0), ember.ones(2))) == \
        torch_words(repr(T.Normal(torch.tensor(0.0), torch.ones(2))))
    assert repr(D.Gamma(ember.tensor([1.0]), 2.0)) == \
        torch_words(repr(T.Gamma(torch.tensor([1.0]), 2.0)))


SPECIAL = [
    (_ops.lgamma, torch.lgamma, [0.3, 1.0, 2.5, 7.0], 1e-12),
    (_ops.digamma, torch.digamma, [0.3, 1.0, 2.5, 7.0], 1e-12),
    # torch's trigamma is good to ~5e-10 (polygamma(1, 1) = pi^2 / 6 = 1.6449340668482264)
    (lambda x: _ops.polygamma(1, x), lambda x: torch.polygamma(1, x), [0.3, 1.0, 2.5], 1e-8),
    (_ops.erfinv, torch.erfinv, [-0.9, 0.0, 0.3, 0.99], 1e-12),
]


@pytest.mark.parametrize("ours,theirs,values,rtol", SPECIAL, ids=range(len(SPECIAL)))
def test_special_ops(ours, theirs, values, rtol):
    e, t = pair(values, requires_grad=True)
    assert_same(ours(e), theirs(t), rtol=rtol, atol=1e-12)
    assert_grads(ours(e), theirs(t), [(e, t)], rtol=1e-8)
    assert ember.autograd.gradcheck(ours, (e,))


def test_xlogy_and_gammainc():
    xe, xt = pair([0.0, 0.0, 2.0, 1.5], requires_grad=True)
    ye, yt = pair([0.0, 3.0, 0.5, 4.0], requires_grad=True)
    assert_same(_ops.xlogy(xe, ye), torch.xlogy(xt, yt), **CLOSE)
    ye2, yt2 = pair([0.5, 3.0, 0.5, 4.0], requires_grad=True)
    assert_grads(_ops.xlogy(xe, ye2), torch.xlogy(xt, yt2), [(xe, xt), (ye2, yt2)])
    ae, at = pair([0.5, 1.0, 3.0, 10.0])
    assert_same(_ops.gammainc(ae, ye2), torch.special.gammainc(at, yt2), rtol=1e-12, atol=1e-12)
    assert_grads(_ops.gammainc(ae, ye2), torch.special.gammainc(at, yt2), [(ye2, yt2)])


def test_linear_algebra_ops():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 3))
    spd = a @ a.transpose(0, 2, 1) + np.eye(3)
    b = rng.standard_normal((4, 1, 3, 2))
    low = np.linalg.cholesky(spd)
    se, st = pair(spd, requires_grad=True)
    le, lt = pair(low, requires_grad=True)
    be, bt = pair(b, requires_grad=True)
    assert_same(_ops.cholesky(se), torch.linalg.cholesky(st), rtol=1e-12, atol=1e-12)
    assert_grads(_ops.cholesky(se), torch.linalg.cholesky(st), [(se, st)], rtol=1e-9)
    for upper in (False, True):
        m_e = le.transpose(-2, -1) if upper else le
        m_t = lt.transpose(-2, -1) if upper else lt
        out_e = _ops.solve_triangular(m_e, be, upper=upper)
        out_t = torch.linalg.solve_triangular(m_t, bt, upper=upper)
        assert_same(out_e, out_t, rtol=1e-10, atol=1e-12)
        assert_grads(out_e, out_t, [(le, lt), (be, bt)], rtol=1e-9)
    assert abs(_ops.polygamma(1, ember.tensor([1.0], dtype=ember.float64)).item()
               - np.pi**2 / 6) < 1e-15
    with pytest.raises(RuntimeError, match="not positive-definite"):
        _ops.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))

"""Samplers: shapes, reproducibility, moments and goodness of fit; reparameterised gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special, stats
from tests.distributions.helpers import pair
from tests.torch_compare import assert_same, to_numpy

import ember
import ember.distributions as D
from ember.distributions._ops import dirichlet_grad, standard_gamma_grad

N = 20000
Z = 5.0  # standard errors allowed


def f64(x):
    return ember.tensor(np.asarray(x, dtype=np.float64))


# distribution, its mean and variance (closed forms written here, not taken from the code)
MOMENT_CASES = [
    (lambda: D.Normal(f64([0.5, -2.0]), f64([1.0, 3.0])), [0.5, -2.0], [1.0, 9.0]),
    (lambda: D.Laplace(f64([0.5]), f64([2.0])), [0.5], [8.0]),
    (lambda: D.Uniform(f64([-1.0]), f64([3.0])), [1.0], [16 / 12]),
    (lambda: D.Exponential(f64([0.5, 4.0])), [2.0, 0.25], [4.0, 1 / 16]),
    (lambda: D.Gamma(f64([0.2, 1.0, 7.5]), f64([1.0, 2.0, 0.5])),
     [0.2, 0.5, 15.0], [0.2, 0.25, 30.0]),
    (lambda: D.Beta(f64([0.5, 3.0]), f64([0.5, 1.5])),
     [0.5, 2 / 3], [1 / 8, 3 * 1.5 / (4.5**2 * 5.5)]),
    (lambda: D.LogNormal(f64([0.0]), f64([0.5])),
     [np.exp(0.125)], [(np.exp(0.25) - 1) * np.exp(0.25)]),
    (lambda: D.Poisson(f64([0.3, 4.0, 10.0, 60.0])), [0.3, 4.0, 10.0, 60.0],
     [0.3, 4.0, 10.0, 60.0]),
    (lambda: D.Binomial(f64([5.0, 30.0, 200.0, 1000.0]), f64([0.3, 0.9, 0.2, 0.5])),
     [1.5, 27.0, 40.0, 500.0], [1.05, 2.7, 32.0, 250.0]),
    (lambda: D.Bernoulli(f64([0.05, 0.5])), [0.05, 0.5], [0.0475, 0.25]),
    (lambda: D.Dirichlet(f64([0.5, 1.0, 2.5])), [0.125, 0.25, 0.625],
     [0.125 * 0.875 / 5, 0.25 * 0.75 / 5, 0.625 * 0.375 / 5]),
    (lambda: D.OneHotCategorical(f64([0.1, 0.2, 0.7])), [0.1, 0.2, 0.7], [0.09, 0.16, 0.21]),
    (lambda: D.MultivariateNormal(f64([1.0, -1.0]), f64([[2.0, 0.6], [0.6, 1.0]])),
     [1.0, -1.0], [2.0, 1.0]),
]


@pytest.mark.parametrize("case", range(len(MOMENT_CASES)))
def test_sample_moments(case):
    """Sample mean and variance within 5 standard errors of the known moments.

    The standard error of the mean is ``sqrt(var / N)``; that of the sample variance is
    bounded here through the sample's own fourth central moment, ``sqrt((m4 - var^2) / N)``.
    """
    make, mean, var = MOMENT_CASES[case]
    ember.manual_seed(1234 + case)
    x = to_numpy(make().sample((N,)))
    mean, var = np.asarray(mean), np.asarray(var)
    assert np.all(np.abs(x.mean(0) - mean) <= Z * np.sqrt(var / N)), (x.mean(0), mean)
    m4 = ((x - x.mean(0)) ** 4).mean(0)
    se_var = np.sqrt(np.maximum(m4 - var**2, 0) / N)
    assert np.all(np.abs(x.var(0) - var) <= Z * se_var + 1e-12), (x.var(0), var)


@pytest.mark.parametrize("dist,cdf", [
    (lambda: D.Gamma(f64(0.3), f64(1.0)), lambda x: stats.gamma.cdf(x, 0.3)),
    (lambda: D.Gamma(f64(4.2), f64(2.0)), lambda x: stats.gamma.cdf(x, 4.2, scale=0.5)),
    (lambda: D.Beta(f64(0.7), f64(2.5)), lambda x: stats.beta.cdf(x, 0.7, 2.5)),
    (lambda: D.Normal(f64(1.0), f64(2.0)), lambda x: stats.norm.cdf(x, 1.0, 2.0)),
    (lambda: D.Laplace(f64(1.0), f64(2.0)), lambda x: stats.laplace.cdf(x, 1.0, 2.0)),
])
def test_kolmogorov_smirnov(dist, cdf):
    ember.manual_seed(7)
    x = to_numpy(dist().sample((5000,)))
    assert stats.kstest(x, cdf).pvalue > 1e-4


@pytest.mark.parametrize("dist,pmf,support", [
    (lambda: D.Poisson(f64(3.5)), lambda k: stats.poisson.pmf(k, 3.5), 12),
    (lambda: D.Poisson(f64(40.0)), lambda k: stats.poisson.pmf(k, 40.0), 80),
    (lambda: D.Binomial(f64(12.0), f64(0.35)), lambda k: stats.binom.pmf(k, 12, 0.35), 13),
    (lambda: D.Binomial(f64(300.0), f64(0.7)), lambda k: stats.binom.pmf(k, 300, 0.7), 301),
    (lambda: D.Categorical(f64([0.1, 0.0, 0.6, 0.3])),
     lambda k: np.array([0.1, 0.0, 0.6, 0.3])[k.astype(int)], 4),
])
def test_chi_square(dist, pmf, support):
    """Counts against the pmf, cells of expected count below 5 pooled into their neighbour.

    Values the pmf gives probability zero must never be drawn.
    """
    ember.manual_seed(11)
    x = to_numpy(dist().sample((N,))).astype(int)
    k = np.arange(support)
    assert x.min() >= 0
    counts = np.bincount(x, minlength=support).astype(float)
    # cells 0 .. support-1, then one cell for everything above (the Poisson's tail)
    observed = np.append(counts[:support], counts[support:].sum())
    expected = np.append(pmf(k), max(1 - pmf(k).sum(), 0.0)) * N
    keep = expected > 0
    assert np.all(observed[~keep] == 0)  # impossible values never drawn
    obs, exp = [], []
    o_acc = e_acc = 0.0
    for o, e in zip(observed[keep], expected[keep], strict=True):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 5:
            obs.append(o_acc)
            exp.append(e_acc)
            o_acc = e_acc = 0.0
    obs[-1] += o_acc
    exp[-1] += e_acc
    exp = np.array(exp) * (N / np.sum(exp))
    assert stats.chisquare(obs, exp).pvalue > 1e-4


@pytest.mark.parametrize("make,event", [
    (lambda: D.Normal(f64([[0.0, 1.0, 2.0]]), f64([[1.0], [2.0]])), ()),
    (lambda: D.Gamma(f64([0.5, 2.0]), f64(1.0)), ()),
    (lambda: D.Beta(f64([0.5, 2.0]), f64(1.0)), ()),
    (lambda: D.Dirichlet(f64([[0.5, 2.0, 1.0]]).expand(2, 3)), (3,)),
    (lambda: D.Categorical(f64([[0.5, 0.5], [0.1, 0.9], [1.0, 0.0]])), ()),
    (lambda: D.OneHotCategorical(f64([[0.5, 0.5], [0.1, 0.9]])), (2,)),
    (lambda: D.Poisson(f64([1.0, 20.0])), ()),
    (lambda: D.Binomial(10, f64([0.2, 0.9])), ()),
    (lambda: D.Bernoulli(logits=f64([0.0, 1.0])), ()),
    (lambda: D.MultivariateNormal(f64([0.0, 0.0]), scale_tril=f64([[[1.0, 0.0], [0.5, 1.0]]])),
     (2,)),
    (lambda: D.Independent(D.Normal(f64([[0.0, 1.0]]), f64(1.0)), 1), (2,)),
    (lambda: D.LogNormal(f64([0.0, 1.0]), f64(1.0)), ()),
])
def test_shapes_and_reproducibility(make, event):
    d = make()
    batch = tuple(d.batch_shape)
    assert tuple(d.event_shape) == event
    for sample_shape in [(), (3,), (2, 4)]:
        assert d.sample(sample_shape).shape == sample_shape + batch + event
    ember.manual_seed(5)
    a = to_numpy(d.sample((6,)))
    b = to_numpy(d.sample((6,)))
    ember.manual_seed(5)
    np.testing.assert_array_equal(to_numpy(d.sample((6,))), a)
    assert not np.array_equal(a, b) or d.support.is_discrete
    assert bool(d.support.check(d.sample((4,))).all())


def test_normal_rsample_gradient_is_the_reparameterisation():
    loc, loc_t = pair([0.5, -1.0], requires_grad=True)
    scale, scale_t = pair([2.0, 0.3], requires_grad=True)
    ember.manual_seed(3)
    x = D.Normal(loc, scale).rsample((5,))
    ember.manual_seed(3)
    eps = ember.randn((5, 2), dtype=ember.float64)  # the same noise
    np.testing.assert_allclose(to_numpy(x), to_numpy(loc + eps * scale), rtol=1e-15)
    w = np.random.default_rng(0).standard_normal((5, 2))
    (x * ember.tensor(w)).sum().backward()
    y = loc_t + torch.tensor(to_numpy(eps)) * scale_t  # torch's rsample given that eps
    (y * torch.tensor(w)).sum().backward()
    assert_same(loc.grad, loc_t.grad, rtol=1e-12, atol=0)
    assert_same(scale.grad, scale_t.grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name,params", [
    ("Uniform", {"low": [0.5, -1.0], "high": [2.0, 0.3]}),
    ("Laplace", {"loc": [0.5, -1.0], "scale": [2.0, 0.3]}),
    ("Exponential", {"rate": [0.5, 3.0]}),
    ("LogNormal", {"loc": [0.5, -1.0], "scale": [2.0, 0.3]}),
])
def test_rsample_gradients_by_finite_differences(name, params):
    """With the seed fixed, rsample is a smooth function of the parameters: gradcheck it."""
    leaves = [ember.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
              for v in params.values()]

    def fn(*args):
        ember.manual_seed(9)
        return getattr(D, name)(*args).rsample((3,))

    assert ember.autograd.gradcheck(fn, tuple(leaves))


def test_multivariate_normal_rsample_gradient():
    low = np.array([[1.0, 0.0, 0.0], [0.4, 0.8, 0.0], [-0.2, 0.1, 1.5]])

    def fn(loc, scale_tril):
        ember.manual_seed(2)
        return D.MultivariateNormal(loc, scale_tril=scale_tril, validate_args=False).rsample((4,))

    args = (ember.tensor([0.5, -1.0, 0.2], dtype=ember.float64, requires_grad=True),
            ember.tensor(low, requires_grad=True))
    assert ember.autograd.gradcheck(fn, args)


def test_gamma_rsample_gradient_matches_torch():
    """d sample / d alpha at the drawn samples against torch._standard_gamma_grad."""
    alpha, _ = pair([0.05, 0.3, 1.0, 2.5, 10.0, 150.0], requires_grad=True)
    rate = ember.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 1.0], dtype=ember.float64, requires_grad=True)
    ember.manual_seed(0)
    x = D.Gamma(alpha, rate).rsample((50,))
    x.sum().backward()
    xs = to_numpy(x.detach()) * to_numpy(rate.detach())  # the standard gamma draws
    a = np.broadcast_to(to_numpy(alpha.detach()), xs.shape)
    ours = standard_gamma_grad(a, xs)
    theirs = torch._standard_gamma_grad(torch.tensor(a.copy()), torch.tensor(xs)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3, atol=1e-12)
    np.testing.assert_allclose(to_numpy(alpha.grad), (ours / to_numpy(rate.detach())).sum(0),
                               rtol=1e-12)
    np.testing.assert_allclose(to_numpy(rate.grad), (-xs / to_numpy(rate.detach()) ** 2).sum(0),
                               rtol=1e-12)


def test_gamma_gradient_is_the_exact_implicit_derivative():
    """Against the derivative of scipy's inverse CDF at a fixed level (central difference)."""
    a = np.array([0.02, 0.4, 1.0, 3.0, 40.0, 500.0])
    u = np.array([0.3, 0.9, 0.01, 0.5, 0.999, 0.2])
    x = special.gammaincinv(a, u)
    h = 1e-6 * a
    exact = (special.gammaincinv(a + h, u) - special.gammaincinv(a - h, u)) / (2 * h)
    np.testing.assert_allclose(standard_gamma_grad(a, x), exact, rtol=1e-5)


def test_dirichlet_gradient_is_the_exact_implicit_derivative():
    """Times ``1 - x``, the factor is d x / d alpha of the Beta(alpha, total - alpha) marginal
    at a fixed CDF level (scipy's inverse CDF, central difference); torch approximates it."""
    alpha = np.array([[0.3, 1.0, 2.0], [5.0, 0.7, 10.0]])
    total = np.broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape)
    b = total - alpha
    x = np.array([[0.1, 0.3, 0.6], [0.2, 0.05, 0.75]])
    u = special.betainc(alpha, b, x)
    h = 1e-6
    exact = (special.betaincinv(alpha + h, b, u) - special.betaincinv(alpha - h, b, u)) / (2 * h)
    ours = dirichlet_grad(x, alpha, total)
    np.testing.assert_allclose(ours * (1 - x), exact, rtol=1e-5)
    theirs = torch._dirichlet_grad(torch.tensor(x), torch.tensor(alpha), torch.tensor(total))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-3)


def test_dirichlet_rsample_backward_matches_torch_formula():
    alpha, _alpha_t = pair([[0.4, 1.0, 2.5], [3.0, 0.8, 1.2]], requires_grad=True)
    ember.manual_seed(4)
    x = D.Dirichlet(alpha).rsample((7,))
    w = np.random.default_rng(1).standard_normal((7, 2, 3))
    (x * ember.tensor(w)).sum().backward()
    xs, a = to_numpy(x.detach()), np.broadcast_to(to_numpy(alpha.detach()), (7, 2, 3))
    g = torch._dirichlet_grad(torch.tensor(xs), torch.tensor(a.copy()),
                              torch.tensor(a.sum(-1, keepdims=True) * np.ones_like(a))).numpy()
    expected = (g * (w - (xs * w).sum(-1, keepdims=True))).sum(0)
    np.testing.assert_allclose(to_numpy(alpha.grad), expected, rtol=1e-3, atol=1e-6)


def _f64(v):
    return ember.tensor(v, dtype=ember.float64)


@pytest.mark.parametrize("draw,d_mean", [
    # d E[x] / d a for Beta(a, 2): 2 / (a + 2)^2
    (lambda a, n: D.Beta(a, _f64(2.0)).rsample((n,)), 2.0 / 3.5**2),
    # coordinate 0 of Dirichlet(a, 1, 0.5): d/da a / (a + 1.5) = 1.5 / (a + 1.5)^2
    (lambda a, n: D.Dirichlet(ember.stack([a, _f64(1.0), _f64(0.5)])).rsample((n,))[:, 0],
     1.5 / 3.0**2),
    # Gamma(a, 2): d/da a / 2 = 1 / 2
    (lambda a, n: D.Gamma(a, _f64(2.0)).rsample((n,)), 0.5),
])
def test_rsample_gradient_is_unbiased(draw, d_mean):
    """Pathwise gradients average to d E[x] / d a (within 5 standard errors, a = 1.5)."""
    alpha = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    ember.manual_seed(21)
    chunks, size = 16, 500
    means = [to_numpy(ember.autograd.grad(draw(alpha, size).sum(), [alpha])[0]) / size
             for _ in range(chunks)]
    se = np.std(means, ddof=1) / np.sqrt(chunks)
    assert abs(np.mean(means) - d_mean) <= Z * se

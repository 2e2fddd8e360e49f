"""Probability distributions with PyTorch's ``torch.distributions`` API.

Each distribution has a ``batch_shape`` and an ``event_shape``, ``sample`` / ``rsample``
(drawn from Ember's default generator, so ``ember.manual_seed`` makes them reproducible),
``log_prob``, ``entropy``, moments and, where PyTorch has them, ``cdf`` / ``icdf``.
``kl_divergence`` gives closed-form KL divergences, ``transforms`` and
``TransformedDistribution`` build new laws from old ones.

Example:
    >>> from ember.distributions import Normal, kl_divergence
    >>> p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
    >>> x = p.rsample((3,))
    >>> p.log_prob(x), kl_divergence(p, q)
"""

from ember.distributions import constraints, transforms
from ember.distributions.bernoulli import Bernoulli
from ember.distributions.beta import Beta
from ember.distributions.binomial import Binomial
from ember.distributions.categorical import Categorical
from ember.distributions.dirichlet import Dirichlet
from ember.distributions.distribution import Distribution, ExponentialFamily
from ember.distributions.exponential import Exponential
from ember.distributions.gamma import Gamma
from ember.distributions.independent import Independent
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions.laplace import Laplace
from ember.distributions.log_normal import LogNormal
from ember.distributions.multivariate_normal import MultivariateNormal
from ember.distributions.normal import Normal
from ember.distributions.one_hot_categorical import (
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
)
from ember.distributions.poisson import Poisson
from ember.distributions.transformed_distribution import TransformedDistribution
from ember.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from ember.distributions.uniform import Uniform

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
    "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential",
    "ExponentialFamily", "Gamma", "Independent", "IndependentTransform", "Laplace", "LogNormal",
    "MultivariateNormal", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
    "Poisson", "PowerTransform", "SigmoidTransform", "SoftmaxTransform", "TanhTransform",
    "Transform", "TransformedDistribution", "Uniform", "constraints", "identity_transform",
    "kl_divergence", "register_kl", "transforms",
]

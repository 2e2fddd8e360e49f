"""Statistical properties PyTorch's own tests check, with binomial-derived tolerances.

Tolerances: a quantity estimated from n independent decisions has a standard deviation sigma
computed below from the binomial (or the exact mixture) distribution; we accept |error| <= 6
sigma (two-sided normal tail 2e-9, so a correct implementation never fails, while a wrong keep
probability or scale of a few percent fails) and check that 6 sigma is no looser than torch's
own fixed tolerance (0.05 for means, 0.1 for alpha mean/std). Every run is seeded, so results
are deterministic anyway.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.kernels.dropout import reference_keep

Z = 6.0
SELU_SAT = 1.7580993408473766


def _gen(seed=0):
    return ember.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", [(10000,), (100, 120), (20, 20, 30), (6, 7, 8, 40),
                                   (2, 3, 4, 5, 100)])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_mean_of_output_and_gradient_preserved(shape, p):
    # y_i = c / (1 - p) * B_i, B_i ~ Bernoulli(1 - p): mean(y) has sd c * sqrt(p / ((1 - p) n)).
    c = 0.8
    n = math.prod(shape)
    sigma = c * math.sqrt(p / ((1 - p) * n))
    tol = Z * sigma
    assert tol <= 0.05  # at least as strict as torch's own tolerance
    x = ember.full(shape, c, requires_grad=True)
    y = F.dropout(x, p, True, generator=_gen(n))
    assert abs(float(y.mean()) - c) <= tol
    y.backward(ember.full(shape, c))
    assert abs(float(x.grad.mean()) - c) <= tol
    # the gradient uses the very same mask as the output
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())


@pytest.mark.parametrize("p", [0.001, 0.1, 0.3, 0.5, 0.9, 0.999])
def test_fraction_kept_is_binomial(p):
    n = 1 << 18
    y = F.dropout(ember.ones(n), p, True, generator=_gen(7))
    kept = int((y.numpy() != 0).sum())
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(kept - n * (1 - p)) <= Z * sigma


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_std(p, feature):
    # y = a*x + b (kept) or a*alpha' + b (dropped), x ~ N(0,1): E[y] = 0, E[y^2] = 1 exactly.
    # sd(mean) = 1/sqrt(m), sd(sample var) = sqrt((E[y^4] - 1)/m) with m independent units;
    # channel dropout has m = channels (decisions), the within-channel noise only helps.
    a = 1 / math.sqrt((SELU_SAT**2 * p + 1) * (1 - p))
    b = a * SELU_SAT * p
    d = -a * SELU_SAT + b
    m4 = (1 - p) * (3 * a**4 + 6 * a**2 * b**2 + b**4) + p * d**4
    rng = np.random.default_rng(0)
    if feature:
        x = ember.tensor(rng.standard_normal((2000, 100, 8)))
        m = 2000 * 100
        y = F.feature_alpha_dropout(x, p, True, generator=_gen(1))
    else:
        x = ember.tensor(rng.standard_normal(400_000))
        m = 400_000
        y = F.alpha_dropout(x, p, True, generator=_gen(1))
    v = y.numpy()
    tol_mean = Z / math.sqrt(m)
    tol_std = Z * math.sqrt((m4 - 1) / m) / 2  # d(std) = d(var) / (2 std), std = 1
    assert tol_mean <= 0.1 and tol_std <= 0.1
    assert abs(v.mean()) <= tol_mean
    assert abs(v.std() - 1) <= tol_std


def test_alpha_dropout_p_one_gives_zeros():
    y = F.alpha_dropout(ember.randn(100), 1.0, True)
    assert np.array_equal(y.numpy(), np.zeros(100, np.float32))


@pytest.mark.parametrize("name,shape", [
    ("dropout1d", (8, 16, 30)), ("dropout1d", (16, 30)), ("dropout2d", (8, 16, 5, 6)),
    ("dropout2d", (8, 16, 30)), ("dropout3d", (4, 16, 3, 4, 5)), ("dropout3d", (16, 3, 4, 5)),
])
def test_channel_variants_zero_whole_channels(name, shape):
    x = ember.rand(*shape) + 0.5
    y = getattr(F, name)(x, 0.5, True, generator=_gen(3)).numpy()
    lead = 1 if len(shape) in (2, 4) and name != "dropout2d" else 2
    per_channel = (y != 0).reshape(math.prod(shape[:lead]), -1).sum(axis=1)
    size = math.prod(shape[lead:])
    assert set(np.unique(per_channel)) <= {0, size}
    assert 0 < (per_channel == 0).sum() < per_channel.size
    kept = y != 0
    assert np.allclose(y[kept], x.numpy()[kept] * 2)


def test_feature_alpha_dropout_shares_decisions_per_channel():
    x = ember.rand(6, 10, 4, 4) + 0.5
    y = F.feature_alpha_dropout(x, 0.5, True, generator=_gen(4)).numpy()
    a = 1 / math.sqrt((SELU_SAT**2 * 0.5 + 1) * 0.5)
    dropped = np.isclose(y, -a * SELU_SAT + a * SELU_SAT * 0.5)
    per_channel = dropped.reshape(60, 16).sum(axis=1)
    assert set(np.unique(per_channel)) <= {0, 16}


@pytest.mark.parametrize("shape,bdims", [((5, 4, 6), (0,)), ((5, 4, 6), (1,)), ((5, 4, 6), (-1,)),
                                          ((3, 4, 5, 6), (0, 2)), ((3, 4, 5, 6), (1, 2, 3)),
                                          ((7, 9), (0, 1))])
@pytest.mark.parametrize("alpha", [False, True])
def test_broadcast_dims_share_decisions_exactly(shape, bdims, alpha):
    """Decisions equal the reference stream over the noise shape, broadcast along bdims."""
    x = ember.rand(*shape) + 0.5
    g = _gen(11)
    seed, offset = g.initial_seed(), g.get_offset()
    p = 0.4
    fn = F.alpha_dropout if alpha else F.dropout
    y = fn(x, p, True, generator=g, broadcast_dims=bdims).numpy()
    nd = len(shape)
    noise_shape = tuple(1 if (d in bdims or d - nd in bdims) else s for d, s in enumerate(shape))
    thr = min(round((1 - p) * 2**32), 2**32 - 1)
    keep = reference_keep(seed, offset, thr, math.prod(noise_shape)).reshape(noise_shape)
    keep = np.broadcast_to(keep, shape)
    if alpha:
        a = 1 / math.sqrt((SELU_SAT**2 * p + 1) * (1 - p))
        expected = np.where(keep, x.numpy() * a + a * SELU_SAT * p, -a * SELU_SAT * (1 - p))
        assert np.allclose(y, expected, rtol=1e-6, atol=1e-6)
    else:
        assert np.array_equal(y != 0, keep)


def test_broadcast_dims_equal_dropout_of_the_noise_shape_under_same_seed():
    x = ember.ones(6, 3, 4)
    y = F.dropout(x, 0.5, True, generator=_gen(5), broadcast_dims=(0,)).numpy()
    z = F.dropout(ember.ones(1, 3, 4), 0.5, True, generator=_gen(5)).numpy()
    assert np.array_equal(y, np.broadcast_to(z, y.shape))


def test_unbatched_equals_batched_under_same_seed():
    data = np.random.default_rng(0).random((4, 5, 6, 7), dtype=np.float32) + 0.5
    pairs = [("dropout1d", data[0, :, :, 0]), ("dropout3d", data), ("dropout", data)]
    for name, d in pairs:
        fn = getattr(F, name)
        y1 = fn(ember.tensor(d), 0.5, True, generator=_gen(9)).numpy()
        y2 = fn(ember.tensor(d[None]), 0.5, True, generator=_gen(9)).numpy()
        assert np.array_equal(y1, y2[0]), name


def test_non_contiguous_equals_contiguous_under_same_seed():
    base = ember.rand(40, 30) + 0.5
    t = base.t()
    assert not t.is_contiguous()
    for fn, kw in [(F.dropout, {}), (F.alpha_dropout, {}), (F.dropout, {"broadcast_dims": (1,)}),
                   (F.dropout, {"broadcast_dims": (0,)})]:
        y1 = fn(t, 0.3, True, generator=_gen(2), **kw).numpy()
        y2 = fn(t.contiguous(), 0.3, True, generator=_gen(2), **kw).numpy()
        assert np.array_equal(y1, y2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = (ember.rand(6, 7, 8, 9) + 0.5).permute(1, 0, 3, 2)
        y1 = F.dropout2d(v, 0.5, True, generator=_gen(8)).numpy()
        y2 = F.dropout2d(v.contiguous(), 0.5, True, generator=_gen(8)).numpy()
    assert np.array_equal(y1, y2)


def test_non_contiguous_in_place_writes_through_the_view():
    base = ember.rand(20, 30) + 0.5
    expected = F.dropout(base.t().contiguous(), 0.5, True, generator=_gen(6)).numpy()
    view = base.t()
    out = F.dropout(view, 0.5, True, True, generator=_gen(6))
    assert out is view
    assert np.array_equal(base.numpy().T, expected)


def test_float16_uses_the_same_decisions():
    x16 = ember.ones(1000, dtype=ember.float16)
    x32 = ember.ones(1000)
    y16 = F.dropout(x16, 0.3, True, generator=_gen(1)).numpy()
    y32 = F.dropout(x32, 0.3, True, generator=_gen(1)).numpy()
    assert y16.dtype == np.float16
    assert np.array_equal(y16 != 0, y32 != 0)

"""Random numbers: seeding, generators, state round trips, and statistical tests of every
sampler. Tolerances are 5 standard errors derived from the distribution, never guesses
(a correct sampler fails one such check with probability below 1e-6)."""

import math

import numpy as np
import pytest
import torch

import ember

Z = 5.0  # standard errors allowed


def sample_fns(M, g=None):
    """One call of every sampler, with an optional generator."""
    kw = {} if g is None else {"generator": g}
    return {
        "rand": lambda: M.rand(4, 3, **kw),
        "randn": lambda: M.randn(5, **kw),
        "randint": lambda: M.randint(-3, 7, (6,), **kw),
        "randint_high_only": lambda: M.randint(5, (2, 3), **kw),
        "randperm": lambda: M.randperm(9, **kw),
        "normal_scalars": lambda: M.normal(2.0, 3.0, size=(4,), **kw),
        "normal_tensors": lambda: M.normal(M.zeros(3), M.tensor([1.0, 2.0, 3.0]), **kw),
        "bernoulli": lambda: M.bernoulli(M.full((6,), 0.3), **kw),
        "uniform_": lambda: M.empty(5).uniform_(-2, 3, **kw),
        "normal_": lambda: M.empty(5).normal_(1.0, 0.5, **kw),
        "bernoulli_": lambda: M.empty(5).bernoulli_(0.7, **kw),
        "random_": lambda: M.empty(5).random_(0, 10, **kw),
        "random_int": lambda: M.empty(5, dtype=M.int64).random_(100, **kw),
    }


NAMES = list(sample_fns(ember))


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes_match_torch(name):
    t = sample_fns(torch)[name]()
    e = sample_fns(ember)[name]()
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_numbers_and_stream_advances(name):
    fn = sample_fns(ember)[name]
    ember.manual_seed(123)
    a, b = fn(), fn()
    ember.manual_seed(123)
    c, d = fn(), fn()
    assert ember.equal(a, c) and ember.equal(b, d)
    ember.manual_seed(124)
    e = fn()
    # a different seed or a later call gives different numbers (for all but tiny supports)
    if name not in ("bernoulli", "bernoulli_"):
        assert not ember.equal(a, e) and not ember.equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_generator_argument(name):
    g1 = ember.Generator().manual_seed(5)
    ember.manual_seed(99)
    state = ember.get_rng_state()
    a = sample_fns(ember, g1)[name]()
    assert ember.equal(ember.get_rng_state(), state)  # the default generator did not move
    g2 = ember.Generator().manual_seed(5)
    b = sample_fns(ember, g2)[name]()
    assert ember.equal(a, b)


def test_generators_are_independent_streams():
    n = 100_000
    g1 = ember.Generator().manual_seed(1)
    g2 = ember.Generator().manual_seed(2)
    a = ember.randn(n, generator=g1, dtype=ember.float64).numpy()
    ember.rand(10, generator=g2)  # using g2 does not disturb g1
    b = ember.randn(n, generator=g2, dtype=ember.float64).numpy()
    g1b = ember.Generator().manual_seed(1)
    assert np.array_equal(ember.randn(n, generator=g1b, dtype=ember.float64).numpy(), a)
    # correlation of independent standard normals: standard error 1/sqrt(n)
    assert abs(np.corrcoef(a, b)[0, 1]) < Z / math.sqrt(n)


def test_get_state_set_state_replays_the_stream():
    g = ember.Generator().manual_seed(2024)
    ember.rand(7, generator=g)
    state = g.get_state()
    offset = g.get_offset()
    first = ember.randn(10, generator=g)
    assert g.get_offset() > offset
    g.set_state(state)
    assert g.get_offset() == offset
    assert ember.equal(ember.randn(10, generator=g), first)
    # the default generator, through the module-level functions
    ember.manual_seed(3)
    s = ember.get_rng_state()
    x = ember.rand(5)
    ember.set_rng_state(s)
    assert ember.equal(ember.rand(5), x)
    with pytest.raises(RuntimeError):
        g.set_state(ember.zeros(3))


def test_seeds():
    assert ember.manual_seed(77) is ember.default_generator
    assert ember.initial_seed() == 77 == ember.default_generator.initial_seed()
    g = ember.Generator()
    assert g.manual_seed(11) is g and g.initial_seed() == 11 and g.get_offset() == 0
    ember.manual_seed(-1)  # negative seeds wrap to 64 bits, as in torch
    assert ember.initial_seed() == torch.manual_seed(-1).initial_seed()
    s = ember.seed()
    assert ember.initial_seed() == s


def test_fork_rng_restores_state():
    ember.manual_seed(8)
    expected = ember.rand(3)
    ember.manual_seed(8)
    with ember.fork_rng():
        ember.rand(100)
    assert ember.equal(ember.rand(3), expected)


# -- statistics -----------------------------------------------------------------------------

def check_mean_var(x: np.ndarray, mean: float, var: float, mu4: float) -> None:
    """Sample mean and variance within Z standard errors; ``mu4`` is the 4th central moment
    (the variance of the sample variance is (mu4 - var**2) / n)."""
    n = x.size
    assert abs(x.mean() - mean) < Z * math.sqrt(var / n), (x.mean(), mean)
    assert abs(x.var() - var) < Z * math.sqrt((mu4 - var ** 2) / n), (x.var(), var)


N = 200_000


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_moments_and_range(dtype):
    ember.manual_seed(0)
    u = ember.rand(N, dtype=getattr(ember, dtype)).numpy().astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    check_mean_var(u, 0.5, 1 / 12, 1 / 80)
    a, b = -2.0, 3.0
    v = ember.empty(N, dtype=getattr(ember, dtype)).uniform_(a, b).numpy().astype(np.float64)
    assert v.min() >= a and v.max() <= b
    w = b - a
    check_mean_var(v, (a + b) / 2, w ** 2 / 12, w ** 4 / 80)


def test_float64_uniform_has_more_than_24_bits():
    ember.manual_seed(1)
    u = ember.rand(10_000, dtype=ember.float64).numpy()
    on_float32_grid = np.mean((u * 2.0 ** 24) % 1 == 0)
    assert on_float32_grid < 0.01  # a 53-bit sample lands on the 2**-24 grid w.p. 2**-29


@pytest.mark.parametrize("how", ["randn", "normal_", "normal"])
def test_normal_moments_and_tails(how):
    mean, std = 1.5, 2.0
    ember.manual_seed(2)
    if how == "randn":
        x = ember.randn(N, dtype=ember.float64).numpy() * std + mean
    elif how == "normal_":
        x = ember.empty(N, dtype=ember.float64).normal_(mean, std).numpy()
    else:
        x = ember.normal(mean, std, size=(N,)).numpy().astype(np.float64)
    check_mean_var(x, mean, std ** 2, 3 * std ** 4)
    z = np.abs(x - mean) / std
    for k in (1.0, 2.0, 3.0):
        p = math.erfc(k / math.sqrt(2))  # P(|Z| > k)
        frac = np.mean(z > k)
        assert abs(frac - p) < Z * math.sqrt(p * (1 - p) / N), (k, frac, p)
    # symmetry: the fraction above the mean is 1/2
    assert abs(np.mean(x > mean) - 0.5) < Z * math.sqrt(0.25 / N)


CHUNK = 1 << 13  # pairs per chunk of ember.random.normal_array


def test_normal_chunks_run_serial_kernels():
    # normal_array's threads call the uniform kernels at once: only serial ones may run so
    from ember import random as R
    from ember.kernels.philox import PARALLEL_THRESHOLD

    assert R._NORMAL_CHUNK == CHUNK
    assert 2 * (R._NORMAL_CHUNK + 1) < PARALLEL_THRESHOLD


@pytest.mark.parametrize("n", [1, 2, 7, 2 * CHUNK - 1, 2 * CHUNK + 3, 8 * CHUNK + 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_is_box_muller_of_the_stream_whatever_the_chunks(n, dtype):
    # One-shot Box-Muller from the NumPy reference of the uniform stream; the sampler works
    # in chunks (the last size spans several, split over the kernel threads).
    from ember import random as R
    from ember.kernels.reference import reference_uniform

    mean, std = -0.25, 1.75
    g = ember.Generator().manual_seed(123)
    g.set_offset(5)  # an odd block offset: pair k's uniforms straddle blocks
    got = R.normal_array((n,), dtype, mean, std, generator=g)
    pairs = (n + 1) // 2
    assert g.get_offset() == 5 + pairs
    u = reference_uniform(123, 5, 2 * pairs, np.float64)
    r = np.sqrt(-2.0 * np.log(1.0 - u[:pairs]))
    theta = 2.0 * np.pi * u[pairs:]
    z = np.empty(2 * pairs)
    z[0::2] = r * np.cos(theta)
    z[1::2] = r * np.sin(theta)
    expected = (z[:n] * std + mean).astype(dtype)
    assert got.dtype == dtype and got.shape == (n,)
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_normal_with_tensor_mean_and_std():
    means = ember.tensor([-5.0, 0.0, 10.0], dtype=ember.float64)
    stds = ember.tensor([0.5, 1.0, 3.0], dtype=ember.float64)
    n = 20_000
    ember.manual_seed(3)
    x = ember.normal(means.expand(n, 3), stds.expand(n, 3)).numpy()
    for j in range(3):
        m, s = means[j].item(), stds[j].item()
        check_mean_var(x[:, j], m, s ** 2, 3 * s ** 4)


def chi_square_ok(counts: np.ndarray, expected: np.ndarray) -> bool:
    """Pearson's statistic against a threshold derived from its null distribution:
    approximately chi-square with k - 1 degrees of freedom (mean df, variance 2 df)."""
    stat = float(((counts - expected) ** 2 / expected).sum())
    df = counts.size - 1
    return stat < df + Z * math.sqrt(2 * df)


@pytest.mark.parametrize("low, high", [(0, 10), (-3, 4), (0, 2), (5, 105)])
def test_randint_range_and_uniformity(low, high):
    ember.manual_seed(4)
    x = ember.randint(low, high, (N,)).numpy()
    assert x.dtype == np.int64 and x.min() >= low and x.max() < high
    assert x.min() == low and x.max() == high - 1  # every value occurs at these sizes
    counts = np.bincount(x - low, minlength=high - low)
    assert chi_square_ok(counts, np.full(high - low, N / (high - low)))


def test_random_inplace_ranges():
    ember.manual_seed(5)
    x = ember.empty(N).random_(3, 9).numpy()
    assert x.min() == 3 and x.max() == 8 and np.all(x == np.round(x))
    assert chi_square_ok(np.bincount(x.astype(np.int64) - 3), np.full(6, N / 6))
    # no bounds: every integer the dtype holds exactly, [0, 2**digits] as in torch
    for dtype, digits in ((ember.float32, 24), (ember.float64, 53), (ember.float16, 11)):
        f = ember.empty(10_000, dtype=dtype).random_().numpy().astype(np.float64)
        assert f.min() >= 0 and f.max() <= 2 ** digits and np.all(f == np.round(f))
        assert f.max() > 2 ** (digits - 1)  # P(all 10**4 below half) = 2**-10000
    i8 = ember.empty(10_000, dtype=ember.int8).random_().numpy()
    assert i8.min() == 0 and i8.max() == 127
    b = ember.empty(1000, dtype=ember.bool).random_().numpy()
    assert b.dtype == np.bool_ and 0 < b.mean() < 1


@pytest.mark.parametrize("case", ["random", "high_bit_ties", "duplicates", "many_ties"])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 100, 5000])
def test_stable_argsort_of_keys_is_numpys(case, n):
    from ember.random import _stable_argsort_u64

    rng = np.random.default_rng(n)
    keys = rng.integers(0, 2**64, n, dtype=np.uint64)
    if case == "high_bit_ties":  # few distinct high parts: runs fixed up by whole key, index
        keys = (keys % np.uint64(6)) << np.uint64(61) | (keys % np.uint64(3))
    elif case == "duplicates":
        keys[: n // 2] = keys[n // 3] if n else keys[: n // 2]
    elif case == "many_ties":  # more tied neighbours than the fix-up takes: NumPy's argsort
        keys = keys % np.uint64(2)
    got = _stable_argsort_u64(keys)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.argsort(keys, kind="stable"))


def test_randperm_is_the_stable_argsort_of_the_key_stream():
    from ember.kernels.reference import reference_words

    n = 3000
    g = ember.Generator().manual_seed(9)
    got = ember.randperm(n, generator=g).numpy()
    w = reference_words(9, 0, 2 * n).astype(np.uint64)
    keys = (w[0::2] << np.uint64(32)) | w[1::2]
    np.testing.assert_array_equal(got, np.argsort(keys, kind="stable"))


def test_randperm_is_a_uniform_permutation():
    ember.manual_seed(6)
    for n in (0, 1, 2, 17, 1000):
        p = ember.randperm(n).numpy()
        assert p.dtype == np.int64 and np.array_equal(np.sort(p), np.arange(n))
    # where element 0 lands is uniform over the 5 positions
    trials = 5000
    firsts = np.array([int(np.argmax(ember.randperm(5).numpy() == 0)) for _ in range(trials)])
    assert chi_square_ok(np.bincount(firsts, minlength=5), np.full(5, trials / 5))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_bernoulli_frequency(p):
    ember.manual_seed(7)
    x = ember.bernoulli(ember.full((N,), p)).numpy()
    assert set(np.unique(x).tolist()) <= {0.0, 1.0}
    assert abs(x.mean() - p) < Z * math.sqrt(p * (1 - p) / N)
    y = ember.empty(N, dtype=ember.float64).bernoulli_(p).numpy()
    assert abs(y.mean() - p) < Z * math.sqrt(p * (1 - p) / N)


def test_bernoulli_with_per_element_probabilities():
    probs = np.array([0.0, 0.2, 0.5, 1.0])
    n = 50_000
    ember.manual_seed(8)
    x = ember.bernoulli(ember.tensor(probs).expand(n, 4)).numpy()
    for j, p in enumerate(probs):
        sd = math.sqrt(p * (1 - p) / n)
        assert abs(x[:, j].mean() - p) <= Z * sd  # exact for p in {0, 1}


def test_samplers_refuse_requires_grad_leaf_outside_no_grad():
    w = ember.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.uniform_()
    with ember.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf

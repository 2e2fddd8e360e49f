"""The NumPy path against the Numba kernels: same bits, same masks, same errors, every input."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

try:
    from ember.kernels import dropout as D
except ImportError:  # package not installed: import from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from ember.kernels import dropout as D
from ember.kernels import numpy_path as N
from ember.kernels import philox as P
from ember.kernels.reference import reference_words

SIZES = [0, 1, 7, 63, 64, 65, 4097, 70_000]
DTYPES = [np.float32, np.float64]
PS = [0.5, 0.1, 0.3]  # dyadic (ties dropped) and two that refine ties
SEED, OFFSET = 0x0123456789ABCDEF, 2**64 - 3  # the block index wraps within the call
UINT = {np.float32: np.uint32, np.float64: np.uint64}


def make_input(n, dtype, seed=0):
    """Normal values with NaN, +-inf, +-0 and the dtype's largest values (overflow when scaled)."""
    rng = np.random.default_rng(seed + n)
    x = rng.standard_normal(n).astype(dtype)
    big = np.finfo(dtype).max
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, -1.5, big, -big], dtype=dtype)
    x[: min(n, specials.size)] = specials[: min(n, specials.size)]
    if n > 100:
        x[rng.integers(0, n, 64)] = np.resize(specials, 64)
    return x


def assert_same_bits(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got.view(UINT[got.dtype.type]),
                                  expected.view(UINT[expected.dtype.type]))


def alpha_constants(p, dtype):
    alpha_p = -1.7580993408473766
    a = ((1 - p) * (1 + p * alpha_p**2)) ** -0.5
    b = -a * alpha_p * p
    return dtype(a), dtype(b), dtype(a * alpha_p + b)


def both(fn_name, *args):
    """Runs ``fn_name`` of the kernels and of the NumPy path on copies of the arguments.

    An array passed twice (``out`` is ``x``) is copied once, so in-place calls stay in place.
    Returns the two lists of (copied) arguments after the calls.
    """
    results = []
    for mod in (D, N):
        copies = {id(a): a.copy() for a in args if isinstance(a, np.ndarray)}
        call = [copies.get(id(a), a) for a in args]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # neither path may warn (inf * 0, overflow)
            getattr(mod, fn_name)(*call)
        results.append(call)
    return results


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_dropout_forward_and_backwards(n, dtype, p):
    thr = D.keep_threshold(p)
    scale = dtype(1) / dtype(1 - p)
    x = make_input(n, dtype)
    g = make_input(n, dtype, seed=1)
    mask = np.full(D.mask_nbytes(n), 0xFF, np.uint8)  # pad bits must be cleared
    kernel, numpy = both("dropout_forward", x, np.empty_like(x), SEED, OFFSET, thr, scale, mask)
    assert_same_bits(numpy[1], kernel[1])
    np.testing.assert_array_equal(numpy[-1], kernel[-1])
    out, mask = kernel[1], kernel[-1]
    for args in ((x, np.empty_like(x), SEED, OFFSET, thr, scale),  # no mask
                 (x, x, SEED, OFFSET, thr, scale)):  # in place
        kernel, numpy = both("dropout_forward", *args)
        assert_same_bits(kernel[1], out)
        assert_same_bits(numpy[1], out)
    for args in (("dropout_backward_from_mask", g, np.empty_like(g), mask, scale),
                 ("dropout_backward_from_mask", g, g, mask, scale),
                 ("dropout_backward_regenerate", g, np.empty_like(g), SEED, OFFSET, thr, scale),
                 ("dropout_backward_regenerate", g, g, SEED, OFFSET, thr, scale)):
        kernel, numpy = both(*args)
        assert_same_bits(numpy[1], kernel[1])


def test_non_dyadic_cases_contain_refined_ties():
    n = SIZES[-1]
    for p in PS[1:]:
        thr = D.keep_threshold(p)
        assert thr & 0xFFFFFF
        byts = reference_words(SEED, OFFSET, (n + 3) // 4).astype("<u4").view(np.uint8)[:n]
        tie = byts == thr >> 24
        keep = D.reference_keep(SEED, OFFSET, thr, n)
        assert keep[tie].any() and not keep[tie].all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_alpha_dropout(n, dtype):
    p = 0.3
    thr = D.keep_threshold(p)
    a, b_keep, b_drop = alpha_constants(p, dtype)
    x = make_input(n, dtype)
    g = make_input(n, dtype, seed=2)
    mask = np.zeros(D.mask_nbytes(n), np.uint8)
    for args in ((x, np.empty_like(x), SEED, OFFSET, thr, a, b_keep, b_drop, mask),
                 (x, x, SEED, OFFSET, thr, a, b_keep, b_drop)):
        kernel, numpy = both("alpha_dropout_forward", *args)
        assert_same_bits(numpy[1], kernel[1])
        if len(args) == 9:
            np.testing.assert_array_equal(numpy[-1], kernel[-1])
    bits = D.decisions_bits(SEED, OFFSET, thr, n)
    for args in (("alpha_dropout_backward_from_mask", g, np.empty_like(g), bits, a),
                 ("alpha_dropout_backward_regenerate", g, g, SEED, OFFSET, thr, a)):
        kernel, numpy = both(*args)
        assert_same_bits(numpy[1], kernel[1])


def test_alpha_rounds_the_product_and_the_sum_separately():
    x = np.array([1 + 2**-23] * 64, dtype=np.float32)
    a, b = np.float32(1 + 2**-23), np.float32(-1.0)
    out = np.empty_like(x)
    N.alpha_dropout_forward(x, out, 1, 0, 2**32 - 1, a, b, b)
    assert D.reference_keep(1, 0, 2**32 - 1, 64).all()
    assert out[0] == np.float32(2**-22)  # fma(x, a, b) would be 2**-22 + 2**-46


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("n", SIZES)
def test_decisions_bits(n, p):
    thr = D.keep_threshold(p)
    np.testing.assert_array_equal(N.decisions_bits(SEED, OFFSET, thr, n),
                                  D.decisions_bits(SEED, OFFSET, thr, n))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,inner", [(0, 5), (1, 1), (3, 7), (13, 64), (70_001, 1),
                                        (20_000, 5), (3_000, 31), (1_000, 33), (2, 50_000),
                                        (600, 300)])
def test_row_masks(rows, inner, dtype):
    p = 0.3
    bits = D.decisions_bits(SEED, OFFSET, D.keep_threshold(p), rows)
    x = make_input(rows * inner, dtype)
    scale = dtype(1) / dtype(1 - p)
    a, b_keep, b_drop = alpha_constants(p, dtype)
    for args in (("apply_row_mask", x, np.empty_like(x), bits, inner, scale),
                 ("apply_row_mask", x, x, bits, inner, scale),
                 ("apply_row_mask_alpha", x, np.empty_like(x), bits, inner, a, b_keep, b_drop),
                 ("apply_row_mask_alpha", x, x, bits, inner, a, b_keep, b_drop)):
        kernel, numpy = both(*args)
        assert_same_bits(numpy[1], kernel[1])


@pytest.mark.parametrize("n", SIZES)
def test_random_words_and_uniform(n):
    for seed, offset in ((SEED, OFFSET), (0, 0), (2**64 - 1, 12345)):
        np.testing.assert_array_equal(N.random_words(seed, offset, n),
                                      P.random_words(seed, offset, n))
        for dtype in DTYPES:
            got = N.uniform(seed, offset, n, dtype)
            assert_same_bits(got, P.uniform(seed, offset, n, dtype))
            assert got.flags.c_contiguous


def _error(fn):
    try:
        fn()
    except Exception as e:
        return type(e), str(e)
    return None


BAD_CALLS = [
    ("dropout_forward", lambda: (np.zeros(4, np.float16), np.zeros(4, np.float16), 0, 0, 2**31,
                                 2.0)),
    ("dropout_forward", lambda: (np.zeros(4, np.float32), np.zeros(4, np.float64), 0, 0, 2**31,
                                 2.0)),
    ("dropout_forward", lambda: (np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), 0,
                                 0, 2**31, 2.0)),
    ("dropout_forward", lambda: (np.zeros(10, np.float32), np.zeros(10, np.float32), 0, 0, 2**31,
                                 2.0, np.zeros(1, np.uint8))),
    ("dropout_forward", lambda: (np.zeros(4, np.float32), np.zeros(4, np.float32), -1, 0, 2**31,
                                 2.0)),
    ("dropout_forward", lambda: (np.zeros(4, np.float32), np.zeros(4, np.float32), 0, 2**64,
                                 2**31, 2.0)),
    ("dropout_forward", lambda: (np.zeros(4, np.float32), np.zeros(4, np.float32), 0, 0, 2**32,
                                 2.0)),
    ("dropout_backward_from_mask", lambda: (np.zeros(4, np.int32), np.zeros(4, np.int32),
                                            np.zeros(1, np.uint8), 2.0)),
    ("dropout_backward_from_mask", lambda: (np.zeros(9, np.float32), np.zeros(9, np.float32),
                                            np.zeros(1, np.uint8), 2.0)),
    ("dropout_backward_regenerate", lambda: (np.zeros(4, np.float64), np.zeros(4, np.float64),
                                             0, 0, -1, 2.0)),
    ("alpha_dropout_forward", lambda: (np.zeros(4, np.float32), np.zeros(5, np.float32), 0, 0,
                                       2**31, 1.0, 0.0, 0.0)),
    ("decisions_bits", lambda: (0, 0, 2**31, -1)),
    ("decisions_bits", lambda: (2**64, 0, 2**31, 3)),
    ("apply_row_mask", lambda: (np.zeros(10, np.float32), np.zeros(10, np.float32),
                                np.zeros(1, np.uint8), 3, 2.0)),
    ("apply_row_mask", lambda: (np.zeros(10, np.float32), np.zeros(10, np.float32),
                                np.zeros(1, np.uint8), 0, 2.0)),
    ("apply_row_mask_alpha", lambda: (np.zeros(10, np.float32), np.zeros(10, np.float32),
                                      np.zeros(2, np.uint8), 5, 1.0, 0.0, 0.0)),
    ("random_words", lambda: (0, 0, -1)),
    ("random_words", lambda: (0, -1, 4)),
    ("uniform", lambda: (0, 0, 4, np.float16)),
    ("uniform", lambda: (0, 0, -2, np.float64)),
]


@pytest.mark.parametrize("name,make_args", BAD_CALLS)
def test_same_errors(name, make_args):
    kernel_module = P if name in ("random_words", "uniform") else D
    expected = _error(lambda: getattr(kernel_module, name)(*make_args()))
    assert expected is not None
    assert _error(lambda: getattr(N, name)(*make_args())) == expected


def test_same_public_names_as_the_kernel_modules():
    kernel_names = (set(D.__all__) - {"PARALLEL_THRESHOLD"}) | {"random_words", "uniform"}
    assert set(N.__all__) == kernel_names
    for name in N.__all__:
        assert callable(getattr(N, name))

"""Philox4x32-10: known-answer vectors, Numba vs NumPy reference, uniform() statistics."""

import sys
from pathlib import Path

import numpy as np
import pytest

try:
    from ember.kernels import philox as P
except ImportError:  # package not installed: import from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from ember.kernels import philox as P

# Published known-answer vectors, Random123's kat_vectors file ("philox4x32 10" lines):
# counter (4 words), key (2 words), expected output (4 words).
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
    # Further philox4x32 10 vectors from the Random123 manual's generated kat_vectors
    # (girving/random123-manual, examples/kat_vectors).
    ((0x00000001, 0x00000000, 0x00000000, 0x00000000), (0x00000001, 0x00000000),
     (0xAC08141B, 0xDFC5CCBE, 0x79C07A47, 0xA7F66093)),
    ((0x00000000, 0xFFFFFFFF, 0x00000000, 0x00000000), (0x00000000, 0xFFFFFFFF),
     (0x5F9C47AA, 0x19861D86, 0xFF2BE81D, 0x4C7DB17E)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0x00000000, 0x80000000),
     (0x63675D2C, 0x422D7C4D, 0x3145D30D, 0x3BCE33A4)),
]


@pytest.mark.parametrize("impl", [P.philox4x32_10_reference, P.philox4x32_10])
def test_known_answer_vectors(impl):
    ctr = np.array([c for c, _, _ in KAT], dtype=np.uint32)
    for i, (_, key, expected) in enumerate(KAT):
        got = impl(ctr[i:i + 1], np.array(key, dtype=np.uint32))
        assert got.dtype == np.uint32
        assert [int(v) for v in got[0]] == list(expected), f"vector {i}"


def test_stream_word_layout_matches_counter_definition():
    # Word i is lane i % 4 of Philox(counter=(lo32(offset+i//4), hi32(offset+i//4), 0, 0)).
    seed, offset = 0x0123456789ABCDEF, (1 << 32) - 2
    words = P.reference_words(seed, offset, 14)
    blocks = [offset + j for j in range(4)]
    ctr = np.array([[b & 0xFFFFFFFF, b >> 32, 0, 0] for b in blocks], dtype=np.uint32)
    key = np.array([seed & 0xFFFFFFFF, seed >> 32], dtype=np.uint32)
    expected = P.philox4x32_10_reference(ctr, key).reshape(-1)[:14]
    np.testing.assert_array_equal(words, expected)
    assert int(ctr[2, 1]) == 1  # the carry into the high counter word was exercised


@pytest.mark.parametrize(
    "seed,offset,n",
    [
        (0, 0, 0), (0, 0, 1), (1, 0, 3), (2, 7, 4), (3, 11, 5), (2**64 - 1, 0, 33),
        (0xDEADBEEFCAFEF00D, 2**32 - 5, 1001), (42, 2**64 - 3, 50),  # counter wraps mod 2**64
        (0xFFFFFFFF, 2**33 + 1, 4099), (7, 2**32 - 100, 70_003),  # parallel path, carry
    ],
)
def test_random_words_matches_reference(seed, offset, n):
    a = P.reference_words(seed, offset, n)
    b = P.random_words(seed, offset, n)
    assert a.dtype == b.dtype == np.uint32 and a.shape == b.shape == (n,)
    np.testing.assert_array_equal(a, b)


def test_streams_are_prefix_consistent_and_offsets_shift_by_blocks():
    w = P.random_words(99, 10, 1000)
    np.testing.assert_array_equal(P.random_words(99, 10, 37), w[:37])
    np.testing.assert_array_equal(P.random_words(99, 12, 100), w[8:108])
    assert P.blocks_for(0) == 0 and P.blocks_for(1) == 1 and P.blocks_for(8) == 2
    assert P.blocks_for(9) == 3


def test_different_seeds_give_different_streams():
    assert not np.array_equal(P.random_words(1, 0, 64), P.random_words(2, 0, 64))
    assert not np.array_equal(P.random_words(1, 0, 64), P.random_words(1 << 32, 0, 64))


def test_invalid_seed_and_offset():
    with pytest.raises(ValueError):
        P.random_words(-1, 0, 4)
    with pytest.raises(ValueError):
        P.random_words(0, 2**64, 4)


def test_uniform_definition():
    seed, offset = 5, 3
    w = P.reference_words(seed, offset, 20)
    f32 = P.uniform(seed, offset, 20, np.float32)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32, (w >> 8).astype(np.float64) / 2**24)
    f64 = P.uniform(seed, offset, 10, np.float64)
    assert f64.dtype == np.float64
    exp = [((int(w[2 * i]) >> 5) * 2**26 + (int(w[2 * i + 1]) >> 6)) / 2**53 for i in range(10)]
    np.testing.assert_array_equal(f64, np.array(exp))
    with pytest.raises(TypeError):
        P.uniform(seed, offset, 4, np.int32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_statistics(dtype):
    n = 1_000_000
    u = P.uniform(2024, 17, n, dtype).astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    # U(0,1): mean 1/2, variance 1/12. sd(mean) = sqrt(1/12/n); the sample variance has
    # variance (mu4 - sigma^4)/n with mu4 = 1/80, sigma^4 = 1/144. Allow 5 standard deviations.
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt((1 / 80 - 1 / 144) / n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 5, 70_003])  # 70_003: the parallel kernels
def test_uniform_equals_its_reference_statement(n, dtype):
    from ember.kernels.reference import reference_uniform

    got = P.uniform(0xC0FFEE, 2**64 - 9, n, dtype)
    np.testing.assert_array_equal(got, reference_uniform(0xC0FFEE, 2**64 - 9, n, dtype))

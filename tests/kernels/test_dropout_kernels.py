"""Fused dropout kernels against straightforward NumPy references written here."""

import sys
from pathlib import Path

import numpy as np
import pytest

try:
    from ember.kernels import dropout as D
    from ember.kernels import philox as P
except ImportError:  # package not installed: import from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from ember.kernels import dropout as D
    from ember.kernels import philox as P

import numba

SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 1000, 4096, 4097,
         70_000, 1 << 20]
DTYPES = [np.float32, np.float64]
UINT = {np.float32: np.uint32, np.float64: np.uint64}


def make_input(n, dtype, seed=0):
    rng = np.random.default_rng(seed + n)
    x = rng.standard_normal(n).astype(dtype)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, -1.5], dtype=dtype)
    k = min(n, specials.size)
    x[:k] = specials[:k]
    if n > 100:
        idx = rng.integers(0, n, 64)
        x[idx] = np.resize(specials, 64)
    return x


def aligned_empty_like(x, align=64):
    raw = np.empty(x.nbytes + align, dtype=np.uint8)
    start = -raw.ctypes.data % align
    return raw[start:start + x.nbytes].view(x.dtype)


@pytest.fixture(params=["normal", "streaming"])
def new_out(request, monkeypatch):
    """Output allocator; 'streaming' makes every aligned output take the streaming-store path."""
    if request.param == "normal":
        return np.empty_like
    monkeypatch.setattr(D, "STREAM_BYTES", 0)

    def make(x):
        out = aligned_empty_like(x)
        assert x.size == 0 or D._streams(x, out)
        return out

    return make


def ref_keep(seed, offset, n, threshold):
    return D.reference_keep(seed, offset, threshold, n)


def ref_scaled(x, keep, scale):
    dt = x.dtype.type
    with np.errstate(invalid="ignore"):  # inf * 0 -> nan is the expected result
        return x * np.where(keep, dt(scale), dt(0)).astype(x.dtype)


def ref_alpha(x, keep, a, b_keep, b_drop):
    dt = x.dtype.type
    with np.errstate(invalid="ignore"):
        mul = x * np.where(keep, dt(a), dt(0)).astype(x.dtype)
        return mul + np.where(keep, dt(b_keep), dt(b_drop)).astype(x.dtype)


def assert_bits_equal(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    u = UINT[got.dtype.type]
    np.testing.assert_array_equal(got.view(u), expected.view(u))


def alpha_constants(p, dtype):
    alpha_p = -1.7580993408473766
    a = ((1 - p) * (1 + p * alpha_p**2)) ** -0.5
    b = -a * alpha_p * p
    return dtype(a), dtype(b), dtype(a * alpha_p + b)


def test_blocks_for_decisions():
    assert [D.blocks_for_decisions(n) for n in (0, 1, 15, 16, 17, 32, 33)] == [0, 1, 1, 1, 2, 2, 3]
    with pytest.raises(ValueError):
        D.blocks_for_decisions(-1)


def _w_stream(seed, offset, n):
    """The 32-bit W_i of the decision rule, computed directly from the Philox reference."""
    nb = (n + 15) // 16
    blocks = np.arange(nb, dtype=np.uint64) + np.uint64(offset)
    key = np.array([seed & 0xFFFFFFFF, seed >> 32], dtype=np.uint32)
    ctr = np.zeros((nb, 4), dtype=np.uint32)
    ctr[:, 0] = (blocks & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    ctr[:, 1] = (blocks >> np.uint64(32)).astype(np.uint32)
    main = P.philox4x32_10_reference(ctr, key).reshape(-1)  # words 0 .. 4*nb-1
    i = np.arange(n)
    byte = (main[i // 4] >> (8 * (i % 4)).astype(np.uint32)) & np.uint32(0xFF)
    rb = np.arange((n + 3) // 4, dtype=np.uint64) + np.uint64(offset)
    rctr = np.zeros((rb.size, 4), dtype=np.uint32)
    rctr[:, 0] = (rb & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    rctr[:, 1] = (rb >> np.uint64(32)).astype(np.uint32)
    rctr[:, 2] = 1
    refine = P.philox4x32_10_reference(rctr, key)[i // 4, i % 4]
    return (byte << np.uint32(24)) | (refine >> np.uint32(8)), byte


def test_reference_keep_is_w_below_threshold_with_ties_both_ways():
    seed, offset, n = 2**40 + 3, 2**64 - 5, 200_000  # block index wraps
    thr = D.keep_threshold(0.3)
    assert thr & 0xFFFFFF  # the refinement is needed
    w, byte = _w_stream(seed, offset, n)
    keep = D.reference_keep(seed, offset, thr, n)
    np.testing.assert_array_equal(keep, w < np.uint32(thr))
    tie = byte == thr >> 24
    assert 400 < tie.sum() < 1200  # about n / 256
    assert keep[tie].any() and not keep[tie].all()  # ties refined both ways
    np.testing.assert_array_equal(keep[~tie], byte[~tie] < thr >> 24)
    # the kernels agree, including on the tied elements
    bits = D.decisions_bits(seed, offset, thr, n)
    np.testing.assert_array_equal(D.unpack_bits(bits, n), keep)


def test_dyadic_threshold_drops_ties():
    seed, offset, n = 9, 0, 100_000
    for p in (0.5, 0.25, 0.75):
        thr = D.keep_threshold(p)
        assert thr & 0xFFFFFF == 0
        w, byte = _w_stream(seed, offset, n)
        keep = D.reference_keep(seed, offset, thr, n)
        np.testing.assert_array_equal(keep, byte < thr >> 24)
        np.testing.assert_array_equal(keep, w < np.uint32(thr))
        np.testing.assert_array_equal(
            D.unpack_bits(D.decisions_bits(seed, offset, thr, n), n), keep)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.9, 1e-9, 1 - 1e-9])
def test_reference_keep_fraction(p):
    n = 1_000_000
    thr = D.keep_threshold(p)
    q = thr / 2**32
    kept = int(D.reference_keep(123, 456, thr, n).sum())
    assert abs(kept - n * q) <= 5 * np.sqrt(n * q * (1 - q)) + 1


def test_keep_threshold():
    assert D.keep_threshold(0.5) == 2**31
    assert D.keep_threshold(0.25) == 3 * 2**30
    assert D.keep_threshold(1e-12) == 2**32 - 1
    for p in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            D.keep_threshold(p)


# 0.3: ties refined (T_lo != 0); 0.5: dyadic (T_lo == 0); 0.999: T_hi == 0, only refined ties
# are kept; 0.001: T_hi == 255.
@pytest.mark.parametrize("p", [0.3, 0.5, 0.999, 0.001])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_forward_and_backwards_bit_exact(n, dtype, p, new_out):
    seed, offset = 0xABCDEF0123456789, 2**32 - 7
    thr = D.keep_threshold(p)
    scale = dtype(1 / (1 - p))
    x = make_input(n, dtype)
    keep = ref_keep(seed, offset, n, thr)
    expected = ref_scaled(x, keep, scale)

    out = new_out(x)
    mask = np.full(D.mask_nbytes(n), 0xFF, dtype=np.uint8)  # pad bits must be cleared
    D.dropout_forward(x, out, seed, offset, thr, scale, mask)
    assert_bits_equal(out, expected)
    np.testing.assert_array_equal(mask, np.packbits(keep, bitorder="little"))
    np.testing.assert_array_equal(D.unpack_bits(mask, n), keep)

    out2 = new_out(x)
    D.dropout_forward(x, out2, seed, offset, thr, scale)  # without mask
    assert_bits_equal(out2, expected)

    g = make_input(n, dtype, seed=1)
    expected_g = ref_scaled(g, keep, scale)
    dx = new_out(g)
    D.dropout_backward_from_mask(g, dx, mask, scale)
    assert_bits_equal(dx, expected_g)
    dx2 = new_out(g)
    D.dropout_backward_regenerate(g, dx2, seed, offset, thr, scale)
    assert_bits_equal(dx2, expected_g)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 5, 33, 64, 1000, 70_000])
def test_alpha_bit_exact(n, dtype, new_out):
    seed, offset, p = 77, 123, 0.2
    thr = D.keep_threshold(p)
    a, b_keep, b_drop = alpha_constants(p, dtype)
    x = make_input(n, dtype)
    keep = ref_keep(seed, offset, n, thr)
    out = new_out(x)
    mask = np.zeros(D.mask_nbytes(n), dtype=np.uint8)
    D.alpha_dropout_forward(x, out, seed, offset, thr, a, b_keep, b_drop, mask)
    assert_bits_equal(out, ref_alpha(x, keep, a, b_keep, b_drop))
    np.testing.assert_array_equal(mask, np.packbits(keep, bitorder="little"))

    g = make_input(n, dtype, seed=2)
    dx = new_out(g)
    D.alpha_dropout_backward_from_mask(g, dx, mask, a)
    assert_bits_equal(dx, ref_scaled(g, keep, a))
    dx2 = new_out(g)
    D.alpha_dropout_backward_regenerate(g, dx2, seed, offset, thr, a)
    assert_bits_equal(dx2, ref_scaled(g, keep, a))


def test_alpha_has_no_fused_multiply_add():
    # x * a + b rounded twice differs from fma(x, a, b) for these float32 values.
    dtype = np.float32
    x = np.array([1 + 2**-23] * 64, dtype=dtype)
    a, b = dtype(1 + 2**-23), dtype(-1.0)
    out = np.empty_like(x)
    D.alpha_dropout_forward(x, out, 1, 0, 2**32 - 1, a, b, b)
    keep = ref_keep(1, 0, 64, 2**32 - 1)
    assert keep.all()
    assert_bits_equal(out, (x * a) + b)
    assert out[0] == dtype(2**-22)  # the FMA result would be 2**-22 + 2**-46


@pytest.mark.parametrize("p", [0.6, 0.999])
@pytest.mark.parametrize("n", [5, 1000, 70_000])
def test_in_place(n, p, monkeypatch):
    monkeypatch.setattr(D, "STREAM_BYTES", 0)  # in place never streams, whatever the size
    seed, offset = 3, 4
    thr = D.keep_threshold(p)
    scale = np.float32(1 / (1 - p))
    x = make_input(n, np.float32)
    keep = ref_keep(seed, offset, n, thr)
    expected = ref_scaled(x, keep, scale)
    mask = np.zeros(D.mask_nbytes(n), dtype=np.uint8)
    y = x.copy()
    D.dropout_forward(y, y, seed, offset, thr, scale, mask)
    assert_bits_equal(y, expected)
    g = x.copy()
    D.dropout_backward_from_mask(g, g, mask, scale)
    assert_bits_equal(g, expected)
    g = x.copy()
    D.dropout_backward_regenerate(g, g, seed, offset, thr, scale)
    assert_bits_equal(g, expected)
    a, b_keep, b_drop = alpha_constants(p, np.float32)
    y = x.copy()
    D.alpha_dropout_forward(y, y, seed, offset, thr, a, b_keep, b_drop)
    assert_bits_equal(y, ref_alpha(x, keep, a, b_keep, b_drop))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,inner", [(0, 5), (1, 1), (3, 7), (13, 64), (70_001, 1), (20_000, 5),
                                        (3_000, 31), (1_000, 33),
                                        (2, 100_000), (600, 300)])
def test_row_mask(rows, inner, dtype, new_out):
    seed, offset, p = 1234, 2**32 - 1, 0.5
    thr = D.keep_threshold(p)
    keep_rows = ref_keep(seed, offset, rows, thr)
    bits = D.decisions_bits(seed, offset, thr, rows)
    np.testing.assert_array_equal(bits, np.packbits(keep_rows, bitorder="little"))
    np.testing.assert_array_equal(D.unpack_bits(bits, rows), keep_rows)

    x = make_input(rows * inner, dtype)
    keep = np.repeat(keep_rows, inner)
    scale = dtype(2.0)
    out = new_out(x)
    D.apply_row_mask(x, out, bits, inner, scale)
    assert_bits_equal(out, ref_scaled(x, keep, scale))
    a, b_keep, b_drop = alpha_constants(p, dtype)
    D.apply_row_mask_alpha(x, out, bits, inner, a, b_keep, b_drop)
    assert_bits_equal(out, ref_alpha(x, keep, a, b_keep, b_drop))
    y = x.copy()
    D.apply_row_mask(y, y, bits, inner, scale)
    assert_bits_equal(y, ref_scaled(x, keep, scale))


def test_thread_count_invariance():
    n = (1 << 20) + 13
    seed, offset, thr = 555, 2**32 - 3, D.keep_threshold(0.4)
    scale = np.float32(1 / 0.6)
    x = make_input(n, np.float32)
    results = []
    old = numba.get_num_threads()
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            out = np.empty_like(x)
            mask = np.zeros(D.mask_nbytes(n), dtype=np.uint8)
            D.dropout_forward(x, out, seed, offset, thr, scale, mask)
            dx = np.empty_like(x)
            D.dropout_backward_from_mask(x, dx, mask, scale)
            dx2 = np.empty_like(x)
            D.dropout_backward_regenerate(x, dx2, seed, offset, thr, scale)
            bits = D.decisions_bits(seed, offset, thr, n)
            results.append((out, mask, dx, dx2, bits, P.random_words(seed, offset, n)))
    finally:
        numba.set_num_threads(old)
    for got in results[1:]:
        for a, b in zip(results[0], got, strict=True):
            np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
    np.testing.assert_array_equal(results[0][1], np.packbits(ref_keep(seed, offset, n, thr),
                                                             bitorder="little"))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_fraction_kept(p):
    n = 1_000_000
    bits = D.decisions_bits(2**63 + 5, 1000, D.keep_threshold(p), n)
    kept = int(np.unpackbits(bits).sum())
    q = 1 - p
    assert abs(kept - n * q) < 5 * np.sqrt(n * p * q)


def test_type_and_shape_errors():
    x = np.zeros(10, dtype=np.float16)
    with pytest.raises(TypeError, match="float32 and float64"):
        D.dropout_forward(x, x, 0, 0, 2**31, 2.0)
    xi = np.zeros(10, dtype=np.int32)
    with pytest.raises(TypeError, match="float32 and float64"):
        D.dropout_backward_from_mask(xi, xi, np.zeros(2, np.uint8), 2.0)
    x32 = np.zeros(10, dtype=np.float32)
    with pytest.raises(TypeError):
        D.dropout_forward(x32, np.zeros(10, np.float64), 0, 0, 2**31, 2.0)
    with pytest.raises(ValueError):
        D.dropout_forward(x32, x32, 0, 0, 2**31, 2.0, np.zeros(1, np.uint8))  # needs 2 bytes
    with pytest.raises(ValueError):
        D.dropout_forward(np.zeros((2, 5), np.float32), np.zeros((2, 5), np.float32), 0, 0,
                          2**31, 2.0)
    with pytest.raises(ValueError):
        D.apply_row_mask(x32, x32, np.zeros(1, np.uint8), 3, 2.0)


def test_streaming_stores_only_for_large_aligned_separate_outputs(monkeypatch):
    x = np.zeros(1 << 10, dtype=np.float32)
    aligned = aligned_empty_like(x)
    misaligned = aligned_empty_like(np.zeros(x.size + 1, dtype=np.float32))[1:]
    assert not D._streams(x, aligned)  # 4 KiB: below STREAM_BYTES
    monkeypatch.setattr(D, "STREAM_BYTES", 0)
    assert D._streams(x, aligned)
    assert not D._streams(x, misaligned)
    assert not D._streams(aligned, aligned)  # in place


def test_one_thread_runs_the_serial_kernels(monkeypatch):
    """Serial with one thread; with two, parallel from the threshold while a core is idle
    (the load is pinned here: the gate reads the machine's run queue)."""
    from ember.kernels import threads

    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert not P.runs_parallel(1 << 24)
        if numba.config.NUMBA_NUM_THREADS >= 2:
            numba.set_num_threads(2)
            monkeypatch.setattr(threads, "idle_cores", lambda: 1)
            assert P.runs_parallel(P.PARALLEL_THRESHOLD)
            assert not P.runs_parallel(P.PARALLEL_THRESHOLD - 1)
            monkeypatch.setattr(threads, "idle_cores", lambda: 0)
            assert not P.runs_parallel(1 << 24)
    finally:
        numba.set_num_threads(old)


@pytest.mark.parametrize("dtype", DTYPES)
def test_signed_zero_constants_are_not_confused(dtype):
    # The wrappers cache the rounded constants; 0.0 == -0.0, yet x * a + b keeps the sign of b
    # when x * a is -0.0, so a call with -0.0 after one with +0.0 must not reuse +0.0.
    x = np.full(256, -0.0, dtype=dtype)
    thr = D.keep_threshold(0.5)
    results = []
    for b in (0.0, -0.0, 0.0):
        out = np.empty_like(x)
        D.alpha_dropout_forward(x, out, 3, 0, thr, 1.0, b, b)
        results.append(np.signbit(out))
    assert not results[0].any()
    assert results[1].all()
    assert not results[2].any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_reference_statements_equal_the_formulas_written_here(dtype):
    # ember.kernels.reference states what the kernels compute; hold it to this file's formulas.
    from ember.kernels import reference as R

    seed, offset, n, p = 31, 2**64 - 2, 3000, 0.3
    thr = D.keep_threshold(p)
    x = make_input(n, dtype)
    keep = ref_keep(seed, offset, n, thr)
    scale = dtype(1 / (1 - p))
    a, b_keep, b_drop = alpha_constants(p, dtype)
    out, mask = R.reference_dropout_forward(x, seed, offset, thr, scale)
    assert_bits_equal(out, ref_scaled(x, keep, scale))
    np.testing.assert_array_equal(mask, np.packbits(keep, bitorder="little"))
    out, _ = R.reference_dropout_forward(x, seed, offset, thr, a, b_keep, b_drop)
    assert_bits_equal(out, ref_alpha(x, keep, a, b_keep, b_drop))
    np.testing.assert_array_equal(R.reference_decisions_bits(seed, offset, thr, n), mask)
    rows = R.reference_row_mask(x, np.packbits(keep[:600], bitorder="little"), 5, scale)
    assert_bits_equal(rows, ref_scaled(x, np.repeat(keep[:600], 5), scale))
    u = R.reference_uniform(seed, offset, 8, np.float32)
    np.testing.assert_array_equal(u, P.uniform(seed, offset, 8, np.float32))

"""The LLVM IR steps of ``dropout_steps`` and ``simd`` against their readable NumPy statements.

Each intrinsic is compiled inside a small Numba function for one combination of its literal
flags and compared bit for bit with the ``reference_*`` function written beside it.
"""

import numpy as np
import pytest
from numba import njit

from ember.kernels import dropout_steps as S
from ember.kernels import simd
from ember.kernels.reference import keep_threshold, reference_keep

SEED = 0xFEDCBA9876543210
K0, K1 = np.uint64(SEED & 0xFFFFFFFF), np.uint64(SEED >> 32)
OFFSET = 2**64 - 37  # the block index wraps inside the tested steps
UINT = {np.float32: np.uint32, np.float64: np.uint64}
STEPS = 24  # 3072 elements: about 12 ties, in different steps


def _dropout_step(alpha, stream, refine):
    @njit
    def run(x, out, i, k0, k1, offset, thi, tlo, a, b_keep, b_drop):
        return S.dropout_step(x, out, i, k0, k1, offset, thi, tlo, a, b_keep, b_drop, alpha,
                              stream, refine)

    return run


def _decide_step(refine):
    @njit
    def run(i, k0, k1, offset, thi, tlo):
        return S.decide_step(i, k0, k1, offset, thi, tlo, refine)

    return run


def _apply8(alpha, stream):
    @njit
    def run(x, out, i, bits, a, b_keep, b_drop):
        simd.apply8(x, out, i, bits, a, b_keep, b_drop, alpha, stream)
        simd.store_fence()

    return run


@njit
def _store_u64(ary, index, value):
    S.store_u64(ary, index, value)


def _aligned(n, dtype):
    raw = np.empty(n * np.dtype(dtype).itemsize + 64, np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + n * np.dtype(dtype).itemsize].view(dtype)


def _parts(p):
    thr = keep_threshold(p)
    return np.uint8(thr >> 24), np.uint64(thr & 0xFFFFFF)


def test_the_tested_range_has_ties_refined_both_ways():
    thr = keep_threshold(0.3)
    words = reference_keep(SEED, OFFSET, thr, STEPS * S.STEP)
    assert 0.6 < words.mean() < 0.8
    thi, tlo = _parts(0.3)
    byte_ties = 0
    for k in range(STEPS):  # some step has a tie (else the refining copy is never run)
        lo, hi = S.reference_decide_step(k * S.STEP, int(K0), int(K1), OFFSET, int(thi), 0)
        lo_r, hi_r = S.reference_decide_step(k * S.STEP, int(K0), int(K1), OFFSET, int(thi),
                                             int(tlo))
        byte_ties += (lo, hi) != (lo_r, hi_r)
    assert byte_ties >= 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha,stream,refine,p", [
    (False, False, True, 0.3), (False, True, True, 0.3), (True, False, True, 0.3),
    (True, True, True, 0.3), (False, False, False, 0.5)])
def test_dropout_step_equals_its_statement(alpha, stream, refine, p, dtype):
    if dtype == np.float64 and (alpha or stream):
        pytest.skip("one float64 variant per refine flag keeps the compile time down")
    thi, tlo = _parts(p)
    n = STEPS * S.STEP
    x = np.random.default_rng(1).standard_normal(n).astype(dtype)
    x[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, -1.5]
    t = np.dtype(dtype).type
    a, b_keep, b_drop = t(1.75), t(0.25), t(-0.5)
    out, expected = _aligned(n, dtype), np.full(n, 7, dtype)
    run = _dropout_step(alpha, stream, refine)
    for i in range(0, n, S.STEP):
        got = run(x, out, np.uint64(i), K0, K1, np.uint64(OFFSET), thi, tlo, a, b_keep, b_drop)
        want = S.reference_dropout_step(x, expected, i, int(K0), int(K1), OFFSET, int(thi),
                                        int(tlo), a, b_keep, b_drop, alpha)
        assert tuple(int(v) for v in got) == want, i
    np.testing.assert_array_equal(out.view(UINT[dtype]), expected.view(UINT[dtype]))


@pytest.mark.parametrize("refine,p", [(True, 0.3), (False, 0.25), (True, 0.999)])
def test_decide_step_equals_its_statement(refine, p):
    thi, tlo = _parts(p)
    run = _decide_step(refine)
    for i in range(0, STEPS * S.STEP, S.STEP):
        got = run(np.uint64(i), K0, K1, np.uint64(OFFSET), thi, tlo)
        want = S.reference_decide_step(i, int(K0), int(K1), OFFSET, int(thi), int(tlo))
        assert tuple(int(v) for v in got) == want, i


@pytest.mark.parametrize("alpha,stream", [(False, False), (False, True), (True, False),
                                          (True, True)])
def test_apply8_equals_its_statement(alpha, stream):
    x = np.random.default_rng(2).standard_normal(64).astype(np.float32)
    x[:4] = [np.nan, np.inf, -0.0, -2.0]
    a, b_keep, b_drop = np.float32(3.5), np.float32(-0.125), np.float32(0.75)
    out, expected = _aligned(64, np.float32), np.zeros(64, np.float32)
    run = _apply8(alpha, stream)
    for i, bits in zip(range(0, 64, 8), [0, 255, 1, 128, 0x5A, 0xA5, 0x0F, 0xF0], strict=True):
        run(x, out, np.uint64(i), np.uint64(bits | 0xFF00), a, b_keep, b_drop)  # high bits unused
        simd.reference_apply8(x, expected, i, bits, a, b_keep, b_drop, alpha)
    np.testing.assert_array_equal(out.view(np.uint32), expected.view(np.uint32))


def test_store_u64_equals_its_statement():
    got, expected = np.zeros(24, np.uint8), np.zeros(24, np.uint8)
    for index, value in ((0, 0x0123456789ABCDEF), (9, 2**64 - 2), (16, 1)):
        _store_u64(got, np.uint64(index), np.uint64(value))
        S.reference_store_u64(expected, index, value)
    np.testing.assert_array_equal(got, expected)


def test_step_flags_must_be_literals():
    from numba.core.errors import TypingError

    @njit
    def run(i, k0, k1, offset, thi, tlo, refine):
        return S.decide_step(i, k0, k1, offset, thi, tlo, refine)

    with pytest.raises(TypingError, match="literal booleans"):
        run(np.uint64(0), K0, K1, np.uint64(0), np.uint8(1), np.uint64(0), True)

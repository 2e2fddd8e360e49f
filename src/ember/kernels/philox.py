"""Philox4x32-10 counter-based random numbers (Salmon et al., SC'11; Random123).

The stream contract used by every Ember kernel:

* A stream is keyed by a 64-bit ``seed``: key = (seed & 0xffffffff, seed >> 32).
* ``offset`` is a 64-bit block counter. Word ``i`` (i = 0, 1, 2, ...) of the stream is lane
  ``i % 4`` of the Philox4x32-10 output for the counter
  ``(lo32(offset + i // 4), hi32(offset + i // 4), 0, 0)`` (the block index wraps modulo 2**64).
* A call that consumes ``n`` words uses ``blocks_for(n) = ceil(n / 4)`` blocks; the caller (a
  Generator) advances its offset by that amount so that the next call starts on a fresh block.

Every word is a pure function of (seed, offset, i), so results do not depend on thread count,
chunking or call order. The NumPy reference of the stream (``philox4x32_10_reference``,
``reference_words``) lives in ``ember.kernels.reference`` and is re-exported here.

The Numba kernels keep the Philox state in 64-bit lanes whose upper halves may hold garbage:
the 32x32->64 multiply (``vpmuludq``) reads only the low halves, so no masking is needed between
rounds and LLVM vectorizes four blocks per AVX2 register without shuffles (about 2.7x faster than
truncating every step to uint32 on this machine). Outputs are truncated to uint32 at the end.
The dropout kernels run the same rounds from LLVM IR (``ember.kernels.dropout_steps``), tested
bit for bit against the same reference.
"""

from __future__ import annotations

import numpy as np

from .jit import njit, prange
from .reference import (
    _MASK32,
    PHILOX_M0,
    PHILOX_M1,
    PHILOX_W0,
    PHILOX_W1,
    blocks_for,
    philox4x32_10_reference,
    reference_words,
    split_seed,
    uniform_words_per_value,
)
from .threads import runs_parallel as runs_parallel_when_idle

__all__ = [
    "PARALLEL_THRESHOLD",
    "PHILOX_M0",
    "PHILOX_M1",
    "PHILOX_W0",
    "PHILOX_W1",
    "blocks_for",
    "philox4x32_10",
    "philox4x32_10_reference",
    "random_words",
    "reference_words",
    "runs_parallel",
    "split_seed",
    "uniform",
]

#: Element count from which kernels use the parallel (prange) version.
PARALLEL_THRESHOLD = 1 << 15


def runs_parallel(n: int) -> bool:
    """Whether a kernel over ``n`` elements takes its parallel (prange) version.

    From ``PARALLEL_THRESHOLD`` elements on, with more than one thread (with one the serial
    kernels measured 1-7% faster than the prange ones: dropout forward and backward, 16M-64M
    float32) and while a core is idle (``threads.runs_parallel``).
    """
    return runs_parallel_when_idle(n, PARALLEL_THRESHOLD)

# Typed constants: Numba would turn uint64-with-int64 arithmetic into float64.
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U3 = np.uint64(3)
_U4 = np.uint64(4)
_U32 = np.uint64(32)
_L32 = np.uint64(_MASK32)
_M0 = np.uint64(PHILOX_M0)
_M1 = np.uint64(PHILOX_M1)
_W0 = np.uint64(PHILOX_W0)
_W1 = np.uint64(PHILOX_W1)

#: Blocks generated per inner tile of the Numba kernels (4 words each).
TILE_BLOCKS = 256
_TB = np.uint64(TILE_BLOCKS)


# ------------------------------------------------------------------------------------------------
# Numba kernels
# ------------------------------------------------------------------------------------------------


@njit(inline="always")
def _round(c0, c1, c2, c3, k0, k1):
    # All values uint64; only the low 32 bits are meaningful (see module docstring).
    p0 = (c0 & _L32) * _M0
    p1 = (c2 & _L32) * _M1
    return (p1 >> _U32) ^ c1 ^ k0, p1, (p0 >> _U32) ^ c3 ^ k1, p0


@njit(inline="always")
def philox10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on uint64 lanes; the low 32 bits of each result are the output words."""
    for _ in range(9):
        c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
        k0 = (k0 + _W0) & _L32
        k1 = (k1 + _W1) & _L32
    return _round(c0, c1, c2, c3, k0, k1)


@njit(cache=True)
def _philox_rows(ctr, k0, k1, out):
    for i in range(np.uint64(ctr.shape[0])):
        r0, r1, r2, r3 = philox10(
            np.uint64(ctr[i, 0]), np.uint64(ctr[i, 1]), np.uint64(ctr[i, 2]),
            np.uint64(ctr[i, 3]), k0, k1,
        )
        out[i, 0] = np.uint32(r0 & _L32)
        out[i, 1] = np.uint32(r1 & _L32)
        out[i, 2] = np.uint32(r2 & _L32)
        out[i, 3] = np.uint32(r3 & _L32)


def philox4x32_10(counter: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Philox4x32-10 through the Numba kernel (same contract as the reference).

    Args:
        counter: ``(n, 4)`` uint32 counters.
        key: ``(2,)`` uint32 key.

    Returns:
        ``(n, 4)`` uint32 outputs.
    """
    ctr = np.ascontiguousarray(counter, dtype=np.uint32)
    if ctr.ndim != 2 or ctr.shape[1] != 4:
        raise ValueError(f"counter must have shape (n, 4), got {ctr.shape}")
    key = np.asarray(key)
    if key.shape != (2,):
        raise ValueError(f"key must have shape (2,), got {key.shape}")
    out = np.empty_like(ctr)
    _philox_rows(ctr, np.uint64(int(key[0]) & _MASK32), np.uint64(int(key[1]) & _MASK32), out)
    return out


@njit(inline="always")
def gen_tile(words, planar, block0, nblocks, k0, k1):
    """Write stream words of blocks ``block0 .. block0+nblocks-1`` into ``words[:4*nblocks]``.

    Generates into the planar scratch ``planar`` (4, TILE_BLOCKS) first: planar stores let LLVM
    vectorize the rounds across blocks; the transpose afterwards is cheap and keeps the
    element loops that follow contiguous.
    """
    for b in range(nblocks):
        ctr = block0 + b
        r0, r1, r2, r3 = philox10(ctr & _L32, ctr >> _U32, _U0, _U0, k0, k1)
        planar[0, b] = np.uint32(r0 & _L32)
        planar[1, b] = np.uint32(r1 & _L32)
        planar[2, b] = np.uint32(r2 & _L32)
        planar[3, b] = np.uint32(r3 & _L32)
    for b in range(nblocks):
        j = b * _U4
        words[j] = planar[0, b]
        words[j + _U1] = planar[1, b]
        words[j + _U2] = planar[2, b]
        words[j + _U3] = planar[3, b]


@njit(inline="always")
def _words_range(out, start, stop, k0, k1, offset, words, planar):
    # start is a multiple of 4: element i of out is stream word i.
    i = start
    tile = _TB * _U4
    while i < stop:
        m = min(tile, stop - i)
        nb = (m + _U3) >> _U2
        gen_tile(words, planar, offset + (i >> _U2), nb, k0, k1)
        for k in range(m):
            out[i + k] = words[k]
        i += m


@njit(cache=True)
def _words_serial(out, k0, k1, offset):
    words = np.empty(TILE_BLOCKS * 4, np.uint32)
    planar = np.empty((4, TILE_BLOCKS), np.uint32)
    _words_range(out, _U0, np.uint64(out.size), k0, k1, offset, words, planar)


_CHUNK = np.uint64(1 << 14)


@njit(cache=True, parallel=True)
def _words_parallel(out, k0, k1, offset):
    n = np.uint64(out.size)
    nchunks = (n + _CHUNK - _U1) // _CHUNK
    for c in prange(nchunks):
        words = np.empty(TILE_BLOCKS * 4, np.uint32)
        planar = np.empty((4, TILE_BLOCKS), np.uint32)
        s = np.uint64(c) * _CHUNK
        _words_range(out, s, min(s + _CHUNK, n), k0, k1, offset, words, planar)


def random_words(seed: int, offset: int, n: int) -> np.ndarray:
    """Words ``0..n-1`` of the (seed, offset) stream (Numba; bit-identical to ``reference_words``).

    Parallel above ``PARALLEL_THRESHOLD`` words, serial below; the result does not depend on the
    thread count.

    Args:
        seed: 64-bit stream key.
        offset: 64-bit index of the first block.
        n: number of 32-bit words (consumes ``blocks_for(n)`` blocks).

    Returns:
        ``(n,)`` uint32 array.
    """
    k0, k1, off = split_seed(seed, offset)
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    out = np.empty(int(n), dtype=np.uint32)
    if runs_parallel(n):
        _words_parallel(out, k0, k1, off)
    elif n:
        _words_serial(out, k0, k1, off)
    return out


_F32_SCALE = np.float32(2.0**-24)
_F64_HI = np.float64(2.0**26)
_F64_SCALE = np.float64(2.0**-53)
_U5 = np.uint32(5)
_U6 = np.uint32(6)
_U8_32 = np.uint32(8)


@njit(inline="always")
def _f32_range(w, out, start, stop):
    for i in range(start, stop):
        out[i] = np.float32(w[i] >> _U8_32) * _F32_SCALE


@njit(inline="always")
def _f64_range(w, out, start, stop):
    # Every step is exact: 27 + 26 = 53 bits fit a double, and the final scaling is by 2**-53.
    for i in range(start, stop):
        hi = np.float64(w[_U2 * i] >> _U5)
        lo = np.float64(w[_U2 * i + _U1] >> _U6)
        out[i] = (hi * _F64_HI + lo) * _F64_SCALE


@njit(cache=True)
def _to_float_serial(w, out, words_per_value):
    if words_per_value == 1:
        _f32_range(w, out, _U0, np.uint64(out.size))
    else:
        _f64_range(w, out, _U0, np.uint64(out.size))


@njit(cache=True, parallel=True)
def _to_float_parallel(w, out, words_per_value):
    n = np.uint64(out.size)
    for c in prange((n + _CHUNK - _U1) // _CHUNK):
        s = np.uint64(c) * _CHUNK
        if words_per_value == 1:
            _f32_range(w, out, s, min(s + _CHUNK, n))
        else:
            _f64_range(w, out, s, min(s + _CHUNK, n))


def uniform(seed: int, offset: int, n: int, dtype=np.float32) -> np.ndarray:
    """``n`` uniform floats in [0, 1) from the (seed, offset) stream.

    float32 uses one word per value, ``(w >> 8) * 2**-24`` (24 random bits): ``n`` words,
    ``blocks_for(n)`` blocks. float64 uses two consecutive words per value,
    ``((w0 >> 5) * 2**26 + (w1 >> 6)) * 2**-53`` (53 random bits): ``2n`` words,
    ``blocks_for(2 * n)`` blocks.

    Args:
        seed: 64-bit stream key.
        offset: 64-bit index of the first block.
        n: number of values.
        dtype: ``np.float32`` or ``np.float64``.

    Returns:
        ``(n,)`` array of ``dtype``.
    """
    words_per_value = uniform_words_per_value(dtype)
    w = random_words(seed, offset, words_per_value * int(n))
    out = np.empty(int(n), dtype=dtype)
    if runs_parallel(n):
        _to_float_parallel(w, out, words_per_value)
    elif n:
        _to_float_serial(w, out, words_per_value)
    return out

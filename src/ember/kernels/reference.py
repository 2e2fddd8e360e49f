"""The readable statement of every Ember kernel, in plain NumPy: what the fast paths compute.

Stream geometry, Philox4x32-10, the keep decisions, and for each compiled kernel of
``ember.kernels.philox``, ``ember.kernels.dropout``, ``ember.kernels.dropout_steps`` and
``ember.kernels.simd`` a ``reference_*`` function computing the same result in vectorized
NumPy. The tests hold every fast path to these bit for bit (``tests/kernels``). Nothing here
imports Numba; the contracts are documented in ``ember.kernels.philox`` (the word stream) and
``ember.kernels.dropout`` (the keep decisions, masks and arithmetic).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "PHILOX_M0",
    "PHILOX_M1",
    "PHILOX_W0",
    "PHILOX_W1",
    "blocks_for",
    "blocks_for_decisions",
    "keep_threshold",
    "mask_nbytes",
    "philox4x32_10_reference",
    "reference_apply",
    "reference_decisions_bits",
    "reference_dropout_forward",
    "reference_keep",
    "reference_row_mask",
    "reference_uniform",
    "reference_words",
    "split_seed",
    "uniform_words_per_value",
    "unpack_bits",
]

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85

_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1
_U32 = np.uint64(32)
_L32 = np.uint64(_MASK32)


# ------------------------------------------------------------------------------------------------
# Stream geometry
# ------------------------------------------------------------------------------------------------


def blocks_for(n: int) -> int:
    """Number of Philox blocks (counter increments) consumed by ``n`` words: ``ceil(n / 4)``."""
    if n < 0:
        raise ValueError(f"word count must be non-negative, got {n}")
    return (int(n) + 3) // 4


def blocks_for_decisions(n: int) -> int:
    """Blocks of the main stream consumed by ``n`` decisions (one byte each): ``ceil(n / 16)``.

    The tie refinements use the same block indices with counter word ``c2 = 1``, a disjoint
    counter space, so reserving ``blocks_for_decisions(n)`` blocks reserves both.
    """
    if n < 0:
        raise ValueError(f"decision count must be non-negative, got {n}")
    return (int(n) + 15) // 16


def split_seed(seed: int, offset: int) -> tuple[np.uint64, np.uint64, np.uint64]:
    """Validate a 64-bit ``seed`` and ``offset``; return (key0, key1, offset) as ``np.uint64``."""
    k0, k1 = _key_words(int(seed))
    offset = int(offset)
    if not 0 <= offset <= _MASK64:
        raise ValueError(f"offset must be in [0, 2**64), got {offset}")
    return k0, k1, np.uint64(offset)


@functools.lru_cache(maxsize=64)
def _key_words(seed: int) -> tuple[np.uint64, np.uint64]:
    # Cached: a generator keeps its seed for many calls, and a NumPy scalar costs ~0.6 us.
    if not 0 <= seed <= _MASK64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed}")
    return np.uint64(seed & _MASK32), np.uint64(seed >> 32)


def mask_nbytes(n: int) -> int:
    """Bytes of a bit-packed mask for ``n`` elements: ``ceil(n / 8)``."""
    return (int(n) + 7) // 8


def uniform_words_per_value(dtype) -> int:
    """Stream words per uniform value: 1 for float32 (24 bits), 2 for float64 (53 bits).

    Raises:
        TypeError: for any other dtype.
    """
    dt = np.dtype(dtype)
    if dt != np.float32 and dt != np.float64:
        raise TypeError(f"uniform: expected dtype float32 or float64, got {dt}")
    return 1 if dt == np.float32 else 2


# ------------------------------------------------------------------------------------------------
# Philox4x32-10
# ------------------------------------------------------------------------------------------------


def philox4x32_10_reference(counter: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Philox4x32-10 in vectorized NumPy (the reference implementation).

    Args:
        counter: ``(n, 4)`` uint32 counters.
        key: ``(2,)`` uint32 key.

    Returns:
        ``(n, 4)`` uint32 outputs, one Philox block per counter row.
    """
    ctr = np.asarray(counter)
    if ctr.ndim != 2 or ctr.shape[1] != 4:
        raise ValueError(f"counter must have shape (n, 4), got {ctr.shape}")
    key = np.asarray(key)
    if key.shape != (2,):
        raise ValueError(f"key must have shape (2,), got {key.shape}")
    c = [ctr[:, j].astype(np.uint64) for j in range(4)]
    k0 = np.uint64(int(key[0]) & _MASK32)
    k1 = np.uint64(int(key[1]) & _MASK32)
    m0 = np.uint64(PHILOX_M0)
    m1 = np.uint64(PHILOX_M1)
    for r in range(10):
        if r:
            k0 = np.uint64((int(k0) + PHILOX_W0) & _MASK32)
            k1 = np.uint64((int(k1) + PHILOX_W1) & _MASK32)
        p0 = c[0] * m0  # exact: 32 x 32 -> 64 bits
        p1 = c[2] * m1
        c = [
            (p1 >> _U32) ^ c[1] ^ k0,
            p1 & _L32,
            (p0 >> _U32) ^ c[3] ^ k1,
            p0 & _L32,
        ]
    return np.stack(c, axis=1).astype(np.uint32)


def _counters(blocks: np.ndarray, c2: int) -> np.ndarray:
    """``(n, 4)`` uint32 counters ``(lo32(block), hi32(block), c2, 0)`` for uint64 ``blocks``."""
    ctr = np.zeros((blocks.size, 4), dtype=np.uint32)
    ctr[:, 0] = (blocks & _L32).astype(np.uint32)
    ctr[:, 1] = (blocks >> _U32).astype(np.uint32)
    ctr[:, 2] = c2
    return ctr


def reference_words(seed: int, offset: int, n: int) -> np.ndarray:
    """Words ``0..n-1`` of the (seed, offset) stream, computed with the NumPy reference.

    Args:
        seed: 64-bit stream key.
        offset: 64-bit index of the first block.
        n: number of 32-bit words.

    Returns:
        ``(n,)`` uint32 array.
    """
    k0, k1, off = split_seed(seed, offset)
    blocks = np.arange(blocks_for(n), dtype=np.uint64) + off  # wraps modulo 2**64
    key = np.array([k0, k1], dtype=np.uint32)
    return philox4x32_10_reference(_counters(blocks, 0), key).reshape(-1)[:n].copy()


# ------------------------------------------------------------------------------------------------
# Keep decisions and masks
# ------------------------------------------------------------------------------------------------


def keep_threshold(p: float) -> int:
    """uint32 threshold for drop probability ``p``: ``min(round((1 - p) * 2**32), 2**32 - 1)``.

    An element is kept iff its 32-bit ``W_i`` (see ``ember.kernels.dropout``) is
    ``< threshold``, so the keep probability is exactly ``threshold / 2**32`` (within 2**-33 of
    ``1 - p``). ``p == 0`` and ``p == 1`` are never passed to the kernels: callers short-circuit
    them.

    Args:
        p: drop probability, ``0 < p < 1``.

    Returns:
        The threshold as a Python int in ``[0, 2**32 - 1]``.
    """
    p = float(p)
    if not 0.0 < p < 1.0:
        raise ValueError(f"keep_threshold expects 0 < p < 1 (callers handle 0 and 1), got {p}")
    return min(round((1.0 - p) * 2.0**32), 2**32 - 1)


def _check_threshold(threshold: int) -> np.uint32:
    threshold = int(threshold)
    if not 0 <= threshold < 2**32:
        raise ValueError(f"threshold must be in [0, 2**32), got {threshold}")
    return np.uint32(threshold)


def reference_keep(seed: int, offset: int, threshold: int, n: int) -> np.ndarray:
    """Keep decisions ``0..n-1`` of the (seed, offset) stream in pure NumPy (the reference).

    Element ``i`` is kept iff ``W_i < threshold`` with ``W_i = byte_i << 24 | r_i``: ``byte_i``
    is byte ``i`` (little-endian) of the word stream, ``r_i`` the top 24 bits of lane ``i % 4``
    of Philox for the counter ``(lo32(offset + i // 4), hi32(offset + i // 4), 1, 0)``. Only
    ties ``byte_i == threshold >> 24`` need ``r_i``.

    Args:
        seed: 64-bit stream key.
        offset: 64-bit index of the first block.
        threshold: uint32 threshold (``keep_threshold(p)``).
        n: number of decisions.

    Returns:
        ``(n,)`` bool array.
    """
    thr = int(_check_threshold(threshold))
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    thi, tlo = thr >> 24, thr & 0xFFFFFF
    words = reference_words(seed, offset, (n + 3) // 4).astype("<u4")
    byts = words.view(np.uint8)[:n]
    keep = byts < thi
    if tlo:
        tie = np.flatnonzero(byts == thi).astype(np.uint64)
        if tie.size:
            k0, k1, off = split_seed(seed, offset)
            blocks = tie // np.uint64(4) + off  # wraps modulo 2**64
            ref = philox4x32_10_reference(_counters(blocks, 1),
                                          np.array([k0, k1], dtype=np.uint32))
            r = ref[np.arange(tie.size), (tie % np.uint64(4)).astype(np.intp)] >> np.uint32(8)
            keep[tie.astype(np.intp)] = r < tlo
    return keep


def unpack_bits(mask_bits: np.ndarray, n: int) -> np.ndarray:
    """Decode a bit-packed mask into a bool array of ``n`` keep decisions."""
    return np.unpackbits(mask_bits, count=int(n), bitorder="little").view(np.bool_)


# ------------------------------------------------------------------------------------------------
# The kernels' results
# ------------------------------------------------------------------------------------------------


def reference_uniform(seed: int, offset: int, n: int, dtype=np.float32) -> np.ndarray:
    """``philox.uniform``: ``n`` floats in [0, 1) from the (seed, offset) word stream.

    float32: ``(w >> 8) * 2**-24`` from one word; float64: ``((w0 >> 5) * 2**26 + (w1 >> 6))
    * 2**-53`` from two consecutive words (every step exact).
    """
    if uniform_words_per_value(dtype) == 1:
        w = reference_words(seed, offset, n)
        return (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    w = reference_words(seed, offset, 2 * n)
    hi = (w[0::2] >> np.uint32(5)).astype(np.float64)
    lo = (w[1::2] >> np.uint32(6)).astype(np.float64)
    return (hi * 2.0**26 + lo) * 2.0**-53


def reference_apply(x: np.ndarray, keep: np.ndarray, a, b_keep=None, b_drop=None) -> np.ndarray:
    """The dropout kernels' arithmetic: ``x * (a if keep else 0)``, then, for alpha dropout,
    ``+ (b_keep if keep else b_drop)``: one IEEE multiply and one separately rounded add in
    ``x``'s dtype (no FMA), so dropped NaN/inf give NaN and dropped negatives -0.0.

    ``keep`` broadcasts against ``x``; ``a``, ``b_keep`` and ``b_drop`` are rounded to the dtype.
    """
    t = x.dtype.type
    with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 -> NaN, as the kernels
        out = x * np.where(keep, t(a), t(0))
        if b_keep is not None:
            out = out + np.where(keep, t(b_keep), t(b_drop))
    return out


def reference_dropout_forward(x: np.ndarray, seed: int, offset: int, threshold: int, a,
                              b_keep=None, b_drop=None) -> tuple[np.ndarray, np.ndarray]:
    """``dropout.dropout_forward`` (``b_keep`` None) and ``dropout.alpha_dropout_forward``.

    Also what ``dropout_backward_regenerate`` computes on a gradient (with ``a`` the scale).

    Returns:
        ``(out, mask_bits)``: the result and the packed decisions.
    """
    keep = reference_keep(seed, offset, threshold, x.size)
    return reference_apply(x, keep, a, b_keep, b_drop), np.packbits(keep, bitorder="little")


def reference_decisions_bits(seed: int, offset: int, threshold: int, n: int) -> np.ndarray:
    """``dropout.decisions_bits``: the packed keep decisions, ``ceil(n / 8)`` bytes."""
    return np.packbits(reference_keep(seed, offset, threshold, n), bitorder="little")


def reference_row_mask(x: np.ndarray, mask_bits: np.ndarray, inner: int, a, b_keep=None,
                       b_drop=None) -> np.ndarray:
    """``dropout.apply_row_mask`` (``b_keep`` None) and ``apply_row_mask_alpha``: decision
    ``r`` (bit ``r`` of ``mask_bits``) applies to elements ``r * inner .. (r + 1) * inner - 1``.

    With ``inner == 1`` this is also ``dropout_backward_from_mask``.
    """
    rows = x.size // inner if inner else 0
    keep = unpack_bits(mask_bits, rows)[:, None]
    return reference_apply(x.reshape(rows, inner), keep, a, b_keep, b_drop).reshape(x.shape)

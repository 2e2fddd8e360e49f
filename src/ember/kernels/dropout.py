"""Fused dropout kernels (Numba) on C-contiguous 1-D NumPy arrays.

Semantics follow PyTorch: ``out = x * noise`` with ``noise = scale`` for kept elements and ``0``
for dropped ones, one multiplication in the array's dtype (NaN/inf inputs give NaN when dropped,
negative inputs give -0.0).

Decisions (one byte of the stream per element, 16 per Philox block). Let ``T = threshold``,
``T_hi = T >> 24`` and ``T_lo = T & 0xFFFFFF``. Element ``i`` (flat C-order index) is kept iff
``byte_i < T_hi`` or (``byte_i == T_hi`` and ``r_i < T_lo``), where ``byte_i`` is byte ``i``
(little-endian) of the ``(seed, offset)`` word stream (see ``ember.kernels.philox``), i.e.
``(word[i // 4] >> 8 * (i % 4)) & 0xFF``, and ``r_i`` is the top 24 bits of lane ``i % 4`` of
Philox for the counter ``(lo32(offset + i // 4), hi32(offset + i // 4), 1, 0)``: the same
block index in the disjoint counter space ``c2 = 1``. That is exactly ``W_i < T`` for the
uniform 32-bit ``W_i = byte_i << 24 | r_i``, so the keep probability is exactly ``T / 2**32``
(see ``keep_threshold``). Ties have probability 1/256; for dyadic ``p`` (``T_lo == 0``) they
are dropped and the refinement is never computed. A call over ``n`` elements consumes
``blocks_for_decisions(n) = ceil(n / 16)`` blocks of the main stream. ``reference_keep`` is the
pure-NumPy definition; every kernel (forward, regenerating backward, alpha variants,
``decisions_bits``) uses the same rule, so regenerated decisions equal stored bits.

Bit-packed masks: bit ``i`` is the keep decision of element ``i``, stored as ``ceil(n / 8)`` uint8
bytes equal to ``np.packbits(keep, bitorder="little")``; pad bits are 0.

Alpha dropout: ``out = x * (a if kept else 0) + (b_keep if kept else b_drop)``, a multiply then a
separately rounded add (no FMA), as torch computes it; its backward is ``grad * (a or 0)``, i.e.
the plain backward with ``scale = a``. Plain and alpha forwards share the tile driver and differ
only in their innermost loop: the plain path cannot be written as alpha with ``b = 0`` because
``-0.0 + 0.0`` is ``+0.0``.

Work is split into chunks of 2**14 elements (a multiple of 64, so no two threads write the same
mask byte) run with ``prange`` from ``PARALLEL_THRESHOLD`` (2**15) elements on, serially below: a
parallel launch costs about 2-3 us here and two chunks already pay for it (measured on 2 cores).
Each chunk walks tiles of 4096 elements: Philox words for the tile (256 blocks, rounds
amortized over 16 elements); only when ``T_lo != 0``, a tie scan (a vector compare of 32 bytes
with ``T_hi`` into a bit mask, walked lowest bit first) and the refinement of all ties with
independent Philox calls, after which each kept tie's byte is lowered to ``T_hi - 1``; then one
loop of eight-element steps (``ember.kernels.simd``) that compare bytes with ``T_hi``, scale,
write ``out`` and return the eight decisions as one mask byte. (Only when ``T_hi == 0``,
p > 255/256, are kept ties written after that loop instead, from inputs read before it since
``out`` may be ``x``.) Lowering the bytes keeps the tie path out of memory: reading a tie's input
before the loop streams it in is a cache miss, and writing it after a streaming store is
another; at p = 0.1 those misses cost 0.2-0.3 ns/element.
Outputs of ``STREAM_BYTES`` or more that are 32-byte aligned (``ember.memory`` allocates them
so) are written with streaming stores. Tiles of 1024 elements measured the same or slightly
slower (16M, p = 0.1 and 0.5, 1 and 2 threads).
"""

from __future__ import annotations

import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from .jit import njit, prange
from .philox import PARALLEL_THRESHOLD, TILE_BLOCKS, gen_tile, philox10
from .reference import (
    _check_mask,
    _check_pair,
    _check_rows,
    _check_threshold,
    blocks_for,
    blocks_for_decisions,
    keep_threshold,
    mask_nbytes,
    reference_keep,
    split_seed,
    unpack_bits,
)
from .simd import (
    apply8_alpha_store,
    apply8_alpha_stream,
    apply8_store,
    apply8_stream,
    equal32,
    keep8_alpha_store,
    keep8_alpha_stream,
    keep8_bits,
    keep8_store,
    keep8_stream,
    store_fence,
)

__all__ = [
    "keep_threshold",
    "mask_nbytes",
    "unpack_bits",
    "dropout_forward",
    "dropout_backward_from_mask",
    "dropout_backward_regenerate",
    "alpha_dropout_forward",
    "alpha_dropout_backward_from_mask",
    "alpha_dropout_backward_regenerate",
    "decisions_bits",
    "apply_row_mask",
    "apply_row_mask_alpha",
    "blocks_for",
    "blocks_for_decisions",
    "reference_keep",
    "PARALLEL_THRESHOLD",
]

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U3 = np.uint64(3)
_U7 = np.uint64(7)
_U8 = np.uint64(8)
_U64 = np.uint64(64)
_U4 = np.uint64(4)
_U15 = np.uint64(15)
_U32 = np.uint64(32)
_L32 = np.uint64(0xFFFFFFFF)
_U5 = np.uint64(5)
_U31 = np.uint64(31)
_U255 = np.uint64(255)
#: Elements per tile: one byte per element, 16 per Philox block.
TILE_ELEMS = TILE_BLOCKS * 16
_TILE = np.uint64(TILE_ELEMS)
_CHUNK = np.uint64(1 << 14)
_SHORT_ROW = np.uint64(32)
_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)

_MODE_PLAIN = 0
_MODE_ALPHA = 1
_MODE_MASK_ONLY = 2


# ------------------------------------------------------------------------------------------------
# Kernels
# ------------------------------------------------------------------------------------------------


@njit(inline="always")
def _find_kept_ties(x, i, m, byts, k0, k1, offset, thi, tlo, tie_k, tie_w, tie_x, with_x,
                    tie_r):
    # Rare path (a tie has probability 1/256 per element), before the main loop writes out
    # (out may be x). 1) Ties: bytes equal to T_hi, found 32 at a time by a vector compare
    # into a bit mask (bytes past m are stale and skipped). 2) Refinement words of all ties
    # (independent Philox calls, lane i % 4 of the block of element i, counter c2 = 1).
    # 3) Keep the ties with W_i < T and their input values. The main loop drops every tie.
    nt = 0
    for g in range((m + _U31) >> _U5):
        z = equal32(byts, g << _U5, thi)
        while z:
            k = (g << _U5) + np.uint64(trailing_zeros(z))
            if k < m:
                tie_k[nt] = k
                nt += 1
            z &= z - _U1
    nt = np.uint64(nt)
    for t in range(nt):  # vectorized across ties (planar stores, as gen_tile across blocks)
        blk = offset + ((i + tie_k[t]) >> _U2)
        r0, r1, r2, r3 = philox10(blk & _L32, blk >> _U32, _U1, _U0, k0, k1)
        tie_r[0, t] = np.uint32(r0 & _L32)
        tie_r[1, t] = np.uint32(r1 & _L32)
        tie_r[2, t] = np.uint32(r2 & _L32)
        tie_r[3, t] = np.uint32(r3 & _L32)
    for t in range(nt):
        tie_w[t] = np.uint64(tie_r[(i + tie_k[t]) & _U3, t] >> np.uint32(8))
    nk = 0
    for t in range(nt):
        if tie_w[t] < tlo:
            k = tie_k[t]
            tie_k[nk] = k
            if with_x:
                tie_x[nk] = x[i + k]
            nk += 1
    return nk


@njit(inline="always")
def _apply_kept_ties(out, mask, i, nt, tie_k, tie_x, a, b_keep, mode, write_mask):
    for t in range(nt):
        e = i + tie_k[t]
        if mode == _MODE_PLAIN:
            out[e] = tie_x[t] * a
        elif mode == _MODE_ALPHA:
            out[e] = tie_x[t] * a + b_keep
        if write_mask:
            mask[e >> _U3] |= np.uint8(1) << np.uint8(e & _U7)


@njit(inline="always")
def _tile_tail(x, out, i, full, m, byts, thi, a, b_keep, b_drop, zero, mode):
    # Elements full .. m-1 of a tile (fewer than 8, at the end of the array), one at a time.
    bits = _U0
    for k in range(full, m):
        keep = byts[k] < thi
        if mode == _MODE_PLAIN:
            out[i + k] = x[i + k] * (a if keep else zero)
        elif mode == _MODE_ALPHA:
            out[i + k] = x[i + k] * (a if keep else zero) + (b_keep if keep else b_drop)
        if keep:
            bits |= _U1 << (k - full)
    return bits


@njit(inline="always")
def _forward_range(x, out, mask, start, stop, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero,
                   mode, write_mask, stream, words, planar, tie_k, tie_w, tie_x, tie_r):
    # start is a multiple of 64, so tiles line up with whole mask bytes of the global mask.
    # Element i uses byte i of the word stream (16 per block); it is kept iff byte < T_hi, or
    # byte == T_hi and the 24-bit refinement < T_lo (the fix-up, only when T_lo != 0). Eight
    # elements per step: their decisions come back as one mask byte (see ember.kernels.simd).
    # A kept tie has its byte lowered to T_hi - 1 so that the main loop keeps it; only with
    # T_hi == 0 (p > 255/256) is it patched after the main loop, from its input read before.
    byts = words.view(np.uint8)
    lower_ties = thi != 0
    with_x = mode != _MODE_MASK_ONLY and not lower_ties
    i = start
    while i < stop:
        m = min(_TILE, stop - i)
        gen_tile(words, planar, offset + (i >> _U4), (m + _U15) >> _U4, k0, k1)
        nt = 0
        if tlo != 0:
            nt = _find_kept_ties(x, i, m, byts, k0, k1, offset, thi, tlo, tie_k, tie_w, tie_x,
                                 with_x, tie_r)
            if lower_ties:
                for t in range(nt):
                    byts[tie_k[t]] = thi - np.uint8(1)
                nt = 0
        full = m & ~_U7
        mb = i >> _U3
        if mode == _MODE_PLAIN:
            if stream:
                for q in range(full >> _U3):
                    bits = keep8_stream(x, out, i + (q << _U3), byts, q << _U3, thi, a)
                    if write_mask:
                        mask[mb + q] = np.uint8(bits)
            else:
                for q in range(full >> _U3):
                    bits = keep8_store(x, out, i + (q << _U3), byts, q << _U3, thi, a)
                    if write_mask:
                        mask[mb + q] = np.uint8(bits)
        elif mode == _MODE_ALPHA:
            if stream:
                for q in range(full >> _U3):
                    bits = keep8_alpha_stream(x, out, i + (q << _U3), byts, q << _U3, thi, a,
                                              b_keep, b_drop)
                    if write_mask:
                        mask[mb + q] = np.uint8(bits)
            else:
                for q in range(full >> _U3):
                    bits = keep8_alpha_store(x, out, i + (q << _U3), byts, q << _U3, thi, a,
                                             b_keep, b_drop)
                    if write_mask:
                        mask[mb + q] = np.uint8(bits)
        else:
            for q in range(full >> _U3):
                mask[mb + q] = np.uint8(keep8_bits(byts, q << _U3, thi))
        if full < m:
            bits = _tile_tail(x, out, i, full, m, byts, thi, a, b_keep, b_drop, zero, mode)
            if write_mask:
                mask[mb + (full >> _U3)] = np.uint8(bits)
        if nt:
            _apply_kept_ties(out, mask, i, nt, tie_k, tie_x, a, b_keep, mode, write_mask)
        i += m
    if stream:
        store_fence()


@njit(cache=True)
def _forward_serial(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero, mode,
                    write_mask, stream, n):
    words = np.empty(TILE_BLOCKS * 4, np.uint32)
    planar = np.empty((4, TILE_BLOCKS), np.uint32)
    tie_k = np.empty(TILE_ELEMS, np.uint64)
    tie_w = np.empty(TILE_ELEMS, np.uint64)
    tie_x = np.empty(TILE_ELEMS, x.dtype)
    tie_r = np.empty((4, TILE_ELEMS), np.uint32)
    _forward_range(x, out, mask, _U0, np.uint64(n), k0, k1, offset, thi, tlo, a, b_keep, b_drop,
                   zero, mode, write_mask, stream, words, planar, tie_k, tie_w, tie_x, tie_r)


@njit(cache=True, parallel=True)
def _forward_parallel(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero, mode,
                      write_mask, stream, n):
    n = np.uint64(n)
    nchunks = (n + _CHUNK - _U1) // _CHUNK
    for c in prange(nchunks):
        words = np.empty(TILE_BLOCKS * 4, np.uint32)
        planar = np.empty((4, TILE_BLOCKS), np.uint32)
        tie_k = np.empty(TILE_ELEMS, np.uint64)
        tie_w = np.empty(TILE_ELEMS, np.uint64)
        tie_x = np.empty(TILE_ELEMS, x.dtype)
        tie_r = np.empty((4, TILE_ELEMS), np.uint32)
        s = np.uint64(c) * _CHUNK
        _forward_range(x, out, mask, s, min(s + _CHUNK, n), k0, k1, offset, thi, tlo, a, b_keep,
                       b_drop, zero, mode, write_mask, stream, words, planar, tie_k, tie_w,
                       tie_x, tie_r)


@njit(inline="always")
def _apply_byte(g, out, i, bits, a, b_keep, b_drop, alpha, stream):
    # Elements i .. i+7 with decisions in bits 0 .. 7.
    if alpha:
        if stream:
            apply8_alpha_stream(g, out, i, bits, a, b_keep, b_drop)
        else:
            apply8_alpha_store(g, out, i, bits, a, b_keep, b_drop)
    elif stream:
        apply8_stream(g, out, i, bits, a)
    else:
        apply8_store(g, out, i, bits, a)


@njit(inline="always")
def _apply_bits(g, out, i, e, bits, a, b_keep, b_drop, zero, alpha, stream):
    # Elements i .. i+e-1 (e <= 64) with decisions in bits 0 .. e-1: whole bytes by vector
    # steps, the rest (at the end of the array) one at a time.
    full = e & ~_U7
    for q in range(full >> _U3):
        _apply_byte(g, out, i + (q << _U3), (bits >> (q << _U3)) & _U255, a, b_keep, b_drop,
                    alpha, stream)
    for k in range(full, e):
        keep = (bits >> k) & _U1
        if alpha:
            out[i + k] = g[i + k] * (a if keep else zero) + (b_keep if keep else b_drop)
        else:
            out[i + k] = g[i + k] * (a if keep else zero)


@njit(inline="always")
def _from_mask_range(g, out, mask, start, stop, a, b_keep, b_drop, zero, alpha, stream):
    # start is a multiple of 64; one mask byte per step of 8 elements.
    full = start + ((stop - start) & ~_U7)
    for q in range(start >> _U3, full >> _U3):
        _apply_byte(g, out, q << _U3, np.uint64(mask[q]), a, b_keep, b_drop, alpha, stream)
    if full < stop:
        _apply_bits(g, out, full, stop - full, np.uint64(mask[full >> _U3]), a, b_keep, b_drop,
                    zero, alpha, False)
    if stream:
        store_fence()


@njit(cache=True)
def _from_mask_serial(g, out, mask, a, b_keep, b_drop, zero, alpha, stream):
    _from_mask_range(g, out, mask, _U0, np.uint64(g.size), a, b_keep, b_drop, zero, alpha,
                     stream)


@njit(cache=True, parallel=True)
def _from_mask_parallel(g, out, mask, a, b_keep, b_drop, zero, alpha, stream):
    n = np.uint64(g.size)
    nchunks = (n + _CHUNK - _U1) // _CHUNK
    for c in prange(nchunks):
        s = np.uint64(c) * _CHUNK
        _from_mask_range(g, out, mask, s, min(s + _CHUNK, n), a, b_keep, b_drop, zero, alpha,
                         stream)


@njit(inline="always")
def _row_span(x, out, mask, r, lo, hi, a, b_keep, b_drop, zero, alpha):
    keep = (mask[r >> _U3] >> np.uint8(r & _U7)) & np.uint8(1)
    s = a if keep else zero
    if alpha:
        b = b_keep if keep else b_drop
        for k in range(lo, hi):
            out[k] = x[k] * s + b
    else:
        for k in range(lo, hi):
            out[k] = x[k] * s


@njit(inline="always")
def _short_rows_range(x, out, mask, start, stop, inner, a, b_keep, b_drop, zero, alpha):
    # Rows shorter than _SHORT_ROW: a vectorized loop per row would cost more in set-up than
    # the row itself. Instead build the element decisions of each 64-element group from the
    # few rows overlapping it (one run of ones per kept row), then apply them vectorized.
    # start is a multiple of 64.
    i = start
    while i < stop:
        e = min(_U64, stop - i)
        r = i // inner
        first = r * inner
        bits = _U0
        while first < i + e:
            keep = np.uint64((mask[r >> _U3] >> np.uint8(r & _U7)) & np.uint8(1))
            lo = max(first, i) - i
            width = min(first + inner, i + e) - i - lo
            # Branch-free: the decisions are random, a branch would mispredict half the time.
            bits |= ((_ONES >> (_U64 - width)) << lo) & (_U0 - keep)
            r += _U1
            first += inner
        _apply_bits(x, out, i, e, bits, a, b_keep, b_drop, zero, alpha, False)
        i += e


@njit(cache=True)
def _rows_serial(x, out, mask, rows, inner, a, b_keep, b_drop, zero, alpha):
    rows = np.uint64(rows)
    inner = np.uint64(inner)
    if inner < _SHORT_ROW:
        _short_rows_range(x, out, mask, _U0, rows * inner, inner, a, b_keep, b_drop, zero, alpha)
    else:
        for r in range(rows):
            _row_span(x, out, mask, r, r * inner, (r + _U1) * inner, a, b_keep, b_drop, zero,
                      alpha)


@njit(cache=True, parallel=True)
def _rows_parallel(x, out, mask, rows, inner, a, b_keep, b_drop, zero, alpha):
    rows = np.uint64(rows)
    inner = np.uint64(inner)
    if inner >= _CHUNK:
        # Long rows: split each into chunk-sized pieces (few tasks, so the divisions are cheap).
        pieces = (inner + _CHUNK - _U1) // _CHUNK
        for t in prange(rows * pieces):
            r = np.uint64(t) // pieces
            lo = r * inner + (np.uint64(t) % pieces) * _CHUNK
            _row_span(x, out, mask, r, lo, min(lo + _CHUNK, (r + _U1) * inner), a, b_keep,
                      b_drop, zero, alpha)
    elif inner < _SHORT_ROW:
        n = rows * inner
        for c in prange((n + _CHUNK - _U1) // _CHUNK):
            s = np.uint64(c) * _CHUNK
            _short_rows_range(x, out, mask, s, min(s + _CHUNK, n), inner, a, b_keep, b_drop,
                              zero, alpha)
    else:
        # Each step takes a run of whole rows, about one chunk of elements.
        per = _CHUNK // inner
        for c in prange((rows + per - _U1) // per):
            r0 = np.uint64(c) * per
            for r in range(r0, min(r0 + per, rows)):
                _row_span(x, out, mask, r, r * inner, (r + _U1) * inner, a, b_keep, b_drop,
                          zero, alpha)


# ------------------------------------------------------------------------------------------------
# Python wrappers (validation and dispatch)
# ------------------------------------------------------------------------------------------------


_EMPTY_MASK = np.zeros(1, dtype=np.uint8)

#: Outputs of at least this many bytes are written with streaming stores (see
#: ``ember.kernels.simd``) when they are 32-byte aligned and not the input itself. It is the
#: size of this machine's last-level cache (32 MiB): a larger output cannot stay cached for the
#: next op anyway, while a smaller one is better left in the cache (streaming stores measured
#: 1.2-1.4x slower than normal ones on a 4 MiB output, 1.1-1.3x faster at 64-256 MiB).
STREAM_BYTES = 1 << 25


def _streams(src: np.ndarray, out: np.ndarray) -> bool:
    if out.nbytes < STREAM_BYTES:  # first: reading an address through .ctypes costs about 5 us
        return False
    address = out.ctypes.data
    return address % 32 == 0 and address != src.ctypes.data


def _forward(x, out, seed, offset, threshold, a, b_keep, b_drop, mode, mask_bits, n):
    k0, k1, off = split_seed(seed, offset)
    thr = _check_threshold(threshold)
    if mask_bits is not None:
        _check_mask(mask_bits, n)
    if n == 0:
        return
    write = mask_bits is not None
    mask = mask_bits if write else _EMPTY_MASK
    t = x.dtype.type
    thi = np.uint8(int(thr) >> 24)
    tlo = np.uint64(int(thr) & 0xFFFFFF)
    kernel = _forward_parallel if n >= PARALLEL_THRESHOLD else _forward_serial
    kernel(x, out, mask, k0, k1, off, thi, tlo, t(a), t(b_keep), t(b_drop), t(0), mode, write,
           _streams(x, out), n)


def dropout_forward(x: np.ndarray, out: np.ndarray, seed: int, offset: int, threshold: int,
                    scale: float, mask_bits: np.ndarray | None = None) -> None:
    """Fused dropout forward: ``out = x * (scale if kept else 0)`` in one pass.

    Args:
        x: C-contiguous 1-D float32/float64 input.
        out: output of the same shape and dtype; may be ``x`` itself (in place), must not
            partially overlap it.
        seed: 64-bit stream key.
        offset: 64-bit first block of the stream; the call consumes
            ``blocks_for_decisions(x.size)`` blocks.
        threshold: ``keep_threshold(p)``; element ``i`` is kept iff ``W_i < threshold`` (see
            the module docstring and ``reference_keep``).
        scale: ``1 / (1 - p)`` already rounded to the dtype.
        mask_bits: optional uint8 array of ``ceil(n / 8)`` bytes receiving the packed decisions.

    Raises:
        TypeError: for dtypes other than float32 and float64.
    """
    _check_pair(x, out)
    _forward(x, out, seed, offset, threshold, scale, 0, 0, _MODE_PLAIN, mask_bits, x.size)


def dropout_backward_from_mask(grad: np.ndarray, out: np.ndarray, mask_bits: np.ndarray,
                               scale: float) -> None:
    """Dropout backward from a packed mask: ``out = grad * (scale if bit else 0)``.

    Args:
        grad: C-contiguous 1-D float32/float64 upstream gradient.
        out: output of the same shape and dtype; may be ``grad``.
        mask_bits: the packed mask written by the forward.
        scale: the forward's scale (``a`` for alpha dropout), rounded to the dtype.
    """
    _check_pair(grad, out, "grad")
    n = grad.size
    _check_mask(mask_bits, n)
    if n == 0:
        return
    t = grad.dtype.type
    kernel = _from_mask_parallel if n >= PARALLEL_THRESHOLD else _from_mask_serial
    kernel(grad, out, mask_bits, t(scale), t(0), t(0), t(0), False, _streams(grad, out))


def dropout_backward_regenerate(grad: np.ndarray, out: np.ndarray, seed: int, offset: int,
                                threshold: int, scale: float) -> None:
    """Dropout backward regenerating the decisions from (seed, offset); nothing was stored.

    Args:
        grad: C-contiguous 1-D float32/float64 upstream gradient.
        out: output of the same shape and dtype; may be ``grad``.
        seed: the forward's seed.
        offset: the forward's offset.
        threshold: the forward's threshold.
        scale: the forward's scale (``a`` for alpha dropout), rounded to the dtype.
    """
    _check_pair(grad, out, "grad")
    _forward(grad, out, seed, offset, threshold, scale, 0, 0, _MODE_PLAIN, None, grad.size)


def alpha_dropout_forward(x: np.ndarray, out: np.ndarray, seed: int, offset: int, threshold: int,
                          a: float, b_keep: float, b_drop: float,
                          mask_bits: np.ndarray | None = None) -> None:
    """Fused alpha dropout: ``out = x * (a if kept else 0) + (b_keep if kept else b_drop)``.

    The multiply and the add are rounded separately (no FMA), matching torch bit for bit.

    Args:
        x: C-contiguous 1-D float32/float64 input.
        out: output of the same shape and dtype; may be ``x``.
        seed: 64-bit stream key.
        offset: 64-bit first block; the call consumes ``blocks_for_decisions(x.size)`` blocks.
        threshold: ``keep_threshold(p)``.
        a: multiplier, rounded to the dtype.
        b_keep: additive term of kept elements (torch: ``b``), rounded to the dtype.
        b_drop: additive term of dropped elements (torch: ``a * alpha' + b``), rounded.
        mask_bits: optional packed-mask output of ``ceil(n / 8)`` bytes.
    """
    _check_pair(x, out)
    _forward(x, out, seed, offset, threshold, a, b_keep, b_drop, _MODE_ALPHA, mask_bits, x.size)


def alpha_dropout_backward_from_mask(grad: np.ndarray, out: np.ndarray, mask_bits: np.ndarray,
                                     a: float) -> None:
    """Alpha dropout backward from a packed mask: ``out = grad * (a if kept else 0)``."""
    dropout_backward_from_mask(grad, out, mask_bits, a)


def alpha_dropout_backward_regenerate(grad: np.ndarray, out: np.ndarray, seed: int, offset: int,
                                      threshold: int, a: float) -> None:
    """Alpha dropout backward regenerating the decisions: ``out = grad * (a if kept else 0)``."""
    dropout_backward_regenerate(grad, out, seed, offset, threshold, a)


def decisions_bits(seed: int, offset: int, threshold: int, n_decisions: int) -> np.ndarray:
    """Packed keep decisions ``W_i < threshold`` for ``i < n_decisions`` (channel dropout).

    Args:
        seed: 64-bit stream key.
        offset: 64-bit first block; consumes ``blocks_for_decisions(n_decisions)`` blocks.
        threshold: ``keep_threshold(p)``.
        n_decisions: number of decisions (e.g. ``N * C``).

    Returns:
        uint8 array of ``ceil(n_decisions / 8)`` bytes (``np.packbits(keep, bitorder='little')``).
    """
    n = int(n_decisions)
    if n < 0:
        raise ValueError(f"n_decisions must be non-negative, got {n}")
    mask = np.zeros(mask_nbytes(n), dtype=np.uint8)
    dummy = np.empty(0, dtype=np.float32)
    _forward(dummy, dummy, seed, offset, threshold, 0, 0, 0, _MODE_MASK_ONLY, mask, n)
    return mask


def _rows(x, out, mask_bits, inner, a, b_keep, b_drop, alpha):
    n = x.size
    inner = int(inner)
    rows = _check_rows(n, mask_bits, inner)
    if n == 0:
        return
    t = x.dtype.type
    if inner == 1:  # one decision per element: the vectorized mask kernel
        kernel = _from_mask_parallel if n >= PARALLEL_THRESHOLD else _from_mask_serial
        kernel(x, out, mask_bits, t(a), t(b_keep), t(b_drop), t(0), alpha, _streams(x, out))
        return
    kernel = _rows_parallel if n >= PARALLEL_THRESHOLD else _rows_serial
    kernel(x, out, mask_bits, rows, inner, t(a), t(b_keep), t(b_drop), t(0), alpha)


def apply_row_mask(x: np.ndarray, out: np.ndarray, mask_bits: np.ndarray, inner: int,
                   scale: float) -> None:
    """Channel dropout on a ``(rows, inner)`` view: ``out[r, :] = x[r, :] * (scale or 0)``.

    Decision ``r`` (bit ``r`` of ``mask_bits``) applies to the whole contiguous row ``r``. Used
    for the forward (with the forward's scale) and the backward (on the gradient).

    Args:
        x: C-contiguous 1-D float32/float64 array of ``rows * inner`` elements.
        out: output of the same shape and dtype; may be ``x``.
        mask_bits: packed decisions, ``ceil(rows / 8)`` bytes (see ``decisions_bits``).
        inner: row length.
        scale: scale rounded to the dtype (``a`` for the alpha backward).
    """
    _check_pair(x, out)
    _rows(x, out, mask_bits, inner, scale, 0, 0, False)


def apply_row_mask_alpha(x: np.ndarray, out: np.ndarray, mask_bits: np.ndarray, inner: int,
                         a: float, b_keep: float, b_drop: float) -> None:
    """Feature alpha dropout forward on ``(rows, inner)``: ``x * (a or 0) + (b_keep or b_drop)``.

    The backward is ``apply_row_mask(grad, out, mask_bits, inner, a)``.
    """
    _check_pair(x, out)
    _rows(x, out, mask_bits, inner, a, b_keep, b_drop, True)

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
amortized over 16 elements); only when ``T_lo != 0``, a tie scan that finds bytes equal to
``T_hi`` (an exact SWAR zero-byte test per 8 bytes, vectorized and OR-ed per 64 bytes, then a
walk over the flagged groups), refines all ties with independent Philox calls, recording the
kept ties with their input (before ``out`` is written, since ``out`` may be ``x``); then one
contiguous loop that compares bytes with ``T_hi``, scales and writes ``out`` (and a 0/1 byte
per decision when a mask is wanted), treating ties as dropped; then the recorded kept ties are
written; then a packing loop turns 8 decision bytes into one mask byte with a multiply. Tiles
of 1024 elements measured the same or slightly slower (16M, p = 0.1 and 0.5, 1 and 2 threads).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

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
_U56 = np.uint64(56)
_U64 = np.uint64(64)
_U4 = np.uint64(4)
_U15 = np.uint64(15)
_U24 = np.uint64(24)
_U32 = np.uint64(32)
_L32 = np.uint64(0xFFFFFFFF)
_PACK_MAGIC = np.uint64(0x0102040810204080)
_BYTES_01 = np.uint64(0x0101010101010101)
_BYTES_7F = np.uint64(0x7F7F7F7F7F7F7F7F)
# (1 << 8j) * _BYTE_INDEX >> 56 == j for j < 8.
_BYTE_INDEX = np.uint64(0x0001020304050607)
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
def _load_bits(mask, byte0, nbytes):
    bits = _U0
    for q in range(nbytes):
        bits |= np.uint64(mask[byte0 + q]) << (q * _U8)
    return bits


@njit(inline="always")
def _pack_tile(mask, byte0, keep_bytes, m):
    # keep_bytes holds one 0/1 byte per element; 8 of them read as a little-endian uint64 are
    # gathered into one byte by a single multiply (bit j of the result = byte j).
    nbytes = (m + _U7) >> _U3
    for k in range(m, nbytes * _U8):
        keep_bytes[k] = 0
    k64 = keep_bytes.view(np.uint64)
    for q in range(nbytes):
        mask[byte0 + q] = np.uint8((k64[q] * _PACK_MAGIC) >> _U56)


@njit(inline="always")
def _find_kept_ties(x, i, m, byts, k0, k1, offset, thi, tlo, tie_k, tie_w, tie_x, with_x):
    # Rare path (a tie has probability 1/256 per element), before the main loop writes out
    # (out may be x). 1) Ties: bytes equal to T_hi, found eight at a time with an exact SWAR
    # zero-byte test of byte ^ T_hi, and walked lowest first. 2) Refinement words of all ties
    # (independent Philox calls, lane i % 4 of the block of element i, counter c2 = 1).
    # 3) Keep the ties with W_i < T and their input values. The main loop drops every tie.
    b64 = byts.view(np.uint64)
    pat = np.uint64(thi) * _BYTES_01
    nq = (m + _U7) >> _U3
    # Zero-byte words in a branch-free, vectorized loop, OR-ed per group of 64 bytes (a group
    # holds a tie with probability 22%); zs and gz are scratch parts of tie_w.
    zs = tie_w
    ng = (nq + _U7) >> _U3
    gz = tie_w[_TILE:]
    for q in range(nq, ng * _U8):
        zs[q] = _U0
    for q in range(nq):
        v = b64[q] ^ pat
        zs[q] = ~((((v & _BYTES_7F) + _BYTES_7F) | v) | _BYTES_7F)  # 0x80 exactly at ties
    for g in range(ng):
        acc = _U0
        for j in range(_U8):
            acc |= zs[g * _U8 + j]
        gz[g] = acc
    nt = 0
    for g in range(ng):
        if gz[g] == _U0:
            continue
        for q in range(g * _U8, g * _U8 + _U8):
            z = zs[q]
            while z:
                low = z & (_U0 - z)
                k = q * _U8 + (((low >> _U7) * _BYTE_INDEX) >> _U56)
                if k < m:
                    tie_k[nt] = k
                    nt += 1
                z ^= low
    for t in range(nt):
        e = i + tie_k[t]
        blk = offset + (e >> _U2)
        r0, r1, r2, r3 = philox10(blk & _L32, blk >> _U32, _U1, _U0, k0, k1)
        lane = e & _U3
        w = r0 if lane == _U0 else (r1 if lane == _U1 else (r2 if lane == _U2 else r3))
        tie_w[t] = ((w & _L32) >> _U8)
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
def _apply_kept_ties(out, i, nt, tie_k, tie_x, keep_bytes, a, b_keep, mode, write_mask):
    for t in range(nt):
        k = tie_k[t]
        if mode == _MODE_PLAIN:
            out[i + k] = tie_x[t] * a
        elif mode == _MODE_ALPHA:
            out[i + k] = tie_x[t] * a + b_keep
        if write_mask:
            keep_bytes[k] = 1


@njit(inline="always")
def _forward_range(x, out, mask, start, stop, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero,
                   mode, write_mask, words, planar, keep_bytes, tie_k, tie_w, tie_x):
    # start is a multiple of 64, so tiles line up with whole mask bytes of the global mask.
    # Element i uses byte i of the word stream (16 per block); it is kept iff byte < T_hi, or
    # byte == T_hi and the 24-bit refinement < T_lo (the fix-up, only when T_lo != 0).
    # Separate loops per (mode, write_mask): each vectorizes without dead work.
    byts = words.view(np.uint8)
    with_x = mode != _MODE_MASK_ONLY
    i = start
    while i < stop:
        m = min(_TILE, stop - i)
        gen_tile(words, planar, offset + (i >> _U4), (m + _U15) >> _U4, k0, k1)
        nt = 0
        if tlo != 0:
            nt = _find_kept_ties(x, i, m, byts, k0, k1, offset, thi, tlo, tie_k, tie_w, tie_x,
                                 with_x)
        if mode == _MODE_PLAIN:
            if write_mask:
                for k in range(m):
                    keep = byts[k] < thi
                    out[i + k] = x[i + k] * (a if keep else zero)
                    keep_bytes[k] = np.uint8(keep)
            else:
                for k in range(m):
                    out[i + k] = x[i + k] * (a if byts[k] < thi else zero)
        elif mode == _MODE_ALPHA:
            if write_mask:
                for k in range(m):
                    keep = byts[k] < thi
                    out[i + k] = x[i + k] * (a if keep else zero) + (b_keep if keep else b_drop)
                    keep_bytes[k] = np.uint8(keep)
            else:
                for k in range(m):
                    keep = byts[k] < thi
                    out[i + k] = x[i + k] * (a if keep else zero) + (b_keep if keep else b_drop)
        else:
            for k in range(m):
                keep_bytes[k] = np.uint8(byts[k] < thi)
        if nt:
            _apply_kept_ties(out, i, nt, tie_k, tie_x, keep_bytes, a, b_keep, mode, write_mask)
        if write_mask:
            _pack_tile(mask, i >> _U3, keep_bytes, m)
        i += m


@njit(cache=True)
def _forward_serial(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero, mode,
                    write_mask, n):
    words = np.empty(TILE_BLOCKS * 4, np.uint32)
    planar = np.empty((4, TILE_BLOCKS), np.uint32)
    keep_bytes = np.empty(TILE_ELEMS, np.uint8)
    tie_k = np.empty(TILE_ELEMS, np.uint64)
    tie_w = np.empty(TILE_ELEMS + TILE_ELEMS // 64, np.uint64)
    tie_x = np.empty(TILE_ELEMS, x.dtype)
    _forward_range(x, out, mask, _U0, np.uint64(n), k0, k1, offset, thi, tlo, a, b_keep, b_drop,
                   zero, mode, write_mask, words, planar, keep_bytes, tie_k, tie_w, tie_x)


@njit(cache=True, parallel=True)
def _forward_parallel(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero, mode,
                      write_mask, n):
    n = np.uint64(n)
    nchunks = (n + _CHUNK - _U1) // _CHUNK
    for c in prange(nchunks):
        words = np.empty(TILE_BLOCKS * 4, np.uint32)
        planar = np.empty((4, TILE_BLOCKS), np.uint32)
        keep_bytes = np.empty(TILE_ELEMS, np.uint8)
        tie_k = np.empty(TILE_ELEMS, np.uint64)
        tie_w = np.empty(TILE_ELEMS + TILE_ELEMS // 64, np.uint64)
        tie_x = np.empty(TILE_ELEMS, x.dtype)
        s = np.uint64(c) * _CHUNK
        _forward_range(x, out, mask, s, min(s + _CHUNK, n), k0, k1, offset, thi, tlo, a, b_keep,
                       b_drop, zero, mode, write_mask, words, planar, keep_bytes, tie_k, tie_w,
                       tie_x)


@njit(inline="always")
def _apply_bits(g, out, i, e, bits, a, b_keep, b_drop, zero, alpha):
    # Elements i .. i+e-1 (e <= 64) with decisions in bits 0 .. e-1.
    if alpha:
        for k in range(e):
            keep = (bits >> k) & _U1
            out[i + k] = g[i + k] * (a if keep else zero) + (b_keep if keep else b_drop)
    else:
        for k in range(e):
            out[i + k] = g[i + k] * (a if (bits >> k) & _U1 else zero)


@njit(inline="always")
def _from_mask_range(g, out, mask, start, stop, a, b_keep, b_drop, zero, alpha):
    # start is a multiple of 64; decisions are read 64 at a time, not bit by bit.
    i = start
    while i < stop:
        e = min(_U64, stop - i)
        bits = _load_bits(mask, i >> _U3, (e + _U7) >> _U3)
        _apply_bits(g, out, i, e, bits, a, b_keep, b_drop, zero, alpha)
        i += e


@njit(cache=True)
def _from_mask_serial(g, out, mask, a, b_keep, b_drop, zero, alpha):
    _from_mask_range(g, out, mask, _U0, np.uint64(g.size), a, b_keep, b_drop, zero, alpha)


@njit(cache=True, parallel=True)
def _from_mask_parallel(g, out, mask, a, b_keep, b_drop, zero, alpha):
    n = np.uint64(g.size)
    nchunks = (n + _CHUNK - _U1) // _CHUNK
    for c in prange(nchunks):
        s = np.uint64(c) * _CHUNK
        _from_mask_range(g, out, mask, s, min(s + _CHUNK, n), a, b_keep, b_drop, zero, alpha)


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
        _apply_bits(x, out, i, e, bits, a, b_keep, b_drop, zero, alpha)
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
           n)


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
    kernel(grad, out, mask_bits, t(scale), t(0), t(0), t(0), False)


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
        kernel(x, out, mask_bits, t(a), t(b_keep), t(b_drop), t(0), alpha)
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

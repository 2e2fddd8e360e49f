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
``decisions_bits``) uses the same rule, so regenerated decisions equal stored bits. What each
kernel computes is stated in NumPy by ``ember.kernels.reference`` (``reference_dropout_forward``,
``reference_row_mask``, ``reference_decisions_bits``), which the tests hold them to bit for bit.

Bit-packed masks: bit ``i`` is the keep decision of element ``i``, stored as ``ceil(n / 8)`` uint8
bytes equal to ``np.packbits(keep, bitorder="little")``; pad bits are 0.

Alpha dropout: ``out = x * (a if kept else 0) + (b_keep if kept else b_drop)``, a multiply then a
separately rounded add (no FMA), as torch computes it; its backward is ``grad * (a or 0)``, i.e.
the plain backward with ``scale = a``. Plain and alpha forwards share the step driver and differ
only in the steps' arithmetic: the plain path cannot be written as alpha with ``b = 0`` because
``-0.0 + 0.0`` is ``+0.0``.

Work is split into chunks of 2**14 elements (a multiple of 128, so no two threads write the same
mask byte) run with ``prange`` from ``PARALLEL_THRESHOLD`` (2**15) elements on, serially below: a
parallel launch costs about 2-3 us here and two chunks already pay for it (measured on 2 cores).
With one thread the serial kernels run at every size (``runs_parallel``).
Each chunk runs steps of 128 elements (``ember.kernels.dropout_steps``): Philox for the step's
eight blocks, decisions, tie refinements (only when ``T_lo != 0`` and the step has a tie) and
the scaled outputs, all in registers, returning the decisions as two words of the packed mask.
Outputs of ``STREAM_BYTES`` or more that are 32-byte aligned (``ember.memory`` allocates them
so) are written with streaming stores.

Variants: the flags that choose the code of a pass (plain, alpha or decisions only; streaming
stores; tie refinement; serial or parallel) are constants of a closure made by one factory per
pass (``_forward_kernel``, ``_mask_kernel``, ``_rows_kernel``), so Numba compiles, caches and
loads one straight loop per combination actually used.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .dropout_steps import STEP, decide_step, dropout_step, store_u64
from .jit import njit, prange
from .philox import PARALLEL_THRESHOLD, runs_parallel
from .reference import (
    _check_threshold,
    blocks_for,
    blocks_for_decisions,
    keep_threshold,
    mask_nbytes,
    reference_keep,
    split_seed,
    unpack_bits,
)
from .simd import apply8, store_fence

__all__ = [
    "PARALLEL_THRESHOLD",
    "alpha_dropout_backward_from_mask",
    "alpha_dropout_backward_regenerate",
    "alpha_dropout_forward",
    "apply_row_mask",
    "apply_row_mask_alpha",
    "blocks_for",
    "blocks_for_decisions",
    "decisions_bits",
    "dropout_backward_from_mask",
    "dropout_backward_regenerate",
    "dropout_forward",
    "keep_threshold",
    "mask_nbytes",
    "reference_keep",
    "unpack_bits",
]

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U3 = np.uint64(3)
_U7 = np.uint64(7)
_U8 = np.uint64(8)
_U63 = np.uint64(63)
_U64 = np.uint64(64)
_U255 = np.uint64(255)
_STEP = np.uint64(STEP)
_STEP_MASK = np.uint64(STEP - 1)
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
def _forward_tail(x, out, mask, i, stop, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero,
                  write_mask, alpha, decide_only, refine):
    # The last, partial step (fewer than STEP elements, at the end of the array), one element
    # at a time from the step's decisions. Decisions past the end are computed but never used.
    lo, hi = decide_step(i, k0, k1, offset, thi, tlo, refine)
    m = stop - i
    if not decide_only:
        for k in range(m):
            keep = ((lo if k < _U64 else hi) >> (k & _U63)) & _U1
            if alpha:
                out[i + k] = x[i + k] * (a if keep else zero) + (b_keep if keep else b_drop)
            else:
                out[i + k] = x[i + k] * (a if keep else zero)
    if write_mask:
        if m < _U64:
            lo &= (_U1 << m) - _U1
            hi = _U0
        else:
            hi &= (_U1 << (m - _U64)) - _U1
        for j in range((m + _U7) >> _U3):
            word = lo if j < _U8 else hi
            mask[(i >> _U3) + j] = np.uint8((word >> ((j & _U7) << _U3)) & _U255)


@njit(inline="always")
def _forward_range(x, out, mask, start, stop, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero,
                   write_mask, alpha, decide_only, stream, refine):
    # start is a multiple of STEP, so steps line up with whole bytes of the global mask. Each
    # step generates, decides, refines its ties and applies 128 elements in registers
    # (ember.kernels.dropout_steps). alpha, decide_only, stream and refine are constants of
    # the kernel (see _forward_kernel), so every combination is its own straight loop.
    full = start + ((stop - start) & ~_STEP_MASK)
    for i in range(start, full, _STEP):
        if decide_only:
            lo, hi = decide_step(i, k0, k1, offset, thi, tlo, refine)
        else:
            lo, hi = dropout_step(x, out, i, k0, k1, offset, thi, tlo, a, b_keep, b_drop, alpha,
                                  stream, refine)
        if write_mask:
            store_u64(mask, i >> _U3, lo)
            store_u64(mask, (i >> _U3) + _U8, hi)
    if full < stop:
        _forward_tail(x, out, mask, full, stop, k0, k1, offset, thi, tlo, a, b_keep, b_drop,
                      zero, write_mask, alpha, decide_only, refine)
    if stream:
        store_fence()


@functools.cache
def _forward_kernel(mode: int, stream: bool, refine: bool, parallel: bool):
    """The compiled forward pass for one combination of its flags.

    ``mode`` is ``_MODE_PLAIN``, ``_MODE_ALPHA`` or ``_MODE_MASK_ONLY`` (decisions alone);
    ``stream``: streaming stores; ``refine``: refine ties (``T_lo != 0``); ``parallel``: chunks
    of ``2**14`` elements under ``prange``. The flags are constants of the closure, so Numba
    compiles (and caches, keyed by them) one loop per combination. Arguments of the result:
    ``(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero, write_mask, n)``.
    """
    alpha, decide_only = mode == _MODE_ALPHA, mode == _MODE_MASK_ONLY
    if parallel:
        @njit(cache=True, parallel=True)
        def forward_parallel(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero,
                             write_mask, n):
            n = np.uint64(n)
            for c in prange((n + _CHUNK - _U1) // _CHUNK):
                s = np.uint64(c) * _CHUNK
                _forward_range(x, out, mask, s, min(s + _CHUNK, n), k0, k1, offset, thi, tlo,
                               a, b_keep, b_drop, zero, write_mask, alpha, decide_only, stream,
                               refine)

        return forward_parallel

    @njit(cache=True)
    def forward_serial(x, out, mask, k0, k1, offset, thi, tlo, a, b_keep, b_drop, zero,
                       write_mask, n):
        _forward_range(x, out, mask, _U0, np.uint64(n), k0, k1, offset, thi, tlo, a, b_keep,
                       b_drop, zero, write_mask, alpha, decide_only, stream, refine)

    return forward_serial


@njit(inline="always")
def _apply_bits(g, out, i, e, bits, a, b_keep, b_drop, zero, alpha):
    # Elements i .. i+e-1 (e <= 64) with decisions in bits 0 .. e-1: whole bytes by vector
    # steps, the rest (at the end of the array) one at a time.
    full = e & ~_U7
    for q in range(full >> _U3):
        apply8(g, out, i + (q << _U3), (bits >> (q << _U3)) & _U255, a, b_keep, b_drop, alpha,
               False)
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
        apply8(g, out, q << _U3, np.uint64(mask[q]), a, b_keep, b_drop, alpha, stream)
    if full < stop:
        _apply_bits(g, out, full, stop - full, np.uint64(mask[full >> _U3]), a, b_keep, b_drop,
                    zero, alpha)
    if stream:
        store_fence()


@functools.cache
def _mask_kernel(alpha: bool, stream: bool, parallel: bool):
    """The compiled pass applying a packed mask, one element per bit, for one combination of
    its flags (constants of the closure, as in :func:`_forward_kernel`). Arguments of the
    result: ``(g, out, mask, a, b_keep, b_drop, zero)``."""
    if parallel:
        @njit(cache=True, parallel=True)
        def from_mask_parallel(g, out, mask, a, b_keep, b_drop, zero):
            n = np.uint64(g.size)
            for c in prange((n + _CHUNK - _U1) // _CHUNK):
                s = np.uint64(c) * _CHUNK
                _from_mask_range(g, out, mask, s, min(s + _CHUNK, n), a, b_keep, b_drop, zero,
                                 alpha, stream)

        return from_mask_parallel

    @njit(cache=True)
    def from_mask_serial(g, out, mask, a, b_keep, b_drop, zero):
        _from_mask_range(g, out, mask, _U0, np.uint64(g.size), a, b_keep, b_drop, zero, alpha,
                         stream)

    return from_mask_serial


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


@njit(inline="always")
def _rows_serial(x, out, mask, rows, inner, a, b_keep, b_drop, zero, alpha):
    rows = np.uint64(rows)
    inner = np.uint64(inner)
    if inner < _SHORT_ROW:
        _short_rows_range(x, out, mask, _U0, rows * inner, inner, a, b_keep, b_drop, zero, alpha)
    else:
        for r in range(rows):
            _row_span(x, out, mask, r, r * inner, (r + _U1) * inner, a, b_keep, b_drop, zero,
                      alpha)


@njit(inline="always")
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


@functools.cache
def _rows_kernel(alpha: bool, parallel: bool):
    """The compiled row-mask pass (one decision per row of ``inner`` elements) for one value of
    its flags (constants of the closure, as in :func:`_forward_kernel`). Arguments of the
    result: ``(x, out, mask, rows, inner, a, b_keep, b_drop, zero)``."""
    if parallel:
        @njit(cache=True, parallel=True)
        def rows_parallel(x, out, mask, rows, inner, a, b_keep, b_drop, zero):
            _rows_parallel(x, out, mask, rows, inner, a, b_keep, b_drop, zero, alpha)

        return rows_parallel

    @njit(cache=True)
    def rows_serial(x, out, mask, rows, inner, a, b_keep, b_drop, zero):
        _rows_serial(x, out, mask, rows, inner, a, b_keep, b_drop, zero, alpha)

    return rows_serial


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


def _scalars(dtype: np.dtype, a, b_keep, b_drop) -> tuple:
    """The kernels' arithmetic arguments ``a, b_keep, b_drop, zero`` rounded to ``dtype``.

    Cached, like ``_threshold_parts``: a NumPy scalar costs about 0.6 us to make, and a model
    calls with the same few constants again and again. The signs are part of the key because
    ``0.0 == -0.0`` (and the two hash alike) while ``x * 0.0 + b`` depends on the sign of ``b``.
    """
    signs = (math.copysign(1.0, a), math.copysign(1.0, b_keep), math.copysign(1.0, b_drop))
    return _rounded_scalars(dtype, a, b_keep, b_drop, signs)


@functools.lru_cache(maxsize=256)
def _rounded_scalars(dtype: np.dtype, a, b_keep, b_drop, signs) -> tuple:
    t = dtype.type
    return t(a), t(b_keep), t(b_drop), t(0)


@functools.lru_cache(maxsize=256)
def _threshold_parts(threshold: int) -> tuple[np.uint8, np.uint64]:
    """``T_hi`` (the byte compared) and ``T_lo`` (the 24 bits refining ties) of a threshold."""
    thr = int(_check_threshold(threshold))
    return np.uint8(thr >> 24), np.uint64(thr & 0xFFFFFF)


def _forward(x, out, seed, offset, threshold, a, b_keep, b_drop, mode, mask_bits, n):
    k0, k1, off = split_seed(seed, offset)
    thi, tlo = _threshold_parts(int(threshold))
    if mask_bits is not None:
        _check_mask(mask_bits, n)
    if n == 0:
        return
    write = mask_bits is not None
    mask = mask_bits if write else _EMPTY_MASK
    stream = mode != _MODE_MASK_ONLY and _streams(x, out)
    kernel = _forward_kernel(mode, stream, bool(tlo), runs_parallel(n))
    kernel(x, out, mask, k0, k1, off, thi, tlo, *_scalars(x.dtype, a, b_keep, b_drop), write, n)


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
    kernel = _mask_kernel(False, _streams(grad, out), runs_parallel(n))
    kernel(grad, out, mask_bits, *_scalars(grad.dtype, scale, 0, 0))


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
    mask = np.empty(mask_nbytes(n), dtype=np.uint8)  # every byte is written
    dummy = np.empty(0, dtype=np.float32)
    _forward(dummy, dummy, seed, offset, threshold, 0, 0, 0, _MODE_MASK_ONLY, mask, n)
    return mask


def _rows(x, out, mask_bits, inner, a, b_keep, b_drop, alpha):
    n = x.size
    inner = int(inner)
    rows = _check_rows(n, mask_bits, inner)
    if n == 0:
        return
    scalars = _scalars(x.dtype, a, b_keep, b_drop)
    if inner == 1:  # one decision per element: the vectorized mask kernel
        _mask_kernel(alpha, _streams(x, out), runs_parallel(n))(x, out, mask_bits, *scalars)
        return
    _rows_kernel(alpha, runs_parallel(n))(x, out, mask_bits, rows, inner, *scalars)


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


# ------------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------------


def _check_dtype(arr: np.ndarray, name: str) -> np.dtype:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(arr).__name__}")
    if arr.dtype != np.float32 and arr.dtype != np.float64:
        raise TypeError(f"dropout kernels support float32 and float64 only; {name} has dtype "
                        f"{arr.dtype}")
    return arr.dtype


def _check_pair(x: np.ndarray, out: np.ndarray, xname: str = "x") -> np.dtype:
    dt = _check_dtype(x, xname)
    _check_dtype(out, "out")
    if out.dtype != dt:
        raise TypeError(f"out must have the dtype of {xname} ({dt}), got {out.dtype}")
    for arr, name in ((x, xname), (out, "out")):
        if arr.ndim != 1 or not arr.flags.c_contiguous:
            raise ValueError(f"{name} must be a C-contiguous 1-D array (ravel() it first)")
    if out.shape != x.shape:
        raise ValueError(f"out has shape {out.shape}, expected {x.shape}")
    if not out.flags.writeable:
        raise ValueError("out must be writeable")
    return dt


def _check_mask(mask_bits: np.ndarray, n: int) -> None:
    if not isinstance(mask_bits, np.ndarray) or mask_bits.dtype != np.uint8:
        raise TypeError("mask_bits must be a uint8 numpy.ndarray")
    if mask_bits.ndim != 1 or not mask_bits.flags.c_contiguous:
        raise ValueError("mask_bits must be a C-contiguous 1-D array")
    if mask_bits.size != mask_nbytes(n):
        raise ValueError(f"mask_bits must have ceil(n / 8) = {mask_nbytes(n)} bytes for "
                         f"n = {n}, got {mask_bits.size}")


def _check_rows(n: int, mask_bits: np.ndarray, inner) -> int:
    """Validate a row-mask call on ``n`` elements in rows of ``inner``; return the row count.

    Returns 0 without checking the mask when ``n == 0`` and ``inner`` is 0 (nothing to do).
    """
    inner = int(inner)
    if inner <= 0 or n % inner:
        if n == 0 and inner >= 0:
            return 0
        raise ValueError(f"inner ({inner}) must be positive and divide x.size ({n})")
    rows = n // inner
    _check_mask(mask_bits, rows)
    return rows

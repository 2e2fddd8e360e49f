"""NumPy twins of the Numba kernels: same functions, same contracts, bit-identical results.

Serves small calls while Numba loads in the background (see ``ember.kernels.loader``), so a
fresh process's first dropout or random sampling call does not wait for Numba. Each function
mirrors the wrapper of the same name in ``ember.kernels.dropout`` or ``ember.kernels.philox``:
same arguments, same validation and errors, the same stream consumption, and the same bits:

* keep decisions come from ``reference_keep`` (one byte of the stream per element, refined on
  ties by the counter space ``c2 = 1``);
* ``out = x * (scale if kept else 0)``, one multiply in the dtype (dropped NaN/inf give NaN,
  dropped negatives -0.0); alpha: that product, then a separately rounded add;
* ``out`` may be ``x`` (in place); masks are ``np.packbits(keep, bitorder="little")``;
* uniform float32 is ``(w >> 8) * 2**-24``, float64 ``((w0 >> 5) * 2**26 + (w1 >> 6)) * 2**-53``.

Cost grows with the temporaries NumPy allocates (a float and a bool array per element), so
large calls belong to the Numba kernels.
"""

from __future__ import annotations

import numpy as np

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
    reference_words,
    split_seed,
    uniform_words_per_value,
    unpack_bits,
)

__all__ = [
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
    "random_words",
    "reference_keep",
    "uniform",
    "unpack_bits",
]


# ------------------------------------------------------------------------------------------------
# Dropout
# ------------------------------------------------------------------------------------------------


def _decisions(seed, offset, threshold, n, mask_bits) -> np.ndarray:
    """Validates like the kernels' driver, writes ``mask_bits`` if given, returns the decisions."""
    split_seed(seed, offset)
    _check_threshold(threshold)
    if mask_bits is not None:
        _check_mask(mask_bits, n)
    keep = reference_keep(seed, offset, threshold, n)
    if mask_bits is not None:
        mask_bits[:] = np.packbits(keep, bitorder="little")
    return keep


def _apply(x, out, keep, a, b_keep=None, b_drop=None) -> None:
    """``out = x * (a if keep else 0)``, then ``+ (b_keep if keep else b_drop)`` when given.

    ``keep`` broadcasts against ``x`` (a column of row decisions for the row masks).
    """
    t = x.dtype.type
    with np.errstate(over="ignore", invalid="ignore"):  # as the kernels: inf * 0 -> NaN, silently
        np.multiply(x, np.where(keep, t(a), t(0)), out=out)
        if b_keep is not None:
            np.add(out, np.where(keep, t(b_keep), t(b_drop)), out=out)


def dropout_forward(x: np.ndarray, out: np.ndarray, seed: int, offset: int, threshold: int,
                    scale: float, mask_bits: np.ndarray | None = None) -> None:
    """Dropout forward: ``out = x * (scale if kept else 0)`` (see the module docstring).

    Args:
        x: C-contiguous 1-D float32/float64 input.
        out: output of the same shape and dtype; may be ``x`` itself.
        seed: 64-bit stream key.
        offset: 64-bit first block; the call consumes ``blocks_for_decisions(x.size)`` blocks.
        threshold: ``keep_threshold(p)``.
        scale: ``1 / (1 - p)`` already rounded to the dtype.
        mask_bits: optional uint8 array of ``ceil(n / 8)`` bytes receiving the packed decisions.
    """
    _check_pair(x, out)
    _apply(x, out, _decisions(seed, offset, threshold, x.size, mask_bits), scale)


def dropout_backward_from_mask(grad: np.ndarray, out: np.ndarray, mask_bits: np.ndarray,
                               scale: float) -> None:
    """Dropout backward from a packed mask: ``out = grad * (scale if bit else 0)``."""
    _check_pair(grad, out, "grad")
    _check_mask(mask_bits, grad.size)
    _apply(grad, out, unpack_bits(mask_bits, grad.size), scale)


def dropout_backward_regenerate(grad: np.ndarray, out: np.ndarray, seed: int, offset: int,
                                threshold: int, scale: float) -> None:
    """Dropout backward regenerating the decisions from the forward's (seed, offset)."""
    _check_pair(grad, out, "grad")
    _apply(grad, out, _decisions(seed, offset, threshold, grad.size, None), scale)


def alpha_dropout_forward(x: np.ndarray, out: np.ndarray, seed: int, offset: int, threshold: int,
                          a: float, b_keep: float, b_drop: float,
                          mask_bits: np.ndarray | None = None) -> None:
    """Alpha dropout: ``out = x * (a if kept else 0) + (b_keep if kept else b_drop)``.

    The multiply and the add are rounded separately (no FMA).
    """
    _check_pair(x, out)
    keep = _decisions(seed, offset, threshold, x.size, mask_bits)
    _apply(x, out, keep, a, b_keep, b_drop)


def alpha_dropout_backward_from_mask(grad: np.ndarray, out: np.ndarray, mask_bits: np.ndarray,
                                     a: float) -> None:
    """Alpha dropout backward from a packed mask: ``out = grad * (a if kept else 0)``."""
    dropout_backward_from_mask(grad, out, mask_bits, a)


def alpha_dropout_backward_regenerate(grad: np.ndarray, out: np.ndarray, seed: int, offset: int,
                                      threshold: int, a: float) -> None:
    """Alpha dropout backward regenerating the decisions: ``out = grad * (a if kept else 0)``."""
    dropout_backward_regenerate(grad, out, seed, offset, threshold, a)


def decisions_bits(seed: int, offset: int, threshold: int, n_decisions: int) -> np.ndarray:
    """Packed keep decisions for ``i < n_decisions``: ``ceil(n_decisions / 8)`` uint8 bytes."""
    n = int(n_decisions)
    if n < 0:
        raise ValueError(f"n_decisions must be non-negative, got {n}")
    mask = np.empty(mask_nbytes(n), dtype=np.uint8)  # every byte is written
    _decisions(seed, offset, threshold, n, mask)
    return mask


def _rows(x, out, mask_bits, inner, a, b_keep=None, b_drop=None) -> None:
    rows = _check_rows(x.size, mask_bits, inner)
    if x.size == 0:
        return
    keep = unpack_bits(mask_bits, rows)[:, None]
    _apply(x.reshape(rows, -1), out.reshape(rows, -1), keep, a, b_keep, b_drop)


def apply_row_mask(x: np.ndarray, out: np.ndarray, mask_bits: np.ndarray, inner: int,
                   scale: float) -> None:
    """Channel dropout on a ``(rows, inner)`` view: ``out[r, :] = x[r, :] * (scale or 0)``."""
    _check_pair(x, out)
    _rows(x, out, mask_bits, inner, scale)


def apply_row_mask_alpha(x: np.ndarray, out: np.ndarray, mask_bits: np.ndarray, inner: int,
                         a: float, b_keep: float, b_drop: float) -> None:
    """Feature alpha dropout on ``(rows, inner)``: ``x * (a or 0) + (b_keep or b_drop)``."""
    _check_pair(x, out)
    _rows(x, out, mask_bits, inner, a, b_keep, b_drop)


# ------------------------------------------------------------------------------------------------
# Philox stream
# ------------------------------------------------------------------------------------------------


def random_words(seed: int, offset: int, n: int) -> np.ndarray:
    """Words ``0..n-1`` of the (seed, offset) stream as a ``(n,)`` uint32 array."""
    split_seed(seed, offset)
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return reference_words(seed, offset, n)


def uniform(seed: int, offset: int, n: int, dtype=np.float32) -> np.ndarray:
    """``n`` uniform floats in [0, 1) from the (seed, offset) stream (float32 or float64)."""
    words_per_value = uniform_words_per_value(dtype)
    w = random_words(seed, offset, words_per_value * int(n))
    if words_per_value == 1:
        return (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    hi = (w[0::2] >> np.uint32(5)).astype(np.float64)
    lo = (w[1::2] >> np.uint32(6)).astype(np.float64)
    return (hi * 2.0**26 + lo) * 2.0**-53

"""Embedding lookups and their gradient, as compiled loops over plain arrays.

The gradient of ``weight[indices]`` adds each gradient row into the row of ``weight`` it was
read from: a scatter-add into a zeroed ``(V, D)`` array in the indices' order (each sum is
accumulated in that order, in the weight's dtype, as torch's CPU kernel adds), skipping
``padding_idx``, each row scaled by ``1 / count`` of its index with ``scale_grad_by_freq``
(the scale rounded to the dtype first, as torch multiplies by it). No ``(n, D)`` or ``(V, D)``
temporary besides the result. ``ember.nn.functional.sparse`` keeps the NumPy statement (the
reference path the tests hold this kernel to).
"""

from __future__ import annotations

import numpy as np

from .jit import njit

__all__ = ["embedding_backward", "embedding_forward"]


@njit(cache=True, error_model="numpy")
def _gather(weight, idx, out):
    v = weight.shape[0]
    for i in range(idx.shape[0]):
        k = idx[i]
        if k < 0 or k >= v:
            return i
        out[i] = weight[k]
    return -1


def embedding_forward(weight: np.ndarray, idx: np.ndarray, out: np.ndarray) -> int:
    """Copies ``weight[idx[i]]`` into ``out[i]`` for the flat ``idx``.

    Returns:
        The position of the first index out of ``[0, V)`` (``out`` is then incomplete), or -1.
    """
    return _gather(weight, idx, out)


@njit(cache=True, error_model="numpy")
def _scatter_add(idx, rows, padding_idx, scale_by_freq, out):
    out[:] = 0
    d = rows.shape[1]
    if scale_by_freq:
        counts = np.zeros(out.shape[0], np.int64)
        for i in range(idx.shape[0]):
            counts[idx[i]] += 1
    for i in range(idx.shape[0]):
        k = idx[i]
        if k == padding_idx:
            continue
        src = rows[i]
        dst = out[k]
        if scale_by_freq:
            scale = out.dtype.type(1.0 / counts[k])
            for j in range(d):
                dst[j] += src[j] * scale
        else:
            for j in range(d):
                dst[j] += src[j]


def embedding_backward(idx: np.ndarray, rows: np.ndarray, padding_idx: int | None,
                       scale_grad_by_freq: bool, out: np.ndarray) -> None:
    """Writes the gradient of ``weight`` into ``out`` ``(V, D)``: ``sum_{i: idx[i] = k} rows[i]``
    in row ``k`` (0 in ``padding_idx``'s row; ``rows[i] / count(idx[i])`` with
    ``scale_grad_by_freq``).

    Args:
        idx: flat in-range indices (int64 or int32).
        rows: ``(len(idx), D)`` gradient rows, C-contiguous, in ``out``'s dtype.
        padding_idx: a row left at zero, or None.
        scale_grad_by_freq: scale each row by the inverse count of its index.
        out: ``(V, D)`` C-contiguous; every element is written.
    """
    pad = -1 if padding_idx is None else int(padding_idx)
    _scatter_add(idx, rows, pad, bool(scale_grad_by_freq), out)

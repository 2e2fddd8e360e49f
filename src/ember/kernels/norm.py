"""Batch and layer normalization, forward and backward, as compiled loops over plain arrays.

Batch norm sees its input in one of two C-contiguous layouts: ``planes`` ``(N, C, L)`` (the
usual ``(N, C, H, W)`` with ``L = H * W``) and ``rows`` ``(M, C)`` (a 2-D input, or a
channels-last one with ``M = N * H * W``). Layer norm sees ``(R, D)`` rows, each normalised
on its own. Means and variances are accumulated in float64, in two passes (the mean, then the
sum of squared deviations), so float32 results are at least as accurate as torch's float32
ones; so are batch norm's backward sums. Layer norm's backward sums a row in the data's dtype
(as torch's float32 kernel) and its weight and bias gradients over blocks of ``_BLOCK_ROWS``
rows in the data's dtype, added to float64 totals.
The outputs are one fused pass each: ``y = x * scale + shift`` with per-channel (batch norm)
or per-row (layer norm) coefficients rounded to the data's dtype, the form torch's CPU kernels
use. Backward is one pass for the sums and one for the input gradient:
``dx = g * k + x * p + q`` (see each kernel for ``k``, ``p``, ``q``).

Reductions are compiled with ``fastmath={"reassoc"}`` only, which lets LLVM vectorize a sum
(its order of addition changes; NaN and infinities keep their meaning); elementwise passes
are compiled without fast-math, so they round as written.

The NumPy statement of the same maths is ``ember.nn.functional.normalization``'s reference
path; the tests hold each kernel to it and to torch within float tolerance (the order and
precision of the sums differ). Rows are indexed, not sliced, in the layer-norm loops: a slice
costs two atomic reference counts, which weigh on short rows.
"""

from __future__ import annotations

import numpy as np

from .jit import njit

__all__ = [
    "batch_norm_backward",
    "batch_norm_forward",
    "batch_norm_stats",
    "layer_norm_backward",
    "layer_norm_forward",
]

_REASSOC = {"reassoc"}
_BLOCK_ROWS = 32  # rows whose weight and bias gradients are summed in the data's dtype


# -- sums (vectorized, float64) ----------------------------------------------------------------
@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum(a):
    s = 0.0
    for i in range(np.uint64(a.shape[0])):
        s += a[i]
    return s


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_sq_dev(a, mean):
    """``sum((a - mean) ** 2)``."""
    s = 0.0
    for i in range(np.uint64(a.shape[0])):
        d = a[i] - mean
        s += d * d
    return s


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _row_moments(x, r):
    """Mean and biased variance of row ``r`` of ``x`` (float64, two passes)."""
    d = x.shape[1]
    s = 0.0
    for i in range(np.uint64(d)):
        s += x[r, i]
    m = s / d
    v = 0.0
    for i in range(np.uint64(d)):
        t = x[r, i] - m
        v += t * t
    return m, v / d


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_g_gx(g, x, r, w, has_w, zero):
    """``(sum(g * w), sum(g * w * x))`` over a row (``w`` only when ``has_w``), accumulated
    in ``zero``'s type: the data's, as torch's float32 kernel (a row is short, and the
    vectorized sum splits it into many partial sums)."""
    s = zero
    sx = zero
    if has_w:
        for i in range(np.uint64(g.shape[1])):
            gw = g[r, i] * w[i]
            s += gw
            sx += gw * x[r, i]
    else:
        for i in range(np.uint64(g.shape[1])):
            s += g[r, i]
            sx += g[r, i] * x[r, i]
    return s, sx


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_g_gdev(g, x, mean):
    """``(sum(g), sum(g * (x - mean)))``."""
    s = 0.0
    sx = 0.0
    for i in range(np.uint64(g.shape[0])):
        gi = np.float64(g[i])
        s += gi
        sx += gi * (x[i] - mean)
    return s, sx


# -- batch norm --------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _stats_planes(x, mean, var):
    n, c, _ = x.shape
    count = n * x.shape[2]
    for j in range(c):
        s = 0.0
        for i in range(n):
            s += _sum(x[i, j])
        m = s / count
        v = 0.0
        for i in range(n):
            v += _sum_sq_dev(x[i, j], m)
        mean[j] = m
        var[j] = v / count


@njit(cache=True, error_model="numpy")
def _stats_rows(x, mean, var):
    m, c = x.shape
    s = np.zeros(c)
    for i in range(m):
        row = x[i]
        for j in range(np.uint64(c)):
            s[j] += row[j]
    for j in range(c):
        mean[j] = s[j] / m
    s[:] = 0.0
    for i in range(m):
        row = x[i]
        for j in range(np.uint64(c)):
            d = row[j] - mean[j]
            s[j] += d * d
    for j in range(c):
        var[j] = s[j] / m


@njit(cache=True, error_model="numpy")
def _affine_planes(x, scale, shift, y):
    n, c, length = x.shape
    for i in range(n):
        for j in range(c):
            a = scale[j]
            b = shift[j]
            xs = x[i, j]
            ys = y[i, j]
            for k in range(np.uint64(length)):
                ys[k] = xs[k] * a + b


@njit(cache=True, error_model="numpy")
def _affine_rows(x, scale, shift, y):
    m, c = x.shape
    for i in range(m):
        xs = x[i]
        ys = y[i]
        for j in range(np.uint64(c)):
            ys[j] = xs[j] * scale[j] + shift[j]


def batch_norm_stats(x: np.ndarray, planes: bool) -> tuple:
    """Per-channel ``(mean, biased variance)`` in float64 of a C-contiguous ``(N, C, L)``
    (``planes``) or ``(M, C)`` array."""
    c = x.shape[1]
    mean, var = np.empty(c), np.empty(c)
    (_stats_planes if planes else _stats_rows)(x, mean, var)
    return mean, var


def batch_norm_forward(x: np.ndarray, scale: np.ndarray, shift: np.ndarray,
                       planes: bool) -> np.ndarray:
    """``x * scale + shift`` per channel (dim 1) of a C-contiguous ``(N, C, L)`` or ``(M, C)``
    array; ``scale`` and ``shift`` are in ``x``'s dtype."""
    y = np.empty_like(x)
    (_affine_planes if planes else _affine_rows)(x, scale, shift, y)
    return y


@njit(cache=True, error_model="numpy")
def _bn_sums_planes(g, x, mean, sum_g, sum_gdev):
    n, c, _ = x.shape
    for j in range(c):
        s = 0.0
        sx = 0.0
        for i in range(n):
            a, b = _sum_g_gdev(g[i, j], x[i, j], mean[j])
            s += a
            sx += b
        sum_g[j] = s
        sum_gdev[j] = sx


@njit(cache=True, error_model="numpy")
def _bn_sums_rows(g, x, mean, sum_g, sum_gdev):
    m, c = x.shape
    sum_g[:] = 0.0
    sum_gdev[:] = 0.0
    for i in range(m):
        gs = g[i]
        xs = x[i]
        for j in range(np.uint64(c)):
            gj = np.float64(gs[j])
            sum_g[j] += gj
            sum_gdev[j] += gj * (xs[j] - mean[j])


@njit(cache=True, error_model="numpy")
def _bn_dx_planes(g, x, k, p, q, training, dx):
    n, c, length = x.shape
    for i in range(n):
        for j in range(c):
            gs = g[i, j]
            xs = x[i, j]
            ds = dx[i, j]
            kj = k[j]
            if training:
                pj = p[j]
                qj = q[j]
                for t in range(np.uint64(length)):
                    ds[t] = gs[t] * kj + xs[t] * pj + qj
            else:
                for t in range(np.uint64(length)):
                    ds[t] = gs[t] * kj


@njit(cache=True, error_model="numpy")
def _bn_dx_rows(g, x, k, p, q, training, dx):
    m, c = x.shape
    for i in range(m):
        gs = g[i]
        xs = x[i]
        ds = dx[i]
        if training:
            for j in range(np.uint64(c)):
                ds[j] = gs[j] * k[j] + xs[j] * p[j] + q[j]
        else:
            for j in range(np.uint64(c)):
                ds[j] = gs[j] * k[j]


def batch_norm_backward(g: np.ndarray, x: np.ndarray, mean: np.ndarray, invstd: np.ndarray,
                        weight: np.ndarray | None, training: bool, need_dx: bool,
                        planes: bool) -> tuple:
    """Gradients of batch norm from the output's ``g`` and the input ``x`` (same layout).

    ``mean`` and ``invstd`` (float64, per channel) are the statistics the forward used: the
    batch's in training, the running ones otherwise. With ``xhat = (x - mean) * invstd``,
    ``n`` elements per channel and ``w`` the weight (1 when None), the input gradient is
    ``w * invstd * (g - sum(g) / n - xhat * sum(g * xhat) / n)`` in training, which is
    ``g * k + x * p + q`` with ``k = w * invstd``, ``p = -k * invstd**2 * sum(g (x - mean)) / n``,
    ``q = -p * mean - k * sum(g) / n``; in evaluation it is ``g * k``.

    Returns:
        ``(dx or None, sum(g * xhat), sum(g))``, the last two per channel in float64 (the
        gradients of the weight and bias).
    """
    c = x.shape[1]
    count = x.size // c if c else 0
    sum_g, sum_gdev = np.empty(c), np.empty(c)
    (_bn_sums_planes if planes else _bn_sums_rows)(g, x, mean, sum_g, sum_gdev)
    dx = None
    if need_dx:
        k64 = invstd if weight is None else invstd * weight
        p64 = -k64 * invstd * invstd * sum_gdev / count
        q64 = -p64 * mean - k64 * sum_g / count
        k, p, q = (a.astype(x.dtype) for a in (k64, p64, q64))
        dx = np.empty_like(x)
        (_bn_dx_planes if planes else _bn_dx_rows)(g, x, k, p, q, training, dx)
    return dx, sum_gdev * invstd, sum_g


# -- layer norm --------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _ln_forward(x, w, b, has_w, has_b, eps, y, mean, rstd):
    rows, d = x.shape
    coef = np.empty(3, x.dtype)
    ud = np.uint64(d)
    for r in range(rows):
        m, v = _row_moments(x, r)
        inv = 1.0 / np.sqrt(v + eps)
        mean[r] = m
        rstd[r] = inv
        coef[0] = inv
        coef[1] = m
        coef[2] = coef[0] * coef[1]  # in x's dtype, as x * rstd: a row of one value gives 0
        a = coef[0]
        c = -coef[2]
        if has_w and has_b:
            for i in range(ud):
                y[r, i] = (x[r, i] * a + c) * w[i] + b[i]
        elif has_w:
            for i in range(ud):
                y[r, i] = (x[r, i] * a + c) * w[i]
        elif has_b:
            for i in range(ud):
                y[r, i] = (x[r, i] * a + c) + b[i]
        else:
            for i in range(ud):
                y[r, i] = x[r, i] * a + c


def layer_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                       eps: float) -> tuple:
    """Layer norm of each row of a C-contiguous ``(R, D)`` array.

    ``y = (x * rstd - rstd * mean) * w + b`` in ``x``'s dtype (as torch: ``rstd * mean``
    is the product of the rounded statistics, so ``x == mean`` gives exactly 0).

    Returns:
        ``(y, mean, rstd)``, the statistics per row in float64.
    """
    rows = x.shape[0]
    y = np.empty_like(x)
    mean, rstd = np.empty(rows), np.empty(rows)
    empty = x[0, :0] if rows else np.empty(0, x.dtype)
    _ln_forward(x, empty if weight is None else weight, empty if bias is None else bias,
                weight is not None, bias is not None, float(eps), y, mean, rstd)
    return y, mean, rstd


@njit(cache=True, error_model="numpy")
def _ln_backward(g, x, mean, rstd, w, has_w, need_dx, need_dw, need_db, dx, dw, db):
    rows, d = x.shape
    ud = np.uint64(d)
    coef = np.empty(3, x.dtype)
    part_w = np.zeros(d, x.dtype)
    part_b = np.zeros(d, x.dtype)
    for r in range(rows):
        m = mean[r]
        a = rstd[r]
        if need_dx:
            # dx = a * g * w + p * x + q with s = sum(g w), sx = sum(g w x):
            # p = (s * mean - sx) * a**3 / d,  q = -p * mean - s * a / d
            coef[0] = 0
            s, sx = _sum_g_gx(g, x, r, w, has_w, coef[0])
            p = (s * m - sx) * a * a * a / d
            coef[0] = a
            coef[1] = p
            coef[2] = -p * m - s * a / d
            ca = coef[0]
            cp = coef[1]
            cq = coef[2]
            if has_w:
                for i in range(ud):
                    dx[r, i] = ca * g[r, i] * w[i] + cp * x[r, i] + cq
            else:
                for i in range(ud):
                    dx[r, i] = ca * g[r, i] + cp * x[r, i] + cq
        if need_dw or need_db:
            # sums over a block of rows in the data's dtype (vectorized at its width), added
            # to the float64 totals once per block
            coef[0] = a
            coef[1] = -a * m
            ca = coef[0]
            cm = coef[1]
            for i in range(ud):
                gi = g[r, i]
                part_w[i] += gi * (x[r, i] * ca + cm)
                part_b[i] += gi
            if (r + 1) % _BLOCK_ROWS == 0 or r == rows - 1:
                for i in range(ud):
                    dw[i] += part_w[i]
                    db[i] += part_b[i]
                    part_w[i] = 0
                    part_b[i] = 0


def layer_norm_backward(g: np.ndarray, x: np.ndarray, mean: np.ndarray, rstd: np.ndarray,
                        weight: np.ndarray | None, need_dx: bool, need_dw: bool,
                        need_db: bool) -> tuple:
    """Gradients of :func:`layer_norm_forward` from the output's ``g`` (both ``(R, D)``).

    Returns:
        ``(dx, dw, db)``, each None when not asked; ``dw`` and ``db`` are float64 ``(D,)``.
    """
    d = x.shape[1]
    dx = np.empty_like(x) if need_dx else x[:0]
    dw, db = np.zeros(d), np.zeros(d)
    w = x[0, :0] if weight is None else weight
    _ln_backward(g, x, mean, rstd, w, weight is not None, need_dx, need_dw, need_db, dx, dw,
                 db)
    return (dx if need_dx else None, dw if need_dw else None, db if need_db else None)

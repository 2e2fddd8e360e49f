"""Cross entropy and nll loss over class-index targets, as compiled loops over plain arrays.

The logits come in one of two C-contiguous layouts: ``rows`` ``(M, C)`` (a ``(C,)`` or
``(N, C)`` input) and ``planes`` ``(N, C, L)`` (an ``(N, C, d1, ...)`` input with
``L = d1 * ...``, left in place: the class dim is strided and the loops run along ``L``).
Targets are the flat ``(M,)`` or ``(N * L,)`` class indices in the same order.

Cross entropy is ``log_softmax`` and ``nll_loss`` in one pass per row, the way torch computes
them: the row's max ``m``, ``s = sum(exp(x - m))`` accumulated in the logits' dtype (float32
for float32, as torch does), and ``log p = (x - m) - log(s)``. Forward writes ``log p`` only
when a gradient will need it (as torch's ``log_softmax`` output); backward reads it back and
forms ``exp(log p) * r - (one-hot and smoothing terms)`` in one pass, with no ``(M, C)``
temporary. float32 ``exp`` is :func:`exp32`, a polynomial LLVM vectorizes (Numba's ``exp``
calls libm one element at a time); float64 uses ``math.exp``.

Reductions are compiled with ``fastmath={"reassoc"}`` only, which lets LLVM vectorize a sum
(its order of addition changes; NaN and infinities keep their meaning); elementwise passes are
compiled without fast-math, so they round as written. ``ember.nn.functional.loss`` keeps the
NumPy statement of the same maths (its reference path, used for other dtypes); the tests hold
these kernels to it and to torch within float tolerance.

A target out of ``[0, C)`` (and not ``ignore_index``) stops a kernel, which returns that
target's flat position; otherwise kernels return -1.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from .jit import njit

__all__ = [
    "cross_entropy_backward",
    "cross_entropy_forward",
    "exp32",
    "nll_backward",
    "nll_forward",
    "reference_exp32",
]

_REASSOC = {"reassoc"}


# -- a vectorizable float32 exp -------------------------------------------------------------
@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE bits are the int32 ``bits``."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@intrinsic
def _maxnum(typingctx, a, b):
    """``max(a, b)`` of two floats of one type, the other one where one is NaN (LLVM's
    ``maxnum``, which, unlike a compare and select, a loop vectorizer can reduce with)."""
    if not isinstance(a, types.Float) or a != b:
        return None
    sig = a(a, b)

    def codegen(context, builder, signature, args):
        fty = args[0].type
        fnty = ir.FunctionType(fty, [fty, fty])
        fn = builder.module.declare_intrinsic("llvm.maxnum", [fty], fnty)
        return builder.call(fn, args)

    return sig, codegen


# Cephes' expf: exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in two parts
# (Cody-Waite; n * _LN2_HI is exact), exp(r) by a degree-7 polynomial on |r| <= ln(2) / 2.
_LOG2E = np.float32(1.44269504088896341)
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
_P = tuple(np.float32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                   4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_P0, _P1, _P2, _P3, _P4, _P5 = _P
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_HI = np.float32(100.0)  # exp(x) overflows above 88.73: clamped x still gives inf
_LO = np.float32(-104.0)  # exp(x) rounds to 0 below -103.98: clamped x still gives 0
_N_LO = np.float32(-150.0)


def _exp32(x):
    """``exp(x)`` of a float32, within 1 ulp (max 0.98 over the normal range; NumPy's float32
    ``exp`` is within 2.4 here), with inf, 0, NaN and subnormal results where ``exp`` has them.

    Straight-line code (the scale ``2^n`` is built from its exponent bits, in two halves so
    that subnormal results come out right), so that a loop calling it vectorizes.
    """
    y = x
    if y > _HI:
        y = _HI
    if y < _LO:  # NaN passes, and its n below is pinned to a valid integer
        y = _LO
    nf = np.floor(y * _LOG2E + _HALF)
    if not nf >= _N_LO:
        nf = _N_LO
    r = y - nf * _LN2_HI - nf * _LN2_LO
    p = _P0 * r + _P1
    p = p * r + _P2
    p = p * r + _P3
    p = p * r + _P4
    p = p * r + _P5
    p = p * r * r + r + _ONE
    n = np.int32(nf)
    n1 = n >> np.int32(1)
    s1 = _float32_from_bits((n1 + np.int32(127)) << np.int32(23))
    s2 = _float32_from_bits((n - n1 + np.int32(127)) << np.int32(23))
    return p * s1 * s2


exp32 = njit(cache=True, error_model="numpy")(_exp32)


def reference_exp32(x: np.ndarray) -> np.ndarray:
    """:func:`exp32` of a float32 array in NumPy, operation for operation (the tests hold the
    compiled function to it bit for bit)."""
    f = np.float32
    with np.errstate(all="ignore"):
        x = np.where(x > _HI, _HI, x).astype(f)
        x = np.where(x < _LO, _LO, x).astype(f)
        nf = np.floor(x * _LOG2E + _HALF)
        nf = np.where(nf >= _N_LO, nf, _N_LO).astype(f)
        r = x - nf * _LN2_HI - nf * _LN2_LO
        p = _P0 * r + _P1
        for c in (_P2, _P3, _P4, _P5):
            p = p * r + c
        p = p * r * r + r + _ONE
        n = np.nan_to_num(nf).astype(np.int32)
        n1 = n >> 1
        s1 = ((n1 + 127) << 23).astype(np.int32).view(f)
        s2 = ((n - n1 + 127) << 23).astype(np.int32).view(f)
        return (p * s1 * s2).astype(f)


def _exp(x):
    """``exp`` in the dtype of ``x`` (compiled code only: see the overload)."""
    return math.exp(x)


@overload(_exp)
def _exp_overload(x):
    if x == types.float32:
        return _exp32
    return _exp64


def _exp64(x):
    return math.exp(x)


# -- per-row steps --------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _max(row):
    """The largest element of ``row`` other than NaN (with a NaN in the row, the sum of
    ``exp(x - max)`` is NaN, as is torch's)."""
    mx = row[0]
    for j in range(1, row.shape[0]):
        mx = _maxnum(mx, row[j])
    return mx


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_exp(row, mx):
    """``sum(exp(row - mx))`` in the row's dtype."""
    s = row.dtype.type(0.0)
    for j in range(row.shape[0]):
        s += _exp(row[j] - mx)
    return s


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_shifted(row, mx, weight, has_weight):
    """``sum(w * (row - mx))`` (``w`` = 1 without a weight), for label smoothing."""
    s = row.dtype.type(0.0)
    if has_weight:
        for j in range(row.shape[0]):
            s += weight[j] * (row[j] - mx)
    else:
        for j in range(row.shape[0]):
            s += row[j] - mx
    return s


@njit(cache=True, error_model="numpy")
def _write_log_probs(row, mx, log_s, out):
    for j in range(row.shape[0]):
        out[j] = (row[j] - mx) - log_s


@njit(cache=True, error_model="numpy")
def _target_weight(ti, c, weight, has_weight, ignore_index):
    """``(weight of the sample, is it valid, is its target in range)``."""
    if ti == ignore_index:
        return weight.dtype.type(0.0), False, True
    if ti < 0 or ti >= c:
        return weight.dtype.type(0.0), False, False
    if has_weight:
        return weight[ti], True, True
    return weight.dtype.type(1.0), True, True


@njit(cache=True, error_model="numpy")
def _sample_loss(lse_part, shifted_t, wt, valid, eps, smooth_sum, wsum, c):
    """The loss of one sample from ``log(s)``, ``x[t] - m``, its weight, and (with label
    smoothing ``eps``) ``sum_c w_c (x_c - m)``: ``(1 - eps) wt (log s - (x_t - m)) + eps / C
    (wsum log s - smooth_sum)``; 0 for an ignored target, as torch (whatever the logits)."""
    if not valid:
        return wt  # 0
    loss = (lse_part - shifted_t) * wt
    if eps > 0:
        loss = (1 - eps) * loss + (eps / c) * (wsum * lse_part - smooth_sum)
    return loss


# -- cross entropy ----------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _ce_rows_forward(x, t, weight, has_weight, ignore_index, eps, loss, wt, logp, save):
    m, c = x.shape
    wsum = _wsum(weight, has_weight, c, x.dtype.type(0.0))
    for i in range(m):
        w, valid, ok = _target_weight(t[i], c, weight, has_weight, ignore_index)
        if not ok:
            return i
        row = x[i]
        mx = _max(row)
        log_s = math.log(_sum_exp(row, mx))
        smooth = _sum_shifted(row, mx, weight, has_weight) if eps > 0 else log_s * 0
        shifted_t = row[t[i]] - mx if valid else log_s * 0
        loss[i] = _sample_loss(log_s, shifted_t, w, valid, eps, smooth, wsum, c)
        wt[i] = w
        if save:
            _write_log_probs(row, mx, log_s, logp[i])
    return -1


@njit(cache=True, error_model="numpy")
def _wsum(weight, has_weight, c, zero):
    if not has_weight:
        return zero + c
    s = zero
    for j in range(c):
        s += weight[j]
    return s


@njit(cache=True, error_model="numpy")
def _planes_max(x, n, mx):
    c, length = x.shape[1], x.shape[2]
    mx[:] = x[n, 0]
    for k in range(1, c):
        xs = x[n, k]
        for j in range(length):
            mx[j] = _maxnum(mx[j], xs[j])


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _planes_sums(x, n, mx, s, sx, weight, has_weight, smooth):
    c, length = x.shape[1], x.shape[2]
    s[:] = 0
    sx[:] = 0
    for k in range(c):
        xs = x[n, k]
        for j in range(length):
            s[j] += _exp(xs[j] - mx[j])
        if smooth:
            wk = weight[k] if has_weight else x.dtype.type(1.0)
            for j in range(length):
                sx[j] += wk * (xs[j] - mx[j])


@njit(cache=True, error_model="numpy")
def _ce_planes_forward(x, t, weight, has_weight, ignore_index, eps, loss, wt, logp, save):
    nb, c, length = x.shape
    wsum = _wsum(weight, has_weight, c, x.dtype.type(0.0))
    mx = np.empty(length, x.dtype)
    s = np.empty(length, x.dtype)
    sx = np.empty(length, x.dtype)
    for n in range(nb):
        base = n * length
        for j in range(length):
            ti = t[base + j]
            if not _target_weight(ti, c, weight, has_weight, ignore_index)[2]:
                return base + j
        _planes_max(x, n, mx)
        _planes_sums(x, n, mx, s, sx, weight, has_weight, eps > 0)
        for j in range(length):
            s[j] = math.log(s[j])
        for j in range(length):
            ti = t[base + j]
            w, valid, _ = _target_weight(ti, c, weight, has_weight, ignore_index)
            shifted_t = x[n, ti, j] - mx[j] if valid else s[j] * 0
            loss[base + j] = _sample_loss(s[j], shifted_t, w, valid, eps, sx[j], wsum, c)
            wt[base + j] = w
        if save:
            for k in range(c):
                xs = x[n, k]
                out = logp[n, k]
                for j in range(length):
                    out[j] = (xs[j] - mx[j]) - s[j]
    return -1


def cross_entropy_forward(x: np.ndarray, t: np.ndarray, weight: np.ndarray | None,
                          ignore_index: int, label_smoothing: float,
                          logp: np.ndarray | None = None) -> tuple:
    """Per-sample cross entropy of C-contiguous ``rows`` ``(M, C)`` or ``planes`` ``(N, C, L)``
    logits (float32 or float64) against flat class indices ``t``.

    Args:
        x: the logits.
        t: ``(M,)`` or ``(N * L,)`` int64 or uint8 class indices.
        weight: ``(C,)`` class weights in ``x``'s dtype, or None.
        ignore_index: the target value that is no class.
        label_smoothing: ``eps`` in ``[0, 1]``.
        logp: if given, a C-contiguous array of ``x``'s shape and dtype that receives
            ``log_softmax(x)`` over the classes (what backward reads).

    Returns:
        ``(bad, loss, wt)``: the flat position of the first target out of range (-1 if none;
        the other results are then incomplete), the per-sample losses (0 where ignored) and
        the per-sample weights ``weight[t]`` (0 where ignored, 1 without weights).
    """
    m = t.shape[0]
    loss = np.empty(m, x.dtype)
    wt = np.empty(m, x.dtype)
    save = logp is not None
    out = logp if save else np.empty((0,) * x.ndim, x.dtype)
    has_weight = weight is not None
    w = weight if has_weight else np.empty(0, x.dtype)
    run = _ce_rows_forward if x.ndim == 2 else _ce_planes_forward
    bad = run(x, t, w, has_weight, ignore_index, float(label_smoothing), loss, wt, out, save)
    return bad, loss, wt


@njit(cache=True, error_model="numpy")
def _row_coefficients(g, ti, wt_i, valid, eps, wsum, c):
    """``(r, gw, gv)`` of one row: ``dx = exp(log p) r - gw [c = t] - gv w_c``."""
    gw = g * wt_i
    if eps > 0:
        gw = gw * (1 - eps)
        gv = g * (eps / c) if valid else g * 0
        return gw + gv * wsum, gw, gv
    return gw, gw, g * 0


@njit(cache=True, error_model="numpy")
def _ce_rows_backward(logp, t, wt, g, g_all, weight, has_weight, ignore_index, eps, gx):
    m, c = logp.shape
    wsum = _wsum(weight, has_weight, c, logp.dtype.type(0.0))
    for i in range(m):
        ti = t[i]
        valid = ti != ignore_index
        gi = g[i] if g.shape[0] else logp.dtype.type(g_all)
        r, gw, gv = _row_coefficients(gi, ti, wt[i], valid, eps, wsum, c)
        lp = logp[i]
        out = gx[i]
        if eps > 0 and has_weight:
            for j in range(c):
                out[j] = _exp(lp[j]) * r - gv * weight[j]
        elif eps > 0:
            for j in range(c):
                out[j] = _exp(lp[j]) * r - gv
        else:
            for j in range(c):
                out[j] = _exp(lp[j]) * r
        if valid:
            out[ti] -= gw


@njit(cache=True, error_model="numpy")
def _ce_planes_backward(logp, t, wt, g, g_all, weight, has_weight, ignore_index, eps, gx):
    nb, c, length = logp.shape
    wsum = _wsum(weight, has_weight, c, logp.dtype.type(0.0))
    r = np.empty(length, logp.dtype)
    gw = np.empty(length, logp.dtype)
    gv = np.empty(length, logp.dtype)
    for n in range(nb):
        base = n * length
        for j in range(length):
            ti = t[base + j]
            gi = g[base + j] if g.shape[0] else logp.dtype.type(g_all)
            r[j], gw[j], gv[j] = _row_coefficients(gi, ti, wt[base + j], ti != ignore_index,
                                                   eps, wsum, c)
        for k in range(c):
            lp = logp[n, k]
            out = gx[n, k]
            wk = weight[k] if has_weight else logp.dtype.type(1.0)
            if eps > 0:
                for j in range(length):
                    out[j] = _exp(lp[j]) * r[j] - gv[j] * wk
            else:
                for j in range(length):
                    out[j] = _exp(lp[j]) * r[j]
        for j in range(length):
            ti = t[base + j]
            if ti != ignore_index:
                gx[n, ti, j] -= gw[j]


def _grad_args(g, dtype) -> tuple:
    """A loss gradient as the kernels take it: ``(per-sample array, 0.0)``, or ``(empty array,
    value)`` for one value for all samples (a number or a 0-d array)."""
    if isinstance(g, np.ndarray) and g.ndim:
        return np.ascontiguousarray(g.reshape(-1), dtype=dtype), 0.0
    return np.empty(0, dtype), float(g)


def cross_entropy_backward(logp: np.ndarray, t: np.ndarray, wt: np.ndarray, g,
                           weight: np.ndarray | None, ignore_index: int,
                           label_smoothing: float, out: np.ndarray) -> None:
    """The gradient of the logits from what :func:`cross_entropy_forward` saved.

    Args:
        logp: the saved log-probabilities (``rows`` or ``planes``).
        t, wt: the targets and the per-sample weights forward returned.
        g: the gradient of each sample's loss: an array of ``M`` values, or one value for all
            (a number or a 0-d array).
        weight, ignore_index, label_smoothing: as given to forward.
        out: receives ``dx`` (C-contiguous, the layout and dtype of ``logp``):
            ``softmax(x) r - g wt (1 - eps) [c = t] - g eps / C w_c`` per sample, with
            ``r = g wt (1 - eps) + g eps / C sum(w)`` (valid samples only in the smoothing
            terms).
    """
    g, g_all = _grad_args(g, logp.dtype)
    has_weight = weight is not None
    w = weight if has_weight else np.empty(0, logp.dtype)
    run = _ce_rows_backward if logp.ndim == 2 else _ce_planes_backward
    run(logp, t, wt, g, g_all, w, has_weight, ignore_index, float(label_smoothing), out)


# -- nll ----------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _nll_forward(x, t, weight, has_weight, ignore_index, loss, wt):
    nb, c, length = x.shape
    for n in range(nb):
        base = n * length
        for j in range(length):
            ti = t[base + j]
            w, valid, ok = _target_weight(ti, c, weight, has_weight, ignore_index)
            if not ok:
                return base + j
            loss[base + j] = -x[n, ti, j] * w if valid else w
            wt[base + j] = w
    return -1


def nll_forward(x: np.ndarray, t: np.ndarray, weight: np.ndarray | None, ignore_index: int):
    """Per-sample ``-weight[t] * x[t]`` of log-probabilities ``x`` seen as ``(N, C, L)`` (any
    strides) against flat class indices ``t``.

    Returns:
        ``(bad, loss, wt)`` as :func:`cross_entropy_forward` (0 loss where ignored).
    """
    m = t.shape[0]
    loss = np.empty(m, x.dtype)
    wt = np.empty(m, x.dtype)
    has_weight = weight is not None
    w = weight if has_weight else np.empty(0, x.dtype)
    bad = _nll_forward(x, t, w, has_weight, ignore_index, loss, wt)
    return bad, loss, wt


@njit(cache=True, error_model="numpy")
def _nll_backward(t, wt, g, g_all, ignore_index, gx):
    nb, _, length = gx.shape
    gx[:] = 0
    for n in range(nb):
        base = n * length
        for j in range(length):
            ti = t[base + j]
            if ti != ignore_index:
                gi = g[base + j] if g.shape[0] else gx.dtype.type(g_all)
                gx[n, ti, j] = -(gi * wt[base + j])


def nll_backward(t: np.ndarray, wt: np.ndarray, g, ignore_index: int,
                 out: np.ndarray) -> None:
    """Writes ``d loss / d x`` of :func:`nll_forward` into the C-contiguous ``(N, C, L)``
    ``out``: ``-g wt`` at each target, 0 elsewhere (``g`` as in
    :func:`cross_entropy_backward`)."""
    g, g_all = _grad_args(g, out.dtype)
    _nll_backward(t, wt, g, g_all, ignore_index, out)

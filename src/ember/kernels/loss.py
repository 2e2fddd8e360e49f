"""Cross entropy and nll loss over class-index targets, as compiled loops over plain arrays.

The logits come in one of two C-contiguous layouts: ``rows`` ``(M, C)`` (a ``(C,)`` or
``(N, C)`` input) and ``planes`` ``(N, C, L)`` (an ``(N, C, d1, ...)`` input with
``L = d1 * ...``, left in place: the class dim is strided and the loops run along ``L``).
Targets are the flat ``(M,)`` or ``(N * L,)`` class indices in the same order.

Cross entropy is ``log_softmax`` and ``nll_loss`` in one pass per sample, computed as torch
computes them: the max ``m`` over the classes, ``s = sum(exp(x - m))`` accumulated in the
logits' dtype (float32 for float32, as torch's kernel does), ``log p = (x - m) - log(s)``.
When a gradient will be needed, forward stores ``e = exp(x - m)`` in the same pass that sums
it (and ``s``), so backward is one multiply per element, ``dx = e * (r / s) - (one-hot and
smoothing terms)``, with no second ``exp`` and no ``(M, C)`` temporary. float32 ``exp`` is
:func:`exp32`, a polynomial LLVM vectorizes (Numba's ``exp`` calls libm one element at a
time); float64 uses ``math.exp``.

Reductions are compiled with ``fastmath={"reassoc"}`` only, which lets LLVM vectorize a sum
(its order of addition changes; NaN and infinities keep their meaning); elementwise passes are
compiled without fast-math, so they round as written. ``ember.nn.functional.loss`` keeps the
NumPy statement of the same maths (its reference path, used for other dtypes); the tests hold
these kernels to it and to torch within float tolerance.

A target out of ``[0, C)`` (and not ``ignore_index``) stops a kernel, which returns that
target's flat position; otherwise kernels return -1. Forward kernels also return the sums of
the per-sample losses and weights, accumulated in float64 (torch sums them in the dtype; these
are at least as accurate), for the ``'sum'`` and ``'mean'`` reductions.
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
    # no caller is compiled with fastmath (see _exp_row), so exp32 rounds as written
    if x == types.float32:
        return lambda x: exp32(x)
    return lambda x: math.exp(x)


# -- per-row steps --------------------------------------------------------------------------
# They index the 2-D arrays themselves: a row view (``x[i]``) would cost two reference-count
# updates per row, several times the work of a short row.
@njit(cache=True, error_model="numpy", inline="always")
def _max(x, i):
    """The largest element of row ``i`` other than NaN (with a NaN in the row, the sum of
    ``exp(x - max)`` is NaN, as is torch's)."""
    mx = x[i, 0]
    for j in range(1, x.shape[1]):
        mx = _maxnum(mx, x[i, j])
    return mx


@njit(cache=True, error_model="numpy", inline="always")
def _exp_row(x, i, mx, out, k):
    """``out[k] = exp(x[i] - mx)``.

    Kept apart from the sums: Numba compiles a function called from one compiled with
    ``fastmath`` with the caller's flags, which would let LLVM reorder ``exp32``'s steps.
    """
    for j in range(x.shape[1]):
        out[k, j] = _exp(x[i, j] - mx)


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_row(a, k):
    """``sum(a[k])`` in ``a``'s dtype."""
    s = a.dtype.type(0.0)
    for j in range(a.shape[1]):
        s += a[k, j]
    return s


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _sum_shifted(x, i, mx, weight, has_weight):
    """``sum(w * (x[i] - mx))`` (``w`` = 1 without a weight), for label smoothing."""
    s = x.dtype.type(0.0)
    if has_weight:
        for j in range(x.shape[1]):
            s += weight[j] * (x[i, j] - mx)
    else:
        for j in range(x.shape[1]):
            s += x[i, j] - mx
    return s


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
def _sample_loss(log_s, shifted_t, wt, valid, eps, smooth_sum, wsum, c):
    """The loss of one sample from ``log(s)``, ``x[t] - m``, its weight, and (with label
    smoothing ``eps``) ``sum_c w_c (x_c - m)``: ``(1 - eps) wt (log s - (x_t - m)) + eps / C
    (wsum log s - smooth_sum)``; 0 for an ignored target, as torch (whatever the logits)."""
    if not valid:
        return wt  # 0
    loss = (log_s - shifted_t) * wt
    if eps > 0:
        loss = (1 - eps) * loss + (eps / c) * (wsum * log_s - smooth_sum)
    return loss


@njit(cache=True, error_model="numpy")
def _wsum(weight, has_weight, c, zero):
    if not has_weight:
        return zero + c
    s = zero
    for j in range(c):
        s += weight[j]
    return s


@njit(cache=True, error_model="numpy")
def _totals(loss, wt):
    """``(-1, sum(loss), sum(wt))``, the sums in float64: what a forward kernel returns."""
    a = 0.0
    b = 0.0
    for i in range(loss.shape[0]):
        a += loss[i]
        b += wt[i]
    return -1, a, b


# -- cross entropy ----------------------------------------------------------------------------
_NONE: dict = {}


def _none(dtype, ndim: int) -> np.ndarray:
    """An empty array standing for an absent argument (kept: allocating one costs more than
    a short row's work)."""
    key = (np.dtype(dtype), ndim)
    a = _NONE.get(key)
    if a is None:
        a = _NONE[key] = np.empty((0,) * ndim, dtype)
    return a


@njit(cache=True, error_model="numpy")
def _ce_rows_forward(x, t, weight, has_weight, ignore_index, eps, loss, wt, sums, ex, save):
    m, c = x.shape
    wsum = _wsum(weight, has_weight, c, x.dtype.type(0.0))
    scratch = np.empty((0 if save else 1, c), x.dtype)
    for i in range(m):
        w, valid, ok = _target_weight(t[i], c, weight, has_weight, ignore_index)
        if not ok:
            return i, 0.0, 0.0
        mx = _max(x, i)
        if save:
            _exp_row(x, i, mx, ex, i)
            s = _sum_row(ex, i)
        else:
            _exp_row(x, i, mx, scratch, 0)
            s = _sum_row(scratch, 0)
        sums[i] = s
        log_s = math.log(s)
        smooth = _sum_shifted(x, i, mx, weight, has_weight) if eps > 0 else log_s * 0
        shifted_t = x[i, t[i]] - mx if valid else log_s * 0
        loss[i] = _sample_loss(log_s, shifted_t, w, valid, eps, smooth, wsum, c)
        wt[i] = w
    return _totals(loss, wt)


@njit(cache=True, error_model="numpy")
def _planes_max(x, n, mx):
    c, length = x.shape[1], x.shape[2]
    mx[:] = x[n, 0]
    for k in range(1, c):
        xs = x[n, k]
        for j in range(length):
            mx[j] = _maxnum(mx[j], xs[j])


@njit(cache=True, error_model="numpy")
def _planes_sums(x, n, mx, s, sx, weight, has_weight, smooth, ex, save):
    c, length = x.shape[1], x.shape[2]
    s[:] = 0
    sx[:] = 0
    for k in range(c):
        xs = x[n, k]
        if save:
            es = ex[n, k]
            for j in range(length):
                e = _exp(xs[j] - mx[j])
                es[j] = e
                s[j] += e
        else:
            for j in range(length):
                s[j] += _exp(xs[j] - mx[j])
        if smooth:
            wk = weight[k] if has_weight else x.dtype.type(1.0)
            for j in range(length):
                sx[j] += wk * (xs[j] - mx[j])


@njit(cache=True, error_model="numpy")
def _ce_planes_forward(x, t, weight, has_weight, ignore_index, eps, loss, wt, sums, ex, save):
    nb, c, length = x.shape
    wsum = _wsum(weight, has_weight, c, x.dtype.type(0.0))
    mx = np.empty(length, x.dtype)
    sx = np.empty(length, x.dtype)
    for n in range(nb):
        base = n * length
        for j in range(length):
            if not _target_weight(t[base + j], c, weight, has_weight, ignore_index)[2]:
                return base + j, 0.0, 0.0
        s = sums[base:base + length]
        _planes_max(x, n, mx)
        _planes_sums(x, n, mx, s, sx, weight, has_weight, eps > 0, ex, save)
        for j in range(length):
            ti = t[base + j]
            w, valid, _ = _target_weight(ti, c, weight, has_weight, ignore_index)
            log_s = math.log(s[j])
            shifted_t = x[n, ti, j] - mx[j] if valid else log_s * 0
            loss[base + j] = _sample_loss(log_s, shifted_t, w, valid, eps, sx[j], wsum, c)
            wt[base + j] = w
    return _totals(loss, wt)


def cross_entropy_forward(x: np.ndarray, t: np.ndarray, weight: np.ndarray | None,
                          ignore_index: int, label_smoothing: float,
                          ex: np.ndarray | None = None) -> tuple:
    """Per-sample cross entropy of C-contiguous ``rows`` ``(M, C)`` or ``planes`` ``(N, C, L)``
    logits (float32 or float64) against flat class indices ``t``.

    Args:
        x: the logits.
        t: ``(M,)`` or ``(N * L,)`` int64 or uint8 class indices.
        weight: ``(C,)`` class weights in ``x``'s dtype, or None.
        ignore_index: the target value that is no class.
        label_smoothing: ``eps`` in ``[0, 1]``.
        ex: if given, a C-contiguous array of ``x``'s shape and dtype that receives
            ``exp(x - max)`` over the classes (what backward reads, with the sums).

    Returns:
        ``(bad, loss, wt, sums, loss_sum, weight_sum)``: the flat position of the first
        target out of range (-1 if none; the other results are then incomplete), the
        per-sample losses (0 where ignored), the per-sample weights ``weight[t]`` (0 where
        ignored, 1 without weights), the per-sample ``sum(exp(x - max))``, and the float64
        sums of ``loss`` and ``wt``.
    """
    m = t.shape[0]
    loss = np.empty(m, x.dtype)
    wt = np.empty(m, x.dtype)
    sums = np.empty(m, x.dtype)
    save = ex is not None
    out = ex if save else _none(x.dtype, x.ndim)
    has_weight = weight is not None
    w = weight if has_weight else _none(x.dtype, 1)
    run = _ce_rows_forward if x.ndim == 2 else _ce_planes_forward
    bad, loss_sum, weight_sum = run(x, t, w, has_weight, ignore_index, float(label_smoothing),
                                    loss, wt, sums, out, save)
    return bad, loss, wt, sums, loss_sum, weight_sum


@njit(cache=True, error_model="numpy")
def _row_coefficients(g, s, wt_i, valid, eps, wsum, c):
    """``(r / s, gw, gv)`` of one sample: ``dx = e r / s - gw [c = t] - gv w_c``."""
    gw = g * wt_i
    if eps > 0:
        gw = gw * (1 - eps)
        gv = g * (eps / c) if valid else g * 0
        return (gw + gv * wsum) / s, gw, gv
    return gw / s, gw, g * 0


@njit(cache=True, error_model="numpy")
def _ce_rows_backward(ex, sums, t, wt, g, g_all, weight, has_weight, ignore_index, eps, gx):
    m, c = ex.shape
    wsum = _wsum(weight, has_weight, c, ex.dtype.type(0.0))
    for i in range(m):
        ti = t[i]
        valid = ti != ignore_index
        gi = g[i] if g.shape[0] else ex.dtype.type(g_all)
        q, gw, gv = _row_coefficients(gi, sums[i], wt[i], valid, eps, wsum, c)
        if eps > 0 and has_weight:
            for j in range(c):
                gx[i, j] = ex[i, j] * q - gv * weight[j]
        elif eps > 0:
            for j in range(c):
                gx[i, j] = ex[i, j] * q - gv
        else:
            for j in range(c):
                gx[i, j] = ex[i, j] * q
        if valid:
            gx[i, ti] -= gw


@njit(cache=True, error_model="numpy")
def _ce_planes_backward(ex, sums, t, wt, g, g_all, weight, has_weight, ignore_index, eps, gx):
    nb, c, length = ex.shape
    wsum = _wsum(weight, has_weight, c, ex.dtype.type(0.0))
    q = np.empty(length, ex.dtype)
    gw = np.empty(length, ex.dtype)
    gv = np.empty(length, ex.dtype)
    for n in range(nb):
        base = n * length
        for j in range(length):
            ti = t[base + j]
            gi = g[base + j] if g.shape[0] else ex.dtype.type(g_all)
            q[j], gw[j], gv[j] = _row_coefficients(gi, sums[base + j], wt[base + j],
                                                   ti != ignore_index, eps, wsum, c)
        for k in range(c):
            es = ex[n, k]
            out = gx[n, k]
            wk = weight[k] if has_weight else ex.dtype.type(1.0)
            if eps > 0:
                for j in range(length):
                    out[j] = es[j] * q[j] - gv[j] * wk
            else:
                for j in range(length):
                    out[j] = es[j] * q[j]
        for j in range(length):
            ti = t[base + j]
            if ti != ignore_index:
                gx[n, ti, j] -= gw[j]


def _grad_args(g, dtype) -> tuple:
    """A loss gradient as the kernels take it: ``(per-sample array, 0.0)``, or ``(empty array,
    value)`` for one value for all samples (a number or a 0-d array)."""
    if isinstance(g, np.ndarray) and g.ndim:
        return np.ascontiguousarray(g.reshape(-1), dtype=dtype), 0.0
    return _none(dtype, 1), float(g)


def cross_entropy_backward(ex: np.ndarray, sums: np.ndarray, t: np.ndarray, wt: np.ndarray,
                           g, weight: np.ndarray | None, ignore_index: int,
                           label_smoothing: float, out: np.ndarray) -> None:
    """The gradient of the logits from what :func:`cross_entropy_forward` saved.

    Args:
        ex, sums: ``exp(x - max)`` (``rows`` or ``planes``) and its per-sample sums.
        t, wt: the targets and the per-sample weights forward returned.
        g: the gradient of each sample's loss: an array of ``M`` values, or one value for all
            (a number or a 0-d array).
        weight, ignore_index, label_smoothing: as given to forward.
        out: receives ``dx`` (C-contiguous, the layout and dtype of ``ex``):
            ``softmax(x) r - g wt (1 - eps) [c = t] - g eps / C w_c`` per sample, with
            ``r = g wt (1 - eps) + g eps / C sum(w)`` (valid samples only in the smoothing
            terms) and ``softmax(x) r = e (r / s)``.
    """
    g, g_all = _grad_args(g, ex.dtype)
    has_weight = weight is not None
    w = weight if has_weight else _none(ex.dtype, 1)
    run = _ce_rows_backward if ex.ndim == 2 else _ce_planes_backward
    run(ex, sums, t, wt, g, g_all, w, has_weight, ignore_index, float(label_smoothing), out)


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
                return base + j, 0.0, 0.0
            loss[base + j] = -x[n, ti, j] * w if valid else w
            wt[base + j] = w
    return _totals(loss, wt)


def nll_forward(x: np.ndarray, t: np.ndarray, weight: np.ndarray | None, ignore_index: int):
    """Per-sample ``-weight[t] * x[t]`` of log-probabilities ``x`` seen as ``(N, C, L)`` (any
    strides) against flat class indices ``t``.

    Returns:
        ``(bad, loss, wt, loss_sum, weight_sum)`` as :func:`cross_entropy_forward` (0 loss
        where ignored).
    """
    m = t.shape[0]
    loss = np.empty(m, x.dtype)
    wt = np.empty(m, x.dtype)
    has_weight = weight is not None
    w = weight if has_weight else _none(x.dtype, 1)
    bad, loss_sum, weight_sum = _nll_forward(x, t, w, has_weight, ignore_index, loss, wt)
    return bad, loss, wt, loss_sum, weight_sum


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

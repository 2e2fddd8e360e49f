"""The gate arithmetic of recurrent layers, one compiled pass per time step (imported on first use).

A recurrent layer spends its time in two places: the matrix products (NumPy's BLAS does
those, outside these kernels) and the elementwise work that turns pre-activations into gates
and states. Done with ufuncs that work is a dozen passes over small arrays per step, each with
its dispatch cost; here it is one loop per step forward and one backward, for LSTM, GRU and
the Elman RNN, float32 and float64.

The loops must vectorize, and Numba's ``math.exp`` / ``math.tanh`` are scalar libm calls
(tanh about 20 ns an element on this machine), so ``exp`` and ``tanh`` are written here in
plain arithmetic after Cephes (``expf``/``exp``: Cody-Waite reduction by ln 2, a polynomial
or Padé form, and the power of two put into the exponent bits; ``tanhf``/``tanh``: an odd
polynomial below 0.625, ``1 - 2 / (exp(2|x|) + 1)`` above). They are within 2 ulps of the
exact values, the sigmoid ``1 / (1 + exp(-x))`` within 3 (the tests measure it).
``reference_exp``, ``reference_tanh`` and ``reference_sigmoid`` state the same arithmetic in
NumPy; the compiled ones equal them bit for bit (no fast-math, so LLVM
contracts nothing into fused multiply-adds).

The forward kernels run one loop per kind of activation (one loop computing sigmoids and
tanhs together did not vectorize well: 6x slower). Each step kernel works on flat
C-contiguous views of ``(batch, k * hidden)`` blocks; the gate blocks are laid out as PyTorch
stacks them (LSTM: input, forget, cell, output; GRU: reset, update, new). ``one`` is 1 in the
arrays' dtype, so that float32 arithmetic stays float32. Indices are unsigned (signed ones
stop vectorization; see ``PERF_NOTES``), and the kernels use NumPy's error model: Python's
raises on a division by zero, and that check alone keeps a loop with a division from
vectorizing. The scalar helpers are inlined by LLVM, not by Numba (``inline="always"``
made the LSTM forward step take 10 s of CPU to compile, against 2 s, for the same speed).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import intrinsic, overload, register_jitable

from .jit import njit

__all__ = [
    "gru_backward_step",
    "gru_forward_step",
    "lstm_backward_step",
    "lstm_forward_step",
    "reference_exp",
    "reference_sigmoid",
    "reference_tanh",
    "rnn_backward_step",
    "rnn_forward_step",
    "vector_exp",
    "vector_sigmoid",
    "vector_tanh",
]

# Cephes constants, per dtype: the split of ln 2, the polynomial / Pade coefficients, and
# the clamp that keeps 2**n a normal number.
_F32 = {
    "log2e": np.float32(1.44269504088896341), "c1": np.float32(0.693359375),
    "c2": np.float32(-2.12194440e-4), "lo": np.float32(-87.0), "hi": np.float32(88.0),
    "p": tuple(np.float32(v) for v in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                       4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)),
    "t": tuple(np.float32(v) for v in (-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2,
                                       1.33314422036e-1, -3.33332819422e-1)),
    "half": np.float32(0.5), "one": np.float32(1.0), "two": np.float32(2.0),
    "small": np.float32(0.625),
}
_F64 = {
    "log2e": 1.4426950408889634073599, "c1": 6.93145751953125e-1,
    "c2": 1.42860682030941723212e-6, "lo": -708.0, "hi": 709.0,
    "p": (1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1),
    "q": (3.00198505138664455042e-6, 2.52448340349684104192e-3, 2.27265548208155028766e-1,
          2.00000000000000000009e0),
    "tp": (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3),
    "tq": (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3),
    "half": 0.5, "one": 1.0, "two": 2.0, "small": 0.625,
}


# -- the NumPy statement -------------------------------------------------------------------
def _reference_pow2(n: np.ndarray, dtype) -> np.ndarray:
    """``2.0 ** n`` for integers ``n`` in the normal range, built in the exponent bits."""
    if dtype == np.float32:
        return ((n.astype(np.int32) + np.int32(127)) << np.int32(23)).view(np.float32)
    return ((n.astype(np.int64) + np.int64(1023)) << np.int64(52)).view(np.float64)


def reference_exp(x: np.ndarray) -> np.ndarray:
    """``exp(x)`` elementwise (float32 or float64), as the compiled ``vector_exp`` computes it.

    Args:
        x: a float32 or float64 array.

    Returns:
        An array of ``x``'s dtype; NaN stays NaN, overflow is ``inf``, and below
        ``exp(-87)`` (float32; ``exp(-708)`` for float64) the result is 0, as are subnormal
        results.

    Example:
        >>> reference_exp(np.array([0.0, 1.0], np.float32))
        array([1.       , 2.7182817], dtype=float32)
    """
    dt = x.dtype.type
    k = _F32 if x.dtype == np.float32 else _F64
    xc = np.minimum(np.maximum(x, dt(k["lo"])), dt(k["hi"]))
    z = np.floor(dt(k["log2e"]) * xc + dt(k["half"]))
    r = xc - z * dt(k["c1"])
    r = r - z * dt(k["c2"])
    if x.dtype == np.float32:
        p = k["p"]
        y = p[0] * r + p[1]
        for c in p[2:]:
            y = y * r + c
        y = y * (r * r) + r + k["one"]
    else:
        p, q = k["p"], k["q"]
        rr = r * r
        px = r * ((p[0] * rr + p[1]) * rr + p[2])
        qx = ((q[0] * rr + q[1]) * rr + q[2]) * rr + q[3]
        y = k["one"] + k["two"] * (px / (qx - px))
    y = y * _reference_pow2(z, x.dtype)
    y = np.where(x > dt(k["hi"]), dt(np.inf), y)
    y = np.where(x < dt(k["lo"]), dt(0), y)
    return np.where(x == x, y, x)


def reference_tanh(x: np.ndarray) -> np.ndarray:
    """``tanh(x)`` elementwise, as the compiled ``vector_tanh`` computes it.

    Args:
        x: a float32 or float64 array.

    Returns:
        An array of ``x``'s dtype.

    Example:
        >>> reference_tanh(np.array([0.0, 1.0]))
        array([0.        , 0.76159416])
    """
    dt = x.dtype.type
    k = _F32 if x.dtype == np.float32 else _F64
    a = np.abs(x)
    s = x * x
    if x.dtype == np.float32:
        t = k["t"]
        y = t[0] * s + t[1]
        for c in t[2:]:
            y = y * s + c
        small = y * s * x + x
    else:
        p, q = k["tp"], k["tq"]
        num = (p[0] * s + p[1]) * s + p[2]
        den = ((s + q[0]) * s + q[1]) * s + q[2]
        small = x + x * s * (num / den)
    large = k["one"] - k["two"] / (reference_exp(k["two"] * a) + k["one"])
    large = np.where(x < 0, -large, large)
    return np.where(a > dt(k["small"]), large, small)


def reference_sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` elementwise, as the compiled ``vector_sigmoid`` computes it.

    Args:
        x: a float32 or float64 array.

    Returns:
        An array of ``x``'s dtype.

    Example:
        >>> reference_sigmoid(np.array([0.0]))
        array([0.5])
    """
    one = x.dtype.type(1)
    return one / (one + reference_exp(-x))


# -- the compiled scalars (inlined into vectorized loops) ----------------------------------
@intrinsic
def _bits_to_float32(typingctx, bits):
    """The float32 whose bits are the int32 ``bits``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float32))
    return types.float32(types.int32), codegen


@intrinsic
def _bits_to_float64(typingctx, bits):
    """The float64 whose bits are the int64 ``bits``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


_P32, _T32 = _F32["p"], _F32["t"]
_LOG2E32, _C1_32, _C2_32 = _F32["log2e"], _F32["c1"], _F32["c2"]
_LO32, _HI32, _HALF32, _ONE32, _TWO32, _SMALL32 = (
    _F32["lo"], _F32["hi"], _F32["half"], _F32["one"], _F32["two"], _F32["small"])
_P64, _Q64, _TP64, _TQ64 = _F64["p"], _F64["q"], _F64["tp"], _F64["tq"]
_INF32, _ZERO32 = np.float32(np.inf), np.float32(0.0)


@register_jitable
def _exp32(x):
    xc = min(max(x, _LO32), _HI32)
    z = np.floor(_LOG2E32 * xc + _HALF32)
    r = xc - z * _C1_32
    r = r - z * _C2_32
    y = _P32[0] * r + _P32[1]
    y = y * r + _P32[2]
    y = y * r + _P32[3]
    y = y * r + _P32[4]
    y = y * r + _P32[5]
    y = y * (r * r) + r + _ONE32
    y = y * _bits_to_float32((np.int32(z) + np.int32(127)) << np.int32(23))
    y = _INF32 if x > _HI32 else y
    y = _ZERO32 if x < _LO32 else y
    return y if x == x else x


@register_jitable
def _exp64(x):
    xc = min(max(x, -708.0), 709.0)
    z = np.floor(1.4426950408889634073599 * xc + 0.5)
    r = xc - z * 6.93145751953125e-1
    r = r - z * 1.42860682030941723212e-6
    rr = r * r
    px = r * ((_P64[0] * rr + _P64[1]) * rr + _P64[2])
    qx = ((_Q64[0] * rr + _Q64[1]) * rr + _Q64[2]) * rr + _Q64[3]
    y = 1.0 + 2.0 * (px / (qx - px))
    y = y * _bits_to_float64((np.int64(z) + np.int64(1023)) << np.int64(52))
    y = np.inf if x > 709.0 else y
    y = 0.0 if x < -708.0 else y
    return y if x == x else x


@register_jitable
def _tanh32(x):
    a = abs(x)
    s = x * x
    y = _T32[0] * s + _T32[1]
    y = y * s + _T32[2]
    y = y * s + _T32[3]
    y = y * s + _T32[4]
    small = y * s * x + x
    large = _ONE32 - _TWO32 / (_exp32(_TWO32 * a) + _ONE32)
    large = -large if x < 0 else large
    return large if a > _SMALL32 else small


@register_jitable
def _tanh64(x):
    a = abs(x)
    s = x * x
    num = (_TP64[0] * s + _TP64[1]) * s + _TP64[2]
    den = ((s + _TQ64[0]) * s + _TQ64[1]) * s + _TQ64[2]
    small = x + x * s * (num / den)
    large = 1.0 - 2.0 / (_exp64(2.0 * a) + 1.0)
    large = -large if x < 0 else large
    return large if a > 0.625 else small


def _exp(x):
    """Stub typed by ``_exp_overload``."""


def _tanh(x):
    """Stub typed by ``_tanh_overload``."""


@overload(_exp)
def _exp_overload(x):
    if x == types.float32:
        return lambda x: _exp32(x)
    return lambda x: _exp64(x)


@overload(_tanh)
def _tanh_overload(x):
    if x == types.float32:
        return lambda x: _tanh32(x)
    return lambda x: _tanh64(x)


@register_jitable
def _sigmoid(x, one):
    return one / (one + _exp(-x))


# -- whole-array forms (tests and reference comparisons) -----------------------------------
@njit(cache=True, error_model="numpy")
def _vector_exp(x, out):
    for i in range(np.uint64(x.size)):
        out[i] = _exp(x[i])


@njit(cache=True, error_model="numpy")
def _vector_tanh(x, out):
    for i in range(np.uint64(x.size)):
        out[i] = _tanh(x[i])


@njit(cache=True, error_model="numpy")
def _vector_sigmoid(x, out, one):
    for i in range(np.uint64(x.size)):
        out[i] = _sigmoid(x[i], one)


def _on_whole_array(loop, x: np.ndarray, one: bool = False) -> np.ndarray:
    """``loop(flat x, flat out[, 1 in x's dtype])`` over a contiguous copy of ``x``."""
    x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    extra = (x.dtype.type(1),) if one else ()
    loop(x.reshape(-1), out.reshape(-1), *extra)
    return out


def vector_exp(x: np.ndarray) -> np.ndarray:
    """The compiled ``exp`` on a whole float32 or float64 array (equals ``reference_exp``).

    Example:
        >>> vector_exp(np.zeros(2))
        array([1., 1.])
    """
    return _on_whole_array(_vector_exp, x)


def vector_tanh(x: np.ndarray) -> np.ndarray:
    """The compiled ``tanh`` on a whole float32 or float64 array (equals ``reference_tanh``).

    Example:
        >>> vector_tanh(np.zeros(2))
        array([0., 0.])
    """
    return _on_whole_array(_vector_tanh, x)


def vector_sigmoid(x: np.ndarray) -> np.ndarray:
    """The compiled sigmoid on a whole float32 or float64 array (equals ``reference_sigmoid``).

    Example:
        >>> vector_sigmoid(np.zeros(2))
        array([0.5, 0.5])
    """
    return _on_whole_array(_vector_sigmoid, x, one=True)


# -- the step kernels ----------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def lstm_forward_step(gi, gh, b_hh, c_prev, gates, c, tanh_c, h, batch, hidden, one):
    """One LSTM step from ``gi = x W_ih^T + b_ih`` and ``gh = h_prev W_hh^T``, ``(B, 4H)``.

    ``pre = (gh + b_hh) + gi``; writes the activated gates ``(sigmoid i, sigmoid f, tanh g,
    sigmoid o)`` to ``gates``, ``c = f c_prev + i g``, ``tanh(c)`` and ``h = o tanh(c)``.
    """
    hid = np.uint64(hidden)
    h2 = hid + hid
    h3 = h2 + hid
    h4 = h3 + hid
    for n in range(np.uint64(batch)):
        row, half = n * h4, n * hid
        for j in range(h2):
            gates[row + j] = _sigmoid(gh[row + j] + b_hh[j] + gi[row + j], one)
        for j in range(h2, h3):
            gates[row + j] = _tanh(gh[row + j] + b_hh[j] + gi[row + j])
        for j in range(h3, h4):
            gates[row + j] = _sigmoid(gh[row + j] + b_hh[j] + gi[row + j], one)
        for j in range(hid):
            k = row + j
            cc = gates[k + hid] * c_prev[half + j] + gates[k] * gates[k + h2]
            t = _tanh(cc)
            c[half + j] = cc
            tanh_c[half + j] = t
            h[half + j] = gates[k + h3] * t


@njit(cache=True, error_model="numpy")
def lstm_backward_step(dh, dc, gates, tanh_c, c_prev, dgates, batch, hidden, one):
    """The gradients of one LSTM step: from ``dh`` (of ``h``) and ``dc`` (of ``c``, from the
    step after) writes the pre-activation gradients ``dgates`` and overwrites ``dc`` with
    the gradient of ``c_prev``.

    With ``c = f c_prev + i g`` and ``h = o tanh(c)``: ``dc_total = dc + dh o (1 - tanh(c)^2)``,
    then ``di = dc_total g``, ``df = dc_total c_prev``, ``dg = dc_total i``,
    ``do = dh tanh(c)``, each times its activation's derivative (``s (1 - s)`` for a sigmoid
    ``s``, ``1 - t^2`` for a tanh ``t``), and ``dc_prev = dc_total f``.
    """
    hid = np.uint64(hidden)
    h2 = hid + hid
    h3 = h2 + hid
    h4 = h3 + hid
    for n in range(np.uint64(batch)):
        row, half = n * h4, n * hid
        for j in range(hid):
            k = row + j
            i, f = gates[k], gates[k + hid]
            g, o = gates[k + h2], gates[k + h3]
            t = tanh_c[half + j]
            d_h = dh[half + j]
            dct = dc[half + j] + d_h * o * (one - t * t)
            dgates[k] = dct * g * (i * (one - i))
            dgates[k + hid] = dct * c_prev[half + j] * (f * (one - f))
            dgates[k + h2] = dct * i * (one - g * g)
            dgates[k + h3] = d_h * t * (o * (one - o))
            dc[half + j] = dct * f


@njit(cache=True, error_model="numpy")
def gru_forward_step(gi, gh, b_hh, h_prev, saved, h, batch, hidden, one):
    """One GRU step from ``gi = x W_ih^T + b_ih`` and ``gh = h_prev W_hh^T``, ``(B, 3H)``.

    As PyTorch: ``r = sigmoid(gi_r + (gh_r + b_hr))``, ``z`` likewise,
    ``n = tanh(gi_n + r (gh_n + b_hn))`` and ``h = (h_prev - n) z + n``. ``saved`` gets
    ``(r, z, n, gh_n + b_hn)``, ``(B, 4H)``, what the backward step reads.
    """
    hid = np.uint64(hidden)
    h2 = hid + hid
    h3 = h2 + hid
    h4 = h3 + hid
    for n in range(np.uint64(batch)):
        row3, row4, half = n * h3, n * h4, n * hid
        for j in range(h2):
            saved[row4 + j] = _sigmoid(gh[row3 + j] + b_hh[j] + gi[row3 + j], one)
        for j in range(hid):
            k, s = row3 + j, row4 + j
            ghn = gh[k + h2] + b_hh[j + h2]
            nn = _tanh(gi[k + h2] + saved[s] * ghn)
            z = saved[s + hid]
            saved[s + h2] = nn
            saved[s + h3] = ghn
            h[half + j] = (h_prev[half + j] - nn) * z + nn


@njit(cache=True, error_model="numpy")
def gru_backward_step(dh, saved, h_prev, dgi, dgh, dh_direct, batch, hidden, one):
    """The gradients of one GRU step from ``dh`` (of ``h``).

    ``dz = dh (h_prev - n)``, ``dn = dh (1 - z)``, the direct part of ``dh_prev`` is
    ``dh z``; through ``n = tanh(a)`` with ``a = gi_n + r ghn``: ``da = dn (1 - n^2)``,
    ``dr = da ghn``. ``dgi`` gets ``(dr r (1 - r), dz z (1 - z), da)`` and ``dgh`` the same
    with ``da r`` for its last block (``gh_n`` enters scaled by ``r``).
    """
    hid = np.uint64(hidden)
    h2 = hid + hid
    h3 = h2 + hid
    h4 = h3 + hid
    for n in range(np.uint64(batch)):
        row3, row4, half = n * h3, n * h4, n * hid
        for j in range(hid):
            s = row4 + j
            r, z = saved[s], saved[s + hid]
            nn, ghn = saved[s + h2], saved[s + h3]
            d_h = dh[half + j]
            da = d_h * (one - z) * (one - nn * nn)
            dar = da * ghn * (r * (one - r))
            daz = d_h * (h_prev[half + j] - nn) * (z * (one - z))
            k = row3 + j
            dgi[k] = dar
            dgi[k + hid] = daz
            dgi[k + h2] = da
            dgh[k] = dar
            dgh[k + hid] = daz
            dgh[k + h2] = da * r
            dh_direct[half + j] = d_h * z


@njit(cache=True, error_model="numpy")
def rnn_forward_step(gi, gh, b_hh, h, size, relu, zero):
    """One Elman step: ``h = act((gh + b_hh) + gi)``, tanh or ReLU, on ``(B, H)`` blocks."""
    hid = np.uint64(b_hh.size)
    for k in range(np.uint64(size)):
        pre = gh[k] + b_hh[k % hid] + gi[k]
        if relu:
            h[k] = pre if pre > zero or pre != pre else zero  # NaN stays NaN, as in torch
        else:
            h[k] = _tanh(pre)


@njit(cache=True, error_model="numpy")
def rnn_backward_step(dh, h, dpre, size, relu, one):
    """The pre-activation gradient of one Elman step from ``dh`` and the step's output ``h``:
    ``dh (1 - h^2)`` for tanh, ``dh`` where ``h > 0`` (else 0) for ReLU."""
    for k in range(np.uint64(size)):
        if relu:
            dpre[k] = dh[k] if h[k] > 0 else one - one
        else:
            dpre[k] = dh[k] * (one - h[k] * h[k])

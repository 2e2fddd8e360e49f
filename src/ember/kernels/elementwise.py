"""float32 transcendentals that vectorize, and fused activation passes built on them.

NumPy's float32 ``exp``/``log``/``tanh`` are not vectorized on every CPU and Numba's
``math.erf`` is a scalar library call, so activations written with them run several times
slower than torch's. Here each function is a range reduction plus a short polynomial in
float32 arithmetic only (bit casts for the exponent, selects instead of branches), so that
LLVM turns a loop over them into vector code. Each is within 2 ulp of the correctly rounded
result over the whole float32 range (denormals, +-0, +-inf, NaN; overflow and underflow where
the exact result rounds to them), which ``tests/ops/test_elementwise_fast.py`` checks against
a float64 reference on millions of inputs.

The polynomials are least-squares fits on Chebyshev nodes (float64, rounded to float32):

* ``exp``: ``x = k ln2 + r`` (Cody-Waite, ``|r| <= ln2 / 2``), ``e^r = 1 + r + r^2 P(r)``,
  scaled by ``2^k`` in two halves so that denormal results round once;
* ``log``: ``x = 2^e m``, ``m`` in ``[sqrt(1/2), sqrt(2))``, ``log(1 + f) = f - f^2/2 + f^3 P(f)``;
* ``tanh``: ``x + x^3 P(x^2)`` below 0.625, else ``1 - 2 / (e^(2|x|) + 1)``;
* ``erf``: ``x P(x^2)`` below 1, else ``1 - exp(R(|x| - 5/2) - x^2)`` (R fits
  ``log(erfc(x)) + x^2`` on ``[1, 4]``; from 4 on erf rounds to 1);
* ``sigmoid``: ``1 / (1 + e)`` or ``e / (1 + e)`` with ``e = exp(-|x|)`` (never overflows);
* ``softplus``: ``max(z, 0) + log1p(exp(-|z|))``, ``log1p(t) = log(1 + t) t / ((1 + t) - 1)``.

The passes (``forward`` and ``backward``) take contiguous 1-D arrays. Below
``PARALLEL_THRESHOLD`` elements they run serially; above, chunks of ``CHUNK`` elements run
under ``prange`` (a parallel launch costs about 10 us). Each op has its own module-level
serial and parallel pass, so Numba compiles (2-4 s) and caches only the loops used. No
fastmath flag: with FMA contraction allowed, LLVM fused differently in the serial and the
parallel loop, and results changed with the thread count.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .jit import njit, prange
from .threads import runs_parallel

__all__ = [
    "BACKWARD_OPS",
    "CHUNK",
    "FORWARD_OPS",
    "PARALLEL_THRESHOLD",
    "backward",
    "forward",
]

#: Elements from which a pass runs in parallel chunks.
PARALLEL_THRESHOLD = 1 << 16
#: Elements per parallel chunk.
CHUNK = np.uint64(1 << 14)

F = np.float32
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_ZERO, _HALF, _ONE, _TWO, _THREE = F(0), F(0.5), F(1), F(2), F(3)
_INF = F(np.inf)

# exp
_LOG2E = F(1.4426950408889634)
_LN2_HI = F(0.693359375)  # 9 significant bits: k * _LN2_HI is exact
_LN2_LO = F(-2.12194440e-4)
_SHIFTER = F(12582912.0)  # 1.5 * 2**23: adding then subtracting it rounds to an integer
_EXP_LO, _EXP_HI = F(-110.0), F(100.0)  # beyond these exp is 0 or inf; keeps 2**k normal
_EXP_P = (F(0.5), F(0.16666576266288757), F(0.04166646674275398), F(0.008363179862499237),
          F(0.0013933650916442275))
# log
_FLT_MIN = F(1.1754943508222875e-38)
_TWO23 = F(8388608.0)
_SQRT2 = F(1.4142135623730951)
_LOG_P = (F(0.333333283662796), F(-0.25000298023223877), F(0.20001468062400818),
          F(-0.16642247140407562), F(0.14202174544334412), F(-0.12972238659858704),
          F(0.12712307274341583), F(-0.08101558685302734))
# tanh
_TANH_SMALL = F(0.625)
_TANH_P = (F(-0.333333283662796), F(0.13332782685756683), F(-0.05385249853134155),
           F(0.021003641188144684), F(-0.006104947999119759))
# erf
_ERF_MID, _ERF_HI, _ERF_CENTER = F(1.0), F(4.0), F(2.5)
_ERF_P = (F(0.12837916709551257),  # 2 / sqrt(pi) - 1: erf(x) = x + x P(x^2)
           F(-0.3761262595653534), F(0.11283597350120544),
          F(-0.02685432881116867), F(0.005189312156289816), F(-0.0008018855005502701),
          F(7.882497448008507e-05))
_ERF_R = (F(-1.556815266609192), F(-0.35268068313598633), F(0.056106358766555786),
          F(-0.01085851714015007), F(0.0021651603747159243), F(-0.0004201445553917438),
          F(7.739442662568763e-05), F(-1.3309389942151029e-05), F(1.6140616025950294e-06))
# activations (torch's constants)
_SQRT1_2 = F(0.7071067811865476)
_GELU_PDF = F(0.3989422804014327)  # 1 / sqrt(2 pi)
_GELU_BETA = F(0.7978845608028654)  # sqrt(2 / pi)
_GELU_KAPPA = F(0.044715)
_GELU_3KAPPA = F(3 * 0.044715)


# -- bit casts -------------------------------------------------------------------------------

@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float32 as an int32."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def _from_bits(typingctx, i):
    """The float32 whose IEEE bits are the int32 ``i``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


# -- scalar functions (inlined into the loops) -----------------------------------------------

@njit(inline="always", error_model="numpy")
def exp32(x):
    """``e**x`` in float32."""
    xc = x if x > _EXP_LO else _EXP_LO
    xc = xc if xc < _EXP_HI else _EXP_HI
    kf = (xc * _LOG2E + _SHIFTER) - _SHIFTER
    r = xc - kf * _LN2_HI
    r = r - kf * _LN2_LO
    p = _EXP_P[4]
    p = p * r + _EXP_P[3]
    p = p * r + _EXP_P[2]
    p = p * r + _EXP_P[1]
    p = p * r + _EXP_P[0]
    p = p * (r * r) + r + _ONE
    k = np.int32(kf)
    k1 = k >> np.int32(1)
    s1 = _from_bits((k1 + np.int32(127)) << np.int32(23))
    s2 = _from_bits((k - k1 + np.int32(127)) << np.int32(23))
    y = (p * s1) * s2
    return y if x == x else x


@njit(inline="always", error_model="numpy")
def log32(x):
    """Natural logarithm in float32 (NaN below 0, -inf at 0)."""
    tiny = x < _FLT_MIN
    xs = x * _TWO23 if tiny else x
    ix = _bits(xs)
    e = (ix >> np.int32(23)) - np.int32(127)
    e = e - np.int32(23) if tiny else e
    m = _from_bits((ix & np.int32(0x007FFFFF)) | np.int32(0x3F800000))
    big = m > _SQRT2
    m = m * _HALF if big else m
    e = e + np.int32(1) if big else e
    fe = F(e)
    f = m - _ONE
    z = f * f
    p = _LOG_P[7] * f + _LOG_P[6]
    p = p * f + _LOG_P[5]
    p = p * f + _LOG_P[4]
    p = p * f + _LOG_P[3]
    p = p * f + _LOG_P[2]
    p = p * f + _LOG_P[1]
    p = p * f + _LOG_P[0]
    y = f * z * p
    y = y + fe * _LN2_LO
    y = y - _HALF * z
    y = f + y
    y = y + fe * _LN2_HI
    y = y if x < _INF else x  # +inf and NaN
    y = np.float32(np.nan) if x < _ZERO else y
    return -_INF if x == _ZERO else y


@njit(inline="always", error_model="numpy")
def tanh32(x):
    """Hyperbolic tangent in float32."""
    ax = abs(x)
    z = x * x
    p = _TANH_P[4]
    p = p * z + _TANH_P[3]
    p = p * z + _TANH_P[2]
    p = p * z + _TANH_P[1]
    p = p * z + _TANH_P[0]
    small = x + x * z * p
    small = x if x == _ZERO else small  # -0.0 * z * p would be +0.0
    big = _ONE - _TWO / (exp32(ax + ax) + _ONE)
    big = -big if x < _ZERO else big
    return small if ax < _TANH_SMALL else big


@njit(inline="always", error_model="numpy")
def sigmoid32(x):
    """``1 / (1 + e**-x)`` in float32, from ``exp(-|x|)`` (no overflow)."""
    e = exp32(-abs(x))
    d = _ONE + e
    c = (e - (d - _ONE)) / d  # the part of e that 1 + e lost, relative to d
    q = _ONE / d if x >= _ZERO else e / d
    return q - q * c


@njit(inline="always", error_model="numpy")
def erf32(x):
    """The error function in float32."""
    ax = abs(x)
    z = x * x
    p = _ERF_P[6] * z + _ERF_P[5]
    p = p * z + _ERF_P[4]
    p = p * z + _ERF_P[3]
    p = p * z + _ERF_P[2]
    p = p * z + _ERF_P[1]
    p = p * z + _ERF_P[0]
    small = x + x * p
    a = ax if ax < _ERF_HI else _ERF_HI
    t = a - _ERF_CENTER
    r = _ERF_R[8] * t + _ERF_R[7]
    r = r * t + _ERF_R[6]
    r = r * t + _ERF_R[5]
    r = r * t + _ERF_R[4]
    r = r * t + _ERF_R[3]
    r = r * t + _ERF_R[2]
    r = r * t + _ERF_R[1]
    r = r * t + _ERF_R[0]
    big = _ONE - exp32(r - a * a)
    big = -big if x < _ZERO else big
    y = small if ax < _ERF_MID else big
    return y if x == x else x


@njit(inline="always", error_model="numpy")
def log1p32(t):
    """``log(1 + t)`` in float32 for ``t >= 0`` (softplus's range)."""
    u = _ONE + t
    return log32(u) + (t - (u - _ONE)) / u  # the bits of t that 1 + t lost, to first order


@njit(inline="always", error_model="numpy")
def softplus32(z):
    """``log(1 + e**z)`` in float32, without overflow."""
    return (z if z > _ZERO else _ZERO) + log1p32(exp32(-abs(z)))


# -- fused activations: forward value and gradient factor --------------------------------------

FORWARD_OPS = ("exp", "log", "tanh", "sigmoid", "erf", "gelu", "gelu_tanh", "silu", "mish",
               "softplus")
BACKWARD_OPS = ("gelu", "gelu_tanh", "silu", "mish", "softplus")


_AI = dict(inline="always", error_model="numpy")


@njit(**_AI)
def _exp(x, beta, threshold):
    return exp32(x)


@njit(**_AI)
def _log(x, beta, threshold):
    return log32(x)


@njit(**_AI)
def _tanh(x, beta, threshold):
    return tanh32(x)


@njit(**_AI)
def _sigmoid(x, beta, threshold):
    return sigmoid32(x)


@njit(**_AI)
def _erf(x, beta, threshold):
    return erf32(x)


@njit(**_AI)
def _gelu(x, beta, threshold):  # torch: x * 0.5 * (1 + erf(x / sqrt(2)))
    return x * _HALF * (_ONE + erf32(x * _SQRT1_2))


@njit(**_AI)
def _gelu_tanh(x, beta, threshold):  # torch: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    inner = _GELU_BETA * (x + _GELU_KAPPA * (x * x * x))
    return _HALF * x * (_ONE + tanh32(inner))


@njit(**_AI)
def _silu(x, beta, threshold):
    return x * sigmoid32(x)


@njit(**_AI)
def _mish(x, beta, threshold):
    return x * tanh32(softplus32(x))


@njit(**_AI)
def _softplus(x, beta, threshold):
    z = x * beta  # the identity above the threshold, as torch
    return x if z > threshold else softplus32(z) / beta


@njit(**_AI)
def _gelu_grad(x, g, beta, threshold):  # d/dx x Phi(x) = Phi(x) + x phi(x)
    cdf = _HALF * (_ONE + erf32(x * _SQRT1_2))
    pdf = exp32(-_HALF * (x * x)) * _GELU_PDF
    return g * (cdf + x * pdf)


@njit(**_AI)
def _gelu_tanh_grad(x, g, beta, threshold):
    x2 = x * x
    t = tanh32(_GELU_BETA * (x + _GELU_KAPPA * (x2 * x)))
    left = _HALF * x
    inner_d = _GELU_BETA * (_ONE + _GELU_3KAPPA * x2)
    return g * (_HALF * (_ONE + t) + left * (_ONE - t * t) * inner_d)


@njit(**_AI)
def _silu_grad(x, g, beta, threshold):  # s (1 + x (1 - s))
    s = sigmoid32(x)
    return g * (s * (_ONE + x * (_ONE - s)))


@njit(**_AI)
def _mish_grad(x, g, beta, threshold):  # tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2)
    s = sigmoid32(x)
    t = tanh32(softplus32(x))
    return g * (t + x * s * (_ONE - t * t))


@njit(**_AI)
def _softplus_grad(x, g, beta, threshold):
    z = x * beta
    return g if z > threshold else g * sigmoid32(z)


# -- passes ----------------------------------------------------------------------------------

# One serial and one parallel pass per op, written out: Numba caches module-level functions
# (a kernel factory's closure over a jitted function is recompiled in every process), and
# each pass inlines only its own op (an op-switch inlined whole takes ~20 s to compile).
_NJ = dict(cache=True, error_model="numpy")
_NJP = dict(cache=True, error_model="numpy", parallel=True)


@njit(**_NJ)
def _exp_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _exp(x[i], beta, threshold)


@njit(**_NJP)
def _exp_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _exp(x[i], beta, threshold)


@njit(**_NJ)
def _log_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _log(x[i], beta, threshold)


@njit(**_NJP)
def _log_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _log(x[i], beta, threshold)


@njit(**_NJ)
def _tanh_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _tanh(x[i], beta, threshold)


@njit(**_NJP)
def _tanh_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _tanh(x[i], beta, threshold)


@njit(**_NJ)
def _sigmoid_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _sigmoid(x[i], beta, threshold)


@njit(**_NJP)
def _sigmoid_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _sigmoid(x[i], beta, threshold)


@njit(**_NJ)
def _erf_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _erf(x[i], beta, threshold)


@njit(**_NJP)
def _erf_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _erf(x[i], beta, threshold)


@njit(**_NJ)
def _gelu_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _gelu(x[i], beta, threshold)


@njit(**_NJP)
def _gelu_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _gelu(x[i], beta, threshold)


@njit(**_NJ)
def _gelu_tanh_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _gelu_tanh(x[i], beta, threshold)


@njit(**_NJP)
def _gelu_tanh_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _gelu_tanh(x[i], beta, threshold)


@njit(**_NJ)
def _silu_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _silu(x[i], beta, threshold)


@njit(**_NJP)
def _silu_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _silu(x[i], beta, threshold)


@njit(**_NJ)
def _mish_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _mish(x[i], beta, threshold)


@njit(**_NJP)
def _mish_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _mish(x[i], beta, threshold)


@njit(**_NJ)
def _softplus_s(x, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _softplus(x[i], beta, threshold)


@njit(**_NJP)
def _softplus_p(x, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _softplus(x[i], beta, threshold)


@njit(**_NJ)
def _gelu_grad_s(x, g, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _gelu_grad(x[i], g[i], beta, threshold)


@njit(**_NJP)
def _gelu_grad_p(x, g, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _gelu_grad(x[i], g[i], beta, threshold)


@njit(**_NJ)
def _gelu_tanh_grad_s(x, g, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _gelu_tanh_grad(x[i], g[i], beta, threshold)


@njit(**_NJP)
def _gelu_tanh_grad_p(x, g, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _gelu_tanh_grad(x[i], g[i], beta, threshold)


@njit(**_NJ)
def _silu_grad_s(x, g, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _silu_grad(x[i], g[i], beta, threshold)


@njit(**_NJP)
def _silu_grad_p(x, g, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _silu_grad(x[i], g[i], beta, threshold)


@njit(**_NJ)
def _mish_grad_s(x, g, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _mish_grad(x[i], g[i], beta, threshold)


@njit(**_NJP)
def _mish_grad_p(x, g, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _mish_grad(x[i], g[i], beta, threshold)


@njit(**_NJ)
def _softplus_grad_s(x, g, out, beta, threshold):
    for i in range(np.uint64(x.size)):
        out[i] = _softplus_grad(x[i], g[i], beta, threshold)


@njit(**_NJP)
def _softplus_grad_p(x, g, out, beta, threshold):
    n = np.uint64(x.size)
    for c in prange((n + CHUNK - _U1) // CHUNK):
        s = np.uint64(c) * CHUNK
        for i in range(s, min(s + CHUNK, n)):
            out[i] = _softplus_grad(x[i], g[i], beta, threshold)


_FORWARD_PASSES = {
    "exp": (_exp_s, _exp_p),
    "log": (_log_s, _log_p),
    "tanh": (_tanh_s, _tanh_p),
    "sigmoid": (_sigmoid_s, _sigmoid_p),
    "erf": (_erf_s, _erf_p),
    "gelu": (_gelu_s, _gelu_p),
    "gelu_tanh": (_gelu_tanh_s, _gelu_tanh_p),
    "silu": (_silu_s, _silu_p),
    "mish": (_mish_s, _mish_p),
    "softplus": (_softplus_s, _softplus_p),
}
_BACKWARD_PASSES = {
    "gelu": (_gelu_grad_s, _gelu_grad_p),
    "gelu_tanh": (_gelu_tanh_grad_s, _gelu_tanh_grad_p),
    "silu": (_silu_grad_s, _silu_grad_p),
    "mish": (_mish_grad_s, _mish_grad_p),
    "softplus": (_softplus_grad_s, _softplus_grad_p),
}


def _parallel(n: int) -> bool:
    return runs_parallel(n, PARALLEL_THRESHOLD)


def forward(name: str, x: np.ndarray, out: np.ndarray, beta: float = 1.0,
            threshold: float = 20.0) -> np.ndarray:
    """``out[i] = name(x[i])`` for contiguous 1-D float32 arrays; returns ``out``.

    Args:
        name: one of :data:`FORWARD_OPS`.
        x: the input.
        out: the result (may be ``x`` itself).
        beta: softplus's ``beta``.
        threshold: softplus's ``threshold``.

    Returns:
        ``out``.

    Example:
        >>> x = np.array([0.0, 1.0], np.float32)
        >>> forward("exp", x, np.empty_like(x))
        array([1.       , 2.7182817], dtype=float32)
    """
    kernel = _FORWARD_PASSES[name][_parallel(x.size)]
    kernel(x, out, F(beta), F(threshold))
    return out


def backward(name: str, x: np.ndarray, grad: np.ndarray, out: np.ndarray, beta: float = 1.0,
             threshold: float = 20.0) -> np.ndarray:
    """``out[i] = grad[i] * name'(x[i])`` for contiguous 1-D float32 arrays; returns ``out``.

    Args:
        name: one of :data:`BACKWARD_OPS`.
        x: the forward's input.
        grad: the gradient of the result.
        out: the input's gradient (may be ``grad`` itself).
        beta: softplus's ``beta``.
        threshold: softplus's ``threshold``.

    Returns:
        ``out``.

    Example:
        >>> x = np.array([0.0], np.float32)
        >>> backward("silu", x, np.ones_like(x), np.empty_like(x))
        array([0.5], dtype=float32)
    """
    kernel = _BACKWARD_PASSES[name][_parallel(x.size)]
    kernel(x, grad, out, F(beta), F(threshold))
    return out

"""Optimizer update rules, each written once, and the loops that run them compiled.

A rule (``sgd``, ``adam``, ``rmsprop`` ...) is a function of plain values that returns the new
parameter and state. Called on whole NumPy arrays it is the reference: each operation is one
ufunc rounded to the arrays' dtype, as torch's CPU kernels round. Compiled by Numba and called
on one element at a time inside a loop (``_adam_loop`` ...), the same function is the fast
path: one pass over memory instead of one per operation (an Adam step of ufuncs streams about
25 arrays, its loop 7). The operations and their order are the same and LLVM contracts nothing
into fused multiply-adds without ``fastmath``, so both give bit-identical results (the tests
hold them to it).

The public functions (``adam_`` ...) update their arrays in place: through the loop when all
arrays are C-contiguous and share a float32 or float64 dtype, through the rule on whole arrays
otherwise (strided arrays, float16, bfloat16). Scalars travel as Python floats: NumPy rounds
them to the arrays' dtype where it combines them with an array, and each loop rounds them so
before it starts, so float32 updates round as float32 arithmetic does. ``add_scaled`` is
L-BFGS's ``y + alpha * x`` rounded once per entry (a fused multiply-add, as torch's).
"""

from __future__ import annotations

import numpy as np
from numba.extending import intrinsic, register_jitable

from .jit import njit

__all__ = [
    "adadelta",
    "adadelta_",
    "adagrad",
    "adagrad_",
    "adam",
    "adam_",
    "add_scaled",
    "lerp",
    "rmsprop",
    "rmsprop_",
    "sgd",
    "sgd_",
    "sgd_momentum",
    "sgd_momentum_",
]


# -- the rules (plain functions in Python, compiled where a loop calls them) --------------
@register_jitable
def lerp(start, end, weight, one_minus_weight, small_weight):
    """``start + weight * (end - start)`` rounded as torch's ``lerp``: from ``start`` when the
    weight is small (``|weight| < 0.5``), else from ``end`` (``end - (1 - weight) * diff``)."""
    diff = end - start
    if small_weight:
        return start + diff * weight
    return end - diff * one_minus_weight


@register_jitable
def sgd(p, g, neg_lr):
    """Plain SGD: the new parameter ``p + g * -lr``."""
    return p + g * neg_lr


@register_jitable
def sgd_momentum(p, g, buf, momentum, one_minus_dampening, neg_lr, nesterov, first):
    """SGD with momentum: the new parameter and momentum buffer.

    The buffer starts as ``g`` (``first``) and then follows
    ``buf * momentum + g * (1 - dampening)``; the step is the buffer, or with Nesterov
    ``buf * momentum + g``.
    """
    buf = g if first else buf * momentum + g * one_minus_dampening
    step = buf * momentum + g if nesterov else buf
    return p + step * neg_lr, buf


@register_jitable
def adam(p, g, m, v, v_max, w, one_minus_w, small_w, beta2, one_minus_beta2, bc2_sqrt, eps,
         neg_step_size, amsgrad):
    """Adam (AMSGrad when ``amsgrad``): the new parameter, ``m``, ``v`` and ``v_max``.

    ``m = lerp(m, g, 1 - beta1)``; ``v = v * beta2 + (g * (1 - beta2)) * g`` (addcmul's
    order); ``v_max = maximum(v_max, v)`` (NaN if either is); then
    ``p + (m * -step_size) / (sqrt(v_hat) / bc2_sqrt + eps)`` (addcdiv's order), ``v_hat``
    being ``v_max`` or ``v``. ``v_max`` is returned unchanged without AMSGrad.
    """
    m = lerp(m, g, w, one_minus_w, small_w)
    v = v * beta2 + (g * one_minus_beta2) * g
    if amsgrad:
        v_max = np.maximum(v_max, v)
        denom = np.sqrt(v_max) / bc2_sqrt + eps
    else:
        denom = np.sqrt(v) / bc2_sqrt + eps
    return p + (m * neg_step_size) / denom, m, v, v_max


@register_jitable
def rmsprop(p, g, sq, g_avg, buf, alpha, one_minus_alpha, w, one_minus_w, small_w, eps,
            momentum, neg_lr, centered, use_momentum):
    """RMSprop: the new parameter, square average, gradient average and momentum buffer.

    ``sq = sq * alpha + (g * (1 - alpha)) * g``; centered, ``g_avg = lerp(g_avg, g, 1 - alpha)``
    and ``avg = sqrt(sq - g_avg * g_avg)``, else ``avg = sqrt(sq)``; with momentum
    ``buf = buf * momentum + g / (avg + eps)`` and ``p + buf * -lr``, else
    ``p + (g * -lr) / (avg + eps)``. Unused states are returned unchanged.
    """
    sq = sq * alpha + (g * one_minus_alpha) * g
    if centered:
        g_avg = lerp(g_avg, g, w, one_minus_w, small_w)
        den = np.sqrt(sq - g_avg * g_avg) + eps
    else:
        den = np.sqrt(sq) + eps
    if use_momentum:
        buf = buf * momentum + g / den
        return p + buf * neg_lr, sq, g_avg, buf
    return p + (g * neg_lr) / den, sq, g_avg, buf


@register_jitable
def adagrad(p, g, state_sum, eps, neg_clr):
    """Adagrad: ``sum + g * g`` and the new parameter ``p + (g * -clr) / (sqrt(sum) + eps)``."""
    state_sum = state_sum + g * g
    return p + (g * neg_clr) / (np.sqrt(state_sum) + eps), state_sum


@register_jitable
def adadelta(p, g, square_avg, acc_delta, rho, one_minus_rho, eps, neg_lr):
    """Adadelta: the new parameter, square average and accumulated update.

    ``v = v * rho + (g * (1 - rho)) * g``; ``delta = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = u * rho + (delta * (1 - rho)) * delta``; ``p + delta * -lr``.
    """
    square_avg = square_avg * rho + (g * one_minus_rho) * g
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = acc_delta * rho + (delta * one_minus_rho) * delta
    return p + delta * neg_lr, square_avg, acc_delta


# -- the loops: each runs its rule on one element at a time ----------------------------------
# The scalars arrive as Python floats (cheap to pass) and are rounded to the arrays' dtype
# once, before the loop, as NumPy rounds a Python float combined with an array.


@njit(cache=True, error_model="numpy")
def _sgd_loop(p, g, neg_lr):
    neg_lr = p.dtype.type(neg_lr)
    for i in range(p.size):
        p[i] = sgd(p[i], g[i], neg_lr)


@njit(cache=True, error_model="numpy")
def _sgd_momentum_loop(p, g, buf, momentum, one_minus_dampening, neg_lr, nesterov, first):
    t = p.dtype.type
    momentum, one_minus_dampening, neg_lr = t(momentum), t(one_minus_dampening), t(neg_lr)
    for i in range(p.size):
        p[i], buf[i] = sgd_momentum(p[i], g[i], buf[i], momentum, one_minus_dampening, neg_lr,
                                    nesterov, first)


@njit(cache=True, error_model="numpy")
def _adam_loop(p, g, m, v, v_max, w, one_minus_w, small_w, beta2, one_minus_beta2, bc2_sqrt,
               eps, neg_step_size, amsgrad):
    t = p.dtype.type
    w, one_minus_w, beta2, one_minus_beta2 = t(w), t(one_minus_w), t(beta2), t(one_minus_beta2)
    bc2_sqrt, eps, neg_step_size = t(bc2_sqrt), t(eps), t(neg_step_size)
    for i in range(p.size):
        p[i], m[i], v[i], vm = adam(p[i], g[i], m[i], v[i], v_max[i], w, one_minus_w, small_w,
                                    beta2, one_minus_beta2, bc2_sqrt, eps, neg_step_size,
                                    amsgrad)
        if amsgrad:
            v_max[i] = vm


@njit(cache=True, error_model="numpy")
def _rmsprop_loop(p, g, sq, g_avg, buf, alpha, one_minus_alpha, w, one_minus_w, small_w, eps,
                  momentum, neg_lr, centered, use_momentum):
    t = p.dtype.type
    alpha, one_minus_alpha, w, one_minus_w = t(alpha), t(one_minus_alpha), t(w), t(one_minus_w)
    eps, momentum, neg_lr = t(eps), t(momentum), t(neg_lr)
    for i in range(p.size):
        p[i], sq[i], ga, b = rmsprop(p[i], g[i], sq[i], g_avg[i], buf[i], alpha,
                                     one_minus_alpha, w, one_minus_w, small_w, eps, momentum,
                                     neg_lr, centered, use_momentum)
        if centered:
            g_avg[i] = ga
        if use_momentum:
            buf[i] = b


@njit(cache=True, error_model="numpy")
def _adagrad_loop(p, g, state_sum, eps, neg_clr):
    eps, neg_clr = p.dtype.type(eps), p.dtype.type(neg_clr)
    for i in range(p.size):
        p[i], state_sum[i] = adagrad(p[i], g[i], state_sum[i], eps, neg_clr)


@njit(cache=True, error_model="numpy")
def _adadelta_loop(p, g, square_avg, acc_delta, rho, one_minus_rho, eps, neg_lr):
    t = p.dtype.type
    rho, one_minus_rho, eps, neg_lr = t(rho), t(one_minus_rho), t(eps), t(neg_lr)
    for i in range(p.size):
        p[i], square_avg[i], acc_delta[i] = adadelta(p[i], g[i], square_avg[i], acc_delta[i],
                                                     rho, one_minus_rho, eps, neg_lr)


# -- in-place updates ----------------------------------------------------------------------
def _update(rule, loop, arrays: tuple, scalars: tuple) -> None:
    """Applies ``rule`` to ``arrays = (p, g, *state)`` in place, through ``loop`` when all are
    C-contiguous and of one float32 or float64 dtype; the rule returns the new ``(p, *state)``
    (or ``p`` alone), returning any state it does not use unchanged."""
    dt = arrays[0].dtype
    if (dt == np.float32 or dt == np.float64) and all(
            a.dtype == dt and a.flags.c_contiguous for a in arrays):
        loop(*[a.reshape(-1) for a in arrays], *scalars)
        return
    p, _, *state = arrays
    result = rule(*arrays, *scalars)
    for out, new in zip((p, *state), result if state else (result,), strict=True):
        if new is not out:
            out[...] = new


def sgd_(p: np.ndarray, g: np.ndarray, lr: float) -> None:
    """``p -= lr * g`` in place (rounded as ``p + g * -lr``)."""
    _update(sgd, _sgd_loop, (p, g), (-lr,))


def sgd_momentum_(p: np.ndarray, g: np.ndarray, buf: np.ndarray, momentum: float,
                  dampening: float, lr: float, nesterov: bool, first: bool) -> None:
    """One SGD step with momentum, updating ``p`` and ``buf`` in place (see :func:`sgd_momentum`;
    ``first`` sets the buffer to ``g``)."""
    _update(sgd_momentum, _sgd_momentum_loop, (p, g, buf),
            (momentum, 1 - dampening, -lr, bool(nesterov), bool(first)))


def adam_(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, v_max: np.ndarray | None,
          beta1: float, beta2: float, eps: float, step_size: float, bc2_sqrt: float) -> None:
    """One Adam update of ``p``, ``m``, ``v`` (and ``v_max`` unless it is None) in place.

    Args:
        p, g, m, v, v_max: the parameter, its gradient and its Adam state.
        beta1, beta2, eps: Adam's hyperparameters.
        step_size: ``lr / (1 - beta1 ** step)``.
        bc2_sqrt: ``sqrt(1 - beta2 ** step)``.
    """
    w = 1 - beta1
    amsgrad = v_max is not None
    _update(adam, _adam_loop, (p, g, m, v, v_max if amsgrad else v),
            (w, 1 - w, abs(w) < 0.5, beta2, 1 - beta2, bc2_sqrt, eps, -step_size, amsgrad))


def rmsprop_(p: np.ndarray, g: np.ndarray, square_avg: np.ndarray, grad_avg: np.ndarray | None,
             buf: np.ndarray | None, alpha: float, eps: float, momentum: float,
             lr: float) -> None:
    """One RMSprop update in place (``grad_avg`` None unless centered, ``buf`` None without
    momentum)."""
    w = 1 - alpha
    centered, use_momentum = grad_avg is not None, buf is not None
    _update(rmsprop, _rmsprop_loop,
            (p, g, square_avg, grad_avg if centered else p, buf if use_momentum else p),
            (alpha, 1 - alpha, w, 1 - w, abs(w) < 0.5, eps, momentum, -lr, centered,
             use_momentum))


def adagrad_(p: np.ndarray, g: np.ndarray, state_sum: np.ndarray, eps: float,
             clr: float) -> None:
    """One Adagrad update of ``p`` and ``state_sum`` in place (``clr`` the decayed rate)."""
    _update(adagrad, _adagrad_loop, (p, g, state_sum), (eps, -clr))


def adadelta_(p: np.ndarray, g: np.ndarray, square_avg: np.ndarray, acc_delta: np.ndarray,
              rho: float, eps: float, lr: float) -> None:
    """One Adadelta update of ``p``, ``square_avg`` and ``acc_delta`` in place."""
    _update(adadelta, _adadelta_loop, (p, g, square_avg, acc_delta), (rho, 1 - rho, eps, -lr))


# -- L-BFGS ----------------------------------------------------------------------------------
@intrinsic
def _fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``fma``)."""
    def codegen(context, builder, signature, args):
        return builder.fma(*args)
    return a(a, b, c), codegen


@njit(cache=True)
def _add_scaled_loop(alpha, x, y):
    out = np.empty_like(y)
    for i in range(y.size):
        out[i] = _fma(alpha, x[i], y[i])
    return out


def add_scaled(y: np.ndarray, alpha: float, x: np.ndarray) -> np.ndarray:
    """``y + alpha * x`` for flat float32 or float64 arrays, rounded once per entry (a fused
    multiply-add), as torch's ``y.add(x, alpha=alpha)``; a new array of ``y``'s dtype."""
    return _add_scaled_loop(y.dtype.type(alpha), np.ascontiguousarray(x, y.dtype),
                            np.ascontiguousarray(y))

"""Fused one-pass update kernels (Numba) for SGD, Adam, RMSprop and Adagrad on contiguous arrays.

Each kernel performs, element by element, exactly the arithmetic of the NumPy path in
``sgd.py`` / ``adam.py`` (same operations, same order, same dtype; no fused multiply-add), so
both paths give bit-identical results; the kernel reads and writes each array once instead of
once per NumPy operation (an Adam step of NumPy ufuncs streams about 25 arrays, this one 7).

Scalars are passed already cast to the arrays' dtype so that float32 updates round as NumPy's
(and torch's) float32 arithmetic does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ENABLED", "eligible", "sgd_", "sgd_momentum_", "adam_", "rmsprop_", "adagrad_"]

ENABLED = True  # tests switch this off to check the NumPy path against the kernels


def eligible(*arrays: np.ndarray) -> bool:
    """True when the kernels apply: fused path on, one float dtype, all C-contiguous."""
    if not ENABLED:
        return False
    dt = arrays[0].dtype
    if dt != np.float32 and dt != np.float64:
        return False
    return all(a.dtype == dt and a.flags.c_contiguous for a in arrays)


@njit(cache=True, error_model="numpy")
def _sgd(p, g, neg_lr):
    for i in range(p.size):
        p[i] = p[i] + g[i] * neg_lr


@njit(cache=True, error_model="numpy")
def _sgd_momentum(p, g, buf, momentum, neg_lr, nesterov):
    for i in range(p.size):
        b = buf[i] * momentum + g[i]
        buf[i] = b
        if nesterov:
            b = b * momentum + g[i]
        p[i] = p[i] + b * neg_lr


@njit(cache=True, error_model="numpy")
def _adam(p, g, m, v, w, beta2, one_minus_beta2, bc2_sqrt, eps, neg_step_size):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * w
        m[i] = mi
        vi = v[i] * beta2 + (gi * one_minus_beta2) * gi
        v[i] = vi
        p[i] = p[i] + (mi * neg_step_size) / (np.sqrt(vi) / bc2_sqrt + eps)


@njit(cache=True, error_model="numpy")
def _adam_general(p, g, m, v, v_max, w, one_minus_w, small_w, beta2, one_minus_beta2, bc2_sqrt,
                  eps, neg_step_size, amsgrad):
    for i in range(p.size):
        gi = g[i]
        mi = m[i]
        d = gi - mi
        if small_w:
            mi = mi + d * w
        else:
            mi = gi - d * one_minus_w
        m[i] = mi
        vi = v[i] * beta2 + (gi * one_minus_beta2) * gi
        v[i] = vi
        if amsgrad:
            vm = v_max[i]
            if vi > vm or vi != vi:  # np.maximum: the larger, NaN if either is NaN
                vm = vi
            v_max[i] = vm
            vi = vm
        p[i] = p[i] + (mi * neg_step_size) / (np.sqrt(vi) / bc2_sqrt + eps)


@njit(cache=True, error_model="numpy")
def _rmsprop(p, g, sq, g_avg, buf, alpha, one_minus_alpha, w, one_minus_w, small_w, eps,
             momentum, neg_lr, centered, use_momentum):
    for i in range(p.size):
        gi = g[i]
        si = sq[i] * alpha + (gi * one_minus_alpha) * gi
        sq[i] = si
        if centered:
            ai = g_avg[i]
            d = gi - ai
            if small_w:
                ai = ai + d * w
            else:
                ai = gi - d * one_minus_w
            g_avg[i] = ai
            si = si - ai * ai
        den = np.sqrt(si) + eps
        if use_momentum:
            b = buf[i] * momentum + gi / den
            buf[i] = b
            p[i] = p[i] + b * neg_lr
        else:
            p[i] = p[i] + (gi * neg_lr) / den


@njit(cache=True, error_model="numpy")
def _adagrad(p, g, state_sum, eps, neg_clr):
    for i in range(p.size):
        gi = g[i]
        si = state_sum[i] + gi * gi
        state_sum[i] = si
        p[i] = p[i] + (gi * neg_clr) / (np.sqrt(si) + eps)


def sgd_(p: np.ndarray, g: np.ndarray, lr: float) -> None:
    """``p += g * (-lr)``."""
    t = p.dtype.type
    _sgd(p.reshape(-1), g.reshape(-1), t(-lr))


def sgd_momentum_(p, g, buf, momentum: float, lr: float, nesterov: bool) -> None:
    """``buf = buf * momentum + g``; ``p += (g + momentum * buf if nesterov else buf) * -lr``."""
    t = p.dtype.type
    _sgd_momentum(p.reshape(-1), g.reshape(-1), buf.reshape(-1), t(momentum), t(-lr),
                  bool(nesterov))


def adam_(p, g, m, v, v_max, weight: float, beta2: float, bc2_sqrt: float, eps: float,
          step_size: float) -> None:
    """One Adam update of ``p``, ``m``, ``v`` (and ``v_max`` when it is not None)."""
    t = p.dtype.type
    if v_max is None and abs(weight) < 0.5:  # the common case, a branch-free loop
        _adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(weight), t(beta2),
              t(1 - beta2), t(bc2_sqrt), t(eps), t(-step_size))
        return
    amsgrad = v_max is not None
    _adam_general(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                  (v_max if amsgrad else v).reshape(-1), t(weight), t(1 - weight),
                  abs(weight) < 0.5, t(beta2), t(1 - beta2), t(bc2_sqrt), t(eps), t(-step_size),
                  amsgrad)


def rmsprop_(p, g, square_avg, grad_avg, buf, alpha: float, eps: float, momentum: float,
             lr: float) -> None:
    """One RMSprop update (``grad_avg`` None unless centered, ``buf`` None without momentum)."""
    t = p.dtype.type
    w = 1 - alpha
    flat = p.reshape(-1)
    _rmsprop(flat, g.reshape(-1), square_avg.reshape(-1),
             flat if grad_avg is None else grad_avg.reshape(-1),
             flat if buf is None else buf.reshape(-1), t(alpha), t(1 - alpha), t(w), t(1 - w),
             abs(w) < 0.5, t(eps), t(momentum), t(-lr), grad_avg is not None, buf is not None)


def adagrad_(p, g, state_sum, eps: float, clr: float) -> None:
    """``sum += g * g``; ``p += (g * -clr) / (sqrt(sum) + eps)``."""
    t = p.dtype.type
    _adagrad(p.reshape(-1), g.reshape(-1), state_sum.reshape(-1), t(eps), t(-clr))

"""Fused one-pass optimizer updates (Numba), used by ``ember.optim`` through ``optim/_fused.py``.

Each loop performs exactly the arithmetic of the optimizers' NumPy path (same operations,
same order, same dtype; no fused multiply-add), so both give bit-identical results.
"""

from __future__ import annotations

import numpy as np

from .jit import njit


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
def _adam_general(
    p,
    g,
    m,
    v,
    v_max,
    w,
    one_minus_w,
    small_w,
    beta2,
    one_minus_beta2,
    bc2_sqrt,
    eps,
    neg_step_size,
    amsgrad,
):
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
def _rmsprop(
    p,
    g,
    sq,
    g_avg,
    buf,
    alpha,
    one_minus_alpha,
    w,
    one_minus_w,
    small_w,
    eps,
    momentum,
    neg_lr,
    centered,
    use_momentum,
):
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

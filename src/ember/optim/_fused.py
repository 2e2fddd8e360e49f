"""Fused one-pass update kernels (Numba) for SGD, Adam, RMSprop and Adagrad on contiguous arrays.

Each kernel performs, element by element, exactly the arithmetic of the NumPy path in
``sgd.py`` / ``adam.py`` (same operations, same order, same dtype; no fused multiply-add), so
both paths give bit-identical results; a kernel reads and writes each array once instead of
once per NumPy operation (an Adam step of NumPy ufuncs streams about 25 arrays, this one 7).
The loops live in ``ember.kernels.optim``, imported on first use so that ``import ember``
does not load Numba.

Scalars are passed already cast to the arrays' dtype so that float32 updates round as NumPy's
(and torch's) float32 arithmetic does.
"""

from __future__ import annotations

import numpy as np

from ember.kernels import loader

__all__ = ["ENABLED", "adagrad_", "adam_", "eligible", "rmsprop_", "sgd_", "sgd_momentum_"]

ENABLED = True  # tests switch this off to check the NumPy path against the kernels


def eligible(*arrays: np.ndarray) -> bool:
    """True when the kernels apply: fused path on, one float dtype, all C-contiguous, and Numba
    loaded (or worth loading now for arrays this large, see ``ember.kernels.loader``)."""
    if not ENABLED:
        return False
    dt = arrays[0].dtype
    if dt != np.float32 and dt != np.float64:
        return False
    return (all(a.dtype == dt and a.flags.c_contiguous for a in arrays)
            and loader.use_numba(arrays[0].size))


def _loops():
    from ember.kernels import optim

    return optim


def sgd_(p: np.ndarray, g: np.ndarray, lr: float) -> None:
    """``p += g * (-lr)``."""
    t = p.dtype.type
    _loops()._sgd(p.reshape(-1), g.reshape(-1), t(-lr))


def sgd_momentum_(p, g, buf, momentum: float, lr: float, nesterov: bool) -> None:
    """``buf = buf * momentum + g``; ``p += (g + momentum * buf if nesterov else buf) * -lr``."""
    t = p.dtype.type
    _loops()._sgd_momentum(
        p.reshape(-1), g.reshape(-1), buf.reshape(-1), t(momentum), t(-lr), bool(nesterov)
    )


def adam_(
    p, g, m, v, v_max, weight: float, beta2: float, bc2_sqrt: float, eps: float, step_size: float
) -> None:
    """One Adam update of ``p``, ``m``, ``v`` (and ``v_max`` when it is not None)."""
    t = p.dtype.type
    if v_max is None and abs(weight) < 0.5:  # the common case, a branch-free loop
        _loops()._adam(
            p.reshape(-1),
            g.reshape(-1),
            m.reshape(-1),
            v.reshape(-1),
            t(weight),
            t(beta2),
            t(1 - beta2),
            t(bc2_sqrt),
            t(eps),
            t(-step_size),
        )
        return
    amsgrad = v_max is not None
    _loops()._adam_general(
        p.reshape(-1),
        g.reshape(-1),
        m.reshape(-1),
        v.reshape(-1),
        (v_max if amsgrad else v).reshape(-1),
        t(weight),
        t(1 - weight),
        abs(weight) < 0.5,
        t(beta2),
        t(1 - beta2),
        t(bc2_sqrt),
        t(eps),
        t(-step_size),
        amsgrad,
    )


def rmsprop_(
    p, g, square_avg, grad_avg, buf, alpha: float, eps: float, momentum: float, lr: float
) -> None:
    """One RMSprop update (``grad_avg`` None unless centered, ``buf`` None without momentum)."""
    t = p.dtype.type
    w = 1 - alpha
    flat = p.reshape(-1)
    _loops()._rmsprop(
        flat,
        g.reshape(-1),
        square_avg.reshape(-1),
        flat if grad_avg is None else grad_avg.reshape(-1),
        flat if buf is None else buf.reshape(-1),
        t(alpha),
        t(1 - alpha),
        t(w),
        t(1 - w),
        abs(w) < 0.5,
        t(eps),
        t(momentum),
        t(-lr),
        grad_avg is not None,
        buf is not None,
    )


def adagrad_(p, g, state_sum, eps: float, clr: float) -> None:
    """``sum += g * g``; ``p += (g * -clr) / (sqrt(sum) + eps)``."""
    t = p.dtype.type
    _loops()._adagrad(p.reshape(-1), g.reshape(-1), state_sum.reshape(-1), t(eps), t(-clr))

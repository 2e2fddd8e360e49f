"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from ember.optim import _fused
from ember.optim.optimizer import Optimizer, _scalar
from ember.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    With ``g = grad (+ weight_decay * p)`` (negated first when ``maximize``), the momentum
    buffer is ``b = g`` on the first step and ``b = momentum * b + (1 - dampening) * g`` after;
    the update is ``p -= lr * (g + momentum * b if nesterov else b)`` (``p -= lr * g`` without
    momentum).

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: use Nesterov momentum (default False).
        maximize: maximize the objective instead of minimizing it (default False).
        foreach, differentiable, fused: accepted for compatibility; Ember has one
            implementation.

    Example:
        >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def apply_single(self, param, grad, state, group) -> None:
        lr, momentum = _scalar(group["lr"]), group["momentum"]
        wd = group["weight_decay"]
        grad = self._prepare_grad(param, grad, group["maximize"], wd)
        if momentum == 0:
            if _fused.eligible(param, grad):
                _fused.sgd_(param, grad, lr)
                return
        elif group["dampening"] == 0 and "momentum_buffer" in state:
            buf = state["momentum_buffer"]._data
            if _fused.eligible(param, grad, buf):
                _fused.sgd_momentum_(param, grad, buf, momentum, lr, group["nesterov"])
                return
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                state["momentum_buffer"] = Tensor._make(np.array(grad, copy=True))
                buf = state["momentum_buffer"]._data
            else:
                buf = buf._data
                buf *= momentum
                dampening = group["dampening"]
                if dampening == 0:
                    buf += grad
                else:
                    tmp = self._buffer(grad, 0)
                    np.multiply(grad, 1 - dampening, out=tmp)
                    buf += tmp
            if group["nesterov"]:
                step = self._buffer(grad, 0)
                np.multiply(buf, momentum, out=step)
                step += grad
            else:
                step = buf
        else:
            step = grad
        tmp = self._buffer(grad, 0)
        np.multiply(step, -lr, out=tmp)
        param += tmp

"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from ember.optim.optimizer import Optimizer, _check_hyperparameters, _scalar
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
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # the gradient is 2 w
        ...     opt.step()
        >>> w
        tensor([ 0.4600, -0.9200], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_hyperparameters(nan_ok=True, lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def apply_single(self, param, grad, state, group) -> None:
        lr, momentum = _scalar(group["lr"]), group["momentum"]
        grad = self._prepare_grad(param, grad, group["maximize"], group["weight_decay"])
        if momentum == 0:
            self._kernels.sgd_(param, grad, lr)
            return
        buf = state.get("momentum_buffer")
        first = buf is None
        if first:  # the buffer starts as a copy of the gradient
            buf = state["momentum_buffer"] = Tensor._make(np.empty_like(grad))
        self._kernels.sgd_momentum_(param, grad, buf._data, momentum, group["dampening"], lr,
                                    group["nesterov"], first)

"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

from ember.optim.optimizer import (
    Optimizer,
    _bump,
    _check_hyperparameters,
    _scalar,
    _step_tensor,
    _zeros,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    Each step, with ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)::

        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - g_avg**2) if centered (g_avg = lerp(g_avg, g, 1 - alpha)) else sqrt(v)
        b = momentum * b + g / (avg + eps);  p -= lr * b     (momentum > 0)
        p -= lr * g / (avg + eps)                              (otherwise)

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: term added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance (default False).
        maximize: maximize the objective (default False).
        capturable, foreach, differentiable: accepted for compatibility.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.RMSprop([w], lr=0.01, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w
        tensor([ 0.7429, -1.7409], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_hyperparameters(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                               alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def init_single(self, param, state, group) -> None:
        state["step"] = _step_tensor()
        state["square_avg"] = _zeros(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros(param)
        if group["centered"]:
            state["grad_avg"] = _zeros(param)

    def apply_single(self, param, grad, state, group) -> None:
        lr, alpha, momentum = _scalar(group["lr"]), group["alpha"], group["momentum"]
        _bump(state["step"])
        grad = self._prepare_grad(param, grad, group["maximize"], group["weight_decay"])
        square_avg = state["square_avg"]._data
        grad_avg = state["grad_avg"]._data if group["centered"] else None
        buf = state["momentum_buffer"]._data if momentum > 0 else None
        self._kernels.rmsprop_(param, grad, square_avg, grad_avg, buf, alpha, group["eps"],
                               momentum, lr)

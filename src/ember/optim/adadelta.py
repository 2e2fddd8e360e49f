"""Adadelta."""

from __future__ import annotations

from ember.optim.optimizer import (
    Optimizer,
    _bump,
    _check_hyperparameters,
    _scalar,
    _step_tensor,
    _zeros,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (Zeiler, 2012).

    Each step, with ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)::

        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p -= lr * delta

    Args:
        params: parameters or parameter groups.
        lr: coefficient that scales delta before it is applied (default 1.0).
        rho: coefficient of the running averages of squared gradients and updates
            (default 0.9).
        eps: term added to both running averages for numerical stability (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective (default False).
        foreach, capturable, differentiable: accepted for compatibility.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adadelta([w], lr=1.0)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w
        tensor([ 0.9936, -1.9936], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_hyperparameters(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_hyperparameters(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def init_single(self, param, state, group) -> None:
        state["step"] = _step_tensor()
        state["square_avg"] = _zeros(param)
        state["acc_delta"] = _zeros(param)

    def apply_single(self, param, grad, state, group) -> None:
        rho, eps = group["rho"], group["eps"]
        _bump(state["step"])
        grad = self._prepare_grad(param, grad, group["maximize"], group["weight_decay"])
        self._kernels.adadelta_(param, grad, state["square_avg"]._data, state["acc_delta"]._data,
                                rho, eps, _scalar(group["lr"]))

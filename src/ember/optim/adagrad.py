"""Adagrad."""

from __future__ import annotations

from ember.optim.optimizer import (
    Optimizer,
    _bump,
    _check_hyperparameters,
    _scalar,
    _step_tensor,
    _zeros,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (Duchi et al., 2011).

    Each step t, with ``g`` the gradient (negated when ``maximize``, plus ``weight_decay * p``)::

        s += g * g;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    The state (``step`` and ``sum``) exists from construction, as in PyTorch.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sums of squares (default 0).
        eps: term added to the denominator (default 1e-10).
        maximize: maximize the objective (default False).
        foreach, differentiable, fused: accepted for compatibility.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adagrad([w], lr=0.1)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w
        tensor([ 0.8331, -1.8311], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_hyperparameters(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                               initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _init_group_state(self, group) -> None:
        for p in group["params"]:
            state = self.state[p]
            if not state:
                self.init_single(p._data, state, group)

    def init_single(self, param, state, group) -> None:
        state["step"] = _step_tensor()
        state["sum"] = _zeros(param, group["initial_accumulator_value"])

    def apply_single(self, param, grad, state, group) -> None:
        step = _bump(state["step"])
        grad = self._prepare_grad(param, grad, group["maximize"], group["weight_decay"])
        clr = _scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        self._kernels.adagrad_(param, grad, state["sum"]._data, group["eps"], clr)

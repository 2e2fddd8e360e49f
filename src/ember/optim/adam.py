"""Adam (and, with decoupled weight decay, AdamW's update)."""

from __future__ import annotations

from ember.optim.optimizer import (
    Optimizer,
    _bump,
    _check_hyperparameters,
    _scalar,
    _step_tensor,
    _zeros,
)

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    _check_hyperparameters(lr=lr, eps=eps)
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    _check_hyperparameters(weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (Kingma & Ba, 2014; AMSGrad variant optional).

    Each step, with ``g`` the gradient (negated when ``maximize``; plus ``weight_decay * p``
    unless the decay is decoupled, in which case ``p *= 1 - lr * weight_decay`` first)::

        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        p -= lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    Args:
        params: parameters or parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment averages (default (0.9, 0.999)).
        eps: term added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        amsgrad: use the maximum of past second moments (default False).
        maximize: maximize the objective (default False).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        foreach, capturable, differentiable, fused: accepted for compatibility.

    Example:
        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adam([w], lr=0.1)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w  # each step moves each entry by about lr
        tensor([ 0.8004, -1.8002], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def init_single(self, param, state, group) -> None:
        state["step"] = _step_tensor()
        state["exp_avg"] = _zeros(param)
        state["exp_avg_sq"] = _zeros(param)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros(param)

    def apply_single(self, param, grad, state, group) -> None:
        lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        step = _bump(state["step"])
        if wd != 0 and group["decoupled_weight_decay"]:
            param *= 1 - lr * wd
            wd = 0
        grad = self._prepare_grad(param, grad, group["maximize"], wd)
        v_max = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
        self._kernels.adam_(param, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data, v_max,
                            beta1, beta2, eps, lr / (1 - beta1 ** step),
                            (1 - beta2 ** step) ** 0.5)

"""``OneCycleLR``: the 1cycle policy, stepped after every batch."""

from __future__ import annotations

import math

from ember.optim.lr_scheduler.base import LRScheduler, _check_optimizer, _format_param
from ember.optim.optimizer import Optimizer

__all__ = ["OneCycleLR"]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017): the rate rises from ``max_lr / div_factor`` to
    ``max_lr`` and anneals to ``initial_lr / final_div_factor``, while the momentum (SGD's
    ``momentum`` or Adam's ``beta1``) moves the opposite way. Step it after every batch.

    Args:
        optimizer: the optimizer.
        max_lr: peak rate, a number or one per group.
        total_steps: steps in the cycle (or give ``epochs`` and ``steps_per_epoch``).
        epochs, steps_per_epoch: their product is ``total_steps``.
        pct_start: fraction of the cycle spent increasing the rate (default 0.3).
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        cycle_momentum: cycle the momentum inversely to the rate (default True).
        base_momentum, max_momentum: momentum bounds (default 0.85, 0.95).
        div_factor: ``initial_lr = max_lr / div_factor`` (default 25).
        final_div_factor: ``min_lr = initial_lr / final_div_factor`` (default 1e4).
        three_phase: come back down to ``initial_lr`` before annealing to ``min_lr``.
        last_epoch: index of the last batch (default -1).

    Example:
        >>> opt = ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = OneCycleLR(opt, max_lr=0.01, total_steps=100)
        >>> lrs = []
        >>> for batch in range(100):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     opt.step()  # a training batch
        ...     sched.step()
        >>> round(lrs[0], 6), round(max(lrs), 6), lrs.index(max(lrs)), lrs[-1] < 1e-6
        (0.0004, 0.01, 29, True)
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        self._schedule_phases = _phases(self.total_steps, pct_start, three_phase)
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(max_momentum, base_momentum, last_epoch == -1)
        super().__init__(optimizer, last_epoch)

    def _init_momentum(self, max_momentum, base_momentum, fresh: bool) -> None:
        """Checks that the optimizer has a momentum (or Adam's beta1) to cycle and, on a fresh
        schedule, starts it at ``max_momentum``."""
        optimizer = self.optimizer
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
            )
        self.use_beta1 = "betas" in optimizer.defaults
        max_moms = _format_param("max_momentum", optimizer, max_momentum)
        base_moms = _format_param("base_momentum", optimizer, base_momentum)
        if not fresh:
            return
        for m_mom, b_mom, group in zip(max_moms, base_moms, optimizer.param_groups, strict=True):
            if self.use_beta1:
                group["betas"] = (m_mom, *group["betas"][1:])
            else:
                group["momentum"] = m_mom
            group["max_momentum"] = m_mom
            group["base_momentum"] = b_mom

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        mom = self._anneal_func(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (mom, *group["betas"][1:])
                else:
                    group["momentum"] = mom
        return lrs


def _total_steps(total_steps: int | None, epochs: int | None,
                 steps_per_epoch: int | None) -> int:
    """The cycle's length: ``total_steps``, or ``epochs * steps_per_epoch``, validated."""
    if total_steps is not None:
        if total_steps <= 0 or not isinstance(total_steps, int):
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"Expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
        raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
    return epochs * steps_per_epoch


def _phases(n: int, pct_start: float, three_phase: bool) -> list[dict]:
    """The cycle's phases: the last step of each and the group keys it anneals between."""
    if three_phase:
        return [
            dict(end_step=float(pct_start * n) - 1, start_lr="initial_lr", end_lr="max_lr",
                 start_momentum="max_momentum", end_momentum="base_momentum"),
            dict(end_step=float(2 * pct_start * n) - 2, start_lr="max_lr", end_lr="initial_lr",
                 start_momentum="base_momentum", end_momentum="max_momentum"),
            dict(end_step=n - 1, start_lr="initial_lr", end_lr="min_lr",
                 start_momentum="max_momentum", end_momentum="max_momentum"),
        ]
    return [
        dict(end_step=float(pct_start * n) - 1, start_lr="initial_lr", end_lr="max_lr",
             start_momentum="max_momentum", end_momentum="base_momentum"),
        dict(end_step=n - 1, start_lr="max_lr", end_lr="min_lr",
             start_momentum="base_momentum", end_momentum="max_momentum"),
    ]

"""``GradScaler``: loss scaling for mixed-precision training, as ``torch.amp.GradScaler``.

The scaler multiplies the loss by a scale factor before backward, so small gradients of a
low-precision forward do not underflow; ``unscale_`` divides the gradients back and looks for
infs and NaNs; ``step`` skips the optimizer step when it found one; ``update`` halves the
scale after such a step and doubles it after ``growth_interval`` clean steps in a row.

On the ``"cpu"`` device it works as PyTorch's CPU scaler. For ``"cuda"`` it is disabled with
PyTorch's warning (Ember has no CUDA): ``scale`` returns its input, ``step`` just steps,
``update`` does nothing, and ``state_dict`` is empty, as in PyTorch's CPU-only build.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from enum import Enum

import numpy as np

from ember import ops as _ops
from ember.tensor import Tensor

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    """Where an optimizer is in the scaler's cycle since the last ``update``."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict:
    return {"stage": OptState.READY, "found_inf": False, "checked": False}


class GradScaler:
    """Scales the loss and unscales the gradients for mixed-precision training.

    Args:
        device: ``"cpu"`` (a working scaler) or ``"cuda"`` (disabled: Ember has no CUDA).
        init_scale: the initial scale factor.
        growth_factor: factor the scale grows by after ``growth_interval`` clean steps.
        backoff_factor: factor the scale shrinks by after a step with an inf or NaN gradient.
        growth_interval: clean steps between two growths.
        enabled: False makes every method a pass-through.

    Example:
        >>> scaler = ember.amp.GradScaler("cpu")
        >>> scaler.scale(loss).backward()
        >>> scaler.step(optimizer)
        >>> scaler.update()
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = str(device)
        self._enabled = bool(enabled)
        if self._enabled and self._device.split(":")[0] == "cuda":
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2,
            )
            self._enabled = False
        if not self._enabled:
            return
        if not growth_factor > 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if not backoff_factor < 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._scale = float(np.float32(init_scale))
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: defaultdict = defaultdict(_fresh_state)

    # -- the cycle ---------------------------------------------------------------------------
    def scale(self, outputs):
        """Multiplies ``outputs`` (a tensor, or lists/tuples of them) by the scale factor."""
        if not self._enabled:
            return outputs
        def scaled(value):
            if isinstance(value, Tensor):
                return value * self._scale_tensor(value)
            if isinstance(value, (list, tuple)):
                return type(value)(scaled(v) for v in value)
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return scaled(outputs)

    def _scale_tensor(self, like):
        return _ops.tensor(self._scale, dtype=like.dtype if like.is_floating_point() else None)

    def unscale_(self, optimizer) -> None:
        """Divides ``optimizer``'s gradients by the scale, in place, and records whether any
        is inf or NaN (call it before clipping gradients)."""
        if not self._enabled:
            return
        state = self._per_optimizer[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = np.float32(1.0 / np.float64(np.float32(self._scale)))
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if grad.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                with np.errstate(all="ignore"):
                    if not np.isfinite(grad).all():
                        found_inf = True
                    np.multiply(grad, inv_scale.astype(grad.dtype), out=grad)
                p.grad._version_counter.value += 1
                state["checked"] = True
        state["found_inf"] = found_inf
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscales the gradients if ``unscale_`` was not called, then runs
        ``optimizer.step(*args, **kwargs)`` unless a gradient was inf or NaN.

        Returns:
            What ``optimizer.step`` returned, or None when the step was skipped.
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError(
                "Closure use is not currently supported if GradScaler is enabled."
            )
        state = self._per_optimizer[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if not state["checked"]:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Updates the scale: backs off after a skipped step, grows after enough clean ones.

        Args:
            new_scale: if given (a float or a one-element tensor), the new scale, as is.
        """
        if not self._enabled:
            return
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1:
                    raise AssertionError("new_scale should be a single-element tensor.")
                new_scale = new_scale.item()
            self._scale = float(np.float32(new_scale))
        else:
            checked = [s for s in self._per_optimizer.values() if s["checked"]]
            if not checked:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in checked):
                self._scale = float(np.float32(self._scale * self._backoff_factor))
                self._growth_tracker = 0
            else:
                tracker = self._growth_tracker + 1
                if tracker == self._growth_interval:
                    grown = np.float32(self._scale * self._growth_factor)
                    if np.isfinite(grown):
                        self._scale = float(grown)
                    tracker = 0
                self._growth_tracker = tracker
        self._per_optimizer = defaultdict(_fresh_state)

    # -- settings and state ----------------------------------------------------------------
    def is_enabled(self) -> bool:
        """True if the scaler scales (False when disabled or for ``"cuda"``)."""
        return self._enabled

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` clean steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Sets the growth factor."""
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a step with an inf or NaN gradient."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Sets the backoff factor."""
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        """The number of clean steps between two growths of the scale."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Sets the growth interval."""
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """The scale and its settings (an empty dict when disabled), as PyTorch's keys."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restores what ``state_dict`` returned."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])

"""``ember.cuda.amp``: PyTorch's deprecated CUDA spelling of ``ember.amp``."""

from __future__ import annotations

import warnings

from ember.amp import grad_scaler as _grad_scaler

__all__ = ["GradScaler"]


class GradScaler(_grad_scaler.GradScaler):
    """``ember.amp.GradScaler("cuda", ...)`` under its deprecated name: warns as PyTorch does,
    then (Ember has no CUDA) is disabled with PyTorch's warning."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        warnings.warn(
            "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
            "`torch.amp.GradScaler('cuda', args...)` instead.",
            FutureWarning, stacklevel=2,
        )
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)

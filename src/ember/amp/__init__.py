"""``ember.amp``: mixed-precision helpers, as ``torch.amp`` (the gradient scaler)."""

from ember.amp.grad_scaler import GradScaler

__all__ = ["GradScaler"]

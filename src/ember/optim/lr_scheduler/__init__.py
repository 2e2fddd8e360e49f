"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups each time ``step()``
is called (after ``optimizer.step()``). The recursive schedulers (StepLR, ExponentialLR,
CosineAnnealingLR ...) compute the next rate from the current one exactly as PyTorch does, so
that the floating-point sequences match PyTorch's and other changes to the rates compose.

The package reads by family: ``base`` (``LRScheduler`` and shared helpers), ``lambda_lr``,
``decay`` (factor schedules), ``cosine``, ``plateau``, ``composite`` (sequential and chained)
and ``one_cycle``. Import the schedulers from here, as from torch's module.
"""

from ember.optim.lr_scheduler.base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler
from ember.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from ember.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from ember.optim.lr_scheduler.decay import (
    ConstantLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from ember.optim.lr_scheduler.lambda_lr import LambdaLR, MultiplicativeLR
from ember.optim.lr_scheduler.one_cycle import OneCycleLR
from ember.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "EPOCH_DEPRECATION_WARNING",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "_LRScheduler",
]

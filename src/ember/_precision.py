"""The state of low-precision computation: bfloat16 tensors and autocast.

Ember computes bfloat16 as PyTorch's CPU does: an op on bfloat16 tensors converts them to
float32, computes, and rounds its float32 results back to bfloat16. The conversions are
recorded casts, so autograd sees them like any other op. Autocast (``ember.autocast``) casts the
inputs of listed ops to a lower precision, or back to float32, before they run.

Both live on one slower path of ``ArrayFunction.apply``, taken only while ``STATE.active``:
once a bfloat16 dtype has been asked for, or while autocast is on. Programs that never use
either pay one attribute test per op.
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

__all__ = ["BF16", "STATE", "note_bfloat16"]

BF16 = np.dtype(ml_dtypes.bfloat16)


class LowPrecisionState:
    """What the low-precision path needs to know; one instance, :data:`STATE`.

    Attributes:
        active: True while the path must run (bfloat16 in use, or autocast on).
        bfloat16_seen: a bfloat16 dtype has been asked for in this process.
        autocast: the enabled autocast dtypes by device type (``{"cpu": BF16}``).
        policies: ``{Function class: "lower" | "fp32"}``: what autocast does to its inputs.
        native: Function classes that handle bfloat16 arrays themselves (casts); views are
            native too.
        cast: the recorded cast, ``cast(tensor, numpy_dtype) -> tensor``.
    """

    def __init__(self) -> None:
        self.active = False
        self.bfloat16_seen = False
        self.autocast: dict = {}
        self.policies: dict = {}
        self.native: set = set()
        self.cast: Any = None  # set by ember.ops once the cast op exists

    def refresh(self) -> None:
        self.active = self.bfloat16_seen or bool(self.autocast)


STATE = LowPrecisionState()


def note_bfloat16() -> None:
    """Turns the low-precision path on: a bfloat16 dtype is in use."""
    if not STATE.bfloat16_seen:
        STATE.bfloat16_seen = True
        STATE.refresh()


def autocast_lower(npd: np.dtype) -> np.dtype:
    """The dtype an op on autocast's lower-precision list sees for an input of dtype ``npd``
    (for dtype checks made before the op runs: autocast casts float32 first)."""
    target = STATE.autocast.get("cpu")
    return target if target is not None and npd == np.float32 else npd

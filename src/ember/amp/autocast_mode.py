"""``ember.autocast``: automatic mixed precision on the CPU, as ``torch.autocast``.

Inside ``with ember.autocast("cpu"):`` (bfloat16 by default, or ``dtype=ember.float16``), the
ops PyTorch's CPU autocast lists as safe in lower precision (matrix products, linear layers,
convolutions, PReLU) cast their float32 inputs to that dtype before they run, and the ops it
lists as needing float32 (losses, products of many terms) cast lower-precision inputs back to
float32. Every other op runs in the dtype of its inputs, so a linear layer's bfloat16 output
keeps flowing in bfloat16 until an op promotes it. Casts are recorded, so gradients reach
float32 parameters in float32. float64 tensors are never cast.

Ember computes bfloat16 through float32, as PyTorch's CPU does (see ``ember._precision``).
Composite ops follow their parts: ``addmm`` and ``baddbmm`` (a product then an addition)
return float32 when their added input is float32, where PyTorch returns the lower dtype.
There is no cast cache (``cache_enabled`` is accepted): casting a weight again gives the same
values.

``autocast("cuda")`` warns and does nothing, as in PyTorch's CPU-only build.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ember import _dtype
from ember._precision import STATE
from ember.nn.functional import conv as _conv
from ember.nn.functional import loss as _loss
from ember.nn.functional.activation import Prelu
from ember.ops import linalg as _linalg
from ember.ops.reduction import Prod

__all__ = [
    "autocast",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_enabled",
    "set_autocast_dtype",
    "set_autocast_enabled",
]

#: PyTorch's CPU autocast lists, for the ops Ember has as Functions.
CPU_POLICIES = {
    _linalg.MatMul: "lower", _linalg.Linear: "lower", _linalg.Einsum: "lower",
    _conv.Convolution: "lower", _conv.TransposedConvolution: "lower", Prelu: "lower",
    _loss.CrossEntropyLoss: "fp32", _loss.NllLoss: "fp32", _loss.CrossEntropyProbs: "fp32",
    _loss.MseLoss: "fp32", _loss.L1Loss: "fp32", _loss.SmoothL1Loss: "fp32",
    _loss.HuberLoss: "fp32", _loss.BinaryCrossEntropy: "fp32",
    _loss.BinaryCrossEntropyWithLogits: "fp32", Prod: "fp32",
}
STATE.policies.update(CPU_POLICIES)

_CPU_DTYPES = (np.dtype(np.float16), _dtype.bfloat16.numpy)
_default_dtype = {"cpu": _dtype.bfloat16, "cuda": _dtype.float16}


def is_autocast_available(device_type: str) -> bool:
    """True for the device types PyTorch's autocast knows ("cpu" works in Ember)."""
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """True inside an enabled autocast region of ``device_type`` (CUDA when None, as PyTorch:
    never, here)."""
    return (device_type or "cuda") in STATE.autocast


def get_autocast_dtype(device_type: str):
    """The dtype autocast casts to on ``device_type`` (bfloat16 on the CPU by default)."""
    return _default_dtype[device_type]


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Turns CPU autocast on or off outside a ``with`` block (PyTorch's low-level switch)."""
    if device_type != "cpu":
        return
    if enabled:
        STATE.autocast["cpu"] = _default_dtype["cpu"].numpy
    else:
        STATE.autocast.pop("cpu", None)
    STATE.refresh()


def set_autocast_dtype(device_type: str, dtype) -> None:
    """Sets the dtype autocast casts to on ``device_type``."""
    _default_dtype[device_type] = _dtype.as_dtype(dtype)


class autocast:
    """A context manager (and decorator) for mixed precision, as ``torch.autocast``.

    Args:
        device_type: "cpu" (CUDA autocast is disabled with PyTorch's warning).
        dtype: the lower precision, ``ember.bfloat16`` (default) or ``ember.float16``.
        enabled: False makes the region a no-op (and turns autocast off inside it).
        cache_enabled: accepted; Ember keeps no cast cache.

    Example:
        >>> with ember.autocast("cpu", dtype=ember.bfloat16):
        ...     y = model(x)          # linear layers run in bfloat16
        ...     loss = F.cross_entropy(y, target)   # in float32
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled=None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(
                f"Expected `device_type` of type `str`, got: `{type(device_type)}`"
            )
        if device_type not in ("cpu", "cuda"):
            raise RuntimeError(f"Invalid device string: '{device_type}'")
        self.device = device_type
        self.fast_dtype = _dtype.as_dtype(dtype) if dtype is not None else \
            get_autocast_dtype(device_type)
        self._enabled = bool(enabled)
        if device_type == "cuda" and self._enabled:
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)
            self._enabled = False
        if device_type == "cpu" and self._enabled and self.fast_dtype.numpy not in _CPU_DTYPES:
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                stacklevel=2,
            )
            self._enabled = False
        self._saved: list = []

    def __enter__(self):
        if self.device != "cpu":
            return self
        self._saved.append(STATE.autocast.get("cpu"))
        if self._enabled:
            STATE.autocast["cpu"] = self.fast_dtype.numpy
            if self.fast_dtype is _dtype.bfloat16:
                _dtype.as_dtype(self.fast_dtype)  # turns bfloat16 computation on
        else:
            STATE.autocast.pop("cpu", None)
        STATE.refresh()
        return self

    def __exit__(self, *exc) -> None:
        if self.device != "cpu":
            return
        previous = self._saved.pop()
        if previous is None:
            STATE.autocast.pop("cpu", None)
        else:
            STATE.autocast["cpu"] = previous
        STATE.refresh()

    def __call__(self, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)

        return run

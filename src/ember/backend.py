"""The backend seam: where Ember chooses the array library for a device.

Every Tensor holds one backend array. Ember's ops call NumPy functions on those arrays;
NumPy dispatches them to the array's own library through the ``__array_ufunc__`` /
``__array_function__`` protocols, so an array library that implements those protocols runs
the same op code. What cannot dispatch that way (allocation, random numbers, compiled
kernels) asks :func:`get_backend` for the device's backend. Only ``cpu`` exists here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from ember import memory

__all__ = ["CPU", "Backend", "device", "get_backend"]


class device:
    """A device name, as ``ember.device('cpu')``; mirrors ``torch.device``."""

    __slots__ = ("index", "type")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if ":" in type:
            type, _, idx = type.partition(":")
            index = int(idx)
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


@dataclass(frozen=True)
class Backend:
    """What a device needs: its array module, its device, its allocator, its kernels."""

    name: str
    xp: ModuleType
    device: device
    allocate: Callable  # (shape, dtype) -> uninitialised C-contiguous array
    kernel_package: str  # where this backend's compiled kernel modules live
    exclusive: Callable  # (array) -> True if nothing else refers to its memory block

    def empty(self, shape, dtype):
        """An uninitialised array on this device (large CPU ones are cached, see ember.memory)."""
        return self.allocate(shape, dtype)

    def asarray(self, data, dtype=None):
        """Makes a backend array from array-like data."""
        return self.xp.asarray(data, dtype=dtype)

    def kernels(self, name: str) -> ModuleType:
        """This backend's compiled kernels of one family ("dropout", "philox", "optim" ...).

        Each backend keeps its kernels in its own package, one module per family, with the
        same functions; the CPU's are ``ember.kernels.<name>`` (loaded on first use).
        """
        module = _KERNEL_MODULES.get((self.kernel_package, name))
        if module is None:
            module = importlib.import_module(f"{self.kernel_package}.{name}")
            _KERNEL_MODULES[(self.kernel_package, name)] = module
        return module


_KERNEL_MODULES: dict = {}  # (package, family) -> module, looked up once

CPU = Backend("cpu", np, device("cpu"), memory.empty, "ember.kernels", memory.is_exclusive_view)
_BACKENDS = {"cpu": CPU}


def get_backend(dev=None) -> Backend:
    """Returns the backend for a device (``None`` means the CPU)."""
    if dev is None:
        return CPU
    dev = dev if isinstance(dev, device) else device(str(dev))
    try:
        return _BACKENDS[dev.type]
    except KeyError:
        if dev.type == "cuda":  # PyTorch's CPU-only build raises this for any CUDA use
            raise AssertionError("Torch not compiled with CUDA enabled") from None
        raise RuntimeError(
            f"Device '{dev}' is not available: this build of Ember has only the 'cpu' backend"
        ) from None

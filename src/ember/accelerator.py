"""``ember.accelerator``: PyTorch's device-agnostic accelerator API, on a machine without one.

Ember runs on the CPU only, which PyTorch does not count as an accelerator: ``is_available()``
is False, ``device_count()`` is 0, ``current_accelerator()`` is None, and the calls that need a
device raise PyTorch's ``RuntimeError``.

Example:
    >>> device = ember.accelerator.current_accelerator() or ember.device("cpu")
"""

from __future__ import annotations

__all__ = [
    "current_accelerator",
    "current_device_index",
    "device_count",
    "empty_cache",
    "is_available",
    "memory_allocated",
    "set_device_index",
    "synchronize",
]

_NONE = "Cannot access accelerator device when none is available."


def is_available(check_fork: bool = False) -> bool:
    """False: there is no accelerator."""
    return False


def device_count() -> int:
    """0: there is no accelerator."""
    return 0


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator."""
    return None


def current_device_index() -> int:
    """Raises ``RuntimeError``: there is no accelerator device."""
    raise RuntimeError(_NONE)


def set_device_index(device) -> None:
    """Raises ``RuntimeError``: there is no accelerator device."""
    raise RuntimeError(_NONE)


def synchronize(device=None) -> None:
    """Raises ``RuntimeError``: there is no accelerator device."""
    raise RuntimeError(_NONE)


def empty_cache() -> None:
    """Raises ``RuntimeError``: there is no accelerator device."""
    raise RuntimeError(_NONE)


def memory_allocated(device_index=None) -> int:
    """Raises ``RuntimeError``: there is no accelerator device."""
    raise RuntimeError(_NONE)

"""``ember.cuda``: PyTorch's ``torch.cuda`` as a build without CUDA answers it.

Ember has only its CPU backend, so this module behaves as ``torch.cuda`` does in PyTorch's
CPU-only build: the questions scripts ask before choosing a device get "no" (``is_available()``
is False, ``device_count()`` is 0), seeding and cache calls do nothing, memory counters are 0,
and calls that need a device raise ``AssertionError("Torch not compiled with CUDA enabled")``
as PyTorch's CPU build does.

Example:
    >>> device = "cuda" if ember.cuda.is_available() else "cpu"
    >>> device
    'cpu'
"""

from __future__ import annotations

from ember.cuda import amp

__all__ = [
    "amp",
    "current_device",
    "device_count",
    "empty_cache",
    "get_device_capability",
    "get_device_name",
    "get_device_properties",
    "init",
    "is_available",
    "is_bf16_supported",
    "is_initialized",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "max_memory_reserved",
    "memory_allocated",
    "memory_reserved",
    "seed",
    "seed_all",
    "set_device",
    "synchronize",
]

NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _no_cuda(*args, **kwargs):
    raise AssertionError(NOT_COMPILED)


def is_available() -> bool:
    """False: Ember has no CUDA backend."""
    return False


def device_count() -> int:
    """0: no CUDA device is available to Ember."""
    return 0


def is_initialized() -> bool:
    """False: CUDA is never initialised without a CUDA backend."""
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False, as in PyTorch's CPU build (there is no CUDA device to support bfloat16)."""
    return False


def manual_seed(seed: int) -> None:
    """Does nothing: there is no CUDA generator to seed (PyTorch's CPU build does the same)."""


manual_seed_all = manual_seed


def seed() -> None:
    """Does nothing without CUDA devices."""


seed_all = seed


def empty_cache() -> None:
    """Does nothing: there is no CUDA caching allocator."""


def memory_allocated(device=None) -> int:
    """0 bytes: no CUDA memory is ever allocated."""
    return 0


max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated


def synchronize(device=None) -> None:
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()


def current_device() -> int:
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()


def set_device(device) -> None:
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()


def get_device_name(device=None) -> str:
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()


def get_device_capability(device=None) -> tuple:
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()


def get_device_properties(device=None):
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()


def init() -> None:
    """Raises ``AssertionError``, as PyTorch's CPU build does."""
    _no_cuda()

"""Large CPU buffers: 64-byte aligned and reused instead of page-faulted afresh.

NumPy takes memory from ``malloc``, which maps an array above 32 MiB freshly from the kernel and
unmaps it when the array dies. Every new large output is then page-faulted and zero-filled
page by page, which costs about as much again as writing it (measured here: a one-pass
``y = a * x`` over 64 MiB takes 1.4-1.9x longer into a fresh array than into a reused one).
Like PyTorch's GPU caching allocator, :func:`empty` keeps the large blocks it handed out and
gives a block again once nothing refers to it any more: every array made from a block is a
view whose ``base`` is the block, so a block is free exactly when the cache holds the only
reference to it. Free blocks beyond :func:`set_cache_limit` bytes are released, oldest first,
and :func:`empty_cache` releases all of them.

Arrays from the cache start 2048 bytes into a 4 KiB page (``PAGE_OFFSET``), so they are
64-byte aligned for vector and streaming stores, and half a page away from where NumPy's large
arrays start (16 bytes into a page, after ``malloc``'s header). An output that starts just
after its input in the page (by 1 to 64 bytes, as a plain 64-byte alignment of a ``malloc``
block gives) makes the CPU see each load of the input as possibly reading a store to the
output a few elements back ("4K aliasing"), and stall: a dropout forward over 16M-64M float32
elements ran 10-25% slower into such an output than into one half a page away (measured on
this project's machine, 1 and 2 threads). Smaller requests go to NumPy unchanged: ``malloc``
reuses its own memory for them.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

__all__ = [
    "MIN_CACHED_BYTES",
    "PAGE_OFFSET",
    "empty",
    "empty_cache",
    "empty_like",
    "is_exclusive_view",
    "memory_allocated",
    "memory_reserved",
    "set_cache_limit",
]

#: Requests of at least this many bytes are served from the cache (malloc's largest mmap
#: threshold: smaller blocks come back from malloc's own free lists without page faults).
MIN_CACHED_BYTES = 1 << 25
_PAGE = 4096
#: Where in a 4 KiB page every cached array starts (a multiple of 64; see the module docstring).
PAGE_OFFSET = 2048

_lock = threading.Lock()
_blocks: list[np.ndarray] = []  # raw uint8 blocks, oldest first
_cache_limit = 1 << 30


def _refcounts(blocks: list[np.ndarray]) -> list[int]:
    counts = []
    for block in blocks:
        counts.append(sys.getrefcount(block))
    return counts


# The count of a block that only ``_blocks`` refers to, measured through the same code path.
_FREE_REFS = _refcounts([np.empty(1, np.uint8)])[0]


def _base_refs(array: np.ndarray) -> int:
    base = array.base
    return sys.getrefcount(base)


def _calibrate_exclusive_refs() -> int:
    """The count ``_base_refs`` shows for a base only one view refers to."""
    view = np.empty(8, np.uint8)[2:]
    return _base_refs(view)


_EXCLUSIVE_REFS = _calibrate_exclusive_refs()


def is_exclusive_view(array: np.ndarray) -> bool:
    """Whether nothing but ``array`` (and this cache) refers to the ndarray ``array.base``.

    Whoever holds the only reference to such an ``array`` owns its memory (the autograd
    engine then hands the buffer to ``.grad`` instead of copying it).
    """
    base = array.base
    if not isinstance(base, np.ndarray):
        return False
    cached = any(block is base for block in _blocks)
    del base
    return _base_refs(array) <= _EXCLUSIVE_REFS + cached


def _free_indices() -> list[int]:
    return [i for i, c in enumerate(_refcounts(_blocks)) if c <= _FREE_REFS]


def _capacity(block: np.ndarray) -> int:
    return block.nbytes - _PAGE


def _view(block: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, nbytes: int) -> np.ndarray:
    start = (PAGE_OFFSET - block.ctypes.data) % _PAGE
    return block[start:start + nbytes].view(dtype).reshape(shape)


def _trim(limit: int) -> None:
    free = _free_indices()
    excess = sum(_capacity(_blocks[i]) for i in free) - limit
    dropped = set()
    for i in free:  # oldest first
        if excess <= 0:
            break
        excess -= _capacity(_blocks[i])
        dropped.add(i)
    _blocks[:] = [b for i, b in enumerate(_blocks) if i not in dropped]


def empty(shape, dtype=np.float32) -> np.ndarray:
    """An uninitialised C-contiguous array, from the cache when it is large.

    Args:
        shape: int or tuple of ints.
        dtype: NumPy dtype.

    Returns:
        A new array; at least ``MIN_CACHED_BYTES`` large ones are views of a cached block that
        start ``PAGE_OFFSET`` bytes into a page (so 64-byte aligned).
    """
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_CACHED_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        fitting = [i for i in _free_indices()
                   if nbytes <= _capacity(_blocks[i]) <= 2 * nbytes]
        if fitting:
            best = min(fitting, key=lambda i: _capacity(_blocks[i]))
            block = _blocks.pop(best)
        else:
            _trim(max(_cache_limit - nbytes, 0))
            block = np.empty(nbytes + _PAGE, np.uint8)
        _blocks.append(block)  # most recently used last
        return _view(block, shape, dtype, nbytes)


def empty_like(array: np.ndarray) -> np.ndarray:
    """:func:`empty` with the shape and dtype of ``array`` (always C-contiguous)."""
    if array.nbytes < MIN_CACHED_BYTES:  # the common small case, without empty()'s checks
        return np.empty(array.shape, array.dtype)
    return empty(array.shape, array.dtype)


def empty_cache() -> None:
    """Releases every cached block that no array uses any more."""
    with _lock:
        _trim(0)


def set_cache_limit(nbytes: int) -> None:
    """Sets how many bytes of unused blocks the cache may keep (default 1 GiB); trims now."""
    global _cache_limit
    if nbytes < 0:
        raise ValueError(f"cache limit must be non-negative, got {nbytes}")
    with _lock:
        _cache_limit = int(nbytes)
        _trim(_cache_limit)


def memory_reserved() -> int:
    """Bytes of all blocks the cache holds, in use or not."""
    with _lock:
        return sum(_capacity(b) for b in _blocks)


def memory_allocated() -> int:
    """Bytes of the cached blocks that arrays still use."""
    with _lock:
        free = set(_free_indices())
        return sum(_capacity(b) for i, b in enumerate(_blocks) if i not in free)

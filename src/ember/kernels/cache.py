"""Where Numba keeps Ember's compiled kernels between processes.

Kernels are compiled with ``cache=True``. Numba writes the cache into ``__pycache__`` next to
the kernel sources when that folder is writable; otherwise (a read-only site-packages) it
falls back to a per-user cache directory, or to ``NUMBA_CACHE_DIR`` when that is set. So a
fresh process reuses compiled code in either case.
"""

from __future__ import annotations

__all__ = ["cache_location"]


def cache_location() -> str:
    """The directory Numba reads and writes Ember's kernel cache in, with its locator kind."""
    from ember.kernels.philox import _words_serial

    cache = _words_serial._cache
    return f"{cache._cache_path} ({type(cache._impl.locator).__name__})"

"""Where Numba keeps Ember's compiled kernels between processes, and when they go stale.

Kernels are compiled with ``cache=True``. Numba writes the cache into ``__pycache__`` next to
the kernel sources when that folder is writable; otherwise (a read-only site-packages) it
falls back to a per-user cache directory, or to ``NUMBA_CACHE_DIR`` when that is set. So a
fresh process reuses compiled code in either case.

Numba reuses a cached kernel as long as the file that defines it is unchanged, but Ember's
kernels inline code from other files of this package (the LLVM IR steps of
``dropout_steps`` and ``simd``, ``philox``'s rounds): after a change to one of those alone,
say by ``git pull`` in an editable install, Numba would run the old machine code.
``KernelSourcesLocator`` therefore stamps every kernel of this package with a hash of all of
the package's sources, so that a change to any of them recompiles every kernel.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["cache_location", "install_kernel_locator", "kernel_sources_digest"]

_KERNELS = Path(__file__).resolve().parent


def kernel_sources_digest() -> bytes:
    """SHA-256 over the names and contents of this package's ``.py`` files."""
    stamps = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                   for p in sorted(_KERNELS.glob("*.py")))
    return _digest(stamps)


_memo: dict[tuple, bytes] = {}


def _digest(stamps: tuple) -> bytes:
    if stamps not in _memo:
        h = hashlib.sha256()
        for name, _, _ in stamps:
            h.update(name.encode() + b"\0" + (_KERNELS / name).read_bytes() + b"\0")
        _memo[stamps] = h.digest()
    return _memo[stamps]


def _locator_class():
    from numba.core import caching

    class KernelSourcesLocator(caching._CacheLocator):
        """Numba's usual cache location for a kernel of this package, with a source stamp that
        covers every file of the package (see the module docstring)."""

        def __init__(self, inner):
            self._inner = inner

        def ensure_cache_path(self):
            self._inner.ensure_cache_path()

        def get_cache_path(self):
            return self._inner.get_cache_path()

        def get_source_stamp(self):
            return (self._inner.get_source_stamp(), kernel_sources_digest())

        def get_disambiguator(self):
            return self._inner.get_disambiguator()

        @classmethod
        def from_function(cls, py_func, py_file):
            if Path(os.path.abspath(py_file)).parent != _KERNELS:
                return None
            for usual in caching.CacheImpl._locator_classes:
                if usual is not cls:
                    inner = usual.from_function(py_func, py_file)
                    if inner is not None:
                        return cls(inner)
            return None

    return KernelSourcesLocator


def install_kernel_locator() -> None:
    """Put ``KernelSourcesLocator`` first among Numba's cache locators (once per process).

    Numba asks each locator in turn; this one answers only for files of this package. If
    Numba's caching internals differ from what it expects, nothing is installed and Numba's
    own per-file stamps apply.
    """
    try:
        from numba.core import caching

        classes = caching.CacheImpl._locator_classes
        if any(c.__name__ == "KernelSourcesLocator" for c in classes):
            return
        classes.insert(0, _locator_class())
    except (ImportError, AttributeError):
        return


def cache_location() -> str:
    """The directory Numba reads and writes Ember's kernel cache in, with its locator kind.

    Every kernel of this package is cached in one directory, so Numba's own choice for a
    function of this module (this one) is its choice for all of them.
    """
    from numba.core import caching  # as in _locator_class: Numba loads on first use

    install_kernel_locator()
    locator = caching.FunctionCache(cache_location)._impl.locator
    inner = getattr(locator, "_inner", locator)
    return f"{locator.get_cache_path()} ({type(inner).__name__})"

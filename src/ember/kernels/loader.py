"""Dispatch of kernel calls: the Numba kernels once loaded, their NumPy twins until then.

Importing Numba and loading Ember's cached dropout and Philox kernels takes 0.4-0.9 s in a
fresh process, far more than a small dropout or sampling call is worth. So until the kernels
are loaded, a call on fewer than ``SYNC_LOAD_THRESHOLD`` elements runs
``ember.kernels.numpy_path`` (bit-identical results, same stream consumption) and starts, once,
a daemon thread that imports the Numba kernel modules and loads their serial kernels from the
cache by calling them on tiny float32 and float64 arrays. Every call after that thread has
finished runs Numba. A call on ``SYNC_LOAD_THRESHOLD`` elements or more waits for the thread (or
loads the kernels itself): from about that size on, the time and the temporaries of the NumPy
twins grow toward those of the load (measurements at the constant).

The thread loads serial kernels only: Numba's default threading layer (``workqueue``) aborts
when two threads launch parallel kernels at once, and parallel kernels run only on behalf of
large calls, after the thread has been joined. The thread's completion, never the presence of
``numba`` in ``sys.modules``, tells the dispatch that the modules are complete.

Set the environment variable ``EMBER_BACKGROUND_LOAD=0`` to turn the thread off: every call
then runs Numba, loading it in the calling thread on first use (to time kernels from the first
call on, say). A ``fork`` waits for a load in progress (``os.register_at_fork``), so that the
child never inherits import locks held by a thread that does not exist in it.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

import numpy as np

from . import numpy_path

__all__ = [
    "SYNC_LOAD_THRESHOLD",
    "dropout_kernels",
    "ensure_loaded",
    "is_loaded",
    "philox_kernels",
    "use_numba",
]

#: Elements from which a call loads (or waits for) the Numba kernels instead of running the
#: NumPy path. Measured on this project's machine (2 cores, warm cache): a synchronous load
#: costs 0.6-0.7 s; at 2**20 elements the NumPy path takes 10 ms for a float32 dropout forward,
#: 6 ms for a backward from the mask and 90 ms for float64 uniforms (the slowest twin: ten
#: Philox rounds in NumPy per two values), all well below that. At 2**22 they take 40 ms and
#: 0.31 s, at 2**24 0.23 s and 2.1 s, and their temporaries (up to about 50 bytes per float64
#: uniform) grow to hundreds of MB.
SYNC_LOAD_THRESHOLD = 1 << 20

_loaded = threading.Event()
_load_lock = threading.Lock()
_start_lock = threading.Lock()
_thread: threading.Thread | None = None
_modules: tuple[ModuleType, ModuleType] | None = None  # (dropout, philox) once loaded


def is_loaded() -> bool:
    """Whether the Numba kernels are loaded, so that every call runs them."""
    return _loaded.is_set()


def dropout_kernels(n: int) -> ModuleType:
    """The dropout kernels for a call on ``n`` elements.

    ``ember.kernels.dropout`` (Numba) once loaded or when ``n >= SYNC_LOAD_THRESHOLD`` (loading
    it first), else ``ember.kernels.numpy_path``; both expose the same functions.
    """
    return _modules[0] if use_numba(n) else numpy_path


def philox_kernels(n: int) -> ModuleType:
    """``random_words`` and ``uniform`` for ``n`` values: ``ember.kernels.philox`` or the NumPy
    path, chosen as in :func:`dropout_kernels`."""
    return _modules[1] if use_numba(n) else numpy_path


def ensure_loaded() -> None:
    """Loads the Numba kernels in the calling thread, after waiting for the background load."""
    if _loaded.is_set():
        return
    thread = _thread
    if thread is not None:
        thread.join()
    _load(warm=False)


def use_numba(n: int) -> bool:
    """Whether a call on ``n`` elements should run Numba code (see :func:`dropout_kernels`).

    For callers whose NumPy fallback lives elsewhere (the optimizers' update loops): False
    starts the background load, as a NumPy-path call of ``dropout_kernels`` does.
    """
    if _loaded.is_set():
        return True
    if n >= SYNC_LOAD_THRESHOLD or os.environ.get("EMBER_BACKGROUND_LOAD") == "0":
        ensure_loaded()
        return True
    if _thread is None:
        _start_background()
    return False


def _start_background() -> None:
    global _thread
    with _start_lock:
        if _thread is None:
            _wait_for_load_at_fork()
            _thread = threading.Thread(target=_load, kwargs={"warm": True},
                                       name="ember-kernel-loader", daemon=True)
            _thread.start()


def _wait_for_load_at_fork() -> None:
    """Makes ``os.fork`` wait for the background load first.

    Numba's import takes logging's lock, and logging holds that lock across a fork (its own
    before-fork handler). Before-fork handlers run last registered first, so logging is
    imported before ours is registered: ours then runs, and the load finishes, before
    logging takes its lock.
    """
    import logging  # noqa: F401

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_finish_before_fork)


def _finish_before_fork() -> None:
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout=_FORK_WAIT_SECONDS)


#: Longest wait for the background load before a fork (a cold Numba cache compiles for seconds).
_FORK_WAIT_SECONDS = 60.0


def _load(warm: bool) -> None:
    """Imports the Numba kernel modules; with ``warm``, loads their serial kernels too."""
    global _modules
    with _load_lock:
        if _loaded.is_set():
            return
        from . import dropout, philox

        if warm:
            _load_serial_kernels(dropout, philox)
        _modules = (dropout, philox)
        _loaded.set()


def _load_serial_kernels(dropout: ModuleType, philox: ModuleType) -> None:
    """Calls every serial kernel once per dtype on tiny arrays, loading it from Numba's cache."""
    threshold = dropout.keep_threshold(0.5)
    for dtype in (np.float32, np.float64):
        x = np.ones(64, dtype=dtype)
        out = np.empty_like(x)
        mask = np.empty(dropout.mask_nbytes(x.size), dtype=np.uint8)
        dropout.dropout_forward(x, out, 0, 0, threshold, 2.0, mask)
        dropout.dropout_backward_from_mask(x, out, mask, 2.0)
        dropout.apply_row_mask(x, out, mask[:1], 8, 2.0)
        philox.uniform(0, 0, 1, dtype)

"""Ember's thread policy: how many threads its compute may use, and the environment it starts in.

Imported first by ``import ember``, before NumPy, so that the defaults below reach the libraries
that read them once, when they load:

- ``OMP_WAIT_POLICY=PASSIVE`` (kept in ``os.environ``): the OpenMP runtime behind Numba's
  parallel kernels lets its idle workers sleep instead of spinning for hundreds of
  microseconds after each parallel loop, where they steal the cores that BLAS, the main thread
  or another process need. Numba loads that runtime lazily (first parallel kernel), so the
  variable stays set; a library that loads the same runtime later (torch's OpenMP) sees it too.
- OpenBLAS starts with one thread (``OPENBLAS_NUM_THREADS=1`` while NumPy loads, then removed
  again, so child processes inherit the user's environment unchanged). Ember splits the
  products that are large enough to gain across its own threads instead
  (``ember.kernels.threads.matmul``), which wait without spinning and only run when a core is
  idle.

A variable the user has set is never changed: ``OMP_WAIT_POLICY`` stays as given, and any of
``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS`` or ``OMP_NUM_THREADS`` leaves OpenBLAS's thread
count to the user. This module imports nothing but the standard library (and NumPy, under the
variables above).
"""

from __future__ import annotations

import builtins
import functools
import os
import sys

__all__ = ["blas_left_to_user", "default_num_threads", "get_num_threads", "set_num_threads"]

#: Variables by which the user chooses OpenBLAS's thread count (in OpenBLAS's order of priority).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")

_requested: int | None = None  # set by set_num_threads; None: the default
_blas_left_to_user = False


@functools.lru_cache(maxsize=1)
def default_num_threads() -> int:
    """The thread count before any ``set_num_threads``: Numba's (``NUMBA_NUM_THREADS`` if set,
    else the number of CPUs), computed without importing Numba, once (Numba reads the variable
    once too; ``os.cpu_count`` costs microseconds and every product asks)."""
    value = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return os.cpu_count() or 1


def get_num_threads() -> int:
    """The number of threads Ember's compute may use (see ``ember.get_num_threads``)."""
    return default_num_threads() if _requested is None else _requested


def set_num_threads(n: int) -> int:
    """Records ``n`` after torch's checks and returns it (see ``ember.set_num_threads``).

    Raises:
        RuntimeError: ``n`` is not an int (a bool is not one) or is not positive, in torch's
            words.
    """
    global _requested
    if isinstance(n, builtins.bool) or not hasattr(n, "__index__"):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    n = n.__index__()
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _requested = n
    return n


def blas_left_to_user() -> bool:
    """Whether the user set OpenBLAS's thread count through the environment (then Ember leaves
    BLAS's threads alone), as found when Ember was imported."""
    return _blas_left_to_user


def _apply_environment_defaults() -> None:
    """Sets the defaults of the module docstring that the user has not set, and loads NumPy."""
    global _blas_left_to_user
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    _blas_left_to_user = any(name in os.environ for name in BLAS_THREAD_VARIABLES)
    if _blas_left_to_user or "numpy" in sys.modules:
        return  # the user's choice, or OpenBLAS already started (kernels.threads pins it later)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401  (OpenBLAS reads its thread count now, once)
    finally:
        del os.environ["OPENBLAS_NUM_THREADS"]


_apply_environment_defaults()

"""Numba for Ember's kernel modules, imported without Numba's start-up probe for SciPy's BLAS.

Numba's CPU target imports ``numba.np.arraymath`` on its first compile or cache load, and that
module's body runs ``_HAVE_BLAS = _check_blas()``, which imports ``scipy.linalg.cython_blas``
only to learn whether ``np.dot`` on vectors may call BLAS. With SciPy installed that import
costs about 0.23 s on this project's machine, a third of loading Ember's cached kernels.

Importing this module imports ``numba.np.arraymath`` with that probe failing fast, then sets
``_HAVE_BLAS`` to what the probe finds in a working install (True iff SciPy is installed) and
restores the probe. Numba later imports SciPy by itself when it compiles a function that uses
BLAS or LAPACK (Ember's kernels do not), so its behaviour is unchanged. The probe is
short-circuited only for the importing thread, by wrapping ``numba.np.linalg.ensure_blas``
(the name ``arraymath`` binds at import), not by hiding ``scipy.linalg.cython_blas`` from
``sys.modules``: another thread importing SciPy meanwhile (``scipy.linalg`` imports
``cython_blas``) would fail. Nothing is patched when SciPy's BLAS or ``numba.np.arraymath`` is
already imported.

The probe costs a process that loads kernels about a third of its first kernel call
(``bench/startup.py``: ``import scipy.linalg.cython_blas`` after ``import numba``), hence this
module. It relies on two private names of Numba (``numba.np.linalg.ensure_blas`` and
``numba.np.arraymath._HAVE_BLAS``); if they go, Numba is imported as it is and
``tests/kernels/test_jit.py`` fails. ``philox``, ``optim`` and ``special`` take ``njit``,
``prange``, ``vectorize`` and ``get_num_threads`` from here; ``dropout`` imports ``philox``
before it compiles or loads anything. Importing this module also installs
``ember.kernels.cache``'s cache locator, before any kernel is defined.
"""

from __future__ import annotations

import importlib.util
import sys
import threading

from numba import get_num_threads, njit, prange, vectorize

from .cache import install_kernel_locator

__all__ = ["get_num_threads", "njit", "prange", "vectorize"]


def _import_arraymath_without_blas_probe() -> None:
    """Imports ``numba.np.arraymath`` without its import of ``scipy.linalg.cython_blas``."""
    if "numba.np.arraymath" in sys.modules or "scipy.linalg.cython_blas" in sys.modules:
        return
    import numba.np.linalg as linalg

    ensure_blas = getattr(linalg, "ensure_blas", None)
    if ensure_blas is None:  # Numba changed: import as it is (tests/kernels/test_jit.py fails)
        return
    importer = threading.get_ident()

    def probe() -> None:
        if threading.get_ident() == importer:
            raise ImportError("BLAS probe skipped while Ember imports Numba")
        ensure_blas()

    linalg.ensure_blas = probe
    try:
        import numba.np.arraymath as arraymath
    finally:
        linalg.ensure_blas = ensure_blas
    if arraymath.ensure_blas is probe:  # arraymath was imported here, with the probe
        arraymath.ensure_blas = ensure_blas
        arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None


_import_arraymath_without_blas_probe()
install_kernel_locator()

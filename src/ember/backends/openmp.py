"""``ember.backends.openmp``: whether Ember's parallel kernels can run on OpenMP threads."""


def is_available() -> bool:
    """True if Numba, which runs Ember's parallel kernels, has its OpenMP threading layer."""
    try:
        from numba.np.ufunc import omppool  # noqa: F401  (the import is the probe)
    except ImportError:
        return False
    return True

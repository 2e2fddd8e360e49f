"""``ember.backends.mkldnn``: oneDNN's switch. Ember does not use oneDNN, so
``is_available()`` is False (PyTorch's x86 CPU build, which links oneDNN, says True)."""

enabled = True


def is_available() -> bool:
    """False: Ember's CPU kernels are its own (NumPy/BLAS and Numba), not oneDNN's."""
    return False

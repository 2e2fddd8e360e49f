"""Compiled hot loops for Ember (Numba), operating on plain NumPy arrays.

Submodules:
    philox: the Philox4x32-10 counter-based generator (NumPy reference and Numba kernels).
    dropout: fused dropout kernels (forward, backward, alpha, channel) built on ``philox``.

Numba is imported only when a submodule is imported, so ``import ember`` stays cheap.
"""

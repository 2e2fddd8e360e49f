"""Compiled hot loops for Ember (Numba), operating on plain NumPy arrays, never on Tensors.

Among them:
    philox: the Philox4x32-10 counter-based generator behind every random op (NumPy reference
        and Numba kernels; the (seed, offset) stream contract lives there).
    dropout: fused dropout kernels (forward, backward from a 1-bit mask or regenerated, alpha,
        channel/row masks) built on ``philox``.

Nothing here is imported eagerly: Numba loads only when a kernel module is imported, so
``import ember`` stays cheap.
"""

"""Compiled hot loops for Ember (Numba), operating on plain NumPy arrays, never on Tensors.

Among them:
    philox: the Philox4x32-10 counter-based generator behind every random op (Numba kernels;
        the (seed, offset) stream contract lives there).
    dropout: fused dropout kernels (forward, backward from a 1-bit mask or regenerated, alpha,
        channel/row masks) built on ``dropout_steps`` and ``simd``.
    dropout_steps: 128-element forward steps in LLVM IR (Philox in vector registers,
        decisions, tie refinements, outputs, packed decision bits).
    simd: LLVM IR helpers and eight-lane steps (a mask byte applied to eight elements,
        streaming stores) that Numba loops cannot be led to emit.
    reference: the pure-NumPy definitions both build on (Philox reference, keep decisions,
        argument checks).
    numpy_path: NumPy twins of the ``dropout`` and ``philox`` wrappers, bit-identical.
    loader: picks Numba or the NumPy twins for each call, loading Numba in the background.
    jit: Numba as the kernel modules import it (without its SciPy BLAS probe).
    cache: where compiled kernels are kept, stamped with all of this package's sources.

Compiled kernels are cached on disk (``cache``); a change to any file of this package
recompiles them all, since kernels inline code from other files of it.

Nothing here is imported eagerly, and ``reference``, ``numpy_path`` and ``loader`` never import
Numba: ``import ember`` stays cheap, and so do the first small dropout and sampling calls.
"""

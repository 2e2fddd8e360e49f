"""Compiled hot loops for Ember (Numba), operating on plain NumPy arrays, never on Tensors.

Code outside this package reaches these modules through the backend, one family at a time:
``ember.backend.get_backend(device).kernels("<family>")``. The families and the functions
they keep stable for that:

    dropout: ``dropout_forward``, ``alpha_dropout_forward``, ``dropout_backward_from_mask``,
        ``dropout_backward_regenerate``, ``alpha_dropout_backward_from_mask``,
        ``alpha_dropout_backward_regenerate``, ``decisions_bits``, ``apply_row_mask``,
        ``apply_row_mask_alpha``, and the geometry ``keep_threshold``,
        ``blocks_for_decisions``, ``mask_nbytes``, ``unpack_bits``.
    philox: ``random_words``, ``uniform`` (the Philox4x32-10 stream behind every random op;
        its (seed, offset) contract lives there), ``blocks_for``.
    threads: ``get_num_threads``, ``set_num_threads``, ``max_threads``, ``run_split``,
        ``set_blas_threads``, ``matmul`` (products split over idle cores), ``runs_parallel``
        (whether a kernel takes its prange version now), ``idle_cores``, ``split_parts``,
        ``blas_threads``, ``SPLIT_MACS``.
    optim: the optimizers' fused update loops.
    special: ``erf``.
    conv: ``im2col``, ``col2im``, ``depthwise_forward``, ``depthwise_grad_input``,
        ``depthwise_grad_weight`` (each with its ``*_reference``).
    pooling: ``max_pool2d_forward``/``_backward``, ``avg_pool2d_forward``/``_backward``.
    norm: ``batch_norm_stats``, ``batch_norm_forward``, ``batch_norm_backward``,
        ``layer_norm_forward``, ``layer_norm_backward``.
    rnn: ``lstm_forward_step``/``lstm_backward_step``, ``gru_*``, ``rnn_*`` and the
        vectorizable ``vector_exp``/``vector_tanh``/``vector_sigmoid`` (with references).
    elementwise: ``forward``, ``backward``, ``FORWARD_OPS``, ``BACKWARD_OPS``,
        ``PARALLEL_THRESHOLD`` (float32 exp, log, tanh, sigmoid, erf, softplus and the fused
        GELU, SiLU, Mish, Softplus passes).
    loss: ``cross_entropy_forward``/``_backward``, ``nll_forward``/``_backward``, ``exp32``
        (with ``reference_exp32``).
    embedding: ``embedding_forward``, ``embedding_backward``.

Inside:
    reference: the readable statement of every kernel in plain NumPy (Philox, the keep
        decisions, each kernel's result); the tests hold every fast path to it bit for bit.
    dropout_steps: 128-element forward steps in LLVM IR (Philox in vector registers,
        decisions, tie refinements, outputs, packed decision bits), each with its NumPy
        statement beside it.
    simd: LLVM IR helpers and the eight-lane ``apply8`` step (a mask byte applied to eight
        elements, streaming stores) that Numba loops cannot be led to emit.
    jit: Numba as the kernel modules import it (without its SciPy BLAS probe).
    cache: where compiled kernels are kept, stamped with all of this package's sources.

Compiled kernels are cached on disk (``cache``); a change to any file of this package
recompiles them all, since kernels inline code from other files of it. Nothing here is
imported by ``import ember``: Numba loads on the first kernel call (see ``bench/README.md``,
"Start-up", for what that costs and why nothing runs before it).
"""

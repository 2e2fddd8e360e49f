"""The dropout family: element, channel and alpha dropout with PyTorch's exact semantics.

Every keep/drop decision comes from the counter-based Philox stream of a generator: decision
``i`` (flat C-order index over the *noise shape*) is kept iff ``W_i < keep_threshold(p)`` for
the uniform 32-bit ``W_i`` of the stream (see ``ember.kernels.dropout``). A call on ``n``
decisions reserves ``blocks_for_decisions(n) = ceil(n / 16)`` blocks. The noise shape is the
input's shape with the broadcast dims set to 1 (channel variants broadcast over the spatial
dims), so a mask is a pure function of (seed, offset, shape): the same whatever the thread
count, and rebuildable.

Arithmetic matches PyTorch's CPU kernels bit for bit for the same mask:

* dropout: ``x * noise`` with ``noise = 1 / (1 - p)`` rounded as torch does it
  (``dtype(1) / dtype(1 - p)``: the division happens in the input's dtype) or 0, so dropped
  NaN/inf give NaN and dropped negatives give -0.0;
* alpha dropout: ``x * (a or 0) + (b_keep or b_drop)``, a product and a separately rounded sum,
  with torch's constants (see :func:`_spec`).

Layers: :func:`dropout_array` and :func:`dropout_array_backward` are the one array-level core
(``ember.manual.DropoutLayer`` runs them too); :class:`DropoutFunction` records them for
autograd; the public functions below check their arguments as torch does and call the driver
:func:`_dropout`.

Saved state for backward (one autograd node per call, never a byte or a float per element):

====================  ==============================================================
``'bits'``            the decisions bit-packed: 1 bit per decision (``n / 8`` bytes).
``'regenerate'``      only ``(seed, offset)``; backward regenerates the decisions.
====================  ==============================================================

Choose with the context manager :func:`dropout_mask_storage` (or
:func:`set_dropout_mask_storage`). The default is ``'bits'``, the faster of the two on the
machine Ember is measured on (``bench/dropout.py``, AVX2 without AVX-512): writing the bits
costs the forward about 3%, while regenerating costs the backward a full pass of Philox
arithmetic. ``'regenerate'`` trades that time for 0 bytes of saved state, e.g. for activation
checkpointing of very large tensors.

Three execution paths, all consuming the stream identically:

* element-wise (noise shape == input shape, float32/float64): one fused kernel pass;
* rows (noise shape ``shape[:k] + (1,) * rest``, e.g. ``(N, C, 1, 1)``): packed decisions per
  row, then one row-mask kernel pass over ``(rows, inner)``;
* general (any other noise shape, or float16): packed decisions, unpacked to the noise shape,
  then a NumPy broadcast product (and sum for alpha dropout).
"""

from __future__ import annotations

import contextlib
import functools
import math
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import NamedTuple

import numpy as np

from ember import _dtype
from ember.autograd.function import ArrayFunction
from ember.autograd.grad_mode import _state
from ember.backend import Backend, get_backend
from ember.ops._util import canon_dims
from ember.random import Generator, _gen
from ember.tensor import Tensor

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "dropout_mask_storage",
    "feature_alpha_dropout",
    "get_dropout_mask_storage",
    "set_dropout_mask_storage",
]

#: -SELU saturation value: ``lambda * alpha`` of SELU (torch's constant, to the last digit).
SELU_SATURATION = 1.7580993408473766


# ------------------------------------------------------------------------------------------------
# Settings and checks
# ------------------------------------------------------------------------------------------------


class _Settings:
    """Process-wide dropout settings; read once per call by :func:`_dropout`."""

    STORAGE_MODES = ("bits", "regenerate")

    def __init__(self) -> None:
        self.mask_storage = "bits"


_settings = _Settings()


def set_dropout_mask_storage(mode: str) -> None:
    """Chooses what a dropout call keeps for its backward pass (for every later call).

    Args:
        mode: ``'bits'`` (default: keep the decisions bit-packed, 1 bit per decision) or
            ``'regenerate'`` (keep only the generator's ``(seed, offset)``, 0 bits per element,
            and regenerate the decisions in backward).

    Raises:
        ValueError: for any other mode.

    Example:
        >>> ember.nn.functional.set_dropout_mask_storage("regenerate")
        >>> ember.nn.functional.set_dropout_mask_storage("bits")
    """
    if mode not in _Settings.STORAGE_MODES:
        raise ValueError(
            f"dropout mask storage must be one of {_Settings.STORAGE_MODES}, got {mode!r}")
    _settings.mask_storage = mode


def get_dropout_mask_storage() -> str:
    """The current dropout mask storage mode (see :func:`set_dropout_mask_storage`).

    Returns:
        ``'bits'`` or ``'regenerate'``.
    """
    return _settings.mask_storage


@contextlib.contextmanager
def dropout_mask_storage(mode: str) -> Iterator[None]:
    """Context manager: dropout calls inside the block keep ``mode``'s state for backward.

    Args:
        mode: ``'bits'`` or ``'regenerate'`` (see :func:`set_dropout_mask_storage`).

    Example:
        >>> x = ember.randn(1024, requires_grad=True)
        >>> with ember.nn.functional.dropout_mask_storage("regenerate"):
        ...     y = ember.nn.functional.dropout(x, 0.5)  # saves no mask, only (seed, offset)
        >>> y.sum().backward()
    """
    previous = get_dropout_mask_storage()
    set_dropout_mask_storage(mode)
    try:
        yield
    finally:
        set_dropout_mask_storage(previous)


def check_p(p: float, error: type[Exception] = ValueError, *, reject_nan: bool = False) -> None:
    """Raises ``error`` with torch's message when ``p`` is outside ``[0, 1]``.

    torch checks twice: its Python functions and Module constructors raise ValueError for
    ``p < 0`` or ``p > 1`` (NaN passes), its C++ kernel raises RuntimeError for anything not in
    ``[0, 1]`` (NaN included) once the rank checks are done; ``reject_nan`` is the latter.

    Args:
        p: the drop probability.
        error: the exception type to raise.
        reject_nan: raise for NaN too.
    """
    if p < 0.0 or p > 1.0 or (reject_nan and p != p):
        raise error(f"dropout probability has to be between 0 and 1, but got {p}")


# ------------------------------------------------------------------------------------------------
# The array-level core: constants, geometry, forward and backward on arrays
# ------------------------------------------------------------------------------------------------


class _Spec(NamedTuple):
    """What a dropout call computes: ``x * (mul or 0) + (b_keep or b_drop)`` (alpha only)."""

    alpha: bool
    threshold: int
    mul: np.floating  # plain: the scale 1/(1-p); alpha: a
    b_keep: np.floating
    b_drop: np.floating
    zero: np.floating


@functools.lru_cache(maxsize=256)
def _spec(p: float, dtype: np.dtype, alpha: bool, kernels: ModuleType) -> _Spec:
    """The constants of a call, rounded exactly as torch's ``_dropout_impl`` rounds them.

    Plain: torch divides a noise tensor of ones by the Python double ``1 - p``; the scalar is
    cast to the tensor's dtype first, so ``scale = dtype(1) / dtype(1 - p)`` (for float32 this
    differs from ``float32(1 / (1 - p))`` for about 15% of p values).

    Alpha: ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))``; ``b = (noise - 1) * dtype(alpha' a) +
    dtype(alpha' a p)``, so ``b_keep = dtype(alpha' a p)`` and ``b_drop = -dtype(alpha' a) +
    dtype(alpha' a p)`` rounded in the dtype; ``noise * a`` is ``dtype(a)`` for kept elements.
    """
    t = dtype.type
    thr = kernels.keep_threshold(p)
    zero = t(0)
    if not alpha:
        return _Spec(False, thr, t(1) / t(1.0 - p), zero, zero, zero)
    a = 1.0 / math.sqrt((SELU_SATURATION * SELU_SATURATION * p + 1) * (1 - p))
    c = t(SELU_SATURATION * a)
    d = t(SELU_SATURATION * a * p)
    return _Spec(True, thr, t(a), t(zero * c + d), t(-c + d), zero)


_KERNELS: dict[str, ModuleType] = {}  # backend name -> its dropout kernels


def _kernels(backend: Backend) -> ModuleType:
    """``backend.kernels("dropout")``, memoised (the backend imports it by name: 1-5 us)."""
    kernels = _KERNELS.get(backend.name)
    if kernels is None:
        kernels = _KERNELS[backend.name] = backend.kernels("dropout")
    return kernels


def _noise_layout(shape: tuple, bdims: frozenset) -> tuple[tuple, int | None]:
    """Noise shape for ``shape`` with ``bdims`` broadcast, and the row length of the rows path.

    Returns ``(noise_shape, inner)``: ``inner`` is None for the element-wise case (noise shape ==
    shape), the row length when the noise shape is ``shape[:k] + (1,) * rest``, and -1 when only
    the general broadcast path applies.
    """
    noise = tuple(1 if d in bdims else s for d, s in enumerate(shape))
    if noise == shape:
        return noise, None
    k = 0
    for d, s in enumerate(noise):
        if s != 1:
            k = d + 1
    if noise[:k] == shape[:k]:
        return noise, math.prod(shape[k:])
    return noise, -1


def _flat(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous 1-D view of ``arr`` (a copy only when ``arr`` is not C-contiguous)."""
    return np.ascontiguousarray(arr).reshape(-1)


def _target(x: np.ndarray, xc: np.ndarray, inplace: bool, backend: Backend) -> np.ndarray:
    """Where a kernel writes: ``x``'s own storage in place (when contiguous), else a new array."""
    if inplace and np.may_share_memory(xc, x):
        return xc
    return backend.empty(xc.shape, xc.dtype)


def _finish(x: np.ndarray, res: np.ndarray, inplace: bool) -> np.ndarray:
    """Shapes the flat result; in place, makes sure it landed in ``x``'s storage."""
    if not inplace:
        return res.reshape(x.shape)
    if not np.may_share_memory(res, x):
        np.copyto(x, res.reshape(x.shape))
    return x


class DropoutState(NamedTuple):
    """What the backward of a dropout call needs besides its packed decisions."""

    spec: _Spec
    noise_shape: tuple | None  # None: one decision per element, through the fused kernels
    inner: int  # rows path: the row length; -1: the general broadcast path
    seed: int
    offset: int
    stored: bool  # the packed decisions were kept; otherwise backward regenerates them
    backend: Backend


def dropout_array(x: np.ndarray, p: float, generator: Generator, *, alpha: bool = False,
                  bdims: frozenset = frozenset(), save: str | None = "bits",
                  inplace: bool = False,
                  backend: Backend | None = None) -> tuple[np.ndarray, DropoutState,
                                                           np.ndarray | None]:
    """Dropout of a floating-point array with ``0 < p < 1``: the core under every variant.

    Reserves the stream blocks of the decisions from ``generator`` and applies them.

    Args:
        x: a float16/float32/float64 array of any shape and layout.
        p: drop probability, strictly between 0 and 1.
        generator: the generator the decisions are drawn from.
        alpha: alpha dropout (SELU's saturation value for dropped elements) instead of plain.
        bdims: dims along which one decision is shared (the noise shape has 1 there).
        save: ``'bits'`` to return the packed decisions for the backward, ``'regenerate'``
            to return only what regenerates them, None when no backward will run.
        inplace: write the result into ``x``.
        backend: the backend of ``x`` (the CPU's by default).

    Returns:
        ``(out, state, bits)``: the result (``x`` itself in place), what
        :func:`dropout_array_backward` needs, and the packed decisions if ``save == 'bits'``
        (else None).
    """
    backend = backend or get_backend()
    k = _kernels(backend)
    spec = _spec(p, x.dtype, alpha, k)
    noise_shape, inner = _noise_layout(x.shape, bdims)
    fast = x.dtype == np.float32 or x.dtype == np.float64
    if inner is None and fast:  # element-wise: one fused pass
        xc = _flat(x)
        n = xc.size
        res = _target(x, xc, inplace, backend)
        seed, offset = generator.take_blocks(k.blocks_for_decisions(n))
        bits = np.empty(k.mask_nbytes(n), dtype=np.uint8) if save == "bits" else None
        if alpha:
            k.alpha_dropout_forward(xc, res, seed, offset, spec.threshold, spec.mul,
                                    spec.b_keep, spec.b_drop, bits)
        else:
            k.dropout_forward(xc, res, seed, offset, spec.threshold, spec.mul, bits)
        state = DropoutState(spec, None, -1, seed, offset, bits is not None, backend)
        return _finish(x, res, inplace), state, bits
    if not fast:
        inner = -1
    n_dec = math.prod(noise_shape)
    seed, offset = generator.take_blocks(k.blocks_for_decisions(n_dec))
    bits = k.decisions_bits(seed, offset, spec.threshold, n_dec)
    res = _apply_decisions(k, x, bits, spec, noise_shape, inner, inplace, backend)
    stored = save == "bits"
    state = DropoutState(spec, noise_shape, inner, seed, offset, stored, backend)
    return res, state, bits if stored else None


def _apply_decisions(k: ModuleType, x: np.ndarray, bits: np.ndarray, spec: _Spec,
                     noise_shape: tuple, inner: int, inplace: bool,
                     backend: Backend) -> np.ndarray:
    """``x * (mul or 0) (+ b)`` with the packed decisions of the noise shape broadcast."""
    if inner >= 0:  # rows path: (rows, inner) row masks
        xc = _flat(x)
        res = _target(x, xc, inplace, backend)
        if spec.alpha:
            k.apply_row_mask_alpha(xc, res, bits, inner, spec.mul, spec.b_keep, spec.b_drop)
        else:
            k.apply_row_mask(xc, res, bits, inner, spec.mul)
        return _finish(x, res, inplace)
    keep = k.unpack_bits(bits, math.prod(noise_shape)).reshape(noise_shape)
    res = x if inplace else np.empty_like(x, order="C")
    np.multiply(x, np.where(keep, spec.mul, spec.zero), out=res)
    if spec.alpha:
        np.add(res, np.where(keep, spec.b_keep, spec.b_drop), out=res)
    return res


def dropout_array_backward(grad: np.ndarray, state: DropoutState,
                           bits: np.ndarray | None = None) -> np.ndarray:
    """The gradient of :func:`dropout_array`: ``grad * (mul if kept else 0)``, same decisions.

    Args:
        grad: the gradient of the output, of the input's shape.
        state: the forward's state.
        bits: the forward's packed decisions (None when ``state.stored`` is False).

    Returns:
        The gradient of the input, a new array.
    """
    k = _kernels(state.backend)
    spec = state.spec
    if state.noise_shape is None:
        g = _flat(grad)
        out = state.backend.empty(g.shape, g.dtype)
        if bits is not None:
            k.dropout_backward_from_mask(g, out, bits, spec.mul)
        else:
            k.dropout_backward_regenerate(g, out, state.seed, state.offset, spec.threshold,
                                          spec.mul)
        return out.reshape(grad.shape)
    n_dec = math.prod(state.noise_shape)
    if bits is None:
        bits = k.decisions_bits(state.seed, state.offset, spec.threshold, n_dec)
    if state.inner >= 0:
        g = _flat(grad)
        out = state.backend.empty(g.shape, g.dtype)
        k.apply_row_mask(g, out, bits, state.inner, spec.mul)
        return out.reshape(grad.shape)
    keep = k.unpack_bits(bits, n_dec).reshape(state.noise_shape)
    return grad * np.where(keep, spec.mul, spec.zero)


# ------------------------------------------------------------------------------------------------
# The autograd function and the shared driver
# ------------------------------------------------------------------------------------------------


class DropoutFunction(ArrayFunction):
    """Every dropout variant as one autograd node over :func:`dropout_array`.

    Saves the packed decisions (``'bits'``) or nothing but ``(seed, offset)``
    (``'regenerate'``); ``save`` is None when no backward will run.
    """

    @staticmethod
    def forward(ctx, x, *, p, alpha, bdims, generator, save, inplace, backend):
        out, state, bits = dropout_array(x, p, generator, alpha=alpha, bdims=bdims, save=save,
                                         inplace=inplace, backend=backend)
        if save is not None:
            ctx.state = state
            if bits is not None:
                ctx.save_for_backward(bits)
        return out

    @staticmethod
    def backward(ctx, grad):
        bits = ctx.saved_tensors[0] if ctx.state.stored else None
        return dropout_array_backward(grad, ctx.state, bits)


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, *, alpha: bool,
             bdims: frozenset, feature: bool, generator: Generator | None) -> Tensor:
    """Dropout of ``input`` with the decisions shared along ``bdims``, after torch's checks."""
    check_p(p, RuntimeError, reject_nan=True)
    if not training or p == 0 or input._data.size == 0:
        return input
    if p == 1:  # torch: input * zeros({}) so NaN/inf -> NaN and negatives -> -0.0
        return input.mul_(0) if inplace else input * 0
    x = input._data
    if feature and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not _dtype.is_floating(x.dtype):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_dtype.scalar_type_name(x.dtype)}")
    gen = _gen(generator)
    record = _state.enabled and input._requires_grad
    if inplace and record:
        if input._base is not None:
            # A view of a tensor that requires grad: the Tensor's in-place machinery owns the
            # view/base history rules (it runs the out-of-place op on a snapshot).
            return input._inplace(lambda t: _dropout(
                t, p, True, False, alpha=alpha, bdims=bdims, feature=feature,
                generator=generator))
        input._check_inplace()
    result = DropoutFunction.apply(
        input, p=float(p), alpha=alpha, bdims=bdims, generator=gen,
        save=_settings.mask_storage if record else None, inplace=inplace,
        backend=get_backend(input.device))
    if not inplace:
        return result
    if result.grad_fn is not None:
        input._set_history(result.grad_fn, 0)
    input._version_counter.value += 1
    return input


def _dims(dims, ndim: int) -> frozenset:
    """A user's ``broadcast_dims`` (None, an int or a sequence) as a set of axes."""
    if dims is None:
        return frozenset()
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    axes: set[int] = set()
    for d in dims:  # one at a time: a dim named twice is allowed here
        axes.update(canon_dims(int(d), ndim) or ())
    return frozenset(axes)


def _channel_dims(ndim: int, first: int, bdims) -> frozenset:
    """Spatial dims ``first..ndim-1`` plus any user ``broadcast_dims``."""
    return frozenset(range(first, ndim)) | _dims(bdims, ndim)


# ------------------------------------------------------------------------------------------------
# Public functional API (torch.nn.functional)
# ------------------------------------------------------------------------------------------------


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: Generator | None = None, broadcast_dims=None) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the others by ``1 / (1 - p)``.

    Args:
        input: a floating-point tensor of any shape.
        p: probability of an element being zeroed, in ``[0, 1]``.
        training: apply dropout if True; otherwise return ``input`` itself.
        inplace: write the result into ``input`` (its version counter is bumped).
        generator: the :class:`ember.Generator` to draw the mask from (default generator
            otherwise). Ember extension.
        broadcast_dims: dims along which one keep/drop decision is shared (Flax's
            ``broadcast_dims``, Keras' ``noise_shape``), e.g. ``(0,)`` for one mask shared by
            all time steps of a ``(T, B, H)`` input. Ember extension.

    Returns:
        A tensor of ``input``'s shape (``input`` itself when nothing is dropped).

    Raises:
        ValueError: ``p`` outside ``[0, 1]``.

    Shape:
        input ``(*)``, output ``(*)``.

    Example:
        >>> x = ember.randn(4, 8)
        >>> y = ember.nn.functional.dropout(x, p=0.25, generator=ember.Generator().manual_seed(0))
    """
    check_p(p)
    return _dropout(input, p, training, inplace, alpha=False,
                    bdims=_dims(broadcast_dims, input.dim()), feature=False,
                    generator=generator)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None, broadcast_dims=None) -> Tensor:
    """Zeroes whole channels of a ``(N, C, L)`` or unbatched ``(C, L)`` input.

    Each channel is kept (and scaled by ``1 / (1 - p)``) or zeroed as a whole.

    Args:
        input: a 2-D or 3-D floating-point tensor.
        p: probability of a channel being zeroed.
        training: apply dropout if True.
        inplace: write the result into ``input``.
        generator: Ember extension, see :func:`dropout`.
        broadcast_dims: further dims sharing a decision (added to the length dim).

    Returns:
        A tensor of ``input``'s shape.

    Raises:
        RuntimeError: for inputs of other ranks (PyTorch's message).

    Shape:
        input ``(N, C, L)`` or ``(C, L)``, output the same.

    Example:
        >>> y = ember.nn.functional.dropout1d(ember.randn(8, 16, 32), p=0.2)
    """
    check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d "
            "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
            "dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _dropout(input, p, training, inplace, alpha=False,
                    bdims=_channel_dims(d, d - 1, broadcast_dims), feature=True,
                    generator=generator)


def _warn_deprecated_rank(name: str, spatial: int, d: int) -> None:
    """PyTorch's warning for a channel dropout given a rank it no longer supports."""
    warnings.warn(
        f"{name}: Received a {d}-D input to {name}, which is deprecated and will result in an "
        "error in a future release. To retain the behavior and silence this warning, please "
        f"use dropout instead. Note that {name} exists to provide channel-wise dropout on "
        f"inputs with {spatial} spatial dimensions, a channel dimension, and an optional batch "
        f"dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3,
    )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None, broadcast_dims=None) -> Tensor:
    """Zeroes whole channels of a ``(N, C, H, W)`` input (one decision per ``(n, c)``).

    As in PyTorch, a 3-D input is treated as ``(N, C, L)`` with a warning (pytorch issue 77081)
    and other ranks warn that they are deprecated; dims from 2 on share the decision.

    Args:
        input: a floating-point tensor, normally 4-D.
        p: probability of a channel being zeroed.
        training: apply dropout if True.
        inplace: write the result into ``input``.
        generator: Ember extension, see :func:`dropout`.
        broadcast_dims: further dims sharing a decision (added to the spatial dims).

    Returns:
        A tensor of ``input``'s shape.

    Shape:
        input ``(N, C, H, W)``, output the same.

    Example:
        >>> y = ember.nn.functional.dropout2d(ember.randn(8, 16, 5, 5), p=0.2)
    """
    check_p(p)
    d = input.dim()
    if d not in (3, 4):
        _warn_deprecated_rank("dropout2d", 2, d)
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout(input, p, training, inplace, alpha=False,
                    bdims=_channel_dims(d, 2, broadcast_dims), feature=True,
                    generator=generator)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None, broadcast_dims=None) -> Tensor:
    """Zeroes whole channels of a ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input.

    Other ranks warn (deprecated in PyTorch) and are treated as unbatched: one decision per
    index of dim 0.

    Args:
        input: a floating-point tensor, normally 4-D or 5-D.
        p: probability of a channel being zeroed.
        training: apply dropout if True.
        inplace: write the result into ``input``.
        generator: Ember extension, see :func:`dropout`.
        broadcast_dims: further dims sharing a decision (added to the spatial dims).

    Returns:
        A tensor of ``input``'s shape.

    Shape:
        input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, output the same.

    Example:
        >>> y = ember.nn.functional.dropout3d(ember.randn(2, 8, 4, 5, 5), p=0.2)
    """
    check_p(p)
    d = input.dim()
    if d not in (4, 5):
        _warn_deprecated_rank("dropout3d", 3, d)
    first = 2 if d == 5 else 1  # unbatched: torch unsqueezes a batch dim of 1
    return _dropout(input, p, training, inplace, alpha=False,
                    bdims=_channel_dims(d, first, broadcast_dims), feature=d == 0,
                    generator=generator)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False,
                  *, generator: Generator | None = None, broadcast_dims=None) -> Tensor:
    """Alpha dropout for self-normalizing (SELU) networks; note ``training=False`` by default.

    Dropped elements take SELU's saturation value ``-1.7580993408473766``, then ``a * x + b``
    restores zero mean and unit variance: ``a = ((1 - p)(1 + p alpha'^2))^(-1/2)``,
    ``b = -a alpha' p``. ``p == 1`` gives zeros, as in PyTorch.

    Args:
        input: a floating-point tensor of any shape.
        p: probability of an element being dropped.
        training: apply dropout if True (default False, as PyTorch).
        inplace: write the result into ``input``.
        generator: Ember extension, see :func:`dropout`.
        broadcast_dims: Ember extension, see :func:`dropout`.

    Returns:
        A tensor of ``input``'s shape.

    Shape:
        input ``(*)``, output ``(*)``.

    Example:
        >>> y = ember.nn.functional.alpha_dropout(ember.randn(64, 10), 0.1, training=True)
    """
    check_p(p)
    return _dropout(input, p, training, inplace, alpha=True,
                    bdims=_dims(broadcast_dims, input.dim()), feature=False,
                    generator=generator)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False, *, generator: Generator | None = None,
                          broadcast_dims=None) -> Tensor:
    """Alpha dropout with one decision per channel of an ``(N, C, *)`` input.

    Args:
        input: a floating-point tensor of at least 2 dims.
        p: probability of a channel being dropped.
        training: apply dropout if True (default False, as PyTorch).
        inplace: write the result into ``input``.
        generator: Ember extension, see :func:`dropout`.
        broadcast_dims: further dims sharing a decision (added to dims 2 on).

    Returns:
        A tensor of ``input``'s shape.

    Shape:
        input ``(N, C, *)``, output the same.

    Example:
        >>> y = ember.nn.functional.feature_alpha_dropout(ember.randn(8, 4, 6), 0.2, True)
    """
    check_p(p)
    d = input.dim()
    bdims = _channel_dims(d, 2, broadcast_dims) if d >= 2 else frozenset()
    return _dropout(input, p, training, inplace, alpha=True, bdims=bdims, feature=True,
                    generator=generator)


# ------------------------------------------------------------------------------------------------
# The torch.* forms: (input, p, train), errors as RuntimeError, no rank warnings
# ------------------------------------------------------------------------------------------------


def _top_level(name: str, inplace: bool, alpha: bool, feature: bool):
    def fn(input: Tensor, p: float, train: bool, *, generator: Generator | None = None) -> Tensor:
        d = input.dim()
        bdims = frozenset(range(2, d)) if feature else frozenset()
        return _dropout(input, p, train, inplace, alpha=alpha, bdims=bdims, feature=feature,
                        generator=generator)

    what = ("alpha " if alpha else "") + ("feature " if feature else "") + "dropout"
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``torch.{name}(input, p, train)``: {what}"
        + (" in place (returns ``input``)" if inplace else "")
        + ("; one decision per channel of ``(N, C, *)``" if feature else "")
        + ". Raises RuntimeError for p outside [0, 1]."
    )
    return fn


dropout_top = _top_level("dropout", False, False, False)
dropout_ = _top_level("dropout_", True, False, False)
feature_dropout = _top_level("feature_dropout", False, False, True)
feature_dropout_ = _top_level("feature_dropout_", True, False, True)
alpha_dropout_top = _top_level("alpha_dropout", False, True, False)
alpha_dropout_ = _top_level("alpha_dropout_", True, True, False)
feature_alpha_dropout_top = _top_level("feature_alpha_dropout", False, True, True)
feature_alpha_dropout_ = _top_level("feature_alpha_dropout_", True, True, True)

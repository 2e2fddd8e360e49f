"""The dropout family: element, channel and alpha dropout with PyTorch's exact semantics.

Every keep/drop decision comes from the counter-based Philox stream of a generator: decision
``i`` (flat C-order index over the *noise shape*) is kept iff ``W_i < keep_threshold(p)`` for
the uniform 32-bit ``W_i = byte_i << 24 | r_i``, where ``byte_i`` is byte ``i`` of the call's
``(seed, offset)`` word stream (16 decisions per Philox block) and ``r_i``, needed only on a
tie ``byte_i == threshold >> 24`` (probability 1/256), comes from the same block in the
disjoint counter space ``c2 = 1`` (see ``ember.kernels.dropout``). A call on ``n`` decisions
reserves ``blocks_for_decisions(n) = ceil(n / 16)`` blocks. The noise shape is the input's
shape with the broadcast dims set to 1 (channel variants broadcast over the spatial dims), so a
mask is a pure function of (seed, offset, shape): the same whatever the thread count, and
rebuildable.

Arithmetic matches PyTorch's CPU kernels bit for bit for the same mask:

* dropout: ``x * noise`` with ``noise = 1 / (1 - p)`` rounded as torch does it
  (``dtype(1) / dtype(1 - p)``: the division happens in the input's dtype) or 0, so dropped
  NaN/inf give NaN and dropped negatives give -0.0;
* alpha dropout: ``x * (a or 0) + (b_keep or b_drop)``, a product and a separately rounded sum,
  with torch's constants (see :func:`_spec`).

Saved state for backward (one autograd node per call, never a byte or a float per element):

====================  ==============================================================
``'regenerate'``      only ``(seed, offset)``; backward regenerates the decisions.
``'bits'``            the decisions bit-packed: 1 bit per decision (``n / 8`` bytes).
====================  ==============================================================

Choose with :func:`set_dropout_mask_storage`. The default is ``'bits'``, the faster of the two
on the machine Ember is measured on (``bench/dropout.py``, AVX2 without AVX-512): writing the
bits costs the forward about 3%, while regenerating costs the backward a full pass of Philox
arithmetic (several times the cost of reading 1 bit per element). ``'regenerate'`` trades that
time for 0 bytes of saved state, e.g. for activation checkpointing of very large tensors.

Three execution paths, all consuming the stream identically:

* element-wise (noise shape == input shape, float32/float64): one fused kernel pass;
* rows (noise shape ``shape[:k] + (1,) * rest``, e.g. ``(N, C, 1, 1)``): packed decisions per
  row, then one row-mask kernel pass over ``(rows, inner)``;
* general (any other noise shape, or float16): packed decisions, unpacked to the noise shape,
  then a NumPy broadcast product (and sum for alpha dropout).
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ember import _dtype, memory
from ember.autograd.function import ArrayFunction
from ember.autograd.grad_mode import _state
from ember.kernels.loader import dropout_kernels
from ember.kernels.reference import keep_threshold
from ember.random import Generator, _gen
from ember.tensor import Tensor

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
    "get_dropout_mask_storage",
    "set_dropout_mask_storage",
]

#: The ``torch.*`` forms (seed 003's table); ``ember/__init__.py`` imports these.
TOP_LEVEL = [
    "dropout",
    "dropout_",
    "feature_dropout",
    "feature_dropout_",
    "alpha_dropout",
    "alpha_dropout_",
    "feature_alpha_dropout",
    "feature_alpha_dropout_",
]

#: -SELU saturation value: ``lambda * alpha`` of SELU (torch's constant, to the last digit).
SELU_SATURATION = 1.7580993408473766

_STORAGE_MODES = ("regenerate", "bits")
_mask_storage = "bits"

def set_dropout_mask_storage(mode: str) -> None:
    """Chooses what a dropout call keeps for its backward pass.

    Args:
        mode: ``'bits'`` (default: keep the decisions bit-packed, 1 bit per decision) or
            ``'regenerate'`` (keep only the generator's ``(seed, offset)``, 0 bits per element,
            and regenerate the decisions in backward).

    Example:
        >>> ember.nn.functional.set_dropout_mask_storage("regenerate")
    """
    global _mask_storage
    if mode not in _STORAGE_MODES:
        raise ValueError(f"dropout mask storage must be one of {_STORAGE_MODES}, got {mode!r}")
    _mask_storage = mode


def get_dropout_mask_storage() -> str:
    """The current dropout mask storage mode (see :func:`set_dropout_mask_storage`)."""
    return _mask_storage


# ------------------------------------------------------------------------------------------------
# Constants and geometry
# ------------------------------------------------------------------------------------------------


class _Spec(NamedTuple):
    """What a dropout call computes: ``x * (mul or 0) + (b_keep or b_drop)`` (alpha only)."""

    alpha: bool
    threshold: int
    mul: np.floating  # plain: the scale 1/(1-p); alpha: a
    b_keep: np.floating
    b_drop: np.floating
    zero: np.floating


@lru_cache(maxsize=256)
def _spec(p: float, dtype: np.dtype, alpha: bool) -> _Spec:
    """The constants of a call, rounded exactly as torch's ``_dropout_impl`` rounds them.

    Plain: torch divides a noise tensor of ones by the Python double ``1 - p``; the scalar is
    cast to the tensor's dtype first, so ``scale = dtype(1) / dtype(1 - p)`` (for float32 this
    differs from ``float32(1 / (1 - p))`` for about 15% of p values).

    Alpha: ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))``; ``b = (noise - 1) * dtype(alpha' a) +
    dtype(alpha' a p)``, so ``b_keep = dtype(alpha' a p)`` and ``b_drop = -dtype(alpha' a) +
    dtype(alpha' a p)`` rounded in the dtype; ``noise * a`` is ``dtype(a)`` for kept elements.
    """
    t = dtype.type
    thr = keep_threshold(p)
    zero = t(0)
    if not alpha:
        return _Spec(False, thr, t(1) / t(1.0 - p), zero, zero, zero)
    a = 1.0 / math.sqrt((SELU_SATURATION * SELU_SATURATION * p + 1) * (1 - p))
    c = t(SELU_SATURATION * a)
    d = t(SELU_SATURATION * a * p)
    return _Spec(True, thr, t(a), t(zero * c + d), t(-c + d), zero)


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


def _canon_dims(dims, ndim: int) -> frozenset:
    if dims is None:
        return frozenset()
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = set()
    for d in dims:
        d = int(d)
        if not -ndim <= d < ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                f"but got {d})"
            )
        out.add(d % ndim)
    return frozenset(out)


_INT_NAMES = {
    "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool",
}


# ------------------------------------------------------------------------------------------------
# Autograd functions: forward and backward side by side
# ------------------------------------------------------------------------------------------------


def _flat(arr: np.ndarray) -> np.ndarray:
    """A C-contiguous 1-D view of ``arr`` (a copy only when ``arr`` is not C-contiguous)."""
    return np.ascontiguousarray(arr).reshape(-1)


def _finish(x: np.ndarray, res: np.ndarray, inplace: bool) -> np.ndarray:
    """Shapes the flat result; in place, makes sure it landed in ``x``'s storage."""
    if not inplace:
        return res.reshape(x.shape)
    if not np.may_share_memory(res, x):
        np.copyto(x, res.reshape(x.shape))
    return x


def _target(x: np.ndarray, xc: np.ndarray, inplace: bool) -> np.ndarray:
    """Where a kernel writes: ``x``'s own storage in place (when contiguous), else a new array."""
    if inplace and np.may_share_memory(xc, x):
        return xc
    return memory.empty_like(xc)


class NativeDropout(ArrayFunction):
    """Element-wise dropout and alpha dropout through the fused kernels (float32/float64).

    Saves nothing but ``(seed, offset)`` (``'regenerate'``) or the packed mask (``'bits'``).
    """

    @staticmethod
    def forward(ctx, x, *, spec, generator, record, inplace=False, bits=None):
        k = dropout_kernels(x.size)
        xc = _flat(x)
        n = xc.size
        res = _target(x, xc, inplace)
        if bits is not None:  # a given mask (tests compare with torch through this path)
            if spec.alpha:
                k.apply_row_mask_alpha(xc, res, bits, 1, spec.mul, spec.b_keep, spec.b_drop)
            else:
                k.dropout_backward_from_mask(xc, res, bits, spec.mul)
            seed = offset = None
        else:
            seed, offset = generator.take_blocks(k.blocks_for_decisions(n))
            if record and _mask_storage == "bits":
                bits = np.empty(k.mask_nbytes(n), dtype=np.uint8)  # every byte is written
            if spec.alpha:
                k.alpha_dropout_forward(xc, res, seed, offset, spec.threshold, spec.mul,
                                        spec.b_keep, spec.b_drop, bits)
            else:
                k.dropout_forward(xc, res, seed, offset, spec.threshold, spec.mul, bits)
        if record:
            ctx.spec, ctx.seed, ctx.offset = spec, seed, offset
            ctx.stored = bits is not None
            if ctx.stored:
                ctx.save_for_backward(bits)
        return _finish(x, res, inplace)

    @staticmethod
    def backward(ctx, grad):
        k = dropout_kernels(grad.size)
        spec = ctx.spec
        g = _flat(grad)
        out = memory.empty_like(g)
        if ctx.stored:
            (bits,) = ctx.saved_tensors
            k.dropout_backward_from_mask(g, out, bits, spec.mul)
        else:
            k.dropout_backward_regenerate(g, out, ctx.seed, ctx.offset, spec.threshold, spec.mul)
        return out.reshape(grad.shape)


class FeatureDropout(ArrayFunction):
    """Dropout and alpha dropout with one decision per element of a broadcast noise shape.

    The channel variants (noise ``(N, C, 1, ...)``) and any ``broadcast_dims``. Decisions are
    packed to 1 bit each; ``'regenerate'`` keeps only ``(seed, offset)`` instead.
    """

    @staticmethod
    def forward(ctx, x, *, spec, generator, record, noise_shape, inner, inplace=False,
                bits=None):
        k = dropout_kernels(x.size)
        n_dec = math.prod(noise_shape)
        seed = offset = None
        if bits is None:
            seed, offset = generator.take_blocks(k.blocks_for_decisions(n_dec))
            bits = k.decisions_bits(seed, offset, spec.threshold, n_dec)
        if inner is not None and inner >= 0:  # rows path: (rows, inner) row masks
            xc = _flat(x)
            res = _target(x, xc, inplace)
            if spec.alpha:
                k.apply_row_mask_alpha(xc, res, bits, inner, spec.mul, spec.b_keep, spec.b_drop)
            else:
                k.apply_row_mask(xc, res, bits, inner, spec.mul)
            res = _finish(x, res, inplace)
        else:  # general path: a broadcast product in NumPy, same rounding
            keep = k.unpack_bits(bits, n_dec).reshape(noise_shape)
            res = x if inplace else np.empty_like(x, order="C")
            np.multiply(x, np.where(keep, spec.mul, spec.zero), out=res)
            if spec.alpha:
                np.add(res, np.where(keep, spec.b_keep, spec.b_drop), out=res)
        if record:
            ctx.spec, ctx.noise_shape, ctx.inner = spec, noise_shape, inner
            ctx.seed, ctx.offset = seed, offset
            ctx.stored = seed is None or _mask_storage == "bits"
            if ctx.stored:
                ctx.save_for_backward(bits)
        return res

    @staticmethod
    def backward(ctx, grad):
        k = dropout_kernels(grad.size)
        spec = ctx.spec
        n_dec = math.prod(ctx.noise_shape)
        if ctx.stored:
            (bits,) = ctx.saved_tensors
        else:
            bits = k.decisions_bits(ctx.seed, ctx.offset, spec.threshold, n_dec)
        if ctx.inner is not None and ctx.inner >= 0:
            g = _flat(grad)
            out = memory.empty_like(g)
            k.apply_row_mask(g, out, bits, ctx.inner, spec.mul)
            return out.reshape(grad.shape)
        keep = k.unpack_bits(bits, n_dec).reshape(ctx.noise_shape)
        return grad * np.where(keep, spec.mul, spec.zero)


# ------------------------------------------------------------------------------------------------
# The shared driver
# ------------------------------------------------------------------------------------------------


def _check_p(p, error=ValueError) -> None:
    # NaN passes this (torch's Python-level) check and fails in _dropout (torch's C++ check).
    if p < 0.0 or p > 1.0:
        raise error(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, *, alpha: bool,
             bdims: frozenset, feature: bool, generator: Generator | None,
             keep: np.ndarray | None = None) -> Tensor:
    """Dropout of ``input`` with the decisions shared along ``bdims``."""
    if not (p >= 0.0 and p <= 1.0):
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input._data.size == 0:
        return input
    if p == 1:  # torch: input * zeros({}) so NaN/inf -> NaN and negatives -> -0.0
        return input.mul_(0) if inplace else input * 0
    x = input._data
    if feature and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not _dtype.is_floating(x.dtype):
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type "
            f"{_INT_NAMES.get(x.dtype.name, x.dtype.name)}"
        )
    gen = _gen(generator)
    spec = _spec(float(p), x.dtype, alpha)
    noise_shape, inner = _noise_layout(x.shape, bdims)
    fast = x.dtype == np.float32 or x.dtype == np.float64
    bits = None
    if keep is not None:
        keep = np.broadcast_to(np.asarray(keep, dtype=bool), noise_shape)
        bits = np.packbits(keep.reshape(-1), bitorder="little")
    record = _state.enabled and input._requires_grad
    if inplace and record:
        if input._base is not None:
            # A view of a tensor that requires grad: the Tensor's in-place machinery owns the
            # view/base history rules (it runs the out-of-place op on a snapshot).
            return input._inplace(lambda t: _dropout(
                t, p, True, False, alpha=alpha, bdims=bdims, feature=feature,
                generator=generator, keep=keep))
        input._check_inplace()
    if inner is None and fast:
        result = NativeDropout.apply(input, spec=spec, generator=gen, record=record,
                                     inplace=inplace, bits=bits)
    else:
        if not fast:
            inner = -1
        result = FeatureDropout.apply(input, spec=spec, generator=gen, record=record,
                                      noise_shape=noise_shape, inner=inner, inplace=inplace,
                                      bits=bits)
    if not inplace:
        return result
    if result.grad_fn is not None:
        input._set_history(result.grad_fn, 0)
    input._version_counter.value += 1
    return input


def _channel_dims(ndim: int, first: int, bdims) -> frozenset:
    """Spatial dims ``first..ndim-1`` plus any user ``broadcast_dims``."""
    return frozenset(range(first, ndim)) | _canon_dims(bdims, ndim)


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

    Shape:
        input ``(*)``, output ``(*)``.

    Example:
        >>> x = ember.randn(4, 8)
        >>> y = ember.nn.functional.dropout(x, p=0.25, generator=ember.Generator().manual_seed(0))
    """
    _check_p(p)
    bdims = _canon_dims(broadcast_dims, input.dim()) if broadcast_dims is not None else frozenset()
    return _dropout(input, p, training, inplace, alpha=False, bdims=bdims, feature=False,
                    generator=generator)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: Generator | None = None, broadcast_dims=None) -> Tensor:
    """Zeroes whole channels of a ``(N, C, L)`` or unbatched ``(C, L)`` input.

    Args:
        input: a 2-D or 3-D floating-point tensor.
        p: probability of a channel being zeroed.
        training: apply dropout if True.
        inplace: write the result into ``input``.
        generator: Ember extension, see :func:`dropout`.
        broadcast_dims: further dims sharing a decision (added to the length dim).

    Raises:
        RuntimeError: for inputs of other ranks (PyTorch's message).
    """
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d "
            "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
            "dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _dropout(input, p, training, inplace, alpha=False, bdims=_channel_dims(d, d - 1,
                    broadcast_dims), feature=True, generator=generator)


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
    """
    _check_p(p)
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
    return _dropout(input, p, training, inplace, alpha=False, bdims=_channel_dims(d, 2,
                    broadcast_dims), feature=True, generator=generator)


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
    """
    _check_p(p)
    d = input.dim()
    if d not in (4, 5):
        _warn_deprecated_rank("dropout3d", 3, d)
    first = 2 if d == 5 else 1  # unbatched: torch unsqueezes a batch dim of 1
    return _dropout(input, p, training, inplace, alpha=False, bdims=_channel_dims(d, first,
                    broadcast_dims), feature=d == 0, generator=generator)


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
    """
    _check_p(p)
    bdims = _canon_dims(broadcast_dims, input.dim()) if broadcast_dims is not None else frozenset()
    return _dropout(input, p, training, inplace, alpha=True, bdims=bdims, feature=False,
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
    """
    _check_p(p)
    d = input.dim()
    bdims = _channel_dims(d, 2, broadcast_dims) if d >= 2 else frozenset()
    return _dropout(input, p, training, inplace, alpha=True, bdims=bdims, feature=True,
                    generator=generator)


# ------------------------------------------------------------------------------------------------
# The torch.* forms: (input, p, train), errors as RuntimeError, no rank warnings
# ------------------------------------------------------------------------------------------------


def _top(input, p, train, inplace, alpha, feature, generator):
    _check_p(p, RuntimeError)
    d = input.dim()
    bdims = frozenset(range(2, d)) if feature else frozenset()
    return _dropout(input, p, train, inplace, alpha=alpha, bdims=bdims, feature=feature,
                    generator=generator)


def _top_level(name: str, inplace: bool, alpha: bool, feature: bool):
    def fn(input: Tensor, p: float, train: bool, *, generator: Generator | None = None) -> Tensor:
        return _top(input, p, train, inplace, alpha, feature, generator)

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


def _apply_given_mask(input: Tensor, keep: np.ndarray, p: float, *, alpha: bool = False,
                      broadcast_dims=None) -> Tensor:
    """Dropout of ``input`` with the given keep decisions (bool, noise shape) — for tests.

    Runs the same kernels and constants as a sampled call, so tests can check Ember's rounding
    against torch's for a mask recovered from torch's output.
    """
    bdims = _canon_dims(broadcast_dims, input.dim())
    return _dropout(input, p, True, False, alpha=alpha, bdims=bdims, feature=False,
                    generator=None, keep=keep)

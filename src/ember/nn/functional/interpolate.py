"""``interpolate`` (and the ``upsample*`` aliases): resampling of the spatial dims, composed
of differentiable ops.

Every mode but ``'area'`` is separable: along each spatial dim, output position ``j`` is a
weighted sum of a few input positions (``index_select`` + multiply + add), so the gradient
comes from those ops. The source coordinates and weights follow PyTorch's CPU kernels:

* ``nearest``: ``i = min(floor(j * scale), n_in - 1)``; ``nearest-exact`` uses ``j + 0.5``.
* ``linear`` / ``bilinear`` / ``trilinear``: ``x = (j + 0.5) * scale - 0.5`` clamped at 0
  (``align_corners=False``) or ``x = j * (n_in - 1) / (n_out - 1)``; two taps.
* ``bicubic``: the same ``x`` without the clamp, four taps of the cubic convolution kernel
  with ``A = -0.75``, indices clamped to the border.

``scale`` is ``1 / scale_factor`` when a scale factor is given (and not recomputed), else
``n_in / n_out``; it is computed in the input's dtype (in float32 for the nearest modes, as
PyTorch does).

``'area'`` (adaptive average pooling: output ``j`` averages inputs ``floor(j n_in / n_out)`` to
``ceil((j + 1) n_in / n_out)``) and ``antialias=True`` (bilinear and bicubic on 4-D input:
when shrinking, the triangle or cubic (``A = -0.5``) filter is stretched by ``scale``, so each
output averages every input it covers; weights normalised to sum 1) are also linear maps per
dim; they are applied as a (n_out, n_in) matrix.
"""

from __future__ import annotations

import math

import numpy as np

from ember import _dtype
from ember._dtype import SCALAR_TYPE_NAMES
from ember.nn.functional.pooling import averaging_matrix
from ember.tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_bilinear", "upsample_nearest"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
_CUBIC_A = -0.75


def _output_sizes(spatial, size, scale_factor):
    n = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * n
        if len(sizes) != n:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(spatial)} and output size of "
                f"{tuple(size) if isinstance(size, list) else size}. Please provide input "
                "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                "format.")
        return [int(s) for s in sizes], None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    factors = (list(scale_factor) if isinstance(scale_factor, (list, tuple))
               else [scale_factor] * n)
    if len(factors) != n:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(spatial)} and scale_factor of shape "
            f"{tuple(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
            "format and scale_factor in (s1, s2, ...,sK) format.")
    factors = [float(f) for f in factors]
    return [math.floor(d * f) for d, f in zip(spatial, factors, strict=True)], factors


def _taps(mode: str, n_in: int, n_out: int, scale, align_corners: bool, dtype):
    """Input indices and weights of each output position along one dim: lists of arrays."""
    t = np.dtype(dtype).type
    j = np.arange(n_out, dtype=dtype)
    if mode in ("nearest", "nearest-exact"):  # PyTorch computes these in float32 always
        s = np.float32(scale if scale is not None else n_in / n_out)
        j32 = np.arange(n_out, dtype=np.float32)
        pos = (j32 + np.float32(0.5)) * s if mode == "nearest-exact" else j32 * s
        return [np.minimum(np.floor(pos).astype(np.int64), n_in - 1)], [None]
    if align_corners:
        s = t((n_in - 1) / (n_out - 1)) if n_out > 1 else t(0)
        x = j * s
    else:
        s = t(scale if scale is not None else n_in / n_out)
        x = (j + t(0.5)) * s - t(0.5)
        if mode != "bicubic":
            x = np.maximum(x, t(0))
    base = np.floor(x)
    frac = (x - base).astype(dtype)
    i0 = base.astype(np.int64)
    if mode != "bicubic":
        i1 = np.minimum(i0 + 1, n_in - 1)
        return [i0, i1], [t(1) - frac, frac]
    a = t(_CUBIC_A)
    one = t(1)

    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + one

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    weights = [far(frac + one), near(frac), near(one - frac), far(t(2) - frac)]
    indices = [np.clip(i0 + k, 0, n_in - 1) for k in (-1, 0, 1, 2)]
    return indices, weights


def _antialias_matrix(mode: str, n_in: int, n_out: int, scale, align_corners: bool,
                      dtype) -> np.ndarray:
    """The anti-aliased bilinear/bicubic resampling of one dim as a (n_out, n_in) matrix."""
    if align_corners:
        s = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        s = scale if scale is not None else n_in / n_out
    taps = 2 if mode == "bilinear" else 4
    support = taps * 0.5 * s if s >= 1.0 else taps * 0.5
    inverse = 1.0 / s if s >= 1.0 else 1.0

    def kernel(d):
        d = np.abs(d)
        if mode == "bilinear":
            return np.where(d < 1, 1 - d, 0.0)
        a = -0.5
        return np.where(d < 1, ((a + 2) * d - (a + 3)) * d * d + 1,
                        np.where(d < 2, (((d - 5) * d + 8) * d - 4) * a, 0.0))

    m = np.zeros((n_out, n_in))
    for j in range(n_out):
        center = s * (j + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n_in)
        w = kernel((np.arange(lo, hi) - center + 0.5) * inverse)
        total = w.sum()
        m[j, lo:hi] = w / total if total != 0 else w
    return m.astype(dtype)


def _matrix_dim(x: Tensor, dim: int, matrix: np.ndarray) -> Tensor:
    """Applies ``matrix`` (n_out, n_in) along ``dim`` of ``x``."""
    return (x.movedim(dim, -1) @ Tensor._make(np.ascontiguousarray(matrix.T))).movedim(-1, dim)


def _resample_dim(x: Tensor, dim: int, indices, weights) -> Tensor:
    shape = [1] * x.dim()
    shape[dim] = -1
    out = None
    for idx, w in zip(indices, weights, strict=True):
        term = x.index_select(dim, Tensor._make(idx))
        if w is not None:
            term = term * Tensor._make(w.reshape(shape))
        out = term if out is None else out + term
    return out


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resamples the spatial dims of ``input`` (N, C, d1[, d2[, d3]]) to ``size`` or by
    ``scale_factor`` with ``mode`` (see the module docstring for the coordinate rules).

    Args:
        size: output spatial size(s).
        scale_factor: multiplier(s) of the spatial size (output ``floor(d * factor)``).
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'``
            and ``'bicubic'`` (4-D), ``'trilinear'`` (5-D) or ``'area'``.
        align_corners: for the interpolating modes: map the corner pixels' centres onto each
            other (default False).
        recompute_scale_factor: compute the coordinate scale from the sizes even when a
            scale factor is given.
        antialias: anti-aliased downsampling (``'bilinear'`` and ``'bicubic'``, 4-D input).
    """
    if input.dim() not in (3, 4, 5) or mode not in (*_LINEAR_DIMS, "nearest",
                                                     "nearest-exact", "area"):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
            f"for the modes: {_MODES} (got {mode})")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif _LINEAR_DIMS[mode] != input.dim() - 2:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_LINEAR_DIMS[mode] + 2}D input")
    if antialias and (mode not in ("bilinear", "bicubic") or input.dim() != 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    spatial = list(input.shape[2:])
    sizes, factors = _output_sizes(spatial, size, scale_factor)
    if not _dtype.is_floating(input._data.dtype):
        kind = "nearest" if mode.startswith("nearest") else "linear"
        raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                                  f"'{SCALAR_TYPE_NAMES[input._data.dtype.name]}'")
    align = bool(align_corners)
    dtype = input._data.dtype
    out = input
    for k, (n_in, n_out) in enumerate(zip(spatial, sizes, strict=True)):
        scale = None
        if factors is not None and not recompute_scale_factor and not align:
            scale = 1.0 / factors[k]
        if mode == "area":
            out = _matrix_dim(out, 2 + k, averaging_matrix(n_in, n_out, dtype))
        elif antialias:
            out = _matrix_dim(out, 2 + k, _antialias_matrix(mode, n_in, n_out, scale, align,
                                                            dtype))
        else:
            indices, weights = _taps(mode, n_in, n_out, scale, align, dtype)
            out = _resample_dim(out, 2 + k, indices, weights)
    return out


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None) -> Tensor:
    """Resamples ``input``; a deprecated alias of :func:`interpolate`.

    Args:
        input: ``(N, C, d1[, d2[, d3]])``.
        size: output spatial size(s).
        scale_factor: multiplier(s) of the spatial size.
        mode: as :func:`interpolate`.
        align_corners: as :func:`interpolate`.

    Example:
        >>> F.upsample(ember.tensor([[[1.0, 2.0]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Nearest-neighbour upsampling; deprecated: ``interpolate(..., mode='nearest')``.

    Args:
        input: ``(N, C, d1[, d2[, d3]])``.
        size: output spatial size(s).
        scale_factor: multiplier(s) of the spatial size.

    Example:
        >>> F.upsample_nearest(ember.tensor([[[1.0, 2.0]]]), size=4)
        tensor([[[1., 1., 2., 2.]]])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Bilinear upsampling; deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``.

    Args:
        input: ``(N, C, H, W)``.
        size: output spatial size (int or pair).
        scale_factor: multiplier(s) of the spatial size.

    Example:
        >>> F.upsample_bilinear(ember.tensor([[[[0.0, 3.0]]]]), size=(1, 4))
        tensor([[[[0., 1., 2., 3.]]]])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

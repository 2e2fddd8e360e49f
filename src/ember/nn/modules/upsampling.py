"""Upsampling layers: each is a docstring and one call into ``F.interpolate``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]


class Upsample(Module):
    """Resizes the spatial dimensions of 1-D (``(N, C, W)``), 2-D (``(N, C, H, W)``) or 3-D
    (``(N, C, D, H, W)``) data to a given ``size`` or by a ``scale_factor``, by
    :func:`ember.nn.functional.interpolate` with the arguments fixed at construction.

    Give exactly one of ``size`` and ``scale_factor``.

    Args:
        size: the output spatial size, an int or a tuple with one entry per spatial dimension.
            Default: ``None``.
        scale_factor: the multiplier of the spatial size, a float or a tuple with one per spatial
            dimension; the output size is ``floor(input size * scale_factor)``. Default: ``None``.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'`` or
            ``'bicubic'`` (4-D input), ``'trilinear'`` (5-D input) or ``'area'``.
            Default: ``'nearest'``.
        align_corners: for the linear, bilinear, bicubic and trilinear modes: ``True`` maps the
            centres of the corner pixels of input and output onto each other; ``False`` maps their
            outer edges. Default: ``None`` (``False``).
        recompute_scale_factor: compute the sampling scale from the output size even when
            ``scale_factor`` is given. Default: ``None``.

    Shape:
        - Input: ``(N, C, W_in)``, ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        - Output: ``(N, C, W_out)``, ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``,
          with each size ``size`` or ``floor(in * scale_factor)``.

    Example:
        >>> x = ember.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> m = nn.Upsample(scale_factor=2, mode="nearest")
        >>> m(x)
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.],
                  [3., 3., 4., 4.],
                  [3., 3., 4., 4.]]]])
        >>> nn.Upsample(size=(3, 3), mode="bilinear", align_corners=True)(x)
        tensor([[[[1.0000, 1.5000, 2.0000],
                  [2.0000, 2.5000, 3.0000],
                  [3.0000, 3.5000, 4.0000]]]])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of 2-D data (``(N, C, H, W)``): each output pixel copies the
    input pixel it falls in. The same as ``Upsample(size, scale_factor, mode='nearest')``.

    Give exactly one of ``size`` and ``scale_factor``.

    Args:
        size: the output size ``(H_out, W_out)``, or one int for both. Default: ``None``.
        scale_factor: the multiplier of height and width, one number or a pair.
            Default: ``None``.

    Shape:
        - Input: ``(N, C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` with ``H_out = floor(H_in * scale_factor)`` (or
          ``size``), likewise ``W_out``.

    Example:
        >>> m = nn.UpsamplingNearest2d(scale_factor=2)
        >>> m(ember.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.]]]])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of 2-D data (``(N, C, H, W)``) with the corner pixels aligned. The same
    as ``Upsample(size, scale_factor, mode='bilinear', align_corners=True)``.

    Give exactly one of ``size`` and ``scale_factor``.

    Args:
        size: the output size ``(H_out, W_out)``, or one int for both. Default: ``None``.
        scale_factor: the multiplier of height and width, one number or a pair.
            Default: ``None``.

    Shape:
        - Input: ``(N, C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` with ``H_out = floor(H_in * scale_factor)`` (or
          ``size``), likewise ``W_out``.

    Example:
        >>> m = nn.UpsamplingBilinear2d(size=(1, 3))
        >>> m(ember.tensor([[[[1.0, 3.0]]]]))
        tensor([[[[1., 2., 3.]]]])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)

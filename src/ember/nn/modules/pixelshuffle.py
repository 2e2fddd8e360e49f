"""Sub-pixel rearrangement: ``PixelShuffle`` and ``PixelUnshuffle``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Rearranges channels into space: an input ``(*, C * r^2, H, W)`` becomes
    ``(*, C, H * r, W * r)`` with ``r = upscale_factor``; each group of ``r^2`` channels fills an
    ``r x r`` block of output pixels. Used for sub-pixel convolution upsampling.

    Args:
        upscale_factor: the factor ``r`` by which height and width grow.

    Shape:
        - Input: ``(*, C_in, H_in, W_in)``, with ``C_in`` divisible by ``upscale_factor^2``.
        - Output: ``(*, C_out, H_out, W_out)``, with ``C_out = C_in / upscale_factor^2``,
          ``H_out = H_in * upscale_factor`` and ``W_out = W_in * upscale_factor``.

    Example:
        >>> m = nn.PixelShuffle(2)
        >>> m(ember.arange(4.0).reshape(1, 4, 1, 1))
        tensor([[[[0., 1.],
                  [2., 3.]]]])
        >>> m(ember.randn(1, 9 * 4, 4, 4)).shape
        ember.Size([1, 9, 8, 8])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearranges space into channels, the inverse of :class:`PixelShuffle`: an input
    ``(*, C, H * r, W * r)`` becomes ``(*, C * r^2, H, W)`` with ``r = downscale_factor``.

    Args:
        downscale_factor: the factor ``r`` by which height and width shrink.

    Shape:
        - Input: ``(*, C_in, H_in, W_in)``, with ``H_in`` and ``W_in`` divisible by
          ``downscale_factor``.
        - Output: ``(*, C_out, H_out, W_out)``, with ``C_out = C_in * downscale_factor^2``,
          ``H_out = H_in / downscale_factor`` and ``W_out = W_in / downscale_factor``.

    Example:
        >>> m = nn.PixelUnshuffle(2)
        >>> m(ember.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])).flatten()
        tensor([0., 1., 2., 3.])
        >>> m(ember.randn(1, 1, 12, 12)).shape
        ember.Size([1, 4, 6, 6])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"

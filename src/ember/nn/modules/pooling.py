"""Pooling layers over :mod:`ember.nn.functional.pooling`."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
]


def _single(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over an input of several channels: each output element is the largest
    value in its window, ``out[n, c, l] = max_k x[n, c, stride * l + dilation * k]`` over the
    ``kernel_size`` taps ``k`` (see :func:`ember.nn.functional.max_pool1d`).

    Args:
        kernel_size: the length of the window.
        stride: the step between windows. Default: ``None`` (``kernel_size``).
        padding: implicit ``-inf`` added at both ends, at most half the kernel. Default: ``0``.
        dilation: the spacing between the taps of a window. Default: ``1``.
        return_indices: also return the position of each maximum (for
            ``nn.MaxUnpool1d``-style uses). Default: ``False``.
        ceil_mode: round the output length up instead of down, so a partial last window counts.
            Default: ``False``.

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``.
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``, with
          ``L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``
          (``ceil`` with ``ceil_mode``).

    Example:
        >>> m = nn.MaxPool1d(2)
        >>> m(ember.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]))
        tensor([[[3., 2.]]])
        >>> nn.MaxPool1d(3, stride=2)(ember.randn(20, 16, 50)).shape
        ember.Size([20, 16, 24])
    """

    def forward(self, input: Tensor):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over an input of several channels: each output element is the largest
    value in its ``kH x kW`` window (see :func:`ember.nn.functional.max_pool2d`).

    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are each an int (the same for
    height and width) or a pair ``(h, w)``.

    Args:
        kernel_size: the size of the window.
        stride: the step between windows. Default: ``None`` (``kernel_size``).
        padding: implicit ``-inf`` added on both sides, at most half the kernel. Default: ``0``.
        dilation: the spacing between the taps of a window. Default: ``1``.
        return_indices: also return the flat position (``h * W + w``) of each maximum.
            Default: ``False``.
        ceil_mode: round the output size up instead of down, so partial windows count.
            Default: ``False``.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``, with
          ``H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1)
          / stride[0] + 1)`` and likewise ``W_out`` (``ceil`` with ``ceil_mode``).

    Example:
        >>> m = nn.MaxPool2d(2)
        >>> m(ember.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
        >>> nn.MaxPool2d(3, stride=2, padding=1)(ember.randn(1, 3, 32, 32)).shape
        ember.Size([1, 3, 16, 16])
    """

    def forward(self, input: Tensor):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """1-D average pooling over an input of several channels: each output element is the mean of
    its window, ``out[n, c, l] = sum_k x[n, c, stride * l + k] / kernel_size``
    (see :func:`ember.nn.functional.avg_pool1d`).

    Args:
        kernel_size: the length of the window.
        stride: the step between windows. Default: ``None`` (``kernel_size``).
        padding: implicit zeros added at both ends, at most half the kernel. Default: ``0``.
        ceil_mode: round the output length up instead of down. Default: ``False``.
        count_include_pad: count the padded zeros in each window's divisor. Default: ``True``.

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``.
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``, with
          ``L_out = floor((L_in + 2 * padding - kernel_size) / stride + 1)`` (``ceil`` with
          ``ceil_mode``).

    Example:
        >>> m = nn.AvgPool1d(3, stride=2)
        >>> m(ember.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]]))
        tensor([[[2., 4., 6.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """2-D average pooling over an input of several channels: each output element is the mean of
    its ``kH x kW`` window (see :func:`ember.nn.functional.avg_pool2d`).

    ``kernel_size``, ``stride`` and ``padding`` are each an int (the same for height and
    width) or a pair ``(h, w)``.

    Args:
        kernel_size: the size of the window.
        stride: the step between windows. Default: ``None`` (``kernel_size``).
        padding: implicit zeros added on both sides, at most half the kernel. Default: ``0``.
        ceil_mode: round the output size up instead of down. Default: ``False``.
        count_include_pad: count the padded zeros in each window's divisor. Default: ``True``.
        divisor_override: divide every window's sum by this number instead. Default: ``None``.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``, with
          ``H_out = floor((H_in + 2 * padding[0] - kernel_size[0]) / stride[0] + 1)`` and likewise
          ``W_out`` (``ceil`` with ``ceil_mode``).

    Example:
        >>> m = nn.AvgPool2d(2)
        >>> m(ember.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """1-D adaptive average pooling: averages windows chosen so that the output has length
    ``output_size`` whatever the input length. Output position ``i`` averages the inputs from
    ``floor(i * L_in / L_out)`` up to ``ceil((i + 1) * L_in / L_out)`` (excluded).

    Args:
        output_size: the output length ``L_out``.

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``.
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``.

    Example:
        >>> m = nn.AdaptiveAvgPool1d(2)
        >>> m(ember.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]))
        tensor([[[2., 4.]]])
        >>> nn.AdaptiveAvgPool1d(5)(ember.randn(1, 64, 8)).shape
        ember.Size([1, 64, 5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """2-D adaptive average pooling: averages windows chosen so that the output is
    ``H_out x W_out`` whatever the input size (the windows along each dimension as in
    :class:`AdaptiveAvgPool1d`). ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Args:
        output_size: ``(H_out, W_out)``, or one int for a square output; either entry may be
            ``None`` to keep that input size.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``.

    Example:
        >>> m = nn.AdaptiveAvgPool2d((5, 7))
        >>> m(ember.randn(1, 64, 8, 9)).shape
        ember.Size([1, 64, 5, 7])
        >>> nn.AdaptiveAvgPool2d((None, 7))(ember.randn(1, 64, 10, 9)).shape
        ember.Size([1, 64, 10, 7])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePoolNd):
    """1-D adaptive max pooling: takes the maximum of windows chosen so that the output has length
    ``output_size`` whatever the input length (the windows as in :class:`AdaptiveAvgPool1d`).

    Args:
        output_size: the output length ``L_out``.
        return_indices: also return the position of each maximum. Default: ``False``.

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``.
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``.

    Example:
        >>> m = nn.AdaptiveMaxPool1d(2, return_indices=True)
        >>> m(ember.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]))
        (tensor([[[5., 4.]]]), tensor([[[1, 3]]]))
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    """2-D adaptive max pooling: takes the maximum of windows chosen so that the output is
    ``H_out x W_out`` whatever the input size (the windows along each dimension as in
    :class:`AdaptiveAvgPool1d`).

    Args:
        output_size: ``(H_out, W_out)``, or one int for a square output; either entry may be
            ``None`` to keep that input size.
        return_indices: also return the flat position (``h * W + w``) of each maximum.
            Default: ``False``.

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``.
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``.

    Example:
        >>> m = nn.AdaptiveMaxPool2d(1)
        >>> m(ember.arange(16.0).reshape(1, 1, 4, 4))
        tensor([[[[15.]]]])
        >>> nn.AdaptiveMaxPool2d((5, 7))(ember.randn(1, 64, 8, 9)).shape
        ember.Size([1, 64, 5, 7])
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

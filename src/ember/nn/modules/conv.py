"""Convolution layers: Conv1d, Conv2d and the transposed ConvTranspose1d, ConvTranspose2d over
:mod:`ember.nn.functional.conv`."""

from __future__ import annotations

import math

from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.linear import _weight_and_bias
from ember.nn.modules.module import Module
from ember.tensor import Size, Tensor

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters, init and repr.

    Each public layer declares PyTorch's signature in its own ``__init__``, so ``transposed``
    and ``output_padding`` (set here by the transposed layers) are refused by ``Conv1d`` and
    ``Conv2d`` with PyTorch's ``TypeError``.
    """

    _nd = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, *, transposed: bool = False,
                 output_padding=0) -> None:
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size, stride, dilation = (_ntuple(v, nd) for v in (kernel_size, stride, dilation))
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                "padding_mode must be one of {'circular', 'reflect', 'replicate', 'zeros'}, "
                f"but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups))
        _weight_and_bias(self, (*shape, *kernel_size), out_channels, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: Kaiming-uniform (a=sqrt(5)) weight, bias U(-1/sqrt(fan_in), ...)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


    def _mode_padding(self) -> tuple:
        """``F.pad``'s argument for padding by ``padding_mode``: last dim first, (left, right)."""
        pads = []
        for i in reversed(range(self._nd)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                pads += [total // 2, total - total // 2]
            elif self.padding == "valid":
                pads += [0, 0]
            else:
                pads += [self.padding[i], self.padding[i]]
        return tuple(pads)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._mode_padding(), mode=self.padding_mode)
            return self._conv(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return self._conv(input, weight, bias, self.stride, self.padding, self.dilation,
                          self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvNd):
    """1-D convolution over an input of several channels (see
    :func:`ember.nn.functional.conv1d`). Strictly it is a cross-correlation:
    ``out[n, j] = bias[j] + sum_k weight[j, k] * input[n, k]`` with ``*`` sliding the kernel
    along the length, summed over the input channels ``k`` of the group of output channel ``j``.

    Args:
        in_channels: the number of input channels ``C_in``.
        out_channels: the number of output channels ``C_out``.
        kernel_size: the length of the kernel.
        stride: the step between kernel positions. Default: ``1``.
        padding: the padding added at both ends: an int, ``'valid'`` (none) or ``'same'`` (the
            output length equals the input length; stride 1 only). Default: ``0``.
        dilation: the spacing between the kernel taps. Default: ``1``.
        groups: split the channels into this many independent groups; it must divide both
            channel counts (``groups == in_channels`` is a depthwise convolution). Default: ``1``.
        bias: learn an additive bias. Default: ``True``.
        padding_mode: what the padding holds: ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``. Default: ``'zeros'``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): shape ``(C_out, C_in / groups, kernel_size)``, drawn from ``U(-k, k)``
            with ``k = sqrt(groups / (C_in * kernel_size))``.
        bias (Tensor): shape ``(C_out,)``, drawn from ``U(-k, k)``; ``None`` without ``bias``.

    Shape:
        - Input: ``(N, C_in, L_in)`` or ``(C_in, L_in)``.
        - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``, with
          ``L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``.

    Example:
        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(ember.randn(20, 16, 50)).shape
        ember.Size([20, 33, 24])
        >>> m = nn.Conv1d(1, 1, 2, bias=False)
        >>> with ember.no_grad():
        ...     _ = m.weight.copy_(ember.tensor([[[1.0, -1.0]]]))
        >>> m(ember.tensor([[[1.0, 4.0, 9.0]]])).detach()
        tensor([[[-3., -5.]]])
    """

    _nd = 1
    _conv = staticmethod(F.conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv2d(_ConvNd):
    """2-D convolution over an input of several channels (see
    :func:`ember.nn.functional.conv2d`). Strictly it is a cross-correlation:
    ``out[n, j] = bias[j] + sum_k weight[j, k] * input[n, k]`` with ``*`` sliding the kernel over
    height and width, summed over the input channels ``k`` of the group of output channel ``j``.

    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are each an int (the same for
    height and width) or a pair ``(h, w)``.

    Args:
        in_channels: the number of input channels ``C_in``.
        out_channels: the number of output channels ``C_out``.
        kernel_size: the size of the kernel.
        stride: the step between kernel positions. Default: ``1``.
        padding: the padding added on both sides: an int or pair, ``'valid'`` (none) or
            ``'same'`` (the output size equals the input size; stride 1 only). Default: ``0``.
        dilation: the spacing between the kernel taps. Default: ``1``.
        groups: split the channels into this many independent groups; it must divide both
            channel counts (``groups == in_channels`` is a depthwise convolution). Default: ``1``.
        bias: learn an additive bias. Default: ``True``.
        padding_mode: what the padding holds: ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``. Default: ``'zeros'``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): shape ``(C_out, C_in / groups, kH, kW)``, drawn from ``U(-k, k)`` with
            ``k = sqrt(groups / (C_in * kH * kW))``.
        bias (Tensor): shape ``(C_out,)``, drawn from ``U(-k, k)``; ``None`` without ``bias``.

    Shape:
        - Input: ``(N, C_in, H_in, W_in)`` or ``(C_in, H_in, W_in)``.
        - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``, with
          ``H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1)
          / stride[0] + 1)`` and likewise ``W_out``.

    Example:
        >>> m = nn.Conv2d(1, 16, 3, padding=1)
        >>> m(ember.randn(8, 1, 28, 28)).shape
        ember.Size([8, 16, 28, 28])
        >>> m = nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1))
        >>> m(ember.randn(20, 16, 50, 100)).shape
        ember.Size([20, 33, 26, 100])
    """

    _nd = 2
    _conv = staticmethod(F.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class _ConvTransposeNd(_ConvNd):
    """What ConvTranspose1d and ConvTranspose2d share: zero padding only, ``output_size``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, transposed=True,
                         output_padding=output_padding)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """The ``output_padding`` that yields ``output_size`` (PyTorch's rule and message)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = list(output_size)[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.dim()}D input, output_size must "
                             f"have {nd} or {nd + 2} elements (got {len(output_size)})")
        spatial = input.shape[-nd:]
        smallest = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        largest = [smallest[d] + self.stride[d] - 1 for d in range(nd)]
        for d in range(nd):
            if not smallest[d] <= output_size[d] <= largest[d]:
                raise ValueError(
                    f"requested an output size of {tuple(output_size)}, but valid sizes range "
                    f"from {smallest} to {largest} (for an input of {Size(spatial)!r})")
        return tuple(output_size[d] - smallest[d] for d in range(nd))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return self._conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                    self._output_padding(input, output_size), self.groups,
                                    self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over an input of several channels, the gradient of
    :class:`Conv1d` with respect to its input (sometimes called a fractionally-strided
    convolution or, loosely, a deconvolution); it upsamples by ``stride``
    (see :func:`ember.nn.functional.conv_transpose1d`).

    A ``Conv1d`` and a ``ConvTranspose1d`` with the same arguments have inverse shapes, up to
    the rounding of a strided ``Conv1d``; ``output_padding`` resolves that ambiguity by adding to
    one end of the output. ``forward`` also takes an ``output_size`` from which the output
    padding is computed.

    Args:
        in_channels: the number of input channels ``C_in``.
        out_channels: the number of output channels ``C_out``.
        kernel_size: the length of the kernel.
        stride: the step between kernel positions (the upsampling factor). Default: ``1``.
        padding: ``dilation * (kernel_size - 1) - padding`` zeros are implicitly added to both
            ends of the input. Default: ``0``.
        output_padding: extra length added to one end of the output; less than ``stride`` or
            ``dilation``. Default: ``0``.
        groups: split the channels into this many independent groups. Default: ``1``.
        bias: learn an additive bias. Default: ``True``.
        dilation: the spacing between the kernel taps. Default: ``1``.
        padding_mode: only ``'zeros'`` is supported. Default: ``'zeros'``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): shape ``(C_in, C_out / groups, kernel_size)``, drawn from ``U(-k, k)``
            with ``k = sqrt(groups / (C_out * kernel_size))``.
        bias (Tensor): shape ``(C_out,)``, drawn from ``U(-k, k)``; ``None`` without ``bias``.

    Shape:
        - Input: ``(N, C_in, L_in)`` or ``(C_in, L_in)``.
        - Output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``, with
          ``L_out = (L_in - 1) * stride - 2 * padding + dilation * (kernel_size - 1)
          + output_padding + 1``.

    Example:
        >>> m = nn.ConvTranspose1d(16, 33, 3, stride=2)
        >>> m(ember.randn(20, 16, 50)).shape
        ember.Size([20, 33, 101])
        >>> x = ember.randn(1, 16, 12)
        >>> down = nn.Conv1d(16, 16, 3, stride=2, padding=1)
        >>> up = nn.ConvTranspose1d(16, 16, 3, stride=2, padding=1)
        >>> up(down(x), output_size=x.shape).shape
        ember.Size([1, 16, 12])
    """

    _nd = 1
    _conv_transpose = staticmethod(F.conv_transpose1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding,
                         groups, bias, dilation, padding_mode, device, dtype)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over an input of several channels, the gradient of
    :class:`Conv2d` with respect to its input (sometimes called a fractionally-strided
    convolution or, loosely, a deconvolution); it upsamples by ``stride``
    (see :func:`ember.nn.functional.conv_transpose2d`).

    ``kernel_size``, ``stride``, ``padding``, ``output_padding`` and ``dilation`` are each an int
    (the same for height and width) or a pair ``(h, w)``. ``output_padding`` resolves the
    ambiguity of the output size when ``stride > 1``; ``forward`` also takes an
    ``output_size`` from which it is computed.

    Args:
        in_channels: the number of input channels ``C_in``.
        out_channels: the number of output channels ``C_out``.
        kernel_size: the size of the kernel.
        stride: the step between kernel positions (the upsampling factor). Default: ``1``.
        padding: ``dilation * (kernel_size - 1) - padding`` zeros are implicitly added to both
            sides of the input. Default: ``0``.
        output_padding: extra size added to one side of the output; less than ``stride`` or
            ``dilation``. Default: ``0``.
        groups: split the channels into this many independent groups. Default: ``1``.
        bias: learn an additive bias. Default: ``True``.
        dilation: the spacing between the kernel taps. Default: ``1``.
        padding_mode: only ``'zeros'`` is supported. Default: ``'zeros'``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): shape ``(C_in, C_out / groups, kH, kW)``, drawn from ``U(-k, k)`` with
            ``k = sqrt(groups / (C_out * kH * kW))``.
        bias (Tensor): shape ``(C_out,)``, drawn from ``U(-k, k)``; ``None`` without ``bias``.

    Shape:
        - Input: ``(N, C_in, H_in, W_in)`` or ``(C_in, H_in, W_in)``.
        - Output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``, with
          ``H_out = (H_in - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kernel_size[0] - 1)
          + output_padding[0] + 1`` and likewise ``W_out``.

    Example:
        >>> m = nn.ConvTranspose2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2))
        >>> m(ember.randn(20, 16, 50, 100)).shape
        ember.Size([20, 33, 93, 100])
        >>> x = ember.randn(1, 16, 12, 12)
        >>> down = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        >>> up = nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1)
        >>> up(down(x), output_size=x.size()).shape
        ember.Size([1, 16, 12, 12])
    """

    _nd = 2
    _conv_transpose = staticmethod(F.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding,
                         groups, bias, dilation, padding_mode, device, dtype)

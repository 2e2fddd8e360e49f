"""Padding layers (zero, constant, reflection, replication, circular; 1-3 dims): each is a
docstring and one call into ``ember.nn.functional``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d"
]


class _PadNd(Module):
    """``F.pad(input, padding, mode)`` over the last ``dims`` dimensions.

    ``padding`` is an int (the same on every side) or a tuple of ``2 * dims`` ints ordered
    (last dim left, right, then the dim before it, ...), as ``F.pad`` takes it. Each public
    layer declares PyTorch's signature in its own ``__init__``, so an argument PyTorch's layer
    lacks (``value`` for the reflection, replication and circular layers) is refused with
    PyTorch's ``TypeError``.
    """

    dims = 1
    mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        self.padding = tuple(padding)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """``F.pad(input, padding, "constant", value)``; the zero-padding layers are these with
    ``value=0.0``."""

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension of the input with a constant ``value``.

    Args:
        padding: an int pads every side by that amount; a 2-tuple gives
            ``(left, right)``, from the last dimension backwards.
        value: the fill value.

    Shape:
        - Input: ``(C, W_in)`` or ``(N, C, W_in)``.
        - Output: ``(C, W_out)`` or ``(N, C, W_out)``, with
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ConstantPad1d(2, 3.5)
        >>> m(ember.tensor([[1.0, 2.0]]))
        tensor([[3.5000, 3.5000, 1.0000, 2.0000, 3.5000, 3.5000]])
    """

    dims = 1

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions of the input with a constant ``value``.

    Args:
        padding: an int pads every side by that amount; a 4-tuple gives
            ``(left, right, top, bottom)``, from the last dimension backwards.
        value: the fill value.

    Shape:
        - Input: ``(C, H_in, W_in)`` or ``(N, C, H_in, W_in)``.
        - Output: ``(C, H_out, W_out)`` or ``(N, C, H_out, W_out)``, with
          ``H_out = H_in + top + bottom`` and ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ConstantPad2d((1, 0, 0, 1), -1.0)
        >>> m(ember.tensor([[[1.0, 2.0], [3.0, 4.0]]]))
        tensor([[[-1.,  1.,  2.],
                 [-1.,  3.,  4.],
                 [-1., -1., -1.]]])
    """

    dims = 2

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions of the input with a constant ``value``.

    Args:
        padding: an int pads every side by that amount; a 6-tuple gives
            ``(left, right, top, bottom, front, back)``, from the last dimension backwards.
        value: the fill value.

    Shape:
        - Input: ``(C, D_in, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        - Output: ``(C, D_out, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, with
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom`` and
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ConstantPad3d((1, 1, 2, 0, 1, 1), 0.5)
        >>> m(ember.randn(1, 2, 3, 4, 5)).shape
        ember.Size([1, 2, 5, 6, 7])
    """

    dims = 3

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class _ZeroPadNd(_ConstantPadNd):
    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pads the last dimension of the input with zeros.

    Args:
        padding: an int pads every side by that amount; a 2-tuple gives
            ``(left, right)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, W_in)`` or ``(N, C, W_in)``.
        - Output: ``(C, W_out)`` or ``(N, C, W_out)``, with
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ZeroPad1d((1, 2))
        >>> m(ember.tensor([[[1.0, 2.0]]]))
        tensor([[[0., 1., 2., 0., 0.]]])
    """

    dims = 1

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(_ZeroPadNd):
    """Pads the last two dimensions of the input with zeros.

    Args:
        padding: an int pads every side by that amount; a 4-tuple gives
            ``(left, right, top, bottom)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, H_in, W_in)`` or ``(N, C, H_in, W_in)``.
        - Output: ``(C, H_out, W_out)`` or ``(N, C, H_out, W_out)``, with
          ``H_out = H_in + top + bottom`` and ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ZeroPad2d((1, 0, 0, 1))
        >>> m(ember.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor([[[[0., 1., 2.],
                  [0., 3., 4.],
                  [0., 0., 0.]]]])
    """

    dims = 2

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ZeroPad3d(_ZeroPadNd):
    """Pads the last three dimensions of the input with zeros.

    Args:
        padding: an int pads every side by that amount; a 6-tuple gives
            ``(left, right, top, bottom, front, back)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, D_in, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        - Output: ``(C, D_out, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, with
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom`` and
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ZeroPad3d((1, 1, 2, 0, 1, 1))
        >>> m(ember.randn(1, 2, 3, 4, 5)).shape
        ember.Size([1, 2, 5, 6, 7])
    """

    dims = 3

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Pads the last dimension of the input with the reflection of the input at its border, the
    edge itself not repeated: ``[a, b, c]`` padded by 2 on the left gives ``[c, b, a, b, c]``.
    Each padding must be smaller than the size it pads.

    Args:
        padding: an int pads every side by that amount; a 2-tuple gives
            ``(left, right)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, W_in)`` or ``(N, C, W_in)``.
        - Output: ``(C, W_out)`` or ``(N, C, W_out)``, with
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ReflectionPad1d(2)
        >>> m(ember.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[3., 2., 1., 2., 3., 2., 1.]]])
    """

    dims, mode = 1, "reflect"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReflectionPad2d(_PadNd):
    """Pads the last two dimensions of the input with the reflection of the input at its border,
    the edge itself not repeated: ``[a, b, c]`` padded by 2 on the left gives
    ``[c, b, a, b, c]``. Each padding must be smaller than the size it pads.

    Args:
        padding: an int pads every side by that amount; a 4-tuple gives
            ``(left, right, top, bottom)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, H_in, W_in)`` or ``(N, C, H_in, W_in)``.
        - Output: ``(C, H_out, W_out)`` or ``(N, C, H_out, W_out)``, with
          ``H_out = H_in + top + bottom`` and ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ReflectionPad2d(1)
        >>> m(ember.arange(9.0).reshape(1, 1, 3, 3))
        tensor([[[[4., 3., 4., 5., 4.],
                  [1., 0., 1., 2., 1.],
                  [4., 3., 4., 5., 4.],
                  [7., 6., 7., 8., 7.],
                  [4., 3., 4., 5., 4.]]]])
    """

    dims, mode = 2, "reflect"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReflectionPad3d(_PadNd):
    """Pads the last three dimensions of the input with the reflection of the input at its border,
    the edge itself not repeated: ``[a, b, c]`` padded by 2 on the left gives
    ``[c, b, a, b, c]``. Each padding must be smaller than the size it pads.

    Args:
        padding: an int pads every side by that amount; a 6-tuple gives
            ``(left, right, top, bottom, front, back)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, D_in, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        - Output: ``(C, D_out, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, with
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom`` and
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ReflectionPad3d((1, 1, 2, 0, 1, 1))
        >>> m(ember.randn(1, 2, 3, 4, 5)).shape
        ember.Size([1, 2, 5, 6, 7])
    """

    dims, mode = 3, "reflect"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReplicationPad1d(_PadNd):
    """Pads the last dimension of the input by repeating its edge values: ``[a, b, c]`` padded by 2
    on the left gives ``[a, a, a, b, c]``.

    Args:
        padding: an int pads every side by that amount; a 2-tuple gives
            ``(left, right)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, W_in)`` or ``(N, C, W_in)``.
        - Output: ``(C, W_out)`` or ``(N, C, W_out)``, with
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ReplicationPad1d((2, 1))
        >>> m(ember.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[1., 1., 1., 2., 3., 3.]]])
    """

    dims, mode = 1, "replicate"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReplicationPad2d(_PadNd):
    """Pads the last two dimensions of the input by repeating its edge values: ``[a, b, c]`` padded
    by 2 on the left gives ``[a, a, a, b, c]``.

    Args:
        padding: an int pads every side by that amount; a 4-tuple gives
            ``(left, right, top, bottom)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, H_in, W_in)`` or ``(N, C, H_in, W_in)``.
        - Output: ``(C, H_out, W_out)`` or ``(N, C, H_out, W_out)``, with
          ``H_out = H_in + top + bottom`` and ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ReplicationPad2d((1, 1, 0, 1))
        >>> m(ember.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor([[[[1., 1., 2., 2.],
                  [3., 3., 4., 4.],
                  [3., 3., 4., 4.]]]])
    """

    dims, mode = 2, "replicate"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReplicationPad3d(_PadNd):
    """Pads the last three dimensions of the input by repeating its edge values: ``[a, b, c]``
    padded by 2 on the left gives ``[a, a, a, b, c]``.

    Args:
        padding: an int pads every side by that amount; a 6-tuple gives
            ``(left, right, top, bottom, front, back)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, D_in, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        - Output: ``(C, D_out, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, with
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom`` and
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.ReplicationPad3d((1, 1, 2, 0, 1, 1))
        >>> m(ember.randn(1, 2, 3, 4, 5)).shape
        ember.Size([1, 2, 5, 6, 7])
    """

    dims, mode = 3, "replicate"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class CircularPad1d(_PadNd):
    """Pads the last dimension of the input by wrapping around, as if the input were periodic:
    ``[a, b, c]`` padded by 2 on the left gives ``[b, c, a, b, c]``. Each padding must be at
    most the size it pads.

    Args:
        padding: an int pads every side by that amount; a 2-tuple gives
            ``(left, right)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, W_in)`` or ``(N, C, W_in)``.
        - Output: ``(C, W_out)`` or ``(N, C, W_out)``, with
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.CircularPad1d(2)
        >>> m(ember.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[2., 3., 1., 2., 3., 1., 2.]]])
    """

    dims, mode = 1, "circular"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class CircularPad2d(_PadNd):
    """Pads the last two dimensions of the input by wrapping around, as if the input were periodic:
    ``[a, b, c]`` padded by 2 on the left gives ``[b, c, a, b, c]``. Each padding must be at
    most the size it pads.

    Args:
        padding: an int pads every side by that amount; a 4-tuple gives
            ``(left, right, top, bottom)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, H_in, W_in)`` or ``(N, C, H_in, W_in)``.
        - Output: ``(C, H_out, W_out)`` or ``(N, C, H_out, W_out)``, with
          ``H_out = H_in + top + bottom`` and ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.CircularPad2d((1, 0, 1, 0))
        >>> m(ember.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor([[[[4., 3., 4.],
                  [2., 1., 2.],
                  [4., 3., 4.]]]])
    """

    dims, mode = 2, "circular"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class CircularPad3d(_PadNd):
    """Pads the last three dimensions of the input by wrapping around, as if the input were
    periodic: ``[a, b, c]`` padded by 2 on the left gives ``[b, c, a, b, c]``. Each padding must
    be at most the size it pads.

    Args:
        padding: an int pads every side by that amount; a 6-tuple gives
            ``(left, right, top, bottom, front, back)``, from the last dimension backwards.

    Shape:
        - Input: ``(C, D_in, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``.
        - Output: ``(C, D_out, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``, with
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom`` and
          ``W_out = W_in + left + right``.

    Example:
        >>> m = nn.CircularPad3d((1, 1, 2, 0, 1, 1))
        >>> m(ember.randn(1, 2, 3, 4, 5)).shape
        ember.Size([1, 2, 5, 6, 7])
    """

    dims, mode = 3, "circular"

    def __init__(self, padding) -> None:
        super().__init__(padding)

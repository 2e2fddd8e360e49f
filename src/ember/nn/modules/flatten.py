"""Flatten and Unflatten: reshape a range of dims."""

from __future__ import annotations

from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flattens the dimensions ``start_dim`` to ``end_dim`` (both included) into one; by default
    every dimension but the batch dimension 0. Typically placed between convolutional and
    linear layers.

    Args:
        start_dim: the first dimension to flatten. Default: ``1``.
        end_dim: the last dimension to flatten. Default: ``-1``.

    Shape:
        - Input: ``(*, S_start, ..., S_end, *)``.
        - Output: ``(*, S_start * ... * S_end, *)``.

    Example:
        >>> m = nn.Flatten()
        >>> m(ember.randn(32, 1, 5, 5)).shape
        ember.Size([32, 25])
        >>> nn.Flatten(0, 2)(ember.randn(32, 1, 5, 5)).shape
        ember.Size([160, 5])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits the dimension ``dim`` into several with the sizes ``unflattened_size``; the inverse
    of :class:`Flatten`.

    Args:
        dim: the dimension to split (an int; PyTorch's named-tensor form is not supported).
        unflattened_size: the sizes that dimension becomes, a tuple or list of ints whose product
            is its size; one entry may be ``-1`` to be inferred.

    Shape:
        - Input: ``(*, S_dim, *)``.
        - Output: ``(*, U_1, ..., U_n, *)`` with ``U_1 * ... * U_n = S_dim``.

    Example:
        >>> m = nn.Unflatten(1, (2, 5))
        >>> m(ember.randn(2, 10)).shape
        ember.Size([2, 2, 5])
        >>> nn.Sequential(nn.Linear(50, 50), nn.Unflatten(1, (2, 5, 5)))(ember.randn(2, 50)).shape
        ember.Size([2, 2, 5, 5])
    """

    def __init__(self, dim: int | str, unflattened_size) -> None:
        super().__init__()
        if isinstance(dim, int):
            if not isinstance(unflattened_size, (tuple, list)):
                raise TypeError("unflattened_size must be tuple of ints, but found type "
                                f"{type(unflattened_size).__name__}")
            for i, s in enumerate(unflattened_size):
                if not isinstance(s, int):
                    raise TypeError(f"unflattened_size must be tuple of ints, but found element "
                                    f"of type {type(s).__name__} at pos {i}")
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"

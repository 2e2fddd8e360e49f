"""Flattening parameters into one vector and back."""

from __future__ import annotations

from collections.abc import Iterable

from ember import ops
from ember.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Flattens the parameters and concatenates them into one vector, in order; the result is
    differentiable with respect to each parameter.

    Args:
        parameters: an iterable of tensors, for example ``model.parameters()``.

    Returns:
        A 1-D tensor of ``sum(p.numel())`` elements.

    Example:
        >>> model = nn.Linear(3, 2)
        >>> nn.utils.parameters_to_vector(model.parameters()).shape
        ember.Size([8])
    """
    return ops.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of ``vec`` into the parameters, in order: each parameter's data
    becomes a view of its slice, reshaped to the parameter's shape (as ``param.data = ...``).
    The inverse of :func:`parameters_to_vector`.

    Args:
        vec: a 1-D tensor with as many elements as all the parameters together.
        parameters: an iterable of tensors to overwrite, for example ``model.parameters()``.

    Raises:
        TypeError: if ``vec`` is not a tensor.

    Example:
        >>> model = nn.Linear(3, 2)
        >>> nn.utils.vector_to_parameters(ember.arange(8.0), model.parameters())
        >>> model.weight.tolist(), model.bias.tolist()
        ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], [6.0, 7.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n

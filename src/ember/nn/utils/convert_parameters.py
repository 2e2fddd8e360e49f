"""Flattening parameters into one vector and back."""

from __future__ import annotations

from collections.abc import Iterable

from ember.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenates the flattened parameters into one vector (differentiable).

    Args:
        parameters: the tensors to flatten, in order.

    Returns:
        A 1-D tensor with ``sum(p.numel())`` elements.
    """
    from ember import ops

    return ops.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Makes the parameters views of consecutive slices of ``vec`` (as ``param.data = ...``).

    Args:
        vec: a 1-D tensor with as many elements as all the parameters.
        parameters: the tensors to overwrite, in order.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n

"""softmax and log_softmax along a dim, numerically stable."""

from __future__ import annotations

import numpy as np

from ember import _dtype
from ember._dtype import SCALAR_TYPE_NAMES
from ember.autograd.function import ArrayFunction
from ember.ops._util import canon_dim, quiet
from ember.tensor import Tensor

__all__ = ["log_softmax", "softmax"]

@quiet
class Softmax(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        if x.size == 0:
            out = x.copy()
            ctx.save_for_backward(out)  # torch saves the result, empty or not
            return out
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        out = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # vector-Jacobian product of softmax: s * (g - sum(g * s))
        return out * (grad - np.sum(grad * out, axis=ctx.dim, keepdims=True)), None


def softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """Rescales values along ``dim`` to probabilities: ``exp(x) / sum(exp(x))``.

    Each slice along ``dim`` becomes non-negative and sums to 1. Computed from ``x - max(x)``,
    so large inputs do not overflow.

    Args:
        input (Tensor): the input (floating; an empty integer tensor comes back unchanged).
        dim (int): the dimension to normalise along.
        dtype (ember.dtype, optional): cast ``input`` to this dtype first.

    Returns:
        Tensor: a tensor of ``input``'s shape.

    Example:
        >>> ember.softmax(ember.tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([0.0900, 0.2447, 0.6652])
    """
    input, d = _prepare(input, dim, dtype, "softmax")
    if input._data.size == 0 and not _dtype.is_floating(input._data.dtype):
        return input.clone()  # torch: an empty integer input comes back as it is
    if input._data.ndim == 0:
        return Softmax.apply(input.reshape(1), 0).reshape(())
    return Softmax.apply(input, d)


@quiet
class LogSoftmax(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        if x.size == 0:
            out = x.copy()
            ctx.save_for_backward(out)  # torch saves the result, empty or not
            return out
        shifted = x - np.max(x, axis=dim, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - np.exp(out) * np.sum(grad, axis=ctx.dim, keepdims=True), None


def log_softmax(input: Tensor, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """The logarithm of :func:`softmax` along ``dim``: ``x - logsumexp(x)``.

    Computed directly, without taking the log of small probabilities, so it stays accurate
    where ``softmax`` rounds to 0.

    Args:
        input (Tensor): the input (floating; an empty integer tensor comes back unchanged).
        dim (int): the dimension to normalise along.
        dtype (ember.dtype, optional): cast ``input`` to this dtype first.

    Returns:
        Tensor: a tensor of ``input``'s shape.

    Example:
        >>> ember.log_softmax(ember.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    input, d = _prepare(input, dim, dtype, "log_softmax")
    if input._data.size == 0 and not _dtype.is_floating(input._data.dtype):
        return input.clone()
    if input._data.ndim == 0:
        return LogSoftmax.apply(input.reshape(1), 0).reshape(())
    return LogSoftmax.apply(input, d)


def _prepare(input: Tensor, dim, dtype, name: str) -> tuple:
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
    d = canon_dim(dim, input._data.ndim)
    if dtype is None and not _dtype.is_floating(input._data.dtype) and input._data.size:
        # torch names the kernel: the last dim's or the general one
        kernel = f"{name}_lastdim_kernel_impl" if d == input._data.ndim - 1 or \
            input._data.ndim == 0 else f"{name}_kernel_impl"
        type_name = SCALAR_TYPE_NAMES[input._data.dtype.name]
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name}\'')
    return input, d

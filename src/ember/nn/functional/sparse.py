"""Lookups by index: embedding and one_hot."""

from __future__ import annotations

import numpy as np

from ember._dtype import scalar_type_name
from ember.autograd.function import ArrayFunction
from ember.autograd.grad_mode import no_grad
from ember.backend import get_backend
from ember.tensor import Tensor

__all__ = ["embedding", "one_hot"]


#: dtypes of the compiled kernels (``ember.kernels.embedding``); the others take NumPy's path
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _index_error() -> IndexError:
    return IndexError("index out of range in self")


class Embedding(ArrayFunction):
    """Rows of ``weight`` picked by ``indices``; backward adds each gradient row into its row
    of the weight (none into ``padding_idx``; divided by the row's count with
    ``scale_grad_by_freq``). float32 and float64 weights run the backend's ``embedding``
    kernels (a gather, a scatter-add); other dtypes the NumPy statement below."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq, backend):
        ctx.save_for_backward(indices)
        ctx.args = (weight.shape, weight.dtype, padding_idx, scale_grad_by_freq, backend)
        if weight.dtype not in _KERNEL_DTYPES or weight.ndim != 2:
            if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
                raise _index_error()
            return weight[indices]
        out = backend.empty((*indices.shape, weight.shape[1]), weight.dtype)
        flat = indices.reshape(-1)
        bad = backend.kernels("embedding").embedding_forward(
            weight, flat, out.reshape(flat.shape[0], weight.shape[1]))
        if bad >= 0:
            raise _index_error()
        return out

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        shape, dtype, padding_idx, scale, backend = ctx.args
        flat = indices.reshape(-1)
        rows = grad.reshape(flat.size, -1)
        if dtype not in _KERNEL_DTYPES or len(shape) != 2:
            return _embedding_backward_reference(flat, rows, shape, dtype, padding_idx,
                                                 scale), None
        gw = backend.empty(shape, dtype)
        backend.kernels("embedding").embedding_backward(
            flat, np.ascontiguousarray(rows, dtype=dtype), padding_idx, scale, gw)
        return gw, None


def _embedding_backward_reference(flat, rows, shape, dtype, padding_idx, scale):
    """The gradient of ``weight`` in NumPy (the statement the kernel is held to)."""
    if scale:
        counts = np.bincount(flat, minlength=shape[0])
        rows = rows / counts[flat][:, None]
    gw = np.zeros(shape, dtype=dtype)
    if flat.size:
        # sum the rows of each index: sort once, then one reduceat (faster than add.at)
        order = np.argsort(flat, kind="stable")
        ids = flat[order]
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        gw[ids[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Looks up rows of ``weight`` by the integer indices in ``input``.

    Args:
        input: integer indices (int64 or int32), any shape.
        weight: ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient.
        max_norm: rows looked up whose ``norm_type``-norm exceeds it are rescaled, in place in
            ``weight``, to this norm.
        norm_type: the p of the norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by the row's count in the batch.
        sparse: accepted for compatibility; gradients are dense.

    Shape:
        - input: ``(*)``, any shape of indices.
        - weight: ``(num_embeddings, embedding_dim)``.
        - output: ``(*, embedding_dim)``.

    Example:
        >>> F.embedding(ember.tensor([[0, 2]]), ember.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]))
        tensor([[[0., 1.],
                 [4., 5.]]])
    """
    if padding_idx is not None:
        n = weight.shape[0]
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        name = scalar_type_name(idx.dtype)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{name}Tensor instead (while checking arguments "
            "for embedding)")
    if max_norm is not None:
        if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
            raise _index_error()
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx, scale_grad_by_freq,
                           get_backend(weight.device))


def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scales the looked-up rows whose norm exceeds ``max_norm`` (in place, no gradient)."""
    with no_grad():
        w = weight._data
        rows = np.unique(idx)
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        big = norms > max_norm
        if big.any():
            # PyTorch's embedding_renorm_: scale = max_norm / (norm + 1e-7)
            w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
            weight._version_counter.value += 1


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*, num_classes)`` int64 tensor with a 1 at each index of ``tensor`` and 0 elsewhere.

    Args:
        tensor: int64 class indices, any shape.
        num_classes: the number of classes; -1 means ``tensor.max() + 1``.

    Returns:
        An int64 tensor with one more dimension, of size ``num_classes``.

    Example:
        >>> F.one_hot(ember.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros((*idx.shape, num_classes), dtype=np.int64)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return Tensor._make(out)

"""Shape ops: views (reshape, permute, expand, ...) and copies (cat, stack, repeat, pad, ...)."""

from __future__ import annotations

from typing import Literal, cast

import numpy as np

from ember import _dtype
from ember.autograd.function import ArrayFunction
from ember.autograd.history import MULTI_OUTPUT_VIEW
from ember.ops._util import broadcast_error, canon_dim, check_kernel, promote, reduce_grad
from ember.ops.pointwise import where
from ember.tensor import Size, Tensor

__all__ = [
    "atleast_1d",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "cat",
    "chunk",
    "concat",
    "concatenate",
    "contiguous",
    "diag",
    "diagonal",
    "expand",
    "expand_as",
    "flatten",
    "flip",
    "hstack",
    "meshgrid",
    "movedim",
    "narrow",
    "pad",
    "permute",
    "pixel_shuffle",
    "pixel_unshuffle",
    "ravel",
    "repeat",
    "repeat_interleave",
    "reshape",
    "reshape_as",
    "roll",
    "select",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "t",
    "tile",
    "trace",
    "transpose",
    "tril",
    "triu",
    "unbind",
    "unflatten",
    "unsqueeze",
    "view",
    "view_as",
    "vstack",
]


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int, old: tuple) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def reshape(input: Tensor, *shape) -> Tensor:
    """Returns the same elements with a new shape.

    One entry of ``shape`` may be -1: it is inferred from the number of elements. The result is
    a view when the layout allows, else a copy.

    Args:
        input (Tensor): the input.
        shape (ints or sequence of ints): the new shape, with as many elements as ``input``.

    Returns:
        Tensor: the reshaped tensor.

    Example:
        >>> ember.arange(6).reshape(2, -1)
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    return Reshape.apply(input, shape)


def view(input: Tensor, *shape) -> Tensor:
    """Returns a view with a new shape (or of a new dtype), never a copy.

    As :func:`reshape`, but raises when the layout would need a copy. ``view(dtype)`` instead
    reinterprets the bytes as another dtype.

    Args:
        input (Tensor): the input.
        shape (ints, sequence of ints, or ember.dtype): the new shape (one entry may be -1), or
            a dtype.

    Returns:
        Tensor: a view sharing ``input``'s memory.

    Example:
        >>> x = ember.zeros(4)
        >>> x.view(2, 2)[0, 1] = 1.0
        >>> x
        tensor([0., 1., 0., 0.])
    """
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and not \
            isinstance(shape[0], np.integer):
        return _view_dtype(input, shape[0])
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    try:
        np.reshape(input._data, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return Reshape.apply(input, shape)


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Removes dimensions of size 1 (only those in ``dim`` when given).

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dimensions to remove if their size is 1.

    Returns:
        Tensor: a view without those dimensions.

    Example:
        >>> ember.zeros(2, 1, 3, 1).squeeze().shape
        ember.Size([2, 3])
        >>> ember.zeros(2, 1, 3, 1).squeeze(1).shape
        ember.Size([2, 3, 1])
    """
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {canon_dim(d, len(shape)) for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return Reshape.apply(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dimension of size 1 at position ``dim``.

    Args:
        input (Tensor): the input.
        dim (int): the position of the new dimension, in ``[-input.dim() - 1, input.dim()]``.

    Returns:
        Tensor: a view with one more dimension.

    Example:
        >>> ember.tensor([1, 2, 3]).unsqueeze(0)
        tensor([[1, 2, 3]])
    """
    shape = input._data.shape
    d = canon_dim(dim, len(shape) + 1)
    return Reshape.apply(input, (*shape[:d], 1, *shape[d:]))


class Permute(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)  # in Python: np.argsort costs ~5 us per call
        for position, d in enumerate(ctx.dims):
            inverse[d] = position
        return grad.transpose(inverse), None


def permute(input: Tensor, *dims) -> Tensor:
    """Reorders the dimensions: dimension ``i`` of the result is ``dims[i]`` of ``input``.

    Args:
        input (Tensor): the input.
        dims (ints or sequence of ints): a permutation of ``input``'s dimensions.

    Returns:
        Tensor: a view with the dimensions reordered.

    Example:
        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}"
        )
    dims = tuple(canon_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swaps two dimensions.

    Args:
        input (Tensor): the input.
        dim0 (int): the first dimension.
        dim1 (int): the second dimension.

    Returns:
        Tensor: a view with ``dim0`` and ``dim1`` swapped.

    Example:
        >>> ember.tensor([[1, 2, 3]]).transpose(0, 1)
        tensor([[1],
                [2],
                [3]])
    """
    n = input._data.ndim
    if n == 0:
        return Permute.apply(input, ())
    order = list(range(n))
    a, b = canon_dim(dim0, n), canon_dim(dim1, n)
    order[a], order[b] = order[b], order[a]
    return Permute.apply(input, tuple(order))


def movedim(input: Tensor, source, destination) -> Tensor:
    """Moves dimensions to new positions, keeping the others in their order.

    Args:
        input (Tensor): the input.
        source (int or sequence of ints): the dimensions to move.
        destination (int or sequence of ints): their positions in the result.

    Returns:
        Tensor: a view with the dimensions moved.

    Example:
        >>> ember.zeros(2, 3, 4).movedim(0, -1).shape
        ember.Size([3, 4, 2])
    """
    n = input._data.ndim
    src = [canon_dim(s, n) for s in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [canon_dim(d, n) for d in (destination if isinstance(destination, (tuple, list))
                                     else [destination])]
    if n == 0:
        return Permute.apply(input, ())
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


def t(input: Tensor) -> Tensor:
    """Transposes a tensor of at most 2 dimensions (0-d and 1-D come back as they are).

    Args:
        input (Tensor): the input, at most 2-D.

    Returns:
        Tensor: a transposed view.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).t()
        tensor([[1, 3],
                [2, 4]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return Permute.apply(input, tuple(range(input._data.ndim - 1, -1, -1)))


class Expand(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        strides = np.broadcast_to(x, shape).strides  # checks the shape, 0 where broadcast
        # writable like PyTorch's expand: writes into a row of it are allowed; writes that
        # would hit one element twice are refused by Tensor's overlap check
        return np.lib.stride_tricks.as_strided(x, shape, strides,
                                               writeable=x.flags.writeable)

    @staticmethod
    def backward(ctx, grad):
        return reduce_grad(grad, ctx.shape, ctx.dtype), None


def expand(input: Tensor, *sizes) -> Tensor:
    """Repeats dimensions of size 1 to a larger size without copying.

    Leading new dimensions may be added; -1 keeps a dimension's size. The result shares one
    element among many positions, so write to a clone of it instead.

    Args:
        input (Tensor): the input.
        sizes (ints or sequence of ints): the new shape.

    Returns:
        Tensor: a broadcast view.

    Example:
        >>> ember.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    sizes = _shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(ember.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
            "provided must be greater or equal to the number of dimensions in the tensor"
        )
    lead = len(sizes) - len(shape)
    target = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    for i, s in enumerate(shape):
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    if target == shape:
        return Reshape.apply(input, shape)
    return Expand.apply(input, target)


broadcast_to = expand


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """:func:`expand` to ``other``'s shape.

    Args:
        input (Tensor): the input.
        other (Tensor): the tensor whose shape to take.

    Returns:
        Tensor: a broadcast view.

    Example:
        >>> ember.tensor([1, 2]).expand_as(ember.zeros(2, 2))
        tensor([[1, 2],
                [1, 2]])
    """
    return expand(input, other.shape)


class Slice(ArrayFunction):
    """A basic-indexing view (ints, slices, None, Ellipsis)."""

    is_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        out[ctx.index] = grad
        return out, None


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """Returns ``length`` entries of dimension ``dim`` starting at ``start``.

    Args:
        input (Tensor): the input, at least 1-D.
        dim (int): the dimension to narrow.
        start (int): the first entry (negative counts from the end).
        length (int): how many entries.

    Returns:
        Tensor: a view of the narrowed tensor.

    Example:
        >>> ember.arange(6).narrow(0, 2, 3)
        tensor([2, 3, 4])
    """
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = canon_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    start = int(start)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return Slice.apply(input, index)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """Returns the slice at ``index`` along ``dim``, with that dimension removed.

    ``select(x, 1, 2)`` is ``x[:, 2]``.

    Args:
        input (Tensor): the input.
        dim (int): the dimension to index.
        index (int): the position along ``dim`` (negative counts from the end).

    Returns:
        Tensor: a view with one dimension fewer.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).select(1, 0)
        tensor([1, 3])
    """
    d = canon_dim(dim, input._data.ndim)
    n, i = input._data.shape[d], int(index)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
    return Slice.apply(input, (slice(None),) * d + (i, Ellipsis))


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Splits along ``dim`` into the slices at each position, removing ``dim``.

    Args:
        input (Tensor): the input.
        dim (int): the dimension to take apart.

    Returns:
        tuple of Tensors: views, one per position along ``dim``.

    Example:
        >>> ember.unbind(ember.tensor([[1, 2], [3, 4]]))
        (tensor([1, 2]), tensor([3, 4]))
    """
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = canon_dim(dim, input._data.ndim)
    return _multi_output_views("Unbind", [Slice.apply(input, (slice(None),) * d + (i, Ellipsis))
                                          for i in range(input.shape[d])])


class Contiguous(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return np.ascontiguousarray(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """Returns ``input`` if it is C-contiguous, else a C-contiguous copy.

    Args:
        input (Tensor): the input.
        memory_format (optional): accepted for torch's signature (only the C layout is made).

    Returns:
        Tensor: a C-contiguous tensor with ``input``'s values.

    Example:
        >>> x = ember.zeros(2, 3).t()
        >>> x.is_contiguous(), x.contiguous().is_contiguous()
        (False, True)
    """
    if input._data.flags.c_contiguous:
        return input
    return Contiguous.apply(input)


class Repeat(ArrayFunction):
    @staticmethod
    def forward(ctx, x, reps):
        lead = len(reps) - x.ndim
        ctx.shape, ctx.reps = x.shape, reps
        ctx.full = (1,) * lead + x.shape
        return np.tile(x.reshape(ctx.full), reps)

    @staticmethod
    def backward(ctx, grad):
        # fold each repeated axis into (reps, size) and sum the repeats away
        split = []
        for r, s in zip(ctx.reps, ctx.full, strict=True):
            split.extend((r, s))
        g = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape), None


def repeat(input: Tensor, *repeats) -> Tensor:
    """Tiles the tensor: ``repeats[i]`` copies along dimension ``i``.

    ``repeats`` may have more entries than ``input`` has dimensions: leading ones are added.

    Args:
        input (Tensor): the input.
        repeats (ints or sequence of ints): the copies per dimension.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    reps = _shape_arg(repeats)
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    return Repeat.apply(input, reps)


class Flip(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return np.flip(grad, ctx.dims), None


def flip(input: Tensor, dims) -> Tensor:
    """Reverses the order of the elements along the given dimensions.

    Args:
        input (Tensor): the input.
        dims (int or sequence of ints): the dimensions to reverse.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).flip(1)
        tensor([[2, 1],
                [4, 3]])
    """
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(canon_dim(d, input._data.ndim) for d in dims)
    return Flip.apply(input, axes if input._data.ndim else ())  # a 0-d tensor is its own flip


class Roll(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return np.roll(grad, neg, ctx.dims), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shifts elements along dimensions, moving those pushed off one end to the other.

    Without ``dims`` the tensor is rolled as if flattened, keeping its shape.

    Args:
        input (Tensor): the input.
        shifts (int or sequence of ints): how far to shift (one per entry of ``dims``).
        dims (int or sequence of ints, optional): the dimensions to roll.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.roll(ember.tensor([1, 2, 3, 4]), 1)
        tensor([4, 1, 2, 3])
    """
    if isinstance(shifts, (list, tuple)):
        shifts = tuple(shifts)
    if isinstance(dims, (list, tuple)):
        dims = tuple(dims)
    if input._data.size == 0:  # torch returns an empty input as it is, whatever the dims
        return input.clone()
    return Roll.apply(input, shifts, dims)


class Cat(ArrayFunction):
    @staticmethod
    def forward(ctx, dim, skipped, *xs):
        # ``skipped`` flags 1-D empty tensors next to N-d ones (PyTorch's legacy rule)
        ctx.dim, ctx.skipped = dim, skipped
        kept = [x for x, skip in zip(xs, ctx.skipped, strict=True) if not skip]
        ctx.bounds = np.cumsum([x.shape[dim] for x in kept])[:-1]
        # C order always, as torch's result (NumPy keeps its inputs' layout: F for transposes)
        return np.concatenate(kept, axis=dim, out=_c_order_result(kept, dim))

    @staticmethod
    def backward(ctx, grad):
        parts = iter(np.split(grad, ctx.bounds, axis=ctx.dim))
        return (None, None,
                *(np.zeros(0, grad.dtype) if skip else next(parts) for skip in ctx.skipped))


def cat(tensors, dim: int = 0) -> Tensor:
    """Joins tensors along an existing dimension.

    The tensors are promoted to one dtype and must match in every other dimension (a 1-D empty
    tensor is skipped, as in torch). ``concat`` and ``concatenate`` are the same function.

    Args:
        tensors (sequence of Tensors): the tensors, at least one, none 0-d.
        dim (int): the dimension to join along.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.cat([ember.tensor([[1, 2]]), ember.tensor([[3, 4]])], dim=0)
        tensor([[1, 2],
                [3, 4]])
    """
    tensors = _tensors(tensors)
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    full = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)]
    ref = (full or tensors)[0]._data
    d = canon_dim(dim, ref.ndim) if full else 0  # torch reads no dim of legacy empties
    if not full or ref.ndim == 1:  # all legacy empties, or all 1-D: nothing is skipped
        full = tensors
    for i, t in enumerate(full):
        if t._data.ndim != ref.ndim:
            raise RuntimeError(
                "Tensors must have same number of dimensions: got "
                f"{ref.ndim} and {t._data.ndim}"
            )
        for k in range(ref.ndim):
            if k != d and t._data.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t._data.shape[k]} for tensor number {i} in "
                    "the list."
                )
    skipped = tuple(not any(t is f for f in full) for t in tensors)
    return Cat.apply(d, skipped, *tensors)


def _c_order_result(arrays: list, dim: int) -> np.ndarray:
    """An uninitialised C-ordered array for the concatenation of ``arrays`` along ``dim``."""
    shape = list(arrays[0].shape)
    shape[dim] = sum(a.shape[dim] for a in arrays)
    return np.empty(shape, dtype=np.result_type(*arrays))


class Stack(ArrayFunction):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        rows = [np.expand_dims(x, dim) for x in xs]
        return np.concatenate(rows, axis=dim, out=_c_order_result(rows, dim))

    @staticmethod
    def backward(ctx, grad):
        return (None, *(np.take(grad, i, axis=ctx.dim) for i in range(grad.shape[ctx.dim])))


def stack(tensors, dim: int = 0) -> Tensor:
    """Joins tensors of one shape along a new dimension.

    Args:
        tensors (sequence of Tensors): the tensors, all of the same shape.
        dim (int): the position of the new dimension.

    Returns:
        Tensor: a new tensor with one more dimension.

    Example:
        >>> ember.stack([ember.tensor([1, 2]), ember.tensor([3, 4])], dim=1)
        tensor([[1, 3],
                [2, 4]])
    """
    tensors = _tensors(tensors)
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    return Stack.apply(canon_dim(dim, len(shape) + 1), *tensors)


class Pad(ArrayFunction):
    @staticmethod
    def forward(ctx, x, widths, value):
        x_shape = x.shape
        neg = any(lo < 0 or hi < 0 for lo, hi in widths)
        if neg:  # negative padding crops
            crop = tuple(slice(max(-lo, 0), n - max(-hi, 0))
                         for (lo, hi), n in zip(widths, x.shape, strict=True))
            x = x[crop]
            widths = tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths)
            ctx.neg = (crop, x_shape)
        ctx.widths = widths
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        inner = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(ctx.widths))
        g = grad[inner]
        if hasattr(ctx, "neg"):
            crop, shape = ctx.neg
            full = np.zeros(shape, dtype=grad.dtype)
            full[crop] = g
            g = full
        return g, None, None


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pads the last ``len(pad) // 2`` dimensions.

    ``pad`` lists (before, after) amounts starting from the last dimension:
    ``(left, right)`` pads the last one, ``(left, right, top, bottom)`` the last two, and so on;
    negative amounts crop.

    Args:
        input (Tensor): the input.
        pad (sequence of ints): the amounts, an even number of them.
        mode (str): ``'constant'`` (fill with ``value``), ``'reflect'`` (mirror without the
            edge), ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap around); the last
            three pad 1-3 trailing dimensions of a batched or unbatched input.
        value (number, optional): the fill value of ``'constant'`` (0 when None).

    Returns:
        Tensor: the padded tensor.

    Example:
        >>> ember.pad(ember.tensor([1.0, 2.0]), (1, 2))
        tensor([0., 1., 2., 0., 0.])
        >>> ember.pad(ember.tensor([[1.0, 2.0, 3.0]]), (2, 0), mode="reflect")
        tensor([[3., 2., 1., 2., 3.]])
    """
    if mode in _NUMPY_PAD_MODES:
        return _pad_indexed(input, pad, mode)
    if mode != "constant":
        raise NotImplementedError(
            f"Unrecognised padding mode {mode}"
        )
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    n = input._data.ndim
    if len(pad) // 2 > n:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           "dimension")
    widths = [(0, 0)] * n
    for i in range(len(pad) // 2):
        widths[n - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return Pad.apply(input, tuple(widths), 0 if value is None else value)


def _view_dtype(input: Tensor, dtype) -> Tensor:
    out = Tensor._make(input._data.view(_dtype.to_numpy_dtype(dtype)))
    out._make_view_of(input)
    return out


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """:func:`view` with ``other``'s shape.

    Args:
        input (Tensor): the input.
        other (Tensor): the tensor whose shape to take.

    Returns:
        Tensor: a view sharing ``input``'s memory.

    Example:
        >>> ember.arange(4).view_as(ember.zeros(2, 2))
        tensor([[0, 1],
                [2, 3]])
    """
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """:func:`reshape` with ``other``'s shape.

    Args:
        input (Tensor): the input.
        other (Tensor): the tensor whose shape to take.

    Returns:
        Tensor: the reshaped tensor (a view when possible).

    Example:
        >>> ember.arange(4).reshape_as(ember.zeros(2, 2)).shape
        ember.Size([2, 2])
    """
    return reshape(input, other.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dimensions ``start_dim`` to ``end_dim`` into one.

    Args:
        input (Tensor): the input (a 0-d input becomes 1-D).
        start_dim (int): the first dimension to merge.
        end_dim (int): the last dimension to merge.

    Returns:
        Tensor: the flattened tensor (a view when possible).

    Example:
        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
    shape = input._data.shape
    if not shape:
        canon_dim(start_dim, 0), canon_dim(end_dim, 0)
        return reshape(input, (1,))
    s, e = canon_dim(start_dim, len(shape)), canon_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, (*shape[:s], n, *shape[e + 1:]))


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Splits dimension ``dim`` into several with the given sizes.

    Args:
        input (Tensor): the input.
        dim (int): the dimension to split.
        sizes (sequence of ints): the new sizes, whose product is the size of ``dim`` (one may
            be -1).

    Returns:
        Tensor: the reshaped tensor (a view when possible).

    Example:
        >>> ember.zeros(2, 12).unflatten(1, (3, -1)).shape
        ember.Size([2, 3, 4])
    """
    shape = input._data.shape
    d = canon_dim(dim, len(shape))
    sizes = tuple(sizes)
    if -1 in sizes:
        known = int(np.prod([s for s in sizes if s != -1]))
        sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    if int(np.prod(sizes)) != shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({shape[d]}) in the input tensor"
        )
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


swapaxes = transpose


def tile(input: Tensor, dims) -> Tensor:
    """Like :func:`repeat`, but a short ``dims`` is padded with leading ones.

    Args:
        input (Tensor): the input.
        dims (sequence of ints): the copies per dimension, aligned to the last dimensions.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.tensor([[1, 2]]).tile((2,))
        tensor([[1, 2, 1, 2]])
    """
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Splits into pieces along ``dim``: of one size (the last may be smaller) or of given sizes.

    Args:
        tensor (Tensor): the input.
        split_size_or_sections (int or sequence of ints): the size of each piece, or the list
            of sizes (summing to the size of ``dim``).
        dim (int): the dimension to split.

    Returns:
        tuple of Tensors: views of the pieces.

    Example:
        >>> ember.split(ember.arange(5), 2)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
        >>> ember.split(ember.arange(5), [1, 4])
        (tensor([0]), tensor([1, 2, 3, 4]))
    """
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = canon_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {dim}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    name = "Split" if isinstance(split_size_or_sections, int) else "SplitWithSizes"
    return _multi_output_views(name, out)


def _multi_output_views(name: str, views) -> tuple:
    """Marks views that one call returned together (split, chunk, unbind): as in PyTorch, a
    recorded one may not be modified in place, nor an unrecorded one by an in-place op that
    records (see ``ember.autograd.history.check_inplace``)."""
    for i, v in enumerate(views):
        if v.grad_fn is not None:
            v._multi_output_view = (name, i)
        elif v._base is not None:
            v._created_without_grad = MULTI_OUTPUT_VIEW
    return tuple(views)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Splits into ``chunks`` pieces along ``dim``, each of size ``ceil(n / chunks)``.

    The last piece may be smaller, and fewer pieces come back when the size does not allow
    ``chunks`` of them.

    Args:
        input (Tensor): the input, at least 1-D.
        chunks (int): the number of pieces wanted, at least 1.
        dim (int): the dimension to split.

    Returns:
        tuple of Tensors: views of the pieces.

    Example:
        >>> ember.chunk(ember.arange(5), 2)
        (tensor([0, 1, 2]), tensor([3, 4]))
    """
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[canon_dim(dim, input._data.ndim)]
    if n == 0:
        return split(input, [0] * chunks, dim)
    return split(input, -(-n // chunks), dim)


def _tensors(tensors) -> list:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("expected a non-empty list of Tensors")
    dt = promote(*tensors)
    return [t if t._data.dtype == dt else t.to(dt) for t in tensors]


concat = concatenate = cat


def hstack(tensors) -> Tensor:
    """Joins tensors column-wise: along dimension 1, or dimension 0 for 1-D tensors.

    Args:
        tensors (sequence of Tensors): the tensors (0-d ones count as 1-D).

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.hstack([ember.tensor([1, 2]), ember.tensor([3])])
        tensor([1, 2, 3])
    """
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Joins tensors row-wise, along dimension 0 (0-d and 1-D tensors become rows).

    Args:
        tensors (sequence of Tensors): the tensors.

    Returns:
        Tensor: a new tensor, at least 2-D.

    Example:
        >>> ember.vstack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def atleast_1d(input: Tensor) -> Tensor:
    """Returns a 0-d tensor as 1-D, and any other tensor as it is.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: a tensor of at least one dimension.

    Example:
        >>> ember.atleast_1d(ember.tensor(5))
        tensor([5])
    """
    return reshape(input, (1,)) if input.ndim == 0 else input


class PadIndexed(ArrayFunction):
    """Reflect / replicate / circular padding: a gather through one index map per dim, so the
    backward adds each output gradient into the element it was copied from."""

    @staticmethod
    def forward(ctx, x, maps):
        grid = np.ix_(*maps)
        ctx.shape, ctx.dtype = x.shape, x.dtype
        ctx.save_for_backward(np.arange(x.size).reshape(x.shape)[grid])
        return x[grid]

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        size = int(np.prod(ctx.shape))
        g = np.bincount(index.reshape(-1), weights=grad.reshape(-1), minlength=size)
        return g.astype(ctx.dtype).reshape(ctx.shape), None


_NUMPY_PAD_MODES: dict[str, Literal["reflect", "edge", "wrap"]] = {
    "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_map(size: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source index of each output position along one dim (negative pads crop, as in torch:
    reflect and replicate crop the padded dim, circular wraps within the cropped one)."""
    grow = (max(lo, 0), max(hi, 0))
    if mode == "circular":
        return np.pad(np.arange(max(-lo, 0), size - max(-hi, 0)), grow, mode="wrap")
    padded = np.pad(np.arange(size), grow, mode=_NUMPY_PAD_MODES[mode])
    return padded[max(-lo, 0):grow[0] + size + hi]


def _pad_indexed(input: Tensor, pad, mode: str) -> Tensor:
    n, k = input._data.ndim, len(pad) // 2
    if len(pad) % 2 or k not in (1, 2, 3) or n not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {n}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    maps = [np.arange(s) for s in input._data.shape]
    for i in range(k):
        d = n - 1 - i
        lo, hi = int(pad[2 * i]), int(pad[2 * i + 1])
        size = input._data.shape[d]
        out = size + lo + hi
        if i == 0 and out <= 0:
            raise RuntimeError(f"input (W: {size}) is too small. Calculated output W: {out}")
        if out < 0:
            shape = list(input._data.shape)
            shape[d] = out
            raise RuntimeError(f"Trying to create tensor with negative dimension {out}: {shape}")
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {d} of input "
                f"{list(input._data.shape)}"
            )
        kept = size + min(lo, 0) + min(hi, 0)
        if mode == "circular" and (lo > kept or hi > kept):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        maps[d] = _pad_map(size, lo, hi, mode)
    return PadIndexed.apply(input, tuple(maps))


def ravel(input: Tensor) -> Tensor:
    """Returns the elements as a 1-D tensor.

    Args:
        input (Tensor): the input.

    Returns:
        Tensor: the flattened tensor (a view when possible).

    Example:
        >>> ember.tensor([[1, 2], [3, 4]]).ravel()
        tensor([1, 2, 3, 4])
    """
    return reshape(input, (-1,))


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to.

    Args:
        shapes (ints or sequences of ints): the shapes.

    Returns:
        ember.Size: the broadcast shape.

    Example:
        >>> ember.broadcast_shapes((2, 1), (3,))
        ember.Size([2, 3])
    """
    try:
        return Size(np.broadcast_shapes(*(tuple(s) if isinstance(s, (tuple, list)) else (s,)
                                          for s in shapes)))
    except ValueError:
        raise broadcast_error(*(np.empty(tuple(s) if isinstance(s, (tuple, list)) else (s,))
                                for s in shapes)) from None


def broadcast_tensors(*tensors) -> tuple:
    """Expands tensors to their common broadcast shape, without copying.

    Args:
        tensors (Tensors): the tensors.

    Returns:
        tuple of Tensors: views of one shape.

    Example:
        >>> a, b = ember.broadcast_tensors(ember.tensor([[1], [2]]), ember.tensor([10, 20]))
        >>> b
        tensor([[10, 20],
                [10, 20]])
    """
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors, one grid per tensor.

    With ``indexing='ij'`` grid ``i`` varies along dimension ``i``; with ``'xy'`` the first two
    dimensions are swapped (Cartesian, as NumPy's default).

    Args:
        tensors (Tensors or a sequence of them): the 1-D coordinates (0-d count as 1-D).
        indexing (str): ``'ij'`` or ``'xy'``.

    Returns:
        tuple of Tensors: grids of shape ``(len(t0), len(t1), ...)`` (the first two swapped for
        ``'xy'``), views of the inputs.

    Example:
        >>> x, y = ember.meshgrid(ember.tensor([1, 2]), ember.tensor([3, 4, 5]), indexing="ij")
        >>> x
        tensor([[1, 1, 1],
                [2, 2, 2]])
        >>> y
        tensor([[3, 4, 5],
                [3, 4, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}"
        )
    n = len(tensors)
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and n >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        axis = i if not swap or i > 1 else 1 - i
        shape = [1] * n
        shape[axis] = t.numel()
        out.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """Builds a diagonal matrix from a 1-D tensor, or copies a diagonal out of a matrix.

    Args:
        input (Tensor): 1-D values or a 2-D matrix.
        diagonal (int): which diagonal: 0 the main one, positive above it, negative below.

    Returns:
        Tensor: a square matrix with ``input`` on that diagonal, or the diagonal as a 1-D copy.

    Example:
        >>> ember.diag(ember.tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]])
        >>> ember.diag(ember.tensor([[1, 2], [3, 4]]), 1)
        tensor([2])
    """
    if input._data.ndim == 2:
        return globals()["diagonal"](input, diagonal).clone()  # a copy, as torch's
    if input._data.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input._data.ndim}D")
    n = input._data.shape[0] + abs(diagonal)
    out = Tensor._make(np.zeros((n, n), dtype=input._data.dtype))
    i = np.arange(input._data.shape[0])
    rows, cols = (i, i + diagonal) if diagonal >= 0 else (i - diagonal, i)
    out[Tensor._make(rows), Tensor._make(cols)] = input
    return out


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix.

    Args:
        input (Tensor): a 2-D tensor (not bool).

    Returns:
        Tensor: a 0-d tensor.

    Example:
        >>> ember.trace(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(5.)
    """
    check_kernel(input, "trace")  # before the shape check, as torch
    if input._data.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return globals()["diagonal"](input).sum()


def repeat_interleave(input: Tensor, repeats, dim=None, *, output_size=None) -> Tensor:
    """Repeats each element (or each slice along ``dim``) ``repeats`` times in a row.

    Args:
        input (Tensor): the input.
        repeats (int or Tensor): one count for all, or one count per element along ``dim``.
        dim (int, optional): the dimension to repeat along; the flattened input when None.
        output_size (int, optional): accepted for torch's signature (the total is computed).

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.repeat_interleave(ember.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
        >>> ember.repeat_interleave(ember.tensor([1, 2]), ember.tensor([1, 3]))
        tensor([1, 2, 2, 2])
    """
    if dim is None:
        input, dim = reshape(input, (-1,)), 0
    d = canon_dim(dim, input._data.ndim)
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    n = input._data.shape[d]
    if reps.ndim == 0:
        reps = np.full(n, int(reps))
    if reps.shape != (n,):
        raise RuntimeError("repeats must have the same size as input along dim")
    idx = np.repeat(np.arange(n), reps)
    return input.index_select(d, Tensor._make(idx))


def _tri(input: Tensor, diagonal: int, upper: bool) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 "
                           "dimensions")
    rows, cols = input._data.shape[-2:]
    keep = np.triu(np.ones((rows, cols), bool), diagonal) if upper else \
        np.tril(np.ones((rows, cols), bool), diagonal)
    zero = 0.0 if input.is_floating_point() else (False if input._data.dtype == np.bool_ else 0)
    return cast(Tensor, where(Tensor._make(keep), input, zero))  # the 3-argument form


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Keeps the lower triangle of the last two dimensions (on and below ``diagonal``),
    zeroing the rest.

    Args:
        input (Tensor): the input, at least 2-D.
        diagonal (int): the boundary diagonal: 0 the main one, positive above it, negative below.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.tril(ember.ones(3, 3, dtype=ember.int64))
        tensor([[1, 0, 0],
                [1, 1, 0],
                [1, 1, 1]])
    """
    return _tri(input, diagonal, False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Keeps the upper triangle of the last two dimensions (on and above ``diagonal``),
    zeroing the rest.

    Args:
        input (Tensor): the input, at least 2-D.
        diagonal (int): the boundary diagonal: 0 the main one, positive above it, negative below.

    Returns:
        Tensor: a new tensor.

    Example:
        >>> ember.triu(ember.ones(3, 3, dtype=ember.int64), 1)
        tensor([[0, 1, 1],
                [0, 0, 1],
                [0, 0, 0]])
    """
    return _tri(input, diagonal, True)


class Diagonal(ArrayFunction):
    """The diagonal of the (dim1, dim2) planes as a new last dim: a writable view, as torch's
    (NumPy's ``diagonal`` is read-only)."""

    is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.dtype, ctx.args = x.shape, x.dtype, (offset, dim1, dim2)
        return _diagonal_view(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        _diagonal_view(out, *ctx.args)[...] = grad
        return out, None, None, None


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of each ``(dim1, dim2)`` plane, as a new last dimension.

    Args:
        input (Tensor): the input, at least 2-D.
        offset (int): which diagonal: 0 the main one, positive above it, negative below.
        dim1 (int): the first dimension of the planes.
        dim2 (int): the second dimension of the planes.

    Returns:
        Tensor: a writable view: writing into it writes into ``input``.

    Example:
        >>> ember.tensor([[1., 2.], [3., 4.]]).diagonal()
        tensor([1., 4.])
    """
    n = input._data.ndim
    d1, d2 = canon_dim(dim1, n), canon_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset, d1, d2)


def _diagonal_view(x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    d = np.diagonal(x, offset, dim1, dim2)
    start = [slice(None)] * x.ndim  # the view starts at the diagonal's first element
    if d.size:
        start[dim2 if offset >= 0 else dim1] = slice(abs(offset), None)
    return np.lib.stride_tricks.as_strided(x[tuple(start)], d.shape, d.strides)


def _check_pixel_factor(name: str, input: Tensor, factor: int, what: str) -> None:
    if input.dim() < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {input.dim()} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Turns each group of ``r * r`` channels into an ``r x r`` block of pixels.

    The rearrangement of sub-pixel convolution: an image of ``C * r * r`` channels at ``H x W``
    becomes ``C`` channels at ``H r x W r``.

    Args:
        input (Tensor): the input, at least 3-D.
        upscale_factor (int): ``r``, positive.

    Returns:
        Tensor: the rearranged tensor.

    Shape:
        - input: :math:`(*, C r^2, H, W)`.
        - output: :math:`(*, C, H r, W r)`.

    Example:
        >>> ember.pixel_shuffle(ember.zeros(1, 8, 3, 3), 2).shape
        ember.Size([1, 2, 6, 6])
    """
    r = int(upscale_factor)
    _check_pixel_factor("pixel_shuffle", input, r, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           "divisible by the square of upscale_factor, but input.size(-3)="
                           f"{c} is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """The inverse of :func:`pixel_shuffle`: each ``r x r`` block of pixels becomes
    ``r * r`` channels.

    Args:
        input (Tensor): the input, at least 3-D, with height and width divisible by ``r``.
        downscale_factor (int): ``r``, positive.

    Returns:
        Tensor: the rearranged tensor.

    Shape:
        - input: :math:`(*, C, H r, W r)`.
        - output: :math:`(*, C r^2, H, W)`.

    Example:
        >>> ember.pixel_unshuffle(ember.zeros(1, 2, 6, 6), 2).shape
        ember.Size([1, 8, 3, 3])
    """
    r = int(downscale_factor)
    _check_pixel_factor("pixel_unshuffle", input, r, "downscale_factor")
    *lead, c, h, w = input.shape
    for what, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor, but input.size({dim})={size} is not "
                               f"divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)

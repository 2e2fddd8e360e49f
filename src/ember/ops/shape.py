"""Shape ops: views (reshape, permute, expand, ...) and copies (cat, stack, repeat, pad, ...)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ember import _dtype
from ember.autograd.function import ArrayFunction
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
    """Returns the data with a new shape (a view when possible; -1 infers one dim)."""
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    return Reshape.apply(input, shape)


def view(input: Tensor, *shape) -> Tensor:
    """Like ``reshape`` but requires that no copy be needed, as in PyTorch."""
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
    """Removes dims of size 1 (only ``dim`` when given)."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {canon_dim(d, len(shape)) for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return Reshape.apply(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dim of size 1 at ``dim``."""
    shape = input._data.shape
    d = canon_dim(dim, len(shape) + 1)
    return Reshape.apply(input, (*shape[:d], 1, *shape[d:]))


class Permute(ArrayFunction):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.inverse), None


def permute(input: Tensor, *dims) -> Tensor:
    """Reorders dims."""
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
    """Swaps two dims."""
    n = input._data.ndim
    if n == 0:
        return Permute.apply(input, ())
    order = list(range(n))
    a, b = canon_dim(dim0, n), canon_dim(dim1, n)
    order[a], order[b] = order[b], order[a]
    return Permute.apply(input, tuple(order))


def movedim(input: Tensor, source, destination) -> Tensor:
    """Moves dims from ``source`` to ``destination`` positions."""
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
    """Transposes a tensor of at most 2 dims."""
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
    """Broadcasts to ``sizes`` without copying (-1 keeps a dim)."""
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
    """``expand`` to ``other``'s shape."""
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
    """A view of ``length`` entries of ``dim`` from ``start``."""
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
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    d = canon_dim(dim, input._data.ndim)
    n, i = input._data.shape[d], int(index)
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension {d} with size {n}")
    return Slice.apply(input, (slice(None),) * d + (i, Ellipsis))


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Removes ``dim`` and returns the slices along it."""
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
    """Returns self if already C-contiguous, else a contiguous copy."""
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
    """Tiles the tensor ``repeats`` times along each dim (copies)."""
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
    """Reverses the order along ``dims``."""
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
    """Rotates elements along ``dims`` (over the flattened tensor when None)."""
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
    """Concatenates tensors along an existing ``dim``."""
    tensors = _tensors(tensors)
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    full = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)]
    ref = (full or tensors)[0]._data
    d = canon_dim(dim, ref.ndim)
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
    """Stacks same-shaped tensors along a new ``dim``."""
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
    """Pads the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``.

    ``mode`` is ``'constant'`` (with ``value``), ``'reflect'``, ``'replicate'`` or
    ``'circular'``; the last three pad 1-3 trailing dims of a batched or unbatched input.
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
    """``view`` with ``other``'s shape."""
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``reshape`` with ``other``'s shape."""
    return reshape(input, other.shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dims ``start_dim..end_dim`` into one."""
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
    """Splits dim ``dim`` into ``sizes``."""
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
    """Like ``repeat`` but pads ``dims`` with leading ones."""
    dims = tuple(dims)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Splits into chunks of a size (last may be smaller) or of given sizes, as views."""
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
    """Marks recorded views that one call returned together (split, chunk, unbind): as in
    PyTorch, they may not be modified in place (see ``Tensor._check_inplace``)."""
    for i, v in enumerate(views):
        if v.grad_fn is not None:
            v._multi_output_view = (name, i)
    return tuple(views)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Splits into ``chunks`` nearly equal views."""
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
    """Concatenates along dim 1 (dim 0 for 1-D tensors; 0-d tensors count as 1-D)."""
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenates along dim 0 (0-d and 1-D tensors become rows)."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def atleast_1d(input: Tensor) -> Tensor:
    """Reshapes a 0-d tensor to 1-d."""
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
    """The elements as a 1-D tensor (a view when possible)."""
    return reshape(input, (-1,))


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to."""
    try:
        return Size(np.broadcast_shapes(*(tuple(s) if isinstance(s, (tuple, list)) else (s,)
                                          for s in shapes)))
    except ValueError:
        raise broadcast_error(*(np.empty(tuple(s) if isinstance(s, (tuple, list)) else (s,))
                                for s in shapes)) from None


def broadcast_tensors(*tensors) -> tuple:
    """Expands tensors to their common broadcast shape (views)."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors (``indexing='ij'`` or ``'xy'``)."""
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
    """A 1-D tensor's values on a diagonal of a square matrix, or a matrix's diagonal."""
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
    """Sum of the main diagonal of a matrix."""
    check_kernel(input, "trace")  # before the shape check, as torch
    if input._data.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    return globals()["diagonal"](input).sum()


def repeat_interleave(input: Tensor, repeats, dim=None, *, output_size=None) -> Tensor:
    """Repeats each element ``repeats`` times (an int or one count per element) along ``dim``."""
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
    return where(Tensor._make(keep), input, zero)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Keeps the lower triangle (elements on and below ``diagonal``)."""
    return _tri(input, diagonal, False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Keeps the upper triangle (elements on and above ``diagonal``)."""
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
    """The diagonal of the (dim1, dim2) planes, as a new last dim (a view).

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
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r
    block of pixels (sub-pixel convolution's rearrangement)."""
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
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of :func:`pixel_shuffle`."""
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

"""Pooling: max, average and adaptive pooling over 1-D and 2-D inputs.

Every op works on a canonical ``(N, C, H, W)`` layout (a 1-D input is a height of 1, an
unbatched input a batch of 1) and reads its windows through :func:`sliding_windows`, a strided
view, so no Python loop runs over output pixels. Adaptive pooling has windows of varying size:
the average is separable into two small averaging matrices, ``A_h @ x @ A_w^T``, and the max
gathers every window, padded to the largest one by repeating its last index.

max_pool2d and avg_pool2d (and their 1-D forms) on float32 and float64 run compiled kernels
(the ``pooling`` family) that walk each window clipped to the input in torch's order; the
strided-window NumPy code is their reference, used for the other dtypes, and the tests hold
both to torch. A global average (adaptive output 1) is a plain mean, as in torch.
"""

from __future__ import annotations

import numpy as np

from ember.autograd.function import ArrayFunction
from ember.backend import get_backend
from ember.nn.functional.conv import col2im_add, pad2d, sliding_windows
from ember.ops._util import check_kernel
from ember.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
]


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_USE_KERNELS = True  # False: the NumPy reference path everywhere (the tests compare both)


def _kernel_planes(x: np.ndarray, shape4: tuple) -> np.ndarray | None:
    """``x`` as C-contiguous ``(N * C, H, W)`` planes for the kernels, or None when the
    reference path runs (another dtype, or no element)."""
    if not _USE_KERNELS or x.dtype not in _KERNEL_DTYPES or x.size == 0:
        return None
    n, c, h, w = shape4
    return np.ascontiguousarray(x).reshape(n * c, h, w)


# -- geometry ----------------------------------------------------------------------------------
def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: the last window must start inside the input or
    the left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _window_pads(shape4: tuple, kernel, stride, padding, dilation, out) -> tuple:
    """``((top, bottom), (left, right))`` so that every window lies inside the padded array
    (ceil mode may need more at the end than ``padding``)."""
    pads = []
    for size, k, s, p, d, o in zip(shape4[2:], kernel, stride, padding, dilation, out,
                                   strict=True):
        needed = (o - 1) * s + d * (k - 1) + 1 if o > 0 else 0
        pads.append((p, max(0, needed - size - p)))
    return tuple(pads)


def _first_tap(out: int, s: int, p: int, d: int) -> np.ndarray:
    """Index of the first in-bounds tap of each window (where PyTorch starts its max)."""
    start = np.arange(out) * s - p
    return np.where(start < 0, start + (-start + d - 1) // d * d, start)


def _parse(value, n: int, message: str, default=None) -> tuple:
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0 and
                         default is not None):
        value = default
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * n
        if len(value) != n:
            raise RuntimeError(message)
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _parse2d(name: str, kernel_size, stride, padding) -> tuple:
    """``(kernel, stride, padding)`` pairs of a 2-D pooling, as PyTorch parses them."""
    kernel = _parse(kernel_size, 2, f"{name}: kernel_size must either be a single int, or a "
                    "tuple of two ints")
    stride = _parse(stride, 2, f"{name}: stride must either be omitted, a single int, or a "
                    "tuple of two ints", default=kernel)
    padding = _parse(padding, 2, f"{name}: padding must either be a single int, or a tuple of "
                     "two ints")
    return kernel, stride, padding


def _parse1d(args: dict, message: str) -> tuple:
    """The ints of 1-D pooling arguments given as ints or 1-sequences (an omitted stride is
    the kernel size); ``message`` formats the error for a longer sequence."""
    values = []
    for what, value in args.items():
        if what == "stride" and (value is None or value == [] or value == ()):
            value = values[0]
        if isinstance(value, (tuple, list)):
            if len(value) != 1:
                raise RuntimeError(message.format(what=what, size=len(value)))
            value = value[0]
        values.append(int(value))
    return tuple(values)


def _geometry2d(shape: tuple, kernel, stride, padding, dilation, ceil_mode) -> tuple:
    """Validates 2-D pooling arguments in PyTorch's order and words; returns the output size."""
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(padding)}")
    for k, p, d in zip(kernel, padding, dilation, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    if any(k <= 0 for k in kernel):
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(
            f"stride should be greater than zero, but got dH: {stride[0]} dW: {stride[1]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            "dilation should be greater than zero, but got dilationH: "
            f"{dilation[0]} dilationW: {dilation[1]}"
        )
    if any(n == 0 for n in shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{list(shape)}"
        )
    if any(k // 2 < p for k, p in zip(kernel, padding, strict=True)):
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got "
            f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}"
        )
    c, h, w = shape[-3:]
    out = tuple(_out_size(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip((h, w), kernel, stride, padding, dilation,
                                                 strict=True))
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
            "Output size is too small"
        )
    return out


def _canonical(shape: tuple, nd: int) -> tuple:
    """``(N, C, H, W)`` for an input of ``nd`` spatial dims, batched or not."""
    batched = shape if len(shape) == nd + 2 else (1, *shape)
    return batched[:2] + (1,) * (2 - nd) + batched[2:]


def _pooled_shape(shape: tuple, nd: int, out: tuple) -> tuple:
    return shape[:-nd] + out[2 - nd:]


# -- ops ---------------------------------------------------------------------------------------
def _first_real_tap(idx, tap, kernel, stride, padding, dilation, out, size):
    """Fixes the indices of windows whose real elements are all ``-inf`` (so the arg-max may
    have landed on padding): PyTorch reports the first real tap of such a window."""
    (ho, wo), (h, w) = out, size
    ki, kj = np.divmod(tap, kernel[1])
    ih = (np.arange(ho) * stride[0] - padding[0])[:, None] + ki * dilation[0]
    iw = np.arange(wo) * stride[1] - padding[1] + kj * dilation[1]
    outside = (ih < 0) | (ih >= h) | (iw < 0) | (iw >= w)
    if not outside.any():
        return idx
    ih = np.where(outside, _first_tap(ho, stride[0], padding[0], dilation[0])[:, None], ih)
    iw = np.where(outside, _first_tap(wo, stride[1], padding[1], dilation[1]), iw)
    return ih * w + iw


def _window_max(win: np.ndarray) -> tuple:
    """``(values, taps)``: the max over the last axis of ``win`` and its position, the first
    among ties, or the last NaN where there is one (PyTorch's CPU kernel).

    The value is read at the arg-max (faster than a second reduction, and of the first tap's
    sign where ``-0.0`` and ``0.0`` tie, as PyTorch's).
    """
    tap = win.argmax(axis=-1)
    values = np.take_along_axis(win, tap[..., None], axis=-1)[..., 0]
    if win.dtype.kind == "f":
        nan = np.isnan(values)
        if nan.any():
            last = win.shape[-1] - 1 - np.isnan(win[..., ::-1]).argmax(axis=-1)
            tap = np.where(nan, last, tap)
    return values, tap


class _ArgMaxPool(ArrayFunction):
    """A max pooling whose forward returns ``(values, indices)``: the gradient of each output
    goes to the input element its index names."""

    @staticmethod
    def _outputs(ctx, values, idx, x_shape, shape4, out_shape):
        idx = idx.reshape(out_shape)
        ctx.shapes = (x_shape, shape4)
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return values.reshape(out_shape), idx

    @staticmethod
    def backward(ctx, grad, _):
        (idx,) = ctx.saved_tensors
        return _scatter_to_argmax(grad, idx, *ctx.shapes)


class MaxPool2DWithIndices(_ArgMaxPool):
    """Max over each window; the gradient goes to the arg-max (the first among ties, the last
    NaN, as PyTorch's CPU kernel). Indices are flat positions in each input plane, int64, or
    int32 when ``compact`` (indices only the backward reads)."""

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, dilation, out, shape4, out_shape,
                compact=False):
        planes = _kernel_planes(x, shape4)
        if planes is not None:
            index_dtype = np.int32 if compact and shape4[2] * shape4[3] < 2**31 else np.int64
            values, idx = get_backend().kernels("pooling").max_pool2d_forward(
                planes, kernel, stride, padding, dilation, out, index_dtype)
            return MaxPool2DWithIndices._outputs(ctx, values, idx, x.shape, shape4, out_shape)
        n, c, _h, w = shape4
        (kh, kw), (ho, wo) = kernel, out
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        pads = _window_pads(shape4, kernel, stride, padding, dilation, out)
        xp = pad2d(x.reshape(shape4), pads, fill)
        # taps last, so that max and argmax reduce over contiguous memory
        win = sliding_windows(xp, kernel, stride, dilation, out).transpose(0, 1, 4, 5, 2, 3)
        values, tap = _window_max(win.reshape(n, c, ho, wo, kh * kw))
        # flat input index = window origin + offset of the tap
        origin = ((np.arange(ho) * stride[0] - padding[0])[:, None] * w
                  + np.arange(wo) * stride[1] - padding[1])
        offset = (np.arange(kh)[:, None] * (dilation[0] * w)
                  + np.arange(kw) * dilation[1]).ravel()
        idx = origin + offset[tap]
        if any(map(any, pads)) and np.any(values == fill):
            idx = _first_real_tap(idx, tap, kernel, stride, padding, dilation, out, shape4[2:])
        return MaxPool2DWithIndices._outputs(ctx, values, idx, x.shape, shape4, out_shape)


def _scatter_to_argmax(grad, idx, x_shape, shape4):
    """Sums each output gradient into the input position its index names."""
    n, c, h, w = shape4
    if _USE_KERNELS and grad.dtype in _KERNEL_DTYPES and grad.size:
        gx = get_backend().kernels("pooling").max_pool2d_backward(
            np.ascontiguousarray(grad).reshape(n * c, -1), idx.reshape(n * c, -1), (h, w))
        return gx.reshape(x_shape)
    plane = h * w
    weights = grad.reshape(-1)
    if idx.size and idx.max() >= plane:
        # a dilated window made only of padding reports index ``plane`` or more, as PyTorch
        # does; it has no input element, so its gradient is dropped
        outside = idx >= plane
        idx, weights = np.where(outside, 0, idx), np.where(outside.ravel(), 0, weights)
    flat = idx.reshape(n * c, -1) + (np.arange(n * c, dtype=np.int64) * plane)[:, None]
    gx = np.bincount(flat.ravel(), weights=weights, minlength=n * c * plane)
    return gx.astype(grad.dtype, copy=False).reshape(x_shape)


def _avg_counts(size: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """Per-axis divisors of PyTorch's avg_pool: the window clipped to the padded input
    (count_include_pad) or to the input itself."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool2D(ArrayFunction):
    """Mean over each window, divided as PyTorch does (see :func:`avg_pool2d`)."""

    @staticmethod
    def forward(ctx, x, *, kernel, stride, padding, out, count_include_pad, divisor_override,
                shape4, out_shape):
        planes = _kernel_planes(x, shape4)
        if planes is not None:
            geometry = (kernel, stride, padding, count_include_pad, divisor_override)
            ctx.planes = (x.shape, shape4, out, geometry)
            return get_backend().kernels("pooling").avg_pool2d_forward(
                planes, kernel, stride, padding, out, count_include_pad,
                divisor_override).reshape(out_shape)
        ones = (1, 1)
        pads = _window_pads(shape4, kernel, stride, padding, ones, out)
        xp = pad2d(x.reshape(shape4), pads)
        total = sliding_windows(xp, kernel, stride, ones, out).sum(axis=(2, 3))
        if divisor_override:
            div = np.asarray(divisor_override)
        else:
            div = np.multiply.outer(
                *(_avg_counts(n, k, s, p, o, count_include_pad)
                  for n, k, s, p, o in zip(shape4[2:], kernel, stride, padding, out,
                                               strict=True)))
        if x.dtype.kind == "f":
            div = div.astype(x.dtype)
            result = total / div
        else:  # integer division truncates toward zero, as in C++
            result = np.trunc(total / div).astype(x.dtype)
        ctx.geometry = (x.shape, shape4, xp.shape, pads, kernel, stride, out, div)
        return result.reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        if hasattr(ctx, "planes"):
            x_shape, shape4, out, geometry = ctx.planes
            n, c, h, w = shape4
            g = np.ascontiguousarray(grad).reshape(n * c, *out)
            return get_backend().kernels("pooling").avg_pool2d_backward(
                g, (h, w), *geometry).reshape(x_shape)
        x_shape, shape4, padded, pads, kernel, stride, out, div = ctx.geometry
        g = grad.reshape(shape4[:2] + out) / div
        gxp = np.zeros(padded, dtype=grad.dtype)
        # every tap of a window receives the window's gradient / divisor
        col2im_add(gxp, np.broadcast_to(g[:, :, None, None], shape4[:2] + kernel + out), stride,
                   (1, 1))
        (top, _), (left, _) = pads
        gx = gxp[:, :, top:top + shape4[2], left:left + shape4[3]]
        return np.ascontiguousarray(gx).reshape(x_shape)


# -- average pooling ---------------------------------------------------------------------------
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size: window size (int or pair).
        stride: window step; defaults to ``kernel_size``.
        padding: implicit zeros on both sides, at most half the kernel.
        ceil_mode: round the output size up, as :func:`max_pool2d`.
        count_include_pad: divide by the window size including padded zeros (clipped to the
            padded input in ceil mode) instead of by the number of real elements.
        divisor_override: divide every window by this instead.

    Returns:
        ``(N, C, H_out, W_out)``, sized as :func:`max_pool2d` with dilation 1.

    Example:
        >>> F.avg_pool2d(ember.randn(1, 3, 32, 32), 2).shape
        ember.Size([1, 3, 16, 16])
    """
    kernel, stride, padding = _parse2d("avg_pool2d", kernel_size, stride, padding)
    shape = tuple(input.shape)
    if len(shape) not in (3, 4):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{list(shape)}"
        )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = _geometry2d(shape, kernel, stride, padding, (1, 1), ceil_mode)
    return AvgPool2D.apply(
        input, kernel=kernel, stride=stride, padding=padding, out=out,
        count_include_pad=count_include_pad, divisor_override=divisor_override,
        shape4=_canonical(shape, 2), out_shape=_pooled_shape(shape, 2, out))


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling of ``(N, C, L)`` or ``(C, L)``, as :func:`avg_pool2d` over one dim.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window size (an int or a 1-sequence).
        stride: window step; defaults to ``kernel_size``.
        padding: implicit zeros on both ends, at most half the kernel.
        ceil_mode: round the output length up (a last, partial window).
        count_include_pad: divide by the window size including padded zeros instead of by the
            number of real elements.

    Returns:
        ``(N, C, L_out)`` with ``L_out = (L + 2p - k) // stride + 1`` (rounded up in ceil mode).

    Example:
        >>> F.avg_pool1d(ember.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]]), 3, stride=2)
        tensor([[[2., 4., 6.]]])
    """
    shape = tuple(input.shape)
    if len(shape) not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional tensor for argument "
            "#1 'self' (while checking arguments for avg_pool1d)"
        )
    k, s, p = _parse1d({"kernel_size": kernel_size, "stride": stride, "padding": padding},
                       "avg_pool1d() argument '{what}' should contain one int (got {size})")
    kernel, stride, padding = (1, k), (1, s), (0, p)
    shape3 = shape if len(shape) == 3 else (1, *shape)
    out = _geometry2d((*shape3[:2], 1, *shape3[2:]), kernel, stride, padding,
                      (1, 1), ceil_mode)
    return AvgPool2D.apply(
        input, kernel=kernel, stride=stride, padding=padding, out=out,
        count_include_pad=count_include_pad, divisor_override=None,
        shape4=_canonical(shape, 1), out_shape=(*shape[:-1], out[1]))


def _adaptive_bounds(size: int, out: int) -> tuple:
    """PyTorch's adaptive windows: ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def averaging_matrix(size: int, out: int, dtype) -> np.ndarray:
    """Adaptive average pooling of one axis as an ``(out, size)`` matrix (also interpolate's
    ``'area'`` mode)."""
    start, end = _adaptive_bounds(size, out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2D(ArrayFunction):
    """``A_h @ x @ A_w^T`` with one averaging matrix per axis; the backward is the transpose."""

    @staticmethod
    def forward(ctx, x, *, out, shape4, out_shape):
        if out == (1, 1) and _USE_KERNELS and x.dtype in _KERNEL_DTYPES and x.size:
            # a global average is a plain mean, as torch computes it
            n, c, h, w = shape4
            ctx.geometry = (x.shape, h * w)
            return np.ascontiguousarray(x).reshape(n * c, h * w).mean(axis=1).reshape(out_shape)
        ah = averaging_matrix(shape4[2], out[0], x.dtype)
        aw = averaging_matrix(shape4[3], out[1], x.dtype)
        ctx.geometry = (x.shape, ah, aw)
        return np.matmul(np.matmul(ah, x.reshape(shape4)), aw.T).reshape(out_shape)

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.geometry) == 2:  # the mean's gradient: g / (H * W) at every element
            x_shape, size = ctx.geometry
            gx = np.empty((grad.size, size), grad.dtype)
            gx[...] = (grad.reshape(-1, 1) / grad.dtype.type(size))
            return gx.reshape(x_shape)
        x_shape, ah, aw = ctx.geometry
        g = grad.reshape(-1, ah.shape[0], aw.shape[0])
        return np.matmul(np.matmul(ah.T, g), aw).reshape(x_shape)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """2-D average pooling to a fixed output size, whatever the input size.

    Output cell ``i`` averages input rows ``floor(i H / H_out)`` to ``ceil((i+1) H / H_out)``
    (exclusive), so windows may overlap or differ in size when ``H_out`` does not divide ``H``.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        output_size: int or pair; ``None`` in the pair keeps that input size.

    Example:
        >>> F.adaptive_avg_pool2d(ember.randn(1, 64, 10, 9), (5, 7)).shape
        ember.Size([1, 64, 5, 7])
    """
    check_kernel(input, "adaptive_avg_pool2d", "biu")
    out, shape4, out_shape = _adaptive_args("adaptive_avg_pool2d", input, output_size, 2, "")
    return AdaptiveAvgPool2D.apply(input, out=out, shape4=shape4, out_shape=out_shape)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """1-D average pooling to a fixed output length, whatever the input length.

    Output ``i`` averages inputs ``floor(i L / L_out)`` to ``ceil((i + 1) L / L_out)`` (exclusive).

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length ``L_out`` (an int or a 1-sequence).

    Returns:
        ``(N, C, L_out)`` or ``(C, L_out)``.

    Example:
        >>> F.adaptive_avg_pool1d(ember.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2)
        tensor([[2., 4.]])
    """
    check_kernel(input, "adaptive_avg_pool2d", "biu")
    out, shape4, out_shape = _adaptive_args("adaptive_avg_pool1d", input, output_size, 1, "")
    return AdaptiveAvgPool2D.apply(input, out=out, shape4=shape4, out_shape=out_shape)


def _adaptive_taps(size: int, out: int) -> np.ndarray:
    """``(out, kmax)`` input indices of each window, the short ones padded by repeating their
    last index (a repeat never changes a max nor its first position)."""
    start, end = _adaptive_bounds(size, out)
    kmax = int((end - start).max()) if out else 1
    return np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1)


class AdaptiveMaxPool2D(_ArgMaxPool):
    """Max over PyTorch's adaptive windows; indices and gradient as in max_pool2d."""

    @staticmethod
    def forward(ctx, x, *, out, shape4, out_shape):
        n, c, _h, w = shape4
        th, tw = _adaptive_taps(shape4[2], out[0]), _adaptive_taps(w, out[1])
        kh, kw = th.shape[1], tw.shape[1]
        win = x.reshape(shape4)[:, :, th[:, :, None, None], tw[None, None]]  # (N,C,Oh,kh,Ow,kw)
        win = win.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, out[0], out[1], kh * kw)
        values, tap = _window_max(win)
        ki, kj = np.divmod(tap, kw)
        ih = np.take_along_axis(np.broadcast_to(th[:, None, :], (out[0], out[1], kh)),
                                ki.reshape(-1, out[0], out[1]).transpose(1, 2, 0), axis=2)
        iw = np.take_along_axis(np.broadcast_to(tw[None, :, :], (out[0], out[1], kw)),
                                kj.reshape(-1, out[0], out[1]).transpose(1, 2, 0), axis=2)
        idx = (ih * w + iw).transpose(2, 0, 1).astype(np.int64)
        return AdaptiveMaxPool2D._outputs(ctx, values, idx, x.shape, shape4, out_shape)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """:func:`adaptive_max_pool2d` returning ``(output, indices)``.

    Args:
        input, output_size: as :func:`adaptive_max_pool2d`.
        return_indices: ignored: the indices (flat positions ``h * W + w``) are always returned.

    Example:
        >>> F.adaptive_max_pool2d_with_indices(ember.arange(16.0).reshape(1, 4, 4), 1)[1]
        tensor([[[15]]])
    """
    out, shape4, out_shape = _adaptive_args("adaptive_max_pool2d", input, output_size, 2, ":")
    return AdaptiveMaxPool2D.apply(input, out=out, shape4=shape4, out_shape=out_shape)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """:func:`adaptive_max_pool1d` returning ``(output, indices)``.

    Args:
        input, output_size: as :func:`adaptive_max_pool1d`.
        return_indices: ignored: the indices are always returned.

    Example:
        >>> F.adaptive_max_pool1d_with_indices(ember.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)[1]
        tensor([[1, 3]])
    """
    out, shape4, out_shape = _adaptive_args("adaptive_max_pool1d", input, output_size, 1, ":")
    return AdaptiveMaxPool2D.apply(input, out=out, shape4=shape4, out_shape=out_shape)


# -- max pooling -------------------------------------------------------------------------------
def _max_pool2d_impl(input, kernel_size, stride, padding, dilation, ceil_mode,
                     compact=False):
    kernel, stride, padding = _parse2d("max_pool2d", kernel_size, stride, padding)
    dilation = _parse(dilation, 2, "max_pool2d: dilation must be either a single int, or a tuple "
                      "of two ints")
    shape = tuple(input.shape)
    if len(shape) not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out = _geometry2d(shape, kernel, stride, padding, dilation, ceil_mode)
    return MaxPool2DWithIndices.apply(
        input, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out=out,
        shape4=_canonical(shape, 2), out_shape=_pooled_shape(shape, 2, out), compact=compact)


def _max_pool1d_impl(input, kernel_size, stride, padding, dilation, ceil_mode,
                     compact=False):
    shape = tuple(input.shape)
    if len(shape) not in (2, 3) or any(n == 0 for n in shape[-2:]):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(shape)}"
        )
    k, s, p, d = _parse1d(
        {"kernel_size": kernel_size, "stride": stride, "padding": padding, "dilation": dilation},
        "max_pool1d() {what} must be an int, list of ints or tuple of ints of size 1 but got "
        "size {size}")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}"
        )
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _out_size(shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return MaxPool2DWithIndices.apply(
        input, kernel=(1, k), stride=(1, s), padding=(0, p), dilation=(1, d), out=(1, out),
        shape4=_canonical(shape, 1), out_shape=(*shape[:-1], out), compact=compact)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """:func:`max_pool2d` returning ``(output, indices)``.

    Args:
        input, kernel_size, stride, padding, dilation, ceil_mode: as :func:`max_pool2d`.
        return_indices: ignored: the indices (flat positions ``h * W + w``) are always returned.

    Example:
        >>> out, idx = F.max_pool2d_with_indices(ember.arange(16.0).reshape(1, 4, 4), 2)
        >>> idx
        tensor([[[ 5,  7],
                 [13, 15]]])
    """
    return _max_pool2d_impl(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = True):
    """:func:`max_pool1d` returning ``(output, indices)``.

    Args:
        input, kernel_size, stride, padding, dilation, ceil_mode: as :func:`max_pool1d`.
        return_indices: ignored: the indices are always returned.

    Example:
        >>> F.max_pool1d_with_indices(ember.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)[1]
        tensor([[1, 3]])
    """
    return _max_pool1d_impl(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size: window size (int or pair).
        stride: window step; defaults to ``kernel_size``.
        padding: implicit ``-inf`` on both sides, at most half the kernel.
        dilation: spacing between the elements of a window.
        ceil_mode: round the output size up (a last, partial window), as long as that window
            starts inside the input or the left padding.
        return_indices: also return the flat position (``h * W + w``) of each maximum, for
            ``max_unpool2d``.

    Returns:
        ``(N, C, H_out, W_out)`` with ``H_out = (H + 2p - d (k - 1) - 1) // stride + 1``
        (rounded up in ceil mode), and the indices if asked.

    Example:
        >>> F.max_pool2d(ember.randn(1, 3, 32, 32), 2).shape
        ember.Size([1, 3, 16, 16])
    """
    out, idx = _max_pool2d_impl(input, kernel_size, stride, padding, dilation, ceil_mode,
                                compact=not return_indices)
    return (out, idx) if return_indices else out


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling of ``(N, C, L)`` or ``(C, L)``, as :func:`max_pool2d` over one dim.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window size (an int or a 1-sequence).
        stride: window step; defaults to ``kernel_size``.
        padding: implicit ``-inf`` on both ends, at most half the kernel.
        dilation: spacing between the elements of a window.
        ceil_mode: round the output length up (a last, partial window).
        return_indices: also return the position of each maximum along ``L``.

    Returns:
        ``(N, C, L_out)`` with ``L_out = (L + 2p - d (k - 1) - 1) // stride + 1`` (rounded up
        in ceil mode), and the indices if asked.

    Example:
        >>> F.max_pool1d(ember.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)
        tensor([[3., 5.]])
    """
    out, idx = _max_pool1d_impl(input, kernel_size, stride, padding, dilation, ceil_mode,
                                compact=not return_indices)
    return (out, idx) if return_indices else out


# -- adaptive pooling --------------------------------------------------------------------------
def _adaptive_args(name: str, input: Tensor, output_size, nd: int, batch_words: str) -> tuple:
    shape = tuple(input.shape)
    if nd == 2:
        if len(shape) not in (3, 4):
            raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got{batch_words} "
                               f"{list(shape)}")
        if isinstance(output_size, (tuple, list)):
            if len(output_size) != 2:
                raise RuntimeError(f"{name}: output_size must be 2")
            size = tuple(shape[-2 + i] if o is None else int(o) for i, o in enumerate(output_size))
        else:
            size = (int(output_size),) * 2
    else:
        if len(shape) not in (2, 3):
            raise RuntimeError(
                f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional tensor for "
                f"argument #1 'self' (while checking arguments for {name})"
            )
        o = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
        if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
            raise RuntimeError(f"{name}: output_size must be 1")
        size = (1, shape[-1] if o is None else int(o))
    for dim in range(1 if len(shape) == nd + 2 else 0, len(shape)):
        if shape[dim] == 0:
            name2 = name.replace("1d", "2d")
            raise RuntimeError(
                f"{name2}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(shape)} with dimension {dim} being empty"
            )
    if any(s < 0 for s in size):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {list(size[2 - nd:])}")
    return size, _canonical(shape, nd), shape[:-nd] + size[2 - nd:]


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """2-D max pooling over the windows of :func:`adaptive_avg_pool2d`.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        output_size: int or pair; ``None`` in the pair keeps that input size.
        return_indices: also return the flat position of each maximum.

    Example:
        >>> F.adaptive_max_pool2d(ember.randn(1, 8, 10, 9), 3).shape
        ember.Size([1, 8, 3, 3])
    """
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """1-D max pooling over the windows of :func:`adaptive_avg_pool1d`.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        output_size: the output length ``L_out`` (an int or a 1-sequence).
        return_indices: also return the position of each maximum along ``L``.

    Returns:
        ``(N, C, L_out)`` or ``(C, L_out)``, and the indices if asked.

    Example:
        >>> F.adaptive_max_pool1d(ember.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)
        tensor([[3., 5.]])
    """
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out

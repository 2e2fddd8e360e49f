"""Convolutions: conv1d, conv2d and their transposes, as a compiled im2col plus one matrix
product per group and chunk of samples.

Everything runs on a canonical 2-D layout: a 1-D convolution is a 2-D one over a height of 1,
and an unbatched input gets a batch of 1. The column matrix ``(C*kh*kw, n*Ho*Wo)`` of a chunk
of ``n`` samples is built by ``kernels.conv.im2col`` into one buffer, so the batch is folded
into the columns of a single product; ``kernels.conv.col2im`` is its adjoint (input gradient,
transposed forward). Only the input and weight are saved for backward; depthwise convolutions
run direct kernels. ``sliding_windows``, ``col2im_add`` and ``pad2d`` are the strided-view
helpers the poolings use.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ember._dtype import scalar_type_name
from ember.autograd.function import ArrayFunction
from ember.backend import get_backend
from ember.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def sliding_windows(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple,
                    out: tuple) -> np.ndarray:
    """A read-only view ``(N, C, kh, kw, Ho, Wo)`` of every window of ``xp`` ``(N, C, H, W)``.

    ``view[n, c, i, j, h, w] = xp[n, c, h*sh + i*dh, w*sw + j*dw]``; nothing is copied.
    """
    sn, sc, sh, sw = xp.strides
    n, c = xp.shape[:2]
    return as_strided(
        xp, (n, c, kernel[0], kernel[1], out[0], out[1]),
        (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]),
        writeable=False,
    )


def col2im_add(target: np.ndarray, cols: np.ndarray, stride: tuple, dilation: tuple,
               channels_last: bool = False) -> None:
    """Adds ``cols`` ``(N, C, kh, kw, Ho, Wo)`` back into ``target`` ``(N, C, H, W)``.

    The adjoint of :func:`sliding_windows`: one strided slice-add per kernel tap, so
    overlapping windows accumulate. With ``channels_last``, ``target`` is ``(N, H, W, *C)``
    and ``cols`` ``(N, Ho, Wo, *C, kh, kw)``: faster when output rows are short.
    """
    if channels_last:
        (ho, wo), (kh, kw) = cols.shape[1:3], cols.shape[-2:]
        lead = (slice(None),)
    else:
        kh, kw, ho, wo = cols.shape[2:]
        lead = (slice(None), slice(None))
    for i in range(kh):
        h0 = i * dilation[0]
        hs = slice(h0, h0 + stride[0] * (ho - 1) + 1, stride[0])
        for j in range(kw):
            w0 = j * dilation[1]
            tap = cols[..., i, j] if channels_last else cols[:, :, i, j]
            target[(*lead, hs, slice(w0, w0 + stride[1] * (wo - 1) + 1, stride[1]))] += tap


def pad2d(x: np.ndarray, pads: tuple, value=0) -> np.ndarray:
    """Pads the last two axes by ``pads = ((top, bottom), (left, right))`` (no copy if zero)."""
    if not any(pads[0]) and not any(pads[1]):
        return x
    return np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=value)


#: Bounds on the elements of the column matrix built at once: larger batches are convolved in
#: chunks of samples, each chunk's columns at most as many as the layer's input has elements
#: (within these bounds), so the patches never dominate a step's memory.
_CHUNK_ELEMENTS = 1 << 19
_MIN_CHUNK_ELEMENTS = 1 << 16


def _chunks(n: int, per_sample: int, input_size: int) -> list:
    """``[(start, stop), ...]``: the batch in chunks of at most ``min(_CHUNK_ELEMENTS,
    max(_MIN_CHUNK_ELEMENTS, input_size))`` patch elements (at least one sample each)."""
    limit = min(_CHUNK_ELEMENTS, max(_MIN_CHUNK_ELEMENTS, input_size))
    step = max(1, limit // max(per_sample, 1))
    return [(start, min(start + step, n)) for start in range(0, n, step)] or [(0, 0)]


def _kernels():
    return get_backend().kernels("conv")


def _to_rows(a: np.ndarray, groups: int, out: np.ndarray) -> np.ndarray:
    """``a`` ``(n, C, L)`` written channel-major into ``out``, returned as ``(G, C/G, n*L)``."""
    n, c, length = a.shape
    rows = out[:c * n * length].reshape(c, n, length)
    np.copyto(rows, a.swapaxes(0, 1))
    return rows.reshape(groups, c // groups, n * length)


def _from_rows(rows: np.ndarray, target: np.ndarray, bias) -> None:
    """``rows`` ``(C, n*L)`` written sample-major into ``target`` ``(n, C, L)`` (+ ``bias``)."""
    n, c, length = target.shape
    src = rows.reshape(c, n, length).swapaxes(0, 1)
    if bias is None:
        np.copyto(target, src)
    else:
        np.add(src, bias.reshape(1, c, 1), out=target)


def _is_depthwise(c: int, groups: int) -> bool:
    return groups == c and groups > 1


class Convolution(ArrayFunction):
    """N-d convolution (N = 1, 2) on arrays already in the canonical 4-D layout.

    ``x`` ``(N, C, H, W)``, ``w`` ``(O, C/G, kh, kw)``, ``b`` ``(O,)`` or None; ``pads`` is
    ``((top, bottom), (left, right))``. ``shapes`` holds the caller's original input and
    weight shapes, which the gradients are given back in.

    One matrix product per group and chunk of samples: ``w (G, O/G, K) @ cols (G, K, n*L)``
    with ``cols`` the column matrix of the chunk (``kernels.conv.im2col``: ``K = C/G*kh*kw``
    rows, the samples' output pixels ``n*L`` side by side). Only ``x`` and ``w`` are saved;
    backward builds ``cols`` again for the weight gradient and reuses its buffer for the
    gradient of the columns, which ``col2im`` adds back into the pixels. A depthwise
    convolution (one input channel per group) runs the direct kernels instead.
    """

    @staticmethod
    def forward(ctx, x, w, b, *, stride, pads, dilation, groups, shapes):
        x4, w4 = np.ascontiguousarray(x.reshape(shapes[2])), w.reshape(shapes[3])
        n, c, h, wd = x4.shape
        o, cg, kh, kw = w4.shape
        ho = (h + sum(pads[0]) - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wd + sum(pads[1]) - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        geometry = ((kh, kw), stride, dilation, (pads[0][0], pads[1][0]), (ho, wo))
        ctx.geometry = (geometry, groups, shapes)
        ctx.save_for_backward(x, w)
        kernels = _kernels()
        if _is_depthwise(c, groups):
            out = kernels.depthwise_forward(x4, w4, b, stride, dilation, *geometry[3:])
            return out.reshape(_out_shape(x.shape, shapes, o, ho, wo))
        length, k = ho * wo, cg * kh * kw
        out = np.empty((n, o, length), dtype=x.dtype)
        chunks = _chunks(n, c * kh * kw * length, x4.size)
        cols = np.empty(c * kh * kw * (chunks[0][1] - chunks[0][0]) * length, dtype=x.dtype)
        prod = np.empty(o * (chunks[0][1] - chunks[0][0]) * length, dtype=x.dtype)
        wg = w4.reshape(groups, o // groups, k)
        for start, stop in chunks:
            size = (stop - start) * length
            im = kernels.im2col(x4[start:stop], *geometry, buffer=cols[:c * kh * kw * size])
            rows = prod[:o * size].reshape(groups, o // groups, size)
            np.matmul(wg, im.reshape(groups, k, size), out=rows)
            _from_rows(rows, out[start:stop], b)
        return out.reshape(_out_shape(x.shape, shapes, o, ho, wo))

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        geometry, groups, shapes = ctx.geometry
        (kh, kw), stride, dilation, lo, (ho, wo) = geometry
        x4, w4 = np.ascontiguousarray(x.reshape(shapes[2])), w.reshape(shapes[3])
        n, c, h, wd = x4.shape
        o, cg = w4.shape[:2]
        g = np.ascontiguousarray(grad).reshape(n, o, ho, wo)
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        if need_b:
            gb = g.sum(axis=(0, 2, 3))
        kernels = _kernels()
        if _is_depthwise(c, groups):
            if need_x:
                gx = kernels.depthwise_grad_input(g, w4, x4.shape, stride, dilation, lo)
                gx = gx.reshape(shapes[0])
            if need_w:
                gw = kernels.depthwise_grad_weight(g, x4, (kh, kw), stride, dilation, lo)
                gw = gw.reshape(shapes[1])
            return gx, gw, gb
        length, k = ho * wo, cg * kh * kw
        chunks = _chunks(n, c * kh * kw * length, x4.size)
        width = (chunks[0][1] - chunks[0][0]) * length
        cols = np.empty(c * kh * kw * width, dtype=grad.dtype)
        gt = np.empty(o * width, dtype=grad.dtype)
        wg = w4.reshape(groups, o // groups, k)
        if need_x:
            gx = np.empty((n, c, h, wd), dtype=grad.dtype)
        if need_w:
            gw = np.zeros((groups, o // groups, k), dtype=grad.dtype)
        for start, stop in chunks:
            size = (stop - start) * length
            rows = _to_rows(g[start:stop].reshape(stop - start, o, length), groups, gt)
            buffer = cols[:c * kh * kw * size]
            if need_w:
                # d w[g] = d out[g] (O/G, n*L) @ cols[g]^T (n*L, K)
                im = kernels.im2col(x4[start:stop], *geometry, buffer=buffer)
                gw += np.matmul(rows, im.reshape(groups, k, size).swapaxes(-1, -2))
            if need_x:
                # d cols[g] = w[g]^T (K, O/G) @ d out[g], added back into the pixels read
                gcols = np.matmul(wg.swapaxes(-1, -2), rows,
                                  out=buffer.reshape(groups, k, size))
                kernels.col2im(gcols, (stop - start, c, h, wd), *geometry, target=gx[start:stop])
        if need_x:
            gx = gx.reshape(shapes[0])
        if need_w:
            gw = gw.reshape(shapes[1])
        return gx, gw, gb


class TransposedConvolution(ArrayFunction):
    """The transposed 2-D convolution (the adjoint of :class:`Convolution` in its input).

    ``x`` ``(N, C_in, H, W)``, ``w`` ``(C_in, C_out/G, kh, kw)``, ``b`` ``(C_out,)`` or None.
    Its forward is a convolution's input gradient: ``cols = w[g]^T @ x[g]`` (one product per
    group and chunk of samples, the pixels ``n*H*W`` side by side), then ``col2im`` adds every
    column into the output pixels of its window. The output has ``(H - 1) stride + d (kh - 1)
    + 1 + output_padding`` rows before ``pads[0][0]`` rows are cut at the top (and
    ``pads[0][1]`` at the bottom); the same for columns. Backward is that convolution's forward
    (``im2col`` of the gradient) and weight gradient; one input channel and one output channel
    per group run the depthwise kernels.
    """

    @staticmethod
    def forward(ctx, x, w, b, *, stride, pads, dilation, groups, output_padding, shapes):
        x4, w4 = np.ascontiguousarray(x.reshape(shapes[2])), w.reshape(shapes[3])
        n, c_in, h, wd = x4.shape
        _, og, kh, kw = w4.shape
        c_out = og * groups
        size = tuple((i - 1) * s + d * (k - 1) + 1 + op - sum(p) for i, s, d, k, op, p in zip(
            (h, wd), stride, dilation, (kh, kw), output_padding, pads, strict=True))
        geometry = ((kh, kw), stride, dilation, (pads[0][0], pads[1][0]), (h, wd))
        ctx.geometry = (geometry, groups, size, shapes)
        ctx.save_for_backward(x, w)
        kernels = _kernels()
        if _is_depthwise(c_in, groups) and og == 1:
            out = kernels.depthwise_grad_input(x4, w4, (n, c_out, *size), stride, dilation,
                                               geometry[3])
        else:
            out = np.empty((n, c_out, *size), dtype=x.dtype)
            length, k = h * wd, og * kh * kw
            chunks = _chunks(n, c_out * kh * kw * length, x4.size)
            width = (chunks[0][1] - chunks[0][0]) * length
            cols = np.empty(c_out * kh * kw * width, dtype=x.dtype)
            xt = np.empty(c_in * width, dtype=x.dtype)
            wt = w4.reshape(groups, c_in // groups, k).swapaxes(-1, -2)
            for start, stop in chunks:
                rows = _to_rows(x4[start:stop].reshape(stop - start, c_in, length), groups, xt)
                im = np.matmul(wt, rows, out=cols[:c_out * kh * kw * rows.shape[-1]].reshape(
                    groups, k, rows.shape[-1]))
                kernels.col2im(im, out[start:stop].shape, *geometry, target=out[start:stop])
        if b is not None:
            out += b.reshape(1, c_out, 1, 1)
        spatial = size if len(shapes[1]) == 4 else size[1:]
        lead = () if len(shapes[0]) == len(shapes[1]) - 1 else (n,)
        return out.reshape((*lead, c_out, *spatial))

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        geometry, groups, size, shapes = ctx.geometry
        (kh, kw), stride, dilation, lo, (h, wd) = geometry
        x4, w4 = np.ascontiguousarray(x.reshape(shapes[2])), w.reshape(shapes[3])
        n, c_in = x4.shape[:2]
        og = w4.shape[1]
        c_out = og * groups
        g = np.ascontiguousarray(grad).reshape(n, c_out, *size)
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        if need_b:
            gb = g.sum(axis=(0, 2, 3))
        kernels = _kernels()
        if _is_depthwise(c_in, groups) and og == 1:
            if need_x:
                gx = kernels.depthwise_forward(g, w4, None, stride, dilation, lo, (h, wd))
                gx = gx.reshape(shapes[0])
            if need_w:
                gw = kernels.depthwise_grad_weight(x4, g, (kh, kw), stride, dilation, lo)
                gw = gw.reshape(shapes[1])
            return gx, gw, gb
        length, k = h * wd, og * kh * kw
        chunks = _chunks(n, c_out * kh * kw * length, x4.size)
        width = (chunks[0][1] - chunks[0][0]) * length
        cols = np.empty(c_out * kh * kw * width, dtype=grad.dtype)
        xt = np.empty(c_in * width, dtype=grad.dtype)
        prod = np.empty(c_in * width, dtype=grad.dtype)
        wg = w4.reshape(groups, c_in // groups, k)
        if need_x:
            gx = np.empty((n, c_in, length), dtype=grad.dtype)
        if need_w:
            gw = np.zeros((groups, c_in // groups, k), dtype=grad.dtype)
        for start, stop in chunks:
            span = (stop - start) * length
            im = kernels.im2col(g[start:stop], *geometry, buffer=cols[:c_out * kh * kw * span])
            im = im.reshape(groups, k, span)
            if need_x:
                # d x[g] = w[g] (C_in/G, K) @ cols[g]: the convolution of the gradient
                rows = prod[:c_in * span].reshape(groups, c_in // groups, span)
                np.matmul(wg, im, out=rows)
                _from_rows(rows, gx[start:stop], None)
            if need_w:
                rows = _to_rows(x4[start:stop].reshape(stop - start, c_in, length), groups, xt)
                gw += np.matmul(rows, im.swapaxes(-1, -2))
        if need_x:
            gx = gx.reshape(shapes[0])
        if need_w:
            gw = gw.reshape(shapes[1])
        return gx, gw, gb


def _out_shape(x_shape: tuple, shapes: tuple, o: int, ho: int, wo: int) -> tuple:
    nd = len(shapes[1]) - 2  # spatial dims of the caller's weight
    spatial = (ho, wo) if nd == 2 else (wo,)
    if len(x_shape) == nd + 1:  # unbatched
        return (o, *spatial)
    return (x_shape[0], o, *spatial)


def _expand(value, n: int, name: str) -> tuple:
    if isinstance(value, (tuple, list)):
        value = tuple(int(v) for v in value)
        if len(value) == 1:
            return value * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match "
                f"the convolution dimensions, but got {name}={list(value)}"
            )
        return value
    return (int(value),) * n


def _check_input(xs: tuple, ws: tuple, nd: int, name: str, weight_message: str) -> tuple:
    """PyTorch's checks of the input's and weight's ranks; returns the batched input shape."""
    if len(xs) not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(xs)}"
        )
    batched = xs if len(xs) == nd + 2 else (1, *xs)
    if len(ws) != nd + 2:
        raise RuntimeError(weight_message.format(n=len(batched), batched=list(batched)))
    return batched


def _conv_pads(padding, stride: tuple, dilation: tuple, kernel: tuple, nd: int) -> tuple:
    """``((lo, hi), ...)`` per spatial dim from an int, a sequence, ``'valid'`` or ``'same'``."""
    if not isinstance(padding, str):
        return tuple((p, p) for p in _expand(padding, nd, "padding"))
    if padding == "valid":
        return ((0, 0),) * nd
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: {padding!r}")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    # PyTorch's rule: the odd one out of an even total goes to the end
    totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _check_positive(stride: tuple, pads: tuple, dilation: tuple, groups: int) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for pair in pads for p in pair):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_shapes(batched: tuple, ws: tuple, bias, groups: int, pads: tuple,
                  dilation: tuple) -> None:
    """PyTorch's checks of groups, channels, bias and kernel size for a convolution."""
    if ws[0] < groups or ws[0] % groups:
        what = "at least" if ws[0] < groups else "divisible by"
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be {what} {groups} at dimension 0, but "
            f"got weight of size {list(ws)} instead"
        )
    if batched[1] != ws[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(ws)}, expected input{list(batched)} to "
            f"have {ws[1] * groups} channels, but got {batched[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != ws[0]):
        raise RuntimeError(
            f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with {ws[0]} "
            f"elements, but got bias of size {list(bias.shape)} instead"
        )
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(batched[2:], pads, strict=True))
    effective = tuple(d * (k - 1) + 1 for d, k in zip(dilation, ws[2:], strict=True))
    if any(e > p for e, p in zip(effective, padded, strict=True)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater "
            "than actual input size"
        )


def _check_dtypes(input: Tensor, weight: Tensor, bias=None) -> None:
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type_name(input._data.dtype)} but found "
            f"{scalar_type_name(weight._data.dtype)}"
        )
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(
            f"Input type ({scalar_type_name(input._data.dtype).lower()}) and bias type "
            f"({scalar_type_name(bias._data.dtype).lower()}) should be the same"
        )


def _as_2d(batched: tuple, ws: tuple, stride: tuple, dilation: tuple, pads: tuple) -> tuple:
    """The canonical 2-D geometry: a 1-D convolution is a 2-D one over a height of 1."""
    if len(ws) == 4:
        return batched, ws, stride, dilation, pads
    return ((*batched[:2], 1, *batched[2:]), (*ws[:2], 1, *ws[2:]), (1, *stride),
            (1, *dilation), ((0, 0), *pads))


def _conv(input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups, nd: int):
    """Validates the arguments as PyTorch does and applies :class:`Convolution`."""
    xs, ws = tuple(input.shape), tuple(weight.shape)
    batched = _check_input(
        xs, ws, nd, f"conv{nd}d",
        f"Expected {len(ws)}-dimensional input for {len(ws)}-dimensional weight {list(ws)}, "
        f"but got {{n}}-dimensional input of size {{batched}} instead")
    stride = _expand(stride, nd, "stride")
    dilation = _expand(dilation, nd, "dilation")
    pads = _conv_pads(padding, stride, dilation, ws[2:], nd)
    _check_positive(stride, pads, dilation, groups)
    _check_shapes(batched, ws, bias, groups, pads, dilation)
    _check_dtypes(input, weight, bias)
    x4, w4, stride, dilation, pads = _as_2d(batched, ws, stride, dilation, pads)
    return Convolution.apply(
        input, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups,
        shapes=(xs, ws, x4, w4),
    )


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation, as in PyTorch) over an input of several planes.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, k)``.
        bias: optional ``(C_out,)``.
        stride: step between windows (int or 1-tuple).
        padding: zeros added at both ends (int or 1-tuple), or ``'valid'`` (none) or
            ``'same'`` (output as long as the input; stride 1 only, the extra zero of an even
            total goes to the end).
        dilation: spacing between kernel taps.
        groups: split the channels into this many independent convolutions.

    Returns:
        ``(N, C_out, L_out)`` with ``L_out = (L + 2p - d (k - 1) - 1) // stride + 1``.

    Example:
        >>> F.conv1d(ember.randn(8, 4, 50), ember.randn(16, 4, 3), padding="same").shape
        ember.Size([8, 16, 50])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) over an input of several planes.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, kh, kw)``.
        bias: optional ``(C_out,)``.
        stride: step between windows (int or pair).
        padding: zeros added on both sides (int or pair), or ``'valid'`` / ``'same'``.
        dilation: spacing between kernel taps (int or pair).
        groups: split the channels into this many independent convolutions
            (``groups == C_in`` is a depthwise convolution).

    Returns:
        ``(N, C_out, H_out, W_out)`` with ``H_out = (H + 2p - d (kh - 1) - 1) // stride + 1``.

    Example:
        >>> F.conv2d(ember.randn(1, 3, 32, 32), ember.randn(8, 3, 3, 3), padding=1).shape
        ember.Size([1, 8, 32, 32])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def _conv_transpose(input: Tensor, weight: Tensor, bias, stride, padding, output_padding,
                    groups, dilation, nd: int):
    """Validates the arguments as PyTorch does and applies :class:`TransposedConvolution`."""
    xs, ws = tuple(input.shape), tuple(weight.shape)
    batched = _check_input(xs, ws, nd, f"conv_transpose{nd}d",
                           f"weight should have {nd + 2} dimensions, got {len(ws)}")
    stride = _expand(stride, nd, "stride")
    dilation = _expand(dilation, nd, "dilation")
    padding = _expand(padding, nd, "padding")
    output_padding = _expand(output_padding, nd, "output_padding")
    pads = tuple((p, p) for p in padding)
    _check_positive(stride, pads, dilation, groups)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation,
                                                    strict=True)):
        axes = ("height", "width") if nd == 2 else ("width",)
        parts = [f"output_padding_{a}: {v}" for a, v in zip(axes, output_padding, strict=True)]
        parts += [f"stride_{a}: {v}" for a, v in zip(axes, stride, strict=True)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(axes, dilation, strict=True)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got {' '.join(parts)}")
    if ws[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{list(ws)}] instead")
    if batched[1] != ws[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(ws)}, expected input{list(batched)} to "
            f"have {ws[0]} channels, but got {batched[1]} channels instead")
    c_out = ws[1] * groups
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != c_out):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(ws)}, expected bias to be 1-dimensional "
            f"with {c_out} elements, but got bias of size {list(bias.shape)} instead")
    sizes = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in zip(
        batched[2:], stride, padding, dilation, ws[2:], output_padding, strict=True)]
    if any(size <= 0 for size in sizes):
        raise RuntimeError(f"Given input size per channel: {list(batched[2:])}. Calculated "
                           f"output size per channel: {sizes}. Output size is too small")
    _check_dtypes(input, weight)
    x4, w4, stride, dilation, pads = _as_2d(batched, ws, stride, dilation, pads)
    output_padding = (0,) * (2 - nd) + output_padding
    return TransposedConvolution.apply(
        input, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups,
        output_padding=output_padding, shapes=(xs, ws, x4, w4))


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution ("deconvolution"), the adjoint of :func:`conv1d`.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_in, C_out / groups, k)``.
        bias: optional ``(C_out,)``.
        stride: the stride of the convolution this undoes (int or 1-tuple).
        padding: the padding of that convolution: ``dilation * (k - 1) - padding`` zeros are
            added to both ends of the input (int or 1-tuple).
        output_padding: extra size added to one end of the output (less than the stride or the
            dilation), to pick among the lengths a strided convolution maps to one size.
        groups: split the channels into this many independent convolutions.
        dilation: spacing between kernel taps.

    Returns:
        ``(N, C_out, L_out)`` with ``L_out = (L - 1) stride - 2p + d (k - 1) + op + 1``.

    Example:
        >>> F.conv_transpose1d(ember.randn(8, 16, 50), ember.randn(16, 4, 3), stride=2).shape
        ember.Size([8, 4, 101])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution ("deconvolution"), the adjoint of :func:`conv2d`.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, kh, kw)``.
        bias: optional ``(C_out,)``.
        stride: the stride of the convolution this undoes (int or pair).
        padding: the padding of that convolution: ``dilation * (k - 1) - padding`` zeros are
            added to both sides of each spatial dim (int or pair).
        output_padding: extra size added to one side of each output dim (less than the stride or
            the dilation).
        groups: split the channels into this many independent convolutions.
        dilation: spacing between kernel taps (int or pair).

    Returns:
        ``(N, C_out, H_out, W_out)`` with ``H_out = (H - 1) stride - 2p + d (kh - 1) + op + 1``.

    Example:
        >>> F.conv_transpose2d(ember.randn(1, 4, 5, 5), ember.randn(4, 8, 3, 3), padding=1).shape
        ember.Size([1, 8, 5, 5])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2)

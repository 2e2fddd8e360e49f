"""Convolutions: conv1d and conv2d as im2col (strided views) plus one batched matmul.

Both run through one op, :class:`Convolution`, on a canonical 2-D layout: a 1-D convolution is
a 2-D one over a height of 1, and an unbatched input gets a batch of 1. The column matrix is a
strided view of the (padded) input with shape ``(N, G, C/G, kh, kw, Ho, Wo)``, so reshaping it
to ``(N, G, K, Ho*Wo)`` is the only copy and the output ``w @ cols`` comes out already in
``(N, C_out, Ho, Wo)`` order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ember._dtype import scalar_type_name
from ember.autograd.function import ArrayFunction
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


_CHUNK_ELEMENTS = 1 << 21  # bound on the batch of weight-gradient products summed at once
_CHANNELS_LAST_BELOW = 16  # output widths under which col2im accumulates channels-last


class Convolution(ArrayFunction):
    """N-d convolution (N = 1, 2) on arrays already in the canonical 4-D layout.

    ``x`` ``(N, C, H, W)``, ``w`` ``(O, C/G, kh, kw)``, ``b`` ``(O,)`` or None; ``pads`` is
    ``((top, bottom), (left, right))``. ``shapes`` holds the caller's original input and
    weight shapes, which the gradients are given back in.
    """

    @staticmethod
    def forward(ctx, x, w, b, *, stride, pads, dilation, groups, shapes):
        x4, w4 = x.reshape(shapes[2]), w.reshape(shapes[3])
        n, _c, _h, _wd = x4.shape
        o, cg, kh, kw = w4.shape
        xp = pad2d(x4, pads)
        ho = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        k = cg * kh * kw
        cols = sliding_windows(xp, (kh, kw), stride, dilation, (ho, wo))
        cols = cols.reshape(n, groups, k, ho * wo)  # the im2col copy
        wg = w4.reshape(groups, o // groups, k)
        out = np.matmul(wg, cols).reshape(n, o, ho, wo)
        if b is not None:
            out += b.reshape(1, o, 1, 1)
        ctx.geometry = (xp.shape, (ho, wo), stride, pads, dilation, groups, shapes)
        # x is saved only so that autograd sees in-place changes to it (as PyTorch does)
        ctx.save_for_backward(cols, w, x)
        return out.reshape(_out_shape(x.shape, shapes, o, ho, wo))

    @staticmethod
    def backward(ctx, grad):
        cols, w, _ = ctx.saved_tensors
        padded, (ho, wo), stride, pads, dilation, groups, shapes = ctx.geometry
        n, c, h, wd = shapes[2]
        o, cg, kh, kw = shapes[3]
        g = grad.reshape(n, groups, o // groups, -1)  # (N, G, Og, L)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            # d cols = w^T @ g, then scatter every column back to the pixels it was read from
            wg = w.reshape(groups, o // groups, cg * kh * kw)
            top, left = pads[0][0], pads[1][0]
            if wo >= _CHANNELS_LAST_BELOW:
                if o == groups:  # one output per group (depthwise): an outer product
                    gcols = wg.swapaxes(-1, -2) * g  # (N, G, K, L)
                else:
                    gcols = np.matmul(wg.swapaxes(-1, -2), g)
                gxp = np.zeros(padded, dtype=grad.dtype)
                col2im_add(gxp, gcols.reshape(n, c, kh, kw, ho, wo), stride, dilation)
                gx = gxp[:, :, top:top + h, left:left + wd]
            else:
                # short rows: accumulate channels-last, so each slice-add runs over (W, C)
                gt = g.swapaxes(-1, -2)  # (N, G, L, Og)
                gcols = gt * wg if o == groups else np.matmul(gt, wg)  # (N, G, L, K)
                gcols = gcols.reshape(n, groups, ho, wo, cg, kh, kw).transpose(0, 2, 3, 1, 4, 5, 6)
                gxp = np.zeros((n, padded[2], padded[3], groups, cg), dtype=grad.dtype)
                col2im_add(gxp, gcols, stride, dilation, channels_last=True)
                gx = gxp[:, top:top + h, left:left + wd].reshape(n, h, wd, c).transpose(0, 3, 1, 2)
            gx = np.ascontiguousarray(gx).reshape(shapes[0])
        if ctx.needs_input_grad[1]:
            # d w[g] = sum_n g[n, g] @ cols[n, g]^T, over batch chunks whose per-sample
            # products (G, Og, K) stay within a few MB
            per_sample = o * cg * kh * kw
            step = max(1, _CHUNK_ELEMENTS // max(per_sample, 1))
            gw = np.matmul(g[:step], cols[:step].swapaxes(-1, -2)).sum(axis=0)
            for start in range(step, n, step):
                gw += np.matmul(g[start:start + step],
                                cols[start:start + step].swapaxes(-1, -2)).sum(axis=0)
            gw = gw.reshape(shapes[1])
        if ctx.needs_input_grad[2]:
            gb = g.sum(axis=(0, 3)).reshape(o)
        return gx, gw, gb


class TransposedConvolution(ArrayFunction):
    """The transposed 2-D convolution (the adjoint of :class:`Convolution` in its input).

    ``x`` ``(N, C_in, H, W)``, ``w`` ``(C_in, C_out/G, kh, kw)``, ``b`` ``(C_out,)`` or None.
    Every input pixel scatters ``w``-weighted copies of itself into a full output of
    ``(H - 1) stride + d (kh - 1) + 1 + output_padding`` rows (col2im), of which
    ``pads[0][0]`` rows are cut at the top (and ``pads[0][1]`` at the bottom); the same for
    columns. Backward gathers the gradient back through the same windows.
    """

    @staticmethod
    def forward(ctx, x, w, b, *, stride, pads, dilation, groups, output_padding, shapes):
        x4, w4 = x.reshape(shapes[2]), w.reshape(shapes[3])
        n, c_in, h, wd = x4.shape
        _, og, kh, kw = w4.shape
        c_out = og * groups
        full = tuple((size - 1) * s + d * (k - 1) + 1 + op for size, s, d, k, op in zip(
            (h, wd), stride, dilation, (kh, kw), output_padding, strict=True))
        wg = w4.reshape(groups, c_in // groups, og * kh * kw)
        xg = x4.reshape(n, groups, c_in // groups, h * wd)
        cols = np.matmul(wg.swapaxes(-1, -2), xg)  # (N, G, Og*kh*kw, H*W)
        target = np.zeros((n, c_out, *full), dtype=x.dtype)
        col2im_add(target, cols.reshape(n, c_out, kh, kw, h, wd), stride, dilation)
        (top, bottom), (left, right) = pads
        out = target[:, :, top:full[0] - bottom, left:full[1] - right]
        if b is not None:
            out = out + b.reshape(1, c_out, 1, 1)
        ctx.geometry = (full, stride, pads, dilation, groups, shapes)
        ctx.save_for_backward(x, w)
        spatial = out.shape[2:] if len(shapes[1]) == 4 else out.shape[3:]
        lead = () if len(shapes[0]) == len(shapes[1]) - 1 else (n,)
        return np.ascontiguousarray(out).reshape((*lead, c_out, *tuple(spatial)))

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        full, stride, pads, dilation, groups, shapes = ctx.geometry
        n, c_in, h, wd = shapes[2]
        _, og, kh, kw = shapes[3]
        c_out = og * groups
        (top, _), (left, _) = pads
        g4 = grad.reshape((n, c_out, *tuple(grad.shape[-2:])) if len(shapes[1]) == 4
                          else (n, c_out, 1, grad.shape[-1]))
        gfull = np.zeros((n, c_out, *full), dtype=grad.dtype)
        gfull[:, :, top:top + g4.shape[2], left:left + g4.shape[3]] = g4
        windows = sliding_windows(gfull, (kh, kw), stride, dilation, (h, wd))
        windows = windows.reshape(n, groups, og * kh * kw, h * wd)  # the im2col copy
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            wg = w.reshape(groups, c_in // groups, og * kh * kw)
            gx = np.matmul(wg, windows).reshape(shapes[0])
        if ctx.needs_input_grad[1]:
            xg = x.reshape(n, groups, c_in // groups, h * wd)
            gw = np.matmul(xg, windows.swapaxes(-1, -2)).sum(axis=0).reshape(shapes[1])
        if ctx.needs_input_grad[2]:
            gb = g4.sum(axis=(0, 2, 3))
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

"""Convolution loops: im2col, col2im and the depthwise convolution, compiled with Numba.

Geometry shared by every function: an input ``x`` ``(N, C, H, W)`` is read through windows of
``kernel = (kh, kw)`` taps spaced by ``dilation``, moved by ``stride``, starting ``pads =
(top, left)`` pixels before the input (pixels outside the input read as zero); ``out = (Ho,
Wo)`` windows per plane. Output pixel ``(oh, ow)``, tap ``(i, j)`` reads input pixel
``(oh * sh + i * dh - top, ow * sw + j * dw - left)``.

* :func:`im2col` copies every window into the column matrix ``cols`` ``(C*kh*kw, N*Ho*Wo)``:
  row ``(c, i, j)``, column ``(n, oh, ow)``. A convolution is then one matrix product
  ``w (O, C*kh*kw) @ cols`` (one per group), with the batch folded into the columns.
* :func:`col2im` is its adjoint: it adds every column back into the pixels it was read from
  (the input gradient of a convolution, the forward of a transposed one).
* :func:`depthwise_forward`, :func:`depthwise_grad_input`, :func:`depthwise_grad_weight`: a
  convolution with one input channel per group (``groups == C``, ``O = C * m``) computed
  directly, without a column matrix.

Each has a NumPy reference (``*_reference``) that states the result; the compiled loops add in
the same order, so they equal it bit for bit (``tests/nn/test_conv_fast.py``). Arrays of other
dtypes than float32 / float64 go through the reference. The compiled loops run serially below
``PARALLEL_THRESHOLD`` elements and split their planes (or rows) over threads above it.
Indices in inner loops are unsigned (signed ones stop LLVM from vectorizing).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .jit import njit, prange
from .threads import runs_parallel

__all__ = [
    "PARALLEL_THRESHOLD",
    "col2im",
    "col2im_reference",
    "depthwise_forward",
    "depthwise_forward_reference",
    "depthwise_grad_input",
    "depthwise_grad_input_reference",
    "depthwise_grad_weight",
    "depthwise_grad_weight_reference",
    "im2col",
    "im2col_reference",
]

#: Elements (of the larger array a loop writes or reads) from which the loops use threads.
PARALLEL_THRESHOLD = 1 << 16
_COMPILED = (np.dtype(np.float32), np.dtype(np.float64))


def _parallel(size: int) -> bool:
    return runs_parallel(size, PARALLEL_THRESHOLD)


def _compiled(*arrays) -> bool:
    return all(a.dtype in _COMPILED and a.dtype == arrays[0].dtype for a in arrays)


# -- NumPy references --------------------------------------------------------------------------

def _padded(x: np.ndarray, kernel, stride, dilation, pads, out) -> tuple:
    """``x`` zero-padded so that every window lies inside, and the padded size."""
    size = [max(x.shape[2 + a] + pads[a], (out[a] - 1) * stride[a]
                + (kernel[a] - 1) * dilation[a] + 1) for a in range(2)]
    xp = np.zeros((*x.shape[:2], *size), dtype=x.dtype)
    xp[:, :, pads[0]:pads[0] + x.shape[2], pads[1]:pads[1] + x.shape[3]] = x[
        :, :, :size[0] - pads[0], :size[1] - pads[1]]
    return xp


def _windows(xp: np.ndarray, kernel, stride, dilation, out) -> np.ndarray:
    """The view ``(N, C, kh, kw, Ho, Wo)`` of every window of the padded ``xp``."""
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, (*xp.shape[:2], *kernel, *out),
                      (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0],
                       sw * stride[1]), writeable=False)


def im2col_reference(x, kernel, stride, dilation, pads, out) -> np.ndarray:
    """The column matrix ``(C*kh*kw, N*Ho*Wo)`` of ``x``, by strided views (see the module)."""
    win = _windows(_padded(x, kernel, stride, dilation, pads, out), kernel, stride, dilation,
                   out)
    n, c = x.shape[:2]
    return win.transpose(1, 2, 3, 0, 4, 5).reshape(c * kernel[0] * kernel[1],
                                                   n * out[0] * out[1])


def col2im_reference(cols, shape, kernel, stride, dilation, pads, out) -> np.ndarray:
    """The adjoint of :func:`im2col_reference`: an array of ``shape`` ``(N, C, H, W)`` where
    every entry of ``cols`` is added to the pixel it was read from, tap by tap in the order
    ``(i, j)``."""
    n, c, h, w = shape
    target = _padded(np.zeros(shape, cols.dtype), kernel, stride, dilation, pads, out)
    taps = cols.reshape(c, *kernel, n, *out)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            target[:, :, _taps(i, 0, stride, dilation, out), _taps(j, 1, stride, dilation, out)] \
                += taps[:, i, j].swapaxes(0, 1)
    return np.ascontiguousarray(target[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w])


def _taps(i: int, axis: int, stride, dilation, out) -> slice:
    start = i * dilation[axis]
    return slice(start, start + stride[axis] * (out[axis] - 1) + 1, stride[axis])


def depthwise_forward_reference(x, w, bias, stride, dilation, pads, out) -> np.ndarray:
    """``y[n, c*m + q] = sum_ij x[n, c] window (i, j) * w[c*m + q, 0, i, j]`` (+ bias), taps
    added in the order ``(i, j)`` from zero, the bias last."""
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    m = o // c
    win = _windows(_padded(x, (kh, kw), stride, dilation, pads, out), (kh, kw), stride,
                   dilation, out)
    y = np.zeros((n, o, *out), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            y += np.repeat(win[:, :, i, j], m, axis=1) * w[:, 0, i, j].reshape(1, o, 1, 1)
    if bias is not None:
        y += bias.reshape(1, o, 1, 1)
    return y


def depthwise_grad_input_reference(g, w, shape, stride, dilation, pads) -> np.ndarray:
    """The input gradient of :func:`depthwise_forward_reference` for the output gradient ``g``:
    ``g[n, c*m + q] * w[c*m + q, 0, i, j]`` added back tap by tap, in the order ``(q, i, j)``."""
    _, c, h, wd = shape
    o, _, kh, kw = w.shape
    m, out = o // c, g.shape[2:]
    target = _padded(np.zeros(shape, g.dtype), (kh, kw), stride, dilation, pads, out)
    for q in range(m):
        for i in range(kh):
            for j in range(kw):
                target[:, :, _taps(i, 0, stride, dilation, out),
                       _taps(j, 1, stride, dilation, out)] += (
                    g[:, q::m] * w[q::m, 0, i, j].reshape(1, c, 1, 1))
    return np.ascontiguousarray(target[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd])


def depthwise_grad_weight_reference(g, x, kernel, stride, dilation, pads) -> np.ndarray:
    """The weight gradient ``(O, 1, kh, kw)`` of a depthwise convolution of ``x`` for the
    output gradient ``g``: per tap and output column, the products summed over ``(n, oh)`` in
    order, then those sums over the output columns in order."""
    n, c = x.shape[:2]
    o, (ho, wo) = g.shape[1], g.shape[2:]
    m = o // c
    win = _windows(_padded(x, kernel, stride, dilation, pads, (ho, wo)), kernel, stride,
                   dilation, (ho, wo))
    win = np.repeat(win, m, axis=1)  # (N, O, kh, kw, Ho, Wo)
    acc = np.zeros((o, *kernel, wo), dtype=g.dtype)
    for b in range(n):
        for oh in range(ho):
            acc += win[b, :, :, :, oh] * g[b, :, oh].reshape(o, 1, 1, wo)
    return np.cumsum(acc, axis=-1)[..., -1].reshape(o, 1, *kernel)  # a sequential sum


# -- compiled loops ----------------------------------------------------------------------------

@njit(inline="always")
def _span(offset, step, size, count):
    """``(lo, hi)``: the outputs ``t`` in ``[0, count)`` with ``0 <= t * step + offset < size``."""
    lo = 0 if offset >= 0 else (step - 1 - offset) // step
    hi = 0 if size - 1 - offset < 0 else (size - 1 - offset) // step + 1
    hi = min(hi, count)
    return min(lo, hi), hi


@njit(inline="always")
def _add_scaled(dst, d, src, s, step, cnt, scale):
    """``dst[d + t] += src[s + t*step] * scale`` for ``t < cnt`` (unit steps vectorize)."""
    if step == 1:
        for t in range(cnt):
            dst[d + t] += src[s + t] * scale
    else:
        for t in range(cnt):
            dst[d + t] += src[s + t * step] * scale


@njit(inline="always")
def _add_products(acc, a, x, s, step, g, d, cnt):
    """``acc[a + t] += x[s + t*step] * g[d + t]`` for ``t < cnt``."""
    if step == 1:
        for t in range(cnt):
            acc[a + t] += x[s + t] * g[d + t]
    else:
        for t in range(cnt):
            acc[a + t] += x[s + t * step] * g[d + t]


@njit(inline="always")
def _im2col_row(x, cols, r, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    # Row r = (ci, i, j) of the column matrix, all samples.
    j = r % kw
    i = (r // kw) % kh
    ci = r // (kh * kw)
    lo, hi = _span(j * dw - pl, sw, w, wo)
    ulo, uhi, uwo, usw = np.uint64(lo), np.uint64(hi), np.uint64(wo), np.uint64(sw)
    zero = cols.dtype.type(0)
    for b in range(n):
        for oh in range(ho):
            dst = np.uint64(r * n * ho * wo + (b * ho + oh) * wo)
            ih = oh * sh + i * dh - pt
            if ih < 0 or ih >= h:
                for t in range(uwo):
                    cols[dst + t] = zero
                continue
            src = np.uint64(((b * c + ci) * h + ih) * w + lo * sw + j * dw - pl)
            for t in range(ulo):
                cols[dst + t] = zero
            if usw == 1:
                for t in range(uhi - ulo):
                    cols[dst + ulo + t] = x[src + t]
            else:
                for t in range(uhi - ulo):
                    cols[dst + ulo + t] = x[src + t * usw]
            for t in range(uhi, uwo):
                cols[dst + t] = zero


@njit(cache=True)
def _im2col_serial(x, cols, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for r in range(c * kh * kw):
        _im2col_row(x, cols, r, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)


@njit(cache=True, parallel=True)
def _im2col_parallel(x, cols, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for r in prange(c * kh * kw):
        _im2col_row(x, cols, r, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)


@njit(inline="always")
def _col2im_plane(cols, x, p, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    # Plane p = (b, ci) of the result: zeroed, then every tap (i, j) added in order.
    b = p // c
    ci = p % c
    base = np.uint64(p * h * w)
    zero = x.dtype.type(0)
    for t in range(np.uint64(h * w)):
        x[base + t] = zero
    usw = np.uint64(sw)
    for i in range(kh):
        for j in range(kw):
            r = (ci * kh + i) * kw + j
            lo, hi = _span(j * dw - pl, sw, w, wo)
            cnt = np.uint64(max(hi - lo, 0))
            for oh in range(ho):
                ih = oh * sh + i * dh - pt
                if ih < 0 or ih >= h:
                    continue
                src = np.uint64(r * n * ho * wo + (b * ho + oh) * wo + lo)
                dst = base + np.uint64(ih * w + lo * sw + j * dw - pl)
                if usw == 1:
                    for t in range(cnt):
                        x[dst + t] += cols[src + t]
                else:
                    for t in range(cnt):
                        x[dst + t * usw] += cols[src + t]


@njit(cache=True)
def _col2im_serial(cols, x, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for p in range(n * c):
        _col2im_plane(cols, x, p, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)


@njit(cache=True, parallel=True)
def _col2im_parallel(cols, x, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for p in prange(n * c):
        _col2im_plane(cols, x, p, n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)


@njit(inline="always")
def _dw_forward_plane(x, wt, bias, y, p, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo,
                      has_bias):
    # Output plane p = (b, oc): zeroed, taps (i, j) added in order, then the bias.
    b = p // o
    oc = p % o
    ci = oc // (o // c)
    ybase = np.uint64(p * ho * wo)
    xbase = (b * c + ci) * h * w
    zero = y.dtype.type(0)
    for t in range(np.uint64(ho * wo)):
        y[ybase + t] = zero
    usw = np.uint64(sw)
    for i in range(kh):
        for j in range(kw):
            tap = wt[(oc * kh + i) * kw + j]
            lo, hi = _span(j * dw - pl, sw, w, wo)
            cnt = np.uint64(max(hi - lo, 0))
            for oh in range(ho):
                ih = oh * sh + i * dh - pt
                if ih < 0 or ih >= h:
                    continue
                dst = ybase + np.uint64(oh * wo + lo)
                src = np.uint64(xbase + ih * w + lo * sw + j * dw - pl)
                _add_scaled(y, dst, x, src, usw, cnt, tap)
    if has_bias:
        bv = bias[oc]
        for t in range(np.uint64(ho * wo)):
            y[ybase + t] += bv


@njit(cache=True)
def _dw_forward_serial(x, wt, bias, y, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo,
                       has_bias):
    for p in range(n * o):
        _dw_forward_plane(x, wt, bias, y, p, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo,
                          has_bias)


@njit(cache=True, parallel=True)
def _dw_forward_parallel(x, wt, bias, y, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo,
                         has_bias):
    for p in prange(n * o):
        _dw_forward_plane(x, wt, bias, y, p, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo,
                          has_bias)


@njit(inline="always")
def _dw_grad_input_plane(g, wt, gx, p, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    # Input plane p = (b, ci): zeroed, then g * w added back for taps (q, i, j) in order.
    b = p // c
    ci = p % c
    m = o // c
    base = np.uint64(p * h * w)
    zero = gx.dtype.type(0)
    for t in range(np.uint64(h * w)):
        gx[base + t] = zero
    usw = np.uint64(sw)
    for q in range(m):
        oc = ci * m + q
        gbase = (b * o + oc) * ho * wo
        for i in range(kh):
            for j in range(kw):
                tap = wt[(oc * kh + i) * kw + j]
                lo, hi = _span(j * dw - pl, sw, w, wo)
                cnt = np.uint64(max(hi - lo, 0))
                for oh in range(ho):
                    ih = oh * sh + i * dh - pt
                    if ih < 0 or ih >= h:
                        continue
                    src = np.uint64(gbase + oh * wo + lo)
                    dst = base + np.uint64(ih * w + lo * sw + j * dw - pl)
                    if usw == 1:
                        _add_scaled(gx, dst, g, src, usw, cnt, tap)
                    else:
                        for t in range(cnt):
                            gx[dst + t * usw] += g[src + t] * tap


@njit(cache=True)
def _dw_grad_input_serial(g, wt, gx, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for p in range(n * c):
        _dw_grad_input_plane(g, wt, gx, p, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)


@njit(cache=True, parallel=True)
def _dw_grad_input_parallel(g, wt, gx, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for p in prange(n * c):
        _dw_grad_input_plane(g, wt, gx, p, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo)


@njit(inline="always")
def _dw_grad_weight_channel(g, x, gw, oc, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho,
                            wo):
    # Taps of output channel oc, one at a time: the products summed over (b, oh) in order into
    # one partial sum per output column, then those added in order.
    ci = oc // (o // c)
    acc = np.empty(wo, dtype=gw.dtype)
    usw = np.uint64(sw)
    zero = gw.dtype.type(0)
    for i in range(kh):
        for j in range(kw):
            lo, hi = _span(j * dw - pl, sw, w, wo)
            cnt = np.uint64(max(hi - lo, 0))
            acc[:] = zero
            for b in range(n):
                gbase = (b * o + oc) * ho * wo + lo
                xbase = (b * c + ci) * h * w + lo * sw + j * dw - pl
                for oh in range(ho):
                    ih = oh * sh + i * dh - pt
                    if ih < 0 or ih >= h:
                        continue
                    _add_products(acc, np.uint64(lo), x, np.uint64(xbase + ih * w), usw, g,
                                  np.uint64(gbase + oh * wo), cnt)
            total = zero
            for t in range(wo):
                total += acc[t]
            gw[(oc * kh + i) * kw + j] = total


@njit(cache=True)
def _dw_grad_weight_serial(g, x, gw, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for oc in range(o):
        _dw_grad_weight_channel(g, x, gw, oc, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl,
                                ho, wo)


@njit(cache=True, parallel=True)
def _dw_grad_weight_parallel(g, x, gw, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo):
    for oc in prange(o):
        _dw_grad_weight_channel(g, x, gw, oc, n, c, o, h, w, kh, kw, sh, sw, dh, dw, pt, pl,
                                ho, wo)


# -- public functions --------------------------------------------------------------------------

def im2col(x: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple, pads: tuple,
           out: tuple, buffer: np.ndarray | None = None) -> np.ndarray:
    """The column matrix ``(C*kh*kw, N*Ho*Wo)`` of ``x`` ``(N, C, H, W)``.

    Args:
        x: the input.
        kernel, stride, dilation: ``(kh, kw)``, ``(sh, sw)``, ``(dh, dw)``.
        pads: zeros before the input, ``(top, left)``.
        out: windows per plane, ``(Ho, Wo)``.
        buffer: optional C-contiguous array of ``C*kh*kw*N*Ho*Wo`` elements of ``x``'s dtype
            to write into.

    Returns:
        The column matrix (in ``buffer`` when given); row ``(c, i, j)``, column ``(n, oh, ow)``.
    """
    n, c, h, w = x.shape
    rows, width = c * kernel[0] * kernel[1], n * out[0] * out[1]
    if not _compiled(x):
        cols = im2col_reference(x, kernel, stride, dilation, pads, out)
        if buffer is None:
            return cols
        buffer = buffer.reshape(rows, width)
        buffer[...] = cols
        return buffer
    cols = np.empty((rows, width), x.dtype) if buffer is None else buffer.reshape(rows, width)
    run = _im2col_parallel if _parallel(cols.size) else _im2col_serial
    run(np.ascontiguousarray(x).reshape(-1), cols.reshape(-1), n, c, h, w, *kernel, *stride,
        *dilation, *pads, *out)
    return cols


def col2im(cols: np.ndarray, shape: tuple, kernel: tuple, stride: tuple, dilation: tuple,
           pads: tuple, out: tuple, target: np.ndarray | None = None) -> np.ndarray:
    """The adjoint of :func:`im2col`: the image of ``shape`` ``(N, C, H, W)`` holding the sum
    of the entries of ``cols`` ``(C*kh*kw, N*Ho*Wo)`` read from each pixel.

    Args:
        cols: the column matrix (any layout; made C-contiguous).
        shape: the input's shape ``(N, C, H, W)``.
        kernel, stride, dilation, pads, out: the geometry, as for :func:`im2col`.
        target: optional C-contiguous array of ``shape`` to write the image into (its
            contents are overwritten, not added to).

    Returns:
        The image (``target`` when given), in ``cols``'s dtype.
    """
    if not _compiled(cols):
        image = col2im_reference(cols, shape, kernel, stride, dilation, pads, out)
        if target is None:
            return image
        target[...] = image
        return target
    x = np.empty(shape, cols.dtype) if target is None else target
    run = _col2im_parallel if _parallel(max(x.size, cols.size)) else _col2im_serial
    run(np.ascontiguousarray(cols).reshape(-1), x.reshape(-1), *shape, *kernel, *stride,
        *dilation, *pads, *out)
    return x


def depthwise_forward(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, stride: tuple,
                      dilation: tuple, pads: tuple, out: tuple) -> np.ndarray:
    """A depthwise convolution: ``x`` ``(N, C, H, W)``, ``w`` ``(C*m, 1, kh, kw)``.

    Args:
        x, w: input and weight.
        bias: ``(C*m,)`` or None.
        stride, dilation, pads, out: the geometry, as for :func:`im2col`.

    Returns:
        ``(N, C*m, Ho, Wo)``: channel ``c*m + q`` is channel ``c`` filtered by ``w[c*m + q]``.
    """
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    arrays = (x, w) if bias is None else (x, w, bias)
    if not _compiled(*arrays):
        return depthwise_forward_reference(x, w, bias, stride, dilation, pads, out)
    y = np.empty((n, o, *out), x.dtype)
    b = np.zeros(0, x.dtype) if bias is None else np.ascontiguousarray(bias)
    run = _dw_forward_parallel if _parallel(max(x.size, y.size)) else _dw_forward_serial
    run(np.ascontiguousarray(x).reshape(-1), np.ascontiguousarray(w).reshape(-1), b,
        y.reshape(-1), n, c, o, h, wd, kh, kw, *stride, *dilation, *pads, *out,
        bias is not None)
    return y


def depthwise_grad_input(g: np.ndarray, w: np.ndarray, shape: tuple, stride: tuple,
                         dilation: tuple, pads: tuple) -> np.ndarray:
    """The input gradient of :func:`depthwise_forward` for the output gradient ``g``.

    Args:
        g: ``(N, C*m, Ho, Wo)``.
        w: ``(C*m, 1, kh, kw)``.
        shape: the input's shape ``(N, C, H, W)``.
        stride, dilation, pads: the geometry, as for :func:`im2col`.

    Returns:
        ``(N, C, H, W)``, C-contiguous.
    """
    n, c, h, wd = shape
    o, _, kh, kw = w.shape
    if not _compiled(g, w):
        return depthwise_grad_input_reference(g, w, shape, stride, dilation, pads)
    gx = np.empty(shape, g.dtype)
    run = _dw_grad_input_parallel if _parallel(max(gx.size, g.size)) else _dw_grad_input_serial
    run(np.ascontiguousarray(g).reshape(-1), np.ascontiguousarray(w).reshape(-1),
        gx.reshape(-1), n, c, o, h, wd, kh, kw, *stride, *dilation, *pads, *g.shape[2:])
    return gx


def depthwise_grad_weight(g: np.ndarray, x: np.ndarray, kernel: tuple, stride: tuple,
                          dilation: tuple, pads: tuple) -> np.ndarray:
    """The weight gradient ``(C*m, 1, kh, kw)`` of :func:`depthwise_forward`.

    Args:
        g: the output gradient ``(N, C*m, Ho, Wo)``.
        x: the input ``(N, C, H, W)``.
        kernel, stride, dilation, pads: the geometry, as for :func:`im2col`.

    Returns:
        The gradient, in ``g``'s dtype.
    """
    n, c, h, wd = x.shape
    o = g.shape[1]
    if not _compiled(g, x):
        return depthwise_grad_weight_reference(g, x, kernel, stride, dilation, pads)
    gw = np.empty((o, 1, *kernel), g.dtype)
    run = _dw_grad_weight_parallel if _parallel(max(x.size, g.size)) \
        else _dw_grad_weight_serial
    run(np.ascontiguousarray(g).reshape(-1), np.ascontiguousarray(x).reshape(-1),
        gw.reshape(-1), n, c, o, h, wd, *kernel, *stride, *dilation, *pads, *g.shape[2:])
    return gw

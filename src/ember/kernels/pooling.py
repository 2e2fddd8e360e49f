"""Max and average pooling over 2-D planes, forward and backward, as compiled loops.

Every kernel takes C-contiguous ``(P, H, W)`` planes (``P = N * C``) and the window geometry
``(kh, kw, sh, sw, ph, pw)`` (and the dilation for max pooling), and walks each output's
window clipped to the input, in torch's order (rows, then columns), so that:

* max pooling keeps torch's CPU rule: a tap replaces the running maximum when it is greater or
  NaN (the first among ties, the last NaN), starting from ``-inf`` at the window's first
  in-bounds tap; its index is the flat position ``h * W + w`` in the plane;
* average pooling sums the clipped window in the data's dtype and divides by torch's divisor
  (the window clipped to the padded input with ``count_include_pad``, to the input without,
  or ``divisor_override``); an output whose window holds no input element is 0.

Windows that lie inside the input run a loop compiled for their size (closure constants,
so it unrolls; Numba caches one per size); windows that cross the border, and max windows
holding a NaN, run the general clipped loop.

Backward passes scatter each output's gradient to its arg-max, or ``g / divisor`` to every
tap of its window, accumulating in the order torch does. The NumPy reference of these results
is ``ember.nn.functional.pooling``'s strided-window path; the tests hold both to torch.
"""

from __future__ import annotations

import functools

import numpy as np

from .jit import njit

__all__ = ["avg_pool2d_backward", "avg_pool2d_forward", "max_pool2d_backward",
           "max_pool2d_forward"]


@njit(cache=True, error_model="numpy")
def _max_window_exact(xs, h0, h1, w0, w1, dh, dw, best):
    """torch's rule over one window: a tap replaces the maximum when greater, or NaN."""
    w = xs.shape[1]
    arg = h0 * w + w0
    for a in range(h0, h1, dh):
        for b in range(w0, w1, dw):
            v = xs[a, b]
            if v > best or v != v:
                best = v
                arg = a * w + b
    return best, arg


@njit(cache=True, error_model="numpy")
def _clip(o, k, s, p, d, size):
    """``(first, stop)`` of the in-bounds taps of window ``o`` along one axis."""
    first = o * s - p
    stop = min(first + (k - 1) * d + 1, size)
    while first < 0:
        first += d
    return first, stop


@functools.cache
def _max_forward_kernel(kh: int, kw: int, dh: int, dw: int):
    """The forward loop for a ``kh x kw`` window of dilation ``(dh, dw)``: constants of the
    closure, so the window's loop unrolls (Numba compiles and caches one loop for each)."""

    @njit(cache=True, error_model="numpy")
    def max_forward(x, sh, sw, ph, pw, out, idx):
        planes, h, w = x.shape
        _, oh, ow = out.shape
        start = np.empty(1, x.dtype)
        start[0] = -np.inf
        for p in range(planes):
            xs = x[p]
            for i in range(oh):
                hb = i * sh - ph
                inside_h = hb >= 0 and hb + (kh - 1) * dh < h
                for j in range(ow):
                    wb = j * sw - pw
                    nan = True
                    if inside_h and wb >= 0 and wb + (kw - 1) * dw < w:
                        # the unrolled window keeps ``v > best`` and the tap's offset, which
                        # compile to conditional moves; the NaN test in the same condition
                        # or a loop there make LLVM emit branches, mispredicted on random
                        # data (several times slower, measured). A window holding a NaN is
                        # walked again with the exact rule, as is a window that crosses the
                        # border.
                        best = xs[hb, wb]  # the first tap, where torch's -inf start lands
                        offset = 0
                        nan = False
                        for a in range(kh):
                            for b in range(kw):
                                v = xs[hb + a * dh, wb + b * dw]
                                nan |= v != v
                                if v > best:
                                    best = v
                                    offset = a * dh * w + b * dw
                        arg = hb * w + wb + offset
                    if nan:
                        h0, h1 = _clip(i, kh, sh, ph, dh, h)
                        w0, w1 = _clip(j, kw, sw, pw, dw, w)
                        best, arg = _max_window_exact(xs, h0, h1, w0, w1, dh, dw, start[0])
                    out[p, i, j] = best
                    idx[p, i, j] = arg

    return max_forward


def max_pool2d_forward(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple,
                       dilation: tuple, out_size: tuple, index_dtype) -> tuple:
    """``(values, indices)`` of max pooling over C-contiguous ``(P, H, W)`` planes.

    Args:
        x: float32 or float64 planes.
        kernel, stride, padding, dilation: pairs (height, width).
        out_size: ``(H_out, W_out)``.
        index_dtype: int64 for indices handed to the user, int32 for indices only the
            backward reads (half the memory).
    """
    shape = (x.shape[0], *out_size)
    out = np.empty(shape, x.dtype)
    idx = np.empty(shape, index_dtype)
    _max_forward_kernel(*kernel, *dilation)(x, *stride, *padding, out, idx)
    return out, idx


@njit(cache=True, error_model="numpy")
def _max_backward(g, idx, gx):
    planes, plane = gx.shape
    n = g.shape[1]
    for p in range(planes):
        gs = g[p]
        ids = idx[p]
        gxs = gx[p]
        for o in range(n):
            k = ids[o]
            if k < plane:  # a dilated window made only of padding has no input element
                gxs[k] += gs[o]


def max_pool2d_backward(g: np.ndarray, idx: np.ndarray, plane_shape: tuple) -> np.ndarray:
    """Gradient of max pooling: each of ``g``'s ``(P, L_out)`` values added to the input
    position ``idx`` names in its plane; returns ``(P, H, W)``."""
    h, w = plane_shape
    gx = np.zeros((g.shape[0], h * w), g.dtype)
    _max_backward(g, idx, gx)
    return gx.reshape(g.shape[0], h, w)


@njit(cache=True, error_model="numpy")
def _avg_window(i, j, h, w, kh, kw, sh, sw, ph, pw, include_pad, divisor):
    """``(h0, h1, w0, w1, divisor)``: the window clipped to the input and torch's divisor."""
    h0 = i * sh - ph
    w0 = j * sw - pw
    h1 = min(h0 + kh, h + ph)
    w1 = min(w0 + kw, w + pw)
    size = (h1 - h0) * (w1 - w0)
    h0 = max(h0, 0)
    w0 = max(w0, 0)
    h1 = min(h1, h)
    w1 = min(w1, w)
    if divisor == 0:
        divisor = size if include_pad else (h1 - h0) * (w1 - w0)
    return h0, h1, w0, w1, divisor


@njit(cache=True, error_model="numpy")
def _avg_border(xs, i, j, kh, kw, sh, sw, ph, pw, include_pad, divisor, acc):
    """The average of one window that crosses the border (``acc``: two scratch values in the
    data's dtype, so that the sum and the division round in it)."""
    h, w = xs.shape
    h0, h1, w0, w1, div = _avg_window(i, j, h, w, kh, kw, sh, sw, ph, pw, include_pad, divisor)
    acc[0] = 0
    if h0 < h1 and w0 < w1:
        s = acc[0]
        for a in range(h0, h1):
            for b in range(w0, w1):
                s += xs[a, b]
        acc[1] = div
        acc[0] = s / acc[1]
    return acc[0]


@functools.cache
def _avg_forward_kernel(kh: int, kw: int):
    """The forward loop for a ``kh x kw`` window (constants of the closure: the window's loop
    unrolls; a window inside the input is divided by ``kh * kw`` or the override)."""

    @njit(cache=True, error_model="numpy")
    def avg_forward(x, sh, sw, ph, pw, include_pad, divisor, out):
        planes, h, w = x.shape
        _, oh, ow = out.shape
        acc = np.zeros(2, x.dtype)
        inner = np.empty(2, x.dtype)
        inner[0] = 0
        inner[1] = divisor if divisor != 0 else kh * kw
        for p in range(planes):
            xs = x[p]
            for i in range(oh):
                hb = i * sh - ph
                inside_h = hb >= 0 and hb + kh <= h
                for j in range(ow):
                    wb = j * sw - pw
                    if inside_h and wb >= 0 and wb + kw <= w:
                        s = inner[0]
                        for a in range(kh):
                            for b in range(kw):
                                s += xs[hb + a, wb + b]
                        out[p, i, j] = s / inner[1]
                    else:
                        out[p, i, j] = _avg_border(xs, i, j, kh, kw, sh, sw, ph, pw,
                                                   include_pad, divisor, acc)

    return avg_forward


def avg_pool2d_forward(x: np.ndarray, kernel: tuple, stride: tuple, padding: tuple,
                       out_size: tuple, count_include_pad: bool,
                       divisor_override: int | None) -> np.ndarray:
    """Average pooling of C-contiguous float ``(P, H, W)`` planes to ``(P, *out_size)``."""
    out = np.empty((x.shape[0], *out_size), x.dtype)
    _avg_forward_kernel(*kernel)(x, *stride, *padding, bool(count_include_pad),
                                 int(divisor_override or 0), out)
    return out


@functools.cache
def _avg_backward_kernel(kh: int, kw: int):
    """The backward loop for a ``kh x kw`` window (see :func:`_avg_forward_kernel`)."""

    @njit(cache=True, error_model="numpy")
    def avg_backward(g, sh, sw, ph, pw, include_pad, divisor, gx):
        planes, h, w = gx.shape
        _, oh, ow = g.shape
        acc = np.zeros(2, g.dtype)
        inner = np.empty(1, g.dtype)
        inner[0] = divisor if divisor != 0 else kh * kw
        for p in range(planes):
            gxs = gx[p]
            for i in range(oh):
                hb = i * sh - ph
                inside_h = hb >= 0 and hb + kh <= h
                for j in range(ow):
                    wb = j * sw - pw
                    if inside_h and wb >= 0 and wb + kw <= w:
                        share = g[p, i, j] / inner[0]
                        for a in range(kh):
                            for b in range(kw):
                                gxs[hb + a, wb + b] += share
                        continue
                    h0, h1, w0, w1, div = _avg_window(i, j, h, w, kh, kw, sh, sw, ph, pw,
                                                      include_pad, divisor)
                    acc[1] = div
                    share = g[p, i, j] / acc[1]
                    for a in range(h0, h1):
                        for b in range(w0, w1):
                            gxs[a, b] += share

    return avg_backward


def avg_pool2d_backward(g: np.ndarray, plane_shape: tuple, kernel: tuple, stride: tuple,
                        padding: tuple, count_include_pad: bool,
                        divisor_override: int | None) -> np.ndarray:
    """Gradient of :func:`avg_pool2d_forward` from C-contiguous ``(P, H_out, W_out)``."""
    gx = np.zeros((g.shape[0], *plane_shape), g.dtype)
    _avg_backward_kernel(*kernel)(g, *stride, *padding, bool(count_include_pad),
                                  int(divisor_override or 0), gx)
    return gx

"""Whole recurrent layers as single autograd Functions: one layer, one direction, all steps.

:class:`~ember.nn.RNN`, :class:`~ember.nn.LSTM` and :class:`~ember.nn.GRU` run each layer and
direction through one of the Functions here (float32 and float64). A forward is one matrix
product for the input projections of every step (``x W_ih^T + b_ih``, shape
``(steps, batch, gates)``), then per step the recurrent product ``h W_hh^T`` and one compiled
kernel for the gates and states (``ember.kernels.rnn``). The backward runs the steps in reverse
with one kernel and one product per step, and gets the input and weight gradients as single
products over all steps at the end. Saved for backward: the activated gates (and ``c``,
``tanh(c)`` for LSTM), the hidden states, and the inputs and weights (so an in-place change
of them before backward raises, as in torch); no graph node per step.

The results equal the step-by-step composition of ops (the reference path of
``ember.nn.modules.rnn``) to float rounding: the activations are computed by the kernels'
own ``exp``/``tanh`` (within 2 ulps) and weight gradients are summed over all steps in one
product instead of step by step.
"""

from __future__ import annotations

import numpy as np

from ember.autograd.function import ArrayFunction
from ember.backend import get_backend
from ember.ops.linalg import array_product

__all__ = ["GRULayer", "LSTMLayer", "RNNLayer", "gru_layer", "lstm_layer", "rnn_layer"]


def _kernels():
    return get_backend().kernels("rnn")


def _project(x: np.ndarray, w_ih: np.ndarray, b_ih) -> np.ndarray:
    """``x W_ih^T + b_ih`` for every step at once: ``(T, B, I) -> (T, B, G)``."""
    steps, batch, _ = x.shape
    gi = array_product(x.reshape(steps * batch, -1), w_ih.T)
    if b_ih is not None:
        gi += b_ih
    return gi.reshape(steps, batch, -1)


def _order(steps: int, reverse: bool) -> range:
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _previous(hs: np.ndarray, h0: np.ndarray, t: int, reverse: bool) -> np.ndarray:
    """The hidden state step ``t`` reads: ``h0`` at the first step, else its neighbour's."""
    first = hs.shape[0] - 1 if reverse else 0
    if t == first:
        return h0
    return hs[t + 1] if reverse else hs[t - 1]


def _hh_grad(dgh: np.ndarray, hs: np.ndarray, h0: np.ndarray, reverse: bool) -> np.ndarray:
    """``sum_t dgh[t]^T h_prev[t]``: two products (the steps that read ``h0``, the rest)."""
    steps, _, gates = dgh.shape
    if reverse:
        first, inner, prev = steps - 1, dgh[:-1], hs[1:]
    else:
        first, inner, prev = 0, dgh[1:], hs[:-1]
    grad = array_product(dgh[first].T, h0)
    if steps > 1:
        grad += array_product(inner.reshape(-1, gates).T, prev.reshape(-1, prev.shape[2]))
    return grad


def _input_grads(ctx, dgi, dgh, x, h0, hs, w_ih, reverse: bool) -> tuple:
    """``(dx, dw_ih, dw_hh, db_ih, db_hh)`` from the pre-activation gradients of every step
    (``dgi`` for the input projection, ``dgh`` for the recurrent one)."""
    needs = ctx.needs_input_grad
    steps, batch, gates = dgi.shape
    flat = dgi.reshape(steps * batch, gates)
    w_at = ctx.weight_index
    dx = array_product(flat, w_ih).reshape(x.shape) if needs[0] else None
    dw_ih = array_product(flat.T, x.reshape(steps * batch, -1)) if needs[w_at] else None
    dw_hh = _hh_grad(dgh, hs, h0, reverse) if needs[w_at + 1] else None
    db_ih = flat.sum(0) if needs[w_at + 2] else None
    db_hh = None
    if needs[w_at + 3]:
        db_hh = db_ih if dgh is dgi and db_ih is not None else \
            dgh.reshape(steps * batch, gates).sum(0)
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _bias_or_zeros(b_hh, gates: int, dtype) -> np.ndarray:
    return np.zeros(gates, dtype) if b_hh is None else np.ascontiguousarray(b_hh)


class LSTMLayer(ArrayFunction):
    """One LSTM layer in one direction over a whole sequence (see :func:`lstm_layer`)."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False):
        k = _kernels()
        steps, batch = x.shape[:2]
        hidden = w_hh.shape[0] // 4
        dt = x.dtype
        gi = _project(x, w_ih, b_ih)
        bias = _bias_or_zeros(b_hh, 4 * hidden, dt)
        gates = np.empty((steps, batch, 4 * hidden), dt)
        cs, tcs = np.empty((steps, batch, hidden), dt), np.empty((steps, batch, hidden), dt)
        hc = np.empty((steps, batch, hidden), dt) if w_hr is not None else None
        hs = np.empty((steps, batch, w_hh.shape[1]), dt)
        gh = np.empty((batch, 4 * hidden), dt)
        one, c_prev = dt.type(1), np.ascontiguousarray(c0)
        for t in _order(steps, reverse):
            np.matmul(_previous(hs, h0, t, reverse), w_hh.T, out=gh)
            cell_h = hs[t] if hc is None else hc[t]
            k.lstm_forward_step(gi[t].reshape(-1), gh.reshape(-1), bias, c_prev.reshape(-1),
                                gates[t].reshape(-1), cs[t].reshape(-1), tcs[t].reshape(-1),
                                cell_h.reshape(-1), batch, hidden, one)
            if hc is not None:
                np.matmul(hc[t], w_hr.T, out=hs[t])
            c_prev = cs[t]
        ctx.reverse, ctx.weight_index = reverse, 3
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, w_hr, hs, gates, cs, tcs, hc)
        last = 0 if reverse else steps - 1
        return hs.copy(), hs[last].copy(), cs[last].copy()

    @staticmethod
    def backward(ctx, dout, dh_n, dc_n):
        x, h0, c0, w_ih, w_hh, w_hr, hs, gates, cs, tcs, hc = ctx.saved_tensors
        k, reverse = _kernels(), ctx.reverse
        steps, batch, hidden = cs.shape
        dt = hs.dtype
        dgates = np.empty_like(gates)
        dh = np.array(dh_n, dtype=dt, order="C")
        dc = np.array(dc_n, dtype=dt, order="C")
        dhp = np.empty_like(hs) if hc is not None else None  # gradients of projected h
        dcell = np.empty((batch, hidden), dt) if hc is not None else dh
        c0 = np.ascontiguousarray(c0)
        one = dt.type(1)
        for t in reversed(_order(steps, reverse)):
            dh += dout[t]
            if dhp is not None:
                dhp[t] = dh
                np.matmul(dh, w_hr, out=dcell)
            c_prev = _previous(cs, c0, t, reverse)
            k.lstm_backward_step(dcell.reshape(-1), dc.reshape(-1), gates[t].reshape(-1),
                                 tcs[t].reshape(-1), c_prev.reshape(-1),
                                 dgates[t].reshape(-1), batch, hidden, one)
            np.matmul(dgates[t], w_hh, out=dh)
        dx, dw_ih, dw_hh, db_ih, db_hh = _input_grads(ctx, dgates, dgates, x, h0, hs, w_ih,
                                                      reverse)
        dw_hr = None
        if dhp is not None and ctx.needs_input_grad[7]:
            dw_hr = np.matmul(dhp.reshape(steps * batch, -1).T,
                              hc.reshape(steps * batch, hidden))
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr


def lstm_layer(input, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None,
               weight_hr=None, reverse: bool = False):
    """One LSTM layer in one direction over a whole sequence, as one autograd node.

    Args:
        input: ``(L, N, H_in)``, float32 or float64.
        h0: the initial hidden state ``(N, P)`` (``P`` is ``proj_size`` or ``H``).
        c0: the initial cell state ``(N, H)``.
        weight_ih: ``(4H, H_in)``, the gates stacked as torch's (input, forget, cell, output).
        weight_hh: ``(4H, P)``.
        bias_ih: ``(4H,)`` or None.
        bias_hh: ``(4H,)`` or None.
        weight_hr: the projection ``(P, H)`` or None.
        reverse: run from the last step to the first.

    Returns:
        ``(output, h_n, c_n)``: ``output`` ``(L, N, P)`` holds the hidden state of every step
        (at its own position also when ``reverse``), ``h_n`` and ``c_n`` the final states.

    Example:
        >>> lstm = ember.nn.LSTM(3, 4)
        >>> x, h0, c0 = ember.randn(5, 2, 3), ember.zeros(2, 4), ember.zeros(2, 4)
        >>> out, h_n, c_n = lstm_layer(x, h0, c0, *lstm.all_weights[0])
        >>> out.shape
        ember.Size([5, 2, 4])
    """
    return LSTMLayer.apply(input, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr,
                           reverse=reverse)


class GRULayer(ArrayFunction):
    """One GRU layer in one direction over a whole sequence (see :func:`gru_layer`)."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        k = _kernels()
        steps, batch = x.shape[:2]
        hidden = w_hh.shape[1]
        dt = x.dtype
        gi = _project(x, w_ih, b_ih)
        bias = _bias_or_zeros(b_hh, 3 * hidden, dt)
        saved = np.empty((steps, batch, 4 * hidden), dt)  # r, z, n, gh_n + b_hn per step
        hs = np.empty((steps, batch, hidden), dt)
        gh = np.empty((batch, 3 * hidden), dt)
        one = dt.type(1)
        for t in _order(steps, reverse):
            h_prev = _previous(hs, h0, t, reverse)
            np.matmul(h_prev, w_hh.T, out=gh)
            k.gru_forward_step(gi[t].reshape(-1), gh.reshape(-1), bias, h_prev.reshape(-1),
                               saved[t].reshape(-1), hs[t].reshape(-1), batch, hidden, one)
        ctx.reverse, ctx.weight_index = reverse, 2
        ctx.save_for_backward(x, h0, w_ih, w_hh, hs, saved)
        return hs.copy(), hs[0 if reverse else steps - 1].copy()

    @staticmethod
    def backward(ctx, dout, dh_n):
        x, h0, w_ih, w_hh, hs, saved = ctx.saved_tensors
        k, reverse = _kernels(), ctx.reverse
        steps, batch, hidden = hs.shape
        dt = hs.dtype
        dgi = np.empty((steps, batch, 3 * hidden), dt)
        dgh = np.empty_like(dgi)
        dh = np.array(dh_n, dtype=dt, order="C")
        direct = np.empty((batch, hidden), dt)
        one = dt.type(1)
        for t in reversed(_order(steps, reverse)):
            dh += dout[t]
            h_prev = _previous(hs, h0, t, reverse)
            k.gru_backward_step(dh.reshape(-1), saved[t].reshape(-1), h_prev.reshape(-1),
                                dgi[t].reshape(-1), dgh[t].reshape(-1), direct.reshape(-1),
                                batch, hidden, one)
            np.matmul(dgh[t], w_hh, out=dh)
            dh += direct
        dx, dw_ih, dw_hh, db_ih, db_hh = _input_grads(ctx, dgi, dgh, x, h0, hs, w_ih, reverse)
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh


def gru_layer(input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None,
              reverse: bool = False):
    """One GRU layer in one direction over a whole sequence, as one autograd node.

    Args:
        input: ``(L, N, H_in)``, float32 or float64.
        h0: the initial hidden state ``(N, H)``.
        weight_ih: ``(3H, H_in)``, the gates stacked as torch's (reset, update, new).
        weight_hh: ``(3H, H)``.
        bias_ih: ``(3H,)`` or None.
        bias_hh: ``(3H,)`` or None.
        reverse: run from the last step to the first.

    Returns:
        ``(output, h_n)``: ``output`` ``(L, N, H)`` holds the hidden state of every step and
        ``h_n`` the final one.

    Example:
        >>> gru = ember.nn.GRU(3, 4)
        >>> out, h_n = gru_layer(ember.randn(5, 2, 3), ember.zeros(2, 4), *gru.all_weights[0])
        >>> h_n.shape
        ember.Size([2, 4])
    """
    return GRULayer.apply(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse=reverse)


class RNNLayer(ArrayFunction):
    """One Elman RNN layer in one direction over a whole sequence (see :func:`rnn_layer`)."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, relu=False):
        k = _kernels()
        steps, batch = x.shape[:2]
        hidden = w_hh.shape[1]
        dt = x.dtype
        gi = _project(x, w_ih, b_ih)
        bias = _bias_or_zeros(b_hh, hidden, dt)
        hs = np.empty((steps, batch, hidden), dt)
        gh = np.empty((batch, hidden), dt)
        for t in _order(steps, reverse):
            np.matmul(_previous(hs, h0, t, reverse), w_hh.T, out=gh)
            k.rnn_forward_step(gi[t].reshape(-1), gh.reshape(-1), bias, hs[t].reshape(-1),
                               batch * hidden, relu, dt.type(0))
        ctx.reverse, ctx.relu, ctx.weight_index = reverse, relu, 2
        ctx.save_for_backward(x, h0, w_ih, w_hh, hs)
        return hs.copy(), hs[0 if reverse else steps - 1].copy()

    @staticmethod
    def backward(ctx, dout, dh_n):
        x, h0, w_ih, w_hh, hs = ctx.saved_tensors
        k, reverse = _kernels(), ctx.reverse
        steps, batch, hidden = hs.shape
        dpre = np.empty_like(hs)
        dh = np.array(dh_n, dtype=hs.dtype, order="C")
        one = hs.dtype.type(1)
        for t in reversed(_order(steps, reverse)):
            dh += dout[t]
            k.rnn_backward_step(dh.reshape(-1), hs[t].reshape(-1), dpre[t].reshape(-1),
                                batch * hidden, ctx.relu, one)
            np.matmul(dpre[t], w_hh, out=dh)
        dx, dw_ih, dw_hh, db_ih, db_hh = _input_grads(ctx, dpre, dpre, x, h0, hs, w_ih,
                                                      reverse)
        return dx, dh, dw_ih, dw_hh, db_ih, db_hh


def rnn_layer(input, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None,
              reverse: bool = False, nonlinearity: str = "tanh"):
    """One Elman RNN layer in one direction over a whole sequence, as one autograd node.

    Args:
        input: ``(L, N, H_in)``, float32 or float64.
        h0: the initial hidden state ``(N, H)``.
        weight_ih: ``(H, H_in)``.
        weight_hh: ``(H, H)``.
        bias_ih: ``(H,)`` or None.
        bias_hh: ``(H,)`` or None.
        reverse: run from the last step to the first.
        nonlinearity: ``'tanh'`` or ``'relu'``.

    Returns:
        ``(output, h_n)`` as :func:`gru_layer`.

    Example:
        >>> rnn = ember.nn.RNN(3, 4)
        >>> out, h_n = rnn_layer(ember.randn(5, 2, 3), ember.zeros(2, 4), *rnn.all_weights[0])
        >>> out.shape
        ember.Size([5, 2, 4])
    """
    return RNNLayer.apply(input, h0, weight_ih, weight_hh, bias_ih, bias_hh, reverse=reverse,
                          relu=nonlinearity == "relu")

"""Recurrent layers as PyTorch defines them: ``RNN``, ``LSTM``, ``GRU`` and their cells.

Each layer and direction of ``RNN``/``LSTM``/``GRU`` runs as one autograd node
(``ember.nn.functional.rnn``: the input projections of all steps in one matrix product, then
per step the recurrent product and one compiled gate kernel, forward and backward) for
float32 and float64, and each cell call as one step of it; other dtypes, autocast and op
exporters take the reference path, composed of differentiable ops one time step at a time. Parameter
names, shapes, gate order (LSTM: input, forget, cell, output; GRU: reset, update, new) and
initialisation (uniform on ``[-1/sqrt(hidden_size), 1/sqrt(hidden_size)]``) are PyTorch's, so
state_dicts load either way. Packed sequences are not supported.
"""

from __future__ import annotations

import math

import numpy as np

from ember import ops
from ember._precision import STATE as _LOW_PRECISION
from ember.autograd.function import ops_observed
from ember.nn import functional as F
from ember.nn import init
from ember.nn.functional import rnn as _rnn_functional
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _suffix(layer: int, direction: int) -> str:
    """The name suffix of a layer's parameters: ``_l0``, ``_l0_reverse``, ..."""
    return f"_l{layer}" + ("_reverse" if direction == 1 else "")


def _reset_uniform(module: Module, hidden_size: int) -> None:
    """Every parameter uniform on ``[-1/sqrt(hidden_size), 1/sqrt(hidden_size)]``."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def _rnn_step(mode: str, gi: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    """One step of a plain RNN cell from its input projection ``gi`` (bias included)."""
    pre = gi + F.linear(h, w_hh, b_hh)
    return ops.tanh(pre) if mode == "RNN_TANH" else F.relu(pre)


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh, w_hr):
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    h = ops.sigmoid(o) * ops.tanh(c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    r_i, z_i, n_i = gi.chunk(3, -1)
    r_h, z_h, n_h = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = ops.sigmoid(r_i + r_h)
    z = ops.sigmoid(z_i + z_h)
    n = ops.tanh(n_i + r * n_h)
    return (h - n) * z + n  # torch's order of operations


_FUSED = True  # False: every layer takes the reference path (tests compare the two)
_FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fusable(x: Tensor, states: list, names: list, module: Module) -> bool:
    """Whether a layer can run through the fused Functions: float32 or float64 throughout,
    no autocast or bfloat16 in play, and no exporter watching the individual ops."""
    if not _FUSED or ops_observed() or _LOW_PRECISION.autocast:
        return False
    dtype = x._data.dtype
    if dtype not in _FUSED_DTYPES:
        return False
    tensors = [*states, *(getattr(module, name) for name in names)]
    return all(t is None or t._data.dtype == dtype for t in tensors)


_CELL_WEIGHTS = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def _cell_fusable(cell: RNNCellBase, x: Tensor, states: list) -> bool:
    """Whether a cell call can be one step of the fused layer: :func:`_fusable`, and shapes
    that fit (other shapes take the reference path, which raises torch's errors)."""
    fits = x.shape[1] == cell.input_size and all(
        tuple(s.shape) == (x.shape[0], cell.hidden_size) for s in states)
    return fits and _fusable(x, states, _CELL_WEIGHTS, cell)


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent layer behind :class:`RNN`,
    :class:`LSTM` and :class:`GRU`, chosen by ``mode``; those subclasses are the usual way in.

    It holds the parameters under PyTorch's names (``weight_ih_l0``, ``weight_hh_l0``,
    ``bias_ih_l0``, ...; ``all_weights`` lists them per layer and direction) and runs each
    layer and direction over the whole sequence as one autograd node (float32 and float64;
    see the module's docstring). Packed sequences are not supported.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input_size: the number of features of each input step ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        num_layers: the number of stacked recurrent layers; each layer after the first reads the
            outputs of the one below. Default: ``1``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, features)`` instead of ``(L, N, features)``
            (the hidden states keep the batch in dimension 1). Default: ``False``.
        dropout: the probability of dropout on the outputs of every layer but the last, in
            training. Default: ``0.0``.
        bidirectional: run each layer over the sequence in both directions and concatenate the
            two outputs. Default: ``False``.
        proj_size: for ``'LSTM'``, project the hidden state to this many features; 0 turns
            projections off. Default: ``0``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih_l[k] (Tensor): the input-to-hidden weights of layer ``k``, the gates stacked.
        weight_hh_l[k] (Tensor): the hidden-to-hidden weights of layer ``k``.
        bias_ih_l[k] (Tensor): the input-to-hidden bias of layer ``k``.
        bias_hh_l[k] (Tensor): the hidden-to-hidden bias of layer ``k``.
        weight_hr_l[k] (Tensor): the LSTM projection of layer ``k`` (with ``proj_size > 0``).
        weight_ih_l[k]_reverse (Tensor): ``weight_ih_l[k]`` of the reverse direction
            (``bidirectional`` only; likewise ``weight_hh_l[k]_reverse``, ...).

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        As :class:`RNN` (and :class:`LSTM` for ``mode='LSTM'``).

    Example:
        >>> m = nn.RNNBase("GRU", 4, 8)
        >>> [name for name, _ in m.named_parameters()]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
        >>> len(m.all_weights), len(m.all_weights[0])
        (1, 4)
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 \
                or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = _suffix(layer, direction)
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(ops.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
                self._all_weights.append([name + suffix for name, _ in shapes])
        self.reset_parameters()

    def flatten_parameters(self) -> None:
        """Does nothing: torch packs the weights into one cuDNN buffer here; on the cpu (and
        in Ember) there is nothing to pack, so parameters keep their identity and values.

        Example:
            >>> lstm.flatten_parameters()  # in a forward() written for torch's cuDNN path
        """

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, in torch's order (weight_ih, weight_hh,
        bias_ih, bias_hh, weight_hr)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def reset_parameters(self) -> None:
        """Every weight and bias uniform on ``[-1/sqrt(hidden_size), 1/sqrt(hidden_size)]``."""
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    def _weights(self, layer: int, direction: int):
        suffix = _suffix(layer, direction)
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return (get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                get("weight_hr"))

    def _initial_state(self, x: Tensor, hx, batch: int, batched: bool):
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        shapes = [(self.num_layers * directions, batch, real_hidden)]
        if self.mode == "LSTM":
            shapes.append((self.num_layers * directions, batch, self.hidden_size))
        if hx is None:
            return [ops.zeros(s, dtype=x.dtype) for s in shapes]
        states = list(hx) if self.mode == "LSTM" else [hx]
        if self.mode == "LSTM" and (not isinstance(hx, tuple) or len(hx) != 2):
            raise RuntimeError("LSTM expects hx as a tuple (h_0, c_0)")
        out = []
        for state, shape, name in zip(states, shapes, ("hidden", "cell"), strict=False):
            if not batched:
                if state.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but "
                                       f"got {state.dim()}-D tensor")
                state = state.unsqueeze(1)
            elif state.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                                   f"{state.dim()}-D tensor")
            if tuple(state.shape) != shape:
                label = "hidden[0]" if self.mode == "LSTM" and name == "hidden" else (
                    "hidden[1]" if name == "cell" else "hidden")
                raise RuntimeError(f"Expected {label} size {shape}, got {list(state.shape)}")
            out.append(state)
        return out

    def _fused_layer(self, x: Tensor, h0: Tensor, c0, weights, reverse: bool):
        """One layer and direction as one autograd node (``ember.nn.functional.rnn``)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = weights
        if self.mode == "LSTM":
            return _rnn_functional.lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse)
        if self.mode == "GRU":
            out, h = _rnn_functional.gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
        else:
            relu = "relu" if self.mode == "RNN_RELU" else "tanh"
            out, h = _rnn_functional.rnn_layer(x, h0, w_ih, w_hh, b_ih, b_hh, reverse, relu)
        return out, h, None

    def _reference_layer(self, x: Tensor, h0: Tensor, c0, weights, reverse: bool):
        """One layer and direction composed of ops, one step at a time (the reference path:
        any dtype, autocast, and what exporters see)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = weights
        gi_all = F.linear(x, w_ih, b_ih)  # (steps, batch, gates): one matmul
        h, c = h0, c0
        steps = x.shape[0]
        hs = [None] * steps
        for t in range(steps - 1, -1, -1) if reverse else range(steps):
            if self.mode == "LSTM":
                h, c = _lstm_step(gi_all[t], h, c, w_hh, b_hh, w_hr)
            elif self.mode == "GRU":
                h = _gru_step(gi_all[t], h, w_hh, b_hh)
            else:
                h = _rnn_step(self.mode, gi_all[t], h, w_hh, b_hh)
            hs[t] = h
        return ops.stack(hs), h, c

    def forward(self, input: Tensor, hx=None):
        """Runs the sequence; returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``)."""
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        steps, batch = x.shape[0], x.shape[1]
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        states = self._initial_state(x, hx, batch, batched)
        directions = 2 if self.bidirectional else 1
        fused = _fusable(x, states, self._flat_weights_names, self)
        final_h, final_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                weights = self._weights(layer, direction)
                h0 = states[0][index]
                c0 = states[1][index] if self.mode == "LSTM" else None
                run = self._fused_layer if fused else self._reference_layer
                out, h, c = run(x, h0, c0, weights, direction == 1)
                outputs.append(out)
                final_h.append(h)
                if c is not None:
                    final_c.append(c)
            x = outputs[0] if directions == 1 else ops.cat(outputs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = x
        h_n = ops.stack(final_h)
        c_n = ops.stack(final_c) if self.mode == "LSTM" else None
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)


class RNN(RNNBase):
    """Multi-layer Elman recurrent network. For each element of the input sequence, each layer
    computes ``h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh)``, where ``x_t`` is the input
    at step ``t`` (the output of the layer below for layers after the first) and ``h_(t-1)``
    the previous hidden state; ``nonlinearity='relu'`` uses ReLU instead of tanh.

    ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Args:
        input_size: the number of features of each input step ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        num_layers: the number of stacked recurrent layers; each layer after the first reads the
            outputs of the one below. Default: ``1``.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, features)`` instead of ``(L, N, features)``
            (the hidden states keep the batch in dimension 1). Default: ``False``.
        dropout: the probability of dropout on the outputs of every layer but the last, in
            training. Default: ``0.0``.
        bidirectional: run each layer over the sequence in both directions and concatenate the
            two outputs. Default: ``False``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih_l[k] (Tensor): the input-to-hidden weights of layer ``k``, shape
            ``(hidden_size, input_size)`` for ``k = 0``, else
            ``(hidden_size, D*hidden_size)``.
        weight_hh_l[k] (Tensor): the hidden-to-hidden weights of layer ``k``, shape
            ``(hidden_size, hidden_size)``.
        bias_ih_l[k] (Tensor): the input-to-hidden bias of layer ``k``, ``(hidden_size,)``.
        bias_hh_l[k] (Tensor): the hidden-to-hidden bias of layer ``k``, ``(hidden_size,)``.
        weight_ih_l[k]_reverse (Tensor): ``weight_ih_l[k]`` of the reverse direction
            (``bidirectional`` only; likewise the three below).
        weight_hh_l[k]_reverse (Tensor): ``weight_hh_l[k]`` of the reverse direction.
        bias_ih_l[k]_reverse (Tensor): ``bias_ih_l[k]`` of the reverse direction.
        bias_hh_l[k]_reverse (Tensor): ``bias_hh_l[k]`` of the reverse direction.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        - Input: ``(L, H_in)`` unbatched, ``(L, N, H_in)``, or ``(N, L, H_in)`` with
          ``batch_first``; ``L`` is the sequence length and ``N`` the batch size.
        - hx (``h_0``): ``(D * num_layers, H_out)`` unbatched or ``(D * num_layers, N, H_out)``;
          zeros when not given. ``D`` is 2 if bidirectional, else 1.
        - Output: ``(output, h_n)``; ``output`` is ``(L, D * H_out)``, ``(L, N, D * H_out)`` or
          ``(N, L, D * H_out)`` (the last layer's states at every step); ``h_n`` has the shape of
          ``h_0``: the final hidden state of every layer and direction.

    Example:
        >>> rnn = nn.RNN(10, 20, 2)
        >>> x, h0 = ember.randn(5, 3, 10), ember.randn(2, 3, 20)
        >>> output, hn = rnn(x, h0)
        >>> output.shape, hn.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
        >>> bool((output[-1] == hn[-1]).all())
        True
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Multi-layer long short-term memory network. For each element of the input sequence, each
    layer computes::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_(t-1) + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_(t-1) + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_(t-1) + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_(t-1) + b_ho)
        c_t = f_t * c_(t-1) + i_t * g_t
        h_t = o_t * tanh(c_t)

    where ``h_t`` is the hidden state, ``c_t`` the cell state, ``x_t`` the input at step ``t``
    (the output of the layer below for layers after the first) and ``i, f, g, o`` the input,
    forget, cell and output gates. With ``proj_size > 0`` each ``h_t`` is then multiplied by a
    learned ``weight_hr`` down to ``proj_size`` features.

    ``forward(input, hx=None)`` takes ``hx = (h_0, c_0)`` and returns
    ``(output, (h_n, c_n))``.

    Args:
        input_size: the number of features of each input step ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        num_layers: the number of stacked recurrent layers; each layer after the first reads the
            outputs of the one below. Default: ``1``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, features)`` instead of ``(L, N, features)``
            (the hidden states keep the batch in dimension 1). Default: ``False``.
        dropout: the probability of dropout on the outputs of every layer but the last, in
            training. Default: ``0.0``.
        bidirectional: run each layer over the sequence in both directions and concatenate the
            two outputs. Default: ``False``.
        proj_size: project the hidden state to this many features (``H_out = proj_size``); 0
            turns projections off. Must be below ``hidden_size``. Default: ``0``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih_l[k] (Tensor): the input-to-hidden weights of layer ``k``, shape
            ``(4*hidden_size, input_size)`` for ``k = 0``, else
            ``(4*hidden_size, D*H_out)``, the gates stacked as
            ``(W_ii|W_if|W_ig|W_io)``.
        weight_hh_l[k] (Tensor): the hidden-to-hidden weights of layer ``k``, shape
            ``(4*hidden_size, H_out)``.
        bias_ih_l[k] (Tensor): the input-to-hidden bias of layer ``k``, ``(4*hidden_size,)``.
        bias_hh_l[k] (Tensor): the hidden-to-hidden bias of layer ``k``, ``(4*hidden_size,)``.
        weight_hr_l[k] (Tensor): the projection of layer ``k``, ``(proj_size, hidden_size)``,
            only with ``proj_size > 0``.
        weight_ih_l[k]_reverse (Tensor): ``weight_ih_l[k]`` of the reverse direction
            (``bidirectional`` only; likewise the three below).
        weight_hh_l[k]_reverse (Tensor): ``weight_hh_l[k]`` of the reverse direction.
        bias_ih_l[k]_reverse (Tensor): ``bias_ih_l[k]`` of the reverse direction.
        bias_hh_l[k]_reverse (Tensor): ``bias_hh_l[k]`` of the reverse direction.
        weight_hr_l[k]_reverse (Tensor): ``weight_hr_l[k]`` of the reverse direction.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        - Input: ``(L, H_in)`` unbatched, ``(L, N, H_in)``, or ``(N, L, H_in)`` with
          ``batch_first``; ``L`` is the sequence length and ``N`` the batch size.
        - h_0: ``(D * num_layers, H_out)`` unbatched or ``(D * num_layers, N, H_out)``, with
          ``H_out = proj_size`` if it is above 0 else ``hidden_size``; ``D`` is 2 if
          bidirectional, else 1. Zeros when ``hx`` is not given.
        - c_0: ``(D * num_layers, hidden_size)`` or ``(D * num_layers, N, hidden_size)``.
        - Output: ``(output, (h_n, c_n))``; ``output`` is ``(L, D * H_out)``,
          ``(L, N, D * H_out)`` or ``(N, L, D * H_out)``; ``h_n`` and ``c_n`` have the shapes of
          ``h_0`` and ``c_0``, the final states of every layer and direction.

    Example:
        >>> lstm = nn.LSTM(10, 20, 2)
        >>> x = ember.randn(5, 3, 10)
        >>> h0, c0 = ember.randn(2, 3, 20), ember.randn(2, 3, 20)
        >>> output, (hn, cn) = lstm(x, (h0, c0))
        >>> output.shape, hn.shape, cn.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]), ember.Size([2, 3, 20]))
        >>> projected = nn.LSTM(10, 20, batch_first=True, proj_size=4)
        >>> output, (hn, cn) = projected(ember.randn(3, 5, 10))
        >>> output.shape, hn.shape, cn.shape
        (ember.Size([3, 5, 4]), ember.Size([1, 3, 4]), ember.Size([1, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, dtype=dtype)


class GRU(RNNBase):
    """Multi-layer gated recurrent unit network. For each element of the input sequence, each
    layer computes::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_(t-1) + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_(t-1)

    where ``h_t`` is the hidden state, ``x_t`` the input at step ``t`` (the output of the
    layer below for layers after the first) and ``r, z, n`` the reset, update and new gates.

    ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Args:
        input_size: the number of features of each input step ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        num_layers: the number of stacked recurrent layers; each layer after the first reads the
            outputs of the one below. Default: ``1``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, features)`` instead of ``(L, N, features)``
            (the hidden states keep the batch in dimension 1). Default: ``False``.
        dropout: the probability of dropout on the outputs of every layer but the last, in
            training. Default: ``0.0``.
        bidirectional: run each layer over the sequence in both directions and concatenate the
            two outputs. Default: ``False``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih_l[k] (Tensor): the input-to-hidden weights of layer ``k``, shape
            ``(3*hidden_size, input_size)`` for ``k = 0``, else
            ``(3*hidden_size, D*hidden_size)``, the gates stacked as
            ``(W_ir|W_iz|W_in)``.
        weight_hh_l[k] (Tensor): the hidden-to-hidden weights of layer ``k``, shape
            ``(3*hidden_size, hidden_size)``.
        bias_ih_l[k] (Tensor): the input-to-hidden bias of layer ``k``, ``(3*hidden_size,)``.
        bias_hh_l[k] (Tensor): the hidden-to-hidden bias of layer ``k``, ``(3*hidden_size,)``.
        weight_ih_l[k]_reverse (Tensor): ``weight_ih_l[k]`` of the reverse direction
            (``bidirectional`` only; likewise the three below).
        weight_hh_l[k]_reverse (Tensor): ``weight_hh_l[k]`` of the reverse direction.
        bias_ih_l[k]_reverse (Tensor): ``bias_ih_l[k]`` of the reverse direction.
        bias_hh_l[k]_reverse (Tensor): ``bias_hh_l[k]`` of the reverse direction.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        - Input: ``(L, H_in)`` unbatched, ``(L, N, H_in)``, or ``(N, L, H_in)`` with
          ``batch_first``; ``L`` is the sequence length and ``N`` the batch size.
        - hx (``h_0``): ``(D * num_layers, H_out)`` unbatched or ``(D * num_layers, N, H_out)``;
          zeros when not given. ``D`` is 2 if bidirectional, else 1.
        - Output: ``(output, h_n)``; ``output`` is ``(L, D * H_out)``, ``(L, N, D * H_out)`` or
          ``(N, L, D * H_out)`` (the last layer's states at every step); ``h_n`` has the shape of
          ``h_0``: the final hidden state of every layer and direction.

    Example:
        >>> gru = nn.GRU(10, 20, 2, bidirectional=True)
        >>> output, hn = gru(ember.randn(5, 3, 10))
        >>> output.shape, hn.shape
        (ember.Size([5, 3, 40]), ember.Size([4, 3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype=dtype)


class RNNCellBase(Module):
    """The parameters shared by :class:`RNNCell`, :class:`LSTMCell` and :class:`GRUCell`: the
    input-to-hidden and hidden-to-hidden weights of ``num_chunks`` gates, and their biases. It
    has no ``forward`` of its own.

    Args:
        input_size: the number of input features.
        hidden_size: the number of features of the hidden state.
        bias: learn the biases ``bias_ih`` and ``bias_hh``.
        num_chunks: the number of gates (1 for RNNCell, 4 for LSTMCell, 3 for GRUCell).
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih (Tensor): ``(num_chunks * hidden_size, input_size)``.
        weight_hh (Tensor): ``(num_chunks * hidden_size, hidden_size)``.
        bias_ih (Tensor): ``(num_chunks * hidden_size,)``; ``None`` without ``bias``.
        bias_hh (Tensor): ``(num_chunks * hidden_size,)``; ``None`` without ``bias``.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Example:
        >>> m = nn.RNNCellBase(4, 8, True, 3)
        >>> m.weight_ih.shape, m.bias_hh.shape
        (ember.Size([24, 4]), ember.Size([24]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks
        self.weight_ih = Parameter(ops.empty((gates * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(ops.empty((gates * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ops.empty(gates * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(ops.empty(gates * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform on ``[-1/sqrt(hidden_size), 1/sqrt(hidden_size)]``."""
        _reset_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        return text

    def _batched(self, input: Tensor, hx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        states = []
        for h in (hx if isinstance(hx, tuple) else (hx,)):
            if h is None:
                h = ops.zeros((x.shape[0], self.hidden_size), dtype=x.dtype)
            elif not batched:
                h = h.unsqueeze(0)
            states.append(h)
        return batched, x, states


class RNNCell(RNNCellBase):
    """One step of an Elman recurrent network (see :class:`RNN`).

    ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``, or ReLU instead of tanh.

    ``forward(input, hx=None)`` returns ``h'``; ``hx`` defaults to zeros.

    Args:
        input_size: the number of input features ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih (Tensor): the input-to-hidden weights, ``(hidden_size, input_size)``.
        weight_hh (Tensor): the hidden-to-hidden weights, ``(hidden_size, hidden_size)``.
        bias_ih (Tensor): the input-to-hidden bias, ``(hidden_size,)``.
        bias_hh (Tensor): the hidden-to-hidden bias, ``(hidden_size,)``.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        - Input: ``(N, H_in)`` or ``(H_in,)``.
        - hx: ``(N, H_out)`` or ``(H_out,)``; zeros when not given.
        - Output: ``h'``, ``(N, H_out)`` or ``(H_out,)``.

    Example:
        >>> cell = nn.RNNCell(10, 20)
        >>> x, hx = ember.randn(6, 3, 10), ember.randn(3, 20)
        >>> for t in range(6):
        ...     hx = cell(x[t], hx)
        >>> hx.shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        text = super().extra_repr()
        if self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def forward(self, input: Tensor, hx=None) -> Tensor:
        batched, x, (h,) = self._batched(input, hx)
        if _cell_fusable(self, x, [h]):  # one step of the fused layer
            h = _rnn_functional.rnn_layer(x.unsqueeze(0), h, self.weight_ih, self.weight_hh,
                                          self.bias_ih, self.bias_hh,
                                          nonlinearity=self.nonlinearity)[1]
        else:
            mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
            h = _rnn_step(mode, F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                          self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of a long short-term memory network (see :class:`LSTM`).

    With the gates ``i, f, g, o = chunks of (x W_ih^T + b_ih + h W_hh^T + b_hh)``:
    ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)`` and ``h' = sigmoid(o) * tanh(c')``.

    ``forward(input, hx=None)`` takes ``hx = (h, c)`` and returns ``(h', c')``; both default
    to zeros.

    Args:
        input_size: the number of input features ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih (Tensor): the input-to-hidden weights, ``(4*hidden_size, input_size)``, the gates
            stacked as ``(W_ii|W_if|W_ig|W_io)``.
        weight_hh (Tensor): the hidden-to-hidden weights, ``(4*hidden_size, hidden_size)``.
        bias_ih (Tensor): the input-to-hidden bias, ``(4*hidden_size,)``.
        bias_hh (Tensor): the hidden-to-hidden bias, ``(4*hidden_size,)``.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        - Input: ``(N, H_in)`` or ``(H_in,)``.
        - hx: a pair ``(h, c)``, each ``(N, H_out)`` or ``(H_out,)``; zeros when not given.
        - Output: ``(h', c')``, each ``(N, H_out)`` or ``(H_out,)``.

    Example:
        >>> cell = nn.LSTMCell(10, 20)
        >>> x = ember.randn(2, 3, 10)
        >>> hx, cx = ember.randn(3, 20), ember.randn(3, 20)
        >>> for t in range(2):
        ...     hx, cx = cell(x[t], (hx, cx))
        >>> hx.shape, cx.shape
        (ember.Size([3, 20]), ember.Size([3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx=None):
        batched, x, states = self._batched(input, (None, None) if hx is None else tuple(hx))
        if _cell_fusable(self, x, states):  # one step of the fused layer
            _, h, c = _rnn_functional.lstm_layer(x.unsqueeze(0), states[0], states[1],
                                                 self.weight_ih, self.weight_hh, self.bias_ih,
                                                 self.bias_hh)
        else:
            h, c = _lstm_step(F.linear(x, self.weight_ih, self.bias_ih), states[0], states[1],
                              self.weight_hh, self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of a gated recurrent unit network (see :class:`GRU`).

    ``r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and ``h' = (1 - z) * n + z * h``.

    ``forward(input, hx=None)`` returns ``h'``; ``hx`` defaults to zeros.

    Args:
        input_size: the number of input features ``H_in``.
        hidden_size: the number of features of the hidden state ``H_out``.
        bias: learn the biases ``b_ih`` and ``b_hh``. Default: ``True``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight_ih (Tensor): the input-to-hidden weights, ``(3*hidden_size, input_size)``, the gates
            stacked as ``(W_ir|W_iz|W_in)``.
        weight_hh (Tensor): the hidden-to-hidden weights, ``(3*hidden_size, hidden_size)``.
        bias_ih (Tensor): the input-to-hidden bias, ``(3*hidden_size,)``.
        bias_hh (Tensor): the hidden-to-hidden bias, ``(3*hidden_size,)``.

        All are drawn from ``U(-b, b)`` with ``b = 1 / sqrt(hidden_size)``.

    Shape:
        - Input: ``(N, H_in)`` or ``(H_in,)``.
        - hx: ``(N, H_out)`` or ``(H_out,)``; zeros when not given.
        - Output: ``h'``, ``(N, H_out)`` or ``(H_out,)``.

    Example:
        >>> cell = nn.GRUCell(10, 20)
        >>> hx = cell(ember.randn(3, 10))
        >>> hx.shape
        ember.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx=None) -> Tensor:
        batched, x, (h,) = self._batched(input, hx)
        if _cell_fusable(self, x, [h]):  # one step of the fused layer
            h = _rnn_functional.gru_layer(x.unsqueeze(0), h, self.weight_ih, self.weight_hh,
                                          self.bias_ih, self.bias_hh)[1]
        else:
            h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                          self.bias_hh)
        return h if batched else h.squeeze(0)

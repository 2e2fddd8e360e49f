"""Layers for people who backpropagate by hand (seed 002): NumPy in, NumPy out.

Each layer has ``forward(x, ...)`` and ``backward(grad)`` on plain ``numpy.ndarray`` values and
keeps what its backward needs between the two calls. :class:`DropoutLayer` runs the array core of
``ember.nn.functional.dropout`` (``dropout_array``): ``p`` is the probability of *dropping* an
element (PyTorch's meaning), and for the same generator state it draws the very masks
``F.dropout`` draws, with the same rounding; the mask is kept bit-packed (1 bit per element)
for the backward.

Example (seed 004's manual MLP)::

    fc1, relu, drop, fc2 = Linear(20, 64), ReLU(), DropoutLayer(0.5), Linear(64, 5)
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(fc2.forward(drop.forward(relu.forward(fc1.forward(X)))), y)
    fc1.backward(relu.backward(drop.backward(fc2.backward(loss_fn.backward()))))
    for layer in (fc1, fc2):
        layer.step(lr=0.5)
"""

from __future__ import annotations

import math

import numpy as np

from ember.nn.functional.dropout import check_p, dropout_array, dropout_array_backward
from ember.random import Generator, _gen

__all__ = ["DropoutLayer", "Linear", "ReLU", "SoftmaxCrossEntropy"]


def _as_float(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def _check_grad(layer: str, grad, shape: tuple, dtype) -> np.ndarray:
    g = np.asarray(grad)
    if g.shape != shape:
        raise ValueError(
            f"{layer}.backward: gradient has shape {g.shape}, but the last forward produced an "
            f"output of shape {shape}"
        )
    return g.astype(dtype, copy=False)


def _before_forward(layer: str) -> RuntimeError:
    return RuntimeError(f"{layer}.backward called before forward: run forward(x) first")


class DropoutLayer:
    """Inverted dropout on NumPy arrays, with a backward that reuses the forward's mask.

    Args:
        p: probability of dropping an element (PyTorch's meaning), in ``[0, 1]``.
        generator: an :class:`ember.Generator` for the masks (the default generator otherwise).

    Example:
        >>> layer = DropoutLayer(0.5)
        >>> y = layer.forward(np.array([1.0, 2.0, 3.0, 4.0]))          # training
        >>> g = layer.backward(np.array([0.1, 0.2, 0.3, 0.4]))         # same mask
        >>> layer.forward(np.array([1.0, 2.0]), training=False)        # identity
    """

    def __init__(self, p: float, *, generator: Generator | None = None) -> None:
        check_p(p, reject_nan=True)
        self.p = float(p)
        self.generator = generator
        self._shape: tuple | None = None
        self._dtype = None
        self._state = None  # the last training forward's DropoutState
        self._bits: np.ndarray | None = None  # its packed mask, 1 bit per element
        self._mode = None  # 'identity', 'zero' or 'mask'

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """Applies dropout in training (a new array), the identity otherwise.

        Args:
            x: input of any shape (integer inputs are computed in float64, float16 in float32).
            training: apply dropout if True.

        Returns:
            An array of ``x``'s shape.
        """
        x = _as_float(x, "x")
        self._shape, self._dtype = x.shape, x.dtype
        if not training or self.p == 0.0 or x.size == 0:
            self._mode = "identity"
            return x.copy()
        if self.p == 1.0:
            self._mode = "zero"
            return x * x.dtype.type(0)
        if x.dtype not in (np.float32, np.float64):
            x = x.astype(np.float32)
            self._dtype = x.dtype
        out, self._state, self._bits = dropout_array(x, self.p, _gen(self.generator))
        self._mode = "mask"
        return out

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """``grad * mask / (1 - p)`` with the mask of the last forward.

        Args:
            grad: the gradient of the last forward's output.

        Returns:
            The gradient of its input.

        Raises:
            RuntimeError: if ``forward`` has not run.
            ValueError: if ``grad``'s shape differs from the last output's.
        """
        if self._mode is None:
            raise _before_forward("DropoutLayer")
        g = _check_grad("DropoutLayer", grad, self._shape, self._dtype)
        if self._mode == "identity":
            return g.copy()
        if self._mode == "zero":
            return g * g.dtype.type(0)
        return dropout_array_backward(g, self._state, self._bits)

    @property
    def mask(self) -> np.ndarray | None:
        """The last training forward's keep decisions as a bool array (None otherwise)."""
        if self._mode != "mask":
            return None
        keep = np.unpackbits(self._bits, count=math.prod(self._shape), bitorder="little")
        return keep.view(np.bool_).reshape(self._shape)


class Linear:
    """``y = x @ W + b`` with ``W`` of shape ``(in_features, out_features)`` (seed 004's layout).

    Args:
        in_features: size of each input row.
        out_features: size of each output row.
        std: standard deviation of the normal initial weights (biases start at 0).
        rng: a ``numpy.random.Generator`` for the initial weights.
    """

    def __init__(self, in_features: int, out_features: int, *, std: float = 0.02,
                 rng: np.random.Generator | None = None, dtype=np.float32) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        self.W = (rng.standard_normal((in_features, out_features)) * std).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x @ W + b`` for ``x`` of shape ``(N, in_features)``; keeps ``x`` for backward."""
        x = _as_float(x, "x")
        if x.ndim != 2 or x.shape[1] != self.W.shape[0]:
            raise ValueError(f"Linear.forward: expected input (N, {self.W.shape[0]}), got "
                             f"{x.shape}")
        self._x = x
        return x @ self.W + self.b

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Stores ``dW = x.T @ grad`` and ``db = grad.sum(0)``; returns ``grad @ W.T``."""
        if self._x is None:
            raise _before_forward("Linear")
        g = _check_grad("Linear", grad, (self._x.shape[0], self.W.shape[1]), self.W.dtype)
        self.dW = self._x.T @ g
        self.db = g.sum(axis=0)
        return g @ self.W.T

    def step(self, lr: float) -> None:
        """Plain SGD: ``W -= lr * dW``, ``b -= lr * db``."""
        self.W -= lr * self.dW
        self.b -= lr * self.db


class ReLU:
    """``max(x, 0)``; its backward passes the gradient where ``x > 0``."""

    def __init__(self) -> None:
        self._pos: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float(x, "x")
        self._pos = x > 0
        return np.where(self._pos, x, x.dtype.type(0))

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._pos is None:
            raise _before_forward("ReLU")
        g = _check_grad("ReLU", grad, self._pos.shape, np.result_type(grad))
        return g * self._pos


class SoftmaxCrossEntropy:
    """Mean cross-entropy of ``softmax(logits)`` against integer class labels.

    ``forward(logits, y)`` returns the scalar loss; ``backward()`` returns
    ``(softmax(logits) - onehot(y)) / N``, the gradient with respect to the logits.
    """

    def __init__(self) -> None:
        self.probs: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def forward(self, logits: np.ndarray, y: np.ndarray) -> float:
        logits = _as_float(logits, "logits")
        y = np.asarray(y)
        if logits.ndim != 2 or y.shape != (logits.shape[0],):
            raise ValueError(f"SoftmaxCrossEntropy.forward: expected logits (N, K) and labels "
                             f"(N,), got {logits.shape} and {y.shape}")
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.probs = np.exp(logp)
        self._y = y.astype(np.int64)
        return float(-logp[np.arange(len(y)), self._y].mean())

    __call__ = forward

    def backward(self, grad: float = 1.0) -> np.ndarray:
        if self.probs is None:
            raise _before_forward("SoftmaxCrossEntropy")
        n = self.probs.shape[0]
        d = self.probs.copy()
        d[np.arange(n), self._y] -= 1
        return d * (np.asarray(grad, dtype=d.dtype) / n)

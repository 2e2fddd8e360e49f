"""Parameter initialisation (``ember.nn.init``), with PyTorch's formulas and names.

Every function fills its tensor in place without recording gradients and returns it; each
takes an optional ``generator=``.
"""

from __future__ import annotations

import math

import numpy as np

from ember import random as _random
from ember.autograd.grad_mode import no_grad
from ember.tensor import Tensor

__all__ = [
    "_calculate_fan_in_and_fan_out",
    "calculate_gain",
    "constant_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity: the factor by which the standard deviation of the
    initial weights is scaled so that the activations keep their scale (PyTorch's table).

    ============================  ==================================
    nonlinearity                  gain
    ============================  ==================================
    linear, conv*, sigmoid        ``1``
    tanh                          ``5 / 3``
    relu                          ``sqrt(2)``
    leaky_relu                    ``sqrt(2 / (1 + negative_slope^2))``
    selu                          ``3 / 4``
    ============================  ==================================

    Args:
        nonlinearity: the name of the function, as in the table (``'conv1d'``,
            ``'conv_transpose2d'``, ... count as linear).
        param: for ``'leaky_relu'``, its negative slope. Default: ``None`` (0.01).

    Returns:
        The gain, a float.

    Raises:
        ValueError: for an unknown nonlinearity or a slope that is not a number.

    Example:
        >>> nn.init.calculate_gain("tanh")
        1.6666666666666667
        >>> round(nn.init.calculate_gain("leaky_relu", 0.2), 4)
        1.3868
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fills ``tensor`` in place with values drawn from the uniform distribution ``U(a, b)``.

    Args:
        tensor: the tensor to fill (no gradient is recorded).
        a: the lower bound. Default: ``0.0``.
        b: the upper bound. Default: ``1.0``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(3, 5)
        >>> _ = nn.init.uniform_(w, -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fills ``tensor`` in place with values drawn from the normal distribution
    ``N(mean, std^2)``.

    Args:
        tensor: the tensor to fill (no gradient is recorded).
        mean: the mean. Default: ``0.0``.
        std: the standard deviation. Default: ``1.0``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(100, 100)
        >>> _ = nn.init.normal_(w, mean=2.0, std=0.5)
        >>> round(w.mean().item(), 1), round(w.std().item(), 1)
        (2.0, 0.5)
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fills ``tensor`` in place with values drawn from a truncated normal distribution: values of
    ``N(mean, std^2)`` outside ``[a, b]`` are drawn again until they fall inside. Best with
    ``mean`` inside ``[a, b]``.

    Args:
        tensor: the tensor to fill (no gradient is recorded).
        mean: the mean of the normal distribution. Default: ``0.0``.
        std: its standard deviation. Default: ``1.0``.
        a: the lowest value kept. Default: ``-2.0``.
        b: the highest value kept. Default: ``2.0``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(100, 100)
        >>> _ = nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    with no_grad():
        out = np.empty(tensor.shape, dtype=np.float64).reshape(-1)
        filled = 0
        while filled < out.size:
            z = _random.normal_array((out.size - filled,), np.float64, mean, std, generator)
            z = z[(z >= a) & (z <= b)]
            out[filled:filled + z.size] = z
            filled += z.size
        tensor._write(out.reshape(tensor.shape))
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills ``tensor`` in place with the value ``val``.

    Args:
        tensor: the tensor to fill (no gradient is recorded).
        val: the value.

    Returns:
        ``tensor`` itself.

    Example:
        >>> nn.init.constant_(ember.empty(2, 3), 0.3)
        tensor([[0.3000, 0.3000, 0.3000],
                [0.3000, 0.3000, 0.3000]])
    """
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fills ``tensor`` in place with zeros.

    Args:
        tensor: the tensor to fill (no gradient is recorded).

    Returns:
        ``tensor`` itself.

    Example:
        >>> nn.init.zeros_(ember.empty(2, 3))
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fills ``tensor`` in place with ones.

    Args:
        tensor: the tensor to fill (no gradient is recorded).

    Returns:
        ``tensor`` itself.

    Example:
        >>> nn.init.ones_(ember.empty(2, 3))
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fills a 2-D ``tensor`` in place with the identity matrix (ones on the main diagonal, zeros
    elsewhere; rectangular shapes allowed). In linear layers this keeps the identity of the
    inputs.

    Args:
        tensor: the 2-D tensor to fill (no gradient is recorded).

    Returns:
        ``tensor`` itself.

    Raises:
        ValueError: if ``tensor`` is not 2-D.

    Example:
        >>> nn.init.eye_(ember.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        tensor._write(np.eye(*tensor.shape))
    return tensor


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot (Xavier) uniform initialisation, in place: values from ``U(-a, a)`` with
    ``a = gain * sqrt(6 / (fan_in + fan_out))``, which keeps the variance of activations and
    gradients about equal through the layers (Glorot and Bengio, 2010).

    ``fan_in`` is ``tensor.shape[1]`` and ``fan_out`` is ``tensor.shape[0]``, each times the
    product of the remaining (kernel) dimensions.

    Args:
        tensor: the tensor to fill, at least 2-D (no gradient is recorded).
        gain: the scale factor (see :func:`calculate_gain`). Default: ``1.0``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(3, 5)
        >>> _ = nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("relu"))
        >>> bool((w.abs() <= 2 ** 0.5 * (6 / 8) ** 0.5).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot (Xavier) normal initialisation, in place: values from ``N(0, std^2)`` with
    ``std = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot and Bengio, 2010).

    ``fan_in`` is ``tensor.shape[1]`` and ``fan_out`` is ``tensor.shape[0]``, each times the
    product of the remaining (kernel) dimensions.

    Args:
        tensor: the tensor to fill, at least 2-D (no gradient is recorded).
        gain: the scale factor (see :func:`calculate_gain`). Default: ``1.0``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(200, 300)
        >>> _ = nn.init.xavier_normal_(w)
        >>> round(w.std().item() / (2 / 500) ** 0.5, 1)
        1.0
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    """``gain / sqrt(fan)``, the standard deviation both Kaiming initialisations aim for."""
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """Kaiming (He) uniform initialisation, in place: values from ``U(-bound, bound)`` with
    ``bound = gain * sqrt(3 / fan)``, ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` the
    fan-in or fan-out by ``mode`` (He et al., 2015). A tensor with a zero-size dimension is left
    as it is.

    Args:
        tensor: the tensor to fill, at least 2-D (no gradient is recorded).
        a: the negative slope of the rectifier that follows (for ``'leaky_relu'``).
            Default: ``0``.
        mode: ``'fan_in'`` keeps the variance of the activations in the forward pass;
            ``'fan_out'`` keeps that of the gradients in the backward pass. Default: ``'fan_in'``.
        nonlinearity: the function that follows, ``'relu'`` or ``'leaky_relu'`` being the
            intended ones. Default: ``'leaky_relu'``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(3, 6)
        >>> _ = nn.init.kaiming_uniform_(w, mode="fan_in", nonlinearity="relu")
        >>> bool((w.abs() <= 1.0).all())
        True
    """
    if 0 in tensor.shape:
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """Kaiming (He) normal initialisation, in place: values from ``N(0, std^2)`` with
    ``std = gain / sqrt(fan)``, ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` the
    fan-in or fan-out by ``mode`` (He et al., 2015). A tensor with a zero-size dimension is left
    as it is.

    Args:
        tensor: the tensor to fill, at least 2-D (no gradient is recorded).
        a: the negative slope of the rectifier that follows (for ``'leaky_relu'``).
            Default: ``0``.
        mode: ``'fan_in'`` keeps the variance of the activations in the forward pass;
            ``'fan_out'`` keeps that of the gradients in the backward pass. Default: ``'fan_in'``.
        nonlinearity: the function that follows, ``'relu'`` or ``'leaky_relu'`` being the
            intended ones. Default: ``'leaky_relu'``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Example:
        >>> w = ember.empty(500, 200)
        >>> _ = nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
        >>> round(w.std().item() / (2 / 500) ** 0.5, 1)
        1.0
    """
    if 0 in tensor.shape:
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Fills ``tensor`` in place with a (semi-)orthogonal matrix, as in Saxe et al. (2013): the Q
    factor of the QR decomposition of a standard normal sample, with signs fixed so that the
    result is uniformly distributed, times ``gain``. A tensor of more than two dimensions is
    treated as ``(shape[0], product of the rest)``.

    Args:
        tensor: the tensor to fill, at least 2-D (no gradient is recorded).
        gain: the scale factor. Default: ``1.0``.
        generator: the random generator to draw from. Default: ``None`` (the global one).

    Returns:
        ``tensor`` itself.

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.

    Example:
        >>> w = ember.empty(3, 5)
        >>> _ = nn.init.orthogonal_(w)
        >>> bool(ember.allclose(w @ w.T, ember.eye(3), atol=1e-5))
        True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _random.normal_array((rows, cols), np.float64, 0.0, 1.0, generator)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        tensor._write((gain * q).reshape(tensor.shape))
    return tensor

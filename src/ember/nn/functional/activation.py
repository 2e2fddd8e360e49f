"""Activation functions: relu and its relatives, gelu, silu, softplus, softmax and friends.

Each elementwise activation is one :class:`ArrayFunction` whose forward and backward sit side by
side; softmax, log_softmax, sigmoid and tanh reuse the ops of the same name. ``inplace=True``
writes the result into the input (as PyTorch, it is refused on a leaf that requires grad).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ember import ops
from ember.autograd.function import ArrayFunction
from ember.ops._util import canon_dim, check_kernel, quiet
from ember.ops.pointwise import _erf, activation_backward, activation_forward, softplus_raw
from ember.tensor import Tensor

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
]


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy choice of dim when none is given (with its deprecation warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function without overflow (exp of non-positive arguments only)."""
    if x.ndim == 0:  # written in place below, which a 0-d NumPy result cannot take
        return _sigmoid(x.reshape(1)).reshape(())
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    r = e + 1
    np.reciprocal(r, out=r)  # sigmoid(|x|)
    e *= r  # sigmoid(-|x|)
    np.copyto(e, r, where=x >= 0)
    return e


def _apply(fn, input: Tensor, inplace: bool) -> Tensor:
    """Runs an out-of-place activation, or writes its result into ``input``."""
    if inplace:
        return input._inplace(fn)
    return fn(input)


def _at_least_1d(cls, t: Tensor, *args) -> Tensor:
    """``cls.apply(t, *args)``, a 0-d ``t`` passed as one element: the Function writes its
    arrays in place, which a 0-d NumPy result cannot take."""
    if t.ndim == 0:
        return cls.apply(t.reshape(1), *args).reshape(())
    return cls.apply(t, *args)


# -- Functions: forward and backward side by side ----------------------------------------------

_INPLACE_NEGATIVE = ("In-place {} backward calculation is triggered with a negative slope which "
                     "is not supported. This is caused by calling in-place forward function with "
                     "a negative slope, please call out-of-place version instead.")


@quiet
class LeakyRelu(ArrayFunction):
    """``x`` for x > 0, else ``negative_slope * x``.

    An in-place call (``is_result``) saves its result, as PyTorch's ``leaky_relu_`` does (a
    later in-place edit of it is refused at backward). The result has the input's sign only
    for a slope >= 0: with a negative one the backward refuses, as PyTorch's.
    """

    @staticmethod
    def forward(ctx, x, negative_slope, is_result=False):
        ctx.params = (negative_slope, is_result)
        out = np.where(x > 0, x, x * negative_slope)
        ctx.save_for_backward(out if is_result else x)
        return out

    @staticmethod
    def backward(ctx, grad):
        (saved,) = ctx.saved_tensors
        slope, is_result = ctx.params
        if is_result and slope < 0:
            raise RuntimeError(_INPLACE_NEGATIVE.format("leakyReLu"))
        return np.where(saved > 0, grad, grad * slope), None, None


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, else ``negative_slope * x``."""
    check_kernel(input, "leaky_relu_cpu", "biu")
    return _apply(lambda t: LeakyRelu.apply(t, negative_slope, inplace), input, inplace)


@quiet
class Elu(ArrayFunction):
    """``scale * x`` for x > 0, else ``scale * alpha * (exp(input_scale * x) - 1)``.

    Covers elu (scale = input_scale = 1), selu and celu (input_scale = 1 / alpha). An in-place
    call (``is_result``) saves its result, as PyTorch's ``elu_`` does, and takes the gradient
    from it (for a negative alpha the result no longer tells the branch: refused, as PyTorch).
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale, is_result=False):
        ctx.params = (alpha, scale, input_scale, is_result)
        # where(x > 0, 0, x), not minimum(x, 0): -0.0 stays -0.0 (torch's sign of zero)
        neg = np.expm1(np.where(x > 0, 0, x) * input_scale) * (alpha * scale)
        out = np.where(x > 0, x * scale, neg)
        if is_result:
            ctx.save_for_backward(out)
        else:
            ctx.save_for_backward(x, neg)
        return out

    @staticmethod
    def backward(ctx, grad):
        alpha, scale, input_scale, is_result = ctx.params
        if is_result:
            (x,) = ctx.saved_tensors  # first: an edited result is refused before the slope
            if alpha < 0:
                raise RuntimeError(_INPLACE_NEGATIVE.format("elu"))
            neg = x  # the result itself on the exponential branch
        else:
            x, neg = ctx.saved_tensors
        # d/dx of scale*alpha*(e^(s x) - 1) is s * (neg + scale * alpha); x > 0 picks the
        # linear branch, so NaN takes the exponential one and stays NaN (torch's vectorized loop)
        return np.where(x > 0, grad * scale, grad * input_scale * (neg + alpha * scale)), \
            None, None, None, None


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: ``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""
    check_kernel(input, "elu_cpu", "biu")
    return _apply(lambda t: Elu.apply(t, alpha, 1.0, 1.0, inplace), input, inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507)."""
    check_kernel(input, "elu_cpu", "biu")
    return _apply(lambda t: Elu.apply(t, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace),
                  input, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    check_kernel(input, "elu_cpu", "biu")
    return _apply(lambda t: Elu.apply(t, alpha, 1.0, 1.0 / alpha, inplace),
                  input, inplace)


@quiet
class Gelu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        if x.dtype == np.float32:  # one fused pass; backward recomputes from x
            ctx.save_for_backward(x)
            return activation_forward("gelu_tanh" if approximate == "tanh" else "gelu", x)
        if approximate == "tanh":
            t = x * x
            t *= 0.044715
            t += 1
            t *= x
            t *= _SQRT_2_OVER_PI
            np.tanh(t, out=t)
            ctx.save_for_backward(x, t)
            out = t + 1
            out *= x
            out *= 0.5
            return out
        cdf = _erf(x * _INV_SQRT_2)
        cdf += 1
        cdf *= 0.5
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.saved_tensors) == 1:
            (x,) = ctx.saved_tensors
            name = "gelu_tanh" if ctx.approximate == "tanh" else "gelu"
            return activation_backward(name, x, grad), None
        x, c = ctx.saved_tensors
        if ctx.approximate == "tanh":
            # 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
            d = x * x
            d *= 3 * 0.044715
            d += 1
            d *= x
            d *= 1 - c * c
            d *= 0.5 * _SQRT_2_OVER_PI
            d += 0.5
            d += 0.5 * c
            d *= grad
            return d, None
        # d/dx x * Phi(x) = Phi(x) + x * phi(x)
        d = x * x
        d *= -0.5
        np.exp(d, out=d)
        d *= x
        d *= _INV_SQRT_2PI
        d += c
        d *= grad
        return d, None


@quiet
class Silu(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.float32:
            ctx.save_for_backward(x)
            return activation_forward("silu", x)
        s = _sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.saved_tensors) == 1:
            return activation_backward("silu", ctx.saved_tensors[0], grad)
        x, s = ctx.saved_tensors
        d = 1 - s  # s (1 + x (1 - s))
        d *= x
        d += 1
        d *= s
        d *= grad
        return d


@quiet
class Mish(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.float32:
            ctx.save_for_backward(x)
            return activation_forward("mish", x)
        t = np.tanh(softplus_raw(x))
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    def backward(ctx, grad):
        if len(ctx.saved_tensors) == 1:
            return activation_backward("mish", ctx.saved_tensors[0], grad)
        x, t = ctx.saved_tensors
        return grad * (t + x * _sigmoid(x) * (1 - t * t))


@quiet
class Softplus(ArrayFunction):
    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.params = (beta, threshold)
        ctx.save_for_backward(x)
        if x.dtype == np.float32:
            return activation_forward("softplus", x, beta, threshold)
        bx = x * beta
        # above the threshold softplus is the identity (as in PyTorch)
        return np.where(bx > threshold, x, softplus_raw(bx) / beta)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.params
        if x.dtype == np.float32:
            return activation_backward("softplus", x, grad, beta, threshold), None, None
        bx = x * beta
        return np.where(bx > threshold, grad, grad * _sigmoid(bx)), None, None


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, the identity where ``beta * x > threshold``."""
    check_kernel(input, "softplus_cpu", "biu")
    return Softplus.apply(input, beta, threshold)


@quiet
class LogSigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # torch's form: log(sigmoid(+inf)) is +0.0 (the negated softplus gave -0.0)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _sigmoid(-x)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed without overflow."""
    check_kernel(input, "log_sigmoid_cpu", "biu")
    return LogSigmoid.apply(input)


class Hardtanh(ArrayFunction):
    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        # no gradient at the bounds themselves, as PyTorch's hardtanh_backward
        return np.where((x > lo) & (x < hi), grad, np.zeros((), grad.dtype)), None, None


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamps to ``[min_val, max_val]`` (gradient 1 strictly inside, 0 elsewhere)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    return _apply(lambda t: Hardtanh.apply(t, min_val, max_val), input, inplace)


class Hardsigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where((x > -3) & (x < 3), grad / 6, np.zeros((), grad.dtype))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Piecewise-linear sigmoid ``clamp(x / 6 + 1/2, 0, 1)``.

    Args:
        input: a floating tensor of any shape.
        inplace: write the result into ``input``.

    Example:
        >>> F.hardsigmoid(ember.tensor([-4.0, 0.0, 1.5]))
        tensor([0.0000, 0.5000, 0.7500])
    """
    check_kernel(input, "hardsigmoid_cpu", "biu")
    return _apply(Hardsigmoid.apply, input, inplace)


@quiet
class Hardswish(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x + 3, 0, 6).astype(x.dtype, copy=False) / 6

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # PyTorch: 0 up to -3, x/3 + 1/2 strictly between (and at NaN, as its vectorized
        # kernel), 1 from 3 on
        mid = grad * (x / 3 + 0.5)
        return np.where(x <= -3, 0, np.where(x >= 3, grad, mid)).astype(grad.dtype, copy=False)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    check_kernel(input, "hardswish_cpu", "biu")
    return _apply(Hardswish.apply, input, inplace)


class Threshold(ArrayFunction):
    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return np.where(x <= threshold, np.asarray(value, dtype=x.dtype), x)  # NaN stays NaN

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(x <= ctx.threshold, np.zeros((), grad.dtype), grad), None, None


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    return _threshold(input, threshold, value, True)


def _threshold(input: Tensor, limit: float, value: float, inplace: bool) -> Tensor:
    check_kernel(input, "threshold_cpu")
    if inplace:  # torch's kernel writes through an expanded tensor
        return input._inplace_through(lambda t: Threshold.apply(t, limit, value))
    return Threshold.apply(input, limit, value)


@quiet
class Shrink(ArrayFunction):
    """softshrink (``soft=True``: moves values toward 0 by lambd) and hardshrink."""

    @staticmethod
    def forward(ctx, x, lambd, soft):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        inside = (x >= -lambd) & (x <= lambd)  # NaN is outside: it stays NaN
        if soft:
            return np.where(inside, 0, x - np.sign(x) * lambd).astype(x.dtype, copy=False)
        return np.where(inside, 0, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        keep = (x > ctx.lambd) | (x < -ctx.lambd)  # NaN gets no gradient, as in PyTorch
        return np.where(keep, grad, np.zeros((), grad.dtype)), None, None


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above lambd, ``x + lambd`` below -lambd, 0 between."""
    check_kernel(input, "softshrink_check", "biu")
    if lambd < 0:
        raise RuntimeError(
            f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return Shrink.apply(input, lambd, True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    check_kernel(input, "hardshrink_cpu", "biu")
    return Shrink.apply(input, lambd, False)


@quiet
class Prelu(ArrayFunction):
    """``max(0, x) + weight * min(0, x)``, weight broadcast along dim 1 (channels)."""

    @staticmethod
    def forward(ctx, x, weight):
        w = weight
        if weight.size > 1:
            w = weight.reshape((-1,) + (1,) * (x.ndim - 2))
        ctx.save_for_backward(x, w)
        ctx.wshape = weight.shape
        return np.where(x > 0, x, w * x)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = np.where(x > 0, grad, w * grad)
        gw = None
        if ctx.needs_input_grad[1]:
            gneg = np.where(x > 0, 0, grad * x)
            if len(ctx.wshape) and ctx.wshape[0] > 1:
                axes = (0, *tuple(range(2, x.ndim)))
                gw = gneg.sum(axis=axes).reshape(ctx.wshape)
            else:
                gw = np.asarray(gneg.sum()).reshape(ctx.wshape)
        return gx, gw


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)`` with a learned slope per channel (dim 1) or one
    shared slope."""
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if input.ndim == 0 or n != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {channels}.")
    check_kernel(input, "prelu_cpu", "biu")
    return Prelu.apply(input, weight)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Rectified linear unit ``max(x, 0)``.

    Args:
        input: any shape.
        inplace: write the result into ``input``.

    Example:
        >>> relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return _apply(ops.relu, input, inplace)


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    Args:
        input: a floating tensor of any shape.
        approximate: ``'none'`` (exact, with erf) or ``'tanh'`` (the tanh approximation).

    Example:
        >>> F.gelu(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    check_kernel(input, "GeluKernelImpl", "biu")
    return _at_least_1d(Gelu, input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``."""
    check_kernel(input, "silu_cpu", "biu")
    return _apply(lambda t: _at_least_1d(Silu, t), input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    check_kernel(input, "mish_cpu", "biu")
    return _apply(lambda t: _at_least_1d(Mish, t), input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-x))``."""
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(input)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (ops.abs(input) + 1)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - ops.tanh(input)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``.

    Args:
        input: any shape.
        dim: the dimension that sums to 1 (None: PyTorch's legacy choice, with a warning).
        dtype: cast the input to this dtype first.

    Example:
        >>> F.softmax(ember.tensor([[1.0, 1.0], [0.0, 0.0]]), dim=1)
        tensor([[0.5000, 0.5000],
                [0.5000, 0.5000]])
    """
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return ops.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``.

    Args:
        input: any shape.
        dim: the dimension that sums to 1 (None: PyTorch's legacy choice, with a warning).
        dtype: cast the input to this dtype first.

    Example:
        >>> F.softmin(ember.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    # negated first, then cast (as PyTorch): a bool input is refused by the negation
    return ops.softmax(-input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed without overflow.

    Args:
        input: any shape.
        dim: the dimension to normalise over (None: PyTorch's legacy choice, with a warning).
        dtype: cast the input to this dtype first.

    Example:
        >>> F.log_softmax(ember.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return ops.log_softmax(input, dim, dtype=dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: splits ``input`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``.

    Args:
        input: any shape whose size along ``dim`` is even.
        dim: the dimension to split.

    Example:
        >>> F.glu(ember.tensor([1.0, 2.0, 0.0, 0.0]))
        tensor([0.5000, 1.0000])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = canon_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    check_kernel(input, "glu_cpu", "biu")
    a, b = ops.chunk(input, 2, d)
    return a * ops.sigmoid(b)

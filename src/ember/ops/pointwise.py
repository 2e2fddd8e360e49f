"""Pointwise math: exp, log, trigonometry, activations, clamp, maximum/minimum, where."""

from __future__ import annotations

import numpy as np

from ember import _dtype
from ember.autograd.function import ArrayFunction
from ember.backend import get_backend
from ember.ops._util import (
    apply_binary,
    broadcast_error,
    cast,
    check_kernel,
    kernel_error,
    operands,
    promote,
    quiet,
    reduce_grad,
    require_tensors,
    select_grad,
)
from ember.ops.arith import apply_mixed, in_dtype
from ember.tensor import Tensor

__all__ = [
    "abs",
    "absolute",
    "acos",
    "arctan2",
    "asin",
    "atan",
    "atan2",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "cos",
    "cosh",
    "erf",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "fmax",
    "fmin",
    "frac",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logit",
    "maximum",
    "minimum",
    "nan_to_num",
    "relu",
    "round",
    "rsqrt",
    "sgn",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "softplus_raw",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    "where",
]


@quiet
class Exp(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _unary_kernel("exp", x, np.exp)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


def exp(input: Tensor) -> Tensor:
    """Elementwise ``e ** x``.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of exponentials, shaped like ``input``.

    Example:
        >>> ember.exp(ember.tensor([0., 1.]))
        tensor([1.0000, 2.7183])
    """
    return Exp.apply(_float_input(input))


@quiet
class Exp2(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * np.log(2.0).astype(out.dtype)


def exp2(input: Tensor) -> Tensor:
    """Elementwise ``2 ** x``.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of powers of two, shaped like ``input``.

    Example:
        >>> ember.exp2(ember.tensor([0., 3.]))
        tensor([1., 8.])
    """
    return Exp2.apply(_float_input(input))


@quiet
class Expm1(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


def expm1(input: Tensor) -> Tensor:
    """Elementwise ``e ** x - 1``, accurate near 0.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of ``e ** x - 1``, shaped like ``input``.

    Example:
        >>> ember.expm1(ember.tensor([0., 1e-10]))
        tensor([0.0000e+00, 1.0000e-10])
    """
    return Expm1.apply(_float_input(input))


@quiet
class Log(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_kernel("log", x, np.log)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of logarithms, shaped like ``input``.

    Example:
        >>> ember.log(ember.tensor([1., 100.]))
        tensor([0.0000, 4.6052])
    """
    return Log.apply(_float_input(input))


@quiet
class Log2(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * np.log(2.0).astype(x.dtype))


def log2(input: Tensor) -> Tensor:
    """Elementwise base-2 logarithm.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of logarithms, shaped like ``input``.

    Example:
        >>> ember.log2(ember.tensor([1., 8.]))
        tensor([0., 3.])
    """
    return Log2.apply(_float_input(input))


@quiet
class Log10(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * np.log(10.0).astype(x.dtype))


def log10(input: Tensor) -> Tensor:
    """Elementwise base-10 logarithm.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of logarithms, shaped like ``input``.

    Example:
        >>> ember.log10(ember.tensor([1., 100.]))
        tensor([0., 2.])
    """
    return Log10.apply(_float_input(input))


@quiet
class Log1p(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


def log1p(input: Tensor) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate near 0.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of ``log(1 + x)``, shaped like ``input``.

    Example:
        >>> ember.log1p(ember.tensor([0., 1e-10]))
        tensor([0.0000e+00, 1.0000e-10])
    """
    return Log1p.apply(_float_input(input))


@quiet
class Sqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of square roots, shaped like ``input``.

    Example:
        >>> ember.sqrt(ember.tensor([4., 2.]))
        tensor([2.0000, 1.4142])
    """
    return Sqrt.apply(_float_input(input))


@quiet
class Rsqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (-0.5 * out * out * out)


def rsqrt(input: Tensor) -> Tensor:
    """Elementwise ``1 / sqrt(x)``.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of ``1 / sqrt(x)``, shaped like ``input``.

    Example:
        >>> ember.rsqrt(ember.tensor([4., 0.25]))
        tensor([0.5000, 2.0000])
    """
    return Rsqrt.apply(_float_input(input))


class Abs(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        # grad * sgn(x), with PyTorch's sgn (0 at 0 and at NaN)
        (x,) = ctx.saved_tensors
        return grad * _sign_float(x)


def abs(input: Tensor) -> Tensor:
    """Elementwise absolute value (gradient ``sign(x)``, 0 at 0).

    Args:
        input: the input tensor.

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.abs(ember.tensor([-1.5, 0., 2.]))
        tensor([1.5000, 0.0000, 2.0000])
    """
    check_kernel(input, "abs_cpu")
    if not _dtype.is_floating(input._data.dtype):
        return Tensor._make(np.abs(input._data))
    return Abs.apply(input)


@quiet
class Sin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.cos(x)


def sin(input: Tensor) -> Tensor:
    """Elementwise sine.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of sines, shaped like ``input``.

    Example:
        >>> ember.sin(ember.tensor([0., 1.5707964]))
        tensor([0., 1.])
    """
    return Sin.apply(_float_input(input))


@quiet
class Cos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * np.sin(x)


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of cosines, shaped like ``input``.

    Example:
        >>> ember.cos(ember.tensor([0., 3.1415927]))
        tensor([ 1., -1.])
    """
    return Cos.apply(_float_input(input))


@quiet
class Tan(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 + out * out)


def tan(input: Tensor) -> Tensor:
    """Elementwise tangent.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of tangents, shaped like ``input``.

    Example:
        >>> ember.tan(ember.tensor([0., 0.7853982]))
        tensor([0., 1.])
    """
    return Tan.apply(_float_input(input))


@quiet
class Atan(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + x * x)


def atan(input: Tensor) -> Tensor:
    """Elementwise arctangent.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of arctangents, shaped like ``input``.

    Example:
        >>> ember.atan(ember.tensor([0., 1.]))
        tensor([0.0000, 0.7854])
    """
    return Atan.apply(_float_input(input))


@quiet
class Asin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / np.sqrt(1 - x * x)


def asin(input: Tensor) -> Tensor:
    """Elementwise arcsine.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of arcsines (NaN outside [-1, 1]), shaped like ``input``.

    Example:
        >>> ember.asin(ember.tensor([0., 1.]))
        tensor([0.0000, 1.5708])
    """
    return Asin.apply(_float_input(input))


@quiet
class Acos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad / np.sqrt(1 - x * x)


def acos(input: Tensor) -> Tensor:
    """Elementwise arccosine.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of arccosines (NaN outside [-1, 1]), shaped like ``input``.

    Example:
        >>> ember.acos(ember.tensor([1., 0.]))
        tensor([0.0000, 1.5708])
    """
    return Acos.apply(_float_input(input))


@quiet
class Sinh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.cosh(x)


def sinh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic sine.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of hyperbolic sines, shaped like ``input``.

    Example:
        >>> ember.sinh(ember.tensor([0., 1.]))
        tensor([0.0000, 1.1752])
    """
    return Sinh.apply(_float_input(input))


@quiet
class Cosh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.sinh(x)


def cosh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic cosine.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of hyperbolic cosines, shaped like ``input``.

    Example:
        >>> ember.cosh(ember.tensor([0., 1.]))
        tensor([1.0000, 1.5431])
    """
    return Cosh.apply(_float_input(input))


@quiet
class Atan2(ArrayFunction):
    @staticmethod
    def forward(ctx, y, x, y_was_bool=False, dt=None):
        # with ``dt``, two float tensors of other dtypes promoted here: the caller's are saved
        ctx.save_for_backward(y, x)
        ctx.y_was_bool, ctx.dt = y_was_bool, dt
        return np.arctan2(in_dtype(y, dt), in_dtype(x, dt))

    @staticmethod
    def backward(ctx, grad):
        # d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
        y0, x0 = ctx.saved_tensors
        y, x = in_dtype(y0, ctx.dt), in_dtype(x0, ctx.dt)
        if ctx.needs_input_grad[1] and ctx.y_was_bool:
            # torch negates the bool input itself for x's gradient
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        r2 = x * x + y * y
        # as torch: 1 / r2 taken as 0 at the origin, then multiplied (an inf gradient there
        # gives NaN, a finite one a signed 0)
        with np.errstate(divide="ignore"):
            recip = np.where(r2 == 0, np.zeros((), r2.dtype), 1 / r2)
        gy = reduce_grad(grad * x * recip, y0.shape, y0.dtype) if ctx.needs_input_grad[0] \
            else None
        gx = reduce_grad(grad * -y * recip, x0.shape, x0.dtype) if ctx.needs_input_grad[1] \
            else None
        return gy, gx, None, None


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise angle of the point ``(other, input)``: ``atan(input / other)`` by quadrant.

    Args:
        input: the y coordinates.
        other: the x coordinates.

    Returns:
        A new floating-point tensor of angles in ``[-pi, pi]``.

    Example:
        >>> ember.atan2(ember.tensor([1., -1.]), ember.tensor([-1., -1.]))
        tensor([ 2.3562, -2.3562])
    """
    require_tensors("atan2", input, other)
    was_bool = input._data.dtype == np.bool_
    mixed = apply_mixed(Atan2, input, other, was_bool, floating=True) \
        if input._data.dtype.kind == "f" and other._data.dtype.kind == "f" else None
    if mixed is not None:
        return mixed
    a, b, _ = operands(input, other, floating=True)
    try:
        return Atan2.apply(_as_tensor(a, b), _as_tensor(b, a), was_bool)
    except ValueError:
        raise broadcast_error(a, b) from None


@quiet
class LogAddExp(ArrayFunction):
    """``log(e^a + e^b)`` in ``dt``; the operands come in their own dtypes and are saved as
    they are (torch saves the caller's tensors, not promoted copies)."""

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)  # as torch: the inputs, not the result
        ctx.dt = dt
        return np.logaddexp(np.asarray(a, dt), np.asarray(b, dt))

    @staticmethod
    def backward(ctx, grad):
        # d/da log(e^a + e^b) = 1 / (1 + e^(b - a)): the softmax weight of a
        a, b = ctx.saved_tensors
        if np.bool_ in (a.dtype, b.dtype):
            # torch's formula subtracts the operands, and refuses a bool one
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        metas = (a.shape, a.dtype), (b.shape, b.dtype)
        a, b = np.asarray(a, ctx.dt), np.asarray(b, ctx.dt)
        ga = reduce_grad(grad / (1 + np.exp(b - a)), *metas[0]) \
            if ctx.needs_input_grad[0] else None
        gb = reduce_grad(grad / (1 + np.exp(a - b)), *metas[1]) \
            if ctx.needs_input_grad[1] else None
        return ga, gb, None


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise ``log(exp(input) + exp(other))`` without overflow.

    Args:
        input: a floating-point tensor.
        other: a tensor broadcast against ``input``.

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.logaddexp(ember.tensor([0., 1000.]), ember.tensor([0., 1000.]))
        tensor([6.9315e-01, 1.0007e+03])
    """
    require_tensors("logaddexp", input, other)
    dt = promote(input, other)
    if dt.kind in "biu":
        raise kernel_error("logaddexp_cpu", dt)
    try:
        return LogAddExp.apply(input, other, dt)
    except ValueError:
        raise broadcast_error(input, other) from None


@quiet
class Tanh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _unary_kernel("tanh", x, np.tanh)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of hyperbolic tangents, shaped like ``input``.

    Example:
        >>> ember.tanh(ember.tensor([0., 1.]))
        tensor([0.0000, 0.7616])
    """
    return Tanh.apply(_float_input(input))


@quiet
class Sigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _unary_kernel("sigmoid", x, _sigmoid_array)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function ``1 / (1 + e^-x)``, stable for large ``|x|``.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of logistic values, shaped like ``input``.

    Example:
        >>> ember.sigmoid(ember.tensor([0., 2., -2.]))
        tensor([0.5000, 0.8808, 0.1192])
    """
    return Sigmoid.apply(_float_input(input))


class Relu(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # a selection, not a product: a NaN gradient stays where the input was clipped
        (out,) = ctx.saved_tensors
        return select_grad(~(out <= 0), grad)  # NaN passes its gradient on, as in PyTorch


def relu(input: Tensor) -> Tensor:
    """Elementwise ``max(x, 0)``.

    Args:
        input: the input tensor.

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.relu(ember.tensor([-1., 2.]))
        tensor([0., 2.])
    """
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


@quiet
class Erf(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _unary_kernel("erf", x, _erf)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (2 / np.sqrt(np.pi)) * np.exp(-x * x)


def erf(input: Tensor) -> Tensor:
    """Elementwise Gauss error function.

    Args:
        input: the input tensor (integers and bools are computed in the default float dtype).

    Returns:
        A new tensor of error-function values, shaped like ``input``.

    Example:
        >>> ember.erf(ember.tensor([0., 1.]))
        tensor([0.0000, 0.8427])
    """
    return Erf.apply(_float_input(input))


@quiet
class Passthrough(ArrayFunction):
    """frac(x) = x - trunc(x): gradient 1."""

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def frac(input: Tensor) -> Tensor:
    """``x - trunc(x)``.

    Args:
        input: a floating-point tensor.

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.frac(ember.tensor([-1.25, 2.5]))
        tensor([-0.2500,  0.5000])
    """
    check_kernel(input, "frac_cpu", "biu")
    return Passthrough.apply(input)


@quiet
class Clamp(ArrayFunction):
    @staticmethod
    def forward(ctx, x, lo, hi):
        out = x
        if lo is not None and hi is not None and not isinstance(lo, np.ndarray) and \
                not isinstance(hi, np.ndarray):
            out = np.clip(x, lo, hi)  # one pass: min(max(x, lo), hi), NaN kept (3x faster)
        else:
            if lo is not None:
                out = np.maximum(out, lo)
            if hi is not None:
                out = np.minimum(out, hi)
        out = np.asarray(out)
        if out is x:
            out = x.copy()
        ctx.metas = tuple(None if v is None or not isinstance(v, np.ndarray) else (v.shape, v.dtype)
                          for v in (lo, hi))
        ctx.save_for_backward(x, lo, hi)
        return out.astype(x.dtype, copy=False) if out.dtype != x.dtype else out

    @staticmethod
    def backward(ctx, grad):
        # x gets the gradient where lo <= x <= hi (nowhere when lo > hi); lo where x < lo
        # (and lo < hi); hi where x > hi or hi < lo, since the result is then hi
        x, lo, hi = ctx.saved_tensors
        zero = np.zeros((), dtype=grad.dtype)
        inside = True
        glo = ghi = None
        if lo is not None:
            inside = x >= lo
            if ctx.needs_input_grad[1]:
                pick = x < lo if hi is None else (x < lo) & (lo < hi)
                glo = reduce_grad(np.where(pick, grad, zero), *ctx.metas[0])
        if hi is not None:
            inside = inside & (x <= hi)
            if ctx.needs_input_grad[2]:
                pick = x > hi if lo is None else (x > hi) | (hi < lo)
                ghi = reduce_grad(np.where(pick, grad, zero), *ctx.metas[1])
        gx = np.where(inside, grad, zero)
        return (gx if gx.shape == x.shape else reduce_grad(gx, x.shape, x.dtype)), glo, ghi


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Limits values to ``[min, max]``; min/max may be numbers or tensors.

    The gradient flows where ``min <= x <= max`` (to the bound where it is exceeded).

    Args:
        input: the input tensor.
        min: the lower bound: a number or a tensor (None: no lower bound).
        max: the upper bound: a number or a tensor (None: no upper bound).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.clamp(ember.tensor([-2., 0.5, 3.]), min=-1, max=1)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if min is not None and max is not None and isinstance(min, Tensor) != isinstance(max, Tensor):
        min, max = _number_bounds(min, max)
    dt = promote(input, *(v for v in (min, max) if v is not None))
    if dt == np.bool_ and not isinstance(min, Tensor) and not isinstance(max, Tensor):
        kernel = "clamp" if min is not None and max is not None else (
            "clamp_min" if min is not None else "clamp_max")
        raise kernel_error(f"{kernel}_scalar_cpu", dt)
    if dt == np.bool_ and min is not None and max is not None:  # both bounds: one bool-less
        raise kernel_error("clamp_cpu", dt)  # kernel (one bound is a maximum or minimum)
    if dt != input._data.dtype:
        input = cast(input, dt)
    if isinstance(min, Tensor) and min._data.dtype != dt:
        min = cast(min, dt)
    if isinstance(max, Tensor) and max._data.dtype != dt:
        max = cast(max, dt)
    lo = min._data if isinstance(min, Tensor) else min
    hi = max._data if isinstance(max, Tensor) else max
    if isinstance(lo, np.ndarray) or isinstance(hi, np.ndarray):
        try:
            return Clamp.apply(input, min, max)
        except ValueError:
            raise broadcast_error(*(v for v in (input, min, max) if v is not None)) from None
    return Clamp.apply(input, lo, hi)


def _select_grads(ctx, grad, a, b, a_loses, b_loses, tie):
    """Gradients of a two-way selection: each side gets the gradient where it does not lose,
    halved where the sides tie (PyTorch's rule; NaN compares false, so both get it)."""
    zero = np.zeros((), dtype=grad.dtype)
    shared = np.where(tie, grad / 2, grad)
    ga = reduce_grad(np.where(a_loses, zero, shared), a.shape, a.dtype) \
        if ctx.needs_input_grad[0] else None
    gb = reduce_grad(np.where(b_loses, zero, shared), b.shape, b.dtype) \
        if ctx.needs_input_grad[1] else None
    return ga, gb


@quiet
class Maximum(ArrayFunction):
    """``maximum(a, b)``; with ``dt``, operands of two dtypes promoted inside (saved as the
    caller's tensors, as torch's)."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        ctx.dt = dt
        ctx.save_for_backward(a, b)
        return np.maximum(in_dtype(a, dt), in_dtype(b, dt))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        pa, pb = in_dtype(a, ctx.dt), in_dtype(b, ctx.dt)
        return (*_select_grads(ctx, grad, a, b, pa < pb, pa > pb, pa == pb), None)


@quiet
class Minimum(ArrayFunction):
    """``minimum(a, b)``; ``dt`` as in :class:`Maximum`."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        ctx.dt = dt
        ctx.save_for_backward(a, b)
        return np.minimum(in_dtype(a, dt), in_dtype(b, dt))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        pa, pb = in_dtype(a, ctx.dt), in_dtype(b, ctx.dt)
        return (*_select_grads(ctx, grad, a, b, pa > pb, pa < pb, pa == pb), None)


class FMaxMin(ArrayFunction):
    """fmax / fmin: NaN is ignored unless both are NaN. ``a`` gets the gradient where it is
    kept (``a >= b`` for fmax, or ``b`` is NaN), ``b`` everywhere else (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, a, b, is_max, dt=None):
        ctx.is_max, ctx.dt = is_max, dt
        ctx.save_for_backward(a, b)
        a, b = in_dtype(a, dt), in_dtype(b, dt)
        return np.fmax(a, b) if is_max else np.fmin(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        pa, pb = in_dtype(a, ctx.dt), in_dtype(b, ctx.dt)
        keep_a = ((pa >= pb) if ctx.is_max else (pa <= pb)) | np.isnan(pb)
        zero = np.zeros((), dtype=grad.dtype)
        ga = reduce_grad(np.where(keep_a, grad, zero), a.shape, a.dtype) \
            if ctx.needs_input_grad[0] else None
        gb = reduce_grad(np.where(keep_a, zero, grad), b.shape, b.dtype) \
            if ctx.needs_input_grad[1] else None
        return ga, gb, None, None


class Where(ArrayFunction):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.metas = tuple((v.shape, v.dtype) if isinstance(v, np.ndarray) else None for v in (a, b))
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        ga = gb = None
        zero = np.zeros((), dtype=grad.dtype)
        if ctx.needs_input_grad[1]:
            ga = reduce_grad(np.where(cond, grad, zero), *ctx.metas[0])
        if ctx.needs_input_grad[2]:
            gb = reduce_grad(np.where(cond, zero, grad), *ctx.metas[1])
        return None, ga, gb


def where(condition, input=None, other=None) -> Tensor | tuple[Tensor, ...]:
    """Picks ``input`` where ``condition`` holds and ``other`` elsewhere (with broadcasting).

    With only a condition, returns ``condition.nonzero(as_tuple=True)``.

    Args:
        condition: a bool tensor (other dtypes are read as ``!= 0``).
        input: the values where ``condition`` holds (a tensor or a number).
        other: the values elsewhere (a tensor or a number).

    Returns:
        A new tensor of the broadcast shape and promoted dtype; with only ``condition``, a tuple of
        int64 index tensors (``nonzero(as_tuple=True)``).

    Example:
        >>> c = ember.tensor([True, False, True])
        >>> ember.where(c, ember.tensor([1., 2., 3.]), 0.)
        tensor([1., 0., 3.])
        >>> ember.where(c)
        (tensor([0, 2]),)
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input, other = _scalar_pair(input, other)
    a, b, _ = operands(input, other)
    # the caller's bool tensor itself, so that editing it before backward is seen as in torch
    given = condition if isinstance(condition, Tensor) and condition._data is cond else None
    try:
        return Where.apply(given if given is not None else Tensor._make(cond), a, b)
    except ValueError:
        raise broadcast_error(cond, a, b) from None


def _float_input(x: Tensor) -> Tensor:
    if not _dtype.is_floating(x._data.dtype):
        return cast(x, _dtype.get_default_dtype().numpy)
    return x


absolute = abs


def sign(input: Tensor) -> Tensor:
    """Elementwise sign (-1, 0, 1; 0 for NaN, as in PyTorch); its gradient is zero.

    Args:
        input: the input tensor.

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.sign(ember.tensor([-2., 0., 3.]))
        tensor([-1.,  0.,  1.])
    """
    x = input._data
    if x.dtype == np.bool_:
        out = x.copy()
    elif _dtype.is_floating(x.dtype):
        out = _sign_float(x)
    else:
        out = np.sign(x)
    return _zero_grad_result(input, out)


def _sign_float(x: np.ndarray) -> np.ndarray:
    """PyTorch's sign of a floating array: -1, 0 or 1, and 0 for NaN."""
    return ((x > 0).astype(x.dtype) - (x < 0)).astype(x.dtype, copy=False)


class ZeroGrad(ArrayFunction):
    """A piecewise-constant result: recorded, with a zero gradient (not ``0 * grad``)."""

    @staticmethod
    def forward(ctx, x, out):
        ctx.meta = (x.shape, x.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        return np.zeros(*ctx.meta), None


class Sgn(ArrayFunction):
    """``sgn``: the sign (zero gradient for real tensors); saves its input and result, as
    PyTorch's SgnBackward does (for complex inputs), so in-place edits of either are refused
    at backward as there."""

    @staticmethod
    def forward(ctx, x, out):
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, _ = ctx.saved_tensors
        return np.zeros(x.shape, x.dtype), None


def sgn(input: Tensor) -> Tensor:
    """The sign of each element (for real tensors the same values as :func:`sign`).

    Args:
        input: the input tensor.

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.sgn(ember.tensor([-2., 0., 3.]))
        tensor([-1.,  0.,  1.])
    """
    out = sign(input)
    if input.requires_grad and _dtype.is_floating(out._data.dtype):
        return Sgn.apply(input, out._data)
    return out


def _zero_grad_result(input: Tensor, out) -> Tensor:
    """A result whose gradient is zero everywhere (still recorded, as in PyTorch)."""
    if input.requires_grad and _dtype.is_floating(out.dtype):
        return ZeroGrad.apply(input, out)
    return Tensor._make(out)


def floor(input: Tensor) -> Tensor:
    """Elementwise floor (zero gradient).

    Args:
        input: a tensor (not bool).

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.floor(ember.tensor([-1.5, 1.5]))
        tensor([-2.,  1.])
    """
    check_kernel(input, "floor_vml_cpu")
    return _zero_grad_result(input, np.floor(input._data))


def ceil(input: Tensor) -> Tensor:
    """Elementwise ceiling (zero gradient).

    Args:
        input: a tensor (not bool).

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.ceil(ember.tensor([-1.5, 1.5]))
        tensor([-1.,  2.])
    """
    check_kernel(input, "ceil_vml_cpu")
    return _zero_grad_result(input, np.ceil(input._data))


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:
    """Round half to even (zero gradient).

    Args:
        input: the input tensor.
        decimals: the number of decimal places (None: round to integers, and integer tensors come
            back unchanged; given, even 0, only floating tensors are accepted, as torch's other
            overload).

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.round(ember.tensor([0.5, 1.5, 2.675]))
        tensor([0., 2., 3.])
        >>> ember.round(ember.tensor([1.2345]), decimals=2)
        tensor([1.2300])
    """
    if decimals is None:  # torch's plain overload: integers come back as they are
        check_kernel(input, "round_vml_cpu")
        return _zero_grad_result(input, np.round(input._data))
    # passing ``decimals`` at all selects torch's other overload, which has no integer kernel
    check_kernel(input, "round_cpu" if decimals else "round_vml_cpu", "biu")
    return _zero_grad_result(input, np.round(input._data, decimals))


def trunc(input: Tensor) -> Tensor:
    """Round toward zero (zero gradient).

    Args:
        input: a tensor (not bool).

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.trunc(ember.tensor([-1.5, 1.5]))
        tensor([-1.,  1.])
    """
    check_kernel(input, "trunc_vml_cpu")
    return _zero_grad_result(input, np.trunc(input._data))


arctan2 = atan2


def _as_tensor(x, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=like._data.dtype))


@quiet
class Logit(ArrayFunction):
    """``log(p / (1 - p))`` with ``p`` clamped to ``[eps, 1 - eps]`` when eps is given; the
    gradient ``1 / (p (1 - p))`` is 0 outside the clamp range, NaN outside [0, 1] without
    eps (torch's)."""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        p = x if eps is None else np.clip(x, eps, 1 - eps)
        return np.log(p / (1 - p))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = grad / (x * (1 - x))
        if ctx.eps is None:
            outside, fill = (x < 0) | (x > 1), np.nan
        else:  # torch's vectorized loop keeps x in [eps, 1 - eps]: a NaN gets 0
            outside, fill = ~((x >= ctx.eps) & (x <= 1 - ctx.eps)), 0
        return np.where(outside, fill, g).astype(x.dtype, copy=False), None


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when eps is given.

    Args:
        input: probabilities.
        eps: None, or the clamp applied to ``input`` first.

    Returns:
        A new floating-point tensor.

    Example:
        >>> ember.logit(ember.tensor([0.5, 0.75]))
        tensor([0.0000, 1.0986])
    """
    return Logit.apply(_float_input(input), eps)


def softplus_raw(x: np.ndarray) -> np.ndarray:
    """``log(1 + e^x)`` on an array without overflow.

    Args:
        x: a NumPy array.

    Returns:
        A NumPy array of the same shape and dtype.

    Example:
        >>> ember.ops.pointwise.softplus_raw(np.array([0., 1000.]))
        array([6.93147181e-01, 1.00000000e+03])
    """
    return np.logaddexp(0, x).astype(x.dtype, copy=False)


def _erf(x: np.ndarray) -> np.ndarray:
    return get_backend().kernels("special").erf(x)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive argument only, so neither branch overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _flat_pair(x: np.ndarray, out_dtype=None) -> tuple:
    """``(flat, out, flat_out)``: ``x`` as a contiguous 1-D array and an uninitialised result
    of ``x``'s shape and layout (C or Fortran order kept; any other layout is copied to C
    order first) with its 1-D view in the same element order."""
    dtype = x.dtype if out_dtype is None else out_dtype
    if not x.flags.c_contiguous and x.flags.f_contiguous:
        out = np.empty(x.shape[::-1], dtype).T
        return x.T.reshape(-1), out, out.T.reshape(-1)
    out = np.empty(x.shape, dtype)
    return np.ravel(x), out, out.reshape(-1)  # ravel: a view when x is C-contiguous


def _unary_kernel(name: str, x: np.ndarray, fallback) -> np.ndarray:
    """``name(x)`` through the vectorized float32 kernels (``ember.kernels.elementwise``);
    ``fallback(x)`` for every other dtype."""
    if x.dtype != np.float32:
        return fallback(x)
    flat, out, flat_out = _flat_pair(x)
    get_backend().kernels("elementwise").forward(name, flat, flat_out)
    return out


def activation_forward(name: str, x: np.ndarray, beta: float = 1.0,
                       threshold: float = 20.0) -> np.ndarray:
    """A fused float32 activation (gelu, gelu_tanh, silu, mish, softplus) in one pass.

    Args:
        name: an op of ``ember.kernels.elementwise.FORWARD_OPS``.
        x: a float32 array of any shape and layout.
        beta: softplus's ``beta``.
        threshold: softplus's ``threshold``.

    Returns:
        A new float32 array of ``x``'s shape.

    Example:
        >>> ember.ops.pointwise.activation_forward("silu", np.array([0., 1.], np.float32))
        array([0.       , 0.7310586], dtype=float32)
    """
    flat, out, flat_out = _flat_pair(x)
    get_backend().kernels("elementwise").forward(name, flat, flat_out, beta, threshold)
    return out


def activation_backward(name: str, x: np.ndarray, grad: np.ndarray, beta: float = 1.0,
                        threshold: float = 20.0) -> np.ndarray:
    """The input's gradient of a fused float32 activation, from its input, in one pass.

    Args:
        name: an op of ``ember.kernels.elementwise.BACKWARD_OPS``.
        x: the forward's float32 input.
        grad: the gradient of the result (any layout; cast to float32).
        beta: softplus's ``beta``.
        threshold: softplus's ``threshold``.

    Returns:
        A new float32 array of ``x``'s shape.

    Example:
        >>> x = np.array([0.], np.float32)
        >>> ember.ops.pointwise.activation_backward("silu", x, np.ones_like(x))
        array([0.5], dtype=float32)
    """
    out = np.empty(x.shape, np.float32)
    get_backend().kernels("elementwise").backward(
        name, np.ravel(x), np.ravel(np.asarray(grad, np.float32)), out.reshape(-1), beta,
        threshold)
    return out


def _number_bounds(min, max) -> tuple:
    """A number and a tensor as clamp's bounds: torch's Number overload, which takes a 0-d
    tensor that requires no gradient as the number it holds (and is refused otherwise)."""
    bound = min if isinstance(min, Tensor) else max
    if bound._data.ndim == 0 and not bound._requires_grad:
        value = bound._data.item()
        return (value, max) if bound is min else (min, value)
    kinds = ", ".join(f"{k}={type(v).__name__}" for k, v in sorted(
        {"min": min, "max": max}.items()))
    raise TypeError(f"clamp() received an invalid combination of arguments - got (Tensor, "
                    f"{kinds}), but expected one of:\n * (Tensor input, Tensor min = None, "
                    "Tensor max = None, *, Tensor out = None)\n * (Tensor input, Number min = "
                    "None, Number max = None, *, Tensor out = None)")


clip = clamp


def clamp_min(input: Tensor, min) -> Tensor:
    """``clamp(input, min=min)``.

    Args:
        input: the input tensor.
        min: the lower bound: a number or a tensor.

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.clamp_min(ember.tensor([-2., 3.]), 0)
        tensor([0., 3.])
    """
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:
    """``clamp(input, max=max)``.

    Args:
        input: the input tensor.
        max: the upper bound: a number or a tensor.

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.clamp_max(ember.tensor([-2., 3.]), 0)
        tensor([-2.,  0.])
    """
    return clamp(input, max=max)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (ties share the gradient).

    Args:
        input: the input tensor.
        other: a tensor (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype (NaN wins).

    Example:
        >>> ember.maximum(ember.tensor([1., 5.]), ember.tensor([3., 2.]))
        tensor([3., 5.])
    """
    require_tensors("maximum", input, other)
    mixed = apply_mixed(Maximum, input, other)
    if mixed is not None:
        return mixed
    a, b, _ = operands(input, other)
    return apply_binary(Maximum, a, b)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (ties share the gradient).

    Args:
        input: the input tensor.
        other: a tensor (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype (NaN wins).

    Example:
        >>> ember.minimum(ember.tensor([1., 5.]), ember.tensor([3., 2.]))
        tensor([1., 2.])
    """
    require_tensors("minimum", input, other)
    mixed = apply_mixed(Minimum, input, other)
    if mixed is not None:
        return mixed
    a, b, _ = operands(input, other)
    return apply_binary(Minimum, a, b)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum that ignores NaN (NaN only where both are NaN).

    Args:
        input: the input tensor.
        other: a tensor (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.fmax(ember.tensor([1., float('nan')]), ember.tensor([3., 2.]))
        tensor([3., 2.])
    """
    return _fmax_min("fmax", input, other, True)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum that ignores NaN (NaN only where both are NaN).

    Args:
        input: the input tensor.
        other: a tensor (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.fmin(ember.tensor([1., float('nan')]), ember.tensor([3., 2.]))
        tensor([1., 2.])
    """
    return _fmax_min("fmin", input, other, False)


def _fmax_min(name: str, input: Tensor, other: Tensor, is_max: bool) -> Tensor:
    require_tensors(name, input, other)
    mixed = apply_mixed(FMaxMin, input, other, is_max)
    if mixed is not None:
        return mixed
    a, b, _ = operands(input, other)
    try:
        return FMaxMin.apply(a, b, is_max)
    except ValueError:
        raise broadcast_error(a, b) from None


def _scalar_pair(x, y) -> tuple[Tensor, Tensor]:
    """Two Python scalars as 0-d tensors of torch's common type (bool, int64 or the default
    float dtype)."""
    scalars = (x, y)
    dtype: np.dtype
    if all(isinstance(v, (bool, np.bool_)) for v in scalars):
        dtype = np.dtype(np.bool_)
    elif any(isinstance(v, (float, np.floating)) for v in scalars):
        dtype = _dtype.get_default_dtype().numpy
    else:
        dtype = np.dtype(np.int64)
    return Tensor._make(np.array(x, dtype)), Tensor._make(np.array(y, dtype))


class NanToNum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        # the gradient passes where x was finite and stops where it was replaced
        (x,) = ctx.saved_tensors
        return np.where(np.isfinite(x), grad, np.zeros((), grad.dtype)), None, None, None


def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Replaces NaN by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (the dtype's
    largest / lowest finite values by default); the gradient flows to finite elements only.

    Args:
        input: the input tensor.
        nan: the value for NaN.
        posinf: the value for +inf (None: the dtype's largest).
        neginf: the value for -inf (None: the dtype's lowest).

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.nan_to_num(ember.tensor([float('nan'), float('inf'), -1.]), posinf=9.)
        tensor([ 0.,  9., -1.])
    """
    if not _dtype.is_floating(input._data.dtype):
        return Tensor._make(input._data.copy())
    return NanToNum.apply(input, nan, posinf, neginf)

"""Arithmetic: + - * / ** and friends, with broadcasting and Python scalars."""

from __future__ import annotations

import builtins

import numpy as np

from ember import _dtype, _precision
from ember.autograd.function import ArrayFunction
from ember.ops._util import (
    apply_binary,
    broadcast_error,
    check_scalar_fits,
    kernel_error,
    operands,
    promote,
    quiet,
    reduce_grad,
)
from ember.tensor import Tensor

__all__ = [
    "add",
    "addcdiv",
    "addcmul",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "can_cast",
    "cast",
    "clone",
    "div",
    "divide",
    "floor_divide",
    "fmod",
    "lerp",
    "mul",
    "multiply",
    "neg",
    "negative",
    "pow",
    "promote_types",
    "reciprocal",
    "remainder",
    "result_type",
    "rsub",
    "square",
    "sub",
    "subtract",
    "true_divide",
]


def _meta(x):
    """Shape and dtype of an array operand (None for a Python scalar)."""
    return (x.shape, x.dtype) if isinstance(x, np.ndarray) else None


def _grad_for(ctx, i, g):
    meta = ctx.metas[i]
    if meta is None or not ctx.needs_input_grad[i]:
        return None
    return reduce_grad(g, *meta)


@quiet
class Cast(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        if not _dtype.is_floating(np.dtype(dtype)):
            ctx._non_differentiable = ()  # an integer result has no history (torch's ``to``)
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.in_dtype) if _dtype.is_floating(ctx.in_dtype) else None, None


def cast(input: Tensor, dtype) -> Tensor:
    """Converts to ``dtype`` (differentiable between floating dtypes).

    Args:
        input: the input tensor.
        dtype: the target NumPy dtype.

    Returns:
        A new tensor of ``dtype`` (the input itself is not changed).

    Example:
        >>> ember.ops.arith.cast(ember.tensor([1.7, -1.7]), np.int64)
        tensor([ 1, -1])
    """
    return Cast.apply(input, np.dtype(dtype))


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """Returns a copy of ``input`` that gradients flow through.

    Args:
        input: the input tensor.
        memory_format: accepted for torch's signature (the copy is always contiguous).

    Returns:
        A new tensor with the same values, dtype and shape.

    Example:
        >>> x = ember.tensor([1., 2.])
        >>> y = ember.clone(x)
        >>> y.add_(1)
        tensor([2., 3.])
        >>> x
        tensor([1., 2.])
    """
    return Clone.apply(input)


@quiet
class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return _grad_for(ctx, 0, grad), _grad_for(ctx, 1, grad)


@quiet
class Sub(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        return a - b

    @staticmethod
    def backward(ctx, grad):
        gb = _grad_for(ctx, 1, grad)
        return _grad_for(ctx, 0, grad), None if gb is None else -gb


def in_dtype(x, dt):
    """An operand in the result dtype ``dt`` (None: it already is, or a Python scalar)."""
    return x if dt is None or not isinstance(x, np.ndarray) else x.astype(dt, copy=False)


@quiet
class Mul(ArrayFunction):
    """``a * b``; with ``dt``, two tensors of other dtypes promoted inside, so that what is
    saved is the caller's tensors (as torch: an in-place edit of either is then seen)."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        # as torch, each operand is saved only for the other's gradient (a Python scalar
        # operand saves nothing of the tensor)
        ctx.metas, ctx.dt = (_meta(a), _meta(b)), dt
        need_a, need_b = ctx.needs_input_grad[:2]
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return in_dtype(a, dt) * in_dtype(b, dt)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        dt = ctx.dt
        ga = _grad_for(ctx, 0, grad * in_dtype(b, dt)) if ctx.needs_input_grad[0] else None
        gb = _grad_for(ctx, 1, grad * in_dtype(a, dt)) if ctx.needs_input_grad[1] else None
        return ga, gb, None


@quiet
class Div(ArrayFunction):
    """``a / b``; ``dt`` as in :class:`Mul`."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        # torch saves the divisor for a's gradient, and both for b's
        ctx.metas, ctx.dt = (_meta(a), _meta(b)), dt
        need_b = ctx.needs_input_grad[1]
        ctx.save_for_backward(a if need_b else None, b)
        return in_dtype(a, dt) / in_dtype(b, dt)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a, b = in_dtype(a, ctx.dt), in_dtype(b, ctx.dt)
        ga = _grad_for(ctx, 0, grad / b) if ctx.needs_input_grad[0] else None
        gb = _grad_for(ctx, 1, -grad * a / (b * b)) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def apply_mixed(cls, input, other, *extra, floating: bool = False):
    """``cls.apply(input, other, *extra, dt)`` for two tensors of different dtypes, which
    ``cls`` promotes to ``dt`` inside (what it saves is the caller's tensors, as torch's);
    None for any other operands."""
    if type(input) is not Tensor or type(other) is not Tensor or \
            input._data.dtype == other._data.dtype:
        return None
    dt = promote(input, other)
    if floating and not _dtype.is_floating(dt):
        dt = _dtype.get_default_dtype().numpy
    try:
        return cls.apply(input, other, *extra, dt)
    except ValueError:
        raise broadcast_error(input, other) from None


@quiet
class Reciprocal(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = np.reciprocal(x)
        ctx.save_for_backward(out)  # torch saves the result
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -grad * out * out


def reciprocal(input: Tensor) -> Tensor:
    """``1 / input`` (integers give the default float dtype).

    Args:
        input: the input tensor.

    Returns:
        A new floating-point tensor.

    Example:
        >>> ember.reciprocal(ember.tensor([2., -4.]))
        tensor([ 0.5000, -0.2500])
    """
    if not _dtype.is_floating(input._data.dtype):
        input = cast(input, _dtype.get_default_dtype().numpy)
    return Reciprocal.apply(input)


def _power(a, b):
    """``a ** b``; a floating array to a Python-number exponent takes torch's special cases
    (2, 3 and -2 as products, 0.5 as sqrt, -0.5 as 1 / sqrt, -1 as a reciprocal): 10-100x
    faster than ``pow`` and, at -0.0 and -inf, the same values as torch (``(-inf) ** 0.5`` is
    NaN)."""
    if isinstance(b, (int, float)) and isinstance(a, np.ndarray) and a.dtype.kind == "f":
        if b == 2:
            return a * a
        if b == 3:
            return a * a * a
        if b == 0.5:
            return np.sqrt(a)
        if b == -0.5:
            return np.reciprocal(np.sqrt(a))
        if b == -1:
            return np.reciprocal(a)
        if b == -2:
            return np.reciprocal(a * a)
        if b == -3:  # not torch's special cases, but pow's gradients at 3 and -2 (one ulp)
            return np.reciprocal(a * a * a)
        if b == 4:
            return np.square(a * a)
    out = np.power(a, b)
    if isinstance(b, np.ndarray) and b.dtype.kind == "f" and np.result_type(a, b).kind == "f":
        half = b == 0.5  # NumPy takes sqrt for a broadcast 0.5 (NaN at -inf, -0.0 at -0.0)
        if half.any():  # where torch's tensor exponent gives C's pow: +inf and +0.0
            out = np.where(half & (a == -np.inf), np.inf, out)
            out = np.where(half & (a == 0), np.zeros((), out.dtype), out)
    return out


@quiet
class Pow(ArrayFunction):
    """``a ** b``; ``dt`` as in :class:`Mul`."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        # torch saves the base for a scalar exponent, the exponent and the result for a scalar
        # base, all three when both are tensors
        ctx.metas, ctx.dt = (_meta(a), _meta(b)), dt
        out = _power(in_dtype(a, dt), in_dtype(b, dt))
        ctx.save_for_backward(a, b, out if isinstance(b, np.ndarray) else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        a, b = in_dtype(a, ctx.dt), in_dtype(b, ctx.dt)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            # d(a^b)/da = b * a^(b-1); written so that b == 0 gives 0, not nan, at a == 0
            if isinstance(b, (int, float)):
                ga = grad * b * _power(a, b - 1) if b != 0 else np.zeros_like(grad)
            else:
                ga = np.where(np.asarray(b == 0), 0.0, grad * b * np.power(a, b - 1))
            ga = _grad_for(ctx, 0, ga.astype(grad.dtype, copy=False))
        if ctx.needs_input_grad[1]:
            # d(a^b)/db = a^b * log(a), taken as 0 where a == 0 and b >= 0 (PyTorch's choice)
            gb = grad * out * np.log(a)
            gb = np.where(np.asarray((a == 0) & (np.asarray(b) >= 0)), 0.0, gb)
            gb = _grad_for(ctx, 1, gb.astype(grad.dtype, copy=False))
        return ga, gb, None


class PowOfBoolExponent(Pow):
    """:class:`Pow` with a bool exponent tensor: torch's gradient for the base evaluates
    ``exponent - 1`` on that bool tensor, which it refuses."""

    @staticmethod
    def backward(ctx, grad):
        if ctx.needs_input_grad[0]:
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return Pow.backward(ctx, grad)


@quiet
class RoundedDiv(ArrayFunction):
    """Division rounded toward -inf ('floor') or 0 ('trunc'): piecewise constant, so its
    gradient is zero (still recorded, as in PyTorch). Mode 'floor_divide' is torch's
    ``floor_divide``, whose backward torch does not implement."""

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.metas, ctx.mode = (_meta(a), _meta(b)), mode
        if mode == "floor_divide" and np.result_type(a, b).kind != "f":
            ctx._non_differentiable = ()  # torch records floor_divide of floats only
        if mode != "floor_divide":  # what torch's formulas would read, though both give zero
            needs = ctx.needs_input_grad
            ctx.save_for_backward(a if needs[1] else None, b if needs[0] or needs[1] else None)
        if mode != "trunc":  # NumPy's floor_divide has Python's (and PyTorch's) semantics
            return np.floor_divide(a, b)
        if np.result_type(a, b).kind == "f":
            return np.trunc(np.true_divide(a, b))
        return _int_trunc_div(a, b)

    @staticmethod
    def backward(ctx, grad):
        if ctx.mode == "floor_divide":
            raise RuntimeError("derivative for aten::floor_divide is not implemented")
        ctx.saved_tensors  # noqa: B018  (raises torch's error if a saved operand changed)
        zero = np.zeros((), dtype=grad.dtype)
        return (*(None if m is None or not ctx.needs_input_grad[i] else
                  reduce_grad(np.broadcast_to(zero, grad.shape), *m)
                  for i, m in enumerate(ctx.metas)), None)


def _python_modulus(a, b):
    """``a mod b`` with the divisor's sign, as torch computes it: a nonzero C remainder of the
    other sign moves by ``b``, so a zero result keeps the dividend's sign (NumPy's
    ``remainder`` gives it the divisor's: ``0.0 % -1.5`` would be -0.0)."""
    if np.result_type(a, b).kind != "f":
        return np.remainder(a, b)
    r = np.fmod(a, b)
    shift = (r != 0) & ((r < 0) != (np.asarray(b) < 0))
    if not shift.any():
        return r
    return np.where(shift, r + b, r).astype(r.dtype, copy=False)


@quiet
class Remainder(ArrayFunction):
    """Python-style modulus ``a - floor(a / b) * b`` (the sign of the divisor)."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        ctx.metas, ctx.dt = (_meta(a), _meta(b)), dt
        ctx.save_for_backward(*((a, b) if ctx.needs_input_grad[1] else (None, None)))
        return _python_modulus(in_dtype(a, dt), in_dtype(b, dt))

    @staticmethod
    def backward(ctx, grad):
        if ctx.metas[0] is None:  # number % tensor: torch has no derivative for it
            raise RuntimeError("derivative for aten::remainder is not implemented")
        a, b = (in_dtype(v, ctx.dt) for v in ctx.saved_tensors)
        gb = _grad_for(ctx, 1, -grad * np.floor_divide(a, b)) if ctx.needs_input_grad[1] \
            else None
        return _grad_for(ctx, 0, grad), gb, None


@quiet
class Fmod(ArrayFunction):
    """C-style modulus ``a - trunc(a / b) * b`` (the sign of the dividend)."""

    @staticmethod
    def forward(ctx, a, b, dt=None):
        ctx.metas, ctx.dt = (_meta(a), _meta(b)), dt
        ctx.save_for_backward(*((a, b) if ctx.needs_input_grad[1] else (None, None)))
        return np.fmod(in_dtype(a, dt), in_dtype(b, dt))

    @staticmethod
    def backward(ctx, grad):
        a, b = (in_dtype(v, ctx.dt) for v in ctx.saved_tensors)
        gb = _grad_for(ctx, 1, -grad * np.trunc(np.true_divide(a, b))) \
            if ctx.needs_input_grad[1] else None
        return _grad_for(ctx, 0, grad), gb, None


class Neg(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


def neg(input: Tensor) -> Tensor:
    """``-input``.

    Args:
        input: a tensor (not bool).

    Returns:
        A new tensor with the signs flipped.

    Example:
        >>> ember.neg(ember.tensor([1., -2.]))
        tensor([-1.,  2.])
    """
    if input._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on these operands (tensors or Python numbers) returns.

    Args:
        tensor1: a tensor or a Python number.
        tensor2: a tensor or a Python number.

    Returns:
        The ember dtype of the result.

    Example:
        >>> ember.result_type(ember.tensor([1, 2]), 1.0)
        ember.float32
    """
    return _dtype.from_numpy_dtype(promote(tensor1, tensor2))


def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` can be converted to.

    Args:
        type1: a dtype.
        type2: a dtype.

    Returns:
        An ember dtype.

    Example:
        >>> ember.promote_types(ember.int32, ember.float32)
        ember.float32
    """
    a, b = _dtype.to_numpy_dtype(type1), _dtype.to_numpy_dtype(type2)
    ca, cb = _dtype.category(a), _dtype.category(b)
    if ca != cb:  # torch: the higher category's dtype as it is (int32 and float32: float32)
        return _dtype.from_numpy_dtype(a if ca > cb else b)
    return _dtype.from_numpy_dtype(_dtype.result_type(a, b))


def can_cast(from_, to) -> bool:
    """True if PyTorch's casting rules allow ``from_`` to ``to`` (no lowering of the kind).

    Args:
        from_: the source dtype.
        to: the target dtype.

    Returns:
        A bool.

    Example:
        >>> ember.can_cast(ember.float32, ember.int64)
        False
    """
    return _dtype.category(_dtype.to_numpy_dtype(from_)) <= _dtype.category(
        _dtype.to_numpy_dtype(to))


# bfloat16 computes through float32 by way of this cast, which itself sees bfloat16 arrays
_precision.STATE.cast = cast
_precision.STATE.native.add(Cast)


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other`` with broadcasting; a sparse operand is added densely.

    Args:
        input: a tensor or a Python number.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).
        alpha: the factor ``other`` is multiplied by.
        out: a tensor to write the result into (as torch's ``out=``).

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.add(ember.tensor([1, 2]), ember.tensor([10, 20]), alpha=2)
        tensor([21, 42])
    """
    if (type(other) is not Tensor or type(input) is not Tensor) and (
            _is_sparse(other) or _is_sparse(input)):
        # torch: dense + sparse is a dense tensor (gradients reach the sparse values)
        input = input.to_dense() if _is_sparse(input) else input
        other = other.to_dense() if _is_sparse(other) else other
    a, b, dt = operands(input, other)
    if alpha != 1:
        b = _scaled(b, alpha, dt)
    return _maybe_out(apply_binary(Add, a, b), out)


def _is_sparse(x) -> bool:
    return getattr(type(x), "is_sparse", None) is True  # a SparseTensor (a Tensor's is False)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other`` with broadcasting.

    Args:
        input: a tensor or a Python number.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).
        alpha: the factor ``other`` is multiplied by.
        out: a tensor to write the result into (as torch's ``out=``).

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.sub(ember.tensor([5., 7.]), 1.5)
        tensor([3.5000, 5.5000])
    """
    bools = _is_bool(input) + _is_bool(other)
    if bools == 2 and isinstance(input, Tensor) and isinstance(other, Tensor):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if bools:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    a, b, dt = operands(input, other)
    if alpha != 1:
        b = _scaled(b, alpha, dt)
    return _maybe_out(apply_binary(Sub, a, b), out)


def _scaled(b, alpha, dt):
    """``alpha * other`` for add/sub, in the result dtype (torch's alpha checks)."""
    if dt.kind in "biu" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if dt == np.bool_:
        alpha = bool(alpha)
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def _is_bool(x) -> bool:
    if isinstance(x, Tensor):
        return x._data.dtype == np.bool_
    return isinstance(x, (bool, np.bool_))


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``.

    Args:
        input: the subtracted tensor.
        other: a tensor or a Python number.
        alpha: the factor ``input`` is multiplied by.

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.rsub(ember.tensor([1, 2]), 10)
        tensor([9, 8])
    """
    return sub(other, input, alpha=alpha)


def mul(input, other, *, out=None) -> Tensor:
    """Elementwise product with broadcasting (a sparse operand multiplies itself).

    Args:
        input: a tensor or a Python number.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).
        out: a tensor to write the result into (as torch's ``out=``).

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.mul(ember.tensor([1, 2]), ember.tensor([[1.5], [2.0]]))
        tensor([[1.5000, 3.0000],
                [2.0000, 4.0000]])
    """
    if type(other) is not Tensor and _is_sparse(other) and not _is_sparse(input):
        return other.mul(input)
    mixed = apply_mixed(Mul, input, other)
    if mixed is not None:
        return _maybe_out(mixed, out)
    a, b, _ = operands(input, other)
    return _maybe_out(apply_binary(Mul, a, b), out)


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """Elementwise true division (or ``rounding_mode`` 'trunc' / 'floor', not differentiable).

    Args:
        input: a tensor or a Python number.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).
        rounding_mode: None (true division, a floating result), ``'trunc'`` or ``'floor'`` (rounded,
            in the promoted dtype).
        out: a tensor to write the result into (as torch's ``out=``).

    Returns:
        A new tensor of the broadcast shape.

    Example:
        >>> x = ember.tensor([-7, 7])
        >>> ember.div(x, 2)
        tensor([-3.5000,  3.5000])
        >>> ember.div(x, 2, rounding_mode='floor')
        tensor([-4,  3])
    """
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        a, b, dt = operands(input, other)
        _check_int_division(a, b, dt, f"div_{rounding_mode}_cpu")
        res = _apply_typed(RoundedDiv, a, b, dt, rounding_mode)
        return _maybe_out(res, out)
    if isinstance(other, Tensor) and not isinstance(input, Tensor) and \
            _dtype.is_floating(other._data.dtype) and isinstance(input, (int, float)):
        # number / tensor is reciprocal(tensor) * number in torch (what it saves, its rounding)
        return _maybe_out(mul(reciprocal(other), input), out)
    mixed = apply_mixed(Div, input, other, floating=True)
    if mixed is not None:
        return _maybe_out(mixed, out)
    a, b, _ = operands(input, other, floating=True)
    return _maybe_out(apply_binary(Div, a, b), out)


def _int_trunc_div(a, b):
    q = np.floor_divide(a, b)
    r = np.remainder(a, b)
    return q + ((r != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))


true_divide = div
divide = div
subtract = sub
multiply = mul


def pow(input, exponent, *, out=None) -> Tensor:
    """``input ** exponent`` with broadcasting (either may be a scalar).

    Args:
        input: the base: a tensor or a Python number.
        exponent: the exponent: a tensor or a Python number.
        out: a tensor to write the result into (as torch's ``out=``).

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.pow(ember.tensor([1., 2., 3.]), 2)
        tensor([1., 4., 9.])
        >>> ember.pow(2, ember.tensor([0, 3]))
        tensor([1, 8])
    """
    bool_exponent = isinstance(exponent, Tensor) and exponent._data.dtype == np.bool_
    a, b, dt = operands(input, exponent)
    if dt == np.bool_:
        if isinstance(b, Tensor):  # only ``bool_tensor ** True`` (or False) has a kernel
            raise kernel_error("pow", dt)
        return _maybe_out(_apply_typed(Pow, a, b, dt), out)  # x ** True is x, as in torch
    if dt.kind in "iu":
        if isinstance(b, int) and b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if isinstance(b, Tensor) and (b._data < 0).any():
            return _maybe_out(_int_power(a, b, dt), out)
    cls = PowOfBoolExponent if bool_exponent else Pow
    if _dtype.is_floating(dt):
        mixed = apply_mixed(cls, input, exponent)
        if mixed is not None:
            return _maybe_out(mixed, out)
    return _maybe_out(apply_binary(cls, a, b), out)


def _int_power(a, b: Tensor, dt) -> Tensor:
    """Integer ``a ** b`` with some negative exponents, in torch's integer arithmetic:
    ``1 ** -n`` is 1, ``(-1) ** -n`` is +-1 by the parity of n, any other base gives 0."""
    aa = a._data if isinstance(a, Tensor) else np.asarray(a, dtype=dt)
    bb = b._data
    try:
        shape = np.broadcast_shapes(np.shape(aa), bb.shape)
    except ValueError:
        raise broadcast_error(a, b) from None
    neg = bb < 0
    with np.errstate(over="ignore"):
        out = np.power(aa, np.where(neg, 0, bb))
    odd = (bb % 2) != 0
    inverse = np.where(aa == 1, 1, np.where(aa == -1, np.where(odd, -1, 1), 0))
    return Tensor._make(np.broadcast_to(np.where(neg, inverse, out), shape).astype(dt))


negative = neg


def square(input: Tensor) -> Tensor:
    """``input * input`` (a bool tensor squares as int64, as torch's ``pow(input, 2)``).

    Args:
        input: the input tensor.

    Returns:
        A new tensor of squares.

    Example:
        >>> ember.square(ember.tensor([-2, 3]))
        tensor([4, 9])
    """
    if input._data.dtype == np.bool_:
        input = cast(input, np.dtype(np.int64))
    return mul(input, input)


def _bitwise(fn, a, b) -> Tensor:
    """A bitwise op (no gradient) in the promoted dtype; torch has no float kernel."""
    a, b, dt = operands(a, b)
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    try:
        np.broadcast_shapes(np.shape(aa), np.shape(bb))
    except ValueError:
        raise broadcast_error(a, b) from None
    if _dtype.is_floating(dt):
        raise kernel_error(f"{fn.__name__}_cpu", dt)
    return Tensor._make(np.asarray(fn(aa, bb)).astype(dt, copy=False))


def floor_divide(input, other) -> Tensor:
    """Elementwise floor division (torch has no gradient for it: backward raises).

    Args:
        input: a tensor or a Python number.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.floor_divide(ember.tensor([-7, 7]), 2)
        tensor([-4,  3])
    """
    a, b, dt = operands(input, other)
    _check_int_division(a, b, dt, "div_floor_cpu")
    return _apply_typed(RoundedDiv, a, b, dt, "floor_divide")


def remainder(input, other) -> Tensor:
    """Python-style modulus (the sign of the divisor), differentiable in both arguments.

    Args:
        input: a tensor or a Python number.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.remainder(ember.tensor([-3, 3]), 2)
        tensor([1, 1])
    """
    a, b, dt = operands(input, other)
    _check_int_division(a, b, dt, "remainder_cpu")
    mixed = apply_mixed(Remainder, input, other)  # saves the caller's tensors, as torch
    return mixed if mixed is not None else _apply_typed(Remainder, a, b, dt)


def fmod(input, other) -> Tensor:
    """C-style modulus (the sign of the dividend), differentiable in both arguments.

    Args:
        input: the input tensor.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.fmod(ember.tensor([-3, 3]), 2)
        tensor([-1,  1])
    """
    a, b, dt = operands(input, other)
    _check_int_division(a, b, dt, "fmod_cpu")
    mixed = apply_mixed(Fmod, input, other)  # saves the caller's tensors, as torch
    return mixed if mixed is not None else _apply_typed(Fmod, a, b, dt)


def _check_int_division(a, b, dt, kernel: str) -> None:
    """torch's errors for a bool division (no kernel) and an integer division by zero."""
    if dt == np.bool_:
        raise kernel_error(kernel, dt)
    if dt.kind in "iu":
        if any(isinstance(v, Tensor) and v._data.size == 0 for v in (a, b)):
            return  # an empty result divides nothing
        bb = b._data if isinstance(b, Tensor) else np.asarray(b)
        if np.any(bb == 0):
            raise RuntimeError("ZeroDivisionError")


def _apply_typed(cls, a, b, dt, *extra) -> Tensor:
    """``cls.apply(a, b, *extra)`` with torch's broadcast error and the result in ``dt``."""
    try:
        out = cls.apply(a, b, *extra)
    except ValueError:
        raise broadcast_error(a, b) from None
    if out._data.dtype != dt:  # NumPy may widen a Python scalar operand's result
        out._data = out._data.astype(dt)
    return out


def _times(x: np.ndarray, value) -> np.ndarray:
    """``x * value`` for a Python number ``value``, in torch's result dtype (an integer tensor
    times a float is the default float dtype, a bool tensor times an int is int64)."""
    if x.dtype.kind in "biu" and isinstance(value, float):
        x = x.astype(_dtype.get_default_dtype().numpy)
    elif x.dtype == np.bool_ and not isinstance(value, bool):
        x = x.astype(np.int64)
    return x * value


@quiet
class Addcmul(ArrayFunction):
    """``input + value * tensor1 * tensor2`` in ``dt``, as one op. The operands keep their
    own dtypes (what backward saves is the caller's tensor); each factor's gradient is
    ``grad * (other factor * value)``, reduced to its shape after the product, as torch's."""

    @staticmethod
    def forward(ctx, a, b, c, value, dt):
        ctx.metas = (_meta(a), _meta(b), _meta(c))
        ctx.value = value
        need_b, need_c = ctx.needs_input_grad[1:3]
        ctx.save_for_backward(b if need_c else None, c if need_b else None)
        v = _addc_value(value, dt)
        return a.astype(dt, copy=False) + v * b.astype(dt, copy=False) * c.astype(dt, copy=False)

    @staticmethod
    def backward(ctx, grad):
        b, c = ctx.saved_tensors
        gb = _grad_for(ctx, 1, grad * _times(c, ctx.value)) if c is not None else None
        gc = _grad_for(ctx, 2, grad * _times(b, ctx.value)) if b is not None else None
        return _grad_for(ctx, 0, grad), gb, gc, None, None


@quiet
class Addcdiv(ArrayFunction):
    """``input + value * tensor1 / tensor2`` in ``dt``, as one op, with torch's gradients:
    ``grad * (value / tensor2)`` for tensor1 and ``-grad * (value * tensor1 / tensor2^2)``
    for tensor2, each reduced after the product."""

    @staticmethod
    def forward(ctx, a, b, c, value, dt):
        ctx.metas = (_meta(a), _meta(b), _meta(c))
        ctx.value = value
        # as torch: tensor1 is saved for tensor2's gradient only; tensor2, used by both
        # factors' gradients, always
        ctx.save_for_backward(b if ctx.needs_input_grad[2] else None, c)
        v = _addc_value(value, dt)
        return a.astype(dt, copy=False) + v * b.astype(dt, copy=False) / c.astype(dt, copy=False)

    @staticmethod
    def backward(ctx, grad):
        b, c = ctx.saved_tensors
        gb = gc = None
        if ctx.needs_input_grad[1]:
            if c.dtype.kind in "biu":
                # torch evaluates ``value / tensor2`` in tensor2's dtype, which cannot hold it
                raise RuntimeError(
                    f"result type {_dtype.SCALAR_TYPE_NAMES[_dtype.get_default_dtype().name]} "
                    "can't be cast to the desired output type "
                    f"{_dtype.SCALAR_TYPE_NAMES[c.dtype.name]}")
            gb = _grad_for(ctx, 1, grad * (np.full_like(c, ctx.value) / c))
        if ctx.needs_input_grad[2]:
            gc = _grad_for(ctx, 2, -grad * (_times(b, ctx.value) / (c * c)))
        return _grad_for(ctx, 0, grad), gb, gc, None, None


def _addc_value(value, dt: np.dtype):
    """A Python ``value`` as addcmul/addcdiv use it in ``dt``: it takes part in neither the
    promotion nor a rounding to float32."""
    return dt.type(value).item() if dt.kind in "iu" else float(value)


def _addc(cls, name: str, input, tensor1, tensor2, value) -> Tensor:
    dt = promote(input, tensor1, tensor2)
    if dt == np.bool_:
        raise NotImplementedError(f'"{name}_cpu_out" not implemented for \'Bool\'')
    if dt.kind in "iu":
        check_scalar_fits(value, dt)
    try:
        return cls.apply(input, tensor1, tensor2, value, dt)
    except ValueError:
        raise broadcast_error(input, tensor1, tensor2) from None


def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 * tensor2``.

    Args:
        input: the tensor added to.
        tensor1: the first factor.
        tensor2: the second factor.
        value: the scale of the product.

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.addcmul(ember.ones(2), ember.tensor([1., 2.]), ember.tensor([3., 4.]), value=2)
        tensor([ 7., 17.])
    """
    return _addc(Addcmul, "addcmul", input, tensor1, tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (torch refuses two integer tensors).

    Args:
        input: the tensor added to.
        tensor1: the numerator.
        tensor2: the denominator.
        value: the scale of the quotient.

    Returns:
        A new tensor of the promoted dtype and broadcast shape.

    Example:
        >>> ember.addcdiv(ember.ones(2), ember.tensor([1., 2.]), ember.tensor([4., 4.]), value=2)
        tensor([1.5000, 2.0000])
    """
    if all(isinstance(t, Tensor) and not _dtype.is_floating(t._data.dtype)
           for t in (tensor1, tensor2)):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / "
            "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
            "tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    return _addc(Addcdiv, "addcdiv", input, tensor1, tensor2, value)


@quiet
class Lerp(ArrayFunction):
    """``start + w (end - start)``, evaluated as torch does: from the nearer end, i.e.
    ``end - (end - start) (1 - w)`` when ``|w| >= 0.5`` (exact at ``w = 1``, no inf - inf)."""

    @staticmethod
    def forward(ctx, a, b, w, bool_weight=False, dt=None):
        ctx.metas, ctx.bool_weight = (_meta(a), _meta(b), _meta(w)), bool_weight
        tensor_w = isinstance(w, np.ndarray)
        need_w = tensor_w and ctx.needs_input_grad[2]
        # as torch: a tensor weight is saved, start and end only for the weight's gradient
        # (the caller's tensors: with ``dt`` they are promoted here, not before)
        ctx.save_for_backward(w if tensor_w else None, a if need_w else None,
                              b if need_w else None)
        ctx.w, ctx.dt = None if tensor_w else w, dt
        a, b, w = in_dtype(a, dt), in_dtype(b, dt), in_dtype(w, dt)
        diff = b - a
        if not tensor_w:
            w = a.dtype.type(w)
            out = a + w * diff if builtins.abs(w) < 0.5 else b - diff * (1 - w)
        else:
            out = np.where(np.abs(w) < 0.5, a + w * diff, b - diff * (1 - w))
        return np.asarray(out).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        w, a, b = (in_dtype(v, ctx.dt) for v in ctx.saved_tensors)
        if w is None:
            w = ctx.w
        if ctx.needs_input_grad[0] and ctx.bool_weight:
            # torch computes ``1 - weight`` in the (bool) weight's own dtype
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                "`^` or `logical_xor()` operator instead.")
        ga = _grad_for(ctx, 0, grad * (1 - w))
        gb = _grad_for(ctx, 1, grad * w)
        gw = _grad_for(ctx, 2, grad * (b - a)) if a is not None else None
        return ga, gb, gw, None, None


def lerp(input, end, weight) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)`` (torch's checks: ``end`` and a
    dimensioned ``weight`` must have the input's floating dtype).

    Args:
        input: the start points (floating point).
        end: the end points, of ``input``'s dtype.
        weight: a number or a tensor of weights.

    Returns:
        A new tensor of the broadcast shape.

    Example:
        >>> ember.lerp(ember.tensor([0., 10.]), ember.tensor([1., 20.]), 0.25)
        tensor([ 0.2500, 12.5000])
    """
    if not isinstance(end, Tensor):
        kinds = ", ".join(type(v).__name__ if not isinstance(v, Tensor) else "Tensor"
                          for v in (input, end, weight))
        raise TypeError(f"lerp() received an invalid combination of arguments - got ({kinds}), "
                        "but expected one of:\n * (Tensor input, Tensor end, Tensor weight)\n"
                        " * (Tensor input, Tensor end, Number weight)")
    dt = input._data.dtype
    checks = [("end", end)]
    if isinstance(weight, Tensor) and weight._data.ndim:
        checks.append(("weight", weight))
    for name, v in checks:
        if v._data.dtype != dt:
            raise RuntimeError(f"expected dtype {_dtype.c_type_name(dt)} for `{name}` but "
                               f"got dtype {_dtype.c_type_name(v._data.dtype)}")
    if not _dtype.is_floating(dt):
        kernel = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise NotImplementedError(f'"lerp_kernel_{kernel}" not implemented for '
                                  f"'{_dtype.SCALAR_TYPE_NAMES[dt.name]}'")
    bool_weight = isinstance(weight, Tensor) and weight._data.dtype == np.bool_
    wide = None
    if isinstance(weight, Tensor) and weight._data.dtype != dt:
        # a 0-d weight takes part in the promotion (it wins only against 0-d operands)
        wide = promote(input, end, weight)
    try:
        return Lerp.apply(input, end, weight, bool_weight, wide)
    except ValueError:
        raise broadcast_error(input, end, weight) from None


def bitwise_not(input: Tensor) -> Tensor:
    """Bitwise (or, for bool, logical) not.

    Args:
        input: an integer or bool tensor.

    Returns:
        A new tensor of the input's dtype.

    Example:
        >>> ember.bitwise_not(ember.tensor([0, 5]))
        tensor([-1, -6])
    """
    if _dtype.is_floating(input._data.dtype):
        raise kernel_error("bitwise_not_cpu", input._data.dtype)
    return Tensor._make(np.invert(input._data))


def bitwise_and(input, other) -> Tensor:
    """Bitwise and of integer or bool tensors.

    Args:
        input: an integer or bool tensor.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.bitwise_and(ember.tensor([12, 10]), ember.tensor([10, 6]))
        tensor([8, 2])
    """
    return _bitwise(np.bitwise_and, input, other)


def bitwise_or(input, other) -> Tensor:
    """Bitwise or of integer or bool tensors.

    Args:
        input: an integer or bool tensor.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.bitwise_or(ember.tensor([12, 10]), 1)
        tensor([13, 11])
    """
    return _bitwise(np.bitwise_or, input, other)


def bitwise_xor(input, other) -> Tensor:
    """Bitwise xor of integer or bool tensors.

    Args:
        input: an integer or bool tensor.
        other: the second operand: a tensor or a Python number (broadcast against ``input``).

    Returns:
        A new tensor of the promoted dtype.

    Example:
        >>> ember.bitwise_xor(ember.tensor([True, False]), ember.tensor([True, True]))
        tensor([False,  True])
    """
    return _bitwise(np.bitwise_xor, input, other)


def _maybe_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    if out.shape != result.shape:
        out._data = np.empty(result._data.shape, dtype=out._data.dtype)
    out._write(result._data)
    return out

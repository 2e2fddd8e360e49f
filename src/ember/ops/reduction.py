"""Reductions: sum, mean, prod, var/std, max/min, logsumexp, norm, cumsum, argmax."""

from __future__ import annotations

import builtins
import warnings
from typing import NamedTuple

import numpy as np

from ember import _dtype
from ember.autograd.function import ArrayFunction
from ember.ops._util import canon_dim, canon_dims, cast, kernel_error, quiet
from ember.ops.pointwise import maximum, minimum
from ember.tensor import Tensor

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "logsumexp",
    "max",
    "mean",
    "median",
    "min",
    "norm",
    "prod",
    "std",
    "std_mean",
    "sum",
    "var",
    "var_mean",
]

class MaxMin(NamedTuple):
    """``(values, indices)`` of max/min/median along a dim."""

    values: Tensor
    indices: Tensor


MaxMin.__name__ = MaxMin.__qualname__ = "return_types"  # the name its repr shows


def _expand_back(grad: np.ndarray, shape: tuple, axes, keepdim: bool) -> np.ndarray:
    """Re-inserts reduced axes into a gradient so that it broadcasts against ``shape``."""
    if axes is None:
        return np.reshape(grad, (1,) * len(shape))
    if not keepdim:
        grad = np.expand_dims(grad, axes)
    return grad


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_EINSUM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sum(x: np.ndarray, axes, keepdim: bool) -> np.ndarray:
    """``np.sum(x, axis=axes, keepdims=keepdim)``, through einsum for float32/float64.

    NumPy's add.reduce runs a scalar pairwise loop; einsum's sum-of-products loop is SIMD and
    4-7x faster for float32 (its error stays within a few ulp for sums of 1M elements).
    """
    if x.dtype not in _EINSUM_DTYPES or x.ndim > len(_LETTERS) or x.size == 0:
        return np.sum(x, axis=axes, keepdims=keepdim)
    letters = _LETTERS[:x.ndim]
    kept = "" if axes is None else "".join(c for i, c in enumerate(letters) if i not in axes)
    out = np.asarray(np.einsum(letters + "->" + kept, x))
    if keepdim:
        out = out.reshape(tuple(1 if axes is None or i in axes else n
                                for i, n in enumerate(x.shape)))
    return out


@quiet
class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim, ctx.in_dtype = x.shape, axes, keepdim, x.dtype
        if dtype is None or dtype == x.dtype:
            return _sum(x, axes, keepdim)
        return np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        # a read-only broadcast view: whoever stores the gradient (a leaf) makes the copy
        g = np.broadcast_to(_expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim), ctx.shape)
        return g if g.dtype == ctx.in_dtype else g.astype(ctx.in_dtype), None, None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``dim`` (all elements when None); integers and bools sum as int64.

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        keepdim: whether the reduced dimensions stay in the result with size 1.
        dtype: the dtype of the accumulation and of the result (None: the input's, int64 for
            integers and bools).

    Returns:
        The sums, a 0-d tensor when every dimension is reduced.

    Example:
        >>> x = ember.tensor([[1., 2.], [3., 4.]])
        >>> ember.sum(x)
        tensor(10.)
        >>> ember.sum(x, dim=0)
        tensor([4., 6.])
    """
    axes = canon_dims(dim, input._data.ndim)
    return Sum.apply(input, axes, keepdim, _sum_dtype(input._data, dtype))


@quiet
class Mean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
        if ctx.count == 0:  # 0 / 0, without NumPy's "Mean of empty slice" warning
            return np.full(np.sum(x, axis=axes, keepdims=keepdim).shape, np.nan, x.dtype)
        out = _sum(x, axes, keepdim)
        return np.divide(out, ctx.count, out=out) if out.ndim else out / x.dtype.type(ctx.count)

    @staticmethod
    def backward(ctx, grad):
        g = _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim) / grad.dtype.type(ctx.count)
        return np.broadcast_to(g, ctx.shape), None, None


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Arithmetic mean over ``dim`` (floating dtypes only, as in PyTorch).

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        keepdim: whether the reduced dimensions stay in the result with size 1.
        dtype: if given, the input is cast to this dtype before the operation.

    Returns:
        The means (NaN for an empty reduction).

    Example:
        >>> ember.mean(ember.tensor([[1., 2.], [3., 5.]]), dim=1)
        tensor([1.5000, 4.0000])
    """
    if dtype is not None:
        input = input.to(dtype)
    if not _dtype.is_floating(input._data.dtype):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_dtype.SCALAR_TYPE_NAMES[input._data.dtype.name]}"
        )
    return Mean.apply(input, canon_dims(dim, input._data.ndim), keepdim)


@quiet
class Prod(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axis, keepdim):
        ctx.axis, ctx.keepdim = axis, keepdim
        out = np.prod(x, axis=axis, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        if x.ndim == 0:  # torch passes the gradient through (a NaN input included)
            return grad, None, None
        axes = None if ctx.axis is None else (ctx.axis,)
        g = _expand_back(grad, x.shape, axes, ctx.keepdim)
        o = _expand_back(out, x.shape, axes, ctx.keepdim)
        zeros = np.count_nonzero(x == 0)
        if zeros == 0:
            return g * (o / x), None, None
        if ctx.axis is None and zeros > 1:  # torch's shortcut, which even an inf does not touch
            return np.zeros_like(x), None, None
        # with zeros present: product of all other elements, via exclusive cumulative products
        ax = 0 if ctx.axis is None else ctx.axis
        flat = x.reshape(-1) if ctx.axis is None else x
        left = np.cumprod(np.concatenate([np.ones_like(np.take(flat, [0], axis=ax)),
                                          np.take(flat, range(flat.shape[ax] - 1), axis=ax)],
                                         axis=ax), axis=ax)
        rev = np.flip(flat, axis=ax)
        right = np.flip(np.cumprod(np.concatenate(
            [np.ones_like(np.take(rev, [0], axis=ax)), np.take(rev, range(rev.shape[ax] - 1),
                                                               axis=ax)], axis=ax), axis=ax),
            axis=ax)
        others = (left * right).reshape(x.shape)
        return g * others, None, None


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over one ``dim`` (all elements when None).

    Args:
        input: the input tensor.
        dim: the one dimension to reduce (all elements when None).
        keepdim: whether the reduced dimensions stay in the result with size 1.
        dtype: if given, the input is cast to this dtype before the operation.

    Returns:
        The products.

    Example:
        >>> ember.prod(ember.tensor([[1., 2.], [3., 4.]]), 1)
        tensor([ 2., 12.])
    """
    if dtype is not None:
        input = input.to(dtype)
    axis = None if dim is None else canon_dim(dim, input._data.ndim)
    if input._data.ndim == 0:  # its one "dim" is all of it
        axis, keepdim = None, False
    return Prod.apply(input, axis, keepdim)


def _variance(x: np.ndarray, axes, correction, keepdim: bool, name: str):
    """``(variance, n - correction)`` with PyTorch's warning when ``n - correction <= 0``."""
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    if n == 0:
        shape = np.sum(x, axis=axes, keepdims=keepdim).shape
        return np.full(shape, np.nan, dtype=x.dtype), dof
    centered = x - np.mean(x, axis=axes, keepdims=True)
    centered *= centered
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sum(centered, axis=axes, keepdims=keepdim) / x.dtype.type(builtins.max(dof, 0))
    return np.asarray(out, dtype=x.dtype), dof


def _variance_backward(grad, x, axes, keepdim: bool, dof) -> np.ndarray:
    """d var / dx = 2 (x - mean) / (n - correction), times the incoming gradient.

    Without degrees of freedom, PyTorch's full reduction gives inf (nan where x is the mean);
    along dims it keeps ``2 / (n - correction)`` as it is (inf at 0, finite below).
    """
    g = _expand_back(grad, x.shape, axes, keepdim)
    mean = np.mean(x, axis=axes, keepdims=True) if x.size else x
    with np.errstate(divide="ignore", invalid="ignore"):
        if axes is None and dof <= 0:  # NaN where x equals the mean (an inf mean included)
            out = g * np.where(x == mean, np.nan, np.inf)
        else:
            out = g * (2 / np.asarray(dof, dtype=x.dtype)) * (x - mean)
    return out.astype(x.dtype, copy=False)


@quiet
class Var(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, name="var"):
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x)
        out, ctx.dof = _variance(x, axes, correction, keepdim, name)
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _variance_backward(grad, x, ctx.axes, ctx.keepdim, ctx.dof), None, None, None, \
            None


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default).

    Warns, as PyTorch, when ``n - correction <= 0`` (the result is then inf or nan).

    Args:
        input: a floating-point tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        unbiased: older spelling of ``correction``: True is 1, False is 0.
        keepdim: whether the reduced dimensions stay in the result with size 1.
        correction: the number subtracted from the element count in the divisor.

    Returns:
        The variances.

    Example:
        >>> ember.var(ember.tensor([1., 2., 4.]))
        tensor(2.3333)
    """
    axes, corr = _var_args(input, dim, unbiased, correction)
    return Var.apply(input, axes, corr, keepdim)


@quiet
class Std(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, name="std"):
        ctx.axes, ctx.keepdim = axes, keepdim
        var, ctx.dof = _variance(x, axes, correction, keepdim, name)
        out = np.asarray(np.sqrt(var))  # an array, not a NumPy scalar: it is the output
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        # d std = d var / (2 std), taken as 0 where std == 0 (a constant slice), as PyTorch
        x, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            gvar = np.where(out == 0, 0, grad / (2 * out)).astype(x.dtype, copy=False)
        return _variance_backward(gvar, x, ctx.axes, ctx.keepdim, ctx.dof), None, None, None, \
            None


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation over ``dim`` with Bessel's ``correction`` (1 by default).

    The gradient of a constant slice (std 0) is 0, as in PyTorch.

    Args:
        input: a floating-point tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        unbiased: older spelling of ``correction``: True is 1, False is 0.
        keepdim: whether the reduced dimensions stay in the result with size 1.
        correction: the number subtracted from the element count in the divisor.

    Returns:
        The standard deviations.

    Example:
        >>> ember.std(ember.tensor([[1., 3.], [2., 2.]]), dim=1)
        tensor([1.4142, 0.0000])
    """
    axes, corr = _var_args(input, dim, unbiased, correction)
    return Std.apply(input, axes, corr, keepdim)


@quiet
class VarMean(ArrayFunction):
    """var_mean / std_mean: both results from one node that saves what torch's saves (the
    input, and for std_mean the std as well); an output not used gives no gradient term."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim, name):
        ctx.axes, ctx.keepdim, ctx.take_sqrt = axes, keepdim, name == "std_mean"
        ctx.set_materialize_grads(False)
        spread, ctx.dof = _variance(x, axes, correction, keepdim, name)
        if ctx.take_sqrt:
            spread = np.asarray(np.sqrt(spread))
            ctx.save_for_backward(x, spread)
        else:
            ctx.save_for_backward(x)
        return spread, Mean.forward(ctx, x, axes, keepdim)

    @staticmethod
    def backward(ctx, grad_spread, grad_mean):
        x, *spread = ctx.saved_tensors
        out = None
        if grad_spread is not None:
            if ctx.take_sqrt:
                with np.errstate(divide="ignore", invalid="ignore"):
                    grad_spread = np.where(spread[0] == 0, 0, grad_spread / (2 * spread[0]))
                grad_spread = grad_spread.astype(x.dtype, copy=False)
            out = _variance_backward(grad_spread, x, ctx.axes, ctx.keepdim, ctx.dof)
        if grad_mean is not None:
            g = Mean.backward(ctx, grad_mean)[0]
            out = g if out is None else out + g
        return out, None, None, None, None


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``.

    Args:
        input: a floating-point tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        unbiased: older spelling of ``correction``: True is 1, False is 0.
        keepdim: whether the reduced dimensions stay in the result with size 1.
        correction: the number subtracted from the element count in the divisor of the variance.

    Returns:
        A tuple ``(var, mean)`` of tensors.

    Example:
        >>> ember.var_mean(ember.tensor([1., 2., 6.]))
        (tensor(7.), tensor(3.))
    """
    axes, corr = _var_args(input, dim, unbiased, correction, "var_mean")
    return VarMean.apply(input, axes, corr, keepdim, "var_mean")


class StdMean(VarMean):
    """std_mean's node (its own name in torch's messages)."""


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``.

    Args:
        input: a floating-point tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        unbiased: older spelling of ``correction``: True is 1, False is 0.
        keepdim: whether the reduced dimensions stay in the result with size 1.
        correction: the number subtracted from the element count in the divisor of the variance.

    Returns:
        A tuple ``(std, mean)`` of tensors.

    Example:
        >>> ember.std_mean(ember.tensor([1., 3.]))
        (tensor(1.4142), tensor(2.))
    """
    axes, corr = _var_args(input, dim, unbiased, correction, "std_mean")
    return StdMean.apply(input, axes, corr, keepdim, "std_mean")


class MaxMinAll(ArrayFunction):
    """amax/amin over ``axes``, and max()/min() over all elements: the gradient is shared
    evenly among the elements equal to the result. max()/min() count NaNs as equal to a NaN
    result; amax/amin do not, so a slice with a NaN gets NaN gradients (both as PyTorch)."""

    @staticmethod
    def forward(ctx, x, is_max, axes, keepdim, nan_ties=False):
        ctx.axes, ctx.keepdim, ctx.nan_ties = axes, keepdim, nan_ties
        if x.size == 0:
            name = ("max" if is_max else "min") if nan_ties else ("amax" if is_max else "amin")
            if axes is None:
                raise RuntimeError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument.")
            for a in axes:
                if x.shape[a] == 0:
                    raise IndexError(
                        f"{name}(): Expected reduction dim {a} to have non-zero size.")
        out = (np.max if is_max else np.min)(x, axis=axes, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _share_among_ties(ctx, grad), None, None, None, None


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims when empty); ties share the gradient.

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when empty).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        The maxima.

    Example:
        >>> ember.amax(ember.tensor([[1., 5.], [4., 2.]]), dim=0)
        tensor([4., 5.])
    """
    return MaxMinAll.apply(input, True, canon_dims(dim, input._data.ndim), keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims when empty); ties share the gradient.

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when empty).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        The minima.

    Example:
        >>> ember.amin(ember.tensor([[1., 5.], [4., 2.]]), dim=0)
        tensor([1., 2.])
    """
    return MaxMinAll.apply(input, False, canon_dims(dim, input._data.ndim), keepdim)


def _share_among_ties(ctx, grad) -> np.ndarray:
    """The gradient of a reduction to one of its elements, shared evenly among the elements
    equal to the result (torch's ``evenly_distribute_backward``)."""
    x, out = ctx.saved_tensors
    o = _expand_back(out, x.shape, ctx.axes, ctx.keepdim)
    g = _expand_back(grad, x.shape, ctx.axes, ctx.keepdim)
    hit = x == o
    if ctx.nan_ties:
        hit |= np.isnan(x) & np.isnan(o)
    count = np.sum(hit, axis=ctx.axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        if ctx.nan_ties:  # max()/min()/median(): torch fills the tied entries only
            return np.where(hit, g / count, 0).astype(x.dtype, copy=False)
        return np.asarray(g * hit / count, dtype=x.dtype)  # an array also for a 0-d input


class Median(ArrayFunction):
    """median() of all elements: the lower median, NaN when there is a NaN; a new tensor
    whose gradient is shared among the elements equal to it (NaN ties NaN), as torch's."""

    @staticmethod
    def forward(ctx, x):
        ctx.axes, ctx.keepdim, ctx.nan_ties = None, False, True
        flat = x.reshape(-1)
        if flat.size == 0:  # NaN, or the lowest integer (torch's)
            out = np.asarray(np.nan if _dtype.is_floating(x.dtype) else np.iinfo(x.dtype).min,
                             dtype=x.dtype)
        elif _dtype.is_floating(x.dtype) and np.isnan(flat).any():
            out = np.asarray(np.nan, dtype=x.dtype)
        else:
            out = np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2].copy()
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return _share_among_ties(ctx, grad)


class MaxMinDim(ArrayFunction):
    """max(dim)/min(dim): values and indices; the gradient goes to the selected index."""

    @staticmethod
    def forward(ctx, x, is_max, dim, keepdim):
        ctx.in_shape = x.shape
        if x.ndim == 0:  # a 0-d tensor is its own max, at index 0
            x, keepdim = x.reshape(1), False
        if x.shape[dim] == 0:
            raise IndexError(
                f"{'max' if is_max else 'min'}(): Expected reduction dim {dim} to have non-zero "
                "size."
            )
        idx = np.argmax(x, axis=dim) if is_max else np.argmin(x, axis=dim)
        nan_rows = np.isnan(x).any(axis=dim) if _dtype.is_floating(x.dtype) else None
        if nan_rows is not None and nan_rows.any():
            first_nan = np.argmax(np.isnan(x), axis=dim)
            idx = np.where(nan_rows, first_nan, idx)
        return _select_along(ctx, x, np.expand_dims(idx, dim), dim, keepdim)

    @staticmethod
    def backward(ctx, grad, _):
        (idx,) = ctx.saved_tensors
        grad = grad.reshape(ctx.out_shape)
        if not ctx.keepdim:
            grad, idx = np.expand_dims(grad, ctx.dim), np.expand_dims(idx, ctx.dim)
        out = np.zeros(ctx.shape, dtype=ctx.dtype)
        np.put_along_axis(out, idx, grad, axis=ctx.dim)
        return out.reshape(ctx.in_shape), None, None, None


def _select_along(ctx, x, idx, dim, keepdim) -> tuple:
    """``(values, indices)`` of ``x`` at ``idx`` (keepdim-shaped) along ``dim``; saves what
    the backward of a selection along a dim needs (the indices, as torch)."""
    values = np.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        values, idx = np.squeeze(values, dim), np.squeeze(idx, dim)
    ctx.shape, ctx.dim, ctx.keepdim, ctx.dtype = x.shape, dim, keepdim, x.dtype
    ctx.out_shape = values.shape
    idx = idx.astype(np.int64, copy=False)
    ctx.save_for_backward(idx)  # the indices output itself: an in-place edit of it is seen
    ctx.mark_non_differentiable(idx)
    return values, idx


class MedianDim(ArrayFunction):
    """median(dim): the lower median of each slice (its first NaN if it has one) and its
    index; the gradient goes to that index."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.in_shape = x.shape
        if x.ndim == 0:
            x, keepdim = x.reshape(1), False
        if x.shape[dim] == 0:
            raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
        order = np.argsort(x, axis=dim, kind="stable")
        idx = np.take(order, [(x.shape[dim] - 1) // 2], axis=dim)
        if _dtype.is_floating(x.dtype):
            isnan = np.isnan(x)
            idx = np.where(isnan.any(axis=dim, keepdims=True),
                           np.argmax(isnan, axis=dim, keepdims=True), idx)
        return _select_along(ctx, x, idx, dim, keepdim)

    @staticmethod
    def backward(ctx, grad, _):
        return MaxMinDim.backward(ctx, grad, _)[0], None, None


@quiet
class LogSumExp(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):
            out = np.asarray(np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m)
        ctx.save_for_backward(x, out)
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        g = _expand_back(grad, x.shape, ctx.axes, ctx.keepdim)
        return g * np.exp(x - out), None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow (integers and bools in
    the default float dtype).

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce.
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        A floating-point tensor of the reduced values.

    Example:
        >>> ember.logsumexp(ember.tensor([[0., 0.], [1000., 1000.]]), dim=1)
        tensor([6.9315e-01, 1.0007e+03])
    """
    if not _dtype.is_floating(input._data.dtype):
        input = cast(input, _dtype.get_default_dtype().numpy)
    return LogSumExp.apply(input, canon_dims(dim, input._data.ndim), keepdim)


def _drop_reduced(out: np.ndarray, axes, keepdim: bool) -> np.ndarray:
    """A keepdims reduction's result with the reduced axes removed unless ``keepdim``."""
    if keepdim:
        return out
    return out.reshape(()) if axes is None else np.squeeze(out, axis=axes)


@quiet
class Norm(ArrayFunction):
    """Vector p-norm ``sum(|x|^p)^(1/p)`` for finite ``p != 0`` (a negative ``p`` included:
    a zero element makes the norm 0); ``p == 0`` counts the non-zeros and has no gradient."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        a = np.abs(x)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if p == 0:
                out = np.sum(x != 0, axis=axes, keepdims=True, dtype=x.dtype)
            elif p == 1:
                out = np.sum(a, axis=axes, keepdims=True)
            elif p == 2:
                out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
            else:
                out = np.power(np.sum(np.power(a, p), axis=axes, keepdims=True), 1.0 / p)
        # an array even for a 0-d input (a NumPy scalar would not be tied to the output)
        out = np.asarray(out).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, out)  # as torch, for p = 0 too
        return _drop_reduced(out, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        # d|x|_p / dx = sign(x) |x|^(p-1) / |x|_p^(p-1), taken as 0 where the norm is 0; for
        # p < 1 written as sign(x) |x|^(p-1) |x|_p^(1-p), 0 where x is 0 (PyTorch's forms)
        p = ctx.p
        x, norm = ctx.saved_tensors  # unpacked first: torch checks them for p = 0 too
        if p == 0:
            return None, None, None, None
        g = _expand_back(grad, x.shape, ctx.axes, ctx.keepdim)
        if p == 1:
            return np.sign(x) * g, None, None, None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p < 1:
                mag = np.where(x == 0, 0, np.power(np.abs(x), p - 1))
                out = np.sign(x) * mag * g * np.power(norm, 1 - p)
            else:
                scale = g / (norm if p == 2 else np.power(norm, p - 1))
                scale = np.where(norm == 0, 0, scale)
                out = x * scale if p == 2 else np.sign(x) * np.power(np.abs(x), p - 1) * scale
        return out.astype(x.dtype, copy=False), None, None, None


class NormInf(ArrayFunction):
    """max(|x|) (``p = inf``) or min(|x|) (``p = -inf``): the gradient ``sign(x)`` is shared
    among the elements whose |x| equals the norm or is NaN (PyTorch's rule, where the sign of
    NaN is 0 and the gradient is multiplied by the mask, so a NaN gradient fills its slice)."""

    @staticmethod
    def forward(ctx, x, is_max, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        a = np.abs(x)
        out = np.asarray((np.max if is_max else np.min)(a, axis=axes, keepdims=True))
        ctx.save_for_backward(x, out)
        return _drop_reduced(out, axes, keepdim)

    @staticmethod
    def backward(ctx, grad):
        x, norm = ctx.saved_tensors
        g = _expand_back(grad, x.shape, ctx.axes, ctx.keepdim)
        a = np.abs(x)
        hit = (a == norm) | np.isnan(a)
        count = np.sum(hit, axis=ctx.axes, keepdims=True)
        sign = (x > 0).astype(x.dtype) - (x < 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = sign * (g / count * hit)
        return share.astype(x.dtype, copy=False), None, None, None


@quiet
class CumSum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        if x.ndim == 0:
            return x.astype(dtype or x.dtype)
        out = np.cumsum(x, axis=dim, dtype=dtype)
        if out.dtype.kind == "f":
            out += 0.0  # torch's running sum starts from +0: a -0.0 prefix sums to +0.0
        return out

    @staticmethod
    def backward(ctx, grad):
        d = ctx.dim
        if grad.ndim == 0:
            return grad, None, None
        # the adjoint of a running sum is a running sum from the other end
        return np.flip(np.cumsum(np.flip(grad, d), axis=d), d), None, None


@quiet
class CumProd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        out = x.astype(dtype or x.dtype) if x.ndim == 0 else np.cumprod(x, axis=dim, dtype=dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _cumprod_backward(grad, x, out, ctx.dim), None, None


def _reversed_cumsum(w: np.ndarray, d: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(w, d), axis=d), d)


def _cumprod_backward(grad, x, out, d: int) -> np.ndarray:
    """Gradient of ``cumprod`` along ``d``, evaluated as torch's (NaN and inf land alike).

    Without zeros, ``d out_j / d x_k = out_j / x_k`` (j >= k) gives a reversed running sum
    of ``grad * out`` divided by ``x``. In a slice with zeros that holds before the first
    zero; past it the gradient is 0; at the first zero it is the product of the elements
    before it times ``sum_j grad_j * prod(x[z1+1:j+1])`` over j up to the second zero.
    """
    if x.size <= 1 or x.shape[d] == 1:
        return grad
    w = out * grad
    zero = x == 0
    if not zero.any():
        return _reversed_cumsum(w, d) / x
    seen = np.cumsum(zero, axis=d)
    before = seen == 0
    res = np.where(before, _reversed_cumsum(np.where(before, w, 0), d) / x, 0)
    first = zero & (seen == 1)
    inside = (seen == 1) & ~first
    tail = np.cumprod(np.where(inside, x, 1), axis=d) * np.where(seen == 1, grad, 0)
    z1 = np.argmax(first, axis=d, keepdims=True)
    prefix = np.where(z1 == 0, 1, np.take_along_axis(out, np.maximum(z1 - 1, 0), axis=d))
    at_first = np.sum(tail, axis=d, keepdims=True) * prefix
    return np.where(first, at_first, res).astype(grad.dtype, copy=False)


def _sum_dtype(x: np.ndarray, dtype):
    if dtype is not None:
        return _dtype.to_numpy_dtype(dtype)
    if x.dtype.kind in "biu":
        return np.dtype(np.int64)
    return None


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_args(input: Tensor, dim, unbiased, correction, name: str = "std and var") -> tuple:
    if input._data.dtype.kind in "biu":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    if isinstance(unbiased, bool) is False and unbiased is not None and dim is None:
        dim, unbiased = unbiased, None
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return canon_dims(dim, input._data.ndim), _correction(unbiased, correction)


def _max_min(input, dim, keepdim, is_max, other):
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return (maximum if is_max else minimum)(input, other)
    if dim is None:
        return MaxMinAll.apply(input, is_max, None, False, True)
    values, indices = MaxMinDim.apply(input, is_max, canon_dim(dim, input._data.ndim), keepdim)
    return MaxMin(values, indices)


def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """Largest element, or ``(values, indices)`` along ``dim``, or ``maximum`` with a tensor.

    Args:
        input: the input tensor.
        dim: the dimension to reduce (None: over all elements), or a tensor to compare with (as
            ``other``).
        keepdim: whether the reduced dimensions stay in the result with size 1.
        other: a tensor: the elementwise maximum with it instead.

    Returns:
        The largest element as a 0-d tensor; with ``dim``, a named tuple ``(values, indices)``; with
        ``other``, the elementwise maximum.

    Example:
        >>> x = ember.tensor([[1., 5.], [4., 2.]])
        >>> ember.max(x)
        tensor(5.)
        >>> ember.max(x, dim=1)
        return_types(values=tensor([5., 4.]), indices=tensor([1, 0]))
    """
    return _max_min(input, dim, keepdim, True, other)


def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """Smallest element, or ``(values, indices)`` along ``dim``, or ``minimum`` with a tensor.

    Args:
        input: the input tensor.
        dim: the dimension to reduce (None: over all elements), or a tensor to compare with (as
            ``other``).
        keepdim: whether the reduced dimensions stay in the result with size 1.
        other: a tensor: the elementwise minimum with it instead.

    Returns:
        The smallest element as a 0-d tensor; with ``dim``, a named tuple ``(values, indices)``;
        with ``other``, the elementwise minimum.

    Example:
        >>> x = ember.tensor([[1., 5.], [4., 2.]])
        >>> ember.min(x)
        tensor(1.)
        >>> ember.min(x, 0)
        return_types(values=tensor([1., 2.]), indices=tensor([0, 1]))
    """
    return _max_min(input, dim, keepdim, False, other)


def _arg(input, dim, keepdim, fn):
    x = input._data
    name = "argmax" if fn is np.argmax else "argmin"
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if x.size == 0 and dim is None:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0.")
    if x.size == 0 and x.ndim and x.shape[canon_dim(dim, x.ndim)] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {canon_dim(dim, x.ndim)} to have "
                         "non-zero size.")
    if dim is None:
        return Tensor._make(np.asarray(fn(x.reshape(-1)), dtype=np.int64))
    d = canon_dim(dim, x.ndim)
    if x.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    idx = fn(x, axis=d)
    if keepdim:
        idx = np.expand_dims(idx, d)
    return Tensor._make(idx.astype(np.int64))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (first one among ties).

    Args:
        input: the input tensor.
        dim: the dimension to search (None: the flattened input).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        An int64 tensor of indices.

    Example:
        >>> ember.argmax(ember.tensor([[1., 5.], [4., 2.]]), dim=1)
        tensor([1, 0])
    """
    return _arg(input, dim, keepdim, np.argmax)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (first one among ties).

    Args:
        input: the input tensor.
        dim: the dimension to search (None: the flattened input).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        An int64 tensor of indices.

    Example:
        >>> ember.argmin(ember.tensor([[1., 5.], [4., 2.]]))
        tensor(0)
    """
    return _arg(input, dim, keepdim, np.argmin)


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default); ``'fro'`` is the 2-norm.

    Args:
        input: a floating-point tensor.
        p: the order: a number, ``inf``, ``-inf`` or ``'fro'`` (the 2-norm).
        dim: the dimension or dimensions to reduce (all of them when None).
        keepdim: whether the reduced dimensions stay in the result with size 1.
        dtype: if given, the input is cast to this dtype before the operation.

    Returns:
        The norms.

    Example:
        >>> x = ember.tensor([[3., 4.], [1., 1.]])
        >>> ember.norm(x)
        tensor(5.1962)
        >>> ember.norm(x, p=1, dim=1)
        tensor([7., 2.])
    """
    if dtype is not None:
        input = input.to(dtype)
    if not _dtype.is_floating(input._data.dtype):
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_dtype.from_numpy_dtype(input._data.dtype).name.capitalize()}"
        )
    if p == "fro" or p is None:
        p = 2
    if p in (float("inf"), float("-inf")):
        dims = canon_dims(dim, input._data.ndim)
        _refuse_empty_inf_norm(input._data.shape, dims, "inf" if p > 0 else "-inf")
        return NormInf.apply(input, p > 0, dims, keepdim)
    return Norm.apply(input, float(p), canon_dims(dim, input._data.ndim), keepdim)


def _refuse_empty_inf_norm(shape: tuple, dims, name: str) -> None:
    """torch's error for a max/min norm over nothing (the reduction has no identity)."""
    start = "linalg.vector_norm cannot compute the " + name + " norm on "
    rule = "the operation does not have an identity"
    if dims is None:
        if 0 in shape:
            raise RuntimeError(start + "an empty tensor because " + rule)
        return
    for d in sorted(dims):
        if shape[d] == 0:  # torch's message has no space before "because"
            raise RuntimeError(f"{start}the dimension {d}because this dimension is empty and "
                               + rule)


def _cumulative(cls, kernel: str, input: Tensor, dim: int, dtype) -> Tensor:
    x = input._data
    dt = _sum_dtype(x, dtype)
    d = canon_dim(dim, x.ndim)  # torch checks the dim first
    # torch has no bool kernel for the running sum and product; a 0-d or empty input never
    # reaches the kernel
    if dt == np.bool_ and x.ndim and x.size:
        raise kernel_error(kernel, dt)
    return cls.apply(input, d, dt)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``.

    Args:
        input: the input tensor.
        dim: the dimension to run along.
        dtype: the dtype of the result (None: the input's, int64 for integers and bools).

    Returns:
        A tensor shaped like ``input``.

    Example:
        >>> ember.cumsum(ember.tensor([1, 2, 3]), dim=0)
        tensor([1, 3, 6])
    """
    return _cumulative(CumSum, "cumsum_out_cpu", input, dim, dtype)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along ``dim``.

    Args:
        input: the input tensor.
        dim: the dimension to run along.
        dtype: the dtype of the result (None: the input's, int64 for integers and bools).

    Returns:
        A tensor shaped like ``input``.

    Example:
        >>> ember.cumprod(ember.tensor([1., 2., 3.]), dim=0)
        tensor([1., 2., 6.])
    """
    return _cumulative(CumProd, "cumprod_out_cpu", input, dim, dtype)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element (along ``dim``) is non-zero; ``dim=()`` reduces nothing.

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        A bool tensor (uint8 for a uint8 input).

    Example:
        >>> ember.all(ember.tensor([[True, False], [True, True]]), dim=1)
        tensor([False,  True])
    """
    return _logical_reduction(np.all, input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element (along ``dim``) is non-zero; ``dim=()`` reduces nothing.

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when None).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        A bool tensor (uint8 for a uint8 input).

    Example:
        >>> ember.any(ember.tensor([[0, 0], [0, 3]]), dim=1)
        tensor([False,  True])
    """
    return _logical_reduction(np.any, input, dim, keepdim)


def _logical_reduction(fn, input: Tensor, dim, keepdim: bool) -> Tensor:
    """all / any: bool results (uint8 for uint8 input, as torch); ``dim=()`` reduces nothing."""
    x = input._data
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        out = x != 0
    else:
        out = np.asarray(fn(x, axis=canon_dims(dim, x.ndim), keepdims=keepdim))
    return Tensor._make(out.astype(np.uint8) if x.dtype == np.uint8 else out)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements (along ``dim``).

    Args:
        input: the input tensor.
        dim: the dimension or dimensions to reduce (all of them when None).

    Returns:
        An int64 tensor of counts.

    Example:
        >>> ember.count_nonzero(ember.tensor([[0, 1], [2, 3]]), dim=0)
        tensor([1, 2])
    """
    return Tensor._make(np.asarray(np.count_nonzero(
        input._data, axis=canon_dims(dim, input._data.ndim)), dtype=np.int64))


def median(input: Tensor, dim=None, keepdim: bool = False):
    """Lower median, over all elements or ``(values, indices)`` along ``dim``.

    Args:
        input: the input tensor.
        dim: the dimension to reduce (None: over all elements).
        keepdim: whether the reduced dimensions stay in the result with size 1.

    Returns:
        The median as a 0-d tensor, or with ``dim`` a named tuple ``(values, indices)``.

    Example:
        >>> ember.median(ember.tensor([3., 1., 2., 4.]))
        tensor(2.)
    """
    d = None if dim is None else canon_dim(dim, input._data.ndim)
    if input._data.dtype == np.bool_:
        if d is not None and input._data.ndim and input._data.shape[d] == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
        kernel = "median_cpu" if d is None else "median_out"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if d is None:
        return Median.apply(input)
    values, indices = MedianDim.apply(input, d, keepdim)
    return MaxMin(values, indices)

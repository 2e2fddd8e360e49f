"""Normalization: batch_norm, layer_norm, group_norm, rms_norm and normalize.

The three moment-based norms are each one node whose backward is the closed form
``dx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat))`` with ``gh`` the gradient of the
normalised value ``xhat`` (means over the normalised elements).

batch_norm and layer_norm on float32 and float64 run compiled kernels (the ``norm`` family:
float64 statistics, one fused pass for the output, two for the input gradient); the NumPy
statement of the same maths (``_standardize``, ``_norm_backward``) is their reference, used
for the other dtypes and empty inputs, and the tests hold the kernels to it.
"""

from __future__ import annotations

import math

import numpy as np

from ember import _dtype, ops
from ember.autograd.function import ArrayFunction
from ember.backend import get_backend
from ember.tensor import Tensor

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "normalize", "rms_norm"]


def _norm_backward(gh: np.ndarray, xhat: np.ndarray, invstd: np.ndarray, axes: tuple,
                   centered: bool = True) -> np.ndarray:
    """Gradient of ``x`` from that of ``xhat = (x - mean) * invstd`` (means over ``axes``)."""
    proj = np.mean(gh * xhat, axis=axes, keepdims=True)
    out = xhat * proj
    np.subtract(gh, out, out=out)
    if centered:
        out -= np.mean(gh, axis=axes, keepdims=True)
    out *= invstd
    return out


def _standardize(x: np.ndarray, axes: tuple, eps: float) -> tuple:
    """``(xhat, mean, var, invstd)`` with ``xhat = (x - mean) * invstd`` over ``axes`` (biased
    variance, statistics kept as size-1 dims)."""
    mean = x.mean(axis=axes, keepdims=True)
    xhat = x - mean
    var = np.mean(np.square(xhat), axis=axes, keepdims=True)
    invstd = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    xhat *= invstd
    return xhat, mean, var, invstd


def _affine(xhat: np.ndarray, weight, bias) -> np.ndarray:
    """``xhat * weight + bias`` (either may be None) without writing into ``xhat``, which the
    backward keeps."""
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        if out is xhat:
            out = xhat + bias
        else:
            out += bias
    return out


def _affine_grads(ctx, g, xhat, axes, shape, offset=None):
    """Gradients of the weight and bias of ``y = xhat * w + b`` (None where not needed)."""
    gw = gb = None
    if ctx.needs_input_grad[1]:
        gw = np.sum(g * xhat, axis=axes).reshape(shape)
    if offset is not None and ctx.needs_input_grad[offset]:
        gb = np.sum(g, axis=axes).reshape(shape)
    return gw, gb


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_USE_KERNELS = True  # False: the NumPy reference path everywhere (the tests compare both)


def _kernel_dtype(x: np.ndarray) -> bool:
    """True when the compiled kernels take ``x`` (float32 or float64, not empty)."""
    return _USE_KERNELS and x.dtype in _KERNEL_DTYPES and x.size > 0


def _bn_mode(x: np.ndarray) -> str:
    """How the batch-norm kernels see ``x``: ``"rows"`` ``(M, C)`` for a 2-D input or one
    without spatial extent, ``"last"`` (rows of a channels-last input, no copy) or ``"planes"``
    ``(N, C, L)``."""
    if x.ndim == 2 or x.size == x.shape[0] * x.shape[1]:
        return "rows"
    if not x.flags.c_contiguous and np.moveaxis(x, 1, -1).flags.c_contiguous:
        return "last"
    return "planes"


def _bn_view(a: np.ndarray, mode: str) -> np.ndarray:
    """``a`` as the C-contiguous 2-D or 3-D array the kernels take in ``mode`` (a copy only
    when ``a`` is laid out otherwise)."""
    n, c = a.shape[:2]
    if mode == "rows":
        return np.ascontiguousarray(a).reshape(n, c)
    if mode == "last":
        return np.ascontiguousarray(np.moveaxis(a, 1, -1)).reshape(-1, c)
    return np.ascontiguousarray(a).reshape(n, c, -1)


def _bn_unview(y: np.ndarray, shape: tuple, mode: str) -> np.ndarray:
    """The kernels' result ``y`` back in ``shape`` (channels-last stays channels-last)."""
    if mode == "last":
        return np.moveaxis(y.reshape(shape[0], *shape[2:], shape[1]), -1, 1)
    return y.reshape(shape)


class BatchNorm(ArrayFunction):
    """``(x - mean) / sqrt(var + eps) * w + b`` per channel (dim 1), statistics over the rest.

    In training the batch's statistics are used and the running ones (when given) updated in
    place: ``r = (1 - momentum) r + momentum * s`` with the unbiased variance, as PyTorch.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        if not _kernel_dtype(x):
            return BatchNorm._forward_reference(ctx, x, weight, bias, running_mean, running_var,
                                                training, momentum, eps)
        norm = get_backend().kernels("norm")
        mode = _bn_mode(x)
        xk = _bn_view(x, mode)
        if training:
            mean, var = norm.batch_norm_stats(xk, mode == "planes")
            _update_running(running_mean, running_var, mean, var, x.size // x.shape[1],
                            momentum)
        else:
            mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
        invstd = 1 / np.sqrt(var + eps)
        # y = x * scale + shift, torch's form of (x - mean) * invstd * w + b
        scale = invstd if weight is None else invstd * weight
        shift = -mean * scale if bias is None else bias - mean * scale
        y = norm.batch_norm_forward(xk, scale.astype(x.dtype), shift.astype(x.dtype),
                                    mode == "planes")
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, invstd, mode, training)
        return _bn_unview(y, x.shape, mode)

    @staticmethod
    def backward(ctx, grad):
        if not hasattr(ctx, "stats"):
            return BatchNorm._backward_reference(ctx, grad)
        x, weight = ctx.saved_tensors
        mean, invstd, mode, training = ctx.stats
        w = None if weight is None else weight.astype(np.float64)
        dx, gw, gb = get_backend().kernels("norm").batch_norm_backward(
            _bn_view(grad, mode), _bn_view(x, mode), mean, invstd, w, training,
            ctx.needs_input_grad[0], mode == "planes")
        if dx is not None:
            dx = _bn_unview(dx, x.shape, mode)
        gw = gw.astype(grad.dtype) if ctx.needs_input_grad[1] else None
        gb = gb.astype(grad.dtype) if ctx.needs_input_grad[2] else None
        return dx, gw, gb, None, None

    @staticmethod
    def _forward_reference(ctx, x, weight, bias, running_mean, running_var, training,
                           momentum, eps):
        axes = (0, *tuple(range(2, x.ndim)))
        bshape = (1, -1) + (1,) * (x.ndim - 2)
        if training:
            xhat, mean, var, invstd = _standardize(x, axes, eps)
            _update_running(running_mean, running_var, mean.reshape(-1), var.reshape(-1),
                            x.size // x.shape[1], momentum)
        else:
            invstd = (1 / np.sqrt(running_var.reshape(bshape) + eps)).astype(x.dtype, copy=False)
            xhat = x - running_mean.reshape(bshape)
            xhat *= invstd
        out = _affine(xhat, None if weight is None else weight.reshape(bshape),
                      None if bias is None else bias.reshape(bshape))
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.args = (axes, bshape, training)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def _backward_reference(ctx, grad):
        xhat, invstd, weight = ctx.saved_tensors
        axes, bshape, training = ctx.args
        gh = grad if weight is None else grad * weight.reshape(bshape)
        gx = None
        if ctx.needs_input_grad[0]:
            gx = _norm_backward(gh, xhat, invstd, axes) if training else gh * invstd
        gw, gb = _affine_grads(ctx, grad, xhat, axes, (-1,), offset=2)
        return gx, gw, gb, None, None


def _update_running(running_mean, running_var, mean, var, n: int, momentum: float) -> None:
    """``r = (1 - momentum) r + momentum * s`` in place, with the unbiased variance."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += (momentum * n / max(n - 1, 1)) * var


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each channel (dim 1) over the batch and any spatial dims.

    Args:
        input: ``(N, C)`` or ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` running statistics; updated in place in training,
            used instead of the batch's statistics otherwise.
        weight, bias: ``(C,)`` affine parameters.
        training: use (and record) the batch's statistics.
        momentum: weight of the new batch in the running statistics.
        eps: added to the variance.
    """
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be "
                         "None")
    if input.ndim < 2:
        raise ValueError(f"Expected 2D or higher input (got {input.ndim}D input)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if training:
        per_channel = input.numel() // c if c else 0
        if per_channel == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if not _dtype.is_floating(input._data.dtype):
        raise RuntimeError(f'"batch_norm" not implemented for {input.dtype}')
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    out = BatchNorm.apply(input, _same_dtype(weight, input), _same_dtype(bias, input),
                          rm, rv, training, momentum, eps)
    if training:
        for t in (running_mean, running_var):
            if t is not None:
                t._version_counter.value += 1
    return out


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each channel of each sample over its spatial dims.

    It is :func:`batch_norm` on the input viewed as one sample of ``N * C`` channels; running
    statistics (when given) are updated with the mean over the batch of each sample's update.

    Args:
        input: ``(N, C, *)`` with at least one spatial dim.
        running_mean, running_var: ``(C,)`` running statistics.
        weight, bias: ``(C,)`` affine parameters.
        use_input_stats: normalise with each instance's statistics (else the running ones).
        momentum: weight of each batch in the running statistics.
        eps: added to the variance.
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher input (got {input.ndim}D input)")
    shape = tuple(input.shape)
    n, c = shape[:2]
    if use_input_stats and int(np.prod(shape[2:])) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    stats = [None if t is None else np.tile(t._data, n) for t in (running_mean, running_var)]
    x = input.reshape((1, n * c, *shape[2:]))
    out = BatchNorm.apply(x, None, None, stats[0], stats[1], use_input_stats, momentum,
                          eps).reshape(shape)
    if use_input_stats:
        for t, tiled in zip((running_mean, running_var), stats, strict=True):
            if t is not None:
                t._write(tiled.reshape(n, c).mean(axis=0))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    if weight is not None:
        out = out * _same_dtype(weight, input).reshape(bshape)
    if bias is not None:
        out = out + _same_dtype(bias, input).reshape(bshape)
    return out


class LayerNorm(ArrayFunction):
    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        axes = tuple(range(x.ndim - k, x.ndim))
        if _kernel_dtype(x):
            d = math.prod(x.shape[x.ndim - k:])
            out, mean, invstd = get_backend().kernels("norm").layer_norm_forward(
                np.ascontiguousarray(x).reshape(-1, d),
                None if weight is None else np.ascontiguousarray(weight).reshape(-1),
                None if bias is None else np.ascontiguousarray(bias).reshape(-1), eps)
            out = out.reshape(x.shape)
            ctx.fast = True
        else:
            xhat, mean, _, invstd = _standardize(x, axes, eps)
            out = _affine(xhat, weight, bias)
        # input, mean, 1/std, weight and bias (unused here), as PyTorch's native_layer_norm
        # saves them: an in-place edit of the bias is refused at backward, the output's is not
        ctx.save_for_backward(x, mean, invstd, weight, bias)
        ctx.axes = axes
        return out

    @staticmethod
    def backward(ctx, grad):
        x, mean, invstd, weight, _ = ctx.saved_tensors
        axes = ctx.axes
        shape = grad.shape[grad.ndim - len(axes):]
        if hasattr(ctx, "fast"):
            d = math.prod(shape)
            needs = ctx.needs_input_grad
            gx, gw, gb = get_backend().kernels("norm").layer_norm_backward(
                np.ascontiguousarray(grad).reshape(-1, d), np.ascontiguousarray(x).reshape(-1, d),
                mean, invstd, None if weight is None else np.ascontiguousarray(weight).reshape(-1),
                needs[0], needs[1], needs[2])
            gx = None if gx is None else gx.reshape(x.shape)
            gw = None if gw is None else gw.astype(grad.dtype).reshape(shape)
            gb = None if gb is None else gb.astype(grad.dtype).reshape(shape)
            return gx, gw, gb, None, None
        xhat = (x - mean) * invstd
        gh = grad if weight is None else grad * weight
        gx = _norm_backward(gh, xhat, invstd, axes) if ctx.needs_input_grad[0] else None
        lead = tuple(range(grad.ndim - len(axes)))
        gw, gb = _affine_grads(ctx, grad, xhat, lead, shape, offset=2)
        return gx, gw, gb, None, None


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises over the last ``len(normalized_shape)`` dims of each sample.

    Args:
        input: ``(*, *normalized_shape)``.
        normalized_shape: the trailing shape to normalise over.
        weight, bias: of shape ``normalized_shape``.
        eps: added to the variance.
    """
    shape = _check_normalized_shape(input, normalized_shape)
    _check_affine(weight, shape, "weight")
    _check_affine(bias, shape, "bias")
    return LayerNorm.apply(input, _same_dtype(weight, input), _same_dtype(bias, input),
                           len(shape), eps)


class GroupNorm(ArrayFunction):
    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        n, _c = x.shape[:2]
        xhat, _, _, invstd = _standardize(x.reshape(n, num_groups, -1), (2,), eps)
        xhat = xhat.reshape(x.shape)
        bshape = (1, -1) + (1,) * (x.ndim - 2)
        out = _affine(xhat, None if weight is None else weight.reshape(bshape),
                      None if bias is None else bias.reshape(bshape))
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.args = (num_groups, bshape)
        return out

    @staticmethod
    def backward(ctx, grad):
        xhat, invstd, weight = ctx.saved_tensors
        num_groups, bshape = ctx.args
        n = grad.shape[0]
        gx = None
        if ctx.needs_input_grad[0]:
            gh = grad if weight is None else grad * weight.reshape(bshape)
            gx = _norm_backward(gh.reshape(n, num_groups, -1), xhat.reshape(n, num_groups, -1),
                                invstd, (2,)).reshape(grad.shape)
        axes = (0, *tuple(range(2, grad.ndim)))
        gw, gb = _affine_grads(ctx, grad, xhat, axes, (-1,), offset=2)
        return gx, gw, gb, None, None


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises each group of ``C / num_groups`` channels (with all spatial dims) per sample.

    Args:
        input: ``(N, C, *)``.
        num_groups: must divide ``C``.
        weight, bias: ``(C,)`` per-channel affine parameters.
        eps: added to the variance.

    Example:
        >>> F.group_norm(ember.randn(2, 6, 5), 3).shape
        ember.Size([2, 6, 5])
    """
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    return GroupNorm.apply(input, _same_dtype(weight, input), _same_dtype(bias, input),
                           num_groups, eps)


class RmsNorm(ArrayFunction):
    @staticmethod
    def forward(ctx, x, weight, k, eps):
        axes = tuple(range(x.ndim - k, x.ndim))
        inv = (1 / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + eps)).astype(
            x.dtype, copy=False)
        xhat = x * inv
        # the input (not the output), 1/rms and the weight, as PyTorch's composite saves them
        ctx.save_for_backward(x, inv, weight)
        ctx.axes = axes
        return xhat if weight is None else xhat * weight

    @staticmethod
    def backward(ctx, grad):
        x, inv, weight = ctx.saved_tensors
        xhat = x * inv
        axes = ctx.axes
        gh = grad if weight is None else grad * weight
        gx = _norm_backward(gh, xhat, inv, axes, centered=False) \
            if ctx.needs_input_grad[0] else None
        lead = tuple(range(grad.ndim - len(axes)))
        gw, _ = _affine_grads(ctx, grad, xhat, lead, grad.shape[grad.ndim - len(axes):])
        return gx, gw, None, None


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape``.

    ``eps`` defaults to the machine epsilon of the input's dtype.
    """
    shape = _check_normalized_shape(input, normalized_shape)
    _check_affine(weight, shape, "weight")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    return RmsNorm.apply(input, _same_dtype(weight, input), len(shape), eps)


def _same_dtype(t: Tensor | None, like: Tensor):
    if t is None or t._data.dtype == like._data.dtype:
        return t
    return t.to(like.dtype)


def _check_normalized_shape(input: Tensor, normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
            f"{list(input.shape)}")
    return shape


def _check_affine(t: Tensor | None, shape: tuple, name: str) -> None:
    if t is not None and tuple(t.shape) != shape:
        raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                           f"{name} of shape {list(t.shape)} and normalized_shape = "
                           f"{list(shape)}")


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``.

    Args:
        input: a floating tensor of any shape.
        p: the norm's degree.
        dim: the dimension (or dimensions) to normalise over.
        eps: the least norm divided by (avoids a division by zero).
        out: write the result into this tensor.

    Example:
        >>> F.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    if input._data.dtype.kind in "biu":
        name = _dtype.SCALAR_TYPE_NAMES[input._data.dtype.name]
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {name}")
    if p == 2 or p == 2.0:
        # sum of squares, clamped before the square root: finite gradient for a zero vector
        sq = (input * input).sum(dim, keepdim=True)
        denom = ops.sqrt(ops.clamp(sq, min=eps * eps))
    else:
        denom = ops.clamp(ops.norm(input, p, dim, keepdim=True), min=eps)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result

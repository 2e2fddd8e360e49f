"""Loss functions: cross entropy, nll, regression losses, binary cross entropy, kl_div.

cross_entropy is one fused node (log-softmax and nll together), so a training step pays for a
single forward and a single backward; it never forms the full log-probabilities for class
index targets. Every loss is stable for logits of any size (no ``exp`` of a positive number).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ember import _dtype, ops
from ember._dtype import scalar_type_name
from ember.autograd.function import ArrayFunction
from ember.autograd.grad_mode import is_grad_enabled, no_grad
from ember.backend import get_backend
from ember.nn.functional.activation import logsigmoid
from ember.nn.functional.distance import pairwise_distance
from ember.ops._util import broadcast_error, operands, reduce_grad
from ember.tensor import Tensor

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]

# -- reductions -----------------------------------------------------------------------------

def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's mapping of the deprecated ``size_average`` / ``reduce`` flags."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        result = "mean"
    else:
        result = "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{result}' instead.", stacklevel=3)
    return result


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction: str, denom=None):
    """The reduction tail of every loss: ``'none'`` keeps ``loss``, ``'sum'`` sums it and
    ``'mean'`` divides the sum by ``denom`` (by default the number of elements; NaN when it is
    0, as PyTorch).

    ``loss`` is an array inside a node's forward, or a Tensor in the losses composed of ops
    (whose default mean is ``loss.mean()``, one node as in PyTorch).
    """
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if isinstance(loss, Tensor):
        return loss.mean() if denom is None else loss.sum() / denom
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(loss.sum() / (loss.size if denom is None else denom), dtype=loss.dtype)


def _unreduced_grad(grad: np.ndarray, reduction: str, denom) -> np.ndarray:
    """The gradient of each unreduced loss element from that of :func:`_reduce`'s result:
    ``grad`` itself (one value for all with ``'sum'``; the products of a backward broadcast
    it) or, for ``'mean'``, ``grad / denom`` (0, not NaN, when ``denom`` is 0, as PyTorch)."""
    if reduction != "mean":
        return grad
    return grad / denom if denom != 0 else np.zeros_like(grad)


# -- cross entropy and nll with class-index targets -----------------------------------------

def _rows(x: np.ndarray) -> np.ndarray:
    """``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` as ``(M, C)`` rows, classes last."""
    if x.ndim == 1:
        return x[None]
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Inverse of :func:`_rows` for a gradient."""
    if len(shape) == 1:
        return g[0]
    if len(shape) == 2:
        return g
    moved = g.reshape((shape[0], *shape[2:], shape[1]))
    return np.ascontiguousarray(np.moveaxis(moved, -1, 1))


def _class_targets(t: np.ndarray, n_classes: int, ignore_index: int):
    """Flat targets (ignored entries replaced by 0) and the valid mask (None if all valid),
    bounds checked."""
    t = t.reshape(-1)
    if not t.size:
        return t, None
    lo, hi = t.min(), t.max()
    valid = None
    if lo <= ignore_index <= hi:  # only then can a target be ignored
        valid = t != ignore_index
        t = np.where(valid, t, 0)
        lo, hi = t.min(), t.max()
    if lo < 0 or hi >= n_classes:
        bad = t[(t < 0) | (t >= n_classes)][0]
        raise IndexError(f"Target {bad} is out of bounds.")
    return t, valid


def _target_weights(weight, t, valid, dtype):
    """Each sample's weight ``w[t] * valid``; None when every sample has weight 1."""
    if weight is None:
        return None if valid is None else valid.astype(dtype)
    return weight[t] if valid is None else weight[t] * valid


#: dtypes of the compiled kernels (``ember.kernels.loss``); the others take the NumPy path
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _planes_shape(shape: tuple) -> tuple:
    """``(N, C, L)`` of an input ``(C,)`` (``(1, C, 1)``), ``(N, C)`` or ``(N, C, d1, ...)``."""
    if len(shape) == 1:
        return (1, shape[0], 1)
    return (shape[0], shape[1], math.prod(shape[2:]))


def _kernel_layout(x: np.ndarray) -> np.ndarray | None:
    """``x`` as the kernels see it: ``(C,)`` and ``(N, C)`` as C-contiguous ``(M, C)`` rows,
    ``(N, C, d1, ...)`` as C-contiguous ``(N, C, L)`` planes; None where the NumPy path runs
    (other dtypes, no classes)."""
    if x.ndim == 2 and x.flags.c_contiguous and x.dtype in _KERNEL_DTYPES and x.shape[1]:
        return x
    if x.dtype not in _KERNEL_DTYPES or x.shape[0 if x.ndim == 1 else 1] == 0:
        return None
    if x.ndim <= 2:
        return np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
    return np.ascontiguousarray(x).reshape(_planes_shape(x.shape))


def _out_of_bounds(t: np.ndarray, bad: int) -> IndexError:
    return IndexError(f"Target {t[bad]} is out of bounds.")


def _flat_targets(target: np.ndarray) -> np.ndarray:
    if target.ndim == 1 and target.flags.c_contiguous:
        return target
    return np.ascontiguousarray(target.reshape(-1))


def _fused_reduce(ctx, loss: np.ndarray, shape: tuple, reduction: str, loss_sum: float,
                  weight_sum: float) -> np.ndarray:
    """The reduction of the kernels' per-sample losses, from their float64 sums, rounded to
    the dtype before the mean's division as torch's are; sets ``ctx.denom`` for backward."""
    dtype = loss.dtype.type
    if reduction == "none":
        ctx.denom = 1
        return loss.reshape(shape)
    total = dtype(loss_sum)
    if reduction == "sum":
        ctx.denom = 1
        return np.array(total)
    # the mean is over the targets' weights (ignored targets weigh 0)
    ctx.denom = denom = dtype(weight_sum)
    if denom == 0:  # 0 / 0 is NaN and x / 0 an infinity, as in torch (without NumPy's warning)
        return np.array(dtype(np.nan) if total == 0 or total != total else
                        dtype(math.copysign(math.inf, total) * math.copysign(1.0, denom)))
    return np.array(total / denom)


class CrossEntropyLoss(ArrayFunction):
    """``log_softmax`` over the class dim followed by ``nll_loss``, as one node.

    With label smoothing ``eps`` the loss per sample is ``(1 - eps) * nll + eps / C * smooth``
    where ``smooth = -sum_c w_c log p_c`` (PyTorch's definition). float32 and float64 logits
    run the backend's fused ``loss`` kernels (forward saves ``exp(x - max)`` and its sums,
    private to the node as torch's saved log-probabilities are; backward is one pass); other
    dtypes the NumPy statement of the same maths.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing, backend):
        xk = _kernel_layout(x)
        ctx.args = (x.shape, reduction, label_smoothing, ignore_index, backend)
        if xk is None:
            ctx.fused = False
            return _cross_entropy_forward_reference(ctx, x, target, weight, ignore_index,
                                                    reduction, label_smoothing)
        ctx.fused = True
        t = _flat_targets(target)
        ex = backend.empty(xk.shape, xk.dtype) if ctx.needs_input_grad[0] else None
        bad, loss, wt, sums, loss_sum, weight_sum = backend.kernels(
            "loss").cross_entropy_forward(xk, t, weight, ignore_index, label_smoothing, ex)
        if bad >= 0:
            raise _out_of_bounds(t, bad)
        ctx.save_for_backward(t, weight)  # what torch's nll_loss keeps of the caller's
        ctx.ex, ctx.sums, ctx.wt = ex, sums, wt
        return _fused_reduce(ctx, loss, target.shape, reduction, loss_sum, weight_sum)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.fused:
            return (*_cross_entropy_backward_reference(ctx, grad), None)
        t, weight = ctx.saved_tensors
        ex = ctx.ex
        shape, reduction, eps, ignore_index, backend = ctx.args
        g = _unreduced_grad(grad, reduction, ctx.denom)
        gx = backend.empty(ex.shape, ex.dtype)
        backend.kernels("loss").cross_entropy_backward(
            ex, ctx.sums, t, ctx.wt, g, weight, ignore_index, eps, gx)
        return gx.reshape(shape), None, None, None


def _cross_entropy_forward_reference(ctx, x, target, weight, ignore_index, reduction,
                                     label_smoothing):
    """:class:`CrossEntropyLoss`'s forward in NumPy (the statement the kernels are held to)."""
    x2 = _rows(x)
    m, c = x2.shape
    t, valid = _class_targets(target, c, ignore_index)
    shifted = x2 - x2.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1)
    logs = np.log(s)
    wt = _target_weights(weight, t, valid, x.dtype)
    loss = logs - shifted[np.arange(m), t]
    if wt is not None:
        loss *= wt
    if label_smoothing > 0:
        if weight is None:
            smooth = c * logs - shifted.sum(axis=1)
        else:
            smooth = weight.sum() * logs - shifted @ weight
        if valid is not None:
            smooth *= valid
        loss = (1 - label_smoothing) * loss + (label_smoothing / c) * smooth
    ctx.save_for_backward(e, s, t, wt, valid, weight)
    # the mean is over the targets' weights (ignored targets weigh 0)
    ctx.denom = m if wt is None or reduction != "mean" else wt.sum()
    return _reduce(loss.reshape(target.shape), reduction, ctx.denom)


def _cross_entropy_backward_reference(ctx, grad):
    """:class:`CrossEntropyLoss`'s backward in NumPy, from what the reference forward saved."""
    e, s, t, wt, valid, weight = ctx.saved_tensors
    shape, reduction, eps = ctx.args[:3]
    m, c = e.shape
    g = _unreduced_grad(grad, reduction, ctx.denom)
    if reduction == "none":
        g = g.reshape(-1)
    rows = np.arange(m)
    # d loss / d x = softmax * sum_c(coefficients) - coefficients, per row
    if wt is None and eps == 0:  # the common case: a scalar or per-row g only
        gx = e * (g / s)[:, None]
        gx[rows, t] -= g
        return _unrows(gx, shape), None, None
    g = np.broadcast_to(g, (m,))
    gw = g * (1 - eps) if wt is None else g * wt * (1 - eps)
    row_total = gw
    if eps > 0:
        wsum = c if weight is None else weight.sum()
        gv = g if valid is None else g * valid
        row_total = gw + (eps / c) * wsum * gv
    gx = e * (row_total / s)[:, None]
    gx[rows, t] -= gw
    if eps > 0:
        gv = (eps / c) * gv
        gx -= gv[:, None] if weight is None else gv[:, None] * weight
    return _unrows(gx.astype(e.dtype, copy=False), shape), None, None


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits and targets (``log_softmax`` then ``nll_loss``, one node).

    For class-index targets the loss of a sample is ``-weight[t] * log_softmax(input)[t]``; for
    class-probability targets it is ``-sum_c weight[c] * target[c] * log_softmax(input)[c]``.

    Args:
        input: unnormalised logits.
        target: class indices in ``[0, C)`` (int64), or class probabilities (floating, the
            shape of ``input``).
        weight: per-class weights ``(C,)``.
        ignore_index: a class-index target value that contributes neither loss nor gradient
            (the mean is then over the other targets).
        reduction: ``'none'``, ``'mean'`` (weighted by ``weight[t]`` for class indices) or
            ``'sum'``.
        label_smoothing: in ``[0, 1]``; mixes the targets with the uniform distribution by this
            amount.

    Returns:
        A scalar, or the per-sample losses with ``reduction='none'``.

    Shape:
        - input: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``.
        - target: ``()``, ``(N,)`` or ``(N, d1, ..., dK)`` for class indices; the shape of
          ``input`` for probabilities.
        - output: ``()``, or ``(N,)`` / ``(N, d1, ..., dK)`` with ``reduction='none'``.

    Example:
        >>> logits = ember.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
        >>> loss = F.cross_entropy(logits, ember.tensor([0, 2]))
        >>> loss
        tensor(0.6691, grad_fn=<CrossEntropyLossBackward0>)
        >>> loss.backward()
        >>> logits.grad.shape
        ember.Size([2, 3])
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x, t = input._data, target._data
    if not _dtype.is_floating(x.dtype):
        raise RuntimeError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                           f"'{scalar_type_name(x.dtype)}'")
    if _dtype.is_floating(t.dtype) and t.shape == x.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    _check_class_input(input, target, weight)
    return CrossEntropyLoss.apply(input, target, _weight_array(weight, input._data.dtype),
                                  ignore_index, reduction, label_smoothing,
                                  get_backend(input.device))


class NllLoss(ArrayFunction):
    """``-weight[t] * input[t]`` per sample; float32 and float64 inputs run the backend's
    ``loss`` kernels (a gather forward, a scatter into zeros backward), others NumPy."""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, backend):
        ctx.args = (x.shape, x.dtype, reduction, ignore_index, backend)
        ctx.fused = x.dtype in _KERNEL_DTYPES
        if not ctx.fused:
            return _nll_forward_reference(ctx, x, target, weight, ignore_index, reduction)
        t = _flat_targets(target)
        x3 = x.reshape(_planes_shape(x.shape))
        bad, loss, wt, loss_sum, weight_sum = backend.kernels("loss").nll_forward(
            x3, t, weight, ignore_index)
        if bad >= 0:
            raise _out_of_bounds(t, bad)
        ctx.save_for_backward(t, x)  # x only as torch keeps it: edits of it are caught
        ctx.wt = wt
        return _fused_reduce(ctx, loss, target.shape, reduction, loss_sum, weight_sum)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.fused:
            return (*_nll_backward_reference(ctx, grad), None)
        t, _ = ctx.saved_tensors
        shape, dtype, reduction, ignore_index, backend = ctx.args
        g = _unreduced_grad(grad, reduction, ctx.denom)
        gx = backend.empty(_planes_shape(shape), dtype)
        backend.kernels("loss").nll_backward(t, ctx.wt, g, ignore_index, gx)
        return gx.reshape(shape), None, None, None


def _nll_forward_reference(ctx, x, target, weight, ignore_index, reduction):
    """:class:`NllLoss`'s forward in NumPy (the statement the kernels are held to)."""
    x2 = _rows(x)
    m, c = x2.shape
    t, valid = _class_targets(target, c, ignore_index)
    wt = _target_weights(weight, t, valid, x.dtype)
    loss = -x2[np.arange(m), t]
    if wt is not None:
        loss *= wt
    ctx.save_for_backward(t, wt, x)  # x only as torch keeps it: edits of it are caught
    ctx.denom = m if wt is None or reduction != "mean" else wt.sum()
    return _reduce(loss.reshape(target.shape), reduction, ctx.denom)


def _nll_backward_reference(ctx, grad):
    """:class:`NllLoss`'s backward in NumPy."""
    t, wt, _ = ctx.saved_tensors
    shape, dtype, reduction = ctx.args[:3]
    m = t.shape[0]
    g = _unreduced_grad(grad, reduction, ctx.denom)
    if reduction == "none":
        g = g.reshape(-1)
    c = shape[0] if len(shape) == 1 else shape[1]
    gx = np.zeros((m, c), dtype=dtype)
    gx[np.arange(m), t] = -g if wt is None else -g * wt
    return _unrows(gx, shape), None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Negative log likelihood of the target class: ``-weight[t] * input[n, t]``.

    Args:
        input: log-probabilities ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``.
        target: class indices ``(N,)``, ``()`` or ``(N, d1, ...)`` in ``[0, C)`` (int64).
        weight: per-class weights ``(C,)``.
        ignore_index: a target value that contributes neither loss nor gradient.
        reduction: ``'none'``, ``'mean'`` (weighted mean over the non-ignored targets) or
            ``'sum'``.

    Returns:
        A scalar, or the target's shape with ``reduction='none'``.

    Example:
        >>> logp = F.log_softmax(ember.tensor([[0.0, 0.0], [2.0, 0.0]]), dim=1)
        >>> F.nll_loss(logp, ember.tensor([1, 0]), reduction="none")
        tensor([0.6931, 0.1269])
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_class_input(input, target, weight)
    return NllLoss.apply(input, target, _weight_array(weight, input._data.dtype), ignore_index,
                         reduction, get_backend(input.device))


def _check_class_input(input: Tensor, target: Tensor, weight) -> None:
    """PyTorch's checks of nll_loss arguments, in PyTorch's order and words."""
    xshape, tshape = input._data.shape, target._data.shape
    xdim, tdim = len(xshape), len(tshape)
    if xdim == 2 and tdim == 1 and xshape[0] == tshape[0] and weight is None and \
            target._data.dtype == np.int64:
        return  # the common case, valid
    if xdim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {xdim})")
    if xdim == 1:
        if tdim > 1 or (tdim == 1 and tshape[0] != 1):
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{tshape[0] if tdim else 0}")
    elif xdim == 2 and tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if xdim >= 2 and tdim >= 1 and xshape[0] != tshape[0]:
        raise ValueError(f"Expected input batch_size ({xshape[0]}) to match target "
                         f"batch_size ({tshape[0]}).")
    if xdim > 2:
        expected = (xshape[0], *tuple(xshape[2:]))
        if xdim == 4 and tdim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {tdim}")
        if tuple(tshape) != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(tshape)}")
    n_classes = xshape[0] if xdim == 1 else xshape[1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{scalar_type_name(target._data.dtype)}")
    if xdim > 2 and target._data.dtype != np.int64:  # torch's spatial kernel takes Long only
        raise RuntimeError("expected scalar type Long but found Byte")


def _weight_array(weight, dtype):
    if weight is None:
        return None
    return np.ascontiguousarray(weight._data, dtype=dtype)


class CrossEntropyProbs(ArrayFunction):
    """Cross entropy with class-probability targets: ``-sum_c w_c t_c log_softmax(x)_c``."""

    @staticmethod
    def forward(ctx, x, target, weight, reduction, label_smoothing):
        x2, t2 = _rows(x), _rows(target)
        c = x2.shape[1]
        shifted = x2 - x2.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        if label_smoothing > 0:
            t2 = t2 * (1 - label_smoothing) + label_smoothing / c
        wt = t2 if weight is None else t2 * weight
        ctx.save_for_backward(logp, wt, weight)
        ctx.args = (x.shape, reduction, label_smoothing)
        terms = logp * wt
        if reduction == "none":
            return -terms.sum(axis=1).reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())
        # as torch, the sign is taken after the whole sum (a sum of zeros gives -0.0)
        total = -np.asarray(terms.sum())
        return total if reduction == "sum" else total / terms.shape[0]

    @staticmethod
    def backward(ctx, grad):
        logp, wt, weight = ctx.saved_tensors
        shape, reduction, eps = ctx.args
        g = _unreduced_grad(grad, reduction, logp.shape[0])
        g = g.reshape(-1, 1) if reduction == "none" else g
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = _unrows(g * (np.exp(logp) * wt.sum(axis=1, keepdims=True) - wt), shape)
        if ctx.needs_input_grad[1]:
            d = -g * logp * (1 - eps)
            gt = _unrows(d if weight is None else d * weight, shape)
        return gx, gt, None


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    return CrossEntropyProbs.apply(input, target, _weight_array(weight, input._data.dtype),
                                   reduction, label_smoothing)


# -- regression losses ----------------------------------------------------------------------

class _PointwiseLoss(ArrayFunction):
    """``reduce(f(input - target))``; subclasses give ``f`` and its derivative ``df``.

    ``saves_inputs``: torch's node keeps input and target (mse, smooth l1, huber), so an
    in-place change of either before backward is an error; l1_loss is a composition in torch
    whose nodes keep neither.
    """

    saves_inputs = True

    @staticmethod
    def f(d, param):
        raise NotImplementedError

    @staticmethod
    def df(d, param):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, x, t, reduction, param):
        d = x - t
        ctx.save_for_backward(d, *((x, t) if cls.saves_inputs else ()))
        ctx.args = ((x.shape, x.dtype), (t.shape, t.dtype), reduction, param)
        return _reduce(cls.f(d, param), reduction)

    @classmethod
    def backward(cls, ctx, grad):
        d = ctx.saved_tensors[0]
        xmeta, tmeta, reduction, param = ctx.args
        g = cls.df(d, param) * _unreduced_grad(grad, reduction, d.size)
        gx = reduce_grad(g, *xmeta) if ctx.needs_input_grad[0] else None
        gt = reduce_grad(-g, *tmeta) if ctx.needs_input_grad[1] else None
        return gx, gt, None, None


class MseLoss(_PointwiseLoss):
    @staticmethod
    def f(d, param):
        return d * d

    @staticmethod
    def df(d, param):
        return 2 * d


class L1Loss(_PointwiseLoss):
    saves_inputs = False

    @staticmethod
    def f(d, param):
        return np.abs(d)

    @staticmethod
    def df(d, param):
        return (d > 0).astype(d.dtype) - (d < 0)  # sign, 0 at NaN as torch's


class SmoothL1Loss(_PointwiseLoss):
    @staticmethod
    def f(d, beta):
        a = np.abs(d)
        if beta == 0:
            return a
        return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)

    @staticmethod
    def df(d, beta):
        if beta == 0:
            return np.sign(d)
        return np.where(np.abs(d) < beta, d / beta, np.sign(d)).astype(d.dtype, copy=False)


class HuberLoss(_PointwiseLoss):
    @staticmethod
    def f(d, delta):
        a = np.abs(d)
        return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))

    @staticmethod
    def df(d, delta):
        return np.clip(d, -delta, delta).astype(d.dtype, copy=False)


def _size_warning(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)


def _pointwise_loss(cls, input, target, reduction, param, weight, weighted_mean_by_sum):
    _size_warning(input, target)
    a, b, _ = operands(input, target)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a, b) from None
    if weight is None:
        return cls.apply(a, b, reduction, param)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = cls.apply(a, b, "none", param) * weight
    return _reduce(loss, reduction, weight.sum() if weighted_mean_by_sum else None)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced.

    Args:
        input: any shape.
        target: broadcastable to ``input`` (a warning when the shapes differ).
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        weight: the shape of ``input``; with it the mean is ``sum(w * l) / sum(w)``.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.

    Example:
        >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([0.0, 0.0]))
        tensor(2.5000)
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise_loss(MseLoss, input, target, reduction, None, weight, True)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced.

    Args:
        input: any shape.
        target: broadcastable to ``input`` (a warning when the shapes differ).
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        weight: the shape of ``input``; with it the mean is ``sum(w * l) / sum(w)``.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.

    Example:
        >>> F.l1_loss(ember.tensor([1.0, -2.0]), ember.tensor([0.0, 0.0]), reduction="none")
        tensor([1., 2.])
    """
    reduction = _reduction(size_average, reduce, reduction)
    return _pointwise_loss(L1Loss, input, target, reduction, None, weight, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``).

    Args:
        input: any shape.
        target: broadcastable to ``input``.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        beta: where the loss turns from quadratic to linear (non-negative; 0 is ``l1_loss``).

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.

    Example:
        >>> F.smooth_l1_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), reduction="none")
        tensor([0.1250, 2.5000])
    """
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss(SmoothL1Loss, input, target, reduction, beta, None, False)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (``d = input - target``).

    Args:
        input: any shape.
        target: broadcastable to ``input``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        delta: where the loss turns from quadratic to linear (positive).
        weight: the shape of ``input``, multiplying each element's loss.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.

    Example:
        >>> F.huber_loss(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]), reduction="none")
        tensor([0.1250, 2.5000])
    """
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise_loss(HuberLoss, input, target, reduction, delta, weight, False)


# -- binary cross entropy -------------------------------------------------------------------

class BinaryCrossEntropy(ArrayFunction):
    @staticmethod
    def forward(ctx, x, t, w, reduction):
        if x.size and (np.any(x < 0) or np.any(x > 1) or np.any(np.isnan(x))):
            raise RuntimeError("all elements of input should be between 0 and 1")
        if t.size and not np.all((t >= 0) & (t <= 1)):  # NaN included
            raise RuntimeError("all elements of target should be between 0 and 1")
        with np.errstate(divide="ignore"):
            # logs clamped at -100, as PyTorch, so that x = 0 or 1 gives a finite loss
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        raw = -(t * log_x + (1 - t) * log_1mx)
        loss = raw if w is None else raw * w
        ctx.save_for_backward(x, t, w)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, w = ctx.saved_tensors
        g = _unreduced_grad(grad, ctx.reduction, x.size)
        gw_ = g if w is None else g * w
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = gw_ * (x - t) / np.maximum((1 - x) * x, 1e-12)
        if ctx.needs_input_grad[1]:
            # -logit(x), not clamped like the loss's logs (as PyTorch): -inf at x = 1
            with np.errstate(divide="ignore"):
                gt = gw_ * -np.log(x / (1 - x))
        return gx, gt, None, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w (t log(x) + (1 - t) log(1 - x))`` for probabilities ``x`` (logs clamped at -100).

    Args:
        input: probabilities in ``[0, 1]``, any shape.
        target: the shape of ``input``, in ``[0, 1]``.
        weight: broadcastable to ``input`` (not differentiable).
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.

    Example:
        >>> p = ember.tensor([0.9, 0.2], requires_grad=True)
        >>> F.binary_cross_entropy(p, ember.tensor([1.0, 0.0]))
        tensor(0.1643, grad_fn=<BinaryCrossEntropyBackward0>)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size.")
    dt = input._data.dtype
    if target._data.dtype != dt:
        target = target.to(input.dtype)
    if weight is not None:
        if weight.requires_grad and is_grad_enabled():
            raise RuntimeError("The function 'binary_cross_entropy' is not differentiable with "
                               "respect to argument 'weight'. This input cannot have "
                               "requires_grad True.")
        if weight._data.dtype != dt:
            weight = weight.to(input.dtype)
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


class BinaryCrossEntropyWithLogits(ArrayFunction):
    """``(1 - t) x + (1 + (pw - 1) t) softplus(-x)``, times the weight."""

    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        sp = np.logaddexp(0, -x).astype(x.dtype, copy=False)  # softplus(-x) = -log(sigmoid(x))
        lw = 1 if pw is None else 1 + (pw - 1) * t
        raw = (1 - t) * x + lw * sp
        loss = raw if w is None else raw * w
        ctx.save_for_backward(x, t, w, pw, sp)
        ctx.args = (reduction, raw.size, None if pw is None else (pw.shape, pw.dtype))
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, w, pw, sp = ctx.saved_tensors
        reduction, size, pwmeta = ctx.args
        g = _unreduced_grad(grad, reduction, size)
        gwt = g if w is None else g * w
        gx = gt = gpw = None
        if ctx.needs_input_grad[0]:
            e = np.exp(-np.abs(x))
            sig_neg = np.where(x >= 0, e / (1 + e), 1 / (1 + e))  # sigmoid(-x)
            lw = 1 if pw is None else 1 + (pw - 1) * t
            gx = reduce_grad(gwt * ((1 - t) - lw * sig_neg), x.shape, x.dtype)
        if ctx.needs_input_grad[1]:
            gt = gwt * (-x if pw is None else (pw - 1) * sp - x)
        if ctx.needs_input_grad[3]:
            gpw = reduce_grad(gwt * t * sp, *pwmeta)
        return gx, gt, None, gpw, None


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid then binary cross entropy, fused and stable for logits of any size.

    The loss of an element is ``-w (pos_weight * t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x)))``.

    Args:
        input: logits, any shape.
        target: the shape of ``input``, in ``[0, 1]``.
        weight: broadcastable to ``input`` (not differentiable).
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        pos_weight: weight of the positive examples, broadcastable to ``input`` (one per class
            along the last dim).

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.

    Example:
        >>> F.binary_cross_entropy_with_logits(ember.tensor([0.0, 2.0]), ember.tensor([1.0, 1.0]))
        tensor(0.4100)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError("The function 'binary_cross_entropy_with_logits' is not "
                           "differentiable with respect to argument 'weight'. This input cannot "
                           "have requires_grad True.")
    dt = input._data.dtype
    target, weight, pos_weight = (
        a if a is None or a._data.dtype == dt else a.to(input.dtype)
        for a in (target, weight, pos_weight))
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)``, ``input`` log-probabilities.

    Args:
        input: log-probabilities, any shape.
        target: probabilities (log-probabilities with ``log_target``), the shape of ``input``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        reduction: ``'none'``, ``'mean'`` (over every element, with a warning), ``'sum'`` or
            ``'batchmean'`` (the sum divided by the batch size: the mathematical KL divergence).
        log_target: ``target`` holds log-probabilities.

    Example:
        >>> p = ember.tensor([[0.5, 0.5]])
        >>> F.kl_div(ember.log(ember.tensor([[0.25, 0.75]])), p, reduction="batchmean")
        tensor(0.1438)
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        # xlogy: 0 * log 0 = 0
        positive = target > 0
        safe = ops.where(positive, target, ops.ones_like(target))
        loss = ops.where(positive, target * ops.log(safe), ops.zeros_like(target)) - \
            target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target * input))`` for targets in {-1, 1}.

    Args:
        input: any shape.
        target: ``-1`` or ``1``, broadcastable to ``input`` (not differentiable).
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.requires_grad and is_grad_enabled():
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    a, b, dt = operands(input, target)
    if not _dtype.is_floating(dt):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{scalar_type_name(dt)}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a, b) from None
    if shape != tuple(a.shape):  # torch computes the losses into an input-shaped buffer
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    return SoftMarginLoss.apply(a, b, reduction, None)


class SoftMarginLoss(ArrayFunction):
    """``reduce(log(1 + exp(-t x)))``, saving input and target as torch."""

    @staticmethod
    def forward(ctx, x, t, reduction, param):
        ctx.save_for_backward(x, t)
        ctx.reduction = reduction
        return _reduce(np.logaddexp(0, -t * x).astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        # d/dx log(1 + exp(-t x)) = -t exp(-t x) / (1 + exp(-t x)), written as torch writes it
        # (so inf / inf gives NaN where torch's does)
        x, t = ctx.saved_tensors
        e = np.exp(-t * x)
        g = _unreduced_grad(grad, ctx.reduction, e.size)
        gx = -t * e / (1 + e) * g
        return reduce_grad(gx, x.shape, x.dtype), None, None, None


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log likelihood of a Poisson-distributed target.

    The loss is ``exp(input) - target * input`` with ``log_input``, else
    ``input - target * log(input + eps)``.

    Args:
        input: the expectation of the Poisson distribution (its log with ``log_input``).
        target: counts, the shape of ``input``.
        log_input: ``input`` is the log of the rate.
        full: add Stirling's approximation ``t log t - t + 0.5 log(2 pi t)`` (where ``t > 1``).
        eps: keeps the log finite where ``log_input`` is False.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = ops.exp(input) - target * input
    else:
        loss = input - target * ops.log(input + eps)
    if full:
        t = target.detach()
        stirling = t * ops.log(ops.where(t > 1, t, ops.ones_like(t))) - t + \
            0.5 * ops.log(2 * np.pi * ops.where(t > 1, t, ops.ones_like(t)))
        loss = loss + ops.where(t > 1, stirling, ops.zeros_like(t))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of a Gaussian target: ``0.5 (log(var) + (input - target)^2 / var)``.

    ``var`` is clamped to at least ``eps`` for the value only (its gradient is unchanged), as
    PyTorch does.

    Args:
        input: the expectation, ``(N, *)`` or ``(*)``.
        target: the shape of ``input``.
        var: non-negative variances: the shape of ``input``, that shape without its last dim or
            with a last dim of 1 (one variance for all), or a number.
        full: add the constant ``0.5 log(2 pi)``.
        eps: the least variance used.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
    """
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ops.full_like(input, float(var))
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clone()
    with no_grad():  # clamped for the value only: the gradient passes as through the clone
        var.clamp_(min=eps)
    loss = 0.5 * (ops.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)`` for targets in {-1, 1}.

    Args:
        input1, input2: scores, of the same number of dims.
        target: ``1`` where ``input1`` should rank higher, ``-1`` where ``input2`` should.
        margin: the least difference that costs nothing.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce(ops.clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1.

    Args:
        input: distances, any shape.
        target: ``1`` or ``-1``, the shape of ``input``.
        margin: the distance beyond which a dissimilar pair costs nothing.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or the elementwise losses with ``reduction='none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    zeros = ops.zeros_like(input)
    loss = ops.where(target != 1, ops.clamp(margin - input, min=0), zeros) + \
        ops.where(target != -1, input, zeros)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross entropy with logits per class, averaged over the classes (the last dim).

    Args:
        input: logits ``(N, C)`` or ``(C,)``.
        target: ``0`` or ``1`` per class, the shape of ``input``.
        weight: per-class weights ``(C,)``.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or ``(N,)`` with ``reduction='none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target`` is 1, ``max(0, cos(x1, x2) - margin)`` where -1.

    Args:
        input1, input2: ``(N, D)`` or ``(D,)``, of one shape; the cosine is over the last dim.
        target: ``1`` or ``-1``, ``(N,)`` or ``()``.
        margin: in ``[-1, 1]``; dissimilar pairs whose cosine is below it cost nothing.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or ``(N,)`` with ``reduction='none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: Input1 and Input2 must have the same shape, "
                           f"but got Input1: {list(input1.shape)} and Input2: "
                           f"{list(input2.shape)}")
    d = input1.ndim - 1
    eps = 1e-12  # PyTorch's EPSILON, added to each squared magnitude
    cos = (input1 * input2).sum(d) / ops.sqrt(
        ((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps))
    zeros = ops.zeros_like(cos)
    loss = ops.where(target == 1, 1 - cos, zeros) + \
        ops.where(target == -1, ops.clamp(cos - margin, min=0), zeros)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)``, ``d`` the ``p``-norm :func:`pairwise_distance`.

    Args:
        anchor, positive, negative: ``(N, D)`` or ``(D,)``, of one number of dims.
        margin: the least gap between the two distances that costs nothing.
        p: the norm's degree.
        eps: added to the differences, as in :func:`pairwise_distance`.
        swap: replace ``d(a, n)`` by ``min(d(a, n), d(p, n))``.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ops.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce(ops.clamp(margin + d_ap - d_an, min=0), reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C``.

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: class indices ``(N,)`` or ``()``.
        p: 1 or 2.
        margin: the least gap between the target's score and another's that costs nothing.
        weight: per-class weights ``(C,)``, by the target class.
        reduction: ``'none'`` (a loss per element), ``'mean'`` (their average) or ``'sum'``.
        size_average, reduce: deprecated; they override ``reduction`` when given.

    Returns:
        A scalar, or ``(N,)`` with ``reduction='none'``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1, 1)
    c = x.shape[1]
    z = ops.clamp(margin - x.gather(1, t) + x, min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[target.reshape(-1)].reshape(-1, 1)
    others = Tensor._make((np.arange(c)[None, :] != t._data).astype(x._data.dtype))
    loss = (z * others).sum(1) / c
    if input.ndim < 2:
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)

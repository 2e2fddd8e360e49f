"""Loss layers: each is a docstring and one call into ``ember.nn.functional``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.functional.loss import _legacy_reduction
from ember.nn.modules.module import Module
from ember.tensor import Tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CosineEmbeddingLoss",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "NLLLoss",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
]


class _Loss(Module):
    """Holds ``reduction`` (mapping the deprecated ``size_average`` / ``reduce`` flags)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight`` buffer."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.weight: Tensor | None


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy between unnormalised logits and a target that is either class indices or
    class probabilities; it is :class:`LogSoftmax` followed by :class:`NLLLoss` in one stable step.

    For class indices ``y_n`` the loss of sample ``n`` is
    ``l_n = -w[y_n] * log(exp(x[n, y_n]) / sum_c exp(x[n, c]))``; ``'mean'`` divides the sum by
    ``sum_n w[y_n]`` over the samples not ignored. For probabilities ``p`` it is
    ``l_n = -sum_c w[c] * p[n, c] * log_softmax(x)[n, c]`` and ``'mean'`` divides by ``N``.

    Args:
        weight: a rescaling weight for each class, of shape ``(C,)``. Default: ``None`` (all 1).
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        ignore_index: a class index whose targets add nothing to the loss nor to the mean's
            denominator (class-index targets only). Default: ``-100``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per sample.
            Default: ``None``.
        reduction: ``'none'`` (one loss per sample), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        label_smoothing: the share of a uniform distribution mixed into the targets, in
            ``[0, 1]``. Default: ``0.0``.

    Shape:
        - Input: ``(N, C)``, ``(C,)`` or ``(N, C, d_1, ..., d_K)``; ``C`` is the number of classes.
        - Target: class indices ``(N,)``, ``()`` or ``(N, d_1, ..., d_K)`` with values in
          ``[0, C)``; or probabilities of the input's shape.
        - Output: a scalar; with ``reduction='none'`` the target's shape without ``C``.

    Example:
        >>> loss = nn.CrossEntropyLoss()
        >>> logits = ember.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
        >>> out = loss(logits, ember.tensor([0, 2]))
        >>> round(out.item(), 4)
        0.6691
        >>> out.backward()
        >>> logits.grad.shape
        ember.Size([2, 3])
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of the target class, for inputs that are log-probabilities (for
    example the output of :class:`LogSoftmax`).

    The loss of sample ``n`` is ``l_n = -w[y_n] * x[n, y_n]``; ``'mean'`` divides the sum by
    ``sum_n w[y_n]`` over the samples not ignored.

    Args:
        weight: a rescaling weight for each class, of shape ``(C,)``. Default: ``None`` (all 1).
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        ignore_index: a target value that adds nothing to the loss nor to the mean's
            denominator. Default: ``-100``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per sample.
            Default: ``None``.
        reduction: ``'none'`` (one loss per sample), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(N, C)``, ``(C,)`` or ``(N, C, d_1, ..., d_K)``.
        - Target: ``(N,)``, ``()`` or ``(N, d_1, ..., d_K)``, class indices in ``[0, C)``.
        - Output: a scalar; with ``reduction='none'`` the target's shape.

    Example:
        >>> m = nn.NLLLoss()
        >>> logp = ember.tensor([[-0.5, -1.0, -2.0], [-3.0, -0.1, -4.0]])
        >>> m(logp, ember.tensor([0, 1]))
        tensor(0.3000)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error: ``l_n = (x_n - y_n)^2`` for each element, then reduced.

    Args:
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.MSELoss()
        >>> m(ember.tensor([0.0, 1.0, 3.0]), ember.tensor([1.0, 1.0, 1.0]))
        tensor(1.6667)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``l_n = |x_n - y_n|`` for each element, then reduced.

    Args:
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.L1Loss(reduction="sum")
        >>> m(ember.tensor([0.0, 1.0, 3.0]), ember.tensor([1.0, 1.0, 1.0]))
        tensor(3.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: quadratic for small errors, linear for large ones. With ``d = x_n - y_n``,
    ``l_n = 0.5 * d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``.

    It equals :class:`HuberLoss` divided by ``beta``; with ``beta=0`` it is :class:`L1Loss`.

    Args:
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        beta: where the loss turns from quadratic to linear (at least 0). Default: ``1.0``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.SmoothL1Loss(reduction="none", beta=1.0)
        >>> m(ember.tensor([0.5, 3.0]), ember.tensor([0.0, 0.0]))
        tensor([0.1250, 2.5000])
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss: quadratic for small errors, linear for large ones. With ``d = x_n - y_n``,
    ``l_n = 0.5 * d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``.

    Args:
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        delta: where the loss turns from quadratic to linear (above 0). Default: ``1.0``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.HuberLoss(reduction="none", delta=2.0)
        >>> m(ember.tensor([1.0, 5.0]), ember.tensor([0.0, 0.0]))
        tensor([0.5000, 8.0000])
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy between predicted probabilities ``x`` and targets ``y`` in ``[0, 1]``:
    ``l_n = -w_n * (y_n * log(x_n) + (1 - y_n) * log(1 - x_n))``.

    Each log is clamped to at least ``-100``, so a prediction of exactly 0 or 1 gives a finite
    loss. For logits, :class:`BCEWithLogitsLoss` is the stable choice.

    Args:
        weight: a rescaling weight broadcastable to the input. Default: ``None`` (all 1).
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(*)``, probabilities in ``[0, 1]``.
        - Target: ``(*)``, the input's shape, values in ``[0, 1]``.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.BCELoss()
        >>> m(ember.tensor([0.9, 0.2]), ember.tensor([1.0, 0.0]))
        tensor(0.1643)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits: a sigmoid and :class:`BCELoss` in one numerically stable
    step. For logits ``x``,
    ``l_n = -w_n * (pos_weight * y_n * log(sigmoid(x_n)) + (1 - y_n) * log(1 - sigmoid(x_n)))``.

    Args:
        weight: a rescaling weight broadcastable to the input. Default: ``None`` (all 1).
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        pos_weight: the weight of the positive term, broadcastable to the input (often one per
            class, ``(C,)``); above 1 it raises recall. Default: ``None`` (1).

    Shape:
        - Input: ``(*)``, logits.
        - Target: ``(*)``, the input's shape, values in ``[0, 1]``.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.BCEWithLogitsLoss(pos_weight=ember.tensor([2.0]))
        >>> m(ember.tensor([0.0, 0.0]), ember.tensor([1.0, 0.0]))
        tensor(1.0397)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of the target distribution from the input, where the input
    holds log-probabilities: ``l = y * (log(y) - x)`` for each element (``0`` where ``y = 0``).

    With ``log_target=True`` the target holds log-probabilities too and
    ``l = exp(y) * (y - x)``. ``reduction='batchmean'`` (the sum divided by the batch size)
    gives the true KL divergence; ``'mean'`` divides by the number of elements instead.

    Args:
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'``, ``'batchmean'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        log_target: the target is given as log-probabilities. Default: ``False``.

    Shape:
        - Input: ``(*)``, log-probabilities.
        - Target: ``(*)``, the input's shape.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.KLDivLoss(reduction="batchmean")
        >>> logq = ember.tensor([[0.5, 0.5]]).log()
        >>> m(logq, ember.tensor([[0.9, 0.1]]))
        tensor(0.3681)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss for targets ``y`` in ``{-1, 1}``: ``l_n = log(1 + exp(-y_n * x_n))``.

    Args:
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape, values -1 or 1.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.SoftMarginLoss(reduction="none")
        >>> m(ember.tensor([0.0, 2.0]), ember.tensor([1.0, -1.0]))
        tensor([0.6931, 2.1269])
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Negative log likelihood of a target drawn from a Poisson distribution with rate ``r``.

    With ``log_input=True`` the input is ``log(r)`` and ``l_n = exp(x_n) - y_n * x_n``; otherwise
    the input is ``r`` and ``l_n = x_n - y_n * log(x_n + eps)``. With ``full=True`` the Stirling
    term ``y * log(y) - y + 0.5 * log(2 * pi * y)`` is added where ``y > 1``.

    Args:
        log_input: the input is the log of the rate. Default: ``True``.
        full: add the Stirling approximation of ``log(y!)``. Default: ``False``.
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        eps: keeps the log finite when ``log_input=False``. Default: ``1e-8``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape, counts at least 0.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.PoissonNLLLoss(reduction="none")
        >>> m(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
        tensor([1.0000, 0.7183])
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Negative log likelihood of the target under a normal distribution whose mean is the input
    and whose variance is ``var``:
    ``l_n = 0.5 * (log(max(var_n, eps)) + (x_n - y_n)^2 / max(var_n, eps))``, plus
    ``0.5 * log(2 * pi)`` with ``full=True``.

    The clamp by ``eps`` affects the value only; the gradient still flows to ``var``.

    Args:
        full: add the constant term. Default: ``False``.
        eps: the smallest variance used. Default: ``1e-6``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(N, *)`` or ``(*)``, the predicted means.
        - Target: the input's shape, or one dimension fewer broadcastable to it.
        - Var: the input's shape, the input's shape with a last dimension of 1, or without the
          last dimension (one variance shared by the features); all positive.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.GaussianNLLLoss()
        >>> mean, target = ember.zeros(4, 2), ember.ones(4, 2)
        >>> m(mean, target, ember.ones(4, 1))
        tensor(0.5000)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """Ranking loss for pairs: ``l_n = max(0, -y_n * (x1_n - x2_n) + margin)``, where ``y = 1``
    means ``x1`` should rank above ``x2`` and ``y = -1`` the opposite.

    Args:
        margin: the gap required between the two. Default: ``0.0``.
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per pair.
            Default: ``None``.
        reduction: ``'none'`` (one loss per pair), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input1: ``(N,)`` or ``()``.
        - Input2: the shape of input1.
        - Target: the shape of input1, values -1 or 1.
        - Output: a scalar; with ``reduction='none'`` the shape of input1.

    Example:
        >>> m = nn.MarginRankingLoss(margin=0.5, reduction="none")
        >>> x1, x2 = ember.tensor([1.0, 1.0]), ember.tensor([0.0, 0.8])
        >>> m(x1, x2, ember.tensor([1.0, 1.0]))
        tensor([0.0000, 0.3000])
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """Hinge loss on distances with labels ``y`` in ``{-1, 1}``: ``l_n = x_n`` where ``y_n = 1`` and
    ``max(0, margin - x_n)`` where ``y_n = -1``; used for learning whether two inputs are alike
    from a distance ``x`` between them.

    Args:
        margin: the distance beyond which dissimilar pairs add nothing. Default: ``1.0``.
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per element.
            Default: ``None``.
        reduction: ``'none'`` (one loss per element), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Target: ``(*)``, the input's shape, values -1 or 1.
        - Output: a scalar; with ``reduction='none'`` the input's shape.

    Example:
        >>> m = nn.HingeEmbeddingLoss(reduction="none")
        >>> m(ember.tensor([0.3, 0.3]), ember.tensor([1.0, -1.0]))
        tensor([0.3000, 0.7000])
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-versus-all loss: for each sample, the mean over the ``C`` classes of the
    binary cross entropy between logits ``x`` and 0/1 targets ``y``:
    ``l_n = -(1 / C) * sum_c w_c * (y[n, c] * log(sigmoid(x[n, c]))
    + (1 - y[n, c]) * log(sigmoid(-x[n, c])))``.

    Args:
        weight: a rescaling weight for each class, of shape ``(C,)``. Default: ``None`` (all 1).
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per sample.
            Default: ``None``.
        reduction: ``'none'`` (one loss per sample), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(N, C)`` or ``(C,)``, logits.
        - Target: the input's shape, values 0 or 1.
        - Output: a scalar; with ``reduction='none'`` the shape ``(N,)``.

    Example:
        >>> m = nn.MultiLabelSoftMarginLoss(reduction="none")
        >>> m(ember.zeros(2, 3), ember.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
        tensor([0.6931, 0.6931])
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """Cosine embedding loss for pairs labelled ``y`` in ``{-1, 1}``: ``l_n = 1 - cos(x1_n, x2_n)``
    where ``y_n = 1`` and ``max(0, cos(x1_n, x2_n) - margin)`` where ``y_n = -1``.

    Args:
        margin: the cosine below which dissimilar pairs add nothing, in ``[-1, 1]`` (0 to 0.5 is
            a common choice). Default: ``0.0``.
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per pair.
            Default: ``None``.
        reduction: ``'none'`` (one loss per pair), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input1: ``(N, D)`` or ``(D,)``; ``D`` is the embedding size.
        - Input2: the shape of input1.
        - Target: ``(N,)`` or ``()``, values -1 or 1.
        - Output: a scalar; with ``reduction='none'`` the shape ``(N,)``.

    Example:
        >>> m = nn.CosineEmbeddingLoss(reduction="none")
        >>> x1 = ember.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> x2 = ember.tensor([[0.0, 1.0], [1.0, 1.0]])
        >>> m(x1, x2, ember.tensor([1.0, -1.0]))
        tensor([1.0000, 0.7071])
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """Triplet loss: an anchor should be nearer to a positive sample than to a negative one by
    ``margin``: ``l_n = max(d(a_n, p_n) - d(a_n, n_n) + margin, 0)`` with the distance
    ``d(x, y) = ||x - y + eps||_p``.

    Args:
        margin: the required gap, above 0. Default: ``1.0``.
        p: the degree of the norm in the distance. Default: ``2.0``.
        eps: added to the differences before the norm, for a finite gradient. Default: ``1e-6``.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance (the distance swap).
            Default: ``False``.
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per triplet.
            Default: ``None``.
        reduction: ``'none'`` (one loss per triplet), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Anchor, positive, negative: ``(N, D)`` or ``(D,)``; ``D`` is the embedding size.
        - Output: a scalar; with ``reduction='none'`` the shape ``(N,)``.

    Example:
        >>> m = nn.TripletMarginLoss(margin=1.0, eps=0.0)
        >>> anchor, positive = ember.tensor([[0.0, 0.0]]), ember.tensor([[0.0, 1.0]])
        >>> m(anchor, positive, ember.tensor([[1.5, 0.0]]))
        tensor(0.5000)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: for a sample ``x`` of ``C`` scores and target class ``y``,
    ``l = sum_{i != y} w[y] * max(0, margin - x[y] + x[i])^p / C``.

    Args:
        p: the power of each hinge term, 1 or 2. Default: ``1``.
        margin: the required gap between the target's score and the others. Default: ``1.0``.
        weight: a rescaling weight for each class, of shape ``(C,)``. Default: ``None`` (all 1).
        size_average: deprecated, use ``reduction``; ``False`` sums instead of averaging.
            Default: ``None``.
        reduce: deprecated, use ``reduction``; ``False`` returns one loss per sample.
            Default: ``None``.
        reduction: ``'none'`` (one loss per sample), ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input: ``(N, C)`` or ``(C,)``.
        - Target: ``(N,)`` or ``()``, class indices in ``[0, C)``.
        - Output: a scalar; with ``reduction='none'`` the target's shape.

    Example:
        >>> m = nn.MultiMarginLoss()
        >>> m(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)

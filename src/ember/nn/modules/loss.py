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
    """Cross entropy between logits and class indices or class probabilities.

    Args:
        weight: per-class weights ``(C,)``.
        size_average, reduce: deprecated; use ``reduction``.
        ignore_index: a class-index target that contributes nothing.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        label_smoothing: amount of the uniform distribution mixed into the targets.

    Shape:
        Input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target class indices ``(N,)``,
        ``()`` or ``(N, d1, ...)``, or probabilities of the input's shape; output a scalar, or
        the target's batch shape with ``reduction='none'``.

    Example:
        >>> loss = CrossEntropyLoss()
        >>> logits = ember.randn(3, 5, requires_grad=True)
        >>> loss(logits, ember.tensor([1, 0, 4])).backward()
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
    """Negative log likelihood of the target class, for log-probability inputs.

    Args:
        weight: per-class weights ``(C,)``.
        size_average, reduce: deprecated; use ``reduction``.
        ignore_index: a target value that contributes nothing.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target ``(N,)``, ``()`` or
        ``(N, d1, ...)``.

    Example:
        >>> logp = ember.randn(3, 5).log_softmax(1)
        >>> NLLLoss()(logp, ember.tensor([1, 0, 4]))
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error.

    Args:
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> MSELoss()(ember.zeros(3), ember.ones(3))
        tensor(1.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    Args:
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> L1Loss()(ember.zeros(3), ember.ones(3))
        tensor(1.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (``0.5 d^2 / beta`` or ``|d| - 0.5 beta``).

    Args:
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        beta: where the loss changes from quadratic to linear.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> y = SmoothL1Loss(beta=0.5)(ember.randn(3), ember.randn(3))
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 d^2`` below ``delta``, ``delta (|d| - 0.5 delta)`` above.

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        delta: where the loss changes from quadratic to linear.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> y = HuberLoss(delta=2.0)(ember.randn(3), ember.randn(3))
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities.

    Args:
        weight: rescaling weight, broadcastable to the input.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(*)`` in ``[0, 1]``, target the same shape.

    Example:
        >>> y = BCELoss()(ember.rand(3), ember.rand(3))
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross entropy in one stable step.

    Args:
        weight: rescaling weight, broadcastable to the input.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        pos_weight: weight of positive examples, broadcastable to the input.

    Shape:
        Input ``(*)`` logits, target the same shape.

    Example:
        >>> y = BCEWithLogitsLoss()(ember.randn(3), ember.rand(3))
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
    """Kullback-Leibler divergence of log-probability inputs from the target distribution.

    Args:
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'``, ``'sum'`` or ``'batchmean'``.
        log_target: the target holds log-probabilities.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> p = ember.randn(2, 3).log_softmax(1)
        >>> y = KLDivLoss(reduction="batchmean")(p, ember.rand(2, 3).softmax(1))
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class SoftMarginLoss(_Loss):
    """``log(1 + exp(-y x))`` for targets in {-1, 1}.

    Args:
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> y = SoftMarginLoss()(ember.randn(3), ember.tensor([1.0, -1.0, 1.0]))
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Negative log likelihood of Poisson-distributed targets.

    Args:
        log_input: the input is the log of the rate.
        full: add the Stirling approximation term.
        size_average, reduce: deprecated; use ``reduction``.
        eps: keeps ``log`` finite when ``log_input`` is False.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(*)``, target the same shape.

    Example:
        >>> y = PoissonNLLLoss()(ember.randn(3), ember.tensor([1.0, 0.0, 3.0]))
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
    """Negative log likelihood of the target under ``N(input, var)``.

    Args:
        full: add the constant ``0.5 log(2 pi)``.
        eps: lower bound of the variance (value only).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(N, *)``, target the same, var the same or without (or with 1 as) its last dim.

    Example:
        >>> y = GaussianNLLLoss()(ember.randn(4, 2), ember.randn(4, 2), ember.ones(4, 1))
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -y (x1 - x2) + margin)`` for targets ``y`` in {-1, 1}.

    Args:
        margin: the margin.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Inputs ``(N)`` or ``()``, target the same.

    Example:
        >>> y = MarginRankingLoss(0.5)(ember.randn(3), ember.randn(3), ember.tensor([1., -1, 1]))
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1.

    Args:
        margin: the margin.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(*)``, target the same.

    Example:
        >>> y = HingeEmbeddingLoss()(ember.rand(3), ember.tensor([1., -1, 1]))
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class binary cross entropy with logits, averaged over the classes.

    Args:
        weight: per-class weights ``(C,)``.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(N, C)``, target the same (0 or 1), output ``(N,)`` with ``'none'``.

    Example:
        >>> y = MultiLabelSoftMarginLoss()(ember.randn(2, 3), ember.tensor([[1., 0, 1], [0, 0, 1]]))
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for target -1.

    Args:
        margin: the margin, in [-1, 1].
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Inputs ``(N, D)`` or ``(D,)``, target ``(N,)`` or ``()``.

    Example:
        >>> y = CosineEmbeddingLoss()(ember.randn(2, 4), ember.randn(2, 4), ember.tensor([1., -1]))
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm distance ``d``.

    Args:
        margin: the margin.
        p: the norm degree of the distance.
        eps: added to the difference before the norm.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Inputs ``(N, D)`` or ``(D,)``, output ``(N,)`` with ``'none'``.

    Example:
        >>> a, p, n = ember.randn(3, 2, 4).unbind(0)
        >>> y = TripletMarginLoss()(a, p, n)
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
    """Multi-class hinge loss ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C``.

    Args:
        p: 1 or 2.
        margin: the margin.
        weight: per-class weights ``(C,)``.
        size_average, reduce: deprecated; use ``reduction``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape:
        Input ``(N, C)`` or ``(C,)``, target ``(N,)`` or ``()`` class indices.

    Example:
        >>> y = MultiMarginLoss()(ember.randn(2, 3), ember.tensor([0, 2]))
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

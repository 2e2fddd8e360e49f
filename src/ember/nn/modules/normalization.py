"""Normalization layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm."""

from __future__ import annotations

import numpy as np

from ember import ops
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "LayerNorm", "GroupNorm", "RMSNorm",
]


def _register_affine(module: Module, shape: tuple, affine: bool, bias: bool, dtype, device) -> None:
    """Registers ``weight`` and ``bias`` of ``shape`` (or None placeholders when not affine)."""
    weight = Parameter(ops.empty(*shape, dtype=dtype, device=device)) if affine else None
    module.register_parameter("weight", weight)
    with_bias = affine and bias
    module.register_parameter(
        "bias", Parameter(ops.empty(*shape, dtype=dtype, device=device)) if with_bias else None)


def _reset_affine(module: Module) -> None:
    """Weight 1, bias 0 (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d/3d, which differ only in the input dims they accept."""

    _expected_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None,
                 *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        kw = dict(dtype=dtype, device=device)
        _register_affine(self, (num_features,), affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean", ops.zeros(num_features, **kw))
            self.register_buffer("running_var", ops.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked", ops.tensor(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Resets the running statistics and sets weight to 1, bias to 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(f"expected {dims} input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch_stats = self.training or (self.running_mean is None and
                                            self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over ``(N, C)`` or ``(N, C, L)`` inputs, per channel.

    In training, normalises with the batch's mean and (biased) variance and updates
    ``running_mean`` / ``running_var`` (unbiased) with ``momentum``; in eval mode normalises
    with the running statistics.

    Args:
        num_features: ``C``.
        eps: added to the variance.
        momentum: weight of each batch in the running statistics; ``None`` for a cumulative
            average.
        affine: learn ``weight`` and ``bias``.
        track_running_stats: keep running statistics (else batch statistics are always used).
        bias: learn ``bias`` (keyword only).

    Shape:
        Input ``(N, C)`` or ``(N, C, L)``, output the same shape.

    Example:
        >>> m = BatchNorm1d(4)
        >>> m(ember.randn(8, 4)).shape
        ember.Size([8, 4])
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over ``(N, C, H, W)`` inputs, per channel.

    Args:
        num_features: ``C``.
        eps: added to the variance.
        momentum: weight of each batch in the running statistics; ``None`` for a cumulative
            average.
        affine: learn ``weight`` and ``bias``.
        track_running_stats: keep running statistics.
        bias: learn ``bias`` (keyword only).

    Shape:
        Input ``(N, C, H, W)``, output the same shape.

    Example:
        >>> m = BatchNorm2d(3)
        >>> m(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over ``(N, C, D, H, W)`` inputs, per channel.

    Args:
        num_features: ``C``.
        eps: added to the variance.
        momentum: weight of each batch in the running statistics; ``None`` for a cumulative
            average.
        affine: learn ``weight`` and ``bias``.
        track_running_stats: keep running statistics.
        bias: learn ``bias`` (keyword only).

    Shape:
        Input ``(N, C, D, H, W)``, output the same shape.

    Example:
        >>> m = BatchNorm3d(3)
        >>> m(ember.randn(2, 3, 2, 2, 2)).shape
        ember.Size([2, 3, 2, 2, 2])
    """

    _expected_dims = (5,)


class _InstanceNorm(_BatchNorm):
    """Shared by InstanceNorm1d/2d/3d; accepts batched or unbatched (no N dim) input."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        batched = self._expected_dims[-1]
        if input.ndim not in self._expected_dims:
            raise ValueError(f"expected {batched - 1}D or {batched}D input "
                             f"(got {input.ndim}D input)")
        if input.ndim == batched - 1:
            return self.forward(input.unsqueeze(0)).squeeze(0)
        use_input_stats = self.training or not self.track_running_stats
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, use_input_stats,
                               0.1 if self.momentum is None else self.momentum, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Normalises each channel of each sample over its length.

    Args:
        num_features: ``C``.
        eps: added to the variance.
        momentum: weight of each batch in the running statistics.
        affine: learn per-channel ``weight`` and ``bias`` (off by default).
        track_running_stats: keep running statistics and use them in eval mode.

    Shape:
        Input ``(N, C, L)`` or ``(C, L)``, output the same shape.

    Example:
        >>> InstanceNorm1d(3)(ember.randn(2, 3, 5)).shape
        ember.Size([2, 3, 5])
    """

    _expected_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Normalises each channel of each sample over its height and width.

    Args:
        num_features: ``C``.
        eps: added to the variance.
        momentum: weight of each batch in the running statistics.
        affine: learn per-channel ``weight`` and ``bias`` (off by default).
        track_running_stats: keep running statistics and use them in eval mode.

    Shape:
        Input ``(N, C, H, W)`` or ``(C, H, W)``, output the same shape.

    Example:
        >>> InstanceNorm2d(3)(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """

    _expected_dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Normalises each channel of each sample over its three spatial dims.

    Args:
        num_features: ``C``.
        eps: added to the variance.
        momentum: weight of each batch in the running statistics.
        affine: learn per-channel ``weight`` and ``bias`` (off by default).
        track_running_stats: keep running statistics and use them in eval mode.

    Shape:
        Input ``(N, C, D, H, W)`` or ``(C, D, H, W)``, output the same shape.

    Example:
        >>> InstanceNorm3d(3)(ember.randn(2, 3, 2, 2, 2)).shape
        ember.Size([2, 3, 2, 2, 2])
    """

    _expected_dims = (4, 5)


def _shape_tuple(normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


class LayerNorm(Module):
    """Normalises each sample over its trailing ``normalized_shape`` dims.

    Args:
        normalized_shape: the trailing shape (an int for the last dim).
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of that shape.
        bias: learn ``bias`` as well.

    Shape:
        Input ``(*, *normalized_shape)``, output the same shape.

    Example:
        >>> m = LayerNorm(10)
        >>> m(ember.randn(4, 10)).shape
        ember.Size([4, 10])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalises groups of channels of each sample (with all spatial positions).

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: ``C``.
        eps: added to the variance.
        affine: learn a per-channel ``weight`` (ones) and ``bias`` (zeros).
        bias: learn ``bias`` (keyword only).

    Shape:
        Input ``(N, C, *)``, output the same shape.

    Example:
        >>> m = GroupNorm(2, 4)
        >>> m(ember.randn(3, 4, 5)).shape
        ember.Size([3, 4, 5])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, (num_channels,), affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape``.

    Args:
        normalized_shape: the trailing shape (an int for the last dim).
        eps: added to the mean square; ``None`` for the dtype's machine epsilon.
        elementwise_affine: learn ``weight`` (ones).

    Shape:
        Input ``(*, *normalized_shape)``, output the same shape.

    Example:
        >>> m = RMSNorm(8)
        >>> m(ember.randn(2, 8)).shape
        ember.Size([2, 8])
    """

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ops.empty(*self.normalized_shape, dtype=dtype,
                                              device=device))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight 1."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")

"""Normalization layers over features: LayerNorm, GroupNorm, RMSNorm.

Batch and instance normalization live in ``batchnorm.py`` and ``instancenorm.py``, as in
torch.
"""

from __future__ import annotations

from ember import ops
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["GroupNorm", "LayerNorm", "RMSNorm"]


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


def _shape_tuple(normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


class LayerNorm(Module):
    """Layer normalization: each sample is normalised over its trailing ``normalized_shape``
    dimensions with its own mean and (biased) variance, then scaled and shifted elementwise:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    The statistics are per sample, so training and eval modes compute the same thing.

    Args:
        normalized_shape: the trailing shape to normalise over; an int means the last
            dimension, of that size.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        elementwise_affine: learn a scale ``weight`` and a shift ``bias`` of shape
            ``normalized_shape``. Default: ``True``.
        bias: with ``elementwise_affine``, learn the shift too. Default: ``True``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): the scale ``gamma`` of shape ``normalized_shape``, initialised to ones;
            ``None`` without ``elementwise_affine``.
        bias (Tensor): the shift ``beta`` of shape ``normalized_shape``, initialised to zeros;
            ``None`` without ``elementwise_affine`` or ``bias``.

    Shape:
        - Input: ``(*, *normalized_shape)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.LayerNorm(2)
        >>> m(ember.tensor([[1.0, 3.0], [-5.0, 5.0]])).detach()
        tensor([[-1.0000,  1.0000],
                [-1.0000,  1.0000]])
        >>> nn.LayerNorm([10, 10])(ember.randn(20, 5, 10, 10)).shape
        ember.Size([20, 5, 10, 10])
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
    """Group normalization: the channels of each sample are split into ``num_groups`` groups, and
    each group is normalised with the mean and (biased) variance of all its channels and
    positions, then scaled and shifted per channel:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    One group is like :class:`LayerNorm` over ``(C, *)``; as many groups as channels is like
    instance normalization. The statistics are per sample, so training and eval modes compute
    the same thing.

    Args:
        num_groups: the number of groups; must divide ``num_channels``.
        num_channels: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``True``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine``.
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.

    Shape:
        - Input: ``(N, C, *)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.GroupNorm(2, 4)
        >>> x = ember.tensor([[1.0, 3.0, 0.0, 10.0]]).reshape(1, 4, 1)
        >>> m(x).detach().flatten()
        tensor([-1.0000,  1.0000, -1.0000,  1.0000])
        >>> nn.GroupNorm(3, 6)(ember.randn(20, 6, 10, 10)).shape
        ember.Size([20, 6, 10, 10])
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
    """Root-mean-square normalization: each sample is divided by the root mean square of its
    trailing ``normalized_shape`` dimensions, then scaled elementwise:
    ``y = x / sqrt(mean(x^2) + eps) * gamma``. Unlike :class:`LayerNorm`, the mean is not
    subtracted and there is no shift.

    Args:
        normalized_shape: the trailing shape to normalise over; an int means the last
            dimension, of that size.
        eps: added to the mean square. Default: ``None`` (the machine epsilon of the input's
            dtype).
        elementwise_affine: learn a scale ``weight`` of shape ``normalized_shape``.
            Default: ``True``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): the scale ``gamma`` of shape ``normalized_shape``, initialised to ones;
            ``None`` without ``elementwise_affine``.

    Shape:
        - Input: ``(*, *normalized_shape)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.RMSNorm(2)
        >>> m(ember.tensor([[3.0, 4.0]])).detach()
        tensor([[0.8485, 1.1314]])
        >>> nn.RMSNorm([5, 10])(ember.randn(2, 5, 10)).shape
        ember.Size([2, 5, 10])
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

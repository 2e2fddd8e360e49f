"""Batch normalization: ``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d`` and their bases."""

from __future__ import annotations

import numpy as np

from ember import ops
from ember.nn import functional as F
from ember.nn.modules.module import Module
from ember.nn.modules.normalization import _register_affine, _reset_affine
from ember.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _NormBase(Module):
    """State shared by batch and instance normalization: affine parameters and running stats.

    ``_expected_dims`` lists the input ranks a subclass accepts.
    """

    _version = 2
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

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        # Checkpoints without version metadata (or older than version 2) may predate
        # num_batches_tracked: it then counts from the module's current value, as in torch.
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked
                                   if self.num_batches_tracked is not None
                                   else ops.tensor(0, dtype=np.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    """Shared by BatchNorm1d/2d/3d, which differ only in the input dims they accept."""

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


class BatchNorm1d(_BatchNorm):
    """Batch normalization: each channel is normalised with the mean and variance taken
    over the batch (and the length ``L``), then scaled and shifted:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    In training mode the batch statistics are used (the biased variance) and, with
    ``track_running_stats``, folded into ``running_mean`` and ``running_var`` (the unbiased
    variance) as ``running = (1 - momentum) * running + momentum * batch``. In eval mode the
    running statistics normalise instead.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        momentum: the weight of each new batch in the running statistics; ``None`` gives their
            cumulative average over all batches seen. Default: ``0.1``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``True``.
        track_running_stats: keep running estimates of the mean and variance; without
            them, eval mode uses batch statistics too. Default: ``True``.
        device: the device of the parameters and buffers (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters and buffers. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift ``bias`` too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine``.
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.
        running_mean (Tensor): buffer of shape ``(C,)``, starts at zeros; ``None`` without
            ``track_running_stats``.
        running_var (Tensor): buffer of shape ``(C,)``, starts at ones; ``None`` without
            ``track_running_stats``.
        num_batches_tracked (Tensor): buffer counting the training batches seen (int64).

    Shape:
        - Input: ``(N, C)`` or ``(N, C, L)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.BatchNorm1d(2)
        >>> y = m(ember.tensor([[1.0, 10.0], [3.0, 30.0]]))
        >>> m.running_mean, m.running_var
        (tensor([0.2000, 2.0000]), tensor([ 1.1000, 20.9000]))
        >>> m.eval()(ember.randn(5, 2, 7)).shape
        ember.Size([5, 2, 7])
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization: each channel is normalised with the mean and variance taken
    over the batch and the height and width, then scaled and shifted:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    In training mode the batch statistics are used (the biased variance) and, with
    ``track_running_stats``, folded into ``running_mean`` and ``running_var`` (the unbiased
    variance) as ``running = (1 - momentum) * running + momentum * batch``. In eval mode the
    running statistics normalise instead.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        momentum: the weight of each new batch in the running statistics; ``None`` gives their
            cumulative average over all batches seen. Default: ``0.1``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``True``.
        track_running_stats: keep running estimates of the mean and variance; without
            them, eval mode uses batch statistics too. Default: ``True``.
        device: the device of the parameters and buffers (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters and buffers. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift ``bias`` too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine``.
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.
        running_mean (Tensor): buffer of shape ``(C,)``, starts at zeros; ``None`` without
            ``track_running_stats``.
        running_var (Tensor): buffer of shape ``(C,)``, starts at ones; ``None`` without
            ``track_running_stats``.
        num_batches_tracked (Tensor): buffer counting the training batches seen (int64).

    Shape:
        - Input: ``(N, C, H, W)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.BatchNorm2d(3)
        >>> x = 5 + 2 * ember.randn(16, 3, 8, 8)
        >>> y = m(x)
        >>> y.shape
        ember.Size([16, 3, 8, 8])
        >>> bool(y.mean().abs() < 1e-5), bool((y.std() - 1).abs() < 1e-3)
        (True, True)
    """

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization: each channel is normalised with the mean and variance taken
    over the batch and the three spatial dimensions, then scaled and shifted:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    In training mode the batch statistics are used (the biased variance) and, with
    ``track_running_stats``, folded into ``running_mean`` and ``running_var`` (the unbiased
    variance) as ``running = (1 - momentum) * running + momentum * batch``. In eval mode the
    running statistics normalise instead.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        momentum: the weight of each new batch in the running statistics; ``None`` gives their
            cumulative average over all batches seen. Default: ``0.1``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``True``.
        track_running_stats: keep running estimates of the mean and variance; without
            them, eval mode uses batch statistics too. Default: ``True``.
        device: the device of the parameters and buffers (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters and buffers. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift ``bias`` too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine``.
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.
        running_mean (Tensor): buffer of shape ``(C,)``, starts at zeros; ``None`` without
            ``track_running_stats``.
        running_var (Tensor): buffer of shape ``(C,)``, starts at ones; ``None`` without
            ``track_running_stats``.
        num_batches_tracked (Tensor): buffer counting the training batches seen (int64).

    Shape:
        - Input: ``(N, C, D, H, W)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.BatchNorm3d(3, affine=False)
        >>> m(ember.randn(2, 3, 2, 4, 4)).shape
        ember.Size([2, 3, 2, 4, 4])
        >>> m.weight is None
        True
    """

    _expected_dims = (5,)

"""Instance normalization: ``InstanceNorm1d``, ``InstanceNorm2d``, ``InstanceNorm3d``."""

from __future__ import annotations

from ember.nn import functional as F
from ember.nn.modules.batchnorm import _NormBase
from ember.tensor import Tensor

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
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

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        # Checkpoints without version metadata may hold running stats that a module with
        # track_running_stats=False does not have: torch reports them as an error.
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + name for name in ("running_mean", "running_var")
                    if prefix + name in state_dict]
            if keys:
                klass = type(self).__name__
                names = " and ".join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} "
                    f"for {klass} with track_running_stats=False. If state_dict is a checkpoint "
                    f"saved before 0.4.0, this may be expected because {klass} does not track "
                    "running stats by default since 0.4.0. Please remove these keys from "
                    "state_dict. If the running stats are actually needed, instead set "
                    f"track_running_stats=True in {klass} to enable them. See the documentation "
                    f"of {klass} for details.")
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization: each channel of each sample is normalised with its own mean
    and variance taken over its length, then optionally scaled and shifted:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    Unlike :class:`BatchNorm1d`, it has no learned parameters and no running statistics by
    default, and it normalises with the sample's own statistics in eval mode too unless
    ``track_running_stats`` is set.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        momentum: the weight of each new batch in the running statistics; ``None`` gives their
            cumulative average over all batches seen. Default: ``0.1``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``False``.
        track_running_stats: keep running estimates of the mean and variance and use
            them in eval mode. Default: ``False``.
        device: the device of the parameters and buffers (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters and buffers. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift ``bias`` too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine`` (the default).
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.
        running_mean (Tensor): buffer of shape ``(C,)``, starts at zeros; ``None`` without
            ``track_running_stats``.
        running_var (Tensor): buffer of shape ``(C,)``, starts at ones; ``None`` without
            ``track_running_stats``.
        num_batches_tracked (Tensor): buffer counting the training batches seen (int64).

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.InstanceNorm1d(2)
        >>> m(ember.tensor([[[1.0, 3.0], [0.0, 10.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [-1.0000,  1.0000]]])
    """

    _expected_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization: each channel of each sample is normalised with its own mean
    and variance taken over its height and width, then optionally scaled and shifted:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    Unlike :class:`BatchNorm2d`, it has no learned parameters and no running statistics by
    default, and it normalises with the sample's own statistics in eval mode too unless
    ``track_running_stats`` is set.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        momentum: the weight of each new batch in the running statistics; ``None`` gives their
            cumulative average over all batches seen. Default: ``0.1``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``False``.
        track_running_stats: keep running estimates of the mean and variance and use
            them in eval mode. Default: ``False``.
        device: the device of the parameters and buffers (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters and buffers. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift ``bias`` too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine`` (the default).
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.
        running_mean (Tensor): buffer of shape ``(C,)``, starts at zeros; ``None`` without
            ``track_running_stats``.
        running_var (Tensor): buffer of shape ``(C,)``, starts at ones; ``None`` without
            ``track_running_stats``.
        num_batches_tracked (Tensor): buffer counting the training batches seen (int64).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.InstanceNorm2d(3, affine=True)
        >>> m(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
        >>> m.weight.shape
        ember.Size([3])
    """

    _expected_dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization: each channel of each sample is normalised with its own mean
    and variance taken over its three spatial dimensions, then optionally scaled and shifted:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    Unlike :class:`BatchNorm3d`, it has no learned parameters and no running statistics by
    default, and it normalises with the sample's own statistics in eval mode too unless
    ``track_running_stats`` is set.

    Args:
        num_features: the number of channels ``C``.
        eps: added to the variance before its square root, for stability. Default: ``1e-5``.
        momentum: the weight of each new batch in the running statistics; ``None`` gives their
            cumulative average over all batches seen. Default: ``0.1``.
        affine: learn a per-channel scale ``weight`` and shift ``bias``. Default: ``False``.
        track_running_stats: keep running estimates of the mean and variance and use
            them in eval mode. Default: ``False``.
        device: the device of the parameters and buffers (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters and buffers. Default: ``None`` (the default dtype).
        bias: with ``affine``, learn the shift ``bias`` too (keyword only). Default: ``True``.

    Attributes:
        weight (Tensor): the per-channel scale ``gamma``, shape ``(C,)``, initialised to ones;
            ``None`` without ``affine`` (the default).
        bias (Tensor): the per-channel shift ``beta``, shape ``(C,)``, initialised to zeros;
            ``None`` without ``affine`` or ``bias``.
        running_mean (Tensor): buffer of shape ``(C,)``, starts at zeros; ``None`` without
            ``track_running_stats``.
        running_var (Tensor): buffer of shape ``(C,)``, starts at ones; ``None`` without
            ``track_running_stats``.
        num_batches_tracked (Tensor): buffer counting the training batches seen (int64).

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.InstanceNorm3d(3)
        >>> m(ember.randn(3, 2, 4, 4)).shape
        ember.Size([3, 2, 4, 4])
    """

    _expected_dims = (4, 5)

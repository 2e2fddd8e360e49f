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

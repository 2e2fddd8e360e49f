"""Linear layers: Linear and Identity."""

from __future__ import annotations

import math

from ember import ops
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["Bilinear", "Identity", "Linear"]


def _weight_and_bias(module: Module, weight_shape: tuple, out_features: int, bias: bool, dtype,
                     device) -> None:
    """Registers ``weight`` of ``weight_shape`` and ``bias`` of ``(out_features,)`` (``None``
    without ``bias``), both uninitialised: the layer's ``reset_parameters`` fills them."""
    module.weight = Parameter(ops.empty(*weight_shape, dtype=dtype, device=device))
    module.register_parameter(
        "bias", Parameter(ops.empty(out_features, dtype=dtype, device=device)) if bias else None)


class Identity(Module):
    """Returns its input unchanged; a placeholder where a layer is optional (for example to remove
    a model's head while keeping its structure).

    Accepts any constructor arguments and ignores them, as PyTorch's does.

    Shape:
        - Input: ``(*)``, any shape.
        - Output: ``(*)``, the input itself.

    Example:
        >>> m = nn.Identity(54, unused_argument=0.1)
        >>> x = ember.randn(128, 20)
        >>> m(x) is x
        True
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Affine map of the last dimension: ``y = x A^T + b``, with ``A`` the ``weight`` and ``b`` the
    ``bias``.

    Args:
        in_features: the size of each input sample (the last dimension).
        out_features: the size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): shape ``(out_features, in_features)``, drawn from ``U(-k, k)`` with
            ``k = 1 / sqrt(in_features)`` (Kaiming-uniform with ``a = sqrt(5)``, as PyTorch).
        bias (Tensor): shape ``(out_features,)``, drawn from ``U(-k, k)``; ``None`` without
            ``bias``.

    Shape:
        - Input: ``(*, in_features)``, any number of leading dimensions.
        - Output: ``(*, out_features)``.

    Example:
        >>> m = nn.Linear(20, 30)
        >>> m(ember.randn(128, 20)).shape
        ember.Size([128, 30])
        >>> with ember.no_grad():
        ...     _ = m.weight.fill_(1.0), m.bias.fill_(0.5)
        >>> m(ember.ones(1, 20))[0, :3].detach()
        tensor([20.5000, 20.5000, 20.5000])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws the weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        params = self._parameters  # registered ones read directly: Module.__getattr__ is slow
        if "weight" in params and "bias" in params:
            return F.linear(input, params["weight"], params["bias"])
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (same layer)."""


class Bilinear(Module):
    """Bilinear map of two inputs: ``y = x1^T A x2 + b``, that is
    ``y[..., k] = sum_ij x1[..., i] * A[k, i, j] * x2[..., j] + b[k]``
    (see :func:`ember.nn.functional.bilinear`).

    Args:
        in1_features: the size of each sample of the first input.
        in2_features: the size of each sample of the second input.
        out_features: the size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device: accepted for PyTorch compatibility (Ember computes on the ``'cpu'``).
            Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): shape ``(out_features, in1_features, in2_features)``, drawn from
            ``U(-k, k)`` with ``k = 1 / sqrt(in1_features)``.
        bias (Tensor): shape ``(out_features,)``, drawn from ``U(-k, k)``; ``None`` without
            ``bias``.

    Shape:
        - Input1: ``(*, in1_features)``.
        - Input2: ``(*, in2_features)``, the same leading dimensions as input1.
        - Output: ``(*, out_features)``.

    Example:
        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(ember.randn(128, 20), ember.randn(128, 30)).shape
        ember.Size([128, 40])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias,
                         dtype, None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias uniformly on ``[-1/sqrt(in1), 1/sqrt(in1)]``."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")

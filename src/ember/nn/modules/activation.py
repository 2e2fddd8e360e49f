"""Activation layers: each is a docstring and one call into ``ember.nn.functional``.

``MultiheadAttention`` lives here too, where torch keeps it.
"""

from __future__ import annotations

from ember import ops
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.linear import NonDynamicallyQuantizableLinear
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "SELU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "MultiheadAttention",
    "PReLU",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmax2d",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
]


def _inplace_repr(inplace: bool, head: str = "") -> str:
    """``head`` followed by ``inplace=True`` when ``inplace``, as torch's reprs read."""
    if not inplace:
        return head
    return f"{head}, inplace=True" if head else "inplace=True"


class ReLU(Module):
    """Rectified linear unit, elementwise: ``ReLU(x) = max(0, x)``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.ReLU()
        >>> m(ember.tensor([-1.0, 0.5, 2.0]))
        tensor([0.0000, 0.5000, 2.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """Leaky rectified linear unit, elementwise:
    ``LeakyReLU(x) = max(0, x) + negative_slope * min(0, x)``.

    Args:
        negative_slope: the slope for negative inputs. Default: ``1e-2``.
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.LeakyReLU(0.1)
        >>> m(ember.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class ELU(Module):
    """Exponential linear unit, elementwise: ``ELU(x) = x`` for ``x > 0``, else
    ``alpha * (exp(x) - 1)``; negative inputs saturate at ``-alpha``.

    Args:
        alpha: the scale of the negative part. Default: ``1.0``.
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.ELU()
        >>> m(ember.tensor([-20.0, 0.0, 1.5]))
        tensor([-1.0000,  0.0000,  1.5000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class CELU(Module):
    """Continuously differentiable ELU, elementwise:
    ``CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        alpha: the scale of the negative part (saturation at ``-alpha``). Default: ``1.0``.
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.CELU(2.0)
        >>> m(ember.tensor([-40.0, 3.0]))
        tensor([-2.,  3.])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class SELU(Module):
    """Scaled ELU with the self-normalising constants, elementwise:
    ``SELU(x) = scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))`` with
    ``alpha = 1.6732632423543772848170429916717`` and
    ``scale = 1.0507009873554804934193349852946``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.SELU()
        >>> m(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 1.0507])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class GELU(Module):
    """Gaussian error linear unit, elementwise: ``GELU(x) = x * Phi(x)``, where ``Phi`` is the
    cumulative distribution function of the standard normal distribution.

    With ``approximate='tanh'`` it computes
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`` instead.

    Args:
        approximate: ``'none'`` for the exact form (with ``erf``) or ``'tanh'`` for the
            approximation. Default: ``'none'``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.GELU()
        >>> m(ember.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """Sigmoid linear unit (swish), elementwise: ``SiLU(x) = x * sigmoid(x)``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.SiLU()
        >>> m(ember.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.2689,  0.0000,  0.7311])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(Module):
    """Mish, elementwise: ``Mish(x) = x * tanh(softplus(x))``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Mish()
        >>> m(ember.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.3034,  0.0000,  0.8651])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardswish(Module):
    """Hard swish, elementwise: ``0`` for ``x <= -3``, ``x`` for ``x >= 3``, else
    ``x * (x + 3) / 6``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Hardswish()
        >>> m(ember.tensor([-4.0, 0.0, 1.0, 4.0]))
        tensor([-0.0000,  0.0000,  0.6667,  4.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class Hardsigmoid(Module):
    """Hard sigmoid, elementwise: ``0`` for ``x <= -3``, ``1`` for ``x >= 3``, else
    ``x / 6 + 1 / 2``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Hardsigmoid()
        >>> m(ember.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Sigmoid(Module):
    """Logistic sigmoid, elementwise: ``Sigmoid(x) = 1 / (1 + exp(-x))``.

    Takes no arguments (any given are ignored, as in PyTorch).

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input, with values in ``(0, 1)``.

    Example:
        >>> m = nn.Sigmoid()
        >>> m(ember.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """

    def forward(self, input: Tensor) -> Tensor:
        return ops.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent, elementwise: ``Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))``.

    Takes no arguments (any given are ignored, as in PyTorch).

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input, with values in ``(-1, 1)``.

    Example:
        >>> m = nn.Tanh()
        >>> m(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """

    def forward(self, input: Tensor) -> Tensor:
        return ops.tanh(input)


class LogSigmoid(Module):
    """Logarithm of the sigmoid, elementwise: ``LogSigmoid(x) = log(1 / (1 + exp(-x)))``,
    computed without overflow for large negative ``x``.

    Takes no arguments (any given are ignored, as in PyTorch).

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.LogSigmoid()
        >>> m(ember.tensor([-200.0, 0.0]))
        tensor([-200.0000,   -0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softsign(Module):
    """Softsign, elementwise: ``Softsign(x) = x / (1 + |x|)``.

    Takes no arguments (any given are ignored, as in PyTorch).

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Softsign()
        >>> m(ember.tensor([-3.0, 1.0]))
        tensor([-0.7500,  0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """Tanh shrink, elementwise: ``Tanhshrink(x) = x - tanh(x)``.

    Takes no arguments (any given are ignored, as in PyTorch).

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Tanhshrink()
        >>> m(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.2384])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softplus(Module):
    """Softplus, elementwise: ``Softplus(x) = log(1 + exp(beta * x)) / beta``, a smooth ReLU.

    Where ``beta * x > threshold`` the output is ``x`` itself, which avoids overflow.

    Args:
        beta: the sharpness of the bend. Default: ``1.0``.
        threshold: the value of ``beta * x`` above which the layer is the identity.
            Default: ``20.0``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Softplus(beta=2.0)
        >>> m(ember.tensor([0.0, 30.0]))
        tensor([ 0.3466, 30.0000])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """Hard tanh, elementwise: clamps the input to ``[min_val, max_val]``.

    Args:
        min_val: the lower bound. Default: ``-1.0``.
        max_val: the upper bound (must be above ``min_val``). Default: ``1.0``.
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Hardtanh()
        >>> m(ember.tensor([-3.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """ReLU capped at 6, elementwise: ``ReLU6(x) = min(max(0, x), 6)``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.ReLU6()
        >>> m(ember.tensor([-1.0, 3.0, 7.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Threshold(Module):
    """Thresholds each element: ``y = x`` where ``x > threshold``, else ``y = value``.

    Args:
        threshold: the value to exceed.
        value: what replaces the elements at or below ``threshold``.
        inplace: write the result into the input instead of a new tensor. Default: ``False``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Threshold(0.1, 20.0)
        >>> m(ember.tensor([0.0, 0.5]))
        tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"threshold={self.threshold}, value={self.value}")


class Softshrink(Module):
    """Soft shrinkage, elementwise: ``x - lambd`` for ``x > lambd``, ``x + lambd`` for
    ``x < -lambd``, else ``0``.

    Args:
        lambd: the amount of shrinkage (at least 0). Default: ``0.5``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Softshrink(0.5)
        >>> m(ember.tensor([-2.0, 0.3, 1.0]))
        tensor([-1.5000,  0.0000,  0.5000])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """Hard shrinkage, elementwise: ``x`` where ``|x| > lambd``, else ``0``.

    Args:
        lambd: the half-width of the band set to zero. Default: ``0.5``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Hardshrink(0.5)
        >>> m(ember.tensor([-2.0, 0.3, 1.0]))
        tensor([-2.,  0.,  1.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class Softmax(Module):
    """Softmax along ``dim``: ``Softmax(x)_i = exp(x_i) / sum_j exp(x_j)``, so that every slice
    along ``dim`` lies in ``[0, 1]`` and sums to 1.

    Args:
        dim: the dimension to normalise. ``None`` picks one by PyTorch's deprecated rule (0 for
            0-, 1- and 3-D inputs, else 1) and warns. Default: ``None``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Softmax(dim=1)
        >>> m(ember.tensor([[0.0, 0.0], [0.0, 1.0]]))
        tensor([[0.5000, 0.5000],
                [0.2689, 0.7311]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Softmax):
    """Softmin along ``dim``: ``Softmin(x)_i = exp(-x_i) / sum_j exp(-x_j)``, the softmax of
    ``-x``; the smallest entry gets the largest weight.

    Args:
        dim: the dimension to normalise. ``None`` picks one by PyTorch's deprecated rule (0 for
            0-, 1- and 3-D inputs, else 1) and warns. Default: ``None``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.Softmin(dim=1)
        >>> m(ember.tensor([[0.0, 1.0]]))
        tensor([[0.7311, 0.2689]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)


class LogSoftmax(Softmax):
    """Logarithm of the softmax along ``dim``: ``LogSoftmax(x)_i = x_i - log(sum_j exp(x_j))``,
    computed without overflow (pair it with :class:`NLLLoss` for classification).

    Args:
        dim: the dimension to normalise. ``None`` picks one by PyTorch's deprecated rule (0 for
            0-, 1- and 3-D inputs, else 1) and warns. Default: ``None``.

    Shape:
        - Input: ``(*)``, any number of dimensions.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.LogSoftmax(dim=1)
        >>> m(ember.tensor([[0.0, 0.0]]))
        tensor([[-0.6931, -0.6931]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax over the channels at every spatial position: for an input ``(N, C, H, W)`` each
    vector ``x[n, :, h, w]`` becomes its softmax.

    Takes no arguments (any given are ignored, as in PyTorch).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``.
        - Output: the shape of the input.

    Example:
        >>> m = nn.Softmax2d()
        >>> y = m(ember.randn(2, 3, 4, 4))
        >>> y.shape
        ember.Size([2, 3, 4, 4])
        >>> ember.allclose(y.sum(dim=1), ember.ones(2, 4, 4))
        True
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             "instead")
        return F.softmax(input, -3, _stacklevel=5)


class GLU(Module):
    """Gated linear unit: splits the input in two halves ``a`` and ``b`` along ``dim`` and
    returns ``a * sigmoid(b)``.

    Args:
        dim: the dimension to split (its size must be even). Default: ``-1``.

    Shape:
        - Input: ``(*_1, 2N, *_2)``, where ``2N`` is the size of ``dim``.
        - Output: ``(*_1, N, *_2)``.

    Example:
        >>> m = nn.GLU()
        >>> m(ember.tensor([[1.0, 0.0], [2.0, 100.0]]))
        tensor([[0.5000],
                [2.0000]])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """Parametric ReLU, elementwise: ``PReLU(x) = max(0, x) + a * min(0, x)`` with a learned slope
    ``a``, either one shared by all channels or one per channel (dimension 1 of the input).

    Weight decay on ``a`` pulls the layer toward a plain ReLU; leave it out of decayed
    parameter groups for good results.

    Args:
        num_parameters: how many slopes to learn: 1, or the number of input channels.
            Default: ``1``.
        init: the initial value of every slope. Default: ``0.25``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): the slopes, of shape ``(num_parameters,)``, filled with ``init``.

    Shape:
        - Input: ``(*)``, any number of dimensions; channels at dimension 1 when
          ``num_parameters > 1``.
        - Output: ``(*)``, the shape of the input.

    Example:
        >>> m = nn.PReLU(3)
        >>> m(ember.tensor([[-4.0, -8.0, 1.0]])).tolist()
        [[-1.0, -2.0, 1.0]]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(ops.empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fills the slopes with ``init``."""
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class MultiheadAttention(Module):
    """Multi-head attention, as in "Attention Is All You Need":
    ``MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O`` with
    ``head_i = Attention(Q W_Q_i, K W_K_i, V W_V_i)`` and
    ``Attention(q, k, v) = softmax(q k^T / sqrt(head_dim)) v``.

    Parameters, initialisation and state-dict keys are PyTorch's, so a state dict saved there
    loads here.

    Args:
        embed_dim: the model dimension ``E``, split evenly over the heads.
        num_heads: the number of heads ``h``; must divide ``embed_dim``.
        dropout: the dropout probability on the attention weights (in training only).
            Default: ``0.0``.
        bias: add biases to the input and output projections. Default: ``True``.
        add_bias_kv: learn a key bias and a value bias appended as one more source position.
            Default: ``False``.
        add_zero_attn: append a source position whose key and value are zeros.
            Default: ``False``.
        kdim: the feature size of the keys. Default: ``None`` (``embed_dim``).
        vdim: the feature size of the values. Default: ``None`` (``embed_dim``).
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.
            Default: ``False``.
        device: the device of the parameters (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the parameters. Default: ``None`` (the default dtype).

    Attributes:
        in_proj_weight (Tensor): the packed query, key and value projections, ``(3E, E)``,
            Xavier-uniform; ``None`` when ``kdim`` or ``vdim`` differs from ``embed_dim``.
        q_proj_weight (Tensor): the query projection ``(E, E)`` used instead, Xavier-uniform.
        k_proj_weight (Tensor): the key projection ``(E, kdim)`` used instead, Xavier-uniform.
        v_proj_weight (Tensor): the value projection ``(E, vdim)`` used instead, Xavier-uniform.
        in_proj_bias (Tensor): the projection biases ``(3E,)``, zeros (``None`` without bias).
        out_proj (Linear): the output projection ``E -> E``, its bias zeros.
        bias_k (Tensor): the key bias ``(1, 1, E)`` with ``add_bias_kv``, Xavier-normal.
        bias_v (Tensor): the value bias ``(1, 1, E)`` with ``add_bias_kv``, Xavier-normal.

    Shape:
        - query: ``(L, N, E)``, ``(N, L, E)`` with ``batch_first``, or ``(L, E)`` unbatched;
          ``L`` is the target length.
        - key: ``(S, N, kdim)``, ``(N, S, kdim)`` with ``batch_first``, or ``(S, kdim)``;
          ``S`` is the source length.
        - value: ``(S, N, vdim)``, ``(N, S, vdim)`` with ``batch_first``, or ``(S, vdim)``.
        - Output: ``(attn_output, attn_weights)``; ``attn_output`` is shaped as the query;
          ``attn_weights`` is ``(N, L, S)`` averaged over the heads, ``(N, h, L, S)`` with
          ``average_attn_weights=False``, and ``None`` with ``need_weights=False``.

    Example:
        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = ember.randn(2, 5, 16)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        (ember.Size([2, 5, 16]), ember.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        kw = {"dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(ops.empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(ops.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(ops.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(ops.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ops.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(ops.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(ops.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """Returns ``(attn_output, attn_weights)`` (weights None unless ``need_weights``)."""
        batched = query.dim() == 3
        if self.batch_first and batched:
            query, key, value = (t.transpose(1, 0) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            return out.transpose(1, 0), weights
        return out, weights

"""``Parameter``: a Tensor that a Module registers as trainable."""

from __future__ import annotations

import numpy as np

from ember.tensor import Tensor

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter. Assigned as an attribute of a :class:`Module`, it is
    registered: it appears in ``parameters()`` and in the state dict, and optimizers built from
    ``parameters()`` update it. It requires grad unless told otherwise.

    Args:
        data: the initial value; a tensor's memory is shared, not copied. Default: ``None`` (an
            empty float32 tensor).
        requires_grad: whether gradients are computed for it. Default: ``True``.

    Example:
        >>> class Scale(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.factor = nn.Parameter(ember.ones(3))
        ...     def forward(self, x):
        ...         return x * self.factor
        >>> m = Scale()
        >>> [name for name, _ in m.named_parameters()], m.factor.requires_grad
        (['factor'], True)
        >>> frozen = nn.Parameter(ember.zeros(2), requires_grad=False)
        >>> isinstance(frozen, ember.Tensor), frozen.requires_grad
        (True, False)
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        Tensor._init(self, arr)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        new = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer when assigned as an attribute: state
    that is not trained (running statistics, fixed masks) but moves with the module and, if
    persistent, is saved in its state dict.

    Args:
        data: the tensor; its memory is shared, not copied.
        persistent: whether the buffer is part of the module's state dict. Default: ``True``.

    Example:
        >>> class Counter(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.count = nn.Buffer(ember.zeros(()))
        ...         self.scratch = nn.Buffer(ember.zeros(3), persistent=False)
        >>> m = Counter()
        >>> [name for name, _ in m.named_buffers()], list(m.state_dict())
        (['count', 'scratch'], ['count'])
    """

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        Tensor._init(self, data._data if isinstance(data, Tensor) else np.asarray(data))
        self.persistent = persistent

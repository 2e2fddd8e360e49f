"""``Parameter``: a Tensor that a Module registers as trainable."""

from __future__ import annotations

import numpy as np

from ember.tensor import Tensor

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter (``requires_grad=True`` by default).

    Assigning a Parameter as a Module attribute registers it, so it appears in
    ``parameters()`` and ``state_dict()``.

    Args:
        data: the initial value (a tensor; shares its memory).
        requires_grad: whether it is trained.
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
        return "Parameter containing:\n" + Tensor.__repr__(self.detach())

    def __deepcopy__(self, memo):
        new = Parameter(Tensor._make(self._data.copy()), self._requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        return new


class Buffer(Tensor):
    """Marks a tensor to be registered as a module buffer when assigned as an attribute."""

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        Tensor._init(self, data._data if isinstance(data, Tensor) else np.asarray(data))
        self.persistent = persistent

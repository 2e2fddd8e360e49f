"""Memory layouts: ``ember.strided`` (dense tensors) and ``ember.sparse_coo``."""

from __future__ import annotations

__all__ = ["layout", "sparse_coo", "strided"]


class layout:
    """How a tensor's elements are stored, printed as PyTorch prints its layouts.

    Example:
        >>> ember.sparse_coo
        ember.sparse_coo
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")

"""Handles that take a registered hook out again (``torch.utils.hooks``)."""

from __future__ import annotations

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by hook registration; ``remove()`` (or leaving a ``with`` block) unregisters.

    Attributes:
        id: the hook's key in the module's hook dict (unique in the process).
    """

    next_id: int = 0

    def __init__(self, hooks_dict: dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = hooks_dict
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(extra_dict)

    def remove(self) -> None:
        """Unregisters the hook (a second call does nothing)."""
        for store in (self.hooks_dict_ref, *self.extra_dict_ref):
            store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

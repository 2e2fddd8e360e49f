"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets and the DataLoader,
``ember.utils.hooks`` the handles that remove hooks."""

from ember.utils import data, hooks

__all__ = ["data", "hooks"]

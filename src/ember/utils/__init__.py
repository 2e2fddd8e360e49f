"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets and the DataLoader,
``ember.utils.hooks`` the handles that remove hooks.

Only ``hooks`` is imported here: the autograd core needs it before tensors and ops exist, and
``data`` needs them (``import ember`` imports ``ember.utils.data`` once they do).
"""

from ember.utils import hooks

__all__ = ["data", "hooks"]

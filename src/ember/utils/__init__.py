"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets and the DataLoader."""

from ember.utils import data

__all__ = ["data"]

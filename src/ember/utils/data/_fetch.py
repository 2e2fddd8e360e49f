"""Fetchers: turn one entry of the index sampler into a batch, in the main process or a worker."""

from __future__ import annotations

from collections.abc import Callable

from ember.utils.data.dataset import _collated_fetcher


class _MapFetcher:
    """Reads ``dataset[i]`` for the indices of one batch and collates them.

    With ``fast_path`` (the loader's ``collate_fn`` is ``default_collate``), a dataset that can
    gather and collate a whole batch in one step (``TensorDataset``) does so.
    """

    def __init__(self, dataset, auto_collation: bool, collate_fn: Callable,
                 fast_path: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.fast_fetch = _collated_fetcher(dataset) if auto_collation and fast_path else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.fast_fetch is not None:
            return self.fast_fetch(list(index))
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    """Takes the next sample (or the next ``len(index)`` samples) of one pass over the dataset.

    Raises ``StopIteration`` once the stream is exhausted, and for a last, short batch when
    ``drop_last`` is set.
    """

    def __init__(self, dataset, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.data_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.data_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.data_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(is_iterable: bool, dataset, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool, fast_path: bool):
    """The fetcher for a dataset of either kind (see :class:`_MapFetcher`, `_IterableFetcher`)."""
    if is_iterable:
        return _IterableFetcher(dataset, auto_collation, collate_fn, drop_last)
    return _MapFetcher(dataset, auto_collation, collate_fn, fast_path)

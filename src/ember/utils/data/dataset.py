"""Datasets: the map-style ``Dataset`` protocol and the wrappers PyTorch ships with it."""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from types import GenericAlias

from ember.ops.creation import randperm, tensor

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is the ``i``-th sample, ``len(dataset)`` its size.

    Subclasses override ``__getitem__`` (and usually ``__len__``, which samplers need).
    ``a + b`` concatenates two datasets.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 10
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> Squares()[3]
        (3, 9)
        >>> len(Squares() + Squares())
        20
    """

    __class_getitem__ = classmethod(GenericAlias)  # Dataset[T], as PyTorch allows

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream of samples: subclasses implement ``__iter__``.

    A :class:`~ember.utils.data.DataLoader` batches the stream in order; it takes no sampler.
    With worker processes each worker iterates its own copy: shard the stream with
    :func:`~ember.utils.data.get_worker_info`. ``a + b`` chains two streams.

    Example:
        >>> class Count(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(self.n))
        >>> list(Count(3) + Count(2))
        [0, 1, 2, 0, 1]
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension.

    Args:
        *tensors: tensors of equal ``size(0)``; sample ``i`` is ``tuple(t[i] for t in tensors)``.

    Raises:
        AssertionError: ``Size mismatch between tensors`` (PyTorch's exception and words).

    Example:
        >>> ds = TensorDataset(ember.randn(100, 3), ember.randint(0, 2, (100,)))
        >>> x, y = ds[0]
        >>> len(ds), x.shape, y.shape
        (100, ember.Size([3]), ember.Size([]))
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)

    def _collated_batch(self, indices: list[int]):
        """``default_collate([self[i] for i in indices])``, in one gather per tensor."""
        idx = tensor(indices, dtype="int64")
        return [t[idx] for t in self.tensors]


class StackDataset(Dataset):
    """Zips datasets of equal length: samples are tuples (``*args``) or dicts (``**kwargs``).

    Args:
        *args: datasets whose samples make up a tuple (not together with ``**kwargs``).
        **kwargs: datasets whose samples make up a dict under these keys.

    Raises:
        ValueError: both or neither of ``args`` and ``kwargs`` given, or lengths that differ.

    Example:
        >>> StackDataset(range(3), "abc")[1]
        (1, 'b')
        >>> StackDataset(x=range(3), y="abc")[2]
        {'x': 2, 'y': 'c'}
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(self._length != len(d) for d in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets, indexed as one.

    Args:
        datasets: the datasets, in order (not :class:`IterableDataset`).

    Raises:
        AssertionError: ``datasets`` is empty or holds an :class:`IterableDataset`
            (PyTorch's exception).

    Example:
        >>> ds = ConcatDataset([TensorDataset(ember.zeros(2)), TensorDataset(ember.ones(3))])
        >>> len(ds), ds.cumulative_sizes, ds[2]
        (5, [2, 5], (tensor(1.),))
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        """The running totals of the lengths of ``sequence``'s datasets.

        Args:
            sequence: datasets (anything with a length).

        Returns:
            ``[len(d0), len(d0) + len(d1), ...]``.
        """
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Chains iterable datasets one after another (lazily: each is iterated when reached).

    Args:
        datasets: iterable datasets; a map-style one raises ``AssertionError`` when reached.

    Example:
        >>> class Letters(IterableDataset):
        ...     def __init__(self, text):
        ...         self.text = text
        ...     def __iter__(self):
        ...         return iter(self.text)
        >>> list(ChainDataset([Letters("ab"), Letters("c")]))
        ['a', 'b', 'c']
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: positions in ``dataset`` that make up the subset.

    Example:
        >>> evens = Subset(range(10), [0, 2, 4])
        >>> len(evens), evens[1], list(evens)
        (3, 2, [0, 2, 4])
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def _collated_batch(self, indices: list[int]):
        fetch = _collated_fetcher(self.dataset)
        return fetch([int(self.indices[i]) for i in indices])


def _collated_fetcher(dataset):
    """The dataset's one-gather batch fetch, if it has one (used only with default_collate)."""
    fetch = getattr(dataset, "_collated_batch", None)
    if fetch is None:
        return None
    if isinstance(dataset, Subset):
        return fetch if _collated_fetcher(dataset.dataset) is not None else None
    return fetch


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Splits a dataset into non-overlapping random subsets, as ``torch.utils.data.random_split``.

    Args:
        dataset: the dataset to split.
        lengths: the subset sizes, or fractions summing to 1. Fractions become
            ``floor(frac * len(dataset))``, and what is left over is dealt out one at a time to
            the subsets in order.
        generator: the generator for the permutation (default: the default generator).

    Returns:
        A list of :class:`Subset`, one per length, together covering every index once.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> train, val = random_split(range(10), [0.8, 0.2], generator=g)
        >>> len(train), len(val), sorted(list(train) + list(val)) == list(range(10))
        (8, 2, True)
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(math.floor(n * frac))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=2)
        lengths = sizes
    if any(int(n_i) != n_i or n_i < 0 for n_i in lengths):
        raise ValueError(f"lengths must be non-negative integers or fractions summing to 1, "
                         f"but got {list(lengths)}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(n, generator=generator).tolist()
    lengths = [int(s) for s in lengths]
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, indices[end - size:end])
            for end, size in zip(ends, lengths, strict=True)]

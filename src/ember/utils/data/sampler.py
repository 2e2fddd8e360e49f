"""Samplers: the order in which a DataLoader visits a dataset's indices."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from types import GenericAlias

from ember.ops.creation import as_tensor, empty, multinomial, randint, randperm
from ember.random import Generator

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


def _check_positive_int(name: str, value) -> None:
    """PyTorch's check of a sampler's count argument (``bool`` is refused)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name: str, value, error: type[Exception]) -> None:
    """PyTorch's check of a sampler's flag (PyTorch raises ``error``, which differs by class)."""
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value}")


class Sampler:
    """Base class: an iterable of dataset indices (or of index lists, for batch samplers).

    Subclasses implement ``__iter__`` (and ``__len__`` where the length is known); any
    iterable of indices can serve as a DataLoader's ``sampler``.

    Args:
        data_source: accepted for PyTorch compatibility and ignored.

    Example:
        >>> class Backwards(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(self.n - 1, -1, -1))
        ...     def __len__(self):
        ...         return self.n
        >>> list(BatchSampler(Backwards(5), batch_size=2, drop_last=False))
        [[4, 3], [2, 1], [0]]
    """

    __class_getitem__ = classmethod(GenericAlias)  # Sampler[int], as PyTorch allows

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Yields ``0, 1, ..., len(data_source) - 1``.

    Args:
        data_source: the dataset (only its length is used).

    Example:
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _epoch_generator(generator):
    """The generator for one pass: ``generator``, or (like PyTorch) a fresh one seeded from a
    draw of the default generator, so each epoch has a new order that ``manual_seed`` fixes."""
    if generator is not None:
        return generator
    seed = int(empty((), dtype="int64").random_().item())
    return Generator().manual_seed(seed)


class RandomSampler(Sampler):
    """Yields indices in random order.

    Without replacement each pass is a permutation of ``range(len(data_source))`` (several
    permutations back to back if ``num_samples`` is larger). With replacement indices are drawn
    uniformly and independently.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement.
        num_samples: indices per pass (default ``len(data_source)``).
        generator: the generator to draw from; ``None`` draws a seed from the default generator
            at the start of every pass, as PyTorch does.

    Example:
        >>> sampler = RandomSampler(range(5), generator=ember.Generator().manual_seed(0))
        >>> sorted(sampler)
        [0, 1, 2, 3, 4]
        >>> len(RandomSampler(range(5), replacement=True, num_samples=12))
        12
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_bool("replacement", self.replacement, TypeError)
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = _epoch_generator(self.generator)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from randint(0, n, (32,), generator=generator).tolist()
            yield from randint(0, n, (self.num_samples % 32,), generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from randperm(n, generator=generator).tolist()
            yield from randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """Yields the given indices in a random order (without replacement).

    Args:
        indices: the indices to permute.
        generator: the generator for the permutation (default: the default generator).

    Example:
        >>> sorted(SubsetRandomSampler([10, 20, 30]))
        [10, 20, 30]
    """

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Yields indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Args:
        weights: non-negative weights (need not sum to 1).
        num_samples: how many indices to draw per pass.
        replacement: draw with replacement (default) or without.
        generator: the generator to draw from (default: the default generator).

    Example:
        >>> draws = list(WeightedRandomSampler([0.0, 1.0, 3.0], 1000))
        >>> draws.count(0), 600 < draws.count(2) < 900
        (0, True)
        >>> sorted(WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False))
        [0, 1, 2]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement, ValueError)
        weights_tensor = as_tensor(weights, dtype="float64")
        if len(weights_tensor.shape) != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rand = multinomial(self.weights, self.num_samples, self.replacement,
                           generator=self.generator)
        yield from rand.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of another sampler into lists of ``batch_size``.

    Args:
        sampler: any iterable of indices.
        batch_size: indices per batch (a positive int).
        drop_last: drop a last batch smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last, ValueError)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

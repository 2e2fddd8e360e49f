"""``DataLoader``: batches of samples from a dataset, plus the default collate functions."""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

from ember.tensor import Tensor
from ember.utils.data.dataset import IterableDataset, _collated_fetcher
from ember.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "DataLoader", "default_collate", "default_convert", "collate", "default_collate_fn_map",
    "get_worker_info",
]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")
_default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def get_worker_info():
    """Always ``None``: Ember loads data in the main process (see :class:`DataLoader`)."""
    return None


def _numpy_to_tensor(data) -> Tensor:
    """A tensor with the NumPy array's (or scalar's) own dtype, as ``torch.as_tensor`` gives."""
    from ember.ops.creation import from_numpy

    return from_numpy(np.asarray(data))


def default_convert(data):
    """Converts NumPy arrays and scalars in ``data`` to tensors, recursing into containers.

    This is the DataLoader's ``collate_fn`` when automatic batching is off
    (``batch_size=None``). Tuples become lists, as in PyTorch; other values pass through.
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_",
                                                                        "bytes_"):
        if isinstance(data, np.ndarray) and _np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _numpy_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collates a list of samples, recursing into mappings and sequences.

    Leaves are handled by ``collate_fn_map`` (type -> ``fn(batch, *, collate_fn_map)``): an exact
    type match first, then the first key the element is an instance of, in insertion order.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        def collated():
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                    for key in elem}

        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(collated())
                return clone
            return elem_type(collated())
        except TypeError:
            return collated()
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        fields = zip(*batch, strict=True)
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in fields))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch, strict=True))
        if isinstance(elem, tuple):  # tuples collate to lists, as in PyTorch
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = collate(s, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(s, collate_fn_map=collate_fn_map) for s in transposed])
        except TypeError:
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
    raise TypeError(_default_collate_err_msg_format.format(elem_type))


def _collate_tensor_fn(batch, *, collate_fn_map=None):
    from ember.ops.shape import stack

    return stack(batch, 0)


def _collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(_default_collate_err_msg_format.format(elem.dtype))
    return collate([_numpy_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _numpy_to_tensor(batch)


def _collate_float_fn(batch, *, collate_fn_map=None):
    from ember.ops.creation import tensor

    return tensor(batch, dtype="float64")


def _collate_int_fn(batch, *, collate_fn_map=None):
    from ember.ops.creation import tensor

    return tensor(batch)  # int64 (bool for a batch of bools, as PyTorch)


def _collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict = {
    Tensor: _collate_tensor_fn,
    np.ndarray: _collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar_fn,
    float: _collate_float_fn,
    int: _collate_int_fn,
    str: _collate_str_fn,
    bytes: _collate_str_fn,
}


def default_collate(batch):
    """Stacks a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors are stacked along a new dim 0; NumPy arrays and scalars become tensors of their
    own dtype first; Python ``int`` becomes ``int64`` (``bool`` stays ``bool``), ``float``
    becomes ``float64``; strings are returned as a list. Dicts collate key by key, named tuples
    field by field, and other sequences position by position (a tuple gives a list).

    Args:
        batch: a list of samples of the same structure.

    Example:
        >>> default_collate([(ember.zeros(2), 1), (ember.ones(2), 0)])
        [tensor([[0., 0.], [1., 1.]]), tensor([1, 0])]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable-style dataset: yields ``None`` for ever."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterates over a dataset in batches, as ``torch.utils.data.DataLoader``.

    Ember loads data in the main process. ``num_workers``, ``pin_memory``, ``timeout``,
    ``worker_init_fn``, ``multiprocessing_context``, ``prefetch_factor`` and
    ``persistent_workers`` are checked as PyTorch checks them, then ignored: with
    ``num_workers > 0`` the batches are the same, in the same order, but are computed
    in-process (``worker_init_fn`` is not called and :func:`get_worker_info` returns ``None``).

    Args:
        dataset: a map-style :class:`Dataset` (or any object with ``__getitem__`` and
            ``__len__``) or an :class:`IterableDataset`.
        batch_size: samples per batch; ``None`` turns automatic batching off (each sample
            goes through ``collate_fn`` alone, :func:`default_convert` by default).
        shuffle: reshuffle the indices at every epoch (with a :class:`RandomSampler`).
        sampler: the index order (an iterable of indices); excludes ``shuffle``.
        batch_sampler: an iterable of index lists; excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        num_workers: accepted for compatibility; loading happens in-process.
        collate_fn: turns a list of samples into a batch (:func:`default_collate`).
        pin_memory: ignored (CPU only).
        drop_last: drop the last batch if it has fewer than ``batch_size`` samples.
        generator: the generator the shuffling draws from. Without one, each epoch draws a new
            seed from the default generator, so ``ember.manual_seed`` fixes the order.

    Example:
        >>> ds = TensorDataset(ember.randn(100, 3), ember.randint(0, 2, (100,)))
        >>> loader = DataLoader(ds, batch_size=32, shuffle=True,
        ...                     generator=ember.Generator().manual_seed(0))
        >>> for x, y in loader:
        ...     pass
    """

    _FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
               "persistent_workers")

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        is_iterable = isinstance(dataset, IterableDataset)
        if is_iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._is_iterable = is_iterable
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._initialized = True

    def __setattr__(self, attr, val) -> None:
        if self.__dict__.get("_initialized") and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _DataLoaderIter:
        return _DataLoaderIter(self)

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _DataLoaderIter:
    """One pass over a DataLoader (the single-process iterator)."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._dataset = loader.dataset
        self._collate_fn = loader.collate_fn
        self._auto = loader._auto_collation
        self._fast_fetch = None
        if self._auto and loader.collate_fn is default_collate and not loader._is_iterable:
            self._fast_fetch = _collated_fetcher(loader.dataset)
        if loader._is_iterable:
            self._data_iter = iter(loader.dataset)
            self._ended = False
        self._sampler_iter = iter(loader._index_sampler)

    def __iter__(self) -> _DataLoaderIter:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        index = next(self._sampler_iter)
        if self._loader._is_iterable:
            return self._next_iterable(index)
        if not self._auto:
            return self._collate_fn(self._dataset[index])
        if self._fast_fetch is not None:
            return self._fast_fetch(list(index))
        getitems = getattr(self._dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self._dataset[i] for i in index]
        return self._collate_fn(data)

    def _next_iterable(self, index):
        if self._ended:
            raise StopIteration
        if not self._auto:
            return self._collate_fn(next(self._data_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self._data_iter))
            except StopIteration:
                self._ended = True
                break
        if not data or (self._loader.drop_last and len(data) < len(index)):
            raise StopIteration
        return self._collate_fn(data)

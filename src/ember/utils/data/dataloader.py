"""``DataLoader``: batches of samples from a dataset, plus the default collate functions."""

from __future__ import annotations

import atexit
import collections.abc
import copy
import itertools
import multiprocessing
import os
import queue
import re
import time
import warnings
from collections.abc import Callable

import numpy as np

from ember.ops.creation import empty, from_numpy, tensor
from ember.ops.shape import stack
from ember.tensor import Tensor
from ember.utils.data._fetch import make_fetcher
from ember.utils.data._worker import (
    _STATUS_CHECK_INTERVAL,
    _ExceptionWrapper,
    _IterableEnd,
    _ResultQueue,
    _Resume,
    _worker_loop,
    get_worker_info,
)
from ember.utils.data.dataset import IterableDataset
from ember.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = [
    "DataLoader",
    "collate",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "get_worker_info",
]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")
_default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def _numpy_to_tensor(data) -> Tensor:
    """A tensor with the NumPy array's (or scalar's) own dtype, as ``torch.as_tensor`` gives."""
    return from_numpy(np.asarray(data))


def _like_mapping(like, items: dict):
    """``items`` in a mapping of the type of ``like`` (a copy of ``like`` updated, when it is
    mutable), or the plain dict when that type cannot be made so."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _like_sequence(like, items: list):
    """``items`` in a sequence of the type of ``like`` (a copy of ``like`` filled in, when it
    is mutable), or the plain list when that type cannot be made so."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def default_convert(data):
    """Converts NumPy arrays and scalars in ``data`` to tensors, recursing into containers.

    This is the DataLoader's ``collate_fn`` when automatic batching is off
    (``batch_size=None``). Tuples become lists, as in PyTorch; other values pass through.

    Args:
        data: one sample: an array, a scalar, or a container of them.

    Returns:
        ``data`` with its NumPy arrays and scalars turned into tensors of their own dtype.

    Example:
        >>> import numpy as np
        >>> default_convert({"x": np.arange(3), "n": 5, "pair": (np.float32(1.5), "a")})
        {'x': tensor([0, 1, 2]), 'n': 5, 'pair': [tensor(1.5000), 'a']}
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
        return _like_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _like_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collates a list of samples, recursing into mappings and sequences.

    Leaves are handled by ``collate_fn_map`` (type -> ``fn(batch, *, collate_fn_map)``): an exact
    type match first, then the first key the element is an instance of, in insertion order.

    Args:
        batch: a list of samples of the same structure.
        collate_fn_map: the functions for the leaf types (see :data:`default_collate_fn_map`).

    Returns:
        One batch of the samples' structure (a tuple's positions become a list).

    Raises:
        TypeError: for a leaf whose type ``collate_fn_map`` does not handle.
        RuntimeError: for sequences of different lengths.

    Example:
        >>> def total(batch, *, collate_fn_map):
        ...     return sum(batch)
        >>> collate([{"a": 1, "b": (2, 3)}, {"a": 4, "b": (5, 6)}], collate_fn_map={int: total})
        {'a': 5, 'b': [7, 9]}
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
        return _like_mapping(elem, {key: collate([d[key] for d in batch],
                                                 collate_fn_map=collate_fn_map)
                                    for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        fields = zip(*batch, strict=True)
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in fields))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        collated = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=True)]
        if isinstance(elem, tuple):  # tuples collate to lists, as in PyTorch
            return collated
        return _like_sequence(elem, collated)
    raise TypeError(_default_collate_err_msg_format.format(elem_type))


def _collate_tensor_fn(batch, *, collate_fn_map=None):
    return stack(batch, 0)


def _collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(_default_collate_err_msg_format.format(elem.dtype))
    return collate([_numpy_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _numpy_to_tensor(batch)


def _collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype="float64")


def _collate_int_fn(batch, *, collate_fn_map=None):
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

    Returns:
        The batch, with the samples' structure.

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


def _checked_prefetch_factor(num_workers: int, timeout: float, prefetch_factor,
                             persistent_workers: bool):
    """Checks the worker options as PyTorch does; returns the prefetch factor (2 by default
    with workers)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in "
                         "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None.")
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return prefetch_factor


def _samplers(dataset, is_iterable: bool, batch_size, shuffle, sampler, batch_sampler,
              drop_last: bool, generator):
    """Checks the sampling options as PyTorch does and fills in the default samplers.

    Returns:
        ``(batch_size, drop_last, sampler, batch_sampler)`` as the DataLoader keeps them
        (``batch_sampler`` is None when automatic batching is off).
    """
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
    return batch_size, drop_last, sampler, batch_sampler


class DataLoader:
    """Iterates over a dataset in batches, as ``torch.utils.data.DataLoader``.

    With ``num_workers > 0`` the batches are made in that many worker processes (started with
    ``multiprocessing``, ``fork`` by default on Linux, as PyTorch), each holding a copy of the
    dataset and fetching whole batches. For a map-style dataset the batches come back in the
    sampler's order, equal to those of ``num_workers=0``. Each worker of an
    :class:`IterableDataset` iterates its own copy (shard it with :func:`get_worker_info`) and
    the batches come from the workers in turn. Worker ``i`` seeds ``random``, ``numpy.random``
    and Ember's default generator from ``base_seed + i``, where ``base_seed`` is drawn from
    ``generator`` (or the default generator) once per iterator.

    Args:
        dataset: a map-style :class:`Dataset` (or any object with ``__getitem__`` and
            ``__len__``) or an :class:`IterableDataset`.
        batch_size: samples per batch; ``None`` turns automatic batching off (each sample
            goes through ``collate_fn`` alone, :func:`default_convert` by default).
        shuffle: reshuffle the indices at every epoch (with a :class:`RandomSampler`).
        sampler: the index order (an iterable of indices); excludes ``shuffle``.
        batch_sampler: an iterable of index lists; excludes ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``.
        num_workers: worker processes; 0 loads in the main process.
        collate_fn: turns a list of samples into a batch (:func:`default_collate`).
        pin_memory: has no effect without an accelerator (a warning says so, as PyTorch).
        drop_last: drop the last batch if it has fewer than ``batch_size`` samples.
        timeout: seconds to wait for a batch from the workers before raising (0: no limit).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: ``'fork'``, ``'spawn'``, ``'forkserver'`` or a context
            object of :mod:`multiprocessing`; ``None`` is the default start method.
        generator: the generator the shuffling and ``base_seed`` draw from. Without one, each
            epoch draws from the default generator, so ``ember.manual_seed`` fixes both.
        prefetch_factor: batches loaded in advance per worker (2 when ``num_workers > 0``).
        persistent_workers: keep the workers (and their dataset copies) from epoch to epoch.
        pin_memory_device: deprecated in PyTorch; only warned about.
        in_order: with ``False``, a batch is returned as soon as it is ready.

    Example:
        >>> from ember.utils.data import TensorDataset
        >>> ds = TensorDataset(ember.randn(100, 3), ember.randint(0, 2, (100,)))
        >>> loader = DataLoader(ds, batch_size=32, shuffle=True,
        ...                     generator=ember.Generator().manual_seed(0))
        >>> len(loader), [tuple(x.shape) for x, y in loader]
        (4, [(32, 3), (32, 3), (32, 3), (4, 3)])
        >>> len(DataLoader(ds, batch_size=32, drop_last=True, num_workers=2))
        3
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
        prefetch_factor = _checked_prefetch_factor(num_workers, timeout, prefetch_factor,
                                                   persistent_workers)
        is_iterable = isinstance(dataset, IterableDataset)
        batch_size, drop_last, sampler, batch_sampler = _samplers(
            dataset, is_iterable, batch_size, shuffle, sampler, batch_sampler, drop_last,
            generator)

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
        self._iterator = None  # the persistent workers' iterator, reused from epoch to epoch
        self._initialized = True
        _warn_if_too_many_workers(num_workers)

    def __setattr__(self, attr, val) -> None:
        if self.__dict__.get("_initialized") and attr in self._FROZEN:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def multiprocessing_context(self):
        """The :mod:`multiprocessing` context the workers start in (``None``: the default)."""
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                "object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        _warn_if_too_many_workers(self.num_workers)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset()
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


def _warn_if_too_many_workers(num_workers: int) -> None:
    """PyTorch's warning when there are more workers than CPUs this process may run on."""
    if num_workers == 0:
        return
    has_affinity = hasattr(os, "sched_getaffinity")
    cpus = len(os.sched_getaffinity(0)) if has_affinity else os.cpu_count()
    if cpus is not None and num_workers <= cpus:
        return
    if cpus is None:
        suggestion = ("DataLoader is not able to compute a suggested max number of worker in "
                      "current system.")
    else:
        cpuset = "" if has_affinity else " (`cpuset` is not taken into account)"
        suggestion = (f"Our suggested max number of worker in current system is {cpus}{cpuset}, "
                      "which is smaller than what this DataLoader is going to create.")
    warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. "
                  f"{suggestion} Please be aware that excessive worker creation might get "
                  "DataLoader running slow or even freeze, lower the worker number to avoid "
                  "potential slowness/freeze if necessary.", stacklevel=3)


class _BaseDataLoaderIter:
    """One pass (or, with persistent workers, every pass) over a DataLoader.

    It holds the loader's settings, not the loader, so that the loader (which keeps a
    persistent iterator) and the iterator form no cycle and are freed as soon as unused.
    """

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._fast_path = loader.collate_fn is default_collate
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._persistent_workers = loader.persistent_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be used "
                          f"as the device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                          stacklevel=5)
        if loader.pin_memory:  # Ember has no accelerator, so no pinned memory either
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=5)
        self._sampler_iter = iter(self._index_sampler)
        # drawn whether or not there are workers, so that both draw the same shuffle order
        self._base_seed = int(empty((), dtype="int64").random_(generator=loader.generator)
                              .item())

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __next__(self):
        return self._next_data()

    def _next_data(self):
        raise NotImplementedError


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Loads each batch in the main process when it is asked for."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = make_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                     self._collate_fn, self._drop_last, self._fast_path)

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))


#: True once the interpreter is exiting: ``multiprocessing`` then terminates the (daemonic)
#: workers itself, and an iterator freed at that point must not touch its queues.
_python_exiting = False


def _set_python_exiting() -> None:
    global _python_exiting
    _python_exiting = True


atexit.register(_set_python_exiting)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Loads batches in worker processes.

    Task ``k`` is the ``k``-th entry of the index sampler. Tasks go to the workers in turn,
    ``prefetch_factor`` per worker ahead of the one being waited for; results arriving out of
    order wait in ``_task_info`` until their turn. ``_task_info[k]`` is ``(worker,)`` while
    task ``k`` is out and ``(worker, data)`` once its result is in. A worker whose
    IterableDataset is exhausted stops taking tasks (``_workers_status``); the tasks it was
    given are skipped.
    """

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        # The platform's default start method, as PyTorch: "fork" on Linux up to Python 3.13.
        # Forking a process that ran Numba's threads is safe here: Numba is imported in the
        # main thread (no import is under way at a fork), and workers run the serial kernels
        # only (see _worker._limit_threads).
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self._owner_pid = os.getpid()
        self._workers: list = []
        self._index_queues: list = []
        self._workers_status: list[bool] = []
        self._result_queue = _ResultQueue(ctx=context)
        self._done_event = context.Event()
        self._shutdown = False
        try:
            for worker_id in range(self._num_workers):
                index_queue = context.Queue()
                # a dead worker leaves tasks in its queue: do not wait to flush them at exit
                index_queue.cancel_join_thread()
                worker = context.Process(
                    target=_worker_loop, daemon=True,
                    args=(self._is_iterable, self._dataset, index_queue, self._result_queue,
                          self._done_event, self._auto_collation, self._collate_fn,
                          self._drop_last, self._fast_path, self._base_seed,
                          loader.worker_init_fn, worker_id, self._num_workers))
                worker.start()
                self._index_queues.append(index_queue)
                self._workers.append(worker)
                self._workers_status.append(True)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(first_epoch=True)

    def _reset(self, first_epoch: bool = False) -> None:
        """Starts a pass: a new sampler iterator, and (persistent workers) resumed workers."""
        if not first_epoch:
            self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0  # the next task to send
        self._rcvd_idx = 0  # the next task to return
        self._task_info: dict[int, tuple] = {}
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_epoch:
            # Each worker answers its last epoch's tasks before the resume request: drop those
            # results until every worker has acknowledged.
            for index_queue in self._index_queues:
                index_queue.put(_Resume())
            pending = self._num_workers
            while pending > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _Resume):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _get_data(self):
        """The next result from any worker; raises if a worker died or ``timeout`` passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            failed = [w for i, w in enumerate(self._workers)
                      if self._workers_status[i] and not w.is_alive()]
            if failed:
                for i, w in enumerate(self._workers):
                    if w in failed:
                        self._mark_worker_unavailable(i)
                pids = ", ".join(str(w.pid) for w in failed)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _next_data(self):
        while True:
            # skip the tasks of workers that stopped (exhausted IterableDataset) without result
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # arrived earlier, out of order
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            idx, data = self._get_data()
            if isinstance(data, _IterableEnd):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(idx)[0]
                    return self._process_data(data, worker_id)
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self) -> None:
        """Sends the sampler's next entry to the next worker still taking tasks."""
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if not self._workers_status[worker_id]:
                continue
            if self._in_order or (self._workers_num_tasks[worker_id]
                                  < max_tasks // sum(self._workers_status)):
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id: int):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, _ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_unavailable(self, worker_id: int) -> None:
        """Tells a worker to exit (its IterableDataset ended, or shutdown) and stops using it."""
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        """Stops the workers: ask, wait a little, then terminate those still running."""
        if _python_exiting or self._shutdown or os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        try:
            self._done_event.set()  # workers skip their remaining tasks
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[worker_id]:
                    self._mark_worker_unavailable(worker_id)
            # idle workers exit at once, or within one status check if the None got lost
            deadline = time.monotonic() + 2 * _STATUS_CHECK_INTERVAL
            for worker in self._workers:
                worker.join(timeout=max(0.0, deadline - time.monotonic()))
            for index_queue in self._index_queues:
                index_queue.close()
        finally:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=_STATUS_CHECK_INTERVAL)
            self._result_queue.cancel_join_thread()
            self._result_queue.close()

    def __del__(self) -> None:
        if hasattr(self, "_shutdown"):
            self._shutdown_workers()

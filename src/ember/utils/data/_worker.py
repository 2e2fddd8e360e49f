"""What runs inside a DataLoader worker process, and what crosses between it and the main one.

A worker takes ``(task index, sampler entry)`` pairs from its own index queue, fetches and
collates the batch, and puts ``(task index, batch)`` on the result queue that all workers share.
``None`` on the index queue tells it to exit. Tensors cross as NumPy arrays (see
:func:`_reduce_tensor`), exceptions as their type and traceback text (:class:`_ExceptionWrapper`).
"""

from __future__ import annotations

import multiprocessing.queues
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ember.backend import get_backend
from ember.ops.creation import from_numpy
from ember.random import manual_seed
from ember.tensor import Tensor
from ember.utils.data._fetch import make_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

#: Seconds between two checks that the other side (worker or main process) is still alive.
_STATUS_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """The worker a piece of dataset code runs in (see :func:`get_worker_info`).

    Attributes:
        id: this worker's index, ``0 <= id < num_workers``.
        num_workers: how many workers the DataLoader runs.
        seed: the seed of this worker's ``random``, ``numpy.random`` and Ember generators.
        dataset: this process's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The :class:`WorkerInfo` of the DataLoader worker process calling it; ``None`` elsewhere.

    An :class:`~ember.utils.data.IterableDataset` uses it to give each worker its own shard
    of the stream, and a ``worker_init_fn`` to set up each worker's copy of the dataset.

    Returns:
        ``WorkerInfo(id, num_workers, seed, dataset)`` in a worker, ``None`` in the main process.

    Example:
        >>> class Range(IterableDataset):
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         if info is None:
        ...             return iter(range(10))
        ...         return iter(range(info.id, 10, info.num_workers))
    """
    return _worker_info


def numpy_seed_state(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words a worker seeds ``numpy.random`` with, as PyTorch derives them.

    PyTorch hashes ``(worker_id, base_seed)`` with NumPy's ``SeedSequence`` algorithm (pool
    size 4), so that NumPy's stream differs from the ``random`` module's, seeded with
    ``base_seed + worker_id``; NumPy's own ``SeedSequence`` gives the same words.
    """
    mask = 0xFFFFFFFF
    entropy = [worker_id, base_seed & mask, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4).tolist()


class _ExceptionWrapper:
    """An exception raised in a worker, carried to the main process as its type and text."""

    def __init__(self, exc_type: type, text: str, where: str) -> None:
        self.exc_type = exc_type
        self.text = text
        self.where = where

    @classmethod
    def current(cls, where: str) -> _ExceptionWrapper:
        """Wraps the exception being handled."""
        exc_type, exc, tb = sys.exc_info()
        return cls(exc_type, "".join(traceback.format_exception(exc_type, exc, tb)), where)

    def reraise(self):
        """Raises the exception's type again, its message holding the worker's traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError shows repr(arg): keep the newlines readable
        try:
            exc = self.exc_type(msg)
        except Exception:  # a type that does not take one message
            raise RuntimeError(msg) from None
        try:
            raise exc
        finally:
            # no cycle exception -> traceback -> this frame -> exception: the iterator in the
            # frames below is then freed (and its workers stopped) as soon as it is unused
            del exc


class _KeyErrorMessage(str):
    """A string whose repr is itself."""

    __slots__ = ()

    def __repr__(self):
        return self


@dataclass(frozen=True)
class _IterableEnd:
    """A worker's reply once its copy of an IterableDataset is exhausted."""

    worker_id: int


class _Resume:
    """Sent to persistent workers at the start of an epoch: rebuild the fetcher, acknowledge."""


class _ResultQueue(multiprocessing.queues.Queue):
    """The queue of results; a result that cannot be pickled is replaced by its error.

    A queue pickles in a background thread and, by default, prints the error of an object it
    cannot send and drops it, which would leave the main process waiting for that batch.
    """

    def _on_queue_feeder_error(self, e, obj):
        if _worker_info is None or not (isinstance(obj, tuple) and len(obj) == 2):
            return super()._on_queue_feeder_error(e, obj)
        idx, data = obj
        if isinstance(data, _ExceptionWrapper):  # the exception's own type cannot be pickled
            error = _ExceptionWrapper(RuntimeError, data.text, data.where)
        else:
            where = f"in DataLoader worker process {_worker_info.id}"
            text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            error = _ExceptionWrapper(type(e), text, where)
        self.put((idx, error))


def _rebuild_tensor(array: np.ndarray, requires_grad: bool) -> Tensor:
    return from_numpy(array).requires_grad_(requires_grad)


def _reduce_tensor(tensor: Tensor):
    """Pickles a tensor for another process as its NumPy array (values, dtype, shape)."""
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the "
            "queue)."
        )
    return _rebuild_tensor, (tensor.detach().numpy(), tensor.requires_grad)


# The pickler of multiprocessing (queues, and the arguments of a spawned process) consults this
# table before ``Tensor.__reduce_ex__``: it refuses non-leaf tensors that require grad, as
# torch.multiprocessing does.
ForkingPickler.register(Tensor, _reduce_tensor)


def _limit_threads() -> None:
    """One compute thread per worker, as PyTorch's workers run ``torch.set_num_threads(1)``.

    Numba's GNU OpenMP layer aborts a forked child that launches a parallel kernel after the
    parent did; with one thread Ember's kernels take their serial versions. Numba is left
    alone when this process has not imported it (it then starts its threads on its own).
    """
    if "numba" in sys.modules:
        import numba  # already loaded (checked above): this import costs nothing

        numba.set_num_threads(1)
    get_backend().kernels("threads").set_blas_threads(1)


class _TaskServer:
    """A worker's fetcher and its answer to each task.

    Once the worker's setup (``worker_init_fn`` or making the fetcher) has failed, that error
    is the answer to every task. After the end of an iterable dataset the worker answers
    nothing more until it is told to resume or to exit.
    """

    def __init__(self, is_iterable: bool, worker_id: int, new_fetcher) -> None:
        self.is_iterable = is_iterable
        self.worker_id = worker_id
        self.where = f"in DataLoader worker process {worker_id}"
        self.new_fetcher = new_fetcher
        self.fetcher = None
        self.init_error: _ExceptionWrapper | None = None
        self.ended = False

    def start(self, init_fn) -> None:
        """Runs ``init_fn`` and makes the first fetcher."""
        try:
            if init_fn is not None:
                init_fn(self.worker_id)
            self.fetcher = self.new_fetcher()
        except Exception:
            self.init_error = _ExceptionWrapper.current(self.where)

    def resume(self) -> None:
        """Starts a new epoch of persistent workers: a new fetcher (a new dataset iterator)."""
        self.ended = False
        if self.init_error is None:
            try:
                self.fetcher = self.new_fetcher()
            except Exception:
                self.init_error = _ExceptionWrapper.current(self.where)

    def fetch(self, index):
        """The batch for a sampler entry, or the error to send in its place."""
        if self.init_error is not None:
            return self.init_error
        try:
            return self.fetcher.fetch(index)
        except StopIteration:
            if not self.is_iterable:
                return _ExceptionWrapper.current(self.where)
            self.ended = True
            return _IterableEnd(self.worker_id)
        except Exception:
            return _ExceptionWrapper.current(self.where)


def _serve(server: _TaskServer, index_queue, result_queue, done_event) -> None:
    """Answers the index queue's tasks until ``None``, shutdown, or the main process's death."""
    parent = os.getppid()
    while os.getppid() == parent:  # exit if the main process died
        try:
            task = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
        except queue.Empty:
            # The main process may be shutting down without a final None reaching us:
            # when the iterator and its queues are freed together by the garbage
            # collector, the queue's sending thread may be stopped before the None is put.
            if done_event.is_set():
                break
            continue
        if task is None:
            break
        if isinstance(task, _Resume):
            server.resume()
            result_queue.put((task, None))
            continue
        if server.ended or done_event.is_set():
            continue
        idx, index = task
        data = server.fetch(index)
        result_queue.put((idx, data))
        del data, idx, index, task  # do not hold the last batch while waiting


def _worker_loop(is_iterable: bool, dataset, index_queue, result_queue, done_event,
                 auto_collation: bool, collate_fn, drop_last: bool, fast_path: bool,
                 base_seed: int, init_fn, worker_id: int, num_workers: int) -> None:
    """The body of worker ``worker_id``: seed, run ``init_fn``, then serve the index queue."""
    global _worker_info
    try:
        _limit_threads()
        seed = base_seed + worker_id
        random.seed(seed)
        manual_seed(seed)
        np.random.seed(numpy_seed_state(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)

        def new_fetcher():
            return make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last,
                                fast_path)

        server = _TaskServer(is_iterable, worker_id, new_fetcher)
        server.start(init_fn)
        _serve(server, index_queue, result_queue, done_event)
    except KeyboardInterrupt:  # the main process gets it too and shuts the workers down
        pass
    if done_event.is_set():
        # nobody reads the results any more: do not wait at exit to flush them
        result_queue.cancel_join_thread()
        result_queue.close()

"""Threads of Ember's compute: Numba's kernels, the BLAS behind matmul, and Ember's own helpers.

The policy (``ember._threads`` holds the count and the start-up environment):

- OpenBLAS runs on one thread. Its pool fixes its split when a product starts and its idle
  workers spin, so with another busy process on the cores a two-thread product waits for the
  worker that lost its core: the small products of a recurrent or transformer step became
  5-20x slower at 2 threads than at 1 on this project's 2-core machine.
- At more than one thread, ``matmul`` cuts a product of at least ``SPLIT_MACS`` multiply-adds
  into row (or column, or batch) blocks that depend on its shape alone. The calling thread and
  Ember's helper threads take the blocks one at a time, each block one single-thread BLAS call
  with the interpreter lock released. Helpers are woken only while a core is idle
  (``idle_cores``: the run queue of ``/proc/loadavg``), they sleep on a queue rather than
  spin, and the caller never waits for a helper that has not started a block; a busy machine
  gets the blocks on the caller alone, with the same bits.
- Numba's parallel kernels run their ``prange`` loops only above a measured size (each
  family's ``PARALLEL_THRESHOLD``) and while a core is idle (``runs_parallel``); OpenMP's
  idle workers sleep (``OMP_WAIT_POLICY=PASSIVE``).

``set_num_threads(n)`` sets Numba's threads (at most ``max_threads()``) and the number of
threads ``matmul`` may use.
"""

from __future__ import annotations

import functools
import math
import os
import queue
import threading
import time

import numpy as np

from ember import _threads

__all__ = [
    "SPLIT_MACS",
    "blas_threads",
    "get_num_threads",
    "idle_cores",
    "matmul",
    "max_threads",
    "run_split",
    "runs_parallel",
    "set_blas_threads",
    "set_num_threads",
    "split_parts",
]

#: Multiply-adds from which ``matmul`` splits a product (about 0.4 ms on one core here): a
#: block's own call then costs a few microseconds against a few hundred of work, and a helper's
#: wake-up (tens of microseconds) is repaid on an idle core.
SPLIT_MACS = 1 << 24

#: Rows (or columns) of the smallest block ``matmul`` hands out: each block re-packs the whole
#: other operand (``k * min(m, n)`` elements), a cost that stays under a few percent of the
#: block's own multiply-adds from 256 rows on.
_MIN_BLOCK = 256

#: The most blocks a product is cut into (a slow thread then holds up an eighth of it at most).
_MAX_BLOCKS = 8

_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def max_threads() -> int:
    """The most threads Numba's kernels can use in this process (NUMBA_NUM_THREADS)."""
    import numba

    return numba.config.NUMBA_NUM_THREADS


def get_num_threads() -> int:
    """Threads Ember's compute may use (``ember.get_num_threads``)."""
    return _threads.get_num_threads()


@functools.lru_cache(maxsize=1)
def _blas_libraries() -> tuple:
    import threadpoolctl

    controller = threadpoolctl.ThreadpoolController()
    return tuple(controller.select(user_api="blas").lib_controllers)


def set_blas_threads(n: int) -> None:
    """Sets the thread count of every BLAS library NumPy loaded."""
    for lib in _blas_libraries():
        lib.set_num_threads(int(n))


def blas_threads() -> int:
    """The thread count of the BLAS libraries NumPy loaded (the largest, if several)."""
    return max((lib.num_threads for lib in _blas_libraries()), default=1)


def set_num_threads(n: int) -> None:
    """Sets the threads of Ember's compute, with torch's checks (``ember.set_num_threads``).

    Numba's kernels take ``min(n, max_threads())``; BLAS stays on one thread unless the user
    chose its count in the environment.
    """
    n = _threads.set_num_threads(n)
    import numba  # after the checks: a wrong argument raises without loading Numba

    numba.set_num_threads(min(n, max_threads()))
    _pin_blas()


@functools.lru_cache(maxsize=1)
def _pin_blas() -> None:
    """One BLAS thread, once per process, unless the user chose BLAS's threads (an OpenBLAS
    loaded after ``ember._threads`` set its environment already has one)."""
    if not _threads.blas_left_to_user():
        set_blas_threads(1)


_LOADAVG = "/proc/loadavg"
_IDLE_FOR = 1e-3  # seconds a reading of the run queue is reused
_idle_seen = [-1.0, 0]  # when idle_cores last read the run queue, and what it found


def _running_tasks() -> int | None:
    """Tasks running or ready to run on this machine now, the caller included (Linux)."""
    try:
        with open(_LOADAVG, "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def idle_cores() -> int:
    """Cores that no task runs on or waits for now, as the run queue of ``/proc/loadavg`` says
    (read at most once a millisecond); all cores but the caller's where there is no such file.
    """
    now = time.monotonic()
    if now - _idle_seen[0] < _IDLE_FOR:
        return int(_idle_seen[1])
    running = _running_tasks()
    cores = _cores()
    idle = cores - 1 if running is None else max(cores - running, 0)
    _idle_seen[:] = [now, idle]
    return idle


def runs_parallel(n: int, threshold: int) -> bool:
    """Whether a Numba kernel over ``n`` elements should take its parallel (prange) version now.

    From ``threshold`` elements on, with more than one Numba thread, and only while a core is
    idle: a parallel loop splits its range evenly when it starts and then waits for its
    slowest thread, so on a machine whose cores are all busy it loses to the serial loop
    (model B of ``bench/train_step.py`` at 2 threads beside other load: the dropout kernels'
    wait dominated the step). Only for kernels whose result does not depend on the split.

    Args:
        n: the kernel's element count.
        threshold: the element count from which its parallel version gains on idle cores.

    Returns:
        True to run the prange version.

    Example:
        >>> runs_parallel(100, threshold=1 << 15)
        False
    """
    if n < threshold:
        return False
    import numba  # loaded already: only compiled kernels ask

    return numba.get_num_threads() > 1 and idle_cores() > 0


def split_parts(blocks: int) -> int:
    """How many threads should run ``blocks`` blocks of a product now: the caller plus one
    helper per idle core, at most ``get_num_threads()`` and ``blocks``."""
    threads = min(_threads.get_num_threads(), blocks)
    return 1 if threads == 1 else min(threads, 1 + idle_cores())


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(a, b, out=out)``, split across threads when that pays (module docstring).

    At one thread this is ``np.matmul``. At more, a product of at least ``SPLIT_MACS``
    multiply-adds is computed in blocks that depend on its shape alone, by as many threads
    as there are idle cores: its bits do not depend on the machine's load (they may differ
    from the undivided product's in the last place, as OpenBLAS's own differ between thread
    counts: its kernels sum in an order that depends on the whole shape).

    Args:
        a: the left operand (any shape ``np.matmul`` takes).
        b: the right operand.
        out: where to write the product (a fresh array if None).

    Returns:
        The product (``out`` when given).

    Example:
        >>> a = np.ones((512, 256), np.float32)
        >>> bool((matmul(a, a.T) == 256).all())
        True
    """
    _pin_blas()  # NumPy may have started OpenBLAS's own pool before Ember was imported
    plan = _split_plan(a, b) if _threads.get_num_threads() > 1 else None
    if plan is None:
        return np.matmul(a, b, out=out)
    axis, blocks = plan
    shape = (*a.shape[:-1], b.shape[-1])
    if out is None:
        out = np.empty(shape, a.dtype)
    elif out.shape != shape or out.dtype != a.dtype:
        return np.matmul(a, b, out=out)  # NumPy's casting, or its error
    work = _block_product(a, b, out, axis)
    parts = split_parts(len(blocks))
    if parts == 1:
        for block in blocks:
            work(*block)
    else:
        _pool().run(work, blocks, parts - 1)
    return out


def _split_plan(a: np.ndarray, b: np.ndarray) -> tuple[str, list[tuple[int, int]]] | None:
    """The blocks of ``a @ b`` (a function of the shapes alone): the axis split ('batch',
    else the longer of 'rows' and 'cols') and the blocks along it; None for a product below
    ``SPLIT_MACS``, for one block, and for what is not split (vectors, non-BLAS or mixed
    dtypes, broadcast batches)."""
    if (a.ndim < 2 or b.ndim < 2 or a.dtype != b.dtype or a.dtype not in _BLAS_DTYPES
            or a.shape[-1] != b.shape[-2]):
        return None
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    if a.ndim > 2 or b.ndim > 2:
        if a.shape[:-2] != b.shape[:-2] or a.shape[0] < 2:
            return None
        axis, length = "batch", a.shape[0]
        total = m * k * n * math.prod(a.shape[:-2])
    else:
        axis, length = ("rows", m) if m >= n else ("cols", n)
        total = m * k * n
    if total < SPLIT_MACS:
        return None
    # blocks of SPLIT_MACS / 2 multiply-adds or more, so that a block's call costs little
    step = -(-length // min(_MAX_BLOCKS, total // (SPLIT_MACS // 2)))
    if axis != "batch":  # whole SIMD panels, and few enough blocks that re-packing is cheap
        step = max(_MIN_BLOCK, -(-step // 16) * 16)
    blocks = [(i, min(i + step, length)) for i in range(0, length, step)]
    return (axis, blocks) if len(blocks) > 1 else None


def _block_product(a: np.ndarray, b: np.ndarray, out: np.ndarray, axis: str):
    """The work of one block ``[i, j)`` of ``out`` along ``axis``."""
    if axis == "cols":
        def work(i: int, j: int) -> None:
            np.matmul(a, b[:, i:j], out=out[:, i:j])
    elif axis == "rows":
        def work(i: int, j: int) -> None:
            np.matmul(a[i:j], b, out=out[i:j])
    else:
        def work(i: int, j: int) -> None:
            np.matmul(a[i:j], b[i:j], out=out[i:j])
    return work


class _Job:
    """Blocks handed out one at a time to whichever thread asks next."""

    def __init__(self, work, blocks: list[tuple[int, int]]) -> None:
        self.work = work
        self.blocks = blocks
        self.next = 0
        self.active = 0  # helpers inside a block
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)

    def _claim(self) -> tuple[int, int] | None:
        with self.lock:
            if self.next == len(self.blocks) or self.error is not None:
                return None
            self.next += 1
            return self.blocks[self.next - 1]

    def take_part(self) -> None:
        """Runs blocks until none is left (the caller's part)."""
        while (block := self._claim()) is not None:
            try:
                self.work(*block)
            except BaseException as exc:  # raised by the caller in wait()
                with self.lock:
                    self.error = self.error or exc

    def help(self) -> None:
        """A helper's part: nothing if the caller already took every block."""
        with self.lock:
            if self.next == len(self.blocks):
                return
            self.active += 1
        try:
            self.take_part()
        finally:
            with self.lock:
                self.active -= 1
                self.idle.notify_all()

    def wait(self) -> None:
        """Waits for the helpers inside a block, then raises the first error of any block."""
        with self.lock:
            while self.active:
                self.idle.wait()
        if self.error is not None:
            raise self.error


class _Pool:
    """Helper threads that sleep on a queue until a job wants them."""

    def __init__(self) -> None:
        self.inboxes: list[queue.SimpleQueue] = []
        self.lock = threading.Lock()

    def _helper(self, inbox: queue.SimpleQueue) -> None:
        while True:
            inbox.get().help()

    def run(self, work, blocks: list[tuple[int, int]], helpers: int) -> None:
        """Runs ``work(i, j)`` for every block on the caller and up to ``helpers`` helpers."""
        job = _Job(work, blocks)
        with self.lock:
            while len(self.inboxes) < helpers:
                inbox: queue.SimpleQueue = queue.SimpleQueue()
                threading.Thread(target=self._helper, args=(inbox,), daemon=True,
                                 name=f"ember-helper-{len(self.inboxes)}").start()
                self.inboxes.append(inbox)
        for inbox in self.inboxes[:helpers]:
            inbox.put(job)
        job.take_part()
        job.wait()


@functools.lru_cache(maxsize=1)
def _pool() -> _Pool:
    return _Pool()


if hasattr(os, "register_at_fork"):  # a forked child has none of its parent's helper threads
    os.register_at_fork(after_in_child=_pool.cache_clear)


def run_split(work, n: int, parts: int) -> None:
    """Runs ``work(start, stop)`` over ``[0, n)`` in ``parts`` contiguous shares at once.

    One Python thread per share but the last, which the caller runs. Meant for work that
    spends its time outside the interpreter lock (NumPy ufuncs on arrays of thousands of
    elements). The first exception of any share is raised here once all shares have ended.
    """
    parts = max(1, min(int(parts), n))
    bounds = [n * k // parts for k in range(parts + 1)]
    errors: list[BaseException] = []

    def share(start: int, stop: int) -> None:
        try:
            work(start, stop)
        except BaseException as exc:  # handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=share, args=(bounds[k], bounds[k + 1]), daemon=True)
               for k in range(parts - 1)]
    for t in threads:
        t.start()
    share(bounds[-2], bounds[-1])
    for t in threads:
        t.join()
    if errors:
        raise errors[0]

"""Threads of Ember's compute: Numba's kernels and the BLAS behind matmul.

``set_num_threads(n)`` sets both, so one call decides how many cores Ember uses (BLAS
through threadpoolctl, since OpenBLAS otherwise fixes its thread count at start-up).
"""

from __future__ import annotations

import functools
import threading

__all__ = ["get_num_threads", "max_threads", "run_split", "set_blas_threads", "set_num_threads"]


def max_threads() -> int:
    """The most threads the kernels can use in this process (NUMBA_NUM_THREADS)."""
    import numba

    return numba.config.NUMBA_NUM_THREADS


def get_num_threads() -> int:
    """Threads the kernels use now (for the calling thread)."""
    import numba

    return numba.get_num_threads()


@functools.lru_cache(maxsize=1)
def _blas_libraries() -> tuple:
    import threadpoolctl

    controller = threadpoolctl.ThreadpoolController()
    return tuple(controller.select(user_api="blas").lib_controllers)


def set_blas_threads(n: int) -> None:
    """Sets the thread count of every BLAS library NumPy loaded."""
    for lib in _blas_libraries():
        lib.set_num_threads(int(n))


def set_num_threads(n: int) -> None:
    """Sets the threads of Ember's kernels and of BLAS (1 <= n <= max_threads())."""
    import numba

    n = int(n)
    if not 1 <= n <= max_threads():
        raise ValueError(f"number of threads must be between 1 and {max_threads()}, got {n}")
    numba.set_num_threads(n)
    set_blas_threads(n)


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

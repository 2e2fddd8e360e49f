"""Thread count of Ember's compiled kernels (Numba's thread pool)."""

from __future__ import annotations

__all__ = ["get_num_threads", "set_num_threads", "max_threads"]


def max_threads() -> int:
    """The most threads the kernels can use in this process (NUMBA_NUM_THREADS)."""
    import numba

    return numba.config.NUMBA_NUM_THREADS


def get_num_threads() -> int:
    """Threads the kernels use now (for the calling thread)."""
    import numba

    return numba.get_num_threads()


def set_num_threads(n: int) -> None:
    """Sets the kernels' thread count for the calling thread (1 <= n <= max_threads())."""
    import numba

    n = int(n)
    if not 1 <= n <= max_threads():
        raise ValueError(f"number of threads must be between 1 and {max_threads()}, got {n}")
    numba.set_num_threads(n)

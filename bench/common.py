"""Helpers shared by the benchmark scripts: sizes on the command line, timing, medians."""

from __future__ import annotations

import statistics
import time


def parse_size(s: str) -> int:
    """``"16M"`` -> 16 * 2**20, ``"4K"`` -> 4096, ``"1000"`` -> 1000."""
    s = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20}.get(s[-1], 1)
    return int(s.rstrip("KM")) * mult


def time_call(fn) -> float:
    """Seconds one call of ``fn()`` takes."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def interleaved_medians(fns: dict, repeats: int, timer=time_call) -> dict:
    """Runs each of ``fns`` once per repeat, in turn, and returns each one's median time.

    Interleaving spreads a shared machine's slow spells over all the contenders instead of
    charging them to whichever ran at that moment.
    """
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timer(fn))
    return {name: statistics.median(ts) for name, ts in times.items()}

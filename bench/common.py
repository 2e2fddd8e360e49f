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


def cpu_model() -> str:
    """The ``Model name`` line of ``lscpu`` (``"unknown"`` where lscpu is missing)."""
    import subprocess

    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.startswith("Model name")), "unknown")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    import os

    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def thread_env(threads: int) -> dict:
    """The environment of a benchmark subprocess that runs with ``threads`` threads.

    The libraries' thread variables (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
    ``MKL_NUM_THREADS``) are removed: Ember treats them as the user's choice over its own
    thread policy (``ember/_threads.py``), which is what the benchmarks measure, and the
    subprocess sets the count itself (``torch.set_num_threads``, ``ember.set_num_threads``).
    ``threads`` is kept in ``EMBER_BENCH_THREADS`` for it. The repository's ``src`` comes first
    on ``PYTHONPATH``, so the scripts measure this tree's Ember.
    """
    import os
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[1] / "src")
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return dict(env, EMBER_BENCH_THREADS=str(threads), PYTHONPATH=path)


def markdown_row(cells) -> str:
    """One row of a Markdown table: floats with 3 significant decimals, the rest as text."""
    return "| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |"


def markdown_header(names) -> str:
    """The header and rule lines of a Markdown table with columns ``names``."""
    return markdown_row(names) + "\n|" + "---|" * len(names)

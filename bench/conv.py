"""Benchmark of Ember's Conv2d and pooling (forward + backward) against torch (not a test).

Each case runs Ember and torch side by side in one process, interleaved, and prints the median
milliseconds of a forward plus backward (``y.sum().backward()``) and the ratio ember / torch.
torch runs with one thread and with its default thread count. NumPy's BLAS threads follow the
environment (``OPENBLAS_NUM_THREADS=1`` for a single-thread comparison).

Usage: ``PYTHONPATH=src python bench/conv.py [--repeats 7]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import ember

CASES = [  # (label, input shape, module constructor)
    ("conv 3x3 pad 1", (32, 16, 8, 8), "Conv2d(16, 32, 3, padding=1)"),
    ("conv 3x3", (32, 16, 8, 8), "Conv2d(16, 32, 3)"),
    ("conv 3x3 stem", (32, 3, 32, 32), "Conv2d(3, 16, 3, padding=1)"),
    ("conv 3x3 s2", (32, 32, 16, 16), "Conv2d(32, 64, 3, stride=2, padding=1)"),
    ("depthwise 3x3", (32, 32, 16, 16), "Conv2d(32, 32, 3, padding=1, groups=32)"),
    ("conv 1x1", (32, 64, 8, 8), "Conv2d(64, 64, 1)"),
    ("maxpool 2", (32, 32, 16, 16), "MaxPool2d(2)"),
    ("maxpool 3 s2 p1", (32, 32, 16, 16), "MaxPool2d(3, 2, 1)"),
    ("avgpool 2", (32, 32, 16, 16), "AvgPool2d(2)"),
    ("adaptive avg 1", (32, 64, 8, 8), "AdaptiveAvgPool2d(1)"),
]


def _step(module, x):
    def run():
        module(x).sum().backward()
    return run


def _time(fn, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--inner", type=int, default=10)
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    print(f"{'case':18s} {'ember ms':>9s} {'torch1 ms':>10s} {'ratio':>6s} "
          f"{'torch' + str(default_threads) + ' ms':>10s} {'ratio':>6s}")
    for label, shape, ctor in CASES:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        em, tm = eval("ember.nn." + ctor), eval("torch.nn." + ctor)
        ex = ember.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        e_fn, t_fn = _step(em, ex), _step(tm, tx)
        times = {"e": [], "t1": [], "tn": []}
        for _ in range(args.repeats):
            times["e"].append(_time(e_fn, args.inner))
            torch.set_num_threads(1)
            times["t1"].append(_time(t_fn, args.inner))
            torch.set_num_threads(default_threads)
            times["tn"].append(_time(t_fn, args.inner))
        e, t1, tn = (statistics.median(times[k]) for k in ("e", "t1", "tn"))
        print(f"{label:18s} {e:9.2f} {t1:10.2f} {e / t1:6.1f} {tn:10.2f} {e / tn:6.1f}")


if __name__ == "__main__":
    main()

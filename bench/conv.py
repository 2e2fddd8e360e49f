"""Benchmark of Ember's Conv2d and pooling (forward + backward) against torch (not a test).

Each case runs Ember and torch side by side in one process, interleaved, and prints the median
milliseconds of a forward plus backward (``y.sum().backward()``) and the ratio ember / torch,
both libraries with one thread and then both with two (``ember.set_num_threads`` sets Numba's
and BLAS's threads, ``torch.set_num_threads`` torch's), and the load average.

Usage: ``PYTHONPATH=src python bench/conv.py [--repeats 7] [--cases conv]``
"""

from __future__ import annotations

import argparse
import os
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
    ("conv 3x3 c1", (64, 1, 28, 28), "Conv2d(1, 32, 3, padding=1)"),
    ("conv 3x3 64 32x32", (32, 64, 32, 32), "Conv2d(64, 64, 3, padding=1, bias=False)"),
    ("convT 4x4 s2", (32, 32, 8, 8), "ConvTranspose2d(32, 16, 4, stride=2, padding=1)"),
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
    parser.add_argument("--cases", default="", help="run only cases whose label contains this")
    args = parser.parse_args()
    counts = (1, 2)
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{'case':18s}" + "".join(f" {f'ember{k} ms':>10s} {f'torch{k} ms':>10s} {'ratio':>6s}"
                                     for k in counts))
    for label, shape, ctor in CASES:
        if args.cases not in label:
            continue
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        em, tm = eval("ember.nn." + ctor), eval("torch.nn." + ctor)
        ex = ember.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        e_fn, t_fn = _step(em, ex), _step(tm, tx)
        e_fn()  # loads Ember's kernels
        times = {(lib, k): [] for lib in "et" for k in counts}
        for _ in range(args.repeats):
            for k in counts:
                ember.set_num_threads(k)
                torch.set_num_threads(k)
                times["e", k].append(_time(e_fn, args.inner))
                times["t", k].append(_time(t_fn, args.inner))
        row = f"{label:18s}"
        for k in counts:
            e, t = statistics.median(times["e", k]), statistics.median(times["t", k])
            row += f" {e:10.2f} {t:10.2f} {e / t:6.2f}"
        print(row, flush=True)
    print(f"load average: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()

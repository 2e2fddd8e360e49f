"""Benchmark of Ember's op dispatch and kernels against torch, forward + backward (not a test).

Three workloads, each timed as one forward and one backward from a fixed cotangent:

* elementwise: ``(a * b).sum()`` with ``a`` and ``b`` requiring grad;
* reduction: ``x.sum(dim=-1).mean()`` on a (rows, 1024) or (32, 32) tensor;
* matmul: ``(a @ b).sum()`` on square matrices of comparable FLOP counts (32x32 ~ 1K elements
  per operand, 1024x1024 ~ 1M).

Measured side by side in one process: Ember and torch runs interleaved, median of the repeats,
float32. Both libraries get the same thread count (``--threads``, default 1: NumPy's BLAS via
the environment, torch via ``set_num_threads``), so the comparison is of dispatch and kernels,
not of how each library splits work over cores. Prints microseconds per iteration and the
ratio ember/torch (lower is better).

Usage: ``PYTHONPATH=src python bench/ops.py [--repeats 31] [--threads 1]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def _threads_from_argv() -> str:
    argv = sys.argv[1:]
    for i, a in enumerate(argv):
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
    return "1"


# BLAS reads its thread count when NumPy is first imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch  # noqa: E402

import ember  # noqa: E402


def _elementwise(lib, n: int):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)

    def step():
        a.grad = b.grad = None
        (a * b).sum().backward()

    return step


def _reduction(lib, n: int):
    rng = np.random.default_rng(0)
    shape = (32, 32) if n <= 1024 else (n // 1024, 1024)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    def step():
        x.grad = None
        x.sum(dim=-1).mean().backward()

    return step


def _matmul(lib, n: int):
    rng = np.random.default_rng(0)
    side = round(n ** 0.5)
    a = lib.tensor(rng.standard_normal((side, side)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((side, side)).astype(np.float32), requires_grad=True)

    def step():
        a.grad = b.grad = None
        (a @ b).sum().backward()

    return step


WORKLOADS = {"elementwise mul+sum": _elementwise, "reduction sum(dim)+mean": _reduction,
             "matmul+sum": _matmul}


def measure(make, n: int, repeats: int) -> tuple[float, float]:
    """Median seconds per step for (ember, torch), interleaving the two."""
    steps = {"ember": make(ember, n), "torch": make(torch, n)}
    inner = max(1, int(2e5 // n)) if n < 1 << 20 else 1  # batch tiny steps for timer resolution
    for fn in steps.values():  # warm-up (first-call costs, caches, thread pools)
        for _ in range(3):
            fn()
    times = {k: [] for k in steps}
    for _ in range(repeats):
        for name, fn in steps.items():
            t = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - t) / inner)
    return statistics.median(times["ember"]), statistics.median(times["torch"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31)
    parser.add_argument("--threads", type=int, default=1, help="threads for BLAS and torch")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, torch {torch.__version__}, {args.threads} thread(s), "
          f"float32, forward + backward, median of {args.repeats}, load {os.getloadavg()[0]:.1f}")
    header = f"{'workload':<26}{'size':>6}{'ember us':>12}{'torch us':>12}{'ember/torch':>13}"
    print(header)
    print("-" * len(header))
    for name, make in WORKLOADS.items():
        for label, n in (("1K", 1 << 10), ("1M", 1 << 20)):
            e, t = measure(make, n, args.repeats)
            print(f"{name:<26}{label:>6}{e * 1e6:>12.1f}{t * 1e6:>12.1f}{e / t:>13.2f}")


if __name__ == "__main__":
    main()

"""Start-up costs of Ember in fresh processes: the import, the first dropout calls, the first rand.

Each figure is the median over ``--runs`` fresh interpreters (Python's bytecode cache warm), with
the Numba kernel cache warm (a cache directory filled by one run first) and cold (an empty
cache directory per run, so every kernel used compiles):

* ``import ember``;
* the first ``F.dropout`` forward + backward on 1000 and on 16M float32 elements after the
  import (inputs built with NumPy, so the call pays every lazy import it triggers);
* the first ``ember.rand(1000)``;
* ``import scipy.linalg.cython_blas`` after ``import numba``: what Numba's BLAS probe costs
  when it first compiles or loads a kernel (SciPy installed), i.e. what skipping it would save.

Usage: ``python bench/startup.py [--runs 5] [--cold-runs 2] [--src DIR ...]``; ``--src``
measures other source trees (say an older checkout next to this one), their runs interleaved
so that a change of the machine's load affects all of them alike.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

_TIMED = """
import time
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
{body}
print(time.perf_counter() - t1 if {after_setup} else t1 - t0)
"""

_DROPOUT = """
import numpy as np
import ember
import ember.nn.functional as F
x = ember.tensor(np.linspace(-1, 1, {n}, dtype=np.float32), requires_grad=True)
"""

CASES = {
    "import ember": ("import ember", "", False),
    "first dropout, 1000 elements (fwd+bwd)": (
        _DROPOUT.format(n=1000), "F.dropout(x, 0.5).sum().backward()", True),
    "first dropout, 16M elements (fwd+bwd)": (
        _DROPOUT.format(n=1 << 24), "F.dropout(x, 0.5).sum().backward()", True),
    "first ember.rand(1000)": ("import ember", "ember.rand(1000)", True),
    "SciPy BLAS probe (import scipy.linalg.cython_blas after numba)": (
        "import numba", "import scipy.linalg.cython_blas", True),
}


def _run(code: str, src: Path, pycache: str, numba_cache: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONPYCACHEPREFIX=pycache,
               NUMBA_CACHE_DIR=numba_cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    return float(out.split()[-1])


def measure(srcs: list[Path], runs: int, cold_runs: int) -> dict[str, list[tuple]]:
    """``{case: [(warm median, cold median) per source tree]}`` in seconds."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        pycache = os.path.join(tmp, "pycache")
        warm = [os.path.join(tmp, f"numba-warm-{k}") for k in range(len(srcs))]
        for name, (setup, body, after) in CASES.items():
            code = _TIMED.format(setup=setup, body=body or "pass", after_setup=after)
            times: list[tuple[list, list]] = [([], []) for _ in srcs]
            for k, src in enumerate(srcs):
                _run(code, src, pycache, warm[k])  # fills both caches
            for r in range(max(runs, cold_runs)):
                for k, src in enumerate(srcs):
                    if r < runs:
                        times[k][0].append(_run(code, src, pycache, warm[k]))
                    if r < cold_runs:
                        cold = tempfile.mkdtemp(dir=tmp)
                        times[k][1].append(_run(code, src, pycache, cold))
            results[name] = [(float(np.median(w)), float(np.median(c))) for w, c in times]
            print(f"measured {name}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=2)
    ap.add_argument("--src", type=Path, action="append",
                    help="a source tree to measure (repeatable; default: this checkout's src)")
    args = ap.parse_args()
    import numba

    srcs = [p.resolve() for p in (args.src or [HERE.parent / "src"])]
    results = measure(srcs, args.runs, args.cold_runs)
    print(f"numba {numba.__version__}, numpy {np.__version__}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs at the end; medians of "
          f"{args.runs} warm and {args.cold_runs} cold processes per tree, interleaved")
    print()
    print("| case | " + " | ".join(f"warm: {p} | cold: {p}" for p in srcs) + " |")
    print("|---|" + "---|---|" * len(srcs))
    for name, per_tree in results.items():
        cells = " | ".join(f"{w:.3f} | {c:.3f}" for w, c in per_tree)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()

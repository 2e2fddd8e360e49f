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

Usage: ``python bench/startup.py [--runs 5] [--src DIR] [--cold-runs 2]``; ``--src`` measures
another source tree (say an older checkout) instead of this one.
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


def measure(src: Path, runs: int, cold_runs: int) -> dict[str, tuple[float, float]]:
    """``{case: (warm median, cold median)}`` in seconds."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        pycache = os.path.join(tmp, "pycache")
        warm_cache = os.path.join(tmp, "numba-warm")
        for name, (setup, body, after) in CASES.items():
            code = _TIMED.format(setup=setup, body=body or "pass", after_setup=after)
            _run(code, src, pycache, warm_cache)  # fills both caches
            warm = [_run(code, src, pycache, warm_cache) for _ in range(runs)]
            cold = [_run(code, src, pycache, tempfile.mkdtemp(dir=tmp))
                    for _ in range(cold_runs)]
            results[name] = (float(np.median(warm)), float(np.median(cold)))
            print(f"measured {name}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cold-runs", type=int, default=2)
    ap.add_argument("--src", type=Path, default=HERE.parent / "src")
    args = ap.parse_args()
    import numba

    results = measure(args.src.resolve(), args.runs, args.cold_runs)
    print(f"{args.src}; numba {numba.__version__}, numpy {np.__version__}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; medians of {args.runs} warm and "
          f"{args.cold_runs} cold processes")
    print()
    print("| case | warm Numba cache (s) | cold Numba cache (s) |")
    print("|---|---|---|")
    for name, (warm, cold) in results.items():
        print(f"| {name} | {warm:.3f} | {cold:.3f} |")


if __name__ == "__main__":
    main()

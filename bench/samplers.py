"""Benchmark of Ember's samplers against torch's, side by side in one process (not a test).

For each sampler (``rand``, ``randn``, ``normal_``, ``randint``, ``randperm``, ``bernoulli``)
and size (1M and 16M by default), Ember's and torch's calls run interleaved; the script prints
the median milliseconds of each and the ratio ember/torch (lower is better). The Numba kernels
are loaded first, so the steady state is timed.

Ember's normal samples are computed in float64 (53-bit uniforms, tails to about 8.6 sigma)
and rounded to the dtype; torch computes float32 samples in float32.

Usage: ``python bench/samplers.py [--repeats 5] [--sizes 1M,16M] [--threads 1]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch
from common import interleaved_medians, parse_size

import ember


def samplers(lib, n: int) -> dict:
    """One call of each sampler on ``n`` elements of library ``lib`` (ember or torch)."""
    probs = lib.full((n,), 0.3)
    return {
        "rand": lambda: lib.rand(n),
        "randn": lambda: lib.randn(n),
        "normal_": lambda: lib.empty(n).normal_(1.0, 2.0),
        "randint": lambda: lib.randint(0, 100, (n,)),
        "randperm": lambda: lib.randperm(n),
        "bernoulli": lambda: lib.bernoulli(probs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="1M,16M")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ember.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, medians of {args.repeats} interleaved repeats")
    print("| sampler | n | ember ms | torch ms | ember/torch |")
    print("|---|---|---|---|---|")
    for n in (parse_size(s) for s in args.sizes.split(",")):
        pairs = {name: (fn, samplers(torch, n)[name])
                 for name, fn in samplers(ember, n).items()}
        for name, (ember_fn, torch_fn) in pairs.items():
            ember_fn(), torch_fn()  # warm-up
            med = interleaved_medians({"ember": ember_fn, "torch": torch_fn}, args.repeats)
            e, t = med["ember"] * 1e3, med["torch"] * 1e3
            print(f"| {name} | {n >> 20}M | {e:.1f} | {t:.1f} | {e / t:.2f} |")


if __name__ == "__main__":
    main()

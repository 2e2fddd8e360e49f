"""Benchmark of Ember's dropout kernels against the machine limit and torch (not a test).

For 1M, 16M and 64M float32 elements and 1 and 2 threads, measured side by side in one process
(median of interleaved repeats):

* limit: a Numba parallel one-pass ``out = a * x`` into a preallocated ``out`` (ordinary stores,
  what Numba and torch emit: the limit the goals refer to);
* slimit: the same pass with streaming stores into an ``out`` placed as ``ember.memory`` places
  its arrays (no read of the output's lines before writing them), the bound for kernels that
  stream their output, as Ember's do for outputs of ``STREAM_BYTES`` or more;
* ember forward (with packed mask), backward from the mask, backward regenerating the mask;
* rng: ``decisions_bits`` alone (Philox words + compare + 1 bit/element written): the cost of
  the random numbers themselves, which bounds the forward on a CPU without AVX-512;
* ``torch.nn.functional.dropout`` forward (torch-allocated tensors) and its backward
  (``grad * noise``, what autograd runs), if torch is installed.

Prints ns/element and ratios: limit_time / kernel_time and torch_time / ember_time.

Usage: ``PYTHONPATH=src python bench/kernels.py [--repeats 7] [--sizes 1M,16M,64M] [--p 0.5]``

A dyadic ``p`` (0.5, 0.25, ...) never needs the tie refinement of the byte decisions; a
non-dyadic one (0.1, 0.2) refines about 1 element in 256 with a scalar Philox call.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numba
from common import interleaved_medians, parse_size
from numba import njit, prange

from ember import memory
from ember.kernels import dropout as D
from ember.kernels.simd import apply8, store_fence

try:
    import torch
except ImportError:  # torch is optional here
    torch = None


@njit(parallel=True, cache=True)
def _scale_limit(x, out, a):
    for i in prange(x.size):
        out[i] = x[i] * a


_CHUNK = 1 << 14


@njit(parallel=True, cache=True)
def _scale_limit_stream(x, out, a):
    # out must be 32-byte aligned and x.size a multiple of 8 (true of the sizes benchmarked).
    for c in prange((x.size + _CHUNK - 1) // _CHUNK):
        for i in range(c * _CHUNK, min((c + 1) * _CHUNK, x.size), 8):
            apply8(x, out, i, np.uint64(255), a, a, a, False, True)
        store_fence()


def aligned_empty(n: int, dtype=np.float32) -> np.ndarray:
    """An uninitialised array placed as ``ember.memory`` places its large arrays.

    That is ``memory.PAGE_OFFSET`` bytes into a page: 64-byte aligned, and half a page from
    the input (a NumPy array). Placed 48 bytes after the input in the page instead, the
    streaming pass measured 1.35x slower (4K aliasing; ordinary stores do not care).
    """
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(n * itemsize + 4096, dtype=np.uint8)
    start = (memory.PAGE_OFFSET - raw.ctypes.data) % 4096
    return raw[start:start + n * itemsize].view(dtype)


def bench(n: int, threads: int, repeats: int, p: float = 0.5) -> dict[str, float]:
    thr = D.keep_threshold(p)
    scale = np.float32(1 / (1 - p))
    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    out = memory.empty_like(x)  # what the Tensor API writes into
    dx = memory.empty_like(x)
    lim = np.empty_like(x)
    slim = aligned_empty(n)
    mask = np.zeros(D.mask_nbytes(n), dtype=np.uint8)
    a = np.float32(2.0)
    cases = {
        "limit": lambda: _scale_limit(x, lim, a),
        "slimit": lambda: _scale_limit_stream(x, slim, a),
        "fwd": lambda: D.dropout_forward(x, out, 1, 0, thr, scale, mask),
        "bwd_mask": lambda: D.dropout_backward_from_mask(x, dx, mask, scale),
        "bwd_regen": lambda: D.dropout_backward_regenerate(x, dx, 1, 0, thr, scale),
        "rng": lambda: D.decisions_bits(1, 0, thr, n),
    }
    if torch is not None:
        torch.set_num_threads(threads)
        tx = torch.randn(n)  # torch-allocated: 64-byte aligned
        tg = torch.randn(n)
        noise = torch.empty(n).bernoulli_(1 - p).div_(1 - p)

        cases["torch_fwd"] = lambda: torch.nn.functional.dropout(tx, p, training=True)
        cases["torch_bwd"] = lambda: tg * noise
    numba.set_num_threads(threads)
    for fn in cases.values():  # warm-up (compilation, page faults)
        fn()
    return interleaved_medians(cases, repeats)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return "unknown CPU"
    model = next((ln.split(":", 1)[1].strip() for ln in info.splitlines()
                  if ln.startswith("model name")), "unknown CPU")
    flags = next((ln for ln in info.splitlines() if ln.startswith("flags")), "")
    simd = "avx512f" if "avx512f" in flags else ("avx2" if "avx2" in flags else "no avx2")
    return f"{model} ({simd}, {os.cpu_count()} CPUs)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--sizes", default="1M,16M,64M")
    ap.add_argument("--p", type=float, default=0.5, help="drop probability")
    args = ap.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    max_threads = min(2, numba.config.NUMBA_NUM_THREADS)
    hdr = (f"{'n':>5} {'thr':>3} | {'ns/el: limit':>12} {'slimit':>6} {'fwd':>6} {'bwd_m':>6} "
           f"{'bwd_r':>6} "
           f"{'rng':>6} "
           f"{'t_fwd':>6} {'t_bwd':>6} | {'limit/kernel: fwd':>17} {'bwd_m':>6} {'bwd_r':>6} | "
           f"{'torch/ember: fwd':>16} {'bwd_m':>6}")
    print(f"{_cpu()}; numba {numba.__version__}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'absent'}; "
          f"load average {os.getloadavg()[0]:.2f} (others' work skews the timings); p = {args.p}")
    print(hdr)
    for n in sizes:
        for threads in range(1, max_threads + 1):
            t = bench(n, threads, args.repeats, args.p)
            ns = {k: v / n * 1e9 for k, v in t.items()}
            tf = ns.get("torch_fwd", float("nan"))
            tb = ns.get("torch_bwd", float("nan"))
            print(f"{n >> 20:>4}M {threads:>3} | {ns['limit']:>12.3f} {ns['slimit']:>6.3f} "
                  f"{ns['fwd']:>6.3f} "
                  f"{ns['bwd_mask']:>6.3f} {ns['bwd_regen']:>6.3f} {ns['rng']:>6.3f} "
                  f"{tf:>6.2f} {tb:>6.3f} | "
                  f"{t['limit'] / t['fwd']:>17.2f} {t['limit'] / t['bwd_mask']:>6.2f} "
                  f"{t['limit'] / t['bwd_regen']:>6.2f} | {tf / ns['fwd']:>16.1f} "
                  f"{tb / ns['bwd_mask']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()

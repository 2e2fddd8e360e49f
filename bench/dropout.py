"""Benchmark of Ember's dropout through the Tensor API, side by side with the limit, torch, NumPy.

For 1M, 16M and 64M float32 elements and 1 and 2 threads, in one process (medians of
interleaved repeats, p = 0.5 unless ``--p`` is given; a non-dyadic p such as 0.1 also pays
the tie refinement of the byte decisions on about 1 element in 256):

* ``limit``: a Numba parallel one-pass ``out = a * x`` into a preallocated ``out`` (the
  machine's limit for an elementwise pass, from ``bench/kernels.py``); ``limit+alloc``: the
  same into a freshly allocated ``out``, which is what any out-of-place op pays unless its
  allocator reuses memory (Ember's does for large outputs, see ``ember.memory``);
  ``slimit``: the pass with streaming stores into an aligned ``out`` (``bench/kernels.py``),
  the bound for a kernel that streams its output as Ember's do above ``STREAM_BYTES``;
* Ember ``F.dropout`` forward on a tensor that requires grad, in both mask storage modes
  (``'regenerate'``: no mask written; ``'bits'``: 1 bit/element written), the backward node
  alone (``grad -> grad_input``), and forward + ``y.backward(g)`` through the engine;
* ``torch.nn.functional.dropout`` on torch-allocated tensors: forward, backward, both;
* the NumPy textbook version: ``mask = rng.random(n, float32) < keep; y = x * mask / keep`` and
  ``g * mask / keep``.

Then the bytes the autograd node holds per element, the first dropout call in a fresh process
with a warm Numba cache, and ``import ember``, each in subprocesses.

Medians are reported, and best-of-repeats next to them: on a shared, loaded machine the best
run approximates the uncontended time.

Usage: ``python bench/dropout.py [--repeats 7] [--sizes 1M,16M,64M] [--markdown FILE]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Idle OpenMP workers must sleep, not spin: with torch's and Numba's pools in one process on 2
# CPUs, spinning workers of the library that ran last steal the CPUs from the other's (measured:
# 10x slower Numba kernels right after a torch call). Set before numba/torch are imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import numba  # noqa: E402
import torch  # noqa: E402
from common import parse_size, time_call  # noqa: E402

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402
from kernels import _cpu, _scale_limit, _scale_limit_stream, aligned_empty  # noqa: E402

P = 0.5  # drop probability; --p overrides it


def _saved_bytes(node) -> int:
    arrays = {id(a): a for a in node._saved if isinstance(a, np.ndarray)}
    arrays.update({id(v): v for v in vars(node).values() if isinstance(v, np.ndarray)})
    return sum(a.nbytes for a in arrays.values())


def bench(n: int, threads: int, repeats: int) -> tuple[dict[str, list], dict[str, float]]:
    numba.set_num_threads(threads)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    xa = rng.standard_normal(n, dtype=np.float32)
    ga = rng.standard_normal(n, dtype=np.float32)
    out = np.empty_like(xa)
    sout = aligned_empty(n)
    two = np.float32(2.0)
    x = ember.tensor(xa, requires_grad=True)
    g = ember.tensor(ga)
    tx = torch.randn(n, requires_grad=True)  # torch-allocated: 64-byte aligned
    tg = torch.randn(n)
    keep = 1 - P
    np_rng = np.random.default_rng(1)

    nodes, saved = {}, {}
    for mode in ("regenerate", "bits"):
        with F.dropout_mask_storage(mode):
            y = F.dropout(x, P)
        nodes[mode] = y.grad_fn
        saved[mode] = _saved_bytes(y.grad_fn) / n
        del y

    def ember_fwd(mode):
        def run():
            with F.dropout_mask_storage(mode):
                F.dropout(x, P)
        return run

    def ember_bwd(mode):
        node = nodes[mode]
        return lambda: type(node)._function.backward(node, ga)

    def ember_both(mode):
        def run():
            x.grad = None
            with F.dropout_mask_storage(mode):
                y = F.dropout(x, P)
            y.backward(g)
        return run

    def torch_both():
        tx.grad = None
        torch.nn.functional.dropout(tx, P).backward(tg)

    ty = torch.nn.functional.dropout(tx, P)

    def torch_bwd():  # a fresh gradient, as Ember's node returns (no accumulation pass)
        tx.grad = None
        ty.backward(tg, retain_graph=True)

    def numpy_fwd():
        mask = np_rng.random(n, dtype=np.float32) < keep
        return xa * mask / np.float32(keep), mask

    _, np_mask = numpy_fwd()

    def numpy_both():
        _, mask = numpy_fwd()
        return ga * mask / np.float32(keep)

    cases = {
        "limit": lambda: _scale_limit(xa, out, two),
        "limit+alloc": lambda: _scale_limit(xa, np.empty_like(xa), two),
        "slimit": lambda: _scale_limit_stream(xa, sout, two),
        "fwd_regen": ember_fwd("regenerate"),
        "fwd_bits": ember_fwd("bits"),
        "bwd_regen": ember_bwd("regenerate"),
        "bwd_bits": ember_bwd("bits"),
        "both_regen": ember_both("regenerate"),
        "both_bits": ember_both("bits"),
        "torch_fwd": lambda: torch.nn.functional.dropout(tx, P),
        "torch_bwd": torch_bwd,
        "torch_both": torch_both,
        "numpy_fwd": numpy_fwd,
        "numpy_bwd": lambda: ga * np_mask / np.float32(keep),
        "numpy_both": numpy_both,
    }
    for fn in cases.values():  # warm-up: compilation, first page faults
        fn()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for k, fn in cases.items():
            times[k].append(time_call(fn))
    return times, saved


# The inputs are built without Ember's RNG so that the timed call pays every lazy import it
# triggers: the first call, small or large, imports Numba and loads the cached kernels
# (bench/startup.py measures the start-up costs in detail).
_FIRST_CALL_OF = """
import time, numpy as np, ember, sys
import ember.nn.functional as F
x = ember.tensor(np.linspace(-1, 1, {n}, dtype=np.float32), requires_grad=True)
t = time.perf_counter()
y = F.dropout(x, 0.5)
t1 = time.perf_counter()
y.sum().backward()
t2 = time.perf_counter()
print(t1 - t, t2 - t)
"""
_FIRST_CALL = _FIRST_CALL_OF.format(n=1000)
_FIRST_LARGE_CALL = _FIRST_CALL_OF.format(n=1 << 24)

_IMPORT = "import time; t = time.perf_counter(); import ember; print(time.perf_counter() - t)"


def _subprocess_median(code: str, runs: int, pycache: str | None = None) -> list[float]:
    """Medians of the numbers ``code`` prints, over ``runs`` fresh processes.

    With ``pycache``, Python keeps its bytecode cache in that directory and writes it even if
    this environment sets ``PYTHONDONTWRITEBYTECODE`` (as a normal install keeps it in
    ``__pycache__``), so that imports after the first do not compile the modules again.
    """
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    rows = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True).stdout.split()
        rows.append([float(v) for v in out])
    return [float(np.median(col)) for col in zip(*rows, strict=True)]


def main() -> None:
    global P
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--sizes", default="1M,16M,64M")
    ap.add_argument("--markdown", default=None, help="also write the table to this file")
    ap.add_argument("--p", type=float, default=P,
                    help="drop probability (non-dyadic p such as 0.1 exercises the tie refinement)")
    args = ap.parse_args()
    P = args.p
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    max_threads = min(2, numba.config.NUMBA_NUM_THREADS)
    lines = []

    def emit(s=""):
        print(s, flush=True)
        lines.append(s)

    emit(f"{_cpu()}; numba {numba.__version__}, numpy {np.__version__}, torch {torch.__version__}"
         f"; load average {os.getloadavg()[0]:.2f} at the start; p = {P}, float32")
    results = {}
    saved_all = {}
    for n in sizes:
        for threads in range(1, max_threads + 1):
            results[n, threads], saved_all = bench(n, threads, args.repeats)
            print(f"measured n={n >> 20}M threads={threads}", flush=True)
    d = "bits" if F.get_dropout_mask_storage() == "bits" else "regen"
    for stat, reduce in (("medians", np.median), ("best of the repeats", np.min)):
        emit()
        emit(f"ns per element ({stat} of {args.repeats} interleaved repeats). Ratios: limit time / "
             "Ember time (>= 1 is at the limit), torch time / Ember time, NumPy time / Ember "
             f"time, for Ember's default mask storage ({F.get_dropout_mask_storage()!r}).")
        emit()
        emit("| n | thr | limit | limit+alloc | slimit | fwd regen | fwd bits | bwd regen | "
             "bwd bits | fwd+bwd regen | fwd+bwd bits | torch fwd | torch bwd | torch f+b | "
             "numpy fwd | numpy f+b | fwd vs limit | fwd vs slimit | bwd vs limit | "
             "bwd vs slimit | fwd vs torch | f+b vs torch | fwd vs numpy |")
        emit("|" + "---|" * 23)
        for (n, threads), times in results.items():
            t = {k: float(reduce(v)) for k, v in times.items()}
            ns = {k: v / n * 1e9 for k, v in t.items()}
            row = [f"{n >> 20}M", str(threads)] + [f"{ns[k]:.3f}" for k in (
                "limit", "limit+alloc", "slimit", "fwd_regen", "fwd_bits", "bwd_regen", "bwd_bits",
                "both_regen", "both_bits", "torch_fwd", "torch_bwd", "torch_both",
                "numpy_fwd", "numpy_both")] + [
                f"{t['limit'] / t['fwd_' + d]:.2f}x",
                f"{t['slimit'] / t['fwd_' + d]:.2f}x",
                f"{t['limit'] / t['bwd_' + d]:.2f}x",
                f"{t['slimit'] / t['bwd_' + d]:.2f}x",
                f"{t['torch_fwd'] / t['fwd_' + d]:.1f}x",
                f"{t['torch_both'] / t['both_' + d]:.1f}x",
                f"{t['numpy_fwd'] / t['fwd_' + d]:.1f}x",
            ]
            emit("| " + " | ".join(row) + " |")
    emit()
    emit(f"Saved by the autograd node: {saved_all['regenerate'] * 8:.3f} bits/element "
         f"('regenerate'), {saved_all['bits'] * 8:.3f} bits/element ('bits'); torch saves 32 "
         "(its float noise).")
    _subprocess_median(_FIRST_CALL, 1)  # warm the Numba cache
    first_fwd, first_both = _subprocess_median(_FIRST_CALL, 5)
    large_fwd, large_both = _subprocess_median(_FIRST_LARGE_CALL, 5)
    with tempfile.TemporaryDirectory() as pycache:
        _subprocess_median(_IMPORT, 1, pycache)  # writes the bytecode cache
        (imp,) = _subprocess_median(_IMPORT, 7, pycache)
    emit(f"Load average at the end: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs).")
    emit(f"First dropout call in a fresh process (warm cache): forward {first_fwd:.3f} s, "
         f"forward + backward {first_both:.3f} s (medians of 5 processes), on 1000 elements; "
         f"on 16M elements: forward {large_fwd:.3f} s, forward + backward {large_both:.3f} s "
         "(both load Numba and the cached kernels first).")
    emit(f"`import ember`: {imp:.3f} s (median of 7 processes, with Python's bytecode cache).")
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

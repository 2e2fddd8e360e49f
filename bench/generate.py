"""Batch-1 greedy generation of a small GPT, Ember vs PyTorch, side by side in one process.

The model (4 layers, 128 wide, 4 heads, vocabulary 65, context 64, pre-LayerNorm blocks with
SDPA and a GELU MLP) is written once below against a library namespace, so the same code builds
it in both libraries; Ember's weights are copied from torch's and the logits of a full context
are checked equal before timing. A token step is kv-less: the whole (cropped to 64) context runs
through the model in eval mode under ``no_grad`` and the last position's argmax is appended.

Each thread count runs in a fresh subprocess (OpenBLAS fixes its threads when it starts). Prints
the median time per generated token over interleaved rounds and the ratio ember/torch (goal:
<= 1.0), with the load average and the CPU model.

    python bench/generate.py               # 1 and 2 threads
    python bench/generate.py --threads 1 --rounds 5 --tokens 64
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import cpu_model
from workloads import CONTEXT, VOCAB, build_gpt


def build(lib):
    """The GPT of ``bench/workloads.py`` (4 layers, 128 wide, 4 heads, vocabulary 65)."""
    return build_gpt(lib, 1)


def generate(lib, model, idx, tokens: int):
    """Appends ``tokens`` greedy tokens to ``idx`` (1, t), the context cropped at CONTEXT."""
    with lib.no_grad():
        for _ in range(tokens):
            logits = model(idx[:, -CONTEXT:])
            nxt = logits[:, -1, :].argmax(dim=-1, keepdim=True)
            idx = lib.cat([idx, nxt], dim=1)
    return idx


def make_models():
    import torch

    import ember

    torch.manual_seed(0)
    tm = build(torch).eval()
    em = build(ember).eval()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    ctx = torch.randint(0, VOCAB, (1, CONTEXT))
    with torch.no_grad():
        want = tm(ctx).numpy()
    with ember.no_grad():
        got = em(ember.tensor(ctx.numpy())).numpy()
    err = float(abs(got - want).max())
    if err > 1e-4 * max(1.0, float(abs(want).max())):
        raise SystemExit(f"logits differ: max abs error {err:.3g}")
    return tm, em, err


def run(threads: int, rounds: int, tokens: int) -> None:
    import numpy as np
    import torch

    import ember

    torch.set_num_threads(threads)
    ember.set_num_threads(threads)
    tm, em, err = make_models()
    prompt = np.array([[0]])
    runs = {"torch": lambda: generate(torch, tm, torch.tensor(prompt), tokens),
            "ember": lambda: generate(ember, em, ember.tensor(prompt), tokens)}
    same = (runs["torch"]().numpy() == runs["ember"]().numpy()).all()  # also the warm-up
    times: dict[str, list] = {k: [] for k in runs}
    for _ in range(rounds):
        for k, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[k].append((time.perf_counter() - t0) / tokens)
    t = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print(f"| {threads} | {t['torch']:.3f} | {t['ember']:.3f} | {t['ember'] / t['torch']:.2f} "
          f"| {err:.1e} | {'yes' if same else 'no'} | {os.getloadavg()[0]:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=96,
                        help="tokens generated per round from a 1-token prompt")
    args = parser.parse_args()
    if args.threads is not None:
        run(args.threads, args.rounds, args.tokens)
        return
    print(f"CPU: {cpu_model()}; {args.tokens} tokens from a 1-token prompt (context cropped at "
          f"{CONTEXT}), median of {args.rounds} interleaved rounds")
    print("| threads | torch ms/token | ember ms/token | ember/torch | max logit error "
          "| same tokens | load |")
    print("|---|---|---|---|---|---|---|", flush=True)
    src = str(Path(__file__).resolve().parents[1] / "src")
    for threads in (1, 2):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), PYTHONPATH=src)
        subprocess.run([sys.executable, __file__, "--threads", str(threads), "--rounds",
                        str(args.rounds), "--tokens", str(args.tokens)], env=env, check=True)


if __name__ == "__main__":
    main()

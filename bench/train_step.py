"""Training-step time, Ember vs PyTorch, side by side in one process.

A = 128 x (20-64-5) with Dropout(0.5) after the ReLU (seed 004's model), SGD lr 0.5.
B = 256 x (784-512-512-10) with Dropout(0.5) after each hidden ReLU, SGD lr 0.1.
A step is zero_grad, forward, cross-entropy, backward, optimizer step.

Each thread count runs in a fresh subprocess, because OpenBLAS (NumPy's matmul) fixes its
thread count when it starts, under both OpenMP wait policies. Prints medians of interleaved
repeats and the ratio ember/torch (goal: <= 0.8).

    python bench/train_step.py            # 1 and 2 threads
    python bench/train_step.py --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

MODELS = {"A": (128, [20, 64, 5], 0.5), "B": (256, [784, 512, 512, 10], 0.1)}


def build(lib, sizes, p=0.5):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(lib.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers += [lib.nn.ReLU(), lib.nn.Dropout(p)]
    return lib.nn.Sequential(*layers)


def make_step(lib, name):
    batch, sizes, lr = MODELS[name]
    lib.manual_seed(0)
    model = build(lib, sizes)
    x = lib.randn(batch, sizes[0])
    y = lib.randint(0, sizes[-1], (batch,))
    opt = lib.optim.SGD(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def time_steps(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def run(threads: int, rounds: int) -> None:
    import torch

    import ember

    torch.set_num_threads(threads)
    ember.set_num_threads(threads)
    for name in MODELS:
        steps = {"torch": make_step(torch, name), "ember": make_step(ember, name)}
        n = 50 if name == "A" else 5
        for s in steps.values():  # warm up (compilation, allocator)
            time_steps(s, n)
        times = {k: [] for k in steps}
        for _ in range(rounds):
            for k, s in steps.items():
                times[k].append(time_steps(s, n))
        t = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        policy = os.environ.get("BENCH_POLICY", "default")
        print(f"| {name} | {threads} | {policy} | {t['torch']:.3f} | {t['ember']:.3f} | "
              f"{t['ember'] / t['torch']:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if args.threads is not None:
        run(args.threads, args.rounds)
        return
    print("| model | threads | OMP_WAIT_POLICY | torch ms/step | ember ms/step | ember/torch |")
    print("|---|---|---|---|---|---|", flush=True)
    for policy in ("default", "PASSIVE"):
        for threads in (1, 2):
            # default: idle OpenMP workers spin (fast hand-offs, but they steal cores from the
            # other library in the same process); PASSIVE: they sleep
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads),
                       OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
                       NUMBA_NUM_THREADS="2", BENCH_POLICY=policy)
            env.pop("OMP_WAIT_POLICY", None)
            if policy == "PASSIVE":
                env["OMP_WAIT_POLICY"] = "PASSIVE"
            subprocess.run([sys.executable, __file__, "--threads", str(threads),
                            "--rounds", str(args.rounds)], env=env, check=True)

if __name__ == "__main__":
    main()

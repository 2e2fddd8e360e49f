"""Optimizer-step time, Ember vs PyTorch, side by side in one process (1 thread).

Parameters shaped like the training-step benchmark's models A (20-64-5) and B (784-512-512-10),
float32, with gradients already set; one step updates every parameter. Prints medians of
interleaved repeats and the ratio ember/torch.

    python bench/optim_step.py            # 7 rounds
    python bench/optim_step.py --quick    # 3 rounds of a fifth as many steps
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

SHAPES = {"A": [(64, 20), (64,), (5, 64), (5,)],
          "B": [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]}
CONFIGS = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
           ("Adam", dict(lr=1e-3)), ("AdamW", dict(lr=1e-3)), ("RMSprop", dict(lr=1e-3)),
           ("Adagrad", dict(lr=1e-3)), ("Adadelta", dict(lr=1.0))]


def make(lib, shapes, name, kwargs):
    import torch

    rng = np.random.default_rng(0)
    params = []
    for s in shapes:
        v, g = (rng.standard_normal(s).astype(np.float32) for _ in range(2))
        if lib is torch:
            p = torch.nn.Parameter(torch.from_numpy(v))
            p.grad = torch.from_numpy(g)
        else:
            p = lib.nn.Parameter(lib.tensor(v))
            p.grad = lib.tensor(g)
        params.append(p)
    return getattr(lib.optim, name)(params, **kwargs).step


def main(rounds: int = 7, scale: float = 1.0) -> None:
    import torch

    import ember

    torch.set_num_threads(1)
    print("| params | optimizer | torch us/step | ember us/step | ember/torch |")
    print("|---|---|---|---|---|")
    for model, shapes in SHAPES.items():
        n = max(1, round((500 if model == "A" else 20) * scale))
        for name, kwargs in CONFIGS:
            steps = {lib.__name__: make(lib, shapes, name, kwargs) for lib in (torch, ember)}
            times = {k: [] for k in steps}
            for s in steps.values():
                s()
            for _ in range(rounds):
                for k, s in steps.items():
                    t0 = time.perf_counter()
                    for _ in range(n):
                        s()
                    times[k].append((time.perf_counter() - t0) / n * 1e6)
            t = {k: statistics.median(v) for k, v in times.items()}
            opts = ",".join(f"{k}={v}" for k, v in kwargs.items())
            print(f"| {model} | {name}({opts}) | {t['torch']:.1f} | {t['ember']:.1f} | "
                  f"{t['ember'] / t['torch']:.2f} |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved repeats per row")
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds of a fifth as many steps (a rough check)")
    args = parser.parse_args()
    main(3 if args.quick else args.rounds, 0.2 if args.quick else 1.0)

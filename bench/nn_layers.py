"""Forward + backward time of losses, normalization and activations, Ember vs PyTorch.

Each case runs both libraries side by side in one process on the same data, interleaved,
and prints the median time per call and the ratio ember/torch (lower is better for Ember).

    python bench/nn_layers.py            # one thread
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as TF
from common import interleaved_medians

import ember
import ember.nn.functional as EF


def cases():
    rng = np.random.default_rng(0)

    def ce(n, c):
        x = rng.normal(size=(n, c)).astype(np.float32)
        y = rng.integers(0, c, n)
        return [x, y], lambda F, a, b: F.cross_entropy(a, b)

    def bn(n, c):
        x = rng.normal(size=(n, c)).astype(np.float32)
        w = np.ones(c, np.float32)
        return [x, w, w * 0], lambda F, a, w_, b_: F.batch_norm(a, None, None, w_, b_, True)

    def ln(n, c):
        x = rng.normal(size=(n, c)).astype(np.float32)
        w = np.ones(c, np.float32)
        return [x, w, w * 0], lambda F, a, w_, b_: F.layer_norm(a, (c,), w_, b_)

    def act(name, n, c):
        x = rng.normal(size=(n, c)).astype(np.float32)
        return [x], lambda F, a: getattr(F, name)(a)

    def emb(v, d, n):
        w = rng.normal(size=(v, d)).astype(np.float32)
        idx = rng.integers(0, v, n)
        return [idx, w], lambda F, i, w_: F.embedding(i, w_)

    yield "cross_entropy 64x10", *ce(64, 10)
    yield "cross_entropy 256x1000", *ce(256, 1000)
    yield "batch_norm 256x512", *bn(256, 512)
    yield "layer_norm 256x512", *ln(256, 512)
    yield "gelu 256x512", *act("gelu", 256, 512)
    yield "silu 256x512", *act("silu", 256, 512)
    yield "embedding 1000x64 [512]", *emb(1000, 64, 512)


def runner(lib, F, arrays, fn):
    args = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    leaves = [a for a in args if a.requires_grad]
    out = fn(F, *args)
    cot = lib.tensor(np.random.default_rng(1).normal(size=tuple(out.shape)).astype(np.float32))

    def step():
        for a in leaves:
            a.grad = None
        fn(F, *args).backward(cot)

    return step


def measure(step, seconds=0.2):
    step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return (time.perf_counter() - t0) / n


def main() -> None:
    torch.set_num_threads(1)
    ember.set_num_threads(1)
    print("| case | torch (us) | ember (us) | ember/torch |")
    print("|---|---|---|---|")
    for name, arrays, fn in cases():
        t_step, e_step = runner(torch, TF, arrays, fn), runner(ember, EF, arrays, fn)
        med = interleaved_medians({"torch": t_step, "ember": e_step}, 5, timer=measure)
        t, e = med["torch"] * 1e6, med["ember"] * 1e6
        print(f"| {name} | {t:.1f} | {e:.1f} | {e / t:.2f} |")


if __name__ == "__main__":
    main()

"""Recurrent training steps, Ember vs PyTorch, side by side in one process (not a test).

The language model of issue 13: Embedding(10000, 256) -> 2-layer LSTM(256, 256) ->
Linear(256, 10000) on 35 steps x batch 20 of token ids, cross-entropy over every position,
SGD (lr 1.0). A step is zero_grad, forward, loss, backward, optimizer step. The same model
with a GRU is the second workload, and the recurrent layer alone (forward + backward of
``output.sum()``) the third and fourth, to separate it from the decoder's 256 x 10000 products.

Both libraries get the same weights (torch's initialisation copied into Ember) and the same
batch; the first step's losses are checked equal before anything is timed. Times are medians
of interleaved rounds at 1 thread (``torch.set_num_threads(1)``, ``ember.set_num_threads(1)``;
NumPy's BLAS threads follow ``OPENBLAS_NUM_THREADS``, set to 1 here before NumPy loads).

    PYTHONPATH=src python bench/rnn.py [--rounds 9] [--inner 3] [--reference]

``--reference`` also times Ember's reference path (the ops-one-step-at-a-time layers that the
fused ones replaced) in the same rounds: the before/after of the fusion.

Measured 2026-12-03 (AMD EPYC, 2 vCPU shared, load average 12-13 throughout, 1 thread,
``--rounds 5 --inner 2 --reference``; absolute times are inflated by the load, the ratios
are side by side):

| workload | torch ms | ember ms | ember / torch | reference / torch |
|---|---|---|---|---|
| LSTM LM step | 1162 | 900 | 0.77 | 1.14 |
| LSTM layer fwd+bwd | 272 | 271 | 1.00 | 2.33 |
| GRU LM step | 1055 | 799 | 0.76 | 1.02 |
| GRU layer fwd+bwd | 308 | 238 | 0.77 | 1.78 |

(issue 13 measured the LSTM LM step at 2.17x torch on a quieter machine.) A profile of the
LSTM layer pass shows the matrix products at about 90% of Ember's time (the input projection,
the 35 recurrent products per layer and direction each way, the input and weight gradients);
the gate kernels take about 7% forward and 1% backward. torch runs this LSTM through oneDNN's
fused RNN primitive, hence the parity on the layer alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch

import ember

VOCAB, WIDTH, LAYERS, STEPS, BATCH = 10_000, 256, 2, 35, 20


class LanguageModel:
    """Embedding -> recurrent layer -> Linear, built from one library's ``nn``."""

    def __init__(self, lib, cell: str) -> None:
        nn = lib.nn
        self.lib = lib
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.rnn = getattr(nn, cell)(WIDTH, WIDTH, LAYERS)
        self.decoder = nn.Linear(WIDTH, VOCAB)
        self.modules = {"embed": self.embed, "rnn": self.rnn, "decoder": self.decoder}

    def parameters(self):
        return [p for m in self.modules.values() for p in m.parameters()]

    def __call__(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.decoder(out).reshape(-1, VOCAB)


def make_models(cell: str):
    torch.manual_seed(0)
    t = LanguageModel(torch, cell)
    e = LanguageModel(ember, cell)
    for name, module in t.modules.items():
        state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in module.state_dict().items()}
        e.modules[name].load_state_dict(state)
    return t, e


def make_step(lib, model, tokens, targets):
    opt = lib.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(tokens), targets)
        loss.backward()
        opt.step()
        return loss

    return step


def reference_path(fn):
    """``fn`` run with Ember's layers on their reference path (ops one step at a time)."""
    from ember.nn.modules import rnn as rnn_module

    def run():
        rnn_module._FUSED = False
        try:
            return fn()
        finally:
            rnn_module._FUSED = True

    return run


def make_layer_pass(lib, rnn, x):
    def run():
        for p in rnn.parameters():
            p.grad = None
        out, _ = rnn(x)
        out.sum().backward()

    return run


def workloads(cell: str, reference: bool):
    """(label, {'torch': fn, 'ember': fn}) for the LM step and the layer alone."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (STEPS, BATCH))
    targets = rng.integers(0, VOCAB, STEPS * BATCH)
    t_model, e_model = make_models(cell)
    t_step = make_step(torch, t_model, torch.tensor(tokens), torch.tensor(targets))
    e_step = make_step(ember, e_model, ember.tensor(tokens), ember.tensor(targets))
    t_loss, e_loss = t_step().item(), e_step().item()
    if abs(t_loss - e_loss) > 1e-5 * abs(t_loss):
        raise SystemExit(f"{cell} LM: losses differ before timing: torch {t_loss}, "
                         f"ember {e_loss}")
    x = rng.standard_normal((STEPS, BATCH, WIDTH)).astype(np.float32)
    t_layer = make_layer_pass(torch, t_model.rnn, torch.tensor(x, requires_grad=True))
    e_layer = make_layer_pass(ember, e_model.rnn, ember.tensor(x, requires_grad=True))
    cases = [(f"{cell} LM step", {"torch": t_step, "ember": e_step}),
             (f"{cell} layer fwd+bwd", {"torch": t_layer, "ember": e_layer})]
    if reference:
        for _, fns in cases:
            fns["reference"] = reference_path(fns["ember"])
    return cases


def time_inner(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--inner", type=int, default=3)
    parser.add_argument("--cells", default="LSTM,GRU")
    parser.add_argument("--reference", action="store_true",
                        help="also time Ember's reference path (the layers before fusion)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ember.set_num_threads(1)
    model = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in model.splitlines()
                  if line.startswith("Model name")), "unknown")
    print(f"cpu: {model}; load average before: {os.getloadavg()}")
    ref = args.reference
    print("| workload | torch ms | ember ms | ember / torch |" +
          (" reference ms | reference / torch |" if ref else ""))
    print("|---|---|---|---|" + ("---|---|" if ref else ""))
    for cell in args.cells.split(","):
        for label, fns in workloads(cell, ref):
            for fn in fns.values():  # warm up: compilation, allocator
                time_inner(fn, 2)
            times = {k: [] for k in fns}
            for _ in range(args.rounds):
                for k, fn in fns.items():
                    times[k].append(time_inner(fn, args.inner))
            med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
            t, e = med["torch"], med["ember"]
            extra = f" {med['reference']:.2f} | {med['reference'] / t:.2f} |" if ref else ""
            print(f"| {label} | {t:.2f} | {e:.2f} | {e / t:.2f} |{extra}", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())

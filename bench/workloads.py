"""The five training steps of issue 13, Ember vs PyTorch, side by side in one process.

Each model is written once below against a library namespace (``build(lib, cfg)`` with ``lib``
``torch`` or ``ember``), so the same code builds it in both libraries. Ember's weights and
buffers are copied from torch's; with dropout switched off, the losses of the first two steps
are checked equal (the second one after an optimizer step) before anything is timed. A step is
zero_grad, forward, loss, backward, optimizer step on one fixed batch; steps of the two
libraries are timed in interleaved rounds and the medians are printed with their ratio, by
the wall clock and by the process's CPU time (at 1 thread the CPU time is the cost of a step
even on a loaded machine, where the wall clock also counts the waits for a core).

* ``cnn``: the digits CNN of ``python -m ember train --model cnn`` (8x8 images, Adam, dropout
  0.2), batch 64;
* ``gpt``: a small GPT (4 layers, 128 wide, 4 heads, vocabulary 65, SDPA, GELU), AdamW, batch
  16, context 64;
* ``lstm``: a word language model (embedding 10k x 256, 2 x LSTM 256, tied to nothing), SGD,
  sequence 35, batch 20;
* ``resnet``: stem conv + 3 stages of 2 basic blocks with BatchNorm (16/32/64 channels) on
  3x32x32, SGD with momentum, batch 32;
* ``mlp``: 784-512-512-10 with Dropout(0.5), SGD, batch 256.

The peak memory of one step is measured for ``cnn`` and ``resnet``: for Ember with
``tracemalloc`` (NumPy reports its array buffers to it; arrays allocated inside Numba kernels
are not seen, so the number of such allocations in the step is printed beside it), for torch
from the profiler's memory events (``profile_memory=True``: every allocation and release of
torch's CPU allocator, summed in time order). Both count only blocks allocated during the step.
A library-neutral cross-check follows: the growth of the process's resident high-water mark
over one step of each library (after ``malloc_trim`` and a reset of the mark).

Each thread count runs in its own subprocess (OpenBLAS fixes its threads when it starts).

    python bench/workloads.py                      # 1 and 2 threads
    python bench/workloads.py --threads 1 --workloads cnn,resnet
    python bench/workloads.py --quick              # tiny batches, one round (a smoke run)
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from common import cpu_model, load_average, markdown_header, markdown_row, thread_env


@dataclasses.dataclass(frozen=True)
class Workload:
    """One training workload: its model, data, loss and optimizer, written once for both libraries.

    ``build(lib, batch)`` returns the model, ``data(rng, batch)`` the NumPy arrays of one batch
    (the last one is the target), ``loss(lib, model, *tensors)`` the scalar loss and
    ``optimizer(lib, params)`` the optimizer.
    """

    title: str
    batch: int
    quick_batch: int
    build: Callable
    data: Callable
    loss: Callable
    optimizer: Callable
    memory: bool = False


def classify(lib, model, x, y):
    return lib.nn.functional.cross_entropy(model(x), y)


# ---- (a) the digits CNN of `python -m ember train --model cnn` (ember.training.build_model)

def build_cnn(lib, batch):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.2),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(64, 10),
    )


def data_cnn(rng, batch):
    return rng.random((batch, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, batch)


# ---- (b) a small GPT

VOCAB, WIDTH, LAYERS, HEADS, CONTEXT = 65, 128, 4, 4, 64


def build_gpt(lib, batch):
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(WIDTH)
            self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
            self.proj = nn.Linear(WIDTH, WIDTH)
            self.ln2 = nn.LayerNorm(WIDTH)
            self.fc = nn.Linear(WIDTH, 4 * WIDTH)
            self.out = nn.Linear(4 * WIDTH, WIDTH)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(WIDTH, dim=2)
            q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).contiguous().view(b, t, c))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, WIDTH)
            self.pos = nn.Embedding(CONTEXT, WIDTH)
            self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
            self.ln = nn.LayerNorm(WIDTH)
            self.head = nn.Linear(WIDTH, VOCAB, bias=False)

        def forward(self, idx):
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln(x))

    return GPT()


def data_gpt(rng, batch):
    tokens = rng.integers(0, VOCAB, (batch, CONTEXT + 1))
    return tokens[:, :-1], tokens[:, 1:]


def sequence_loss(lib, model, x, y):
    logits = model(x)
    return lib.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


# ---- (c) an LSTM language model

WORDS, HIDDEN, SEQ = 10_000, 256, 35


def build_lstm(lib, batch):
    nn = lib.nn

    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(WORDS, HIDDEN)
            self.lstm = nn.LSTM(HIDDEN, HIDDEN, num_layers=2)
            self.head = nn.Linear(HIDDEN, WORDS)

        def forward(self, idx):  # (seq, batch) -> (seq, batch, words)
            out, _ = self.lstm(self.embed(idx))
            return self.head(out)

    return LanguageModel()


def data_lstm(rng, batch):
    tokens = rng.integers(0, WORDS, (SEQ + 1, batch))
    return tokens[:-1], tokens[1:]


# ---- (d) a ResNet-style conv net on 3x32x32

def build_resnet(lib, batch):
    nn, F = lib.nn, lib.nn.functional

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.short = nn.Sequential()
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                           nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + self.short(x))

    layers = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def data_resnet(rng, batch):
    return rng.standard_normal((batch, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, batch)


# ---- (e) the MLP of bench/train_step.py (model B)

def build_mlp(lib, batch):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(512, 10))


def data_mlp(rng, batch):
    return rng.standard_normal((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)


WORKLOADS = {
    "cnn": Workload("digits CNN, batch 64, Adam", 64, 8, build_cnn, data_cnn, classify,
                    lambda lib, ps: lib.optim.Adam(ps, lr=1e-3), memory=True),
    "gpt": Workload("GPT 4x128, batch 16 x 64, AdamW", 16, 2, build_gpt, data_gpt,
                    sequence_loss, lambda lib, ps: lib.optim.AdamW(ps, lr=3e-4)),
    "lstm": Workload("LSTM LM 2x256, batch 20 x 35, SGD", 20, 2, build_lstm, data_lstm,
                     sequence_loss, lambda lib, ps: lib.optim.SGD(ps, lr=1.0)),
    "resnet": Workload("ResNet 16/32/64, batch 32, SGD momentum", 32, 4, build_resnet,
                       data_resnet, classify,
                       lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9,
                                                     weight_decay=5e-4), memory=True),
    "mlp": Workload("MLP 784-512-512-10, batch 256, SGD", 256, 16, build_mlp, data_mlp,
                    classify, lambda lib, ps: lib.optim.SGD(ps, lr=0.1)),
}


def make_step(lib, workload: Workload, model, arrays):
    """The training step of ``model`` in ``lib`` on the batch ``arrays``; returns the loss."""
    tensors = [lib.tensor(a) for a in arrays]
    opt = workload.optimizer(lib, model.parameters())

    def step():
        opt.zero_grad()
        loss = workload.loss(lib, model, *tensors)
        loss.backward()
        opt.step()
        return loss

    return step


def set_dropout(model, p: float) -> list:
    """Sets ``p`` of every dropout layer of ``model``; returns the layers with their old ``p``."""
    layers = [(m, m.p) for m in model.modules() if type(m).__name__.startswith("Dropout")]
    for m, _ in layers:
        m.p = p
    return layers


def make_pair(name: str, quick: bool = False, libs=("torch", "ember")) -> dict:
    """The steps of workload ``name`` in each library of ``libs`` (Ember's weights torch's).

    With both libraries, the losses of two steps without dropout are checked equal first
    (``SystemExit`` if they differ) and returned under ``"losses"``. Ember alone
    (``libs=("ember",)``) initialises its own weights and never imports torch.
    """
    import ember

    mods = {"ember": ember}
    if "torch" in libs:
        import torch

        mods["torch"] = torch
        torch.manual_seed(0)
    ember.manual_seed(0)
    workload = WORKLOADS[name]
    batch = workload.quick_batch if quick else workload.batch
    models = {lib: workload.build(mods[lib], batch) for lib in libs}
    if "torch" in models:
        models["ember"].load_state_dict({k: ember.tensor(v.detach().numpy())
                                         for k, v in models["torch"].state_dict().items()})
    arrays = workload.data(np.random.default_rng(0), batch)
    steps = {lib: make_step(mods[lib], workload, models[lib], arrays) for lib in libs}
    result: dict = {"steps": steps}
    if "torch" in models:
        result["losses"] = check_losses(steps, models)
    return result


def check_losses(steps: dict, models: dict) -> list:
    """The two libraries' losses of two steps with dropout off; exits if they differ.

    The first loss is held to float32 rounding of the forward (relative 1e-4); the second one,
    after an update that Adam's normalisation can scale from rounding-level gradient
    differences, to 1e-3.
    """
    saved = [layer for m in models.values() for layer in set_dropout(m, 0.0)]
    losses = []
    for tol in (1e-4, 1e-3):
        t, e = (float(steps[lib]().item()) for lib in ("torch", "ember"))
        if not abs(e - t) <= tol * max(1.0, abs(t)):
            raise SystemExit(f"losses differ: torch {t!r}, ember {e!r}")
        losses.append((t, e))
    for layer, p in saved:
        layer.p = p
    return losses


def time_steps(steps: dict, rounds: int, min_round: float = 0.05, cpu: dict | None = None) -> dict:
    """Median wall-clock seconds per step of each of ``steps``, over interleaved rounds.

    Two warm-up steps each (compilation, allocator); a round runs as many steps of each as
    make ``min_round`` seconds for the slowest one, at least one. ``cpu``, if given, receives
    the median CPU seconds of the process per step (all its threads, spinning ones included):
    at 1 thread the cost of a step whatever else the machine runs, which the wall clock of a
    loaded machine is not.
    """
    warm = {}
    for k, step in steps.items():
        step()
        t0 = time.perf_counter()
        step()
        warm[k] = time.perf_counter() - t0
    n = max(1, int(min_round / max(warm.values())))
    times: dict = {k: [] for k in steps}
    cpu_times: dict = {k: [] for k in steps}
    for _ in range(rounds):
        for k, step in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(n):
                step()
            times[k].append((time.perf_counter() - t0) / n)
            cpu_times[k].append((time.process_time() - c0) / n)
    if cpu is not None:
        cpu.update({k: statistics.median(v) for k, v in cpu_times.items()})
    return {k: statistics.median(v) for k, v in times.items()}


def torch_step_peak(step) -> int:
    """Peak bytes of torch's CPU allocator during ``step()`` (blocks allocated in it only)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]")
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    return peak


def ember_step_peak(step) -> tuple[int, int]:
    """Peak bytes NumPy allocated during ``step()`` (tracemalloc), and Numba's allocations."""
    from numba.core.runtime import _nrt_python, rtsys

    _nrt_python.memsys_enable_stats()
    gc.collect()
    nrt_before = rtsys.get_allocation_stats().alloc
    tracemalloc.start()
    try:
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, rtsys.get_allocation_stats().alloc - nrt_before


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def rss_step_peak(step) -> int | None:
    """Growth of the resident set's high-water mark over ``step()``, in bytes (Linux only).

    Freed heap memory is handed back to the kernel first (``malloc_trim``) and the high-water
    mark reset (``/proc/self/clear_refs``), so the figure is the pages the step touched beyond
    what was live before it, whichever library allocated them (NumPy, Numba or torch).
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        gc.collect()
        libc.malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _status_kib("VmRSS")
        step()
        return (_status_kib("VmHWM") - before) * 1024
    except (OSError, StopIteration):
        return None


def run_child(threads: int, names: list, rounds: int, quick: bool) -> None:
    """Times ``names`` at ``threads`` threads in this process; prints one JSON line each."""
    import torch

    import ember

    torch.set_num_threads(threads)
    ember.set_num_threads(threads)
    for name in names:
        pair = make_pair(name, quick)
        cpu: dict = {}
        t = time_steps(pair["steps"], rounds, cpu=cpu)
        row = {"name": name, "threads": threads, "torch_ms": t["torch"] * 1e3,
               "ember_ms": t["ember"] * 1e3, "torch_cpu_ms": cpu["torch"] * 1e3,
               "ember_cpu_ms": cpu["ember"] * 1e3, "losses": pair["losses"],
               "load": load_average()}
        if WORKLOADS[name].memory:
            row["torch_peak"] = torch_step_peak(pair["steps"]["torch"])
            row["ember_peak"], row["nrt_allocs"] = ember_step_peak(pair["steps"]["ember"])
            row["torch_rss"] = rss_step_peak(pair["steps"]["torch"])
            row["ember_rss"] = rss_step_peak(pair["steps"]["ember"])
        print(json.dumps(row), flush=True)


def run_children(script: str, threads_list: list, extra: list, env_extra=None) -> list:
    """Runs ``script --child T extra...`` per thread count; returns the JSON rows they print."""
    rows = []
    for threads in threads_list:
        env = dict(thread_env(threads), **(env_extra or {}))
        out = subprocess.run([sys.executable, script, "--child", str(threads), *extra],
                             env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
        rows += [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return rows


def print_tables(rows: list) -> None:
    print(markdown_header(["workload", "threads", "torch ms/step", "ember ms/step",
                           "ember/torch", "torch CPU ms/step", "ember CPU ms/step",
                           "ember/torch (CPU)", "first loss torch", "first loss ember", "load"]))
    for r in rows:
        (t0, e0), _ = r["losses"]
        print(markdown_row([r["name"], r["threads"], r["torch_ms"], r["ember_ms"],
                            f"{r['ember_ms'] / r['torch_ms']:.2f}", r["torch_cpu_ms"],
                            r["ember_cpu_ms"], f"{r['ember_cpu_ms'] / r['torch_cpu_ms']:.2f}",
                            f"{t0:.6f}", f"{e0:.6f}", r["load"]]))
    mem = [r for r in rows if "torch_peak" in r]
    if mem:
        print()
        print(markdown_header(["workload", "threads", "torch peak MiB (profiler)",
                               "ember peak MiB (tracemalloc)", "ember/torch",
                               "Numba allocations in the step", "torch RSS growth MiB",
                               "ember RSS growth MiB", "ember/torch (RSS)"]))
        for r in mem:
            rss = [r["torch_rss"], r["ember_rss"]]
            rss_cells = (["n/a"] * 3 if None in rss else
                         [rss[0] / 2**20, rss[1] / 2**20, f"{rss[1] / max(rss[0], 1):.2f}"])
            print(markdown_row([r["name"], r["threads"], r["torch_peak"] / 2**20,
                                r["ember_peak"] / 2**20,
                                f"{r['ember_peak'] / max(r['torch_peak'], 1):.2f}",
                                r["nrt_allocs"], *rss_cells]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (7; 1 quick)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny batches and one round: a smoke run, not a measurement")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.names = [n for n in args.workloads.split(",") if n]
    unknown = set(args.names) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)} (choose from {list(WORKLOADS)})")
    if args.rounds is None:
        args.rounds = 1 if args.quick else 7
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child is not None:
        run_child(args.child, args.names, args.rounds, args.quick)
        return
    print(f"CPU: {cpu_model()}; load average before: {load_average()}; "
          f"{'quick (tiny batches)' if args.quick else 'full batches'}, median of "
          f"{args.rounds} interleaved rounds", flush=True)
    extra = ["--workloads", ",".join(args.names), "--rounds", str(args.rounds)]
    extra += ["--quick"] if args.quick else []
    rows = run_children(__file__, [int(t) for t in args.threads.split(",")], extra)
    print_tables(rows)
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()

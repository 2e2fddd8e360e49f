"""Ember alone at 1 and 2 threads on the five workloads, with and without a competing process.

The workloads are those of ``bench/workloads.py`` (imported from it). Each configuration
(thread count, competitor or not) runs in its own subprocess with ``ember.set_num_threads`` and
the BLAS thread variables set, and Ember's training steps are timed there (medians of rounds).
The competitor is one busy process this script starts itself (a pure Python spin loop, one
core's worth of load) before the configurations that want it and kills afterwards. The goal of
issue 13: the ratio 2-thread / 1-thread is never above 1, with or without the competitor.

Each pass runs the configurations in order (1 then 2 threads) and the next pass in reverse,
so a drift of the machine's load charges both thread counts alike; the medians over passes
are printed, with the load average.

    python bench/threads.py                          # all five workloads, 2 passes
    python bench/threads.py --workloads gpt,lstm --passes 3
    python bench/threads.py --quick                  # tiny batches, one round (a smoke run)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from contextlib import contextmanager

from common import cpu_model, load_average, markdown_header, markdown_row, thread_env
from workloads import WORKLOADS, make_pair, time_steps

# A pure Python spin loop that ends by itself once its parent is gone (were this script killed
# before its cleanup, the spinner would otherwise load the machine for ever).
SPIN = """
import os, sys
parent = int(sys.argv[1])
while os.getppid() == parent:
    for _ in range(1_000_000):
        pass
"""


@contextmanager
def competitor(busy: bool):
    """Runs one busy Python process for the duration of the block (if ``busy``)."""
    proc = subprocess.Popen([sys.executable, "-c", SPIN, str(os.getpid())]) if busy else None
    try:
        yield proc
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


def run_child(threads: int, names: list, rounds: int, quick: bool) -> None:
    """Times Ember's steps of ``names`` at ``threads`` threads; one JSON line per workload."""
    import ember

    ember.set_num_threads(threads)
    for name in names:
        step = make_pair(name, quick, libs=("ember",))["steps"]["ember"]
        t = time_steps({"ember": step}, rounds)["ember"]
        print(json.dumps({"name": name, "threads": threads, "ms": t * 1e3,
                          "load": load_average()}), flush=True)


def child_rows(threads: int, names: list, rounds: int, quick: bool) -> list:
    args = [sys.executable, __file__, "--child", str(threads), "--workloads", ",".join(names),
            "--rounds", str(rounds), *(["--quick"] if quick else [])]
    out = subprocess.run(args, env=thread_env(threads), check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {','.join(WORKLOADS)}")
    parser.add_argument("--passes", type=int, default=None, help="passes (2; 1 quick)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds per step time (5; 1 quick)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny batches, one pass of one round: a smoke run")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.names = [n for n in args.workloads.split(",") if n]
    unknown = set(args.names) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)} (choose from {list(WORKLOADS)})")
    args.passes = args.passes or (1 if args.quick else 2)
    args.rounds = args.rounds or (1 if args.quick else 5)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child is not None:
        run_child(args.child, args.names, args.rounds, args.quick)
        return
    print(f"CPU: {cpu_model()}; load average before: {load_average()}; Ember alone; "
          f"{'quick (tiny batches)' if args.quick else 'full batches'}; median of "
          f"{args.passes} passes of {args.rounds} rounds", flush=True)
    times: dict = {}  # (busy, name, threads) -> [ms, ...]
    loads: dict = {}
    for busy in (False, True):
        with competitor(busy):
            for k in range(args.passes):
                for threads in ((1, 2) if k % 2 == 0 else (2, 1)):
                    for row in child_rows(threads, args.names, args.rounds, args.quick):
                        times.setdefault((busy, row["name"], threads), []).append(row["ms"])
                        loads.setdefault(busy, []).append(float(row["load"].split(",")[0]))
    print(markdown_header(["workload", "competing busy process", "ember ms/step 1 thread",
                           "ember ms/step 2 threads", "2 threads / 1 thread"]))
    for busy in (False, True):
        for name in args.names:
            one, two = (statistics.median(times[(busy, name, t)]) for t in (1, 2))
            print(markdown_row([name, "yes" if busy else "no", one, two, f"{two / one:.2f}"]))
    for busy in (False, True):
        print(f"1-minute load averages seen {'with' if busy else 'without'} the competitor: "
              f"{min(loads[busy]):.2f}-{max(loads[busy]):.2f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()

"""DataLoader worker processes (num_workers > 0) against num_workers=0 and torch's DataLoader.

Workers start slowly, so the datasets are tiny and most loaders use one or two workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from torch.utils.data._utils.worker import _generate_state as torch_numpy_seed_state

import ember
import ember.utils.data as eud

from .test_dataloader import MixedDataset, assert_same, canon


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids, seconds=5.0) -> list[int]:
    """The pids still alive after waiting up to ``seconds`` for them to exit."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def base_seed_of(generator_seed: int) -> int:
    """The base_seed an iterator draws first from a generator seeded with generator_seed."""
    g = ember.Generator().manual_seed(generator_seed)
    return int(ember.empty((), dtype=ember.int64).random_(generator=g).item())


class WorkerReport(eud.Dataset):
    """Sample i is what the worker loading it knows: id, seed, first draws of its RNGs, pid."""

    def __init__(self, n=2):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = eud.get_worker_info()
        return {"i": i, "id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "dataset_is_self": info.dataset is self, "random": random.random(),
                "numpy": float(np.random.random()), "ember_seed": ember.initial_seed(),
                "pid": os.getpid(), "init": list(_INIT_CALLS)}


class TorchWorkerReport(tud.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        info = tud.get_worker_info()
        return {"id": info.id, "seed": info.seed, "pid": os.getpid()}


_INIT_CALLS: list = []  # filled in the workers by record_init


def record_init(worker_id):
    info = eud.get_worker_info()
    _INIT_CALLS.append((worker_id, info.id, info.num_workers, info.seed))


def report(loader):
    """The samples of one epoch of a batch_size=None WorkerReport loader, as plain values."""
    return [{k: (v.item() if isinstance(v, ember.Tensor) else v) for k, v in s.items()}
            for s in loader]


# -- same batches as num_workers=0, and as torch -------------------------------------------------

@pytest.mark.parametrize("shuffle, drop_last", [(False, False), (True, False), (True, True)])
def test_map_batches_identical_to_single_process(shuffle, drop_last):
    ds = eud.TensorDataset(ember.arange(23), ember.randn(23, 2))

    def epochs(num_workers, n=2):
        loader = eud.DataLoader(ds, batch_size=4, shuffle=shuffle, drop_last=drop_last,
                                num_workers=num_workers,
                                generator=ember.Generator().manual_seed(7))
        return [[canon(b) for b in loader] for _ in range(n)]

    single, multi = epochs(0), epochs(2)
    assert multi == single
    assert len(single[0]) == (5 if drop_last else 6)
    if shuffle:
        assert single[0] != single[1]  # each epoch reshuffles, with or without workers


def test_default_generator_draws_are_the_same_with_and_without_workers():
    ds = eud.TensorDataset(ember.arange(10))
    orders = []
    for num_workers in (0, 2):
        ember.manual_seed(3)
        loader = eud.DataLoader(ds, batch_size=3, shuffle=True, num_workers=num_workers)
        orders.append([b[0].tolist() for b in loader] + ember.rand(2).tolist())
    assert orders[0] == orders[1]


@pytest.mark.parametrize("batch_size", [3, None])
def test_map_dataset_matches_torch(batch_size):
    ours = eud.DataLoader(MixedDataset(ember), batch_size=batch_size, num_workers=2)
    theirs = tud.DataLoader(MixedDataset(torch), batch_size=batch_size, num_workers=2)
    ours_b, theirs_b = list(ours), list(theirs)
    assert len(ours_b) == len(theirs_b) == len(theirs)
    for a, b in zip(ours_b, theirs_b, strict=True):
        assert_same(a, b)


def test_custom_collate_and_batch_sampler_match_torch():
    def collate(batch):
        return [int(s[0]) * 10 for s in batch]

    batches = [[4, 1], [0], [2, 3, 5], [5, 5]]
    ours = eud.DataLoader(eud.TensorDataset(ember.arange(6)), batch_sampler=batches,
                          collate_fn=collate, num_workers=2)
    theirs = tud.DataLoader(tud.TensorDataset(torch.arange(6)), batch_sampler=batches,
                            collate_fn=collate, num_workers=2)
    assert list(ours) == list(theirs) == [[40, 10], [0], [20, 30, 50], [50, 50]]


class SlowFirst(eud.Dataset):
    """Sample 0 takes half a second: worker 1's samples are ready before it."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 0:
            time.sleep(0.5)
        return i


def test_results_wait_for_their_turn_unless_in_order_is_false():
    ordered = [int(x) for x in eud.DataLoader(SlowFirst(), batch_size=None, num_workers=2)]
    assert ordered == list(range(6))
    unordered = [int(x) for x in eud.DataLoader(SlowFirst(), batch_size=None, num_workers=2,
                                                in_order=False)]
    assert sorted(unordered) == list(range(6)) and unordered[0] != 0


# -- IterableDataset ------------------------------------------------------------------------------

class _Shards:
    """Worker w yields w, w + W, w + 2W, ... up to n + 3w: shards of unequal length."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = self.worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n + 3 * info.id, info.num_workers))


class Shards(_Shards, eud.IterableDataset):
    worker_info = staticmethod(eud.get_worker_info)


class TorchShards(_Shards, tud.IterableDataset):
    worker_info = staticmethod(tud.get_worker_info)


@pytest.mark.parametrize("n, shard, batch_size, drop_last",
                         [(13, True, 2, False), (13, True, 2, True), (5, False, 2, False),
                          (7, True, None, False)])
def test_iterable_dataset_interleaves_workers_as_torch(n, shard, batch_size, drop_last):
    ours = eud.DataLoader(Shards(n, shard), batch_size=batch_size, drop_last=drop_last,
                          num_workers=2)
    theirs = tud.DataLoader(TorchShards(n, shard), batch_size=batch_size, drop_last=drop_last,
                            num_workers=2)
    ours_b, theirs_b = list(ours), list(theirs)
    assert [canon(b) for b in ours_b] == [canon(b) for b in theirs_b]
    if shard and batch_size == 2 and not drop_last:
        assert [b.tolist() for b in ours_b] == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9, 11],
                                                [12], [13, 15]]


def test_iterable_dataset_persistent_workers_restart_each_epoch():
    loader = eud.DataLoader(Shards(9), batch_size=2, num_workers=2, persistent_workers=True)
    first, second = [[b.tolist() for b in loader] for _ in range(2)]
    assert first == second == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9, 11]]


# -- worker_init_fn, get_worker_info and seeds ----------------------------------------------------

def test_worker_init_fn_runs_once_per_worker_with_worker_info():
    loader = eud.DataLoader(WorkerReport(4), batch_size=None, num_workers=2,
                            worker_init_fn=record_init, generator=ember.Generator().manual_seed(1))
    samples = report(loader)
    base = base_seed_of(1)
    assert [s["id"] for s in samples] == [0, 1, 0, 1]  # tasks go to the workers in turn
    for s in samples:
        w = s["id"]
        assert s["init"] == [[w, w, 2, base + w]]  # once, after the worker info is set
        assert s["num_workers"] == 2 and s["dataset_is_self"]
    assert eud.get_worker_info() is None and _INIT_CALLS == []  # nothing in the main process


def test_worker_seeds_follow_torchs_rule():
    loader = eud.DataLoader(WorkerReport(), batch_size=None, num_workers=2,
                            generator=ember.Generator().manual_seed(42))
    samples = report(loader)
    base = base_seed_of(42)
    for w, s in enumerate(samples):
        seed = base + w
        assert s["id"] == w and s["seed"] == seed and s["ember_seed"] == seed
        assert s["random"] == random.Random(seed).random()
        # numpy.random is seeded with torch's hash of (base_seed, worker id)
        expected = np.random.RandomState(torch_numpy_seed_state(base, w)).random_sample()
        assert s["numpy"] == expected
    def without_pids(samples):
        return [{k: v for k, v in s.items() if k != "pid"} for s in samples]

    assert without_pids(report(loader)) != without_pids(samples)  # a new base_seed per epoch
    again = eud.DataLoader(WorkerReport(), batch_size=None, num_workers=2,
                           generator=ember.Generator().manual_seed(42))
    assert without_pids(report(again)) == without_pids(samples)


def test_worker_seeds_qualitatively_as_torch():
    """Seeds differ by the worker id, and a seeded generator (ember's or torch's) fixes them."""
    ember.manual_seed(5)
    ours = [s["seed"] for s in report(eud.DataLoader(WorkerReport(), batch_size=None,
                                                     num_workers=2))]
    torch.manual_seed(5)
    theirs = [int(s["seed"]) for s in tud.DataLoader(TorchWorkerReport(), batch_size=None,
                                                     num_workers=2)]
    assert ours[1] - ours[0] == theirs[1] - theirs[0] == 1
    ember.manual_seed(5)
    expected = int(ember.empty((), dtype=ember.int64).random_().item())
    assert ours[0] == expected  # drawn from the default generator without a loader generator
    torch.manual_seed(5)
    assert [int(s["seed"]) for s in tud.DataLoader(TorchWorkerReport(), batch_size=None,
                                                   num_workers=2)] == theirs


def test_persistent_workers_reuse_processes_and_seeds():
    persistent = eud.DataLoader(WorkerReport(), batch_size=None, num_workers=2,
                                persistent_workers=True)
    first, second = report(persistent), report(persistent)
    pids = [s["pid"] for s in first]
    assert len(set(pids)) == 2 and [s["pid"] for s in second] == pids
    assert [s["seed"] for s in second] == [s["seed"] for s in first]  # seeded once, as torch
    assert all(alive(p) for p in pids)
    del persistent
    gc.collect()
    assert wait_gone(pids) == []

    fresh = eud.DataLoader(WorkerReport(), batch_size=None, num_workers=2)
    a, b = report(fresh), report(fresh)
    assert not {s["pid"] for s in a} & {s["pid"] for s in b}
    assert [s["seed"] for s in a] != [s["seed"] for s in b]


# -- errors, dead workers and shutdown ------------------------------------------------------------

class Faulty(eud.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise ValueError(f"bad index {i}")
        return i


class TorchFaulty(tud.Dataset):
    __len__ = Faulty.__len__
    __getitem__ = Faulty.__getitem__


def test_worker_exception_is_reraised_with_the_worker_traceback():
    def epoch(lib, ds):
        """The batches and errors of one epoch: the iterator goes on after an error."""
        it = iter(lib.DataLoader(ds, batch_size=2, num_workers=2))
        batches, errors = [], []
        while True:
            try:
                batches.append(next(it).tolist())
            except StopIteration:
                return batches, errors
            except ValueError as e:
                errors.append(str(e).splitlines())

    (ours_b, (ours,)), (theirs_b, (theirs,)) = epoch(eud, Faulty()), epoch(tud, TorchFaulty())
    assert ours_b == theirs_b == [[0, 1], [2, 3]]
    assert ours[:2] == theirs[:2] == ["Caught ValueError in DataLoader worker process 0.",
                                      "Original Traceback (most recent call last):"]
    assert ours[-1] == theirs[-1] == "ValueError: bad index 4"
    assert any("in __getitem__" in line for line in ours)


def failing_init(worker_id):
    raise KeyError(f"no shard for worker {worker_id}")


def test_worker_init_fn_exception_is_reraised():
    loader = eud.DataLoader(range(4), batch_size=2, num_workers=1, worker_init_fn=failing_init)
    with pytest.raises(KeyError) as info:
        next(iter(loader))
    text = str(info.value)  # KeyError shows its message as is, not its repr
    assert text.startswith("Caught KeyError in DataLoader worker process 0.\nOriginal Traceback")
    assert text.endswith("KeyError: 'no shard for worker 0'\n")


class Unpicklable(eud.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        if i == 0:
            return lambda: i
        return ember.ones(2, requires_grad=True) * 2  # not a leaf: cannot cross, as in torch


def test_a_batch_that_cannot_be_sent_raises_instead_of_hanging():
    it = iter(eud.DataLoader(Unpicklable(), batch_size=None, num_workers=1, timeout=20))
    with pytest.raises(Exception, match="in DataLoader worker process 0") as first:
        next(it)
    assert "lambda" in str(first.value)
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        next(it)


def test_tensors_cross_with_values_dtype_and_requires_grad():
    class Leaf(eud.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return ember.tensor([[1.5, -2.0]], dtype=ember.float64).requires_grad_()

    (got,) = list(eud.DataLoader(Leaf(), batch_size=None, num_workers=1))
    assert got.dtype == ember.float64 and got.requires_grad and got.tolist() == [[1.5, -2.0]]


class Stalls(eud.Dataset):
    """Index 0 answers at once with the worker's pid; the others stall."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i > 0:
            time.sleep(20)
        return os.getpid()


def test_killed_worker_raises_within_the_timeout():
    it = iter(eud.DataLoader(Stalls(), batch_size=None, num_workers=2, timeout=10))
    pid = int(next(it))
    os.kill(pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"DataLoader worker \(pid\(s\) {pid}\) exited "
                                           "unexpectedly"):
        next(it)
    assert time.monotonic() - start < 5  # noticed by polling, well before the timeout


def test_timeout_raises_torchs_error():
    it = iter(eud.DataLoader(Stalls(), batch_size=None, num_workers=1, timeout=0.4))
    next(it)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0\.4 seconds$"):
        next(it)
    assert 0.3 < time.monotonic() - start < 3


def test_no_worker_left_after_exhaustion_or_deletion():
    loader = eud.DataLoader(WorkerReport(6), batch_size=None, num_workers=2)
    done = report(loader)  # exhausted: the workers are shut down at once
    assert wait_gone({s["pid"] for s in done}, seconds=0.5) == []

    it = iter(eud.DataLoader(Stalls(), batch_size=None, num_workers=2))
    pid = int(next(it))
    assert alive(pid)
    del it  # mid-epoch, with a worker stuck in __getitem__
    gc.collect()
    assert wait_gone([pid]) == []
    assert pid not in [p.pid for p in multiprocessing.active_children()]

    # freed by the garbage collector together with its queues, whose sending threads are then
    # stopped before the iterator's final messages go out: the workers see the shutdown anyway
    it = iter(eud.DataLoader(WorkerReport(4), batch_size=None, num_workers=2))
    pids = {s["pid"] for s in report([next(it), next(it)])}
    cycle = [it]
    cycle.append(cycle)
    del it, cycle
    gc.collect()
    assert wait_gone(pids) == []


_EXIT_SCRIPT = """
import os, signal, sys
import ember
from ember.utils.data import DataLoader, Dataset

class Pid(Dataset):
    def __len__(self):
        return 100
    def __getitem__(self, i):
        return os.getpid()

persistent = DataLoader(Pid(), batch_size=None, num_workers=2, persistent_workers=True)
live = iter(DataLoader(Pid(), batch_size=None, num_workers=1))
pids = {int(x) for x, _ in zip(persistent, range(4))} | {int(next(live))}
print(" ".join(map(str, sorted(pids))), flush=True)
if sys.argv[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_workers_end_when_the_main_program_ends(how):
    """On a normal exit multiprocessing stops the workers; if the main process is killed, they
    notice that their parent is gone and exit by themselves."""
    out = subprocess.run([sys.executable, "-c", _EXIT_SCRIPT, how], capture_output=True,
                         text=True, timeout=120)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 3, out.stderr
    assert wait_gone(pids) == []


def test_fork_after_parallel_kernels_does_not_break_workers():
    """Numba's OpenMP layer aborts a forked child that runs a parallel kernel after its parent
    did; workers run one compute thread, hence the serial kernels, with the same values."""
    ember.rand(1 << 20)  # loads the kernels and runs a parallel one in this process

    class Draws(eud.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return eud.get_worker_info().seed, ember.rand(1 << 16)

    for seed, values in eud.DataLoader(Draws(), batch_size=None, num_workers=2, timeout=60):
        ember.manual_seed(int(seed))
        assert ember.equal(values, ember.rand(1 << 16))


# -- options ------------------------------------------------------------------------------------

def test_spawn_and_context_objects():
    ds = eud.TensorDataset(ember.arange(5.0))
    expected = [[0.0, 1.0, 2.0], [3.0, 4.0]]
    spawned = eud.DataLoader(ds, batch_size=3, num_workers=1, multiprocessing_context="spawn")
    assert isinstance(spawned.multiprocessing_context, multiprocessing.context.SpawnContext)
    assert [b[0].tolist() for b in spawned] == expected
    forked = eud.DataLoader(ds, batch_size=3, num_workers=1,
                            multiprocessing_context=multiprocessing.get_context("fork"))
    assert [b[0].tolist() for b in forked] == expected


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=0, prefetch_factor=2),
    dict(num_workers=2, prefetch_factor=-1),
    dict(num_workers=0, multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="bogus"),
    dict(num_workers=1, multiprocessing_context=3),
])
def test_option_errors_match_torch(kwargs):
    with pytest.raises((ValueError, TypeError)) as ours:
        eud.DataLoader(range(4), **kwargs)
    with pytest.raises((ValueError, TypeError)) as theirs:
        tud.DataLoader(range(4), **kwargs)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


# torch's iterator, failing in its __init__, then fails again in __del__ (an ignored exception)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_prefetch_factor_default_and_zero_as_torch():
    assert eud.DataLoader(range(4), num_workers=1).prefetch_factor == 2
    assert tud.DataLoader(range(4), num_workers=1).prefetch_factor == 2
    assert eud.DataLoader(range(4)).prefetch_factor is None
    for lib in (eud, tud):
        with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
            iter(lib.DataLoader(range(4), num_workers=1, prefetch_factor=0))
        with pytest.raises(AssertionError, match="requires timeout == 0"):
            iter(lib.DataLoader(range(4), timeout=1))


def caught_warnings(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    return [(w.category, str(w.message)) for w in caught]


def test_pin_memory_warns_as_torch_without_accelerator():
    theirs = caught_warnings(lambda: list(tud.DataLoader(range(4), pin_memory=True,
                                                         pin_memory_device="cpu")))
    assert len(theirs) == 2 and "no accelerator is found" in theirs[1][1]
    assert caught_warnings(lambda: list(eud.DataLoader(range(4), pin_memory=True,
                                                       pin_memory_device="cpu"))) == theirs
    with_workers = caught_warnings(lambda: list(eud.DataLoader(range(4), pin_memory=True,
                                                               num_workers=1)))
    assert with_workers == theirs[1:]


def test_too_many_workers_warns_as_torch():
    n = len(os.sched_getaffinity(0)) + 1
    ours = caught_warnings(lambda: eud.DataLoader(range(4), num_workers=n))
    theirs = caught_warnings(lambda: tud.DataLoader(range(4), num_workers=n))
    assert len(ours) == 1 and ours == theirs

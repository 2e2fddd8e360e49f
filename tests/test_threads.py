"""The thread policy: ``ember.set_num_threads``/``get_num_threads`` as torch's, the environment
Ember starts in, the CLI's ``--threads``, and the products ``kernels.threads.matmul`` splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest
import torch

import ember
from ember import _threads, training
from ember.cli import main
from ember.kernels import threads
from torch_compare import same_error

BLAS_VARIABLES = ("OMP_WAIT_POLICY", *_threads.BLAS_THREAD_VARIABLES)


@pytest.fixture(autouse=True)
def restore_threads():
    """Every test leaves Ember's, Numba's and torch's thread counts as it found them."""
    requested, torch_threads, numba_threads = _threads._requested, torch.get_num_threads(), \
        numba.get_num_threads()
    yield
    _threads._requested = requested
    numba.set_num_threads(numba_threads)
    torch.set_num_threads(torch_threads)


def test_set_num_threads_sets_ember_and_numba():
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1 and numba.get_num_threads() == 1
    ember.set_num_threads(2)
    assert ember.get_num_threads() == 2
    assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)


def test_more_threads_than_numba_has_is_kept_as_torch_keeps_it():
    big = numba.config.NUMBA_NUM_THREADS + 7
    torch.set_num_threads(big)
    ember.set_num_threads(big)
    assert ember.get_num_threads() == torch.get_num_threads() == big
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_an_integer_like_count_is_taken_as_torch_takes_it():
    ember.set_num_threads(np.int64(1))
    assert ember.get_num_threads() == 1 and type(ember.get_num_threads()) is int


@pytest.mark.parametrize("bad", [0, -1, 2.5, "2", True, None])
def test_bad_counts_raise_torchs_errors(bad):
    before = ember.get_num_threads()
    same_error(lambda M: M.set_num_threads(bad), RuntimeError)
    assert ember.get_num_threads() == before


def test_default_is_numbas_count_without_loading_numba(monkeypatch):
    monkeypatch.setattr(_threads, "_requested", None)
    assert ember.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3")
    _threads.default_num_threads.cache_clear()  # read once per process, as Numba reads it
    try:
        assert _threads.default_num_threads() == 3
    finally:
        _threads.default_num_threads.cache_clear()


def _start(code: str, **env: str) -> dict:
    """What a fresh ``python -c code`` prints (one JSON line), with the thread variables of
    this environment removed and ``env`` set."""
    environ = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES}
    environ.update(env)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=environ, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


_REPORT = """
import json, os, threadpoolctl
blas = max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
changed = sorted(k for k in {*before, *os.environ} if before.get(k) != os.environ.get(k))
print(json.dumps({"wait": os.environ.get("OMP_WAIT_POLICY"), "blas": blas, "changed": changed}))
"""
_BEFORE = "import os; before = dict(os.environ); "


def test_defaults_when_the_user_set_nothing():
    seen = _start(_BEFORE + "import ember" + _REPORT)
    # OpenBLAS started on one thread, and its variable is gone again (children see the user's)
    assert seen == {"wait": "PASSIVE", "blas": 1, "changed": ["OMP_WAIT_POLICY"]}


def test_the_users_variables_are_kept():
    plain = _start(_BEFORE + "import numpy" + _REPORT, OPENBLAS_NUM_THREADS="2")["blas"]
    seen = _start(_BEFORE + "import ember" + _REPORT, OMP_WAIT_POLICY="ACTIVE",
                  OPENBLAS_NUM_THREADS="2")
    assert seen == {"wait": "ACTIVE", "blas": plain, "changed": []}
    plain = _start(_BEFORE + "import numpy" + _REPORT, OMP_NUM_THREADS="2")["blas"]
    seen = _start(_BEFORE + "import ember; ember.set_num_threads(1)" + _REPORT,
                  OMP_NUM_THREADS="2")
    assert seen["blas"] == plain


def test_blas_is_pinned_when_numpy_was_loaded_first():
    plain = _start(_BEFORE + "import numpy" + _REPORT)["blas"]
    if plain == 1:
        pytest.skip("OpenBLAS starts on one thread here anyway (one core)")
    seen = _start(_BEFORE + "import numpy, ember; ember.set_num_threads(2)" + _REPORT)
    assert (seen["blas"], seen["wait"]) == (1, "PASSIVE")
    first_product = ("import numpy, ember; from ember.kernels import threads; "
                     "threads.matmul(numpy.ones((2, 2)), numpy.ones((2, 2)))")
    assert _start(_BEFORE + first_product + _REPORT)["blas"] == 1


def test_cli_threads_option_is_applied(tmp_path, monkeypatch, capsys):
    seen = []

    def fake_train(config, out, resume=None):
        seen.append((ember.get_num_threads(), numba.get_num_threads()))
        return {"test_acc": [0.5]}

    monkeypatch.setattr(training, "train", fake_train)
    ember.set_num_threads(2)
    assert main(["train", "--threads", "1", "--out", str(tmp_path)]) == 0
    assert seen == [(1, 1)]


@pytest.mark.parametrize("text", ["0", "x", "1.5"])
def test_cli_threads_option_refuses_a_bad_count(text, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--threads", text])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --threads: expected a positive whole number, got '{text}'" in err


@pytest.mark.parametrize("line, cores_busy", [(b"0.5 0.4 0.3 1/120 99\n", 1),
                                              (b"6.2 5.0 4.1 7/120 99\n", 7)])
def test_idle_cores_reads_the_run_queue(line, cores_busy, tmp_path, monkeypatch):
    path = tmp_path / "loadavg"
    path.write_bytes(line)
    monkeypatch.setattr(threads, "_LOADAVG", str(path))
    monkeypatch.setattr(threads, "_idle_seen", [-1.0, 0])
    monkeypatch.setattr(threads, "_cores", lambda: 2)
    assert threads.idle_cores() == max(2 - cores_busy, 0)
    path.write_bytes(b"0 0 0 1/1 1\n")  # a second reading within the millisecond is reused
    assert threads.idle_cores() == max(2 - cores_busy, 0)


def test_idle_cores_without_a_run_queue(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "_LOADAVG", str(tmp_path / "missing"))
    monkeypatch.setattr(threads, "_idle_seen", [-1.0, 0])
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    assert threads.idle_cores() == 3


@pytest.mark.parametrize("requested, idle, blocks, parts", [
    (1, 3, 8, 1), (2, 0, 8, 1), (2, 1, 8, 2), (4, 1, 8, 2), (4, 3, 2, 2), (8, 7, 8, 8)])
def test_split_parts_takes_only_idle_cores(requested, idle, blocks, parts, monkeypatch):
    monkeypatch.setattr(_threads, "_requested", requested)
    monkeypatch.setattr(threads, "idle_cores", lambda: idle)
    assert threads.split_parts(blocks) == parts


@pytest.mark.parametrize("n, numba_threads, idle, parallel", [
    (1 << 15, 2, 1, True), ((1 << 15) - 1, 2, 1, False), (1 << 20, 1, 1, False),
    (1 << 20, 2, 0, False)])
def test_numba_kernels_run_parallel_only_when_large_and_a_core_is_idle(n, numba_threads, idle,
                                                                       parallel, monkeypatch):
    if numba_threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("one core")
    numba.set_num_threads(numba_threads)
    monkeypatch.setattr(threads, "idle_cores", lambda: idle)
    assert threads.runs_parallel(n, threshold=1 << 15) is parallel


# (a shape, b shape, the axis split): rows (m >= n), columns (n > m), batch
SPLIT_SHAPES = [((1024, 96), (96, 300), "rows"), ((40, 700), (700, 1000), "cols"),
                ((6, 200, 64), (6, 64, 130), "batch")]


def _operands(a_shape, b_shape, dtype, transposed: bool):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    if transposed:  # BLAS reads these through its transpose flags
        a = np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2)
        b = np.swapaxes(np.swapaxes(b, -1, -2).copy(), -1, -2)
    return a, b


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_shape, b_shape, axis", SPLIT_SHAPES)
def test_split_product_has_the_same_bits_whoever_runs_the_blocks(a_shape, b_shape, axis, dtype,
                                                                 transposed, monkeypatch):
    monkeypatch.setattr(threads, "SPLIT_MACS", 1 << 18)
    a, b = _operands(a_shape, b_shape, dtype, transposed)
    plan = threads._split_plan(a, b)
    assert plan is not None and plan[0] == axis and len(plan[1]) > 1
    monkeypatch.setattr(_threads, "_requested", 2)
    monkeypatch.setattr(threads, "idle_cores", lambda: 0)
    alone = threads.matmul(a, b)
    monkeypatch.setattr(threads, "idle_cores", lambda: 1)
    ran_on = set()
    original = threads._block_product

    def recording(*args):
        work = original(*args)

        def block(i, j):
            ran_on.add(threading.get_ident())
            work(i, j)

        return block

    monkeypatch.setattr(threads, "_block_product", recording)
    helped = threads.matmul(a, b, out=np.full_like(alone, np.nan))
    np.testing.assert_array_equal(helped, alone)
    assert ran_on  # the blocks went through the pool's work function
    # against the undivided product: each element is a k-term dot product, so the two sums
    # differ by at most about k ulps of the sum of |terms|
    k = a.shape[-1]
    bound = k * np.finfo(dtype).eps * np.matmul(np.abs(a), np.abs(b))
    assert np.all(np.abs(alone - np.matmul(a, b)) <= bound)


def test_one_thread_is_numpys_product(monkeypatch):
    monkeypatch.setattr(threads, "SPLIT_MACS", 1 << 18)
    monkeypatch.setattr(_threads, "_requested", 1)
    a, b = _operands((1024, 96), (96, 300), np.float32, False)
    np.testing.assert_array_equal(threads.matmul(a, b), np.matmul(a, b))


@pytest.mark.parametrize("a_shape, b_shape, dtype", [
    ((64, 32), (32, 16), np.float32),  # below SPLIT_MACS
    ((512,), (512, 512), np.float32),  # a vector
    ((2, 1024, 96), (96, 300), np.float32),  # a broadcast batch
    ((1024, 96), (96, 300), np.int64),  # not a BLAS dtype
])
def test_what_is_not_split_is_numpys_product(a_shape, b_shape, dtype, monkeypatch):
    monkeypatch.setattr(threads, "SPLIT_MACS", 1 << 18)
    monkeypatch.setattr(_threads, "_requested", 2)
    a = np.arange(np.prod(a_shape)).reshape(a_shape).astype(dtype) % 7
    b = np.arange(np.prod(b_shape)).reshape(b_shape).astype(dtype) % 5
    assert threads._split_plan(a, b) is None
    np.testing.assert_array_equal(threads.matmul(a, b), np.matmul(a, b))


def test_a_wrong_out_gets_numpys_error(monkeypatch):
    monkeypatch.setattr(threads, "SPLIT_MACS", 1 << 18)
    monkeypatch.setattr(_threads, "_requested", 2)
    a, b = _operands((1024, 96), (96, 300), np.float32, False)
    with pytest.raises(ValueError) as ours:
        threads.matmul(a, b, out=np.empty((1024, 299), np.float32))
    with pytest.raises(ValueError) as numpys:
        np.matmul(a, b, out=np.empty((1024, 299), np.float32))
    assert str(ours.value) == str(numpys.value)


def test_an_error_in_a_block_reaches_the_caller_after_every_helper_is_done():
    finished = []

    def work(i, j):
        if i == 2:
            raise ZeroDivisionError("block 2")
        finished.append(i)

    with pytest.raises(ZeroDivisionError, match="block 2"):
        threads._pool().run(work, [(i, i + 1) for i in range(8)], helpers=1)
    assert 2 not in finished and 0 in finished

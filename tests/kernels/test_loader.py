"""Dispatch between the Numba kernels and the NumPy path, each case in a fresh process."""

import pytest
from tests.kernels.helpers import IMPORT_GATE, run


def test_first_small_calls_run_before_numba_is_imported_and_match_the_kernels():
    state = run(IMPORT_GATE + r"""
gate = ImportGate("numba")
import ember
import ember.nn.functional as F
from ember.kernels import loader
from ember.kernels.reference import keep_threshold

g = ember.Generator().manual_seed(7)
x = ember.tensor(np.linspace(-1, 1, 1000, dtype=np.float32), requires_grad=True)
y = F.dropout(x, 0.3, generator=g)
y.sum().backward()
u_offset = g.get_offset()
u = ember.rand(100, generator=g)
state = {"numba_imported": gate.done.is_set(), "loaded": loader.is_loaded()}

gate.release.set()
loader.ensure_loaded()
from ember.kernels import dropout as D, philox as P

xa = np.linspace(-1, 1, 1000, dtype=np.float32)
scale = np.float32(1) / np.float32(0.7)
expected = np.empty_like(xa)
D.dropout_forward(xa, expected, 7, 0, keep_threshold(0.3), scale)
expected_grad = np.empty_like(xa)
D.dropout_backward_regenerate(np.ones_like(xa), expected_grad, 7, 0, keep_threshold(0.3), scale)
state["forward_equal"] = y.detach().numpy().tobytes() == expected.tobytes()
state["backward_equal"] = x.grad.numpy().tobytes() == expected_grad.tobytes()
state["uniform_equal"] = u.numpy().tobytes() == P.uniform(7, u_offset, 100).tobytes()
state["dispatch_after_load"] = [loader.dropout_kernels(1) is D, loader.philox_kernels(1) is P]
state["importers"] = gate.importers
state["timed_out"] = gate.timed_out
print(json.dumps(state))
""")
    assert state["numba_imported"] is False
    assert state["loaded"] is False
    assert state["forward_equal"] and state["backward_equal"] and state["uniform_equal"]
    assert state["dispatch_after_load"] == [True, True]
    assert state["importers"] == ["ember-kernel-loader"]  # never the main thread
    assert state["timed_out"] is False  # the main thread never waited for numba


def test_large_first_call_loads_numba_synchronously_without_a_thread():
    state = run(r"""
import ember
import ember.nn.functional as F
from ember.kernels import loader, numpy_path
from ember.kernels.reference import keep_threshold

n = loader.SYNC_LOAD_THRESHOLD
x = np.linspace(-1, 1, n, dtype=np.float32)
y = F.dropout(ember.tensor(x), 0.3, generator=ember.Generator().manual_seed(3))
expected = np.empty_like(x)
numpy_path.dropout_forward(x, expected, 3, 0, keep_threshold(0.3),
                           np.float32(1) / np.float32(0.7))
print(json.dumps({"loaded": loader.is_loaded(), "thread": loader._thread is not None,
                  "kernels": loader.dropout_kernels(1).__name__,
                  "equal": y.numpy().tobytes() == expected.tobytes()}))
""")
    assert state == {"loaded": True, "thread": False, "kernels": "ember.kernels.dropout",
                     "equal": True}


def test_large_call_joins_the_background_load():
    state = run(r"""
import ember
from ember.kernels import loader

ember.rand(10)  # small: NumPy path, starts the thread
started = loader._thread is not None and not loader.is_loaded()
n = loader.SYNC_LOAD_THRESHOLD
g = ember.Generator().manual_seed(5)
u = ember.rand(n, generator=g)
from ember.kernels import numpy_path
print(json.dumps({"started": started, "loaded": loader.is_loaded(),
                  "thread_alive": loader._thread.is_alive(),
                  "equal": u.numpy().tobytes() == numpy_path.uniform(5, 0, n).tobytes()}))
""")
    assert state == {"started": True, "loaded": True, "thread_alive": False, "equal": True}


def test_background_load_can_be_disabled():
    state = run(r"""
import ember
import ember.nn.functional as F
from ember.kernels import loader

F.dropout(ember.ones(10), 0.5)
print(json.dumps({"loaded": loader.is_loaded(), "thread": loader._thread is not None,
                  "numba": "numba" in sys.modules,
                  "threads": sorted(t.name for t in threading.enumerate())}))
""", EMBER_BACKGROUND_LOAD="0")
    assert state == {"loaded": True, "thread": False, "numba": True, "threads": ["MainThread"]}


def test_calls_during_the_background_load_see_whole_modules_and_agree():
    state = run(r"""
import ember
import ember.nn.functional as F
from ember.kernels import loader, numpy_path
from ember.kernels.reference import keep_threshold

paths, mismatches, deadline = set(), 0, time.monotonic() + 120
sizes = [1, 17, 64, 1000, 5000, 40_000]
g = ember.Generator().manual_seed(11)
i = 0
while len(paths) < 2 or i < 20:
    if time.monotonic() > deadline:
        break
    n = sizes[i % len(sizes)]
    paths.add(loader.is_loaded())
    x = np.linspace(-3, 3, n, dtype=np.float64)
    offset = g.get_offset()
    y = F.dropout(ember.tensor(x), 0.1, generator=g)
    expected = np.empty_like(x)
    numpy_path.dropout_forward(x, expected, 11, offset, keep_threshold(0.1),
                               np.float64(1) / np.float64(0.9))
    mismatches += y.numpy().tobytes() != expected.tobytes()
    i += 1
print(json.dumps({"paths": sorted(paths), "mismatches": mismatches}))
""")
    assert state == {"paths": [False, True], "mismatches": 0}


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_process_exits_cleanly_while_the_thread_loads(delay):
    state = run(f"""
import ember
import ember.nn.functional as F
from ember.kernels import loader

F.dropout(ember.ones(1000), 0.5)
time.sleep({delay})
print(json.dumps({{"loaded": loader.is_loaded()}}))
""")  # run() checks the exit status and that nothing was written to stderr
    if delay == 0.0:
        assert state == {"loaded": False}


def test_fork_waits_for_the_background_load():
    # The child must not inherit a half-done load (import locks of a thread it does not have).
    state = run(r"""
import os
import ember
import ember.nn.functional as F
from ember.kernels import loader

F.dropout(ember.ones(10), 0.5)  # starts the background load
started = not loader.is_loaded()
pid = os.fork()
if pid == 0:
    ok = loader.is_loaded() and F.dropout(ember.ones(1 << 21), 0.5).shape == (1 << 21,)
    os._exit(0 if ok else 3)
_, status = os.waitpid(pid, 0)
print(json.dumps({"started": started, "child": os.waitstatus_to_exitcode(status)}))
""")
    assert state == {"started": True, "child": 0}


def test_optimizer_steps_before_numba_is_loaded_run_numpy_and_start_the_load():
    state = run(r"""
import ember
from ember.kernels import loader


def one_adam_step():
    p = ember.nn.Parameter(ember.linspace(-1, 1, 10))
    opt = ember.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    return p.detach().numpy().tolist()


before = one_adam_step()  # the NumPy update
first = {"loaded": loader.is_loaded(), "thread": loader._thread is not None}
loader.ensure_loaded()
print(json.dumps({**first, "same_as_fused": before == one_adam_step()}))
""")
    assert state == {"loaded": False, "thread": True, "same_as_fused": True}

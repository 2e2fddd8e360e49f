"""The benchmark scripts of issue 13 run and print their tables (no timing is asserted).

``bench/workloads.py``, ``bench/op_sweep.py`` and ``bench/threads.py`` each run once as a
subprocess in their smallest configuration; their model and input tables are checked in
process: the workloads' losses agree between torch and Ember, every op the sweep names exists
in both libraries, and every public op is either swept or listed with a reason.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ember

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import op_sweep  # noqa: E402
import workloads  # noqa: E402


def run_script(name: str, *args: str) -> str:
    src = str(BENCH.parent / "src")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, str(BENCH / name), *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def table_rows(out: str, first_cell: str) -> list:
    return [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()
            if line.startswith(f"| {first_cell} ")]


def test_workloads_script_prints_step_and_memory_tables():
    out = run_script("workloads.py", "--quick", "--threads", "1", "--workloads", "cnn")
    assert "| workload | threads | torch ms/step | ember ms/step | ember/torch |" in out
    (row,) = table_rows(out, "cnn")[:1]
    assert row[1] == "1" and float(row[4]) > 0 and float(row[7]) > 0  # wall and CPU ratios
    assert float(row[8]) == pytest.approx(float(row[9]), rel=1e-4)  # the first losses
    memory = table_rows(out, "cnn")[1]
    assert float(memory[2]) > 0 and float(memory[3]) > 0  # peak MiB of torch and Ember
    assert "CPU:" in out and "load average" in out


def test_op_sweep_script_prints_sorted_table_and_not_swept_ops():
    out = run_script("op_sweep.py", "--quick", "--sizes", "1K,2K",
                     "--ops", "exp,F.gelu,x ** 3,Tensor.add_,batch_norm,spmm")
    rows = {r[0]: r for r in ([c.strip() for c in line.strip("|").split("|")]
                              for line in out.splitlines() if line.startswith("| `"))}
    for label, mode in (("`exp`", "fwd+bwd"), ("`F.gelu`", "fwd+bwd"), ("`x ** 3`", "fwd+bwd"),
                        ("`Tensor.add_`", "fwd")):
        assert rows[label][1] == mode
        assert rows[label][4] == "ok"  # Ember's values are torch's
    ratios = [max(float(rows[k][c].split()[0]) for c in (2, 3)) for k in rows
              if rows[k][1].startswith("fwd")]
    assert ratios == sorted(ratios, reverse=True)
    assert "sparse" in rows["`spmm`"][1]  # listed as not swept, with the reason


def test_threads_script_prints_both_thread_counts_with_and_without_competitor():
    out = run_script("threads.py", "--quick", "--workloads", "mlp")
    rows = table_rows(out, "mlp")
    assert [r[1] for r in rows] == ["no", "yes"]
    for r in rows:
        one, two, ratio = float(r[2]), float(r[3]), float(r[4])
        assert ratio == pytest.approx(two / one, abs=0.006)


@pytest.mark.parametrize("name", [n for n in workloads.WORKLOADS if n != "cnn"])  # cnn: above
def test_workload_losses_agree_between_torch_and_ember(name):
    losses = workloads.make_pair(name, quick=True)["losses"]
    for (t, e), tol in zip(losses, (1e-4, 1e-3), strict=True):
        assert e == pytest.approx(t, rel=tol)
    assert losses[0][0] != losses[1][0]  # the optimizer step changed the model


def test_workload_cnn_is_the_cli_model():
    from ember.training import build_model

    assert repr(workloads.build_cnn(ember, 64)) == repr(build_model("cnn", 0.2))


def test_check_losses_refuses_different_losses():
    steps = {"torch": lambda: torch.tensor(1.0), "ember": lambda: ember.tensor(1.01)}
    models = {"torch": torch.nn.Dropout(0.5), "ember": ember.nn.Dropout(0.5)}
    with pytest.raises(SystemExit, match="losses differ"):
        workloads.check_losses(steps, models)


def test_every_public_op_is_swept_or_has_a_reason():
    specs = op_sweep.build_specs()
    wanted, skipped = op_sweep.public_ops(all_methods=False)
    missing = [label for label in wanted if op_sweep.spec_for(label, specs) is None]
    assert missing == []
    assert all(reason for reason in skipped.values())


def test_every_op_of_the_sweep_table_exists_in_both_libraries():
    for label, spec in op_sweep.build_specs().items():
        target = spec.target or label
        if target == "operator" or target.startswith("Tensor."):
            name = target.split(".", 1)[-1]
            assert target == "operator" or (hasattr(torch.Tensor, name)
                                            and hasattr(ember.Tensor, name)), label
            continue
        assert op_sweep.resolve(torch, target) is not None, label
        assert op_sweep.resolve(ember, target) is not None, label


def test_sweep_inputs_have_the_requested_size():
    specs = op_sweep.build_specs()
    rng = np.random.default_rng(0)
    for label in ("exp", "sum", "conv2d", "F.cross_entropy", "mm", "F.max_pool1d"):
        first = specs[label].make(65536, rng)[0]
        assert 65536 // 2 <= np.asarray(first).size <= 65536, label

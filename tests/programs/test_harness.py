"""The harness itself: aliasing, shared random draws, weight syncing and comparison can fail."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from tests.programs.harness import (
    Program,
    SharedRandom,
    compare_outputs,
    compare_states,
    run_program,
    torch_is,
)

import ember

PROGRAM = """
import torch
import torch.nn.functional as F
model = torch.nn.Linear(3, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(4, 3)
for step in range(3):
    opt.zero_grad()
    loss = F.dropout(model(x), 0.5).pow(2).mean()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.8f}")
"""


@pytest.fixture
def tiny_program(tmp_path):
    (tmp_path / "main.py").write_text(PROGRAM)
    return Program(str(tmp_path), "main.py", [])


def test_same_weights_and_draws_give_the_same_run(tiny_program):
    ref = run_program(tiny_program, "torch")
    got = run_program(tiny_program, "ember", initial=ref.initial)
    assert ref.error is None and got.error is None
    assert len(ref.stdout.splitlines()) == 3
    compare_outputs(tiny_program, ref.stdout, got.stdout, 1e-7, 1e-9)
    compare_states(ref, got, 1e-7, 1e-9)
    assert {"torch.nn.Linear", "torch.optim.SGD", "torch.randn",
            "torch.nn.functional.dropout"} <= got.used


def test_comparison_fails_without_the_same_initial_weights(tiny_program):
    ref = run_program(tiny_program, "torch")
    got = run_program(tiny_program, "ember")  # Ember's own random initialization
    with pytest.raises(AssertionError):
        compare_outputs(tiny_program, ref.stdout, got.stdout, 1e-7, 1e-9)
    with pytest.raises(AssertionError):
        compare_states(ref, got, 1e-7, 1e-9)


def test_missing_names_are_recorded(tmp_path):
    (tmp_path / "main.py").write_text("import torch\ntorch.no_such_function_anywhere(1)\n")
    got = run_program(Program(str(tmp_path), "main.py", []), "ember")
    assert isinstance(got.error, AttributeError)
    assert str(got.error) == "module 'torch' has no attribute 'no_such_function_anywhere'"
    assert got.missing == {"torch.no_such_function_anywhere"}


def test_aliases_are_removed_after_an_ember_run():
    with torch_is("ember", {}) as (module, registry):
        import torch.nn.functional as F

        assert module is ember
        assert F.relu is ember.nn.functional.relu
        assert "torch.nn.functional" in registry.used
    assert sys.modules["torch"] is torch
    assert sys.modules["torch.nn.functional"] is torch.nn.functional


@pytest.mark.parametrize("draw", [
    lambda T, r: r.randn(2, 3), lambda T, r: r.rand((4,)), lambda T, r: r.randperm(7),
    lambda T, r: r.randint(0, 5, (3,)), lambda T, r: r.multinomial(T.ones(2, 4), 3, True),
    lambda T, r: r.dropout(T.ones(3, 4, dtype=T.float32), 0.3),
    lambda T, r: r.dropout2d(T.ones(2, 3, 2, 2), 0.5),
])
def test_shared_draws_are_identical_in_both_libraries(draw):
    a = draw(torch, SharedRandom(torch, seed=5))
    b = draw(ember, SharedRandom(ember, seed=5))
    assert str(a.dtype).rpartition(".")[2] == str(b.dtype).rpartition(".")[2]
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_compare_outputs_allows_last_digit_rounding_only():
    program = Program("x", "main.py", [], volatile=[r"\d+ms"])
    compare_outputs(program, "loss 0.1235 in 12ms\n", "loss 0.1234 in 40ms\n", 0, 0)
    with pytest.raises(AssertionError):
        compare_outputs(program, "loss 0.1235\n", "loss 0.1237\n", 0, 0)
    with pytest.raises(AssertionError):
        compare_outputs(program, "Loss: 1.0\n", "loss: 1.0\n", 0, 0)

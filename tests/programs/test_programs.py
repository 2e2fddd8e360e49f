"""Published PyTorch programs run unchanged on Ember and agree with torch.

Each test runs one program (tests/programs/<name>/, copied verbatim) twice through the harness:
on torch, then on Ember with ``import torch`` giving Ember, the same fake data, the same random
draws and the same initial weights. It then checks that the printed lines agree (same text,
numbers within tolerance) and that the final weights of every top-level module agree. Runs in
float64 (``Program.dtype``) are held to 1e-7; float32 runs, for programs that cast to float32
themselves, to rtol 1e-4 and atol 5e-5 (a few Adadelta steps with lr=1 turn float32 rounding of
a gradient that nearly cancels into differences of 1e-5 in a weight).
"""

from __future__ import annotations

import pytest
from tests.programs.harness import compare_outputs, compare_states, run_program
from tests.programs.programs import EXPECTED_FAILURES, PROGRAMS

TOLERANCES = {"float64": (1e-7, 1e-9), "float32": (1e-4, 5e-5)}


def _params():
    for program in PROGRAMS:
        marks = [pytest.mark.program(program.id)]
        if program.id in EXPECTED_FAILURES:
            marks.append(pytest.mark.xfail(reason=EXPECTED_FAILURES[program.id], strict=True))
        yield pytest.param(program, id=program.id, marks=marks)


@pytest.mark.parametrize("program", list(_params()))
def test_program_matches_torch(program):
    ref = run_program(program, "torch")
    assert ref.error is None, f"the program fails on torch itself: {ref.error!r}"
    got = run_program(program, "ember", initial=ref.initial)
    if got.error is not None:
        missing = f" (names Ember lacks: {sorted(got.missing)})" if got.missing else ""
        raise AssertionError(f"{program.id} fails on Ember{missing}: {got.error!r}") from got.error
    assert ref.initial, "no module was called: nothing was compared"
    rtol, atol = TOLERANCES[program.dtype]
    compare_outputs(program, ref.stdout, got.stdout, rtol, atol)
    compare_states(ref, got, rtol, atol)

"""Adadelta and LBFGS (needed by the mnist and time_sequence_prediction programs) against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.optim.helpers import initial_values, make_params, run, targets, to_numpy

import ember


def _assert_close_trajectories(ours, theirs, rtol, atol):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol, err_msg=f"step {k}")


@pytest.mark.parametrize("kwargs", [
    dict(), dict(lr=0.5, rho=0.8, eps=1e-5), dict(weight_decay=0.1), dict(maximize=True),
])
def test_adadelta_trajectory_matches_torch_float64(kwargs):
    _, eo, ours = run(ember, "Adadelta", kwargs)
    _, to, theirs = run(torch, "Adadelta", kwargs)
    _assert_close_trajectories(ours, theirs, rtol=1e-12, atol=1e-14)
    so, st = eo.state_dict(), to.state_dict()
    for i, state in st["state"].items():
        assert list(so["state"][i]) == list(state) == ["step", "square_avg", "acc_delta"]
        for key, value in state.items():
            np.testing.assert_allclose(to_numpy(so["state"][i][key]), value.numpy(),
                                       rtol=1e-12, atol=1e-14)
    assert so["param_groups"] == st["param_groups"]


def test_adadelta_trajectory_matches_torch_float32():
    _, _, ours = run(ember, "Adadelta", dict(lr=1.0), dtype=np.float32)
    _, _, theirs = run(torch, "Adadelta", dict(lr=1.0), dtype=np.float32)
    assert ours[-1][0].dtype == np.float32
    _assert_close_trajectories(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(lr=-1.0), dict(rho=1.5), dict(eps=-1.0),
                                    dict(weight_decay=-1.0)])
def test_adadelta_errors_in_torch_words(kwargs):
    messages = []
    for lib in (torch, ember):
        with pytest.raises(ValueError) as info:
            lib.optim.Adadelta(make_params(lib, initial_values()), **kwargs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def _lbfgs_run(lib, kwargs, steps):
    """LBFGS on sum((p - t)^2 / 4 - cos(3p) / 30 + p^4 / 20): losses and parameters per step."""
    params = make_params(lib, initial_values())
    goals = [lib.from_numpy(t) for t in targets()]
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = sum((((p - t) ** 2) / 4 - lib.cos(3 * p) / 30 + p ** 4 / 20).sum()
                   for p, t in zip(params, goals, strict=True))
        loss.backward()
        return loss

    history = []
    for _ in range(steps):
        loss = opt.step(closure)
        history.append((loss.item(), [to_numpy(p) for p in params]))
    return history, opt


@pytest.mark.parametrize("kwargs", [
    dict(), dict(lr=0.8), dict(lr=0.5, max_iter=5, history_size=3), dict(max_eval=7),
])
def test_lbfgs_matches_torch_float64(kwargs):
    ours, eo = _lbfgs_run(ember, kwargs, steps=3)
    theirs, to = _lbfgs_run(torch, kwargs, steps=3)
    for (loss_a, ps_a), (loss_b, ps_b) in zip(ours, theirs, strict=True):
        assert loss_a == pytest.approx(loss_b, rel=1e-10)
        for a, b in zip(ps_a, ps_b, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    state_a = next(iter(eo.state.values()))
    state_b = next(iter(to.state.values()))
    assert (state_a["func_evals"], state_a["n_iter"]) == (state_b["func_evals"],
                                                          state_b["n_iter"])


def test_lbfgs_stops_at_a_stationary_point_like_torch():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.zeros(3, dtype=lib.float64))
        opt = lib.optim.LBFGS([p])
        calls = []

        def closure(p=p, opt=opt, calls=calls, lib=lib):
            opt.zero_grad()
            calls.append(1)
            loss = (p ** 2).sum()
            loss.backward()
            return loss

        assert opt.step(closure).item() == 0.0
        assert len(calls) == 1  # the gradient is zero: no iteration


def test_lbfgs_refuses_groups_like_torch():
    messages = []
    for lib in (torch, ember):
        ps = make_params(lib, initial_values())
        with pytest.raises(ValueError) as info:
            lib.optim.LBFGS([{"params": ps[:2]}, {"params": ps[2:]}])
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_lbfgs_strong_wolfe_is_reported_missing():
    with pytest.raises(NotImplementedError, match="strong_wolfe"):
        ember.optim.LBFGS(make_params(ember, initial_values()), line_search_fn="strong_wolfe")

"""Learning-rate schedulers against torch's rate (and momentum) sequences."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch
from tests.optim.helpers import initial_values, make_params

import ember


def _optimizer(lib, kind="SGD"):
    ps = make_params(lib, initial_values())
    groups = [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.03}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1, betas=(0.8, 0.99))


def _momenta(opt):
    return [g["betas"] if "betas" in g else g["momentum"] for g in opt.param_groups]


SCHEDULERS = {
    "StepLR": ("SGD", lambda S, o: S.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": ("SGD", lambda S, o: S.MultiStepLR(o, milestones=[10, 25, 25, 60],
                                                      gamma=0.3)),
    "ExponentialLR": ("SGD", lambda S, o: S.ExponentialLR(o, gamma=0.97)),
    "CosineAnnealingLR": ("SGD", lambda S, o: S.CosineAnnealingLR(o, T_max=30)),
    "CosineAnnealingLR-eta_min": ("SGD", lambda S, o: S.CosineAnnealingLR(o, T_max=17,
                                                                          eta_min=0.001)),
    "LambdaLR": ("SGD", lambda S, o: S.LambdaLR(o, lr_lambda=lambda e: 1 / (1 + 0.1 * e))),
    "LambdaLR-list": ("SGD", lambda S, o: S.LambdaLR(
        o, lr_lambda=[lambda e: 0.95 ** e, lambda e: (e // 10 + 1) ** -0.5])),
    "MultiplicativeLR": ("SGD", lambda S, o: S.MultiplicativeLR(o, lambda e: 0.99)),
    "ConstantLR": ("SGD", lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=12)),
    "LinearLR": ("SGD", lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                                total_iters=40)),
    "PolynomialLR": ("SGD", lambda S, o: S.PolynomialLR(o, total_iters=60, power=2.0)),
    "CosineAnnealingWarmRestarts": ("SGD", lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=7, T_mult=2, eta_min=0.001)),
    "SequentialLR": ("SGD", lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=10), S.CosineAnnealingLR(o, T_max=50),
            S.ExponentialLR(o, gamma=0.9)], milestones=[10, 60])),
    "ChainedScheduler": ("SGD", lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=20), S.ExponentialLR(o, gamma=0.98)])),
    "OneCycleLR-cos": ("SGD", lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=100)),
    "OneCycleLR-linear": ("SGD", lambda S, o: S.OneCycleLR(
        o, max_lr=[1.0, 0.2], epochs=10, steps_per_epoch=10, anneal_strategy="linear",
        pct_start=0.25, base_momentum=0.8, max_momentum=0.9)),
    "OneCycleLR-three-phase": ("SGD", lambda S, o: S.OneCycleLR(
        o, max_lr=0.5, total_steps=100, three_phase=True, div_factor=10.0,
        final_div_factor=100.0)),
    "OneCycleLR-adam-betas": ("Adam", lambda S, o: S.OneCycleLR(o, max_lr=0.01,
                                                                  total_steps=100)),
    "OneCycleLR-no-momentum": ("Adam", lambda S, o: S.OneCycleLR(
        o, max_lr=0.01, total_steps=100, cycle_momentum=False)),
}


def _sequence(lib, name, steps=100):
    kind, make = SCHEDULERS[name]
    opt = _optimizer(lib, kind)
    sched = make(lib.optim.lr_scheduler, opt)
    out = [(list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], _momenta(opt))]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
                    _momenta(opt)))
    return out


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_matches_torch(name):
    ours, theirs = _sequence(ember, name), _sequence(torch, name)
    assert len(ours) == 101
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, (k, a, b)  # same Python float arithmetic: identical values


def test_onecycle_past_the_end_raises_as_torch():
    msgs = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
        for _ in range(5):
            opt.step()
            sched.step()
        with pytest.raises(ValueError) as e:
            sched.step()
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == "Tried to step 6 times. The specified number of total steps is 5"


METRIC_RUNS = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(mode="max", patience=1, threshold=0.01, threshold_mode="abs"),
    dict(patience=0, cooldown=3, factor=0.7, threshold=0.05),
    dict(patience=1, min_lr=[0.02, 0.01], factor=0.5),
    dict(patience=1, factor=0.5, eps=0.01),
    dict(mode="max", patience=2, threshold=0.02),
]


def _metrics(n=100):
    rng = np.random.default_rng(3)
    base = 1.0 / (1.0 + np.arange(n) / 15.0)
    base[40:70] = base[40]  # a long plateau
    return base + 0.02 * rng.standard_normal(n)


@pytest.mark.parametrize("kwargs", METRIC_RUNS, ids=[str(k) for k in METRIC_RUNS])
def test_reduce_on_plateau_matches_torch(kwargs):
    seqs = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        seq = []
        for m in _metrics():
            opt.step()
            sched.step(lib.tensor(m, dtype=lib.float64))  # a 0-d tensor metric
            seq.append((list(sched.get_last_lr()), sched.num_bad_epochs, sched.cooldown_counter,
                        sched.best))
        seqs.append(seq)
    assert seqs[0] == seqs[1]
    assert seqs[1][-1][0] != [0.1, 0.03]  # the run does reduce


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR-three-phase",
                                  "LambdaLR", "LinearLR", "SequentialLR",
                                  "CosineAnnealingWarmRestarts"])
def test_state_dict_round_trip(name):
    kind, make = SCHEDULERS[name]
    opt = _optimizer(ember, kind)
    sched = make(ember.optim.lr_scheduler, opt)
    for _ in range(30):
        opt.step()
        sched.step()
    saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    opt2 = _optimizer(ember, kind)
    sched2 = make(ember.optim.lr_scheduler, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    resumed = []
    for _ in range(30):
        opt2.step()
        sched2.step()
        resumed.append(list(sched2.get_last_lr()))
    expected = [x[0] for x in _sequence(torch, name, steps=60)[31:]]
    assert resumed == expected


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "ConstantLR", "LinearLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts"])
def test_closed_form_with_epoch_matches_torch(name):
    seqs = []
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = SCHEDULERS[name][1](lib.optim.lr_scheduler, opt)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (5, 17, 3, 30, 61):
                opt.step()
                sched.step(epoch)
                seq.append(list(sched.get_last_lr()))
        seqs.append(seq)
    assert seqs[0] == seqs[1]


def test_step_before_optimizer_step_warns():
    for lib in (ember, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 3)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()


def _error(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__, str(e).replace("ember", "torch")
    return None


@pytest.mark.parametrize("make", [
    lambda S, o: S.StepLR(object(), 3),
    lambda S, o: S.LambdaLR(o, [lambda e: 1.0]),
    lambda S, o: S.ReduceLROnPlateau(o, factor=1.5),
    lambda S, o: S.ReduceLROnPlateau(o, mode="median"),
    lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="pct"),
    lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=0),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
    lambda S, o: S.OneCycleLR(o, max_lr=[1.0], total_steps=10),
    lambda S, o: S.CosineAnnealingLR(o, T_max=10, last_epoch=3),
    lambda S, o: S.LinearLR(o, start_factor=0),
    lambda S, o: S.ConstantLR(o, factor=2),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=0),
    lambda S, o: S.SequentialLR(o, [S.StepLR(o, 3), S.StepLR(o, 5)], milestones=[]),
    lambda S, o: S.SequentialLR(o, [S.StepLR(o, 3), S.ReduceLROnPlateau(o)], milestones=[4]),
    lambda S, o: S.ChainedScheduler([]),
])
def test_errors_in_torch_words(make):
    theirs = _error(lambda: make(torch.optim.lr_scheduler, _optimizer(torch)))
    ours = _error(lambda: make(ember.optim.lr_scheduler, _optimizer(ember)))
    assert theirs is not None and ours == theirs


def test_onecycle_requires_momentum():
    for lib in (ember, torch):
        opt = lib.optim.Adagrad(make_params(lib, initial_values()))
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)

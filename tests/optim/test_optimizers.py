"""Optimizers against torch: trajectories, state, state dicts, parameter groups and errors."""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
import pytest
import torch
from tests.optim.helpers import initial_values, make_params, run, to_numpy

import ember


def _configs():
    out = []
    for m, d, nest, wd, mx in itertools.product((0, 0.9), (0, 0.3), (False, True), (0, 0.1),
                                                (False, True)):
        if nest and (m == 0 or d != 0):
            continue
        if m == 0 and d != 0:
            continue
        out.append(("SGD", dict(lr=0.1, momentum=m, dampening=d, nesterov=nest,
                                weight_decay=wd, maximize=mx)))
    for cls in ("Adam", "AdamW"):
        for ams, wd, mx in itertools.product((False, True), (0, 0.1), (False, True)):
            betas = (0.3, 0.6) if ams == mx else (0.9, 0.999)  # lerp weight above 0.5 too
            out.append((cls, dict(lr=0.05, amsgrad=ams, weight_decay=wd, maximize=mx,
                                  betas=betas)))
    out.append(("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)))
    for c, m, wd, (mx, alpha) in itertools.product((False, True), (0, 0.8), (0, 0.1),
                                                   ((False, 0.99), (True, 0.3))):
        out.append(("RMSprop", dict(lr=0.01, centered=c, momentum=m, weight_decay=wd,
                                    maximize=mx, alpha=alpha)))
    for lrd, wd, init in itertools.product((0, 0.05), (0, 0.1), (0, 0.5)):
        out.append(("Adagrad", dict(lr=0.1, lr_decay=lrd, weight_decay=wd,
                                    initial_accumulator_value=init, maximize=lrd != 0)))
    out.append(("Adagrad", dict(lr=0.1, eps=1e-3)))
    return out


CONFIGS = _configs()
IDS = [f"{c}-" + ",".join(f"{k}={v}" for k, v in kw.items()) for c, kw in CONFIGS]
STATE_KEYS = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer", "square_avg",
              "grad_avg", "sum", "step"}


def _close(a, b, rtol, atol, msg=""):
    """Normwise: max |a - b| <= rtol * max |b| + atol. Torch rounds with fused multiply-adds,
    so an element that is a small difference of large terms may differ by more than rtol
    relative to itself, but never relative to the size of the array."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (msg, a.shape, b.shape, a.dtype, b.dtype)
    err = np.max(np.abs(a - b), initial=0.0)
    assert err <= rtol * np.max(np.abs(b), initial=0.0) + atol, (msg, err, a, b)


def _assert_traj(ours, theirs, rtol, atol):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for pa, pb in zip(a, b, strict=True):
            _close(pa, pb, rtol, atol, f"step {k}")


def _assert_state(ours, theirs, **tol):
    so, st = ours.state_dict(), theirs.state_dict()
    assert set(so["state"]) == set(st["state"])
    for i in st["state"]:
        assert list(so["state"][i]) == list(st["state"][i])
        for key, v in st["state"][i].items():
            _close(to_numpy(so["state"][i][key]), v.numpy(), msg=key, **tol)
    assert [list(g) for g in so["param_groups"]] == [list(g) for g in st["param_groups"]]
    assert so["param_groups"] == st["param_groups"]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_trajectory_matches_torch_float64(name, kwargs):
    _, eo, ours = run(ember, name, kwargs)
    _, to, theirs = run(torch, name, kwargs)
    _assert_traj(ours, theirs, rtol=1e-10, atol=1e-12)
    _assert_state(eo, to, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
])
def test_trajectory_matches_torch_float32(name, kwargs):
    _, eo, ours = run(ember, name, kwargs, dtype=np.float32)
    _, _, theirs = run(torch, name, kwargs, dtype=np.float32)
    assert ours[-1][0].dtype == np.float32
    _assert_traj(ours, theirs, rtol=1e-5, atol=1e-6)
    assert eo.state_dict()["state"][0]["step" if name != "SGD" else "momentum_buffer"] \
        .dtype == (ember.float32)


def _mlp_losses(lib, opt_name, kwargs, steps=50):
    """A 5-8-3 tanh MLP on a fixed batch, gradients from each library's own autograd."""
    rng = np.random.default_rng(7)
    vals = [rng.standard_normal(s) * 0.5 for s in [(8, 5), (8,), (3, 8), (3,)]]
    x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 3))
    w1, b1, w2, b2 = make_params(lib, vals)
    tx = torch.from_numpy(x) if lib is torch else ember.tensor(x)
    ty = torch.from_numpy(y) if lib is torch else ember.tensor(y)
    opt = getattr(lib.optim, opt_name)([w1, b1, w2, b2], **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        h = (tx @ w1.T + b1).tanh()
        loss = ((h @ w2.T + b2 - ty) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), [to_numpy(p) for p in (w1, b1, w2, b2)]


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.2, momentum=0.9)), ("Adam", dict(lr=0.02)), ("AdamW", dict(lr=0.02)),
    ("RMSprop", dict(lr=0.005)), ("Adagrad", dict(lr=0.1)),
])
def test_mlp_training_matches_torch(name, kwargs):
    lo, po = _mlp_losses(ember, name, kwargs)
    lt, pt = _mlp_losses(torch, name, kwargs)
    np.testing.assert_allclose(lo, lt, rtol=1e-5, atol=1e-7)
    for a, b in zip(po, pt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert lo[-1] < 0.7 * lo[0]  # it trains


def _groups(params):
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.02, "weight_decay": 0.05}]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_match_torch(name):
    kwargs = dict(lr=0.05) if name != "SGD" else dict(lr=0.05, momentum=0.5)
    _, eo, ours = run(ember, name, kwargs, steps=20, groups=_groups)
    _, to, theirs = run(torch, name, kwargs, steps=20, groups=_groups)
    _assert_traj(ours, theirs, rtol=1e-10, atol=1e-12)
    _assert_state(eo, to, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1)),
])
def test_state_dict_round_trip(name, kwargs):
    params, opt, first = run(ember, name, kwargs, steps=10, groups=_groups)
    saved = copy.deepcopy(opt.state_dict())
    values = [to_numpy(p) for p in params]
    _, _, rest = run(ember, name, kwargs, steps=10, opt=opt, params=params, start=10)
    # a fresh optimizer on fresh parameters with the saved state continues identically
    fresh = make_params(ember, values)
    opt2 = getattr(ember.optim, name)(_groups(fresh), **kwargs)
    opt2.load_state_dict(saved)
    _, _, resumed = run(ember, name, kwargs, steps=10, opt=opt2, params=fresh, start=10)
    for a, b in zip(rest, resumed, strict=True):
        for pa, pb in zip(a, b, strict=True):
            np.testing.assert_array_equal(pa, pb)
    # and the uninterrupted 20 steps agree with torch's
    _, _, theirs = run(torch, name, kwargs, steps=20, groups=_groups)
    _assert_traj(first + rest, theirs, rtol=1e-10, atol=1e-12)
    # the loaded state does not alias the saved dict
    key = next(k for k in saved["state"][0] if k != "step")
    before = to_numpy(saved["state"][0][key])
    opt2.step()
    np.testing.assert_array_equal(to_numpy(saved["state"][0][key]), before)


def test_load_torch_layout_state_dict():
    """A state dict with torch's structure (made by torch) loads and continues identically."""
    kwargs = dict(lr=0.05, amsgrad=True)
    tparams, topt, _ = run(torch, "Adam", kwargs, steps=10)
    values = [to_numpy(p) for p in tparams]
    tsd = copy.deepcopy(topt.state_dict())
    eparams = make_params(ember, values)
    eopt = ember.optim.Adam(eparams, **kwargs)
    eopt.load_state_dict(tsd)
    assert isinstance(eopt.state[eparams[0]]["exp_avg"], ember.Tensor)
    _, _, ours = run(ember, "Adam", kwargs, steps=10, opt=eopt, params=eparams, start=10)
    _, _, theirs = run(torch, "Adam", kwargs, steps=10, opt=topt, params=tparams, start=10)
    _assert_traj(ours, theirs, rtol=1e-10, atol=1e-12)


def test_state_dict_structure_matches_torch():
    for lib in (ember, torch):
        params = make_params(lib, initial_values())
        opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1,
                            momentum=0.9)
        for p in params:
            p.grad = p.detach() * 0 + 1
        opt.step()
        sd = opt.state_dict()
        assert sd["param_groups"][0]["params"] == [0]
        assert sd["param_groups"][1]["params"] == [1, 2, 3]
        assert sorted(sd["state"]) == [0, 1, 2, 3]
        assert list(sd["state"][2]) == ["momentum_buffer"]


def test_adagrad_state_exists_before_step():
    ours = ember.optim.Adagrad(make_params(ember, initial_values()), initial_accumulator_value=.3)
    theirs = torch.optim.Adagrad(make_params(torch, initial_values()), initial_accumulator_value=.3)
    _assert_state(ours, theirs, rtol=0.0, atol=0.0)


def test_zero_grad():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = ember.optim.SGD([p], lr=0.1)
    p.grad = ember.tensor([3.0, 4.0])
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and g.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_closure_and_no_grad():
    p = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
    opt = ember.optim.SGD([p], lr=0.25)

    def closure():
        assert ember.is_grad_enabled()
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    assert p.tolist() == [0.5, -1.0]  # p - 0.25 * 2p
    assert p.grad_fn is None and p.requires_grad


def test_add_param_group_and_defaults():
    for lib in (ember, torch):
        params = make_params(lib, initial_values())
        opt = lib.optim.Adam(params[:2], lr=0.01)
        opt.add_param_group({"params": params[2:], "lr": 0.5})
        assert opt.param_groups[1]["lr"] == 0.5
        assert opt.param_groups[1]["betas"] == (0.9, 0.999)
        assert len(opt.param_groups) == 2


def _error(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("make", [
    lambda lib, ps: lib.optim.SGD([], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps[0], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps[:1], lr=0.1).add_param_group({"params": {ps[1], ps[2]}}),
    lambda lib, ps: lib.optim.SGD([ps[0], 3.0], lr=0.1),
    lambda lib, ps: lib.optim.SGD([ps[0] * 2], lr=0.1),
    lambda lib, ps: lib.optim.SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1),
    lambda lib, ps: lib.optim.SGD(ps, lr=-0.1),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=-1),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, weight_decay=-1),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, nesterov=True),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda lib, ps: lib.optim.Adam(ps, lr=-1),
    lambda lib, ps: lib.optim.Adam(ps, eps=-1),
    lambda lib, ps: lib.optim.Adam(ps, betas=(1.0, 0.9)),
    lambda lib, ps: lib.optim.Adam(ps, betas=(0.9, -0.1)),
    lambda lib, ps: lib.optim.AdamW(ps, weight_decay=-0.1),
    lambda lib, ps: lib.optim.RMSprop(ps, alpha=-0.5),
    lambda lib, ps: lib.optim.RMSprop(ps, eps=-0.5),
    lambda lib, ps: lib.optim.RMSprop(ps, momentum=-0.5),
    lambda lib, ps: lib.optim.Adagrad(ps, lr_decay=-0.5),
    lambda lib, ps: lib.optim.Adagrad(ps, initial_accumulator_value=-0.5),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).add_param_group(ps[0]),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).load_state_dict(
        lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:]}], lr=0.1).state_dict()),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1).load_state_dict(
        lib.optim.SGD(ps[1:], lr=0.1).state_dict()),
])
def test_errors_in_torch_words(make):
    theirs = _error(lambda: make(torch, make_params(torch, initial_values())))
    ours = _error(lambda: make(ember, make_params(ember, initial_values())))
    assert theirs is not None
    assert ours is not None and (ours[0], ours[1].replace("ember", "torch")) == theirs


@pytest.mark.parametrize("make", [
    lambda lib, ps: lib.optim.SGD(ps, lr=float("nan")),  # torch's SGD tests lr < 0
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=float("nan")),
    lambda lib, ps: lib.optim.Adam(ps, lr=float("nan")),
    lambda lib, ps: lib.optim.RMSprop(ps, lr=0.1, alpha=float("nan")),
    lambda lib, ps: lib.optim.Adagrad(ps, eps=float("nan")),
    lambda lib, ps: lib.optim.Adadelta(ps, rho=float("nan")),
    lambda lib, ps: lib.optim.Adadelta(ps, weight_decay=-1.0),
    lambda lib, ps: lib.optim.LBFGS(ps, lr=-1.0),
    lambda lib, ps: lib.optim.Adam(ps, lr=lib.tensor([0.1, 0.2])),
])
def test_nan_and_negative_hyperparameters_as_torch(make):
    theirs = _error(lambda: make(torch, make_params(torch, initial_values())))
    ours = _error(lambda: make(ember, make_params(ember, initial_values())))
    assert ours == theirs


def test_duplicate_parameters_warn():
    for lib in (ember, torch):
        ps = make_params(lib, initial_values())
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.optim.SGD([ps[0], ps[0]], lr=0.1)
        assert any("duplicate parameters" in str(x.message) for x in w)


def test_repr_matches_torch():
    ours = repr(ember.optim.SGD(make_params(ember, initial_values()), lr=0.1, momentum=0.9))
    theirs = repr(torch.optim.SGD(make_params(torch, initial_values()), lr=0.1, momentum=0.9))
    assert ours == theirs


def _strided_params(values):
    """Parameters equal to ``values`` whose arrays are strided views (not C-contiguous), so
    that every update takes the rules' whole-array path instead of the compiled loops."""
    params = []
    for v in values:
        base = np.zeros((*v.shape, 2), v.dtype)
        base[..., 0] = v
        p = ember.tensor(base)[..., 0]
        p.requires_grad_(True)
        assert not p.detach().numpy().flags.c_contiguous
        params.append(p)
    return params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("Adam", dict(lr=0.05)), ("Adam", dict(lr=0.05, amsgrad=True, betas=(0.3, 0.6))),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.3, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=0.5, rho=0.3, weight_decay=0.1)),
])
def test_compiled_loops_match_the_rules_bitwise(name, kwargs, dtype):
    """Contiguous parameters run the compiled loops, strided ones the same rules on whole
    arrays: the trajectories and states are identical bit for bit."""
    _, fused_opt, fused = run(ember, name, kwargs, steps=20, dtype=dtype)
    strided = _strided_params(initial_values(dtype))
    _, plain_opt, plain = run(ember, name, kwargs, steps=20, dtype=dtype, params=strided)
    for a, b in zip(fused, plain, strict=True):
        for pa, pb in zip(a, b, strict=True):
            assert pa.tobytes() == pb.tobytes()
    fused_state, plain_state = fused_opt.state_dict()["state"], plain_opt.state_dict()["state"]
    assert set(fused_state) == set(plain_state)
    for i, st in plain_state.items():
        for key, v in st.items():
            assert to_numpy(fused_state[i][key]).tobytes() == to_numpy(v).tobytes(), key


def test_user_optimizer_written_the_torch_way():
    """A custom Optimizer subclass that overrides step() as in PyTorch tutorials."""

    def make(lib):
        class SignSGD(lib.optim.Optimizer):
            def __init__(self, params, lr=0.01, decay=0.5):
                super().__init__(params, dict(lr=lr, decay=decay))

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if "avg" not in state:
                            state["avg"] = lib.zeros_like(p)
                        state["avg"].mul_(group["decay"]).add_(p.grad, alpha=1 - group["decay"])
                        p.add_(state["avg"].sign(), alpha=-group["lr"])

        return SignSGD

    results = []
    for lib in (ember, torch):
        params = make_params(lib, initial_values())
        opt = make(lib)(params, lr=0.05)
        results.append(run(lib, None, {}, steps=15, opt=opt, params=params)[2])
        assert sorted(opt.state_dict()["state"]) == [0, 1, 2, 3]
    _assert_traj(results[0], results[1], rtol=1e-12, atol=1e-14)


def test_non_contiguous_parameter_and_tensor_lr():
    base = np.arange(12.0).reshape(3, 4)
    out = []
    for lib in (ember, torch):
        t = torch.from_numpy(base.copy()) if lib is torch else ember.tensor(base.copy())
        p = t.t()  # a transposed (non-contiguous) leaf
        p.requires_grad_(True)
        opt = lib.optim.Adam([p], lr=lib.tensor(0.1, dtype=lib.float64))
        for k in range(5):
            p.grad = p.detach() * 0.1 + k
            opt.step()
        out.append(to_numpy(p))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_step_counts_as_in_place_modification():
    """A graph that saved a parameter cannot backward after a step changed it (both libs)."""
    for lib in (ember, torch):
        p = make_params(lib, initial_values())[0]
        loss = (p * p).sum()
        opt = lib.optim.SGD([p], lr=0.1)
        p.grad = p.detach() * 0 + 1
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_step_hooks():
    calls = []
    p = make_params(ember, initial_values())[0]
    opt = ember.optim.SGD([p], lr=0.1)
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt)))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt)))
    opt.step()
    h1.remove()
    opt.step()
    assert calls == [("pre", True), ("post", True), ("post", True)]


def test_step_hook_handles_behave_as_torchs():
    """Handles are ``utils.hooks.RemovableHandle``: ``remove()`` twice is harmless, a ``with``
    block removes its hook, ids are distinct and increasing."""
    logs = []
    for lib in (ember, torch):
        calls = []
        p = make_params(lib, initial_values())[0]
        p.grad = p.detach() * 0 + 1
        opt = lib.optim.SGD([p], lr=0.1)
        first = opt.register_step_pre_hook(lambda o, a, k, calls=calls: calls.append("pre"))
        assert isinstance(first, lib.utils.hooks.RemovableHandle)
        with opt.register_step_post_hook(lambda o, a, k, calls=calls: calls.append("post")) \
                as second:
            opt.step()
        assert second.id > first.id
        opt.step()
        first.remove()
        first.remove()
        opt.step()
        logs.append(calls)
    assert logs[0] == logs[1] == ["pre", "post", "pre"]

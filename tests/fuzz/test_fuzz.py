"""A fixed-seed slice of the differential fuzzer (Ember vs torch): no program may mismatch.

Seeds whose programs hit a known, not yet fixed Ember defect are marked xfail (strict) with
the finding's number in tests/fuzz/FINDINGS.md; a fix turns them into failures until
the mark is removed here. Regenerate the table with
``python -m tests.fuzz.run_long --ci --programs 300 --xfail-table``.

The slice draws from a frozen op table (every op form torch has, minus ``CI_EXCLUDED``, the
forms Ember lacked when the table was made), so that Ember gaining an op does not change the
slice's programs. Extend it by removing names from ``CI_EXCLUDED`` and regenerating ``KNOWN``.
"""

from __future__ import annotations

import pytest
import torch
from tests.fuzz import specs
from tests.fuzz.programs import TORCH_NS, Runner, replay, run_seed, source

import ember

CI_SEEDS = range(300)
CI_EXCLUDED = frozenset(
    "F.rrelu kthvalue torch.aminmax_dim torch.cummax_dim torch.cummin_dim torch.logcumsumexp "
    "torch.mode_dim Tensor.eq_ Tensor.lt_ Tensor.ge_ Tensor.hypot_ Tensor.copysign_".split()
    + [f"{form}.{name}" for form in ("torch", "Tensor") for name in (
        "acosh asinh atanh copysign deg2rad digamma erfc erfinv fix fmax fmin heaviside hypot i0 "
        "lgamma nanmean nansum nextafter positive rad2deg sinc xlogy").split()])
CI_OPS = [spec for spec in specs.OPS_TORCH if spec.name not in CI_EXCLUDED]

KNOWN: dict[int, int | None] = {}


def _param(seed: int):
    if seed in KNOWN:
        mark = pytest.mark.xfail(strict=True, reason=f"finding {KNOWN[seed]}")
        return pytest.param(seed, marks=mark)
    return seed


@pytest.mark.parametrize("seed", [_param(s) for s in CI_SEEDS])
def test_program_matches_torch(seed):
    result = run_seed(seed, CI_OPS, shrink=False)
    if result.mismatch is not None:
        pytest.fail(run_seed(seed, CI_OPS).report(), pytrace=False)


def test_op_table_covers_the_families():
    families = {op.family for op in specs.OPS}
    assert families == set(specs.FAMILY_WEIGHTS)
    assert len(specs.OPS) > 300


def test_the_ci_table_holds_only_ops_ember_has():
    """Ember losing an op of the frozen CI table is a regression (regenerate KNOWN after
    adding ops back to the table)."""
    absent = [spec.name for spec in CI_OPS if not specs.available(spec, ember)]
    assert not absent, absent


def test_a_planted_defect_is_found(monkeypatch):
    """The fuzzer reports a value mismatch when Ember's exp is off by a relative 1e-3."""
    true_exp = ember.exp
    monkeypatch.setattr(ember, "exp", lambda x, *a, **k: true_exp(x, *a, **k) * 1.001)
    exp_ops = [op for op in specs.OPS if op.name == "torch.exp"]
    found = [run_seed(seed, exp_ops, shrink=False).mismatch for seed in range(20)]
    kinds = {m.kind for m in found if m is not None}
    assert "value" in kinds, kinds


def test_a_report_runs_on_both_libraries():
    seed = next(s for s in CI_SEEDS if s not in KNOWN)
    result = run_seed(seed, CI_OPS, shrink=False)
    namespace: dict = {}
    exec(compile(source(result.lines), "<report>", "exec"), namespace)
    assert namespace["program"](torch).keys() == namespace["program"](ember).keys()


def test_replay_gives_the_same_outcome():
    for seed in (5, 6, 7):
        result = run_seed(seed, CI_OPS, shrink=False)
        again = replay(result.lines)
        assert isinstance(again, Runner)
        assert (again.mismatch is None) == (result.mismatch is None)


@pytest.mark.parametrize("call", [
    lambda F, x: F.hardtanh(x, -0.5, 1.5), lambda F, x: F.relu6(x), lambda F, x: F.hardswish(x),
    lambda F, x: F.hardshrink(x, 0.7), lambda F, x: F.softshrink(x, 0.3),
    lambda F, x: F.elu(x, alpha=0.7), lambda F, x: F.selu(x), lambda F, x: F.celu(x, alpha=1.3),
    lambda F, x: F.elu_(x * 1, 0.7), lambda F, x: F.hardtanh(x * 1, inplace=True),
], ids=["hardtanh", "relu6", "hardswish", "hardshrink", "softshrink", "elu", "selu", "celu",
        "elu_", "hardtanh_"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torch_side_takes_the_vectorized_path(call, dtype):
    """At NaN, the fuzzer's torch activations give the gradient torch's vectorized loop gives
    (that of a 64-element tensor) even for a 3-element tensor, whose own gradient comes from
    the scalar loop; elsewhere they give torch's own gradient, bit for bit."""
    wrapped, native = TORCH_NS["F"], torch.nn.functional

    def grad(F, data):
        x = torch.tensor(data, dtype=dtype, requires_grad=True)
        call(F, x).backward(torch.full(x.shape, 0.7, dtype=dtype))
        return x.grad

    data = [0.3, float("nan"), -1.2]
    long = [0.3, float("nan"), -1.2] * 21 + [0.5]  # 64 elements: all vectorized in torch
    short_native, short_wrapped = grad(native, data), grad(wrapped, data)
    long_native = grad(native, long)
    torch.testing.assert_close(short_wrapped[1], long_native[1], equal_nan=True, rtol=0, atol=0)
    torch.testing.assert_close(short_wrapped[[0, 2]], short_native[[0, 2]], rtol=0, atol=0)
    a, b = short_native[1].item(), long_native[1].item()
    assert a == a and a != b, f"torch's paths agree ({a}, {b}): nothing to pin"


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_torch_side_var_mean_gives_torch_mean_values(name):
    """torch's var_mean/std_mean mean is a Welford update (an inf before finite elements gives
    NaN); the fuzzer's torch side gives torch.mean's value there and keeps torch's node: the
    first output, the gradients and what is saved (an edit of std_mean's std still raises)."""
    wrapped = TORCH_NS["torch"]
    x = torch.tensor([[float("inf"), 1.0, 2.0], [0.5, 1.5, -1.0]], requires_grad=True)
    spread, mean = getattr(wrapped, name)(x, dim=1)
    native_spread, native_mean = getattr(torch, name)(x, dim=1)
    assert native_mean[0].isnan() and mean[0].item() == float("inf")
    torch.testing.assert_close(mean[1], torch.mean(x[1]), rtol=0, atol=0)
    torch.testing.assert_close(spread, native_spread, equal_nan=True, rtol=0, atol=0)
    assert type(mean.grad_fn) is type(native_mean.grad_fn)
    (spread.nansum() + mean[1]).backward()
    g = x.grad.clone()
    x.grad = None
    (native_spread.nansum() + native_mean[1]).backward()
    torch.testing.assert_close(g, x.grad, equal_nan=True, rtol=0, atol=0)
    if name == "std_mean":
        spread, _ = wrapped.std_mean(x * 1)
        spread.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            spread.backward()


@pytest.mark.parametrize("form", ["function", "method"])
def test_torch_side_logit_takes_the_vectorized_path(form):
    """logit's gradient at -0.0: -inf on torch's vectorized loop (1 / (x (1 - x))), +inf on its
    scalar loop; the fuzzer's torch side gives the vectorized value for both call forms."""
    from tests.fuzz.programs import _torch_methods

    x = torch.tensor([0.3, -0.0, 0.6], requires_grad=True)
    with _torch_methods():
        y = TORCH_NS["torch"].logit(x) if form == "function" else x.logit()
    y.backward(torch.ones(3))
    long = torch.tensor([0.3, -0.0, 0.6] * 21 + [0.5], requires_grad=True)
    torch.logit(long).backward(torch.ones(64))
    assert x.grad[1].item() == long.grad[1].item() == float("-inf")
    short = torch.tensor([0.3, -0.0, 0.6], requires_grad=True)
    torch.logit(short).backward(torch.ones(3))
    assert short.grad[1].item() == float("inf"), "torch's paths agree: nothing to pin"
    torch.testing.assert_close(x.grad[[0, 2]], short.grad[[0, 2]], rtol=0, atol=0)
    assert torch.Tensor.logit is not TORCH_NS["torch"].logit


def test_torch_side_refusing_an_in_place_call_leaves_the_tensor_alone():
    """torch refuses an in-place activation on a view of a leaf before writing; the fuzzer's
    vectorized-path form must too (data and version unchanged), or the final comparison of
    the leaf would report a difference that is the fuzzer's own."""
    x = torch.tensor([[-2.91, 1.27], [-0.35, 0.37]], dtype=torch.float64, requires_grad=True)
    view = x[0:1]
    before = (x.detach().clone(), x._version)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        TORCH_NS["F"].hardtanh(view, inplace=True)
    assert torch.equal(x.detach(), before[0]) and x._version == before[1]


@pytest.mark.parametrize("fn", ["median", "nanmedian"])
@pytest.mark.parametrize("form", ["function", "method"])
def test_torch_side_median_of_an_expanded_tensor_reads_the_values(fn, form):
    """torch's median along a dim of ``x0d.expand(3)`` returns garbage (seed 1108838); the
    fuzzer's torch side gives the dense tensor's answer, and its gradient."""
    from tests.fuzz.programs import _torch_methods

    x = torch.tensor(0.67, requires_grad=True)  # (torch's own answer is uninitialised memory,
    with _torch_methods():  # sometimes right: not pinned here)
        v = x.expand(3)
        out = getattr(TORCH_NS["torch"], fn)(v, 0) if form == "function" else \
            getattr(v, fn)(0)
    out.values.backward()
    assert out.values.item() == pytest.approx(0.67) and x.grad.item() == 1.0
    assert getattr(torch.Tensor, fn) is not getattr(TORCH_NS["torch"], fn)

"""The vectorized float32 kernels (``ember.kernels.elementwise``) and the ops built on them.

Three oracles: a float64 reference (NumPy/SciPy, rounded to float32) for the accuracy of each
transcendental in ulps over millions of float32 inputs and every special value; torch for the
values and gradients of the ops and fused activations in float32 (any layout, 0-d, empty);
Ember's float64 path (the unfused reference formulas) for the fused activations.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import special
from tests.torch_compare import assert_same, check_op, check_special, gradcheck

import ember
import ember.nn.functional as F
from ember.backend import get_backend

KERNELS = get_backend().kernels("elementwise")
F32 = np.float32


def _inputs() -> np.ndarray:
    """Random bit patterns (every binade, denormals, NaN, inf), dense grids where the formulas
    switch or the results overflow/underflow, and the special values with their neighbours."""
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**32, 1_500_000, dtype=np.uint64).astype(np.uint32).view(F32)
    grids = [np.linspace(a, b, 60_001, dtype=F32) for a, b in
             ((-20, 20), (-1.5, 1.5), (88.0, 89.0), (-105.0, -86.0), (3.0, 5.0))]
    special_values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45,
                               1.1754944e-38, 3.4028235e38, -3.4028235e38, 0.625, -0.625,
                               1.0, -1.0, 4.0, 88.72283935546875, -103.97208], F32)
    with np.errstate(over="ignore"):
        around = [np.nextafter(special_values, F32(np.inf)),
                  np.nextafter(special_values, F32(-np.inf))]
    return np.concatenate([bits, *grids, special_values, *around])


X = _inputs()


def _ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|got - exact| in ulps of float32 at the rounded exact value; 0 where got is that
    rounded value (same inf, same NaN), inf where it is NaN or inf and that is not."""
    ref = exact.astype(F32)
    same = (got == ref) | (np.isnan(got) & np.isnan(ref))
    with np.errstate(invalid="ignore"):
        spacing = np.maximum(np.spacing(np.abs(ref)).astype(np.float64), 2.0 ** -149)
        err = np.abs(got.astype(np.float64) - exact) / spacing
    err[same] = 0
    err[np.isnan(err)] = np.inf
    return err


REFERENCES = {
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": special.expit,
    "erf": special.erf,
    "softplus": lambda z: np.logaddexp(0.0, z),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_within_two_ulp_of_float64_everywhere(name):
    out = np.empty_like(X)
    KERNELS.forward(name, X, out)
    with np.errstate(all="ignore"):
        exact = REFERENCES[name](X.astype(np.float64))
    err = _ulps(out, exact)
    worst = int(np.argmax(err))
    assert err[worst] <= 2.0, f"{name}({X[worst]!r}) = {out[worst]!r}, exact {exact[worst]!r}"


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "erf"])
def test_special_values_as_numpy_and_torch(name):
    # zeros keep their sign where the function is odd; NaN, inf and the overflow and
    # underflow edges give exactly what torch gives
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 88.72283935546875, 88.72284,
                  -103.972084, -103.97208, -1.0, 1e-45], F32)
    out = np.empty_like(x)
    KERNELS.forward(name, x, out)
    with np.errstate(all="ignore"):
        expected = getattr(torch, name)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    inf = np.isinf(expected)
    np.testing.assert_array_equal(out[inf], expected[inf])
    zeros = (out == 0) & (expected == 0)
    np.testing.assert_array_equal(np.signbit(out[zeros]), np.signbit(expected[zeros]))
    # sigmoid below -88.7: torch's 1 / (1 + exp(-x)) is 0, ours the denormal e^x
    np.testing.assert_allclose(out[np.isfinite(expected)], expected[np.isfinite(expected)],
                               rtol=3e-7, atol=1e-44)


@pytest.mark.parametrize("n", [5, 1 << 17])
def test_serial_and_parallel_passes_agree_bit_for_bit(n):
    x = np.random.default_rng(3).standard_normal(n).astype(F32) * 4
    g = np.random.default_rng(4).standard_normal(n).astype(F32)
    for name in ("exp", "gelu"):
        a, b = np.empty_like(x), np.empty_like(x)
        serial, parallel = KERNELS._FORWARD_PASSES[name]
        serial(x, a, F32(1), F32(20))
        parallel(x, b, F32(1), F32(20))
        np.testing.assert_array_equal(a, b, err_msg=name)
        serial, parallel = KERNELS._BACKWARD_PASSES["gelu"]
        serial(x, g, a, F32(1), F32(20))
        parallel(x, g, b, F32(1), F32(20))
        np.testing.assert_array_equal(a, b, err_msg=name)


# -- ops and activations against torch (float32: the kernels; float64: the reference path) ---

# a few ulp of each rounding step; atol: gelu_tanh's gradient near |x| = 5 is
# 0.5 x sqrt(2/pi) (1 + 3 k x^2) (1 - t^2) ~ 30 (1 - t^2), and t = tanh(...) within 1 ulp of 1
# (torch rounds it to 1 sooner than the exact value does): 30 * 2 * 6e-8 ~ 4e-6
TOL32 = dict(rtol=4e-6, atol=5e-6)

OPS = [
    ("exp", lambda t: t.exp(), -5, 5),
    ("log", lambda t: t.log(), 0.01, 5),
    ("tanh", lambda t: t.tanh(), -5, 5),
    ("sigmoid", lambda t: t.sigmoid(), -10, 10),
    ("erf", lambda t: t.erf(), -4, 4),
]
ACTIVATIONS = [
    ("gelu", lambda m: m.nn.functional.gelu),
    ("gelu_tanh", lambda m: lambda t: m.nn.functional.gelu(t, approximate="tanh")),
    ("silu", lambda m: m.nn.functional.silu),
    ("mish", lambda m: m.nn.functional.mish),
    ("softplus", lambda m: m.nn.functional.softplus),
    ("softplus_beta", lambda m: lambda t: m.nn.functional.softplus(t, beta=2.5, threshold=3.0)),
]


@pytest.mark.parametrize(("name", "fn", "low", "high"), OPS, ids=[o[0] for o in OPS])
@pytest.mark.parametrize("noncontig", [False, True])
def test_ops_match_torch(name, fn, low, high, noncontig):
    check_op([(37, 29)], fn, low=low, high=high, noncontig=noncontig, dtypes=(F32,), **TOL32)
    check_op([(7, 5)], fn, low=low, high=high, dtypes=(np.float64,))


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("noncontig", [False, True])
def test_activations_match_torch(name, make, noncontig):
    check_op([(41, 33)], make(torch), make(ember), low=-8, high=8, noncontig=noncontig,
             dtypes=(F32,), **TOL32)


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_large_input_runs_parallel_pass(name, make, monkeypatch):
    from ember.kernels import threads

    monkeypatch.setattr(threads, "idle_cores", lambda: 1)  # the gate reads the machine's load
    check_op([(300, 300)], make(torch), make(ember), low=-12, high=12, dtypes=(F32,), **TOL32)


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_special_values(name, make):
    data = [[0.0, -0.0, 1e-40, -1e-40, 30.0, -30.0, 100.0, -100.0, np.inf, -np.inf, np.nan]]
    check_special(data, make(torch), make(ember), dtype=F32, rtol=4e-6, atol=1e-30)


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_fused_float32_equals_float64_reference_path(name, make):
    # the unfused float64 formulas, rounded, are the reference the fused pass is held to
    x = np.random.default_rng(11).uniform(-9, 9, 5000)
    g = np.random.default_rng(12).standard_normal(5000)
    outs, grads = {}, {}
    for dt in (np.float32, np.float64):
        t = ember.tensor(x.astype(dt), requires_grad=True)
        y = make(ember)(t)
        y.backward(ember.tensor(g.astype(dt)))
        outs[dt], grads[dt] = y.detach().numpy(), t.grad.numpy()
    np.testing.assert_allclose(outs[np.float32], outs[np.float64], rtol=4e-6, atol=1e-6)
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (1,)])
@pytest.mark.parametrize(("name", "make"), ACTIVATIONS[:3], ids=[a[0] for a in ACTIVATIONS[:3]])
def test_zero_dim_and_empty(shape, name, make):
    check_op([shape], make(torch), make(ember), dtypes=(F32,), **TOL32)


def test_fortran_order_layout_kept():
    x = np.asfortranarray(np.random.default_rng(5).standard_normal((6, 9)).astype(F32))
    y = ember.exp(ember.from_numpy(x)).numpy()
    assert y.flags.f_contiguous
    assert_same(ember.from_numpy(y), torch.from_numpy(x).exp(), **TOL32)


def test_inplace_silu_matches_torch():
    x = np.random.default_rng(6).standard_normal((4, 5)).astype(F32)
    e = ember.tensor(x)
    t = torch.tensor(x)
    F.silu(e, inplace=True)
    torch.nn.functional.silu(t, inplace=True)
    assert_same(e, t, **TOL32)


@pytest.mark.parametrize(("name", "make"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_gradcheck_float64(name, make):
    assert gradcheck(make(ember), [(4, 3)], low=-3, high=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("exponent", [2, 3, -1, -2, 0.5, -0.5, 1, 0, 2.0, 3.0])
def test_power_small_exponent_is_torch_bit_for_bit(dtype, exponent):
    """``x ** e`` for torch's special exponents (products, sqrt, 1 / sqrt): torch's values bit
    for bit, 0.5 as the correctly rounded sqrt (torch's pow is within 1 ulp of it)."""
    x = np.random.default_rng(9).standard_normal(20_000).astype(dtype) * 3
    x = np.concatenate([x, np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40], dtype)])
    got = (ember.from_numpy(x) ** exponent).numpy()
    expected = (torch.from_numpy(x) ** exponent).numpy()
    assert got.dtype == expected.dtype
    if exponent == 0.5:
        np.testing.assert_array_max_ulp(got[np.isfinite(got)], expected[np.isfinite(got)], 1)
        expected = np.sqrt(x)
    np.testing.assert_array_equal(got, expected)  # NaN where torch has NaN
    zeros = expected == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(expected[zeros]))

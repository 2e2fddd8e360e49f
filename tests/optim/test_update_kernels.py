"""The optimizer update kernels: every compiled loop against its rule on whole arrays."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import ember

KERNELS = ember.backend.get_backend().kernels("optim")
SPECIALS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-300, -1e-300, 1e30, -1e30, 1.0]


def _arrays(count: int, dtype, seed: int, n: int = 1037) -> list[np.ndarray]:
    """``count`` arrays of ``n`` values (not a multiple of any vector width), the first two
    (parameter and gradient) seeded with infinities, NaNs, signed zeros and subnormals."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(n).astype(dtype) for _ in range(count)]
    for a in arrays[:2]:
        a[rng.choice(n, len(SPECIALS), replace=False)] = np.array(SPECIALS).astype(dtype)
    return arrays


def _strided(a: np.ndarray) -> np.ndarray:
    out = np.empty(2 * a.size, a.dtype)[::2]
    out[...] = a
    return out


def _assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Equal bit for bit, except that a NaN's sign and payload are free (LLVM may commute an
    operation on two NaNs, and neither NumPy nor torch specifies which one comes out)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    assert a[~nan].tobytes() == b[~nan].tobytes()


# (kernel call on the arrays, how many arrays: parameter, gradient, states)
CASES = {
    "sgd": (lambda a: KERNELS.sgd_(*a, 0.1), 2),
    "sgd-momentum": (lambda a: KERNELS.sgd_momentum_(*a, 0.9, 0.0, 0.1, False, False), 3),
    "sgd-momentum-first": (lambda a: KERNELS.sgd_momentum_(*a, 0.9, 0.0, 0.1, False, True), 3),
    "sgd-nesterov-dampening": (lambda a: KERNELS.sgd_momentum_(*a, 0.9, 0.3, 0.1, True, False),
                               3),
    "adam": (lambda a: KERNELS.adam_(*a, None, 0.9, 0.999, 1e-8, 0.01, 0.3), 4),
    "adam-amsgrad-large-weight": (lambda a: KERNELS.adam_(*a, 0.3, 0.6, 1e-8, 0.01, 0.3), 5),
    "rmsprop": (lambda a: KERNELS.rmsprop_(*a, None, None, 0.99, 1e-8, 0.0, 0.01), 3),
    "rmsprop-centered-momentum": (lambda a: KERNELS.rmsprop_(*a, 0.99, 1e-8, 0.5, 0.01), 5),
    "rmsprop-centered-small-alpha": (lambda a: KERNELS.rmsprop_(*a, None, 0.3, 1e-8, 0.0, 0.01),
                                     4),
    "adagrad": (lambda a: KERNELS.adagrad_(*a, 1e-10, 0.1), 3),
    "adadelta": (lambda a: KERNELS.adadelta_(*a, 0.9, 1e-6, 1.0), 4),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the rules on inf and NaN, as NumPy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_compiled_loop_equals_rule_on_whole_arrays(case, dtype):
    """Contiguous arrays run the compiled loop, strided ones the rule as NumPy ufuncs."""
    call, count = CASES[case]
    start = _arrays(count, dtype, seed=len(case))
    compiled = [a.copy() for a in start]
    reference = [_strided(a) for a in start]
    call(compiled)
    call(reference)
    for a, b in zip(compiled, reference, strict=True):
        _assert_same_bits(a, b)
    assert not np.array_equal(compiled[0], start[0], equal_nan=True)  # the update happened


def test_add_scaled_rounds_once_per_entry():
    """``y + alpha * x`` rounded once, checked exactly with fractions (float64)."""
    rng = np.random.default_rng(3)
    y, x = rng.standard_normal((2, 64))
    alpha = 0.1234567890123
    out = KERNELS.add_scaled(y, alpha, x)
    expected = [float(Fraction(alpha) * Fraction(float(xi)) + Fraction(float(yi)))
                for xi, yi in zip(x, y, strict=True)]
    assert out.tobytes() == np.array(expected).tobytes()


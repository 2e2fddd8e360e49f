"""NumPy's floating-point warnings are off inside Ember's ops, through the fast switch on
NumPy 2, and the user's own NumPy state is left as it was."""

import warnings

import numpy as np
import pytest

import ember
from ember import _fpstate


def test_fast_switch_is_used_on_numpy_2():
    if int(np.__version__.split(".")[0]) >= 2:
        assert _fpstate.FAST_SWITCH  # fails if NumPy moved its private error-state variable


@pytest.mark.parametrize("call", [
    lambda: ember.exp(ember.tensor([1000.0])), lambda: ember.tensor([1.0]) / 0,
    lambda: ember.tensor([0.0]).log(), lambda: ember.nn.Linear(1, 1)(ember.tensor([[1e38]])) * 1e38,
])
def test_no_warning_and_user_state_restored(call):
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        call()
    assert np.geterr() == before
    with pytest.warns(RuntimeWarning):
        np.exp(np.float64(1000.0))  # the user's own NumPy still warns

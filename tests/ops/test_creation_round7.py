"""Creation functions: their arrays come through the backend of their ``device``, and two of
torch's messages (``zeros``' own size check, the factories' ``requires_grad`` check)."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from tests.torch_compare import both, same_error

import ember
from ember import backend as ember_backend

# -- messages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda M: M.zeros(-1),
    lambda M: M.zeros(2, -1),
    lambda M: M.zeros((3, -2)),
    lambda M: M.zeros(size=(-1,)),
    lambda M: M.zeros(-1, dtype=M.int64, requires_grad=True),  # the size is checked first
], ids=["zeros(-1)", "zeros(2,-1)", "zeros((3,-2))", "size=", "before requires_grad"])
def test_zeros_words_a_negative_size_its_own_way(call):
    assert same_error(call) == "zeros: Dimension size must be non-negative."


@pytest.mark.parametrize("call", [
    lambda M: M.ones(-1),
    lambda M: M.empty(2, -3),
    lambda M: M.full((-1,), 1.0),
], ids=["ones", "empty", "full"])
def test_other_factories_keep_the_negative_dimension_message(call):
    assert same_error(call).startswith("Trying to create tensor with negative dimension")


FACTORY_MESSAGE = "Only Tensors of floating point and complex dtype can require gradients"


@pytest.mark.parametrize("call", [
    lambda M: M.tensor([1, 2], requires_grad=True),
    lambda M: M.tensor(True, requires_grad=True),
    lambda M: M.tensor([1.5], dtype=M.int32, requires_grad=True),
    lambda M: M.zeros(2, dtype=M.int64, requires_grad=True),
    lambda M: M.ones(2, dtype=M.int32, requires_grad=True),
    lambda M: M.empty(2, dtype=M.bool, requires_grad=True),
    lambda M: M.full((2,), 1, requires_grad=True),
    lambda M: M.arange(3, requires_grad=True),
    lambda M: M.eye(2, dtype=M.long, requires_grad=True),
    lambda M: M.scalar_tensor(1, dtype=M.int64, requires_grad=True),
    lambda M: M.randperm(3, requires_grad=True),
    lambda M: M.zeros_like(M.ones(2, dtype=M.long), requires_grad=True),
], ids=["tensor", "tensor bool", "tensor int32", "zeros", "ones", "empty", "full", "arange",
        "eye", "scalar_tensor", "randperm", "zeros_like"])
def test_factories_refuse_requires_grad_on_integers_in_torchs_words(call):
    assert same_error(call) == FACTORY_MESSAGE


def test_the_requires_grad_setter_keeps_its_own_message():
    message = same_error(lambda M: M.tensor([1, 2]).requires_grad_())
    assert message == "only Tensors of floating point dtype can require gradients"


def test_floating_factories_still_require_grad():
    for M in (torch, ember):
        assert M.tensor([1.0, 2.0], requires_grad=True).requires_grad
        assert M.zeros(2, requires_grad=True).is_leaf


# -- the device and the backend ---------------------------------------------------------------

FACTORIES = {
    "tensor": lambda M, d: M.tensor([1.0], device=d),
    "scalar_tensor": lambda M, d: M.scalar_tensor(1.0, device=d),
    "zeros": lambda M, d: M.zeros(2, device=d),
    "ones": lambda M, d: M.ones(2, 3, device=d),
    "empty": lambda M, d: M.empty(2, device=d),
    "full": lambda M, d: M.full((2,), 7.0, device=d),
    "arange": lambda M, d: M.arange(1, 4, device=d),
    "eye": lambda M, d: M.eye(3, device=d),
    "linspace": lambda M, d: M.linspace(0, 1, 5, device=d),
    "logspace": lambda M, d: M.logspace(0, 2, 3, device=d),
    "zeros_like": lambda M, d: M.zeros_like(M.ones(2), device=d),
    "ones_like": lambda M, d: M.ones_like(M.ones(2), device=d),
    "full_like": lambda M, d: M.full_like(M.ones(2), 3.0, device=d),
    "empty_like": lambda M, d: M.empty_like(M.ones(2), device=d),
    "rand_like": lambda M, d: M.rand_like(M.ones(2), device=d),
    "randn_like": lambda M, d: M.randn_like(M.ones(2), device=d),
    "randint_like": lambda M, d: M.randint_like(M.ones(2), 5, device=d),
    "normal": lambda M, d: M.normal(0.0, 1.0, (2,), device=d),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_cuda_raises_torchs_assertion(name):
    same_error(lambda M: FACTORIES[name](M, "cuda"), AssertionError)


ALLOCATING = ["tensor", "scalar_tensor", "zeros", "ones", "empty", "full", "arange", "eye",
              "linspace", "logspace", "zeros_like", "ones_like", "full_like", "empty_like"]


@pytest.fixture
def recording_backend(monkeypatch):
    """A backend named "rec": NumPy behind an array module and an allocator that log calls."""
    calls = []

    class RecordingXP(types.ModuleType):
        def __getattr__(self, name):
            calls.append(name)
            return getattr(np, name)

    def allocate(shape, dtype):
        calls.append("allocate")
        return np.empty(shape, dtype)

    rec = ember_backend.Backend("rec", RecordingXP("rec_numpy"), ember_backend.device("rec"),
                                allocate, "ember.kernels", lambda array: True)
    monkeypatch.setitem(ember_backend._BACKENDS, "rec", rec)
    return calls


@pytest.mark.parametrize("name", ALLOCATING)
def test_allocation_goes_through_the_devices_backend(name, recording_backend):
    out = FACTORIES[name](ember, "rec")
    assert recording_backend, f"{name} allocated without asking the backend"
    if name != "empty" and name != "empty_like":
        assert np.array_equal(out.numpy(), FACTORIES[name](torch, "cpu").numpy())


@pytest.mark.parametrize("name", [n for n in ALLOCATING if not n.startswith("empty")])
def test_values_and_dtypes_match_torch(name):
    both(lambda M: FACTORIES[name](M, "cpu"))


def test_float_arange_and_filled_dtypes_match_torch():
    both(lambda M: M.arange(1, 2.5, 0.5))
    both(lambda M: M.full((2, 2), True))
    both(lambda M: M.full((2,), 3))
    both(lambda M: M.eye(2, 3, dtype=M.int32))

"""Tensors, parameters and modules pickle as in torch (values, dtype, requires_grad, type)."""

import copy
import pickle

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(6.0).reshape(2, 3),
    lambda lib: lib.arange(6.0).reshape(2, 3)[:, 1],
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor(True),
    lambda lib: lib.ones(2, requires_grad=True) * 2,
    lambda lib: lib.ones(2, requires_grad=True),
    lambda lib: lib.nn.Parameter(lib.ones(3)),
    lambda lib: lib.nn.Parameter(lib.ones(3), requires_grad=False),
    lambda lib: lib.tensor([1.5], dtype=lib.bfloat16),
])
def test_round_trip_as_torch(make):
    results = []
    for lib in (ember, torch):
        t = pickle.loads(pickle.dumps(make(lib)))
        results.append((type(t).__name__, str(t.dtype).split(".")[1], tuple(t.shape),
                        t.requires_grad, t.is_leaf, t.detach().float().numpy().tolist()))
    assert results[0] == results[1]


def test_buffer_attributes_and_modules_survive():
    b = pickle.loads(pickle.dumps(ember.nn.Buffer(ember.ones(1), persistent=False)))
    assert isinstance(b, ember.nn.Buffer) and b.persistent is False
    model = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU())
    clone = pickle.loads(pickle.dumps(model))
    assert list(clone.state_dict()) == list(model.state_dict())
    for a, b in zip(clone.parameters(), model.parameters(), strict=True):
        assert type(a) is ember.nn.Parameter
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
        assert not np.shares_memory(a.detach().numpy(), b.detach().numpy())
    assert copy.deepcopy(model)[0].weight.shape == (3, 2)


@pytest.mark.parametrize("name", ["bool", "float32", "bfloat16", "int64", "uint8", "float16"])
def test_dtypes_pickle_to_themselves(name):
    d = getattr(ember, name)
    assert pickle.loads(pickle.dumps(d)) is d

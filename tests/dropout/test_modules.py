"""The dropout Modules: construction, repr, train/eval, in place, against torch's modules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn

NAMES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
SHAPES = {"Dropout": (8, 16), "Dropout1d": (4, 8, 16), "Dropout2d": (4, 8, 3, 3),
          "Dropout3d": (2, 8, 2, 3, 3), "AlphaDropout": (8, 16), "FeatureAlphaDropout": (4, 8, 3)}


@pytest.mark.parametrize("name", NAMES)
def test_repr_and_defaults_match_torch(name):
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
    assert repr(getattr(nn, name)(0.2, True)) == repr(getattr(torch.nn, name)(0.2, True))
    m = getattr(nn, name)()
    assert m.p == 0.5 and m.inplace is False and m.training


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("p", [-0.5, 1.01])
def test_invalid_p_raises_at_construction(name, p):
    with pytest.raises(ValueError) as e:
        getattr(nn, name)(p)
    with pytest.raises(ValueError) as t:
        getattr(torch.nn, name)(p)
    assert str(e.value) == str(t.value)


@pytest.mark.parametrize("name", NAMES)
def test_active_only_in_train_mode(name):
    m = getattr(nn, name)(0.5)
    x = ember.rand(*SHAPES[name]) + 0.5
    m.eval()
    assert np.array_equal(m(x).numpy(), x.numpy())
    m.train()
    y = m(x).numpy()
    assert not np.array_equal(y, x.numpy())


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"])
def test_inplace_module_writes_into_its_input(name):
    m = getattr(nn, name)(0.5, inplace=True)
    x = ember.rand(*SHAPES[name]) + 0.5
    y = m(x)
    assert y is x and (x.numpy() == 0).any()


@pytest.mark.parametrize("name", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_modules_ignore_inplace_like_torch(name):
    x = ember.rand(*SHAPES[name]) + 0.5
    before = x.numpy().copy()
    y = getattr(nn, name)(0.5, inplace=True)(x)
    assert y is not x and np.array_equal(x.numpy(), before)
    tx = torch.rand(*SHAPES[name]) + 0.5
    tb = tx.clone()
    getattr(torch.nn, name)(0.5, inplace=True)(tx)
    assert torch.equal(tx, tb)


def test_extensions_generator_and_broadcast_dims():
    g = ember.Generator().manual_seed(3)
    m = nn.Dropout(0.5, generator=g, broadcast_dims=(0,))
    assert repr(m) == "Dropout(p=0.5, inplace=False, broadcast_dims=(0,))"
    x = ember.ones(6, 50)
    y = m(x).numpy()
    assert (y == y[0]).all()
    y2 = nn.Dropout(0.5, generator=ember.Generator().manual_seed(3), broadcast_dims=(0,))(x)
    assert np.array_equal(y, y2.numpy())


def test_dropout2d_module_warns_like_torch_for_3d():
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout"):
        nn.Dropout2d()(ember.ones(2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Dropout2d()(ember.ones(2, 3, 4, 4))


def test_module_in_a_network_trains_and_backpropagates():
    ember.manual_seed(0)
    net = nn.Sequential(nn.Linear(10, 20), nn.Dropout(0.5), nn.Linear(20, 1))
    x = ember.randn(32, 10)
    net(x).sum().backward()
    assert net[0].weight.grad is not None and np.isfinite(net[0].weight.grad.numpy()).all()


@pytest.mark.parametrize("name", NAMES)
def test_help_documents_arguments_shape_and_a_running_example(name):
    import doctest
    import inspect

    cls = getattr(nn, name)
    doc = inspect.getdoc(cls)
    for section in ("Args:", "Shape:", "Example:"):
        assert f"\n{section}\n" in doc, (name, section)
    for param in ("p:", "inplace:", "generator:", "broadcast_dims:"):
        assert f"\n    {param}" in doc, (name, param)
    tests = doctest.DocTestFinder(recurse=False).find(cls, name, globs={"ember": ember})
    runner = doctest.DocTestRunner()
    for test in tests:
        runner.run(test)
    assert runner.tries >= 3 and runner.failures == 0, name

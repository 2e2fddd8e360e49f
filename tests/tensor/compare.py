"""Run one piece of code against torch and Ember and compare what it returns."""

from __future__ import annotations

import numpy as np
import torch

import ember


def to_numpy(value):
    """Tensors (of either library) to arrays, recursively through tuples and lists."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, ember.Tensor):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    return value


def assert_same(t_value, e_value, rtol=1e-6, atol=1e-6) -> None:
    """Asserts that a torch result and an Ember result agree (values, shapes, None-ness)."""
    t_value, e_value = to_numpy(t_value), to_numpy(e_value)
    if isinstance(t_value, (tuple, list)):
        assert isinstance(e_value, (tuple, list)) and len(e_value) == len(t_value)
        for t, e in zip(t_value, e_value, strict=True):
            assert_same(t, e, rtol, atol)
        return
    if t_value is None or isinstance(t_value, (bool, int, float, str)):
        assert e_value == t_value, (e_value, t_value)
        return
    assert isinstance(e_value, np.ndarray), type(e_value)
    assert e_value.shape == t_value.shape
    assert e_value.dtype == t_value.dtype
    np.testing.assert_allclose(e_value, t_value, rtol=rtol, atol=atol)


def both(fn, **tols):
    """Runs ``fn(M)`` with M = torch and M = ember and compares the results."""
    t_value = fn(torch)
    e_value = fn(ember)
    assert_same(t_value, e_value, **tols)
    return e_value


def same_error(fn, exc=RuntimeError, prefix_len: int | None = None, upto: str | None = None):
    """Both libraries raise ``exc`` from ``fn(M)``; Ember's message (``ember.`` for ``torch.``)
    equals torch's, or its first ``prefix_len`` characters, or everything before ``upto``."""
    messages = []
    for M in (torch, ember):
        try:
            fn(M)
        except exc as e:
            messages.append(str(e).replace("torch.", "ember."))
        else:
            raise AssertionError(f"{M.__name__} did not raise {exc.__name__}")
    t_msg, e_msg = messages
    if upto is not None:
        assert upto in t_msg and upto in e_msg, (e_msg, t_msg)
        assert e_msg[:e_msg.index(upto)] == t_msg[:t_msg.index(upto)], (e_msg, t_msg)
    elif prefix_len is None:
        assert e_msg == t_msg
    else:
        assert e_msg[:prefix_len] == t_msg[:prefix_len], (e_msg, t_msg)
    return e_msg

"""Shared helpers: the same distribution built in Ember and in torch from one set of arrays."""

from __future__ import annotations

import numpy as np
import torch
import torch.distributions as T
from tests.torch_compare import assert_same, to_numpy

import ember
import ember.distributions as D

# Float64 values from closed forms agree with torch's to about 1e-10 relative.
CLOSE = {"rtol": 1e-10, "atol": 1e-12}
DTYPES = {np.float64: (ember.float64, torch.float64), np.float32: (ember.float32, torch.float32)}


def pair(x, dtype=np.float64, requires_grad=False):
    """``(ember_tensor, torch_tensor)`` holding the same data."""
    arr = np.asarray(x, dtype=dtype)
    return (ember.tensor(arr, requires_grad=requires_grad),
            torch.tensor(arr, requires_grad=requires_grad))


def build(name, params: dict, dtype=np.float64, requires_grad=False, **kwargs):
    """The distribution ``name`` in both libraries; returns ``(ember_dist, torch_dist, leaves)``.

    ``params`` maps argument names to arrays (or Python numbers, passed as they are);
    ``leaves`` is a list of ``(ember_leaf, torch_leaf)`` for the array parameters.
    """
    e_kw, t_kw, leaves = {}, {}, []
    for k, v in params.items():
        if isinstance(v, (int, float)):
            e_kw[k] = t_kw[k] = v
            continue
        e, t = pair(v, dtype, requires_grad)
        e_kw[k], t_kw[k] = e, t
        leaves.append((e, t))
    return getattr(D, name)(**e_kw, **kwargs), getattr(T, name)(**t_kw, **kwargs), leaves


def assert_grads(e_out, t_out, leaves, rtol=1e-8, atol=1e-10, what="", seed=0):
    """Gradients w.r.t. the leaves for one random cotangent, Ember against torch."""
    g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    e_grads = ember.autograd.grad(e_out, [e for e, _ in leaves], ember.tensor(g),
                                  retain_graph=True, allow_unused=True)
    t_grads = torch.autograd.grad(t_out, [t for _, t in leaves], torch.tensor(g),
                                  retain_graph=True, allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_grads, t_grads, strict=True)):
        if tg is None:
            assert eg is None or not np.any(to_numpy(eg)), f"{what}: grad {i} should be zero"
            continue
        assert eg is not None, f"{what}: no gradient for input {i}"
        assert_same(eg, tg, rtol=rtol, atol=atol, what=f"{what}: grad {i}")


def torch_words(message: str) -> str:
    """torch's message with its type names in Ember's spelling."""
    return message.replace("torch.", "ember.")

"""ember.nn.utils: gradient clipping and parameter/vector conversion against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.optim.helpers import SHAPES, initial_values, make_params, set_grads, to_numpy

import ember

TOL = {np.float64: dict(rtol=1e-12, atol=0), np.float32: dict(rtol=2e-6, atol=1e-7)}


def _with_grads(lib, dtype, scale, missing=()):
    params = make_params(lib, initial_values(dtype))
    rng = np.random.default_rng(5)
    grads = [None if i in missing else (scale * rng.standard_normal(s)).astype(dtype)
             for i, s in enumerate(SHAPES)]
    set_grads(lib, params, grads)
    return params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, 0.5, float("inf"), "inf", 0])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 1e-3)])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm, scale):
    out = {}
    for lib in (ember, torch):
        params = _with_grads(lib, dtype, scale, missing=(1,))
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        out[lib] = total, [None if p.grad is None else to_numpy(p.grad) for p in params]
    (t_ours, g_ours), (t_theirs, g_theirs) = out[ember], out[torch]
    assert isinstance(t_ours, ember.Tensor) and t_ours.dim() == 0
    assert t_ours.numpy().dtype == dtype
    np.testing.assert_allclose(t_ours.item(), t_theirs.item(), **TOL[dtype])
    for a, b in zip(g_ours, g_theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, **TOL[dtype])


def test_clip_grad_norm_single_tensor_and_generator():
    for lib in (ember, torch):
        p = _with_grads(lib, np.float64, 10.0)[0]
        lib.nn.utils.clip_grad_norm_(p, 1.0)
        np.testing.assert_allclose(np.linalg.norm(to_numpy(p.grad)), 1.0, rtol=1e-5)
        params = _with_grads(lib, np.float64, 10.0)
        total = lib.nn.utils.clip_grad_norm_((q for q in params), 2.0, norm_type=1)
        assert total.item() > 2.0
        np.testing.assert_allclose(sum(np.abs(to_numpy(q.grad)).sum() for q in params), 2.0,
                                   rtol=1e-5)


def test_clip_grad_norm_no_grads():
    ours = ember.nn.utils.clip_grad_norm_(make_params(ember, initial_values()), 1.0)
    theirs = torch.nn.utils.clip_grad_norm_(make_params(torch, initial_values()), 1.0)
    assert ours.item() == theirs.item() == 0.0
    assert ours.dtype == ember.float32


def test_clip_grad_norm_nonfinite():
    msgs = []
    for lib in (ember, torch):
        params = _with_grads(lib, np.float64, 1.0)
        params[2].grad[0, 0] = float("nan")
        with pytest.raises(RuntimeError) as e:
            lib.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
        msgs.append(str(e.value))
        total = lib.nn.utils.clip_grad_norm_(params, 1.0)  # without the flag: nan, no error
        assert np.isnan(total.item())
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype):
    out = []
    for lib in (ember, torch):
        params = _with_grads(lib, dtype, 1.0, missing=(3,))
        assert lib.nn.utils.clip_grad_value_(params, 0.7) is None
        out.append([None if p.grad is None else to_numpy(p.grad) for p in params])
    for a, b in zip(*out, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
            assert np.abs(a).max() == pytest.approx(0.7)


def test_parameters_to_vector_and_back():
    vecs = []
    for lib in (ember, torch):
        params = make_params(lib, initial_values())
        v = lib.nn.utils.parameters_to_vector(params)
        vecs.append(to_numpy(v))
        (v * lib.arange(v.numel(), dtype=lib.float64)).sum().backward()
        np.testing.assert_array_equal(np.concatenate([to_numpy(p.grad).ravel() for p in params]),
                                      np.arange(v.numel()))
        new = lib.arange(v.numel(), dtype=lib.float64) * 0.5
        lib.nn.utils.vector_to_parameters(new, params)
        assert [tuple(p.shape) for p in params] == SHAPES
        np.testing.assert_array_equal(to_numpy(params[2]).ravel(), 0.5 * np.arange(16, 24))
    np.testing.assert_array_equal(vecs[0], vecs[1])
    with pytest.raises(TypeError, match=r"expected torch.Tensor, but got"):
        ember.nn.utils.vector_to_parameters([1.0], [])

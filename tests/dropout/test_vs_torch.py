"""Ember's dropout family against torch where torch is deterministic.

* For the same mask, Ember's output and gradient equal torch's bit for bit, for many p and both
  dtypes. torch draws its own masks, so the mask is Ember's (recovered from Ember's output on
  inputs without zeros) and torch computes with it through the very operations of its CPU
  ``_dropout_impl`` (a noise tensor of 0/1, then ``noise.div_(1 - p)`` or the alpha
  constants, then ``input * noise`` (``.add_(b)``)), with torch's autograd for the gradient.
* eval / p == 0 return the input itself; p == 1 gives torch's ``x * 0`` (NaN, -0.0).
* Error and warning texts are torch's own, compared by running both.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

P_VALUES = [0.001, 0.01, 0.05, 0.1, 0.123456789, 0.2, 0.25, 0.3, 1 / 3, 0.4, 0.45, 0.5, 0.55,
            0.6, 2 / 3, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99, 0.999]
DTYPES = [(torch.float32, np.float32, np.int32), (torch.float64, np.float64, np.int64)]
SELU_SAT = 1.7580993408473766


def _no_zero_input(shape, tdtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=tdtype) + 0.5
    sign = torch.rand(shape, generator=g) < 0.5
    return torch.where(sign, -x, x)


def _same_bits(a: np.ndarray, b: np.ndarray, itype) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(itype), b.view(itype))


def _torch_dropout_impl(x, keep, p, alpha):
    """torch's CPU ``_dropout_impl`` (aten/src/ATen/native/Dropout.cpp) with a given mask."""
    noise = torch.from_numpy(np.ascontiguousarray(keep)).to(x.dtype)  # bernoulli_(1 - p)
    if not alpha:
        return x * noise.div_(1 - p)
    a = 1.0 / math.sqrt((SELU_SAT * SELU_SAT * p + 1) * (1 - p))
    b = noise.add(-1).mul_(SELU_SAT * a).add_(SELU_SAT * a * p)
    return (x * noise.mul_(a)).add_(b)


def _ember_and_torch(tx, p, alpha, fn, **kw):
    """Ember's output and gradient, and torch's for Ember's mask, for a ``tx`` without zeros."""
    ex = ember.tensor(tx.detach().numpy().copy(), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ey = fn(ex, p, True, generator=ember.Generator().manual_seed(17), **kw)
    out = ey.detach().numpy()
    if alpha:
        # Dropped elements are a * -alpha' + b; kept ones a * x + b with |x| <= 1.5 < alpha',
        # so at least 0.25 * a away from it.
        a = 1 / math.sqrt((SELU_SAT**2 * p + 1) * (1 - p))
        keep = np.abs(out - a * -SELU_SAT * (1 - p)) > 0.1 * a
    else:
        keep = out != 0
    gout = torch.randn(tx.shape, dtype=tx.dtype)
    ey.backward(ember.tensor(gout.numpy()))
    tx = tx.detach().requires_grad_()
    ty = _torch_dropout_impl(tx, keep, p, alpha)
    ty.backward(gout)
    return (out, ex.grad.numpy()), (ty.detach().numpy(), tx.grad.numpy()), keep


@pytest.mark.parametrize("tdtype,ndtype,itype", DTYPES)
@pytest.mark.parametrize("alpha", [False, True])
def test_rounding_equals_torch_for_the_same_mask(tdtype, ndtype, itype, alpha):
    torch.manual_seed(1)
    fn = F.alpha_dropout if alpha else F.dropout
    for p in P_VALUES:
        tx = _no_zero_input((3000,), tdtype)
        (ey, eg), (ty, tg), keep = _ember_and_torch(tx, p, alpha, fn)
        assert 0 < keep.sum() < keep.size or p < 0.01 or p > 0.99
        assert _same_bits(ey, ty, itype), p
        assert _same_bits(eg, tg, itype), p


@pytest.mark.parametrize("tdtype,ndtype,itype", DTYPES)
@pytest.mark.parametrize("alpha", [False, True])
def test_channel_dropout_equals_torch_for_the_same_mask(tdtype, ndtype, itype, alpha):
    torch.manual_seed(3)
    fn = F.feature_alpha_dropout if alpha else F.dropout2d
    for p in (0.1, 0.3, 0.5, 0.77):
        tx = _no_zero_input((4, 6, 3, 5), tdtype)
        (ey, eg), (ty, tg), keep = _ember_and_torch(tx, p, alpha, fn)
        keep_c = keep.any(axis=(2, 3))
        assert np.array_equal(keep, np.broadcast_to(keep_c[:, :, None, None], keep.shape))
        assert _same_bits(ey, ty, itype), p
        assert _same_bits(eg, tg, itype), p


SPECIALS = [1.0, -2.0, 0.0, -0.0, float("nan"), float("inf"), -float("inf"), 3.5]


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "dropout2d",
                                  "feature_alpha_dropout", "dropout1d", "dropout3d"])
@pytest.mark.parametrize("inplace", [False, True])
def test_p_one_is_x_times_zero(name, inplace):
    data = np.array(SPECIALS * 3, dtype=np.float32).reshape(1, 2, 12)
    if name == "dropout3d":
        data = data.reshape(1, 2, 3, 4)
    tx, ex = torch.tensor(data.copy()), ember.tensor(data.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = getattr(TF, name)(tx, 1.0, True, inplace)
        ey = getattr(F, name)(ex, 1.0, True, inplace)
    assert _same_bits(ey.numpy(), ty.numpy(), np.int32)
    assert (ey is ex) == inplace


def test_p_one_gradient_is_zero_times_grad():
    x = ember.tensor([1.0, -2.0, 3.0], requires_grad=True)
    F.dropout(x, 1.0).backward(ember.tensor([1.0, float("inf"), -1.0]))
    tx = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    TF.dropout(tx, 1.0).backward(torch.tensor([1.0, float("inf"), -1.0]))
    assert _same_bits(x.grad.numpy(), tx.grad.numpy(), np.int32)


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d",
                                  "alpha_dropout", "feature_alpha_dropout"])
def test_eval_and_p_zero_return_the_input_itself(name):
    x = ember.randn(2, 3, 4, 5) if name != "dropout1d" else ember.randn(2, 3, 4)
    before = x.numpy().copy()
    fn = getattr(F, name)
    for p, training in ((0.5, False), (0.0, True), (0.0, False)):
        for inplace in (False, True):
            assert fn(x, p, training, inplace) is x
    assert np.array_equal(x.numpy(), before)
    assert x._version == 0


def test_empty_input_keeps_its_shape():
    for shape in [(0,), (0, 3), (2, 0, 4), (2, 3, 0, 4)]:
        for fn in (F.dropout, F.alpha_dropout, F.feature_alpha_dropout, F.dropout3d):
            if fn is F.feature_alpha_dropout and len(shape) < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = fn(ember.ones(*shape), 0.5, True)
            assert tuple(y.shape) == shape


def _outcome(fn, *args):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            fn(*args)
            err = None
        except Exception as e:
            err = (type(e).__name__, str(e))
    return err, [(x.category, str(x.message)) for x in w]


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d",
                                  "alpha_dropout", "feature_alpha_dropout"])
def test_errors_and_warnings_match_torch(name):
    for rank in range(0, 7):
        for p in (-0.1, 0.5, 1.5, float("nan")):
            shape = [2] * rank
            t = _outcome(getattr(TF, name), torch.ones(shape), p, True)
            e = _outcome(getattr(F, name), ember.ones(*shape), p, True)
            assert e == t, (name, rank, p)


@pytest.mark.parametrize("name", ["dropout", "dropout_", "feature_dropout", "feature_dropout_",
                                  "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout",
                                  "feature_alpha_dropout_"])
def test_top_level_forms_match_torch(name):
    for shape in ([2, 3], [4], [], [0, 3]):
        for p, train in ((1.5, True), (0.5, True), (0.5, False), (1.0, True)):
            t = _outcome(getattr(torch, name), torch.ones(shape), p, train)
            e = _outcome(getattr(ember, name), ember.ones(*shape), p, train)
            assert e == t, (name, shape, p, train)


def test_integer_input_error_matches_torch():
    t = _outcome(TF.dropout, torch.ones(3, dtype=torch.int64), 0.5, True)
    e = _outcome(F.dropout, ember.ones(3, dtype=ember.int64), 0.5, True)
    assert e == t


def test_leaf_inplace_error_matches_torch():
    t = _outcome(TF.dropout, torch.ones(3, requires_grad=True), 0.5, True, True)
    e = _outcome(F.dropout, ember.ones(3, requires_grad=True), 0.5, True, True)
    assert e == t and e[0] is not None


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d",
                                  "alpha_dropout", "feature_alpha_dropout"])
def test_signatures_match_torch(name):
    tsig = inspect.signature(getattr(TF, name))
    esig = inspect.signature(getattr(F, name))
    tparams = [(p.name, p.default) for p in tsig.parameters.values()]
    eparams = [(p.name, p.default) for p in esig.parameters.values()
               if p.kind != inspect.Parameter.KEYWORD_ONLY]
    assert eparams == tparams
    assert {p.name for p in esig.parameters.values()
            if p.kind == inspect.Parameter.KEYWORD_ONLY} == {"generator", "broadcast_dims"}

"""Ember's dropout family against torch where torch is deterministic.

* Given the same mask (recovered from torch's output on inputs without zeros), Ember's output
  and gradient equal torch's bit for bit, for many p and both dtypes.
* eval / p == 0 return the input itself; p == 1 gives torch's ``x * 0`` (NaN, -0.0).
* Error and warning texts are torch's own, compared by running both.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember.nn.functional.dropout import _apply_given_mask

P_VALUES = [0.001, 0.01, 0.05, 0.1, 0.123456789, 0.2, 0.25, 0.3, 1 / 3, 0.4, 0.45, 0.5, 0.55,
            0.6, 2 / 3, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99, 0.999]
DTYPES = [(torch.float32, np.float32, np.int32), (torch.float64, np.float64, np.int64)]


def _no_zero_input(shape, tdtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=tdtype) + 0.5
    sign = torch.rand(shape, generator=g) < 0.5
    return torch.where(sign, -x, x)


def _same_bits(a: np.ndarray, b: np.ndarray, itype) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(itype), b.view(itype))


@pytest.mark.parametrize("tdtype,ndtype,itype", DTYPES)
def test_dropout_rounding_equals_torch_for_the_same_mask(tdtype, ndtype, itype):
    torch.manual_seed(1)
    for p in P_VALUES:
        tx = _no_zero_input((3000,), tdtype).requires_grad_()
        ty = TF.dropout(tx, p, True)
        keep = (ty != 0).detach().numpy()
        gout = torch.randn(3000, dtype=tdtype)
        ty.backward(gout)

        ex = ember.tensor(tx.detach().numpy().copy(), requires_grad=True)
        ey = _apply_given_mask(ex, keep, p)
        ey.backward(ember.tensor(gout.numpy()))
        assert _same_bits(ey.detach().numpy(), ty.detach().numpy(), itype), p
        assert _same_bits(ex.grad.numpy(), tx.grad.numpy(), itype), p


@pytest.mark.parametrize("tdtype,ndtype,itype", DTYPES)
def test_alpha_dropout_rounding_equals_torch_for_the_same_mask(tdtype, ndtype, itype):
    torch.manual_seed(2)
    for p in P_VALUES:
        tx = _no_zero_input((3000,), tdtype).requires_grad_()
        ty = TF.alpha_dropout(tx, p, True)
        out = ty.detach().numpy()
        values, counts = np.unique(out, return_counts=True)
        dropped_value = values[np.argmax(counts)]  # every dropped element has this value
        keep = out != dropped_value
        assert 0 < keep.sum() < keep.size or p < 0.01 or p > 0.99
        gout = torch.randn(3000, dtype=tdtype)
        ty.backward(gout)

        ex = ember.tensor(tx.detach().numpy().copy(), requires_grad=True)
        ey = _apply_given_mask(ex, keep, p, alpha=True)
        ey.backward(ember.tensor(gout.numpy()))
        assert _same_bits(ey.detach().numpy(), out, itype), p
        assert _same_bits(ex.grad.numpy(), tx.grad.numpy(), itype), p


@pytest.mark.parametrize("tdtype,ndtype,itype", DTYPES)
@pytest.mark.parametrize("alpha", [False, True])
def test_channel_dropout_equals_torch_for_the_same_mask(tdtype, ndtype, itype, alpha):
    torch.manual_seed(3)
    for p in (0.1, 0.3, 0.5, 0.77):
        tx = _no_zero_input((4, 6, 3, 5), tdtype)
        ty = (TF.feature_alpha_dropout if alpha else TF.dropout2d)(tx, p, True).numpy()
        if alpha:
            values, counts = np.unique(ty, return_counts=True)
            keep = ty != values[np.argmax(counts)]
        else:
            keep = ty != 0
        keep_c = keep.any(axis=(2, 3))
        assert np.array_equal(keep, np.broadcast_to(keep_c[:, :, None, None], keep.shape))
        ey = _apply_given_mask(ember.tensor(tx.numpy().copy()), keep_c[:, :, None, None], p,
                               alpha=alpha, broadcast_dims=(2, 3))
        assert _same_bits(ey.numpy(), ty, itype), p


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

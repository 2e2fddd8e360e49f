"""Normalization against torch: batch_norm (training, eval, running statistics), layer_norm,
group_norm, rms_norm, normalize, and their layers."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.torch_compare import Const, assert_same, check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

DTYPES = (np.float64, np.float32)
TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1e-4, atol=1e-5)}


def _pos(shape, seed):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    c = shape[1]
    w, b = np.random.default_rng(1).uniform(-1, 2, c), np.random.default_rng(2).uniform(-1, 1, c)
    params = [w, b] if affine else [None, None]
    for dtype in DTYPES:
        rm_t, rv_t = torch.tensor(np.zeros(c, dtype)), torch.tensor(np.ones(c, dtype))
        rm_e, rv_e = ember.tensor(np.zeros(c, dtype)), ember.tensor(np.ones(c, dtype))
        check_op([shape, *params],
                 lambda x, w_, b_, m=rm_t, v=rv_t: TF.batch_norm(x, m, v, w_, b_, True, 0.3, 1e-3),
                 lambda x, w_, b_, m=rm_e, v=rv_e: EF.batch_norm(x, m, v, w_, b_, True, 0.3, 1e-3),
                 dtypes=(dtype,), **TOL[dtype])
        # the running statistics moved the same way (biased -> unbiased variance included)
        np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), **TOL[dtype])
        np.testing.assert_allclose(rv_e.numpy(), rv_t.numpy(), **TOL[dtype])
        assert not np.allclose(rv_e.numpy(), 1.0)


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 3)])
def test_batch_norm_eval_matches_torch(shape):
    c = shape[1]
    rm, rv = np.random.default_rng(3).normal(size=c), _pos(c, 4)
    check_op([shape, Const(rm), Const(rv), (c,), (c,)],
             lambda x, m, v, w, b: TF.batch_norm(x, m, v, w, b, False),
             lambda x, m, v, w, b: EF.batch_norm(x, m, v, w, b, False))


def test_batch_norm_gradcheck():
    c = 3
    for training in (True, False):
        assert gradcheck(lambda x, w, b, training=training: EF.batch_norm(
            x, ember.zeros(c, dtype=ember.float64), ember.ones(c, dtype=ember.float64), w, b,
            training), [(4, c, 2), (c,), (c,)])


def test_batch_norm_errors_in_torch_words():
    check_error(lambda x: TF.batch_norm(x, torch.zeros(3), torch.ones(3), training=True),
                lambda x: EF.batch_norm(x, ember.zeros(3), ember.ones(3), training=True),
                inputs=[(1, 3)], words=["Expected more than 1 value per channel when training"])
    check_error(lambda x: TF.batch_norm(x, torch.zeros(4), torch.ones(4), training=True),
                lambda x: EF.batch_norm(x, ember.zeros(4), ember.ones(4), training=True),
                inputs=[(2, 3)], words=["running_mean should contain 3 elements not 4"])
    check_error(lambda x: torch.nn.BatchNorm1d(3)(x), lambda x: ember.nn.BatchNorm1d(3)(x),
                inputs=[(2, 3, 4, 5)], words=["expected 2D or 3D input (got 4D input)"])
    check_error(lambda x: torch.nn.BatchNorm2d(3)(x), lambda x: ember.nn.BatchNorm2d(3)(x),
                inputs=[(2, 3, 4)], words=["expected 4D input (got 3D input)"])


def _copy_params(t_mod, e_mod, dtype):
    t_mod.to(getattr(torch, np.dtype(dtype).name))
    e_mod.to(getattr(ember, np.dtype(dtype).name))
    rng = np.random.default_rng(5)
    for (name, tp), (ename, ep) in zip(t_mod.named_parameters(), e_mod.named_parameters(),
                                                 strict=True):
        assert name == ename
        v = rng.uniform(0.5, 1.5, tuple(tp.shape)).astype(dtype)
        tp.data = torch.tensor(v)
        ep.data = ember.tensor(v)


def _step(t_mod, e_mod, x, dtype, seed):
    """One forward and backward with a random cotangent; compares the output, the input's
    gradient, and each parameter's gradient and buffer, name by name."""
    tx = torch.tensor(x.astype(dtype), requires_grad=True)
    ex = ember.tensor(x.astype(dtype), requires_grad=True)
    t_out, e_out = t_mod(tx), e_mod(ex)
    assert_same(e_out, t_out, what="output", **TOL[dtype])
    g = np.random.default_rng(seed).standard_normal(x.shape).astype(dtype)
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    assert_same(ex.grad, tx.grad, what="input grad", **TOL[dtype])
    assert_same(_grads_and_buffers(e_mod), _grads_and_buffers(t_mod), what="module",
                **TOL[dtype])


def _grads_and_buffers(mod) -> tuple[list, list]:
    return [(name, p.grad) for name, p in mod.named_parameters()], list(mod.named_buffers())


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 4)), ("BatchNorm1d", (5, 4, 3)),
                                       ("BatchNorm2d", (3, 4, 3, 2)),
                                       ("BatchNorm3d", (2, 4, 2, 2, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_modules_train_then_eval(cls, shape, momentum):
    for dtype in DTYPES:
        t_mod = getattr(torch.nn, cls)(4, momentum=momentum)
        e_mod = getattr(ember.nn, cls)(4, momentum=momentum)
        _copy_params(t_mod, e_mod, dtype)
        rng = np.random.default_rng(6)
        for step in range(3):  # three training steps move the running statistics
            _step(t_mod, e_mod, rng.normal(1.0, 2.0, shape), dtype, step)
        assert int(e_mod.num_batches_tracked) == 3
        t_mod.eval()
        e_mod.eval()
        _step(t_mod, e_mod, rng.normal(size=shape), dtype, 9)
        assert int(e_mod.num_batches_tracked) == 3  # eval leaves the statistics alone


@pytest.mark.parametrize("kw", [dict(affine=False), dict(track_running_stats=False),
                                dict(affine=False, track_running_stats=False), dict(bias=False),
                                dict(eps=1e-2, momentum=0.5)])
def test_batchnorm_options(kw):
    t_mod, e_mod = torch.nn.BatchNorm1d(3, **kw), ember.nn.BatchNorm1d(3, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _copy_params(t_mod, e_mod, np.float64)
    x = np.random.default_rng(7).normal(size=(6, 3))
    _step(t_mod, e_mod, x, np.float64, 0)
    t_mod.eval()
    e_mod.eval()
    _step(t_mod, e_mod, x * 2, np.float64, 1)


def test_batchnorm_state_dict_roundtrip_and_dtypes():
    e_mod = ember.nn.BatchNorm2d(3)
    e_mod(ember.randn(4, 3, 2, 2))
    sd = e_mod.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert sd["num_batches_tracked"].dtype == ember.int64
    clone = ember.nn.BatchNorm2d(3)
    clone.load_state_dict(copy.deepcopy(sd))
    np.testing.assert_array_equal(clone.running_var.numpy(), e_mod.running_var.numpy())
    assert int(clone.num_batches_tracked) == 1


@pytest.mark.parametrize("shape,norm", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((3, 6), (6,))])
def test_layer_norm_matches_torch(shape, norm):
    check_op([shape, norm, norm], lambda x, w, b: TF.layer_norm(x, norm, w, b, 1e-5),
             lambda x, w, b: EF.layer_norm(x, norm, w, b, 1e-5), rtol=None)
    check_op([shape], lambda x: TF.layer_norm(x, norm), lambda x: EF.layer_norm(x, norm))
    assert gradcheck(lambda x, w, b: EF.layer_norm(x, norm, w, b), [shape, norm, norm])


def test_layer_norm_errors():
    check_error(lambda x: TF.layer_norm(x, (4,)), lambda x: EF.layer_norm(x, (4,)),
                inputs=[(2, 3)], words=["Given normalized_shape=[4], expected input with shape "
                                        "[*, 4], but got input of size[2, 3]"])


@pytest.mark.parametrize("shape,groups", [((2, 6, 4), 3), ((3, 4), 2), ((2, 4, 3, 2), 4),
                                          ((2, 4, 3), 1)])
def test_group_norm_matches_torch(shape, groups):
    c = (shape[1],)
    check_op([shape, c, c], lambda x, w, b: TF.group_norm(x, groups, w, b),
             lambda x, w, b: EF.group_norm(x, groups, w, b))
    check_op([shape], lambda x: TF.group_norm(x, groups), lambda x: EF.group_norm(x, groups))
    assert gradcheck(lambda x, w, b: EF.group_norm(x, groups, w, b), [shape, c, c])


def test_group_norm_errors():
    check_error(lambda x: TF.group_norm(x, 4), lambda x: EF.group_norm(x, 4), inputs=[(2, 6, 4)],
                words=["Expected number of channels in input to be divisible by num_groups, "
                       "but got input of shape [2, 6, 4] and num_groups=4"])


@pytest.mark.parametrize("shape,norm", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_rms_norm_matches_torch(shape, norm):
    check_op([shape, norm], lambda x, w: TF.rms_norm(x, norm, w),
             lambda x, w: EF.rms_norm(x, norm, w))
    check_op([shape], lambda x: TF.rms_norm(x, norm, eps=1e-3),
             lambda x: EF.rms_norm(x, norm, eps=1e-3))
    assert gradcheck(lambda x, w: EF.rms_norm(x, norm, w), [shape, norm])


def test_normalize_matches_torch():
    for p, dim in [(2.0, 1), (1.0, 0), (3.0, -1)]:
        check_op([(3, 4)], lambda x, p=p, d=dim: TF.normalize(x, p, d),
                 lambda x, p=p, d=dim: EF.normalize(x, p, d))
        assert gradcheck(lambda x, p=p, d=dim: EF.normalize(x, p, d), [(3, 4)])
    zero_row = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    check_op([zero_row], lambda x: TF.normalize(x), lambda x: EF.normalize(x))


NORM_MODULES = [
    ("LayerNorm", (5,), {}), ("LayerNorm", ((2, 5),), {"elementwise_affine": False}),
    ("LayerNorm", (5,), {"bias": False, "eps": 1e-3}), ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (4, 4), {"affine": False}), ("RMSNorm", (5,), {}),
    ("RMSNorm", ((2, 5),), {"eps": 1e-4, "elementwise_affine": False}),
]


@pytest.mark.parametrize("cls,args,kw", NORM_MODULES)
def test_norm_modules_match_torch(cls, args, kw):
    t_mod, e_mod = getattr(torch.nn, cls)(*args, **kw), getattr(ember.nn, cls)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    shape = (3, 4, 5) if cls == "GroupNorm" else (3, 2, 5)
    for dtype in DTYPES:
        _copy_params(t_mod, e_mod, dtype)
        for p in list(t_mod.parameters()) + list(e_mod.parameters()):
            p.grad = None
        _step(t_mod, e_mod, np.random.default_rng(8).normal(size=shape), dtype, 3)


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 3, 2, 4)])
def test_instance_norm_matches_torch(shape):
    c = shape[1]
    check_op([shape, (c,), (c,)],
             lambda x, w, b: TF.instance_norm(x, weight=w, bias=b, eps=1e-3),
             lambda x, w, b: EF.instance_norm(x, weight=w, bias=b, eps=1e-3))
    assert gradcheck(lambda x, w, b: EF.instance_norm(x, weight=w, bias=b), [shape, (c,), (c,)])
    rm, rv = np.random.default_rng(9).normal(size=c), _pos(c, 10)
    check_op([shape, Const(rm), Const(rv)],
             lambda x, m, v: TF.instance_norm(x, m, v, use_input_stats=False),
             lambda x, m, v: EF.instance_norm(x, m, v, use_input_stats=False))
    check_error(lambda x: TF.instance_norm(x), lambda x: EF.instance_norm(x),
                inputs=[(2, 3, 1)], words=["Expected more than 1 spatial element when training"])


@pytest.mark.parametrize("cls,shape,kw", [
    ("InstanceNorm1d", (2, 4, 5), {}), ("InstanceNorm1d", (4, 5), {"affine": True}),
    ("InstanceNorm2d", (2, 4, 3, 3), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm3d", (2, 4, 2, 2, 3), {"track_running_stats": True, "momentum": 0.3}),
])
def test_instance_norm_modules_train_then_eval(cls, shape, kw):
    for dtype in DTYPES:
        t_mod, e_mod = getattr(torch.nn, cls)(4, **kw), getattr(ember.nn, cls)(4, **kw)
        assert repr(e_mod) == repr(t_mod)
        assert list(e_mod.state_dict()) == list(t_mod.state_dict())
        _copy_params(t_mod, e_mod, dtype)
        rng = np.random.default_rng(11)
        for step in range(2):
            _step(t_mod, e_mod, rng.normal(1.0, 2.0, shape), dtype, step)
        t_mod.eval()
        e_mod.eval()
        _step(t_mod, e_mod, rng.normal(size=shape), dtype, 5)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), k=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_layer_and_batch_norm_property_random_shapes(shape, k, seed):
    shape = tuple(shape)
    k = min(k, len(shape))
    x = np.random.default_rng(seed).normal(1.0, 2.0, shape)
    norm = shape[len(shape) - k:]
    check_op([x, norm, norm], lambda a, w, b: TF.layer_norm(a, norm, w, b),
             lambda a, w, b: EF.layer_norm(a, norm, w, b), dtypes=(np.float64,), rtol=1e-6,
             atol=1e-8)
    c = shape[1]
    if int(np.prod(shape)) // c > 1:
        check_op([x, (c,), (c,)], lambda a, w, b: TF.batch_norm(a, None, None, w, b, True),
                 lambda a, w, b: EF.batch_norm(a, None, None, w, b, True),
                 dtypes=(np.float64,), rtol=1e-6, atol=1e-8)


def test_batch_norm_running_stats_both_or_neither():
    check_error(lambda x: TF.batch_norm(x, None, torch.ones(3), training=True),
                lambda x: EF.batch_norm(x, None, ember.ones(3), training=True), inputs=[(5, 3)],
                words=["running_mean and running_var must either both be None or neither be "
                       "None"])

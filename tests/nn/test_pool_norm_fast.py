"""The compiled pooling and normalization kernels against torch and against the NumPy
reference path they replace (``_USE_KERNELS = False`` in each functional module).

Max pooling does the same comparisons as the reference in the same order: values and indices
are held to it bit for bit. Average pooling, batch norm and layer norm sum in another order
(float64 statistics in the norms), so they are held to a few float32 ulps times the length of
the sums (see ``_tol``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.torch_compare import assert_same, gradcheck

import ember
import ember.nn.functional as EF
from ember.nn.functional import normalization, pooling

DTYPES = (np.float32, np.float64)


def _tol(dtype, terms: int) -> dict:
    """Tolerance of a result made of sums of ``terms`` O(1) values: a rounding of ``eps`` per
    term in the worst case (the observed error is about its square root)."""
    eps = float(np.finfo(dtype).eps)
    tol = 4 * eps * max(terms, 1)
    return dict(rtol=tol, atol=tol)


def _pair(data: np.ndarray, channels_last: bool = False):
    """Leaves of torch and Ember with ``data``; channels-last views (strided) when asked."""
    t = torch.tensor(data, requires_grad=True)
    e = ember.tensor(data, requires_grad=True)
    if channels_last:
        order = (0, *range(2, data.ndim), 1)
        back = tuple(int(i) for i in np.argsort(order))
        t = torch.tensor(np.ascontiguousarray(data.transpose(order)), requires_grad=True)
        e = ember.tensor(np.ascontiguousarray(data.transpose(order)), requires_grad=True)
        return (t, e), (t.permute(*back), e.permute(*back))
    return (t, e), (t, e)


def _run(fn, data, cot_seed=7, channels_last=False):
    """``fn(M, x)`` in both libraries, backpropagating one random cotangent through the
    first output; returns ``(ember outputs, torch outputs, ember grad, torch grad)``."""
    (tl, el), (tx, ex) = _pair(data, channels_last)
    t_out, e_out = fn(torch, tx), fn(ember, ex)
    t_first = t_out[0] if isinstance(t_out, tuple) else t_out
    e_first = e_out[0] if isinstance(e_out, tuple) else e_out
    cot = np.random.default_rng(cot_seed).standard_normal(tuple(t_first.shape)).astype(
        data.dtype)
    t_first.backward(torch.tensor(cot))
    e_first.backward(ember.tensor(cot))
    return e_out, t_out, el.grad, tl.grad


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# -- max pooling -------------------------------------------------------------------------------
MAX_CASES = [  # (input shape, kwargs)
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((1, 4, 9, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((3, 2, 11, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True)),
    ((2, 3, 12, 13), dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    ((2, 2, 5, 5), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ((3, 6, 6), dict(kernel_size=2, stride=1)),
    ((1, 1, 1, 1), dict(kernel_size=1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool2d_against_torch(shape, kwargs, dtype):
    fn = lambda M, x: M.nn.functional.max_pool2d(x, return_indices=True, **kwargs)  # noqa: E731
    for channels_last in (False, True) if len(shape) == 4 else (False,):
        e_out, t_out, e_grad, t_grad = _run(fn, _data(shape, dtype), channels_last=channels_last)
        assert_same(e_out, t_out, rtol=0, atol=0)
        assert_same(e_grad, t_grad, rtol=0, atol=0)


def test_max_pool2d_nan_ties_and_infinities_as_torch():
    x = _data((2, 3, 6, 6), np.float32, seed=3)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan           # two NaNs in one window: the last
    x[0, 1, 2:4, 2:4] = 5.0                          # a four-way tie: the first
    x[0, 2, :2, :2] = -np.inf                        # a window of -inf: its first tap
    x[1, 0, 4, 4], x[1, 0, 4, 5] = -0.0, 0.0         # -0.0 then 0.0: the first
    x[1, 0, 5, 4], x[1, 0, 5, 5] = -1.0, -1.0
    x[1, 1, :3, :3] = -np.inf                        # padded border window of -inf
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)):
        fn = lambda M, x, kw=kwargs: M.nn.functional.max_pool2d(  # noqa: E731
            x, return_indices=True, **kw)
        e_out, t_out, e_grad, t_grad = _run(fn, x)
        assert_same(e_out, t_out, rtol=0, atol=0)
        assert_same(e_grad, t_grad, rtol=0, atol=0)
        assert np.array_equal(np.signbit(e_out[0].detach().numpy()),
                              np.signbit(t_out[0].detach().numpy()))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=2, ceil_mode=True)])
def test_max_pool1d_against_torch(kwargs):
    for shape in ((2, 3, 11), (4, 9)):
        fn = lambda M, x: M.nn.functional.max_pool1d(  # noqa: E731
            x, return_indices=True, **kwargs)
        e_out, t_out, e_grad, t_grad = _run(fn, _data(shape, np.float32))
        assert_same(e_out, t_out, rtol=0, atol=0)
        assert_same(e_grad, t_grad, rtol=0, atol=0)


@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool2d_kernel_equals_reference(shape, kwargs, monkeypatch):
    data = _data(shape, np.float64, seed=5)
    data[..., ::3, 1::4] = np.nan
    results = []
    for use in (True, False):
        monkeypatch.setattr(pooling, "_USE_KERNELS", use)
        x = ember.tensor(data, requires_grad=True)
        out, idx = EF.max_pool2d(x, return_indices=True, **kwargs)
        out.backward(ember.ones_like(out))
        results.append((out.detach().numpy(), idx.numpy(), x.grad.numpy()))
    for fast, ref in zip(*results, strict=True):
        np.testing.assert_array_equal(fast, ref)


def test_max_pool2d_keeps_compact_indices_when_they_are_not_returned():
    x = ember.randn(2, 3, 8, 8, requires_grad=True)
    out = EF.max_pool2d(x, 2)
    (idx,) = out.grad_fn.saved_tensors
    assert np.asarray(idx).dtype == np.int32
    assert EF.max_pool2d(x, 2, return_indices=True)[1].dtype == ember.int64


def test_max_pool2d_gradcheck():
    assert gradcheck(lambda x: EF.max_pool2d(x, 3, stride=2, padding=1), [(2, 2, 7, 6)])


# -- average pooling ---------------------------------------------------------------------------
AVG_CASES = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((1, 4, 9, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 4, 9, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((3, 2, 11, 10), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True)),
    ((2, 2, 5, 5), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                        count_include_pad=False)),
    ((2, 3, 7, 7), dict(kernel_size=3, padding=1, divisor_override=5)),
    ((3, 6, 6), dict(kernel_size=2, stride=1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
def test_avg_pool2d_against_torch(shape, kwargs, dtype):
    fn = lambda M, x: M.nn.functional.avg_pool2d(x, **kwargs)  # noqa: E731
    for channels_last in (False, True) if len(shape) == 4 else (False,):
        e_out, t_out, e_grad, t_grad = _run(fn, _data(shape, dtype), channels_last=channels_last)
        tol = _tol(dtype, 16)
        assert_same(e_out, t_out, **tol)
        assert_same(e_grad, t_grad, **tol)


@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
def test_avg_pool2d_kernel_equals_reference(shape, kwargs, monkeypatch):
    data = _data(shape, np.float32, seed=6)
    results = []
    for use in (True, False):
        monkeypatch.setattr(pooling, "_USE_KERNELS", use)
        x = ember.tensor(data, requires_grad=True)
        out = EF.avg_pool2d(x, **kwargs)
        out.backward(ember.tensor(_data(tuple(out.shape), np.float32, seed=8)))
        results.append((out.detach().numpy(), x.grad.numpy()))
    for fast, ref in zip(*results, strict=True):
        np.testing.assert_allclose(fast, ref, **_tol(np.float32, 16))


def test_avg_pool1d_against_torch():
    fn = lambda M, x: M.nn.functional.avg_pool1d(x, 3, 2, 1, count_include_pad=False)  # noqa: E731
    e_out, t_out, e_grad, t_grad = _run(fn, _data((2, 3, 10), np.float32))
    assert_same(e_out, t_out, **_tol(np.float32, 3))
    assert_same(e_grad, t_grad, **_tol(np.float32, 3))


def test_avg_pool2d_propagates_nan_and_inf():
    x = _data((1, 2, 4, 4), np.float64)
    x[0, 0, 0, 0], x[0, 1, 3, 3] = np.nan, np.inf
    fn = lambda M, x: M.nn.functional.avg_pool2d(x, 2)  # noqa: E731
    e_out, t_out, e_grad, t_grad = _run(fn, x)
    assert_same(e_out, t_out, rtol=1e-15, atol=0)
    assert_same(e_grad, t_grad, rtol=1e-15, atol=0)


def test_avg_pool2d_gradcheck():
    assert gradcheck(lambda x: EF.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                             count_include_pad=False), [(2, 2, 7, 6)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 8, 7, 5), (1, 3, 1, 1), (5, 6, 6)])
def test_global_average_is_a_mean_as_torch(shape, dtype):
    fn = lambda M, x: M.nn.functional.adaptive_avg_pool2d(x, 1)  # noqa: E731
    e_out, t_out, e_grad, t_grad = _run(fn, _data(shape, dtype))
    assert_same(e_out, t_out, **_tol(dtype, shape[-1] * shape[-2]))
    assert_same(e_grad, t_grad, **_tol(dtype, 1))
    assert gradcheck(lambda x: EF.adaptive_avg_pool2d(x, 1), [(2, 3, 4, 5)])


# -- batch norm --------------------------------------------------------------------------------
def _bn_fn(training, affine, running, momentum=0.1, eps=1e-5):
    def fn(M, x):
        c = x.shape[1]
        rm = M.tensor(np.linspace(-1, 1, c).astype(np.float64)).to(x.dtype) if running else None
        rv = M.tensor(np.linspace(0.5, 2, c).astype(np.float64)).to(x.dtype) if running else None
        w = b = None
        if affine:
            w = M.tensor(np.linspace(0.5, 1.5, c)).to(x.dtype).requires_grad_()
            b = M.tensor(np.linspace(-0.3, 0.3, c)).to(x.dtype).requires_grad_()
        out = M.nn.functional.batch_norm(x, rm, rv, w, b, training, momentum, eps)
        return out, rm, rv, w, b
    return fn


BN_SHAPES = [(16, 5), (1, 3, 7), (4, 3, 5, 6), (2, 4, 3, 3, 2), (8, 3, 1, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training, affine, running", [
    (True, True, True), (True, False, False), (False, True, True), (False, False, True)])
def test_batch_norm_against_torch(shape, dtype, training, affine, running):
    data = _data(shape, dtype, seed=1) * 3 + 2
    per_channel = int(np.prod(shape)) // shape[1]
    for channels_last in (False, True) if len(shape) > 2 else (False,):
        (tl, el), (tx, ex) = _pair(data, channels_last)
        fn = _bn_fn(training, affine, running)
        t_out, e_out = fn(torch, tx), fn(ember, ex)
        cot = _data(tuple(t_out[0].shape), dtype, seed=2)
        t_out[0].backward(torch.tensor(cot))
        e_out[0].backward(ember.tensor(cot))
        tol = _tol(dtype, per_channel)
        assert_same(e_out[0], t_out[0], **tol)
        for e, t in zip(e_out[1:3], t_out[1:3], strict=True):  # running statistics
            if t is not None:
                assert_same(e, t, **tol)
        assert_same(el.grad, tl.grad, **tol)
        for e, t in zip(e_out[3:], t_out[3:], strict=True):
            if t is not None:
                assert_same(e.grad, t.grad, **tol)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_kernel_equals_reference(shape, training, monkeypatch):
    data = _data(shape, np.float64, seed=4)
    cot = _data(shape, np.float64, seed=9)
    results = []
    for use in (True, False):
        monkeypatch.setattr(normalization, "_USE_KERNELS", use)
        c = shape[1]
        x = ember.tensor(data, requires_grad=True)
        w = ember.tensor(np.linspace(0.5, 1.5, c), requires_grad=True)
        b = ember.tensor(np.linspace(-1, 1, c), requires_grad=True)
        rm, rv = ember.zeros(c, dtype=ember.float64), ember.ones(c, dtype=ember.float64)
        out = EF.batch_norm(x, rm, rv, w, b, training, 0.3, 1e-3)
        out.backward(ember.tensor(cot))
        results.append([a.detach().numpy() for a in (out, rm, rv, x.grad, w.grad, b.grad)])
    for fast, ref in zip(*results, strict=True):
        np.testing.assert_allclose(fast, ref, **_tol(np.float64, data.size))


def test_batch_norm_momentum_none_through_the_module():
    data = _data((6, 3, 4), np.float32)
    t_bn, e_bn = torch.nn.BatchNorm1d(3, momentum=None), ember.nn.BatchNorm1d(3, momentum=None)
    for k in range(3):
        t_bn(torch.tensor(data + k))
        e_bn(ember.tensor(data + k))
    assert_same(e_bn.running_mean, t_bn.running_mean, **_tol(np.float32, 24))
    assert_same(e_bn.running_var, t_bn.running_var, **_tol(np.float32, 24))


def test_batch_norm_nan_propagates_to_its_channel_only():
    data = _data((4, 3, 5), np.float32)
    data[1, 1, 2] = np.nan
    fn = _bn_fn(True, True, True)
    tx, ex = torch.tensor(data, requires_grad=True), ember.tensor(data, requires_grad=True)
    t_out, e_out = fn(torch, tx), fn(ember, ex)
    e, t = e_out[0].detach().numpy(), t_out[0].detach().numpy()
    np.testing.assert_array_equal(np.isnan(e), np.isnan(t))
    assert np.isnan(e[:, 1]).all() and not np.isnan(e[:, [0, 2]]).any()
    np.testing.assert_array_equal(np.isnan(e_out[2].numpy()), np.isnan(t_out[2].numpy()))


def test_batch_norm_gradcheck():
    w = ember.tensor(np.linspace(0.5, 1.5, 3), requires_grad=True)
    b = ember.tensor(np.linspace(-1, 1, 3), requires_grad=True)
    assert gradcheck(lambda x: EF.batch_norm(x, None, None, w, b, True), [(4, 3, 2, 3)])
    assert ember.autograd.gradcheck(
        lambda w, b: EF.batch_norm(ember.tensor(_data((5, 3, 4), np.float64)), None, None, w,
                                   b, True), (w, b))
    rm, rv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64) * 2
    assert gradcheck(lambda x: EF.batch_norm(x, rm, rv, w, b, False), [(4, 3, 5)])


def test_batch_norm_channels_last_output_keeps_its_layout():
    data = _data((2, 5, 4, 3), np.float32)
    x = ember.tensor(np.ascontiguousarray(data.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    out = EF.batch_norm(x, None, None, training=True)
    assert not out.is_contiguous() and out.permute(0, 2, 3, 1).is_contiguous()


# -- layer norm --------------------------------------------------------------------------------
def _ln_tol(data: np.ndarray, normalized: tuple) -> dict:
    """:func:`_tol`, amplified by rstd: a float32 ``x - mean`` carries rounding noise of
    ``|x| eps``, which rstd scales (up to ``1/sqrt(eps)`` where a row is constant, as in a
    normalized shape of 1)."""
    rows = data.reshape(-1, int(np.prod(normalized)))
    rstd = 1 / np.sqrt(rows.var(axis=1).min() + 1e-5)
    return {k: v * max(1.0, rstd * np.abs(data).max())
            for k, v in _tol(data.dtype, data.size).items()}


LN_CASES = [((8, 32), (32,)), ((2, 5, 7), (5, 7)), ((3, 1), (1,)), ((1, 4, 6), (6,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized", LN_CASES)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_against_torch(shape, normalized, dtype, affine):
    data = _data(shape, dtype, seed=11) * 2 - 1
    leaves = {}

    def fn(M, x):
        w = b = None
        if affine != "none":
            w = M.tensor(_data(normalized, dtype, seed=12)).requires_grad_()
        if affine == "both":
            b = M.tensor(_data(normalized, dtype, seed=13)).requires_grad_()
        leaves[M.__name__] = (w, b)
        return M.nn.functional.layer_norm(x, normalized, w, b, eps=1e-5)

    for noncontig in (False, True):
        arr = data
        if noncontig:  # a transposed view of the same values
            arr = np.ascontiguousarray(np.swapaxes(data, 0, -1))
        tl, el = torch.tensor(arr, requires_grad=True), ember.tensor(arr, requires_grad=True)
        tx, ex = (tl.transpose(0, -1), el.transpose(0, -1)) if noncontig else (tl, el)
        t_out, e_out = fn(torch, tx), fn(ember, ex)
        cot = _data(shape, dtype, seed=14)
        t_out.backward(torch.tensor(cot))
        e_out.backward(ember.tensor(cot))
        tol = _ln_tol(data, normalized)
        assert_same(e_out, t_out, **tol)
        assert_same(el.grad, tl.grad, **tol)
        for e, t in zip(leaves["ember"], leaves["torch"], strict=True):
            if t is not None:
                assert_same(e.grad, t.grad, **tol)


@pytest.mark.parametrize("shape, normalized", LN_CASES)
def test_layer_norm_kernel_equals_reference(shape, normalized, monkeypatch):
    data = _data(shape, np.float32, seed=15)
    cot = _data(shape, np.float32, seed=16)
    results = []
    for use in (True, False):
        monkeypatch.setattr(normalization, "_USE_KERNELS", use)
        x = ember.tensor(data, requires_grad=True)
        w = ember.tensor(_data(normalized, np.float32, seed=17), requires_grad=True)
        b = ember.tensor(_data(normalized, np.float32, seed=18), requires_grad=True)
        out = EF.layer_norm(x, normalized, w, b)
        out.backward(ember.tensor(cot))
        results.append([a.detach().numpy() for a in (out, x.grad, w.grad, b.grad)])
    for fast, ref in zip(*results, strict=True):
        np.testing.assert_allclose(fast, ref, **_ln_tol(data, normalized))


def test_layer_norm_nan_row_and_gradcheck():
    data = _data((3, 6), np.float32)
    data[1, 2] = np.nan
    out = EF.layer_norm(ember.tensor(data), (6,)).numpy()
    ref = torch.nn.functional.layer_norm(torch.tensor(data), (6,)).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    w = ember.tensor(_data((4,), np.float64, seed=1), requires_grad=True)
    b = ember.tensor(_data((4,), np.float64, seed=2), requires_grad=True)
    assert gradcheck(lambda x: EF.layer_norm(x, (4,), w, b), [(3, 4)])
    assert ember.autograd.gradcheck(
        lambda w, b: EF.layer_norm(ember.tensor(_data((5, 4), np.float64)), (4,), w, b), (w, b))

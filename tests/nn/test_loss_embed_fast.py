"""The compiled cross-entropy, nll and embedding paths (kernels ``loss`` and ``embedding``).

Each fast path is held to torch (values, gradients through a random cotangent, dtypes, error
messages) and to the NumPy reference path it replaced (run by emptying the module's
``_KERNEL_DTYPES``), and its float32 ``exp`` to its NumPy statement bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from ember.backend import get_backend
from ember.nn.functional import loss as loss_module
from ember.nn.functional import sparse as sparse_module
from torch_compare import Const, assert_same, both, check_op, gradcheck, same_error

RNG_SEED = 20261203
K = get_backend().kernels("loss")


def _targets(rng, shape, c, ignore_index=None):
    t = rng.integers(0, c, size=shape)
    if ignore_index is not None and t.size > 1:
        t.reshape(-1)[:: 3] = ignore_index  # every third target ignored
    return t


def _reference(module, monkeypatch):
    """Makes ``module`` run its NumPy reference path for every dtype."""
    monkeypatch.setattr(module, "_KERNEL_DTYPES", ())


# -- exp32 ------------------------------------------------------------------------------------

def _exp32_grid() -> np.ndarray:
    special = [0.0, -0.0, 1e-8, -1e-8, 88.72, 88.73, 89.0, -87.3, -88.0, -100.0, -103.97,
               -103.98, -104.0, -150.0, np.inf, -np.inf, np.nan, 100.0, 1000.0, -1e30]
    grid = np.linspace(-110.0, 90.0, 200_001)
    return np.concatenate([grid, special]).astype(np.float32)


def test_exp32_equals_its_numpy_statement_bit_for_bit():
    x = _exp32_grid()
    out = np.empty_like(x)
    for i in range(0, x.size, 997):  # scalar calls on a sample, the whole grid vectorized below
        out[i] = K.exp32(x[i])
    ref = K.reference_exp32(x)
    sample = slice(0, x.size, 997)
    np.testing.assert_array_equal(out[sample].view(np.int32), ref[sample].view(np.int32))
    # the same function inlined in the vectorized forward loop: with a row max of 0, the
    # stored exp(x - max) is exp32(x)
    row = np.linspace(-120.0, 0.0, 100_001).astype(np.float32)[None, :]
    ex = np.empty_like(row)
    K.cross_entropy_forward(row, np.zeros(1, np.int64), None, -100, 0.0, ex)
    np.testing.assert_array_equal(ex.view(np.int32), K.reference_exp32(row).view(np.int32))


def test_exp32_is_within_one_ulp_and_keeps_the_special_values():
    x = _exp32_grid()
    got = K.reference_exp32(x).astype(np.float64)
    with np.errstate(over="ignore"):
        exact = np.exp(x.astype(np.float64))
    normal = (exact >= np.finfo(np.float32).tiny) & (exact <= np.finfo(np.float32).max)
    ulp = np.spacing(exact[normal].astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[normal] - exact[normal]) / ulp) < 1.0
    tiny = np.isfinite(exact) & (exact < np.finfo(np.float32).tiny)  # subnormal or 0 results
    assert np.max(np.abs(got[tiny] - exact[tiny])) <= 2.0 ** -149
    assert np.isnan(got[np.isnan(x)]).all()
    assert (got[exact > np.finfo(np.float32).max] == np.inf).all()
    assert K.exp32(np.float32(-np.inf)) == 0.0


# -- cross entropy against torch ----------------------------------------------------------------

SHAPES = [(7,), (6, 7), (3, 7, 5), (2, 7, 3, 4)]
OPTIONS = [
    {},
    {"ignore": -100, "label_smoothing": 0.2},
    {"weight": True, "ignore": 2},
    {"weight": True, "ignore": -100, "label_smoothing": 0.15},
]


def _case(shape, opts, seed=RNG_SEED):
    rng = np.random.default_rng(seed)
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0], *shape[2:])
    ignore = opts.get("ignore")
    t = _targets(rng, tshape, c, ignore)
    weight = Const(rng.uniform(0.2, 2.0, c)) if opts.get("weight") else None
    kw = {"label_smoothing": opts.get("label_smoothing", 0.0)}
    if ignore is not None:
        kw["ignore_index"] = ignore
    return t, weight, kw


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_matches_torch(shape, opts, reduction):
    t, weight, kw = _case(shape, opts)
    if weight is None:
        check_op([shape, t], lambda x, y: TF.cross_entropy(x, y, reduction=reduction, **kw),
                 lambda x, y: EF.cross_entropy(x, y, reduction=reduction, **kw), low=-4, high=4)
    else:
        check_op([shape, t, weight],
                 lambda x, y, w: TF.cross_entropy(x, y, w, reduction=reduction, **kw),
                 lambda x, y, w: EF.cross_entropy(x, y, w, reduction=reduction, **kw),
                 low=-4, high=4)


@pytest.mark.parametrize("shape", [(6, 7), (3, 7, 5)])
def test_cross_entropy_non_contiguous_logits(shape):
    t, _, _ = _case(shape, {})
    check_op([shape, t], lambda x, y: TF.cross_entropy(x, y),
             lambda x, y: EF.cross_entropy(x, y), noncontig=True)


def test_byte_targets_as_torch():
    # accepted for (C,) and (N, C) logits; torch's spatial kernel refuses them
    t = np.array([1, 0, 2, 1], dtype=np.uint8)
    for fn in ("cross_entropy", "nll_loss"):
        check_op([(4, 3), t], getattr(TF, fn), getattr(EF, fn))
        same_error(lambda M, fn=fn: getattr(M.nn.functional, fn)(
            M.zeros(4, 3, 2), M.zeros(4, 2, dtype=M.uint8)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("opts", OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_nll_loss_matches_torch(shape, opts, reduction):
    t, weight, kw = _case(shape, opts)
    kw.pop("label_smoothing")
    if weight is None:
        check_op([shape, t], lambda x, y: TF.nll_loss(x, y, reduction=reduction, **kw),
                 lambda x, y: EF.nll_loss(x, y, reduction=reduction, **kw))
    else:
        check_op([shape, t, weight],
                 lambda x, y, w: TF.nll_loss(x, y, w, reduction=reduction, **kw),
                 lambda x, y, w: EF.nll_loss(x, y, w, reduction=reduction, **kw),
                 noncontig=len(shape) < 4)  # torch's 4-d backward wants a contiguous input


def test_cross_entropy_large_vocabulary_float32_as_precise_as_torch():
    # 10k classes: the float32 log-sum-exp of each row, compared with the float64 truth
    rng = np.random.default_rng(RNG_SEED)
    x = (rng.standard_normal((8, 10_000)) * 3).astype(np.float32)
    t = rng.integers(0, 10_000, 8)
    exact = TF.cross_entropy(torch.tensor(x, dtype=torch.float64), torch.tensor(t),
                             reduction="none").numpy()
    t_err = np.abs(TF.cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
                   .numpy() - exact)
    e_err = np.abs(EF.cross_entropy(ember.tensor(x), ember.tensor(t), reduction="none")
                   .numpy() - exact)
    # each loss is about 10-20: float32 rounding alone is 1e-6 of it; torch's error is of
    # that order and Ember's must be too (at most 4 ulps of the loss, and of torch's kind)
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert np.all(e_err <= 4 * ulp), (e_err / ulp, t_err / ulp)
    assert e_err.max() <= max(4 * t_err.max(), ulp.max())


def test_cross_entropy_special_logits_as_torch():
    x = np.array([[1.0, np.nan, 0.0], [-np.inf, 2.0, 0.5], [np.inf, 0.0, 1.0],
                  [3.0, 1.0, np.nan], [0.0, 1.0, 2.0]], dtype=np.float32)
    t = np.array([0, 1, 1, -100, 2])  # row 3 has a NaN but is ignored: loss 0 in torch
    cot = np.array([1.0, 2.0, 0.5, 1.0, -1.0], dtype=np.float32)
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    lt = TF.cross_entropy(xt, torch.tensor(t), reduction="none")
    le = EF.cross_entropy(xe, ember.tensor(t), reduction="none")
    assert_same(le, lt)
    lt.backward(torch.tensor(cot))
    le.backward(ember.tensor(cot))
    assert_same(xe.grad, xt.grad)


def test_cross_entropy_mean_of_all_ignored_targets_is_nan_with_zero_gradient():
    def fn(M):
        x = M.tensor([[1.0, 2.0], [0.5, 0.0]], requires_grad=True)
        loss = M.nn.functional.cross_entropy(x, M.tensor([-100, -100]))
        loss.backward()
        return loss, x.grad

    both(fn)


def test_cross_entropy_out_of_range_target_errors_as_torch():
    for shape, bad in (((4, 5), [0, 5, 1, 2]), ((2, 5, 3), [[0, 1, 2], [3, -1, 4]])):
        same_error(lambda M, shape=shape, bad=bad: M.nn.functional.cross_entropy(
            M.zeros(shape), M.tensor(bad)), IndexError)
        same_error(lambda M, shape=shape, bad=bad: M.nn.functional.nll_loss(
            M.zeros(shape), M.tensor(bad)), IndexError)


def test_cross_entropy_gradient_survives_an_in_place_edit_of_the_logits():
    # torch keeps its own log-probabilities, so editing the input after forward is fine
    def fn(M):
        x = M.tensor([[0.5, -1.0, 2.0], [1.0, 1.0, 0.0]], requires_grad=True)
        y = x * 1.0
        loss = M.nn.functional.cross_entropy(y, M.tensor([2, 0]))
        with M.no_grad():
            y.mul_(3.0)
        loss.backward()
        return loss, x.grad

    both(fn)


def test_cross_entropy_without_grad_saves_nothing_and_gives_the_same_loss():
    rng = np.random.default_rng(RNG_SEED)
    x = ember.tensor(rng.standard_normal((5, 9)).astype(np.float32), requires_grad=True)
    t = ember.tensor(rng.integers(0, 9, 5))
    with_grad = EF.cross_entropy(x, t, label_smoothing=0.1)
    with ember.no_grad():
        without = EF.cross_entropy(x, t, label_smoothing=0.1)
    assert without.grad_fn is None
    assert with_grad.item() == without.item()


# -- the fast paths against the NumPy reference paths ---------------------------------------------

def _run(fn, x, t, w, cot):
    xe = ember.tensor(x, requires_grad=True)
    out = fn(xe, ember.tensor(t), None if w is None else ember.tensor(w))
    out.backward(ember.tensor(cot))
    return out.detach().numpy(), xe.grad.numpy()


@pytest.mark.parametrize("opts", OPTIONS)
@pytest.mark.parametrize("shape", [(6, 7), (3, 7, 5)])
@pytest.mark.parametrize("which", ["cross_entropy", "nll_loss"])
def test_fast_paths_equal_the_reference_paths(which, shape, opts, monkeypatch):
    t, weight, kw = _case(shape, opts, seed=RNG_SEED + 1)
    if which == "nll_loss":
        kw.pop("label_smoothing")
    rng = np.random.default_rng(RNG_SEED + 2)
    x = rng.uniform(-4, 4, shape)
    w = None if weight is None else weight.value
    fn = getattr(EF, which)
    cot = rng.standard_normal(t.shape)

    def call(x, t, w):
        return fn(x, t, w, reduction="none", **kw)

    fast = _run(call, x, t, w, cot)
    _reference(loss_module, monkeypatch)
    ref = _run(call, x, t, w, cot)
    for a, b in zip(fast, ref, strict=True):
        # float64: the two differ in the order of the class sums and in exp vs e / s
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_float16_logits_keep_the_reference_path():
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal((4, 6)).astype(np.float16)
    t = rng.integers(0, 6, 4)
    e = EF.cross_entropy(ember.tensor(x), ember.tensor(t))
    tt = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert_same(e, tt, rtol=2e-3, atol=2e-3)


def test_cross_entropy_and_nll_gradcheck():
    t = np.array([[2, 0, 1], [1, -100, 4]])
    w = Const(np.array([0.5, 1.0, 2.0, 1.5, 0.7]))
    assert gradcheck(lambda x, w_: EF.cross_entropy(x, ember.tensor(t), w_, label_smoothing=0.3),
                     [(2, 5, 3), w])
    assert gradcheck(lambda x: EF.cross_entropy(x, ember.tensor(t[0]), reduction="sum"),
                     [(3, 5)])
    assert gradcheck(lambda x, w_: EF.nll_loss(x, ember.tensor(t), w_, reduction="none"),
                     [(2, 5, 3), w])


# -- embedding ---------------------------------------------------------------------------------

EMB_CASES = [
    ({}, np.int64, (5, 4)),
    ({"padding_idx": 2}, np.int64, (3, 6)),
    ({"padding_idx": -1, "scale_grad_by_freq": True}, np.int64, (4, 5)),
    ({"scale_grad_by_freq": True}, np.int32, (20,)),
    ({}, np.int32, ()),
]


@pytest.mark.parametrize(("kw", "idx_dtype", "idx_shape"), EMB_CASES)
def test_embedding_matches_torch(kw, idx_dtype, idx_shape):
    rng = np.random.default_rng(RNG_SEED)
    idx = rng.integers(0, 10, size=idx_shape).astype(idx_dtype)  # repeats: sums in backward
    check_op([(10, 3), idx], lambda w, i: TF.embedding(i, w, **kw),
             lambda w, i: EF.embedding(i, w, **kw))


@pytest.mark.parametrize(("kw", "idx_dtype", "idx_shape"), EMB_CASES)
def test_embedding_fast_path_equals_the_reference_path(kw, idx_dtype, idx_shape, monkeypatch):
    rng = np.random.default_rng(RNG_SEED + 3)
    idx = rng.integers(0, 10, size=idx_shape).astype(idx_dtype)
    w = rng.standard_normal((10, 3)).astype(np.float32)
    cot = rng.standard_normal((*idx_shape, 3)).astype(np.float32)

    def run():
        we = ember.tensor(w, requires_grad=True)
        out = EF.embedding(ember.tensor(idx), we, **kw)
        out.backward(ember.tensor(cot))
        return out.detach().numpy(), we.grad.numpy()

    fast = run()
    _reference(sparse_module, monkeypatch)
    ref = run()
    np.testing.assert_array_equal(fast[0], ref[0])
    # the kernel adds in index order, the reference's reduceat in its own; sums of at most
    # 20 terms of size ~1: a few float32 ulps of ~4
    np.testing.assert_allclose(fast[1], ref[1], rtol=0, atol=2e-6)


def test_embedding_gradient_adds_in_torchs_order_bit_for_bit():
    rng = np.random.default_rng(RNG_SEED + 4)
    idx = rng.integers(0, 10, 300)  # about 30 additions per row
    cot = rng.standard_normal((300, 16)).astype(np.float32)
    grads = []
    for M in (torch, ember):
        w = M.zeros(10, 16, requires_grad=True)
        M.nn.functional.embedding(M.tensor(idx), w, padding_idx=4).backward(M.tensor(cot))
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_embedding_max_norm_and_errors_as_torch():
    def fn(M):
        w = M.tensor([[3.0, 4.0], [0.3, 0.4], [1.0, -2.0]], requires_grad=True)
        out = M.nn.functional.embedding(M.tensor([[0, 2], [0, 1]]), w, max_norm=1.5)
        out.backward(M.ones(2, 2, 2))
        return out, w.detach(), w.grad

    both(fn)
    same_error(lambda M: M.nn.functional.embedding(M.tensor([0, 3]), M.zeros(3, 2)),
               IndexError)
    same_error(lambda M: M.nn.functional.embedding(M.tensor([-1]), M.zeros(3, 2)), IndexError)


def test_embedding_module_sparse_flag_keeps_dense_gradients():
    emb = ember.nn.Embedding(6, 2, sparse=True)
    emb(ember.tensor([1, 1, 4])).sum().backward()
    expected = np.zeros((6, 2), np.float32)
    expected[1], expected[4] = 2.0, 1.0
    np.testing.assert_array_equal(emb.weight.grad.numpy(), expected)


def test_embedding_gradcheck():
    idx = ember.tensor([[0, 3, 3], [1, 0, 2]])
    # (padding_idx and scale_grad_by_freq change the gradient by design: against torch above)
    assert gradcheck(lambda w: EF.embedding(idx, w), [(4, 3)])

"""embedding, one_hot, Embedding, Flatten and Unflatten against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

IDX = np.array([[0, 2, 4, 2], [1, 0, 4, 4]])  # repeats: gradients must accumulate


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 4}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True},
                                {"padding_idx": 2, "scale_grad_by_freq": True}])
def test_embedding_matches_torch(kw):
    check_op([IDX, (5, 3)], lambda i, w: TF.embedding(i, w, **kw),
             lambda i, w: EF.embedding(i, w, **kw))
    check_op([np.array(3), (5, 3)], lambda i, w: TF.embedding(i, w, **kw),
             lambda i, w: EF.embedding(i, w, **kw))


def test_embedding_padding_row_gets_no_gradient():
    w = ember.randn(5, 3, requires_grad=True)
    EF.embedding(ember.tensor(IDX), w, padding_idx=4).sum().backward()
    assert not np.any(w.grad.numpy()[4])
    np.testing.assert_array_equal(w.grad.numpy()[2], np.full(3, 2.0, dtype=np.float32))


def test_embedding_gradcheck():
    # (no padding_idx: its row deliberately gets no gradient, which finite differences see)
    assert gradcheck(lambda w: EF.embedding(ember.tensor(IDX), w), [(5, 3)])
    assert gradcheck(lambda w: EF.embedding(ember.tensor(IDX), w, scale_grad_by_freq=True) * 0
                     + EF.embedding(ember.tensor(IDX), w), [(5, 3)])


def test_embedding_max_norm_renormalizes_rows_in_place():
    w = np.random.default_rng(0).normal(0, 2, (5, 3))
    tw, ew = torch.tensor(w), ember.tensor(w)
    t_out = TF.embedding(torch.tensor(IDX), tw, max_norm=1.5, norm_type=1.0)
    e_out = EF.embedding(ember.tensor(IDX), ew, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ew.numpy(), tw.numpy(), rtol=1e-12)  # row 3 untouched


def test_embedding_errors():
    check_error(TF.embedding, EF.embedding, inputs=[np.array([5]), (3, 2)],
                words=["index out of range in self"])
    check_error(lambda: torch.nn.Embedding(3, 2, padding_idx=5),
                lambda: ember.nn.Embedding(3, 2, padding_idx=5),
                words=["Padding_idx must be within num_embeddings"])


def test_one_hot_matches_torch():
    for idx, n in [(np.array([0, 3, 1]), -1), (np.array([[0, 1], [2, 2]]), 5), (np.array(2), 4)]:
        t, e = TF.one_hot(torch.tensor(idx), n), EF.one_hot(ember.tensor(idx), n)
        assert e.dtype == ember.int64
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    for idx, n, words in [([5], 3, "Class values must be smaller than num_classes."),
                          ([-1], 3, "Class values must be non-negative.")]:
        check_error(lambda i, n=n: TF.one_hot(i, n), lambda i, n=n: EF.one_hot(i, n),
                    inputs=[np.array(idx)], words=[words])
    check_error(lambda i: TF.one_hot(i, 3), lambda i: EF.one_hot(i, 3),
                inputs=[np.array([1], dtype=np.int32)], words=["index tensor of type LongTensor"])


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"padding_idx": 0, "max_norm": 1.0,
                                                          "scale_grad_by_freq": True},
                                {"norm_type": 1.0}])
def test_embedding_module(kw):
    t_mod, e_mod = torch.nn.Embedding(10, 3, **kw), ember.nn.Embedding(10, 3, **kw)
    assert repr(e_mod) == repr(t_mod)
    if "padding_idx" in kw:
        assert not np.any(e_mod.weight.detach().numpy()[kw["padding_idx"]])
    w = np.random.default_rng(1).normal(size=(10, 3)).astype(np.float32)
    t_mod.weight.data = torch.tensor(w)
    e_mod.weight.data = ember.tensor(w)
    idx = np.array([[1, 0, 9], [1, 1, 3]])
    t_out, e_out = t_mod(torch.tensor(idx)), e_mod(ember.tensor(idx))
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6)
    g = np.random.default_rng(2).normal(size=(2, 3, 3)).astype(np.float32)
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    np.testing.assert_allclose(e_mod.weight.grad.numpy(), t_mod.weight.grad.numpy(), rtol=1e-6,
                               atol=1e-7)


def test_embedding_sparse_flag_repr():
    kw = dict(padding_idx=-2, max_norm=2.0, norm_type=3.0, sparse=True)
    assert repr(ember.nn.Embedding(7, 2, **kw)) == repr(torch.nn.Embedding(7, 2, **kw))


def test_embedding_from_pretrained():
    w = np.arange(12.0).reshape(4, 3)
    for freeze in (True, False):
        t_mod = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze, padding_idx=1)
        e_mod = ember.nn.Embedding.from_pretrained(ember.tensor(w), freeze=freeze, padding_idx=1)
        assert repr(e_mod) == repr(t_mod)
        assert e_mod.weight.requires_grad == t_mod.weight.requires_grad == (not freeze)
        np.testing.assert_array_equal(e_mod(ember.tensor([1, 3])).detach().numpy(),
                                      t_mod(torch.tensor([1, 3])).detach().numpy())


def test_flatten_unflatten_modules():
    for t_mod, e_mod in [(torch.nn.Flatten(), ember.nn.Flatten()),
                         (torch.nn.Flatten(0, 2), ember.nn.Flatten(0, 2)),
                         (torch.nn.Unflatten(1, (2, 3)), ember.nn.Unflatten(1, (2, 3))),
                         (torch.nn.Unflatten(-1, (3, -1)), ember.nn.Unflatten(-1, (3, -1)))]:
        assert repr(e_mod) == repr(t_mod)
        check_op([(4, 6, 6)], t_mod, e_mod)
    check_error(lambda: torch.nn.Unflatten(1, [2, 3.0]), lambda: ember.nn.Unflatten(1, [2, 3.0]),
                words=["unflattened_size must be tuple of ints"])

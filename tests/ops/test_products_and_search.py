"""tensordot, kron, baddbmm / addmm (beta = 0 ignores the input), bilinear, sum_to_size, H,
searchsorted, bucketize, argwhere and nonzero of scalars: against torch, with gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import Const, check_error, check_op, gradcheck

import ember
import ember.nn as enn
import ember.nn.functional as EF


@pytest.mark.parametrize("shapes, dims", [
    ([(2, 3, 4), (3, 4, 5)], 2), ([(2, 3), (3, 4)], 1), ([(2, 3), (4,)], 0),
    ([(2, 3, 4), (4, 3, 5)], ([1, 2], [1, 0])), ([(3, 2), (2, 3)], ([0], [1])),
])
def test_tensordot(shapes, dims):
    check_op(shapes, lambda a, b: torch.tensordot(a, b, dims=dims),
             lambda a, b: ember.tensordot(a, b, dims=dims))
    check_error(lambda a, b: torch.tensordot(a, b, dims=([0], [0])),
                lambda a, b: ember.tensordot(a, b, dims=([0], [0])), inputs=[(2, 3), (3, 2)],
                words=["contracted dimensions need to match, but first has size 2 in dim 0"])


@pytest.mark.parametrize("shapes", [[(2, 3), (4, 5)], [(2,), (3, 4)], [(2, 1, 3), (2, 2)]])
def test_kron(shapes):
    check_op(shapes, torch.kron, ember.kron)
    check_op(shapes, lambda a, b: a.kron(b))


def test_baddbmm_and_addmm():
    kw = {"beta": 0.5, "alpha": 2.0}
    check_op([(2, 3, 5), (2, 3, 4), (2, 4, 5)], lambda i, a, b: torch.baddbmm(i, a, b, **kw),
             lambda i, a, b: ember.baddbmm(i, a, b, **kw))
    check_op([(3, 1), (3, 4), (4, 2)], lambda i, a, b: torch.addmm(i, a, b, **kw),
             lambda i, a, b: ember.addmm(i, a, b, **kw))
    # beta = 0: the input is not read, so its NaN does not propagate (torch's rule)
    nan = Const(np.full((2, 3, 5), np.nan))
    check_op([nan, (2, 3, 4), (2, 4, 5)], lambda i, a, b: torch.baddbmm(i, a, b, beta=0),
             lambda i, a, b: ember.baddbmm(i, a, b, beta=0))
    check_op([Const(np.full((3, 2), np.inf)), (3, 4), (4, 2)],
             lambda i, a, b: torch.addmm(i, a, b, beta=0),
             lambda i, a, b: ember.addmm(i, a, b, beta=0))
    check_error(lambda i, a, b: torch.addmm(i, a, b), lambda i, a, b: ember.addmm(i, a, b),
                inputs=[(3, 2), (2, 3), (3, 2)], words=["The expanded size of the tensor (2) "
                                                        "must match the existing size (3)"])


def test_bilinear():
    check_op([(6, 3), (6, 4), (5, 3, 4), (5,)], TF.bilinear, EF.bilinear)
    check_op([(2, 6, 3), (2, 6, 4), (5, 3, 4)], TF.bilinear, EF.bilinear)
    assert gradcheck(EF.bilinear, [(2, 3), (2, 4), (5, 3, 4), (5,)])
    torch.manual_seed(0)
    t = torch.nn.Bilinear(3, 4, 5).double()
    e = enn.Bilinear(3, 4, 5).double()
    assert repr(e) == repr(t)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    check_op([(6, 3), (6, 4)], lambda a, b: t(a, b), lambda a, b: e(a, b), dtypes=(np.float64,))
    w = enn.Bilinear(16, 4, 32).weight.detach().numpy()
    assert np.abs(w).max() <= 0.25 < np.abs(w).max() / 0.95


@pytest.mark.parametrize("size", [(1, 3), (3,), (2, 1), (1, 1), (2, 3)])
def test_sum_to_size_and_h(size):
    check_op([(2, 3)], lambda x: x.sum_to_size(*size))
    check_op([(4, 2, 3)], lambda x: x.sum_to_size(size))
    check_op([(2, 3)], lambda x: x.H)
    check_error(lambda x: x.sum_to_size(2, 2), inputs=[(2, 3)],
                words=["is not expandable to size"])
    check_error(lambda x: x.H, inputs=[(2, 3, 4)], words=["tensor.H is only supported on "
                                                           "matrices (2-D tensors). Got 3-D"])


def test_searchsorted_and_bucketize():
    seq = np.array([1.0, 3, 5, 7])
    values = np.array([[3.0, 6, 9], [1, 2, 8]])
    rows = np.array([[1.0, 3, 5], [2, 4, 6]])
    row_values = np.array([[3.0, 6], [1, 5]])
    cases = [
        lambda L: L.searchsorted(L.tensor(seq), L.tensor(values)),
        lambda L: L.searchsorted(L.tensor(seq), L.tensor(values), right=True),
        lambda L: L.searchsorted(L.tensor(seq), L.tensor(values), side="right", out_int32=True),
        lambda L: L.searchsorted(L.tensor(seq), 4.0),
        lambda L: L.searchsorted(L.tensor(rows), L.tensor(row_values)),
        lambda L: L.searchsorted(L.tensor([3.0, 1, 2]), L.tensor([2.5, 0.5]),
                                 sorter=L.tensor([1, 2, 0])),
        lambda L: L.bucketize(L.tensor(values), L.tensor(seq)),
        lambda L: L.bucketize(L.tensor(values), L.tensor(seq), right=True),
    ]
    for case in cases:
        t, e = case(torch), case(ember)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    for torch_fn, ember_fn, words in [
        (lambda: torch.searchsorted(torch.tensor(rows), torch.tensor([1.0, 2])),
         lambda: ember.searchsorted(ember.tensor(rows), ember.tensor([1.0, 2])),
         ["boundaries tensor should be 1 dimension or the first N-1 dimensions"]),
        (lambda: torch.searchsorted(torch.tensor(seq), torch.tensor(seq), side="middle"),
         lambda: ember.searchsorted(ember.tensor(seq), ember.tensor(seq), side="middle"),
         ["side can only be 'left' or 'right' but got middle"]),
        (lambda: torch.bucketize(torch.tensor(seq), torch.tensor(rows)),
         lambda: ember.bucketize(ember.tensor(seq), ember.tensor(rows)),
         ["boundaries tensor must be 1 dimension, but got dim(2)"]),
    ]:
        check_error(torch_fn, ember_fn, words=words)


@pytest.mark.parametrize("data", [[[0, 1], [1, 0]], 5.0, 0.0, [[0.0, 0.0]]])
def test_argwhere_and_nonzero_of_scalars(data):
    for fn in (lambda L, x: L.argwhere(x), lambda L, x: L.nonzero(x),
               lambda L, x: x.argwhere()):
        t, e = fn(torch, torch.tensor(data)), fn(ember, ember.tensor(data))
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    t = torch.nonzero(torch.tensor(data), as_tuple=True)
    e = ember.nonzero(ember.tensor(data), as_tuple=True)
    assert [x.tolist() for x in e] == [x.tolist() for x in t]

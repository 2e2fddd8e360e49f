"""__getitem__, __setitem__, index_select, gather, scatter, masked_fill, ..."""

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, check_error, check_op, gradcheck

import ember

IDX = np.array([2, 0, 2])  # repeated on purpose: the backward must accumulate
BOOL3 = np.array([True, False, True])

# each: a function of (x, int_index, bool_mask) both libraries run the same way; x is (3, 4, 5)
GETITEM = {
    "int": lambda x, i, m: x[1], "neg_int": lambda x, i, m: x[-1, -2],
    "slice": lambda x, i, m: x[1:], "slice_step": lambda x, i, m: x[::2, 1::2],
    "slice_neg": lambda x, i, m: x[-2:, :-1], "slice_big": lambda x, i, m: x[1:100],
    "slice_empty": lambda x, i, m: x[2:1], "none": lambda x, i, m: x[None],
    "none_mid": lambda x, i, m: x[:, None, 1], "ellipsis": lambda x, i, m: x[..., 1],
    "ellipsis_mid": lambda x, i, m: x[1, ..., 2], "ellipsis_none": lambda x, i, m: x[..., None],
    "int_tensor": lambda x, i, m: x[i], "int_tensor_dim1": lambda x, i, m: x[:, i],
    "int_tensor_2d": lambda x, i, m: x[i.reshape(1, 3)],
    "bool_tensor": lambda x, i, m: x[m],
    "bool_tensor_dim1": lambda x, i, m: x.transpose(0, 1)[:, m],
    "bool_full": lambda x, i, m: x[x > 0], "list": lambda x, i, m: x[[0, 2, 2]],
    "list_pair": lambda x, i, m: x[[0, 1], [3, 2]], "mixed": lambda x, i, m: x[1:, i[:2], 0],
    "mixed_split": lambda x, i, m: x[i, :, i], "tensor_pair": lambda x, i, m: x[i, i],
    "step_then_int_tensor": lambda x, i, m: x[::2][:, i],
    "scalar_tensor_index": lambda x, i, m: x[i[0]], "ellipsis_tensor": lambda x, i, m: x[..., i],
    "none_tensor": lambda x, i, m: x[None, i], "bool_scalar": lambda x, i, m: x[True],
}


@pytest.mark.parametrize("name", GETITEM)
def test_getitem(name):
    check_op([(3, 4, 5), IDX, BOOL3], GETITEM[name])


@pytest.mark.parametrize("name", ["slice_step", "int_tensor_dim1", "bool_tensor", "mixed"])
def test_getitem_noncontiguous(name):
    check_op([(3, 4, 5), IDX, BOOL3], GETITEM[name], noncontig=True)


def test_getitem_zero_dim_and_int_dtypes():
    check_op([()], lambda x: x[None])
    check_op([()], lambda x: x[...])
    check_op([(4,)], lambda x: x[torch.tensor(2)], lambda x: x[ember.tensor(2)])
    for dt in (np.int32, np.int64):
        check_op([(4, 3), np.array([1, 3]).astype(dt)], lambda x, i: x[i])
    check_op([np.arange(12).reshape(3, 4)], lambda x: x[1:, [0, 2]], grad=False)


def test_getitem_errors():
    check_error(lambda x: x[3], inputs=[(3, 4)],
                words=("index 3 is out of bounds for dimension 0 with size 3",))
    check_error(lambda x: x[:, -5], inputs=[(3, 4)],
                words=("index -5 is out of bounds for dimension 1 with size 4",))
    check_error(lambda x: x[0, 0, 0], inputs=[(3, 4)], words=("too many indices",))
    check_error(lambda x, i: x[i], inputs=[(3, 4), np.array([0, 3])],
                words=("out of bounds",))
    check_error(lambda x, i: x[i], inputs=[(3, 4), Const(np.array([0.0]))],
                words=("tensors used as indices must be long", "bool"))
    check_error(lambda x, m: x[m], inputs=[(3, 4), np.array([True, False])],
                words=("The shape of the mask [2] at index 0 does not match the shape of the "
                       "indexed tensor [3, 4]",))


SETITEM = {
    "int": lambda x, v: x.__setitem__(1, v[0]),
    "slice": lambda x, v: x.__setitem__(slice(0, 2), v[:2]),
    "slice_step": lambda x, v: x.__setitem__((slice(None, None, 2),), v[:2]),
    "broadcast": lambda x, v: x.__setitem__((slice(None), 1), v[0, :1]),
    "int_tensor": lambda x, v: x.__setitem__(torch.tensor([2, 0]) if isinstance(x, torch.Tensor)
                                             else ember.tensor([2, 0]), v[:2]),
    "bool_mask": lambda x, v: x.__setitem__(x > 0, v[0, 0, 0]),
    "ellipsis": lambda x, v: x.__setitem__((Ellipsis, 0), v[..., 1]),
}


@pytest.mark.parametrize("name", SETITEM)
def test_setitem_differentiable_wrt_target_and_value(name):
    def fn(x, v):
        y = x * 1.0  # a non-leaf that may be written in place
        SETITEM[name](y, v * 2.0)
        return y * y

    check_op([(3, 4, 5), (3, 4, 5)], fn)


def test_setitem_plain_values():
    def fn(x):
        y = x.clone()
        y[0] = 1.5
        y[1, ::2] = 0
        y[:, 0] = torch.tensor([7.0, 8.0, 9.0]) if isinstance(x, torch.Tensor) else \
            ember.tensor([7.0, 8.0, 9.0])
        return y * x

    check_op([(3, 4)], fn)

    def no_grad_fn(x):
        x[x > 0] = 0.0
        x[[0, 2]] = x[[1, 1]] + 1
        return x

    check_op([Const(np.random.default_rng(0).normal(size=(3, 4)))], no_grad_fn)


def test_setitem_errors():
    def leaf_write(x):
        x[0] = 1.0

    check_error(leaf_write, inputs=[(3,)], words=("leaf Variable that requires grad",))

    def shape_mismatch(x, v):
        y = x.clone()
        y[0] = v

    check_error(shape_mismatch, inputs=[(3, 4), (3,)], words=("must match the existing size",))

    def plain_mismatch(x, v):
        x.detach()[0] = v.detach()

    check_error(plain_mismatch, inputs=[(3, 4), (3,)], words=("must match the existing size",))


def test_setitem_gradcheck():
    def fn(x, v):
        y = x * 1.0
        y[1:, ::2] = v
        return y

    assert gradcheck(fn, [(3, 4), (2, 2)])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select(dim):
    check_op([(3, 4), IDX], lambda x, i: x.index_select(dim, i))
    check_op([(3, 4), IDX], lambda x, i: torch.index_select(x, dim, i),
             lambda x, i: ember.index_select(x, dim, i), noncontig=True)
    check_error(lambda x, i: x.index_select(dim, i), inputs=[(3, 4), np.array([[0]])],
                words=("Index is supposed to be a vector",))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_scatter(dim):
    idx = np.array([[0, 2, 1, 2], [2, 2, 0, 1]])  # (2, 4) into a (3, 4) input for dim 0
    if dim != 0:
        idx = np.array([[0, 3, 3], [1, 0, 2], [3, 3, 3]])  # (3, 3) for dim 1
    check_op([(3, 4), idx], lambda x, i: x.gather(dim, i))
    check_op([(3, 4), idx], lambda x, i: torch.gather(x, dim, i),
             lambda x, i: ember.gather(x, dim, i), noncontig=True)
    # scatter without repeated targets along dim (torch leaves the winner unspecified)
    uniq = np.array([[0, 2, 1, 2], [2, 0, 0, 1]]) if dim == 0 else \
        np.array([[0, 3, 1], [1, 0, 2], [3, 2, 0]])
    check_op([(3, 4), uniq, tuple(uniq.shape)], lambda x, i, s: x.scatter(dim, i, s))
    check_op([(3, 4), uniq], lambda x, i: x.scatter(dim, i, 1.5))
    check_op([(3, 4), idx, tuple(idx.shape)], lambda x, i, s: x.scatter_add(dim, i, s))
    # src larger than index: only its leading block is used (torch's backward rejects this)
    check_op([(3, 4), idx, (4, 5)], lambda x, i, s: torch.scatter_add(x, dim, i, s),
             lambda x, i, s: ember.scatter_add(x, dim, i, s), grad=False)
    check_op([(3, 4), uniq, tuple(uniq.shape)],
             lambda x, i, s: x.scatter(dim, i, s, reduce="add"), grad=False)
    check_op([(3, 4), uniq, tuple(uniq.shape)],
             lambda x, i, s: x.scatter(dim, i, s, reduce="multiply"), grad=False)


def test_gather_scatter_errors():
    check_error(lambda x, i: x.gather(0, i), inputs=[(3, 4), np.array([[0, 5]])],
                words=("out of bounds",))
    check_error(lambda x, i: x.gather(0, i), inputs=[(3, 4), np.array([0, 1])],
                words=("Index tensor must have the same number of dimensions as input tensor",))
    check_error(lambda x, i: x.gather(0, i), inputs=[(3, 4), Const(np.array([[0.0]]))],
                words=("gather", "int64"))


def test_masked_fill_and_friends():
    mask = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])
    check_op([(3, 4), mask], lambda x, m: x.masked_fill(m, -1.5))
    check_op([(3, 4), mask[0]], lambda x, m: x.masked_fill(m, 0.0))
    check_op([(3, 4), mask, ()], lambda x, m, v: x.masked_fill(m, v))
    check_op([(3, 4), mask], lambda x, m: x.masked_fill(m, float("-inf")).softmax(-1)[:2],
             lambda x, m: x.masked_fill(m, float("-inf")).softmax(-1)[:2])
    check_op([(3, 4), mask], lambda x, m: torch.masked_fill(x, m, 2),
             lambda x, m: ember.masked_fill(x, m, 2), noncontig=True)
    check_op([(3, 4), mask], lambda x, m: x.masked_select(m))
    check_op([(3, 4), np.array([1, 3])], lambda x, i: x.take(i))
    check_op([(3, 4), np.array([[0], [3], [1]])], lambda x, i: torch.take_along_dim(x, i, 1),
             lambda x, i: ember.take_along_dim(x, i, 1))
    check_op([(3, 4), np.array([0, 2]), (2, 4)], lambda x, i, s: x.index_add(0, i, s, alpha=2))
    check_op([np.array([[0.0, 1.5], [0.0, -2.0]])], lambda x: x.nonzero(), grad=False)
    check_op([np.array([[0.0, 1.5], [0.0, -2.0]])], lambda x: x.nonzero(as_tuple=True),
             grad=False)
    check_error(lambda x, m: x.masked_fill(m, 1.0), inputs=[(3, 4), np.array([[1, 0, 1, 0]])],
                words=("only supports boolean masks",))
    check_error(lambda x, m, v: x.masked_fill(m, v), inputs=[(3, 4), mask, (2,)],
                words=("0-dimensional value tensor",))


def test_indexing_gradchecks():
    i = np.array([2, 0, 2])
    assert gradcheck(lambda x: x[ember.tensor(i)], [(3, 4)])
    assert gradcheck(lambda x: x[1:, ::2], [(3, 4)])
    assert gradcheck(lambda x: x.index_select(1, ember.tensor(i)), [(3, 4)])
    assert gradcheck(lambda x: x.gather(1, ember.tensor([[0, 0], [1, 3], [2, 2]])), [(3, 4)])
    assert gradcheck(lambda x, v: x.masked_fill(ember.tensor([True, False, True, False]), v),
                     [(3, 4), ()])
    assert gradcheck(lambda x, s: x.scatter(1, ember.tensor([[0, 1], [3, 2], [1, 0]]), s),
                     [(3, 4), (3, 2)])


def test_setitem_into_a_tensor_without_grad():
    def fn(v):
        lib = torch if isinstance(v, torch.Tensor) else ember
        y = lib.zeros(3, 4, dtype=v.dtype)
        y[1] = v[0]
        y[:, 2] = v[:, 1] * 2
        y[lib.tensor([0, 2]), lib.tensor([3, 0])] = v[2, :2]
        return y * 3

    check_op([(3, 4)], fn)


@pytest.mark.parametrize("call", [
    "x.index_fill(1, lib.tensor([0, 2]), -1.5)", "x.clone().index_fill_(0, lib.tensor([1]), 7)",
    "x.index_copy(0, lib.tensor([1, 0]), lib.ones(2, 3))",
    "x.clone().index_copy_(1, lib.tensor([2]), lib.zeros(2, 1))",
    "x.index_fill(1, lib.tensor([5]), 0)", "x.clone().index_copy_(0, lib.tensor([0]), lib.ones(3))",
])
def test_index_fill_and_copy_methods(call):
    outcomes = []
    for lib in (ember, torch):
        x = lib.arange(6.0).reshape(2, 3)
        try:
            outcomes.append(eval(call, {"lib": lib, "x": x}).tolist())
        except (RuntimeError, IndexError) as e:
            outcomes.append(type(e).__name__)
    assert outcomes[0] == outcomes[1]

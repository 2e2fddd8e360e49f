"""gather / scatter / index_* against torch: indices smaller than the input, 0-d and empty
indices, negative indices, and torch's shape, dtype and bound errors."""

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, check_error, check_op, gradcheck

import ember

SMALL = np.array([[0, 2]])  # (1, 2): smaller than a (2, 3) input outside dim 1


def test_gather_index_smaller_than_input():
    check_op([(2, 3), SMALL], lambda x, i: x.gather(1, i))
    check_op([(4, 3), np.array([[2], [0]])], lambda x, i: x.gather(0, i))
    check_op([(3, 4, 5), np.array([[[4, 0], [1, 1]]])], lambda x, i: x.gather(2, i))
    check_op([(3, 4), np.array([[0, 2, 2]])], lambda x, i: x.gather(0, i), noncontig=True)
    out = ember.tensor([[1.0, 2, 3], [4, 5, 6]]).gather(1, ember.tensor([[0, 2]]))
    assert out.tolist() == [[1.0, 3.0]]


def test_gather_zero_dim_and_empty():
    check_op([(), np.array(0)], lambda x, i: x.gather(0, i))
    check_op([(), np.array([0, 0])], lambda x, i: x.gather(0, i))
    check_op([(2, 3), np.zeros((5, 0), np.int64)], lambda x, i: x.gather(1, i))
    check_op([(2, 3), np.zeros((0, 0), np.int64)], lambda x, i: x.gather(0, i))
    check_op([(2, 3), np.array([[0, 1]], np.int32)], lambda x, i: x.gather(1, i))


def test_scatter_index_smaller_than_input():
    check_op([(2, 3), SMALL, (1, 2)], lambda x, i, s: x.scatter(1, i, s))
    # src larger than the index: torch's own backward rejects the src gradient's shape
    check_op([(2, 3), SMALL, (3, 3)], lambda x, i, s: x.scatter(1, i, s), grad=False)
    check_op([(2, 3), SMALL, (3, 3)], lambda x, i, s: x.scatter_add(1, i, s), grad=False)
    assert gradcheck(lambda x, s: x.scatter(1, ember.tensor(SMALL), s), [(2, 3), (3, 3)])
    check_op([(2, 3), np.array([[0, 2, 1, 1]]), (1, 4)], lambda x, i, s: x.scatter_add(1, i, s))
    check_op([(2, 3), SMALL], lambda x, i: x.scatter(1, i, 2.5))
    check_op([(2, 3), SMALL], lambda x, i: x.scatter(1, i, value=-1.0))
    check_op([(2, 3), np.array([[0, 0]])], lambda x, i: x.scatter(1, i, 2.0, reduce="add"),
             grad=False)
    check_op([(2, 3), np.array([[0, 0]])], lambda x, i: x.scatter(1, i, 2.0, reduce="multiply"),
             grad=False)
    check_op([(), np.array(0), ()], lambda x, i, s: x.scatter_add(0, i, s))
    check_op([(), np.array(0)], lambda x, i: x.scatter(0, i, 2.0))
    check_op([(2, 3), np.zeros((5, 0), np.int64), (1, 1)], lambda x, i, s: x.scatter_add(1, i, s))


def test_scatter_reduce_has_no_derivative():
    for lib in (torch, ember):
        x = lib.ones(2, 3, requires_grad=True)
        y = x.scatter(1, lib.tensor([[0, 0]]), 2.0, reduce="multiply")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()


@pytest.mark.parametrize("case", [
    # (op, input spec, index, words of torch's message)
    ("gather", (1, 3), np.array([[0, 2], [1, 1]]), "Size does not match at dimension 0"),
    ("gather", (1, 3), np.array([[0, -1]]), "index -1 is out of bounds for dimension 1"),
    ("gather", (1, 3), Const(np.array([[0.0]])), "Expected dtype int32/int64 for index"),
    ("scatter", (2, 3), np.array([[0, 2, 1, 1]]), "to be no larger size than src [1, 3]"),
    ("scatter", (2, 3), np.array([0, 2]), "same number of dimensions as self tensor"),
    ("scatter", (2, 3), np.array([[0, 3]]), "index 3 is out of bounds for dimension 1"),
    ("scatter", (2, 3), Const(np.array([[0.0]])), "scatter(): Expected dtype int32/int64"),
])
def test_gather_scatter_errors(case):
    op, shape, index, words = case
    if op == "gather":
        check_error(lambda x, i: x.gather(1, i), inputs=[shape, index], words=(words,))
    else:
        check_error(lambda x, i, s: x.scatter_add(1, i, s), inputs=[shape, index, (1, 3)],
                    words=(words,))


def test_scatter_src_errors():
    check_error(lambda x, i, s: x.scatter(1, i, s), inputs=[(2, 3), SMALL, (1, 1)],
                words=("Expected index [1, 2] to be no larger than self [2, 3] apart from "
                       "dimension 1 and to be no larger size than src [1, 1]",))
    check_error(lambda x, i, s: x.scatter(1, i, s), inputs=[(2, 3), SMALL, (2, 3, 1)],
                words=("same number of dimensions as src tensor",))
    check_error(lambda x, i, s: x.scatter(1, i, s), inputs=[(2, 3), SMALL, (3,)],
                words=("Dimension out of range",))
    check_error(lambda x, i: x.scatter(1, i, 2.0, reduce="mean"), inputs=[(2, 3), SMALL],
                words=("reduce argument must be either add or multiply.",))
    check_error(lambda x, i: x.scatter_add(1, i, torch.ones(2, 3, dtype=torch.float64)),
                lambda x, i: x.scatter_add(1, i, ember.ones(2, 3, dtype=ember.float64)),
                inputs=[(2, 3), SMALL], words=("Expected self.dtype to be equal to src.dtype",))


def test_index_select_cases():
    check_op([(2, 3), np.array(1)], lambda x, i: x.index_select(1, i))
    check_op([(), np.array([0])], lambda x, i: x.index_select(0, i))
    check_op([(), np.array(0)], lambda x, i: x.index_select(0, i))
    check_op([(2, 3), np.zeros(0, np.int64)], lambda x, i: x.index_select(1, i))
    check_error(lambda x, i: x.index_select(1, i), inputs=[(2, 3), np.array([-1])],
                words=("INDICES element is out of DATA bounds, id=-1 axis_dim=3",))
    check_error(lambda x, i: x.index_select(1, i), inputs=[(2, 3), Const(np.array([0.0]))],
                words=("Expected dtype int32 or int64 for index",))
    check_error(lambda x, i: x.index_select(0, i), inputs=[(), np.array([0, 0])],
                words=("Index to scalar can have only 1 value, got 2 value(s)",))


def test_index_add_copy_fill():
    idx = np.array([0, 2, 2])
    check_op([(2, 3), idx, (2, 3)], lambda x, i, s: x.index_add(1, i, s))
    check_op([(2, 3), idx, (2, 3)], lambda x, i, s: x.index_add(1, i, s, alpha=-2))
    check_op([(), np.array([0]), ()], lambda x, i, s: x.index_add(0, i, s))
    # index_copy with a repeated index: the last write wins in both libraries on CPU
    check_op([(2, 3), np.array([0, 2]), (2, 2)], lambda x, i, s: torch.index_copy(x, 1, i, s),
             lambda x, i, s: ember.index_copy(x, 1, i, s))
    check_op([(4, 3), np.array([3, 1]), (2, 3)], lambda x, i, s: torch.index_copy(x, 0, i, s),
             lambda x, i, s: ember.index_copy(x, 0, i, s))
    check_op([(2, 3), idx], lambda x, i: torch.index_fill(x, 1, i, 4.0),
             lambda x, i: ember.index_fill(x, 1, i, 4.0))
    check_op([(2, 3), np.array([0, 1, 0]), ()], lambda x, i, v: torch.index_fill(x, 1, i, v),
             lambda x, i, v: ember.index_fill(x, 1, i, v))
    # a negative index: torch's forward accepts it, its backward fails
    check_op([(2, 3), np.array([0, -1])], lambda x, i: torch.index_fill(x, 1, i, 1.0),
             lambda x, i: ember.index_fill(x, 1, i, 1.0), grad=False)


@pytest.mark.parametrize("case", [
    (lambda lib, x, i, s: x.index_add(1, i, s), np.array([0, 2]), (2, 3),
     "Number of indices (2) should be equal to source.size(dim): (3), for dim: 1"),
    (lambda lib, x, i, s: x.index_add(1, i, s), np.array([0, 2]), (1, 2),
     "source tensor shape must match self tensor shape"),
    (lambda lib, x, i, s: x.index_add(1, i, s), np.array([[0, 2]]), (2, 2),
     "Index is supposed to be a vector, but got dim: 2"),
    (lambda lib, x, i, s: x.index_add(1, i, s), np.array([-1]), (2, 1),
     "index -1 is out of bounds for dimension 1 with size 3"),
    (lambda lib, x, i, s: lib.index_copy(x, 1, i, s), np.array([5]), (2, 1),
     "index_copy_(): index 5 is out of bounds for dimension 1 with size 3"),
    (lambda lib, x, i, s: lib.index_copy(x, 1, i, s), np.array([0]), (2, 2),
     "Number of indices (1) should be equal to source.size(dim) (2)"),
    (lambda lib, x, i, s: lib.index_copy(x, 1, i, s), np.array([0], np.int32), (2, 1),
     "Expected a long tensor for index, but got Int"),
    (lambda lib, x, i, s: lib.index_copy(x, 1, i, s), np.array([0]), (3, 1),
     "Source/destination tensor must have same slice shapes"),
])
def test_index_add_copy_errors(case):
    fn, index, sshape, words = case
    check_error(lambda x, i, s: fn(torch, x, i, s), lambda x, i, s: fn(ember, x, i, s),
                inputs=[(2, 3), index, sshape], words=(words,))


def test_take_along_dim_broadcasts():
    check_op([(1, 3), np.array([[0], [2], [1]])], lambda x, i: torch.take_along_dim(x, i, 1),
             lambda x, i: ember.take_along_dim(x, i, 1))
    check_op([(2, 3), np.array([[0, 2]])], lambda x, i: torch.take_along_dim(x, i, 1),
             lambda x, i: ember.take_along_dim(x, i, 1))
    check_error(lambda x, i: x.take_along_dim(i, 0), inputs=[(2, 3), np.array([[0, 1]])],
                words=("The size of tensor a (3) must match the size of tensor b (2)",))

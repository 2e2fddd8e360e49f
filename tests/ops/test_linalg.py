"""matmul / @ / mm / bmm / dot / mv / outer / einsum, against torch."""

import numpy as np
import pytest
import torch
from tests.torch_compare import check_error, check_op, gradcheck

import ember

MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)),
    ((0, 4), (4, 5)), ((3, 0), (0, 5)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(list(shapes), lambda a, b: a @ b)
    check_op(list(shapes), lambda a, b: torch.matmul(a, b), lambda a, b: ember.matmul(a, b))


def test_matmul_noncontiguous_and_forms():
    check_op([(3, 4), (4, 5)], lambda a, b: a @ b, noncontig=True)
    check_op([(2, 4, 3), (5, 4)], lambda a, b: a.transpose(1, 2) @ b.t(), noncontig=True)
    check_op([(3, 4), (4, 5)], lambda a, b: a.mm(b))
    check_op([(3, 4), (4, 5)], lambda a, b: torch.mm(a, b), lambda a, b: ember.mm(a, b))
    check_op([(2, 3, 4), (2, 4, 5)], lambda a, b: torch.bmm(a, b), lambda a, b: ember.bmm(a, b))
    check_op([(4,), (4,)], lambda a, b: torch.dot(a, b), lambda a, b: ember.dot(a, b))
    check_op([(3, 4), (4,)], lambda a, b: torch.mv(a, b), lambda a, b: ember.mv(a, b))
    check_op([(3,), (4,)], lambda a, b: torch.outer(a, b), lambda a, b: ember.outer(a, b))
    check_op([(3, 5), (3, 4), (4, 5)],
             lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2),
             lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2))
    check_op([(6, 6)], lambda a: a[::2, 1::2] @ a[1::2, ::2].t())


def test_matmul_integer_and_mixed():
    a = np.arange(6).reshape(2, 3)
    check_op([a, a.T.copy()], lambda x, y: x @ y, grad=False)


def test_matmul_errors():
    check_error(lambda a, b: a @ b, inputs=[(3, 4), (5, 6)], words=("cannot be multiplied",))
    check_error(lambda a, b: a @ b, inputs=[(), (3,)], words=("both arguments to matmul",))
    check_error(lambda a, b: torch.mm(a, b), lambda a, b: ember.mm(a, b),
                inputs=[(3,), (3, 4)], words=("self must be a matrix",))
    check_error(lambda a, b: torch.mm(a, b), lambda a, b: ember.mm(a, b),
                inputs=[(3, 4), (4,)], words=("mat2 must be a matrix",))
    check_error(lambda a, b: torch.bmm(a, b), lambda a, b: ember.bmm(a, b),
                inputs=[(3, 4), (4, 5)], words=("batch1 must be a 3D tensor",))
    check_error(lambda a, b: torch.bmm(a, b), lambda a, b: ember.bmm(a, b),
                inputs=[(2, 3, 4), (3, 4, 5)], words=("Expected size for first two dimensions",))
    check_error(lambda a, b: a @ b, inputs=[(2, 3, 4), (3, 5, 4)], words=("must match",))
    check_error(lambda a, b: a @ b, inputs=[(2, 3, 4), (2, 5, 6)],
                words=("Expected size for first two dimensions of batch2 tensor",))
    check_error(lambda a, b: a @ b, inputs=[(2, 3, 4), (5, 6)], words=("(6x4 and 5x6)",))
    check_error(lambda a, b: a @ b, inputs=[(4,), (5, 6)], words=("(1x4 and 5x6)",))
    check_error(lambda a, b: a @ b, inputs=[(2, 3, 4), (5,)], words=("size mismatch",))
    check_error(lambda a, b: a @ b, inputs=[(4,), (5,)], words=("inconsistent tensor size",))
    check_error(lambda a, b: torch.dot(a, b), lambda a, b: ember.dot(a, b),
                inputs=[(3,), (4,)], words=("inconsistent tensor size",))
    check_error(lambda a, b: torch.dot(a, b), lambda a, b: ember.dot(a, b),
                inputs=[(3, 1), (3,)], words=("1D tensors expected",))


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(4,), (4,)]), ("ij->ji", [(3, 4)]), ("ij->j", [(3, 4)]),
    ("bi,bi->b", [(3, 4), (3, 4)]), ("ij,kj->ik", [(3, 4), (5, 4)]), ("i,j->ij", [(3,), (4,)]),
    ("ij->", [(3, 4)]), ("ij,jk", [(3, 4), (4, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]), ("ij,j->i", [(3, 4), (4,)]),
    # size-1 dimensions broadcast, under '...' and named alike
    ("...ij,...jk->...ik", [(1, 2, 3), (5, 3, 4)]), ("...ij,...jk", [(2, 1, 2, 3), (4, 3, 4)]),
    ("...j,...j->...", [(1, 3), (4, 3)]), ("a...,a...->...", [(2, 3, 1), (2, 1, 4)]),
    ("bij,bjk->bik", [(1, 2, 3), (5, 3, 4)]), ("i,i->", [(1,), (4,)]), ("i,ii->i", [(1,), (3, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    check_op(shapes, lambda *xs: torch.einsum(eq, *xs), lambda *xs: ember.einsum(eq, *xs))
    check_op(shapes, lambda *xs: torch.einsum(eq, list(xs)),
             lambda *xs: ember.einsum(eq, list(xs)), dtypes=(np.float64,))
    assert gradcheck(lambda *xs: ember.einsum(eq, *xs), shapes)


def test_einsum_spaces_and_errors():
    check_op([(3, 4), (4, 5)], lambda a, b: torch.einsum("ij, jk -> ik", a, b),
             lambda a, b: ember.einsum("ij, jk -> ik", a, b))
    check_error(lambda a, b: torch.einsum("ij,jk->ik", a, b),
                lambda a, b: ember.einsum("ij,jk->ik", a, b), inputs=[(3, 4), (5, 6)],
                words=("einsum(): subscript j has size 5",))
    check_error(lambda a: torch.einsum("ij,jk->ik", a), lambda a: ember.einsum("ij,jk->ik", a),
                inputs=[(3, 4)], words=("einsum(): fewer operands",))
    check_error(lambda a: torch.einsum("ij->ik", a), lambda a: ember.einsum("ij->ik", a),
                inputs=[(3, 4)], words=("einsum(): output subscript k",))
    check_error(lambda a: torch.einsum("ij->i", a), lambda a: ember.einsum("ij->i", a),
                inputs=[(3, 4, 5)], words=("einsum(): the number of subscripts",))
    check_error(lambda a: torch.einsum("ii->i", a), lambda a: ember.einsum("ii->i", a),
                inputs=[(1, 4)], words=("einsum(): subscript i is repeated for operand 0",))
    check_error(lambda a, b: torch.einsum("...ij,...jk", a, b),
                lambda a, b: ember.einsum("...ij,...jk", a, b), inputs=[(3, 2, 3), (2, 3, 4)],
                words=("einsum(): dimension 0 covered by ellipsis in operand 1has size 2",))
    check_error(lambda a, b: torch.einsum("i,i->i", a, b),
                lambda a, b: ember.einsum("i,i->i", a, b), inputs=[(3,), (4,)],
                words=("einsum(): subscript i has size 4 for operand 1",))


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:9], ids=str)
def test_matmul_gradcheck(shapes):
    assert gradcheck(lambda a, b: a @ b, list(shapes))

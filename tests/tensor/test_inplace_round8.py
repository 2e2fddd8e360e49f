"""In-place repros of the eighth fuzzing round (tests/fuzz/FINDINGS.md "Round 9"), each written
once against either library (``M`` is ``torch`` or ``ember``) and compared with torch; every
one failed before its fix.
"""

from __future__ import annotations

import warnings

import pytest
from tests.torch_compare import same_outcome

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- 86: a view whose base changed shape in place is taken by its strides (torch's as_strided)

def _transposed_then_unsqueezed(M):
    """seed 1103747: ``.T`` of a 1-D tensor, then the base unsqueezed in place."""
    x = M.tensor([-0.25], dtype=M.float64, requires_grad=True)
    base = x.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        view = base.T
    base.unsqueeze_(0)
    M.autograd.backward(view, M.tensor([-0.39], dtype=M.float64))
    return x.grad


def _strided_slice_then_unsqueezed(M):
    x = M.arange(6.0, requires_grad=True)
    base = x.clone()
    view = base[1:5:2]
    base.unsqueeze_(0)
    (view * M.tensor([2.0, 3.0])).sum().backward()
    return x.grad


def _column_then_transposed_and_edited(M):
    x = M.arange(6.0, requires_grad=True)
    base = x.clone().view(2, 3)
    column = base[:, 1]
    base.t_()
    column.mul_(2)
    (base * base).sum().backward()
    return x.grad, base


def _expanded_row_then_squeezed(M):
    x = M.tensor([[1.5, -2.0, 0.5]], requires_grad=True)
    base = x.clone()
    view = base[0, ::2]
    base.squeeze_(0)
    (view.exp()).sum().backward()
    return x.grad


@pytest.mark.parametrize("fn", [_transposed_then_unsqueezed, _strided_slice_then_unsqueezed,
                                _column_then_transposed_and_edited,
                                _expanded_row_then_squeezed])
def test_view_of_a_base_whose_shape_changed_in_place(fn):
    same_outcome(fn)


# -- ops whose torch kernels write through an expanded tensor (seeds 1209855, 1210839, 1212213,
# 1214160): each shared location takes the new value of an element that changed it; with
# autograd the backward refuses the overlapping region as torch's does

def _through(edit, grad: bool, expand=(2, -1, -1)):
    def fn(M):
        x = M.tensor([[-1.35, 0.43, 0.0], [2.61, -2.27, 1.5]], requires_grad=grad)
        base = x * 1 if grad else x.clone()
        view = base.expand(*expand)
        edit(M, view)
        if grad:
            view.sum().backward()
            return base, x.grad
        return base, view
    return fn


EDITS = {
    "fill_": lambda M, v: v.fill_(1.5),
    "zero_": lambda M, v: v.zero_(),
    "masked_fill_same_mask": lambda M, v: v.masked_fill_(M.tensor([[True, False, True]]), 2.0),
    "masked_fill_mask_differs_by_copy": lambda M, v: v.masked_fill_(
        M.tensor([[[True, False, False], [False, False, False]],
                  [[False, False, True], [False, True, False]]]), -7.0),
    "masked_fill_tensor_value": lambda M, v: v.masked_fill_(M.tensor(True), M.tensor(0.5)),
    "triu_": lambda M, v: v.triu_(),
    "tril_": lambda M, v: v.tril_(-1),
    "index_fill_": lambda M, v: v.index_fill_(2, M.tensor([0, 2]), 3.0),
    "index_fill_expanded_dim": lambda M, v: v.index_fill_(0, M.tensor([1]), 4.0),
    "setitem_bool": lambda M, v: v.__setitem__(M.tensor([True, False]), -1.0),
    "setitem_int": lambda M, v: v.__setitem__(0, -1.0),
    "setitem_bool_and_slice": lambda M, v: v.__setitem__(
        (M.tensor([True, True]), slice(-2, None, 2), None), -1.0),
    "setitem_whole_refused": lambda M, v: v.__setitem__(slice(None), -1.0),
    "add_refused": lambda M, v: v.add_(1),
    "threshold_": lambda M, v: M.nn.functional.threshold_(v, 0.5, 2.0),
    "relu_refused": lambda M, v: v.relu_(),
}


@pytest.mark.parametrize("name", sorted(EDITS))
@pytest.mark.parametrize("grad", [False, True])
def test_inplace_through_an_expanded_tensor(name, grad):
    same_outcome(_through(EDITS[name], grad), words=("single memory location",))


@pytest.mark.parametrize("op", ["triu_", "tril_"])
def test_triangle_of_a_row_expanded_tensor(op):
    """A row shared by every row of a square: a location is zeroed if any row zeroes it."""
    def fn(M):
        row = M.tensor([[1.0, 2.0, 3.0]])
        getattr(row.expand(3, 3), op)()
        return row
    same_outcome(fn)


# -- partial overlap of an operand and the written-to tensor: refused only between dense
# blocks, as torch (seed 1102476: ``addcmul_`` with a column of its own target) ---------------

OVERLAPS = {
    "transpose": (lambda M: M.arange(9.0).reshape(3, 3), lambda x: x.add_(x.T)),
    "shifted": (lambda M: M.arange(4.0), lambda x: x[1:].add_(x[:-1])),
    "strided_column": (lambda M: M.arange(4.0).reshape(2, 2), lambda x: x.add_(x[:, 0])),
    "contiguous_row": (lambda M: M.arange(4.0).reshape(2, 2), lambda x: x.add_(x[0])),
    "addcmul_column": (lambda M: M.arange(4.0).reshape(2, 2),
                       lambda x: x.addcmul_(x[:1] * 0 + 1, x[:, 0])),
    "even_odd_rows": (lambda M: M.arange(8.0).reshape(4, 2), lambda x: x[::2].add_(x[1::2])),
    "halves": (lambda M: M.arange(6.0), lambda x: x[:3].add_(x[3:])),
    "overlapping_halves": (lambda M: M.arange(6.0), lambda x: x[:4].add_(x[2:])),
    "strided_into_dense": (lambda M: M.arange(6.0), lambda x: x[::2].add_(x[:3])),
}


@pytest.mark.parametrize("name", sorted(OVERLAPS))
def test_partial_overlap_refused_only_between_dense_blocks(name):
    make, edit = OVERLAPS[name]

    def fn(M):
        edit(make(M))
        return True  # whether it raised; the values are torch's loop order, not compared
    same_outcome(fn, words=("single memory location",))


# -- a 0-d value that requires grad, filled into an integer or bool tensor (seed 1116894) ----

@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("how", ["setitem", "fill_"])
def test_integer_tensor_filled_from_a_value_requiring_grad_requires_grad(dtype, how):
    def fn(M):
        target = M.tensor([[1, 0, 3]], dtype=getattr(M, dtype))
        value = M.tensor(-1.62, requires_grad=True) + 0
        if how == "setitem":
            target[0, 0:2] = value
        else:
            target.fill_(value)
        return target, target.requires_grad
    same_outcome(fn)


# -- an integer tensor that requires grad (made by ``ge_`` with a grad-requiring operand) in
# an op whose integer result cannot carry a history: torch's error (seed 1212339) -----------

INTEGER_USES = {
    "add": lambda M, x: x + 1, "neg": lambda M, x: -x, "clone": lambda M, x: x.clone(),
    "view": lambda M, x: x.view(2), "sum": lambda M, x: x.sum(), "cat": lambda M, x: M.cat([x, x]),
    "scatter": lambda M, x: M.scatter(x, 0, M.zeros(2, dtype=M.long), x),
    "index": lambda M, x: x[0], "float": lambda M, x: x.float(), "long": lambda M, x: x.long(),
    "ge": lambda M, x: x.ge(0), "argmax": lambda M, x: x.argmax(),
    "floor_divide": lambda M, x: x // 2, "times_float": lambda M, x: x * 1.5,
    "detach": lambda M, x: x.detach(),
}


@pytest.mark.parametrize("use", sorted(INTEGER_USES))
def test_integer_tensor_requiring_grad_in_an_op(use):
    def fn(M):
        x = M.zeros(2, dtype=M.int32)
        x.ge_(M.zeros(2, requires_grad=True).clone())
        out = INTEGER_USES[use](M, x)
        return out, out.requires_grad
    same_outcome(fn, words=("Autograd not support dtype",))


def test_value_requiring_grad_copied_into_one_integer_element():
    """``x[0] = v`` copies (same shape) where ``x[0, :2] = v`` fills: torch's copy_ into an
    integer tensor takes no history (seed 1309583)."""
    def fn(M):
        x = M.tensor([-2, 4], dtype=M.int64)
        x[0] = M.tensor(-0.87, dtype=M.float64, requires_grad=True) + 0
        return x, x.requires_grad
    same_outcome(fn)


@pytest.mark.parametrize("edit", ["add_", "mul_", "index_add_", "neg_", "fill_", "zero_",
                                  "copy_", "masked_fill_"])
def test_in_place_ops_on_an_integer_tensor_requiring_grad(edit):
    """torch lets these in-place ops change an integer tensor that requires grad (seed
    1305431); the tensor still requires grad."""
    edits = {
        "add_": lambda M, x: x.add_(1), "mul_": lambda M, x: x.mul_(2),
        "index_add_": lambda M, x: x.index_add_(0, M.tensor([1, 0]), x.detach().clone()),
        "neg_": lambda M, x: x.neg_(), "fill_": lambda M, x: x.fill_(2),
        "zero_": lambda M, x: x.zero_(), "copy_": lambda M, x: x.copy_(M.ones(2, 2)),
        "masked_fill_": lambda M, x: x.masked_fill_(x > 0, 5),
    }

    def fn(M):
        x = M.tensor([[0, 1], [1, 1]], dtype=M.int64)
        x.ge_(M.tensor(-2.25, requires_grad=True))
        edits[edit](M, x)
        return x, x.requires_grad
    same_outcome(fn)

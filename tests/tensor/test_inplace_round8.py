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

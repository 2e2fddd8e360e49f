"""In-place changes, root checks and gradient delivery, each compared with torch.

Each case is a program run unchanged on both libraries (``lib`` is ``ember`` or ``torch``); the
outcome (the values it returns, or the class and message of the error it raises) must be the
same.
"""

import warnings

import numpy as np
import pytest
import torch
from tests.torch_compare import same_outcome, same_outcome_strict

import ember
from ember.autograd.function import ArrayFunction

TOL = {"rtol": 1e-6, "atol": 1e-7}  # of the values the programs return


def leaf(lib, values=((1.0, 2.0, 3.0),)):
    return lib.tensor(values, requires_grad=True)


# -- saved values seen through views -----------------------------------------------------------
def edited_output_of_logsumexp(lib):
    x = leaf(lib)
    y = lib.logsumexp(x, 1)
    y.add_(1)
    y.sum().backward()
    return x.grad


def edited_output_of_norm(lib):
    x = leaf(lib)
    y = x.norm()
    y.mul_(2)
    y.backward()
    return x.grad


def edited_result_of_inplace_exp(lib):
    x = leaf(lib)
    y = x * 1
    y.exp_()  # exp_ saves its result, which is y itself
    y.add_(1)
    y.sum().backward()
    return x.grad


def unedited_result_of_inplace_exp(lib):
    x = leaf(lib)
    y = x * 1
    y.exp_()
    (y * 2).sum().backward()
    return x.grad


def edited_data_is_not_tracked(lib):
    x = leaf(lib)
    y = x.exp()
    y.data.add_(1)  # .data is the documented escape hatch: no version check
    y.sum().backward()
    return x.grad


def edited_data_of_input(lib):
    x = leaf(lib)
    h = x * 1
    y = h.sin()
    h.data.mul_(0)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("program", [
    edited_output_of_logsumexp, edited_output_of_norm, edited_result_of_inplace_exp,
    unedited_result_of_inplace_exp, edited_data_is_not_tracked, edited_data_of_input,
])
def test_saved_values_and_inplace_edits(program):
    same_outcome_strict(program, words=("modified by an inplace operation",), **TOL)


def test_inplace_error_names_the_saved_tensor_as_torch_does():
    with pytest.raises(RuntimeError) as e:
        edited_output_of_logsumexp(ember)
    assert "[ember.FloatTensor [1]], which is output 0 of" in str(e.value)
    assert "is at version 1; expected version 0 instead" in str(e.value)


# -- in-place results that the destination cannot hold ---------------------------------------
def _inplace(edit):
    def program(lib):
        return edit(lib)
    program.__name__ = edit.__name__
    return program


def int_add_float(lib):
    t = lib.tensor([1, 2])
    t.add_(lib.tensor([0.5, 0.5]))
    return t


def int_iadd_python_float(lib):
    t = lib.tensor([1, 2])
    t += 0.5
    return t


def int_div(lib):
    t = lib.tensor([1, 2])
    t.div_(2)
    return t


def int_itruediv(lib):
    t = lib.tensor([4, 2])
    t /= 2
    return t


def int_mul_float(lib):
    t = lib.tensor([1, 2])
    t.mul_(1.5)
    return t


def int_clamp_float_bounds(lib):
    t = lib.tensor([1, 2])
    t.clamp_(-0.5, 0.5)
    return t


def bool_add_int(lib):
    t = lib.tensor([True, False])
    t.add_(lib.tensor([1, 1]))
    return t


def int_sub_float_requiring_grad(lib):
    t = lib.tensor([1, 2])
    t.sub_(lib.tensor([0.5, 0.5], requires_grad=True))
    return t


def float_add_double_narrows(lib):
    t = lib.tensor([1.0, 2.0])
    t.add_(lib.tensor([0.25, 0.5], dtype=lib.float64))
    return t


def int_add_int_ok(lib):
    t = lib.tensor([1, 2], dtype=lib.int32)
    t.add_(lib.tensor([3, 4]))
    return t


def bool_or_bool_ok(lib):
    t = lib.tensor([True, False])
    t.add_(lib.tensor([False, False]))
    return t


def broadcast_grows_destination(lib):
    t = lib.zeros(3)
    t += lib.ones(1, 3)
    return t


def broadcast_grows_recorded_destination(lib):
    t = lib.zeros(3, requires_grad=True) * 1
    t.mul_(lib.ones(2, 3))
    return t


def broadcast_fits_destination(lib):
    t = lib.zeros(2, 3)
    t += lib.ones(3)
    return t


@pytest.mark.parametrize("program", [
    int_add_float, int_iadd_python_float, int_div, int_itruediv, int_mul_float,
    int_clamp_float_bounds, bool_add_int, int_sub_float_requiring_grad,
    float_add_double_narrows, int_add_int_ok, bool_or_bool_ok, broadcast_grows_destination,
    broadcast_grows_recorded_destination, broadcast_fits_destination,
])
def test_inplace_result_must_fit_the_destination(program):
    words = None  # torch's message up to its first colon
    if program is int_clamp_float_bounds:  # torch names clamp_'s types in C++ ("long int")
        words = ("can't be cast to the desired output type",)
    same_outcome_strict(program, words=words, **TOL)


def test_unchanged_destination_after_a_refused_inplace_op():
    t = ember.tensor([1, 2])
    with pytest.raises(RuntimeError):
        t.add_(ember.tensor([0.5, 0.5]))
    assert t.tolist() == [1, 2] and t._version == 0


# -- roots and inputs= --------------------------------------------------------------------------
def retained_nonleaf_as_input(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward(inputs=[h])
    return h.grad, x.grad


def nonleaf_input_without_retain(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    (h * h).sum().backward(inputs=[h])
    return h.grad, x.grad


def inputs_stop_before_a_freed_part(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.sum().backward(retain_graph=True)  # frees nothing yet
    y = (h * h).sum()
    x.sum().backward()  # an unrelated backward
    h.sum().backward()  # frees exp's saved result
    y.backward(inputs=[h])  # needs only MulBackward: torch never runs exp's backward again
    return h.grad, x.grad


def inputs_twice_accumulate(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    for _ in range(2):
        (x * w).sum().backward(inputs=[x])
    return x.grad, w.grad


def empty_inputs(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    x.sum().backward(inputs=[])
    return x.grad


@pytest.mark.parametrize("program", [
    retained_nonleaf_as_input, nonleaf_input_without_retain, inputs_stop_before_a_freed_part,
    inputs_twice_accumulate, empty_inputs,
])
def test_backward_inputs(program):
    same_outcome_strict(program, **TOL)


def test_grad_runs_only_the_part_that_leads_to_its_inputs():
    ran = []

    class Spy(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            ran.append(True)
            return g

    x = ember.ones(2, requires_grad=True)
    h = Spy.apply(x)
    y = (h * 2).sum()
    (g,) = ember.autograd.grad(y, [h])
    assert g.tolist() == [2.0, 2.0] and ran == []


# -- gradients of exactly the input's shape ---------------------------------------------------
class WrongShape(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(1, -1)


def test_builtin_backward_of_a_wrong_shape_is_an_error():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward0 returned an invalid gradient "
                                           r"at index 0 - got \[1, 3\] but expected shape "
                                           r"compatible with \[3\]"):
        WrongShape.apply(x).sum().backward()


def custom_function_with_wrong_shape(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    x = lib.ones(3, requires_grad=True)
    Bad.apply(x).sum().backward()
    return x.grad


def custom_function_with_broadcast_gradient(lib):
    class Wide(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.expand(4, 3)  # torch sums a gradient that expands the input's shape

    x = lib.ones(3, requires_grad=True)
    Wide.apply(x).sum().backward()
    return x.grad


def zero_dim_leaf_through_reshape(lib):
    x = lib.tensor(2.0, requires_grad=True)
    (x.reshape(1, 1) * lib.ones(1, 1)).sum().backward()
    return x.grad


def zero_dim_leaf_through_expand(lib):
    x = lib.tensor(2.0, requires_grad=True)
    (x.expand(2, 3) * lib.ones(2, 3)).sum().backward()
    return x.grad


@pytest.mark.parametrize("program", [
    custom_function_with_wrong_shape, custom_function_with_broadcast_gradient,
    zero_dim_leaf_through_reshape, zero_dim_leaf_through_expand,
])
def test_gradient_shapes(program):
    same_outcome_strict(program, words=("returned an invalid gradient at index 0",), **TOL)


def test_fast_inplace_path_prints_no_numpy_warning():
    t = ember.tensor([1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t /= 0
        t.mul_(float("inf"))
    assert np.isnan(t.numpy()[1]) and np.isinf(t.numpy()[0])


# -- writes into expanded tensors ----------------------------------------------------------------
def row_of_expanded(lib):
    x = lib.zeros(3).expand(2, 3)
    x[0] = 1
    return x


def column_of_expanded(lib):
    x = lib.zeros(3).expand(2, 3)
    x[:, 0] = 5
    return x


def all_of_expanded(lib):
    x = lib.zeros(3).expand(2, 3)
    x.add_(1)
    return x


def inplace_on_a_row_of_expanded(lib):
    x = lib.zeros(3).expand(2, 3)
    x[0].add_(1)
    return x


def fill_expanded(lib):
    x = lib.zeros(3).expand(2, 3)
    x.fill_(2)
    return x


def zero_expanded(lib):
    x = lib.ones(3).expand(2, 3)
    x.zero_()
    return x


def write_reaches_the_base(lib):
    x = lib.zeros(3)
    y = x.expand(2, 3)
    y[1, 2] = 7
    return x


@pytest.mark.parametrize("program", [
    row_of_expanded, column_of_expanded, all_of_expanded, inplace_on_a_row_of_expanded,
    fill_expanded, zero_expanded, write_reaches_the_base,
])
def test_writes_into_expanded_tensors(program):
    same_outcome_strict(program, **TOL)


def test_recorded_assignment_into_a_row_of_an_expanded_tensor():
    """torch writes into the view ``expanded[0]``, which overlaps nothing: allowed, and the
    gradient of the overwritten row is zero."""
    def fn(M):
        x = M.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
        expanded = x.clone().expand(2, 3)
        expanded[0] = 1
        (expanded * M.tensor([[1.0], [2.0]])).sum().backward()
        return expanded, x.grad
    same_outcome(fn)


class SumSavingItsScalar(ArrayFunction):
    """A full reduction whose forward returns (and saves) a NumPy scalar."""

    @staticmethod
    def forward(ctx, x):
        out = x.sum()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return np.full((3,), grad * 0 + out, dtype=np.float32)


def test_a_saved_scalar_output_is_tied_to_the_returned_tensor():
    x = ember.ones(3, requires_grad=True)
    y = SumSavingItsScalar.apply(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# -- views returned together by split / chunk / unbind ----------------------------------------
def _grad_matrix(lib):
    return lib.tensor([[0.5, 0.6], [0.3, 0.4]], requires_grad=True) * 1


@pytest.mark.parametrize("make", ["x.unbind(0)[1]", "x.split(1)[0]", "x.chunk(2, 1)[0]",
                                  "x.split([1, 1])[1]"])
def test_multi_output_views_refuse_inplace_as_torch(make):
    def edited(lib):
        x = _grad_matrix(lib)
        eval(make, {"x": x}).add_(1)
        return x

    def base_edited(lib):
        x = _grad_matrix(lib)
        v = eval(make, {"x": x})
        x.add_(1)
        return v.sum()

    def without_grad(lib):
        x = lib.tensor([[0.5, 0.6], [0.3, 0.4]])
        eval(make, {"x": x}).add_(1)
        return x

    same_outcome_strict(edited, **TOL)
    same_outcome_strict(base_edited, **TOL)
    same_outcome_strict(without_grad, **TOL)


def base_takes_a_gradient_value_in_place(lib):
    x = lib.zeros(2)
    v = x[0:1]
    y = lib.tensor([3.0], requires_grad=True)
    x += y * 1
    assert v.requires_grad and not v.is_leaf
    (v * 5).sum().backward()
    return y.grad


def inplace_on_a_view_of_an_empty_tensor(lib):
    x = lib.zeros(0, requires_grad=True)
    y = x + 0
    v = y.squeeze()
    v.clamp_(0, 1)
    y.sum().backward()
    return x.grad


def assignment_into_an_empty_tensor(lib):
    x = lib.zeros((4, 1, 0), requires_grad=True)
    v = x * 1
    v[3] = -1
    v.sum().backward()
    return x.grad


@pytest.mark.parametrize("program", [base_takes_a_gradient_value_in_place,
                                     inplace_on_a_view_of_an_empty_tensor,
                                     assignment_into_an_empty_tensor])
def test_views_follow_their_base_and_empty_views(program):
    same_outcome_strict(program, **TOL)


def transpose_view_taken_before_its_base_has_history(lib):
    x1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    v4 = x1.T
    x7 = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x1 *= x7 + 0
    (v4 * lib.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    return x7.grad


def unbind_gives_views(lib):
    x = lib.tensor([0.0, 2.0, -5.0])
    v = x.unbind(0)[0]
    x.add_(1)
    return v


def inplace_reshape_bumps_the_version(lib):
    x3 = lib.tensor([[-2.78, 0.5, 0.52]], dtype=lib.float64, requires_grad=True)
    v4 = lib.std(x3, dim=1)
    v4.unsqueeze_(0)
    v4.backward(lib.tensor([[2.35]], dtype=lib.float64))
    return x3.grad


def operand_overlapping_the_destination(lib):
    x = lib.tensor([[3.0, 2.0], [-1.0, 0.0]])
    x += x.T
    return x


def row_overlapping_the_destination(lib):
    x = lib.tensor([[3.0, 2.0], [-1.0, 0.0]])
    x.add_(x[0])
    return x


def copy_from_an_overlapping_view(lib):
    x = lib.tensor([[3.0, 2.0], [-1.0, 0.0]])
    x.copy_(x.T)
    return x


def same_elements_are_fine(lib):
    x = lib.tensor([[3.0, 2.0], [-1.0, 0.0]])
    x += x
    x.mul_(x.view(2, 2))
    x[0].add_(x[1])
    return x


@pytest.mark.parametrize("program", [
    transpose_view_taken_before_its_base_has_history, unbind_gives_views,
    inplace_reshape_bumps_the_version, operand_overlapping_the_destination,
    row_overlapping_the_destination, copy_from_an_overlapping_view, same_elements_are_fine,
])
def test_views_versions_and_overlap(program):
    same_outcome_strict(program, **TOL)


def test_inplace_reshapes_count_as_versions():
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0]]) * 1
        v0 = x._version
        x.squeeze_()
        x.unsqueeze_(0)
        x.t_()
        assert x._version - v0 == 3

"""In-place rules found by the fuzzer's seventh round (tests/fuzz/FINDINGS.md 42, 59, 84, 85),
each compared with torch: non-differentiable in-place ops on tensors that require grad, scans
in the tensor's own dtype, bool subtraction, and views made in no_grad mode."""

from __future__ import annotations

import pytest
from tests.torch_compare import both, same_error


def test_logical_inplace_ops_may_change_a_leaf_that_requires_grad():
    def run(M):
        x = M.tensor([1.0, 0.5, 0.0], requires_grad=True)
        x.logical_and_(M.tensor([1.0, 0.0, 1.0]))
        return x.detach(), x.requires_grad, x.is_leaf, x._version

    both(run)


@pytest.mark.parametrize("name", ["logical_not_", "logical_and_", "logical_or_", "logical_xor_"])
def test_logical_inplace_ops_keep_the_history_of_a_non_leaf(name):
    def run(M):
        x = M.tensor([1.0, 0.5, 0.0], requires_grad=True)
        y = x * 2
        args = () if name == "logical_not_" else (M.tensor([1.0, 0.0, 1.0]),)
        getattr(y, name)(*args)
        (y * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y.detach(), type(y.grad_fn).__name__, x.grad

    both(run)


def test_logical_inplace_on_a_view_of_a_leaf_is_allowed():
    def run(M):
        x = M.tensor([1.0, 0.5, 0.0], requires_grad=True)
        v = x[1:]
        v.logical_or_(v)
        return x.detach(), v.detach(), x._version

    both(run)


def test_logical_inplace_refuses_a_number_before_the_leaf_check():
    same_error(lambda M: M.tensor([1.0, 0.5], requires_grad=True).logical_and_(-2), TypeError)


def test_sub_inplace_with_a_python_bool_raises_as_torch():
    same_error(lambda M: M.ones(2, dtype=M.int64).sub_(False))
    same_error(lambda M: M.ones(2).sub_(M.tensor([True, False])))


def test_scans_in_place_run_in_the_tensor_dtype():
    def run(M):
        x = M.tensor(True)
        x.cumsum_(0)
        y = M.tensor([1, 2, 3])
        y.cumprod_(0)
        return x, y

    both(run)
    same_error(lambda M: M.ones(2, dtype=M.int64).cumsum_(0, dtype=M.float32))


def test_views_made_in_no_grad_mode_refuse_inplace_changes_with_grad():
    def requiring_base(M):
        b = M.zeros(3, requires_grad=True)
        with M.no_grad():
            v = b[0:1]
        return v

    def not_requiring_base(M):
        with M.no_grad():
            v = M.zeros(3)[0:1]
        v.add_(M.ones(1, requires_grad=True))

    both(lambda M: (requiring_base(M).requires_grad, requiring_base(M).grad_fn is None))
    same_error(lambda M: requiring_base(M).add_(1))
    same_error(lambda M: _view_of_non_leaf(M).add_(1))
    same_error(not_requiring_base)


def _view_of_non_leaf(M):
    b = M.zeros(3, requires_grad=True) * 1
    with M.no_grad():
        return b[0:1]


def test_views_made_in_no_grad_mode_change_freely_without_grad():
    def run(M):
        with M.no_grad():
            v = M.zeros(3)[0:1]
        v.add_(1)
        b = M.zeros(3, requires_grad=True)
        with M.no_grad():
            u = b[1:]
            u.add_(M.ones(2, requires_grad=True))
        return v, b.detach()

    both(run)


@pytest.mark.parametrize("name", ["eq_", "ne_", "lt_", "le_", "gt_", "ge_"])
def test_comparisons_in_place_write_zero_or_one_and_pass_no_gradient(name):
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        getattr(y, name)(4)
        (y * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        z = M.tensor([1, 2, 3])
        getattr(z, name)(M.tensor([2, 2, 2]))
        return y.detach(), x.grad, z

    both(run)
    same_error(lambda M: getattr(M.tensor([1.0, 2.0], requires_grad=True), name)(1))


@pytest.mark.parametrize("name", ["new_zeros", "new_ones", "new_empty"])
def test_new_constructors_word_negative_sizes_and_devices_as_torch(name):
    same_error(lambda M: getattr(M.ones(2), name)(-1))
    same_error(lambda M: getattr(M.ones(2), name)(2, device="cuda"), AssertionError)
    both(lambda M: (tuple(getattr(M.ones(2), name)((2, 3)).shape),
                    str(getattr(M.ones(2), name)(2, 3).dtype).split(".")[1]))


def test_round_inplace_chooses_torch_overload_by_whether_decimals_is_given():
    def run(M):
        x = M.tensor([1, 2])
        x.round_()
        y = M.tensor([1.26, 2.5])
        y.round_(decimals=1)
        return x, y

    both(run)
    same_error(lambda M: M.tensor([1, 2]).round_(decimals=0), NotImplementedError)


@pytest.mark.parametrize("make", ["chunk", "split", "unbind"])
def test_unrecorded_multi_output_views_refuse_inplace_changes_that_record(make):
    def view(M):
        x = M.zeros(2, 3)
        return {"chunk": lambda: x.chunk(3, 1)[-1], "split": lambda: x.split(1, 1)[0],
                "unbind": lambda: x.unbind(1)[0].unsqueeze(1)}[make]()

    same_error(lambda M: view(M).add_(M.ones(2, 1, requires_grad=True)))
    both(lambda M: view(M).add_(1))


@pytest.mark.parametrize("name", ["eq_", "lt_", "ge_"])
def test_comparisons_in_place_give_both_operands_zero_gradients_and_check_shapes(name):
    def run(M):
        x = M.zeros(3, requires_grad=True)
        w = M.tensor([0.0, 1.0, -1.0], requires_grad=True)
        y = x * 1
        getattr(y, name)(w)
        y.sum().backward()
        a = M.zeros(3)
        getattr(a, name)(M.tensor([1.0, 0.0, -1.0], requires_grad=True))
        return y.detach(), y.requires_grad, x.grad, w.grad, a.detach(), a.requires_grad

    both(run)
    same_error(lambda M: getattr(M.zeros(3), name)(M.zeros(2, 3)))


def test_an_integer_tensor_compared_in_place_with_a_grad_tensor_requires_grad_as_torch():
    def run(M):
        x = M.tensor([-3, 5, 0])
        w = M.tensor([-1.84, -0.51, 0.54], requires_grad=True)
        x.eq_(w)
        return x, x.requires_grad, x.is_leaf

    both(run)


def test_masked_fill_inplace_writes_through_an_expanded_tensor_as_torch():
    def run(M):
        m = M.tensor([[True, False, False], [False, False, True]])
        x = M.tensor([[1, 2, 3]])
        y = x.expand(2, 3)
        with pytest.warns(UserWarning, match="masked_fill_ on expanded tensors is deprecated"):
            y.masked_fill_(m, 0)
        z = M.tensor([[1.0], [2.0]]).expand(2, 3)
        with pytest.warns(UserWarning):
            z.masked_fill_(m, M.tensor(7.0))
        return x, y, z, x._version

    both(run)


@pytest.mark.parametrize("name", ["atan2_", "arctan2_"])
def test_atan2_inplace_takes_only_a_tensor_before_any_leaf_check(name):
    same_error(lambda M: getattr(M.tensor([1.0, 2.0], requires_grad=True), name)(1.67), TypeError)

    def run(M):
        z = M.tensor([1.0, 2.0])
        getattr(z, name)(M.tensor([1.0, 1.0]))
        return z

    both(run)


def test_masked_fill_inplace_on_expanded_or_empty_tensors_keeps_torch_checks():
    def grows(M):
        v = M.tensor([False, False, True]).expand(2, -1)
        v.masked_fill_(M.tensor([[[False, True, False], [False, True, True]]]), M.tensor(True))

    same_error(grows)

    def empty(M):
        x = M.zeros((0, 4, 4))
        v = x.sub(x)
        v.masked_fill_(M.zeros((0, 4, 4), dtype=M.bool), M.tensor(0.67, requires_grad=True))
        return v.requires_grad, tuple(v.shape)

    both(empty)

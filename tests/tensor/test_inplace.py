"""In-place operations: values, version counters, the errors that protect autograd, views,
and the gradients of in-place changes to non-leaf tensors and to views (against torch)."""

import numpy as np
import pytest
import torch
from tests.torch_compare import both, same_error

import ember


def base(M, dtype=None):
    return M.tensor([[1.5, -2.0, 3.0], [0.5, 4.0, -6.0]], dtype=dtype or M.float32)


INPLACE = {
    "add_": lambda M, x: x.add_(M.tensor([1.0, 2.0, 3.0])),
    "add_alpha": lambda M, x: x.add_(M.ones(2, 3), alpha=-2),
    "add_scalar": lambda M, x: x.add_(2.5),
    "sub_": lambda M, x: x.sub_(M.tensor([[1.0], [2.0]])),
    "mul_": lambda M, x: x.mul_(M.tensor([2.0, -1.0, 0.5])),
    "div_": lambda M, x: x.div_(4.0),
    "div_floor": lambda M, x: x.div_(M.tensor(4.0), rounding_mode="floor"),
    "zero_": lambda M, x: x.zero_(),
    "fill_": lambda M, x: x.fill_(7.0),
    "fill_tensor": lambda M, x: x.fill_(M.tensor(-1.0)),
    "copy_": lambda M, x: x.copy_(M.tensor([9.0, 8.0, 7.0])),
    "copy_int": lambda M, x: x.copy_(M.tensor([[1], [2]])),
    "clamp_": lambda M, x: x.clamp_(-1.0, 2.0),
    "clamp_min": lambda M, x: x.clamp_(min=0.0),
    "masked_fill_": lambda M, x: x.masked_fill_(x > 1.0, -9.0),
    "iadd": lambda M, x: x.__iadd__(M.tensor([1.0, 1.0, 1.0])),
    "isub": lambda M, x: x.__isub__(1),
    "imul": lambda M, x: x.__imul__(3),
    "itruediv": lambda M, x: x.__itruediv__(M.tensor([2.0, 4.0, 8.0])),
    "setitem_int": lambda M, x: x.__setitem__(0, 5.0),
    "setitem_slice": lambda M, x: x.__setitem__((slice(None), 1), M.tensor([10.0, 20.0])),
    "setitem_mask": lambda M, x: x.__setitem__(x < 0, 0.0),
    "setitem_index": lambda M, x: x.__setitem__(M.tensor([1, 0]), M.tensor([1.0, 2.0, 3.0])),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_and_version(name):
    def run(M):
        x = base(M)
        v0 = x._version
        out = INPLACE[name](M, x)
        assert out is x or name.startswith("setitem")
        assert isinstance(x._version, int) and x._version == v0 + 1
        return x

    both(run)


def test_inplace_on_int_tensor_keeps_dtype():
    def run(M):
        x = M.tensor([1, 2, 3])
        x += 2
        x.mul_(3)
        x.clamp_(max=12)
        return x

    both(run)


def test_iadd_rebinds_to_the_same_tensor():
    x = ember.ones(3)
    y = x
    x += 1
    assert x is y and y.tolist() == [2.0, 2.0, 2.0]


def test_modifying_a_saved_output_is_detected():
    def run(M):
        x = M.ones(3, requires_grad=True)
        y = x.exp()
        y.add_(1)
        y.sum().backward()

    msg = same_error(run, upto="Hint")
    assert "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation: [ember.FloatTensor [3]], which is output 0 of Exp, is at " \
           "version 1; expected version 0 instead." in msg


def test_modifying_a_saved_input_is_detected():
    def run(M):
        x = M.ones(3)
        w = M.ones(3, requires_grad=True)
        a = x * w
        x.add_(1)
        a.sum().backward()

    same_error(run, upto="Hint")


def test_modifying_a_saved_input_through_a_view_is_detected():
    def run(M):
        x = M.ones(2, 3)
        w = M.ones(2, 3, requires_grad=True)
        a = x * w
        x[0].mul_(2)
        a.sum().backward()

    same_error(run, upto="Hint")


def test_modifying_an_unsaved_tensor_is_fine():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1  # add saves nothing
        y.mul_(3)
        (y * y).sum().backward()
        return x.grad, y

    both(run)


def test_inplace_on_leaf_requiring_grad_raises():
    same_error(lambda M: M.ones(3, requires_grad=True).add_(1))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in "
                                           "an in-place operation"):
        ember.ones(3, requires_grad=True)[0] = 2.0
    same_error(lambda M: M.ones(3, requires_grad=True).zero_())
    same_error(lambda M: M.ones(3, requires_grad=True)[1:].mul_(2), prefix_len=94)


def test_inplace_on_leaf_is_allowed_under_no_grad():
    def run(M):
        w = M.ones(3, requires_grad=True)
        with M.no_grad():
            w.add_(1)
            w.mul_(M.tensor([1.0, 2.0, 3.0]))
            w[0] = -1.0
        (w * w).sum().backward()
        return w, w.grad, w.requires_grad, w.is_leaf

    both(run)


def test_views_share_storage_and_version():
    def run(M):
        b = M.zeros(2, 3)
        x = b[0]
        t = b.t()
        r = b.reshape(6)
        v0 = x._version
        b.add_(1)
        versions = (x._version - v0, t._version - v0, r._version - v0)
        x.mul_(5)  # writes into b, seen by every view
        return versions, b, t, r, b._version

    both(run)


def test_single_element_indexing_gives_a_view():
    def run(M):
        x = M.zeros(3)
        x[1].fill_(5.0)
        y = M.zeros(2, 2)
        y[1, 1].add_(3.0)
        y[0][1].sub_(1.0)
        return x, y

    both(run)


def test_writing_into_an_expanded_view_raises():
    same_error(lambda M: M.ones(1, 3).expand(2, 3).add_(1))


def test_inplace_chain_on_non_leaf_gradients():
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = M.tensor(5.0, requires_grad=True)
        y = x * 2
        y.mul_(3)
        y[0] = w
        y.add_(x)
        y.div_(M.tensor([1.0, 2.0, 4.0]))
        (y * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y, x.grad, w.grad

    both(run)


@pytest.mark.parametrize("op", ["exp_", "sqrt_", "neg_", "relu_", "sigmoid_", "tanh_", "abs_"])
def test_unary_inplace_gradients(op):
    def run(M):
        x = M.tensor([0.5, 1.5, 2.0], requires_grad=True)
        y = x * 1
        getattr(y, op)()
        (y * M.tensor([1.0, -2.0, 3.0])).sum().backward()
        return y, x.grad

    both(run)


@pytest.mark.parametrize("op", ["fill_", "zero_", "uniform_", "normal_"])
def test_overwriting_a_non_leaf_cuts_the_gradient(op):
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        getattr(y, op)(*((2.0,) if op == "fill_" else ()))
        (y * 2).sum().backward()
        return x.grad, y.requires_grad, y.is_leaf

    both(run)


def test_copy_into_non_grad_tensor_records_the_source():
    def run(M):
        w = M.tensor([1.0, -2.0, 3.0], requires_grad=True)
        buf = M.zeros(2, 3)
        buf.copy_(w)  # broadcast
        (buf * M.tensor([[1.0], [5.0]])).sum().backward()
        return buf, w.grad, buf.requires_grad

    both(run)


def test_copy_does_not_let_old_nan_leak():
    def run(M):
        w = M.tensor([1.0, 2.0], requires_grad=True)
        buf = M.tensor([float("nan"), float("inf")])
        buf.copy_(w)
        buf.sum().backward()
        return buf, w.grad

    both(run)


def test_fill_with_tensor_value_is_differentiable():
    def run(M):
        v = M.tensor(2.0, requires_grad=True)
        y = M.zeros(3)
        y.fill_(v)
        (y * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y, v.grad

    both(run)


def test_masked_fill_and_clamp_gradients():
    def run(M):
        x = M.tensor([[-2.0, 0.5], [1.5, 3.0]], requires_grad=True)
        y = x * 1
        y.clamp_(-1.0, 2.0)
        y.masked_fill_(y > 1.0, 0.0)
        (y * M.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        return y, x.grad

    both(run)


# -- in-place changes of views: the base's history is rebased -------------------------------

def test_inplace_on_slice_view_of_non_leaf():
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        v = y[1:]
        v.mul_(2)
        (y * M.tensor([1.0, 10.0, 100.0])).sum().backward()
        return y, v, x.grad, y.requires_grad, v.requires_grad

    both(run)


def test_view_inplace_with_other_operand_requiring_grad():
    def run(M):
        x = M.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        w = M.tensor([5.0, 6.0], requires_grad=True)
        y = x * 3  # mul saves its inputs, not y, so y may change in place
        row = y[1]
        row.mul_(w)
        y.t()[0].add_(w * w)  # a view of a different layout over the same storage
        (y * M.tensor([[1.0, -1.0], [2.0, 0.5]])).sum().backward()
        return y, x.grad, w.grad

    both(run, rtol=1e-5)


def test_view_of_tensor_not_requiring_grad_gets_history():
    def run(M):
        w = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        buf = M.zeros(2, 3)
        buf[1].copy_(w * 2)
        buf[0].add_(w)
        (buf * M.tensor([[1.0], [3.0]])).sum().backward()
        return buf, w.grad, buf.requires_grad

    both(run)


def test_view_chain_and_reshape_views():
    def run(M):
        x = M.arange(12.0).reshape(3, 4).requires_grad_()
        y = x * 2
        v = y.view(2, 6)[:, 1:5].reshape(2, 2, 2)[1]
        v.mul_(M.tensor([[1.0, 2.0], [3.0, 4.0]]))
        (y * M.arange(12.0).reshape(3, 4)).sum().backward()
        return y, x.grad

    both(run)


def test_stale_view_history_follows_base_change():
    # v was made before its base changed in place: its gradient must flow through the change
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        v = y[:2]
        y.mul_(M.tensor([2.0, 3.0, 4.0]))
        (v * v).sum().backward()
        return v, x.grad

    both(run)


def test_two_views_of_one_base():
    def run(M):
        x = M.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        y = x + 1
        a, b = y[:2], y[1:]
        a.mul_(3)
        b.add_(a.sum())  # b overlaps a at y[1]
        (y * M.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return y, x.grad

    both(run, rtol=1e-5)


def test_custom_function_mark_dirty_on_a_view():
    def run(M):
        class Double(M.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.mark_dirty(t)
                return t.mul_(2)

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        Double.apply(y[1:])
        (y * M.tensor([1.0, 10.0, 100.0])).sum().backward()
        return y, x.grad

    both(run)


def test_detach_inplace_on_a_view_raises():
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        ember.ones(3, requires_grad=True)[1:].detach_()
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        torch.ones(3, requires_grad=True)[1:].detach_()


def test_detached_alias_inplace_does_not_touch_history():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        d.add_(M.tensor([10.0, 10.0], requires_grad=True))
        (y * 3).sum().backward()
        return y, x.grad, d.requires_grad

    both(run)


def test_inplace_value_snapshot_unaffected_by_numpy_aliasing():
    # The backward of an in-place op must see the values from before the op.
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.pow_(3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.0, 2.0]) ** 2)


VIEWS = {
    "row": lambda y: y[1],
    "columns": lambda y: y[:, 1:],
    "t": lambda y: y.t(),
    "t_row": lambda y: y.t()[0],
    "flat_slice": lambda y: y.reshape(-1)[2:5],
    "view": lambda y: y.view(3, 2),
    "unsqueeze_index": lambda y: y.unsqueeze(0)[0, 1],
    "transpose_slice": lambda y: y.transpose(0, 1)[1:],
    "narrow": lambda y: y.narrow(1, 0, 2),
    "step_slice": lambda y: y[:, ::2],
    "negative_index": lambda y: y[-1, -1],
}


@pytest.mark.parametrize("layout", ["c", "f"])
@pytest.mark.parametrize("name", list(VIEWS))
def test_inplace_through_each_kind_of_view(name, layout):
    def run(M):
        x = M.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], requires_grad=True)
        w = M.tensor(1.5, requires_grad=True)
        # the base is either C-ordered or the F-ordered result of an op on a transpose
        y = x * 2 if layout == "c" else (x.t() * 2).t()
        v = VIEWS[name](y)
        v.mul_(w)
        v.add_(1.0)
        out = (y * M.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum() + (v * v).sum()
        out.backward()
        return y, v, x.grad, w.grad

    both(run, rtol=1e-5)


# -- random programs of views and in-place ops, run on both libraries -----------------------

FUZZ_VIEWS = [
    lambda y: y[1], lambda y: y[:, 1:], lambda y: y.t(), lambda y: y.reshape(-1)[1:5],
    lambda y: y[0:1], lambda y: y.transpose(0, 1)[2], lambda y: y[:, ::2], lambda y: y,
]
FUZZ_OPS = [
    lambda v, w: v.mul_(w),
    lambda v, w: v.add_(w * 2),
    lambda v, w: v.sub_(1.5),
    lambda v, w: v.clamp_(-1, 1),
    lambda v, w: v.copy_(w.expand_as(v)),
    lambda v, w: v.zero_(),
    lambda v, w: v.div_(w + 3),
    lambda v, w: v.__setitem__(Ellipsis, w),
]


def _fuzz_program(M, seed):
    import random

    r = random.Random(seed)
    x = M.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], dtype=M.float64, requires_grad=True)
    w = M.tensor(0.7, dtype=M.float64, requires_grad=True)
    y = x * 2 if r.random() < 0.5 else (x.t() * 2).t()
    kept = []
    for _ in range(r.randint(1, 4)):
        v = r.choice(FUZZ_VIEWS)(y)
        r.choice(FUZZ_OPS)(v, w)
        if r.random() < 0.5:
            kept.append(v)
    out = (y * M.arange(6.0, dtype=M.float64).reshape(2, 3)).sum()
    for v in kept:
        out = out + (v * v).sum()
    out.backward()
    return y, x.grad, w.grad


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_of_views_and_inplace_ops(seed):
    both(lambda M: _fuzz_program(M, seed), rtol=1e-10)

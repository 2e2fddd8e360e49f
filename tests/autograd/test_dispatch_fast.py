"""The short dispatch paths keep what they must: an op with nothing to record (grad mode off,
or no input requiring grad) and the plain-matrix fast paths of linear, matmul and addmm.

Each test would fail if a fast path skipped a step the general path takes: requires_grad and
grad_fn of the results, version counters (shared by views, bumped by in-place changes, checked
on saved tensors), tensor hooks, op observers, dtype errors in torch's words, and values equal
to torch's and to the reference computation they replace.
"""

from typing import ClassVar

import numpy as np
import pytest
import torch
from tests.torch_compare import assert_same, both, check_op, same_error

import ember
from ember.autograd.function import ArrayFunction, observe_ops
from ember.ops.linalg import _matmul_folded

RNG = np.random.default_rng(5)


def _pair(*shape, dtype=np.float32, requires_grad=False):
    arr = RNG.standard_normal(shape).astype(dtype)
    return (torch.tensor(arr, requires_grad=requires_grad),
            ember.tensor(arr, requires_grad=requires_grad))


class _Probe(ArrayFunction):
    """Doubles its input; records the ``needs_input_grad`` its forward saw."""

    seen: ClassVar[list] = []

    @staticmethod
    def forward(ctx, x, scale):
        _Probe.seen.append(ctx.needs_input_grad)
        ctx.save_for_backward(x)
        return x * 2.0

    @staticmethod
    def backward(ctx, grad):
        return grad * 2.0, None


# -- an op with nothing to record --------------------------------------------------------------

@pytest.mark.parametrize("mode", ["no_grad", "inputs_without_grad"])
def test_unrecorded_op_result_is_a_fresh_leaf(mode):
    x = ember.ones(3, requires_grad=(mode == "no_grad"))
    if mode == "no_grad":
        with ember.no_grad():
            y = x * 3.0
    else:
        y = x * 3.0
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert y._version == 0 and y._version_counter is not x._version_counter
    y.add_(1.0)  # its own counter: the input's is untouched
    assert (y._version, x._version) == (1, 0)
    np.testing.assert_array_equal(y.numpy(), np.full(3, 4.0, np.float32))


def test_forward_sees_needs_input_grad_in_every_mode():
    x = ember.ones(2, requires_grad=True)
    _Probe.seen.clear()
    with ember.no_grad():
        _Probe.apply(x, 1.0)
    _Probe.apply(x.detach(), 1.0)
    y = _Probe.apply(x, 1.0)
    assert _Probe.seen == [(False, False), (False, False), (True, False)]
    assert y.grad_fn is not None and y.grad_fn.name() == "_ProbeBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(2, 2.0, np.float32))


def test_grad_mode_off_then_on_records_again():
    def run(M):
        w = M.ones(2, 2, requires_grad=True)
        with M.no_grad():
            a = w * 2
        b = w * 2
        return a.requires_grad, a.grad_fn is None, b.requires_grad, type(b.grad_fn).__name__

    assert both(run) == (False, True, True, "MulBackward0")


def test_view_made_without_grad_shares_the_version_counter():
    def run(M):
        x = M.ones(2, 3, requires_grad=True)
        with M.no_grad():
            v = x.view(6)
            v[0] = 5.0  # an in-place change through the view bumps the base's counter
            return v.requires_grad, v._version, x._version, x.detach()

    both(run)


def test_view_made_without_grad_is_refused_in_place_with_grad():
    def run(M):
        x = M.ones(2, 3, requires_grad=True)
        with M.no_grad():
            v = x.view(6)
        v.mul_(2)

    same_error(run, upto="view")


def test_saved_tensor_changed_after_an_unrecorded_op_still_checked():
    # a first call without grad must not leave anything that disarms the next recorded call
    def run(M):
        x = M.ones(3, requires_grad=True)
        with M.no_grad():
            x.exp()
        y = x.exp()
        with M.no_grad():
            y.add_(1)
        y.sum().backward()

    same_error(run, upto="Hint")


def test_full_reduction_without_grad_gives_a_0d_tensor():
    def run(M):
        with M.no_grad():
            s = M.arange(6.0).reshape(2, 3).sum()
        return s, s.dim(), s.requires_grad

    both(run)


def test_multi_output_op_without_and_with_grad():
    def run(M):
        x = M.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
        with M.no_grad():
            v0, i0 = x.max(dim=1)
        v1, i1 = x.max(dim=1)
        v1.sum().backward()
        return (v0, i0, v0.requires_grad, i0.requires_grad, v1.requires_grad,
                i1.requires_grad, x.grad)

    both(run)


def test_observers_see_unrecorded_ops():
    seen = []
    x = ember.ones(2, 2)
    with ember.no_grad(), observe_ops(lambda cls, a, k, out: seen.append(
            (cls.__name__, tuple(out.shape)))):
        (x * 2).view(4)
        ember.nn.functional.linear(x, x)
    assert seen == [("Mul", (2, 2)), ("Reshape", (4,)), ("Linear", (2, 2))]


def test_requires_grad_from_any_input_under_the_fast_paths():
    def run(M):
        x = M.ones(3, 4)  # no grad
        w = M.full((5, 4), 0.5, requires_grad=True)
        b = M.zeros(5)  # no grad
        y = M.nn.functional.linear(x, w, b)
        m = x @ w.t()
        a = M.addmm(b, x, w.t())
        (y.sum() + m.sum() + a.sum()).backward()
        return (y.requires_grad, m.requires_grad, a.requires_grad, type(a.grad_fn).__name__,
                w.grad, x.grad is None, b.grad is None)

    both(run)


# -- linear, matmul and addmm on plain matrices ------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 6), (0, 6), (3, 0, 6)])
def test_linear_matches_torch(shape):
    check_op([shape, (5, 6), (5,)], torch.nn.functional.linear,
             lambda x, w, b: ember.nn.functional.linear(x, w, b))
    check_op([shape, (5, 6)], torch.nn.functional.linear,
             lambda x, w: ember.nn.functional.linear(x, w), noncontig=True)


def test_linear_folded_product_equals_the_batched_one():
    # folding the leading dims into rows changes BLAS's blocking, not the maths: each element is
    # still one dot product of K float32 terms, so they agree to a few ulps times K
    k = 96
    x = RNG.standard_normal((3, 7, k)).astype(np.float32)
    w = RNG.standard_normal((11, k)).astype(np.float32)
    folded = _matmul_folded(x, w.T)
    batched = np.matmul(x, w.T)
    bound = 4 * k * np.finfo(np.float32).eps * np.matmul(np.abs(x), np.abs(w.T))
    assert folded.shape == batched.shape
    assert np.all(np.abs(folded - batched) <= bound)
    exact = np.matmul(x.astype(np.float64), w.T.astype(np.float64))
    assert np.all(np.abs(folded - exact) <= bound)


@pytest.mark.parametrize("shapes", [((4, 3), (3, 5)), ((1, 7), (7, 1)), ((0, 3), (3, 2)),
                                    ((4, 0), (0, 2))])
def test_matmul_of_matrices_matches_torch(shapes):
    check_op(list(shapes), torch.matmul, ember.matmul)
    check_op(list(shapes), torch.mm, ember.mm, noncontig=True)


@pytest.mark.parametrize("bias", [(5,), (1, 5), (4, 1), (4, 5), ()])
def test_addmm_matches_torch(bias):
    check_op([bias, (4, 3), (3, 5)], torch.addmm, ember.addmm)


def test_addmm_fast_path_equals_the_general_path_bit_for_bit():
    _, e_in = _pair(4, 5)
    _, m1 = _pair(4, 3)
    _, m2 = _pair(3, 5)
    fast = ember.addmm(e_in, m1, m2)
    general = e_in + ember.mm(m1, m2)  # what beta * input + alpha * product is for 1 and 1
    np.testing.assert_array_equal(fast.numpy(), general.numpy())
    scaled = ember.addmm(e_in, m1, m2, beta=1.0, alpha=2.0)  # the general path
    np.testing.assert_array_equal(scaled.numpy(), (e_in + ember.mm(m1, m2) * 2.0).numpy())


def test_addmm_fast_path_has_torch_node():
    def run(M):
        x = M.ones(2, 3, requires_grad=True)
        w = M.ones(3, 3, requires_grad=True)
        return type(M.addmm(M.ones(3), x, w).grad_fn).__name__

    assert both(run) == "AddmmBackward0"


@pytest.mark.parametrize("op", ["linear", "matmul", "addmm"])
def test_saved_factor_changed_in_place_is_reported(op):
    def run(M):
        x = M.ones(2, 3, requires_grad=True)
        w = M.ones(4, 3, requires_grad=True)
        if op == "linear":
            y = M.nn.functional.linear(x, w)
        elif op == "matmul":
            y = x @ w.t()
        else:
            y = M.addmm(M.zeros(4), x, w.t())
        with M.no_grad():
            x.mul_(2)  # saved for w's gradient
        y.sum().backward()

    same_error(run, upto="is at version")


def test_factor_not_saved_may_change_in_place():
    def run(M):
        x = M.ones(2, 3)  # no grad: w's factor x is saved, w is not
        w = M.ones(3, 4, requires_grad=True)
        c = M.zeros(4, requires_grad=True)
        y = M.addmm(c, x, w)
        with M.no_grad():
            w.add_(1)
        y.sum().backward()
        return w.grad, c.grad

    both(run)


def test_tensor_hooks_fire_through_the_fast_paths():
    calls = {}
    x = ember.ones(2, 3, requires_grad=True)
    w = ember.ones(4, 3, requires_grad=True)
    b = ember.zeros(4, requires_grad=True)
    for name, t in (("x", x), ("w", w), ("b", b)):
        t.register_hook(lambda g, name=name: calls.setdefault(name, g.shape) and None)
    y = ember.nn.functional.linear(x, w, b) + ember.addmm(b, x, w.t()) + x @ w.t()
    y.sum().backward()
    assert calls == {"x": (2, 3), "w": (4, 3), "b": (4,)}


def test_module_linear_reads_reassigned_and_removed_parameters():
    def run(M):
        m = M.nn.Linear(3, 2)
        with M.no_grad():
            m.weight.fill_(1.0)
            m.bias.fill_(0.5)
        x = M.ones(1, 3)
        first = m(x)
        m.weight = M.nn.Parameter(M.full((2, 3), 2.0))
        m.bias = None
        return first, m(x)

    both(run)


@pytest.mark.parametrize("case", ["linear", "linear_bias", "matmul", "mm", "addmm_self",
                                  "addmm_mat1"])
def test_dtype_errors_in_torch_words(case):
    def run(M):
        f32, f64 = M.ones(2, 3), M.ones(3, 3, dtype=M.float64)
        if case == "linear":
            return M.nn.functional.linear(f32, M.ones(3, 3, dtype=M.float64))
        if case == "linear_bias":
            return M.nn.functional.linear(f32, M.ones(4, 3), M.ones(4, dtype=M.float64))
        if case == "matmul":
            return f32 @ f64
        if case == "mm":
            return M.mm(f32, f64)
        if case == "addmm_self":
            return M.addmm(M.ones(3, dtype=M.float64), f32, M.ones(3, 3))
        return M.addmm(M.ones(3), f32, f64)

    same_error(run)


@pytest.mark.parametrize("case", ["linear", "matmul", "addmm"])
def test_shape_errors_in_torch_words(case):
    def run(M):
        x = M.ones(2, 3)
        if case == "linear":
            return M.nn.functional.linear(x, M.ones(4, 5))
        if case == "matmul":
            return x @ M.ones(4, 5)
        return M.addmm(M.ones(3, 3), x, M.ones(4, 5))

    same_error(run)


def test_integer_matrices_leave_the_fast_paths_with_torch_results():
    def run(M):
        a = M.arange(6).reshape(2, 3)
        b = M.arange(12).reshape(3, 4)
        return a @ b, M.addmm(M.ones(4, dtype=M.int64), a, b, beta=2)

    both(run)


def test_no_grad_linear_layer_equals_torch():
    torch.manual_seed(0)
    tm = torch.nn.Linear(8, 5)
    em = ember.nn.Linear(8, 5)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    tx, ex = _pair(2, 3, 8)
    with torch.no_grad(), ember.no_grad():
        t_out, e_out = tm(tx), em(ex)
    assert not e_out.requires_grad
    assert_same(e_out, t_out, rtol=1e-6, atol=1e-6)


# -- operands: Python scalars promote as in torch ---------------------------------------------

@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "float32",
                                   "float64"])
@pytest.mark.parametrize("scalar", [True, 3, 2.5, 0])
def test_scalar_promotion_matches_torch(dtype, scalar):
    def run(M):
        x = M.tensor([1, 0, 1]).to(getattr(M, dtype))
        out = (x * scalar, scalar + x)
        return out, tuple(str(o.dtype).split(".")[1] for o in out)

    both(run)


def test_scalar_promotion_with_bfloat16():
    def run(M):
        x = M.ones(2, dtype=M.bfloat16)
        return (x * 2.5).dtype == M.bfloat16, (x + 1).dtype == M.bfloat16

    assert both(run) == (True, True)


@pytest.mark.parametrize("scalar", [np.float64(1.5), np.float32(2.5), np.int64(3)])
@pytest.mark.parametrize("dtype", ["int32", "float16", "bool"])
def test_numpy_scalars_promote_as_python_scalars(dtype, scalar):
    def run(M):
        x = M.tensor([1, 0, 1]).to(getattr(M, dtype))
        out = (x * scalar, scalar + x)
        return out, tuple(str(o.dtype).split(".")[1] for o in out)

    both(run)

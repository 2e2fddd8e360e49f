"""Repros of the seventh fuzzing round in nn.functional (tests/fuzz/FINDINGS.md 67, 68, 80-83),
each written once against either library (``M`` is ``torch`` or ``ember``) and compared with
torch.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.torch_compare import both, same_error, same_outcome_strict

import ember

INF, NAN = float("inf"), float("nan")
COTANGENT = [[0.3, -1.2, 0.7], [1.1, 0.5, -2.0]]


def _grads(*tensors):
    return [t.grad for t in tensors]


# -- 80: in-place activations save what torch saves ---------------------------------------------

# torch's leaky_relu_, elu_ (selu_, celu_) and relu_ save their result; hardtanh_ (relu6),
# threshold_ and the in-place silu, mish, hardsigmoid and hardswish save a copy of the input
INPLACE = {
    "relu": lambda F, v: F.relu(v, inplace=True),
    "relu_": lambda F, v: F.relu_(v),
    "leaky_relu": lambda F, v: F.leaky_relu(v, 0.1, inplace=True),
    "leaky_relu_": lambda F, v: F.leaky_relu_(v, 0.3),
    "leaky_relu_zero_slope": lambda F, v: F.leaky_relu_(v, 0.0),
    "elu": lambda F, v: F.elu(v, 0.7, inplace=True),
    "elu_": lambda F, v: F.elu_(v),
    "elu_zero_alpha": lambda F, v: F.elu_(v, 0.0),
    "selu": lambda F, v: F.selu(v, inplace=True),
    "selu_": lambda F, v: F.selu_(v),
    "celu": lambda F, v: F.celu(v, 2.0, inplace=True),
    "celu_": lambda F, v: F.celu_(v, 0.5),
    "hardtanh_": lambda F, v: F.hardtanh_(v, -0.2, 0.3),
    "relu6": lambda F, v: F.relu6(v, inplace=True),
    "threshold_": lambda F, v: F.threshold_(v, 0.1, 2.0),
    "silu": lambda F, v: F.silu(v, inplace=True),
    "mish": lambda F, v: F.mish(v, inplace=True),
    "hardsigmoid": lambda F, v: F.hardsigmoid(v, inplace=True),
    "hardswish": lambda F, v: F.hardswish(v, inplace=True),
}


def _edit_result(v, view):
    v.mul_(-2)


def _edit_view_of_result(v, view):
    v[1].masked_fill_(v[1] > 0.5, 3.0)


def _edit_the_activated_view(v, view):
    view.add_(1)


def _no_edit(v, view):
    pass


EDITS = [_no_edit, _edit_result, _edit_view_of_result, _edit_the_activated_view]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("on_view", [False, True], ids=["whole", "row_view"])
@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_activation_then_edit(name, on_view, edit, dtype):
    # Ember raises "modified by an inplace operation" exactly when torch does, and gives the
    # same gradients otherwise (seeds 1001478, 1002250, 1000799, 1004638, 1004719, 1006756)
    def fn(M):
        x = M.tensor([[-1.5, -0.2, 0.3], [2.0, -0.0, 0.8]], dtype=getattr(M, dtype),
                     requires_grad=True)
        v = x * 1
        view = v[1] if on_view else v
        out = INPLACE[name](M.nn.functional, view)
        assert out is view
        edit(v, view)
        v.backward(M.tensor(COTANGENT, dtype=getattr(M, dtype)))
        return [v, x.grad]
    same_outcome_strict(fn, words=("modified by an inplace operation",), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("call, kind", [
    (lambda F, v: F.leaky_relu_(v, -0.2), "leakyReLu"),
    (lambda F, v: F.leaky_relu(v, -1.0, inplace=True), "leakyReLu"),
    (lambda F, v: F.elu_(v, -0.5), "elu"),
    (lambda F, v: F.celu_(v, -1.0), "elu"),
])
def test_inplace_activation_with_a_negative_slope_is_refused_at_backward(call, kind):
    def fn(M):
        x = M.tensor([-1.0, 2.0], requires_grad=True)
        y = call(M.nn.functional, x * 1)  # the forward is allowed
        y.sum().backward()
    message = same_error(fn, prefix_len=150)
    assert message.startswith(f"In-place {kind} backward calculation")


def test_inplace_activation_with_a_negative_slope_runs_without_grad():
    def fn(M):
        F = M.nn.functional
        x = M.tensor([-1.0, 2.0, -0.5])
        return [F.leaky_relu_(x.clone(), -0.2), F.elu_(x.clone(), -0.5)]
    same_outcome_strict(fn, rtol=1e-6, atol=0)


def test_an_edited_result_is_refused_before_a_negative_slope():
    def fn(M):
        v = M.tensor([-1.0, 2.0], requires_grad=True) * 1
        M.nn.functional.elu_(v, -0.5)
        v.add_(1)
        v.sum().backward()
    same_outcome_strict(fn, words=("modified by an inplace operation",))


# -- 68: ELU family's gradient at NaN is NaN, as torch's vectorized loop --------------------

ELU_FAMILY = {
    "elu": lambda F, v: F.elu(v, 1.3),
    "selu": lambda F, v: F.selu(v),
    "celu": lambda F, v: F.celu(v, 0.8),
    "elu_": lambda F, v: F.elu_(v, 0.6),
    "selu_inplace": lambda F, v: F.selu(v, inplace=True),
    "celu_": lambda F, v: F.celu_(v, 1.7),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(ELU_FAMILY))
def test_elu_family_gradient_at_nan(name, dtype):
    # 64 elements: every one goes through torch's vectorized loop (chunks of 8 or 16), which
    # gives NaN; torch's scalar loop (short tensors) would give the linear branch's slope
    data = np.linspace(-3, 3, 64)
    data[[0, 17, 40, 63]] = NAN
    data[[5, 6]] = [0.0, -0.0]
    cot = np.cos(np.arange(64.0))

    def fn(M):
        x = M.tensor(data, dtype=getattr(M, dtype), requires_grad=True)
        y = ELU_FAMILY[name](M.nn.functional, x * 1)
        y.backward(M.tensor(cot, dtype=getattr(M, dtype)))
        return [y, x.grad]
    # celu: torch scales by 1 / alpha rounded to float32 (finding 70), ~4e-8 relative
    same_outcome_strict(fn, rtol=1e-6, atol=1e-7)
    x = ember.tensor(data, requires_grad=True)
    ELU_FAMILY[name](ember.nn.functional, x * 1).backward(ember.tensor(cot))
    assert np.isnan(x.grad.numpy()[[0, 17, 40, 63]]).all()


# -- 82: softmin negates before casting ------------------------------------------------------

@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_softmin_of_a_bool_tensor_is_refused(dtype):
    def fn(M):
        return M.nn.functional.softmin(M.tensor([[True, False, True]]), dim=1,
                                       dtype=None if dtype is None else getattr(M, dtype))
    same_error(fn)


def test_softmin_of_an_int_tensor_with_a_dtype():
    def fn(M):
        x = M.tensor([[3, -1, 0], [2, 2, 5]])
        return M.nn.functional.softmin(x, dim=1, dtype=M.float64)
    same_outcome_strict(fn, rtol=1e-12, atol=0)


def test_softmin_with_a_dtype_differentiates():
    def fn(M):
        x = M.tensor([[0.3, -1.2, 0.7], [1.1, 0.5, -2.0]], requires_grad=True)
        y = M.nn.functional.softmin(x, dim=0, dtype=M.float64)
        y.backward(M.tensor(COTANGENT, dtype=M.float64))
        return [y, x.grad]
    same_outcome_strict(fn, rtol=1e-6, atol=1e-7)


# -- 67, 81: layer_norm saves its bias, rms_norm its input ------------------------------------

def _norm_program(name, with_weight, edited):
    def fn(M):
        F = M.nn.functional
        x = M.tensor([[-0.16, -0.59, 1.2], [0.3, 0.4, -2.0]], dtype=M.float64,
                     requires_grad=True)
        w = M.tensor([-2.43, 2.21, 0.5], dtype=M.float64, requires_grad=True)
        b = M.tensor([-1.91, 2.39, 0.1], dtype=M.float64, requires_grad=True)
        xv, wv, bv = x * 1, w * 1, b * 1
        if name == "layer_norm":
            y = F.layer_norm(xv, (3,), wv if with_weight else None, bv)
        else:
            y = F.rms_norm(xv, (3,), wv if with_weight else None)
        {"input": xv, "weight": wv, "bias": bv, "output": y, "none": M.zeros(1)}[edited].add_(1)
        y.backward(M.tensor(COTANGENT, dtype=M.float64))
        return [y, *_grads(x, w, b)]
    return fn


@pytest.mark.parametrize("edited", ["input", "weight", "bias", "output", "none"])
@pytest.mark.parametrize("with_weight", [True, False], ids=["weight", "no_weight"])
@pytest.mark.parametrize("name", ["layer_norm", "rms_norm"])
def test_norm_then_inplace_edit(name, with_weight, edited):
    # seeds 902398, 1000103 (layer_norm's bias); 1005134, 1005380, 1006045 (rms_norm)
    same_outcome_strict(_norm_program(name, with_weight, edited),
                        words=("modified by an inplace operation",), rtol=1e-10, atol=1e-12)


# -- 83: binary_cross_entropy's target gradient is not clamped --------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_target_gradient_at_zero_and_one(reduction, weighted):
    # seed 1001197: torch's target gradient is -logit(input): -inf at 1, inf at 0 (the loss's
    # logs are clamped at -100, the gradient's are not)
    def fn(M):
        x = M.tensor([1.0, 0.0, 0.3, 1 - 1e-6], dtype=M.float64, requires_grad=True)
        t = M.tensor([0.2, 0.7, 0.4, 0.5], dtype=M.float64, requires_grad=True)
        w = M.tensor([2.0, 0.5, 1.5, 1.0], dtype=M.float64) if weighted else None
        loss = M.nn.functional.binary_cross_entropy(x, t, w, reduction=reduction)
        loss.backward(M.ones_like(loss))
        return [loss, t.grad]
    same_outcome_strict(fn, rtol=1e-9, atol=0)


def test_bce_target_gradient_values():
    x = ember.tensor([1.0, 0.0, 0.25], dtype=ember.float64)
    t = ember.tensor([0.5, 0.5, 0.5], dtype=ember.float64, requires_grad=True)
    ember.nn.functional.binary_cross_entropy(x, t, reduction="sum").backward()
    # -log(x / (1 - x)), written out: log(3) at 0.25
    np.testing.assert_allclose(t.grad.numpy(), [-INF, INF, np.log(3.0)], rtol=1e-15, atol=0)


def test_soft_margin_loss_refuses_a_target_that_grows_the_input_and_matches_torch_at_inf():
    for reduction in ("none", "mean", "sum"):
        same_error(lambda M, r=reduction: M.nn.functional.soft_margin_loss(
            M.tensor([0.12, -1.8]), M.tensor([[0.52], [1.78]]), reduction=r))

    def grads(M):
        x = M.tensor([float("-inf"), -1.0, 0.5, float("inf")], requires_grad=True)
        t = M.tensor([1.0, -1.0, 1.0, -1.0])
        M.nn.functional.soft_margin_loss(x, t, reduction="sum").backward()
        return x.grad

    both(grads)

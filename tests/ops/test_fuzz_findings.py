"""Minimal repros of the differential fuzzer's findings (/work/briefs/fuzz_findings.md), each
run on torch (the oracle) and Ember with the same code.

A repro is a function of ``M`` (the module: ``torch`` or ``ember``) that returns what to
compare; :func:`same` runs it on both and compares values, dtypes and shapes, or the kind and
words of the error when torch raises.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from .helpers import check_op


def _outcome(fn, M):
    try:
        return fn(M), None
    except Exception as exc:  # noqa: BLE001  (the oracle decides what is expected)
        return None, exc


def _as_list(out) -> list:
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _as_list(item)]
    return [out]


def same(fn, *, words=(), rtol=1e-6, atol=1e-8) -> None:
    """Runs ``fn(torch)`` and ``fn(ember)``: equal results (NaN matching NaN), or the same
    kind of error with each of ``words`` in both messages."""
    t_out, t_exc = _outcome(fn, torch)
    e_out, e_exc = _outcome(fn, ember)
    if t_exc is not None:
        assert e_exc is not None, f"torch raises {type(t_exc).__name__}({t_exc}), Ember not"
        t_type = next(c for c in type(t_exc).__mro__ if c.__module__ == "builtins")
        assert isinstance(e_exc, t_type), (
            f"Ember raised {type(e_exc).__name__}({e_exc}), torch {t_type.__name__}({t_exc})")
        for w in words:
            assert w in str(t_exc), f"{w!r} not in torch's message: {t_exc}"
            assert w in str(e_exc), f"{w!r} not in Ember's message: {e_exc}"
        return
    if e_exc is not None:
        raise AssertionError(f"Ember raised {type(e_exc).__name__}: {e_exc}") from e_exc
    t_list, e_list = _as_list(t_out), _as_list(e_out)
    assert len(t_list) == len(e_list)
    for k, (t, e) in enumerate(zip(t_list, e_list, strict=True)):
        if isinstance(t, torch.Tensor):
            assert isinstance(e, ember.Tensor), f"result {k}: {type(e)}"
            tn, en = t.detach().numpy(), e.detach().numpy()
            assert en.dtype == tn.dtype, f"result {k}: dtype {en.dtype}, torch {tn.dtype}"
            assert en.shape == tn.shape, f"result {k}: shape {en.shape}, torch {tn.shape}"
            np.testing.assert_allclose(en, tn, rtol=rtol, atol=atol, err_msg=f"result {k}")
        else:
            assert e == t or (e != e and t != t), f"result {k}: {e!r}, torch {t!r}"


# -- finding 3: nodes save their inputs as torch's do ---------------------------------------

def _edit_input_then_backward(loss, target_grad=True):
    def fn(M):
        x = M.tensor([[.5, .6, .7], [.3, .4, .8]], dtype=M.float64, requires_grad=True) * 1
        w = M.tensor([[.2, .9, .4], [.6, .5, .3]], dtype=M.float64,
                     requires_grad=target_grad) * 1
        y = loss(M, x, w)
        x.add_(1)
        y.backward()
        return y
    return fn


@pytest.mark.parametrize("loss", [
    lambda M, x, w: M.nn.functional.mse_loss(x, w),
    lambda M, x, w: M.nn.functional.smooth_l1_loss(x, w),
    lambda M, x, w: M.nn.functional.huber_loss(x, w),
    lambda M, x, w: M.nn.functional.l1_loss(x, w),  # torch: a composition, nothing saved
    lambda M, x, w: x.gather(1, M.tensor([[0, 2], [1, 1]])).sum(),
    lambda M, x, w: M.sort(x, 1)[0].sum(),  # sort and topk save only their indices
    lambda M, x, w: M.topk(x, 2)[0].sum(),
    lambda M, x, w: M.nn.functional.nll_loss(x, M.tensor([0, 2])),
], ids=["mse", "smooth_l1", "huber", "l1", "gather", "sort", "topk", "nll"])
def test_saved_inputs_catch_inplace_edits(loss):
    same(_edit_input_then_backward(loss), words=("modified by an inplace operation",))


def test_soft_margin_loss_saves_input_and_refuses_a_target_requiring_grad():
    same(_edit_input_then_backward(
        lambda M, x, w: M.nn.functional.soft_margin_loss(x, w.sign()), target_grad=False),
        words=("modified by an inplace operation",))
    same(lambda M: M.nn.functional.soft_margin_loss(
        M.tensor([.5, -3.]), M.tensor([1., -1.], requires_grad=True)),
        words=("not differentiable with respect to argument 'target'",))
    same(lambda M: M.nn.functional.soft_margin_loss(M.tensor([1, 2]), M.tensor([1, -1])),
         words=("result type Float can't be cast",))
    check_op([(3, 4), np.sign(np.random.default_rng(0).standard_normal(4))],
             lambda x, t: torch.nn.functional.soft_margin_loss(x * 20, t.detach()),
             lambda x, t: ember.nn.functional.soft_margin_loss(x * 20, t.detach()))


# -- finding 5 and 12: median ---------------------------------------------------------------

def test_median_of_all_is_a_new_tensor_with_shared_tie_gradient():
    def fn(M):
        x = M.tensor([[1., 2.], [2., 4.]], requires_grad=True)
        m = M.median(x)
        m.backward()
        return m._base is None, m, x.grad
    same(fn)

    def leaf(M):
        x = M.tensor(0.44, requires_grad=True)
        return M.median(x).tanh_()
    same(leaf)
    same(lambda M: M.median(M.tensor([2., float("nan"), 1.])))
    same(lambda M: M.median(M.zeros(0)))
    same(lambda M: M.median(M.tensor([True])), words=("not implemented for 'Bool'",))

    def edit(M):
        y = M.tensor([2., 2., 1.], requires_grad=True) * 1
        m = M.median(y)
        y.add_(1)
        m.backward()
    same(edit, words=("modified by an inplace operation",))


def test_median_along_a_dim():
    same(lambda M: tuple(M.median(M.tensor(2.5), 0, keepdim=True)))
    same(lambda M: tuple(M.median(M.zeros(0, 3), 1)))
    same(lambda M: M.median(M.zeros(3, 0), 1), words=("to have non-zero size",))
    check_op([(3, 5)], lambda x: torch.median(x, 1)[0], lambda x: ember.median(x, 1)[0])
    check_op([(4, 3)], lambda x: torch.median(x, 0, True)[0],
             lambda x: ember.median(x, 0, True)[0])

    def edit(M):  # median(dim) saves only its indices: editing the input is allowed
        x = M.tensor([[2., 4, 1.], [3, 1, 2]], requires_grad=True)
        y = x * 1
        m = M.median(y, 0)
        y.add_(1)
        m.values.sum().backward()
        return x.grad
    same(edit)


# -- finding 7: masked_fill with a mask that broadcasts the input ----------------------------

def test_masked_fill_gradient_is_unbroadcast():
    def fn(M):
        x = M.tensor([2.5], requires_grad=True)
        M.masked_fill(x, M.tensor([True, True]), 1.).sum().backward()
        return x.grad
    same(fn)
    mask = np.array([[True], [False], [True]])
    check_op([(1, 4), mask], lambda x, m: x.masked_fill(m, 0.5))


# -- finding 8: floor_divide has no derivative in torch ---------------------------------------

@pytest.mark.parametrize("op", [
    lambda M, x: M.floor_divide(x, 2),
    lambda M, x: x // 2,
    lambda M, x: 3 // x,
])
def test_floor_divide_backward_raises(op):
    def fn(M):
        x = M.tensor([1., 2.], requires_grad=True)
        y = op(M, x)
        y.sum().backward()
    same(fn, words=("derivative for aten::floor_divide is not implemented",))


def test_floor_divide_values_and_div_floor_gradient():
    same(lambda M: (M.tensor([5, -7]) // M.tensor([2, 2]), M.tensor([5., -7.]) // 2.5))

    def div_floor(M):  # div(rounding_mode='floor') stays differentiable (zero gradient)
        x = M.tensor([1., 2.], requires_grad=True)
        M.div(x, 2, rounding_mode="floor").sum().backward()
        return x.grad
    same(div_floor)


# -- finding 14: integer pow with negative exponents -----------------------------------------

def test_integer_pow_negative_exponents():
    same(lambda M: M.tensor([1, 2, 0, -3, -1, -1]) ** M.tensor([-1, 2, -2, -3, -3, -2]))
    same(lambda M: 2 ** M.tensor([-1, 2]))
    same(lambda M: M.tensor([[1], [-1]], dtype=M.int32) ** M.tensor([-1, -2, 3], dtype=M.int32))
    same(lambda M: M.tensor([1, 2]) ** M.tensor([-1, -2, 3]), words=("must match",))
    same(lambda M: M.tensor([1, 2]) ** -1, words=("negative integer powers",))

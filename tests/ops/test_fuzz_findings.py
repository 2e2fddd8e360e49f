"""Minimal repros of the differential fuzzer's findings (/work/briefs/fuzz_findings.md), each
run on torch (the oracle) and Ember with the same code.

A repro is a function of ``M`` (the module: ``torch`` or ``ember``) that returns what to
compare; ``same_outcome`` (from ``tests.torch_compare``) runs it on both and compares values,
dtypes and shapes, or the kind and words of the error when torch raises.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.torch_compare import check_op, same_outcome

import ember

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
    same_outcome(_edit_input_then_backward(loss), words=("modified by an inplace operation",))


def test_soft_margin_loss_saves_input_and_refuses_a_target_requiring_grad():
    same_outcome(_edit_input_then_backward(
        lambda M, x, w: M.nn.functional.soft_margin_loss(x, w.sign()), target_grad=False),
        words=("modified by an inplace operation",))
    same_outcome(lambda M: M.nn.functional.soft_margin_loss(
        M.tensor([.5, -3.]), M.tensor([1., -1.], requires_grad=True)),
        words=("not differentiable with respect to argument 'target'",))
    same_outcome(lambda M: M.nn.functional.soft_margin_loss(M.tensor([1, 2]), M.tensor([1, -1])),
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
    same_outcome(fn)

    def leaf(M):
        x = M.tensor(0.44, requires_grad=True)
        return M.median(x).tanh_()
    same_outcome(leaf)
    same_outcome(lambda M: M.median(M.tensor([2., float("nan"), 1.])))
    same_outcome(lambda M: M.median(M.zeros(0)))
    same_outcome(lambda M: M.median(M.tensor([True])), words=("not implemented for 'Bool'",))

    def edit(M):
        y = M.tensor([2., 2., 1.], requires_grad=True) * 1
        m = M.median(y)
        y.add_(1)
        m.backward()
    same_outcome(edit, words=("modified by an inplace operation",))


def test_median_along_a_dim():
    same_outcome(lambda M: tuple(M.median(M.tensor(2.5), 0, keepdim=True)))
    same_outcome(lambda M: tuple(M.median(M.zeros(0, 3), 1)))
    same_outcome(lambda M: M.median(M.zeros(3, 0), 1), words=("to have non-zero size",))
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
    same_outcome(edit)


# -- finding 7: masked_fill with a mask that broadcasts the input ----------------------------

def test_masked_fill_gradient_is_unbroadcast():
    def fn(M):
        x = M.tensor([2.5], requires_grad=True)
        M.masked_fill(x, M.tensor([True, True]), 1.).sum().backward()
        return x.grad
    same_outcome(fn)
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
    same_outcome(fn, words=("derivative for aten::floor_divide is not implemented",))


def test_floor_divide_values_and_div_floor_gradient():
    same_outcome(lambda M: (M.tensor([5, -7]) // M.tensor([2, 2]), M.tensor([5., -7.]) // 2.5))

    def div_floor(M):  # div(rounding_mode='floor') stays differentiable (zero gradient)
        x = M.tensor([1., 2.], requires_grad=True)
        M.div(x, 2, rounding_mode="floor").sum().backward()
        return x.grad
    same_outcome(div_floor)


# -- finding 14: integer pow with negative exponents -----------------------------------------

def test_integer_pow_negative_exponents():
    same_outcome(lambda M: M.tensor([1, 2, 0, -3, -1, -1]) ** M.tensor([-1, 2, -2, -3, -3, -2]))
    same_outcome(lambda M: 2 ** M.tensor([-1, 2]))
    same_outcome(lambda M: M.tensor([[1], [-1]], dtype=M.int32)
                 ** M.tensor([-1, -2, 3], dtype=M.int32))
    same_outcome(lambda M: M.tensor([1, 2]) ** M.tensor([-1, -2, 3]), words=("must match",))
    same_outcome(lambda M: M.tensor([1, 2]) ** -1, words=("negative integer powers",))


# -- finding 12: 0-d inputs -----------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda M: tuple(M.topk(M.tensor(1.5), 1, 0)),
    lambda M: tuple(M.sort(M.tensor(1.5), -1)),
    lambda M: M.tensor(1.5).flip(0),
    lambda M: M.argmax(M.tensor(1.5), 0, keepdim=True),
    lambda M: M.argmin(M.tensor(1.5), -1, keepdim=True),
    lambda M: M.vstack([M.tensor(1.), M.tensor(2.)]),
    lambda M: M.hstack([M.tensor(1.), M.tensor(2.)]),
    lambda M: M.hstack([M.tensor(1.), M.ones(2)]),
    lambda M: M.tensor(1.5).movedim(0, -1),
    lambda M: M.tensor(1.5).movedim(1, 0),
], ids=["topk", "sort", "flip", "argmax", "argmin", "vstack", "hstack", "hstack_mixed",
        "movedim", "movedim_bad"])
def test_zero_dim_inputs(fn):
    same_outcome(fn)


# -- findings 15, 16, 18: result dtypes -----------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda M: M.logsumexp(M.tensor([1, 2]), 0),
    lambda M: M.logsumexp(M.tensor([[True, False]]), 1),
    lambda M: M.square(M.tensor([True, False])),
    lambda M: M.tensor([[True, True], [True, True]]).triu(),
    lambda M: M.tensor([[True, True], [True, True]]).tril(-1),
    lambda M: M.all(M.tensor([[1, 0], [1, 1]]), dim=()),
    lambda M: M.any(M.tensor([[1., 0.], [0., 0.]]), dim=()),
    lambda M: (M.all(M.tensor([1, 0], dtype=M.uint8)), M.any(M.tensor([[1, 0]], dtype=M.uint8), 1)),
    lambda M: M.addcmul(M.ones(2, dtype=M.int32), M.tensor([True, False]),
                        M.tensor([True, True]), value=-2),
    lambda M: M.addcmul(M.tensor([True, False]), M.ones(2, dtype=M.int32),
                        M.ones(2, dtype=M.int32), value=-2.96),
    lambda M: M.addcmul(M.ones(2, dtype=M.float64), M.tensor([2], dtype=M.int32), M.tensor([1]),
                        value=-1.62),
    lambda M: M.addcdiv(M.ones(2, dtype=M.int64), M.ones(2), M.ones(2, dtype=M.int64), value=2.5),
], ids=["logsumexp_int", "logsumexp_bool", "square_bool", "triu_bool", "tril_bool", "all_no_dim",
        "any_no_dim", "uint8_all_any", "addcmul_int", "addcmul_bool_input", "addcmul_value",
        "addcdiv"])
def test_result_dtypes(fn):
    same_outcome(fn, rtol=0, atol=0)


@pytest.mark.parametrize("eq, shapes, dtypes", [
    ("ij,jk->", [(2, 2), (2, 3)], ["int32", "int32"]),
    ("ij,jk->", [(2, 2), (2, 2)], ["bool", "bool"]),
    ("ij,jk->ik", [(2, 2), (2, 3)], ["int32", "int32"]),
    ("ij,jk->i", [(2, 2), (2, 3)], ["int32", "int32"]),
    ("ij,jk->", [(2, 2), (2, 1)], ["int32", "int32"]),
    ("ij,jk->", [(1, 1), (1, 1)], ["int32", "int32"]),
    ("ij->", [(2, 2)], ["int32"]),
    ("ii->i", [(2, 2)], ["int32"]),
    ("i,i->i", [(2,), (2,)], ["float16", "float64"]),
    ("ij,jk->ik", [(2, 1), (1, 3)], ["float32", "float64"]),
    ("ij,jk->ik", [(2, 2), (2, 3)], ["float32", "float64"]),
    ("ij,ij->i", [(2, 3), (2, 3)], ["float32", "float32"]),
    ("ij,jk->ik", [(2, 2), (2, 2)], ["bool", "bool"]),
])
def test_einsum_dtypes_follow_torchs_reduction_steps(eq, shapes, dtypes):
    same_outcome(lambda M: M.einsum(eq, *(M.ones(s, dtype=getattr(M, d)) for s, d in
                                          zip(shapes, dtypes, strict=True))),
                 words=("expected scalar type",) if dtypes == ["float32", "float64"] and
                 shapes[0] == (2, 2) else ())


def test_outer_promotes():
    same_outcome(lambda M: M.outer(M.tensor([1., 2.]), M.tensor([1, 0, 3])))
    same_outcome(lambda M: M.outer(M.ones(2, dtype=M.int32), M.ones(2, dtype=M.int64)))
    same_outcome(lambda M: M.outer(M.ones(2), M.ones(2, dtype=M.float64)))
    same_outcome(lambda M: M.outer(M.ones(2, 2), M.ones(2)), words=("Expected 1-D argument self",))
    check_op([(3,), (4,)], torch.outer, ember.outer)


# -- finding 17: an empty list index ---------------------------------------------------------

def test_empty_list_index():
    same_outcome(lambda M: (M.zeros(3)[[]], M.zeros(3, 2)[[]], M.zeros(3, 2)[:, []]))

    def grad(M):
        x = M.zeros(3, requires_grad=True)
        x[[]].sum().backward()
        return x.grad
    same_outcome(grad)


# -- finding 19 and 25: lerp ------------------------------------------------------------------

def test_lerp_edges_and_dtype_checks():
    same_outcome(lambda M: M.lerp(M.tensor(float("-inf")), M.tensor(2.37), 1.19))
    same_outcome(lambda M: M.lerp(M.tensor([1., 2.]), M.tensor([3., 5.]), M.tensor([-0.7, 0.2])))
    same_outcome(lambda M: M.lerp(M.ones(2, dtype=M.float64), M.ones(2), 0.5),
                 words=("expected dtype double for `end` but got dtype float",))
    same_outcome(lambda M: M.lerp(M.ones(2), M.ones(2), M.ones(2, dtype=M.float64)),
                 words=("expected dtype float for `weight` but got dtype double",))
    same_outcome(lambda M: M.lerp(M.ones(2), M.ones(2), M.tensor(0.5, dtype=M.float64)))
    same_outcome(lambda M: M.lerp(M.ones(2, dtype=M.int64), M.ones(2, dtype=M.int64), 0.5),
                 words=("not implemented for 'Long'",))
    same_outcome(lambda M: M.ones(2, dtype=M.float64).lerp_(M.ones(2), 0.5),
                 words=("expected dtype double for `end`",))
    same_outcome(lambda M: M.ones(2).lerp_(M.ones(3, 2), 0.5),
                 words=("doesn't match the broadcast",))


@pytest.mark.parametrize("weight", [0.3, 0.8, -0.6, 1.7])
def test_lerp_against_torch_scalar_weight(weight):
    check_op([(3, 4), (4,)], lambda a, b: torch.lerp(a, b, weight),
             lambda a, b: ember.lerp(a, b, weight))


def test_lerp_against_torch_tensor_weight():
    check_op([(3, 1), (4,), (3, 4)], torch.lerp, ember.lerp)

    def edit_weight(M):  # a tensor weight is saved, as torch's
        a = M.tensor([1., 2.], requires_grad=True) * 1
        w = M.tensor([.3, .6]) * 1
        y = M.lerp(a, M.tensor([3., 1.]), w)
        w.add_(1)
        y.sum().backward()
    same_outcome(edit_weight, words=("modified by an inplace operation",))


# -- finding 20: logit ---------------------------------------------------------------------

@pytest.mark.parametrize("eps", [None, 0.1])
def test_logit_gradient_outside_the_unit_interval(eps):
    def fn(M):
        x = M.tensor([0., 1., 0.5, -1.57, 2., 0.1, 0.9, 0.73], dtype=M.float64,
                     requires_grad=True)
        y = x.logit(eps)
        y.sum().backward()
        return y, x.grad
    same_outcome(fn)
    check_op([(3, 4)], lambda x: torch.logit(x, eps), lambda x: ember.logit(x, eps),
             low=0.05, high=0.95)


# -- findings 21-23: errors of the right kind ------------------------------------------------

_B = "M.tensor([True, False])"
_I = "M.tensor([3, -2])"
_F = "M.tensor([1.5, 2.])"


def _expr(code: str):
    return lambda M: eval(code, {"M": M, "F": M.nn.functional})


@pytest.mark.parametrize("code", [
    f"{_F} & {_F}", f"{_F} | {_F}", f"{_F} ^ {_F}", f"M.bitwise_not({_F})",
    f"{_I} & 1.5", f"M.bitwise_xor({_F}.half(), {_F}.half())", f"{_I} | M.ones(3)",
    f"{_I} & True", f"{_B} & M.ones(2, dtype=M.int32)",
])
def test_bitwise_ops_refuse_floats(code):
    same_outcome(_expr(code))


@pytest.mark.parametrize("code", [
    # integer and bool inputs of float-only kernels
    f"{_I}.var()", f"{_B}.std(0)", f"M.var_mean({_I})", f"M.std_mean({_B})", f"M.mean({_I})",
    *(f"F.{fn}({x})" for fn in ("elu", "celu", "selu", "silu", "gelu", "mish", "softplus",
                                "softshrink", "hardshrink", "hardsigmoid", "hardswish",
                                "logsigmoid", "leaky_relu", "glu") for x in (_I, _B)),
    f"F.threshold({_B}, 1, 2)", f"F.threshold({_I}, 1, 2)", f"F.normalize({_I}, dim=0)",
    f"F.elu({_I}, inplace=True)", f"F.prelu({_I}, M.ones(1, dtype=M.int64))",
    # bool inputs
    f"F.relu({_B})", f"M.relu({_B})", f"F.relu6({_B})", f"F.hardtanh({_B})", f"F.relu({_I})",
    f"M.abs({_B})", f"M.floor({_B})", f"M.ceil({_B})", f"M.round({_B})", f"M.trunc({_B})",
    f"M.frac({_B})", f"M.frac({_I})", f"M.round({_I}, decimals=1)", f"M.round({_I})",
    f"F.softsign({_B})", f"{_B} ** {_B}", f"{_B} ** 2", f"M.pow({_B}, True)",
    f"M.remainder({_B}, True)", f"M.fmod({_B}, True)", f"{_B} // True", f"{_B} % 2",
    f"M.div({_B}, True, rounding_mode='trunc')", f"M.median({_B})",
    f"M.mm({_B}[None], {_B}[:, None])", f"M.matmul({_B}, {_B})", f"M.inner({_B}, {_B})",
    f"M.mv(M.ones(2, 2, dtype=M.bool), {_B})", f"M.matmul({_B}, M.ones(2, 2, dtype=M.bool))",
    "M.bmm(M.ones(1, 2, 2, dtype=M.bool), M.ones(1, 2, 2, dtype=M.bool))",
    "F.linear(M.ones(2, 2, dtype=M.bool), M.ones(2, 2, dtype=M.bool))",
    f"M.argmax({_B})", f"M.argmin({_B}, 0)", f"M.topk({_B}, 1)",
    f"M.logaddexp({_I}, {_I})", f"M.logaddexp({_B}, {_B})", f"M.logaddexp({_I}, {_F})",
    f"M.addcmul({_B}, {_B}, {_B})",
    f"M.addcdiv({_I}, {_I}, {_I})", f"M.addcdiv({_F}, {_B}, {_B})",
])
def test_kernels_refuse_dtypes_as_torch(code):
    same_outcome(_expr(code))


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "isclose", "atan2",
                                  "logaddexp", "logical_and", "logical_or", "logical_xor"])
def test_binary_ops_require_tensors(name):
    same_outcome(lambda M: getattr(M, name)(M.ones(2), 2.0), words=("must be Tensor, not float",))
    same_outcome(lambda M: getattr(M, name)(2, M.ones(2)), words=("argument 'input' (position 1)",))
    if hasattr(ember.Tensor, name):  # the method forms Ember has (torch: "position 1")
        same_outcome(lambda M: getattr(M.ones(2), name)(2), words=("must be Tensor, not int",))


def test_logical_and_isclose_shapes_and_dtypes():
    same_outcome(lambda M: M.logical_xor(M.ones(2), M.ones(3)), words=("must match the size",))
    same_outcome(lambda M: M.isclose(M.ones(2), M.ones(3)), words=("must match the size",))
    same_outcome(lambda M: M.isclose(M.ones(2, dtype=M.float64), M.ones(2, dtype=M.int64)),
                 words=("Double did not match Long",))
    same_outcome(lambda M: (M.ones(2, dtype=M.bool) & True, M.isclose(M.ones(2), M.ones(1))))


# -- findings 24, 33, 35, 36, 38: errors and edges of shape ops, reductions, arithmetic -------

@pytest.mark.parametrize("code", [
    "M.tensor(1.5).narrow(0, 0, 1)", "M.tensor(1.5).split(1)", "M.tensor(1.5).chunk(1)",
    "M.tensor(1.5).unbind(0)", "M.tensor(1.5).flatten(-2)", "M.tensor(1.5).flatten(0, 1)",
    "M.tensor(1.5).flatten(-1)", "M.ones(2).tril()", "M.tensor(2.).triu()",
    "M.argmax(M.zeros(0))", "M.zeros(0).roll(-2, 1)", "M.zeros(0, 2).roll(1, 0)",
    "M.ones(2).permute()", "M.tensor(1.5).permute(())",
    "M.amax(M.zeros(0, 2), dim=1)", "M.amax(M.zeros(0, 2), dim=0)",
    "M.amin(M.zeros(0, 2), dim=(0, 1))", "M.amax(M.zeros(0))", "M.min(M.zeros(0))",
    "M.amax(M.zeros(2, 0), dim=0, keepdim=True)",
    "M.masked_fill(M.zeros(2, 4), M.ones(2, 2, dtype=M.bool), 1.)",
    "M.masked_fill(M.ones(2, dtype=M.int64), M.tensor([True, False]), "
    "M.tensor(2., requires_grad=True))",
    "M.add(M.ones(2, dtype=M.int64), M.ones(2, dtype=M.int64), alpha=0.5)",
    "M.sub(M.ones(2, dtype=M.int64), 1, alpha=0.5)",
    "M.add(M.ones(2, dtype=M.bool), M.ones(2, dtype=M.bool), alpha=2)",
    "M.add(M.ones(2, dtype=M.bool), M.ones(2, dtype=M.bool), alpha=0)",
    "M.tensor([True, False]).add_(M.tensor([True, False]), alpha=-3)",
    "M.add(M.ones(2), M.ones(2, dtype=M.int64), alpha=0.5)",
    "M.nn.functional.binary_cross_entropy(M.tensor([0.5, 0.2]), M.tensor([1.5, 0.]))",
    "M.clamp(M.ones(2), min=M.zeros(2), max=2.)",
    "M.fmod(M.zeros(0, dtype=M.int64), 0)", "M.remainder(M.zeros(0, dtype=M.int64), 0)",
    "M.ones(0, dtype=M.int64) // 0", "M.ones(2, dtype=M.int64) // 0",
])
def test_errors_and_edges(code):
    same_outcome(_expr(code))


def test_amax_of_an_empty_slice_has_an_empty_gradient():
    def fn(M):
        x = M.zeros(0, 2, requires_grad=True)
        M.amax(x, 1).sum().backward()
        return x.grad
    same_outcome(fn)


# -- findings 30, 31, 39: setitem values with extra dims, integers mixed with tensors --------

@pytest.mark.parametrize("code", [
    "M.zeros(2, 3, 4)[0, :, M.tensor([0, 1])].shape",
    "M.zeros(2, 2, 1)[1, 0:1, M.tensor([False])].shape",
    "M.zeros(2, 3, 4)[M.tensor([0, 1]), :, 0].shape",
    "M.zeros(2, 3, 4, 5)[0, :, M.tensor([0, 1]), 1].shape",
    "M.zeros(2, 3, 4, 5)[None, 0, ..., M.tensor([0, 1]), 1].shape",
    "M.zeros(2, 3, 4)[:, 0, M.tensor([0, 1])].shape",
])
def test_integers_apply_first_when_mixed_with_tensor_indices(code):
    same_outcome(lambda M: tuple(_expr(code)(M)))


def test_mixed_index_values_and_gradients():
    def get(M):
        x = M.arange(24.).reshape(2, 3, 4).requires_grad_()
        y = x[1, :, M.tensor([0, 3])]
        (y * M.arange(6.).reshape(3, 2)).sum().backward()
        return y, x.grad
    same_outcome(get)

    def put(M):
        x = M.zeros(2, 3, 4, requires_grad=True) * 1
        w = M.arange(6.).reshape(3, 2).requires_grad_()
        x[1, :, M.tensor([0, 3])] = w
        (x * M.arange(24.).reshape(2, 3, 4)).sum().backward()
        return x, w.grad
    same_outcome(put)


@pytest.mark.parametrize("code", [
    "x = M.tensor([1., 2., 3.], requires_grad=True); v = x * 1; "
    "w = M.tensor([[0.84, 1.81]], requires_grad=True); v[-2:] = w; v.sum().backward()",
    "x = M.zeros(4, requires_grad=True); v = x * 1; w = M.ones(1, 1, 4, requires_grad=True); "
    "v[None] = w; (v * M.arange(4.)).sum().backward()",
    "x = M.zeros(3, requires_grad=True); v = x * 1; w = M.ones(1, 1, requires_grad=True); "
    "v[M.tensor([True, False, True])] = w; (v * M.arange(3.)).sum().backward()",
    "v = M.zeros(3); w = M.ones(1, 2); v[M.tensor([True, False, True])] = w; x = w",
])
def test_setitem_values_with_extra_leading_dims(code):
    def fn(M):
        env = {"M": M}
        exec(code, env)
        return env["v"], env["x"].grad if env["x"].requires_grad else env["x"], env["w"].grad
    same_outcome(fn)


# -- finding 37: edge values ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["elu", "celu", "selu"])
def test_elu_family_keeps_the_sign_of_zero(name):
    same_outcome(lambda M: 1 / getattr(M.nn.functional, name)(M.tensor([-0.0, 0.0, -1.])))


@pytest.mark.parametrize("var", [[float("inf"), 1.], [0., 1.]])
def test_gaussian_nll_loss_with_extreme_variances(var):
    def fn(M):
        x = M.tensor([1., 2.], requires_grad=True)
        v = M.tensor(var, requires_grad=True)
        loss = M.nn.functional.gaussian_nll_loss(x, M.tensor([1.5, 2.]), v)
        loss.backward()
        return loss, x.grad, v.grad
    same_outcome(fn)


# -- findings 43-45, 47-49 and what the long runs found after them ------------------------------

def test_diagonal_is_a_writable_view():
    def fn(M):
        x = M.tensor([[-1.06, 0.49], [1.04, 2.1], [-1.51, 1.28]])
        d = x.diagonal(1)
        d.add_(10)
        return x, d._base is x, M.diag(x)._base is None
    same_outcome(fn)
    same_outcome(lambda M: M.tensor([[1., 2.]], requires_grad=True).diagonal(-1).add_(1),
                 words=("a view of a leaf Variable",))
    same_outcome(lambda M: M.ones(3, 3).diagonal(0, 0, 0), words=("cannot be identical",))

    def through_view(M):
        x = M.arange(24.).reshape(2, 3, 4).requires_grad_()
        y = x * 1
        y.diagonal(1, 2, 1).mul_(3)
        (y * y).sum().backward()
        return y, x.grad
    same_outcome(through_view)
    check_op([(3, 4, 5)], lambda x: x.diagonal(-1, 2, 0))


def test_unbind_returns_views():
    def fn(M):
        x = M.tensor([0., 2., -5.])
        v = x.unbind(0)[0]
        x.add_(1)
        return v, v._base is x
    same_outcome(fn)


def test_l1_loss_gradient_at_nan_and_clamp_unbroadcast():
    def l1(M):
        x = M.tensor([[float("nan"), 1.78]], dtype=M.float64, requires_grad=True)
        M.nn.functional.l1_loss(x, M.tensor([[0.93, 2.3]], dtype=M.float64),
                                reduction="sum").backward()
        return x.grad
    same_outcome(l1)

    def clamp(M):
        x = M.tensor([[2.0], [2.5]], requires_grad=True)
        lo = M.tensor([1., 3.], requires_grad=True)
        M.clamp(x, min=lo, max=lo + 0.2).sum().backward()
        return x.grad, lo.grad
    same_outcome(clamp)


@pytest.mark.parametrize("code", [
    "x = M.zeros(3); x[-1] = M.tensor([5.])",
    "x = M.zeros(3, dtype=M.int32); x[[0]] = M.tensor([True])",
    "x = M.zeros(3); x[M.tensor([True, False, True])] = M.tensor([1, 2])",
    "x = M.zeros(3); x[M.tensor([True, False, True])] = M.tensor(1)",
    "x = M.zeros(3); x[[0]] = M.tensor(1., dtype=M.float64)",
    "x = M.index_add(M.tensor([True]), -1, M.tensor([0]), M.tensor([True]), alpha=-1)",
    "x = (M.median(M.zeros((2, 0, 3), dtype=M.int64)), M.median(M.zeros(0, dtype=M.uint8)))",
    "x = M.median(M.ones(2, dtype=M.bool), -4)",
    "x = M.nn.functional.softmax(M.zeros(0, 3, dtype=M.int64), dim=1)",
    "x = M.nn.functional.softmax(M.zeros(2, 3, dtype=M.int64), dim=0)",
    "x = M.nn.functional.log_softmax(M.zeros(2, 3, dtype=M.int64), dim=1)",
    "x = M.nn.functional.binary_cross_entropy(M.tensor([0.5, 0.2]), "
    "M.tensor([float('nan'), 0.]))",
])
def test_setitem_index_add_median_softmax_edges(code):
    def fn(M):
        env = {"M": M}
        exec(code, env)
        return env["x"]
    same_outcome(fn)


@pytest.mark.parametrize("reduce", ["median", "max", "amax"])
def test_a_nan_gradient_reaches_ties_as_in_torch(reduce):
    # max()/min()/median() fill only the tied entries; amax spreads the NaN (torch's formulas)
    def fn(M):
        x = M.tensor([[-2.91], [1.84], [1.84]], requires_grad=True)
        getattr(M, reduce)(x).backward(M.tensor(float("nan")))
        return x.grad
    same_outcome(fn)


def test_setitem_then_max_of_a_zero_dim_tensor():
    def fn(M):
        x = M.tensor(-1.83, requires_grad=True)
        v = x * 1
        v[...] = True
        M.autograd.backward([v, v.max()], [M.tensor(-0.23), M.tensor(0.25)])
        return x.grad
    same_outcome(fn)


def test_remainder_saves_operands_only_for_the_divisors_gradient():
    def fn(M, need):
        x = M.tensor([-0.32, -2.32], requires_grad=True)
        d = M.tensor([-1.43, 0.97], requires_grad=need) * 1
        y = x.clone().remainder(d)
        d.add_(1)
        y.sum().backward()
        return x.grad
    same_outcome(lambda M: fn(M, False))
    same_outcome(lambda M: fn(M, True), words=("modified by an inplace operation",))


def test_clamp_of_bool_by_scalars_and_celu_gradient_at_nan():
    same_outcome(lambda M: M.tensor([True, False]).clamp_max(False),
                 words=("clamp_max_scalar_cpu",))
    same_outcome(lambda M: M.tensor([True, False]).clamp_min(True), words=("clamp_min_scalar_cpu",))
    same_outcome(lambda M: M.clamp(M.tensor([True, False]), min=0))

    def celu(M):  # 64 elements: torch's vectorized loop (its scalar loop differs at NaN, see
        # tests/fuzz/FINDINGS.md 68); Ember follows the vectorized one
        x = M.tensor([float("nan"), 2.57, -0.5] + [0.25] * 61, requires_grad=True)
        M.nn.functional.celu(x, alpha=1.3).backward(M.tensor([-0.26, 0.21, -0.32] + [1.0] * 61))
        return x.grad
    same_outcome(celu)


def test_linear_with_no_features_and_number_mod_tensor_and_setitem_error_order():
    def linear(M):
        x = M.zeros((1, 1, 0), requires_grad=True)
        w = M.zeros((3, 0), requires_grad=True)
        b = M.zeros(3, requires_grad=True)
        M.nn.functional.linear(x, w, b).backward(M.ones(1, 1, 3))
        return x.grad, w.grad, b.grad
    same_outcome(linear)

    def rmod(M):
        t = M.tensor([1.5, 2.], requires_grad=True)
        (3 % t).sum().backward()
    same_outcome(rmod, words=("derivative for aten::remainder is not implemented",))

    def order(M):
        v = M.tensor(0.32, requires_grad=True) * 1
        v[[0, -1, -1]] = M.tensor([-1.81, 0.95], dtype=M.float64)
    same_outcome(order, words=("too many indices for tensor of dimension 0",))
    same_outcome(lambda M: M.zeros(3).__setitem__([0, 5], M.tensor([1, 2])),
                 words=("Index put requires the source and destination dtypes match",))


@pytest.mark.parametrize("edit", ["output", "source"])
def test_sgn_and_index_add_save_what_torch_saves(edit):
    outcomes = []
    for lib in (ember, torch):
        x = lib.tensor([[-1.01, 0.97]], dtype=lib.float64, requires_grad=True)
        if edit == "output":
            y = lib.sgn(x * 1)
            y.neg_()
        else:
            src = lib.tensor([[0.5, 0.25]], dtype=lib.float64, requires_grad=True) * 1
            y = (x * 1).index_add(0, lib.tensor([0]), src)
            src.abs_()
        try:
            y.sum().backward()
            outcomes.append(x.grad.tolist())
        except RuntimeError as e:
            outcomes.append("modified by an inplace operation" in str(e))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hardswish_gradient_at_its_knots(dtype):
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([-3.0, -2.99, 2.99, 3.0] * 10, dtype=getattr(lib, dtype), requires_grad=True)
        lib.nn.functional.hardswish(x).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)

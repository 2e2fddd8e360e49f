"""Repros of the seventh fuzzing round (seeds 1100000-1119999, tests/fuzz/FINDINGS.md 89-97),
each written once against either library (``M`` is ``torch`` or ``ember``) and compared with
torch; every one failed before its fix.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.torch_compare import both, same_error, same_outcome, same_outcome_strict

INF, NAN = float("inf"), float("nan")
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")


# -- 89: cumprod's gradient as torch's (first-zero formula, NaN and inf kept) -----------------

def _cumprod_grad(data, dim, cotangent, dtype="float32"):
    def fn(M):
        x = M.tensor(data, dtype=getattr(M, dtype), requires_grad=True)
        M.cumprod(x, dim).backward(M.tensor(cotangent, dtype=getattr(M, dtype)))
        return x.grad
    return fn


@pytest.mark.parametrize("fn", [
    _cumprod_grad([[NAN]], -1, [[-0.42]]),                            # seed 1106934
    _cumprod_grad([[NAN, 1.5], [0.0, 2.0]], 0, [[1.0, 2.0], [3.0, 4.0]], "float64"),
    _cumprod_grad([[-0.19, -1.05], [-0.11, INF], [-2.45, NAN]], 0,    # seed 1109600
                  [[2.59, 0.76], [0.05, -0.07], [0.39, -1.58]]),
    _cumprod_grad([2.0, 0.0, INF, 3.0, 0.0, 5.0], 0, [1.0, -1.0, 2.0, 0.5, 1.5, -2.0]),
    _cumprod_grad([NAN, 2.0, 0.0, 3.0], 0, [1.0, 1.0, 1.0, 1.0], "float64"),
])
def test_cumprod_gradient_at_zeros_nan_and_inf(fn):
    same_outcome(fn, rtol=1e-6, atol=1e-7)


def test_cumprod_gradient_random_special_values():
    rng = np.random.default_rng(7)
    for _ in range(40):
        shape = tuple(rng.integers(1, 5, size=2))
        data = rng.choice([0.0, NAN, INF, -INF, 1.5, -0.7, 2.0, 0.3], size=shape).tolist()
        cot = rng.normal(size=shape).round(2).tolist()
        same_outcome(_cumprod_grad(data, int(rng.integers(-2, 2)), cot, "float64"),
                     rtol=1e-9, atol=1e-12)


# -- 90: prod() of all elements with two zeros: torch's zero gradient (an inf included) -------

def test_prod_all_with_two_zeros_has_zero_gradient():
    def fn(M):
        x = M.tensor([[0.99, -2.15, 0.0], [INF, -0.0, 1.5]], dtype=M.float64,
                     requires_grad=True)
        x.prod().backward(M.tensor(0.28, dtype=M.float64))     # seed 1108891
        return x.grad
    same_outcome(fn)


# -- 91: var_mean / std_mean are one node saving what torch saves ------------------------------

def test_std_mean_saves_its_std():
    def fn(M):
        x = M.tensor(-0.01, requires_grad=True)
        std, mean = M.std_mean(x.view(-1, 1)[..., ::2])          # seed 1100278
        std.div_(-1.51)
        M.var(mean, dim=-1, correction=2).backward(M.tensor(-0.29))
    same_outcome_strict(fn, words=("output 0 of StdMean", "is at version 1"))


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("data", [INF, [INF, 2.0], [1.0, 1.0], [0.5, -1.5, 2.0]])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_var_mean_gradients(name, data, which):
    def fn(M):
        x = M.tensor(data, dtype=M.float64, requires_grad=True)
        spread, mean = getattr(M, name)(x, correction=1 if np.ndim(data) else 2)
        [spread, mean, spread * 2 + mean][which].sum().backward()
        return x.grad
    same_outcome(fn)


def test_var_of_an_inf_without_degrees_of_freedom_is_nan():
    # torch: NaN where x equals the mean, an inf mean included (Ember gave inf)
    def fn(M):
        x = M.tensor([INF, 2.0], dtype=M.float64, requires_grad=True)
        M.var(x, correction=2).backward()
        return x.grad
    same_outcome(fn)


# -- 92: index_add saves its source only when the source needs a gradient ----------------------

@pytest.mark.parametrize("source_grad", [False, True])
def test_index_add_saves_source_only_for_its_gradient(source_grad):
    def fn(M):
        leaf = M.ones(3, 2, requires_grad=True)
        s = M.ones(2, 2, requires_grad=source_grad) * 1
        y = M.index_add(leaf * 1, 0, M.tensor([0, 2]), s, alpha=3)     # seed 1101877
        s.floor_()
        y.sum().backward()
        return leaf.grad
    same_outcome_strict(fn, words=("modified by an inplace operation",))


# -- 93: clamp with a number and a 0-d tensor as bounds (torch's Number overload) --------------

@pytest.mark.parametrize("bounds", [
    lambda M, x: {"min": 3, "max": x},                               # seed 1103183
    lambda M, x: {"min": M.tensor(2), "max": -3},                    # seed 1106098
    lambda M, x: {"min": 0.16, "max": M.tensor(True)},               # seed 1112602
    lambda M, x: {"min": M.tensor([2.0]), "max": 1},                 # not 0-d: refused
    lambda M, x: {"min": M.tensor(2.0, requires_grad=True), "max": 1},
])
@pytest.mark.parametrize("data", [-1.09, [True], [1, 5]])
def test_clamp_number_and_tensor_bounds(bounds, data):
    def fn(M):
        x = M.tensor(data)
        out = M.clamp(x, **bounds(M, M.tensor(-0.03)))
        return out, str(out.dtype).split(".")[-1]
    same_outcome_strict(fn, words=("invalid combination of arguments",))


def test_clamp_bounds_that_do_not_broadcast():
    same_outcome_strict(lambda M: M.clamp(                           # seed 1116067
        M.tensor([1.0, 2.0, 3.0]), min=M.tensor([True]),
        max=M.tensor([[True, False, False, True, True]])),
        words=("The size of tensor a (3) must match the size of tensor b (5)",))


# -- 94: addmm / baddbmm with an empty inner dim scale the input in place ---------------------

@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
@pytest.mark.parametrize("beta", [0.5, 2, True, 0])
def test_addmm_empty_inner_dim_beta(dtype, beta):
    def fn(M):
        dt = getattr(M, dtype)
        return M.addmm(M.ones(2, 2, dtype=dt), M.zeros(2, 0, dtype=dt),  # seed 1108545
                       M.zeros(0, 2, dtype=dt), beta=beta)
    same_outcome_strict(fn, words=("can't be cast to the desired output type",))


def test_baddbmm_empty_inner_dim_beta():
    same_outcome_strict(lambda M: M.baddbmm(
        M.zeros(2, 2, dtype=M.bool), M.zeros(2, 2, 0, dtype=M.bool), M.zeros(2, 0, 2,
                                                                              dtype=M.bool),
        beta=0.5), words=("result type Float can't be cast to the desired output type Bool",))


# -- 95: scatter of a number the dtype cannot hold ---------------------------------------------

@pytest.mark.parametrize("value", [-INF, NAN, 2 ** 40])
def test_scatter_value_overflow(value):
    same_outcome_strict(lambda M: M.scatter(                         # seed 1119476
        M.tensor([-5, -5], dtype=M.int32), -1, M.tensor([0, 1]), value),
        words=("value cannot be converted to type int without overflow",))


# -- 96 (69): round's decimals: omitted is the plain overload, given (even 0) the other -------

@pytest.mark.parametrize("kwargs", [{}, {"decimals": 0}, {"decimals": 1}])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float32"])
def test_round_decimals_overloads(kwargs, dtype):
    def fn(M):
        return M.round(M.tensor([1, 2, 0], dtype=getattr(M, dtype)), **kwargs)
    same_outcome_strict(fn, words=("not implemented for",))


# -- 54: mul / div of tensors of two dtypes save the caller's tensors --------------------------

@pytest.mark.parametrize("op", ["mul", "div"])
@pytest.mark.parametrize("edit", ["a", "b"])
def test_mixed_dtype_mul_div_save_the_callers_tensors(op, edit):
    def fn(M):
        a = M.tensor([[0.17, 0.6]], dtype=M.float64, requires_grad=True) + 0
        b = M.tensor([[1.03, 2.22]], requires_grad=True) * 1           # float32
        y = getattr(M, op)(a, b)
        (a if edit == "a" else b).add_(1)
        y.sum().backward()
    same_outcome_strict(fn, words=("modified by an inplace operation",))


@pytest.mark.parametrize("op", ["mul", "div"])
def test_mixed_dtype_mul_div_values_and_gradients(op):
    def fn(M):
        a = M.tensor([1.7, -2.3], dtype=M.float64, requires_grad=True)
        b = M.tensor([1.03, 2.22], requires_grad=True)
        i = M.tensor([3, 4])
        outs = [getattr(M, op)(a, b), getattr(M, op)(b, a), getattr(M, op)(b, i),
                getattr(M, op)(i, b), getattr(M, op)(b, M.tensor([True, False]))]
        sum(o.sum().double() for o in outs).backward()
        return [*outs, a.grad, b.grad]
    same_outcome(fn)


# -- 97: promote_types of two categories: the higher category's dtype --------------------------

@pytest.mark.parametrize(("a", "b"), [("int32", "float32"), ("int64", "float16"),
                                      ("uint8", "int8"), ("float16", "bfloat16"),
                                      ("bool", "uint8"), ("float64", "int8")])
def test_promote_types(a, b):
    same_outcome_strict(lambda M: str(M.promote_types(getattr(M, a), getattr(M, b))).split(".")[1])


# -- 98: lerp with a bool 0-d weight: torch's gradient for the start computes 1 - weight -------

@pytest.mark.parametrize(("start_grad", "end_grad"), [(True, False), (False, True), (True, True)])
def test_lerp_bool_weight_backward(start_grad, end_grad):
    def fn(M):
        a = M.tensor([2.19, 1.0], dtype=M.float64, requires_grad=start_grad)
        b = M.tensor([-3.0, 2.0], dtype=M.float64, requires_grad=end_grad)
        M.lerp(a, b, M.tensor(False)).sum().backward()                  # seed 1104632
        return b.grad
    same_outcome_strict(fn, words=("with two bool tensors is not supported",))


# -- 99: setitem of a number the dtype cannot hold; a bool power with a tensor exponent -------

@pytest.mark.parametrize("value", [INF, NAN, 1e30])
def test_setitem_number_overflow(value):
    def fn(M):
        x = M.tensor([0.49, -0.25, 1.94], dtype=M.float64).argmax()   # seed 1100150
        x[M.tensor([-1])] = value
    same_outcome_strict(fn, words=("value cannot be converted to type int64_t without overflow",))


@pytest.mark.parametrize("fn", [
    lambda M: True ** M.tensor([True, False]),                        # seed 1112383
    lambda M: M.pow(False, M.tensor([True])),
    lambda M: M.tensor([True, False]) ** True,
    lambda M: M.tensor([True, False]) ** M.tensor(True),
])
def test_bool_power(fn):
    same_outcome_strict(fn, words=('"pow" not implemented for \'Bool\'',))


# -- 100: pow with a tensor exponent saves its result even when the exponent needs no grad ----

@pytest.mark.parametrize("exponent", ["tensor", "number"])
def test_pow_tensor_exponent_saves_result(exponent):
    def fn(M):
        v = M.tensor(-1.86, requires_grad=True) * 1
        y = M.pow(v, M.tensor(5, dtype=M.int32) if exponent == "tensor" else 5)  # 1112373
        y.masked_fill_(M.tensor(False), 0.5)
        y.backward(M.tensor(-0.2))
        return y
    same_outcome_strict(fn, words=("modified by an inplace operation",))


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin"])
@pytest.mark.parametrize("edit", ["a", "b"])
def test_mixed_dtype_selections_save_the_callers_tensors(op, edit):
    def fn(M):
        a = M.tensor([[0.17, NAN]], dtype=M.float64, requires_grad=True) + 0
        b = M.tensor([[1.03, 0.6], [0.17, -2.0]], requires_grad=True) * 1   # float32
        y = getattr(M, op)(a, b)                                       # seed 1115121
        (a if edit == "a" else b).add_(1)
        y.sum().backward()
    same_outcome_strict(fn, words=("modified by an inplace operation",))


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin"])
def test_mixed_dtype_selections_values_and_gradients(op):
    def fn(M):
        a = M.tensor([[0.17, NAN, 2.0]], dtype=M.float64, requires_grad=True)
        b = M.tensor([[1.03, 0.6, 2.0], [0.17, NAN, -2.0]], requires_grad=True)
        i = M.tensor([1, 0, 3])
        outs = [getattr(M, op)(a, b), getattr(M, op)(b, i), getattr(M, op)(i, a)]
        sum(o.sum().double() for o in outs).backward()
        return [*outs, a.grad, b.grad]
    same_outcome(fn)


# -- 101: take saves its input and index (torch's), with torch's checks and words ---------------

@pytest.mark.parametrize("edit", ["input", "index"])
def test_take_saves_input_and_index(edit):
    def fn(M):
        x = (M.tensor([[1.5, -2.0], [0.5, 3.0]], requires_grad=True) * 1).t()  # seed 1109287
        idx = M.tensor([[0, -1], [3, 0]])
        y = M.take(x, idx)
        x.add_(1) if edit == "input" else idx.zero_()
        y.sum().backward()
    same_outcome_strict(fn, words=("modified by an inplace operation",))


@pytest.mark.parametrize("fn", [
    lambda M: M.take(M.tensor([[1.0, 2.0], [3.0, 4.0]]), M.tensor([5])),
    lambda M: M.take(M.tensor([[1.0, 2.0], [3.0, 4.0]]), M.tensor([-5])),
    lambda M: M.take(M.tensor([[1.0, 2.0], [3.0, 4.0]]), M.tensor([1], dtype=M.int32)),
    lambda M: M.take(M.tensor([[1.0, 2.0], [3.0, 4.0]]), M.tensor([True])),
    lambda M: M.take(M.zeros(0), M.tensor([0])),
    lambda M: M.take(M.tensor(5.0), M.tensor([[0, 0]])),
])
def test_take_checks(fn):
    same_outcome_strict(fn, words=())


def test_take_gradient():
    def fn(M):
        x = M.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=M.float64, requires_grad=True)
        M.take(x, M.tensor([[0, -1], [3, 0]])).backward(
            M.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=M.float64))
        return x.grad
    same_outcome(fn)


# -- 102: addcdiv saves tensor2 even when neither factor needs a gradient ----------------------

@pytest.mark.parametrize("edit", ["tensor1", "tensor2"])
def test_addcdiv_saves_tensor2(edit):
    def fn(M):
        x = M.tensor([[1.99, -1.69, -1.16]], requires_grad=True)
        t1, t2 = M.tensor([[-2.15]], dtype=M.float64), M.tensor([[0.5]], dtype=M.float64)
        y = M.addcdiv(x, t1, t2)                                       # seed 1101089
        (t1 if edit == "tensor1" else t2).tril_()
        y.sum().backward()
        return x.grad
    same_outcome_strict(fn, words=("modified by an inplace operation",))


@pytest.mark.parametrize("edit", ["base", "exponent"])
def test_mixed_dtype_pow_saves_the_callers_tensors(edit):
    def fn(M):
        base = M.tensor([False, True])
        e = M.tensor([0.94, 2.27], requires_grad=True) * 1
        y = base ** e                                                  # seed 1105781
        base.logical_not_() if edit == "base" else e.add_(1)
        y.sum().backward()
    same_outcome_strict(fn, words=("modified by an inplace operation",))


def test_mixed_dtype_pow_values_and_gradients():
    def fn(M):
        a = M.tensor([1.7, 0.5], dtype=M.float64, requires_grad=True)
        b = M.tensor([2.0, -1.5], requires_grad=True)
        outs = [a ** b, b ** a, b ** M.tensor([2, 3]), M.tensor([2, 3]) ** b,
                M.tensor([True, False]) ** b]
        sum(o.sum().double() for o in outs).backward()
        return [*outs, a.grad, b.grad]
    same_outcome(fn)


def test_linear_saves_each_factor_only_when_the_other_needs_a_gradient():
    def run(M):
        x = M.tensor([[1.46, 2.71]])
        w = M.tensor([[1.64, 2.86], [1.39, -1.36], [-2.43, 0.22]], requires_grad=True)
        v = w.clone()
        out = M.nn.functional.linear(x, v)
        M.nn.functional.leaky_relu(v, 0.1, inplace=True)  # torch saved x only: no error
        out.sum().backward()
        return w.grad

    both(run)
    same_error(lambda M: _edited_input_of_linear(M), upto="Hint")


def _edited_input_of_linear(M):
    x = M.tensor([[1.46, 2.71]], requires_grad=True)
    h = x * 1
    w = M.tensor([[1.64, 2.86]], requires_grad=True)
    out = M.nn.functional.linear(h, w)
    h.mul_(2)  # saved for w's gradient
    out.sum().backward()


@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("edited", ["input", "other"])
@pytest.mark.parametrize("grad_of", ["input", "other"])
def test_rounded_div_saves_what_torch_formulas_read(mode, edited, grad_of):
    def run(M):
        x = M.tensor([2.1, -1.5], requires_grad=grad_of == "input") * 1
        y = M.tensor([1.3], requires_grad=grad_of == "other") * 1
        if grad_of == "input":
            y = y.detach()
        else:
            x = x.detach()
        v = M.div(x, y, rounding_mode=mode)
        (x if edited == "input" else y).add_(1)
        v.sum().backward()
        return True

    same_outcome(run, words=("modified by an inplace operation",))


def test_where_saves_the_callers_condition():
    def run(M):
        x = M.tensor([[0.26, -2.11]], requires_grad=True)
        c = x.ne(M.tensor([-2.0, 0.45]))
        y = M.where(c, x, -0.55)
        c[0:1, 0:1] = False  # torch saved c: its backward refuses the edit
        y.sum().backward()
        return x.grad

    same_outcome(run, words=("modified by an inplace operation",))

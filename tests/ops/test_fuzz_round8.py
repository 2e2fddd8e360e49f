"""Repros of the eighth fuzzing round (seeds 1200000-1219999 and the open items of round 7,
tests/fuzz/FINDINGS.md "Round 9"), each written once against either library (``M`` is
``torch`` or ``ember``) and compared with torch; every one failed before its fix.
"""

from __future__ import annotations

import pytest
from tests.torch_compare import same_outcome, same_outcome_strict

# -- 54: a binary op of two tensors of different dtypes saves the caller's tensors -----------

def _edited_after(op, edit_input: bool):
    """``op(a, b)`` of a float32 and a float64 tensor, then one of them edited in place before
    backward: torch saved the caller's tensors, so its version check raises."""
    def fn(M):
        a = M.tensor([5.5, -3.25, 0.75], dtype=M.float32, requires_grad=True)
        b = M.tensor([2.0, 1.5, -0.5], dtype=M.float64, requires_grad=True)
        a1, b1 = a * 1, b * 1
        y = getattr(M, op)(a1, b1)
        (a1 if edit_input else b1).add_(1)
        y.sum().backward()
        return a.grad, b.grad
    return fn


@pytest.mark.parametrize("op", ["remainder", "fmod"])
@pytest.mark.parametrize("edit_input", [True, False])
def test_mixed_dtype_division_saves_the_callers_tensors(op, edit_input):
    same_outcome_strict(_edited_after(op, edit_input), words=("modified by an inplace",))


@pytest.mark.parametrize("op", ["remainder", "fmod"])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"),
                                    ("float64", "int32")])
def test_mixed_dtype_division_values_and_gradients(op, dtypes):
    def fn(M):
        a = M.tensor([5.5, -3.25, 7.0], dtype=getattr(M, dtypes[0]))
        b = M.tensor([2.0, 1.5, -2.5], dtype=getattr(M, dtypes[1]))
        for t in (a, b):
            if t.is_floating_point():
                t.requires_grad_()
        y = getattr(M, op)(a, b)
        y.sum().backward()
        return y, [t.grad for t in (a, b) if t.requires_grad]
    same_outcome(fn)


# -- pow to a Python-number exponent: torch's special cases (seed 1208339) -------------------

SPECIALS = [float("-inf"), -0.0, 0.0, float("inf"), float("nan"), -2.5, -1.0, 0.25, 1.0, 3.0]


@pytest.mark.parametrize("exponent", [2, 3, 4, 0.5, -0.5, -1, -2, -3, 2.0, 1.5, 0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_scalar_exponent_at_special_values(exponent, dtype):
    """``(-inf) ** 0.5`` is NaN in torch (its 0.5 is a sqrt) and the gradient of ``x ** 0.5``
    at -inf is NaN (its -0.5 is 1 / sqrt), at -0.0 -inf; Ember gave +inf, 0 and +inf."""
    def fn(M):
        x = M.tensor(SPECIALS, dtype=getattr(M, dtype), requires_grad=True)
        y = x ** exponent
        y.backward(M.linspace(-1.0, 2.0, len(SPECIALS), dtype=getattr(M, dtype)))
        return y, x.grad
    same_outcome(fn, rtol=1e-6, atol=0)


# -- remainder's zero results keep the dividend's sign, as torch (seed 1215797) --------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("length", [1, 20])
def test_remainder_sign_of_zero_and_specials(dtype, length):
    a = [0.0, -0.0, -2.0, 2.0, 4.0, -4.0, 5.5, -5.5, 1e-30, -1e-30, float("inf"), 3.0, -3.0]
    b = [-1.81, 1.0, 1.0, -1.0, 2.0, -2.0, 2.0, 2.0, 3.0, 3.0, 2.0, float("inf"), float("inf")]

    def fn(M):
        r = M.remainder(M.tensor(a * length, dtype=getattr(M, dtype)),
                        M.tensor(b * length, dtype=getattr(M, dtype)))
        return r, r.signbit()
    same_outcome(fn, rtol=0, atol=0)


def test_remainder_of_bool_by_a_negative_number_is_positive_zero():
    same_outcome(lambda M: M.tensor([False, False]).remainder(-1.81).signbit())


# -- linear of a strided input that is not a matrix adds a bias of another dtype in place, as
# torch's matmul-then-add_ path (seed 1202775); contiguous and 2-D inputs keep addmm's check ---

def _strided(M, kind):
    if kind == "diagonal":
        return M.arange(9.0).reshape(3, 3).diagonal(1)
    if kind == "transposed_3d":
        return M.arange(12.0).reshape(2, 3, 2).transpose(0, 2)[:, :2]
    if kind == "contiguous_1d":
        return M.arange(2.0)
    return M.arange(4.0).reshape(2, 2)[:, ::2]  # a strided matrix: addmm


@pytest.mark.parametrize("kind", ["diagonal", "transposed_3d", "contiguous_1d", "matrix"])
@pytest.mark.parametrize("bias_dtype", ["bool", "int64", "float64"])
def test_linear_bias_of_another_dtype(kind, bias_dtype):
    def fn(M):
        x = _strided(M, kind)
        w = M.ones(1, x.shape[-1], requires_grad=True)
        b = M.ones(1, dtype=getattr(M, bias_dtype), requires_grad=bias_dtype == "float64")
        out = M.nn.functional.linear(x, w, b)
        out.sum().backward()
        return out, w.grad, b.grad
    same_outcome_strict(fn)


# -- einsum saves an operand only for the other operands' gradients (seed 1315156) -----------

def test_einsum_does_not_save_the_operand_whose_gradient_alone_is_wanted():
    def fn(M):
        const = M.tensor([[-0.27, 1.5]], dtype=M.float64)
        x = M.tensor([[-2.08, 0.5]], dtype=M.float64, requires_grad=True)
        v = x.clone()
        out = M.einsum("ij,ij->i", const, v)
        v.clamp_min_(0.37)
        out.backward(M.tensor([0.29], dtype=M.float64))
        return x.grad
    same_outcome(fn)


def test_einsum_saves_the_operand_another_gradient_reads():
    def fn(M):
        a = M.tensor([[-0.27, 1.5]], dtype=M.float64, requires_grad=True)
        x = M.tensor([[-2.08, 0.5]], dtype=M.float64, requires_grad=True)
        v = x.clone()
        out = M.einsum("ij,ij->i", a, v)
        v.clamp_min_(0.37)
        out.backward(M.tensor([0.29], dtype=M.float64))
        return x.grad
    same_outcome_strict(fn, words=("modified by an inplace",))


# -- cross entropy with probabilities negates the whole sum, as torch (-0.0 for zero terms;
# seeds 1200778, 1317522) ----------------------------------------------------------------------

@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("shape", [(1,), (1, 1), (2, 1)])
def test_cross_entropy_probabilities_sign_of_a_zero_loss(reduction, shape):
    def fn(M):
        x = M.full(shape, 0.66, dtype=M.float64)
        t = M.full(shape, 0.91, dtype=M.float64)
        loss = M.nn.functional.cross_entropy(x, t, reduction=reduction)
        return loss, loss.signbit()
    same_outcome(fn)


# -- lerp with a 0-d weight of a wider dtype saves the caller's start and end (seed 1311502) --

def test_lerp_with_a_wider_0d_weight_saves_the_callers_tensors():
    def fn(M):
        start = M.tensor(-0.02, requires_grad=True)
        end = M.tensor(0.77, requires_grad=True) * 1
        weight = M.tensor(-0.67, dtype=M.float64, requires_grad=True)
        out = M.lerp(start, end, weight)
        M.nn.functional.leaky_relu(end, 0.1, inplace=True)
        out.backward(M.tensor(-1.93, dtype=M.float64))
        return start.grad
    same_outcome_strict(fn, words=("modified by an inplace",))


@pytest.mark.parametrize("weight_dtype", ["float64", "float32"])
def test_lerp_0d_weight_values_and_gradients(weight_dtype):
    def fn(M):
        start = M.tensor(-0.02, requires_grad=True)
        end = M.tensor(0.77, requires_grad=True)
        weight = M.tensor(-0.67, dtype=getattr(M, weight_dtype), requires_grad=True)
        out = M.lerp(start, end, weight)
        out.backward()
        return out, start.grad, end.grad, weight.grad
    same_outcome(fn, rtol=1e-6)


# -- logsigmoid(+inf) is +0.0, as torch's min(x, 0) - log1p(exp(-|x|)) (seed 1203083) -------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsigmoid_special_values_and_sign(dtype):
    def fn(M):
        x = M.tensor([float("inf"), float("-inf"), 0.0, -0.0, 100.0, -100.0, 1e-8, 3.5],
                     dtype=getattr(M, dtype))
        y = M.nn.functional.logsigmoid(x)
        return y, y.signbit()
    same_outcome(fn, rtol=1e-6, atol=1e-30)


# -- seeds 1402639, 1406081, 1401532 ----------------------------------------------------------

def test_cat_of_legacy_empty_tensors_reads_no_dim():
    same_outcome(lambda M: M.cat([M.zeros(0), M.zeros(0)], -2).shape == (0,))


@pytest.mark.parametrize("base", [float("-inf"), -0.0, 4.0])
def test_pow_with_a_tensor_exponent_of_one_half_is_c_pow(base):
    """torch's tensor exponent takes C's pow ((-inf) ** 0.5 is +inf, (-0.0) ** 0.5 is +0.0);
    NumPy's power takes sqrt for a broadcast 0.5."""
    def fn(M):
        out = M.pow(M.tensor([base, 2.0], dtype=M.float64), M.tensor(0.5, dtype=M.float64))
        return out, out.signbit()
    same_outcome(fn)


def test_logit_gradient_with_eps_is_zero_at_nan():
    """On torch's vectorized loop (64 elements: no scalar tail, whose NaN test differs)."""
    def fn(M):
        x = M.tensor([-0.02, float("nan"), 0.5, 0.95] * 16, requires_grad=True)
        M.logit(x, eps=0.1).backward(M.ones(64))
        return x.grad
    same_outcome(fn)


@pytest.mark.parametrize("p", [float("inf"), float("-inf")])
@pytest.mark.parametrize(("shape", "dim"), [((0,), None), ((0, 3), None), ((3, 0), None),
                                            ((0,), 0), ((0, 3), 0), ((3, 0), 0),
                                            ((2, 0, 3), (0, 1))])
def test_inf_norm_over_nothing_is_torchs_error(p, shape, dim):
    """seed 1300604: NumPy's 'zero-size array to reduction operation' before."""
    same_outcome_strict(lambda M: M.norm(M.zeros(shape), p=p, dim=dim))


# -- seeds 1500091, 1507899, 1510593, 1517759 ------------------------------------------------

def test_cumsum_in_place_of_bool_checks_the_dim_first():
    same_outcome_strict(lambda M: M.ones(2, 2, dtype=M.bool).cumsum_(-3))


@pytest.mark.parametrize("bounds", ["both", "min", "max"])
def test_clamp_of_bool_by_bool_tensors(bounds):
    def fn(M):
        b = M.tensor([True, False])
        kw = {"both": dict(min=b, max=b), "min": dict(min=b), "max": dict(max=b)}[bounds]
        return M.clamp(b, **kw)
    same_outcome_strict(fn)


def test_flatten_of_an_expanded_leaf_is_a_copy_that_may_change_in_place():
    def fn(M):
        x = M.tensor([[2.84], [2.31], [2.74]], dtype=M.float64, requires_grad=True)
        flat = x.expand(2, -1, -1).flatten(0, -1)
        flat.squeeze_()
        return flat.shape == (6,)
    same_outcome(fn)


def test_atan2_gradient_at_the_origin():
    def fn(M):
        y = M.tensor([0.0, 0.0, -0.0, 1.0], dtype=M.float64, requires_grad=True)
        x = M.tensor([0.0, -0.0, 0.0, 0.0], dtype=M.float64, requires_grad=True)
        M.atan2(y, x).backward(M.tensor([1.0, 1.0, float("inf"), 1.0], dtype=M.float64))
        return y.grad, x.grad, y.grad.signbit(), x.grad.signbit()
    same_outcome(fn)


@pytest.mark.parametrize("call", ["index_fill_", "addcmul"])
def test_infinite_value_into_integers_is_torchs_overflow_error(call):
    """seeds 1608818, 1616180: Python's OverflowError before."""
    def fn(M):
        if call == "index_fill_":
            return M.tensor([4, -5]).index_fill_(0, M.tensor([0]), -float("inf"))
        x = M.tensor([-1, 3], dtype=M.int32)
        return M.addcmul(x, x, x, value=-float("inf"))
    same_outcome_strict(fn)


def test_atan2_of_mixed_floats_saves_the_callers_tensors():
    """seed 1612964: the float32 operand was saved as a promoted copy."""
    def fn(M):
        y = M.tensor([-1.67, 2.95])
        x = M.tensor([-1.54, -1.1], dtype=M.float64, requires_grad=True)
        out = y.atan2(x.clone())
        y.mul_(2)
        out.backward(M.tensor([-0.91, -0.02], dtype=M.float64))
        return x.grad
    same_outcome_strict(fn, words=("modified by an inplace",))


def test_nonzero_is_laid_out_as_torchs():
    """seed 1707891: torch's result keeps each coordinate contiguous, so view() refuses it."""
    def fn(M):
        n = M.nonzero(M.tensor([[1.16, 0.0], [-1.74, -0.89]]))
        return n, n.stride(), n.view(1, -1)
    same_outcome_strict(fn, words=("view size is not compatible",))


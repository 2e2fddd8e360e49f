"""gradcheck itself (it must be able to fail), and hypothesis property tests on shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.torch_compare import TOLS, check_op

import ember

# -- gradcheck can fail ------------------------------------------------------------------


class EmberWrongSquare(ember.autograd.Function):
    """x**2 with a backward off by a factor (x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class TorchWrongSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class EmberWrongPermutation(ember.autograd.Function):
    """Elementwise x * w whose backward mixes up elements: invisible to a .sum() check
    when w is constant along the flipped axis, caught by a random cotangent."""

    @staticmethod
    def forward(ctx, x):
        return x * 3.0

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(0) * 3.0


def _inputs():
    x = np.random.default_rng(0).uniform(0.5, 1.5, size=(3, 2))
    return (ember.tensor(x, requires_grad=True),
            torch.tensor(x, requires_grad=True))


def test_gradcheck_agrees_with_torch_on_a_wrong_backward():
    e, t = _inputs()
    torch_verdict = torch.autograd.gradcheck(TorchWrongSquare.apply, (t,), raise_exception=False)
    ember_verdict = ember.autograd.gradcheck(EmberWrongSquare.apply, (e,), raise_exception=False)
    assert torch_verdict is False and ember_verdict is False
    with pytest.raises(ember.autograd.GradcheckError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(EmberWrongSquare.apply, (e,))


def test_gradcheck_passes_a_right_backward_and_catches_permuted_gradients():
    e, t = _inputs()
    assert ember.autograd.gradcheck(lambda x: x * x, (e,)) is True
    assert torch.autograd.gradcheck(lambda x: x * x, (t,)) is True
    # a .sum() cotangent cannot see the flip (every cotangent element is 1) ...
    out = EmberWrongPermutation.apply(e)
    out.sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), np.full((3, 2), 3.0))
    # ... the random cotangent of gradcheck does
    assert ember.autograd.gradcheck(EmberWrongPermutation.apply, (e,),
                                    raise_exception=False) is False


# -- hypothesis: random broadcastable shapes ------------------------------------------------
# derandomized: the examples are drawn from a fixed seed, so the suite is reproducible; a
# failure found while developing is best pinned as an explicit test.

dims = st.integers(min_value=1, max_value=4)
shapes = st.lists(dims, min_size=0, max_size=4).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: each dim of the second is the first's, 1, or dropped."""
    a = draw(shapes)
    b = []
    for n in a:
        b.append(draw(st.sampled_from([n, 1])))
    b = b[draw(st.integers(0, len(b))):]  # drop some leading dims
    if draw(st.booleans()):
        a, b = tuple(b), a
    return tuple(a), tuple(b)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "maximum": lambda a, b: (torch if isinstance(a, torch.Tensor) else ember).maximum(a, b),
    "where": lambda a, b: (torch if isinstance(a, torch.Tensor) else ember).where(a > 1, a, b),
}


@settings(max_examples=25, deadline=None, derandomize=True)
@given(pair=broadcastable_pair(), name=st.sampled_from(sorted(BINARY)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_binary_ops_on_random_broadcastable_shapes(pair, name, dtype, seed):
    check_op(list(pair), BINARY[name], dtypes=(dtype,), low=0.5, high=2.0, seed=seed)


@st.composite
def shape_and_dims(draw):
    shape = draw(st.lists(dims, min_size=1, max_size=4).map(tuple))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1,
                         max_size=len(shape)))
    negate = draw(st.booleans())
    return shape, tuple(a - len(shape) if negate else a for a in axes)


REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k), "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k), "logsumexp": lambda x, d, k: x.logsumexp(
        d, keepdim=k), "var": lambda x, d, k: x.var(d, keepdim=k, correction=0),
    "norm": lambda x, d, k: x.norm(2, dim=d, keepdim=k),  # 'fro' takes at most 2 dims
    "max_dim": lambda x, d, k: x.max(d[0], keepdim=k), "prod": lambda x, d, k: x.prod(d[0], k),
    "softmax": lambda x, d, k: x.softmax(d[0]), "cumsum": lambda x, d, k: x.cumsum(d[0]),
}


@settings(max_examples=25, deadline=None, derandomize=True)
@given(sd=shape_and_dims(), name=st.sampled_from(sorted(REDUCTIONS)), keepdim=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_reductions_on_random_shapes(sd, name, keepdim, dtype, seed):
    shape, axes = sd
    check_op([shape], lambda x: REDUCTIONS[name](x, axes, keepdim), dtypes=(dtype,),
             low=0.5, high=1.5, seed=seed, **({"rtol": 1e-4} if dtype == np.float32 and
                                              name == "var" else {}))


def test_tolerances_are_tight_enough_to_catch_an_ulp_scale_bug():
    # a float64 result off by 1e-6 relative must fail the float64 tolerance
    x = np.linspace(1, 2, 5)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(x * (1 + 1e-6), x, **TOLS[np.float64])

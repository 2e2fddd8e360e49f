"""ember.autograd.Function against torch.autograd.Function: the same user code, run on both."""

import numpy as np
import pytest
import torch
from tests.torch_compare import both, same_error

import ember


def _plain_functions(M) -> dict:
    """Custom Functions with a plain forward and backward."""

    class Cube(M.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class ScaleShift(M.autograd.Function):
        """Non-tensor arguments (positional and keyword) get None gradients."""

        @staticmethod
        def forward(ctx, x, scale, shift=0.0, *, flag=True):
            ctx.scale = scale
            ctx.flag = flag
            return x * scale + shift

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.scale, None, None

    class Identity(M.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 5

    class TooFew(M.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad

    class BroadcastGrad(M.autograd.Function):
        """A gradient of a broadcast shape is summed back down to the input's."""

        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad.expand(2, *grad.shape)

    return dict(
        Cube=Cube, ScaleShift=ScaleShift, Identity=Identity, TooFew=TooFew,
        BroadcastGrad=BroadcastGrad,
    )


def _ctx_functions(M) -> dict:
    """Custom Functions that use the ctx's flags and marks (needs_input_grad, mark_dirty,
    mark_non_differentiable, set_materialize_grads)."""

    class Bilinear(M.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            return (a * b) * k

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ctx.seen_needs = tuple(ctx.needs_input_grad)
            ga = grad * b * ctx.k if ctx.needs_input_grad[0] else None
            gb = grad * a * ctx.k if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class AddOneInPlace(M.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class SortWithIndices(M.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, grad_values, grad_idx):
            (idx,) = ctx.saved_tensors
            g = M.zeros_like(grad_values)
            g[idx] = grad_values
            return g

    class SplitTwo(M.autograd.Function):
        """Two outputs; with materialize_grads off an unused output's grad is None."""

        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.got = (g1 is None, g2 is None)
            total = M.zeros(1)
            if g1 is not None:
                total = total + g1 * 2
            if g2 is not None:
                total = total + g2 * 3
            return total, None

    return dict(
        Bilinear=Bilinear, AddOneInPlace=AddOneInPlace, SortWithIndices=SortWithIndices,
        SplitTwo=SplitTwo,
    )


def define(M) -> dict:
    """The custom Functions under test, written once against either library."""
    return {**_plain_functions(M), **_ctx_functions(M)}


FUNCS = {M: define(M) for M in (torch, ember)}


def test_save_for_backward_and_gradient():
    def run(M):
        x = M.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = FUNCS[M]["Cube"].apply(x)
        (y * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        return y, x.grad, type(y.grad_fn).__name__, y.is_leaf, y.requires_grad

    both(run)


def test_function_composes_with_built_in_ops():
    def run(M):
        x = M.tensor([1.0, -2.0, 0.5], dtype=M.float64, requires_grad=True)
        Cube = FUNCS[M]["Cube"]
        y = Cube.apply(x.exp() + 1).sin()
        z = Cube.apply(y) * x
        z.sum().backward()
        return z, x.grad

    both(run, rtol=1e-5)


def test_non_tensor_arguments_and_kwargs():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = FUNCS[M]["ScaleShift"].apply(x, 3.0, 1.0)
        y.sum().backward()
        return y, x.grad

    both(run)

    def keywords(M):  # keyword arguments reach forward, and get no gradient slot
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = FUNCS[M]["ScaleShift"].apply(x, 3.0, shift=1.0)
        y.sum().backward()
        return y, x.grad, y.grad_fn.scale

    both(keywords)


@pytest.mark.parametrize("which", [(True, False), (False, True), (True, True)])
def test_needs_input_grad(which):
    def run(M):
        a = M.tensor([1.0, 2.0], requires_grad=which[0])
        b = M.tensor([3.0, 4.0], requires_grad=which[1])
        y = FUNCS[M]["Bilinear"].apply(a, b, 2.0)
        y.sum().backward()
        return y.grad_fn.seen_needs, a.grad, b.grad

    both(run)


def test_no_recording_when_no_input_requires_grad_or_under_no_grad():
    def run(M):
        x = M.tensor([1.0, 2.0])
        y = FUNCS[M]["Cube"].apply(x)
        with M.no_grad():
            z = FUNCS[M]["Cube"].apply(M.ones(2, requires_grad=True))
        return y, y.requires_grad, y.grad_fn is None, z.requires_grad

    both(run)


def test_mark_dirty_in_place_custom_op():
    def run(M):
        a = M.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2
        v = b._version
        c = FUNCS[M]["AddOneInPlace"].apply(b)
        (c * c).sum().backward()
        return c is b, b, a.grad, b._version - v, type(b.grad_fn).__name__

    both(run)


def test_mark_dirty_on_leaf_requiring_grad_raises():
    same_error(lambda M: FUNCS[M]["AddOneInPlace"].apply(M.ones(2, requires_grad=True)))


def test_mark_dirty_invalidates_saved_values():
    def run(M):
        a = M.tensor([1.0, 2.0], requires_grad=True)
        b = a * 1
        c = b * b  # saves b
        FUNCS[M]["AddOneInPlace"].apply(b)
        c.sum().backward()

    same_error(run, upto="Hint")


def test_mark_non_differentiable():
    def run(M):
        x = M.tensor([3.0, 1.0, 2.0], requires_grad=True)
        values, idx = FUNCS[M]["SortWithIndices"].apply(x)
        (values * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        return values, idx, x.grad, values.requires_grad, idx.requires_grad

    both(run)


def test_mark_non_differentiable_float_output():
    def run(M):
        class Twice(M.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                out, aux = x * 2, x * 10
                ctx.mark_non_differentiable(aux)
                return out, aux

            @staticmethod
            def backward(ctx, g, g_aux):
                return g * 2

        x = M.tensor([1.0, 2.0], requires_grad=True)
        out, aux = Twice.apply(x)
        out.sum().backward()
        return aux.requires_grad, aux.grad_fn is None, x.grad

    both(run)


@pytest.mark.parametrize("materialize", [True, False])
def test_multiple_outputs_and_materialize_grads(materialize):
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        a, b = FUNCS[M]["SplitTwo"].apply(x, materialize)
        a.sum().backward(retain_graph=True)
        got_first = a.grad_fn.got
        (a.sum() + b.sum() * 2).backward()
        return x.grad, got_first, a.grad_fn is b.grad_fn

    both(run)


def test_returning_an_input_unchanged():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = FUNCS[M]["Identity"].apply(x)
        (y * 2).sum().backward()
        return y is x, y.is_leaf, x.grad, type(y.grad_fn).__name__, x.grad_fn is None

    both(run)


def test_wrong_number_of_gradients():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        FUNCS[M]["TooFew"].apply(x, x).sum().backward()

    same_error(run)


def test_extra_none_gradients_are_allowed():
    def run(M):
        class Extra(M.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2, None, None

        x = M.tensor([1.0, 2.0], requires_grad=True)
        Extra.apply(x).sum().backward()
        return x.grad

    both(run)


def test_gradient_of_broadcast_shape_is_reduced():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        FUNCS[M]["BroadcastGrad"].apply(x).sum().backward()
        return x.grad

    both(run)


def test_saved_tensors_freed_after_backward():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = FUNCS[M]["Cube"].apply(x).sum()
        y.backward()
        y.backward()

    same_error(run, upto="Saved intermediate")


def test_function_cannot_be_instantiated_and_needs_static_methods():
    with pytest.raises(RuntimeError):
        FUNCS[ember]["Cube"]()

    class NoBackward(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(x).sum().backward()


def test_ctx_attributes_survive_until_backward_in_float64():
    def run(M):
        class Pow(M.autograd.Function):
            @staticmethod
            def forward(ctx, x, p):
                ctx.p = p
                ctx.save_for_backward(x)
                return x ** p

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * ctx.p * x ** (ctx.p - 1), None

        x = M.tensor([0.5, 1.5], dtype=M.float64, requires_grad=True)
        y = Pow.apply(x, 2.5)
        y.sum().backward()
        return y, x.grad

    both(run, rtol=1e-12)


def test_gradcheck_of_a_custom_function():
    x = ember.tensor(np.random.default_rng(0).uniform(-1, 1, size=(3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(FUNCS[ember]["Cube"].apply, (x,))

    class WrongCube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x  # wrong: should be 3 x**2

    with pytest.raises(ember.autograd.GradcheckError):
        ember.autograd.gradcheck(WrongCube.apply, (x,))


def test_gradcheck_with_an_output_that_needs_no_grad_first():
    # outputs that do not require grad must not shift which cotangent meets which output
    def f(x):
        return ember.ones(2, dtype=ember.float64), x ** 2

    x = ember.tensor([0.3, -0.7], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (x,))

    def g(x):
        return ember.ones(2, dtype=ember.float64), x ** 2 + ember.ones(2, dtype=ember.float64)

    assert ember.autograd.gradcheck(g, (x,))


def test_observe_ops_sees_each_builtin_op_with_its_tensors():
    from ember.autograd.function import observe_ops

    seen = []
    x = ember.ones(2, 3)
    with observe_ops(lambda cls, args, kwargs, out: seen.append((cls.__name__, args, out))):
        y = x.exp()
        values, indices = y.max(1)
    z = y.exp()  # outside the context: not seen
    assert [name for name, _, _ in seen] == ["Exp", "MaxMinDim"]
    assert seen[0][1][0] is x and seen[0][2] is y
    assert seen[1][2][0] is values and seen[1][2][1] is indices
    assert z is not None

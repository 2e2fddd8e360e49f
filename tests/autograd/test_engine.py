"""The backward engine against torch: graph shapes, errors, accumulation, hooks,
autograd.grad, grad modes, and that a graph is freed (no leaks, no reference cycles)."""

import gc
import sys
import weakref

import numpy as np
import pytest
import torch
from tests.torch_compare import both, same_error

import ember


def test_deep_chain_has_no_recursion_limit():
    n = 100_000
    assert n > sys.getrecursionlimit() * 10
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.00001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.00001 ** n] * 2, rtol=1e-9)


def test_deep_chain_of_custom_functions_and_views():
    x = ember.ones(4, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y.reshape(2, 2).t().reshape(4) + 0.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0] * 4


def test_diamond_and_reuse_accumulate():
    def run(M):
        x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
        a = x * x
        b = a.exp() + a * 3 + a  # a used three times
        c = b * x  # x used again at the end
        (c * M.tensor([1.0, 2.0, 3.0])).sum().backward()
        return x.grad

    both(run, rtol=1e-5)


def test_wide_fan_out_and_fan_in():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        parts = [x * float(i) for i in range(50)]
        total = parts[0]
        for p in parts[1:]:
            total = total + p.sin()
        total.sum().backward()
        return x.grad

    both(run, rtol=1e-5)


def _hook_order(M) -> list:
    seen = []
    x = M.ones(2, requires_grad=True)
    a, b = x * 2, x * 3
    c = a + b
    d = c * a
    for t, name in ((a, "a"), (b, "b"), (c, "c"), (d, "d")):
        t.register_hook(lambda g, name=name, seen=seen: seen.append(name))
    d.sum().backward()
    return seen


def test_order_is_deterministic_and_matches_torch():
    assert _hook_order(ember) == _hook_order(ember) == _hook_order(torch)


def test_non_scalar_backward_needs_gradient():
    same_error(lambda M: (M.ones(3, requires_grad=True) * 2).backward())

    def run(M):
        x = M.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x * x).backward(M.tensor([1.0, 0.5, -1.0]))
        return x.grad

    both(run)


def test_one_element_non_scalar_backward_is_implicit():
    def run(M):
        x = M.tensor([[3.0]], requires_grad=True)
        (x * x).backward()
        return x.grad

    both(run)


def test_gradient_shape_mismatch():
    def run(M):
        (M.ones(3, requires_grad=True) * 2).backward(M.ones(2))

    same_error(run)


def test_second_backward_through_freed_graph():
    msg = same_error(lambda M: _twice(M))
    assert msg.startswith("Trying to backward through the graph a second time")


def _twice(M):
    x = M.ones(3, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    y.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return first, x.grad

    both(run, rtol=1e-5)


def test_backward_of_graph_without_saved_tensors_can_repeat():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()  # nothing saved, nothing freed: torch allows it
        return x.grad

    both(run)


def test_accumulation_across_calls_and_zeroing():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        for k in range(3):
            (x * float(k + 1)).sum().backward()
        g = x.grad.clone()
        x.grad.zero_()
        (x * x).sum().backward()
        return g, x.grad

    both(run)


def test_grad_of_output_not_requiring_grad():
    same_error(lambda M: M.ones(2).sum().backward())


def test_retain_grad_keeps_non_leaf_grads():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        z = y * y
        z.retain_grad()
        z.sum().backward()
        return y.grad, z.grad, y.retains_grad, x.retains_grad

    both(run)


def test_retain_grad_follows_in_place_changes_and_runs_after_hooks():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.mul_(3)  # y.grad is the gradient of the new y
        (y * y).sum().backward()
        x2 = M.tensor([1.0, 2.0], requires_grad=True)
        z = x2 * 2
        z.retain_grad()
        z.register_hook(lambda g: g * 10)  # registered later, still runs before retain_grad
        z.sum().backward()
        return y.grad, x.grad, z.grad, x2.grad

    both(run)


def test_hooks_on_non_leaf_and_leaf_and_removal():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        y = x * 3
        h1 = y.register_hook(lambda g: g * 10)
        h2 = y.register_hook(lambda g: seen.append(g.clone()))  # observes the modified grad
        hx = x.register_hook(lambda g: g + 1)
        (y * y).sum().backward(retain_graph=True)
        g1 = x.grad.clone()
        h1.remove()
        hx.remove()
        h2.remove()
        (y * y).sum().backward()
        return g1, x.grad, seen

    both(run)


def test_hook_on_tensor_not_requiring_grad_raises():
    same_error(lambda M: M.ones(2).register_hook(lambda g: g))


def test_autograd_grad_basic_and_grad_outputs():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        w = M.tensor([3.0, -1.0], requires_grad=True)
        y = x * w + x.exp()
        gx, gw = M.autograd.grad(y, (x, w), grad_outputs=M.tensor([1.0, 2.0]))
        return gx, gw, x.grad, w.grad  # .grad untouched

    both(run, rtol=1e-5)


def test_autograd_grad_errors_and_allow_unused():
    def used_once(M):
        x = M.ones(3, requires_grad=True)
        y = (x * x).sum()
        return M.autograd.grad(y, [x, M.ones(2, requires_grad=True)])

    same_error(used_once)

    def unused_ok(M):
        x = M.ones(3, requires_grad=True)
        y = (x * x).sum()
        return M.autograd.grad(y, [x, M.ones(2, requires_grad=True)], allow_unused=True)

    both(unused_ok)

    def input_without_grad(M):
        x = M.ones(3, requires_grad=True)
        return M.autograd.grad((x * x).sum(), M.ones(2))

    same_error(input_without_grad)

    def non_scalar(M):
        x = M.ones(3, requires_grad=True)
        return M.autograd.grad(x * x, x)

    same_error(non_scalar)

    def twice(M):
        x = M.ones(3, requires_grad=True)
        y = (x.exp()).sum()
        M.autograd.grad(y, x)
        M.autograd.grad(y, x)

    same_error(twice, upto="Saved intermediate")

    def retained(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp()).sum()
        a = M.autograd.grad(y, x, retain_graph=True)
        return a, M.autograd.grad(y, x)

    both(retained)


def test_autograd_grad_wrt_non_leaf():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        y = (h * h).sum()
        return M.autograd.grad(y, h)

    both(run)


def test_backward_inputs_argument():
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        w = M.tensor([3.0, 4.0], requires_grad=True)
        (x * w).sum().backward(inputs=[x])
        return x.grad, w.grad

    both(run)


# -- grad modes -----------------------------------------------------------------------------

def _records(M, x):
    return (x * 2).requires_grad


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode",
                                  "set_grad_enabled_false", "set_grad_enabled_true"])
def test_grad_modes_as_context_managers_and_decorators(mode):
    def make(M):
        return {
            "no_grad": M.no_grad, "enable_grad": M.enable_grad,
            "inference_mode": M.inference_mode,
            "set_grad_enabled_false": lambda: M.set_grad_enabled(False),
            "set_grad_enabled_true": lambda: M.set_grad_enabled(True),
        }[mode]

    def run(M):
        x = M.ones(2, requires_grad=True)
        results = []
        for outer in (M.enable_grad, M.no_grad):
            with outer():
                with make(M)():
                    results.append(_records(M, x))
                results.append(_records(M, x))  # restored on exit

                @make(M)()
                def f():
                    return _records(M, x)

                results.append(M.is_grad_enabled())  # decorating switches nothing
                results.append(f())
                results.append(_records(M, x))
        results.append(M.is_grad_enabled())
        return results

    both(run)


def test_set_grad_enabled_as_a_plain_call_and_functions():
    def run(M):
        x = M.ones(2, requires_grad=True)
        M.set_grad_enabled(False)
        try:
            off = (_records(M, x), M.is_grad_enabled())
        finally:
            M.set_grad_enabled(True)
        return off, _records(M, x), M.is_grad_enabled()

    both(run)


def test_inference_mode_false_and_decorator_on_generator_free_function():
    def run(M):
        x = M.ones(2, requires_grad=True)
        with M.no_grad():
            with M.inference_mode(False):
                inner = _records(M, x)
        return inner

    both(run)


def test_grad_mode_restored_after_exception():
    for M in (torch, ember):
        with pytest.raises(ValueError):
            with M.no_grad():
                raise ValueError
        assert M.is_grad_enabled()


# -- freeing the graph ----------------------------------------------------------------------

def test_graph_is_freed_after_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    y = (h * h).sum()
    node_refs = [weakref.ref(y.grad_fn), weakref.ref(h.grad_fn)]
    saved = weakref.ref(h.grad_fn._saved[0]) if h.grad_fn._saved else None
    h_ref = weakref.ref(h)
    y.backward()
    del y, h
    assert h_ref() is None  # without gc: no reference cycles
    assert all(r() is None for r in node_refs)
    if saved is not None:
        assert saved() is None
    gc.collect()
    assert x.grad is not None


def test_saved_arrays_released_by_backward_even_if_output_is_kept():
    x = ember.ones(1000, requires_grad=True)
    h = x.exp()
    y = (h * x).sum()
    mul_node = y.grad_fn.next_functions[0][0]
    assert mul_node._saved
    y.backward()
    assert mul_node._saved == ()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        _ = mul_node.saved_tensors


def test_no_reference_cycles_in_graph_construction():
    gc.collect()
    gc.disable()
    try:
        x = ember.ones(3, requires_grad=True)
        y = x
        refs = []
        for _ in range(10):
            y = (y * 2).tanh().reshape(3)[0:3]
            refs.append(weakref.ref(y.grad_fn))
        z = y.sum()
        z.backward()
        del y, z
        assert all(r() is None for r in refs)  # freed by reference counting alone
        # a graph that is never run is freed too
        y = (x * 2).exp()
        r = weakref.ref(y.grad_fn)
        del y
        assert r() is None
    finally:
        gc.enable()


def test_leaf_is_not_kept_alive_by_the_graph():
    x = ember.ones(3, requires_grad=True)
    y = (x * 2).sum()
    xr = weakref.ref(x)
    del x
    y.backward()  # the accumulator holds its leaf weakly: no error, nothing to accumulate into
    assert xr() is None


def test_detach_and_requires_grad_errors():
    same_error(lambda M: M.ones(2, dtype=M.int64).requires_grad_())
    same_error(lambda M: (M.ones(2, requires_grad=True) * 2).requires_grad_(False))

    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        d = y.detach()
        z = y * d  # d is a constant
        z.sum().backward()
        return x.grad, d.requires_grad, d.grad_fn is None

    both(run)


def test_backward_gives_nan_for_inf_times_zero_without_warnings():
    import warnings

    x = ember.tensor([np.inf, 1.0], requires_grad=True)
    w = ember.tensor([2.0, 3.0], requires_grad=True)
    y = x * w
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward(ember.tensor([0.0, 1.0]))  # dw = g * x has 0 * inf
    tx = torch.tensor([np.inf, 1.0], requires_grad=True)
    tw = torch.tensor([2.0, 3.0], requires_grad=True)
    (tx * tw).backward(torch.tensor([0.0, 1.0]))
    np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())  # [nan, 1]
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())

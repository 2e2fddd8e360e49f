"""One-line-per-op checks of Ember against torch (the oracle), forward and backward.

``check_op(inputs, torch_fn, ember_fn)`` builds identical inputs for both libraries, compares
the outputs (values, shape, dtype), then backpropagates the same *random* cotangent through
both and compares every input gradient. A ``.sum()`` cotangent would hide backward passes
that mix up elements; a random one does not.

Input specs (one per argument):
    tuple             a random float tensor of that shape (requires grad)
    np.ndarray        a tensor with that data: floating arrays are cast to the dtype under
                      test and require grad, other dtypes are used as they are, without grad
    Const(array)      a floating tensor in the dtype under test that does not require grad
    anything else     passed unchanged to both functions (Python scalars, dims, lists)
"""

from __future__ import annotations

import numpy as np
import torch

import ember

# Tolerances: float64 results differ from torch only by summation order and libm (a few ulp,
# amplified by cancellation), float32 ones by ~1e-7 relative per rounding step; reductions and
# products of O(10)-sized sums of O(1) terms keep the error near 1e-6 relative.
TOLS = {
    np.float64: dict(rtol=1e-7, atol=1e-9),
    np.float32: dict(rtol=1e-5, atol=1e-5),
}
DTYPES = (np.float64, np.float32)
SEED = 1234


class Const:
    """A floating input that does not require grad (masks, bounds, targets)."""

    def __init__(self, value) -> None:
        self.value = np.asarray(value)


def make_inputs(specs, dtype, *, low=-2.0, high=2.0, seed=SEED, noncontig=False):
    """Returns ``(torch_args, ember_args, torch_leaves, ember_leaves)`` with identical data.

    With ``noncontig``, every random tensor argument is a transposed view of its leaf, so the
    op receives a non-contiguous input.
    """
    rng = np.random.default_rng(seed)
    t_args, e_args, t_leaves, e_leaves = [], [], [], []
    for spec in specs:
        if isinstance(spec, tuple):
            shape = spec[::-1] if noncontig else spec
            arr = rng.uniform(low, high, size=shape).astype(dtype)
            t = torch.tensor(arr, requires_grad=True)
            e = ember.tensor(arr, requires_grad=True)
            t_leaves.append(t)
            e_leaves.append(e)
            if noncontig and len(spec) > 1:
                t, e = t.permute(*range(len(spec) - 1, -1, -1)), e.permute(
                    *range(len(spec) - 1, -1, -1))
            t_args.append(t)
            e_args.append(e)
        elif isinstance(spec, np.ndarray):
            if spec.dtype.kind == "f":
                arr = spec.astype(dtype)
                t = torch.tensor(arr, requires_grad=True)
                e = ember.tensor(arr, requires_grad=True)
                t_leaves.append(t)
                e_leaves.append(e)
            else:
                t, e = torch.tensor(spec), ember.tensor(spec)
            t_args.append(t)
            e_args.append(e)
        elif isinstance(spec, Const):
            arr = spec.value.astype(dtype) if spec.value.dtype.kind == "f" else spec.value
            t_args.append(torch.tensor(arr))
            e_args.append(ember.tensor(arr))
        else:
            t_args.append(spec)
            e_args.append(spec)
    return t_args, e_args, t_leaves, e_leaves


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flat(item)]
    return [out]


def assert_same(e_out, t_out, rtol, atol, what="output") -> None:
    """Asserts that an Ember result equals a torch result in type, dtype, shape and values."""
    if isinstance(t_out, torch.Tensor):
        assert isinstance(e_out, ember.Tensor), f"{what}: expected a Tensor, got {type(e_out)}"
        t_np = t_out.detach().numpy()
        e_np = e_out.detach()._data
        assert e_np.dtype == t_np.dtype, f"{what}: dtype {e_np.dtype} != torch {t_np.dtype}"
        assert e_np.shape == t_np.shape, f"{what}: shape {e_np.shape} != torch {t_np.shape}"
        np.testing.assert_allclose(e_np, t_np, rtol=rtol, atol=atol, err_msg=what)
    else:
        assert not isinstance(e_out, ember.Tensor) or e_out.ndim == 0, what
        assert type(e_out) is type(t_out) or isinstance(t_out, (int, float, bool)), what
        np.testing.assert_allclose(e_out, t_out, rtol=rtol, atol=atol, err_msg=what)


def check_op(inputs, torch_fn, ember_fn=None, *, dtypes=DTYPES, grad=True, low=-2.0,
             high=2.0, rtol=None, atol=None, noncontig=False, seed=SEED) -> None:
    """Checks ``ember_fn`` against ``torch_fn`` forward and backward in each dtype.

    Args:
        inputs: one spec per argument (see the module docstring).
        torch_fn: the reference, called with torch tensors.
        ember_fn: called with Ember tensors; the same as ``torch_fn`` when omitted (the
            common case: a lambda using methods and operators that both libraries share).
        dtypes: floating dtypes to run in.
        grad: also compare input gradients through a random cotangent.
        low, high: range of the uniform random inputs.
        rtol, atol: override the per-dtype tolerances.
        noncontig: feed transposed (non-contiguous) views of the random inputs.
    """
    ember_fn = torch_fn if ember_fn is None else ember_fn
    for dtype in dtypes:
        tol = dict(TOLS[dtype])
        if rtol is not None:
            tol["rtol"] = rtol
        if atol is not None:
            tol["atol"] = atol
        t_args, e_args, t_leaves, e_leaves = make_inputs(
            inputs, dtype, low=low, high=high, seed=seed, noncontig=noncontig)
        t_out = _flat(torch_fn(*t_args))
        e_out = _flat(ember_fn(*e_args))
        assert len(e_out) == len(t_out), f"{len(e_out)} outputs, torch gives {len(t_out)}"
        for i, (e, t) in enumerate(zip(e_out, t_out, strict=True)):
            out_tol = tol
            if isinstance(t, torch.Tensor) and t.dtype == torch.float32 and dtype != np.float32:
                out_tol = TOLS[np.float32]  # e.g. an integer input computed in float32
            assert_same(e, t, what=f"{np.dtype(dtype).name} output {i}", **out_tol)
        if not grad or not t_leaves:
            continue
        rng = np.random.default_rng(seed + 1)
        t_diff, e_diff, t_cot, e_cot = [], [], [], []
        for e, t in zip(e_out, t_out, strict=True):
            if isinstance(t, torch.Tensor) and t.requires_grad:
                assert e.requires_grad, "torch output requires grad, Ember's does not"
                c = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
                t_diff.append(t)
                e_diff.append(e)
                t_cot.append(torch.from_numpy(c))
                e_cot.append(ember.from_numpy(c.copy()))
        if not t_diff:
            continue
        torch.autograd.backward(t_diff, t_cot)
        ember.autograd.backward(e_diff, e_cot)
        for i, (e, t) in enumerate(zip(e_leaves, t_leaves, strict=True)):
            if t.grad is None:
                assert e.grad is None or not np.any(e.grad._data), f"grad {i}: torch has none"
                continue
            assert e.grad is not None, f"input {i} got no gradient"
            assert_same(e.grad, t.grad, what=f"{np.dtype(dtype).name} grad of input {i}", **tol)


def fn_pair(name: str, *args, **kwargs) -> tuple:
    """``(torch_fn, ember_fn)`` calling ``torch.<name>`` / ``ember.<name>`` on the inputs
    followed by ``args`` and ``kwargs``."""
    return (lambda *xs: getattr(torch, name)(*xs, *args, **kwargs),
            lambda *xs: getattr(ember, name)(*xs, *args, **kwargs))


def method(name: str, *args, **kwargs):
    """A function calling the method ``name`` of its first input with ``args``, ``kwargs``."""
    return lambda x, *xs: getattr(x, name)(*xs, *args, **kwargs)


def check_error(torch_fn, ember_fn=None, *, words=(), inputs=(), dtype=np.float32) -> None:
    """Asserts both libraries raise the same exception type and that both messages contain
    every one of ``words`` (key words of torch's message)."""
    ember_fn = torch_fn if ember_fn is None else ember_fn
    t_args, e_args, _, _ = make_inputs(inputs, dtype)
    try:
        torch_fn(*t_args)
    except Exception as exc:
        t_exc = exc
    else:
        raise AssertionError("torch did not raise")
    try:
        ember_fn(*e_args)
    except Exception as exc:
        e_exc = exc
    else:
        raise AssertionError(f"Ember did not raise (torch raises {type(t_exc).__name__})")
    # torch sometimes raises a private subclass (torch._C._LinAlgError); compare builtin bases
    t_type = next(c for c in type(t_exc).__mro__ if c.__module__ == "builtins")
    assert isinstance(e_exc, t_type), (
        f"Ember raised {type(e_exc).__name__}({e_exc}), torch {t_type.__name__}({t_exc})")
    for w in words:
        assert w in str(t_exc), f"key word {w!r} not in torch's message: {t_exc}"
        assert w in str(e_exc), f"key word {w!r} not in Ember's message: {e_exc}"


def gradcheck(fn, specs, *, low=-2.0, high=2.0, seed=SEED) -> bool:
    """Runs ``ember.autograd.gradcheck`` on float64 inputs built from ``specs``."""
    _, e_args, _, _ = make_inputs(specs, np.float64, low=low, high=high, seed=seed)
    return ember.autograd.gradcheck(fn, tuple(e_args))


def check_special(data, torch_fn, ember_fn=None, *, grads=None, dtype=np.float64,
                  rtol=1e-7, atol=1e-9) -> None:
    """Checks an op on given data (NaN, inf, zeros, ties allowed) against torch.

    Unlike :func:`check_op`, NaN must match NaN (same positions), and a gradient that torch
    leaves as None must be None in Ember too (not zeros).

    Args:
        data: one array-like per argument; each becomes a leaf that requires grad.
        torch_fn: the reference, called with torch tensors.
        ember_fn: called with Ember tensors (``torch_fn`` when omitted).
        grads: the cotangent(s) for the outputs (NaN allowed); ones when None.
        dtype: floating dtype of the leaves.
    """
    ember_fn = torch_fn if ember_fn is None else ember_fn
    arrays = [np.asarray(d, dtype=dtype) for d in data]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a.copy(), requires_grad=True) for a in arrays]
    t_out, e_out = _flat(torch_fn(*t_in)), _flat(ember_fn(*e_in))
    assert len(e_out) == len(t_out)
    t_diff, e_diff, t_cot, e_cot = [], [], [], []
    cots = grads if isinstance(grads, (list, tuple)) else [grads] * len(t_out)
    for k, (e, t) in enumerate(zip(e_out, t_out, strict=True)):
        if not isinstance(t, torch.Tensor):
            continue
        assert_same(e, t, rtol, atol, what=f"output {k}")
        if t.requires_grad:
            assert e.requires_grad, f"output {k}: torch's requires grad, Ember's does not"
            c = np.ones(tuple(t.shape)) if cots[k] is None else np.broadcast_to(
                np.asarray(cots[k], dtype=np.float64), tuple(t.shape))
            c = np.array(c, dtype=t.detach().numpy().dtype)
            t_diff.append(t)
            e_diff.append(e)
            t_cot.append(torch.from_numpy(c.copy()))
            e_cot.append(ember.from_numpy(c.copy()))
    if not t_diff:
        return
    torch.autograd.backward(t_diff, t_cot)
    ember.autograd.backward(e_diff, e_cot)
    for k, (e, t) in enumerate(zip(e_in, t_in, strict=True)):
        if t.grad is None:
            assert e.grad is None, f"grad {k}: torch has None, Ember {e.grad}"
            continue
        assert e.grad is not None, f"grad {k}: Ember has None, torch {t.grad}"
        assert_same(e.grad, t.grad, rtol, atol, what=f"grad of input {k}")

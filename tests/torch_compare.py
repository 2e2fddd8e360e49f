"""Comparing Ember with torch, the oracle: the one module the tests use for it.

Two ways to write a comparison:

* Code written once against either library, as a function of ``M`` (``torch`` or ``ember``)
  run on both: :func:`both` compares what it returns, :func:`same_error` the exception and its
  exact message, :func:`same_outcome` whichever of the two torch gives (and
  :func:`same_outcome_strict` the same, with torch's error class and message).
* An op under test, one line each: :func:`check_op` builds identical inputs from specs,
  compares the outputs (values, shape, dtype), then backpropagates the same *random* cotangent
  through both libraries and compares every input gradient (a ``.sum()`` cotangent would hide
  backward passes that mix up elements; a random one does not). :func:`check_special` does the
  same on given data (NaN, inf, ties), :func:`check_error` compares the exception raised, and
  :func:`gradcheck` runs finite differences on Ember alone.

Every comparison takes Ember's value first and torch's second (actual, then expected, as
``np.testing.assert_allclose`` does), and tolerances as keywords.

Input specs of :func:`check_op` and :func:`make_inputs` (one per argument):
    tuple             a random float tensor of that shape (requires grad)
    np.ndarray        a tensor with that data: floating arrays are cast to the dtype under
                      test and require grad, other dtypes are used as they are, without grad
    Const(array)      a floating tensor in the dtype under test that does not require grad
    anything else     passed unchanged to both functions (Python scalars, dims, lists)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


# -- values ---------------------------------------------------------------------------------

def to_numpy(value: Any) -> Any:
    """Converts tensors of either library to NumPy arrays, recursively through tuples and lists.

    Args:
        value: a torch or Ember tensor, a tuple or list of values, or anything else.

    Returns:
        The same structure with every tensor replaced by its (detached) array; other values
        are returned unchanged.

    Example:
        >>> to_numpy((torch.ones(2), [ember.zeros(1)], 3))
        (array([1., 1.], dtype=float32), [array([0.], dtype=float32)], 3)
    """
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    return value


def assert_same(e_value: Any, t_value: Any, *, rtol: float = 1e-6, atol: float = 1e-6,
                what: str = "result") -> None:
    """Asserts that an Ember result equals the torch result.

    A torch tensor must be matched by an Ember tensor and a NumPy array by an array, of the
    same dtype and shape, with values within ``rtol``/``atol`` (NaN matching NaN). Tuples and
    lists are compared item by item. Any other value (None, bool, int, float, str) must have
    the same type and be equal, NaN matching NaN: such values come from ``.item()``, shapes and
    attributes, which carry no rounding error.

    Args:
        e_value: Ember's result.
        t_value: torch's result.
        rtol: relative tolerance for tensor and array values.
        atol: absolute tolerance for tensor and array values.
        what: the name of the value in failure messages.

    Example:
        >>> assert_same(ember.ones(2) / 3, torch.ones(2) / 3, rtol=1e-7)
    """
    if isinstance(t_value, (tuple, list)):
        assert isinstance(e_value, (tuple, list)), f"{what}: {type(e_value)}, torch a sequence"
        assert len(e_value) == len(t_value), f"{what}: {len(e_value)} items, torch {len(t_value)}"
        for i, (e, t) in enumerate(zip(e_value, t_value, strict=True)):
            assert_same(e, t, rtol=rtol, atol=atol, what=f"{what}[{i}]")
        return
    if isinstance(t_value, (torch.Tensor, np.ndarray)):
        kind = ember.Tensor if isinstance(t_value, torch.Tensor) else np.ndarray
        assert isinstance(e_value, kind), f"{what}: expected a {kind.__name__}, got {type(e_value)}"
        e_np, t_np = to_numpy(e_value), to_numpy(t_value)
        assert e_np.dtype == t_np.dtype, f"{what}: dtype {e_np.dtype} != torch {t_np.dtype}"
        assert e_np.shape == t_np.shape, f"{what}: shape {e_np.shape} != torch {t_np.shape}"
        np.testing.assert_allclose(e_np, t_np, rtol=rtol, atol=atol, err_msg=what)
        return
    assert type(e_value) is type(t_value), f"{what}: {e_value!r}, torch {t_value!r}"
    both_nan = e_value != e_value and t_value != t_value
    assert e_value == t_value or both_nan, f"{what}: {e_value!r}, torch {t_value!r}"


def _flat(out: Any) -> list:
    """The leaves of nested tuples and lists, in order."""
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flat(item)]
    return [out]


# -- code written once for both libraries ---------------------------------------------------

def _outcome(fn: Callable, *args: Any) -> tuple[Any, BaseException | None]:
    """``(fn(*args), None)``, or ``(None, exc)`` when ``fn`` raises ``exc``."""
    try:
        return fn(*args), None
    except Exception as exc:
        return None, exc


def assert_same_kind(e_exc: BaseException | None, t_exc: BaseException,
                     words: tuple[str, ...] = ()) -> None:
    """Asserts that Ember raised the kind of error torch raised, with each of ``words``.

    torch sometimes raises a private subclass (``torch._C._LinAlgError``), so the kind is the
    first builtin class in the MRO of torch's exception.

    Args:
        e_exc: the exception Ember raised, or None if it did not raise.
        t_exc: the exception torch raised.
        words: key words of torch's message, which both messages must contain.
    """
    assert e_exc is not None, (
        f"Ember did not raise (torch raises {type(t_exc).__name__}: {t_exc})")
    t_type = next(c for c in type(t_exc).__mro__ if c.__module__ == "builtins")
    assert isinstance(e_exc, t_type), (
        f"Ember raised {type(e_exc).__name__}({e_exc}), torch {t_type.__name__}({t_exc})")
    for w in words:
        assert w in str(t_exc), f"key word {w!r} not in torch's message: {t_exc}"
        assert w in str(e_exc), f"key word {w!r} not in Ember's message: {e_exc}"


def both(fn: Callable, *, rtol: float = 1e-6, atol: float = 1e-6) -> Any:
    """Runs ``fn(M)`` with M = torch and M = ember and compares the results.

    Args:
        fn: code written once against either library; returns what to compare.
        rtol, atol: tolerances for tensor values (see :func:`assert_same`).

    Returns:
        Ember's result.

    Example:
        >>> both(lambda M: M.arange(4.0).exp().sum(0))
    """
    t_value = fn(torch)
    e_value = fn(ember)
    assert_same(e_value, t_value, rtol=rtol, atol=atol)
    return e_value


def same_error(fn: Callable, exc: type[BaseException] = RuntimeError,
               prefix_len: int | None = None, upto: str | None = None) -> str:
    """Asserts that both libraries raise ``exc`` from ``fn(M)`` with the same message.

    Ember's message (with ``torch.`` read as ``ember.``) must equal torch's, or its first
    ``prefix_len`` characters, or everything before ``upto``.

    Args:
        fn: code written once against either library.
        exc: the exception class both must raise.
        prefix_len: compare only this many leading characters.
        upto: compare only the text before this marker (which both messages contain).

    Returns:
        Ember's message.

    Example:
        >>> same_error(lambda M: M.ones(2).sum().backward())
    """
    messages = []
    for M in (torch, ember):
        _, raised = _outcome(fn, M)
        if not isinstance(raised, exc):
            raise AssertionError(f"{M.__name__} did not raise {exc.__name__}") from raised
        messages.append(str(raised).replace("torch.", "ember."))
    e_msg, t_msg = messages[1], messages[0]
    if upto is not None:
        assert upto in t_msg and upto in e_msg, (e_msg, t_msg)
        assert e_msg[:e_msg.index(upto)] == t_msg[:t_msg.index(upto)], (e_msg, t_msg)
    elif prefix_len is None:
        assert e_msg == t_msg
    else:
        assert e_msg[:prefix_len] == t_msg[:prefix_len], (e_msg, t_msg)
    return e_msg


def same_outcome(fn: Callable, *, words: tuple[str, ...] = (), rtol: float = 1e-6,
                 atol: float = 1e-8) -> None:
    """Runs ``fn(torch)`` and ``fn(ember)``: equal results, or the same kind of error.

    When torch returns, Ember must return the same values (nested outputs are flattened and
    compared one by one, see :func:`assert_same`); when torch raises, Ember must raise the same
    kind of error with each of ``words`` in both messages (see :func:`assert_same_kind`).

    Args:
        fn: code written once against either library.
        words: key words of torch's message, used when torch raises.
        rtol, atol: tolerances for tensor values.

    Example:
        >>> same_outcome(lambda M: M.ones(2, 3) @ M.ones(2, 3), words=("cannot be multiplied",))
    """
    t_out, t_exc = _outcome(fn, torch)
    e_out, e_exc = _outcome(fn, ember)
    if t_exc is not None:
        assert_same_kind(e_exc, t_exc, words)
        return
    if e_exc is not None:
        raise AssertionError(f"Ember raised {type(e_exc).__name__}: {e_exc}") from e_exc
    assert_same(_flat(e_out), _flat(t_out), rtol=rtol, atol=atol)


def same_outcome_strict(fn: Callable, *, words: tuple[str, ...] | None = None,
                        rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """:func:`same_outcome`, with an error held to torch's very class and to its message.

    When torch raises, Ember must raise an exception of the same class name (not only of the
    same builtin kind), and both messages must contain each of ``words``; without ``words``,
    Ember's message must contain torch's up to its first colon, which is the whole message when
    it has no colon (in both, ``torch.`` is read as ``ember.``); ``words=()`` checks the class
    alone.

    Args:
        fn: code written once against either library.
        words: key words of torch's message; None for torch's message up to its first colon.
        rtol, atol: tolerances for tensor values.

    Example:
        >>> same_outcome_strict(lambda M: M.ones(2).add_(M.ones(3, 2)))
    """
    t_out, t_exc = _outcome(fn, torch)
    e_out, e_exc = _outcome(fn, ember)
    if t_exc is None:
        if e_exc is not None:
            raise AssertionError(f"Ember raised {type(e_exc).__name__}: {e_exc}") from e_exc
        assert_same(_flat(e_out), _flat(t_out), rtol=rtol, atol=atol)
        return
    assert e_exc is not None, (
        f"Ember did not raise (torch raises {type(t_exc).__name__}: {t_exc})")
    assert type(e_exc).__name__ == type(t_exc).__name__, (
        f"Ember raised {type(e_exc).__name__}({e_exc}), torch {type(t_exc).__name__}({t_exc})")
    t_msg, e_msg = (str(exc).replace("torch.", "ember.") for exc in (t_exc, e_exc))
    for w in (t_msg.split(":")[0],) if words is None else words:
        assert w in t_msg, f"key word {w!r} not in torch's message: {t_exc}"
        assert w in e_msg, f"{w!r} not in Ember's message: {e_exc} (torch: {t_exc})"


# -- ops from input specs --------------------------------------------------------------------

class Const:
    """A floating input that does not require grad (masks, bounds, targets).

    Args:
        value: the data (array-like); cast to the dtype under test when floating.
    """

    def __init__(self, value: Any) -> None:
        self.value = np.asarray(value)


def _leaf_pair(arr: np.ndarray) -> tuple[torch.Tensor, ember.Tensor]:
    return torch.tensor(arr, requires_grad=True), ember.tensor(arr, requires_grad=True)


def make_inputs(specs, dtype, *, low=-2.0, high=2.0, seed=SEED, noncontig=False) -> tuple:
    """Builds identical inputs for torch and Ember from specs (see the module docstring).

    Args:
        specs: one spec per argument.
        dtype: the floating NumPy dtype under test.
        low, high: range of the uniform random inputs.
        seed: seed of the random inputs.
        noncontig: make every random tensor argument a transposed view of its leaf, so the op
            receives a non-contiguous input.

    Returns:
        ``(torch_args, ember_args, torch_leaves, ember_leaves)``; the leaves are the tensors
        that require grad.

    Example:
        >>> t_args, e_args, _, _ = make_inputs([(2, 3), 1], np.float64)
    """
    rng = np.random.default_rng(seed)
    t_args, e_args, t_leaves, e_leaves = [], [], [], []
    for spec in specs:
        t = e = spec
        if isinstance(spec, tuple):
            shape = spec[::-1] if noncontig else spec
            t, e = _leaf_pair(rng.uniform(low, high, size=shape).astype(dtype))
            t_leaves.append(t)
            e_leaves.append(e)
            if noncontig and len(spec) > 1:
                order = range(len(spec) - 1, -1, -1)
                t, e = t.permute(*order), e.permute(*order)
        elif isinstance(spec, np.ndarray) and spec.dtype.kind == "f":
            t, e = _leaf_pair(spec.astype(dtype))
            t_leaves.append(t)
            e_leaves.append(e)
        elif isinstance(spec, np.ndarray):
            t, e = torch.tensor(spec), ember.tensor(spec)
        elif isinstance(spec, Const):
            arr = spec.value.astype(dtype) if spec.value.dtype.kind == "f" else spec.value
            t, e = torch.tensor(arr), ember.tensor(arr)
        t_args.append(t)
        e_args.append(e)
    return t_args, e_args, t_leaves, e_leaves


def _backward_both(e_out: list, t_out: list, cotangent: Callable) -> bool:
    """Backpropagates ``cotangent(k, torch_output)`` (an array) through each differentiable
    output of both libraries; returns False when torch has no differentiable output."""
    t_diff, e_diff, t_cot, e_cot = [], [], [], []
    for k, (e, t) in enumerate(zip(e_out, t_out, strict=True)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert e.requires_grad, f"output {k}: torch's requires grad, Ember's does not"
            c = cotangent(k, t)
            t_diff.append(t)
            e_diff.append(e)
            t_cot.append(torch.from_numpy(c.copy()))
            e_cot.append(ember.from_numpy(c.copy()))
    if not t_diff:
        return False
    torch.autograd.backward(t_diff, t_cot)
    ember.autograd.backward(e_diff, e_cot)
    return True


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
        seed: seed of the random inputs (the cotangent uses ``seed + 1``).

    Example:
        >>> check_op([(3, 4), (4,)], lambda a, b: a * b.exp())
    """
    ember_fn = torch_fn if ember_fn is None else ember_fn
    for dtype in dtypes:
        name = np.dtype(dtype).name
        tol = dict(TOLS[dtype])
        tol.update({k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None})
        t_args, e_args, t_leaves, e_leaves = make_inputs(
            inputs, dtype, low=low, high=high, seed=seed, noncontig=noncontig)
        t_out = _flat(torch_fn(*t_args))
        e_out = _flat(ember_fn(*e_args))
        assert len(e_out) == len(t_out), f"{len(e_out)} outputs, torch gives {len(t_out)}"
        for i, (e, t) in enumerate(zip(e_out, t_out, strict=True)):
            out_tol = tol
            if isinstance(t, torch.Tensor) and t.dtype == torch.float32 and dtype != np.float32:
                out_tol = TOLS[np.float32]  # e.g. an integer input computed in float32
            assert_same(e, t, what=f"{name} output {i}", **out_tol)
        if not grad or not t_leaves:
            continue
        if _backward_both(e_out, t_out, _random_cotangents(seed + 1)):
            _compare_grads(e_leaves, t_leaves, what=f"{name} grad of input", **tol)


def _random_cotangents(seed: int) -> Callable:
    """Cotangents drawn from a standard normal, one per output, in the output's dtype."""
    rng = np.random.default_rng(seed)
    return lambda k, t: rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)


def _compare_grads(e_leaves: list, t_leaves: list, *, what: str, rtol: float,
                   atol: float) -> None:
    """Compares the gradients of the leaves; where torch has none, Ember's is None or zero."""
    for i, (e, t) in enumerate(zip(e_leaves, t_leaves, strict=True)):
        if t.grad is None:
            assert e.grad is None or not np.any(e.grad.numpy()), f"grad {i}: torch has none"
            continue
        assert e.grad is not None, f"input {i} got no gradient"
        assert_same(e.grad, t.grad, rtol=rtol, atol=atol, what=f"{what} {i}")


def _attribute(lib, name: str):
    """``lib.<name>`` for a dotted ``name`` such as ``"nn.functional.relu"``."""
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def fn_pair(name: str, *args, **kwargs) -> tuple[Callable, Callable]:
    """The pair ``(torch_fn, ember_fn)`` calling ``torch.<name>`` / ``ember.<name>``.

    Args:
        name: the function's name, dotted for submodules (``"nn.functional.relu"``).
        *args, **kwargs: passed after the inputs.

    Returns:
        Two functions of the inputs, for :func:`check_op` and :func:`check_special`.

    Example:
        >>> check_op([(3, 4)], *fn_pair("sum", 1, keepdim=True))
    """
    return (lambda *xs: _attribute(torch, name)(*xs, *args, **kwargs),
            lambda *xs: _attribute(ember, name)(*xs, *args, **kwargs))


def method(name: str, *args, **kwargs) -> Callable:
    """A function calling the method ``name`` of its first input with ``args``, ``kwargs``.

    Example:
        >>> check_op([(3, 4)], method("sum", 1))
    """
    return lambda x, *xs: getattr(x, name)(*xs, *args, **kwargs)


def check_error(torch_fn, ember_fn=None, *, words=(), inputs=(), dtype=np.float32) -> None:
    """Asserts both libraries raise the same kind of exception (see :func:`assert_same_kind`).

    Args:
        torch_fn: the reference, called with torch inputs.
        ember_fn: called with Ember inputs (``torch_fn`` when omitted).
        words: key words of torch's message, which both messages must contain.
        inputs: input specs (see the module docstring).
        dtype: floating dtype of the inputs.

    Example:
        >>> check_error(lambda x: x.sum(5), words=("Dimension out of range",), inputs=[(2,)])
    """
    ember_fn = torch_fn if ember_fn is None else ember_fn
    t_args, e_args, _, _ = make_inputs(inputs, dtype)
    _, t_exc = _outcome(torch_fn, *t_args)
    if t_exc is None:
        raise AssertionError("torch did not raise")
    _, e_exc = _outcome(ember_fn, *e_args)
    assert_same_kind(e_exc, t_exc, words)


def gradcheck(fn, specs, *, low=-2.0, high=2.0, seed=SEED) -> bool:
    """Runs ``ember.autograd.gradcheck`` on float64 inputs built from ``specs``.

    Example:
        >>> assert gradcheck(lambda x: x.tanh(), [(3,)])
    """
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
        rtol, atol: tolerances of values and gradients.

    Example:
        >>> check_special([[0.0, float("nan")]], lambda x: x.relu())
    """
    ember_fn = torch_fn if ember_fn is None else ember_fn
    arrays = [np.asarray(d, dtype=dtype) for d in data]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a.copy(), requires_grad=True) for a in arrays]
    t_out, e_out = _flat(torch_fn(*t_in)), _flat(ember_fn(*e_in))
    assert len(e_out) == len(t_out)
    for k, (e, t) in enumerate(zip(e_out, t_out, strict=True)):
        if isinstance(t, torch.Tensor):
            assert_same(e, t, rtol=rtol, atol=atol, what=f"output {k}")
    cots = grads if isinstance(grads, (list, tuple)) else [grads] * len(t_out)

    def cotangent(k: int, t: torch.Tensor) -> np.ndarray:
        c = np.ones(tuple(t.shape)) if cots[k] is None else np.broadcast_to(
            np.asarray(cots[k], dtype=np.float64), tuple(t.shape))
        return np.array(c, dtype=t.detach().numpy().dtype)

    if not _backward_both(e_out, t_out, cotangent):
        return
    for k, (e, t) in enumerate(zip(e_in, t_in, strict=True)):
        if t.grad is None:
            assert e.grad is None, f"grad {k}: torch has None, Ember {e.grad}"
            continue
        assert e.grad is not None, f"grad {k}: Ember has None, torch {t.grad}"
        assert_same(e.grad, t.grad, rtol=rtol, atol=atol, what=f"grad of input {k}")

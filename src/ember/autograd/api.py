"""``backward`` and ``grad``: checking the roots, running the engine, delivering gradients.

:func:`backward` accumulates into the leaves' ``.grad`` (taking an engine-made gradient array
over without a copy when nothing else holds it, as PyTorch does); :func:`grad` returns the
gradients instead. Both hand the graph walk to :func:`ember.autograd.engine.run_backward`.
"""

from __future__ import annotations

import sys

import numpy as np

from ember.autograd.engine import run_backward
from ember.autograd.graph import AccumulateGrad
from ember.autograd.history import call_hooks, edge_of
from ember.backend import CPU
from ember.tensor.core import Size, Tensor

__all__ = ["backward", "grad"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Computes gradients of ``tensors`` and accumulates them into the leaves' ``.grad``.

    Args:
        tensors: a tensor or sequence of tensors to differentiate.
        grad_tensors: the gradient w.r.t. each tensor (None for scalars).
        retain_graph: keep the graph's saved values for another backward.
        create_graph: not supported (higher-order gradients are not implemented).
        inputs: if given, accumulate only into these tensors (leaves, or non-leaves whose
            gradient is then kept in their ``.grad``).

    Example:
        >>> x = ember.ones(3, requires_grad=True)
        >>> ember.autograd.backward((x * x).sum())
        >>> x.grad
        tensor([2., 2., 2.])
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    roots, grads = _roots(tensors, grad_tensors)
    if inputs is None:
        run_backward(roots, grads, bool(retain_graph), _deliver_to_leaf)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    captured = _capture(roots, grads, retain_graph, inputs, run_wanted=True)
    for t, g in zip(inputs, captured, strict=True):
        if g is None or (t.grad_fn is not None and t.retains_grad):
            continue  # a retained non-leaf got its gradient from its hook already
        if t.grad is None:
            t.grad = Tensor._make(np.array(g, copy=True))
        else:
            t.grad._data += g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of ``outputs`` w.r.t. ``inputs`` without touching ``.grad``.

    Args:
        outputs: tensor or sequence of tensors to differentiate.
        inputs: tensor or sequence of tensors to differentiate with respect to.
        grad_outputs: gradient w.r.t. each output (None for scalar outputs).
        retain_graph: keep the graph for another backward.
        allow_unused: if False, raise when an input is not reached; if True return None.
        materialize_grads: return zeros instead of None for unused inputs.

    Returns:
        A tuple with one gradient (Tensor or None) per input.

    Example:
        >>> x = ember.tensor([1., 2.], requires_grad=True)
        >>> ember.autograd.grad((x ** 2).sum(), x)
        (tensor([2., 4.]),)
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    roots, grads = _roots(outputs, grad_outputs)
    captured = _capture(roots, grads, retain_graph, inputs, run_wanted=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured, strict=True)):
        if g is not None:
            result.append(Tensor._make(np.array(g, copy=True)))
        elif not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior."
            )
        else:
            result.append(Tensor._make(np.zeros_like(t._data)) if materialize_grads else None)
    return tuple(result)


def _roots(tensors: list, grad_tensors) -> tuple[list, list]:
    """The root edges and their gradients (arrays), with PyTorch's checks."""
    roots = []
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        roots.append(edge_of(t))
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"got {len(grad_tensors)} tensors and {len(tensors)} gradients")
    return roots, [_root_grad(i, t, g) for i, (t, g) in
                   enumerate(zip(tensors, grad_tensors, strict=True))]


def _root_grad(i: int, tensor, grad) -> np.ndarray:
    data = tensor._data
    if grad is None:
        if data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones(data.shape, dtype=data.dtype)
    arr = grad._data if isinstance(grad, Tensor) else np.asarray(grad, dtype=data.dtype)
    if arr.shape != data.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of {Size(arr.shape)!r} and "
            f"output[{i}] has a shape of {Size(data.shape)!r}."
        )
    return arr.astype(data.dtype, copy=False)


def _capture(roots, grads, retain_graph, inputs: list, run_wanted: bool) -> list:
    """Runs backward for the gradients of ``inputs`` only; returns them (None where none
    arrived)."""
    at: dict = {}
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        at.setdefault(edge_of(t), []).append(i)
    captured = [None] * len(inputs)

    def keep(node, slots):
        for nr, g in enumerate(slots):
            for i in at.get((node, nr), ()):
                captured[i] = g

    run_backward(roots, grads, bool(retain_graph), keep, wanted={n for n, _ in at},
                 run_wanted=run_wanted)
    return captured


def _deliver_to_leaf(node: AccumulateGrad, slots: list) -> None:
    _accumulate_into_leaf(node, slots[0])


def _accumulate_into_leaf(node: AccumulateGrad, grad) -> None:
    leaf = node.variable
    if leaf is None:
        return
    hooked = bool(leaf._hooks)
    if hooked:
        grad = call_hooks(leaf._hooks, grad)
    if grad.dtype != leaf._data.dtype:
        grad = grad.astype(leaf._data.dtype)
    if leaf.grad is None:
        if not hooked and _engine_owns(grad):
            leaf.grad = Tensor._make(grad)  # take the buffer over, as PyTorch does
        else:
            leaf.grad = Tensor._make(np.array(grad, copy=True, order="C"))
    else:
        leaf.grad._data += grad
        leaf.grad._version_counter.value += 1


def _engine_owns(grad: np.ndarray) -> bool:
    """True if only the engine references ``grad``, so ``.grad`` may take it without a copy.

    The references are then the engine's slot list and the two frames' arguments on the
    way here (one fewer for an array the caller made); any other holder (a user's gradient
    tensor, another leaf's slot, a saved array) adds one. ``_OWNED_REFS`` is measured once
    through the same call shape, so the count holds on any Python version. The array must
    also own its memory, alone or as the only view of a base nothing else holds
    (the backend's ``exclusive``; not a broadcast), and be writable.
    """
    return (grad.flags.writeable and grad.flags.c_contiguous
            and sys.getrefcount(grad) <= _OWNED_REFS
            and (grad.base is None or CPU.exclusive(grad)))


def _count_owned_refs() -> int:
    """The reference count an engine-owned array shows in ``_engine_owns`` (a list slot,
    then two frames), measured through the same call shape."""

    def owns(arr):
        return sys.getrefcount(arr)

    def accumulate(arr):
        return owns(arr)

    slots = [np.empty(1)]
    return accumulate(slots[0])


_OWNED_REFS = _count_owned_refs()

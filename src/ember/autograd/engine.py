"""The backward engine: walks the graph from outputs to leaves without recursion.

Nodes run in a deterministic order: a node is ready once every node that feeds it a gradient
has run; among ready nodes the most recently created runs first (as in PyTorch), and leaf
accumulators run as soon as they are ready.
"""

from __future__ import annotations

import heapq
import sys

import numpy as np

from ember import memory
from ember._fpstate import quiet_region
from ember.autograd.function import AccumulateGrad, _edge_of
from ember.autograd.grad_mode import no_grad

__all__ = ["backward", "grad"]


def _root_edges(tensors) -> list:
    edges = []
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        edges.append(_edge_of(t))
    return edges


def _root_grads(tensors, grad_tensors, create_graph_hint: str) -> list:
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            f"got {len(grad_tensors)} tensors and {len(tensors)} gradients"
        )
    grads = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors, strict=True)):
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grads.append(np.ones(t._data.shape, dtype=t._data.dtype))
            continue
        arr = g._data if hasattr(g, "_data") else np.asarray(g, dtype=t._data.dtype)
        if arr.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(arr.shape)!r} and "
                f"output[{i}] has a shape of {Size(t._data.shape)!r}."
            )
        grads.append(arr.astype(t._data.dtype, copy=False))
    return grads


def _accumulate(buffers: dict, node, nr: int, grad) -> None:
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * max(len(node._out_meta), nr + 1, 1)
    elif nr >= len(slots):
        slots.extend([None] * (nr + 1 - len(slots)))
    prev = slots[nr]
    slots[nr] = grad if prev is None else prev + grad


def _call_hooks(hooks, grad):
    for hook in list(hooks):
        result = hook(Tensor._make(grad))
        if result is not None:
            grad = result._data
    return grad


def _walk(root_nodes, with_parents: bool = False) -> tuple[dict, dict]:
    """Counts, for every node reachable from the roots, the edges that point into it, and
    (if asked) lists each node's parents (the nodes whose edges point into it)."""
    deps: dict = {}
    parents: dict = {}
    stack = []
    for node in root_nodes:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            child = edge[0]
            if with_parents:
                parents.setdefault(child, []).append(node)
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                stack.append(child)
    return deps, parents


def _needed(targets, parents) -> set:
    """The nodes that lie on a path from a root to one of ``targets`` (targets included)."""
    needed = set()
    stack = list(targets)
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


def _prune(deps: dict, needed: set) -> dict:
    """The dependency counts of the subgraph of ``needed`` nodes."""
    pruned = dict.fromkeys(needed, 0)
    for node in needed:
        for edge in node.next_functions:
            if edge is not None and edge[0] in pruned:
                pruned[edge[0]] += 1
    return pruned


def _shape_error(node, index: int, got: tuple, expected: tuple) -> RuntimeError:
    return RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {index} - got "
        f"{list(got)} but expected shape compatible with {list(expected)}"
    )


def _checked(node, index: int, grad, child, nr: int):
    """``grad`` as the gradient of the tensor behind ``(child, nr)``: exactly its shape (a
    wrong one is an error naming ``node``), cast to its dtype."""
    if type(child) is AccumulateGrad:
        leaf = child.variable_ref()
        if leaf is None:
            return grad
        shape, dtype = leaf._data.shape, leaf._data.dtype
    else:
        meta = child._out_meta
        if nr >= len(meta) or meta[nr] is None:
            return grad
        shape, dtype = meta[nr]
    if grad.shape != shape:
        raise _shape_error(node, index, grad.shape, shape)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _run_node(node, slots: list) -> tuple:
    """Runs ``node``'s backward on its output gradients; one gradient (or None) per edge."""
    n_edges = len(node.next_functions)
    for g in slots:
        if g is not None:
            break
    else:
        return (None,) * n_edges
    in_grads = node._apply(slots)
    if len(in_grads) < n_edges:  # trailing Nones left out
        in_grads = tuple(in_grads) + (None,) * (n_edges - len(in_grads))
    if node._post_hooks:
        for hook in node._post_hooks:
            hook(in_grads, slots)
    return in_grads


def _capture_targets(capture) -> dict:
    """``{(node, output_nr): [indices into capture]}`` for ``autograd.grad`` / ``inputs=``."""
    capture_at: dict = {}
    for i, t in enumerate(capture):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture_at.setdefault(_edge_of(t), []).append(i)
    return capture_at


def run_backward(tensors, grad_tensors, retain_graph: bool, capture=None,
                 run_captured: bool = False) -> list | None:
    """Runs backward from ``tensors``, without NumPy's floating-point warnings.

    As in PyTorch, an ``inf * 0`` in a gradient formula gives NaN silently.

    Args:
        tensors: output tensors to differentiate.
        grad_tensors: their gradients (None for implicit ones of scalars).
        retain_graph: keep saved values so the graph can be run again.
        capture: for ``autograd.grad`` and ``backward(inputs=...)``, the tensors whose
            gradients to return instead of accumulating into leaves' ``.grad``; only the part
            of the graph that leads to them runs.
        run_captured: also run the nodes of captured non-leaf tensors, as PyTorch's
            ``backward(inputs=...)`` does (``autograd.grad`` does not).

    Returns:
        The captured gradients as arrays (None where none arrived), or None.
    """
    with quiet_region():
        return _run_backward(tensors, grad_tensors, retain_graph, capture, run_captured)


def _run_backward(tensors, grad_tensors, retain_graph: bool, capture,
                  run_captured: bool) -> list | None:
    edges = _root_edges(tensors)
    grads = _root_grads(tensors, grad_tensors, "")
    buffers: dict = {}
    for (node, nr), g in zip(edges, grads, strict=True):
        _accumulate(buffers, node, nr, g)
    deps, parents = _walk([e[0] for e in edges], with_parents=capture is not None)
    captured = capture_at = None
    execute = None  # every node runs, unless only some gradients are wanted
    if capture is not None:
        captured = [None] * len(capture)
        capture_at = _capture_targets(capture)
        needed = _needed({node for node, _ in capture_at}, parents) & deps.keys()
        deps = _prune(deps, needed)
        # a captured node runs only if a gradient is wanted further down its graph
        execute = needed if run_captured else {n for n in needed if any(
            e is not None and e[0] in needed for e in n.next_functions)}

    ready = []
    order = 0
    for node in {e[0]: None for e in edges}:
        if deps.get(node) == 0:
            heapq.heappush(ready, (-node._seq, order, node))
            order += 1

    heappop, heappush = heapq.heappop, heapq.heappush
    with no_grad():
        while ready:
            node = heappop(ready)[2]
            slots = buffers.pop(node, None) or [None]
            if node._pre_hooks:
                for nr, hooks in node._pre_hooks.items():
                    if nr < len(slots) and slots[nr] is not None and hooks:
                        slots[nr] = _call_hooks(hooks, slots[nr])
            if capture_at is not None:
                for nr, g in enumerate(slots):
                    for i in capture_at.get((node, nr), ()):
                        captured[i] = g
                if node not in execute:
                    continue
            if type(node) is AccumulateGrad:
                if capture is None and slots[0] is not None:
                    _accumulate_into_leaf(node, slots[0])
                continue
            in_grads = _run_node(node, slots)
            if not retain_graph:
                node._release()
            for i, (edge, g) in enumerate(zip(node.next_functions, in_grads, strict=False)):
                if edge is None:
                    continue
                child, nr = edge
                left = deps.get(child)
                if left is None:
                    continue  # not on a path to a wanted gradient
                if g is not None:
                    g = _checked(node, i, g, child, nr)
                    child_slots = buffers.get(child)
                    if child_slots is not None and nr < len(child_slots):
                        prev = child_slots[nr]
                        child_slots[nr] = g if prev is None else prev + g
                    else:
                        _accumulate(buffers, child, nr, g)
                deps[child] = left - 1
                if left == 1:
                    heappush(ready, (-child._seq, order, child))
                    order += 1
            in_grads = g = None  # hold no gradient past its node, so a leaf can take it over
    return captured


def _engine_owns(grad: np.ndarray) -> bool:
    """True if only the engine references ``grad``, so ``.grad`` may take it without a copy.

    From ``_accumulate_into_leaf`` the references are the engine's slot list and the two
    frames' arguments (measured once by ``_calibrate_owned_refs``; one fewer for an array the
    caller made); any other holder (a user's gradient tensor, another leaf's slot, a saved
    array) adds one.
    The array must also own its memory, alone or as the only view of a base nothing else
    holds (``ember.memory.is_exclusive_view``; not a broadcast), and be writable.
    """
    return (grad.flags.writeable and grad.flags.c_contiguous
            and sys.getrefcount(grad) <= _OWNED_REFS
            and (grad.base is None or memory.is_exclusive_view(grad)))


def _calibrate_owned_refs() -> int:
    """The reference count an engine-owned array shows in ``_engine_owns``, measured through
    the same call shape (a list slot, two frames), so it holds on any Python version."""

    def owns(arr):
        return sys.getrefcount(arr)

    def accumulate(arr):
        return owns(arr)

    slots = [np.empty(1)]
    return accumulate(slots[0])


_OWNED_REFS = _calibrate_owned_refs()


def _accumulate_into_leaf(node: AccumulateGrad, grad) -> None:
    leaf = node.variable
    if leaf is None:
        return
    hooked = bool(leaf._hooks)
    if hooked:
        grad = _call_hooks(leaf._hooks, grad)
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


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Computes gradients of ``tensors`` and accumulates them into the leaves' ``.grad``.

    Args:
        tensors: a tensor or sequence of tensors to differentiate.
        grad_tensors: the gradient w.r.t. each tensor (None for scalars).
        retain_graph: keep the graph's saved values for another backward.
        create_graph: not supported (higher-order gradients are not implemented).
        inputs: if given, accumulate only into these leaves.
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        captured = run_backward(tensors, grad_tensors, bool(retain_graph), capture=inputs,
                                run_captured=True)
        for t, g in zip(inputs, captured, strict=True):
            if g is None or (t.grad_fn is not None and t.retains_grad):
                continue  # a retained non-leaf got its gradient from its hook already
            if t.grad is None:
                t.grad = Tensor._make(np.array(g, copy=True))
            else:
                t.grad._data += g
        return
    run_backward(tensors, grad_tensors, bool(retain_graph))


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
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    captured = run_backward(outputs, grad_outputs, bool(retain_graph), capture=inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured, strict=True)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(Tensor._make(np.zeros_like(t._data)) if materialize_grads else None)
        else:
            result.append(Tensor._make(np.array(g, copy=True)))
    return tuple(result)


# Imported last and once (tensor.py imports this module): an import inside the functions ran
# on every backward.
from ember.tensor import Size, Tensor  # noqa: E402

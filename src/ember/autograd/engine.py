"""The backward engine: walks the graph from root gradients to the leaves, without recursion.

A node is ready once every node that feeds it a gradient has run; among ready nodes the most
recently created runs first (as in PyTorch), leaf accumulators as soon as they are ready.
Where gradients end up (``.grad``, or the caller of ``autograd.grad``) is :mod:`.api`'s part.
"""

from __future__ import annotations

import heapq

from ember._fpstate import quiet_region
from ember.autograd.grad_mode import no_grad
from ember.autograd.graph import AccumulateGrad
from ember.autograd.history import call_hooks

__all__ = ["run_backward"]


def run_backward(roots: list, grads: list, retain_graph: bool, deliver, wanted=None,
                 run_wanted: bool = False) -> None:
    """Runs backward from the root edges, silently as PyTorch (no NumPy warnings).

    Args:
        roots: the ``(node, output_nr)`` edge of each output to differentiate.
        grads: the gradient (an array) for each root.
        retain_graph: keep saved values so the graph can be run again.
        deliver: ``deliver(node, slots)`` receives the gradients of a leaf accumulator (when
            ``wanted`` is None) or of every node in ``wanted``.
        wanted: for ``autograd.grad`` and ``backward(inputs=...)``, the nodes whose gradients
            are wanted: only the part of the graph that leads to them runs.
        run_wanted: also run the wanted nodes themselves, as PyTorch's
            ``backward(inputs=...)`` does for non-leaf inputs (``autograd.grad`` does not).
    """
    buffers: dict = {}
    for (node, nr), g in zip(roots, grads, strict=True):
        _add(buffers, node, nr, g)
    deps, parents = _walk([e[0] for e in roots], with_parents=wanted is not None)
    execute = None  # every node runs, unless only some gradients are wanted
    if wanted is not None:
        needed = _reaching(wanted, parents) & deps.keys()
        deps = _prune(deps, needed)
        # a wanted node runs only if a gradient is wanted further down its graph
        execute = needed if run_wanted else {n for n in needed if any(
            e is not None and e[0] in needed for e in n.next_functions)}
    with quiet_region(), no_grad():
        _run(roots, buffers, deps, retain_graph, deliver, wanted, execute)


def _run(roots, buffers, deps, retain_graph, deliver, wanted, execute) -> None:
    ready: list = []
    order = 0
    for node in {e[0]: None for e in roots}:
        if deps.get(node) == 0:
            heapq.heappush(ready, (-node._seq, order, node))
            order += 1
    while ready:
        node = heapq.heappop(ready)[2]
        slots = buffers.pop(node, None) or [None]
        if node._pre_hooks:
            _run_pre_hooks(node, slots)
        if wanted is not None:
            if node in wanted:
                deliver(node, slots)
            if node not in execute:
                continue
        if type(node) is AccumulateGrad:
            if wanted is None and slots[0] is not None:
                deliver(node, slots)
            slots = None  # hold no gradient past its node, so a leaf can take it over
            continue
        in_grads = _run_node(node, slots)
        slots = None
        if not retain_graph:
            node.release()
        for child in _pass_on(node, in_grads, buffers, deps):
            heapq.heappush(ready, (-child._seq, order, child))
            order += 1
        in_grads = ()


def _pass_on(node, in_grads, buffers: dict, deps: dict) -> list:
    """Adds ``node``'s input gradients into its children's slots; returns those now ready."""
    ready = []
    for i, (edge, g) in enumerate(zip(node.next_functions, in_grads, strict=False)):
        if edge is None:
            continue
        child, nr = edge
        left = deps.get(child)
        if left is None:
            continue  # not on a path to a wanted gradient
        if g is not None:
            _add(buffers, child, nr, _checked(node, i, g, child, nr))
        deps[child] = left - 1
        if left == 1:
            ready.append(child)
    return ready


def _add(buffers: dict, node, nr: int, grad) -> None:
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * max(len(node._out_meta), nr + 1, 1)
    elif nr >= len(slots):
        slots.extend([None] * (nr + 1 - len(slots)))
    prev = slots[nr]
    slots[nr] = grad if prev is None else prev + grad


def _run_pre_hooks(node, slots: list) -> None:
    for nr, hooks in node._pre_hooks.items():
        if nr < len(slots) and slots[nr] is not None and hooks:
            slots[nr] = call_hooks(hooks, slots[nr])


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


def _reaching(targets, parents: dict) -> set:
    """The nodes on a path from a root to one of ``targets`` (targets included)."""
    needed = set()
    stack = list(targets)
    while stack:
        node = stack.pop()
        if node not in needed:
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
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
        )
    return grad if grad.dtype == dtype else grad.astype(dtype)


def _run_node(node, slots: list) -> tuple:
    """Runs ``node``'s backward on its output gradients; one gradient (or None) per edge."""
    n_edges = len(node.next_functions)
    for g in slots:
        if g is not None:
            break
    else:
        return (None,) * n_edges
    in_grads = node.apply_backward(slots)
    if len(in_grads) < n_edges:  # trailing Nones left out
        in_grads = (*in_grads, *(None,) * (n_edges - len(in_grads)))
    if node._post_hooks:
        for hook in list(node._post_hooks.values()):
            hook(in_grads, slots)
    return in_grads

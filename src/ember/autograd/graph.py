"""The nodes of the backward graph and the values they save.

A :class:`Node` is one recorded operation: edges (``next_functions``) to the nodes that made its
inputs, the metadata of its outputs, hooks, and what its backward saved. For a Function call the
node is also the ``ctx`` that ``forward`` and ``backward`` receive. :class:`AccumulateGrad` is
the node of a leaf tensor. Saved values are tied to their tensors' version counters, so an
in-place change of a saved tensor is reported when backward asks for it.

Nothing here knows the Tensor class: tensors are reached only through their attributes.
"""

from __future__ import annotations

import itertools
import re
import weakref

import numpy as np

from ember._dtype import SCALAR_TYPE_NAMES
from ember.utils.hooks import RemovableHandle

__all__ = ["AccumulateGrad", "FunctionCtx", "Node"]

sequence = itertools.count()  # creation order of nodes: the engine runs newer nodes first

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


class Node:
    """A node of the backward graph; for a Function call it is also the ``ctx``.

    Attributes set when the call is recorded:
        next_functions: one ``(node, output_nr)`` edge per input, ``None`` where no gradient
            flows.
        needs_input_grad: one bool per input.
    """

    next_functions: tuple = ()
    needs_input_grad: tuple = ()
    _freed = False
    _saved: tuple = ()
    _saved_versions: tuple = ()
    _materialize_grads = True
    _pre_hooks: dict | None = None  # output_nr -> {handle id: hook(grad)}
    _post_hooks: dict | None = None  # handle id -> hook(grad_inputs, grad_outputs)
    _out_meta: tuple = ()  # (shape, dtype) per output, None for a non-tensor output
    _seq: float = 0  # creation order (infinite for leaf accumulators: they run first)

    def name(self) -> str:
        """The node's name as PyTorch prints it, e.g. ``MulBackward0``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, hook) -> RemovableHandle:
        """Registers ``hook(grad_inputs, grad_outputs)`` to run after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def add_pre_hook(self, output_nr: int, hook) -> RemovableHandle:
        """Registers ``hook(grad)`` on the gradient of output ``output_nr`` before backward."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # -- saving ------------------------------------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Saves tensors (or, in an ArrayFunction, arrays) for ``backward``."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` saved, checked against in-place changes since."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        for entry in self._saved_versions:
            if entry[0].value != entry[1]:
                raise self._modified_error(*entry)
        return self._saved

    saved_variables = saved_tensors

    def _modified_error(self, counter, version, meta, fn, index) -> RuntimeError:
        """PyTorch's error for a saved tensor modified in place since it was saved."""
        shape, dtype = meta
        what = f"[ember.{SCALAR_TYPE_NAMES[dtype.name]}Tensor [{', '.join(map(str, shape))}]]"
        if fn is not THIS_NODE:
            tensor = fn()
            fn = None if tensor is None else tensor.grad_fn
            index = 0 if tensor is None else tensor._output_nr
        if fn is not None:
            name = self.name() if fn is THIS_NODE else fn.name()
            name = re.sub(r"Backward\d*$", "", name)  # PyTorch names the op, "Exp"
            what += f", which is output {index} of {name},"
        return RuntimeError(
            "one of the variables needed for gradient computation has been modified by "
            f"an inplace operation: {what} is at version {counter.value}; expected "
            f"version {version} instead. Hint: the backtrace further above can help you "
            "find the operation that failed to compute its gradient."
        )

    def mark_dirty(self, *tensors) -> None:
        """Declares inputs that ``forward`` modified in place."""
        self._dirty = tensors

    def mark_non_differentiable(self, *values) -> None:
        """Declares outputs that have no gradient (e.g. indices)."""
        self._non_differentiable = values

    def set_materialize_grads(self, value: bool) -> None:
        """If False, ``backward`` receives ``None`` instead of zeros for unused outputs."""
        self._materialize_grads = bool(value)

    def release(self) -> None:
        """Frees what this node saved (after a backward without ``retain_graph``)."""
        if self._saved:
            self._freed = True
            self._saved = ()
            self._saved_versions = ()

    def apply_backward(self, grads: list) -> tuple:
        """Runs the backward of this node on output grads (arrays or None)."""
        raise NotImplementedError


FunctionCtx = Node


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf tensor's ``.grad``."""

    def __init__(self, tensor) -> None:
        self.variable_ref = weakref.ref(tensor)
        self._seq = float("inf")  # runs as soon as it is ready, like PyTorch's

    @property
    def variable(self):
        return self.variable_ref()

    def name(self) -> str:
        return "AccumulateGrad"


THIS_NODE = object()  # stands for the saving node itself (no reference cycle through it)


def version_entry(ctx: Node, tensor) -> tuple:
    """What ``saved_tensors`` needs to check, and describe, an in-place change of ``tensor``.

    A saved output is described as an output of this node; a saved input by its history at
    the time of the error (as PyTorch does), so the input is kept by a weak reference.
    """
    counter = tensor._version_counter
    meta = (tensor._data.shape, tensor._data.dtype)
    if tensor.grad_fn is ctx:
        return (counter, counter.value, meta, THIS_NODE, tensor._output_nr)
    return (counter, counter.value, meta, weakref.ref(tensor), 0)


def record_saved_arrays(ctx: Node, tensors) -> None:
    """Ties each array an ArrayFunction saved that shares memory with one of ``tensors`` (its
    inputs and outputs) to that tensor's version, so an in-place change of the tensor is seen
    through any view of it (a saved ``out.reshape(...)`` or a keepdim twin of a squeezed
    output included)."""
    entries = []
    for arr in ctx._saved:
        if type(arr) is not np.ndarray:
            continue
        owner = _owner_of(arr, tensors)
        if owner is not None:
            entries.append(version_entry(ctx, owner))
    ctx._saved_versions = tuple(entries)


def _owner_of(arr, tensors):
    """The first of ``tensors`` whose memory ``arr`` is or overlaps, else None."""
    for t in tensors:
        if t._data is arr:
            return t
    root = memory_root(arr)
    for t in tensors:  # an empty view shares no bytes, so its root alone decides
        if memory_root(t._data) is root and (arr.size == 0 or np.may_share_memory(arr, t._data)):
            return t
    return None


def memory_root(arr: np.ndarray) -> np.ndarray:
    """The array that owns ``arr``'s memory (``arr`` itself if it is not a view)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def adopt_saved_output(node: Node, result, target) -> None:
    """After an in-place op ran out of place as ``result`` and was written into ``target``,
    makes what ``node`` saved of ``result`` refer to ``target`` (its storage and version), so
    a later in-place change of ``target`` is caught as PyTorch catches it (``y.exp_();
    y.add_(1)`` invalidates the saved result of ``exp_``)."""
    if not node._saved_versions:
        return
    counter = result._version_counter
    saved = list(node._saved)
    entries = []
    for entry in node._saved_versions:
        if entry[0] is counter:
            saved = [target._data if s is result._data else s for s in saved]
            entry = (target._version_counter, target._version_counter.value, *entry[2:])
        entries.append(entry)
    node._saved = tuple(saved)
    node._saved_versions = tuple(entries)

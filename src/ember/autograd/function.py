"""Differentiable functions and the nodes of the backward graph.

Two kinds of function share one node type (:class:`Node`, which is also the ``ctx``):

* :class:`Function` is PyTorch's ``torch.autograd.Function``: ``forward(ctx, ...)`` and
  ``backward(ctx, ...)`` receive and return Tensors. Users write these.
* :class:`ArrayFunction` is what Ember's own ops derive from: the same ``ctx`` vocabulary, but
  ``forward`` and ``backward`` receive and return backend arrays, which keeps the per-op
  dispatch path short.

Calling ``apply`` runs ``forward`` and, when any input requires grad and grad mode is on,
makes the ``ctx`` the ``grad_fn`` of the outputs, with edges to the inputs' own nodes.
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Any

import numpy as np

from ember._dtype import is_floating as _is_floating
from ember._precision import BF16 as _BF16
from ember._precision import STATE as _LOW_PRECISION
from ember.autograd.grad_mode import _state, no_grad

__all__ = [
    "AccumulateGrad",
    "ArrayFunction",
    "CopySlices",
    "Function",
    "FunctionCtx",
    "Node",
    "observe_ops",
    "once_differentiable",
]

_sequence = itertools.count()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


class _RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


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
    _pre_hooks: dict | None = None
    _post_hooks: list | None = None
    _out_meta: tuple = ()
    _seq = 0

    def name(self) -> str:
        """The node's name as PyTorch prints it, e.g. ``MulBackward0``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, hook):
        """Registers ``hook(grad_inputs, grad_outputs)`` to run after this node's backward."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return _RemovableHandle(self._post_hooks, hook)

    def _add_pre_hook(self, output_nr: int, hook) -> _RemovableHandle:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    # -- saving ------------------------------------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Saves tensors (or, in an ArrayFunction, arrays) for ``backward``."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` saved, checked against in-place changes since."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        for counter, version, (shape, dtype), fn, index in self._saved_versions:
            if counter.value != version:
                shape = ", ".join(map(str, shape))
                from ember.tensor import _TYPE_NAMES

                what = f"[ember.{_TYPE_NAMES[dtype.name]} [{shape}]]"
                if fn is not _THIS_NODE:
                    tensor = fn()
                    fn = None if tensor is None else tensor.grad_fn
                    index = 0 if tensor is None else tensor._output_nr
                if fn is not None:
                    name = self.name() if fn is _THIS_NODE else fn.name()
                    name = re.sub(r"Backward\d*$", "", name)  # PyTorch names the op, "Exp"
                    what += f", which is output {index} of {name},"
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: {what} is at version {counter.value}; expected "
                    f"version {version} instead. Hint: the backtrace further above can help you "
                    "find the operation that failed to compute its gradient."
                )
        return self._saved

    saved_variables = saved_tensors

    def mark_dirty(self, *tensors) -> None:
        """Declares inputs that ``forward`` modified in place."""
        self._dirty = tensors

    def mark_non_differentiable(self, *values) -> None:
        """Declares outputs that have no gradient (e.g. indices)."""
        self._non_differentiable = values

    def set_materialize_grads(self, value: bool) -> None:
        """If False, ``backward`` receives ``None`` instead of zeros for unused outputs."""
        self._materialize_grads = bool(value)

    def _release(self) -> None:
        """Frees what this node saved (after a backward without ``retain_graph``)."""
        if self._saved:
            self._freed = True
            self._saved = ()
            self._saved_versions = ()

    def _apply(self, grads: list) -> tuple:
        """Runs the backward of this node on output grads (arrays or None)."""
        raise NotImplementedError


FunctionCtx = Node


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf tensor's ``.grad``."""

    __slots__ = ()

    def __init__(self, tensor) -> None:
        self.variable_ref = weakref.ref(tensor)
        self._seq = float("inf")  # runs as soon as it is ready, like PyTorch's

    @property
    def variable(self):
        return self.variable_ref()

    def name(self) -> str:
        return "AccumulateGrad"


class CopySlices(Node):
    """The new history of a base after one of its views was modified in place.

    The base's gradient splits in two: outside the view's region it flows to the base's old
    history; inside it flows to the node of the in-place op on the view (which passes on
    what belongs to the view's old values and to the op's other inputs).
    """

    def __init__(self, base, steps: tuple, node, output_nr: int) -> None:
        self._seq = next(_sequence)
        self._steps = steps
        self._shape, self._dtype = base._data.shape, base._data.dtype
        self._order = "F" if base._data.flags.f_contiguous and base._data.ndim > 1 and \
            not base._data.flags.c_contiguous else "C"
        self._region(np.empty(self._shape, self._dtype, order=self._order))  # fail early
        old = _edge_of(base) if base._requires_grad else None
        self.next_functions = (old, (node, output_nr))
        self.needs_input_grad = (old is not None, True)
        self._out_meta = ((self._shape, self._dtype),)

    def _region(self, array):
        """The view's region of an array shaped like the base (a view of it)."""
        scratch = Node()
        view = array
        for fn, args, kwargs in self._steps:
            view = fn.forward(scratch, view, *args, **kwargs)
        if view.size and not np.shares_memory(view, array):
            raise RuntimeError(
                "Ember cannot rebase this view's history onto its base after an in-place "
                "operation (its view functions do not give a view of a fresh array); clone() "
                "the view first"
            )
        return view

    def _apply(self, grads: list) -> tuple:
        grad = grads[0]
        if grad is None:
            return (None, None)
        grad_base = np.array(grad, dtype=self._dtype, order=self._order, copy=True)
        region = self._region(grad_base)
        grad_view = region.copy()
        region[...] = 0
        return (grad_base if self.next_functions[0] is not None else None, grad_view)


def _wrap(array, requires_grad=False, grad_fn=None, output_nr=0):
    return Tensor._make(array, requires_grad, grad_fn, output_nr)


def _input_meta(value) -> tuple | None:
    return (value._data.shape, value._data.dtype) if isinstance(value, Tensor) else None


class _FunctionMeta(type):
    """Gives every Function subclass a node class named like PyTorch's (``MulBackward0``)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        suffix = "Backward0" if attrs.get("_builtin", any(
            getattr(b, "_builtin", False) for b in bases)) else "Backward"
        node_name = name + suffix
        cls._node_class = type(node_name, (_BackwardNode,), {"_function": cls})


class _BackwardNode(Node):
    _function: Any = None

    def __init__(self) -> None:
        self._seq = next(_sequence)

    def _apply(self, grads: list) -> tuple:
        return self._function._run_backward(self, grads)


class Function(metaclass=_FunctionMeta):
    """Base of custom differentiable operations, as ``torch.autograd.Function``.

    Subclasses define static ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grads)``
    and are called through ``apply``. ``backward`` returns one gradient per ``forward``
    argument (``None`` for arguments that are not tensors or need no gradient).

    Example:
        >>> class Double(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return grad * 2
        >>> y = Double.apply(ember.ones(3, requires_grad=True))
    """

    _builtin = False

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(
            "Function objects are not meant to be instantiated; call the static method "
            f"{type(self).__name__}.apply(...) instead"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._node_class()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = _state.enabled and any(needs)
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        dirty = getattr(ctx, "_dirty", ())
        for d in dirty:
            if record:
                _check_inplace_allowed(d)
            d._version_counter.value += 1
        if not record:
            return outputs
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        ctx.needs_input_grad = needs
        ctx.next_functions = tuple(
            _edge_of(a) if n else None for a, n in zip(args, needs, strict=True)
        )
        ctx._in_meta = tuple(_input_meta(a) for a in args)
        non_diff = getattr(ctx, "_non_differentiable", ())
        wrapped = []
        for i, out in enumerate(outs):
            if not isinstance(out, Tensor):
                wrapped.append(out)
                continue
            is_dirty = any(out is d for d in dirty)
            if is_dirty:
                result = out
            elif any(out is a for a in args):
                result = out._alias()
            else:
                result = out
            differentiable = _is_floating(result._data.dtype) and not any(
                out is n for n in non_diff)
            if differentiable:
                if is_dirty and result._is_differentiable_view():
                    result._rebase_view(ctx, i)
                else:
                    result._set_history(ctx, i)
            wrapped.append(result)
        ctx._out_meta = tuple(
            (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs
        )
        saved = ctx._saved
        if saved:
            ctx._saved_versions = tuple(
                _version_entry(ctx, t) for t in saved if isinstance(t, Tensor)
            )
        return tuple(wrapped) if is_tuple else wrapped[0]

    @classmethod
    def _run_backward(cls, ctx, grads: list) -> tuple:
        grad_tensors = []
        for g, meta in zip(grads, ctx._out_meta, strict=False):
            if g is None and meta is not None and ctx._materialize_grads:
                g = np.zeros(meta[0], dtype=meta[1])
            grad_tensors.append(None if g is None else _wrap(g))
        with no_grad():
            result = cls.backward(ctx, *grad_tensors)
        if not isinstance(result, tuple):
            result = (result,)
        n_inputs = len(ctx.next_functions)
        if len(result) != n_inputs:
            if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
                result = result[:n_inputs]
            else:
                raise RuntimeError(
                    f"function {ctx.name()} returned an incorrect number of gradients "
                    f"(expected {n_inputs}, got {len(result)})"
                )
        arrays = []
        for i, (g, meta) in enumerate(zip(result, ctx._in_meta, strict=True)):
            if g is None or ctx.next_functions[i] is None:
                arrays.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"function {ctx.name()} returned a gradient of type {type(g).__name__} at "
                    f"index {i}; expected a Tensor or None"
                )
            arr = g._data
            shape, dtype = meta
            if arr.shape != shape:
                try:
                    arr = _sum_to_shape(arr, shape)
                except ValueError:
                    raise RuntimeError(
                        f"Function {ctx.name()} returned an invalid gradient at index {i} - got "
                        f"{list(arr.shape)} but expected shape compatible with {list(shape)}"
                    ) from None
            if arr.dtype != dtype:
                arr = arr.astype(dtype)
            arrays.append(arr)
        return tuple(arrays)


class ArrayFunction(Function):
    """Base of Ember's built-in ops: a Function whose forward and backward see arrays.

    ``forward(ctx, *arrays, **kwargs)`` gets the backend arrays of tensor arguments (other
    arguments unchanged) and returns an array or a tuple of arrays. ``backward(ctx, *grads)``
    gets one array per output and returns one array (or None) per positional argument.
    Arrays needed by ``backward`` must be saved with ``ctx.save_for_backward``: saving an
    input's or output's own array lets autograd detect in-place changes to it.

    Class attribute ``is_view = True`` marks ops whose single output is a view of input 0.
    """

    _builtin = True
    is_view = False

    @classmethod
    def apply(cls, *args, **kwargs):
        if _LOW_PRECISION.active:
            return _apply_low_precision(cls, args, kwargs)
        return cls._record(*args, **kwargs)

    @classmethod
    def _record(cls, *args, **kwargs):
        """Runs ``forward`` on the arguments' arrays and records the call when needed."""
        ctx = cls._node_class()
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        record = False
        if _state.enabled:
            needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
            record = True in needs
        # known before forward, so a forward can skip saving what no gradient will need
        ctx.needs_input_grad = needs if record else _no_grads(len(args))
        out = cls.forward(ctx, *arrays, **kwargs)
        if type(out) is tuple:
            return cls._finish_many(ctx, args, out, record, needs if record else (), kwargs)
        if type(out) is not np.ndarray:  # a NumPy scalar from a full reduction
            out = _as_array_output(ctx, out)
        if not record:
            result = _wrap(out)
        else:
            ctx.next_functions = tuple(
                _edge_of(a) if n else None for a, n in zip(args, needs, strict=True)
            )
            ctx._out_meta = ((out.shape, out.dtype),)
            if (out.dtype.kind == "f" or out.dtype == _BF16) and \
                    not hasattr(ctx, "_non_differentiable"):
                result = _wrap(out, True, ctx, 0)
            else:
                result = _wrap(out)
        if cls.is_view and out.base is not None:
            result._make_view_of(args[0], (cls, args[1:], kwargs))
        if ctx._saved:
            _record_versions(ctx, args, (result,))
        if _OBSERVERS:
            _notify(cls, args, kwargs, result)
        return result

    @classmethod
    def _finish_many(cls, ctx, args, outs, record, needs, kwargs):
        outs = tuple(o if type(o) is np.ndarray else _as_array_output(ctx, o) for o in outs)
        non_diff = getattr(ctx, "_non_differentiable", ())
        results = []
        if record:
            ctx.next_functions = tuple(
                _edge_of(a) if n else None for a, n in zip(args, needs, strict=True)
            )
            ctx._out_meta = tuple((o.shape, o.dtype) for o in outs)
        for i, o in enumerate(outs):
            diff = record and (o.dtype.kind == "f" or o.dtype == _BF16) and \
                not any(o is n for n in non_diff)
            results.append(_wrap(o, True, ctx, i) if diff else _wrap(o))
        if ctx._saved:
            _record_versions(ctx, args, results)
        results = tuple(results)
        if _OBSERVERS:
            _notify(cls, args, kwargs, results)
        return results

    @classmethod
    def _run_backward(cls, ctx, grads: list) -> tuple:
        if ctx._materialize_grads:
            grads = [
                np.zeros(m[0], dtype=m[1]) if g is None else g
                for g, m in zip(grads, ctx._out_meta, strict=False)
            ]
        result = cls.backward(ctx, *grads)
        if type(result) is not tuple:
            result = (result,)
        return result


def _as_array_output(ctx, value) -> np.ndarray:
    """An output returned as a NumPy scalar, as an array; if ``forward`` saved that scalar,
    the saved value becomes the array too, so in-place changes of the output are seen."""
    out = np.asarray(value)
    if ctx._saved and any(s is value for s in ctx._saved):
        ctx._saved = tuple(out if s is value else s for s in ctx._saved)
    return out


def _apply_low_precision(cls, args, kwargs):
    """``cls.apply`` while bfloat16 or autocast is in play (see :mod:`ember._precision`).

    Autocast first casts the inputs its policy names. Then, unless the op handles bfloat16
    itself (views, casts), bfloat16 inputs are cast to float32, the op runs, and float32
    results are rounded back to bfloat16 when every floating input was bfloat16 and no
    ``dtype=`` asked otherwise, as PyTorch's CPU computes bfloat16. The casts are recorded,
    so gradients flow back through them in the inputs' dtypes.
    """
    state = _LOW_PRECISION
    if state.autocast:
        target = state.autocast.get("cpu")
        policy = None
        if target is not None:
            for klass in cls.__mro__:
                policy = state.policies.get(klass)
                if policy is not None:
                    break
        if policy is not None:
            args = _autocast_inputs(args, policy, target)
    if not state.bfloat16_seen or cls.is_view or cls in state.native:
        return cls._record(*args, **kwargs)
    floats = [a._data.dtype for a in args
              if isinstance(a, Tensor) and _is_floating(a._data.dtype)]
    if _BF16 not in floats:
        return cls._record(*args, **kwargs)
    cast, f32 = state.cast, np.dtype(np.float32)
    wide = tuple(cast(a, f32) if isinstance(a, Tensor) and a._data.dtype == _BF16 else a
                 for a in args)
    result = cls._record(*wide, **kwargs)
    if any(d != _BF16 for d in floats) or kwargs.get("dtype") is not None:
        return result

    def narrow(out):
        return cast(out, _BF16) if isinstance(out, Tensor) and out._data.dtype == f32 else out

    return tuple(narrow(o) for o in result) if type(result) is tuple else narrow(result)


def _autocast_inputs(args, policy: str, target: np.dtype) -> tuple:
    """The inputs as autocast hands them to an op: float32 tensors cast to ``target`` for a
    "lower" op, lower-precision ones cast to float32 for an "fp32" op (float64 untouched)."""
    cast, f32 = _LOW_PRECISION.cast, np.dtype(np.float32)
    out = []
    for a in args:
        if isinstance(a, Tensor):
            dt = a._data.dtype
            if policy == "lower" and dt == f32:
                a = cast(a, target)
            elif policy == "fp32" and dt in (_BF16, np.float16):
                a = cast(a, f32)
        out.append(a)
    return tuple(out)


_OBSERVERS: list = []


def _notify(cls, args, kwargs, outputs) -> None:
    for observer in _OBSERVERS:
        observer(cls, args, kwargs, outputs)


class observe_ops:
    """Calls ``observer(function_class, args, kwargs, outputs)`` after every built-in op
    (:class:`ArrayFunction`) while the context is active: how exporters and profilers see
    the ops a model runs, with the tensors that flowed through them.

    Example:
        >>> seen = []
        >>> with observe_ops(lambda cls, args, kwargs, out: seen.append(cls.__name__)):
        ...     ember.ones(2).exp()
    """

    def __init__(self, observer) -> None:
        self._observer = observer

    def __enter__(self):
        _OBSERVERS.append(self._observer)
        return self

    def __exit__(self, *exc) -> None:
        _OBSERVERS.remove(self._observer)


_NO_GRADS: dict = {}


def _no_grads(n: int) -> tuple:
    """``(False,) * n``, cached (the value of needs_input_grad when nothing is recorded)."""
    t = _NO_GRADS.get(n)
    if t is None:
        t = _NO_GRADS[n] = (False,) * n
    return t


def _record_versions(ctx, args, outputs) -> None:
    """Ties each saved array that shares memory with an input or output to that tensor's
    version, so an in-place change of the tensor is seen through any view of it (a saved
    ``out.reshape(...)`` or a keepdim twin of a squeezed output included)."""
    owners = [a for a in args if isinstance(a, Tensor)]
    owners.extend(outputs)
    entries = []
    for arr in ctx._saved:
        if type(arr) is not np.ndarray:
            continue
        owner = _owner_of(arr, owners)
        if owner is not None:
            entries.append(_version_entry(ctx, owner))
    ctx._saved_versions = tuple(entries)


def _owner_of(arr, owners):
    """The first tensor among ``owners`` whose memory ``arr`` is or overlaps, else None."""
    for t in owners:
        if t._data is arr:
            return t
    root = arr if arr.base is None else _memory_root(arr)
    for t in owners:
        data = t._data
        if (data if data.base is None else _memory_root(data)) is root and \
                np.may_share_memory(arr, data):
            return t
    return None


def _memory_root(arr):
    """The array that owns ``arr``'s memory (``arr`` itself if it is not a view)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def adopt_saved_output(node, result, target) -> None:
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


_THIS_NODE = object()  # stands for the saving node itself (no reference cycle through it)


def _version_entry(ctx, tensor) -> tuple:
    """What ``saved_tensors`` needs to check, and describe, an in-place change of ``tensor``.

    A saved output is described as an output of this node; a saved input by its history at
    the time of the error (as PyTorch does), so the input is kept by a weak reference.
    """
    counter = tensor._version_counter
    meta = (tensor._data.shape, tensor._data.dtype)
    if tensor.grad_fn is ctx:
        return (counter, counter.value, meta, _THIS_NODE, tensor._output_nr)
    return (counter, counter.value, meta, weakref.ref(tensor), 0)


def _edge_of(tensor) -> tuple:
    """The ``(node, output_nr)`` a gradient for ``tensor`` flows into."""
    if tensor._base is not None and "_view_steps" in tensor.__dict__:
        tensor._sync_view_history()
    fn = tensor.grad_fn
    if fn is not None:
        return (fn, tensor._output_nr)
    return (tensor._grad_accumulator(), 0)


def _check_inplace_allowed(tensor) -> None:
    """The check ``mark_dirty`` makes, in PyTorch's words."""
    tensor._check_inplace(by_mark_dirty=True)


def _sum_to_shape(arr, shape):
    """Sums a broadcast gradient back down to ``shape`` (the one owner of un-broadcasting)."""
    if arr.shape == shape:
        return arr
    if arr.ndim < len(shape):
        raise ValueError("gradient has fewer dimensions than the input")
    lead = arr.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and arr.shape[lead + i] != 1
    )
    for i, n in enumerate(shape):
        if n != 1 and arr.shape[lead + i] != n:
            raise ValueError("shape mismatch")
    out = arr.sum(axis=axes, keepdims=True) if axes else arr
    return out.reshape(shape)


def once_differentiable(fn):
    """Marks a ``backward`` as not differentiable twice (every Ember backward is)."""
    return fn


from ember.tensor import Tensor  # noqa: E402  (tensor.py imports this module lazily)

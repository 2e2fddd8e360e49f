"""Differentiable functions: how a call is run and recorded as a node of the backward graph.

Two kinds of function share one node type (:class:`~ember.autograd.graph.Node`, which is also
the ``ctx``) and one way of being recorded (:func:`_record_node`):

* :class:`Function` is PyTorch's ``torch.autograd.Function``: ``forward(ctx, ...)`` and
  ``backward(ctx, ...)`` receive and return Tensors. Users write these.
* :class:`ArrayFunction` is what Ember's own ops derive from: the same ``ctx`` vocabulary, but
  ``forward`` and ``backward`` receive and return backend arrays, which keeps the per-op
  dispatch path short.

Calling ``apply`` runs ``forward`` and, when any input requires grad and grad mode is on,
makes the ``ctx`` the ``grad_fn`` of the outputs, with edges to the inputs' own nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember._dtype import SCALAR_TYPE_NAMES, is_floating
from ember._precision import BF16 as _BF16
from ember._precision import STATE as _LOW_PRECISION
from ember._shapes import sum_to_shape
from ember.autograd.grad_mode import _state, no_grad
from ember.autograd.graph import (
    AccumulateGrad,
    FunctionCtx,
    Node,
    record_saved_arrays,
    sequence,
    version_entry,
)
from ember.autograd.history import (
    CopySlices,
    alias,
    check_inplace,
    edge_of,
    is_differentiable_view,
    make_view_of,
    rebase_view,
    set_history,
)
from ember.tensor.core import Tensor
from ember.tensor.core import wrap_array as _wrap

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


class _FunctionMeta(type):
    """Gives every Function subclass a node class named like PyTorch's (``MulBackward0``)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        suffix = "Backward0" if attrs.get("_builtin", any(
            getattr(b, "_builtin", False) for b in bases)) else "Backward"
        cls._node_class = type(name + suffix, (_BackwardNode,), {"_function": cls})


class _BackwardNode(Node):
    _function: Any = None

    def __init__(self) -> None:
        self._seq = next(sequence)

    def apply_backward(self, grads: list) -> tuple:
        return self._function._run_backward(self, grads)


def _record_node(ctx: Node, args: tuple, needs: tuple, out_meta: tuple) -> None:
    """Makes ``ctx`` the node of a recorded call: an edge to the node of every input that
    needs a gradient (None for the others) and the shape and dtype of every output."""
    ctx.needs_input_grad = needs
    ctx.next_functions = tuple([edge_of(a) if n else None
                               for a, n in zip(args, needs, strict=True)])
    ctx._out_meta = out_meta


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
                check_inplace(d, by_mark_dirty=True)
            d._version_counter.value += 1
        if not record:
            return outputs
        many = isinstance(outputs, tuple)
        outs = tuple(_own_output(o, args, dirty) for o in (outputs if many else (outputs,)))
        _record_node(ctx, args, needs, tuple(
            (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs))
        ctx._in_meta = tuple(
            (a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args)
        non_diff = getattr(ctx, "_non_differentiable", ())
        for i, out in enumerate(outs):
            if not isinstance(out, Tensor) or not is_floating(out._data.dtype) or \
                    any(out is n for n in non_diff):
                continue
            if any(out is d for d in dirty) and is_differentiable_view(out):
                rebase_view(out, ctx, i)
            else:
                set_history(out, ctx, i)
        if ctx._saved:
            ctx._saved_versions = tuple(
                version_entry(ctx, t) for t in ctx._saved if isinstance(t, Tensor))
        return outs if many else outs[0]

    @classmethod
    def _run_backward(cls, ctx, grads: list) -> tuple:
        grad_tensors = []
        for g, meta in zip(grads, ctx._out_meta, strict=False):
            if g is None and meta is not None and ctx._materialize_grads:
                g = np.zeros(meta[0], dtype=meta[1])
            grad_tensors.append(None if g is None else Tensor._make(g))
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
        return tuple(_input_grad(ctx, i, g, meta)
                     for i, (g, meta) in enumerate(zip(result, ctx._in_meta, strict=True)))


def _own_output(out, args: tuple, dirty: tuple):
    """A custom Function's output as it leaves ``apply``: an input returned unchanged becomes
    a new tensor on its storage (it gets a history of its own), a dirty input stays itself."""
    if isinstance(out, Tensor) and not any(out is d for d in dirty) and \
            any(out is a for a in args):
        return alias(out)
    return out


def _input_grad(ctx, index: int, grad, meta):
    """Gradient ``index`` a custom backward returned, as the array the engine passes on:
    summed down to the input's shape if it broadcasts to it, in the input's dtype."""
    if grad is None or ctx.next_functions[index] is None:
        return None
    if not isinstance(grad, Tensor):
        raise TypeError(
            f"function {ctx.name()} returned a gradient of type {type(grad).__name__} at "
            f"index {index}; expected a Tensor or None"
        )
    arr = grad._data
    shape, dtype = meta
    if arr.shape != shape:
        try:
            arr = sum_to_shape(arr, shape)
        except ValueError:
            raise RuntimeError(
                f"Function {ctx.name()} returned an invalid gradient at index {index} - got "
                f"{list(arr.shape)} but expected shape compatible with {list(shape)}"
            ) from None
    return arr if arr.dtype == dtype else arr.astype(dtype)


class ArrayFunction(Function):
    """Base of Ember's built-in ops: a Function whose forward and backward see arrays.

    ``forward(ctx, *arrays, **kwargs)`` gets the backend arrays of tensor arguments (other
    arguments unchanged) and returns an array or a tuple of arrays. ``backward(ctx, *grads)``
    gets one array per output and returns one array (or None) per positional argument.
    Arrays needed by ``backward`` must be saved with ``ctx.save_for_backward``: saving an
    input's or output's own array lets autograd detect in-place changes to it.

    Class attribute ``is_view = True`` marks ops whose single output is a view of input 0;
    ``any_dtype_output = True`` lets an integer or bool output take the node (in-place
    comparisons, which torch records whatever the tensor's dtype).
    """

    _builtin = True
    is_view = False
    any_dtype_output = False  # True: an output of any dtype takes the node (torch's eq_)

    @classmethod
    def apply(cls, *args, **kwargs):
        if _LOW_PRECISION.active:
            return _apply_low_precision(cls, args, kwargs)
        if _state.enabled:  # the loop inline: this is every op's dispatch
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    return cls._record(*args, **kwargs)
        return cls._unrecorded(args, kwargs)

    @classmethod
    def _record(cls, *args, **kwargs):
        """Runs ``forward`` on the arguments' arrays and records the call when needed."""
        if not (_state.enabled and any(isinstance(a, Tensor) and a._requires_grad
                                       for a in args)):
            return cls._unrecorded(args, kwargs)
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx = cls._node_class()
        # known before forward, so a forward can skip saving what no gradient will need
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args],
                          **kwargs)
        if type(out) is tuple:
            return cls._record_many(ctx, args, needs, out, kwargs)
        if type(out) is not np.ndarray:  # a NumPy scalar from a full reduction
            out = _as_array_output(ctx, out)
        _record_node(ctx, args, needs, ((out.shape, out.dtype),))
        differentiable = (out.dtype.kind == "f" or out.dtype == _BF16
                          or cls.any_dtype_output) and not hasattr(ctx, "_non_differentiable")
        if not differentiable and not hasattr(ctx, "_non_differentiable"):
            _refuse_integer_history(args, out.dtype)
        result = Tensor._make(out, True, ctx, 0) if differentiable else _wrap(out)
        if cls.is_view and out.base is not None and _views(out, args[0]):
            make_view_of(result, args[0], (cls, args[1:], kwargs))
        if ctx._saved:
            record_saved_arrays(ctx, [*(a for a in args if isinstance(a, Tensor)), result])
        if _OBSERVERS:
            _notify(cls, args, kwargs, result)
        return result

    @classmethod
    def _unrecorded(cls, args: tuple, kwargs: dict):
        """The call with nothing to record (the inference path, kept short): the ctx only
        carries what forward stores on it and is dropped, so it skips ``Node.__init__``, and
        nothing it saved is tied to a version counter."""
        ctx = _new_object(cls._node_class)
        ctx.needs_input_grad = _no_grads(len(args))
        out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args],
                          **kwargs)
        if type(out) is tuple:
            return cls._record_many(ctx, args, None, out, kwargs)
        if type(out) is not np.ndarray:  # a NumPy scalar from a full reduction
            out = np.asarray(out)
        result = _wrap(out)
        if cls.is_view and out.base is not None and _views(out, args[0]):
            make_view_of(result, args[0], (cls, args[1:], kwargs))
        if _OBSERVERS:
            _notify(cls, args, kwargs, result)
        return result

    @classmethod
    def _record_many(cls, ctx, args, needs, outs, kwargs) -> tuple:
        """The rest of :meth:`_record` for a forward that returned several arrays."""
        if needs is None:
            results = tuple(_wrap(o if type(o) is np.ndarray else np.asarray(o)) for o in outs)
            if _OBSERVERS:
                _notify(cls, args, kwargs, results)
            return results
        outs = tuple(o if type(o) is np.ndarray else _as_array_output(ctx, o) for o in outs)
        _record_node(ctx, args, needs, tuple((o.shape, o.dtype) for o in outs))
        non_diff = getattr(ctx, "_non_differentiable", ())
        results = tuple(
            Tensor._make(o, True, ctx, i)
            if (o.dtype.kind == "f" or o.dtype == _BF16) and not any(o is n for n in non_diff)
            else _wrap(o) for i, o in enumerate(outs))
        if ctx._saved:
            record_saved_arrays(ctx, [*(a for a in args if isinstance(a, Tensor)), *results])
        if _OBSERVERS:
            _notify(cls, args, kwargs, results)
        return results

    @classmethod
    def _run_backward(cls, ctx, grads: list) -> tuple:
        if ctx._materialize_grads:
            for g in grads:
                if g is None:  # an output without a gradient gets zeros
                    grads = [np.zeros(m[0], dtype=m[1]) if g is None else g
                             for g, m in zip(grads, ctx._out_meta, strict=False)]
                    break
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
              if isinstance(a, Tensor) and is_floating(a._data.dtype)]
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


def ops_observed() -> bool:
    """True while an :class:`observe_ops` context is active (in-place fast paths step aside)."""
    return bool(_OBSERVERS)


_NO_GRADS: dict = {}


def _no_grads(n: int) -> tuple:
    """``(False,) * n``, cached (the value of needs_input_grad when nothing is recorded)."""
    t = _NO_GRADS.get(n)
    if t is None:
        t = _NO_GRADS[n] = (False,) * n
    return t


_new_object = object.__new__


def _views(out: np.ndarray, source) -> bool:
    """Whether a view function's result shares the input's memory (a reshape that had to copy,
    such as ``flatten`` of an expanded tensor, returns a copy whose ``base`` is set too)."""
    return out.size == 0 or np.may_share_memory(out, source._data)


def _refuse_integer_history(args: tuple, dtype: np.dtype) -> None:
    """torch's error when an integer or bool tensor that requires grad (only ``fill_`` and
    the in-place comparisons make one) flows into an op whose result cannot carry it."""
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad and a._data.dtype.kind in "biu":
            raise RuntimeError(f"Autograd not support dtype: {SCALAR_TYPE_NAMES[dtype.name]}")


def once_differentiable(fn):
    """Marks a ``backward`` as not differentiable twice (every Ember backward is)."""
    return fn

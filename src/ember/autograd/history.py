"""A tensor's history: which node made it, and how views and in-place changes rewrite that.

Every rule of autograd that concerns one tensor rather than the graph lives here:

* **history**: ``grad_fn``/``output_nr`` of a result (:func:`set_history`), the leaf's
  :class:`~ember.autograd.graph.AccumulateGrad` (:func:`grad_accumulator`), and the edge a
  gradient for a tensor flows into (:func:`edge_of`).
* **views** share storage and version counter with their base and keep the chain of view
  functions from their root base (:func:`make_view_of`), so that their history can be derived
  again after the base changed in place (:func:`sync_view_history`).
* **in-place ops** run out of place on a snapshot and are written back (:func:`record_inplace`);
  the tensor takes the op's node as its history, and for a view the base takes a
  :class:`CopySlices` node (:func:`rebase_view`), as in PyTorch. PyTorch's errors for
  modifying leaves, views of leaves and multi-output views are raised here
  (:func:`check_inplace`).
"""

from __future__ import annotations

import re
import weakref

import numpy as np

from ember._dtype import SCALAR_TYPE_NAMES
from ember.autograd.grad_mode import _state, enable_grad, no_grad
from ember.autograd.graph import AccumulateGrad, Node, adopt_saved_output, memory_root, sequence
from ember.tensor.core import Tensor

__all__ = [
    "CopySlices",
    "alias",
    "call_hooks",
    "check_inplace",
    "edge_of",
    "grad_accumulator",
    "is_differentiable_view",
    "make_view_of",
    "rebase_view",
    "record_inplace",
    "record_inplace_view",
    "refuse_internal_overlap",
    "refuse_partial_overlap",
    "set_history",
    "shares_locations",
    "sync_view_history",
    "write",
]

NO_GRAD_VIEW = "no_grad"  # _created_without_grad of a view made while grad mode was off
MULTI_OUTPUT_VIEW = "multi"  # ... of an unrecorded view returned with others (split, unbind)
_NO_GRAD_VIEW_MESSAGE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
)
_NO_GRAD_RULE = (
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace "
    "to be tracked)."
)
MULTI_VIEW_RULE = (
    "This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation "
    "by an out-of-place one."
)
_OVERLAP = (
    "unsupported operation: {} to a single memory location. Please clone() the tensor "
    "before performing the operation."
)


# -- history --------------------------------------------------------------------------------
def set_history(tensor: Tensor, node: Node, output_nr: int) -> None:
    """Makes ``tensor`` output ``output_nr`` of ``node`` (a ``retain_grad`` follows it)."""
    retain = tensor.__dict__.get("_retain_hook")
    if retain is not None:
        retain[1].remove()
    tensor.grad_fn = node
    tensor._output_nr = output_nr
    tensor._requires_grad = True
    if retain is not None:
        attach_retain_hook(tensor, retain[0])
    views = tensor.__dict__.pop("_views_without_history", None)
    if views:  # views made before this tensor required grad now follow its history
        for view in list(views):
            sync_view_history(view)


def attach_retain_hook(tensor: Tensor, keep) -> None:
    """(Re)adds ``tensor``'s retain_grad hook as the last hook of its gradient, so that it
    sees what the other hooks made of it."""
    old = tensor.__dict__.get("_retain_hook")
    if old is not None:
        old[1].remove()
    tensor._retain_hook = (keep, tensor.grad_fn.add_pre_hook(tensor._output_nr, keep))


def call_hooks(hooks: dict, grad):
    """Runs a tensor's hooks ``hook(grad) -> Tensor | None`` in order on an array gradient."""
    for hook in list(hooks.values()):
        result = hook(Tensor._make(grad))
        if result is not None:
            grad = result._data
    return grad


def grad_accumulator(tensor: Tensor) -> AccumulateGrad:
    """The node that accumulates into a leaf's ``.grad`` (one per leaf)."""
    if tensor._accumulator is None:
        tensor._accumulator = AccumulateGrad(tensor)
    return tensor._accumulator


def edge_of(tensor: Tensor) -> tuple:
    """The ``(node, output_nr)`` a gradient for ``tensor`` flows into."""
    if tensor._base is not None and "_view_steps" in tensor.__dict__:
        sync_view_history(tensor)
    fn = tensor.grad_fn
    if fn is not None:
        return (fn, tensor._output_nr)
    return (grad_accumulator(tensor), 0)


# -- views ----------------------------------------------------------------------------------
def make_view_of(view: Tensor, base: Tensor, step: tuple | None = None) -> None:
    """Makes ``view`` a view of ``base``: shared storage and version counter.

    Args:
        view: the new tensor.
        base: the tensor it views.
        step: ``(view_function, args, kwargs)`` for a differentiable view (``base[0]``,
            ``base.T`` ...). The view keeps the chain of steps from its root base, so that
            an in-place change of the view can be written into the base's history and a
            view's history can be re-derived after its base changed in place. Aliases
            such as ``detach()`` pass None: they share memory but not history.
    """
    view._version_counter = base._version_counter
    if step is None:
        view._base = base if base._base is None else base._base
        return
    steps = base.__dict__.get("_view_steps") if base._base is not None else None
    if steps is None:  # base is a root (or a detached alias, which acts as one)
        view._base = base
        view._view_steps = (step,)
    else:
        view._base = base._base
        view._view_steps = (*steps, step)
    view._view_version = view._version_counter.value
    root = view._base
    assert root is not None
    multi = base.__dict__.get("_multi_output_view")  # as in torch, a view of a view returned
    if multi is not None and view.grad_fn is not None:  # with others keeps its restriction,
        view._multi_output_view = (  # named after its own op
            re.sub(r"Backward\d*$", "", view.grad_fn.name()), view._output_nr)
    inherited = base.__dict__.get("_created_without_grad")  # a view of such a view is one too
    if inherited is not None:
        view._created_without_grad = inherited
    if not _state.enabled:  # as in PyTorch: in-place changes with grad are refused later, and
        view._created_without_grad = inherited or NO_GRAD_VIEW  # a view of a tensor requiring
        view._requires_grad = root._requires_grad  # grad requires grad (with no history)
    if not root._requires_grad:  # tell this view when its root takes a history in place
        views = root.__dict__.get("_views_without_history")
        if views is None:
            views = root._views_without_history = weakref.WeakSet()
        views.add(view)


def alias(tensor: Tensor) -> Tensor:
    """A new tensor on the same storage, outside the graph (``detach()``)."""
    t = Tensor._make(tensor._data)
    make_view_of(t, tensor)
    return t


def is_differentiable_view(tensor: Tensor) -> bool:
    return tensor._base is not None and "_view_steps" in tensor.__dict__


def _replay_view(view: Tensor, base: Tensor) -> Tensor:
    """Applies ``view``'s chain of view functions to ``base`` (recording them).

    When the base's shape changed in place since (``unsqueeze_``, ``t_`` ...), the chain may
    no longer apply; the view is then taken by its strides from the base's memory, as torch
    falls back to ``as_strided``, and keeps that single step from now on.
    """
    with enable_grad():
        try:
            fresh = base
            for fn, args, kwargs in view._view_steps:
                fresh = fn.apply(fresh, *args, **kwargs)
            if fresh._data.shape == view._data.shape:
                return fresh
        except (ValueError, RuntimeError, IndexError):
            pass
        view._view_steps = (StridedView.step(base._data, view._data),)
        return StridedView.apply(base, *view._view_steps[0][1])


class StridedView:
    """A view taken by shape, strides and offset (in elements) from a C-contiguous base's
    memory: the view function of last resort after the base's shape changed in place."""

    @staticmethod
    def step(base: np.ndarray, view: np.ndarray) -> tuple:
        if not base.flags.c_contiguous:
            raise RuntimeError(
                "Ember cannot re-derive this view's history after its base changed shape in "
                "place (the base is not contiguous); clone() the view first")
        size = base.itemsize
        offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0])
        strides = tuple(st // size for st in view.strides)
        return (StridedView, (view.shape, strides, offset // size), {})

    @staticmethod
    def forward(ctx, x: np.ndarray, shape: tuple, strides: tuple, offset: int) -> np.ndarray:
        flat = x.reshape(-1)[offset:] if x.size else x.reshape(-1)
        return np.lib.stride_tricks.as_strided(
            flat, shape, tuple(st * x.itemsize for st in strides), writeable=x.flags.writeable)

    @staticmethod
    def apply(base: Tensor, shape: tuple, strides: tuple, offset: int) -> Tensor:
        out = Tensor._make(StridedView.forward(None, base._data, shape, strides, offset))
        if base._requires_grad and _state.enabled:
            node = AsStridedBackward0(base, shape, strides, offset)
            set_history(out, node, 0)
        make_view_of(out, base)
        return out


class AsStridedBackward0(Node):
    """The gradient of a :class:`StridedView`: summed into the base's positions it viewed."""

    def __init__(self, base: Tensor, shape: tuple, strides: tuple, offset: int) -> None:
        self._seq = next(sequence)
        self._base_shape, self._dtype = base._data.shape, base._data.dtype
        positions = np.full((), offset, dtype=np.int64)
        for n, st in zip(shape, strides, strict=True):
            positions = positions[..., None] + np.arange(n, dtype=np.int64) * st
        self._positions = positions.reshape(-1)
        self.next_functions = (edge_of(base),)
        self.needs_input_grad = (True,)
        self._out_meta = ((tuple(shape), self._dtype),)

    def apply_backward(self, grads: list) -> tuple:
        grad = grads[0]
        if grad is None:
            return (None,)
        out = np.zeros(int(np.prod(self._base_shape)), dtype=self._dtype)
        np.add.at(out, self._positions, np.asarray(grad, dtype=self._dtype).reshape(-1))
        return (out.reshape(self._base_shape),)


def sync_view_history(view: Tensor) -> None:
    """Re-derives a view's history from its base if either changed in place since.

    The view's values always follow its base's storage; its history must too, or its
    gradient would flow into the base's history from before the change.
    """
    if view._view_version == view._version_counter.value:
        return
    multi = view.__dict__.get("_multi_output_view")
    if multi is not None:
        raise RuntimeError(
            f"Output {multi[1]} of {multi[0]} is a view and its base or another view of its "
            "base has been modified inplace. " + MULTI_VIEW_RULE)
    view._view_version = view._version_counter.value
    base = view._base
    if base is not None and base._requires_grad:
        fresh = _replay_view(view, base)
        view.grad_fn, view._output_nr = fresh.grad_fn, fresh._output_nr
        view._requires_grad = True


def rebase_view(view: Tensor, node: Node, output_nr: int) -> None:
    """After an in-place op on ``view`` recorded as ``(node, output_nr)``, moves the change
    into the base's history (PyTorch's CopySlices) and re-derives the view's."""
    base = view._base
    assert base is not None, "only a view is rebased"
    set_history(base, CopySlices(base, view._view_steps, node, output_nr), 0)
    fresh = _replay_view(view, base)
    set_history(view, fresh.grad_fn, fresh._output_nr)
    view._view_version = view._version_counter.value


class CopySlices(Node):
    """The new history of a base after one of its views was modified in place.

    The base's gradient splits in two: outside the view's region it flows to the base's old
    history; inside it flows to the node of the in-place op on the view (which passes on
    what belongs to the view's old values and to the op's other inputs).
    """

    def __init__(self, base: Tensor, steps: tuple, node: Node, output_nr: int) -> None:
        self._seq = next(sequence)
        self._steps = steps
        data = base._data
        self._shape, self._dtype = data.shape, data.dtype
        self._order = "F" if data.flags.f_contiguous and data.ndim > 1 and \
            not data.flags.c_contiguous else "C"
        self._region(np.empty(self._shape, self._dtype, order=self._order))  # type: ignore[call-overload]  # fail early
        old = edge_of(base) if base._requires_grad else None
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

    def apply_backward(self, grads: list) -> tuple:
        grad = grads[0]
        if grad is None:
            return (None, None)
        grad_base = np.array(grad, dtype=self._dtype, order=self._order, copy=True)  # type: ignore[call-overload]
        region = self._region(grad_base)
        refuse_internal_overlap(region)  # torch's copy into the view's region refuses it too
        grad_view = region.copy()
        region[...] = 0
        return (grad_base if self.next_functions[0] is not None else None, grad_view)


# -- in-place changes -----------------------------------------------------------------------
def check_inplace(tensor: Tensor, by_mark_dirty: bool = False) -> None:
    """Raises PyTorch's errors for modifying a leaf (or a view of one) that requires grad, or
    an output of a multi-output view function.

    ``mark_dirty`` in a custom Function words the leaf error as PyTorch does there.
    """
    creation = tensor.__dict__.get("_created_without_grad")
    if creation is not None:
        raise RuntimeError(_NO_GRAD_VIEW_MESSAGE + (
            MULTI_VIEW_RULE if creation == MULTI_OUTPUT_VIEW else _NO_GRAD_RULE))
    if tensor.grad_fn is None and tensor._requires_grad:
        verb = "has been" if by_mark_dirty else "is being"
        raise RuntimeError(
            f"a leaf Variable that requires grad {verb} used in an in-place operation."
        )
    multi = tensor.__dict__.get("_multi_output_view")
    if multi is not None:
        raise RuntimeError(
            f"Output {multi[1]} of {multi[0]} is a view and is being modified inplace. "
            + MULTI_VIEW_RULE)
    base = tensor._base
    if base is not None and base.grad_fn is None and base._requires_grad and \
            is_differentiable_view(tensor):
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation."
        )


def record_inplace(tensor: Tensor, op, *args, fill: bool = False, record: bool = True,
                   **kwargs) -> Tensor:
    """``tensor.op_(*args)``: runs ``op(tensor, *args)`` out of place and writes the result
    into ``tensor``'s storage.

    When the call is recorded, ``op`` sees a snapshot of the tensor (so values it saves for
    backward are the old ones) and the tensor takes the op's node as its history; for a view,
    the base's history is rebased too. ``fill`` says the op is one whose torch kernel writes
    through an expanded tensor (see :func:`write`). ``record=False`` is for ops that are not
    differentiable (``logical_and_``): they change the values and the version only, even of a
    leaf that requires grad, as in PyTorch.
    """
    recording = record and _state.enabled and (tensor._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    refuse_partial_overlap(tensor._data, args)
    if not recording:
        with no_grad():
            result = op(tensor, *args, **kwargs)
        _check_fits(tensor, result._data)
        write(tensor, result._data, fill=fill)
        return tensor
    check_inplace(tensor)
    view = is_differentiable_view(tensor)
    if view:
        sync_view_history(tensor)
    if tensor._data.dtype.kind in "biu":  # requires grad only after fill_ or eq_ (torch's
        snapshot = Tensor._make(tensor._data.copy())  # in-place ops let it pass: no gradient
    else:  # reaches an integer tensor, and its history is kept)
        snapshot = Tensor._make(tensor._data.copy(), tensor._requires_grad, tensor.grad_fn,
                                tensor._output_nr)
    if snapshot.grad_fn is None and snapshot._requires_grad:
        snapshot._accumulator = grad_accumulator(tensor)
    result = op(snapshot, *args, **kwargs)
    _check_fits(tensor, result._data)
    write(tensor, result._data, fill=fill)
    node = result.grad_fn
    if node is not None:
        adopt_saved_output(node, result, tensor)
        if view:
            rebase_view(tensor, node, result._output_nr)
        else:
            set_history(tensor, node, result._output_nr)
    return tensor


def record_inplace_view(tensor: Tensor, op, *args) -> Tensor:
    """Gives ``tensor`` the shape of ``op(tensor, *args)``, a view op, in place
    (``unsqueeze_``, ``t_`` ...): the same memory seen with new metadata, and (when recorded)
    the view op as its history."""
    recording = _state.enabled and tensor._requires_grad
    if recording:
        check_inplace(tensor)
    view = op(tensor, *args)
    tensor._data = view._data
    tensor._version_counter.value += 1  # PyTorch counts a change of shape as a change
    if recording:
        steps = tensor.__dict__.get("_view_steps")
        new_steps = view.__dict__.get("_view_steps")
        tensor.grad_fn, tensor._output_nr = view.grad_fn, view._output_nr
        if steps is not None and new_steps is not None:
            tensor._view_steps = new_steps
    return tensor


def _check_fits(tensor: Tensor, values: np.ndarray) -> None:
    """Raises PyTorch's errors when an in-place result cannot be stored in ``tensor``: a
    dtype it cannot hold (float into an integer tensor, anything but bool into bool) or a
    shape that broadcasting would grow."""
    dst, src = tensor._data.dtype, values.dtype
    if src != dst and (src.kind != "b" if dst.kind == "b" else
                       src.kind in "fcV" and dst.kind in "iu"):  # V: bfloat16
        raise RuntimeError(
            f"result type {SCALAR_TYPE_NAMES[src.name]} can't be cast to the desired "
            f"output type {SCALAR_TYPE_NAMES[dst.name]}"
        )
    if values.shape != tensor._data.shape:
        raise RuntimeError(
            f"output with shape {list(tensor._data.shape)} doesn't match the broadcast shape "
            f"{list(values.shape)}"
        )


def write(tensor: Tensor, values, fill: bool = False) -> None:
    """Copies ``values`` into ``tensor``'s storage (casting) and bumps its version.

    Several elements sharing one memory location (an ``expand``-ed tensor) are refused, as
    by most of PyTorch's in-place ops, unless ``fill``: the ops whose kernels write through
    them (fills, masked and index fills, ``triu_``/``tril_``, index puts) pass it, and each
    shared location then takes the new value of any element that changed it.
    """
    data = tensor._data
    if not fill:
        refuse_internal_overlap(data)
    elif shares_locations(data) and np.ndim(values):
        _write_through(data, np.asarray(values))
        tensor._version_counter.value += 1
        return
    try:
        np.copyto(data, values, casting="unsafe")
    except ValueError:
        raise_if_unwritable(data)
        raise
    tensor._version_counter.value += 1


def shares_locations(arr: np.ndarray) -> bool:
    """True if several elements of ``arr`` share one memory location (an expanded tensor)."""
    return arr.size > 1 and 0 in arr.strides and any(
        st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape, strict=True))


def _write_through(dst: np.ndarray, values: np.ndarray) -> None:
    """``dst[...] = values`` for a ``dst`` whose expanded dimensions share memory: each shared
    location takes the value of the last element (in C order) whose new value differs, bit
    for bit, from the location's current one; untouched locations keep theirs."""
    shared = tuple(i for i, (st, n) in enumerate(zip(dst.strides, dst.shape, strict=True))
                   if st == 0 and n > 1)
    region = dst[tuple(slice(0, 1) if i in shared else slice(None) for i in range(dst.ndim))]
    new = np.broadcast_to(values.astype(dst.dtype, copy=False), dst.shape)
    old = np.broadcast_to(region, dst.shape)
    bits = np.dtype(f"u{dst.itemsize}") if dst.itemsize in (1, 2, 4, 8) else None
    changed = new.view(bits) != old.view(bits) if bits is not None else new != old
    front = tuple(range(len(shared)))
    new = np.moveaxis(new, shared, front).reshape(-1, region.size)
    changed = np.moveaxis(changed, shared, front).reshape(-1, region.size)
    last = changed.shape[0] - 1 - np.argmax(changed[::-1], axis=0)
    picked = new[last, np.arange(region.size)].reshape(region.shape)
    np.copyto(region, picked, where=changed.any(axis=0).reshape(region.shape))


def raise_if_unwritable(arr: np.ndarray) -> None:
    """PyTorch's error for writing into ``arr`` if it is read-only (an expanded tensor)."""
    if arr.flags.writeable:
        return
    if 0 in arr.strides and arr.size > 1:
        raise RuntimeError(_OVERLAP.format("more than one element of the written-to tensor refers"))
    raise RuntimeError("cannot write into a tensor whose memory is read-only")


def refuse_partial_overlap(dst: np.ndarray, args) -> None:
    """PyTorch's error when an operand of an in-place op overlaps the written-to tensor
    without being the very same elements (``x += x`` is fine, ``x += x.T`` is not).

    As torch, only operands that are both dense blocks of memory are compared; when either
    has gaps (``x[:, 0]``, ``x[::2]``) torch calls the question too hard and lets it pass.
    """
    for a in args:
        src = a._data if isinstance(a, Tensor) else a
        if not isinstance(src, np.ndarray) or src is dst:
            continue
        if memory_root(src) is not memory_root(dst) or not np.may_share_memory(src, dst):
            continue
        if not (_dense_block(src) and _dense_block(dst)):
            continue
        if (src.__array_interface__["data"][0] == dst.__array_interface__["data"][0]
                and src.shape == dst.shape and src.strides == dst.strides):
            continue
        raise RuntimeError(_OVERLAP.format(
            "some elements of the input tensor and the written-to tensor refer"))


def _dense_block(arr: np.ndarray) -> bool:
    """True if ``arr``'s elements fill a block of memory without gaps or repeats, in some
    order of its dimensions (torch's ``is_non_overlapping_and_dense``)."""
    expected = arr.itemsize
    for stride, n in sorted((st, n) for st, n in zip(arr.strides, arr.shape, strict=True)
                            if n != 1):
        if stride != expected:
            return False
        expected *= n
    return True


def refuse_internal_overlap(arr: np.ndarray) -> None:
    """PyTorch's error for writing into a tensor in which several elements share one memory
    location (an ``expand``-ed dimension)."""
    if shares_locations(arr):
        raise RuntimeError(_OVERLAP.format(
            "more than one element of the written-to tensor refers"))

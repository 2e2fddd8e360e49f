"""The Tensor: a backend array plus what autograd needs to know about it."""

from __future__ import annotations

import numbers
import warnings
import weakref

import numpy as np

from ember import _dtype
from ember.backend import CPU, device, get_backend

__all__ = ["Tensor"]


class _Version:
    """A version counter shared by a tensor and its views; in-place ops bump it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
    "uint8": "ByteTensor", "bool": "BoolTensor", "bfloat16": "BFloat16Tensor",
}


def _to_array(data, dtype=None) -> np.ndarray:
    """Converts Python data (possibly holding tensors) to an array with PyTorch's dtype rules."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):  # NumPy scalars keep their dtype
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [np.asarray(x._data) if isinstance(x, Tensor) else x for x in data]
        arr = np.asarray(data)
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(_dtype.get_default_dtype().numpy)
        elif arr.dtype.kind in "iu" and arr.dtype != np.uint8 and dtype is None:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "biuf":
            raise TypeError(f"can't convert data of type {arr.dtype} to a tensor")
    if dtype is not None:
        target = _dtype.to_numpy_dtype(dtype)
        if not isinstance(data, (Tensor, np.ndarray)):
            _check_overflow(arr, target)
        arr = arr.astype(target, copy=False)
    else:
        _dtype.from_numpy_dtype(arr.dtype)
    return arr


def _check_overflow(values: np.ndarray, target: np.dtype) -> None:
    """PyTorch's check on Python numbers stored into an integer dtype: a float (NaN and inf
    included) must lie in the dtype's range; an integer too, except that unsigned dtypes
    accept negatives down to -max (they wrap, as in PyTorch)."""
    if target.kind not in "iu" or values.size == 0 or values.dtype.kind not in "iuf":
        return
    info = np.iinfo(target)
    with np.errstate(invalid="ignore"):
        if values.dtype.kind == "f":
            ok = bool(np.all((values >= info.min) & (values <= info.max)))
        else:
            low = -int(info.max) if target.kind == "u" else int(info.min)
            ok = int(values.min()) >= low and int(values.max()) <= int(info.max)
    if not ok:
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")


class Tensor:
    """A multi-dimensional array with reverse-mode automatic differentiation.

    ``ember.Tensor(2, 3)`` makes an uninitialised float tensor of that shape and
    ``ember.Tensor([1, 2])`` a float tensor from data, as in PyTorch; most code creates
    tensors with :func:`ember.tensor` and the creation functions instead.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_accumulator",
        "_base",
        "_data",
        "_hooks",
        "_output_nr",
        "_requires_grad",
        "_version_counter",
        "grad",
        "grad_fn",
    )
    __array_ufunc__ = None  # NumPy defers binary operators to the Tensor's reflected methods
    __array_priority__ = 1000

    def __init__(self, *args, device=None, dtype=None) -> None:
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            arr = _to_array(args[0], dtype or _dtype.get_default_dtype()).copy()
        else:
            shape = tuple(int(a) for a in (args[0] if len(args) == 1 and
                                            isinstance(args[0], (tuple, list)) else args))
            arr = np.empty(shape, dtype=_dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype()))
        self._init(arr)

    def _init(self, arr, requires_grad=False, grad_fn=None, output_nr=0) -> None:
        self._data = arr
        self._requires_grad = requires_grad
        self.grad = None
        self.grad_fn = grad_fn
        self._output_nr = output_nr
        self._version_counter = _Version()
        self._base = None
        self._hooks = None
        self._accumulator = None

    @classmethod
    def _make(cls, arr, requires_grad=False, grad_fn=None, output_nr=0) -> Tensor:
        """Wraps a backend array without copying (the fast path every op uses)."""
        t = object.__new__(cls)
        t._init(arr if type(arr) is np.ndarray else np.asarray(arr), requires_grad, grad_fn,
                output_nr)
        return t

    # -- autograd metadata -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """True if gradients flow to (or through) this tensor (for a view, also after its base
        took a gradient-requiring value in place)."""
        if self._base is not None and "_view_steps" in self.__dict__:
            self._sync_view_history()
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not _dtype.is_floating(self._data.dtype):
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients"
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Sets ``requires_grad`` in place and returns self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        if self._base is not None and "_view_steps" in self.__dict__:
            self._sync_view_history()
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        """How many times this tensor's storage was modified in place (shared with views)."""
        return self._version_counter.value

    def _set_history(self, node, output_nr: int) -> None:
        retain = self.__dict__.get("_retain_hook")
        if retain is not None:
            self._detach_retain_hook(retain)
        self.grad_fn = node
        self._output_nr = output_nr
        self._requires_grad = True
        if retain is not None:  # retain_grad follows the tensor to its new history
            self._attach_retain_hook(retain)
        views = self.__dict__.pop("_views_without_history", None)
        if views:  # views made before this tensor required grad now follow its history
            for view in list(views):
                view._sync_view_history()

    def _detach_retain_hook(self, keep) -> None:
        pre = self.grad_fn._pre_hooks if self.grad_fn is not None else None
        hooks = pre.get(self._output_nr) if pre else None
        if hooks and keep in hooks:
            hooks.remove(keep)

    def _attach_retain_hook(self, keep) -> None:
        """(Re)adds the retain_grad hook last, so that it sees what the other hooks made."""
        self._detach_retain_hook(keep)
        self.grad_fn._add_pre_hook(self._output_nr, keep)

    def _grad_accumulator(self):
        if self._accumulator is None:
            from ember.autograd.function import AccumulateGrad

            self._accumulator = AccumulateGrad(self)
        return self._accumulator

    def _make_view_of(self, base: Tensor, step: tuple | None = None) -> None:
        """Makes this tensor a view of ``base``: shared storage and version counter.

        Args:
            base: the tensor this one views.
            step: ``(view_function, args, kwargs)`` for a differentiable view (``base[0]``,
                ``base.T`` ...). The view keeps the chain of steps from its root base, so that
                an in-place change of the view can be written into the base's history and a
                view's history can be re-derived after its base changed in place. Aliases
                such as ``detach()`` pass None: they share memory but not history.
        """
        self._version_counter = base._version_counter
        if step is None:
            self._base = base if base._base is None else base._base
            return
        steps = base.__dict__.get("_view_steps") if base._base is not None else None
        if steps is None:  # base is a root (or a detached alias, which acts as one)
            self._base = base
            self._view_steps = (step,)
        else:
            self._base = base._base
            self._view_steps = (*steps, step)
        self._view_version = self._version_counter.value
        root = self._base
        if not root._requires_grad:  # tell this view when its root takes a history in place
            views = root.__dict__.get("_views_without_history")
            if views is None:
                views = root._views_without_history = weakref.WeakSet()
            views.add(self)

    def _alias(self) -> Tensor:
        t = Tensor._make(self._data)
        t._make_view_of(self)
        return t

    def _is_differentiable_view(self) -> bool:
        return self._base is not None and "_view_steps" in self.__dict__

    def _replay_view(self, base: Tensor) -> Tensor:
        """Applies this view's chain of view functions to ``base`` (recording them)."""
        with _enable_grad():
            for fn, args, kwargs in self._view_steps:
                base = fn.apply(base, *args, **kwargs)
        return base

    def _sync_view_history(self) -> None:
        """Re-derives a view's history from its base if either changed in place since.

        The view's values always follow its base's storage; its history must too, or its
        gradient would flow into the base's history from before the change.
        """
        if self._view_version == self._version_counter.value:
            return
        multi = self.__dict__.get("_multi_output_view")
        if multi is not None:
            raise RuntimeError(
                f"Output {multi[1]} of {multi[0]} is a view and its base or another view of its "
                "base has been modified inplace. " + _MULTI_VIEW_RULE)
        self._view_version = self._version_counter.value
        if self._base._requires_grad:
            fresh = self._replay_view(self._base)
            self.grad_fn, self._output_nr = fresh.grad_fn, fresh._output_nr
            self._requires_grad = True

    def _rebase_view(self, node, output_nr: int) -> None:
        """After an in-place op on this view recorded as ``(node, output_nr)``, moves the
        change into the base's history (PyTorch's CopySlices) and re-derives this view's."""
        from ember.autograd.function import CopySlices

        base = self._base
        base._set_history(CopySlices(base, self._view_steps, node, output_nr), 0)
        fresh = self._replay_view(base)
        self._set_history(fresh.grad_fn, fresh._output_nr)
        self._view_version = self._version_counter.value

    def _type_name(self) -> str:
        return f"ember.{_TYPE_NAMES[self._data.dtype.name]} [{', '.join(map(str, self.shape))}]"

    def retain_grad(self) -> None:
        """Keeps ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if getattr(self, "_retains_grad", False):
            return
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                if t.grad is None:
                    t.grad = Tensor._make(np.array(grad._data, copy=True))
                else:
                    t.grad._data = t.grad._data + grad._data

        self._retain_hook = keep
        self._attach_retain_hook(keep)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return getattr(self, "_retains_grad", False)

    def register_hook(self, hook):
        """Registers ``hook(grad) -> Tensor | None``, called with this tensor's gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            handle = self.grad_fn._add_pre_hook(self._output_nr, hook)
            retain = self.__dict__.get("_retain_hook")
            if retain is not None:
                self._attach_retain_hook(retain)
            return handle
        from ember.autograd.function import _RemovableHandle

        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Computes the gradient of this tensor w.r.t. the graph's leaves.

        Args:
            gradient: gradient w.r.t. this tensor; may be omitted for a one-element tensor.
            retain_graph: keep the graph so that backward can run through it again.
            create_graph: not supported.
            inputs: leaves to accumulate into (all leaves by default).
        """
        _engine_backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """Returns a tensor sharing storage with this one but outside the graph."""
        return self._alias()

    def detach_(self) -> Tensor:
        """Detaches this tensor from the graph in place and returns it."""
        if self._is_differentiable_view():
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing storage with this one (assignable, as in PyTorch).

        As in PyTorch it is the escape hatch from autograd's checks: it has a version counter
        of its own, so changes made through it are not seen by the graph.
        """
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # -- metadata --------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape as an ``ember.Size``, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_canon_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return CPU.device

    @property
    def is_cuda(self) -> bool:
        """False: Ember tensors live on the CPU (so are ``is_xpu``, ``is_mps`` ... below)."""
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    is_xpu = is_mps = is_meta = is_ipu = is_xla = is_mtia = is_maia = is_cuda
    is_quantized = is_nested = is_mkldnn = is_vulkan = is_sparse_csr = is_cuda

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        """Strides in elements, as PyTorch reports them."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_canon_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        """True if the elements are laid out in C order without gaps."""
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return _dtype.is_floating(self._data.dtype)

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        """The array that owns this tensor's memory (shared by its views)."""
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return base

    @property
    def T(self) -> Tensor:
        return _ops.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        if self._data.ndim == 0:
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the "
                          "identity in these cases.", UserWarning, stacklevel=2)
            return self
        if self._data.ndim == 1:
            raise RuntimeError(
                "tensor.mT is only supported on matrices or batches of matrices. Got "
                f"{self._data.ndim}-D tensor."
            )
        return _ops.transpose(self, -2, -1)

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix (the transpose: Ember's tensors are real)."""
        if self._data.ndim not in (0, 2):
            raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self._data.ndim}-D tensor.")
        return _ops.transpose(self, 0, 1) if self._data.ndim == 2 else self

    def sum_to_size(self, *size) -> Tensor:
        """Sums this tensor down to ``size``, which it must be expandable from."""
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        shape = tuple(self._data.shape)
        lead = len(shape) - len(size)
        if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:], strict=True)):
            raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                               f"{{{list(shape)}}}.")
        out = self.sum(dim=tuple(range(lead))) if lead else self
        kept = tuple(i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1)
        return out.sum(dim=kept, keepdim=True) if kept else out

    def argwhere(self) -> Tensor:
        return _ops.argwhere(self)

    def kron(self, other) -> Tensor:
        return _ops.kron(self, other)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
        return _ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # -- conversion ------------------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        """Returns the NumPy array behind this tensor (shares memory)."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def item(self):
        """Returns the value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        value = self._data.reshape(())
        return (value.astype(np.float32) if value.dtype == _dtype.BF16 else value).item()

    def tolist(self):
        """Returns the data as (nested) Python lists."""
        if self._data.dtype == _dtype.BF16:
            return self._data.astype(np.float32).tolist()
        return self._data.tolist()

    def to(self, *args, **kwargs) -> Tensor:
        """Converts dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(other)``."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                dev = a
            elif a is not None:
                dtype = a
        if dev is not None:
            get_backend(dev)
        if dtype is None:
            return self.clone() if copy else self
        target = _dtype.to_numpy_dtype(dtype)
        if target == self._data.dtype:
            return self.clone() if copy else self
        return _ops.cast(self, target)

    def type(self, dtype=None):
        """Returns the type name, or a cast copy when a dtype is given (a dtype, a legacy
        type such as ``ember.LongTensor``, or its name ``"torch.LongTensor"``)."""
        if dtype is None:
            return f"ember.{_TYPE_NAMES[self._data.dtype.name]}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            from ember._legacy import LEGACY_TYPES

            name = dtype.rpartition(".")[2]
            if name not in LEGACY_TYPES:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = LEGACY_TYPES[name]
        return self.to(getattr(dtype, "dtype", dtype) if isinstance(dtype, type) else dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    # -- sparse layouts (ember.sparse) ------------------------------------------------------
    is_sparse = False

    @property
    def layout(self):
        """``ember.strided``: how a dense tensor is stored (sparse tensors are ember.sparse's)."""
        from ember.sparse import strided

        return strided

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """This tensor in sparse COO layout (see :func:`ember.sparse.to_sparse`)."""
        from ember.sparse import to_sparse

        return to_sparse(self, sparse_dim, layout=layout, blocksize=blocksize, dense_dim=dense_dim)

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """A dense tensor is its own dense form: self, or a copy in ``dtype``."""
        return self if dtype is None else self.to(dtype)

    def bfloat16(self) -> Tensor:
        return self.to(_dtype.bfloat16)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def short(self) -> Tensor:
        return self.to(_dtype.int16)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool_)

    def byte(self) -> Tensor:
        return self.to(_dtype.uint8)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args, **kwargs):
        """Raises ``AssertionError``, as PyTorch's CPU-only build does: Ember has no CUDA."""
        get_backend("cuda")

    def pin_memory(self, device=None) -> Tensor:
        """Raises ``RuntimeError`` as PyTorch's CPU-only build does: pinned (page-locked)
        memory is for copies to an accelerator, and there is none."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device=None) -> bool:
        """False: Ember's CPU tensors are never in pinned memory."""
        return False

    def clone(self, memory_format=None) -> Tensor:
        """A copy that stays in the graph."""
        return _ops.clone(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return _ops.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    # -- Python protocol -------------------------------------------------------------------
    def __repr__(self) -> str:
        return _format(self)

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        """Formats a 0-d tensor as its Python number (``f"{loss:.4f}"``); other tensors only
        with an empty spec, as PyTorch does."""
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    __hash__ = object.__hash__

    def __getitem__(self, index) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _ops.setitem(self, index, value)

    def __deepcopy__(self, memo) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment."
            )
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self._requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = new
        for k, v in getattr(self, "__dict__", {}).items():
            import copy

            setattr(new, k, copy.deepcopy(v, memo))
        return new

    def __reduce_ex__(self, protocol):
        """Pickles the values as raw little-endian bytes with the dtype's name, the shape,
        ``requires_grad``, the class and the public attributes, as PyTorch pickles a tensor (a
        non-leaf comes back as a leaf, a view as a tensor of its own; ``.grad`` is not kept).
        The pickle names no NumPy global, so a weights-only unpickler needs none."""
        import pickle

        arr = self._data if self._data.flags.c_contiguous else self._data.copy(order="C")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).reshape(-1).view(np.uint8)
        data = pickle.PickleBuffer(raw) if protocol >= 5 else raw.tobytes()
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return (_rebuild_tensor, (type(self), data, _dtype.from_numpy_dtype(arr.dtype).name,
                                  tuple(arr.shape), self._requires_grad, state))

    # -- arithmetic operators --------------------------------------------------------------
    def __add__(self, other): return _ops.add(self, other)
    def __radd__(self, other): return _ops.add(other, self)
    def __sub__(self, other): return _ops.sub(self, other)
    def __rsub__(self, other): return _ops.sub(other, self)
    def __mul__(self, other): return _ops.mul(self, other)
    def __rmul__(self, other): return _ops.mul(other, self)
    def __truediv__(self, other): return _ops.div(self, other)
    def __rtruediv__(self, other): return _ops.div(other, self)
    def __floordiv__(self, other): return _ops.floor_divide(self, other)
    def __rfloordiv__(self, other): return _ops.floor_divide(other, self)
    def __mod__(self, other): return _ops.remainder(self, other)
    def __rmod__(self, other): return _ops.remainder(other, self)
    def __pow__(self, other): return _ops.pow(self, other)
    def __rpow__(self, other): return _ops.pow(other, self)
    def __matmul__(self, other): return _ops.matmul(self, other)
    def __rmatmul__(self, other): return _ops.matmul(other, self)
    def __neg__(self): return _ops.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ops.abs(self)
    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError(
                "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
            )
        return _ops.bitwise_not(self)

    def __and__(self, other): return _ops.bitwise_and(self, other)
    def __rand__(self, other): return _ops.bitwise_and(other, self)
    def __or__(self, other): return _ops.bitwise_or(self, other)
    def __ror__(self, other): return _ops.bitwise_or(other, self)
    def __xor__(self, other): return _ops.bitwise_xor(self, other)
    def __rxor__(self, other): return _ops.bitwise_xor(other, self)

    def __eq__(self, other): return _ops.eq(self, other)
    def __ne__(self, other): return _ops.ne(self, other)
    def __lt__(self, other): return _ops.lt(self, other)
    def __le__(self, other): return _ops.le(self, other)
    def __gt__(self, other): return _ops.gt(self, other)
    def __ge__(self, other): return _ops.ge(self, other)

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __ifloordiv__(self, other): return self.floor_divide_(other)
    def __imod__(self, other): return self.remainder_(other)
    def __ipow__(self, other): return self.pow_(other)
    def __iand__(self, other): return self.bitwise_and_(other)
    def __ior__(self, other): return self.bitwise_or_(other)
    def __ixor__(self, other): return self.bitwise_xor_(other)

    # -- in-place operations ---------------------------------------------------------------
    def _inplace(self, op, *args, **kwargs) -> Tensor:
        """Runs ``op(self, *args)`` out of place and writes the result into self's storage.

        When the call is recorded, ``op`` sees a snapshot of self (so values it saves for
        backward are the old ones) and self takes the op's node as its history; for a view,
        the base's history is rebased too (see :meth:`_rebase_view`).
        """
        recording = _state.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        _refuse_partial_overlap(self._data, args)
        if not recording:
            with _no_grad():
                result = op(self, *args, **kwargs)
            self._check_inplace_result(result._data)
            self._write(result._data)
            return self
        self._check_inplace()
        view = self._is_differentiable_view()
        if view:
            self._sync_view_history()
        snapshot = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn,
                                self._output_nr)
        if snapshot.grad_fn is None and snapshot._requires_grad:
            snapshot._accumulator = self._grad_accumulator()
        result = op(snapshot, *args, **kwargs)
        self._check_inplace_result(result._data)
        self._write(result._data, fill=op == Fill.apply and _is_one_value(args))
        node = result.grad_fn
        if node is not None:
            _adopt_saved_output(node, result, self)
            if view:
                self._rebase_view(node, result._output_nr)
            else:
                self._set_history(node, result._output_nr)
        return self

    def _check_inplace_result(self, values: np.ndarray) -> None:
        """Raises PyTorch's errors when an in-place result cannot be stored in self: a dtype
        self cannot hold (float into an integer tensor, anything but bool into bool) or a
        shape that broadcasting would grow."""
        dst = self._data.dtype
        src = values.dtype
        if src != dst and not _can_cast(src, dst):
            raise RuntimeError(
                f"result type {_SCALAR_NAMES[src.name]} can't be cast to the desired "
                f"output type {_SCALAR_NAMES[dst.name]}"
            )
        if values.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(values.shape)}"
            )

    def _check_inplace(self, by_mark_dirty: bool = False) -> None:
        """Raises PyTorch's errors for modifying a leaf (or a view of one) that requires grad.

        ``mark_dirty`` in a custom Function words the leaf error as PyTorch does there.
        """
        if self.grad_fn is None and self._requires_grad:
            verb = "has been" if by_mark_dirty else "is being"
            raise RuntimeError(
                f"a leaf Variable that requires grad {verb} used in an in-place operation."
            )
        multi = self.__dict__.get("_multi_output_view")
        if multi is not None:
            raise RuntimeError(
                f"Output {multi[1]} of {multi[0]} is a view and is being modified inplace. "
                + _MULTI_VIEW_RULE)
        base = self._base
        if base is not None and base.grad_fn is None and base._requires_grad and \
                self._is_differentiable_view():
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )

    def _write(self, values, fill: bool = False) -> None:
        """Copies values into this tensor's storage (casting) and bumps its version.

        Several elements sharing one memory location (an ``expand``-ed tensor) can only be
        filled with one value, as in PyTorch.
        """
        if not fill:
            _refuse_internal_overlap(self._data)
        try:
            np.copyto(self._data, values, casting="unsafe")
        except ValueError:
            self._raise_if_unwritable()
            raise
        self._version_counter.value += 1

    def _raise_if_unwritable(self) -> None:
        if self._data.flags.writeable:
            return
        if 0 in self._data.strides and self._data.size > 1:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation."
            )
        raise RuntimeError("cannot write into a tensor whose memory is read-only")

    def _overwrite(self, values, fill: bool = False) -> Tensor:
        """Replaces the contents with ``values`` (one value if ``fill``); no gradient flows to
        the old contents."""
        if _state.enabled and self._requires_grad:
            return self._inplace(Fill.apply, values)
        self._write(values, fill)
        return self

    def _fast_inplace(self, ufunc, other, alpha=None) -> bool:
        """In-place ufunc straight into storage when nothing is recorded (the optimizer path).

        Returns False (having done nothing) when the general path is needed.
        """
        if _state.enabled and (self._requires_grad or (isinstance(other, Tensor) and
                                                       other._requires_grad)):
            return False
        if _OBSERVERS:  # an exporter or profiler watches the ops: take the recorded path
            return False
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(o, np.ndarray):
            try:
                if np.broadcast_shapes(o.shape, self._data.shape) != self._data.shape:
                    return False
            except ValueError:  # not broadcastable: the general path raises PyTorch's error
                return False
        _refuse_internal_overlap(self._data)
        if isinstance(o, np.ndarray):
            _refuse_partial_overlap(self._data, (o,))
        if alpha is not None and alpha != 1:
            o = o * alpha
        if not _dtype.is_floating(self._data.dtype) and (
                ufunc is np.true_divide or self._data.dtype.kind == "b"
                or isinstance(o, float) or np.result_type(self._data, o).kind == "f"):
            return False  # the general path applies PyTorch's promotion and cast checks
        try:
            with np.errstate(all="ignore"):
                ufunc(self._data, o, out=self._data, casting="unsafe")
        except ValueError:
            self._raise_if_unwritable()
            raise
        self._version_counter.value += 1
        return True

    def add_(self, other, *, alpha=1) -> Tensor:
        if self._fast_inplace(np.add, other, alpha):
            return self
        return self._inplace(_ops.add, other, alpha=alpha)

    def sub_(self, other, *, alpha=1) -> Tensor:
        if self._fast_inplace(np.subtract, other, alpha):
            return self
        return self._inplace(_ops.sub, other, alpha=alpha)

    def mul_(self, other) -> Tensor:
        if self._fast_inplace(np.multiply, other):
            return self
        return self._inplace(_ops.mul, other)

    def div_(self, other, *, rounding_mode=None) -> Tensor:
        if rounding_mode is None and self._fast_inplace(np.true_divide, other):
            return self
        return self._inplace(_ops.div, other, rounding_mode=rounding_mode)

    def pow_(self, exponent) -> Tensor:
        return self._inplace(_ops.pow, exponent)

    def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
        return self._inplace(_ops.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
        return self._inplace(_ops.addcdiv, tensor1, tensor2, value=value)

    def lerp_(self, end, weight) -> Tensor:
        return self._inplace(_ops.lerp, end, weight)

    def neg_(self) -> Tensor:
        return self._inplace(_ops.neg)

    def exp_(self) -> Tensor:
        return self._inplace(_ops.exp)

    def sqrt_(self) -> Tensor:
        return self._inplace(_ops.sqrt)

    def abs_(self) -> Tensor:
        return self._inplace(_ops.abs)

    def relu_(self) -> Tensor:
        return self._inplace(_ops.relu)

    def sigmoid_(self) -> Tensor:
        return self._inplace(_ops.sigmoid)

    def tanh_(self) -> Tensor:
        return self._inplace(_ops.tanh)

    # the in-place forms of the element-wise ops: ``x.op_(...)`` is ``x.copy_(x.op(...))``
    # with PyTorch's checks (result dtype and shape must fit x) and x's history updated
    def floor_(self): return self._inplace(_ops.floor)
    def ceil_(self): return self._inplace(_ops.ceil)
    def round_(self, *, decimals=0): return self._inplace(_ops.round, decimals=decimals)
    def trunc_(self): return self._inplace(_ops.trunc)
    def frac_(self): return self._inplace(_ops.frac)
    def sign_(self): return self._inplace(_ops.sign)
    def sgn_(self): return self._inplace(_ops.sgn)
    def log_(self): return self._inplace(_ops.log)
    def log2_(self): return self._inplace(_ops.log2)
    def log10_(self): return self._inplace(_ops.log10)
    def log1p_(self): return self._inplace(_ops.log1p)
    def expm1_(self): return self._inplace(_ops.expm1)
    def exp2_(self): return self._inplace(_ops.exp2)
    def sin_(self): return self._inplace(_ops.sin)
    def cos_(self): return self._inplace(_ops.cos)
    def tan_(self): return self._inplace(_ops.tan)
    def asin_(self): return self._inplace(_ops.asin)
    def acos_(self): return self._inplace(_ops.acos)
    def atan_(self): return self._inplace(_ops.atan)
    def sinh_(self): return self._inplace(_ops.sinh)
    def cosh_(self): return self._inplace(_ops.cosh)
    def rsqrt_(self): return self._inplace(_ops.rsqrt)
    def reciprocal_(self): return self._inplace(_ops.reciprocal)
    def erf_(self): return self._inplace(_ops.erf)
    def square_(self): return self._inplace(_ops.square)
    def logit_(self, eps=None): return self._inplace(_ops.logit, eps)
    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace(_ops.nan_to_num, nan, posinf, neginf)
    def remainder_(self, other): return self._inplace(_ops.remainder, other)
    def fmod_(self, other): return self._inplace(_ops.fmod, other)
    def floor_divide_(self, other): return self._inplace(_ops.floor_divide, other)
    def atan2_(self, other): return self._inplace(_ops.atan2, other)
    def bitwise_and_(self, other): return self._inplace(_ops.bitwise_and, other)
    def bitwise_or_(self, other): return self._inplace(_ops.bitwise_or, other)
    def bitwise_xor_(self, other): return self._inplace(_ops.bitwise_xor, other)
    def bitwise_not_(self): return self._inplace(_ops.bitwise_not)
    def logical_not_(self): return self._inplace(_ops.logical_not)
    def logical_and_(self, other): return self._inplace(_ops.logical_and, other)
    def logical_or_(self, other): return self._inplace(_ops.logical_or, other)
    def logical_xor_(self, other): return self._inplace(_ops.logical_xor, other)
    def tril_(self, diagonal=0): return self._inplace(_ops.tril, diagonal)
    def triu_(self, diagonal=0): return self._inplace(_ops.triu, diagonal)
    def cumsum_(self, dim, *, dtype=None): return self._inplace(_ops.cumsum, dim, dtype=dtype)
    def cumprod_(self, dim, *, dtype=None): return self._inplace(_ops.cumprod, dim, dtype=dtype)
    absolute_ = abs_
    negative_ = neg_
    multiply_ = mul_
    subtract_ = sub_
    divide_ = true_divide_ = div_
    arctan2_ = atan2_

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._inplace(_ops.clamp, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value) -> Tensor:
        return self._inplace(_ops.masked_fill, mask, value)

    def zero_(self) -> Tensor:
        """Fills with zeros in place."""
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        """Fills with ``value`` (a number or a one-element tensor) in place."""
        if isinstance(value, Tensor):
            if value._data.size != 1 or value._data.ndim > 1:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value._data.ndim} dimensions."
                )
            if _state.enabled and value._requires_grad:
                return self._inplace(Fill.apply, value.reshape(()))
            value = value._data
        elif isinstance(value, float):
            _check_overflow(np.asarray(value), self._data.dtype)
        return self._overwrite(value, fill=np.ndim(value) == 0)

    def copy_(self, src, non_blocking=False) -> Tensor:
        """Copies ``src`` (broadcast and cast) into this tensor; differentiable w.r.t. src."""
        if isinstance(src, Tensor):
            try:
                shape = np.broadcast_shapes(src._data.shape, self._data.shape)
            except ValueError:
                raise _broadcast_error(self, src) from None
            if shape != self._data.shape:
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match "
                                   f"the broadcast shape {list(shape)}")
            if _state.enabled and src._requires_grad:
                return self._inplace(Fill.apply, src)
            _refuse_partial_overlap(self._data, (src,))
            src = src._data
        return self._overwrite(src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """Fills with samples from U[a, b) in place."""
        from ember import random as _random

        return self._overwrite(
            _random.uniform_array(self._data.shape, self._data.dtype, a, b, generator))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """Fills with samples from N(mean, std**2) in place."""
        from ember import random as _random

        return self._overwrite(
            _random.normal_array(self._data.shape, self._data.dtype, mean, std, generator))

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """Fills with 0/1 samples, 1 with probability ``p``, in place."""
        from ember import random as _random

        prob = p._data if isinstance(p, Tensor) else p
        return self._overwrite(_random.bernoulli_array(self._data.shape, prob, generator))

    def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
        """Fills with integers uniform on ``[from_, to)`` (``random_(to)``: ``[0, to)``)."""
        from ember import random as _random

        if to is None:
            from_, to = 0, from_ if from_ else _random.default_random_upper(self._data.dtype)
        return self._overwrite(_random.randint_array(from_, to, self._data.shape, generator))

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        """Fills with samples from the exponential distribution of rate ``lambd``."""
        from ember import random as _random

        u = _random.uniform_array(self._data.shape, np.float64, 0.0, 1.0, generator)
        return self._overwrite(-np.log1p(-u) / lambd)

    # -- operations (each forwards to ember.ops) ---------------------------------------
    def exp(self, *args, **kwargs):
        return _ops.exp(self, *args, **kwargs)

    def exp2(self, *args, **kwargs):
        return _ops.exp2(self, *args, **kwargs)

    def expm1(self, *args, **kwargs):
        return _ops.expm1(self, *args, **kwargs)

    def log(self, *args, **kwargs):
        return _ops.log(self, *args, **kwargs)

    def log2(self, *args, **kwargs):
        return _ops.log2(self, *args, **kwargs)

    def log10(self, *args, **kwargs):
        return _ops.log10(self, *args, **kwargs)

    def log1p(self, *args, **kwargs):
        return _ops.log1p(self, *args, **kwargs)

    def sqrt(self, *args, **kwargs):
        return _ops.sqrt(self, *args, **kwargs)

    def rsqrt(self, *args, **kwargs):
        return _ops.rsqrt(self, *args, **kwargs)

    def abs(self, *args, **kwargs):
        return _ops.abs(self, *args, **kwargs)

    def sign(self, *args, **kwargs):
        return _ops.sign(self, *args, **kwargs)

    def sgn(self, *args, **kwargs):
        return _ops.sgn(self, *args, **kwargs)

    def sin(self, *args, **kwargs):
        return _ops.sin(self, *args, **kwargs)

    def cos(self, *args, **kwargs):
        return _ops.cos(self, *args, **kwargs)

    def tan(self, *args, **kwargs):
        return _ops.tan(self, *args, **kwargs)

    def atan(self, *args, **kwargs):
        return _ops.atan(self, *args, **kwargs)

    def asin(self, *args, **kwargs):
        return _ops.asin(self, *args, **kwargs)

    def acos(self, *args, **kwargs):
        return _ops.acos(self, *args, **kwargs)

    def tanh(self, *args, **kwargs):
        return _ops.tanh(self, *args, **kwargs)

    def sigmoid(self, *args, **kwargs):
        return _ops.sigmoid(self, *args, **kwargs)

    def relu(self, *args, **kwargs):
        return _ops.relu(self, *args, **kwargs)

    def floor(self, *args, **kwargs):
        return _ops.floor(self, *args, **kwargs)

    def ceil(self, *args, **kwargs):
        return _ops.ceil(self, *args, **kwargs)

    def round(self, *args, **kwargs):
        return _ops.round(self, *args, **kwargs)

    def trunc(self, *args, **kwargs):
        return _ops.trunc(self, *args, **kwargs)

    def frac(self, *args, **kwargs):
        return _ops.frac(self, *args, **kwargs)

    def erf(self, *args, **kwargs):
        return _ops.erf(self, *args, **kwargs)

    def logit(self, *args, **kwargs):
        return _ops.logit(self, *args, **kwargs)

    def square(self, *args, **kwargs):
        return _ops.square(self, *args, **kwargs)

    def reciprocal(self, *args, **kwargs):
        return _ops.reciprocal(self, *args, **kwargs)

    def neg(self, *args, **kwargs):
        return _ops.neg(self, *args, **kwargs)

    def negative(self, *args, **kwargs):
        return _ops.negative(self, *args, **kwargs)

    def sum(self, *args, **kwargs):
        return _ops.sum(self, *args, **kwargs)

    def mean(self, *args, **kwargs):
        return _ops.mean(self, *args, **kwargs)

    def prod(self, *args, **kwargs):
        return _ops.prod(self, *args, **kwargs)

    def var(self, *args, **kwargs):
        return _ops.var(self, *args, **kwargs)

    def std(self, *args, **kwargs):
        return _ops.std(self, *args, **kwargs)

    def max(self, *args, **kwargs):
        return _ops.max(self, *args, **kwargs)

    def min(self, *args, **kwargs):
        return _ops.min(self, *args, **kwargs)

    def amax(self, *args, **kwargs):
        return _ops.amax(self, *args, **kwargs)

    def amin(self, *args, **kwargs):
        return _ops.amin(self, *args, **kwargs)

    def argmax(self, *args, **kwargs):
        return _ops.argmax(self, *args, **kwargs)

    def argmin(self, *args, **kwargs):
        return _ops.argmin(self, *args, **kwargs)

    def logsumexp(self, *args, **kwargs):
        return _ops.logsumexp(self, *args, **kwargs)

    def norm(self, *args, **kwargs):
        return _ops.norm(self, *args, **kwargs)

    def dist(self, *args, **kwargs):
        return _ops.dist(self, *args, **kwargs)

    def diff(self, *args, **kwargs):
        return _ops.diff(self, *args, **kwargs)

    def cumsum(self, *args, **kwargs):
        return _ops.cumsum(self, *args, **kwargs)

    def cumprod(self, *args, **kwargs):
        return _ops.cumprod(self, *args, **kwargs)

    def all(self, *args, **kwargs):
        return _ops.all(self, *args, **kwargs)

    def any(self, *args, **kwargs):
        return _ops.any(self, *args, **kwargs)

    def count_nonzero(self, *args, **kwargs):
        return _ops.count_nonzero(self, *args, **kwargs)

    def median(self, *args, **kwargs):
        return _ops.median(self, *args, **kwargs)

    def matmul(self, *args, **kwargs):
        return _ops.matmul(self, *args, **kwargs)

    def mm(self, *args, **kwargs):
        return _ops.mm(self, *args, **kwargs)

    def bmm(self, *args, **kwargs):
        return _ops.bmm(self, *args, **kwargs)

    def dot(self, *args, **kwargs):
        return _ops.dot(self, *args, **kwargs)

    def mv(self, *args, **kwargs):
        return _ops.mv(self, *args, **kwargs)

    def outer(self, *args, **kwargs):
        return _ops.outer(self, *args, **kwargs)

    def inner(self, *args, **kwargs):
        return _ops.inner(self, *args, **kwargs)

    def reshape(self, *args, **kwargs):
        return _ops.reshape(self, *args, **kwargs)

    def view(self, *args, **kwargs):
        return _ops.view(self, *args, **kwargs)

    def flatten(self, *args, **kwargs):
        return _ops.flatten(self, *args, **kwargs)

    def unflatten(self, *args, **kwargs):
        return _ops.unflatten(self, *args, **kwargs)

    def squeeze(self, *args, **kwargs):
        return _ops.squeeze(self, *args, **kwargs)

    def unsqueeze(self, *args, **kwargs):
        return _ops.unsqueeze(self, *args, **kwargs)

    def permute(self, *args, **kwargs):
        return _ops.permute(self, *args, **kwargs)

    def transpose(self, *args, **kwargs):
        return _ops.transpose(self, *args, **kwargs)

    def t(self, *args, **kwargs):
        return _ops.t(self, *args, **kwargs)

    def expand(self, *args, **kwargs):
        return _ops.expand(self, *args, **kwargs)

    def expand_as(self, *args, **kwargs):
        return _ops.expand_as(self, *args, **kwargs)

    def repeat(self, *args, **kwargs):
        return _ops.repeat(self, *args, **kwargs)

    def tile(self, *args, **kwargs):
        return _ops.tile(self, *args, **kwargs)

    def contiguous(self, *args, **kwargs):
        return _ops.contiguous(self, *args, **kwargs)

    def narrow(self, *args, **kwargs):
        return _ops.narrow(self, *args, **kwargs)

    def split(self, *args, **kwargs):
        return _ops.split(self, *args, **kwargs)

    def chunk(self, *args, **kwargs):
        return _ops.chunk(self, *args, **kwargs)

    def unbind(self, *args, **kwargs):
        return _ops.unbind(self, *args, **kwargs)

    def flip(self, *args, **kwargs):
        return _ops.flip(self, *args, **kwargs)

    def roll(self, *args, **kwargs):
        return _ops.roll(self, *args, **kwargs)

    def movedim(self, *args, **kwargs):
        return _ops.movedim(self, *args, **kwargs)

    def swapaxes(self, *args, **kwargs):
        return _ops.swapaxes(self, *args, **kwargs)

    def view_as(self, *args, **kwargs):
        return _ops.view_as(self, *args, **kwargs)

    def reshape_as(self, *args, **kwargs):
        return _ops.reshape_as(self, *args, **kwargs)

    def tril(self, *args, **kwargs):
        return _ops.tril(self, *args, **kwargs)

    def triu(self, *args, **kwargs):
        return _ops.triu(self, *args, **kwargs)

    def diagonal(self, *args, **kwargs):
        return _ops.diagonal(self, *args, **kwargs)

    def index_select(self, *args, **kwargs):
        return _ops.index_select(self, *args, **kwargs)

    def gather(self, *args, **kwargs):
        return _ops.gather(self, *args, **kwargs)

    def scatter(self, *args, **kwargs):
        return _ops.scatter(self, *args, **kwargs)

    def scatter_add(self, *args, **kwargs):
        return _ops.scatter_add(self, *args, **kwargs)

    def masked_fill(self, *args, **kwargs):
        return _ops.masked_fill(self, *args, **kwargs)

    def masked_select(self, *args, **kwargs):
        return _ops.masked_select(self, *args, **kwargs)

    def take_along_dim(self, *args, **kwargs):
        return _ops.take_along_dim(self, *args, **kwargs)

    def nonzero(self, *args, **kwargs):
        return _ops.nonzero(self, *args, **kwargs)

    def index_add(self, *args, **kwargs):
        return _ops.index_add(self, *args, **kwargs)

    def take(self, *args, **kwargs):
        return _ops.take(self, *args, **kwargs)

    def softmax(self, *args, **kwargs):
        return _ops.softmax(self, *args, **kwargs)

    def log_softmax(self, *args, **kwargs):
        return _ops.log_softmax(self, *args, **kwargs)

    def eq(self, *args, **kwargs):
        return _ops.eq(self, *args, **kwargs)

    def ne(self, *args, **kwargs):
        return _ops.ne(self, *args, **kwargs)

    def lt(self, *args, **kwargs):
        return _ops.lt(self, *args, **kwargs)

    def le(self, *args, **kwargs):
        return _ops.le(self, *args, **kwargs)

    def gt(self, *args, **kwargs):
        return _ops.gt(self, *args, **kwargs)

    def ge(self, *args, **kwargs):
        return _ops.ge(self, *args, **kwargs)

    def logical_and(self, *args, **kwargs):
        return _ops.logical_and(self, *args, **kwargs)

    def logical_or(self, *args, **kwargs):
        return _ops.logical_or(self, *args, **kwargs)

    def logical_xor(self, *args, **kwargs):
        return _ops.logical_xor(self, *args, **kwargs)

    def logical_not(self, *args, **kwargs):
        return _ops.logical_not(self, *args, **kwargs)

    def isnan(self, *args, **kwargs):
        return _ops.isnan(self, *args, **kwargs)

    def isinf(self, *args, **kwargs):
        return _ops.isinf(self, *args, **kwargs)

    def isfinite(self, *args, **kwargs):
        return _ops.isfinite(self, *args, **kwargs)

    def isclose(self, *args, **kwargs):
        return _ops.isclose(self, *args, **kwargs)

    def allclose(self, *args, **kwargs):
        return _ops.allclose(self, *args, **kwargs)

    def equal(self, *args, **kwargs):
        return _ops.equal(self, *args, **kwargs)

    def sort(self, *args, **kwargs):
        return _ops.sort(self, *args, **kwargs)

    def argsort(self, *args, **kwargs):
        return _ops.argsort(self, *args, **kwargs)

    def topk(self, *args, **kwargs):
        return _ops.topk(self, *args, **kwargs)

    def unique(self, *args, **kwargs):
        return _ops.unique(self, *args, **kwargs)

    def signbit(self, *args, **kwargs):
        return _ops.signbit(self, *args, **kwargs)

    def isposinf(self, *args, **kwargs):
        return _ops.isposinf(self, *args, **kwargs)

    def isneginf(self, *args, **kwargs):
        return _ops.isneginf(self, *args, **kwargs)

    def add(self, *args, **kwargs):
        return _ops.add(self, *args, **kwargs)

    def sub(self, *args, **kwargs):
        return _ops.sub(self, *args, **kwargs)

    def mul(self, *args, **kwargs):
        return _ops.mul(self, *args, **kwargs)

    def div(self, *args, **kwargs):
        return _ops.div(self, *args, **kwargs)

    def true_divide(self, *args, **kwargs):
        return _ops.true_divide(self, *args, **kwargs)

    def pow(self, *args, **kwargs):
        return _ops.pow(self, *args, **kwargs)

    def floor_divide(self, *args, **kwargs):
        return _ops.floor_divide(self, *args, **kwargs)

    def remainder(self, *args, **kwargs):
        return _ops.remainder(self, *args, **kwargs)

    def fmod(self, *args, **kwargs):
        return _ops.fmod(self, *args, **kwargs)

    def addcmul(self, *args, **kwargs):
        return _ops.addcmul(self, *args, **kwargs)

    def addcdiv(self, *args, **kwargs):
        return _ops.addcdiv(self, *args, **kwargs)

    def lerp(self, *args, **kwargs):
        return _ops.lerp(self, *args, **kwargs)

    def maximum(self, *args, **kwargs):
        return _ops.maximum(self, *args, **kwargs)

    def minimum(self, *args, **kwargs):
        return _ops.minimum(self, *args, **kwargs)

    def clamp(self, *args, **kwargs):
        return _ops.clamp(self, *args, **kwargs)

    def clip(self, *args, **kwargs):
        return _ops.clip(self, *args, **kwargs)

    def bitwise_not(self, *args, **kwargs):
        return _ops.bitwise_not(self, *args, **kwargs)

    def bitwise_and(self, *args, **kwargs):
        return _ops.bitwise_and(self, *args, **kwargs)

    def bitwise_or(self, *args, **kwargs):
        return _ops.bitwise_or(self, *args, **kwargs)

    def bitwise_xor(self, *args, **kwargs):
        return _ops.bitwise_xor(self, *args, **kwargs)

    def greater(self, *args, **kwargs):
        return _ops.greater(self, *args, **kwargs)

    def less(self, *args, **kwargs):
        return _ops.less(self, *args, **kwargs)

    def greater_equal(self, *args, **kwargs):
        return _ops.greater_equal(self, *args, **kwargs)

    def less_equal(self, *args, **kwargs):
        return _ops.less_equal(self, *args, **kwargs)

    def not_equal(self, *args, **kwargs):
        return _ops.not_equal(self, *args, **kwargs)

    def subtract(self, *args, **kwargs):
        return _ops.subtract(self, *args, **kwargs)

    def multiply(self, *args, **kwargs):
        return _ops.multiply(self, *args, **kwargs)

    def divide(self, *args, **kwargs):
        return _ops.divide(self, *args, **kwargs)

    def nan_to_num(self, *args, **kwargs):
        return _ops.nan_to_num(self, *args, **kwargs)


    def absolute(self, *args, **kwargs):
        return _ops.absolute(self, *args, **kwargs)

    def addmm(self, *args, **kwargs):
        return _ops.addmm(self, *args, **kwargs)

    def arctan2(self, *args, **kwargs):
        return _ops.arctan2(self, *args, **kwargs)

    def atan2(self, *args, **kwargs):
        return _ops.atan2(self, *args, **kwargs)

    def bernoulli(self, *args, **kwargs):
        return _ops.bernoulli(self, *args, **kwargs)

    def broadcast_to(self, *args, **kwargs):
        return _ops.broadcast_to(self, *args, **kwargs)

    def clamp_max(self, *args, **kwargs):
        return _ops.clamp_max(self, *args, **kwargs)

    def clamp_min(self, *args, **kwargs):
        return _ops.clamp_min(self, *args, **kwargs)

    def cosh(self, *args, **kwargs):
        return _ops.cosh(self, *args, **kwargs)

    def diag(self, *args, **kwargs):
        return _ops.diag(self, *args, **kwargs)

    def logaddexp(self, *args, **kwargs):
        return _ops.logaddexp(self, *args, **kwargs)

    def multinomial(self, *args, **kwargs):
        return _ops.multinomial(self, *args, **kwargs)

    def ravel(self, *args, **kwargs):
        return _ops.ravel(self, *args, **kwargs)

    def repeat_interleave(self, *args, **kwargs):
        return _ops.repeat_interleave(self, *args, **kwargs)

    def select(self, *args, **kwargs):
        return _ops.select(self, *args, **kwargs)

    def sinh(self, *args, **kwargs):
        return _ops.sinh(self, *args, **kwargs)

    def trace(self, *args, **kwargs):
        return _ops.trace(self, *args, **kwargs)

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def where(self, condition, other):
        return _ops.where(condition, self, other)

    def apply_(self, fn):
        """Applies a Python function to every element in place (slow; for tests)."""
        flat = self._data.reshape(-1)
        for i in range(flat.size):
            flat[i] = fn(flat[i].item())
        self._version_counter.value += 1
        return self

    def _inplace_view(self, op, *args) -> Tensor:
        """Gives this tensor the shape of ``op(self, *args)``, a view op, in place: the same
        memory seen with new metadata, and (when recorded) the view op as its history."""
        recording = _state.enabled and self._requires_grad
        if recording:
            self._check_inplace()
        view = op(self, *args)
        self._data = view._data
        self._version_counter.value += 1  # PyTorch counts a change of shape as a change
        if recording:
            steps = self.__dict__.get("_view_steps")
            new_steps = view.__dict__.get("_view_steps")
            self.grad_fn, self._output_nr = view.grad_fn, view._output_nr
            if steps is not None and new_steps is not None:
                self._view_steps = new_steps
        return self

    def squeeze_(self, dim=None) -> Tensor:
        return self._inplace_view(_ops.squeeze, dim)

    def unsqueeze_(self, dim) -> Tensor:
        return self._inplace_view(_ops.unsqueeze, dim)

    def t_(self) -> Tensor:
        return self._inplace_view(_ops.t)

    def transpose_(self, dim0, dim1) -> Tensor:
        return self._inplace_view(_ops.transpose, dim0, dim1)

    swapaxes_ = swapdims_ = transpose_

    def resize_(self, *size):
        """Gives the tensor a new shape in place (elements beyond the old ones are unspecified)."""
        shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        self._data = np.resize(self._data, tuple(shape))
        return self

    def index_fill(self, dim, index, value) -> Tensor:
        return _ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value) -> Tensor:
        return self._inplace(_ops.index_fill, dim, index, value)

    def index_copy(self, dim, index, source) -> Tensor:
        return _ops.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source) -> Tensor:
        return self._inplace(_ops.index_copy, dim, index, source)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(_ops.scatter, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src):
        return self._inplace(_ops.scatter_add, dim, index, src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(_ops.index_add, dim, index, source, alpha=alpha)



class Size(tuple):
    """A tensor shape: a tuple of ints that prints as ``ember.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            "ember.Size")
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__


def _refuse_partial_overlap(dst: np.ndarray, args) -> None:
    """PyTorch's error when an operand of an in-place op overlaps the written-to tensor
    without being the very same elements (``x += x`` is fine, ``x += x.T`` is not)."""
    for a in args:
        src = a._data if isinstance(a, Tensor) else a
        if not isinstance(src, np.ndarray) or src is dst:
            continue
        if _memory_root(src) is not _memory_root(dst) or not np.may_share_memory(src, dst):
            continue
        if (src.__array_interface__["data"][0] == dst.__array_interface__["data"][0]
                and src.shape == dst.shape and src.strides == dst.strides):
            continue
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing the "
            "operation."
        )


def _is_one_value(args: tuple) -> bool:
    """True if ``args`` is a single number or 0-d tensor (a fill of one value)."""
    if len(args) != 1:
        return False
    value = args[0]._data if isinstance(args[0], Tensor) else args[0]
    return np.ndim(value) == 0


def _refuse_internal_overlap(arr: np.ndarray, message: str | None = None) -> None:
    """PyTorch's error (or ``message``) for writing into a tensor in which several elements
    share one memory location (an ``expand``-ed dimension)."""
    if 0 in arr.strides and arr.size > 1 and any(
            st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape, strict=True)):
        raise RuntimeError(message or (
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        ))


def _rebuild_tensor(cls, data, dtype: str, shape: tuple, requires_grad: bool,
                    state: dict) -> Tensor:
    """Unpickles what :meth:`Tensor.__reduce_ex__` pickled, checking every field first (the
    pickle may come from an untrusted file)."""
    import math

    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"cannot rebuild a tensor as {cls!r}: not a Tensor class")
    if not isinstance(dtype, str) or dtype not in _dtype._FROM_NAME:
        raise TypeError(f"cannot rebuild a tensor of unknown dtype {dtype!r}"[:200])
    if not (isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape)):
        raise TypeError(f"cannot rebuild a tensor of shape {shape!r}: not a tuple of sizes"[:200])
    if not (type(requires_grad) is bool and type(state) is dict
            and all(isinstance(k, str) for k in state)):
        raise TypeError("cannot rebuild a tensor: invalid requires_grad or attributes")
    npd = _dtype._FROM_NAME[dtype].numpy
    view = memoryview(data).cast("B")  # bytes, bytearray or an out-of-band buffer
    if view.nbytes != math.prod(shape) * npd.itemsize:
        raise ValueError(f"cannot rebuild a tensor of dtype {dtype} and shape {list(shape)} "
                         f"from {view.nbytes} bytes")
    arr = np.frombuffer(view, dtype=npd.newbyteorder("<")).reshape(shape)
    arr = arr.astype(npd, copy=not arr.flags.writeable)  # native order, writable
    if npd == np.bool_ and arr.view(np.uint8).max(initial=0) > 1:
        raise ValueError("cannot rebuild a bool tensor from bytes other than 0 and 1")
    if requires_grad and not _dtype.is_floating(npd):
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    t = object.__new__(cls)
    Tensor._init(t, arr, requires_grad)
    t.__dict__.update(state)
    return t


_SCALAR_NAMES = _dtype.SCALAR_TYPE_NAMES
_MULTI_VIEW_RULE = (
    "This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation "
    "by an out-of-place one."
)


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's rule for writing a result into an existing tensor: no floating point into an
    integer tensor, nothing but bool into a bool tensor (narrowing is allowed otherwise)."""
    if dst.kind == "b":
        return src.kind == "b"
    return not (src.kind in "fcV" and dst.kind in "iu")


def _canon_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


_PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH = 4, 1000, 3, 80  # PyTorch's print options


def _summarize(arr: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: ``_EDGEITEMS`` at each end of every dim."""
    if arr.ndim == 0:
        return arr
    if arr.shape[0] > 2 * _EDGEITEMS:
        arr = np.concatenate([arr[:_EDGEITEMS], arr[-_EDGEITEMS:]])
    if arr.ndim == 1:
        return arr
    return np.stack([_summarize(a) for a in arr])


class _Formatter:
    """Chooses one element format for a whole tensor, as PyTorch's printing does: integral
    floats print as ``1.``, others with 4 decimals, and scientific notation when the finite
    nonzero magnitudes span more than 1000x or leave [1e-4, 1e8]."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        mags = np.abs(finite)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        vals = finite.tolist()
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                strs = [f"{v:.{_PRECISION}e}" for v in vals]
            else:
                strs = [f"{v:.0f}." for v in vals]
        else:
            if hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
                self.sci_mode = True
                strs = [f"{v:.{_PRECISION}e}" for v in vals]
            else:
                strs = [f"{v:.{_PRECISION}f}" for v in vals]
        self.max_width = max(len(x) for x in strs)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if np.isfinite(value):
                text += "."
        else:
            text = f"{value:.{_PRECISION}f}"
        return " " * (self.max_width - len(text)) + text


def _array_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        per_line = max(1, (_LINEWIDTH - indent) // (fmt.max_width + 2))
        if summarize and arr.shape[0] > 2 * _EDGEITEMS:
            data = ([fmt.format(v) for v in arr[:_EDGEITEMS].tolist()] + [" ..."]
                    + [fmt.format(v) for v in arr[-_EDGEITEMS:].tolist()])
        else:
            data = [fmt.format(v) for v in arr.tolist()]
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and arr.shape[0] > 2 * _EDGEITEMS:
        rows = ([_array_str(a, indent + 1, summarize, fmt) for a in arr[:_EDGEITEMS]] + ["..."]
                + [_array_str(a, indent + 1, summarize, fmt) for a in arr[-_EDGEITEMS:]])
    else:
        rows = [_array_str(a, indent + 1, summarize, fmt) for a in arr]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _format(t: Tensor) -> str:
    """``repr(t)`` as PyTorch prints it, with ``ember.`` for ``torch.``."""
    arr = t._data
    if arr.dtype == np.float16 or arr.dtype == _dtype.BF16:
        arr = arr.astype(np.float32)
    prefix = "tensor("
    extras = []
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            extras.append(f"size={tuple(arr.shape)}")
    else:
        summarize = arr.size > _THRESHOLD
        fmt = _Formatter(_summarize(arr) if summarize else arr)
        body = _array_str(arr, len(prefix), summarize, fmt)
    default_float = _dtype.get_default_dtype().numpy
    implied = (default_float,) if arr.size == 0 else (  # nothing shows an empty one's type
        default_float, np.dtype(np.int64), np.dtype(np.bool_))
    if t._data.dtype not in implied:
        extras.append(f"dtype={_dtype.from_numpy_dtype(t._data.dtype)!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


from ember import ops as _ops  # noqa: E402
from ember.autograd.engine import backward as _engine_backward  # noqa: E402
from ember.autograd.function import (  # noqa: E402
    _OBSERVERS,
    ArrayFunction,
    _memory_root,
    _sum_to_shape,
)
from ember.autograd.function import adopt_saved_output as _adopt_saved_output  # noqa: E402
from ember.autograd.grad_mode import _state  # noqa: E402  (autograd imports Tensor)
from ember.autograd.grad_mode import enable_grad as _enable_grad  # noqa: E402
from ember.autograd.grad_mode import no_grad as _no_grad  # noqa: E402
from ember.ops._util import broadcast_error as _broadcast_error  # noqa: E402


class Fill(ArrayFunction):
    """``x`` replaced by ``values`` broadcast to its shape: what fill_, copy_ and the
    in-place samplers record. The old contents get a zero gradient, ``values`` the rest."""

    @staticmethod
    def forward(ctx, x, values):
        out = np.empty_like(x)
        np.copyto(out, values, casting="unsafe")
        if isinstance(values, np.ndarray):
            ctx.values_meta = (values.shape, values.dtype)
        return out

    @staticmethod
    def backward(ctx, grad):
        grad_values = None
        if ctx.needs_input_grad[1]:
            shape, dtype = ctx.values_meta
            grad_values = _sum_to_shape(grad, shape).astype(dtype, copy=False)
        return np.zeros_like(grad), grad_values

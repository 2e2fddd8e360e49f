"""The Tensor class: a backend array plus what autograd needs to know about it.

This module holds the data side only: construction, metadata, conversion to Python and NumPy,
the Python protocols. The op methods (``x.exp()``, ``x + y``, ``x.add_(y)`` ...) are given to
the class by :mod:`ember.tensor.methods` once the ops exist, because the ops themselves are
built on this class.
"""

from __future__ import annotations

import copy
import math
import numbers
import pickle
from typing import TYPE_CHECKING, Any

import numpy as np

from ember import _dtype
from ember._shapes import canon_dim
from ember.backend import CPU, device, get_backend
from ember.tensor.format import format_tensor

__all__ = ["Size", "Tensor"]



class _Version:
    """A version counter shared by a tensor and its views; in-place ops bump it."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0



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

    _data: np.ndarray
    _requires_grad: bool
    _output_nr: int
    _version_counter: _Version
    _base: Tensor | None
    _hooks: dict | None
    _accumulator: Any  # the leaf's AccumulateGrad node, made on first use
    grad: Tensor | None
    grad_fn: Any  # the Node that made this tensor, None for a leaf
    # kept in __dict__ by ember.autograd.history, only on the tensors that need them:
    _view_steps: tuple  # a differentiable view's chain of view functions from its root
    _view_version: int  # the version its history was derived at
    _views_without_history: Any  # a root's views to update when it takes a history
    _retain_hook: tuple  # (hook, handle) of retain_grad
    _retains_grad: bool
    _created_without_grad: str  # a view made in no_grad mode, or an unrecorded multi-output one
    _multi_output_view: tuple  # (op name, output index) of a recorded view returned with others

    if TYPE_CHECKING:  # the methods ember.tensor.methods attaches, as type checkers see them
        def __getattr__(self, name: str) -> Any: ...
        def __getitem__(self, index: Any) -> Any: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...
        def __neg__(self) -> Any: ...
        def __invert__(self) -> Any: ...
        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __floordiv__(self, other: Any) -> Any: ...
        def __rfloordiv__(self, other: Any) -> Any: ...
        def __mod__(self, other: Any) -> Any: ...
        def __rmod__(self, other: Any) -> Any: ...
        def __pow__(self, other: Any) -> Any: ...
        def __rpow__(self, other: Any) -> Any: ...
        def __matmul__(self, other: Any) -> Any: ...
        def __rmatmul__(self, other: Any) -> Any: ...
        def __and__(self, other: Any) -> Any: ...
        def __rand__(self, other: Any) -> Any: ...
        def __or__(self, other: Any) -> Any: ...
        def __ror__(self, other: Any) -> Any: ...
        def __xor__(self, other: Any) -> Any: ...
        def __rxor__(self, other: Any) -> Any: ...
        def __lt__(self, other: Any) -> Any: ...
        def __le__(self, other: Any) -> Any: ...
        def __gt__(self, other: Any) -> Any: ...
        def __ge__(self, other: Any) -> Any: ...
        def __iadd__(self, other: Any) -> Any: ...
        def __isub__(self, other: Any) -> Any: ...
        def __imul__(self, other: Any) -> Any: ...
        def __itruediv__(self, other: Any) -> Any: ...
        def __ifloordiv__(self, other: Any) -> Any: ...
        def __imod__(self, other: Any) -> Any: ...
        def __ipow__(self, other: Any) -> Any: ...
        def __iand__(self, other: Any) -> Any: ...
        def __ior__(self, other: Any) -> Any: ...
        def __ixor__(self, other: Any) -> Any: ...

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
        t = _new_object(cls)
        t._data = arr if type(arr) is np.ndarray else np.asarray(arr)
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._version_counter = _Version()
        t._base = None
        t._hooks = None
        t._accumulator = None
        return t

    # -- autograd metadata -----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """True if gradients flow to (or through) this tensor."""
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
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        """How many times this tensor's storage was modified in place (shared with views)."""
        return self._version_counter.value

    def _type_name(self) -> str:
        name = _dtype.SCALAR_TYPE_NAMES[self._data.dtype.name]
        return f"ember.{name}Tensor [{', '.join(map(str, self._data.shape))}]"


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
        return self._data.shape[canon_dim(dim, self._data.ndim)]

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
        return strides if dim is None else strides[canon_dim(dim, self._data.ndim)]

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


    # -- Python protocol -------------------------------------------------------------------
    def __repr__(self) -> str:
        return format_tensor(self)

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
            setattr(new, k, copy.deepcopy(v, memo))
        return new

    def __reduce_ex__(self, protocol):
        """Pickles the values as raw little-endian bytes with the dtype's name, the shape,
        ``requires_grad``, the class and the public attributes, as PyTorch pickles a tensor (a
        non-leaf comes back as a leaf, a view as a tensor of its own; ``.grad`` is not kept).
        The pickle names no NumPy global, so a weights-only unpickler needs none."""
        arr = self._data if self._data.flags.c_contiguous else self._data.copy(order="C")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).reshape(-1).view(np.uint8)
        data = pickle.PickleBuffer(raw) if protocol >= 5 else raw.tobytes()
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        return (_rebuild_tensor, (type(self), data, _dtype.from_numpy_dtype(arr.dtype).name,
                                  tuple(arr.shape), self._requires_grad, state))


_new_object = object.__new__


def wrap_array(arr: np.ndarray) -> Tensor:
    """A leaf Tensor on ``arr`` (an ``np.ndarray`` of a supported dtype: not checked), with
    no copy: what an op returns when nothing is recorded. The same as ``Tensor._make(arr)``
    without the call's argument handling."""
    t = _new_object(Tensor)
    t._data = arr
    t._requires_grad = False
    t.grad = None
    t.grad_fn = None
    t._output_nr = 0
    t._version_counter = _Version()
    t._base = None
    t._hooks = None
    t._accumulator = None
    return t


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



def _rebuild_tensor(cls, data, dtype: str, shape: tuple, requires_grad: bool,
                    state: dict) -> Tensor:
    """Unpickles what :meth:`Tensor.__reduce_ex__` pickled, checking every field first (the
    pickle may come from an untrusted file)."""
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

"""The Tensor's op methods: ``x.exp()``, ``x + y``, ``x.add_(y)``, ``x.backward()`` ...

:mod:`ember.tensor.core` defines the data side of :class:`~ember.tensor.core.Tensor`; the ops
in :mod:`ember.ops` are built on it, so the methods that call them are written here, in
:class:`TensorMethods`, and given to the class by :func:`attach` (``import ember`` does it once
the ops exist). Methods that take the same arguments as their function (``x.exp()`` is
``ember.exp(x)``) are the functions themselves, listed in :data:`SAME_AS_FUNCTION`.
In-place forms (``x.op_(...)``) run the op out of place and write the result back with
autograd's rules (:func:`ember.autograd.history.record_inplace`).
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from ember import _dtype
from ember import ops as _ops
from ember import sparse as _sparse
from ember._legacy import LEGACY_TYPES
from ember.autograd import api as autograd_api
from ember.autograd import history
from ember.backend import device, get_backend
from ember.tensor.core import Tensor
from ember.tensor.inplace import InplaceMethods
from ember.utils.hooks import RemovableHandle

__all__ = ["SAME_AS_FUNCTION", "TensorMethods", "attach"]

#: Methods that are their ``ember.ops`` function (``x.name(*args)`` is ``ember.name(x, *args)``).
SAME_AS_FUNCTION = (
    "abs",
    "absolute",
    "acos",
    "add",
    "addcdiv",
    "addcmul",
    "addmm",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "arctan2",
    "argmax",
    "argmin",
    "argsort",
    "asin",
    "atan",
    "atan2",
    "bernoulli",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "bmm",
    "broadcast_to",
    "ceil",
    "chunk",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "contiguous",
    "cos",
    "cosh",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "diag",
    "diagonal",
    "diff",
    "dist",
    "div",
    "divide",
    "dot",
    "eq",
    "equal",
    "erf",
    "exp",
    "exp2",
    "expand",
    "expand_as",
    "expm1",
    "flatten",
    "flip",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "gather",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "index_add",
    "index_select",
    "inner",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "lerp",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "log_softmax",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "logit",
    "logsumexp",
    "lt",
    "masked_fill",
    "masked_select",
    "matmul",
    "max",
    "maximum",
    "mean",
    "median",
    "min",
    "minimum",
    "mm",
    "movedim",
    "mul",
    "multinomial",
    "multiply",
    "mv",
    "nan_to_num",
    "narrow",
    "ne",
    "neg",
    "negative",
    "nonzero",
    "norm",
    "not_equal",
    "outer",
    "permute",
    "pow",
    "prod",
    "ravel",
    "reciprocal",
    "relu",
    "remainder",
    "repeat",
    "repeat_interleave",
    "reshape",
    "reshape_as",
    "roll",
    "round",
    "rsqrt",
    "scatter",
    "scatter_add",
    "select",
    "sgn",
    "sigmoid",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "softmax",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "std",
    "sub",
    "subtract",
    "sum",
    "swapaxes",
    "t",
    "take",
    "take_along_dim",
    "tan",
    "tanh",
    "tile",
    "topk",
    "trace",
    "transpose",
    "tril",
    "triu",
    "true_divide",
    "trunc",
    "unbind",
    "unflatten",
    "unique",
    "unsqueeze",
    "var",
    "view",
    "view_as",
)


class TensorMethods:
    """The methods :func:`attach` gives to :class:`~ember.tensor.core.Tensor`."""

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

        history.attach_retain_hook(self, keep)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return getattr(self, "_retains_grad", False)

    def register_hook(self, hook):
        """Registers ``hook(grad) -> Tensor | None``, called with this tensor's gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            handle = self.grad_fn.add_pre_hook(self._output_nr, hook)
            retain = self.__dict__.get("_retain_hook")
            if retain is not None:
                history.attach_retain_hook(self, retain[0])
            return handle
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Computes the gradient of this tensor w.r.t. the graph's leaves.

        Args:
            gradient: gradient w.r.t. this tensor; may be omitted for a one-element tensor.
            retain_graph: keep the graph so that backward can run through it again.
            create_graph: not supported.
            inputs: leaves to accumulate into (all leaves by default).
        """
        autograd_api.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """Returns a tensor sharing storage with this one but outside the graph."""
        return history.alias(self)

    def detach_(self) -> Tensor:
        """Detaches this tensor from the graph in place and returns it."""
        if history.is_differentiable_view(self):
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self


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
            return f"ember.{_dtype.SCALAR_TYPE_NAMES[self._data.dtype.name]}Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
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
        return _sparse.strided

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """This tensor in sparse COO layout (see :func:`ember.sparse.to_sparse`)."""
        return _sparse.to_sparse(self, sparse_dim, layout=layout, blocksize=blocksize,
                                 dense_dim=dense_dim)

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


    def clone(self, memory_format=None) -> Tensor:
        """A copy that stays in the graph."""
        return _ops.clone(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.tensor(data, dtype=dtype or self.dtype, device=device,
                           requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self.new_full(_size_arg(size), 0, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self.new_full(_size_arg(size), 1, dtype=dtype, device=device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return _ops.full(size, fill_value, dtype=dtype or self.dtype, device=device,
                         requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.empty(*size, dtype=dtype or self.dtype, device=device,
                          requires_grad=requires_grad)


    def __getitem__(self, index) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _ops.setitem(self, index, value)


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
    __hash__ = object.__hash__  # by identity, though == compares elements (as in PyTorch)

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

    def where(self, condition, other):
        return _ops.where(condition, self, other)


    def index_fill(self, dim, index, value) -> Tensor:
        return _ops.index_fill(self, dim, index, value)

    def index_copy(self, dim, index, source) -> Tensor:
        return _ops.index_copy(self, dim, index, source)


def attach(cls: type = Tensor) -> None:
    """Gives ``cls`` the methods of :class:`TensorMethods`, of
    :class:`~ember.tensor.inplace.InplaceMethods` and :data:`SAME_AS_FUNCTION`."""
    for methods in (TensorMethods, InplaceMethods):
        for name, value in vars(methods).items():
            if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
                setattr(cls, name, value)
    for name in SAME_AS_FUNCTION:
        setattr(cls, name, getattr(_ops, name))


def _size_arg(size: tuple) -> tuple:
    """``new_zeros(2, 3)`` and ``new_zeros((2, 3))`` alike, as a shape tuple."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size

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
from ember import random as _random
from ember import sparse as _sparse
from ember._legacy import LEGACY_TYPES
from ember._shapes import reduce_grad
from ember.autograd import api as autograd_api
from ember.autograd import history
from ember.autograd.function import ArrayFunction, ops_observed
from ember.autograd.grad_mode import _state
from ember.backend import device, get_backend
from ember.ops._util import broadcast_error as _broadcast_error
from ember.tensor.core import Tensor, _check_overflow
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
            grad_values = reduce_grad(grad, *ctx.values_meta)
        return np.zeros_like(grad), grad_values


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
        return _ops.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return _ops.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _ops.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)


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

    # -- in-place operations ---------------------------------------------------------------
    def _inplace(self, op, *args, **kwargs) -> Tensor:
        """``self.op_(*args)`` with autograd's rules (:func:`history.record_inplace`)."""
        fill = op is Fill.apply and _is_one_value(args)
        return history.record_inplace(self, op, *args, fill=fill, **kwargs)

    _check_inplace = history.check_inplace
    _write = history.write
    _make_view_of = history.make_view_of
    _set_history = history.set_history

    def _overwrite(self, values, fill: bool = False) -> Tensor:
        """Replaces the contents with ``values`` (one value if ``fill``); no gradient flows to
        the old contents."""
        if _state.enabled and self._requires_grad:
            return self._inplace(Fill.apply, values)
        history.write(self, values, fill)
        return self

    def _fast_inplace(self, ufunc, other, alpha=None) -> bool:
        """In-place ufunc straight into storage when nothing is recorded (the optimizer path).

        Returns False (having done nothing) when the general path is needed.
        """
        if _state.enabled and (self._requires_grad or (isinstance(other, Tensor) and
                                                       other._requires_grad)):
            return False
        if ops_observed():  # an exporter or profiler watches the ops: take the recorded path
            return False
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(o, np.ndarray):
            try:
                if np.broadcast_shapes(o.shape, self._data.shape) != self._data.shape:
                    return False
            except ValueError:  # not broadcastable: the general path raises PyTorch's error
                return False
        history.refuse_internal_overlap(self._data)
        if isinstance(o, np.ndarray):
            history.refuse_partial_overlap(self._data, (o,))
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
            history.raise_if_unwritable(self._data)
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
            history.refuse_partial_overlap(self._data, (src,))
            src = src._data
        return self._overwrite(src)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """Fills with samples from U[a, b) in place."""
        return self._overwrite(
            _random.uniform_array(self._data.shape, self._data.dtype, a, b, generator))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """Fills with samples from N(mean, std**2) in place."""
        return self._overwrite(
            _random.normal_array(self._data.shape, self._data.dtype, mean, std, generator))

    def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
        """Fills with 0/1 samples, 1 with probability ``p``, in place."""
        prob = p._data if isinstance(p, Tensor) else p
        return self._overwrite(_random.bernoulli_array(self._data.shape, prob, generator))

    def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
        """Fills with integers uniform on ``[from_, to)`` (``random_(to)``: ``[0, to)``)."""
        if to is None:
            from_, to = 0, from_ if from_ else _random.default_random_upper(self._data.dtype)
        return self._overwrite(_random.randint_array(from_, to, self._data.shape, generator))

    def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
        """Fills with samples from the exponential distribution of rate ``lambd``."""
        u = _random.uniform_array(self._data.shape, np.float64, 0.0, 1.0, generator)
        return self._overwrite(-np.log1p(-u) / lambd)











































































































































































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

    def squeeze_(self, dim=None) -> Tensor:
        return history.record_inplace_view(self, _ops.squeeze, dim)

    def unsqueeze_(self, dim) -> Tensor:
        return history.record_inplace_view(self, _ops.unsqueeze, dim)

    def t_(self) -> Tensor:
        return history.record_inplace_view(self, _ops.t)

    def transpose_(self, dim0, dim1) -> Tensor:
        return history.record_inplace_view(self, _ops.transpose, dim0, dim1)

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



def attach(cls: type = Tensor) -> None:
    """Gives ``cls`` the methods of :class:`TensorMethods` and :data:`SAME_AS_FUNCTION`."""
    for name, value in vars(TensorMethods).items():
        if name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__"):
            setattr(cls, name, value)
    for name in SAME_AS_FUNCTION:
        setattr(cls, name, getattr(_ops, name))


def _is_one_value(args: tuple) -> bool:
    """True if ``args`` is a single number or 0-d tensor (a fill of one value)."""
    if len(args) != 1:
        return False
    value = args[0]._data if isinstance(args[0], Tensor) else args[0]
    return np.ndim(value) == 0

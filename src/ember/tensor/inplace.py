"""The Tensor's in-place methods: ``x.add_(y)``, ``x.fill_(v)``, ``x.normal_()``, ``x.t_()`` ...

Each runs its op out of place and writes the result back with autograd's rules
(:func:`ember.autograd.history.record_inplace`), except on the hot path of an optimizer step:
when nothing is recorded, ``add_``/``sub_``/``mul_``/``div_`` write straight into storage.
:func:`ember.tensor.methods.attach` gives these methods to the Tensor class.
"""

from __future__ import annotations

import warnings

import numpy as np

from ember import _dtype
from ember import ops as _ops
from ember import random as _random
from ember._dtype import c_type_name
from ember._shapes import reduce_grad
from ember.autograd import history
from ember.autograd.function import ArrayFunction, ops_observed
from ember.autograd.grad_mode import _state, no_grad
from ember.ops._util import broadcast_error as _broadcast_error
from ember.tensor.core import Tensor, _check_overflow

__all__ = ["ComparisonResult", "Fill", "InplaceMethods"]


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


class FillWithTensor(Fill):
    """``x.fill_(value)`` with a 0-d ``value`` that requires grad: as torch's FillBackward, the
    result takes the node whatever its dtype (an integer or bool tensor then requires grad)."""

    any_dtype_output = True


class ComparisonResult(ArrayFunction):
    """``x`` replaced by the 0/1 ``values`` of a comparison with ``other``: what ``x.eq_(other)``
    records. Neither operand gets a gradient but zeros."""

    any_dtype_output = True

    @staticmethod
    def forward(ctx, x, other, values):
        ctx.other_meta = (other.shape, other.dtype) if isinstance(other, np.ndarray) else None
        return values.astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        meta = ctx.other_meta
        other = np.zeros(meta[0], meta[1]) if meta is not None and ctx.needs_input_grad[1] \
            else None
        return np.zeros_like(grad), other, None


def _compare_inplace(tensor: Tensor, compare, other) -> Tensor:
    """``tensor.eq_(other)`` and its siblings: the comparison's values, written with the
    in-place rules (a result that would grow ``tensor`` is torch's error)."""
    with no_grad():
        values = compare(tensor, other)._data
    return history.record_inplace(tensor, ComparisonResult.apply, other, values)


class InplaceMethods:
    """The in-place methods :func:`ember.tensor.methods.attach` gives to the Tensor."""

    # -- in-place operations ---------------------------------------------------------------
    def _inplace(self, op, *args, **kwargs) -> Tensor:
        """``self.op_(*args)`` with autograd's rules (:func:`history.record_inplace`)."""
        fill = op == Fill.apply and _is_one_value(args)
        return history.record_inplace(self, op, *args, fill=fill, **kwargs)

    def _inplace_through(self, op, *args, **kwargs) -> Tensor:
        """:meth:`_inplace` for the ops whose torch kernels write through an expanded tensor
        (``triu_``, ``masked_fill_``, ``index_fill_`` ...): each shared memory location takes
        the new value of any element that changed it."""
        return history.record_inplace(self, op, *args, fill=True, **kwargs)

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
        boolean = isinstance(other, bool) or (isinstance(other, Tensor) and
                                               other._data.dtype == np.bool_)
        if not boolean and self._fast_inplace(np.subtract, other, alpha):  # sub refuses bools
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
    def round_(self, *, decimals=None):  # with decimals given, torch's other overload
        return self._inplace(_ops.round, decimals=decimals)
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
    def atan2_(self, other): return self._inplace(_ops.atan2, _tensor_arg("atan2_", other))
    def arctan2_(self, other):
        return self._inplace(_ops.atan2, _tensor_arg("arctan2_", other))
    def bitwise_and_(self, other): return self._inplace(_ops.bitwise_and, other)
    def bitwise_or_(self, other): return self._inplace(_ops.bitwise_or, other)
    def bitwise_xor_(self, other): return self._inplace(_ops.bitwise_xor, other)
    def bitwise_not_(self): return self._inplace(_ops.bitwise_not)
    # not differentiable: torch lets them change a leaf that requires grad, history unchanged
    def logical_not_(self): return history.record_inplace(self, _ops.logical_not, record=False)
    def logical_and_(self, other):
        return history.record_inplace(self, _ops.logical_and, _tensor_arg("logical_and_", other),
                                      record=False)
    def logical_or_(self, other):
        return history.record_inplace(self, _ops.logical_or, _tensor_arg("logical_or_", other),
                                      record=False)
    def logical_xor_(self, other):
        return history.record_inplace(self, _ops.logical_xor, _tensor_arg("logical_xor_", other),
                                      record=False)
    def tril_(self, diagonal=0): return self._inplace_through(_ops.tril, diagonal)
    def triu_(self, diagonal=0): return self._inplace_through(_ops.triu, diagonal)
    def cumsum_(self, dim, *, dtype=None):
        return self._inplace(_ops.cumsum, dim, dtype=_own_dtype(self, dtype))

    def cumprod_(self, dim, *, dtype=None):
        return self._inplace(_ops.cumprod, dim, dtype=_own_dtype(self, dtype))
    absolute_ = abs_
    negative_ = neg_
    multiply_ = mul_
    subtract_ = sub_
    divide_ = true_divide_ = div_

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._inplace(_ops.clamp, min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value) -> Tensor:
        if history.shares_locations(self._data):
            warnings.warn("Use of masked_fill_ on expanded tensors is deprecated. Please clone() "
                          "the tensor before performing this operation. This also applies to "
                          "advanced indexing e.g. tensor[mask] = scalar", UserWarning,
                          stacklevel=2)
        return self._inplace_through(_ops.masked_fill, mask, value)

    def zero_(self) -> Tensor:
        """Fills with zeros in place."""
        return self.fill_(0)

    # comparisons in place: the 0/1 result replaces the values; both operands get a zero
    # gradient (torch's EqBackward1 and friends)
    def eq_(self, other): return _compare_inplace(self, _ops.eq, other)
    def ne_(self, other): return _compare_inplace(self, _ops.ne, other)
    def lt_(self, other): return _compare_inplace(self, _ops.lt, other)
    def le_(self, other): return _compare_inplace(self, _ops.le, other)
    def gt_(self, other): return _compare_inplace(self, _ops.gt, other)
    def ge_(self, other): return _compare_inplace(self, _ops.ge, other)
    greater_ = gt_
    greater_equal_ = ge_
    less_ = lt_
    less_equal_ = le_
    not_equal_ = ne_

    def fill_(self, value) -> Tensor:
        """Fills with ``value`` (a number or a one-element tensor) in place."""
        if isinstance(value, Tensor):
            if value._data.size != 1 or value._data.ndim > 1:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value._data.ndim} dimensions."
                )
            if _state.enabled and value._requires_grad:
                return self._inplace_through(FillWithTensor.apply, value.reshape(()))
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

    def index_fill_(self, dim, index, value) -> Tensor:
        return self._inplace_through(_ops.index_fill, dim, index, value)

    def index_copy_(self, dim, index, source) -> Tensor:
        return self._inplace(_ops.index_copy, dim, index, source)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(_ops.scatter, dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim, index, src):
        return self._inplace(_ops.scatter_add, dim, index, src)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(_ops.index_add, dim, index, source, alpha=alpha)


def _tensor_arg(name: str, other):
    """``other`` if it is a Tensor, else torch's argument error for method ``name``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return other


def _own_dtype(tensor: Tensor, dtype):
    """The dtype an in-place scan runs in: the tensor's own (another one is torch's error)."""
    if dtype is not None and _dtype.to_numpy_dtype(dtype) != tensor._data.dtype:
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {c_type_name(tensor._data.dtype)} and output "
            f"tensor dtype {c_type_name(_dtype.to_numpy_dtype(dtype))} should match")
    return tensor.dtype


def _is_one_value(args: tuple) -> bool:
    """True if ``args`` is a single number or 0-d tensor (a fill of one value)."""
    if len(args) != 1:
        return False
    value = args[0]._data if isinstance(args[0], Tensor) else args[0]
    return np.ndim(value) == 0

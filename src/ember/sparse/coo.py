"""The sparse COO tensor: an ``(sparse_dim, nnz)`` index array plus a values Tensor.

A :class:`SparseTensor` keeps its values as an ordinary Ember :class:`~ember.Tensor` of shape
``(nnz, *dense_shape)``. Autograd sees only that values tensor: every operation on a sparse
tensor is an op on its values (``to_dense`` scatters them, ``coalesce`` sums duplicates,
``ember.sparse.mm`` multiplies through them), so gradients reach the values, the dense
operands and whatever produced the values. A leaf sparse tensor that requires grad reports its
gradient as a sparse tensor on its coalesced pattern, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from ember import _dtype
from ember._shapes import canon_dim as _canon_dim
from ember.autograd.function import ArrayFunction
from ember.backend import CPU
from ember.backend import device as _Device
from ember.ops.creation import tensor as make_tensor
from ember.sparse.layouts import sparse_coo
from ember.tensor import Size, Tensor
from ember.tensor.format import _LINEWIDTH, _THRESHOLD, _array_str, _Formatter, _summarize

__all__ = ["SparseTensor", "check_sparse_tensor_invariants", "sparse_coo_tensor"]

_UNCOALESCED = "Cannot get {} on an uncoalesced tensor, please call .coalesce() first"


class check_sparse_tensor_invariants:
    """Turns on (or off) the checks of index bounds and of ``is_coalesced=True`` claims that
    :func:`sparse_coo_tensor` makes when its ``check_invariants`` is None.

    Usable as a context manager or a decorator; ``enable()`` / ``disable()`` set the global
    default. Ember also checks index bounds lazily (before ``to_dense``, ``coalesce`` and
    products), where PyTorch reads out of bounds.

    Args:
        enable: the state inside the context.

    Example:
        >>> with ember.sparse.check_sparse_tensor_invariants():
        ...     ember.sparse_coo_tensor([[0, 5]], [1.0, 2.0], (3,))
        Traceback (most recent call last):
        RuntimeError: size is inconsistent with indices: for dim 0, size is 3 but found index 5
    """

    _enabled = False

    def __init__(self, enable: bool = True) -> None:
        self.state = enable
        self.saved_state: bool | None = None

    @staticmethod
    def is_enabled() -> bool:
        """True if sparse tensors are checked when they are created."""
        return check_sparse_tensor_invariants._enabled

    @staticmethod
    def enable() -> None:
        """Checks sparse tensors when they are created, from now on."""
        check_sparse_tensor_invariants._enabled = True

    @staticmethod
    def disable() -> None:
        """Stops checking sparse tensors when they are created."""
        check_sparse_tensor_invariants._enabled = False

    def __enter__(self):
        if self.saved_state is not None:
            raise RuntimeError("This context manager instance is already activated. "
                               "Use a different context manager instance for context nesting.")
        self.saved_state = self.is_enabled()
        check_sparse_tensor_invariants._enabled = self.state
        return self

    def __exit__(self, *exc) -> None:
        check_sparse_tensor_invariants._enabled = self.saved_state
        self.saved_state = None

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with check_sparse_tensor_invariants(self.state):
                return fn(*args, **kwargs)

        return wrapped


def _named_alias(name: str) -> type:
    """An identity op whose node is called ``<name>Backward0``: the values of a sparse tensor
    derived from another (transposed, constructed, read back) get their own history, so the
    derived tensor is not mistaken for a leaf."""

    def forward(ctx, values):
        return values.view()

    def backward(ctx, grad):
        return grad

    return type(name, (ArrayFunction,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward), "is_view": True,
        "__doc__": f"The values of a sparse tensor passed through unchanged ({name}).",
    })


_Construct = _named_alias("SparseCooTensorWithDimsAndTensors")
_Values = _named_alias("Values")
_T = _named_alias("T")
_Transpose = _named_alias("Transpose")


def _check_bounds(indices: np.ndarray, shape: tuple) -> None:
    """PyTorch's invariant check: every index of sparse dim ``d`` lies in ``[0, shape[d])``."""
    if indices.shape[1] == 0:
        return
    lows, highs = indices.min(axis=1), indices.max(axis=1)
    for d in range(indices.shape[0]):
        if lows[d] < 0:
            raise RuntimeError(f"found negative index {lows[d]} for dim {d}")
        if highs[d] >= shape[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                               f"{shape[d]} but found index {highs[d]}")


def _sorted_unique(indices: np.ndarray) -> bool:
    """True if the index columns are in strictly increasing lexicographic order."""
    if indices.shape[1] < 2:
        return True
    diff = indices[:, 1:] - indices[:, :-1]
    nonzero = diff != 0
    if not nonzero.any(axis=0).all():  # two equal columns
        return False
    first = np.argmax(nonzero, axis=0)  # the row that decides each consecutive pair
    return bool((diff[first, np.arange(diff.shape[1])] > 0).all())


class SparseTensor:
    """A tensor in sparse COO layout (``layout=ember.sparse_coo``), as PyTorch's.

    Made by :func:`ember.sparse_coo_tensor` or :func:`ember.sparse.to_sparse`; not a subclass
    of :class:`ember.Tensor` (dense ops do not accept it). Indices are an int64 array of shape
    ``(sparse_dim, nnz)``; values a Tensor of shape ``(nnz, *size[sparse_dim:])``.
    The methods that run sparse ops (``coalesce``, ``to_dense``, ``*``, ``/``, ``@``, ``mm``,
    ``sum``) are written in :mod:`ember.sparse.methods`, which gives them to this class.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
        >>> s.to_dense()
        tensor([[0., 0., 3.],
                [4., 0., 5.]])
    """

    is_sparse = True
    layout = sparse_coo
    device = CPU.device
    is_cuda = False
    __array_priority__ = 1001

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("SparseTensor is not built directly; use ember.sparse_coo_tensor(...) "
                        "or Tensor.to_sparse()")

    @classmethod
    def _make(cls, indices: np.ndarray, values: Tensor, shape: tuple, coalesced: bool,
              checked: bool = False) -> SparseTensor:
        s = object.__new__(cls)
        s._idx = indices
        s._vals = values
        s._shape = tuple(int(n) for n in shape)
        s._coalesced = bool(coalesced)
        s._checked = checked
        return s

    # -- metadata ------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The full (sparse and dense) shape."""
        return Size(self._shape)

    def size(self, dim: int | None = None):
        """The shape, or its size along ``dim``."""
        if dim is None:
            return Size(self._shape)
        return self._shape[_canon_dim(dim, len(self._shape))]

    def dim(self) -> int:
        """The number of dimensions (sparse plus dense)."""
        return len(self._shape)

    ndim = property(dim)

    def numel(self) -> int:
        """The number of elements of the dense equivalent."""
        return Size(self._shape).numel()

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    @property
    def dtype(self):
        """The dtype of the values."""
        return self._vals.dtype

    def sparse_dim(self) -> int:
        """The number of sparse dimensions (rows of the indices)."""
        return self._idx.shape[0]

    def dense_dim(self) -> int:
        """The number of dense dimensions (trailing dims of each value)."""
        return self._vals._data.ndim - 1

    def _nnz(self) -> int:
        """The number of stored entries (duplicates included)."""
        return self._idx.shape[1]

    def is_coalesced(self) -> bool:
        """True if the indices are known to be sorted and free of duplicates."""
        return self._coalesced

    def is_floating_point(self) -> bool:
        return self._vals.is_floating_point()

    # -- autograd ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """True if gradients flow to (or through) the values."""
        return self._vals.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._vals.requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> SparseTensor:
        """Sets ``requires_grad`` of a leaf in place and returns self."""
        self._vals.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        """The node that produced the values (None for a leaf)."""
        return self._vals.grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for sparse tensors not produced by a recorded operation."""
        return self._vals.grad_fn is None

    @property
    def grad(self) -> SparseTensor | None:
        """A leaf's gradient: a sparse tensor on the leaf's coalesced pattern.

        Every op reads a sparse tensor through its dense equivalent, so each stored entry
        (duplicates included) gets the gradient of its position; one entry per position
        carries it.
        """
        g = self._vals.grad
        if g is None or not self.is_leaf:
            return None
        if self._coalesced:
            return SparseTensor._make(self._idx, Tensor._make(g._data), self._shape, False)
        if self._idx.shape[0] == 0:
            keep = np.arange(min(1, self._idx.shape[1]))
        else:
            _, keep = np.unique(self._idx, axis=1, return_index=True)
        return SparseTensor._make(self._idx[:, keep], Tensor._make(g._data[keep]),
                                  self._shape, False)

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._vals.grad = None
            return
        if not isinstance(value, SparseTensor) or value._shape != self._shape:
            raise RuntimeError("assigned grad has data of a different size")
        # store what each of our entries receives: the gradient at its position
        dense = value.detach().to_dense()._data
        sd = self.sparse_dim()
        lead = dense.reshape((int(np.prod(dense.shape[:sd])), *dense.shape[sd:]))
        self._vals.grad = Tensor._make(lead[_flat_index(self._idx, self._shape)].copy())

    def detach(self) -> SparseTensor:
        """A sparse tensor with the same indices and values, outside the graph."""
        return SparseTensor._make(self._idx, self._vals.detach(), self._shape, self._coalesced,
                                  self._checked)

    # -- indices and values --------------------------------------------------------------
    def _indices(self) -> Tensor:
        """The stored indices, ``(sparse_dim, nnz)``, coalesced or not."""
        return Tensor._make(self._idx)

    def _values(self) -> Tensor:
        """The stored values, coalesced or not, detached from the graph (as PyTorch's)."""
        return self._vals.detach()

    def indices(self) -> Tensor:
        """The indices of a coalesced tensor."""
        if not self._coalesced:
            raise RuntimeError(_UNCOALESCED.format("indices"))
        return Tensor._make(self._idx)

    def values(self) -> Tensor:
        """The values of a coalesced tensor (differentiable)."""
        if not self._coalesced:
            raise RuntimeError(_UNCOALESCED.format("values"))
        return _Values.apply(self._vals)

    def _validate(self) -> None:
        if not self._checked:
            _check_bounds(self._idx, self._shape)
            self._checked = True

    # -- conversions ---------------------------------------------------------------------
    def to(self, *args, dtype=None, **kwargs) -> SparseTensor:
        """The same pattern with values converted to ``dtype``.

        Args:
            *args: a dtype, a tensor (its dtype is taken) or a CPU device.
            dtype: the dtype, as a keyword.
            **kwargs: ``device`` and ``non_blocking``, accepted for PyTorch compatibility.

        Returns:
            Self when the dtype is unchanged, else a new SparseTensor.

        Example:
            >>> ember.sparse_coo_tensor([[0]], [1.5], (2,)).to(ember.float64).dtype
            ember.float64
        """
        for a in args:
            if isinstance(a, (Tensor, SparseTensor)):
                dtype = a.dtype
            elif not isinstance(a, (str, _Device)):
                dtype = a
        if dtype is None or _dtype.as_dtype(dtype) == self.dtype:
            return self
        return self._with_values(self._vals.to(dtype))

    def double(self) -> SparseTensor:
        """``self.to(ember.float64)``."""
        return self.to(_dtype.float64)

    def float(self) -> SparseTensor:
        """``self.to(ember.float32)``."""
        return self.to(_dtype.float32)

    def half(self) -> SparseTensor:
        """``self.to(ember.float16)``."""
        return self.to(_dtype.float16)

    def long(self) -> SparseTensor:
        """``self.to(ember.int64)``."""
        return self.to(_dtype.int64)

    def int(self) -> SparseTensor:
        """``self.to(ember.int32)``."""
        return self.to(_dtype.int32)

    def bool(self) -> SparseTensor:
        """``self.to(ember.bool)``."""
        return self.to(_dtype.bool_)

    def _with_values(self, values: Tensor) -> SparseTensor:
        return SparseTensor._make(self._idx, values, self._shape, self._coalesced, self._checked)

    # -- shape ---------------------------------------------------------------------------
    def t(self) -> SparseTensor:
        """The transpose of a sparse matrix (a 1-D tensor is returned as it is)."""
        sd, dd = self.sparse_dim(), self.dense_dim()
        if sd > 2 or dd > 0:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {sd} sparse and {dd} dense dimensions")
        if len(self._shape) < 2:
            return self
        return self._swapped(0, 1, _T)

    def transpose(self, dim0: int, dim1: int) -> SparseTensor:
        """Swaps two sparse dimensions (the indices' rows).

        Args:
            dim0: a sparse dimension.
            dim1: another sparse dimension.

        Returns:
            A SparseTensor sharing this one's values (differentiable).

        Example:
            >>> s = ember.sparse_coo_tensor([[0], [2]], [7.0], (2, 3))
            >>> s.transpose(0, 1).to_dense()
            tensor([[0., 0.],
                    [0., 0.],
                    [7., 0.]])
        """
        n = len(self._shape)
        d0, d1 = _canon_dim(dim0, n), _canon_dim(dim1, n)
        sd = self.sparse_dim()
        if d0 >= sd or d1 >= sd:
            raise RuntimeError("sparse transpose: transposed dimensions must be sparse Got "
                               f"sparse_dim: {sd}, d0: {d0}, d1: {d1}")
        return self._swapped(d0, d1, _Transpose)

    def _swapped(self, d0: int, d1: int, fn: type) -> SparseTensor:
        order = list(range(len(self._shape)))
        order[d0], order[d1] = d1, d0
        rows = order[:self.sparse_dim()]
        shape = tuple(self._shape[i] for i in order)
        coalesced = self._coalesced and d0 == d1
        return SparseTensor._make(self._idx[rows], fn.apply(self._vals), shape, coalesced,
                                  self._checked)

    # -- arithmetic ----------------------------------------------------------------------
    def __neg__(self) -> SparseTensor:
        return self._with_values(-self._vals)

    def neg(self) -> SparseTensor:
        """The negated values on the same pattern."""
        return -self

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.to_dense())

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        raise TypeError("Ember sparse tensors are not pickled; save their indices and values")

    # -- printing ------------------------------------------------------------------------
    def __repr__(self) -> str:
        indent = len("tensor(")
        suffixes = [f"size={tuple(self._shape)}", f"nnz={self._nnz()}"]
        default_float = _dtype.get_default_dtype().numpy
        if self._vals._data.dtype not in (default_float, np.dtype(np.int64), np.dtype(np.bool_)):
            suffixes.append(f"dtype={self.dtype!r}")
        parts = []
        for name, arr in (("indices", self._idx), ("values", self._vals._data)):
            prefix = f"{name}=tensor("
            parts.append(prefix + _body(arr, indent + len(prefix)) + ")")
        text = "tensor(" + (",\n" + " " * indent).join(parts)
        suffixes.append(f"layout={self.layout!r}")
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return _add_suffixes(text, suffixes, indent)

    __str__ = __repr__


def _body(arr: np.ndarray, indent: int) -> str:
    """A tensor's bracketed elements as PyTorch prints them inside a sparse tensor's repr;
    an empty one shows its size."""
    if arr.size == 0:
        return f"[], size={tuple(arr.shape)}"
    if arr.dtype.kind not in "biuf":
        arr = arr.astype(np.float32)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    summarize = arr.size > _THRESHOLD
    fmt = _Formatter(_summarize(arr) if summarize else arr)
    return _array_str(arr, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Appends ``, suffix`` items, wrapping as PyTorch does (the first on a new line)."""
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    newline = True
    for suffix in suffixes:
        if newline or last + len(suffix) + 2 > _LINEWIDTH:
            out.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
            newline = False
        else:
            out.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(out) + ")"


def _flat_index(indices: np.ndarray, shape: tuple) -> np.ndarray:
    """Each entry's position in the sparse dims flattened in C order (indices in bounds)."""
    sd = indices.shape[0]
    if sd == 0:
        return np.zeros(indices.shape[1], dtype=np.int64)
    return np.ravel_multi_index(tuple(indices), shape[:sd]).astype(np.int64, copy=False)


def _as_index_array(indices) -> np.ndarray:
    if isinstance(indices, Tensor):
        arr = indices._data
    elif isinstance(indices, SparseTensor):
        raise TypeError("indices must be a dense tensor")
    else:
        arr = np.asarray(indices)
    if arr.dtype.kind == "V":  # bfloat16
        arr = arr.astype(np.float32)
    return np.asarray(arr, dtype=np.int64)


def _as_values(values, dtype) -> Tensor:
    if isinstance(values, SparseTensor):
        raise TypeError("values must be a dense tensor")
    if not isinstance(values, Tensor):
        return make_tensor(values, dtype=dtype)
    if dtype is not None and _dtype.as_dtype(dtype) != values.dtype:
        return values.to(dtype)
    return values


def _coo_size(size, idx: np.ndarray, vals: Tensor) -> tuple[tuple, bool]:
    """The full size of a COO tensor, checked against its indices and values, and whether
    the indices were bounds-checked on the way (they are when the size is inferred)."""
    sd, nnz = idx.shape
    dd = vals.ndim - 1
    if size is not None:
        size = tuple(int(n) for n in size)
        if len(size) != sd + dd:
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(size)}, sparse_dim = {sd}, dense_dim = {dd}")
    if vals.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {vals.shape[0]}")
    if size is None:
        if nnz:
            lows = idx.min(axis=1)
            for d in range(sd):
                if lows[d] < 0:
                    raise RuntimeError(f"found negative index {lows[d]} for dim {d}")
        highs = idx.max(axis=1) + 1 if nnz else np.zeros(sd, dtype=np.int64)
        return tuple(int(h) for h in highs) + tuple(vals.shape[1:]), True
    if any(n < 0 for n in size):
        raise RuntimeError("numel: integer multiplication overflow")
    if tuple(vals.shape[1:]) != size[sd:]:
        raise RuntimeError(f"values has incorrect size, expected {[nnz, *size[sd:]]}, got "
                           f"{list(vals.shape)}")
    return size, False


def _construction_values(vals: Tensor, requires_grad: bool) -> Tensor:
    """The values a new COO tensor holds: a fresh leaf when ``requires_grad``, else recorded
    through the construction when ``vals`` has history."""
    if requires_grad:
        if not vals.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return vals.detach().requires_grad_()
    if vals.requires_grad:
        return _Construct.apply(vals)
    return vals


def sparse_coo_tensor(indices, values=None, size=None, *, dtype=None, device=None,
                      pin_memory: bool = False, requires_grad: bool = False,
                      check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseTensor:
    """A sparse COO tensor with ``values`` at ``indices``, as ``torch.sparse_coo_tensor``.

    Duplicate indices are allowed (they add up); the tensor is marked coalesced only when
    it has at most one entry or ``is_coalesced=True`` says so. ``sparse_coo_tensor(size)``
    makes an empty sparse tensor of that size.

    Args:
        indices: integer array-like of shape ``(sparse_dim, nnz)``.
        values: array-like of shape ``(nnz, *dense_shape)``; a Tensor keeps its autograd
            history (the sparse tensor is then not a leaf).
        size: the full shape; when None, each sparse size is the largest index plus one and
            the dense sizes are the values' trailing sizes.
        dtype: the values' dtype (inferred from ``values`` when None).
        device: must be the CPU (or None).
        pin_memory: ignored (CPU only).
        requires_grad: make the result a leaf that requires grad.
        check_invariants: check index bounds (and an ``is_coalesced=True`` claim) now; None
            uses :class:`check_sparse_tensor_invariants`' global setting.
        is_coalesced: declare the indices sorted and unique.

    Returns:
        A :class:`SparseTensor`.

    Example:
        >>> s = ember.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3))
        >>> s._nnz(), s.is_coalesced()
        (3, False)
    """
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"Ember tensors live on the CPU; got device {device}")
    if values is None and size is None:  # the (size) overload: no entries
        size = tuple(int(n) for n in indices)
        indices = np.zeros((len(size), 0), dtype=np.int64)
        values = np.zeros(0, dtype=_dtype.as_dtype(dtype or _dtype.get_default_dtype()).numpy)
    idx = _as_index_array(indices)
    vals = _as_values(values, dtype)
    if vals.ndim == 0:
        vals = vals.reshape(1)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    size, checked = _coo_size(size, idx, vals)
    if check_invariants is None:
        check_invariants = check_sparse_tensor_invariants.is_enabled()
    if check_invariants:
        _check_bounds(idx, size)
        checked = True
        if is_coalesced and not _sorted_unique(idx):
            raise RuntimeError("cannot set is_coalesced to true if indices correspond to "
                               "uncoalesced COO tensor")
    coalesced = idx.shape[1] <= 1 if is_coalesced is None else bool(is_coalesced)
    vals = _construction_values(vals, requires_grad)
    return SparseTensor._make(idx, vals, size, coalesced, checked)


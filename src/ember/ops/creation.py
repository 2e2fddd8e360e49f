"""Tensor creation: from data, filled, ranges, and random samples."""

from __future__ import annotations

import numbers

import numpy as np

from ember import _dtype
from ember import random as _random
from ember.backend import get_backend
from ember.tensor import Tensor, _to_array

__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "logspace",
    "multinomial",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "scalar_tensor",
    "tensor",
    "tensor_from_array",
    "zeros",
    "zeros_like",
]


def _new(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        if not _dtype.is_floating(arr.dtype):  # torch's factories word it so
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _size(size, keyword=None, name: str = "") -> tuple:
    """The shape given as ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``, checked."""
    if keyword is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (numbers.Integral, np.integer)):
            raise TypeError(f"size must be a tuple of ints, but got {type(s).__name__}")
        if s < 0:
            if name == "zeros":  # torch's zeros checks its sizes itself, in its own words
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _float(dtype) -> np.dtype:
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().numpy


def tensor_from_array(arr: np.ndarray) -> Tensor:
    """Wraps a NumPy array in a tensor without copying (for Ember's own modules).

    Args:
        arr (numpy.ndarray): the array the tensor will hold.

    Returns:
        Tensor: a tensor sharing ``arr``'s memory.

    Example:
        >>> tensor_from_array(np.arange(3)).tolist()
        [0, 1, 2]
    """
    return Tensor._make(arr)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Makes a new tensor from data, always copying it.

    Args:
        data: a number, a (nested) list or tuple, a NumPy array or a tensor.
        dtype (ember.dtype, optional): the dtype; inferred from ``data`` when None (Python
            floats give the default float dtype, ints ``int64``, bools ``bool``).
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).
        pin_memory (bool): accepted for torch's signature (no effect on the CPU).

    Returns:
        Tensor: a leaf tensor owning a copy of ``data``.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]])
        tensor([[1, 2],
                [3, 4]])
        >>> ember.tensor([0.5, 1.5], requires_grad=True)
        tensor([0.5000, 1.5000], requires_grad=True)
    """
    arr = get_backend(device).xp.array(_to_array(data, dtype), copy=True)
    return _new(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Makes a 0-d tensor holding one number (a float tensor unless ``dtype`` says otherwise).

    Args:
        s (number): the value.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: a 0-d tensor.

    Example:
        >>> ember.scalar_tensor(3)
        tensor(3.)
    """
    return tensor(float(s) if dtype is None else s, dtype=dtype, device=device,
                  requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Makes a tensor from data, sharing memory with it when it can.

    A tensor of the requested dtype comes back as it is, a NumPy array of a supported dtype is
    wrapped without a copy; anything else is converted as by :func:`tensor`.

    Args:
        data: a number, a (nested) list, a NumPy array or a tensor.
        dtype (ember.dtype, optional): the dtype; ``data``'s own when None.
        device (str or ember.device, optional): only ``'cpu'``.

    Returns:
        Tensor: a tensor with ``data``'s values (possibly sharing its memory).

    Example:
        >>> a = np.array([1.0, 2.0])
        >>> t = ember.as_tensor(a)
        >>> a[0] = 5.0
        >>> t
        tensor([5., 2.], dtype=ember.float64)
    """
    get_backend(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == _dtype.as_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray):
        return Tensor._make(_to_array(data, dtype))
    return Tensor._make(_to_array(data, dtype))


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """Makes a tensor that shares memory with a NumPy array.

    Args:
        ndarray (numpy.ndarray): an array of a dtype Ember supports.

    Returns:
        Tensor: a tensor viewing ``ndarray``'s memory: writes to one show in the other.

    Example:
        >>> a = np.array([1, 2, 3])
        >>> t = ember.from_numpy(a)
        >>> t[0] = -1
        >>> a
        array([-1,  2,  3])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def zeros(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False,
          out=None) -> Tensor:
    """Makes a tensor filled with zeros.

    Args:
        size_args (int...): the shape, as separate ints or one sequence of ints.
        size (sequence of ints, optional): the shape as a keyword instead.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).
        out (Tensor, optional): a tensor of the requested shape to fill with zeros and return.

    Returns:
        Tensor: the zeros (``out`` when given).

    Example:
        >>> ember.zeros(2, 3)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
        >>> ember.zeros((2,), dtype=ember.int64)
        tensor([0, 0])
    """
    backend = get_backend(device)
    shape = _size(size_args, size, "zeros")
    if out is not None:
        if tuple(out.shape) != shape:
            raise RuntimeError(
                f"zeros(out=...): out has shape {list(out.shape)}, expected {list(shape)}"
            )
        return out.zero_()
    return _new(backend.xp.zeros(shape, _float(dtype)), requires_grad)


def ones(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Makes a tensor filled with ones.

    Args:
        size_args (int...): the shape, as separate ints or one sequence of ints.
        size (sequence of ints, optional): the shape as a keyword instead.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: the ones.

    Example:
        >>> ember.ones(2, 2)
        tensor([[1., 1.],
                [1., 1.]])
    """
    backend = get_backend(device)
    return _new(backend.xp.ones(_size(size_args, size, "ones"), _float(dtype)), requires_grad)


def empty(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False,
          **kwargs) -> Tensor:
    """Makes a tensor without setting its values (whatever the memory held).

    Args:
        size_args (int...): the shape, as separate ints or one sequence of ints.
        size (sequence of ints, optional): the shape as a keyword instead.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).
        kwargs: further torch keywords (``pin_memory``, ``memory_format``), accepted and
            ignored.

    Returns:
        Tensor: an uninitialised tensor of that shape.

    Example:
        >>> ember.empty(2, 3).shape
        ember.Size([2, 3])
    """
    backend = get_backend(device)
    return _new(backend.empty(_size(size_args, size, "empty"), _float(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Makes a tensor filled with one value.

    Args:
        size (int or sequence of ints): the shape.
        fill_value (number): the value of every element.
        dtype (ember.dtype, optional): the dtype; when None, ``bool`` for a bool value,
            ``int64`` for an int, the default float dtype otherwise.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: the filled tensor.

    Example:
        >>> ember.full((2, 2), 7)
        tensor([[7, 7],
                [7, 7]])
        >>> ember.full((3,), 0.5)
        tensor([0.5000, 0.5000, 0.5000])
    """
    backend = get_backend(device)
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = _dtype.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = _dtype.int64
    shape = _size((size,) if isinstance(size, int) else tuple(size))
    return _new(backend.xp.full(shape, fill_value, dtype=_float(dtype)), requires_grad)


def _like(input: Tensor, dtype):
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else input._data.dtype


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    """Makes zeros with the shape and dtype of ``input``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): whether autograd records operations on the result.
        memory_format (optional): accepted for torch's signature; the result is C-contiguous.

    Returns:
        Tensor: zeros shaped like ``input``.

    Example:
        >>> ember.zeros_like(ember.ones(2, dtype=ember.int32))
        tensor([0, 0], dtype=ember.int32)
    """
    xp = get_backend(device).xp
    return _new(xp.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """Makes ones with the shape and dtype of ``input``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): whether autograd records operations on the result.
        memory_format (optional): accepted for torch's signature; the result is C-contiguous.

    Returns:
        Tensor: ones shaped like ``input``.

    Example:
        >>> ember.ones_like(ember.zeros(2, 2))
        tensor([[1., 1.],
                [1., 1.]])
    """
    xp = get_backend(device).xp
    return _new(xp.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    """Makes an uninitialised tensor with the shape and dtype of ``input``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): whether autograd records operations on the result.
        memory_format (optional): accepted for torch's signature; the result is C-contiguous.

    Returns:
        Tensor: an uninitialised tensor shaped like ``input``.

    Example:
        >>> ember.empty_like(ember.zeros(2, 3)).shape
        ember.Size([2, 3])
    """
    xp = get_backend(device).xp
    return _new(xp.empty(input._data.shape, _like(input, dtype)), requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """Makes a tensor of ``fill_value`` with the shape and dtype of ``input``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): whether autograd records operations on the result.
        memory_format (optional): accepted for torch's signature; the result is C-contiguous.
        fill_value (number): the value of every element (converted to the dtype).

    Returns:
        Tensor: the filled tensor.

    Example:
        >>> ember.full_like(ember.zeros(3), 2.5)
        tensor([2.5000, 2.5000, 2.5000])
    """
    xp = get_backend(device).xp
    return _new(xp.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Makes the 1-D range ``start, start + step, ...`` up to ``end`` (excluded).

    ``arange(end)`` counts from 0. The length is ``ceil((end - start) / step)``.

    Args:
        start (number): the first value (or the end, when ``end`` is None).
        end (number, optional): the bound, not included.
        step (number): the gap between values (not 0; its sign must lead from start to end).
        dtype (ember.dtype, optional): ``int64`` when every bound is an int, else the default
            float dtype.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: a 1-D tensor.

    Example:
        >>> ember.arange(4)
        tensor([0, 1, 2, 3])
        >>> ember.arange(1, 2.5, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    backend = get_backend(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = (_dtype.int64 if all(isinstance(v, numbers.Integral) for v in vals)
                 else _dtype.get_default_dtype())
    start, end, step = vals
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = max(int(np.ceil((end - start) / step)), 0)
    count = backend.xp.arange(n, dtype=np.float64 if _dtype.as_dtype(dtype).is_floating_point
                              else np.int64)
    arr = start + step * count
    return _new(arr.astype(_dtype.to_numpy_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Makes ``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Args:
        start (number): the first value.
        end (number): the last value.
        steps (int): how many values (0 or more).
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: a 1-D tensor of ``steps`` values, rounded as torch rounds them.

    Example:
        >>> ember.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    xp = get_backend(device).xp
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _float(dtype)
    # PyTorch's formula: from the start for the first half, from the end for the second; the
    # step is rounded to the output's floating type, each value is rounded once (as by an fma)
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    if dt.kind != "f":  # integer outputs: the bounds are converted first, as in PyTorch
        start, end = int(start), int(end)
    start, end = xp.asarray(start, work), xp.asarray(end, work)
    acc = np.longdouble  # wider than float64 where the platform has it: emulates the fma
    step = ((end - start) / work.type(max(steps - 1, 1))).astype(acc)
    start, end = start.astype(acc), end.astype(acc)
    i = xp.arange(steps, dtype=acc)
    vals = xp.where(i < steps // 2, start + step * i, end - step * (steps - i - 1))
    if steps == 1:
        vals = start.reshape(1)
    return _new(vals.astype(dt), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    """Makes ``steps`` values ``base ** v`` for ``v`` evenly spaced from ``start`` to ``end``.

    Args:
        start (number): the first exponent.
        end (number): the last exponent.
        steps (int): how many values.
        base (float): the base of the powers.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: a 1-D tensor.

    Example:
        >>> ember.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    xp = get_backend(device).xp
    return _new(xp.logspace(float(start), float(end), int(steps), base=base).astype(
        _float(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Makes a 2-D tensor with ones on the diagonal and zeros elsewhere.

    Args:
        n (int): the number of rows.
        m (int, optional): the number of columns; ``n`` when None.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: an ``n x m`` identity matrix.

    Example:
        >>> ember.eye(2, 3)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    return _new(get_backend(device).xp.eye(n, m, dtype=_float(dtype)), requires_grad)


def rand(*size_args, size=None, generator=None, dtype=None, device=None,
         requires_grad=False) -> Tensor:
    """Draws samples uniformly from ``[0, 1)``.

    Args:
        size_args (int...): the shape, as separate ints or one sequence of ints.
        size (sequence of ints, optional): the shape as a keyword instead.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: the samples.

    Example:
        >>> x = ember.rand(2, 3)
        >>> x.shape, bool(((x >= 0) & (x < 1)).all())
        (ember.Size([2, 3]), True)
    """
    get_backend(device)
    arr = _random.uniform_array(_size(size_args, size, "rand"), _float(dtype), 0.0, 1.0,
                                generator)
    return _new(arr, requires_grad)


def randn(*size_args, size=None, generator=None, dtype=None, device=None,
          requires_grad=False) -> Tensor:
    """Draws samples from the standard normal distribution (mean 0, variance 1).

    Args:
        size_args (int...): the shape, as separate ints or one sequence of ints.
        size (sequence of ints, optional): the shape as a keyword instead.
        dtype (ember.dtype, optional): the dtype; the default float dtype when None.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: the samples.

    Example:
        >>> ember.randn(4, dtype=ember.float64).dtype
        ember.float64
    """
    get_backend(device)
    return _new(_random.normal_array(_size(size_args, size, "randn"), _float(dtype), 0.0, 1.0,
                                   generator),
                requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Draws integers uniformly from ``[low, high)``.

    ``randint(high, size)`` draws from ``[0, high)``.

    Args:
        low (int): the lowest value (or ``high``, when called as ``randint(high, size)``).
        high (int): one above the highest value.
        size (sequence of ints): the shape.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        dtype (ember.dtype, optional): the dtype; ``int64`` when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: the samples.

    Example:
        >>> x = ember.randint(3, 5, (100,))
        >>> sorted(set(x.tolist())) <= [3, 4]
        True
    """
    get_backend(device)
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    arr = _random.randint_array(int(low), int(high), _size(tuple(size)), generator)
    out_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else np.int64
    return _new(arr.astype(out_dtype), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Makes a random permutation of ``0, 1, ..., n - 1``.

    Args:
        n (int): the number of elements.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        dtype (ember.dtype, optional): the dtype; ``int64`` when None.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: a 1-D tensor holding each of ``0..n-1`` once.

    Example:
        >>> sorted(ember.randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    get_backend(device)
    arr = _random.permutation_array(int(n), generator)
    return _new(arr.astype(_dtype.to_numpy_dtype(dtype) if dtype else np.int64), requires_grad)


def rand_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Draws uniform samples on ``[0, 1)`` shaped like ``input``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): whether autograd records operations on the result.

    Returns:
        Tensor: the samples.

    Example:
        >>> ember.rand_like(ember.zeros(2, 2)).shape
        ember.Size([2, 2])
    """
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Draws standard normal samples shaped like ``input``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): whether autograd records operations on the result.

    Returns:
        Tensor: the samples.

    Example:
        >>> ember.randn_like(ember.zeros(3, dtype=ember.float64)).dtype
        ember.float64
    """
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False) -> Tensor:
    """Draws integers from ``[low, high)`` shaped like ``input``, in its dtype.

    ``randint_like(input, high)`` draws from ``[0, high)``.

    Args:
        input (Tensor): the tensor whose shape (and, by default, dtype) the result takes.
        low (int): the lowest value (or ``high`` when ``high`` is None).
        high (int, optional): one above the highest value.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        dtype (ember.dtype, optional): the dtype instead of ``input``'s.
        device (str or ember.device, optional): only ``'cpu'``.
        requires_grad (bool): accepted for torch's signature.

    Returns:
        Tensor: the samples.

    Example:
        >>> x = ember.randint_like(ember.zeros(50), 2)
        >>> x.dtype, sorted(set(x.tolist())) <= [0.0, 1.0]
        (ember.float32, True)
    """
    if high is None:
        low, high = 0, low
    t = randint(low, high, tuple(input.shape), generator=generator, device=device)
    return t.to(dtype or input.dtype)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Draws normal samples with the given means and standard deviations.

    ``mean`` and ``std`` may be tensors (broadcast together; the result has their shape and
    dtype) or numbers (then ``size`` gives the shape).

    Args:
        mean (float or Tensor): the mean(s).
        std (float or Tensor): the standard deviation(s), none negative.
        size (sequence of ints, optional): the shape when both are numbers.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.
        dtype (ember.dtype, optional): the dtype for number arguments.
        device (str or ember.device, optional): where to allocate; only ``'cpu'`` exists (the
            device's backend allocates the array).
        requires_grad (bool): whether autograd records operations on the result (floating
            dtypes only).

    Returns:
        Tensor: the samples.

    Example:
        >>> ember.normal(ember.zeros(3), 0.0)
        tensor([0., 0., 0.])
        >>> ember.normal(2.0, 3.0, (2, 2)).shape
        ember.Size([2, 2])
    """
    get_backend(device)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if (isinstance(s, np.ndarray) and (s < 0).any()) or (not isinstance(s, np.ndarray) and s < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
        ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
        dt = ref._data.dtype if ref is not None else _float(dtype)
    else:
        dt = _float(dtype)
    z = _random.normal_array(tuple(size), np.float64, 0.0, 1.0, generator)
    return _new((z * s + m).astype(dt), requires_grad)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """Draws 0 or 1 for each element, 1 with the probability that element holds.

    Args:
        input (Tensor): the probabilities, each in ``[0, 1]``.
        p (float, optional): one probability for every element instead of ``input``'s values.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.

    Returns:
        Tensor: zeros and ones in ``input``'s shape and dtype.

    Example:
        >>> ember.bernoulli(ember.tensor([0.0, 1.0, 1.0]))
        tensor([0., 1., 1.])
    """
    prob = input._data if p is None else p
    if p is None and ((input._data < 0) | (input._data > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    arr = _random.bernoulli_array(input._data.shape, prob, generator)
    return Tensor._make(arr.astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Draws category indices from rows of non-negative weights.

    Args:
        input (Tensor): 1-D weights, or 2-D with one distribution per row (need not sum to 1).
        num_samples (int): how many indices to draw per row.
        replacement (bool): draw with replacement; without it, ``num_samples`` may not exceed
            the number of categories and no index repeats within a row.
        generator (ember.Generator, optional): the random stream; the default generator when
            None.

    Returns:
        Tensor: ``int64`` indices of shape ``(num_samples,)`` or ``(rows, num_samples)``.

    Shape:
        - input: :math:`(K)` or :math:`(R, K)`.
        - output: :math:`(S)` or :math:`(R, S)` with ``S = num_samples``.

    Example:
        >>> ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 2, replacement=True)
        tensor([1, 1])
    """
    probs = np.atleast_2d(input._data).astype(np.float64)
    if (probs < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows, k = probs.shape
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    out = np.empty((rows, num_samples), dtype=np.int64)
    for r in range(rows):
        if replacement:
            cdf = np.cumsum(probs[r])
            u = _random.uniform_array((num_samples,), np.float64, 0.0, 1.0, generator)
            out[r] = np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), k - 1)
        else:
            # Gumbel-top-k: the k largest of log(p) - log(-log(u)) are a sample without replacement
            u = _random.uniform_array((k,), np.float64, 0.0, 1.0, generator)
            with np.errstate(divide="ignore"):
                keys = np.log(probs[r]) - np.log(-np.log(1.0 - u))
            out[r] = np.argsort(-keys, kind="stable")[:num_samples]
    return Tensor._make(out if input.ndim == 2 else out[0])

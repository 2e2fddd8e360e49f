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
    """Wraps an array without copying (internal helper for other modules)."""
    return Tensor._make(arr)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Makes a new tensor (always a copy) from data: numbers, nested lists, arrays, tensors."""
    arr = get_backend(device).xp.array(_to_array(data, dtype), copy=True)
    return _new(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor (float by default)."""
    return tensor(float(s) if dtype is None else s, dtype=dtype, device=device,
                  requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with a NumPy array or tensor when it can."""
    get_backend(device)
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == _dtype.as_dtype(dtype) else data.to(dtype)
    if isinstance(data, np.ndarray):
        return Tensor._make(_to_array(data, dtype))
    return Tensor._make(_to_array(data, dtype))


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def zeros(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False,
          out=None) -> Tensor:
    """A tensor of zeros (``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``); with
    ``out``, a tensor of that shape, filled with zeros in place and returned."""
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
    """A tensor of ones."""
    backend = get_backend(device)
    return _new(backend.xp.ones(_size(size_args, size, "ones"), _float(dtype)), requires_grad)


def empty(*size_args, size=None, dtype=None, device=None, requires_grad: bool = False,
          **kwargs) -> Tensor:
    """An uninitialised tensor."""
    backend = get_backend(device)
    return _new(backend.empty(_size(size_args, size, "empty"), _float(dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype inferred from the value if not given)."""
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
    """Zeros with ``input``'s shape and dtype."""
    xp = get_backend(device).xp
    return _new(xp.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    xp = get_backend(device).xp
    return _new(xp.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    """Uninitialised with ``input``'s shape and dtype."""
    xp = get_backend(device).xp
    return _new(xp.empty(input._data.shape, _like(input, dtype)), requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    """``fill_value`` with ``input``'s shape and dtype."""
    xp = get_backend(device).xp
    return _new(xp.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``."""
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
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
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
    """``base ** linspace(start, end, steps)``."""
    xp = get_backend(device).xp
    return _new(xp.logspace(float(start), float(end), int(steps), base=base).astype(
        _float(dtype)), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An ``n x m`` identity matrix."""
    return _new(get_backend(device).xp.eye(n, m, dtype=_float(dtype)), requires_grad)


def rand(*size_args, size=None, generator=None, dtype=None, device=None,
         requires_grad=False) -> Tensor:
    """Uniform samples on ``[0, 1)``."""
    get_backend(device)
    arr = _random.uniform_array(_size(size_args, size, "rand"), _float(dtype), 0.0, 1.0,
                                generator)
    return _new(arr, requires_grad)


def randn(*size_args, size=None, generator=None, dtype=None, device=None,
          requires_grad=False) -> Tensor:
    """Standard normal samples."""
    get_backend(device)
    return _new(_random.normal_array(_size(size_args, size, "randn"), _float(dtype), 0.0, 1.0,
                                   generator),
                requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Uniform integers on ``[low, high)`` (``randint(high, size)`` also works)."""
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
    """A random permutation of ``0..n-1``."""
    get_backend(device)
    arr = _random.permutation_array(int(n), generator)
    return _new(arr.astype(_dtype.to_numpy_dtype(dtype) if dtype else np.int64), requires_grad)


def rand_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples with ``input``'s shape and dtype."""
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples with ``input``'s shape and dtype."""
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False) -> Tensor:
    """Random integers with ``input``'s shape and dtype."""
    if high is None:
        low, high = 0, low
    t = randint(low, high, tuple(input.shape), generator=generator, device=device)
    return t.to(dtype or input.dtype)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with ``size``."""
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
    """0/1 samples (in ``input``'s dtype) with probabilities ``input`` (or ``p``)."""
    prob = input._data if p is None else p
    if p is None and ((input._data < 0) | (input._data > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    arr = _random.bernoulli_array(input._data.shape, prob, generator)
    return Tensor._make(arr.astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Samples category indices from rows of (unnormalised) probabilities."""
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

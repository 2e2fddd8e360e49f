"""Creation functions (shapes, dtypes, defaults) and dtype promotion, against torch."""

import itertools

import numpy as np
import pytest
import torch
from tests.torch_compare import both, same_error, same_outcome

import ember


def exact(fn) -> None:
    """Runs ``fn(M)`` in both libraries: the tensors' dtype, shape, values and requires_grad."""
    both(lambda M: _with_flag(fn(M)), rtol=0, atol=0)


def _with_flag(t) -> tuple:
    return t, t.requires_grad


def _layout(t) -> tuple:
    """Shape and dtype name: all that can be compared of ``empty`` tensors."""
    return tuple(t.shape), str(t.dtype).split(".")[-1]


def _dtyped(M, kwargs: dict) -> dict:
    """``kwargs`` with a ``dtype`` given by name replaced by ``M``'s dtype."""
    return {k: getattr(M, v) if k == "dtype" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("call", [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("zeros", ([2, 3],), {}), ("zeros", ((),), {}),
    ("zeros", (0,), {}), ("ones", (4,), {"dtype": "int64"}), ("ones", (2, 1), {}),
    ("ones", (3,), {"dtype": "float64", "requires_grad": True}),
    ("full", ((2, 2), 7), {}), ("full", ((2,), 1.5), {}), ("full", ((2,), True), {}),
    ("full", ((2,), 3), {"dtype": "float64"}), ("full", ([3], -1), {}),
    ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.0, 1.0, 0.25), {}),
    ("arange", (5, 0, -1), {}), ("arange", (1.0, -1.0, -0.5), {}), ("arange", (0, 5, 1.5), {}),
    ("arange", (3,), {"dtype": "float64"}), ("arange", (0,), {}), ("arange", (2, 2), {}),
    ("linspace", (0, 1, 5), {}), ("linspace", (-1.0, 1.0, 1), {}), ("linspace", (2, 3, 0), {}),
    ("linspace", (0, 1, 7), {}),
    ("linspace", (0, 1, 7), {"dtype": "float64"}), ("linspace", (-3, 7.5, 10), {}),
    ("linspace", (-3, 7.5, 10), {"dtype": "int64"}), ("linspace", (0.1, 0.9, 33), {}),
    ("linspace", (-5.5, 2.25, 101), {"dtype": "float64"}),
    ("linspace", (0, 10, 4), {"dtype": "float64"}), ("linspace", (0, 10, 6),
                                                         {"dtype": "int64"}),
    ("eye", (3,), {}), ("eye", (2, 4), {}), ("eye", (3,), {"dtype": "int64"}),
    ("eye", (0,), {}),
], ids=lambda c: f"{c[0]}{c[1]}{list(c[2])}")
def test_creation(call):
    name, args, kwargs = call
    exact(lambda M: getattr(M, name)(*args, **_dtyped(M, kwargs)))


@pytest.mark.parametrize("args", [(0, 1, 0.1), (-1, 1, 0.3), (10, -3.3, -0.7), (0, 1000, 0.37),
                                  (1, 2.5), (0.5, 10.25, 0.77)])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_arange_float_values(args, dtype):
    # torch's vectorized kernel rounds block by block: equal lengths, values within an ulp
    kwargs = {} if dtype is None else {"dtype": dtype}
    tol = dict(rtol=2e-7, atol=1e-6) if dtype is None else dict(rtol=1e-15, atol=1e-13)
    both(lambda M: M.arange(*args, **_dtyped(M, kwargs)), **tol)


def test_empty_shape_and_dtype():
    assert both(lambda M: _layout(M.empty(2, 3))) == ((2, 3), "float32")
    assert both(lambda M: _layout(M.empty((4,), dtype=M.int32))) == ((4,), "int32")


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_like(name, dtype):
    extra = (1,) if name == "full_like" else ()
    for kwargs, expected in (({}, dtype), ({"dtype": "float64"}, "float64")):
        def like(M, kwargs=kwargs):
            return getattr(M, name)(M.zeros(2, 3, dtype=getattr(M, dtype)), *extra,
                                    **_dtyped(M, kwargs))

        assert both(lambda M, like=like: _layout(like(M))) == ((2, 3), expected)
        if name != "empty_like":
            exact(like)


@pytest.mark.parametrize("data", [
    1, 1.5, True, [1, 2], [1.0, 2], [True, False], [[1, 2], [3, 4]], [], [[]], [1, 2.5, True],
    [True, 2], np.array([1, 2], dtype=np.int32), np.array([1.5], dtype=np.float64),
    np.array([1, 2], dtype=np.uint8), np.array(3.0), np.float32(2.5), np.int64(3),
    np.array([True]), np.zeros((2, 0)),
], ids=repr)
def test_tensor_dtype_inference(data):
    exact(lambda M: M.tensor(data))
    exact(lambda M: M.as_tensor(data))


def test_tensor_from_tensors_and_explicit_dtype():
    exact(lambda M: M.tensor([1, 2], dtype=M.float64))
    exact(lambda M: M.tensor(2.5, dtype=M.int64))
    exact(lambda M: M.tensor([1.0, 2.0], requires_grad=True))
    exact(lambda M: M.tensor([M.tensor(1.0), M.tensor(2.0)]))
    same_outcome(lambda M: M.tensor([1, 2], requires_grad=True), words=("floating point",))


def test_default_dtype_switch():
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        exact(lambda M: M.tensor([1.5]))
        exact(lambda M: M.zeros(2))
        exact(lambda M: M.arange(0.0, 1.0, 0.5))
        exact(lambda M: M.ones(2, dtype=M.int64) / 2)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


def test_from_numpy_shares_memory():
    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    e = ember.from_numpy(arr)
    assert e.dtype == ember.float64
    arr[0, 0] = 42.0
    assert e[0, 0].item() == 42.0
    e[1, 2] = -1.0
    assert arr[1, 2] == -1.0
    assert ember.as_tensor(arr).numpy() is not None and np.shares_memory(
        ember.as_tensor(arr).numpy(), arr)
    t = ember.tensor(arr)  # tensor() copies
    arr[0, 1] = 7.0
    assert t[0, 1].item() == 1.0
    with pytest.raises(TypeError):
        ember.from_numpy([1, 2])
    with pytest.raises(TypeError):
        ember.from_numpy(np.array(["a"]))


def test_creation_errors():
    same_error(lambda M: M.ones(2, -1))
    same_error(lambda M: M.linspace(0, 1, -1))
    same_error(lambda M: M.arange(0, 5, 0))
    same_error(lambda M: M.arange(0, 5, -1))
    same_error(lambda M: M.empty(-1))
    # torch words zeros(-1) on its own ("zeros: Dimension size must be non-negative.")
    same_outcome(lambda M: M.zeros(-1), words=("negative",))


# -- dtype promotion: every pair of these operands against torch.result_type -----------------

def _operands():
    """(label, torch value, ember value) for tensors of each dtype (1-d and 0-d) and scalars."""
    out = []
    for name in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
                 "float64"):
        for shape in ((2,), ()):
            tag = f"{name}{'[2]' if shape else '[]'}"
            out.append((tag, torch.ones(shape, dtype=getattr(torch, name)),
                        ember.ones(shape, dtype=getattr(ember, name))))
    for v in (True, 2, 2.5):
        out.append((repr(v), v, v))
    return out


OPERANDS = _operands()


@pytest.mark.parametrize("a,b", [
    (x, y) for x, y in itertools.product(OPERANDS, OPERANDS)
    if isinstance(x[1], torch.Tensor) or isinstance(y[1], torch.Tensor)
], ids=lambda o: o[0])
def test_promotion_grid(a, b):
    expected = torch.result_type(a[1], b[1])
    got = ember.result_type(a[2], b[2])
    assert got.name == str(expected).replace("torch.", "")
    # the arithmetic result follows the same rule (and true division goes to floating point)
    assert (a[2] * b[2] if not (a[0].startswith("bool") and b[0].startswith("bool")) else
            a[2] & b[2]).dtype.name == str((a[1] * b[1] if not (
                a[0].startswith("bool") and b[0].startswith("bool")) else a[1] & b[1]).dtype
                                            ).replace("torch.", "")
    assert (a[2] / b[2]).dtype.name == str((a[1] / b[1]).dtype).replace("torch.", "")
    assert (a[2] + b[2]).dtype.name == str((a[1] + b[1]).dtype).replace("torch.", "")
    assert ember.where(ember.tensor(True), a[2], b[2]).dtype.name == str(
        torch.where(torch.tensor(True), a[1], b[1]).dtype).replace("torch.", "")


def test_promotion_named_cases():
    assert (ember.ones(2, dtype=ember.int64) + 1.5).dtype == ember.float32
    assert (ember.ones(2) + ember.tensor(1.0, dtype=ember.float64)).dtype == ember.float32
    assert (ember.ones(2, dtype=ember.bool) + 1).dtype == ember.int64
    assert (ember.tensor([3]) / ember.tensor([2])).dtype == ember.float32
    assert (ember.tensor([3]) / ember.tensor([2])).item() == 1.5
    assert (ember.ones(2, dtype=ember.int32) + ember.tensor(5)).dtype == ember.int32
    assert (ember.ones(2, dtype=ember.uint8) + ember.ones(2, dtype=ember.int8)).dtype == \
        ember.int16
    assert ember.promote_types(ember.uint8, ember.int8) == ember.int16
    assert ember.can_cast(ember.float32, ember.int32) is False
    assert ember.can_cast(ember.int32, ember.float32) is True

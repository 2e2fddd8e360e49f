"""Creation functions (shapes, dtypes, defaults) and dtype promotion, against torch."""

import itertools

import numpy as np
import pytest
import torch

import ember


def same(e, t) -> None:
    """Asserts an Ember tensor equals a torch one in dtype, shape, values and requires_grad."""
    assert isinstance(e, ember.Tensor)
    assert e.dtype.name == str(t.dtype).replace("torch.", ""), (e.dtype, t.dtype)
    assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
    assert e.requires_grad == t.requires_grad
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def both(fn_name, *args, **kwargs):
    """Calls ``fn_name`` in both libraries, with dtype names translated."""
    def conv(lib, v):
        return getattr(lib, v.name) if isinstance(v, DT) else v

    e = getattr(ember, fn_name)(*[conv(ember, a) for a in args],
                                **{k: conv(ember, v) for k, v in kwargs.items()})
    t = getattr(torch, fn_name)(*[conv(torch, a) for a in args],
                                **{k: conv(torch, v) for k, v in kwargs.items()})
    return e, t


class DT:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize("call", [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("zeros", ([2, 3],), {}), ("zeros", ((),), {}),
    ("zeros", (0,), {}), ("ones", (4,), {"dtype": DT("int64")}), ("ones", (2, 1), {}),
    ("ones", (3,), {"dtype": DT("float64"), "requires_grad": True}),
    ("full", ((2, 2), 7), {}), ("full", ((2,), 1.5), {}), ("full", ((2,), True), {}),
    ("full", ((2,), 3), {"dtype": DT("float64")}), ("full", ([3], -1), {}),
    ("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.0, 1.0, 0.25), {}),
    ("arange", (5, 0, -1), {}), ("arange", (1.0, -1.0, -0.5), {}), ("arange", (0, 5, 1.5), {}),
    ("arange", (3,), {"dtype": DT("float64")}), ("arange", (0,), {}), ("arange", (2, 2), {}),
    ("linspace", (0, 1, 5), {}), ("linspace", (-1.0, 1.0, 1), {}), ("linspace", (2, 3, 0), {}),
    ("linspace", (0, 1, 7), {}),
    ("linspace", (0, 1, 7), {"dtype": DT("float64")}), ("linspace", (-3, 7.5, 10), {}),
    ("linspace", (-3, 7.5, 10), {"dtype": DT("int64")}), ("linspace", (0.1, 0.9, 33), {}),
    ("linspace", (-5.5, 2.25, 101), {"dtype": DT("float64")}),
    ("linspace", (0, 10, 4), {"dtype": DT("float64")}), ("linspace", (0, 10, 6),
                                                         {"dtype": DT("int64")}),
    ("eye", (3,), {}), ("eye", (2, 4), {}), ("eye", (3,), {"dtype": DT("int64")}),
    ("eye", (0,), {}),
], ids=lambda c: f"{c[0]}{c[1]}{list(c[2])}")
def test_creation(call):
    name, args, kwargs = call
    same(*both(name, *args, **kwargs))


@pytest.mark.parametrize("args", [(0, 1, 0.1), (-1, 1, 0.3), (10, -3.3, -0.7), (0, 1000, 0.37),
                                  (1, 2.5), (0.5, 10.25, 0.77)])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_arange_float_values(args, dtype):
    # torch's vectorized kernel rounds block by block: equal lengths, values within an ulp
    kw_e = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    e, t = ember.arange(*args, **kw_e), torch.arange(*args, **kw_t)
    assert e.dtype.name == str(t.dtype).replace("torch.", "") and e.shape == t.shape
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=2e-7 if dtype is None else 1e-15,
                               atol=1e-6 if dtype is None else 1e-13)


def test_empty_shape_and_dtype():
    e, t = both("empty", 2, 3)
    assert tuple(e.shape) == tuple(t.shape) and e.dtype.name == "float32"
    e, t = both("empty", (4,), dtype=DT("int32"))
    assert tuple(e.shape) == (4,) and e.dtype == ember.int32


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_like(name, dtype):
    src_t = torch.zeros(2, 3, dtype=getattr(torch, dtype))
    src_e = ember.zeros(2, 3, dtype=getattr(ember, dtype))
    extra = (1,) if name == "full_like" else ()
    t = getattr(torch, name)(src_t, *extra)
    e = getattr(ember, name)(src_e, *extra)
    assert e.dtype.name == dtype and tuple(e.shape) == tuple(t.shape)
    if name != "empty_like":
        same(e, t)
    t = getattr(torch, name)(src_t, *extra, dtype=torch.float64)
    e = getattr(ember, name)(src_e, *extra, dtype=ember.float64)
    assert e.dtype == ember.float64 and t.dtype == torch.float64


@pytest.mark.parametrize("data", [
    1, 1.5, True, [1, 2], [1.0, 2], [True, False], [[1, 2], [3, 4]], [], [[]], [1, 2.5, True],
    [True, 2], np.array([1, 2], dtype=np.int32), np.array([1.5], dtype=np.float64),
    np.array([1, 2], dtype=np.uint8), np.array(3.0), np.float32(2.5), np.int64(3),
    np.array([True]), np.zeros((2, 0)),
], ids=repr)
def test_tensor_dtype_inference(data):
    same(ember.tensor(data), torch.tensor(data))
    same(ember.as_tensor(data), torch.as_tensor(data))


def test_tensor_from_tensors_and_explicit_dtype():
    same(ember.tensor([1, 2], dtype=ember.float64), torch.tensor([1, 2], dtype=torch.float64))
    same(ember.tensor(2.5, dtype=ember.int64), torch.tensor(2.5, dtype=torch.int64))
    same(ember.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0],
                                                                     requires_grad=True))
    same(ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]),
         torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]))
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)


def test_default_dtype_switch():
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        same(ember.tensor([1.5]), torch.tensor([1.5]))
        same(ember.zeros(2), torch.zeros(2))
        same(ember.arange(0.0, 1.0, 0.5), torch.arange(0.0, 1.0, 0.5))
        same(ember.ones(2, dtype=ember.int64) / 2, torch.ones(2, dtype=torch.int64) / 2)
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
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="negative"):
            lib.zeros(-1)
        with pytest.raises(RuntimeError, match="negative dimension -1: \\[2, -1\\]"):
            lib.ones(2, -1)
        with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
            lib.linspace(0, 1, -1)
        with pytest.raises(RuntimeError, match="step must be nonzero"):
            lib.arange(0, 5, 0)
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent"):
            lib.arange(0, 5, -1)


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

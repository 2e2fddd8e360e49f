"""Tensor basics against torch: metadata, dtypes, conversions, casts and Python protocols."""

import numpy as np
import pytest
import torch

import ember

DATA = [
    [1, 2, 3],
    [1.0, 2.5, -3.0],
    [[1, 2], [3, 4]],
    [True, False],
    3,
    2.5,
    [[1.0, 2], [3, 4]],
    [],
]


def dtype_name(d) -> str:
    return str(d).split(".")[-1]


@pytest.mark.parametrize("data", DATA, ids=str)
def test_tensor_from_data_matches_torch(data):
    t, e = torch.tensor(data), ember.tensor(data)
    assert tuple(e.shape) == tuple(t.shape)
    assert dtype_name(e.dtype) == dtype_name(t.dtype)
    assert e.ndim == t.ndim and e.dim() == t.dim()
    assert e.numel() == t.numel()
    assert e.tolist() == t.tolist()
    assert e.is_leaf and not e.requires_grad and e.grad is None and e.grad_fn is None


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "int64", "int32", "bool",
                                  "uint8", "int8", "int16"])
def test_explicit_dtypes(name):
    t = torch.tensor([0, 1, 2], dtype=getattr(torch, name))
    e = ember.tensor([0, 1, 2], dtype=getattr(ember, name))
    assert dtype_name(e.dtype) == name
    assert e.numpy().dtype == np.dtype(name)
    assert e.tolist() == t.tolist()
    assert e.element_size() == t.element_size()
    assert e.is_floating_point() == t.is_floating_point()


def test_default_float_dtype_and_aliases():
    assert ember.get_default_dtype() is ember.float32
    assert ember.tensor([1.0]).dtype is ember.float32
    assert ember.zeros(2).dtype is ember.float32
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.long is ember.int64 and ember.int is ember.int32 and ember.half is ember.float16
    assert repr(ember.float64) == "ember.float64"
    # a Python float list with an explicit float64 keeps full precision
    assert ember.tensor([0.1], dtype=ember.float64).item() == 0.1


def test_size_and_shape():
    t, e = torch.zeros(2, 3, 4), ember.zeros(2, 3, 4)
    assert isinstance(e.shape, ember.Size) and isinstance(e.shape, tuple)
    assert repr(e.shape) == repr(t.shape).replace("torch.", "ember.")
    assert repr(ember.Size([2, 3])) == "ember.Size([2, 3])"
    assert e.size() == t.size()
    for d in (0, 1, 2, -1, -3):
        assert e.size(d) == t.size(d)
    with pytest.raises(IndexError, match="Dimension out of range"):
        e.size(3)
    assert e.shape.numel() == t.shape.numel() == 24
    assert repr(ember.zeros(()).shape) == "ember.Size([])"


def test_device():
    e = ember.zeros(2, device="cpu")
    assert str(e.device) == "cpu" and e.device == ember.device("cpu")
    assert e.device.type == "cpu" and not e.is_cuda
    assert ember.ones(2, device=ember.device("cpu")).device == "cpu"
    assert e.to("cpu") is e and e.cpu() is e
    with pytest.raises(RuntimeError, match="Device 'xyz' is not available"):
        ember.zeros(2, device="xyz")
    with pytest.raises(RuntimeError, match="not available"):
        e.to("xyz")
    for call in (lambda lib: lib.zeros(2, device="cuda"), lambda lib: lib.zeros(2).to("cuda")):
        for lib in (ember, torch):  # a CPU-only build asserts, in torch's words
            with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
                call(lib)


def test_item_and_python_numbers():
    for data in (3, 2.5, True, [7], [[1.5]]):
        t, e = torch.tensor(data), ember.tensor(data)
        assert type(e.item()) is type(t.item()) and e.item() == t.item()
        assert float(e) == float(t) and int(e) == int(t) and bool(e) == bool(t)
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to "
                                           "Scalar"):
        ember.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is "
                                           "ambiguous"):
        bool(ember.tensor([1.0, 2.0]))
    assert [10, 20, 30][ember.tensor(1)] == 20  # __index__
    with pytest.raises(TypeError):
        [1, 2][ember.tensor(1.0)]


def test_len_and_iter():
    t, e = torch.arange(6).reshape(3, 2), ember.arange(6).reshape(3, 2)
    assert len(e) == len(t) == 3
    assert [r.tolist() for r in e] == [r.tolist() for r in t]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(1.0))


def test_numpy_shares_memory_and_refuses_requires_grad():
    e = ember.zeros(3)
    a = e.numpy()
    a[0] = 5.0
    assert e[0].item() == 5.0
    e.add_(1)
    assert a.tolist() == [6.0, 1.0, 1.0]
    g = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError) as err_e:
        g.numpy()
    with pytest.raises(RuntimeError) as err_t:
        torch.zeros(3, requires_grad=True).numpy()
    assert str(err_e.value) == str(err_t.value)
    assert np.shares_memory(g.detach().numpy(), g.numpy(force=True))


def test_array_protocol():
    e = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = np.asarray(e)
    assert a.dtype == np.float32 and a.tolist() == e.tolist()
    assert np.shares_memory(a, e.numpy())
    assert np.asarray(e, dtype=np.float64).dtype == np.float64
    assert np.array(e, copy=True) is not e.numpy()
    # NumPy defers binary operators to the tensor
    assert isinstance(np.float32(2.0) * e, ember.Tensor)


def test_from_numpy_shares_memory_and_keeps_dtype():
    for dt in (np.float32, np.float64, np.int64, np.int32, np.bool_, np.float16):
        a = np.zeros(3, dtype=dt)
        e, t = ember.from_numpy(a), torch.from_numpy(a)
        assert dtype_name(e.dtype) == dtype_name(t.dtype)
    a = np.zeros(3)
    e = ember.from_numpy(a)
    a[1] = 2.0
    assert e.tolist() == [0.0, 2.0, 0.0]
    e.mul_(0).add_(4)
    assert a.tolist() == [4.0, 4.0, 4.0]


def test_tensor_copies_as_tensor_shares():
    a = np.zeros(3, dtype=np.float32)
    e = ember.tensor(a)
    a[0] = 1.0
    assert e[0].item() == 0.0  # tensor() copies
    s = ember.as_tensor(a)
    a[1] = 2.0
    assert s[1].item() == 2.0  # as_tensor shares when no conversion is needed
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    assert ember.as_tensor(x, dtype=ember.float64).dtype is ember.float64
    # float64 NumPy data keeps float64 (like torch), Python floats get the default dtype
    assert ember.tensor(np.zeros(2)).dtype is ember.float64
    assert ember.as_tensor([1.0, 2.0]).dtype is ember.float32


@pytest.mark.parametrize("cast", ["float", "double", "long", "int", "bool", "half"])
def test_casts(cast):
    data = [-1.7, 0.0, 2.5, 3.9]
    t, e = getattr(torch.tensor(data), cast)(), getattr(ember.tensor(data), cast)()
    assert dtype_name(e.dtype) == dtype_name(t.dtype)
    assert e.tolist() == t.tolist()


def test_to_and_type_as():
    e = ember.tensor([1.5, -2.5])
    assert e.to(ember.float32) is e
    assert e.to(ember.float64).dtype is ember.float64
    assert e.to(dtype=ember.int64).tolist() == torch.tensor([1.5, -2.5]).long().tolist()
    assert e.to(ember.zeros(1, dtype=ember.float64)).dtype is ember.float64
    assert e.to("cpu", ember.float64).dtype is ember.float64
    assert e.to(ember.float32, copy=True) is not e
    assert e.type_as(ember.zeros(1, dtype=ember.int32)).dtype is ember.int32
    assert e.type() == "ember.FloatTensor"
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype is ember.float32 and x.grad.tolist() == [2.0, 4.0]


def test_requires_grad_flags():
    x = ember.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        ember.zeros(2, dtype=ember.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype "
                                           "can require gradients"):  # torch's factory words
        ember.tensor([1, 2], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                                           "variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)  # allowed: it already requires grad, as in torch
    with ember.no_grad():
        z = x * 2
    assert z.is_leaf and not z.requires_grad


def test_detach_shares_storage():
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0
    assert x[0].item() == 5.0
    assert d._version == x._version == 1
    y = x * 2
    assert y.detach_() is y and y.grad_fn is None and not y.requires_grad

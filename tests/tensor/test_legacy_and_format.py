"""Legacy typed constructors, finfo/iinfo, ``size=`` keywords and ``Tensor.__format__``,
each compared with torch."""

import warnings

import numpy as np
import pytest
import torch
from tests.torch_compare import both, same_outcome_strict

import ember


def same(expr: str, data: bool = False, words: tuple[str, ...] | None = None) -> None:
    """``expr`` evaluated with ``lib`` as each library gives the same value or error (see
    ``same_outcome_strict`` for ``words``); tensors are compared by dtype and shape, and by
    value if ``data``.
    """
    def run(lib):
        value = eval(expr, {"lib": lib, "np": np})
        if isinstance(value, (ember.Tensor, torch.Tensor)) and not data:
            return str(value.dtype).split(".")[-1], tuple(value.shape)
        return value

    same_outcome_strict(run, words=words, rtol=0, atol=0)


LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
          "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("args", ["2, 3", "", "lib.Size([2, 3])", "[1, 0, 2]", "(2, 3)",
                                  "[[1.7, -2.2]]", "[]"])
def test_legacy_constructors(name, args):
    same(f"lib.{name}({args})", data=args.startswith(("[", "(")) and name != "BFloat16Tensor")


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "uint8"])
def test_legacy_isinstance_and_tensor_argument(name, dtype):
    same(f"isinstance(lib.zeros(2, dtype=lib.{dtype}), lib.{name})")
    # torch's error for another dtype prints its C++ TensorOptions: the class is compared
    same(f"lib.{name}(lib.zeros(2, dtype=lib.{dtype}))", words=())
    same(f"issubclass(lib.{name}, lib.Tensor)")


def test_legacy_tensor_argument_shares_storage():
    t = ember.zeros(3)
    u = ember.FloatTensor(t)
    u[0] = 5
    assert t[0].item() == 5


@pytest.mark.parametrize("target", ["lib.LongTensor", "'torch.LongTensor'", "lib.float64",
                                    "'torch.DoubleTensor'"])
def test_type_conversion(target):
    same(f"lib.ones(2).type({target})")
    assert eval(f"ember.ones(2).type({target})", {"ember": ember, "lib": ember}).tolist() == [1, 1]


@pytest.mark.parametrize("expr", [
    "lib.finfo(lib.float32).eps", "lib.finfo(lib.float64).max", "lib.finfo(lib.float16).tiny",
    "lib.finfo(lib.bfloat16).eps", "lib.finfo(lib.bfloat16).resolution", "lib.finfo().bits",
    "lib.finfo(lib.float32).resolution", "lib.finfo(lib.float64).resolution",
    "lib.finfo(lib.float16).smallest_normal", "lib.finfo(lib.bfloat16).max",
    "lib.iinfo(lib.int64).max", "lib.iinfo(lib.uint8).max", "lib.iinfo(lib.int8).min",
    "lib.iinfo(lib.int32).bits", "lib.finfo(lib.int32)", "lib.iinfo(lib.float32)",
    "repr(lib.finfo(lib.float32))", "repr(lib.finfo(lib.bfloat16))",
    "repr(lib.iinfo(lib.int16))", "lib.finfo(lib.float32).dtype",
])
def test_finfo_iinfo(expr):
    same(expr)


@pytest.mark.parametrize("fn", ["empty", "zeros", "ones", "rand", "randn"])
@pytest.mark.parametrize("call", ["size=(3, 4)", "size=[2]", "size=()", "2, size=(3,)",
                                  "size=(2, 3), dtype=lib.float64"])
def test_size_keyword(fn, call):
    # Ember's rand/randn say "got multiple values for argument 'size'" where torch lists its
    # signatures: their TypeErrors share only the function's name
    odd = fn in ("rand", "randn") and call.startswith("2,")
    same(f"lib.{fn}({call})", words=(f"{fn}()",) if odd else None)


def test_zeros_out():
    out = ember.ones(2, 3)
    assert ember.zeros(2, 3, out=out) is out and out.sum().item() == 0


@pytest.mark.parametrize("expr", [
    "f'{lib.tensor(3.14159):.2f}'", "'{:+.2f}'.format(lib.tensor(2.5))",
    "f'{lib.tensor(3):>5}'", "f'{lib.tensor(7):d}'", "f'{lib.tensor(True)}'",
    "f'{lib.tensor(0.5, dtype=lib.float64):e}'", "f'{lib.tensor([1.0, 2.0]):.2f}'",
    "f'{lib.tensor(1.5, requires_grad=True):.1f}'",
])
def test_format(expr):
    same(expr)


@pytest.mark.parametrize("data", ["[300]", "[-1]", "[-256]", "[255.9]", "[-0.5]", "[1e20]",
                                  "[float('nan')]", "[2**40]", "[float('inf')]", "[1.5, 2]"])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int8", "int64", "bool"])
def test_python_numbers_that_overflow_an_integer_dtype(data, dtype):
    same(f"lib.tensor({data}, dtype=lib.{dtype})", data=True)


def test_format_without_spec_is_str():
    t = ember.tensor([1.0, 2.0])
    assert f"{t}" == str(t)


@pytest.mark.parametrize("expr", [
    "type(lib.Size([2, 3, 4])[1:]).__name__", "type(lib.Size([2, 3]) + (5,)).__name__",
    "type((1,) + lib.Size([2, 3])).__name__", "type(lib.Size([2]) * 2).__name__",
    "lib.Size([2, 3, 4])[1:]", "lib.Size([2, 3]) + (5,)", "(1,) + lib.Size([2])",
    "lib.Size([2]) * 3", "2 * lib.Size([2])", "type(lib.Size([2, 3])[0]).__name__",
    "lib.Size([2]) + [5]",
])
def test_size_keeps_its_type(expr):
    same(expr)


@pytest.mark.parametrize("value", ["np.float64(1.5)", "np.float32(2)", "np.int32(3)",
                                   "np.bool_(True)", "np.int64(5)", "np.uint8(7)"])
def test_numpy_scalars_keep_their_dtype(value):
    same(f"lib.tensor({value})", data=True)


@pytest.mark.parametrize("name", ["is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta", "is_ipu",
                                  "is_xla", "is_mtia", "is_maia", "is_quantized", "is_nested",
                                  "is_mkldnn", "is_vulkan", "is_sparse_csr", "is_sparse"])
def test_device_and_layout_flags(name):
    both(lambda lib: getattr(lib.ones(2), name))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (4, 2, 3)])
@pytest.mark.parametrize("warnings_as", ["error", "ignore"])
def test_mT_as_torch(shape, warnings_as):
    # raised as errors, warnings are compared by class and message; ignored, the values are
    def program(lib):
        x = lib.zeros(shape)
        with warnings.catch_warnings():
            warnings.simplefilter(warnings_as)
            return x.mT

    # torch's warning goes on with where its C++ sources raised it
    words = ("Tensor.mT is deprecated on 0-D tensors.",) if shape == () else None
    same_outcome_strict(program, words=words, rtol=0, atol=0)

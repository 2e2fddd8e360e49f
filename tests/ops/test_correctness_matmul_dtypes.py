"""Matrix products of operands with different dtypes raise as in torch (no promotion)."""

import pytest
import torch
from tests.torch_compare import check_error

import ember

F32, F64 = "float32", "float64"


def _t(lib, shape, dtype=F32):
    return lib.ones(*shape, dtype=getattr(lib, dtype))


CASES = {
    "matmul_2d": (lambda L: _t(L, (2, 3)) @ _t(L, (3, 2), F64), "expected m1 and m2 to have the "
                  "same dtype, but got: float != double"),
    "matmul_3d_2d": (lambda L: _t(L, (2, 2, 3)) @ _t(L, (3, 2), F64), "float != double"),
    "matmul_int": (lambda L: _t(L, (2, 3), "int64") @ _t(L, (3, 2)), "long int != float"),
    "matmul_batched": (lambda L: _t(L, (3,)) @ _t(L, (2, 3, 2), F64),
                       "expected scalar type Float but found Double"),
    "dot": (lambda L: L.dot(_t(L, (3,)), _t(L, (3,), F64)),
            "dot : expected both vectors to have same dtype, but found Float and Double"),
    "matmul_1d": (lambda L: _t(L, (3,)) @ _t(L, (3,), F64), "dot : expected both vectors"),
    "mv": (lambda L: L.mv(_t(L, (2, 3)), _t(L, (3,), F64)),
           "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    "mm": (lambda L: L.mm(_t(L, (2, 3)), _t(L, (3, 2), F64)), "float != double"),
    "bmm": (lambda L: L.bmm(_t(L, (1, 2, 3)), _t(L, (1, 3, 2), F64)),
            "expected scalar type Float but found Double"),
    "addmm": (lambda L: L.addmm(_t(L, (2, 2)), _t(L, (2, 3)), _t(L, (3, 2), F64)),
              "self and mat2 must have the same dtype, but got Float and Double"),
    "linear": (lambda L: L.nn.functional.linear(_t(L, (2, 3)), _t(L, (4, 3), F64)),
               "float != double"),
    "linear_bias": (lambda L: L.nn.functional.linear(_t(L, (2, 3)), _t(L, (4, 3)),
                                                     _t(L, (4,), F64)),
                    "self and mat2 must have the same dtype, but got Double and Float"),
    "einsum": (lambda L: L.einsum("ij,jk->ik", _t(L, (2, 3)), _t(L, (3, 2), F64)),
               "expected scalar type Float but found Double"),
    "tensordot": (lambda L: L.tensordot(_t(L, (2, 3)), _t(L, (3, 2), F64), 1),
                  "both inputs should have same dtype"),
}


@pytest.mark.parametrize("name", CASES)
def test_mixed_dtypes_raise(name):
    fn, words = CASES[name]
    check_error(lambda: fn(torch), lambda: fn(ember), words=(words,))


def test_same_dtypes_still_work():
    for dtype in (F32, F64, "int64"):
        out = _t(ember, (2, 3), dtype) @ _t(ember, (3, 2), dtype)
        assert out.dtype == getattr(ember, dtype) and out.tolist() == [[3, 3], [3, 3]]

"""In-place forms of element-wise ops and the augmented operators, against torch: values,
dtype checks, views seeing the change, gradients through them, and the in-place errors."""

import pytest
from tests.torch_compare import both, same_outcome_strict

FLOAT = [[0.3, -1.7, 2.5], [4.0, -0.2, 0.9]]
INT = [[3, -7, 2], [4, 0, 9]]

FLOAT_UNARY = ["floor_", "ceil_", "round_", "trunc_", "frac_", "sign_", "sgn_", "log_", "log2_",
               "log10_", "log1p_", "expm1_", "exp2_", "sin_", "cos_", "tan_", "asin_", "acos_",
               "atan_", "sinh_", "cosh_", "rsqrt_", "reciprocal_", "erf_", "square_", "logit_",
               "nan_to_num_", "tril_", "triu_", "absolute_", "negative_", "logical_not_"]
INT_UNARY = ["floor_", "ceil_", "round_", "trunc_", "sign_", "square_", "tril_", "triu_",
             "absolute_", "negative_", "bitwise_not_", "logical_not_", "log_", "sin_"]
BOOL_UNARY = ["bitwise_not_", "logical_not_"]
FLOAT_BINARY = [("remainder_", 1.5), ("fmod_", 1.5), ("floor_divide_", 2),
                ("multiply_", 3), ("subtract_", 2), ("divide_", 4), ("true_divide_", 4)]
INT_BINARY = [("remainder_", 4), ("fmod_", 4), ("floor_divide_", 2), ("bitwise_and_", 6),
              ("bitwise_or_", 6), ("bitwise_xor_", 6), ("multiply_", 3), ("divide_", 4)]
TENSOR_BINARY = ["atan2_", "arctan2_", "logical_and_", "logical_or_", "logical_xor_"]
AUGMENTED = ["%=", "//=", "**=", "&=", "|=", "^="]
TOL = {"rtol": 1e-6, "atol": 1e-7}  # of the values the programs return


UNARY_CASES = ([(n, FLOAT) for n in FLOAT_UNARY] + [(n, INT) for n in INT_UNARY]
               + [(n, [[True, False, True]]) for n in BOOL_UNARY])


@pytest.mark.parametrize("name,data", UNARY_CASES)
def test_unary_inplace(name, data):
    def program(lib):
        x = lib.tensor(data)
        view = x[0]
        getattr(x, name)()
        return view  # the view sees the change: the same memory was written
    same_outcome_strict(program, **TOL)


BINARY_CASES = ([(n, o, FLOAT) for n, o in FLOAT_BINARY] + [(n, o, INT) for n, o in INT_BINARY]
                + [(n, [0.5, -1.0, 2.0], d) for n in TENSOR_BINARY for d in (FLOAT, INT)])


@pytest.mark.parametrize("name,other,data", BINARY_CASES)
def test_binary_inplace(name, other, data):
    def program(lib):
        x = lib.tensor(data)
        view = x[:, 1]
        getattr(x, name)(lib.tensor(other) if isinstance(other, list) else other)
        return view
    same_outcome_strict(program, **TOL)


AUGMENTED_CASES = ([(op, FLOAT, 1.5) for op in ("%=", "//=", "**=")]
                   + [(op, INT, 2) for op in AUGMENTED]
                   + [(op, INT, [[1, 2, 3]]) for op in AUGMENTED]
                   + [(op, [True, False], [True, True]) for op in ("&=", "|=", "^=")])


@pytest.mark.parametrize("op,data,other", AUGMENTED_CASES)
def test_augmented_operators_write_in_place(op, data, other):
    def program(lib):
        x = lib.tensor(data)
        alias = x
        view = x[..., :1]
        o = lib.tensor(other) if isinstance(other, list) else other
        namespace = {"x": x, "o": o}
        exec(f"x {op} o", namespace)
        assert namespace["x"] is alias
        return view
    same_outcome_strict(program, **TOL)


def test_augmented_operator_that_would_grow_the_destination_raises_as_torch():
    def program(lib):
        x = lib.tensor([3, 4])
        x %= lib.tensor([[2, 3], [4, 5]])

    same_outcome_strict(program, words=("doesn't match the broadcast shape",))


@pytest.mark.parametrize("name,args", [("sin_", ()), ("log1p_", ()), ("remainder_", (1.5,)),
                                       ("square_", ()), ("tril_", ())])
def test_gradient_through_inplace_and_leaf_error(name, args):
    def leaf(lib):
        return lib.tensor([[0.3, 0.7], [0.2, 0.9]], dtype=lib.float64, requires_grad=True)

    def grad(lib):
        x = leaf(lib)
        y = x * 1
        getattr(y, name)(*args)
        (y * lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)).sum().backward()
        return x.grad

    both(grad, rtol=1e-12, atol=0)
    same_outcome_strict(lambda lib: getattr(leaf(lib), name)(*args),
                        words=("a leaf Variable that requires grad",))


@pytest.mark.parametrize("program_text", [
    "y = x * 1; y.unsqueeze_(0); (y * lib.tensor([[1., 3.]])).sum().backward()",
    "y = x * 1; y.squeeze_(); y.unsqueeze_(1); (y * lib.tensor([[1.], [3.]])).sum().backward()",
    "y = (x * lib.tensor([1., 5.])).reshape(2, 1); y.t_(); (y * lib.tensor([[2., 7.]])).sum()"
    ".backward()",
    "y = x.reshape(1, 2) * 1; y.transpose_(0, 1); (y * lib.tensor([[2.], [7.]])).sum()"
    ".backward()",
])
def test_inplace_shape_ops_keep_the_graph(program_text):
    def grad(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        exec(program_text, {"lib": lib, "x": x})
        return x.grad

    both(grad, rtol=1e-7, atol=0)


@pytest.mark.parametrize("call", ["unsqueeze_(0)", "squeeze_()", "t_()"])
def test_inplace_shape_ops_on_a_leaf_raise_as_torch(call):
    def program(lib):
        x = lib.tensor([[1.0, 2.0]], requires_grad=True)
        return eval(f"x.{call}", {"x": x})

    same_outcome_strict(program, words=("a leaf Variable that requires grad",))

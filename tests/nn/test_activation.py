"""Activation functions and layers against torch: values, gradients, reprs, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

# name -> (kwargs, (low, high)); ranges cross every kink and saturation of the function
ACTIVATIONS = {
    "relu": ({}, (-2, 2)),
    "relu6": ({}, (-3, 8)),
    "leaky_relu": ({"negative_slope": 0.2}, (-2, 2)),
    "elu": ({"alpha": 1.5}, (-3, 3)),
    "selu": ({}, (-3, 3)),
    "celu": ({"alpha": 0.7}, (-3, 3)),
    "gelu": ({}, (-4, 4)),
    "silu": ({}, (-6, 6)),
    "mish": ({}, (-6, 6)),
    "sigmoid": ({}, (-6, 6)),
    "tanh": ({}, (-3, 3)),
    "softplus": ({"beta": 2.0, "threshold": 3.0}, (-3, 3)),
    "softsign": ({}, (-3, 3)),
    "hardtanh": ({"min_val": -0.5, "max_val": 1.5}, (-3, 3)),
    "hardsigmoid": ({}, (-5, 5)),
    "hardswish": ({}, (-5, 5)),
    "logsigmoid": ({}, (-6, 6)),
    "threshold": ({"threshold": 0.3, "value": -2.0}, (-2, 2)),
    "tanhshrink": ({}, (-3, 3)),
    "softshrink": ({"lambd": 0.4}, (-2, 2)),
    "hardshrink": ({"lambd": 0.4}, (-2, 2)),
    "softmax": ({"dim": 1}, (-3, 3)),
    "softmin": ({"dim": 0}, (-3, 3)),
    "log_softmax": ({"dim": -1}, (-3, 3)),
    "glu": ({"dim": 1}, (-3, 3)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name):
    kw, (low, high) = ACTIVATIONS[name]
    check_op([(6, 8)], lambda x: getattr(TF, name)(x, **kw),
             lambda x: getattr(EF, name)(x, **kw), low=low, high=high)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradcheck(name):
    kw, (low, high) = ACTIVATIONS[name]
    assert gradcheck(lambda x: getattr(EF, name)(x, **kw), [(3, 4)], low=low, high=high)


def test_gelu_tanh_approximation():
    check_op([(5, 7)], lambda x: TF.gelu(x, approximate="tanh"),
             lambda x: EF.gelu(x, approximate="tanh"), low=-5, high=5)
    assert gradcheck(lambda x: EF.gelu(x, approximate="tanh"), [(3, 4)], low=-4, high=4)
    check_error(lambda x: TF.gelu(x, approximate="foo"), lambda x: EF.gelu(x, approximate="foo"),
                inputs=[(2,)], words=["approximate argument must be either none or tanh"])


INPLACE = ["relu", "leaky_relu", "elu", "selu", "celu", "silu", "mish", "hardtanh", "relu6",
           "hardsigmoid", "hardswish"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_matches_torch(name):
    kw = ACTIVATIONS[name][0]
    low, high = ACTIVATIONS[name][1]

    def run(lib, F):
        def fn(x):
            y = x * 1.5  # a non-leaf, so the in-place op is allowed and recorded
            out = getattr(F, name)(y, inplace=True, **kw)
            assert out is y
            return out * 2
        return fn

    check_op([(4, 5)], run(torch, TF), run(ember, EF), low=low, high=high)


def test_underscore_inplace_variants():
    for name, args in [("relu_", ()), ("leaky_relu_", (0.3,)), ("elu_", (0.5,)), ("selu_", ()),
                       ("celu_", (2.0,)), ("hardtanh_", (-0.2, 0.3)),
                       ("threshold_", (0.1, 5.0))]:
        check_op([(3, 4)], lambda x, name=name, args=args: getattr(TF, name)(x * 1, *args) * 3,
                 lambda x, name=name, args=args: getattr(EF, name)(x * 1, *args) * 3)


def test_inplace_on_leaf_is_refused():
    check_error(lambda x: TF.relu(x, inplace=True), lambda x: EF.relu(x, inplace=True),
                inputs=[(3,)], words=["a leaf Variable that requires grad"])


def test_extreme_inputs_stay_finite():
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4])
    for name in ("sigmoid", "logsigmoid", "softplus", "silu", "mish", "elu", "selu", "gelu",
                 "tanh", "softsign", "celu"):
        check_op([x], lambda t, name=name: getattr(TF, name)(t),
                 lambda t, name=name: getattr(EF, name)(t))


def test_softmax_dtype_and_default_dim():
    check_op([(3, 4)], lambda x: TF.softmax(x, dim=1, dtype=torch.float64),
             lambda x: EF.softmax(x, dim=1, dtype=ember.float64), dtypes=(np.float32,))
    check_op([(3, 4, 2)], lambda x: TF.log_softmax(x, 2), lambda x: EF.log_softmax(x, 2))


def test_prelu_matches_torch():
    w1, w3 = np.array([0.25]), np.array([0.1, -0.3, 0.5])
    check_op([(4, 3, 5), w3], TF.prelu, EF.prelu)
    check_op([(4, 3), w1], TF.prelu, EF.prelu)
    assert gradcheck(EF.prelu, [(2, 3, 2), w3])
    check_error(TF.prelu, EF.prelu, inputs=[(2, 4), w3], words=["Mismatch of parameter numbers"])


def test_glu_odd_dimension_error():
    check_error(lambda x: TF.glu(x, 1), lambda x: EF.glu(x, 1), inputs=[(2, 3)],
                words=["Halving dimension must be even, but dimension 1 is size 3"])


MODULES = [
    ("ReLU", ()), ("ReLU", (True,)), ("LeakyReLU", ()), ("LeakyReLU", (0.2, True)),
    ("ELU", ()), ("ELU", (0.5, True)), ("SELU", ()), ("SELU", (True,)), ("CELU", (0.5,)),
    ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("SiLU", (True,)), ("Mish", ()),
    ("Sigmoid", ()), ("Tanh", ()), ("Softplus", ()), ("Softplus", (2.0, 5.0)),
    ("Softmax", ()), ("Softmax", (1,)), ("Softmin", (0,)), ("LogSoftmax", (1,)),
    ("Hardtanh", ()), ("Hardtanh", (-2.0, 3.0, True)), ("ReLU6", ()), ("ReLU6", (True,)),
    ("Hardsigmoid", ()), ("Hardswish", ()), ("LogSigmoid", ()), ("Softsign", ()),
    ("GLU", ()), ("GLU", (0,)), ("Threshold", (0.1, 20)), ("Tanhshrink", ()),
    ("Softshrink", ()), ("Hardshrink", (0.3,)), ("PReLU", ()), ("PReLU", (3, 0.1)),
]


@pytest.mark.parametrize("name,args", MODULES)
def test_module_repr_matches_torch(name, args):
    t_mod = getattr(torch.nn, name)(*args)
    e_mod = getattr(ember.nn, name)(*args)
    assert repr(e_mod) == repr(t_mod)


@pytest.mark.parametrize("name,args", [m for m in MODULES if m[0] not in ("Softmax", "GLU")]
                         + [("Softmax", (1,)), ("GLU", (1,))])
def test_module_forward_backward_matches_torch(name, args):
    t_mod = getattr(torch.nn, name)(*args)
    e_mod = getattr(ember.nn, name)(*args)
    inplace = "True" in repr(t_mod)
    # an in-place module needs a non-leaf input
    wrap = (lambda m: lambda x: m(x * 1)) if inplace else (lambda m: m)
    if name == "PReLU":
        x = np.random.default_rng(0).uniform(-2, 2, (4, 3, 2))
        for dtype in (np.float64, np.float32):
            t_mod, e_mod = t_mod.to(getattr(torch, np.dtype(dtype).name)), \
                e_mod.to(getattr(ember, np.dtype(dtype).name))
            tx = torch.tensor(x.astype(dtype), requires_grad=True)
            ex = ember.tensor(x.astype(dtype), requires_grad=True)
            g = np.random.default_rng(1).standard_normal((4, 3, 2)).astype(dtype)
            t_mod(tx).backward(torch.tensor(g))
            e_mod(ex).backward(ember.tensor(g))
            np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(e_mod.weight.grad.numpy(), t_mod.weight.grad.numpy(),
                                       rtol=1e-5, atol=1e-5)
        return
    check_op([(4, 6)], wrap(t_mod), wrap(e_mod), low=-4, high=7)


def test_module_parameters_and_state_dict():
    m = ember.nn.PReLU(3, 0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.full(3, 0.1, dtype=np.float32))
    assert list(ember.nn.ReLU().state_dict()) == []


def test_implicit_softmax_dim_warns_and_matches_torch():
    for name in ("softmax", "softmin", "log_softmax"):
        for shape in [(3,), (2, 3), (2, 3, 4)]:
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                check_op([shape], lambda x, n=name: getattr(TF, n)(x),
                         lambda x, n=name: getattr(EF, n)(x))


def test_softmax2d_matches_torch():
    assert repr(ember.nn.Softmax2d()) == repr(torch.nn.Softmax2d())
    check_op([(2, 3, 4, 2)], torch.nn.Softmax2d(), ember.nn.Softmax2d())
    check_op([(3, 4, 2)], torch.nn.Softmax2d(), ember.nn.Softmax2d())
    check_error(torch.nn.Softmax2d(), ember.nn.Softmax2d(), inputs=[(2, 3)],
                words=["Softmax2d: expected input to be 3D or 4D, got 2D instead"])

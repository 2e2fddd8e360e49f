"""Small differences from PyTorch in ``ember.nn``, each held to PyTorch as the oracle: how
``Parameter``, ``ParameterList`` and ``ParameterDict`` print and behave, the constructor
signatures of the convolution and padding layers, and no function-local imports in the nn files
that used them to dodge an import cycle."""

from __future__ import annotations

import ast
import inspect
from collections import OrderedDict

import pytest
import torch
from tests.torch_compare import both, same_error

import ember
from ember import nn
from ember.nn import init
from ember.nn.modules import activation
from ember.nn.utils import clip_grad, convert_parameters


def _same_text(fn) -> str:
    """``repr(fn(ember))`` equals ``repr(fn(torch))`` with ``torch.`` read as ``ember.``."""
    t_text = repr(fn(torch)).replace("torch.", "ember.")
    e_text = repr(fn(ember))
    assert e_text == t_text
    return e_text


# -- Parameter --------------------------------------------------------------------------------
PARAMETERS = {
    "float32": lambda M: M.nn.Parameter(M.tensor([1.0, 2.0])),
    "float64": lambda M: M.nn.Parameter(M.tensor([[1.5, -2.0]], dtype=M.float64)),
    "frozen": lambda M: M.nn.Parameter(M.zeros(2, 2), requires_grad=False),
    "integer": lambda M: M.nn.Parameter(M.tensor([1, 2]), requires_grad=False),
    "empty": lambda M: M.nn.Parameter(),
    "scalar": lambda M: M.nn.Parameter(M.tensor(3.0)),
}


@pytest.mark.parametrize("make", PARAMETERS.values(), ids=PARAMETERS.keys())
def test_parameter_repr_and_str_are_pytorchs(make):
    text = _same_text(make)
    assert text.startswith("Parameter containing:\ntensor(")
    assert str(make(ember)) == text


# -- ParameterList ----------------------------------------------------------------------------
LISTS = {
    "several": lambda M: M.nn.ParameterList(
        [M.zeros(2), M.ones(3, 4, dtype=M.float64), M.nn.Parameter(M.zeros(1), False)]),
    "one": lambda M: M.nn.ParameterList([M.zeros(2, 3)]),
    "scalar": lambda M: M.nn.ParameterList([M.tensor(1.0)]),
    "empty": lambda M: M.nn.ParameterList(),
    "objects": lambda M: M.nn.ParameterList([M.zeros(2), None, 3, "a"]),
    "slice": lambda M: M.nn.ParameterList([M.zeros(k) for k in range(1, 6)])[::-2],
}


@pytest.mark.parametrize("make", LISTS.values(), ids=LISTS.keys())
def test_parameter_list_repr_is_pytorchs(make):
    _same_text(make)


def test_parameter_list_inside_a_module_prints_as_pytorchs():
    def build(M):
        net = M.nn.Module()
        net.params = M.nn.ParameterList([M.zeros(2), M.ones(2, 2)])
        net.fc = M.nn.Linear(2, 1)
        return net

    text = _same_text(build)
    assert "      (1): Parameter containing: [ember.float32 of size 2x2]" in text


def test_parameter_list_holds_values_as_pytorch():
    def build(M):
        params = M.nn.ParameterList([M.zeros(2), None, 3])
        params.append(M.ones(1))
        params += [M.ones(2, 2)]
        params[0] = M.full((4,), 2.0)
        return params

    t_params, e_params = build(torch), build(ember)
    assert len(e_params) == len(t_params) == 5
    for e_value, t_value in zip(e_params, t_params, strict=True):
        assert type(e_value).__name__ == type(t_value).__name__
        if isinstance(t_value, torch.Tensor):
            assert e_value.tolist() == t_value.tolist()
            assert e_value.requires_grad and t_value.requires_grad
    assert ([n for n, _ in e_params.named_parameters()]
            == [n for n, _ in t_params.named_parameters()] == ["0", "3", "4"])
    assert list(e_params.state_dict()) == list(t_params.state_dict())


def test_parameter_list_slice_shares_the_parameters():
    params = nn.ParameterList([ember.zeros(k) for k in range(1, 5)])
    tail = params[1:]
    assert type(tail) is nn.ParameterList and len(tail) == 3
    assert all(a is b for a, b in zip(tail, list(params)[1:], strict=True))
    assert params[-1] is params[3]


@pytest.mark.parametrize("code, exc", [
    (lambda M: M.nn.ParameterList([M.zeros(1)])[1], IndexError),
    (lambda M: M.nn.ParameterList([M.zeros(1)])[-2], IndexError),
    (lambda M: M.nn.ParameterList([M.zeros(1)])[0.0], TypeError),
    (lambda M: M.nn.ParameterList().extend(M.zeros(2)), TypeError),
    (lambda M: M.nn.ParameterList().extend(5), TypeError),
    (lambda M: M.nn.ParameterList([M.zeros(1)])(M.zeros(1)), RuntimeError),
    (lambda M: M.nn.Sequential(M.nn.ReLU())[1.0], TypeError),
    (lambda M: M.nn.ModuleList([M.nn.ReLU()])[3], IndexError),
], ids=["past-end", "before-start", "float", "extend-tensor", "extend-int", "call",
        "sequential-float", "modulelist-past-end"])
def test_list_container_errors_are_pytorchs(code, exc):
    same_error(code, exc)


# -- ParameterDict ----------------------------------------------------------------------------
DICTS = {
    "plain-dict": lambda M: M.nn.ParameterDict({"b": M.zeros(2), "a": M.ones(3, 4)}),
    "ordered": lambda M: M.nn.ParameterDict(OrderedDict(b=M.zeros(2), a=M.ones(1))),
    "pairs": lambda M: M.nn.ParameterDict([("z", M.zeros(2, dtype=M.float64)),
                                           ("y", M.zeros(()))]),
    "one": lambda M: M.nn.ParameterDict({"w": M.zeros(2)}),
    "empty": lambda M: M.nn.ParameterDict(),
    "objects": lambda M: M.nn.ParameterDict({"w": M.zeros(2), "n": None, "s": "text"}),
}


@pytest.mark.parametrize("make", DICTS.values(), ids=DICTS.keys())
def test_parameter_dict_repr_and_order_are_pytorchs(make):
    _same_text(make)
    e_params, t_params = make(ember), make(torch)
    assert list(e_params) == list(t_params)
    assert ([n for n, _ in e_params.named_parameters()]
            == [n for n, _ in t_params.named_parameters()])


def test_parameter_dict_inside_a_module_prints_as_pytorchs():
    def build(M):
        net = M.nn.Module()
        net.table = M.nn.ParameterDict({"scale": M.ones(3), "shift": M.zeros(3)})
        return net

    _same_text(build)


def _dict_walk(M) -> list:
    """A run of dict operations; what each returns and what the dict then holds."""
    params = M.nn.ParameterDict({"c": M.zeros(1), "a": M.ones(2)})
    seen = [params.setdefault("b", M.full((1,), 5.0)), params.setdefault("a"),
            params.get("x", "missing"), params.get("c"), list(reversed(params))]
    seen.append(params.pop("c"))
    seen.append(params.popitem())
    params.update([("e", M.zeros(2)), ("d", None)])
    params |= M.nn.ParameterDict(OrderedDict(f=M.ones(1)))
    merged = params | M.nn.ParameterDict({"g": M.zeros(3)})
    seen += [list(params.items()), list(merged.items()), list(params.copy().keys())]
    seen.append(list(params.fromkeys(["p", "q"]).items()))
    del params["a"]
    seen.append(("a" in params, "e" in params, len(params)))
    params.clear()
    seen.append(len(params))
    return seen


def _plain(value):
    """Tensors as (class name, values) and containers recursively, to compare two runs."""
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return type(value).__name__, value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def test_parameter_dict_methods_behave_as_pytorchs():
    assert _plain(_dict_walk(ember)) == _plain(_dict_walk(torch))


def test_parameter_dict_keeps_parameters_and_wraps_tensors():
    given = nn.Parameter(ember.zeros(2))
    params = nn.ParameterDict({"given": given, "made": ember.ones(2)})
    assert params["given"] is given
    assert type(params["made"]) is nn.Parameter and params["made"].requires_grad
    assert params.copy()["given"] is given


@pytest.mark.parametrize("code, exc", [
    (lambda M: M.nn.ParameterDict({"a": M.zeros(1)})[0], TypeError),
    (lambda M: M.nn.ParameterDict().__setitem__(1, M.zeros(1)), TypeError),
    (lambda M: M.nn.ParameterDict()["missing"], AttributeError),
    (lambda M: M.nn.ParameterDict().pop("missing"), AttributeError),
    (lambda M: M.nn.ParameterDict().popitem(), KeyError),
    (lambda M: M.nn.ParameterDict().update(3), TypeError),
    (lambda M: M.nn.ParameterDict().update([("a", M.zeros(1)), 5]), TypeError),
    (lambda M: M.nn.ParameterDict().update([("a", M.zeros(1), 1)]), ValueError),
    (lambda M: M.nn.ParameterDict()(M.zeros(1)), RuntimeError),
], ids=["int-key", "set-int-key", "missing", "pop-missing", "popitem-empty", "update-int",
        "update-element", "update-triple", "call"])
def test_parameter_dict_errors_are_pytorchs(code, exc):
    same_error(code, exc)


# -- layer signatures -------------------------------------------------------------------------
@pytest.mark.parametrize("code", [
    lambda M: M.nn.Conv1d(2, 2, 3, transposed=True),
    lambda M: M.nn.Conv1d(2, 2, 3, output_padding=1),
    lambda M: M.nn.Conv2d(2, 2, 3, transposed=False),
    lambda M: M.nn.Conv2d(2, 2, 3, output_padding=(1, 1)),
    lambda M: M.nn.ConvTranspose1d(2, 2, 3, transposed=True),
    lambda M: M.nn.ConvTranspose2d(2, 2, 3, transposed=True),
    lambda M: M.nn.Conv1d(2, 2),
    lambda M: M.nn.Conv2d(2, 2, 3, 1, 0, 1, 1, True, "zeros", None, None, 5),
    lambda M: M.nn.ConvTranspose1d(2, 2, 3, 1, 0, 0, 1, True, 1, "zeros", None, None, 5),
], ids=["conv1d-transposed", "conv1d-output_padding", "conv2d-transposed",
        "conv2d-output_padding", "convt1d-transposed", "convt2d-transposed", "missing-kernel",
        "conv2d-too-many", "convt1d-too-many"])
def test_conv_layers_take_pytorchs_arguments_only(code):
    same_error(code, TypeError)


def test_conv_layers_still_take_every_pytorch_argument():
    def build(M):
        return (M.nn.Conv1d(2, 4, 3, 2, 1, 2, 2, False, "reflect", None, M.float64),
                M.nn.Conv2d(in_channels=2, out_channels=4, kernel_size=(3, 1), padding="same",
                            padding_mode="circular", dtype=M.float32),
                M.nn.ConvTranspose1d(2, 4, 3, 2, 1, 1, 2, False, 2, "zeros", None, M.float64),
                M.nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, dilation=2))

    for e_layer, t_layer in zip(build(ember), build(torch), strict=True):
        assert repr(e_layer) == repr(t_layer)
        assert e_layer.transposed == t_layer.transposed
        assert e_layer.output_padding == t_layer.output_padding
        assert e_layer.weight.shape == tuple(t_layer.weight.shape)


PADS = ["ReflectionPad", "ReplicationPad", "CircularPad", "ZeroPad"]


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("family", PADS)
def test_pad_layers_refuse_a_value(family, dims):
    name = f"{family}{dims}d"
    same_error(lambda M: getattr(M.nn, name)(1, value=2.0), TypeError)
    same_error(lambda M: getattr(M.nn, name)(1, 2.0), TypeError)
    same_error(lambda M: getattr(M.nn, name)(), TypeError)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_constant_pad_needs_a_value_and_no_more(dims):
    name = f"ConstantPad{dims}d"
    same_error(lambda M: getattr(M.nn, name)(1), TypeError)
    same_error(lambda M: getattr(M.nn, name)(1, 0.5, 0.5), TypeError)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("family", [*PADS, "ConstantPad"])
def test_pad_layers_print_and_pad_as_pytorchs(family, dims):
    def build(M):
        cls = getattr(M.nn, f"{family}{dims}d")
        return cls(1, 2.5) if family == "ConstantPad" else cls(1)

    e_layer, t_layer = build(ember), build(torch)
    assert repr(e_layer) == repr(t_layer)
    assert hasattr(e_layer, "value") == hasattr(t_layer, "value")
    x = torch.arange(2.0 * 3 ** dims).reshape(1, 2, *(3,) * dims)
    assert e_layer(ember.tensor(x.numpy())).tolist() == t_layer(x).tolist()


# -- imports ----------------------------------------------------------------------------------
@pytest.mark.parametrize("module", [init, activation, clip_grad, convert_parameters],
                         ids=lambda m: m.__name__)
def test_no_imports_inside_functions(module):
    """Issue 12: the import cycle these local imports dodged is gone; imports sit at the top."""
    tree = ast.parse(inspect.getsource(module))
    local = [f"{fn.name} (line {node.lineno})"
             for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not local, f"{module.__name__} imports inside {local}"


def test_hardswish_and_hardsigmoid_are_not_mish():
    for name in ("Hardswish", "Hardsigmoid"):
        both(lambda M, name=name: (isinstance(getattr(M.nn, name)(), M.nn.Mish),
                                   repr(getattr(M.nn, name)(inplace=True))))
        same_error(lambda M, name=name: getattr(M.nn, name)(foo=1), TypeError)

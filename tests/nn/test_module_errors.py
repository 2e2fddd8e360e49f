"""nn.Module's registration errors whose messages carry names and values, against torch.

Each case runs in both libraries; the exception type and the message must be torch's (with
``torch`` read as ``ember``), so a message that prints its ``{placeholders}`` literally fails.
"""

import pytest
import torch

import ember


def non_leaf_parameter(lib):
    """A Parameter that an in-place op with a grad-requiring operand turned into a non-leaf."""
    p = lib.nn.Parameter(lib.ones(2), requires_grad=False)
    p.mul_(lib.ones(2, requires_grad=True))
    assert isinstance(p, lib.nn.Parameter) and p.grad_fn is not None
    return p


CASES = {
    "register_parameter non-leaf": lambda lib, m: m.register_parameter(
        "w", non_leaf_parameter(lib)),
    "assign non-leaf parameter": lambda lib, m: setattr(m, "w", non_leaf_parameter(lib)),
    "parameter name not a string": lambda lib, m: m.register_parameter(
        3, lib.nn.Parameter(lib.ones(1))),
    "buffer name not a string": lambda lib, m: m.register_buffer(2.5, lib.ones(1)),
    "module name not a string": lambda lib, m: m.add_module(1, lib.nn.ReLU()),
    "dotted module name": lambda lib, m: m.add_module("a.b", lib.nn.ReLU()),
    "dotted parameter name": lambda lib, m: m.register_parameter("a.b", None),
    "dotted buffer name": lambda lib, m: m.register_buffer("a.b", None),
    "empty parameter name": lambda lib, m: m.register_parameter("", None),
    "empty buffer name": lambda lib, m: m.register_buffer("", None),
    "parameter before __init__": lambda lib, m: lib.nn.Module.__new__(
        lib.nn.Module).register_parameter("w", None),
    "buffer before __init__": lambda lib, m: lib.nn.Module.__new__(
        lib.nn.Module).register_buffer("b", None),
    "parameter over an attribute": lambda lib, m: m.register_parameter(
        "training", lib.nn.Parameter(lib.ones(1))),
    "buffer over an attribute": lambda lib, m: m.register_buffer("training", lib.ones(1)),
    "module over an attribute": lambda lib, m: m.add_module("training", lib.nn.ReLU()),
    "missing attribute": lambda lib, m: m.no_such_thing,
    "missing submodule": lambda lib, m: m.get_submodule("child"),
}


def error(lib, case: str) -> tuple[str, str]:
    m = lib.nn.Module()
    with pytest.raises(Exception) as info:
        CASES[case](lib, m)
    return type(info.value).__name__, str(info.value).replace("torch", "ember")


@pytest.mark.parametrize("case", list(CASES))
def test_message_is_torchs(case):
    assert error(ember, case) == error(torch, case)

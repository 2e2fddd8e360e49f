"""Without the onnx package, export says which extra to install."""

import sys

import pytest

import ember


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes ``import onnx`` fail
    model = ember.nn.Linear(2, 2)
    with pytest.raises(ImportError, match=r'pip install "ember\[onnx\]"'):
        ember.onnx.export(model, (ember.randn(1, 2),), None)

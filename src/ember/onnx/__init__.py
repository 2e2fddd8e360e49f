"""Export of Ember models to ONNX, as ``torch.onnx.export``.

The ``onnx`` package is needed only when exporting: ``pip install "ember[onnx]"``.
"""

from ember.onnx.export import TrainingMode, UnsupportedOperatorError, export

__all__ = ["TrainingMode", "UnsupportedOperatorError", "export"]

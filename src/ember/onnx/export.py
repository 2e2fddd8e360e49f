"""``ember.onnx.export`` (work in progress)."""


def export(model, args=(), f=None, **kwargs):
    """Exports ``model`` to ONNX (work in progress)."""
    raise NotImplementedError("ember.onnx.export is being written")

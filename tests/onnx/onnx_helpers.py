"""Export a model, run the file in onnxruntime and compare with Ember's own outputs."""

from __future__ import annotations

import numpy as np
import pytest

import ember

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def flat_outputs(result) -> list:
    if isinstance(result, ember.Tensor):
        return [result]
    out = []
    for r in result:
        if r is not None:
            out.extend(flat_outputs(r))
    return out


def ember_outputs(model, args) -> list[np.ndarray]:
    with ember.no_grad():
        return [t.numpy() for t in flat_outputs(model(*args))]


def session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_onnx(path, args) -> list[np.ndarray]:
    sess = session(path)
    tensors = [a for a in args if isinstance(a, ember.Tensor)]
    feeds = {i.name: t.numpy() for i, t in zip(sess.get_inputs(), tensors, strict=True)}
    return sess.run(None, feeds)


def assert_close(got, expected, rtol=1e-5, atol=1e-5) -> None:
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


def fresh_like(args) -> tuple:
    """Other inputs of the same shapes: new normal floats, integers shuffled."""
    rng = np.random.default_rng(123)
    out = []
    for a in args:
        if isinstance(a, ember.Tensor) and a.is_floating_point():
            a = ember.tensor(rng.standard_normal(tuple(a.shape)), dtype=a.dtype)
        elif isinstance(a, ember.Tensor):
            a = ember.tensor(rng.permutation(a.numpy().reshape(-1)).reshape(a.shape))
        out.append(a)
    return tuple(out)


def check_export(model, args, tmp_path, *, others=(), rtol=1e-5, atol=1e-5, **kwargs):
    """Exports ``model`` on ``args``; onnxruntime must match Ember on ``args``, on new inputs
    of the same shapes (so that nothing computed from the example was frozen) and on each
    tuple of ``others`` (other batch sizes with dynamic_axes)."""
    if hasattr(model, "eval"):
        model.eval()
    path = tmp_path / "model.onnx"
    ember.onnx.export(model, args, path, **kwargs)
    for inputs in (args, fresh_like(args), *others):
        assert_close(run_onnx(path, inputs), ember_outputs(model, inputs), rtol, atol)
    return path

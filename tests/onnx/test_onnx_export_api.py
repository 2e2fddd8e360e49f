"""export's arguments as torch's, and its errors."""

import io

import numpy as np
import pytest
from onnx_helpers import assert_close, check_export, ember_outputs, run_onnx, session

import ember
from ember import nn

onnx = pytest.importorskip("onnx")


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x, scale=None):
        y = self.drop(self.fc(x))
        return y if scale is None else y * scale


class Atan2(nn.Module):
    def forward(self, x):
        return ember.atan2(x, x + 1) * 2


def test_signature_matches_torch_keywords():
    import inspect

    import torch

    ours = inspect.signature(ember.onnx.export).parameters
    theirs = inspect.signature(torch.onnx.export).parameters
    assert list(ours) == list(theirs)
    for name, p in theirs.items():
        assert ours[name].kind == p.kind, name


def test_unsupported_op_is_named():
    with pytest.raises(ember.onnx.UnsupportedOperatorError,
                       match=r"ember.onnx.export does not support the op Atan2 yet"):
        ember.onnx.export(Atan2(), (ember.randn(2, 3),), None)


def test_unsupported_op_whose_result_is_unused_is_dropped(tmp_path):
    class Model(nn.Module):
        def forward(self, x):
            ember.atan2(x, x)  # computed, never used
            return x.exp()

    path = check_export(Model(), (ember.randn(2, 3),), tmp_path)
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert ops == ["Exp"]


def test_input_dependent_tensor_made_outside_traced_ops():
    class Model(nn.Module):
        def forward(self, x):
            return ember.where(x > 0, x, x * 0.1)  # the comparison is not a traced op

    with pytest.raises(ember.onnx.UnsupportedOperatorError,
                       match=r"argument 0 of the op Where .* depends on the model's inputs"):
        ember.onnx.export(Model(), (ember.randn(3, 4),), None)


def test_constant_tensor_made_outside_traced_ops_is_an_initializer(tmp_path):
    class Model(nn.Module):
        def forward(self, x):
            return x + ember.arange(x.shape[-1]).float()

    check_export(Model(), (ember.randn(2, 5),), tmp_path, others=[(ember.randn(4, 5),)],
                 dynamic_axes={"x": {0: "batch"}})
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="depends on the model's"):
        ember.onnx.export(Model(), (ember.randn(2, 5),), None, dynamic_axes={"x": {1: "n"}})


def test_input_and_output_names(tmp_path):
    class Two(nn.Module):
        def forward(self, a, b):
            return a + b, a * b

    path = tmp_path / "m.onnx"
    ember.onnx.export(Two(), (ember.randn(2), ember.randn(2)), path)
    sess = session(path)
    assert [i.name for i in sess.get_inputs()] == ["a", "b"]  # forward's parameter names
    assert [o.name for o in sess.get_outputs()] == ["output_0", "output_1"]
    ember.onnx.export(Two(), (ember.randn(2), ember.randn(2)), path, input_names=["first"],
                      output_names=["sum"])
    sess = session(path)
    assert [i.name for i in sess.get_inputs()] == ["first", "b"]
    assert [o.name for o in sess.get_outputs()] == ["sum", "output_1"]
    with pytest.raises(ValueError, match="input_names has 3 names"):
        ember.onnx.export(Two(), (ember.randn(2), ember.randn(2)), None,
                          input_names=["p", "q", "r"])


def test_dynamic_axes_as_list_and_unknown_name(tmp_path):
    path = check_export(nn.Linear(3, 2), (ember.randn(4, 3),), tmp_path,
                        others=[(ember.randn(1, 3),)], input_names=["x"],
                        dynamic_axes={"x": [0], "output": [0]})
    sess = session(path)
    assert sess.get_inputs()[0].shape == ["x_dynamic_axes_1", 3]
    assert sess.get_outputs()[0].shape == ["output_dynamic_axes_1", 2]
    with pytest.raises(ValueError, match="dynamic_axes names 'y'"):
        ember.onnx.export(nn.Linear(3, 2), (ember.randn(4, 3),), None,
                          dynamic_axes={"y": [0]})


def test_file_object_and_return_value():
    model = nn.Linear(3, 2).eval()
    x = ember.randn(2, 3)
    buffer = io.BytesIO()
    proto = ember.onnx.export(model, (x,), buffer)
    assert isinstance(proto, onnx.ModelProto)
    assert buffer.getvalue() == proto.SerializeToString()
    sess = session_from_bytes(buffer.getvalue())
    assert_close(sess.run(None, {"input": x.numpy()}), ember_outputs(model, (x,)))


def session_from_bytes(data):
    import onnxruntime as ort

    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def test_string_path_and_kwargs(tmp_path):
    model = Net()
    x, scale = ember.randn(2, 4), ember.randn(3)
    path = str(tmp_path / "net.onnx")
    ember.onnx.export(model, (x, {"scale": scale}), path)
    assert [i.name for i in session(path).get_inputs()] == ["x", "scale"]
    assert_close(run_onnx(path, (x, scale)), [ember_outputs(model.eval(), (x, scale))[0]])
    ember.onnx.export(model, (x,), path, kwargs={"scale": scale})
    assert_close(run_onnx(path, (x, scale)), [ember_outputs(model, (x, scale))[0]])


def test_export_params_false_makes_parameters_inputs(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
    x = ember.randn(5, 4)
    path = tmp_path / "m.onnx"
    ember.onnx.export(model, (x,), path, export_params=False)
    proto = onnx.load(path)
    assert len(proto.graph.initializer) == 0
    names = [i.name for i in proto.graph.input]
    assert names == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]
    feeds = {"input": x.numpy(), **{n: p.detach().numpy() for n, p in model.named_parameters()}}
    got = session(path).run(None, feeds)
    assert_close(got, ember_outputs(model, (x,)))


def test_keep_initializers_as_inputs(tmp_path):
    path = tmp_path / "m.onnx"
    ember.onnx.export(nn.Linear(4, 3), (ember.randn(2, 4),), path,
                      keep_initializers_as_inputs=True)
    proto = onnx.load(path)
    inits = {i.name for i in proto.graph.initializer}
    assert inits == {"weight", "bias"}
    assert inits <= {i.name for i in proto.graph.input}


def test_training_modes(tmp_path):
    model = Net()
    model.train()
    x = ember.randn(3, 4)
    path = tmp_path / "m.onnx"
    ember.onnx.export(model, (x,), path)  # TrainingMode.EVAL: dropout is the identity
    assert model.training and model.drop.training  # modes restored
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert ops == ["Gemm"]
    model.eval()
    assert_close(run_onnx(path, (x,)), ember_outputs(model, (x,)))
    for mode in (ember.onnx.TrainingMode.TRAINING, True):
        with pytest.raises(ember.onnx.UnsupportedOperatorError, match="DropoutFunction"):
            ember.onnx.export(model, (x,), None, training=mode)
        assert not model.training
    model.train()
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="dropout in training mode"):
        ember.onnx.export(model, (x,), None, training=ember.onnx.TrainingMode.PRESERVE)


@pytest.mark.parametrize("option, value", [
    ("custom_opsets", {"my": 1}), ("dynamic_shapes", {"x": {0: "n"}}),
    ("export_modules_as_functions", True), ("custom_translation_table", {len: len}),
    ("report", True), ("verify", True),
])
def test_unsupported_options_raise(option, value):
    with pytest.raises(NotImplementedError, match=option):
        ember.onnx.export(nn.Linear(2, 2), (ember.randn(1, 2),), None, **{option: value})


def test_ignored_options_are_accepted(tmp_path):
    check_export(nn.Linear(2, 2), (ember.randn(3, 2),), tmp_path, dynamo=True,
                 external_data=False, optimize=False, do_constant_folding=False)


@pytest.mark.parametrize("opset", [12, 21])
def test_opset_out_of_range(opset):
    with pytest.raises(ValueError, match="opset_version 13 to 20"):
        ember.onnx.export(nn.Linear(2, 2), (ember.randn(1, 2),), None, opset_version=opset)


def test_verbose_prints_the_graph(capsys):
    ember.onnx.export(nn.Linear(2, 2), (ember.randn(1, 2),), None, verbose=True)
    assert "Gemm" in capsys.readouterr().out


def test_constant_folding_of_parameter_only_ops(tmp_path):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ember.randn(3, 4))

        def forward(self, x):
            return x @ (self.w.t() * 2).tanh()

    folded = check_export(Tied(), (ember.randn(2, 4),), tmp_path)
    assert [n.op_type for n in onnx.load(folded).graph.node] == ["MatMul"]
    path = tmp_path / "unfolded.onnx"
    ember.onnx.export(Tied(), (ember.randn(2, 4),), path, do_constant_folding=False)
    assert [n.op_type for n in onnx.load(path).graph.node] == ["Transpose", "Mul", "Tanh",
                                                               "MatMul"]


def test_multihead_attention_dynamic_batch_sequence_first(tmp_path):
    mha = nn.MultiheadAttention(8, 2)
    q, k, v = (ember.randn(4, 2, 8) for _ in range(3))
    check_export(mha, (q, k, v), tmp_path, atol=2e-5,
                 others=[tuple(ember.randn(4, 5, 8) for _ in range(3))],
                 dynamic_axes={n: {1: "batch"} for n in ("query", "key", "value")})


def test_dynamic_sequence_length_in_reshape_and_slice(tmp_path):
    class Model(nn.Module):
        def forward(self, x):
            n, length, d = x.shape
            heads = x.reshape(n, length, 2, d // 2).transpose(1, 2)
            return heads[:, :, 1:, :].reshape(n, 2 * (length - 1), d // 2)

    check_export(Model(), (ember.randn(2, 5, 6),), tmp_path,
                 others=[(ember.randn(3, 9, 6),)],
                 dynamic_axes={"x": {0: "batch", 1: "length"}})


def test_reshape_with_two_dynamic_sizes_is_refused():
    class Model(nn.Module):
        def forward(self, x):
            return x.reshape(x.shape[0] * x.shape[1])  # one dim: fine
    proto = ember.onnx.export(Model(), (ember.randn(2, 3),), None,
                              dynamic_axes={"x": {0: "a", 1: "b"}})
    assert proto.graph.node[0].op_type == "Reshape"

    class Split(nn.Module):
        def forward(self, x):
            return x.reshape(x.shape[1], x.shape[0])

    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="Reshape"):
        ember.onnx.export(Split(), (ember.randn(2, 3),), None,
                          dynamic_axes={"x": {0: "a", 1: "b"}})


def test_inplace_on_a_view_is_refused():
    class Model(nn.Module):
        def forward(self, x):
            y = x * 2
            y[:, 0] += 1
            return y

    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="modified in place"):
        ember.onnx.export(Model(), (ember.randn(2, 3),), None)


def test_integer_and_double_inputs(tmp_path):
    class Model(nn.Module):
        def forward(self, idx, x):
            return x[:, idx].sum(dim=1) * 2

    idx = ember.tensor([0, 2, 2])
    x = ember.randn(4, 3, dtype=ember.float64)
    check_export(Model(), (idx, x), tmp_path)
    assert np.dtype(ember_outputs(Model(), (idx, x))[0].dtype) == np.float64

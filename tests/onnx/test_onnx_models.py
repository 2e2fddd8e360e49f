"""Whole models exported and run in onnxruntime, compared with Ember's outputs."""

import pytest
from onnx_helpers import check_export, session

import ember
from ember import nn


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(0)


def test_mlp_dynamic_batch(tmp_path):
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 3), nn.LogSoftmax(dim=-1))
    path = check_export(model, (ember.randn(4, 6),), tmp_path, others=[(ember.randn(9, 6),)],
                        input_names=["x"], output_names=["logp"],
                        dynamic_axes={"x": {0: "batch"}, "logp": {0: "batch"}})
    sess = session(path)
    assert [i.name for i in sess.get_inputs()] == ["x"]
    assert [o.name for o in sess.get_outputs()] == ["logp"]
    assert sess.get_inputs()[0].shape == ["batch", 6]
    assert sess.get_outputs()[0].shape == ["batch", 3]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, groups=2, bias=False),
            nn.GroupNorm(2, 8), nn.SiLU(),
            nn.AvgPool2d(2, stride=1, padding=1),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 5))

    def forward(self, x):
        return self.head(self.features(x))


def test_cnn_dynamic_batch(tmp_path):
    model = SmallCNN()
    with ember.no_grad():  # running statistics that are not the defaults
        model.features[1].running_mean.copy_(ember.randn(8) * 0.1)
        model.features[1].running_var.copy_(ember.rand(8) + 0.5)
    check_export(model, (ember.randn(2, 3, 16, 16),), tmp_path,
                 others=[(ember.randn(5, 3, 16, 16),)],
                 dynamic_axes={"x": {0: "batch"}, "output": {0: "batch"}})


def test_cnn_flatten_with_view(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc = nn.Linear(4 * 6 * 6, 2)

        def forward(self, x):
            x = self.conv(x).relu()
            return self.fc(x.view(x.size(0), -1))

    check_export(Net(), (ember.randn(3, 1, 8, 8),), tmp_path,
                 others=[(ember.randn(1, 1, 8, 8),), (ember.randn(7, 1, 8, 8),)],
                 dynamic_axes={"x": [0]})


def test_transformer_encoder_layer(tmp_path):
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
                                       batch_first=True)
    check_export(layer, (ember.randn(2, 5, 16),), tmp_path, others=[(ember.randn(3, 5, 16),)],
                 dynamic_axes={"src": {0: "batch"}}, atol=2e-5)


def test_transformer_encoder_layer_norm_first_gelu(tmp_path):
    layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16,
                                       activation="gelu", norm_first=True)
    check_export(layer, (ember.randn(4, 3, 8),), tmp_path, atol=2e-5)


class TextClassifier(nn.Module):
    def __init__(self, vocab=50, dim=12, classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.norm(self.embed(tokens))
        return self.proj(h.mean(dim=1))


def test_embedding_text_classifier(tmp_path):
    tokens = ember.randint(0, 50, (3, 7))
    check_export(TextClassifier(), (tokens,), tmp_path,
                 others=[(ember.randint(0, 50, (5, 11)),)],
                 dynamic_axes={"tokens": {0: "batch", 1: "length"}})


def test_multihead_attention(tmp_path):
    mha = nn.MultiheadAttention(16, 4)
    q, k, v = ember.randn(5, 2, 16), ember.randn(6, 2, 16), ember.randn(6, 2, 16)
    check_export(mha, (q, k, v), tmp_path, atol=2e-5,
                 output_names=["out", "weights"])


def test_multihead_attention_causal_mask_no_weights(tmp_path):
    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            n = x.shape[1]
            mask = nn.Transformer.generate_square_subsequent_mask(n)
            return self.mha(x, x, x, attn_mask=mask, need_weights=False)[0]

    check_export(Causal(), (ember.randn(2, 4, 8),), tmp_path,
                 others=[(ember.randn(3, 4, 8),)], dynamic_axes={"x": {0: "batch"}}, atol=2e-5)

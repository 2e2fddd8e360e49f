"""One layer or functional op per test, exported and compared in onnxruntime."""

import math

import pytest
from onnx_helpers import check_export

import ember
import ember.nn.functional as F
from ember import nn


class Fn(nn.Module):
    """Wraps a function of tensors as a model."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def randn(*shape):
    return ember.randn(*shape)


@pytest.fixture(autouse=True)
def _seed():
    ember.manual_seed(1)


def _bn(cls, c):
    layer = cls(c)
    with ember.no_grad():
        layer.running_mean.copy_(ember.randn(c) * 0.2)
        layer.running_var.copy_(ember.rand(c) + 0.5)
        layer.weight.copy_(ember.randn(c))
        layer.bias.copy_(ember.randn(c))
    return layer


LAYERS = {
    "linear": (lambda: nn.Linear(5, 3), (4, 5)),
    "linear_3d": (lambda: nn.Linear(5, 3), (2, 4, 5)),
    "linear_no_bias": (lambda: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 11)),
    "conv1d_dilation_groups": (lambda: nn.Conv1d(4, 6, 3, dilation=2, groups=2), (2, 4, 12)),
    "conv1d_unbatched": (lambda: nn.Conv1d(3, 4, 3), (3, 9)),
    "conv2d": (lambda: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0)), (2, 3, 9, 8)),
    "conv2d_groups_dilation_no_bias": (
        lambda: nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=4, bias=False), (1, 4, 7, 7)),
    "conv2d_same": (lambda: nn.Conv2d(2, 3, 4, padding="same"), (1, 2, 7, 6)),
    "conv2d_unbatched": (lambda: nn.Conv2d(2, 3, 3), (2, 6, 6)),
    "conv_transpose2d": (
        lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 5, 4)),
    "conv_transpose2d_groups_dilation": (
        lambda: nn.ConvTranspose2d(4, 6, 2, stride=1, groups=2, dilation=2, bias=False),
        (1, 4, 3, 5)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, padding=1), (2, 3, 6)),
    "max_pool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 8)),
    "max_pool2d_dilation_ceil": (
        lambda: nn.MaxPool2d(2, stride=2, dilation=2, ceil_mode=True), (1, 2, 9, 9)),
    "max_pool1d": (lambda: nn.MaxPool1d(3, stride=2), (2, 3, 10)),
    "avg_pool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 9, 8)),
    "avg_pool2d_exclude_pad": (
        lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 9, 8)),
    "avg_pool1d": (lambda: nn.AvgPool1d(2), (2, 3, 10)),
    "adaptive_avg_pool2d_1x1": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
    "adaptive_avg_pool2d_divisible": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 9)),
    "adaptive_avg_pool2d_general": (lambda: nn.AdaptiveAvgPool2d((3, 4)), (2, 3, 7, 10)),
    "adaptive_max_pool2d_general": (lambda: nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 8, 5)),
    "batch_norm1d_2d_input": (lambda: _bn(nn.BatchNorm1d, 4), (5, 4)),
    "batch_norm1d_3d_input": (lambda: _bn(nn.BatchNorm1d, 4), (5, 4, 6)),
    "batch_norm2d": (lambda: _bn(nn.BatchNorm2d, 3), (2, 3, 4, 5)),
    "layer_norm": (lambda: nn.LayerNorm(6), (2, 3, 6)),
    "layer_norm_2d_no_affine": (lambda: nn.LayerNorm((3, 6), elementwise_affine=False),
                                (2, 3, 6)),
    "group_norm": (lambda: nn.GroupNorm(3, 6), (2, 6, 4, 5)),
    "group_norm_no_affine": (lambda: nn.GroupNorm(2, 4, affine=False), (3, 4, 7)),
    "rms_norm": (lambda: nn.RMSNorm(6, eps=1e-6), (2, 3, 6)),
    "dropout_eval": (lambda: nn.Dropout(0.5), (4, 5)),
    "dropout2d_eval": (lambda: nn.Dropout2d(0.5), (2, 3, 4, 4)),
    "relu": (nn.ReLU, (3, 7)),
    "relu_inplace": (lambda: nn.Sequential(nn.Linear(4, 4), nn.ReLU(inplace=True),
                                           nn.Linear(4, 2)), (3, 4)),
    "gelu": (nn.GELU, (3, 7)),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), (3, 7)),
    "silu": (nn.SiLU, (3, 7)),
    "sigmoid": (nn.Sigmoid, (3, 7)),
    "tanh": (nn.Tanh, (3, 7)),
    "softmax": (lambda: nn.Softmax(dim=1), (3, 7, 2)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), (3, 7)),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), (3, 7)),
    "elu": (lambda: nn.ELU(alpha=0.7), (3, 7)),
    "selu": (nn.SELU, (3, 7)),
    "celu": (lambda: nn.CELU(alpha=1.5), (3, 7)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.7), (3, 7)),
    "relu6": (nn.ReLU6, (3, 7)),
    "hardsigmoid": (nn.Hardsigmoid, (3, 7)),
    "hardswish": (nn.Hardswish, (3, 7)),
    "mish": (nn.Mish, (3, 7)),
    "softplus": (lambda: nn.Softplus(beta=2.0, threshold=3.0), (3, 7)),
    "logsigmoid": (nn.LogSigmoid, (3, 7)),
    "softshrink": (lambda: nn.Softshrink(0.5), (3, 7)),
    "hardshrink": (lambda: nn.Hardshrink(0.5), (3, 7)),
    "threshold": (lambda: nn.Threshold(0.1, -2.0), (3, 7)),
    "prelu": (lambda: nn.PReLU(4, init=0.3), (2, 4, 5)),
    "flatten": (nn.Flatten, (2, 3, 4, 5)),
    "unflatten": (lambda: nn.Unflatten(1, (3, 4)), (2, 12)),
    "identity": (nn.Identity, (2, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer(name, tmp_path):
    make, shape = LAYERS[name]
    x = ember.randn(*shape) * 2
    check_export(make(), (x,), tmp_path)


def test_embedding(tmp_path):
    emb = nn.Embedding(10, 4, padding_idx=2)
    check_export(emb, (ember.tensor([[1, 2, 9], [0, 2, 5]]),), tmp_path)


FUNCTIONS = {
    "broadcast_arith": (lambda a, b: (a + b) * (a - b) / (b.abs() + 1), [(3, 1, 4), (2, 4)]),
    "python_scalars": (lambda a: 2 - a * 3 + 1.5 / (a.exp() + 1) - 4 ** a.tanh(), [(3, 4)]),
    "pow_neg_sqrt": (lambda a: (-a) ** 2 + a.abs().sqrt() + a.abs().rsqrt().clamp(max=5),
                     [(3, 4)]),
    "unary_math": (lambda a: a.sin() + a.cos() + a.exp() + (a.abs() + 1).log() + a.erf()
                   + a.atan() + a.sigmoid() + a.abs().log1p() + a.expm1(),
                   [(2, 5)]),
    "clamp_min_max": (lambda a: a.clamp(-0.5, 0.5) + a.clamp(min=0.1), [(3, 4)]),
    "maximum_minimum_where": (
        lambda a, b: ember.where(ember.tensor([True, False, False, True]), ember.maximum(a, b),
                                 ember.minimum(a, b)), [(3, 4), (3, 4)]),
    "nan_to_num_reciprocal": (
        lambda a: (a / (a - a)).nan_to_num(1.0, 5.0, -5.0) + ((a - a) / (a - a)).nan_to_num()
        + a.reciprocal(), [(3, 4)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "matmul_vector": (lambda a, b: a @ b, [(3, 4), (4,)]),
    "bmm_transpose": (lambda a, b: ember.bmm(a, b.transpose(1, 2)), [(2, 3, 4), (2, 5, 4)]),
    "einsum": (lambda a, b: ember.einsum("bij,bkj->bik", a, b), [(2, 3, 4), (2, 5, 4)]),
    "sum_mean_dims": (lambda a: a.sum(dim=(0, 2)) + a.mean(dim=0).sum(-1, keepdim=True),
                      [(3, 4, 5)]),
    "sum_all_mean_all": (lambda a: a.sum() + a.mean(), [(3, 4)]),
    "amax_amin_max_dim": (lambda a: a.amax(dim=1) - a.amin(dim=1) + a.max(dim=1).values
                          + a.max() - a.min(dim=-1, keepdim=True)[0].squeeze(-1), [(3, 4)]),
    "argmax_from_max": (lambda a: a.max(dim=1).indices, [(3, 4)]),
    "var_std": (lambda a: a.var(dim=1) + a.std(dim=1, unbiased=False) + a.var(), [(3, 6)]),
    "logsumexp_norm": (lambda a: a.logsumexp(dim=1) + a.norm(dim=1) + a.norm(p=1, dim=1)
                       + a.norm(p=3, dim=1), [(3, 6)]),
    "cumsum_prod": (lambda a: a.cumsum(dim=1) + a.prod(dim=1, keepdim=True), [(3, 4)]),
    "cat_stack": (lambda a, b: ember.cat([a, b, a], dim=1).sum(1)
                  + ember.stack([a, b], dim=-1).mean(-1).sum(1), [(2, 3), (2, 3)]),
    "reshape_view_transpose_permute": (
        lambda a: a.reshape(2, 12).view(4, 6).t().reshape(2, 3, 4).permute(2, 0, 1)
        .transpose(0, 2).contiguous(), [(2, 3, 4)]),
    "unsqueeze_squeeze_flatten": (
        lambda a: a.unsqueeze(1).unsqueeze(-1).squeeze(-1).flatten(1), [(2, 3, 4)]),
    "getitem_slices": (lambda a: a[:, 1:3, ::2] + a[:, :2, 1::2] * a[0:1, -2:, :3],
                       [(2, 4, 6)]),
    "getitem_int_none_ellipsis": (lambda a: a[1, ..., None, 2] + a[-1, :, None, -1],
                                  [(3, 4, 5)]),
    "getitem_index_tensor": (lambda a: a[:, ember.tensor([2, 0, 2])], [(3, 4)]),
    "expand_repeat": (lambda a: a.expand(3, 2, 4) + a.repeat(3, 1, 1), [(2, 4)]),
    "chunk_split": (lambda a: a.chunk(2, dim=1)[1] * a.split(2, dim=1)[0], [(3, 4)]),
    "flip_roll_pad": (lambda a: F.pad(a.flip(1).roll(1, dims=0), (1, 2), value=0.5)
                      + F.pad(a, (0, 3), mode="reflect"), [(3, 4)]),
    "masked_fill": (lambda a: a.masked_fill(ember.tensor([True, False, True, False]), -1.0),
                    [(3, 4)]),
    "gather_index_select": (lambda a: a.gather(1, ember.tensor([[0, 3], [1, 1], [2, 0]]))
                            + a.index_select(1, ember.tensor([3, 1])), [(3, 4)]),
    "softmax_functional": (lambda a: F.softmax(a, dim=0) + F.log_softmax(a, dim=1),
                           [(3, 4)]),
    "cast_to_double_and_back": (lambda a: a.double().exp().float(), [(3, 4)]),
    "floor_divide_remainder": (lambda a: (a * 10).div(3, rounding_mode="floor")
                               + (a * 10).remainder(3) + ember.fmod(a * 10, 3)
                               + (a * 10).div(3, rounding_mode="trunc"), [(3, 4)]),
    "sdpa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
             [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4)]),
    "sdpa_causal": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                    [(2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4)]),
    "sdpa_float_mask_scale": (
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
        [(2, 5, 4), (2, 6, 4), (2, 6, 4), (5, 6)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function(name, tmp_path):
    fn, shapes = FUNCTIONS[name]
    args = tuple(ember.randn(*s) for s in shapes)
    check_export(Fn(fn), args, tmp_path, atol=2e-5)


def test_gelu_erf_composed_below_opset_20(tmp_path):
    for opset in (13, 17, 20):
        for approximate in ("none", "tanh"):
            x = ember.randn(4, 5) * 3
            check_export(nn.GELU(approximate=approximate), (x,), tmp_path,
                         opset_version=opset)


@pytest.mark.parametrize("opset", [13, 16, 18, 20])
def test_opsets(opset, tmp_path):
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.GroupNorm(2, 4), nn.Mish(), nn.Flatten(),
                          nn.LayerNorm(4 * 16), nn.Linear(64, 3))
    x = ember.randn(2, 2, 6, 6)
    path = check_export(model, (x,), tmp_path, opset_version=opset, atol=2e-5)
    import onnx

    assert onnx.load(path).opset_import[0].version == opset


def test_reductions_keepdim_dynamic_batch(tmp_path):
    fn = Fn(lambda a: (a - a.mean(dim=(1, 2), keepdim=True)).amax(dim=-1) * math.pi)
    check_export(fn, (ember.randn(2, 3, 4),), tmp_path, others=[(ember.randn(6, 3, 4),)],
                 dynamic_axes={"args": {0: "n"}} if False else {"input_0": {0: "n"}})

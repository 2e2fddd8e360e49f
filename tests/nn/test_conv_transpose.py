"""Transposed convolutions against torch: values and gradients of input, weight and bias over
strides, padding, output padding, dilation, groups, 1-D and 2-D, unbatched; the modules with
copied weights, output_size, reprs; errors in torch's words; gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import check_error, check_op, gradcheck

import ember
import ember.nn as enn
import ember.nn.functional as EF

CASES_2D = [
    ({}, (2, 4, 5, 6), (4, 3, 3, 2)),
    ({"stride": 2}, (2, 4, 5, 6), (4, 3, 3, 3)),
    ({"stride": (2, 3), "padding": 1, "output_padding": (1, 2)}, (2, 4, 5, 6), (4, 3, 3, 3)),
    ({"groups": 2, "dilation": 2}, (2, 4, 5, 6), (4, 3, 3, 2)),
    ({"stride": 3, "padding": (2, 1), "dilation": (1, 2), "output_padding": 1}, (1, 2, 4, 3),
     (2, 5, 4, 3)),
    ({"groups": 4, "stride": 2}, (4, 5, 5), (4, 1, 2, 2)),  # unbatched, depthwise
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kw, x, w", CASES_2D)
def test_conv_transpose2d_matches_torch(kw, x, w, bias):
    c_out = w[1] * kw.get("groups", 1)
    specs = [x, w] + ([(c_out,)] if bias else [])
    check_op(specs, lambda *a: TF.conv_transpose2d(*a, **kw),
             lambda *a: EF.conv_transpose2d(*a, **kw))


@pytest.mark.parametrize("kw, x, w", [
    ({}, (2, 4, 7), (4, 3, 3)),
    ({"stride": 3, "padding": 2, "output_padding": 2, "dilation": 2}, (2, 4, 7), (4, 3, 3)),
    ({"groups": 2}, (4, 6), (4, 2, 5)),
])
def test_conv_transpose1d_matches_torch(kw, x, w):
    c_out = w[1] * kw.get("groups", 1)
    check_op([x, w, (c_out,)], lambda *a: TF.conv_transpose1d(*a, **kw),
             lambda *a: EF.conv_transpose1d(*a, **kw))


def test_gradcheck():
    assert gradcheck(lambda x, w, b: EF.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                         output_padding=1),
                     [(1, 2, 3, 3), (2, 3, 3, 3), (3,)])
    assert gradcheck(lambda x, w: EF.conv_transpose1d(x, w, groups=2, dilation=2),
                     [(1, 4, 4), (4, 1, 3)])


@pytest.mark.parametrize("ctor", [
    lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                                  bias=False, dilation=2),
    lambda nn: nn.ConvTranspose2d(4, 3, (2, 3), stride=(2, 1)),
    lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2),
])
def test_modules_with_copied_weights(ctor):
    torch.manual_seed(0)
    t = ctor(torch.nn).double()
    e = ctor(enn).double()
    assert repr(e) == repr(t)
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    shape = (2, 4, 5, 6) if isinstance(t, torch.nn.ConvTranspose2d) else (2, 4, 7)
    check_op([shape], lambda x: t(x), lambda x: e(x), dtypes=(np.float64,))


def test_output_size_and_initialisation():
    torch.manual_seed(0)
    t = torch.nn.ConvTranspose2d(4, 3, 3, stride=2).double()
    e = enn.ConvTranspose2d(4, 3, 3, stride=2).double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    for size in [(11, 13), (12, 14), (2, 4, 12, 13)]:
        check_op([(2, 4, 5, 6)], lambda x, size=size: t(x, output_size=size),
                 lambda x, size=size: e(x, output_size=size), dtypes=(np.float64,))
    with pytest.raises(ValueError, match=r"requested an output size of \(15, 14\), but valid "
                                         r"sizes range from \[11, 13\] to \[12, 14\]"):
        e(ember.zeros(2, 4, 5, 6, dtype=ember.float64), output_size=(15, 14))
    # Kaiming-uniform (a = sqrt(5)) over fan_in = (out / groups) * kh * kw, as torch computes it
    w = enn.ConvTranspose2d(16, 32, 3, groups=2).weight.detach().numpy()
    bound = 1 / np.sqrt(16 * 9)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound


@pytest.mark.parametrize("kw, x, w, words", [
    ({"stride": 2, "output_padding": 2}, (2, 4, 5, 6), (4, 3, 3, 3),
     ["output padding must be smaller than either stride or dilation, but got "
      "output_padding_height: 2 output_padding_width: 2 stride_height: 2"]),
    ({}, (2, 4, 5, 6), (5, 3, 3, 3), ["expected input[2, 4, 5, 6] to have 5 channels"]),
    ({"groups": 3}, (2, 4, 5, 6), (4, 3, 3, 3), ["expected weight to be divisible by 3"]),
    ({}, (5, 6), (4, 3, 3, 3), ["Expected 3D (unbatched) or 4D (batched) input to "
                                "conv_transpose2d, but got input of size: [5, 6]"]),
])
def test_errors_match_torch(kw, x, w, words):
    check_error(lambda a, b: TF.conv_transpose2d(a, b, **kw),
                lambda a, b: EF.conv_transpose2d(a, b, **kw), inputs=[x, w], words=words)
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        enn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")

"""Non-constant padding (reflect, replicate, circular), conv padding_mode, negative-p norms."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck

CASES = [((2, 5), (1, 2)), ((1, 2, 4, 5), (1, 2, 2, 1)), ((2, 3, 4), (2, 3, 1, 0)),
         ((1, 2, 3, 4, 3), (1, 1, 2, 0, 1, 2)), ((3, 4), (0, 3))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", CASES)
def test_pad_modes_match_torch(mode, shape, pad):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    yt, ye = TF.pad(xt, pad, mode=mode), EF.pad(xe, pad, mode=mode)
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


# Negative pads crop: reflect and replicate crop the padded dim, circular wraps within the
# cropped one (so it needs pads no larger than what is kept).
NEGATIVE = [((1, 1, 10), (-8, 3)), ((1, 1, 10), (3, -8)), ((1, 1, 10), (-3, -3)),
            ((1, 2, 5, 6), (-2, 1, 2, -3)), ((2, 1, 4, 5, 6), (1, -1, -2, 0, 0, -3))]
NEGATIVE_CIRCULAR = [((1, 1, 10), (-2, 1)), ((1, 1, 10), (1, -2)), ((1, 1, 10), (-2, 3)),
                     ((1, 1, 10), (-3, -3)), ((1, 2, 5, 6), (-2, 1, 2, -3))]


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("shape, pad", NEGATIVE)
def test_negative_pads_crop_as_in_torch(mode, shape, pad):
    test_pad_modes_match_torch(mode, shape, pad)


@pytest.mark.parametrize("shape, pad", NEGATIVE_CIRCULAR)
def test_negative_circular_pads_as_in_torch(shape, pad):
    test_pad_modes_match_torch("circular", shape, pad)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_gradcheck(mode):
    x = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda t: EF.pad(t, (1, 2, 2, 1), mode=mode), (x,))


@pytest.mark.parametrize("shape, pad, mode", [
    ((4, 5), (1, 2, 2, 1), "reflect"),   # 4 pads need a 3-D or 4-D input
    ((3,), (1, 1), "circular"),           # 2 pads need a 2-D or 3-D input
    ((1, 2, 3), (3, 3), "reflect"),       # reflect needs pad < size
    ((1, 2, 3), (4, 0), "circular"),      # circular wraps at most once
    ((1, 1, 10), (-10, 0), "replicate"),  # nothing left
    ((1, 1, 10), (-11, 0), "reflect"),
    ((1, 2, 4, 5, 6), (0, 0, 0, 0, -5, 0), "replicate"),
])
def test_pad_mode_errors_match_torch(shape, pad, mode):
    with pytest.raises(Exception) as expected:
        TF.pad(torch.zeros(shape), pad, mode=mode)
    with pytest.raises(type(expected.value)) as got:
        EF.pad(ember.zeros(*shape), pad, mode=mode)
    assert str(got.value).split("\n")[0][:40] == str(expected.value).split("\n")[0][:40]


@pytest.mark.parametrize("shape, pad, mode", [
    ((1, 1, 10), (-7, 4), "circular"),       # torch: an aliasing error
    ((1, 1, 10), (3, -8), "circular"),
    ((1, 1, 3, 4), (0, 0, -4, 0), "reflect"),  # torch: "numel: integer multiplication overflow"
])
def test_pad_errors_where_torch_fails_internally(shape, pad, mode):
    with pytest.raises(RuntimeError):
        TF.pad(torch.zeros(shape), pad, mode=mode)
    with pytest.raises(RuntimeError, match=r"wrapping around|negative dimension -1"):
        EF.pad(ember.zeros(*shape), pad, mode=mode)


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, "same", 2])
def test_conv_padding_mode_matches_torch(nd, mode, padding):
    rng = np.random.default_rng(1)
    kw = dict(padding=padding, padding_mode=mode, dilation=2 if padding == "same" else 1)
    t = (torch.nn.Conv1d if nd == 1 else torch.nn.Conv2d)(2, 3, 3, **kw).double()
    e = (ember.nn.Conv1d if nd == 1 else ember.nn.Conv2d)(2, 3, 3, **kw).double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert repr(e) == repr(t)
    x = rng.standard_normal((2, 2) + (7,) * nd)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = t(xt), e(xe)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("p", [-1, -2.5])
def test_negative_p_norm_matches_torch(p):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4)) + 0.1
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = torch.norm(xt, p, dim=1), ember.norm(xe, p, dim=1)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(3)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10)

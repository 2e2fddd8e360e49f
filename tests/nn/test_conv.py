"""conv1d / conv2d and the Conv modules against torch: values, all gradients, reprs, errors."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.torch_compare import check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

# float32: each output sums up to C*kh*kw ~ 100 products of O(1) terms, so the rounding error
# of a different summation order reaches a few 1e-6 absolute on values of size ~10.
F32 = dict(rtol=1e-5, atol=5e-5)

# (input shape, weight shape, bias?, kwargs)
CONV2D = [
    ((2, 3, 7, 6), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(stride=2, padding=1)),
    ((2, 3, 9, 8), (4, 3, 3, 2), True, dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2))),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(padding="same")),
    ((2, 3, 7, 6), (4, 3, 4, 2), True, dict(padding="same", dilation=(1, 3))),  # even kernels
    ((2, 3, 8, 8), (5, 3, 2, 2), True, dict(padding="same", dilation=2)),
    ((2, 3, 7, 6), (4, 3, 3, 3), True, dict(padding="valid")),
    ((2, 4, 6, 6), (6, 2, 3, 3), True, dict(groups=2, padding=1)),
    ((2, 4, 6, 5), (4, 1, 3, 3), True, dict(groups=4, padding=1)),  # depthwise
    ((2, 4, 6, 5), (8, 1, 3, 3), False, dict(groups=4, stride=2)),  # depthwise, multiplier 2
    ((2, 3, 5, 4), (5, 3, 1, 1), True, {}),  # 1x1
    ((2, 3, 5, 4), (5, 3, 1, 1), True, dict(stride=2)),  # strided 1x1 skips pixels
    ((2, 3, 5, 9), (4, 3, 2, 5), True, dict(stride=(1, 2))),  # non-square
    ((1, 3, 9, 7), (2, 3, 3, 3), True, dict(stride=3, padding=2)),  # batch 1, odd sizes
    ((2, 3, 7, 7), (4, 3, 2, 2), True, dict(stride=3)),  # stride > kernel: unread pixels
    ((2, 3, 5, 4), (4, 3, 5, 4), True, {}),  # kernel as large as the input
    ((2, 3, 8, 7), (4, 3, 3, 3), True, dict(stride=2, padding=2, dilation=2)),
    ((3, 7, 6), (4, 3, 3, 3), True, dict(padding=1)),  # unbatched
    ((2, 6, 5, 5), (6, 3, 2, 3), False, dict(groups=2, padding=(1, 0), dilation=(2, 1))),
]

CONV1D = [
    ((2, 3, 10), (4, 3, 3), True, {}),
    ((2, 3, 10), (4, 3, 3), True, dict(stride=2, padding=1)),
    ((2, 3, 11), (4, 3, 4), True, dict(padding="same", dilation=1)),  # even kernel
    ((2, 3, 11), (4, 3, 4), True, dict(padding="same", dilation=2)),
    ((2, 3, 10), (4, 3, 3), False, dict(padding="valid", dilation=3)),
    ((2, 3, 10), (6, 1, 3), True, dict(groups=3, padding=(2,))),  # depthwise
    ((1, 3, 9), (5, 3, 1), True, dict(stride=(2,))),  # 1x1, batch 1
    ((3, 10), (4, 3, 3), True, dict(padding=1)),  # unbatched
]


def _run(case, torch_fn, ember_fn, **opts):
    x, w, bias, kwargs = case
    specs = [x, w, (w[0],) if bias else None]
    check_op(specs, lambda a, b, c: torch_fn(a, b, c, **kwargs),
             lambda a, b, c: ember_fn(a, b, c, **kwargs), dtypes=(np.float64,), **opts)
    check_op(specs, lambda a, b, c: torch_fn(a, b, c, **kwargs),
             lambda a, b, c: ember_fn(a, b, c, **kwargs), dtypes=(np.float32,), **F32, **opts)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV2D, ids=str)
def test_conv2d_matches_torch(case):
    _run(case, TF.conv2d, EF.conv2d)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV1D, ids=str)
def test_conv1d_matches_torch(case):
    _run(case, TF.conv1d, EF.conv1d)


def test_conv2d_non_contiguous_input():
    # every argument is a transposed view of its leaf (strides the im2col view must honour)
    case = ((2, 3, 6, 5), (4, 3, 3, 2), True, dict(stride=(1, 2), padding=1))
    _run(case, TF.conv2d, EF.conv2d, noncontig=True)


def test_conv2d_grad_of_one_input_only():
    # a frozen weight (no grad) still lets the input's gradient through, and vice versa
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    w = np.random.default_rng(1).standard_normal((4, 3, 3, 3))
    for x_grad, w_grad in ((True, False), (False, True)):
        tx, tw = torch.tensor(x, requires_grad=x_grad), torch.tensor(w, requires_grad=w_grad)
        ex, ew = ember.tensor(x, requires_grad=x_grad), ember.tensor(w, requires_grad=w_grad)
        TF.conv2d(tx, tw, padding=1).square().sum().backward()
        EF.conv2d(ex, ew, padding=1).square().sum().backward()
        for t, e in ((tx, ex), (tw, ew)):
            if t.requires_grad:
                np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10)
            else:
                assert e.grad is None


def test_conv2d_integer_and_empty_batch():
    rng = np.random.default_rng(0)
    x, w = rng.integers(-5, 5, (2, 3, 5, 5)), rng.integers(-5, 5, (4, 3, 3, 3))
    out = EF.conv2d(ember.tensor(x), ember.tensor(w), stride=2)
    ref = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2)
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    empty = EF.conv2d(ember.zeros(0, 3, 5, 5), ember.zeros(4, 3, 3, 3))
    assert tuple(empty.shape) == (0, 4, 3, 3)


def test_grad_fn_name():
    x = ember.randn(1, 2, 5, 5, requires_grad=True)
    assert EF.conv2d(x, ember.randn(3, 2, 3, 3)).grad_fn.name() == "ConvolutionBackward0"


@pytest.mark.parametrize("nd, x, w, kwargs", [
    (2, (1, 4, 5, 4), (4, 2, 2, 3), dict(groups=2, stride=2, padding=1, dilation=(1, 2))),
    (2, (2, 2, 4, 4), (2, 2, 3, 2), dict(padding="same")),
    (1, (2, 2, 7), (3, 2, 4), dict(padding="same", dilation=2)),
])
def test_gradcheck(nd, x, w, kwargs):
    fn = EF.conv2d if nd == 2 else EF.conv1d
    assert gradcheck(lambda a, b, c: fn(a, b, c, **kwargs), [x, w, (w[0],)])


# -- errors --------------------------------------------------------------------------------------
X = (2, 4, 5, 5)
ERRORS = [
    ("conv2d", [(4, 5), (6, 4, 3, 3)], {}, ["Expected 3D (unbatched) or 4D (batched) input"]),
    ("conv2d", [(1, 2, 4, 5, 5), (6, 4, 3, 3)], {}, ["4D (batched) input to conv2d"]),
    ("conv1d", [(2, 4, 5), (6, 4, 3, 3)], {}, ["Expected 4-dimensional input for 4-dimensional"]),
    ("conv2d", [X, (6, 2, 3, 3)], dict(groups=3),
     ["expected input[2, 4, 5, 5] to have 6 channels, but got 4 channels instead"]),
    ("conv2d", [X, (6, 3, 3, 3)], {}, ["to have 3 channels, but got 4 channels"]),
    ("conv2d", [X, (5, 2, 3, 3)], dict(groups=2),
     ["expected weight to be divisible by 2 at dimension 0"]),
    ("conv2d", [X, (6, 4, 7, 3)], {},
     ["Calculated padded input size per channel: (5 x 5). Kernel size: (7 x 3). Kernel size "
      "can't be greater than actual input size"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(dilation=3), ["Kernel size: (7 x 7)"]),
    ("conv1d", [(2, 4, 2), (6, 4, 3)], {}, ["Kernel size can't be greater"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(stride=2, padding="same"),
     ["padding='same' is not supported for strided convolutions"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(padding="foo"), ["Invalid padding string: 'foo'"]),
    ("conv2d", [X, (6, 4, 3, 3), (5,)], {},
     ["expected bias to be 1-dimensional with 6 elements, but got bias of size [5]"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(stride=0), ["non-positive stride is not supported"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(padding=-1), ["negative padding is not supported"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(dilation=0), ["non-positive dilation is not supported"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(groups=0), ["non-positive groups is not supported"]),
    ("conv2d", [X, (6, 4, 3, 3)], dict(stride=(1, 1, 1)),
     ["expected stride to be a single integer value or a list of 2 values"]),
]


@pytest.mark.parametrize("name, inputs, kwargs, words", ERRORS, ids=lambda v: str(v)[:40])
def test_errors_match_torch(name, inputs, kwargs, words):
    check_error(lambda *a: getattr(TF, name)(*a, **kwargs),
                lambda *a: getattr(EF, name)(*a, **kwargs), words=words, inputs=inputs)


def test_dtype_mismatch_errors():
    x, w, b = np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3)), np.ones(3)
    f32 = np.float32
    check_error(lambda: TF.conv2d(torch.tensor(x), torch.tensor(w.astype(f32))),
                lambda: EF.conv2d(ember.tensor(x), ember.tensor(w.astype(f32))),
                words=["expected scalar type Double but found Float"])
    check_error(lambda: TF.conv2d(torch.tensor(x.astype(f32)), torch.tensor(w.astype(f32)),
                                  torch.tensor(b)),
                lambda: EF.conv2d(ember.tensor(x.astype(f32)), ember.tensor(w.astype(f32)),
                                  ember.tensor(b)),
                words=["Input type (float) and bias type (double) should be the same"])


# -- modules -------------------------------------------------------------------------------------
MODULES = [
    ("Conv2d", (3, 8, 3), dict(padding=1), (2, 3, 7, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=2, dilation=(1, 2), groups=2, bias=False),
     (2, 4, 9, 8)),
    ("Conv2d", (4, 4, 4), dict(padding="same", groups=4), (1, 4, 6, 7)),
    ("Conv1d", (3, 5, 4), dict(stride=1, padding="same"), (2, 3, 11)),
    ("Conv1d", (3, 6, 3), dict(stride=2, groups=3), (3, 12)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name, args, kwargs, shape", MODULES, ids=lambda v: str(v)[:30])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_module_with_copied_weights(name, args, kwargs, shape, dtype):
    tm = getattr(torch.nn, name)(*args, **kwargs, dtype=dtype)
    em = getattr(ember.nn, name)(*args, **kwargs, dtype=getattr(ember, str(dtype)[6:]))
    assert repr(em) == repr(tm)
    with ember.no_grad():
        em.weight.copy_(ember.tensor(tm.weight.detach().numpy()))
        if tm.bias is not None:
            em.bias.copy_(ember.tensor(tm.bias.detach().numpy()))
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(str(dtype)[6:])
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ty, ey = tm(tx), em(ex)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == torch.float64 else F32
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), **tol)
    cot = rng.standard_normal(ty.shape).astype(x.dtype)
    ty.backward(torch.tensor(cot))
    ey.backward(ember.tensor(cot))
    pairs = [(ex, tx), (em.weight, tm.weight)] + ([(em.bias, tm.bias)] if tm.bias is not None
                                                 else [])
    for e, t in pairs:
        assert e.grad.dtype == e.dtype
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), **tol)


def test_default_init_is_kaiming_uniform():
    # weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = (12 / groups) * 2 * 2
    m = ember.nn.Conv2d(12, 42, (2, 2), groups=3)
    fan_in = 4 * 2 * 2
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.detach().numpy().ravel()
    assert m.weight.shape == (42, 4, 2, 2) and m.bias.shape == (42,)
    assert np.abs(w).max() <= bound
    # P(all 672 |w| < 0.95 bound) = 0.95**672 ~ 1e-15
    assert np.abs(w).max() > 0.95 * bound
    # mean of w^2 is bound^2/3 with std bound^2 sqrt(4/45/n); allow 5 standard deviations
    assert abs(np.mean(w ** 2) - bound ** 2 / 3) < 5 * bound ** 2 * math.sqrt(4 / 45 / w.size)
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound  # P(fail) = 0.5**42


@pytest.mark.parametrize("ctor", [
    "Conv2d(1, 16, 3, padding=1)",
    "Conv2d(1, 16, (3, 5), stride=2, dilation=2, bias=False)",
    "Conv2d(4, 16, 3, padding='same', groups=2)",
    "Conv2d(4, 8, 3, padding=(0, 1), stride=(1, 2))",
    "Conv1d(4, 16, 3, padding='valid')",
    "Conv1d(4, 16, 3, padding=2, dilation=2, groups=4)",
])
def test_module_repr_matches_torch(ctor):
    assert repr(eval("ember.nn." + ctor)) == repr(eval("torch.nn." + ctor))


@pytest.mark.parametrize("kwargs, words", [
    (dict(groups=4, out_channels=6), "out_channels must be divisible by groups"),
    (dict(groups=3), "in_channels must be divisible by groups"),
    (dict(groups=0), "groups must be a positive integer"),
    (dict(padding="foo"), "Invalid padding string 'foo', should be one of"),
    (dict(stride=2, padding="same"), "padding='same' is not supported for strided"),
    (dict(padding_mode="bar"), "padding_mode must be one of"),
])
def test_module_errors_match_torch(kwargs, words):
    args = dict(in_channels=4, out_channels=12, kernel_size=3) | kwargs
    check_error(lambda: torch.nn.Conv2d(**args), lambda: ember.nn.Conv2d(**args), words=[words])


@pytest.mark.parametrize("kernel", [1, 3])  # a 1x1 kernel's columns are a view of the input
def test_inplace_change_of_the_input_is_detected(kernel):
    messages = []
    for lib in (torch, ember):
        x = lib.ones(2, 3, 5, 5, requires_grad=True)
        w = lib.ones(4, 3, kernel, kernel, requires_grad=True)
        y = x * 1
        out = lib.nn.functional.conv2d(y, w)
        with lib.no_grad():
            y.add_(1)
        with pytest.raises(RuntimeError) as info:
            out.sum().backward()
        messages.append(str(info.value))
    assert all("modified by an inplace operation" in m for m in messages)


@st.composite
def conv2d_configs(draw):
    """Any valid conv2d: groups, kernel, stride, dilation, padding (int, 'same', 'valid')."""
    groups, cg, og = (draw(st.integers(1, 3)) for _ in range(3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    choices = ["int", "valid"] + (["same"] if stride == (1, 1) else [])
    kind = draw(st.sampled_from(choices))
    padding = ((draw(st.integers(0, 2)), draw(st.integers(0, 2))) if kind == "int" else kind)
    pads = padding if kind == "int" else (0, 0)
    size = tuple(max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 4))
                 for d, k, p in zip(dilation, kernel, pads, strict=True))
    x = (draw(st.integers(1, 2)), groups * cg, *size)
    w = (groups * og, cg, *kernel)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, draw(st.booleans()), kwargs


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=40, deadline=None)
@given(case=conv2d_configs())
def test_conv2d_property_matches_torch(case):
    x, w, bias, kwargs = case
    check_op([x, w, (w[0],) if bias else None],
             lambda a, b, c: TF.conv2d(a, b, c, **kwargs),
             lambda a, b, c: EF.conv2d(a, b, c, **kwargs), dtypes=(np.float64,))


def test_weight_grad_summed_over_batch_chunks(monkeypatch):
    # large layers sum the weight gradient over chunks of the batch; force several chunks
    from ember.nn.functional import conv

    monkeypatch.setattr(conv, "_CHUNK_ELEMENTS", 2 * 4 * 3 * 3 * 3)
    _run(((5, 3, 6, 6), (4, 3, 3, 3), True, dict(padding=1)), TF.conv2d, EF.conv2d)

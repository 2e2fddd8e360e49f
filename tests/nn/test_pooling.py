"""Max, average and adaptive pooling (functional and modules) against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.torch_compare import check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

# (input shape, kwargs)
MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 6, 6), dict(kernel_size=2, stride=2, ceil_mode=True)),  # ceil adds no window
    ((2, 3, 9, 7), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
    ((2, 3, 9, 8), dict(kernel_size=3, stride=2, dilation=2, padding=1, ceil_mode=True)),
    ((1, 2, 5, 7), dict(kernel_size=3, stride=1)),  # overlapping windows accumulate
    ((3, 7, 5), dict(kernel_size=2, stride=3)),  # unbatched, stride > kernel
    ((2, 3, 5, 5), dict(kernel_size=5)),
]
MAX1D = [
    ((2, 3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 10), dict(kernel_size=2)),
    ((3, 10), dict(kernel_size=4, stride=1, dilation=2, padding=2, ceil_mode=True)),
]
AVG2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((2, 3, 8, 5), dict(kernel_size=(4, 2), stride=(3, 2), ceil_mode=True)),
    ((2, 3, 7, 6), dict(kernel_size=(3, 2), stride=1, padding=1, divisor_override=5)),
    ((3, 7, 5), dict(kernel_size=2, stride=1)),
]
AVG1D = [
    ((2, 3, 10), dict(kernel_size=3)),
    ((2, 3, 10), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                      count_include_pad=False)),
    ((3, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
]
ADAPTIVE2D = [
    ((2, 3, 8, 8), (4, 4)),  # divisible
    ((2, 3, 7, 6), (3, 4)),  # overlapping, uneven windows
    ((2, 3, 7, 6), (5, 5)),
    ((2, 3, 4, 3), (7, 9)),  # output larger than input
    ((2, 3, 7, 6), 1),  # global pooling
    ((2, 3, 7, 6), (None, 4)),
    ((3, 10, 9), (6, 2)),  # unbatched
]
ADAPTIVE1D = [((2, 3, 10), 4), ((2, 3, 7), 3), ((3, 5), 8)]


def _check(fn_name, shape, kwargs, **opts):
    check_op([shape], lambda x: getattr(TF, fn_name)(x, **kwargs),
             lambda x: getattr(EF, fn_name)(x, **kwargs), **opts)


@pytest.mark.parametrize("shape, kwargs", MAX2D, ids=str)
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool2d(shape, kwargs, return_indices):
    _check("max_pool2d", shape, dict(kwargs, return_indices=return_indices))


@pytest.mark.parametrize("shape, kwargs", MAX1D, ids=str)
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool1d(shape, kwargs, return_indices):
    _check("max_pool1d", shape, dict(kwargs, return_indices=return_indices))


@pytest.mark.parametrize("shape, kwargs", AVG2D, ids=str)
def test_avg_pool2d(shape, kwargs):
    _check("avg_pool2d", shape, kwargs)


@pytest.mark.parametrize("shape, kwargs", AVG1D, ids=str)
def test_avg_pool1d(shape, kwargs):
    _check("avg_pool1d", shape, kwargs)


@pytest.mark.parametrize("shape, size", ADAPTIVE2D, ids=str)
def test_adaptive_avg_pool2d(shape, size):
    _check("adaptive_avg_pool2d", shape, dict(output_size=size))


@pytest.mark.parametrize("shape, size", ADAPTIVE1D, ids=str)
def test_adaptive_avg_pool1d(shape, size):
    _check("adaptive_avg_pool1d", shape, dict(output_size=size))


@pytest.mark.parametrize("shape, size", ADAPTIVE2D, ids=str)
def test_adaptive_max_pool2d(shape, size):
    _check("adaptive_max_pool2d", shape, dict(output_size=size, return_indices=True))


@pytest.mark.parametrize("shape, size", ADAPTIVE1D, ids=str)
def test_adaptive_max_pool1d(shape, size):
    _check("adaptive_max_pool1d", shape, dict(output_size=size, return_indices=True))


def test_noncontiguous_input():
    _check("max_pool2d", (2, 3, 7, 6), dict(kernel_size=3, stride=2, padding=1), noncontig=True)
    _check("avg_pool2d", (2, 3, 7, 6), dict(kernel_size=2, padding=1), noncontig=True)


@pytest.mark.parametrize("fn, kwargs", [
    ("max_pool2d", dict(kernel_size=3, stride=1, padding=1, return_indices=True)),
    ("max_pool1d", dict(kernel_size=3, stride=2, return_indices=True)),
    ("adaptive_max_pool2d", dict(output_size=(3, 4), return_indices=True)),
])
def test_ties_send_the_gradient_to_the_first_maximum(fn, kwargs):
    # values from {0, 1, 2}: most windows hold several maxima
    shape = (2, 3, 7, 6) if fn != "max_pool1d" else (2, 3, 11)
    data = np.random.default_rng(3).integers(0, 3, shape).astype(np.float64)
    check_op([data], lambda x: getattr(TF, fn)(x, **kwargs),
             lambda x: getattr(EF, fn)(x, **kwargs))


def test_windows_of_minus_inf_report_their_first_real_element():
    x = np.full((1, 1, 3, 3), -np.inf)
    for kwargs in (dict(kernel_size=2, padding=1), dict(kernel_size=3, stride=2, padding=1,
                                                        dilation=2)):
        t_out, t_idx = TF.max_pool2d(torch.tensor(x), **kwargs, return_indices=True)
        e_out, e_idx = EF.max_pool2d(ember.tensor(x), **kwargs, return_indices=True)
        np.testing.assert_array_equal(e_out.numpy(), t_out.numpy())
        np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())


def test_window_of_padding_only():
    # taps at rows -1 and 1 of a 1-row input: no real element; torch reports -inf at index 1
    # (one past the plane) and writes its gradient into the next plane, Ember drops it
    x = np.array([[[[1.0]], [[2.0]]]])
    kwargs = dict(kernel_size=(2, 1), stride=1, padding=(1, 0), dilation=(2, 1))
    t_out, t_idx = TF.max_pool2d(torch.tensor(x), **kwargs, return_indices=True)
    ex = ember.tensor(x, requires_grad=True)
    e_out, e_idx = EF.max_pool2d(ex, **kwargs, return_indices=True)
    np.testing.assert_array_equal(e_out.detach().numpy(), t_out.numpy())
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())
    e_out.sum().backward()
    np.testing.assert_array_equal(ex.grad.numpy(), np.zeros_like(x))


def test_nan_wins_the_max():
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 0.0, 2.0]]])
    t_out, t_idx = TF.max_pool1d(torch.tensor(x), 3, return_indices=True)
    e_out, e_idx = EF.max_pool1d(ember.tensor(x), 3, return_indices=True)
    np.testing.assert_array_equal(e_out.numpy(), t_out.numpy())
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())


def test_integer_inputs():
    x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) * 3 - 80
    for fn, kwargs in (("max_pool2d", dict(kernel_size=2, padding=1)),
                       ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1))):
        t = getattr(TF, fn)(torch.tensor(x), **kwargs)
        e = getattr(EF, fn)(ember.tensor(x), **kwargs)
        assert e.dtype == ember.int64
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_grad_fn_names_match_torch():
    x = ember.randn(1, 1, 5, 5, requires_grad=True)
    assert EF.max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert EF.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert EF.adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert EF.adaptive_max_pool2d(x, 2).grad_fn.name() == "AdaptiveMaxPool2DBackward0"
    _, idx = EF.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == ember.int64 and not idx.requires_grad


@pytest.mark.parametrize("fn, kwargs", [
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ("adaptive_avg_pool2d", dict(output_size=(3, 2))),
    ("max_pool2d", dict(kernel_size=2, stride=1)),
])
def test_gradcheck(fn, kwargs):
    assert gradcheck(lambda x: getattr(EF, fn)(x, **kwargs), [(1, 2, 5, 4)])


# -- errors --------------------------------------------------------------------------------------
X = (2, 4, 5, 5)
ERRORS = [
    ("max_pool2d", X, dict(kernel_size=3, padding=2),
     ["pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
      "dilation=1"]),
    ("max_pool2d", (2, 4, 7, 7), dict(kernel_size=3, padding=2, dilation=2),
     ["pad should be smaller than or equal to half of kernel size"]),
    ("max_pool2d", X, dict(kernel_size=7),
     ["Given input size: (4x5x5). Calculated output size: (4x0x0). Output size is too small"]),
    ("max_pool2d", (4, 5), dict(kernel_size=2), ["3D or 4D (batch mode) tensor expected"]),
    ("max_pool2d", X, dict(kernel_size=2, stride=0), ["stride should not be zero"]),
    ("max_pool2d", X, dict(kernel_size=(0, 2), stride=1),
     ["kernel size should be greater than zero, but got kH: 0 kW: 2"]),
    ("max_pool2d", X, dict(kernel_size=2, dilation=0),
     ["dilation should be greater than zero, but got dilationH: 0 dilationW: 0"]),
    ("max_pool2d", X, dict(kernel_size=2, padding=-1), ["pad must be non-negative"]),
    ("max_pool2d", X, dict(kernel_size=(2, 2, 2)),
     ["max_pool2d: kernel_size must either be a single int, or a tuple of two ints"]),
    ("max_pool2d", X, dict(kernel_size=2, stride=(1, 2, 3)),
     ["max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"]),
    ("max_pool2d", (2, 0, 5, 5), dict(kernel_size=2),
     ["Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
      "got:[2, 0, 5, 5]"]),
    ("max_pool1d", X, dict(kernel_size=2),
     ["max_pool1d: Expected 2D or 3D (batch mode) tensor"]),
    ("max_pool1d", (2, 4, 3), dict(kernel_size=5), ["max_pool1d() Invalid computed output size"]),
    ("max_pool1d", (2, 4, 7), dict(kernel_size=3, padding=2),
     ["max_pool1d() padding should be at most half of kernel size, but got padding=2 and "
      "kernel_size=3"]),
    ("max_pool1d", (2, 4, 7), dict(kernel_size=(2, 2)),
     ["max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1"]),
    ("avg_pool2d", X, dict(kernel_size=3, padding=2), ["pad should be at most half"]),
    ("avg_pool2d", X, dict(kernel_size=7), ["Output size is too small"]),
    ("avg_pool2d", X, dict(kernel_size=2, divisor_override=0), ["divisor must be not zero"]),
    ("avg_pool1d", (2, 4, 3), dict(kernel_size=5),
     ["Given input size: (4x1x3). Calculated output size: (4x1x0). Output size is too small"]),
    ("avg_pool1d", X, dict(kernel_size=2),
     ["Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self'"]),
    ("avg_pool1d", (2, 4, 7), dict(kernel_size=(2, 2)),
     ["avg_pool1d() argument 'kernel_size' should contain one int (got 2)"]),
    ("adaptive_avg_pool2d", (5,), dict(output_size=2),
     ["adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [5]"]),
    ("adaptive_avg_pool2d", X, dict(output_size=(2, 2, 2)),
     ["adaptive_avg_pool2d: output_size must be 2"]),
    ("adaptive_max_pool2d", (5,), dict(output_size=2),
     ["adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [5]"]),
    ("adaptive_max_pool2d", (2, 0, 3, 3), dict(output_size=2),
     ["Expected input to have non-zero size for non-batch dimensions, but input has sizes "
      "[2, 0, 3, 3] with dimension 1 being empty"]),
    ("adaptive_avg_pool1d", X, dict(output_size=2),
     ["(while checking arguments for adaptive_avg_pool1d)"]),
    ("adaptive_max_pool1d", X, dict(output_size=2),
     ["(while checking arguments for adaptive_max_pool1d)"]),
]


@pytest.mark.parametrize("fn, shape, kwargs, words", ERRORS, ids=lambda v: str(v)[:40])
def test_errors_match_torch(fn, shape, kwargs, words):
    check_error(lambda x: getattr(TF, fn)(x, **kwargs), lambda x: getattr(EF, fn)(x, **kwargs),
                words=words, inputs=[shape])


def test_adaptive_avg_pool_rejects_integers():
    x = np.ones((1, 2, 4, 4), dtype=np.int64)
    check_error(lambda: TF.adaptive_avg_pool2d(torch.tensor(x), 2),
                lambda: EF.adaptive_avg_pool2d(ember.tensor(x), 2),
                words=['"adaptive_avg_pool2d" not implemented for \'Long\''])


# -- modules -------------------------------------------------------------------------------------
MODULES = [
    "MaxPool2d(2)",
    "MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True)",
    "MaxPool2d(3, 2, 1, return_indices=True)",
    "MaxPool1d(3, stride=2, padding=1)",
    "AvgPool1d(3)",
    "AvgPool1d(4, 3, 2, True, False)",
    "AvgPool2d(3)",
    "AvgPool2d(3, 1, 1, True, False, 2)",
    "AvgPool2d((2, 3), stride=(1, 2))",
    "AdaptiveAvgPool2d((5, None))",
    "AdaptiveAvgPool2d(3)",
    "AdaptiveAvgPool1d(3)",
    "AdaptiveMaxPool2d((3, 2), return_indices=True)",
    "AdaptiveMaxPool1d(3)",
]


@pytest.mark.parametrize("ctor", MODULES)
def test_modules_match_torch(ctor):
    tm, em = eval("torch.nn." + ctor), eval("ember.nn." + ctor)
    assert repr(em) == repr(tm)
    shape = (2, 3, 9, 8) if "2d" in ctor else (2, 3, 11)
    check_op([shape], tm, em)


@st.composite
def pool2d_configs(draw):
    """Valid max/avg pooling arguments: padding at most half the kernel, at least one window."""
    fn = draw(st.sampled_from(["max_pool2d", "avg_pool2d"]))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=draw(st.booleans()))
    dilation = (1, 1)
    if fn == "max_pool2d":
        dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        kwargs["dilation"] = dilation
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
    # at least p + 1 elements: a dilated window lying wholly in the padding is a PyTorch bug
    # (its gradient lands in the next plane), tested on its own below
    size = tuple(max(p + 1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, 5))
                 for d, k, p in zip(dilation, kernel, padding, strict=True))
    return fn, (draw(st.integers(1, 2)), 2, *size), kwargs


@settings(max_examples=40, deadline=None)
@given(case=pool2d_configs())
def test_pool2d_property_matches_torch(case):
    fn, shape, kwargs = case
    _check(fn, shape, kwargs, dtypes=(np.float64,))


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), oh=st.integers(1, 9), ow=st.integers(1, 9),
       fn=st.sampled_from(["adaptive_avg_pool2d", "adaptive_max_pool2d"]))
def test_adaptive_pool2d_property_matches_torch(h, w, oh, ow, fn):
    _check(fn, (2, 2, h, w), dict(output_size=(oh, ow)), dtypes=(np.float64,))

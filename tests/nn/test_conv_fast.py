"""The fast convolution paths (issue 13): compiled im2col / col2im / depthwise kernels held bit
for bit to their NumPy references, serial and threaded; the ops built on them against torch
(chunked batches, groups, depthwise with multipliers, transposed depthwise, 1-d, batch 1 and
0, odd sizes, non-contiguous inputs, float32 and float64); gradcheck; and the memory a forward
keeps for backward (the input, not the column matrix)."""

import tracemalloc

import numpy as np
import pytest
import torch.nn.functional as TF
from tests.torch_compare import check_op, gradcheck

import ember
import ember.nn.functional as EF
from ember.kernels import conv as K
from ember.kernels import threads

# float32: an output sums C*kh*kw (up to ~300 here) products of O(1) terms and a weight
# gradient N*Ho*Wo (up to ~2000) of them; summed in another order than torch's, each rounding
# step errs by up to 6e-8 relative, so a few 1e-5 absolute on sums of size ~10-50.
F32 = dict(rtol=2e-5, atol=1e-4)

# (N, C, H, W), (kh, kw), stride, dilation, pads (top, left)
GEOMETRIES = [
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 3, 9, 8), (3, 2), (2, 1), (1, 2), (0, 2)),
    ((1, 2, 7, 7), (2, 2), (3, 3), (1, 1), (0, 0)),  # stride > kernel: unread pixels
    ((2, 3, 8, 7), (3, 3), (2, 2), (2, 2), (2, 2)),
    ((3, 4, 16, 16), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 2, 5, 4), (5, 4), (1, 1), (1, 1), (0, 0)),  # one window per plane
    ((2, 3, 6, 5), (1, 1), (2, 2), (1, 1), (0, 0)),  # strided 1x1
    ((2, 2, 4, 9), (1, 3), (1, 2), (1, 3), (0, 4)),  # padding wider than the kernel reach
]


def _out(shape, kernel, stride, dilation, pads):
    # a symmetric padding, as the ops pass for integer ones
    return tuple((shape[2 + a] + 2 * pads[a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a]
                 + 1 for a in range(2))


@pytest.fixture(params=["serial", "threads"])
def mode(request, monkeypatch):
    """Runs a test with the serial loops, then with the threaded ones on every size."""
    if request.param == "threads":
        if threads.max_threads() < 2:
            pytest.skip("one thread only")
        monkeypatch.setattr(K, "PARALLEL_THRESHOLD", 0)
        monkeypatch.setattr(threads, "idle_cores", lambda: 1)  # whatever the machine's load
        before = threads.get_num_threads()
        threads.set_num_threads(2)
        yield request.param
        threads.set_num_threads(before)
    else:
        yield request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_im2col_col2im_equal_references(geometry, dtype, mode):
    shape, kernel, stride, dilation, pads = geometry
    out = _out(shape, kernel, stride, dilation, pads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    cols = K.im2col(x, kernel, stride, dilation, pads, out)
    expected = K.im2col_reference(x, kernel, stride, dilation, pads, out)
    assert cols.dtype == dtype and np.array_equal(cols, expected)
    buffer = np.full(cols.size + 3, np.nan, dtype)
    assert np.array_equal(K.im2col(x, kernel, stride, dilation, pads, out, buffer=buffer[:-3]),
                          expected)
    g = rng.standard_normal(cols.shape).astype(dtype)
    image = K.col2im(g, shape, kernel, stride, dilation, pads, out)
    assert np.array_equal(image, K.col2im_reference(g, shape, kernel, stride, dilation, pads,
                                                    out))
    target = np.full(shape, np.nan, dtype)  # overwritten, not added to
    K.col2im(g, shape, kernel, stride, dilation, pads, out, target=target)
    assert np.array_equal(target, image)
    # the adjoint: <im2col(x), g> == <x, col2im(g)> up to rounding of the two sums
    np.testing.assert_allclose(np.vdot(cols, g), np.vdot(x, image),
                               rtol=1e-4 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("multiplier", [1, 2])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_depthwise_kernels_equal_references(geometry, multiplier, dtype, mode):
    shape, kernel, stride, dilation, pads = geometry
    out = _out(shape, kernel, stride, dilation, pads)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    o = shape[1] * multiplier
    w = rng.standard_normal((o, 1, *kernel)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    for b in (bias, None):
        y = K.depthwise_forward(x, w, b, stride, dilation, pads, out)
        assert y.shape == (shape[0], o, *out)
        assert np.array_equal(y, K.depthwise_forward_reference(x, w, b, stride, dilation, pads,
                                                               out))
    g = rng.standard_normal((shape[0], o, *out)).astype(dtype)
    assert np.array_equal(K.depthwise_grad_input(g, w, shape, stride, dilation, pads),
                          K.depthwise_grad_input_reference(g, w, shape, stride, dilation, pads))
    assert np.array_equal(K.depthwise_grad_weight(g, x, kernel, stride, dilation, pads),
                          K.depthwise_grad_weight_reference(g, x, kernel, stride, dilation,
                                                            pads))


def test_references_are_the_convolution():
    # the references themselves, against a direct sum over taps in float64
    shape, kernel, stride, dilation, pads = GEOMETRIES[3]
    out = _out(shape, kernel, stride, dilation, pads)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    cols = K.im2col_reference(x, kernel, stride, dilation, pads, out).reshape(
        shape[1], *kernel, shape[0], *out)
    for c, i, j, n, oh, ow in [(0, 0, 0, 0, 0, 0), (2, 2, 1, 1, 2, 1), (1, 1, 2, 0, 1, 2)]:
        h, w = oh * stride[0] + i * dilation[0] - pads[0], ow * stride[1] + j * dilation[1] - \
            pads[1]
        inside = 0 <= h < shape[2] and 0 <= w < shape[3]
        assert cols[c, i, j, n, oh, ow] == (x[n, c, h, w] if inside else 0)


def _ops_case(x, w, bias, kwargs, fn=("conv2d", "conv2d"), dtypes=(np.float64, np.float32),
              noncontig=False):
    specs = [x, w, (bias,) if bias else None]
    t_fn, e_fn = getattr(TF, fn[0]), getattr(EF, fn[1])
    for dtype in dtypes:
        tol = F32 if dtype == np.float32 else {}
        check_op(specs, lambda a, b, c: t_fn(a, b, c, **kwargs),
                 lambda a, b, c: e_fn(a, b, c, **kwargs), dtypes=(dtype,), noncontig=noncontig,
                 **tol)


# (input shape, weight shape, bias size or None, kwargs)
CONV2D = [
    ((3, 16, 8, 8), (32, 16, 3, 3), 32, dict(padding=1)),  # the benchmark's shape, smaller
    ((2, 3, 11, 13), (8, 3, 3, 3), 8, dict(padding=1, stride=2)),  # odd sizes
    ((2, 8, 9, 9), (12, 4, 3, 3), 12, dict(groups=2, padding=1, dilation=2)),
    ((2, 12, 7, 6), (8, 3, 3, 1), None, dict(groups=4, stride=(2, 1))),
    ((2, 8, 9, 7), (8, 1, 3, 3), 8, dict(groups=8, padding=1)),  # depthwise
    ((2, 4, 9, 7), (12, 1, 3, 3), 12, dict(groups=4, padding=(2, 1), dilation=(2, 1))),
    ((2, 4, 10, 9), (8, 1, 5, 5), None, dict(groups=4, padding="same")),
    ((2, 4, 10, 9), (4, 1, 3, 3), 4, dict(groups=4, stride=2, padding="valid")),
    ((1, 5, 6, 6), (7, 5, 1, 1), 7, {}),  # 1x1, batch 1
    ((2, 1, 9, 9), (6, 1, 3, 3), 6, dict(padding=1)),  # one input channel
    ((4, 5, 16), (3, 4, 3, 3), 3, dict(padding="same")),  # unbatched
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV2D, ids=str)
def test_conv2d_matches_torch(case):
    _ops_case(*case)


@pytest.mark.parametrize("case", [CONV2D[2], CONV2D[4]], ids=str)
def test_conv2d_non_contiguous_matches_torch(case):
    _ops_case(*case, noncontig=True)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", [
    ((2, 6, 20), (6, 1, 5), 6, dict(groups=6, padding="same")),  # depthwise 1-d
    ((2, 6, 21), (4, 3, 3), 4, dict(groups=2, stride=2, dilation=2)),
    ((6, 20), (6, 1, 3), None, dict(groups=6, padding=2, stride=3)),  # unbatched depthwise
], ids=str)
def test_conv1d_matches_torch(case):
    _ops_case(*case, fn=("conv1d", "conv1d"))


@pytest.mark.parametrize("case", [
    ((2, 6, 5, 4), (6, 1, 3, 3), 6, dict(groups=6, stride=2, padding=1, output_padding=1)),
    ((2, 6, 5, 4), (6, 1, 3, 2), None, dict(groups=6, dilation=(2, 1))),  # depthwise
    ((2, 6, 5, 4), (6, 2, 3, 3), 12, dict(groups=6, padding=(0, 1))),  # two outputs per group
    ((1, 4, 5, 6), (4, 3, 4, 4), 3, dict(stride=2, padding=1)),
    ((3, 4, 5), (4, 1, 3), 4, dict(groups=4, stride=2)),  # 1-d, unbatched, depthwise
], ids=str)
def test_conv_transpose_matches_torch(case):
    fn = "conv_transpose2d" if len(case[1]) == 4 else "conv_transpose1d"
    _ops_case(*case, fn=(fn, fn))


@pytest.mark.parametrize("fn, x, w, kwargs", [
    ("conv2d", (5, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)),
    ("conv2d", (5, 4, 6, 5), (4, 2, 3, 3), dict(groups=2, stride=2)),
    ("conv_transpose2d", (5, 4, 3, 3), (4, 3, 3, 3), dict(stride=2)),
    ("conv_transpose2d", (5, 4, 3, 3), (4, 1, 3, 3), dict(groups=2, padding=1)),
], ids=str)
def test_batch_in_chunks_matches_torch(fn, x, w, kwargs, monkeypatch):
    # large batches are convolved a few samples at a time: force chunks of 1 and 2 samples
    from ember.nn.functional import conv

    for samples in (1, 2):
        per_sample = max(x[1], w[1] * kwargs.get("groups", 1)) * w[2] * w[3] * 36
        monkeypatch.setattr(conv, "_CHUNK_ELEMENTS", samples * per_sample)
        bias = w[0] if fn == "conv2d" else w[1] * kwargs.get("groups", 1)
        _ops_case(x, w, bias, kwargs, fn=(fn, fn))


@pytest.mark.parametrize("fn, w, kwargs", [
    ("conv2d", (4, 3, 3, 3), dict(padding=1)),
    ("conv2d", (3, 1, 3, 3), dict(padding=1, groups=3)),
    ("conv_transpose2d", (3, 2, 3, 3), dict(padding=1, stride=2)),
    ("conv_transpose2d", (3, 1, 3, 3), dict(padding=1, groups=3)),
], ids=str)
def test_empty_batch_matches_torch(fn, w, kwargs):
    _ops_case((0, 3, 6, 5), w, None, kwargs, fn=(fn, fn), dtypes=(np.float64,))


@pytest.mark.parametrize("fn, specs, kwargs", [
    (EF.conv2d, [(2, 4, 5, 4), (6, 2, 3, 2), (6,)], dict(groups=2, stride=(2, 1), padding=1)),
    (EF.conv2d, [(2, 3, 5, 5), (6, 1, 3, 3), (6,)], dict(groups=3, padding=1, dilation=2)),
    (EF.conv1d, [(2, 3, 7), (3, 1, 3), (3,)], dict(groups=3, stride=2, padding=1)),
    (EF.conv_transpose2d, [(2, 3, 3, 3), (3, 1, 3, 3), (3,)], dict(groups=3, stride=2)),
    (EF.conv_transpose2d, [(2, 4, 3, 3), (4, 3, 2, 3), (6,)], dict(groups=2, padding=1)),
], ids=str)
def test_gradcheck(fn, specs, kwargs):
    assert gradcheck(lambda x, w, b: fn(x, w, b, **kwargs), specs)


@pytest.mark.parametrize("groups", [1, 16])
def test_forward_keeps_the_input_not_the_columns(groups):
    # What a forward leaves allocated for backward: the output, and nothing near the size of
    # the column matrix (C*kh*kw*N*Ho*Wo = 9x the input here).
    x = ember.randn(8, 16, 16, 16, dtype=ember.float64, requires_grad=True)
    w = ember.randn(16, 16 // groups, 3, 3, dtype=ember.float64, requires_grad=True)
    out_bytes = 8 * 16 * 16 * 16 * 8
    EF.conv2d(x, w, padding=1, groups=groups).sum().backward()  # kernels loaded, not counted
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = EF.conv2d(x, w, padding=1, groups=groups)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert out_bytes <= kept < 1.5 * out_bytes
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape

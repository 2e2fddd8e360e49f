"""F.interpolate and the Upsample modules against torch: every mode, align_corners, sizes and
scale factors up and down (integer and not), 1-3 spatial dims, gradients, errors, reprs."""

import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import check_error, check_op, gradcheck

import ember.nn as enn
import ember.nn.functional as EF

SHAPES = {"linear": (2, 3, 7), "bilinear": (2, 3, 5, 7), "bicubic": (2, 3, 5, 7),
          "trilinear": (1, 2, 3, 4, 5)}
SIZES = [{"scale_factor": 2}, {"scale_factor": 0.5}, {"scale_factor": 1.7},
         {"scale_factor": 0.6, "recompute_scale_factor": True}, {"size": 11}, {"size": 3}]


@pytest.mark.parametrize("resize", SIZES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", list(SHAPES))
def test_interpolating_modes(mode, align_corners, resize):
    kw = dict(resize, mode=mode, align_corners=align_corners)
    check_op([SHAPES[mode]], lambda x: TF.interpolate(x, **kw),
             lambda x: EF.interpolate(x, **kw))


NEAREST_CASES = [
    ((2, 3, 7), {"scale_factor": 2}), ((2, 3, 7), {"scale_factor": 0.5}),
    ((2, 3, 7), {"scale_factor": 1.7}), ((2, 3, 7), {"size": 11}), ((2, 3, 5, 7), {"size": 3}),
    ((2, 3, 5, 7), {"scale_factor": 0.6, "recompute_scale_factor": True}),
    ((2, 3, 5, 7), {"size": (4, 9)}), ((2, 3, 5, 7), {"scale_factor": (2.0, 0.5)}),
    ((1, 2, 3, 4, 5), {"scale_factor": 1.5}), ((1, 2, 3, 4, 5), {"size": (2, 5, 7)}),
]


@pytest.mark.parametrize("shape, resize", NEAREST_CASES)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_nearest_and_area(mode, shape, resize):
    check_op([shape], lambda x: TF.interpolate(x, mode=mode, **resize),
             lambda x: EF.interpolate(x, mode=mode, **resize))


@pytest.mark.parametrize("resize", [{"size": (4, 5)}, {"scale_factor": 0.37}, {"size": (20, 7)},
                                    {"scale_factor": 0.5, "align_corners": True},
                                    {"scale_factor": 2.5}])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias(mode, resize):
    check_op([(2, 3, 9, 13)], lambda x: TF.interpolate(x, mode=mode, antialias=True, **resize),
             lambda x: EF.interpolate(x, mode=mode, antialias=True, **resize))


def test_gradcheck():
    assert gradcheck(lambda x: EF.interpolate(x, scale_factor=1.5, mode="bicubic"),
                     [(1, 1, 3, 4)])
    assert gradcheck(lambda x: EF.interpolate(x, size=5, mode="linear", align_corners=True),
                     [(1, 2, 3)])
    assert gradcheck(lambda x: EF.interpolate(x, size=(2, 5), mode="nearest"), [(1, 1, 3, 4)])
    assert gradcheck(lambda x: EF.interpolate(x, size=(2, 3), mode="bicubic", antialias=True),
                     [(1, 1, 5, 7)])
    assert gradcheck(lambda x: EF.interpolate(x, size=(2, 2, 3), mode="area"), [(1, 1, 3, 5, 4)])


@pytest.mark.parametrize("kw, shape, words", [
    ({"scale_factor": 2, "mode": "bilinear"}, (1, 1, 4), ["but bilinear mode needs 4D input"]),
    ({"size": 3, "scale_factor": 2}, (1, 1, 4), ["only one of size or scale_factor"]),
    ({}, (1, 1, 4), ["either size or scale_factor should be defined"]),
    ({"size": 3, "align_corners": True}, (1, 1, 4), ["align_corners option can only be set"]),
    ({"size": 3, "mode": "foo"}, (1, 1, 4), ["Only 3D, 4D and 5D input Tensors supported"]),
    ({"size": 3}, (4,), ["Only 3D, 4D and 5D input Tensors supported (got 1D)"]),
    ({"size": (3, 4)}, (1, 1, 4), ["Input and output must have the same number of spatial"]),
    ({"scale_factor": (2, 3)}, (1, 1, 4), ["Input and scale_factor must have the same number"]),
    ({"size": 2, "mode": "linear", "antialias": True}, (1, 1, 4),
     ["Anti-alias option is restricted to bilinear, bicubic"]),
    ({"size": 2, "mode": "area", "antialias": True}, (1, 1, 4, 4),
     ["Anti-alias option is restricted to bilinear, bicubic"]),
])
def test_errors_match_torch(kw, shape, words):
    check_error(lambda x: TF.interpolate(x, **kw), lambda x: EF.interpolate(x, **kw),
                inputs=[shape], words=words)


@pytest.mark.parametrize("ctor", [
    lambda nn: nn.Upsample(scale_factor=2),
    lambda nn: nn.Upsample(size=(3, 9), mode="bilinear", align_corners=True),
    lambda nn: nn.Upsample(scale_factor=(1.5, 0.5), mode="bicubic"),
    lambda nn: nn.UpsamplingNearest2d(scale_factor=3),
    lambda nn: nn.UpsamplingBilinear2d(size=6),
])
def test_modules(ctor):
    assert repr(ctor(enn)) == repr(ctor(torch.nn))
    check_op([(2, 3, 4, 5)], lambda x: ctor(torch.nn)(x), lambda x: ctor(enn)(x))

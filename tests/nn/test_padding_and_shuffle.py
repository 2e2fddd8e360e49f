"""Padding modules and pixel (un)shuffle against torch: values, gradients, reprs, errors."""

import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import check_error, check_op

import ember
import ember.nn as enn
import ember.nn.functional as EF

KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("padding", ["int", "tuple"])
def test_padding_modules(kind, dims, padding):
    pad = 2 if padding == "int" else (1, 2, 0, 1, 2, 1)[:2 * dims]
    name = f"{kind}{dims}d"
    args = (pad, 0.5) if kind == "ConstantPad" else (pad,)
    t_mod, e_mod = getattr(torch.nn, name)(*args), getattr(enn, name)(*args)
    assert repr(e_mod) == repr(t_mod)
    shape = (2, 3, *(4, 5, 3)[:dims])
    check_op([shape], lambda x: t_mod(x), lambda x: e_mod(x))


@pytest.mark.parametrize("r, shape", [(2, (1, 8, 3, 2)), (3, (2, 1, 9, 2, 2)), (1, (4, 2, 2))])
def test_pixel_shuffle_round_trip(r, shape):
    check_op([shape], lambda x: TF.pixel_shuffle(x, r), lambda x: EF.pixel_shuffle(x, r))
    out = (*shape[:-3], shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    check_op([out], lambda x: torch.pixel_unshuffle(x, r), lambda x: ember.pixel_unshuffle(x, r))
    assert repr(enn.PixelShuffle(r)) == repr(torch.nn.PixelShuffle(r))
    assert repr(enn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))
    check_op([shape], lambda x: torch.nn.PixelShuffle(r)(x), lambda x: enn.PixelShuffle(r)(x))


@pytest.mark.parametrize("fn, shape, factor, words", [
    ("pixel_shuffle", (4, 4), 2, ["at least 3 dimensions, but got input with 2 dimension(s)"]),
    ("pixel_shuffle", (5, 4, 4), 2, ["input.size(-3)=5 is not divisible by 4"]),
    ("pixel_shuffle", (4, 4, 4), 0, ["expects a positive upscale_factor, but got 0"]),
    ("pixel_unshuffle", (1, 5, 4), 2, ["height to be divisible", "input.size(-2)=5"]),
    ("pixel_unshuffle", (1, 4, 5), 2, ["width to be divisible", "input.size(-1)=5"]),
    ("pixel_unshuffle", (1, 4, 4), -1, ["expects a positive downscale_factor, but got -1"]),
])
def test_pixel_shuffle_errors(fn, shape, factor, words):
    check_error(lambda x: getattr(torch, fn)(x, factor), lambda x: getattr(ember, fn)(x, factor),
                inputs=[shape], words=words)

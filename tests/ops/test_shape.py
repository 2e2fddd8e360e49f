"""Views and copies: reshape/view, squeeze, permute, expand, repeat, split, cat, pad, ..."""

import numpy as np
import pytest
import torch
from tests.torch_compare import check_error, check_op, fn_pair, gradcheck

import ember

# each: a function both libraries run the same way, on a (2, 3, 4) input
VIEWS = {
    "reshape": lambda x: x.reshape(4, 6), "reshape_tuple": lambda x: x.reshape((6, -1)),
    "reshape_fn": lambda x: x.reshape(-1), "view": lambda x: x.view(3, 8),
    "view_infer": lambda x: x.view(-1, 4), "flatten": lambda x: x.flatten(),
    "flatten_1": lambda x: x.flatten(1), "flatten_0_1": lambda x: x.flatten(0, 1),
    "unsqueeze_0": lambda x: x.unsqueeze(0), "unsqueeze_neg": lambda x: x.unsqueeze(-1),
    "unsqueeze_mid": lambda x: x.unsqueeze(2), "squeeze": lambda x: x.unsqueeze(1).squeeze(),
    "squeeze_dim": lambda x: x.unsqueeze(1).squeeze(1), "squeeze_noop": lambda x: x.squeeze(0),
    "squeeze_tuple": lambda x: x.reshape(1, 2, 1, 12).squeeze((0, 2)),
    "permute": lambda x: x.permute(2, 0, 1), "permute_tuple": lambda x: x.permute((1, 2, 0)),
    "permute_neg": lambda x: x.permute(-1, -3, -2), "transpose": lambda x: x.transpose(0, 2),
    "transpose_neg": lambda x: x.transpose(-1, -2), "swapaxes": lambda x: x.swapaxes(0, 1),
    "mT": lambda x: x.mT, "movedim": lambda x: x.movedim(0, -1),
    "expand": lambda x: x[:, :1].expand(2, 5, 4), "expand_neg": lambda x: x[:1].expand(3, -1, -1),
    "expand_new_dims": lambda x: x.expand(2, 2, 3, 4), "expand_as": lambda x: x[0].expand_as(x),
    "repeat": lambda x: x.repeat(2, 1, 3), "repeat_more": lambda x: x.repeat(2, 1, 1, 2),
    "tile": lambda x: x.tile((2,)), "contiguous": lambda x: x.transpose(0, 1).contiguous(),
    "narrow": lambda x: x.narrow(1, 1, 2), "narrow_neg": lambda x: x.narrow(-1, -3, 2),
    "flip": lambda x: x.flip(0), "flip_many": lambda x: x.flip((0, 2)),
    "flip_list": lambda x: x.flip([-1]), "roll": lambda x: x.roll(1, 0),
    "roll_many": lambda x: x.roll((1, -2), (0, 2)), "roll_flat": lambda x: x.roll(5),
    "unflatten": lambda x: x.unflatten(2, (2, 2)), "view_as": lambda x: x.view_as(x.t() if
                                                                                   False else x),
    "tril": lambda x: x.tril(), "triu": lambda x: x.triu(1), "tril_neg": lambda x: x.tril(-1),
    "diagonal": lambda x: x.diagonal(), "diagonal_off": lambda x: x.diagonal(1, 1, 2),
    "diagonal_neg": lambda x: x.diagonal(-1, -1, 0), "T_2d": lambda x: x[0].T,
    "t": lambda x: x[0].t(), "t_1d": lambda x: x[0, 0].t(),
}


@pytest.mark.parametrize("name", VIEWS)
def test_view_ops(name):
    check_op([(2, 3, 4)], VIEWS[name])


@pytest.mark.parametrize("name", ["reshape", "flatten", "permute", "expand", "repeat", "flip",
                                  "roll", "narrow", "squeeze_dim", "diagonal"])
def test_view_ops_noncontiguous(name):
    check_op([(2, 3, 4)], VIEWS[name], noncontig=True)


def test_function_forms():
    for name, args in [("reshape", ((4, 6),)), ("flatten", (1,)), ("squeeze", ()),
                       ("unsqueeze", (1,)), ("permute", ((2, 0, 1),)), ("transpose", (0, 1)),
                       ("narrow", (2, 1, 2)), ("flip", ((0,),)), ("roll", (1, 1)),
                       ("movedim", (1, 0)), ("tile", ((1, 2),))]:
        check_op([(2, 3, 4)], *fn_pair(name, *args))
    check_op([(3, 4)], lambda x: torch.t(x), lambda x: ember.t(x))
    check_op([(1, 4)], lambda x: torch.broadcast_to(x, (3, 4)),
             lambda x: ember.broadcast_to(x, (3, 4)))


def test_zero_dim_and_empty():
    check_op([()], lambda x: x.reshape(1, 1))
    check_op([()], lambda x: x.unsqueeze(0))
    check_op([()], lambda x: x.flatten())
    check_op([()], lambda x: x.expand(3, 2))
    check_op([()], lambda x: x.t())
    check_op([()], lambda x: x.T)
    check_op([()], lambda x: x.repeat(3))
    check_op([(1,)], lambda x: x.squeeze())
    check_op([(0, 3)], lambda x: x.reshape(3, 0))
    check_op([(0, 3)], lambda x: x.t())
    check_op([(0, 3)], lambda x: x.flip(0))


def test_views_share_storage_and_version():
    for view in (lambda x: x.view(6), lambda x: x.t(), lambda x: x[1:], lambda x: x.narrow(0, 0, 1),
                 lambda x: x.unsqueeze(0), lambda x: x.expand(2, 2, 3),
                 lambda x: x.permute(1, 0)):
        base = ember.zeros(2, 3)
        v = view(base)
        base.add_(1)
        assert float(v.sum()) == v.numel(), "the view did not see the in-place change"
        assert v._version == base._version


@pytest.mark.parametrize("size_or_sections,dim", [(2, 0), (2, 1), ([1, 2], 1), (3, -1),
                                                  ((1, 3), 2), (5, 1)])
def test_split(size_or_sections, dim):
    check_op([(3, 3, 4)], lambda x: x.split(size_or_sections, dim))
    check_op([(3, 3, 4)], lambda x: torch.split(x, size_or_sections, dim),
             lambda x: ember.split(x, size_or_sections, dim))


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 1), (4, 2), (5, 1), (1, 0), (3, 0)])
def test_chunk(chunks, dim):
    check_op([(4, 5, 6)], lambda x: x.chunk(chunks, dim))
    check_op([(4, 5, 6)], lambda x: torch.chunk(x, chunks, dim),
             lambda x: ember.chunk(x, chunks, dim))


def test_chunk_uneven_count_matches_torch():
    # torch.chunk(6 elements, 4) gives 3 chunks of 2 (not 4); check the count, too
    for n, chunks in [(6, 4), (5, 3), (7, 7), (10, 4), (0, 2), (3, 5)]:
        t = torch.zeros(n).chunk(chunks)
        e = ember.zeros(n).chunk(chunks)
        assert [c.shape[0] for c in e] == [c.shape[0] for c in t], (n, chunks)


def test_unbind():
    check_op([(3, 4)], lambda x: x.unbind(1))
    check_op([(3, 4)], lambda x: torch.unbind(x), lambda x: ember.unbind(x))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(dim):
    check_op([(2, 3), (2, 3), (2, 3)], lambda a, b, c: torch.cat([a, b, c], dim),
             lambda a, b, c: ember.cat([a, b, c], dim))
    check_op([(2, 3), (2, 3)], lambda a, b: torch.stack((a, b), dim),
             lambda a, b: ember.stack((a, b), dim))
    check_op([(2, 3), (2, 3)], lambda a, b: torch.stack([a, b], dim=dim - 1 if dim >= 0 else -3),
             lambda a, b: ember.stack([a, b], dim=dim - 1 if dim >= 0 else -3))


def test_cat_variants():
    check_op([(2, 3), (4, 3)], lambda a, b: torch.cat([a, b]), lambda a, b: ember.cat([a, b]))
    check_op([(2, 3), (2, 1)], lambda a, b: torch.cat([a, b], 1), lambda a, b: ember.cat([a, b], 1))
    check_op([(2, 3), (0,)], lambda a, b: torch.cat([a, b]), lambda a, b: ember.cat([a, b]))
    check_op([(2, 3), (0, 3)], lambda a, b: torch.cat([a, b]), lambda a, b: ember.cat([a, b]))
    check_op([(2, 3), (4, 3)], lambda a, b: torch.cat((a, b), dim=-2),
             lambda a, b: ember.cat((a, b), dim=-2))
    check_op([(3, 2), (3, 2)], lambda a, b: torch.cat([a, b], 0), noncontig=True,
             ember_fn=lambda a, b: ember.cat([a, b], 0))
    check_op([(2, 3), np.array([[1, 2, 3]])], lambda a, b: torch.cat([a, b]),
             lambda a, b: ember.cat([a, b]))
    check_op([(2,), (3,)], lambda a, b: torch.hstack([a, b]), lambda a, b: ember.hstack([a, b]))
    check_op([(3,), (3,)], lambda a, b: torch.vstack([a, b]), lambda a, b: ember.vstack([a, b]))
    check_op([(), ()], lambda a, b: torch.stack([a, b]), lambda a, b: ember.stack([a, b]))


def test_cat_stack_errors():
    check_error(lambda a, b: torch.cat([a, b]), lambda a, b: ember.cat([a, b]),
                inputs=[(2, 3), (2, 4)],
                words=("Sizes of tensors must match except in dimension 0",))
    check_error(lambda a, b: torch.cat([a, b]), lambda a, b: ember.cat([a, b]),
                inputs=[(2, 3), (3,)], words=("Tensors must have same number of dimensions",))
    check_error(lambda a, b: torch.stack([a, b]), lambda a, b: ember.stack([a, b]),
                inputs=[(2, 3), (3, 2)], words=("stack expects each tensor to be equal size",))
    check_error(lambda: torch.cat([]), lambda: ember.cat([]), words=("non-empty",))
    check_error(lambda a: torch.cat([a]), lambda a: ember.cat([a]), inputs=[()],
                words=("zero-dimensional tensor",))


@pytest.mark.parametrize("pad", [(1, 1), (0, 2), (1, 2, 3, 0), (2, 1, 0, 1, 1, 1), (-1, 1),
                                 (-1, -1, 2, -1), (0, 0), (1, -2)])
def test_pad(pad):
    import torch.nn.functional as F

    check_op([(2, 3, 4)], lambda x: F.pad(x, pad), lambda x: ember.pad(x, pad))
    check_op([(2, 3, 4)], lambda x: F.pad(x, pad, value=1.5),
             lambda x: ember.pad(x, pad, value=1.5), noncontig=True)


def test_pad_errors():
    import torch.nn.functional as F

    check_error(lambda x: F.pad(x, (1,)), lambda x: ember.pad(x, (1,)), inputs=[(2, 3)],
                words=("Padding length must be divisible by 2",))
    check_error(lambda x: F.pad(x, (1, 1) * 3), lambda x: ember.pad(x, (1, 1) * 3),
                inputs=[(2, 3)], words=("Padding length",))


def test_shape_errors():
    check_error(lambda x: x.view(5), inputs=[(2, 3)],
                words=("shape '[5]' is invalid for input of size 6",))
    check_error(lambda x: x.reshape(-1, -1), inputs=[(2, 3)],
                words=("only one dimension can be inferred",))
    check_error(lambda x: x.t().view(6), inputs=[(2, 3)], words=("view size is not compatible",))
    check_error(lambda x: x.permute(0, 0), inputs=[(2, 3)], words=("duplicate",))
    check_error(lambda x: x.permute(0), inputs=[(2, 3)], words=("number of dimensions",))
    check_error(lambda x: x.transpose(0, 2), inputs=[(2, 3)], words=("Dimension out of range",))
    check_error(lambda x: x.unsqueeze(3), inputs=[(2, 3)], words=("Dimension out of range",))
    check_error(lambda x: x.expand(3, 4), inputs=[(2, 3)], words=("must match the existing size",))
    check_error(lambda x: x.expand(3), inputs=[(2, 3)], words=("the number of sizes provided",))
    check_error(lambda x: x.repeat(2), inputs=[(2, 3)],
                words=("Number of dimensions of repeat dims",))
    check_error(lambda x: x.narrow(1, 2, 2), inputs=[(2, 3)], words=("exceeds dimension size",))
    check_error(lambda x: x.t(), inputs=[(2, 3, 4)],
                words=("t() expects a tensor with <= 2 dimensions",))
    check_error(lambda x: x.flatten(1, 0), inputs=[(2, 3)],
                words=("start_dim cannot come after end_dim",))
    check_error(lambda x: x.split([1, 1]), inputs=[(3, 2)],
                words=("split_with_sizes expects split_sizes to sum exactly to 3",))


@pytest.mark.parametrize("name", ["permute", "expand", "repeat", "flip", "roll", "narrow",
                                  "diagonal", "tril", "unflatten"])
def test_gradcheck(name):
    assert gradcheck(VIEWS[name], [(2, 3, 4)])


def test_cat_stack_pad_gradcheck():
    assert gradcheck(lambda a, b: ember.cat([a, b * 2], 1), [(2, 3), (2, 2)])
    assert gradcheck(lambda a, b: ember.stack([a, b * 2], 1), [(2, 3), (2, 3)])
    assert gradcheck(lambda a: ember.pad(a, (1, -1, 2, 0)), [(2, 3)])
    assert gradcheck(lambda a: a.split(2, 1)[1] * 3, [(2, 5)])


def test_small_added_ops():
    check_op([(2, 3, 4)], *fn_pair("ravel"))
    check_op([(2, 3, 4)], *fn_pair("select", 1, -1))
    check_op([(3, 1), (4,)], lambda a, b: torch.broadcast_tensors(a, b),
             lambda a, b: ember.broadcast_tensors(a, b))
    assert ember.broadcast_shapes((3, 1), (4,), (2, 1, 1)) == \
        torch.broadcast_shapes((3, 1), (4,), (2, 1, 1))
    for indexing in ("ij", "xy"):
        check_op([(3,), (4,), (2,)], lambda *xs, i=indexing: torch.meshgrid(*xs, indexing=i),
                 lambda *xs, i=indexing: ember.meshgrid(*xs, indexing=i))
    for k in (0, 1, -2):
        check_op([(3,)], *fn_pair("diag", k))
        check_op([(3, 4)], *fn_pair("diag", k))
    check_op([(3, 4)], *fn_pair("trace"))
    check_op([(2, 3)], *fn_pair("repeat_interleave", 2))
    check_op([(2, 3)], *fn_pair("repeat_interleave", 2, 1))
    check_op([(2, 3), np.array([1, 0, 2])], lambda x, r: torch.repeat_interleave(x, r, dim=1),
             lambda x, r: ember.repeat_interleave(x, r, dim=1))
    check_error(lambda a, b: torch.broadcast_tensors(a, b),
                lambda a, b: ember.broadcast_tensors(a, b), inputs=[(2, 3), (4,)],
                words=("must match",))
    check_error(*fn_pair("diag"), inputs=[(2, 2, 2)], words=("diag(): Supports 1D or 2D",))
    check_error(*fn_pair("trace"), inputs=[(2,)], words=("trace: expected a matrix",))

"""Autograd through the dropout family: gradcheck, in-place, saved bytes, storage modes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd.gradcheck import gradcheck

VARIANTS = [
    ("dropout", (4, 5, 3), {}),
    ("dropout", (4, 5, 3), {"broadcast_dims": (0,)}),  # general broadcast path
    ("dropout", (4, 5, 3), {"broadcast_dims": (2,)}),  # rows path
    ("dropout1d", (3, 4, 5), {}),
    ("dropout1d", (4, 5), {}),
    ("dropout2d", (2, 3, 4, 5), {}),
    ("dropout3d", (2, 3, 2, 2, 3), {}),
    ("dropout3d", (3, 2, 2, 3), {}),
    ("alpha_dropout", (4, 5, 3), {}),
    ("alpha_dropout", (4, 5, 3), {"broadcast_dims": (1,)}),
    ("feature_alpha_dropout", (2, 3, 4, 5), {}),
]


@pytest.fixture(params=["regenerate", "bits"])
def storage(request):
    with F.dropout_mask_storage(request.param):
        yield request.param


@pytest.mark.parametrize("name,shape,kw", VARIANTS)
@pytest.mark.parametrize("inplace", [False, True])
def test_gradcheck_every_variant(name, shape, kw, inplace, storage):
    fn = getattr(F, name)
    x = ember.randn(*shape, dtype=ember.float64, requires_grad=True)

    def f(inp):
        # A fresh generator with the same seed per evaluation: the mask is fixed.
        g = ember.Generator().manual_seed(1234)
        src = inp * 1 if inplace else inp
        return fn(src, 0.4, True, inplace, generator=g, **kw)

    assert gradcheck(f, (x,))


def test_gradient_is_grad_times_mask_times_scale(storage):
    x = ember.randn(1000, requires_grad=True)
    y = F.dropout(x, 0.3, True, generator=ember.Generator().manual_seed(3))
    g = ember.randn(1000)
    y.backward(g)
    keep = y.detach().numpy() != 0
    scale = np.float32(1) / np.float32(1 - 0.3)
    assert np.array_equal(x.grad.numpy(), g.numpy() * np.where(keep, scale, np.float32(0)))


def test_both_storage_modes_give_identical_results():
    outs = []
    for mode in ("bits", "regenerate"):
        ember.manual_seed(0)  # the same inputs in both modes
        with F.dropout_mask_storage(mode):
            for name, shape, kw in VARIANTS:
                x = ember.randn(*shape, requires_grad=True)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    y = getattr(F, name)(x, 0.5, True, generator=ember.Generator().manual_seed(5),
                                         **kw)
                y.backward(ember.ones(*shape))
                outs.append((mode, y.detach().numpy(), x.grad.numpy()))
    half = len(outs) // 2
    for (_, y1, g1), (_, y2, g2) in zip(outs[:half], outs[half:], strict=True):
        assert np.array_equal(y1, y2) and np.array_equal(g1, g2)


def test_default_storage_is_bits():
    assert F.get_dropout_mask_storage() == "bits"


def test_storage_switch_rejects_unknown_modes():
    with pytest.raises(ValueError, match="must be one of"):
        F.set_dropout_mask_storage("bytes")
    with pytest.raises(ValueError, match="must be one of"), F.dropout_mask_storage("bytes"):
        pass
    assert F.get_dropout_mask_storage() == "bits"


def test_storage_context_manager_restores_the_previous_mode():
    x = ember.randn(1000, requires_grad=True)
    with pytest.raises(KeyError), F.dropout_mask_storage("regenerate"):
        assert F.get_dropout_mask_storage() == "regenerate"
        y = F.dropout(x, 0.5)
        raise KeyError("leaves the block")
    assert F.get_dropout_mask_storage() == "bits"
    assert len(y.grad_fn._saved) == 0  # the call inside the block saved no mask
    assert len(F.dropout(x, 0.5).grad_fn._saved) == 1


@pytest.mark.parametrize("name,shape", [("dropout", (1 << 20,)), ("alpha_dropout", (1 << 20,)),
                                        ("dropout2d", (16, 64, 32, 32)),
                                        ("dropout", (256, 4096))])
def test_graph_holds_at_most_one_bit_per_element(name, shape, storage):
    x = ember.randn(*shape, requires_grad=True)
    n = x.numel()
    y = getattr(F, name)(x, 0.5, True)
    node = y.grad_fn
    # Every array the node holds (saved values and ctx attributes), each counted once.
    nbytes = sum({id(a): a.nbytes for a in _arrays_of(node)}.values())
    assert nbytes <= n // 8 + 64
    if storage == "regenerate":
        assert nbytes == 0
    elif name == "dropout2d":
        assert nbytes <= 16 * 64 // 8 + 64  # one bit per channel
    else:
        assert nbytes == (n + 7) // 8
    y.sum().backward()
    assert x.grad is not None


def _arrays_of(node):
    """Arrays held by a node: its saved values and array-valued attributes of the ctx."""
    for a in node._saved:
        if isinstance(a, np.ndarray):
            yield a
    for value in vars(node).values():
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, (tuple, list)):
            yield from (v for v in value if isinstance(v, np.ndarray))


def test_in_place_bumps_version_and_keeps_autograd_correct():
    a = ember.randn(50, 40, requires_grad=True)
    b = a * 2
    v0 = b._version
    out = F.dropout(b, 0.5, True, True, generator=ember.Generator().manual_seed(1))
    assert out is b and b._version == v0 + 1
    (b * b).sum().backward()
    ga = a.grad.numpy().copy()

    a.grad = None
    c = F.dropout(a * 2, 0.5, True, False, generator=ember.Generator().manual_seed(1))
    (c * c).sum().backward()
    assert np.array_equal(ga, a.grad.numpy())


@pytest.mark.parametrize("fn", [F.dropout, F.alpha_dropout, F.dropout2d])
def test_in_place_on_a_tensor_saved_by_another_node_is_detected(fn):
    a = ember.randn(4, 3, 2, 2, requires_grad=True)
    b = a.sigmoid()  # sigmoid's backward needs its output b
    fn(b, 0.5, True, True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_in_place_on_leaf_and_view_of_leaf_rejected():
    a = ember.randn(4, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.dropout(a, 0.5, True, True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        F.dropout(a[0], 0.5, True, True)


def test_in_place_without_grad_writes_into_storage():
    base = ember.ones(10, 10)
    row = base[3]
    F.dropout(row, 0.5, True, True, generator=ember.Generator().manual_seed(0))
    assert set(np.unique(base.numpy()[3])) <= {0.0, 2.0}
    assert np.all(base.numpy()[[0, 1, 2, 4]] == 1)
    assert base._version == 1 and row._version == 1


def test_no_grad_records_nothing():
    x = ember.randn(100, requires_grad=True)
    with ember.no_grad():
        y = F.dropout(x, 0.5)
    assert y.grad_fn is None and not y.requires_grad


def test_bits_mode_second_backward_without_retain_graph_raises():
    with F.dropout_mask_storage("bits"):
        x = ember.randn(10, requires_grad=True)
        y = F.dropout(x, 0.5)
    y.sum().backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_regenerated_mask_survives_later_generator_use():
    """The regenerate mode rebuilds the forward's mask even after the generator moved on."""
    g = ember.Generator().manual_seed(42)
    x = ember.ones(5000, requires_grad=True)
    y = F.dropout(x, 0.5, generator=g)
    F.dropout(ember.ones(5000), 0.5, generator=g)  # advances g
    g.manual_seed(7)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())


def test_in_place_on_a_view_of_a_non_leaf_updates_the_base_history():
    a = ember.randn(4, 6, requires_grad=True)
    b = a * 1
    v = b[1]
    try:
        F.dropout(v, 0.5, True, True, generator=ember.Generator().manual_seed(2))
    except RuntimeError as e:  # a Tensor core that refuses to rebase views is acceptable
        assert "in-place" in str(e) or "inplace" in str(e)
        return
    b.backward(ember.ones(4, 6))
    expected = np.ones((4, 6), np.float32)
    mask = F.dropout(ember.ones(6), 0.5, True, generator=ember.Generator().manual_seed(2))
    expected[1] = mask.numpy()
    assert np.array_equal(a.grad.numpy(), expected)
    assert np.array_equal(b.detach().numpy()[1], a.detach().numpy()[1] * mask.numpy())

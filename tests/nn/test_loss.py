"""Losses against torch: values and gradients (input, target, weights), reductions, errors,
numerical stability with huge logits, and the loss layers."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.torch_compare import Const, check_error, check_op, gradcheck

import ember
import ember.nn.functional as EF

REDUCTIONS = ("mean", "sum", "none")
rng = np.random.default_rng(7)


def _targets(shape, n_classes, ignore=None, seed=0):
    t = np.random.default_rng(seed).integers(0, n_classes, size=shape).astype(np.int64)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


# (input shape, target shape): 2-D, 1-D (one sample), K-dim with 1 and 2 spatial dims
CE_SHAPES = [((5, 4), (5,)), ((4,), ()), ((3, 4, 5), (3, 5)), ((2, 3, 4, 2), (2, 4, 2))]


@pytest.mark.parametrize("shapes", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices(shapes, reduction):
    x_shape, t_shape = shapes
    c = x_shape[0] if len(x_shape) == 1 else x_shape[1]
    t = _targets(t_shape, c)
    check_op([x_shape, t], lambda x, y: TF.cross_entropy(x, y, reduction=reduction),
             lambda x, y: EF.cross_entropy(x, y, reduction=reduction))


@pytest.mark.parametrize("shapes", CE_SHAPES[:1] + CE_SHAPES[2:])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_weight_ignore_index_smoothing(shapes, reduction, smoothing):
    x_shape, t_shape = shapes
    c = x_shape[1]
    t = _targets(t_shape, c, ignore=-100 if smoothing else 2, seed=1)
    w = Const(np.random.default_rng(2).uniform(0.2, 2.0, c))
    ii = -100 if smoothing else 2

    def fn(F):
        return lambda x, y, w_: F.cross_entropy(x, y, weight=w_, ignore_index=ii,
                                                reduction=reduction, label_smoothing=smoothing)

    check_op([x_shape, t, w], fn(TF), fn(EF))
    check_op([x_shape, t], lambda x, y: TF.cross_entropy(
        x, y, ignore_index=ii, reduction=reduction, label_smoothing=smoothing),
        lambda x, y: EF.cross_entropy(x, y, ignore_index=ii, reduction=reduction,
                                      label_smoothing=smoothing))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_class_probabilities(reduction, smoothing):
    # the probability target requires grad: its gradient is compared too
    for shape in [(4, 5), (2, 3, 4), (5,)]:
        c = shape[1] if len(shape) > 1 else shape[0]
        p = np.random.default_rng(3).dirichlet(np.ones(c), size=int(np.prod(shape)) // c)
        p = p.reshape((shape[0], *shape[2:], c)) if len(shape) > 1 else p[0]
        if len(shape) > 2:
            p = np.moveaxis(p, -1, 1)
        w = Const(np.random.default_rng(4).uniform(0.5, 2.0, c))
        fn = lambda F: lambda x, y, w_: F.cross_entropy(  # noqa: E731
            x, y, weight=w_, reduction=reduction, label_smoothing=smoothing)
        check_op([shape, np.ascontiguousarray(p), w], fn(TF), fn(EF))
        check_op([shape, np.ascontiguousarray(p)],
                 lambda x, y: TF.cross_entropy(x, y, reduction=reduction),
                 lambda x, y: EF.cross_entropy(x, y, reduction=reduction))


def test_cross_entropy_all_targets_ignored_is_nan_like_torch():
    # the loss is nan and the gradient 0
    t = np.full(4, -100, dtype=np.int64)
    check_op([(4, 3), t], TF.cross_entropy, EF.cross_entropy)
    check_op([(4, 3), t], TF.nll_loss, EF.nll_loss)
    check_op([(4, 3), t], lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.2),
             lambda a, b: EF.cross_entropy(a, b, label_smoothing=0.2))


def test_cross_entropy_stable_for_huge_logits():
    for scale in (1e4, 1e30):
        x = np.array([[scale, -scale, 0.0], [-scale, scale, scale], [0.0, 0.0, -scale]])
        t = np.array([1, 2, 2])
        for smoothing in (0.0, 0.1):
            check_op([x, t], lambda a, b, s=smoothing: TF.cross_entropy(a, b, label_smoothing=s),
                     lambda a, b, s=smoothing: EF.cross_entropy(a, b, label_smoothing=s),
                     dtypes=(np.float64,) if scale > 1e4 else (np.float64, np.float32),
                     rtol=1e-6, atol=1e-6)
        e = EF.cross_entropy(ember.tensor(x, requires_grad=True), ember.tensor(t))
        assert np.isfinite(e.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    for x_shape, t_shape in CE_SHAPES:
        c = x_shape[0] if len(x_shape) == 1 else x_shape[1]
        t = _targets(t_shape, c, ignore=1 if t_shape else None, seed=5)
        w = Const(np.random.default_rng(6).uniform(0.5, 2.0, c))
        check_op([x_shape, t, w],
                 lambda x, y, w_: TF.nll_loss(x, y, w_, ignore_index=1, reduction=reduction),
                 lambda x, y, w_: EF.nll_loss(x, y, w_, ignore_index=1, reduction=reduction))


def test_cross_entropy_and_nll_gradcheck():
    t = _targets((4,), 3, ignore=-100)
    w = Const(np.array([0.5, 1.0, 2.0]))
    for red in REDUCTIONS:
        for ls in (0.0, 0.25):
            assert gradcheck(lambda x, y, w_, red=red, ls=ls: EF.cross_entropy(
                x, y, w_, reduction=red, label_smoothing=ls), [(4, 3), t, w])
        assert gradcheck(lambda x, y, red=red: EF.nll_loss(x, y, reduction=red), [(4, 3), t])
    t2 = _targets((2, 3), 4)
    assert gradcheck(lambda x, y: EF.cross_entropy(x, y), [(2, 4, 3), t2])
    p = np.random.default_rng(8).dirichlet(np.ones(3), size=4)
    assert gradcheck(lambda x, y: EF.cross_entropy(x, y, label_smoothing=0.1), [(4, 3), p])


def test_cross_entropy_errors_in_torch_words():
    x = (3, 5)
    cases = [
        ([x, np.array([1, 5, 2])], ["Target 5 is out of bounds."], IndexError),
        ([x, np.array([1, -2, 2])], ["Target -2 is out of bounds."], IndexError),
        ([x, np.array([1, 2])], ["Expected input batch_size (3) to match target batch_size (2)"],
         ValueError),
        ([(2, 5, 4), np.zeros((2, 3), dtype=np.int64)], ["Expected target size [2, 4], got [2, 3]"],
         RuntimeError),
        ([(2, 5, 4, 3), np.zeros((2, 4), dtype=np.int64)],
         ["only batches of spatial targets supported"], RuntimeError),
        ([x, Const(np.ones((3, 4)))], ["0D or 1D target tensor expected"], RuntimeError),
        ([x, Const(np.ones(3))], ["expected target dtype to be Long or Byte, but got Float"],
         RuntimeError),
        ([x, np.zeros(3, dtype=np.int32)],
         ["expected target dtype to be Long or Byte, but got Int"], RuntimeError),
        ([(5,), np.zeros(3, dtype=np.int64)], ["For 1D input, 1D target must have size 1"],
         ValueError),
    ]
    for inputs, words, _ in cases:
        check_error(TF.cross_entropy, EF.cross_entropy, inputs=inputs, words=words)
        check_error(lambda a, b: TF.nll_loss(a, b), lambda a, b: EF.nll_loss(a, b),
                    inputs=inputs, words=words[:1] if "dtype" not in words[0] else words)
    check_error(lambda a, b, w: TF.cross_entropy(a, b, weight=w),
                lambda a, b, w: EF.cross_entropy(a, b, weight=w),
                inputs=[x, np.array([0, 1, 2]), Const(np.ones(4))],
                words=["weight tensor should be defined either for all 5 classes or no classes "
                       "but got weight tensor of shape: [4]"])
    check_error(lambda a, b: TF.cross_entropy(a, b, reduction="foo"),
                lambda a, b: EF.cross_entropy(a, b, reduction="foo"),
                inputs=[x, np.array([0, 1, 2])], words=["foo is not a valid value for reduction"])


PAIRWISE = {
    "mse_loss": {}, "l1_loss": {}, "smooth_l1_loss": {"beta": 0.5},
    "huber_loss": {"delta": 0.7},
}


@pytest.mark.parametrize("name", PAIRWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(name, reduction):
    kw = PAIRWISE[name]
    for shape in [(4, 5), (), (2, 3, 2)]:
        check_op([shape, shape], lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kw),
                 lambda a, b: getattr(EF, name)(a, b, reduction=reduction, **kw))
    assert gradcheck(lambda a, b: getattr(EF, name)(a, b, reduction=reduction, **kw),
                     [(3, 4), (3, 4)])
    if name == "smooth_l1_loss":
        check_op([(4, 5), (4, 5)], lambda a, b: TF.smooth_l1_loss(a, b, beta=0.0),
                 lambda a, b: EF.smooth_l1_loss(a, b, beta=0.0))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_losses_with_weight(name):
    for reduction in REDUCTIONS:
        check_op([(4, 3), (4, 3), Const(rng.uniform(0.1, 2, (4, 3)))],
                 lambda a, b, w, r=reduction: getattr(TF, name)(a, b, reduction=r, weight=w),
                 lambda a, b, w, r=reduction: getattr(EF, name)(a, b, reduction=r, weight=w))


def test_regression_broadcast_warns_like_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_op([(3, 1), (3,)], TF.mse_loss, EF.mse_loss)
    messages = [str(w.message) for w in caught]
    assert any("ember.Size([3])" in m and "different to the input size" in m for m in messages)
    check_error(TF.mse_loss, EF.mse_loss, inputs=[(3,), (4,)],
                words=["The size of tensor a (3) must match the size of tensor b (4)"])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    x = np.random.default_rng(9).uniform(0.02, 0.98, (4, 3))
    t = np.random.default_rng(10).uniform(0, 1, (4, 3))
    w = Const(np.random.default_rng(11).uniform(0.5, 2, (3,)))
    check_op([x, t], lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction),
             lambda a, b: EF.binary_cross_entropy(a, b, reduction=reduction))
    check_op([x, t, w], lambda a, b, w_: TF.binary_cross_entropy(a, b, w_, reduction=reduction),
             lambda a, b, w_: EF.binary_cross_entropy(a, b, w_, reduction=reduction))
    # as torch: no gradient for the weight
    check_error(lambda a, b, w_: TF.binary_cross_entropy(a, b, w_, reduction=reduction),
                lambda a, b, w_: EF.binary_cross_entropy(a, b, w_, reduction=reduction),
                inputs=[x, t, np.array([0.5, 1.0, 2.0])], words=["not differentiable"])
    assert gradcheck(lambda a, b: EF.binary_cross_entropy(a, b, reduction=reduction),
                     [x[:2], t[:2]])


def test_binary_cross_entropy_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    check_op([x, Const(t)], lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
             lambda a, b: EF.binary_cross_entropy(a, b, reduction="none"))
    check_error(TF.binary_cross_entropy, EF.binary_cross_entropy,
                inputs=[Const(np.array([1.5, 0.2])), Const(np.array([1.0, 0.0]))],
                words=["all elements of input should be between 0 and 1"])
    check_error(TF.binary_cross_entropy, EF.binary_cross_entropy,
                inputs=[Const(np.array([0.5, 0.2])), Const(np.array([[1.0], [0.0]]))],
                words=["that is different to the input size", "Please ensure they have the "
                       "same size."])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    t = np.random.default_rng(12).uniform(0, 1, (4, 3))
    w = np.random.default_rng(13).uniform(0.5, 2, (3,))
    pw = np.random.default_rng(14).uniform(0.5, 3, (3,))
    check_op([(4, 3), t], lambda a, b: TF.binary_cross_entropy_with_logits(
        a, b, reduction=reduction),
        lambda a, b: EF.binary_cross_entropy_with_logits(a, b, reduction=reduction),
        low=-4, high=4)
    # input and target gradients compared (torch has none for weight and pos_weight; Ember
    # differentiates pos_weight too, checked by finite differences)
    fn = lambda F: lambda a, b, w_, p_: F.binary_cross_entropy_with_logits(  # noqa: E731
        a, b, w_, reduction=reduction, pos_weight=p_)
    check_op([(4, 3), t, Const(w), Const(pw)], fn(TF), fn(EF), low=-4, high=4)
    assert gradcheck(fn(EF), [(2, 3), t[:2], Const(w), pw], low=-3, high=3)
    check_error(fn(TF), fn(EF), inputs=[(4, 3), t, w, Const(pw)], words=["not differentiable"])


def test_binary_cross_entropy_with_logits_stable_for_huge_logits():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 80.0, -80.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.2, 0.9])
    for pw in (None, Const(np.array(2.5))):
        specs = [x, Const(t)] + ([pw] if pw is not None else [])
        check_op(specs, lambda a, b, *p: TF.binary_cross_entropy_with_logits(
            a, b, reduction="none", pos_weight=p[0] if p else None),
            lambda a, b, *p: EF.binary_cross_entropy_with_logits(
                a, b, reduction="none", pos_weight=p[0] if p else None))
    check_error(TF.binary_cross_entropy_with_logits, EF.binary_cross_entropy_with_logits,
                inputs=[(3,), (3, 1)], words=["must be the same as input size"])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div(reduction):
    p = np.random.default_rng(15).dirichlet(np.ones(4), size=3)
    p[0, 1] = 0.0  # 0 * log 0 = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op([(3, 4), Const(p)], lambda a, b: TF.kl_div(a, b, reduction=reduction),
                 lambda a, b: EF.kl_div(a, b, reduction=reduction))
        # a target that requires grad (away from 0, where torch's gradient is nan)
        check_op([(2, 4), p[1:] + 0.1], lambda a, b: TF.kl_div(a, b, reduction=reduction),
                 lambda a, b: EF.kl_div(a, b, reduction=reduction))
        check_op([(3, 4), (3, 4)], lambda a, b: TF.kl_div(a, b, reduction=reduction,
                                                          log_target=True),
                 lambda a, b: EF.kl_div(a, b, reduction=reduction, log_target=True))
        assert gradcheck(lambda a: EF.kl_div(a, ember.tensor(p[1:]), reduction=reduction),
                         [(2, 4)])


def test_soft_margin_and_poisson_nll():
    y = np.sign(np.random.default_rng(16).uniform(-1, 1, (3, 4)))
    for reduction in REDUCTIONS:
        check_op([(3, 4), Const(y)],
                 lambda a, b, r=reduction: TF.soft_margin_loss(a, b, reduction=r),
                 lambda a, b, r=reduction: EF.soft_margin_loss(a, b, reduction=r))
    counts = Const(np.array([[0.0, 1.0, 3.0], [5.0, 2.0, 0.0]]))
    for log_input in (True, False):
        for full in (False, True):
            check_op([(2, 3), counts],
                     lambda a, b, li=log_input, f=full: TF.poisson_nll_loss(a, b, li, f),
                     lambda a, b, li=log_input, f=full: EF.poisson_nll_loss(a, b, li, f),
                     low=0.1, high=2)


LOSS_MODULES = [
    ("CrossEntropyLoss", {}), ("CrossEntropyLoss", {"ignore_index": 1, "label_smoothing": 0.1}),
    ("NLLLoss", {"reduction": "sum"}), ("MSELoss", {}), ("L1Loss", {"reduction": "none"}),
    ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}), ("BCELoss", {}),
    ("BCEWithLogitsLoss", {}), ("KLDivLoss", {"reduction": "batchmean"}),
    ("SoftMarginLoss", {}), ("PoissonNLLLoss", {}), ("MSELoss", {"size_average": False}),
]


@pytest.mark.parametrize("name,kw", LOSS_MODULES)
def test_loss_modules_match_torch(name, kw):
    t_mod, e_mod = getattr(torch.nn, name)(**kw), getattr(ember.nn, name)(**kw)
    assert repr(e_mod) == repr(t_mod)
    assert e_mod.reduction == t_mod.reduction
    if name in ("CrossEntropyLoss", "NLLLoss"):
        specs = [(5, 4), _targets((5,), 4)]
    elif name == "BCELoss":
        specs = [np.random.default_rng(0).uniform(0.1, 0.9, (3, 4)), Const(rng.uniform(0, 1,
                                                                                    (3, 4)))]
    else:
        specs = [(3, 4), Const(rng.uniform(0, 1, (3, 4)))]
    check_op(specs, t_mod, e_mod)


def test_weighted_loss_modules_hold_weight_buffer():
    w = np.array([0.2, 1.0, 3.0])
    e_mod = ember.nn.CrossEntropyLoss(weight=ember.tensor(w))
    t_mod = torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(e_mod.state_dict()) == list(t_mod.state_dict()) == ["weight"]
    check_op([(4, 3), _targets((4,), 3)], t_mod, e_mod, dtypes=(np.float64,))
    e_bce = ember.nn.BCEWithLogitsLoss(pos_weight=ember.tensor([2.0]))
    t_bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))
    assert list(e_bce.state_dict()) == list(t_bce.state_dict())
    check_op([(4, 1), Const(rng.uniform(0, 1, (4, 1)))], t_bce, e_bce, dtypes=(np.float32,))


SIGNS = np.array([1.0, -1.0, -1.0, 1.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(reduction):
    r = reduction
    check_op([(4,), (4,), Const(SIGNS)],
             lambda a, b, y: TF.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
             lambda a, b, y: EF.margin_ranking_loss(a, b, y, margin=0.3, reduction=r))
    check_op([(4, 3), Const(np.sign(rng.uniform(-1, 1, (4, 3))))],
             lambda a, y: TF.hinge_embedding_loss(a, y, margin=0.8, reduction=r),
             lambda a, y: EF.hinge_embedding_loss(a, y, margin=0.8, reduction=r))
    labels = Const((rng.uniform(0, 1, (4, 3)) > 0.5).astype(float))
    check_op([(4, 3), labels, Const(np.array([0.5, 1.0, 2.0]))],
             lambda a, y, w: TF.multilabel_soft_margin_loss(a, y, w, reduction=r),
             lambda a, y, w: EF.multilabel_soft_margin_loss(a, y, w, reduction=r))
    check_op([(4, 5), (4, 5), Const(SIGNS)],
             lambda a, b, y: TF.cosine_embedding_loss(a, b, y, margin=0.1, reduction=r),
             lambda a, b, y: EF.cosine_embedding_loss(a, b, y, margin=0.1, reduction=r))
    for p, swap in [(2.0, False), (1.0, True), (3.0, False)]:
        check_op([(4, 5), (4, 5), (4, 5)],
                 lambda a, b, c, p=p, s=swap: TF.triplet_margin_loss(a, b, c, p=p, swap=s,
                                                                     reduction=r),
                 lambda a, b, c, p=p, s=swap: EF.triplet_margin_loss(a, b, c, p=p, swap=s,
                                                                     reduction=r))
    t = _targets((4,), 5, seed=3)
    for p in (1, 2):
        check_op([(4, 5), t, Const(np.linspace(0.5, 2, 5))],
                 lambda a, y, w, p=p: TF.multi_margin_loss(a, y, p, 0.7, w, reduction=r),
                 lambda a, y, w, p=p: EF.multi_margin_loss(a, y, p, 0.7, w, reduction=r))
    check_op([(5,), np.array(2)], lambda a, y: TF.multi_margin_loss(a, y, reduction=r),
             lambda a, y: EF.multi_margin_loss(a, y, reduction=r))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(reduction):
    r = reduction
    for var_shape in [(4, 3), (4,), (4, 1)]:
        var = np.random.default_rng(17).uniform(0.2, 2.0, var_shape)
        check_op([(4, 3), (4, 3), var],
                 lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full=True, reduction=r),
                 lambda a, b, v: EF.gaussian_nll_loss(a, b, v, full=True, reduction=r))
    # a variance below eps is clamped for the value, its gradient passes unchanged
    tiny = np.array([[1e-9, 0.5, 1.0]] * 2)
    check_op([(2, 3), (2, 3), tiny], lambda a, b, v: TF.gaussian_nll_loss(a, b, v, eps=1e-3),
             lambda a, b, v: EF.gaussian_nll_loss(a, b, v, eps=1e-3))
    check_error(TF.gaussian_nll_loss, EF.gaussian_nll_loss,
                inputs=[(4, 3), (4, 3), Const(np.ones((3, 3)))], words=["var is of incorrect size"])
    check_error(TF.gaussian_nll_loss, EF.gaussian_nll_loss,
                inputs=[(4, 3), (4, 3), Const(-np.ones((4, 3)))],
                words=["var has negative entry/entries"])


def test_margin_losses_gradcheck():
    assert gradcheck(lambda a, b: EF.cosine_embedding_loss(a, b, ember.tensor(SIGNS[:2])),
                     [(2, 3), (2, 3)])
    assert gradcheck(lambda a, b, c: EF.triplet_margin_loss(a, b, c, swap=True),
                     [(3, 4), (3, 4), (3, 4)])
    assert gradcheck(lambda a: EF.multi_margin_loss(a, ember.tensor([0, 2]), p=2), [(2, 3)])
    assert gradcheck(lambda a, v: EF.gaussian_nll_loss(a, ember.zeros(2, 3, dtype=ember.float64),
                                                       v), [(2, 3), np.full((2, 3), 0.7)])


MORE_LOSS_MODULES = [
    ("GaussianNLLLoss", {"full": True}), ("MarginRankingLoss", {"margin": 0.2}),
    ("HingeEmbeddingLoss", {"margin": 2.0}), ("MultiLabelSoftMarginLoss", {}),
    ("CosineEmbeddingLoss", {"margin": 0.5}), ("TripletMarginLoss", {"swap": True, "p": 1.0}),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}),
]


@pytest.mark.parametrize("name,kw", MORE_LOSS_MODULES)
def test_more_loss_modules_match_torch(name, kw):
    t_mod, e_mod = getattr(torch.nn, name)(**kw), getattr(ember.nn, name)(**kw)
    assert repr(e_mod) == repr(t_mod)
    signs = Const(SIGNS)
    specs = {
        "GaussianNLLLoss": [(4, 3), (4, 3), np.full((4, 1), 0.8)],
        "MarginRankingLoss": [(4,), (4,), signs],
        "HingeEmbeddingLoss": [(4,), signs],
        "MultiLabelSoftMarginLoss": [(4, 3), Const(np.eye(4, 3))],
        "CosineEmbeddingLoss": [(4, 3), (4, 3), signs],
        "TripletMarginLoss": [(4, 3), (4, 3), (4, 3)],
        "MultiMarginLoss": [(4, 3), _targets((4,), 3)],
    }[name]
    check_op(specs, t_mod, e_mod)


def test_legacy_size_average_reduce_flags_warn_and_map_like_torch():
    for size_average, reduce in [(False, None), (None, False), (True, True), (False, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            e_mod = ember.nn.MSELoss(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_mod = torch.nn.MSELoss(size_average=size_average, reduce=reduce)
        assert e_mod.reduction == t_mod.reduction


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 5), spatial=st.lists(st.integers(1, 3), max_size=2),
       reduction=st.sampled_from(REDUCTIONS), smoothing=st.sampled_from([0.0, 0.15]),
       ignore=st.booleans(), seed=st.integers(0, 2**16))
def test_cross_entropy_property_random_shapes(n, c, spatial, reduction, smoothing, ignore, seed):
    r = np.random.default_rng(seed)
    x = r.normal(0, 3, (n, c, *spatial))
    t = r.integers(0, c, (n, *spatial))
    if ignore:
        t.reshape(-1)[0] = -100
    w = r.uniform(0.5, 2.0, c)
    fn = lambda F: lambda a, b, w_: F.cross_entropy(  # noqa: E731
        a, b, w_, reduction=reduction, label_smoothing=smoothing)
    check_op([x, t, Const(w)], fn(TF), fn(EF), dtypes=(np.float64,))

"""The steps nn.functional shares between its functions, each held to torch through every user:
the losses' one reduction tail (and its gradient), the one arg-max pooling backward and window
max, and the named steps of multi_head_attention_forward."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.torch_compare import Const, both, check_op

import ember

RNG = np.random.default_rng(7)
PROBS = Const(RNG.uniform(0.05, 0.95, (3, 4)))
SIGNS = Const(np.where(RNG.random((3, 4)) < 0.5, -1.0, 1.0))
CLASSES = RNG.integers(0, 5, 4)


def _loss(name: str, reduction: str, **kw):
    def fn(*args):
        lib = ember if isinstance(args[0], ember.Tensor) else torch
        return getattr(lib.nn.functional, name)(*args, reduction=reduction, **kw)
    return fn


# (loss, input specs, keywords): nodes of their own (arrays reduced inside the forward) and
# compositions of ops (tensors reduced by the same tail)
LOSSES = [
    ("mse_loss", [(3, 4), (3, 4)], {}),
    ("mse_loss", [(3, 4), (3, 4)], {"weight": torch.rand(3, 4, dtype=torch.float64)}),
    ("l1_loss", [(3, 4), (3, 4)], {}),
    ("smooth_l1_loss", [(3, 4), (3, 4)], {"beta": 0.5}),
    ("huber_loss", [(3, 4), (3, 4)], {"delta": 0.7}),
    ("soft_margin_loss", [(3, 4), SIGNS], {}),
    ("binary_cross_entropy", [PROBS, PROBS], {}),
    ("binary_cross_entropy_with_logits", [(3, 4), PROBS], {}),
    ("cross_entropy", [(4, 5), CLASSES], {}),
    ("cross_entropy", [(4, 5), CLASSES], {"label_smoothing": 0.2}),
    ("cross_entropy", [(4, 5), Const(RNG.dirichlet(np.ones(5), 4))], {}),
    ("nll_loss", [(4, 5), CLASSES], {}),
    ("kl_div", [(3, 4), PROBS], {}),
    ("poisson_nll_loss", [(3, 4), PROBS], {}),
    ("gaussian_nll_loss", [(3, 4), (3, 4), Const(RNG.uniform(0.5, 2, (3, 4)))], {}),
    ("hinge_embedding_loss", [(3, 4), SIGNS], {}),
    ("margin_ranking_loss", [(6,), (6,), Const(np.array([1.0, -1, 1, -1, 1, 1]))], {}),
    ("triplet_margin_loss", [(3, 4), (3, 4), (3, 4)], {}),
]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(("name", "specs", "kw"), LOSSES,
                         ids=[f"{n}{'+' + ','.join(k) if k else ''}" for n, _, k in LOSSES])
def test_each_reduction_matches_torch(name, specs, kw, reduction):
    if name == "kl_div" and reduction == "mean":
        pytest.skip("kl_div's 'mean' warns; its reduction is tested with 'batchmean' below")
    weight = kw.get("weight")
    if weight is not None:  # the weight follows the dtype under test: one call per dtype
        for dtype, tdt in ((np.float64, torch.float64), (np.float32, torch.float32)):
            check_op(specs, _loss(name, reduction, weight=weight.to(tdt)),
                     _loss(name, reduction, weight=ember.tensor(weight.numpy().astype(dtype))),
                     dtypes=(dtype,))
        return
    check_op(specs, _loss(name, reduction, **kw))


def test_kl_div_batchmean_matches_torch():
    check_op([(3, 4), PROBS], _loss("kl_div", "batchmean"))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits",
                                  "soft_margin_loss"])
def test_mean_of_no_element_is_nan_with_an_empty_gradient(name):
    def run(M):
        x = M.zeros(0, 3, dtype=M.float64, requires_grad=True)
        loss = getattr(M.nn.functional, name)(x, M.ones(0, 3, dtype=M.float64))
        loss.backward()
        return loss, x.grad
    loss, grad = both(run)
    assert np.isnan(loss.item()) and tuple(grad.shape) == (0, 3)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_mean_over_only_ignored_targets_is_nan_with_zero_gradient(name):
    def run(M):
        x = M.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, 0.0]], dtype=M.float64, requires_grad=True)
        loss = getattr(M.nn.functional, name)(x, M.tensor([-100, -100]))
        loss.backward()
        return loss, x.grad
    loss, grad = both(run)
    assert np.isnan(loss.item()) and not grad.abs().sum().item()


def test_weighted_mean_divides_by_the_targets_weights():
    w = [0.2, 3.0, 1.0]
    check_op([(4, 3), np.array([0, 1, 1, 2])],
             lambda x, t: torch.nn.functional.cross_entropy(
                 x, t, weight=torch.tensor(w, dtype=x.dtype), ignore_index=2),
             lambda x, t: ember.nn.functional.cross_entropy(
                 x, t, weight=ember.tensor(w, dtype=x.dtype), ignore_index=2))


# -- max pooling: one window max and one backward for max_pool2d and adaptive_max_pool2d ----

_ZEROS = [[-0.0, 0.0, 0.0, -0.0], [0.0, -0.0, -0.0, 0.0]]


@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool2d(x, 2, return_indices=True),
    lambda F, x: F.adaptive_max_pool2d(x, (1, 2), return_indices=True),
    lambda F, x: F.max_pool1d(x[0], 2, return_indices=True),
], ids=["max_pool2d", "adaptive_max_pool2d", "max_pool1d"])
def test_tied_zeros_keep_the_first_taps_sign_and_gradient(pool):
    def run(M):
        x = M.tensor([_ZEROS], dtype=M.float64, requires_grad=True)
        out, idx = pool(M.nn.functional, x)
        out.backward(M.arange(1.0, out.numel() + 1, dtype=M.float64).reshape(out.shape))
        return M.signbit(out), idx, x.grad
    both(run)


@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool2d(x, 3, stride=2, padding=1),
    lambda F, x: F.adaptive_max_pool2d(x, (3, 2)),
], ids=["max_pool2d", "adaptive_max_pool2d"])
def test_gradient_goes_to_the_arg_max_with_nan_and_ties(pool):
    data = RNG.integers(0, 3, (2, 3, 5, 5)).astype(np.float64)  # many ties
    data[0, 1, 2, 2] = data[1, 0, 0, 4] = np.nan
    check_op([data], lambda x: pool(torch.nn.functional, x),
             lambda x: pool(ember.nn.functional, x))


# -- multi_head_attention_forward: its named steps, through the paths the module does not take

def _mha(M, need_weights: bool, static: bool, average: bool):
    """The outputs, weights and query/in-projection gradients of one call in library ``M``."""
    rng = np.random.default_rng(3)
    t = {k: M.tensor(rng.standard_normal(s), requires_grad=k in ("q", "w_in")) for k, s in (
        ("q", (5, 2, 6)), ("k", (4, 2, 6)), ("v", (4, 2, 6)), ("w_in", (18, 6)), ("b_in", (18,)),
        ("w_out", (6, 6)), ("b_out", (6,)), ("bias_k", (1, 1, 6)), ("bias_v", (1, 1, 6)),
        ("static_k", (6, 4, 2)), ("static_v", (6, 4, 2)))}
    mask = M.tensor(rng.random((5, 4)) < 0.3)
    padding = M.tensor([[False] * 4, [False, True, False, False]])
    bias_kv = (None, None) if static else (t["bias_k"], t["bias_v"])  # torch: not with static
    out, weights = M.nn.functional.multi_head_attention_forward(
        t["q"], t["k"], t["v"], 6, 3, t["w_in"], t["b_in"], *bias_kv, not static, 0.0,
        t["w_out"], t["b_out"], training=False, key_padding_mask=padding,
        need_weights=need_weights, attn_mask=mask, average_attn_weights=average,
        static_k=t["static_k"] if static else None, static_v=t["static_v"] if static else None)
    out.backward(M.tensor(rng.standard_normal(tuple(out.shape))))
    return out, weights, t["q"].grad, t["w_in"].grad


@pytest.mark.parametrize(("need_weights", "average"), [(True, True), (True, False),
                                                       (False, True)])
@pytest.mark.parametrize("static", [True, False], ids=["static_kv", "bias_kv_zero_attn"])
def test_multi_head_attention_forward_paths_match_torch(need_weights, average, static):
    both(lambda M: _mha(M, need_weights, static, average), rtol=1e-10, atol=1e-12)

"""nn.MultiheadAttention against torch with the same parameters: outputs, attention weights,
gradients of inputs and parameters, masks, layouts, options, dropout and errors."""

import numpy as np
import pytest
import torch
from tests.torch_compare import assert_same, check_error

import ember
import ember.nn as enn

E, HEADS, L, S, N = 12, 3, 4, 5, 2


def pair(dtype=np.float64, **kw):
    """The same MultiheadAttention in both libraries (torch's initialisation, copied)."""
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, HEADS, **kw).to(getattr(torch, np.dtype(dtype).name))
    e = enn.MultiheadAttention(E, HEADS, **kw, dtype=getattr(ember, np.dtype(dtype).name))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def inputs(shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    e = [ember.tensor(a, requires_grad=True) for a in arrays]
    return t, e


def compare(t_mod, e_mod, shapes, dtype=np.float64, t_kw=None, e_kw=None, rtol=1e-7,
            atol=1e-9):
    """Runs both modules on the same inputs and backpropagates one random cotangent; compares
    outputs, attention weights, input gradients and each parameter's gradient by name."""
    tol = {"rtol": rtol, "atol": atol}
    t_in, e_in = inputs(shapes, dtype)
    t_out, t_w = t_mod(*t_in, **(t_kw or {}))
    e_out, e_w = e_mod(*e_in, **(e_kw or {}))
    assert_same((e_out, e_w), (t_out, t_w), what="(output, weights)", **tol)
    cot = np.random.default_rng(9).standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(cot))
    e_out.backward(ember.tensor(cot))
    assert_same([x.grad for x in e_in], [x.grad for x in t_in], what="input grads", **tol)
    assert_same([(name, p.grad) for name, p in e_mod.named_parameters()],
                [(name, p.grad) for name, p in t_mod.named_parameters()],
                what="parameter grads", **tol)


SEQ = [(L, N, E), (S, N, E), (S, N, E)]


@pytest.mark.parametrize("kw", [
    {}, {"need_weights": False}, {"average_attn_weights": False},
])
def test_matches_torch(kw):
    compare(*pair(), SEQ, t_kw=kw, e_kw=kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_first_and_unbatched(dtype):
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {}
    compare(*pair(dtype, batch_first=True), [(N, L, E), (N, S, E), (N, S, E)], dtype, **tol)
    compare(*pair(dtype), [(L, E), (S, E), (S, E)], dtype, **tol)


@pytest.mark.parametrize("mod_kw", [
    {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True},
    {"kdim": 7, "vdim": 5}, {"kdim": 7, "vdim": 5, "add_bias_kv": True, "add_zero_attn": True},
])
def test_options(mod_kw):
    k, v = mod_kw.get("kdim", E), mod_kw.get("vdim", E)
    for kw in ({}, {"need_weights": False}):
        compare(*pair(**mod_kw), [(L, N, E), (S, N, k), (S, N, v)], t_kw=kw, e_kw=kw)


def masks():
    rng = np.random.default_rng(4)
    padding = np.zeros((N, S), dtype=bool)
    padding[0, [1, 3]] = True
    attn = rng.random((L, S)) < 0.3
    attn[:, 0] = False  # every query keeps a key
    attn3 = rng.standard_normal((N * HEADS, L, S))
    return padding, attn, attn3


@pytest.mark.parametrize("which", ["padding", "attn_bool", "attn_float", "attn_3d", "both",
                                   "both_add_zero_attn", "causal_hint"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_masks(which, need_weights):
    padding, attn, attn3 = masks()
    causal = np.triu(np.ones((L, S), dtype=bool), k=1)
    choice = {
        "padding": {"key_padding_mask": padding},
        "attn_bool": {"attn_mask": attn},
        "attn_float": {"attn_mask": np.where(attn, -1.5, 0.25)},
        "attn_3d": {"attn_mask": attn3},
        "both": {"key_padding_mask": padding, "attn_mask": attn},
        "both_add_zero_attn": {"key_padding_mask": padding, "attn_mask": attn},
        "causal_hint": {"attn_mask": causal, "is_causal": True},
    }[which]
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in choice.items()}
    e_kw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in choice.items()}
    t_kw["need_weights"] = e_kw["need_weights"] = need_weights
    mod_kw = {"add_zero_attn": True} if which == "both_add_zero_attn" else {}
    compare(*pair(**mod_kw), SEQ, t_kw=t_kw, e_kw=e_kw)


def test_state_dict_keys_repr_and_initialisation_statistics():
    for kw in ({}, {"kdim": 7, "vdim": 5, "add_bias_kv": True, "bias": False}):
        t = torch.nn.MultiheadAttention(E, HEADS, **kw)
        e = enn.MultiheadAttention(E, HEADS, **kw)
        assert list(e.state_dict()) == list(t.state_dict())
        assert repr(e) == repr(t)
        for name, p in e.named_parameters():
            assert tuple(p.shape) == tuple(dict(t.named_parameters())[name].shape), name
    # xavier-uniform in-projection: bounds sqrt(6 / (E + 3E)); zero biases
    e = enn.MultiheadAttention(64, 4)
    w = e.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 3 * 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not e.in_proj_bias.detach().numpy().any()
    assert not e.out_proj.bias.detach().numpy().any()


def test_dropout_only_in_training_and_reproducible():
    torch.manual_seed(0)
    mod = enn.MultiheadAttention(E, HEADS, dropout=0.5)
    x = ember.randn(L, N, E)
    mod.eval()
    a, _ = mod(x, x, x)
    b, _ = mod(x, x, x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    mod.train()
    ember.manual_seed(5)
    c, _wc = mod(x, x, x)
    ember.manual_seed(5)
    d, _wd = mod(x, x, x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())
    assert not np.allclose(c.detach().numpy(), a.detach().numpy())
    # averaged dropped weights: each head's kept weights are scaled by 2, dropped ones are 0
    mod2 = enn.MultiheadAttention(E, HEADS, dropout=0.5)
    _, w = mod2(x, x, x, average_attn_weights=False)
    w = w.detach().numpy()
    _, w_eval = mod2.eval()(x, x, x, average_attn_weights=False)
    w_eval = w_eval.detach().numpy()
    kept = w != 0
    np.testing.assert_allclose(w[kept], 2 * w_eval[kept], rtol=1e-6)
    assert 0.3 < kept.mean() < 0.7


def test_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        enn.MultiheadAttention(10, 3)
    t, e = pair()
    t_in, e_in = inputs(SEQ)
    check_error(lambda: t(*t_in, is_causal=True), lambda: e(*e_in, is_causal=True),
                words=["Need attn_mask if specifying the is_causal hint"])
    bad = np.ones((L, S + 1), dtype=bool)
    check_error(lambda: t(*t_in, attn_mask=torch.tensor(bad)),
                lambda: e(*e_in, attn_mask=ember.tensor(bad)),
                words=["The shape of the 2D attn_mask is", "but should be (4, 5)."])

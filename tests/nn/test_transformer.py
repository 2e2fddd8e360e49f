"""Transformer layers and stacks against torch with the same parameters: outputs and the
gradients of inputs and every parameter (dropout off: eval mode), masks, norm_first,
activations, batch_first; state_dict keys, initialisation, errors and dropout in training."""

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn

D, HEADS, FF, S, T, N = 8, 2, 16, 5, 4, 3


def same(t_mod, e_mod):
    e_mod.load_state_dict({k: ember.tensor(v.detach().numpy())
                           for k, v in t_mod.state_dict().items()})
    t_mod.eval()
    e_mod.eval()
    return t_mod, e_mod


def build(kind, **kw):
    torch.manual_seed(0)
    dt = torch.float64
    if kind == "encoder_layer":
        t = torch.nn.TransformerEncoderLayer(D, HEADS, FF, **kw).to(dt)
        e = enn.TransformerEncoderLayer(D, HEADS, FF, **kw, dtype=ember.float64)
    elif kind == "decoder_layer":
        t = torch.nn.TransformerDecoderLayer(D, HEADS, FF, **kw).to(dt)
        e = enn.TransformerDecoderLayer(D, HEADS, FF, **kw, dtype=ember.float64)
    elif kind == "encoder":
        t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, FF, **kw), 2,
                                        torch.nn.LayerNorm(D), enable_nested_tensor=False).to(dt)
        e = enn.TransformerEncoder(enn.TransformerEncoderLayer(D, HEADS, FF, **kw), 2,
                                   enn.LayerNorm(D)).double()
    else:
        t = torch.nn.Transformer(D, HEADS, 2, 1, FF, **kw).to(dt)
        e = enn.Transformer(D, HEADS, 2, 1, FF, **kw).double()
    return same(t, e)


def run(t_mod, e_mod, shapes, t_kw=None, e_kw=None):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_out = t_mod(*t_in, **(t_kw or {}))
    e_out = e_mod(*e_in, **(e_kw or {}))
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-7,
                               atol=1e-9)
    cot = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(cot))
    e_out.backward(ember.tensor(cot))
    for te, ee in zip(t_in, e_in, strict=True):
        np.testing.assert_allclose(ee.grad.numpy(), te.grad.numpy(), rtol=1e-7, atol=1e-9)
    t_params = dict(t_mod.named_parameters())
    names = [name for name, _ in e_mod.named_parameters()]
    assert names == list(t_params)
    for name, p in e_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-7,
                                   atol=1e-9, err_msg=name)


def masks(length, source):
    causal = np.triu(np.full((length, source), -np.inf), k=1)
    padding = np.zeros((N, source), dtype=bool)
    padding[1, -2:] = True
    return causal, padding


def pair_kw(**arrays):
    return ({k: torch.tensor(v) for k, v in arrays.items()},
            {k: ember.tensor(v) for k, v in arrays.items()})


@pytest.mark.parametrize("kw", [{}, {"norm_first": True}, {"activation": "gelu"},
                                {"batch_first": True}, {"bias": False}])
def test_encoder_layer(kw):
    shape = (N, S, D) if kw.get("batch_first") else (S, N, D)
    run(*build("encoder_layer", **kw), [shape])
    causal, padding = masks(S, S)
    t_kw, e_kw = pair_kw(src_mask=causal, src_key_padding_mask=padding)
    run(*build("encoder_layer", **kw), [shape], t_kw, e_kw)


@pytest.mark.parametrize("kw", [{}, {"norm_first": True}, {"batch_first": True}])
def test_decoder_layer(kw):
    shapes = [(N, T, D), (N, S, D)] if kw.get("batch_first") else [(T, N, D), (S, N, D)]
    run(*build("decoder_layer", **kw), shapes)
    causal, _ = masks(T, T)
    _, memory_padding = masks(T, S)
    t_kw, e_kw = pair_kw(tgt_mask=causal, memory_key_padding_mask=memory_padding)
    run(*build("decoder_layer", **kw), shapes, t_kw, e_kw)


def test_encoder_stack_and_transformer():
    run(*build("encoder"), [(S, N, D)])
    causal, padding = masks(S, S)
    t_kw, e_kw = pair_kw(mask=causal, src_key_padding_mask=padding)
    run(*build("encoder"), [(S, N, D)], t_kw, e_kw)
    run(*build("transformer"), [(S, N, D), (T, N, D)])
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(T).double().numpy()
    t_kw, e_kw = pair_kw(tgt_mask=tgt_mask, src_key_padding_mask=padding)
    run(*build("transformer", batch_first=False), [(S, N, D), (T, N, D)], t_kw, e_kw)


def test_square_subsequent_mask_keys_and_initialisation():
    np.testing.assert_array_equal(enn.Transformer.generate_square_subsequent_mask(5).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    e = enn.Transformer(D, HEADS, 2, 1, FF)
    t = torch.nn.Transformer(D, HEADS, 2, 1, FF)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    # every matrix Xavier-uniform: |w| <= sqrt(6 / (fan_in + fan_out))
    for name, p in e.named_parameters():
        if p.dim() > 1:
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= np.sqrt(6 / (fan_in + fan_out)), name
    layers = e.encoder.layers
    assert layers[0].linear1.weight is not layers[1].linear1.weight  # deep copies


def test_errors_and_dropout_in_training():
    e = enn.Transformer(D, HEADS, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        e(ember.zeros(S, 2, D), ember.zeros(T, 3, D))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        e(ember.zeros(S, 2, D), ember.zeros(T, 2, D + 1))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        enn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    layer = enn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.5)
    x = ember.randn(S, N, D)
    ember.manual_seed(2)
    a = layer(x).detach().numpy()
    ember.manual_seed(2)
    b = layer(x).detach().numpy()
    np.testing.assert_array_equal(a, b)
    c = layer.eval()(x).detach().numpy()
    assert not np.allclose(a, c)

"""RNN, LSTM, GRU and their cells against torch with the same parameters: outputs, final
states, gradients of inputs, initial states and every parameter; layouts, options, errors,
initialisation and dropout between layers."""

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn

IN, HID, L, N = 4, 5, 6, 3


def pair(name, *args, **kw):
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(*args, **kw).double()
    e = getattr(enn, name)(*args, **kw).double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def leaves(arrays):
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ember.tensor(a, requires_grad=True) for a in arrays])


def flat(out):
    if isinstance(out, tuple):
        return [x for o in out for x in flat(o)]
    return [out]


def compare(t_mod, e_mod, arrays, state_arity=0):
    """Feeds ``arrays`` (input, then states: grouped into a tuple for LSTM) to both."""
    t_in, e_in = leaves(arrays)

    def call(mod, ins):
        if len(ins) == 1:
            return mod(ins[0])
        hx = tuple(ins[1:]) if state_arity == 2 else ins[1]
        return mod(ins[0], hx)

    t_out, e_out = flat(call(t_mod, t_in)), flat(call(e_mod, e_in))
    assert len(t_out) == len(e_out)
    rng = np.random.default_rng(5)
    t_total = e_total = 0
    for t, e in zip(t_out, e_out, strict=True):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-7,
                                   atol=1e-10)
        c = rng.standard_normal(tuple(t.shape))
        t_total = t_total + (t * torch.tensor(c)).sum()
        e_total = e_total + (e * ember.tensor(c)).sum()
    t_total.backward()
    e_total.backward()
    for t, e in zip(t_in, e_in, strict=True):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-10)
    t_params = dict(t_mod.named_parameters())
    assert [n for n, _ in e_mod.named_parameters()] == list(t_params)
    for name, p in e_mod.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-7,
                                   atol=1e-10, err_msg=name)


def data(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


OPTIONS = [{}, {"num_layers": 2}, {"bidirectional": True},
           {"num_layers": 2, "bidirectional": True, "bias": False}, {"batch_first": True}]


@pytest.mark.parametrize("kw", OPTIONS)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_layers_match_torch(name, kw):
    t, e = pair(name, IN, HID, **kw)
    shape = (N, L, IN) if kw.get("batch_first") else (L, N, IN)
    compare(t, e, data(shape))
    states = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    arity = 2 if name == "LSTM" else 1
    compare(*pair(name, IN, HID, **kw), data(shape, *[(states, N, HID)] * arity, seed=1), arity)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(name):
    arity = 2 if name == "LSTM" else 1
    compare(*pair(name, IN, HID, num_layers=2), data((L, IN)))
    compare(*pair(name, IN, HID, num_layers=2), data((L, IN), *[(2, HID)] * arity), arity)


def test_rnn_relu_and_lstm_projection():
    compare(*pair("RNN", IN, HID, nonlinearity="relu", num_layers=2), data((L, N, IN)))
    compare(*pair("LSTM", IN, HID, proj_size=2, num_layers=2, bidirectional=True),
            data((L, N, IN)))
    compare(*pair("LSTM", IN, HID, proj_size=2), data((L, N, IN), (1, N, 2), (1, N, HID)), 2)


@pytest.mark.parametrize("name, arity", [("RNNCell", 1), ("LSTMCell", 2), ("GRUCell", 1)])
def test_cells_match_torch(name, arity):
    compare(*pair(name, IN, HID), data((N, IN)))
    compare(*pair(name, IN, HID), data((N, IN), *[(N, HID)] * arity, seed=2), arity)
    compare(*pair(name, IN, HID, bias=False), data((IN,), *[(HID,)] * arity, seed=3), arity)


def test_state_dict_repr_and_initialisation():
    for name, kw in [("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 3}),
                     ("GRU", {"batch_first": True, "dropout": 0.5, "num_layers": 2}),
                     ("RNN", {"nonlinearity": "relu", "bias": False}), ("LSTMCell", {}),
                     ("RNNCell", {"nonlinearity": "relu"})]:
        t = getattr(torch.nn, name)(IN, HID, **kw)
        e = getattr(enn, name)(IN, HID, **kw)
        assert list(e.state_dict()) == list(t.state_dict()), name
        assert repr(e) == repr(t), name
    bound = 1 / np.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in enn.LSTM(8, 64).parameters()])
    assert np.abs(values).max() <= bound
    assert abs(values.mean()) < 5 * bound / np.sqrt(3 * values.size)  # uniform: sd b/sqrt(3)


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    e = enn.LSTM(IN, HID, num_layers=2, dropout=0.5)
    x = ember.tensor(data((L, N, IN))[0], dtype=ember.float32)  # the module is float32
    ember.manual_seed(1)
    a = e(x)[0].detach().numpy()
    ember.manual_seed(1)
    b = e(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    e.eval()
    c = e(x)[0].detach().numpy()
    assert not np.allclose(a, c)
    one = enn.LSTM(IN, HID, num_layers=1, dropout=0.5)  # nothing between layers: no dropout
    np.testing.assert_array_equal(one(x)[0].detach().numpy(),
                                  one.eval()(x)[0].detach().numpy())


def test_errors():
    lstm = enn.LSTM(IN, HID)
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size"):
        lstm(ember.zeros(L, N, IN + 1))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(ember.zeros(1, L, N, IN))
    with pytest.raises(RuntimeError, match="Expected hidden\\[0\\] size \\(1, 3, 5\\)"):
        lstm(ember.zeros(L, N, IN), (ember.zeros(1, 2, HID), ember.zeros(1, 2, HID)))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        enn.LSTM(IN, HID, proj_size=HID)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        enn.GRU(IN, HID, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        enn.RNN(IN, HID, nonlinearity="sigmoid")

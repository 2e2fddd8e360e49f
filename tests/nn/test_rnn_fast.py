"""The fused recurrent layers (``ember.nn.functional.rnn`` + ``ember.kernels.rnn``) against
torch with copied weights, against Ember's reference path (ops one step at a time), and
against finite differences; the kernels' ``exp``/``tanh``/sigmoid against their NumPy
statements (bit for bit) and against float64 values (in ulps).

Tolerances. float64: a value is a chain of at most ``T`` recurrent steps, each a dot product
of ``H + I`` terms, and the weight gradients sum ``T * N`` products; with these sizes (``T``
6, ``N`` 3, ``H`` 5) a few ulps times ``(T * N + H) * T`` is about 1e-13 relative, and the
1e-10 used leaves room for cancellation near zero. float32: the same count with
``eps = 1.2e-7`` gives ``4 * eps * 23 * 6 = 6.6e-5``, hence 1e-4 (relative and absolute).
"""

import numpy as np
import pytest
import torch
from tests.torch_compare import assert_same, to_numpy

import ember
import ember.nn as enn
from ember.autograd.function import observe_ops
from ember.backend import get_backend
from ember.nn.functional import rnn as frnn
from ember.nn.modules import rnn as rnn_module

K = get_backend().kernels("rnn")
IN, HID, PROJ, L, N = 4, 5, 3, 6, 3
TOL = {np.float64: 1e-10, np.float32: 1e-4}


def pair(name, dtype, **kw):
    torch.manual_seed(0)
    t = getattr(torch.nn, name)(IN, HID, **kw).to(getattr(torch, np.dtype(dtype).name))
    e = getattr(enn, name)(IN, HID, **kw).to(getattr(ember, np.dtype(dtype).name))
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return t, e


def run(mod, lib, x, states, cotangents):
    """Forward, a random cotangent on every output, backward; returns outputs and grads."""
    xs = lib.tensor(x, requires_grad=True)
    hx = [lib.tensor(s, requires_grad=True) for s in states]
    if not hx:
        out = mod(xs)
    else:
        out = mod(xs, tuple(hx) if len(hx) == 2 else hx[0])
    flat = [out[0], *(out[1] if isinstance(out[1], tuple) else (out[1],))]
    total = sum((o * lib.tensor(c)).sum() for o, c in zip(flat, cotangents, strict=True))
    total.backward()
    grads = [xs.grad, *(h.grad for h in hx)]
    grads += [p.grad for _, p in mod.named_parameters()]
    return [o.detach() for o in flat], grads


def compare(name, dtype, kw, *, batched=True, with_state=False, reference=False):
    t_mod, e_mod = pair(name, dtype, **kw)
    rng = np.random.default_rng(1)
    directions = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    real = kw.get("proj_size", 0) or HID
    if batched:
        x_shape = (N, L, IN) if kw.get("batch_first") else (L, N, IN)
        lead = (layers * directions, N)
    else:
        x_shape, lead = (L, IN), (layers * directions,)
    x = rng.standard_normal(x_shape).astype(dtype)
    states = []
    if with_state:
        states.append(rng.standard_normal((*lead, real)).astype(dtype))
        if name == "LSTM":
            states.append(rng.standard_normal((*lead, HID)).astype(dtype))
    with torch.no_grad():
        t_out = t_mod(torch.tensor(x))
    shapes = [t_out[0].shape, *(o.shape for o in (t_out[1] if name == "LSTM" else (t_out[1],)))]
    cot = [rng.standard_normal(tuple(s)).astype(dtype) for s in shapes]
    t_vals, t_grads = run(t_mod, torch, x, states, cot)
    e_vals, e_grads = run(e_mod, ember, x, states, cot)
    tol = TOL[dtype]
    assert_same(e_vals, t_vals, rtol=tol, atol=tol, what="outputs")
    assert_same(e_grads, t_grads, rtol=tol, atol=tol, what="gradients")
    if reference:  # the fused path against Ember's own step-by-step composition of ops
        rnn_module._FUSED = False
        try:
            r_vals, r_grads = run(e_mod_copy(e_mod, name, dtype, kw), ember, x, states, cot)
        finally:
            rnn_module._FUSED = True
        assert_same(to_numpy(e_vals), to_numpy(r_vals), rtol=tol, atol=tol,
                    what="outputs vs reference")
        assert_same(to_numpy(e_grads), to_numpy(r_grads), rtol=tol, atol=tol,
                    what="gradients vs reference")


def e_mod_copy(e_mod, name, dtype, kw):
    twin = getattr(enn, name)(IN, HID, **kw).to(getattr(ember, np.dtype(dtype).name))
    twin.load_state_dict(e_mod.state_dict())
    return twin


CONFIGS = [{}, {"num_layers": 2}, {"bidirectional": True}, {"batch_first": True},
           {"num_layers": 2, "bidirectional": True, "bias": False}]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_layers_match_torch_and_reference(name, kw, dtype):
    compare(name, dtype, kw, reference=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_given_states_and_unbatched_input(name, dtype):
    compare(name, dtype, {"num_layers": 2, "bidirectional": True}, with_state=True)
    compare(name, dtype, {}, batched=False, with_state=True)
    compare(name, dtype, {"bidirectional": True}, batched=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_projection_and_relu(dtype):
    compare("LSTM", dtype, {"proj_size": PROJ, "num_layers": 2, "bidirectional": True},
            with_state=True, reference=True)
    compare("LSTM", dtype, {"proj_size": PROJ, "batch_first": True}, reference=True)
    compare("RNN", dtype, {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True},
            with_state=True, reference=True)


def test_node_kinds():
    """float32/float64 take the fused node; float16, exporters and the switch the reference."""
    for name, node in (("LSTM", "LSTMLayerBackward0"), ("GRU", "GRULayerBackward0"),
                       ("RNN", "RNNLayerBackward0")):
        m = getattr(enn, name)(IN, HID)
        assert type(m(ember.randn(L, N, IN))[0].grad_fn).__name__ == node
        rnn_module._FUSED = False
        try:
            assert type(m(ember.randn(L, N, IN))[0].grad_fn).__name__ == "StackBackward0"
        finally:
            rnn_module._FUSED = True
        with observe_ops(lambda *a: None):
            assert type(m(ember.randn(L, N, IN))[0].grad_fn).__name__ == "StackBackward0"
        half = m.to(ember.float16)
        out = half(ember.randn(L, N, IN, dtype=ember.float16))[0]
        assert type(out.grad_fn).__name__ == "StackBackward0" and out.dtype == ember.float16


def test_gradcheck_small_layers():
    rng = np.random.default_rng(3)

    def leaf(*shape):
        return ember.tensor(rng.standard_normal(shape), requires_grad=True)

    T, B, I, H, P = 3, 2, 3, 4, 2
    x, h0, c0 = leaf(T, B, I), leaf(B, P), leaf(B, H)
    w = [leaf(4 * H, I), leaf(4 * H, P), leaf(4 * H), leaf(4 * H), leaf(P, H)]
    for reverse in (False, True):
        assert ember.autograd.gradcheck(
            lambda *a, r=reverse: frnn.lstm_layer(*a, reverse=r), (x, h0, c0, *w))
    hg = leaf(B, H)
    wg = [leaf(3 * H, I), leaf(3 * H, H), leaf(3 * H), leaf(3 * H)]
    assert ember.autograd.gradcheck(lambda *a: frnn.gru_layer(*a, reverse=True), (x, hg, *wg))
    wr = [leaf(H, I), leaf(H, H), leaf(H), leaf(H)]
    for nl in ("tanh", "relu"):
        assert ember.autograd.gradcheck(
            lambda *a, nl=nl: frnn.rnn_layer(*a, nonlinearity=nl), (x, hg, *wr))


def test_inplace_rules_follow_torch():
    """A weight edited in place before backward raises (it is saved); the output and the
    final states are the layer's own memory, so editing them is fine, as in torch."""
    m = enn.LSTM(IN, HID)
    out, _ = m(ember.randn(L, N, IN))
    with ember.no_grad():
        m.weight_hh_l0.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    out, (h, _) = m(ember.randn(L, N, IN, requires_grad=True))
    out2 = out * 1
    out.add_(1)
    (out2.sum() + h.sum()).backward()
    assert m.weight_ih_l0.grad is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_functions_equal_their_numpy_statement(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(20000) * 4, rng.uniform(-800, 800, 2000),
                        [0.0, -0.0, 1e-30, -1e-30, np.inf, -np.inf, np.nan, 0.625, -0.625,
                         87.0, -87.0, 88.0, 89.0, -88.0, 708.0, -708.0, 709.0, 710.0]]
                       ).astype(dtype)
    with np.errstate(all="ignore"):
        for name in ("exp", "tanh", "sigmoid"):
            fast, ref = getattr(K, f"vector_{name}")(x), getattr(K, f"reference_{name}")(x)
            assert fast.dtype == x.dtype
            assert np.array_equal(fast.view(np.uint8), ref.view(np.uint8)), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_functions_within_a_few_ulps(dtype):
    """exp and tanh within 2 ulps; sigmoid within 3 (exp's error shrunk by ``e / (1 + e)``,
    plus the roundings of the sum and the quotient)."""
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(50000) * 3, rng.uniform(-80, 80, 5000),
                        np.linspace(-1, 1, 4001)]).astype(dtype)
    wide = x.astype(np.longdouble)
    truth = {"exp": np.exp(wide), "tanh": np.tanh(wide), "sigmoid": 1 / (1 + np.exp(-wide))}
    for name, exact in truth.items():
        got = getattr(K, f"vector_{name}")(x)
        ulp = np.spacing(np.abs(exact.astype(dtype))).astype(np.longdouble)
        err = np.abs(got.astype(np.longdouble) - exact) / ulp
        assert err.max() <= (3.0 if name == "sigmoid" else 2.0), (name, float(err.max()))
    specials = np.array([np.nan, np.inf, -np.inf, 0.0], dtype)
    np.testing.assert_array_equal(K.vector_exp(specials), [np.nan, np.inf, 0.0, 1.0])
    np.testing.assert_array_equal(K.vector_tanh(specials), [np.nan, 1.0, -1.0, 0.0])
    np.testing.assert_array_equal(K.vector_sigmoid(specials), [np.nan, 1.0, 0.0, 0.5])


def test_nan_input_propagates_as_in_torch():
    t, e = pair("LSTM", np.float32)
    x = np.random.default_rng(2).standard_normal((L, N, IN)).astype(np.float32)
    x[2, 1, 0] = np.nan
    with torch.no_grad():
        t_out = t(torch.tensor(x))[0].numpy()
    e_out = e(ember.tensor(x))[0].detach().numpy()
    np.testing.assert_array_equal(np.isnan(e_out), np.isnan(t_out))
    assert np.isnan(e_out).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_as_one_fused_step(name, dtype):
    """A cell unrolled over a few steps (the fused node per call) against torch's cell."""
    t_cell, e_cell = pair(name, dtype)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((L, N, IN)).astype(dtype)
    h0 = rng.standard_normal((N, HID)).astype(dtype)
    cot = rng.standard_normal((N, HID)).astype(dtype)
    grads = []
    for lib, cell in ((torch, t_cell), (ember, e_cell)):
        xs, h = lib.tensor(x, requires_grad=True), lib.tensor(h0, requires_grad=True)
        state = (h, h * 0.5) if name == "LSTMCell" else h
        for t in range(L):
            state = cell(xs[t], state)
        last = state[0] if name == "LSTMCell" else state
        (last * lib.tensor(cot)).sum().backward()
        grads.append([last.detach(), xs.grad, h.grad, *(p.grad for p in cell.parameters())])
    out = e_cell(ember.tensor(x[0], requires_grad=True))
    out = out[0] if name == "LSTMCell" else out
    assert type(out.grad_fn).__name__.endswith("LayerBackward0")  # the fused path ran
    assert_same(grads[1], grads[0], rtol=TOL[dtype], atol=TOL[dtype])

"""bfloat16 tensors and CPU autocast, compared with torch.

bfloat16 ops compute in float32 and round their result once, as PyTorch's CPU does, so a
single op matches torch exactly; ops that torch composes from several rounded steps (its
cross-entropy, batch norm) are compared to within a few bfloat16 units (eps = 2**-7).
"""

import warnings

import numpy as np
import pytest
import torch

import ember

BF16_EPS = 2.0 ** -7


def run(lib, program):
    out = program(lib)
    return str(out.dtype).split(".")[1], out.detach().float().numpy()


def bf(lib, values):
    return lib.tensor(values, dtype=lib.bfloat16)


X = [[1.5, -2.3, 0.37], [4.1, 0.0, -0.9]]

EXACT = {
    "add": lambda L: bf(L, X) + bf(L, X) * 0.5,
    "mul_scalar": lambda L: bf(L, X) * 3.3,
    "div_scalar": lambda L: bf(L, X) / 3,
    "rdiv": lambda L: 3 / (bf(L, X) + 10),
    "pow": lambda L: bf(L, X) ** 2,
    "exp": lambda L: bf(L, X).exp(),
    "sigmoid": lambda L: bf(L, X).sigmoid(),
    "tanh": lambda L: bf(L, X).tanh(),
    "relu": lambda L: L.relu(bf(L, X)),
    "gelu": lambda L: L.nn.functional.gelu(bf(L, X)),
    "sqrt": lambda L: bf(L, X).abs().sqrt(),
    "softmax": lambda L: L.softmax(bf(L, X), 1),
    "sum": lambda L: bf(L, X).sum(1),
    "max": lambda L: bf(L, X).amax(0),
    "matmul": lambda L: bf(L, X) @ bf(L, X).T,
    "linear": lambda L: L.nn.functional.linear(bf(L, X), bf(L, [[0.5, -1.0, 2.0]])),
    "embedding": lambda L: L.nn.functional.embedding(L.tensor([1, 0]), bf(L, X)),
    "cat": lambda L: L.cat([bf(L, X), bf(L, X)]),
    "where": lambda L: L.where(bf(L, X) > 0, bf(L, X), 0.0),
    "to_float32": lambda L: bf(L, X).to(L.float32) * 1.001,
    "from_float32": lambda L: L.tensor(X).mul(1.001).to(L.bfloat16),
    "promote_with_float32": lambda L: bf(L, X) + L.tensor(X),
    "promote_with_float16": lambda L: bf(L, X) + L.tensor(X, dtype=L.float16),
    "promote_with_0d_float32": lambda L: bf(L, X) + L.tensor(1.25),
    "promote_with_int": lambda L: L.tensor([[1, 2, 3]]) + bf(L, X),
    "reshape_view": lambda L: bf(L, X).reshape(3, 2).T,
}

CLOSE = {
    "log_softmax": lambda L: L.log_softmax(bf(L, X), 1),
    "mean": lambda L: bf(L, X).mean(),
    "var": lambda L: bf(L, X).var(1),
    "norm": lambda L: bf(L, X).norm(),
    "layer_norm": lambda L: L.nn.functional.layer_norm(bf(L, X), (3,)),
    "batch_norm": lambda L: L.nn.functional.batch_norm(bf(L, X), None, None, training=True),
    "cross_entropy": lambda L: L.nn.functional.cross_entropy(bf(L, X), L.tensor([1, 0])),
    "mse_loss": lambda L: L.nn.functional.mse_loss(bf(L, X), bf(L, X) * 0.5),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_single_ops_match_torch_exactly(name):
    (e_dtype, e), (t_dtype, t) = run(ember, EXACT[name]), run(torch, EXACT[name])
    assert e_dtype == t_dtype
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("name", sorted(CLOSE))
def test_composed_ops_match_torch_to_bfloat16_precision(name):
    (e_dtype, e), (t_dtype, t) = run(ember, CLOSE[name]), run(torch, CLOSE[name])
    assert e_dtype == t_dtype
    np.testing.assert_allclose(e, t, rtol=8 * BF16_EPS, atol=8 * BF16_EPS * np.abs(t).max())


@pytest.mark.parametrize("name", ["exp", "sigmoid", "matmul", "linear", "softmax", "gelu",
                                  "mean", "layer_norm", "cross_entropy"])
def test_gradients_are_bfloat16_and_match_torch(name):
    program = {**EXACT, **CLOSE}[name]
    grads = []
    for lib in (ember, torch):
        leaf = bf(lib, X).requires_grad_()
        original = lib.tensor

        def patched(values, dtype=None, _leaf=leaf, _orig=original, **kw):
            return _leaf if values is X and dtype is not None else _orig(values, dtype=dtype, **kw)

        lib.tensor = patched
        try:
            out = program(lib)
        finally:
            lib.tensor = original
        (out.float() * lib.arange(out.numel()).reshape(out.shape).float().add(1)).sum().backward()
        grads.append((str(leaf.grad.dtype).split(".")[1], leaf.grad.float().numpy()))
    assert grads[0][0] == grads[1][0] == "bfloat16"
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=8 * BF16_EPS,
                               atol=8 * BF16_EPS * np.abs(grads[1][1]).max())


def test_printing_and_python_values():
    t = ember.tensor([1.5, 2.25], dtype=ember.bfloat16)
    assert repr(t) == repr(torch.tensor([1.5, 2.25], dtype=torch.bfloat16)).replace(
        "torch", "ember")
    assert t.tolist() == [1.5, 2.25] and t[0].item() == 1.5 and isinstance(t.tolist()[0], float)
    assert t.requires_grad_().is_floating_point()


# -- autocast ---------------------------------------------------------------------------------
def _autocast_step(lib, dtype_name="bfloat16", enabled=True):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.sin(np.arange(p.numel()) + i).reshape(p.shape),
                               dtype=lib.float32))
    x = lib.tensor(np.cos(np.arange(8.0)).reshape(2, 4), dtype=lib.float32)
    target = lib.tensor([2, 0])
    with lib.autocast(device_type="cpu", dtype=getattr(lib, dtype_name), enabled=enabled):
        hidden = model[1](model[0](x))
        logits = model[2](hidden)
        loss = lib.nn.functional.cross_entropy(logits, target)
        products = (x @ x.T, lib.ones(2, 2, dtype=lib.float64) @ lib.ones(2, 2,
                                                                          dtype=lib.float64))
        kinds = [str(t.dtype).split(".")[1] for t in (hidden, logits, loss, *products)]
        kinds.append(lib.is_autocast_enabled("cpu"))
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    return kinds, loss.item(), grads, logits.detach().float().numpy()


@pytest.mark.parametrize("dtype_name", ["bfloat16", "float16"])
@pytest.mark.parametrize("enabled", [True, False])
def test_autocast_dtypes_values_and_gradients_match_torch(dtype_name, enabled):
    e_kinds, e_loss, e_grads, e_logits = _autocast_step(ember, dtype_name, enabled)
    t_kinds, t_loss, t_grads, t_logits = _autocast_step(torch, dtype_name, enabled)
    assert e_kinds == t_kinds
    np.testing.assert_allclose(e_logits, t_logits, rtol=4 * BF16_EPS, atol=4 * BF16_EPS)
    assert abs(e_loss - t_loss) <= 4 * BF16_EPS * abs(t_loss)
    for g_e, g_t in zip(e_grads, t_grads, strict=True):
        assert str(g_e.dtype).split(".")[1] == str(g_t.dtype).split(".")[1] == "float32"
        np.testing.assert_allclose(g_e.numpy(), g_t.numpy(), rtol=0.05,
                                   atol=0.05 * np.abs(g_t.numpy()).max())


def test_autocast_nesting_decorator_and_state():
    for lib in (ember, torch):
        assert not lib.is_autocast_enabled("cpu")
        with lib.autocast("cpu"):
            assert lib.get_autocast_dtype("cpu") == lib.bfloat16
            with lib.autocast("cpu", enabled=False):
                assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32
            assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.bfloat16

        @lib.autocast("cpu")
        def f(a):
            return a @ a

        assert f(lib.ones(2, 2)).dtype == lib.bfloat16
        assert not lib.is_autocast_enabled("cpu")


@pytest.mark.parametrize("call", [lambda lib: lib.autocast("cuda"),
                                  lambda lib: lib.autocast("cpu", dtype=lib.float32),
                                  lambda lib: lib.amp.autocast("cuda")])
def test_autocast_disabled_with_torchs_warnings(call):
    def messages(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with call(lib):
                out = (lib.ones(2, 2) @ lib.ones(2, 2)).dtype
        return [str(w.message) for w in caught], str(out).split(".")[1]

    assert messages(ember) == messages(torch)


def test_autocast_bad_device():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Invalid device string: 'xpu2'"):
            lib.autocast("xpu2")

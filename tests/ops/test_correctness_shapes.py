"""Ops on 0-d, empty and size-1 inputs against torch: the same call in both libraries must
give the same values, dtypes and gradients, or both must raise the same error type."""

import warnings

import numpy as np
import pytest
import torch

import ember

CALLS = {
    "gelu": lambda L, x: L.nn.functional.gelu(x),
    "gelu_tanh": lambda L, x: L.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda L, x: L.nn.functional.silu(x), "mish": lambda L, x: L.nn.functional.mish(x),
    "relu": lambda L, x: L.relu(x), "elu": lambda L, x: L.nn.functional.elu(x),
    "softplus": lambda L, x: L.nn.functional.softplus(x),
    "hardswish": lambda L, x: L.nn.functional.hardswish(x),
    "prod0": lambda L, x: x.prod(0), "prod_all": lambda L, x: x.prod(),
    "prod_keep": lambda L, x: x.prod(-1, keepdim=True),
    "sort0": lambda L, x: x.sort(0), "sort_last": lambda L, x: x.sort(-1, descending=True),
    "argsort": lambda L, x: x.argsort(-1), "flip0": lambda L, x: x.flip(0),
    "flip_last": lambda L, x: x.flip(-1), "topk": lambda L, x: x.topk(1, -1) if x.numel() else
    x.topk(0, -1), "cumsum0": lambda L, x: x.cumsum(0), "cumsum_last": lambda L, x: x.cumsum(-1),
    "cumprod0": lambda L, x: x.cumprod(0), "cumprod_last": lambda L, x: x.cumprod(-1),
    "softmax": lambda L, x: x.softmax(-1), "log_softmax": lambda L, x: x.log_softmax(0),
    "logsumexp": lambda L, x: x.logsumexp(-1), "sum": lambda L, x: x.sum(-1),
    "mean": lambda L, x: x.mean(0), "amax": lambda L, x: x.amax(-1) if x.numel() else x.sum(),
    "max_dim": lambda L, x: x.max(-1), "min_dim": lambda L, x: x.min(0),
    "median_dim": lambda L, x: x.median(-1), "norm": lambda L, x: x.norm(dim=-1),
    "norm1": lambda L, x: x.norm(1, -1), "std": lambda L, x: x.std(-1, correction=0),
    "var": lambda L, x: x.var(0, correction=0), "argmax": lambda L, x: x.argmax(-1),
    "squeeze": lambda L, x: x.squeeze(0), "unsqueeze": lambda L, x: x.unsqueeze(-1),
    "transpose": lambda L, x: x.transpose(0, -1), "abs": lambda L, x: x.abs(),
    "sign": lambda L, x: x.sign(), "clamp": lambda L, x: x.clamp(-0.5, 0.5),
    "where": lambda L, x: L.where(x > 0, x, -x), "gather": lambda L, x: x.gather(
        -1, L.zeros(x.shape, dtype=L.int64)) if x.ndim == 0 or x.shape[-1] else x,
    "index_select": lambda L, x: x.index_select(-1, L.tensor([0])) if x.ndim == 0 or
    x.shape[-1] else x, "matmul_t": lambda L, x: x @ x.T if x.ndim == 2 else x * 1,
    "mul_scalar": lambda L, x: x * 2, "pow": lambda L, x: x ** 2, "exp": lambda L, x: x.exp(),
}
SHAPES = [(), (1,), (0,), (2, 0), (0, 3), (1, 1), (3,)]


def _run(lib, name, shape):
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, size=shape)
    x = lib.tensor(data, requires_grad=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = CALLS[name](lib, x)
    except Exception as exc:
        return ("raise", next(c for c in type(exc).__mro__ if c.__module__ == "builtins"))
    outs = list(out) if isinstance(out, tuple) else [out]
    vals = [(o.detach().numpy(), str(o.dtype).split(".")[1])
            for o in outs]
    diff = [o for o in outs if o.requires_grad]
    if diff:
        g = [lib.tensor(np.ones(tuple(o.shape))) for o in diff]
        lib.autograd.backward(diff, g)
    grad = None if x.grad is None else x.grad.numpy()
    return ("ok", vals, grad)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", CALLS)
def test_degenerate_shapes(name, shape):
    t, e = _run(torch, name, shape), _run(ember, name, shape)
    if t[0] == "raise":
        assert e[0] == "raise", f"torch raises {t[1].__name__}, Ember returns {e[1:]}"
        assert issubclass(e[1], t[1]) or issubclass(t[1], e[1]), (t[1], e[1])
        return
    assert e[0] == "ok", f"Ember raises {e[1].__name__}, torch returns"
    assert len(e[1]) == len(t[1])
    for (ev, ed), (tv, td) in zip(e[1], t[1], strict=True):
        assert ed == td and ev.shape == tv.shape, (ed, td, ev.shape, tv.shape)
        np.testing.assert_allclose(ev, tv, rtol=1e-7, atol=1e-9)
    if t[2] is None:
        assert e[2] is None or not np.any(e[2])
    else:
        assert e[2] is not None and e[2].shape == t[2].shape
        np.testing.assert_allclose(e[2], t[2], rtol=1e-7, atol=1e-9)

"""In-place edits around differentiable ops, against torch.

For every op, an in-place edit (``add_(1)``, ``mul_(2)``, ``zero_()``, ``t[0] = 1``,
``t += 1``) is
applied to the op's input, its output, a view of the input or a view of the output, and then
a random cotangent is backpropagated from the output. Ember must raise a RuntimeError about
the in-place modification exactly when torch raises (at the edit or at backward), and
otherwise give torch's values and gradients. Inputs are non-leaf copies (``leaf * 1``) so
that in-place edits are allowed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

EDITS = {
    "add_": lambda t: t.add_(1),
    "mul_": lambda t: t.mul_(2),
    "zero_": lambda t: t.zero_(),
    "setitem": lambda t: t.__setitem__(0, 1.0),
    "iadd": lambda t: t.__iadd__(1),
}
TARGETS = ("input", "output", "input_view", "output_view")


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _unary(name: str):
    return lambda M, x, w: getattr(M, name)(x)


UNARY = {
    name: _unary(name)
    for name in ("exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "erf",
                 "abs", "neg", "reciprocal", "square", "exp2", "expm1", "log1p", "log2",
                 "sinh", "cosh", "asin", "acos", "atan", "logit", "relu", "sign", "floor")
}
OPS = {
    **UNARY,
    "pow2": lambda M, x, w: x ** 2,
    "pow_scalar_base": lambda M, x, w: 2 ** x,
    "pow_half": lambda M, x, w: x.pow(0.5),
    "clamp": lambda M, x, w: x.clamp(0.3, 0.7),
    "add": lambda M, x, w: x + w,
    "sub": lambda M, x, w: x - w,
    "mul": lambda M, x, w: x * w,
    "div": lambda M, x, w: x / w,
    "pow": lambda M, x, w: x ** w,
    "mul_scalar": lambda M, x, w: x * 3,
    "maximum": lambda M, x, w: M.maximum(x, w),
    "minimum": lambda M, x, w: M.minimum(x, w),
    "atan2": lambda M, x, w: M.atan2(x, w),
    "lerp": lambda M, x, w: M.lerp(x, w, 0.3),
    "addcmul": lambda M, x, w: M.addcmul(x, w, w, value=0.5),
    "addcdiv": lambda M, x, w: M.addcdiv(x, w, x, value=0.5),
    "where": lambda M, x, w: M.where(x > 0.5, x, w),
    "matmul": lambda M, x, w: x @ w.t(),
    "mm_t": lambda M, x, w: M.mm(x.t(), w),
    "sum": lambda M, x, w: x.sum(),
    "sum_dim": lambda M, x, w: x.sum(1),
    "mean": lambda M, x, w: x.mean(),
    "mean_dim": lambda M, x, w: x.mean(0, keepdim=True),
    "prod": lambda M, x, w: x.prod(),
    "prod_dim": lambda M, x, w: x.prod(1),
    "std": lambda M, x, w: x.std(),
    "var_dim": lambda M, x, w: x.var(1),
    "norm": lambda M, x, w: x.norm(),
    "norm_dim": lambda M, x, w: x.norm(dim=1),
    "amax": lambda M, x, w: x.amax(1),
    "amin": lambda M, x, w: x.amin(),
    "max": lambda M, x, w: x.max(),
    "max_dim": lambda M, x, w: x.max(1)[0],
    "min_dim": lambda M, x, w: x.min(0)[0],
    "logsumexp": lambda M, x, w: M.logsumexp(x, 1),
    "logsumexp_0d": lambda M, x, w: M.logsumexp(x.sum(), 0),
    "norm_0d": lambda M, x, w: x.sum().norm(),
    "logaddexp": lambda M, x, w: M.logaddexp(x, w),
    "einsum_lone": lambda M, x, w: M.einsum("ij,jk->", x, w.t()),
    "einsum": lambda M, x, w: M.einsum("ij,kj->ik", x, w),
    "cumsum": lambda M, x, w: x.cumsum(1),
    "cumprod": lambda M, x, w: x.cumprod(1),
    "softmax": lambda M, x, w: x.softmax(1),
    "log_softmax": lambda M, x, w: M.log_softmax(x, 0),
    "normalize": lambda M, x, w: M.nn.functional.normalize(x, dim=1),
    "layer_norm": lambda M, x, w: M.nn.functional.layer_norm(x, (3,)),
    "gelu": lambda M, x, w: M.nn.functional.gelu(x),
    "silu": lambda M, x, w: M.nn.functional.silu(x),
    "elu": lambda M, x, w: M.nn.functional.elu(x),
    "softplus": lambda M, x, w: M.nn.functional.softplus(x),
    "leaky_relu": lambda M, x, w: M.nn.functional.leaky_relu(x, 0.1),
    "mish": lambda M, x, w: M.nn.functional.mish(x),
    "hardtanh": lambda M, x, w: M.nn.functional.hardtanh(x, 0.3, 0.7),
    "logsigmoid": lambda M, x, w: M.nn.functional.logsigmoid(x),
    "softsign": lambda M, x, w: M.nn.functional.softsign(x),
    "mse_loss": lambda M, x, w: M.nn.functional.mse_loss(x, w),
    "l1_loss": lambda M, x, w: M.nn.functional.l1_loss(x, w, reduction="none"),
    "bce_logits": lambda M, x, w: M.nn.functional.binary_cross_entropy_with_logits(x, w),
    "cross_entropy": lambda M, x, w: M.nn.functional.cross_entropy(x, M.tensor([0, 2])),
    "transpose": lambda M, x, w: x.transpose(0, 1),
    "view": lambda M, x, w: x.view(6),
    "select": lambda M, x, w: x[1],
    "step_slice": lambda M, x, w: x[:, ::2],
    "expand": lambda M, x, w: x[:1].expand(3, 3),
    "unsqueeze": lambda M, x, w: x.unsqueeze(0),
    "permute": lambda M, x, w: x.permute(1, 0),
    "narrow": lambda M, x, w: x.narrow(1, 1, 2),
    "unbind": lambda M, x, w: x.unbind(0)[1],
    "split": lambda M, x, w: x.split(2, 1)[0],
    "clone": lambda M, x, w: x.clone(),
    "contiguous_t": lambda M, x, w: x.t().contiguous(),
    "detach_mul": lambda M, x, w: x.detach() * w,
    "cat": lambda M, x, w: M.cat([x, w]),
    "stack": lambda M, x, w: M.stack([x, w], 1),
    "gather": lambda M, x, w: x.gather(1, M.tensor([[0, 2], [1, 1]])),
    "index_select": lambda M, x, w: x.index_select(1, M.tensor([2, 0])),
    "masked_fill": lambda M, x, w: x.masked_fill(x > 0.5, 0.0),
    "getitem_mask": lambda M, x, w: x[x > 0.4],
    "getitem_index": lambda M, x, w: x[M.tensor([1, 0, 1])],
    "sort": lambda M, x, w: x.sort(1)[0],
    "topk": lambda M, x, w: x.topk(2, 1)[0],
}

CASES = [(op_name, target, edit) for op_name in OPS for target in TARGETS for edit in EDITS]

# (op, target, edit) -> finding number in tests/fuzz/FINDINGS.md, for cases that
# fail because of a known Ember defect (strict: a fix makes them fail until removed here).
XFAIL: dict[tuple[str, str, str], str] = {}


KNOWN_REPROS = {
    # (source, whether torch raises at backward)
    "logsumexp_add_": ("y = M.logsumexp(x, 1); y.add_(1); y.sum().backward()", True),
    "norm_mul_": ("y = x.norm(); y.mul_(2); y.backward()", True),
    "square_iadd": ("y = x ** 2; y += 1; y.sum().backward()", False),
}


@pytest.mark.parametrize("name", list(KNOWN_REPROS))
def test_known_repros(name):
    src, torch_raises = KNOWN_REPROS[name]
    grads = []
    for M in (torch, ember):
        x = M.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
        namespace = {"M": M, "x": x}
        if torch_raises:
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                exec(src, namespace)
        else:
            exec(src, namespace)
            grads.append(x.grad.numpy())
    if grads:
        np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def _view(t):
    return t[0] if t.dim() >= 1 else t.unsqueeze(0)


def _run(M, op_name: str, target: str, edit: str, cot: np.ndarray | None):
    """Returns ("raised at edit" | "raised at backward" | "ok", message, y, grads)."""
    rng = np.random.default_rng(7)
    xd = rng.uniform(0.2, 0.9, size=(2, 3))
    wd = rng.uniform(0.2, 0.9, size=(2, 3))
    xl = M.tensor(xd, requires_grad=True)
    wl = M.tensor(wd, requires_grad=True)
    x, w = xl * 1, wl * 1
    y = _first(OPS[op_name](M, x, w))
    obj = {"input": x, "output": y, "input_view": _view(x), "output_view": _view(y)}[target]
    if edit == "setitem" and obj.dim() == 0:
        return None
    try:
        EDITS[edit](obj)
    except RuntimeError as exc:
        return "edit", str(exc), None, None
    c = cot if cot is not None else np.round(rng.standard_normal(tuple(y.shape)), 2)
    try:
        y.backward(M.tensor(np.asarray(c)))
    except RuntimeError as exc:
        return "backward", str(exc), None, None
    return "ok", c, y, (xl.grad, wl.grad)


def _np(t):
    return None if t is None else t.detach().numpy()


def check_case(op_name: str, target: str, edit: str) -> bool:
    """Runs one case on both libraries; raises AssertionError on a difference, returns False
    when the case does not apply (``t[0] = 1`` on a 0-d tensor)."""
    t_out = _run(torch, op_name, target, edit, None)
    if t_out is None:
        return False
    cot = t_out[1] if t_out[0] == "ok" else None
    e_out = _run(ember, op_name, target, edit, cot)
    if t_out[0] != "ok":
        assert e_out is not None and e_out[0] == t_out[0], (
            f"torch raises at {t_out[0]} ({t_out[1]}); Ember: {e_out[0]} {e_out[1]!s:.200}")
        if "inplace" in t_out[1] or "in-place" in t_out[1]:
            msg = e_out[1].lower()
            assert "inplace" in msg or "in-place" in msg, e_out[1]
        return True
    assert e_out[0] == "ok", f"Ember raises at {e_out[0]}: {e_out[1]}"
    _, _, ty, tg = t_out
    _, _, ey, eg = e_out
    np.testing.assert_allclose(_np(ey), _np(ty), rtol=1e-10, atol=1e-12, err_msg="output")
    for name, a, b in (("x.grad", eg[0], tg[0]), ("w.grad", eg[1], tg[1])):
        assert (a is None) == (b is None), f"{name}: Ember {a}, torch {b}"
        if b is not None:
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12, err_msg=name)
    return True


def failing_cases() -> list[tuple[str, str, str]]:
    """The cases that currently differ from torch (to refresh ``XFAIL``)."""
    out = []
    for case in CASES:
        try:
            check_case(*case)
        except AssertionError:
            out.append(case)
    return out


@pytest.mark.parametrize(
    "op_name,target,edit",
    [pytest.param(*case, marks=pytest.mark.xfail(strict=True, reason=XFAIL[case]))
     if case in XFAIL else case for case in CASES],
    ids=["-".join(c) for c in CASES])
def test_inplace_then_backward(op_name, target, edit):
    if not check_case(op_name, target, edit):
        pytest.skip("t[0] = 1 needs at least one dimension")

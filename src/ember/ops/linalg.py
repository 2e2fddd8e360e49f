"""Matrix products: matmul (``@``), mm, bmm, dot, mv, outer, einsum, linear."""

from __future__ import annotations

import numpy as np

from ember.autograd.function import ArrayFunction
from ember.ops._util import operands, reduce_grad
from ember.tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "dot", "mv", "outer", "einsum", "linear_raw", "addmm", "inner"]


class MatMul(ArrayFunction):
    """``a @ b`` with NumPy's (= PyTorch's) rules for 1-D operands and batch broadcasting."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # lift 1-D operands to matrices, as the forward did implicitly
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = np.matmul(g, np.swapaxes(b2, -1, -2))
            ga = reduce_grad(ga, a2.shape, a.dtype).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g)
            gb = reduce_grad(gb, b2.shape, b.dtype).reshape(b.shape)
        return ga, gb


class Linear(ArrayFunction):
    """``x @ w.T + b`` in one node (the hot path of every MLP)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        ctx.has_bias = b is not None
        out = np.matmul(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = np.matmul(grad, w)
        if ctx.needs_input_grad[1]:
            g2 = grad.reshape(-1, grad.shape[-1])
            gw = np.matmul(g2.T, x.reshape(-1, x.shape[-1]))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.reshape(-1, grad.shape[-1]).sum(axis=0)
        return gx, gw, gb


class Einsum(ArrayFunction):
    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.save_for_backward(*operands)
        return np.einsum(equation, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, grad):
        ops = ctx.saved_tensors
        lhs, out = _parse_einsum(ctx.equation, ops)
        grads = [None]
        for i, op in enumerate(ops):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            other_terms = [t for j, t in enumerate(lhs) if j != i]
            target = lhs[i]
            # letters repeated within one operand (diagonals) are not handled by this route
            if len(set(target)) != len(target):
                raise NotImplementedError("einsum backward with a repeated index in one operand")
            sizes = {}
            for t, o in zip(lhs, ops):
                for ch, n in zip(t, o.shape):
                    sizes[ch] = n
            missing = [ch for ch in target if ch not in out and
                       not any(ch in t for t in other_terms)]
            eq = ",".join([out] + other_terms) + "->" + "".join(
                ch for ch in target if ch not in missing)
            g = np.einsum(eq, grad, *others)
            if missing:
                g = np.expand_dims(g, [target.index(ch) for ch in missing])
                g = np.broadcast_to(g, op.shape)
            grads.append(np.ascontiguousarray(g).astype(op.dtype, copy=False))
        return tuple(grads)


def _parse_einsum(equation: str, ops) -> tuple:
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise NotImplementedError("einsum with '...' is not supported")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        out = "".join(sorted(ch for ch in set(letters) if letters.count(ch) == 1))
    return lhs.split(","), out


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with broadcasting over batch dims (``@``)."""
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{input.ndim}D and {other.ndim}D"
        )
    a, b, _ = operands(input, other)
    try:
        return MatMul.apply(a, b)
    except ValueError:
        sa, sb = tuple(input.shape), tuple(other.shape)
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, sa))} and "
            f"{'x'.join(map(str, sb))})"
        ) from None


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError("mm: both arguments must be 2D matrices")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError("batch1 and batch2 must have same number of batches")
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors"
        )
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number "
            "of elements, but got {} and {} elements respectively".format(
                input.shape[0], other.shape[0], input.shape[0], other.shape[0])
        )
    return matmul(input, other)


inner = dot


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    return matmul(input, vec)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors."""
    return matmul(input.reshape(-1, 1), vec2.reshape(1, -1))


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * mat1 @ mat2``."""
    return input * beta + matmul(mat1, mat2) * alpha


def linear_raw(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one recorded op."""
    if input.shape[-1] != weight.shape[-1]:
        sa = "x".join(map(str, (int(np.prod(input.shape[:-1])), input.shape[-1])))
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({sa} and "
            f"{weight.shape[1]}x{weight.shape[0]})"
        )
    return Linear.apply(input, weight, bias)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum.apply(equation, *operands)

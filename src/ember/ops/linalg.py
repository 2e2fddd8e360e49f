"""Matrix products: matmul (``@``), mm, bmm, dot, mv, outer, einsum, linear, addmm, baddbmm,
tensordot, kron."""

from __future__ import annotations

import math

import numpy as np

from ember._dtype import SCALAR_TYPE_NAMES, c_type_name
from ember._precision import autocast_lower
from ember.autograd.function import ArrayFunction
from ember.backend import get_backend
from ember.ops._util import (
    broadcast_error,
    cast,
    check_scalar_fits,
    kernel_error,
    promote,
    quiet,
    reduce_grad,
)
from ember.ops.arith import mul
from ember.tensor import Tensor

__all__ = [
    "addmm",
    "baddbmm",
    "bmm",
    "dot",
    "einsum",
    "inner",
    "kron",
    "linear_raw",
    "matmul",
    "mm",
    "mv",
    "outer",
    "tensordot",
]


def array_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)`` of two arrays, split over idle cores when it is large (the thread
    policy of ``kernels/threads.py``): the products of the ops and layers go through here.

    Args:
        a: the left operand (any shape ``np.matmul`` takes).
        b: the right operand.

    Returns:
        The product, a new array.

    Example:
        >>> array_product(np.eye(2), np.ones((2, 3))).shape
        (2, 3)
    """
    return get_backend().kernels("threads").matmul(a, b)


@quiet
class MatMul(ArrayFunction):
    """``a @ b`` with NumPy's (= PyTorch's) rules for 1-D operands and batch broadcasting."""

    @staticmethod
    def forward(ctx, a, b):
        # each operand is saved for the other's gradient only (as torch's mm)
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.shapes = (a.shape, b.shape)
        return array_product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        if len(sa) == 2 and len(sb) == 2:  # plain matrices: one product per gradient
            need_a, need_b = ctx.needs_input_grad
            return (array_product(grad, b.T) if need_a else None,
                    array_product(a.T, grad) if need_b else None)
        a = np.empty(sa, grad.dtype) if a is None else a  # shape only: its gradient is not needed
        b = np.empty(sb, grad.dtype) if b is None else b
        if a.ndim == 1 and b.ndim == 1:
            return grad * b if ctx.needs_input_grad[0] else None, \
                grad * a if ctx.needs_input_grad[1] else None
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
            ga = array_product(g, np.swapaxes(b2, -1, -2))
            ga = reduce_grad(ga, a2.shape, a.dtype).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = array_product(np.swapaxes(a2, -1, -2), g)
            gb = reduce_grad(gb, b2.shape, b.dtype).reshape(b.shape)
        return ga, gb


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with broadcasting over batch dims (``@``); a sparse operand goes to
    :func:`ember.sparse.mm`.

    Args:
        input: the left operand (at least 1-D).
        other: the right operand (at least 1-D).

    Returns:
        The product; 1-D operands lose their product dimension, batch dims broadcast.

    Example:
        >>> ember.matmul(ember.tensor([[1., 2.], [3., 4.]]), ember.tensor([1., 1.]))
        tensor([3., 7.])
    """
    if (type(input) is not Tensor or type(other) is not Tensor) and (
            getattr(input, "is_sparse", False) or getattr(other, "is_sparse", False)):
        # sparse sits above ops: the sparse operand's own methods do the product
        return input.mm(other) if getattr(input, "is_sparse", False) else \
            other.__rmatmul__(input)
    a, b = input._data, other._data
    if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.dtype.kind == "f" and \
            a.shape[1] == b.shape[0]:
        return MatMul.apply(input, other)  # plain matrices: nothing below can object
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{input.ndim}D and {other.ndim}D"
        )
    if input._data.dtype != other._data.dtype and \
            autocast_lower(input._data.dtype) != autocast_lower(other._data.dtype):
        raise _matmul_dtype_error(input, other)
    if input._data.dtype == np.bool_ and (
            input.ndim == other.ndim == 1 or (input._data.size and other._data.size)):
        raise _bool_matmul_error(input.ndim, other.ndim)  # torch skips the kernel when empty
    try:
        return MatMul.apply(input, other)
    except ValueError:
        raise _matmul_error(tuple(input.shape), tuple(other.shape)) from None


@quiet
class Linear(ArrayFunction):
    """``x @ w.T + b`` in one node (the hot path of every MLP)."""

    @staticmethod
    def forward(ctx, x, w, b):
        needs = ctx.needs_input_grad  # as torch: each factor only when the other's grad needs it
        ctx.save_for_backward(x if needs[1] else None, w if needs[0] else None)
        ctx.has_bias = b is not None
        out = _matmul_folded(x, w.T) if w.ndim == 2 else array_product(x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = _matmul_folded(grad, w) if w.ndim == 2 else array_product(grad, w)
        rows = math.prod(grad.shape[:-1])  # not -1: a size-0 feature dim leaves it unknown
        if ctx.needs_input_grad[1]:
            g2 = grad.reshape(rows, grad.shape[-1])
            gw = array_product(g2.T, x.reshape(rows, x.shape[-1]))
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.reshape(rows, grad.shape[-1]).sum(axis=0)
        return gx, gw, gb


def _matmul_folded(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``x @ m`` for a matrix ``m``: a C-contiguous ``x`` of more than two dims is folded into
    the rows of one matrix product (one BLAS call instead of one per leading index)."""
    if x.ndim <= 2 or not x.flags.c_contiguous:
        return array_product(x, m)
    lead = x.shape[:-1]
    return array_product(x.reshape(math.prod(lead), x.shape[-1]), m).reshape(*lead, m.shape[-1])


def linear_raw(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one recorded op (same dtypes required, as PyTorch).

    Args:
        input: a tensor whose last dimension has ``in_features`` entries.
        weight: an ``(out_features, in_features)`` matrix.
        bias: an optional tensor of ``out_features`` entries.

    Returns:
        A tensor with ``out_features`` in its last dimension.

    Example:
        >>> w, b = ember.tensor([[1., 2.]]), ember.tensor([0.5])
        >>> ember.ops.linalg.linear_raw(ember.ones(1, 2), w, b)
        tensor([[3.5000]])
    """
    x, w = input._data, weight._data
    dx, dw = x.dtype, w.dtype
    if dx == dw and dx.kind == "f" and w.ndim == 2 and x.ndim and x.shape[-1] == w.shape[1] \
            and (bias is None or bias._data.dtype == dx):
        return Linear.apply(input, weight, bias)  # the usual call: nothing below can object
    if dx != dw and autocast_lower(dx) != autocast_lower(dw):
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{c_type_name(dx)} != {c_type_name(dw)}")
    if bias is not None and bias._data.dtype != dw and x.ndim != 2 and \
            not x.flags.c_contiguous and dx == dw:
        # torch multiplies a strided input that is not a matrix with matmul and adds the bias
        # in place, which promotes it: only its contiguous and 2-D inputs take addmm's check
        return matmul(input, weight.t()).add_(bias)
    if bias is not None and bias._data.dtype != dw and \
            autocast_lower(bias._data.dtype) != autocast_lower(dw):
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_type_name(bias)} "
                           f"and {_type_name(weight)}")
    if dx == np.bool_:
        raise kernel_error("addmm_impl_cpu_", dx)
    if input._data.shape[-1] != weight._data.shape[-1]:
        sa = "x".join(map(str, (int(np.prod(input.shape[:-1])), input.shape[-1])))
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({sa} and "
            f"{weight.shape[1]}x{weight.shape[0]})"
        )
    return Linear.apply(input, weight, bias)


@quiet
class Einsum(ArrayFunction):
    """Einstein summation; ``equation`` is explicit (``'ij,jk->ik'``, no ``'...'``)."""

    @staticmethod
    def forward(ctx, equation, *operands):
        ctx.equation = equation
        ctx.metas = [(op.shape, op.dtype) for op in operands]
        # as torch's products, an operand is saved only for the other operands' gradients
        needs = ctx.needs_input_grad[1:]
        ctx.save_for_backward(*(op if any(n for j, n in enumerate(needs) if j != i) else None
                                for i, op in enumerate(operands)))
        return np.einsum(equation, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, grad):
        # the gradient of operand i is the einsum of the output gradient with the other
        # operands, written to operand i's subscripts; letters summed only inside operand i
        # broadcast back, and a repeated letter (a diagonal) is written through a diagonal view
        ops = ctx.saved_tensors
        lhs, out = ctx.equation.split("->")
        terms = lhs.split(",")
        grads = [None]
        for i in range(len(ops)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            other_terms = [t for j, t in enumerate(terms) if j != i]
            target = terms[i]
            unique = "".join(dict.fromkeys(target))
            reachable = set(out).union(*other_terms)
            kept = "".join(ch for ch in unique if ch in reachable)
            g = np.einsum(",".join([out, *other_terms]) + "->" + kept, grad, *others)
            shape, dtype = ctx.metas[i]
            if kept != unique:  # letters summed only inside this operand: broadcast back
                sizes = dict(zip(target, shape, strict=True))
                g = g.reshape(tuple(sizes[ch] if ch in kept else 1 for ch in unique))
                g = np.broadcast_to(g, tuple(sizes[ch] for ch in unique))
            if unique != target:
                full = np.zeros(shape, dtype=dtype)
                np.einsum(target + "->" + unique, full)[...] = g
                g = full
            g = np.asarray(g, dtype=dtype)
            grads.append(g if g.flags.c_contiguous else np.ascontiguousarray(g))
        return tuple(grads)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``.

    Args:
        equation: the subscripts, such as ``'ij,jk->ik'`` (implicit output and ``...`` allowed).
        operands: the tensors, one per comma-separated term (or one list of them).

    Returns:
        The tensor the equation describes.

    Example:
        >>> a = ember.tensor([[1., 2.], [3., 4.]])
        >>> ember.einsum('ii->', a)
        tensor(5.)
        >>> ember.einsum('ij->ji', a)
        tensor([[1., 3.],
                [2., 4.]])
    """
    given = list(operands[0]) if len(operands) == 1 and isinstance(operands[0], (list, tuple)) \
        else list(operands)
    eq, targets = _explicit_equation(equation, [tuple(o.shape) for o in given])
    dtype = _einsum_dtype(eq, given)
    given = [o if o._data.dtype == dtype else cast(o, dtype) for o in given]
    given = [o if tuple(o.shape) == t else o.expand(t) for o, t in zip(given, targets,
                                                                       strict=True)]
    return Einsum.apply(*_sum_lone_letters(eq, given))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _explicit_equation(equation: str, shapes) -> tuple[str, list[tuple[int, ...]]]:
    """Rewrites an einsum equation with an explicit output and without ``'...'``.

    Checks it against the operand shapes, raising PyTorch's errors, and returns it with the
    shape each operand broadcasts to: as in PyTorch, a dimension of size 1 (named or under
    ``'...'``) broadcasts against the size its subscript has in the other operands.
    """
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = set(eq) - set(".,->")
    pool = [ch for ch in _LETTERS if ch not in used]
    ell_ndim = 0
    for k, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        n_letters = len(t.replace("...", ""))
        if "..." in t:
            ell_ndim = max(ell_ndim, len(shape) - n_letters)
        elif n_letters != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_letters}) does not "
                f"match the number of dimensions ({len(shape)}) for operand {k} and no ellipsis "
                "was given"
            )
    ell = "".join(pool[:ell_ndim])
    new_terms = []
    for t, shape in zip(terms, shapes, strict=True):
        if "..." in t:
            k = len(shape) - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_ndim - k:])
        new_terms.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(new_terms)
        out = ell + "".join(sorted(ch for ch in set(letters) if letters.count(ch) == 1
                                   and ch not in ell))
    sizes = _subscript_sizes(new_terms, shapes, ell)
    for ch in out:
        if ch not in sizes:
            raise RuntimeError(
                f"einsum(): output subscript {ch} does not appear in the equation for any "
                "input operand"
            )
    targets = [tuple(sizes[ch] for ch in t) for t in new_terms]
    return ",".join(new_terms) + "->" + out, targets


def _subscript_sizes(terms, shapes, ell: str) -> dict[str, int]:
    """The size of every subscript after broadcasting, with PyTorch's errors."""
    sizes: dict[str, int] = {}
    for k, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        own: dict[str, int] = {}
        for ch, n in zip(t, shape, strict=True):
            if own.setdefault(ch, n) != n:
                raise RuntimeError(f"einsum(): subscript {ch} is repeated for operand {k} but "
                                   f"the sizes don't match, {own[ch]} != {n}")
        for d, (ch, n) in enumerate(zip(t, shape, strict=True)):
            seen = sizes.setdefault(ch, n)
            if seen == n or n == 1:
                continue
            if seen != 1:
                if ch in ell:
                    raise RuntimeError(
                        f"einsum(): dimension {d} covered by ellipsis in operand {k}has size "
                        f"{n} which does not broadcast with previously seen ellipsis with size "
                        f"{seen} for the respective dimension"
                    )
                raise RuntimeError(
                    f"einsum(): subscript {ch} has size {n} for operand {k} which does not "
                    f"broadcast with previously seen size {seen}"
                )
            sizes[ch] = n
    return sizes


def _matmul_dtype_error(a: Tensor, b: Tensor) -> RuntimeError:
    """PyTorch's error for matmul operands of different dtypes (no promotion), worded by the
    kernel the operand ranks lead to."""
    da, db = a._data.dtype, b._data.dtype
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError("dot : expected both vectors to have same dtype, but found "
                            f"{_type_name(a)} and {_type_name(b)}")
    if b.ndim == 1:
        return RuntimeError("addmv input tensors must have the same dtype, but got "
                            f"{_type_name(b)}, {_type_name(a)}, and {_type_name(b)}")
    if b.ndim == 2:
        return RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                            f"{c_type_name(da)} != {c_type_name(db)}")
    return RuntimeError(f"expected scalar type {_type_name(a)} but found {_type_name(b)}")


def _bool_matmul_error(na: int, nb: int) -> NotImplementedError:
    """torch's error for bool operands, named by the kernel the ranks lead to."""
    if na == 1 and nb == 1:
        kernel = "dot"
    elif nb == 1:
        kernel = "addmv_impl_cpu"
    else:  # batch dims of the first operand fold into rows when the second is a matrix
        kernel = "addmm_impl_cpu_" if nb == 2 else "bmm"
    return kernel_error(kernel, np.bool_)


def _matmul_error(sa: tuple, sb: tuple) -> RuntimeError:
    """The error PyTorch raises for matmul operands of these shapes."""
    if len(sa) == 1 and len(sb) == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the "
            f"same number of elements, but got {sa[0]} and {sb[0]} elements respectively"
        )
    rows = int(np.prod(sa[:-1]))
    if len(sb) == 1:
        return RuntimeError(
            f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})"
        )
    if len(sb) == 2:
        return RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and {sb[0]}x{sb[1]})"
        )
    try:
        batch = int(np.prod(np.broadcast_shapes(sa[:-2], sb[:-2])))
    except ValueError:
        return broadcast_error(np.empty(sa[:-2]), np.empty(sb[:-2]))
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {sa[-1]}] "
        f"but got: [{batch}, {sb[-2]}]."
    )


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices.

    Args:
        input: an ``(n, m)`` matrix.
        mat2: an ``(m, p)`` matrix of the same dtype.

    Returns:
        The ``(n, p)`` product.

    Example:
        >>> ember.mm(ember.tensor([[1., 2.]]), ember.tensor([[3.], [4.]]))
        tensor([[11.]])
    """
    if (type(input) is not Tensor or type(mat2) is not Tensor) and (
            getattr(input, "is_sparse", False) or getattr(mat2, "is_sparse", False)):
        return matmul(input, mat2)
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors.

    Args:
        input: a ``(b, n, m)`` tensor.
        mat2: a ``(b, m, p)`` tensor.

    Returns:
        The ``(b, n, p)`` products.

    Example:
        >>> ember.bmm(ember.ones(2, 1, 3), ember.ones(2, 3, 2)).shape
        ember.Size([2, 1, 2])
    """
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if autocast_lower(input._data.dtype) != autocast_lower(mat2._data.dtype):
        raise RuntimeError(f"expected scalar type {_type_name(input)} but found "
                           f"{_type_name(mat2)}")
    if tuple(mat2.shape[:2]) != (input.shape[0], input.shape[2]):
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors.

    Args:
        input: a 1-D tensor.
        other: a 1-D tensor of the same length and dtype.

    Returns:
        A 0-d tensor.

    Example:
        >>> ember.dot(ember.tensor([1., 2.]), ember.tensor([3., 4.]))
        tensor(11.)
    """
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors"
        )
    if input.shape[0] != other.shape[0]:
        raise _matmul_error(tuple(input.shape), tuple(other.shape))
    return matmul(input, other)


inner = dot


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product.

    Args:
        input: an ``(n, m)`` matrix.
        vec: a vector of length ``m``.

    Returns:
        A vector of length ``n``.

    Example:
        >>> ember.mv(ember.tensor([[1., 2.], [3., 4.]]), ember.tensor([1., -1.]))
        tensor([-1., -1.])
    """
    return matmul(input, vec)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors (a broadcast product: dtypes promote, as torch's).

    Args:
        input: a 1-D tensor of length ``n``.
        vec2: a 1-D tensor of length ``m``.

    Returns:
        The ``(n, m)`` tensor of products.

    Example:
        >>> ember.outer(ember.tensor([1., 2.]), ember.tensor([1, 0, 3]))
        tensor([[1., 0., 3.],
                [2., 0., 6.]])
    """
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return mul(input.reshape(-1, 1), vec2)


def _scaled_sum(input: Tensor, product: Tensor, beta, alpha, inner: int) -> Tensor:
    """``beta * input + alpha * product``, ``input`` broadcast to the product's shape. With
    ``beta == 0`` the input is not read, so its NaN and inf do not propagate (as in PyTorch).
    For integer tensors torch converts ``beta`` and ``alpha`` to the integer type first
    (truncating toward zero), except when the product sums ``inner == 0`` terms: torch then
    multiplies the input by ``beta`` in place, which refuses a ``beta`` the dtype cannot hold.
    """
    input.expand(*product.shape)  # PyTorch's error if the input does not broadcast
    dt = product._data.dtype
    if inner == 0 and product._data.size and beta != 0 and dt.kind in "biu":
        wanted = promote(product, beta)
        if wanted != dt:
            raise RuntimeError(f"result type {SCALAR_TYPE_NAMES[wanted.name]} can't be cast to "
                               f"the desired output type {SCALAR_TYPE_NAMES[dt.name]}")
    if dt == np.bool_:  # only empty bool products get here (see matmul): torch keeps bool
        return product if beta == 0 else product.logical_or(input.expand(*product.shape))
    if dt.kind in "iu":
        for scalar in (beta, alpha):
            check_scalar_fits(scalar, dt)
        beta, alpha = int(beta), int(alpha)
    out = product if alpha == 1 else product * alpha
    if beta == 0:
        return out
    return (input if beta == 1 else input * beta) + out


def _type_name(t: Tensor) -> str:
    return SCALAR_TYPE_NAMES[t._data.dtype.name]


@quiet
class Addmm(ArrayFunction):
    """``input + mat1 @ mat2`` for matrices, ``input`` broadcast to the product: one product
    and an in-place add, one node (torch's ``AddmmBackward0``)."""

    @staticmethod
    def forward(ctx, input, mat1, mat2):
        _, need_1, need_2 = ctx.needs_input_grad  # each factor only for the other's gradient
        ctx.save_for_backward(mat1 if need_2 else None, mat2 if need_1 else None)
        ctx.input_shape = input.shape
        out = array_product(mat1, mat2)
        out += input
        return out

    @staticmethod
    def backward(ctx, grad):
        mat1, mat2 = ctx.saved_tensors
        need_in, need_1, need_2 = ctx.needs_input_grad
        return (reduce_grad(grad, ctx.input_shape, grad.dtype) if need_in else None,
                array_product(grad, mat2.T) if need_1 else None,
                array_product(mat1.T, grad) if need_2 else None)


def _plain_addmm(input: np.ndarray, mat1: np.ndarray, mat2: np.ndarray) -> bool:
    """True when :class:`Addmm` computes ``addmm(input, mat1, mat2)`` as the general path
    would: float matrices of one dtype that multiply, ``input`` broadcasting to the product."""
    dt = mat1.dtype
    if not (dt.kind == "f" and mat2.dtype == dt and input.dtype == dt and mat1.ndim == 2
            and mat2.ndim == 2 and mat1.shape[1] == mat2.shape[0] and input.ndim <= 2):
        return False
    product = (mat1.shape[0], mat2.shape[1])
    return all(n in (1, p) for n, p in zip(input.shape[::-1], product[::-1], strict=False))


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * mat1 @ mat2`` (``input`` ignored when ``beta == 0``).

    Args:
        input: a tensor broadcast to the product's ``(n, p)`` shape.
        mat1: an ``(n, m)`` matrix.
        mat2: an ``(m, p)`` matrix.
        beta: the factor of ``input``.
        alpha: the factor of the product.

    Returns:
        The ``(n, p)`` result.

    Example:
        >>> ember.addmm(ember.ones(2, 2), ember.eye(2), ember.eye(2), beta=2, alpha=3)
        tensor([[5., 2.],
                [2., 5.]])
    """
    if beta == 1 and alpha == 1 and isinstance(mat1, Tensor) and isinstance(mat2, Tensor) and \
            _plain_addmm(input._data, mat1._data, mat2._data):
        return Addmm.apply(input, mat1, mat2)
    for name, t in (("self", input), ("mat1", mat1)):
        if autocast_lower(t._data.dtype) != autocast_lower(mat2._data.dtype):
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{_type_name(t)} and {_type_name(mat2)}")
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha, mat1.shape[-1])


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)`` (``input`` ignored when ``beta == 0``).

    Args:
        input: a tensor broadcast to the products' ``(b, n, p)`` shape.
        batch1: a ``(b, n, m)`` tensor.
        batch2: a ``(b, m, p)`` tensor.
        beta: the factor of ``input``.
        alpha: the factor of the products.

    Returns:
        The ``(b, n, p)`` result.

    Example:
        >>> ember.baddbmm(ember.zeros(1, 1, 1), ember.ones(1, 1, 2), ember.ones(1, 2, 1), alpha=0.5)
        tensor([[[1.]]])
    """
    for t in (batch1, batch2):
        if autocast_lower(t._data.dtype) != autocast_lower(input._data.dtype):
            raise RuntimeError(f"expected scalar type {_type_name(input)} but found "
                               f"{_type_name(t)}")
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha, batch1.shape[-1])


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Sums the products of ``a`` and ``b`` over the given dims: the last ``dims`` of ``a``
    with the first ``dims`` of ``b`` (an int), or ``dims = (dims_a, dims_b)``.

    Args:
        a: the left tensor.
        b: the right tensor.
        dims: an int (that many trailing dims of ``a`` with as many leading dims of ``b``) or a pair
            of dim lists.

    Returns:
        The contracted tensor: ``a``'s free dims followed by ``b``'s.

    Example:
        >>> ember.tensordot(ember.ones(2, 3), ember.ones(3, 4), dims=1).shape
        ember.Size([2, 4])
    """
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        axes_a, axes_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        axes_a, axes_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(axes_a) != len(axes_b):
            raise RuntimeError("both dimension lists should have same length")
    axes_a = [d % a.ndim for d in axes_a] if a.ndim else axes_a
    axes_b = [d % b.ndim for d in axes_b] if b.ndim else axes_b
    for da, db in zip(axes_a, axes_b, strict=True):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{da} and second has size {b.shape[db]} in dim {db}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    inner_size = int(np.prod([a.shape[d] for d in axes_a]))
    left = a.permute(*free_a, *axes_a).reshape(-1, inner_size)
    right = b.permute(*axes_b, *free_b).reshape(inner_size, -1)
    return matmul(left, right).reshape(*(a.shape[d] for d in free_a),
                                       *(b.shape[d] for d in free_b))


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block ``(i, j, ...)`` of the result is ``input[i, j, ...] *
    other`` (the operands' shapes padded with leading ones to the same length).

    Args:
        input: the tensor that picks the blocks' scale.
        other: the tensor each block is a multiple of.

    Returns:
        A tensor whose each dimension is the product of the operands' sizes.

    Example:
        >>> ember.kron(ember.tensor([1, 2]), ember.tensor([1, 10]))
        tensor([ 1, 10,  2, 20])
    """
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    left = input.reshape(*(v for d in sa for v in (d, 1)))
    right = other.reshape(*(v for d in sb for v in (1, d)))
    return (left * right).reshape(*(x * y for x, y in zip(sa, sb, strict=True)))


def _sum_lone_letters(eq: str, operands: list) -> tuple:
    """Sums out of each operand the letters that neither the output nor another operand has,
    before the product, as torch does: backward then holds those sums, not the operands, so
    an in-place change of such an operand after the einsum is allowed (as in torch)."""
    lhs, out = eq.split("->")
    terms = lhs.split(",")
    new_terms, new_ops = [], []
    for k, (term, op) in enumerate(zip(terms, operands, strict=True)):
        others = set(out).union(*(t for j, t in enumerate(terms) if j != k))
        lone = tuple(d for d, ch in enumerate(term) if ch not in others and term.count(ch) == 1)
        if lone:
            summed = tuple(d for d in lone if op.shape[d] != 1)  # size 1 is only squeezed
            if summed:
                op = op.sum(dim=summed, keepdim=True)
            op = op.reshape(tuple(n for d, n in enumerate(op.shape) if d not in lone))
            term = "".join(ch for d, ch in enumerate(term) if d not in lone)
        new_terms.append(term)
        new_ops.append(op)
    return (",".join(new_terms) + "->" + out, *new_ops)


def _einsum_dtype(eq: str, operands) -> np.dtype:
    """The result dtype of torch's einsum, which reduces step by step: a letter that only one
    operand has (of size > 1) is summed out of it first (integers and bools become int64), then
    two operands sharing no summed letter of size > 1 multiply (promoting their dtypes), while
    a contraction is a batched matrix product (one dtype, no bool)."""
    lhs, out = eq.split("->")
    terms = lhs.split(",")
    letters = [{ch for ch, n in zip(t, o.shape, strict=True) if n != 1}
               for t, o in zip(terms, operands, strict=True)]
    dtypes = []
    for k, o in enumerate(operands):
        others = set(out).union(*(s for j, s in enumerate(letters) if j != k))
        dt = o._data.dtype
        if dt.kind in "biu" and letters[k] - others:
            dt = np.dtype(np.int64)  # summed like torch.sum
        dtypes.append(dt)
    if len(operands) == 1:
        return dtypes[0]
    first = dtypes[0]
    if len(operands) == 2 and not (letters[0] & letters[1]) - set(out):
        return np.dtype(promote(*(Tensor._make(np.empty((1,), d)) for d in dtypes)))
    for dt in dtypes[1:]:
        if autocast_lower(dt) != autocast_lower(first):
            raise RuntimeError(f"expected scalar type {SCALAR_TYPE_NAMES[first.name]} but found "
                               f"{SCALAR_TYPE_NAMES[dt.name]}")
    if first == np.bool_:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    return first

"""ONNX translations ("symbolics") of Ember's built-in ops, keyed by their Function class.

A symbolic is ``fn(g, call) -> name | [names]``: ``g`` is the
:class:`~ember.onnx.export.GraphBuilder`, ``call`` the traced :class:`~ember.onnx.export.Call`
(``call.inputs[i]`` is the ONNX value name of tensor argument ``i``, or the argument itself;
``call.args[i]`` its NumPy value; ``call.alt`` the same op in the run on altered inputs). It
returns one value name per output of the op (None for an output it cannot produce: using it
then fails with a clear error).

Ops whose arguments hold sizes (reshape targets, slice bounds, expand shapes) compare them
with the altered run: a size that changed with the dynamic axes is written relative to the
input's shape (``0`` to copy a dim, ``-1`` to infer one, bounds counted from the end), or the
export fails naming the op.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from ember.autograd.function import ArrayFunction
from ember.onnx.errors import UnsupportedOperatorError, _unsupported

# by module path: ember.ops and ember.nn.functional export functions named like some modules
act, conv, dropout, normalization, pooling, sparse = (
    importlib.import_module(f"ember.nn.functional.{m}")
    for m in ("activation", "conv", "dropout", "normalization", "pooling", "sparse"))
arith, indexing, linalg, pointwise, reduction, shape, softmax = (
    importlib.import_module(f"ember.ops.{m}")
    for m in ("arith", "indexing", "linalg", "pointwise", "reduction", "shape", "softmax"))

__all__ = ["SYMBOLICS", "register"]

SYMBOLICS: dict[type, object] = {}

_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


def register(*classes: type[ArrayFunction]):
    """Decorator: makes ``fn`` the symbolic of the given op classes."""

    def deco(fn):
        for cls in classes:
            SYMBOLICS[cls] = fn
        return fn

    return deco


def _dtype(call, k: int = 0) -> np.dtype:
    return call.outputs[k].dtype


def _fixed_dims(call, i: int, dims, what: str) -> None:
    """Raises if any of ``dims`` of argument ``i`` changes with the dynamic axes."""
    dynamic = call.dynamic(i)
    bad = [d for d in dims if dynamic[d]]
    if bad:
        raise _unsupported(call.name, f"{what} over dim {bad[0]}, which follows dynamic_axes")


# -- elementwise ---------------------------------------------------------------------------
_UNARY = {
    pointwise.Abs: "Abs", pointwise.Acos: "Acos", pointwise.Asin: "Asin",
    pointwise.Atan: "Atan", pointwise.Cos: "Cos", pointwise.Cosh: "Cosh",
    pointwise.Sin: "Sin", pointwise.Sinh: "Sinh", pointwise.Tan: "Tan",
    pointwise.Tanh: "Tanh", pointwise.Erf: "Erf", pointwise.Exp: "Exp",
    pointwise.Log: "Log", pointwise.Sqrt: "Sqrt", pointwise.Sigmoid: "Sigmoid",
    pointwise.Relu: "Relu", arith.Neg: "Neg",
}


@register(*_UNARY)
def _unary(g, call):
    return g.op(_UNARY[call.cls], g.cast(call.inputs[0], _dtype(call)))


@register(arith.Clone, shape.Contiguous)
def _identity(g, call):
    return g.op("Identity", call.inputs[0])


@register(arith.Cast)
def _cast(g, call):
    return g.cast(call.inputs[0], _dtype(call))


@register(pointwise.Rsqrt)
def _rsqrt(g, call):
    return g.op("Reciprocal", g.op("Sqrt", g.cast(call.inputs[0], _dtype(call))))


@register(arith.Reciprocal)
def _reciprocal(g, call):
    return g.op("Reciprocal", g.cast(call.inputs[0], _dtype(call)))


@register(pointwise.NanToNum)
def _nan_to_num(g, call):
    x, nan, posinf, neginf = call.inputs[0], *call.args[1:4]
    dt = _dtype(call)
    info = np.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = g.op("Where", g.op("IsNaN", x), g.const(nan, dt), x)
    out = g.op("Where", g.op("IsInf", x, detect_negative=0), g.const(posinf, dt), out)
    return g.op("Where", g.op("IsInf", x, detect_positive=0), g.const(neginf, dt), out)


@register(pointwise.Log1p)
def _log1p(g, call):
    x = g.cast(call.inputs[0], _dtype(call))
    return g.op("Log", g.op("Add", x, g.const(1, _dtype(call))))


@register(pointwise.Expm1)
def _expm1(g, call):
    x = g.cast(call.inputs[0], _dtype(call))
    return g.op("Sub", g.op("Exp", x), g.const(1, _dtype(call)))


@register(pointwise.Exp2)
def _exp2(g, call):
    dt = _dtype(call)
    return g.op("Pow", g.const(2, dt), g.cast(call.inputs[0], dt))


@register(pointwise.Log2, pointwise.Log10)
def _log_base(g, call):
    dt = _dtype(call)
    base = 2.0 if call.cls is pointwise.Log2 else 10.0
    return g.op("Div", g.op("Log", g.cast(call.inputs[0], dt)), g.const(math.log(base), dt))


def _trunc(g, x):
    return g.op("Mul", g.op("Sign", x), g.op("Floor", g.op("Abs", x)))


@register(pointwise.Passthrough)
def _frac(g, call):
    x = call.inputs[0]
    return g.op("Sub", x, _trunc(g, x))


_BINARY = {arith.Add: "Add", arith.Sub: "Sub", arith.Mul: "Mul", arith.Div: "Div",
           arith.Pow: "Pow", pointwise.Maximum: "Max", pointwise.Minimum: "Min"}


@register(*_BINARY)
def _binary(g, call):
    dt = _dtype(call)
    return g.op(_BINARY[call.cls], g.operand(call.inputs[0], dt), g.operand(call.inputs[1], dt))


@register(arith.RoundedDiv)
def _rounded_div(g, call):
    dt = _dtype(call)
    a, b = g.operand(call.inputs[0], dt), g.operand(call.inputs[1], dt)
    mode = call.args[2]
    if dt.kind == "f":
        q = g.op("Div", a, b)
        return g.op("Floor", q) if mode == "floor" else _trunc(g, q)
    if mode == "floor":  # exact: (a - a mod b) / b with the divisor's sign, as Python's //
        return g.op("Div", g.op("Sub", a, g.op("Mod", a, b, fmod=0)), b)
    return g.op("Div", a, b)  # integer Div truncates toward zero


@register(arith.Remainder, arith.Fmod)
def _remainder(g, call):
    dt = _dtype(call)
    a, b = g.operand(call.inputs[0], dt), g.operand(call.inputs[1], dt)
    if call.cls is arith.Fmod:
        return g.op("Mod", a, b, fmod=1)
    if dt.kind != "f":
        return g.op("Mod", a, b, fmod=0)
    return g.op("Sub", a, g.op("Mul", g.op("Floor", g.op("Div", a, b)), b))


@register(pointwise.LogAddExp)
def _logaddexp(g, call):
    dt = _dtype(call)
    a, b = g.operand(call.inputs[0], dt), g.operand(call.inputs[1], dt)
    m = g.op("Max", a, b)
    total = g.op("Add", g.op("Exp", g.op("Sub", a, m)), g.op("Exp", g.op("Sub", b, m)))
    return g.op("Add", m, g.op("Log", total))


@register(pointwise.Clamp)
def _clamp(g, call):
    dt = _dtype(call)
    out = g.cast(call.inputs[0], dt)
    lo, hi = call.inputs[1], call.inputs[2]
    if lo is not None:
        out = g.op("Max", out, g.operand(lo, dt))
    if hi is not None:
        out = g.op("Min", out, g.operand(hi, dt))
    return out if out != call.inputs[0] else g.op("Identity", out)


@register(pointwise.Where)
def _where(g, call):
    dt = _dtype(call)
    cond = g.cast(call.inputs[0], np.bool_) if isinstance(call.inputs[0], str) else \
        g.const(np.asarray(call.inputs[0], dtype=np.bool_))
    return g.op("Where", cond, g.operand(call.inputs[1], dt), g.operand(call.inputs[2], dt))


@register(indexing.MaskedFill)
def _masked_fill(g, call):
    dt = _dtype(call)
    mask = g.cast(call.inputs[1], np.bool_)
    return g.op("Where", mask, g.operand(call.inputs[2], dt), call.inputs[0])


# -- activations ---------------------------------------------------------------------------
@register(act.LeakyRelu)
def _leaky_relu(g, call):
    return g.op("LeakyRelu", call.inputs[0], alpha=float(call.args[1]))


@register(act.Elu)
def _elu(g, call):
    x, (alpha, scale, input_scale) = call.inputs[0], call.args[1:4]
    if scale == 1 and input_scale == 1:
        return g.op("Elu", x, alpha=float(alpha))
    if input_scale == 1 and (alpha, scale) == (act._SELU_ALPHA, act._SELU_SCALE):
        return g.op("Selu", x, alpha=float(alpha), gamma=float(scale))
    if scale == 1 and input_scale == 1 / alpha:
        return g.op("Celu", x, alpha=float(alpha))
    dt = _dtype(call)
    neg = g.op("Mul", g.op("Sub", g.op("Exp", g.op("Mul", g.op("Min", x, g.const(0, dt)),
                                                   g.const(input_scale, dt))),
                           g.const(1, dt)), g.const(alpha * scale, dt))
    pos = g.op("Greater", x, g.const(0, dt))
    return g.op("Where", pos, g.op("Mul", x, g.const(scale, dt)), neg)


@register(act.Gelu)
def _gelu(g, call):
    x, approximate = call.inputs[0], call.args[1]
    if g.opset >= 20:
        return g.op("Gelu", x, approximate=approximate)
    dt = _dtype(call)
    half_x = g.op("Mul", x, g.const(0.5, dt))
    if approximate == "tanh":
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Add", x, g.op("Mul", cube, g.const(0.044715, dt)))
        t = g.op("Tanh", g.op("Mul", inner, g.const(math.sqrt(2 / math.pi), dt)))
    else:
        t = g.op("Erf", g.op("Mul", x, g.const(1 / math.sqrt(2), dt)))
    return g.op("Mul", half_x, g.op("Add", t, g.const(1, dt)))


@register(act.Silu)
def _silu(g, call):
    x = call.inputs[0]
    return g.op("Mul", x, g.op("Sigmoid", x))


@register(act.Mish)
def _mish(g, call):
    x = call.inputs[0]
    if g.opset >= 18:
        return g.op("Mish", x)
    return g.op("Mul", x, g.op("Tanh", g.op("Softplus", x)))


@register(act.Softplus)
def _softplus(g, call):
    x, beta, threshold = call.inputs[0], call.args[1], call.args[2]
    dt = _dtype(call)
    bx = g.op("Mul", x, g.const(beta, dt))
    soft = g.op("Div", g.op("Softplus", bx), g.const(beta, dt))
    return g.op("Where", g.op("Greater", bx, g.const(threshold, dt)), x, soft)


@register(act.LogSigmoid)
def _logsigmoid(g, call):
    return g.op("Neg", g.op("Softplus", g.op("Neg", call.inputs[0])))


@register(act.Hardtanh)
def _hardtanh(g, call):
    dt = _dtype(call)
    return g.op("Clip", call.inputs[0], g.const(call.args[1], dt), g.const(call.args[2], dt))


@register(act.Hardsigmoid)
def _hardsigmoid(g, call):
    return g.op("HardSigmoid", call.inputs[0], alpha=1 / 6, beta=0.5)


@register(act.Hardswish)
def _hardswish(g, call):
    return g.op("HardSwish", call.inputs[0])


@register(act.Threshold)
def _threshold(g, call):
    dt = _dtype(call)
    x = call.inputs[0]
    below = g.op("LessOrEqual", x, g.const(call.args[1], dt))
    return g.op("Where", below, g.const(call.args[2], dt), x)


@register(act.Shrink)
def _shrink(g, call):
    lambd, soft = float(call.args[1]), call.args[2]
    return g.op("Shrink", call.inputs[0], lambd=lambd, bias=lambd if soft else 0.0)


@register(act.Prelu)
def _prelu(g, call):
    x, w = call.inputs[0], call.inputs[1]
    ndim = len(call.shape(0))
    if np.size(call.args[1]) > 1 and ndim > 2:
        w = _reshape_const_or_node(g, w, (-1,) + (1,) * (ndim - 2))
    return g.op("PRelu", x, w)


@register(softmax.Softmax, softmax.LogSoftmax)
def _softmax(g, call):
    op = "Softmax" if call.cls is softmax.Softmax else "LogSoftmax"
    return g.op(op, call.inputs[0], axis=int(call.args[1]))


def _dropout_in_training(g, call):
    raise _unsupported(call.name, "dropout in training mode; export in eval mode")


register(dropout.DropoutFunction)(_dropout_in_training)


# -- linear algebra ------------------------------------------------------------------------
def _reshape_const_or_node(g, name: str, target) -> str:
    if name in g.initializers:
        return g.const(g.initializers[name].reshape(target))
    return g.op("Reshape", name, g.ints(target))


def _transpose_const_or_node(g, name: str, perm) -> str:
    if name in g.initializers:
        return g.const(np.ascontiguousarray(g.initializers[name].transpose(perm)))
    return g.op("Transpose", name, perm=list(perm))


@register(linalg.Linear)
def _linear(g, call):
    x, w, b = call.inputs[:3]
    if len(call.shape(0)) == 2:
        return g.op("Gemm", x, w, b, transB=1)
    y = g.op("MatMul", x, _transpose_const_or_node(g, w, (1, 0)))
    return y if b is None else g.op("Add", y, b)


@register(linalg.MatMul)
def _matmul(g, call):
    dt = _dtype(call)
    return g.op("MatMul", g.cast(call.inputs[0], dt), g.cast(call.inputs[1], dt))


@register(linalg.Einsum)
def _einsum(g, call):
    dt = _dtype(call)
    operands = [g.cast(v, dt) for v in call.inputs[1:]]
    return g.op("Einsum", *operands, equation=call.args[0].replace(" ", ""))


# -- reductions ----------------------------------------------------------------------------
@register(reduction.Sum)
def _sum(g, call):
    return g.reduce("ReduceSum", g.cast(call.inputs[0], _dtype(call)), call.args[1],
                    call.args[2])


@register(reduction.Mean)
def _mean(g, call):
    return g.reduce("ReduceMean", call.inputs[0], call.args[1], call.args[2])


@register(reduction.Prod)
def _prod(g, call):
    axis = call.args[1]
    axes = None if axis is None else [axis]
    return g.reduce("ReduceProd", g.cast(call.inputs[0], _dtype(call)), axes, call.args[2])


@register(reduction.MaxMinAll)
def _amax(g, call):
    op = "ReduceMax" if call.args[1] else "ReduceMin"
    return g.reduce(op, call.inputs[0], call.args[2], call.args[3])


@register(reduction.MaxMinDim)
def _max_dim(g, call):
    x, is_max, dim, keepdim = call.inputs[0], call.args[1], call.args[2], call.args[3]
    if len(call.shape(0)) == 0:
        raise _unsupported(call.name, "of a 0-d tensor")
    values = g.reduce("ReduceMax" if is_max else "ReduceMin", x, [dim], keepdim)
    indices = g.op("ArgMax" if is_max else "ArgMin", x, axis=int(dim), keepdims=int(keepdim))
    return [values, indices]


@register(reduction.LogSumExp)
def _logsumexp(g, call):
    x, axes, keepdim = call.inputs[0], call.args[1], call.args[2]
    m = g.reduce("ReduceMax", x, axes, True)
    total = g.reduce("ReduceSum", g.op("Exp", g.op("Sub", x, m)), axes, True)
    out = g.op("Add", g.op("Log", total), m)
    if not keepdim:
        ndim = len(call.shape(0))
        out = g.squeeze(out, range(ndim) if axes is None else axes)
    return out


def _count(call, axes) -> int:
    shape_ = call.shape(0)
    axes = range(len(shape_)) if axes is None else axes
    _fixed_dims(call, 0, list(axes), "a reduction that divides by the count")
    return int(np.prod([shape_[a] for a in axes]))


@register(reduction.Var, reduction.Std)
def _var(g, call):
    x, axes, correction, keepdim = call.inputs[0], call.args[1], call.args[2], call.args[3]
    dt = _dtype(call)
    d = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    total = g.reduce("ReduceSum", g.op("Mul", d, d), axes, keepdim)
    dof = max(_count(call, axes) - correction, 0)
    var = g.op("Div", total, g.const(dof, dt))
    return g.op("Sqrt", var) if call.cls is reduction.Std else var


@register(reduction.Norm)
def _norm(g, call):
    x, p, axes, keepdim = call.inputs[0], call.args[1], call.args[2], call.args[3]
    if p == 2:
        return g.reduce("ReduceL2", x, axes, keepdim)
    if p == 1:
        return g.reduce("ReduceL1", x, axes, keepdim)
    if p == 0:
        raise _unsupported(call.name, "p=0")
    dt = _dtype(call)
    powered = g.op("Pow", g.op("Abs", x), g.const(p, dt))
    return g.op("Pow", g.reduce("ReduceSum", powered, axes, keepdim), g.const(1 / p, dt))


@register(reduction.NormInf)
def _norm_inf(g, call):
    op = "ReduceMax" if call.args[1] else "ReduceMin"
    return g.reduce(op, g.op("Abs", call.inputs[0]), call.args[2], call.args[3])


@register(reduction.CumSum)
def _cumsum(g, call):
    x = g.cast(call.inputs[0], _dtype(call))
    return g.op("CumSum", x, g.const(np.int64(call.args[1])))


# -- shapes --------------------------------------------------------------------------------
def _relative_shape(call, target, alt_target) -> list[int]:
    """A Reshape target valid for both runs: a dim that changed becomes ``0`` (copy the input
    dim at that position) when it equals the input's there in both runs, else ``-1`` (one
    allowed); an unchanged ``0``-sized dim is kept with ``allowzero`` unset, so it is refused.
    """
    in_shape, alt_in = call.shape(0), call.alt.shape(0)
    out: list[int] = []
    inferred = False
    for i, (n, m) in enumerate(zip(target, alt_target, strict=True)):
        if n == m:
            out.append(int(n))
        elif i < len(in_shape) and in_shape[i] == n and alt_in[i] == m:
            out.append(0)
        elif not inferred:
            out.append(-1)
            inferred = True
        else:
            raise _unsupported(call.name, f"a reshape to {list(target)} with more than one "
                                          "size that follows dynamic_axes")
    if any(v == 0 for v in target):
        raise _unsupported(call.name, "a reshape with a 0-sized dim")
    return out


@register(shape.Reshape)
def _reshape(g, call):
    target = tuple(call.args[1])
    if call.alt is not None and tuple(call.alt.args[1]) != target:
        if len(call.alt.args[1]) != len(target):
            raise _unsupported(call.name, "a reshape whose rank follows the input sizes")
        target = _relative_shape(call, target, tuple(call.alt.args[1]))
    else:
        target = list(target)
        # keep leading dims that copy the input (a dynamic batch stays dynamic under folding)
        in_shape = call.shape(0)
        for i, n in enumerate(target):
            if i < len(in_shape) and in_shape[i] == n and n != 0 and call.dynamic(0)[i]:
                target[i] = 0
    if len(target) == 1 and target[0] != 0:
        target = [-1]
    return g.op("Reshape", call.inputs[0], g.ints(target))


@register(shape.Permute)
def _permute(g, call):
    return g.op("Transpose", call.inputs[0], perm=[int(d) for d in call.args[1]])


@register(shape.Expand)
def _expand(g, call):
    target = list(call.args[1])
    if call.alt is not None and tuple(call.alt.args[1]) != tuple(target):
        in_shape, alt_in = call.shape(0), call.alt.shape(0)
        lead = len(target) - len(in_shape)
        for i, (n, m) in enumerate(zip(target, call.alt.args[1], strict=True)):
            j = i - lead
            if n != m:
                if j >= 0 and in_shape[j] == n and alt_in[j] == m:
                    target[i] = 1  # Expand broadcasts: 1 keeps the input's size
                else:
                    raise _unsupported(call.name, "an expand to a size that follows "
                                                  "dynamic_axes")
    return g.op("Expand", call.inputs[0], g.ints(target))


def _normalise_index(index, ndim: int) -> list:
    """The index with its Ellipsis expanded into full slices."""
    index = list(index)
    n_ell = sum(1 for i in index if i is Ellipsis)
    if n_ell:
        k = index.index(Ellipsis)
        used = sum(1 for i in index if i is not None and i is not Ellipsis)
        index[k:k + 1] = [slice(None)] * (ndim - used)
    used = sum(1 for i in index if i is not None)
    return index + [slice(None)] * (ndim - used)


def _bound(v, n: int, alt_v, alt_n) -> int:
    """A slice bound valid in both runs: from the end when it moved with the dim size."""
    if alt_v is None or v == alt_v:
        return v
    if v - n == alt_v - alt_n:
        return v - n if v - n < 0 else _INT64_MAX
    raise UnsupportedOperatorError("bound")


@register(shape.Slice)
def _slice(g, call):
    x = call.inputs[0]
    in_shape = call.shape(0)
    alt_shape = call.alt.shape(0) if call.alt is not None else in_shape
    index = _normalise_index(call.args[1], len(in_shape))
    alt_index = (_normalise_index(call.alt.args[1], len(alt_shape))
                 if call.alt is not None else index)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_dim = 0
    for item, alt_item in zip(index, alt_index, strict=True):
        if item is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        n, m = in_shape[dim], alt_shape[dim]
        try:
            if isinstance(item, slice):
                start, stop, step = item.indices(n)
                a_start, a_stop, _ = alt_item.indices(m)
                if (start, stop, step) != (0, n, 1) or n != m:
                    if step < 0:
                        if (start, stop) != (n - 1, -1) or (a_start, a_stop) != (m - 1, -1):
                            start = _bound(start, n, a_start, m)
                            stop = _bound(stop, n, a_stop, m)
                        else:
                            start, stop = -1, _INT64_MIN
                    else:
                        start = _bound(start, n, a_start, m)
                        stop = _bound(stop, n, a_stop, m)
                    if (start, stop, step) != (0, _INT64_MAX, 1) and (
                            (start, stop, step) != (0, n, 1) or n != m):
                        starts.append(start)
                        ends.append(stop)
                        axes.append(dim)
                        steps.append(step)
                out_dim += 1
            else:
                k = int(item) + n if int(item) < 0 else int(item)
                a_k = int(alt_item) + m if int(alt_item) < 0 else int(alt_item)
                k = _bound(k, n, a_k, m)
                starts.append(k)
                ends.append(k + 1 if k != -1 else _INT64_MAX)
                axes.append(dim)
                steps.append(1)
                squeeze.append(dim)
        except UnsupportedOperatorError:
            raise _unsupported(call.name, f"a slice of dim {dim} whose bounds follow "
                                          "dynamic_axes other than from the end") from None
        dim += 1
    out = x
    if axes:
        out = g.op("Slice", out, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps))
    if squeeze:
        out = g.squeeze(out, squeeze)
    if unsqueeze:
        out = g.unsqueeze(out, unsqueeze)
    return out if out != x else g.op("Identity", x)


@register(shape.Cat)
def _cat(g, call):
    dt = _dtype(call)
    parts = [g.cast(v, dt) for v, skip in zip(call.inputs[2:], call.args[1], strict=True)
             if not skip]
    return g.op("Concat", *parts, axis=int(call.args[0]))


@register(shape.Stack)
def _stack(g, call):
    dt = _dtype(call)
    dim = int(call.args[0])
    if dim < 0:
        dim += len(call.outputs[0].shape)
    parts = [g.unsqueeze(g.cast(v, dt), [dim]) for v in call.inputs[1:]]
    return g.op("Concat", *parts, axis=dim)


@register(shape.Repeat)
def _repeat(g, call):
    x, reps = call.inputs[0], [int(r) for r in call.args[1]]
    if call.alt is not None and list(call.alt.args[1]) != reps:
        raise _unsupported(call.name, "repeats that follow dynamic_axes")
    lead = len(reps) - len(call.shape(0))
    if lead:
        x = g.unsqueeze(x, range(lead))
    return g.op("Tile", x, g.ints(reps))


@register(shape.Flip)
def _flip(g, call):
    dims = [int(d) for d in call.args[1]]
    n = len(dims)
    return g.op("Slice", call.inputs[0], g.ints([-1] * n), g.ints([_INT64_MIN] * n),
                g.ints(dims), g.ints([-1] * n))


@register(shape.Roll)
def _roll(g, call):
    x, shifts, dims = call.inputs[0], call.args[1], call.args[2]
    in_shape = call.shape(0)
    if dims is None:
        flat = g.op("Reshape", x, g.ints([-1]))
        rolled = _roll_axis(g, flat, int(np.prod(in_shape)), int(np.ravel(shifts)[0]), 0)
        _fixed_dims(call, 0, range(len(in_shape)), "a roll")
        return g.op("Reshape", rolled, g.ints(in_shape))
    shifts = np.ravel(shifts).tolist()
    dims = np.ravel(dims).tolist()
    _fixed_dims(call, 0, dims, "a roll")
    out = x
    for s, d in zip(shifts, dims, strict=True):
        out = _roll_axis(g, out, in_shape[d], int(s), int(d))
    return out


def _roll_axis(g, x, n: int, s: int, axis: int):
    s %= n if n else 1
    if s == 0:
        return x
    tail = g.op("Slice", x, g.ints([n - s]), g.ints([n]), g.ints([axis]))
    head = g.op("Slice", x, g.ints([0]), g.ints([n - s]), g.ints([axis]))
    return g.op("Concat", tail, head, axis=axis)


@register(shape.Pad)
def _pad(g, call):
    widths, value = call.args[1], call.args[2]
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    dt = _dtype(call)
    return g.op("Pad", call.inputs[0], g.ints(pads), g.const(np.asarray(value, dtype=dt)),
                mode="constant")


@register(shape.PadIndexed)
def _pad_indexed(g, call):
    out = call.inputs[0]
    in_shape = call.shape(0)
    for d, m in enumerate(call.args[1]):
        m = np.asarray(m).reshape(-1)
        if m.shape == (in_shape[d],) and np.array_equal(m, np.arange(in_shape[d])):
            continue
        _fixed_dims(call, 0, [d], "a reflect/replicate/circular pad")
        out = g.op("Gather", out, g.ints(m), axis=d)
    return out if out != call.inputs[0] else g.op("Identity", out)


# -- indexing ------------------------------------------------------------------------------
@register(indexing.Index)
def _index(g, call):
    index = _normalise_index(call.args[1], len(call.shape(0)))
    arrays = [k for k, i in enumerate(index) if isinstance(i, np.ndarray)]
    rest_full = all(isinstance(i, slice) and i == slice(None) for k, i in enumerate(index)
                    if k not in arrays)
    if len(arrays) != 1 or not rest_full or index[arrays[0]].dtype.kind not in "iu":
        raise _unsupported(call.name, "only indexing with one integer tensor, other dims "
                                      "taken whole, is supported")
    k = arrays[0]
    array = index[k]
    if call.alt is not None:
        alt_index = _normalise_index(call.alt.args[1], len(call.alt.shape(0)))
        if not np.array_equal(alt_index[k], array) and call.value_of(array) is None:
            raise UnsupportedOperatorError(
                f"ember.onnx.export: the index tensor of the op {call.name} depends on the "
                "model's inputs but was computed by an operation the exporter does not see")
    idx = call.value_of(array)
    if idx is None:
        idx = g.const(array.astype(np.int64))
    return g.op("Gather", call.inputs[0], idx, axis=k)


@register(indexing.IndexSelect)
def _index_select(g, call):
    return g.op("Gather", call.inputs[0], call.inputs[2], axis=int(call.args[1]))


@register(indexing.Gather)
def _gather(g, call):
    return g.op("GatherElements", call.inputs[0], call.inputs[2], axis=int(call.args[1]))


@register(sparse.Embedding)
def _embedding(g, call):
    return g.op("Gather", call.inputs[0], call.inputs[1], axis=0)


# -- layers --------------------------------------------------------------------------------
def _batched(g, x, unbatched: bool):
    return g.unsqueeze(x, [0]) if unbatched else x


@register(conv.Convolution, conv.TransposedConvolution)
def _conv(g, call):
    x, w, b = call.inputs[:3]
    kw = call.kwargs
    nd = len(call.shape(1)) - 2
    unbatched = len(call.shape(0)) == nd + 1
    stride = list(kw["stride"])[-nd:]
    dilation = list(kw["dilation"])[-nd:]
    pads = list(kw["pads"])[-nd:]
    onnx_pads = [int(lo) for lo, _ in pads] + [int(hi) for _, hi in pads]
    x = _batched(g, x, unbatched)
    if call.cls is conv.Convolution:
        out = g.op("Conv", x, w, b, strides=stride, dilations=dilation, pads=onnx_pads,
                   group=int(kw["groups"]))
    else:
        out = g.op("ConvTranspose", x, w, b, strides=stride, dilations=dilation,
                   pads=onnx_pads, group=int(kw["groups"]),
                   output_padding=list(kw["output_padding"])[-nd:])
    return g.squeeze(out, [0]) if unbatched else out


@register(normalization.BatchNorm)
def _batch_norm(g, call):
    _x, w, b = call.inputs[:3]
    training, eps = call.args[5], call.args[7]
    if training or call.args[3] is None or call.args[4] is None:
        raise _unsupported(call.name, "batch statistics (training mode or "
                                      "track_running_stats=False)")
    dt = _dtype(call)
    c = call.shape(0)[1]
    w = g.cast(w, dt) if w is not None else g.const(np.ones(c, dt))
    b = g.cast(b, dt) if b is not None else g.const(np.zeros(c, dt))
    mean, var = g.cast(call.inputs[3], dt), g.cast(call.inputs[4], dt)
    return g.op("BatchNormalization", call.inputs[0], w, b, mean, var, epsilon=float(eps))


@register(normalization.LayerNorm)
def _layer_norm(g, call):
    x, w, b, k, eps = call.inputs[0], call.inputs[1], call.inputs[2], call.args[3], call.args[4]
    dt = _dtype(call)
    shape_ = call.shape(0)[-k:] if k else ()
    if g.opset >= 17:
        scale = w if w is not None else g.const(np.ones(shape_, dt))
        return g.op("LayerNormalization", x, scale, b, axis=-k, epsilon=float(eps))
    axes = list(range(-k, 0))
    d = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    var = g.reduce("ReduceMean", g.op("Mul", d, d), axes, True)
    out = g.op("Div", d, g.op("Sqrt", g.op("Add", var, g.const(eps, dt))))
    if w is not None:
        out = g.op("Mul", out, w)
    if b is not None:
        out = g.op("Add", out, b)
    return out


@register(normalization.GroupNorm)
def _group_norm(g, call):
    x, w, b, groups, eps = call.inputs[0], call.inputs[1], call.inputs[2], call.args[3], \
        call.args[4]
    dt = _dtype(call)
    ndim = len(call.shape(0))
    grouped = g.op("Reshape", x, g.ints([0, int(groups), -1]))
    d = g.op("Sub", grouped, g.reduce("ReduceMean", grouped, [2], True))
    var = g.reduce("ReduceMean", g.op("Mul", d, d), [2], True)
    normed = g.op("Div", d, g.op("Sqrt", g.op("Add", var, g.const(eps, dt))))
    out = g.op("Reshape", normed, g.op("Shape", x))
    affine = (-1,) + (1,) * (ndim - 2)
    if w is not None:
        out = g.op("Mul", out, _reshape_const_or_node(g, w, affine))
    if b is not None:
        out = g.op("Add", out, _reshape_const_or_node(g, b, affine))
    return out


@register(normalization.RmsNorm)
def _rms_norm(g, call):
    x, w, k, eps = call.inputs[0], call.inputs[1], call.args[2], call.args[3]
    dt = _dtype(call)
    ms = g.reduce("ReduceMean", g.op("Mul", x, x), list(range(-k, 0)), True)
    inv = g.op("Reciprocal", g.op("Sqrt", g.op("Add", ms, g.const(eps, dt))))
    out = g.op("Mul", x, inv)
    return out if w is None else g.op("Mul", out, w)


# -- pooling -------------------------------------------------------------------------------
def _to_4d(g, call):
    """The pooled input as (N, C, H, W) and the axes inserted to get there (Ember's canonical
    layout: an unbatched input gets a batch axis, a 1-D one a height of 1)."""
    x = call.inputs[0]
    in_shape, shape4 = call.shape(0), tuple(call.kwargs["shape4"])
    if len(in_shape) == 4:
        return x, []
    if len(in_shape) == 3 and shape4 == (1, *in_shape):
        return g.unsqueeze(x, [0]), [0]
    if len(in_shape) == 3:
        return g.unsqueeze(x, [2]), [2]
    return g.unsqueeze(x, [0, 2]), [0, 2]


def _spatial_dims(call) -> tuple:
    """The spatial dims of the pooled input (the last one or two)."""
    in_shape, shape4 = call.shape(0), tuple(call.kwargs["shape4"])
    return in_shape[-1:] if len(in_shape) in (2, 3) and shape4 != (1, *in_shape) \
        else in_shape[-2:]


def _from_4d(g, out, inserted):
    return g.squeeze(out, inserted) if inserted else out


def _ceil_mode(shape4, kernel, stride, padding, dilation, out) -> int:
    floor = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
        shape4[2:], kernel, stride, padding, dilation, strict=True))
    return int(tuple(out) != floor)


@register(pooling.MaxPool2DWithIndices)
def _max_pool(g, call):
    kw = call.kwargs
    x, inserted = _to_4d(g, call)
    pad = [int(p) for p in kw["padding"]]
    ceil = _ceil_mode(kw["shape4"], kw["kernel"], kw["stride"], kw["padding"], kw["dilation"],
                      kw["out"])
    out = g.op("MaxPool", x, kernel_shape=list(kw["kernel"]), strides=list(kw["stride"]),
               pads=pad + pad, dilations=list(kw["dilation"]), ceil_mode=ceil)
    return [_from_4d(g, out, inserted), None]


@register(pooling.AvgPool2D)
def _avg_pool(g, call):
    kw = call.kwargs
    if kw["divisor_override"]:
        raise _unsupported(call.name, "divisor_override")
    ceil = _ceil_mode(kw["shape4"], kw["kernel"], kw["stride"], kw["padding"], (1, 1),
                      kw["out"])
    if ceil:
        raise _unsupported(call.name, "ceil_mode=True")
    x, inserted = _to_4d(g, call)
    pad = [int(p) for p in kw["padding"]]
    out = g.op("AveragePool", x, kernel_shape=list(kw["kernel"]), strides=list(kw["stride"]),
               pads=pad + pad, count_include_pad=int(bool(kw["count_include_pad"])))
    return _from_4d(g, out, inserted)


@register(pooling.AdaptiveAvgPool2D, pooling.AdaptiveMaxPool2D)
def _adaptive_pool(g, call):
    is_avg = call.cls is pooling.AdaptiveAvgPool2D
    x, inserted = _to_4d(g, call)
    out_hw = tuple(call.kwargs["out"])
    hw = tuple(call.kwargs["shape4"][2:])
    if out_hw == (1, 1):
        out = g.op("GlobalAveragePool" if is_avg else "GlobalMaxPool", x)
    elif hw[0] % out_hw[0] == 0 and hw[1] % out_hw[1] == 0:
        k = [hw[0] // out_hw[0], hw[1] // out_hw[1]]
        out = g.op("AveragePool" if is_avg else "MaxPool", x, kernel_shape=k, strides=k)
    else:
        # windows [floor(i n / o), ceil((i + 1) n / o)) per axis; the mean or max over a
        # rectangle is that of the per-row results, so each axis is pooled on its own
        reduce = "ReduceMean" if is_avg else "ReduceMax"
        out = x
        for axis, n, o in ((2, hw[0], out_hw[0]), (3, hw[1], out_hw[1])):
            parts = []
            for i in range(o):
                lo, hi = (i * n) // o, -((-(i + 1) * n) // o)
                part = g.op("Slice", out, g.ints([lo]), g.ints([hi]), g.ints([axis]))
                parts.append(g.reduce(reduce, part, [axis], True))
            out = g.op("Concat", *parts, axis=axis)
    if any(call.dynamic(0)[len(call.shape(0)) - len(_spatial_dims(call)):]):
        raise _unsupported(call.name, "spatial sizes that follow dynamic_axes")
    out = _from_4d(g, out, inserted)
    return out if len(call.outputs) == 1 else [out] + [None] * (len(call.outputs) - 1)

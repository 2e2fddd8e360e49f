"""LLVM IR building blocks for the dropout kernels (Numba intrinsics), and eight-lane steps.

Two things a Numba loop cannot be led to emit are what make a dropout pass reach memory speed
on a CPU without AVX-512:

* vector compares whose lanes become the bits of an integer (``bitcast <8 x i1> to i8``,
  ``vpmovmskb`` on x86), and the reverse (a mask byte spread over eight lanes), so that
  decisions travel as packed bits;
* non-temporal ("streaming") stores, which write a line of a large output straight to memory
  instead of first reading it into the cache (a normal store to an uncached line costs a read
  of that line too). ``store_fence`` orders them before the kernel returns.

The ``apply8`` step handles elements ``i .. i+7`` of ``x``/``out`` (any alignment for ``x``;
``out + i`` must be 32-byte aligned for streaming stores) and takes the eight decisions as the
low 8 bits of an integer, bit ``j`` for element ``i + j``; ``reference_apply8`` beside it
states in NumPy what it computes. Products are one IEEE multiply
and sums one IEEE add per lane, with no contraction into FMA, so results equal the scalar
loops'. ``ember.kernels.dropout_steps`` builds its 128-element steps from the same helpers.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import errors
from numba.extending import intrinsic

from .reference import reference_apply

__all__ = [
    "LANES",
    "apply8",
    "literal_flags",
    "masked_value",
    "prefetch",
    "reference_apply8",
    "splat",
    "store_fence",
    "store_vector",
    "vector_ptr",
]

#: Elements per step.
LANES = 8
_I32 = ir.IntType(32)
_NONTEMPORAL = "nontemporal"


def splat(builder, scalar, lanes=LANES):
    """``scalar`` broadcast to a vector of ``lanes`` lanes."""
    vty = ir.VectorType(scalar.type, lanes)
    undef = ir.Constant(vty, ir.Undefined)
    one = builder.insert_element(undef, scalar, ir.Constant(_I32, 0))
    return builder.shuffle_vector(one, undef, ir.Constant(ir.VectorType(_I32, lanes), [0] * lanes))


def vector_ptr(context, builder, aryty, ary, index, lanes=LANES):
    """Pointer to ``lanes`` elements of the Numba array ``ary`` from element ``index`` on."""
    data = context.make_array(aryty)(context, builder, ary).data
    elt = context.get_data_type(aryty.dtype)
    return builder.bitcast(builder.gep(data, [index]), ir.VectorType(elt, lanes).as_pointer())


def prefetch(builder, ptr):
    """Hint that the line holding ``ptr`` will be read soon (never faults, even past an end)."""
    i8p = ir.IntType(8).as_pointer()
    fnty = ir.FunctionType(ir.VoidType(), [i8p, _I32, _I32, _I32])
    fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], fnty)
    read, keep_in_all_levels, data = (ir.Constant(_I32, v) for v in (0, 3, 1))
    builder.call(fn, [builder.bitcast(ptr, i8p), read, keep_in_all_levels, data])


def store_vector(builder, value, ptr, stream):
    """Store ``value`` at ``ptr``: a streaming store (``ptr`` 32-byte aligned) if ``stream``."""
    if stream:
        store = builder.store(value, ptr, align=32)
        store.set_metadata(_NONTEMPORAL, builder.module.add_metadata([ir.Constant(_I32, 1)]))
    else:
        builder.store(value, ptr, align=1)


def masked_value(builder, xv, keep, a, b=None):
    """``xv * (a or 0)``, plus ``b_keep or b_drop`` if ``b = (b_keep, b_drop)``, lane by lane.

    ``keep`` is an ``<n x i1>`` vector or an integer vector of ``n`` lanes holding 0 or -1
    (any width: it is sign-extended to the float width); ``a`` and ``b``'s values are scalars
    of ``xv``'s type. The choice is a bitwise AND with the mask, so that LLVM does not have
    to build the mask from ``i1`` lanes when the caller already has it as bytes.
    """
    lanes = xv.type.count
    ity = ir.IntType(32 if isinstance(xv.type.element, ir.FloatType) else 64)
    vity = ir.VectorType(ity, lanes)
    mask = builder.sext(keep, vity) if keep.type.element.width < ity.width else keep

    def pick(on_keep, on_drop):
        bits = builder.and_(builder.bitcast(splat(builder, on_keep, lanes), vity), mask)
        if on_drop is not None:
            drop = builder.and_(builder.bitcast(splat(builder, on_drop, lanes), vity),
                                builder.not_(mask))
            bits = builder.or_(bits, drop)
        return builder.bitcast(bits, xv.type)

    y = builder.fmul(xv, pick(a, None))
    if b is not None:
        y = builder.fadd(y, pick(b[0], b[1]))
    return y


def literal_flags(*flags) -> list[bool]:
    """The values of boolean literal arguments of an intrinsic (a TypingError otherwise).

    Flags choose the code an intrinsic emits, so they must be known when it is compiled: a
    caller passes ``True``/``False`` literally, or a closure constant of a kernel factory.
    """
    for flag in flags:
        if not isinstance(flag, types.BooleanLiteral):
            raise errors.TypingError(f"kernel step flags must be literal booleans, got {flag}")
    return [flag.literal_value for flag in flags]


@intrinsic
def apply8(typingctx, x, out, i, bits, a, b_keep, b_drop, alpha, stream):
    """Elements ``i .. i+7``: ``out[i+j] = x[i+j] * (a if bit j of bits else 0)``, plus
    ``(b_keep if bit j else b_drop)`` with ``alpha``; a streaming store with ``stream``.

    ``alpha`` and ``stream`` must be literal booleans. Readable statement:
    :func:`reference_apply8`.
    """
    alpha_on, stream_on = literal_flags(alpha, stream)

    def codegen(context, builder, signature, args):
        x, out, i, bits, a, b_keep, b_drop = args[:7]
        keep = builder.bitcast(builder.trunc(bits, ir.IntType(LANES)),
                               ir.VectorType(ir.IntType(1), LANES))
        xv = builder.load(vector_ptr(context, builder, signature.args[0], x, i), align=1)
        y = masked_value(builder, xv, keep, a, (b_keep, b_drop) if alpha_on else None)
        store_vector(builder, y, vector_ptr(context, builder, signature.args[1], out, i),
                     stream_on)
        return context.get_dummy_value()

    return types.void(x, out, i, bits, a, b_keep, b_drop, alpha, stream), codegen


def reference_apply8(x, out, i, bits, a, b_keep, b_drop, alpha) -> None:
    """What :func:`apply8` computes, in NumPy (the stores' kind does not change the values)."""
    keep = np.unpackbits(np.array([bits & 0xFF], np.uint8), bitorder="little").view(np.bool_)
    out[i:i + LANES] = reference_apply(x[i:i + LANES], keep, a, *((b_keep, b_drop) if alpha
                                                                   else ()))


@intrinsic
def store_fence(typingctx):
    """A sequentially consistent fence (``mfence`` on x86): streaming stores issued before it
    are visible to every thread after it."""

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen

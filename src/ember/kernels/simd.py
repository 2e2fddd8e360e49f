"""LLVM IR building blocks for the dropout kernels (Numba intrinsics), and eight-lane steps.

Two things a Numba loop cannot be led to emit are what make a dropout pass reach memory speed
on a CPU without AVX-512:

* vector compares whose lanes become the bits of an integer (``bitcast <8 x i1> to i8``,
  ``vpmovmskb`` on x86), and the reverse (a mask byte spread over eight lanes), so that
  decisions travel as packed bits;
* non-temporal ("streaming") stores, which write a line of a large output straight to memory
  instead of first reading it into the cache (a normal store to an uncached line costs a read
  of that line too). ``store_fence`` orders them before the kernel returns.

The ``apply8`` steps handle elements ``i .. i+7`` of ``x``/``out`` (any alignment for ``x``;
``out + i`` must be 32-byte aligned for the streaming variants) and take the eight decisions
as the low 8 bits of an integer, bit ``j`` for element ``i + j``. Products are one IEEE multiply
and sums one IEEE add per lane, with no contraction into FMA, so results equal the scalar
loops'. ``ember.kernels.dropout_steps`` builds its 128-element steps from the same helpers.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = [
    "LANES",
    "apply8_alpha_store",
    "apply8_alpha_stream",
    "apply8_store",
    "apply8_stream",
    "masked_value",
    "prefetch",
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


def _apply8(alpha, stream):
    def codegen(context, builder, signature, args):
        x, out, i, bits, a = args[:5]
        keep = builder.bitcast(builder.trunc(bits, ir.IntType(LANES)),
                               ir.VectorType(ir.IntType(1), LANES))
        xv = builder.load(vector_ptr(context, builder, signature.args[0], x, i), align=1)
        y = masked_value(builder, xv, keep, a, tuple(args[5:]) if alpha else None)
        store_vector(builder, y, vector_ptr(context, builder, signature.args[1], out, i), stream)
        return context.get_dummy_value()

    if alpha:
        def typer(typingctx, x, out, i, bits, a, b_keep, b_drop):
            return types.void(x, out, i, bits, a, b_keep, b_drop), codegen
    else:
        def typer(typingctx, x, out, i, bits, a):
            return types.void(x, out, i, bits, a), codegen
    return intrinsic(typer)


#: ``(x, out, i, bits, a)``: ``out[i+j] = x[i+j] * (a if bit j of bits else 0)``.
apply8_store = _apply8(False, False)
apply8_stream = _apply8(False, True)
#: ``(x, out, i, bits, a, b_keep, b_drop)``: ``out[i+j] = x[i+j] * (a or 0) + (b_keep or b_drop)``.
apply8_alpha_store = _apply8(True, False)
apply8_alpha_stream = _apply8(True, True)


@intrinsic
def store_fence(typingctx):
    """A sequentially consistent fence (``mfence`` on x86): streaming stores issued before it
    are visible to every thread after it."""

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen

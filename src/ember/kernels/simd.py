"""Eight-lane steps for the dropout kernels, written as LLVM IR (Numba intrinsics).

Two things a Numba loop cannot be led to emit are what make a dropout pass reach memory speed
on a CPU without AVX-512:

* a vector compare whose lanes become the bits of an integer (``bitcast <8 x i1> to i8``,
  ``vpmovmskb`` on x86), so that eight decisions are packed into one mask byte without storing
  a byte per decision and packing them afterwards, and the reverse (a mask byte spread over eight
  lanes);
* non-temporal ("streaming") stores, which write a line of a large output straight to memory
  instead of first reading it into the cache (a normal store to an uncached line costs a read
  of that line too). ``store_fence`` orders them before the kernel returns.

Every step handles elements ``i .. i+7`` of ``x``/``out`` (any alignment for ``x``; ``out + i``
must be 32-byte aligned for the streaming variants) and returns or takes the eight decisions as
the low 8 bits of an integer, bit ``j`` for element ``i + j``. Products are one IEEE multiply and
sums one IEEE add per lane, with no contraction into FMA, so results equal the scalar loops'.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = [
    "LANES",
    "keep8_store",
    "keep8_stream",
    "keep8_alpha_store",
    "keep8_alpha_stream",
    "keep8_bits",
    "apply8_store",
    "apply8_stream",
    "apply8_alpha_store",
    "apply8_alpha_stream",
    "equal32",
    "store_fence",
]

#: Elements per step.
LANES = 8
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_NONTEMPORAL = "nontemporal"


def _splat(builder, scalar, lanes=LANES):
    vty = ir.VectorType(scalar.type, lanes)
    undef = ir.Constant(vty, ir.Undefined)
    one = builder.insert_element(undef, scalar, ir.Constant(_I32, 0))
    return builder.shuffle_vector(one, undef, ir.Constant(ir.VectorType(_I32, lanes), [0] * lanes))


def _vector_ptr(context, builder, aryty, ary, index, lanes=LANES):
    data = context.make_array(aryty)(context, builder, ary).data
    elt = context.get_data_type(aryty.dtype)
    return builder.bitcast(builder.gep(data, [index]), ir.VectorType(elt, lanes).as_pointer())


def _load(context, builder, aryty, ary, index, lanes=LANES):
    return builder.load(_vector_ptr(context, builder, aryty, ary, index, lanes), align=1)


def _store(context, builder, aryty, ary, index, value, stream):
    ptr = _vector_ptr(context, builder, aryty, ary, index)
    if stream:
        st = builder.store(value, ptr, align=32)
        st.set_metadata(_NONTEMPORAL, builder.module.add_metadata([ir.Constant(_I32, 1)]))
    else:
        builder.store(value, ptr, align=1)


def _select(builder, keep, on_keep, on_drop):
    return builder.select(keep, _splat(builder, on_keep), _splat(builder, on_drop))


def _zero_like(value):
    return ir.Constant(value.type, 0.0)


def _keep_lanes(context, builder, byty, byts, k, thi):
    """Lanes ``byts[k + j] < thi`` as ``<8 x i1>``."""
    return builder.icmp_unsigned("<", _load(context, builder, byty, byts, k), _splat(builder, thi))


def _bits_to_i64(builder, keep):
    return builder.zext(builder.bitcast(keep, ir.IntType(LANES)), _I64)


def _lanes_from_bits(builder, bits):
    return builder.bitcast(builder.trunc(bits, ir.IntType(LANES)), ir.VectorType(ir.IntType(1),
                                                                                 LANES))


def _step(lanes_of, first_const, value_of, returns_bits, stream):
    """Codegen and return type of ``out[i:i+8] = value_of(x[i:i+8], keep, constants)``.

    The arguments are ``x, out, i``, what ``lanes_of`` reads the decisions from, then the
    constants from position ``first_const`` on. Returns the eight decisions as bits if asked.
    """

    def codegen(context, builder, signature, args):
        keep = lanes_of(context, builder, signature, args)
        xv = _load(context, builder, signature.args[0], args[0], args[2])
        y = value_of(builder, xv, keep, args[first_const:])
        _store(context, builder, signature.args[1], args[1], args[2], y, stream)
        return _bits_to_i64(builder, keep) if returns_bits else context.get_dummy_value()

    return (types.uint64 if returns_bits else types.void), codegen


def _keep8(value_of, stream):
    ret, codegen = _step(_keep_from_bytes, 6, value_of, True, stream)
    if value_of is _scaled:
        def typer(typingctx, x, out, i, byts, k, thi, a):
            return ret(x, out, i, byts, k, thi, a), codegen
    else:
        def typer(typingctx, x, out, i, byts, k, thi, a, b_keep, b_drop):
            return ret(x, out, i, byts, k, thi, a, b_keep, b_drop), codegen
    return intrinsic(typer)


def _apply8(value_of, stream):
    ret, codegen = _step(_keep_from_bits, 4, value_of, False, stream)
    if value_of is _scaled:
        def typer(typingctx, x, out, i, bits, a):
            return ret(x, out, i, bits, a), codegen
    else:
        def typer(typingctx, x, out, i, bits, a, b_keep, b_drop):
            return ret(x, out, i, bits, a, b_keep, b_drop), codegen
    return intrinsic(typer)


def _keep_from_bytes(context, builder, signature, args):
    return _keep_lanes(context, builder, signature.args[3], args[3], args[4], args[5])


def _keep_from_bits(context, builder, signature, args):
    return _lanes_from_bits(builder, args[3])


def _scaled(builder, xv, keep, consts):
    (a,) = consts
    return builder.fmul(xv, _select(builder, keep, a, _zero_like(a)))


def _shifted(builder, xv, keep, consts):
    a, b_keep, b_drop = consts
    return builder.fadd(builder.fmul(xv, _select(builder, keep, a, _zero_like(a))),
                        _select(builder, keep, b_keep, b_drop))


#: ``(x, out, i, byts, k, thi, a) -> bits``: ``out[i+j] = x[i+j] * (a or 0)``, kept iff
#: ``byts[k+j] < thi``; ``_stream``: streaming stores.
keep8_store = _keep8(_scaled, False)
keep8_stream = _keep8(_scaled, True)
#: ``(x, out, i, byts, k, thi, a, b_keep, b_drop) -> bits``:
#: ``out[i+j] = x[i+j] * (a or 0) + (b_keep or b_drop)``.
keep8_alpha_store = _keep8(_shifted, False)
keep8_alpha_stream = _keep8(_shifted, True)
#: ``(x, out, i, bits, a)``: ``out[i+j] = x[i+j] * (a if bit j of bits else 0)``.
apply8_store = _apply8(_scaled, False)
apply8_stream = _apply8(_scaled, True)
#: ``(x, out, i, bits, a, b_keep, b_drop)``: ``out[i+j] = x[i+j] * (a or 0) + (b_keep or b_drop)``.
apply8_alpha_store = _apply8(_shifted, False)
apply8_alpha_stream = _apply8(_shifted, True)


@intrinsic
def keep8_bits(typingctx, byts, k, thi):
    """Bits ``j`` set iff ``byts[k + j] < thi``, for ``j < 8``."""

    def codegen(context, builder, signature, args):
        return _bits_to_i64(builder, _keep_lanes(context, builder, signature.args[0], *args))

    return types.uint64(byts, k, thi), codegen


@intrinsic
def equal32(typingctx, byts, k, value):
    """Bits ``j`` set iff ``byts[k + j] == value``, for ``j < 32``."""

    def codegen(context, builder, signature, args):
        bv, kv, vv = args
        eq = builder.icmp_unsigned("==", _load(context, builder, signature.args[0], bv, kv, 32),
                                   _splat(builder, vv, 32))
        return builder.zext(builder.bitcast(eq, ir.IntType(32)), _I64)

    return types.uint64(byts, k, value), codegen


@intrinsic
def store_fence(typingctx):
    """A sequentially consistent fence (``mfence`` on x86): streaming stores issued before it
    are visible to every thread after it."""

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen

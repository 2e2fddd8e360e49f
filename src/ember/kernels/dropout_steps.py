"""128-element dropout steps written as LLVM IR (Numba intrinsics): random bytes to outputs.

One step handles elements ``i .. i+127`` of a call whose stream starts at block ``offset``.
It runs Philox4x32-10 for the eight blocks ``offset + i // 16 + 0..7`` in vector registers
(two independent groups of four blocks in 64-bit lanes, whose upper halves are never read by
the 32x32->64-bit multiplies), lays the 32 words out in stream order (element ``i + k`` takes
byte ``k``), compares the 128 bytes with ``T_hi``, refines the ties, and for the applying steps
scales the inputs and stores the outputs, eight lanes at a time. It returns the 128 keep
decisions as two 64-bit words (bit ``k`` of the pair for element ``i + k``), ready for the
packed mask.

Nothing passes through memory between the generator and the stores. On one core of this CPU
the forward costs the memory pass plus the instructions issued (about 2.5 per element, half of
them Philox rounds), with no overlap to speak of, so every instruction saved counts: a version
that wrote the bytes to a scratch buffer and read them back measured 10-15% slower (16M
float32, one thread), and the 4096-element tiles this replaces (Philox words into a planar
buffer, transposed, a separate tie scan, then the outputs) 10-20% slower.

Ties (``byte == T_hi``, one element in 256) are refined only when ``T_lo != 0`` and only in a
step that has one: a loop over the set tie bits runs a scalar Philox for the element's
refinement block (counter ``(lo32(b), hi32(b), 1, 0)`` with ``b = offset + e // 4``, lane
``e % 4``, top 24 bits) and keeps the tie iff that value is ``< T_lo``. The kept ties join
the decisions before any output is written, so ``T_hi == 0`` (p > 255/256) needs no special
path.

The arithmetic is the kernels' scalar arithmetic: ``x * (a or 0)`` and, for alpha dropout,
``x * (a or 0) + (b_keep or b_drop)``, each one IEEE operation per lane with no FMA.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .reference import (
    PHILOX_M0,
    PHILOX_M1,
    PHILOX_W0,
    PHILOX_W1,
    reference_apply,
    reference_keep,
)
from .simd import literal_flags, masked_value, prefetch, splat, store_vector, vector_ptr

__all__ = [
    "STEP",
    "decide_step",
    "dropout_step",
    "reference_decide_step",
    "reference_dropout_step",
    "reference_store_u64",
    "store_u64",
]

#: Elements per step: eight Philox blocks of 16 one-byte decisions.
STEP = 128
#: Elements ahead of a streaming step whose input lines it prefetches (about 5% faster at
#: 16M-64M float32 on one thread: the hardware prefetcher falls behind while the core computes).
_PREFETCH_AHEAD = 512
_GROUPS = 2  # groups of four blocks (64 elements): the two Philox chains interleave
_I8 = ir.IntType(8)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_L32 = 0xFFFFFFFF


def _philox10(builder, ctr, k0, k1, c2):
    """Philox4x32-10 of the counters ``(lo32(ctr), hi32(ctr), c2, 0)`` under key ``(k0, k1)``.

    ``ctr`` is an ``i64`` or a vector of them (one block per lane); ``k0``/``k1`` are ``i64``
    holding 32-bit values. Returns the four output words in the low halves of ``ctr``'s type.
    """
    ty = ctr.type
    lanes = ty.count if isinstance(ty, ir.VectorType) else 0

    def const(value):
        return ir.Constant(ty, value)

    def key(k, r, weyl):
        kr = builder.and_(builder.add(k, ir.Constant(_I64, (r * weyl) & _L32)),
                          ir.Constant(_I64, _L32))
        return splat(builder, kr, lanes) if lanes else kr

    low = const(_L32)
    shift = const(32)
    c0, c1, c2, c3 = builder.and_(ctr, low), builder.lshr(ctr, shift), const(c2), const(0)
    for r in range(10):
        p0 = builder.mul(builder.and_(c0, low), const(PHILOX_M0))
        p1 = builder.mul(builder.and_(c2, low), const(PHILOX_M1))
        c0, c1, c2, c3 = (
            builder.xor(builder.xor(builder.lshr(p1, shift), c1), key(k0, r, PHILOX_W0)),
            p1,
            builder.xor(builder.xor(builder.lshr(p0, shift), c3), key(k1, r, PHILOX_W1)),
            p0,
        )
    return c0, c1, c2, c3


def _stream_bytes(builder, k0, k1, block0):
    """The 64 stream bytes of blocks ``block0 .. block0+3`` in stream order, ``<64 x i8>``."""
    ctr = builder.add(splat(builder, block0, 4), ir.Constant(ir.VectorType(_I64, 4), [0, 1, 2, 3]))
    # Word j of block b is the low half of lane b of words[j]: pick the low halves of two
    # words at once (dwords 2b of each) instead of truncating every vector first.
    words = [builder.bitcast(w, ir.VectorType(_I32, 8))
             for w in _philox10(builder, ctr, k0, k1, 0)]
    pairs = ir.Constant(ir.VectorType(_I32, 8), [0, 8, 2, 10, 4, 12, 6, 14])
    w01 = builder.shuffle_vector(words[0], words[1], pairs)
    w23 = builder.shuffle_vector(words[2], words[3], pairs)
    order = ir.Constant(ir.VectorType(_I32, 16),
                        [0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15])
    return builder.bitcast(builder.shuffle_vector(w01, w23, order), ir.VectorType(_I8, 64))


def _kept_ties(builder, ties, base, offset, k0, k1, tlo):
    """Refine the ties set in the ``i64`` ``ties`` (bit ``t`` for element ``base + t``).

    Returns the bits of the ties that are kept. A loop over the set bits, lowest first.
    """
    entry = builder.basic_block
    head = builder.append_basic_block("tie_next")
    body = builder.append_basic_block("tie")
    done = builder.append_basic_block("ties_done")
    builder.branch(head)
    builder.position_at_end(head)
    left = builder.phi(_I64)
    kept = builder.phi(_I64)
    left.add_incoming(ties, entry)
    kept.add_incoming(ir.Constant(_I64, 0), entry)
    builder.cbranch(builder.icmp_unsigned("!=", left, ir.Constant(_I64, 0)), body, done)

    builder.position_at_end(body)
    cttz = builder.module.declare_intrinsic("llvm.cttz", [_I64],
                                            ir.FunctionType(_I64, [_I64, ir.IntType(1)]))
    t = builder.call(cttz, [left, ir.Constant(ir.IntType(1), 1)])
    e = builder.add(base, t)
    block = builder.add(offset, builder.lshr(e, ir.Constant(_I64, 2)))
    w0, w1, w2, w3 = _philox10(builder, block, k0, k1, 1)
    lane = builder.and_(e, ir.Constant(_I64, 3))

    def is_lane(n):
        return builder.icmp_unsigned("==", lane, ir.Constant(_I64, n))

    word = builder.select(is_lane(0), w0,
                          builder.select(is_lane(1), w1, builder.select(is_lane(2), w2, w3)))
    refined = builder.lshr(builder.and_(word, ir.Constant(_I64, _L32)), ir.Constant(_I64, 8))
    bit = builder.select(builder.icmp_unsigned("<", refined, tlo),
                         builder.shl(ir.Constant(_I64, 1), t), ir.Constant(_I64, 0))
    left.add_incoming(builder.and_(left, builder.sub(left, ir.Constant(_I64, 1))), body)
    kept.add_incoming(builder.or_(kept, bit), body)
    builder.branch(head)
    builder.position_at_end(done)
    return kept


def _decide(builder, i, k0, k1, offset, thi, tlo, refine, apply):
    """Decide elements ``i .. i+127``, emit ``apply(lanes_of)``, return the decision bits.

    ``lanes_of(k)`` gives the decisions of elements ``i + 8k .. i + 8k + 7`` (``<8 x i8>`` of
    0 / -1, or ``<8 x i1>``); the result is two ``i64`` (bit ``k`` of the pair for element
    ``i + k``). With ``refine`` (a non-dyadic p), a step that has a tie branches to a second
    copy of ``apply`` that takes its decisions from the refined bits; the common path stays
    straight-line code. (ORing the refined bits into the decision vectors on every step
    instead, or joining the two paths' vectors with a phi, measured 1.5-2x slower.)
    """
    block0 = builder.add(offset, builder.lshr(i, ir.Constant(_I64, 4)))
    t_hi = splat(builder, thi, 64)
    keeps, tie_bits = [], []
    for g in range(_GROUPS):
        byts = _stream_bytes(builder, k0, k1, builder.add(block0, ir.Constant(_I64, 4 * g)))
        keeps.append(builder.icmp_unsigned("<", byts, t_hi))
        if refine:
            tie_bits.append(builder.bitcast(builder.icmp_unsigned("==", byts, t_hi), _I64))
    bits = [builder.bitcast(k, _I64) for k in keeps]
    masks = [builder.sext(k, ir.VectorType(_I8, 64)) for k in keeps]  # 0 / -1 bytes

    def lanes_of(k):
        group, first = divmod(8 * k, 64)
        picks = ir.Constant(ir.VectorType(_I32, 8), list(range(first, first + 8)))
        return builder.shuffle_vector(masks[group], masks[group], picks)

    if not refine:
        apply(lanes_of)
        return bits
    any_tie = builder.icmp_unsigned("!=", builder.or_(*tie_bits), ir.Constant(_I64, 0))
    plain = builder.append_basic_block("no_ties")
    ties = builder.append_basic_block("ties")
    merge = builder.append_basic_block("decided")
    builder.cbranch(any_tie, ties, plain)

    builder.position_at_end(plain)
    apply(lanes_of)
    plain_end = builder.basic_block
    builder.branch(merge)

    builder.position_at_end(ties)
    fixed = [builder.or_(bits[g], _kept_ties(builder, tie_bits[g],
                                             builder.add(i, ir.Constant(_I64, 64 * g)),
                                             offset, k0, k1, tlo))
             for g in range(_GROUPS)]

    def fixed_lanes_of(k):
        group, first = divmod(8 * k, 64)
        byte = builder.trunc(builder.lshr(fixed[group], ir.Constant(_I64, first)), _I8)
        return builder.bitcast(byte, ir.VectorType(ir.IntType(1), 8))

    apply(fixed_lanes_of)
    ties_end = builder.basic_block
    builder.branch(merge)

    builder.position_at_end(merge)
    joined = [builder.phi(_I64) for _ in range(_GROUPS)]
    for g, phi in enumerate(joined):
        phi.add_incoming(bits[g], plain_end)
        phi.add_incoming(fixed[g], ties_end)
    return joined


@intrinsic
def dropout_step(typingctx, x, out, i, k0, k1, offset, thi, tlo, a, b_keep, b_drop, alpha,
                 stream, refine):
    """One step: ``out[i+k] = x[i+k] * (a or 0)`` for ``k < 128``; returns the decision bits.

    Arguments: ``x``/``out`` 1-D float arrays (``out + i`` 32-byte aligned if ``stream``), the
    element index ``i`` (a multiple of 128), the key ``k0, k1``, the call's first block
    ``offset``, ``thi``/``tlo`` of the threshold, the scale ``a``, then ``b_keep, b_drop``
    (added with ``alpha``, ignored otherwise). ``alpha``, ``stream`` (streaming stores) and
    ``refine`` (``tlo != 0``: refine ties) must be literal booleans. Returns ``(lo, hi)``.
    Readable statement: :func:`reference_dropout_step`.
    """
    alpha_on, stream_on, refine_on = literal_flags(alpha, stream, refine)

    def codegen(context, builder, signature, args):
        x, out, i, k0, k1, offset, thi, tlo, a, b_keep, b_drop = args[:11]
        xty, outty = signature.args[0], signature.args[1]
        if stream_on:  # a large array: fetch the input of a step a few steps ahead
            per_line = 64 // context.get_abi_sizeof(context.get_data_type(xty.dtype))
            for k in range(0, STEP, per_line):
                ahead = builder.add(i, ir.Constant(_I64, _PREFETCH_AHEAD + k))
                prefetch(builder, vector_ptr(context, builder, xty, x, ahead, 1))

        def apply(lanes_of):
            for k in range(STEP // 8):
                at = builder.add(i, ir.Constant(_I64, 8 * k))
                xv = builder.load(vector_ptr(context, builder, xty, x, at), align=1)
                y = masked_value(builder, xv, lanes_of(k), a,
                                 (b_keep, b_drop) if alpha_on else None)
                store_vector(builder, y, vector_ptr(context, builder, outty, out, at), stream_on)

        bits = _decide(builder, i, k0, k1, offset, thi, tlo, refine_on, apply)
        return context.make_tuple(builder, signature.return_type, bits)

    sig = types.UniTuple(types.uint64, 2)(x, out, i, k0, k1, offset, thi, tlo, a, b_keep, b_drop,
                                          alpha, stream, refine)
    return sig, codegen


@intrinsic
def decide_step(typingctx, i, k0, k1, offset, thi, tlo, refine):
    """The decision bits ``(lo, hi)`` of elements ``i .. i+127`` alone (see ``dropout_step``).

    Readable statement: :func:`reference_decide_step`.
    """
    (refine_on,) = literal_flags(refine)

    def codegen(context, builder, signature, args):
        i, k0, k1, offset, thi, tlo = args[:6]
        bits = _decide(builder, i, k0, k1, offset, thi, tlo, refine_on, lambda lanes_of: None)
        return context.make_tuple(builder, signature.return_type, bits)

    return types.UniTuple(types.uint64, 2)(i, k0, k1, offset, thi, tlo, refine), codegen


@intrinsic
def store_u64(typingctx, ary, index, value):
    """Store the 64-bit ``value`` little-endian at byte ``index`` of the uint8 array ``ary``.

    Readable statement: :func:`reference_store_u64`.
    """

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        ptr = builder.bitcast(builder.gep(data, [args[1]]), _I64.as_pointer())
        builder.store(args[2], ptr, align=1)
        return context.get_dummy_value()

    return types.void(ary, index, value), codegen


# ------------------------------------------------------------------------------------------------
# What the steps compute, in NumPy (tests/kernels/test_steps.py holds the IR to these)
# ------------------------------------------------------------------------------------------------


def reference_decide_step(i: int, k0: int, k1: int, offset: int, thi: int,
                          tlo: int) -> tuple[int, int]:
    """:func:`decide_step`: the keep decisions of elements ``i .. i+127`` of the call whose
    stream (key ``k0, k1``) starts at block ``offset``, as two little-endian 64-bit words.

    The decisions are ``reference_keep``'s for the threshold ``thi << 24 | tlo`` (so
    ``refine`` changes nothing but speed: with ``tlo == 0`` no tie is kept either way).
    """
    keep = reference_keep(k0 | k1 << 32, offset, thi << 24 | tlo, i + STEP)[i:]
    lo, hi = np.packbits(keep, bitorder="little").view("<u8")
    return int(lo), int(hi)


def reference_dropout_step(x, out, i: int, k0: int, k1: int, offset: int, thi: int, tlo: int,
                           a, b_keep, b_drop, alpha: bool) -> tuple[int, int]:
    """:func:`dropout_step`: :func:`reference_decide_step`'s decisions applied to
    ``x[i:i+128]`` into ``out`` by ``reference_apply`` (streaming stores or not, same values)."""
    lo, hi = reference_decide_step(i, k0, k1, offset, thi, tlo)
    keep = np.unpackbits(np.array([lo, hi], "<u8").view(np.uint8),
                         bitorder="little").view(np.bool_)
    out[i:i + STEP] = reference_apply(x[i:i + STEP], keep, a,
                                      *((b_keep, b_drop) if alpha else ()))
    return lo, hi


def reference_store_u64(ary: np.ndarray, index: int, value: int) -> None:
    """:func:`store_u64`: ``ary[index:index+8]`` = the bytes of ``value``, little-endian."""
    ary[index:index + 8] = np.array([value], "<u8").view(np.uint8)

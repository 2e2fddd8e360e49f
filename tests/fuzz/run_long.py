"""Long fuzzing runs: ``python -m tests.fuzz.run_long --programs 20000``.

Runs the programs of seeds ``start .. start + programs - 1`` and prints a summary: how often
each op was generated, the mismatches grouped by (kind, op) with a minimized repro for the
first seed of each group, and the throughput.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter

from tests.fuzz.programs import run_seed
from tests.fuzz.specs import MISSING, OPS, missing

# (pattern over "kind op message ops-of-the-program", finding number in
# tests/fuzz/FINDINGS.md); the first match wins.
RULES = [
    (r"Negation, the `-` operator, on a bool", 56),
    (r"Subtraction, the `-` operator, with a bool tensor is", 57),
    (r"must be Tensor, not bool", 58),
    (r"cumsum_|cumprod_|cum(sum|prod)_out_cpu", 59),
    (r"matmul .*not implemented for 'Bool'", 60),
    (r"narrow .*start out of range", 61),
    (r"(masked_fill|addmm|baddbmm) .*(without overflow|cannot convert float)", 62),
    (r"ember_no_raise backward .*(LinalgVectorNorm|LogsumexpBackward)", 63),
    (r"ember_raises backward .*modified by an inplace.*logaddexp", 64),
    (r"ember_raises backward .*modified by an inplace.*(softmax|softmin)", 65),
    (r"ember_raises backward .*modified by an inplace.*einsum", 66),
    (r"ember_no_raise backward .*modified by an inplace.*F\.layer_norm", 67),
    (r"^grad_nan backward .*F\.(elu|selu|celu|elu_)\b", 68),
    (r"round_vml_cpu|round_cpu", 69),
    (r"^grad_value backward .*F\.celu", 70),
    (r"ember_no_raise backward .*result type Float can't be cast.*addc(div|mul)", 55),
    (r"^grad_(nan|value) backward .*addc(div|mul)", 55),
    (r"bitwise|ufunc 'bitwise", 21),
    (r"must be Tensor, not|permute\(\) missing", 23),
    (r"derivative for aten::floor_divide", 8),
    (r"return arrays must be of ArrayType", 13),
    (r"Output \d of (Split|Unbind|Chunk)|multiple views", 4),
    (r"(%=|//=|\*\*=|&=|\|=|\^=)", 2),
    (r"ember_no_raise backward .*(unsqueeze_|squeeze_|t_)\b", 50),
    (r"(unsqueeze_|squeeze_|t_)\b", 1),
    (r"MaskedFillBackward", 7),
    (r"median_all|median\(|median\(\)", 5),
    (r"^final_requires_grad|does not require grad and does not have a grad_fn", 6),
    (r"ember_no_raise backward .*modified by an inplace|ember_raises backward .*modified by an"
     r" inplace", 3),
    (r"not implemented for|only support floating point|not supported for|does not support bool"
     r"|Integer division with addcdiv|Expected a floating point|UFuncTypeError", 22),
    (r"^dtype|addcmul_ Ember raises RuntimeError: result type", 15),
    (r"cannot reshape array of size 0", 51),
    (r"cannot reshape array of size", 30),
    (r"derivative for aten::remainder", 52),
    (r"^nan torch\.(std|var)|^nan Tensor\.(std|var)", 29),
    (r"ember_no_raise backward .*result type Float can't be cast", 28),
    (r"shape mismatch: value array", 24),
    (r"^shape getitem", 31),
    (r"same dtype, but got|expected scalar type", 32),
    (r"Expected reduction dim to be specified|Expected reduction dim -?\d to have", 33),
    (r"cannot rebase this view's history|expanded dimensions only outside autograd", 34),
    (r"boolean array indexing assignment", 39),
    (r"^requires_grad", 6),
    (r"unbind", 47),
    (r"l1_loss", 44),
    (r"ClampBackward", 45),
    (r"setting an array element with a sequence", 48),
    (r"index_add", 49),
    (r"diagonal", 43),
    (r"ember_raises Tensor\.(logical_\w+_) .*leaf Variable", 42),
    (r"some elements of the input tensor and the written-to tensor", 40),
    (r"^value torch\.addcmul|^value torch\.addcdiv", 41),
    (r"AxisError", 24),
    (r"einsum|gaussian_nll_loss|celu", 37),
    (r"could not be broadcast together|objects cannot be broadcast", 35),
    (r"did not match|Autograd not support dtype|alpha must not be a floating|should be between"
     r"|without overflow|invalid combination of arguments|ZeroDivisionError", 36),
    (r"Long can't be cast to the desired output type Bool", 38),
    (r"read-only|refers to a single memory location", 10),
    (r"(topk|sort|flip|median_dim|argmax_dim|argmin_dim|vstack|hstack|movedim)", 12),
    (r"(narrow|split|chunk|tril|triu|mT|flatten|argmax|argmin|logical_)", 24),
    (r"^shape (torch|Tensor)\.(all|any)|logsumexp torch raises RuntimeError: output with", 16),
    (r"arrays used as indices must be", 17),
    (r"numpy boolean subtract", 18),
    (r"lerp", 19),
    (r"logit", 20),
    (r"^exc_kind setitem ember RuntimeError: Index put requires", 53),
    (r"Index put requires|expected dtype .* for `end`", 25),
    (r"soft_margin_loss", 27),
    (r"pow|\*\*", 14),
]


def classify(result) -> int | None:
    """The finding number that explains a mismatching program (None if no rule fits)."""
    m = result.mismatch
    text = f"{m.kind} {m.op} {m.message}"
    if (m.op in ("backward", "final") or "view of a leaf" in m.message
            or m.kind in ("value", "requires_grad")):
        text += " " + " ".join(line.op for line in result.lines)
    for pattern, finding in RULES:
        if re.search(pattern, text):
            return finding
    return None


def main(argv: list[str] | None = None) -> int:
    """Runs the fuzzer; returns the number of mismatching programs (capped at 255)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--programs", type=int, default=2000)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--repros", type=int, default=1, help="repros printed per group")
    parser.add_argument("--quiet", action="store_true", help="no repros, only the summary")
    parser.add_argument("--ops", action="store_true", help="print counts per op")
    parser.add_argument("--xfail-table", action="store_true",
                        help="print {seed: finding} for the mismatching seeds and stop")
    parser.add_argument("--ci", action="store_true",
                        help="use the CI slice's frozen op table (tests/fuzz/test_fuzz.py)")
    parser.add_argument("--battery-table", action="store_true",
                        help="print the failing cases of the in-place battery and stop")
    args = parser.parse_args(argv)
    if args.battery_table:
        from tests.fuzz.test_inplace_battery import XFAIL, failing_cases

        for case in failing_cases():
            by_op = {"split": "finding 4", "unbind": "finding 4", "expand": "finding 10"}
            reason = XFAIL.get(case, by_op.get(case[0], "finding 3"))
            print(f'    ("{case[0]}", "{case[1]}", "{case[2]}"): "{reason}",')
        return 0
    ops = OPS
    if args.ci:
        from tests.fuzz.test_fuzz import CI_OPS

        ops = CI_OPS
    if args.xfail_table:
        table = {}
        for seed in range(args.start, args.start + args.programs):
            result = run_seed(seed, ops, shrink=False)
            if result.mismatch is not None:
                table[seed] = classify(run_seed(seed, ops))
        print("KNOWN = {" + ", ".join(f"{k}: {v}" for k, v in table.items()) + "}")
        return 0

    counts: Counter[str] = Counter()
    groups: dict[tuple[str, str], list] = {}
    t0 = time.perf_counter()
    for seed in range(args.start, args.start + args.programs):
        result = run_seed(seed, ops, shrink=False)
        counts.update(result.ops)
        if result.mismatch is not None:
            groups.setdefault(result.mismatch.signature, []).append(seed)
    elapsed = time.perf_counter() - t0

    bad = sum(len(v) for v in groups.values())
    print(f"{args.programs} programs in {elapsed:.1f} s ({args.programs / elapsed:.1f}/s); "
          f"{len(ops)} op forms, {len(MISSING)} missing in Ember; "
          f"{bad} mismatching programs in {len(groups)} groups")
    if args.ops:
        print("\nop counts:")
        for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:6d}  {name}")
        never = sorted({o.name for o in ops} - set(counts))
        if never:
            print(f"  never generated: {', '.join(never)}")
    print("\nmissing in Ember: " + "; ".join(missing()))
    for sig, seeds in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f"\n=== {sig[0]} in {sig[1]}: {len(seeds)} programs, seeds {seeds[:8]}")
        if args.quiet:
            continue
        for seed in seeds[: args.repros]:
            result = run_seed(seed, ops)
            print(f"(finding {classify(result)}) " + result.report())
    return min(bad, 255)


if __name__ == "__main__":
    sys.exit(main())

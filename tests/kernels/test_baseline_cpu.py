"""The dropout kernels compiled for the x86-64 baseline (SSE2, no AVX): same bits as the reference.

The steps are LLVM IR over wide vectors (``<64 x i8>``, ``<8 x float>``) that LLVM splits for the
target; this runs them as a CPU without AVX2 would, in a fresh process with its own cache.
"""

import platform

import pytest
from tests.kernels.helpers import run

CHECK = """
from ember.kernels import dropout as D
from ember.kernels.reference import reference_keep
D.STREAM_BYTES = 0  # streaming stores too (ember.memory outputs are 64-byte aligned)
from ember import memory
bad = []
for dtype in (np.float32, np.float64):
    for p in (0.3, 0.5, 0.999):
        for n in (1, 129, 1000, 5000):  # serial kernels (parallel ones run the same steps)
            x = np.random.default_rng(n).standard_normal(n).astype(dtype)
            thr = D.keep_threshold(p)
            keep = reference_keep(7, 11, thr, n)
            a, b_keep, b_drop = dtype(1.5), dtype(0.25), dtype(-0.75)
            out, mask = memory.empty(n, dtype), np.zeros(D.mask_nbytes(n), np.uint8)
            D.dropout_forward(x, out, 7, 11, thr, a, mask)
            ok = np.array_equal(out, x * np.where(keep, a, dtype(0)))
            ok &= np.array_equal(mask, np.packbits(keep, bitorder="little"))
            D.alpha_dropout_forward(x, out, 7, 11, thr, a, b_keep, b_drop)
            ok &= np.array_equal(out, x * np.where(keep, a, dtype(0))
                                 + np.where(keep, b_keep, b_drop))
            if not ok:
                bad.append([np.dtype(dtype).name, p, n])
print(json.dumps({"mismatches": bad}))
"""


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 only")
def test_kernels_built_for_the_x86_64_baseline_match_the_reference(tmp_path):
    result = run(CHECK, NUMBA_CPU_NAME="x86-64", NUMBA_CACHE_DIR=str(tmp_path))
    assert result == {"mismatches": []}

"""The kernel cache: reused across processes, and recompiled when any kernel source changes."""

import shutil
from pathlib import Path

from tests.kernels.helpers import SRC, run

from ember.kernels import cache, philox

# A cheap cached kernel: its file (philox.py) is left alone while other files change.
CALL_KERNEL = """
from ember.kernels import philox
philox.random_words(7, 0, 8)
stats = philox._words_serial.stats
print(json.dumps({"hits": sum(stats.cache_hits.values()),
                  "misses": sum(stats.cache_misses.values())}))
"""


def test_kernels_use_the_package_wide_locator():
    philox.random_words(0, 0, 4)
    locator = philox._words_serial._cache._impl.locator
    assert type(locator).__name__ == "KernelSourcesLocator"
    assert locator.get_source_stamp()[1] == cache.kernel_sources_digest()
    assert Path(locator.get_cache_path()).exists()


def test_digest_covers_every_kernel_source(tmp_path, monkeypatch):
    for f in (SRC / "ember" / "kernels").glob("*.py"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setattr(cache, "_KERNELS", tmp_path)
    before = cache.kernel_sources_digest()
    with open(tmp_path / "simd.py", "a") as f:
        f.write("# changed\n")
    assert cache.kernel_sources_digest() != before


def test_a_change_to_an_inlined_helper_file_recompiles_cached_kernels(tmp_path):
    tree = tmp_path / "src"
    shutil.copytree(SRC / "ember", tree / "ember",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    assert run(CALL_KERNEL, src=tree, **env) == {"hits": 0, "misses": 1}
    assert run(CALL_KERNEL, src=tree, **env) == {"hits": 1, "misses": 0}
    with open(tree / "ember" / "kernels" / "dropout_steps.py", "a") as f:
        f.write("# an edit that Numba's per-file stamp would not notice\n")
    assert run(CALL_KERNEL, src=tree, **env) == {"hits": 0, "misses": 1}
    assert run(CALL_KERNEL, src=tree, **env) == {"hits": 1, "misses": 0}


# Two variants of one factory-made kernel (the tie refinement on and off) share the function's
# name and line: Numba must key their cache entries by the closure's flags, or the second
# process would load one variant for both.
CALL_VARIANTS = """
from ember.kernels import dropout as D
from ember.kernels.reference import reference_decisions_bits
ok, hits = [], 0
for p in (0.3, 0.5, 0.3):  # refine, no refine
    thr = D.keep_threshold(p)
    ok.append(bool((D.decisions_bits(5, 9, thr, 1000)
                    == reference_decisions_bits(5, 9, thr, 1000)).all()))
for refine in (True, False):
    stats = D._forward_kernel(D._MODE_MASK_ONLY, False, refine, False).stats
    hits += sum(stats.cache_hits.values())
print(json.dumps({"ok": ok, "hits": hits}))
"""


def test_kernel_variants_are_cached_apart(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    assert run(CALL_VARIANTS, **env) == {"ok": [True, True, True], "hits": 0}
    assert run(CALL_VARIANTS, **env) == {"ok": [True, True, True], "hits": 2}

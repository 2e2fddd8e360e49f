"""Numba imported through ember.kernels.jit: no SciPy BLAS import, Numba's view of BLAS kept."""

import importlib.util

import pytest
from tests.kernels.helpers import IMPORT_GATE, run

HAVE_SCIPY = importlib.util.find_spec("scipy") is not None


def test_have_blas_is_what_numba_computes_itself_and_the_probe_is_restored():
    numba_own = run("import numba.np.arraymath as am\nprint(json.dumps(am._HAVE_BLAS))")
    state = run("""
import ember.kernels.jit
import numba.np.arraymath as am, numba.np.linalg as la
print(json.dumps({"have_blas": am._HAVE_BLAS,
                  "restored": am.ensure_blas is la.ensure_blas
                              and la.ensure_blas.__qualname__ == "ensure_blas"}))
""")
    assert state == {"have_blas": numba_own, "restored": True}


@pytest.mark.skipif(not HAVE_SCIPY, reason="SciPy is not installed")
def test_loading_a_kernel_does_not_import_scipy_blas_which_still_imports():
    state = run("""
from ember.kernels import philox
philox.random_words(0, 0, 4)  # a kernel load initialises Numba's CPU target
imported = "scipy.linalg.cython_blas" in sys.modules
import scipy.linalg.cython_blas
print(json.dumps({"imported_by_jit": imported}))
""")
    assert state == {"imported_by_jit": False}


@pytest.mark.skipif(not HAVE_SCIPY, reason="SciPy is not installed")
def test_other_threads_import_scipy_and_probe_blas_normally_meanwhile():
    # Hold the import of numba.np.arraymath (the probe is wrapped by then) in a loader thread,
    # and use SciPy's BLAS and Numba's probe from the main thread in that window.
    state = run(IMPORT_GATE + """
gate = ImportGate("numba.np.arraymath")
loader = threading.Thread(target=__import__, args=("ember.kernels.jit",))
loader.start()
gate.reached.wait(120)
import numba.np.linalg as la
wrapped = la.ensure_blas.__qualname__ != "ensure_blas"
import scipy.linalg
la.ensure_blas()
gate.release.set()
loader.join()
import numba.np.arraymath as am
print(json.dumps({"wrapped": wrapped, "scipy_linalg": "scipy.linalg" in sys.modules,
                  "have_blas": am._HAVE_BLAS, "restored": am.ensure_blas is la.ensure_blas,
                  "timed_out": gate.timed_out}))
""")
    assert state == {"wrapped": True, "scipy_linalg": True, "have_blas": True, "restored": True,
                     "timed_out": False}

"""Test-session setup: one BLAS thread, so that torch's and NumPy's thread pools do not
oversubscribe the two cores (results do not depend on it; thread-count invariance of
Ember's own kernels is tested explicitly)."""

import threadpoolctl

threadpoolctl.threadpool_limits(1, user_api="blas")

"""No estimator's memory grows faster than its input (issue #25), for every public estimator.

Each estimator fits its problem (``_estimators.problem``) at n and at 4n rows
and answers every query method on it, under ``tracemalloc``: NumPy traces
the arrays it allocates, which are the n-sized buffers (posteriors,
distance tiles, kernel rows, node lists); a kernel's C buffer that grows
with n is allocated through ``gdcore._cy._traced`` so that tracemalloc sees
it too (the SVM's kernel caches and data copies); other C scratch is sized
by threads and tiles.  The peak above what was held before, at 4n,
may be at most 4x the peak at n plus a constant: linear growth passes,
an n x n buffer or an n x K array kept twice does not.
"""

import tracemalloc

import numpy as np
import pytest

import gdcore
from gdcore.tests import _estimators

N = 1_500
GROWTH = 4
# A constant part of the peak that does not scale with n (fitted attributes of
# fixed size, interpreter objects), allowed on top of 4x the small size's peak.
SLACK_BYTES = 2 * 2 ** 20
# The allowed excess over linear growth: allocator rounding and the
# last iteration's buffers differ between the two sizes.
TOLERANCE = 1.25


def _peak_bytes(name, n):
    p = _estimators.problem(name, seed=0, n=n)
    est = _estimators.default_estimator(name)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        est = _estimators.fit(est, p["X"], p["y"], p["lengths"])
        _estimators.outputs(est, p["X"], p["lengths"])
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


# Estimators whose peak grows faster than their input, each with its reason:
# the SVMs' kernel caches, bounded by the user's cache_size as libsvm's are
# (strict, so a change shows up as an unexpected pass).
KNOWN = {
    name: ("the SVM kernel caches, traced (gdcore._cy._traced): the working-set block "
           "solver (2,000+ dual variables) holds its set's q kernel rows of n in float32, "
           "q = n_vars / 4 up to 1,024 (reached at 4,096 variables), so n^2 bytes up to "
           "there and 4 KB a row beyond; and both solvers' row caches grow as the rows "
           "touched x n up to cache_size, as libsvm's")
    for name in ("SVC", "SVR")
}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN[n])) if n in KNOWN else n
    for n in sorted(n for n in gdcore.__all__ if n != "show_config")])
def test_memory_grows_no_faster_than_the_input(name):
    small = _peak_bytes(name, N)
    large = _peak_bytes(name, GROWTH * N)
    bound = TOLERANCE * GROWTH * small + SLACK_BYTES
    assert large <= bound, (
        f"{name}: peak {large / 2**20:.1f} MB at {GROWTH * N} rows, "
        f"{small / 2**20:.1f} MB at {N}: grows faster than the input "
        f"(allowed {bound / 2**20:.1f} MB)")
    assert np.isfinite(small) and small > 0

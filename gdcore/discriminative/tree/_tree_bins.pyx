"""Binning for the trees: each value of X replaced by the index of its bin.

Bins are fixed once per fit by the caller (``gdcore.discriminative.tree._bins``):
per feature a sorted table ``edges[f, :n_edges[f]]``, and the code of x is the
number of edges strictly below x (a binary search, O(log bins)).  With the
table of a feature's distinct values this is the rank of x among them (the
exact mode, ``max_bins=None``); with ``max_bins - 1`` quantile edges it is the
histogram bin of LightGBM and scikit-learn's HistGradientBoosting, so that
``x <= edges[f, b]`` exactly when ``code <= b``.  NaN gets the code
``missing_code[f]``, one past the feature's last bin.  The caller has
rejected inf already (scikit-learn's check_array), so no status is returned.

Output is feature-major (d, n): the split finders read one feature's codes for
the samples of a node, and a column of 100,000 uint8 codes (100 KB) stays in
a typical L2 where a row-major layout would touch one cache line per sample
and feature.
O(n * d * log bins), parallel over features.  NumPy twin:
``gdcore/discriminative/tree/_reference/tree_bins.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport isnan
from libc.stdint cimport uint8_t, uint32_t


cdef inline Py_ssize_t _rank(const double* edges, Py_ssize_t m, double x) noexcept nogil:
    """Number of edges[:m] strictly below x (numpy.searchsorted side='left')."""
    cdef Py_ssize_t lo = 0, hi = m, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if edges[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def bin_codes_u8(
    const floating[:, ::1] X,          # IN (n, d), NaN = missing
    const double[:, ::1] edges,        # IN (d, max_edges) sorted per feature
    const int[::1] n_edges,            # IN (d,) edges used per feature
    const int[::1] missing_code,       # IN (d,) code of NaN, at most 255
    uint8_t[:, ::1] codes,             # OUT (d, n)
    int n_threads,
):
    """Codes of X as uint8 (at most 256 codes per feature).  X must hold no inf."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], i, f
    cdef double x
    with nogil:
        for f in prange(d, schedule="static", num_threads=n_threads):
            for i in range(n):
                x = X[i, f]
                if isnan(x):
                    codes[f, i] = <uint8_t> missing_code[f]
                else:
                    codes[f, i] = <uint8_t> _rank(&edges[f, 0], n_edges[f], x)


def bin_codes_u32(
    const floating[:, ::1] X,          # IN (n, d), NaN = missing
    const double[:, ::1] edges,        # IN (d, max_edges) sorted per feature
    const int[::1] n_edges,            # IN (d,)
    const int[::1] missing_code,       # IN (d,)
    uint32_t[:, ::1] codes,            # OUT (d, n)
    int n_threads,
):
    """Codes of X as uint32 (the exact mode: one code per distinct value)."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], i, f
    cdef double x
    with nogil:
        for f in prange(d, schedule="static", num_threads=n_threads):
            for i in range(n):
                x = X[i, f]
                if isnan(x):
                    codes[f, i] = <uint32_t> missing_code[f]
                else:
                    codes[f, i] = <uint32_t> _rank(&edges[f, 0], n_edges[f], x)

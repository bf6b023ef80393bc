"""Binning for the trees: each value of X replaced by the index of its bin.

Bins are fixed once per fit by the caller (``gdcore.discriminative.tree._bins``):
per feature a sorted table ``edges[f, :n_edges[f]]``, and the code of x is the
number of edges strictly below x (a binary search, O(log bins)).  With the
table of a feature's distinct values this is the rank of x among them (the
exact mode, ``max_bins=None``); with ``max_bins - 1`` quantile edges it is the
histogram bin of LightGBM and scikit-learn's HistGradientBoosting, so that
``x <= edges[f, b]`` exactly when ``code <= b``.  NaN gets the code
``missing_code[f]``, one past the feature's last bin.  The caller has
rejected inf already (scikit-learn's check_array); the only failure is no
memory for the block buffers (MemoryError).

Output is feature-major (d, n): the split finders read one feature's codes for
the samples of a node, and a column of 100,000 uint8 codes (100 KB) stays in
a typical L2 where a row-major layout would touch one cache line per sample
and feature.  X is row-major, so it is read a block of BLOCK_ROWS rows at a
time: the block is copied transposed into a per-thread buffer (one pass over
its cache lines), then each of its columns is binned from that buffer, its
values searched in lockstep (``_tree_rank.rank_block``: the column's
searches overlap, where one value's search waits on each of its loads).
Reading X one strided column at a time instead would bring each cache line
of X in from memory once per feature it holds.
O(n * d * log bins), parallel over row blocks, so the codes do not depend on
the thread count.  NumPy twin:
``gdcore/discriminative/tree/_reference/tree_bins.py``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport isnan
from libc.stdint cimport uint8_t, uint32_t
from libc.stdlib cimport free, malloc

from gdcore._cy._openmp cimport omp_get_thread_num

from gdcore.discriminative.tree._tree_rank cimport rank_block

cdef enum:
    # Rows per block: a block's values of all features, BLOCK_ROWS * d
    # doubles (at d = 40, 80 KB), stay in a typical L2 while its columns are
    # binned; far fewer rows would spend the block's time on the loop
    # overheads of each column.  Measured by `gdcore bench tree`
    # (RandomForestClassifier(100) fit at 1,000,000 rows).
    BLOCK_ROWS = 256
    # Doubles from one column of a block's buffer to the next: a cache line
    # more than BLOCK_ROWS, so that the d stores of a row's transposition
    # fall in different cache sets; at BLOCK_ROWS (2 KB apart) they share
    # two sets of a typical L1 and evict each other.  Measured by `gdcore
    # bench tree` (RandomForestClassifier(100) fit at 1,000,000 rows).
    COLUMN_STRIDE = BLOCK_ROWS + 8
    OK = 0
    NO_MEMORY = 1


cdef inline void _bin_block(const floating* X, Py_ssize_t d, Py_ssize_t i0, Py_ssize_t i1,
                            const double* edges, Py_ssize_t stride, const int* n_edges,
                            const int* missing_code, double* buf, uint8_t* codes8,
                            uint32_t* codes32, Py_ssize_t n) noexcept nogil:
    """Codes of rows i0:i1 of X: the block transposed into buf, then column by
    column, each column's values searched in lockstep (rank_block)."""
    cdef Py_ssize_t i, f, b = i1 - i0
    cdef int pos[BLOCK_ROWS]
    cdef int missing
    cdef const double* x
    for i in range(b):
        for f in range(d):
            buf[f * COLUMN_STRIDE + i] = X[(i0 + i) * d + f]
    for f in range(d):
        x = buf + f * COLUMN_STRIDE
        rank_block(edges + f * stride, n_edges[f], x, b, pos)
        missing = missing_code[f]
        if codes8 != NULL:
            for i in range(b):
                codes8[f * n + i0 + i] = <uint8_t> (missing if isnan(x[i]) else pos[i])
        else:
            for i in range(b):
                codes32[f * n + i0 + i] = <uint32_t> (missing if isnan(x[i]) else pos[i])


cdef int _bin(const floating* X, Py_ssize_t n, Py_ssize_t d, const double* edges,
              Py_ssize_t stride, const int* n_edges, const int* missing_code,
              uint8_t* codes8, uint32_t* codes32, int n_threads) noexcept nogil:
    """Codes of X (n, d) into codes8 or codes32 (d, n), parallel over row blocks."""
    cdef Py_ssize_t n_blocks = (n + BLOCK_ROWS - 1) // BLOCK_ROWS, k, B = COLUMN_STRIDE * d
    cdef int nt = max(1, n_threads)
    cdef double* buf = <double*> malloc(nt * B * sizeof(double))
    if buf == NULL:
        return NO_MEMORY
    for k in prange(n_blocks, schedule="dynamic", num_threads=nt):
        _bin_block(X, d, k * BLOCK_ROWS, min(n, (k + 1) * BLOCK_ROWS), edges, stride,
                   n_edges, missing_code, buf + omp_get_thread_num() * B, codes8,
                   codes32, n)
    free(buf)
    return OK


def bin_codes_u8(
    const floating[:, ::1] X,          # IN (n, d), NaN = missing
    const double[:, ::1] edges,        # IN (d, max_edges) sorted per feature
    const int[::1] n_edges,            # IN (d,) edges used per feature
    const int[::1] missing_code,       # IN (d,) code of NaN, at most 255
    uint8_t[:, ::1] codes,             # OUT (d, n)
    int n_threads,
):
    """Codes of X as uint8 (at most 256 codes per feature).  X must hold no inf."""
    cdef int status
    if X.shape[0] == 0 or X.shape[1] == 0:
        return
    with nogil:
        status = _bin(&X[0, 0], X.shape[0], X.shape[1], &edges[0, 0], edges.shape[1],
                      &n_edges[0], &missing_code[0], &codes[0, 0], NULL, n_threads)
    if status != OK:
        raise MemoryError("no memory for the binning buffers")


def bin_codes_u32(
    const floating[:, ::1] X,          # IN (n, d), NaN = missing
    const double[:, ::1] edges,        # IN (d, max_edges) sorted per feature
    const int[::1] n_edges,            # IN (d,)
    const int[::1] missing_code,       # IN (d,)
    uint32_t[:, ::1] codes,            # OUT (d, n)
    int n_threads,
):
    """Codes of X as uint32 (the exact mode: one code per distinct value)."""
    cdef int status
    if X.shape[0] == 0 or X.shape[1] == 0:
        return
    with nogil:
        status = _bin(&X[0, 0], X.shape[0], X.shape[1], &edges[0, 0], edges.shape[1],
                      &n_edges[0], &missing_code[0], NULL, &codes[0, 0], n_threads)
    if status != OK:
        raise MemoryError("no memory for the binning buffers")

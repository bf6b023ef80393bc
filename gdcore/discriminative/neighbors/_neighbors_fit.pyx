"""What the gemm search needs to know about a dense database, in one parallel pass.

``database_stats`` reads X once and returns the rows' squared norms (the
search's norm terms, and the row scales of cosine), the columns' sums (the
mean, which decides whether the search centres the data) and the largest
|value| (the range check, and the tiles' type).  Fit is otherwise only
storing X, so these reductions are the whole of its time and, done as
separate NumPy passes on one thread, they cost a visible share of fit +
search on a large database (`gdcore bench --growth`, neighbors).  Nothing
the size of X is allocated.

Rows are cut into blocks of STATS_ROWS; a block's column sums go to its own
row of ``partial``, added up in block order afterwards, so that the sums
do not depend on the number of threads.  Status codes as ``_neighbors``.
NumPy twin: ``_reference.database_stats``.
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport fabs
from libc.stdlib cimport calloc, free, malloc

from gdcore.discriminative.neighbors._neighbors_exact cimport _dot

cdef enum:
    OK = 0
    OUT_OF_MEMORY = 1
    # Rows per block: enough work per block to hide the scheduling, few
    # enough blocks that their partial sums (n / STATS_ROWS x d doubles) are a
    # small fraction of X.
    STATS_ROWS = 4096


def database_stats(
    const floating[:, ::1] X,   # IN (n, d) the database, finite
    double[::1] sqnorms,        # OUT (n,) squared norms of the rows, in double
    double[::1] col_sums,       # OUT (d,) sums of the columns, in double
    double[::1] peak,           # OUT (1,) max |X| (0 if X is empty)
    int n_threads,
):
    """Squared row norms, column sums and max |X| of a dense database, in one pass."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1]
    cdef Py_ssize_t n_blocks = (n + STATS_ROWS - 1) // STATS_ROWS
    cdef Py_ssize_t b, f
    cdef double m
    cdef double* partial = <double*> calloc(max(1, n_blocks * d), sizeof(double))
    cdef double* block_peak = <double*> malloc(max(1, n_blocks) * sizeof(double))
    if partial == NULL or block_peak == NULL:
        free(partial)
        free(block_peak)
        return OUT_OF_MEMORY
    with nogil:
        for b in prange(n_blocks, schedule="static", num_threads=n_threads):
            _block_stats(X, b * STATS_ROWS, min(n, (b + 1) * STATS_ROWS),
                         &sqnorms[0], partial + b * d, block_peak + b)
        for f in range(d):
            col_sums[f] = 0.0
        m = 0.0
        for b in range(n_blocks):
            for f in range(d):
                col_sums[f] += partial[b * d + f]
            m = max(m, block_peak[b])
        peak[0] = m
    free(partial)
    free(block_peak)
    return OK


cdef inline void _block_stats(const floating[:, ::1] X, Py_ssize_t i0, Py_ssize_t i1,
                              double* sqnorms, double* sums, double* peak) noexcept nogil:
    """Rows i0..i1: their squared norms, and the block's column sums and max |value|."""
    cdef Py_ssize_t d = X.shape[1], i, f
    cdef double m = 0.0
    cdef const floating* x
    for i in range(i0, i1):
        x = &X[i, 0]
        sqnorms[i] = _dot(x, x, d)
        for f in range(d):
            sums[f] += x[f]
            m = max(m, fabs(<double> x[f]))
    peak[0] = m
